/* Unit tests for MQTT framing over delivered byte spans. */
#include "mqttdump/framer.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct got {
	int n;
	uint8_t type[64];
	uint32_t len[64];
	uint8_t version[64];
	uint64_t frame[64], first[64];
	const uint8_t *raw[64];
	char topic[64][16];
	uint8_t from_alias[64];
	uint16_t msgid[64];
	uint8_t has_props[64];
	uint8_t incomplete[64], truncated[64], inferred[64];
	uint32_t total[64];
	int nev;
	int ev_kind[16];
	uint64_t ev_len[16], ev_off[16];
	int ev_cause[16];
	uint8_t ev_type[16];
};

static void on_msg(void *ctx, const struct mqtt_record *rec)
{
	struct got *g = ctx;
	cr_assert(g->n < 64);
	g->type[g->n] = rec->msg.hdr.type;
	g->len[g->n] = rec->have;
	g->version[g->n] = rec->version;
	g->frame[g->n] = rec->at.frame;
	g->first[g->n] = rec->first_frame;
	g->raw[g->n] = rec->raw;
	g->from_alias[g->n] = rec->topic_from_alias;
	snprintf(g->topic[g->n], sizeof g->topic[0], "%.*s", (int)rec->msg.topic.len,
		 rec->msg.topic.p ? (const char *)rec->msg.topic.p : "");
	g->msgid[g->n] = rec->msg.msgid;
	g->has_props[g->n] = rec->msg.has_props;
	g->incomplete[g->n] = rec->incomplete;
	g->truncated[g->n] = rec->truncated;
	g->inferred[g->n] = rec->version_inferred;
	g->total[g->n] = rec->length_known ? rec->msg.hdr.hdrlen + rec->msg.hdr.remlen : 0;
	g->n++;
}

static void on_ev(void *ctx, const struct framer_event *ev)
{
	struct got *g = ctx;
	if (ev->kind == FRAMER_EV_END)
		return;
	cr_assert(g->nev < 16);
	g->ev_kind[g->nev] = ev->kind;
	g->ev_len[g->nev] = ev->len;
	g->ev_cause[g->nev] = ev->cause;
	g->ev_off[g->nev] = ev->offset;
	g->ev_type[g->nev] = ev->type;
	g->nev++;
}

struct fx {
	struct got g;
	struct framer *fr;
	const struct reasm_sink *s;
	struct reasm_flow flow;
	struct frame_ref at;
};

static void setup_fx_mid(struct fx *x, uint32_t max_buffer, int saw_syn)
{
	struct framer_config c = { max_buffer, NULL };
	struct framer_sink fs = { on_msg, on_ev };

	memset(x, 0, sizeof *x);
	x->flow.saw_syn = (uint8_t)saw_syn;
	x->fr = framer_new(&c, &fs, &x->g);
	x->s = framer_reasm_sink();
	x->at.frame = 1;
	x->flow.user = x->s->open(x->fr, &x->flow, &x->at);
}

static void setup_fx(struct fx *x, uint32_t max_buffer)
{
	setup_fx_mid(x, max_buffer, 1);
}

static void gap(struct fx *x, int dir, uint64_t off, uint32_t len, int cause)
{
	x->s->gap(x->fr, &x->flow, dir, off, len, cause, &x->at);
}

static void data(struct fx *x, int dir, const uint8_t *p, uint32_t n)
{
	x->s->data(x->fr, &x->flow, dir, p, n, &x->at);
	x->at.frame++;
}

static void eof(struct fx *x, int dir)
{
	x->s->eof(x->fr, &x->flow, dir, REASM_END_FIN, &x->at);
}

static void teardown_fx(struct fx *x)
{
	x->s->eof(x->fr, &x->flow, 0, REASM_END_CAPTURE, &x->at);
	x->s->eof(x->fr, &x->flow, 1, REASM_END_CAPTURE, &x->at);
	x->s->close(x->fr, &x->flow, REASM_END_CAPTURE, &x->at);
	framer_free(x->fr);
}

/* v3.1.1 CONNECT "MQTT" level 4, clean session, keepalive 60, client id "c1" */
static const uint8_t connect311[] = { 0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02,
				      0x00, 0x3c, 0x00, 0x02, 'c', '1' };
