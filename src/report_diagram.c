/* \summary: --diagram: a sequence (ladder) diagram of the exchange, one column per endpoint
 * (clients left, brokers right), one arrow per MQTT message; as text, SVG or an HTML page
 * whose arrows show their message's detail tree when clicked */
#include "mqttdump/budget.h"
#include "mqttdump/i18n.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns are few in a lesson; a capture with more endpoints draws the first ones only. */
#define MAX_COLS 32
#define TREE_MAX 8192   /* bytes of detail tree kept per arrow (HTML) */
#define FLOW_BUCKETS 256 /* connection -> column: FLOW_WAYS per bucket, the oldest replaced */
#define FLOW_WAYS 4

/* A client column is a client id: its connections one after another (a reconnect) share
 * it. A connection without an id has a column of its own. */
struct column {
	int broker;
	struct tcp_addr addr;
	uint16_t port;
	uint32_t conns;         /* clients: connections drawn in it */
	char name[48];          /* client id as shown, or "client" / "broker" */
	char id[72];            /* the client id (escaped), "" when none is known */
	char where[64];         /* "127.0.0.1:51380": its first connection's */
};

struct flowcol {
	uint64_t flow;
	uint8_t used, col;
};

struct arrow {
	uint64_t frame;
	int64_t sec;
	uint32_t nsec;
	uint8_t from, to, type;
	uint8_t bad;            /* refused, an error reason, or not readable: drawn in red */
	uint8_t reconnect;      /* the first message of a client's next connection */
	char label[120];
	char key[256];           /* reconnect: "reconnect from ADDRESS, " then the fields */
	size_t tree_off, tree_len;
	size_t expl_off, expl_len;
};

struct diagram {
	struct report_opts o;
	struct diagram_opts d;
	struct column cols[MAX_COLS];
	unsigned ncols;
	struct flowcol flows[FLOW_BUCKETS][FLOW_WAYS];
	uint8_t flow_next[FLOW_BUCKETS];
	struct arrow *arrows;
	uint32_t narrows, cap;
	uint64_t dropped, dropped_cols;
	struct report_buf trees; /* HTML: every arrow's tree, one after another */
	struct report_buf expls; /* HTML: every arrow's explanation */
	struct reporter ex;      /* HTML: the explainer that writes them (ctx NULL: none) */
	int have_first;
	int64_t sec0;
	uint32_t nsec0;
};

