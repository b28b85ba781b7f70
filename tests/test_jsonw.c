/* Unit tests for jsonw: the writer against json-c's printer (the oracle: what --json, --eve
 * and --stats=json wrote before jsonw), commas and nesting, numbers, the timeline's rules,
 * and the failure flag. */
#include "mqttdump/jsonw.h"
#include "mqttdump/textesc.h"

#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text w wrote, NUL-terminated (the buffer is the test's). */
static const char *text(struct report_buf *b)
{
	static char out[1 << 16];
	cr_assert_lt(b->len, sizeof out);
	memcpy(out, b->p, b->len);
	out[b->len] = '\0';
	return out;
}

/* What json-c writes for the string (n bytes), then textesc_json_write's pass (DEL, C1,
 * bidirectional controls as \uHHHH), as --json did before jsonw; into out. */
static size_t oracle(const uint8_t *p, size_t n, char *out, size_t cap)
{
	json_object *o = json_object_new_string_len((const char *)p, (int)n);
	size_t len = 0;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	FILE *f = fmemopen(out, cap, "w");

	cr_assert(f);
	textesc_json_write(f, s, len);
	len = (size_t)ftell(f);
	fclose(f);
	json_object_put(o);
	return len;
}

Test(jsonw, strings_as_json_c_wrote_them)
{
	static const char *const cases[] = {
		"", "plain", "a/b", "q\"b\\s", "\b\f\n\r\t", "\x01\x1f", "\x7f", "caf\xc3\xa9",
		"\xc2\x9b" "c1", "\xe2\x80\xae" "rlo", "\xd8\x9c", "\xef\xbf\xbe", "\xef\xbf\xbd",
		"\xff\xfe", "\xe2\x80", "\xf0\x9f\x98\x80",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct report_buf b = { 0 };
		struct jsonw w;
		char want[256];
		size_t n = oracle((const uint8_t *)cases[i], strlen(cases[i]), want, sizeof want);
		jsonw_init(&w, &b, 0);
		jsonw_cstr(&w, cases[i]);
		want[n] = '\0';
		cr_assert_str_eq(text(&b), want, "case %zu", i);
		report_buf_free(&b);
	}
}

/* Random bytes, biased to what needs care (controls, quotes, lead bytes of hidden code
 * points, continuation bytes, NUL): jsonw and json-c agree on every one. */
Test(jsonw, random_strings_against_json_c)
{
	static const uint8_t pick[] = { 0, 1, 0x1b, '\n', '"', '\\', '/', 'a', ' ', 0x7f, 0x80,
					0x9b, 0xae, 0xbf, 0xc2, 0xc3, 0xd8, 0x9c, 0xe2, 0xef,
					0xf0, 0xff, 0x80, 0x8e, 0xbe };
	uint64_t r = 88172645463325252ull;

	for (int t = 0; t < 20000; t++) {
		uint8_t s[24];
		size_t n = (r >> 7) % sizeof s;
		struct report_buf b = { 0 };
		struct jsonw w;
		char want[256];
		size_t wn;
		for (size_t i = 0; i < n; i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			s[i] = pick[r % sizeof pick];
		}
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		wn = oracle(s, n, want, sizeof want);
		jsonw_init(&w, &b, 0);
		jsonw_str(&w, s, n);
		cr_assert_eq(b.len, wn, "case %d", t);
		cr_assert(!memcmp(b.p, want, wn), "case %d", t);
		report_buf_free(&b);
	}
}

Test(jsonw, commas_nesting_and_values)
{
	struct report_buf b = { 0 };
	struct jsonw w;

	jsonw_init(&w, &b, 0);
	jsonw_obj(&w);
	jsonw_kint(&w, "a", -1);
	jsonw_kuint(&w, "b", UINT64_MAX);
	jsonw_kint(&w, "c", INT64_MIN);
	jsonw_key(&w, "d");
	jsonw_arr(&w);
	jsonw_bool(&w, 1);
	jsonw_bool(&w, 0);
	jsonw_null(&w);
	jsonw_obj(&w);
	jsonw_obj_end(&w);
	jsonw_arr(&w);
	jsonw_arr_end(&w);
	jsonw_raw(&w, "1.500000", 8);
	jsonw_hex(&w, "\x00\xff\x10", 3);
	jsonw_arr_end(&w);
	jsonw_kname(&w, "e", "2026-01-01T00:00:00Z");
	jsonw_key_str(&w, "k\"\n", 3);
	jsonw_cstr(&w, "v");
	jsonw_obj_end(&w);
	cr_assert(!w.fail && !w.depth);
	cr_assert_str_eq(text(&b), "{\"a\":-1,\"b\":18446744073709551615,\"c\":-9223372036854775808,"
			 "\"d\":[true,false,null,{},[],1.500000,\"00ff10\"],"
			 "\"e\":\"2026-01-01T00:00:00Z\",\"k\\\"\\n\":\"v\"}");
	report_buf_free(&b);
}

