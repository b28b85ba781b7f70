/*
 * session.h - session tracking: MQTT records in, sessions, transactions and anomalies out.
 *
 * Knows framer.h. The engine hands every record and event of the framer to the tracker
 * (session_message / session_event) before the reporters see them; the tracker keeps one
 * session per connection (who, which version, how it ended, bytes and messages per
 * direction), matches requests with their acknowledgements by direction and packet id
 * (transactions: complete, incomplete, refused/failed, with their latency), and raises
 * anomalies (a rule of the protocol broken by the conversation, not by one packet) and
 * security notes. Observers (the timeline and statistics reporters) are called as this
 * happens; a session's state is freed once its connection closed and the observers saw its
 * end, so memory follows the connections open at once, not the capture's length.
 *
 * The tracker also holds the record filter (--topic, --client, --type): session_message
 * says whether a record passes it, and observers are only told about what passes.
 */
#ifndef MQTTDUMP_SESSION_H
#define MQTTDUMP_SESSION_H

#include "mqttdump/budget.h"
#include "mqttdump/framer.h"

#include <stdint.h>

/* Bytes of client id, user name and will topic kept per session (longer ones are cut). */
#define SESSION_STR_MAX 256

enum session_side { SESSION_CLIENT = 0, SESSION_BROKER = 1 };

/* How a session ended. */
enum session_end {
	SESSION_OPEN = 0,        /* not yet */
	SESSION_END_DISCONNECT,  /* a DISCONNECT was sent (disconnect_from, its code) */
	SESSION_END_CLIENT_FIN,  /* the client closed the connection without DISCONNECT */
	SESSION_END_BROKER_FIN,  /* the broker closed it */
	SESSION_END_CLIENT_RST,  /* the client reset it */
	SESSION_END_BROKER_RST,  /* the broker reset it */
	SESSION_END_IDLE,        /* mqttdump closed it: idle longer than --flow-timeout */
	SESSION_END_EVICTED,     /* mqttdump closed it: --max-flows */
	SESSION_END_REUSED,      /* a new SYN on its 4-tuple */
	SESSION_END_CAPTURE,     /* still open when the capture ended */
	SESSION_END_KINDS
};

enum session_txn_kind {
	SESSION_TXN_CONNECT,      /* CONNECT <-> CONNACK */
	SESSION_TXN_PUBLISH1,     /* PUBLISH QoS 1 <-> PUBACK */
	SESSION_TXN_PUBLISH2,     /* PUBLISH QoS 2 -> PUBREC -> PUBREL -> PUBCOMP */
	SESSION_TXN_SUBSCRIBE,    /* SUBSCRIBE <-> SUBACK */
	SESSION_TXN_UNSUBSCRIBE,  /* UNSUBSCRIBE <-> UNSUBACK */
	SESSION_TXN_PING,         /* PINGREQ <-> PINGRESP */
	SESSION_TXN_AUTH,         /* AUTH ... until AUTH Success or CONNACK */
	SESSION_TXN_KINDS
};

enum session_txn_status {
	SESSION_TXN_COMPLETE,
	SESSION_TXN_INCOMPLETE,   /* the answer never came (connection ended, id reused) */
	SESSION_TXN_FAILED,       /* answered with a refusal or failure code */
};

/* One request and what became of it. */
struct session_txn {
	uint8_t kind;             /* enum session_txn_kind */
	uint8_t status;           /* enum session_txn_status */
	uint8_t from;             /* enum session_side: who sent the request */
	uint8_t has_msgid;
	uint16_t msgid;
	uint8_t qos;              /* PUBLISH */
	uint8_t has_code;         /* the answer carried a code (CONNACK, PUBACK ...; the worst
				   * of a SUBACK's / UNSUBACK's) */
	uint8_t code;
	uint8_t stage;            /* PUBLISH QoS 2: the last packet of the flow seen
				   * (MQTT_PUBLISH, MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP) */
	uint8_t superseded;       /* INCOMPLETE because its packet id was used again */
	struct frame_ref request; /* the request's frame */
	struct frame_ref answer;  /* the frame that ended it (frame 0: none) */
	uint64_t latency_ns;      /* answer - request, when answered */
	const struct mqtt_record *rec; /* the answer, during the callback; NULL if none */
	struct frame_ref known;   /* the frame that made its end known: the record being
				   * tracked (the answer; the request reusing its id; a held
				   * answer's next packet), or the session's end (incomplete) */
};

