/* \summary: mqttdump command line: the options into one configuration (config.h), then
 * the run: the capture, the pipeline built from the configuration, messages, exit status */
#include "mqttdump/budget.h"
#include "mqttdump/capture.h"
#include "mqttdump/config.h"
#include "mqttdump/i18n.h"
#include "mqttdump/pipeline.h"
#include "mqttdump/progress.h"
#include "mqttdump/tlscrypto.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef MQTTDUMP_VERSION
#error "MQTTDUMP_VERSION comes from meson.build (project version)"
#endif

static struct cap *g_cap;
/* SIGPIPE came: the standard output (or a pipe an output writes to) was closed. */
static volatile sig_atomic_t g_pipe_closed;
/* SIGINT, SIGTERM or SIGHUP came: the run is finished, the outputs completed. */
static volatile sig_atomic_t g_stopped;
/* SIGUSR1 came: the counts are printed between records (as dd and tcpdump do). */
static volatile sig_atomic_t g_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	g_usr1 = 1;
}

static void on_signal(int sig)
{
	if (sig == SIGPIPE)
		g_pipe_closed = 1;
	else
		g_stopped = 1;
	if (g_cap)
		cap_stop(g_cap);
}

/* Live capture into a pipe: its reader may go away while no packet comes, so that no
 * line is written to find out. A timer looks four times a second (a pipe without a reader
 * polls as POLLERR). */
static void on_alarm(int sig)
{
	struct pollfd p = { .fd = 1 };
	int e = errno;

	(void)sig;
	if (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP))) {
		g_pipe_closed = 1;
		if (g_cap)
			cap_stop(g_cap);
	}
	errno = e;
}

static void watch_stdout(void)
{
	struct itimerval every = { { 0, 250000 }, { 0, 250000 } };
	struct sigaction sa;
	struct stat st;

	if (fstat(1, &st) < 0 || !S_ISFIFO(st.st_mode))
		return;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
}

/* --help, a function per part of it (each one message of po/ for the translators). */
static void usage_input(FILE *f)
{
	fputs(_("usage: mqttdump [-r FILE | -i IFACE] [options]\n"
		"       mqttdump -D\n"
		"Decode MQTT (3.1, 3.1.1, 5.0) in captured or live TCP traffic.\n"
		"\n"
		"input:\n"
		"  -r FILE              read a pcap or pcapng file (- for standard input)\n"
		"  -i IFACE             capture live on an interface (any: all of them; a number:\n"
		"                       the N-th of -D's list)\n"
		"  -s SNAPLEN           live: bytes captured of each packet (default: whole)\n"
		"  -D                   list the interfaces and exit\n"
		"  -f EXPR              BPF capture filter (live default: tcp port PORT...)\n"
		"  -p PORT              one more broker port to decode as MQTT (repeatable; the\n"
		"                       default 1883 stays)\n"
		"  --tls-port PORT      one more port of MQTT over TLS (default 8883 stays)\n"
		"  --ws-port PORT       one more port of MQTT over WebSocket (8080, 9001 stay)\n"
		"  --no-default-ports   only the ports given (-p, --tls-port, --ws-port)\n"
		"  --detect             also find MQTT on any other TCP port, by its CONNECT\n"
		"  --keylog FILE        decrypt TLS with the secrets of an NSS key log\n"
		"                       (SSLKEYLOGFILE) and decode the MQTT inside\n"
		"  -c N                 stop after N MQTT messages (that pass the filters)\n"
		"  -Z USER              as root: become USER once the input and the output files\n"
		"                       are open (live default: nobody)\n"), f);
}

static void usage_output(FILE *f)
{
	fputs(_("output:\n"
		"  (default)            one line per frame, as tshark prints it\n"
		"  --json, -T json      JSON Lines, one object per MQTT message or event\n"
		"  --eve                Suricata EVE JSON: mqtt, anomaly and flow records\n"
		"  --eve-max-msg-length SIZE  longer packets logged as truncated (default 1mb)\n"
		"  --eve-string-log-limit SIZE  bytes of a message or topic list logged (default:\n"
		"                       no limit)\n"
		"  --eve-max-tx N       transactions pending per connection (default 1024)\n"
		"  -q                   print nothing but the statistics line (on stderr)\n"
		"  -t a|ad|d|dd|e|r|u|ud  time column of the lines, as tshark's -t (default r)\n"
		"  -l                   flush the standard output after each line\n"
		"  -n                   accepted for tcpdump's habit: no name is ever resolved\n"
		"  -w OUT               write the frames that carry the messages to a new pcap\n"
		"                       (- for standard output), live or from a file\n"
		"  -C SIZE              with -w: a new file once one holds SIZE million bytes\n"
		"                       (OUT, OUT1, OUT2...; with -W N: OUT0...OUT<N-1>, a ring)\n"
		"  -G SECS              with -w: a new file every SECS of capture time (OUT is a\n"
		"                       strftime pattern); with -W N: stop after N files\n"
		"  -W N                 with -C or -G: the number of files\n"
		"  --payload-max N      payload bytes shown in JSON (default 256)\n"
		"  --show-secrets       show passwords and Authentication Data (hidden in\n"
		"                       every output otherwise)\n"), f);
}

static void usage_views(FILE *f)
{
	fputs(_("  -V, -v               detail tree of each frame holding MQTT (tshark -O mqtt)\n"
		"  -x                   hex and ASCII dump of those frames (and of reassembled\n"
		"                       messages), alone or with -V\n"
		"  --explain            after each message, what it means, in plain words\n"
		"  --lang LANG          language of the text outputs: en, fr or any language with\n"
		"                       a catalogue (default: from LC_ALL/LC_MESSAGES/LANG)\n"
		"  --diagram            sequence diagram of the exchange (colour on a terminal)\n"
		"  --diagram-svg FILE   the diagram as an SVG file (besides the normal output)\n"
		"  --diagram-html FILE  a self-contained HTML page: click an arrow for its detail\n"
		"  --diagram-max N      messages drawn at most (default 2000)\n"
		"  --width N            columns of --explain and --diagram (default: the terminal's)\n"
		"  --timeline FILE      sessions, transactions and events as one JSON document\n"
		"                       (- for standard output), at the end\n"
		"  --stats[=json]       statistics report at the end (text or JSON)\n"
		"  (one output owns the standard output: a document there, --timeline -,\n"
		"  --stats=json or -w -, replaces the lines; see man mqttdump)\n"
		"  --serve [ADDR:]PORT  draw the exchange live in a browser at http://ADDR:PORT/\n"
		"                       (default ADDR 127.0.0.1; a file: served until ^C)\n"
		"  --serve-history N    records kept for --serve's viewers (default 10000)\n"
		"  --replay-speed N     --serve -r: replay at the capture's pace (1, the\n"
		"                       default), N times faster (0.5: slower), or 0: at once\n"
		"  --stats-interval S   a statistics record every S seconds of capture time\n"
		"                       (JSON with --json or --eve)\n"), f);
}

