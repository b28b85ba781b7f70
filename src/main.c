/* \summary: mqttdump command line: the options into one configuration (config.h), then
 * the run: the capture, the pipeline built from the configuration, messages, exit status */
#include "mqttdump/budget.h"
#include "mqttdump/capture.h"
#include "mqttdump/config.h"
#include "mqttdump/pipeline.h"
#include "mqttdump/progress.h"
#include "mqttdump/tlscrypto.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef MQTTDUMP_VERSION
#error "MQTTDUMP_VERSION comes from meson.build (project version)"
#endif

static struct cap *g_cap;
static volatile sig_atomic_t g_usr1;

/* SIGUSR1: the counts, printed between records (as dd and tcpdump do). */
static void on_usr1(int sig)
{
	(void)sig;
	g_usr1 = 1;
}

static void on_signal(int sig)
{
	(void)sig;
	if (g_cap)
		cap_stop(g_cap);
}

static void usage(FILE *f)
{
	fputs("usage: mqttdump [-r FILE | -i IFACE] [options]\n"
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
	      "  -p PORT              a broker port to decode as MQTT (repeatable; default 1883)\n"
	      "  --tls-port PORT      a port of MQTT over TLS (repeatable; default 8883)\n"
	      "  --ws-port PORT       a port of MQTT over WebSocket (repeatable; default 8080,\n"
	      "                       9001)\n"
	      "  --detect             also find MQTT on any other TCP port, by its CONNECT\n"
	      "  --keylog FILE        decrypt TLS with the secrets of an NSS key log\n"
	      "                       (SSLKEYLOGFILE) and decode the MQTT inside\n"
	      "  -c N                 stop after N MQTT messages (that pass the filters)\n"
	      "  -Z USER              live capture as root: become USER once the interface is\n"
	      "                       open (default: nobody)\n"
	      "output:\n"
	      "  (default)            one line per frame, as tshark prints it\n"
	      "  --json               JSON Lines, one object per MQTT message or event\n"
	      "  --eve                Suricata EVE JSON: mqtt, anomaly and flow records\n"
	      "  --eve-max-msg-length SIZE  longer packets logged as truncated (default 1mb)\n"
	      "  --eve-string-log-limit SIZE  bytes of a message or topic list logged (default:\n"
	      "                       no limit)\n"
	      "  --eve-max-tx N       transactions pending per connection (default 1024)\n"
	      "  -q                   print nothing but the statistics line (on stderr)\n"
	      "  -w OUT               write the frames that carry the messages to a new pcap\n"
	      "                       (- for standard output), live or from a file\n"
	      "  -C SIZE              with -w: a new file once one holds SIZE million bytes\n"
	      "                       (OUT, OUT1, OUT2...; with -W N: OUT0...OUT<N-1>, a ring)\n"
	      "  -G SECS              with -w: a new file every SECS of capture time (OUT is a\n"
	      "                       strftime pattern); with -W N: stop after N files\n"
	      "  -W N                 with -C or -G: the number of files\n"
	      "  --payload-max N      payload bytes shown in JSON (default 256)\n"
	      "  --show-secrets       show passwords and Authentication Data (hidden in\n"
	      "                       every output otherwise)\n"
	      "  -V                   detail tree of each frame holding MQTT (tshark -O mqtt)\n"
	      "  -x                   hex and ASCII dump of those frames (and of reassembled\n"
	      "                       messages), alone or with -V\n"
	      "  --explain            after each message, what it means, in plain words\n"
	      "  --lang en|fr         language of --explain (default: from LC_ALL/LC_MESSAGES/LANG)\n"
	      "  --diagram            sequence diagram of the exchange (colour on a terminal)\n"
	      "  --diagram=svg FILE   the diagram as an SVG file (besides the normal output)\n"
	      "  --diagram=html FILE  a self-contained HTML page: click an arrow for its detail\n"
	      "  --diagram-max N      messages drawn at most (default 2000)\n"
	      "  --timeline FILE      sessions, transactions and events as one JSON document\n"
	      "                       (- for standard output), at the end\n"
	      "  --stats[=json]       statistics report at the end (text or JSON)\n"
	      "  --stats-interval S   a statistics record every S seconds of capture time\n"
	      "                       (JSON with --json or --eve)\n"
	      "filters (every output):\n"
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
	      "  --version            print the version\n",
	      f);
}

