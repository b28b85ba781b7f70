/* \summary: -w: which captured frames carry the messages the reporters were given
 *
 * A reporter like the others, so it sees exactly the messages that reach the reporters
 * (after any selection in front of them). For each it keeps the connection, the
 * direction and the frames of its first and last byte; a second pass over the file asks
 * report_select_frame() of each record. A message's bytes are contiguous in its
 * direction's stream, so every frame of that direction between the two holds some of
 * them (retransmissions included, as tshark's reassembly would show them).
 */
#include "mqttdump/budget.h"
#include "mqttdump/report.h"

#include <stdlib.h>
#include <string.h>

struct span {
	uint64_t first, last;
	struct tcp_addr src, dst;
	uint16_t sport, dport;
};

struct select {
	struct span *s;
	size_t n, cap;
	int sorted;
	size_t next;       /* second pass: spans[next..] start later */
	size_t *active;    /* second pass: spans that may still hold the current frame */
	size_t nactive, capactive;
};

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct select *x = ctx;
	const struct reasm_flow *f = rec->flow;
	int up = rec->dir == REASM_TO_BROKER;
	struct span *sp;

	if (x->n == x->cap) {
		size_t nc = x->cap ? x->cap * 2 : 1024;
		struct span *ns = budget_realloc(x->s, nc * sizeof *ns, "-w");
		if (!ns)
			return;
		x->s = ns;
		x->cap = nc;
	}
	sp = &x->s[x->n++];
	memset(sp, 0, sizeof *sp);
	sp->first = rec->first_frame && rec->first_frame < rec->at.frame ? rec->first_frame :
		    rec->at.frame;
	sp->last = rec->at.frame;
	sp->src = up ? f->client : f->broker;
	sp->dst = up ? f->broker : f->client;
	sp->sport = up ? f->client_port : f->broker_port;
	sp->dport = up ? f->broker_port : f->client_port;
}

static int by_first(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int same(const struct tcp_addr *a, const struct tcp_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, 16) == 0;
}

int report_select_frame(void *ctx, const struct cap_pkt *pkt)
{
	struct select *x = ctx;
	struct tcp_seg seg;
	size_t keep = 0;
	int hit = 0;

	if (!x->sorted) {
		if (x->n) /* qsort wants a non-null array even for 0 items */
			qsort(x->s, x->n, sizeof *x->s, by_first);
		x->sorted = 1;
	}
	/* spans that have started by now join the active ones */
	while (x->next < x->n && x->s[x->next].first <= pkt->frame) {
		if (x->nactive == x->capactive) {
			size_t nc = x->capactive ? x->capactive * 2 : 64;
			size_t *na = budget_realloc(x->active, nc * sizeof *na, "-w");
			if (!na)
				break;
			x->active = na;
			x->capactive = nc;
		}
		x->active[x->nactive++] = x->next++;
	}
	if (x->nactive == 0 || decode_packet(pkt, &seg) != DECODE_OK || seg.wirelen == 0)
		hit = 0;
	else
		for (size_t i = 0; i < x->nactive && !hit; i++) {
			const struct span *sp = &x->s[x->active[i]];
			hit = sp->last >= pkt->frame && sp->sport == seg.sport &&
			      sp->dport == seg.dport && same(&sp->src, &seg.src) &&
			      same(&sp->dst, &seg.dst);
		}
	/* spans that ended drop out */
	for (size_t i = 0; i < x->nactive; i++)
		if (x->s[x->active[i]].last > pkt->frame)
			x->active[keep++] = x->active[i];
	x->nactive = keep;
	return hit;
}

size_t report_select_count(void *ctx)
{
	return ((struct select *)ctx)->n;
}

static void sfree(void *ctx)
{
	struct select *x = ctx;
	if (!x)
		return;
	free(x->s);
	free(x->active);
	free(x);
}

int report_select_new(struct reporter *r)
{
	struct select *x = budget_calloc(1, sizeof *x, "-w");

	if (!x)
		return -1;
	memset(r, 0, sizeof *r);
	r->ctx = x;
	r->message = message;
	r->free = sfree;
	return 0;
}
