/* \summary: --diagram: a sequence (ladder) diagram of the exchange, one column per endpoint
 * (clients left, brokers right), one arrow per MQTT message; as text, SVG or an HTML page
 * whose arrows show their message's detail tree when clicked */
#include "mqttdump/budget.h"
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns are few in a lesson; a capture with more endpoints draws the first ones only. */
#define MAX_COLS 32
#define TREE_MAX 8192   /* bytes of detail tree kept per arrow (HTML) */

struct column {
	int broker;
	struct tcp_addr addr;
	uint16_t port;
	uint64_t flow;          /* clients: the connection's index */
	char name[48];          /* client id, or "broker" */
	char where[64];         /* "127.0.0.1:51380" */
};

struct arrow {
	uint64_t frame;
	int64_t sec;
	uint32_t nsec;
	uint8_t from, to, type;
	uint8_t bad;            /* refused, an error reason, or not readable: drawn in red */
	char label[120];
	char key[160];
	size_t tree_off, tree_len;
};

struct diagram {
	struct report_opts o;
	struct diagram_opts d;
	struct column cols[MAX_COLS];
	unsigned ncols;
	struct arrow *arrows;
	uint32_t narrows, cap;
	uint64_t dropped, dropped_cols;
	struct report_buf trees; /* HTML: every arrow's tree, one after another */
	int have_first;
	int64_t sec0;
	uint32_t nsec0;
};

static void frame_begin(void *ctx, const struct cap_pkt *pkt)
{
	struct diagram *s = ctx;
	if (!s->have_first) {
		s->have_first = 1;
		s->sec0 = pkt->ts_sec;
		s->nsec0 = pkt->ts_nsec;
	}
}

static void addr_port(const struct tcp_addr *a, uint16_t port, char *out, size_t cap)
{
	char t[64];
	tcp_addr_str(a, t, sizeof t);
	snprintf(out, cap, a->family == 6 ? "[%s]:%u" : "%s:%u", t, port);
}

/* The column of an endpoint, added when new; -1 when the table is full. */
static int column(struct diagram *s, const struct reasm_flow *f, int broker)
{
	for (unsigned i = 0; i < s->ncols; i++) {
		struct column *c = &s->cols[i];
		if (c->broker != broker)
			continue;
		if (broker ? c->port == f->broker_port && !memcmp(&c->addr, &f->broker, sizeof c->addr)
			   : c->flow == f->index)
			return (int)i;
	}
	if (s->ncols == MAX_COLS)
		return -1;
	{
		struct column *c = &s->cols[s->ncols];
		memset(c, 0, sizeof *c);
		c->broker = broker;
		c->addr = broker ? f->broker : f->client;
		c->port = broker ? f->broker_port : f->client_port;
		c->flow = f->index;
		snprintf(c->name, sizeof c->name, "%s", broker ? "broker" : "client");
		addr_port(&c->addr, c->port, c->where, sizeof c->where);
	}
	return (int)s->ncols++;
}

/* Text of a view for labels: what a terminal would obey escaped (textesc.h), so that the
 * text, SVG and HTML diagrams all show it the same; at most max bytes of it, then "…". */
static void short_text(struct mqtt_view v, char *out, size_t cap, size_t max)
{
	textesc(out, cap, v.p, v.len, max);
}