/* --timeline's rules: every C0 control as \u00XX, a byte that is not UTF-8 as U+FFFD. */
Test(jsonw, timeline_rules)
{
	struct report_buf b = { 0 };
	struct jsonw w;

	jsonw_init(&w, &b, JSONW_CTRL_U | JSONW_FIX_UTF8);
	jsonw_str(&w, "a\n\t\"\\\x7f\xff\xc3\xa9\xe2\x80\xae", 12);
	cr_assert_str_eq(text(&b), "\"a\\u000a\\u0009\\\"\\\\\\u007f\xef\xbf\xbd\xc3\xa9\\u202e\"");
	report_buf_free(&b);
}

/* JSONW_PRETTY against json-c's PRETTY|SPACED printer, empty containers included. */
Test(jsonw, pretty_as_json_c)
{
	json_object *r = json_object_new_object(), *a = json_object_new_array();
	json_object *o = json_object_new_object();
	struct report_buf b = { 0 };
	struct jsonw w;

	json_object_object_add(r, "n", json_object_new_int64(3));
	json_object_array_add(a, json_object_new_object());
	json_object_array_add(a, json_object_new_int64(-2));
	json_object_array_add(a, json_object_new_array());
	json_object_object_add(r, "a", a);
	json_object_object_add(o, "s", json_object_new_string("x"));
	json_object_object_add(r, "o", o);
	json_object_object_add(r, "e", json_object_new_object());
	jsonw_init(&w, &b, JSONW_PRETTY);
	jsonw_obj(&w);
	jsonw_kint(&w, "n", 3);
	jsonw_key(&w, "a");
	jsonw_arr(&w);
	jsonw_obj(&w);
	jsonw_obj_end(&w);
	jsonw_int(&w, -2);
	jsonw_arr(&w);
	jsonw_arr_end(&w);
	jsonw_arr_end(&w);
	jsonw_key(&w, "o");
	jsonw_obj(&w);
	jsonw_kstr(&w, "s", "x");
	jsonw_obj_end(&w);
	jsonw_key(&w, "e");
	jsonw_obj(&w);
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	cr_assert_str_eq(text(&b), json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
			 JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(r);
	report_buf_free(&b);
}

/* Unbalanced use is a caller's bug, reported as a failure, never a write out of bounds. */
Test(jsonw, misuse_fails)
{
	struct report_buf b = { 0 };
	struct jsonw w;

	jsonw_init(&w, &b, 0);
	jsonw_obj_end(&w);
	cr_assert(w.fail);
	jsonw_reset(&w);
	cr_assert(!w.fail);
	for (int i = 0; i < JSONW_DEPTH + 5; i++)
		jsonw_arr(&w);
	cr_assert(w.fail);
	report_buf_free(&b);
}

/* A buffer that cannot grow (here: a size no buffer can have) sets fail; nothing is
 * written after it (the caller drops the unfinished text). */
Test(jsonw, buffer_that_cannot_grow_fails)
{
	struct report_buf b = { 0 };
	struct jsonw w;
	size_t len;

	jsonw_init(&w, &b, 0);
	jsonw_obj(&w);
	jsonw_kint(&w, "a", 1);
	cr_assert(!w.fail);
	jsonw_raw(&w, "x", SIZE_MAX - 8);
	cr_assert(w.fail);
	len = b.len;
	jsonw_kint(&w, "b", 2);
	jsonw_kstr(&w, "c", "text");
	jsonw_obj_end(&w);
	cr_assert(w.fail);
	cr_assert_eq(b.len, len);
	cr_assert_eq(strncmp(text(&b), "{\"a\":1", 6), 0);
	report_buf_free(&b);
}
