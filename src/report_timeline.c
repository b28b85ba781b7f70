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

struct buf {
	char *p;
	size_t len, cap;
	int fail;
};

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
	struct buf ev, tx;
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
	struct buf wbuf;       /* gathered, not yet written; starts at file offset wbuf_off */
	int64_t wbuf_off;
	struct buf one;        /* one item, when the budget leaves no room for session buffers */
	struct buf *cur;       /* the buffer the item being written goes to */
	int io_fail;
	struct tl_index *idx;
	size_t nidx, capidx;
	struct will_link *wills;
	size_t nwills, capwills;
	struct buf scratch;    /* summaries, events being built */
	size_t buffered;       /* capacity of the open sessions' buffers */
	size_t cap0;           /* a buffer's capacity when an event began */
	uint64_t nsessions, ntxn, nanomalies, nnotes;
	struct buf tls;        /* "tls_sessions": one object per TLS connection, as they end */
	uint64_t ntls, tls_omitted;
	/* open sessions, by stream index (open addressing, like the tracker) */
	struct { uint64_t index; struct tl_sess *s; } *open;
	size_t nopen, capopen;
};

/* ---- text --------------------------------------------------------------------------------- */

static void b_grow(struct buf *b, size_t n)
{
	size_t nc = b->cap ? b->cap : 256;
	char *p;

	if (b->fail)
		return;
	while (nc < b->len + n)
		nc *= 2;
	if (!(p = budget_realloc(b->p, nc, "timeline"))) {
		b->fail = 1;
		return;
	}
	b->p = p;
	b->cap = nc;
}

static inline void b_reserve(struct buf *b, size_t n)
{
	if (__builtin_expect(b->len + n > b->cap, 0))
		b_grow(b, n);
}

/* Every event goes through here a dozen times: the common case is one compare and one
 * memcpy. */
static inline void b_put(struct buf *b, const char *s, size_t n)
{
	if (__builtin_expect(b->len + n > b->cap, 0)) {
		b_grow(b, n);
		if (b->fail)
			return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void b_str(struct buf *b, const char *s)
{
	b_put(b, s, strlen(s));
}

static void b_u64(struct buf *b, uint64_t v)
{
	char t[24];
	b_put(b, t, report_u64(t, v));
}

/* A key is written as one piece, `,"key":`, built at compile time: the b_k* macros below
 * take a string literal. */
#define KQ(k) ",\"" k "\":", sizeof(",\"" k "\":") - 1
#define b_key(b, k) b_put(b, KQ(k))
#define b_kint(b, k, v) b_kint_q(b, KQ(k), v)
#define b_kbool(b, k, v) b_kbool_q(b, KQ(k), v)
#define b_kstr(b, k, s) b_kstr_q(b, KQ(k), s)
#define b_kview(b, k, v) b_kview_q(b, KQ(k), v)
/* ,"k":"s" for s from our own tables (ASCII letters, digits, spaces, '_', '.'): no
 * escaping to look for. Names that may hold anything go through b_kstr. */
#define b_kname(b, k, s) b_kname_q(b, KQ(k), s)

static void b_kname_q(struct buf *b, const char *kq, size_t kn, const char *s)
{
	size_t n = strlen(s);

	b_reserve(b, kn + n + 2);
	b_put(b, kq, kn);
	b_put(b, "\"", 1);
	b_put(b, s, n);
	b_put(b, "\"", 1);
}

static void b_kint_q(struct buf *b, const char *kq, size_t kn, uint64_t v)
{
	b_put(b, kq, kn);
	b_u64(b, v);
}

static void b_kbool_q(struct buf *b, const char *kq, size_t kn, int v)
{
	b_put(b, kq, kn);
	if (v)
		b_put(b, "true", 4);
	else
		b_put(b, "false", 5);
}

/* A JSON string from bytes that should be UTF-8: bad bytes become U+FFFD, control
 * characters (C0, DEL, C1) and what else a terminal obeys (textesc_hidden) are escaped. */
/* 1 for the bytes a JSON string holds as they are: ASCII from 0x20, but '"', '\\', DEL */
static const uint8_t json_plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,     /* 0x22 '"' */
	[0x30] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x40] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x50] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,     /* 0x5c '\\' */
	[0x60] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	[0x70] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,     /* 0x7f DEL */
};

