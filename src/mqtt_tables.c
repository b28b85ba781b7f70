/* \summary: MQTT protocol tables: packet types, MQTT 5.0 properties, reason codes
 *
 * One table per protocol fact, read by the parser (src/mqtt.c), its validation and every
 * output. Facts from the specifications, labels from tshark 4.0's tree (checked against it
 * by tests/test_mqtt.c).
 *
 * MQTT 3.1.1: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html
 * MQTT 5.0:   https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html
 */
#include "mqttdump/mqtt.h"
#include "mqttdump/i18n.h"

#include <stddef.h>

#define N_ELEMS(a) (sizeof (a) / sizeof (a)[0])

/* ---- packet types [2.1.2 Table 2-1, 2.1.3 Table 2-2] ------------------------------- */

#define ANY_FLAGS 0xff /* PUBLISH's flags are its own; type 0 has no flags to check */
#define C MQTT_FROM_CLIENT
#define S MQTT_FROM_SERVER

static const struct mqtt_type_info types[16] = {
	/* name          Wireshark's label           flags  5.0 only  5.0 from  3.x from */
	{ "RESERVED",    "Reserved",                 ANY_FLAGS, 0, 0,     0 },
	{ "CONNECT",     "Connect Command",          0,     0,        C,     C },
	{ "CONNACK",     "Connect Ack",              0,     0,        S,     S },
	{ "PUBLISH",     "Publish Message",          ANY_FLAGS, 0, C | S, C | S },
	{ "PUBACK",      "Publish Ack",              0,     0,        C | S, C | S },
	{ "PUBREC",      "Publish Received",         0,     0,        C | S, C | S },
	{ "PUBREL",      "Publish Release",          2,     0,        C | S, C | S },
	{ "PUBCOMP",     "Publish Complete",         0,     0,        C | S, C | S },
	{ "SUBSCRIBE",   "Subscribe Request",        2,     0,        C,     C },
	{ "SUBACK",      "Subscribe Ack",            0,     0,        S,     S },
	{ "UNSUBSCRIBE", "Unsubscribe Request",      2,     0,        C,     C },
	{ "UNSUBACK",    "Unsubscribe Ack",          0,     0,        S,     S },
	{ "PINGREQ",     "Ping Request",             0,     0,        C,     C },
	{ "PINGRESP",    "Ping Response",            0,     0,        S,     S },
	{ "DISCONNECT",  "Disconnect Req",           0,     0,        C | S, C },
	{ "AUTH",        "Authentication Exchange",  0,     1,        C | S, 0 },
};

#undef C
#undef S

const struct mqtt_type_info *mqtt_type_info(uint8_t type)
{
	return &types[type & 0x0f];
}

unsigned mqtt_type_senders(uint8_t type, uint8_t version)
{
	const struct mqtt_type_info *t = mqtt_type_info(type);
	return version == MQTT_V5 ? t->from : t->from3;
}

const char *mqtt_type_name(uint8_t type)
{
	return mqtt_type_info(type)->name;
}

const char *mqtt_type_label(uint8_t type)
{
	return mqtt_type_info(type)->label;
}

const char *mqtt_version_name(uint8_t version)
{
	switch (version) {
	case MQTT_V31: return "3.1";
	case MQTT_V311: return "3.1.1";
	case MQTT_V5: return "5.0";
	default: return NULL;
	}
}

/* ---- properties [5.0 2.2.2.2 Table 2-4] --------------------------------------------- */

#define IN(t) MQTT_IN(MQTT_##t)
#define WILL MQTT_IN(MQTT_WILL_PROPS)
/* "CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH" */
#define REASON_STRING_IN (IN(CONNACK) | IN(PUBACK) | IN(PUBREC) | IN(PUBREL) | IN(PUBCOMP) | \
			  IN(SUBACK) | IN(UNSUBACK) | IN(DISCONNECT) | IN(AUTH))
/* every packet with properties, and the will */
#define USER_PROPERTY_IN (REASON_STRING_IN | IN(CONNECT) | IN(PUBLISH) | WILL | \
			  IN(SUBSCRIBE) | IN(UNSUBSCRIBE))

/* The warnings' texts are written out row by row, not built from the name by the
 * preprocessor: xgettext reads only literals, and each is a message id of po/ (the text
 * outputs translate them, JSON keeps them English). */
