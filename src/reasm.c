/* \summary: TCP reassembly: per connection and direction, bytes in sequence order, once */
#include "mqttdump/reasm.h"
#include "mqttdump/ports.h"

#include <stdlib.h>
#include <string.h>

/* A segment that arrived ahead of a hole: copied, held until the hole fills or is given
 * up on. Kept sorted by seq. */
struct held {
	struct held *next;
	struct frame_ref at; /* the frame it arrived in */
	uint32_t seq;
	uint32_t len;
	uint32_t wirelen;    /* > len when the snap length cut it */
	uint8_t data[];
};

struct dir {
	uint8_t started;   /* next_seq is known */
	uint8_t syn;       /* the SYN was seen: isn is known */
	uint8_t fin;       /* fin_seq is known */
	uint8_t done;      /* eof delivered */
	uint32_t isn;
	uint32_t next_seq;
	uint32_t fin_seq;
	uint64_t offset;   /* stream offset of next_seq */
	uint32_t suspect;  /* segments seen since the peer acknowledged past the hole */
	struct held *held;
	size_t held_bytes;
};

struct flow {
	struct reasm_flow pub;
	struct dir d[2];
	struct flow *hnext;
	struct flow *lprev, *lnext;
	uint64_t hash;
	double last;
	struct frame_ref last_at;
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
	struct reasm_stats st;
};

/* A capture may show an ACK before the data it acknowledges (frames taken from several
 * queues): a hole the peer has acknowledged is given up only after this many more
 * segments of the connection have not filled it. */
#define REORDER_WINDOW 16

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
	struct reasm *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->sink = *sink;
	r->ctx = ctx;
	r->nbuckets = 1024;
	r->buckets = calloc(r->nbuckets, sizeof *r->buckets);
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
	struct flow **nb = calloc(n, sizeof *nb);

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

/* ---- one direction ------------------------------------------------------------------ */

static void deliver_bytes(struct reasm *r, struct flow *f, int d, uint32_t seq,
			  const uint8_t *p, uint32_t n, const struct frame_ref *at);

/* Deliver a segment's captured bytes; when the snap length cut it (wire > n), the rest of
 * it is a hole of its own kind, reported once the stream reaches it. */
static void deliver(struct reasm *r, struct flow *f, int d, uint32_t seq, const uint8_t *p,
		    uint32_t n, uint32_t wire, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	uint32_t end = seq + wire, len;

	deliver_bytes(r, f, d, seq, p, n, at);
	if (wire <= n || sdiff(dr->next_seq, seq + n) != 0)
		return;
	if (dr->fin && sdiff(end, dr->fin_seq) > 0)
		end = dr->fin_seq;
	if (sdiff(end, dr->next_seq) <= 0)
		return;
	len = end - dr->next_seq;
	r->st.snap_gaps++;
	r->st.snap_bytes += len;
	if (r->sink.gap)
		r->sink.gap(r->ctx, &f->pub, d, dr->offset, len, REASM_GAP_SNAPLEN, at);
	dr->next_seq = end;
	dr->offset += len;
}

static void deliver_bytes(struct reasm *r, struct flow *f, int d, uint32_t seq,
			  const uint8_t *p, uint32_t n, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	uint32_t skip;

	if (n == 0 || sdiff(seq + n, dr->next_seq) <= 0) {
		r->st.dup_bytes += n;
		return;
	}
	skip = dr->next_seq - seq; /* caller ensures seq <= next_seq */
	r->st.dup_bytes += skip;
	if (dr->fin && sdiff(seq + n, dr->fin_seq) > 0) {
		/* nothing after the FIN belongs to the stream */
		if (sdiff(dr->fin_seq, dr->next_seq) <= 0)
			return;
		n = dr->fin_seq - seq;
	}
	if (n <= skip)
		return;
	dr->next_seq += n - skip;
	dr->offset += n - skip;
	if (r->sink.data)
		r->sink.data(r->ctx, &f->pub, d, p + skip, n - skip, at);
}

/* Deliver the held segments the stream has reached. at: the frame that filled the hole
 * (its bytes complete what was held), or NULL when the hole was given up: then each held
 * segment's bytes belong to the frame they arrived in. */
static void drain(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	struct held *h;

	while ((h = dr->held) && sdiff(h->seq, dr->next_seq) <= 0) {
		dr->held = h->next;
		dr->held_bytes -= h->len;
		deliver(r, f, d, h->seq, h->data, h->len, h->wirelen, at ? at : &h->at);
		free(h);
	}
}

