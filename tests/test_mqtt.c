/* Unit tests for the MQTT reader and parser: datatypes, every packet type in every version,
 * malformed and rule-breaking packets, names, the Info text. */
#include "mqttdump/mqtt.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct mqtt_cursor cur(const uint8_t *p, size_t n)
{
	struct mqtt_cursor c = { p, p + n };
	return c;
}

static int view_is(struct mqtt_view v, const char *s)
{
	return v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

/* ---- datatypes ------------------------------------------------------------------------ */

Test(reader, integers_big_endian_and_truncated)
{
	const uint8_t b[] = { 0x12, 0x34, 0x56, 0x78 };
	struct mqtt_cursor c;
	uint8_t u8 = 7;
	uint16_t u16 = 7;
	uint32_t u32 = 7;

	c = cur(b, 4);
	cr_assert_eq(mqtt_get_u32(&c, &u32), MQTT_OK);
	cr_assert_eq(u32, 0x12345678);
	cr_assert_eq(c.p, b + 4);
	c = cur(b, 2);
	cr_assert_eq(mqtt_get_u16(&c, &u16), MQTT_OK);
	cr_assert_eq(u16, 0x1234);
	for (size_t n = 0; n < 4; n++) {
		c = cur(b, n);
		u32 = 7;
		cr_assert_eq(mqtt_get_u32(&c, &u32), MQTT_TRUNCATED, "u32 from %zu bytes", n);
		cr_assert_eq(u32, 7, "output untouched");
		cr_assert_eq(c.p, b, "cursor untouched");
	}
	c = cur(b, 1);
	u16 = 7;
	cr_assert_eq(mqtt_get_u16(&c, &u16), MQTT_TRUNCATED);
	cr_assert_eq(u16, 7);
	c = cur(b, 0);
	cr_assert_eq(mqtt_get_u8(&c, &u8), MQTT_TRUNCATED);
	cr_assert_eq(u8, 7);
}

Test(reader, varint_boundaries)
{
	/* Values and encodings from the MQTT 5.0 table of Variable Byte Integers [1.5.5]. */
	static const struct { uint32_t v; uint8_t n; uint8_t b[4]; } t[] = {
		{ 0, 1, { 0x00 } }, { 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } }, { 16383, 2, { 0xff, 0x7f } },
		{ 16384, 3, { 0x80, 0x80, 0x01 } }, { 2097151, 3, { 0xff, 0xff, 0x7f } },
		{ 2097152, 4, { 0x80, 0x80, 0x80, 0x01 } },
		{ 268435455, 4, { 0xff, 0xff, 0xff, 0x7f } },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct mqtt_cursor c = cur(t[i].b, t[i].n);
		uint32_t v = 1;
		cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_OK);
		cr_assert_eq(v, t[i].v);
		cr_assert_eq(c.p, t[i].b + t[i].n);
		for (uint8_t k = 0; k < t[i].n; k++) {
			c = cur(t[i].b, k);
			v = 1;
			cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_TRUNCATED);
			cr_assert_eq(v, 1);
		}
	}
	cr_assert_eq(MQTT_MAX_REMLEN, 268435455u);
}

Test(reader, five_byte_varint_is_malformed)
{
	const uint8_t b[] = { 0xff, 0xff, 0xff, 0xff, 0x7f };
	struct mqtt_cursor c = cur(b, sizeof b);
	uint32_t v = 9;

	cr_assert_eq(mqtt_get_varint(&c, &v), MQTT_MALFORMED);
	cr_assert_eq(v, 9);
	cr_assert_eq(c.p, b);
}

