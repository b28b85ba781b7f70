/* \summary: -w: the captured frames that carry the messages the reporters are given, in
 * one pass, in frame order
 *
 * A reporter like the others, so it sees exactly the messages that reach the reporters
 * (after any selection in front of them). A message's bytes are contiguous in its
 * direction's stream, so every frame of that direction from the one holding its first
 * byte to the one holding its last holds some of them (retransmissions included, as
 * tshark's reassembly would show them): those frames are written.
 *
 * A frame is known to carry a message only when the message ends, frames later; so every
 * frame with TCP payload on a followed port is kept (a copy) until it is decided:
 * selected by a message whose span holds it; not selected once a later message of its
 * direction starts after it, its connection ends, or the capture ends. Frames go to the
 * sink in frame order, so a frame waits for the undecided ones before it. Bounded:
 * HOLD_BYTES of copies and HOLD_SECONDS of capture time; past those the oldest undecided
 * frame is given up (not written), and a message it turns out to have belonged to is
 * counted (written without its first frames).
 *
 * Linear: each frame is decided once; a message walks only the undecided frames of its
 * own direction, from the oldest, and stops at the first one after its span.
 */
#include "mqttdump/budget.h"
#include "mqttdump/report.h"

#include <stdlib.h>
#include <string.h>

#define HOLD_BYTES (64u << 20)
#define HOLD_SECONDS 60
#define DIR_BUCKETS 4096

enum { UNDECIDED, SELECTED, DROPPED };

struct dirkey {
	struct tcp_addr src, dst;
	uint16_t sport, dport;
};

struct wframe {
	struct wframe *next;        /* frame order, every held frame */
	struct wframe *dnext;       /* its direction's undecided frames, in frame order */
	struct wdir *dir;
	int state;
	struct cap_pkt pkt;         /* data: the copy after the struct */
};

/* One direction of a connection with undecided frames. */
struct wdir {
	struct wdir *next;          /* hash chain */
	struct dirkey key;
	struct wframe *head, *tail; /* undecided frames */
	uint64_t gave_up;           /* the last frame given up (over the bounds) since the
				     * direction's last message; 0: none. Kept while set, so that
				     * a message it belonged to is known */
};

struct wrep {
	struct report_write_opts o;
	struct wdir *dirs[DIR_BUCKETS];
	struct wframe *head, *tail; /* held frames, in frame order */
	size_t bytes;
	uint64_t messages, written, cut_short;
	int stopped;                /* the sink said stop, or failed */
};

