/* Session tracker: transaction matching, anomalies, endings, wills, the record filter. */
#include "mqttdump/session.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* ---- what the observers saw ---- */
#define MAXN 64
static struct session_txn txns[MAXN];
static int ntxn;
static struct session_anomaly ans[MAXN];
static int nan_;
static struct session ends[8];
static char end_clientid[8][SESSION_STR_MAX + 1];
static int nend;
static int nmsg, nev;
static uint64_t will_dead[8], will_to[8];
static int nwill;

static void o_msg(void *c, const struct session *s, const struct mqtt_record *r)
{
	(void)c; (void)s; (void)r;
	nmsg++;
}
static void o_ev(void *c, const struct session *s, const struct framer_event *e)
{
	(void)c; (void)s; (void)e;
	nev++;
}
static void o_txn(void *c, const struct session *s, const struct session_txn *t)
{
	(void)c; (void)s;
	if (ntxn < MAXN)
		txns[ntxn++] = *t;
}
static void o_an(void *c, const struct session *s, const struct session_anomaly *a)
{
	(void)c; (void)s;
	if (nan_ < MAXN)
		ans[nan_++] = *a;
}
static void o_end(void *c, const struct session *s)
{
	(void)c;
	if (nend < 8) {
		snprintf(end_clientid[nend], sizeof end_clientid[nend], "%s", s->clientid);
		ends[nend++] = *s;
	}
}
static void o_will(void *c, uint64_t dead, uint64_t to, const struct frame_ref *at)
{
	(void)c; (void)at;
	will_dead[nwill] = dead;
	will_to[nwill++] = to;
}

static struct session_tracker *T;
static struct reasm_flow F[3];
static uint64_t frame_no;

static void setup(void)
{
	struct session_config cfg = { 0 };
	struct session_observer o = { o_msg, o_txn, o_an, o_ev, o_end, o_will, NULL, NULL };

	ntxn = nan_ = nend = nmsg = nwill = nev = 0;
	frame_no = 0;
	memset(F, 0, sizeof F);
	for (int i = 0; i < 3; i++) {
		F[i].index = (uint64_t)i;
		F[i].saw_syn = 1;
	}
	T = session_new(&cfg);
	cr_assert(T);
	cr_assert_eq(session_observe(T, &o), 0);
}

static void teardown(void)
{
	session_free(T);
}

static void refilter(const char *topic, const char *client, int type)
{
	static const char *topics[1], *clients[1]; /* the tracker borrows them */
	struct session_config cfg = { topics, topic != NULL, clients, client != NULL,
				      type >= 0 ? 1u << type : 0 };
	struct session_observer o = { o_msg, o_txn, o_an, o_ev, o_end, o_will, NULL, NULL };

	topics[0] = topic;
	clients[0] = client;
	ntxn = nan_ = nend = nmsg = nwill = 0;
	session_free(T);
	T = session_new(&cfg);
	session_observe(T, &o);
}

/* Feed one packet (whole bytes) at time ms on flow f, from the client (up) or broker. */
static int feed(int f, int up, double ms, const uint8_t *b, size_t n)
{
	struct mqtt_record rec;
	int rc;

	memset(&rec, 0, sizeof rec);
	rec.flow = &F[f];
	rec.dir = up ? REASM_TO_BROKER : REASM_TO_CLIENT;
	rec.at.frame = ++frame_no;
	rec.at.ts_sec = 1000 + (int64_t)(ms / 1000);
	rec.at.ts_nsec = (uint32_t)((ms - (double)(int64_t)(ms / 1000) * 1000) * 1e6);
	rec.version = MQTT_V311;
	rec.length_known = 1;
	rec.have = (uint32_t)n;
	rec.raw = b;
	rc = mqtt_parse(b, n, b[0] >> 4 == MQTT_CONNECT ? MQTT_VUNKNOWN : MQTT_V311, &rec.msg);
	cr_assert_eq(rc, MQTT_OK, "packet %02x does not parse", b[0]);
	return session_message(T, &rec);
}

#define FEED(f, up, ms, ...) do { const uint8_t p_[] = { __VA_ARGS__ }; \
	feed(f, up, ms, p_, sizeof p_); } while (0)

static void end_flow(int f, int why, int closer, double ms)
{
	struct framer_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = FRAMER_EV_END;
	ev.flow = &F[f];
	ev.why = why;
	F[f].closer = (uint8_t)closer;
	ev.at.frame = ++frame_no;
	ev.at.ts_sec = 1000 + (int64_t)(ms / 1000);
	session_event(T, &ev);
}