static void b_jstr(struct buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";

	b_reserve(b, n + 2);
	b_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		if (json_plain[c]) {
			size_t j = i + 1;
			while (j < n && json_plain[p[j]])
				j++;
			b_put(b, (const char *)p + i, j - i);
			i = j;
		} else if (c < 0x80) {
			char e[6] = { '\\', 'u', '0', '0', hx[c >> 4], hx[c & 15] };
			if (c == '"' || c == '\\') {
				e[1] = (char)c;
				b_put(b, e, 2);
			} else {
				b_put(b, e, 6);
			}
			i++;
		} else {
			uint32_t cp;
			size_t k = textesc_utf8(p + i, n - i, &cp);
			if (k && textesc_hidden(cp)) {
				char e[6] = { '\\', 'u', hx[cp >> 12 & 15], hx[cp >> 8 & 15],
					      hx[cp >> 4 & 15], hx[cp & 15] };
				b_put(b, e, 6);
				i += k;
			} else if (k) {
				b_put(b, (const char *)p + i, k);
				i += k;
			} else {
				b_put(b, "\xef\xbf\xbd", 3);
				i++;
			}
		}
	}
	b_put(b, "\"", 1);
}

static void b_kstr_q(struct buf *b, const char *kq, size_t kn, const char *s)
{
	b_put(b, kq, kn);
	b_jstr(b, (const uint8_t *)s, strlen(s));
}

static void b_kview_q(struct buf *b, const char *kq, size_t kn, struct mqtt_view v)
{
	b_put(b, kq, kn);
	b_jstr(b, v.p, v.len);
}

static void b_time(struct timeline *tl, struct buf *b, int64_t sec, uint32_t nsec)
{
	char out[48];
	int d = tl->o.ts_digits > 0 && tl->o.ts_digits <= 9 ? tl->o.ts_digits : 6;

	report_iso_time(sec, nsec, d, out, sizeof out);
	b_put(b, "\"", 1);
	b_str(b, out);
	b_put(b, "\"", 1);
}

/* "frame":N,"ts":"..." (no leading comma) */
static void b_where(struct timeline *tl, struct buf *b, const struct frame_ref *at)
{
	b_str(b, "\"frame\":");
	b_u64(b, at->frame);
	b_key(b, "ts");
	b_time(tl, b, at->ts_sec, at->ts_nsec);
}

static void b_seconds_q(struct timeline *tl, struct buf *b, const char *kq, size_t kn,
			uint64_t ns)
{
	char t[48];
	report_rel_time((int64_t)(ns / 1000000000), (uint32_t)(ns % 1000000000), 0, 0,
			tl->o.ts_digits, t, sizeof t);
	b_put(b, kq, kn);
	b_str(b, t);
}
#define b_seconds(tl, b, k, ns) b_seconds_q(tl, b, KQ(k), ns)

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
		b_put(&tl->wbuf, (const char *)hdr, 12);
		b_put(&tl->wbuf, p, n);
		if (tl->wbuf.fail)
			tl->io_fail = 1;
	}
	tl->tmp_end += 12 + (int64_t)n;
	c->last = at;
	c->n++;
}

static void flush_buf(struct timeline *tl, struct buf *b, struct chain *c)
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
static struct buf *item_begin(struct timeline *tl, struct buf *own)
{
	if (!own->cap && tl->buffered > BUDGET) {
		tl->one.len = 0;
		tl->cur = &tl->one;
	} else {
		tl->cur = own;
	}
	tl->cap0 = tl->cur->cap;
	return tl->cur;
}

/* The item is written: account for its buffer's growth, spill the buffer when full or when
 * the budget is spent (then free it too). */
