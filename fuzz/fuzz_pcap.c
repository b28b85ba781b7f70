/* libFuzzer target: the whole pipeline (capture, decode, reassembly, transport (TLS,
 * WebSocket, --detect), framing, session tracking, every output of the registry: summary,
 * JSON, timeline, statistics, detail tree, explanations, hex dump, HTML diagram, -w's
 * frames to a pcap writer) over the input as a capture file, built by pipeline_new() as the program
 * builds it. Every other run the filters (--topic, --client) are on. */
#define _GNU_SOURCE
#include "mqttdump/capture.h"
#include "mqttdump/pipeline.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static FILE *devnull;

static void on_packet(void *ctx, const struct cap_pkt *pkt)
{
	pipeline_packet(ctx, pkt);
}

/* -w's frames go to a pcap writer on /dev/null. */
static int on_write(void *ctx, const struct cap_pkt *pkt)
{
	char err[256];

	return cap_writer_write(ctx, pkt, err, sizeof err) < 0;
}

/* Every output at once, all to /dev/null; the language and the statistics' form change
 * from run to run. */
static int configure(struct mqttdump_config *c, unsigned run)
{
	static const uint16_t ports[] = { 1883, 17501 };

	mqttdump_config_init(c);
	/* --detect: every port is followed, so the transport stage sees all the input */
	if (port_set_add_array(&c->ports, ports, 2) < 0 || port_set_add(&c->tls_ports, 8883) < 0 ||
	    port_set_add(&c->ws_ports, 9001) < 0)
		return -1;
	c->detect = 1;
	c->max_buffer = 1 << 16;
	c->max_flows = 64;
	c->flow_timeout = 10;
	c->payload_max = 64;
	if (run & 1) {
		if (mqttdump_config_add_topic(c, "a/+/#") < 0 ||
		    mqttdump_config_add_topic(c, "b") < 0 || mqttdump_config_add_client(c, "c") < 0)
			return -1;
	}
	c->lang = run & 2 ? "fr" : "en";
	c->stats_json = (run & 2) != 0;
	c->diagram_max = 50;
	c->diagram_svg = c->diagram_html = c->timeline_file = "/dev/null";
	c->outputs = OUTPUT_BIT(OUTPUT_COUNT) - 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned runs;
	char path[64], err[256];
	struct mqttdump_config cfg;
	struct pipeline_env env = { 0 };
	struct pipeline *p = NULL;
	struct cap_wopts wo = { "/dev/null", 0, 0, 0, 0 };
	struct cap_writer *w;
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
	env.out = devnull;
	env.ts_digits = cap_ts_digits(c);
	w = cap_writer_open(&wo, cap_linktype(c), env.ts_digits, err, sizeof err);
	env.write_frame = on_write;
	env.write_ctx = w;
	if (configure(&cfg, runs++) == 0 && w && decode_link_supported(cap_linktype(c)) &&
	    (p = pipeline_new(&cfg, &env, err, sizeof err))) {
		cap_loop(c, on_packet, p, err, sizeof err);
		pipeline_finish(p);
	}
	pipeline_free(p, err, sizeof err);
	cap_writer_close(w, err, sizeof err);
	mqttdump_config_free(&cfg);
	cap_close(c);
	return 0;
}
