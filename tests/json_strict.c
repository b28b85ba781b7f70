/* json_strict: check JSON text with json-c's parser in strict mode (JSON_TOKENER_STRICT:
 * no comments, no trailing commas, no garbage after, JSON_TOKENER_VALIDATE_UTF8: UTF-8
 * only), and what json-c's strict mode still lets through (0.16): a control byte raw
 * inside a string and a single-quoted string (RFC 8259 sections 7 and 2).
 *
 * usage: json_strict lines|doc [FILE]   (standard input without FILE)
 *   lines: each line is one JSON value (JSON Lines); an empty line is an error
 *   doc:   the whole input is one JSON value (surrounding white space allowed)
 * Exit 0 when all is valid, 1 with "LINE: what" on standard error at the first invalid
 * value, 2 on a usage or read error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What json-c's strict mode accepts and RFC 8259 does not: a byte below 0x20 in a string,
 * a quote other than '"' outside one. */
static int lexical(const char *s, size_t n, const char **why)
{
	int in_str = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (in_str && c == '\\') {
			i++;
		} else if (c == '"') {
			in_str = !in_str;
		} else if (in_str && c < 0x20) {
			*why = "a control byte raw in a string";
			return -1;
		} else if (!in_str && c == '\'') {
			*why = "a single-quoted string";
			return -1;
		}
	}
	return 0;
}

/* 0 when the n bytes at s are exactly one JSON value (white space around it allowed);
 * s[n] is readable and white space (a number at the end needs a byte after it). */
static int check(const char *s, size_t n, const char **why)
{
	struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	json_object *o;
	enum json_tokener_error e;
	size_t used, i;
	int rc = 0;

	if (!tok) {
		*why = "out of memory";
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)n + 1);
	e = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	if (!o || e != json_tokener_success) {
		*why = e == json_tokener_continue ? "unfinished value" : json_tokener_error_desc(e);
		rc = -1;
	} else {
		for (i = used; i < n; i++)
			if (!strchr(" \t\r\n", s[i]))
				break;
		if (i < n) {
			*why = "text after the value";
			rc = -1;
		}
	}
	json_object_put(o);
	json_tokener_free(tok);
	return rc ? rc : lexical(s, n, why);
}

int main(int argc, char **argv)
{
	FILE *f = stdin;
	char *all = NULL;
	size_t len = 0, cap = 0, k;
	char chunk[65536];
	const char *why = "";
	int lines;

	if (argc < 2 || argc > 3 || (strcmp(argv[1], "lines") && strcmp(argv[1], "doc"))) {
		fprintf(stderr, "usage: json_strict lines|doc [FILE]\n");
		return 2;
	}
	lines = !strcmp(argv[1], "lines");
	if (argc == 3 && !(f = fopen(argv[2], "rb"))) {
		perror(argv[2]);
		return 2;
	}
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + k + 2 > cap) {
			char *p;
			cap = (len + k + 2) * 2;
			if (!(p = realloc(all, cap))) {
				fprintf(stderr, "json_strict: out of memory\n");
				return 2;
			}
			all = p;
		}
		memcpy(all + len, chunk, k);
		len += k;
	}
	if (ferror(f)) {
		perror("json_strict");
		return 2;
	}
	if (!all && !(all = calloc(1, 2))) {
		fprintf(stderr, "json_strict: out of memory\n");
		return 2;
	}
	all[len] = '\n'; /* (room was kept for it) */
	if (!lines) {
		if (check(all, len, &why)) {
			fprintf(stderr, "document: %s\n", why);
			free(all);
			return 1;
		}
		free(all);
		return 0;
	}
	for (size_t i = 0, no = 1; i < len; no++) {
		const char *nl = memchr(all + i, '\n', len - i); /* all[len] is a '\n' too */
		size_t e = nl ? (size_t)(nl - all) : len;
		if (e == i || check(all + i, e - i, &why)) {
			fprintf(stderr, "line %zu: %s: %.*s\n", no, e == i ? "empty line" : why,
				(int)(e - i < 200 ? e - i : 200), all + i);
			free(all);
			return 1;
		}
		i = e + 1;
	}
	free(all);
	return 0;
}
