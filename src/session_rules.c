/* \summary: the rules session tracking checks on each packet (anomalies, security notes)
 * and the names of what it reports */
#include "session_int.h"

#include <string.h>

/* ---- names --------------------------------------------------------------------------- */

static const char *const end_names[SESSION_END_KINDS] = {
	[SESSION_OPEN] = "open",
	[SESSION_END_DISCONNECT] = "disconnect",
	[SESSION_END_CLIENT_FIN] = "client_fin",
	[SESSION_END_BROKER_FIN] = "broker_fin",
	[SESSION_END_CLIENT_RST] = "client_rst",
	[SESSION_END_BROKER_RST] = "broker_rst",
	[SESSION_END_IDLE] = "idle",
	[SESSION_END_EVICTED] = "evicted",
	[SESSION_END_REUSED] = "reused",
	[SESSION_END_CAPTURE] = "capture_end",
};

static const char *const txn_names[SESSION_TXN_KINDS] = {
	"connect", "publish", "publish", "subscribe", "unsubscribe", "ping", "auth",
};

static const char *const status_names[] = { "complete", "incomplete", "failed" };

static const struct {
	const char *name, *rule311, *rule5, *text;
} notes[SESSION_NOTE_KINDS] = {
	[SESSION_AN_ACK_WITHOUT_REQUEST] = { "ack_without_request", "3.1.1 section 4.3",
		"5.0 section 4.3", "an acknowledgement of no request in flight" },
	[SESSION_AN_SECOND_CONNECT] = { "second_connect", "MQTT-3.1.0-2", "MQTT-3.1.0-2",
		"a second CONNECT on the connection" },
	[SESSION_AN_BEFORE_CONNECT] = { "before_connect", "MQTT-3.1.0-1 / MQTT-3.2.0-1",
		"MQTT-3.1.0-1 / MQTT-3.2.0-1",
		"a packet before CONNECT (client) or before CONNACK (broker)" },
	[SESSION_AN_KEEPALIVE] = { "keepalive_exceeded", "MQTT-3.1.2-24", "MQTT-3.1.2-22",
		"no packet from the client within 1.5 times the keep alive" },
	[SESSION_AN_QOS2_UNFINISHED] = { "qos2_unfinished", "3.1.1 section 4.3.3",
		"5.0 section 4.3.3", "a QoS 2 flow not finished when the connection ended" },
	[SESSION_AN_ID_REUSED] = { "packet_id_reused", "MQTT-2.3.1-2", "5.0 section 2.2.1",
		"a packet identifier still in use sent with a new request" },
	[SESSION_AN_WRONG_DIRECTION] = { "wrong_direction", "3.1.1 section 2.2.1",
		"5.0 section 2.1.2", "a packet only the other side may send" },
	[SESSION_SEC_CLEAR_CREDENTIALS] = { "credentials_without_tls", NULL, NULL,
		"user name or password sent without TLS" },
	[SESSION_SEC_ANONYMOUS] = { "anonymous_accepted", NULL, NULL,
		"a session without a user name accepted" },
	[SESSION_SEC_MQTT31] = { "mqtt31", NULL, NULL, "MQTT 3.1 (MQIsdp) in use" },
	[SESSION_SEC_SUBSCRIBE_ALL] = { "subscribe_all", NULL, NULL,
		"a subscription to \"#\": every topic" },
};

const char *session_end_name(int ended)
{
	return ended >= 0 && ended < SESSION_END_KINDS ? end_names[ended] : "?";
}

const char *session_txn_kind_name(int kind)
{
	return kind >= 0 && kind < SESSION_TXN_KINDS ? txn_names[kind] : "?";
}

const char *session_txn_status_name(int status)
{
	return status >= 0 && status <= SESSION_TXN_FAILED ? status_names[status] : "?";
}

const char *session_anomaly_name(int kind)
{
	return kind >= 0 && kind < SESSION_NOTE_KINDS ? notes[kind].name : "?";
}

