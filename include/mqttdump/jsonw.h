/*
 * jsonw.h - one streaming JSON writer for every JSON line mqttdump writes.
 *
 * Knows nothing of MQTT. A writer appends compact JSON text to a struct report_buf
 * (report.h) as it is told it: objects and arrays opened and closed, keys, values. Commas
 * come by themselves: a value or key written at a level that has one already is preceded
 * by ','. Nothing is built in memory but the text itself, so a record costs no allocation
 * once the buffer is warm.
 *
 * Strings (jsonw_str) are escaped as json-c escapes them, which is what --json wrote
 * before this writer: '"' and '\\' with a backslash, \b \f \n \r \t, every other C0
 * control as \u00XX (lower-case hex), '/' left as it is. On top of that, what
 * textesc_hidden() names (DEL, C1 controls, bidirectional controls, U+2028/9, U+FFFE/F)
 * becomes \uHHHH, so that nothing a terminal obeys is left in the text (textesc.h). Two
 * flags give the --timeline's older rules: JSONW_CTRL_U writes every C0 control as
 * \u00XX (no \n), JSONW_FIX_UTF8 writes each byte that starts no valid UTF-8 character
 * as U+FFFD (without it such a byte is copied as it is).
 *
 * Keys (jsonw_key) are written as given: they are mqttdump's own vocabulary (ASCII
 * letters, digits, '_'). A key from the wire (--eve's user properties) goes through
 * jsonw_key_str, escaped as a string.
 *
 * When the buffer cannot grow, the writer stops writing and sets fail: the caller drops
 * the unfinished text and reports the loss (mqttdump_oom). Nesting is limited to
 * JSONW_DEPTH levels; deeper is a caller's bug, also reported as fail.
 */
#ifndef MQTTDUMP_JSONW_H
#define MQTTDUMP_JSONW_H

#include "mqttdump/report.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JSONW_CTRL_U 1u    /* every C0 control as \u00XX */
#define JSONW_FIX_UTF8 2u  /* a byte that is not UTF-8 as U+FFFD */
#define JSONW_PRETTY 4u    /* json-c's PRETTY|SPACED layout (0.16): each member on its own
			    * line, two spaces per level, ": " after a key, a closing brace
			    * on a line of its own, even an empty one's (--stats=json) */

#define JSONW_DEPTH 64

struct jsonw {
	struct report_buf *b;  /* borrowed: where the text goes */
	unsigned flags;
	int fail;              /* the buffer could not grow (or nesting too deep) */
	unsigned depth;        /* levels open */
	uint64_t more;         /* bit d: level d has a member already (a comma before the next) */
	int keyed;             /* a key was just written: its value takes no comma */
};

/* A writer appending to b (not cleared), with flags JSONW_*. */
void jsonw_init(struct jsonw *w, struct report_buf *b, unsigned flags);
/* Forget the levels and the failure: the next value starts a new text (the next line).
 * The buffer is not touched. */
void jsonw_reset(struct jsonw *w);

void jsonw_obj(struct jsonw *w);      /* { */
void jsonw_obj_end(struct jsonw *w);  /* } */
void jsonw_arr(struct jsonw *w);      /* [ */
void jsonw_arr_end(struct jsonw *w);  /* ] */

/* The key of the next member (n bytes at k), with the comma before it when needed. Inline:
 * a record has dozens of keys, each a literal whose length the compiler knows, so the
 * common case (room in the buffer, compact layout) is a few stores. */
void jsonw_key_slow(struct jsonw *w, const char *k, size_t n);
static inline void jsonw_key_n(struct jsonw *w, const char *k, size_t n)
{
	struct report_buf *b = w->b;
	uint64_t bit = 1ull << (w->depth & 63);
	char *o;

	if ((w->flags & JSONW_PRETTY) || w->keyed || w->fail || !b->p || b->cap - b->len < n + 4) {
		jsonw_key_slow(w, k, n);
		return;
	}
	o = b->p + b->len;
	if (w->more & bit)
		*o++ = ',';
	w->more |= bit;
	*o++ = '"';
	memcpy(o, k, n);
	o += n;
	*o++ = '"';
	*o++ = ':';
	b->len = (size_t)(o - b->p);
	w->keyed = 1;
}
static inline void jsonw_key(struct jsonw *w, const char *k)
{
	jsonw_key_n(w, k, strlen(k));
}
/* A key that is text from the wire (n bytes at p): escaped as a string. */
void jsonw_key_str(struct jsonw *w, const void *p, size_t n);

/* Values. */
void jsonw_str(struct jsonw *w, const void *p, size_t n); /* n bytes, escaped as above */
void jsonw_hex(struct jsonw *w, const void *p, size_t n); /* "0a1b..": n bytes, lower case */
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* n bytes of JSON written as they are, as one value: a number whose digits the caller
 * formatted (seconds with the capture's digits, "1795376327.331194"), or a text another
 * writer made. */
void jsonw_raw(struct jsonw *w, const char *s, size_t n);

static inline void jsonw_cstr(struct jsonw *w, const char *s)
{
	jsonw_str(w, s, strlen(s));
}
/* A string from mqttdump itself that needs no escape (a name from its tables, a time
 * stamp, an address: printable ASCII without '"' or '\\'), written without looking. */
void jsonw_name(struct jsonw *w, const char *s, size_t n);
static inline void jsonw_kname(struct jsonw *w, const char *k, const char *s)
{
	jsonw_key(w, k);
	jsonw_name(w, s, strlen(s));
}

/* A member: key and value in one call. */
static inline void jsonw_kstr(struct jsonw *w, const char *k, const char *s)
{
	jsonw_key(w, k);
	jsonw_cstr(w, s);
}
static inline void jsonw_kstr_n(struct jsonw *w, const char *k, const void *p, size_t n)
{
	jsonw_key(w, k);
	jsonw_str(w, p, n);
}
static inline void jsonw_kint(struct jsonw *w, const char *k, int64_t v)
{
	jsonw_key(w, k);
	jsonw_int(w, v);
}
static inline void jsonw_kuint(struct jsonw *w, const char *k, uint64_t v)
{
	jsonw_key(w, k);
	jsonw_uint(w, v);
}
static inline void jsonw_kbool(struct jsonw *w, const char *k, int v)
{
	jsonw_key(w, k);
	jsonw_bool(w, v);
}
static inline void jsonw_kraw(struct jsonw *w, const char *k, const char *s)
{
	jsonw_key(w, k);
	jsonw_raw(w, s, strlen(s));
}

#endif
