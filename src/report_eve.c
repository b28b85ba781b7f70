/* \summary: Suricata EVE output: mqtt, anomaly and flow records shaped as Suricata's EVE log
 * shapes them (docs/eve.md) */
#include "mqttdump/budget.h"
#include "mqttdump/community_id.h"
#include "mqttdump/jsonw.h"
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Suricata's MQTT transactions (its rust/src/mqtt/mqtt.rs): a request waits, by packet id,
 * for the answers that complete it; a CONNECT waits for its CONNACK under a pseudo id. */
#define PKT_CONNECT (-2)
#define NBUCKETS 16384u         /* flow hash buckets (chains past that) */
#define MAX_CANDIDATES 65536u   /* connections counted before their first MQTT record */
#define END_LINGER 1            /* seconds a connection that ended still counts segments */

/* Suricata's MQTT app-layer events, then mqttdump's own (docs/eve.md). */
enum eve_event {
	EV_NONE = -1,
	EV_MISSING_CONNECT, EV_MISSING_PUBLISH, EV_MISSING_SUBSCRIBE, EV_MISSING_UNSUBSCRIBE,
	EV_DOUBLE_CONNECT, EV_UNINTRODUCED, EV_INVALID_QOS, EV_MISSING_MSG_ID,
	EV_UNASSIGNED_TYPE, EV_TOO_MANY_TX, EV_MALFORMED,
	EV_GAP, EV_SKIPPED, EV_INCOMPLETE,
};

static const char *const event_names[] = {
	[EV_MISSING_CONNECT] = "missing_connect", [EV_MISSING_PUBLISH] = "missing_publish",
	[EV_MISSING_SUBSCRIBE] = "missing_subscribe",
	[EV_MISSING_UNSUBSCRIBE] = "missing_unsubscribe",
	[EV_DOUBLE_CONNECT] = "double_connect", [EV_UNINTRODUCED] = "unintroduced_message",
	[EV_INVALID_QOS] = "invalid_qos_level", [EV_MISSING_MSG_ID] = "missing_msg_id",
	[EV_UNASSIGNED_TYPE] = "unassigned_msg_type", [EV_TOO_MANY_TX] = "too_many_transactions",
	[EV_MALFORMED] = "malformed_traffic",
	[EV_GAP] = "stream_gap", [EV_SKIPPED] = "bytes_skipped",
	[EV_INCOMPLETE] = "incomplete_message",
};

/* The object names of the packet types, as Suricata lower-cases them. */
static const char *const type_keys[16] = {
	"unassigned", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp",
	"subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect",
	"auth",
};

/* A transaction waiting for an answer. */
struct etx {
	struct etx *next;
	struct report_buf mqtt;  /* the members of the record's "mqtt" object: one per packet */
	struct jsonw w;          /* on mqtt */
	uint16_t have;           /* bit t: a member of packet type t is in it */
	uint64_t id;             /* tx_id: 0, 1, ... in the connection */
	int32_t pkt_id;          /* the packet id it waits for, or PKT_CONNECT */
	uint8_t toclient;        /* its first packet went to the client */
};

struct eflow {
	struct eflow *hnext;         /* hash chain */
	struct eflow *prev, *next;   /* in the candidates (most recent first) or the known list */
	struct eflow *end_next;      /* in the list of connections whose end came */
	struct tcp_addr a, b;        /* known: a is the client, b the broker; else a sent first */
	uint16_t pa, pb;
	uint8_t known;               /* an MQTT record or event of it came */
	uint8_t mqtt;                /* an MQTT packet of it came */
	uint8_t connected;           /* a CONNACK answered a CONNECT (Suricata's "connected") */
	uint8_t dead;                /* malformed traffic: Suricata stops parsing the flow */
	uint8_t ending;              /* its end came: written at the end of the frame */
	int end_why;                 /* enum reasm_end */
	uint8_t flags[2];            /* TCP flags seen, a to b and b to a */
	uint64_t pkts[2], bytes[2];
	struct frame_ref first, last, end_at;
	uint64_t flow_id, ntx;
	char cid[COMMUNITY_ID_LEN];
	struct etx *txs, *txs_tail;  /* pending, oldest first */
	size_t ntxs;
};

struct flow_list {
	struct eflow *head, *tail;
	size_t n;
};

struct eve {
	struct report_opts o;
	struct eve_opts eo;
	struct eflow *buckets[NBUCKETS];
	struct flow_list cand, known;
	struct eflow *ending, *ending_tail; /* the connections that ended, first first */
	uint64_t nflows;             /* flows given an id so far */
	char *tmp;
	size_t tmpcap;
	struct report_buf line;      /* the record being written */
	struct jsonw w;              /* on line */
	struct report_buf pkt;       /* the object of the packet being read */
	struct jsonw pw;             /* on pkt */
	/* a property block's members (props_obj): keys in keys, found through hash */
	struct emember *mem;
	size_t nmem, capmem;
	struct report_buf keys;
	uint32_t *hash;              /* capmem * 2 slots: index + 1 of a member, 0 empty */
};

/* ---- JSON values ------------------------------------------------------------------- */

static char *scratch(struct eve *e, size_t n)
{
	if (n > e->tmpcap) {
		size_t nc = e->tmpcap ? e->tmpcap : 1024;
		char *t;
		while (nc < n)
			nc *= 2;
		if (!(t = budget_realloc(e->tmp, nc, "--eve")))
			return NULL;
		e->tmp = t;
		e->tmpcap = nc;
	}
	return e->tmp;
}

/* A string field (Suricata reads these as UTF-8 strings): bad sequences become U+FFFD. The
 * text in *out (scratch or v itself), its length returned; NULL when scratch failed. */
