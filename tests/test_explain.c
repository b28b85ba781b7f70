/* Unit tests of the --explain sentence tables: every key has a sentence in every language,
 * both languages use the same placeholders, and none is left unfilled. */
#include "mqttdump/explain.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* Every placeholder a sentence may use, with a value to fill it. */
static const struct explain_var all_vars[] = {
	{ "text", "21.5" }, { "n", "12" }, { "topic", "maison/+/temperature" }, { "qos", "1" },
	{ "reason", "Not authorized" }, { "client", "sub-1" }, { "version", "3.1.1" },
	{ "keepalive", "60" }, { "user", "alice" }, { "pwlen", "10" },
	{ "will_topic", "clients/sub-1" }, { "payload", "\"bye\"" }, { "code", "5" },
	{ "id", "7" }, { "response_topic", "rr/reply" }, { "filters", "a/b at QoS 1" },
	{ "granted", "QoS 1 granted" }, { "type", "0" }, { "warning", "QoS 3" },
	{ "owner", "doomed" },
};
#define NVARS (sizeof all_vars / sizeof all_vars[0])

static const struct explain_table *const tables[] = { &explain_en, &explain_fr };

/* The placeholders of a template, as a sorted, comma-joined string. */
static void placeholders(const char *t, char *out, size_t cap)
{
	char names[16][32];
	int n = 0;
	out[0] = '\0';
	for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		cr_assert(e, "unclosed { in \"%s\"", t);
		cr_assert(n < 16 && (size_t)(e - p - 1) < 32);
		snprintf(names[n++], 32, "%.*s", (int)(e - p - 1), p + 1);
	}
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				char tmp[32];
				strcpy(tmp, names[i]);
				strcpy(names[i], names[j]);
				strcpy(names[j], tmp);
			}
	for (int i = 0; i < n; i++)
		if (i == 0 || strcmp(names[i], names[i - 1])) {
			strncat(out, names[i], cap - strlen(out) - 1);
			strncat(out, ",", cap - strlen(out) - 1);
		}
}

Test(explain, every_key_has_text_in_every_language)
{
	for (size_t l = 0; l < 2; l++)
		for (int k = 0; k < EX_COUNT; k++) {
			const char *t = tables[l]->text[k];
			cr_assert(t != NULL, "%s: key %d has no sentence", tables[l]->lang, k);
			cr_assert(strlen(t) > 0, "%s: key %d is empty", tables[l]->lang, k);
		}
}

Test(explain, languages_use_the_same_placeholders)
{
	char en[256], fr[256];
	for (int k = 0; k < EX_COUNT; k++) {
		placeholders(explain_en.text[k], en, sizeof en);
		placeholders(explain_fr.text[k], fr, sizeof fr);
		cr_assert_str_eq(en, fr, "key %d: en uses {%s}, fr uses {%s}", k, en, fr);
	}
}

Test(explain, no_placeholder_left_unfilled)
{
	char out[2048];
	for (size_t l = 0; l < 2; l++)
		for (int k = 0; k < EX_COUNT; k++) {
			int missing = explain_fill(tables[l]->text[k], all_vars, NVARS, out, sizeof out);
			cr_assert_eq(missing, 0, "%s key %d: %d placeholders unknown in \"%s\"",
				     tables[l]->lang, k, missing, tables[l]->text[k]);
			cr_assert(strchr(out, '{') == NULL && strchr(out, '}') == NULL,
				  "%s key %d left a brace: %s", tables[l]->lang, k, out);
		}
}

Test(explain, sentences_end_like_sentences)
{
	/* whole sentences (not the pieces before EX_CONNECT) end with a full stop */
	for (size_t l = 0; l < 2; l++)
		for (int k = EX_CONNECT; k < EX_COUNT; k++) {
			const char *t = tables[l]->text[k];
			cr_assert_eq(t[strlen(t) - 1], '.', "%s key %d: \"%s\"", tables[l]->lang, k, t);
		}
}

Test(explain, french_differs_from_english)
{
	/* a key left in English in the French table is a translation forgotten */
	for (int k = EX_CONNECT; k < EX_COUNT; k++)
		cr_assert_str_neq(explain_en.text[k], explain_fr.text[k], "key %d untranslated", k);
}

Test(explain, fill_substitutes_and_counts_missing)
{
	char out[64];
	struct explain_var v[] = { { "a", "1" }, { "bb", "two" } };
	cr_assert_eq(explain_fill("x{a}y{bb}z", v, 2, out, sizeof out), 0);
	cr_assert_str_eq(out, "x1ytwoz");
	cr_assert_eq(explain_fill("{c} and {a}", v, 2, out, sizeof out), 1);
	cr_assert_str_eq(out, "{c} and 1");
	cr_assert_eq(explain_fill("open { brace", v, 2, out, sizeof out), 0);
	cr_assert_str_eq(out, "open { brace");
}

Test(explain, fill_never_writes_past_cap)
{
	char out[8];
	struct explain_var v[] = { { "a", "0123456789" } };
	memset(out, 'X', sizeof out);
	explain_fill("<{a}>", v, 1, out, 6);
	cr_assert_str_eq(out, "<0123");
	cr_assert_eq(out[6], 'X');
	explain_fill("abc", v, 1, out, 1);
	cr_assert_str_eq(out, "");
}

Test(explain, table_by_language)
{
	cr_assert_eq(explain_table("fr"), &explain_fr);
	cr_assert_eq(explain_table("en"), &explain_en);
	cr_assert_eq(explain_table("de"), &explain_en);
	cr_assert_eq(explain_table(NULL), &explain_en);
}
