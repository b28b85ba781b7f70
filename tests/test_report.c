/* Unit tests for the reporters: time stamps, the summary line layout, JSON keys. */
#include "mqttdump/i18n.h"
#include "mqttdump/latency.h"
#include "mqttdump/report.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Test(report, iso_time_at_capture_precision)
{
	char b[64];

	report_iso_time(0, 0, 6, b, sizeof b);
	cr_assert_str_eq(b, "1970-01-01T00:00:00.000000Z");
	report_iso_time(1700000000, 123456789, 9, b, sizeof b);
	cr_assert_str_eq(b, "2023-11-14T22:13:20.123456789Z");
	report_iso_time(1700000000, 123456789, 6, b, sizeof b);
	cr_assert_str_eq(b, "2023-11-14T22:13:20.123456Z");
}

Test(report, relative_time)
{
	char b[64];

	report_rel_time(10, 500000000, 10, 0, 6, b, sizeof b);
	cr_assert_str_eq(b, "0.500000");
	report_rel_time(12, 1000, 10, 2000, 9, b, sizeof b);
	cr_assert_str_eq(b, "1.999999000");
	report_rel_time(9, 0, 10, 0, 6, b, sizeof b);
	cr_assert_str_eq(b, "-1.000000");
}

struct out {
	char *buf;
	size_t len;
	FILE *f;
};

static struct report_opts opts(struct out *o, uint32_t payload_max, int secrets)
{
	struct report_opts r = { 0 };
	o->f = open_memstream(&o->buf, &o->len);
	r.out = o->f;
	r.ts_digits = 6;
	r.payload_max = payload_max;
	r.show_secrets = secrets;
	return r;
}

static struct reasm_flow flow(void)
{
	struct reasm_flow f = { 0 };
	f.index = 3;
	f.client.family = f.broker.family = 4;
	f.client.a[0] = 10, f.client.a[3] = 1;
	f.broker.a[0] = 10, f.broker.a[3] = 2;
	f.client_port = 40000;
	f.broker_port = 1883;
	return f;
}

static void run_one(struct reporter *r, const uint8_t *p, size_t n, uint8_t version, int dir,
		    const struct reasm_flow *f, uint64_t frame)
{
	struct mqtt_record rec = { 0 };
	struct cap_pkt pkt = { 0 };

	pkt.frame = frame;
	pkt.ts_sec = 1700000000 + (int64_t)frame;
	pkt.len = (uint32_t)n + 66;
	rec.flow = f;
	rec.dir = dir;
	rec.at.frame = frame;
	rec.at.ts_sec = pkt.ts_sec;
	rec.at.len = pkt.len;
	rec.version = version;
	rec.raw = p;
	rec.have = (uint32_t)n;
	mqtt_parse(p, n, version, &rec.msg);
	if (r->frame_begin)
		r->frame_begin(r->ctx, &pkt, NULL);
	r->message(r->ctx, &rec);
	if (r->frame_end)
		r->frame_end(r->ctx, &pkt, NULL);
}

/* CONNECT 3.1.1, client id "c1", username "u", password "secret" */
static const uint8_t connect_pw[] = { 0x10, 0x19, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xc2,
				      0x00, 0x3c, 0x00, 0x02, 'c', '1', 0x00, 0x01, 'u', 0x00, 0x06,
				      's', 'e', 'c', 'r', 'e', 't' };

static json_object *parse_line(const char *s)
{
	json_object *o = json_tokener_parse(s);
	cr_assert_not_null(o, "not JSON: %s", s);
	return o;
}

