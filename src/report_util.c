/* \summary: helpers shared by reporters: time stamps, names */
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <time.h>

static const uint32_t pow10_tab[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					100000000, 1000000000 };

void report_iso_time(int64_t sec, uint32_t nsec, int digits, char *out, size_t cap)
{
	struct tm tm;
	time_t t = (time_t)sec;
	char base[32];

	if (digits < 0 || digits > 9)
		digits = 9;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, cap, "?");
		return;
	}
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	if (digits == 0)
		snprintf(out, cap, "%sZ", base);
	else
		snprintf(out, cap, "%s.%0*" PRIu32 "Z", base, digits, nsec / pow10_tab[9 - digits]);
}

size_t report_u64(char *out, uint64_t v)
{
	char t[24];
	size_t n = 0, i;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = t[n - 1 - i];
	out[n] = '\0';
	return n;
}

void report_rel_time(int64_t sec, uint32_t nsec, int64_t sec0, uint32_t nsec0, int digits,
		     char *out, size_t cap)
{
	int64_t ns = (sec - sec0) * 1000000000 + ((int64_t)nsec - (int64_t)nsec0);
	const char *sign = "";

	if (digits < 0 || digits > 9)
		digits = 9;
	if (ns < 0) {
		sign = "-";
		ns = -ns;
	}
	if (cap < 32) {
		snprintf(out, cap, "?");
		return;
	}
	/* by hand: this runs for every line */
	{
		size_t n = 0;
		uint64_t frac = (uint64_t)(ns % 1000000000) / pow10_tab[9 - digits];
		if (*sign)
			out[n++] = '-';
		n += report_u64(out + n, (uint64_t)(ns / 1000000000));
		if (digits) {
			out[n++] = '.';
			for (int i = digits - 1; i >= 0; i--, frac /= 10)
				out[n + (size_t)i] = (char)('0' + frac % 10);
			n += (size_t)digits;
		}
		out[n] = '\0';
	}
}

const char *report_end_name(int why)
{
	switch (why) {
	case REASM_END_FIN: return "fin";
	case REASM_END_RST: return "rst";
	case REASM_END_REUSED: return "reused";
	case REASM_END_IDLE: return "idle";
	case REASM_END_EVICTED: return "evicted";
	case REASM_END_CAPTURE: return "capture_end";
	default: return "unknown";
	}
}
