/* Unit tests of the --explain sentence tables: every key has a sentence in every language,
 * both languages use the same placeholders, and none is left unfilled. French is the
 * catalogue meson built from po/fr.po (build/po). */
#include "mqttdump/explain.h"
#include "mqttdump/i18n.h"
#include "mqttdump/report.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* Every placeholder a sentence may use, with a value to fill it. */
static const struct explain_var all_vars[] = {
	{ "text", "21.5" }, { "n", "12 bytes" }, { "topic", "maison/+/temperature" }, { "qos", "1" },
	{ "reason", "Not authorized" }, { "client", "sub-1" }, { "version", "3.1.1" },
	{ "keepalive", "60" }, { "user", "alice" }, { "pwlen", "10 bytes" },
	{ "will_topic", "clients/sub-1" }, { "payload", "\"bye\"" }, { "code", "5" },
	{ "id", "7" }, { "response_topic", "rr/reply" }, { "filters", "a/b at QoS 1" },
	{ "granted", "QoS 1 granted" }, { "type", "0" }, { "warning", "QoS 3" },
	{ "owner", "doomed" }, { "assigned", "auto-1" }, { "publisher", "pub-1" },
	{ "pub_qos", "2" }, { "max_qos", "1" }, { "matches", "a/+ (QoS 1 granted)" },
	{ "frame", "22" }, { "how", "a TCP FIN" }, { "silence", "5.1" }, { "length", "40" },
	{ "sni", "broker.local" }, { "versions", "TLSv1.3, TLSv1.2" },
	{ "tls_version", "TLSv1.2" }, { "suite", "TLS_AES_128_GCM_SHA256" },
	{ "subject", "CN=broker.local" }, { "issuer", "CN=ca" },
	{ "alert", "Handshake Failure" }, { "expiry", "60" },
};
#define NVARS (sizeof all_vars / sizeof all_vars[0])

/* The French table, from the build tree's catalogue. */
static const struct explain_table *fr_table(void)
{
	static const struct explain_table *t;
	if (!t) {
		cr_assert_eq(i18n_init("fr", BUILD_ROOT "/po"), 0, "no French catalogue in "
			     BUILD_ROOT "/po");
		t = explain_table("fr");
	}
	return t;
}
#define explain_fr (*fr_table())

static const struct explain_table *table(size_t l)
{
	return l ? fr_table() : &explain_en;
}

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
			const char *t = table(l)->text[k];
			cr_assert(t != NULL, "%s: key %d has no sentence", table(l)->lang, k);
			cr_assert(strlen(t) > 0, "%s: key %d is empty", table(l)->lang, k);
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
			int missing = explain_fill(table(l)->text[k], all_vars, NVARS, out, sizeof out);
			cr_assert_eq(missing, 0, "%s key %d: %d placeholders unknown in \"%s\"",
				     table(l)->lang, k, missing, table(l)->text[k]);
			cr_assert(strchr(out, '{') == NULL && strchr(out, '}') == NULL,
				  "%s key %d left a brace: %s", table(l)->lang, k, out);
		}
}

