/* \summary: TCP reassembly: per connection and direction, bytes in sequence order, once */
#include "mqttdump/reasm.h"
#include "mqttdump/ports.h"
#include "mqttdump/budget.h"

#include <stdlib.h>
#include <string.h>

/*
 * Held data. Bytes that arrive ahead of a hole are copied into blocks. A block holds one run
 * of contiguous stream bytes [start, start + len), however many segments brought them; two
 * blocks of a direction never touch (a hole lies between them). A block's bytes sit in a
 * list of chunks, each a sequence of records: a piece of one segment (its length, the frame
 * it arrived in, then its bytes, or no bytes for a tail the snap length cut).
 *
 * Why this shape, and why it is linear:
 *  - In-order arrival behind a hole, the usual case, appends to the block it continues (the
 *    block last grown is tried first, without a search): amortised O(1). A new chunk is as
 *    big as its block already is, up to CHUNK_MAX, so a run of one-byte segments costs a
 *    40-byte record each and a malloc every 16 KiB, not a malloc per segment. Reverse order
 *    prepends to the block, the same way.
 *  - Otherwise the block at or before a segment's start is found in a skip list per
 *    direction: expected O(log B) for B blocks whatever the arrival order, since the levels
 *    come from our own generator, not from the input. Inserting a block, or removing one
 *    that a segment joined to the block before it, is O(log B) too. (A sorted array would
 *    make each new block cost O(B); a list, each search.)
 *  - A segment overlapping k held blocks costs O(k) more, and each of them holds a byte of
 *    the segment's range: that work is bounded by the segment's length. Joining two blocks
 *    links their chunk lists: no byte is copied twice.
 *  - Every block is also on one list across all connections, in the order their oldest
 *    records arrived: a new block's oldest record is the newest segment, records added to a
 *    block are newer than its oldest, and of two blocks joined the survivor takes the older
 *    one's place. The list's head is the oldest segment held anywhere: reasm_oldest_held
 *    and the reorder time bound read it in O(1).
 *
 * Overlaps: the first copy of a stream byte to arrive is the one delivered; a later copy
 * (a retransmission with the same or other extents) only fills what no held copy covers.
 * A tail the snap length cut claims its bytes the same way: it is reported as a snaplen gap
 * where it lies, even if a later copy carries them.
 */
enum { REC_DATA = 0, REC_SNAP = 1 };

struct rec {
	uint32_t len;          /* stream bytes */
	uint32_t kind;         /* REC_DATA: len bytes follow (padded to 8); REC_SNAP: none */
	struct frame_ref at;   /* the frame it arrived in */
};

struct chunk {
	struct chunk *next;
	uint32_t off, end, cap;  /* records in mem[off, end) of cap bytes */
	uint64_t mem[];          /* 8-byte aligned */
};

#define SL_MAX 16       /* skip list levels; one block in four goes a level up */
#define CHUNK_MAX 16384 /* the largest chunk, unless one record is bigger */

struct hold;

struct block {
	uint64_t start, len;
	struct chunk *head, *tail;
	size_t mem;                  /* what its chunks cost */
	uint64_t born;               /* the segment count when its oldest record arrived */
	double born_ts;              /* that segment's capture time */
	uint64_t first_frame;        /* and its frame */
	struct block *older, *newer; /* every block of every connection, by born */
	struct hold *h;
	uint32_t level;
	struct block *next[];        /* skip list forward pointers, level of them */
};

/* What a direction holds; allocated while it holds anything. */
struct hold {
	struct flow *f;
	struct budget *budget;       /* what bytes is charged to (reasm_config's), or NULL */
	int d;
	uint32_t level;              /* skip list levels in use */
	struct block *head[SL_MAX];  /* head[0]: the first block */
	struct block *hint;          /* the block last grown */
	size_t bytes;                /* memory held, allocator overhead included */
};

struct dir {
	uint8_t started;   /* next_seq is known */
	uint8_t syn;       /* the SYN was seen: isn is known */
	uint8_t fin;       /* fin_seq is known */
	uint8_t done;      /* eof delivered */
	uint8_t acked;     /* the peer acknowledged the first hole, when rx was acked_rx */
	uint8_t fin_acked; /* the peer acknowledged the FIN while bytes before it were missing,
			    * at capture time fin_acked_ts */
	double fin_acked_ts;
	uint8_t peer_acks; /* peer_ack is known */
	uint32_t peer_ack; /* the peer's highest acknowledgement of this direction */
	uint8_t lowed;     /* low is known */
	uint8_t fin_early; /* a FIN came before any byte, without the SYN: at fin_early_seq;
			    * the stream's start is not known yet (the bytes before it may come
			    * later), so it waits for them (or for the peer's end) */
	uint32_t fin_early_seq;
	uint8_t topped;    /* top is known */
	uint8_t end_known; /* end_seq is known (a RST told where the direction ends) */
	uint32_t top;      /* the end of the highest data seen in this direction */
	uint32_t low;      /* the lowest sequence number of data seen in it (without the SYN,
			    * bytes before the stream's start can come later: not delivered) */
	uint32_t end_seq;  /* the RST's sequence number (its sender), or its ACK (the peer) */
	uint32_t isn;
	uint32_t next_seq;
	uint32_t fin_seq;
	uint64_t offset;   /* stream offset of next_seq */
	uint64_t fin_off;  /* stream offset of fin_seq */
	uint64_t rx, acked_rx; /* payload bytes seen in this direction (wire lengths) */
	struct hold *h;
};

struct flow {
	struct reasm_flow pub;       /* first: a struct reasm_flow * given out is the flow's */
	uint8_t ignore;              /* the next stage wants no more bytes (reasm_ignore) */
	struct dir d[2];
	struct flow *hnext;
	struct flow *lprev, *lnext;
	uint64_t hash;
	double last;
	struct frame_ref last_at;
	struct flow *wprev, *wnext;  /* on the list of FINs acknowledged across a hole, and
				      * of RSTs that came with bytes still missing */
	uint8_t waiting;
	uint8_t rst;                 /* reset while bytes were missing, at capture time rst_ts:
				      * closed once they come (or the reorder time passes) */
	double rst_ts;
};

/* A connection closed by its FINs or a RST, remembered for a while: a copy of one of its segments
 * that the capture shows after the close (a retransmission, frames from several queues)
 * is a duplicate, not the start of a new connection. Bounded: a table of TOMBS slots by
 * hash, a newer close taking the slot, each kept TOMB_SECONDS of capture time. */
#define TOMBS 4096
#define TOMB_SECONDS 120
#define BEFORE_SEEN (16u << 20) /* how far before a stream's start (no SYN) bytes count */

struct tomb {
	uint64_t hash;
	double when;
	struct tcp_addr client, broker;
	uint16_t client_port, broker_port;
	uint8_t used;
	uint64_t index;                   /* the connection's */
	uint32_t lo[2], hi[2];            /* per direction: first data byte seen, FIN
					   * (inclusive) */
	uint32_t sent[2];                 /* hi, or what the peer acknowledged past it */
	uint8_t syn[2];                   /* lo is the direction's first byte (its SYN seen) */
};