const char *session_anomaly_rule(int kind, uint8_t version)
{
	if (kind < 0 || kind >= SESSION_NOTE_KINDS)
		return NULL;
	return version == MQTT_V5 ? notes[kind].rule5 : notes[kind].rule311;
}

const char *session_anomaly_text(int kind)
{
	return kind >= 0 && kind < SESSION_NOTE_KINDS ? notes[kind].text : "?";
}

int session_is_security_note(int kind)
{
	return kind >= SESSION_AN_KINDS && kind < SESSION_NOTE_KINDS;
}

/* Who sends what, from the packet type table [2.1.2]: in 3.x only the client sends
 * DISCONNECT. */
static int is_client_only(uint8_t type, uint8_t version)
{
	return mqtt_type_senders(type, version) == MQTT_FROM_CLIENT;
}

static int is_broker_only(uint8_t type, uint8_t version)
{
	return mqtt_type_senders(type, version) == MQTT_FROM_SERVER;
}

int sess_subscribes_all(const struct mqtt_msg *m)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t opts;

	while (mqtt_next_sub(&c, m->version, &f, &opts) == MQTT_OK)
		if (f.len == 1 && f.p[0] == '#')
			return 1;
	return 0;
}

void sess_sec_note(struct sess *s, struct outbox *ob, int kind, const struct mqtt_record *rec,
		   int from, int pass)
{
	uint8_t bit = (uint8_t)(1u << (kind - SESSION_AN_KINDS));

	if (kind != SESSION_SEC_SUBSCRIBE_ALL) {
		if (s->sec_once & bit)
			return;
		s->sec_once |= bit;
	}
	sess_out_anomaly(ob, kind, from, rec, pass);
}

uint16_t sess_server_keepalive(const struct mqtt_msg *m, uint8_t *has)
{
	struct mqtt_prop p;

	if (!mqtt_find_prop_in(m->props, MQTT_PROP_SERVER_KEEP_ALIVE, &p))
		return 0;
	*has = 1;
	return (uint16_t)p.num;
}

static uint16_t effective_keepalive(const struct sess *s)
{
	return s->has_server_keepalive ? s->server_keepalive : s->pub.keepalive;
}

int sess_keepalive_late(const struct sess *s, const struct frame_ref *now, uint64_t *ms)
{
	uint16_t ka = effective_keepalive(s);
	uint64_t ns;

	if (!s->pub.have_connect || !ka)
		return 0;
	ns = sess_elapsed_ns(&s->last_client, now);
	*ms = ns / 1000000;
	return ns > (uint64_t)ka * 1500000000ull;
}

/* Packets out of order or sent by the wrong side. Returns 1 for a packet only the other
 * side may send (it takes no part in the bookkeeping). */
int sess_order_anomaly(struct sess *s, struct outbox *ob, const struct mqtt_record *rec,
		       int from, int pass)
{
	uint8_t type = rec->msg.hdr.type;

	if ((from == SESSION_BROKER && is_client_only(type, s->pub.version)) ||
	    (from == SESSION_CLIENT && is_broker_only(type, s->pub.version))) {
		sess_out_anomaly(ob, SESSION_AN_WRONG_DIRECTION, from, rec, pass);
		return 1;
	}
	if (from == SESSION_CLIENT && !s->pub.have_connect && type != MQTT_CONNECT &&
	    s->pub.flow->saw_syn)
		sess_out_anomaly(ob, SESSION_AN_BEFORE_CONNECT, from, rec, pass);
	else if (from == SESSION_BROKER && !s->pub.have_connack && type != MQTT_CONNACK &&
		 type != MQTT_AUTH && (s->pub.flow->saw_syn || s->pub.have_connect))
		sess_out_anomaly(ob, SESSION_AN_BEFORE_CONNECT, from, rec, pass);
	return 0;
}