Test(explain, sentences_end_like_sentences)
{
	/* whole sentences (not the pieces before EX_CONNECT) end with a full stop */
	for (size_t l = 0; l < 2; l++)
		for (int k = EX_CONNECT; k < EX_COUNT; k++) {
			const char *t = table(l)->text[k];
			cr_assert_eq(t[strlen(t) - 1], '.', "%s key %d: \"%s\"", table(l)->lang, k, t);
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
	cr_assert_eq(explain_table("en"), &explain_en);
	cr_assert_eq(explain_table(NULL), &explain_en);
	cr_assert_neq(fr_table(), &explain_en);
	cr_assert_str_eq(fr_table()->text[EX_PAYLOAD_EMPTY], "un message vide");
}

/* MQTT 3.1.1 and 5.0 §4.7.1.2, §4.7.1.3, §4.7.2: the examples of the specification. */
static int tm(const char *f, const char *t)
{
	return explain_topic_matches(f, strlen(f), (const uint8_t *)t, strlen(t));
}

Test(explain, topic_matching_follows_the_specification)
{
	cr_assert(tm("sport/tennis/player1/#", "sport/tennis/player1"));
	cr_assert(tm("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
	cr_assert(tm("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
	cr_assert(tm("sport/#", "sport"));
	cr_assert(tm("#", "sport/tennis"));
	cr_assert(!tm("sport/tennis/#/ranking", "sport/tennis/x/ranking"), "# not last: invalid");
	cr_assert(tm("sport/tennis/+", "sport/tennis/player1"));
	cr_assert(!tm("sport/tennis/+", "sport/tennis/player1/ranking"));
	cr_assert(!tm("sport/+", "sport"));
	cr_assert(tm("sport/+", "sport/"));
	cr_assert(tm("+/+", "/finance"));
	cr_assert(tm("/+", "/finance"));
	cr_assert(!tm("+", "/finance"));
	cr_assert(tm("+/tennis/#", "sport/tennis/x"));
	cr_assert(!tm("#", "$SYS/broker"));
	cr_assert(!tm("+/monitor/Clients", "$SYS/monitor/Clients"));
	cr_assert(tm("$SYS/#", "$SYS/monitor/Clients"));
	cr_assert(tm("$SYS/monitor/+", "$SYS/monitor/Clients"));
	cr_assert(tm("a/b", "a/b"));
	cr_assert(!tm("a/b", "a/b/c"));
	cr_assert(!tm("a/b/c", "a/b"));
	cr_assert(!tm("a/b", "a/bc"));
	cr_assert(!tm("ACCOUNTS", "Accounts"), "case sensitive");
	cr_assert(tm("$share/group/a/+", "a/b"), "a shared subscription's filter");
	cr_assert(!tm("$share/group", "group"));
}

/* The no-break spaces of French typography: before ":" and ";", inside « ». */
Test(explain, french_typography)
{
	for (int k = 0; k < EX_COUNT; k++) {
		const char *t = explain_fr.text[k];
		cr_assert(!strstr(t, " :") && !strstr(t, " ;"), "fr key %d: a plain space before "
			  "a colon or semicolon: \"%s\"", k, t);
		cr_assert(!strstr(t, "\u00ab ") && !strstr(t, " \u00bb"), "fr key %d: « » need "
			  "no-break spaces: \"%s\"", k, t);
		for (const char *p = strchr(t, ':'); p; p = strchr(p + 1, ':'))
			cr_assert(p - t >= 2 && !memcmp(p - 2, "\u00a0", 2), "fr key %d: \"%s\"", k, t);
	}
}

/* No elision that depends on what a placeholder holds: "de {client}" reads "de abonne"
 * for a name that begins with a vowel. */
Test(explain, french_elision_never_depends_on_a_value)
{
	static const char *const elided[] = { "de", "le", "la", "que", "ne", "se", "je" };
	for (int k = 0; k < EX_COUNT; k++) {
		const char *t = explain_fr.text[k];
		for (const char *p = strchr(t, '{'); p; p = strchr(p + 1, '{'))
			for (size_t i = 0; i < sizeof elided / sizeof elided[0]; i++) {
				size_t n = strlen(elided[i]);
				int before = (size_t)(p - t) >= n + 1 && p[-1] == ' ' &&
					     !memcmp(p - 1 - n, elided[i], n) &&
					     ((size_t)(p - t) == n + 1 || p[-2 - (long)n] == ' ' ||
					      p[-2 - (long)n] == '\'');
				cr_assert(!before, "fr key %d: \"%s {\" in \"%s\"", k, elided[i], t);
			}
	}
}

/* Statements the issue found false, kept from coming back. */
Test(explain, tls_credentials_are_not_said_to_be_in_clear)
{
	const int keys[] = { EX_CONNECT_USER_PASS_TLS, EX_CONNECT_USER_TLS };
	for (size_t i = 0; i < 2; i++) {
		cr_assert(strstr(explain_en.text[keys[i]], "TLS"));
		cr_assert(!strstr(explain_en.text[keys[i]], "clear"));
		cr_assert(strstr(explain_fr.text[keys[i]], "TLS"));
		cr_assert(!strstr(explain_fr.text[keys[i]], "clair"));
	}
}

Test(explain, qos1_resend_only_on_reconnect)
{
	/* MQTT 3.1.1 and 5.0 §4.4 [MQTT-4.4.0-1]: no resend timer */
	cr_assert(strstr(explain_en.text[EX_PUB1_C2B], "reconnects"));
	cr_assert(!strstr(explain_en.text[EX_PUB1_C2B], "again until"));
	cr_assert(strstr(explain_fr.text[EX_PUB1_C2B], "reconnectant"));
	cr_assert(!strstr(explain_fr.text[EX_PUB1_C2B], "tant que"));
}

Test(explain, exactly_once_is_said_per_hop)
{
	for (size_t l = 0; l < 2; l++) {
		const char *hop = l ? "tronçon" : "hop";
		cr_assert(strstr(table(l)->text[EX_PUBCOMP_B2C], hop));
		cr_assert(strstr(table(l)->text[EX_PUBCOMP_C2B], hop));
	}
}

/* --width: report_wrap breaks between words, indents, and cuts a long word only between
 * characters and escapes. */
static void wrapped(const char *in, unsigned first, unsigned indent, unsigned width,
		    const char *want)
{
	struct report_buf b = { 0 };
	report_wrap(&b, in, strlen(in), first, indent, width);
	cr_assert_eq(b.len, strlen(want), "wrap(%s, %u): [%.*s]", in, width, (int)b.len, b.p);
	cr_assert(!memcmp(b.p, want, b.len), "wrap(%s, %u): [%.*s]", in, width, (int)b.len, b.p);
	report_buf_free(&b);
}

Test(explain, wrap_between_words_with_indents)
{
	wrapped("aaa bbb ccc ddd", 2, 4, 10, "  aaa bbb\n    ccc\n    ddd\n");
	wrapped("aaa bbb ccc ddd", 2, 4, 0, "  aaa bbb ccc ddd\n");   /* no width: one line */
	wrapped("aaa  bbb", 0, 0, 20, "aaa  bbb\n");                 /* spaces kept in a line */
	wrapped("aaa  bbb", 0, 0, 4, "aaa\nbbb\n");                  /* dropped where it breaks */
}

Test(explain, wrap_cuts_no_escape_and_no_character)
{
	/* 4 columns an escape: two do not fit in 6 */
	wrapped("\\x1b\\x1b\\x1b", 0, 0, 6, "\\x1b\n\\x1b\n\\x1b\n");
	wrapped("ab\\u202ecd", 0, 0, 5, "ab\n\\u202e\ncd\n");
	/* é is 2 bytes, 1 column */
	wrapped("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 1, 1, 3,
		" \xc3\xa9\xc3\xa9\n \xc3\xa9\xc3\xa9\n \xc3\xa9\n");
	/* a backslash that starts no escape is a character of its own */
	wrapped("\\xZZ", 0, 0, 2, "\\x\nZZ\n");
	cr_assert_eq(report_text_cut("\\x1b\xc3\xa9", 6, 5), 6);
	cr_assert_eq(report_text_cut("\\x1b\xc3\xa9", 6, 4), 4);
	cr_assert_eq(report_text_cut("\\x1b\xc3\xa9", 6, 3), 0);
}