static void usage_filters(FILE *f)
{
	fputs(_("filters (every output; a kind repeated: any of its values):\n"
		"  --topic FILTER       PUBLISH, SUBSCRIBE, UNSUBSCRIBE matching an MQTT topic filter\n"
		"                       (+ and # wildcards), and their acknowledgements\n"
		"  --client ID          the connections of this client id\n"
		"  --type TYPE          packets of one type (PUBLISH, puback, 3, ...)\n"
		"limits:\n"
		"  --max-buffer BYTES   largest MQTT packet gathered (default 16777216)\n"
		"  --max-memory BYTES   memory all connections may hold (default 268435456; 0: none)\n"
		"  --max-flows N        connections tracked at once (default 262144)\n"
		"  --flow-timeout SECS  close a connection idle this long (default 3600; 0: never)\n"
		"  --reorder-time SECS  how long a segment held behind a hole waits for it (capture\n"
		"                       time; default 10; 0: no time bound)\n"
		"  -h, --help           this help\n"
		"  --version            print the version\n"), f);
}

/* --help, in the language of --lang or the locale (early_lang()). */
static void usage(FILE *f)
{
	usage_input(f);
	usage_output(f);
	usage_views(f);
	usage_filters(f);
}

/* The short options. To add one: a letter here (':' after it when it takes a value), and
 * a case in input_option() or output_option(). The leading ':' makes getopt return ':'
 * for a missing value, so that every error is one line of ours (bad_option()). */
#define SHORT_OPTS ":r:i:Df:p:c:qhVvxZ:w:nlt:T:s:C:G:W:"
/* tcpdump and tshark options that have no meaning here: named as such when given. */
#define FOREIGN_OPTS "2AEFKLNORSXYbdeoyz"

enum { OPT_JSON = 256, OPT_PAYLOAD_MAX, OPT_SHOW_SECRETS, OPT_MAX_BUFFER, OPT_MAX_FLOWS,
       OPT_FLOW_TIMEOUT, OPT_VERSION, OPT_TIMELINE, OPT_STATS, OPT_TOPIC, OPT_CLIENT, OPT_TYPE,
       OPT_TLS_PORT, OPT_WS_PORT, OPT_DETECT, OPT_KEYLOG,
       OPT_EXPLAIN, OPT_LANG, OPT_DIAGRAM, OPT_DIAGRAM_MAX, OPT_REORDER_TIME,
       OPT_DIAGRAM_SVG, OPT_DIAGRAM_HTML, OPT_NO_DEFAULT_PORTS,
       OPT_EVE, OPT_EVE_MAX_MSG, OPT_EVE_STRING_LIMIT, OPT_EVE_MAX_TX, OPT_MAX_MEMORY,
       OPT_WIDTH, OPT_SERVE, OPT_SERVE_HISTORY, OPT_REPLAY_SPEED,
       OPT_STATS_INTERVAL };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "eve", no_argument, NULL, OPT_EVE },
	{ "eve-max-msg-length", required_argument, NULL, OPT_EVE_MAX_MSG },
	{ "eve-string-log-limit", required_argument, NULL, OPT_EVE_STRING_LIMIT },
	{ "eve-max-tx", required_argument, NULL, OPT_EVE_MAX_TX },
	{ "payload-max", required_argument, NULL, OPT_PAYLOAD_MAX },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "max-buffer", required_argument, NULL, OPT_MAX_BUFFER },
	{ "max-memory", required_argument, NULL, OPT_MAX_MEMORY },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT },
	{ "reorder-time", required_argument, NULL, OPT_REORDER_TIME },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "stats", optional_argument, NULL, OPT_STATS },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "topic", required_argument, NULL, OPT_TOPIC },
	{ "client", required_argument, NULL, OPT_CLIENT },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "tls-port", required_argument, NULL, OPT_TLS_PORT },
	{ "ws-port", required_argument, NULL, OPT_WS_PORT },
	{ "no-default-ports", no_argument, NULL, OPT_NO_DEFAULT_PORTS },
	{ "detect", no_argument, NULL, OPT_DETECT },
	{ "keylog", required_argument, NULL, OPT_KEYLOG },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "diagram", optional_argument, NULL, OPT_DIAGRAM },
	{ "diagram-svg", required_argument, NULL, OPT_DIAGRAM_SVG },
	{ "diagram-html", required_argument, NULL, OPT_DIAGRAM_HTML },
	{ "diagram-max", required_argument, NULL, OPT_DIAGRAM_MAX },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "serve", required_argument, NULL, OPT_SERVE },
	{ "serve-history", required_argument, NULL, OPT_SERVE_HISTORY },
	{ "replay-speed", required_argument, NULL, OPT_REPLAY_SPEED },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A bad value: one line naming the option, exit 2. */
static void refuse(const char *fmt, const char *a, const char *b)
{
	fputs(_("mqttdump: "), stderr);
	fprintf(stderr, _(fmt), a, b);
	fputc('\n', stderr);
	exit(2);
}

/* A whole number in [lo, hi], or exit with a message naming the option. */
static uint64_t number(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, _("mqttdump: %s: \"%s\" is not a number from %" PRIu64 " to %" PRIu64
			"\n"), opt, s, lo, hi);
		exit(2);
	}
	return v;
}

/* Seconds, a decimal number from 0.001 to 100000000, in nanoseconds; or exit with a
 * message naming the option. */
static uint64_t seconds_ns(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.001 && v <= 100000000)) {
		fprintf(stderr, _("mqttdump: %s: \"%s\" is not a number of seconds from 0.001 to "
			"100000000\n"), opt, s);
		exit(2);
	}
	return (uint64_t)(v * 1e9 + 0.5);
}

/* A size as Suricata writes one: bytes, or a number with kb, mb or gb (1024s; any case),
 * at most UINT32_MAX; or exit with a message naming the option. */
static uint32_t size_value(const char *opt, const char *s)
{
	static const char *const units[] = { "", "kb", "mb", "gb" };
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	for (int u = 0; u < 4 && !errno && end != s && s[0] != '-'; u++)
		if (!strcasecmp(end, units[u]) && v <= (UINT32_MAX >> (10 * u)))
			return (uint32_t)(v << (10 * u));
	fprintf(stderr, _("mqttdump: %s: invalid size argument \"%s\" (bytes, or a number with kb,"
		" mb or gb, up to 4gb)\n"), opt, s);
	exit(2);
}

/* --replay-speed: 0, or a decimal number from 0.01 to 1000000; or exit with a message. */
static double speed_value(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v == 0 || (v >= 0.01 && v <= 1000000))) {
		fprintf(stderr, _("mqttdump: --replay-speed: \"%s\" is not 0 or a number from 0.01 "
			"to 1000000\n"), s);
		exit(2);
	}
	return v;
}

/* The FILE an output option writes: "-" (the standard output where the option allows
 * it) or a path that does not look like an option ("--diagram=svg --json" must not
 * create a file named --json). */