/* v5 CONNECT: level 5, no properties, client id "c5" */
static const uint8_t connect5[] = { 0x10, 0x0f, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02,
				    0x00, 0x3c, 0x00, 0x00, 0x02, 'c', '5' };
/* PUBLISH QoS 1 id 7 topic "a/b", v5 properties (length 2: Payload Format Indicator = 1),
 * payload "hi" */
static const uint8_t publish5[] = { 0x32, 0x0c, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x07, 0x02,
				    0x01, 0x01, 'h', 'i' };
static const uint8_t pingreq[] = { 0xc0, 0x00 };
static const uint8_t puback311[] = { 0x40, 0x02, 0x00, 0x07 };

Test(framer, every_prefix_waits_then_completes)
{
	for (uint32_t cut = 0; cut < sizeof connect311; cut++) {
		struct fx x;
		setup_fx(&x, 1 << 20);
		data(&x, 0, connect311, cut);
		cr_assert_eq(x.g.n, 0, "a prefix of %u bytes gave a message", cut);
		data(&x, 0, connect311 + cut, (uint32_t)sizeof connect311 - cut);
		cr_assert_eq(x.g.n, 1);
		cr_assert_eq(x.g.type[0], MQTT_CONNECT);
		cr_assert_eq(x.g.len[0], sizeof connect311);
		/* it belongs to the frame of its last byte, and says where it began */
		cr_assert_eq(x.g.frame[0], cut ? 2 : 2);
		cr_assert_eq(x.g.first[0], cut ? 1 : 2);
		cr_assert_eq(x.g.nev, 0);
		teardown_fx(&x);
	}
}

Test(framer, stream_cut_at_every_offset_gives_the_same_messages)
{
	uint8_t s[128];
	size_t n = 0;

	memcpy(s + n, connect5, sizeof connect5), n += sizeof connect5;
	memcpy(s + n, publish5, sizeof publish5), n += sizeof publish5;
	memcpy(s + n, pingreq, sizeof pingreq), n += sizeof pingreq;
	memcpy(s + n, publish5, sizeof publish5), n += sizeof publish5;
	for (size_t a = 0; a <= n; a++) {
		for (size_t b = a; b <= n; b += 3) {
			struct fx x;
			setup_fx(&x, 1 << 20);
			data(&x, 0, s, (uint32_t)a);
			data(&x, 0, s + a, (uint32_t)(b - a));
			data(&x, 0, s + b, (uint32_t)(n - b));
			cr_assert_eq(x.g.n, 4, "cuts %zu %zu", a, b);
			cr_assert_eq(x.g.type[0], MQTT_CONNECT);
			cr_assert_eq(x.g.type[1], MQTT_PUBLISH);
			cr_assert_eq(x.g.type[2], MQTT_PINGREQ);
			cr_assert_eq(x.g.type[3], MQTT_PUBLISH);
			/* the CONNECT's level 5 decodes the PUBLISH properties */
			cr_assert_eq(x.g.version[1], MQTT_V5);
			cr_assert(x.g.has_props[1]);
			cr_assert_eq(x.g.msgid[3], 7);
			teardown_fx(&x);
		}
	}
}

Test(framer, whole_packets_are_parsed_in_place)
{
	struct fx x;
	uint8_t s[64];
	size_t n = 0;

	setup_fx(&x, 1 << 20);
	memcpy(s + n, connect311, sizeof connect311), n += sizeof connect311;
	memcpy(s + n, puback311, sizeof puback311), n += sizeof puback311;
	data(&x, 0, s, (uint32_t)n);
	cr_assert_eq(x.g.n, 2);
	cr_assert_eq(x.g.raw[0], s, "no copy for a packet inside one span");
	cr_assert_eq(x.g.raw[1], s + sizeof connect311);
	teardown_fx(&x);
}

