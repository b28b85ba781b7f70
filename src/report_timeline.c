/* \summary: --timeline: one JSON document of every session, its transactions and events
 *
 * Memory stays bounded on long captures: each open session writes its events and its
 * transactions as compact JSON text into two small buffers; a full buffer is spilled, as a
 * chunk, to an anonymous temporary file (each chunk points back at the one before; writes
 * are gathered into 1 MiB). With very many sessions open at once, the buffers share a
 * budget: past it, items go to the file one by one. When a session ends, its summary goes to the file too and only a small index
 * entry stays in memory. At the end the document is assembled from the file, sessions in
 * order of start (docs/json.md).
 */
#include "mqttdump/budget.h"
#include "mqttdump/jsonw.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPILL 1536  /* bytes of a session's stream kept in memory before they are spilled */
/* Bytes of buffers all open sessions may hold together: past it (very many connections
 * open at once), each event is spilled as soon as it is written and its buffer freed. */
#define BUDGET (16u << 20)


/* A stream of text in the temporary file: chunks [u32 len][i64 prev][len bytes], each
 * pointing back at the one before (known when it is written: nothing is patched). */
struct chain {
	int64_t last;          /* -1: none */
	uint32_t n;            /* chunks */
};

#define WBUF (1u << 20)  /* writes to the temporary file are gathered into this many bytes */

/* Incomplete transactions listed per session: the rest are counted (a session that ends
 * with thousands of unanswered requests would otherwise write each). */
#define INCOMPLETE_MAX 1000

struct tl_sess {
	struct report_buf ev, tx;
	struct chain evc, txc;
	uint32_t nev, ntx;
	uint32_t nincomplete;      /* incomplete transactions listed */
	uint64_t omitted;          /* and those past INCOMPLETE_MAX, only counted */
};

struct tl_index {
	uint64_t index;
	int64_t sec;
	uint32_t nsec;
	struct chain sum, evc, txc;  /* the summary is a one-chunk chain */
};

struct will_link {
	uint64_t dead, stream, frame;
	int64_t sec;
	uint32_t nsec;
};

struct timeline {
	struct report_opts o;
	struct session_tracker *t;
	FILE *out;
	int slot;              /* our observer slot: the per-session pointer */
	FILE *tmp;
	int fd;
	int64_t tmp_end;       /* the file's logical end: written + gathered */
	struct report_buf wbuf;       /* gathered, not yet written; starts at file offset wbuf_off */
	int64_t wbuf_off;
	struct report_buf one;        /* one item, when the budget leaves no room for session buffers */
	struct report_buf *cur;       /* the buffer the item being written goes to */
	struct jsonw w;        /* the writer of the item being written (on cur, scratch, tls) */
	int io_fail;
	struct tl_index *idx;
	size_t nidx, capidx;
	struct will_link *wills;
	size_t nwills, capwills;
	struct report_buf scratch;    /* summaries, events being built */
	size_t buffered;       /* capacity of the open sessions' buffers */
	size_t cap0;           /* a buffer's capacity when an event began */
	uint64_t nsessions, ntxn, nanomalies, nnotes;
	struct report_buf tls;        /* "tls_sessions": one object per TLS connection, as they end */
	uint64_t ntls, tls_omitted;
	/* open sessions, by stream index (open addressing, like the tracker) */
	struct { uint64_t index; struct tl_sess *s; } *open;
	size_t nopen, capopen;
};

/* ---- text --------------------------------------------------------------------------------- */

/* The timeline's strings, as it has always written them (jsonw.h): every C0 control as
 * \u00XX, a byte that is not UTF-8 as U+FFFD. */
#define TL_JSON (JSONW_CTRL_U | JSONW_FIX_UTF8)