/* The fields worth showing beside the label. */
static void key_fields(const struct mqtt_record *rec, char *out, size_t cap)
{
	const struct mqtt_msg *m = &rec->msg;
	char t[48];
	const char *cn;

	out[0] = '\0';
	if (!rec->length_known || rec->incomplete || rec->truncated)
		return;
	switch (m->hdr.type) {
	case MQTT_CONNECT:
		short_text(m->clientid, t, sizeof t, 32);
		snprintf(out, cap, "id \"%s\", keepalive %u%s%s%s", t, m->keepalive,
			 m->has_username ? ", user+password" : "", m->has_will ? ", will" : "",
			 m->connect_flags & 2 ? "" : ", persistent");
		break;
	case MQTT_CONNACK:
		cn = m->has_code ? mqtt_code_name(m->hdr.type, rec->version, m->code) : NULL;
		snprintf(out, cap, "%s%s", cn ? cn : "", m->ack_flags & 1 ? ", session present" : "");
		break;
	case MQTT_PUBLISH:
		short_text(m->payload, t, sizeof t, 24);
		snprintf(out, cap, "QoS %u%s%s \"%s\"", m->qos, m->retain ? ", retain" : "",
			 m->dup ? ", dup" : "", t);
		break;
	case MQTT_DISCONNECT: case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL:
	case MQTT_PUBCOMP: case MQTT_AUTH:
		cn = m->has_code ? mqtt_code_name(m->hdr.type, rec->version, m->code) : NULL;
		if (cn && m->code)
			snprintf(out, cap, "%s", cn);
		break;
	default:
		break;
	}
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct diagram *s = ctx;
	const struct reasm_flow *f = rec->flow;
	int c = column(s, f, 0), b = column(s, f, 1);
	struct arrow *a;

	if (rec->msg.hdr.type == MQTT_CONNECT && c >= 0 && rec->msg.clientid.len)
		short_text(rec->msg.clientid, s->cols[c].name, sizeof s->cols[c].name, 24);
	if (c < 0 || b < 0) {
		s->dropped_cols++;
		return;
	}
	if (s->narrows >= s->d.max_arrows) {
		s->dropped++;
		return;
	}
	if (s->narrows == s->cap) {
		uint32_t nc = s->cap ? s->cap * 2 : 64;
		struct arrow *na;
		if (nc > s->d.max_arrows)
			nc = s->d.max_arrows;
		if (!(na = budget_realloc(s->arrows, nc * sizeof *na, "diagram"))) {
			s->dropped++;
			return;
		}
		s->arrows = na;
		s->cap = nc;
	}
	a = &s->arrows[s->narrows++];
	memset(a, 0, sizeof *a);
	a->frame = rec->at.frame;
	a->sec = rec->at.ts_sec;
	a->nsec = rec->at.ts_nsec;
	a->type = rec->msg.hdr.type;
	a->from = (uint8_t)(rec->dir == REASM_TO_BROKER ? c : b);
	a->to = (uint8_t)(rec->dir == REASM_TO_BROKER ? b : c);
	{
		/* the summary's Info, escaped; cut to the label with "…" */
		char info[512];
		size_t n = mqtt_info(&rec->msg, info, sizeof info);
		textesc(a->label, sizeof a->label, info, n < sizeof info ? n : sizeof info - 1, 0);
	}
	key_fields(rec, a->key, sizeof a->key);
	{
		const struct mqtt_msg *m = &rec->msg;
		int malformed = mqtt_malformed(m);
		a->bad = malformed || !rec->length_known || rec->incomplete || rec->truncated ||
			 (m->has_code && (m->hdr.type == MQTT_CONNACK ? m->code != 0 :
					  m->code >= 0x80));
		for (uint32_t i = 0; m->hdr.type == MQTT_SUBACK && m->list.p && i < m->list.len; i++)
			a->bad |= m->list.p[i] >= 0x80;
	}
	if (s->d.kind == DIAGRAM_HTML) {
		size_t start = s->trees.len;
		char t[40], src[72], dst[72];
		int up = rec->dir == REASM_TO_BROKER;
		report_rel_time(rec->at.ts_sec, rec->at.ts_nsec, s->sec0, s->nsec0, s->o.ts_digits,
				t, sizeof t);
		addr_port(up ? &f->client : &f->broker, up ? f->client_port : f->broker_port, src,
			  sizeof src);
		addr_port(up ? &f->broker : &f->client, up ? f->broker_port : f->client_port, dst,
			  sizeof dst);
		report_buf_printf(&s->trees, "Frame %" PRIu64 ", %s s, %s \xe2\x86\x92 %s (%s)\n",
				  rec->at.frame, t, src, dst, up ? "client to broker" :
				  "broker to client");
		report_detail_mqtt(rec, s->o.show_secrets, &s->trees);
		if (s->trees.len - start > TREE_MAX) {
			s->trees.len = start + TREE_MAX;
			report_buf_puts(&s->trees, "\n[\xe2\x80\xa6 cut]\n");
		}
		a->tree_off = start;
		a->tree_len = s->trees.len - start;
	}
}

