/* \summary: MQTT framing over reassembled TCP streams: control packets out of byte spans
 *
 * Per direction, a small state machine:
 *   FRAMING  at a packet boundary, or gathering a packet whose header is known
 *   CUT      a packet that lost bytes (a gap, the snap length): its captured prefix is
 *            kept, the rest of its length is counted away, then it is reported as cut
 *   SKIP     a packet over max_buffer: counted away, reported by its header
 *   RESYNC   the position in the stream is unknown (after a gap that left a packet, at a
 *            capture that starts mid-connection, after broken framing): look for the first
 *            offset from which a chain of well-formed packets follows
 * A boundary is never guessed while the length of the packet in progress is known: a hole
 * inside a packet costs that packet only.
 */
#include "mqttdump/framer.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum fstate { FS_FRAMING = 0, FS_CUT, FS_SKIP, FS_RESYNC };

struct fdir {
	uint8_t state;
	uint8_t started;      /* bytes have been delivered */
	uint8_t hdr[5];       /* a fixed header still being read */
	uint8_t hdrhave;
	uint8_t cut_lost;     /* CUT: bytes were lost (gap) */
	uint8_t cut_snap;     /* CUT: bytes were cut by the snap length */
	struct mqtt_fixhdr h; /* the packet being gathered, once its header is whole */
	uint32_t total;       /* its size, 0 while the header is incomplete */
	uint8_t *buf;         /* its bytes so far (CUT: its captured prefix) */
	uint32_t cap, have;
	uint64_t skip;        /* CUT, SKIP: bytes of the packet still to come */
	uint64_t offset;      /* stream offset of the next byte delivered */
	uint64_t skipped;     /* RESYNC: bytes skipped so far */
	uint64_t skip_from;   /* RESYNC: stream offset of the first of them */
	const char *skip_why;
	uint64_t first_frame;
	struct frame_ref last;
};

/* MQTT 5.0 topic aliases of one direction [3.3.2.3.4]: alias -> topic, copied. Bounded:
 * aliases up to ALIAS_MAX, ALIAS_BYTES of topics per direction. */
#define ALIAS_MAX 1024
#define ALIAS_BYTES 65536

struct alias {
	uint8_t *topic;
	uint16_t len;
};

struct aliases {
	struct alias *a;     /* indexed by alias - 1, grown on demand */
	uint16_t n;
	uint32_t bytes;
};

struct fconn {
	struct fdir d[2];
	struct aliases al[2];
	uint8_t version;
	uint8_t inferred;     /* version not from a CONNECT */
};

struct framer {
	struct framer_config cfg;
	struct framer_sink sink;
	void *ctx;
	struct framer_stats st;
	uint8_t *scratch;     /* find_boundary's table, reused */
	uint32_t scratch_cap;
};

struct framer *framer_new(const struct framer_config *cfg, const struct framer_sink *sink,
			  void *ctx)
{
	struct framer *fr = calloc(1, sizeof *fr);

	if (!fr)
		return NULL;
	fr->cfg = *cfg;
	fr->sink = *sink;
	fr->ctx = ctx;
	return fr;
}

const struct framer_stats *framer_stats(const struct framer *fr)
{
	return &fr->st;
}

void framer_free(struct framer *fr)
{
	if (!fr)
		return;
	free(fr->scratch);
	free(fr);
}

static void send_event(struct framer *fr, struct framer_event *ev)
{
	if (fr->sink.event)
		fr->sink.event(fr->ctx, ev);
}

static void init_event(struct framer_event *ev, int kind, const struct reasm_flow *f, int dir,
		       const struct frame_ref *at, uint64_t offset)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->flow = f;
	ev->dir = dir;
	ev->at = *at;
	ev->offset = offset;
}

/* ---- what a packet may look like --------------------------------------------------- */

