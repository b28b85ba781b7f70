/* Unit tests for link / IP / TCP decoding. */
#include "mqttdump/decode.h"

#include <criterion/criterion.h>
#include <string.h>

static uint8_t frame[512];

/* TCP 40000 -> 1883, seq 1000, ack 2000, PSH|ACK, 20-byte header, payload "MQTT!". */
static size_t tcp_part(uint8_t *p)
{
	static const uint8_t hdr[20] = {
		0x9c, 0x40, 0x07, 0x5b, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0, 0x50, 0x18, 0xff, 0xff,
		0, 0, 0, 0,
	};
	memcpy(p, hdr, sizeof hdr);
	memcpy(p + 20, "MQTT!", 5);
	return 25;
}

/* IPv4 (20-byte header) 10.0.0.1 -> 10.0.0.2, then tcp_part. */
static size_t ipv4_tcp(uint8_t *p)
{
	static const uint8_t hdr[20] = {
		0x45, 0x00, 0x00, 45, 0x12, 0x34, 0x40, 0x00, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	};
	memcpy(p, hdr, sizeof hdr);
	return 20 + tcp_part(p + 20);
}

/* IPv6 ::1 -> ::2, optionally with a hop-by-hop and a destination options header. */
static size_t ipv6_tcp(uint8_t *p, int ext)
{
	size_t o = 40;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = ext ? 0 : 6;
	p[7] = 64;
	p[8 + 15] = 1;
	p[24 + 15] = 2;
	if (ext) {
		memset(p + o, 0, 16);
		p[o] = 60; /* hop-by-hop, 8 bytes; next: destination options */
		o += 8;
		p[o] = 6;  /* destination options, 8 bytes; next: TCP */
		o += 8;
	}
	o += tcp_part(p + o);
	p[4] = (uint8_t)((o - 40) >> 8);
	p[5] = (uint8_t)(o - 40);
	return o;
}

static struct cap_pkt pkt_of(int link, size_t len)
{
	struct cap_pkt k = { 0 };
	k.frame = 1;
	k.linktype = link;
	k.caplen = k.len = (uint32_t)len;
	k.data = frame;
	return k;
}

static void check_tcp(const struct tcp_seg *s, int family)
{
	cr_assert_eq(s->src.family, family);
	cr_assert_eq(s->sport, 40000);
	cr_assert_eq(s->dport, 1883);
	cr_assert_eq(s->seq, 1000);
	cr_assert_eq(s->ack, 2000);
	cr_assert_eq(s->flags, TCP_PSH | TCP_ACK);
	cr_assert_eq(s->paylen, 5);
	cr_assert_eq(memcmp(s->payload, "MQTT!", 5), 0);
}

Test(decode, ethernet_ipv4)
{
	struct tcp_seg s;
	struct cap_pkt k;
	char a[64];

	memset(frame, 0, sizeof frame);
	frame[12] = 0x08;
	k = pkt_of(1, 14 + ipv4_tcp(frame + 14));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 4);
	tcp_addr_str(&s.src, a, sizeof a);
	cr_assert_str_eq(a, "10.0.0.1");
	tcp_addr_str(&s.dst, a, sizeof a);
	cr_assert_str_eq(a, "10.0.0.2");
}

Test(decode, ethernet_padding_is_not_payload)
{
	struct tcp_seg s;
	struct cap_pkt k;
	size_t n;

	memset(frame, 0, sizeof frame);
	frame[12] = 0x08;
	n = 14 + ipv4_tcp(frame + 14);
	k = pkt_of(1, n + 20); /* 20 bytes of trailer after the IP datagram */
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	cr_assert_eq(s.paylen, 5);
}

Test(decode, vlan_and_qinq)
{
	struct tcp_seg s;
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	frame[12] = 0x88, frame[13] = 0xa8; /* 802.1ad */
	frame[16] = 0x81, frame[17] = 0x00; /* 802.1Q */
	frame[20] = 0x08, frame[21] = 0x00;
	k = pkt_of(1, 22 + ipv4_tcp(frame + 22));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 4);
}

Test(decode, linux_cooked_v1_and_v2)
{
	struct tcp_seg s;
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	frame[14] = 0x08;
	k = pkt_of(113, 16 + ipv4_tcp(frame + 16));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 4);

	memset(frame, 0, sizeof frame);
	frame[0] = 0x86, frame[1] = 0xdd;
	k = pkt_of(276, 20 + ipv6_tcp(frame + 20, 0));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 6);
}

Test(decode, bsd_loopback_both_byte_orders)
{
	struct tcp_seg s;
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	frame[0] = 2; /* AF_INET, little-endian host */
	k = pkt_of(0, 4 + ipv4_tcp(frame + 4));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 4);

	memset(frame, 0, sizeof frame);
	frame[3] = 30; /* AF_INET6 of macOS, network order (LOOP) */
	k = pkt_of(108, 4 + ipv6_tcp(frame + 4, 0));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 6);
}

Test(decode, raw_ip_and_ipv6_extension_headers)
{
	struct tcp_seg s;
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	k = pkt_of(101, ipv4_tcp(frame));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 4);
	k = pkt_of(12, ipv4_tcp(frame));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);

	memset(frame, 0, sizeof frame);
	k = pkt_of(101, ipv6_tcp(frame, 1));
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	check_tcp(&s, 6);
}

