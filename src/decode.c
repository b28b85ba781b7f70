/* \summary: link layer (Ethernet, VLAN, Linux cooked, BSD loopback, raw IP), IPv4, IPv6, TCP */
#include "mqttdump/decode.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int decode_link_supported(int linktype)
{
	switch (linktype) {
	case 0: case 1: case 12: case 14: case 101: case 108: case 113: case 228: case 229:
	case 276:
		return 1;
	default:
		return 0;
	}
}

static int decode_tcp(const uint8_t *p, uint32_t caplen, uint32_t wirelen, struct tcp_seg *s)
{
	uint32_t hl;

	if (caplen < 20)
		return DECODE_TRUNCATED;
	hl = (uint32_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > wirelen)
		return DECODE_MALFORMED;
	if (hl > caplen)
		return DECODE_TRUNCATED;
	s->sport = be16(p);
	s->dport = be16(p + 2);
	s->seq = be32(p + 4);
	s->ack = be32(p + 8);
	s->flags = p[13];
	s->payload = p + hl;
	s->paylen = caplen - hl;
	s->wirelen = wirelen - hl;
	if (s->paylen > s->wirelen)
		s->paylen = s->wirelen; /* padding after the IP datagram */
	return DECODE_OK;
}

/* caplen: bytes captured from p on; wire: bytes on the wire from p on. */
static int decode_ipv4(const uint8_t *p, uint32_t caplen, uint32_t wire, struct tcp_seg *s)
{
	uint32_t hl, total;

	if (caplen < 20)
		return DECODE_TRUNCATED;
	if ((p[0] >> 4) != 4)
		return DECODE_MALFORMED;
	hl = (uint32_t)(p[0] & 0x0f) * 4;
	total = be16(p + 2);
	if (total == 0)
		total = wire; /* segmentation offload: the length was not filled in */
	if (hl < 20 || total < hl)
		return DECODE_MALFORMED;
	if (hl > caplen)
		return DECODE_TRUNCATED;
	if (p[9] != 6)
		return DECODE_NOT_TCP;
	if (be16(p + 6) & 0x3fff)
		return DECODE_NOT_TCP; /* a fragment: not reassembled */
	s->src.family = s->dst.family = 4;
	memset(s->src.a, 0, 16);
	memset(s->dst.a, 0, 16);
	memcpy(s->src.a, p + 12, 4);
	memcpy(s->dst.a, p + 16, 4);
	if (total > wire)
		total = wire; /* the IP length lies: trust what was on the wire */
	return decode_tcp(p + hl, (caplen < total ? caplen : total) - hl, total - hl, s);
}

static int decode_ipv6(const uint8_t *p, uint32_t caplen, uint32_t wire, struct tcp_seg *s)
{
	uint32_t off = 40, total;
	uint8_t nh;

	if (caplen < 40)
		return DECODE_TRUNCATED;
	if ((p[0] >> 4) != 6)
		return DECODE_MALFORMED;
	total = 40u + be16(p + 4);
	if (total == 40)
		total = wire; /* jumbogram or offload */
	if (total > wire)
		total = wire;
	nh = p[6];
	s->src.family = s->dst.family = 6;
	memcpy(s->src.a, p + 8, 16);
	memcpy(s->dst.a, p + 24, 16);
	for (int hops = 0; hops < 16; hops++) {
		switch (nh) {
		case 6:
			if (off > total)
				return DECODE_MALFORMED;
			if (off > caplen)
				return DECODE_TRUNCATED;
			return decode_tcp(p + off, (caplen < total ? caplen : total) - off,
					  total - off, s);
		case 0: case 43: case 60: /* hop-by-hop, routing, destination options */
			if (off + 8 > caplen)
				return DECODE_TRUNCATED;
			nh = p[off];
			off += 8u + (uint32_t)p[off + 1] * 8;
			break;
		case 44: /* fragment: only a whole datagram (offset 0, no more) is decoded */
			if (off + 8 > caplen)
				return DECODE_TRUNCATED;
			if (be16(p + off + 2) & 0xfff9)
				return DECODE_NOT_TCP;
			nh = p[off];
			off += 8;
			break;
		case 51: /* authentication header */
			if (off + 8 > caplen)
				return DECODE_TRUNCATED;
			nh = p[off];
			off += ((uint32_t)p[off + 1] + 2) * 4;
			break;
		default:
			return DECODE_NOT_TCP;
		}
	}
	return DECODE_MALFORMED;
}

static int decode_ip(const uint8_t *p, uint32_t caplen, uint32_t wire, struct tcp_seg *s)
{
	if (caplen < 1)
		return DECODE_TRUNCATED;
	switch (p[0] >> 4) {
	case 4: return decode_ipv4(p, caplen, wire, s);
	case 6: return decode_ipv6(p, caplen, wire, s);
	default: return DECODE_NOT_TCP;
	}
}

static int decode_ethertype(uint16_t type, const uint8_t *p, uint32_t caplen, uint32_t wire,
			    struct tcp_seg *s)
{
	if (type == ETH_IPV4)
		return decode_ipv4(p, caplen, wire, s);
	if (type == ETH_IPV6)
		return decode_ipv6(p, caplen, wire, s);
	return DECODE_NOT_TCP;
}

/* BSD address families that mean IPv6 on the various BSDs and macOS. */
static int af_is_ipv6(uint32_t af)
{
	return af == 24 || af == 28 || af == 30 || af == 10;
}

static int decode_link(const struct cap_pkt *pkt, struct tcp_seg *s);

