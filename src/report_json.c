/* \summary: JSON Lines reporter: one object per MQTT message or event (docs/json.md) */
#include "mqttdump/budget.h"
#include "mqttdump/community_id.h"
#include "mqttdump/jsonw.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"
#include "mqttdump/ws.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* What every record of a connection carries besides where it is: its ids, and its client
 * id once known, kept per connection (by stream index, direct mapped: a connection whose
 * entry another took has it computed again, and its client id read again from its
 * session, which lives until its end has been written). */
#define FLOWS_CACHED 1024 /* connections whose ids are kept (a dense capture had 300 open) */

struct jflow {
	uint64_t index;
	uint8_t live, has_client;
	uint16_t client_len;
	uint64_t flow_id;
	uint8_t flow_id_len;
	char flow_id_text[24];      /* its digits: written in every record */
	char cid[COMMUNITY_ID_LEN];
	char addr[2][48];           /* the client's and the broker's address, as text */
	char client[SESSION_STR_MAX];
};

struct jrep {
	struct report_opts o;
	char *tmp;          /* scratch for sanitised strings, reused */
	size_t tmpcap;
	struct session_tracker *sessions; /* told its records as they become known, or NULL */
	struct jflow *flows;              /* FLOWS_CACHED */
	struct report_buf line;           /* the record being written */
	struct jsonw w;                   /* on line */
	/* the tracker's records of the packet being given, written after its own record:
	 * their lines, held in this buffer */
	struct report_buf held;
	struct jsonw hw;                  /* on held */
	size_t mark;                      /* where the record being written starts in held */
};

static char *scratch(struct jrep *j, size_t n)
{
	if (n > j->tmpcap) {
		size_t nc = j->tmpcap ? j->tmpcap : 1024;
		char *t;
		while (nc < n)
			nc *= 2;
		if (!(t = budget_realloc(j->tmp, nc, "--json")))
			return NULL;
		j->tmp = t;
		j->tmpcap = nc;
	}
	return j->tmp;
}

/* A JSON string from bytes that should be UTF-8: bad sequences become U+FFFD (then *lossy
 * is set, when given: the text no longer tells the bytes). */
static int utf8_clean(const uint8_t *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = mqtt_utf8_seq(p + i, n - i)))
			return 0;
	return 1;
}

