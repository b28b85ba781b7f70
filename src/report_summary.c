/* \summary: one line per frame that ends an MQTT message, in tshark's column layout */
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct summary {
	struct report_opts o;
	int have_first;
	int64_t sec0;
	uint32_t nsec0;
	char *info;            /* the frame's Info, messages joined by ", " */
	size_t len, cap;
	unsigned nmsg;
	struct frame_ref at;   /* the frame the gathered Info belongs to */
	char src[64], dst[64]; /* its endpoints, from its first message */
};

static void put(struct summary *s, const char *p, size_t n)
{
	if (s->len + n + 1 > s->cap) {
		size_t nc = s->cap ? s->cap : 1024;
		char *ni;
		while (nc < s->len + n + 1)
			nc *= 2;
		if (!(ni = realloc(s->info, nc)))
			return;
		s->info = ni;
		s->cap = nc;
	}
	memcpy(s->info + s->len, p, n);
	s->len += n;
	s->info[s->len] = '\0';
}

static void frame_begin(void *ctx, const struct cap_pkt *pkt)
{
	struct summary *s = ctx;

	if (!s->have_first) {
		s->have_first = 1;
		s->sec0 = pkt->ts_sec;
		s->nsec0 = pkt->ts_nsec;
	}
	s->len = 0;
	s->nmsg = 0;
}

/* tshark's Info column holds at most 4095 bytes (COL_MAX_INFO_LEN less the NUL); a cut
 * does not split a UTF-8 character. */
#define INFO_MAX 4095

static void print_line(struct summary *s)
{
	char t[40];

	if (s->len > INFO_MAX) {
		size_t n = INFO_MAX;
		while (n > 0 && ((unsigned char)s->info[n] & 0xc0) == 0x80)
			n--;
		s->info[n] = '\0';
	}

	report_rel_time(s->at.ts_sec, s->at.ts_nsec, s->sec0, s->nsec0, s->o.ts_digits, t,
			sizeof t);
	fprintf(s->o.out, "%5" PRIu64 " %10s %12s → %-12s MQTT %" PRIu32 " %s\n", s->at.frame, t,
		s->src, s->dst, s->at.len, s->info ? s->info : "");
	if (s->o.line_buffered)
		fflush(s->o.out);
	s->nmsg = 0;
	s->len = 0;
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct summary *s = ctx;
	char buf[512];
	size_t need;

	/* Bytes held behind a lost segment belong to the frame they came in, an earlier one:
	 * such a message gets a line of its own, now. */
	if (s->nmsg && s->at.frame != rec->at.frame)
		print_line(s);
	if (s->nmsg++ == 0) {
		const struct reasm_flow *f = rec->flow;
		int up = rec->dir == REASM_TO_BROKER;
		tcp_addr_str(up ? &f->client : &f->broker, s->src, sizeof s->src);
		tcp_addr_str(up ? &f->broker : &f->client, s->dst, sizeof s->dst);
		s->at = rec->at;
	} else {
		put(s, ", ", 2);
	}
	need = mqtt_info(&rec->msg, buf, sizeof buf);
	if (need < sizeof buf) {
		put(s, buf, need);
	} else {
		char *big = malloc(need + 1);
		if (!big)
			return;
		mqtt_info(&rec->msg, big, need + 1);
		put(s, big, need);
		free(big);
	}
}

static void event(void *ctx, const struct framer_event *ev)
{
	struct summary *s = ctx;
	const struct reasm_flow *f = ev->flow;
	char c[64], b[64], t[40], text[256];

	switch (ev->kind) {
	case FRAMER_EV_GAP:
		snprintf(text, sizeof text, "[%" PRIu64 " bytes lost at stream offset %" PRIu64 "]",
			 ev->len, ev->offset);
		break;
	case FRAMER_EV_BAD_FRAMING:
		snprintf(text, sizeof text, "[not MQTT framing at stream offset %" PRIu64
			 ": resynchronising]", ev->offset);
		break;
	case FRAMER_EV_OVERSIZE:
		snprintf(text, sizeof text, "[%s of %" PRIu64 " bytes over the buffer limit: skipped]",
			 mqtt_type_label(ev->type), ev->len);
		break;
	case FRAMER_EV_INCOMPLETE:
		snprintf(text, sizeof text, "[%s incomplete: %" PRIu64 " of %" PRIu64 " bytes seen]",
			 mqtt_type_label(ev->type), ev->have, ev->len);
		break;
	default:
		return;
	}
	tcp_addr_str(&f->client, c, sizeof c);
	tcp_addr_str(&f->broker, b, sizeof b);
	report_rel_time(ev->at.ts_sec, ev->at.ts_nsec, s->sec0, s->nsec0, s->o.ts_digits, t,
			sizeof t);
	fprintf(s->o.out, "%5" PRIu64 " %10s %12s → %-12s NOTE %s\n", ev->at.frame, t,
		ev->dir == REASM_TO_BROKER ? c : b, ev->dir == REASM_TO_BROKER ? b : c, text);
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct summary *s = ctx;

	(void)pkt;
	(void)seg;
	if (s->nmsg)
		print_line(s);
}

static void finish(void *ctx)
{
	struct summary *s = ctx;

	if (s->nmsg)
		print_line(s); /* messages completed by the capture's end */
	fflush(s->o.out);
}


static void sfree(void *ctx)
{
	struct summary *s = ctx;
	if (!s)
		return;
	free(s->info);
	free(s);
}

int report_summary_new(const struct report_opts *o, struct reporter *r)
{
	struct summary *s = calloc(1, sizeof *s);

	if (!s)
		return -1;
	s->o = *o;
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->frame_begin = frame_begin;
	r->message = message;
	r->event = event;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = sfree;
	return 0;
}