Test(reader, strings_and_binary)
{
	const uint8_t b[] = { 0x00, 0x03, 'a', '/', 'b', 0xff };
	struct mqtt_cursor c = cur(b, sizeof b);
	struct mqtt_view v = { NULL, 0 };

	cr_assert_eq(mqtt_get_utf8(&c, &v), MQTT_OK);
	cr_assert(view_is(v, "a/b"));
	cr_assert_eq(c.p, b + 5);
	for (size_t n = 0; n < 5; n++) {
		c = cur(b, n);
		v.p = NULL;
		cr_assert_eq(mqtt_get_bytes(&c, &v), MQTT_TRUNCATED, "%zu bytes", n);
		cr_assert_null(v.p);
		cr_assert_eq(c.p, b);
	}
	c = cur(b, sizeof b);
	cr_assert_eq(mqtt_get_raw(&c, 7, &v), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_get_raw(&c, 6, &v), MQTT_OK);
	cr_assert_eq(v.len, 6);
}

Test(reader, utf8_validity)
{
	static const struct { const char *s; size_t n; int ok; } t[] = {
		{ "plain/ascii", 11, 1 }, { "\xc3\xa9t\xc3\xa9", 5, 1 }, { "\xe2\x82\xac", 3, 1 },
		{ "\xf0\x9f\x98\x80", 4, 1 }, { "\xc0\x80", 2, 0 }, { "\xe0\x80\x80", 3, 0 },
		{ "\xed\xa0\x80", 3, 0 }, { "a\0b", 3, 0 }, { "\xc3", 1, 0 }, { "\xe2\x82", 2, 0 },
		{ "\xf5\x80\x80\x80", 4, 0 }, { "\xff", 1, 0 }, { "\x80", 1, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct mqtt_view v = { (const uint8_t *)t[i].s, (uint32_t)t[i].n };
		cr_assert_eq(mqtt_utf8_valid(v), t[i].ok, "case %zu", i);
	}
}

Test(reader, fixed_header)
{
	const uint8_t b[] = { 0x32, 0x80, 0x80, 0x01 };
	const uint8_t bad[] = { 0x30, 0x80, 0x80, 0x80, 0x80, 0x01 };
	struct mqtt_fixhdr h;

	cr_assert_eq(mqtt_fixed_header(b, sizeof b, &h), MQTT_OK);
	cr_assert_eq(h.type, MQTT_PUBLISH);
	cr_assert_eq(h.flags, 2);
	cr_assert_eq(h.remlen, 16384);
	cr_assert_eq(h.hdrlen, 4);
	for (size_t n = 0; n < sizeof b; n++)
		cr_assert_eq(mqtt_fixed_header(b, n, &h), MQTT_TRUNCATED);
	cr_assert_eq(mqtt_fixed_header(bad, sizeof bad, &h), MQTT_MALFORMED);
}

/* ---- packets -------------------------------------------------------------------------- */

static struct mqtt_msg m;

static int parse(const uint8_t *p, size_t n, uint8_t version)
{
	return mqtt_parse(p, n, version, &m);
}

#define PARSE_OK(arr, ver)                                                        \
	do {                                                                      \
		cr_assert_eq(parse(arr, sizeof arr, ver), MQTT_OK);               \
		cr_assert_eq(m.nwarn, 0, "warning: %s", m.nwarn ? m.warn[0].text : ""); \
	} while (0)

Test(packets, connect_31_311_5)
{
	/* 3.1: "MQIsdp" level 3, clean, keepalive 10, id "c31" */
	const uint8_t c31[] = { 0x10, 0x11, 0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02,
				0x00, 0x0a, 0x00, 0x03, 'c', '3', '1' };
	/* 3.1.1: will (QoS 1, retain), username, password */
	const uint8_t c311[] = { 0x10, 0x23, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xee, 0x00, 0x3c,
				 0x00, 0x01, 'c', 0x00, 0x03, 'w', '/', 't', 0x00, 0x03, 'b', 'y', 'e',
				 0x00, 0x04, 'u', 's', 'e', 'r', 0x00, 0x04, 'p', 'a', 's', 's' };
	/* 5.0: properties (Session Expiry 60), will with properties (Will Delay 5) */
	const uint8_t c5[] = { 0x10, 0x21, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x06, 0x00, 0x3c,
			       0x05, 0x11, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x02, 'c', '5',
			       0x05, 0x18, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'w', 0x00, 0x02,
			       'o', 'k' };
	struct mqtt_cursor c;
	struct mqtt_prop p;

	PARSE_OK(c31, MQTT_VUNKNOWN);
	cr_assert_eq(m.version, MQTT_V31);
	cr_assert(view_is(m.proto_name, "MQIsdp"));
	cr_assert(view_is(m.clientid, "c31"));
	cr_assert_eq(m.keepalive, 10);
	cr_assert(!m.has_will && !m.has_username && !m.has_password);

	PARSE_OK(c311, MQTT_VUNKNOWN);
	cr_assert_eq(m.version, MQTT_V311);
	cr_assert(m.has_will);
	cr_assert(view_is(m.will_topic, "w/t"));
	cr_assert(view_is(m.will_payload, "bye"));
	cr_assert_eq((m.connect_flags >> 3) & 3, 1);
	cr_assert(view_is(m.username, "user"));
	cr_assert(view_is(m.password, "pass"));

	PARSE_OK(c5, MQTT_VUNKNOWN);
	cr_assert_eq(m.version, MQTT_V5);
	cr_assert(m.has_props && m.has_will_props);
	c = cur(m.props.p, m.props.len);
	cr_assert_eq(mqtt_next_prop(&c, &p), MQTT_OK);
	cr_assert_eq(p.id, 0x11);
	cr_assert_eq(p.num, 60);
	cr_assert_eq(mqtt_next_prop(&c, &p), MQTT_TRUNCATED, "one property only");
	c = cur(m.will_props.p, m.will_props.len);
	cr_assert_eq(mqtt_next_prop(&c, &p), MQTT_OK);
	cr_assert_eq(p.id, 0x18);
	cr_assert_eq(p.num, 5);
	cr_assert(view_is(m.will_topic, "w"));
	cr_assert(view_is(m.clientid, "c5"));
}

Test(packets, connack)
{
	const uint8_t a311[] = { 0x20, 0x02, 0x01, 0x05 };
	const uint8_t a5[] = { 0x20, 0x0a, 0x00, 0x86, 0x07, 0x22, 0x00, 0x0a, 0x12, 0x00, 0x01, 'x' };

	PARSE_OK(a311, MQTT_V311);
	cr_assert_eq(m.ack_flags, 1);
	cr_assert(m.has_code);
	cr_assert_eq(m.code, 5);
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V311, m.code),
			 "Connection Refused: not authorized");
	PARSE_OK(a5, MQTT_V5);
	cr_assert_eq(m.code, 0x86);
	cr_assert_str_eq(mqtt_code_name(MQTT_CONNACK, MQTT_V5, m.code), "Bad User Name or Password");
	cr_assert(m.has_props);
	cr_assert_eq(m.props.len, 7);
}