static const char *out_path(const char *opt, const char *path)
{
	if (path[0] == '\0')
		refuse("%s: give the FILE to write%s", opt, "");
	if (path[0] == '-' && path[1] != '\0')
		refuse("%s: \"%s\" looks like an option, not a FILE (write ./FILE for a file "
		       "whose name starts with -)", opt, path);
	return path;
}

/* As root, once the input and the output files are open: become USER (-Z; live capture:
 * "nobody" by default where it exists), as tcpdump does. Returns 0, or -1 with a message
 * printed. */
static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		if (user)
			fprintf(stderr, _("mqttdump: warning: -Z %s ignored: not running as root\n"),
				user);
		return 0;
	}
	if (!user) {
		if (!getpwnam("nobody"))
			return 0; /* nowhere to go: stay, as tcpdump does */
		user = "nobody";
	}
	if (!(pw = getpwnam(user))) {
		fprintf(stderr, _("mqttdump: -Z: no user \"%s\"\n"), user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		fprintf(stderr, _("mqttdump: cannot become %s: %s\n"), user, strerror(errno));
		return -1;
	}
	return 0;
}

/* Add a port to a set, or exit naming the option. */
static void add_port(const char *opt, const char *arg, struct port_set *set)
{
	if (port_set_add(set, (uint16_t)number(opt, arg, 1, 65535)) < 0) {
		fprintf(stderr, _("mqttdump: out of memory\n"));
		exit(1);
	}
}

/* A language as --lang takes it: "fr", "pt_BR" (ll or lll, an optional _CC), nothing
 * that could name another directory. */
static int lang_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz");

	if (n < 2 || n > 3)
		return 0;
	if (!s[n])
		return 1;
	return s[n] == '_' && strlen(s + n + 1) == 2 && strspn(s + n + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 2;
}

/* --lang's default: the language of the locale (LC_ALL, LC_MESSAGES, LANG, the first
 * set), "fr" of "fr_FR.UTF-8"; English for C, POSIX or a name that is no language. */
static const char *locale_lang(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	static char lang[4];
	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v) {
			size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz");
			if (n < 2 || n > 3 || (v[n] && !strchr("_.@", v[n])))
				return "en";
			memcpy(lang, v, n);
			lang[n] = '\0';
			return lang;
		}
	}
	return "en";
}

/* The catalogues of c->lang (i18n.h). A language --lang names must have one (or be
 * English); the locale's language falls back to English when it has none. */
static int choose_lang(struct mqttdump_config *c, int from_option)
{
	if (i18n_init(c->lang, NULL) == 0)
		return 0;
	if (from_option) {
		fprintf(stderr, _("mqttdump: --lang: \"%s\" is not en or a language with a message "
			"catalogue (none in po/ beside the program, nor in %s)\n"), c->lang, i18n_localedir());
		return -1;
	}
	c->lang = "en";
	return i18n_init(c->lang, NULL);
}

/* The language of --help and of the command line's errors, chosen before getopt reads
 * it: --lang may come after -h or after the bad option (mqttdump --help --lang fr), so
 * argv is read for it first; the last one counts, as in the option loop. A --lang that
 * is no language, or has no catalogue, leaves them English (choose_lang() refuses it). */
static void early_lang(int argc, char **argv, const char *locale)
{
	const char *lang = locale;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--lang") && i + 1 < argc)
			lang = argv[++i];
		else if (!strncmp(argv[i], "--lang=", 7))
			lang = argv[i] + 7;
	}
	if (!lang_name(lang) || i18n_init(lang, NULL) < 0)
		i18n_init("en", NULL);
}

/* NO_COLOR (no-color.org): set to anything but the empty string turns colour off. */
static int no_color(void)
{
	const char *v = getenv("NO_COLOR");
	return v && *v;
}

/* --diagram (text, on standard output), --diagram=svg FILE, --diagram=html FILE (FILE the
 * next argument, as before --diagram-svg and --diagram-html). Exits on a bad kind or a
 * missing FILE. */
static void diagram_option(struct mqttdump_config *c, int argc, char **argv)
{
	const char *file;

	if (!optarg || !strcmp(optarg, "text")) {
		c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT);
		return;
	}
	if (strcmp(optarg, "svg") && strcmp(optarg, "html"))
		refuse("--diagram: \"%s\" is not text, svg or html%s", optarg, "");
	if (optind >= argc || argv[optind][0] == '\0')
		refuse("--diagram=%s: give the FILE to write%s", optarg, "");
	file = out_path(!strcmp(optarg, "svg") ? "--diagram=svg" : "--diagram=html",
			argv[optind++]);
	if (!strcmp(optarg, "svg")) {
		c->diagram_svg = file;
		c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_SVG);
	} else {
		c->diagram_html = file;
		c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_HTML);
	}
}

/* --topic, --client, --type: each adds to its kind (any of them passes). Exits on an
 * invalid topic filter (with the rule it breaks) or an unknown type. */
static void filter_option(struct mqttdump_config *c, int opt)
{
	const char *why;
	int t;

	if (opt == OPT_TOPIC && (why = mqttdump_topic_filter_error(optarg)))
		refuse("--topic: \"%s\" is not a valid topic filter: %s", optarg, i18n_tr(why));
	if (opt == OPT_TYPE) {
		if ((t = session_type_by_name(optarg)) < 0)
			refuse("--type: \"%s\" is not an MQTT packet type%s", optarg, "");
		c->select.types |= 1u << t;
		return;
	}
	if ((opt == OPT_TOPIC ? mqttdump_config_add_topic(c, optarg) :
	     mqttdump_config_add_client(c, optarg)) < 0) {
		fprintf(stderr, _("mqttdump: out of memory\n"));
		exit(1);
	}
}

/* An option of what is read and followed, the limits or the filters: 1 when opt is one,
 * else 0. Exits on a bad value. */
static int input_option(struct mqttdump_config *c, int opt)
{
	switch (opt) {
	case 'r': c->file = optarg; break;
	case 'i': c->iface = optarg; break;
	case 'D': c->list_interfaces = 1; break;
	case 'f': c->filter = optarg; break;
	case 'Z': c->user = optarg; break;
	case 'n': break; /* mqttdump never resolves names */
	case 's': c->snaplen = (uint32_t)number("-s", optarg, 0, 262144); break;
	case 'p': add_port("-p", optarg, &c->ports); break;
	case OPT_TLS_PORT: add_port("--tls-port", optarg, &c->tls_ports); break;
	case OPT_WS_PORT: add_port("--ws-port", optarg, &c->ws_ports); break;
	case OPT_NO_DEFAULT_PORTS: c->no_default_ports = 1; break;
	case OPT_DETECT: c->detect = 1; break;
	case OPT_KEYLOG: c->keylog_path = optarg; break;
	case 'c': c->max_messages = number("-c", optarg, 1, UINT64_MAX); break;
	case OPT_MAX_BUFFER:
		c->max_buffer = (uint32_t)number("--max-buffer", optarg, 64, 1u << 30);
		break;
	case OPT_MAX_MEMORY:
		c->max_memory = (size_t)number("--max-memory", optarg, 0, (uint64_t)1 << 44);
		break;
	case OPT_MAX_FLOWS:
		c->max_flows = (size_t)number("--max-flows", optarg, 1, 100000000);
		break;
	case OPT_FLOW_TIMEOUT:
		c->flow_timeout = (double)number("--flow-timeout", optarg, 0, 100000000);
		break;
	case OPT_REORDER_TIME:
		c->reorder_time = (double)number("--reorder-time", optarg, 0, 100000000);
		break;
	case OPT_TOPIC: case OPT_CLIENT: case OPT_TYPE: filter_option(c, opt); break;
	default: return 0;
	}
	return 1;
}