enum session_anomaly_kind {
	SESSION_AN_ACK_WITHOUT_REQUEST,
	SESSION_AN_SECOND_CONNECT,
	SESSION_AN_BEFORE_CONNECT,     /* client packet before CONNECT, broker's before CONNACK */
	SESSION_AN_KEEPALIVE,          /* no client packet within 1.5 x keepalive */
	SESSION_AN_QOS2_UNFINISHED,
	SESSION_AN_ID_REUSED,          /* a packet id in use sent again for a new request */
	SESSION_AN_WRONG_DIRECTION,    /* a client-only packet from the broker or the reverse */
	SESSION_AN_KINDS,
	/* security notes */
	SESSION_SEC_CLEAR_CREDENTIALS = SESSION_AN_KINDS, /* user name / password without TLS */
	SESSION_SEC_ANONYMOUS,         /* accepted without a user name */
	SESSION_SEC_MQTT31,            /* MQTT 3.1 in use */
	SESSION_SEC_SUBSCRIBE_ALL,     /* a subscription to "#" */
	SESSION_NOTE_KINDS
};

struct session_anomaly {
	uint8_t kind;             /* enum session_anomaly_kind */
	uint8_t from;             /* enum session_side of the packet concerned */
	uint8_t type;             /* its MQTT type (0 when none: keepalive, at the end) */
	uint8_t has_msgid;
	uint16_t msgid;
	struct frame_ref at;      /* the packet concerned (the end, for those noticed there) */
	struct frame_ref known;   /* the frame that made it known: at, but for an answer held
				   * until the session's next packet (frames out of order) */
	uint64_t value;           /* KEEPALIVE: the silence in ms */
};

/* The public part of a session; valid until its end callback returns. */
struct session {
	uint64_t index;            /* the connection's stream index */
	const struct reasm_flow *flow;
	uint8_t version;           /* enum mqtt_version, from CONNECT (or as the framer read it) */
	uint8_t have_connect, have_connack;
	uint8_t clean_start;
	uint16_t keepalive;
	uint8_t has_will, will_qos, will_retain;
	uint8_t has_username;
	uint8_t connack_code, connack_has_code, session_present;
	uint8_t ended;             /* enum session_end */
	uint8_t disconnect_from;   /* enum session_side */
	uint8_t disconnect_has_code, disconnect_code;
	uint8_t shown;             /* passes the filter (see session_config) */
	uint16_t clientid_len, username_len, will_topic_len;
	uint8_t clientid_cut, username_cut, will_topic_cut;
	uint8_t has_clientid;      /* the CONNECT's client id was read (a cut or malformed
				    * CONNECT may end before it) */
	/* copies from CONNECT (NUL-terminated, at most SESSION_STR_MAX bytes each; "" before
	 * CONNECT), in one allocation per session: memory follows the open connections */
	const char *clientid, *username, *will_topic;
	struct frame_ref start, end;
	struct frame_ref connect_at, connack_at; /* frame 0: none */
	uint64_t bytes[2], msgs[2];   /* by enum session_side of the sender */
	uint32_t anomalies, notes, txns;
	uint64_t untracked;        /* requests not followed: the session had PEND_MAX open, or
				    * the memory budget was spent (their answers then come as
				    * acknowledgements without a request) */
};

/* Told as things happen. Any callback may be NULL. For one record: message, then the
 * session's opening (its CONNACK), then the transactions it ends, then the anomalies it
 * raises. At a session's end: its opening when its CONNECT got no CONNACK, the
 * transactions left open, the anomalies noticed there, then end. */