Test(packets, publish_qos_and_properties)
{
	const uint8_t q0[] = { 0x31, 0x06, 0x00, 0x01, 't', 'a', 'b', 'c' };
	const uint8_t q2[] = { 0x3c, 0x07, 0x00, 0x01, 't', 0x12, 0x34, 'h', 'i' };
	/* 5.0 QoS 1: two User Properties and a Subscription Identifier, empty payload */
	const uint8_t p5[] = { 0x32, 0x17, 0x00, 0x01, 't', 0x00, 0x09, 0x11, 0x26, 0x00, 0x01, 'a',
			       0x00, 0x01, 'b', 0x26, 0x00, 0x01, 'c', 0x00, 0x01, 'd', 0x0b, 0x80,
			       0x01 };
	struct mqtt_cursor c;
	struct mqtt_prop p;
	int users = 0;

	PARSE_OK(q0, MQTT_V311);
	cr_assert_eq(m.qos, 0);
	cr_assert(m.retain);
	cr_assert(!m.has_msgid);
	cr_assert(view_is(m.payload, "abc"));
	PARSE_OK(q2, MQTT_V311);
	cr_assert_eq(m.qos, 2);
	cr_assert(m.dup);
	cr_assert_eq(m.msgid, 0x1234);
	cr_assert(view_is(m.payload, "hi"));
	PARSE_OK(p5, MQTT_V5);
	cr_assert_eq(m.msgid, 9);
	cr_assert_eq(m.payload.len, 0);
	c = cur(m.props.p, m.props.len);
	while (mqtt_next_prop(&c, &p) == MQTT_OK) {
		if (p.id == 0x26) {
			users++;
			cr_assert_eq(p.ptype, MQTT_PT_PAIR);
		} else {
			cr_assert_eq(p.id, 0x0b);
			cr_assert_eq(p.num, 128);
		}
	}
	cr_assert_eq(users, 2);
	cr_assert(mqtt_prop_repeats(0x26) && mqtt_prop_repeats(0x0b) && !mqtt_prop_repeats(0x23));
	/* the same bytes read as 3.1.1: the property block is payload */
	PARSE_OK(p5, MQTT_V311);
	cr_assert(!m.has_props);
	cr_assert_eq(m.payload.len, 18);
}