struct reasm {
	struct reasm_config cfg;
	struct port_set ports;        /* the broker ports (a copy): asked twice a segment */
	struct reasm_sink sink;
	void *ctx;
	struct flow **buckets;
	size_t nbuckets, count;
	struct flow *lru_head, *lru_tail; /* head: least recently seen */
	struct flow *last;                /* the flow of the previous segment (often the next's) */
	struct block *oldest, *newest;    /* every held block, by when its oldest record came */
	uint64_t rng;                     /* for skip list levels */
	double now;                       /* the capture time of the segment being fed */
	struct flow *whead, *wtail;       /* FINs acknowledged across a hole, oldest first */
	struct tomb tombs[TOMBS];         /* connections closed by FIN or RST, by hash */
	struct reasm_stats st;
};

/* A hole the peer has acknowledged was not lost on the wire: the capture missed its bytes,
 * or shows them late (frames taken from several queues, a few segments at most). It is
 * given up once this many more bytes have come in that direction without filling it. */
#define ACKED_HOLE_BYTES (4u << 20)

static int32_t sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static int is_broker_port(const struct reasm *r, uint16_t port)
{
	return port_set_has(&r->ports, port);
}

struct reasm *reasm_new(const struct reasm_config *cfg, const struct reasm_sink *sink,
			void *ctx)
{
	struct reasm *r = budget_calloc(1, sizeof *r, "reassembly");

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->sink = *sink;
	r->ctx = ctx;
	r->rng = 0x9e3779b97f4a7c15ull; /* any odd constant: the same levels every run */
	r->nbuckets = 1024;
	r->buckets = budget_calloc(r->nbuckets, sizeof *r->buckets, "reassembly");
	if (!r->buckets || port_set_add_array(&r->ports, cfg->ports, cfg->nports) < 0) {
		port_set_free(&r->ports);
		free(r->buckets);
		free(r);
		return NULL;
	}
	r->cfg.ports = r->ports.list; /* the caller's array need not outlive this call */
	r->cfg.nports = r->ports.n;
	return r;
}

/* ---- flow table --------------------------------------------------------------------- */

/* Addresses as two 64-bit words (IPv4 in the first 4 bytes, the rest zero: decode.c
 * clears them), so hashing and comparing take a few instructions. */
static void words(const struct tcp_addr *a, uint64_t w[2])
{
	memcpy(w, a->a, 16);
}

static uint64_t flow_hash(const struct tcp_addr *c, uint16_t cp, const struct tcp_addr *b,
			  uint16_t bp)
{
	uint64_t x[2], y[2], h;

	words(c, x);
	words(b, y);
	h = (x[0] ^ (y[0] * 0x9e3779b97f4a7c15ull)) + (x[1] ^ (y[1] >> 7)) +
	    ((uint64_t)cp << 32 | bp);
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

static int same_addr(const struct tcp_addr *x, const struct tcp_addr *y)
{
	uint64_t a[2], b[2];

	words(x, a);
	words(y, b);
	return x->family == y->family && a[0] == b[0] && a[1] == b[1];
}

static struct flow *lookup(struct reasm *r, uint64_t h, const struct tcp_addr *c, uint16_t cp,
			   const struct tcp_addr *b, uint16_t bp)
{
	for (struct flow *f = r->buckets[h & (r->nbuckets - 1)]; f; f = f->hnext)
		if (f->hash == h && f->pub.client_port == cp && f->pub.broker_port == bp &&
		    same_addr(&f->pub.client, c) && same_addr(&f->pub.broker, b))
			return f;
	return NULL;
}

static void grow(struct reasm *r)
{
	size_t n = r->nbuckets * 2;
	struct flow **nb = budget_calloc(n, sizeof *nb, "reassembly");

	if (!nb)
		return; /* keep the longer chains */
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct flow *f = r->buckets[i], *next;
		for (; f; f = next) {
			next = f->hnext;
			f->hnext = nb[f->hash & (n - 1)];
			nb[f->hash & (n - 1)] = f;
		}
	}
	free(r->buckets);
	r->buckets = nb;
	r->nbuckets = n;
}

