/* \summary: one streaming JSON writer (jsonw.h): compact text straight into a report_buf */
#include "mqttdump/jsonw.h"
#include "mqttdump/textesc.h"

static const char hx[] = "0123456789abcdef";

void jsonw_init(struct jsonw *w, struct report_buf *b, unsigned flags)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	w->flags = flags;
}

void jsonw_reset(struct jsonw *w)
{
	w->fail = 0;
	w->depth = 0;
	w->more = 0;
	w->keyed = 0;
}

/* Every piece goes through here: the common case is one compare and one memcpy. */
static inline void put(struct jsonw *w, const char *s, size_t n)
{
	struct report_buf *b = w->b;

	if (__builtin_expect(!b->p || b->cap - b->len < n, 0)) {
		if (w->fail || report_buf_room(b, n) < 0) {
			w->fail = 1;
			return;
		}
	}
	if (w->fail || !n)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* Room for n more bytes: where they go, or NULL when the buffer cannot grow (fail set).
 * The caller writes them and moves b->len: the fast paths below (a key, a number, a plain
 * string) reserve once and write without a check per piece. */
static inline char *room(struct jsonw *w, size_t n)
{
	struct report_buf *b = w->b;

	if (w->fail)
		return NULL;
	if (__builtin_expect(!b->p || b->cap - b->len < n, 0) && report_buf_room(b, n) < 0) {
		w->fail = 1;
		return NULL;
	}
	return b->p + b->len;
}

/* The comma a value or key at this level takes (compact layout, not after a key): 1 when
 * one is due; the level is marked as having a member. */
static inline int comma_due(struct jsonw *w)
{
	uint64_t bit = 1ull << (w->depth & 63);
	int due = !w->keyed && (w->more & bit);

	w->keyed = 0;
	w->more |= bit;
	return due;
}

/* JSONW_PRETTY: a new line and two spaces per level. */
static void newline(struct jsonw *w, unsigned level)
{
	static const char sp[] = "\n                                ";

	put(w, sp, 1);
	for (size_t n = 2 * (size_t)level; n; ) {
		size_t k = n < sizeof sp - 2 ? n : sizeof sp - 2;
		put(w, sp + 1, k);
		n -= k;
	}
}

/* Before a value: the comma when its level has a member already (not after a key). */
static inline void sep(struct jsonw *w)
{
	uint64_t bit = 1ull << (w->depth & 63);

	if (w->keyed) {
		w->keyed = 0;
		return;
	}
	if (w->more & bit)
		put(w, ",", 1);
	if ((w->flags & JSONW_PRETTY) && w->depth)
		newline(w, w->depth);
	w->more |= bit;
}

static void open_level(struct jsonw *w, char c)
{
	sep(w);
	put(w, &c, 1);
	if (++w->depth >= JSONW_DEPTH) {
		w->fail = 1;
		w->depth = JSONW_DEPTH - 1;
	}
	w->more &= ~(1ull << w->depth);
}

static void close_level(struct jsonw *w, char c)
{
	if (!w->depth) {
		w->fail = 1; /* closes what was not opened: a caller's bug */
		return;
	}
	if (w->flags & JSONW_PRETTY)
		newline(w, w->depth - 1); /* (json-c 0.16 does so for an empty one too) */
	w->depth--;
	w->keyed = 0;
	put(w, &c, 1);
}

void jsonw_obj(struct jsonw *w)
{
	open_level(w, '{');
}

void jsonw_obj_end(struct jsonw *w)
{
	close_level(w, '}');
}

void jsonw_arr(struct jsonw *w)
{
	open_level(w, '[');
}

void jsonw_arr_end(struct jsonw *w)
{
	close_level(w, ']');
}

void jsonw_key_slow(struct jsonw *w, const char *k, size_t n)
{
	char *o;

	if (!(w->flags & JSONW_PRETTY) && !w->keyed) { /* every member of every record */
		if (!(o = room(w, n + 4)))
			return;
		if (comma_due(w))
			*o++ = ',';
		*o++ = '"';
		memcpy(o, k, n);
		o += n;
		*o++ = '"';
		*o++ = ':';
		w->b->len = (size_t)(o - w->b->p);
		w->keyed = 1;
		return;
	}
	sep(w);
	put(w, "\"", 1);
	put(w, k, n);
	put(w, "\": ", (w->flags & JSONW_PRETTY) ? 3 : 2);
	w->keyed = 1;
}

/* 1 for the bytes a string holds as they are. By default the bytes from 0x80 too, but the
 * lead bytes of what textesc_hidden() may name: C1 (0xc2), U+061C (0xd8), the U+2000 block
 * (0xe2), U+FFFE/U+FFFF (0xef). With JSONW_FIX_UTF8 no byte from 0x80 (each is checked). */
static uint8_t plain[2][256];
static int plain_ready;

static void plain_init(void)
{
	for (int c = 0x20; c < 0x100; c++) {
		plain[0][c] = plain[1][c] = c < 0x7f && c != '"' && c != '\\';
		if (c >= 0x80)
			plain[0][c] = c != 0xc2 && c != 0xd8 && c != 0xe2 && c != 0xef;
	}
	plain_ready = 1;
}

/* A byte below 0x80 that is not plain: '"', '\\', a C0 control or DEL. */
static void esc_ascii(struct jsonw *w, uint8_t c)
{
	char e[6] = { '\\', 'u', '0', '0', hx[c >> 4], hx[c & 15] };
	char s = 0;

	switch (c) {
	case '"': s = '"'; break;
	case '\\': s = '\\'; break;
	case '\b': s = 'b'; break;
	case '\f': s = 'f'; break;
	case '\n': s = 'n'; break;
	case '\r': s = 'r'; break;
	case '\t': s = 't'; break;
	}
	if (s && (c == '"' || c == '\\' || !(w->flags & JSONW_CTRL_U))) {
		e[1] = s;
		put(w, e, 2);
	} else {
		put(w, e, 6);
	}
}

/* The string, quotes included (no comma). */
static void str_quoted(struct jsonw *w, const uint8_t *p, size_t n)
{
	const uint8_t *pl;
	size_t plain_len = 0;

	if (__builtin_expect(!plain_ready, 0))
		plain_init();
	pl = plain[(w->flags & JSONW_FIX_UTF8) ? 1 : 0];
	while (plain_len < n && pl[p[plain_len]])
		plain_len++;
	if (plain_len == n) { /* nothing to escape: the common case, one copy */
		char *o = room(w, n + 2);
		if (!o)
			return;
		*o++ = '"';
		if (n) /* (an absent string is a NULL view) */
			memcpy(o, p, n);
		o[n] = '"';
		w->b->len += n + 2;
		return;
	}
	put(w, "\"", 1);
	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		uint32_t cp;
		size_t k;

		if (pl[c]) {
			size_t j = i + 1;
			while (j < n && pl[p[j]])
				j++;
			put(w, (const char *)p + i, j - i);
			i = j;
		} else if (c < 0x80) {
			esc_ascii(w, c);
			i++;
		} else if ((k = textesc_utf8(p + i, n - i, &cp)) && textesc_hidden(cp)) {
			char e[6] = { '\\', 'u', hx[cp >> 12 & 15], hx[cp >> 8 & 15],
				      hx[cp >> 4 & 15], hx[cp & 15] };
			put(w, e, 6);
			i += k;
		} else if (k) {
			put(w, (const char *)p + i, k);
			i += k;
		} else {
			if (w->flags & JSONW_FIX_UTF8)
				put(w, "\xef\xbf\xbd", 3);
			else
				put(w, (const char *)p + i, 1);
			i++;
		}
	}
	put(w, "\"", 1);
}

