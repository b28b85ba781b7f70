/* Unit tests for the MQTT reader and parser (include/mqttdump/mqtt.h, src/mqtt.c):
 * datatypes and their boundaries, UTF-8 validity, the fixed header, every control packet
 * in 3.1, 3.1.1 and 5.0, malformed and rule-breaking packets, names, the Info text.
 *
 * Every byte vector is written in hex, one field per line with what it is. Each is copied
 * to the very end of a readable page followed by a page that cannot be read, so a reader
 * that looks one byte past what it was given crashes the test instead of passing by luck.
 *
 * The protocol tables (src/mqtt_tables.c) are checked against the specification's own
 * tables, transcribed here, and the labels against tshark's output; the property rules
 * each with a packet that breaks them and one that does not.
 *
 * The suite "bug" holds tests that fail against the current src/mqtt.c: each names the
 * spec rule the parser gets wrong.
 */
#include "mqttdump/mqtt.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------ */

struct bin {
	const uint8_t *p;
	size_t n;
};

/* n writable bytes that end exactly where an unreadable page begins. Never freed: every
 * test runs in its own process. */
static uint8_t *guarded(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (n + pg - 1) / pg * pg;
	uint8_t *base = mmap(NULL, span + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);

	cr_assert_neq(base, MAP_FAILED, "mmap");
	cr_assert_eq(mprotect(base + span, pg, PROT_NONE), 0, "mprotect");
	return base + span - n;
}

/* A copy of n bytes in guarded memory. */
static struct bin guarded_copy(const uint8_t *p, size_t n)
{
	uint8_t *g = guarded(n);
	struct bin b = { g, n };

	if (n)
		memcpy(g, p, n);
	return b;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* "10 0d 00 04" -> bytes in guarded memory. Whitespace separates nothing: digits pair up. */
static struct bin hex(const char *s)
{
	static uint8_t tmp[4096];
	size_t n = 0;
	int hi = -1;

	for (const char *q = s; *q; q++) {
		int v;
		if (*q == ' ' || *q == '\n' || *q == '\t')
			continue;
		v = hexval(*q);
		cr_assert_geq(v, 0, "bad hex digit '%c' in test vector \"%s\"", *q, s);
		if (hi < 0) {
			hi = v;
		} else {
			cr_assert_lt(n, sizeof tmp);
			tmp[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	cr_assert_eq(hi, -1, "odd number of hex digits in \"%s\"", s);
	return guarded_copy(tmp, n);
}

static struct mqtt_cursor cur(struct bin b)
{
	struct mqtt_cursor c = { b.p, b.p + b.n };
	return c;
}

static int view_is(struct mqtt_view v, const char *s)
{
	size_t n = strlen(s);
	return v.p != NULL && v.len == n && memcmp(v.p, s, n) == 0;
}

static int view_is_hex(struct mqtt_view v, const char *h)
{
	struct bin b = hex(h);
	return v.p != NULL && v.len == b.n && (b.n == 0 || memcmp(v.p, b.p, b.n) == 0);
}

/* ---- packet helpers ------------------------------------------------------------------ */

static struct mqtt_msg m;
static struct bin pkt; /* the bytes m was parsed from */

static int parse(const char *h, uint8_t version)
{
	pkt = hex(h);
	return mqtt_parse(pkt.p, pkt.n, version, &m);
}

static const char *first_warning(void)
{
	return m.nwarn ? m.warn[0].text : "(none)";
}

/* A well-formed packet: the vector's remaining length matches its bytes, it parses, and
 * it breaks no rule. */
static void parse_valid(const char *h, uint8_t version)
{
	int rc = parse(h, version);

	cr_assert_eq((size_t)m.hdr.hdrlen + m.hdr.remlen, pkt.n,
		     "test vector: remaining length %u does not match %zu bytes", m.hdr.remlen,
		     pkt.n);
	cr_assert_eq(rc, MQTT_OK, "rc %d, warning: %s", rc, first_warning());
	cr_assert_eq(m.nwarn, 0, "unexpected warning: %s", first_warning());
}

static int has_rule(const char *rule)
{
	for (unsigned i = 0; i < m.nwarn; i++)
		if (m.warn[i].rule && strcmp(m.warn[i].rule, rule) == 0)
			return 1;
	return 0;
}

static const struct mqtt_warning *rule_warning(const char *rule)
{
	for (unsigned i = 0; i < m.nwarn; i++)
		if (m.warn[i].rule && strcmp(m.warn[i].rule, rule) == 0)
			return &m.warn[i];
	return NULL;
}

static int any_malformed(void)
{
	for (unsigned i = 0; i < m.nwarn; i++)
		if (m.warn[i].malformed)
			return 1;
	return 0;
}

/* Every view in m is empty or lies inside [p, p + n). */
static void views_inside(const uint8_t *p, size_t n)
{
	const struct { const char *name; struct mqtt_view v; } vs[] = {
		{ "proto_name", m.proto_name }, { "clientid", m.clientid },
		{ "will_props", m.will_props }, { "will_topic", m.will_topic },
		{ "will_payload", m.will_payload }, { "username", m.username },
		{ "password", m.password }, { "topic", m.topic }, { "payload", m.payload },
		{ "list", m.list }, { "props", m.props },
	};
	for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++) {
		if (vs[i].v.len == 0)
			continue;
		cr_assert(vs[i].v.p >= p && vs[i].v.p + vs[i].v.len <= p + n,
			  "view %s (len %u) outside the packet", vs[i].name, vs[i].v.len);
	}
	for (unsigned i = 0; i < m.nwarn; i++)
		cr_assert_leq(m.warn[i].offset, n, "warning %u offset %u past %zu bytes", i,
			      m.warn[i].offset, n);
}

/* Property iteration: the next property must be this one. */
static void next_prop_num(struct mqtt_cursor *c, uint8_t id, uint8_t ptype, uint32_t num)
{
	struct mqtt_prop p;

	cr_assert_eq(mqtt_next_prop(c, &p), MQTT_OK, "property 0x%02x missing", id);
	cr_assert_eq(p.id, id, "property id 0x%02x, expected 0x%02x", p.id, id);
	cr_assert_eq(p.ptype, ptype, "property 0x%02x type", id);
	cr_assert_eq(p.num, num, "property 0x%02x value %u, expected %u", id, p.num, num);
	cr_assert_eq(p.str.len, 0);
}

static void next_prop_str(struct mqtt_cursor *c, uint8_t id, uint8_t ptype, const char *s)
{
	struct mqtt_prop p;

	cr_assert_eq(mqtt_next_prop(c, &p), MQTT_OK, "property 0x%02x missing", id);
	cr_assert_eq(p.id, id, "property id 0x%02x, expected 0x%02x", p.id, id);
	cr_assert_eq(p.ptype, ptype, "property 0x%02x type", id);
	cr_assert(view_is(p.str, s), "property 0x%02x value \"%.*s\", expected \"%s\"", id,
		  (int)p.str.len, (const char *)p.str.p, s);
}

static void next_prop_bin(struct mqtt_cursor *c, uint8_t id, const char *h)
{
	struct mqtt_prop p;

	cr_assert_eq(mqtt_next_prop(c, &p), MQTT_OK, "property 0x%02x missing", id);
	cr_assert_eq(p.id, id, "property id 0x%02x, expected 0x%02x", p.id, id);
	cr_assert_eq(p.ptype, MQTT_PT_BINARY);
	cr_assert(view_is_hex(p.str, h), "property 0x%02x bytes", id);
}

static void next_prop_pair(struct mqtt_cursor *c, const char *k, const char *v)
{
	struct mqtt_prop p;

	cr_assert_eq(mqtt_next_prop(c, &p), MQTT_OK, "user property %s missing", k);
	cr_assert_eq(p.id, 0x26);
	cr_assert_eq(p.ptype, MQTT_PT_PAIR);
	cr_assert(view_is(p.str, k), "user property name");
	cr_assert(view_is(p.str2, v), "user property value");
}

static void props_end(struct mqtt_cursor *c)
{
	struct mqtt_prop p;

	cr_assert_eq(mqtt_next_prop(c, &p), MQTT_TRUNCATED, "more properties than expected");
	cr_assert_eq(c->p, c->end);
}

/* ---- 1. readers --------------------------------------------------------------------- */

Test(reader, u8_reads_one_byte_and_stops_at_the_end)
{
	struct bin b = hex("a5 5a");
	struct mqtt_cursor c = cur(b), e = cur(hex(""));
	uint8_t v = 0x11;

	cr_assert_eq(mqtt_get_u8(&c, &v), MQTT_OK);
	cr_assert_eq(v, 0xa5);
	cr_assert_eq(c.p, b.p + 1);
	cr_assert_eq(mqtt_get_u8(&c, &v), MQTT_OK);
	cr_assert_eq(v, 0x5a);
	cr_assert_eq(c.p, b.p + 2);
	v = 0x11;
	cr_assert_eq(mqtt_get_u8(&c, &v), MQTT_TRUNCATED);
	cr_assert_eq(v, 0x11, "output untouched");
	cr_assert_eq(c.p, b.p + 2, "cursor untouched");
	cr_assert_eq(mqtt_get_u8(&e, &v), MQTT_TRUNCATED, "empty input");
	cr_assert_eq(v, 0x11);
}

Test(reader, u16_is_big_endian_and_every_short_input_is_truncated)
{
	/* 12 34 = 0x1234, ff fe = 0xfffe */
	struct bin b = hex("12 34 ff fe");
	struct mqtt_cursor c = cur(b);
	uint16_t v = 0;

	cr_assert_eq(mqtt_get_u16(&c, &v), MQTT_OK);
	cr_assert_eq(v, 0x1234);
	cr_assert_eq(c.p, b.p + 2);
	cr_assert_eq(mqtt_get_u16(&c, &v), MQTT_OK);
	cr_assert_eq(v, 0xfffe);
	cr_assert_eq(c.p, b.p + 4);
	for (size_t n = 0; n < 2; n++) {
		struct bin s = guarded_copy(b.p, n);
		struct mqtt_cursor t = cur(s);
		v = 0x7777;
		cr_assert_eq(mqtt_get_u16(&t, &v), MQTT_TRUNCATED, "u16 from %zu bytes", n);
		cr_assert_eq(v, 0x7777, "output untouched (%zu bytes)", n);
		cr_assert_eq(t.p, s.p, "cursor untouched (%zu bytes)", n);
	}
}

Test(reader, u32_is_big_endian_and_every_short_input_is_truncated)
{
	/* de ad be ef = 0xdeadbeef, 00 00 00 01 = 1 */
	struct bin b = hex("de ad be ef 00 00 00 01");
	struct mqtt_cursor c = cur(b);
	uint32_t v = 0;

	cr_assert_eq(mqtt_get_u32(&c, &v), MQTT_OK);
	cr_assert_eq(v, 0xdeadbeefu);
	cr_assert_eq(c.p, b.p + 4);
	cr_assert_eq(mqtt_get_u32(&c, &v), MQTT_OK);
	cr_assert_eq(v, 1);
	cr_assert_eq(c.p, b.p + 8);
	for (size_t n = 0; n < 4; n++) {
		struct bin s = guarded_copy(b.p, n);
		struct mqtt_cursor t = cur(s);
		v = 0x77777777u;
		cr_assert_eq(mqtt_get_u32(&t, &v), MQTT_TRUNCATED, "u32 from %zu bytes", n);
		cr_assert_eq(v, 0x77777777u, "output untouched (%zu bytes)", n);
		cr_assert_eq(t.p, s.p, "cursor untouched (%zu bytes)", n);
	}
}

Test(reader, reads_in_sequence_move_the_cursor_by_their_size)
{
	struct bin b = hex("07"             /* u8 7 */
			   "01 02"          /* u16 0x0102 */
			   "00 00 01 00"    /* u32 256 */
			   "80 01"          /* varint 128 */
			   "00 02 68 69"    /* UTF-8 string "hi" */
			   "00 01 ff"       /* binary data, one byte 0xff */
			   "aa bb");        /* 2 raw bytes */
	struct mqtt_cursor c = cur(b);
	struct mqtt_view v;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	cr_assert_eq(mqtt_get_u8(&c, &u8), MQTT_OK);
	cr_assert_eq(u8, 7);
	cr_assert_eq(c.p - b.p, 1);
	cr_assert_eq(mqtt_get_u16(&c, &u16), MQTT_OK);
	cr_assert_eq(u16, 0x0102);
	cr_assert_eq(c.p - b.p, 3);
	cr_assert_eq(mqtt_get_u32(&c, &u32), MQTT_OK);
	cr_assert_eq(u32, 256);
	cr_assert_eq(c.p - b.p, 7);
	cr_assert_eq(mqtt_get_varint(&c, &u32), MQTT_OK);
	cr_assert_eq(u32, 128);
	cr_assert_eq(c.p - b.p, 9);
	cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_OK);
	cr_assert(view_is(v, "hi"));
	cr_assert_eq(v.p, b.p + 11, "the view points into the input, after the length");
	cr_assert_eq(c.p - b.p, 13);
	cr_assert_eq(mqtt_get_bytes(&c, &v), MQTT_OK);
	cr_assert(view_is_hex(v, "ff"));
	cr_assert_eq(c.p - b.p, 16);
	cr_assert_eq(mqtt_get_raw(&c, 2, &v), MQTT_OK);
	cr_assert(view_is_hex(v, "aa bb"));
	cr_assert_eq(c.p, b.p + b.n);

	/* at the end every reader needing a byte says so and moves nothing */
	cr_assert_eq(mqtt_get_u8(&c, &u8), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_u16(&c, &u16), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_u32(&c, &u32), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_varint(&c, &u32), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_bytes(&c, &v), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_raw(&c, 1, &v), MQTT_TRUNCATED);
	cr_assert_eq(c.p, b.p + b.n);
}

/* Variable Byte Integer boundaries and encodings, MQTT 5.0 [1.5.5] Table 1-1. */
static const struct {
	uint32_t value;
	const char *enc;
	size_t n;
} varints[] = {
	{ 0, "00", 1 },
	{ 127, "7f", 1 },
	{ 128, "80 01", 2 },
	{ 16383, "ff 7f", 2 },
	{ 16384, "80 80 01", 3 },
	{ 2097151, "ff ff 7f", 3 },
	{ 2097152, "80 80 80 01", 4 },
	{ MQTT_MAX_REMLEN, "ff ff ff 7f", 4 },
};

Test(reader, varint_spec_table_boundaries)
{
	cr_assert_eq(MQTT_MAX_REMLEN, 268435455u, "largest value of 4 bytes: 2^28 - 1");
	for (size_t i = 0; i < sizeof varints / sizeof varints[0]; i++) {
		struct bin b = hex(varints[i].enc);
		struct mqtt_cursor c = cur(b);
		uint32_t v = 0xdeadbeef;

		cr_assert_eq(b.n, varints[i].n);
		cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_OK, "value %u", varints[i].value);
		cr_assert_eq(v, varints[i].value, "decoded %u, expected %u", v, varints[i].value);
		cr_assert_eq(c.p, b.p + varints[i].n, "cursor after %zu bytes", varints[i].n);
	}
}

Test(reader, varint_followed_by_more_bytes_reads_only_its_own)
{
	for (size_t i = 0; i < sizeof varints / sizeof varints[0]; i++) {
		char h[64];
		struct bin b;
		struct mqtt_cursor c;
		uint32_t v = 0;
		uint8_t next = 0;

		snprintf(h, sizeof h, "%s 99", varints[i].enc); /* then one more byte, 0x99 */
		b = hex(h);
		c = cur(b);
		cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_OK);
		cr_assert_eq(v, varints[i].value);
		cr_assert_eq(mqtt_get_u8(&c, &next), MQTT_OK);
		cr_assert_eq(next, 0x99, "the byte after the integer is still there");
	}
}

Test(reader, varint_every_truncated_encoding_leaves_output_and_cursor)
{
	for (size_t i = 0; i < sizeof varints / sizeof varints[0]; i++) {
		struct bin full = hex(varints[i].enc);
		for (size_t n = 0; n < full.n; n++) {
			struct bin b = guarded_copy(full.p, n);
			struct mqtt_cursor c = cur(b);
			uint32_t v = 0xdeadbeef;

			cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_TRUNCATED,
				     "%u cut to %zu bytes", varints[i].value, n);
			cr_assert_eq(v, 0xdeadbeef, "output untouched");
			cr_assert_eq(c.p, b.p, "cursor untouched");
		}
	}
}

Test(reader, varint_of_five_bytes_is_malformed)
{
	/* "The maximum number of bytes in the Variable Byte Integer field is four." */
	const char *bad[] = {
		"ff ff ff ff 7f", /* 4 continuation bytes, then a 5th */
		"80 80 80 80 01", /* 2^28, one past the largest value */
		"80 80 80 80",    /* the 4th byte continues: no 5th byte can make it valid */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct bin b = hex(bad[i]);
		struct mqtt_cursor c = cur(b);
		uint32_t v = 0xdeadbeef;

		cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_MALFORMED, "%s", bad[i]);
		cr_assert_eq(v, 0xdeadbeef, "output untouched");
		cr_assert_eq(c.p, b.p, "cursor untouched");
	}
}

Test(reader, varint_not_in_shortest_form_still_reads)
{
	/* 80 00 is 0 in two bytes: not minimal [MQTT-1.5.5-1], but readable (mqtt_parse warns) */
	struct bin b = hex("80 00");
	struct mqtt_cursor c = cur(b);
	uint32_t v = 5;

	cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(c.p, b.p + 2);
}

Test(reader, raw_reads_exactly_n_bytes)
{
	struct bin b = hex("01 02 03");
	struct mqtt_cursor c = cur(b), e = cur(hex(""));
	struct mqtt_view v = { NULL, 99 };

	cr_assert_eq(mqtt_get_raw(&c, 0, &v), MQTT_OK, "0 bytes");
	cr_assert_eq(v.len, 0);
	cr_assert_eq(c.p, b.p);
	cr_assert_eq(mqtt_get_raw(&e, 0, &v), MQTT_OK, "0 bytes of nothing");
	cr_assert_eq(v.len, 0);

	v.p = NULL;
	v.len = 99;
	cr_assert_eq(mqtt_get_raw(&c, 4, &v), MQTT_TRUNCATED, "one more than there is");
	cr_assert_null(v.p, "output untouched");
	cr_assert_eq(v.len, 99);
	cr_assert_eq(c.p, b.p, "cursor untouched");
	cr_assert_eq(mqtt_get_raw(&c, 0xffffffffu, &v), MQTT_TRUNCATED, "huge n");
	cr_assert_eq(c.p, b.p);

	cr_assert_eq(mqtt_get_raw(&c, 3, &v), MQTT_OK);
	cr_assert_eq(v.p, b.p);
	cr_assert_eq(v.len, 3);
	cr_assert_eq(c.p, b.p + 3);
}

Test(reader, binary_and_utf8_every_truncation_is_truncated)
{
	/* 00 03 = length 3, then "a/b" */
	struct bin full = hex("00 03 61 2f 62");

	for (size_t n = 0; n < full.n; n++) {
		struct bin b = guarded_copy(full.p, n);
		struct mqtt_cursor c = cur(b);
		struct mqtt_view v = { NULL, 99 };

		cr_assert_eq(mqtt_get_bytes(&c, &v), MQTT_TRUNCATED, "bytes from %zu", n);
		cr_assert_null(v.p, "output untouched");
		cr_assert_eq(v.len, 99);
		cr_assert_eq(c.p, b.p, "cursor untouched (%zu bytes)", n);
		cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_TRUNCATED, "utf8 from %zu", n);
		cr_assert_null(v.p);
		cr_assert_eq(c.p, b.p);
	}
}

