/* \summary: MQTT 3.1 / 3.1.1 / 5.0 control packet parser (no allocation, no copies)
 *
 * MQTT 3.1.1: https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html
 * MQTT 5.0:   https://docs.oasis-open.org/mqtt/mqtt/v5.0/os/mqtt-v5.0-os.html
 */
#include "mqttdump/i18n.h"
#include "mqttdump/mqtt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- readers ---------------------------------------------------------------------- */

static size_t left(const struct mqtt_cursor *c)
{
	return (size_t)(c->end - c->p);
}

static inline int get_u8(struct mqtt_cursor *c, uint8_t *out)
{
	if (left(c) < 1)
		return MQTT_TRUNCATED;
	*out = c->p[0];
	c->p += 1;
	return MQTT_OK;
}

static inline int get_u16(struct mqtt_cursor *c, uint16_t *out)
{
	if (left(c) < 2)
		return MQTT_TRUNCATED;
	*out = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	return MQTT_OK;
}

static inline int get_u32(struct mqtt_cursor *c, uint32_t *out)
{
	if (left(c) < 4)
		return MQTT_TRUNCATED;
	*out = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
	       ((uint32_t)c->p[2] << 8) | c->p[3];
	c->p += 4;
	return MQTT_OK;
}

static inline int get_varint(struct mqtt_cursor *c, uint32_t *out)
{
	uint32_t v = 0;
	size_t n = left(c);

	for (size_t i = 0; i < 4; i++) {
		if (i >= n)
			return MQTT_TRUNCATED;
		v |= (uint32_t)(c->p[i] & 0x7f) << (7 * i);
		if (!(c->p[i] & 0x80)) {
			*out = v;
			c->p += i + 1;
			return MQTT_OK;
		}
	}
	/* "The maximum number of bytes in the Variable Byte Integer field is four." [1.5.5] */
	return MQTT_MALFORMED;
}

static inline int get_raw(struct mqtt_cursor *c, uint32_t n, struct mqtt_view *out)
{
	if (n > left(c))
		return MQTT_TRUNCATED;
	out->p = c->p;
	out->len = n;
	c->p += n;
	return MQTT_OK;
}

static inline int get_bytes(struct mqtt_cursor *c, struct mqtt_view *out)
{
	struct mqtt_cursor t = *c;
	uint16_t n;
	int rc;

	if ((rc = get_u16(&t, &n)) != MQTT_OK)
		return rc;
	if ((rc = get_raw(&t, n, out)) != MQTT_OK)
		return rc;
	*c = t;
	return MQTT_OK;
}

static inline int get_utf8(struct mqtt_cursor *c, struct mqtt_view *out)
{
	return get_bytes(c, out);
}

/* The readers of mqtt.h; the parser calls the inline ones above (a call for every field
 * of every message otherwise). */
int mqtt_get_u8(struct mqtt_cursor *c, uint8_t *out)
{
	return get_u8(c, out);
}

int mqtt_get_u16(struct mqtt_cursor *c, uint16_t *out)
{
	return get_u16(c, out);
}

int mqtt_get_u32(struct mqtt_cursor *c, uint32_t *out)
{
	return get_u32(c, out);
}

int mqtt_get_varint(struct mqtt_cursor *c, uint32_t *out)
{
	return get_varint(c, out);
}

int mqtt_get_raw(struct mqtt_cursor *c, uint32_t n, struct mqtt_view *out)
{
	return get_raw(c, n, out);
}

int mqtt_get_bytes(struct mqtt_cursor *c, struct mqtt_view *out)
{
	return get_bytes(c, out);
}

int mqtt_get_utf8(struct mqtt_cursor *c, struct mqtt_view *out)
{
	return get_utf8(c, out);
}


int mqtt_utf8_valid(struct mqtt_view v)
{
	return mqtt_utf8_check(v) == MQTT_UTF8_OK;
}

