/* \summary: JSON Lines reporter: one object per MQTT message or event (docs/json.md) */
#include "mqttdump/budget.h"
#include "mqttdump/community_id.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"
#include "mqttdump/ws.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

/* What every record of a connection carries besides where it is: its ids, and its client
 * id once known, kept per connection (by stream index, direct mapped: a connection whose
 * entry another took has it computed again, and its client id read again from its
 * session, which lives until its end has been written). */
#define FLOWS_CACHED 256

struct jflow {
	uint64_t index;
	uint8_t live, has_client;
	uint16_t client_len;
	uint64_t flow_id;
	char cid[COMMUNITY_ID_LEN];
	char client[SESSION_STR_MAX];
};

struct jrep {
	struct report_opts o;
	char *tmp;          /* scratch for sanitised strings and hex, reused */
	size_t tmpcap;
	struct session_tracker *sessions; /* told its records as they become known, or NULL */
	struct jflow *flows;              /* FLOWS_CACHED */
	/* the tracker's records of the packet being given, written after its own record */
	json_object **pend;
	size_t npend, pendcap;
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
static json_object *jstr_l(struct jrep *j, const uint8_t *p, size_t n, int *lossy)
{
	char *out;
	size_t o = 0, i = 0, k;
	int clean = 1;

	for (i = 0; i < n; i += k)
		if (!(k = mqtt_utf8_seq(p + i, n - i))) {
			clean = 0;
			break;
		}
	if (lossy)
		*lossy = !clean;
	if (clean)
		return json_object_new_string_len((const char *)p, (int)n);
	if (!(out = scratch(j, n * 3 + 1)))
		return json_object_new_string("");
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
	return json_object_new_string_len(out, (int)o);
}

static json_object *jstr(struct jrep *j, const uint8_t *p, size_t n)
{
	return jstr_l(j, p, n, NULL);
}

static json_object *jview(struct jrep *j, struct mqtt_view v)
{
	return jstr(j, v.p, v.len);
}

static json_object *jhex(struct jrep *j, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char *out = scratch(j, n * 2 + 1);

	if (!out)
		return json_object_new_string("");
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	return json_object_new_string_len(out, (int)(n * 2));
}

/* json-c returns NULL out of memory, and asserts on a NULL object or array: each add
 * checks both, and a failure is noted (budget.h: the run then ends with an error). A
 * value is never NULL on purpose (but a code name, below). */
static void add(json_object *o, const char *k, json_object *v)
{
	if (!o || !v || json_object_object_add_ex(o, k, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
					    JSON_C_OBJECT_KEY_IS_CONSTANT) < 0) {
		json_object_put(v);
		mqttdump_oom("--json");
	}
}

/* A key that may be there already (a repeated property). */
static void add_key(json_object *o, const char *k, json_object *v)
{
	if (!o || !v || json_object_object_add_ex(o, k, v, JSON_C_OBJECT_KEY_IS_CONSTANT) < 0) {
		json_object_put(v);
		mqttdump_oom("--json");
	}
}

static void arr_add(json_object *a, json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) < 0) {
		json_object_put(v);
		mqttdump_oom("--json");
	}
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	add(o, k, json_object_new_int64(v));
}

static void add_bool(json_object *o, const char *k, int v)
{
	add(o, k, json_object_new_boolean(v));
}

/* A string field under key; when it is not valid UTF-8 (its bytes became U+FFFD), its
 * length in bytes too, under lkey ("clientid_len"). */
static void add_text(struct jrep *j, json_object *o, const char *key, const char *lkey,
		     struct mqtt_view v)
{
	int lossy;

	add(o, key, jstr_l(j, v.p, v.len, &lossy));
	if (lossy)
		add_int(o, lkey, v.len);
}

/* Payload as text when it is UTF-8, else as hex; at most payload_max bytes. */
static void add_payload(struct jrep *j, json_object *o, const char *tkey, const char *hkey,
			const char *cutkey, struct mqtt_view v)
{
	uint32_t n = v.len < j->o.payload_max ? v.len : j->o.payload_max;
	struct mqtt_view w = { v.p, n };
	int text = 1;

	/* Cut on a character boundary: step back over continuation bytes. */
	if (n < v.len)
		while (w.len > 0 && (v.p[w.len] & 0xc0) == 0x80 && v.len - w.len < 4 &&
		       n - w.len < 3)
			w.len--;
	for (uint32_t i = 0; i < w.len; i++)
		if (v.p[i] == 0) {
			text = 0;
			break;
		}
	if (text && mqtt_utf8_valid(w)) {
		add(o, tkey, json_object_new_string_len((const char *)w.p, (int)w.len));
	} else {
		add(o, hkey, jhex(j, v.p, n));
		w.len = n;
	}
	if (w.len < v.len)
		add_bool(o, cutkey, 1);
}