enum { OPT_JSON = 256, OPT_PAYLOAD_MAX, OPT_SHOW_SECRETS, OPT_MAX_BUFFER, OPT_MAX_FLOWS,
       OPT_FLOW_TIMEOUT, OPT_VERSION, OPT_TIMELINE, OPT_STATS, OPT_TOPIC, OPT_CLIENT, OPT_TYPE,
       OPT_TLS_PORT, OPT_WS_PORT, OPT_DETECT, OPT_KEYLOG,
       OPT_EXPLAIN, OPT_LANG, OPT_DIAGRAM, OPT_DIAGRAM_MAX, OPT_REORDER_TIME,
       OPT_EVE, OPT_EVE_MAX_MSG, OPT_EVE_STRING_LIMIT, OPT_EVE_MAX_TX, OPT_MAX_MEMORY,
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
	{ "detect", no_argument, NULL, OPT_DETECT },
	{ "keylog", required_argument, NULL, OPT_KEYLOG },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "lang", required_argument, NULL, OPT_LANG },
	{ "diagram", optional_argument, NULL, OPT_DIAGRAM },
	{ "diagram-max", required_argument, NULL, OPT_DIAGRAM_MAX },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* A whole number in [lo, hi], or exit with a message naming the option. */
static uint64_t number(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "mqttdump: %s: \"%s\" is not a number from %" PRIu64 " to %" PRIu64
			"\n", opt, s, lo, hi);
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
		fprintf(stderr, "mqttdump: %s: \"%s\" is not a number of seconds from 0.001 to "
			"100000000\n", opt, s);
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
	fprintf(stderr, "mqttdump: %s: invalid size argument \"%s\" (bytes, or a number with kb,"
		" mb or gb, up to 4gb)\n", opt, s);
	exit(2);
}

/* Live capture as root: once the interface is open, become USER (-Z; "nobody" by
 * default where it exists), as tcpdump does. Returns 0, or -1 with a message printed. */
static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (!user) {
		if (!getpwnam("nobody"))
			return 0; /* nowhere to go: stay, as tcpdump does */
		user = "nobody";
	}
	if (!(pw = getpwnam(user))) {
		fprintf(stderr, "mqttdump: -Z: no user \"%s\"\n", user);
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "mqttdump: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	return 0;
}

/* Add a port to a set, or exit naming the option. */
static void add_port(const char *opt, const char *arg, struct port_set *set)
{
	if (port_set_add(set, (uint16_t)number(opt, arg, 1, 65535)) < 0) {
		fprintf(stderr, "mqttdump: out of memory\n");
		exit(1);
	}
}

/* --lang's default: French when the locale's language is French, else English. */
static const char *locale_lang(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strncmp(v, "fr", 2) == 0 ? "fr" : "en";
	}
	return "en";
}

/* NO_COLOR (no-color.org): set to anything but the empty string turns colour off. */
static int no_color(void)
{
	const char *v = getenv("NO_COLOR");
	return v && *v;
}

/* --diagram (text, on standard output), --diagram=svg FILE, --diagram=html FILE: the FILE
 * is the next argument. Exits on a bad kind or a missing FILE. */
