/* \summary: mqttdump command line: options, wiring, exit status */
#include "mqttdump/capture.h"
#include "mqttdump/engine.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"
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
	      "  -q                   print nothing but the statistics line (on stderr)\n"
	      "  -w OUT               write the frames that carry the messages to a new pcap\n"
	      "                       (with -r FILE: the file is read twice)\n"
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
	      "filters (every output):\n"
	      "  --topic FILTER       PUBLISH, SUBSCRIBE, UNSUBSCRIBE matching an MQTT topic filter\n"
	      "                       (+ and # wildcards), and their acknowledgements\n"
	      "  --client ID          the connections of this client id\n"
	      "  --type TYPE          packets of one type (PUBLISH, puback, 3, ...)\n"
	      "limits:\n"
	      "  --max-buffer BYTES   largest MQTT packet gathered (default 16777216)\n"
	      "  --max-flows N        connections tracked at once (default 262144)\n"
	      "  --flow-timeout SECS  close a connection idle this long (default 3600; 0: never)\n"
	      "  -h, --help           this help\n"
	      "  --version            print the version\n",
	      f);
}

enum { OPT_JSON = 256, OPT_PAYLOAD_MAX, OPT_SHOW_SECRETS, OPT_MAX_BUFFER, OPT_MAX_FLOWS,
       OPT_FLOW_TIMEOUT, OPT_VERSION, OPT_TIMELINE, OPT_STATS, OPT_TOPIC, OPT_CLIENT, OPT_TYPE,
       OPT_TLS_PORT, OPT_WS_PORT, OPT_DETECT, OPT_KEYLOG,
       OPT_EXPLAIN, OPT_LANG, OPT_DIAGRAM, OPT_DIAGRAM_MAX };

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "payload-max", required_argument, NULL, OPT_PAYLOAD_MAX },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ "max-buffer", required_argument, NULL, OPT_MAX_BUFFER },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "stats", optional_argument, NULL, OPT_STATS },
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

/* Add a port to a list of at most MAX_PORTS, or exit naming the option. */
static void add_port(const char *opt, const char *arg, uint16_t *list, size_t *n)
{
	if (*n == MAX_PORTS) {
		fprintf(stderr, "mqttdump: %s: at most %d ports\n", opt, MAX_PORTS);
		exit(2);
	}
	list[(*n)++] = (uint16_t)number(opt, arg, 1, 65535);
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

struct wpass {
	void *sel;
	struct cap_writer *w;
	uint64_t written;
};

static void on_write(void *ctx, const struct cap_pkt *pkt)
{
	struct wpass *wp = ctx;

	if (report_select_frame(wp->sel, pkt)) {
		cap_writer_write(wp->w, pkt);
		wp->written++;
	}
}

/* -w, second pass: read the file again (through the same filter) and copy the records
 * that carry the messages the first pass saw. Returns the records written, or -1. */
static int64_t write_selected(const char *file, const char *filter, void *sel,
			      struct cap_writer *w, char *err, size_t errlen)
{
	struct wpass wp = { sel, w, 0 };
	struct cap *c = cap_open_file(file, err, errlen);
	int rc;

	if (!c)
		return -1;
	if (filter && cap_set_filter(c, filter, err, errlen) < 0) {
		cap_close(c);
		return -1;
	}
	rc = cap_loop(c, on_write, &wp, err, errlen);
	cap_close(c);
	if (rc < 0 && !strstr(err, "truncated"))
		return -1;
	return (int64_t)wp.written;
}

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	struct run *r = ctx;

	if (engine_packet(r->engine, pkt))
		cap_stop(r->cap);
}

