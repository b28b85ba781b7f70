/* \summary: --explain: what each message means in its exchange, in the language of the
 * process, from the sentence table of explain_en.c translated by po/LANG.po */
#include "mqttdump/budget.h"
#include "mqttdump/explain.h"
#include "mqttdump/i18n.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"
#include "mqttdump/tls.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The table of the catalogue's language: each English template through gettext, once
 * (i18n_init has chosen the language before any output is built). */
const struct explain_table *explain_table(const char *lang)
{
	static const char *text[EX_COUNT];
	static struct explain_table t = { NULL, text };

	if (!lang || !strncmp(lang, "en", 2) || i18n_english())
		return &explain_en;
	if (!t.lang) {
		for (int k = 0; k < EX_COUNT; k++)
			text[k] = _(explain_en.text[k]);
		t.lang = lang;
	}
	return &t;
}

int explain_fill(const char *tmpl, const struct explain_var *vars, size_t nvars, char *out,
		 size_t cap)
{
	size_t o = 0;
	int missing = 0;

	if (cap == 0)
		return 0;
	for (const char *p = tmpl; *p;) {
		const char *val = NULL, *close;
		size_t vl;
		if (*p == '{' && (close = strchr(p + 1, '}'))) {
			size_t nl = (size_t)(close - p - 1);
			for (size_t i = 0; i < nvars; i++)
				if (strlen(vars[i].name) == nl && !memcmp(vars[i].name, p + 1, nl)) {
					val = vars[i].value;
					break;
				}
			if (val) {
				vl = strlen(val);
				if (vl > cap - 1 - o)
					vl = cap - 1 - o;
				memcpy(out + o, val, vl);
				o += vl;
				p = close + 1;
				continue;
			}
			missing++;
		}
		if (o < cap - 1)
			out[o++] = *p;
		p++;
	}
	out[o] = '\0';
	return missing;
}

/* What we remember of a connection: who the client is and what it promised. Kept in a
 * fixed table indexed by the flow's number (a slot is reused), so memory is bounded. */
#define SLOTS 4096

/* A subscription of a connection, from its SUBSCRIBE, granted by the SUBACK with its id. */
#define SUBS 16
#define SUB_PENDING 0xFF

struct sub {
	uint16_t msgid;
	uint8_t granted;            /* SUB_PENDING until the SUBACK; 0x80 and up refused */
	uint8_t len;
	uint8_t rap;                /* 5.0 Retain As Published */
	uint8_t asked;              /* the QoS asked for */
	char filter[125];
};

struct cstate {
	uint64_t index;
	uint8_t used;
	uint8_t has_keepalive;
	uint8_t has_will;
	uint8_t mqtt;               /* an MQTT message was seen on it */
	uint8_t goodbye;            /* a DISCONNECT (either way) or a refusing CONNACK */
	uint8_t session_present;
	uint8_t subs_lost;          /* a SUBSCRIBE did not fit: the list is not the whole */
	uint8_t tls_said;           /* the first encrypted / decrypted record explained */
	uint8_t nsubs;
	uint8_t named;              /* its CONNECT gave a client identifier */
	uint16_t keepalive;
	int64_t up_sec;             /* the client's last MQTT message */
	uint32_t up_nsec;
	struct sub *subs;           /* SUBS of them, allocated at the first SUBSCRIBE */
	char client[72];
};

/* The wills seen in CONNECTs, to recognise the broker publishing one: the last WILLS of
 * them, each with a prefix of its payload. */
#define WILLS 64
#define WILL_PAYLOAD 128

struct will {
	uint64_t flow;
	uint8_t used, said_goodbye;
	char owner[96];
	char topic[256];
	uint32_t topic_len, payload_len;
	uint8_t payload[WILL_PAYLOAD];
};

/* The values a message's sentences may use, by placeholder name. */
struct words {
	char client[96], topic[160], payload[256], id[8], qos[4], ka[8], code[8], reason[96];
	char list[1024], user[96], pwlen[48], resp[160], type[4], owner[96], assigned[96];
	char publisher[96], pub_qos[4], max_qos[4], matches[1024], frame[24], how[64];
	char silence[24], length[24], sni[160], versions[96], tls_version[24], suite[64];
	char subject[256], issuer[256], alert[64], expiry[12];
	struct explain_var v[40];
	size_t n;
};

/* The last PUBS publications of clients, to tell a delivery's original QoS. */
#define PUBS 64
#define PUB_PAYLOAD 64

struct pubseen {
	uint8_t used, qos;
	uint16_t topic_len;
	uint32_t payload_len;
	char client[72];
	char topic[128];
	uint8_t payload[PUB_PAYLOAD];
};

struct explain {
	struct report_opts o;
	struct will wills[WILLS];
	unsigned nwills;
	struct pubseen pubs[PUBS];
	unsigned npubs;
	const struct explain_table *t;
	struct report_buf out;      /* the frame's sentences */
	struct report_buf tmp;
	struct cstate *conns;
	struct words w;             /* the values of the message or event being explained */
};

#define TXT(k) (s->t->text[(k)])

static struct cstate *state_of(struct explain *s, const struct reasm_flow *f)
{
	struct cstate *c = &s->conns[f->index % SLOTS];
	if (!c->used || c->index != f->index) {
		free(c->subs);
		memset(c, 0, sizeof *c);
		c->used = 1;
		c->index = f->index;
	}
	return c;
}

/* A view as text for a sentence: printable UTF-8 kept, what a terminal would obey
 * escaped (textesc.h), long ones shortened to max bytes with "…". */