static void lru_unlink(struct reasm *r, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		r->lru_head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		r->lru_tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_append(struct reasm *r, struct flow *f)
{
	f->lprev = r->lru_tail;
	f->lnext = NULL;
	if (r->lru_tail)
		r->lru_tail->lnext = f;
	else
		r->lru_head = f;
	r->lru_tail = f;
}

static double ts_of(const struct tcp_seg *seg)
{
	return (double)seg->pkt->ts_sec + seg->pkt->ts_nsec / 1e9;
}

/* ---- held blocks -------------------------------------------------------------------- */

/* What a malloc of n bytes really takes: glibc's allocator adds an 8-byte header and
 * rounds up to 16, 32 bytes at least (other allocators are close). */
static size_t alloc_cost(size_t n)
{
	size_t c = (n + 8 + 15) & ~(size_t)15;

	return c < 32 ? 32 : c;
}

/* What the direction holds grows or shrinks by n bytes: the budget is told too. */
static void hold_add(struct hold *h, size_t n)
{
	h->bytes += n;
	budget_charge(h->budget, BUDGET_REASM, n);
}

static void hold_sub(struct hold *h, size_t n)
{
	h->bytes -= n;
	budget_release(h->budget, BUDGET_REASM, n);
}

static size_t block_size(uint32_t level)
{
	return sizeof(struct block) + level * sizeof(struct block *);
}

static uint32_t rec_size(uint32_t kind, uint32_t len)
{
	return (uint32_t)sizeof(struct rec) + (kind == REC_DATA ? (len + 7u) & ~7u : 0);
}

/* How many of len stream bytes fit as one record in room bytes of a chunk (0: none). */
static uint32_t rec_fit(size_t room, uint32_t kind, uint32_t len)
{
	if (room < sizeof(struct rec) + (kind == REC_DATA ? 8 : 0))
		return 0;
	if (kind == REC_SNAP)
		return len;
	room = (room - sizeof(struct rec)) & ~(size_t)7;
	return len < room ? len : (uint32_t)room;
}

static struct rec *rec_at(struct chunk *c, uint32_t pos)
{
	return (struct rec *)((unsigned char *)c->mem + pos);
}

static void rec_put(struct rec *x, uint32_t kind, const uint8_t *p, uint32_t len,
		    const struct frame_ref *at)
{
	x->len = len;
	x->kind = kind;
	x->at = *at;
	if (kind == REC_DATA)
		memcpy(x + 1, p, len);
}

/* A chunk for b, which grows by a record of need bytes: as big as b's chunks together
 * (so a block growing a byte at a time allocates rarely), at most CHUNK_MAX, at least
 * need; the allocator's rounding is made usable. */
static struct chunk *chunk_new(struct block *b, uint32_t need)
{
	size_t cap = b->mem < CHUNK_MAX ? b->mem : CHUNK_MAX, cost;
	struct chunk *c;

	if (cap < need)
		cap = need;
	cost = alloc_cost(sizeof *c + cap);
	cap = cost - 8 - sizeof *c;
	if (!(c = budget_malloc(sizeof *c + cap, "reassembly")))
		return NULL;
	c->next = NULL;
	c->off = c->end = 0;
	c->cap = (uint32_t)cap;
	b->mem += cost;
	hold_add(b->h, cost);
	return c;
}

/* Append len stream bytes (p: their bytes; NULL for REC_SNAP) at b's end. Returns how many
 * were added: fewer only when memory ran out. */
static uint32_t block_append(struct block *b, uint32_t kind, const uint8_t *p, uint32_t len,
			     const struct frame_ref *at)
{
	uint32_t done = 0;

	while (done < len) {
		struct chunk *c = b->tail;
		uint32_t k = c ? rec_fit(c->cap - c->end, kind, len - done) : 0;

		if (!k) {
			if (!(c = chunk_new(b, rec_size(kind, len - done))))
				break;
			if (b->tail)
				b->tail->next = c;
			else
				b->head = c;
			b->tail = c;
			continue;
		}
		rec_put(rec_at(c, c->end), kind, p ? p + done : NULL, k, at);
		c->end += rec_size(kind, k);
		done += k;
	}
	b->len += done;
	return done;
}

/* Put len stream bytes just before b's start, filling chunks from their end. Returns how
 * many were added (the last ones of the range): fewer only when memory ran out. */
static uint32_t block_prepend(struct block *b, uint32_t kind, const uint8_t *p, uint32_t len,
			      const struct frame_ref *at)
{
	uint32_t left = len;

	while (left) {
		struct chunk *c = b->head;
		uint32_t k = c ? rec_fit(c->off, kind, left) : 0;

		if (!k) {
			if (!(c = chunk_new(b, rec_size(kind, left))))
				break;
			c->off = c->end = c->cap;
			c->next = b->head;
			b->head = c;
			if (!b->tail)
				b->tail = c;
			continue;
		}
		c->off -= rec_size(kind, k);
		rec_put(rec_at(c, c->off), kind, p ? p + left - k : NULL, k, at);
		left -= k;
	}
	b->start -= len - left;
	b->len += len - left;
	return len - left;
}

static uint32_t random_level(struct reasm *r)
{
	uint64_t x = r->rng;
	uint32_t level = 1;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	r->rng = x;
	for (; level < SL_MAX && (x & 3) == 0; x >>= 2)
		level++;
	return level;
}

/* The last block of h starting below key (at or below it when inclusive), NULL if none;
 * upd, when given, gets the last block before key at every level (NULL: the head). */
static struct block *sl_find(const struct hold *h, uint64_t key, int inclusive,
			     struct block **upd)
{
	struct block *x = NULL, *n;

	for (int i = (int)h->level - 1; i >= 0; i--) {
		while ((n = x ? x->next[i] : h->head[i]) &&
		       (n->start < key || (inclusive && n->start == key)))
			x = n;
		if (upd)
			upd[i] = x;
	}
	return x;
}

static void sl_insert(struct hold *h, struct block *b)
{
	struct block *upd[SL_MAX];

	sl_find(h, b->start, 0, upd);
	for (uint32_t i = h->level; i < b->level; i++)
		upd[i] = NULL;
	if (b->level > h->level)
		h->level = b->level;
	for (uint32_t i = 0; i < b->level; i++) {
		struct block **link = upd[i] ? &upd[i]->next[i] : &h->head[i];
		b->next[i] = *link;
		*link = b;
	}
}

static void sl_remove(struct hold *h, struct block *b)
{
	struct block *upd[SL_MAX];

	if (h->head[0] == b) { /* the first block heads every level it has: O(level) */
		for (uint32_t i = 0; i < b->level; i++)
			h->head[i] = b->next[i];
	} else {
		sl_find(h, b->start, 0, upd);
		for (uint32_t i = 0; i < b->level; i++) {
			struct block **link = upd[i] ? &upd[i]->next[i] : &h->head[i];
			if (*link == b)
				*link = b->next[i];
		}
	}
	while (h->level && !h->head[h->level - 1])
		h->level--;
	if (h->hint == b)
		h->hint = NULL;
}

static void age_unlink(struct reasm *r, struct block *b)
{
	if (b->older)
		b->older->newer = b->newer;
	else
		r->oldest = b->newer;
	if (b->newer)
		b->newer->older = b->older;
	else
		r->newest = b->older;
	b->older = b->newer = NULL;
}

static void age_append(struct reasm *r, struct block *b)
{
	b->older = r->newest;
	b->newer = NULL;
	if (r->newest)
		r->newest->newer = b;
	else
		r->oldest = b;
	r->newest = b;
}

/* b takes old's place in the list (old leaves it). */
static void age_replace(struct reasm *r, struct block *old, struct block *b)
{
	b->older = old->older;
	b->newer = old->newer;
	if (b->older)
		b->older->newer = b;
	else
		r->oldest = b;
	if (b->newer)
		b->newer->older = b;
	else
		r->newest = b;
	old->older = old->newer = NULL;
}

/* An empty block at start, for bytes of the segment being fed (in frame at). */
static struct block *block_new(struct reasm *r, struct hold *h, uint64_t start,
			       const struct frame_ref *at)
{
	uint32_t level = random_level(r);
	struct block *b = budget_calloc(1, block_size(level), "reassembly");

	if (!b)
		return NULL;
	b->start = start;
	b->born = r->st.segments;
	b->born_ts = r->now;
	b->first_frame = at->frame;
	b->h = h;
	b->level = level;
	hold_add(h, alloc_cost(block_size(level)));
	sl_insert(h, b);
	age_append(r, b);
	return b;
}

/* Take b out of both lists and free it; its records are gone. */
static void block_free(struct reasm *r, struct block *b)
{
	struct chunk *c, *next;

	sl_remove(b->h, b);
	age_unlink(r, b);
	hold_sub(b->h, alloc_cost(block_size(b->level)) + b->mem);
	for (c = b->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(b);
}

/* b's end meets n's start (the hole between them is filled): n's chunks join b's. */
static void block_join(struct reasm *r, struct block *b, struct block *n)
{
	struct hold *h = b->h;

	sl_remove(h, n);
	if (n->born < b->born) {
		b->born = n->born;
		b->born_ts = n->born_ts;
		b->first_frame = n->first_frame;
		age_unlink(r, b);
		age_replace(r, n, b);
	} else {
		age_unlink(r, n);
	}
	b->tail->next = n->head;
	b->tail = n->tail;
	b->len += n->len;
	b->mem += n->mem;
	hold_sub(h, alloc_cost(block_size(n->level)));
	free(n);
}

static struct hold *hold_of(struct reasm *r, struct flow *f, int d)
{
	struct dir *dr = &f->d[d];

	if (!dr->h && (dr->h = budget_calloc(1, sizeof *dr->h, "reassembly"))) {
		dr->h->f = f;
		dr->h->d = d;
		dr->h->budget = r->cfg.budget;
		hold_add(dr->h, alloc_cost(sizeof *dr->h));
	}
	return dr->h;
}

static void hold_release(struct dir *dr)
{
	if (dr->h && !dr->h->head[0]) {
		hold_sub(dr->h, dr->h->bytes);
		free(dr->h);
		dr->h = NULL;
	}
}

/* Drop what a direction holds, without delivering it. */
static void discard(struct reasm *r, struct dir *dr)
{
	while (dr->h && dr->h->head[0])
		block_free(r, dr->h->head[0]);
	hold_release(dr);
}

/* Hold the stream bytes [o, o + len) that arrived in frame at (p: the bytes; NULL for a
 * tail the snap length cut), except those a held copy already covers. The range ends up
 * inside one block: the pieces it adds join the blocks it touches. */
static void hold_range(struct reasm *r, struct flow *f, int d, uint32_t kind, uint64_t o,
		       const uint8_t *p, uint32_t len, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	struct block *b, *cur = NULL, *nx;
	struct hold *h;
	uint32_t k;

#define ADVANCE(n) do { o += (n); len -= (n); if (p) p += (n); } while (0)
#define COVERED(n) do { if (kind == REC_DATA) r->st.dup_bytes += (n); ADVANCE(n); } while (0)
	if (dr->fin && o + len > dr->fin_off) /* nothing past the FIN belongs to the stream */
		len = o < dr->fin_off ? (uint32_t)(dr->fin_off - o) : 0;
	if (!len || !(h = hold_of(r, f, d)))
		return;
	/* the block at or before o: the one last grown, when o is in its reach, else a search */
	b = h->hint;
	if (!b || b->start > o || (b->next[0] && b->next[0]->start <= o))
		b = sl_find(h, o, 1, NULL);
	if (b && b->start + b->len >= o) {
		uint64_t end = b->start + b->len;
		k = end - o < len ? (uint32_t)(end - o) : len;
		COVERED(k);
		cur = b; /* ends at o */
	}
	nx = b ? b->next[0] : h->head[0]; /* the first block after o */
	while (len) {
		k = nx && nx->start - o < len ? (uint32_t)(nx->start - o) : len;
		if (cur) {
			if (block_append(cur, kind, p, k, at) < k)
				break; /* out of memory: the rest is not held */
		} else if (nx && o + k == nx->start) {
			if (block_prepend(nx, kind, p, k, at) < k)
				break;
			cur = nx;
			nx = nx->next[0];
		} else {
			if (!(cur = block_new(r, h, o, at)))
				break;
			if (block_append(cur, kind, p, k, at) < k) {
				if (!cur->len) {
					block_free(r, cur);
					cur = NULL;
				}
				break;
			}
		}
		ADVANCE(k);
		if (!len)
			break;
		if (cur->start + cur->len > o) { /* we prepended to it: skip what it held */
			uint64_t end = cur->start + cur->len;
			k = end - o < len ? (uint32_t)(end - o) : len;
			COVERED(k);
			continue;
		}
		/* o is nx's start: the rest runs into nx, whose bytes came first */
		k = nx->len < len ? (uint32_t)nx->len : len;
		COVERED(k);
		block_join(r, cur, nx);
		nx = cur->next[0];
	}
	if (cur && nx && cur->start + cur->len == nx->start)
		block_join(r, cur, nx);
#undef COVERED
#undef ADVANCE
	if (cur)
		h->hint = cur;
	if (h->bytes > r->st.held_max)
		r->st.held_max = h->bytes;
	hold_release(dr);
}

/* ---- delivery ----------------------------------------------------------------------- */

/* How much of n bytes at the stream's next offset come before the FIN. */
static uint32_t before_fin(const struct dir *dr, uint32_t n)
{
	if (dr->fin && dr->offset + n > dr->fin_off)
		return dr->fin_off > dr->offset ? (uint32_t)(dr->fin_off - dr->offset) : 0;
	return n;
}

static void emit_data(struct reasm *r, struct flow *f, int d, const uint8_t *p, uint32_t n,
		      const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];

	if (!(n = before_fin(dr, n)))
		return;
	dr->offset += n;
	dr->next_seq += n;
	if (r->sink.data)
		r->sink.data(r->ctx, &f->pub, d, p, n, at);
}

static void emit_gap(struct reasm *r, struct flow *f, int d, uint32_t len, int cause,
		     const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	uint64_t off = dr->offset;

	if (!(len = before_fin(dr, len)))
		return;
	if (cause != REASM_GAP_SNAPLEN) {
		r->st.gaps++;
		r->st.gap_bytes += len;
		if (cause == REASM_GAP_BUDGET) {
			r->st.budget_gaps++;
			r->st.budget_bytes += len;
			budget_evicted(r->cfg.budget, BUDGET_REASM, len);
		}
	} else {
		r->st.snap_gaps++;
		r->st.snap_bytes += len;
	}
	dr->offset += len;
	dr->next_seq += len;
	if (r->sink.gap)
		r->sink.gap(r->ctx, &f->pub, d, off, len, cause, at);
}

static void emit(struct reasm *r, struct flow *f, int d, uint32_t kind, const uint8_t *p,
		 uint32_t n, const struct frame_ref *at)
{
	if (kind == REC_DATA)
		emit_data(r, f, d, p, n, at);
	else
		emit_gap(r, f, d, n, REASM_GAP_SNAPLEN, at);
}

/* Deliver the first block, which the stream has reached. at: the frame that filled the
 * hole before it (its bytes complete what was held), or NULL when that hole was given up:
 * then each record's bytes belong to the frame they arrived in. */
static void deliver_block(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	struct block *b = dr->h->head[0];
	struct chunk *c, *next;

	/* out of the lists first: the callbacks may ask what is held */
	sl_remove(dr->h, b);
	age_unlink(r, b);
	hold_sub(dr->h, alloc_cost(block_size(b->level)) + b->mem);
	dr->acked = 0; /* a new first hole, not acknowledged yet */
	for (c = b->head; c; c = next) {
		for (uint32_t pos = c->off; pos < c->end;) {
			const struct rec *x = rec_at(c, pos);
			emit(r, f, d, x->kind, (const uint8_t *)(x + 1), x->len, at ? at : &x->at);
			pos += rec_size(x->kind, x->len);
		}
		next = c->next;
		free(c);
	}
	free(b);
	hold_release(dr);
}

/* Stream bytes that arrived in order in frame at, from the next offset on (p: the bytes;
 * NULL for a tail the snap length cut): delivered, except where a held block covers them
 * (its copy came first). A block reached is delivered whole, in the name of this frame. */
static void deliver_in_order(struct reasm *r, struct flow *f, int d, uint32_t kind,
			     const uint8_t *p, uint32_t len, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];

	for (;;) {
		struct block *b = dr->h ? dr->h->head[0] : NULL;
		uint32_t k = b && b->start - dr->offset < len ? (uint32_t)(b->start - dr->offset)
							      : len;
		emit(r, f, d, kind, p, k, at);
		len -= k;
		if (p)
			p += k;
		if (!b || (!len && b->start != dr->offset))
			break;
		/* the stream has reached b (or the FIN, and the rest goes nowhere) */
		k = b->len < len ? (uint32_t)b->len : len;
		if (kind == REC_DATA)
			r->st.dup_bytes += k;
		len -= k;
		if (p)
			p += k;
		deliver_block(r, f, d, at);
	}
}