Test(framer, oversized_packet_is_skipped_and_framing_continues)
{
	struct fx x;
	/* PUBLISH QoS 0, remaining length 300 (0xac 0x02), topic "t" */
	uint8_t big[303] = { 0x30, 0xac, 0x02, 0x00, 0x01, 't' };

	setup_fx(&x, 100);
	data(&x, 0, big, 150);
	data(&x, 0, big + 150, 153);
	data(&x, 0, pingreq, sizeof pingreq);
	cr_assert_eq(x.g.nev, 1);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_OVERSIZE);
	cr_assert_eq(x.g.ev_len[0], 303);
	cr_assert_eq(x.g.ev_type[0], MQTT_PUBLISH);
	cr_assert_eq(x.g.n, 1);
	cr_assert_eq(x.g.type[0], MQTT_PINGREQ);
	cr_assert_eq(framer_stats(x.fr)->oversize_bytes, 303);
	cr_assert_eq(framer_stats(x.fr)->bytes_skipped, 0, "skipped counts resynchronisation only");
	teardown_fx(&x);
}

Test(framer, huge_claimed_length_is_reported_incomplete_at_the_end)
{
	struct fx x;
	/* remaining length 268435455 followed by 40 bytes */
	uint8_t s[45] = { 0x30, 0xff, 0xff, 0xff, 0x7f };

	setup_fx(&x, 16u << 20);
	data(&x, 0, s, sizeof s);
	cr_assert_eq(x.g.n, 0);
	/* over max_buffer: skipped at once, never buffered */
	cr_assert_eq(x.g.nev, 1);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_OVERSIZE);
	cr_assert_eq(x.g.ev_len[0], 268435455u + 5);
	teardown_fx(&x);
}

Test(framer, stream_ending_inside_a_packet_is_incomplete)
{
	struct fx x;

	setup_fx(&x, 1 << 20);
	data(&x, 0, connect311, 9);
	teardown_fx(&x);
	cr_assert_eq(x.g.n, 1);
	cr_assert(x.g.incomplete[0]);
	cr_assert_eq(x.g.type[0], MQTT_CONNECT);
	cr_assert_eq(x.g.total[0], sizeof connect311);
	cr_assert_eq(x.g.len[0], 9);
	cr_assert_eq(x.g.nev, 0);
}

Test(framer, five_byte_length_is_skipped_as_bad_framing)
{
	struct fx x;
	const uint8_t bad[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0xc0, 0x00 };

	setup_fx(&x, 1 << 20);
	data(&x, 0, bad, sizeof bad);
	teardown_fx(&x);
	/* the broken header is reported by its first byte, the bytes after it skipped */
	cr_assert_eq(x.g.n, 2);
	cr_assert_eq(x.g.type[0], MQTT_PUBLISH);
	cr_assert_eq(x.g.len[0], 5);
	cr_assert_eq(x.g.nev, 1);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_SKIPPED);
	cr_assert_eq(x.g.ev_len[0], 2);
	cr_assert_eq(x.g.ev_off[0], 5);
	cr_assert_eq(x.g.type[1], MQTT_PINGREQ);
}

Test(framer, gap_past_a_packet_then_resynchronise)
{
	struct fx x;
	uint8_t tail[64];
	size_t n = 0;

	setup_fx(&x, 1 << 20);
	data(&x, 0, publish5, 6);                 /* the start of a 14-byte PUBLISH */
	gap(&x, 0, 6, 20, REASM_GAP_LOST);        /* 20 bytes lost: past its end */
	/* the next span starts inside some packet: 3 stray bytes, then whole packets */
	tail[n++] = 'x', tail[n++] = 'y', tail[n++] = 'z';
	memcpy(tail + n, puback311, sizeof puback311), n += sizeof puback311;
	memcpy(tail + n, pingreq, sizeof pingreq), n += sizeof pingreq;
	data(&x, 0, tail, (uint32_t)n);
	cr_assert_eq(x.g.nev, 2);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_GAP);
	cr_assert_eq(x.g.ev_len[0], 20);
	cr_assert_eq(x.g.ev_cause[0], REASM_GAP_LOST);
	cr_assert_eq(x.g.ev_kind[1], FRAMER_EV_SKIPPED);
	cr_assert_eq(x.g.ev_len[1], 3);
	cr_assert_eq(x.g.ev_off[1], 26);
	cr_assert_eq(x.g.n, 3);
	cr_assert_eq(x.g.type[0], MQTT_PUBLISH);
	cr_assert(x.g.incomplete[0]);
	cr_assert_eq(x.g.len[0], 6);
	cr_assert_eq(x.g.type[1], MQTT_PUBACK);
	cr_assert(!x.g.incomplete[1]);
	cr_assert_eq(x.g.type[2], MQTT_PINGREQ);
	teardown_fx(&x);
}