static size_t utf8_fixed(struct eve *e, struct mqtt_view v, const char **out)
{
	size_t o = 0, i, k;
	char *t;

	*out = (const char *)v.p;
	for (i = 0; i < v.len; i += k)
		if (!(k = mqtt_utf8_seq(v.p + i, v.len - i)))
			break;
	if (i >= v.len)
		return v.len;
	if (!(t = scratch(e, (size_t)v.len * 3 + 1))) {
		*out = "";
		return 0;
	}
	for (i = 0; i < v.len; i += k) {
		if ((k = mqtt_utf8_seq(v.p + i, v.len - i))) {
			memcpy(t + o, v.p + i, k);
			o += k;
		} else {
			memcpy(t + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		}
	}
	*out = t;
	return o;
}

static void jstr(struct eve *e, struct jsonw *w, struct mqtt_view v)
{
	const char *s;
	size_t n = utf8_fixed(e, v, &s);

	jsonw_str(w, s, n);
}

/* A bytes field, as Suricata's set_string_from_bytes writes one: the bytes when they are
 * UTF-8, else every byte under 0x80 as itself and every other as "\xNN". With a budget
 * (string-log-limit; NULL: none), only that many bytes, then "[truncated N additional
 * bytes]"; the budget shrinks by what was written. */
static void jbytes(struct eve *e, struct jsonw *w, struct mqtt_view v, uint64_t *budget)
{
	char tail[64] = "";
	uint32_t n = v.len;
	size_t o = 0, tl;
	char *out;

	if (budget && n > *budget) {
		snprintf(tail, sizeof tail, "[truncated %" PRIu64 " additional bytes]",
			 (uint64_t)n - *budget);
		n = (uint32_t)*budget;
	}
	if (budget)
		*budget -= n;
	tl = strlen(tail);
	if (!(out = scratch(e, (size_t)n * 4 + tl + 1))) {
		jsonw_str(w, "", 0);
		return;
	}
	if (!n) {
		o = 0;
	} else if (mqtt_utf8_valid((struct mqtt_view){ v.p, n })) {
		memcpy(out, v.p, n);
		o = n;
	} else {
		for (uint32_t i = 0; i < n; i++) {
			if (v.p[i] < 0x80)
				out[o++] = (char)v.p[i];
			else
				o += (size_t)sprintf(out + o, "\\x%02x", v.p[i]);
		}
	}
	memcpy(out + o, tail, tl);
	jsonw_str(w, out, o + tl);
}

/* The budget of one field under string-log-limit, or NULL when there is no limit. */
static uint64_t *limit_of(const struct eve *e, uint64_t *b)
{
	if (!e->eo.string_limit)
		return NULL;
	*b = e->eo.string_limit;
	return b;
}

/* MQTT 5.0 property names as Suricata writes them (rust/src/mqtt/mqtt_property.rs). */
static const char *const prop_keys[MQTT_PROP_ID_MAX + 1] = {
	[0x01] = "payload_format_indicator", [0x02] = "message_expiry_interval",
	[0x03] = "content_type", [0x08] = "response_topic", [0x09] = "correlation_data",
	[0x0b] = "subscription_identifier", [0x11] = "session_expiry_interval",
	[0x12] = "assigned_client_identifier", [0x13] = "server_keep_alive",
	[0x15] = "authentication_method", [0x16] = "authentication_data",
	[0x17] = "request_problem_information", [0x18] = "will_delay_interval",
	[0x19] = "request_response_information", [0x1a] = "response_information",
	[0x1c] = "server_reference", [0x1f] = "reason_string", [0x21] = "receive_maximum",
	[0x22] = "topic_alias_maximum", [0x23] = "topic_alias", [0x24] = "maximum_qos",
	[0x25] = "retain_available", [0x27] = "maximum_packet_size",
	[0x28] = "wildcard_subscription_available",
	[0x29] = "subscription_identifier_available", [0x2a] = "shared_subscription_available",
};

/* A member of a property block's object: its key (in e->keys), the property whose value it
 * shows (the last one with that key). */
struct emember {
	size_t koff, klen;
	struct mqtt_prop p;
};

static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h;
}

/* The member of key k (n bytes) in the block being read, made when it is new; NULL when
 * memory failed. One hash look-up: a block of many user properties stays linear. */
static struct emember *member_of(struct eve *e, const char *k, size_t n)
{
	size_t mask, i;

	if (e->nmem == e->capmem) {
		size_t nc = e->capmem ? e->capmem * 2 : 32;
		struct emember *m = budget_realloc(e->mem, nc * sizeof *m, "--eve");
		uint32_t *h = m ? budget_calloc(nc * 2, sizeof *h, "--eve") : NULL;
		if (!h) {
			if (m)
				e->mem = m;
			return NULL;
		}
		free(e->hash);
		e->mem = m;
		e->hash = h;
		e->capmem = nc;
		for (size_t j = 0; j < e->nmem; j++) { /* rehash */
			struct emember *x = &e->mem[j];
			i = key_hash(e->keys.p + x->koff, x->klen) & (nc * 2 - 1);
			while (h[i])
				i = (i + 1) & (nc * 2 - 1);
			h[i] = (uint32_t)j + 1;
		}
	}
	mask = e->capmem * 2 - 1;
	for (i = key_hash(k, n) & mask; e->hash[i]; i = (i + 1) & mask) {
		struct emember *x = &e->mem[e->hash[i] - 1];
		if (x->klen == n && !memcmp(e->keys.p + x->koff, k, n))
			return x;
	}
	if (report_buf_room(&e->keys, n + 1) < 0)
		return NULL;
	e->hash[i] = (uint32_t)++e->nmem;
	e->mem[e->nmem - 1] = (struct emember){ e->keys.len, n, { 0 } };
	report_buf_put(&e->keys, n ? k : "", n);
	return &e->mem[e->nmem - 1];
}