/* n raw bytes (a separator between items) appended to b; a failure is the document's. */
static void raw(struct timeline *tl, struct report_buf *b, const char *s, size_t n)
{
	if (report_buf_room(b, n) < 0) {
		tl->io_fail = 1;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* The writer, on b; more: a comma comes before the first value (b holds items already). */
static struct jsonw *writer(struct timeline *tl, struct report_buf *b, int more)
{
	jsonw_init(&tl->w, b, TL_JSON);
	tl->w.more = more ? 1 : 0;
	return &tl->w;
}

static void tl_time(struct timeline *tl, struct jsonw *w, int64_t sec, uint32_t nsec)
{
	char out[48];
	int d = tl->o.ts_digits > 0 && tl->o.ts_digits <= 9 ? tl->o.ts_digits : 6;

	report_iso_time(sec, nsec, d, out, sizeof out);
	jsonw_name(w, out, strlen(out));
}

/* "frame":N,"ts":"..." */
static void where(struct timeline *tl, struct jsonw *w, const struct frame_ref *at)
{
	jsonw_kuint(w, "frame", at->frame);
	jsonw_key(w, "ts");
	tl_time(tl, w, at->ts_sec, at->ts_nsec);
}

static void seconds(struct timeline *tl, struct jsonw *w, const char *key, uint64_t ns)
{
	char t[48];
	report_rel_time((int64_t)(ns / 1000000000), (uint32_t)(ns % 1000000000), 0, 0,
			tl->o.ts_digits, t, sizeof t);
	jsonw_kraw(w, key, t);
}

static void addr(struct jsonw *w, const char *key, const struct tcp_addr *a)
{
	char t[64];
	tcp_addr_str(a, t, sizeof t);
	jsonw_kstr(w, key, t);
}

/* ---- the temporary file -------------------------------------------------------------------- */

static void wflush(struct timeline *tl)
{
	if (tl->wbuf.len && !tl->io_fail &&
	    pwrite(tl->fd, tl->wbuf.p, tl->wbuf.len, tl->wbuf_off) != (ssize_t)tl->wbuf.len)
		tl->io_fail = 1;
	tl->wbuf_off += (int64_t)tl->wbuf.len;
	tl->wbuf.len = 0;
}

/* Append a chunk of n bytes to chain c in the temporary file. */
static void spill(struct timeline *tl, struct chain *c, const char *p, size_t n)
{
	unsigned char hdr[12];
	uint32_t len = (uint32_t)n;
	int64_t at = tl->tmp_end;

	if (!tl->tmp || tl->io_fail)
		return;
	memcpy(hdr, &len, 4);
	memcpy(hdr + 4, &c->last, 8);
	if (tl->wbuf.len + 12 + n > WBUF)
		wflush(tl);
	if (12 + n > WBUF) { /* a large one goes straight to the file */
		if (pwrite(tl->fd, hdr, 12, at) != 12 ||
		    (n && pwrite(tl->fd, p, n, at + 12) != (ssize_t)n))
			tl->io_fail = 1;
		tl->wbuf_off += 12 + (int64_t)n;
	} else {
		raw(tl, &tl->wbuf, (const char *)hdr, 12);
		raw(tl, &tl->wbuf, p, n);
	}
	tl->tmp_end += 12 + (int64_t)n;
	c->last = at;
	c->n++;
}

static void flush_buf(struct timeline *tl, struct report_buf *b, struct chain *c)
{
	if (b->len)
		spill(tl, c, b->p, b->len);
	b->len = 0;
}

/* Copy a chain's text to the output (after wflush): find its chunks walking back, then
 * copy them forward. */
static void copy_chain(struct timeline *tl, const struct chain *c)
{
	char tmp[8192];
	struct { int64_t at; uint32_t len; } *v;
	int64_t at = c->last;
	uint32_t k = c->n;

	if (!c->n || tl->io_fail)
		return;
	if (!(v = budget_malloc(c->n * sizeof *v, "timeline"))) {
		tl->io_fail = 1;
		return;
	}
	while (k && at >= 0) {
		unsigned char hdr[12];
		if (pread(tl->fd, hdr, 12, at) != 12)
			break;
		k--;
		v[k].at = at;
		memcpy(&v[k].len, hdr, 4);
		memcpy(&at, hdr + 4, 8);
	}
	if (k) {
		tl->io_fail = 1;
		free(v);
		return;
	}
	for (uint32_t i = 0; i < c->n; i++)
		for (uint32_t done = 0; done < v[i].len;) {
			size_t m = v[i].len - done < sizeof tmp ? v[i].len - done : sizeof tmp;
			if (pread(tl->fd, tmp, m, v[i].at + 12 + done) != (ssize_t)m) {
				tl->io_fail = 1;
				free(v);
				return;
			}
			fwrite(tmp, 1, m, tl->out);
			done += (uint32_t)m;
		}
	free(v);
}

/* ---- open sessions ------------------------------------------------------------------------- */

static size_t oslot(const struct timeline *tl, uint64_t index)
{
	return (size_t)(index * 0x9e3779b97f4a7c15ull >> 20) & (tl->capopen - 1);
}

static struct tl_sess *sess_get(struct timeline *tl, const struct session *s)
{
	size_t i;
	struct tl_sess *x;

	for (i = oslot(tl, s->index); tl->open[i].s; i = (i + 1) & (tl->capopen - 1))
		if (tl->open[i].index == s->index)
			return tl->open[i].s;
	if ((tl->nopen + 1) * 2 > tl->capopen) {
		size_t on = tl->capopen, n = on * 2;
		void *old = tl->open;
		struct { uint64_t index; struct tl_sess *s; } *ot = old;
		void *nt = budget_calloc(n, sizeof *tl->open, "timeline");
		if (!nt)
			return NULL;
		tl->open = nt;
		tl->capopen = n;
		for (size_t k = 0; k < on; k++)
			if (ot[k].s) {
				size_t j;
				for (j = oslot(tl, ot[k].index); tl->open[j].s; j = (j + 1) & (n - 1))
					;
				tl->open[j].index = ot[k].index;
				tl->open[j].s = ot[k].s;
			}
		free(old);
		for (i = oslot(tl, s->index); tl->open[i].s; i = (i + 1) & (tl->capopen - 1))
			;
	}
	if (!(x = budget_calloc(1, sizeof *x, "timeline")))
		return NULL;
	x->evc.last = x->txc.last = -1;
	tl->open[i].index = s->index;
	tl->open[i].s = x;
	tl->nopen++;
	return x;
}

static void sess_drop(struct timeline *tl, uint64_t index)
{
	size_t m = tl->capopen - 1, i, j;

	for (i = oslot(tl, index); tl->open[i].s && tl->open[i].index != index; i = (i + 1) & m)
		;
	if (!tl->open[i].s)
		return;
	tl->buffered -= tl->open[i].s->ev.cap + tl->open[i].s->tx.cap;
	free(tl->open[i].s->ev.p);
	free(tl->open[i].s->tx.p);
	free(tl->open[i].s);
	for (j = (i + 1) & m; tl->open[j].s; j = (j + 1) & m) {
		size_t k = oslot(tl, tl->open[j].index);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			tl->open[i] = tl->open[j];
			i = j;
		}
	}
	tl->open[i].s = NULL;
	tl->nopen--;
}

/* Start an item (an event, a transaction) of a session's stream own: in own, or, when
 * the budget for session buffers is spent and own has none, in the shared one-item buffer
 * (spilled at once: no allocation per item). */
static struct jsonw *item_begin(struct timeline *tl, struct report_buf *own, int more)
{
	if (!own->cap && tl->buffered > BUDGET) {
		tl->one.len = 0;
		tl->cur = &tl->one;
	} else {
		tl->cur = own;
		if (!own->cap && (own->p = budget_malloc(256, "timeline")))
			own->cap = 256; /* a session's buffers start small: there may be many */
	}
	tl->cap0 = tl->cur->cap;
	return writer(tl, tl->cur, more);
}

/* The item is written: account for its buffer's growth, spill the buffer when full or when
 * the budget is spent (then free it too). */
static void item_end(struct timeline *tl, struct chain *c)
{
	struct report_buf *b = tl->cur;

	if (tl->w.fail) { /* out of memory: what it held is lost, and the document says so */
		tl->io_fail = 1;
		b->len = 0;
	}
	if (b == &tl->one) {
		flush_buf(tl, b, c);
		return;
	}
	tl->buffered += b->cap - tl->cap0;
	if (b->len < SPILL && tl->buffered <= BUDGET)
		return;
	flush_buf(tl, b, c);
	if (tl->buffered > BUDGET) {
		tl->buffered -= b->cap;
		free(b->p);
		b->p = NULL;
		b->cap = 0;
	}
}

/* Start one event in a session's event stream: {"frame":..,"ts":..,"from":.. */
static struct jsonw *event_begin(struct timeline *tl, struct tl_sess *x,
				 const struct frame_ref *at, int from)
{
	struct jsonw *w = item_begin(tl, &x->ev, x->nev++ > 0);

	jsonw_obj(w);
	where(tl, w, at);
	if (from >= 0)
		jsonw_kname(w, "from", from == SESSION_CLIENT ? "client" : "broker");
	return w;
}

static void event_end(struct timeline *tl, struct tl_sess *x)
{
	jsonw_obj_end(&tl->w);
	item_end(tl, &x->evc);
}

/* ---- observer callbacks --------------------------------------------------------------------- */

static void code_fields(struct jsonw *w, const struct mqtt_msg *m)
{
	const char *name;

	if (!m->has_code)
		return;
	jsonw_kuint(w, "code", m->code);
	if ((name = mqtt_code_name(m->hdr.type, m->version, m->code)))
		jsonw_kstr(w, "code_name", name);
}

/* A SUBSCRIBE's filters with their QoS, an UNSUBSCRIBE's filters. */
static void list_fields(struct jsonw *w, const struct mqtt_msg *m)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t opts;

	if (m->hdr.type == MQTT_SUBSCRIBE) {
		jsonw_key(w, "subscriptions");
		jsonw_arr(w);
		while (mqtt_next_sub(&c, m->version, &f, &opts) == MQTT_OK) {
			jsonw_obj(w);
			jsonw_kstr_n(w, "filter", f.p, f.len);
			jsonw_kuint(w, "qos", opts & 3);
			jsonw_obj_end(w);
		}
		jsonw_arr_end(w);
		return;
	}
	jsonw_key(w, "filters");
	jsonw_arr(w);
	while (mqtt_next_filter(&c, &f) == MQTT_OK)
		jsonw_str(w, f.p, f.len);
	jsonw_arr_end(w);
}