/* Give up on the hole before the first held segment: report it, deliver what follows. */
static void skip_hole(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	uint32_t len;

	if (!dr->held)
		return;
	len = dr->held->seq - dr->next_seq;
	r->st.gaps++;
	r->st.gap_bytes += len;
	if (r->sink.gap)
		r->sink.gap(r->ctx, &f->pub, d, dr->offset, len, REASM_GAP_LOST, at);
	dr->next_seq = dr->held->seq;
	dr->offset += len;
	drain(r, f, d, NULL);
}

static void hold(struct reasm *r, struct flow *f, int d, uint32_t seq, const uint8_t *p,
		 uint32_t n, uint32_t wire, const struct frame_ref *at)
{
	struct dir *dr = &f->d[d];
	struct held **pp, *h;

	while (dr->held && dr->held_bytes + n > r->cfg.max_held)
		skip_hole(r, f, d, at);
	if (sdiff(seq, dr->next_seq) <= 0) { /* the holes before it were given up */
		deliver(r, f, d, seq, p, n, wire, at);
		drain(r, f, d, at);
		return;
	}
	for (pp = &dr->held; *pp && sdiff((*pp)->seq, seq) < 0; pp = &(*pp)->next)
		;
	if (*pp && (*pp)->seq == seq && (*pp)->len >= n) {
		r->st.dup_bytes += n; /* a retransmission of a held segment */
		return;
	}
	if (!(h = malloc(sizeof *h + n)))
		return;
	h->at = *at;
	h->seq = seq;
	h->len = n;
	h->wirelen = wire;
	memcpy(h->data, p, n);
	h->next = *pp;
	*pp = h;
	dr->held_bytes += n;
	if (dr->held_bytes > r->st.held_max)
		r->st.held_max = dr->held_bytes;
}

