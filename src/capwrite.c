/* \summary: -w: records to pcap files, standard output, or tcpdump's rotation (-C, -G, -W)
 *
 * File names as tcpdump makes them: with -C alone the first file is FILE and the next
 * ones FILE1, FILE2, ...; with -W, every file is numbered (FILE0 ... FILE<W-1>, padded to
 * W-1's digits) and the numbers come round again, overwriting the oldest. With -G the
 * name is first put through strftime(3) with the time of the file's first record (local
 * time); a file of each period, and with -W the writing ends after W of them. Unlike
 * tcpdump, -G counts capture time (the records' time stamps), so that a file read with -r
 * rotates as it was captured.
 */
#include "mqttdump/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cap_writer {
	struct cap_wopts o;
	pcap_t *dead;
	pcap_dumper_t *d;
	int nano;
	int failed;
	uint32_t digits;        /* -W: digits of the file numbers */
	uint32_t num;           /* -C: number of the current file within its period */
	uint64_t periods;       /* -G: files (periods) opened */
	int64_t period_start;   /* -G: the time (seconds) of the current file's first record */
	uint64_t records, files;
	char name[4096];
};

/* The name of the next file: the -G pattern of time t, then -C's number. Returns 0, or
 * -1 when it does not fit. */
static int make_name(struct cap_writer *w, int64_t t, char *err, size_t errlen)
{
	char base[sizeof w->name];
	size_t n;

	if (w->o.seconds) {
		time_t tt = (time_t)t;
		struct tm tm;
		if (!localtime_r(&tt, &tm) ||
		    (n = strftime(base, sizeof base, w->o.path, &tm)) == 0) {
			snprintf(err, errlen, "%s: the -G file name does not expand", w->o.path);
			return -1;
		}
	} else {
		snprintf(base, sizeof base, "%s", w->o.path);
	}
	if (w->num == 0 && w->digits == 0)
		n = (size_t)snprintf(w->name, sizeof w->name, "%s", base);
	else
		n = (size_t)snprintf(w->name, sizeof w->name, "%s%0*u", base, (int)w->digits,
				     w->num);
	if (n >= sizeof w->name) {
		snprintf(err, errlen, "%.200s...: file name too long", base);
		return -1;
	}
	return 0;
}

/* Close the current file (if any). Returns 0, or -1 with err set when writing failed. */
static int close_file(struct cap_writer *w, char *err, size_t errlen)
{
	int rc = 0;

	if (!w->d)
		return 0;
	if (pcap_dump_flush(w->d) < 0 || ferror(pcap_dump_file(w->d))) {
		snprintf(err, errlen, "%s: %s", w->name, strerror(errno ? errno : EIO));
		rc = -1;
	}
	/* the dumper is the FILE itself; standard output stays open (flushed) */
	if (strcmp(w->name, "-") != 0 && fclose(pcap_dump_file(w->d)) != 0 && rc == 0) {
		snprintf(err, errlen, "%s: %s", w->name, strerror(errno));
		rc = -1;
	}
	w->d = NULL;
	return rc;
}

static int open_file(struct cap_writer *w, int64_t t, char *err, size_t errlen)
{
	if (make_name(w, t, err, errlen) < 0)
		return -1;
	if (!(w->d = pcap_dump_open(w->dead, w->name))) {
		snprintf(err, errlen, "%s", pcap_geterr(w->dead));
		return -1;
	}
	w->files++;
	return 0;
}

/* Digits of the file numbers under -W count: those of count - 1 (tcpdump's rule). */
static uint32_t count_digits(uint32_t count)
{
	uint32_t d = 0;

	for (uint32_t x = count ? count - 1 : 0; x > 0; x /= 10)
		d++;
	return d;
}

struct cap_writer *cap_writer_open(const struct cap_wopts *o, int linktype, int ts_digits,
				   char *err, size_t errlen)
{
	struct cap_writer *w = calloc(1, sizeof *w);

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->o = *o;
	w->nano = ts_digits == 9;
	w->digits = o->count && o->max_bytes ? count_digits(o->count) : 0;
	w->dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, w->nano ?
						       PCAP_TSTAMP_PRECISION_NANO :
						       PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->dead) {
		snprintf(err, errlen, "out of memory");
		free(w);
		return NULL;
	}
	/* -G: the first name needs the first record's time; open now all the same when it
	 * has no conversion, so that a bad path is refused before the capture starts */
	if ((!o->seconds || !strchr(o->path, '%')) && open_file(w, 0, err, errlen) < 0) {
		pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

/* What the rotation does before a record at time t: 0 go on, 1 a new file, 2 stop. */
static int rotation(struct cap_writer *w, int64_t t)
{
	if (!w->d)
		return 1;
	if (w->o.seconds && t - w->period_start >= (int64_t)w->o.seconds)
		return w->o.count && w->periods >= w->o.count ? 2 : 1;
	if (w->o.max_bytes && (uint64_t)pcap_dump_ftell64(w->d) > w->o.max_bytes)
		return 1;
	return 0;
}

/* Open the file the rotation asks for before a record at time t. */
static int rotate(struct cap_writer *w, int64_t t, char *err, size_t errlen)
{
	int new_period = !w->d || (w->o.seconds && t - w->period_start >= (int64_t)w->o.seconds);

	if (close_file(w, err, errlen) < 0)
		return -1;
	if (new_period && w->o.seconds) {
		/* a new period: numbering starts again (a file per period, -C within it) */
		w->period_start = t;
		w->periods++;
		w->num = 0;
	} else if (w->files > 0) {
		w->num++;
		if (w->o.count && !w->o.seconds && w->num >= w->o.count)
			w->num = 0; /* -C -W: a ring of files */
	}
	return open_file(w, t, err, errlen);
}

int cap_writer_write(struct cap_writer *w, const struct cap_pkt *pkt, char *err, size_t errlen)
{
	struct pcap_pkthdr h;
	int what;

	if (w->failed)
		return -1;
	if ((what = rotation(w, pkt->ts_sec)) == 2)
		return 1;
	if (what == 1 && rotate(w, pkt->ts_sec, err, errlen) < 0) {
		w->failed = 1;
		return -1;
	}
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)pkt->ts_sec;
	/* the dumper writes tv_usec as is: nanoseconds for a nanosecond file */
	h.ts.tv_usec = (suseconds_t)(w->nano ? pkt->ts_nsec : pkt->ts_nsec / 1000);
	h.caplen = pkt->caplen;
	h.len = pkt->len;
	pcap_dump((u_char *)w->d, &h, pkt->data);
	w->records++;
	if ((w->o.flush && pcap_dump_flush(w->d) < 0) || ferror(pcap_dump_file(w->d))) {
		snprintf(err, errlen, "%s: %s", w->name, strerror(errno ? errno : EIO));
		w->failed = 1;
		return -1;
	}
	return 0;
}

void cap_writer_counts(const struct cap_writer *w, uint64_t *records, uint64_t *files)
{
	*records = w ? w->records : 0;
	*files = w ? w->files : 0;
}

int cap_writer_close(struct cap_writer *w, char *err, size_t errlen)
{
	int rc;

	if (!w)
		return 0;
	rc = close_file(w, err, errlen);
	pcap_close(w->dead);
	free(w);
	return rc;
}