/* -t FORMAT: tshark's names of the time column. */
static int time_format(const char *s)
{
	static const struct { const char *name; int fmt; } t[] = {
		{ "r", REPORT_TIME_RELATIVE }, { "a", REPORT_TIME_ABSOLUTE },
		{ "ad", REPORT_TIME_ABS_DATE }, { "d", REPORT_TIME_DELTA },
		{ "dd", REPORT_TIME_DELTA_SHOWN }, { "e", REPORT_TIME_EPOCH },
		{ "u", REPORT_TIME_UTC }, { "ud", REPORT_TIME_UTC_DATE },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (!strcmp(s, t[i].name))
			return t[i].fmt;
	refuse("-t: \"%s\" is not one of a, ad, d, dd, e, r, u, ud (tshark's -t)%s", s, "");
	return 0;
}

/* -T NAME: tshark's output formats that mqttdump has. */
static void output_format(struct mqttdump_config *c, const char *s)
{
	if (!strcmp(s, "json"))
		c->outputs |= OUTPUT_BIT(OUTPUT_JSON);
	else if (!strcmp(s, "eve"))
		c->outputs |= OUTPUT_BIT(OUTPUT_EVE);
	else if (strcmp(s, "text"))
		refuse("-T %s: not supported (mqttdump writes text, JSON Lines with -T json, or "
		       "Suricata EVE with -T eve; see mqttdump --help)%s", s, "");
}

/* The options that write what is seen, and how (the output files among them): 1 when opt
 * is one, else 0. */
static int stream_option(struct mqttdump_config *c, int opt, int argc, char **argv)
{
	switch (opt) {
	case OPT_JSON: c->outputs |= OUTPUT_BIT(OUTPUT_JSON); break;
	case OPT_EVE: c->outputs |= OUTPUT_BIT(OUTPUT_EVE); break;
	case 'T': output_format(c, optarg); break;
	case 'V': case 'v': c->outputs |= OUTPUT_BIT(OUTPUT_TREE); break;
	case 'x': c->outputs |= OUTPUT_BIT(OUTPUT_HEX); break;
	case OPT_EXPLAIN: c->outputs |= OUTPUT_BIT(OUTPUT_EXPLAIN); break;
	case 't': c->time_format = time_format(optarg); break;
	case 'l': c->line_buffered = 1; break;
	case OPT_DIAGRAM: diagram_option(c, argc, argv); break;
	case OPT_DIAGRAM_SVG:
		c->diagram_svg = out_path("--diagram-svg", optarg);
		c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_SVG);
		break;
	case OPT_DIAGRAM_HTML:
		c->diagram_html = out_path("--diagram-html", optarg);
		c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_HTML);
		break;
	case 'w':
		c->write_file = out_path("-w", optarg);
		c->outputs |= OUTPUT_BIT(OUTPUT_SELECT);
		break;
	case 'C': c->write_max_bytes = number("-C", optarg, 1, 1000000) * 1000000; break;
	case 'G': c->write_seconds = (uint32_t)number("-G", optarg, 1, 100000000); break;
	case 'W': c->write_count = (uint32_t)number("-W", optarg, 1, 1000000); break;
	case OPT_TIMELINE:
		c->timeline_file = out_path("--timeline", optarg);
		c->outputs |= OUTPUT_BIT(OUTPUT_TIMELINE);
		break;
	case OPT_STATS_INTERVAL:
		c->stats_interval_ns = seconds_ns("--stats-interval", optarg);
		c->outputs |= OUTPUT_BIT(OUTPUT_INTERVAL);
		break;
	default: return 0;
	}
	return 1;
}

/* An option of the outputs: 1 when opt is one, else 0. -q is told in *quiet. Exits on a
 * bad value. */
static int output_option(struct mqttdump_config *c, int opt, int argc, char **argv,
			 int *quiet)
{
	if (stream_option(c, opt, argc, argv))
		return 1;
	switch (opt) {
	case 'q': *quiet = 1; break;
	case OPT_STATS:
		if (optarg && strcmp(optarg, "json") && strcmp(optarg, "text"))
			refuse("--stats: \"%s\" is not text or json%s", optarg, "");
		c->stats_json = optarg && !strcmp(optarg, "json");
		c->outputs |= OUTPUT_BIT(OUTPUT_STATS);
		break;
	case OPT_PAYLOAD_MAX:
		c->payload_max = (uint32_t)number("--payload-max", optarg, 0, UINT32_MAX);
		break;
	case OPT_SHOW_SECRETS: c->show_secrets = 1; break;
	case OPT_LANG:
		if (!lang_name(optarg))
			refuse("--lang: \"%s\" is not a language name (en, fr, pt_BR...)%s", optarg, "");
		c->lang = optarg;
		break;
	case OPT_DIAGRAM_MAX:
		c->diagram_max = (uint32_t)number("--diagram-max", optarg, 1, 1000000);
		break;
	case OPT_EVE_MAX_MSG: c->eve_max_msg_len = size_value("--eve-max-msg-length", optarg); break;
	case OPT_EVE_STRING_LIMIT:
		c->eve_string_limit = size_value("--eve-string-log-limit", optarg);
		break;
	case OPT_EVE_MAX_TX:
		c->eve_max_tx = (uint32_t)number("--eve-max-tx", optarg, 1, 1000000);
		break;
	case OPT_WIDTH: c->width = (uint32_t)number("--width", optarg, 40, 1000); break;
	case OPT_SERVE:
		c->serve_addr = optarg;
		c->outputs |= OUTPUT_BIT(OUTPUT_SERVE);
		break;
	case OPT_SERVE_HISTORY:
		c->serve_history = (uint32_t)number("--serve-history", optarg, 1, 1000000);
		break;
	case OPT_REPLAY_SPEED:
		c->replay_speed = speed_value(optarg);
		break;
	default: return 0;
	}
	return 1;
}

/* The standard output has one owner (README, "One owner for each output"). A document
 * there (--timeline -, a diagram file -, --stats=json, -w -) owns it alone: the
 * per-frame lines, shown by default, step aside; asked for by name (--json, -V, -x,
 * --explain, --diagram, --stats), or a second document, the run is refused. The text
 * --stats ends the text lines, never the JSON ones. Returns 0, or 2 with the reason
 * printed. -q: no lines at all. */