/* A property block: one member per property; a User Property is its name and value. A
 * repeated key keeps its place and its last value (json-c's object, on which this output
 * was first built, did so; a user property named as a property shares its member).
 * Authentication Data only with --show-secrets. */
static void props_obj(struct eve *e, struct jsonw *w, struct mqtt_view block)
{
	struct mqtt_cursor c = mqtt_cursor_of(block);
	struct mqtt_prop p;

	e->nmem = 0;
	e->keys.len = 0;
	if (e->hash)
		memset(e->hash, 0, e->capmem * 2 * sizeof *e->hash);
	while (mqtt_next_prop(&c, &p) == MQTT_OK) {
		const char *key = p.id <= MQTT_PROP_ID_MAX ? prop_keys[p.id] : NULL;
		struct emember *x;
		size_t n;

		if (p.id == MQTT_PROP_USER_PROPERTY) {
			/* the name is wire text: made UTF-8 as every string, up to a NUL in it */
			const char *nul;
			n = utf8_fixed(e, p.str, &key);
			if ((nul = memchr(key, 0, n)))
				n = (size_t)(nul - key);
		} else if (!key || (p.id == MQTT_PROP_AUTHENTICATION_DATA && !e->o.show_secrets)) {
			continue;
		} else {
			n = strlen(key);
		}
		if (!(x = member_of(e, key, n))) {
			w->fail = 1; /* reported with the record */
			return;
		}
		x->p = p;
	}
	jsonw_obj(w);
	for (size_t i = 0; i < e->nmem; i++) {
		const struct mqtt_prop *q = &e->mem[i].p;
		jsonw_key_str(w, e->keys.p + e->mem[i].koff, e->mem[i].klen);
		if (q->id == MQTT_PROP_USER_PROPERTY || q->ptype == MQTT_PT_UTF8)
			jstr(e, w, q->id == MQTT_PROP_USER_PROPERTY ? q->str2 : q->str);
		else if (q->ptype == MQTT_PT_BINARY)
			jbytes(e, w, q->str, NULL);
		else
			jsonw_uint(w, q->num);
	}
	jsonw_obj_end(w);
}

/* ---- one packet's object ----------------------------------------------------------- */

/* qos, retain and dup: Suricata reads them from the fixed header of every packet type. */
static void header_fields(struct jsonw *o, uint8_t flags)
{
	jsonw_kuint(o, "qos", (flags >> 1) & 3);
	jsonw_kbool(o, "retain", flags & 1);
	jsonw_kbool(o, "dup", (flags >> 3) & 1);
}

static void connect_fields(struct eve *e, struct jsonw *o, const struct mqtt_msg *m)
{
	uint8_t cf = m->connect_flags;
	uint64_t b;

	jsonw_key(o, "protocol_string");
	jstr(e, o, m->proto_name);
	jsonw_kuint(o, "protocol_version", m->proto_level);
	jsonw_key(o, "client_id");
	jstr(e, o, m->clientid);
	jsonw_key(o, "flags");
	jsonw_obj(o);
	jsonw_kbool(o, "username", (cf >> 7) & 1);
	jsonw_kbool(o, "password", (cf >> 6) & 1);
	jsonw_kbool(o, "will_retain", (cf >> 5) & 1);
	jsonw_kbool(o, "will", (cf >> 2) & 1);
	jsonw_kbool(o, "clean_session", (cf >> 1) & 1);
	jsonw_obj_end(o);
	if (m->has_username) {
		jsonw_key(o, "username");
		jstr(e, o, m->username);
	}
	if (m->has_password && e->o.show_secrets) {
		jsonw_key(o, "password");
		jbytes(e, o, m->password, NULL);
	}
	if (m->has_will) {
		jsonw_key(o, "will");
		jsonw_obj(o);
		jsonw_key(o, "topic");
		jstr(e, o, m->will_topic);
		jsonw_key(o, "message");
		jbytes(e, o, m->will_payload, limit_of(e, &b));
		if (m->has_will_props) {
			jsonw_key(o, "properties");
			props_obj(e, o, m->will_props);
		}
		jsonw_obj_end(o);
	}
}

/* SUBSCRIBE and UNSUBSCRIBE topics: string-log-limit is one budget for the whole list; the
 * topics past it are left out. */
static void topic_list(struct eve *e, struct jsonw *o, const struct mqtt_msg *m)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	uint64_t b, *budget = limit_of(e, &b);
	struct mqtt_view f;
	uint8_t opt;

	jsonw_key(o, "topics");
	jsonw_arr(o);
	for (;;) {
		if (m->hdr.type == MQTT_SUBSCRIBE ? mqtt_next_sub(&c, m->version, &f, &opt) :
		    mqtt_next_filter(&c, &f))
			break;
		if (budget && !*budget)
			break;
		if (m->hdr.type == MQTT_SUBSCRIBE) {
			jsonw_obj(o);
			jsonw_key(o, "topic");
			jbytes(e, o, f, budget);
			jsonw_kuint(o, "qos", opt & 3);
			jsonw_obj_end(o);
		} else {
			jbytes(e, o, f, budget);
		}
	}
	jsonw_arr_end(o);
}

/* SUBACK's granted QoS list, UNSUBACK's reason codes (5.0, when there are any). */
static void code_list(struct jsonw *o, const struct mqtt_msg *m)
{
	if (m->hdr.type == MQTT_UNSUBACK && !m->list.len)
		return;
	jsonw_key(o, m->hdr.type == MQTT_SUBACK ? "qos_granted" : "reason_codes");
	jsonw_arr(o);
	for (uint32_t i = 0; i < m->list.len; i++)
		jsonw_uint(o, m->list.p[i]);
	jsonw_arr_end(o);
}