int main(int argc, char **argv)
{
	const char *file = NULL, *iface = NULL, *filter = NULL, *user = NULL, *wfile = NULL;
	const char *keylog_path = NULL;
	struct tls_keylog *keylog = NULL;
	struct cap_writer *writer = NULL;
	uint16_t ports[MAX_PORTS], tls_ports[MAX_PORTS], ws_ports[MAX_PORTS];
	size_t nports = 0, ntls = 0, nws = 0;
	int json = 0, quiet = 0, list = 0, opt, rc, status = 0;
	int explain = 0, diagram_text = 0;
	const char *lang = NULL, *diagram_file = NULL;
	struct detail_opts dopt = { 0, 0, 0, 0 };
	struct diagram_opts gopt = { .kind = DIAGRAM_TEXT, .max_arrows = 2000 };
	FILE *diagram_out = NULL;
	struct report_opts ro = { .out = stdout, .payload_max = 256 };
	struct engine_config ec = { .max_buffer = 16u << 20, .max_held = 16u << 20,
				    .max_flows = 262144, .flow_timeout = 3600 };
	struct reporter reps[8];
	size_t nreps = 0, sel = 0;
	const char *timeline = NULL;
	int stats = -1; /* 0 text, 1 json */
	struct session_config sc = { .type = -1 };
	struct session_tracker *tracker = NULL;
	FILE *tl_out = NULL;
	struct engine_stats st;
	struct run run;
	char err[512];

	while ((opt = getopt_long(argc, argv, "r:i:Df:p:c:qhVxZ:w:", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'r': file = optarg; break;
		case 'i': iface = optarg; break;
		case 'D': list = 1; break;
		case 'f': filter = optarg; break;
		case 'p': add_port("-p", optarg, ports, &nports); break;
		case OPT_TLS_PORT: add_port("--tls-port", optarg, tls_ports, &ntls); break;
		case OPT_WS_PORT: add_port("--ws-port", optarg, ws_ports, &nws); break;
		case OPT_DETECT: ec.detect = 1; break;
		case OPT_KEYLOG: keylog_path = optarg; break;
		case 'c': ec.max_messages = number("-c", optarg, 1, UINT64_MAX); break;
		case 'q': quiet = 1; break;
		case 'Z': user = optarg; break;
		case 'w': wfile = optarg; break;
		case OPT_JSON: json = 1; break;
		case OPT_PAYLOAD_MAX:
			ro.payload_max = (uint32_t)number("--payload-max", optarg, 0, UINT32_MAX);
			break;
		case OPT_SHOW_SECRETS: ro.show_secrets = 1; break;
		case OPT_TIMELINE: timeline = optarg; break;
		case OPT_STATS:
			if (optarg && strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "mqttdump: --stats: \"%s\" is not text or json\n", optarg);
				return 2;
			}
			stats = optarg && !strcmp(optarg, "json");
			break;
		case OPT_TOPIC: sc.topic = optarg; break;
		case OPT_CLIENT: sc.client = optarg; break;
		case OPT_TYPE:
			if ((sc.type = session_type_by_name(optarg)) < 0) {
				fprintf(stderr, "mqttdump: --type: \"%s\" is not an MQTT packet type\n",
					optarg);
				return 2;
			}
			break;
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
	if (wfile && (!file || strcmp(file, "-") == 0)) {
		fprintf(stderr, "mqttdump: -w needs -r FILE (a file, read a second time to copy "
			"the frames)\n");
		return 2;
	}
	if (keylog_path && !(keylog = tls_keylog_load(keylog_path, err, sizeof err))) {
		fprintf(stderr, "mqttdump: --keylog %s: %s\n", keylog_path, err);
		return 1;
	}
	ec.keylog = keylog;
	ec.keylog_path = keylog_path;
	if (nports == 0)
		ports[nports++] = 1883;
	if (ntls == 0)
		tls_ports[ntls++] = 8883;
	if (nws == 0) {
		ws_ports[nws++] = 8080;
		ws_ports[nws++] = 9001;
	}

	run.cap = file ? cap_open_file(file, err, sizeof err) : cap_open_live(iface, err, sizeof err);
	if (!run.cap) {
		fprintf(stderr, "mqttdump: %s\n", err);
		tls_keylog_free(keylog);
		return 1;
	}
	if (!decode_link_supported(cap_linktype(run.cap))) {
		fprintf(stderr, "mqttdump: %s: link type %d (%s) is not supported\n",
			file ? file : iface, cap_linktype(run.cap),
			cap_linktype_name(cap_linktype(run.cap)));
		status = 1;
		goto out;
	}
	if (!filter && iface && ec.detect) {
		filter = "tcp or (vlan and tcp)";
	} else if (!filter && iface) {
		/* Live: let the kernel keep only the followed ports, tagged or not. */
		static char def[3 * MAX_PORTS * 48 + 32];
		char ports_expr[3 * MAX_PORTS * 24];
		const uint16_t *lists[3] = { ports, tls_ports, ws_ports };
		size_t lens[3] = { nports, ntls, nws }, o = 0;
		for (int l = 0; l < 3; l++)
			for (size_t i = 0; i < lens[l]; i++)
				o += (size_t)snprintf(ports_expr + o, sizeof ports_expr - o,
						      "%stcp port %u", o ? " or " : "", lists[l][i]);
		snprintf(def, sizeof def, "%s or (vlan and (%s))", ports_expr, ports_expr);
		filter = def;
	}
	if (filter && cap_set_filter(run.cap, filter, err, sizeof err) < 0) {
		fprintf(stderr, "mqttdump: %s\n", err);
		status = 2;
		goto out;
	}
	if (iface && drop_privileges(user) < 0) {
		status = 1;
		goto out;
	}

	ro.ts_digits = cap_ts_digits(run.cap);
	ro.line_buffered = cap_is_live(run.cap);
	memset(reps, 0, sizeof reps);
	if (diagram_file && !(diagram_out = fopen(diagram_file, "w"))) {
		fprintf(stderr, "mqttdump: %s: %s\n", diagram_file, strerror(errno));
		status = 1;
		goto out;
	}
	if (wfile && !(writer = cap_writer_open(wfile, cap_linktype(run.cap), ro.ts_digits, err,
					       sizeof err))) {
		fprintf(stderr, "mqttdump: -w %s\n", err);
		status = 1;
		goto out;
	}
	if (timeline || stats >= 0 || sc.topic || sc.client || sc.type >= 0) {
		if (!(tracker = session_new(&sc)))
			goto oom;
	}
	if (!quiet) {
		/* the main output: JSON, the text diagram, the detail tree, or one line a frame;
		 * then --explain's sentences, then -x's dumps, frame by frame */
		int text = !json && !diagram_text;
		struct detail_opts tree = { 1, 0, explain || dopt.hex, 0 };
		struct detail_opts hex = { 0, 1, 0, dopt.tree };
		if (json)
			rc = report_json_new(&ro, &reps[nreps]);
		else if (diagram_text)
			rc = report_diagram_new(&ro, &(struct diagram_opts){ DIAGRAM_TEXT, stdout,
						no_color() ? 0 : isatty(fileno(stdout)),
						gopt.max_arrows }, &reps[nreps]);
		else if (dopt.tree)
			rc = report_detail_new(&ro, &tree, &reps[nreps]);
		else
			rc = report_summary_new(&ro, &reps[nreps]);
		if (rc < 0)
			goto oom;
		nreps++;
		if (text && explain) {
			if (report_explain_new(&ro, lang ? lang : locale_lang(),
					       dopt.tree && !dopt.hex, &reps[nreps]) < 0)
				goto oom;
			nreps++;
		}
		if (text && dopt.hex) {
			if (report_detail_new(&ro, &hex, &reps[nreps]) < 0)
				goto oom;
			nreps++;
		}
	}
	if (diagram_out) {
		gopt.out = diagram_out;
		if (report_diagram_new(&ro, &gopt, &reps[nreps]) < 0)
			goto oom;
		nreps++;
	}
	if (timeline) {
		tl_out = strcmp(timeline, "-") ? fopen(timeline, "w") : stdout;
		if (!tl_out) {
			fprintf(stderr, "mqttdump: --timeline: %s: %s\n", timeline, strerror(errno));
			status = 1;
			goto out;
		}
		if (report_timeline_new(&ro, tracker, tl_out, &reps[nreps]) < 0) {
			if (tl_out != stdout)
				fclose(tl_out);
			goto oom;
		}
		nreps++; /* the reporter owns tl_out now */
	}
	if (stats >= 0) {
		if (report_stats_new(&ro, tracker, stats, stdout, &reps[nreps]) < 0)
			goto oom;
		nreps++;
	}
	/* -w last: the engine hands it only the messages that passed the filters */
	if (wfile) {
		if (report_select_new(&reps[nreps]) < 0)
			goto oom;
		sel = ++nreps;
	}
	ec.ports = ports;
	ec.nports = nports;
	ec.tls_ports = tls_ports;
	ec.ntls = ntls;
	ec.ws_ports = ws_ports;
	ec.nws = nws;
	ec.sessions = tracker;
	if (!(run.engine = engine_new(&ec, reps, nreps)))
		goto oom;

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
	if (writer) {
		int64_t n = status ? -1 : write_selected(file, filter, reps[sel - 1].ctx, writer, err,
							 sizeof err);
		if (n < 0 && !status)
			fprintf(stderr, "mqttdump: -w %s: %s\n", wfile, err);
		if (cap_writer_close(writer, err, sizeof err) < 0) {
			fprintf(stderr, "mqttdump: -w %s: %s\n", wfile, err);
			status = 1;
		} else if (n >= 0) {
			fprintf(stderr, "mqttdump: -w %s: %" PRId64 " frames holding %zu MQTT messages"
				"\n", wfile, n, report_select_count(reps[sel - 1].ctx));
		} else {
			status = 1;
		}
		writer = NULL;
	}
	engine_free(run.engine);
	g_cap = NULL;
	goto out;

oom:
	fprintf(stderr, "mqttdump: out of memory\n");
	status = 1;
out:
	for (size_t i = 0; i < nreps; i++)
		if (reps[i].free)
			reps[i].free(reps[i].ctx);
	session_free(tracker);
	if (diagram_out && (ferror(diagram_out) | fclose(diagram_out)) != 0) {
		fprintf(stderr, "mqttdump: writing %s: %s\n", diagram_file, strerror(errno));
		status = 1;
	}
	if (writer)
		cap_writer_close(writer, err, sizeof err);
	cap_close(run.cap);
	tls_keylog_free(keylog);
	return status;
}
