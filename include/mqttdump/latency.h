/*
 * latency.h - the latency histogram of --stats (src/report_stats.c).
 *
 * Bounded memory: values below 1000 ns are kept exactly, larger ones to three significant
 * digits (900 buckets per power of ten, up to 10^13 ns); the maximum is exact.
 */
#ifndef MQTTDUMP_LATENCY_H
#define MQTTDUMP_LATENCY_H

#include <stdint.h>

struct lat_hist {
	uint32_t *hist; /* allocated at the first value */
	uint64_t n, max;
};

/* Record one latency in nanoseconds (dropped if the histogram cannot be allocated). */
void lat_hist_add(struct lat_hist *l, uint64_t ns);
/* The smallest recorded value with at least p (0..1] of the values at or below it
 * (p = 0.95: the 95th percentile). 0 when empty. */
uint64_t lat_hist_pct(const struct lat_hist *l, double p);
/* The median: the middle value of an odd count, the mean of the two middle values of an
 * even count (each to the histogram's three digits). 0 when empty. */
uint64_t lat_hist_median(const struct lat_hist *l);
void lat_hist_free(struct lat_hist *l);

#endif
