/* \summary: --explain: what each message means in its exchange, in English or French,
 * from the sentence tables of explain_en.c and explain_fr.c */
#include "mqttdump/budget.h"
#include "mqttdump/explain.h"
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct explain_table *explain_table(const char *lang)
{
	return lang && !strcmp(lang, "fr") ? &explain_fr : &explain_en;
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

struct cstate {
	uint64_t index;
	uint8_t used;
	uint8_t has_keepalive;
	uint8_t has_will;
	uint16_t keepalive;
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

struct explain {
	struct report_opts o;
	struct will wills[WILLS];
	unsigned nwills;
	const struct explain_table *t;
	struct report_buf out;      /* the frame's sentences */
	struct report_buf tmp;
	struct cstate *conns;
};

#define TXT(k) (s->t->text[(k)])

static struct cstate *state_of(struct explain *s, const struct reasm_flow *f)
{
	struct cstate *c = &s->conns[f->index % SLOTS];
	if (!c->used || c->index != f->index) {
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
		snprintf(text, sizeof text, "%" PRIu32, v.len);
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

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct explain *s = ctx;
	const struct mqtt_msg *m = &rec->msg;
	struct cstate *cs = state_of(s, rec->flow);
	int up = rec->dir == REASM_TO_BROKER;
	uint8_t t = m->hdr.type;
	uint8_t version = rec->version ? rec->version : MQTT_V311;
	char client[96], topic[160], payload[256], id[8], qos[4], ka[8], code[8], reason[96];
	char list[1024], user[96], pwlen[12], resp[160], type[4], owner[96] = "";
	struct explain_var v[] = {
		{ "client", client }, { "topic", topic }, { "payload", payload }, { "id", id },
		{ "qos", qos }, { "keepalive", ka }, { "code", code }, { "reason", reason },
		{ "filters", list }, { "granted", list }, { "user", user }, { "pwlen", pwlen },
		{ "will_topic", topic }, { "response_topic", resp }, { "type", type },
		{ "version", reason }, { "owner", owner },
	};
	size_t nv = sizeof v / sizeof v[0];
	int wild = 0, malformed = mqtt_malformed(m);
	const char *cn;

	if (t == MQTT_CONNECT) {
		cs->client[0] = '\0';
		if (m->clientid.len && rec->length_known)
			view_text(m->clientid, cs->client, sizeof cs->client, 40);
		cs->has_keepalive = 1;
		cs->keepalive = m->keepalive;
		cs->has_will = m->has_will;
	}
	if (cs->client[0]) {
		snprintf(client, sizeof client, "%s", cs->client);
	} else {
		char a[64];
		tcp_addr_str(&rec->flow->client, a, sizeof a);
		snprintf(client, sizeof client, rec->flow->client.family == 6 ? "[%s]:%u" : "%s:%u",
			 a, rec->flow->client_port);
	}
	view_text(m->topic, topic, sizeof topic, 100);
	payload_text(s, m->payload, payload, sizeof payload);
	snprintf(id, sizeof id, "%u", m->msgid);
	snprintf(qos, sizeof qos, "%u", m->qos);
	snprintf(ka, sizeof ka, "%u", cs->keepalive);
	snprintf(code, sizeof code, m->code >= 0x80 ? "0x%02X" : "%u", m->code);
	snprintf(type, sizeof type, "%u", t);
	cn = m->has_code ? mqtt_code_name(t, version, m->code) : NULL;
	snprintf(reason, sizeof reason, "%s", cn ? cn : "?");
	list[0] = user[0] = pwlen[0] = resp[0] = '\0';

	if (!rec->length_known || rec->incomplete || rec->truncated || malformed) {
		say(s, rec->incomplete || rec->truncated ? EX_INCOMPLETE : EX_MALFORMED, v, nv);
		goto warnings;
	}
	switch (t) {
	case MQTT_CONNECT:
		snprintf(reason, sizeof reason, "%s", mqtt_version_name(m->proto_level) ?
			 mqtt_version_name(m->proto_level) : "?");
		say(s, m->keepalive ? EX_CONNECT : EX_CONNECT_NO_KEEPALIVE, v, nv);
		if (!(m->connect_flags & 0x02))
			say(s, EX_CONNECT_PERSISTENT, v, nv);
		if (m->has_will) {
			will_remember(s, rec, client);
			view_text(m->will_topic, topic, sizeof topic, 100);
			payload_text(s, m->will_payload, payload, sizeof payload);
			snprintf(qos, sizeof qos, "%u", (m->connect_flags >> 3) & 3);
			say(s, EX_CONNECT_WILL, v, nv);
			if (m->connect_flags & 0x20)
				say(s, EX_CONNECT_WILL_RETAIN, v, nv);
		}
		if (m->has_username) {
			view_text(m->username, user, sizeof user, 60);
			snprintf(pwlen, sizeof pwlen, "%" PRIu32, m->password.len);
			say(s, m->has_password ? EX_CONNECT_USER_PASS : EX_CONNECT_USER, v, nv);
		}
		break;
	case MQTT_CONNACK:
		if (m->has_code && m->code != 0) {
			int why = refused_why(version, m->code);
			say(s, EX_CONNACK_REFUSED, v, nv);
			if (why >= 0)
				say(s, why, v, nv);
		} else {
			say(s, EX_CONNACK_OK, v, nv);
			if (m->ack_flags & 1)
				say(s, EX_CONNACK_SESSION, v, nv);
		}
		break;
	case MQTT_PUBLISH: {
		static const int keys[3][2] = { { EX_PUB0_B2C, EX_PUB0_C2B },
						{ EX_PUB1_B2C, EX_PUB1_C2B },
						{ EX_PUB2_B2C, EX_PUB2_C2B } };
		struct mqtt_prop p;
		if (m->qos <= 2) /* QoS 3 does not exist: the warning below says so */
			say(s, keys[m->qos][up], v, nv);
		if (m->dup)
			say(s, EX_PUB_DUP, v, nv);
		if (m->retain)
			say(s, m->payload.len == 0 && up ? EX_PUB_RETAIN_CLEAR :
			    up ? EX_PUB_RETAIN_C2B : EX_PUB_RETAIN_B2C, v, nv);
		if (rec->topic_from_alias)
			say(s, EX_PUB_TOPIC_ALIAS, v, nv);
		if (!up) {
			const struct will *w = will_of(s, m);
			if (w) {
				snprintf(owner, sizeof owner, "%s", w->owner);
				say(s, EX_PUB_IS_WILL, v, nv);
			}
		}
		if (mqtt_find_prop(m, MQTT_PROP_RESPONSE_TOPIC, &p)) {
			view_text(p.str, resp, sizeof resp, 100);
			say(s, EX_PUB_RESPONSE_TOPIC, v, nv);
		} else if (mqtt_find_prop(m, MQTT_PROP_CORRELATION_DATA, &p)) {
			say(s, EX_PUB_CORRELATION, v, nv);
		}
		break;
	}
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP: {
		static const int keys[4][2] = { { EX_PUBACK_B2C, EX_PUBACK_C2B },
						{ EX_PUBREC_B2C, EX_PUBREC_C2B },
						{ EX_PUBREL_B2C, EX_PUBREL_C2B },
						{ EX_PUBCOMP_B2C, EX_PUBCOMP_C2B } };
		say(s, keys[t - MQTT_PUBACK][up], v, nv);
		if (m->has_code && m->code >= 0x80)
			say(s, EX_ACK_REASON, v, nv);
		break;
	}
	case MQTT_SUBSCRIBE:
		filters_text(s, m, version, list, sizeof list, &wild);
		say(s, EX_SUBSCRIBE, v, nv);
		if (wild)
			say(s, EX_SUB_WILDCARD, v, nv);
		break;
	case MQTT_SUBACK: {
		size_t len = 0;
		for (uint32_t i = 0; m->list.p && i < m->list.len && len < sizeof list; i++) {
			uint8_t g = m->list.p[i];
			char item[160];
			const char *gn = mqtt_code_name(t, version, g);
			snprintf(qos, sizeof qos, "%u", g);
			snprintf(reason, sizeof reason, "%s", gn ? gn : "?");
			explain_fill(TXT(g <= 2 ? EX_GRANTED : EX_GRANT_REFUSED), v, nv, item,
				     sizeof item);
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
						i ? TXT(EX_LIST_SEP) : "", item);
		}
		say(s, EX_SUBACK, v, nv);
		break;
	}
	case MQTT_UNSUBSCRIBE:
		filters_text(s, m, version, list, sizeof list, &wild);
		say(s, EX_UNSUBSCRIBE, v, nv);
		break;
	case MQTT_UNSUBACK:
		say(s, EX_UNSUBACK, v, nv);
		break;
	case MQTT_PINGREQ:
		say(s, cs->has_keepalive && cs->keepalive ? EX_PINGREQ : EX_PINGREQ_NO_KEEPALIVE, v,
		    nv);
		break;
	case MQTT_PINGRESP:
		say(s, EX_PINGRESP, v, nv);
		break;
	case MQTT_DISCONNECT:
		if (!up)
			say(s, EX_DISCONNECT_B2C, v, nv);
		else if (m->has_code && m->code == MQTT_RC_DISCONNECT_WITH_WILL)
			say(s, EX_DISCONNECT_WILL, v, nv);
		else {
			will_goodbye(s, rec->flow->index);
			say(s, EX_DISCONNECT_C2B, v, nv);
			if (cs->has_will)
				say(s, EX_DISCONNECT_DROP_WILL, v, nv);
		}
		break;
	case MQTT_AUTH:
		say(s, EX_AUTH, v, nv);
		break;
	default:
		say(s, EX_RESERVED, v, nv);
		break;
	}
warnings:
	for (unsigned i = 0; i < m->nwarn; i++) {
		struct explain_var w = { "warning", list };
		snprintf(list, sizeof list, "%s%s%s%s", m->warn[i].text, m->warn[i].rule ? ", " : "",
			 m->warn[i].rule ? m->warn[i].rule : "", "");
		say(s, EX_WARNING, &w, 1);
	}
	/* one paragraph per message */
	report_buf_put(&s->tmp, "      ", 6);
	report_buf_put(&s->tmp, s->out.p ? s->out.p : "", s->out.len);
	report_buf_put(&s->tmp, "\n", 1);
	s->out.len = 0;
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

static void efree(void *ctx)
{
	struct explain *s = ctx;
	if (!s)
		return;
	report_buf_free(&s->out);
	report_buf_free(&s->tmp);
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
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = efree;
	return 0;
}
