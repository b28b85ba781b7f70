/* \summary: bytes from the wire as terminal-safe text: one escaping for every text output
 * (textesc.h says what is kept and what is escaped) */
#include "mqttdump/textesc.h"

#include <string.h>

static const char hx[] = "0123456789abcdef";

size_t textesc_utf8(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t k;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	/* RFC 3629 4: C0, C1 and F5-FF never appear; the lead byte says the length */
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		k = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		k = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		k = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (k > n)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0; /* overlong, or out of range */
	if (c >= 0xd800 && c <= 0xdfff)
		return 0; /* a surrogate */
	*cp = c;
	return k;
}

int textesc_hidden(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return 1; /* C0, DEL, C1: a terminal acts on them */
	if (cp < 0x61c)
		return 0;
	/* Unicode UAX #9: the explicit directional formatting characters, which reorder
	 * what follows them on the line ("gnp.exe" shown as "exe.png") */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069))
		return 1;
	/* line and paragraph separators: a new line to some terminals and viewers */
	if (cp == 0x2028 || cp == 0x2029)
		return 1;
	return cp == 0xfffe || cp == 0xffff; /* noncharacters, not allowed in XML */
}

/* The escape of one unit into e (at least 7 bytes): "\xHH" for a byte below 0x80 or a
 * byte that is not UTF-8 (cp > 0xff never takes this form), "\uHHHH" for a code point
 * from 0x80. Returns its length. */
static size_t escape(char *e, uint32_t cp, int byte)
{
	if (byte || cp < 0x80) {
		e[0] = '\\';
		e[1] = 'x';
		e[2] = hx[cp >> 4 & 15];
		e[3] = hx[cp & 15];
		return 4;
	}
	e[0] = '\\';
	e[1] = 'u';
	e[2] = hx[cp >> 12 & 15];
	e[3] = hx[cp >> 8 & 15];
	e[4] = hx[cp >> 4 & 15];
	e[5] = hx[cp & 15];
	return 6;
}

size_t textesc(char *out, size_t cap, const void *src, size_t n, size_t max)
{
	const uint8_t *p = src;
	size_t lim = max && max < n ? max : n;
	size_t i = 0, o = 0;
	/* the longest text so far, ending on a unit, that leaves room for "…" and the NUL:
	 * where a text that does not fit is cut */
	size_t safe = 0;
	int cut = 0;

	if (cap == 0)
		return 0;
	while (i < lim) {
		char e[8];
		const char *u;
		size_t k, el;
		uint32_t cp = p[i];

		if (cp >= 0x20 && cp < 0x7f) {
			/* a run of printable ASCII, most of any text: copied at once, each of its
			 * bytes a unit */
			size_t j = i + 1, r, room = cap - 1 - o, start = o;
			while (j < lim && p[j] >= 0x20 && p[j] < 0x7f)
				j++;
			r = j - i;
			if (r > room) {
				r = room;
				cut = 1;
			}
			memcpy(out + o, p + i, r);
			o += r;
			i += r;
			if (o + 3 <= cap - 1)
				safe = o;
			else if (cap >= 4 && cap - 4 >= start && cap - 4 > safe)
				safe = cap - 4;
			if (cut)
				break;
			continue;
		} else if ((k = textesc_utf8(p + i, n - i, &cp)) == 0) {
			k = 1;
			el = escape(e, p[i], 1);
			u = e;
		} else if (textesc_hidden(cp)) {
			el = escape(e, cp, 0);
			u = e;
		} else {
			el = k;
			u = (const char *)p + i;
		}
		if (k > lim - i)
			break; /* the cap falls inside this character: it is left out */
		if (el > cap - 1 - o) {
			cut = 1; /* out is full */
			break;
		}
		memcpy(out + o, u, el);
		o += el;
		i += k;
		if (o + 3 <= cap - 1)
			safe = o;
	}
	if ((i < n || cut) && cap - 1 >= 3) {
		/* (in a buffer too small for "…" what fits is all there is) */
		if (o + 3 > cap - 1)
			o = safe;
		memcpy(out + o, TEXTESC_ELLIPSIS, 3);
		o += 3;
	}
	out[o] = '\0';
	return o;
}

int textesc_json_write(FILE *f, const char *json, size_t n)
{
	const uint8_t *p = (const uint8_t *)json;
	size_t start = 0;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k;
		char e[8];

		/* what can need an escape: DEL, or a lead byte of C1 (C2), of ALM (D8) or of
		 * the U+2000 block (E2) and of U+FFFE/U+FFFF (EF) */
		if (p[i] != 0x7f && p[i] != 0xc2 && p[i] != 0xd8 && p[i] != 0xe2 && p[i] != 0xef) {
			i++;
			continue;
		}
		k = textesc_utf8(p + i, n - i, &cp);
		if (!k || !textesc_hidden(cp)) {
			i += k ? k : 1;
			continue;
		}
		if (i > start && fwrite(p + start, 1, i - start, f) != i - start)
			return EOF;
		/* JSON's escape, \u00XX for DEL too (not textesc's \x7f) */
		e[0] = '\\';
		e[1] = 'u';
		e[2] = hx[cp >> 12 & 15];
		e[3] = hx[cp >> 8 & 15];
		e[4] = hx[cp >> 4 & 15];
		e[5] = hx[cp & 15];
		if (fwrite(e, 1, 6, f) != 6)
			return EOF;
		i += k;
		start = i;
	}
	if (n > start && fwrite(p + start, 1, n - start, f) != n - start)
		return EOF;
	return 0;
}