static void view_text(struct mqtt_view v, char *out, size_t cap, size_t max)
{
	textesc(out, cap, v.p, v.len, max);
}

/* The payload as a sentence shows it: quoted text, "N bytes of binary data", or empty. */
static void payload_text(struct explain *s, struct mqtt_view v, char *out, size_t cap)
{
	char text[160];
	int printable = mqtt_utf8_valid(v);

	for (uint32_t i = 0; printable && i < v.len; i++)
		if (v.p[i] < 0x20 && v.p[i] != '\n' && v.p[i] != '\r' && v.p[i] != '\t')
			printable = 0;
	if (v.len == 0) {
		snprintf(out, cap, "%s", TXT(EX_PAYLOAD_EMPTY));
	} else if (printable) {
		struct explain_var var = { "text", text };
		view_text(v, text, sizeof text, 60);
		explain_fill(TXT(EX_PAYLOAD_TEXT), &var, 1, out, cap);
	} else {
		struct explain_var var = { "n", text };
		/* {n} holds its unit, in the form of its number: "1 byte", "12 bytes" */
		snprintf(text, sizeof text, n_("%" PRIu32 " byte", "%" PRIu32 " bytes", v.len), v.len);
		explain_fill(TXT(EX_PAYLOAD_BINARY), &var, 1, out, cap);
	}
}

static void will_remember(struct explain *s, const struct mqtt_record *rec, const char *owner)
{
	const struct mqtt_msg *m = &rec->msg;
	struct will *w = &s->wills[s->nwills++ % WILLS];

	if (m->will_topic.len > sizeof w->topic)
		return;
	memset(w, 0, sizeof *w);
	w->used = 1;
	w->flow = rec->flow->index;
	snprintf(w->owner, sizeof w->owner, "%s", owner);
	memcpy(w->topic, m->will_topic.p, m->will_topic.len);
	w->topic_len = m->will_topic.len;
	w->payload_len = m->will_payload.len;
	memcpy(w->payload, m->will_payload.p,
	       m->will_payload.len < WILL_PAYLOAD ? m->will_payload.len : WILL_PAYLOAD);
}

/* The will a broker's PUBLISH carries, when it is one of a client that left without a
 * Disconnect; NULL otherwise. */
static const struct will *will_of(const struct explain *s, const struct mqtt_msg *m)
{
	for (unsigned i = 0; i < WILLS; i++) {
		const struct will *w = &s->wills[i];
		uint32_t n = w->payload_len < WILL_PAYLOAD ? w->payload_len : WILL_PAYLOAD;
		if (w->used && !w->said_goodbye && w->topic_len == m->topic.len &&
		    !memcmp(w->topic, m->topic.p, m->topic.len) &&
		    w->payload_len == m->payload.len && !memcmp(w->payload, m->payload.p, n))
			return w;
	}
	return NULL;
}

static void will_goodbye(struct explain *s, uint64_t flow)
{
	for (unsigned i = 0; i < WILLS; i++)
		if (s->wills[i].used && s->wills[i].flow == flow)
			s->wills[i].said_goodbye = 1;
}

/* One sentence into the frame's output. */
static void say(struct explain *s, int key, const struct explain_var *vars, size_t n)
{
	char line[1024];
	explain_fill(TXT(key), vars, n, line, sizeof line);
	if (s->out.len)
		report_buf_put(&s->out, " ", 1);
	report_buf_puts(&s->out, line);
}

static int refused_why(uint8_t version, uint8_t code)
{
	if (version == MQTT_V5) {
		switch (code) {
		case 0x84: return EX_REFUSED_VERSION;
		case 0x85: return EX_REFUSED_ID;
		case 0x88: case 0x89: return EX_REFUSED_UNAVAILABLE;
		case 0x86: return EX_REFUSED_BAD_LOGIN;
		case 0x87: return EX_REFUSED_NOT_AUTHORIZED;
		default: return -1;
		}
	}
	switch (code) {
	case 1: return EX_REFUSED_VERSION;
	case 2: return EX_REFUSED_ID;
	case 3: return EX_REFUSED_UNAVAILABLE;
	case 4: return EX_REFUSED_BAD_LOGIN;
	case 5: return EX_REFUSED_NOT_AUTHORIZED;
	default: return -1;
	}
}

/* The filters of a SUBSCRIBE or UNSUBSCRIBE as a list; *wild set when one has + or #. */
static void filters_text(struct explain *s, const struct mqtt_msg *m, uint8_t version,
			 char *out, size_t cap, int *wild)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t o;
	size_t len = 0;
	int first = 1;
	char topic[128], qos[4], item[256];

	*wild = 0;
	out[0] = '\0';
	for (;;) {
		if (m->hdr.type == MQTT_SUBSCRIBE) {
			if (mqtt_next_sub(&c, version, &f, &o) != MQTT_OK)
				break;
		} else if (mqtt_next_filter(&c, &f) != MQTT_OK) {
			break;
		}
		view_text(f, topic, sizeof topic, 80);
		if (memchr(f.p, '+', f.len) || memchr(f.p, '#', f.len))
			*wild = 1;
		if (m->hdr.type == MQTT_SUBSCRIBE) {
			struct explain_var v[2] = { { "topic", topic }, { "qos", qos } };
			snprintf(qos, sizeof qos, "%u", o & 3);
			explain_fill(TXT(EX_SUB_FILTER), v, 2, item, sizeof item);
		} else {
			snprintf(item, sizeof item, "%s", topic);
		}
		len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s",
					first ? "" : TXT(EX_LIST_SEP), item);
		if (len >= cap)
			break;
		first = 0;
	}
}