Test(decode, every_truncation_is_caught)
{
	struct tcp_seg s;
	struct cap_pkt k;
	size_t n;

	memset(frame, 0, sizeof frame);
	frame[12] = 0x08;
	n = 14 + ipv4_tcp(frame + 14);
	for (size_t cut = 0; cut < 14 + 40; cut++) {
		k = pkt_of(1, n);
		k.caplen = (uint32_t)cut; /* snap length cuts the headers */
		cr_assert_eq(decode_packet(&k, &s), DECODE_TRUNCATED, "cut at %zu", cut);
	}
	/* a snap length inside the payload: what was captured, and the wire length */
	k = pkt_of(1, n);
	k.caplen = (uint32_t)n - 2;
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	cr_assert_eq(s.paylen, 3);
	cr_assert_eq(s.wirelen, 5);
}

/* A frame shorter than its headers though nothing was cut (caplen == len): broken, not
 * cut by the snap length (which the program counts apart). */
Test(decode, short_frame_not_cut_is_malformed)
{
	struct tcp_seg s;
	struct cap_pkt k;
	size_t n;

	memset(frame, 0, sizeof frame);
	frame[12] = 0x08;
	n = 14 + ipv4_tcp(frame + 14);
	for (size_t cut = 0; cut < 14 + 40; cut++) {
		k = pkt_of(1, n);
		k.caplen = k.len = (uint32_t)cut;
		cr_assert_eq(decode_packet(&k, &s), DECODE_MALFORMED, "short at %zu", cut);
	}
}

Test(decode, lying_header_lengths)
{
	struct tcp_seg s;
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	k = pkt_of(101, ipv4_tcp(frame));
	frame[0] = 0x44; /* IHL 4: less than 20 bytes */
	cr_assert_eq(decode_packet(&k, &s), DECODE_MALFORMED);
	frame[0] = 0x45;
	frame[32] = 0x40; /* TCP data offset 4 (byte 12 of TCP) */
	cr_assert_eq(decode_packet(&k, &s), DECODE_MALFORMED);
	frame[32] = 0xf0; /* TCP data offset 60 > the datagram */
	cr_assert_eq(decode_packet(&k, &s), DECODE_MALFORMED);
	frame[32] = 0x50;
	frame[3] = 200; /* IP total length past the frame: the frame wins */
	cr_assert_eq(decode_packet(&k, &s), DECODE_OK);
	cr_assert_eq(s.paylen, 5);
}

Test(decode, not_tcp_and_unknown_links)
{
	struct tcp_seg s;
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	k = pkt_of(101, ipv4_tcp(frame));
	frame[9] = 17; /* UDP */
	cr_assert_eq(decode_packet(&k, &s), DECODE_NOT_TCP);
	frame[9] = 6;
	frame[6] = 0x20; /* more fragments */
	cr_assert_eq(decode_packet(&k, &s), DECODE_NOT_TCP);
	k.linktype = 147;
	cr_assert_eq(decode_packet(&k, &s), DECODE_BAD_LINK);
	cr_assert(!decode_link_supported(147));
	cr_assert(decode_link_supported(1));
	cr_assert(decode_link_supported(276));
}

Test(decode, address_strings)
{
	struct tcp_addr a = { 4, { 0, 9, 10, 255 } }, b = { 6, { 0 } };
	char s[64];

	tcp_addr_str(&a, s, sizeof s);
	cr_assert_str_eq(s, "0.9.10.255");
	a.a[0] = 100, a.a[1] = 199, a.a[2] = 1, a.a[3] = 20;
	tcp_addr_str(&a, s, sizeof s);
	cr_assert_str_eq(s, "100.199.1.20");
	b.a[15] = 1;
	tcp_addr_str(&b, s, sizeof s);
	cr_assert_str_eq(s, "::1");
}

Test(decode, link_text_names_each_header)
{
	char t[512];
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	memcpy(frame, "\x02\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01", 12);
	frame[12] = 0x88, frame[13] = 0xa8, frame[14] = 0x00, frame[15] = 200;
	frame[16] = 0x81, frame[17] = 0x00, frame[18] = 0xb0, frame[19] = 100; /* PRI 5, DEI 1 */
	frame[20] = 0x08, frame[21] = 0x00;
	k = pkt_of(1, 22 + ipv4_tcp(frame + 22));
	cr_assert_eq(decode_link_text(&k, t, sizeof t), strlen(t));
	cr_assert_str_eq(t, "Ethernet II, Src: 00:00:00_00:00:01 (00:00:00:00:00:01), "
			 "Dst: 02:00:00:00:00:02 (02:00:00:00:00:02)\n"
			 "IEEE 802.1ad, ID: 200\n"
			 "802.1Q Virtual LAN, PRI: 5, DEI: 1, ID: 100\n");
	k = pkt_of(113, 40);
	decode_link_text(&k, t, sizeof t);
	cr_assert_str_eq(t, "Linux cooked capture v1\n");
	k = pkt_of(0, 40);
	decode_link_text(&k, t, sizeof t);
	cr_assert_str_eq(t, "Null/Loopback\n");
	k = pkt_of(101, 40);
	decode_link_text(&k, t, sizeof t);
	cr_assert_str_eq(t, "Raw packet data\n");
	k = pkt_of(229, 40);
	cr_assert_eq(decode_link_text(&k, t, sizeof t), 0);
	cr_assert_str_eq(t, "");
}

Test(decode, link_text_is_bounded)
{
	char t[20];
	struct cap_pkt k;

	memset(frame, 0, sizeof frame);
	frame[12] = 0x08;
	k = pkt_of(1, 60);
	memset(t, 'X', sizeof t);
	cr_assert_eq(decode_link_text(&k, t, 10), 9);
	cr_assert_eq(t[9], '\0');
	cr_assert_eq(t[10], 'X');
	k = pkt_of(1, 13); /* too short for an Ethernet header: nothing */
	decode_link_text(&k, t, sizeof t);
	cr_assert_str_eq(t, "");
}
