/* \summary: the language of the text outputs: setlocale, LANGUAGE and the catalogues'
 * directory for gettext (include/mqttdump/i18n.h, docs/i18n.md) */
#include "mqttdump/i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static char bound[PATH_MAX];
static int english = 1;

const char *i18n_localedir(void)
{
	return bound;
}

int i18n_english(void)
{
	return english;
}

/* Does dir hold lang's catalogue of this program? */
static int has_catalogue(const char *dir, const char *lang)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof p, "%s/%s/LC_MESSAGES/" MQTTDUMP_DOMAIN ".mo", dir, lang);
	return access(p, R_OK) == 0;
}

/* The build tree's catalogues: meson builds them into po/ beside the executable
 * (build/po/fr/LC_MESSAGES/mqttdump.mo next to build/mqttdump). An installed program has
 * no po/ beside it and reads LOCALEDIR, so a run from the build tree (the tests, a
 * teacher trying a new language before installing) reads the catalogues just built. */
static const char *program_dir(const char *lang)
{
	static char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 4);
	char *slash;

	if (n <= 0)
		return NULL;
	dir[n] = '\0';
	if (!(slash = strrchr(dir, '/')))
		return NULL;
	strcpy(slash + 1, "po");
	return has_catalogue(dir, lang) ? dir : NULL;
}

int i18n_init(const char *lang, const char *localedir)
{
	const char *m;

	if (!lang || !*lang)
		lang = "en";
	if (!localedir && !(localedir = program_dir(lang)))
		localedir = LOCALEDIR;
	snprintf(bound, sizeof bound, "%s", localedir);
	/* Only LC_MESSAGES: numbers and character classes stay C, so no output changes its
	 * decimal point. glibc ignores LANGUAGE when LC_MESSAGES is "C" (the tests run
	 * under LC_ALL=C, and a machine may have no French locale at all): C.UTF-8 is not
	 * "C" and exists wherever glibc does. */
	m = setlocale(LC_MESSAGES, "");
	if (!m || !strcmp(m, "C") || !strcmp(m, "POSIX"))
		setlocale(LC_MESSAGES, "C.UTF-8");
	/* --lang (or the locale's language, main.c) wins over the LANGUAGE of the
	 * environment: the language is said once. */
	setenv("LANGUAGE", lang, 1);
	bindtextdomain(MQTTDUMP_DOMAIN, localedir);
	/* The catalogues are UTF-8, and so is every output, whatever LC_CTYPE says. */
	bind_textdomain_codeset(MQTTDUMP_DOMAIN, "UTF-8");
	english = !strcmp(lang, "en") || !strncmp(lang, "en_", 3);
	if (english)
		return 0;
	return has_catalogue(localedir, lang) ? 0 : -1;
}