/* Packet types each side may send [MQTT 5.0 2.1.2]. */
static const uint16_t sent_by_client = 1u << MQTT_CONNECT | 1u << MQTT_PUBLISH |
	1u << MQTT_PUBACK | 1u << MQTT_PUBREC | 1u << MQTT_PUBREL | 1u << MQTT_PUBCOMP |
	1u << MQTT_SUBSCRIBE | 1u << MQTT_UNSUBSCRIBE | 1u << MQTT_PINGREQ |
	1u << MQTT_DISCONNECT | 1u << MQTT_AUTH;
static const uint16_t sent_by_broker = 1u << MQTT_CONNACK | 1u << MQTT_PUBLISH |
	1u << MQTT_PUBACK | 1u << MQTT_PUBREC | 1u << MQTT_PUBREL | 1u << MQTT_PUBCOMP |
	1u << MQTT_SUBACK | 1u << MQTT_UNSUBACK | 1u << MQTT_PINGRESP | 1u << MQTT_DISCONNECT |
	1u << MQTT_AUTH;

/* The first byte of a packet this side could send: a type it sends, the flags it needs. */
static int plausible_first(uint8_t b, int dir)
{
	static const uint8_t flags[16] = { [6] = 2, [8] = 2, [10] = 2 };
	uint8_t type = b >> 4;

	if (!((dir == REASM_TO_BROKER ? sent_by_client : sent_by_broker) & (1u << type)))
		return 0;
	if (type == MQTT_PUBLISH)
		return ((b >> 1) & 3) != 3;
	return (b & 0x0f) == flags[type];
}

/* A header this side could send, with a remaining length its type allows. */
static int plausible(const struct mqtt_fixhdr *h, int dir, uint8_t version)
{
	uint8_t b = (uint8_t)(h->type << 4 | h->flags);
	/* 3.1/3.1.1 rules once a CONNECT said so; 5.0's looser ones while unknown */
	int v3 = version == MQTT_V31 || version == MQTT_V311;

	if (!plausible_first(b, dir))
		return 0;
	switch (h->type) {
	case MQTT_PINGREQ: case MQTT_PINGRESP:
		return h->remlen == 0;
	case MQTT_CONNACK: case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL:
	case MQTT_PUBCOMP: case MQTT_UNSUBACK:
		return v3 ? h->remlen == 2 : h->remlen >= 2 && h->remlen < 65536;
	case MQTT_DISCONNECT:
		return v3 ? h->remlen == 0 : h->remlen < 65536;
	case MQTT_SUBACK: case MQTT_SUBSCRIBE: case MQTT_UNSUBSCRIBE:
		return h->remlen >= 3;
	case MQTT_CONNECT:
		return h->remlen >= 10;
	case MQTT_PUBLISH:
		return h->remlen >= 2;
	default:
		return 1;
	}
}

/* A whole packet that reads cleanly: no broken field, no rule broken (as either version
 * while the connection's is unknown). */
static int parses_clean(const uint8_t *p, uint32_t n, uint8_t version)
{
	struct mqtt_msg m;

	if (mqtt_parse(p, n, version, &m) == MQTT_OK && m.nwarn == 0)
		return 1;
	return version == MQTT_VUNKNOWN && mqtt_parse(p, n, MQTT_V5, &m) == MQTT_OK &&
	       m.nwarn == 0;
}

/*
 * Where can framing start again in the span p[0..n)? Each offset j is scored by the chain
 * of packets that starts there: the chain must fill the span exactly, or end in a plausible
 * packet that runs past it. Returns the smallest offset whose chain fills the span, else the
 * smallest whose chain holds at least two whole packets before running past it, each whole
 * packet parsing cleanly; n when there is none. At offset 0, when lenient (a capture that
 * starts mid-connection, whose first bytes are usually a packet boundary), one plausible
 * header or first byte is enough. Linear in n but for the parse checks.
 */