static int settle_stdout(struct mqttdump_config *c, int quiet)
{
	static const struct { int out; const char *name; } lines[] = {
		{ OUTPUT_JSON, "--json" }, { OUTPUT_EVE, "--eve" }, { OUTPUT_TREE, "-V" },
		{ OUTPUT_HEX, "-x" },
		{ OUTPUT_EXPLAIN, "--explain" }, { OUTPUT_DIAGRAM_TEXT, "--diagram" },
		{ OUTPUT_INTERVAL, "--stats-interval" },
	};
	const char *doc[6], *line = NULL;
	size_t n = 0;
	int stats = (c->outputs & OUTPUT_BIT(OUTPUT_STATS)) != 0;

#define DASH(out, path, name) \
	if ((c->outputs & OUTPUT_BIT(out)) && path && !strcmp(path, "-")) doc[n++] = name
	DASH(OUTPUT_TIMELINE, c->timeline_file, "--timeline -");
	DASH(OUTPUT_DIAGRAM_SVG, c->diagram_svg, "--diagram-svg -");
	DASH(OUTPUT_DIAGRAM_HTML, c->diagram_html, "--diagram-html -");
	DASH(OUTPUT_SELECT, c->write_file, "-w -");
#undef DASH
	if (stats && c->stats_json)
		doc[n++] = "--stats=json";
	for (size_t i = 0; i < sizeof lines / sizeof lines[0] && !line; i++)
		if (c->outputs & OUTPUT_BIT(lines[i].out))
			line = lines[i].name;
	if (!line && stats && !c->stats_json)
		line = "--stats";
	if (n > 1 || (n == 1 && line)) {
		fprintf(stderr, _("mqttdump: %s and %s both write to the standard output: give one "
			"of them a FILE, or -q\n"), doc[0], n > 1 ? doc[1] : line);
		return 2;
	}
	if (stats && !c->stats_json && (c->outputs & (OUTPUT_BIT(OUTPUT_JSON) |
						      OUTPUT_BIT(OUTPUT_EVE)))) {
		fprintf(stderr, _("mqttdump: --stats (text) would follow the JSON lines on the "
			"standard output: use --stats=json with -q, or drop --json\n"));
		return 2;
	}
	if (n == 0 && !quiet && !(c->outputs & (OUTPUT_BIT(OUTPUT_JSON) | OUTPUT_BIT(OUTPUT_EVE) |
				      OUTPUT_BIT(OUTPUT_TREE) | OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT))))
		c->outputs |= OUTPUT_BIT(OUTPUT_SUMMARY);
	/* the text diagram comes after the frames' text: with --explain or -x (and no -V),
	 * the frames' lines are that text */
	if (n == 0 && !quiet && (c->outputs & OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT)) &&
	    (c->outputs & (OUTPUT_BIT(OUTPUT_EXPLAIN) | OUTPUT_BIT(OUTPUT_HEX))) &&
	    !(c->outputs & OUTPUT_BIT(OUTPUT_TREE)))
		c->outputs |= OUTPUT_BIT(OUTPUT_SUMMARY);
	return 0;
}

/* What the standard output shows: JSON, the text diagram, the detail tree or one line a
 * frame; with the text ones, --explain's sentences and -x's dumps; nothing with -q.
 * Returns 0, or 2 when two outputs claim the standard output. */
static int choose_outputs(struct mqttdump_config *c, int quiet)
{
	const unsigned text_only = OUTPUT_BIT(OUTPUT_TREE) | OUTPUT_BIT(OUTPUT_EXPLAIN) |
				   OUTPUT_BIT(OUTPUT_HEX);
	const unsigned json_out = OUTPUT_BIT(OUTPUT_JSON) | OUTPUT_BIT(OUTPUT_EVE);
	const unsigned main_out = json_out | OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT) |
				  OUTPUT_BIT(OUTPUT_TREE);

	if (quiet) {
		c->outputs &= ~(main_out | text_only);
		return settle_stdout(c, 1);
	}
	if ((c->outputs & json_out) == json_out) {
		fprintf(stderr, _("mqttdump: --json and --eve both write JSON lines to the standard "
			"output: choose one\n"));
		return 2;
	}
	if (c->outputs & json_out)
		c->outputs &= ~(OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT) | text_only);
	return settle_stdout(c, 0);
}

/* An option getopt did not accept: one line naming it, exit status 2. */
static int bad_option(int opt, char **argv)
{
	char name[64];

	if (optopt == 0 || optopt >= 256) { /* a long option: its word as given */
		snprintf(name, sizeof name, "%s", argv[optind - 1]);
		name[strcspn(name, "=")] = '\0';
	} else {
		snprintf(name, sizeof name, "-%c", optopt);
	}
	if (opt == ':')
		fprintf(stderr, _("mqttdump: %s needs a value (see mqttdump --help)\n"), name);
	else if (optopt > 0 && optopt < 256 && strchr(FOREIGN_OPTS, optopt))
		fprintf(stderr, _("mqttdump: %s: a tcpdump/tshark option that mqttdump does not "
			"have (see mqttdump --help, man mqttdump)\n"), name);
	else
		fprintf(stderr, _("mqttdump: unknown option %s (see mqttdump --help)\n"), name);
	return 2;
}

/* The command line into c. Returns -1 to go on and run, else the exit status (--help,
 * --version, a bad option). */
static int parse_options(int argc, char **argv, struct mqttdump_config *c)
{
	int opt, quiet = 0;
	const char *locale = locale_lang();

	c->lang = locale;
	early_lang(argc, argv, locale);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, SHORT_OPTS, long_opts, NULL)) != -1) {
		if (input_option(c, opt) || output_option(c, opt, argc, argv, &quiet))
			continue;
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == OPT_VERSION) {
			printf("mqttdump %s\n", MQTTDUMP_VERSION);
			return 0;
		}
		return bad_option(opt, argv);
	}
	if (optind < argc) {
		fprintf(stderr, _("mqttdump: unexpected argument \"%s\" (see mqttdump --help)\n"),
			argv[optind]);
		return 2;
	}
	if (choose_lang(c, c->lang != locale) < 0)
		return 2;
	if (choose_outputs(c, quiet))
		return 2;
	c->diagram_color = !no_color() && isatty(fileno(stdout));
	if (mqttdump_config_default_ports(c) < 0) {
		fprintf(stderr, _("mqttdump: out of memory\n"));
		return 1;
	}
	if (!c->ports.n && !c->tls_ports.n && !c->ws_ports.n && !c->detect) {
		fprintf(stderr, _("mqttdump: --no-default-ports: no port left to follow (add -p, "
			"--tls-port, --ws-port or --detect)\n"));
		return 2;
	}
	return -1;
}

/* ---- the run ------------------------------------------------------------------------ */

struct run {
	const struct mqttdump_config *cfg;
	const char *name;           /* the file or the interface, for messages */
	const char *filter;         /* the BPF filter in force, or NULL */
	char *live_filter;          /* the default one of a live capture (owned) */
	struct tls_keylog *keylog;
	struct cap *cap;
	struct pipeline *pipeline;
	struct cap_writer *writer;  /* -w */
	int write_failed;           /* -w: a file could not be opened or written */
	struct progress progress;   /* a long read with stderr on a terminal */
	uint64_t packets;
	int out_errno;              /* why the standard output first failed, or 0 */
	char err[512];
	char werr[512];             /* -w's error */
};