static const char *jget(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

Test(report, json_connect_hides_the_password)
{
	struct out o;
	struct report_opts ro = opts(&o, 256, 0);
	struct reporter r;
	struct reasm_flow f = flow();
	json_object *j;

	cr_assert_eq(report_json_new(&ro, &r), 0);
	run_one(&r, connect_pw, sizeof connect_pw, MQTT_VUNKNOWN, REASM_TO_BROKER, &f, 4);
	r.finish(r.ctx);
	fclose(o.f);
	j = parse_line(o.buf);
	cr_assert_str_eq(jget(j, "type"), "CONNECT");
	cr_assert_str_eq(jget(j, "label"), "Connect Command");
	cr_assert_str_eq(jget(j, "version"), "3.1.1");
	cr_assert_str_eq(jget(j, "clientid"), "c1");
	cr_assert_str_eq(jget(j, "username"), "u");
	cr_assert_str_eq(jget(j, "password_len"), "6");
	cr_assert_null(jget(j, "password"));
	cr_assert_null(strstr(o.buf, "secret"));
	cr_assert_str_eq(jget(j, "from"), "client");
	cr_assert_str_eq(jget(j, "src"), "10.0.0.1");
	cr_assert_str_eq(jget(j, "dport"), "1883");
	cr_assert_str_eq(jget(j, "stream"), "3");
	cr_assert_str_eq(jget(j, "frame"), "4");
	cr_assert_str_eq(jget(j, "ts"), "2023-11-14T22:13:24.000000Z");
	json_object_put(j);
	r.free(r.ctx);
	free(o.buf);
}

Test(report, json_show_secrets_reveals_the_password)
{
	struct out o;
	struct report_opts ro = opts(&o, 256, 1);
	struct reporter r;
	struct reasm_flow f = flow();
	json_object *j;

	report_json_new(&ro, &r);
	run_one(&r, connect_pw, sizeof connect_pw, MQTT_VUNKNOWN, REASM_TO_BROKER, &f, 4);
	fclose(o.f);
	j = parse_line(o.buf);
	cr_assert_str_eq(jget(j, "password"), "secret");
	json_object_put(j);
	r.free(r.ctx);
	free(o.buf);
}

Test(report, json_payload_text_hex_and_cut)
{
	struct out o;
	struct report_opts ro = opts(&o, 4, 0);
	struct reporter r;
	struct reasm_flow f = flow();
	/* PUBLISH QoS 0 "t", payload "hello" ; PUBLISH QoS 0 "t", payload 00 ff */
	const uint8_t text[] = { 0x30, 0x08, 0x00, 0x01, 't', 'h', 'e', 'l', 'l', 'o' };
	const uint8_t bin[] = { 0x30, 0x05, 0x00, 0x01, 't', 0x00, 0xff };
	json_object *j;
	char *nl;

	report_json_new(&ro, &r);
	run_one(&r, text, sizeof text, MQTT_V311, REASM_TO_CLIENT, &f, 1);
	run_one(&r, bin, sizeof bin, MQTT_V311, REASM_TO_CLIENT, &f, 2);
	fclose(o.f);
	nl = strchr(o.buf, '\n');
	cr_assert_not_null(nl);
	*nl = '\0';
	j = parse_line(o.buf);
	cr_assert_str_eq(jget(j, "payload"), "hell");
	cr_assert_str_eq(jget(j, "payload_len"), "5");
	cr_assert_str_eq(jget(j, "payload_cut"), "true");
	cr_assert_str_eq(jget(j, "from"), "broker");
	cr_assert_str_eq(jget(j, "topic"), "t");
	json_object_put(j);
	j = parse_line(nl + 1);
	cr_assert_null(jget(j, "payload"));
	cr_assert_str_eq(jget(j, "payload_hex"), "00ff");
	json_object_put(j);
	r.free(r.ctx);
	free(o.buf);
}

Test(report, summary_line_layout)
{
	struct out o;
	struct report_opts ro = opts(&o, 256, 0);
	struct reporter r;
	struct reasm_flow f = flow();
	const uint8_t ping[] = { 0xc0, 0x00 };
	const uint8_t puback[] = { 0x40, 0x02, 0x00, 0x07 };

	report_summary_new(&ro, &r);
	run_one(&r, ping, sizeof ping, MQTT_V311, REASM_TO_BROKER, &f, 1);
	run_one(&r, puback, sizeof puback, MQTT_V311, REASM_TO_CLIENT, &f, 12);
	r.finish(r.ctx);
	fclose(o.f);
	cr_assert_str_eq(o.buf,
		"    1   0.000000     10.0.0.1 → 10.0.0.2     MQTT 68 Ping Request\n"
		"   12  11.000000     10.0.0.2 → 10.0.0.1     MQTT 70 Publish Ack (id=7)\n");
	r.free(r.ctx);
	free(o.buf);
}

Test(report, json_stays_valid_with_invalid_utf8)
{
	struct out o;
	struct report_opts ro = opts(&o, 256, 0);
	struct reporter r;
	struct reasm_flow f = flow();
	/* PUBLISH QoS 0, topic "a\xff\xfe" (not UTF-8), payload with a NUL and a quote */
	const uint8_t bad[] = { 0x30, 0x0a, 0x00, 0x03, 'a', 0xff, 0xfe, 'x', 0x00, '"', 'y', 'z' };
	json_object *j;

	report_json_new(&ro, &r);
	run_one(&r, bad, sizeof bad, MQTT_V311, REASM_TO_BROKER, &f, 1);
	fclose(o.f);
	j = parse_line(o.buf);
	cr_assert_str_eq(jget(j, "topic"), "a\xef\xbf\xbd\xef\xbf\xbd");
	cr_assert_str_eq(jget(j, "payload_hex"), "780022797a");
	cr_assert_not_null(strstr(o.buf, "MQTT-1.5.3-1"));
	json_object_put(j);
	r.free(r.ctx);
	free(o.buf);
}

/* As run_one, for a whole message in one frame of a raw IPv4 capture (no link header). */
static void run_whole(struct reporter *r, const uint8_t *p, size_t n, uint8_t version, int dir,
		      const struct reasm_flow *f, uint64_t frame)
{
	struct mqtt_record rec = { 0 };
	struct cap_pkt pkt = { 0 };

	pkt.frame = frame;
	pkt.ts_sec = 1700000000 + (int64_t)frame;
	pkt.len = (uint32_t)n + 66;
	pkt.linktype = 228;
	rec.flow = f;
	rec.dir = dir;
	rec.at.frame = rec.first_frame = frame;
	rec.at.ts_sec = pkt.ts_sec;
	rec.at.len = pkt.len;
	rec.version = version;
	rec.length_known = 1;
	rec.raw = p;
	rec.have = (uint32_t)n;
	mqtt_parse(p, n, version, &rec.msg);
	r->frame_begin(r->ctx, &pkt, NULL);
	r->message(r->ctx, &rec);
	r->frame_end(r->ctx, &pkt, NULL);
}

Test(report, hexdump_as_tshark)
{
	struct report_buf b = { 0 };
	uint8_t p[18];

	for (int i = 0; i < 18; i++)
		p[i] = (uint8_t)(0x40 + i);
	p[1] = 0x00;
	report_hexdump(p, sizeof p, &b);
	cr_assert_str_eq(b.p,
		"0000  40 00 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f   @.BCDEFGHIJKLMNO\n"
		"0010  50 51                                             PQ\n");
	report_buf_free(&b);
	report_buf_free(NULL);
}

Test(report, detail_tree_of_a_connect)
{
	for (int secrets = 0; secrets < 2; secrets++) {
		struct out o;
		struct report_opts ro = opts(&o, 256, secrets);
		struct detail_opts d = { 1, 0 };
		struct reporter r;
		struct reasm_flow f = flow();

		ro.blank_after = 1; /* as the pipeline lays out a tree alone */
		cr_assert_eq(report_detail_new(&ro, &d, &r), 0);
		run_whole(&r, connect_pw, sizeof connect_pw, MQTT_V311, REASM_TO_BROKER, &f, 4);
		r.finish(r.ctx);
		r.free(r.ctx);
		fclose(o.f);
		cr_assert(strstr(o.buf, "Frame 4: 93 bytes on wire (744 bits), 0 bytes captured (0 "
				 "bits)\nMQ Telemetry Transport Protocol, Connect Command\n"
				 "    Header Flags: 0x10, Message Type: Connect Command\n"), "%s", o.buf);
		cr_assert(strstr(o.buf, "    Connect Flags: 0xc2, User Name Flag, Password Flag, QoS "
				 "Level: At most once delivery (Fire and Forget), Clean Session Flag\n"
				 "        1... .... = User Name Flag: Set\n"), "%s", o.buf);
		cr_assert(strstr(o.buf, "    Keep Alive: 60\n    Client ID Length: 2\n    Client ID: "
				 "c1\n    User Name Length: 1\n    User Name: u\n    Password Length: "
				 "6\n"), "%s", o.buf);
		/* the password only with --show-secrets; the line is there either way */
		cr_assert(strstr(o.buf, secrets ? "    Password: secret\n\n" :
				 "    Password: <hidden: 6 bytes, --show-secrets shows it>\n\n"),
			  "%s", o.buf);
		cr_assert(secrets || !strstr(o.buf, "secret\n"), "%s", o.buf);
		free(o.buf);
	}
}

/* A raw IPv4 frame (LINKTYPE 228) from 10.0.0.1:40000 to 10.0.0.2:1883 carrying p. */
static size_t ip_frame(uint8_t *out, const uint8_t *p, size_t n)
{
	size_t len = 40 + n;

	memset(out, 0, 40);
	out[0] = 0x45;
	out[2] = (uint8_t)(len >> 8), out[3] = (uint8_t)len;
	out[8] = 64, out[9] = 6;
	out[12] = 10, out[15] = 1;
	out[16] = 10, out[19] = 2;
	out[20] = 40000 >> 8, out[21] = 40000 & 0xff;
	out[22] = 1883 >> 8, out[23] = 1883 & 0xff;
	out[27] = 100;          /* seq 100 */
	out[32] = 0x50, out[33] = 0x18; /* header 20 bytes, PSH ACK */
	memcpy(out + 40, p, n);
	return len;
}

Test(report, hex_masks_a_message_given_after_its_frame_data_went)
{
	/* The engine holds a frame whose messages may still come: frame_begin saw the
	 * capture's buffer, the message and frame_end come later, with a copy. */
	uint8_t frame[128];
	size_t n = ip_frame(frame, connect_pw, sizeof connect_pw);
	uint8_t *live = malloc(n), *held = malloc(n), *raw = malloc(sizeof connect_pw);
	struct cap_pkt pkt = { 0 };
	struct mqtt_record rec = { 0 };
	struct tcp_seg seg;
	struct out o;
	struct report_opts ro = opts(&o, 256, 0);
	struct detail_opts d = { 0, 1 };
	struct reporter r;
	struct reasm_flow f = flow();

	cr_assert(live && held && raw);
	memcpy(live, frame, n);
	memcpy(held, frame, n);
	memcpy(raw, connect_pw, sizeof connect_pw);
	pkt.frame = 4;
	pkt.caplen = pkt.len = (uint32_t)n;
	pkt.linktype = 228;
	pkt.data = live;
	cr_assert_eq(report_detail_new(&ro, &d, &r), 0);
	cr_assert_eq(decode_packet(&pkt, &seg), DECODE_OK);
	r.frame_begin(r.ctx, &pkt, &seg);
	free(live); /* under ASan: any later read of it is caught */
	rec.flow = &f;
	rec.dir = REASM_TO_BROKER;
	rec.at.frame = rec.first_frame = 4;
	rec.version = MQTT_V311;
	rec.length_known = 1;
	rec.raw = raw;
	rec.have = sizeof connect_pw;
	mqtt_parse(raw, sizeof connect_pw, MQTT_V311, &rec.msg);
	r.message(r.ctx, &rec);
	pkt.data = held;
	r.frame_end(r.ctx, &pkt, NULL);
	r.finish(r.ctx);
	r.free(r.ctx);
	fclose(o.f);
	/* "secret" at the end of the frame: masked, and said so */
	cr_assert(strstr(o.buf, "75 00 06 ** ** **   ...<..c1..u..***\n0040  ** ** **") &&
		  !strstr(o.buf, "73 65") && strstr(o.buf, "[6 secret bytes masked"), "%s", o.buf);
	free(o.buf);
	free(held);
	free(raw);
}

Test(report, hexdump_masks_secret_bytes)
{
	struct report_buf b = { 0 };
	uint8_t p[18], mask[18] = { 0 };

	for (int i = 0; i < 18; i++)
		p[i] = (uint8_t)(0x40 + i);
	mask[2] = mask[15] = mask[16] = 1;
	cr_assert_eq(report_hexdump_masked(p, sizeof p, mask, &b), 3);
	cr_assert_str_eq(b.p,
		"0000  40 41 ** 43 44 45 46 47 48 49 4a 4b 4c 4d 4e **   @A*CDEFGHIJKLMN*\n"
		"0010  ** 51                                             *Q\n");
	report_buf_free(&b);
}

/* The secret spans of a whole packet p (n bytes) read as version. */
static size_t spans_of(const uint8_t *p, size_t n, size_t have, uint8_t version,
		       struct report_span *sp)
{
	struct mqtt_record rec = { 0 };

	rec.raw = p;
	rec.have = (uint32_t)have;
	rec.version = version;
	rec.length_known = 1;
	if (have == n)
		mqtt_parse(p, n, version, &rec.msg);
	else
		rec.incomplete = 1;
	return report_secret_spans(&rec, sp, 8);
}

Test(report, secret_spans_of_a_connect)
{
	struct report_span sp[8];

	/* whole: the password, "secret" at 21 */
	cr_assert_eq(spans_of(connect_pw, sizeof connect_pw, sizeof connect_pw, MQTT_V311, sp), 1);
	cr_assert_eq(sp[0].off, 21);
	cr_assert_eq(sp[0].len, 6);
	/* cut inside the password: what was captured of it */
	cr_assert_eq(spans_of(connect_pw, sizeof connect_pw, 24, MQTT_V311, sp), 1);
	cr_assert_eq(sp[0].off, 21);
	cr_assert_eq(sp[0].len, 3);
	/* cut inside the user name: the password cannot be placed, the rest is hidden */
	cr_assert_eq(spans_of(connect_pw, sizeof connect_pw, 18, MQTT_V311, sp), 1);
	cr_assert_eq(sp[0].off, 16);
	cr_assert_eq(sp[0].len, 2);
	/* cut before the flags are known: the same */
	cr_assert_eq(spans_of(connect_pw, sizeof connect_pw, 5, MQTT_V311, sp), 1);
	cr_assert_eq(sp[0].off, 2);
	cr_assert_eq(sp[0].len, 3);
	/* no password flag: nothing */
	{
		uint8_t c[sizeof connect_pw];
		memcpy(c, connect_pw, sizeof c);
		c[9] = 0x82;
		cr_assert_eq(spans_of(c, sizeof c, 18, MQTT_V311, sp), 0);
	}
}

Test(report, secret_spans_of_authentication_data)
{
	/* MQTT 5.0 CONNECT: properties Authentication Method "m", Authentication Data "AD",
	 * client id "c", password "pw" */
	static const uint8_t c5[] = { 0x10, 0x1d, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x42,
				      0x00, 0x3c, 0x09, 0x15, 0x00, 0x01, 'm', 0x16, 0x00, 0x02,
				      'A', 'D', 0x00, 0x01, 'c', 0x00, 0x02, 'p', 'w', 0x00 };
	/* AUTH 0x18 with Authentication Data "xyz" */
	static const uint8_t auth[] = { 0xf0, 0x08, 0x18, 0x06, 0x16, 0x00, 0x03, 'x', 'y', 'z' };
	struct report_span sp[8];

	cr_assert_eq(spans_of(c5, sizeof c5 - 1, sizeof c5 - 1, MQTT_V5, sp), 2);
	cr_assert_eq(sp[0].off, 20);
	cr_assert_eq(sp[0].len, 2);
	cr_assert_eq(sp[1].off, 27);
	cr_assert_eq(sp[1].len, 2);
	cr_assert_eq(spans_of(auth, sizeof auth, sizeof auth, MQTT_V5, sp), 1);
	cr_assert_eq(sp[0].off, 7);
	cr_assert_eq(sp[0].len, 3);
	/* cut inside the data: from its first byte to the end of what was captured */
	cr_assert_eq(spans_of(auth, sizeof auth, 8, MQTT_V5, sp), 1);
	cr_assert_eq(sp[0].off, 7);
	cr_assert_eq(sp[0].len, 1);
	/* cut inside its length: from the length on */
	cr_assert_eq(spans_of(auth, sizeof auth, 6, MQTT_V5, sp), 1);
	cr_assert_eq(sp[0].off, 5);
	cr_assert_eq(spans_of(auth, sizeof auth, 4, MQTT_V5, sp), 0);
	cr_assert(report_prop_secret(0x16) && !report_prop_secret(0x15));
}

static void run_whole_noframe(struct reporter *r, const uint8_t *p, size_t n,
			      const struct reasm_flow *f, uint64_t frame)
{
	struct mqtt_record rec = { 0 };

	rec.flow = f;
	rec.dir = REASM_TO_BROKER;
	rec.at.frame = rec.first_frame = frame;
	rec.version = MQTT_V311;
	rec.length_known = 1;
	rec.raw = p;
	rec.have = (uint32_t)n;
	mqtt_parse(p, n, MQTT_V311, &rec.msg);
	r->message(r->ctx, &rec);
	r->frame_end(r->ctx, NULL, NULL);
}

Test(report, explain_in_both_languages)
{
	static const uint8_t sub[] = { 0x82, 0x19, 0x00, 0x07, 0x00, 0x14, 'm', 'a', 'i', 's',
				       'o', 'n', '/', '+', '/', 't', 'e', 'm', 'p', 'e', 'r', 'a',
				       't', 'u', 'r', 'e', 0x01 };
	const char *want[2] = {
		"      The client c1 asks the broker to deliver messages on maison/+/temperature "
		"at QoS 1; the broker will answer with a Subscribe Ack (id 7).",
		"      Le client c1 demande au broker de lui transmettre les messages publiés sur "
		"maison/+/temperature en QoS 1 ; le broker va répondre par un Subscribe Ack (id "
		"7)." };
	const char *lang[2] = { "en", "fr" };

	for (int l = 0; l < 2; l++) {
		struct out o;
		struct report_opts ro = opts(&o, 256, 0);
		struct reporter r;
		struct reasm_flow f = flow();
		/* French from the catalogue meson built (build/po) */
		cr_assert_eq(i18n_init(lang[l], BUILD_ROOT "/po"), 0);
		cr_assert_eq(report_explain_new(&ro, lang[l], &r), 0);
		r.frame_begin = NULL;
		run_whole_noframe(&r, connect_pw, sizeof connect_pw, &f, 4);
		run_whole_noframe(&r, sub, sizeof sub, &f, 8);
		r.finish(r.ctx);
		r.free(r.ctx);
		fclose(o.f);
		cr_assert(strstr(o.buf, want[l]), "%s", o.buf);
		/* the password's length is told, never the password */
		cr_assert(strstr(o.buf, "(6 ") && !strstr(o.buf, "secret"), "%s", o.buf);
		free(o.buf);
	}
}

Test(report, u64_in_decimal_as_printf)
{
	static const uint64_t v[] = { 0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 1234567,
				      4294967295u, 4294967296u, UINT64_MAX - 1, UINT64_MAX };
	char a[32], b[32];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = report_u64(a, v[i]);
		snprintf(b, sizeof b, "%" PRIu64, v[i]);
		cr_assert_str_eq(a, b);
		cr_assert_eq(n, strlen(b));
	}
	for (uint64_t x = 0; x < 200000; x += 3) {
		report_u64(a, x);
		snprintf(b, sizeof b, "%" PRIu64, x);
		cr_assert_str_eq(a, b);
	}
}