/* CONNECT 3.1.1, client id "c1", keepalive 10, clean, no user */
#define CONNECT_C1 0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, 2, 'c', '1'
#define CONNACK_OK 0x20, 2, 0, 0
#define PUB1(id) 0x32, 7, 0, 3, 'a', '/', 'b', 0, id
#define PUB2(id) 0x34, 7, 0, 3, 'a', '/', 'b', 0, id
#define ACK(t, id) (uint8_t)((t) << 4 | ((t) == MQTT_PUBREL ? 2 : 0)), 2, 0, id

static void connected(int f)
{
	FEED(f, 1, 0, CONNECT_C1);
	FEED(f, 0, 1, CONNACK_OK);
}

static int count_an(int kind)
{
	int n = 0;
	for (int i = 0; i < nan_; i++)
		n += ans[i].kind == kind;
	return n;
}

static int count_txn(int kind, int status)
{
	int n = 0;
	for (int i = 0; i < ntxn; i++)
		n += txns[i].kind == kind && txns[i].status == status;
	return n;
}

static int anomalies_only(void)
{
	int n = 0;
	for (int i = 0; i < nan_; i++)
		n += !session_is_security_note(ans[i].kind);
	return n;
}

TestSuite(session, .init = setup, .fini = teardown);

Test(session, topic_filter_match)
{
	static const struct { const char *f, *t; int m; } v[] = {
		{ "a/b", "a/b", 1 }, { "a/b", "a/c", 0 }, { "a/+", "a/b", 1 }, { "a/+", "a/b/c", 0 },
		{ "a/#", "a", 1 }, { "a/#", "a/b/c", 1 }, { "#", "x/y", 1 }, { "+/+", "a/b", 1 },
		{ "+", "$SYS", 0 }, { "#", "$SYS/x", 0 }, { "$SYS/#", "$SYS/x", 1 }, { "a/+/c", "a//c", 1 },
		{ "+", "", 1 }, { "a", "ab", 0 }, { "ab", "a", 0 }, { "a/b/#", "a/bc", 0 },
		{ "+/b", "a/b/c", 0 }, { "a/+", "a/", 1 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		cr_expect_eq(mqtt_topic_match(v[i].f, strlen(v[i].f), (const uint8_t *)v[i].t,
					      strlen(v[i].t)), v[i].m, "%s vs %s", v[i].f, v[i].t);
}

Test(session, type_names)
{
	cr_expect_eq(session_type_by_name("PUBLISH"), MQTT_PUBLISH);
	cr_expect_eq(session_type_by_name("puback"), MQTT_PUBACK);
	cr_expect_eq(session_type_by_name("14"), MQTT_DISCONNECT);
	cr_expect_eq(session_type_by_name("PUBLISHX"), -1);
	cr_expect_eq(session_type_by_name("16"), -1);
	cr_expect_eq(session_type_by_name(""), -1);
}

Test(session, connect_connack_latency)
{
	FEED(0, 1, 0, CONNECT_C1);
	FEED(0, 0, 2.5, CONNACK_OK);
	cr_assert_eq(ntxn, 1);
	cr_expect_eq(txns[0].kind, SESSION_TXN_CONNECT);
	cr_expect_eq(txns[0].status, SESSION_TXN_COMPLETE);
	cr_expect_eq(txns[0].latency_ns, 2500000);
	cr_expect_eq(count_an(SESSION_SEC_ANONYMOUS), 1);
	cr_expect_eq(anomalies_only(), 0);
}

Test(session, connack_refused_is_failed)
{
	FEED(0, 1, 0, CONNECT_C1);
	FEED(0, 0, 1, 0x20, 2, 0, 5);
	cr_assert_eq(ntxn, 1);
	cr_expect_eq(txns[0].status, SESSION_TXN_FAILED);
	cr_expect_eq(txns[0].code, 5);
	cr_expect_eq(count_an(SESSION_SEC_ANONYMOUS), 0, "refused: not accepted");
}

Test(session, qos1_both_directions)
{
	connected(0);
	FEED(0, 1, 10, PUB1(7));
	FEED(0, 0, 11, PUB1(7)); /* the broker's own id space: another transaction */
	FEED(0, 0, 12, ACK(MQTT_PUBACK, 7));
	FEED(0, 1, 14, ACK(MQTT_PUBACK, 7));
	cr_assert_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_COMPLETE), 2);
	cr_expect_eq(txns[1].from, SESSION_CLIENT);
	cr_expect_eq(txns[1].latency_ns, 2000000);
	cr_expect_eq(txns[2].from, SESSION_BROKER);
	cr_expect_eq(txns[2].latency_ns, 3000000);
	cr_expect_eq(anomalies_only(), 0);
}