/* Give up on the hole before the first held block: report it (cause: lost, or the memory
 * budget), deliver the block (or drop it, when the next stage wants no more of this
 * connection). */
static void give_up_hole_for(struct reasm *r, struct flow *f, int d, int cause,
			     const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];

	if (!dr->h)
		return;
	if (f->ignore) {
		discard(r, dr);
		return;
	}
	emit_gap(r, f, d, (uint32_t)(dr->h->head[0]->start - dr->offset), cause, at);
	deliver_block(r, f, d, NULL);
}

static void give_up_hole(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	give_up_hole_for(r, f, d, REASM_GAP_LOST, at);
}

/* Bound (a): while the direction holds more than max_held, give up its first hole. A
 * segment held alone stays, whatever it costs (so at most one segment over the bound). */
static void make_room(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];

	while (dr->h && dr->h->bytes > r->cfg.max_held) {
		const struct block *b = dr->h->head[0];
		if (!b->next[0] && b->born == r->st.segments)
			break; /* all it holds came in this segment */
		give_up_hole(r, f, d, at);
	}
}

/* A segment's bytes: seq, the first; n captured of wire. */
static void take(struct reasm *r, struct flow *f, int d, uint32_t seq, const uint8_t *p,
		 uint32_t n, uint32_t wire, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	int32_t ahead = sdiff(seq, dr->next_seq);

	if (ahead > 0) {
		uint64_t o = dr->offset + (uint32_t)ahead;
		hold_range(r, f, d, REC_DATA, o, p, n, at);
		if (wire > n)
			hold_range(r, f, d, REC_SNAP, o + n, NULL, wire - n, at);
		make_room(r, f, d, at);
		return;
	}
	/* in order, or partly or wholly delivered already */
	uint32_t behind = dr->next_seq - seq;
	if (behind < n) {
		r->st.dup_bytes += behind;
		deliver_in_order(r, f, d, REC_DATA, p + behind, n - behind, at);
	} else {
		r->st.dup_bytes += n;
	}
	if (wire > n) { /* the tail the snap length cut, from where the stream is now */
		int32_t in = sdiff(dr->next_seq, seq + n);
		if (in >= 0 && (uint32_t)in < wire - n)
			deliver_in_order(r, f, d, REC_SNAP, NULL, wire - n - (uint32_t)in, at);
	}
}

