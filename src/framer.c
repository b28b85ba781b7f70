/* \summary: MQTT framing over reassembled TCP streams: control packets out of byte spans
 *
 * Per direction, a small state machine:
 *   SYNC     at a packet boundary, or gathering a packet whose header is known
 *   CUT      a packet that lost bytes (a gap, the snap length): its captured prefix is
 *            kept, the rest of its length is counted away, then it is reported as cut
 *   SKIP     a packet over max_buffer: counted away, reported by its header
 *   RESYNC   the position in the stream is unknown (a capture that starts inside the
 *            connection, a gap that did not end inside a packet of known length, framing
 *            that broke): the bytes are kept, and the smallest offset whose chain is
 *            confirmed is taken (see resync_examine)
 * A boundary is never guessed while the length of the packet in progress is known: a hole
 * inside a packet costs that packet only.
 *
 * Framing found by resynchronisation is provisional ("untrusted"): a packet that does not
 * read, or a header no sender could write, sends the direction back to RESYNC instead of
 * being reported. Framing known from the stream's first byte is trusted: a broken packet
 * is then reported as malformed, and framing goes on by its length.
 *
 * Undecided bytes (RESYNC, or an untrusted packet in progress) and messages held until the
 * version of a connection without CONNECT is known are "pending": framer_oldest_pending()
 * gives the oldest frame they came in, so that the engine can keep lines in frame order.
 */
#include "mqttdump/framer.h"
#include "mqttdump/i18n.h"
#include "mqttdump/budget.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum fstate { FS_SYNC = 0, FS_CUT, FS_SKIP, FS_RESYNC };

/* Bytes of the stream from one frame on: the frame a buffered byte came in is that of the
 * last span starting at or before it. */
struct span {
	uint64_t off;
	struct frame_ref at;
};

/* A place in the framer's heap of pending things, keyed by the oldest frame they hold. */
struct pnode {
	uint64_t key;
	uint32_t hidx;        /* 1 + index in the heap; 0: not pending */
};