Test(session, qos2_full_flow)
{
	connected(0);
	FEED(0, 1, 10, PUB2(3));
	FEED(0, 0, 11, ACK(MQTT_PUBREC, 3));
	cr_expect_eq(ntxn, 1, "not finished at PUBREC");
	FEED(0, 1, 12, ACK(MQTT_PUBREL, 3));
	FEED(0, 0, 15, ACK(MQTT_PUBCOMP, 3));
	cr_assert_eq(count_txn(SESSION_TXN_PUBLISH2, SESSION_TXN_COMPLETE), 1);
	cr_expect_eq(txns[1].latency_ns, 5000000);
	cr_expect_eq(txns[1].stage, MQTT_PUBCOMP);
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(anomalies_only(), 0);
}

Test(session, qos2_unfinished_at_end)
{
	connected(0);
	FEED(0, 1, 10, PUB2(3));
	FEED(0, 0, 11, ACK(MQTT_PUBREC, 3));
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(count_txn(SESSION_TXN_PUBLISH2, SESSION_TXN_INCOMPLETE), 1);
	cr_expect_eq(txns[1].stage, MQTT_PUBREC);
	cr_expect_eq(count_an(SESSION_AN_QOS2_UNFINISHED), 1);
}

Test(session, pubrel_without_pubrec_is_an_orphan)
{
	connected(0);
	FEED(0, 1, 10, PUB2(3));
	FEED(0, 1, 12, ACK(MQTT_PUBREL, 3)); /* the PUBREC half is missing */
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 0, "held until the next packet");
	FEED(0, 0, 13, ACK(MQTT_PUBCOMP, 3)); /* still at PUBLISH: not the PUBREL stage */
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 1);
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 2);
	cr_expect_eq(count_txn(SESSION_TXN_PUBLISH2, SESSION_TXN_COMPLETE), 0);
}

Test(session, subscribe_granted_and_failed)
{
	connected(0);
	/* SUBSCRIBE id 1: "x" QoS 1, "y" QoS 2 */
	FEED(0, 1, 10, 0x82, 10, 0, 1, 0, 1, 'x', 1, 0, 1, 'y', 2);
	FEED(0, 0, 11, 0x90, 4, 0, 1, 1, 0x80);
	cr_assert_eq(ntxn, 2);
	cr_expect_eq(txns[1].kind, SESSION_TXN_SUBSCRIBE);
	cr_expect_eq(txns[1].status, SESSION_TXN_FAILED);
	cr_expect_eq(txns[1].code, 0x80);
	FEED(0, 1, 20, 0x82, 6, 0, 2, 0, 1, 'x', 1);
	FEED(0, 0, 21, 0x90, 3, 0, 2, 1);
	cr_expect_eq(count_txn(SESSION_TXN_SUBSCRIBE, SESSION_TXN_COMPLETE), 1);
	cr_expect_eq(txns[2].code, 1);
}

Test(session, unsubscribe_and_ping)
{
	connected(0);
	FEED(0, 1, 10, 0xa2, 5, 0, 9, 0, 1, 'x');
	FEED(0, 0, 11, 0xb0, 2, 0, 9);
	FEED(0, 1, 20, 0xc0, 0);
	FEED(0, 1, 21, 0xc0, 0);
	FEED(0, 0, 24, 0xd0, 0);
	FEED(0, 0, 26, 0xd0, 0);
	cr_expect_eq(count_txn(SESSION_TXN_UNSUBSCRIBE, SESSION_TXN_COMPLETE), 1);
	cr_assert_eq(count_txn(SESSION_TXN_PING, SESSION_TXN_COMPLETE), 2);
	cr_expect_eq(txns[2].latency_ns, 4000000, "first response, first request");
	cr_expect_eq(txns[3].latency_ns, 5000000);
	FEED(0, 0, 30, 0xd0, 0);
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 1, "a third response");
}

Test(session, id_reused_after_completion_starts_fresh)
{
	connected(0);
	FEED(0, 1, 10, PUB1(1));
	FEED(0, 0, 11, ACK(MQTT_PUBACK, 1));
	FEED(0, 0, 12, ACK(MQTT_PUBACK, 1)); /* a second ack must not attach to the finished one */
	FEED(0, 1, 20, PUB1(1)); /* stamped later than that ack: not its request */
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 1);
	FEED(0, 0, 23, ACK(MQTT_PUBACK, 1));
	cr_assert_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_COMPLETE), 2);
	cr_expect_eq(txns[2].request.frame, 6);
	cr_expect_eq(txns[2].latency_ns, 3000000);
	cr_expect_eq(count_an(SESSION_AN_ID_REUSED), 0);
}

