/* \summary: helpers shared by reporters: time stamps, names */
#include "mqttdump/budget.h"
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

static const uint32_t pow10_tab[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					100000000, 1000000000 };

void report_iso_time(int64_t sec, uint32_t nsec, int digits, char *out, size_t cap)
{
	/* The date and time of day change once a second while every message asks: keep the
	 * last one formatted (mqttdump runs one thread). */
	static int64_t last_sec;
	static char base[32];
	static size_t base_len;
	char t[48];
	size_t n;

	if (digits < 0 || digits > 9)
		digits = 9;
	if (!base_len || sec != last_sec) {
		struct tm tm;
		time_t tt = (time_t)sec;
		if (!gmtime_r(&tt, &tm)) {
			snprintf(out, cap, "?");
			return;
		}
		base_len = strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
		last_sec = sec;
	}
	memcpy(t, base, base_len);
	n = base_len;
	if (digits > 0) {
		uint32_t frac = nsec / pow10_tab[9 - digits];
		t[n++] = '.';
		for (int i = digits - 1; i >= 0; i--, frac /= 10)
			t[n + (size_t)i] = (char)('0' + frac % 10);
		n += (size_t)digits;
	}
	t[n++] = 'Z';
	t[n] = '\0';
	if (cap) {
		if (n >= cap)
			n = cap - 1;
		memcpy(out, t, n);
		out[n] = '\0';
	}
}

size_t report_u64(char *out, uint64_t v)
{
	/* two digits per division: frame numbers, lengths and ids are written for every
	 * message by the summary, JSON and timeline outputs */
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char t[24];
	size_t n = sizeof t;

	while (v >= 100) {
		unsigned d = (unsigned)(v % 100);
		v /= 100;
		t[--n] = pairs[2 * d + 1];
		t[--n] = pairs[2 * d];
	}
	if (v >= 10) {
		t[--n] = pairs[2 * v + 1];
		t[--n] = pairs[2 * v];
	} else {
		t[--n] = (char)('0' + v);
	}
	memcpy(out, t + n, sizeof t - n);
	out[sizeof t - n] = '\0';
	return sizeof t - n;
}

void report_rel_time(int64_t sec, uint32_t nsec, int64_t sec0, uint32_t nsec0, int digits,
		     char *out, size_t cap)
{
	/* seconds and nanoseconds apart, in unsigned magnitudes: any two int64_t times (the
	 * capture bounds them, capture.h's CAP_TS_MAX, but a caller may not) without
	 * overflow */
	int neg = sec < sec0 || (sec == sec0 && nsec < nsec0);
	uint64_t ds = neg ? (uint64_t)sec0 - (uint64_t)sec : (uint64_t)sec - (uint64_t)sec0;
	uint32_t a = neg ? nsec0 : nsec, b = neg ? nsec : nsec0;
	const char *sign = neg ? "-" : "";

	if (a < b) { /* borrow a second: ds >= 1 here, as the later time is the larger */
		ds--;
		a += 1000000000u;
	}
	if (digits < 0 || digits > 9)
		digits = 9;
	if (cap < 32) {
		snprintf(out, cap, "?");
		return;
	}
	/* by hand: this runs for every line */
	{
		size_t n = 0;
		uint64_t frac = (uint64_t)(a - b) / pow10_tab[9 - digits];
		if (*sign)
			out[n++] = '-';
		n += report_u64(out + n, ds);
		if (digits) {
			out[n++] = '.';
			for (int i = digits - 1; i >= 0; i--, frac /= 10)
				out[n + (size_t)i] = (char)('0' + frac % 10);
			n += (size_t)digits;
		}
		out[n] = '\0';
	}
}

const char *report_end_name(int why)
{
	switch (why) {
	case REASM_END_FIN: return "fin";
	case REASM_END_RST: return "rst";
	case REASM_END_REUSED: return "reused";
	case REASM_END_IDLE: return "idle";
	case REASM_END_EVICTED: return "evicted";
	case REASM_END_CAPTURE: return "capture_end";
	case REASM_END_MEMORY: return "memory";
	default: return "unknown";
	}
}