Test(report, iso_time_at_every_precision_and_across_seconds)
{
	char out[48];

	report_iso_time(1700000000, 123456789, 9, out, sizeof out);
	cr_assert_str_eq(out, "2023-11-14T22:13:20.123456789Z");
	report_iso_time(1700000000, 123456789, 6, out, sizeof out);
	cr_assert_str_eq(out, "2023-11-14T22:13:20.123456Z");
	report_iso_time(1700000001, 5000, 6, out, sizeof out); /* the next second: re-formatted */
	cr_assert_str_eq(out, "2023-11-14T22:13:21.000005Z");
	report_iso_time(0, 0, 3, out, sizeof out);
	cr_assert_str_eq(out, "1970-01-01T00:00:00.000Z");
	report_iso_time(0, 999999999, 0, out, sizeof out);
	cr_assert_str_eq(out, "1970-01-01T00:00:00Z");
	report_iso_time(1700000000, 0, 6, out, 11); /* cut to the buffer */
	cr_assert_str_eq(out, "2023-11-14");
}

static uint64_t median_of(const uint64_t *v, size_t n)
{
	struct lat_hist l = { 0 };
	uint64_t m;

	for (size_t i = 0; i < n; i++)
		lat_hist_add(&l, v[i]);
	m = lat_hist_median(&l);
	lat_hist_free(&l);
	return m;
}