Test(session, id_in_use_reused)
{
	connected(0);
	FEED(0, 1, 10, PUB1(4));
	FEED(0, 1, 11, 0x3a, 7, 0, 3, 'a', '/', 'b', 0, 4); /* DUP: a retransmission */
	cr_expect_eq(count_an(SESSION_AN_ID_REUSED), 0);
	FEED(0, 1, 12, PUB1(4)); /* a new message with the same id */
	cr_expect_eq(count_an(SESSION_AN_ID_REUSED), 1);
	cr_assert_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_INCOMPLETE), 1);
	cr_expect(txns[1].superseded);
	cr_expect_eq(txns[1].request.frame, 3);
	FEED(0, 0, 13, ACK(MQTT_PUBACK, 4));
	cr_expect_eq(txns[2].request.frame, 5, "the ack goes to the newer one");
	/* a SUBSCRIBE reusing a PUBLISH's id in flight */
	FEED(0, 1, 20, PUB1(5));
	FEED(0, 1, 21, 0x82, 6, 0, 5, 0, 1, 'x', 1);
	cr_expect_eq(count_an(SESSION_AN_ID_REUSED), 2);
}

Test(session, missing_request_halves)
{
	connected(0);
	FEED(0, 0, 10, ACK(MQTT_PUBACK, 9));
	FEED(0, 0, 11, ACK(MQTT_PUBREC, 9));
	FEED(0, 0, 12, 0x90, 3, 0, 9, 0);
	FEED(0, 0, 13, 0xb0, 2, 0, 9);
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 4);
	cr_expect_eq(ans[1].from, SESSION_BROKER);
	cr_expect_eq(ans[1].msgid, 9);
}

Test(session, orphans_not_flagged_without_the_start)
{
	F[0].saw_syn = 0; /* the capture began inside the connection */
	FEED(0, 0, 10, ACK(MQTT_PUBACK, 9));
	FEED(0, 1, 11, PUB1(2));
	cr_expect_eq(nan_, 0);
}

Test(session, second_connect)
{
	connected(0);
	FEED(0, 1, 5, CONNECT_C1);
	cr_expect_eq(count_an(SESSION_AN_SECOND_CONNECT), 1);
	cr_expect_eq(count_txn(SESSION_TXN_CONNECT, SESSION_TXN_COMPLETE), 1);
}

Test(session, packets_before_connect_and_connack)
{
	FEED(0, 1, 0, PUB1(1));
	cr_expect_eq(count_an(SESSION_AN_BEFORE_CONNECT), 1);
	FEED(1, 1, 0, CONNECT_C1);
	FEED(1, 0, 1, PUB1(1)); /* the broker before its CONNACK */
	cr_expect_eq(count_an(SESSION_AN_BEFORE_CONNECT), 2);
	cr_expect_eq(ans[nan_ - 1].from, SESSION_BROKER);
	FEED(1, 0, 2, CONNACK_OK);
	FEED(1, 0, 3, PUB1(2));
	cr_expect_eq(count_an(SESSION_AN_BEFORE_CONNECT), 2);
}

Test(session, keepalive_exceeded)
{
	connected(0);            /* keepalive 10 s */
	FEED(0, 1, 14000, 0xc0, 0); /* 14 s: within 15 */
	cr_expect_eq(count_an(SESSION_AN_KEEPALIVE), 0);
	FEED(0, 1, 29500, 0xc0, 0); /* 15.5 s of silence */
	cr_assert_eq(count_an(SESSION_AN_KEEPALIVE), 1);
	cr_expect_eq(ans[nan_ - 1].value, 15500);
	end_flow(0, REASM_END_FIN, 2, 50000); /* silent 20.5 s, then the broker closes */
	cr_expect_eq(count_an(SESSION_AN_KEEPALIVE), 2);
	cr_expect_eq(ends[0].ended, SESSION_END_BROKER_FIN);
}

Test(session, wrong_direction)
{
	connected(0);
	FEED(0, 0, 10, 0x82, 6, 0, 5, 0, 1, 'x', 1);   /* SUBSCRIBE from the broker */
	FEED(0, 1, 11, 0x90, 3, 0, 5, 0);             /* SUBACK from the client */
	FEED(0, 0, 12, 0xc0, 0);                      /* PINGREQ from the broker */
	FEED(0, 0, 13, 0xe0, 0);                      /* 3.1.1 DISCONNECT from the broker */
	cr_expect_eq(count_an(SESSION_AN_WRONG_DIRECTION), 4);
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 0, "not matched as a flow");
	cr_expect_eq(count_txn(SESSION_TXN_SUBSCRIBE, SESSION_TXN_COMPLETE), 0);
}

