#define _GNU_SOURCE /* memmem */
/* \summary: --serve's page in the run's language: its own texts (buttons, headings, the
 * legend, the status and notices) translated through po/ and handed to the page's script
 * (include/mqttdump/serve.h, docs/i18n.md) */
#include "mqttdump/serve.h"

#include "mqttdump/i18n.h"
#include "mqttdump/jsonw.h"

#include <stdlib.h>
#include <string.h>

extern const unsigned char serve_page[];
extern const size_t serve_page_len;

/* Marks a plural text for xgettext (--keyword=NP_:1,2); a row of page_plurals. */
#define NP_(one, other) { one, other }

/* Every text of src/serve_page.html that is the page's own, as the page writes it: the
 * page looks each up in TR.t by its English text ({name} placeholders are the page's to
 * fill). A text missing here stays English on the page; tests/serve.py checks none is. */
static const char *const page_texts[] = {
	N_("mqttdump live"),
	N_("connecting…"),
	N_("live"),
	N_("reconnecting…"),
	N_("capture ended"),
	N_("Pause"),
	N_("Resume"),
	N_("stop adding arrows; they wait until resumed"),
	N_("Follow latest"),
	N_("keep the newest arrow in view"),
	N_("topic (+ #)"),
	N_("an MQTT topic filter: + one level, # the rest"),
	N_("client id"),
	N_("part of a client id"),
	N_("type"),
	N_("packet types, comma-separated: publish,puback (a prefix is enough)"),
	N_("session"),
	N_("publish"),
	N_("QoS acks"),
	N_("subscribe"),
	N_("ping"),
	N_("damaged"),
	N_("sequence diagram"),
	N_("Click an arrow for its detail"),
	/* TRANSLATORS: the title of the detail pane: {frame} a number, {what} the packet's
	 * name or an event, {path} "client → broker" */
	N_("Frame {frame}: {what} ({path})"),
	N_("event"),
	N_(" (now shown below)."),
};

/* Texts with a count {n}. The page has no plural rule of its own: the server sends the
 * forms gettext chooses for 0, 1 and 2, and the page uses them for 0, 1 and any other n
 * (right for English and French, and for every language of two forms; a language with
 * more forms would need its rule in the page). */
static const struct page_plural {
	const char *one, *other;
} page_plurals[] = {
	NP_("{n} shown", "{n} shown"),
	NP_(", {n} waiting", ", {n} waiting"),
	NP_(", {n} older dropped", ", {n} older dropped"),
	NP_(" ({n} new)", " ({n} new)"),
	NP_(": {n} byte", ": {n} bytes"),
	NP_("Reconnected: {n} event arrived while this page was away",
	    "Reconnected: {n} events arrived while this page was away"),
	NP_("{n} older event dropped: the server keeps the latest {last} (--serve-history).",
	    "{n} older events dropped: the server keeps the latest {last} (--serve-history)."),
	NP_("⋯ {n} event dropped before this page received it ⋯",
	    "⋯ {n} events dropped before this page received them ⋯"),
	NP_("{n} event was dropped from the history before this page received it.",
	    "{n} events were dropped from the history before this page received them."),
};

#define N_ELEMS(a) (sizeof (a) / sizeof (a)[0])

static void kstr(struct jsonw *w, const char *k, const char *v)
{
	jsonw_key_str(w, k, strlen(k));
	jsonw_str(w, v, strlen(v));
}

/* The strings object: {"lang": "fr", "t": {english: text}, "p": {one: [n=0, 1, 2]}}. */
static void strings_json(struct jsonw *w, const char *lang)
{
	jsonw_obj(w);
	kstr(w, "lang", lang);
	jsonw_key(w, "t");
	jsonw_obj(w);
	for (size_t i = 0; i < N_ELEMS(page_texts); i++)
		kstr(w, page_texts[i], _(page_texts[i]));
	jsonw_obj_end(w);
	jsonw_key(w, "p");
	jsonw_obj(w);
	for (size_t i = 0; i < N_ELEMS(page_plurals); i++) {
		const struct page_plural *p = &page_plurals[i];
		jsonw_key_str(w, p->one, strlen(p->one));
		jsonw_arr(w);
		for (unsigned long n = 0; n < 3; n++) {
			const char *t = n_(p->one, p->other, n);
			jsonw_str(w, t, strlen(t));
		}
		jsonw_arr_end(w);
	}
	jsonw_obj_end(w);
	jsonw_obj_end(w);
}

int serve_page_build(struct report_buf *out, const char *lang)
{
	static const char mark[] = "/*TR*/{}";
	const char *page = (const char *)serve_page;
	const char *at = memmem(page, serve_page_len, mark, sizeof mark - 1);
	struct report_buf js = { 0 };
	struct jsonw w;
	size_t head;

	if (!at)
		return -1;
	head = (size_t)(at - page) + 6; /* through the comment: the object replaces "{}" */
	jsonw_init(&w, &js, 0);
	strings_json(&w, lang && *lang ? lang : "en");
	if (w.fail || report_buf_room(out, head + js.len * 2 + serve_page_len)) {
		report_buf_free(&js);
		return -1;
	}
	memcpy(out->p, page, head);
	out->len = head;
	/* inside <script>, "</" would end it: "<\/" reads the same to JSON */
	for (size_t i = 0; i < js.len; i++) {
		if (js.p[i] == '/' && i && js.p[i - 1] == '<')
			out->p[out->len++] = '\\';
		out->p[out->len++] = js.p[i];
	}
	head += 2;
	memcpy(out->p + out->len, page + head, serve_page_len - head);
	out->len += serve_page_len - head;
	report_buf_free(&js);
	return 0;
}