/* --stats latency median: the middle value of an odd count, the mean of the two middle
 * values of an even count (values below 1000 ns are kept exactly, larger ones to three
 * significant digits, which these are). */
Test(report, latency_median_odd_and_even)
{
	static const uint64_t one[] = { 5 }, two[] = { 3, 1 }, three[] = { 300, 100, 200 },
		four[] = { 1000000, 100, 300, 200 }, big[] = { 4000000, 2000000 },
		same[] = { 7, 7, 7, 7 };
	struct lat_hist l = { 0 };

	cr_assert_eq(lat_hist_median(&l), 0, "no value: 0");
	cr_assert_eq(median_of(one, 1), 5);
	cr_assert_eq(median_of(two, 2), 2, "even count: the mean of 1 and 3, not the lower");
	cr_assert_eq(median_of(three, 3), 200);
	cr_assert_eq(median_of(four, 4), 250, "the mean of 200 and 300");
	cr_assert_eq(median_of(big, 2), 3000000, "2 ms and 4 ms: 3 ms");
	cr_assert_eq(median_of(same, 4), 7);
	for (uint64_t i = 1; i <= 20; i++)
		lat_hist_add(&l, i);
	cr_assert_eq(lat_hist_median(&l), 10, "1..20: (10 + 11) / 2 in whole ns");
	cr_assert_eq(lat_hist_pct(&l, 0.95), 19, "the 95th percentile: the 19th of 20");
	lat_hist_free(&l);
}