static void diagram_option(struct mqttdump_config *c, int argc, char **argv)
{
	if (!optarg || !strcmp(optarg, "text")) {
		c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT);
		return;
	}
	if (strcmp(optarg, "svg") && strcmp(optarg, "html")) {
		fprintf(stderr, "mqttdump: --diagram: \"%s\" is not text, svg or html\n", optarg);
		exit(2);
	}
	if (optind >= argc || argv[optind][0] == '\0') {
		fprintf(stderr, "mqttdump: --diagram=%s: give the FILE to write\n", optarg);
		exit(2);
	}
	c->diagram_kind = !strcmp(optarg, "svg") ? DIAGRAM_SVG : DIAGRAM_HTML;
	c->diagram_file = argv[optind++];
	c->outputs |= OUTPUT_BIT(OUTPUT_DIAGRAM_FILE);
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
	case 's': c->snaplen = (uint32_t)number("-s", optarg, 0, 262144); break;
	case 'p': add_port("-p", optarg, &c->ports); break;
	case OPT_TLS_PORT: add_port("--tls-port", optarg, &c->tls_ports); break;
	case OPT_WS_PORT: add_port("--ws-port", optarg, &c->ws_ports); break;
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
	case OPT_TOPIC: c->select.topic = optarg; break;
	case OPT_CLIENT: c->select.client = optarg; break;
	case OPT_TYPE:
		if ((c->select.type = session_type_by_name(optarg)) < 0) {
			fprintf(stderr, "mqttdump: --type: \"%s\" is not an MQTT packet type\n",
				optarg);
			exit(2);
		}
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
	switch (opt) {
	case 'q': *quiet = 1; break;
	case OPT_JSON: c->outputs |= OUTPUT_BIT(OUTPUT_JSON); break;
	case OPT_EVE: c->outputs |= OUTPUT_BIT(OUTPUT_EVE); break;
	case OPT_EVE_MAX_MSG: c->eve_max_msg_len = size_value("--eve-max-msg-length", optarg); break;
	case OPT_EVE_STRING_LIMIT:
		c->eve_string_limit = size_value("--eve-string-log-limit", optarg);
		break;
	case OPT_EVE_MAX_TX:
		c->eve_max_tx = (uint32_t)number("--eve-max-tx", optarg, 1, 1000000);
		break;
	case 'V': c->outputs |= OUTPUT_BIT(OUTPUT_TREE); break;
	case 'x': c->outputs |= OUTPUT_BIT(OUTPUT_HEX); break;
	case OPT_EXPLAIN: c->outputs |= OUTPUT_BIT(OUTPUT_EXPLAIN); break;
	case OPT_DIAGRAM: diagram_option(c, argc, argv); break;
	case 'w':
		c->write_file = optarg;
		c->outputs |= OUTPUT_BIT(OUTPUT_SELECT);
		break;
	case 'C': c->write_max_bytes = number("-C", optarg, 1, 1000000) * 1000000; break;
	case 'G': c->write_seconds = (uint32_t)number("-G", optarg, 1, 100000000); break;
	case 'W': c->write_count = (uint32_t)number("-W", optarg, 1, 1000000); break;
	case OPT_TIMELINE:
		c->timeline_file = optarg;
		c->outputs |= OUTPUT_BIT(OUTPUT_TIMELINE);
		break;
	case OPT_STATS_INTERVAL:
		c->stats_interval_ns = seconds_ns("--stats-interval", optarg);
		c->outputs |= OUTPUT_BIT(OUTPUT_INTERVAL);
		break;
	case OPT_STATS:
		if (optarg && strcmp(optarg, "json") && strcmp(optarg, "text")) {
			fprintf(stderr, "mqttdump: --stats: \"%s\" is not text or json\n", optarg);
			exit(2);
		}
		c->stats_json = optarg && !strcmp(optarg, "json");
		c->outputs |= OUTPUT_BIT(OUTPUT_STATS);
		break;
	case OPT_PAYLOAD_MAX:
		c->payload_max = (uint32_t)number("--payload-max", optarg, 0, UINT32_MAX);
		break;
	case OPT_SHOW_SECRETS: c->show_secrets = 1; break;
	case OPT_LANG:
		if (strcmp(optarg, "en") && strcmp(optarg, "fr")) {
			fprintf(stderr, "mqttdump: --lang: \"%s\" is not en or fr\n", optarg);
			exit(2);
		}
		c->lang = optarg;
		break;
	case OPT_DIAGRAM_MAX:
		c->diagram_max = (uint32_t)number("--diagram-max", optarg, 1, 1000000);
		break;
	default: return 0;
	}
	return 1;
}