static void on_message(void *ctx, const struct session *s, const struct mqtt_record *rec)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	const struct mqtt_msg *m = &rec->msg;
	struct jsonw *w;

	if (!x)
		return;
	w = event_begin(tl, x, &rec->at, rec->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER);
	jsonw_kname(w, "type", mqtt_type_name(m->hdr.type));
	if (rec->incomplete)
		jsonw_kbool(w, "incomplete", 1);
	if (m->has_msgid)
		jsonw_kuint(w, "msgid", m->msgid);
	switch (m->hdr.type) {
	case MQTT_CONNECT:
		if (mqtt_version_name(m->proto_level))
			jsonw_kstr(w, "version", mqtt_version_name(m->proto_level));
		jsonw_kstr_n(w, "clientid", m->clientid.p, m->clientid.len);
		jsonw_kuint(w, "keepalive", m->keepalive);
		jsonw_kbool(w, "clean_start", (m->connect_flags & 2) != 0);
		if (m->has_username)
			jsonw_kstr_n(w, "username", m->username.p, m->username.len);
		if (m->has_will)
			jsonw_kstr_n(w, "will_topic", m->will_topic.p, m->will_topic.len);
		break;
	case MQTT_CONNACK:
		jsonw_kbool(w, "session_present", m->ack_flags & 1);
		code_fields(w, m);
		break;
	case MQTT_PUBLISH:
		jsonw_kstr_n(w, "topic", m->topic.p, m->topic.len);
		{ /* MQTT 5.0: the alias is kept beside the real topic */
			struct mqtt_prop pr;
			if (mqtt_find_prop(m, MQTT_PROP_TOPIC_ALIAS, &pr))
				jsonw_kuint(w, "topic_alias", pr.num);
		}
		if (rec->topic_from_alias)
			jsonw_kbool(w, "topic_from_alias", 1);
		jsonw_kuint(w, "qos", m->qos);
		if (m->retain)
			jsonw_kbool(w, "retain", 1);
		if (m->dup)
			jsonw_kbool(w, "dup", 1);
		jsonw_kuint(w, "payload_len", m->payload.len);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		list_fields(w, m);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		if (m->hdr.type == MQTT_UNSUBACK && m->version != MQTT_V5)
			break;
		jsonw_key(w, "codes");
		jsonw_arr(w);
		for (uint32_t i = 0; i < m->list.len; i++)
			jsonw_uint(w, m->list.p[i]);
		jsonw_arr_end(w);
		break;
	default:
		code_fields(w, m);
		break;
	}
	event_end(tl, x);
}

