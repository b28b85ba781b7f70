/*
 * textesc.h - bytes from the wire as text a terminal shows and does not obey.
 *
 * Knows nothing of the pipeline. Every text output (the summary and its NOTE lines, -V,
 * --explain, --diagram, --stats, the names TLS and HTTP carry) writes what it read from
 * the wire through textesc(), so that a topic cannot clear the screen, set the window
 * title, start a line of its own or turn the text around. What is kept and what is shown
 * escaped:
 *
 *   printable ASCII and UTF-8 characters          as they are (a backslash too)
 *   C0 controls (U+0000-U+001F), DEL              \xHH      ("\x1b", "\x0a", "\x7f")
 *   C1 controls (U+0080-U+009F), bidirectional    \uHHHH    ("\u009b", "\u202e")
 *     controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), the line and
 *     paragraph separators U+2028, U+2029, and U+FFFE, U+FFFF (not characters, not XML)
 *   a byte that starts no valid UTF-8 character   \xHH      ("\xff", "\xc0\x80"),
 *     (overlong forms, surrogates, past U+10FFFF,            one per byte
 *     a sequence cut short)
 *
 * The text is printable UTF-8 with no control byte, so escaping it again changes nothing.
 * JSON, SVG and HTML have escapes of their own; textesc_json_write() covers what a JSON
 * writer leaves raw that a terminal would still obey.
 */
#ifndef MQTTDUMP_TEXTESC_H
#define MQTTDUMP_TEXTESC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "…", which ends a text that was cut. */
#define TEXTESC_ELLIPSIS "\xe2\x80\xa6"

/* Room for the whole text of n bytes, NUL included: a byte becomes at most 4 bytes
 * ("\xff"; a 2-byte C1 control becomes 6, a 3-byte bidi control 6), then "…". */
#define TEXTESC_SIZE(n) ((size_t)(n) * 4 + 4)

/* The length (1 to 4) of the valid UTF-8 character at p (n bytes readable), its code
 * point in *cp; 0 when p starts none (or n is 0), *cp untouched. RFC 3629: shortest form
 * only, no surrogates, nothing past U+10FFFF. */
size_t textesc_utf8(const uint8_t *p, size_t n, uint32_t *cp);

/* 1 when code point cp is shown escaped (see the table above), else 0. */
int textesc_hidden(uint32_t cp);

/* Write the n bytes at src as terminal-safe text at out: at most cap - 1 bytes and a
 * NUL (nothing when cap is 0). max: show at most the first max bytes of src (0: all of
 * them), never part of a character. When anything is left out, because of max or because
 * out is too small, the text ends with "…" (cut before a whole character or escape).
 * Returns the length of the text written. Linear in n; allocates nothing. */
size_t textesc(char *out, size_t cap, const void *src, size_t n, size_t max);

/* Write the JSON text json (n bytes) to f with every code point textesc_hidden() names
 * from DEL up (DEL, C1, bidirectional controls, ...) as a \uHHHH escape: the same JSON
 * value, but nothing a terminal obeys. json must come from a JSON writer, whose structure
 * is ASCII (these characters can only be inside its strings) and which has escaped the C0
 * controls already. Returns 0, or EOF when a write failed. */
int textesc_json_write(FILE *f, const char *json, size_t n);

#endif