static void words_init(struct words *w)
{
	const struct explain_var v[] = {
		{ "client", w->client }, { "topic", w->topic }, { "payload", w->payload },
		{ "id", w->id }, { "qos", w->qos }, { "keepalive", w->ka }, { "code", w->code },
		{ "reason", w->reason }, { "filters", w->list }, { "granted", w->list },
		{ "user", w->user }, { "pwlen", w->pwlen }, { "will_topic", w->topic },
		{ "response_topic", w->resp }, { "type", w->type }, { "version", w->reason },
		{ "owner", w->owner }, { "assigned", w->assigned }, { "publisher", w->publisher },
		{ "pub_qos", w->pub_qos }, { "max_qos", w->max_qos }, { "matches", w->matches },
		{ "frame", w->frame }, { "how", w->how }, { "silence", w->silence },
		{ "length", w->length }, { "sni", w->sni }, { "versions", w->versions },
		{ "tls_version", w->tls_version }, { "suite", w->suite },
		{ "subject", w->subject }, { "issuer", w->issuer }, { "alert", w->alert },
		{ "expiry", w->expiry },
	};
	memset(w, 0, sizeof *w);
	memcpy(w->v, v, sizeof v);
	w->n = sizeof v / sizeof v[0];
}

#define SAY(key) say(s, (key), w->v, w->n)

/* ---- wrapping at the terminal's width ------------------------------------------------- */

static int hexdig(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The bytes of the unit of text at p (n > 0 readable) that no line break may cut: an
 * escape of textesc.h ("\xHH", "\uHHHH") or one UTF-8 character (a stray byte alone). Its
 * columns in *cols. */
static size_t unit_len(const char *p, size_t n, size_t *cols)
{
	size_t k = 0;
	uint32_t cp;

	if (p[0] == '\\' && n >= 4 && p[1] == 'x' && hexdig(p[2]) && hexdig(p[3]))
		k = 4;
	else if (p[0] == '\\' && n >= 6 && p[1] == 'u' && hexdig(p[2]) && hexdig(p[3]) &&
		 hexdig(p[4]) && hexdig(p[5]))
		k = 6;
	if (k) {
		*cols = k;
		return k;
	}
	k = textesc_utf8((const uint8_t *)p, n, &cp);
	*cols = 1;
	return k ? k : 1;
}

/* Columns of the n bytes at p. */
static size_t text_cols(const char *p, size_t n)
{
	size_t w = 0, c, i = 0;

	while (i < n) {
		i += unit_len(p + i, n - i, &c);
		w += c;
	}
	return w;
}

size_t report_text_cut(const char *p, size_t n, size_t cols)
{
	size_t i = 0, used = 0, c;

	while (i < n) {
		size_t k = unit_len(p + i, n - i, &c);
		if (used + c > cols)
			break;
		used += c;
		i += k;
	}
	return i;
}

static void wrap_newline(struct report_buf *b, unsigned indent)
{
	report_buf_put(b, "\n", 1);
	for (unsigned i = 0; i < indent; i++)
		report_buf_put(b, " ", 1);
}

void report_wrap(struct report_buf *b, const char *p, size_t n, unsigned first,
		 unsigned indent, unsigned width)
{
	size_t room = width > first ? width - first : 0, used = 0, i = 0;

	for (unsigned k = 0; k < first; k++)
		report_buf_put(b, " ", 1);
	while (i < n) {
		size_t sp = i, we, ww, c;
		while (sp < n && p[sp] == ' ')
			sp++;
		for (we = sp; we < n && p[we] != ' '; we++)
			;
		ww = text_cols(p + sp, we - sp);
		if (room && used && used + (sp - i) + ww > room) {
			wrap_newline(b, indent); /* the spaces where it breaks go */
			room = width > indent ? width - indent : 0;
			used = 0;
		} else {
			report_buf_put(b, p + i, sp - i);
			used += sp - i;
		}
		/* a word longer than a line: cut between units, never inside one */
		for (size_t j = sp; j < we;) {
			size_t k = unit_len(p + j, we - j, &c);
			if (room && used && used + c > room) {
				wrap_newline(b, indent);
				room = width > indent ? width - indent : 0;
				used = 0;
			}
			report_buf_put(b, p + j, k);
			used += c;
			j += k;
		}
		i = we;
	}
	report_buf_put(b, "\n", 1);
}

/* The paragraph of one message or event, indented, into the frame's text: wrapped at the
 * width when one is set (its next lines indented 2 more, so that a paragraph's start
 * shows), else one line. */
static void paragraph(struct explain *s)
{
	if (!s->out.len)
		return;
	report_wrap(&s->tmp, s->out.p, s->out.len, 6, 8, s->o.width);
	s->out.len = 0;
}

/* ---- subscriptions and what they bring ------------------------------------------------ */

/* Does the topic filter f (fl bytes) match the topic name t (tl bytes)? MQTT §4.7: "+" one
 * level, "#" the level it stands at and all below (the parent too), wildcards at the first
 * level do not match topics that begin with "$"; "$share/GROUP/" is not part of the filter. */
int explain_topic_matches(const char *f, size_t fl, const uint8_t *t, size_t tl)
{
	if (fl > 7 && !memcmp(f, "$share/", 7)) {
		const char *sl = memchr(f + 7, '/', fl - 7);
		if (!sl)
			return 0;
		fl -= (size_t)(sl + 1 - f);
		f = sl + 1;
	}
	return mqtt_topic_match(f, fl, t, tl);
}

static void sub_drop(struct cstate *cs, unsigned k)
{
	cs->subs[k] = cs->subs[--cs->nsubs];
}

/* A SUBSCRIBE's filters, pending until its SUBACK. */
static void subs_add(struct cstate *cs, const struct mqtt_msg *m, uint8_t version)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t o;

	if (!cs->subs && !(cs->subs = budget_calloc(SUBS, sizeof *cs->subs, "--explain"))) {
		cs->subs_lost = 1;
		return;
	}
	while (mqtt_next_sub(&c, version, &f, &o) == MQTT_OK) {
		struct sub *n;
		if (cs->nsubs == SUBS || f.len >= sizeof n->filter) {
			cs->subs_lost = 1;
			continue;
		}
		n = &cs->subs[cs->nsubs++];
		n->msgid = m->msgid;
		n->granted = SUB_PENDING;
		n->len = (uint8_t)f.len;
		n->rap = version == MQTT_V5 && (o & 0x08);
		n->asked = o & 3;
		memcpy(n->filter, f.p, f.len);
	}
}