static void frame_begin(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct diagram *s = ctx;

	(void)seg;
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

/* A new column; -1 when the table is full. */
static int column_add(struct diagram *s, const struct reasm_flow *f, int broker)
{
	struct column *c;

	if (s->ncols == MAX_COLS)
		return -1;
	c = &s->cols[s->ncols];
	memset(c, 0, sizeof *c);
	c->broker = broker;
	c->addr = broker ? f->broker : f->client;
	c->port = broker ? f->broker_port : f->client_port;
	snprintf(c->name, sizeof c->name, "%s", broker ? "broker" : "client");
	addr_port(&c->addr, c->port, c->where, sizeof c->where);
	return (int)s->ncols++;
}

static int broker_column(struct diagram *s, const struct reasm_flow *f)
{
	for (unsigned i = 0; i < s->ncols; i++) {
		const struct column *c = &s->cols[i];
		if (c->broker && c->port == f->broker_port &&
		    !memcmp(&c->addr, &f->broker, sizeof c->addr))
			return (int)i;
	}
	return column_add(s, f, 1);
}

static struct flowcol *flow_slot(struct diagram *s, uint64_t flow)
{
	struct flowcol *b = s->flows[flow % FLOW_BUCKETS];
	for (int i = 0; i < FLOW_WAYS; i++)
		if (b[i].used && b[i].flow == flow)
			return &b[i];
	return NULL;
}

/* The client id of a connection's record, escaped into out ("" when not known): its
 * CONNECT's, else the session tracker's (which saw the CONNECT a filter kept from us). */
static void client_id(const struct diagram *s, const struct mqtt_record *rec, char *out,
		      size_t cap)
{
	const struct session *se;

	out[0] = '\0';
	if (rec->msg.hdr.type == MQTT_CONNECT && rec->dir == REASM_TO_BROKER) {
		if (rec->length_known)
			textesc(out, cap, rec->msg.clientid.p, rec->msg.clientid.len, 64);
	} else if (s->o.sessions && (se = session_of(s->o.sessions, rec->flow)) &&
		   se->clientid_len) {
		textesc(out, cap, se->clientid, se->clientid_len, 64);
	}
}

static void column_name(struct column *c, const char *id)
{
	snprintf(c->id, sizeof c->id, "%s", id);
	/* shown at most 24 bytes long, cut before a character */
	textesc(c->name, sizeof c->name, id, strlen(id), 24);
}

/* The client column of a connection: the one it was given, else its client id's (a
 * reconnect: *reconnect set), else a new one. -1 when the table is full. */
static int client_column(struct diagram *s, const struct mqtt_record *rec, int *reconnect)
{
	const struct reasm_flow *f = rec->flow;
	struct flowcol *fc = flow_slot(s, f->index);
	char id[72];
	int col = -1;

	*reconnect = 0;
	client_id(s, rec, id, sizeof id);
	if (fc) {
		struct column *c = &s->cols[fc->col];
		if (id[0] && !c->id[0])
			column_name(c, id); /* the CONNECT comes after what opened it */
		return fc->col;
	}
	for (unsigned i = 0; id[0] && i < s->ncols; i++)
		if (!s->cols[i].broker && !strcmp(s->cols[i].id, id)) {
			col = (int)i;
			*reconnect = 1;
			break;
		}
	if (col < 0 && (col = column_add(s, f, 0)) >= 0 && id[0])
		column_name(&s->cols[col], id);
	if (col < 0)
		return -1;
	s->cols[col].conns++;
	{
		uint64_t b = f->index % FLOW_BUCKETS;
		fc = &s->flows[b][s->flow_next[b]++ % FLOW_WAYS];
		fc->used = 1;
		fc->flow = f->index;
		fc->col = (uint8_t)col;
	}
	return col;
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
		snprintf(out, cap, _("id \"%s\", keepalive %u%s%s%s"), t, m->keepalive,
			 m->has_username ? _(", user+password") : "", m->has_will ? _(", will") : "",
			 m->connect_flags & 2 ? "" : _(", persistent"));
		break;
	case MQTT_CONNACK:
		cn = m->has_code ? mqtt_code_name(m->hdr.type, rec->version, m->code) : NULL;
		snprintf(out, cap, "%s%s", cn ? cn : "", m->ack_flags & 1 ? _(", session present") : "");
		break;
	case MQTT_PUBLISH:
		short_text(m->payload, t, sizeof t, 24);
		snprintf(out, cap, _("QoS %u%s%s \"%s\""), m->qos, m->retain ? _(", retain") : "",
			 m->dup ? _(", dup") : "", t);
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

/* Room for one more arrow; NULL (counted) when the diagram is full or memory is out. */
static struct arrow *arrow_new(struct diagram *s)
{
	struct arrow *a;

	if (s->narrows >= s->d.max_arrows) {
		s->dropped++;
		return NULL;
	}
	if (s->narrows == s->cap) {
		uint32_t nc = s->cap ? s->cap * 2 : 64;
		struct arrow *na;
		if (nc > s->d.max_arrows)
			nc = s->d.max_arrows;
		if (!(na = budget_realloc(s->arrows, nc * sizeof *na, "diagram"))) {
			s->dropped++;
			return NULL;
		}
		s->arrows = na;
		s->cap = nc;
	}
	a = &s->arrows[s->narrows++];
	memset(a, 0, sizeof *a);
	return a;
}

/* An MQTT 5.0 CONNACK naming a client that sent no id (Assigned Client Identifier). */
static void assigned_id(struct diagram *s, const struct mqtt_record *rec, int c)
{
	struct mqtt_prop p;
	char id[72];

	if (rec->msg.hdr.type != MQTT_CONNACK || s->cols[c].id[0] || !rec->length_known ||
	    !mqtt_find_prop(&rec->msg, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, &p) || !p.str.len)
		return;
	textesc(id, sizeof id, p.str.p, p.str.len, 64);
	column_name(&s->cols[c], id);
}

/* HTML: the message's detail tree, and its explanation, kept for the arrow. */
static void arrow_texts(struct diagram *s, struct arrow *a, const struct mqtt_record *rec)
{
	const struct reasm_flow *f = rec->flow;
	size_t start = s->trees.len;
	char t[40], src[72], dst[72];
	int up = rec->dir == REASM_TO_BROKER;

	report_rel_time(rec->at.ts_sec, rec->at.ts_nsec, s->sec0, s->nsec0, s->o.ts_digits, t,
			sizeof t);
	addr_port(up ? &f->client : &f->broker, up ? f->client_port : f->broker_port, src,
		  sizeof src);
	addr_port(up ? &f->broker : &f->client, up ? f->broker_port : f->client_port, dst,
		  sizeof dst);
	report_buf_printf(&s->trees, _("Frame %" PRIu64 ", %s s, %s \xe2\x86\x92 %s (%s)\n"),
			  rec->at.frame, t, src, dst, up ? _("client to broker") : _("broker to client"));
	report_detail_mqtt(rec, s->o.show_secrets, &s->trees);
	if (s->trees.len - start > TREE_MAX) {
		s->trees.len = start + TREE_MAX;
		report_buf_puts(&s->trees, _("\n[\xe2\x80\xa6 cut]\n"));
	}
	a->tree_off = start;
	a->tree_len = s->trees.len - start;
	a->expl_off = s->expls.len;
	if (s->ex.ctx)
		report_explain_take(s->ex.ctx, &s->expls);
	a->expl_len = s->expls.len - a->expl_off;
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct diagram *s = ctx;
	const struct reasm_flow *f = rec->flow;
	const struct mqtt_msg *m = &rec->msg;
	int reconnect, c, b;
	struct arrow *a;

	if (s->ex.ctx)
		s->ex.message(s->ex.ctx, rec);
	c = client_column(s, rec, &reconnect);
	b = broker_column(s, f);
	if (c >= 0)
		assigned_id(s, rec, c);
	if (c < 0 || b < 0) {
		s->dropped_cols++;
		return;
	}
	if (!(a = arrow_new(s)))
		return;
	a->frame = rec->at.frame;
	a->sec = rec->at.ts_sec;
	a->nsec = rec->at.ts_nsec;
	a->type = m->hdr.type;
	a->from = (uint8_t)(rec->dir == REASM_TO_BROKER ? c : b);
	a->to = (uint8_t)(rec->dir == REASM_TO_BROKER ? b : c);
	a->reconnect = (uint8_t)reconnect;
	{
		/* the summary's Info, escaped; cut to the label with "…" */
		char info[512];
		size_t n = mqtt_info(m, info, sizeof info);
		textesc(a->label, sizeof a->label, info, n < sizeof info ? n : sizeof info - 1, 0);
	}
	if (reconnect) {
		char where[64], key[160];
		addr_port(&f->client, f->client_port, where, sizeof where);
		key_fields(rec, key, sizeof key);
		snprintf(a->key, sizeof a->key, _("reconnect from %s%s%s"), where, key[0] ? ", " : "",
			 key);
	} else {
		key_fields(rec, a->key, sizeof a->key);
	}
	a->bad = mqtt_malformed(m) || !rec->length_known || rec->incomplete || rec->truncated ||
		 (m->has_code && (m->hdr.type == MQTT_CONNACK ? m->code != 0 : m->code >= 0x80));
	for (uint32_t i = 0; m->hdr.type == MQTT_SUBACK && m->list.p && i < m->list.len; i++)
		a->bad |= m->list.p[i] >= 0x80;
	if (s->d.kind == DIAGRAM_HTML)
		arrow_texts(s, a, rec);
}

/* HTML: the explainer follows the connections too; what it says of a connection's end or
 * of TLS is not an arrow's. */
static void event(void *ctx, const struct framer_event *ev)
{
	struct diagram *s = ctx;
	if (!s->ex.ctx)
		return;
	s->ex.event(s->ex.ctx, ev);
	report_explain_take(s->ex.ctx, NULL);
}

static void transport(void *ctx, const struct transport_event *ev)
{
	struct diagram *s = ctx;
	if (!s->ex.ctx)
		return;
	s->ex.transport(s->ex.ctx, ev);
	report_explain_take(s->ex.ctx, NULL);
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
	if (s->dropped) {
		/* two counts: a piece each, so that each agrees with its own number */
		int n = snprintf(out, cap, n_("diagram cut after %" PRIu32 " message",
					      "diagram cut after %" PRIu32 " messages", s->narrows),
				 s->narrows);
		if (n > 0 && (size_t)n < cap)
			snprintf(out + n, cap - (size_t)n, n_(" (%" PRIu64 " more not drawn); use -c "
				 "N, or --diagram-max N", " (%" PRIu64 " more not drawn); use -c N, or "
				 "--diagram-max N", s->dropped), s->dropped);
	} else if (s->dropped_cols) {
		snprintf(out, cap, n_("%" PRIu64 " message of endpoints past the first %d not drawn",
				    "%" PRIu64 " messages of endpoints past the first %d not drawn",
				    s->dropped_cols),
			 s->dropped_cols, MAX_COLS);
	}
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
#define TW_MIN 8   /* the narrowest column of a compact diagram */

/* How the text diagram is laid out: column width, time margin, the width to fit (0: none). */
struct tlayout {
	size_t tw, tm, width;
};

static size_t lifeline(const struct tlayout *L, unsigned pos)
{
	return L->tm + pos * L->tw + L->tw / 2;
}

/* The widest line of the diagram drawn with L, its labels whole. */
static size_t natural_width(const struct diagram *s, const unsigned pos[], const struct tlayout *L)
{
	size_t w = L->tm + s->ncols * L->tw;

	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		size_t x1 = lifeline(L, pos[a->from]), x2 = lifeline(L, pos[a->to]);
		size_t end = (x1 < x2 ? x1 : x2) + 2 + width(a->label) +
			     (a->key[0] ? 2 + width(a->key) : 0);
		if (end > w)
			w = end;
	}
	return w;
}

/* As before when it fits the width (or none is set); else compact: a time margin as wide
 * as the times, columns shared out across the width, labels moved or cut to fit it. */
static void text_layout(const struct diagram *s, const unsigned pos[], struct tlayout *L)
{
	size_t tm = 0;
	char t[40];

	L->tw = TW;
	L->tm = TMARGIN;
	L->width = s->o.width;
	if (!L->width || natural_width(s, pos, L) <= L->width) {
		L->width = 0;
		return;
	}
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		report_rel_time(a->sec, a->nsec, s->sec0, s->nsec0, s->o.ts_digits, t, sizeof t);
		if (strlen(t) + 1 > tm)
			tm = strlen(t) + 1;
	}
	L->tm = tm < TMARGIN ? tm : TMARGIN;
	L->tw = L->width > L->tm ? (L->width - L->tm) / s->ncols : 0;
	if (L->tw > TW)
		L->tw = TW;
	if (L->tw < TW_MIN)
		L->tw = TW_MIN;
}

/* A header text at most n columns: as it is, an address as its ":port" when too long,
 * cut before a character. Returns its bytes. */
static size_t head_text(const char *t, size_t n, const char **out)
{
	const char *colon = strrchr(t, ':');

	if (width(t) > n && colon)
		t = colon; /* an address: its port */
	*out = t;
	return width(t) > n ? report_text_cut(t, strlen(t), n) : strlen(t);
}

static void text_heads(struct diagram *s, const unsigned pos[], const struct tlayout *L,
		       char *line)
{
	FILE *f = s->d.out;
	size_t full = L->tm + s->ncols * L->tw, lw;

	for (int row = 0; row < 2; row++) {
		memset(line, ' ', full);
		for (unsigned i = 0; i < s->ncols; i++) {
			const char *t;
			size_t n = head_text(row ? s->cols[i].where : s->cols[i].name, L->tw - 1, &t);
			size_t x = lifeline(L, pos[i]);
			while (n > L->tw - 1 || (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80))
				n--; /* at most a column's bytes, not inside a character */
			memcpy(line + (x > n / 2 ? x - n / 2 : 0), t, n);
		}
		for (lw = full; lw > 0 && line[lw - 1] == ' '; lw--)
			;
		fprintf(f, "%.*s\n", (int)lw, line);
	}
}

/* The label line of an arrow: time, lifelines, the label from the arrow's left end (moved
 * left, or cut, to fit a compact layout's width). */
static void text_label(struct diagram *s, const struct arrow *a, size_t lo,
		       const struct tlayout *L, char *line, const char *on, const char *off)
{
	FILE *f = s->d.out;
	size_t lw = L->tm + s->ncols * L->tw, start = lo + 2, lab = width(a->label);
	size_t labn = strlen(a->label), end;
	int key = a->key[0] != 0, cut = 0;
	char t[40];

	report_rel_time(a->sec, a->nsec, s->sec0, s->nsec0, s->o.ts_digits, t, sizeof t);
	memset(line, ' ', lw);
	for (unsigned i = 0; i < s->ncols; i++)
		line[lifeline(L, i)] = '|';
	memcpy(line, t, strlen(t) < L->tm - 1 ? strlen(t) : L->tm - 1);
	if (L->width) {
		size_t room = L->width > start ? L->width - start : 0;
		if (lab + (key ? 2 + width(a->key) : 0) > room) {
			key = 0;
			if (lab > room && lab <= L->width - L->tm) {
				start = L->width - lab;
			} else if (lab > room) {
				start = L->tm;
				labn = report_text_cut(a->label, labn, L->width - L->tm - 1);
				lab = width(a->label) - width(a->label + labn) + 1;
				cut = 1;
			}
		}
	}
	end = start + lab + (key ? 2 + width(a->key) : 0);
	fprintf(f, "%.*s%s%.*s%s%s%s%s", (int)start, line, on, (int)labn, a->label,
		cut ? TEXTESC_ELLIPSIS : "", key ? "  " : "", key ? a->key : "", off);
	if (end < lw) {
		/* lifelines after the label go on where it ends short of them */
		size_t e = lw;
		while (e > end && line[e - 1] == ' ')
			e--;
		if (e > end && line[end] == '|') {
			/* the label ends on a lifeline: a space instead, as the label covers
			 * the lifelines it crosses */
			end++;
			if (e > end)
				fputc(' ', f);
		}
		if (e > end)
			fprintf(f, "%.*s", (int)(e - end), line + end);
	}
	fputc('\n', f);
}

static void text_out(struct diagram *s)
{
	FILE *f = s->d.out;
	char line[MAX_COLS * TW + 48], note[200];
	unsigned pos[MAX_COLS];
	struct tlayout L;

	if (s->ncols == 0)
		return;
	positions(s, pos);
	text_layout(s, pos, &L);
	if (s->o.blank_before)
		fputc('\n', f);
	text_heads(s, pos, &L, line);
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		size_t x1 = lifeline(&L, pos[a->from]), x2 = lifeline(&L, pos[a->to]);
		size_t lo = x1 < x2 ? x1 : x2, hi = x1 < x2 ? x2 : x1;
		size_t lw = L.tm + s->ncols * L.tw;
		const char *on = s->d.color ? ansi[family(a)] : "";
		const char *off = s->d.color ? "\033[0m" : "";

		text_label(s, a, lo, &L, line, on, off);
		/* arrow line */
		memset(line, ' ', lw);
		for (unsigned i = 0; i < s->ncols; i++)
			line[lifeline(&L, i)] = '|';
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
#define SW_MIN 150 /* with many columns: the page's width holds six */
#define SM 90    /* left margin: time */
#define SH 56    /* header height */
#define SR 38    /* row height */
#define SHEAD 42 /* where the lifelines start: above, the header */
#define CHAR_W 7.3 /* DejaVu Sans Mono at 12 px: 0.602 em a character */

/* The column width, and the drawing's width: its content's (columns, labels), no more. */
static unsigned svg_sizes(const struct diagram *s, const unsigned pos[], unsigned *sw)
{
	double w;

	*sw = s->ncols <= 4 ? SW : (900 / s->ncols > SW_MIN ? 900 / s->ncols : SW_MIN);
	w = SM + s->ncols * *sw;
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		unsigned x1 = SM + pos[a->from] * *sw + *sw / 2, x2 = SM + pos[a->to] * *sw + *sw / 2;
		char fr[24];
		size_t chars = (size_t)snprintf(fr, sizeof fr, "#%" PRIu64 " ", a->frame) +
			       width(a->label) + (a->key[0] ? 2 + width(a->key) : 0);
		double end = (x1 < x2 ? x1 : x2) + 6 + chars * CHAR_W + 12;
		if (end > w)
			w = end;
	}
	for (unsigned i = 0; i < s->ncols; i++) {
		size_t n = width(s->cols[i].name) > width(s->cols[i].where) ?
			   width(s->cols[i].name) : width(s->cols[i].where);
		double end = SM + pos[i] * *sw + *sw / 2 + n * CHAR_W / 2 + 12;
		if (end > w)
			w = end;
	}
	return (unsigned)w;
}

/* The column names and addresses, centred above their lifelines. */
static void svg_heads(struct diagram *s, const unsigned pos[], unsigned sw)
{
	FILE *f = s->d.out;

	for (unsigned i = 0; i < s->ncols; i++) {
		unsigned x = SM + pos[i] * sw + sw / 2;
		fprintf(f, "<text x=\"%u\" y=\"18\" text-anchor=\"middle\" font-weight=\"bold\">",
			x);
		xml_text(f, s->cols[i].name);
		fprintf(f, "</text>\n<text x=\"%u\" y=\"34\" text-anchor=\"middle\" "
			"fill=\"#555555\">", x);
		xml_text(f, s->cols[i].where);
		fputs("</text>\n", f);
	}
}

static void svg_open(FILE *f, unsigned w, unsigned y0, unsigned h)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 %u %u %u\" font-family=\"DejaVu Sans Mono, monospace\" "
		"font-size=\"12\">\n", w, h, y0, w, h);
	if (y0)
		fprintf(f, "<rect y=\"%u\" width=\"%u\" height=\"%u\" fill=\"#ffffff\"/>\n", y0, w, h);
	else
		fprintf(f, "<rect width=\"%u\" height=\"%u\" fill=\"#ffffff\"/>\n", w, h);
}