/* Live without -f: let the kernel keep only the followed ports, tagged or not ("tcp port
 * 1883 or ... or (vlan and (tcp port 1883 or ...))", the VLAN part only where the link
 * type has tags: not on -i any); with --detect, all of TCP. NULL when out of memory. */
static char *live_filter(const struct mqttdump_config *c, int vlan)
{
	const struct port_set *sets[3] = { &c->ports, &c->tls_ports, &c->ws_ports };
	size_t n = 0, o = 0, cap;
	char *ports, *f;

	if (c->detect)
		return strdup(vlan ? "tcp or (vlan and tcp)" : "tcp");
	for (int l = 0; l < 3; l++)
		n += sets[l]->n;
	cap = n * sizeof " or tcp port 65535" + 1;
	if (!(ports = malloc(cap)))
		return NULL;
	ports[0] = '\0';
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < sets[l]->n; i++)
			o += (size_t)snprintf(ports + o, cap - o, "%stcp port %u", o ? " or " : "",
					      sets[l]->list[i]);
	if (!vlan)
		return ports;
	if ((f = malloc(2 * o + 32)))
		snprintf(f, 2 * o + 32, "%s or (vlan and (%s))", ports, ports);
	free(ports);
	return f;
}

/* -w's writer, opened before the privileges are dropped (as tcpdump does). Returns 0, or
 * -1 with the message printed. */
static int open_writer(struct run *r)
{
	const struct mqttdump_config *c = r->cfg;
	struct cap_wopts o = { c->write_file, c->write_max_bytes, c->write_seconds,
			       c->write_count, cap_is_live(r->cap) || !strcmp(c->write_file, "-") };

	if (!(r->writer = cap_writer_open(&o, cap_linktype(r->cap), cap_ts_digits(r->cap), r->err,
					  sizeof r->err))) {
		fprintf(stderr, "mqttdump: -w %s\n", r->err);
		return -1;
	}
	return 0;
}

/* -w's sink: a frame that carries messages. Returns non-zero to write no more. */
static int write_frame(void *ctx, const struct cap_pkt *pkt)
{
	struct run *r = ctx;
	int rc = cap_writer_write(r->writer, pkt, r->werr, sizeof r->werr);

	if (rc != 0)
		cap_stop(r->cap); /* -G -W complete, or writing failed: the run ends */
	if (rc < 0)
		r->write_failed = 1;
	return rc;
}

/* The key log, the capture and its filter, -w's file. Returns 0, or the exit status with
 * the message printed. */
static int open_input(struct run *r)
{
	const struct mqttdump_config *c = r->cfg;
	char *err = r->err;

	if (c->keylog_path && !(r->keylog = tls_keylog_load(c->keylog_path, err, sizeof r->err))) {
		fprintf(stderr, _("mqttdump: --keylog %s: %s\n"), c->keylog_path, err);
		return 1;
	}
	r->name = c->file ? c->file : c->iface;
	r->cap = c->file ? cap_open_file(c->file, err, sizeof r->err)
			 : cap_open_live(c->iface, c->snaplen, err, sizeof r->err);
	if (!r->cap) {
		fprintf(stderr, _("mqttdump: %s\n"), err);
		return 1;
	}
	if (!decode_link_supported(cap_linktype(r->cap))) {
		fprintf(stderr, _("mqttdump: %s: link type %d (%s) is not supported\n"), r->name,
			cap_linktype(r->cap), cap_linktype_name(cap_linktype(r->cap)));
		return 1;
	}
	r->filter = c->filter;
	if (!r->filter && c->iface) {
		int vlan = cap_link_has_vlan(cap_linktype(r->cap));
		if (!(r->filter = r->live_filter = live_filter(c, vlan))) {
			fprintf(stderr, _("mqttdump: out of memory\n"));
			return 1;
		}
	}
	if (r->filter && cap_set_filter(r->cap, r->filter, err, sizeof r->err) < 0) {
		fprintf(stderr, _("mqttdump: %s\n"), err);
		return 2;
	}
	if (c->write_file && open_writer(r) < 0)
		return 1;
	return 0;
}

/* The file a path names, when it exists. */
static int same_file(const struct stat *a, const char *path)
{
	struct stat b;
	return stat(path, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* No output may write over an input (-r FILE or what standard input reads, --keylog) or
 * over another output: each output path is compared with the inputs by device and inode,
 * and with the other outputs by inode, or by name when it does not exist yet. Character
 * devices (/dev/null, /dev/stdout on a terminal) may be shared. Returns 0, or 2 with the
 * reason printed. */
static int check_paths(const struct mqttdump_config *c)
{
	const struct { const char *opt, *path; } out[] = {
		{ "-w", c->write_file }, { "--timeline", c->timeline_file },
		{ "--diagram-svg", c->diagram_svg }, { "--diagram-html", c->diagram_html },
	};
	const size_t nout = sizeof out / sizeof out[0];
	struct stat in[2], st;
	const char *in_name[2];
	int nin = 0;

	if (c->file && ((!strcmp(c->file, "-") && fstat(0, &in[nin]) == 0) ||
			(strcmp(c->file, "-") && stat(c->file, &in[nin]) == 0)))
		in_name[nin++] = c->file;
	if (c->keylog_path && stat(c->keylog_path, &in[nin]) == 0)
		in_name[nin++] = c->keylog_path;
	for (size_t o = 0; o < nout; o++) {
		const char *p = out[o].path;
		if (!p || !strcmp(p, "-") || (stat(p, &st) == 0 && S_ISCHR(st.st_mode)))
			continue;
		for (int k = 0; k < nin; k++)
			if (S_ISREG(in[k].st_mode) && same_file(&in[k], p)) {
				fprintf(stderr, _("mqttdump: %s %s: that is the input %s; refusing to "
					"write over it\n"), out[o].opt, p, in_name[k]);
				return 2;
			}
		for (size_t q = 0; q < o; q++)
			if (out[q].path && (!strcmp(out[q].path, p) ||
					    (stat(out[q].path, &st) == 0 && same_file(&st, p)))) {
				fprintf(stderr, _("mqttdump: %s and %s both name %s\n"), out[q].opt,
					out[o].opt, p);
				return 2;
			}
	}
	return 0;
}

/* The pipeline of the configuration. Returns 0, or 1 with the message printed. A live
 * capture or a stream read as it comes (-r -) is flushed after each frame, as -l asks. */
static int build(struct run *r)
{
	struct pipeline_env env = { stdout, cap_ts_digits(r->cap),
				    cap_is_stream(r->cap) || r->cfg->line_buffered, r->keylog,
				    write_frame, r };

	if (!(r->pipeline = pipeline_new(r->cfg, &env, r->err, sizeof r->err))) {
		fprintf(stderr, _("mqttdump: %s\n"), r->err);
		return 1;
	}
	return 0;
}

static void on_tick(void *ctx);

/* The reason of the standard output's first failure, while errno still holds it (the
 * reporters have just written). */
static void note_stdout(struct run *r)
{
	if (!r->out_errno && ferror(stdout))
		r->out_errno = errno ? errno : EIO;
}

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	struct run *r = ctx;

	if (pipeline_packet(r->pipeline, pkt))
		cap_stop(r->cap);
	/* a closed or failing standard output ends the run at once (SIGPIPE tells it too);
	 * the outputs to files are completed */
	if (ferror(stdout)) {
		note_stdout(r);
		cap_stop(r->cap);
	}
	if (g_usr1 || (++r->packets & 255) == 0)
		on_tick(r);
}

/* The signals that end a run: SIGINT, SIGTERM, SIGHUP finish every output as the end of
 * the input does; SIGPIPE too, the standard output being gone. No SA_RESTART: a read
 * that waits returns. */
static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	/* SIGUSR1 only asks for the counts: a read or a write it interrupts goes on */
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
}