/* A packet's object starts in e->pkt (one packet at a time). */
static struct jsonw *packet_begin(struct eve *e)
{
	e->pkt.len = 0;
	jsonw_reset(&e->pw);
	jsonw_obj(&e->pw);
	return &e->pw;
}

/* 1 when the packet's object was written whole; else the loss is noted (the packet is not
 * logged, the run ends with an error). */
static int packet_ok(struct eve *e)
{
	if (!e->pw.fail && !e->pw.depth)
		return 1;
	mqttdump_oom("--eve");
	return 0;
}

/* The object of one packet, under the name type_keys gives its type, in e->pkt. */
static void packet_obj(struct eve *e, const struct mqtt_msg *m)
{
	struct jsonw *o = packet_begin(e);
	uint8_t t = m->hdr.type;
	uint64_t b;

	header_fields(o, m->hdr.flags);
	if (t == MQTT_CONNECT)
		connect_fields(e, o, m);
	if (t == MQTT_CONNACK)
		jsonw_kbool(o, "session_present", m->ack_flags & 1);
	if (t == MQTT_PUBLISH) {
		jsonw_key(o, "topic");
		jstr(e, o, m->topic);
	}
	if (m->has_msgid && t != MQTT_CONNECT)
		jsonw_kuint(o, "message_id", m->msgid);
	if (t == MQTT_PUBLISH) {
		jsonw_key(o, "message");
		jbytes(e, o, m->payload, limit_of(e, &b));
	}
	if (t == MQTT_CONNACK)
		jsonw_kuint(o, "return_code", m->has_code ? m->code : 0);
	else if (t == MQTT_AUTH)
		jsonw_kuint(o, "reason_code", m->has_code ? m->code : 0);
	else if (m->has_code)
		jsonw_kuint(o, "reason_code", m->code);
	else if (m->version == MQTT_V5 && (t == MQTT_DISCONNECT || (t >= MQTT_PUBACK &&
								    t <= MQTT_PUBCOMP)))
		jsonw_kuint(o, "reason_code", 0); /* 5.0: left out, it means 0x00 (Success) */
	if (t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE)
		topic_list(e, o, m);
	if (t == MQTT_SUBACK || (t == MQTT_UNSUBACK && m->version == MQTT_V5))
		code_list(o, m);
	/* Suricata logs no properties of SUBACK, UNSUBSCRIBE, UNSUBACK */
	if (m->has_props && t != MQTT_SUBACK && t != MQTT_UNSUBSCRIBE && t != MQTT_UNSUBACK) {
		jsonw_key(o, "properties");
		props_obj(e, o, m->props);
	}
	jsonw_obj_end(o);
}

/* ---- records ----------------------------------------------------------------------- */

/* Suricata's time stamp: "2020-11-16T17:50:01.508446+0000" (mqttdump writes UTC). */
static void jtime(struct jsonw *o, const struct frame_ref *at)
{
	char b[48];
	struct tm tm;
	time_t t = (time_t)at->ts_sec;
	size_t n;

	if (!gmtime_r(&t, &tm)) {
		jsonw_cstr(o, "1970-01-01T00:00:00.000000+0000");
		return;
	}
	n = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(b + n, sizeof b - n, ".%06u+0000", (unsigned)(at->ts_nsec / 1000));
	jsonw_cstr(o, b);
}

/* A record of f begins in e->line with its envelope. toclient: the broker is the source.
 * at: the packet it comes from (pcap_cnt, when reading a file), or NULL for a record of the
 * flow's end; when: its time stamp. */
static struct jsonw *envelope(struct eve *e, const struct eflow *f, const char *type,
			      int toclient, const struct frame_ref *at,
			      const struct frame_ref *when)
{
	struct jsonw *o = &e->w;
	char s[64], d[64];

	e->line.len = 0;
	jsonw_reset(o);
	jsonw_obj(o);
	tcp_addr_str(toclient ? &f->b : &f->a, s, sizeof s);
	tcp_addr_str(toclient ? &f->a : &f->b, d, sizeof d);
	jsonw_key(o, "timestamp");
	jtime(o, when);
	jsonw_kuint(o, "flow_id", f->flow_id);
	if (at && !e->o.line_buffered)
		jsonw_kuint(o, "pcap_cnt", at->frame);
	jsonw_kstr(o, "event_type", type);
	jsonw_kstr(o, "src_ip", s);
	jsonw_kuint(o, "src_port", toclient ? f->pb : f->pa);
	jsonw_kstr(o, "dest_ip", d);
	jsonw_kuint(o, "dest_port", toclient ? f->pa : f->pb);
	jsonw_kstr(o, "proto", "TCP");
	return o;
}

/* The record ends: a line, or nothing when it could not be written whole (the loss is
 * noted: the run ends with an error). */
static void emit(struct eve *e, struct jsonw *o, const struct eflow *f)
{
	jsonw_kstr(o, "community_id", f->cid);
	jsonw_obj_end(o);
	if (o->fail || o->depth) {
		mqttdump_oom("--eve");
		return;
	}
	fwrite(e->line.p, 1, e->line.len, e->o.out);
	fputc('\n', e->o.out);
	if (e->o.line_buffered)
		fflush(e->o.out);
}

/* An "anomaly" record: tx_id is the transaction's (-1: none). */
static void anomaly(struct eve *e, const struct eflow *f, int ev, int toclient, int64_t tx_id,
		    const struct frame_ref *at, uint64_t bytes)
{
	struct jsonw *o = envelope(e, f, "anomaly", toclient, at, at);

	if (tx_id >= 0)
		jsonw_kuint(o, "tx_id", (uint64_t)tx_id);
	jsonw_kstr(o, "app_proto", "mqtt");
	jsonw_key(o, "anomaly");
	jsonw_obj(o);
	jsonw_kstr(o, "app_proto", "mqtt");
	jsonw_kstr(o, "type", ev == EV_GAP ? "stream" : "applayer");
	jsonw_kstr(o, "event", event_names[ev]);
	jsonw_kstr(o, "layer", "proto_parser");
	if (bytes)
		jsonw_kuint(o, "bytes", bytes);
	jsonw_obj_end(o);
	emit(e, o, f);
}