Test(reader, binary_and_utf8_values)
{
	struct bin b = hex("00 00"             /* empty string */
			   "00 03 61 2f 62"    /* "a/b" */
			   "00 02 c3 28");     /* 2 bytes that are not UTF-8 */
	struct bin big = hex("ff ff 61 62 63"); /* length 65535, 3 bytes */
	struct mqtt_cursor c = cur(b), cb = cur(big);
	struct mqtt_view v;

	cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_OK);
	cr_assert_eq(v.len, 0);
	cr_assert_eq(c.p - b.p, 2);
	cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_OK);
	cr_assert(view_is(v, "a/b"));
	cr_assert_eq(c.p - b.p, 7);
	/* the UTF-8 reader returns the view even when the bytes are not UTF-8 */
	cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_OK);
	cr_assert(view_is_hex(v, "c3 28"));
	cr_assert_not(mqtt_utf8_valid(v));
	cr_assert_eq(c.p, b.p + b.n);

	v.p = NULL;
	cr_assert_eq(mqtt_get_bytes(&cb, &v), MQTT_TRUNCATED, "length 65535, 3 bytes");
	cr_assert_null(v.p);
	cr_assert_eq(cb.p, big.p);
}

Test(reader, cursor_of_a_null_view_is_empty)
{
	struct mqtt_view none = { NULL, 0 };
	struct mqtt_cursor c = mqtt_cursor_of(none);
	struct mqtt_prop p;
	struct mqtt_view f;
	uint8_t u8 = 3, o;

	cr_assert_eq(c.p, c.end);
	cr_assert_eq(mqtt_get_u8(&c, &u8), MQTT_TRUNCATED);
	cr_assert_eq(u8, 3);
	cr_assert_eq(mqtt_next_prop(&c, &p), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_next_filter(&c, &f), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_next_sub(&c, MQTT_V5, &f, &o), MQTT_TRUNCATED);
}

/* ---- 2. UTF-8 ----------------------------------------------------------------------- */

static const struct {
	const char *what, *hex;
	int ok;
} utf8_cases[] = {
	{ "empty", "", 1 },
	{ "ASCII a/b", "61 2f 62", 1 },
	{ "ASCII, 26 bytes (word-wise path)",
	  "61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 75 76 77 78 79 7a", 1 },
	{ "2 bytes U+0080", "c2 80", 1 },
	{ "2 bytes U+00E9", "c3 a9", 1 },
	{ "2 bytes U+07FF", "df bf", 1 },
	{ "3 bytes U+0800", "e0 a0 80", 1 },
	{ "3 bytes U+20AC", "e2 82 ac", 1 },
	{ "3 bytes U+D7FF, last before the surrogates", "ed 9f bf", 1 },
	{ "3 bytes U+E000, first after the surrogates", "ee 80 80", 1 },
	{ "3 bytes U+FFFF", "ef bf bf", 1 },
	{ "4 bytes U+10000", "f0 90 80 80", 1 },
	{ "4 bytes U+1F600", "f0 9f 98 80", 1 },
	{ "4 bytes U+10FFFF", "f4 8f bf bf", 1 },
	{ "8 ASCII then U+00E9", "61 62 63 64 65 66 67 68 c3 a9", 1 },
	{ "overlong U+0000 in 2 bytes", "c0 80", 0 },
	{ "overlong U+007F in 2 bytes", "c1 bf", 0 },
	{ "overlong U+0000 in 3 bytes", "e0 80 80", 0 },
	{ "overlong U+07FF in 3 bytes", "e0 9f bf", 0 },
	{ "overlong U+0000 in 4 bytes", "f0 80 80 80", 0 },
	{ "overlong U+FFFF in 4 bytes", "f0 8f bf bf", 0 },
	{ "surrogate U+D800", "ed a0 80", 0 },
	{ "surrogate U+DFFF", "ed bf bf", 0 },
	{ "surrogate pair encoded as two 3-byte sequences", "ed a0 bd ed b8 80", 0 },
	{ "U+0000 alone", "00", 0 },
	{ "U+0000 inside", "61 00 62", 0 },
	{ "U+0000 in a long ASCII run", "61 62 63 64 65 66 67 68 69 00 6b 6c 6d 6e 6f 70", 0 },
	{ "U+0000 last after 16 ASCII",
	  "61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 00", 0 },
	{ "truncated 2-byte sequence", "c3", 0 },
	{ "truncated 3-byte sequence", "e2 82", 0 },
	{ "truncated 4-byte sequence", "f0 9f 98", 0 },
	{ "truncated sequence at the end of ASCII", "61 62 63 e2", 0 },
	{ "lead byte followed by ASCII", "c3 61", 0 },
	{ "lone continuation byte 80", "80", 0 },
	{ "lone continuation byte bf", "bf", 0 },
	{ "above U+10FFFF", "f4 90 80 80", 0 },
	{ "F5 lead byte", "f5 80 80 80", 0 },
	{ "F8 lead byte (5-byte form)", "f8 88 80 80 80", 0 },
	{ "FE", "fe", 0 },
	{ "FF", "ff", 0 },
	{ "8 ASCII then FF", "61 62 63 64 65 66 67 68 ff", 0 },
};

Test(utf8, well_formed_and_ill_formed_strings)
{
	for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		struct bin b = hex(utf8_cases[i].hex);
		struct mqtt_view v = { b.p, (uint32_t)b.n };

		cr_assert_eq(mqtt_utf8_valid(v), utf8_cases[i].ok, "%s (%s): expected %s",
			     utf8_cases[i].what, utf8_cases[i].hex,
			     utf8_cases[i].ok ? "valid" : "invalid");
	}
}

/* ---- 3. fixed header ---------------------------------------------------------------- */

static const struct {
	const char *hex;
	uint8_t type, flags, hdrlen;
	uint32_t remlen;
} headers[] = {
	{ "c0 00", MQTT_PINGREQ, 0x0, 2, 0 },                       /* PINGREQ, 0 */
	{ "3b 7f", MQTT_PUBLISH, 0xb, 2, 127 },                     /* PUBLISH dup QoS1 retain */
	{ "82 80 01", MQTT_SUBSCRIBE, 0x2, 3, 128 },
	{ "62 ff 7f", MQTT_PUBREL, 0x2, 3, 16383 },
	{ "90 80 80 01", MQTT_SUBACK, 0x0, 4, 16384 },
	{ "a2 ff ff 7f", MQTT_UNSUBSCRIBE, 0x2, 4, 2097151 },
	{ "b0 80 80 80 01", MQTT_UNSUBACK, 0x0, 5, 2097152 },
	{ "f0 ff ff ff 7f", MQTT_AUTH, 0x0, 5, MQTT_MAX_REMLEN },
};

Test(fixhdr, type_flags_and_lengths_of_2_to_5_byte_headers)
{
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		char h[64];
		struct bin b;
		struct mqtt_fixhdr f;

		/* the header followed by two body bytes, which it must not take */
		snprintf(h, sizeof h, "%s 00 01", headers[i].hex);
		b = hex(h);
		memset(&f, 0xaa, sizeof f);
		cr_assert_eq(mqtt_fixed_header(b.p, b.n, &f), MQTT_OK, "%s", headers[i].hex);
		cr_assert_eq(f.type, headers[i].type, "%s: type", headers[i].hex);
		cr_assert_eq(f.flags, headers[i].flags, "%s: flags", headers[i].hex);
		cr_assert_eq(f.hdrlen, headers[i].hdrlen, "%s: hdrlen", headers[i].hex);
		cr_assert_eq(f.remlen, headers[i].remlen, "%s: remlen", headers[i].hex);

		/* the header alone is enough */
		b = hex(headers[i].hex);
		memset(&f, 0xaa, sizeof f);
		cr_assert_eq(mqtt_fixed_header(b.p, b.n, &f), MQTT_OK);
		cr_assert_eq(f.hdrlen, b.n);
	}
}

Test(fixhdr, every_truncated_header_is_truncated_and_leaves_the_output)
{
	for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		struct bin full = hex(headers[i].hex);
		for (size_t n = 0; n < full.n; n++) {
			struct bin b = guarded_copy(full.p, n);
			struct mqtt_fixhdr f, before;

			memset(&f, 0xaa, sizeof f);
			memcpy(&before, &f, sizeof f);
			cr_assert_eq(mqtt_fixed_header(b.p, b.n, &f), MQTT_TRUNCATED, "%s cut to %zu",
				     headers[i].hex, n);
			cr_assert_eq(memcmp(&f, &before, sizeof f), 0, "output untouched");
		}
	}
}

Test(fixhdr, remaining_length_of_five_bytes_is_malformed)
{
	/* PUBLISH, then a remaining length with a 5th byte */
	struct bin b = hex("30 ff ff ff ff 7f 00");
	struct bin c = hex("30 80 80 80 80 01");
	struct mqtt_fixhdr f, before;

	memset(&f, 0xaa, sizeof f);
	memcpy(&before, &f, sizeof f);
	cr_assert_eq(mqtt_fixed_header(b.p, b.n, &f), MQTT_MALFORMED);
	cr_assert_eq(memcmp(&f, &before, sizeof f), 0, "output untouched");
	cr_assert_eq(mqtt_fixed_header(c.p, c.n, &f), MQTT_MALFORMED);
}

/* ---- 4. packets: CONNECT -------------------------------------------------------------- */

Test(connect, mqtt31_minimal)
{
	parse_valid("10 11"                      /* CONNECT, remaining length 17 */
		    "00 06 4d 51 49 73 64 70"    /* protocol name "MQIsdp" */
		    "03"                         /* level 3 */
		    "02"                         /* flags: clean session */
		    "00 3c"                      /* keep alive 60 */
		    "00 03 63 33 31",            /* client id "c31" */
		    MQTT_VUNKNOWN);
	cr_assert_eq(m.hdr.type, MQTT_CONNECT);
	cr_assert_eq(m.version, MQTT_V31);
	cr_assert(view_is(m.proto_name, "MQIsdp"));
	cr_assert_eq(m.proto_level, 3);
	cr_assert_eq(m.connect_flags, 0x02);
	cr_assert_eq(m.keepalive, 60);
	cr_assert(view_is(m.clientid, "c31"));
	cr_assert_not(m.has_will);
	cr_assert_not(m.has_username);
	cr_assert_not(m.has_password);
	cr_assert_not(m.has_props, "3.1 has no properties");
	views_inside(pkt.p, pkt.n);
}

Test(connect, mqtt31_will_username_password)
{
	parse_valid("10 27"                      /* CONNECT, remaining length 39 */
		    "00 06 4d 51 49 73 64 70"    /* "MQIsdp" */
		    "03"                         /* level 3 */
		    "ee"                         /* user, password, will retain, will QoS 1, will, clean */
		    "00 0a"                      /* keep alive 10 */
		    "00 03 63 33 31"             /* client id "c31" */
		    "00 03 77 2f 74"             /* will topic "w/t" */
		    "00 03 62 79 65"             /* will message "bye" */
		    "00 04 75 73 65 72"          /* user name "user" */
		    "00 04 70 61 73 73",         /* password "pass" */
		    MQTT_V31);
	cr_assert_eq(m.version, MQTT_V31);
	cr_assert_eq(m.keepalive, 10);
	cr_assert(m.has_will);
	cr_assert_not(m.has_will_props);
	cr_assert_eq((m.connect_flags >> 3) & 3, 1, "will QoS");
	cr_assert(m.connect_flags & 0x20, "will retain");
	cr_assert(view_is(m.will_topic, "w/t"));
	cr_assert(view_is(m.will_payload, "bye"));
	cr_assert(m.has_username && view_is(m.username, "user"));
	cr_assert(m.has_password && view_is(m.password, "pass"));
	views_inside(pkt.p, pkt.n);
}

Test(connect, mqtt311_minimal)
{
	parse_valid("10 0d"                /* CONNECT, remaining length 13 */
		    "00 04 4d 51 54 54"    /* "MQTT" */
		    "04"                   /* level 4 */
		    "02"                   /* clean session */
		    "00 3c"                /* keep alive 60 */
		    "00 01 63",            /* client id "c" */
		    MQTT_VUNKNOWN);
	cr_assert_eq(m.version, MQTT_V311);
	cr_assert(view_is(m.proto_name, "MQTT"));
	cr_assert_eq(m.proto_level, 4);
	cr_assert(view_is(m.clientid, "c"));
	cr_assert_not(m.has_will || m.has_username || m.has_password || m.has_props);
}

Test(connect, mqtt311_will_qos2_and_username_without_password)
{
	parse_valid("10 1a"                /* CONNECT, remaining length 26 */
		    "00 04 4d 51 54 54"    /* "MQTT" */
		    "04"                   /* level 4 */
		    "96"                   /* user name, will QoS 2, will, clean */
		    "00 1e"                /* keep alive 30 */
		    "00 02 69 64"          /* client id "id" */
		    "00 03 77 2f 74"       /* will topic "w/t" */
		    "00 02 01 02"          /* will payload: 2 binary bytes */
		    "00 01 75",            /* user name "u" */
		    MQTT_V311);
	cr_assert_eq(m.keepalive, 30);
	cr_assert(m.has_will);
	cr_assert_eq((m.connect_flags >> 3) & 3, 2, "will QoS");
	cr_assert_not(m.connect_flags & 0x20, "no will retain");
	cr_assert(view_is(m.will_topic, "w/t"));
	cr_assert(view_is_hex(m.will_payload, "01 02"));
	cr_assert(m.has_username && view_is(m.username, "u"));
	cr_assert_not(m.has_password);
	cr_assert_eq(m.password.len, 0);
}

Test(connect, mqtt311_username_and_password_without_will)
{
	parse_valid("10 19"                /* CONNECT, remaining length 25 */
		    "00 04 4d 51 54 54"    /* "MQTT" */
		    "04"                   /* level 4 */
		    "c2"                   /* user name, password, clean */
		    "00 3c"                /* keep alive 60 */
		    "00 01 63"             /* client id "c" */
		    "00 04 75 73 65 72"    /* "user" */
		    "00 04 70 61 73 73",   /* "pass" */
		    MQTT_V311);
	cr_assert_not(m.has_will);
	cr_assert_eq(m.will_topic.len, 0);
	cr_assert(view_is(m.username, "user"));
	cr_assert(view_is(m.password, "pass"));
}

Test(connect, mqtt5_properties_will_properties_username_password)
{
	struct mqtt_cursor c;

	parse_valid("10 38"                          /* CONNECT, remaining length 56 */
		    "00 04 4d 51 54 54"              /* "MQTT" */
		    "05"                             /* level 5 */
		    "ee"                             /* user, password, will retain, will QoS 1, will, clean */
		    "00 3c"                          /* keep alive 60 */
		    "08"                             /* properties: 8 bytes */
		    "  11 00 00 00 78"               /*   Session Expiry Interval 120 */
		    "  21 00 14"                     /*   Receive Maximum 20 */
		    "00 02 63 35"                    /* client id "c5" */
		    "12"                             /* will properties: 18 bytes */
		    "  18 00 00 00 05"               /*   Will Delay Interval 5 */
		    "  03 00 0a 74 65 78 74 2f 70 6c 61 69 6e" /* Content Type "text/plain" */
		    "00 01 77"                       /* will topic "w" */
		    "00 02 6f 6b"                    /* will payload "ok" */
		    "00 01 75"                       /* user name "u" */
		    "00 02 70 77",                   /* password "pw" */
		    MQTT_VUNKNOWN);
	cr_assert_eq(m.version, MQTT_V5, "a CONNECT is read at the level it carries");
	cr_assert_eq(m.proto_level, 5);
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 8);
	c = mqtt_cursor_of(m.props);
	next_prop_num(&c, 0x11, MQTT_PT_U32, 120);
	next_prop_num(&c, 0x21, MQTT_PT_U16, 20);
	props_end(&c);
	cr_assert(view_is(m.clientid, "c5"));
	cr_assert(m.has_will && m.has_will_props);
	cr_assert_eq(m.will_props.len, 18);
	c = mqtt_cursor_of(m.will_props);
	next_prop_num(&c, 0x18, MQTT_PT_U32, 5);
	next_prop_str(&c, 0x03, MQTT_PT_UTF8, "text/plain");
	props_end(&c);
	cr_assert(view_is(m.will_topic, "w"));
	cr_assert(view_is(m.will_payload, "ok"));
	cr_assert(view_is(m.username, "u"));
	cr_assert(view_is(m.password, "pw"));
	views_inside(pkt.p, pkt.n);
}

Test(connect, mqtt5_minimal_empty_client_id_and_no_properties)
{
	parse_valid("10 0d"                /* CONNECT, remaining length 13 */
		    "00 04 4d 51 54 54"    /* "MQTT" */
		    "05"                   /* level 5 */
		    "02"                   /* clean start */
		    "00 00"                /* keep alive 0 */
		    "00"                   /* properties: none */
		    "00 00",               /* client id "" */
		    MQTT_V311);
	cr_assert_eq(m.version, MQTT_V5, "level 5 wins over the connection's 3.1.1");
	cr_assert_eq(m.keepalive, 0);
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 0);
	cr_assert_eq(m.clientid.len, 0);
	cr_assert_not(m.has_will || m.has_will_props || m.has_username || m.has_password);
}

Test(connect, level_4_in_a_v5_connection_is_read_as_311)
{
	parse_valid("10 0d 00 04 4d 51 54 54 04 02 00 3c 00 01 63", /* 3.1.1 CONNECT, id "c" */
		    MQTT_V5);
	cr_assert_eq(m.version, MQTT_V311);
	cr_assert_not(m.has_props, "no property block is read in 3.1.1");
	cr_assert(view_is(m.clientid, "c"));
}

/* ---- CONNACK ------------------------------------------------------------------------ */

Test(connack, mqtt311_return_codes)
{
	static const char *const names[6] = {
		"Connection Accepted",
		"Connection Refused: unacceptable protocol version",
		"Connection Refused: identifier rejected",
		"Connection Refused: server unavailable",
		"Connection Refused: bad user name or password",
		"Connection Refused: not authorized",
	};

	for (unsigned code = 0; code < 6; code++) {
		char h[32];
		snprintf(h, sizeof h, "20 02 00 %02x", code); /* CONNACK, no session, code */
		parse_valid(h, MQTT_V311);
		cr_assert_eq(m.hdr.type, MQTT_CONNACK);
		cr_assert(m.has_code);
		cr_assert_eq(m.code, code);
		cr_assert_eq(m.ack_flags, 0);
		cr_assert_not(m.has_props);
		cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V311, (uint8_t)code), names[code]);
	}
	parse_valid("20 02"   /* CONNACK */
		    "01"      /* session present */
		    "05",     /* not authorized */
		    MQTT_V311);
	cr_assert_eq(m.ack_flags, 1);
	cr_assert_eq(m.code, 5);
	cr_assert_null(mqtt_code_name(MQTT_CONNACK, MQTT_V311, 6), "6 and up are reserved");
}

Test(connack, mqtt31)
{
	parse_valid("20 02 00 02", MQTT_V31); /* CONNACK, identifier rejected */
	cr_assert_eq(m.version, MQTT_V31);
	cr_assert_eq(m.code, 2);
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V31, 2),
			 "Connection Refused: identifier rejected");
}