/* Unless --show-secrets: Authentication Data (hex) gives way to its length in bytes,
 * "authentication_data_len" (docs/json.md). */
static void hide_secret_props(json_object *o)
{
	json_object *v;
	const char *key = mqtt_prop_key(0x16);
	char lkey[64];

	if (!key || !json_object_object_get_ex(o, key, &v))
		return;
	snprintf(lkey, sizeof lkey, "%s_len", key);
	/* a repeated one (a protocol error) kept the last value, as every single property */
	{
		/* lkey is built here: json-c copies it (not KEY_IS_CONSTANT) */
		json_object *len = json_object_new_int64(json_object_get_string_len(v) / 2);
		if (!len || json_object_object_add(o, lkey, len) < 0) {
			json_object_put(len);
			mqttdump_oom("--json");
		}
	}
	json_object_object_del(o, key);
}

/* A property's value; a string that is not UTF-8 gives its length too: "<key>_len" beside
 * it in the properties (*lossy set), "key_len"/"value_len" in a user property. */
static json_object *prop_value(struct jrep *j, const struct mqtt_prop *p, int *lossy)
{
	json_object *v;

	*lossy = 0;
	switch (p->ptype) {
	case MQTT_PT_UTF8:
		return jstr_l(j, p->str.p, p->str.len, lossy);
	case MQTT_PT_BINARY:
		return jhex(j, p->str.p, p->str.len);
	case MQTT_PT_PAIR:
		v = json_object_new_object();
		add_text(j, v, "key", "key_len", p->str);
		add_text(j, v, "value", "value_len", p->str2);
		return v;
	default:
		return json_object_new_int64(p->num);
	}
}

static json_object *props_obj(struct jrep *j, struct mqtt_view pv, int64_t *bad_id)
{
	struct mqtt_cursor c = mqtt_cursor_of(pv);
	json_object *o = json_object_new_object();
	struct mqtt_prop p;
	uint32_t id;

	while (mqtt_next_prop(&c, &p) == MQTT_OK) {
		const char *key = mqtt_prop_key(p.id);
		int lossy;
		json_object *v = prop_value(j, &p, &lossy), *arr;

		if (lossy) {
			char lkey[64];
			snprintf(lkey, sizeof lkey, "%s_len", key);
			json_object *len = json_object_new_int64(p.str.len);
			/* lkey is on the stack: json-c copies it (not KEY_IS_CONSTANT) */
			if (!len || json_object_object_add(o, lkey, len) < 0) {
				json_object_put(len);
				mqttdump_oom("--json");
			}
		}
		if (mqtt_prop_repeats(p.id)) {
			if (!json_object_object_get_ex(o, key, &arr)) {
				arr = json_object_new_array();
				add_key(o, key, arr);
			}
			arr_add(arr, v);
		} else {
			/* A repeated single property (a protocol error) keeps the last value. */
			add_key(o, key, v);
		}
	}
	/* where reading stopped: an unknown identifier, or a property the block's (or the
	 * packet's) end cuts */
	*bad_id = c.p < c.end && mqtt_get_varint(&c, &id) == MQTT_OK ? (int64_t)id : -1;
	if (!j->o.show_secrets)
		hide_secret_props(o);
	return o;
}

/* A property block: "property_len" (the Property Length it declares), "properties", and
 * "bad_property_id" when a property could not be read. */
static void add_props(struct jrep *j, json_object *o, struct mqtt_view pv, uint32_t declared)
{
	int64_t bad;

	add_int(o, "property_len", declared);
	add(o, "properties", props_obj(j, pv, &bad));
	if (bad >= 0)
		add_int(o, "bad_property_id", bad);
}

static void add_code(json_object *o, const struct mqtt_msg *m)
{
	const char *name = mqtt_code_name(m->hdr.type, m->version, m->code);

	add_int(o, "code", m->code);
	if (name)
		add(o, "code_name", json_object_new_string(name));
}

/* json-c's serializer skips a piece it cannot append (its buffer could not grow) and
 * says nothing: a record whose braces or quotes do not pair is such a one. */
static int whole(const char *s, size_t n)
{
	size_t quotes = 0, depth = 0;
	int in_str = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && in_str) {
			i++;
			continue;
		}
		if (s[i] == '"') {
			quotes++;
			in_str = !in_str;
		} else if (!in_str && (s[i] == '{' || s[i] == '[')) {
			depth++;
		} else if (!in_str && (s[i] == '}' || s[i] == ']')) {
			if (!depth--)
				return 0;
		}
	}
	return n && s[0] == '{' && s[n - 1] == '}' && !depth && !(quotes & 1);
}

