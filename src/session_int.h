/*
 * session_int.h - what the three files of session tracking share, and nothing else sees:
 * session.c (the tracker: sessions, requests in flight, transactions, the ends),
 * session_filter.c (--topic, --client, --type), session_rules.c (the anomaly and
 * security rules, and the names of what the tracker reports).
 */
#ifndef MQTTDUMP_SESSION_INT_H
#define MQTTDUMP_SESSION_INT_H

#include "mqttdump/budget.h"
#include "mqttdump/session.h"

/* Requests in flight per connection (both sides): packet ids are 16-bit, and one side may
 * have at most 65535 in flight, but a table that big per connection would let one
 * connection hold megabytes; past this many, new requests are not tracked (counted). */
#define PEND_MAX 4096   /* a power of 2, 1 << 12: pend_report packs slots in 12 bits */
#define PINGS_MAX 4
#define WILLS_MAX 64
#define RECENT_MAX 32
#define OBS_MAX 8

struct pend {
	uint32_t key;            /* 0: empty; else (from << 16 | msgid) + 1 */
	uint8_t kind, stage, qos, pass;
	struct frame_ref at;
};

struct sess {
	struct session pub;
	struct pend *tab;        /* open addressing, linear probing; cap a power of 2 */
	uint32_t cap, used;
	struct frame_ref ping[PINGS_MAX];
	uint8_t ping_pass[PINGS_MAX];
	uint8_t nping, ping_head;
	uint8_t connect_pending, connect_pass, auth_pending, auth_pass;
	uint8_t client_match;    /* its client id is --client's */
	uint8_t gap[2];          /* a direction lost bytes: requests may be missing */
	uint8_t sec_once;        /* security notes raised once per session (bits) */
	uint16_t server_keepalive; /* MQTT 5.0 CONNACK Server Keep Alive (0: none) */
	uint8_t has_server_keepalive;
	struct frame_ref connect_at, auth_at, last_client;
	struct budget *budget;   /* the tracker's: a full budget stops the table growing */
	size_t charged;          /* what the budget was told it holds */
	char *strs;              /* clientid, username, will_topic */
	/* An acknowledgement with no request, held until the session's next packet: when
	 * that is its request, captured after it but stamped no later (frames out of order
	 * across the two directions), the pair is matched instead of reported. */
	struct {
		uint8_t live, type, flags, version, dir, has_code, code, pass;
		uint16_t msgid;
		struct frame_ref at;
	} orphan;
};

struct will {
	uint64_t dead_index;
	uint16_t len;
	uint8_t live, shown;
	char topic[SESSION_STR_MAX];
};

/* A broker PUBLISH kept while sessions with a will are open: the broker may publish a
 * will before the capture shows the end of the dead client's connection. */
struct recent {
	uint64_t to;
	struct frame_ref at;
	uint16_t len;
	uint8_t live;
	char topic[SESSION_STR_MAX];
};

struct session_tracker {
	struct session_config cfg;
	struct session_observer obs[OBS_MAX];
	int nobs;
	struct sess **slots;     /* by stream index, open addressing */
	size_t nslots, nsess;
	struct sess *last;
	struct will wills[WILLS_MAX];
	int nwills, will_next;
	struct recent recent[RECENT_MAX];
	int replaying;           /* a held acknowledgement is being matched: hold no other */
	int recent_next;
	uint64_t open_wills;     /* open sessions whose CONNECT has a will */
	struct budget *budget;   /* charged with each session's state, or NULL */
	struct frame_ref now;    /* the frame of the record or end being tracked: what is
				  * told was made known there */
};

/* What one record produced, told after the record itself. */
struct outbox {
	struct session_txn txn[4];
	uint8_t txn_pass[4];
	int ntxn;
	struct session_anomaly an[6];
	uint8_t an_pass[6];
	int nan;
};

/* session.c */
uint64_t sess_elapsed_ns(const struct frame_ref *a, const struct frame_ref *b);
void sess_out_anomaly(struct outbox *ob, int kind, int from, const struct mqtt_record *rec,
		      int pass);

/* session_filter.c: the record filter */
int sess_by_client_only(const struct session_tracker *t);
int sess_client_hit(const struct session_tracker *t, const struct mqtt_view *id);
int sess_passes(const struct session_tracker *t, const struct mqtt_msg *m);
int sess_ack_passes(const struct session_tracker *t, const struct mqtt_msg *m, int req_pass);

/* session_rules.c: rules checked on each packet */
int sess_subscribes_all(const struct mqtt_msg *m);
void sess_sec_note(struct sess *s, struct outbox *ob, int kind, const struct mqtt_record *rec,
		   int from, int pass);
uint16_t sess_server_keepalive(const struct mqtt_msg *m, uint8_t *has);
int sess_keepalive_late(const struct sess *s, const struct frame_ref *now, uint64_t *ms);
int sess_order_anomaly(struct sess *s, struct outbox *ob, const struct mqtt_record *rec,
		       int from, int pass);

#endif