/* The SUBACK: its codes, in order, to the pending filters of its id; a filter granted
 * again replaces its earlier subscription (MQTT §3.8.4). */
static void subs_granted(struct cstate *cs, const struct mqtt_msg *m)
{
	uint32_t k = 0;

	for (unsigned i = 0; i < cs->nsubs; i++) {
		struct sub *n = &cs->subs[i];
		if (n->granted != SUB_PENDING || n->msgid != m->msgid)
			continue;
		n->granted = m->list.p && k < m->list.len ? m->list.p[k] : 0x80;
		k++;
		for (unsigned j = 0; j < cs->nsubs; j++)
			if (j != i && cs->subs[j].granted != SUB_PENDING &&
			    cs->subs[j].len == n->len && !memcmp(cs->subs[j].filter, n->filter, n->len)) {
				sub_drop(cs, j);
				i = (unsigned)-1; /* the list moved: start again */
				break;
			}
	}
}

static void subs_remove(struct cstate *cs, const struct mqtt_msg *m)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;

	while (mqtt_next_filter(&c, &f) == MQTT_OK)
		for (unsigned i = 0; i < cs->nsubs; i++)
			if (cs->subs[i].len == f.len && !memcmp(cs->subs[i].filter, f.p, f.len)) {
				sub_drop(cs, i);
				break;
			}
}

/* Does a subscription with Retain As Published match this delivery's topic? */
static int rap_matches(const struct cstate *cs, const struct mqtt_msg *m)
{
	for (unsigned i = 0; i < cs->nsubs; i++)
		if (cs->subs[i].rap && cs->subs[i].granted <= 2 &&
		    explain_topic_matches(cs->subs[i].filter, cs->subs[i].len, m->topic.p,
					  m->topic.len))
			return 1;
	return 0;
}

static void pub_remember(struct explain *s, const struct mqtt_msg *m, const char *client)
{
	struct pubseen *p = &s->pubs[s->npubs++ % PUBS];

	if (m->topic.len > sizeof p->topic)
		return;
	memset(p, 0, sizeof *p);
	p->used = 1;
	p->qos = m->qos;
	snprintf(p->client, sizeof p->client, "%s", client);
	memcpy(p->topic, m->topic.p, m->topic.len);
	p->topic_len = (uint16_t)m->topic.len;
	p->payload_len = m->payload.len;
	memcpy(p->payload, m->payload.p, m->payload.len < PUB_PAYLOAD ? m->payload.len : PUB_PAYLOAD);
}

/* The latest publication a delivery carries: same topic, same payload (its first bytes). */
static const struct pubseen *pub_of(const struct explain *s, const struct mqtt_msg *m)
{
	for (unsigned k = 0; k < PUBS; k++) {
		const struct pubseen *p = &s->pubs[(s->npubs + PUBS - 1 - k) % PUBS];
		uint32_t n = p->payload_len < PUB_PAYLOAD ? p->payload_len : PUB_PAYLOAD;
		if (p->used && p->topic_len == m->topic.len && p->payload_len == m->payload.len &&
		    !memcmp(p->topic, m->topic.p, m->topic.len) && !memcmp(p->payload, m->payload.p, n))
			return p;
	}
	return NULL;
}

/* The subscriptions of cs that match m's topic, as a list in w->matches: granted ones
 * (pending 0) with their granted QoS, or those still waiting for their SUBACK (pending 1)
 * with the QoS asked. Returns how many, *max the highest QoS. 0 with *max -1 when the
 * list would not fit. */
static int matching(struct explain *s, const struct cstate *cs, const struct mqtt_msg *m,
		    int pending, struct words *w, int *max)
{
	size_t len = 0;
	int found = 0;
	char q[4];

	*max = -1;
	w->matches[0] = '\0';
	for (unsigned i = 0; i < cs->nsubs; i++) {
		const struct sub *n = &cs->subs[i];
		char f[160], item[256];
		if ((pending ? n->granted != SUB_PENDING : n->granted > 2) ||
		    !explain_topic_matches(n->filter, n->len, m->topic.p, m->topic.len))
			continue;
		textesc(f, sizeof f, n->filter, n->len, 80);
		snprintf(q, sizeof q, "%u", pending ? n->asked : n->granted);
		explain_fill(TXT(pending ? EX_SUB_FILTER : EX_MATCH_ITEM),
			     (struct explain_var[]){ { "topic", f }, { "qos", q } }, 2, item,
			     sizeof item);
		len += (size_t)snprintf(w->matches + len, len < sizeof w->matches ?
					sizeof w->matches - len : 0, "%s%s",
					found++ ? TXT(EX_LIST_SEP) : "", item);
		if (!pending && n->granted > *max)
			*max = n->granted;
	}
	if (len >= sizeof w->matches) {
		*max = -1;
		return 0;
	}
	return found;
}

