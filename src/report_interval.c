/* \summary: --stats-interval: a statistics record every S seconds of capture time */
#include "mqttdump/budget.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <inttypes.h>
#include <json-c/json.h>
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

static json_object *jnum(const struct ivl *v, uint64_t ns)
{
	char b[48];

	report_rel_time((int64_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u), 0, 0,
			v->o.ts_digits, b, sizeof b);
	return json_object_new_double_s(ns / 1e9, b);
}

static void put(json_object *o, const char *k, json_object *x)
{
	if (!o || !x || json_object_object_add_ex(o, k, x, JSON_C_OBJECT_KEY_IS_CONSTANT) < 0) {
		json_object_put(x);
		mqttdump_oom("--stats-interval");
	}
}

static void put_int(json_object *o, const char *k, uint64_t n)
{
	put(o, k, json_object_new_int64((int64_t)n));
}

/* The counts, into o (the same keys in --json's record and in --eve's). */
static json_object *add_counts(json_object *o, const struct ivl *v, uint64_t open)
{
	json_object *t = json_object_new_object();

	put_int(o, "frames", v->c.frames);
	put_int(o, "bytes", v->c.bytes);
	put_int(o, "messages", v->c.messages);
	for (int i = 0; i < 16; i++)
		if (v->c.types[i])
			put_int(t, mqtt_type_name((uint8_t)i), v->c.types[i]);
	put(o, "types", t);
	put_int(o, "connections_open", open);
	put_int(o, "anomalies", v->c.anomalies);
	put_int(o, "security_notes", v->c.notes);
	return o;
}

static void write_json(const struct ivl *v, json_object *o)
{
	size_t n = 0;
	const char *s = o ? json_object_to_json_string_length(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n) : NULL;

	if (s) {
		fwrite(s, 1, n, v->o.out);
		fputc('\n', v->o.out);
	} else {
		mqttdump_oom("--stats-interval");
	}
	json_object_put(o);
}

/* EVE's stats record: Suricata's envelope and counter groups, mqttdump's counts under
 * "mqtt". */
static void write_eve(const struct ivl *v, uint64_t from, uint64_t to, uint64_t open)
{
	json_object *o = json_object_new_object(), *st = json_object_new_object();
	json_object *dec = json_object_new_object();
	json_object *m = add_counts(json_object_new_object(), v, open);
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
	put(o, "timestamp", json_object_new_string(b));
	put(o, "event_type", json_object_new_string("stats"));
	put_int(st, "uptime", to / 1000000000u);
	put_int(dec, "pkts", v->c.frames);
	put_int(dec, "bytes", v->c.bytes);
	put(st, "decoder", dec);
	put(m, "interval_start", jnum(v, from));
	put(m, "interval_end", jnum(v, to));
	put(st, "mqtt", m);
	put(o, "stats", st);
	write_json(v, o);
}

static void write_text(const struct ivl *v, uint64_t from, uint64_t to, uint64_t open)
{
	char a[48], b[48];
	int any = 0;

	report_rel_time((int64_t)(from / 1000000000u), (uint32_t)(from % 1000000000u), 0, 0,
			v->o.ts_digits, a, sizeof a);
	report_rel_time((int64_t)(to / 1000000000u), (uint32_t)(to % 1000000000u), 0, 0,
			v->o.ts_digits, b, sizeof b);
	fprintf(v->o.out, "Interval %s <> %s: %" PRIu64 " frames, %" PRIu64 " bytes, %" PRIu64
		" messages (", a, b, v->c.frames, v->c.bytes, v->c.messages);
	for (int i = 0; i < 16; i++)
		if (v->c.types[i])
			fprintf(v->o.out, "%s%s %" PRIu64, any++ ? ", " : "",
				mqtt_type_name((uint8_t)i), v->c.types[i]);
	fprintf(v->o.out, "), %" PRIu64 " connections open, %" PRIu64 " anomalies, %" PRIu64
		" security notes\n", open, v->c.anomalies, v->c.notes);
}

/* ts and epoch of the time ns after the first frame. */
static void put_time(const struct ivl *v, json_object *o, uint64_t ns)
{
	int64_t sec;
	uint32_t nsec;
	char ts[48];

	at_time(v, ns, &sec, &nsec);
	report_iso_time(sec, nsec, v->o.ts_digits, ts, sizeof ts);
	put(o, "ts", json_object_new_string(ts));
	report_rel_time(sec, nsec, 0, 0, v->o.ts_digits, ts, sizeof ts);
	put(o, "epoch", json_object_new_double_s((double)sec + nsec / 1e9, ts));
}

/* Write the interval being counted, and start the next. */
static void close_interval(struct ivl *v)
{
	uint64_t from = v->k * v->io.interval_ns, to = from + v->io.interval_ns;
	uint64_t open = v->sessions ? session_open_count(v->sessions) : 0;

	if (v->io.format == INTERVAL_JSON) {
		json_object *o = json_object_new_object();
		put(o, "event", json_object_new_string("stats"));
		put(o, "interval_start", jnum(v, from));
		put(o, "interval_end", jnum(v, to));
		put_time(v, o, from);
		write_json(v, add_counts(o, v, open));
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
	r->free = free;
	return 0;
}