/* The "mqtt" record of a transaction. */
static void write_tx(struct eve *e, const struct eflow *f, struct etx *t,
		     const struct frame_ref *at, const struct frame_ref *when)
{
	struct jsonw *o = envelope(e, f, "mqtt", t->toclient, at, when);

	jsonw_key(o, "mqtt");
	jsonw_obj(o);
	jsonw_raw(o, t->mqtt.p ? t->mqtt.p : "", t->mqtt.len); /* its members */
	jsonw_obj_end(o);
	if (t->w.fail)
		o->fail = 1;
	emit(e, o, f);
}

/* ---- transactions ------------------------------------------------------------------ */

/* A packet's object (its text, n bytes) as the member of type kt of t's "mqtt" object. */
static void tx_add(struct etx *t, int kt, const char *obj, size_t n)
{
	jsonw_key(&t->w, type_keys[kt & 15]);
	jsonw_raw(&t->w, obj, n);
	t->have |= (uint16_t)(1u << (kt & 15));
}

/* kt: the packet type its first packet is a member of (-1: none), obj its text. */
static struct etx *tx_new(struct eflow *f, int kt, const char *obj, size_t n, int toclient)
{
	struct etx *t = budget_calloc(1, sizeof *t, "--eve");

	if (!t)
		return NULL;
	jsonw_init(&t->w, &t->mqtt, 0);
	if (kt >= 0)
		tx_add(t, kt, obj, n);
	t->id = f->ntx++;
	t->toclient = (uint8_t)toclient;
	return t;
}

static void tx_free(struct etx *t)
{
	report_buf_free(&t->mqtt);
	free(t);
}

/* Suricata's max-tx: a connection with that many transactions pending closes the oldest
 * with too_many_transactions, so what is held stays bounded. */
static void make_room(struct eve *e, struct eflow *f, const struct frame_ref *at)
{
	while (f->ntxs && f->ntxs >= e->eo.max_tx) {
		struct etx *t = f->txs;
		if (!(f->txs = t->next))
			f->txs_tail = NULL;
		f->ntxs--;
		write_tx(e, f, t, at, at);
		anomaly(e, f, EV_TOO_MANY_TX, t->toclient, (int64_t)t->id, at, 0);
		tx_free(t);
	}
}

/* A transaction complete with its first packet (kt: its type, -1 for none; obj: its object,
 * n bytes), with an event or EV_NONE. */
static void tx_done(struct eve *e, struct eflow *f, const struct frame_ref *at, int toclient,
		    int kt, const char *obj, size_t n, int ev)
{
	struct etx *t;

	make_room(e, f, at);
	if (!(t = tx_new(f, kt, obj, n, toclient)))
		return;
	write_tx(e, f, t, at, at);
	if (ev != EV_NONE)
		anomaly(e, f, ev, toclient, (int64_t)t->id, at, 0);
	tx_free(t);
}

static void tx_wait(struct eve *e, struct eflow *f, const struct frame_ref *at, int toclient,
		    int kt, const char *obj, size_t n, int32_t pkt_id)
{
	struct etx *t;

	make_room(e, f, at);
	if (!(t = tx_new(f, kt, obj, n, toclient)))
		return;
	t->pkt_id = pkt_id;
	if (f->txs_tail)
		f->txs_tail->next = t;
	else
		f->txs = t;
	f->txs_tail = t;
	f->ntxs++;
}

/* An answer to the oldest transaction waiting for pkt_id whose request went the way
 * req_toclient says: added to it, and with last the transaction is complete and written.
 * Suricata matches on the packet id alone; packet ids are the sender's, each side has its
 * own [MQTT-2.2.1-3], so mqttdump also matches the direction (the same transactions when
 * one side publishes, the right ones when both use an id at once). A transaction that has
 * that kind of answer already (a PUBREC sent again) is not the one. 0 when none waits. */
static int tx_answer(struct eve *e, struct eflow *f, const struct frame_ref *at, int kt,
		     const char *obj, size_t n, int32_t pkt_id, int req_toclient, int last)
{
	struct etx *t, *prev = NULL;

	for (t = f->txs; t; prev = t, t = t->next)
		if (t->pkt_id == pkt_id && t->toclient == req_toclient &&
		    !(t->have & (1u << (kt & 15))))
			break;
	if (!t)
		return 0;
	tx_add(t, kt, obj, n);
	if (!last)
		return 1;
	if (prev)
		prev->next = t->next;
	else
		f->txs = t->next;
	if (f->txs_tail == t)
		f->txs_tail = prev;
	f->ntxs--;
	write_tx(e, f, t, at, at);
	tx_free(t);
	return 1;
}

/* What the answer types look for when none waits. */
static int missing_event(uint8_t type)
{
	switch (type) {
	case MQTT_SUBACK: return EV_MISSING_SUBSCRIBE;
	case MQTT_UNSUBACK: return EV_MISSING_UNSUBSCRIBE;
	default: return EV_MISSING_PUBLISH;
	}
}

/* One well-formed packet, its object in e->pkt, into the transactions, as Suricata's MQTT
 * state does it. */