/* A delivery: the subscriptions of this client that match its topic, and the QoS. */
static void explain_delivery(struct explain *s, const struct mqtt_msg *m, struct cstate *cs,
			     struct words *w)
{
	int max;
	const struct pubseen *p;

	if (matching(s, cs, m, 0, w, &max)) {
		SAY(EX_PUB_MATCHED);
		p = pub_of(s, m);
		if (p && p->qos > m->qos && m->qos == max) {
			snprintf(w->publisher, sizeof w->publisher, "%s", p->client);
			snprintf(w->pub_qos, sizeof w->pub_qos, "%u", p->qos);
			snprintf(w->max_qos, sizeof w->max_qos, "%d", max);
			SAY(EX_PUB_DOWNGRADE);
		}
	} else if (matching(s, cs, m, 1, w, &max)) {
		SAY(EX_PUB_MATCHED_PENDING);
		if (cs->session_present)
			SAY(EX_PUB_PENDING_SESSION);
	} else if (cs->session_present && !cs->subs_lost) {
		SAY(EX_PUB_FROM_SESSION);
	}
}

/* ---- one sentence group per packet type ------------------------------------------------ */

static void explain_connect(struct explain *s, const struct mqtt_record *rec, struct words *w)
{
	const struct mqtt_msg *m = &rec->msg;
	const char *vn = mqtt_version_name(m->proto_level);

	snprintf(w->reason, sizeof w->reason, "%s", vn ? vn : "?");
	SAY(m->keepalive ? EX_CONNECT : EX_CONNECT_NO_KEEPALIVE);
	if (m->clientid.len == 0 && m->proto_level == MQTT_V5)
		SAY(EX_CONNECT_EMPTY_ID_V5);
	else if (m->clientid.len == 0 && m->proto_level == MQTT_V311)
		SAY(EX_CONNECT_EMPTY_ID);
	if (m->proto_level == MQTT_V5) {
		struct mqtt_prop p;
		uint32_t expiry = mqtt_find_prop(m, MQTT_PROP_SESSION_EXPIRY_INTERVAL, &p) ?
				  p.num : 0;
		snprintf(w->expiry, sizeof w->expiry, "%" PRIu32, expiry);
		if (!(m->connect_flags & 0x02))
			SAY(EX_CONNECT_CLEAN_START_0);
		if (expiry == UINT32_MAX)
			SAY(EX_CONNECT_EXPIRY_NEVER);
		else if (expiry)
			SAY(EX_CONNECT_EXPIRY);
		else if (!(m->connect_flags & 0x02))
			SAY(EX_CONNECT_NO_EXPIRY);
	} else if (!(m->connect_flags & 0x02)) {
		SAY(EX_CONNECT_PERSISTENT);
	}
	if (m->has_will) {
		will_remember(s, rec, w->client);
		view_text(m->will_topic, w->topic, sizeof w->topic, 100);
		payload_text(s, m->will_payload, w->payload, sizeof w->payload);
		snprintf(w->qos, sizeof w->qos, "%u", (m->connect_flags >> 3) & 3);
		SAY(EX_CONNECT_WILL);
		if (m->connect_flags & 0x20)
			SAY(EX_CONNECT_WILL_RETAIN);
	}
	if (m->has_username) {
		int tls = rec->flow->in_tls;
		view_text(m->username, w->user, sizeof w->user, 60);
		/* {pwlen} holds its unit, in the form of its number: "1 byte", "10 bytes" */
		snprintf(w->pwlen, sizeof w->pwlen, n_("%" PRIu32 " byte", "%" PRIu32 " bytes",
						       m->password.len), m->password.len);
		if (m->has_password)
			SAY(tls ? EX_CONNECT_USER_PASS_TLS : EX_CONNECT_USER_PASS);
		else
			SAY(tls ? EX_CONNECT_USER_TLS : EX_CONNECT_USER);
	}
}

static void explain_connack(struct explain *s, const struct mqtt_record *rec, struct cstate *cs,
			    struct words *w, uint8_t version)
{
	const struct mqtt_msg *m = &rec->msg;
	struct mqtt_prop p;

	if (m->has_code && m->code != 0) {
		int why = refused_why(version, m->code);
		cs->goodbye = 1; /* the broker closes: no Disconnect is due */
		SAY(EX_CONNACK_REFUSED);
		if (why >= 0)
			SAY(why);
		return;
	}
	/* only for a client that sent none (MQTT 5.0 §3.2.2.3.7): a broker breaking that rule
	 * does not rename a client */
	if (!cs->named && mqtt_find_prop(m, MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER, &p)) {
		view_text(p.str, cs->client, sizeof cs->client, 64);
		snprintf(w->assigned, sizeof w->assigned, "%s", cs->client);
		snprintf(w->client, sizeof w->client, "%s", w->assigned);
	}
	SAY(EX_CONNACK_OK);
	if (w->assigned[0])
		SAY(EX_CONNACK_ASSIGNED);
	if (m->ack_flags & 1) {
		cs->session_present = 1;
		SAY(EX_CONNACK_SESSION);
	}
}