struct fdir {
	uint8_t state;
	uint8_t trusted;      /* framing known from the stream's first byte */
	uint8_t started;      /* bytes (or a gap) have been delivered */
	uint8_t cut_lost;     /* CUT: bytes were lost (gap) */
	uint8_t cut_snap;     /* CUT: bytes were cut by the snap length */
	uint8_t head_ok;      /* RESYNC: the candidate at w0 is whole and reads cleanly */
	uint32_t total;       /* SYNC, CUT: size of the packet at w0 once its header is whole */
	uint32_t need;        /* RESYNC: buffered bytes needed before looking again */
	uint64_t captured;    /* CUT: bytes of the packet captured, holes left out */
	uint64_t skip;        /* CUT, SKIP: bytes of the packet still to come */
	uint64_t offset;      /* stream offset of the next byte delivered */
	/* Buffered bytes b[w0..len): the first is at stream offset base. SYNC, CUT: the packet
	 * in progress; RESYNC: the bytes not yet decided. */
	uint8_t *b;
	uint32_t w0, len, cap;
	uint64_t base;
	struct span *sp;      /* sp[s0..ns): the frames of the buffered bytes */
	uint32_t s0, ns, scap;
	/* RESYNC */
	uint64_t skipped;     /* bytes skipped, not yet reported */
	uint64_t skip_from;   /* stream offset of the first of them */
	const char *skip_why;
	uint64_t searched;    /* bytes looked at since the direction began */
	uint64_t work;        /* bytes parsed to check candidates: bounded by searched */
	uint64_t first_frame; /* SKIP, CUT: the frame of the packet's first byte */
	struct pnode pn;
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

/* A packet of a connection without CONNECT, held until the evidence says how to read it
 * (3.1.1 and 5.0 read most packets differently): a copy. */
struct vmsg {
	struct vmsg *next;
	struct frame_ref at;
	uint64_t first_frame;
	int dir;
	uint8_t cut;          /* a cut packet (emit_cut's record): lost, snap, length known */
	uint8_t lost, snap, length_known;
	uint32_t captured;
	uint32_t n;
	uint8_t data[];
};

/* Held while undecided: at most VQ_MAX packets, VQ_BYTES bytes; then the evidence so far
 * decides. */
#define VQ_MAX 256
#define VQ_BYTES (1u << 20)

struct vinfer {
	uint8_t decided;      /* the version is known (CONNECT) or inferred */
	uint16_t only3;       /* packets that read cleanly as 3.1.1 only */
	uint16_t only5;       /* packets only 5.0 can have sent (AUTH, longer acks, ...) */
	uint16_t props5;      /* PUBLISH whose 5.0 reading has a valid, non-empty property
			       * block (and whose 3.1.1 reading is a payload) */
	uint16_t empty5;      /* PUBLISH that reads as 5.0 with no properties: its 3.1.1
			       * payload would start with a zero byte */
	struct vmsg *head, *tail;
	uint32_t count;
	uint64_t bytes;
	struct pnode pn;
};

struct fconn {
	struct fdir d[2];
	struct reasm_flow *flow; /* the connection, as on_open was given it (stable) */
	size_t charged;          /* what the budget was told this connection's buffers cost */
	struct fconn *bprev, *bnext; /* on the framer's list of connections holding buffers,
				      * in the order they began to hold (oldest first) */
	struct aliases al[2];
	struct vinfer vi;
	uint8_t version;
	uint8_t inferred;     /* version not from a CONNECT */
	uint8_t opened;       /* the client's stream starts with a CONNECT (no SYN seen) */
};

/* A connection closed, remembered for one that goes on with it (reasm_flow.follows: its
 * segments the capture shows after the RST): its version. A slot per index modulo. */
#define GONE_SLOTS 1024

struct gone {
	uint64_t index1;  /* 1 + the connection's index; 0: free */
	uint8_t version;
};

struct framer {
	struct framer_config cfg;
	struct framer_sink sink;
	void *ctx;
	struct framer_stats st;
	struct pnode **heap;  /* pending directions and version queues, oldest frame first */
	uint32_t nheap, heapcap;
	struct fconn *bhead, *btail; /* connections holding buffers, oldest first */
	struct gone gone[GONE_SLOTS];  /* the versions of connections closed, by index */
};

/* A buffer emptied that had grown past this is freed: a connection that once carried a
 * large packet does not keep its room. */
#define KEEP_CAP 65536

struct framer *framer_new(const struct framer_config *cfg, const struct framer_sink *sink,
			  void *ctx)
{
	struct framer *fr = budget_calloc(1, sizeof *fr, "framing");

	if (!fr)
		return NULL;
	fr->cfg = *cfg;
	if (fr->cfg.max_buffer < 64)
		fr->cfg.max_buffer = 64;
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
	free(fr->heap);
	free(fr);
}

/* ---- the heap of pending things ------------------------------------------------------ */

static void heap_swap(struct framer *fr, uint32_t i, uint32_t j)
{
	struct pnode *t = fr->heap[i];

	fr->heap[i] = fr->heap[j];
	fr->heap[j] = t;
	fr->heap[i]->hidx = i + 1;
	fr->heap[j]->hidx = j + 1;
}

static void heap_fix(struct framer *fr, uint32_t i)
{
	while (i > 0 && fr->heap[(i - 1) / 2]->key > fr->heap[i]->key) {
		heap_swap(fr, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < fr->nheap && fr->heap[l]->key < fr->heap[m]->key)
			m = l;
		if (r < fr->nheap && fr->heap[r]->key < fr->heap[m]->key)
			m = r;
		if (m == i)
			return;
		heap_swap(fr, i, m);
		i = m;
	}
}

/* key: the oldest frame pn stands for; 0: nothing pending. */
static void set_pending(struct framer *fr, struct pnode *pn, uint64_t key)
{
	if (!key) {
		uint32_t i;
		if (!pn->hidx)
			return;
		i = pn->hidx - 1;
		pn->hidx = 0;
		if (i != --fr->nheap) {
			fr->heap[i] = fr->heap[fr->nheap];
			fr->heap[i]->hidx = i + 1;
			heap_fix(fr, i);
		}
		return;
	}
	if (pn->hidx) {
		if (pn->key != key) {
			pn->key = key;
			heap_fix(fr, pn->hidx - 1);
		}
		return;
	}
	if (fr->nheap == fr->heapcap) {
		uint32_t nc = fr->heapcap ? fr->heapcap * 2 : 64;
		struct pnode **nh = budget_realloc(fr->heap, nc * sizeof *nh, "framing");
		if (!nh)
			return; /* not tracked: lines may come out of frame order */
		fr->heap = nh;
		fr->heapcap = nc;
	}
	pn->key = key;
	fr->heap[fr->nheap] = pn;
	pn->hidx = ++fr->nheap;
	heap_fix(fr, fr->nheap - 1);
}

uint64_t framer_oldest_pending(const struct framer *fr)
{
	return fr->nheap ? fr->heap[0]->key : 0;
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

/* ---- the buffer of one direction ----------------------------------------------------- */

static uint32_t live(const struct fdir *d)
{
	return d->len - d->w0;
}

/* Room for n more bytes: compacts when the dead prefix is at least as large as what is
 * live (so each byte moves a bounded number of times), else grows. */
static int buf_room(struct fdir *d, uint32_t n)
{
	uint32_t ncap;
	uint8_t *nb;

	if (d->len + n <= d->cap)
		return 0;
	if (d->w0 && d->w0 >= live(d)) {
		memmove(d->b, d->b + d->w0, live(d));
		d->len -= d->w0;
		d->w0 = 0;
		if (d->len + n <= d->cap)
			return 0;
	}
	ncap = d->cap ? d->cap : 256;
	while (ncap < d->len + n)
		ncap = ncap > UINT32_MAX / 2 ? d->len + n : ncap * 2;
	/* a packet of known length: no room past its end (its cost is what it is) */
	if (d->state != FS_RESYNC && d->total && d->len + n <= d->w0 + (uint64_t)d->total &&
	    ncap > d->w0 + d->total)
		ncap = d->w0 + d->total;
	if (!(nb = budget_realloc(d->b, ncap, "framing")))
		return -1;
	d->b = nb;
	d->cap = ncap;
	return 0;
}

static int span_add(struct fdir *d, uint64_t off, const struct frame_ref *at)
{
	if (d->ns > d->s0 && d->sp[d->ns - 1].at.frame == at->frame)
		return 0;
	if (d->ns == d->scap) {
		if (d->s0 && d->s0 >= d->ns - d->s0) {
			memmove(d->sp, d->sp + d->s0, (d->ns - d->s0) * sizeof *d->sp);
			d->ns -= d->s0;
			d->s0 = 0;
		} else {
			uint32_t nc = d->scap ? d->scap * 2 : 8;
			struct span *ns = budget_realloc(d->sp, nc * sizeof *ns, "framing");
			if (!ns)
				return -1;
			d->sp = ns;
			d->scap = nc;
		}
	}
	d->sp[d->ns].off = off;
	d->sp[d->ns].at = *at;
	d->ns++;
	return 0;
}

static int buf_append(struct fdir *d, const uint8_t *p, uint32_t n, const struct frame_ref *at)
{
	if (!n)
		return 0;
	if (!live(d))
		d->base = d->offset; /* d->offset: the stream offset of p[0] */
	if (buf_room(d, n) < 0 || span_add(d, d->base + live(d), at) < 0)
		return -1;
	memcpy(d->b + d->len, p, n);
	d->len += n;
	return 0;
}

/* The span holding the buffered byte at stream offset off. */
static uint32_t span_of(const struct fdir *d, uint64_t off)
{
	uint32_t lo = d->s0, hi = d->ns; /* the answer is in [lo, hi) */

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (d->sp[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The frame the buffered byte at stream offset off came in. */
static const struct frame_ref *frame_at(const struct fdir *d, uint64_t off)
{
	return &d->sp[span_of(d, off)].at;
}

/* The frame that completed the buffered bytes [from, to): the latest any of them came in
 * (bytes held behind a hole reassembly gave up on come in their own frames, not in stream
 * order). */
static const struct frame_ref *frame_done(const struct fdir *d, uint64_t from, uint64_t to)
{
	uint32_t best = span_of(d, from);

	for (uint32_t i = best + 1; i < d->ns && d->sp[i].off < to; i++)
		if (d->sp[i].at.frame > d->sp[best].at.frame)
			best = i;
	return &d->sp[best].at;
}

/* The first k buffered bytes are done with. */
static void buf_drop(struct fdir *d, uint32_t k)
{
	d->w0 += k;
	d->base += k;
	if (d->w0 == d->len) {
		d->w0 = d->len = 0;
		d->s0 = d->ns = 0;
		if (d->cap > KEEP_CAP) {
			free(d->b);
			d->b = NULL;
			d->cap = 0;
		}
		if (d->scap > KEEP_CAP / sizeof *d->sp) {
			free(d->sp);
			d->sp = NULL;
			d->scap = 0;
		}
		return;
	}
	while (d->s0 + 1 < d->ns && d->sp[d->s0 + 1].off <= d->base)
		d->s0++;
}

static void buf_clear(struct fdir *d)
{
	buf_drop(d, live(d));
}

static void dir_pending(struct framer *fr, struct fdir *d)
{
	int pending = live(d) && (d->state == FS_RESYNC || (d->state == FS_SYNC && !d->trusted));

	set_pending(fr, &d->pn, pending ? frame_at(d, d->base)->frame : 0);
}
/* ---- the memory budget ------------------------------------------------------------- */

/* What connection c's buffers cost now: the room of both directions' buffers and spans,
 * the packets held for the version, the topics of its aliases. */
static size_t conn_held(const struct fconn *c)
{
	size_t n = (size_t)c->vi.bytes + c->vi.count * sizeof(struct vmsg);

	for (int i = 0; i < 2; i++)
		n += c->d[i].cap + c->d[i].scap * sizeof(struct span) + c->al[i].bytes +
		     c->al[i].n * sizeof(struct alias);
	return n;
}

static void blist_unlink(struct framer *fr, struct fconn *c)
{
	if (c->bprev)
		c->bprev->bnext = c->bnext;
	else if (fr->bhead == c)
		fr->bhead = c->bnext;
	else
		return; /* not on the list */
	if (c->bnext)
		c->bnext->bprev = c->bprev;
	else
		fr->btail = c->bprev;
	c->bprev = c->bnext = NULL;
}

/* Tell the budget what c holds now; c is on the list while it holds anything. */
static void recharge(struct framer *fr, struct fconn *c)
{
	size_t now = conn_held(c);
	int listed = fr->bhead == c || c->bprev;

	if (now != c->charged) /* most segments leave it as it was: no call then */
		budget_resize(fr->cfg.budget, BUDGET_FRAMER, c->charged, now);
	c->charged = now;
	if (now && !listed) {
		c->bprev = fr->btail;
		if (fr->btail)
			fr->btail->bnext = c;
		else
			fr->bhead = c;
		fr->btail = c;
	} else if (!now && listed) {
		blist_unlink(fr, c);
	}
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

/* A header any sender could write: a type that exists, the flags it needs, a remaining
 * length its type allows. Checked on untrusted framing, where a packet of the other side
 * (an anomaly, not a loss of framing) must still be reported. */
static int plausible_any(const struct mqtt_fixhdr *h, uint8_t version)
{
	return plausible(h, REASM_TO_BROKER, version) || plausible(h, REASM_TO_CLIENT, version);
}

/* A whole packet that reads cleanly, every field and property checked, as version
 * (MQTT_VUNKNOWN: as 3.1.1 or as 5.0). */
static int parses_clean(const uint8_t *p, uint32_t n, uint8_t version)
{
	if (version != MQTT_VUNKNOWN)
		return mqtt_parse_clean(p, n, version);
	return mqtt_parse_clean(p, n, MQTT_V311) || mqtt_parse_clean(p, n, MQTT_V5);
}

/* The first bytes of a packet that is not whole yet (have of its h->hdrlen + h->remlen):
 * 0 when they already show it cannot be one, else how many bytes to have before looking
 * again (the whole packet when nothing more can be told before). PUBLISH, SUBSCRIBE and
 * UNSUBSCRIBE, the packets that can be long, are checked field by field as they come. */
static uint32_t prefix_ok(const uint8_t *p, uint32_t have, const struct mqtt_fixhdr *h)
{
	uint32_t t = h->hdrlen + h->remlen, o = h->hdrlen;
	uint16_t n;

	switch (h->type) {
	case MQTT_PUBLISH: {
		struct mqtt_view topic;
		if (have < o + 2)
			return o + 2;
		n = (uint16_t)(p[o] << 8 | p[o + 1]);
		if (o + 2 + n + (((h->flags >> 1) & 3) ? 2u : 0u) > t)
			return 0;
		if (have < o + 2 + n)
			return o + 2 + n;
		topic.p = p + o + 2;
		topic.len = n;
		if (mqtt_utf8_check(topic) != MQTT_UTF8_OK ||
		    memchr(topic.p, '+', n) || memchr(topic.p, '#', n))
			return 0;
		o += 2 + n;
		if ((h->flags >> 1) & 3) {
			if (have < o + 2)
				return o + 2;
			if (!p[o] && !p[o + 1])
				return 0; /* packet id 0 */
		}
		return t;
	}
	case MQTT_SUBSCRIBE: case MQTT_UNSUBSCRIBE:
		if (have < o + 2)
			return o + 2;
		return p[o] || p[o + 1] ? t : 0;
	default:
		return t;
	}
}

/* ---- the version of a connection without CONNECT ------------------------------------ */

/* What one whole packet says of the version. */
static void weigh(struct vinfer *vi, const uint8_t *p, uint32_t n)
{
	struct mqtt_msg m5;
	int c3 = mqtt_parse_clean(p, n, MQTT_V311);
	int c5 = mqtt_parse(p, n, MQTT_V5, &m5) == MQTT_OK && m5.nwarn == 0;

	if (c3 && !c5)
		vi->only3++;
	else if (c5 && !c3)
		vi->only5++;
	else if (c3 && c5 && m5.hdr.type == MQTT_PUBLISH) {
		if (m5.props.len)
			vi->props5++;
		else
			vi->empty5++;
	}
}

/* MQTT_V5 or MQTT_V311 when the evidence decides; 0 while it does not. final: decide now
 * (held too long, or the connection ended), 3.1.1 unless 5.0 has more for it. */
static uint8_t verdict(const struct vinfer *vi, int final)
{
	if (vi->only3 && !vi->only5)
		return MQTT_V311;
	/* two packets at least: one that only 5.0 has sent and one more for it, or PUBLISH
	 * whose 5.0 reading holds properties */
	if (!vi->only3 && ((vi->only5 && vi->only5 + vi->props5 + vi->empty5 >= 2) ||
			   vi->props5 >= 2 || vi->empty5 >= 4 || (vi->props5 && vi->empty5)))
		return MQTT_V5;
	if (!final)
		return 0;
	return vi->only5 + vi->props5 + vi->empty5 > vi->only3 ? MQTT_V5 : MQTT_V311;
}

/* Packets read the same in either version: held only to keep their place in line. */
static int version_blind(const uint8_t *p, uint32_t n)
{
	switch (p[0] >> 4) {
	case MQTT_PINGREQ: case MQTT_PINGRESP:
		return 1;
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
	case MQTT_UNSUBACK:
		return n == 4;
	case MQTT_DISCONNECT:
		return n == 2;
	default:
		return 0;
	}
}
static uint16_t topic_alias(const struct mqtt_msg *m)
{
	struct mqtt_prop p;

	return mqtt_find_prop(m, MQTT_PROP_TOPIC_ALIAS, &p) ? (uint16_t)p.num : 0;
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
		struct alias *na = budget_realloc(al->a, id * sizeof *na, "framing");
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
		uint8_t *t = budget_realloc(e->topic, m->topic.len, "framing");
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

static void fill_version(const struct fconn *c, struct mqtt_record *rec)
{
	rec->version = c->version ? c->version : MQTT_V311;
	rec->version_inferred = c->version == MQTT_VUNKNOWN || c->inferred;
}

/* A whole packet, read as the connection's version. */
static void emit(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *p,
		 uint32_t n, const struct frame_ref *at, uint64_t first_frame)
{
	struct fconn *c = f->user;
	struct mqtt_record rec;
	int rc;

	/* mqtt_parse clears rec.msg (the bulk of the record) itself */
	memset(&rec, 0, offsetof(struct mqtt_record, msg));
	rc = mqtt_parse(p, n, c->version, &rec.msg);
	if (rec.msg.hdr.type == MQTT_CONNECT && rec.msg.proto_level) {
		c->version = rec.msg.version; /* the level decides how what follows is read */
		c->inferred = 0;
		c->vi.decided = 1;
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
	fill_version(c, &rec);
	rec.length_known = 1;
	rec.have = n;
	rec.captured = n;
	rec.raw = p;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

static void cut_record(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *raw,
		       uint32_t have, int length_known, uint32_t captured,
		       const struct frame_ref *at, uint64_t first_frame, int lost, int snap);

/* The evidence decided (or must): say so, then report what was held, in order. */
static void vq_flush(struct framer *fr, struct reasm_flow *f, uint8_t version,
		     const struct frame_ref *at)
{
	struct fconn *c = f->user;
	struct vinfer *vi = &c->vi;
	struct vmsg *m;

	vi->decided = 1;
	if (version == MQTT_V5 && c->version == MQTT_VUNKNOWN) {
		struct framer_event ev;
		c->version = MQTT_V5;
		c->inferred = 1;
		init_event(&ev, FRAMER_EV_VERSION, f, vi->head ? vi->head->dir : 0,
			   vi->head ? &vi->head->at : at, 0);
		ev.version = MQTT_V5;
		ev.text = N_("no CONNECT seen; its packets read as MQTT 5.0 only");
		send_event(fr, &ev);
	}
	while ((m = vi->head)) {
		vi->head = m->next;
		if (m->cut)
			cut_record(fr, f, m->dir, m->data, m->n, m->length_known, m->captured,
				   &m->at, m->first_frame, m->lost, m->snap);
		else
			emit(fr, f, m->dir, m->data, m->n, &m->at, m->first_frame);
		free(m);
	}
	vi->tail = NULL;
	vi->count = 0;
	vi->bytes = 0;
	set_pending(fr, &vi->pn, 0);
}

static void vq_hold(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *p,
		    uint32_t n, const struct frame_ref *at, uint64_t first_frame)
{
	struct vinfer *vi = &((struct fconn *)f->user)->vi;
	struct vmsg *m = budget_malloc(sizeof *m + n, "framing");

	if (!m) {
		vq_flush(fr, f, verdict(vi, 1), at);
		emit(fr, f, dir, p, n, at, first_frame);
		return;
	}
	memset(m, 0, sizeof *m);
	m->at = *at;
	m->first_frame = first_frame;
	m->dir = dir;
	m->n = n;
	memcpy(m->data, p, n);
	if (vi->tail)
		vi->tail->next = m;
	else
		vi->head = m;
	vi->tail = m;
	vi->count++;
	vi->bytes += n;
	if (!vi->pn.hidx)
		set_pending(fr, &vi->pn, first_frame < at->frame ? first_frame : at->frame);
}

/* A whole packet found by framing. On a connection whose version no CONNECT gave, the
 * packets that 3.1.1 and 5.0 read differently wait (bounded) for the evidence of
 * several: never one packet's word. */
static void packet(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *p,
		   uint32_t n, const struct frame_ref *at, uint64_t first_frame)
{
	struct fconn *c = f->user;
	struct vinfer *vi = &c->vi;
	uint8_t v;

	if (vi->decided || (p[0] >> 4) == MQTT_CONNECT) {
		if (vi->head)
			vq_flush(fr, f, verdict(vi, 1), at);
		emit(fr, f, dir, p, n, at, first_frame);
		return;
	}
	weigh(vi, p, n);
	if ((v = verdict(vi, 0))) {
		vq_flush(fr, f, v, at);
		emit(fr, f, dir, p, n, at, first_frame);
		return;
	}
	if (!vi->head && version_blind(p, n)) {
		emit(fr, f, dir, p, n, at, first_frame);
		return;
	}
	vq_hold(fr, f, dir, p, n, at, first_frame);
	if (vi->count >= VQ_MAX || vi->bytes >= VQ_BYTES)
		vq_flush(fr, f, verdict(vi, 1), at);
}

/* A cut packet's record: raw holds its captured prefix (have bytes; the fixed header
 * whole when length_known), captured counts the bytes after holes too. */
static void cut_record(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *raw,
		       uint32_t have, int length_known, uint32_t captured,
		       const struct frame_ref *at, uint64_t first_frame, int lost, int snap)
{
	struct fconn *c = f->user;
	struct mqtt_record rec;

	memset(&rec, 0, sizeof rec);
	rec.flow = f;
	rec.dir = dir;
	rec.at = *at;
	rec.first_frame = first_frame;
	fill_version(c, &rec);
	rec.incomplete = (uint8_t)(lost || !snap);
	rec.truncated = (uint8_t)snap;
	rec.have = have;
	rec.captured = captured > have ? captured : have;
	rec.raw = raw;
	if (length_known) {
		rec.length_known = 1;
		/* the fields the prefix holds; "malformed" only because it is cut */
		mqtt_parse(rec.raw, have, rec.version, &rec.msg);
		rec.msg.nwarn = 0;
		if (rec.msg.hdr.type == MQTT_CONNECT && rec.msg.proto_level) {
			/* even cut, a CONNECT tells how the connection's packets read */
			c->version = rec.msg.version;
			c->inferred = 0;
			c->vi.decided = 1;
			fill_version(c, &rec);
		}
	} else {
		rec.msg.hdr.type = rec.raw[0] >> 4;
		rec.msg.hdr.flags = rec.raw[0] & 0x0f;
		rec.msg.version = rec.version;
	}
	if (rec.truncated)
		fr->st.truncated++;
	else
		fr->st.incomplete++;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

/* The packet at the head of the buffer will not be whole: report what was captured of
 * it (the prefix before the first missing byte). While packets of the connection wait for
 * its version, it waits with them, in its place. */
static void emit_cut(struct framer *fr, struct reasm_flow *f, int dir,
		     const struct frame_ref *at, int lost, int snap)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];
	uint32_t have = d->total && live(d) > d->total ? d->total : live(d);
	const uint8_t *raw = d->b + d->w0;
	struct vmsg *m;

	if (c->vi.head && (raw[0] >> 4) != MQTT_CONNECT &&
	    (m = budget_malloc(sizeof *m + have, "framing"))) {
		memset(m, 0, sizeof *m);
		m->at = *at;
		m->first_frame = d->first_frame;
		m->dir = dir;
		m->cut = 1;
		m->lost = (uint8_t)lost;
		m->snap = (uint8_t)snap;
		m->length_known = d->total != 0;
		m->captured = (uint32_t)d->captured;
		m->n = have;
		memcpy(m->data, raw, have);
		c->vi.tail->next = m;
		c->vi.tail = m;
		c->vi.count++;
		c->vi.bytes += have;
		if (c->vi.count >= VQ_MAX || c->vi.bytes >= VQ_BYTES)
			vq_flush(fr, f, verdict(&c->vi, 1), at);
		return;
	}
	if (c->vi.head)
		vq_flush(fr, f, verdict(&c->vi, 1), at); /* keep the connection's order */
	cut_record(fr, f, dir, raw, have, d->total != 0, (uint32_t)d->captured, at,
		   d->first_frame, lost, snap);
}

/* A fixed header whose remaining length runs past 4 bytes, on trusted framing: the
 * packet is reported by its first byte, as Wireshark does ("Publish Message[Malformed
 * Packet]"). */
static void emit_bad_header(struct framer *fr, struct reasm_flow *f, int dir,
			    const uint8_t *hdr, uint32_t n, const struct frame_ref *at,
			    uint64_t first_frame)
{
	struct fconn *c = f->user;
	struct mqtt_record rec;

	if (c->vi.head)
		vq_flush(fr, f, verdict(&c->vi, 1), at);
	memset(&rec, 0, sizeof rec);
	rec.flow = f;
	rec.dir = dir;
	rec.at = *at;
	rec.first_frame = first_frame;
	fill_version(c, &rec);
	rec.have = n;
	rec.captured = n;
	rec.raw = hdr;
	rec.msg.hdr.type = hdr[0] >> 4;
	rec.msg.hdr.flags = hdr[0] & 0x0f;
	rec.msg.version = rec.version;
	rec.msg.nwarn = 1;
	rec.msg.warn[0].text = N_("remaining length longer than 4 bytes");
	rec.msg.warn[0].rule = "MQTT-1.5.5";
	rec.msg.warn[0].offset = 1;
	rec.msg.warn[0].malformed = 1;
	fr->st.messages++;
	fr->st.malformed++;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

/* The version framing is checked with: a CONNECT's; either while none was seen (an
 * inferred one is not a reason to refuse what the other reads). */
static uint8_t checked(const struct fconn *c)
{
	return c->inferred ? MQTT_VUNKNOWN : c->version;
}

/* ---- resynchronisation ------------------------------------------------------------- */

static void start_resync(struct fdir *d, const char *why)
{
	d->state = FS_RESYNC;
	d->head_ok = 0;
	d->need = 0;
	d->total = 0;
	if (!d->skipped)
		d->skip_why = why;
}

/* One event for the bytes skipped so far. */
static void report_skipped(struct framer *fr, struct reasm_flow *f, int dir,
			   const struct frame_ref *at)
{
	struct fdir *d = &((struct fconn *)f->user)->d[dir];
	struct framer_event ev;

	if (!d->skipped)
		return;
	init_event(&ev, FRAMER_EV_SKIPPED, f, dir, at, d->skip_from);
	ev.len = d->skipped;
	ev.text = d->skip_why;
	send_event(fr, &ev);
	fr->st.resyncs++;
	d->skipped = 0;
}

/* The first k buffered bytes cannot start a packet. */
static void skip_bytes(struct framer *fr, struct fdir *d, uint32_t k)
{
	if (!k)
		return;
	if (!d->skipped)
		d->skip_from = d->base;
	d->skipped += k;
	fr->st.bytes_skipped += k;
	buf_drop(d, k);
}

enum { R_WAIT, R_REJECT, R_CONFIRM, R_START };

/* The first bytes of the stream are the connection's opening, though the capture missed
 * the SYN: a clean CONNECT (its protocol name and level are a signature no other bytes
 * carry by chance) from the client, and then a clean CONNACK from the broker. Framing is
 * then known from the start, as with the SYN. */
static int opens(const uint8_t *q, uint32_t t, int dir, int c_opened)
{
	struct mqtt_msg m;

	if (dir == REASM_TO_CLIENT)
		return c_opened && (q[0] >> 4) == MQTT_CONNACK;
	if ((q[0] >> 4) != MQTT_CONNECT || mqtt_parse(q, t, MQTT_VUNKNOWN, &m) != MQTT_OK)
		return 0;
	if (m.proto_name.len == 4 && !memcmp(m.proto_name.p, "MQTT", 4))
		return m.proto_level == 4 || m.proto_level == 5;
	return m.proto_name.len == 6 && !memcmp(m.proto_name.p, "MQIsdp", 6) && m.proto_level == 3;
}

/* Parse work is bounded by the bytes searched: a stream built so that every offset
 * starts a long packet that must be read to its end costs no more than this many times
 * its length. */
#define WORK_PER_BYTE 64

/* May the packet of t bytes at q be read to check it? Counts the work. */
static int afford(struct fdir *d, uint32_t t)
{
	if (d->work > WORK_PER_BYTE * (d->searched + live(d)) + (1u << 20) && t > 4096)
		return 0;
	d->work += t;
	return 1;
}

/*
 * The candidate boundary at the head of the buffer: can a packet start there?
 * Confirmed when it is whole and reads cleanly (every field checked, as either version
 * while the connection's is unknown) and either the packet after it is whole and reads
 * cleanly too, or it ends exactly where the bytes end and final says no byte follows
 * them (a gap, the end of the stream). Rejected as soon as its bytes show it cannot be;
 * else the buffer must hold d->need bytes before it is looked at again. Each offset is
 * the head once, and looked at again only when more bytes arrived past what it needed:
 * the search is linear in the bytes (but for the bounded parse work).
 */
static int resync_examine(struct framer *fr, struct fdir *d, int dir, uint8_t version,
			  int c_opened, int final)
{
	const uint8_t *q = d->b + d->w0;
	uint32_t have = live(d), w = fr->cfg.max_buffer, t, t2, k;
	struct mqtt_fixhdr h, h2;
	int rc;

	if (!plausible_first(q[0], dir))
		return R_REJECT;
	rc = mqtt_fixed_header(q, have, &h);
	if (rc == MQTT_TRUNCATED) {
		d->need = have + 1;
		return final ? R_REJECT : R_WAIT;
	}
	if (rc != MQTT_OK || !plausible(&h, dir, version))
		return R_REJECT;
	t = h.hdrlen + h.remlen;
	if (t > w)
		return R_REJECT;
	if (t > have) {
		if (final || !(k = prefix_ok(q, have, &h)))
			return R_REJECT;
		d->need = k;
		return R_WAIT;
	}
	if (!d->head_ok) {
		if (!afford(d, t) || !parses_clean(q, t, version))
			return R_REJECT;
		d->head_ok = 1;
	}
	if (d->base == 0 && opens(q, t, dir, c_opened))
		return R_START;
	if (t == have) {
		d->need = have + 1;
		return final ? R_CONFIRM : R_WAIT;
	}
	/* the packet after it */
	if (!plausible_first(q[t], dir))
		return R_REJECT;
	rc = mqtt_fixed_header(q + t, have - t, &h2);
	if (rc == MQTT_TRUNCATED) {
		d->need = have + 1;
		return final ? R_REJECT : R_WAIT;
	}
	if (rc != MQTT_OK || !plausible(&h2, dir, version))
		return R_REJECT;
	t2 = h2.hdrlen + h2.remlen;
	if (t2 > w - t)
		return R_REJECT; /* the evidence would not fit in the window */
	if (t2 > have - t) {
		if (final || !(k = prefix_ok(q + t, have - t, &h2)))
			return R_REJECT;
		d->need = t + k;
		return R_WAIT;
	}
	return afford(d, t2) && parses_clean(q + t, t2, version) ? R_CONFIRM : R_REJECT;
}

static void sync_buffer(struct framer *fr, struct reasm_flow *f, int dir);

/* Look for a boundary in the buffered bytes. final: no byte will follow them (a gap or
 * the end of the stream comes next). */
static void resync_run(struct framer *fr, struct reasm_flow *f, int dir, int final)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];

	while (d->state == FS_RESYNC && live(d)) {
		int r;
		if (!final && live(d) < d->need)
			return;
		/* a version inferred is not a reason to refuse what the other one reads */
		r = resync_examine(fr, d, dir, checked(c), c->opened, final);
		if (r == R_WAIT)
			return;
		if (r == R_REJECT) {
			d->head_ok = 0;
			d->need = 0;
			d->searched++;
			skip_bytes(fr, d, 1);
			continue;
		}
		report_skipped(fr, f, dir, frame_at(d, d->base));
		d->state = FS_SYNC;
		d->trusted = r == R_START;
		if (r == R_START && dir == REASM_TO_BROKER)
			c->opened = 1;
		d->total = 0;
		sync_buffer(fr, f, dir);
	}
}

/* ---- framing ------------------------------------------------------------------------ */

/* Untrusted framing goes on through packets that read to their end (as either version
 * while the connection's is unknown), rules broken or not: an anomaly of the sender is
 * reported, not taken for a loss of framing. */
static int reads(const uint8_t *p, uint32_t n, uint8_t version)
{
	struct mqtt_msg m;

	if (mqtt_parse(p, n, version, &m) == MQTT_OK)
		return 1;
	return version == MQTT_VUNKNOWN && mqtt_parse(p, n, MQTT_V5, &m) == MQTT_OK;
}

/* Untrusted framing broke at the packet at the head of the buffer: it is not a packet;
 * look for one from the next byte. */
static void lose_sync(struct framer *fr, struct reasm_flow *f, int dir)
{
	struct fdir *d = &((struct fconn *)f->user)->d[dir];

	start_resync(d, "framing found again did not hold");
	d->searched++;
	skip_bytes(fr, d, 1);
}

/* The header of the packet at the head of the buffer is whole (rc, h): can framing go
 * on with it? Returns 1 when it can; else the direction has changed state. */
static int header_ok(struct framer *fr, struct reasm_flow *f, int dir, int rc,
		     const struct mqtt_fixhdr *h, const struct frame_ref *at)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];
	uint32_t t = h->hdrlen + h->remlen;

	if (!d->trusted && (rc != MQTT_OK || !plausible_any(h, checked(c)) ||
			    t > fr->cfg.max_buffer)) {
		lose_sync(fr, f, dir);
		return 0;
	}
	if (rc == MQTT_MALFORMED) {
		emit_bad_header(fr, f, dir, d->b + d->w0, 5, at, frame_at(d, d->base)->frame);
		buf_drop(d, 5);
		start_resync(d, "a remaining length longer than 4 bytes: not MQTT framing");
		return 0;
	}
	if (t > fr->cfg.max_buffer) {
		struct framer_event ev;
		init_event(&ev, FRAMER_EV_OVERSIZE, f, dir, at, d->base);
		ev.len = t;
		ev.type = h->type;
		send_event(fr, &ev);
		fr->st.oversize++;
		d->first_frame = frame_at(d, d->base)->frame;
		d->skip = t > live(d) ? t - live(d) : 0;
		fr->st.oversize_bytes += t;
		buf_clear(d);
		d->total = 0;
		d->state = d->skip ? FS_SKIP : FS_SYNC;
		return 0;
	}
	d->total = t;
	return 1;
}

/* Frame the packets at the head of the buffer while they are whole. */
static void sync_buffer(struct framer *fr, struct reasm_flow *f, int dir)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];

	while (d->state == FS_SYNC && live(d)) {
		const uint8_t *q = d->b + d->w0;
		struct mqtt_fixhdr h;
		int rc;

		if (!d->total) {
			rc = mqtt_fixed_header(q, live(d), &h);
			if (rc == MQTT_TRUNCATED)
				return;
			if (!header_ok(fr, f, dir, rc, &h, frame_at(d, d->base + live(d) - 1)))
				continue;
		}
		if (d->total > live(d))
			return;
		if (!d->trusted && !reads(q, d->total, checked(c))) {
			lose_sync(fr, f, dir);
			continue;
		}
		packet(fr, f, dir, q, d->total, frame_done(d, d->base, d->base + d->total),
		       frame_at(d, d->base)->frame);
		buf_drop(d, d->total);
		d->total = 0;
	}
}

/* Bytes in SYNC: whole packets at a boundary are read where they lie; the rest is
 * buffered. Returns how many of the n bytes it took: it stops when the state changes. */
static uint32_t sync_feed(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *p,
			  uint32_t n, const struct frame_ref *at)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];
	uint32_t n0 = n;

	while (n && d->state == FS_SYNC) {
		struct mqtt_fixhdr h;
		uint32_t k, t;
		int rc;

		if (live(d)) {
			/* a packet in progress: complete its header, then its bytes */
			k = d->total ? d->total - live(d) : 1;
			k = k < n ? k : n;
			if (buf_append(d, p, k, at) < 0)
				return n0;
			p += k, n -= k, d->offset += k;
			sync_buffer(fr, f, dir);
			continue;
		}
		rc = mqtt_fixed_header(p, n, &h);
		t = rc == MQTT_OK ? h.hdrlen + h.remlen : 0;
		if (rc == MQTT_OK && t <= n && t <= fr->cfg.max_buffer &&
		    (d->trusted || (plausible_any(&h, checked(c)) && reads(p, t, checked(c))))) {
			packet(fr, f, dir, p, t, at, at->frame);
			p += t, n -= t, d->offset += t;
			continue;
		}
		/* not whole here, or not to be trusted: from the buffer */
		k = rc == MQTT_OK && t <= n ? t : n;
		if (buf_append(d, p, k, at) < 0)
			return n0;
		p += k, n -= k, d->offset += k;
		sync_buffer(fr, f, dir);
	}
	return n0 - n;
}

/* ---- the byte stream --------------------------------------------------------------- */

/* The direction's first bytes (or gap): framing is known from them when the capture has
 * the connection's opening, else searched for. */
static void start_dir(struct fdir *d, const struct reasm_flow *f)
{
	if (d->started)
		return;
	d->started = 1;
	d->trusted = f->saw_syn;
	if (!f->saw_syn)
		start_resync(d, "the capture starts inside the connection");
}

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
	start_dir(d, f);
	while (n) {
		uint32_t k;

		switch (d->state) {
		case FS_SKIP:
		case FS_CUT:
			k = d->skip < n ? (uint32_t)d->skip : n;
			d->skip -= k;
			if (d->state == FS_CUT)
				d->captured += k;
			p += k, n -= k, d->offset += k;
			if (d->skip == 0) {
				if (d->state == FS_CUT)
					emit_cut(fr, f, dir, at, d->cut_lost, d->cut_snap);
				buf_clear(d);
				d->total = 0;
				d->state = FS_SYNC;
			}
			continue;
		case FS_RESYNC:
			if (buf_append(d, p, n, at) < 0) {
				n = 0;
				break;
			}
			d->offset += n;
			n = 0;
			resync_run(fr, f, dir, 0);
			break;
		default:
			k = sync_feed(fr, f, dir, p, n, at);
			if (!k && d->state == FS_SYNC)
				n = 0; /* out of memory: the bytes are lost */
			p += k, n -= k;
			break;
		}
	}
	if (d->state == FS_RESYNC)
		resync_run(fr, f, dir, 0); /* framing that broke left bytes to look at */
	dir_pending(fr, d);
	recharge(fr, c);
}