/* What the standard output shows: JSON, the text diagram, the detail tree or one line a
 * frame; with the text ones, --explain's sentences and -x's dumps; nothing with -q. */
static void choose_outputs(struct mqttdump_config *c, int quiet)
{
	const unsigned text_only = OUTPUT_BIT(OUTPUT_TREE) | OUTPUT_BIT(OUTPUT_EXPLAIN) |
				   OUTPUT_BIT(OUTPUT_HEX);
	const unsigned json_out = OUTPUT_BIT(OUTPUT_JSON) | OUTPUT_BIT(OUTPUT_EVE);
	const unsigned main_out = json_out | OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT) |
				  OUTPUT_BIT(OUTPUT_TREE);

	if (quiet) {
		c->outputs &= ~(main_out | text_only);
		return;
	}
	if ((c->outputs & json_out) == json_out) {
		fprintf(stderr, "mqttdump: --json and --eve both write JSON lines to the standard "
			"output: choose one\n");
		exit(2);
	}
	if (c->outputs & json_out)
		c->outputs &= ~OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT);
	if (c->outputs & (json_out | OUTPUT_BIT(OUTPUT_DIAGRAM_TEXT)))
		c->outputs &= ~text_only;
	if (!(c->outputs & main_out))
		c->outputs |= OUTPUT_BIT(OUTPUT_SUMMARY);
}

/* -w -: the pcap owns the standard output; the per-frame lines step aside, and an output
 * asked for on it is refused. Returns 0, or -1 with the message printed. */
static int pcap_to_stdout(struct mqttdump_config *c)
{
	static const struct { int o; const char *opt; } on_stdout[] = {
		{ OUTPUT_JSON, "--json" }, { OUTPUT_DIAGRAM_TEXT, "--diagram" },
		{ OUTPUT_TREE, "-V" }, { OUTPUT_EXPLAIN, "--explain" }, { OUTPUT_HEX, "-x" },
		{ OUTPUT_STATS, "--stats" }, { OUTPUT_INTERVAL, "--stats-interval" },
	};

	for (size_t i = 0; i < sizeof on_stdout / sizeof *on_stdout; i++)
		if (c->outputs & OUTPUT_BIT(on_stdout[i].o)) {
			fprintf(stderr, "mqttdump: -w - writes the pcap to standard output: %s "
				"cannot write there too\n", on_stdout[i].opt);
			return -1;
		}
	if ((c->outputs & OUTPUT_BIT(OUTPUT_TIMELINE)) && !strcmp(c->timeline_file, "-")) {
		fprintf(stderr, "mqttdump: -w - writes the pcap to standard output: --timeline - "
			"cannot write there too\n");
		return -1;
	}
	c->outputs &= ~OUTPUT_BIT(OUTPUT_SUMMARY);
	return 0;
}

/* The command line into c. Returns -1 to go on and run, else the exit status (--help,
 * --version, a bad option). */