static void explain_publish(struct explain *s, const struct mqtt_record *rec, struct cstate *cs,
			    struct words *w, int up)
{
	static const int keys[3][2] = { { EX_PUB0_B2C, EX_PUB0_C2B }, { EX_PUB1_B2C, EX_PUB1_C2B },
					{ EX_PUB2_B2C, EX_PUB2_C2B } };
	const struct mqtt_msg *m = &rec->msg;
	struct mqtt_prop p;

	if (m->qos <= 2) /* QoS 3 does not exist: the warning says so */
		SAY(keys[m->qos][up]);
	if (m->dup)
		SAY(EX_PUB_DUP);
	if (m->retain && up)
		SAY(m->payload.len == 0 ? EX_PUB_RETAIN_CLEAR : EX_PUB_RETAIN_C2B);
	else if (m->retain)
		SAY(rap_matches(cs, m) ? EX_PUB_RETAIN_RAP : EX_PUB_RETAIN_B2C);
	if (rec->topic_from_alias)
		SAY(EX_PUB_TOPIC_ALIAS);
	if (up && m->qos <= 2)
		pub_remember(s, m, w->client);
	if (up && (m->qos == 1 || m->qos == 2))
		SAY(EX_PUB_HOP);
	if (!up) {
		const struct will *wl = will_of(s, m);
		if (wl) {
			snprintf(w->owner, sizeof w->owner, "%s", wl->owner);
			SAY(EX_PUB_IS_WILL);
		}
		if (m->qos <= 2)
			explain_delivery(s, m, cs, w);
	}
	if (mqtt_find_prop(m, MQTT_PROP_RESPONSE_TOPIC, &p)) {
		struct mqtt_prop cd;
		view_text(p.str, w->resp, sizeof w->resp, 100);
		SAY(mqtt_find_prop(m, MQTT_PROP_CORRELATION_DATA, &cd) ? EX_PUB_RESPONSE_TOPIC :
		    EX_PUB_RESPONSE_NO_CORR);
	} else if (mqtt_find_prop(m, MQTT_PROP_CORRELATION_DATA, &p)) {
		SAY(EX_PUB_CORRELATION);
	}
}

static void explain_suback(struct explain *s, const struct mqtt_record *rec, struct cstate *cs,
			   struct words *w, uint8_t version)
{
	const struct mqtt_msg *m = &rec->msg;
	size_t len = 0;

	for (uint32_t i = 0; m->list.p && i < m->list.len && len < sizeof w->list; i++) {
		uint8_t g = m->list.p[i];
		char item[160];
		const char *gn = mqtt_code_name(MQTT_SUBACK, version, g);
		snprintf(w->qos, sizeof w->qos, "%u", g);
		snprintf(w->reason, sizeof w->reason, "%s", gn ? gn : "?");
		explain_fill(TXT(g <= 2 ? EX_GRANTED : EX_GRANT_REFUSED), w->v, w->n, item,
			     sizeof item);
		len += (size_t)snprintf(w->list + len, sizeof w->list - len, "%s%s",
					i ? TXT(EX_LIST_SEP) : "", item);
	}
	subs_granted(cs, m);
	SAY(EX_SUBACK);
}

static void explain_ack(struct explain *s, const struct mqtt_record *rec, struct words *w,
			int up)
{
	static const int keys[4][2] = { { EX_PUBACK_B2C, EX_PUBACK_C2B },
					{ EX_PUBREC_B2C, EX_PUBREC_C2B },
					{ EX_PUBREL_B2C, EX_PUBREL_C2B },
					{ EX_PUBCOMP_B2C, EX_PUBCOMP_C2B } };
	const struct mqtt_msg *m = &rec->msg;

	SAY(keys[m->hdr.type - MQTT_PUBACK][up]);
	if (m->has_code && m->code >= 0x80)
		SAY(EX_ACK_REASON);
}

static void explain_disconnect(struct explain *s, const struct mqtt_record *rec,
			       struct cstate *cs, struct words *w, int up)
{
	const struct mqtt_msg *m = &rec->msg;

	cs->goodbye = 1;
	if (!up) {
		SAY(EX_DISCONNECT_B2C);
	} else if (m->has_code && m->code == MQTT_RC_DISCONNECT_WITH_WILL) {
		SAY(EX_DISCONNECT_WILL);
	} else {
		will_goodbye(s, rec->flow->index);
		SAY(EX_DISCONNECT_C2B);
		if (cs->has_will)
			SAY(EX_DISCONNECT_DROP_WILL);
	}
}

/* The words every sentence of a message may use. */
static void message_words(struct explain *s, const struct mqtt_record *rec, struct cstate *cs,
			  struct words *w, uint8_t version)
{
	const struct mqtt_msg *m = &rec->msg;
	const char *cn;

	if (cs->client[0]) {
		snprintf(w->client, sizeof w->client, "%s", cs->client);
	} else {
		char a[64];
		tcp_addr_str(&rec->flow->client, a, sizeof a);
		snprintf(w->client, sizeof w->client, rec->flow->client.family == 6 ? "[%s]:%u" :
			 "%s:%u", a, rec->flow->client_port);
	}
	view_text(m->topic, w->topic, sizeof w->topic, 100);
	payload_text(s, m->payload, w->payload, sizeof w->payload);
	snprintf(w->id, sizeof w->id, "%u", m->msgid);
	snprintf(w->qos, sizeof w->qos, "%u", m->qos);
	snprintf(w->ka, sizeof w->ka, "%u", cs->keepalive);
	snprintf(w->code, sizeof w->code, m->code >= 0x80 ? "0x%02X" : "%u", m->code);
	snprintf(w->type, sizeof w->type, "%u", m->hdr.type);
	cn = m->has_code ? mqtt_code_name(m->hdr.type, version, m->code) : NULL;
	snprintf(w->reason, sizeof w->reason, "%s", cn ? cn : "?");
}