#define P(id, pt, v, name, label, vlabel, key, in, rep, where, will, twice, value) \
	[MQTT_PROP_##id] = { MQTT_PROP_##id, MQTT_PT_##pt, MQTT_PV_##v, name, label, vlabel, key, \
			     in, rep, where, will, twice, value }

static const struct mqtt_prop_info props[MQTT_PROP_ID_MAX + 1] = {
	P(PAYLOAD_FORMAT_INDICATOR, BYTE, BOOL, "Payload Format Indicator",
	  "Payload Format Indicator", "Value", "payload_format_indicator", IN(PUBLISH) | WILL, 0,
	  N_("Payload Format Indicator not allowed in this packet type"),
	  N_("Payload Format Indicator not allowed in will properties"),
	  N_("Payload Format Indicator more than once"),
	  N_("Payload Format Indicator other than 0 or 1")),
	P(MESSAGE_EXPIRY_INTERVAL, U32, ANY, "Message Expiry Interval",
	  "Publication Expiry Interval", "Value", "message_expiry_interval", IN(PUBLISH) | WILL,
	  0,
	  N_("Message Expiry Interval not allowed in this packet type"),
	  N_("Message Expiry Interval not allowed in will properties"),
	  N_("Message Expiry Interval more than once"), NULL),
	P(CONTENT_TYPE, UTF8, ANY, "Content Type", "Content Type", "Content Type",
	  "content_type", IN(PUBLISH) | WILL, 0,
	  N_("Content Type not allowed in this packet type"),
	  N_("Content Type not allowed in will properties"),
	  N_("Content Type more than once"), NULL),
	P(RESPONSE_TOPIC, UTF8, ANY, "Response Topic", "Response Topic", "Value",
	  "response_topic", IN(PUBLISH) | WILL, 0,
	  N_("Response Topic not allowed in this packet type"),
	  N_("Response Topic not allowed in will properties"),
	  N_("Response Topic more than once"), NULL),
	P(CORRELATION_DATA, BINARY, ANY, "Correlation Data", "Correlation Data", "Value",
	  "correlation_data", IN(PUBLISH) | WILL, 0,
	  N_("Correlation Data not allowed in this packet type"),
	  N_("Correlation Data not allowed in will properties"),
	  N_("Correlation Data more than once"), NULL),
	/* several in a PUBLISH matching several subscriptions [3.3.2.3.8]; one in SUBSCRIBE */
	P(SUBSCRIPTION_IDENTIFIER, VARINT, NONZERO, "Subscription Identifier",
	  "Subscription Identifier", "Value", "subscription_identifier",
	  IN(PUBLISH) | IN(SUBSCRIBE), IN(PUBLISH),
	  N_("Subscription Identifier not allowed in this packet type"),
	  N_("Subscription Identifier not allowed in will properties"),
	  N_("Subscription Identifier more than once"),
	  N_("Subscription Identifier of 0")),
	P(SESSION_EXPIRY_INTERVAL, U32, ANY, "Session Expiry Interval", "Session Expiry Interval",
	  "Value", "session_expiry_interval", IN(CONNECT) | IN(CONNACK) | IN(DISCONNECT), 0,
	  N_("Session Expiry Interval not allowed in this packet type"),
	  N_("Session Expiry Interval not allowed in will properties"),
	  N_("Session Expiry Interval more than once"), NULL),
	P(ASSIGNED_CLIENT_IDENTIFIER, UTF8, ANY, "Assigned Client Identifier",
	  "Assigned Client Identifier", "Value", "assigned_client_identifier", IN(CONNACK), 0,
	  N_("Assigned Client Identifier not allowed in this packet type"),
	  N_("Assigned Client Identifier not allowed in will properties"),
	  N_("Assigned Client Identifier more than once"), NULL),
	P(SERVER_KEEP_ALIVE, U16, ANY, "Server Keep Alive", "Server Keep Alive", "Value",
	  "server_keep_alive", IN(CONNACK), 0,
	  N_("Server Keep Alive not allowed in this packet type"),
	  N_("Server Keep Alive not allowed in will properties"),
	  N_("Server Keep Alive more than once"), NULL),
	P(AUTHENTICATION_METHOD, UTF8, ANY, "Authentication Method", "Authentication Method",
	  "Value", "authentication_method", IN(CONNECT) | IN(CONNACK) | IN(AUTH), 0,
	  N_("Authentication Method not allowed in this packet type"),
	  N_("Authentication Method not allowed in will properties"),
	  N_("Authentication Method more than once"), NULL),
	P(AUTHENTICATION_DATA, BINARY, ANY, "Authentication Data", "Authentication Data",
	  "Value", "authentication_data", IN(CONNECT) | IN(CONNACK) | IN(AUTH), 0,
	  N_("Authentication Data not allowed in this packet type"),
	  N_("Authentication Data not allowed in will properties"),
	  N_("Authentication Data more than once"), NULL),
	P(REQUEST_PROBLEM_INFORMATION, BYTE, BOOL, "Request Problem Information",
	  "Request Problem Information", "Value", "request_problem_information", IN(CONNECT), 0,
	  N_("Request Problem Information not allowed in this packet type"),
	  N_("Request Problem Information not allowed in will properties"),
	  N_("Request Problem Information more than once"),
	  N_("Request Problem Information other than 0 or 1")),
	P(WILL_DELAY_INTERVAL, U32, ANY, "Will Delay Interval", "Will Delay Interval", "Value",
	  "will_delay_interval", WILL, 0,
	  N_("Will Delay Interval not allowed in this packet type"),
	  N_("Will Delay Interval not allowed in will properties"),
	  N_("Will Delay Interval more than once"), NULL),
	P(REQUEST_RESPONSE_INFORMATION, BYTE, BOOL, "Request Response Information",
	  "Request Response Information", "Value", "request_response_information", IN(CONNECT),
	  0,
	  N_("Request Response Information not allowed in this packet type"),
	  N_("Request Response Information not allowed in will properties"),
	  N_("Request Response Information more than once"),
	  N_("Request Response Information other than 0 or 1")),
	P(RESPONSE_INFORMATION, UTF8, ANY, "Response Information", "Response Information",
	  "Value", "response_information", IN(CONNACK), 0,
	  N_("Response Information not allowed in this packet type"),
	  N_("Response Information not allowed in will properties"),
	  N_("Response Information more than once"), NULL),
	P(SERVER_REFERENCE, UTF8, ANY, "Server Reference", "Server Reference", "Value",
	  "server_reference", IN(CONNACK) | IN(DISCONNECT), 0,
	  N_("Server Reference not allowed in this packet type"),
	  N_("Server Reference not allowed in will properties"),
	  N_("Server Reference more than once"), NULL),
	P(REASON_STRING, UTF8, ANY, "Reason String", "Reason String", "Value", "reason_string",
	  REASON_STRING_IN, 0,
	  N_("Reason String not allowed in this packet type"),
	  N_("Reason String not allowed in will properties"),
	  N_("Reason String more than once"), NULL),
	P(RECEIVE_MAXIMUM, U16, NONZERO, "Receive Maximum", "Receive Maximum", "Value",
	  "receive_maximum", IN(CONNECT) | IN(CONNACK), 0,
	  N_("Receive Maximum not allowed in this packet type"),
	  N_("Receive Maximum not allowed in will properties"),
	  N_("Receive Maximum more than once"),
	  N_("Receive Maximum of 0")),
	P(TOPIC_ALIAS_MAXIMUM, U16, ANY, "Topic Alias Maximum", "Topic Alias Maximum", "Value",
	  "topic_alias_maximum", IN(CONNECT) | IN(CONNACK), 0,
	  N_("Topic Alias Maximum not allowed in this packet type"),
	  N_("Topic Alias Maximum not allowed in will properties"),
	  N_("Topic Alias Maximum more than once"), NULL),
	P(TOPIC_ALIAS, U16, NONZERO, "Topic Alias", "Topic Alias", "Topic Alias", "topic_alias",
	  IN(PUBLISH), 0,
	  N_("Topic Alias not allowed in this packet type"),
	  N_("Topic Alias not allowed in will properties"),
	  N_("Topic Alias more than once"),
	  N_("Topic Alias of 0")),
	P(MAXIMUM_QOS, BYTE, BOOL, "Maximum QoS", "Maximum QoS", "QoS", "maximum_qos",
	  IN(CONNACK), 0,
	  N_("Maximum QoS not allowed in this packet type"),
	  N_("Maximum QoS not allowed in will properties"),
	  N_("Maximum QoS more than once"),
	  N_("Maximum QoS other than 0 or 1")),
	P(RETAIN_AVAILABLE, BYTE, BOOL, "Retain Available", "Retain Available", "Value",
	  "retain_available", IN(CONNACK), 0,
	  N_("Retain Available not allowed in this packet type"),
	  N_("Retain Available not allowed in will properties"),
	  N_("Retain Available more than once"),
	  N_("Retain Available other than 0 or 1")),
	P(USER_PROPERTY, PAIR, ANY, "User Property", "User Property", "Value", "user_properties",
	  USER_PROPERTY_IN, USER_PROPERTY_IN,
	  N_("User Property not allowed in this packet type"),
	  N_("User Property not allowed in will properties"),
	  N_("User Property more than once"), NULL),
	P(MAXIMUM_PACKET_SIZE, U32, NONZERO, "Maximum Packet Size", "Maximum Packet Size",
	  "Value", "maximum_packet_size", IN(CONNECT) | IN(CONNACK), 0,
	  N_("Maximum Packet Size not allowed in this packet type"),
	  N_("Maximum Packet Size not allowed in will properties"),
	  N_("Maximum Packet Size more than once"),
	  N_("Maximum Packet Size of 0")),
	P(WILDCARD_SUBSCRIPTION_AVAILABLE, BYTE, BOOL, "Wildcard Subscription Available",
	  "Wildcard Subscription Available", "Value", "wildcard_subscription_available",
	  IN(CONNACK), 0,
	  N_("Wildcard Subscription Available not allowed in this packet type"),
	  N_("Wildcard Subscription Available not allowed in will properties"),
	  N_("Wildcard Subscription Available more than once"),
	  N_("Wildcard Subscription Available other than 0 or 1")),
	P(SUBSCRIPTION_IDENTIFIER_AVAILABLE, BYTE, BOOL, "Subscription Identifier Available",
	  "Subscription Identifier Available", "Value", "subscription_identifier_available",
	  IN(CONNACK), 0,
	  N_("Subscription Identifier Available not allowed in this packet type"),
	  N_("Subscription Identifier Available not allowed in will properties"),
	  N_("Subscription Identifier Available more than once"),
	  N_("Subscription Identifier Available other than 0 or 1")),
	P(SHARED_SUBSCRIPTION_AVAILABLE, BYTE, BOOL, "Shared Subscription Available",
	  "Shared Subscription Available", "Value", "shared_subscription_available",
	  IN(CONNACK), 0,
	  N_("Shared Subscription Available not allowed in this packet type"),
	  N_("Shared Subscription Available not allowed in will properties"),
	  N_("Shared Subscription Available more than once"),
	  N_("Shared Subscription Available other than 0 or 1")),
};