Test(session, security_notes)
{
	/* 3.1 CONNECT (MQIsdp) with user "u" and password "p" */
	FEED(0, 1, 0, 0x10, 21, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0xc2, 0, 10, 0, 1, 'c',
	     0, 1, 'u', 0, 1, 'p');
	FEED(0, 0, 1, CONNACK_OK);
	FEED(0, 1, 2, 0x82, 6, 0, 1, 0, 1, '#', 0);
	cr_expect_eq(count_an(SESSION_SEC_CLEAR_CREDENTIALS), 1);
	cr_expect_eq(count_an(SESSION_SEC_MQTT31), 1);
	cr_expect_eq(count_an(SESSION_SEC_SUBSCRIBE_ALL), 1);
	cr_expect_eq(count_an(SESSION_SEC_ANONYMOUS), 0);
	cr_expect_eq(anomalies_only(), 0);
}

Test(session, endings)
{
	connected(0);
	FEED(0, 1, 5, 0xe0, 0);
	end_flow(0, REASM_END_FIN, 1, 6);
	connected(1);
	end_flow(1, REASM_END_RST, 2, 6);
	connected(2);
	end_flow(2, REASM_END_CAPTURE, 0, 6);
	cr_assert_eq(nend, 3);
	cr_expect_eq(ends[0].ended, SESSION_END_DISCONNECT);
	cr_expect_eq(ends[0].disconnect_from, SESSION_CLIENT);
	cr_expect_eq(ends[0].msgs[SESSION_CLIENT], 2);
	cr_expect_eq(ends[0].bytes[SESSION_CLIENT], 16 + 2);
	cr_expect_eq(ends[0].bytes[SESSION_BROKER], 4);
	cr_expect_str_eq(end_clientid[0], "c1");
	cr_expect_eq(ends[0].keepalive, 10);
	cr_expect_eq(ends[1].ended, SESSION_END_BROKER_FIN); /* closer set, not an RST */
	cr_expect_eq(ends[2].ended, SESSION_END_CAPTURE);
	cr_expect(session_of(T, &F[0]) == NULL, "freed once ended");
}

Test(session, incomplete_at_end)
{
	connected(0);
	FEED(0, 1, 10, PUB1(1));
	FEED(0, 1, 11, 0x82, 6, 0, 2, 0, 1, 'x', 1);
	FEED(0, 1, 12, 0xc0, 0);
	FEED(1, 1, 0, CONNECT_C1);
	end_flow(0, REASM_END_CAPTURE, 0, 20);
	end_flow(1, REASM_END_CAPTURE, 0, 20);
	cr_expect_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_INCOMPLETE), 1);
	cr_expect_eq(count_txn(SESSION_TXN_SUBSCRIBE, SESSION_TXN_INCOMPLETE), 1);
	cr_expect_eq(count_txn(SESSION_TXN_PING, SESSION_TXN_INCOMPLETE), 1);
	cr_expect_eq(count_txn(SESSION_TXN_CONNECT, SESSION_TXN_INCOMPLETE), 1);
	cr_expect_eq(count_an(SESSION_AN_QOS2_UNFINISHED), 0, "QoS 1 is not QoS 2");
}

Test(session, will_linked_to_its_publish)
{
	/* flow 0: a watcher; flow 1: client with will topic "w/x" that dies */
	connected(0);
	FEED(1, 1, 0, 0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 10, 0, 1, 'd', 0, 3, 'w',
	     '/', 'x', 0, 0);
	FEED(1, 0, 1, CONNACK_OK);
	F[1].closer_rst = 1;
	end_flow(1, REASM_END_RST, 1, 10);
	cr_assert_eq(nend, 1);
	cr_expect_eq(ends[0].ended, SESSION_END_CLIENT_RST);
	cr_expect_eq(ends[0].has_will, 1);
	FEED(0, 0, 11, 0x30, 5, 0, 3, 'w', '/', 'x');
	cr_assert_eq(nwill, 1);
	cr_expect_eq(will_dead[0], 1);
	cr_expect_eq(will_to[0], 0);
	FEED(0, 0, 12, 0x30, 5, 0, 3, 'w', '/', 'x');
	cr_expect_eq(nwill, 1, "once");
}

Test(session, no_will_after_disconnect)
{
	connected(0);
	FEED(1, 1, 0, 0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 10, 0, 1, 'd', 0, 3, 'w',
	     '/', 'x', 0, 0);
	FEED(1, 0, 1, CONNACK_OK);
	FEED(1, 1, 2, 0xe0, 0);
	end_flow(1, REASM_END_FIN, 1, 10);
	FEED(0, 0, 11, 0x30, 5, 0, 3, 'w', '/', 'x');
	cr_expect_eq(nwill, 0);
}

