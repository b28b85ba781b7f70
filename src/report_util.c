/* \summary: helpers shared by reporters: time stamps, names */
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
	int64_t ns = (sec - sec0) * 1000000000 + ((int64_t)nsec - (int64_t)nsec0);
	const char *sign = "";

	if (digits < 0 || digits > 9)
		digits = 9;
	if (ns < 0) {
		sign = "-";
		ns = -ns;
	}
	if (cap < 32) {
		snprintf(out, cap, "?");
		return;
	}
	/* by hand: this runs for every line */
	{
		size_t n = 0;
		uint64_t frac = (uint64_t)(ns % 1000000000) / pow10_tab[9 - digits];
		if (*sign)
			out[n++] = '-';
		n += report_u64(out + n, (uint64_t)(ns / 1000000000));
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
	default: return "unknown";
	}
}

void report_buf_put(struct report_buf *b, const char *s, size_t n)
{
	if (n >= b->cap - b->len || !b->p) {
		size_t nc = b->cap ? b->cap : 1024;
		char *np;
		while (nc - b->len <= n) {
			if (nc > SIZE_MAX / 2)
				return;
			nc *= 2;
		}
		if (!(np = realloc(b->p, nc)))
			return;
		b->p = np;
		b->cap = nc;
	}
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
		char *big = malloc((size_t)n + 1);
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
	if (!b->p || b->cap - b->len < need) {
		size_t nc = b->cap ? b->cap : 1024;
		char *np;
		while (nc - b->len < need) {
			if (nc > SIZE_MAX / 2)
				return;
			nc *= 2;
		}
		if (!(np = realloc(b->p, nc)))
			return;
		b->p = np;
		b->cap = nc;
	}
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
	static const char hx[] = "0123456789abcdef";
	char line[96];
	int w = 4;

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
			line[at] = hx[p[off + i] >> 4];
			line[at + 1] = hx[p[off + i] & 15];
		}
		o += 16 * 3 + 2;
		for (size_t i = 0; i < k; i++) {
			uint8_t c = p[off + i];
			line[o + i] = (c >= 0x20 && c < 0x7f) ? (char)c : '.';
		}
		o += k;
		line[o++] = '\n';
		report_buf_put(b, line, o);
	}
}