#undef P

const struct mqtt_prop_info *mqtt_prop_info(uint8_t id)
{
	if (id > MQTT_PROP_ID_MAX || !props[id].name)
		return NULL;
	return &props[id];
}

const char *mqtt_prop_name(uint8_t id)
{
	const struct mqtt_prop_info *pi = mqtt_prop_info(id);
	return pi ? pi->name : NULL;
}

const char *mqtt_prop_label(uint8_t id)
{
	const struct mqtt_prop_info *pi = mqtt_prop_info(id);
	return pi ? pi->label : NULL;
}

const char *mqtt_prop_key(uint8_t id)
{
	const struct mqtt_prop_info *pi = mqtt_prop_info(id);
	return pi ? pi->key : NULL;
}

int mqtt_prop_repeats(uint8_t id)
{
	const struct mqtt_prop_info *pi = mqtt_prop_info(id);
	return pi && pi->repeats_in != 0;
}

/*
 * Where each property is defined, packet by packet: the subsections of 3.x "Properties"
 * in the order the specification lists them. Their sentences ("It is a Protocol Error to
 * include the Receive Maximum value more than once or for it to have the value 0") carry
 * no normative id, so a warning cites the subsection. The same facts as the `in` sets of
 * Table 2-4 above, from the other end of the specification: a test checks they agree.
 */
