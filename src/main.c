/* \summary: mqttdump command line: options, wiring, exit status */
#include "mqttdump/capture.h"
#include "mqttdump/engine.h"
#include "mqttdump/report.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MQTTDUMP_VERSION "0.1.0"
#define MAX_PORTS 64

static struct cap *g_cap;

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
	      "  -i IFACE             capture live on an interface\n"
	      "  -D                   list the interfaces and exit\n"
	      "  -f EXPR              BPF capture filter (live default: tcp port PORT...)\n"
	      "  -p PORT              a broker port to decode as MQTT (repeatable; default 1883)\n"
	      "  -c N                 stop after N MQTT messages\n"
	      "  -Z USER              live capture as root: become USER once the interface is\n"
	      "                       open (default: nobody)\n"
	      "output:\n"
	      "  (default)            one line per frame, as tshark prints it\n"
	      "  --json               JSON Lines, one object per MQTT message or event\n"
	      "  -q                   print nothing but the statistics line (on stderr)\n"
	      "  --payload-max N      payload bytes shown in JSON (default 256)\n"
	      "  --show-secrets       print passwords (JSON shows only their length)\n"
	      "  -V                   detail tree of each frame holding MQTT (tshark -O mqtt)\n"
	      "  -x                   hex and ASCII dump of those frames (and of reassembled\n"
	      "                       messages), alone or with -V\n"
	      "  --explain            after each message, what it means, in plain words\n"
	      "  --lang en|fr         language of --explain (default: from LC_ALL/LC_MESSAGES/LANG)\n"
	      "  --diagram            sequence diagram of the exchange (colour on a terminal)\n"
	      "  --diagram=svg FILE   the diagram as an SVG file (besides the normal output)\n"
	      "  --diagram=html FILE  a self-contained HTML page: click an arrow for its detail\n"
	      "  --diagram-max N      messages drawn at most (default 2000)\n"
	      "limits:\n"
	      "  --max-buffer BYTES   largest MQTT packet gathered (default 16777216)\n"
	      "  --max-flows N        connections tracked at once (default 262144)\n"
	      "  --flow-timeout SECS  close a connection idle this long (default 3600; 0: never)\n"
	      "  -h, --help           this help\n"
	      "  --version            print the version\n",
	      f);
}

enum { OPT_JSON = 256, OPT_PAYLOAD_MAX, OPT_SHOW_SECRETS, OPT_MAX_BUFFER, OPT_MAX_FLOWS,
       OPT_FLOW_TIMEOUT, OPT_VERSION, OPT_EXPLAIN, OPT_LANG, OPT_DIAGRAM, OPT_DIAGRAM_MAX };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "payload-max", required_argument, NULL, OPT_PAYLOAD_MAX },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "max-buffer", required_argument, NULL, OPT_MAX_BUFFER },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT },
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

struct run {
	struct engine *engine;
	struct cap *cap;
};

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	struct run *r = ctx;

	if (engine_packet(r->engine, pkt))
		cap_stop(r->cap);
}

