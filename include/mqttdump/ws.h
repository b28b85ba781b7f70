/*
 * ws.h - WebSocket frame headers (RFC 6455 5.2) and the HTTP Upgrade that starts them.
 *
 * Knows nothing of the pipeline. Headers are read from the caller's bytes; payloads are
 * never gathered here: transport.c streams them, unmasking as they pass.
 */
#ifndef MQTTDUMP_WS_H
#define MQTTDUMP_WS_H

#include <stddef.h>
#include <stdint.h>

enum { WS_OK = 0, WS_TRUNCATED = 1, WS_MALFORMED = 2 };

enum ws_opcode { WS_OP_CONT = 0, WS_OP_TEXT = 1, WS_OP_BINARY = 2, WS_OP_CLOSE = 8,
		 WS_OP_PING = 9, WS_OP_PONG = 10 };

#define WS_MAX_HEADER 14

struct ws_frame_hdr {
	uint8_t fin, opcode, masked;
	uint8_t mask[4];
	uint8_t hdrlen;       /* 2 to 14 */
	uint64_t len;         /* payload length as claimed: never allocated */
};

/* The frame header at p: WS_OK, WS_TRUNCATED (more bytes needed), or WS_MALFORMED
 * (reserved bits or opcodes, a control frame longer than 125 bytes or fragmented, a
 * 64-bit length with its top bit set, a length not in its shortest form). */
int ws_frame_header(const uint8_t *p, size_t n, struct ws_frame_hdr *h);

/* Unmask n bytes in place; off: bytes of the payload before these (the key's phase). */
void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off);

/* "Binary", "Ping", ...: tshark's opcode names; NULL for reserved ones. */
const char *ws_opcode_name(uint8_t op);

/* An HTTP request head (up to the blank line) that asks for a WebSocket: returns 1 with
 * the request line's length in *line_len; *mqtt set when Sec-WebSocket-Protocol names
 * mqtt. 0 when it is not an Upgrade to websocket. */
int ws_is_upgrade(const uint8_t *head, size_t n, size_t *line_len, int *mqtt);

#endif
