/* \summary: the pipeline from captured records to reporters */
#include "mqttdump/budget.h"
#include "mqttdump/engine.h"

#include <stdlib.h>
#include <string.h>


/* ---- keeping lines in frame order ----------------------------------------------------
 *
 * A message is reported under the frame holding its last byte. When the framer needs
 * later bytes to decide (resynchronisation, a version to infer), messages of a frame can
 * be known only frames later: then every frame from the oldest undecided one on is held
 * (a copy of the frame and of what it gives the reporters), and given to the reporters
 * in frame order once the framer has decided on it. Bounded: HOLD_BYTES of copies and
 * HOLD_SECONDS of capture time; past those the oldest frames go out, and what is found
 * for them later is reported late (out of frame order) rather than lost.
 *
 * Reporters see every connection through one copy of its public state (struct shadow),
 * that lives until its end has been reported: held records may outlive the connection.
 */
#define HOLD_BYTES (32u << 20)
#define HOLD_SECONDS 5
#define SHADOW_BUCKETS 4096

struct shadow {
	struct shadow *next;
	struct reasm_flow flow;
};

enum { IT_MSG, IT_FEV, IT_TEV };

struct item {
	struct item *next;
	int kind;
	struct reasm_flow flow;     /* the connection's state when it was noticed */
	union {
		struct mqtt_record rec;
		struct framer_event fev;
		struct transport_event tev;
	} u;
	struct tls_client_hello ch;
	struct tls_server_hello sh;
	size_t nblob;
	uint8_t blob[];             /* the bytes the record or event points to */
};

struct hframe {
	struct hframe *next;
	struct cap_pkt pkt;         /* data: a copy */
	int begun;                  /* the reporters have seen frame_begin */
	struct item *items, *tail;
	size_t bytes;
	size_t cap;                 /* bytes of data room after the struct */
};

struct engine {
	struct engine_config cfg;
	struct reporter *reps;
	size_t nreps;
	struct reasm *reasm;
	struct framer *framer;
	struct transport *transport;
	uint64_t frames, bad_frames, snap_headers, messages;
	uint64_t shown;          /* messages that passed the filters (what -c counts) */
	int stopped;
	struct shadow *shadows[SHADOW_BUCKETS];
	struct shadow *ending;   /* connections whose TLS ended: dropped after the frame */
	struct hframe **held;    /* held[h0..nheld): frames held, in frame order */
	size_t h0, nheld, heldcap, held_bytes;
	struct hframe *last_given; /* the held frame given last, kept until the next one */
	struct hframe *spare;    /* the copy of the frame in progress when nothing is held:
				  * what the reporters are given, kept if the frame must wait */
	struct budget budget;    /* --max-memory: every stage is charged here */
	size_t hold_charged;     /* what the budget was told the held frames cost */
	uint64_t hold_flushes;   /* held frames given out early for the budget */
};

/* ---- one copy of each connection's public state ------------------------------------- */

static struct shadow **shadow_slot(struct engine *e, uint64_t index)
{
	struct shadow **pp = &e->shadows[index % SHADOW_BUCKETS];

	while (*pp && (*pp)->flow.index != index)
		pp = &(*pp)->next;
	return pp;
}

/* The reporters' copy of a connection, brought up to the state st. NULL: out of memory. */
static const struct reasm_flow *shadow_of(struct engine *e, const struct reasm_flow *st)
{
	struct shadow **pp = shadow_slot(e, st->index);

	if (!*pp) {
		if (!(*pp = budget_calloc(1, sizeof **pp, "engine")))
			return NULL;
	}
	(*pp)->flow = *st;
	(*pp)->flow.user = NULL;
	return &(*pp)->flow;
}

/* The connection ended: its copy goes once the frame has been given to the reporters (they
 * may keep pointers to it until the frame's end). */