static void jstr_l(struct jrep *j, struct jsonw *w, const uint8_t *p, size_t n, int *lossy)
{
	char *out;
	size_t o = 0, i = 0, k;
	int clean = utf8_clean(p, n);

	if (lossy)
		*lossy = !clean;
	if (clean) {
		jsonw_str(w, p, n);
		return;
	}
	if (!(out = scratch(j, n * 3 + 1))) {
		jsonw_str(w, "", 0); /* (the failure is noted: the run ends with an error) */
		return;
	}
	for (i = 0; i < n;) {
		if ((k = mqtt_utf8_seq(p + i, n - i))) {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	jsonw_str(w, out, o);
}

static void jstr(struct jrep *j, struct jsonw *w, const uint8_t *p, size_t n)
{
	jstr_l(j, w, p, n, NULL);
}

/* A string field under key; when it is not valid UTF-8 (its bytes became U+FFFD), its
 * length in bytes too, under lkey ("clientid_len"). */
static void add_text(struct jrep *j, struct jsonw *w, const char *key, const char *lkey,
		     struct mqtt_view v)
{
	int lossy;

	jsonw_key(w, key);
	jstr_l(j, w, v.p, v.len, &lossy);
	if (lossy)
		jsonw_kint(w, lkey, v.len);
}

/* Payload as text when it is UTF-8, else as hex; at most payload_max bytes. */
static void add_payload(struct jrep *j, struct jsonw *w, const char *tkey, const char *hkey,
			const char *cutkey, struct mqtt_view v)
{
	uint32_t n = v.len < j->o.payload_max ? v.len : j->o.payload_max;
	struct mqtt_view t = { v.p, n };
	int text = 1;

	/* Cut on a character boundary: step back over continuation bytes. */
	if (n < v.len)
		while (t.len > 0 && (v.p[t.len] & 0xc0) == 0x80 && v.len - t.len < 4 &&
		       n - t.len < 3)
			t.len--;
	if (memchr(v.p, 0, t.len))
		text = 0;
	if (text && mqtt_utf8_valid(t)) {
		jsonw_kstr_n(w, tkey, t.p, t.len);
	} else {
		jsonw_key(w, hkey);
		jsonw_hex(w, v.p, n);
		t.len = n;
	}
	if (t.len < v.len)
		jsonw_kbool(w, cutkey, 1);
}

/* A property's value; a string that is not UTF-8 gives its length too: "<key>_len" beside
 * it in the properties, "key_len"/"value_len" in a user property. */
static void prop_value(struct jrep *j, struct jsonw *w, const struct mqtt_prop *p)
{
	switch (p->ptype) {
	case MQTT_PT_UTF8:
		jstr(j, w, p->str.p, p->str.len);
		break;
	case MQTT_PT_BINARY:
		jsonw_hex(w, p->str.p, p->str.len);
		break;
	case MQTT_PT_PAIR:
		jsonw_obj(w);
		add_text(j, w, "key", "key_len", p->str);
		add_text(j, w, "value", "value_len", p->str2);
		jsonw_obj_end(w);
		break;
	default:
		jsonw_int(w, p->num);
		break;
	}
}

/* The members of "properties", in the order json-c's object gave them when this output was
 * built on it (docs/json.md keeps that order): a key where it first appeared; a repeated
 * single property (a protocol error) keeps its place and its last value; a repeatable one
 * (user property, subscription identifier) is an array of all its values; "<key>_len"
 * (the length of a string that is not UTF-8) where the first such string appeared, with the
 * last one's length; "authentication_data_len" (its length, unless --show-secrets) last,
 * in place of the data. A property's key and kind come from its identifier, so there are
 * at most two members per identifier. */
struct pmember {
	uint8_t id, is_len, secret;
	struct mqtt_prop last;      /* a single property's last value */
	uint32_t len;               /* is_len: the length */
};

#define PMEMBERS 128  /* 2 per identifier read (the known ones: fewer than 64) */

static struct pmember *pm_get(struct pmember *m, size_t *n, uint8_t id, int is_len)
{
	static struct pmember spare; /* never written out: PMEMBERS would not do */

	for (size_t i = 0; i < *n; i++)
		if (m[i].id == id && m[i].is_len == is_len && !m[i].secret)
			return &m[i];
	if (*n == PMEMBERS)
		return &spare;
	memset(&m[*n], 0, sizeof m[*n]);
	m[*n].id = id;
	m[*n].is_len = (uint8_t)is_len;
	return &m[(*n)++];
}

/* Read the block: its members in *m (n returned), where reading stopped in *bad_id. */
static size_t pm_read(const struct jrep *j, struct mqtt_view pv, struct pmember *m,
		      int64_t *bad_id)
{
	struct mqtt_cursor c = mqtt_cursor_of(pv);
	struct mqtt_prop p;
	size_t n = 0;
	uint32_t id;

	while (mqtt_next_prop(&c, &p) == MQTT_OK) {
		if (p.ptype == MQTT_PT_UTF8 && !utf8_clean(p.str.p, p.str.len))
			pm_get(m, &n, p.id, 1)->len = p.str.len;
		pm_get(m, &n, p.id, 0)->last = p;
	}
	/* where reading stopped: an unknown identifier, or a property the block's (or the
	 * packet's) end cuts */
	*bad_id = c.p < c.end && mqtt_get_varint(&c, &id) == MQTT_OK ? (int64_t)id : -1;
	if (!j->o.show_secrets)
		for (size_t i = 0; i < n; i++)
			if (m[i].id == 0x16 && !m[i].is_len) {
				struct pmember s = m[i];
				memmove(&m[i], &m[i + 1], (n - i - 1) * sizeof *m);
				s.secret = 1;
				m[n - 1] = s;
				break;
			}
	return n;
}

static void props_obj(struct jrep *j, struct jsonw *w, struct mqtt_view pv, int64_t *bad_id)
{
	struct pmember m[PMEMBERS];
	size_t n = pm_read(j, pv, m, bad_id);
	char lkey[64];

	jsonw_obj(w);
	for (size_t i = 0; i < n; i++) {
		const char *key = mqtt_prop_key(m[i].id);
		if (m[i].is_len || m[i].secret) {
			snprintf(lkey, sizeof lkey, "%s_len", key);
			jsonw_kint(w, lkey, m[i].secret ? m[i].last.str.len : m[i].len);
		} else if (mqtt_prop_repeats(m[i].id)) {
			struct mqtt_cursor c = mqtt_cursor_of(pv);
			struct mqtt_prop p;
			jsonw_key(w, key);
			jsonw_arr(w);
			while (mqtt_next_prop(&c, &p) == MQTT_OK)
				if (p.id == m[i].id)
					prop_value(j, w, &p);
			jsonw_arr_end(w);
		} else {
			jsonw_key(w, key);
			prop_value(j, w, &m[i].last);
		}
	}
	jsonw_obj_end(w);
}

/* A property block: "property_len" (the Property Length it declares), "properties", and
 * "bad_property_id" when a property could not be read. */
static void add_props(struct jrep *j, struct jsonw *w, struct mqtt_view pv, uint32_t declared)
{
	int64_t bad;

	jsonw_kint(w, "property_len", declared);
	jsonw_key(w, "properties");
	props_obj(j, w, pv, &bad);
	if (bad >= 0)
		jsonw_kint(w, "bad_property_id", bad);
}

static void add_code(struct jsonw *w, const struct mqtt_msg *m)
{
	const char *name = mqtt_code_name(m->hdr.type, m->version, m->code);

	jsonw_kint(w, "code", m->code);
	if (name)
		jsonw_kstr(w, "code_name", name);
}

/* A record starts: its writer at the start of a new line in b. */
static void rec_begin(struct jsonw *w)
{
	jsonw_reset(w);
	jsonw_obj(w);
}

/* A record ends at mark in b: a line, or nothing when the buffer could not grow (the loss
 * is noted: the run ends with an error, docs/robustness.md). */
static void rec_end(struct jsonw *w, size_t mark)
{
	jsonw_obj_end(w);
	if (w->fail || w->depth || report_buf_room(w->b, 1) < 0) {
		w->b->len = mark;
		mqttdump_oom("--json"); /* the record is not written */
		return;
	}
	w->b->p[w->b->len++] = '\n';
}

static void out(struct jrep *j, struct report_buf *b)
{
	if (b->len)
		fwrite(b->p, 1, b->len, j->o.out);
	b->len = 0;
}

static void emit(struct jrep *j)
{
	rec_end(&j->w, 0);
	out(j, &j->line);
	if (j->o.line_buffered)
		fflush(j->o.out);
}

/* The tracker's records of this packet, after its own record. */
static void emit_held(struct jrep *j)
{
	if (!j->held.len)
		return;
	out(j, &j->held);
	if (j->o.line_buffered)
		fflush(j->o.out);
}

/* Seconds as a number written with the capture's digits ("1795891471.123456"). */
static void jseconds(const struct jrep *j, struct jsonw *w, int64_t sec, uint32_t nsec)
{
	char b[48];

	report_rel_time(sec, nsec, 0, 0, j->o.ts_digits, b, sizeof b);
	jsonw_raw(w, b, strlen(b));
}

static void jduration(const struct jrep *j, struct jsonw *w, uint64_t ns)
{
	jseconds(j, w, (int64_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u));
}

/* The connection's cached ids, its client id refreshed from its session. */
static struct jflow *jflow_of(struct jrep *j, const struct reasm_flow *f)
{
	struct jflow *e = &j->flows[f->index % FLOWS_CACHED];
	const struct session *s;
	uint64_t h = 1469598103934665603ull;

	if (!e->live || e->index != f->index) {
		memset(e, 0, sizeof *e);
		e->live = 1;
		e->index = f->index;
		community_id_v1(0, &f->client, f->client_port, &f->broker, f->broker_port, 6,
				e->cid, sizeof e->cid);
		/* unique in a run for the first 2^20 connections, below 2^51 (exact as a
		 * double), as --eve's: a hash of the Community ID above the stream index */
		for (const char *p = e->cid; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
		e->flow_id = ((h & 0x7fffffffu) << 20 | (f->index & 0xfffff)) | 1ull << 50;
		e->flow_id_len = (uint8_t)report_u64(e->flow_id_text, e->flow_id);
		tcp_addr_str(&f->client, e->addr[0], sizeof e->addr[0]);
		tcp_addr_str(&f->broker, e->addr[1], sizeof e->addr[1]);
	}
	if (j->sessions && (s = session_of(j->sessions, f)) && s->has_clientid &&
	    s->index == f->index) {
		e->has_client = 1;
		e->client_len = s->clientid_len;
		memcpy(e->client, s->clientid, s->clientid_len);
	}
	return e;
}

/* flow_id, community_id, and client (the client id) once the CONNECT was seen. */
static void add_ids(struct jrep *j, struct jsonw *o, const struct jflow *e)
{
	jsonw_key(o, "flow_id");
	jsonw_raw(o, e->flow_id_text, e->flow_id_len); /* (below 2^51: the same as an int64) */
	if (e->cid[0])
		jsonw_kname(o, "community_id", e->cid); /* base64: no escape */
	if (e->has_client) {
		jsonw_key(o, "client");
		jstr(j, o, (const uint8_t *)e->client, e->client_len);
	}
}

/* frame, ts, stream and the endpoints of the direction. */
static void add_where(struct jrep *j, struct jsonw *o, const struct frame_ref *at,
		      const struct reasm_flow *f, int dir)
{
	char ts[48];
	const struct jflow *e = jflow_of(j, f);
	int up = dir == REASM_TO_BROKER;

	jsonw_kint(o, "frame", (int64_t)at->frame);
	report_iso_time(at->ts_sec, at->ts_nsec, j->o.ts_digits, ts, sizeof ts);
	jsonw_kname(o, "ts", ts);
	jsonw_key(o, "epoch");
	jseconds(j, o, at->ts_sec, at->ts_nsec);
	jsonw_kint(o, "stream", (int64_t)f->index);
	jsonw_kname(o, "src", e->addr[!up]);
	jsonw_kint(o, "sport", up ? f->client_port : f->broker_port);
	jsonw_kname(o, "dst", e->addr[up]);
	jsonw_kint(o, "dport", up ? f->broker_port : f->client_port);
	jsonw_kname(o, "from", up ? "client" : "broker");
	add_ids(j, o, e);
}

/* A string the packet ends inside (a cut or malformed packet): its 2-byte length, when that
 * was captured at `at`, under lkey without the string ("clientid_len"). */
static void add_cut_len(struct jsonw *o, const char *lkey, const struct mqtt_record *rec,
			const uint8_t *at)
{
	if (rec->raw && at >= rec->raw && at + 2 <= rec->raw + rec->have)
		jsonw_kint(o, lkey, at[0] << 8 | at[1]);
}

static void add_will(struct jrep *j, struct jsonw *o, const struct mqtt_msg *m)
{
	struct jsonw *w = o;

	jsonw_key(o, "will");
	jsonw_obj(w);
	if (m->will_topic.p)
		add_text(j, w, "topic", "topic_len", m->will_topic);
	if (m->will_payload.p) {
		add_payload(j, w, "payload", "payload_hex", "payload_cut", m->will_payload);
		jsonw_kint(w, "payload_len", m->will_payload.len);
	}
	jsonw_kint(w, "qos", (m->connect_flags >> 3) & 3);
	jsonw_kbool(w, "retain", (m->connect_flags >> 5) & 1);
	if (m->has_will_props)
		add_props(j, w, m->will_props, m->will_props_len);
	jsonw_obj_end(w);
}

/* The CONNECT fields read (a malformed or cut CONNECT ends early: the rest is absent). */
static void add_connect(struct jrep *j, struct jsonw *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	size_t fixed = 4; /* bytes of level, flags and keep alive read */

	if (!m->proto_name.p)
		return;
	add_text(j, o, "proto_name", "proto_name_len", m->proto_name);
	if (rec->raw) {
		const uint8_t *at = m->proto_name.p + m->proto_name.len;
		size_t left = (size_t)(rec->raw + rec->have - at);
		fixed = left < fixed ? left : fixed;
	}
	if (fixed >= 1)
		jsonw_kint(o, "proto_level", m->proto_level);
	if (fixed >= 2)
		jsonw_kint(o, "connect_flags", m->connect_flags);
	if (fixed >= 4)
		jsonw_kint(o, "keepalive", m->keepalive);
	if (fixed >= 2)
		jsonw_kbool(o, "clean_start", (m->connect_flags >> 1) & 1);
	if (!m->clientid.p) {
		const uint8_t *at = m->proto_name.p + m->proto_name.len + 4;
		if (m->version == MQTT_V5)
			at = m->has_props && m->props.len == m->props_len ?
			     m->props.p + m->props.len : NULL;
		if (fixed >= 4 && at)
			add_cut_len(o, "clientid_len", rec, at);
		return;
	}
	add_text(j, o, "clientid", "clientid_len", m->clientid);
	if (m->has_will)
		add_will(j, o, m);
	if (m->has_username)
		add_text(j, o, "username", "username_len", m->username);
	if (m->has_password) {
		jsonw_kint(o, "password_len", m->password.len);
		if (j->o.show_secrets)
			add_payload(j, o, "password", "password_hex", "password_cut", m->password);
	}
}

/* UNSUBSCRIBE: "topic" (the first filter), "filters", and "filters_len" (each one's length
 * in bytes) when one of them is not UTF-8. */
static void add_filters(struct jrep *j, struct jsonw *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	int lossy, any = 0;

	if (mqtt_next_filter(&c, &f) == MQTT_OK)
		add_text(j, o, "topic", "topic_len", f);
	else if (m->list.p)
		add_cut_len(o, "topic_len", rec, m->list.p);
	c.p = m->list.p;
	jsonw_key(o, "filters");
	jsonw_arr(o);
	while (mqtt_next_filter(&c, &f) == MQTT_OK) {
		jstr_l(j, o, f.p, f.len, &lossy);
		any |= lossy;
	}
	jsonw_arr_end(o);
	if (!any)
		return;
	c.p = m->list.p;
	jsonw_key(o, "filters_len");
	jsonw_arr(o);
	while (mqtt_next_filter(&c, &f) == MQTT_OK)
		jsonw_uint(o, f.len);
	jsonw_arr_end(o);
}

static void add_list(struct jrep *j, struct jsonw *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t opt;

	if (m->hdr.type == MQTT_UNSUBSCRIBE) {
		add_filters(j, o, rec);
		return;
	}
	switch (m->hdr.type) {
	case MQTT_SUBSCRIBE:
		/* "topic": the first filter, so that one key finds a topic in any message */
		if (mqtt_next_sub(&c, m->version, &f, &opt) == MQTT_OK)
			add_text(j, o, "topic", "topic_len", f);
		else if (m->list.p)
			add_cut_len(o, "topic_len", rec, m->list.p);
		c.p = m->list.p;
		jsonw_key(o, "subscriptions");
		jsonw_arr(o);
		while (mqtt_next_sub(&c, m->version, &f, &opt) == MQTT_OK) {
			struct jsonw *s = o;
			jsonw_obj(s);
			add_text(j, s, "filter", "filter_len", f);
			jsonw_kint(s, "qos", opt & 3);
			jsonw_kint(s, "options", opt);
			if (m->version == MQTT_V5) {
				jsonw_kbool(s, "no_local", (opt >> 2) & 1);
				jsonw_kbool(s, "retain_as_published", (opt >> 3) & 1);
				jsonw_kint(s, "retain_handling", (opt >> 4) & 3);
			}
			jsonw_obj_end(s);
		}
		jsonw_arr_end(o);
		break;
	default: { /* SUBACK, UNSUBACK: one code per filter */
		jsonw_key(o, "codes");
		jsonw_arr(o);
		for (uint32_t i = 0; i < m->list.len; i++)
			jsonw_uint(o, m->list.p[i]);
		jsonw_arr_end(o);
		jsonw_key(o, "code_names");
		jsonw_arr(o);
		for (uint32_t i = 0; i < m->list.len; i++) {
			const char *n = mqtt_code_name(m->hdr.type, m->version, m->list.p[i]);
			if (n)
				jsonw_cstr(o, n);
			else
				jsonw_null(o); /* a code without a name */
		}
		jsonw_arr_end(o);
		break;
	}
	}
}

/* The fields of the packet's type. */
static void add_body(struct jrep *j, struct jsonw *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;

	switch (m->hdr.type) {
	case MQTT_CONNECT:
		add_connect(j, o, rec);
		break;
	case MQTT_CONNACK:
		if (!rec->raw || rec->have > m->hdr.hdrlen) { /* the flags byte was read */
			jsonw_kbool(o, "session_present", m->ack_flags & 1);
			jsonw_kint(o, "connack_flags", m->ack_flags);
		}
		if (m->has_code)
			add_code(o, m);
		break;
	case MQTT_PUBLISH:
		jsonw_kint(o, "qos", m->qos);
		jsonw_kbool(o, "retain", m->retain);
		jsonw_kbool(o, "dup", m->dup);
		if (m->topic.p) {
			jsonw_key(o, "topic");
			jstr(j, o, m->topic.p, m->topic.len);
			/* on the wire: 0 when the topic came from its alias */
			jsonw_kint(o, "topic_len", rec->topic_from_alias ? 0 : m->topic.len);
		} else if (rec->length_known && rec->raw) {
			add_cut_len(o, "topic_len", rec, rec->raw + m->hdr.hdrlen);
		}
		if (rec->topic_from_alias)
			jsonw_kbool(o, "topic_from_alias", 1);
		if (m->payload.p) {
			jsonw_kint(o, "payload_len", m->payload.len);
			add_payload(j, o, "payload", "payload_hex", "payload_cut", m->payload);
		}
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
	case MQTT_SUBACK:
		add_list(j, o, rec);
		break;
	case MQTT_UNSUBACK:
		if (m->version == MQTT_V5)
			add_list(j, o, rec);
		break;
	default:
		if (m->has_code)
			add_code(o, m);
		break;
	}
}

/* Its properties and the rules it breaks. */
static void add_tail(struct jrep *j, struct jsonw *o, const struct mqtt_msg *m)
{
	if (m->has_props)
		add_props(j, o, m->props, m->props_len);
	if (m->nwarn) {
		jsonw_key(o, "warnings");
		jsonw_arr(o);
		for (unsigned i = 0; i < m->nwarn; i++) {
			struct jsonw *x = o;
			jsonw_obj(x);
			jsonw_kstr(x, "text", m->warn[i].text);
			if (m->warn[i].rule)
				jsonw_kstr(x, "rule", m->warn[i].rule);
			jsonw_kint(x, "offset", m->warn[i].offset);
			jsonw_obj_end(x);
		}
		jsonw_arr_end(o);
		if (mqtt_malformed(m))
			jsonw_kbool(o, "malformed", 1);
	}
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct jrep *j = ctx;
	const struct mqtt_msg *m = &rec->msg;
	struct jsonw *o = &j->w;
	const char *ver = mqtt_version_name(rec->version);

	rec_begin(o);
	add_where(j, o, &rec->at, rec->flow, rec->dir);
	jsonw_kname(o, "type", mqtt_type_name(m->hdr.type));
	jsonw_kint(o, "type_id", m->hdr.type);
	jsonw_kname(o, "label", mqtt_type_label(m->hdr.type));
	jsonw_kint(o, "flags", m->hdr.flags);
	if (rec->length_known)
		jsonw_kint(o, "length", m->hdr.remlen);
	if (m->hdr.type == MQTT_CONNECT && m->proto_level)
		ver = mqtt_version_name(m->version);
	if (ver)
		jsonw_kstr(o, "version", ver);
	if (rec->version_inferred && !(m->hdr.type == MQTT_CONNECT && m->proto_level))
		jsonw_kbool(o, "version_inferred", 1);
	if (rec->incomplete)
		jsonw_kbool(o, "incomplete", 1);
	if (rec->truncated)
		jsonw_kbool(o, "truncated", 1);
	if (rec->incomplete || rec->truncated) {
		jsonw_kint(o, "have", rec->have);
		if (rec->captured > rec->have)
			jsonw_kint(o, "captured", rec->captured);
	}
	if (rec->first_frame && rec->first_frame != rec->at.frame)
		jsonw_kint(o, "first_frame", (int64_t)rec->first_frame);
	if (m->has_msgid)
		jsonw_kint(o, "msgid", m->msgid);

	add_body(j, o, rec);
	add_tail(j, o, m);
	emit(j);
	emit_held(j);
}

static const char *const event_names[] = {
	[FRAMER_EV_GAP] = "gap",
	[FRAMER_EV_SKIPPED] = "skipped",
	[FRAMER_EV_OVERSIZE] = "oversize",
	[FRAMER_EV_END] = "end",
	[FRAMER_EV_VERSION] = "version",
	[FRAMER_EV_MEMORY] = "memory",
};

static void event(void *ctx, const struct framer_event *ev)
{
	struct jrep *j = ctx;
	struct jsonw *o = &j->w;

	rec_begin(o);
	jsonw_kstr(o, "event", event_names[ev->kind]);
	add_where(j, o, &ev->at, ev->flow, ev->dir);
	switch (ev->kind) {
	case FRAMER_EV_GAP:
		jsonw_kint(o, "offset", (int64_t)ev->offset);
		jsonw_kint(o, "bytes", (int64_t)ev->len);
		jsonw_kstr(o, "cause", ev->cause == REASM_GAP_SNAPLEN ? "snaplen" :
						       ev->cause == REASM_GAP_BUDGET ? "budget" :
						       "lost");
		break;
	case FRAMER_EV_MEMORY:
		jsonw_kint(o, "offset", (int64_t)ev->offset);
		jsonw_kint(o, "bytes", (int64_t)ev->len);
		if (ev->size) {
			jsonw_kstr(o, "type", mqtt_type_name(ev->type));
			jsonw_kint(o, "size", (int64_t)ev->size);
		}
		jsonw_kstr(o, "why", ev->text);
		break;
	case FRAMER_EV_SKIPPED:
		jsonw_kint(o, "offset", (int64_t)ev->offset);
		jsonw_kint(o, "bytes", (int64_t)ev->len);
		jsonw_kstr(o, "why", ev->text);
		break;
	case FRAMER_EV_OVERSIZE:
		jsonw_kint(o, "offset", (int64_t)ev->offset);
		jsonw_kstr(o, "type", mqtt_type_name(ev->type));
		jsonw_kstr(o, "label", mqtt_type_label(ev->type));
		jsonw_kint(o, "size", (int64_t)ev->len);
		break;
	case FRAMER_EV_VERSION:
		jsonw_kstr(o, "version", mqtt_version_name(ev->version));
		jsonw_kstr(o, "why", ev->text);
		break;
	case FRAMER_EV_END:
		jsonw_kstr(o, "why", report_end_name(ev->why));
		break;
	}
	emit(j);
	emit_held(j);
}

static void jversion(struct jsonw *w, uint16_t v)
{
	const char *n = tls_version_name(v);
	char b[8];

	if (n) {
		jsonw_cstr(w, n);
		return;
	}
	snprintf(b, sizeof b, "0x%04x", v);
	jsonw_cstr(w, b);
}

static const char *const record_names[] = {
	[TLS_CT_CCS] = "change_cipher_spec", [TLS_CT_ALERT] = "alert",
	[TLS_CT_HANDSHAKE] = "handshake", [TLS_CT_APPDATA] = "application_data",
};

/* One TLS step, the end of a TLS session, the WebSocket upgrade or a control frame, MQTT
 * found by --detect, or a transport's framing lost (docs/json.md). */
/* A C string from the wire or built from it (a certificate's names, a reason): checked
 * as UTF-8 as every wire string is (jstr), so that the line stays valid JSON. */
static void jcstr(struct jrep *j, struct jsonw *w, const char *s)
{
	jstr(j, w, (const uint8_t *)s, strlen(s));
}

/* A ClientHello's and a ServerHello's facts. */
static void tls_hellos(struct jrep *j, struct jsonw *o, const struct transport_event *ev)
{
	if (ev->ch) {
		if (ev->ch->sni) {
			jsonw_key(o, "sni");
			jstr(j, o, ev->ch->sni, ev->ch->sni_len);
		}
		jsonw_key(o, "offered_versions");
		jsonw_arr(o);
		for (size_t i = 0; i < ev->ch->nversions; i++)
			jversion(o, ev->ch->versions[i]);
		if (!ev->ch->nversions)
			jversion(o, ev->ch->version);
		jsonw_arr_end(o);
		jsonw_kint(o, "cipher_suites", (int64_t)ev->ch->nsuites);
		if (ev->ch->alpn) {
			jsonw_key(o, "alpn");
			jstr(j, o, ev->ch->alpn, ev->ch->alpn_len);
		}
	}
	if (ev->sh && !ev->sh->hrr) {
		const char *sn = tls_suite_name(ev->sh->suite);
		jsonw_key(o, "tls_version");
		jversion(o, ev->sh->selected);
		jsonw_kint(o, "suite_id", ev->sh->suite);
		if (sn)
			jsonw_kstr(o, "suite", sn);
	} else if (ev->sh) {
		jsonw_kbool(o, "hello_retry_request", 1);
	}
}

/* A certificate message's names, an alert's level and description. */
static void tls_certs_alert(struct jrep *j, struct jsonw *o, const struct transport_event *ev)
{
	if (ev->content_type == TLS_CT_HANDSHAKE && ev->hs_type == TLS_HS_CERTIFICATE &&
	    !ev->encrypted) {
		jsonw_key(o, "certificates");
		jsonw_arr(o);
		for (size_t i = 0; i < ev->ncerts; i++) {
			struct jsonw *c = o;
			jsonw_obj(c);
			jsonw_key(c, "subject");
			jcstr(j, c, ev->certs[i].subject);
			jsonw_key(c, "issuer");
			jcstr(j, c, ev->certs[i].issuer);
			jsonw_kstr(c, "not_before", ev->certs[i].not_before);
			jsonw_kstr(c, "not_after", ev->certs[i].not_after);
			jsonw_obj_end(c);
		}
		jsonw_arr_end(o);
	}
	if (ev->content_type == TLS_CT_ALERT && !ev->encrypted) {
		const char *l = tls_alert_level_name(ev->alert_level);
		const char *d = tls_alert_name(ev->alert_desc);
		jsonw_kint(o, "alert_level", ev->alert_level);
		if (l)
			jsonw_kstr(o, "alert_level_name", l);
		jsonw_kint(o, "alert", ev->alert_desc);
		if (d)
			jsonw_kstr(o, "alert_name", d);
	}
}

static void tls_record(struct jrep *j, struct jsonw *o, const struct transport_event *ev)
{
	jsonw_kstr(o, "record", record_names[ev->content_type]);
	jsonw_key(o, "record_version");
	jversion(o, ev->record_version);
	if (ev->content_type == TLS_CT_HANDSHAKE && !ev->encrypted) {
		const char *hn = tls_hs_name(ev->hs_type);
		jsonw_kint(o, "handshake_type", ev->hs_type);
		if (hn)
			jsonw_kstr(o, "handshake", hn);
	}
	jsonw_kint(o, "length", ev->length);
	if (ev->encrypted)
		jsonw_kbool(o, "encrypted", 1);
	if (ev->decrypted)
		jsonw_kbool(o, "decrypted", 1);
	tls_hellos(j, o, ev);
	tls_certs_alert(j, o, ev);
	jsonw_key(o, "info");
	jcstr(j, o, ev->info);
}

static void tls_session(struct jsonw *o, const struct transport_event *ev)
{
	if (ev->sni[0])
		jsonw_kstr(o, "sni", ev->sni);
	if (ev->version) {
		jsonw_key(o, "tls_version");
		jversion(o, ev->version);
	}
	if (ev->suite) {
		const char *sn = tls_suite_name(ev->suite);
		jsonw_kint(o, "suite_id", ev->suite);
		if (sn)
			jsonw_kstr(o, "suite", sn);
	}
	jsonw_kstr(o, "handshake", ev->handshake);
	if (ev->failure)
		jsonw_kstr(o, "failure", ev->failure);
	jsonw_kint(o, "client_records", (int64_t)ev->app_records[REASM_TO_BROKER]);
	jsonw_kint(o, "client_bytes", (int64_t)ev->app_bytes[REASM_TO_BROKER]);
	jsonw_kint(o, "broker_records", (int64_t)ev->app_records[REASM_TO_CLIENT]);
	jsonw_kint(o, "broker_bytes", (int64_t)ev->app_bytes[REASM_TO_CLIENT]);
	jsonw_kint(o, "decrypted_records", (int64_t)(ev->decrypted_records[0] +
						  ev->decrypted_records[1]));
}

static void transport(void *ctx, const struct transport_event *ev)
{
	static const char *const kinds[] = {
		[TRANSPORT_EV_TLS] = "tls", [TRANSPORT_EV_TLS_END] = "tls_session",
		[TRANSPORT_EV_HTTP] = "http", [TRANSPORT_EV_WS] = "websocket",
		[TRANSPORT_EV_DETECTED] = "detected", [TRANSPORT_EV_ERROR] = "transport_error",
	};
	struct jrep *j = ctx;
	struct jsonw *o = &j->w;

	rec_begin(o);
	jsonw_kstr(o, "event", kinds[ev->kind]);
	add_where(j, o, &ev->at, ev->flow, ev->dir);
	if (ev->proto)
		jsonw_kstr(o, "proto", ev->proto);
	switch (ev->kind) {
	case TRANSPORT_EV_TLS:
		tls_record(j, o, ev);
		break;
	case TRANSPORT_EV_TLS_END:
		tls_session(o, ev);
		break;
	case TRANSPORT_EV_HTTP:
		jsonw_key(o, "line");
		jcstr(j, o, ev->info);
		break;
	case TRANSPORT_EV_WS:
		jsonw_kstr(o, "opcode", ws_opcode_name(ev->ws_opcode));
		jsonw_kint(o, "opcode_id", ev->ws_opcode);
		jsonw_kbool(o, "masked", ev->ws_masked);
		jsonw_kint(o, "length", (int64_t)ev->ws_len);
		if (ev->close_code)
			jsonw_kint(o, "close_code", ev->close_code);
		break;
	case TRANSPORT_EV_DETECTED:
		jsonw_kint(o, "port", ev->port);
		break;
	case TRANSPORT_EV_ERROR:
		jsonw_key(o, "why");
		jcstr(j, o, ev->text);
		break;
	}
	emit(j);
	emit_held(j);
}

/* ---- the tracker's records (docs/json.md: Session records) ------------------------------ */

static const char *side_name(int from)
{
	return from == SESSION_CLIENT ? "client" : "broker";
}

/* A record of session s made known in frame at, told from side `from`'s end. */
static struct jsonw *sess_record(struct jrep *j, const char *name, const struct session *s,
				  const struct frame_ref *at, int from)
{
	struct jsonw *o = &j->hw;

	j->mark = j->held.len;
	rec_begin(o);
	jsonw_kstr(o, "event", name);
	add_where(j, o, at, s->flow, from == SESSION_CLIENT ? REASM_TO_BROKER : REASM_TO_CLIENT);
	return o;
}

static void add_sess_text(struct jrep *j, struct jsonw *o, const char *key, const char *p,
			  size_t n, int cut)
{
	char ck[40];

	jsonw_key(o, key);
	jstr(j, o, (const uint8_t *)p, n);
	if (cut) {
		snprintf(ck, sizeof ck, "%s_cut", key);
		jsonw_kbool(o, ck, 1);
	}
}

static void on_open(void *ctx, const struct session *s, const struct frame_ref *at)
{
	struct jrep *j = ctx;
	struct jsonw *o = sess_record(j, "session_open", s, at, SESSION_CLIENT), *w;
	int ok = !s->connack_has_code || s->connack_code == 0;
	const char *ver = mqtt_version_name(s->version), *cn;

	jsonw_kstr(o, "status", !s->have_connack ? "unanswered" : ok ? "accepted" : "refused");
	if (ver)
		jsonw_kstr(o, "version", ver);
	jsonw_kint(o, "keepalive", s->keepalive);
	jsonw_kbool(o, "clean_start", s->clean_start);
	if (s->has_username)
		add_sess_text(j, o, "username", s->username, s->username_len, s->username_cut);
	if (s->has_will) {
		w = o;
		jsonw_key(o, "will");
		jsonw_obj(w);
		add_sess_text(j, w, "topic", s->will_topic, s->will_topic_len, s->will_topic_cut);
		jsonw_kint(w, "qos", s->will_qos);
		jsonw_kbool(w, "retain", s->will_retain);
		jsonw_obj_end(w);
	}
	jsonw_kint(o, "connect_frame", (int64_t)s->connect_at.frame);
	if (s->have_connack) {
		jsonw_kint(o, "connack_frame", (int64_t)s->connack_at.frame);
		jsonw_kbool(o, "session_present", s->session_present);
		if (s->connack_has_code) {
			jsonw_kint(o, "code", s->connack_code);
			if ((cn = mqtt_code_name(MQTT_CONNACK, s->version, s->connack_code)))
				jsonw_kstr(o, "code_name", cn);
		}
	}
	rec_end(o, j->mark);
}

static void on_txn(void *ctx, const struct session *s, const struct session_txn *t)
{
	struct jrep *j = ctx;
	struct jsonw *o = sess_record(j, "transaction", s, &t->known, t->from);
	const char *cn;

	jsonw_kstr(o, "kind", session_txn_kind_name(t->kind));
	if (t->kind == SESSION_TXN_PUBLISH1 || t->kind == SESSION_TXN_PUBLISH2)
		jsonw_kint(o, "qos", t->kind == SESSION_TXN_PUBLISH1 ? 1 : 2);
	if (t->has_msgid)
		jsonw_kint(o, "msgid", t->msgid);
	jsonw_kstr(o, "status", session_txn_status_name(t->status));
	if (t->superseded)
		jsonw_kbool(o, "id_reused", 1);
	jsonw_kint(o, "request_frame", (int64_t)t->request.frame);
	if (t->answer.frame) {
		jsonw_kint(o, "answer_frame", (int64_t)t->answer.frame);
		jsonw_key(o, "latency");
		jduration(j, o, t->latency_ns);
	}
	if (t->kind == SESSION_TXN_PUBLISH2 && t->stage)
		jsonw_kstr(o, "last", mqtt_type_name(t->stage));
	if (t->has_code && t->rec) {
		jsonw_kint(o, "code", t->code);
		cn = mqtt_code_name(t->rec->msg.hdr.type, t->rec->msg.version, t->code);
		if (cn)
			jsonw_kstr(o, "code_name", cn);
	}
	rec_end(o, j->mark);
}

static void on_anomaly(void *ctx, const struct session *s, const struct session_anomaly *a)
{
	struct jrep *j = ctx;
	int sec = session_is_security_note(a->kind), flow = a->kind == SESSION_AN_QOS2_UNFINISHED;
	struct jsonw *o = sess_record(j, sec ? "security" : "anomaly", s, &a->known, a->from);
	const char *rule = session_anomaly_rule(a->kind, s->version);

	jsonw_kstr(o, "kind", session_anomaly_name(a->kind));
	if (rule)
		jsonw_kstr(o, "rule", rule);
	jsonw_kstr(o, "text", session_anomaly_text(a->kind));
	jsonw_kint(o, "at_frame", (int64_t)a->at.frame);
	if (flow) {
		jsonw_kstr(o, "flow_from", side_name(a->from));
		jsonw_kstr(o, "last", mqtt_type_name(a->type));
	} else if (a->type) {
		jsonw_kstr(o, "packet", mqtt_type_name(a->type));
	}
	if (a->has_msgid)
		jsonw_kint(o, "msgid", a->msgid);
	if (a->kind == SESSION_AN_KEEPALIVE)
		jsonw_kint(o, "silence_ms", (int64_t)a->value);
	rec_end(o, j->mark);
}

static void by_side(struct jsonw *o, const char *key, uint64_t client, uint64_t broker)
{
	jsonw_key(o, key);
	jsonw_obj(o);
	jsonw_kint(o, "client", (int64_t)client);
	jsonw_kint(o, "broker", (int64_t)broker);
	jsonw_obj_end(o);
}

static void on_end(void *ctx, const struct session *s)
{
	struct jrep *j = ctx;
	struct jsonw *o, *d;
	int64_t ns = (s->end.ts_sec - s->start.ts_sec) * 1000000000ll +
		     ((int64_t)s->end.ts_nsec - s->start.ts_nsec);
	const char *cn;

	jflow_of(j, s->flow); /* its client id kept for the records after its end */
	o = sess_record(j, "session_end", s, &s->end, SESSION_CLIENT);
	jsonw_kstr(o, "ended", session_end_name(s->ended));
	if (s->ended == SESSION_END_DISCONNECT) {
		d = o;
		jsonw_key(o, "disconnect");
		jsonw_obj(d);
		jsonw_kstr(d, "from", side_name(s->disconnect_from));
		if (s->disconnect_has_code) {
			jsonw_kint(d, "code", s->disconnect_code);
			cn = mqtt_code_name(MQTT_DISCONNECT, s->version, s->disconnect_code);
			if (cn)
				jsonw_kstr(d, "code_name", cn);
		}
		jsonw_obj_end(d);
	}
	jsonw_kint(o, "start_frame", (int64_t)s->start.frame);
	jsonw_key(o, "duration");
	jduration(j, o, ns > 0 ? (uint64_t)ns : 0);
	by_side(o, "messages", s->msgs[SESSION_CLIENT], s->msgs[SESSION_BROKER]);
	by_side(o, "bytes", s->bytes[SESSION_CLIENT], s->bytes[SESSION_BROKER]);
	jsonw_kint(o, "transactions", s->txns);
	jsonw_kint(o, "anomalies", s->anomalies);
	jsonw_kint(o, "security_notes", s->notes);
	rec_end(o, j->mark);
}

/* The tracker tells a passing record (before the engine gives it): what earlier packets of
 * this frame made known, held because they were not shown, goes before it. */
static void on_message(void *ctx, const struct session *s, const struct mqtt_record *rec)
{
	(void)s;
	(void)rec;
	emit_held(ctx);
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	(void)pkt;
	(void)seg;
	emit_held(ctx);
}

static void finish(void *ctx)
{
	struct jrep *j = ctx;
	emit_held(j);
	fflush(j->o.out);
}

static void jfree(void *ctx)
{
	struct jrep *j = ctx;
	if (!j)
		return;
	report_buf_free(&j->line);
	report_buf_free(&j->held);
	free(j->flows);
	free(j->tmp);
	free(j);
}

int report_json_tracked_new(const struct report_opts *o, struct session_tracker *t,
			    struct reporter *r)
{
	struct jrep *j = budget_calloc(1, sizeof *j, "--json");
	struct session_observer ob = { on_message, on_txn, on_anomaly, NULL, on_end, NULL, NULL,
				       on_open };

	if (!j || !(j->flows = budget_calloc(FLOWS_CACHED, sizeof *j->flows, "--json"))) {
		free(j);
		return -1;
	}
	j->o = *o;
	jsonw_init(&j->w, &j->line, 0);
	jsonw_init(&j->hw, &j->held, 0);
	ob.ctx = j;
	if (t && session_observe(t, &ob) < 0) {
		jfree(j);
		return -1;
	}
	j->sessions = t;
	memset(r, 0, sizeof *r);
	r->ctx = j;
	r->message = message;
	r->event = event;
	r->transport = transport;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = jfree;
	return 0;
}

int report_json_new(const struct report_opts *o, struct reporter *r)
{
	return report_json_tracked_new(o, NULL, r);
}