static int parse_options(int argc, char **argv, struct mqttdump_config *c)
{
	int opt, quiet = 0;

	c->lang = locale_lang();
	while ((opt = getopt_long(argc, argv, "r:i:Df:p:c:qhVxZ:w:s:C:G:W:", long_opts, NULL)) != -1) {
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
		usage(stderr);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "mqttdump: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	choose_outputs(c, quiet);
	if (c->write_file && !strcmp(c->write_file, "-") && pcap_to_stdout(c) < 0)
		return 2;
	c->diagram_color = !no_color() && isatty(fileno(stdout));
	if (mqttdump_config_default_ports(c) < 0) {
		fprintf(stderr, "mqttdump: out of memory\n");
		return 1;
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

/* The key log, the capture and its filter, then the privileges dropped. Returns 0, or the
 * exit status with the message printed. */
static int open_input(struct run *r)
{
	const struct mqttdump_config *c = r->cfg;
	char *err = r->err;

	if (c->keylog_path && !(r->keylog = tls_keylog_load(c->keylog_path, err, sizeof r->err))) {
		fprintf(stderr, "mqttdump: --keylog %s: %s\n", c->keylog_path, err);
		return 1;
	}
	r->name = c->file ? c->file : c->iface;
	r->cap = c->file ? cap_open_file(c->file, err, sizeof r->err)
			 : cap_open_live(c->iface, c->snaplen, err, sizeof r->err);
	if (!r->cap) {
		fprintf(stderr, "mqttdump: %s\n", err);
		return 1;
	}
	if (!decode_link_supported(cap_linktype(r->cap))) {
		fprintf(stderr, "mqttdump: %s: link type %d (%s) is not supported\n", r->name,
			cap_linktype(r->cap), cap_linktype_name(cap_linktype(r->cap)));
		return 1;
	}
	r->filter = c->filter;
	if (!r->filter && c->iface) {
		int vlan = cap_link_has_vlan(cap_linktype(r->cap));
		if (!(r->filter = r->live_filter = live_filter(c, vlan))) {
			fprintf(stderr, "mqttdump: out of memory\n");
			return 1;
		}
	}
	if (r->filter && cap_set_filter(r->cap, r->filter, err, sizeof r->err) < 0) {
		fprintf(stderr, "mqttdump: %s\n", err);
		return 2;
	}
	if (c->write_file && open_writer(r) < 0)
		return 1;
	if (c->iface && drop_privileges(c->user) < 0)
		return 1;
	return 0;
}

/* The pipeline of the configuration, and -w's file. Returns 0, or 1 with the message
 * printed. */
static int build(struct run *r)
{
	struct pipeline_env env = { stdout, cap_ts_digits(r->cap), cap_is_stream(r->cap),
				    r->keylog, write_frame, r };

	if (!(r->pipeline = pipeline_new(r->cfg, &env, r->err, sizeof r->err))) {
		fprintf(stderr, "mqttdump: %s\n", r->err);
		return 1;
	}
	return 0;
}

static void on_tick(void *ctx);

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	struct run *r = ctx;

	if (pipeline_packet(r->pipeline, pkt))
		cap_stop(r->cap);
	if (g_usr1 || (++r->packets & 255) == 0)
		on_tick(r);
}

static void print_counts(const struct run *r, const struct engine_stats *st)
{
	uint64_t recv, drop;

	fprintf(stderr, "mqttdump: %" PRIu64 " frames, %" PRIu64 " MQTT messages, %" PRIu64
		" connections, %" PRIu64 " gaps (%" PRIu64 " bytes), %" PRIu64 " bytes skipped, %"
		PRIu64 " incomplete, %" PRIu64 " truncated, %" PRIu64 " malformed\n",
		st->frames, st->messages, st->connections, st->gaps, st->gap_bytes,
		st->bytes_skipped, st->incomplete, st->truncated, st->malformed);
	if (st->mem_evictions)
		fprintf(stderr, "mqttdump: --max-memory %" PRIu64 ": %" PRIu64 " things given up "
			"(%" PRIu64 " bytes not decoded), at most %" PRIu64 " bytes held\n",
			st->mem_limit, st->mem_evictions, st->mem_lost_bytes, st->mem_high);
	if (cap_is_live(r->cap) && cap_stats(r->cap, &recv, &drop) == 0)
		fprintf(stderr, "mqttdump: %" PRIu64 " packets received by filter, %" PRIu64
			" dropped by kernel\n", recv, drop);
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
		fprintf(stderr, "mqttdump: warning: %" PRIu64 " frames cut by the snap length "
			"(%" PRIu32 " bytes kept at most), %" PRIu64 " of them inside their link, "
			"IP or TCP header: not decoded\n", k->cut, k->cut_snap, st->snap_headers);
	else if (k->cut)
		fprintf(stderr, "mqttdump: warning: %" PRIu64 " frames cut by the snap length "
			"(%" PRIu32 " bytes kept at most), inside their TCP payload\n", k->cut,
			k->cut_snap);
	if (k->over_head)
		fprintf(stderr, "mqttdump: warning: %s: the file header's snap length is %" PRIu32
			" bytes, but %" PRIu64 " records are longer (up to %" PRIu32 " bytes): read "
			"whole\n", r->name, k->head_snaplen, k->over_head, k->over_max);
	if (k->ts_clamped)
		fprintf(stderr, "mqttdump: warning: %s: %" PRIu64 " records have a time stamp past "
			"2242-03-16T12:56:31Z, the latest mqttdump computes with: shown as that "
			"time\n", r->name, k->ts_clamped);
}

/* Every record through the pipeline, then the counts. Returns the exit status so far. */
static int read_capture(struct run *r)
{
	struct engine_stats st;
	const char *oom_what;
	int rc, status = 0;

	g_cap = r->cap;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, on_usr1);
	if (!cap_is_live(r->cap) && isatty(fileno(stderr)))
		progress_start(&r->progress, stderr);
	cap_set_tick(r->cap, on_tick, r);
	rc = cap_loop(r->cap, on_packet, r, r->err, sizeof r->err);
	progress_erase(&r->progress);
	pipeline_finish(r->pipeline);
	pipeline_stats(r->pipeline, &st);
	if (rc < 0) {
		/* Every record before the damage has been decoded and printed. */
		if (strstr(r->err, "truncated")) {
			fprintf(stderr, "mqttdump: warning: %s: the file ends inside a record (%s); "
				"%" PRIu64 " frames read\n", r->name, r->err, st.frames);
		} else {
			fprintf(stderr, "mqttdump: %s: %s\n", r->name, r->err);
			status = 1;
		}
	}
	if (ferror(stdout) || fflush(stdout) != 0) {
		if (errno != EPIPE) {
			fprintf(stderr, "mqttdump: writing output: %s\n", strerror(errno));
			status = 1;
		}
	}
	print_counts(r, &st);
	print_cuts(r, &st);
	if (mqttdump_oom_count(&oom_what)) {
		fprintf(stderr, "mqttdump: out of memory (%" PRIu64 " allocations failed, the first in "
			"%s): the output is incomplete\n", mqttdump_oom_count(NULL), oom_what);
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
		fprintf(stderr, "mqttdump: -w %s: %" PRIu64 " frames holding %" PRIu64
			" MQTT messages", wfile, records, n.messages);
		if (files > 1)
			fprintf(stderr, ", in %" PRIu64 " files", files);
		fputc('\n', stderr);
	}
	if (n.cut_short)
		fprintf(stderr, "mqttdump: warning: -w %s: %" PRIu64 " messages written without "
			"their first frames (they waited past 60 s or 64 MiB to be known)\n", wfile,
			n.cut_short);
	r->writer = NULL;
	return status;
}

/* Close what the run opened. Returns the exit status. */
static int close_run(struct run *r, int status)
{
	if (pipeline_free(r->pipeline, r->err, sizeof r->err) < 0) {
		fprintf(stderr, "mqttdump: %s\n", r->err);
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
			fprintf(stderr, "mqttdump: %s\n", r.err);
			return 1;
		}
		return 0;
	}
	if (!c->file == !c->iface) {
		fprintf(stderr, "mqttdump: give one of -r FILE or -i IFACE (see --help)\n");
		return 2;
	}
	if ((c->write_max_bytes || c->write_seconds || c->write_count) && !c->write_file) {
		fprintf(stderr, "mqttdump: -C, -G and -W go with -w FILE\n");
		return 2;
	}
	if (c->write_file && !strcmp(c->write_file, "-") &&
	    (c->write_max_bytes || c->write_seconds)) {
		fprintf(stderr, "mqttdump: -w -: -C and -G need a file name\n");
		return 2;
	}
	if (c->write_count && !c->write_max_bytes && !c->write_seconds) {
		fprintf(stderr, "mqttdump: -W goes with -C or -G\n");
		return 2;
	}
	status = open_input(&r);
	if (status == 0)
		status = build(&r);
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