/* ---- giving up buffers for the memory budget -------------------------------------- */

/* The buffered bytes of direction dir are dropped to stay within the budget: a packet in
 * progress (its header read) is skipped to its end, undecided bytes are skipped; each
 * said in a FRAMER_EV_MEMORY event with the bytes it cost. */
static void evict_dir(struct framer *fr, struct fconn *c, int dir, const struct frame_ref *at)
{
	struct reasm_flow *f = c->flow;
	struct fdir *d = &c->d[dir];
	struct framer_event ev;
	uint64_t lost;

	if (!live(d) && d->cap) {
		free(d->b); /* room kept from an earlier packet: it goes, nothing is lost */
		d->b = NULL;
		d->cap = 0;
	}
	if (!live(d) || (d->state == FS_SYNC && !d->total && live(d) < 5))
		return; /* nothing, or a header's few bytes: not worth a loss */
	init_event(&ev, FRAMER_EV_MEMORY, f, dir, at, d->base);
	ev.type = d->b[d->w0] >> 4;
	if (d->state == FS_RESYNC) {
		report_skipped(fr, f, dir, at); /* what was skipped before, for its reason */
		ev.len = lost = live(d);
		ev.text = N_("undecided bytes dropped (--max-memory)");
		buf_clear(d);
		d->head_ok = 0;
		d->need = 0;
	} else {
		/* SYNC with a packet in progress, or CUT: the rest of it is counted away */
		uint64_t rest = d->state == FS_CUT ? d->skip : (uint64_t)d->total - live(d);
		ev.len = lost = live(d);
		ev.size = d->total;
		ev.text = N_("a partial packet dropped (--max-memory)");
		if (!d->total) {
			rest = 0; /* no length known: resynchronise after it */
			start_resync(d, "after a packet dropped for --max-memory");
		}
		buf_clear(d);
		d->total = 0;
		d->skip = rest;
		if (d->state != FS_RESYNC)
			d->state = rest ? FS_SKIP : FS_SYNC;
	}
	if (d->cap) { /* free the room too: the point of the eviction */
		free(d->b);
		d->b = NULL;
		d->cap = 0;
	}
	fr->st.budget_drops++;
	fr->st.budget_bytes += lost;
	budget_evicted(fr->cfg.budget, BUDGET_FRAMER, lost);
	send_event(fr, &ev);
	dir_pending(fr, d);
}