int report_buf_room(struct report_buf *b, size_t want)
{
	size_t nc;
	char *np;

	if (b->p && b->cap - b->len >= want)
		return 0;
	nc = b->cap ? b->cap : 1024;
	while (nc - b->len < want) {
		if (nc > SIZE_MAX / 2)
			return -1;
		nc *= 2;
	}
	if (!(np = budget_realloc(b->p, nc, "outputs")))
		return -1;
	b->p = np;
	b->cap = nc;
	return 0;
}

void report_buf_put(struct report_buf *b, const char *s, size_t n)
{
	if (report_buf_room(b, n + 1) < 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void report_buf_puts(struct report_buf *b, const char *s)
{
	report_buf_put(b, s, strlen(s));
}

void report_buf_printf(struct report_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		report_buf_put(b, small, (size_t)n);
		return;
	}
	{
		char *big = budget_malloc((size_t)n + 1, "outputs");
		if (!big)
			return;
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		report_buf_put(b, big, (size_t)n);
		free(big);
	}
}

void report_buf_text(struct report_buf *b, const void *p, size_t n, size_t max)
{
	size_t k = max && max < n ? max : n, need;

	if (k > (SIZE_MAX - 8) / 4)
		return;
	need = TEXTESC_SIZE(k);
	if (report_buf_room(b, need) < 0)
		return;
	b->len += textesc(b->p + b->len, b->cap - b->len, p, n, max);
}

void report_buf_free(struct report_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void report_hexdump(const uint8_t *p, size_t n, struct report_buf *b)
{
	report_hexdump_masked(p, n, NULL, b);
}

size_t report_hexdump_masked(const uint8_t *p, size_t n, const uint8_t *mask,
			     struct report_buf *b)
{
	static const char hx[] = "0123456789abcdef";
	char line[96];
	int w = 4;
	size_t masked = 0;

	/* offsets as wide as the largest needs, like tshark's */
	while (w < 8 && n > 0 && ((n - 1) >> (4 * w)))
		w++;
	for (size_t off = 0; off < n; off += 16) {
		size_t k = n - off < 16 ? n - off : 16, o;
		memset(line, ' ', sizeof line);
		/* tshark: 4 hex digits of offset (more when needed), 2 spaces, 16 bytes with a
		 * space after each, 2 more spaces, then the ASCII column */
		o = (size_t)snprintf(line, sizeof line, "%0*zx", w, off);
		line[o] = ' ';
		o += 2;
		for (size_t i = 0; i < k; i++) {
			size_t at = o + i * 3;
			if (mask && mask[off + i]) {
				line[at] = line[at + 1] = '*';
				continue;
			}
			line[at] = hx[p[off + i] >> 4];
			line[at + 1] = hx[p[off + i] & 15];
		}
		o += 16 * 3 + 2;
		for (size_t i = 0; i < k; i++) {
			uint8_t c = p[off + i];
			if (mask && mask[off + i]) {
				line[o + i] = '*';
				masked++;
				continue;
			}
			/* the ASCII column: 0x20-0x7e as they are, '.' for any other byte */
			line[o + i] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		}
		o += k;
		line[o++] = '\n';
		report_buf_put(b, line, o);
	}
	return masked;
}

/* ---- secrets ------------------------------------------------------------------------ */

int report_prop_secret(uint8_t id)
{
	/* MQTT 5.0 3.1.2.11.10: Authentication Data, in CONNECT, CONNACK and AUTH */
	return id == 0x16;
}

struct spans {
	struct report_span *out;
	size_t max, n;
	const uint8_t *base;
	uint32_t have;
};

/* A secret of len bytes at p (cut to what rec->raw holds). */
static void span_add(struct spans *s, const uint8_t *p, size_t len)
{
	size_t off;

	if (!p || p < s->base || p >= s->base + s->have)
		return;
	off = (size_t)(p - s->base);
	if (len > s->have - off)
		len = s->have - off;
	if (len == 0)
		return;
	if (s->n < s->max) {
		s->out[s->n].off = (uint32_t)off;
		s->out[s->n].len = (uint32_t)len;
	}
	s->n++;
}

/* The Authentication Data of the properties at c (to c.end); one cut short, or whose
 * length runs past the block, to the block's end. One pass over the block. */
static void props_spans(struct spans *s, struct mqtt_cursor c)
{
	struct mqtt_prop p;

	while (c.p && c.p < c.end) {
		const uint8_t *at = c.p;
		if (mqtt_next_prop(&c, &p) != MQTT_OK) {
			/* every identifier is one byte; a binary value's 2-byte length follows,
			 * then the value, cut short or claiming more than the block holds */
			if (report_prop_secret(*at)) {
				const uint8_t *v = c.end - at >= 3 ? at + 3 : at + 1;
				span_add(s, v, (size_t)(c.end - v));
			}
			return;
		}
		if (report_prop_secret(p.id))
			span_add(s, p.str.p, p.str.len);
	}
}

/* A property block (its length, then the properties) at c: its secrets; c moves past it.
 * Returns -1 when the block does not read whole (c is then at the end or where it
 * stopped). */
static int block_spans(struct spans *s, struct mqtt_cursor *c)
{
	struct mqtt_cursor b;
	uint32_t len;
	size_t left;

	if (mqtt_get_varint(c, &len) != MQTT_OK)
		return -1;
	left = (size_t)(c->end - c->p);
	b.p = c->p;
	b.end = len > left ? c->end : c->p + len;
	props_spans(s, b);
	if (len > left) {
		c->p = c->end;
		return -1;
	}
	c->p += len;
	return 0;
}

/* A CONNECT's body at c [MQTT-3.1.2, 3.1.3]: protocol name, level, flags, keep alive,
 * (5.0) properties, client id, will (5.0 properties, topic, message), user name,
 * password. */
static void connect_spans(struct spans *s, struct mqtt_cursor c)
{
	struct mqtt_view v;
	uint8_t level, flags = 0x40; /* not read yet: a password may follow */
	uint16_t ka, n;

	if (mqtt_get_bytes(&c, &v) != MQTT_OK || mqtt_get_u8(&c, &level) != MQTT_OK ||
	    mqtt_get_u8(&c, &flags) != MQTT_OK || mqtt_get_u16(&c, &ka) != MQTT_OK)
		goto rest;
	if (level == MQTT_V5 && block_spans(s, &c))
		goto rest;
	if (mqtt_get_bytes(&c, &v) != MQTT_OK)
		goto rest;
	if (flags & 0x04) {
		if (level == MQTT_V5 && block_spans(s, &c))
			goto rest;
		if (mqtt_get_bytes(&c, &v) != MQTT_OK || mqtt_get_bytes(&c, &v) != MQTT_OK)
			goto rest;
	}
	if ((flags & 0x80) && mqtt_get_bytes(&c, &v) != MQTT_OK)
		goto rest;
	if (!(flags & 0x40))
		return;
	if (mqtt_get_u16(&c, &n) != MQTT_OK)
		goto rest;
	span_add(s, c.p, n < (size_t)(c.end - c.p) ? n : (size_t)(c.end - c.p));
	return;
rest:
	/* where the password is cannot be told: the rest may hold it */
	if (flags & 0x40)
		span_add(s, c.p, (size_t)(c.end - c.p));
}

size_t report_secret_spans(const struct mqtt_record *rec, struct report_span *out, size_t max)
{
	struct spans s = { out, max, 0, rec->raw, rec->have };
	struct mqtt_fixhdr h;
	struct mqtt_cursor c;
	uint8_t type;

	if (!rec->raw || rec->have < 2 || mqtt_fixed_header(rec->raw, rec->have, &h) != MQTT_OK)
		return 0;
	type = h.type;
	c.p = rec->raw + h.hdrlen;
	c.end = h.remlen < rec->have - h.hdrlen ? c.p + h.remlen : rec->raw + rec->have;
	switch (type) {
	case MQTT_CONNECT:
		connect_spans(&s, c);
		break;
	case MQTT_CONNACK: /* flags, code, (5.0) properties */
	case MQTT_AUTH:    /* (5.0) code, properties */
		if (rec->version != MQTT_V5 && type == MQTT_CONNACK)
			break;
		if ((size_t)(c.end - c.p) > (type == MQTT_CONNACK ? 2u : 1u)) {
			c.p += type == MQTT_CONNACK ? 2 : 1;
			block_spans(&s, &c);
		}
		break;
	default:
		/* where nothing may carry a secret: a property block the parser read */
		if (rec->msg.has_props)
			props_spans(&s, mqtt_cursor_of(rec->msg.props));
		break;
	}
	return s.n;
}