static void handle(struct eve *e, struct eflow *f, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	const struct frame_ref *at = &rec->at;
	uint8_t t = m->hdr.type, qos = (m->hdr.flags >> 1) & 3;
	int tc = rec->dir == REASM_TO_CLIENT;
	int key = t & 15;
	const char *obj = e->pkt.p; /* the packet's object (packet_obj) */
	size_t n = e->pkt.len;

	if (t == MQTT_CONNECT) {
		if (f->connected)
			tx_done(e, f, at, tc, key, obj, n, EV_DOUBLE_CONNECT);
		else
			tx_wait(e, f, at, tc, key, obj, n, PKT_CONNECT);
		return;
	}
	if (t == MQTT_CONNACK) {
		if (tx_answer(e, f, at, key, obj, n, PKT_CONNECT, !tc, 1))
			f->connected = 1;
		else
			tx_done(e, f, at, tc, key, obj, n, EV_MISSING_CONNECT);
		return;
	}
	if (!f->connected) {
		tx_done(e, f, at, tc, key, obj, n, EV_UNINTRODUCED);
		return;
	}
	switch (t) {
	case MQTT_PUBLISH:
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		if (qos == 0)
			tx_done(e, f, at, tc, key, obj, n, EV_NONE);
		else if (qos == 3)
			tx_done(e, f, at, tc, key, obj, n, EV_INVALID_QOS);
		else if (!m->has_msgid)
			tx_done(e, f, at, tc, key, obj, n, EV_MISSING_MSG_ID);
		else
			tx_wait(e, f, at, tc, key, obj, n, m->msgid);
		return;
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBACK:
	case MQTT_PUBCOMP:
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		/* PUBREL comes from the publisher, the others from the other side */
		if (!m->has_msgid ||
		    !tx_answer(e, f, at, key, obj, n, m->msgid, t == MQTT_PUBREL ? tc : !tc,
			       t != MQTT_PUBREC && t != MQTT_PUBREL))
			tx_done(e, f, at, tc, key, obj, n, missing_event(t));
		return;
	default: /* PINGREQ, PINGRESP, DISCONNECT, AUTH: each its own */
		tx_done(e, f, at, tc, key, obj, n, EV_NONE);
	}
}

/* ---- connections ------------------------------------------------------------------- */

static int addr_eq(const struct tcp_addr *x, const struct tcp_addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, x->family == 6 ? 16 : 4);
}

static uint32_t endpoint_hash(const struct tcp_addr *a, uint16_t p)
{
	uint32_t h = 2166136261u ^ p;

	for (int i = 0; i < (a->family == 6 ? 16 : 4); i++)
		h = (h ^ a->a[i]) * 16777619u;
	return h;
}

/* The same for both directions. */
static uint32_t tuple_hash(const struct tcp_addr *x, uint16_t px, const struct tcp_addr *y,
			   uint16_t py)
{
	return (endpoint_hash(x, px) + endpoint_hash(y, py)) % NBUCKETS;
}

/* The connection between (x, px) and (y, py); *dir: 0 when x is its a, else 1. */
static struct eflow *lookup(struct eve *e, const struct tcp_addr *x, uint16_t px,
			    const struct tcp_addr *y, uint16_t py, int *dir)
{
	for (struct eflow *f = e->buckets[tuple_hash(x, px, y, py)]; f; f = f->hnext) {
		if (f->pa == px && f->pb == py && addr_eq(&f->a, x) && addr_eq(&f->b, y)) {
			*dir = 0;
			return f;
		}
		if (f->pa == py && f->pb == px && addr_eq(&f->a, y) && addr_eq(&f->b, x)) {
			*dir = 1;
			return f;
		}
	}
	return NULL;
}

static void list_unlink(struct flow_list *l, struct eflow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		l->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		l->tail = f->prev;
	f->prev = f->next = NULL;
	l->n--;
}

static void list_push(struct flow_list *l, struct eflow *f)
{
	f->prev = NULL;
	f->next = l->head;
	if (l->head)
		l->head->prev = f;
	else
		l->tail = f;
	l->head = f;
	l->n++;
}

static void flow_free(struct eve *e, struct eflow *f)
{
	struct eflow **pp = &e->buckets[tuple_hash(&f->a, f->pa, &f->b, f->pb)];

	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	list_unlink(f->known ? &e->known : &e->cand, f);
	while (f->txs) {
		struct etx *t = f->txs;
		f->txs = t->next;
		tx_free(t);
	}
	free(f);
}

static struct eflow *flow_add(struct eve *e, const struct tcp_addr *a, uint16_t pa,
			      const struct tcp_addr *b, uint16_t pb, const struct frame_ref *at)
{
	struct eflow *f = budget_calloc(1, sizeof *f, "--eve");
	uint32_t h;

	if (!f)
		return NULL;
	f->a = *a;
	f->b = *b;
	f->pa = pa;
	f->pb = pb;
	f->first = f->last = *at;
	h = tuple_hash(a, pa, b, pb);
	f->hnext = e->buckets[h];
	e->buckets[h] = f;
	list_push(&e->cand, f);
	return f;
}