static uint32_t find_boundary(struct framer *fr, const uint8_t *p, uint32_t n, int dir,
			      uint8_t version, int lenient)
{
	/* scratch[j]: 0 bad; 1 fills exactly; 2 + k: runs past the end after k whole packets */
	uint32_t best_open = n;

	if (n > fr->scratch_cap) {
		uint8_t *s = realloc(fr->scratch, n);
		if (!s)
			return n;
		fr->scratch = s;
		fr->scratch_cap = n;
	}
	for (uint32_t j = n; j-- > 0;) {
		struct mqtt_fixhdr h;
		uint32_t t, next;
		int rc = mqtt_fixed_header(p + j, n - j, &h);

		fr->scratch[j] = 0;
		if (rc == MQTT_TRUNCATED) {
			fr->scratch[j] = plausible_first(p[j], dir) ? 2 : 0;
			continue;
		}
		if (rc != MQTT_OK || !plausible(&h, dir, version))
			continue;
		t = h.hdrlen + h.remlen;
		if (t > n - j) {
			fr->scratch[j] = 2;
			continue;
		}
		next = j + t;
		if (next == n)
			fr->scratch[j] = 1;
		else if (fr->scratch[next] == 1)
			fr->scratch[j] = 1;
		else if (fr->scratch[next] >= 2)
			fr->scratch[j] = fr->scratch[next] < 250 ? fr->scratch[next] + 1 : 250;
	}
	if (lenient && fr->scratch[0])
		return 0;
	for (uint32_t j = 0; j < n; j++) {
		uint8_t s = fr->scratch[j];
		uint32_t k;
		int ok = 1;

		if (s == 0 || (s >= 2 && s < 4))
			continue;
		/* every whole packet of the chain must read cleanly */
		for (k = j; k < n && ok;) {
			struct mqtt_fixhdr h;
			if (mqtt_fixed_header(p + k, n - k, &h) != MQTT_OK ||
			    h.remlen > n - k - h.hdrlen)
				break;
			ok = parses_clean(p + k, h.hdrlen + h.remlen, version);
			k += h.hdrlen + h.remlen;
		}
		if (!ok)
			continue;
		if (s == 1)
			return j;
		if (best_open == n)
			best_open = j;
	}
	return best_open;
}

/* ---- version of a connection without CONNECT --------------------------------------- */

/* Packets that only MQTT 5.0 can produce: AUTH, and acknowledgements longer than 3.1.1
 * allows (reason codes, properties). */
static int proves_v5(const struct mqtt_fixhdr *h)
{
	switch (h->type) {
	case MQTT_AUTH:
		return 1;
	case MQTT_CONNACK: case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL:
	case MQTT_PUBCOMP: case MQTT_UNSUBACK:
		return h->remlen > 2;
	case MQTT_DISCONNECT:
		return h->remlen > 0;
	default:
		return 0;
	}
}

/* ---- topic aliases ----------------------------------------------------------------- */

static uint16_t topic_alias(const struct mqtt_msg *m)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->props);
	struct mqtt_prop p;

	if (!m->has_props)
		return 0;
	while (mqtt_next_prop(&c, &p) == MQTT_OK)
		if (p.id == 0x23)
			return (uint16_t)p.num;
	return 0;
}

/* A PUBLISH with a topic and an alias sets the alias; one with an empty topic uses it.
 * Returns 1 when m->topic was filled in from the alias. */
static int resolve_alias(struct aliases *al, struct mqtt_msg *m)
{
	uint16_t id = topic_alias(m);
	struct alias *e;

	if (m->hdr.type != MQTT_PUBLISH || id == 0 || id > ALIAS_MAX)
		return 0;
	if (m->topic.len == 0) {
		if (id > al->n || !al->a[id - 1].topic)
			return 0;
		m->topic.p = al->a[id - 1].topic;
		m->topic.len = al->a[id - 1].len;
		return 1;
	}
	if (id > al->n) {
		struct alias *na = realloc(al->a, id * sizeof *na);
		if (!na)
			return 0;
		memset(na + al->n, 0, (id - al->n) * sizeof *na);
		al->a = na;
		al->n = id;
	}
	e = &al->a[id - 1];
	if (al->bytes - e->len + m->topic.len > ALIAS_BYTES)
		return 0;
	if (!e->topic || e->len < m->topic.len) {
		uint8_t *t = realloc(e->topic, m->topic.len);
		if (!t)
			return 0;
		e->topic = t;
	}
	memcpy(e->topic, m->topic.p, m->topic.len);
	al->bytes = al->bytes - e->len + m->topic.len;
	e->len = (uint16_t)m->topic.len;
	return 0;
}