Test(framer, gap_inside_a_packet_costs_that_packet_only)
{
	struct fx x;
	/* PUBLISH QoS 0, remaining length 98, topic "t" */
	uint8_t big[100] = { 0x30, 0x62, 0x00, 0x01, 't' };

	setup_fx(&x, 1 << 20);
	data(&x, 0, big, 30);
	gap(&x, 0, 30, 40, REASM_GAP_LOST);
	data(&x, 0, big + 70, 30);
	data(&x, 0, pingreq, sizeof pingreq);
	cr_assert_eq(x.g.n, 2);
	cr_assert(x.g.incomplete[0]);
	cr_assert_eq(x.g.len[0], 30);
	cr_assert_eq(x.g.total[0], 100);
	/* reported with the frame of its last byte (data() numbers spans 1, 2, ...) */
	cr_assert_eq(x.g.frame[0], 2);
	cr_assert_eq(x.g.type[1], MQTT_PINGREQ);
	cr_assert(!x.g.incomplete[1]);
	/* no resynchronisation was needed */
	cr_assert_eq(x.g.nev, 1);
	teardown_fx(&x);
}

Test(framer, snap_length_cut_marks_the_packet_truncated)
{
	struct fx x;
	uint8_t seg[40];

	setup_fx(&x, 1 << 20);
	/* one segment: PINGREQ, then 30 captured bytes of a 100-byte PUBLISH */
	uint8_t big[100] = { 0x30, 0x62, 0x00, 0x03, 'a', '/', 'b' };
	memcpy(seg, pingreq, 2);
	memcpy(seg + 2, big, 30);
	data(&x, 0, seg, 32);
	gap(&x, 0, 32, 70, REASM_GAP_SNAPLEN); /* the rest of the PUBLISH exactly */
	data(&x, 0, puback311, sizeof puback311);
	cr_assert_eq(x.g.n, 3);
	cr_assert_eq(x.g.type[1], MQTT_PUBLISH);
	cr_assert(x.g.truncated[1]);
	cr_assert(!x.g.incomplete[1]);
	cr_assert_eq(x.g.len[1], 30);
	cr_assert_eq(x.g.type[2], MQTT_PUBACK);
	cr_assert_eq(x.g.nev, 1);
	teardown_fx(&x);
}

Test(framer, midstream_start_skips_to_a_boundary)
{
	struct fx x;
	uint8_t s[32];
	size_t n = 0;

	setup_fx_mid(&x, 1 << 20, 0);
	/* the tail of a payload, then whole packets */
	s[n++] = 'l', s[n++] = 'o', s[n++] = 0x00;
	memcpy(s + n, puback311, sizeof puback311), n += sizeof puback311;
	memcpy(s + n, pingreq, sizeof pingreq), n += sizeof pingreq;
	data(&x, 0, s, (uint32_t)n);
	cr_assert_eq(x.g.n, 2);
	cr_assert_eq(x.g.type[0], MQTT_PUBACK);
	cr_assert(x.g.inferred[0], "no CONNECT: the version is an assumption");
	cr_assert_eq(x.g.nev, 1);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_SKIPPED);
	cr_assert_eq(x.g.ev_len[0], 3);
	teardown_fx(&x);
}

Test(framer, midstream_start_at_a_boundary_skips_nothing)
{
	struct fx x;
	/* CONNACK split over two spans */
	const uint8_t connack[] = { 0x20, 0x02, 0x00, 0x00 };

	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 1, connack, 1);
	data(&x, 1, connack + 1, 3);
	cr_assert_eq(x.g.n, 0, "one packet alone is not evidence enough while bytes may follow");
	cr_assert_gt(framer_oldest_pending(x.fr), 0);
	eof(&x, 1);
	cr_assert_eq(x.g.n, 1, "a clean packet that ends exactly at the stream's end is");
	cr_assert_eq(x.g.frame[0], 2, "under the frame of its last byte");
	cr_assert_eq(framer_oldest_pending(x.fr), 0);
	cr_assert_eq(x.g.type[0], MQTT_CONNACK);
	cr_assert_eq(x.g.nev, 0);
	teardown_fx(&x);
}