/* The JSON lines written for the packets, parsed (at most 4). */
static int json_lines(const uint8_t *const *pk, const size_t *len, int n, uint8_t version,
		      json_object **out)
{
	struct out o;
	struct report_opts ro = opts(&o, 256, 0);
	struct reporter r;
	struct reasm_flow f = flow();
	char *line, *nl;
	int k = 0;

	cr_assert_eq(report_json_new(&ro, &r), 0);
	for (int i = 0; i < n; i++)
		run_one(&r, pk[i], len[i], version, REASM_TO_BROKER, &f, (uint64_t)i + 1);
	r.finish(r.ctx);
	fclose(o.f);
	for (line = o.buf; k < 4 && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		out[k++] = parse_line(line);
	}
	r.free(r.ctx);
	free(o.buf);
	return k;
}

/* A CONNECT cut inside its client id has no "clientid" (it was never read), only the
 * length its 2 bytes give, as tshark's mqtt.clientid_len; one cut after its protocol name
 * has none of the fields after it. */
Test(report, json_cut_connect_has_only_what_was_read)
{
	/* CONNECT 3.1.1, client id "abcde": 17 bytes of body */
	static const uint8_t c[] = { 0x10, 0x11, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
				     0x00, 0x3c, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e' };
	const uint8_t *pk[] = { c, c, c };
	const size_t len[] = { 15, 8, sizeof c };
	json_object *j[4];

	cr_assert_eq(json_lines(pk, len, 3, MQTT_VUNKNOWN, j), 3);
	cr_assert_null(jget(j[0], "clientid"), "a client id not read is absent, not \"\"");
	cr_assert_str_eq(jget(j[0], "clientid_len"), "5");
	cr_assert_str_eq(jget(j[0], "keepalive"), "60");
	cr_assert_str_eq(jget(j[1], "proto_name"), "MQTT");
	cr_assert_null(jget(j[1], "proto_level"));
	cr_assert_null(jget(j[1], "connect_flags"));
	cr_assert_null(jget(j[1], "keepalive"));
	cr_assert_null(jget(j[1], "clean_start"));
	cr_assert_null(jget(j[1], "clientid"));
	cr_assert_null(jget(j[1], "clientid_len"));
	cr_assert_str_eq(jget(j[2], "clientid"), "abcde");
	cr_assert_null(jget(j[2], "clientid_len"), "a UTF-8 client id needs no length");
	for (int i = 0; i < 3; i++)
		json_object_put(j[i]);
}

/* Values tshark shows that a boolean or a masked key would hide: the CONNACK flags'
 * reserved bits, a 3.1.1 Requested QoS byte with reserved bits, a property block the
 * packet ends inside (its declared length and the property before the end), a topic that
 * is not UTF-8 (its length). */
Test(report, json_raw_bytes_tshark_shows)
{
	static const uint8_t connack[] = { 0x20, 0x02, 0x03, 0x00 };
	static const uint8_t sub[] = { 0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x05 };
	/* CONNECT 5.0 whose Property Length (8) runs past its end: Session Expiry 10 read */
	static const uint8_t cut[] = { 0x10, 0x10, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
				       0x00, 0x3c, 0x08, 0x11, 0x00, 0x00, 0x00, 0x0a };
	static const uint8_t pub[] = { 0x30, 0x05, 0x00, 0x02, 'a', 0xff, 'x' };
	const uint8_t *pk[] = { connack, sub, cut, pub };
	const size_t len[] = { sizeof connack, sizeof sub, sizeof cut, sizeof pub };
	json_object *j[4], *s, *p;

	cr_assert_eq(json_lines(pk, len, 4, MQTT_V311, j), 4);
	cr_assert_str_eq(jget(j[0], "session_present"), "true");
	cr_assert_str_eq(jget(j[0], "connack_flags"), "3");
	cr_assert(json_object_object_get_ex(j[1], "subscriptions", &s));
	s = json_object_array_get_idx(s, 0);
	cr_assert_str_eq(jget(s, "qos"), "1");
	cr_assert_str_eq(jget(s, "options"), "5", "the byte as sent, reserved bit 2 included");
	cr_assert_str_eq(jget(j[2], "malformed"), "true");
	cr_assert_str_eq(jget(j[2], "property_len"), "8");
	cr_assert(json_object_object_get_ex(j[2], "properties", &p));
	cr_assert_str_eq(jget(p, "session_expiry_interval"), "10");
	cr_assert_null(jget(j[2], "clientid"));
	cr_assert_str_eq(jget(j[3], "topic"), "a\xef\xbf\xbd");
	cr_assert_str_eq(jget(j[3], "topic_len"), "2");
	for (int i = 0; i < 4; i++)
		json_object_put(j[i]);
}

Test(report, detail_tree_of_a_message_given_after_its_frame)
{
	/* A connection whose first bytes were not captured: the framer finds a message of
	 * frame 4 only while frame 5 is over, between frames. -V shows it under frame 4's
	 * own header lines (before, the next frame_begin dropped it). */
	uint8_t frame[128];
	size_t n = ip_frame(frame, connect_pw, sizeof connect_pw);
	struct cap_pkt pkt = { 0 };
	struct tcp_seg seg;
	struct mqtt_record rec = { 0 };
	struct out o;
	struct report_opts ro = opts(&o, 256, 1);
	struct detail_opts d = { 1, 0 };
	struct reporter r;
	struct reasm_flow f = flow();

	f.client.a[3] = 1, f.broker.a[3] = 2; /* ip_frame's addresses: 10.0.0.1 -> 10.0.0.2 */
	f.client.a[0] = f.broker.a[0] = 10;
	pkt.caplen = pkt.len = (uint32_t)n;
	pkt.linktype = 228;
	pkt.data = frame;
	cr_assert_eq(report_detail_new(&ro, &d, &r), 0);
	for (uint64_t fr = 4; fr <= 5; fr++) {
		pkt.frame = fr;
		cr_assert_eq(decode_packet(&pkt, &seg), DECODE_OK);
		r.frame_begin(r.ctx, &pkt, &seg);
		r.frame_end(r.ctx, &pkt, &seg);
	}
	rec.flow = &f;
	rec.dir = REASM_TO_BROKER;
	rec.at.frame = rec.first_frame = 4;
	rec.at.len = (uint32_t)n;
	rec.version = MQTT_V311;
	rec.length_known = 1;
	rec.raw = connect_pw;
	rec.have = sizeof connect_pw;
	mqtt_parse(connect_pw, sizeof connect_pw, MQTT_V311, &rec.msg);
	r.message(r.ctx, &rec);
	r.finish(r.ctx);
	r.free(r.ctx);
	fclose(o.f);
	cr_assert(strstr(o.buf, "Frame 4: 67 bytes on wire (536 bits), 67 bytes captured (536 "
			 "bits)\n"), "%s", o.buf);
	cr_assert(strstr(o.buf, "Transmission Control Protocol, Src Port: 40000, Dst Port: 1883, "
			 "Seq: 1, Ack: 1, Len: 27\nMQ Telemetry Transport Protocol, Connect "
			 "Command\n"), "%s", o.buf);
	cr_assert(strstr(o.buf, "    Password: secret\n"), "%s", o.buf);
	cr_assert(!strstr(o.buf, "Frame 5") && !strstr(o.buf, "[At the end"), "%s", o.buf);
	free(o.buf);
}

/* A certificate's names, a TLS step's words and an HTTP line carry wire bytes: not UTF-8,
 * they become U+FFFD, so the --json line stays valid JSON (json-c, UTF-8 checked). */
Test(report, json_transport_strings_stay_utf8)
{
	struct out o;
	struct report_opts ro = opts(&o, 256, 0);
	struct reporter r;
	struct reasm_flow f = flow();
	struct tls_cert_facts cert = { "CN=bad\xff\xfe", "O=\xc3(", "2026-01-01", "2027-01-01" };
	struct transport_event ev = { 0 };
	struct json_tokener *tok = json_tokener_new();
	char *line, *save = NULL;
	int n = 0;

	cr_assert_eq(report_json_new(&ro, &r), 0);
	ev.kind = TRANSPORT_EV_TLS;
	ev.flow = &f;
	ev.at.frame = 5;
	ev.content_type = 22; /* handshake */
	ev.hs_type = 11;      /* certificate */
	ev.certs = &cert;
	ev.ncerts = 1;
	ev.info = "Certificate (CN=bad\xff)";
	r.transport(r.ctx, &ev);
	memset(&ev, 0, sizeof ev);
	ev.kind = TRANSPORT_EV_HTTP;
	ev.flow = &f;
	ev.at.frame = 6;
	ev.info = "GET /\x80 HTTP/1.1";
	r.transport(r.ctx, &ev);
	r.finish(r.ctx);
	r.free(r.ctx);
	fclose(o.f);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	for (line = strtok_r(o.buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_object *j;
		json_tokener_reset(tok);
		j = json_tokener_parse_ex(tok, line, (int)strlen(line));
		cr_assert_not_null(j, "not valid JSON (UTF-8 checked): %s", line);
		json_object_put(j);
		n++;
	}
	cr_assert_eq(n, 2, "two records");
	json_tokener_free(tok);
	free(o.buf);
}