static void free_aliases(struct aliases *al)
{
	for (uint16_t i = 0; i < al->n; i++)
		free(al->a[i].topic);
	free(al->a);
}

/* ---- reporting a packet ------------------------------------------------------------ */

static void emit(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *p,
		 uint32_t n, const struct frame_ref *at, uint64_t first_frame)
{
	struct fconn *c = f->user;
	struct mqtt_record rec;
	struct mqtt_fixhdr h;
	int rc;

	/* only a connection without CONNECT has a version to infer: test that first */
	if (c->version != MQTT_V5 && (c->version == MQTT_VUNKNOWN || c->inferred) &&
	    mqtt_fixed_header(p, n, &h) == MQTT_OK && h.type != MQTT_CONNECT &&
	    proves_v5(&h)) {
		struct framer_event ev;
		c->version = MQTT_V5;
		c->inferred = 1;
		init_event(&ev, FRAMER_EV_VERSION, f, dir, at, c->d[dir].offset);
		ev.version = MQTT_V5;
		ev.text = "no CONNECT seen; a packet only MQTT 5.0 has shows the version";
		send_event(fr, &ev);
	}
	/* mqtt_parse clears rec.msg (the bulk of the record) itself */
	memset(&rec, 0, offsetof(struct mqtt_record, msg));
	rc = mqtt_parse(p, n, c->version, &rec.msg);
	if (rec.msg.hdr.type == MQTT_CONNECT && rec.msg.proto_level) {
		c->version = rec.msg.version; /* the level decides how what follows is read */
		c->inferred = 0;
	}
	if (rc != MQTT_OK)
		fr->st.malformed++;
	else if (rec.msg.version == MQTT_V5)
		rec.topic_from_alias = (uint8_t)resolve_alias(&c->al[dir], &rec.msg);
	fr->st.messages++;
	rec.flow = f;
	rec.dir = dir;
	rec.at = *at;
	rec.first_frame = first_frame;
	rec.version = c->version ? c->version : MQTT_V311;
	rec.version_inferred = c->version == MQTT_VUNKNOWN || c->inferred;
	rec.length_known = 1;
	rec.have = n;
	rec.raw = p;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

/* The packet in progress will not be whole: report what was captured of it. */
static void emit_cut(struct framer *fr, struct reasm_flow *f, int dir,
		     const struct frame_ref *at, int lost, int snap)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];
	struct mqtt_record rec;
	uint8_t first = d->total ? (d->have ? d->buf[0] : d->hdr[0]) : d->hdr[0];

	memset(&rec, 0, sizeof rec);
	rec.flow = f;
	rec.dir = dir;
	rec.at = *at;
	rec.first_frame = d->first_frame;
	rec.version = c->version ? c->version : MQTT_V311;
	rec.version_inferred = c->version == MQTT_VUNKNOWN || c->inferred;
	rec.incomplete = (uint8_t)(lost || !snap);
	rec.truncated = (uint8_t)snap;
	if (d->total) {
		rec.length_known = 1;
		rec.have = d->have;
		rec.raw = d->buf;
		/* the fields the prefix holds; "malformed" only because it is cut */
		mqtt_parse(d->buf, d->have, rec.version, &rec.msg);
		rec.msg.nwarn = 0;
		if (rec.msg.hdr.type == MQTT_CONNECT && rec.msg.proto_level) {
			/* even cut, a CONNECT tells how the connection's packets read */
			c->version = rec.msg.version;
			c->inferred = 0;
			rec.version = c->version;
			rec.version_inferred = 0;
		}
	} else {
		rec.have = d->hdrhave;
		rec.raw = d->hdr;
		rec.msg.hdr.type = first >> 4;
		rec.msg.hdr.flags = first & 0x0f;
		rec.msg.version = rec.version;
	}
	if (rec.truncated)
		fr->st.truncated++;
	else
		fr->st.incomplete++;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