int framer_evict(struct framer *fr, const struct frame_ref *at)
{
	struct fconn *c = fr->bhead;
	size_t before;

	if (!c)
		return 0;
	before = c->charged;
	for (int i = 0; i < 2; i++)
		evict_dir(fr, c, i, at);
	if (c->vi.head)
		vq_flush(fr, c->flow, verdict(&c->vi, 1), at); /* decided early: nothing lost */
	for (int i = 0; i < 2; i++)
		if (!live(&c->d[i]) && c->d[i].sp) {
			free(c->d[i].sp);
			c->d[i].sp = NULL;
			c->d[i].scap = 0;
		}
	recharge(fr, c);
	if (c->charged) {
		/* what stays (aliases, a header's bytes) cannot go: to the end of the list, so
		 * that the next call looks at another connection */
		blist_unlink(fr, c);
		c->bprev = fr->btail;
		if (fr->btail)
			fr->btail->bnext = c;
		else
			fr->bhead = c;
		fr->btail = c;
	}
	return c->charged < before;
}

/* A connection that goes on with one closed moments before is read as that one was. */
static void go_on(struct framer *fr, struct reasm_flow *f, struct fconn *c,
		  const struct frame_ref *at)
{
	const struct gone *g;
	struct framer_event ev;

	if (!f->follows)
		return;
	g = &fr->gone[(f->follows - 1) % GONE_SLOTS];
	if (g->index1 != f->follows || g->version == MQTT_VUNKNOWN)
		return;
	c->version = g->version;
	c->inferred = 1;
	c->vi.decided = 1;
	if (g->version != MQTT_V5)
		return;
	init_event(&ev, FRAMER_EV_VERSION, f, REASM_TO_CLIENT, at, 0);
	ev.version = MQTT_V5;
	ev.text = N_("no CONNECT seen; it goes on with a connection closed before it, of MQTT 5.0");
	send_event(fr, &ev);
}