Test(packets, acknowledgements_in_both_forms)
{
	const uint8_t ack2[] = { 0x40, 0x02, 0x00, 0x07 };
	const uint8_t ack3[] = { 0x50, 0x03, 0x00, 0x07, 0x10 };
	const uint8_t ack4[] = { 0x62, 0x04, 0x00, 0x07, 0x92, 0x00 };
	const uint8_t ackp[] = { 0x70, 0x09, 0x00, 0x07, 0x80, 0x05, 0x1f, 0x00, 0x02, 'n', 'o' };

	PARSE_OK(ack2, MQTT_V311);
	cr_assert_eq(m.msgid, 7);
	cr_assert(!m.has_code);
	PARSE_OK(ack2, MQTT_V5);
	cr_assert(!m.has_code, "remaining length 2: no reason code (Success)");
	PARSE_OK(ack3, MQTT_V5);
	cr_assert(m.has_code && m.code == 0x10 && !m.has_props);
	cr_assert_str_eq(mqtt_code_name(MQTT_PUBREC, MQTT_V5, 0x10), "No matching subscribers");
	PARSE_OK(ack4, MQTT_V5);
	cr_assert(m.has_code && m.code == 0x92 && m.has_props && m.props.len == 0);
	PARSE_OK(ackp, MQTT_V5);
	cr_assert_eq(m.code, 0x80);
	cr_assert_eq(m.props.len, 5);
}

Test(packets, subscribe_suback)
{
	const uint8_t s311[] = { 0x82, 0x0e, 0x00, 0x01, 0x00, 0x01, 'a', 0x01, 0x00, 0x03, 'b', '/',
				 '#', 0x02, 0x00, 0x00 };
	const uint8_t s5[] = { 0x82, 0x09, 0x00, 0x02, 0x02, 0x0b, 0x05, 0x00, 0x01, 'x', 0x2d };
	const uint8_t sa[] = { 0x90, 0x05, 0x00, 0x01, 0x01, 0x02, 0x80 };
	const uint8_t sa5[] = { 0x90, 0x05, 0x00, 0x02, 0x00, 0xa2, 0x01 };
	struct mqtt_cursor c;
	struct mqtt_view f;
	uint8_t o;

	/* the last filter of s311 is truncated inside the options: not whole */
	cr_assert_eq(parse(s311, sizeof s311 - 0, MQTT_V311), MQTT_MALFORMED);
	{
		const uint8_t ok[] = { 0x82, 0x0c, 0x00, 0x01, 0x00, 0x01, 'a', 0x01, 0x00, 0x03, 'b',
				       '/', '#', 0x02 };
		PARSE_OK(ok, MQTT_V311);
		cr_assert_eq(m.msgid, 1);
		cr_assert_eq(m.list_count, 2);
		c = cur(m.list.p, m.list.len);
		cr_assert_eq(mqtt_next_sub(&c, MQTT_V311, &f, &o), MQTT_OK);
		cr_assert(view_is(f, "a") && o == 1);
		cr_assert_eq(mqtt_next_sub(&c, MQTT_V311, &f, &o), MQTT_OK);
		cr_assert(view_is(f, "b/#") && o == 2);
		cr_assert_eq(mqtt_next_sub(&c, MQTT_V311, &f, &o), MQTT_TRUNCATED);
	}
	PARSE_OK(s5, MQTT_V5);
	cr_assert(m.has_props);
	c = cur(m.list.p, m.list.len);
	cr_assert_eq(mqtt_next_sub(&c, MQTT_V5, &f, &o), MQTT_OK);
	cr_assert_eq(o, 0x2d); /* QoS 1, no local, retain as published, retain handling 2 */
	PARSE_OK(sa, MQTT_V311);
	cr_assert_eq(m.list_count, 3);
	cr_assert_eq(m.list.p[2], 0x80);
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V311, 0x80), "Failure");
	PARSE_OK(sa5, MQTT_V5);
	cr_assert_eq(m.list_count, 2);
	cr_assert_str_eq(mqtt_code_name(MQTT_SUBACK, MQTT_V5, 0xa2),
			 "Wildcard Subscriptions not supported");
}