/* Does the peer's acknowledgement cover the first hole of dr? Then count the bytes from
 * now on (bound (d)). */
static void check_acked_hole(struct dir *dr)
{
	uint32_t hole_end;

	if (!dr->h || dr->acked || !dr->peer_acks)
		return;
	hole_end = dr->next_seq + (uint32_t)(dr->h->head[0]->start - dr->offset);
	if (sdiff(dr->peer_ack, hole_end) >= 0) {
		dr->acked = 1;
		dr->acked_rx = dr->rx;
	}
}

/* The peer acknowledges dr's bytes up to ack. */
static void note_ack(struct dir *dr, uint32_t ack)
{
	if (!dr->peer_acks || sdiff(ack, dr->peer_ack) > 0)
		dr->peer_ack = ack;
	dr->peer_acks = 1;
	check_acked_hole(dr);
}

static void flush(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	while (f->d[d].h)
		give_up_hole(r, f, d, at);
}

/* Bound (c): the peer acknowledged dr's FIN, so it received every byte before it: the
 * sender has nothing more to send, and the holes are the capture's, the one just before
 * the FIN too (even with nothing held after it). A capture can still show the missing
 * segment later (frames taken from several queues): the holes are given up once the
 * reorder time has passed since that acknowledgement (checked for every segment fed, the
 * connection's or not: fin_waits), by bound (b), or when the flow ends. */
static void wait_unlink(struct reasm *r, struct flow *f)
{
	if (!f->waiting)
		return;
	if (f->wprev)
		f->wprev->wnext = f->wnext;
	else
		r->whead = f->wnext;
	if (f->wnext)
		f->wnext->wprev = f->wprev;
	else
		r->wtail = f->wprev;
	f->wprev = f->wnext = NULL;
	f->waiting = 0;
}

/* On the list of connections waiting for the clock (fin_waits), once. */
static void wait_link(struct reasm *r, struct flow *f)
{
	if (f->waiting)
		return;
	f->waiting = 1;
	f->wprev = r->wtail;
	f->wnext = NULL;
	if (r->wtail)
		r->wtail->wnext = f;
	else
		r->whead = f;
	r->wtail = f;
}

static void give_up_before_fin(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];

	flush(r, f, d, at);
	if (dr->offset < dr->fin_off)
		emit_gap(r, f, d, (uint32_t)(dr->fin_off - dr->offset), REASM_GAP_LOST, at);
}

static void check_acked_fin(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];

	if (!dr->fin || dr->done || f->ignore || !dr->peer_acks ||
	    sdiff(dr->peer_ack, dr->fin_seq) <= 0)
		return;
	if (!dr->fin_acked) {
		dr->fin_acked = 1;
		dr->fin_acked_ts = r->now;
		if (r->cfg.reorder_time > 0)
			wait_link(r, f); /* the connection may go quiet: the clock ends the wait */
	}
	if (r->cfg.reorder_time > 0 && r->now - dr->fin_acked_ts <= r->cfg.reorder_time)
		return;
	give_up_before_fin(r, f, d, at);
}

static void end_dir(struct reasm *r, struct flow *f, int d, int why, const struct frame_ref *at)
{
	if (f->d[d].done)
		return;
	flush(r, f, d, at);
	f->d[d].done = 1;
	if (r->sink.eof)
		r->sink.eof(r->ctx, &f->pub, d, why, at);
}

static void bury(struct reasm *r, const struct flow *f)
{
	struct tomb *t = &r->tombs[f->hash % TOMBS];

	t->used = 1;
	t->index = f->pub.index;
	t->hash = f->hash;
	t->when = r->now;
	t->client = f->pub.client;
	t->broker = f->pub.broker;
	t->client_port = f->pub.client_port;
	t->broker_port = f->pub.broker_port;
	for (int d = 0; d < 2; d++) {
		const struct dir *dr = &f->d[d];
		t->lo[d] = dr->next_seq - (uint32_t)dr->offset;
		t->hi[d] = dr->fin ? dr->fin_seq + 1 : dr->next_seq;
		if (dr->topped && sdiff(dr->top, t->hi[d]) > 0)
			t->hi[d] = dr->top;
		if (dr->end_known && sdiff(dr->end_seq, t->hi[d]) > 0)
			t->hi[d] = dr->end_seq;
		t->sent[d] = t->hi[d];
		t->syn[d] = dr->syn;
		if (dr->lowed && sdiff(dr->low, t->lo[d]) < 0 && t->lo[d] - dr->low <= BEFORE_SEEN)
			t->lo[d] = dr->low; /* bytes before the start were seen (not delivered) */
		if (dr->started && dr->peer_acks && sdiff(dr->peer_ack, t->hi[d]) > 0 &&
		    sdiff(dr->peer_ack, t->lo[d]) > 0)
			t->sent[d] = dr->peer_ack; /* what the peer received was sent */
	}
}

/* A segment of no open connection that repeats bytes of one closed by FIN or RST. */
static int buried(struct reasm *r, uint64_t h, const struct tcp_seg *seg, int d)
{
	const struct tomb *t = &r->tombs[h % TOMBS];
	uint32_t seq = seg->seq, end = seg->seq + seg->wirelen + ((seg->flags & TCP_FIN) != 0);
	const struct tcp_addr *c = d == REASM_TO_BROKER ? &seg->src : &seg->dst;
	uint16_t cp = d == REASM_TO_BROKER ? seg->sport : seg->dport;

	if (!t->used || t->hash != h || r->now - t->when > TOMB_SECONDS || t->client_port != cp ||
	    !same_addr(&t->client, c))
		return 0;
	/* a part before the first byte seen (no SYN) would never have been delivered */
	return sdiff(end, t->hi[d]) <= 0 &&
	       (sdiff(seq, t->lo[d]) >= 0 ||
		(sdiff(end, t->lo[d]) > 0 && t->lo[d] - seq <= BEFORE_SEEN));
}