/* Colour family of an arrow: connection, publication, acknowledgement, subscription, ping;
 * trouble (5) before all. */
static int family(const struct arrow *a)
{
	if (a->bad)
		return 5;
	switch (a->type) {
	case MQTT_CONNECT: case MQTT_CONNACK: case MQTT_DISCONNECT: case MQTT_AUTH: return 0;
	case MQTT_PUBLISH: return 1;
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP: return 2;
	case MQTT_SUBSCRIBE: case MQTT_SUBACK: case MQTT_UNSUBSCRIBE: case MQTT_UNSUBACK: return 3;
	case MQTT_PINGREQ: case MQTT_PINGRESP: return 4;
	default: return 5;
	}
}

static const char *const ansi[6] = { "\033[32m", "\033[34m", "\033[36m", "\033[35m",
				     "\033[33m", "\033[31m" };
static const char *const svg_color[6] = { "#2e7d32", "#1565c0", "#00838f", "#6a1b9a",
					  "#ef6c00", "#c62828" };

static void note_text(struct diagram *s, char *out, size_t cap)
{
	out[0] = '\0';
	if (s->dropped)
		snprintf(out, cap, "diagram cut after %" PRIu32 " messages (%" PRIu64 " more not "
			 "drawn); use -c N, or --diagram-max N", s->narrows, s->dropped);
	else if (s->dropped_cols)
		snprintf(out, cap, "%" PRIu64 " messages of endpoints past the first %d not drawn",
			 s->dropped_cols, MAX_COLS);
}

/* Display width of UTF-8 text (one column per character). */
static size_t width(const char *p)
{
	size_t w = 0;
	for (; *p; p++)
		w += ((unsigned char)*p & 0xc0) != 0x80;
	return w;
}

/* Where each column is drawn: clients first, in the order they appeared, brokers right. */
static void positions(const struct diagram *s, unsigned pos[MAX_COLS])
{
	unsigned n = 0;
	for (int broker = 0; broker < 2; broker++)
		for (unsigned i = 0; i < s->ncols; i++)
			if (s->cols[i].broker == broker)
				pos[i] = n++;
}

/* ---- text ------------------------------------------------------------------------------ */

#define TW 22      /* column width */
#define TMARGIN 12 /* time */

static void text_out(struct diagram *s)
{
	FILE *f = s->d.out;
	char line[MAX_COLS * TW + TMARGIN + 8], note[200];
	size_t lw = TMARGIN + s->ncols * TW;
	unsigned pos[MAX_COLS];

	if (s->ncols == 0)
		return;
	positions(s, pos);
	/* two header lines: names, then addresses, each centred on its lifeline */
	for (int row = 0; row < 2; row++) {
		memset(line, ' ', lw);
		for (unsigned i = 0; i < s->ncols; i++) {
			const char *t = row ? s->cols[i].where : s->cols[i].name;
			size_t n = strlen(t), x = TMARGIN + pos[i] * TW + TW / 2;
			if (n > TW - 1) {
				n = TW - 1;
				while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
					n--; /* not inside a character */
			}
			memcpy(line + (x > n / 2 ? x - n / 2 : 0), t, n);
		}
		while (lw > 0 && line[lw - 1] == ' ')
			lw--;
		fprintf(f, "%.*s\n", (int)lw, line);
		lw = TMARGIN + s->ncols * TW;
	}
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		size_t x1 = TMARGIN + pos[a->from] * (size_t)TW + TW / 2;
		size_t x2 = TMARGIN + pos[a->to] * (size_t)TW + TW / 2;
		size_t lo = x1 < x2 ? x1 : x2, hi = x1 < x2 ? x2 : x1;
		char t[40];
		const char *on = s->d.color ? ansi[family(a)] : "";
		const char *off = s->d.color ? "\033[0m" : "";

		report_rel_time(a->sec, a->nsec, s->sec0, s->nsec0, s->o.ts_digits, t, sizeof t);
		/* label line: time, lifelines, the label from the arrow's left end */
		memset(line, ' ', lw);
		for (unsigned i = 0; i < s->ncols; i++)
			line[TMARGIN + i * TW + TW / 2] = '|';
		memcpy(line, t, strlen(t) < TMARGIN - 1 ? strlen(t) : TMARGIN - 1);
		{
			/* lifelines after the label go on where it ends short of them */
			size_t end = lo + 2 + width(a->label) + (a->key[0] ? 2 + width(a->key) : 0);
			fprintf(f, "%.*s%s%s%s%s%s", (int)(lo + 2), line, on, a->label,
				a->key[0] ? "  " : "", a->key, off);
			if (end < lw) {
				size_t e = lw;
				while (e > end && line[e - 1] == ' ')
					e--;
				if (e > end && line[end] == '|') {
					/* the label ends on a lifeline: a space instead, as the
					 * label covers the lifelines it crosses */
					end++;
					if (e > end)
						fputc(' ', f);
				}
				if (e > end)
					fprintf(f, "%.*s", (int)(e - end), line + end);
			}
			fputc('\n', f);
		}
		/* arrow line */
		memset(line, ' ', lw);
		for (unsigned i = 0; i < s->ncols; i++)
			line[TMARGIN + i * TW + TW / 2] = '|';
		for (size_t x = lo + 1; x < hi; x++)
			line[x] = '-';
		if (x2 > x1)
			line[hi - 1] = '>';
		else
			line[lo + 1] = '<';
		{
			size_t e = lw;
			while (e > hi + 1 && line[e - 1] == ' ')
				e--;
			fprintf(f, "%.*s%s%.*s%s%.*s\n", (int)(lo + 1), line, on, (int)(hi - lo - 1),
				line + lo + 1, off, (int)(e - hi), line + hi);
		}
	}
	note_text(s, note, sizeof note);
	if (note[0])
		fprintf(f, "[%s]\n", note);
}