int mqtt_utf8_check(struct mqtt_view v)
{
	const uint8_t *s, *e;

	if (v.len == 0)
		return MQTT_UTF8_OK;
	s = v.p;
	e = v.p + v.len;
	/* most strings are ASCII: 8 bytes at a time while no byte is 0 or >= 0x80 */
	while (e - s >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		if ((w & 0x8080808080808080ull) ||
		    ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
			break;
		s += 8;
	}

	while (s < e) {
		uint8_t b = *s;
		uint32_t cp;
		size_t n;

		if (b == 0)
			return MQTT_UTF8_NUL; /* no U+0000 */
		if (b < 0x80) {
			s++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			n = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			n = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3;
			cp = b & 0x07;
		} else {
			return MQTT_UTF8_BAD;
		}
		if ((size_t)(e - s) < n + 1)
			return MQTT_UTF8_BAD;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return MQTT_UTF8_BAD;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return MQTT_UTF8_BAD; /* overlong or out of range */
		if (cp >= 0xd800 && cp <= 0xdfff)
			return MQTT_UTF8_BAD; /* no surrogates */
		s += n + 1;
	}
	return MQTT_UTF8_OK;
}

size_t mqtt_utf8_seq(const uint8_t *p, size_t n)
{
	size_t k;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	k = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	if (k > n)
		return 0;
	return mqtt_utf8_check((struct mqtt_view){ p, (uint32_t)k }) == MQTT_UTF8_OK ? k : 0;
}

int mqtt_fixed_header(const uint8_t *buf, size_t len, struct mqtt_fixhdr *h)
{
	struct mqtt_cursor c = { buf, buf + len };
	uint8_t b;
	uint32_t rl;
	int rc;

	if ((rc = get_u8(&c, &b)) != MQTT_OK)
		return rc;
	if ((rc = get_varint(&c, &rl)) != MQTT_OK)
		return rc;
	h->type = b >> 4;
	h->flags = b & 0x0f;
	h->remlen = rl;
	h->hdrlen = (uint8_t)(c.p - buf);
	return MQTT_OK;
}

/* ---- iterators -------------------------------------------------------------------- */

int mqtt_next_prop(struct mqtt_cursor *c, struct mqtt_prop *p)
{
	struct mqtt_cursor t = *c;
	const struct mqtt_prop_info *pi;
	uint32_t id;
	uint8_t b = 0; /* copied before rc is looked at: meaningful only when MQTT_OK */
	uint16_t s = 0;
	int rc;

	if (t.p == t.end)
		return MQTT_TRUNCATED;
	/* The identifier is a Variable Byte Integer, though every defined one fits a byte. */
	if ((rc = get_varint(&t, &id)) != MQTT_OK)
		return rc;
	if (id > 0xff || !(pi = mqtt_prop_info((uint8_t)id)))
		return MQTT_MALFORMED; /* unknown property: its length cannot be known */
	p->id = (uint8_t)id;
	p->ptype = pi->ptype;
	p->num = 0;
	p->str.p = p->str2.p = NULL;
	p->str.len = p->str2.len = 0;
	switch (pi->ptype) {
	case MQTT_PT_BYTE:
		rc = get_u8(&t, &b);
		p->num = b;
		break;
	case MQTT_PT_U16:
		rc = get_u16(&t, &s);
		p->num = s;
		break;
	case MQTT_PT_U32:
		rc = get_u32(&t, &p->num);
		break;
	case MQTT_PT_VARINT:
		rc = get_varint(&t, &p->num);
		break;
	case MQTT_PT_UTF8:
		rc = get_utf8(&t, &p->str);
		break;
	case MQTT_PT_BINARY:
		rc = get_bytes(&t, &p->str);
		break;
	case MQTT_PT_PAIR:
		rc = get_utf8(&t, &p->str);
		if (rc == MQTT_OK)
			rc = get_utf8(&t, &p->str2);
		break;
	}
	if (rc != MQTT_OK)
		return rc;
	*c = t;
	return MQTT_OK;
}

int mqtt_next_sub(struct mqtt_cursor *c, uint8_t version, struct mqtt_view *filter,
		  uint8_t *options)
{
	struct mqtt_cursor t = *c;
	struct mqtt_view f;
	uint8_t o;
	int rc;

	(void)version;
	if ((rc = get_utf8(&t, &f)) != MQTT_OK)
		return rc;
	if ((rc = get_u8(&t, &o)) != MQTT_OK)
		return rc;
	*filter = f;
	*options = o;
	*c = t;
	return MQTT_OK;
}

int mqtt_next_filter(struct mqtt_cursor *c, struct mqtt_view *filter)
{
	return get_utf8(c, filter);
}

/* ---- packet parser ---------------------------------------------------------------- */

/* What every reader of one packet shares: where the packet starts (warnings' offsets count
 * from there) and whether the caller only wants to know if it reads cleanly. */
struct pctx {
	struct mqtt_msg *m;
	const uint8_t *base;
	int clean; /* mqtt_parse_clean: the first warning settles it, later checks are skipped */
};

/* 1 once the answer of a clean read is known: the checks after need not run. */
static int settled(const struct pctx *px)
{
	return px->clean && px->m->nwarn;
}

static void warn(const struct pctx *px, const uint8_t *at, const char *rule, const char *text,
		 int malformed)
{
	struct mqtt_msg *m = px->m;

	if (m->nwarn >= MQTT_MAX_WARNINGS) {
		/* The table is full: a warning that makes the packet malformed still
		 * replaces the last one, so "[Malformed Packet]" is never lost. */
		if (!malformed || m->warn[MQTT_MAX_WARNINGS - 1].malformed)
			return;
		m->nwarn = MQTT_MAX_WARNINGS - 1;
	}
	m->warn[m->nwarn].rule = rule;
	m->warn[m->nwarn].text = text;
	m->warn[m->nwarn].offset = (uint32_t)(at - px->base);
	m->warn[m->nwarn].malformed = (uint8_t)malformed;
	m->nwarn++;
}

/* The rule a bad UTF-8 string breaks: 5.0 numbers them 1.5.4-x, 3.1.1 1.5.3-x (3.1 has no
 * numbered rules; its strings are read with 3.1.1's). */
static const char *utf8_rule(uint8_t version, int kind)
{
	if (version == MQTT_V5)
		return kind == MQTT_UTF8_NUL ? "MQTT-1.5.4-2" : "MQTT-1.5.4-1";
	return kind == MQTT_UTF8_NUL ? "MQTT-1.5.3-2" : "MQTT-1.5.3-1";
}

static void check_utf8(const struct pctx *px, struct mqtt_view v, const char *bad,
		       const char *nul)
{
	int k;

	if (settled(px))
		return;
	k = mqtt_utf8_check(v);
	if (k != MQTT_UTF8_OK)
		warn(px, v.p, utf8_rule(px->m->version, k), k == MQTT_UTF8_NUL ? nul : bad, 0);
}

/* A reason or return code not defined for the packet type in this version [2.4]. */
static void check_code(const struct pctx *px, const uint8_t *at, uint8_t code)
{
	uint8_t t = px->m->hdr.type;

	if (settled(px) || mqtt_code_valid(t, px->m->version, code))
		return;
	warn(px, at, mqtt_code_rule(t, px->m->version),
	     px->m->version == MQTT_V5 ? "reason code not defined for this packet type" :
	     t == MQTT_CONNACK ? N_("CONNACK return code not defined") :
	     N_("SUBACK return code not defined"), 0);
}

/* The property rules of one block, property by property: where it may be (Table 2-4),
 * whether it may repeat, its values. seen and warned are bit sets of identifiers (every
 * identifier is below 64): a rule broken again by the same property is not repeated. */
struct prop_check {
	uint8_t where; /* the packet type, or MQTT_WILL_PROPS */
	uint64_t seen, warned;
};

static void check_prop(const struct pctx *px, struct prop_check *pc, const uint8_t *at,
		       const struct mqtt_prop *p)
{
	const struct mqtt_prop_info *pi = mqtt_prop_info(p->id);
	uint64_t bit = (uint64_t)1 << p->id;
	int twice = (pc->seen & bit) != 0;

	pc->seen |= bit;
	if (p->ptype == MQTT_PT_UTF8 || p->ptype == MQTT_PT_PAIR) {
		check_utf8(px, p->str, N_("property string is not valid UTF-8"),
			   N_("property string contains U+0000"));
		if (p->ptype == MQTT_PT_PAIR)
			check_utf8(px, p->str2, N_("property string is not valid UTF-8"),
				   N_("property string contains U+0000"));
	}
	if (settled(px) || (pc->warned & bit))
		return;
	/* "A Control Packet which contains an Identifier which is not valid for its packet
	 * type [...] is a Malformed Packet" [2.2.2.2]. The packet still reads to its end, so
	 * it is a warning, not malformed=1: every field stays visible. */
	if (!(pi->in & MQTT_IN(pc->where))) {
		pc->warned |= bit;
		warn(px, at, "MQTT-2.2.2.2",
		     pc->where == MQTT_WILL_PROPS ? pi->text_will : pi->text_where, 0);
		return;
	}
	/* "It is a Protocol Error to include the Receive Maximum value more than once" */
	if (twice && !(pi->repeats_in & MQTT_IN(pc->where))) {
		pc->warned |= bit;
		warn(px, at, mqtt_prop_section(pc->where, p->id), pi->text_twice, 0);
		return;
	}
	/* "... or for it to have the value 0"; "... or to have a value other than 0 or 1" */
	if ((pi->values == MQTT_PV_NONZERO && p->num == 0) ||
	    (pi->values == MQTT_PV_BOOL && p->num > 1)) {
		pc->warned |= bit;
		/* "A sender MUST NOT send a PUBLISH packet containing a Topic Alias which has
		 * the value 0" [MQTT-3.3.2-8]; the others' sentences have no id */
		warn(px, at, p->id == MQTT_PROP_TOPIC_ALIAS ? "MQTT-3.3.2-8" :
		     mqtt_prop_section(pc->where, p->id), pi->text_value, 0);
	}
}

/* The rules of a block as a whole, once it is read. */
static void check_block(const struct pctx *px, const struct prop_check *pc,
			const uint8_t *at)
{
	uint64_t data = (uint64_t)1 << MQTT_PROP_AUTHENTICATION_DATA;
	uint64_t method = (uint64_t)1 << MQTT_PROP_AUTHENTICATION_METHOD;

	if (settled(px))
		return;
	/* "It is a Protocol Error to include Authentication Data if there is no
	 * Authentication Method" [3.1.2.11.10] */
	if (pc->where == MQTT_CONNECT && (pc->seen & data) && !(pc->seen & method))
		warn(px, at, "MQTT-3.1.2.11.10", "Authentication Data without an Authentication "
		     "Method", 0);
}

/*
 * Read a property block (length + properties) at where (the packet type or
 * MQTT_WILL_PROPS) and check it property by property. An identifier that is not a property
 * makes the packet malformed: the properties after it cannot be read (their start is not
 * known), but the block's length is, so *out still covers the whole block and reading goes
 * on after it. Returns MQTT_OK then (the warning says malformed); MQTT_TRUNCATED when the
 * block or a property in it is cut.
 */
/* A property block whose length was read is kept (has_props / has_will_props), whole or
 * cut, with the length it declares. */
static void keep_block(struct mqtt_msg *m, uint8_t where, uint32_t plen)
{
	if (where == MQTT_WILL_PROPS) {
		m->has_will_props = 1;
		m->will_props_len = plen;
	} else {
		m->has_props = 1;
		m->props_len = plen;
	}
}

static int read_props(struct mqtt_cursor *c, struct mqtt_view *out, const struct pctx *px,
		      uint8_t where)
{
	struct prop_check pc = { where, 0, 0 };
	struct mqtt_cursor pcur;
	struct mqtt_prop p;
	uint32_t plen;
	int rc;

	if ((rc = get_varint(c, &plen)) != MQTT_OK)
		return rc;
	keep_block(px->m, where, plen);
	if ((rc = get_raw(c, plen, out)) != MQTT_OK) {
		/* the block runs past the packet: keep what there is of it, for the
		 * properties before the end (as tshark shows them) */
		px->m->cut_block = where == MQTT_WILL_PROPS ? MQTT_CUT_WILL_PROPS : MQTT_CUT_PROPS;
		px->m->cut_block_len = plen;
		out->p = c->p;
		out->len = (uint32_t)(c->end - c->p);
		return rc;
	}
	pcur = mqtt_cursor_of(*out);
	while (pcur.p < pcur.end) { /* each pass reads at least the identifier: linear */
		const uint8_t *at = pcur.p;
		rc = mqtt_next_prop(&pcur, &p);
		if (rc == MQTT_MALFORMED) {
			struct mqtt_cursor t = pcur;
			uint32_t id;
			/* 2.2.2.2: an identifier outside the table makes the packet malformed;
			 * the specification gives that no rule number. */
			if (get_varint(&t, &id) == MQTT_OK && id <= 0xff &&
			    mqtt_prop_info((uint8_t)id))
				warn(px, at, NULL, "property value encoding is broken", 1);
			else
				warn(px, at, NULL, "unknown property identifier", 1);
			return MQTT_OK;
		}
		if (rc != MQTT_OK)
			return MQTT_TRUNCATED; /* a property runs past its block */
		check_prop(px, &pc, at, &p);
	}
	check_block(px, &pc, out->p);
	return MQTT_OK;
}

static int parse_will(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	int rc;

	m->has_will = 1;
	if ((m->connect_flags & 0x18) == 0x18)
		warn(px, c->p, m->version == MQTT_V5 ? "MQTT-3.1.2-12" : "MQTT-3.1.2-14",
		     "will QoS 3", 0);
	if (m->version == MQTT_V5) {
		if ((rc = read_props(c, &m->will_props, px, MQTT_WILL_PROPS)) != MQTT_OK)
			return rc;
		m->has_will_props = 1;
	}
	if ((rc = get_utf8(c, &m->will_topic)) != MQTT_OK)
		return rc;
	check_utf8(px, m->will_topic, N_("will topic is not valid UTF-8"),
		   N_("will topic contains U+0000"));
	return get_bytes(c, &m->will_payload);
}

static int parse_connect(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	int rc;

	if ((rc = get_utf8(c, &m->proto_name)) != MQTT_OK)
		return rc;
	if ((rc = get_u8(c, &m->proto_level)) != MQTT_OK)
		return rc;
	if ((rc = get_u8(c, &m->connect_flags)) != MQTT_OK)
		return rc;
	if ((rc = get_u16(c, &m->keepalive)) != MQTT_OK)
		return rc;
	/* A CONNECT is read at the level it announces. */
	m->version = m->proto_level == MQTT_V5 ? MQTT_V5 :
		     m->proto_level == MQTT_V31 ? MQTT_V31 : MQTT_V311;
	if (m->connect_flags & 0x01)
		warn(px, c->p - 3, "MQTT-3.1.2-3", "reserved connect flag is set", 0);
	if (m->version == MQTT_V5) {
		if ((rc = read_props(c, &m->props, px, MQTT_CONNECT)) != MQTT_OK)
			return rc;
		m->has_props = 1;
	}
	if ((rc = get_utf8(c, &m->clientid)) != MQTT_OK)
		return rc;
	check_utf8(px, m->clientid, N_("client identifier is not valid UTF-8"),
		   N_("client identifier contains U+0000"));
	if (m->connect_flags & 0x04) {
		if ((rc = parse_will(c, px)) != MQTT_OK)
			return rc;
	} else if (m->version == MQTT_V5) {
		/* 5.0 splits the rule: will QoS [MQTT-3.1.2-11], will retain [MQTT-3.1.2-13] */
		if (m->connect_flags & 0x18)
			warn(px, c->p, "MQTT-3.1.2-11", "will QoS set without a will", 0);
		if (m->connect_flags & 0x20)
			warn(px, c->p, "MQTT-3.1.2-13", "will retain set without a will", 0);
	} else if (m->connect_flags & 0x38) {
		warn(px, c->p, "MQTT-3.1.2-11", "will QoS or retain set without a will", 0);
	}
	/* 3.1.1 forbids a password without a user name [MQTT-3.1.2-22]; 5.0 allows it */
	if ((m->connect_flags & 0xc0) == 0x40 && m->version != MQTT_V5)
		warn(px, c->p, "MQTT-3.1.2-22", "password without a user name", 0);
	if (m->connect_flags & 0x80) {
		if ((rc = get_utf8(c, &m->username)) != MQTT_OK)
			return rc;
		m->has_username = 1;
		check_utf8(px, m->username, N_("user name is not valid UTF-8"),
			   N_("user name contains U+0000"));
	}
	if (m->connect_flags & 0x40) {
		if ((rc = get_bytes(c, &m->password)) != MQTT_OK)
			return rc;
		m->has_password = 1;
	}
	return MQTT_OK;
}

/* CONNACK: flags, the return (3.x) or reason (5.0) code, 5.0 properties. */
static int parse_connack(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	int rc;

	if ((rc = get_u8(c, &m->ack_flags)) != MQTT_OK)
		return rc;
	if ((rc = get_u8(c, &m->code)) != MQTT_OK)
		return rc;
	m->has_code = 1;
	check_code(px, c->p - 1, m->code);
	if (m->version == MQTT_V5 && c->p < c->end) {
		if ((rc = read_props(c, &m->props, px, MQTT_CONNACK)) != MQTT_OK)
			return rc;
		m->has_props = 1;
	}
	return MQTT_OK;
}

static int parse_publish(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	struct mqtt_prop alias;
	int rc;

	m->dup = (m->hdr.flags >> 3) & 1;
	m->qos = (m->hdr.flags >> 1) & 3;
	m->retain = m->hdr.flags & 1;
	if (m->qos == 3)
		warn(px, px->base, "MQTT-3.3.1-4", "PUBLISH with QoS 3", 0);
	if ((rc = get_utf8(c, &m->topic)) != MQTT_OK)
		return rc;
	check_utf8(px, m->topic, N_("topic name is not valid UTF-8"), N_("topic name contains U+0000"));
	if (m->qos > 0) {
		if ((rc = get_u16(c, &m->msgid)) != MQTT_OK)
			return rc;
		m->has_msgid = 1;
	}
	if (m->version == MQTT_V5) {
		if ((rc = read_props(c, &m->props, px, MQTT_PUBLISH)) != MQTT_OK)
			return rc;
		m->has_props = 1;
		/* "It is a Protocol Error if the Topic Name is zero length and there is no
		 * Topic Alias" [3.3.2.1] */
		if (m->topic.len == 0 && !settled(px) && !mqtt_malformed(m) &&
		    !mqtt_find_prop(m, MQTT_PROP_TOPIC_ALIAS, &alias))
			warn(px, m->topic.p, "MQTT-3.3.2.1", "empty topic name without a Topic Alias",
			     0);
	}
	m->payload.p = c->p;
	m->payload.len = (uint32_t)(c->end - c->p);
	c->p = c->end;
	return MQTT_OK;
}

/* The optional reason code and properties that end PUBACK, PUBREC, PUBREL, PUBCOMP
 * [3.4.2.1], DISCONNECT and AUTH in 5.0: either may be left out, from the end. */
static int parse_code_props(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	int rc;

	if (m->version != MQTT_V5 || c->p == c->end)
		return MQTT_OK;
	if ((rc = get_u8(c, &m->code)) != MQTT_OK)
		return rc;
	m->has_code = 1;
	check_code(px, c->p - 1, m->code);
	if (c->p == c->end)
		return MQTT_OK;
	if ((rc = read_props(c, &m->props, px, m->hdr.type)) != MQTT_OK)
		return rc;
	m->has_props = 1;
	return MQTT_OK;
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP: id, then in 5.0 the optional code and properties. */
static int parse_ack(struct mqtt_cursor *c, const struct pctx *px)
{
	int rc;

	if ((rc = get_u16(c, &px->m->msgid)) != MQTT_OK)
		return rc;
	px->m->has_msgid = 1;
	return parse_code_props(c, px);
}

/* The packet id, then in 5.0 the properties: SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK. */
static int read_id_props(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	int rc;

	if ((rc = get_u16(c, &m->msgid)) != MQTT_OK)
		return rc;
	m->has_msgid = 1;
	if (m->version == MQTT_V5) {
		if ((rc = read_props(c, &m->props, px, m->hdr.type)) != MQTT_OK)
			return rc;
		m->has_props = 1;
	}
	return MQTT_OK;
}

static void check_options(const struct pctx *px, const uint8_t *at, uint8_t o)
{
	if (px->m->version == MQTT_V5) {
		if (o & 0xc0)
			warn(px, at, "MQTT-3.8.3-5", "reserved subscription option bits are set", 0);
		/* 3.8.3.1: both are protocol errors, without a rule number */
		if ((o & 0x03) == 3)
			warn(px, at, NULL, "maximum QoS 3", 0);
		if ((o & 0x30) == 0x30)
			warn(px, at, NULL, "retain handling 3", 0);
	} else if ((o & 0xfc) || (o & 0x03) == 3) {
		/* reserved bits, or a QoS that is not 0, 1 or 2 [MQTT-3.8.3-4] */
		warn(px, at, "MQTT-3.8.3-4", (o & 0xfc) ? "reserved subscription option bits are set"
			 : N_("requested QoS 3"), 0);
	}
}

static int parse_subscribe(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	struct mqtt_cursor lc;
	struct mqtt_view f;
	uint8_t o;
	int rc;

	if ((rc = read_id_props(c, px)) != MQTT_OK)
		return rc;
	m->list.p = c->p;
	m->list.len = (uint32_t)(c->end - c->p);
	lc = *c;
	while (lc.p < lc.end) {
		const uint8_t *at = lc.p;
		if ((rc = mqtt_next_sub(&lc, m->version, &f, &o)) != MQTT_OK) {
			m->list.len = (uint32_t)(at - m->list.p);
			c->p = at;
			return rc;
		}
		check_utf8(px, f, N_("topic filter is not valid UTF-8"),
			   N_("topic filter contains U+0000"));
		check_options(px, lc.p - 1, o);
		m->list_count++;
	}
	c->p = c->end;
	/* "The payload of a SUBSCRIBE packet MUST contain at least one Topic Filter" */
	if (m->list_count == 0)
		warn(px, c->p, m->version == MQTT_V5 ? "MQTT-3.8.3-2" : "MQTT-3.8.3-3",
		     "SUBSCRIBE without a topic filter", 0);
	return MQTT_OK;
}

static int parse_unsubscribe(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	struct mqtt_cursor lc;
	struct mqtt_view f;
	int rc;

	if ((rc = read_id_props(c, px)) != MQTT_OK)
		return rc;
	m->list.p = c->p;
	m->list.len = (uint32_t)(c->end - c->p);
	lc = *c;
	while (lc.p < lc.end) {
		const uint8_t *at = lc.p;
		if ((rc = mqtt_next_filter(&lc, &f)) != MQTT_OK) {
			m->list.len = (uint32_t)(at - m->list.p);
			c->p = at;
			return rc;
		}
		check_utf8(px, f, N_("topic filter is not valid UTF-8"),
			   N_("topic filter contains U+0000"));
		m->list_count++;
	}
	c->p = c->end;
	if (m->list_count == 0)
		warn(px, c->p, "MQTT-3.10.3-2", "UNSUBSCRIBE without a topic filter", 0);
	return MQTT_OK;
}

/* SUBACK and UNSUBACK: id, (5.0: properties), then one code per filter (UNSUBACK
 * carries codes only in 5.0). */
static int parse_suback(struct mqtt_cursor *c, const struct pctx *px)
{
	struct mqtt_msg *m = px->m;
	int rc;

	if (m->hdr.type == MQTT_UNSUBACK && m->version != MQTT_V5) {
		if ((rc = get_u16(c, &m->msgid)) == MQTT_OK)
			m->has_msgid = 1;
		return rc;
	}
	if ((rc = read_id_props(c, px)) != MQTT_OK)
		return rc;
	m->list.p = c->p;
	m->list.len = (uint32_t)(c->end - c->p);
	m->list_count = m->list.len;
	for (uint32_t i = 0; i < m->list.len; i++)
		if (!mqtt_code_valid(m->hdr.type, m->version, m->list.p[i])) {
			check_code(px, m->list.p + i, m->list.p[i]); /* the first one says it */
			break;
		}
	c->p = c->end;
	return MQTT_OK;
}

/* Read the fields of one packet type; the fixed header is read. */
static int parse_body(struct mqtt_cursor *c, const struct pctx *px)
{
	switch (px->m->hdr.type) {
	case MQTT_CONNECT:
		return parse_connect(c, px);
	case MQTT_CONNACK:
		return parse_connack(c, px);
	case MQTT_PUBLISH:
		return parse_publish(c, px);
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		return parse_ack(c, px);
	case MQTT_SUBSCRIBE:
		return parse_subscribe(c, px);
	case MQTT_SUBACK:
	case MQTT_UNSUBACK:
		return parse_suback(c, px);
	case MQTT_UNSUBSCRIBE:
		return parse_unsubscribe(c, px);
	case MQTT_PINGREQ:
	case MQTT_PINGRESP:
		return MQTT_OK;
	case MQTT_DISCONNECT:
	case MQTT_AUTH:
		return parse_code_props(c, px);
	case MQTT_RESERVED0:
	default:
		warn(px, px->base, "MQTT-2.1.2", "reserved control packet type", 0);
		c->p = c->end;
		return MQTT_OK;
	}
}

static int parse(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_msg *m,
		 int clean)
{
	const struct pctx px = { m, buf, clean };
	const struct mqtt_type_info *ti;
	struct mqtt_cursor c;
	int rc;

	memset(m, 0, sizeof *m);
	if ((rc = mqtt_fixed_header(buf, len, &m->hdr)) != MQTT_OK) {
		warn(&px, buf, NULL, "fixed header cut short", 1);
		return MQTT_MALFORMED;
	}
	m->version = version == MQTT_VUNKNOWN ? MQTT_V311 : version;
	c.p = buf + m->hdr.hdrlen;
	c.end = c.p + (m->hdr.remlen < len - m->hdr.hdrlen ? m->hdr.remlen : len - m->hdr.hdrlen);

	/* "The encoded value MUST use the minimum number of bytes necessary" [MQTT-1.5.5-1] */
	if (m->hdr.hdrlen > 2 && buf[m->hdr.hdrlen - 1] == 0)
		warn(&px, buf + 1, "MQTT-1.5.5-1", "remaining length not in its shortest form", 0);
	ti = mqtt_type_info(m->hdr.type);
	if (ti->flags != 0xff && m->hdr.flags != ti->flags)
		warn(&px, buf, "MQTT-2.1.3-1", "reserved fixed header flags are wrong", 0);
	if (settled(&px))
		return MQTT_OK;

	rc = parse_body(&c, &px);
	if (ti->v5_only && m->version != MQTT_V5)
		warn(&px, buf, "MQTT-2.1.2", "AUTH exists only in MQTT 5.0", 0);

	if (rc != MQTT_OK) {
		m->stop_off = (uint32_t)(c.p - buf);
		warn(&px, c.p, NULL, rc == MQTT_MALFORMED ? "field encoding is broken" :
			 N_("packet ends before its fields do"), 1);
		return MQTT_MALFORMED;
	}
	if (m->hdr.remlen > len - m->hdr.hdrlen) {
		warn(&px, buf + len, NULL, "packet is cut short", 1);
		return MQTT_MALFORMED;
	}
	if (c.p != c.end)
		warn(&px, c.p, NULL, "bytes left over after the last field", 0);
	return mqtt_malformed(m) ? MQTT_MALFORMED : MQTT_OK;
}

int mqtt_parse(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_msg *m)
{
	return parse(buf, len, version, m, 0);
}

int mqtt_parse_clean(const uint8_t *buf, size_t len, uint8_t version)
{
	struct mqtt_msg m;

	return parse(buf, len, version, &m, 1) == MQTT_OK && m.nwarn == 0;
}

int mqtt_malformed(const struct mqtt_msg *m)
{
	for (unsigned i = 0; i < m->nwarn; i++)
		if (m->warn[i].malformed)
			return 1;
	return 0;
}

const struct mqtt_prop *mqtt_find_prop_in(struct mqtt_view block, uint8_t id,
					  struct mqtt_prop *out)
{
	struct mqtt_cursor c = mqtt_cursor_of(block);

	while (mqtt_next_prop(&c, out) == MQTT_OK)
		if (out->id == id)
			return out;
	return NULL;
}

const struct mqtt_prop *mqtt_find_prop(const struct mqtt_msg *m, uint8_t id,
				       struct mqtt_prop *out)
{
	if (!m->has_props)
		return NULL;
	return mqtt_find_prop_in(m->props, id, out);
}

/* ---- Info text -------------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t cap, len;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->len < b->cap) {
		size_t room = b->cap - 1 - b->len;
		memcpy(b->p + b->len, s, n < room ? n : room);
		b->p[b->len + (n < room ? n : room)] = '\0';
	}
	b->len += n;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_id(struct sbuf *b, uint16_t id)
{
	char t[16], d[8];
	size_t n = 0, k = 0;

	memcpy(t, " (id=", 5);
	n = 5;
	do {
		d[k++] = (char)('0' + id % 10);
		id /= 10;
	} while (id);
	while (k)
		t[n++] = d[--k];
	t[n++] = ')';
	sb_put(b, t, n);
}

static void sb_topic(struct sbuf *b, struct mqtt_view v)
{
	sb_put(b, " [", 2);
	sb_put(b, (const char *)v.p, v.len);
	sb_put(b, "]", 1);
}

/* The media type of a PUBLISH's Content Type property, lower case and without
 * parameters, into out (NUL-terminated); 0 when there is none. */
static int content_type(const struct mqtt_msg *m, char *out, size_t cap)
{
	struct mqtt_prop p;
	size_t n = 0;

	if (m->hdr.type != MQTT_PUBLISH || !mqtt_find_prop(m, MQTT_PROP_CONTENT_TYPE, &p))
		return 0;
	for (uint32_t i = 0; i < p.str.len && n + 1 < cap; i++) {
		char ch = (char)p.str.p[i];
		if (ch == ';' || ch == ' ')
			break;
		out[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
	}
	out[n] = '\0';
	return 1;
}

/* Media types whose dissector tshark 4.0 hands the payload to (checked against it): the
 * protocol column and Info text they give the summary, and the line their section has
 * in -O mqtt's tree ('L': "Line-based text data", 'D': "Data (N bytes)"). */
static const struct media {
	const char *type, *proto, *info, *tree;
} media[] = {
	{ "application/json", "JSON", ", JavaScript Object Notation (application/json)",
	  "JavaScript Object Notation: application/json" },
	{ "application/xml", "XML", "", "eXtensible Markup Language" },
	{ "text/xml", "XML", "", "eXtensible Markup Language" },
	{ "text/plain", NULL, " (text/plain)", "L" },
	{ "text/html", NULL, " (text/html)", "L" },
	{ "application/octet-stream", NULL, "", "D" },
};

static const struct media *media_of(const struct mqtt_msg *m)
{
	char ct[64];

	if (!content_type(m, ct, sizeof ct) || !m->payload.len)
		return NULL;
	for (size_t i = 0; i < sizeof media / sizeof media[0]; i++)
		if (strcmp(ct, media[i].type) == 0)
			return &media[i];
	return NULL;
}

const char *mqtt_media_proto(const struct mqtt_msg *m)
{
	const struct media *md = media_of(m);
	return md ? md->proto : NULL;
}

int mqtt_media_tree(const struct mqtt_msg *m, char *out, size_t cap)
{
	const struct media *md = media_of(m);
	unsigned lines = 0;

	if (!md || mqtt_malformed(m))
		return 0;
	if (md->tree[0] == 'L') {
		/* a line starts at the first byte and after each line feed that has more after */
		for (uint32_t i = 0; i < m->payload.len; i++)
			lines += i == 0 || m->payload.p[i - 1] == '\n';
		snprintf(out, cap, "Line-based text data: %s (%u lines)", md->type, lines);
	} else if (md->tree[0] == 'D') {
		snprintf(out, cap, "Data (%" PRIu32 " bytes)", m->payload.len);
	} else {
		snprintf(out, cap, "%s", md->tree);
	}
	return 1;
}

size_t mqtt_info(const struct mqtt_msg *m, char *out, size_t cap)
{
	struct sbuf b = { out, cap, 0 };
	int malformed = mqtt_malformed(m);

	if (cap)
		out[0] = '\0';
	sb_str(&b, mqtt_type_label(m->hdr.type));
	switch (m->hdr.type) {
	case MQTT_PUBLISH:
		/* Wireshark adds the id and topic once the packet has been read whole */
		if (malformed)
			break;
		if (m->has_msgid)
			sb_id(&b, m->msgid);
		if (m->topic.p)
			sb_topic(&b, m->topic);
		if (media_of(m))
			sb_str(&b, media_of(m)->info);
		break;
	case MQTT_SUBSCRIBE: {
		struct mqtt_cursor c = mqtt_cursor_of(m->list);
		struct mqtt_view f;
		uint8_t o;
		if (m->has_msgid)
			sb_id(&b, m->msgid);
		while (mqtt_next_sub(&c, m->version, &f, &o) == MQTT_OK)
			sb_topic(&b, f);
		break;
	}
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
	case MQTT_SUBACK: case MQTT_UNSUBSCRIBE: case MQTT_UNSUBACK:
		if (m->has_msgid)
			sb_id(&b, m->msgid);
		break;
	default:
		break;
	}
	if (malformed)
		sb_str(&b, "[Malformed Packet]");
	return b.len;
}

/* mqtt.h; --topic (session_filter.c) and --explain's subscriptions (report_explain.c) */
int mqtt_topic_match(const char *f, size_t fl, const uint8_t *t, size_t tl)
{
	size_t i = 0, j = 0;

	if (tl && t[0] == '$' && fl && (f[0] == '+' || f[0] == '#'))
		return 0;
	for (;;) {
		if (i < fl && f[i] == '#')
			return i + 1 == fl;
		if (i < fl && f[i] == '+') {
			while (j < tl && t[j] != '/')
				j++;
			i++;
		} else {
			while (i < fl && f[i] != '/' && j < tl && t[j] != '/') {
				if ((uint8_t)f[i] != t[j])
					return 0;
				i++;
				j++;
			}
			if ((i < fl && f[i] != '/') || (j < tl && t[j] != '/'))
				return 0;
		}
		if (i == fl || j == tl)
			return (i == fl && j == tl) || (i + 2 == fl && f[i + 1] == '#' && j == tl);
		i++;
		j++;
	}
}