Test(packets, unsubscribe_unsuback)
{
	const uint8_t u[] = { 0xa2, 0x08, 0x00, 0x03, 0x00, 0x01, 'a', 0x00, 0x01, 'b' };
	const uint8_t u5[] = { 0xa2, 0x06, 0x00, 0x03, 0x00, 0x00, 0x01, 'a' };
	const uint8_t ua[] = { 0xb0, 0x02, 0x00, 0x03 };
	const uint8_t ua5[] = { 0xb0, 0x05, 0x00, 0x03, 0x00, 0x00, 0x11 };
	struct mqtt_cursor c;
	struct mqtt_view f;

	PARSE_OK(u, MQTT_V311);
	cr_assert_eq(m.list_count, 2);
	c = cur(m.list.p, m.list.len);
	cr_assert_eq(mqtt_next_filter(&c, &f), MQTT_OK);
	cr_assert(view_is(f, "a"));
	PARSE_OK(u5, MQTT_V5);
	cr_assert_eq(m.list_count, 1);
	PARSE_OK(ua, MQTT_V311);
	cr_assert_eq(m.msgid, 3);
	cr_assert_eq(m.list.len, 0);
	PARSE_OK(ua5, MQTT_V5);
	cr_assert_eq(m.list_count, 2);
	cr_assert_str_eq(mqtt_code_name(MQTT_UNSUBACK, MQTT_V5, 0x11), "No subscription existed");
}

Test(packets, ping_disconnect_auth)
{
	const uint8_t preq[] = { 0xc0, 0x00 }, presp[] = { 0xd0, 0x00 }, d[] = { 0xe0, 0x00 };
	const uint8_t d5[] = { 0xe0, 0x07, 0x04, 0x05, 0x1f, 0x00, 0x02, 'b', 'y' };
	const uint8_t a5[] = { 0xf0, 0x0c, 0x18, 0x0a, 0x15, 0x00, 0x01, 'M', 0x16, 0x00, 0x03, 1, 2,
			       3 };

	PARSE_OK(preq, MQTT_V311);
	cr_assert_eq(m.hdr.type, MQTT_PINGREQ);
	PARSE_OK(presp, MQTT_V5);
	PARSE_OK(d, MQTT_V311);
	cr_assert(!m.has_code);
	PARSE_OK(d5, MQTT_V5);
	cr_assert_eq(m.code, 0x04);
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0x04), "Disconnect with Will Message");
	cr_assert_str_eq(mqtt_code_name(MQTT_DISCONNECT, MQTT_V5, 0x00), "Normal disconnection");
	PARSE_OK(a5, MQTT_V5);
	cr_assert_eq(m.code, 0x18);
	cr_assert_str_eq(mqtt_code_name(MQTT_AUTH, MQTT_V5, 0x18), "Continue authentication");
	/* AUTH in a 3.1.1 connection breaks a rule */
	cr_assert_eq(parse(a5, sizeof a5, MQTT_V311), MQTT_OK);
	cr_assert_geq(m.nwarn, 1);
}