Test(framer, version_5_is_inferred_without_connect)
{
	struct fx x;
	/* v5 CONNACK: flags, reason 0, properties length 0 (remaining length 3) */
	const uint8_t connack5[] = { 0x20, 0x03, 0x00, 0x00, 0x00 };

	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 1, connack5, sizeof connack5);
	data(&x, 0, publish5, sizeof publish5);
	eof(&x, 0);
	eof(&x, 1);
	cr_assert_eq(x.g.n, 2);
	cr_assert_eq(x.g.version[0], MQTT_V5);
	cr_assert(x.g.inferred[0]);
	cr_assert_eq(x.g.version[1], MQTT_V5);
	cr_assert(x.g.has_props[1], "the PUBLISH is read with 5.0's properties");
	cr_assert_eq(x.g.nev, 1);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_VERSION);
	teardown_fx(&x);
}

Test(framer, directions_are_framed_apart)
{
	struct fx x;

	setup_fx(&x, 1 << 20);
	data(&x, 0, connect311, 5);
	data(&x, 1, puback311, sizeof puback311);
	data(&x, 0, connect311 + 5, sizeof connect311 - 5);
	cr_assert_eq(x.g.n, 2);
	cr_assert_eq(x.g.type[0], MQTT_PUBACK);
	cr_assert_eq(x.g.type[1], MQTT_CONNECT);
	teardown_fx(&x);
}

Test(framer, topic_alias_is_resolved_per_direction)
{
	struct fx x;
	/* v5 PUBLISH QoS 0 "a/1" setting alias 1; then an empty topic using alias 1 */
	const uint8_t set[] = { 0x30, 0x0b, 0x00, 0x03, 'a', '/', '1', 0x03, 0x23, 0x00, 0x01, 'h', 'i' };
	const uint8_t use[] = { 0x30, 0x08, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 'h', 'o' };

	setup_fx(&x, 1 << 20);
	data(&x, 0, connect5, sizeof connect5);
	data(&x, 1, use, sizeof use);   /* the other direction has no alias 1 yet */
	data(&x, 0, set, sizeof set);
	data(&x, 0, use, sizeof use);
	cr_assert_eq(x.g.n, 4);
	cr_assert_str_eq(x.g.topic[1], "");
	cr_assert(!x.g.from_alias[1]);
	cr_assert_str_eq(x.g.topic[2], "a/1");
	cr_assert(!x.g.from_alias[2]);
	cr_assert_str_eq(x.g.topic[3], "a/1");
	cr_assert(x.g.from_alias[3]);
	teardown_fx(&x);
}

/* A 3.1.1 PUBLISH QoS 0 of n bytes in all (8 <= n < 16384), topic "t/N", payload of
 * text. */
static uint32_t publish311(uint8_t *p, uint32_t n, int k)
{
	uint32_t rem = n - (n - 2 < 128 ? 2 : 3), o = 0;

	p[o++] = 0x30;
	if (rem < 128) {
		p[o++] = (uint8_t)rem;
	} else {
		p[o++] = (uint8_t)(0x80 | (rem & 0x7f));
		p[o++] = (uint8_t)(rem >> 7);
	}
	p[o++] = 0, p[o++] = 3, p[o++] = 't', p[o++] = '/', p[o++] = (uint8_t)('0' + k % 10);
	while (o < n)
		p[o] = (uint8_t)('a' + o % 26), o++;
	return n;
}

Test(framer, after_a_gap_at_a_boundary_a_message_longer_than_its_segment_is_found)
{
	struct fx x;
	static uint8_t s[40000];
	uint32_t a = publish311(s, 16044, 1), b = publish311(s + a, 9000, 2);

	setup_fx(&x, 1 << 20);
	data(&x, 0, pingreq, 1);
	gap(&x, 0, 1, 1, REASM_GAP_LOST);         /* the rest of the PINGREQ... */
	gap(&x, 0, 2, 500, REASM_GAP_LOST);       /* ...and 500 bytes of packets: at a boundary */
	for (uint32_t o = 0; o < a + b; o += 1448)
		data(&x, 0, s + o, a + b - o < 1448 ? a + b - o : 1448);
	cr_assert_eq(x.g.n, 3, "the cut PINGREQ, then both PUBLISH once the second is whole");
	cr_assert(x.g.incomplete[0]);
	cr_assert_eq(x.g.type[1], MQTT_PUBLISH);
	cr_assert(!x.g.incomplete[1]);
	cr_assert_eq(x.g.len[1], 16044);
	cr_assert_eq(x.g.frame[1], 1 + 16044 / 1448 + 1, "under the frame of its last byte");
	cr_assert_eq(x.g.len[2], 9000);
	cr_assert_eq(x.g.frame[2], 1 + (16044 + 9000 + 1447) / 1448);
	cr_assert_eq(framer_stats(x.fr)->bytes_skipped, 0, "nothing skipped: the hole ended on a boundary");
	teardown_fx(&x);
}

