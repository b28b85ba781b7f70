/* \summary: --stats-interval: a statistics record every S seconds of capture time */
#include "mqttdump/budget.h"
#include "mqttdump/i18n.h"
#include "mqttdump/jsonw.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A silence this many intervals long is written as that many empty records; past it the
 * next record is the interval of the next frame (a time stamp years ahead must not write
 * billions of lines). */
#define EMPTY_MAX 1000

struct counts {
	uint64_t frames, bytes, messages, anomalies, notes;
	uint64_t types[16];
};

struct ivl {
	struct report_opts o;
	struct interval_opts io;
	struct session_tracker *sessions;
	int started;
	int64_t sec0;             /* the first frame's time: intervals count from it */
	uint32_t nsec0;
	uint64_t k;               /* the interval being counted: [k S, (k + 1) S) */
	struct counts c;
	struct report_buf line;   /* a JSON record being written */
	struct jsonw w;           /* on line */
};

/* ns since the first frame; a frame stamped before it counts as 0 */
static uint64_t since_first(const struct ivl *v, int64_t sec, uint32_t nsec)
{
	int64_t ds = sec - v->sec0; /* the capture bounds time stamps (CAP_TS_MAX): no overflow */
	int64_t dn = (int64_t)nsec - v->nsec0;

	if (ds < 0 || (ds == 0 && dn < 0))
		return 0;
	if (ds > INT64_MAX / 2000000000)
		return UINT64_MAX / 2;
	return (uint64_t)(ds * 1000000000 + dn);
}

/* The time ns after the first frame, as seconds and nanoseconds. */
static void at_time(const struct ivl *v, uint64_t ns, int64_t *sec, uint32_t *nsec)
{
	uint64_t t = v->nsec0 + ns;

	*sec = v->sec0 + (int64_t)(t / 1000000000u);
	*nsec = (uint32_t)(t % 1000000000u);
}

/* Seconds since the first frame, with the capture's digits. */
static void jnum(struct ivl *v, const char *key, uint64_t ns)
{
	char b[48];

	report_rel_time((int64_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u), 0, 0,
			v->o.ts_digits, b, sizeof b);
	jsonw_kraw(&v->w, key, b);
}

/* The counts (the same keys in --json's record and in --eve's). */
static void add_counts(struct ivl *v, uint64_t open)
{
	struct jsonw *w = &v->w;

	jsonw_kuint(w, "frames", v->c.frames);
	jsonw_kuint(w, "bytes", v->c.bytes);
	jsonw_kuint(w, "messages", v->c.messages);
	jsonw_key(w, "types");
	jsonw_obj(w);
	for (int i = 0; i < 16; i++)
		if (v->c.types[i])
			jsonw_kuint(w, mqtt_type_name((uint8_t)i), v->c.types[i]);
	jsonw_obj_end(w);
	jsonw_kuint(w, "connections_open", open);
	jsonw_kuint(w, "anomalies", v->c.anomalies);
	jsonw_kuint(w, "security_notes", v->c.notes);
}

static void rec_begin(struct ivl *v)
{
	v->line.len = 0;
	jsonw_reset(&v->w);
	jsonw_obj(&v->w);
}

/* The record as a line, or nothing when it could not be written whole (the loss noted). */
static void rec_end(struct ivl *v)
{
	jsonw_obj_end(&v->w);
	if (v->w.fail || v->w.depth) {
		mqttdump_oom("--stats-interval");
		return;
	}
	fwrite(v->line.p, 1, v->line.len, v->o.out);
	fputc('\n', v->o.out);
}

/* EVE's stats record: Suricata's envelope and counter groups, mqttdump's counts under
 * "mqtt". */
static void write_eve(struct ivl *v, uint64_t from, uint64_t to, uint64_t open)
{
	struct jsonw *w = &v->w;
	int64_t sec;
	uint32_t nsec;
	char b[64];
	struct tm tm;
	time_t tt;
	size_t n;

	at_time(v, to, &sec, &nsec);
	tt = (time_t)sec;
	if (!gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof tm);
	n = strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(b + n, sizeof b - n, ".%06u+0000", (unsigned)(nsec / 1000));
	rec_begin(v);
	jsonw_kstr(w, "timestamp", b);
	jsonw_kstr(w, "event_type", "stats");
	jsonw_key(w, "stats");
	jsonw_obj(w);
	jsonw_kuint(w, "uptime", to / 1000000000u);
	jsonw_key(w, "decoder");
	jsonw_obj(w);
	jsonw_kuint(w, "pkts", v->c.frames);
	jsonw_kuint(w, "bytes", v->c.bytes);
	jsonw_obj_end(w);
	jsonw_key(w, "mqtt");
	jsonw_obj(w);
	add_counts(v, open);
	jnum(v, "interval_start", from);
	jnum(v, "interval_end", to);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
	rec_end(v);
}