void jsonw_str(struct jsonw *w, const void *p, size_t n)
{
	sep(w);
	str_quoted(w, p, n);
}

void jsonw_key_str(struct jsonw *w, const void *p, size_t n)
{
	sep(w);
	str_quoted(w, p, n);
	put(w, ": ", (w->flags & JSONW_PRETTY) ? 2 : 1);
	w->keyed = 1;
}

void jsonw_hex(struct jsonw *w, const void *src, size_t n)
{
	const uint8_t *p = src;
	char t[64];
	size_t o = 0;

	sep(w);
	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		t[o++] = hx[p[i] >> 4];
		t[o++] = hx[p[i] & 15];
		if (o == sizeof t) {
			put(w, t, o);
			o = 0;
		}
	}
	put(w, t, o);
	put(w, "\"", 1);
}

/* A number: its sign, then its digits written straight into the buffer. */
static void number(struct jsonw *w, int neg, uint64_t mag)
{
	char *o;

	if (w->flags & JSONW_PRETTY) {
		char t[24];
		sep(w);
		if (neg)
			put(w, "-", 1);
		put(w, t, report_u64(t, mag));
		return;
	}
	if (!(o = room(w, 24))) /* a comma, a sign, 20 digits and report_u64's NUL */
		return;
	if (comma_due(w))
		*o++ = ',';
	if (neg)
		*o++ = '-';
	if (mag < 10) { /* type ids, flags, QoS, booleans as numbers: most numbers are small */
		*o++ = (char)('0' + mag);
	} else if (mag < 100) {
		*o++ = (char)('0' + mag / 10);
		*o++ = (char)('0' + mag % 10);
	} else {
		o += report_u64(o, mag);
	}
	w->b->len = (size_t)(o - w->b->p);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	number(w, 0, v);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	/* (the magnitude of INT64_MIN does not fit an int64_t: negate unsigned) */
	number(w, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

void jsonw_bool(struct jsonw *w, int v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *s, size_t n)
{
	sep(w);
	put(w, s, n);
}

void jsonw_name(struct jsonw *w, const char *s, size_t n)
{
	char *o;

	if (w->flags & JSONW_PRETTY) {
		jsonw_str(w, s, n);
		return;
	}
	if (!(o = room(w, n + 3)))
		return;
	if (comma_due(w))
		*o++ = ',';
	*o++ = '"';
	memcpy(o, s, n);
	o[n] = '"';
	w->b->len = (size_t)(o + n + 1 - w->b->p);
}
