/*
 * decode.h - link, IP and TCP headers of one captured frame.
 *
 * Knows only capture.h. Every read is checked against the captured length; the
 * segment's payload is a view into the frame, valid as long as the frame is.
 */
#ifndef MQTTDUMP_DECODE_H
#define MQTTDUMP_DECODE_H

#include "mqttdump/capture.h"

#include <stdint.h>

struct tcp_addr {
	uint8_t family;  /* 4 or 6 */
	uint8_t a[16];   /* IPv4 in the first 4 bytes */
};

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10 };

/* Where and when: one captured frame, as later stages remember it. */
struct frame_ref {
	uint64_t frame;   /* 1-based record number */
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t len;     /* bytes on the wire */
};

struct tcp_seg {
	const struct cap_pkt *pkt;
	struct tcp_addr src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *payload;  /* the captured part of the TCP payload */
	uint32_t paylen;         /* its length */
	uint32_t wirelen;        /* the payload's length on the wire (>= paylen) */
	struct frame_ref at;     /* the frame it came in */
};

enum decode_rc {
	DECODE_OK = 0,
	DECODE_NOT_TCP,     /* ARP, UDP, ICMP, fragments after the first, ... */
	DECODE_TRUNCATED,   /* the snap length cut the headers (caplen < len) */
	DECODE_MALFORMED,   /* a header's length fields lie, or the frame (not cut) is
			     * shorter than its headers */
	DECODE_BAD_LINK,    /* a link type we do not decode */
};

/* 1 when frames of this link type (as pcap_datalink() reports it) can be decoded. */
int decode_link_supported(int linktype);

/* Decode the frame down to TCP. Returns DECODE_OK with *seg filled, or why not. */
int decode_packet(const struct cap_pkt *pkt, struct tcp_seg *seg);

/* The link layer of a frame as Wireshark's one-line protocol summaries, one per header, each
 * ending in '\n' ("Ethernet II, Src: ..., Dst: ...", "802.1Q Virtual LAN, PRI: 0, DEI: 0,
 * ID: 100", "Linux cooked capture v1", ...); nothing for link types that carry IP directly
 * without a header of their own. Writes at most cap-1 bytes, always terminated; returns the
 * length written. For the detail reporter, so that only this module knows header layouts. */
size_t decode_link_text(const struct cap_pkt *pkt, char *out, size_t cap);

/* Format an address ("10.0.0.1", "::1") into out (at least 46 bytes). */
void tcp_addr_str(const struct tcp_addr *a, char *out, size_t cap);

#endif