static const struct prop_section {
	uint8_t where, id;
	const char *rule;
} sections[] = {
	{ MQTT_CONNECT, MQTT_PROP_SESSION_EXPIRY_INTERVAL, "MQTT-3.1.2.11.2" },
	{ MQTT_CONNECT, MQTT_PROP_RECEIVE_MAXIMUM, "MQTT-3.1.2.11.3" },
	{ MQTT_CONNECT, MQTT_PROP_MAXIMUM_PACKET_SIZE, "MQTT-3.1.2.11.4" },
	{ MQTT_CONNECT, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, "MQTT-3.1.2.11.5" },
	{ MQTT_CONNECT, MQTT_PROP_REQUEST_RESPONSE_INFORMATION, "MQTT-3.1.2.11.6" },
	{ MQTT_CONNECT, MQTT_PROP_REQUEST_PROBLEM_INFORMATION, "MQTT-3.1.2.11.7" },
	{ MQTT_CONNECT, MQTT_PROP_USER_PROPERTY, "MQTT-3.1.2.11.8" },
	{ MQTT_CONNECT, MQTT_PROP_AUTHENTICATION_METHOD, "MQTT-3.1.2.11.9" },
	{ MQTT_CONNECT, MQTT_PROP_AUTHENTICATION_DATA, "MQTT-3.1.2.11.10" },
	{ MQTT_WILL_PROPS, MQTT_PROP_WILL_DELAY_INTERVAL, "MQTT-3.1.3.2.2" },
	{ MQTT_WILL_PROPS, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, "MQTT-3.1.3.2.3" },
	{ MQTT_WILL_PROPS, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, "MQTT-3.1.3.2.4" },
	{ MQTT_WILL_PROPS, MQTT_PROP_CONTENT_TYPE, "MQTT-3.1.3.2.5" },
	{ MQTT_WILL_PROPS, MQTT_PROP_RESPONSE_TOPIC, "MQTT-3.1.3.2.6" },
	{ MQTT_WILL_PROPS, MQTT_PROP_CORRELATION_DATA, "MQTT-3.1.3.2.7" },
	{ MQTT_WILL_PROPS, MQTT_PROP_USER_PROPERTY, "MQTT-3.1.3.2.8" },
	{ MQTT_CONNACK, MQTT_PROP_SESSION_EXPIRY_INTERVAL, "MQTT-3.2.2.3.2" },
	{ MQTT_CONNACK, MQTT_PROP_RECEIVE_MAXIMUM, "MQTT-3.2.2.3.3" },
	{ MQTT_CONNACK, MQTT_PROP_MAXIMUM_QOS, "MQTT-3.2.2.3.4" },
	{ MQTT_CONNACK, MQTT_PROP_RETAIN_AVAILABLE, "MQTT-3.2.2.3.5" },
	{ MQTT_CONNACK, MQTT_PROP_MAXIMUM_PACKET_SIZE, "MQTT-3.2.2.3.6" },
	{ MQTT_CONNACK, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, "MQTT-3.2.2.3.7" },
	{ MQTT_CONNACK, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, "MQTT-3.2.2.3.8" },
	{ MQTT_CONNACK, MQTT_PROP_REASON_STRING, "MQTT-3.2.2.3.9" },
	{ MQTT_CONNACK, MQTT_PROP_USER_PROPERTY, "MQTT-3.2.2.3.10" },
	{ MQTT_CONNACK, MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE, "MQTT-3.2.2.3.11" },
	{ MQTT_CONNACK, MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE, "MQTT-3.2.2.3.12" },
	{ MQTT_CONNACK, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE, "MQTT-3.2.2.3.13" },
	{ MQTT_CONNACK, MQTT_PROP_SERVER_KEEP_ALIVE, "MQTT-3.2.2.3.14" },
	{ MQTT_CONNACK, MQTT_PROP_RESPONSE_INFORMATION, "MQTT-3.2.2.3.15" },
	{ MQTT_CONNACK, MQTT_PROP_SERVER_REFERENCE, "MQTT-3.2.2.3.16" },
	{ MQTT_CONNACK, MQTT_PROP_AUTHENTICATION_METHOD, "MQTT-3.2.2.3.17" },
	{ MQTT_CONNACK, MQTT_PROP_AUTHENTICATION_DATA, "MQTT-3.2.2.3.18" },
	{ MQTT_PUBLISH, MQTT_PROP_PAYLOAD_FORMAT_INDICATOR, "MQTT-3.3.2.3.2" },
	{ MQTT_PUBLISH, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL, "MQTT-3.3.2.3.3" },
	{ MQTT_PUBLISH, MQTT_PROP_TOPIC_ALIAS, "MQTT-3.3.2.3.4" },
	{ MQTT_PUBLISH, MQTT_PROP_RESPONSE_TOPIC, "MQTT-3.3.2.3.5" },
	{ MQTT_PUBLISH, MQTT_PROP_CORRELATION_DATA, "MQTT-3.3.2.3.6" },
	{ MQTT_PUBLISH, MQTT_PROP_USER_PROPERTY, "MQTT-3.3.2.3.7" },
	{ MQTT_PUBLISH, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, "MQTT-3.3.2.3.8" },
	{ MQTT_PUBLISH, MQTT_PROP_CONTENT_TYPE, "MQTT-3.3.2.3.9" },
	{ MQTT_PUBACK, MQTT_PROP_REASON_STRING, "MQTT-3.4.2.2.2" },
	{ MQTT_PUBACK, MQTT_PROP_USER_PROPERTY, "MQTT-3.4.2.2.3" },
	{ MQTT_PUBREC, MQTT_PROP_REASON_STRING, "MQTT-3.5.2.2.2" },
	{ MQTT_PUBREC, MQTT_PROP_USER_PROPERTY, "MQTT-3.5.2.2.3" },
	{ MQTT_PUBREL, MQTT_PROP_REASON_STRING, "MQTT-3.6.2.2.2" },
	{ MQTT_PUBREL, MQTT_PROP_USER_PROPERTY, "MQTT-3.6.2.2.3" },
	{ MQTT_PUBCOMP, MQTT_PROP_REASON_STRING, "MQTT-3.7.2.2.2" },
	{ MQTT_PUBCOMP, MQTT_PROP_USER_PROPERTY, "MQTT-3.7.2.2.3" },
	{ MQTT_SUBSCRIBE, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, "MQTT-3.8.2.1.2" },
	{ MQTT_SUBSCRIBE, MQTT_PROP_USER_PROPERTY, "MQTT-3.8.2.1.3" },
	{ MQTT_SUBACK, MQTT_PROP_REASON_STRING, "MQTT-3.9.2.1.2" },
	{ MQTT_SUBACK, MQTT_PROP_USER_PROPERTY, "MQTT-3.9.2.1.3" },
	{ MQTT_UNSUBSCRIBE, MQTT_PROP_USER_PROPERTY, "MQTT-3.10.2.1.2" },
	{ MQTT_UNSUBACK, MQTT_PROP_REASON_STRING, "MQTT-3.11.2.1.2" },
	{ MQTT_UNSUBACK, MQTT_PROP_USER_PROPERTY, "MQTT-3.11.2.1.3" },
	{ MQTT_DISCONNECT, MQTT_PROP_SESSION_EXPIRY_INTERVAL, "MQTT-3.14.2.2.2" },
	{ MQTT_DISCONNECT, MQTT_PROP_REASON_STRING, "MQTT-3.14.2.2.3" },
	{ MQTT_DISCONNECT, MQTT_PROP_USER_PROPERTY, "MQTT-3.14.2.2.4" },
	{ MQTT_DISCONNECT, MQTT_PROP_SERVER_REFERENCE, "MQTT-3.14.2.2.5" },
	{ MQTT_AUTH, MQTT_PROP_AUTHENTICATION_METHOD, "MQTT-3.15.2.2.2" },
	{ MQTT_AUTH, MQTT_PROP_AUTHENTICATION_DATA, "MQTT-3.15.2.2.3" },
	{ MQTT_AUTH, MQTT_PROP_REASON_STRING, "MQTT-3.15.2.2.4" },
	{ MQTT_AUTH, MQTT_PROP_USER_PROPERTY, "MQTT-3.15.2.2.5" },
};

