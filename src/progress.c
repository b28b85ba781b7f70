/* \summary: the progress line of a long read on a terminal */
#define _POSIX_C_SOURCE 200809L
#include "mqttdump/progress.h"

#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, FILE *out)
{
	p->out = out;
	p->start = p->last = now();
	p->shown = 0;
}

void progress_text(char *out, size_t cap, uint64_t pos, uint64_t size, double elapsed)
{
	double rate = elapsed > 0 ? (double)pos / elapsed : 0;
	int n;

	if (size && pos <= size) {
		n = snprintf(out, cap, "%.1f MB of %.1f MB (%d%%), %.1f MB/s", pos / 1e6, size / 1e6,
			     (int)(100.0 * (double)pos / (double)size), rate / 1e6);
		if (rate > 0 && n > 0 && (size_t)n < cap)
			snprintf(out + n, cap - (size_t)n, ", %.0f s left",
				 (double)(size - pos) / rate);
	} else {
		snprintf(out, cap, "%.1f MB read, %.1f MB/s", pos / 1e6, rate / 1e6);
	}
}

void progress_update(struct progress *p, uint64_t pos, uint64_t size)
{
	double t = now();
	char line[128];

	if (!p->out || t - p->start < 1.0 || t - p->last < 0.25)
		return;
	p->last = t;
	progress_text(line, sizeof line, pos, size, t - p->start);
	/* \r and erase to the end of the line: the line is rewritten in place */
	fprintf(p->out, "\rmqttdump: %s\033[K", line);
	fflush(p->out);
	p->shown = 1;
}

void progress_erase(struct progress *p)
{
	if (p->out && p->shown) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
		p->shown = 0;
	}
}