Test(framer, a_single_clean_packet_between_holes_is_found_one_cut_by_a_hole_is_not)
{
	struct fx x;
	uint8_t s[600];
	uint32_t a = publish311(s, 300, 1);

	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 0, (const uint8_t *)"\x05\x06junk", 6);
	data(&x, 0, s, a);
	gap(&x, 0, 6 + a, 100, REASM_GAP_LOST);
	cr_assert_eq(x.g.n, 1, "whole, clean, ending exactly at the hole");
	cr_assert_eq(x.g.len[0], 300);
	cr_assert_eq(x.g.frame[0], 2);
	data(&x, 0, s, 200);                       /* the first 200 bytes of one, then a hole */
	gap(&x, 0, 6 + a + 100 + 200, 50, REASM_GAP_LOST);
	data(&x, 0, pingreq, 2);
	eof(&x, 0);
	for (int i = 1; i < x.g.n; i++)
		cr_assert(x.g.type[i] != MQTT_PUBLISH || x.g.incomplete[i],
			  "no complete message made of a cut one");
	cr_assert_eq(x.g.type[x.g.n - 1], MQTT_PINGREQ);
	teardown_fx(&x);
}

Test(framer, untrusted_framing_that_breaks_goes_back_to_resynchronisation)
{
	struct fx x;
	uint8_t s[400];
	uint32_t n = 0;

	setup_fx_mid(&x, 1 << 20, 0);
	n += publish311(s + n, 40, 1);
	n += publish311(s + n, 40, 2);
	/* a header that no sender writes (PUBLISH QoS 3), then a packet further on */
	s[n++] = 0x36, s[n++] = 0x05, s[n++] = 1, s[n++] = 2, s[n++] = 3;
	memcpy(s + n, pingreq, 2), n += 2;
	memcpy(s + n, pingreq, 2), n += 2;
	data(&x, 0, s, n);
	eof(&x, 0);
	cr_assert_eq(x.g.n, 4);
	cr_assert_eq(x.g.type[0], MQTT_PUBLISH);
	cr_assert_eq(x.g.type[1], MQTT_PUBLISH);
	cr_assert_eq(x.g.type[2], MQTT_PINGREQ);
	cr_assert_eq(x.g.type[3], MQTT_PINGREQ);
	cr_assert_eq(x.g.nev, 1);
	cr_assert_eq(x.g.ev_kind[0], FRAMER_EV_SKIPPED);
	cr_assert_eq(x.g.ev_len[0], 5, "the broken packet's bytes, nothing reported of them");
	teardown_fx(&x);
}

Test(framer, version_5_needs_more_than_one_packet_and_then_reads_what_was_held)
{
	struct fx x;
	/* v5 PUBACK with reason code 0x10 (No matching subscribers) and no properties */
	const uint8_t puback5[] = { 0x40, 0x03, 0x00, 0x07, 0x10 };
	/* v5 SUBSCRIBE id 2, no properties, filter "a/b" options 1 */
	const uint8_t sub5[] = { 0x82, 0x09, 0x00, 0x02, 0x00, 0x00, 0x03, 'a', '/', 'b', 0x01 };

	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 0, sub5, sizeof sub5);
	data(&x, 0, publish5, sizeof publish5);
	data(&x, 1, puback5, sizeof puback5);
	data(&x, 1, puback5, sizeof puback5);
	eof(&x, 0);
	eof(&x, 1);
	cr_assert_eq(x.g.n, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(x.g.version[i], MQTT_V5, "message %d read as 5.0", i);
	cr_assert_eq(x.g.type[0], MQTT_SUBSCRIBE);
	cr_assert_eq(x.g.frame[0], 1);
	cr_assert_str_eq(x.g.topic[1], "a/b");
	cr_assert(x.g.has_props[1], "the PUBLISH is read with its properties");
	teardown_fx(&x);
}