Test(session, filter_topic_keeps_publish_and_its_ack)
{
	refilter("a/#", NULL, -1);
	FEED(0, 1, 0, CONNECT_C1);
	cr_expect_eq(nmsg, 0);
	FEED(0, 0, 1, CONNACK_OK);
	FEED(0, 1, 10, PUB1(1));
	FEED(0, 0, 11, ACK(MQTT_PUBACK, 1));
	FEED(0, 1, 12, 0x32, 7, 0, 3, 'z', '/', 'b', 0, 2);
	FEED(0, 0, 13, ACK(MQTT_PUBACK, 2));
	cr_expect_eq(nmsg, 2, "PUBLISH a/b and its PUBACK");
	cr_assert_eq(ntxn, 1);
	cr_expect_eq(txns[0].msgid, 1);
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(nend, 1, "a session with matching messages is shown");
}

Test(session, filter_client_and_type)
{
	refilter(NULL, "c1", -1);
	connected(0);
	FEED(1, 1, 0, 0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, 2, 'c', '2');
	FEED(1, 0, 1, CONNACK_OK);
	cr_expect_eq(nmsg, 2);
	end_flow(1, REASM_END_FIN, 1, 3);
	cr_expect_eq(nend, 0, "c2 is not shown");
	refilter(NULL, NULL, MQTT_PUBACK);
	connected(2);
	FEED(2, 1, 10, PUB1(1));
	FEED(2, 0, 11, ACK(MQTT_PUBACK, 1));
	cr_expect_eq(nmsg, 1);
	cr_expect_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_COMPLETE), 1, "via its answer");
	cr_expect_eq(count_txn(SESSION_TXN_CONNECT, SESSION_TXN_COMPLETE), 0);
}

Test(session, filter_client_keeps_other_clients_acks_out)
{
	refilter(NULL, "c1", -1);
	FEED(1, 1, 0, 0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 10, 0, 2, 'c', '2');
	FEED(1, 0, 1, CONNACK_OK);
	FEED(1, 1, 2, PUB1(1));
	FEED(1, 0, 3, ACK(MQTT_PUBACK, 1));
	FEED(1, 1, 4, 0x82, 6, 0, 2, 0, 1, 'x', 1);
	FEED(1, 0, 5, 0x90, 3, 0, 2, 1);
	FEED(1, 0, 6, ACK(MQTT_PUBACK, 9));
	cr_expect_eq(nmsg, 0);
	cr_expect_eq(ntxn, 0);
	cr_expect_eq(nan_, 0);
}

Test(session, will_published_before_the_end_is_seen)
{
	connected(0);
	FEED(1, 1, 0, 0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 10, 0, 1, 'd', 0, 3, 'w',
	     '/', 'x', 0, 0);
	FEED(1, 0, 1, CONNACK_OK);
	FEED(0, 0, 5, 0x30, 5, 0, 3, 'w', '/', 'x'); /* the will, before the dead end is seen */
	cr_expect_eq(nwill, 0);
	end_flow(1, REASM_END_FIN, 1, 10);
	cr_assert_eq(nwill, 1);
	cr_expect_eq(will_dead[0], 1);
	cr_expect_eq(will_to[0], 0);
}

Test(session, publish_before_the_clients_last_packet_is_not_its_will)
{
	connected(0);
	FEED(1, 1, 0, 0x10, 20, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x06, 0, 10, 0, 1, 'd', 0, 3, 'w',
	     '/', 'x', 0, 0);
	FEED(1, 0, 1, CONNACK_OK);
	FEED(0, 0, 2, 0x30, 5, 0, 3, 'w', '/', 'x'); /* someone else's message on that topic */
	FEED(1, 1, 3, 0xc0, 0);                       /* the client is still alive */
	end_flow(1, REASM_END_RST, 1, 10);
	cr_expect_eq(nwill, 0);
}

Test(session, long_client_id_is_cut_and_filtered_whole)
{
	uint8_t b[2 + 10 + 2 + 300];
	size_t n = 0;
	char id[301];

	memset(id, 'x', 300);
	id[300] = '\0';
	b[n++] = 0x10;
	b[n++] = 0; /* remaining length: two bytes, below */
	memcpy(b + n, "\x00\x04MQTT\x04\x02\x00\x0a", 10);
	n += 10;
	b[n++] = 300 >> 8;
	b[n++] = 300 & 255;
	memcpy(b + n, id, 300);
	n += 300;
	{
		/* 312 remaining bytes: a 2-byte varint; rebuild with it */
		uint8_t c[sizeof b + 1];
		c[0] = 0x10;
		c[1] = (312 & 127) | 128;
		c[2] = 312 >> 7;
		memcpy(c + 3, b + 2, n - 2);
		refilter(NULL, id, -1);
		cr_expect_eq(feed(0, 1, 0, c, n + 1), 1, "the whole id is compared, not the cut copy");
	}
	end_flow(0, REASM_END_FIN, 1, 1);
	cr_assert_eq(nend, 1);
	cr_expect_eq(ends[0].clientid_len, SESSION_STR_MAX);
	cr_expect(ends[0].clientid_cut);
	cr_expect_eq(strlen(end_clientid[0]), SESSION_STR_MAX);
}