static const char *side(int from)
{
	return from == SESSION_CLIENT ? "client" : "broker";
}

static void on_txn(void *ctx, const struct session *s, const struct session_txn *t)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct jsonw *w;

	if (!x)
		return;
	tl->ntxn++;
	if (t->status == SESSION_TXN_INCOMPLETE && x->nincomplete++ >= INCOMPLETE_MAX) {
		x->omitted++;
		return;
	}
	w = item_begin(tl, &x->tx, x->ntx++ > 0);
	jsonw_obj(w);
	jsonw_kstr(w, "kind", session_txn_kind_name(t->kind));
	if (t->kind == SESSION_TXN_PUBLISH1 || t->kind == SESSION_TXN_PUBLISH2)
		jsonw_kuint(w, "qos", t->kind == SESSION_TXN_PUBLISH1 ? 1 : 2);
	jsonw_kstr(w, "from", side(t->from));
	if (t->has_msgid)
		jsonw_kuint(w, "msgid", t->msgid);
	jsonw_kstr(w, "status", session_txn_status_name(t->status));
	if (t->superseded)
		jsonw_kbool(w, "id_reused", 1);
	jsonw_kuint(w, "request_frame", t->request.frame);
	if (t->answer.frame) {
		jsonw_kuint(w, "answer_frame", t->answer.frame);
		seconds(tl, w, "latency", t->latency_ns);
	}
	if (t->kind == SESSION_TXN_PUBLISH2 && t->stage)
		jsonw_kstr(w, "last", mqtt_type_name(t->stage));
	if (t->rec && (t->rec->msg.hdr.type == MQTT_SUBACK ||
		       (t->rec->msg.hdr.type == MQTT_UNSUBACK && t->rec->msg.version == MQTT_V5))) {
		const struct mqtt_msg *m = &t->rec->msg;
		if (t->rec->msg.hdr.type == MQTT_SUBACK)
			jsonw_key(w, "granted");
		else
			jsonw_key(w, "codes");
		jsonw_arr(w);
		for (uint32_t i = 0; i < m->list.len; i++) {
			const char *name = mqtt_code_name(m->hdr.type, m->version, m->list.p[i]);
			jsonw_obj(w);
			jsonw_kuint(w, "code", m->list.p[i]);
			if (name)
				jsonw_kstr(w, "name", name);
			jsonw_obj_end(w);
		}
		jsonw_arr_end(w);
	} else if (t->has_code && t->rec) {
		const char *name = mqtt_code_name(t->rec->msg.hdr.type, t->rec->msg.version, t->code);
		jsonw_kuint(w, "code", t->code);
		if (name)
			jsonw_kstr(w, "code_name", name);
	}
	jsonw_obj_end(w);
	item_end(tl, &x->txc);
}

