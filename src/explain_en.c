/* \summary: the sentences of --explain in English
 *
 * Each template has, on the line before it, the sections of the specifications it states:
 * "3.1.1" is MQTT Version 3.1.1 (OASIS Standard, 2014), "5.0" MQTT Version 5.0 (OASIS
 * Standard, 2019), RFC 5246 / RFC 8446 TLS 1.2 / 1.3, RFC 793 TCP; "-" for a piece of
 * wording that states nothing. docs/teaching.md has the same references as a table. */
#include "mqttdump/explain.h"
#include "mqttdump/i18n.h"

static const char *const en[EX_COUNT] = {
	/* - */
	[EX_PAYLOAD_TEXT] = N_("\"{text}\""),
	/* - */
	[EX_PAYLOAD_BINARY] = N_("{n} of binary data"),
	/* - */
	[EX_PAYLOAD_EMPTY] = N_("an empty message"),
	/* 3.1.1 §3.8.3, 5.0 §3.8.3.1 (Maximum QoS) */
	[EX_SUB_FILTER] = N_("{topic} at QoS {qos}"),
	/* - */
	[EX_LIST_SEP] = N_(", "),
	/* 3.1.1 §3.9.3, 5.0 §3.9.3 */
	[EX_GRANTED] = N_("QoS {qos} granted"),
	/* 3.1.1 §3.9.3 (0x80), 5.0 §3.9.3 */
	[EX_GRANT_REFUSED] = N_("refused ({reason})"),
	/* 3.1.1 §3.9.3, 5.0 §3.9.3 */
	[EX_MATCH_ITEM] = N_("{topic} (QoS {qos} granted)"),
	/* RFC 793 §3.5 */
	[EX_CLOSE_FIN] = N_("a TCP FIN"),
	/* RFC 793 §3.4 */
	[EX_CLOSE_RST] = N_("a TCP reset (RST)"),

	/* 3.1.1 §3.1, §3.1.2.10, §3.2; 5.0 §3.1, §3.1.2.10, §3.2 */
	[EX_CONNECT] = N_("The client {client} opens an MQTT {version} session and promises to "
		"show a sign of life at least every {keepalive} s; the broker will answer with a "
		"Connect Ack."),
	/* 3.1.1 §3.1.2.10 (0 turns the mechanism off), 5.0 §3.1.2.10, §3.2.2.3.14 */
	[EX_CONNECT_NO_KEEPALIVE] = N_("The client {client} opens an MQTT {version} session with "
		"no keepalive (0): the broker will not close it for silence (unless, in MQTT "
		"5.0, its Connect Ack sets a Server Keep Alive). It will answer with a Connect "
		"Ack."),
	/* 3.1.1 §3.1.2.4 */
	[EX_CONNECT_PERSISTENT] = N_("Clean Session is not set: the broker keeps this client's "
		"subscriptions and pending messages after it leaves."),
	/* 5.0 §3.1.2.4 */
	[EX_CONNECT_CLEAN_START_0] = N_("Clean Start is not set: if the broker has a session for "
		"this client identifier, it goes on with it."),
	/* 5.0 §3.1.2.11.2 */
	[EX_CONNECT_EXPIRY] = N_("Session Expiry Interval {expiry} s: the broker keeps the "
		"session, subscriptions and pending messages included, that long after the "
		"connection closes."),
	/* 5.0 §3.1.2.11.2 (0xFFFFFFFF) */
	[EX_CONNECT_EXPIRY_NEVER] = N_("Session Expiry Interval 0xFFFFFFFF: the session never "
		"expires; the broker keeps it, subscriptions and pending messages included, "
		"after the connection closes, for as long as it runs."),
	/* 5.0 §3.1.2.11.2 (absent: 0) */
	[EX_CONNECT_NO_EXPIRY] = N_("There is no Session Expiry Interval, so the session ends "
		"when the connection closes: nothing is kept for a later one."),
	/* 3.1.1 §3.1.3.4-5, §5.4.5; 5.0 §3.1.3.5-6, §5.4.5 */
	[EX_CONNECT_USER_PASS] = N_("Look: the user name \"{user}\" and the password ({pwlen}) "
		"cross the network in clear text; anyone on the path can read them. "
		"Only TLS (port 8883) hides them."),
	/* 3.1.1 §3.1.3.4, §5.4.5; 5.0 §3.1.3.5, §5.4.5 */
	[EX_CONNECT_USER] = N_("Look: the user name \"{user}\" crosses the network in clear text."),
	/* 3.1.1 §3.1.3.4-5, §5.4.5; 5.0 §3.1.3.5-6, §5.4.5; RFC 5246 / RFC 8446 */
	[EX_CONNECT_USER_PASS_TLS] = N_("The user name \"{user}\" and the password ({pwlen}) "
		"travel inside TLS: on the wire they are encrypted, and only the session "
		"keys (--keylog) let mqttdump read them."),
	/* 3.1.1 §3.1.3.4, §5.4.5; 5.0 §3.1.3.5, §5.4.5; RFC 5246 / RFC 8446 */
	[EX_CONNECT_USER_TLS] = N_("The user name \"{user}\" travels inside TLS: on the wire it is "
		"encrypted."),
	/* 3.1.1 §3.1.3.1 [MQTT-3.1.3-6], [MQTT-3.1.3-7], [MQTT-3.1.3-8] */
	[EX_CONNECT_EMPTY_ID] = N_("The client identifier is empty: a broker that accepts it "
		"gives the client a unique identifier of its own without saying which, and only "
		"with Clean Session set (mqttdump names the client by its address)."),
	/* 5.0 §3.1.3.1 [MQTT-3.1.3-6], [MQTT-3.1.3-7], §3.2.2.3.7 */
	[EX_CONNECT_EMPTY_ID_V5] = N_("The client identifier is empty: a broker that accepts it "
		"gives the client a unique identifier and returns it in the Connect Ack "
		"(Assigned Client Identifier)."),
	/* 3.1.1 §3.1.2.5-7, 5.0 §3.1.2.5-7 */
	[EX_CONNECT_WILL] = N_("It also leaves a will: should it vanish without a Disconnect, the "
		"broker will publish {payload} on {will_topic} at QoS {qos}."),
	/* 3.1.1 §3.1.2.7, 5.0 §3.1.2.7 */
	[EX_CONNECT_WILL_RETAIN] = N_("The will is to be retained, so late subscribers will see "
		"it too."),

	/* 3.1.1 §3.2.2.3 (0x00), 5.0 §3.2.2.2 (0x00) */
	[EX_CONNACK_OK] = N_("The broker accepts {client}: the session is open and both sides "
		"may now send messages."),
	/* 3.1.1 §3.2.2.2, 5.0 §3.2.2.1.1 */
	[EX_CONNACK_SESSION] = N_("Session Present: the broker still had this client's session, "
		"subscriptions included, from an earlier connection."),
	/* 5.0 §3.2.2.3.7, §3.1.3.1 [MQTT-3.1.3-7] */
	[EX_CONNACK_ASSIGNED] = N_("The client sent no identifier: the broker assigns it "
		"{assigned} (Assigned Client Identifier), the name it goes by from now on."),
	/* 3.1.1 §3.2.2.3 [MQTT-3.2.2-5], 5.0 §3.2.2.2 [MQTT-3.2.2-7] */
	[EX_CONNACK_REFUSED] = N_("The broker refuses {client}: {reason} (code {code}). It closes "
		"the connection; nothing else can be sent on it."),
	/* 3.1.1 §3.2.2.3 (1), 5.0 §3.2.2.2 (0x84) */
	[EX_REFUSED_VERSION] = N_("The broker does not speak the protocol version the client asked "
		"for."),
	/* 3.1.1 §3.2.2.3 (2), 5.0 §3.2.2.2 (0x85) */
	[EX_REFUSED_ID] = N_("The broker does not accept this client identifier."),
	/* 3.1.1 §3.2.2.3 (3), 5.0 §3.2.2.2 (0x88, 0x89) */
	[EX_REFUSED_UNAVAILABLE] = N_("The broker is up, but the MQTT service is not available."),
	/* 3.1.1 §3.2.2.3 (4), 5.0 §3.2.2.2 (0x86) */
	[EX_REFUSED_BAD_LOGIN] = N_("The user name or the password is wrong."),
	/* 3.1.1 §3.2.2.3 (5), 5.0 §3.2.2.2 (0x87) */
	[EX_REFUSED_NOT_AUTHORIZED] = N_("This client is not allowed to connect: wrong or missing "
		"credentials, or an access rule forbids it."),

	/* 3.1.1 §3.3, §4.3.1; 5.0 §3.3, §4.3.1 */
	[EX_PUB0_C2B] = N_("The client {client} publishes {payload} on {topic} at QoS 0 (at most "
		"once): the broker passes it on to the subscribers, and nobody acknowledges it."),
	/* 3.1.1 §4.3.1, 5.0 §4.3.1 */
	[EX_PUB0_B2C] = N_("The broker delivers {payload}, published on {topic}, to {client} at "
		"QoS 0: no acknowledgement, and if it is lost, it is lost."),
	/* 3.1.1 §4.3.2, §4.4 [MQTT-4.4.0-1]; 5.0 §4.3.2, §4.4 [MQTT-4.4.0-1] */
	[EX_PUB1_C2B] = N_("QoS 1, step 1 of 2: the client {client} publishes {payload} on {topic} "
		"(id {id}); it keeps the message until the broker answers with a Publish Ack, and "
		"should the connection break first, it sends it again, DUP set, when it "
		"reconnects to the same session."),
	/* 3.1.1 §4.3.2, 5.0 §4.3.2 */
	[EX_PUB1_B2C] = N_("QoS 1, step 1 of 2: the broker delivers {payload}, published on "
		"{topic}, to {client} (id {id}); the client will confirm with a Publish Ack."),
	/* 3.1.1 §4.3.3, 5.0 §4.3.3 */
	[EX_PUB2_C2B] = N_("QoS 2, step 1 of 4: the client {client} publishes {payload} on {topic} "
		"(id {id}); the broker will store the id and answer with a Publish Received."),
	/* 3.1.1 §4.3.3, 5.0 §4.3.3 */
	[EX_PUB2_B2C] = N_("QoS 2, step 1 of 4: the broker delivers {payload}, published on "
		"{topic}, to {client} (id {id}); the client will store the id and answer with a "
		"Publish Received."),
	/* 3.1.1 §3.3.1.3, 5.0 §3.3.1.3 */
	[EX_PUB_RETAIN_C2B] = N_("Notice the Retain flag: the broker keeps this message and hands "
		"it at once to anyone who subscribes to {topic} later."),
	/* 3.1.1 §3.3.1.3 [MQTT-3.3.1-8], 5.0 §3.3.1.3 */
	[EX_PUB_RETAIN_B2C] = N_("The Retain flag is set: this is the message the broker kept for "
		"{topic}, sent because the subscription is new, not a fresh publication."),
	/* 5.0 §3.3.1.3, §3.8.3.1 (Retain As Published) */
	[EX_PUB_RETAIN_RAP] = N_("The Retain flag is set: the subscription asked for Retain As "
		"Published, so the flag is the publisher's, and this may be a fresh publication "
		"as well as the message the broker kept for {topic}."),
	/* 3.1.1 §3.3.1.3 [MQTT-3.3.1-10], 5.0 §3.3.1.3 */
	[EX_PUB_RETAIN_CLEAR] = N_("An empty retained message: it erases the message the broker "
		"was keeping for {topic}."),
	/* 3.1.1 §3.3.1.1, 5.0 §3.3.1.1 */
	[EX_PUB_DUP] = N_("The DUP flag is set: this is a resend of a message that may already "
		"have arrived."),
	/* 5.0 §3.3.2.3.5, §3.3.2.3.6, §4.10 */
	[EX_PUB_RESPONSE_TOPIC] = N_("This is a request: whoever handles it should publish the "
		"answer on {response_topic}, with the same Correlation Data so the requester can "
		"match the two."),
	/* 5.0 §3.3.2.3.5, §4.10 */
	[EX_PUB_RESPONSE_NO_CORR] = N_("This is a request: whoever handles it should publish the "
		"answer on {response_topic}. It carries no Correlation Data, so an answer can "
		"only be told by the topic it comes on."),
	/* 5.0 §3.3.2.3.6, §4.10.1 */
	[EX_PUB_CORRELATION] = N_("This is an answer: it carries the Correlation Data of the "
		"request, which is how the requester tells which question it answers."),
	/* 5.0 §3.3.2.3.4 */
	[EX_PUB_TOPIC_ALIAS] = N_("The topic name is empty: a Topic Alias set earlier stands for "
		"{topic}, which saves bytes on every message."),
	/* 3.1.1 §3.1.2.5, 5.0 §3.1.2.5, §3.1.3.2 (Will Delay Interval) */
	[EX_PUB_IS_WILL] = N_("This is the will of {owner}: its connection ended without a "
		"Disconnect, so the broker publishes the will on its behalf."),
	/* 3.1.1 §3.8.4, §4.3; 5.0 §3.8.4, §4.3 */
	[EX_PUB_HOP] = N_("This QoS covers one hop, from {client} to the broker: each subscriber "
		"gets the message in an exchange of its own, at the lower of this QoS and the "
		"one its subscription was granted."),
	/* 3.1.1 §3.8.4, §4.7; 5.0 §3.8.4, §4.7 */
	[EX_PUB_MATCHED] = N_("The broker sends it to {client} because of its subscription to "
		"{matches}."),
	/* 3.1.1 §3.2.2.2, §4.1; 5.0 §3.2.2.1.1, §4.1 */
	[EX_PUB_FROM_SESSION] = N_("No Subscribe on this connection matches {topic}: the "
		"subscription comes from the session the broker kept (Session Present)."),
	/* 3.1.1 §3.8.4, 5.0 §3.8.4 (a broker may deliver before its SUBACK) */
	[EX_PUB_MATCHED_PENDING] = N_("It matches {client}'s subscription to {matches}, not "
		"acknowledged yet: a broker may start delivering before its Subscribe Ack."),
	/* 3.1.1 §3.2.2.2, §3.8.4; 5.0 §3.2.2.1.1, §3.8.4 */
	[EX_PUB_PENDING_SESSION] = N_("Since the broker kept this client's session (Session "
		"Present), the message may as well come from that session's subscriptions."),
	/* 3.1.1 §3.8.4, 5.0 §3.8.4 */
	[EX_PUB_DOWNGRADE] = N_("The client {publisher} published it at QoS {pub_qos}, but {client} was "
		"granted at most QoS {max_qos}: the broker delivers it at the lower of the two, "
		"QoS {qos}."),

	/* 3.1.1 §3.4, §4.3.2; 5.0 §3.4, §4.3.2 */
	[EX_PUBACK_C2B] = N_("QoS 1, step 2 of 2: the client {client} confirms it received message "
		"{id}; the broker can forget it."),
	/* 3.1.1 §3.4, §4.3.2; 5.0 §3.4, §4.3.2 */
	[EX_PUBACK_B2C] = N_("QoS 1, step 2 of 2: the broker confirms it received message {id} "
		"from {client}; the client can forget it."),
	/* 3.1.1 §3.5, §4.3.3; 5.0 §3.5, §4.3.3 */
	[EX_PUBREC_C2B] = N_("QoS 2, step 2 of 4: the client {client} has received message {id} "
		"and noted its id; the broker will answer with a Publish Release."),
	/* 3.1.1 §3.5, §4.3.3; 5.0 §3.5, §4.3.3 */
	[EX_PUBREC_B2C] = N_("QoS 2, step 2 of 4: the broker has received message {id} from "
		"{client} and noted its id; the client will answer with a Publish Release."),
	/* 3.1.1 §3.6, §4.3.3; 5.0 §3.6, §4.3.3 */
	[EX_PUBREL_C2B] = N_("QoS 2, step 3 of 4: the client {client} releases message {id}: it "
		"will not send it again, and waits for a Publish Complete."),
	/* 3.1.1 §3.6, §4.3.3; 5.0 §3.6, §4.3.3 */
	[EX_PUBREL_B2C] = N_("QoS 2, step 3 of 4: the broker releases message {id}: it will not "
		"send it again, and waits for {client}'s Publish Complete."),
	/* 3.1.1 §3.7, §4.3.3; 5.0 §3.7, §4.3.3 */
	[EX_PUBCOMP_C2B] = N_("QoS 2, step 4 of 4: the client {client} closes exchange {id}; on "
		"this hop, from the broker to {client}, the message was delivered exactly once."),
	/* 3.1.1 §3.7, §4.3.3, §3.8.4; 5.0 §3.7, §4.3.3, §3.8.4 */
	[EX_PUBCOMP_B2C] = N_("QoS 2, step 4 of 4: the broker closes exchange {id} with {client}; "
		"the broker has the message exactly once. That ends the hop from {client} to the "
		"broker only: each subscriber gets it in an exchange of its own."),
	/* 5.0 §3.4.2.1, §3.5.2.1, §3.6.2.1, §3.7.2.1 */
	[EX_ACK_REASON] = N_("The acknowledgement carries a reason: {reason} (code {code})."),

	/* 3.1.1 §3.8, 5.0 §3.8 */
	[EX_SUBSCRIBE] = N_("The client {client} asks the broker to deliver messages on {filters}; "
		"the broker will answer with a Subscribe Ack (id {id})."),
	/* 3.1.1 §4.7.1, 5.0 §4.7.1 */
	[EX_SUB_WILDCARD] = N_("In a filter, + stands for exactly one level of the topic and # for "
		"every level below."),
	/* 3.1.1 §3.9, §3.8.4; 5.0 §3.9, §3.8.4 */
	[EX_SUBACK] = N_("The broker answers the Subscribe (id {id}) of {client}: {granted}. From "
		"now on it forwards the messages that match the filters it granted."),
	/* 3.1.1 §3.10, 5.0 §3.10 */
	[EX_UNSUBSCRIBE] = N_("The client {client} asks the broker to stop sending messages on "
		"{filters}; the broker will answer with an Unsubscribe Ack (id {id})."),
	/* 3.1.1 §3.11, 5.0 §3.11 */
	[EX_UNSUBACK] = N_("The broker confirms that {client} is unsubscribed (id {id})."),

	/* 3.1.1 §3.1.2.10 [MQTT-3.1.2-23], §3.12; 5.0 §3.1.2.10 [MQTT-3.1.2-20], §3.12 */
	[EX_PINGREQ] = N_("Keepalive: {client} pings the broker to show it is still there: it "
		"promised a sign of life every {keepalive} s, and when it has nothing else to "
		"send, a Ping Request is that sign. The broker must answer with a Ping Response."),
	/* 3.1.1 §3.12 [MQTT-3.12.4-1], 5.0 §3.12.4 [MQTT-3.12.4-1] */
	[EX_PINGREQ_NO_KEEPALIVE] = N_("Keepalive: {client} pings the broker to check the "
		"connection is alive; the broker must answer with a Ping Response."),
	/* 3.1.1 §3.13, §3.1.2.10; 5.0 §3.13, §3.1.2.10 */
	[EX_PINGRESP] = N_("The broker answers {client}'s ping: the connection works both ways. "
		"Without this answer, the client would give the connection up as lost."),

	/* 3.1.1 §3.14 [MQTT-3.14.4-1], 5.0 §3.14 */
	[EX_DISCONNECT_C2B] = N_("The client {client} says goodbye cleanly; then the TCP "
		"connection closes."),
	/* 3.1.1 §3.14.4 [MQTT-3.14.4-3], 5.0 §3.14.4 [MQTT-3.14.4-3] */
	[EX_DISCONNECT_DROP_WILL] = N_("Since it left properly, the broker throws its will away "
		"without publishing it."),
	/* 5.0 §3.14.2.1 (0x04) */
	[EX_DISCONNECT_WILL] = N_("The client {client} leaves, but asks the broker to publish its "
		"will all the same (Disconnect with Will Message)."),
	/* 5.0 §3.14, §3.14.2.1 */
	[EX_DISCONNECT_B2C] = N_("The broker ends the session of {client}: {reason} (code {code})."),
	/* 5.0 §3.15, §4.12 */
	[EX_AUTH] = N_("Enhanced authentication: {reason}. Client and broker trade authentication "
		"data until the broker sends its Connect Ack."),
	/* 3.1.1 §2.2.1 (0, 15 reserved), 5.0 §2.1.2 (0 reserved) */
	[EX_RESERVED] = N_("Packet type {type} is reserved: this is not valid MQTT, and a broker "
		"would close the connection."),

	/* 3.1.1 §4.1, §3.1.2.5; 5.0 §4.1, §3.1.2.5; RFC 793 */
	[EX_CLOSED_BY_CLIENT] = N_("Frame {frame}: the client {client} closes the connection with "
		"{how}, without a Disconnect."),
	/* 3.1.1 §4.1, §3.1.2.5; 5.0 §4.1, §3.1.2.5; RFC 793 */
	[EX_CLOSED_BY_BROKER] = N_("Frame {frame}: the broker closes the connection of {client} "
		"with {how}, without a Disconnect."),
	/* 3.1.1 §3.1.2.10 [MQTT-3.1.2-24], 5.0 §3.1.2.10 [MQTT-3.1.2-22] */
	[EX_CLOSED_KEEPALIVE] = N_("The client {client} had promised a sign of life every {keepalive} s "
		"and sent nothing for {silence} s: past one and a half times its keep alive, the "
		"broker must close the connection."),
	/* 3.1.1 §3.1.2.5 [MQTT-3.1.2-8], 5.0 §3.1.2.5, §3.1.3.2 */
	[EX_CLOSED_WILL] = N_("Its will is due: the broker publishes it (in MQTT 5.0, once the "
		"Will Delay Interval has passed)."),
	/* - (a fact of the capture) */
	[EX_CAPTURE_END] = N_("The capture ends while {client} is still connected."),

	/* RFC 5246 §7.4.1.2, RFC 6066 §3 (server_name), RFC 8446 §4.1.2, §4.2.1 */
	[EX_TLS_CLIENT_HELLO] = N_("TLS begins: the client says hello in clear, naming the server "
		"it wants ({sni}) and offering {versions}; anyone on the path can read this."),
	/* RFC 5246 §7.4.1.2, RFC 8446 §4.1.2, §4.2.1 */
	[EX_TLS_CLIENT_HELLO_NO_SNI] = N_("TLS begins: the client says hello in clear, offering "
		"{versions}; anyone on the path can read this."),
	/* RFC 5246 §7.4.1.3, RFC 8446 §4.1.3 */
	[EX_TLS_SERVER_HELLO] = N_("The broker answers in clear with its choice: {tls_version}, "
		"cipher suite {suite}."),
	/* RFC 5246 §7.4.2, §7.4.6 (in clear); RFC 8446 §4.4.2 is encrypted */
	[EX_TLS_CERT] = N_("In TLS 1.2 the certificates cross in clear: anyone can read that this "
		"one names {subject}, issued by {issuer}."),
	/* RFC 5246 §6.2.3, RFC 8446 §5.2 */
	[EX_TLS_ENCRYPTED] = N_("From here on the records are encrypted and mqttdump has no keys: "
		"of each record, the MQTT ones included, only the size ({length} bytes for this "
		"one) and the time are visible. A key log given with --keylog opens them."),
	/* RFC 5246 §6.2.3, RFC 8446 §5.2; NSS key log format */
	[EX_TLS_DECRYPTED] = N_("From here on the records are encrypted on the wire; mqttdump "
		"decrypts them with the key log, and what follows is the MQTT inside."),
	/* RFC 5246 §7.2.2, RFC 8446 §6.2 */
	[EX_TLS_ALERT] = N_("A fatal TLS alert, in clear: {alert}. The TLS session ends here."),
	/* RFC 5246 §7.2.1, RFC 8446 §6.1 */
	[EX_TLS_CLOSE_NOTIFY] = N_("The TLS session is closed cleanly (close_notify alert)."),

	/* 3.1.1 §1.2 (MUST), §4.8; 5.0 §1.2, §4.13 */
	[EX_WARNING] = N_("Careful: this packet breaks a rule of the specification ({warning})."),
	/* - (a fact of the capture) */
	[EX_INCOMPLETE] = N_("Part of this message was not captured; only what arrived is shown."),
	/* 3.1.1 §4.8, 5.0 §4.13 (Malformed Packet) */
	[EX_MALFORMED] = N_("This packet cannot be read to its end: the receiver must treat it as "
		"a Malformed Packet and close the connection."),
};

const struct explain_table explain_en = { "en", en };