/* The standard output once the run is over: flushed and checked. A reader that went away
 * (SIGPIPE, EPIPE) is not an error. Returns the exit status. */
static int finish_stdout(const struct run *r, int status)
{
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	e = errno ? errno : r->out_errno;
	if (g_pipe_closed || e == EPIPE)
		return status;
	fprintf(stderr, _("mqttdump: writing the standard output: %s\n"),
		e ? strerror(e) : _("write error"));
	return 1;
}

/* One count of the statistics line appended at o, in the plural form of its number (fmt
 * is an n_() form, holding one PRIu64); the new end of the line. */
__attribute__((format(printf, 4, 0)))
static size_t count_cat(char *line, size_t cap, size_t o, const char *fmt, uint64_t n)
{
	int k;

	if (o >= cap)
		return o;
	k = snprintf(line + o, cap - o, fmt, n);
	return k < 0 ? o : o + (size_t)k;
}

static void print_counts(const struct run *r, const struct engine_stats *st)
{
	uint64_t recv, drop;
	char line[512];
	size_t o = 0;

	/* a piece per count, so that each noun agrees with its own number ("1 frame",
	 * "0 trame"); the pieces keep the English order */
	o = count_cat(line, sizeof line, o, n_("%" PRIu64 " frame", "%" PRIu64 " frames",
					       st->frames), st->frames);
	o = count_cat(line, sizeof line, o, n_(", %" PRIu64 " MQTT message",
					       ", %" PRIu64 " MQTT messages", st->messages),
		      st->messages);
	o = count_cat(line, sizeof line, o, n_(", %" PRIu64 " connection",
					       ", %" PRIu64 " connections", st->connections),
		      st->connections);
	o = count_cat(line, sizeof line, o, n_(", %" PRIu64 " gap", ", %" PRIu64 " gaps",
					       st->gaps), st->gaps);
	o = count_cat(line, sizeof line, o, n_(" (%" PRIu64 " byte)", " (%" PRIu64 " bytes)",
					       st->gap_bytes), st->gap_bytes);
	o = count_cat(line, sizeof line, o, n_(", %" PRIu64 " byte skipped",
					       ", %" PRIu64 " bytes skipped", st->bytes_skipped),
		      st->bytes_skipped);
	o = count_cat(line, sizeof line, o, n_(", %" PRIu64 " incomplete",
					       ", %" PRIu64 " incomplete", st->incomplete),
		      st->incomplete);
	o = count_cat(line, sizeof line, o, n_(", %" PRIu64 " truncated",
					       ", %" PRIu64 " truncated", st->truncated),
		      st->truncated);
	count_cat(line, sizeof line, o, n_(", %" PRIu64 " malformed", ", %" PRIu64 " malformed",
					   st->malformed), st->malformed);
	fprintf(stderr, _("mqttdump: %s\n"), line);
	if (st->mem_evictions) {
		fprintf(stderr, n_("mqttdump: --max-memory %zu: %" PRIu64 " thing given up",
				   "mqttdump: --max-memory %zu: %" PRIu64 " things given up",
				   st->mem_evictions), r->cfg->max_memory, st->mem_evictions);
		fprintf(stderr, n_(" (%" PRIu64 " byte not decoded)", " (%" PRIu64 " bytes not decoded)",
				   st->mem_lost_bytes), st->mem_lost_bytes);
		fprintf(stderr, n_(", at most %" PRIu64 " byte held%s\n",
				   ", at most %" PRIu64 " bytes held%s\n", st->mem_high), st->mem_high,
			st->mem_limit < r->cfg->max_memory ? _(" (the rest is --serve's history)") :
			"");
	}
	if (cap_is_live(r->cap) && cap_stats(r->cap, &recv, &drop) == 0) {
		fprintf(stderr, n_("mqttdump: %" PRIu64 " packet received by filter",
				   "mqttdump: %" PRIu64 " packets received by filter", recv), recv);
		fprintf(stderr, n_(", %" PRIu64 " dropped by kernel\n",
				   ", %" PRIu64 " dropped by kernel\n", drop), drop);
	}
}

/* Between records: SIGUSR1's counts, the progress line. */
static void on_tick(void *ctx)
{
	struct run *r = ctx;
	struct engine_stats st;
	uint64_t pos, size;

	if (g_usr1) {
		g_usr1 = 0;
		progress_erase(&r->progress);
		pipeline_stats(r->pipeline, &st);
		print_counts(r, &st);
	}
	if (r->progress.out && cap_position(r->cap, &pos, &size) == 0)
		progress_update(&r->progress, pos, size);
}

/* What the snap length cut, a file header's snap length smaller than its records, time
 * stamps out of range. */
static void print_cuts(const struct run *r, const struct engine_stats *st)
{
	const struct cap_notes *k = cap_notes(r->cap);

	if (k->cut && st->snap_headers)
		fprintf(stderr, n_("mqttdump: warning: %" PRIu64 " frame cut by the snap length "
			"(%" PRIu32 " bytes kept at most), %" PRIu64 " of them inside their link, "
			"IP or TCP header: not decoded\n", "mqttdump: warning: %" PRIu64 " frames cut "
			"by the snap length (%" PRIu32 " bytes kept at most), %" PRIu64 " of them "
			"inside their link, IP or TCP header: not decoded\n", k->cut), k->cut,
			k->cut_snap, st->snap_headers);
	else if (k->cut)
		fprintf(stderr, n_("mqttdump: warning: %" PRIu64 " frame cut by the snap length "
			"(%" PRIu32 " bytes kept at most), inside its TCP payload\n",
			"mqttdump: warning: %" PRIu64 " frames cut by the snap length "
			"(%" PRIu32 " bytes kept at most), inside their TCP payload\n", k->cut), k->cut,
			k->cut_snap);
	if (k->over_head)
		fprintf(stderr, _("mqttdump: warning: %s: the file header's snap length is %" PRIu32
			" bytes, but %" PRIu64 " records are longer (up to %" PRIu32 " bytes): read "
			"whole\n"), r->name, k->head_snaplen, k->over_head, k->over_max);
	if (k->ts_clamped)
		fprintf(stderr, _("mqttdump: warning: %s: %" PRIu64 " records have a time stamp past "
			"2242-03-16T12:56:31Z, the latest mqttdump computes with: shown as that "
			"time\n"), r->name, k->ts_clamped);
}