static void emit(struct jrep *j, json_object *o)
{
	size_t n = 0;
	const char *s = o ? json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n) : NULL;

	if (!s || !whole(s, n)) {
		mqttdump_oom("--json"); /* the record is not written */
		json_object_put(o);
		return;
	}
	textesc_json_write(j->o.out, s, n);
	fputc('\n', j->o.out);
	if (j->o.line_buffered)
		fflush(j->o.out);
	json_object_put(o);
}

/* Seconds as a number written with the capture's digits ("1795891471.123456"). */
static json_object *jseconds(const struct jrep *j, int64_t sec, uint32_t nsec)
{
	char b[48];

	report_rel_time(sec, nsec, 0, 0, j->o.ts_digits, b, sizeof b);
	return json_object_new_double_s((double)sec + nsec / 1e9, b);
}

static json_object *jduration(const struct jrep *j, uint64_t ns)
{
	return jseconds(j, (int64_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u));
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
static void add_ids(struct jrep *j, json_object *o, const struct reasm_flow *f)
{
	struct jflow *e = jflow_of(j, f);

	add_int(o, "flow_id", (int64_t)e->flow_id);
	if (e->cid[0])
		add(o, "community_id", json_object_new_string(e->cid));
	if (e->has_client)
		add(o, "client", jstr(j, (const uint8_t *)e->client, e->client_len));
}

/* A record of the tracker, held until the record of the packet that made it known has been
 * written (the tracker tells it first). */
static void hold(struct jrep *j, json_object *o)
{
	if (j->npend == j->pendcap) {
		size_t n = j->pendcap ? j->pendcap * 2 : 16;
		json_object **p = budget_realloc(j->pend, n * sizeof *p, "--json");
		if (!p) {
			mqttdump_oom("--json");
			json_object_put(o);
			return;
		}
		j->pend = p;
		j->pendcap = n;
	}
	j->pend[j->npend++] = o;
}

static void emit_held(struct jrep *j)
{
	for (size_t i = 0; i < j->npend; i++)
		emit(j, j->pend[i]);
	j->npend = 0;
}

/* frame, ts, stream and the endpoints of the direction. */
static void add_where(struct jrep *j, json_object *o, const struct frame_ref *at,
		      const struct reasm_flow *f, int dir)
{
	char ts[48], a[64];
	const struct tcp_addr *src = dir == REASM_TO_BROKER ? &f->client : &f->broker;
	const struct tcp_addr *dst = dir == REASM_TO_BROKER ? &f->broker : &f->client;

	add_int(o, "frame", (int64_t)at->frame);
	report_iso_time(at->ts_sec, at->ts_nsec, j->o.ts_digits, ts, sizeof ts);
	add(o, "ts", json_object_new_string(ts));
	add(o, "epoch", jseconds(j, at->ts_sec, at->ts_nsec));
	add_int(o, "stream", (int64_t)f->index);
	tcp_addr_str(src, a, sizeof a);
	add(o, "src", json_object_new_string(a));
	add_int(o, "sport", dir == REASM_TO_BROKER ? f->client_port : f->broker_port);
	tcp_addr_str(dst, a, sizeof a);
	add(o, "dst", json_object_new_string(a));
	add_int(o, "dport", dir == REASM_TO_BROKER ? f->broker_port : f->client_port);
	add(o, "from", json_object_new_string(dir == REASM_TO_BROKER ? "client" : "broker"));
	add_ids(j, o, f);
}

/* A string the packet ends inside (a cut or malformed packet): its 2-byte length, when that
 * was captured at `at`, under lkey without the string ("clientid_len"). */
static void add_cut_len(json_object *o, const char *lkey, const struct mqtt_record *rec,
			const uint8_t *at)
{
	if (rec->raw && at >= rec->raw && at + 2 <= rec->raw + rec->have)
		add_int(o, lkey, at[0] << 8 | at[1]);
}

static void add_will(struct jrep *j, json_object *o, const struct mqtt_msg *m)
{
	json_object *w = json_object_new_object();

	if (m->will_topic.p) {
		add_text(j, w, "topic", "topic_len", m->will_topic);
	}
	if (m->will_payload.p) {
		add_payload(j, w, "payload", "payload_hex", "payload_cut", m->will_payload);
		add_int(w, "payload_len", m->will_payload.len);
	}
	add_int(w, "qos", (m->connect_flags >> 3) & 3);
	add_bool(w, "retain", (m->connect_flags >> 5) & 1);
	if (m->has_will_props)
		add_props(j, w, m->will_props, m->will_props_len);
	add(o, "will", w);
}

/* The CONNECT fields read (a malformed or cut CONNECT ends early: the rest is absent). */
static void add_connect(struct jrep *j, json_object *o, const struct mqtt_record *rec)
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
		add_int(o, "proto_level", m->proto_level);
	if (fixed >= 2)
		add_int(o, "connect_flags", m->connect_flags);
	if (fixed >= 4)
		add_int(o, "keepalive", m->keepalive);
	if (fixed >= 2)
		add_bool(o, "clean_start", (m->connect_flags >> 1) & 1);
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
		add_int(o, "password_len", m->password.len);
		if (j->o.show_secrets)
			add_payload(j, o, "password", "password_hex", "password_cut", m->password);
	}
}

