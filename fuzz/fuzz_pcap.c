/* libFuzzer target: the whole pipeline (capture, decode, reassembly, transport (TLS,
 * WebSocket, --detect), framing, session tracking, every reporter: summary, JSON,
 * timeline, statistics, detail tree with hex, explanations, HTML diagram) over the input
 * as a capture file. Every other run the filters (--topic, --client) are on. */
#define _GNU_SOURCE
#include "mqttdump/capture.h"
#include "mqttdump/engine.h"
#include "mqttdump/session.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static FILE *devnull;

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	engine_packet(ctx, pkt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 1883, 17501 }, tls[] = { 8883 }, ws[] = { 9001 };
	char path[64], err[256];
	/* --detect: every port is followed, so the transport stage sees all the input */
	struct engine_config ec = { .ports = ports, .nports = 2, .max_buffer = 1 << 16,
				    .max_held = 1 << 16, .max_flows = 64, .flow_timeout = 10,
				    .tls_ports = tls, .ntls = 1, .ws_ports = ws, .nws = 1,
				    .detect = 1 };
	struct report_opts ro = { 0 };
	struct reporter reps[8];
	size_t n = 0;
	static unsigned runs;
	struct session_config sc = { .type = -1 };
	struct session_tracker *t;
	struct detail_opts dopt = { 1, 1, 0, 0 };
	struct diagram_opts gopt = { .kind = DIAGRAM_HTML, .max_arrows = 50 };
	struct engine *e;
	struct cap *c;
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	c = cap_open_file(path, err, sizeof err);
	close(fd);
	if (!c)
		return 0;
	ro.out = devnull;
	ro.ts_digits = cap_ts_digits(c);
	ro.payload_max = 64;
	if (runs++ & 1) {
		sc.topic = "a/+/#";
		sc.client = "c";
	}
	t = session_new(&sc);
	gopt.out = devnull;
	if (report_summary_new(&ro, &reps[n]) == 0)
		n++;
	if (report_json_new(&ro, &reps[n]) == 0)
		n++;
	if (report_detail_new(&ro, &dopt, &reps[n]) == 0)
		n++;
	if (report_explain_new(&ro, runs & 2 ? "fr" : "en", 0, &reps[n]) == 0)
		n++;
	if (report_diagram_new(&ro, &gopt, &reps[n]) == 0)
		n++;
	if (t) { /* the timeline reporter closes its file */
		FILE *tlf = fopen("/dev/null", "w");
		if (tlf && report_timeline_new(&ro, t, tlf, &reps[n]) == 0)
			n++;
		else if (tlf)
			fclose(tlf);
	}
	if (t && report_stats_new(&ro, t, runs & 2, devnull, &reps[n]) == 0)
		n++;
	ec.sessions = t;
	e = engine_new(&ec, reps, n);
	if (e && decode_link_supported(cap_linktype(c))) {
		cap_loop(c, on_packet, e, err, sizeof err);
		engine_finish(e);
	}
	engine_free(e);
	for (size_t i = 0; i < n; i++)
		reps[i].free(reps[i].ctx);
	session_free(t);
	cap_close(c);
	return 0;
}