Test(connack, mqtt5_reason_code_and_properties)
{
	struct mqtt_cursor c;

	parse_valid("20 0e"                  /* CONNACK, remaining length 14 */
		    "01"                     /* session present */
		    "00"                     /* Success */
		    "0b"                     /* properties: 11 bytes */
		    "  12 00 03 61 62 63"    /*   Assigned Client Identifier "abc" */
		    "  22 00 0a"             /*   Topic Alias Maximum 10 */
		    "  24 01",               /*   Maximum QoS 1 */
		    MQTT_V5);
	cr_assert_eq(m.ack_flags, 1);
	cr_assert(m.has_code);
	cr_assert_eq(m.code, 0);
	cr_assert(m.has_props);
	c = mqtt_cursor_of(m.props);
	next_prop_str(&c, 0x12, MQTT_PT_UTF8, "abc");
	next_prop_num(&c, 0x22, MQTT_PT_U16, 10);
	next_prop_num(&c, 0x24, MQTT_PT_BYTE, 1);
	props_end(&c);
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V5, 0), "Success");

	parse_valid("20 03 00 86 00", MQTT_V5); /* CONNACK, Bad User Name or Password, no props */
	cr_assert_eq(m.code, 0x86);
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 0);
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V5, m.code), "Bad User Name or Password");
}

/* ---- PUBLISH ------------------------------------------------------------------------ */

Test(publish, mqtt311_qos0_retain_has_no_packet_id)
{
	parse_valid("31 07"              /* PUBLISH QoS 0 retain, remaining length 7 */
		    "00 03 61 2f 62"     /* topic "a/b" */
		    "68 69",             /* payload "hi" */
		    MQTT_V311);
	cr_assert_eq(m.qos, 0);
	cr_assert_eq(m.retain, 1);
	cr_assert_eq(m.dup, 0);
	cr_assert(view_is(m.topic, "a/b"));
	cr_assert_not(m.has_msgid, "no packet id at QoS 0");
	cr_assert(view_is(m.payload, "hi"));
	cr_assert_not(m.has_props);
}

Test(publish, mqtt311_qos1)
{
	parse_valid("32 08"              /* PUBLISH QoS 1, remaining length 8 */
		    "00 03 61 2f 62"     /* topic "a/b" */
		    "00 03"              /* packet id 3 */
		    "78",                /* payload "x" */
		    MQTT_V311);
	cr_assert_eq(m.qos, 1);
	cr_assert_eq(m.retain, 0);
	cr_assert(m.has_msgid);
	cr_assert_eq(m.msgid, 3);
	cr_assert(view_is(m.payload, "x"));
}

Test(publish, mqtt311_qos2_dup_empty_payload)
{
	parse_valid("3c 07"              /* PUBLISH dup QoS 2, remaining length 7 */
		    "00 03 61 2f 62"     /* topic "a/b" */
		    "12 34",             /* packet id 0x1234, no payload */
		    MQTT_V311);
	cr_assert_eq(m.qos, 2);
	cr_assert_eq(m.dup, 1);
	cr_assert_eq(m.retain, 0);
	cr_assert_eq(m.msgid, 0x1234);
	cr_assert_eq(m.payload.len, 0);
}

Test(publish, mqtt31_qos1_retain)
{
	parse_valid("33 08 00 03 61 2f 62 00 05 7a", /* QoS 1 retain, "a/b", id 5, payload "z" */
		    MQTT_V31);
	cr_assert_eq(m.version, MQTT_V31);
	cr_assert_eq(m.qos, 1);
	cr_assert_eq(m.retain, 1);
	cr_assert_eq(m.msgid, 5);
	cr_assert(view_is(m.payload, "z"));
}

Test(publish, mqtt5_qos1_two_user_properties_and_subscription_identifier)
{
	struct mqtt_cursor c;

	parse_valid("32 1b"                          /* PUBLISH QoS 1, remaining length 27 */
		    "00 03 61 2f 62"                 /* topic "a/b" */
		    "00 09"                          /* packet id 9 */
		    "13"                             /* properties: 19 bytes */
		    "  26 00 01 6b 00 01 76"         /*   User Property k = v */
		    "  26 00 02 6b 32 00 02 76 32"   /*   User Property k2 = v2 */
		    "  0b 80 01",                    /*   Subscription Identifier 128 */
		    MQTT_V5);
	cr_assert_eq(m.qos, 1);
	cr_assert_eq(m.msgid, 9);
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 19);
	c = mqtt_cursor_of(m.props);
	next_prop_pair(&c, "k", "v");
	next_prop_pair(&c, "k2", "v2");
	next_prop_num(&c, 0x0b, MQTT_PT_VARINT, 128);
	props_end(&c);
	cr_assert_eq(m.payload.len, 0, "empty payload");
	views_inside(pkt.p, pkt.n);
}

Test(publish, the_same_bytes_in_311_carry_the_properties_as_payload)
{
	parse_valid("32 1b 00 03 61 2f 62 00 09 13 26 00 01 6b 00 01 76 26 00 02 6b 32 00 02 76 32"
		    " 0b 80 01", /* the v5 PUBLISH above */
		    MQTT_V311);
	cr_assert_not(m.has_props);
	cr_assert_eq(m.payload.len, 20);
	cr_assert_eq(m.payload.p[0], 0x13);
}

Test(publish, mqtt5_qos0_without_properties)
{
	parse_valid("30 07"        /* PUBLISH QoS 0, remaining length 7 */
		    "00 01 74"     /* topic "t" */
		    "00"           /* properties: none */
		    "70 61 79",    /* payload "pay" */
		    MQTT_V5);
	cr_assert_not(m.has_msgid);
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 0);
	cr_assert(view_is(m.payload, "pay"));
}

Test(publish, mqtt5_qos2_dup_retain_topic_alias_with_empty_topic)
{
	struct mqtt_cursor c;

	parse_valid("3d 09"        /* PUBLISH dup QoS 2 retain, remaining length 9 */
		    "00 00"        /* topic "" (the alias stands for it) */
		    "00 05"        /* packet id 5 */
		    "03 23 00 07"  /* properties: Topic Alias 7 */
		    "7a",          /* payload "z" */
		    MQTT_V5);
	cr_assert(m.dup && m.retain);
	cr_assert_eq(m.qos, 2);
	cr_assert_eq(m.topic.len, 0);
	cr_assert_eq(m.msgid, 5);
	c = mqtt_cursor_of(m.props);
	next_prop_num(&c, 0x23, MQTT_PT_U16, 7);
	props_end(&c);
	cr_assert(view_is(m.payload, "z"));
}

Test(publish, mqtt5_property_types_byte_u32_utf8_binary)
{
	struct mqtt_cursor c;

	parse_valid("30 16"                  /* PUBLISH QoS 0, remaining length 22 */
		    "00 01 74"               /* topic "t" */
		    "10"                     /* properties: 16 bytes */
		    "  01 01"                /*   Payload Format Indicator 1 */
		    "  02 00 00 0e 10"       /*   Message Expiry Interval 3600 */
		    "  08 00 01 72"          /*   Response Topic "r" */
		    "  09 00 02 ca fe"       /*   Correlation Data ca fe */
		    "7b 7d",                 /* payload "{}" */
		    MQTT_V5);
	c = mqtt_cursor_of(m.props);
	next_prop_num(&c, 0x01, MQTT_PT_BYTE, 1);
	next_prop_num(&c, 0x02, MQTT_PT_U32, 3600);
	next_prop_str(&c, 0x08, MQTT_PT_UTF8, "r");
	next_prop_bin(&c, 0x09, "ca fe");
	props_end(&c);
	cr_assert(view_is(m.payload, "{}"));
}

/* ---- PUBACK, PUBREC, PUBREL, PUBCOMP ---------------------------------------------------- */

static const struct {
	uint8_t type;
	const char *two, *three, *more; /* remaining length 2, 3 and 4+ forms */
	uint16_t id;
	uint8_t code;
} acks[] = {
	{ MQTT_PUBACK, "40 02 00 07", "40 03 00 07 10",
	  "40 0a 00 07 10 06 1f 00 03 62 61 64", 7, 0x10 },
	{ MQTT_PUBREC, "50 02 00 08", "50 03 00 08 80",
	  "50 0a 00 08 80 06 1f 00 03 62 61 64", 8, 0x80 },
	{ MQTT_PUBREL, "62 02 00 09", "62 03 00 09 92",
	  "62 0a 00 09 92 06 1f 00 03 62 61 64", 9, 0x92 },
	{ MQTT_PUBCOMP, "70 02 00 0a", "70 03 00 0a 92",
	  "70 0a 00 0a 92 06 1f 00 03 62 61 64", 10, 0x92 },
	/* type and flags | length | packet id | reason code | properties: Reason String "bad" */
};

Test(ack, mqtt31_and_311_carry_only_the_packet_id)
{
	const uint8_t versions[] = { MQTT_V31, MQTT_V311, MQTT_VUNKNOWN };

	for (size_t v = 0; v < sizeof versions; v++)
		for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++) {
			parse_valid(acks[i].two, versions[v]);
			cr_assert_eq(m.hdr.type, acks[i].type);
			cr_assert(m.has_msgid);
			cr_assert_eq(m.msgid, acks[i].id);
			cr_assert_not(m.has_code);
			cr_assert_not(m.has_props);
		}
}

Test(ack, mqtt5_remaining_length_2_has_no_reason_code)
{
	for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++) {
		parse_valid(acks[i].two, MQTT_V5);
		cr_assert_eq(m.msgid, acks[i].id);
		cr_assert_not(m.has_code, "%s: Success is implied", mqtt_type_name(acks[i].type));
		cr_assert_not(m.has_props);
	}
}

Test(ack, mqtt5_remaining_length_3_has_the_reason_code_only)
{
	for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++) {
		parse_valid(acks[i].three, MQTT_V5);
		cr_assert_eq(m.msgid, acks[i].id);
		cr_assert(m.has_code);
		cr_assert_eq(m.code, acks[i].code);
		cr_assert_not(m.has_props);
	}
	cr_assert_str_eq(mqtt_code_name(MQTT_PUBACK, MQTT_V5, 0x10), "No matching subscribers");
	cr_assert_str_eq(mqtt_code_name(MQTT_PUBREL, MQTT_V5, 0x92), "Packet Identifier not found");
}

Test(ack, mqtt5_remaining_length_4_and_more_has_code_and_properties)
{
	struct mqtt_cursor c;

	for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++) {
		parse_valid(acks[i].more, MQTT_V5);
		cr_assert_eq(m.hdr.type, acks[i].type);
		cr_assert_eq(m.msgid, acks[i].id);
		cr_assert(m.has_code);
		cr_assert_eq(m.code, acks[i].code);
		cr_assert(m.has_props);
		c = mqtt_cursor_of(m.props);
		next_prop_str(&c, 0x1f, MQTT_PT_UTF8, "bad");
		props_end(&c);
	}
	parse_valid("40 04"   /* PUBACK, remaining length 4 */
		    "00 07"   /* packet id 7 */
		    "00"      /* Success */
		    "00",     /* properties: none */
		    MQTT_V5);
	cr_assert(m.has_code && m.code == 0);
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 0);
}

Test(ack, mqtt311_reads_no_reason_code_and_flags_the_extra_byte)
{
	cr_assert_eq(parse("40 03 00 07 10", MQTT_V311), MQTT_OK); /* PUBACK id 7 + one byte */
	cr_assert_eq(m.msgid, 7);
	cr_assert_not(m.has_code);
	cr_assert_eq(m.nwarn, 1, "left-over byte");
	cr_assert_eq(m.warn[0].malformed, 0);
	cr_assert_eq(m.warn[0].offset, 4);
}

/* ---- SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK ------------------------------------------ */

static const char sub311[] =
	"82 14"                      /* SUBSCRIBE, remaining length 20 */
	"00 01"                      /* packet id 1 */
	"00 01 61 00"                /* "a" QoS 0 */
	"00 03 62 2f 23 01"          /* "b/#" QoS 1 */
	"00 05 73 2f 2b 2f 63 02";   /* "s/+/c" QoS 2 */

Test(subscribe, mqtt311_and_31_several_filters)
{
	const uint8_t versions[] = { MQTT_V311, MQTT_V31 };
	static const struct { const char *f; uint8_t qos; } want[] = {
		{ "a", 0 }, { "b/#", 1 }, { "s/+/c", 2 },
	};

	for (size_t v = 0; v < sizeof versions; v++) {
		struct mqtt_cursor c;
		struct mqtt_view f;
		uint8_t o;

		parse_valid(sub311, versions[v]);
		cr_assert_eq(m.hdr.type, MQTT_SUBSCRIBE);
		cr_assert_eq(m.hdr.flags, 2);
		cr_assert_eq(m.msgid, 1);
		cr_assert_not(m.has_props);
		cr_assert_eq(m.list_count, 3);
		cr_assert_eq(m.list.len, 18);
		c = mqtt_cursor_of(m.list);
		for (size_t i = 0; i < 3; i++) {
			cr_assert_eq(mqtt_next_sub(&c, versions[v], &f, &o), MQTT_OK);
			cr_assert(view_is(f, want[i].f), "filter %zu", i);
			cr_assert_eq(o, want[i].qos, "filter %zu QoS", i);
		}
		cr_assert_eq(mqtt_next_sub(&c, versions[v], &f, &o), MQTT_TRUNCATED);
	}
}

Test(subscribe, mqtt5_properties_and_subscription_option_bits)
{
	struct mqtt_cursor c;
	struct mqtt_view f;
	uint8_t o;

	parse_valid("82 0f"                /* SUBSCRIBE, remaining length 15 */
		    "00 02"                /* packet id 2 */
		    "02 0b 05"             /* properties: Subscription Identifier 5 */
		    "00 01 78 2d"          /* "x": QoS 1, No Local, Retain As Published, Retain Handling 2 */
		    "00 03 79 2f 23 02",   /* "y/#": QoS 2 */
		    MQTT_V5);
	cr_assert_eq(m.msgid, 2);
	cr_assert(m.has_props);
	c = mqtt_cursor_of(m.props);
	next_prop_num(&c, 0x0b, MQTT_PT_VARINT, 5);
	props_end(&c);
	cr_assert_eq(m.list_count, 2);
	c = mqtt_cursor_of(m.list);
	cr_assert_eq(mqtt_next_sub(&c, MQTT_V5, &f, &o), MQTT_OK);
	cr_assert(view_is(f, "x"));
	cr_assert_eq(o & 3, 1, "maximum QoS");
	cr_assert_eq((o >> 2) & 1, 1, "No Local");
	cr_assert_eq((o >> 3) & 1, 1, "Retain As Published");
	cr_assert_eq((o >> 4) & 3, 2, "Retain Handling");
	cr_assert_eq(mqtt_next_sub(&c, MQTT_V5, &f, &o), MQTT_OK);
	cr_assert(view_is(f, "y/#"));
	cr_assert_eq(o, 0x02);
	cr_assert_eq(mqtt_next_sub(&c, MQTT_V5, &f, &o), MQTT_TRUNCATED);
}

Test(subscribe, next_sub_cut_in_the_options_leaves_the_cursor)
{
	struct bin b = hex("00 01 61"); /* filter "a" and no options byte */
	struct mqtt_cursor c = cur(b);
	struct mqtt_view f = { NULL, 0 };
	uint8_t o = 0x55;

	cr_assert_eq(mqtt_next_sub(&c, MQTT_V311, &f, &o), MQTT_TRUNCATED);
	cr_assert_eq(c.p, b.p);
	cr_assert_null(f.p);
	cr_assert_eq(o, 0x55);
}

Test(suback, mqtt311_codes_including_failure)
{
	static const char *const names[] = { "Granted QoS 0", "Granted QoS 1", "Granted QoS 2",
					     "Failure" };

	parse_valid("90 06"          /* SUBACK, remaining length 6 */
		    "00 01"          /* packet id 1 */
		    "00 01 02 80",   /* QoS 0, QoS 1, QoS 2, Failure */
		    MQTT_V311);
	cr_assert_eq(m.msgid, 1);
	cr_assert_eq(m.list_count, 4);
	cr_assert(view_is_hex(m.list, "00 01 02 80"));
	for (uint32_t i = 0; i < m.list_count; i++)
		cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V311, m.list.p[i]), names[i]);
	cr_assert_null(mqtt_code_name(MQTT_SUBACK, MQTT_V311, 0x03));
}

Test(suback, mqtt5_properties_and_reason_codes)
{
	struct mqtt_cursor c;

	parse_valid("90 0a"                  /* SUBACK, remaining length 10 */
		    "00 02"                  /* packet id 2 */
		    "05 1f 00 02 6e 6f"      /* properties: Reason String "no" */
		    "01 a2",                 /* Granted QoS 1, Wildcard Subscriptions not supported */
		    MQTT_V5);
	cr_assert(m.has_props);
	c = mqtt_cursor_of(m.props);
	next_prop_str(&c, 0x1f, MQTT_PT_UTF8, "no");
	props_end(&c);
	cr_assert_eq(m.list_count, 2);
	cr_assert(view_is_hex(m.list, "01 a2"));
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V5, 0x01), "Granted QoS 1");
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V5, 0xa2),
			 "Wildcard Subscriptions not supported");
}

Test(unsubscribe, mqtt311_filters)
{
	struct mqtt_cursor c;
	struct mqtt_view f;

	parse_valid("a2 0a"              /* UNSUBSCRIBE, remaining length 10 */
		    "00 02"              /* packet id 2 */
		    "00 01 61"           /* "a" */
		    "00 03 62 2f 23",    /* "b/#" */
		    MQTT_V311);
	cr_assert_eq(m.msgid, 2);
	cr_assert_eq(m.list_count, 2);
	c = mqtt_cursor_of(m.list);
	cr_assert_eq(mqtt_next_filter(&c, &f), MQTT_OK);
	cr_assert(view_is(f, "a"));
	cr_assert_eq(mqtt_next_filter(&c, &f), MQTT_OK);
	cr_assert(view_is(f, "b/#"));
	cr_assert_eq(mqtt_next_filter(&c, &f), MQTT_TRUNCATED);
}

Test(unsubscribe, mqtt5_properties_and_filter)
{
	struct mqtt_cursor c;
	struct mqtt_view f;

	parse_valid("a2 0d"                      /* UNSUBSCRIBE, remaining length 13 */
		    "00 03"                      /* packet id 3 */
		    "07 26 00 01 6b 00 01 76"    /* properties: User Property k = v */
		    "00 01 61",                  /* "a" */
		    MQTT_V5);
	cr_assert_eq(m.msgid, 3);
	c = mqtt_cursor_of(m.props);
	next_prop_pair(&c, "k", "v");
	props_end(&c);
	cr_assert_eq(m.list_count, 1);
	c = mqtt_cursor_of(m.list);
	cr_assert_eq(mqtt_next_filter(&c, &f), MQTT_OK);
	cr_assert(view_is(f, "a"));
}

Test(unsuback, mqtt311_and_31_packet_id_only)
{
	const uint8_t versions[] = { MQTT_V311, MQTT_V31 };

	for (size_t v = 0; v < sizeof versions; v++) {
		parse_valid("b0 02 00 02", versions[v]); /* UNSUBACK, packet id 2 */
		cr_assert_eq(m.hdr.type, MQTT_UNSUBACK);
		cr_assert(m.has_msgid);
		cr_assert_eq(m.msgid, 2);
		cr_assert_eq(m.list_count, 0);
		cr_assert_eq(m.list.len, 0);
		cr_assert_not(m.has_props);
	}
}