/* A fixed header whose remaining length runs past 4 bytes: the packet is reported by its
 * first byte, as Wireshark does ("Publish Message[Malformed Packet]"). */
static void emit_bad_header(struct framer *fr, struct reasm_flow *f, int dir,
			    const uint8_t *hdr, uint32_t n, const struct frame_ref *at)
{
	struct fconn *c = f->user;
	struct mqtt_record rec;

	memset(&rec, 0, sizeof rec);
	rec.flow = f;
	rec.dir = dir;
	rec.at = *at;
	rec.first_frame = c->d[dir].first_frame ? c->d[dir].first_frame : at->frame;
	rec.version = c->version ? c->version : MQTT_V311;
	rec.version_inferred = c->version == MQTT_VUNKNOWN || c->inferred;
	rec.have = n;
	rec.raw = hdr;
	rec.msg.hdr.type = hdr[0] >> 4;
	rec.msg.hdr.flags = hdr[0] & 0x0f;
	rec.msg.version = rec.version;
	rec.msg.nwarn = 1;
	rec.msg.warn[0].text = "remaining length longer than 4 bytes";
	rec.msg.warn[0].rule = "MQTT-1.5.5";
	rec.msg.warn[0].offset = 1;
	rec.msg.warn[0].malformed = 1;
	fr->st.messages++;
	fr->st.malformed++;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

/* ---- buffers and states ------------------------------------------------------------ */

static int reserve(struct framer *fr, struct fdir *d, uint32_t want)
{
	uint32_t ncap;
	uint8_t *nb;

	if (want <= d->cap)
		return 0;
	ncap = d->cap ? d->cap : 256;
	while (ncap < want)
		ncap = ncap > UINT32_MAX / 2 ? want : ncap * 2;
	if (ncap > fr->cfg.max_buffer && want <= fr->cfg.max_buffer)
		ncap = fr->cfg.max_buffer;
	if (!(nb = realloc(d->buf, ncap)))
		return -1;
	d->buf = nb;
	d->cap = ncap;
	return 0;
}

static void reset_packet(struct fdir *d)
{
	d->hdrhave = 0;
	d->total = 0;
	d->have = 0;
	d->cut_lost = d->cut_snap = 0;
}

/* A packet in progress: a header byte or more has been seen. */
static int in_packet(const struct fdir *d)
{
	return d->hdrhave > 0 || d->total > 0;
}

static void start_resync(struct fdir *d, const char *why)
{
	d->state = FS_RESYNC;
	d->skip = 0;
	d->skipped = 0;
	d->skip_from = d->offset;
	d->skip_why = why;
}

/* Resynchronised, or the stream ended: one event for all the bytes skipped. */
static void end_resync(struct framer *fr, struct reasm_flow *f, int dir,
		       const struct frame_ref *at)
{
	struct fdir *d = &((struct fconn *)f->user)->d[dir];
	struct framer_event ev;

	if (d->skipped) {
		init_event(&ev, FRAMER_EV_SKIPPED, f, dir, at, d->skip_from);
		ev.len = d->skipped;
		ev.text = d->skip_why;
		send_event(fr, &ev);
		fr->st.resyncs++;
	}
	d->skipped = 0;
	d->state = FS_FRAMING;
}

/* ---- the byte stream --------------------------------------------------------------- */

static void on_data(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		    const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct fdir *d;

	if (!c)
		return;
	d = &c->d[dir];
	d->last = *at;
	if (!d->started) {
		d->started = 1;
		if (!f->saw_syn) {
			/* The capture starts inside the connection: trust offset 0 if it can be a
			 * packet boundary, else look for one. */
			uint32_t k = find_boundary(fr, p, n, dir, c->version, 1);
			if (k) {
				start_resync(d, "the capture starts inside the connection");
				d->skipped = k;
				fr->st.bytes_skipped += k;
				p += k, n -= k, d->offset += k;
				if (n)
					end_resync(fr, f, dir, at);
			}
		}
	}
	while (n > 0) {
		uint32_t k;

		switch (d->state) {
		case FS_SKIP:
		case FS_CUT:
			k = d->skip < n ? (uint32_t)d->skip : n;
			d->skip -= k;
			fr->st.bytes_skipped += d->state == FS_SKIP ? k : 0;
			p += k, n -= k, d->offset += k;
			if (d->skip == 0) {
				if (d->state == FS_CUT)
					emit_cut(fr, f, dir, at, d->cut_lost, d->cut_snap);
				reset_packet(d);
				d->state = FS_FRAMING;
			}
			continue;
		case FS_RESYNC:
			k = find_boundary(fr, p, n, dir, c->version, 0);
			d->skipped += k;
			fr->st.bytes_skipped += k;
			p += k, n -= k, d->offset += k;
			if (n)
				end_resync(fr, f, dir, at);
			continue;
		default:
			break;
		}

		if (!in_packet(d)) {
			/* At a boundary: whole packets in the span are parsed where they lie. */
			struct mqtt_fixhdr h;
			int rc = mqtt_fixed_header(p, n, &h);
			if (rc == MQTT_OK && h.remlen <= n - h.hdrlen) {
				k = h.hdrlen + h.remlen;
				emit(fr, f, dir, p, k, at, at->frame);
				p += k, n -= k, d->offset += k;
				continue;
			}
			if (rc == MQTT_MALFORMED) {
				d->first_frame = at->frame;
				emit_bad_header(fr, f, dir, p, 5, at);
				start_resync(d, "a remaining length longer than 4 bytes: not MQTT framing");
				d->skip_from = d->offset + 5;
				d->skipped = 0;
				p += 5, n -= 5, d->offset += 5;
				continue;
			}
			d->first_frame = at->frame;
		}
		if (d->total == 0) {
			/* Gather the fixed header byte by byte (at most 5). */
			struct mqtt_fixhdr h;
			int rc;
			d->hdr[d->hdrhave++] = *p++;
			n--;
			d->offset++;
			rc = mqtt_fixed_header(d->hdr, d->hdrhave, &h);
			if (rc == MQTT_TRUNCATED)
				continue;
			if (rc == MQTT_MALFORMED) {
				emit_bad_header(fr, f, dir, d->hdr, 5, at);
				reset_packet(d);
				start_resync(d, "a remaining length longer than 4 bytes: not MQTT framing");
				continue;
			}
			d->h = h;
			d->total = h.hdrlen + h.remlen;
			if (d->total > fr->cfg.max_buffer) {
				struct framer_event ev;
				init_event(&ev, FRAMER_EV_OVERSIZE, f, dir, at, d->offset - h.hdrlen);
				ev.len = d->total;
				ev.type = h.type;
				send_event(fr, &ev);
				fr->st.oversize++;
				d->skip = h.remlen;
				reset_packet(d);
				d->state = d->skip ? FS_SKIP : FS_FRAMING;
				continue;
			}
			if (reserve(fr, d, d->hdrhave) < 0)
				return;
			memcpy(d->buf, d->hdr, d->hdrhave);
			d->have = d->hdrhave;
		}
		k = d->total - d->have < n ? d->total - d->have : n;
		if (reserve(fr, d, d->have + k) < 0)
			return;
		memcpy(d->buf + d->have, p, k);
		d->have += k;
		p += k, n -= k, d->offset += k;
		if (d->have == d->total) {
			emit(fr, f, dir, d->buf, d->total, at, d->first_frame);
			reset_packet(d);
		}
	}
}

static void *on_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	struct fconn *c = calloc(1, sizeof *c);

	(void)ctx;
	(void)f;
	if (c)
		c->d[0].last = c->d[1].last = *at;
	return c;
}