Test(framer, one_packet_only_5_0_could_send_does_not_switch_a_connection)
{
	struct fx x;
	const uint8_t odd[] = { 0x40, 0x03, 0x00, 0x07, 0x10 }; /* a 5.0-shaped PUBACK */
	const uint8_t pub[] = { 0x30, 0x0b, 0x00, 0x03, 'a', '/', 'b', '2', '1', '.', '5', '\n', 'x' };

	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 1, odd, sizeof odd);
	data(&x, 1, pub, sizeof pub);
	data(&x, 1, pub, sizeof pub);
	eof(&x, 1);
	cr_assert_eq(x.g.n, 3);
	cr_assert_eq(x.g.version[1], MQTT_V311, "a text payload reads as 3.1.1 only");
	cr_assert_eq(x.g.len[1], sizeof pub);
	teardown_fx(&x);
}

Test(framer, a_stream_that_opens_with_connect_is_framed_from_its_start_without_the_syn)
{
	struct fx x;
	const uint8_t connack[] = { 0x20, 0x02, 0x00, 0x00 };

	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 0, connect311, sizeof connect311);
	cr_assert_eq(x.g.n, 1, "a CONNECT at the stream's first byte is its own evidence");
	data(&x, 1, connack, sizeof connack);
	cr_assert_eq(x.g.n, 2, "and so is the CONNACK that answers it");
	cr_assert_eq(framer_oldest_pending(x.fr), 0, "nothing waits");
	cr_assert_eq(x.g.nev, 0);
	teardown_fx(&x);
}

Test(framer, a_connect_further_in_the_stream_still_needs_a_second_packet)
{
	struct fx x;
	uint8_t s[64] = { 'x', 'y' };

	memcpy(s + 2, connect311, sizeof connect311);
	setup_fx_mid(&x, 1 << 20, 0);
	data(&x, 0, s, 2 + sizeof connect311);
	cr_assert_eq(x.g.n, 0);
	data(&x, 0, pingreq, sizeof pingreq);
	cr_assert_eq(x.g.n, 2);
	teardown_fx(&x);
}

/* A connection that reassembly says goes on with one closed before it (its segments shown
 * after the RST) is read with that one's version: a lone SUBACK reads cleanly as either. */
static int lone_suback_version(uint64_t follows)
{
	struct fx x;
	struct reasm_flow second;
	const uint8_t suback[] = { 0x90, 0x04, 0x00, 0x01, 0x00, 0x01 };
	int v;

	setup_fx(&x, 1 << 20);
	data(&x, 0, connect5, sizeof connect5);
	x.s->eof(x.fr, &x.flow, 0, REASM_END_RST, &x.at);
	x.s->eof(x.fr, &x.flow, 1, REASM_END_RST, &x.at);
	x.s->close(x.fr, &x.flow, REASM_END_RST, &x.at);
	memset(&second, 0, sizeof second);
	second.index = 1;
	second.follows = follows;
	second.user = x.s->open(x.fr, &second, &x.at);
	x.s->data(x.fr, &second, 1, suback, sizeof suback, &x.at);
	x.s->eof(x.fr, &second, 1, REASM_END_CAPTURE, &x.at);
	x.s->eof(x.fr, &second, 0, REASM_END_CAPTURE, &x.at);
	x.s->close(x.fr, &second, REASM_END_CAPTURE, &x.at);
	cr_assert_eq(x.g.n, 2);
	cr_assert_eq(x.g.type[1], MQTT_SUBACK);
	cr_assert(x.g.inferred[1]);
	v = x.g.version[1];
	framer_free(x.fr);
	return v;
}

Test(framer, a_connection_that_goes_on_with_a_closed_one_keeps_its_version)
{
	cr_assert_eq(lone_suback_version(1), MQTT_V5, "read as connection 0's CONNECT said");
	cr_assert_eq(lone_suback_version(0), MQTT_V311, "without the tie: assumed 3.1.1");
	cr_assert_eq(lone_suback_version(7), MQTT_V311, "a tie to a connection not seen");
}