static void flush(struct reasm *r, struct flow *f, int d, const struct frame_ref *at)
{
	while (f->d[d].held)
		skip_hole(r, f, d, at);
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

static void close_flow(struct reasm *r, struct flow *f, int why, const struct frame_ref *at)
{
	struct flow **pp;

	end_dir(r, f, 0, why, at);
	end_dir(r, f, 1, why, at);
	if (r->sink.close)
		r->sink.close(r->ctx, &f->pub, why, at);
	for (pp = &r->buckets[f->hash & (r->nbuckets - 1)]; *pp != f; pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	lru_unlink(r, f);
	r->count--;
	if (r->last == f)
		r->last = NULL;
	free(f);
}

static struct flow *new_flow(struct reasm *r, uint64_t h, const struct tcp_seg *seg, int d)
{
	struct flow *f;

	if (r->cfg.max_flows && r->count >= r->cfg.max_flows && r->lru_head) {
		r->st.evicted++;
		close_flow(r, r->lru_head, REASM_END_EVICTED, &seg->at);
	}
	if (!(f = calloc(1, sizeof *f)))
		return NULL;
	f->hash = h;
	f->pub.index = r->st.flows++;
	f->pub.client = d == REASM_TO_BROKER ? seg->src : seg->dst;
	f->pub.broker = d == REASM_TO_BROKER ? seg->dst : seg->src;
	f->pub.client_port = d == REASM_TO_BROKER ? seg->sport : seg->dport;
	f->pub.broker_port = d == REASM_TO_BROKER ? seg->dport : seg->sport;
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

static double ts_of(const struct tcp_seg *seg)
{
	return (double)seg->pkt->ts_sec + seg->pkt->ts_nsec / 1e9;
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

int reasm_feed(struct reasm *r, const struct tcp_seg *seg)
{
	const struct tcp_addr *c, *b;
	uint16_t cp, bp;
	struct flow *f;
	struct dir *dr;
	uint32_t seq;
	uint64_t h;
	double now;
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
	now = ts_of(seg);
	expire(r, now, &seg->at);

	c = d == REASM_TO_BROKER ? &seg->src : &seg->dst;
	b = d == REASM_TO_BROKER ? &seg->dst : &seg->src;
	cp = d == REASM_TO_BROKER ? seg->sport : seg->dport;
	bp = d == REASM_TO_BROKER ? seg->dport : seg->sport;
	f = r->last;
	if (f && f->pub.client_port == cp && f->pub.broker_port == bp &&
	    same_addr(&f->pub.client, c) && same_addr(&f->pub.broker, b)) {
		h = f->hash;
	} else {
		h = flow_hash(c, cp, b, bp);
		f = lookup(r, h, c, cp, b, bp);
	}
	if (!f && d == REASM_TO_BROKER && is_broker_port(r, seg->sport)) {
		/* Both ports are broker ports: the connection may be known the other way round
		 * (its SYN or first data came from the other side). */
		uint64_t h2 = flow_hash(&seg->dst, seg->dport, &seg->src, seg->sport);
		struct flow *f2 = lookup(r, h2, &seg->dst, seg->dport, &seg->src, seg->sport);
		if (f2 && !((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)) {
			f = f2;
			h = h2;
			d = REASM_TO_CLIENT;
		}
	}

	if ((seg->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && d == REASM_TO_BROKER && f) {
		/* A SYN on a known 4-tuple: a retransmitted SYN, or a new connection. */
		if (!(f->d[0].syn && f->d[0].isn == seg->seq)) {
			close_flow(r, f, REASM_END_REUSED, &seg->at);
			f = NULL;
		}
	}
	if (!f) {
		if (!(seg->flags & TCP_SYN) && seg->wirelen == 0)
			return 1; /* a bare ACK, FIN or RST of a connection we do not know */
		if (!(f = new_flow(r, h, seg, d)))
			return 1;
	}
	f->last = now;
	f->last_at = seg->at;
	r->last = f;
	if (f != r->lru_tail) {
		lru_unlink(r, f);
		lru_append(r, f);
	}

	dr = &f->d[d];
	seq = seg->seq;
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
	if (!dr->started && (seg->wirelen || (seg->flags & TCP_FIN))) {
		dr->started = 1; /* the capture starts inside this connection */
		dr->next_seq = seq;
	}

	/* The peer acknowledges bytes past a hole we hold data behind: the capture lost them,
	 * unless they show up within the reordering window. */
	if ((seg->flags & TCP_ACK) && f->d[!d].held && !f->d[!d].suspect &&
	    sdiff(seg->ack, f->d[!d].held->seq) >= 0)
		f->d[!d].suspect = 1;
	for (int i = 0; i < 2; i++) {
		struct dir *x = &f->d[i];
		if (!x->suspect)
			continue;
		if (!x->held) {
			x->suspect = 0; /* the hole filled */
		} else if (++x->suspect > REORDER_WINDOW) {
			x->suspect = 0;
			skip_hole(r, f, i, &seg->at);
		}
	}

	if (f->pub.ignore) {
		/* the next stage gave up on it: drop what is held, follow only its end */
		for (int i = 0; i < 2; i++)
			while (f->d[i].held) {
				struct held *h = f->d[i].held;
				f->d[i].held = h->next;
				f->d[i].held_bytes -= h->len;
				free(h);
			}
		if (sdiff(seq + seg->wirelen, dr->next_seq) > 0)
			dr->next_seq = seq + seg->wirelen;
	} else if (seg->wirelen && !dr->done) {
		if (sdiff(seq, dr->next_seq) <= 0) {
			deliver(r, f, d, seq, seg->payload, seg->paylen, seg->wirelen, &seg->at);
			drain(r, f, d, &seg->at);
		} else {
			hold(r, f, d, seq, seg->payload, seg->paylen, seg->wirelen, &seg->at);
		}
	}
	if ((seg->flags & (TCP_FIN | TCP_RST)) && !f->pub.closer) {
		f->pub.closer = d == REASM_TO_BROKER ? 1 : 2;
		f->pub.closer_rst = (seg->flags & TCP_RST) != 0;
	}
	if ((seg->flags & TCP_FIN) && !dr->fin && dr->started) {
		dr->fin = 1;
		dr->fin_seq = seq + seg->wirelen;
	}
	if (f->pub.ignore && dr->fin)
		dr->next_seq = dr->fin_seq; /* no hole to wait for in bytes nobody wants */
	if (seg->flags & TCP_RST) {
		close_flow(r, f, REASM_END_RST, &seg->at);
		return 1;
	}
	for (int i = 0; i < 2; i++)
		if (f->d[i].fin && !f->d[i].done && sdiff(f->d[i].next_seq, f->d[i].fin_seq) >= 0)
			end_dir(r, f, i, REASM_END_FIN, &seg->at);
	if (f->d[0].done && f->d[1].done)
		close_flow(r, f, REASM_END_FIN, &seg->at);
	return 1;
}

void reasm_finish(struct reasm *r)
{
	while (r->lru_head)
		close_flow(r, r->lru_head, REASM_END_CAPTURE, &r->lru_head->last_at);
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
		for (int d = 0; d < 2; d++) {
			while (f->d[d].held) {
				struct held *h = f->d[d].held;
				f->d[d].held = h->next;
				free(h);
			}
		}
		lru_unlink(r, f);
		if (r->sink.close)
			r->sink.close(r->ctx, &f->pub, REASM_END_CAPTURE, &f->last_at);
		free(f);
	}
	free(r->buckets);
	port_set_free(&r->ports);
	free(r);
}