/* ---- malformed and rule-breaking ------------------------------------------------------ */

static int has_rule(const char *rule)
{
	for (unsigned i = 0; i < m.nwarn; i++)
		if (m.warn[i].rule && strcmp(m.warn[i].rule, rule) == 0)
			return 1;
	return 0;
}

static int malformed(void)
{
	for (unsigned i = 0; i < m.nwarn; i++)
		if (m.warn[i].malformed)
			return 1;
	return 0;
}

Test(malformed, fields_past_the_packet)
{
	/* CONNECT whose client id length says 10 but 2 bytes follow */
	const uint8_t c[] = { 0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c,
			      0x00, 0x0a, 'c', '1' };
	/* v5 PUBLISH whose property length (0x40) runs past the end */
	const uint8_t p[] = { 0x30, 0x05, 0x00, 0x01, 't', 0x40, 0x01 };
	/* unknown property 0x7f */
	const uint8_t u[] = { 0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x7f, 0x00 };

	cr_assert_eq(parse(c, sizeof c, MQTT_VUNKNOWN), MQTT_MALFORMED);
	cr_assert(malformed());
	cr_assert_eq(parse(p, sizeof p, MQTT_V5), MQTT_MALFORMED);
	cr_assert(malformed());
	cr_assert_eq(parse(u, sizeof u, MQTT_V5), MQTT_MALFORMED);
	cr_assert(malformed());
}