/* The connection becomes known: its client and broker, its ids. */
static void flow_know(struct eve *e, struct eflow *f, int swap)
{
	uint64_t h = 1469598103934665603ull;

	if (swap) {
		struct tcp_addr t = f->a;
		uint16_t tp = f->pa;
		uint64_t n;
		uint8_t fl;
		f->a = f->b;
		f->b = t;
		f->pa = f->pb;
		f->pb = tp;
		n = f->pkts[0], f->pkts[0] = f->pkts[1], f->pkts[1] = n;
		n = f->bytes[0], f->bytes[0] = f->bytes[1], f->bytes[1] = n;
		fl = f->flags[0], f->flags[0] = f->flags[1], f->flags[1] = fl;
	}
	list_unlink(&e->cand, f);
	f->known = 1;
	list_push(&e->known, f);
	community_id_v1(0, &f->a, f->pa, &f->b, f->pb, 6, f->cid, sizeof f->cid);
	/* Suricata's flow_id is a 64-bit integer unique per flow: a hash of the flow and its
	 * start, above a run counter so two flows never share one (51 bits: exact in JSON
	 * readers that use doubles). */
	for (const char *p = f->cid; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	h ^= (uint64_t)f->first.ts_sec * 1000003u + f->first.ts_nsec;
	f->flow_id = ((h & 0x7fffffffu) << 20 | (e->nflows++ & 0xfffff)) | 1ull << 50;
}

/* The connection of a record or event of the MQTT stages, made known. */
static struct eflow *flow_of(struct eve *e, const struct reasm_flow *rf,
			     const struct frame_ref *at)
{
	int dir = 0;
	struct eflow *f = lookup(e, &rf->client, rf->client_port, &rf->broker, rf->broker_port,
				 &dir);

	if (!f && !(f = flow_add(e, &rf->client, rf->client_port, &rf->broker, rf->broker_port,
				 at)))
		return NULL;
	if (!f->known)
		flow_know(e, f, dir);
	return f;
}

static const char *reason_of(int why)
{
	switch (why) {
	case REASM_END_CAPTURE: return "shutdown";
	case REASM_END_EVICTED: return "forced";
	default: return "timeout"; /* closed, reset or idle: Suricata logs it when it expires */
	}
}

/* The TCP flags as Suricata's flow records show them: hex, then one member per flag set. */
static void tcp_flags(struct jsonw *o, uint8_t fl[2])
{
	static const struct { uint8_t bit; const char *name; } names[] = {
		{ TCP_SYN, "syn" }, { TCP_FIN, "fin" }, { TCP_RST, "rst" }, { TCP_PSH, "psh" },
		{ TCP_ACK, "ack" },
	};
	char b[8];
	uint8_t all = fl[0] | fl[1];

	snprintf(b, sizeof b, "%02x", all);
	jsonw_kstr(o, "tcp_flags", b);
	snprintf(b, sizeof b, "%02x", fl[0]);
	jsonw_kstr(o, "tcp_flags_ts", b);
	snprintf(b, sizeof b, "%02x", fl[1]);
	jsonw_kstr(o, "tcp_flags_tc", b);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (all & names[i].bit)
			jsonw_kbool(o, names[i].name, 1);
}

/* The "flow" record of a connection that ended. */
static void write_flow(struct eve *e, struct eflow *f)
{
	struct jsonw *o = envelope(e, f, "flow", 0, NULL, &f->first), *fl = o;
	uint8_t all = f->flags[0] | f->flags[1];

	if (f->mqtt)
		jsonw_kstr(o, "app_proto", "mqtt");
	jsonw_key(o, "flow");
	jsonw_obj(fl);
	jsonw_kuint(fl, "pkts_toserver", f->pkts[0]);
	jsonw_kuint(fl, "pkts_toclient", f->pkts[1]);
	jsonw_kuint(fl, "bytes_toserver", f->bytes[0]);
	jsonw_kuint(fl, "bytes_toclient", f->bytes[1]);
	jsonw_key(fl, "start");
	jtime(fl, &f->first);
	jsonw_key(fl, "end");
	jtime(fl, &f->last);
	jsonw_kuint(fl, "age", f->last.ts_sec > f->first.ts_sec ?
		 (uint64_t)(f->last.ts_sec - f->first.ts_sec) : 0);
	jsonw_kstr(fl, "state", all & (TCP_FIN | TCP_RST) ? "closed" :
						(f->flags[0] & f->flags[1] & TCP_ACK) ?
						"established" : "new");
	jsonw_kstr(fl, "reason", reason_of(f->end_why));
	jsonw_kbool(fl, "alerted", 0);
	jsonw_obj_end(fl);
	jsonw_key(o, "tcp");
	jsonw_obj(o);
	tcp_flags(o, f->flags);
	jsonw_obj_end(o);
	emit(e, o, f);
}

/* A connection ended: what still waits is written (Suricata logs its open transactions
 * when the flow goes), then its flow record. */
static void flow_end(struct eve *e, struct eflow *f)
{
	while (f->txs) {
		struct etx *t = f->txs;
		f->txs = t->next;
		write_tx(e, f, t, NULL, &f->end_at);
		tx_free(t);
	}
	f->txs_tail = NULL;
	f->ntxs = 0;
	write_flow(e, f);
	flow_free(e, f);
}

/* Write the connections whose end came (all with now NULL, else those that ended more than
 * END_LINGER seconds before now): the segments after the end (the last ACK of a FIN
 * handshake) are counted in the flow record first. */
static void flush_ending(struct eve *e, const struct frame_ref *now)
{
	while (e->ending && (!now || now->ts_sec - e->ending->end_at.ts_sec > END_LINGER)) {
		struct eflow *f = e->ending;
		if (!(e->ending = f->end_next))
			e->ending_tail = NULL;
		flow_end(e, f);
	}
}

/* f now: out of the list of connections that ended, and written. */
static void flush_one(struct eve *e, struct eflow *f)
{
	struct eflow **pp = &e->ending, *prev = NULL;

	while (*pp && *pp != f) {
		prev = *pp;
		pp = &(*pp)->end_next;
	}
	if (!*pp)
		return;
	*pp = f->end_next;
	if (e->ending_tail == f)
		e->ending_tail = prev;
	flow_end(e, f);
}

/* 1 when a segment between these ports may be one of a followed connection. */
static int followed(const struct eve *e, uint16_t sport, uint16_t dport)
{
	for (size_t i = 0; i < 3; i++)
		if (e->eo.ports[i] && (port_set_has(e->eo.ports[i], sport) ||
				       port_set_has(e->eo.ports[i], dport)))
			return 1;
	return e->eo.any_port;
}

/* Count a segment in its connection's packets and bytes; a connection not known yet is a
 * candidate (at most MAX_CANDIDATES, the least recent given up first). */
static void count(struct eve *e, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	int dir = 0;
	struct eflow *f = lookup(e, &seg->src, seg->sport, &seg->dst, seg->dport, &dir);

	if (f && f->ending && (seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		flush_one(e, f); /* a new connection on the same endpoints */
		f = NULL;
	}
	if (!f) {
		if (!followed(e, seg->sport, seg->dport))
			return;
		if (e->cand.n >= MAX_CANDIDATES)
			flow_free(e, e->cand.tail);
		if (!(f = flow_add(e, &seg->src, seg->sport, &seg->dst, seg->dport, &seg->at)))
			return;
	} else if (!f->known) {
		list_unlink(&e->cand, f);
		list_push(&e->cand, f);
	}
	f->pkts[dir]++;
	f->bytes[dir] += pkt->len;
	f->flags[dir] |= seg->flags;
	f->last = seg->at;
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct eve *e = ctx;

	if (seg)
		count(e, pkt, seg);
	flush_ending(e, &(struct frame_ref){ pkt->frame, pkt->ts_sec, pkt->ts_nsec, pkt->len });
}

/* A packet longer than max-msg-length: Suricata skips it and logs its header, "truncated"
 * and "skipped_length" (fixed header and remaining length). flags < 0: not known. */
static void truncated(struct eve *e, struct eflow *f, const struct frame_ref *at, int tc,
		      uint8_t type, int flags, uint64_t total)
{
	struct jsonw *o = packet_begin(e);

	if (flags >= 0)
		header_fields(o, (uint8_t)flags);
	jsonw_kbool(o, "truncated", 1);
	jsonw_kuint(o, "skipped_length", total);
	jsonw_obj_end(o);
	if (!packet_ok(e))
		return;
	tx_done(e, f, at, tc, type & 15, e->pkt.p, e->pkt.len, EV_NONE);
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct eve *e = ctx;
	const struct mqtt_msg *m = &rec->msg;
	struct eflow *f = flow_of(e, rec->flow, &rec->at);
	int tc = rec->dir == REASM_TO_CLIENT;
	uint8_t t = m->hdr.type;

	if (!f || f->dead)
		return;
	f->mqtt = 1;
	if (rec->length_known && m->hdr.remlen > e->eo.max_msg_len) {
		truncated(e, f, &rec->at, tc, t, m->hdr.flags, (uint64_t)m->hdr.hdrlen +
			  m->hdr.remlen);
		return;
	}
	if (rec->incomplete || rec->truncated) {
		/* bytes of it were not captured: not read as a whole packet */
		anomaly(e, f, EV_INCOMPLETE, tc, -1, &rec->at, rec->have);
		return;
	}
	if (t == MQTT_RESERVED0) {
		tx_done(e, f, &rec->at, tc, -1, NULL, 0, EV_UNASSIGNED_TYPE);
		return;
	}
	/* Suricata reads a PUBLISH of QoS 3 (it says invalid_qos_level); other packets that
	 * cannot be read to their end stop its parser for the flow */
	if (mqtt_malformed(m) && !(t == MQTT_PUBLISH && m->qos == 3)) {
		tx_done(e, f, &rec->at, tc, -1, NULL, 0, EV_MALFORMED);
		f->dead = 1;
		return;
	}
	packet_obj(e, m);
	if (packet_ok(e))
		handle(e, f, rec);
}

static void event(void *ctx, const struct framer_event *ev)
{
	struct eve *e = ctx;
	struct eflow *f = flow_of(e, ev->flow, &ev->at);
	int tc = ev->dir == REASM_TO_CLIENT;

	if (!f)
		return;
	switch (ev->kind) {
	case FRAMER_EV_END:
		if (!f->ending) {
			f->ending = 1;
			f->end_why = ev->why;
			f->end_at = ev->at;
			f->end_next = NULL;
			if (e->ending_tail)
				e->ending_tail->end_next = f;
			else
				e->ending = f;
			e->ending_tail = f;
		}
		break;
	case FRAMER_EV_OVERSIZE:
		if (!f->dead) {
			f->mqtt = 1;
			truncated(e, f, &ev->at, tc, ev->type, -1, ev->len);
		}
		break;
	case FRAMER_EV_GAP:
		anomaly(e, f, EV_GAP, tc, -1, &ev->at, ev->len);
		break;
	case FRAMER_EV_SKIPPED:
		anomaly(e, f, EV_SKIPPED, tc, -1, &ev->at, ev->len);
		break;
	default:
		break;
	}
}

static void finish(void *ctx)
{
	struct eve *e = ctx;

	flush_ending(e, NULL);
	/* every followed connection ended before this (the capture's end closes them); those
	 * -c stopped early are written as the capture's end would */
	while (e->known.head) {
		struct eflow *f = e->known.head;
		f->end_why = REASM_END_CAPTURE;
		f->end_at = f->last;
		flow_end(e, f);
	}
	fflush(e->o.out);
}

static void eve_free(void *ctx)
{
	struct eve *e = ctx;

	if (!e)
		return;
	while (e->known.head)
		flow_free(e, e->known.head);
	while (e->cand.head)
		flow_free(e, e->cand.head);
	free(e->tmp);
	free(e->mem);
	free(e->hash);
	report_buf_free(&e->keys);
	report_buf_free(&e->line);
	report_buf_free(&e->pkt);
	free(e);
}

int report_eve_new(const struct report_opts *o, const struct eve_opts *eo, struct reporter *r)
{
	struct eve *e = budget_calloc(1, sizeof *e, "--eve");

	if (!e)
		return -1;
	e->o = *o;
	e->eo = *eo;
	jsonw_init(&e->w, &e->line, 0);
	jsonw_init(&e->pw, &e->pkt, 0);
	memset(r, 0, sizeof *r);
	r->ctx = e;
	r->message = message;
	r->event = event;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = eve_free;
	return 0;
}