/* ---- SVG and HTML ---------------------------------------------------------------------- */

static void xml_text(FILE *f, const char *p)
{
	for (; *p; p++) {
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*p, f);
		}
	}
}

static void xml_textn(FILE *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch[2] = { p[i], 0 };
		if ((unsigned char)p[i] < 0x20 && p[i] != '\n' && p[i] != '\t')
			ch[0] = '.';
		xml_text(f, ch);
	}
}

#define SW 200   /* column width */
#define SM 90    /* left margin: time */
#define SH 56    /* header height */
#define SR 38    /* row height */

static void svg_out(struct diagram *s, int html)
{
	FILE *f = s->d.out;
	unsigned w = SM + s->ncols * SW + 340, h = SH + s->narrows * SR + 40;
	char t[40], note[200];
	unsigned pos[MAX_COLS];

	positions(s, pos);
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" font-family=\"DejaVu Sans Mono, monospace\" "
		"font-size=\"12\">\n", w, h, w, h);
	fprintf(f, "<rect width=\"%u\" height=\"%u\" fill=\"#ffffff\"/>\n", w, h);
	for (unsigned i = 0; i < s->ncols; i++) {
		unsigned x = SM + pos[i] * SW + SW / 2;
		fprintf(f, "<text x=\"%u\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\">",
			x);
		xml_text(f, s->cols[i].name);
		fprintf(f, "</text>\n<text x=\"%u\" y=\"34\" text-anchor=\"middle\" "
			"fill=\"#555555\">", x);
		xml_text(f, s->cols[i].where);
		fprintf(f, "</text>\n<line x1=\"%u\" y1=\"42\" x2=\"%u\" y2=\"%u\" stroke=\"#999999\" "
			"stroke-dasharray=\"4 3\"/>\n", x, x, h - 20);
	}
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		unsigned x1 = SM + pos[a->from] * SW + SW / 2, x2 = SM + pos[a->to] * SW + SW / 2;
		unsigned y = SH + k * SR + 24, lx = (x1 < x2 ? x1 : x2) + 6;
		const char *col = svg_color[family(a)];
		int dir = x2 > x1 ? -1 : 1;

		report_rel_time(a->sec, a->nsec, s->sec0, s->nsec0, s->o.ts_digits, t, sizeof t);
		fprintf(f, "<g class=\"msg\" data-i=\"%" PRIu32 "\">\n", k);
		if (html)
			fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
				"fill=\"transparent\"/>\n", SM - 80, y - 20, w - SM + 60, SR - 6);
		fprintf(f, "<text x=\"8\" y=\"%u\" fill=\"#555555\">%s</text>\n", y, t);
		fprintf(f, "<text x=\"%u\" y=\"%u\" fill=\"%s\">#%" PRIu64 " ", lx, y - 6, col,
			a->frame);
		xml_text(f, a->label);
		if (a->key[0]) {
			fputs("  ", f);
			fputs("<tspan fill=\"#333333\">", f);
			xml_text(f, a->key);
			fputs("</tspan>", f);
		}
		fputs("</text>\n", f);
		fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"%s\" "
			"stroke-width=\"2\"/>\n", x1, y, x2, y, col);
		fprintf(f, "<polygon points=\"%u,%u %d,%u %d,%u\" fill=\"%s\"/>\n</g>\n", x2, y,
			(int)x2 + dir * 9, y - 5, (int)x2 + dir * 9, y + 5, col);
	}
	note_text(s, note, sizeof note);
	if (note[0]) {
		fprintf(f, "<text x=\"8\" y=\"%u\" fill=\"#c62828\">", h - 6);
		xml_text(f, note);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

static void html_out(struct diagram *s)
{
	FILE *f = s->d.out;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>mqttdump sequence diagram</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 1em; }\n"
	      "#wrap { display: flex; gap: 1em; align-items: flex-start; }\n"
	      "#diagram { overflow: auto; max-height: 95vh; border: 1px solid #ccc; }\n"
	      "g.msg { cursor: pointer; }\n"
	      "g.msg:hover text { text-decoration: underline; }\n"
	      "g.msg.sel rect { fill: #fff3c4; }\n"
	      "#detail { position: sticky; top: 0; min-width: 40em; max-height: 95vh; "
	      "overflow: auto; background: #f6f6f6; border: 1px solid #ccc; padding: .5em; "
	      "margin: 0; font-size: 12px; }\n"
	      "</style>\n</head>\n<body>\n<h1>MQTT exchange</h1>\n"
	      "<p>Click an arrow to see its message's detail tree.</p>\n"
	      "<div id=\"wrap\">\n<div id=\"diagram\">\n", f);
	svg_out(s, 1);
	fputs("</div>\n<pre id=\"detail\">Click an arrow.</pre>\n</div>\n", f);
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		fprintf(f, "<pre class=\"tree\" id=\"t%" PRIu32 "\" hidden>", k);
		xml_textn(f, s->trees.p ? s->trees.p + a->tree_off : "", s->trees.p ? a->tree_len : 0);
		fputs("</pre>\n", f);
	}
	fputs("<script>\n"
	      "document.querySelectorAll('g.msg').forEach(function (g) {\n"
	      "  g.addEventListener('click', function () {\n"
	      "    var t = document.getElementById('t' + g.getAttribute('data-i'));\n"
	      "    document.getElementById('detail').textContent = t ? t.textContent : '';\n"
	      "    document.querySelectorAll('g.msg.sel').forEach(function (o) {\n"
	      "      o.classList.remove('sel'); });\n"
	      "    g.classList.add('sel');\n"
	      "  });\n"
	      "});\n"
	      "</script>\n</body>\n</html>\n", f);
}

static void finish(void *ctx)
{
	struct diagram *s = ctx;

	switch (s->d.kind) {
	case DIAGRAM_TEXT: text_out(s); break;
	case DIAGRAM_SVG: svg_out(s, 0); break;
	default: html_out(s); break;
	}
	fflush(s->d.out);
}

static void gfree(void *ctx)
{
	struct diagram *s = ctx;
	if (!s)
		return;
	free(s->arrows);
	report_buf_free(&s->trees);
	free(s);
}

int report_diagram_new(const struct report_opts *o, const struct diagram_opts *d,
		       struct reporter *r)
{
	struct diagram *s = budget_calloc(1, sizeof *s, "diagram");

	if (!s)
		return -1;
	s->o = *o;
	s->d = *d;
	if (!s->d.out)
		s->d.out = o->out;
	if (!s->d.max_arrows)
		s->d.max_arrows = 2000;
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->frame_begin = frame_begin;
	r->message = message;
	r->finish = finish;
	r->free = gfree;
	return 0;
}