static void on_anomaly(void *ctx, const struct session *s, const struct session_anomaly *a)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct jsonw *w;
	const char *rule = session_anomaly_rule(a->kind, s->version);
	int sec = session_is_security_note(a->kind);

	if (!x)
		return;
	if (sec)
		tl->nnotes++;
	else
		tl->nanomalies++;
	/* an unfinished flow is noticed at the end: no packet of that frame is concerned */
	int flow = a->kind == SESSION_AN_QOS2_UNFINISHED;

	w = event_begin(tl, x, &a->at, a->type && !flow ? a->from : -1);
	jsonw_kstr(w, "type", sec ? "security" : "anomaly");
	jsonw_kstr(w, "kind", session_anomaly_name(a->kind));
	if (rule)
		jsonw_kstr(w, "rule", rule);
	jsonw_kstr(w, "text", session_anomaly_text(a->kind));
	if (flow) {
		jsonw_kstr(w, "flow_from", side(a->from));
		jsonw_kstr(w, "last", mqtt_type_name(a->type));
	} else if (a->type) {
		jsonw_kstr(w, "packet", mqtt_type_name(a->type));
	}
	if (a->has_msgid)
		jsonw_kuint(w, "msgid", a->msgid);
	if (a->kind == SESSION_AN_KEEPALIVE)
		jsonw_kuint(w, "silence_ms", a->value);
	event_end(tl, x);
}

/* What the framer noticed on the connection: why packets may be missing or cut. */
static void on_framer_event(void *ctx, const struct session *s, const struct framer_event *ev)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct jsonw *w;

	if (!x)
		return;
	w = event_begin(tl, x, &ev->at, ev->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER);
	switch (ev->kind) {
	case FRAMER_EV_GAP:
		jsonw_kstr(w, "type", "gap");
		jsonw_kuint(w, "offset", ev->offset);
		jsonw_kuint(w, "bytes", ev->len);
		jsonw_kstr(w, "cause", ev->cause == REASM_GAP_SNAPLEN ? "snaplen" :
			ev->cause == REASM_GAP_BUDGET ? "budget" : "lost");
		break;
	case FRAMER_EV_MEMORY:
		jsonw_kstr(w, "type", "memory");
		jsonw_kuint(w, "offset", ev->offset);
		jsonw_kuint(w, "bytes", ev->len);
		if (ev->size) {
			jsonw_kstr(w, "packet", mqtt_type_name(ev->type));
			jsonw_kuint(w, "size", ev->size);
		}
		jsonw_kstr(w, "why", ev->text ? ev->text : "");
		break;
	case FRAMER_EV_SKIPPED:
		jsonw_kstr(w, "type", "skipped");
		jsonw_kuint(w, "offset", ev->offset);
		jsonw_kuint(w, "bytes", ev->len);
		jsonw_kstr(w, "why", ev->text ? ev->text : "");
		break;
	case FRAMER_EV_OVERSIZE:
		jsonw_kstr(w, "type", "oversize");
		jsonw_kuint(w, "offset", ev->offset);
		jsonw_kstr(w, "packet", mqtt_type_name(ev->type));
		jsonw_kuint(w, "size", ev->len);
		break;
	case FRAMER_EV_VERSION:
		jsonw_kstr(w, "type", "version");
		if (mqtt_version_name(ev->version))
			jsonw_kstr(w, "version", mqtt_version_name(ev->version));
		jsonw_kstr(w, "why", ev->text ? ev->text : "");
		break;
	default:
		jsonw_kstr(w, "type", "other");
		break;
	}
	event_end(tl, x);
}