Test(session, request_captured_after_its_ack_is_matched)
{
	/* frames swapped across the two directions: capture order ack, request; time stamps
	 * request, ack */
	connected(0);
	FEED(0, 0, 10.3, ACK(MQTT_PUBACK, 5));
	FEED(0, 1, 10.1, PUB1(5));
	FEED(0, 0, 20.4, 0x90, 3, 0, 6, 1);
	FEED(0, 1, 20.0, 0x82, 6, 0, 6, 0, 1, 'x', 1);
	FEED(0, 1, 30, PUB2(7));
	FEED(0, 1, 30.5, ACK(MQTT_PUBREL, 7)); /* PUBREL captured before the PUBREC */
	FEED(0, 0, 30.2, ACK(MQTT_PUBREC, 7));
	FEED(0, 0, 31, ACK(MQTT_PUBCOMP, 7));
	end_flow(0, REASM_END_FIN, 1, 40);
	cr_expect_eq(anomalies_only(), 0);
	cr_assert_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_COMPLETE), 1);
	cr_expect_eq(txns[1].latency_ns, 200000);
	cr_expect_eq(txns[1].answer.frame, 3);
	cr_expect_eq(count_txn(SESSION_TXN_SUBSCRIBE, SESSION_TXN_COMPLETE), 1);
	cr_expect_eq(count_txn(SESSION_TXN_PUBLISH2, SESSION_TXN_COMPLETE), 1);
}

Test(session, ack_before_a_later_request_is_still_an_orphan)
{
	connected(0);
	FEED(0, 0, 10, ACK(MQTT_PUBACK, 5));
	FEED(0, 1, 11, PUB1(5)); /* stamped after the ack: a new request */
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 1);
	cr_expect_eq(count_txn(SESSION_TXN_PUBLISH1, SESSION_TXN_INCOMPLETE), 1);
}

static void gap(int f, int up)
{
	struct framer_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = FRAMER_EV_GAP;
	ev.flow = &F[f];
	ev.dir = up ? REASM_TO_BROKER : REASM_TO_CLIENT;
	ev.at.frame = ++frame_no;
	ev.len = 10;
	cr_expect_eq(session_event(T, &ev), 1);
}

Test(session, gaps_are_told_and_excuse_orphans)
{
	connected(0);
	gap(0, 1); /* the client's bytes were lost: its PUBLISH may be in them */
	cr_expect_eq(nev, 1);
	FEED(0, 0, 10, ACK(MQTT_PUBACK, 3));
	end_flow(0, REASM_END_FIN, 1, 20);
	cr_expect_eq(count_an(SESSION_AN_ACK_WITHOUT_REQUEST), 0);
}

/* ---- the observer: what is told, at which frame, in which order ---- */

/* One line per callback: a letter (M message, O open, T transaction, A anomaly or note, E
 * end) and the frame that made it known. */
static char seq[512];
static struct session opened;

static void log_item(char kind, uint64_t frame)
{
	size_t n = strlen(seq);
	snprintf(seq + n, sizeof seq - n, "%s%c%llu", n ? " " : "", kind,
		 (unsigned long long)frame);
}
static void s_msg(void *c, const struct session *s, const struct mqtt_record *r)
{
	(void)c; (void)s;
	log_item('M', r->at.frame);
}
static void s_txn(void *c, const struct session *s, const struct session_txn *t)
{
	(void)c; (void)s;
	log_item('T', t->known.frame);
}
static void s_an(void *c, const struct session *s, const struct session_anomaly *a)
{
	(void)c; (void)s;
	log_item('A', a->known.frame);
}
static void s_end(void *c, const struct session *s)
{
	(void)c;
	log_item('E', s->end.frame);
}
static void s_open(void *c, const struct session *s, const struct frame_ref *at)
{
	(void)c;
	opened = *s;
	log_item('O', at->frame);
}

static void observed(void)
{
	struct session_observer o = { s_msg, s_txn, s_an, NULL, s_end, NULL, NULL, s_open };

	setup();
	seq[0] = '\0';
	memset(&opened, 0, sizeof opened);
	cr_assert_geq(session_observe(T, &o), 0);
}

TestSuite(observer, .init = observed, .fini = teardown);

/* The session opens at its CONNACK: after the CONNACK's own record, before the CONNECT
 * transaction it ends and the note it raises (anonymous_accepted). */