static void explain_type(struct explain *s, const struct mqtt_record *rec, struct cstate *cs,
			 struct words *w, uint8_t version)
{
	const struct mqtt_msg *m = &rec->msg;
	int up = rec->dir == REASM_TO_BROKER, wild = 0;

	switch (m->hdr.type) {
	case MQTT_CONNECT:
		explain_connect(s, rec, w);
		break;
	case MQTT_CONNACK:
		explain_connack(s, rec, cs, w, version);
		break;
	case MQTT_PUBLISH:
		explain_publish(s, rec, cs, w, up);
		break;
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
		explain_ack(s, rec, w, up);
		break;
	case MQTT_SUBSCRIBE:
		filters_text(s, m, version, w->list, sizeof w->list, &wild);
		if (up)
			subs_add(cs, m, version);
		SAY(EX_SUBSCRIBE);
		if (wild)
			SAY(EX_SUB_WILDCARD);
		break;
	case MQTT_SUBACK:
		explain_suback(s, rec, cs, w, version);
		break;
	case MQTT_UNSUBSCRIBE:
		filters_text(s, m, version, w->list, sizeof w->list, &wild);
		if (up)
			subs_remove(cs, m);
		SAY(EX_UNSUBSCRIBE);
		break;
	case MQTT_UNSUBACK:
		SAY(EX_UNSUBACK);
		break;
	case MQTT_PINGREQ:
		SAY(cs->has_keepalive && cs->keepalive ? EX_PINGREQ : EX_PINGREQ_NO_KEEPALIVE);
		break;
	case MQTT_PINGRESP:
		SAY(EX_PINGRESP);
		break;
	case MQTT_DISCONNECT:
		explain_disconnect(s, rec, cs, w, up);
		break;
	case MQTT_AUTH:
		SAY(EX_AUTH);
		break;
	default:
		SAY(EX_RESERVED);
		break;
	}
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct explain *s = ctx;
	const struct mqtt_msg *m = &rec->msg;
	struct cstate *cs = state_of(s, rec->flow);
	uint8_t version = rec->version ? rec->version : MQTT_V311;
	struct words *w = &s->w;

	words_init(w);
	if (m->hdr.type == MQTT_CONNECT) {
		cs->client[0] = '\0';
		if (m->clientid.len && rec->length_known)
			view_text(m->clientid, cs->client, sizeof cs->client, 40);
		cs->has_keepalive = 1;
		cs->keepalive = m->keepalive;
		cs->has_will = m->has_will;
		cs->named = m->clientid.len != 0;
	}
	if (!cs->client[0] && s->o.sessions) {
		/* a filter kept the CONNECT from us: the tracker saw it */
		const struct session *se = session_of(s->o.sessions, rec->flow);
		if (se && se->clientid_len)
			textesc(cs->client, sizeof cs->client, se->clientid, se->clientid_len, 40);
	}
	cs->mqtt = 1;
	if (rec->dir == REASM_TO_BROKER) {
		cs->up_sec = rec->at.ts_sec;
		cs->up_nsec = rec->at.ts_nsec;
	}
	message_words(s, rec, cs, w, version);
	if (!rec->length_known || rec->incomplete || rec->truncated || mqtt_malformed(m))
		SAY(rec->incomplete || rec->truncated ? EX_INCOMPLETE : EX_MALFORMED);
	else
		explain_type(s, rec, cs, w, version);
	for (unsigned i = 0; i < m->nwarn; i++) {
		struct explain_var wv = { "warning", w->list };
		snprintf(w->list, sizeof w->list, "%s%s%s", i18n_tr(m->warn[i].text),
			 m->warn[i].rule ? ", " : "", m->warn[i].rule ? m->warn[i].rule : "");
		say(s, EX_WARNING, &wv, 1);
	}
	paragraph(s); /* one paragraph per message */
}

/* ---- the connection's end, and what TLS shows ------------------------------------------ */

/* A connection that ends without a DISCONNECT: who closed it and how, whether the broker
 * closed it for the keep alive, the will that is due. */
static void event(void *ctx, const struct framer_event *ev)
{
	struct explain *s = ctx;
	struct cstate *cs = &s->conns[ev->flow->index % SLOTS];
	struct words *w = &s->w;
	const struct reasm_flow *f = ev->flow;

	if (ev->kind != FRAMER_EV_END || !cs->used || cs->index != f->index || !cs->mqtt ||
	    cs->goodbye)
		return;
	words_init(w);
	if (cs->client[0]) {
		snprintf(w->client, sizeof w->client, "%s", cs->client);
	} else {
		char a[64];
		tcp_addr_str(&f->client, a, sizeof a);
		snprintf(w->client, sizeof w->client, f->client.family == 6 ? "[%s]:%u" : "%s:%u",
			 a, f->client_port);
	}
	if (ev->why == REASM_END_CAPTURE) {
		SAY(EX_CAPTURE_END);
	} else if ((ev->why == REASM_END_FIN || ev->why == REASM_END_RST) && f->closer) {
		double silence = (double)(ev->at.ts_sec - cs->up_sec) +
				 ((double)ev->at.ts_nsec - (double)cs->up_nsec) / 1e9;
		snprintf(w->frame, sizeof w->frame, "%" PRIu64, ev->at.frame);
		snprintf(w->how, sizeof w->how, "%s", TXT(f->closer_rst ? EX_CLOSE_RST : EX_CLOSE_FIN));
		SAY(f->closer == 1 ? EX_CLOSED_BY_CLIENT : EX_CLOSED_BY_BROKER);
		if (f->closer == 2 && cs->keepalive && silence > 1.5 * cs->keepalive) {
			snprintf(w->ka, sizeof w->ka, "%u", cs->keepalive);
			snprintf(w->silence, sizeof w->silence, "%.1f", silence);
			SAY(EX_CLOSED_KEEPALIVE);
		}
		if (cs->has_will)
			SAY(EX_CLOSED_WILL);
	}
	paragraph(s);
}