/* A data segment of no open connection that goes on with the stream of one closed (by
 * FIN or RST) within the reorder time: not a repeat of its bytes (buried), it starts
 * inside what the direction is known to have sent, or at its end, or before the first byte
 * seen when the direction's SYN was not (the capture began inside the connection), and it
 * acknowledges bytes the peer is known to have sent. Returns 1 + that connection's index,
 * or 0. */
static uint64_t continued(struct reasm *r, uint64_t h, const struct tcp_seg *seg, int d)
{
	const struct tomb *t = &r->tombs[h % TOMBS];
	const struct tcp_addr *c = d == REASM_TO_BROKER ? &seg->src : &seg->dst;
	uint16_t cp = d == REASM_TO_BROKER ? seg->sport : seg->dport;

	if (!t->used || t->hash != h || r->cfg.reorder_time <= 0 ||
	    r->now - t->when > r->cfg.reorder_time || t->client_port != cp ||
	    !same_addr(&t->client, c) || !seg->wirelen || (seg->flags & (TCP_SYN | TCP_ACK)) !=
	    TCP_ACK || t->lo[d] == t->hi[d] || t->lo[!d] == t->hi[!d])
		return 0;
	if (sdiff(seg->seq, t->sent[d]) > 0 || sdiff(seg->ack, t->sent[!d]) > 0 ||
	    (t->syn[!d] && sdiff(seg->ack, t->lo[!d]) < 0))
		return 0;
	if (sdiff(seg->seq, t->lo[d]) < 0 && (t->syn[d] || t->lo[d] - seg->seq > BEFORE_SEEN))
		return 0;
	return t->index + 1;
}

static int settle(struct reasm *r, struct flow *f, const struct frame_ref *at);
static void close_flow(struct reasm *r, struct flow *f, int why, const struct frame_ref *at);

/* Are bytes of the direction known to be missing: held ones behind a hole, or bytes before
 * its FIN (or, without one, before where a RST said it ends) not seen yet? */
static int missing(const struct dir *dr)
{
	if (dr->done || !dr->started)
		return 0;
	if (dr->h)
		return 1;
	if (dr->fin)
		return sdiff(dr->next_seq, dr->fin_seq) < 0;
	return dr->end_known && sdiff(dr->next_seq, dr->end_seq) < 0;
}

/* A RST (from the side d) while bytes are missing: a capture can still show them after it
 * (a segment retransmitted or taken from another queue). The connection stays open for them
 * until none is missing, the reorder time passes (fin_waits), or a segment that is none of
 * them comes (late_segment). Returns 1 when it waits, 0 when it is to be closed now. */
static int rst_wait(struct reasm *r, struct flow *f, int d, const struct tcp_seg *seg)
{
	if (!f->rst) {
		f->d[d].end_known = 1;
		f->d[d].end_seq = seg->seq + seg->wirelen;
		if (seg->flags & TCP_ACK) {
			f->d[!d].end_known = 1;
			f->d[!d].end_seq = seg->ack;
		}
	}
	if (r->cfg.reorder_time <= 0 || f->ignore ||
	    (!missing(&f->d[0]) && !missing(&f->d[1])))
		return 0;
	if (!f->rst) {
		f->rst = 1;
		f->rst_ts = r->now;
		wait_link(r, f);
	}
	return 1;
}

/* The sequence space a direction is known to have used: [*lo, *hi] (its first byte; the
 * end of what was seen of it, or of what its FIN, a RST or the peer's ACK said it sent).
 * 0 when unknown. */
static int dir_space(const struct dir *dr, uint32_t *lo, uint32_t *hi)
{
	if (!dr->started)
		return 0;
	*lo = dr->next_seq - (uint32_t)dr->offset;
	*hi = dr->fin ? dr->fin_seq + 1 : dr->next_seq;
	if (dr->topped && sdiff(dr->top, *hi) > 0)
		*hi = dr->top;
	if (dr->end_known && sdiff(dr->end_seq, *hi) > 0)
		*hi = dr->end_seq;
	if (dr->peer_acks && sdiff(dr->peer_ack, *hi) > 0 && sdiff(dr->peer_ack, *lo) > 0)
		*hi = dr->peer_ack; /* what the peer received was sent */
	return 1;
}

/* A segment for a connection waiting after its RST: is it one of that connection's? Data
 * inside the sequence space the direction used, up to where it ended; or data that starts
 * there and runs on, when its acknowledgement lies in the other direction's space (what a
 * segment sent before the RST reached its sender carries). A bare ACK, FIN or RST is
 * taken as one (and ignored); anything else starts a new connection. */
static int late_segment(const struct flow *f, int d, const struct tcp_seg *seg)
{
	uint32_t lo, hi, plo, phi;

	if (seg->flags & TCP_SYN)
		return 0;
	if (!seg->wirelen)
		return 1;
	if (!dir_space(&f->d[d], &lo, &hi) || sdiff(seg->seq, lo) < 0)
		return 0;
	if (sdiff(seg->seq + seg->wirelen, hi) <= 0)
		return 1;
	return sdiff(seg->seq, hi) <= 0 && (seg->flags & TCP_ACK) &&
	       dir_space(&f->d[!d], &plo, &phi) && sdiff(seg->ack, plo) >= 0 &&
	       sdiff(seg->ack, phi) <= 0;
}

/* The FINs acknowledged across a hole longest ago: their wait is over. */
static void fin_waits(struct reasm *r, const struct frame_ref *at)
{
	struct flow *f;

	while ((f = r->whead)) {
		double ts = 0;
		for (int i = 0; i < 2; i++)
			if (f->d[i].fin_acked && !f->d[i].done && (!ts || f->d[i].fin_acked_ts < ts))
				ts = f->d[i].fin_acked_ts;
		if (f->rst && (!ts || f->rst_ts < ts))
			ts = f->rst_ts;
		if (ts && r->now - ts <= r->cfg.reorder_time)
			return;
		wait_unlink(r, f);
		if (f->rst) {
			close_flow(r, f, REASM_END_RST, at);
			continue;
		}
		for (int i = 0; i < 2; i++)
			if (f->d[i].fin_acked && !f->d[i].done && !f->ignore)
				give_up_before_fin(r, f, i, at);
		settle(r, f, at);
	}
}