int main(int argc, char **argv)
{
	const char *file = NULL, *iface = NULL, *filter = NULL, *user = NULL;
	uint16_t ports[MAX_PORTS];
	size_t nports = 0;
	int json = 0, quiet = 0, list = 0, opt, rc, status = 0;
	int explain = 0, diagram_text = 0;
	const char *lang = NULL, *diagram_file = NULL;
	struct detail_opts dopt = { 0, 0, 0, 0 };
	struct diagram_opts gopt = { .kind = DIAGRAM_TEXT, .max_arrows = 2000 };
	FILE *diagram_out = NULL;
	struct report_opts ro = { .out = stdout, .payload_max = 256 };
	struct engine_config ec = { .max_buffer = 16u << 20, .max_held = 16u << 20,
				    .max_flows = 262144, .flow_timeout = 3600 };
	struct reporter reps[4];
	size_t nreps = 0;
	struct engine_stats st;
	struct run run;
	char err[512];

	while ((opt = getopt_long(argc, argv, "r:i:Df:p:c:qhVxZ:", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'r': file = optarg; break;
		case 'i': iface = optarg; break;
		case 'D': list = 1; break;
		case 'f': filter = optarg; break;
		case 'p':
			if (nports == MAX_PORTS) {
				fprintf(stderr, "mqttdump: -p: at most %d ports\n", MAX_PORTS);
				return 2;
			}
			ports[nports++] = (uint16_t)number("-p", optarg, 1, 65535);
			break;
		case 'c': ec.max_messages = number("-c", optarg, 1, UINT64_MAX); break;
		case 'q': quiet = 1; break;
		case 'Z': user = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_PAYLOAD_MAX:
			ro.payload_max = (uint32_t)number("--payload-max", optarg, 0, UINT32_MAX);
			break;
		case OPT_SHOW_SECRETS: ro.show_secrets = 1; break;
		case 'V': dopt.tree = 1; break;
		case 'x': dopt.hex = 1; break;
		case OPT_EXPLAIN: explain = 1; break;
		case OPT_LANG:
			if (strcmp(optarg, "en") && strcmp(optarg, "fr")) {
				fprintf(stderr, "mqttdump: --lang: \"%s\" is not en or fr\n", optarg);
				return 2;
			}
			lang = optarg;
			break;
		case OPT_DIAGRAM:
			/* --diagram (text, on standard output), --diagram=svg FILE, =html FILE */
			if (!optarg || !strcmp(optarg, "text")) {
				diagram_text = 1;
				break;
			}
			if (strcmp(optarg, "svg") && strcmp(optarg, "html")) {
				fprintf(stderr, "mqttdump: --diagram: \"%s\" is not text, svg or html\n",
					optarg);
				return 2;
			}
			if (optind >= argc || argv[optind][0] == '\0') {
				fprintf(stderr, "mqttdump: --diagram=%s: give the FILE to write\n", optarg);
				return 2;
			}
			gopt.kind = !strcmp(optarg, "svg") ? DIAGRAM_SVG : DIAGRAM_HTML;
			diagram_file = argv[optind++];
			break;
		case OPT_DIAGRAM_MAX:
			gopt.max_arrows = (uint32_t)number("--diagram-max", optarg, 1, 1000000);
			break;
		case OPT_MAX_BUFFER:
			ec.max_buffer = (uint32_t)number("--max-buffer", optarg, 64, 1u << 30);
			ec.max_held = ec.max_buffer;
			break;
		case OPT_MAX_FLOWS:
			ec.max_flows = (size_t)number("--max-flows", optarg, 1, 100000000);
			break;
		case OPT_FLOW_TIMEOUT:
			ec.flow_timeout = (double)number("--flow-timeout", optarg, 0, 100000000);
			break;
		case 'h': usage(stdout); return 0;
		case OPT_VERSION: printf("mqttdump %s\n", MQTTDUMP_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mqttdump: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (list) {
		if (cap_list_interfaces(stdout, err, sizeof err) < 0) {
			fprintf(stderr, "mqttdump: %s\n", err);
			return 1;
		}
		return 0;
	}
	if (!file == !iface) {
		fprintf(stderr, "mqttdump: give one of -r FILE or -i IFACE (see --help)\n");
		return 2;
	}
	if (nports == 0)
		ports[nports++] = 1883;

	run.cap = file ? cap_open_file(file, err, sizeof err) : cap_open_live(iface, err, sizeof err);
	if (!run.cap) {
		fprintf(stderr, "mqttdump: %s\n", err);
		return 1;
	}
	if (!decode_link_supported(cap_linktype(run.cap))) {
		fprintf(stderr, "mqttdump: %s: link type %d (%s) is not supported\n",
			file ? file : iface, cap_linktype(run.cap),
			cap_linktype_name(cap_linktype(run.cap)));
		cap_close(run.cap);
		return 1;
	}
	if (!filter && iface) {
		/* Live: let the kernel keep only the broker ports, tagged or not. */
		static char def[MAX_PORTS * 48 + 32];
		char ports_expr[MAX_PORTS * 24];
		size_t o = 0;
		for (size_t i = 0; i < nports; i++)
			o += (size_t)snprintf(ports_expr + o, sizeof ports_expr - o, "%stcp port %u",
					      i ? " or " : "", ports[i]);
		snprintf(def, sizeof def, "%s or (vlan and (%s))", ports_expr, ports_expr);
		filter = def;
	}
	if (filter && cap_set_filter(run.cap, filter, err, sizeof err) < 0) {
		fprintf(stderr, "mqttdump: %s\n", err);
		cap_close(run.cap);
		return 2;
	}
	if (iface && drop_privileges(user) < 0) {
		cap_close(run.cap);
		return 1;
	}

	ro.ts_digits = cap_ts_digits(run.cap);
	ro.line_buffered = cap_is_live(run.cap);
	memset(reps, 0, sizeof reps);
	if (diagram_file && !(diagram_out = fopen(diagram_file, "w"))) {
		fprintf(stderr, "mqttdump: %s: %s\n", diagram_file, strerror(errno));
		cap_close(run.cap);
		return 1;
	}
	rc = 0;
	if (!quiet) {
		/* the main output: JSON, the text diagram, the detail tree, or one line a frame;
		 * then --explain's sentences, then -x's dumps, frame by frame */
		int text = !json && !diagram_text;
		struct detail_opts tree = { 1, 0, explain || dopt.hex, 0 };
		struct detail_opts hex = { 0, 1, 0, dopt.tree };
		if (json)
			rc |= report_json_new(&ro, &reps[nreps++]);
		else if (diagram_text)
			rc |= report_diagram_new(&ro, &(struct diagram_opts){ DIAGRAM_TEXT, stdout,
						 no_color() ? 0 : isatty(fileno(stdout)),
						 gopt.max_arrows }, &reps[nreps++]);
		else if (dopt.tree)
			rc |= report_detail_new(&ro, &tree, &reps[nreps++]);
		else
			rc |= report_summary_new(&ro, &reps[nreps++]);
		if (text && explain && rc == 0)
			rc |= report_explain_new(&ro, lang ? lang : locale_lang(),
						 dopt.tree && !dopt.hex, &reps[nreps++]);
		if (text && dopt.hex && rc == 0)
			rc |= report_detail_new(&ro, &hex, &reps[nreps++]);
	}
	if (diagram_out && rc == 0) {
		gopt.out = diagram_out;
		rc |= report_diagram_new(&ro, &gopt, &reps[nreps++]);
	}
	ec.ports = ports;
	ec.nports = nports;
	if (rc < 0 || !(run.engine = engine_new(&ec, reps, nreps))) {
		fprintf(stderr, "mqttdump: out of memory\n");
		for (size_t i = 0; i < nreps; i++)
			if (reps[i].free)
				reps[i].free(reps[i].ctx);
		if (diagram_out)
			fclose(diagram_out);
		cap_close(run.cap);
		return 1;
	}

	g_cap = run.cap;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	rc = cap_loop(run.cap, on_packet, &run, err, sizeof err);
	engine_finish(run.engine);
	engine_get_stats(run.engine, &st);
	if (rc < 0) {
		/* Every record before the damage has been decoded and printed. */
		if (strstr(err, "truncated")) {
			fprintf(stderr, "mqttdump: warning: %s: the file ends inside a record (%s); "
				"%" PRIu64 " frames read\n", file ? file : iface, err, st.frames);
		} else {
			fprintf(stderr, "mqttdump: %s: %s\n", file ? file : iface, err);
			status = 1;
		}
	}
	if (ferror(stdout) || fflush(stdout) != 0) {
		if (errno != EPIPE) {
			fprintf(stderr, "mqttdump: writing output: %s\n", strerror(errno));
			status = 1;
		}
	}
	fprintf(stderr, "mqttdump: %" PRIu64 " frames, %" PRIu64 " MQTT messages, %" PRIu64
		" connections, %" PRIu64 " gaps (%" PRIu64 " bytes), %" PRIu64 " bytes skipped, %"
		PRIu64 " incomplete, %" PRIu64 " truncated, %" PRIu64 " malformed\n",
		st.frames, st.messages, st.connections, st.gaps, st.gap_bytes, st.bytes_skipped,
		st.incomplete, st.truncated, st.malformed);
	if (cap_is_live(run.cap)) {
		uint64_t recv, drop;
		if (cap_stats(run.cap, &recv, &drop) == 0)
			fprintf(stderr, "mqttdump: %" PRIu64 " packets received by filter, %" PRIu64
				" dropped by kernel\n", recv, drop);
	}
	engine_free(run.engine);
	for (size_t i = 0; i < nreps; i++)
		if (reps[i].free)
			reps[i].free(reps[i].ctx);
	if (diagram_out && (ferror(diagram_out) | fclose(diagram_out)) != 0) {
		fprintf(stderr, "mqttdump: writing %s: %s\n", diagram_file, strerror(errno));
		status = 1;
	}
	g_cap = NULL;
	cap_close(run.cap);
	return status;
}