Test(malformed, rules_broken_in_readable_packets)
{
	const uint8_t qos3[] = { 0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01 };
	const uint8_t subflags[] = { 0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x00 };
	const uint8_t type0[] = { 0x00, 0x01, 0xaa };
	const uint8_t badutf[] = { 0x30, 0x04, 0x00, 0x02, 0xc3, 0x28 };
	const uint8_t longlen[] = { 0xc0, 0x80, 0x00 };

	cr_assert_eq(parse(qos3, sizeof qos3, MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-3.3.1-4") && !malformed());
	cr_assert_eq(parse(subflags, sizeof subflags, MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-2.1.3-1"));
	cr_assert_eq(parse(type0, sizeof type0, MQTT_V311), MQTT_OK);
	cr_assert_geq(m.nwarn, 1);
	cr_assert_eq(parse(badutf, sizeof badutf, MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.4-1"));
	cr_assert_eq(parse(longlen, sizeof longlen, MQTT_V311), MQTT_OK);
	cr_assert(has_rule("MQTT-1.5.5-1"));
}

Test(malformed, every_prefix_is_read_safely)
{
	/* a v5 CONNECT with everything: each strict prefix must stop cleanly */
	const uint8_t c5[] = { 0x10, 0x2a, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0xee, 0x00, 0x3c,
			       0x05, 0x11, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x02, 'c', '5',
			       0x02, 0x01, 0x01, 0x00, 0x01, 'w', 0x00, 0x02, 'o', 'k',
			       0x00, 0x01, 'u', 0x00, 0x02, 'p', 'w', 0x00, 0x00, 0x00, 0x00, 0x00 };
	size_t whole = 2 + 0x2a;

	cr_assert_leq(whole, sizeof c5);
	for (size_t n = 0; n < 40; n++) {
		uint8_t copy[64];
		memcpy(copy, c5, n); /* the parser may only read these n bytes */
		cr_assert_eq(mqtt_parse(copy, n, MQTT_VUNKNOWN, &m), MQTT_MALFORMED, "prefix %zu", n);
		cr_assert(malformed());
	}
}

/* ---- names and Info ------------------------------------------------------------------- */

Test(names, wireshark_labels)
{
	static const char *const want[16] = {
		"Reserved", "Connect Command", "Connect Ack", "Publish Message", "Publish Ack",
		"Publish Received", "Publish Release", "Publish Complete", "Subscribe Request",
		"Subscribe Ack", "Unsubscribe Request", "Unsubscribe Ack", "Ping Request",
		"Ping Response", "Disconnect Req", "Authentication Exchange",
	};
	for (int t = 0; t < 16; t++)
		cr_assert_str_eq(mqtt_type_label((uint8_t)t), want[t]);
	cr_assert_str_eq(mqtt_type_name(MQTT_PUBLISH), "PUBLISH");
	cr_assert_str_eq(mqtt_version_name(MQTT_V31), "3.1");
	cr_assert_str_eq(mqtt_version_name(MQTT_V311), "3.1.1");
	cr_assert_str_eq(mqtt_version_name(MQTT_V5), "5.0");
	cr_assert_null(mqtt_version_name(9));
	cr_assert_str_eq(mqtt_prop_name(0x26), "User Property");
	cr_assert_str_eq(mqtt_prop_key(0x11), "session_expiry_interval");
	cr_assert_null(mqtt_prop_name(0x04));
	cr_assert_null(mqtt_code_name(MQTT_CONNACK, MQTT_V311, 6));
}

static const char *info(const uint8_t *p, size_t n, uint8_t v)
{
	static char buf[256];
	mqtt_parse(p, n, v, &m);
	mqtt_info(&m, buf, sizeof buf);
	return buf;
}

Test(names, info_text_as_tshark)
{
	const uint8_t pub1[] = { 0x32, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x03 };
	const uint8_t pub0[] = { 0x30, 0x05, 0x00, 0x03, 'a', '/', 'b' };
	const uint8_t sub[] = { 0x82, 0x0c, 0x00, 0x01, 0x00, 0x01, 'a', 0x00, 0x00, 0x03, 'b', '/',
				'#', 0x01 };
	const uint8_t uns[] = { 0xa2, 0x05, 0x00, 0x02, 0x00, 0x01, 'a' };
	const uint8_t ack[] = { 0x40, 0x02, 0x00, 0x07 };
	const uint8_t ping[] = { 0xc0, 0x00 }, disc[] = { 0xe0, 0x00 };
	const uint8_t badc[] = { 0x10, 0x04, 0x00, 0x04, 'M', 'Q' };
	const uint8_t json[] = { 0x30, 0x19, 0x00, 0x01, 't', 0x13, 0x03, 0x00, 0x10, 'a', 'p', 'p',
				 'l', 'i', 'c', 'a', 't', 'i', 'o', 'n', '/', 'j', 's', 'o', 'n',
				 '{', '}' };
	char small[8];
	size_t need;

	cr_assert_str_eq(info(pub1, sizeof pub1, MQTT_V311), "Publish Message (id=3) [a/b]");
	cr_assert_str_eq(info(pub0, sizeof pub0, MQTT_V311), "Publish Message [a/b]");
	cr_assert_str_eq(info(sub, sizeof sub, MQTT_V311) , "Subscribe Request (id=1) [a] [b/#]");
	cr_assert_str_eq(info(uns, sizeof uns, MQTT_V311), "Unsubscribe Request (id=2)");
	cr_assert_str_eq(info(ack, sizeof ack, MQTT_V311), "Publish Ack (id=7)");
	cr_assert_str_eq(info(ping, sizeof ping, MQTT_V311), "Ping Request");
	cr_assert_str_eq(info(disc, sizeof disc, MQTT_V311), "Disconnect Req");
	cr_assert_str_eq(info(badc, sizeof badc, MQTT_VUNKNOWN), "Connect Command[Malformed Packet]");
	cr_assert_str_eq(info(json, sizeof json, MQTT_V5),
			 "Publish Message [t], JavaScript Object Notation (application/json)");
	cr_assert_str_eq(mqtt_media_proto(&m), "JSON");
	mqtt_parse(pub1, sizeof pub1, MQTT_V311, &m);
	need = mqtt_info(&m, small, sizeof small);
	cr_assert_eq(need, strlen("Publish Message (id=3) [a/b]"));
	cr_assert_str_eq(small, "Publish");
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