static void close_flow(struct reasm *r, struct flow *f, int why, const struct frame_ref *at)
{
	struct flow **pp;

	end_dir(r, f, 0, why, at);
	end_dir(r, f, 1, why, at);
	if (why == REASM_END_FIN || why == REASM_END_RST)
		bury(r, f);
	wait_unlink(r, f);
	if (r->sink.close)
		r->sink.close(r->ctx, &f->pub, why, at);
	for (pp = &r->buckets[f->hash & (r->nbuckets - 1)]; *pp != f; pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	lru_unlink(r, f);
	r->count--;
	if (r->last == f)
		r->last = NULL;
	budget_release(r->cfg.budget, BUDGET_CONN, alloc_cost(sizeof *f));
	free(f);
}

/* End the directions whose FIN the stream has reached, and the flow when both ended.
 * Returns 1 when the flow was closed (and freed). */
static int settle(struct reasm *r, struct flow *f, const struct frame_ref *at)
{
	if (f->rst && !missing(&f->d[0]) && !missing(&f->d[1])) {
		close_flow(r, f, REASM_END_RST, at);
		return 1;
	}
	for (int i = 0; i < 2; i++)
		if (f->d[i].fin && !f->d[i].done && sdiff(f->d[i].next_seq, f->d[i].fin_seq) >= 0)
			end_dir(r, f, i, REASM_END_FIN, at);
	for (int i = 0; i < 2; i++) /* a FIN before any byte: ended when the peer has too */
		if (!f->d[i].started && f->d[i].fin_early && !f->d[i].done && f->d[!i].done)
			end_dir(r, f, i, REASM_END_FIN, at);
	if (f->d[0].done && f->d[1].done) {
		close_flow(r, f, REASM_END_FIN, at);
		return 1;
	}
	return 0;
}

static struct flow *new_flow(struct reasm *r, uint64_t h, const struct tcp_seg *seg, int d,
			     uint64_t follows)
{
	struct flow *f;

	if (r->cfg.max_flows && r->count >= r->cfg.max_flows && r->lru_head) {
		r->st.evicted++;
		close_flow(r, r->lru_head, REASM_END_EVICTED, &seg->at);
	}
	if (!(f = budget_calloc(1, sizeof *f, "reassembly")))
		return NULL;
	budget_charge(r->cfg.budget, BUDGET_CONN, alloc_cost(sizeof *f));
	f->hash = h;
	f->pub.index = r->st.flows++;
	f->pub.client = d == REASM_TO_BROKER ? seg->src : seg->dst;
	f->pub.broker = d == REASM_TO_BROKER ? seg->dst : seg->src;
	f->pub.client_port = d == REASM_TO_BROKER ? seg->sport : seg->dport;
	f->pub.broker_port = d == REASM_TO_BROKER ? seg->dport : seg->sport;
	f->pub.follows = follows;
	if (r->count >= r->nbuckets)
		grow(r);
	f->hnext = r->buckets[h & (r->nbuckets - 1)];
	r->buckets[h & (r->nbuckets - 1)] = f;
	r->count++;
	lru_append(r, f);
	if (r->sink.open)
		f->pub.user = r->sink.open(r->ctx, &f->pub, &seg->at);
	return f;
}

static void expire(struct reasm *r, double now, const struct frame_ref *at)
{
	if (r->cfg.flow_timeout <= 0)
		return;
	while (r->lru_head && now - r->lru_head->last > r->cfg.flow_timeout) {
		r->st.expired++;
		close_flow(r, r->lru_head, REASM_END_IDLE, at);
	}
}

/* Bound (b): a segment held longer than reorder_time (capture time) means the holes before
 * it will not fill: give them up, from the oldest segment held anywhere on. */
static void expire_holes(struct reasm *r, double now, const struct frame_ref *at)
{
	const struct block *b;

	if (r->cfg.reorder_time <= 0)
		return;
	while ((b = r->oldest) && now - b->born_ts > r->cfg.reorder_time) {
		struct flow *f = b->h->f;
		give_up_hole(r, f, b->h->d, at);
		settle(r, f, at); /* its FIN may be reached now */
	}
}

/* A connection on ports we were not told of: known one way or the other, or new. The
 * SYN's sender is the client; without one, the lower port is taken for the broker's. */
static int any_port_dir(struct reasm *r, const struct tcp_seg *seg)
{
	if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		return REASM_TO_BROKER;
	if ((seg->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
		return REASM_TO_CLIENT;
	if (lookup(r, flow_hash(&seg->src, seg->sport, &seg->dst, seg->dport), &seg->src,
		   seg->sport, &seg->dst, seg->dport))
		return REASM_TO_BROKER;
	if (lookup(r, flow_hash(&seg->dst, seg->dport, &seg->src, seg->sport), &seg->dst,
		   seg->dport, &seg->src, seg->sport))
		return REASM_TO_CLIENT;
	return seg->dport < seg->sport ? REASM_TO_BROKER : REASM_TO_CLIENT;
}

/* The connection of a segment going in direction *d (the other way round when both
 * ports are broker ports and it is known so: *d is changed), and its hash; NULL when none
 * is open. */
static struct flow *find_flow(struct reasm *r, const struct tcp_seg *seg, int *d, uint64_t *h)
{
	const struct tcp_addr *c, *b;
	uint16_t cp, bp;
	struct flow *f;

	c = *d == REASM_TO_BROKER ? &seg->src : &seg->dst;
	b = *d == REASM_TO_BROKER ? &seg->dst : &seg->src;
	cp = *d == REASM_TO_BROKER ? seg->sport : seg->dport;
	bp = *d == REASM_TO_BROKER ? seg->dport : seg->sport;
	f = r->last;
	if (f && f->pub.client_port == cp && f->pub.broker_port == bp &&
	    same_addr(&f->pub.client, c) && same_addr(&f->pub.broker, b)) {
		*h = f->hash;
	} else {
		*h = flow_hash(c, cp, b, bp);
		f = lookup(r, *h, c, cp, b, bp);
	}
	if (!f && *d == REASM_TO_BROKER && is_broker_port(r, seg->sport)) {
		/* Both ports are broker ports: the connection may be known the other way round
		 * (its SYN or first data came from the other side). */
		uint64_t h2 = flow_hash(&seg->dst, seg->dport, &seg->src, seg->sport);
		struct flow *f2 = lookup(r, h2, &seg->dst, seg->dport, &seg->src, seg->sport);
		if (f2 && !((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)) {
			f = f2;
			*h = h2;
			*d = REASM_TO_CLIENT;
		}
	}
	return f;
}

/* The connection a segment belongs to: the open one (a new SYN or, after a RST, data that
 * is none of its own closes it first), or a new one. NULL when the segment is done with
 * (a bare ACK, FIN or RST of none, a repeat of a closed one's bytes, no memory). */
static struct flow *flow_for(struct reasm *r, const struct tcp_seg *seg, int *d)
{
	struct flow *f;
	uint64_t h;

	f = find_flow(r, seg, d, &h);
	if (f && f->rst) {
		if (!late_segment(f, *d, seg)) {
			close_flow(r, f, REASM_END_RST, &seg->at);
			f = NULL;
		} else if (!seg->wirelen) {
			return NULL;
		}
	}
	if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && *d == REASM_TO_BROKER && f) {
		/* A SYN on a known 4-tuple: a retransmitted SYN, or a new connection. */
		if (!(f->d[0].syn && f->d[0].isn == seg->seq)) {
			close_flow(r, f, REASM_END_REUSED, &seg->at);
			f = NULL;
		}
	}
	if (!f) {
		if (!(seg->flags & TCP_SYN) && seg->wirelen == 0)
			return NULL; /* a bare ACK, FIN or RST of a connection we do not know */
		if (!(seg->flags & TCP_SYN) && buried(r, h, seg, *d)) {
			r->st.dup_bytes += seg->paylen;
			return NULL;
		}
		if (!(f = new_flow(r, h, seg, *d, continued(r, h, seg, *d))))
			return NULL;
	}
	return f;
}

/* What a segment tells of its direction: its SYN, where the stream starts, the highest and
 * lowest data seen, the peer's acknowledgement. Returns the sequence number of its first
 * data byte. */
static uint32_t note_seg(struct flow *f, int d, const struct tcp_seg *seg)
{
	struct dir *dr = &f->d[d];
	uint32_t seq = seg->seq;

	if (seg->flags & TCP_SYN) {
		if (!dr->syn && !dr->started) {
			dr->syn = dr->started = 1;
			dr->isn = seg->seq;
			dr->next_seq = seg->seq + 1;
			if (d == REASM_TO_BROKER)
				f->pub.saw_syn = 1;
		}
		seq = seg->seq + 1;
	}
	if (!dr->started && !seg->wirelen && (seg->flags & TCP_FIN)) {
		dr->fin_early = 1;
		dr->fin_early_seq = seq;
	} else if (!dr->started && seg->wirelen) {
		dr->started = 1; /* the capture starts inside this connection */
		dr->next_seq = seq;
		if (dr->fin_early && sdiff(dr->fin_early_seq, seq) >= 0) {
			dr->fin = 1;
			dr->fin_seq = dr->fin_early_seq;
			dr->fin_off = dr->fin_seq - seq;
		}
	}
	if (seg->wirelen && (!dr->topped || sdiff(seq + seg->wirelen, dr->top) > 0)) {
		dr->topped = 1;
		dr->top = seq + seg->wirelen;
	}
	if (seg->wirelen && (!dr->lowed || sdiff(seq, dr->low) < 0)) {
		dr->lowed = 1;
		dr->low = seq;
	}
	dr->rx += seg->wirelen;
	if (seg->flags & TCP_ACK)
		note_ack(&f->d[!d], seg->ack);
	return seq;
}

int reasm_feed(struct reasm *r, const struct tcp_seg *seg)
{
	struct flow *f;
	struct dir *dr;
	uint32_t seq;
	int d;

	if (is_broker_port(r, seg->dport))
		d = REASM_TO_BROKER;
	else if (is_broker_port(r, seg->sport))
		d = REASM_TO_CLIENT;
	else if (!r->cfg.any_port)
		return 0;
	else
		d = any_port_dir(r, seg);
	r->st.segments++;
	r->now = ts_of(seg);
	expire(r, r->now, &seg->at);
	expire_holes(r, r->now, &seg->at);
	fin_waits(r, &seg->at);

	if (!(f = flow_for(r, seg, &d)))
		return 1;
	f->last = r->now;
	f->last_at = seg->at;
	r->last = f;
	if (f != r->lru_tail) {
		lru_unlink(r, f);
		lru_append(r, f);
	}

	dr = &f->d[d];
	seq = note_seg(f, d, seg);

	if (f->ignore) {
		/* the next stage gave up on it: drop what is held, follow only its end */
		discard(r, &f->d[0]);
		discard(r, &f->d[1]);
		if (sdiff(seq + seg->wirelen, dr->next_seq) > 0)
			dr->next_seq = seq + seg->wirelen;
	} else if (seg->wirelen && !dr->done) {
		take(r, f, d, seq, seg->payload, seg->paylen, seg->wirelen, &seg->at);
		/* Bound (d): a hole the peer acknowledged, and this much more data without it */
		if (dr->acked && dr->rx - dr->acked_rx > ACKED_HOLE_BYTES)
			give_up_hole(r, f, d, &seg->at);
	}
	if ((seg->flags & (TCP_FIN | TCP_RST)) && !f->pub.closer) {
		f->pub.closer = d == REASM_TO_BROKER ? 1 : 2;
		f->pub.closer_rst = (seg->flags & TCP_RST) != 0;
	}
	if ((seg->flags & TCP_FIN) && !dr->fin && dr->started) {
		int32_t ahead;
		dr->fin = 1;
		dr->fin_seq = seq + seg->wirelen;
		ahead = sdiff(dr->fin_seq, dr->next_seq);
		dr->fin_off = dr->offset + (ahead > 0 ? (uint32_t)ahead : 0);
	}
	if (f->ignore && dr->fin)
		dr->next_seq = dr->fin_seq; /* no hole to wait for in bytes nobody wants */
	if (seg->flags & TCP_RST) {
		if (!rst_wait(r, f, d, seg))
			close_flow(r, f, REASM_END_RST, &seg->at);
		return 1;
	}
	if (f->rst) {
		settle(r, f, &seg->at); /* a late segment: are the missing bytes all here now? */
		return 1;
	}
	if (!(f->d[0].fin | f->d[1].fin) && !f->d[0].h && !f->d[1].h)
		return 1; /* the common case: nothing held, no FIN yet */
	for (int i = 0; i < 2; i++) {
		check_acked_fin(r, f, i, &seg->at);
		check_acked_hole(&f->d[i]); /* a new first hole the last ACK already covers */
	}
	settle(r, f, &seg->at);
	return 1;
}

void reasm_finish(struct reasm *r)
{
	while (r->lru_head) {
		struct flow *f = r->lru_head;
		/* a FIN its peer acknowledged, whose holes were still waited for: it ended so */
		for (int i = 0; i < 2; i++)
			if (f->d[i].fin_acked && !f->d[i].done && !f->ignore)
				give_up_before_fin(r, f, i, &f->last_at);
		if (!settle(r, f, &f->last_at))
			close_flow(r, f, f->rst ? REASM_END_RST : REASM_END_CAPTURE, &f->last_at);
	}
}

int reasm_evict_held(struct reasm *r, const struct frame_ref *at)
{
	struct block *b = r->oldest;
	struct flow *f;

	if (!b)
		return 0;
	f = b->h->f;
	give_up_hole_for(r, f, b->h->d, REASM_GAP_BUDGET, at);
	settle(r, f, at); /* its FIN may be reached now */
	return 1;
}

int reasm_evict_flow(struct reasm *r, const struct frame_ref *at)
{
	if (!r->lru_head)
		return 0;
	r->st.budget_flows++;
	budget_evicted(r->cfg.budget, BUDGET_CONN, 0);
	close_flow(r, r->lru_head, REASM_END_MEMORY, at);
	return 1;
}

uint64_t reasm_oldest_held(const struct reasm *r)
{
	return r->oldest ? r->oldest->first_frame : 0;
}

const struct reasm_stats *reasm_stats(const struct reasm *r)
{
	return &r->st;
}

void reasm_free(struct reasm *r)
{
	if (!r)
		return;
	/* Flows still open are dropped without events: reasm_finish reports them. */
	while (r->lru_head) {
		struct flow *f = r->lru_head;
		discard(r, &f->d[0]);
		discard(r, &f->d[1]);
		lru_unlink(r, f);
		if (r->sink.close)
			r->sink.close(r->ctx, &f->pub, REASM_END_CAPTURE, &f->last_at);
		budget_release(r->cfg.budget, BUDGET_CONN, alloc_cost(sizeof *f));
		free(f);
	}
	free(r->buckets);
	port_set_free(&r->ports);
	free(r);
}

void reasm_ignore(struct reasm_flow *f)
{
	((struct flow *)(void *)f)->ignore = 1;
}