static void on_will(void *ctx, uint64_t dead, uint64_t to, const struct frame_ref *at)
{
	struct timeline *tl = ctx;

	if (tl->nwills == tl->capwills) {
		size_t n = tl->capwills ? tl->capwills * 2 : 16;
		struct will_link *w = budget_realloc(tl->wills, n * sizeof *w, "timeline");
		if (!w)
			return;
		tl->wills = w;
		tl->capwills = n;
	}
	tl->wills[tl->nwills++] = (struct will_link){ dead, to, at->frame, at->ts_sec, at->ts_nsec };
}


/* The summary's who: the connection, its CONNECT's facts and its CONNACK's answer. */
static void summary_who(struct jsonw *w, const struct session *s)
{
	jsonw_kuint(w, "stream", s->index);
	addr(w, "client", &s->flow->client);
	jsonw_kuint(w, "client_port", s->flow->client_port);
	addr(w, "broker", &s->flow->broker);
	jsonw_kuint(w, "broker_port", s->flow->broker_port);
	if (mqtt_version_name(s->version))
		jsonw_kstr(w, "version", mqtt_version_name(s->version));
	if (s->have_connect) {
		jsonw_key(w, "clientid");
		jsonw_str(w, s->clientid, s->clientid_len);
		if (s->clientid_cut)
			jsonw_kbool(w, "clientid_cut", 1);
		if (s->has_username) {
			jsonw_key(w, "username");
			jsonw_str(w, s->username, s->username_len);
		}
		jsonw_kuint(w, "keepalive", s->keepalive);
		jsonw_kbool(w, "clean_start", s->clean_start);
		if (s->has_will) {
			jsonw_key(w, "will");
			jsonw_obj(w);
			jsonw_kstr_n(w, "topic", s->will_topic, s->will_topic_len);
			jsonw_kuint(w, "qos", s->will_qos);
			jsonw_kbool(w, "retain", s->will_retain);
			jsonw_obj_end(w);
		}
	}
	if (s->have_connack) {
		jsonw_key(w, "connack");
		jsonw_obj(w);
		jsonw_kbool(w, "session_present", s->session_present);
		if (s->connack_has_code) {
			const char *name = mqtt_code_name(MQTT_CONNACK, s->version, s->connack_code);
			jsonw_kuint(w, "code", s->connack_code);
			if (name)
				jsonw_kstr(w, "code_name", name);
		}
		jsonw_kbool(w, "accepted", !s->connack_has_code || s->connack_code == 0);
		jsonw_obj_end(w);
	}
}

/* The summary's when and how much: start, end, how it ended, the counts. */
static void summary_counts(struct timeline *tl, struct jsonw *w, const struct tl_sess *x,
			   const struct session *s)
{
	jsonw_key(w, "start");
	jsonw_obj(w);
	where(tl, w, &s->start);
	jsonw_obj_end(w);
	jsonw_key(w, "end");
	jsonw_obj(w);
	where(tl, w, &s->end);
	jsonw_obj_end(w);
	{
		struct frame_ref a = s->start, z = s->end;
		int64_t d = (z.ts_sec - a.ts_sec) * 1000000000ll + ((int64_t)z.ts_nsec - a.ts_nsec);
		seconds(tl, w, "duration", d > 0 ? (uint64_t)d : 0);
	}
	jsonw_kstr(w, "ended", session_end_name(s->ended));
	if (s->ended == SESSION_END_DISCONNECT) {
		jsonw_key(w, "disconnect");
		jsonw_obj(w);
		jsonw_kstr(w, "from", side(s->disconnect_from));
		if (s->disconnect_has_code) {
			const char *name = mqtt_code_name(MQTT_DISCONNECT, s->version, s->disconnect_code);
			jsonw_kuint(w, "code", s->disconnect_code);
			if (name)
				jsonw_kstr(w, "code_name", name);
		}
		jsonw_obj_end(w);
	}
	jsonw_key(w, "messages");
	jsonw_obj(w);
	jsonw_kuint(w, "client", s->msgs[SESSION_CLIENT]);
	jsonw_kuint(w, "broker", s->msgs[SESSION_BROKER]);
	jsonw_obj_end(w);
	jsonw_key(w, "bytes");
	jsonw_obj(w);
	jsonw_kuint(w, "client", s->bytes[SESSION_CLIENT]);
	jsonw_kuint(w, "broker", s->bytes[SESSION_BROKER]);
	jsonw_obj_end(w);
	jsonw_kuint(w, "anomalies", s->anomalies);
	jsonw_kuint(w, "security_notes", s->notes);
	if (x->omitted)
		jsonw_kuint(w, "incomplete_omitted", x->omitted);
	if (s->untracked)
		jsonw_kuint(w, "untracked_requests", s->untracked);
	if (s->flow->in_tls)
		jsonw_kbool(w, "tls", 1); /* read from decrypted TLS: see "tls_sessions" */
}