static void shadow_retire(struct engine *e, uint64_t index)
{
	struct shadow **pp = shadow_slot(e, index), *s = *pp;

	if (s) {
		*pp = s->next;
		s->next = e->ending;
		e->ending = s;
	}
}

static void shadows_free(struct engine *e)
{
	for (size_t i = 0; i < SHADOW_BUCKETS; i++)
		while (e->shadows[i]) {
			struct shadow *s = e->shadows[i];
			e->shadows[i] = s->next;
			free(s);
		}
	while (e->ending) {
		struct shadow *s = e->ending;
		e->ending = s->next;
		free(s);
	}
}

/* ---- to the reporters ------------------------------------------------------------------ */

static void give_message(struct engine *e, struct mqtt_record *rec, const struct reasm_flow *st)
{
	if (e->stopped || !(rec->flow = shadow_of(e, st)))
		return;
	e->messages++;
	if (e->cfg.sessions && !session_message(e->cfg.sessions, rec))
		return;
	e->shown++;
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].message)
			e->reps[i].message(e->reps[i].ctx, rec);
}

static void give_event(struct engine *e, struct framer_event *ev, const struct reasm_flow *st)
{
	int pass;

	if (e->stopped || !(ev->flow = shadow_of(e, st)))
		return;
	pass = !e->cfg.sessions || session_event(e->cfg.sessions, ev);
	for (size_t i = 0; pass && i < e->nreps; i++)
		if (e->reps[i].event)
			e->reps[i].event(e->reps[i].ctx, ev);
	if (ev->kind == FRAMER_EV_END)
		shadow_retire(e, st->index);
}

static void give_transport(struct engine *e, struct transport_event *ev,
			   const struct reasm_flow *st)
{
	if (e->stopped || !(ev->flow = shadow_of(e, st)))
		return;
	/* --topic, --client and --type select MQTT messages: TLS and WebSocket steps, which
	 * carry none, are not shown then */
	if (!(e->cfg.sessions && session_filtering(e->cfg.sessions)))
		for (size_t i = 0; i < e->nreps; i++)
			if (e->reps[i].transport)
				e->reps[i].transport(e->reps[i].ctx, ev);
	if (ev->kind == TRANSPORT_EV_TLS_END)
		shadow_retire(e, st->index); /* the framer's end, if it had it, follows at once */
}

static void drop_ending(struct engine *e)
{
	while (e->ending) {
		struct shadow *s = e->ending;
		e->ending = s->next;
		free(s);
	}
}

static void give_item(struct engine *e, struct item *it)
{
	switch (it->kind) {
	case IT_MSG:
		give_message(e, &it->u.rec, &it->flow);
		break;
	case IT_FEV:
		give_event(e, &it->u.fev, &it->flow);
		break;
	default:
		give_transport(e, &it->u.tev, &it->flow);
		break;
	}
}

/* ---- held frames ----------------------------------------------------------------------- */

/* The held frame number frame, or NULL when it is not held (it went out already). */
static struct hframe *held_frame(struct engine *e, uint64_t frame)
{
	size_t lo = e->h0, hi = e->nheld;

	if (lo == hi || frame < e->held[lo]->pkt.frame)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->held[mid]->pkt.frame <= frame)
			lo = mid;
		else
			hi = mid;
	}
	return e->held[lo]; /* the frame, or the held one before a number never seen */
}

/* A copy of the frame (h's data room reused when large enough). */
static struct hframe *frame_copy(struct hframe *h, const struct cap_pkt *pkt)
{
	if (!h || h->cap < pkt->caplen) {
		size_t cap = pkt->caplen > 2048 ? pkt->caplen : 2048;
		free(h);
		if (!(h = budget_malloc(sizeof *h + cap, "engine")))
			return NULL;
		h->cap = cap;
	}
	h->next = NULL;
	h->pkt = *pkt;
	memcpy(h + 1, pkt->data, pkt->caplen);
	h->pkt.data = (const uint8_t *)(h + 1);
	h->begun = 0;
	h->items = h->tail = NULL;
	h->bytes = sizeof *h + h->cap;
	return h;
}