struct session_observer {
	void (*message)(void *ctx, const struct session *s, const struct mqtt_record *rec);
	void (*txn)(void *ctx, const struct session *s, const struct session_txn *t);
	void (*anomaly)(void *ctx, const struct session *s, const struct session_anomaly *a);
	/* A framer event of the session's connection other than its end (a gap, skipped
	 * bytes, an oversize packet, an inferred version), when the session is shown. */
	void (*event)(void *ctx, const struct session *s, const struct framer_event *ev);
	/* The session ended (s->ended); its incomplete transactions were reported before. */
	void (*end)(void *ctx, const struct session *s);
	/* The broker published the will of the session with stream index dead_index (a
	 * PUBLISH on its will topic, after its client's last packet, the session having ended
	 * without DISCONNECT) to the session with index to_index, in frame at. Told when both
	 * are known: at the PUBLISH, or at the end of dead_index when the broker published it
	 * before the capture showed that connection's end. */
	void (*will)(void *ctx, uint64_t dead_index, uint64_t to_index, const struct frame_ref *at);
	void *ctx;
	/* (last, so that the observers written before it need not name it) */
	/* The session opened: its CONNECT was answered (s->have_connack, s->connack_at; at is
	 * the CONNACK's frame), or it ended unanswered (at: the session's end). Once per
	 * session with a CONNECT, never for one whose CONNECT was not captured. */
	void (*open)(void *ctx, const struct session *s, const struct frame_ref *at);
};

/* The record filter. Each kind given may hold several values: a record passes a kind when
 * it matches any one of them (OR), and it must pass every kind given (AND). The arrays
 * are borrowed and must outlive the tracker. */
struct session_config {
	const char *const *topics; /* --topic: MQTT topic filters (+, #) */
	size_t ntopics;            /* 0: no topic filter */
	const char *const *clients; /* --client: client ids */
	size_t nclients;           /* 0: no client filter */
	uint32_t types;            /* --type: bit t for MQTT packet type t; 0: every type */
};

struct session_tracker;

struct session_tracker *session_new(const struct session_config *cfg);
/* Charge each session's state (itself, its strings, its open requests) to b (budget.h;
 * NULL: none). It is not evicted: the engine closes connections when it must, and a
 * session's state goes with its connection. */
void session_set_budget(struct session_tracker *t, struct budget *b);
/* Add an observer (at most 8). Returns its slot (0, 1 ...), or -1 when full. */
int session_observe(struct session_tracker *t, const struct session_observer *o);
/* A record from the framer. Returns 1 when it passes the filter (reporters see it). */
int session_message(struct session_tracker *t, const struct mqtt_record *rec);
/* An event from the framer; FRAMER_EV_END ends the session. Returns 1 when it passes. */
int session_event(struct session_tracker *t, const struct framer_event *ev);
/* The capture ended without closing every connection (-c): end the sessions still open. */
void session_finish(struct session_tracker *t);
/* The session of a connection (NULL when it has none yet). */
const struct session *session_of(const struct session_tracker *t,
				 const struct reasm_flow *flow);
/* Sessions open now (begun, not yet ended). */
size_t session_open_count(const struct session_tracker *t);
/* 1 when the tracker filters anything. */
int session_filtering(const struct session_tracker *t);
void session_free(struct session_tracker *t);

/* Names. */
const char *session_end_name(int ended);            /* "disconnect", "client_fin", ... */
const char *session_txn_kind_name(int kind);        /* "connect", "publish", ... */
const char *session_txn_status_name(int status);    /* "complete", "incomplete", "failed" */
const char *session_anomaly_name(int kind);         /* "ack_without_request", ... */
/* The rule an anomaly breaks, for the session's version ("MQTT-3.1.0-2", "3.1.1 4.3.3"). */
const char *session_anomaly_rule(int kind, uint8_t version);
const char *session_anomaly_text(int kind);         /* in words */
int session_is_security_note(int kind);

/* An MQTT packet type by name ("PUBLISH", "publish", "3"), or -1. */
int session_type_by_name(const char *name);

#endif
