/* \summary: one line per frame that ends an MQTT message, in tshark's column layout */
#include "mqttdump/budget.h"
#include "mqttdump/i18n.h"
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* -t d: the time of the record before each of the last DELTA_RING frames, by frame
 * number (a line may come for a frame that waited behind a hole; older ones fall back to
 * the line before, dd). */
#define DELTA_RING 4096

struct prev_ts {
	uint64_t frame;
	int64_t sec;
	uint32_t nsec;
};

/* Addresses formatted once per connection: a capture interleaves hundreds of connections,
 * so remembering only the last one would format two addresses for almost every line. A
 * direct-mapped memo keyed by the connection's index; an entry is used only when its
 * addresses are the flow's (so it is a memo of tcp_addr_str, whatever the index says). */
#define ADDR_MEMO 256

struct addr_memo {
	struct tcp_addr c, b;
	int used;
	char cs[64], bs[64];
};

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
	const char *media;     /* "JSON", "XML": tshark's protocol column says MQTT/JSON */
	struct addr_memo *memo; /* connections' addresses as text, by connection index */
	char *warn;            /* rules its messages break */
	size_t wlen, wcap;
	unsigned nwarn;
	/* the frame's transport line (TLS records, HTTP, WebSocket control frames), printed
	 * before its MQTT line */
	char *tinfo;
	size_t tlen, tcap;
	unsigned nt;
	int t_first;           /* its first record came before the frame's first message */
	struct frame_ref tat;
	const char *tproto;
	char tsrc[64], tdst[64];
	struct report_buf line; /* the line being written: one write a line */
	/* -t d and dd: the record before (each frame's), the line before */
	struct prev_ts *ring;
	int64_t last_sec, shown_sec;
	uint32_t last_nsec, shown_nsec;
	int have_shown;
};

/* Append to a growing string (reused from frame to frame: no allocation once warm). */
static void append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 1024;
		char *ni;
		while (nc < *len + n + 1)
			nc *= 2;
		if (!(ni = budget_realloc(*buf, nc, "summary")))
			return;
		*buf = ni;
		*cap = nc;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static void put(struct summary *s, const char *p, size_t n)
{
	append(&s->info, &s->len, &s->cap, p, n);
}

static void wput(struct summary *s, const char *p, size_t n)
{
	append(&s->warn, &s->wlen, &s->wcap, p, n);
}

static void note(struct summary *s, const struct frame_ref *at, const char *src,
		 const char *dst, const char *text);
static void print_transport(struct summary *s);
static void print_line(struct summary *s);

static void frame_begin(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct summary *s = ctx;

	(void)seg;

	if (!s->have_first) {
		s->have_first = 1;
		s->sec0 = s->last_sec = pkt->ts_sec;
		s->nsec0 = s->last_nsec = pkt->ts_nsec;
	}
	if (s->ring) {
		struct prev_ts *p = &s->ring[pkt->frame % DELTA_RING];
		p->frame = pkt->frame;
		p->sec = s->last_sec;
		p->nsec = s->last_nsec;
		s->last_sec = pkt->ts_sec;
		s->last_nsec = pkt->ts_nsec;
	}
	/* messages given between frames (found late, their own frame gone out) */
	if (s->nt && !(s->nmsg && s->tat.frame == s->at.frame))
		print_transport(s);
	if (s->nmsg)
		print_line(s);
	s->len = 0;
	s->nmsg = 0;
}

/* tshark's Info column holds at most 4095 bytes (COL_MAX_INFO_LEN less the NUL); a cut
 * does not split a UTF-8 character. The cut is made on the text as read, before escaping. */
#define INFO_MAX 4095

/* 1 when the eight bytes in x are all printable ASCII (0x20-0x7e). A byte below 0x20
 * sets its top bit in x - 0x20..; one above 0x7e in x + 0x01.. or in x itself. A borrow or
 * carry can set a later byte's top bit only when an earlier byte is already caught, so
 * the answer is exact. */
static int printable8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, tops = 0x8080808080808080ull;

	return !(((x - 0x20 * ones) | (x + ones) | x) & tops);
}

/* Append n bytes of text that holds wire strings (topics, filters, names) to the line,
 * escaped: no control byte reaches the terminal, nor starts a line of its own. */
static void put_text(struct summary *s, const char *p, size_t n)
{
	size_t i = 0;

	/* most lines are printable ASCII: nothing to escape; looked at eight bytes at a time */
	while (n - i >= 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		if (!printable8(x))
			break;
		i += 8;
	}
	while (i < n && (unsigned char)p[i] >= 0x20 && (unsigned char)p[i] < 0x7f)
		i++;
	if (i == n)
		report_buf_put(&s->line, p, n);
	else
		report_buf_text(&s->line, p, n, 0);
}

