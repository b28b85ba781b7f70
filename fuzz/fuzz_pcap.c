/* libFuzzer target: the whole pipeline (capture, decode, reassembly, transport (TLS,
 * WebSocket, --detect), framing, both reporters) over the input as a capture file. */
#define _GNU_SOURCE
#include "mqttdump/capture.h"
#include "mqttdump/engine.h"

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
	struct engine_config ec = { ports, 2, 1 << 16, 1 << 16, 64, 10, 0, tls, 1, ws, 1, 1, NULL,
				    NULL };
	struct report_opts ro = { 0 };
	struct reporter reps[2];
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
	report_summary_new(&ro, &reps[0]);
	report_json_new(&ro, &reps[1]);
	e = engine_new(&ec, reps, 2);
	if (e && decode_link_supported(cap_linktype(c))) {
		cap_loop(c, on_packet, e, err, sizeof err);
		engine_finish(e);
	}
	engine_free(e);
	reps[0].free(reps[0].ctx);
	reps[1].free(reps[1].ctx);
	cap_close(c);
	return 0;
}