static void on_end(void *ctx, const struct session *s)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct jsonw *w;
	struct tl_index *e;

	if (!x)
		return;
	tl->nsessions++;
	w = event_begin(tl, x, &s->end, -1);
	jsonw_kstr(w, "type", "end");
	jsonw_kstr(w, "ended", session_end_name(s->ended));
	event_end(tl, x);
	flush_buf(tl, &x->ev, &x->evc);
	flush_buf(tl, &x->tx, &x->txc);

	/* the summary: its members, without the braces (finish() adds the streams) */
	tl->scratch.len = 0;
	w = writer(tl, &tl->scratch, 0);
	summary_who(w, s);
	summary_counts(tl, w, x, s);

	if (tl->nidx == tl->capidx) {
		size_t n = tl->capidx ? tl->capidx * 2 : 64;
		struct tl_index *ni = budget_realloc(tl->idx, n * sizeof *ni, "timeline");
		if (!ni) {
			sess_drop(tl, s->index);
			return;
		}
		tl->idx = ni;
		tl->capidx = n;
	}
	e = &tl->idx[tl->nidx++];
	e->index = s->index;
	e->sec = s->start.ts_sec;
	e->nsec = s->start.ts_nsec;
	e->sum.last = -1;
	e->sum.n = 0;
	if (w->fail)
		tl->io_fail = 1;
	else
		spill(tl, &e->sum, tl->scratch.p, tl->scratch.len);
	e->evc = x->evc;
	e->txc = x->txc;
	sess_drop(tl, s->index);
}

/* ---- the document --------------------------------------------------------------------------- */

static int by_start(const void *a, const void *b)
{
	const struct tl_index *x = a, *y = b;

	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->nsec != y->nsec)
		return x->nsec < y->nsec ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int by_dead(const void *a, const void *b)
{
	const struct will_link *x = a, *y = b;
	return x->dead < y->dead ? -1 : x->dead > y->dead;
}

/* TLS connections, with or without keys: what their handshake showed and how much
 * application data they carried (issue: "per session, in every output"). They are few and
 * small: kept as text, at most TLS_KEEP of them (then only counted). */
#define TLS_KEEP 65536

static void on_transport(void *ctx, const struct transport_event *ev)
{
	struct timeline *tl = ctx;
	struct jsonw *w;
	const struct reasm_flow *f = ev->flow;
	const char *n;

	if (ev->kind != TRANSPORT_EV_TLS_END)
		return;
	if (tl->ntls >= TLS_KEEP) {
		tl->tls_omitted++;
		return;
	}
	if (tl->ntls++)
		raw(tl, &tl->tls, ",\n", 2);
	else
		raw(tl, &tl->tls, "\n", 1);
	w = writer(tl, &tl->tls, 0);
	jsonw_obj(w);
	jsonw_kuint(w, "stream", f->index);
	addr(w, "client", &f->client);
	jsonw_kuint(w, "client_port", f->client_port);
	addr(w, "broker", &f->broker);
	jsonw_kuint(w, "broker_port", f->broker_port);
	jsonw_key(w, "end");
	jsonw_obj(w);
	where(tl, w, &ev->at);
	jsonw_obj_end(w);
	if (ev->sni && ev->sni[0])
		jsonw_kstr(w, "sni", ev->sni);
	if (ev->version && (n = tls_version_name(ev->version)))
		jsonw_kstr(w, "tls_version", n);
	if (ev->suite) {
		jsonw_kuint(w, "suite_id", ev->suite);
		if ((n = tls_suite_name(ev->suite)))
			jsonw_kstr(w, "suite", n);
	}
	jsonw_kstr(w, "handshake", ev->handshake ? ev->handshake : "incomplete");
	if (ev->failure)
		jsonw_kstr(w, "failure", ev->failure);
	jsonw_kuint(w, "client_records", ev->app_records[REASM_TO_BROKER]);
	jsonw_kuint(w, "client_bytes", ev->app_bytes[REASM_TO_BROKER]);
	jsonw_kuint(w, "broker_records", ev->app_records[REASM_TO_CLIENT]);
	jsonw_kuint(w, "broker_bytes", ev->app_bytes[REASM_TO_CLIENT]);
	jsonw_kuint(w, "decrypted_records", ev->decrypted_records[0] + ev->decrypted_records[1]);
	jsonw_obj_end(w);
	if (w->fail)
		tl->io_fail = 1;
}