static void *on_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = budget_calloc(1, sizeof *c, "framing");

	if (c) {
		c->d[0].last = c->d[1].last = *at;
		c->flow = f;
		budget_charge(fr->cfg.budget, BUDGET_CONN, sizeof *c);
		f->user = c;
		go_on(fr, f, c, at);
	}
	return c;
}

/* The packet in progress (if any) will not be whole: the hole of len bytes is inside it,
 * or ends it, or runs past it. */
static void gap_in_sync(struct framer *fr, struct reasm_flow *f, int dir, uint32_t len,
			int lost, int snap, const struct frame_ref *at)
{
	struct fdir *d = &((struct fconn *)f->user)->d[dir];
	uint64_t rest;

	if (!live(d)) {
		start_resync(d, "after a gap");
		return;
	}
	d->first_frame = frame_at(d, d->base)->frame;
	d->captured = live(d);
	if (!d->total) {
		emit_cut(fr, f, dir, at, lost, snap); /* the fixed header itself was cut */
		buf_clear(d);
		start_resync(d, "after a gap");
		return;
	}
	rest = (uint64_t)d->total - live(d); /* bytes of it not yet seen */
	if (len < rest) {
		d->state = FS_CUT;
		d->cut_lost = (uint8_t)lost;
		d->cut_snap = (uint8_t)snap;
		d->skip = rest - len;
		return;
	}
	emit_cut(fr, f, dir, at, lost, snap);
	buf_clear(d);
	d->total = 0;
	if (len > rest)
		start_resync(d, "after a gap");
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
	int lost = cause != REASM_GAP_SNAPLEN, snap = cause == REASM_GAP_SNAPLEN;

	if (!c)
		return;
	d = &c->d[dir];
	d->last = *at;
	start_dir(d, f);
	/* what the bytes before the hole hold is decided first */
	if (d->state == FS_RESYNC)
		resync_run(fr, f, dir, 1);
	report_skipped(fr, f, dir, at);
	init_event(&ev, FRAMER_EV_GAP, f, dir, at, offset);
	ev.len = len;
	ev.cause = cause;
	send_event(fr, &ev);
	d->offset = offset + len;

	switch (d->state) {
	case FS_RESYNC:
		start_resync(d, "after a gap");
		break;
	case FS_SKIP:
		if (len < d->skip) {
			d->skip -= len;
			break;
		}
		d->state = FS_SYNC;
		if (len > d->skip)
			start_resync(d, "after a gap");
		d->skip = 0; /* else the hole ended with the skipped packet: at a boundary */
		break;
	case FS_CUT:
		d->cut_lost |= (uint8_t)lost;
		d->cut_snap |= (uint8_t)snap;
		if (len < d->skip) {
			d->skip -= len;
			break;
		}
		emit_cut(fr, f, dir, at, d->cut_lost, d->cut_snap);
		buf_clear(d);
		d->total = 0;
		d->state = FS_SYNC;
		if (len > d->skip)
			start_resync(d, "after a gap");
		d->skip = 0;
		break;
	default:
		gap_in_sync(fr, f, dir, len, lost, snap, at);
		break;
	}
	dir_pending(fr, d);
	recharge(fr, c);
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
		resync_run(fr, f, dir, 1);
	report_skipped(fr, f, dir, at);
	if (d->state == FS_CUT || (d->state == FS_SYNC && live(d))) {
		if (d->state == FS_SYNC) {
			d->first_frame = frame_at(d, d->base)->frame;
			d->captured = live(d);
		}
		emit_cut(fr, f, dir, at, 1, d->cut_snap); /* the rest never came */
	}
	buf_clear(d);
	d->total = 0;
	d->skip = 0;
	d->state = FS_SYNC;
	if (c->vi.head)
		vq_flush(fr, f, verdict(&c->vi, 1), at);
	dir_pending(fr, d);
	recharge(fr, c);
}

static void on_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct framer_event ev;

	if (!c)
		return;
	if (c->vi.head)
		vq_flush(fr, f, verdict(&c->vi, 1), at);
	init_event(&ev, FRAMER_EV_END, f, REASM_TO_BROKER, at, 0);
	ev.why = why;
	send_event(fr, &ev);
	if (c->version != MQTT_VUNKNOWN) {
		struct gone *g = &fr->gone[f->index % GONE_SLOTS];
		g->index1 = f->index + 1;
		g->version = c->version;
	}
	for (int i = 0; i < 2; i++) {
		set_pending(fr, &c->d[i].pn, 0);
		free(c->d[i].b);
		free(c->d[i].sp);
		free_aliases(&c->al[i]);
	}
	set_pending(fr, &c->vi.pn, 0);
	blist_unlink(fr, c);
	budget_release(fr->cfg.budget, BUDGET_FRAMER, c->charged);
	budget_release(fr->cfg.budget, BUDGET_CONN, sizeof *c);
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
