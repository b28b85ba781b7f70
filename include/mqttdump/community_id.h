/*
 * community_id.h - the Community ID flow hash, version 1 (github.com/corelight/community-id-spec).
 *
 * Knows decode.h (addresses). Zeek, Suricata and Arkime print the same string for the same
 * flow, so records of one connection join across tools. Both directions of a flow give the
 * same id.
 */
#ifndef MQTTDUMP_COMMUNITY_ID_H
#define MQTTDUMP_COMMUNITY_ID_H

#include "mqttdump/decode.h"

#include <stddef.h>
#include <stdint.h>

/* Room for "1:" and the base64 of a SHA-1 (28 characters), and the NUL. */
#define COMMUNITY_ID_LEN 31

/* The id of the flow between (a, pa) and (b, pb) for a protocol with ports (TCP 6, UDP
 * 17, SCTP 132), with the seed (0 is what the tools use by default): "1:" then the base64
 * of SHA-1 over the seed (2 bytes, big endian), the lower endpoint's address, the other's,
 * the protocol, a zero byte and the two ports in the same order (2 bytes each, big
 * endian). The lower endpoint is the one with the smaller address (compared byte by byte
 * in network order), or with equal addresses the smaller port. a and b must be of one
 * family. Writes at most cap bytes at out, terminated; returns 0, or -1 when cap is under
 * COMMUNITY_ID_LEN or the families differ (out is then ""). It allocates nothing. */
int community_id_v1(uint16_t seed, const struct tcp_addr *a, uint16_t pa,
		    const struct tcp_addr *b, uint16_t pb, uint8_t proto, char *out, size_t cap);

#endif