Test(unsuback, mqtt5_properties_and_reason_codes)
{
	struct mqtt_cursor c;

	parse_valid("b0 0b"                  /* UNSUBACK, remaining length 11 */
		    "00 03"                  /* packet id 3 */
		    "06 1f 00 03 6e 6f 70"   /* properties: Reason String "nop" */
		    "00 11",                 /* Success, No subscription existed */
		    MQTT_V5);
	cr_assert_eq(m.msgid, 3);
	c = mqtt_cursor_of(m.props);
	next_prop_str(&c, 0x1f, MQTT_PT_UTF8, "nop");
	props_end(&c);
	cr_assert_eq(m.list_count, 2);
	cr_assert(view_is_hex(m.list, "00 11"));
	cr_assert_str_eq(mqtt_code_name(MQTT_UNSUBACK, MQTT_V5, 0x00), "Success");
	cr_assert_str_eq(mqtt_code_name(MQTT_UNSUBACK, MQTT_V5, 0x11), "No subscription existed");
}

/* ---- PINGREQ, PINGRESP, DISCONNECT, AUTH ------------------------------------------------ */

Test(ping, request_and_response_in_every_version)
{
	const uint8_t versions[] = { MQTT_V31, MQTT_V311, MQTT_V5 };

	for (size_t v = 0; v < sizeof versions; v++) {
		parse_valid("c0 00", versions[v]); /* PINGREQ */
		cr_assert_eq(m.hdr.type, MQTT_PINGREQ);
		cr_assert_eq(m.hdr.remlen, 0);
		cr_assert_not(m.has_msgid || m.has_code || m.has_props);
		parse_valid("d0 00", versions[v]); /* PINGRESP */
		cr_assert_eq(m.hdr.type, MQTT_PINGRESP);
	}
}

Test(disconnect, empty_in_every_version)
{
	const uint8_t versions[] = { MQTT_V31, MQTT_V311, MQTT_V5 };

	for (size_t v = 0; v < sizeof versions; v++) {
		parse_valid("e0 00", versions[v]); /* DISCONNECT */
		cr_assert_eq(m.hdr.type, MQTT_DISCONNECT);
		cr_assert_not(m.has_code, "no reason code: Normal disconnection is implied");
		cr_assert_not(m.has_props);
	}
}

Test(disconnect, mqtt5_reason_code_and_reason_string)
{
	struct mqtt_cursor c;

	parse_valid("e0 09"                      /* DISCONNECT, remaining length 9 */
		    "04"                         /* Disconnect with Will Message */
		    "07 1f 00 04 67 6f 6e 65",   /* properties: Reason String "gone" */
		    MQTT_V5);
	cr_assert(m.has_code);
	cr_assert_eq(m.code, 0x04);
	cr_assert(m.has_props);
	c = mqtt_cursor_of(m.props);
	next_prop_str(&c, 0x1f, MQTT_PT_UTF8, "gone");
	props_end(&c);
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0x04),
			 "Disconnect with Will Message");

	parse_valid("e0 01 8e", MQTT_V5); /* DISCONNECT, Session taken over, no properties */
	cr_assert(m.has_code && m.code == 0x8e);
	cr_assert_not(m.has_props);
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0x8e), "Session taken over");
}

Test(auth, mqtt5_continue_with_method_and_data)
{
	struct mqtt_cursor c;

	parse_valid("f0 10"                      /* AUTH, remaining length 16 */
		    "18"                         /* Continue authentication */
		    "0e"                         /* properties: 14 bytes */
		    "  15 00 05 53 43 52 41 4d"  /*   Authentication Method "SCRAM" */
		    "  16 00 03 01 02 03",       /*   Authentication Data 01 02 03 */
		    MQTT_V5);
	cr_assert_eq(m.hdr.type, MQTT_AUTH);
	cr_assert(m.has_code);
	cr_assert_eq(m.code, 0x18);
	c = mqtt_cursor_of(m.props);
	next_prop_str(&c, 0x15, MQTT_PT_UTF8, "SCRAM");
	next_prop_bin(&c, 0x16, "01 02 03");
	props_end(&c);
	cr_assert_str_eq(mqtt_code_name(MQTT_AUTH, MQTT_V5, 0x18), "Continue authentication");

	parse_valid("f0 00", MQTT_V5); /* AUTH with nothing: Success */
	cr_assert_not(m.has_code);
}

/* ---- 5. malformed packets ----------------------------------------------------------- */

Test(malformed, connect_cut_in_the_client_id)
{
	cr_assert_eq(parse("10 0e"                /* CONNECT, remaining length 14 */
			   "00 04 4d 51 54 54"    /* "MQTT" */
			   "04 02 00 3c"          /* level 4, clean, keep alive 60 */
			   "00 0a 63 31",         /* client id of 10 bytes: 2 are there */
			   MQTT_VUNKNOWN),
		     MQTT_MALFORMED);
	cr_assert_eq(m.hdr.remlen, pkt.n - 2, "the packet is whole: its fields are not");
	cr_assert(any_malformed());
	cr_assert_eq(m.warn[m.nwarn - 1].malformed, 1);
	cr_assert_eq(m.warn[m.nwarn - 1].offset, 12, "at the client id");
	cr_assert(view_is(m.proto_name, "MQTT"), "what was read is kept");
	cr_assert_eq(m.keepalive, 60);
	cr_assert_null(m.clientid.p);
}

Test(malformed, packet_shorter_than_its_remaining_length)
{
	/* PUBLISH QoS 1 "a/b" id 3 of remaining length 8, without its 1-byte payload */
	cr_assert_eq(parse("32 08 00 03 61 2f 62 00 03", MQTT_V311), MQTT_MALFORMED);
	cr_assert(any_malformed());
	cr_assert(view_is(m.topic, "a/b"));
	/* PINGREQ that says 5 more bytes follow */
	cr_assert_eq(parse("c0 05", MQTT_V311), MQTT_MALFORMED);
	cr_assert(any_malformed());
}

Test(malformed, fixed_header_cut_short_or_too_long)
{
	cr_assert_eq(parse("", MQTT_V311), MQTT_MALFORMED, "no bytes");
	cr_assert(any_malformed());
	cr_assert_eq(parse("30", MQTT_V311), MQTT_MALFORMED, "no remaining length");
	cr_assert(any_malformed());
	cr_assert_eq(parse("30 80 80", MQTT_V311), MQTT_MALFORMED, "remaining length cut");
	cr_assert(any_malformed());
	cr_assert_eq(parse("30 ff ff ff ff 7f", MQTT_V311), MQTT_MALFORMED, "5-byte length");
	cr_assert(any_malformed());
}

Test(malformed, v5_property_length_past_the_end)
{
	cr_assert_eq(parse("30 05"       /* PUBLISH, remaining length 5 */
			   "00 01 74"    /* topic "t" */
			   "40 01",      /* properties: 64 bytes, 1 is there */
			   MQTT_V5),
		     MQTT_MALFORMED);
	cr_assert(any_malformed());
}

Test(malformed, v5_property_value_past_its_block)
{
	cr_assert_eq(parse("30 09"       /* PUBLISH, remaining length 9 */
			   "00 01 74"    /* topic "t" */
			   "02 26 00"    /* properties: 2 bytes, a User Property cut in its name */
			   "03 61 62",   /* payload: the rest, not the property's */
			   MQTT_V5),
		     MQTT_MALFORMED);
	cr_assert(any_malformed());
}

Test(malformed, v5_property_length_of_five_bytes)
{
	cr_assert_eq(parse("30 08"              /* PUBLISH, remaining length 8 */
			   "00 01 74"           /* topic "t" */
			   "ff ff ff ff 7f",    /* property length in 5 bytes */
			   MQTT_V5),
		     MQTT_MALFORMED);
	cr_assert(any_malformed());
}

Test(malformed, v5_subscription_identifier_of_five_bytes)
{
	cr_assert_eq(parse("30 0a"                  /* PUBLISH, remaining length 10 */
			   "00 01 74"               /* topic "t" */
			   "06 0b ff ff ff ff 7f",  /* Subscription Identifier in 5 bytes */
			   MQTT_V5),
		     MQTT_MALFORMED);
	cr_assert(any_malformed());
}

Test(malformed, v5_unknown_property_identifiers)
{
	const char *ids[] = { "00", "04", "2b", "7f" }; /* none is a property */

	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char h[64];
		snprintf(h, sizeof h, "30 06"        /* PUBLISH, remaining length 6 */
				      " 00 01 74"    /* topic "t" */
				      " 02 %s 00",   /* properties: 2 bytes, unknown id */
			 ids[i]);
		cr_assert_eq(parse(h, MQTT_V5), MQTT_MALFORMED, "property 0x%s", ids[i]);
		cr_assert(any_malformed());
	}
}

Test(malformed, next_prop_unknown_id_leaves_the_cursor)
{
	struct bin b = hex("04 00 00"); /* property 0x04 does not exist */
	struct mqtt_cursor c = cur(b);
	struct mqtt_prop p;

	cr_assert_eq(mqtt_next_prop(&c, &p), MQTT_MALFORMED);
	cr_assert_eq(c.p, b.p);
	b = hex("02 00 00"); /* Message Expiry Interval cut: 2 of 4 bytes */
	c = cur(b);
	cr_assert_eq(mqtt_next_prop(&c, &p), MQTT_TRUNCATED);
	cr_assert_eq(c.p, b.p);
}

Test(malformed, subscribe_with_a_filter_cut_in_its_options)
{
	cr_assert_eq(parse("82 07"          /* SUBSCRIBE, remaining length 7 */
			   "00 01"          /* packet id 1 */
			   "00 01 61 00"    /* "a" QoS 0 */
			   "00",            /* a filter length cut in half */
			   MQTT_V311),
		     MQTT_MALFORMED);
	cr_assert(any_malformed());
	cr_assert_eq(m.list_count, 1, "the whole filters before the cut are counted");
	cr_assert_eq(m.list.len, 4);
}

/* ---- 5. rules broken in readable packets --------------------------------------------- */

Test(violation, publish_qos3)
{
	const struct mqtt_warning *w;

	cr_assert_eq(parse("36 05"       /* PUBLISH with both QoS bits set */
			   "00 01 74"    /* topic "t" */
			   "00 01",      /* packet id 1 */
			   MQTT_V311),
		     MQTT_OK);
	w = rule_warning("MQTT-3.3.1-4");
	cr_assert_not_null(w, "warning %s", "MQTT-3.3.1-4");
	cr_assert_eq(w->malformed, 0);
	cr_assert_eq(w->offset, 0);
	cr_assert_eq(m.qos, 3);
}

Test(violation, wrong_fixed_header_flags)
{
	static const char *const pkts[] = {
		"80 06 00 01 00 01 61 00",  /* SUBSCRIBE with flags 0 instead of 2 */
		"a0 05 00 01 00 01 61",     /* UNSUBSCRIBE with flags 0 */
		"60 02 00 01",              /* PUBREL with flags 0 */
		"c1 00",                    /* PINGREQ with flags 1 */
		"42 02 00 01",              /* PUBACK with flags 2 */
	};
	for (size_t i = 0; i < sizeof pkts / sizeof pkts[0]; i++) {
		cr_assert_eq(parse(pkts[i], MQTT_V311), MQTT_OK, "%s", pkts[i]);
		cr_assert(has_rule("MQTT-2.1.3-1"), "%s", pkts[i]);
		cr_assert_not(any_malformed());
	}
}

Test(violation, reserved_types_in_311)
{
	cr_assert_eq(parse("00 00", MQTT_V311), MQTT_OK); /* type 0 */
	cr_assert_geq(m.nwarn, 1);
	cr_assert_not(any_malformed());
	cr_assert_eq(parse("00 01 aa", MQTT_V311), MQTT_OK); /* type 0 with a body */
	cr_assert_geq(m.nwarn, 1);
	cr_assert_not(any_malformed());
	cr_assert_eq(parse("f0 00", MQTT_V311), MQTT_OK); /* type 15: AUTH is 5.0 only */
	cr_assert_geq(m.nwarn, 1);
	cr_assert_not(any_malformed());
	cr_assert_eq(parse("f0 00", MQTT_V31), MQTT_OK);
	cr_assert_geq(m.nwarn, 1);
	cr_assert_eq(parse("00 00", MQTT_V5), MQTT_OK); /* type 0 is reserved in 5.0 too */
	cr_assert_geq(m.nwarn, 1);
}

Test(violation, invalid_utf8_topic)
{
	const struct mqtt_warning *w;

	cr_assert_eq(parse("30 04"       /* PUBLISH, remaining length 4 */
			   "00 02 c3 28", /* topic: c3 then a non-continuation byte */
			   MQTT_V311),
		     MQTT_OK);
	w = rule_warning("MQTT-1.5.3-1"); /* 3.1.1 numbers its UTF-8 rules 1.5.3-x */
	cr_assert_not_null(w, "warning %s", "MQTT-1.5.3-1");
	cr_assert_eq(w->malformed, 0);
	cr_assert_eq(w->offset, 4, "at the topic's bytes");
	cr_assert(view_is_hex(m.topic, "c3 28"), "the topic is still returned");
}