/* UNSUBSCRIBE: "topic" (the first filter), "filters", and "filters_len" (each one's length
 * in bytes) when one of them is not UTF-8. */
static void add_filters(struct jrep *j, json_object *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	json_object *a = json_object_new_array(), *lens = json_object_new_array();
	int lossy, any = 0;

	if (mqtt_next_filter(&c, &f) == MQTT_OK)
		add_text(j, o, "topic", "topic_len", f);
	else if (m->list.p)
		add_cut_len(o, "topic_len", rec, m->list.p);
	c.p = m->list.p;
	while (mqtt_next_filter(&c, &f) == MQTT_OK) {
		arr_add(a, jstr_l(j, f.p, f.len, &lossy));
		arr_add(lens, json_object_new_int64(f.len));
		any |= lossy;
	}
	add(o, "filters", a);
	if (any)
		add(o, "filters_len", lens);
	else
		json_object_put(lens);
}

static void add_list(struct jrep *j, json_object *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	json_object *a;
	uint8_t opt;

	if (m->hdr.type == MQTT_UNSUBSCRIBE) {
		add_filters(j, o, rec);
		return;
	}
	a = json_object_new_array();
	switch (m->hdr.type) {
	case MQTT_SUBSCRIBE:
		/* "topic": the first filter, so that one key finds a topic in any message */
		if (mqtt_next_sub(&c, m->version, &f, &opt) == MQTT_OK)
			add_text(j, o, "topic", "topic_len", f);
		else if (m->list.p)
			add_cut_len(o, "topic_len", rec, m->list.p);
		c.p = m->list.p;
		while (mqtt_next_sub(&c, m->version, &f, &opt) == MQTT_OK) {
			json_object *s = json_object_new_object();
			add_text(j, s, "filter", "filter_len", f);
			add_int(s, "qos", opt & 3);
			add_int(s, "options", opt);
			if (m->version == MQTT_V5) {
				add_bool(s, "no_local", (opt >> 2) & 1);
				add_bool(s, "retain_as_published", (opt >> 3) & 1);
				add_int(s, "retain_handling", (opt >> 4) & 3);
			}
			arr_add(a, s);
		}
		add(o, "subscriptions", a);
		break;
	default: { /* SUBACK, UNSUBACK: one code per filter */
		json_object *names = json_object_new_array();
		for (uint32_t i = 0; i < m->list.len; i++) {
			const char *n = mqtt_code_name(m->hdr.type, m->version, m->list.p[i]);
			arr_add(a, json_object_new_int(m->list.p[i]));
			if (n)
				arr_add(names, json_object_new_string(n));
			else if (!names || json_object_array_add(names, NULL) < 0)
				mqttdump_oom("--json"); /* null: a code without a name */
		}
		add(o, "codes", a);
		add(o, "code_names", names);
		break;
	}
	}
}

