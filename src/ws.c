/* \summary: WebSocket frame headers and the HTTP Upgrade request (RFC 6455) */
#include "mqttdump/ws.h"

#include <string.h>
#include <strings.h>

int ws_frame_header(const uint8_t *p, size_t n, struct ws_frame_hdr *h)
{
	uint8_t k;
	size_t need;

	if (n < 2)
		return WS_TRUNCATED;
	memset(h, 0, sizeof *h);
	h->fin = p[0] >> 7;
	h->opcode = p[0] & 0x0f;
	h->masked = p[1] >> 7;
	/* RSV1-3 must be 0 unless an extension says otherwise [RFC 6455 5.2]; we negotiate
	 * none; opcodes 3-7 and 11-15 are reserved. */
	if (p[0] & 0x70 || !ws_opcode_name(h->opcode))
		return WS_MALFORMED;
	k = p[1] & 0x7f;
	need = 2 + (k == 126 ? 2 : k == 127 ? 8 : 0) + (h->masked ? 4 : 0);
	if (n < need)
		return WS_TRUNCATED;
	if (k == 126) {
		h->len = (uint64_t)p[2] << 8 | p[3];
		if (h->len < 126)
			return WS_MALFORMED;
	} else if (k == 127) {
		h->len = 0;
		for (int i = 0; i < 8; i++)
			h->len = h->len << 8 | p[2 + i];
		/* the most significant bit MUST be 0 [RFC 6455 5.2] */
		if (h->len >> 63 || h->len < 65536)
			return WS_MALFORMED;
	} else {
		h->len = k;
	}
	/* All control frames MUST have a payload length of 125 bytes or less and MUST NOT
	 * be fragmented [RFC 6455 5.5]. */
	if (h->opcode >= 8 && (h->len > 125 || !h->fin))
		return WS_MALFORMED;
	if (h->masked)
		memcpy(h->mask, p + need - 4, 4);
	h->hdrlen = (uint8_t)need;
	return WS_OK;
}

void ws_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= mask[(off + i) & 3];
}

const char *ws_opcode_name(uint8_t op)
{
	static const char *const names[16] = {
		[0] = "Continuation", [1] = "Text", [2] = "Binary", [8] = "Connection Close",
		[9] = "Ping", [10] = "Pong",
	};
	return op < 16 ? names[op] : NULL;
}

/* Does the header line [p, p+n) named `name` contain `word` (case-insensitive)? */
static int header_has(const uint8_t *p, size_t n, const char *name, const char *word)
{
	size_t ln = strlen(name), lw = strlen(word);

	if (n <= ln || strncasecmp((const char *)p, name, ln) != 0 || p[ln] != ':')
		return 0;
	for (size_t i = ln + 1; i + lw <= n; i++)
		if (strncasecmp((const char *)p + i, word, lw) == 0)
			return 1;
	return 0;
}

int ws_is_upgrade(const uint8_t *head, size_t n, size_t *line_len, int *mqtt)
{
	size_t i = 0, start;
	int upgrade = 0;

	*mqtt = 0;
	if (n < 4 || memcmp(head, "GET ", 4) != 0)
		return 0;
	while (i < n && head[i] != '\r' && head[i] != '\n')
		i++;
	*line_len = i;
	while (i < n) {
		while (i < n && (head[i] == '\r' || head[i] == '\n'))
			i++;
		start = i;
		while (i < n && head[i] != '\r' && head[i] != '\n')
			i++;
		if (header_has(head + start, i - start, "Upgrade", "websocket"))
			upgrade = 1;
		if (header_has(head + start, i - start, "Sec-WebSocket-Protocol", "mqtt"))
			*mqtt = 1;
	}
	return upgrade;
}