static void svg_arrow(struct diagram *s, uint32_t k, const unsigned pos[], unsigned sw,
		      unsigned w, int html)
{
	FILE *f = s->d.out;
	const struct arrow *a = &s->arrows[k];
	unsigned x1 = SM + pos[a->from] * sw + sw / 2, x2 = SM + pos[a->to] * sw + sw / 2;
	unsigned y = SH + k * SR + 24, lx = (x1 < x2 ? x1 : x2) + 6;
	const char *col = svg_color[family(a)];
	int dir = x2 > x1 ? -1 : 1;
	char t[40];

	report_rel_time(a->sec, a->nsec, s->sec0, s->nsec0, s->o.ts_digits, t, sizeof t);
	fprintf(f, "<g class=\"msg\" data-i=\"%" PRIu32 "\"%s>\n", k,
		a->reconnect ? " data-reconnect=\"1\"" : "");
	if (html)
		fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
			"fill=\"transparent\"/>\n", SM - 80, y - 20, w - SM + 70, SR - 6);
	fprintf(f, "<text x=\"8\" y=\"%u\" fill=\"#555555\">%s</text>\n", y, t);
	fprintf(f, "<text x=\"%u\" y=\"%u\" fill=\"%s\">#%" PRIu64 " ", lx, y - 6, col, a->frame);
	xml_text(f, a->label);
	if (a->key[0]) {
		fputs("  <tspan fill=\"#333333\">", f);
		xml_text(f, a->key);
		fputs("</tspan>", f);
	}
	fputs("</text>\n", f);
	fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"%s\" "
		"stroke-width=\"2\"/>\n", x1, y, x2, y, col);
	fprintf(f, "<polygon points=\"%u,%u %d,%u %d,%u\" fill=\"%s\"/>\n</g>\n", x2, y,
		(int)x2 + dir * 9, y - 5, (int)x2 + dir * 9, y + 5, col);
}

