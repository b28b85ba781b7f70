/* Unit tests for textesc: what is kept, what is escaped and how, the cap and "…". */
#include "mqttdump/textesc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of the NUL-terminated s (NULs written as "\0" in a literal need n). */
static const char *esc(const char *s, size_t n, size_t max)
{
	static char out[1024];
	textesc(out, sizeof out, s, n, max);
	return out;
}

#define E(lit) esc(lit, sizeof lit - 1, 0)

Test(textesc, printable_text_kept)
{
	cr_assert_str_eq(E("a/b c~"), "a/b c~");
	cr_assert_str_eq(E("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x98\x80");
	cr_assert_str_eq(E("back\\slash \\x1b"), "back\\slash \\x1b"); /* kept: not an escape */
	cr_assert_str_eq(E(""), "");
}

Test(textesc, c0_and_del_as_hex)
{
	cr_assert_str_eq(E("\x1b[2J"), "\\x1b[2J");
	cr_assert_str_eq(E("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
	cr_assert_str_eq(E("a\r\nb\tc"), "a\\x0d\\x0ab\\x09c");
	cr_assert_str_eq(E("nul\0del\x7f"), "nul\\x00del\\x7f");
}

Test(textesc, c1_bidi_and_separators_as_code_points)
{
	cr_assert_str_eq(E("\xc2\x9b" "31m"), "\\u009b31m");
	cr_assert_str_eq(E("\xc2\x80\xc2\x9f\xc2\xa0"), "\\u0080\\u009f\xc2\xa0"); /* NBSP kept */
	cr_assert_str_eq(E("bidi\xe2\x80\xaegnp.exe"), "bidi\\u202egnp.exe");
	cr_assert_str_eq(E("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"),
			 "\\u202a\\u202b\\u202c\\u202d");
	cr_assert_str_eq(E("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"),
			 "\\u2066\\u2067\\u2068\\u2069");
	cr_assert_str_eq(E("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), "\\u200e\\u200f\\u061c");
	cr_assert_str_eq(E("\xe2\x80\xa8\xe2\x80\xa9"), "\\u2028\\u2029");
	cr_assert_str_eq(E("\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbd"), "\\ufffe\\uffff\xef\xbf\xbd");
	/* neighbours of the bidi controls are ordinary characters */
	cr_assert_str_eq(E("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
			 "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa");
}

Test(textesc, invalid_utf8_byte_by_byte)
{
	cr_assert_str_eq(E("bad\xff\xfeutf8"), "bad\\xff\\xfeutf8");
	cr_assert_str_eq(E("\xc0\x80"), "\\xc0\\x80");                 /* overlong NUL */
	cr_assert_str_eq(E("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");         /* overlong '/' */
	cr_assert_str_eq(E("\xed\xa0\x80"), "\\xed\\xa0\\x80");         /* a surrogate */
	cr_assert_str_eq(E("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	cr_assert_str_eq(E("\xe2\x80" "A"), "\\xe2\\x80A");            /* cut short */
	cr_assert_str_eq(E("end\xe2\x80"), "end\\xe2\\x80");
	cr_assert_str_eq(E("\x80"), "\\x80");                          /* a lone continuation */
}

Test(textesc, escaping_twice_changes_nothing)
{
	static const char in[] = "\x1b[2J\r\n   99 Fake\xc2\x9b\xe2\x80\xae\xff\xc3\xa9\0";
	char once[256], twice[256];

	textesc(once, sizeof once, in, sizeof in - 1, 0);
	textesc(twice, sizeof twice, once, strlen(once), 0);
	cr_assert_str_eq(once, twice);
	for (const char *p = once; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
}

Test(textesc, max_cuts_on_a_character)
{
	cr_assert_str_eq(esc("abcdef", 6, 3), "abc\xe2\x80\xa6");
	cr_assert_str_eq(esc("abcdef", 6, 6), "abcdef");
	cr_assert_str_eq(esc("abcdef", 6, 7), "abcdef");
	/* "é" is 2 bytes: a cap of 4 keeps "ab" and not half of it */
	cr_assert_str_eq(esc("ab\xc3\xa9" "cd", 6, 3), "ab\xe2\x80\xa6");
	cr_assert_str_eq(esc("ab\xc3\xa9" "cd", 6, 4), "ab\xc3\xa9\xe2\x80\xa6");
	/* max counts bytes of the input, not of the escaped text */
	cr_assert_str_eq(esc("\x1b\x1b\x1b", 3, 2), "\\x1b\\x1b\xe2\x80\xa6");
	/* an invalid byte at the cap is one byte */
	cr_assert_str_eq(esc("a\xff" "b", 3, 2), "a\\xff\xe2\x80\xa6");
}

Test(textesc, small_buffer_cuts_on_a_unit)
{
	char out[16];
	size_t n;

	/* 15 bytes of room: "abcdefghijkl" (12) then "…" (3) */
	n = textesc(out, sizeof out, "abcdefghijklmnopqrstuvwxyz", 26, 0);
	cr_assert_str_eq(out, "abcdefghijkl\xe2\x80\xa6");
	cr_assert_eq(n, 15);
	/* an escape is never split: "ab\x1b\x1b" is 10 bytes, the next escape does not fit
	 * with the "…" */
	n = textesc(out, sizeof out, "ab\x1b\x1b\x1b\x1b", 6, 0);
	cr_assert_str_eq(out, "ab\\x1b\\x1b\xe2\x80\xa6");
	cr_assert_eq(n, strlen(out));
	/* exactly full: no "…" needed */
	n = textesc(out, sizeof out, "abcdefghijklmno", 15, 0);
	cr_assert_str_eq(out, "abcdefghijklmno");
	/* a run of text after escapes, cut: "…" where it still fits */
	n = textesc(out, 12, "\x1b\x1b" "abcdef", 8, 0);
	cr_assert_str_eq(out, "\\x1b\\x1b\xe2\x80\xa6");
	n = textesc(out, 14, "\x1b\x1b" "abcdef", 8, 0);
	cr_assert_str_eq(out, "\\x1b\\x1b" "ab\xe2\x80\xa6");
	/* too small for "…": cut, no partial unit */
	n = textesc(out, 3, "abcdef", 6, 0);
	cr_assert_str_eq(out, "ab");
	n = textesc(out, 1, "abcdef", 6, 0);
	cr_assert_str_eq(out, "");
	cr_assert_eq(textesc(out, 0, "abc", 3, 0), 0);
}

Test(textesc, worst_case_fits_textesc_size)
{
	static const uint8_t all[] = { 0xff, 0x1b, 0xc2, 0x9b, 0xe2, 0x80, 0xae, 0x00 };
	uint8_t in[64];
	char out[TEXTESC_SIZE(64)];

	for (size_t i = 0; i < sizeof in; i++)
		in[i] = all[i % sizeof all];
	textesc(out, sizeof out, in, sizeof in, 0);
	cr_assert_null(strstr(out, "\xe2\x80\xa6"), "TEXTESC_SIZE was too small: %s", out);
	textesc(out, sizeof out, in, sizeof in, 10);
	cr_assert_not_null(strstr(out, "\xe2\x80\xa6"));
}

Test(textesc, utf8_decoder)
{
	uint32_t cp = 7;

	cr_assert_eq(textesc_utf8((const uint8_t *)"\xe2\x80\xae", 3, &cp), 3);
	cr_assert_eq(cp, 0x202e);
	cr_assert_eq(textesc_utf8((const uint8_t *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	cr_assert_eq(cp, 0x1f600);
	cp = 7;
	cr_assert_eq(textesc_utf8((const uint8_t *)"\xe2\x80\xae", 2, &cp), 0);
	cr_assert_eq(textesc_utf8((const uint8_t *)"\xc1\xbf", 2, &cp), 0);
	cr_assert_eq(textesc_utf8((const uint8_t *)"", 0, &cp), 0);
	cr_assert_eq(cp, 7);
}

Test(textesc, json_writer_escapes_what_terminals_obey)
{
	static const char in[] = "{\"t\":\"a\x7f\xc2\x9b\xe2\x80\xae\xd8\x9c\xef\xbf\xbf|\xc3\xa9\xc2\xa0\xe2\x86\x92\"}";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(textesc_json_write(f, in, sizeof in - 1), 0);
	fclose(f);
	cr_assert_str_eq(buf, "{\"t\":\"a\\u007f\\u009b\\u202e\\u061c\\uffff|\xc3\xa9\xc2\xa0\xe2\x86\x92\"}");
	free(buf);
}