/* Start a line with its first columns; line_out writes it (one write a line: the summary
 * writes a line for nearly every frame). */
static void line_start(struct summary *s, const char *head, size_t n)
{
	s->line.len = 0;
	report_buf_put(&s->line, head, n);
}

static void line_out(struct summary *s)
{
	report_buf_put(&s->line, "\n", 1);
	if (s->line.p)
		fwrite(s->line.p, 1, s->line.len, s->o.out);
	if (s->o.line_buffered)
		fflush(s->o.out);
}

/* Append s right-aligned (right = 1) or left-aligned in width columns. */
static char *col(char *o, const char *s, size_t width, int right)
{
	size_t n = strlen(s);

	if (right)
		for (; n < width; width--)
			*o++ = ' ';
	memcpy(o, s, n);
	o += n;
	if (!right)
		for (; n < width; n++)
			*o++ = ' ';
	return o;
}

/* A time of day or a date and time (-t a, ad, u, ud) with the capture's digits. */
static void clock_time(const struct summary *s, const struct frame_ref *at, char *t, size_t n)
{
	static const uint32_t div[10] = { 1000000000, 100000000, 10000000, 1000000, 100000,
					  10000, 1000, 100, 10, 1 };
	int fmt = s->o.time_format, digits = s->o.ts_digits < 0 || s->o.ts_digits > 9 ? 9 :
		  s->o.ts_digits;
	time_t sec = (time_t)at->ts_sec;
	struct tm tm;
	size_t k;

	if (!(fmt == REPORT_TIME_UTC || fmt == REPORT_TIME_UTC_DATE ? gmtime_r(&sec, &tm) :
	      localtime_r(&sec, &tm))) {
		snprintf(t, n, "?");
		return;
	}
	k = strftime(t, n, fmt == REPORT_TIME_ABS_DATE || fmt == REPORT_TIME_UTC_DATE ?
		     "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
	snprintf(t + k, n - k, ".%0*u", digits, at->ts_nsec / div[digits]);
}

/* The time column, as tshark's -t (enum report_time_format). */
static void time_column(struct summary *s, const struct frame_ref *at, char *t, size_t n)
{
	int64_t sec0 = s->sec0;
	uint32_t nsec0 = s->nsec0;

	switch (s->o.time_format) {
	case REPORT_TIME_ABSOLUTE: case REPORT_TIME_ABS_DATE:
	case REPORT_TIME_UTC: case REPORT_TIME_UTC_DATE:
		clock_time(s, at, t, n);
		return;
	case REPORT_TIME_EPOCH:
		sec0 = 0;
		nsec0 = 0;
		break;
	case REPORT_TIME_DELTA:
		if (s->ring && s->ring[at->frame % DELTA_RING].frame == at->frame) {
			sec0 = s->ring[at->frame % DELTA_RING].sec;
			nsec0 = s->ring[at->frame % DELTA_RING].nsec;
		} else { /* the frame is too old to be known: since the line before */
			sec0 = s->have_shown ? s->shown_sec : at->ts_sec;
			nsec0 = s->have_shown ? s->shown_nsec : at->ts_nsec;
		}
		break;
	case REPORT_TIME_DELTA_SHOWN:
		sec0 = s->have_shown ? s->shown_sec : at->ts_sec;
		nsec0 = s->have_shown ? s->shown_nsec : at->ts_nsec;
		break;
	default:
		break;
	}
	report_rel_time(at->ts_sec, at->ts_nsec, sec0, nsec0, s->o.ts_digits, t, n);
	s->have_shown = 1;
	s->shown_sec = at->ts_sec;
	s->shown_nsec = at->ts_nsec;
}

/* The columns before the protocol: "FRAME TIME SRC → DST " as tshark aligns them. */
static char *columns(struct summary *s, char *o, const struct frame_ref *at, const char *src,
		     const char *dst)
{
	char num[24], t[40];

	report_u64(num, at->frame);
	time_column(s, at, t, sizeof t);
	o = col(o, num, 5, 1);
	*o++ = ' ';
	o = col(o, t, 10, 1);
	*o++ = ' ';
	o = col(o, src, 12, 1);
	memcpy(o, " \xe2\x86\x92 ", 5); /* " → " */
	o += 5;
	o = col(o, dst, 12, 0);
	*o++ = ' ';
	return o;
}

/* A frame with both MQTT messages and transport records (a CONNACK and the TLS alert
 * after it in one segment) is one line, as tshark shows it: MQTT, the infos in the
 * frame's order. */
static void merge_transport(struct summary *s)
{
	if (!s->nt || s->tat.frame != s->at.frame)
		return;
	if (s->t_first) {
		char *p = s->info;
		size_t len = s->len, cap = s->cap;
		append(&s->tinfo, &s->tlen, &s->tcap, ", ", 2);
		append(&s->tinfo, &s->tlen, &s->tcap, s->info, s->len);
		s->info = s->tinfo, s->len = s->tlen, s->cap = s->tcap;
		s->tinfo = p, s->tlen = len, s->tcap = cap;
	} else {
		put(s, ", ", 2);
		put(s, s->tinfo, s->tlen);
	}
	s->nt = 0;
	s->tlen = 0;
}

static void print_line(struct summary *s)
{
	char head[256], *o;

	merge_transport(s);
	if (s->len > INFO_MAX) {
		size_t n = INFO_MAX;
		while (n > 0 && ((unsigned char)s->info[n] & 0xc0) == 0x80)
			n--;
		s->info[n] = '\0';
		s->len = n;
	}
	o = columns(s, head, &s->at, s->src, s->dst);
	memcpy(o, "MQTT", 4);
	o += 4;
	if (s->media) {
		*o++ = '/';
		o = col(o, s->media, 0, 0);
	}
	*o++ = ' ';
	o += report_u64(o, s->at.len);
	*o++ = ' ';
	line_start(s, head, (size_t)(o - head));
	put_text(s, s->info ? s->info : "", s->info ? s->len : 0);
	line_out(s);
	s->media = NULL;
	if (s->nwarn)
		note(s, &s->at, s->src, s->dst, s->warn);
	s->nmsg = 0;
	s->len = 0;
	s->nwarn = 0;
	s->wlen = 0;
}

/* A NOTE line: something about the traffic that is not a message (a gap, bytes skipped, a
 * rule a message breaks), in the columns of the frame it belongs to. */
static void note(struct summary *s, const struct frame_ref *at, const char *src,
		 const char *dst, const char *text)
{
	char head[256], *o = columns(s, head, at, src, dst);

	line_start(s, head, (size_t)(o - head));
	report_buf_put(&s->line, "NOTE ", 5);
	put_text(s, text, strlen(text));
	line_out(s);
}

/* The flow's addresses as text (from the memo when it holds them). */
static const struct addr_memo *addr_memo(struct summary *s, const struct reasm_flow *f)
{
	static struct addr_memo one; /* no memo (out of memory): formatted every time */
	struct addr_memo *m = s->memo ? &s->memo[f->index % ADDR_MEMO] : &one;

	if (!m->used || memcmp(&m->c, &f->client, sizeof m->c) ||
	    memcmp(&m->b, &f->broker, sizeof m->b)) {
		tcp_addr_str(&f->client, m->cs, sizeof m->cs);
		tcp_addr_str(&f->broker, m->bs, sizeof m->bs);
		m->c = f->client;
		m->b = f->broker;
		m->used = 1;
	}
	return m;
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
	if (s->nt && s->tat.frame != rec->at.frame)
		print_transport(s);
	if (s->nmsg++ == 0) {
		const struct addr_memo *m = addr_memo(s, rec->flow);
		int up = rec->dir == REASM_TO_BROKER;
		strcpy(s->src, up ? m->cs : m->bs);
		strcpy(s->dst, up ? m->bs : m->cs);
		s->at = rec->at;
	} else {
		put(s, ", ", 2);
	}
	if (mqtt_media_proto(&rec->msg))
		s->media = mqtt_media_proto(&rec->msg);
	need = mqtt_info(&rec->msg, buf, sizeof buf);
	if (need < sizeof buf) {
		put(s, buf, need);
	} else {
		char *big = budget_malloc(need + 1, "summary");
		if (big) {
			mqtt_info(&rec->msg, big, need + 1);
			put(s, big, need);
			free(big);
		}
	}
	if (rec->incomplete || rec->truncated) {
		int n;
		if (rec->length_known)
			/* TRANSLATORS: the form follows the first number (bytes captured); in
			 * English the noun follows the second, so both English forms are alike */
			n = snprintf(buf, sizeof buf, n_(" [%s: %" PRIu32 " of %" PRIu32 " bytes captured]",
							 " [%s: %" PRIu32 " of %" PRIu32 " bytes captured]",
							 rec->captured > rec->have ? rec->captured : rec->have),
				     rec->truncated ? _("truncated") : _("incomplete"),
				     rec->captured > rec->have ? rec->captured : rec->have,
				     rec->msg.hdr.hdrlen + rec->msg.hdr.remlen);
		else
			n = snprintf(buf, sizeof buf, n_(" [%s: fixed header cut after %" PRIu32 " byte]",
						       " [%s: fixed header cut after %" PRIu32 " bytes]",
						       rec->have),
				     rec->truncated ? _("truncated") : _("incomplete"), rec->have);
		put(s, buf, (size_t)n);
	}
	/* Rules broken by a message that still reads (malformed ones say so in Info). */
	for (unsigned i = 0; i < rec->msg.nwarn; i++) {
		const struct mqtt_warning *w = &rec->msg.warn[i];
		int n;
		if (w->malformed)
			continue;
		n = snprintf(buf, sizeof buf, "%s%s: %s%s%s%s", s->nwarn ? "; " : "",
			     mqtt_type_label(rec->msg.hdr.type), i18n_tr(w->text), w->rule ? " [" : "",
			     w->rule ? w->rule : "", w->rule ? "]" : "");
		s->nwarn++;
		wput(s, buf, (size_t)n);
	}
}

/* What --max-memory gave up: a packet of ev->size bytes (two counts: a piece each, so that
 * each noun agrees with its own number), or bytes of the stream. */
static void memory_text(char *text, size_t cap, const struct framer_event *ev)
{
	int n;

	if (!ev->size) {
		snprintf(text, cap, n_("[%" PRIu64 " byte at stream offset %" PRIu64
			 " not decoded: %s]", "[%" PRIu64 " bytes at stream offset %" PRIu64
			 " not decoded: %s]", ev->len), ev->len, ev->offset, i18n_tr(ev->text));
		return;
	}
	n = snprintf(text, cap, n_("[%s of %" PRIu64 " byte at stream offset %" PRIu64
		     " not decoded: %s", "[%s of %" PRIu64 " bytes at stream offset %" PRIu64
		     " not decoded: %s", ev->size), mqtt_type_label(ev->type), ev->size,
		     ev->offset, i18n_tr(ev->text));
	if (n > 0 && (size_t)n < cap)
		snprintf(text + n, cap - (size_t)n, n_(", %" PRIu64 " byte held]",
			 ", %" PRIu64 " bytes held]", ev->len), ev->len);
}

static void event(void *ctx, const struct framer_event *ev)
{
	struct summary *s = ctx;
	char text[320];

	switch (ev->kind) {
	case FRAMER_EV_GAP:
		snprintf(text, sizeof text, n_("[%" PRIu64 " byte %s at stream offset %" PRIu64 "]",
					    "[%" PRIu64 " bytes %s at stream offset %" PRIu64 "]", ev->len),
			 ev->len, ev->cause == REASM_GAP_SNAPLEN ? _("cut by the snap length") :
			 ev->cause == REASM_GAP_BUDGET ? _("given up (--max-memory: held out of order)") :
			 _("not captured (lost segments)"), ev->offset);
		break;
	case FRAMER_EV_SKIPPED:
		snprintf(text, sizeof text, n_("[%" PRIu64 " byte skipped at stream offset %" PRIu64
			 " to find a packet boundary: %s]", "[%" PRIu64 " bytes skipped at stream offset %"
			 PRIu64 " to find a packet boundary: %s]", ev->len), ev->len, ev->offset, i18n_tr(ev->text));
		break;
	case FRAMER_EV_OVERSIZE:
		snprintf(text, sizeof text, n_("[%s of %" PRIu64 " byte over the buffer limit: skipped]",
					    "[%s of %" PRIu64 " bytes over the buffer limit: skipped]", ev->len),
			 mqtt_type_label(ev->type), ev->len);
		break;
	case FRAMER_EV_MEMORY:
		memory_text(text, sizeof text, ev);
		break;
	case FRAMER_EV_VERSION:
		snprintf(text, sizeof text, _("[MQTT %s inferred: %s]"), mqtt_version_name(ev->version),
			 i18n_tr(ev->text));
		break;
	case FRAMER_EV_END:
		/* only the ends the capture does not show: the limits closed the connection */
		if (ev->why == REASM_END_IDLE)
			snprintf(text, sizeof text, "%s", _("[connection closed by mqttdump: idle "
				 "longer than --flow-timeout]"));
		else if (ev->why == REASM_END_EVICTED)
			snprintf(text, sizeof text, "%s", _("[connection closed by mqttdump: "
				 "--max-flows reached, it was the least recently active]"));
		else if (ev->why == REASM_END_MEMORY)
			snprintf(text, sizeof text, "%s", _("[connection closed by mqttdump: "
				 "--max-memory reached, it was the least recently active]"));
		else
			return;
		break;
	default:
		return;
	}
	/* an event comes after the messages of the frame it was noticed in */
	if (s->nmsg && s->at.frame != ev->at.frame)
		print_line(s);
	{
		char c[64], b[64];
		int up = ev->dir == REASM_TO_BROKER;
		tcp_addr_str(&ev->flow->client, c, sizeof c);
		tcp_addr_str(&ev->flow->broker, b, sizeof b);
		note(s, &ev->at, up ? c : b, up ? b : c, text);
	}
}

/* The frame's transport steps, joined by ", " as tshark joins a frame's TLS records. */
static void print_transport(struct summary *s)
{
	char head[256], *o;

	if (s->tlen > INFO_MAX) {
		size_t n = INFO_MAX;
		while (n > 0 && ((unsigned char)s->tinfo[n] & 0xc0) == 0x80)
			n--;
		s->tinfo[n] = '\0';
		s->tlen = n;
	}
	o = columns(s, head, &s->tat, s->tsrc, s->tdst);
	o = col(o, s->tproto, 0, 0);
	*o++ = ' ';
	o += report_u64(o, s->tat.len);
	*o++ = ' ';
	line_start(s, head, (size_t)(o - head));
	put_text(s, s->tinfo, s->tlen);
	line_out(s);
	s->nt = 0;
	s->tlen = 0;
}

static void transport(void *ctx, const struct transport_event *ev)
{
	struct summary *s = ctx;
	char c[64], b[64];
	int up = ev->dir == REASM_TO_BROKER;

	if (s->nt && s->tat.frame != ev->at.frame) {
		if (s->nmsg && s->at.frame == s->tat.frame)
			print_line(s); /* the frame's messages and records: one line */
		else
			print_transport(s);
	}
	tcp_addr_str(&ev->flow->client, c, sizeof c);
	tcp_addr_str(&ev->flow->broker, b, sizeof b);
	switch (ev->kind) {
	case TRANSPORT_EV_TLS:
	case TRANSPORT_EV_HTTP:
	case TRANSPORT_EV_WS:
		if (s->nmsg && s->at.frame != ev->at.frame)
			print_line(s);
		if (s->nt++ == 0) {
			s->t_first = !(s->nmsg && s->at.frame == ev->at.frame);
			strcpy(s->tsrc, up ? c : b);
			strcpy(s->tdst, up ? b : c);
			s->tat = ev->at;
		} else {
			append(&s->tinfo, &s->tlen, &s->tcap, ", ", 2);
		}
		s->tproto = ev->proto; /* the last record's, as tshark shows it */
		append(&s->tinfo, &s->tlen, &s->tcap, ev->info, strlen(ev->info));
		return;
	default: /* TLS_END, DETECTED, ERROR: a NOTE after what the frame showed */
		if (s->nt && !(s->nmsg && s->tat.frame == s->at.frame))
			print_transport(s);
		if (s->nmsg && s->at.frame != ev->at.frame)
			print_line(s);
		if (ev->kind == TRANSPORT_EV_ERROR) {
			char text[320];
			snprintf(text, sizeof text, "[%s: %s]", ev->proto ? ev->proto : _("transport"),
				 i18n_tr(ev->text));
			note(s, &ev->at, up ? c : b, up ? b : c, text);
		} else {
			note(s, &ev->at, up ? c : b, up ? b : c, ev->note ? ev->note : ev->info);
		}
		return;
	}
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct summary *s = ctx;

	(void)pkt;
	(void)seg;
	if (s->nt && !(s->nmsg && s->tat.frame == s->at.frame))
		print_transport(s);
	if (s->nmsg)
		print_line(s);
}

static void finish(void *ctx)
{
	struct summary *s = ctx;

	if (s->nt && !(s->nmsg && s->tat.frame == s->at.frame))
		print_transport(s);
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
	free(s->warn);
	free(s->tinfo);
	free(s->ring);
	free(s->memo);
	report_buf_free(&s->line);
	free(s);
}

int report_summary_new(const struct report_opts *o, struct reporter *r)
{
	struct summary *s = budget_calloc(1, sizeof *s, "summary");

	if (!s)
		return -1;
	s->o = *o;
	s->memo = budget_calloc(ADDR_MEMO, sizeof *s->memo, "summary");
	if (o->time_format == REPORT_TIME_DELTA &&
	    !(s->ring = calloc(DELTA_RING, sizeof *s->ring))) {
		free(s->memo);
		free(s);
		return -1;
	}
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->frame_begin = frame_begin;
	r->message = message;
	r->event = event;
	r->transport = transport;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = sfree;
	return 0;
}