/* The fields of the packet's type. */
static void add_body(struct jrep *j, json_object *o, const struct mqtt_record *rec)
{
	const struct mqtt_msg *m = &rec->msg;

	switch (m->hdr.type) {
	case MQTT_CONNECT:
		add_connect(j, o, rec);
		break;
	case MQTT_CONNACK:
		if (!rec->raw || rec->have > m->hdr.hdrlen) { /* the flags byte was read */
			add_bool(o, "session_present", m->ack_flags & 1);
			add_int(o, "connack_flags", m->ack_flags);
		}
		if (m->has_code)
			add_code(o, m);
		break;
	case MQTT_PUBLISH:
		add_int(o, "qos", m->qos);
		add_bool(o, "retain", m->retain);
		add_bool(o, "dup", m->dup);
		if (m->topic.p) {
			add(o, "topic", jview(j, m->topic));
			/* on the wire: 0 when the topic came from its alias */
			add_int(o, "topic_len", rec->topic_from_alias ? 0 : m->topic.len);
		} else if (rec->length_known && rec->raw) {
			add_cut_len(o, "topic_len", rec, rec->raw + m->hdr.hdrlen);
		}
		if (rec->topic_from_alias)
			add_bool(o, "topic_from_alias", 1);
		if (m->payload.p) {
			add_int(o, "payload_len", m->payload.len);
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
static void add_tail(struct jrep *j, json_object *o, const struct mqtt_msg *m)
{
	if (m->has_props)
		add_props(j, o, m->props, m->props_len);
	if (m->nwarn) {
		json_object *w = json_object_new_array();
		for (unsigned i = 0; i < m->nwarn; i++) {
			json_object *x = json_object_new_object();
			add(x, "text", json_object_new_string(m->warn[i].text));
			if (m->warn[i].rule)
				add(x, "rule", json_object_new_string(m->warn[i].rule));
			add_int(x, "offset", m->warn[i].offset);
			arr_add(w, x);
		}
		add(o, "warnings", w);
		if (mqtt_malformed(m))
			add_bool(o, "malformed", 1);
	}
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct jrep *j = ctx;
	const struct mqtt_msg *m = &rec->msg;
	json_object *o = json_object_new_object();
	const char *ver = mqtt_version_name(rec->version);

	add_where(j, o, &rec->at, rec->flow, rec->dir);
	add(o, "type", json_object_new_string(mqtt_type_name(m->hdr.type)));
	add_int(o, "type_id", m->hdr.type);
	add(o, "label", json_object_new_string(mqtt_type_label(m->hdr.type)));
	add_int(o, "flags", m->hdr.flags);
	if (rec->length_known)
		add_int(o, "length", m->hdr.remlen);
	if (m->hdr.type == MQTT_CONNECT && m->proto_level)
		ver = mqtt_version_name(m->version);
	if (ver)
		add(o, "version", json_object_new_string(ver));
	if (rec->version_inferred && !(m->hdr.type == MQTT_CONNECT && m->proto_level))
		add_bool(o, "version_inferred", 1);
	if (rec->incomplete)
		add_bool(o, "incomplete", 1);
	if (rec->truncated)
		add_bool(o, "truncated", 1);
	if (rec->incomplete || rec->truncated) {
		add_int(o, "have", rec->have);
		if (rec->captured > rec->have)
			add_int(o, "captured", rec->captured);
	}
	if (rec->first_frame && rec->first_frame != rec->at.frame)
		add_int(o, "first_frame", (int64_t)rec->first_frame);
	if (m->has_msgid)
		add_int(o, "msgid", m->msgid);

	add_body(j, o, rec);
	add_tail(j, o, m);
	emit(j, o);
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
	json_object *o = json_object_new_object();

	add(o, "event", json_object_new_string(event_names[ev->kind]));
	add_where(j, o, &ev->at, ev->flow, ev->dir);
	switch (ev->kind) {
	case FRAMER_EV_GAP:
		add_int(o, "offset", (int64_t)ev->offset);
		add_int(o, "bytes", (int64_t)ev->len);
		add(o, "cause", json_object_new_string(ev->cause == REASM_GAP_SNAPLEN ? "snaplen" :
						       ev->cause == REASM_GAP_BUDGET ? "budget" :
						       "lost"));
		break;
	case FRAMER_EV_MEMORY:
		add_int(o, "offset", (int64_t)ev->offset);
		add_int(o, "bytes", (int64_t)ev->len);
		if (ev->size) {
			add(o, "type", json_object_new_string(mqtt_type_name(ev->type)));
			add_int(o, "size", (int64_t)ev->size);
		}
		add(o, "why", json_object_new_string(ev->text));
		break;
	case FRAMER_EV_SKIPPED:
		add_int(o, "offset", (int64_t)ev->offset);
		add_int(o, "bytes", (int64_t)ev->len);
		add(o, "why", json_object_new_string(ev->text));
		break;
	case FRAMER_EV_OVERSIZE:
		add_int(o, "offset", (int64_t)ev->offset);
		add(o, "type", json_object_new_string(mqtt_type_name(ev->type)));
		add(o, "label", json_object_new_string(mqtt_type_label(ev->type)));
		add_int(o, "size", (int64_t)ev->len);
		break;
	case FRAMER_EV_VERSION:
		add(o, "version", json_object_new_string(mqtt_version_name(ev->version)));
		add(o, "why", json_object_new_string(ev->text));
		break;
	case FRAMER_EV_END:
		add(o, "why", json_object_new_string(report_end_name(ev->why)));
		break;
	}
	emit(j, o);
	emit_held(j);
}

static json_object *jversion(uint16_t v)
{
	const char *n = tls_version_name(v);
	char b[8];

	if (n)
		return json_object_new_string(n);
	snprintf(b, sizeof b, "0x%04x", v);
	return json_object_new_string(b);
}

static const char *const record_names[] = {
	[TLS_CT_CCS] = "change_cipher_spec", [TLS_CT_ALERT] = "alert",
	[TLS_CT_HANDSHAKE] = "handshake", [TLS_CT_APPDATA] = "application_data",
};

/* One TLS step, the end of a TLS session, the WebSocket upgrade or a control frame, MQTT
 * found by --detect, or a transport's framing lost (docs/json.md). */
static void transport(void *ctx, const struct transport_event *ev)
{
	static const char *const kinds[] = {
		[TRANSPORT_EV_TLS] = "tls", [TRANSPORT_EV_TLS_END] = "tls_session",
		[TRANSPORT_EV_HTTP] = "http", [TRANSPORT_EV_WS] = "websocket",
		[TRANSPORT_EV_DETECTED] = "detected", [TRANSPORT_EV_ERROR] = "transport_error",
	};
	struct jrep *j = ctx;
	json_object *o = json_object_new_object();

	add(o, "event", json_object_new_string(kinds[ev->kind]));
	add_where(j, o, &ev->at, ev->flow, ev->dir);
	if (ev->proto)
		add(o, "proto", json_object_new_string(ev->proto));
	switch (ev->kind) {
	case TRANSPORT_EV_TLS:
		add(o, "record", json_object_new_string(record_names[ev->content_type]));
		add(o, "record_version", jversion(ev->record_version));
		if (ev->content_type == TLS_CT_HANDSHAKE && !ev->encrypted) {
			const char *hn = tls_hs_name(ev->hs_type);
			add_int(o, "handshake_type", ev->hs_type);
			if (hn)
				add(o, "handshake", json_object_new_string(hn));
		}
		add_int(o, "length", ev->length);
		if (ev->encrypted)
			add_bool(o, "encrypted", 1);
		if (ev->decrypted)
			add_bool(o, "decrypted", 1);
		if (ev->ch) {
			json_object *a = json_object_new_array();
			if (ev->ch->sni)
				add(o, "sni", jstr(j, ev->ch->sni, ev->ch->sni_len));
			for (size_t i = 0; i < ev->ch->nversions; i++)
				arr_add(a, jversion(ev->ch->versions[i]));
			if (!ev->ch->nversions)
				arr_add(a, jversion(ev->ch->version));
			add(o, "offered_versions", a);
			add_int(o, "cipher_suites", (int64_t)ev->ch->nsuites);
			if (ev->ch->alpn)
				add(o, "alpn", jstr(j, ev->ch->alpn, ev->ch->alpn_len));
		}
		if (ev->sh && !ev->sh->hrr) {
			const char *sn = tls_suite_name(ev->sh->suite);
			add(o, "tls_version", jversion(ev->sh->selected));
			add_int(o, "suite_id", ev->sh->suite);
			if (sn)
				add(o, "suite", json_object_new_string(sn));
		} else if (ev->sh) {
			add_bool(o, "hello_retry_request", 1);
		}
		if (ev->content_type == TLS_CT_HANDSHAKE && ev->hs_type == TLS_HS_CERTIFICATE &&
		    !ev->encrypted) {
			json_object *a = json_object_new_array();
			for (size_t i = 0; i < ev->ncerts; i++) {
				json_object *c = json_object_new_object();
				add(c, "subject", json_object_new_string(ev->certs[i].subject));
				add(c, "issuer", json_object_new_string(ev->certs[i].issuer));
				add(c, "not_before", json_object_new_string(ev->certs[i].not_before));
				add(c, "not_after", json_object_new_string(ev->certs[i].not_after));
				arr_add(a, c);
			}
			add(o, "certificates", a);
		}
		if (ev->content_type == TLS_CT_ALERT && !ev->encrypted) {
			const char *l = tls_alert_level_name(ev->alert_level);
			const char *d = tls_alert_name(ev->alert_desc);
			add_int(o, "alert_level", ev->alert_level);
			if (l)
				add(o, "alert_level_name", json_object_new_string(l));
			add_int(o, "alert", ev->alert_desc);
			if (d)
				add(o, "alert_name", json_object_new_string(d));
		}
		add(o, "info", json_object_new_string(ev->info));
		break;
	case TRANSPORT_EV_TLS_END:
		if (ev->sni[0])
			add(o, "sni", json_object_new_string(ev->sni));
		if (ev->version)
			add(o, "tls_version", jversion(ev->version));
		if (ev->suite) {
			const char *sn = tls_suite_name(ev->suite);
			add_int(o, "suite_id", ev->suite);
			if (sn)
				add(o, "suite", json_object_new_string(sn));
		}
		add(o, "handshake", json_object_new_string(ev->handshake));
		if (ev->failure)
			add(o, "failure", json_object_new_string(ev->failure));
		add_int(o, "client_records", (int64_t)ev->app_records[REASM_TO_BROKER]);
		add_int(o, "client_bytes", (int64_t)ev->app_bytes[REASM_TO_BROKER]);
		add_int(o, "broker_records", (int64_t)ev->app_records[REASM_TO_CLIENT]);
		add_int(o, "broker_bytes", (int64_t)ev->app_bytes[REASM_TO_CLIENT]);
		add_int(o, "decrypted_records", (int64_t)(ev->decrypted_records[0] +
							  ev->decrypted_records[1]));
		break;
	case TRANSPORT_EV_HTTP:
		add(o, "line", json_object_new_string(ev->info));
		break;
	case TRANSPORT_EV_WS:
		add(o, "opcode", json_object_new_string(ws_opcode_name(ev->ws_opcode)));
		add_int(o, "opcode_id", ev->ws_opcode);
		add_bool(o, "masked", ev->ws_masked);
		add_int(o, "length", (int64_t)ev->ws_len);
		if (ev->close_code)
			add_int(o, "close_code", ev->close_code);
		break;
	case TRANSPORT_EV_DETECTED:
		add_int(o, "port", ev->port);
		break;
	case TRANSPORT_EV_ERROR:
		add(o, "why", json_object_new_string(ev->text));
		break;
	}
	emit(j, o);
	emit_held(j);
}

/* ---- the tracker's records (docs/json.md: Session records) ------------------------------ */

static const char *side_name(int from)
{
	return from == SESSION_CLIENT ? "client" : "broker";
}

/* A record of session s made known in frame at, told from side `from`'s end. */
static json_object *sess_record(struct jrep *j, const char *name, const struct session *s,
				const struct frame_ref *at, int from)
{
	json_object *o = json_object_new_object();

	add(o, "event", json_object_new_string(name));
	add_where(j, o, at, s->flow, from == SESSION_CLIENT ? REASM_TO_BROKER : REASM_TO_CLIENT);
	return o;
}

static void add_sess_text(struct jrep *j, json_object *o, const char *key, const char *p,
			  size_t n, int cut)
{
	char ck[40];

	add(o, key, jstr(j, (const uint8_t *)p, n));
	if (cut) {
		snprintf(ck, sizeof ck, "%s_cut", key);
		/* ck is on the stack: json-c copies it (not KEY_IS_CONSTANT) */
		if (json_object_object_add(o, ck, json_object_new_boolean(1)) < 0)
			mqttdump_oom("--json");
	}
}

static void on_open(void *ctx, const struct session *s, const struct frame_ref *at)
{
	struct jrep *j = ctx;
	json_object *o = sess_record(j, "session_open", s, at, SESSION_CLIENT), *w;
	int ok = !s->connack_has_code || s->connack_code == 0;
	const char *ver = mqtt_version_name(s->version), *cn;

	add(o, "status", json_object_new_string(!s->have_connack ? "unanswered" :
						ok ? "accepted" : "refused"));
	if (ver)
		add(o, "version", json_object_new_string(ver));
	add_int(o, "keepalive", s->keepalive);
	add_bool(o, "clean_start", s->clean_start);
	if (s->has_username)
		add_sess_text(j, o, "username", s->username, s->username_len, s->username_cut);
	if (s->has_will) {
		w = json_object_new_object();
		add_sess_text(j, w, "topic", s->will_topic, s->will_topic_len, s->will_topic_cut);
		add_int(w, "qos", s->will_qos);
		add_bool(w, "retain", s->will_retain);
		add(o, "will", w);
	}
	add_int(o, "connect_frame", (int64_t)s->connect_at.frame);
	if (s->have_connack) {
		add_int(o, "connack_frame", (int64_t)s->connack_at.frame);
		add_bool(o, "session_present", s->session_present);
		if (s->connack_has_code) {
			add_int(o, "code", s->connack_code);
			if ((cn = mqtt_code_name(MQTT_CONNACK, s->version, s->connack_code)))
				add(o, "code_name", json_object_new_string(cn));
		}
	}
	hold(j, o);
}

static void on_txn(void *ctx, const struct session *s, const struct session_txn *t)
{
	struct jrep *j = ctx;
	json_object *o = sess_record(j, "transaction", s, &t->known, t->from);
	const char *cn;

	add(o, "kind", json_object_new_string(session_txn_kind_name(t->kind)));
	if (t->kind == SESSION_TXN_PUBLISH1 || t->kind == SESSION_TXN_PUBLISH2)
		add_int(o, "qos", t->kind == SESSION_TXN_PUBLISH1 ? 1 : 2);
	if (t->has_msgid)
		add_int(o, "msgid", t->msgid);
	add(o, "status", json_object_new_string(session_txn_status_name(t->status)));
	if (t->superseded)
		add_bool(o, "id_reused", 1);
	add_int(o, "request_frame", (int64_t)t->request.frame);
	if (t->answer.frame) {
		add_int(o, "answer_frame", (int64_t)t->answer.frame);
		add(o, "latency", jduration(j, t->latency_ns));
	}
	if (t->kind == SESSION_TXN_PUBLISH2 && t->stage)
		add(o, "last", json_object_new_string(mqtt_type_name(t->stage)));
	if (t->has_code && t->rec) {
		add_int(o, "code", t->code);
		cn = mqtt_code_name(t->rec->msg.hdr.type, t->rec->msg.version, t->code);
		if (cn)
			add(o, "code_name", json_object_new_string(cn));
	}
	hold(j, o);
}

static void on_anomaly(void *ctx, const struct session *s, const struct session_anomaly *a)
{
	struct jrep *j = ctx;
	int sec = session_is_security_note(a->kind), flow = a->kind == SESSION_AN_QOS2_UNFINISHED;
	json_object *o = sess_record(j, sec ? "security" : "anomaly", s, &a->known, a->from);
	const char *rule = session_anomaly_rule(a->kind, s->version);

	add(o, "kind", json_object_new_string(session_anomaly_name(a->kind)));
	if (rule)
		add(o, "rule", json_object_new_string(rule));
	add(o, "text", json_object_new_string(session_anomaly_text(a->kind)));
	add_int(o, "at_frame", (int64_t)a->at.frame);
	if (flow) {
		add(o, "flow_from", json_object_new_string(side_name(a->from)));
		add(o, "last", json_object_new_string(mqtt_type_name(a->type)));
	} else if (a->type) {
		add(o, "packet", json_object_new_string(mqtt_type_name(a->type)));
	}
	if (a->has_msgid)
		add_int(o, "msgid", a->msgid);
	if (a->kind == SESSION_AN_KEEPALIVE)
		add_int(o, "silence_ms", (int64_t)a->value);
	hold(j, o);
}

static json_object *by_side(uint64_t client, uint64_t broker)
{
	json_object *o = json_object_new_object();

	add_int(o, "client", (int64_t)client);
	add_int(o, "broker", (int64_t)broker);
	return o;
}

static void on_end(void *ctx, const struct session *s)
{
	struct jrep *j = ctx;
	json_object *o, *d;
	int64_t ns = (s->end.ts_sec - s->start.ts_sec) * 1000000000ll +
		     ((int64_t)s->end.ts_nsec - s->start.ts_nsec);
	const char *cn;

	jflow_of(j, s->flow); /* its client id kept for the records after its end */
	o = sess_record(j, "session_end", s, &s->end, SESSION_CLIENT);
	add(o, "ended", json_object_new_string(session_end_name(s->ended)));
	if (s->ended == SESSION_END_DISCONNECT) {
		d = json_object_new_object();
		add(d, "from", json_object_new_string(side_name(s->disconnect_from)));
		if (s->disconnect_has_code) {
			add_int(d, "code", s->disconnect_code);
			cn = mqtt_code_name(MQTT_DISCONNECT, s->version, s->disconnect_code);
			if (cn)
				add(d, "code_name", json_object_new_string(cn));
		}
		add(o, "disconnect", d);
	}
	add_int(o, "start_frame", (int64_t)s->start.frame);
	add(o, "duration", jduration(j, ns > 0 ? (uint64_t)ns : 0));
	add(o, "messages", by_side(s->msgs[SESSION_CLIENT], s->msgs[SESSION_BROKER]));
	add(o, "bytes", by_side(s->bytes[SESSION_CLIENT], s->bytes[SESSION_BROKER]));
	add_int(o, "transactions", s->txns);
	add_int(o, "anomalies", s->anomalies);
	add_int(o, "security_notes", s->notes);
	hold(j, o);
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
	for (size_t i = 0; i < j->npend; i++)
		json_object_put(j->pend[i]);
	free(j->pend);
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