/* Every record through the pipeline, then the counts. Returns the exit status so far. */
static int read_capture(struct run *r)
{
	struct engine_stats st;
	const char *oom_what;
	int rc, status = 0;

	g_cap = r->cap;
	if (cap_is_live(r->cap))
		watch_stdout();
	if (!cap_is_live(r->cap) && isatty(fileno(stderr)))
		progress_start(&r->progress, stderr);
	cap_set_tick(r->cap, on_tick, r);
	/* a signal that came while the input and the outputs were opened ends the run now */
	rc = g_stopped ? 1 : cap_loop(r->cap, on_packet, r, r->err, sizeof r->err);
	progress_erase(&r->progress);
	if (rc < 0 && (g_stopped || g_pipe_closed))
		rc = 1; /* a read cut by the signal that stopped the run */
	pipeline_finish(r->pipeline);
	note_stdout(r);
	pipeline_stats(r->pipeline, &st);
	if (rc < 0) {
		/* Every record before the damage has been decoded and printed. */
		if (strstr(r->err, "truncated")) {
			fprintf(stderr, n_("mqttdump: warning: %s: the file ends inside a record (%s); "
				"%" PRIu64 " frame read\n", "mqttdump: warning: %s: the file ends inside "
				"a record (%s); %" PRIu64 " frames read\n", st.frames), r->name, r->err,
				st.frames);
		} else {
			fprintf(stderr, "mqttdump: %s: %s\n", r->name, r->err);
			status = 1;
		}
	}
	status = finish_stdout(r, status);
	print_counts(r, &st);
	print_cuts(r, &st);
	if (!g_stopped)
		pipeline_linger(r->pipeline); /* --serve: until SIGINT, SIGTERM or SIGHUP */
	if (mqttdump_oom_count(&oom_what)) {
		fprintf(stderr, n_("mqttdump: out of memory (%" PRIu64 " allocation failed, in "
			"%s): the output is incomplete\n", "mqttdump: out of memory (%" PRIu64
			" allocations failed, the first in %s): the output is incomplete\n",
			mqttdump_oom_count(NULL)), mqttdump_oom_count(NULL), oom_what);
		status = 1;
	}
	return status;
}

/* -w, once the run is over: the file closed, what was written told. Returns the exit
 * status. */
static int finish_write(struct run *r, int status)
{
	const char *wfile = r->cfg->write_file;
	struct report_write_counts n;
	uint64_t records, files;

	report_write_counts(pipeline_output(r->pipeline, OUTPUT_SELECT), &n);
	cap_writer_counts(r->writer, &records, &files);
	if (r->write_failed) {
		fprintf(stderr, "mqttdump: -w %s\n", r->werr);
		status = 1;
	}
	if (cap_writer_close(r->writer, r->err, sizeof r->err) < 0) {
		if (!r->write_failed) /* the same failure, said once */
			fprintf(stderr, "mqttdump: -w %s\n", r->err);
		status = 1;
	} else if (!r->write_failed) {
		fprintf(stderr, n_("mqttdump: -w %s: %" PRIu64 " frame", "mqttdump: -w %s: %" PRIu64
				   " frames", records), wfile, records);
		fprintf(stderr, n_(" holding %" PRIu64 " MQTT message",
				   " holding %" PRIu64 " MQTT messages", n.messages), n.messages);
		if (files > 1)
			fprintf(stderr, _(", in %" PRIu64 " files"), files);
		fputc('\n', stderr);
	}
	if (n.cut_short)
		fprintf(stderr, n_("mqttdump: warning: -w %s: %" PRIu64 " message written without "
			"its first frames (it waited past 60 s or 64 MiB to be known)\n",
			"mqttdump: warning: -w %s: %" PRIu64 " messages written without "
			"their first frames (they waited past 60 s or 64 MiB to be known)\n",
			n.cut_short), wfile,
			n.cut_short);
	r->writer = NULL;
	return status;
}

/* Close what the run opened. Returns the exit status. */
static int close_run(struct run *r, int status)
{
	if (pipeline_free(r->pipeline, r->err, sizeof r->err) < 0) {
		fprintf(stderr, _("mqttdump: %s\n"), r->err);
		status = 1;
	}
	if (r->writer)
		cap_writer_close(r->writer, r->err, sizeof r->err);
	g_cap = NULL;
	cap_close(r->cap);
	tls_keylog_free(r->keylog);
	free(r->live_filter);
	return status;
}

/* The run of a configuration. Returns the exit status. */
static int run(const struct mqttdump_config *c)
{
	struct run r = { .cfg = c };
	int status;

	if (c->list_interfaces) {
		if (cap_list_interfaces(stdout, r.err, sizeof r.err) < 0) {
			fprintf(stderr, _("mqttdump: %s\n"), r.err);
			return 1;
		}
		return 0;
	}
	if (!c->file == !c->iface) {
		fprintf(stderr, _("mqttdump: give one of -r FILE or -i IFACE (see --help)\n"));
		return 2;
	}
	if ((c->write_max_bytes || c->write_seconds || c->write_count) && !c->write_file) {
		fprintf(stderr, _("mqttdump: -C, -G and -W go with -w FILE\n"));
		return 2;
	}
	if (c->write_file && !strcmp(c->write_file, "-") &&
	    (c->write_max_bytes || c->write_seconds)) {
		fprintf(stderr, _("mqttdump: -w -: -C and -G need a file name\n"));
		return 2;
	}
	if (c->write_count && !c->write_max_bytes && !c->write_seconds) {
		fprintf(stderr, _("mqttdump: -W goes with -C or -G\n"));
		return 2;
	}
	catch_signals();
	status = check_paths(c);
	if (status == 0)
		status = open_input(&r);
	if (status == 0)
		status = build(&r);
	/* as tcpdump: the files named on the command line are open before root is given up */
	if (status == 0 && (c->iface || c->user) && drop_privileges(c->user) < 0)
		status = 1;
	/* --serve's server starts as the user the capture runs as */
	if (status == 0 && pipeline_start(r.pipeline, r.err, sizeof r.err) < 0) {
		fprintf(stderr, _("mqttdump: %s\n"), r.err);
		status = 1;
	}
	if (status == 0) {
		status = read_capture(&r);
		if (r.writer)
			status = finish_write(&r, status);
	}
	return close_run(&r, status);
}

int main(int argc, char **argv)
{
	struct mqttdump_config cfg;
	int status;

	mqttdump_config_init(&cfg);
	status = parse_options(argc, argv, &cfg);
	if (status < 0)
		status = run(&cfg);
	mqttdump_config_free(&cfg);
	return status;
}