const char *mqtt_prop_section(uint8_t where, uint8_t id)
{
	/* 64 rows, read only to name the rule of a warning */
	for (size_t i = 0; i < N_ELEMS(sections); i++)
		if (sections[i].where == where && sections[i].id == id)
			return sections[i].rule;
	return NULL;
}

/* ---- reason codes [5.0 2.4 Table 2-6; 3.1.1 3.2.2.3 Table 3.1, 3.9.3] --------------- */

#define ACKS (IN(PUBACK) | IN(PUBREC))
/* "CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT": 0x80, 0x83, 0x87 */
#define ERR_ALL (IN(CONNACK) | ACKS | IN(SUBACK) | IN(UNSUBACK) | IN(DISCONNECT))
#define CD (IN(CONNACK) | IN(DISCONNECT))

static const struct mqtt_reason reasons[] = {
	/* 3.1 and 3.1.1: CONNACK return codes, SUBACK return codes */
	{ 0x00, 0, IN(CONNACK), "Connection Accepted" },
	{ 0x01, 0, IN(CONNACK), "Connection Refused: unacceptable protocol version" },
	{ 0x02, 0, IN(CONNACK), "Connection Refused: identifier rejected" },
	{ 0x03, 0, IN(CONNACK), "Connection Refused: server unavailable" },
	{ 0x04, 0, IN(CONNACK), "Connection Refused: bad user name or password" },
	{ 0x05, 0, IN(CONNACK), "Connection Refused: not authorized" },
	{ 0x00, 0, IN(SUBACK), "Granted QoS 0" },
	{ 0x01, 0, IN(SUBACK), "Granted QoS 1" },
	{ 0x02, 0, IN(SUBACK), "Granted QoS 2" },
	{ 0x80, 0, IN(SUBACK), "Failure" },
	/* 5.0; the first row of a code names it in packets it is not defined for (0x00
	 * "Success"), except 0x01 and 0x02 */
	{ 0x00, 1, IN(CONNACK) | ACKS | IN(PUBREL) | IN(PUBCOMP) | IN(UNSUBACK) | IN(AUTH),
	  "Success" },
	{ 0x00, 1, IN(DISCONNECT), "Normal disconnection" },
	{ 0x00, 1, IN(SUBACK), "Granted QoS 0" },
	{ 0x01, 1, IN(SUBACK), "Granted QoS 1" },
	{ 0x02, 1, IN(SUBACK), "Granted QoS 2" },
	{ 0x04, 1, IN(DISCONNECT), "Disconnect with Will Message" },
	{ 0x10, 1, ACKS, "No matching subscribers" },
	{ 0x11, 1, IN(UNSUBACK), "No subscription existed" },
	{ 0x18, 1, IN(AUTH), "Continue authentication" },
	{ 0x19, 1, IN(AUTH), "Re-authenticate" },
	{ 0x80, 1, ERR_ALL, "Unspecified error" },
	{ 0x81, 1, CD, "Malformed Packet" },
	{ 0x82, 1, CD, "Protocol Error" },
	{ 0x83, 1, ERR_ALL, "Implementation specific error" },
	{ 0x84, 1, IN(CONNACK), "Unsupported Protocol Version" },
	{ 0x85, 1, IN(CONNACK), "Client Identifier not valid" },
	{ 0x86, 1, IN(CONNACK), "Bad User Name or Password" },
	{ 0x87, 1, ERR_ALL, "Not authorized" },
	{ 0x88, 1, IN(CONNACK), "Server unavailable" },
	{ 0x89, 1, CD, "Server busy" },
	{ 0x8a, 1, IN(CONNACK), "Banned" },
	{ 0x8b, 1, IN(DISCONNECT), "Server shutting down" },
	{ 0x8c, 1, CD, "Bad authentication method" },
	{ 0x8d, 1, IN(DISCONNECT), "Keep Alive timeout" },
	{ 0x8e, 1, IN(DISCONNECT), "Session taken over" },
	{ 0x8f, 1, IN(SUBACK) | IN(UNSUBACK) | IN(DISCONNECT), "Topic Filter invalid" },
	{ 0x90, 1, IN(CONNACK) | ACKS | IN(DISCONNECT), "Topic Name invalid" },
	{ 0x91, 1, ACKS | IN(SUBACK) | IN(UNSUBACK), "Packet Identifier in use" },
	{ 0x92, 1, IN(PUBREL) | IN(PUBCOMP), "Packet Identifier not found" },
	{ 0x93, 1, IN(DISCONNECT), "Receive Maximum exceeded" },
	{ 0x94, 1, IN(DISCONNECT), "Topic Alias invalid" },
	{ 0x95, 1, CD, "Packet too large" },
	{ 0x96, 1, IN(DISCONNECT), "Message rate too high" },
	{ 0x97, 1, IN(CONNACK) | ACKS | IN(SUBACK) | IN(DISCONNECT), "Quota exceeded" },
	{ 0x98, 1, IN(DISCONNECT), "Administrative action" },
	{ 0x99, 1, IN(CONNACK) | ACKS | IN(DISCONNECT), "Payload format invalid" },
	{ 0x9a, 1, CD, "Retain not supported" },
	{ 0x9b, 1, CD, "QoS not supported" },
	{ 0x9c, 1, CD, "Use another server" },
	{ 0x9d, 1, CD, "Server moved" },
	{ 0x9e, 1, IN(SUBACK) | IN(DISCONNECT), "Shared Subscriptions not supported" },
	{ 0x9f, 1, CD, "Connection rate exceeded" },
	{ 0xa0, 1, IN(DISCONNECT), "Maximum connect time" },
	{ 0xa1, 1, IN(SUBACK) | IN(DISCONNECT), "Subscription Identifiers not supported" },
	{ 0xa2, 1, IN(SUBACK) | IN(DISCONNECT), "Wildcard Subscriptions not supported" },
};