Test(violation, invalid_utf8_elsewhere)
{
	/* CONNECT client id with a surrogate */
	cr_assert_eq(parse("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 ed a0 80", MQTT_V311),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.3-1"), "client id");
	/* SUBSCRIBE filter ff, QoS 0 */
	cr_assert_eq(parse("82 06 00 01 00 01 ff 00", MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.3-1"), "subscribe filter");
	/* UNSUBSCRIBE filter c0 80 (overlong) */
	cr_assert_eq(parse("a2 06 00 01 00 02 c0 80", MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.3-1"), "unsubscribe filter");
	/* v5 DISCONNECT with a Reason String c3 28 */
	cr_assert_eq(parse("e0 07 00 05 1f 00 02 c3 28", MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.4-1"), "property string");
	/* v5 PUBLISH with a User Property value ff */
	cr_assert_eq(parse("30 0c 00 01 74 07 26 00 01 6b 00 01 ff 78", MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.4-1"), "user property value");
	cr_assert_not(any_malformed());
}

Test(violation, remaining_length_not_in_its_shortest_form)
{
	cr_assert_eq(parse("c0 80 00", MQTT_V311), MQTT_OK); /* PINGREQ, 0 in 2 bytes */
	cr_assert(has_rule("MQTT-1.5.5-1"));
	cr_assert_eq(parse("30 83 00 00 01 74", MQTT_V311), MQTT_OK); /* PUBLISH, 3 in 2 bytes */
	cr_assert(has_rule("MQTT-1.5.5-1"));
	cr_assert(view_is(m.topic, "t"));
	cr_assert_not(any_malformed());
}

Test(violation, connect_flags)
{
	const struct mqtt_warning *w;

	/* 3.1.1 CONNECT, flags 03: clean + reserved bit */
	cr_assert_eq(parse("10 0d 00 04 4d 51 54 54 04 03 00 3c 00 01 63", MQTT_V311), MQTT_OK);
	w = rule_warning("MQTT-3.1.2-3");
	cr_assert_not_null(w, "warning %s", "MQTT-3.1.2-3");
	cr_assert_eq(w->offset, 9, "at the flags byte");
	/* 3.1.1 CONNECT, flags 0a: will QoS 1 without a will */
	cr_assert_eq(parse("10 0d 00 04 4d 51 54 54 04 0a 00 3c 00 01 63", MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2-11"));
	cr_assert_not(m.has_will);
	cr_assert_not(any_malformed());
}

Test(violation, subscribe_and_unsubscribe_without_filters)
{
	cr_assert_eq(parse("82 02 00 01", MQTT_V311), MQTT_OK); /* SUBSCRIBE id 1, nothing */
	cr_assert(has_rule("MQTT-3.8.3-3"));
	cr_assert_eq(m.list_count, 0);
	cr_assert_eq(parse("a2 02 00 01", MQTT_V311), MQTT_OK); /* UNSUBSCRIBE id 1, nothing */
	cr_assert(has_rule("MQTT-3.10.3-2"));
	cr_assert_not(any_malformed());
}

Test(violation, subscribe_reserved_option_bits)
{
	/* 3.1.1: "a" with options 04; the id is spelled so in the OASIS 3.1.1 text */
	cr_assert_eq(parse("82 06 00 01 00 01 61 04", MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-3.8.3-4"));
	/* 5.0: "a" with options c1 (bits 6 and 7 reserved) */
	cr_assert_eq(parse("82 07 00 01 00 00 01 61 c1", MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-3.8.3-5"));
	/* 5.0: options 2d (QoS 1, No Local, Retain As Published, Retain Handling 2) use every
	 * defined bit and break nothing */
	parse_valid("82 07 00 01 00 00 01 61 2d", MQTT_V5);
}

Test(violation, bytes_left_over_after_the_last_field)
{
	cr_assert_eq(parse("c0 01 00", MQTT_V311), MQTT_OK); /* PINGREQ with a body byte */
	cr_assert_eq(m.nwarn, 1);
	cr_assert_eq(m.warn[0].malformed, 0);
	cr_assert_eq(m.warn[0].offset, 2);
	cr_assert_eq(parse("e0 01 00", MQTT_V311), MQTT_OK); /* 3.1.1 DISCONNECT, 1 byte */
	cr_assert_eq(m.nwarn, 1);
	cr_assert_not(m.has_code, "3.1.1 has no reason code");
}

/* ---- 5. every prefix of a valid packet ------------------------------------------------ */

static const struct {
	const char *hex;
	uint8_t version;
} whole[] = {
	/* 5.0 CONNECT with properties, will properties, user name, password */
	{ "10 38 00 04 4d 51 54 54 05 ee 00 3c 08 11 00 00 00 78 21 00 14 00 02 63 35 12 18 00"
	  "00 00 05 03 00 0a 74 65 78 74 2f 70 6c 61 69 6e 00 01 77 00 02 6f 6b 00 01 75 00 02"
	  "70 77", MQTT_VUNKNOWN },
	/* 3.1 CONNECT with will, user name, password */
	{ "10 27 00 06 4d 51 49 73 64 70 03 ee 00 0a 00 03 63 33 31 00 03 77 2f 74 00 03 62 79"
	  "65 00 04 75 73 65 72 00 04 70 61 73 73", MQTT_VUNKNOWN },
	/* 5.0 CONNACK with properties */
	{ "20 0e 01 00 0b 12 00 03 61 62 63 22 00 0a 24 01", MQTT_V5 },
	/* 5.0 PUBLISH QoS 1 with user properties and a subscription identifier */
	{ "32 1b 00 03 61 2f 62 00 09 13 26 00 01 6b 00 01 76 26 00 02 6b 32 00 02 76 32 0b 80"
	  "01", MQTT_V5 },
	/* 3.1.1 PUBLISH QoS 2 */
	{ "3c 07 00 03 61 2f 62 12 34", MQTT_V311 },
	/* 5.0 PUBREC with reason code and properties */
	{ "50 0a 00 08 80 06 1f 00 03 62 61 64", MQTT_V5 },
	/* 3.1.1 SUBSCRIBE with 3 filters */
	{ "82 14 00 01 00 01 61 00 00 03 62 2f 23 01 00 05 73 2f 2b 2f 63 02", MQTT_V311 },
	/* 5.0 SUBSCRIBE */
	{ "82 0f 00 02 02 0b 05 00 01 78 2d 00 03 79 2f 23 02", MQTT_V5 },
	/* 5.0 SUBACK, UNSUBSCRIBE, UNSUBACK */
	{ "90 0a 00 02 05 1f 00 02 6e 6f 01 a2", MQTT_V5 },
	{ "a2 0d 00 03 07 26 00 01 6b 00 01 76 00 01 61", MQTT_V5 },
	{ "b0 0b 00 03 06 1f 00 03 6e 6f 70 00 11", MQTT_V5 },
	/* 3.1.1 UNSUBACK */
	{ "b0 02 00 02", MQTT_V311 },
	/* 5.0 DISCONNECT and AUTH */
	{ "e0 09 04 07 1f 00 04 67 6f 6e 65", MQTT_V5 },
	{ "f0 10 18 0e 15 00 05 53 43 52 41 4d 16 00 03 01 02 03", MQTT_V5 },
	/* a 3-byte header: PUBLISH of remaining length 128 (topic "t", 125 bytes payload)
	 * is built in the test */
};

static void check_prefixes(struct bin full, uint8_t version)
{
	struct mqtt_fixhdr h;
	char info[256];

	cr_assert_eq(mqtt_fixed_header(full.p, full.n, &h), MQTT_OK);
	cr_assert_eq((size_t)h.hdrlen + h.remlen, full.n, "test vector length");
	cr_assert_eq(mqtt_parse(full.p, full.n, version, &m), MQTT_OK, "the whole packet");
	cr_assert_eq(m.nwarn, 0);

	for (size_t n = 0; n < full.n; n++) {
		struct bin b = guarded_copy(full.p, n);
		size_t len;

		cr_assert_eq(mqtt_parse(b.p, b.n, version, &m), MQTT_MALFORMED,
			     "type %u, prefix of %zu of %zu bytes", h.type, n, full.n);
		cr_assert(any_malformed(), "prefix %zu: a malformed warning", n);
		views_inside(b.p, b.n);
		if (n >= h.hdrlen) {
			cr_assert_eq(m.hdr.type, h.type);
			cr_assert_eq(m.hdr.remlen, h.remlen);
			cr_assert_eq(m.hdr.hdrlen, h.hdrlen);
		}
		len = mqtt_info(&m, info, sizeof info);
		cr_assert_eq(len, strlen(info));
		cr_assert_geq(len, strlen("[Malformed Packet]"));
		cr_assert_str_eq(info + len - strlen("[Malformed Packet]"), "[Malformed Packet]",
				 "prefix %zu: \"%s\"", n, info);
	}
}

Test(prefix, every_strict_prefix_is_malformed_and_read_in_bounds)
{
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
		check_prefixes(hex(whole[i].hex), whole[i].version);
}

Test(prefix, every_strict_prefix_of_a_packet_with_a_3_byte_header)
{
	uint8_t b[131];

	b[0] = 0x30;                  /* PUBLISH QoS 0 */
	b[1] = 0x80, b[2] = 0x01;     /* remaining length 128 */
	b[3] = 0x00, b[4] = 0x01;     /* topic "t" */
	b[5] = 't';
	memset(b + 6, 'p', sizeof b - 6); /* 125 bytes of payload */
	check_prefixes(guarded_copy(b, sizeof b), MQTT_V311);
}

/* The remaining length rewritten to cut the packet: the parser is given a whole packet whose
 * fields end early, and may only read what the remaining length covers. */
Test(prefix, packets_whose_remaining_length_cuts_their_fields)
{
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		struct bin full = hex(whole[i].hex);

		cr_assert_lt(full.p[1], 0x80, "single-byte remaining length");
		for (size_t k = 0; k < full.p[1]; k++) {
			uint8_t tmp[128];
			struct bin b;
			int rc;

			memcpy(tmp, full.p, 2 + k);
			tmp[1] = (uint8_t)k;
			b = guarded_copy(tmp, 2 + k);
			rc = mqtt_parse(b.p, b.n, whole[i].version, &m);
			cr_assert(rc == MQTT_OK || rc == MQTT_MALFORMED, "rc %d", rc);
			if (rc == MQTT_MALFORMED)
				cr_assert(any_malformed(), "vector %zu cut at %zu: malformed warning",
					  i, k);
			views_inside(b.p, b.n);
		}
	}
}

/* ---- 6. names ----------------------------------------------------------------------- */

Test(names, type_labels_as_wireshark)
{
	static const char *const want[16] = {
		"Reserved", "Connect Command", "Connect Ack", "Publish Message", "Publish Ack",
		"Publish Received", "Publish Release", "Publish Complete", "Subscribe Request",
		"Subscribe Ack", "Unsubscribe Request", "Unsubscribe Ack", "Ping Request",
		"Ping Response", "Disconnect Req", "Authentication Exchange",
	};
	for (int t = 0; t < 16; t++)
		cr_assert_str_eq(mqtt_type_label((uint8_t)t), want[t], "type %d", t);
}

Test(names, type_names)
{
	static const char *const want[16] = {
		"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
		"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
		"AUTH",
	};
	for (int t = 0; t < 16; t++)
		cr_assert_str_eq(mqtt_type_name((uint8_t)t), want[t], "type %d", t);
}

Test(names, versions)
{
	cr_assert_str_eq(mqtt_version_name(MQTT_V31), "3.1");
	cr_assert_str_eq(mqtt_version_name(MQTT_V311), "3.1.1");
	cr_assert_str_eq(mqtt_version_name(MQTT_V5), "5.0");
	cr_assert_null(mqtt_version_name(MQTT_VUNKNOWN));
	cr_assert_null(mqtt_version_name(6));
}

Test(names, return_and_reason_codes)
{
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V311, 5),
			 "Connection Refused: not authorized");
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V5, 0x86), "Bad User Name or Password");
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V311, 0x80), "Failure");
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V5, 0x80), "Unspecified error");
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V5, 0x00), "Granted QoS 0");
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V5, 0x02), "Granted QoS 2");
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0x00), "Normal disconnection");
	cr_assert_str_eq(mqtt_code_name(MQTT_PUBACK, MQTT_V5, 0x00), "Success");
	cr_assert_str_eq(mqtt_code_name(MQTT_AUTH, MQTT_V5, 0x19), "Re-authenticate");
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0x81), "Malformed Packet");
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0xa2),
			 "Wildcard Subscriptions not supported");
	cr_assert_null(mqtt_code_name(MQTT_PUBACK, MQTT_V5, 0x01), "0x01 is SUBACK's only");
	cr_assert_null(mqtt_code_name(MQTT_PUBACK, MQTT_V5, 0x03), "no such code");
	cr_assert_null(mqtt_code_name(MQTT_PUBACK, MQTT_V5, 0xa3), "no such code");
	cr_assert_null(mqtt_code_name(MQTT_PUBACK, MQTT_V311, 0x00), "3.1.1 PUBACK has no code");
}

Test(names, properties)
{
	static const struct { uint8_t id; const char *name, *key; int repeats; } t[] = {
		{ 0x01, "Payload Format Indicator", "payload_format_indicator", 0 },
		{ 0x0b, "Subscription Identifier", "subscription_identifier", 1 },
		{ 0x11, "Session Expiry Interval", "session_expiry_interval", 0 },
		{ 0x12, "Assigned Client Identifier", "assigned_client_identifier", 0 },
		{ 0x15, "Authentication Method", "authentication_method", 0 },
		{ 0x1f, "Reason String", "reason_string", 0 },
		{ 0x22, "Topic Alias Maximum", "topic_alias_maximum", 0 },
		{ 0x26, "User Property", "user_properties", 1 },
		{ 0x2a, "Shared Subscription Available", "shared_subscription_available", 0 },
	};
	const uint8_t unknown[] = { 0x00, 0x04, 0x0a, 0x14, 0x2b, 0x80, 0xff };

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		cr_assert_str_eq(mqtt_prop_name(t[i].id), t[i].name);
		cr_assert_str_eq(mqtt_prop_key(t[i].id), t[i].key);
		cr_assert_eq(mqtt_prop_repeats(t[i].id), t[i].repeats, "0x%02x repeats", t[i].id);
	}
	for (size_t i = 0; i < sizeof unknown; i++) {
		cr_assert_null(mqtt_prop_name(unknown[i]), "0x%02x", unknown[i]);
		cr_assert_null(mqtt_prop_key(unknown[i]), "0x%02x", unknown[i]);
		cr_assert_eq(mqtt_prop_repeats(unknown[i]), 0);
	}
}

/* ---- 7. Info text ------------------------------------------------------------------- */

static const char *info_of(const char *h, uint8_t version)
{
	static char buf[256];
	size_t n;

	parse(h, version);
	n = mqtt_info(&m, buf, sizeof buf);
	cr_assert_eq(n, strlen(buf), "returned length is the text's");
	return buf;
}

Test(info, as_tshark_shows_it)
{
	/* PUBLISH QoS 1 "a/b" id 3 */
	cr_assert_str_eq(info_of("32 07 00 03 61 2f 62 00 03", MQTT_V311),
			 "Publish Message (id=3) [a/b]");
	/* PUBLISH QoS 0 "a/b" */
	cr_assert_str_eq(info_of("30 05 00 03 61 2f 62", MQTT_V311), "Publish Message [a/b]");
	/* SUBSCRIBE id 1: "a" QoS 0, "b/#" QoS 1 */
	cr_assert_str_eq(info_of("82 0c 00 01 00 01 61 00 00 03 62 2f 23 01", MQTT_V311),
			 "Subscribe Request (id=1) [a] [b/#]");
	/* UNSUBSCRIBE id 2: "a" (the filters are not shown) */
	cr_assert_str_eq(info_of("a2 05 00 02 00 01 61", MQTT_V311), "Unsubscribe Request (id=2)");
	cr_assert_str_eq(info_of("40 02 00 07", MQTT_V311), "Publish Ack (id=7)");
	cr_assert_str_eq(info_of("62 02 00 09", MQTT_V311), "Publish Release (id=9)");
	cr_assert_str_eq(info_of("90 03 00 01 00", MQTT_V311), "Subscribe Ack (id=1)");
	cr_assert_str_eq(info_of("b0 02 00 02", MQTT_V311), "Unsubscribe Ack (id=2)");
	cr_assert_str_eq(info_of("20 02 00 00", MQTT_V311), "Connect Ack");
	cr_assert_str_eq(info_of("c0 00", MQTT_V311), "Ping Request");
	cr_assert_str_eq(info_of("d0 00", MQTT_V311), "Ping Response");
	cr_assert_str_eq(info_of("e0 00", MQTT_V311), "Disconnect Req");
	cr_assert_str_eq(info_of("f0 00", MQTT_V5), "Authentication Exchange");
	/* v5 SUBSCRIBE: the property block is not a filter */
	cr_assert_str_eq(info_of("82 0f 00 02 02 0b 05 00 01 78 2d 00 03 79 2f 23 02", MQTT_V5),
			 "Subscribe Request (id=2) [x] [y/#]");
}

Test(info, malformed_packets)
{
	/* CONNECT cut in its protocol name: no space before the mark */
	cr_assert_str_eq(info_of("10 04 00 04 4d 51", MQTT_VUNKNOWN),
			 "Connect Command[Malformed Packet]");
	/* PUBLISH QoS 1 shorter than its remaining length: no id or topic */
	cr_assert_str_eq(info_of("32 08 00 03 61 2f 62 00 03", MQTT_V311),
			 "Publish Message[Malformed Packet]");
}

Test(info, json_content_type)
{
	cr_assert_str_eq(info_of("30 19"      /* PUBLISH, remaining length 25 */
				 "00 01 74"   /* topic "t" */
				 "13 03 00 10 61 70 70 6c 69 63 61 74 69 6f 6e 2f 6a 73 6f 6e"
				              /* Content Type "application/json" */
				 "7b 7d",     /* payload "{}" */
				 MQTT_V5),
			 "Publish Message [t], JavaScript Object Notation (application/json)");
	cr_assert_str_eq(mqtt_media_proto(&m), "JSON");
	info_of("30 05 00 01 74 00 78", MQTT_V5); /* no Content Type */
	cr_assert_null(mqtt_media_proto(&m));
}

Test(info, truncated_to_the_buffer_and_returns_the_length_needed)
{
	const char *full = "Publish Message (id=3) [a/b]";
	size_t need = strlen(full);
	char out[64];

	parse("32 07 00 03 61 2f 62 00 03", MQTT_V311); /* PUBLISH QoS 1 "a/b" id 3 */

	memset(out, 'X', sizeof out);
	cr_assert_eq(mqtt_info(&m, out, 8), need);
	cr_assert_str_eq(out, "Publish", "7 bytes and the terminator");
	cr_assert_eq(out[8], 'X', "nothing written past cap");

	memset(out, 'X', sizeof out);
	cr_assert_eq(mqtt_info(&m, out, need), need);
	cr_assert_eq(strlen(out), need - 1, "one byte short");
	cr_assert_eq(memcmp(out, full, need - 1), 0);

	memset(out, 'X', sizeof out);
	cr_assert_eq(mqtt_info(&m, out, need + 1), need);
	cr_assert_str_eq(out, full, "exactly enough");

	memset(out, 'X', sizeof out);
	cr_assert_eq(mqtt_info(&m, out, 1), need);
	cr_assert_eq(out[0], '\0');
	cr_assert_eq(out[1], 'X');

	memset(out, 'X', sizeof out);
	cr_assert_eq(mqtt_info(&m, out, 0), need, "cap 0: only the length");
	cr_assert_eq(out[0], 'X', "cap 0 writes nothing");

	/* a cut that falls inside the id and inside the topic */
	for (size_t cap = 1; cap <= need + 1; cap++) {
		memset(out, 'X', sizeof out);
		cr_assert_eq(mqtt_info(&m, out, cap), need);
		cr_assert_eq(strlen(out), cap - 1, "cap %zu", cap);
		cr_assert_eq(memcmp(out, full, cap - 1), 0, "cap %zu", cap);
		cr_assert_eq(out[cap], 'X', "cap %zu: nothing past it", cap);
	}
}

/* ---- bugs: these fail against the current src/mqtt.c ----------------------------------- */

/* MQTT 3.1.1 [MQTT-3.8.3-4]: "The Server MUST treat a SUBSCRIBE packet as malformed ... if
 * any of Reserved bits in the payload are non-zero, or QoS is not 0,1 or 2." The parser
 * checks only the reserved bits (o & 0xfc): requested QoS 3 (options 0x03) passes. */