/* Hold h (a frame_copy), in frame order. */
static int push_held(struct engine *e, struct hframe *h, int begun)
{
	if (e->nheld == e->heldcap) {
		if (e->h0) {
			memmove(e->held, e->held + e->h0, (e->nheld - e->h0) * sizeof *e->held);
			e->nheld -= e->h0;
			e->h0 = 0;
		}
		if (e->nheld == e->heldcap) {
			size_t nc = e->heldcap ? e->heldcap * 2 : 64;
			struct hframe **nh = budget_realloc(e->held, nc * sizeof *nh, "engine");
			if (!nh)
				return -1;
			e->held = nh;
			e->heldcap = nc;
		}
	}
	h->begun = begun;
	e->held[e->nheld++] = h;
	e->held_bytes += h->bytes;
	return 0;
}

static void release_oldest(struct engine *e)
{
	struct hframe *h = e->held[e->h0++];
	struct tcp_seg seg;
	int rc;

	if (e->h0 == e->nheld)
		e->h0 = e->nheld = 0;
	e->held_bytes -= h->bytes;
	rc = decode_packet(&h->pkt, &seg);
	if (!h->begun)
		for (size_t i = 0; i < e->nreps; i++)
			if (e->reps[i].frame_begin)
				e->reps[i].frame_begin(e->reps[i].ctx, &h->pkt,
						       rc == DECODE_OK ? &seg : NULL);
	for (struct item *it = h->items; it; it = it->next)
		give_item(e, it);
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].frame_end)
			e->reps[i].frame_end(e->reps[i].ctx, &h->pkt, rc == DECODE_OK ? &seg : NULL);
	drop_ending(e);
	/* what the items point to may be kept by a reporter until the frame's end */
	while (h->items) {
		struct item *it = h->items;
		h->items = it->next;
		free(it);
	}
	h->tail = NULL;
	/* the reporters' view of "the current frame" stays valid until the next one begins
	 * (a message found late, its frame gone, comes between frames) */
	free(e->last_given);
	e->last_given = h;
}

/* Give the frames before wm (all when wm is 0), and the oldest while over the bounds. */
static void release(struct engine *e, uint64_t wm, const struct cap_pkt *now)
{
	while (e->nheld > e->h0) {
		const struct cap_pkt *old = &e->held[e->h0]->pkt;
		if (wm && old->frame >= wm && e->held_bytes <= HOLD_BYTES &&
		    (!now || now->ts_sec - old->ts_sec <= HOLD_SECONDS))
			return;
		release_oldest(e);
	}
}

/* Copy n bytes at p into the item's blob at *o; returns the copy. */
static const void *blob_put(struct item *it, size_t *o, const void *p, size_t n)
{
	uint8_t *d = it->blob + *o;

	if (!p)
		return NULL;
	memcpy(d, p, n);
	*o += n;
	return d;
}