/* The row defining code for type in that version, or NULL. Linear, but the table is short
 * and success codes (by far the most common) come first. */
static const struct mqtt_reason *reason_row(uint8_t type, uint8_t version, uint8_t code)
{
	uint8_t v5 = version == MQTT_V5;

	for (size_t i = 0; i < N_ELEMS(reasons); i++)
		if (reasons[i].code == code && reasons[i].v5 == v5 &&
		    (reasons[i].in & MQTT_IN(type & 0x0f)))
			return &reasons[i];
	return NULL;
}

int mqtt_code_valid(uint8_t type, uint8_t version, uint8_t code)
{
	return reason_row(type, version, code) != NULL;
}

const char *mqtt_code_name(uint8_t type, uint8_t version, uint8_t code)
{
	const struct mqtt_reason *r = reason_row(type, version, code);

	if (r)
		return r->name;
	if (version != MQTT_V5 || code == 0x01 || code == 0x02)
		return NULL;
	for (size_t i = 0; i < N_ELEMS(reasons); i++)
		if (reasons[i].v5 && reasons[i].code == code)
			return reasons[i].name;
	return NULL;
}

const char *mqtt_code_label(uint8_t type, uint8_t version, uint8_t code)
{
	const struct mqtt_reason *r = reason_row(type, version, code);

	if (!r)
		return NULL;
	/* the specification's plural, tshark's singular */
	if (r->v5 && code == 0x9e)
		return "Shared Subscription not supported";
	if (r->v5 && code == 0xa2)
		return "Wildcard Subscription not supported";
	return r->name;
}