static uint32_t key_hash(const struct dirkey *k)
{
	uint32_t h = 2166136261u;
	const uint8_t *p = (const uint8_t *)k;

	for (size_t i = 0; i < sizeof *k; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % DIR_BUCKETS;
}

static void key_of_seg(const struct tcp_seg *s, struct dirkey *k)
{
	memset(k, 0, sizeof *k); /* padding too: keys are hashed and compared as bytes */
	k->src = s->src;
	k->dst = s->dst;
	k->sport = s->sport;
	k->dport = s->dport;
}

static void key_of_rec(const struct mqtt_record *rec, struct dirkey *k)
{
	const struct reasm_flow *f = rec->flow;
	int up = rec->dir == REASM_TO_BROKER;

	memset(k, 0, sizeof *k);
	k->src = up ? f->client : f->broker;
	k->dst = up ? f->broker : f->client;
	k->sport = up ? f->client_port : f->broker_port;
	k->dport = up ? f->broker_port : f->client_port;
}

/* The direction of key k; made when make is set. NULL: none, or out of memory. */
static struct wdir *dir_of(struct wrep *w, const struct dirkey *k, int make)
{
	struct wdir **pp = &w->dirs[key_hash(k)];

	while (*pp && memcmp(&(*pp)->key, k, sizeof *k) != 0)
		pp = &(*pp)->next;
	if (!*pp && make && (*pp = budget_calloc(1, sizeof **pp, "-w")))
		(*pp)->key = *k;
	return *pp;
}

static void dir_drop(struct wrep *w, struct wdir *d)
{
	struct wdir **pp = &w->dirs[key_hash(&d->key)];

	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	free(d);
}

/* Decide the undecided frame at the head of its direction. */
static void decide_head(struct wrep *w, struct wdir *d, int state)
{
	struct wframe *f = d->head;

	f->state = state;
	if (!(d->head = f->dnext))
		d->tail = NULL;
	f->dnext = NULL;
	f->dir = NULL;
	if (!d->head && !d->gave_up)
		dir_drop(w, d);
}

/* No message will hold d's undecided frames: all not selected, and d goes. */
static void dir_close(struct wrep *w, struct wdir *d)
{
	d->gave_up = 0;
	if (!d->head) {
		dir_drop(w, d);
		return;
	}
	while (d->head->dnext)
		decide_head(w, d, DROPPED);
	decide_head(w, d, DROPPED); /* the last one: d goes with it */
}

/* The decided frames at the head of the order to the sink (the selected ones). */
static void flush(struct wrep *w)
{
	while (w->head && w->head->state != UNDECIDED) {
		struct wframe *f = w->head;
		if (!(w->head = f->next))
			w->tail = NULL;
		if (f->state == SELECTED && !w->stopped) {
			if (w->o.sink(w->o.ctx, &f->pkt) != 0)
				w->stopped = 1;
			else
				w->written++;
		}
		w->bytes -= sizeof *f + f->pkt.caplen;
		free(f);
	}
}

/* Over the bounds (bytes held, or the oldest held frame HOLD_SECONDS before now): the
 * oldest undecided frame is given up. */
static void bound(struct wrep *w, const struct cap_pkt *now)
{
	while (w->head && (w->bytes > HOLD_BYTES ||
			   (now && now->ts_sec - w->head->pkt.ts_sec > HOLD_SECONDS))) {
		struct wframe *f = w->head;
		if (f->state == UNDECIDED) {
			struct wdir *d = f->dir;
			/* f is the oldest frame held: the oldest undecided of its direction */
			d->gave_up = f->pkt.frame;
			decide_head(w, d, DROPPED);
		}
		flush(w);
	}
}

static int followed(const struct wrep *w, const struct tcp_seg *s)
{
	if (w->o.all_ports)
		return 1;
	for (int i = 0; i < 3; i++)
		if (w->o.ports[i] && (port_set_has(w->o.ports[i], s->sport) ||
				      port_set_has(w->o.ports[i], s->dport)))
			return 1;
	return 0;
}

/* Each frame as it begins (its messages come before its end): kept when it may carry one. */
static void frame_begin(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct wrep *w = ctx;
	struct wframe *f;
	struct dirkey k;

	if (w->stopped)
		return;
	if (seg && seg->wirelen > 0 && followed(w, seg) &&
	    (f = budget_malloc(sizeof *f + pkt->caplen, "-w"))) {
		key_of_seg(seg, &k);
		memset(f, 0, sizeof *f);
		f->pkt = *pkt;
		memcpy(f + 1, pkt->data, pkt->caplen);
		f->pkt.data = (const uint8_t *)(f + 1);
		if (!(f->dir = dir_of(w, &k, 1))) {
			free(f);
			return; /* out of memory: the frame is not written */
		}
		if (f->dir->tail)
			f->dir->tail->dnext = f;
		else
			f->dir->head = f;
		f->dir->tail = f;
		if (w->tail)
			w->tail->next = f;
		else
			w->head = f;
		w->tail = f;
		w->bytes += sizeof *f + pkt->caplen;
	}
	bound(w, pkt);
	flush(w);
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	(void)pkt;
	(void)seg;
	flush(ctx);
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct wrep *w = ctx;
	uint64_t first = rec->first_frame && rec->first_frame < rec->at.frame ? rec->first_frame :
			 rec->at.frame, last = rec->at.frame;
	struct wdir *d;
	struct dirkey k;

	w->messages++;
	key_of_rec(rec, &k);
	if ((d = dir_of(w, &k, 0)) && d->gave_up) {
		/* frames of this direction were given up: was one of them this message's? */
		if (d->gave_up >= first)
			w->cut_short++;
		d->gave_up = 0;
		if (!d->head) {
			dir_drop(w, d);
			d = NULL;
		}
	}
	/* the frames of the direction before the span: no later message holds them; those
	 * in it are written */
	while (d && d->head->pkt.frame <= last) {
		decide_head(w, d, d->head->pkt.frame >= first ? SELECTED : DROPPED);
		d = dir_of(w, &k, 0);
	}
	flush(w);
}

/* The connection ended: no message will hold its undecided frames. */
static void event(void *ctx, const struct framer_event *ev)
{
	struct wrep *w = ctx;
	struct mqtt_record r = { .flow = ev->flow };
	struct wdir *d;
	struct dirkey k;

	if (ev->kind != FRAMER_EV_END)
		return;
	for (int dir = 0; dir < 2; dir++) {
		r.dir = dir ? REASM_TO_BROKER : REASM_TO_CLIENT;
		key_of_rec(&r, &k);
		if ((d = dir_of(w, &k, 0)))
			dir_close(w, d);
	}
	flush(w);
}

static void finish(void *ctx)
{
	struct wrep *w = ctx;

	for (size_t i = 0; i < DIR_BUCKETS; i++)
		while (w->dirs[i])
			dir_close(w, w->dirs[i]);
	flush(w);
}

void report_write_counts(void *ctx, struct report_write_counts *c)
{
	const struct wrep *w = ctx;

	c->messages = w->messages;
	c->frames = w->written;
	c->cut_short = w->cut_short;
}

static void wfree(void *ctx)
{
	struct wrep *w = ctx;

	if (!w)
		return;
	for (size_t i = 0; i < DIR_BUCKETS; i++)
		while (w->dirs[i]) {
			struct wdir *d = w->dirs[i];
			w->dirs[i] = d->next;
			free(d);
		}
	while (w->head) {
		struct wframe *f = w->head;
		w->head = f->next;
		free(f);
	}
	free(w);
}

int report_write_new(const struct report_write_opts *o, struct reporter *r)
{
	struct wrep *w = budget_calloc(1, sizeof *w, "-w");

	if (!w)
		return -1;
	w->o = *o;
	memset(r, 0, sizeof *r);
	r->ctx = w;
	r->frame_begin = frame_begin;
	r->message = message;
	r->event = event;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = wfree;
	return 0;
}