static void tls_hello_words(struct words *w, const struct tls_client_hello *ch)
{
	size_t len = 0;

	if (ch->sni)
		textesc(w->sni, sizeof w->sni, ch->sni, ch->sni_len, 100);
	for (size_t i = 0; i < ch->nversions || (i == 0 && !ch->nversions); i++) {
		uint16_t v = ch->nversions ? ch->versions[i] : ch->version;
		const char *n = tls_version_name(v);
		char hex[8];
		snprintf(hex, sizeof hex, "0x%04x", v);
		len += (size_t)snprintf(w->versions + len, len < sizeof w->versions ?
					sizeof w->versions - len : 0, "%s%s", i ? ", " : "",
					n ? n : hex);
	}
}

/* A TLS step: what anyone on the path sees (hello, choice, certificates in TLS 1.2, record
 * sizes, alerts in clear), and once, that the rest is encrypted, or decrypted by the keys. */
static void transport(void *ctx, const struct transport_event *ev)
{
	struct explain *s = ctx;
	struct cstate *cs = state_of(s, ev->flow);
	struct words *w = &s->w;

	if (ev->kind != TRANSPORT_EV_TLS)
		return;
	words_init(w);
	if (ev->content_type == 22 && ev->hs_type == 1 && ev->ch && !ev->encrypted) {
		tls_hello_words(w, ev->ch);
		SAY(w->sni[0] ? EX_TLS_CLIENT_HELLO : EX_TLS_CLIENT_HELLO_NO_SNI);
	} else if (ev->content_type == 22 && ev->hs_type == 2 && ev->sh && !ev->encrypted) {
		const char *v = tls_version_name(ev->sh->selected), *su = tls_suite_name(ev->sh->suite);
		snprintf(w->tls_version, sizeof w->tls_version, "%s", v ? v : "?");
		if (su)
			snprintf(w->suite, sizeof w->suite, "%s", su);
		else
			snprintf(w->suite, sizeof w->suite, "0x%04x", ev->sh->suite);
		SAY(EX_TLS_SERVER_HELLO);
	} else if (ev->content_type == 22 && ev->hs_type == 11 && ev->ncerts && !ev->encrypted &&
		   !ev->decrypted && ev->version != 0x0304) {
		snprintf(w->subject, sizeof w->subject, "%s", ev->certs[0].subject);
		snprintf(w->issuer, sizeof w->issuer, "%s", ev->certs[0].issuer);
		SAY(EX_TLS_CERT);
	} else if (ev->content_type == 21 && !ev->encrypted && ev->alert_level == 2) {
		const char *a = tls_alert_name(ev->alert_desc);
		snprintf(w->alert, sizeof w->alert, "%s", a ? a : "?");
		SAY(EX_TLS_ALERT);
	} else if (ev->content_type == 21 && !ev->encrypted && ev->alert_desc == 0) {
		SAY(EX_TLS_CLOSE_NOTIFY);
	}
	if (!cs->tls_said && (ev->encrypted || ev->decrypted)) {
		cs->tls_said = 1;
		snprintf(w->length, sizeof w->length, "%" PRIu32, ev->length);
		SAY(ev->decrypted ? EX_TLS_DECRYPTED : EX_TLS_ENCRYPTED);
	}
	paragraph(s);
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct explain *s = ctx;
	(void)pkt;
	(void)seg;
	if (s->tmp.len) {
		if (s->o.blank_before)
			fputc('\n', s->o.out);
		if (s->o.blank_after)
			report_buf_put(&s->tmp, "\n", 1);
		fwrite(s->tmp.p, 1, s->tmp.len, s->o.out);
		if (s->o.line_buffered)
			fflush(s->o.out);
	}
	s->tmp.len = 0;
}

static void finish(void *ctx)
{
	frame_end(ctx, NULL, NULL);
	fflush(((struct explain *)ctx)->o.out);
}

void report_explain_take(void *ctx, struct report_buf *b)
{
	struct explain *s = ctx;
	if (b)
		report_buf_put(b, s->tmp.p, s->tmp.len);
	s->tmp.len = 0;
}

static void efree(void *ctx)
{
	struct explain *s = ctx;
	if (!s)
		return;
	report_buf_free(&s->out);
	report_buf_free(&s->tmp);
	for (size_t i = 0; s->conns && i < SLOTS; i++)
		free(s->conns[i].subs);
	free(s->conns);
	free(s);
}

int report_explain_new(const struct report_opts *o, const char *lang, struct reporter *r)
{
	struct explain *s = budget_calloc(1, sizeof *s, "--explain");

	if (!s || !(s->conns = budget_calloc(SLOTS, sizeof *s->conns, "--explain"))) {
		free(s);
		return -1;
	}
	s->o = *o;
	s->t = explain_table(lang);
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->message = message;
	r->event = event;
	r->transport = transport;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = efree;
	return 0;
}