const char *mqtt_code_rule(uint8_t type, uint8_t version)
{
	if (version != MQTT_V5) {
		switch (type) {
		/* "If none of the return codes listed in Table 3.1 are deemed applicable, then
		 * the Server MUST close the Network Connection without sending a CONNACK" */
		case MQTT_CONNACK: return "MQTT-3.2.2-6";
		/* "SUBACK return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved and
		 * MUST NOT be used" */
		case MQTT_SUBACK: return "MQTT-3.9.3-2";
		default: return NULL;
		}
	}
	switch (type) {
	/* "The Server sending the CONNACK packet MUST use one of the Connect Reason Code
	 * values", and so on for each packet type */
	case MQTT_CONNACK: return "MQTT-3.2.2-8";
	case MQTT_PUBACK: return "MQTT-3.4.2-1";
	case MQTT_PUBREC: return "MQTT-3.5.2-1";
	case MQTT_PUBREL: return "MQTT-3.6.2-1";
	case MQTT_PUBCOMP: return "MQTT-3.7.2-1";
	case MQTT_SUBACK: return "MQTT-3.9.3-2";
	case MQTT_UNSUBACK: return "MQTT-3.11.3-2";
	case MQTT_DISCONNECT: return "MQTT-3.14.2-1";
	case MQTT_AUTH: return "MQTT-3.15.2-1";
	default: return NULL;
	}
}
