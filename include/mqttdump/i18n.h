/*
 * i18n.h - the language of every text output: gettext's message catalogues (po/).
 *
 * The English texts in the C sources are the message ids; po/LANG.po translates them and
 * meson builds them into LANG/LC_MESSAGES/mqttdump.mo. One language per process, chosen
 * once by i18n_init() before any output is built (docs/i18n.md). What stays English in
 * every language (JSON, the tshark-style summary labels and -V tree) is not wrapped.
 */
#ifndef MQTTDUMP_I18N_H
#define MQTTDUMP_I18N_H

#include <libintl.h>

#define MQTTDUMP_DOMAIN "mqttdump"

/* A text translated into the process's language, never NULL (so that a compiler following
 * a format through it, as GCC does under -fsanitize, sees one). */
__attribute__((format_arg(1))) static inline const char *i18n_gettext(const char *s)
{
	const char *t = dgettext(MQTTDUMP_DOMAIN, s);
	return t ? t : s;
}
#define _(s) i18n_gettext(s)
/* A text with a count, in the form the language uses for n ("1 frame", "2 frames"; French
 * "0 trame", "1 trame", "2 trames"): one and other are the English forms. */
__attribute__((format_arg(1), format_arg(2))) static inline const char *
i18n_ngettext(const char *one, const char *other, unsigned long n)
{
	const char *t = dngettext(MQTTDUMP_DOMAIN, one, other, n);
	return t ? t : n == 1 ? one : other;
}
#define n_(one, other, n) i18n_ngettext(one, other, n)
/* A text marked for xgettext only (a table entry), translated where it is used. */
#define N_(s) (s)

/* A text that comes from elsewhere (an event's reason, a warning: N_() marked where it is
 * written, English in JSON), translated for a text output; NULL and "" as they are ("" is
 * the catalogue's header to gettext). */
static inline const char *i18n_tr(const char *s)
{
	return s && *s ? i18n_gettext(s) : s;
}

/* Choose the language of the catalogues: lang ("en", "fr", "pt_BR"...), the catalogues in
 * localedir, or NULL for the program's own (the build tree's po/ next to the executable
 * when it holds this language's catalogue, else the installed LOCALEDIR). Works under
 * LC_ALL=C (LC_MESSAGES becomes C.UTF-8, the language is given to gettext through
 * LANGUAGE) and always hands out UTF-8. Returns 0 when lang is "en" or has a catalogue,
 * -1 when it has none (the texts then stay English). */
int i18n_init(const char *lang, const char *localedir);

/* The directory i18n_init bound the catalogues to ("" before it). */
const char *i18n_localedir(void);

/* Is the process's language English (no translation)? 1 or 0. */
int i18n_english(void);

#endif