/* Bytes of the stream that will never come. A hole inside a packet whose length is known
 * costs that packet only: framing goes on after it. */
static void on_gap(void *ctx, struct reasm_flow *f, int dir, uint64_t offset, uint32_t len,
		   int cause, const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct framer_event ev;
	struct fdir *d;
	int lost = cause == REASM_GAP_LOST, snap = cause == REASM_GAP_SNAPLEN;

	if (!c)
		return;
	d = &c->d[dir];
	d->last = *at;
	init_event(&ev, FRAMER_EV_GAP, f, dir, at, offset);
	ev.len = len;
	ev.cause = cause;
	send_event(fr, &ev);
	d->offset = offset + len;
	d->started = 1;

	switch (d->state) {
	case FS_RESYNC:
		d->skip_from = d->skipped ? d->skip_from : d->offset;
		return;
	case FS_SKIP:
		if (len < d->skip) {
			d->skip -= len;
			return;
		}
		d->state = FS_FRAMING;
		if (len == d->skip) {
			d->skip = 0;
			return; /* the hole ended with the skipped packet: at a boundary */
		}
		d->skip = 0;
		start_resync(d, "after a gap");
		return;
	case FS_CUT:
		d->cut_lost |= (uint8_t)lost;
		d->cut_snap |= (uint8_t)snap;
		if (len < d->skip) {
			d->skip -= len;
			return;
		}
		emit_cut(fr, f, dir, at, d->cut_lost, d->cut_snap);
		reset_packet(d);
		d->state = FS_FRAMING;
		if (len > d->skip)
			start_resync(d, "after a gap");
		d->skip = 0;
		return;
	default:
		break;
	}
	if (d->total) {
		uint64_t rest = (uint64_t)d->total - d->have; /* bytes of it not yet seen */
		if (len < rest) {
			d->state = FS_CUT;
			d->cut_lost = (uint8_t)lost;
			d->cut_snap = (uint8_t)snap;
			d->skip = rest - len;
			return;
		}
		emit_cut(fr, f, dir, at, lost, snap);
		reset_packet(d);
		if (len > rest)
			start_resync(d, "after a gap");
		return;
	}
	if (d->hdrhave) {
		emit_cut(fr, f, dir, at, lost, snap);
		reset_packet(d);
	}
	start_resync(d, "after a gap");
}

static void on_eof(void *ctx, struct reasm_flow *f, int dir, int why,
		   const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct fdir *d;

	(void)why;
	if (!c)
		return;
	d = &c->d[dir];
	if (d->state == FS_RESYNC)
		end_resync(fr, f, dir, at);
	else if (d->state == FS_CUT || in_packet(d))
		emit_cut(fr, f, dir, at, 1, d->cut_snap); /* the rest never came */
	reset_packet(d);
	d->state = FS_FRAMING;
}

static void on_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct framer_event ev;

	if (!c)
		return;
	init_event(&ev, FRAMER_EV_END, f, REASM_TO_BROKER, at, 0);
	ev.why = why;
	send_event(fr, &ev);
	free(c->d[0].buf);
	free(c->d[1].buf);
	free_aliases(&c->al[0]);
	free_aliases(&c->al[1]);
	free(c);
	f->user = NULL;
}

static const struct reasm_sink framer_callbacks = {
	.open = on_open,
	.data = on_data,
	.gap = on_gap,
	.eof = on_eof,
	.close = on_close,
};

const struct reasm_sink *framer_reasm_sink(void)
{
	return &framer_callbacks;
}
