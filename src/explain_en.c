/* \summary: the sentences of --explain in English */
#include "mqttdump/explain.h"

static const char *const en[EX_COUNT] = {
	[EX_PAYLOAD_TEXT] = "\"{text}\"",
	[EX_PAYLOAD_BINARY] = "{n} bytes of binary data",
	[EX_PAYLOAD_EMPTY] = "an empty message",
	[EX_SUB_FILTER] = "{topic} at QoS {qos}",
	[EX_LIST_SEP] = ", ",
	[EX_GRANTED] = "QoS {qos} granted",
	[EX_GRANT_REFUSED] = "refused ({reason})",

	[EX_CONNECT] = "The client {client} opens an MQTT {version} session and promises to "
		"show a sign of life at least every {keepalive} s; the broker will answer with a "
		"Connect Ack.",
	[EX_CONNECT_NO_KEEPALIVE] = "The client {client} opens an MQTT {version} session with "
		"no keepalive (0): the broker will never close it for silence. It will answer "
		"with a Connect Ack.",
	[EX_CONNECT_PERSISTENT] = "Clean Session is not set: the broker keeps this client's "
		"subscriptions and pending messages after it leaves.",
	[EX_CONNECT_USER_PASS] = "Look: the user name \"{user}\" and the password ({pwlen} "
		"bytes) cross the network in clear text; anyone on the path can read them. "
		"Only TLS (port 8883) hides them.",
	[EX_CONNECT_USER] = "Look: the user name \"{user}\" crosses the network in clear text.",
	[EX_CONNECT_WILL] = "It also leaves a will: should it vanish without a Disconnect, the "
		"broker will publish {payload} on {will_topic} at QoS {qos}.",
	[EX_CONNECT_WILL_RETAIN] = "The will is to be retained, so late subscribers will see "
		"it too.",

	[EX_CONNACK_OK] = "The broker accepts {client}: the session is open and both sides "
		"may now send messages.",
	[EX_CONNACK_SESSION] = "Session Present: the broker still had this client's session, "
		"subscriptions included, from an earlier connection.",
	[EX_CONNACK_REFUSED] = "The broker refuses {client}: {reason} (code {code}). It closes "
		"the connection; nothing else can be sent on it.",
	[EX_REFUSED_VERSION] = "The broker does not speak the protocol version the client asked "
		"for.",
	[EX_REFUSED_ID] = "The broker does not accept this client identifier.",
	[EX_REFUSED_UNAVAILABLE] = "The broker is up, but the MQTT service is not available.",
	[EX_REFUSED_BAD_LOGIN] = "The user name or the password is wrong.",
	[EX_REFUSED_NOT_AUTHORIZED] = "This client is not allowed to connect: wrong or missing "
		"credentials, or an access rule forbids it.",

	[EX_PUB0_C2B] = "The client {client} publishes {payload} on {topic} at QoS 0 (at most "
		"once): the broker passes it on to the subscribers, and nobody acknowledges it.",
	[EX_PUB0_B2C] = "The broker delivers {payload}, published on {topic}, to {client} at "
		"QoS 0: no acknowledgement, and if it is lost, it is lost.",
	[EX_PUB1_C2B] = "QoS 1, step 1 of 2: the client {client} publishes {payload} on {topic} "
		"(id {id}); it keeps the message and will send it again until the broker answers "
		"with a Publish Ack.",
	[EX_PUB1_B2C] = "QoS 1, step 1 of 2: the broker delivers {payload}, published on "
		"{topic}, to {client} (id {id}); the client will confirm with a Publish Ack.",
	[EX_PUB2_C2B] = "QoS 2, step 1 of 4: the client {client} publishes {payload} on {topic} "
		"(id {id}); the broker will store the id and answer with a Publish Received.",
	[EX_PUB2_B2C] = "QoS 2, step 1 of 4: the broker delivers {payload}, published on "
		"{topic}, to {client} (id {id}); the client will store the id and answer with a "
		"Publish Received.",
	[EX_PUB_RETAIN_C2B] = "Notice the Retain flag: the broker keeps this message and hands "
		"it at once to anyone who subscribes to {topic} later.",
	[EX_PUB_RETAIN_B2C] = "The Retain flag is set: this is the message the broker kept for "
		"{topic}, sent because the subscription is new, not a fresh publication.",
	[EX_PUB_RETAIN_CLEAR] = "An empty retained message: it erases the message the broker "
		"was keeping for {topic}.",
	[EX_PUB_DUP] = "The DUP flag is set: this is a resend of a message that may already "
		"have arrived.",
	[EX_PUB_RESPONSE_TOPIC] = "This is a request: whoever handles it should publish the "
		"answer on {response_topic}, with the same Correlation Data so the requester can "
		"match the two.",
	[EX_PUB_CORRELATION] = "This is an answer: it carries the Correlation Data of the "
		"request, which is how the requester tells which question it answers.",
	[EX_PUB_TOPIC_ALIAS] = "The topic name is empty: a Topic Alias set earlier stands for "
		"{topic}, which saves bytes on every message.",

	[EX_PUB_IS_WILL] = "This is the will of {owner}: its connection ended without a "
		"Disconnect, so the broker publishes the will on its behalf.",

	[EX_PUBACK_C2B] = "QoS 1, step 2 of 2: the client {client} confirms it received message "
		"{id}; the broker can forget it.",
	[EX_PUBACK_B2C] = "QoS 1, step 2 of 2: the broker confirms it received message {id} "
		"from {client}; the client can forget it.",
	[EX_PUBREC_C2B] = "QoS 2, step 2 of 4: the client {client} has received message {id} "
		"and noted its id; the broker will answer with a Publish Release.",
	[EX_PUBREC_B2C] = "QoS 2, step 2 of 4: the broker has received message {id} from "
		"{client} and noted its id; the client will answer with a Publish Release.",
	[EX_PUBREL_C2B] = "QoS 2, step 3 of 4: the client {client} releases message {id}: it "
		"will not send it again, and waits for a Publish Complete.",
	[EX_PUBREL_B2C] = "QoS 2, step 3 of 4: the broker releases message {id}: it will not "
		"send it again, and waits for {client}'s Publish Complete.",
	[EX_PUBCOMP_C2B] = "QoS 2, step 4 of 4: the client {client} closes exchange {id}; the "
		"message was delivered exactly once.",
	[EX_PUBCOMP_B2C] = "QoS 2, step 4 of 4: the broker closes exchange {id} with {client}; "
		"the message was delivered exactly once.",
	[EX_ACK_REASON] = "The acknowledgement carries a reason: {reason} (code {code}).",

	[EX_SUBSCRIBE] = "The client {client} asks the broker to deliver messages on {filters}; "
		"the broker will answer with a Subscribe Ack (id {id}).",
	[EX_SUB_WILDCARD] = "In a filter, + stands for exactly one level of the topic and # for "
		"every level below.",
	[EX_SUBACK] = "The broker answers subscription {id} of {client}: {granted}. From now on "
		"it forwards the matching messages.",
	[EX_UNSUBSCRIBE] = "The client {client} asks the broker to stop sending messages on "
		"{filters}; the broker will answer with an Unsubscribe Ack (id {id}).",
	[EX_UNSUBACK] = "The broker confirms that {client} is unsubscribed (id {id}).",

	[EX_PINGREQ] = "Keepalive: {client} has had nothing to send, so it pings the broker to "
		"show it is still there (it promised a sign of life every {keepalive} s); the "
		"broker must answer with a Ping Response.",
	[EX_PINGREQ_NO_KEEPALIVE] = "Keepalive: {client} pings the broker to check the "
		"connection is alive; the broker must answer with a Ping Response.",
	[EX_PINGRESP] = "The broker answers {client}'s ping: the connection works both ways. "
		"Without this answer, the client would give the connection up as lost.",

	[EX_DISCONNECT_C2B] = "The client {client} says goodbye cleanly; then the TCP "
		"connection closes.",
	[EX_DISCONNECT_DROP_WILL] = "Since it left properly, the broker throws its will away "
		"without publishing it.",
	[EX_DISCONNECT_WILL] = "The client {client} leaves, but asks the broker to publish its "
		"will all the same (Disconnect with Will Message).",
	[EX_DISCONNECT_B2C] = "The broker ends the session of {client}: {reason} (code {code}).",
	[EX_AUTH] = "Enhanced authentication: {reason}. Client and broker trade authentication "
		"data until the broker sends its Connect Ack.",
	[EX_RESERVED] = "Packet type {type} is reserved: this is not valid MQTT, and a broker "
		"would close the connection.",

	[EX_WARNING] = "Careful: this packet breaks a rule of the specification ({warning}).",
	[EX_INCOMPLETE] = "Part of this message was not captured; only what arrived is shown.",
	[EX_MALFORMED] = "This packet cannot be read to its end: the receiver must treat it as "
		"a Malformed Packet and close the connection.",
};

const struct explain_table explain_en = { "en", en };