static const char *blob_str(struct item *it, size_t *o, const char *s)
{
	return s ? blob_put(it, o, s, strlen(s) + 1) : NULL;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static void rebase(struct mqtt_view *v, const uint8_t *from, uint32_t n, const uint8_t *to)
{
	if (v->p && v->p >= from && v->p < from + n)
		v->p = to + (v->p - from);
}

static struct item *copy_message(const struct mqtt_record *rec)
{
	size_t extra = rec->topic_from_alias ? rec->msg.topic.len : 0, o = 0;
	struct item *it = budget_malloc(sizeof *it + rec->have + extra, "engine");
	struct mqtt_msg *m;
	struct mqtt_view *views[11];
	const uint8_t *raw;

	if (!it)
		return NULL;
	it->kind = IT_MSG;
	it->nblob = rec->have + extra;
	it->u.rec = *rec;
	m = &it->u.rec.msg;
	raw = blob_put(it, &o, rec->raw, rec->have);
	views[0] = &m->proto_name, views[1] = &m->clientid, views[2] = &m->will_props;
	views[3] = &m->will_topic, views[4] = &m->will_payload, views[5] = &m->username;
	views[6] = &m->password, views[7] = &m->topic, views[8] = &m->payload;
	views[9] = &m->list, views[10] = &m->props;
	for (int i = 0; i < 11; i++)
		rebase(views[i], rec->raw, rec->have, raw);
	if (extra)
		m->topic.p = blob_put(it, &o, rec->msg.topic.p, extra);
	it->u.rec.raw = raw;
	return it;
}

static struct item *copy_transport(const struct transport_event *ev)
{
	const struct tls_client_hello *ch = ev->ch;
	size_t n = slen(ev->proto) + slen(ev->info) + slen(ev->note) + slen(ev->sni) +
		   slen(ev->handshake) + slen(ev->failure) + slen(ev->text) + ev->ncerts * sizeof *ev->certs, o = 0;
	struct transport_event *c;
	struct item *it;

	if (ch)
		n += 32 + ch->sni_len + ch->alpn_len;
	if (ev->sh)
		n += 32;
	if (!(it = budget_malloc(sizeof *it + n, "engine")))
		return NULL;
	it->kind = IT_TEV;
	it->nblob = n;
	c = &it->u.tev;
	*c = *ev;
	c->proto = blob_str(it, &o, ev->proto);
	c->info = blob_str(it, &o, ev->info);
	c->note = blob_str(it, &o, ev->note);
	c->sni = blob_str(it, &o, ev->sni);
	c->handshake = blob_str(it, &o, ev->handshake);
	c->failure = blob_str(it, &o, ev->failure);
	c->text = blob_str(it, &o, ev->text);
	c->certs = ev->ncerts ? blob_put(it, &o, ev->certs, ev->ncerts * sizeof *ev->certs) : NULL;
	if (ch) {
		it->ch = *ch;
		it->ch.random = ch->random ? blob_put(it, &o, ch->random, 32) : NULL;
		it->ch.sni = ch->sni ? blob_put(it, &o, ch->sni, ch->sni_len) : NULL;
		it->ch.alpn = ch->alpn ? blob_put(it, &o, ch->alpn, ch->alpn_len) : NULL;
		c->ch = &it->ch;
	}
	if (ev->sh) {
		it->sh = *ev->sh;
		it->sh.random = ev->sh->random ? blob_put(it, &o, ev->sh->random, 32) : NULL;
		c->sh = &it->sh;
	}
	return it;
}

/* Hold it with its frame; 0 when that frame went out already (then it is given now). */
static int attach(struct engine *e, uint64_t frame, struct item *it,
		  const struct reasm_flow *st)
{
	struct hframe *h = held_frame(e, frame);

	if (!h)
		return 0;
	it->next = NULL;
	it->flow = *st;
	h->bytes += sizeof *it + it->nblob;
	e->held_bytes += sizeof *it + it->nblob;
	if (h->tail)
		h->tail->next = it;
	else
		h->items = it;
	h->tail = it;
	return 1;
}

/* ---- the memory budget -----------------------------------------------------------------
 *
 * Stages charge what they hold; between frames (once the frame's segment went through
 * every stage, before the frame's end), while more than the budget is used, the engine
 * frees down to 7/8 of it (so that it does not come back at every frame), in this order:
 *   1. the frames held for output order go out early (nothing is lost: what is found for
 *      them later comes out of frame order);
 *   2. of reassembly, the framer, the transport and the connections' state, the one
 *      holding the most gives up the oldest of what it holds:
 *      the holes before the oldest segment held (a gap, cause "budget"), the buffers of
 *      the connection holding some the longest (FRAMER_EV_MEMORY), a TLS or HTTP buffer
 *      (a transport error event), the least recently seen connection (closed, why
 *      "memory"); again, until under the target or none of them can free more.
 * Every loss of step 2 is reported to the outputs and counted (budget.h).
 */
static void hold_sync(struct engine *e)
{
	if (e->held_bytes != e->hold_charged) /* nothing held, most frames: no call */
		budget_resize(&e->budget, BUDGET_HOLD, e->hold_charged, e->held_bytes);
	e->hold_charged = e->held_bytes;
}

/* Step 2: the kind holding most that can still free: reassembly, the framer, the
 * transport, or connections; -1 when none can. Session state is not weighed: sessions
 * stop growing their tables of open requests while the budget is spent (session.c), and
 * closing connections for it would cut every later message of them. */
static int heaviest(const struct budget *b, const int *stuck)
{
	static const int kinds[] = { BUDGET_REASM, BUDGET_FRAMER, BUDGET_TRANSPORT, BUDGET_CONN };
	size_t w, most = 0;
	int best = -1;

	for (int i = 0; i < 4; i++) {
		w = b->kind_used[kinds[i]];
		if (!stuck[kinds[i]] && w && (best < 0 || w > most)) {
			best = kinds[i];
			most = w;
		}
	}
	return best;
}

static int evict_one(struct engine *e, int kind, const struct frame_ref *at)
{
	switch (kind) {
	case BUDGET_REASM: return reasm_evict_held(e->reasm, at);
	case BUDGET_FRAMER: return framer_evict(e->framer, at);
	case BUDGET_TRANSPORT: return transport_evict(e->transport, at);
	default: return reasm_evict_flow(e->reasm, at);
	}
}

static void enforce_budget(struct engine *e, const struct frame_ref *at)
{
	struct budget *b = &e->budget;
	int stuck[BUDGET_KINDS] = { 0 };
	size_t target;
	int kind;

	hold_sync(e);
	if (!budget_over(b))
		return;
	target = b->limit - b->limit / 8;
	/* session state is not evicted (it stops growing instead): what counts here is
	 * everything else */
#define HELD (b->used - b->kind_used[BUDGET_SESSION])
	while (HELD > target && e->nheld > e->h0) {
		budget_evicted(b, BUDGET_HOLD, 0);
		e->hold_flushes++;
		release_oldest(e);
		hold_sync(e);
	}
	while (HELD > target && (kind = heaviest(b, stuck)) >= 0) {
		size_t before = b->kind_used[kind];
		if (!evict_one(e, kind, at) || b->kind_used[kind] >= before)
			stuck[kind] = 1; /* nothing more of it can go now */
		hold_sync(e); /* the events of an eviction may be held with their frame */
	}
#undef HELD
}

static void on_message(void *ctx, const struct mqtt_record *rec)
{
	struct engine *e = ctx;
	struct mqtt_record copy;
	struct item *it;

	if (e->stopped)
		return;
	if (e->nheld > e->h0 && held_frame(e, rec->at.frame)) {
		if ((it = copy_message(rec)) && attach(e, rec->at.frame, it, rec->flow))
			return;
		free(it);
	}
	copy = *rec;
	give_message(e, &copy, rec->flow);
}

static void on_event(void *ctx, const struct framer_event *ev)
{
	struct engine *e = ctx;
	struct framer_event copy = *ev;
	struct item *it;

	if (e->stopped)
		return;
	if (e->nheld > e->h0 && held_frame(e, ev->at.frame) &&
	    (it = budget_malloc(sizeof *it, "engine"))) {
		it->kind = IT_FEV;
		it->nblob = 0;
		it->u.fev = *ev;
		if (attach(e, ev->at.frame, it, ev->flow))
			return;
		free(it);
	}
	give_event(e, &copy, ev->flow);
}

static void on_transport(void *ctx, const struct transport_event *ev)
{
	struct engine *e = ctx;
	struct transport_event copy = *ev;
	struct item *it;

	if (e->stopped)
		return;
	if (e->nheld > e->h0 && held_frame(e, ev->at.frame)) {
		if ((it = copy_transport(ev)) && attach(e, ev->at.frame, it, ev->flow))
			return;
		free(it);
	}
	give_transport(e, &copy, ev->flow);
}

/* Every port of ports, tls and ws once, in that order: the ports reassembly follows. */
static int union_ports(const struct engine_config *cfg, struct port_set *all)
{
	port_set_init(all);
	if (port_set_add_set(all, cfg->ports) < 0 || port_set_add_set(all, cfg->tls_ports) < 0 ||
	    port_set_add_set(all, cfg->ws_ports) < 0) {
		port_set_free(all);
		return -1;
	}
	return 0;
}

struct engine *engine_new(const struct engine_config *cfg, struct reporter *reps, size_t n)
{
	struct engine *e = budget_calloc(1, sizeof *e, "engine");
	struct framer_sink fs = { on_message, on_event };
	struct framer_config fc = { cfg->max_buffer, NULL };
	struct transport_sink ts = { on_transport };
	struct transport_config tc = { cfg->ports->list, cfg->ports->n, cfg->tls_ports->list,
				       cfg->tls_ports->n, cfg->ws_ports->list, cfg->ws_ports->n,
				       cfg->detect, cfg->keylog, cfg->keylog_path, NULL };
	struct port_set all;
	struct reasm_config rc = { NULL, 0, cfg->max_held, cfg->max_flows, cfg->flow_timeout,
				   cfg->detect, cfg->reorder_time, NULL };

	if (!e || union_ports(cfg, &all) < 0) {
		free(e);
		return NULL;
	}
	rc.ports = all.list;
	rc.nports = all.n;
	budget_init(&e->budget, cfg->max_memory);
	rc.budget = fc.budget = tc.budget = &e->budget;
	if (cfg->sessions)
		session_set_budget(cfg->sessions, &e->budget);
	e->cfg = *cfg;
	e->cfg.ports = e->cfg.tls_ports = e->cfg.ws_ports = NULL; /* the caller's: read here only */
	e->reps = reps;
	e->nreps = n;
	if (!(e->framer = framer_new(&fc, &fs, e)) ||
	    !(e->transport = transport_new(&tc, framer_reasm_sink(), e->framer, &ts, e)) ||
	    !(e->reasm = reasm_new(&rc, transport_reasm_sink(), e->transport))) {
		port_set_free(&all);
		engine_free(e);
		return NULL;
	}
	port_set_free(&all); /* reassembly and transport keep their own copies */
	return e;
}

/* The oldest frame whose messages may still come: bytes the framer has not decided on, or
 * segments reassembly holds behind a hole. 0: none. */
static uint64_t oldest_pending(const struct engine *e)
{
	uint64_t a = framer_oldest_pending(e->framer), b = reasm_oldest_held(e->reasm);

	return !a ? b : !b ? a : a < b ? a : b;
}

int engine_packet(struct engine *e, const struct cap_pkt *pkt)
{
	struct tcp_seg seg;
	struct hframe *h = NULL;
	const struct cap_pkt *cp = pkt;
	uint64_t wm;
	int rc, holding;

	if (e->stopped)
		return 1;
	e->frames++;
	holding = e->nheld > e->h0;
	if (holding) {
		/* the reporters see this frame later, from a copy of its own */
		if (!(h = frame_copy(NULL, pkt)) || push_held(e, h, 0) < 0) {
			free(h);
			release(e, 0, NULL); /* out of memory: give what is held, go on unheld */
			holding = 0;
		}
	}
	if (!holding) {
		/* the reporters are given a copy that can be kept if the frame must wait (they
		 * may keep pointers into it until its end) */
		if ((e->spare = frame_copy(e->spare, pkt)))
			cp = &e->spare->pkt;
	}
	rc = decode_packet(cp, &seg);
	if (!holding)
		for (size_t i = 0; i < e->nreps; i++)
			if (e->reps[i].frame_begin)
				e->reps[i].frame_begin(e->reps[i].ctx, cp,
						       rc == DECODE_OK ? &seg : NULL);
	if (rc == DECODE_OK)
		reasm_feed(e->reasm, &seg);
	else if (rc == DECODE_TRUNCATED || rc == DECODE_MALFORMED)
		e->bad_frames++;
	if (rc == DECODE_TRUNCATED)
		e->snap_headers++;
	if (e->budget.limit) {
		struct frame_ref at = { pkt->frame, pkt->ts_sec, pkt->ts_nsec, pkt->len };
		enforce_budget(e, &at);
	}
	wm = oldest_pending(e);
	if (!holding && wm && wm <= pkt->frame && e->spare && cp == &e->spare->pkt &&
	    push_held(e, e->spare, 1) == 0) {
		e->spare = NULL; /* messages of this frame may still come: its end waits */
		holding = 1;
	}
	if (!holding) {
		for (size_t i = 0; i < e->nreps; i++)
			if (e->reps[i].frame_end)
				e->reps[i].frame_end(e->reps[i].ctx, cp, rc == DECODE_OK ? &seg : NULL);
		drop_ending(e);
	}
	release(e, wm, pkt);
	hold_sync(e);
	if (e->cfg.max_messages && e->shown >= e->cfg.max_messages)
		e->stopped = 1;
	return e->stopped;
}

void engine_finish(struct engine *e)
{
	if (!e->stopped)
		reasm_finish(e->reasm);
	release(e, 0, NULL);
	if (e->cfg.sessions)
		session_finish(e->cfg.sessions); /* those -c left open */
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].finish)
			e->reps[i].finish(e->reps[i].ctx);
}

void engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	const struct reasm_stats *rs = reasm_stats(e->reasm);
	const struct framer_stats *fs = framer_stats(e->framer);
	const struct transport_stats *xs = transport_stats(e->transport);

	memset(st, 0, sizeof *st);
	st->frames = e->frames;
	st->bad_frames = e->bad_frames;
	st->snap_headers = e->snap_headers;
	st->tcp_segments = rs->segments;
	st->connections = rs->flows - xs->ignored; /* --detect follows every connection */
	/* every hole, lost or cut by the snap length: as many as the JSON stream's gap events */
	st->gaps = rs->gaps + rs->snap_gaps;
	st->gap_bytes = rs->gap_bytes + rs->snap_bytes;
	st->messages = e->messages;
	st->bytes_skipped = fs->bytes_skipped;
	st->incomplete = fs->incomplete;
	st->truncated = fs->truncated;
	st->resyncs = fs->resyncs;
	st->malformed = fs->malformed;
	st->oversize = fs->oversize;
	st->tls_sessions = xs->tls_sessions;
	st->tls_decrypted = xs->tls_decrypted;
	st->ws_sessions = xs->ws_sessions;
	st->detected = xs->detected;
	st->mem_limit = e->budget.limit;
	st->mem_high = e->budget.high;
	st->mem_evictions = budget_evictions(&e->budget) - e->budget.evictions[BUDGET_HOLD];
	st->mem_lost_bytes = budget_evicted_bytes(&e->budget);
	st->hold_flushes = e->hold_flushes;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	e->stopped = 1; /* flows dropped now are not reported */
	reasm_free(e->reasm); /* its close callbacks free the later stages' per-flow state */
	transport_free(e->transport);
	framer_free(e->framer);
	while (e->nheld > e->h0) {
		struct hframe *h = e->held[e->h0++];
		while (h->items) {
			struct item *it = h->items;
			h->items = it->next;
			free(it);
		}
		free(h);
	}
	free(e->held);
	free(e->spare);
	free(e->last_given);
	shadows_free(e);
	free(e);
}