static void finish(void *ctx)
{
	struct timeline *tl = ctx;
	struct report_buf *b = &tl->scratch;
	struct jsonw *jw;

	wflush(tl);
	if (tl->nidx)
		qsort(tl->idx, tl->nidx, sizeof *tl->idx, by_start);
	if (tl->nwills)
		qsort(tl->wills, tl->nwills, sizeof *tl->wills, by_dead);
	fputs("{\"sessions\":[", tl->out);
	for (size_t i = 0; i < tl->nidx; i++) {
		const struct tl_index *e = &tl->idx[i];
		struct will_link key = { .dead = e->index }, *w;
		fputs(i ? ",\n{" : "\n{", tl->out);
		copy_chain(tl, &e->sum);
		w = tl->nwills ? bsearch(&key, tl->wills, tl->nwills, sizeof key, by_dead) : NULL;
		if (w) {
			b->len = 0;
			jw = writer(tl, b, 1); /* after the summary's members */
			jsonw_key(jw, "will_published");
			jsonw_obj(jw);
			jsonw_kuint(jw, "stream", w->stream);
			where(tl, jw, &(struct frame_ref){ w->frame, w->sec, w->nsec, 0 });
			jsonw_obj_end(jw);
			if (jw->fail)
				tl->io_fail = 1;
			else
				fwrite(b->p, 1, b->len, tl->out);
		}
		fputs(",\"transactions\":[", tl->out);
		copy_chain(tl, &e->txc);
		fputs("],\"events\":[", tl->out);
		copy_chain(tl, &e->evc);
		fputs("]}", tl->out);
	}
	fputs("\n],\"tls_sessions\":[", tl->out);
	if (tl->tls.len)
		fwrite(tl->tls.p, 1, tl->tls.len, tl->out);
	fprintf(tl->out, "%s],\"totals\":{\"sessions\":%" PRIu64 ",\"transactions\":%" PRIu64
		",\"anomalies\":%" PRIu64 ",\"security_notes\":%" PRIu64 ",\"tls_sessions\":%"
		PRIu64 "}", tl->ntls ? "\n" : "", tl->nsessions, tl->ntxn, tl->nanomalies,
		tl->nnotes, tl->ntls + tl->tls_omitted);
	if (tl->tls_omitted)
		fprintf(tl->out, ",\"tls_sessions_omitted\":%" PRIu64, tl->tls_omitted);
	if (tl->io_fail)
		fputs(",\"error\":\"out of memory or the temporary file failed: sessions or events "
		      "are missing\"", tl->out);
	fputs("}\n", tl->out);
	fflush(tl->out);
}

static void tl_free(void *ctx)
{
	struct timeline *tl = ctx;

	if (!tl)
		return;
	for (size_t i = 0; i < tl->capopen; i++)
		if (tl->open[i].s) {
			free(tl->open[i].s->ev.p);
			free(tl->open[i].s->tx.p);
			free(tl->open[i].s);
		}
	free(tl->open);
	if (tl->tmp)
		fclose(tl->tmp);
	free(tl->idx);
	free(tl->wills);
	free(tl->scratch.p);
	free(tl->wbuf.p);
	free(tl->one.p);
	free(tl->tls.p);
	free(tl);
}

int report_timeline_new(const struct report_opts *o, struct session_tracker *t, FILE *out,
			struct reporter *r)
{
	struct timeline *tl = budget_calloc(1, sizeof *tl, "timeline");
	struct session_observer ob = { on_message, on_txn, on_anomaly, on_framer_event, on_end,
				       on_will, NULL, NULL };

	if (!tl)
		return -1;
	tl->o = *o;
	tl->t = t;
	tl->capopen = 256;
	if (!(tl->open = budget_calloc(tl->capopen, sizeof *tl->open, "timeline")) ||
	    !(tl->tmp = tmpfile())) {
		free(tl->open);
		free(tl);
		return -1;
	}
	tl->fd = fileno(tl->tmp);
	ob.ctx = tl;
	if ((tl->slot = session_observe(t, &ob)) < 0) {
		fclose(tl->tmp);
		free(tl->open);
		free(tl);
		return -1;
	}
	tl->out = out;
	memset(r, 0, sizeof *r);
	r->ctx = tl;
	r->transport = on_transport;
	r->finish = finish;
	r->free = tl_free;
	return 0;
}