static void item_end(struct timeline *tl, struct chain *c)
{
	struct buf *b = tl->cur;

	if (b->fail) { /* out of memory: what it held is lost, and the document says so */
		tl->io_fail = 1;
		b->fail = 0;
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
static struct buf *event_begin(struct timeline *tl, struct tl_sess *x, const struct frame_ref *at,
			       int from)
{
	struct buf *b = item_begin(tl, &x->ev);

	if (x->nev++)
		b_put(b, ",{", 2);
	else
		b_put(b, "{", 1);
	b_where(tl, b, at);
	if (from >= 0)
		b_kname(b, "from", from == SESSION_CLIENT ? "client" : "broker");
	return b;
}

static void event_end(struct timeline *tl, struct tl_sess *x)
{
	b_put(tl->cur, "}", 1);
	item_end(tl, &x->evc);
}

/* ---- observer callbacks --------------------------------------------------------------------- */

static void code_fields(struct buf *b, const struct mqtt_msg *m)
{
	const char *name;

	if (!m->has_code)
		return;
	b_kint(b, "code", m->code);
	if ((name = mqtt_code_name(m->hdr.type, m->version, m->code)))
		b_kstr(b, "code_name", name);
}

static void on_message(void *ctx, const struct session *s, const struct mqtt_record *rec)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	const struct mqtt_msg *m = &rec->msg;
	struct buf *b;
	struct mqtt_cursor c;
	struct mqtt_view f;
	uint8_t opts;
	int first = 1;

	if (!x)
		return;
	b = event_begin(tl, x, &rec->at, rec->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER);
	b_kname(b, "type", mqtt_type_name(m->hdr.type));
	if (rec->incomplete)
		b_kbool(b, "incomplete", 1);
	if (m->has_msgid)
		b_kint(b, "msgid", m->msgid);
	switch (m->hdr.type) {
	case MQTT_CONNECT:
		if (mqtt_version_name(m->proto_level))
			b_kstr(b, "version", mqtt_version_name(m->proto_level));
		b_kview(b, "clientid", m->clientid);
		b_kint(b, "keepalive", m->keepalive);
		b_kbool(b, "clean_start", (m->connect_flags & 2) != 0);
		if (m->has_username)
			b_kview(b, "username", m->username);
		if (m->has_will)
			b_kview(b, "will_topic", m->will_topic);
		break;
	case MQTT_CONNACK:
		b_kbool(b, "session_present", m->ack_flags & 1);
		code_fields(b, m);
		break;
	case MQTT_PUBLISH:
		b_kview(b, "topic", m->topic);
		{ /* MQTT 5.0: the alias is kept beside the real topic */
			struct mqtt_prop pr;
			if (mqtt_find_prop(m, MQTT_PROP_TOPIC_ALIAS, &pr))
				b_kint(b, "topic_alias", pr.num);
		}
		if (rec->topic_from_alias)
			b_kbool(b, "topic_from_alias", 1);
		b_kint(b, "qos", m->qos);
		if (m->retain)
			b_kbool(b, "retain", 1);
		if (m->dup)
			b_kbool(b, "dup", 1);
		b_kint(b, "payload_len", m->payload.len);
		break;
	case MQTT_SUBSCRIBE:
		b_key(b, "subscriptions");
		b_put(b, "[", 1);
		c = mqtt_cursor_of(m->list);
		while (mqtt_next_sub(&c, m->version, &f, &opts) == MQTT_OK) {
			b_str(b, first ? "{\"filter\":" : ",{\"filter\":");
			b_jstr(b, f.p, f.len);
			b_kint(b, "qos", opts & 3);
			b_put(b, "}", 1);
			first = 0;
		}
		b_put(b, "]", 1);
		break;
	case MQTT_UNSUBSCRIBE:
		b_key(b, "filters");
		b_put(b, "[", 1);
		c = mqtt_cursor_of(m->list);
		while (mqtt_next_filter(&c, &f) == MQTT_OK) {
			if (!first)
				b_put(b, ",", 1);
			b_jstr(b, f.p, f.len);
			first = 0;
		}
		b_put(b, "]", 1);
		break;
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		if (m->hdr.type == MQTT_UNSUBACK && m->version != MQTT_V5)
			break;
		b_key(b, "codes");
		b_put(b, "[", 1);
		for (uint32_t i = 0; i < m->list.len; i++) {
			if (i)
				b_put(b, ",", 1);
			b_u64(b, m->list.p[i]);
		}
		b_put(b, "]", 1);
		break;
	default:
		code_fields(b, m);
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
	struct buf *b;

	if (!x)
		return;
	tl->ntxn++;
	if (t->status == SESSION_TXN_INCOMPLETE && x->nincomplete++ >= INCOMPLETE_MAX) {
		x->omitted++;
		return;
	}
	b = item_begin(tl, &x->tx);
	if (x->ntx++)
		b_put(b, ",{", 2);
	else
		b_put(b, "{", 1);
	b_str(b, "\"kind\":");
	b_jstr(b, (const uint8_t *)session_txn_kind_name(t->kind),
	       strlen(session_txn_kind_name(t->kind)));
	if (t->kind == SESSION_TXN_PUBLISH1 || t->kind == SESSION_TXN_PUBLISH2)
		b_kint(b, "qos", t->kind == SESSION_TXN_PUBLISH1 ? 1 : 2);
	b_kstr(b, "from", side(t->from));
	if (t->has_msgid)
		b_kint(b, "msgid", t->msgid);
	b_kstr(b, "status", session_txn_status_name(t->status));
	if (t->superseded)
		b_kbool(b, "id_reused", 1);
	b_kint(b, "request_frame", t->request.frame);
	if (t->answer.frame) {
		b_kint(b, "answer_frame", t->answer.frame);
		b_seconds(tl, b, "latency", t->latency_ns);
	}
	if (t->kind == SESSION_TXN_PUBLISH2 && t->stage)
		b_kstr(b, "last", mqtt_type_name(t->stage));
	if (t->rec && (t->rec->msg.hdr.type == MQTT_SUBACK ||
		       (t->rec->msg.hdr.type == MQTT_UNSUBACK && t->rec->msg.version == MQTT_V5))) {
		const struct mqtt_msg *m = &t->rec->msg;
		if (t->rec->msg.hdr.type == MQTT_SUBACK)
			b_key(b, "granted");
		else
			b_key(b, "codes");
		b_put(b, "[", 1);
		for (uint32_t i = 0; i < m->list.len; i++) {
			const char *name = mqtt_code_name(m->hdr.type, m->version, m->list.p[i]);
			if (i)
				b_put(b, ",", 1);
			b_str(b, "{\"code\":");
			b_u64(b, m->list.p[i]);
			if (name)
				b_kstr(b, "name", name);
			b_put(b, "}", 1);
		}
		b_put(b, "]", 1);
	} else if (t->has_code && t->rec) {
		const char *name = mqtt_code_name(t->rec->msg.hdr.type, t->rec->msg.version, t->code);
		b_kint(b, "code", t->code);
		if (name)
			b_kstr(b, "code_name", name);
	}
	b_put(b, "}", 1);
	item_end(tl, &x->txc);
}

static void on_anomaly(void *ctx, const struct session *s, const struct session_anomaly *a)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct buf *b;
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

	b = event_begin(tl, x, &a->at, a->type && !flow ? a->from : -1);
	b_kstr(b, "type", sec ? "security" : "anomaly");
	b_kstr(b, "kind", session_anomaly_name(a->kind));
	if (rule)
		b_kstr(b, "rule", rule);
	b_kstr(b, "text", session_anomaly_text(a->kind));
	if (flow) {
		b_kstr(b, "flow_from", side(a->from));
		b_kstr(b, "last", mqtt_type_name(a->type));
	} else if (a->type) {
		b_kstr(b, "packet", mqtt_type_name(a->type));
	}
	if (a->has_msgid)
		b_kint(b, "msgid", a->msgid);
	if (a->kind == SESSION_AN_KEEPALIVE)
		b_kint(b, "silence_ms", a->value);
	event_end(tl, x);
}

/* What the framer noticed on the connection: why packets may be missing or cut. */
static void on_framer_event(void *ctx, const struct session *s, const struct framer_event *ev)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct buf *b;

	if (!x)
		return;
	b = event_begin(tl, x, &ev->at, ev->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER);
	switch (ev->kind) {
	case FRAMER_EV_GAP:
		b_kstr(b, "type", "gap");
		b_kint(b, "offset", ev->offset);
		b_kint(b, "bytes", ev->len);
		b_kstr(b, "cause", ev->cause == REASM_GAP_SNAPLEN ? "snaplen" :
			ev->cause == REASM_GAP_BUDGET ? "budget" : "lost");
		break;
	case FRAMER_EV_MEMORY:
		b_kstr(b, "type", "memory");
		b_kint(b, "offset", ev->offset);
		b_kint(b, "bytes", ev->len);
		if (ev->size) {
			b_kstr(b, "packet", mqtt_type_name(ev->type));
			b_kint(b, "size", ev->size);
		}
		b_kstr(b, "why", ev->text ? ev->text : "");
		break;
	case FRAMER_EV_SKIPPED:
		b_kstr(b, "type", "skipped");
		b_kint(b, "offset", ev->offset);
		b_kint(b, "bytes", ev->len);
		b_kstr(b, "why", ev->text ? ev->text : "");
		break;
	case FRAMER_EV_OVERSIZE:
		b_kstr(b, "type", "oversize");
		b_kint(b, "offset", ev->offset);
		b_kstr(b, "packet", mqtt_type_name(ev->type));
		b_kint(b, "size", ev->len);
		break;
	case FRAMER_EV_VERSION:
		b_kstr(b, "type", "version");
		if (mqtt_version_name(ev->version))
			b_kstr(b, "version", mqtt_version_name(ev->version));
		b_kstr(b, "why", ev->text ? ev->text : "");
		break;
	default:
		b_kstr(b, "type", "other");
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

static void addr_q(struct buf *b, const char *kq, size_t kn, const struct tcp_addr *a)
{
	char t[64];
	tcp_addr_str(a, t, sizeof t);
	b_kstr_q(b, kq, kn, t);
}
#define addr(b, k, a) addr_q(b, KQ(k), a)

static void on_end(void *ctx, const struct session *s)
{
	struct timeline *tl = ctx;
	struct tl_sess *x = sess_get(tl, s);
	struct buf *b = &tl->scratch;
	struct tl_index *e;

	if (!x)
		return;
	tl->nsessions++;
	b = event_begin(tl, x, &s->end, -1);
	b_kstr(b, "type", "end");
	b_kstr(b, "ended", session_end_name(s->ended));
	event_end(tl, x);
	flush_buf(tl, &x->ev, &x->evc);
	flush_buf(tl, &x->tx, &x->txc);

	b = &tl->scratch;
	b->len = 0;
	b_str(b, "\"stream\":");
	b_u64(b, s->index);
	addr(b, "client", &s->flow->client);
	b_kint(b, "client_port", s->flow->client_port);
	addr(b, "broker", &s->flow->broker);
	b_kint(b, "broker_port", s->flow->broker_port);
	if (mqtt_version_name(s->version))
		b_kstr(b, "version", mqtt_version_name(s->version));
	if (s->have_connect) {
		b_key(b, "clientid");
		b_jstr(b, (const uint8_t *)s->clientid, s->clientid_len);
		if (s->clientid_cut)
			b_kbool(b, "clientid_cut", 1);
		if (s->has_username) {
			b_key(b, "username");
			b_jstr(b, (const uint8_t *)s->username, s->username_len);
		}
		b_kint(b, "keepalive", s->keepalive);
		b_kbool(b, "clean_start", s->clean_start);
		if (s->has_will) {
			b_key(b, "will");
			b_str(b, "{\"topic\":");
			b_jstr(b, (const uint8_t *)s->will_topic, s->will_topic_len);
			b_kint(b, "qos", s->will_qos);
			b_kbool(b, "retain", s->will_retain);
			b_put(b, "}", 1);
		}
	}
	if (s->have_connack) {
		b_key(b, "connack");
		b_str(b, "{\"session_present\":");
		b_str(b, s->session_present ? "true" : "false");
		if (s->connack_has_code) {
			const char *name = mqtt_code_name(MQTT_CONNACK, s->version, s->connack_code);
			b_kint(b, "code", s->connack_code);
			if (name)
				b_kstr(b, "code_name", name);
		}
		b_kbool(b, "accepted", !s->connack_has_code || s->connack_code == 0);
		b_put(b, "}", 1);
	}
	b_key(b, "start");
	b_put(b, "{", 1);
	b_where(tl, b, &s->start);
	b_put(b, "}", 1);
	b_key(b, "end");
	b_put(b, "{", 1);
	b_where(tl, b, &s->end);
	b_put(b, "}", 1);
	{
		struct frame_ref a = s->start, z = s->end;
		int64_t d = (z.ts_sec - a.ts_sec) * 1000000000ll + ((int64_t)z.ts_nsec - a.ts_nsec);
		b_seconds(tl, b, "duration", d > 0 ? (uint64_t)d : 0);
	}
	b_kstr(b, "ended", session_end_name(s->ended));
	if (s->ended == SESSION_END_DISCONNECT) {
		b_key(b, "disconnect");
		b_str(b, "{\"from\":");
		b_jstr(b, (const uint8_t *)side(s->disconnect_from), strlen(side(s->disconnect_from)));
		if (s->disconnect_has_code) {
			const char *name = mqtt_code_name(MQTT_DISCONNECT, s->version, s->disconnect_code);
			b_kint(b, "code", s->disconnect_code);
			if (name)
				b_kstr(b, "code_name", name);
		}
		b_put(b, "}", 1);
	}
	b_key(b, "messages");
	b_str(b, "{\"client\":");
	b_u64(b, s->msgs[SESSION_CLIENT]);
	b_kint(b, "broker", s->msgs[SESSION_BROKER]);
	b_put(b, "}", 1);
	b_key(b, "bytes");
	b_str(b, "{\"client\":");
	b_u64(b, s->bytes[SESSION_CLIENT]);
	b_kint(b, "broker", s->bytes[SESSION_BROKER]);
	b_put(b, "}", 1);
	b_kint(b, "anomalies", s->anomalies);
	b_kint(b, "security_notes", s->notes);
	if (x->omitted)
		b_kint(b, "incomplete_omitted", x->omitted);
	if (s->untracked)
		b_kint(b, "untracked_requests", s->untracked);
	if (s->flow->in_tls)
		b_kbool(b, "tls", 1); /* read from decrypted TLS: see "tls_sessions" */

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
	if (b->fail)
		tl->io_fail = 1;
	else
		spill(tl, &e->sum, b->p, b->len);
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
	struct buf *b = &tl->tls;
	const struct reasm_flow *f = ev->flow;
	const char *n;

	if (ev->kind != TRANSPORT_EV_TLS_END)
		return;
	if (tl->ntls >= TLS_KEEP) {
		tl->tls_omitted++;
		return;
	}
	if (tl->ntls++)
		b_put(b, ",", 1);
	b_str(b, "\n{\"stream\":");
	b_u64(b, f->index);
	addr(b, "client", &f->client);
	b_kint(b, "client_port", f->client_port);
	addr(b, "broker", &f->broker);
	b_kint(b, "broker_port", f->broker_port);
	b_key(b, "end");
	b_put(b, "{", 1);
	b_where(tl, b, &ev->at);
	b_put(b, "}", 1);
	if (ev->sni && ev->sni[0])
		b_kstr(b, "sni", ev->sni);
	if (ev->version && (n = tls_version_name(ev->version)))
		b_kname(b, "tls_version", n);
	if (ev->suite) {
		b_kint(b, "suite_id", ev->suite);
		if ((n = tls_suite_name(ev->suite)))
			b_kname(b, "suite", n);
	}
	b_kname(b, "handshake", ev->handshake ? ev->handshake : "incomplete");
	if (ev->failure)
		b_kstr(b, "failure", ev->failure);
	b_kint(b, "client_records", ev->app_records[REASM_TO_BROKER]);
	b_kint(b, "client_bytes", ev->app_bytes[REASM_TO_BROKER]);
	b_kint(b, "broker_records", ev->app_records[REASM_TO_CLIENT]);
	b_kint(b, "broker_bytes", ev->app_bytes[REASM_TO_CLIENT]);
	b_kint(b, "decrypted_records", ev->decrypted_records[0] + ev->decrypted_records[1]);
	b_put(b, "}", 1);
	if (b->fail)
		tl->io_fail = 1;
}

static void finish(void *ctx)
{
	struct timeline *tl = ctx;
	struct buf *b = &tl->scratch;

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
			b_key(b, "will_published");
			b_str(b, "{\"stream\":");
			b_u64(b, w->stream);
			b_put(b, ",", 1);
			b_where(tl, b, &(struct frame_ref){ w->frame, w->sec, w->nsec, 0 });
			b_put(b, "}", 1);
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