Test(rules, subscribe_311_requested_qos_3_breaks_rule_3_8_3_4)
{
	cr_assert_eq(parse("82 06"          /* SUBSCRIBE, remaining length 6 */
			   "00 01"          /* packet id 1 */
			   "00 01 61 03",   /* "a", requested QoS 3 */
			   MQTT_V311),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-3.8.3-4"), "QoS 3 in a 3.1.1 SUBSCRIBE must be flagged");
}

/* mqtt.h: "MQTT_MALFORMED when the packet ends before its fields do: then m holds what was
 * read and a warning with malformed=1". With MQTT_MAX_WARNINGS rule warnings already set,
 * the malformed warning is dropped: the packet comes back MALFORMED with no warning saying
 * so, and mqtt_info shows no "[Malformed Packet]". */
Test(rules, malformed_warning_is_kept_when_the_warning_table_is_full)
{
	char info[128];

	cr_assert_eq(parse("80 89 00"      /* SUBSCRIBE, flags 0 (MQTT-2.1.3-1), length 9 in 2
					    * bytes (MQTT-1.5.5-1) */
			   "00 01"         /* packet id 1 */
			   "00 01 ff 04"   /* filter ff (MQTT-1.5.4-1), options 04 (MQTT-3.8.3-4) */
			   "00 05 61",     /* a filter of 5 bytes: 1 is there */
			   MQTT_V311),
		     MQTT_MALFORMED);
	cr_assert(any_malformed(), "MQTT_MALFORMED without a malformed=1 warning (%u warnings)",
		  m.nwarn);
	mqtt_info(&m, info, sizeof info);
	cr_assert(strstr(info, "[Malformed Packet]") != NULL, "Info: \"%s\"", info);
}

/* [MQTT-2.2.2-1] is "If there are no properties, this MUST be indicated by including a
 * Property Length of zero" (5.0; in 3.1.1 it is the fixed header flags rule). An unknown
 * property identifier is a Malformed Packet by 2.2.2.2, which has no normative id. */
Test(rules, unknown_property_does_not_cite_rule_2_2_2_1)
{
	cr_assert_eq(parse("30 06 00 01 74 02 7f 00", MQTT_V5), MQTT_MALFORMED); /* property 0x7f */
	cr_assert(any_malformed());
	cr_assert_not(has_rule("MQTT-2.2.2-1"), "wrong rule cited: %s", m.warn[0].text);
}

/* MQTT 5.0 3.8.3: "The Payload MUST contain at least one Topic Filter and Subscription
 * Options pair [MQTT-3.8.3-2]". In 5.0, MQTT-3.8.3-3 is the No Local forwarding rule (the
 * parser cites the 3.1.1 id). */
Test(rules, empty_v5_subscribe_cites_rule_3_8_3_2)
{
	cr_assert_eq(parse("82 03"   /* SUBSCRIBE, remaining length 3 */
			   "00 01"   /* packet id 1 */
			   "00",     /* properties: none; no filter */
			   MQTT_V5),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-3.8.3-2"), "cited: %s", m.nwarn ? m.warn[0].rule : "(none)");
}

/* MQTT 5.0 3.1.2.7: "If the Will Flag is set to 0, then Will Retain MUST be set to 0
 * [MQTT-3.1.2-13]". MQTT-3.1.2-11 is the Will QoS rule; the parser cites it for both. */
Test(rules, v5_will_retain_without_will_cites_rule_3_1_2_13)
{
	cr_assert_eq(parse("10 0e"                /* CONNECT, remaining length 14 */
			   "00 04 4d 51 54 54"    /* "MQTT" */
			   "05"                   /* level 5 */
			   "22"                   /* will retain + clean start, no will */
			   "00 3c 00 00 01 63",   /* keep alive 60, no properties, id "c" */
			   MQTT_V5),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2-13"), "cited: %s", m.nwarn ? m.warn[0].rule : "(none)");
}

/* MQTT 5.0 1.5.4: "A UTF-8 Encoded String MUST NOT include an encoding of the null
 * character U+0000 [MQTT-1.5.4-2]"; MQTT-1.5.4-1 is ill-formed UTF-8 and surrogates. The
 * parser cites -1 for a NUL too. */
Test(rules, v5_topic_with_nul_cites_rule_1_5_4_2)
{
	cr_assert_eq(parse("30 05"          /* PUBLISH, remaining length 5 */
			   "00 02 61 00"    /* topic "a\0" */
			   "00",            /* properties: none */
			   MQTT_V5),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.4-2"), "cited: %s", m.nwarn ? m.warn[0].rule : "(none)");
}

Test(rules, utf8_rules_follow_the_version)
{
	/* U+0000 in a 3.1.1 topic is MQTT-1.5.3-2; ill-formed in 5.0 is MQTT-1.5.4-1 */
	cr_assert_eq(parse("30 04 00 02 61 00", MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.3-2"), "cited: %s", m.nwarn ? m.warn[0].rule : "(none)");
	cr_assert_not(has_rule("MQTT-1.5.4-2"));
	cr_assert_eq(parse("30 05 00 02 c3 28 00", MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.4-1"));
	cr_assert_not(has_rule("MQTT-1.5.3-1"));
}

Test(rules, will_topic_and_user_name_are_checked)
{
	/* 3.1.1 CONNECT, will flag, will topic "\xff", will message "", user name "a\0" */
	cr_assert_eq(parse("10 16 00 04 4d 51 54 54 04 84 00 3c 00 01 63"
			   "00 01 ff 00 00 00 02 61 00", MQTT_V311),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.3-1"), "will topic");
	cr_assert(has_rule("MQTT-1.5.3-2"), "user name");
}

Test(rules, will_qos_3_with_a_will)
{
	/* will flag + will QoS 3 (flags 0x1c | clean 0x02) */
	cr_assert_eq(parse("10 12 00 04 4d 51 54 54 04 1e 00 3c 00 01 63 00 01 74 00 00",
			   MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2-14"));
	cr_assert_eq(parse("10 14 00 04 4d 51 54 54 05 1e 00 3c 00 00 01 63 00 00 01 74 00 00",
			   MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2-12"));
}

Test(rules, v5_will_qos_without_will_cites_rule_3_1_2_11_only)
{
	cr_assert_eq(parse("10 0e 00 04 4d 51 54 54 05 0a 00 3c 00 00 01 63", MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2-11"));
	cr_assert_not(has_rule("MQTT-3.1.2-13"));
}

Test(rules, password_without_user_name)
{
	/* flags 0x42: password + clean session, no user name */
	cr_assert_eq(parse("10 11 00 04 4d 51 54 54 04 42 00 3c 00 01 63 00 02 70 77", MQTT_V311),
		     MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2-22"));
	cr_assert(view_is_hex(m.password, "70 77"));
	/* allowed in 5.0 */
	cr_assert_eq(parse("10 12 00 04 4d 51 54 54 05 42 00 3c 00 00 01 63 00 02 70 77", MQTT_V5),
		     MQTT_OK);
	cr_assert_eq(m.nwarn, 0, "5.0 allows a password alone: %s", m.nwarn ? m.warn[0].text : "");
}

Test(rules, v5_subscription_options_qos_3_and_retain_handling_3)
{
	cr_assert_eq(parse("82 07 00 01 00 00 01 61 03", MQTT_V5), MQTT_OK);
	cr_assert_eq(m.nwarn, 1);
	cr_assert_null(m.warn[0].rule);
	cr_assert_str_eq(m.warn[0].text, "maximum QoS 3");
	cr_assert_eq(parse("82 07 00 01 00 00 01 61 31", MQTT_V5), MQTT_OK);
	cr_assert_eq(m.nwarn, 1);
	cr_assert_str_eq(m.warn[0].text, "retain handling 3");
}

Test(malformed, ten_thousand_properties_read_in_one_pass)
{
	/* a v5 PUBLISH whose property block holds 10,000 User Properties "k"="v" (7 bytes
	 * each: a block of 70,000 bytes, length 0xf0 0xa2 0x04) */
	static uint8_t p[80000];
	const uint8_t up[7] = { 0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v' };
	size_t n = 0, body = 3 + 3 + 70000;
	struct mqtt_cursor c;
	struct mqtt_prop pr;
	int count = 0;

	p[n++] = 0x30;
	p[n++] = (uint8_t)(0x80 | (body & 0x7f));
	p[n++] = (uint8_t)(0x80 | ((body >> 7) & 0x7f));
	p[n++] = (uint8_t)(body >> 14);
	p[n++] = 0x00, p[n++] = 0x01, p[n++] = 't';
	p[n++] = 0xf0, p[n++] = 0xa2, p[n++] = 0x04;
	for (int i = 0; i < 10000; i++, n += 7)
		memcpy(p + n, up, 7);
	cr_assert_eq(n, 4 + body);
	cr_assert_eq(mqtt_parse(p, n, MQTT_V5, &m), MQTT_OK);
	cr_assert_eq(m.props.len, 70000);
	c = mqtt_cursor_of(m.props);
	while (mqtt_next_prop(&c, &pr) == MQTT_OK)
		count++;
	cr_assert_eq(count, 10000);
}

Test(reader, utf8_seq_lengths)
{
	static const struct { const char *hex; size_t n; } cases[] = {
		{ "41", 1 }, { "00", 1 }, { "1f", 1 },       /* ASCII, NUL and controls: 1 */
		{ "c3 a9", 2 }, { "e2 82 ac", 3 }, { "f0 9f 98 80", 4 },
		{ "c3", 0 }, { "e2 82", 0 },                    /* cut short */
		{ "80", 0 }, { "c0 80", 0 }, { "c1 bf", 0 },    /* continuation, overlong */
		{ "ed a0 80", 0 }, { "f4 90 80 80", 0 }, { "ff", 0 },
		{ "c3 a9 41", 2 },                              /* only its own bytes */
	};
	cr_assert_eq(mqtt_utf8_seq((const uint8_t *)"", 0), 0);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bin x = hex(cases[i].hex); /* guarded: a read past it is caught */
		cr_assert_eq(mqtt_utf8_seq(x.p, x.n), cases[i].n, "%s", cases[i].hex);
	}
}

/* ---- 8. the protocol tables, against the specification's own tables ------------------ */

/* A packet from hex pieces: the first byte, the fields before the property block, the
 * properties (NULL: no block; their length is written before them), the fields after. The
 * remaining length is written too. Parsed into m as version. */
static int build_parse(uint8_t first, const char *head, const char *props, const char *tail,
		       uint8_t version)
{
	static uint8_t b[4096];
	struct bin h = hex(head), t = hex(tail);
	struct bin p = props ? hex(props) : (struct bin){ NULL, 0 };
	size_t body = h.n + t.n + (props ? p.n + (p.n < 128 ? 1 : 2) : 0), n = 0;

	cr_assert_lt(body, 16384);
	cr_assert_lt(p.n, 16384);
	b[n++] = first;
	if (body < 128) {
		b[n++] = (uint8_t)body;
	} else {
		b[n++] = (uint8_t)(0x80 | (body & 0x7f));
		b[n++] = (uint8_t)(body >> 7);
	}
	memcpy(b + n, h.p, h.n), n += h.n;
	if (props) {
		if (p.n < 128) {
			b[n++] = (uint8_t)p.n;
		} else {
			b[n++] = (uint8_t)(0x80 | (p.n & 0x7f));
			b[n++] = (uint8_t)(p.n >> 7);
		}
		if (p.n)
			memcpy(b + n, p.p, p.n), n += p.n;
	}
	if (t.n)
		memcpy(b + n, t.p, t.n), n += t.n;
	pkt = guarded_copy(b, n);
	return mqtt_parse(pkt.p, pkt.n, version, &m);
}

/* MQTT 5.0 2.2.2.2 Table 2-4, as printed: identifier, type, "Packet / Will Properties". */
static const struct {
	uint8_t id;
	const char *type, *where;
} table_2_4[] = {
	{ 0x01, "Byte", "PUBLISH, Will Properties" },
	{ 0x02, "Four Byte Integer", "PUBLISH, Will Properties" },
	{ 0x03, "UTF-8 Encoded String", "PUBLISH, Will Properties" },
	{ 0x08, "UTF-8 Encoded String", "PUBLISH, Will Properties" },
	{ 0x09, "Binary Data", "PUBLISH, Will Properties" },
	{ 0x0b, "Variable Byte Integer", "PUBLISH, SUBSCRIBE" },
	{ 0x11, "Four Byte Integer", "CONNECT, CONNACK, DISCONNECT" },
	{ 0x12, "UTF-8 Encoded String", "CONNACK" },
	{ 0x13, "Two Byte Integer", "CONNACK" },
	{ 0x15, "UTF-8 Encoded String", "CONNECT, CONNACK, AUTH" },
	{ 0x16, "Binary Data", "CONNECT, CONNACK, AUTH" },
	{ 0x17, "Byte", "CONNECT" },
	{ 0x18, "Four Byte Integer", "Will Properties" },
	{ 0x19, "Byte", "CONNECT" },
	{ 0x1a, "UTF-8 Encoded String", "CONNACK" },
	{ 0x1c, "UTF-8 Encoded String", "CONNACK, DISCONNECT" },
	{ 0x1f, "UTF-8 Encoded String", "CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, "
					 "UNSUBACK, DISCONNECT, AUTH" },
	{ 0x21, "Two Byte Integer", "CONNECT, CONNACK" },
	{ 0x22, "Two Byte Integer", "CONNECT, CONNACK" },
	{ 0x23, "Two Byte Integer", "PUBLISH" },
	{ 0x24, "Byte", "CONNACK" },
	{ 0x25, "Byte", "CONNACK" },
	{ 0x26, "UTF-8 String Pair", "CONNECT, CONNACK, PUBLISH, Will Properties, PUBACK, PUBREC, "
				     "PUBREL, PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, "
				     "DISCONNECT, AUTH" },
	{ 0x27, "Four Byte Integer", "CONNECT, CONNACK" },
	{ 0x28, "Byte", "CONNACK" },
	{ 0x29, "Byte", "CONNACK" },
	{ 0x2a, "Byte", "CONNACK" },
};

/* "PUBLISH, Will Properties" -> MQTT_IN(MQTT_PUBLISH) | MQTT_IN(MQTT_WILL_PROPS) */
static uint32_t where_set(const char *list)
{
	uint32_t set = 0;
	char buf[256], *save, *tok;

	snprintf(buf, sizeof buf, "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int found = 0;
		if (strcmp(tok, "Will") == 0 || strcmp(tok, "Properties") == 0) {
			set |= MQTT_IN(MQTT_WILL_PROPS);
			continue;
		}
		for (unsigned t = 1; t < 16; t++)
			if (strcmp(tok, mqtt_type_name((uint8_t)t)) == 0) {
				set |= MQTT_IN(t);
				found = 1;
			}
		cr_assert(found, "no packet type \"%s\"", tok);
	}
	return set;
}

static uint8_t ptype_of(const char *type)
{
	static const char *const names[] = {
		[MQTT_PT_BYTE] = "Byte", [MQTT_PT_U16] = "Two Byte Integer",
		[MQTT_PT_U32] = "Four Byte Integer", [MQTT_PT_VARINT] = "Variable Byte Integer",
		[MQTT_PT_UTF8] = "UTF-8 Encoded String", [MQTT_PT_BINARY] = "Binary Data",
		[MQTT_PT_PAIR] = "UTF-8 String Pair",
	};
	for (uint8_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(type, names[i]) == 0)
			return i;
	cr_assert_fail("no data type \"%s\"", type);
	return 0;
}

Test(tables, properties_types_and_packets_as_table_2_4)
{
	int rows = 0;

	for (unsigned id = 0; id < 256; id++) {
		const struct mqtt_prop_info *pi = mqtt_prop_info((uint8_t)id);
		size_t i;

		for (i = 0; i < sizeof table_2_4 / sizeof table_2_4[0]; i++)
			if (table_2_4[i].id == id)
				break;
		if (i == sizeof table_2_4 / sizeof table_2_4[0]) {
			cr_assert_null(pi, "0x%02x is not in Table 2-4", id);
			continue;
		}
		rows++;
		cr_assert_not_null(pi, "0x%02x", id);
		cr_assert_eq(pi->id, id);
		cr_assert_eq(pi->ptype, ptype_of(table_2_4[i].type), "0x%02x type", id);
		cr_assert_eq(pi->in, where_set(table_2_4[i].where), "0x%02x (%s): packets %#x, the "
			     "spec says %s", id, pi->name, pi->in, table_2_4[i].where);
		cr_assert_not_null(pi->label);
		cr_assert_not_null(pi->key);
		cr_assert_not_null(pi->value_label);
		cr_assert_eq(pi->repeats_in & ~pi->in, 0, "0x%02x repeats where it may not be", id);
	}
	cr_assert_eq(rows, 27);
	/* the examples the brief names */
	cr_assert_eq(mqtt_prop_info(MQTT_PROP_TOPIC_ALIAS)->in, MQTT_IN(MQTT_PUBLISH));
	cr_assert_eq(mqtt_prop_info(MQTT_PROP_SESSION_EXPIRY_INTERVAL)->in,
		     MQTT_IN(MQTT_CONNECT) | MQTT_IN(MQTT_CONNACK) | MQTT_IN(MQTT_DISCONNECT));
	for (unsigned t = 1; t < 16; t++) {
		int rs = (mqtt_prop_info(MQTT_PROP_REASON_STRING)->in & MQTT_IN(t)) != 0;
		int none = t == MQTT_CONNECT || t == MQTT_PUBLISH || t == MQTT_SUBSCRIBE ||
			   t == MQTT_UNSUBSCRIBE || t == MQTT_PINGREQ || t == MQTT_PINGRESP;
		cr_assert_eq(rs, !none, "Reason String in %s", mqtt_type_name((uint8_t)t));
	}
}

/* "It is a Protocol Error to include X more than once" is said of every property but
 * User Property (which "is allowed to appear multiple times") and the Subscription
 * Identifier of a PUBLISH ("Multiple Subscription Identifiers will be included if the
 * publication is the result of a match to more than one subscription"). */
Test(tables, only_user_property_and_a_publish_subscription_identifier_repeat)
{
	for (unsigned id = 0; id <= MQTT_PROP_ID_MAX; id++) {
		const struct mqtt_prop_info *pi = mqtt_prop_info((uint8_t)id);
		if (!pi)
			continue;
		if (id == MQTT_PROP_USER_PROPERTY)
			cr_assert_eq(pi->repeats_in, pi->in);
		else if (id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER)
			cr_assert_eq(pi->repeats_in, MQTT_IN(MQTT_PUBLISH));
		else
			cr_assert_eq(pi->repeats_in, 0, "%s repeats", pi->name);
		cr_assert_eq(mqtt_prop_repeats((uint8_t)id), pi->repeats_in != 0);
	}
}

/* The values the property sections allow: "a value of either 0 or 1" (Payload Format
 * Indicator: "either of" 0 and 1), and "the value 0" forbidden. */
Test(tables, allowed_values)
{
	static const uint8_t bools[] = { 0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a };
	static const uint8_t nonzero[] = { 0x0b, 0x21, 0x23, 0x27 };

	for (unsigned id = 0; id <= MQTT_PROP_ID_MAX; id++) {
		const struct mqtt_prop_info *pi = mqtt_prop_info((uint8_t)id);
		int b = memchr(bools, (int)id, sizeof bools) != NULL;
		int z = memchr(nonzero, (int)id, sizeof nonzero) != NULL;
		if (!pi)
			continue;
		cr_assert_eq(pi->values, b ? MQTT_PV_BOOL : z ? MQTT_PV_NONZERO : MQTT_PV_ANY,
			     "%s", pi->name);
		cr_assert_eq(pi->text_value == NULL, !b && !z);
	}
}

/* The warnings' texts are written out row by row (xgettext reads only literals): each is
 * its row's name and the words of its rule, so none names another property by a slip. */
Test(tables, prop_warning_texts_name_their_property)
{
	char want[128];

	for (unsigned id = 0; id <= MQTT_PROP_ID_MAX; id++) {
		const struct mqtt_prop_info *pi = mqtt_prop_info((uint8_t)id);
		if (!pi)
			continue;
		snprintf(want, sizeof want, "%s not allowed in this packet type", pi->name);
		cr_assert_str_eq(pi->text_where, want);
		snprintf(want, sizeof want, "%s not allowed in will properties", pi->name);
		cr_assert_str_eq(pi->text_will, want);
		snprintf(want, sizeof want, "%s more than once", pi->name);
		cr_assert_str_eq(pi->text_twice, want);
		snprintf(want, sizeof want, pi->values == MQTT_PV_BOOL ? "%s other than 0 or 1" :
			 "%s of 0", pi->name);
		if (pi->values == MQTT_PV_ANY)
			cr_assert_null(pi->text_value, "%s", pi->name);
		else
			cr_assert_str_eq(pi->text_value, want);
	}
}

/* Where each property is defined: the per-packet "Properties" sections of chapter 3, the
 * other end of the specification from Table 2-4. Section .1 is always Property Length. */
Test(tables, sections_agree_with_table_2_4)
{
	static const char *const prefix[17] = {
		[MQTT_CONNECT] = "MQTT-3.1.2.11.", [MQTT_CONNACK] = "MQTT-3.2.2.3.",
		[MQTT_PUBLISH] = "MQTT-3.3.2.3.", [MQTT_PUBACK] = "MQTT-3.4.2.2.",
		[MQTT_PUBREC] = "MQTT-3.5.2.2.", [MQTT_PUBREL] = "MQTT-3.6.2.2.",
		[MQTT_PUBCOMP] = "MQTT-3.7.2.2.", [MQTT_SUBSCRIBE] = "MQTT-3.8.2.1.",
		[MQTT_SUBACK] = "MQTT-3.9.2.1.", [MQTT_UNSUBSCRIBE] = "MQTT-3.10.2.1.",
		[MQTT_UNSUBACK] = "MQTT-3.11.2.1.", [MQTT_DISCONNECT] = "MQTT-3.14.2.2.",
		[MQTT_AUTH] = "MQTT-3.15.2.2.", [MQTT_WILL_PROPS] = "MQTT-3.1.3.2.",
	};

	for (unsigned w = 1; w <= MQTT_WILL_PROPS; w++) {
		unsigned used = 0, count = 0;
		for (unsigned id = 0; id < 256; id++) {
			const struct mqtt_prop_info *pi = mqtt_prop_info((uint8_t)id);
			const char *s = mqtt_prop_section((uint8_t)w, (uint8_t)id);
			unsigned sub;
			if (!pi || !(pi->in & MQTT_IN(w))) {
				cr_assert_null(s, "0x%02x has a section in %u", id, w);
				continue;
			}
			cr_assert_not_null(s, "%s has no section in %u", pi->name, w);
			cr_assert_not_null(prefix[w], "where %u has no properties", w);
			cr_assert_eq(strncmp(s, prefix[w], strlen(prefix[w])), 0, "%s: %s", pi->name,
				     s);
			sub = (unsigned)atoi(s + strlen(prefix[w]));
			cr_assert(sub >= 2 && sub < 32, "%s", s);
			cr_assert_not(used & (1u << sub), "%s twice", s);
			used |= 1u << sub;
			count++;
		}
		if (count)
			cr_assert_eq(used, ((1u << (count + 2)) - 1) & ~3u, "where %u: %#x", w, used);
	}
	/* read off the table of contents */
	cr_assert_str_eq(mqtt_prop_section(MQTT_CONNACK, MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE),
			 "MQTT-3.2.2.3.13");
	cr_assert_str_eq(mqtt_prop_section(MQTT_CONNECT, MQTT_PROP_AUTHENTICATION_DATA),
			 "MQTT-3.1.2.11.10");
	cr_assert_str_eq(mqtt_prop_section(MQTT_PUBLISH, MQTT_PROP_CONTENT_TYPE), "MQTT-3.3.2.3.9");
	cr_assert_str_eq(mqtt_prop_section(MQTT_DISCONNECT, MQTT_PROP_SERVER_REFERENCE),
			 "MQTT-3.14.2.2.5");
	cr_assert_str_eq(mqtt_prop_section(MQTT_WILL_PROPS, MQTT_PROP_WILL_DELAY_INTERVAL),
			 "MQTT-3.1.3.2.2");
}

/* MQTT 5.0 2.4 Table 2-6: code, name, packets. */
static const struct {
	uint8_t code;
	const char *name, *packets;
} table_2_6[] = {
	{ 0x00, "Success", "CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK, AUTH" },
	{ 0x00, "Normal disconnection", "DISCONNECT" },
	{ 0x00, "Granted QoS 0", "SUBACK" },
	{ 0x01, "Granted QoS 1", "SUBACK" },
	{ 0x02, "Granted QoS 2", "SUBACK" },
	{ 0x04, "Disconnect with Will Message", "DISCONNECT" },
	{ 0x10, "No matching subscribers", "PUBACK, PUBREC" },
	{ 0x11, "No subscription existed", "UNSUBACK" },
	{ 0x18, "Continue authentication", "AUTH" },
	{ 0x19, "Re-authenticate", "AUTH" },
	{ 0x80, "Unspecified error", "CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT" },
	{ 0x81, "Malformed Packet", "CONNACK, DISCONNECT" },
	{ 0x82, "Protocol Error", "CONNACK, DISCONNECT" },
	{ 0x83, "Implementation specific error",
	  "CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT" },
	{ 0x84, "Unsupported Protocol Version", "CONNACK" },
	{ 0x85, "Client Identifier not valid", "CONNACK" },
	{ 0x86, "Bad User Name or Password", "CONNACK" },
	{ 0x87, "Not authorized", "CONNACK, PUBACK, PUBREC, SUBACK, UNSUBACK, DISCONNECT" },
	{ 0x88, "Server unavailable", "CONNACK" },
	{ 0x89, "Server busy", "CONNACK, DISCONNECT" },
	{ 0x8a, "Banned", "CONNACK" },
	{ 0x8b, "Server shutting down", "DISCONNECT" },
	{ 0x8c, "Bad authentication method", "CONNACK, DISCONNECT" },
	{ 0x8d, "Keep Alive timeout", "DISCONNECT" },
	{ 0x8e, "Session taken over", "DISCONNECT" },
	{ 0x8f, "Topic Filter invalid", "SUBACK, UNSUBACK, DISCONNECT" },
	{ 0x90, "Topic Name invalid", "CONNACK, PUBACK, PUBREC, DISCONNECT" },
	{ 0x91, "Packet Identifier in use", "PUBACK, PUBREC, SUBACK, UNSUBACK" },
	{ 0x92, "Packet Identifier not found", "PUBREL, PUBCOMP" },
	{ 0x93, "Receive Maximum exceeded", "DISCONNECT" },
	{ 0x94, "Topic Alias invalid", "DISCONNECT" },
	{ 0x95, "Packet too large", "CONNACK, DISCONNECT" },
	{ 0x96, "Message rate too high", "DISCONNECT" },
	{ 0x97, "Quota exceeded", "CONNACK, PUBACK, PUBREC, SUBACK, DISCONNECT" },
	{ 0x98, "Administrative action", "DISCONNECT" },
	{ 0x99, "Payload format invalid", "CONNACK, PUBACK, PUBREC, DISCONNECT" },
	{ 0x9a, "Retain not supported", "CONNACK, DISCONNECT" },
	{ 0x9b, "QoS not supported", "CONNACK, DISCONNECT" },
	{ 0x9c, "Use another server", "CONNACK, DISCONNECT" },
	{ 0x9d, "Server moved", "CONNACK, DISCONNECT" },
	{ 0x9e, "Shared Subscriptions not supported", "SUBACK, DISCONNECT" },
	{ 0x9f, "Connection rate exceeded", "CONNACK, DISCONNECT" },
	{ 0xa0, "Maximum connect time", "DISCONNECT" },
	{ 0xa1, "Subscription Identifiers not supported", "SUBACK, DISCONNECT" },
	{ 0xa2, "Wildcard Subscriptions not supported", "SUBACK, DISCONNECT" },
};

/* One packet of each type that carries a code, with the code byte last (5.0). */
static const struct {
	uint8_t type;
	const char *head; /* the bytes before the code */
	const char *rule;
} code_packets[] = {
	{ MQTT_CONNACK, "20 02 00", "MQTT-3.2.2-8" },
	{ MQTT_PUBACK, "40 03 00 01", "MQTT-3.4.2-1" },
	{ MQTT_PUBREC, "50 03 00 01", "MQTT-3.5.2-1" },
	{ MQTT_PUBREL, "62 03 00 01", "MQTT-3.6.2-1" },
	{ MQTT_PUBCOMP, "70 03 00 01", "MQTT-3.7.2-1" },
	{ MQTT_SUBACK, "90 04 00 01 00", "MQTT-3.9.3-2" },
	{ MQTT_UNSUBACK, "b0 04 00 01 00", "MQTT-3.11.3-2" },
	{ MQTT_DISCONNECT, "e0 01", "MQTT-3.14.2-1" },
	{ MQTT_AUTH, "f0 01", "MQTT-3.15.2-1" },
};

/* Every code in every packet type that carries one, through the table and the parser. */
Test(tables, reason_codes_as_table_2_6)
{
	for (size_t k = 0; k < sizeof code_packets / sizeof code_packets[0]; k++) {
		uint8_t t = code_packets[k].type;
		for (unsigned code = 0; code < 256; code++) {
			const char *name = NULL;
			char h[64];
			for (size_t i = 0; i < sizeof table_2_6 / sizeof table_2_6[0]; i++)
				if (table_2_6[i].code == code &&
				    (where_set(table_2_6[i].packets) & MQTT_IN(t)))
					name = table_2_6[i].name;
			cr_assert_eq(mqtt_code_valid(t, MQTT_V5, (uint8_t)code), name != NULL,
				     "%s 0x%02x", mqtt_type_name(t), code);
			if (name)
				cr_assert_str_eq(mqtt_code_name(t, MQTT_V5, (uint8_t)code), name);
			snprintf(h, sizeof h, "%s %02x", code_packets[k].head, code);
			cr_assert_eq(parse(h, MQTT_V5), MQTT_OK);
			if (name) {
				cr_assert_eq(m.nwarn, 0, "%s 0x%02x: %s", mqtt_type_name(t), code,
					     first_warning());
			} else {
				const struct mqtt_warning *w = rule_warning(code_packets[k].rule);
				cr_assert_not_null(w, "%s 0x%02x: no %s", mqtt_type_name(t), code,
						   code_packets[k].rule);
				cr_assert_eq(w->offset, pkt.n - 1, "at the code");
				cr_assert_eq(m.nwarn, 1);
			}
		}
		cr_assert_str_eq(mqtt_code_rule(t, MQTT_V5), code_packets[k].rule);
	}
}

/* The per-packet tables of chapter 3 say the same as Table 2-6. */
Test(tables, reason_codes_as_the_packet_sections)
{
	static const struct { uint8_t type; const char *codes; } t3[] = {
		/* Table 3-1 Connect Reason Code values */
		{ MQTT_CONNACK, "00 80 81 82 83 84 85 86 87 88 89 8a 8c 90 95 97 99 9a 9b 9c 9d 9f" },
		{ MQTT_PUBACK, "00 10 80 83 87 90 91 97 99" },  /* Table 3-4 */
		{ MQTT_PUBREC, "00 10 80 83 87 90 91 97 99" },  /* Table 3-5 */
		{ MQTT_PUBREL, "00 92" },                       /* Table 3-6 */
		{ MQTT_PUBCOMP, "00 92" },                      /* Table 3-7 */
		{ MQTT_AUTH, "00 18 19" },                      /* 3.15.2.1 */
	};
	for (size_t k = 0; k < sizeof t3 / sizeof t3[0]; k++) {
		struct bin b = hex(t3[k].codes);
		for (unsigned code = 0; code < 256; code++)
			cr_assert_eq(mqtt_code_valid(t3[k].type, MQTT_V5, (uint8_t)code),
				     memchr(b.p, (int)code, b.n) != NULL, "%s 0x%02x",
				     mqtt_type_name(t3[k].type), code);
	}
}

/* 3.1.1: CONNACK return codes 0-5 (6-255 "Reserved for future use") [3.2.2.3]; "SUBACK
 * return codes other than 0x00, 0x01, 0x02 and 0x80 are reserved and MUST NOT be used"
 * [MQTT-3.9.3-2]. 3.1 is read with 3.1.1's codes, and so is an unknown version. */
Test(tables, return_codes_of_3_1_1)
{
	static const uint8_t versions[] = { MQTT_V311, MQTT_V31, MQTT_VUNKNOWN };

	for (size_t v = 0; v < sizeof versions; v++)
		for (unsigned code = 0; code < 256; code++) {
			int connack = code <= 5, suback = code <= 2 || code == 0x80;
			char h[32];
			cr_assert_eq(mqtt_code_valid(MQTT_CONNACK, versions[v], (uint8_t)code), connack);
			cr_assert_eq(mqtt_code_valid(MQTT_SUBACK, versions[v], (uint8_t)code), suback);
			cr_assert_not(mqtt_code_valid(MQTT_PUBACK, versions[v], (uint8_t)code));
			snprintf(h, sizeof h, "20 02 00 %02x", code);
			cr_assert_eq(parse(h, versions[v]), MQTT_OK);
			cr_assert_eq(has_rule("MQTT-3.2.2-6"), !connack, "CONNACK %u", code);
			cr_assert_eq(m.nwarn, !connack);
			snprintf(h, sizeof h, "90 03 00 01 %02x", code);
			cr_assert_eq(parse(h, versions[v]), MQTT_OK);
			cr_assert_eq(has_rule("MQTT-3.9.3-2"), !suback, "SUBACK 0x%02x", code);
			cr_assert_eq(m.nwarn, !suback);
		}
}

/* Table 2-1 (who sends what) and Table 2-2 (the flags of each type). */
Test(tables, packet_types_flags_and_senders)
{
	static const char *const from[16] = {
		"Forbidden", "Client to Server", "Server to Client", "both", "both", "both",
		"both", "both", "Client to Server", "Server to Client", "Client to Server",
		"Server to Client", "Client to Server", "Server to Client", "both", "both",
	};
	for (unsigned t = 0; t < 16; t++) {
		const struct mqtt_type_info *ti = mqtt_type_info((uint8_t)t);
		unsigned want = strcmp(from[t], "both") == 0 ? MQTT_FROM_CLIENT | MQTT_FROM_SERVER :
				strcmp(from[t], "Client to Server") == 0 ? MQTT_FROM_CLIENT :
				strcmp(from[t], "Server to Client") == 0 ? MQTT_FROM_SERVER : 0;
		cr_assert_eq(mqtt_type_senders((uint8_t)t, MQTT_V5), want, "%s", ti->name);
		cr_assert_str_eq(ti->name, mqtt_type_name((uint8_t)t));
		if (t == MQTT_PUBREL || t == MQTT_SUBSCRIBE || t == MQTT_UNSUBSCRIBE)
			cr_assert_eq(ti->flags, 2, "%s: 0,0,1,0", ti->name);
		else if (t != MQTT_PUBLISH && t != MQTT_RESERVED0)
			cr_assert_eq(ti->flags, 0, "%s", ti->name);
	}
	/* 3.1.1 Table 2.1: DISCONNECT "Client to Server"; 15 Reserved */
	cr_assert_eq(mqtt_type_senders(MQTT_DISCONNECT, MQTT_V311), MQTT_FROM_CLIENT);
	cr_assert_eq(mqtt_type_senders(MQTT_AUTH, MQTT_V311), 0);
	cr_assert(mqtt_type_info(MQTT_AUTH)->v5_only);
}

Test(find, find_prop_returns_the_first_of_an_id)
{
	struct mqtt_prop p;

	parse_valid("32 1b 00 03 61 2f 62 00 09 13 26 00 01 6b 00 01 76 26 00 02 6b 32 00 02 76"
		    "32 0b 80 01", MQTT_V5);
	cr_assert_eq(mqtt_find_prop(&m, MQTT_PROP_USER_PROPERTY, &p), &p);
	cr_assert(view_is(p.str, "k"));
	cr_assert_eq(mqtt_find_prop(&m, MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &p), &p);
	cr_assert_eq(p.num, 128);
	cr_assert_null(mqtt_find_prop(&m, MQTT_PROP_TOPIC_ALIAS, &p));
	parse_valid("32 07 00 03 61 2f 62 00 09", MQTT_V311); /* no properties in 3.1.1 */
	cr_assert_null(mqtt_find_prop(&m, MQTT_PROP_USER_PROPERTY, &p));
	cr_assert_null(mqtt_find_prop_in((struct mqtt_view){ NULL, 0 }, 0x26, &p));
}

/* ---- 9. tshark as the judge of the labels ------------------------------------------- */

/* tshark 4.0 prints each property as "        ID: <label> (0x<id>)", then its value on the
 * next line: "<value label>: ...", "Length: ..." (strings and bytes) or "Key Length: ..."
 * (pairs). Every such pair of lines in `tshark -O mqtt` of a capture is checked against the
 * table; returns the set of identifiers seen (bit per id), or 0 when tshark is missing. */
static uint64_t check_tshark_labels(const char *pcap)
{
	char cmd[1024], line[512], label[256];
	uint64_t seen = 0;
	int id = -1;
	FILE *f;

	snprintf(cmd, sizeof cmd, "tshark -r '%s' -O mqtt 2>/dev/null", pcap);
	cr_assert_not_null(f = popen(cmd, "r"));
	while (fgets(line, sizeof line, f)) {
		const struct mqtt_prop_info *pi = id >= 0 ? mqtt_prop_info((uint8_t)id) : NULL;
		char *open, *s = line;
		unsigned hexid;

		line[strcspn(line, "\n")] = '\0';
		while (*s == ' ')
			s++;
		if (pi) { /* the line after an ID line: the value */
			const char *want = pi->ptype == MQTT_PT_PAIR ? "Key Length" :
					   (pi->ptype == MQTT_PT_UTF8 || pi->ptype == MQTT_PT_BINARY) &&
					   strcmp(pi->value_label, "Value") == 0 ? "Length" :
					   pi->value_label;
			cr_assert(strncmp(s, want, strlen(want)) == 0 && s[strlen(want)] == ':',
				  "%s: %s (0x%02x) is followed by \"%s\", the table expects \"%s:\"",
				  pcap, pi->label, id, s, want);
		}
		id = -1;
		if (strncmp(s, "ID: ", 4) != 0 || !(open = strrchr(s, '(')) ||
		    sscanf(open, "(0x%x)", &hexid) != 1)
			continue;
		snprintf(label, sizeof label, "%.*s", (int)(open - s - 5), s + 4);
		cr_assert_not_null(mqtt_prop_info((uint8_t)hexid), "tshark shows 0x%02x (%s)", hexid,
				   label);
		cr_assert_str_eq(label, mqtt_prop_label((uint8_t)hexid), "%s: 0x%02x", pcap, hexid);
		seen |= (uint64_t)1 << hexid;
		id = (int)hexid;
	}
	cr_assert_eq(pclose(f), 0, "tshark failed on %s", pcap);
	return seen;
}

static int have_tshark(void)
{
	return system("tshark --version >/dev/null 2>&1") == 0;
}

static size_t put_varint(uint8_t *b, uint32_t v)
{
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		if ((v >>= 7))
			b[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

/* One frame of a capture: Ethernet, IPv4, TCP from 10.0.0.1:40000 to 10.0.0.2:1883 (up)
 * or back, carrying the packet first + varint(remaining) + body (checksums left 0: tshark
 * does not check them). */
static void write_frame(FILE *f, int up, uint32_t *seq, uint32_t *ack, uint8_t first,
			struct bin body, unsigned frame)
{
	uint8_t b[2048], *p;
	size_t n = 54, mq = 0;
	uint8_t mqtt[1600];
	uint32_t rec[4];

	mqtt[mq++] = first;
	mq += put_varint(mqtt + mq, (uint32_t)body.n);
	memcpy(mqtt + mq, body.p, body.n), mq += body.n;
	memset(b, 0, n);
	b[5] = up ? 2 : 1, b[11] = up ? 1 : 2;               /* MAC addresses */
	b[12] = 0x08;                                        /* IPv4 */
	p = b + 14;
	p[0] = 0x45, p[2] = (uint8_t)((40 + mq) >> 8), p[3] = (uint8_t)(40 + mq);
	p[6] = 0x40, p[8] = 64, p[9] = 6;
	p[12] = p[16] = 10, p[15] = up ? 1 : 2, p[19] = up ? 2 : 1;
	p = b + 34;
	p[0] = up ? 0x9c : 0x07, p[1] = up ? 0x40 : 0x5b;    /* 40000 or 1883 */
	p[2] = up ? 0x07 : 0x9c, p[3] = up ? 0x5b : 0x40;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (uint8_t)(*seq >> (24 - 8 * i));
		p[8 + i] = (uint8_t)(*ack >> (24 - 8 * i));
	}
	p[12] = 0x50, p[13] = 0x18, p[14] = 0xff, p[15] = 0xff;
	memcpy(b + n, mqtt, mq), n += mq;
	*seq += (uint32_t)mq;
	rec[0] = 1767225600u + frame, rec[1] = 0, rec[2] = rec[3] = (uint32_t)n;
	cr_assert_eq(fwrite(rec, sizeof rec, 1, f), 1);
	cr_assert_eq(fwrite(b, n, 1, f), 1);
}

/* A v5 packet: head, a property block, tail (hex); mqtt_parse must read it cleanly. */
static struct bin v5_body(uint8_t first, const char *head, const char *props, const char *tail)
{
	cr_assert_eq(build_parse(first, head, props, tail, MQTT_V5), MQTT_OK);
	cr_assert_eq(m.nwarn, 0, "probe packet 0x%02x: %s", first, first_warning());
	return guarded_copy(pkt.p + m.hdr.hdrlen, m.hdr.remlen);
}

/* The bundled captures show 23 of the 27 properties; a capture written here holds every
 * one, each in a packet that may carry it. */
Test(tshark, property_labels_and_value_labels_as_tshark_shows_them, .timeout = 60)
{
	static const char *const caps[] = { "mqtt5-all-types.pcap", "mqtt5-props.pcap" };
	uint64_t all = 0, seen = 0;
	char path[1024], tmp[] = "/tmp/mqttdump-labels-XXXXXX";
	uint32_t up = 1000, down = 9000, hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	struct { uint8_t first; const char *head, *props, *tail; } probe[] = {
		{ 0x10, "00 04 4d 51 54 54 05 06 00 3c",
		  "11 00 00 00 01 21 00 01 27 00 00 00 01 22 00 01 19 01 17 01"
		  "26 00 01 6b 00 01 76 15 00 01 78 16 00 01 78",
		  "00 01 63 1f 18 00 00 00 01 01 01 02 00 00 00 01 03 00 01 78 08 00 01 78"
		  "09 00 01 78 26 00 01 6b 00 01 76 00 01 77 00 00" },
		{ 0x20, "00 00", "11 00 00 00 01 21 00 01 24 01 25 01 27 00 00 00 01 12 00 01 78"
		  "22 00 01 1f 00 01 78 26 00 01 6b 00 01 76 28 01 29 01 2a 01 13 00 01"
		  "1a 00 01 78 1c 00 01 78 15 00 01 78 16 00 01 78", "" },
		{ 0x30, "00 01 74", "01 01 02 00 00 00 01 23 00 01 08 00 01 78 09 00 01 78"
		  "26 00 01 6b 00 01 76 0b 01 03 00 01 78", "70 6c" },
		{ 0x82, "00 01", "0b 01 26 00 01 6b 00 01 76", "00 01 61 00" },
		{ 0xe0, "00", "11 00 00 00 01 1f 00 01 78 26 00 01 6b 00 01 76 1c 00 01 78", "" },
	};
	FILE *f;
	int fd;

	if (!have_tshark())
		cr_skip_test("tshark is not installed");
	for (unsigned id = 0; id <= MQTT_PROP_ID_MAX; id++)
		if (mqtt_prop_info((uint8_t)id))
			all |= (uint64_t)1 << id;
	for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		uint64_t s;
		snprintf(path, sizeof path, "%s/captures/%s", SOURCE_ROOT, caps[i]);
		s = check_tshark_labels(path);
		cr_assert_neq(s, 0, "tshark shows no property in %s", caps[i]);
		seen |= s;
	}
	cr_assert_geq(__builtin_popcountll(seen), 23, "labels checked in the bundled captures");

	cr_assert_geq(fd = mkstemp(tmp), 0);
	cr_assert_not_null(f = fdopen(fd, "wb"));
	cr_assert_eq(fwrite(hdr, sizeof hdr, 1, f), 1);
	for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
		struct bin body = v5_body(probe[i].first, probe[i].head, probe[i].props,
					  probe[i].tail);
		int client = probe[i].first != 0x20;
		write_frame(f, client, client ? &up : &down, client ? &down : &up, probe[i].first,
			    body, (unsigned)i);
	}
	cr_assert_eq(fclose(f), 0);
	seen = check_tshark_labels(tmp);
	unlink(tmp);
	cr_assert_eq(seen, all, "tshark showed %#llx of %#llx", (unsigned long long)seen,
		     (unsigned long long)all);
	cr_assert_str_eq(mqtt_prop_label(MQTT_PROP_MESSAGE_EXPIRY_INTERVAL),
			 "Publication Expiry Interval");
}

/* ---- 10. property rules --------------------------------------------------------------- */

/* Where a property block can be, each with a packet around it (a will needs a CONNECT). */
static const struct {
	uint8_t where, first;
	const char *head, *tail;
} blocks[] = {
	{ MQTT_CONNECT, 0x10, "00 04 4d 51 54 54 05 02 00 3c", "00 01 63" },
	{ MQTT_CONNACK, 0x20, "00 00", "" },
	{ MQTT_PUBLISH, 0x30, "00 01 74", "70 6c" },
	{ MQTT_PUBACK, 0x40, "00 01 00", "" },
	{ MQTT_PUBREC, 0x50, "00 01 00", "" },
	{ MQTT_PUBREL, 0x62, "00 01 00", "" },
	{ MQTT_PUBCOMP, 0x70, "00 01 00", "" },
	{ MQTT_SUBSCRIBE, 0x82, "00 01", "00 01 61 00" },
	{ MQTT_SUBACK, 0x90, "00 01", "00" },
	{ MQTT_UNSUBSCRIBE, 0xa2, "00 01", "00 01 61" },
	{ MQTT_UNSUBACK, 0xb0, "00 01", "00" },
	{ MQTT_DISCONNECT, 0xe0, "00", "" },
	{ MQTT_AUTH, 0xf0, "18", "" },
	/* CONNECT with a will (flags 0x06), no properties; the will's block is the last
	 * field before the will topic "w" and an empty will payload */
	{ MQTT_WILL_PROPS, 0x10, "00 04 4d 51 54 54 05 06 00 3c 00 00 01 63", "00 01 77 00 00" },
};

/* A property with the value 1 (or "x", or k=v), in hex. */
static void prop_hex(uint8_t id, char *out, size_t cap)
{
	static const char *const val[] = {
		[MQTT_PT_BYTE] = "01", [MQTT_PT_U16] = "00 01", [MQTT_PT_U32] = "00 00 00 01",
		[MQTT_PT_VARINT] = "01", [MQTT_PT_UTF8] = "00 01 78",
		[MQTT_PT_BINARY] = "00 01 78", [MQTT_PT_PAIR] = "00 01 6b 00 01 76",
	};
	snprintf(out, cap, "%02x %s", id, val[mqtt_prop_info(id)->ptype]);
}

static int block_parse(size_t k, const char *props)
{
	return build_parse(blocks[k].first, blocks[k].head, props, blocks[k].tail, MQTT_V5);
}

/* Every property in every block, read by the parser: a warning citing 2.2.2.2 exactly where
 * Table 2-4 (as the test transcribes it) does not list the property. */
Test(rules, every_property_in_every_packet_type)
{
	for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++) {
		cr_assert_eq(block_parse(k, ""), MQTT_OK);
		cr_assert_eq(m.nwarn, 0, "%u without properties: %s", blocks[k].where,
			     first_warning());
		for (size_t i = 0; i < sizeof table_2_4 / sizeof table_2_4[0]; i++) {
			uint8_t id = table_2_4[i].id;
			int allowed = (where_set(table_2_4[i].where) & MQTT_IN(blocks[k].where)) != 0;
			const struct mqtt_warning *w;
			char h[64];

			prop_hex(id, h, sizeof h);
			cr_assert_eq(block_parse(k, h), MQTT_OK);
			w = rule_warning("MQTT-2.2.2.2");
			cr_assert_eq(w != NULL, !allowed, "0x%02x in %u: %s", id, blocks[k].where,
				     first_warning());
			if (!allowed) {
				cr_assert_str_eq(w->text, blocks[k].where == MQTT_WILL_PROPS ?
						 mqtt_prop_info(id)->text_will :
						 mqtt_prop_info(id)->text_where);
				cr_assert_eq(pkt.p[w->offset], id, "the warning points at it");
			} else if (!(blocks[k].where == MQTT_CONNECT &&
				     id == MQTT_PROP_AUTHENTICATION_DATA)) {
				cr_assert_eq(m.nwarn, 0, "0x%02x in %u: %s", id, blocks[k].where,
					     first_warning());
			}
		}
	}
	cr_assert_str_eq(mqtt_prop_info(MQTT_PROP_TOPIC_ALIAS)->text_where,
			 "Topic Alias not allowed in this packet type");
}

/* "It is a Protocol Error to include the X more than once": each property twice in each
 * block that may carry it; the second is flagged with the section that says so, except
 * where the property may repeat. Three times is one warning. */
Test(rules, every_property_twice)
{
	for (size_t k = 0; k < sizeof blocks / sizeof blocks[0]; k++)
		for (size_t i = 0; i < sizeof table_2_4 / sizeof table_2_4[0]; i++) {
			uint8_t id = table_2_4[i].id, w = blocks[k].where;
			const struct mqtt_prop_info *pi = mqtt_prop_info(id);
			const char *rule = mqtt_prop_section(w, id);
			int repeats = id == MQTT_PROP_USER_PROPERTY ||
				      (id == MQTT_PROP_SUBSCRIPTION_IDENTIFIER && w == MQTT_PUBLISH);
			char one[64], h[200];
			size_t pn, first;

			if (!(where_set(table_2_4[i].where) & MQTT_IN(w)))
				continue;
			if (w == MQTT_CONNECT && id == MQTT_PROP_AUTHENTICATION_DATA)
				continue; /* needs the method too: below */
			prop_hex(id, one, sizeof one);
			snprintf(h, sizeof h, "%s %s", one, one);
			cr_assert_eq(block_parse(k, h), MQTT_OK);
			if (repeats) {
				cr_assert_eq(m.nwarn, 0, "%s may repeat in %u", pi->name, w);
				continue;
			}
			cr_assert_eq(m.nwarn, 1, "%s twice in %u: %u warnings", pi->name, w, m.nwarn);
			cr_assert_str_eq(m.warn[0].rule, rule);
			cr_assert_str_eq(m.warn[0].text, pi->text_twice);
			pn = hex(h).n;
			first = pkt.n - hex(blocks[k].tail).n - pn;
			cr_assert_eq(m.warn[0].offset, first + pn / 2, "the second one is flagged");
			snprintf(h, sizeof h, "%s %s %s", one, one, one);
			cr_assert_eq(block_parse(k, h), MQTT_OK);
			cr_assert_eq(m.nwarn, 1, "%s three times in %u", pi->name, w);
		}
	/* the examples: Receive Maximum twice in a CONNACK, Subscription Identifier twice */
	cr_assert_eq(block_parse(1, "21 00 0a 21 00 0b"), MQTT_OK);
	cr_assert(has_rule("MQTT-3.2.2.3.3"));
	cr_assert_eq(block_parse(7, "0b 01 0b 02"), MQTT_OK); /* SUBSCRIBE */
	cr_assert(has_rule("MQTT-3.8.2.1.2"));
	cr_assert_eq(block_parse(2, "0b 01 0b 02"), MQTT_OK); /* PUBLISH: two subscriptions */
	cr_assert_eq(m.nwarn, 0);
}

/* Zero where "It is a Protocol Error [...] for it to have the value 0", and values other
 * than 0 or 1 where "It is a Protocol Error [...] to have a value other than 0 or 1". */
Test(rules, forbidden_values)
{
	static const struct {
		size_t block;     /* index in blocks[] */
		const char *prop; /* the property, with a value it may not have */
		const char *ok;   /* the same with one it may */
		const char *rule;
	} t[] = {
		{ 0, "21 00 00", "21 00 01", "MQTT-3.1.2.11.3" },    /* Receive Maximum 0 */
		{ 1, "21 00 00", "21 ff ff", "MQTT-3.2.2.3.3" },
		{ 0, "27 00 00 00 00", "27 00 00 00 01", "MQTT-3.1.2.11.4" }, /* Maximum Packet Size */
		{ 1, "27 00 00 00 00", "27 ff ff ff ff", "MQTT-3.2.2.3.6" },
		{ 2, "23 00 00", "23 00 01", "MQTT-3.3.2-8" },       /* Topic Alias 0 */
		{ 7, "0b 00", "0b ff ff ff 7f", "MQTT-3.8.2.1.2" },  /* Subscription Identifier */
		{ 2, "0b 00", "0b 01", "MQTT-3.3.2.3.8" },
		{ 2, "01 02", "01 00", "MQTT-3.3.2.3.2" },           /* Payload Format Indicator */
		{ 13, "01 ff", "01 01", "MQTT-3.1.3.2.3" },          /*   in the will */
		{ 0, "17 02", "17 00", "MQTT-3.1.2.11.7" },          /* Request Problem Information */
		{ 0, "19 02", "19 01", "MQTT-3.1.2.11.6" },          /* Request Response Information */
		{ 1, "24 02", "24 00", "MQTT-3.2.2.3.4" },           /* Maximum QoS */
		{ 1, "25 02", "25 01", "MQTT-3.2.2.3.5" },           /* Retain Available */
		{ 1, "28 02", "28 00", "MQTT-3.2.2.3.11" },          /* Wildcard Subscription Available */
		{ 1, "29 80", "29 01", "MQTT-3.2.2.3.12" },          /* Subscription Identifier Available */
		{ 1, "2a 02", "2a 00", "MQTT-3.2.2.3.13" },          /* Shared Subscription Available */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const struct mqtt_prop_info *pi;
		cr_assert_eq(block_parse(t[i].block, t[i].prop), MQTT_OK);
		pi = mqtt_prop_info(pkt.p[m.nwarn ? m.warn[0].offset : 0]);
		cr_assert_eq(m.nwarn, 1, "%s: %s", t[i].prop, first_warning());
		cr_assert_str_eq(m.warn[0].rule, t[i].rule, "%s", t[i].prop);
		cr_assert_not_null(pi, "the warning points at the property");
		cr_assert_str_eq(m.warn[0].text, pi->text_value);
		cr_assert_eq(block_parse(t[i].block, t[i].ok), MQTT_OK);
		cr_assert_eq(m.nwarn, 0, "%s: %s", t[i].ok, first_warning());
	}
	cr_assert_str_eq(mqtt_prop_info(MQTT_PROP_RECEIVE_MAXIMUM)->text_value,
			 "Receive Maximum of 0");
	cr_assert_str_eq(mqtt_prop_info(MQTT_PROP_MAXIMUM_QOS)->text_value,
			 "Maximum QoS other than 0 or 1");
}

/* "It is a Protocol Error to include Authentication Data if there is no Authentication
 * Method" [3.1.2.11.10] */
Test(rules, authentication_data_without_method)
{
	cr_assert_eq(block_parse(0, "16 00 01 78"), MQTT_OK);
	cr_assert(has_rule("MQTT-3.1.2.11.10"));
	cr_assert_eq(m.nwarn, 1);
	cr_assert_eq(block_parse(0, "16 00 01 78 15 00 01 78"), MQTT_OK); /* order is free */
	cr_assert_eq(m.nwarn, 0, "%s", first_warning());
	cr_assert_eq(block_parse(12, "16 00 01 78"), MQTT_OK); /* AUTH: no such rule */
	cr_assert_eq(m.nwarn, 0);
}

/* "It is a Protocol Error if the Topic Name is zero length and there is no Topic Alias"
 * [3.3.2.1] (5.0) */
Test(rules, v5_empty_topic_needs_a_topic_alias)
{
	cr_assert_eq(build_parse(0x30, "00 00", "", "70 6c", MQTT_V5), MQTT_OK);
	cr_assert(has_rule("MQTT-3.3.2.1"));
	cr_assert_eq(m.warn[0].offset, 4, "at the topic");
	cr_assert_eq(build_parse(0x30, "00 00", "23 00 01", "70 6c", MQTT_V5), MQTT_OK);
	cr_assert_eq(m.nwarn, 0, "%s", first_warning());
	cr_assert_eq(build_parse(0x30, "00 00", NULL, "70 6c", MQTT_V311), MQTT_OK);
	cr_assert_not(has_rule("MQTT-3.3.2.1"), "a 5.0 rule");
}

/* One packet breaking more rules than there is room for: the first MQTT_MAX_WARNINGS are
 * kept, nothing is written past them, and a malformed end still shows. */
Test(rules, many_broken_rules_do_not_overflow)
{
	/* a CONNACK with ten properties it may not carry, then a property cut short */
#define TEN "01 01 02 00 00 00 01 03 00 01 78 08 00 01 78 09 00 01 78 0b 01 17 01 " \
	    "18 00 00 00 01 19 01 23 00 01"

	cr_assert_eq(block_parse(1, TEN), MQTT_OK);
	cr_assert_eq(m.nwarn, MQTT_MAX_WARNINGS);
	cr_assert_eq(MQTT_MAX_WARNINGS, 8);
	for (unsigned i = 0; i < m.nwarn; i++)
		cr_assert_str_eq(m.warn[i].rule, "MQTT-2.2.2.2");
	cr_assert_eq(build_parse(0x20, "00 00", TEN " 21 00", "", MQTT_V5), MQTT_MALFORMED);
#undef TEN
	cr_assert_eq(m.nwarn, MQTT_MAX_WARNINGS);
	cr_assert(any_malformed());
}

/* An identifier that is not a property: the packet is malformed (what follows it in the
 * block cannot be read), but what precedes it stays in m, and so does what follows the
 * block, whose length is known. tshark 4.0 shows both too. */
Test(malformed, unknown_property_keeps_what_precedes_and_follows_it)
{
	struct mqtt_cursor c;
	char info[128];

	cr_assert_eq(build_parse(0x10, "00 04 4d 51 54 54 05 02 00 1e",
				 "11 00 00 00 05"  /* Session Expiry Interval 5 */
				 "04 00"           /* 0x04: no such property */
				 "21 00 07",       /* Receive Maximum 7: cannot be reached */
				 "00 05 70 72 6f 62 65", MQTT_V5), MQTT_MALFORMED);
	cr_assert(any_malformed());
	cr_assert_str_eq(m.warn[m.nwarn - 1].text, "unknown property identifier");
	cr_assert_eq(pkt.p[m.warn[m.nwarn - 1].offset], 0x04);
	cr_assert(m.has_props);
	cr_assert_eq(m.keepalive, 30);
	c = mqtt_cursor_of(m.props);
	next_prop_num(&c, 0x11, MQTT_PT_U32, 5);
	cr_assert_eq(mqtt_next_prop(&c, &(struct mqtt_prop){ 0 }), MQTT_MALFORMED);
	cr_assert(view_is(m.clientid, "probe"), "the client id after the block is read");
	mqtt_info(&m, info, sizeof info);
	cr_assert(strstr(info, "[Malformed Packet]"), "%s", info);

	cr_assert_eq(build_parse(0x30, "00 01 74", "01 01 05 01 01", "70 6c", MQTT_V5),
		     MQTT_MALFORMED);
	cr_assert(m.has_props);
	cr_assert(view_is(m.payload, "pl"));
	cr_assert_eq(m.nwarn, 1, "one warning: %s", first_warning());
	/* a will block too */
	cr_assert_eq(build_parse(0x10, "00 04 4d 51 54 54 05 06 00 3c 00 00 01 63",
				 NULL, "03 7f 00 00 00 01 77 00 00", MQTT_V5), MQTT_MALFORMED);
	cr_assert(m.has_will_props);
	cr_assert(view_is(m.will_topic, "w"));
}

/* A Subscription Identifier of five bytes is a broken value, not an unknown identifier. */
Test(malformed, broken_property_value_is_named_so)
{
	cr_assert_eq(build_parse(0x30, "00 01 74", "0b ff ff ff ff 7f", "", MQTT_V5),
		     MQTT_MALFORMED);
	cr_assert_str_eq(m.warn[0].text, "property value encoding is broken");
}

/* mqtt_parse_clean says what mqtt_parse and nwarn say, on clean packets, rule-breaking
 * ones and every prefix of them. */
static void clean_agrees(struct bin b, uint8_t version)
{
	for (size_t n = 0; n <= b.n; n++) {
		struct bin p = guarded_copy(b.p, n);
		int rc = mqtt_parse(p.p, p.n, version, &m);
		cr_assert_eq(mqtt_parse_clean(p.p, p.n, version), rc == MQTT_OK && m.nwarn == 0,
			     "%zu of %zu bytes", n, b.n);
	}
}

Test(clean, parse_clean_agrees_with_parse)
{
	static const uint8_t versions[] = { MQTT_VUNKNOWN, MQTT_V31, MQTT_V311, MQTT_V5 };
	static const char *const broken[] = {
		"20 05 00 00 02 21 00",          /* CONNACK, Receive Maximum cut */
		"20 06 00 00 03 21 00 00",       /* Receive Maximum 0 */
		"20 03 00 8b 00",                /* 0x8b is not a CONNACK code */
		"30 07 00 01 74 03 23 00 00",    /* Topic Alias 0 */
		"30 06 00 00 00 70 6c 00",       /* empty topic, no alias (5.0) */
		"40 03 00 01 81",                /* PUBACK 0x81 */
		"90 04 00 01 00 05",             /* SUBACK 0x05 */
		"30 03 00 01 ff",                /* a topic that is not UTF-8 */
		"80 02 00 01",                   /* SUBSCRIBE with flags 0 */
	};

	for (size_t v = 0; v < sizeof versions; v++) {
		for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
			clean_agrees(hex(whole[i].hex), versions[v]);
		for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
			clean_agrees(hex(broken[i]), versions[v]);
	}
	for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
		struct bin b = hex(whole[i].hex);
		cr_assert(mqtt_parse_clean(b.p, b.n, whole[i].version), "vector %zu", i);
	}
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		struct bin b = hex(broken[i]);
		cr_assert_not(mqtt_parse_clean(b.p, b.n, MQTT_V5), "%s", broken[i]);
	}
}