/* The SVG file (html 0): one drawing. The HTML page (html 1): the header in a drawing of
 * its own (which the page keeps in sight), then the lifelines and arrows. */
static void svg_out(struct diagram *s, int html)
{
	FILE *f = s->d.out;
	unsigned pos[MAX_COLS], sw;
	unsigned w, h = SH + s->narrows * SR + 40, y0 = 0;
	char note[200];

	positions(s, pos);
	w = svg_sizes(s, pos, &sw);
	if (html) {
		fputs("<div id=\"heads\">\n", f);
		svg_open(f, w, 0, SHEAD);
		svg_heads(s, pos, sw);
		fputs("</svg>\n</div>\n", f);
		y0 = SHEAD;
	}
	svg_open(f, w, y0, h - y0);
	if (!html)
		svg_heads(s, pos, sw);
	for (unsigned i = 0; i < s->ncols; i++) {
		unsigned x = SM + pos[i] * sw + sw / 2;
		fprintf(f, "<line class=\"%s\" x1=\"%u\" y1=\"42\" x2=\"%u\" y2=\"%u\" "
			"stroke=\"#999999\" stroke-dasharray=\"4 3\"/>\n",
			s->cols[i].broker ? "life broker" : "life", x, x, h - 20);
	}
	for (uint32_t k = 0; k < s->narrows; k++)
		svg_arrow(s, k, pos, sw, w, html);
	note_text(s, note, sizeof note);
	if (note[0]) {
		fprintf(f, "<text x=\"8\" y=\"%u\" fill=\"#c62828\">", h - 6);
		xml_text(f, note);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

/* The colour legend: the families of family(), in its order. */
static const char *const family_name[6] = { N_("connection"), N_("publication"),
	N_("acknowledgement"), N_("subscription"), N_("keep alive"), N_("refused or damaged") };

/* The page's language (the catalogue's, lang) and title. */
static void html_head(FILE *f, const char *lang)
{
	fputs("<!DOCTYPE html>\n<html lang=\"", f);
	xml_text(f, lang && *lang ? lang : "en");
	fputs("\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>", f);
	xml_text(f, _("mqttdump sequence diagram"));
	fputs("</title>\n<style>\n"
	      "html, body { margin: 0; height: 100%; }\n"
	      "body { font-family: sans-serif; display: flex; flex-direction: column; }\n"
	      "#top { display: flex; flex-wrap: wrap; gap: .2em 1.2em; align-items: baseline; "
	      "padding: .3em .8em; border-bottom: 1px solid #ccc; font-size: 14px; }\n"
	      "#top h1 { font-size: 16px; margin: 0; }\n"
	      "#legend span { white-space: nowrap; margin-right: .8em; }\n"
	      "#legend i { display: inline-block; width: 1.4em; height: 4px; margin-right: .3em; "
	      "vertical-align: middle; }\n"
	      "#diagram { flex: 1; min-height: 0; overflow: auto; }\n"
	      "#diagram.open { padding-bottom: 46vh; }\n"
	      "#heads { position: sticky; top: 0; z-index: 1; background: #fff; "
	      "border-bottom: 1px solid #ddd; width: max-content; }\n"
	      "#heads svg, #diagram > svg { display: block; }\n"
	      "g.msg { cursor: pointer; }\n"
	      "g.msg:hover text { text-decoration: underline; }\n"
	      "g.msg.sel rect { fill: #fff3c4; }\n"
	      "#panel { position: fixed; left: 0; right: 0; bottom: 0; height: 44vh; z-index: 2; "
	      "display: flex; gap: 1em; box-sizing: border-box; padding: .4em .8em; "
	      "background: #f6f6f6; border-top: 2px solid #888; }\n"
	      "#panel[hidden] { display: none; }\n"
	      "#explain { flex: 1 1 35%; overflow: auto; white-space: pre-wrap; font-size: 14px; "
	      "margin: 0; }\n"
	      "#detail { flex: 1 1 65%; overflow: auto; margin: 0; font-size: 12px; }\n"
	      "#close { position: absolute; top: .2em; right: .4em; }\n"
	      "</style>\n</head>\n<body>\n", f);
}

static void html_out(struct diagram *s)
{
	FILE *f = s->d.out;

	html_head(f, s->d.lang);
	fputs("<div id=\"top\">\n<h1>", f);
	xml_text(f, _("MQTT exchange"));
	fputs("</h1>\n<div id=\"legend\">", f);
	for (int i = 0; i < 6; i++) {
		fprintf(f, "<span><i style=\"background: %s\"></i>", svg_color[i]);
		xml_text(f, _(family_name[i]));
		fputs("</span>", f);
	}
	fputs("</div>\n<div>", f);
	xml_text(f, _("Click an arrow for its detail; Esc closes it."));
	fputs("</div>\n</div>\n<div id=\"diagram\">\n", f);
	svg_out(s, 1);
	fputs("</div>\n<div id=\"panel\" hidden>\n<button id=\"close\" type=\"button\" "
	      "title=\"", f);
	xml_text(f, _("close (Esc)"));
	fputs("\">\xc3\x97</button>\n<div id=\"explain\"></div>\n<pre id=\"detail\">", f);
	xml_text(f, _("Click an arrow."));
	fputs("</pre>\n</div>\n", f);
	for (uint32_t k = 0; k < s->narrows; k++) {
		const struct arrow *a = &s->arrows[k];
		fprintf(f, "<pre class=\"tree\" id=\"t%" PRIu32 "\" hidden>", k);
		xml_textn(f, s->trees.p ? s->trees.p + a->tree_off : "", s->trees.p ? a->tree_len : 0);
		fprintf(f, "</pre>\n<div class=\"expl\" id=\"e%" PRIu32 "\" hidden>", k);
		xml_textn(f, s->expls.p ? s->expls.p + a->expl_off : "", s->expls.p ? a->expl_len : 0);
		fputs("</div>\n", f);
	}
	fputs("<script>\n"
	      "var panel = document.getElementById('panel');\n"
	      "var diagram = document.getElementById('diagram');\n"
	      "function shut() {\n"
	      "  panel.hidden = true; diagram.classList.remove('open');\n"
	      "  document.querySelectorAll('g.msg.sel').forEach(function (o) {\n"
	      "    o.classList.remove('sel'); });\n"
	      "}\n"
	      "document.getElementById('close').addEventListener('click', shut);\n"
	      "document.addEventListener('keydown', function (e) {\n"
	      "  if (e.key === 'Escape') shut(); });\n"
	      "document.querySelectorAll('g.msg').forEach(function (g) {\n"
	      "  g.addEventListener('click', function () {\n"
	      "    var i = g.getAttribute('data-i');\n"
	      "    var t = document.getElementById('t' + i), e = document.getElementById('e' + i);\n"
	      "    document.getElementById('detail').textContent = t ? t.textContent : '';\n"
	      "    document.getElementById('explain').textContent =\n"
	      "      e ? e.textContent.replace(/^ +/gm, '') : '';\n"
	      "    document.querySelectorAll('g.msg.sel').forEach(function (o) {\n"
	      "      o.classList.remove('sel'); });\n"
	      "    g.classList.add('sel');\n"
	      "    panel.hidden = false; diagram.classList.add('open');\n"
	      "    panel.scrollTop = 0;\n"
	      "    /* the arrow stays in sight: below the column names, above the panel */\n"
	      "    var r = g.querySelector('line').getBoundingClientRect();\n"
	      "    var top = document.getElementById('heads').getBoundingClientRect().bottom;\n"
	      "    var bottom = panel.getBoundingClientRect().top;\n"
	      "    if (r.bottom > bottom - 30) diagram.scrollTop += r.bottom - bottom + 60;\n"
	      "    else if (r.top < top + 20) diagram.scrollTop -= top + 40 - r.top;\n"
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
	if (s->ex.free)
		s->ex.free(s->ex.ctx);
	free(s->arrows);
	report_buf_free(&s->trees);
	report_buf_free(&s->expls);
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
	if (s->d.kind == DIAGRAM_HTML) {
		/* its explanations, unwrapped: the page wraps them */
		struct report_opts eo = *o;
		eo.width = 0;
		eo.blank_before = eo.blank_after = 0;
		if (report_explain_new(&eo, d->lang, &s->ex) < 0) {
			free(s);
			return -1;
		}
	}
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->frame_begin = frame_begin;
	r->message = message;
	r->event = event;
	r->transport = transport;
	r->finish = finish;
	r->free = gfree;
	return 0;
}