static void write_text(const struct ivl *v, uint64_t from, uint64_t to, uint64_t open)
{
	char a[48], b[48];
	int any = 0;

	report_rel_time((int64_t)(from / 1000000000u), (uint32_t)(from % 1000000000u), 0, 0,
			v->o.ts_digits, a, sizeof a);
	report_rel_time((int64_t)(to / 1000000000u), (uint32_t)(to % 1000000000u), 0, 0,
			v->o.ts_digits, b, sizeof b);
	/* a piece per count, so that each noun agrees with its own number */
	fprintf(v->o.out, _("Interval %s <> %s: "), a, b);
	fprintf(v->o.out, n_("%" PRIu64 " frame", "%" PRIu64 " frames", v->c.frames), v->c.frames);
	fprintf(v->o.out, n_(", %" PRIu64 " byte", ", %" PRIu64 " bytes", v->c.bytes), v->c.bytes);
	fprintf(v->o.out, n_(", %" PRIu64 " message (", ", %" PRIu64 " messages (", v->c.messages),
		v->c.messages);
	for (int i = 0; i < 16; i++)
		if (v->c.types[i])
			fprintf(v->o.out, "%s%s %" PRIu64, any++ ? ", " : "",
				mqtt_type_name((uint8_t)i), v->c.types[i]);
	fprintf(v->o.out, n_("), %" PRIu64 " connection open", "), %" PRIu64 " connections open",
			     open), open);
	fprintf(v->o.out, n_(", %" PRIu64 " anomaly", ", %" PRIu64 " anomalies", v->c.anomalies),
		v->c.anomalies);
	fprintf(v->o.out, n_(", %" PRIu64 " security note\n", ", %" PRIu64 " security notes\n",
			     v->c.notes), v->c.notes);
}

/* ts and epoch of the time ns after the first frame. */
static void put_time(struct ivl *v, uint64_t ns)
{
	int64_t sec;
	uint32_t nsec;
	char ts[48];

	at_time(v, ns, &sec, &nsec);
	report_iso_time(sec, nsec, v->o.ts_digits, ts, sizeof ts);
	jsonw_kstr(&v->w, "ts", ts);
	report_rel_time(sec, nsec, 0, 0, v->o.ts_digits, ts, sizeof ts);
	jsonw_kraw(&v->w, "epoch", ts);
}

/* Write the interval being counted, and start the next. */
static void close_interval(struct ivl *v)
{
	uint64_t from = v->k * v->io.interval_ns, to = from + v->io.interval_ns;
	uint64_t open = v->sessions ? session_open_count(v->sessions) : 0;

	if (v->io.format == INTERVAL_JSON) {
		rec_begin(v);
		jsonw_kstr(&v->w, "event", "stats");
		jnum(v, "interval_start", from);
		jnum(v, "interval_end", to);
		put_time(v, from);
		add_counts(v, open);
		rec_end(v);
	} else if (v->io.format == INTERVAL_EVE) {
		write_eve(v, from, to, open);
	} else {
		write_text(v, from, to, open);
	}
	if (v->o.line_buffered)
		fflush(v->o.out);
	memset(&v->c, 0, sizeof v->c);
	v->k++;
}

static void frame_begin(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct ivl *v = ctx;
	uint64_t t, k, empty = 0;

	(void)seg;
	if (!v->started) {
		v->started = 1;
		v->sec0 = pkt->ts_sec;
		v->nsec0 = pkt->ts_nsec;
	}
	t = since_first(v, pkt->ts_sec, pkt->ts_nsec);
	k = t / v->io.interval_ns;
	/* a frame stamped before the interval being counted counts in it */
	while (v->k < k) {
		if (v->c.frames == 0 && empty++ >= EMPTY_MAX) {
			v->k = k;
			break;
		}
		close_interval(v);
	}
	v->c.frames++;
	v->c.bytes += pkt->len;
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct ivl *v = ctx;

	v->c.messages++;
	v->c.types[rec->msg.hdr.type & 15]++;
}

static void on_anomaly(void *ctx, const struct session *s, const struct session_anomaly *a)
{
	struct ivl *v = ctx;

	(void)s;
	if (session_is_security_note(a->kind))
		v->c.notes++;
	else
		v->c.anomalies++;
}

static void finish(void *ctx)
{
	struct ivl *v = ctx;

	if (v->started)
		close_interval(v); /* the last one, cut short by the capture's end */
	fflush(v->o.out);
}

static void ivl_free(void *ctx)
{
	struct ivl *v = ctx;

	if (!v)
		return;
	report_buf_free(&v->line);
	free(v);
}

int report_interval_new(const struct report_opts *o, const struct interval_opts *io,
			struct session_tracker *t, struct reporter *r)
{
	struct ivl *v;
	struct session_observer ob = { NULL, NULL, on_anomaly, NULL, NULL, NULL, NULL, NULL };

	if (!io->interval_ns || !(v = budget_calloc(1, sizeof *v, "--stats-interval")))
		return -1;
	v->o = *o;
	v->io = *io;
	v->sessions = t;
	jsonw_init(&v->w, &v->line, 0);
	ob.ctx = v;
	if (t && session_observe(t, &ob) < 0) {
		free(v);
		return -1;
	}
	memset(r, 0, sizeof *r);
	r->ctx = v;
	r->frame_begin = frame_begin;
	r->message = message;
	r->finish = finish;
	r->free = ivl_free;
	return 0;
}