Test(observer, open_at_connack_then_txn_then_note)
{
	FEED(0, 1, 0, CONNECT_C1);
	FEED(0, 0, 1, CONNACK_OK);
	cr_expect_str_eq(seq, "M1 M2 O2 T2 A2");
	cr_expect_eq(opened.have_connack, 1);
	cr_expect_eq(opened.connect_at.frame, 1);
	cr_expect_eq(opened.connack_at.frame, 2);
	cr_expect_str_eq(opened.clientid, "c1");
	cr_expect_eq(opened.keepalive, 10);
}

Test(observer, refused_login_opens_refused)
{
	FEED(0, 1, 0, CONNECT_C1);
	FEED(0, 0, 1, 0x20, 2, 0, 5); /* 0x05 not authorized */
	cr_expect_str_eq(seq, "M1 M2 O2 T2");
	cr_expect_eq(opened.connack_has_code, 1);
	cr_expect_eq(opened.connack_code, 5);
	/* setup()'s observer, told the same */
	cr_expect_eq(count_txn(SESSION_TXN_CONNECT, SESSION_TXN_FAILED), 1);
}

/* Unanswered, the opening is known at the end: before the incomplete CONNECT, then end. */
Test(observer, unanswered_connect_opens_at_the_end)
{
	FEED(0, 1, 0, CONNECT_C1);
	FEED(0, 1, 5, 0xc0, 0); /* PINGREQ */
	end_flow(0, REASM_END_FIN, 1, 10);
	cr_expect_str_eq(seq, "M1 M2 O3 T3 T3 E3");
	cr_expect_eq(opened.have_connack, 0);
	cr_expect_eq(opened.connect_at.frame, 1);
}

Test(observer, txn_known_at_its_answer)
{
	connected(0);
	seq[0] = '\0';
	FEED(0, 1, 2, PUB1(7));
	FEED(0, 0, 3, ACK(MQTT_PUBACK, 7));
	FEED(0, 1, 4, PUB2(8));
	FEED(0, 0, 5, ACK(MQTT_PUBREC, 8));
	FEED(0, 1, 6, ACK(MQTT_PUBREL, 8));
	FEED(0, 0, 7, ACK(MQTT_PUBCOMP, 8));
	cr_expect_str_eq(seq, "M3 M4 T4 M5 M6 M7 M8 T8");
}

/* A request reusing an id ends the first one (incomplete) and raises the anomaly: both
 * known at the second request, after its record, the transaction first. */
Test(observer, id_reuse_known_at_the_second_request)
{
	connected(0);
	seq[0] = '\0';
	FEED(0, 1, 2, PUB1(7));
	FEED(0, 1, 3, PUB1(7));
	cr_expect_str_eq(seq, "M3 M4 T4 A4");
	cr_assert_eq(nan_, 2); /* anonymous_accepted, then the reuse */
	cr_expect_eq(ans[1].kind, SESSION_AN_ID_REUSED);
	cr_expect_eq(ans[1].at.frame, 4);
	cr_expect_eq(txns[ntxn - 1].superseded, 1);
	cr_expect_eq(txns[ntxn - 1].request.frame, 3);
}

/* An acknowledgement without a request is held until the session's next packet: known
 * there, told before that packet's record, with the frame of the acknowledgement. */
Test(observer, held_ack_known_at_the_next_packet)
{
	connected(0);
	seq[0] = '\0';
	FEED(0, 0, 2, ACK(MQTT_PUBACK, 9));
	FEED(0, 1, 3, 0xc0, 0);
	cr_expect_str_eq(seq, "M3 A4 M4");
	cr_assert_eq(nan_, 2);
	cr_expect_eq(ans[1].kind, SESSION_AN_ACK_WITHOUT_REQUEST);
	cr_expect_eq(ans[1].at.frame, 3);
	cr_expect_eq(ans[1].known.frame, 4);
}

/* At the end: the transactions left open and their anomalies, the keep alive silence,
 * then the end, all at the end's frame. */
Test(observer, end_reports_at_its_frame)
{
	connected(0);
	seq[0] = '\0';
	FEED(0, 1, 2, PUB2(4));
	end_flow(0, REASM_END_FIN, 1, 60000); /* 60 s silent: keepalive 10 */
	cr_expect_str_eq(seq, "M3 T4 A4 A4 E4");
}

Test(observer, eight_observers)
{
	struct session_observer o = { s_msg, NULL, NULL, NULL, NULL, NULL, NULL, NULL };

	for (int i = 2; i < 8; i++) /* setup()'s and observed()'s are 0 and 1 */
		cr_expect_eq(session_observe(T, &o), i);
	cr_expect_eq(session_observe(T, &o), -1);
}

Test(observer, open_count_follows_sessions)
{
	connected(0);
	connected(1);
	cr_expect_eq(session_open_count(T), 2);
	end_flow(0, REASM_END_FIN, 1, 5);
	cr_expect_eq(session_open_count(T), 1);
}