int decode_packet(const struct cap_pkt *pkt, struct tcp_seg *s)
{
	int rc = decode_link(pkt, s);

	/* headers that end past the frame when the snap length cut nothing: the frame is
	 * short, not cut */
	if (rc == DECODE_TRUNCATED && pkt->caplen >= pkt->len)
		rc = DECODE_MALFORMED;
	return rc;
}

static int decode_link(const struct cap_pkt *pkt, struct tcp_seg *s)
{
	const uint8_t *p = pkt->data;
	uint32_t cap = pkt->caplen, wire = pkt->len < pkt->caplen ? pkt->caplen : pkt->len;
	uint32_t hl, af;
	uint16_t type;

	s->pkt = pkt;
	s->at.frame = pkt->frame;
	s->at.ts_sec = pkt->ts_sec;
	s->at.ts_nsec = pkt->ts_nsec;
	s->at.len = pkt->len;
	switch (pkt->linktype) {
	case 1: /* Ethernet, with any number of 802.1Q / 802.1ad tags */
		if (cap < 14)
			return DECODE_TRUNCATED;
		type = be16(p + 12);
		hl = 14;
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			if (cap < hl + 4)
				return DECODE_TRUNCATED;
			type = be16(p + hl + 2);
			hl += 4;
		}
		return decode_ethertype(type, p + hl, cap - hl, wire - hl, s);
	case 113: /* Linux cooked v1: protocol at 14 */
		if (cap < 16)
			return DECODE_TRUNCATED;
		return decode_ethertype(be16(p + 14), p + 16, cap - 16, wire - 16, s);
	case 276: /* Linux cooked v2: protocol at 0 */
		if (cap < 20)
			return DECODE_TRUNCATED;
		return decode_ethertype(be16(p), p + 20, cap - 20, wire - 20, s);
	case 0: /* BSD loopback: AF in host byte order of the capturing machine */
	case 108: /* OpenBSD loopback: AF in network byte order */
		if (cap < 4)
			return DECODE_TRUNCATED;
		af = be32(p);
		if (pkt->linktype == 0 && (af & 0xffff) == 0)
			af = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
			     ((uint32_t)p[3] << 24);
		if (af == 2)
			return decode_ipv4(p + 4, cap - 4, wire - 4, s);
		if (af_is_ipv6(af))
			return decode_ipv6(p + 4, cap - 4, wire - 4, s);
		return DECODE_NOT_TCP;
	case 12: case 14: case 101: /* raw IP (DLT_RAW has platform values) */
		return decode_ip(p, cap, wire, s);
	case 228:
		return decode_ipv4(p, cap, wire, s);
	case 229:
		return decode_ipv6(p, cap, wire, s);
	default:
		return DECODE_BAD_LINK;
	}
}

void tcp_addr_str(const struct tcp_addr *a, char *out, size_t cap)
{
	if (a->family == 4 && cap >= 16) {
		/* by hand: reporters format addresses for every message */
		char *o = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = a->a[i];
			if (i)
				*o++ = '.';
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
		}
		*o = '\0';
		return;
	}
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, out, (socklen_t)cap))
		snprintf(out, cap, "?");
}

/* "02:00:00:00:00:01 (02:00:00:00:00:01)": Wireshark names the maker from the first three
 * bytes; the only one we know is 00:00:00 (its manufacturer database names it "00:00:00",
 * which is what loopback captures show). */
static int mac_text(const uint8_t *m, char *out, size_t cap)
{
	if (m[0] == 0 && m[1] == 0 && m[2] == 0)
		return snprintf(out, cap, "00:00:00_%02x:%02x:%02x (00:00:00:%02x:%02x:%02x)",
				m[3], m[4], m[5], m[3], m[4], m[5]);
	return snprintf(out, cap, "%02x:%02x:%02x:%02x:%02x:%02x (%02x:%02x:%02x:%02x:%02x:%02x)",
			m[0], m[1], m[2], m[3], m[4], m[5], m[0], m[1], m[2], m[3], m[4], m[5]);
}

size_t decode_link_text(const struct cap_pkt *pkt, char *out, size_t cap)
{
	const uint8_t *p = pkt->data;
	uint32_t n = pkt->caplen, hl;
	size_t o = 0;
	char a[48], b[48];

	if (cap == 0)
		return 0;
	out[0] = '\0';
#define ADD(...) do { int k_ = snprintf(out + o, cap - o, __VA_ARGS__); \
		if (k_ > 0) o += (size_t)k_ < cap - o ? (size_t)k_ : cap - o - 1; } while (0)
	switch (pkt->linktype) {
	case 1:
		if (n < 14)
			break;
		mac_text(p + 6, a, sizeof a);
		mac_text(p, b, sizeof b);
		ADD("Ethernet II, Src: %s, Dst: %s\n", a, b);
		for (hl = 14; hl + 4 <= n; hl += 4) {
			uint16_t type = be16(p + hl - 2), tci = be16(p + hl);
			if (type == 0x88a8)
				ADD("IEEE 802.1ad, ID: %u\n", tci & 0x0fff);
			else if (type == 0x8100 || type == 0x9100)
				ADD("802.1Q Virtual LAN, PRI: %u, DEI: %u, ID: %u\n", tci >> 13,
				    (tci >> 12) & 1, tci & 0x0fff);
			else
				break;
		}
		break;
	case 113: ADD("Linux cooked capture v1\n"); break;
	case 276: ADD("Linux cooked capture v2\n"); break;
	case 0: case 108: ADD("Null/Loopback\n"); break;
	case 12: case 14: case 101: ADD("Raw packet data\n"); break;
	default: break;
	}
#undef ADD
	return o;
}
