/* \summary: --stats: counts, topics, QoS completion, latencies and anomalies, at the end
 *
 * Bounded memory: counters, a topic table of at most TOPICS_MAX topics and TOPIC_BYTES
 * bytes of their names (the rest are counted together as "other topics"), and one latency
 * histogram per acknowledgement with three significant digits (so medians and 95th
 * percentiles are exact to 3 digits; maxima are exact).
 */
#include "mqttdump/budget.h"
#include "mqttdump/i18n.h"
#include "mqttdump/jsonw.h"
#include "mqttdump/latency.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOPICS_MAX 65536
#define TOPIC_BYTES (16u << 20)
#define TOP_N 10
/* latency buckets: ns below 1000 exactly, then 900 per power of ten up to 10^13 ns */
#define LAT_DECADES 11
#define LAT_BUCKETS (1000 + LAT_DECADES * 900)

enum { LAT_CONNACK, LAT_PUBACK, LAT_PUBCOMP, LAT_SUBACK, LAT_PINGRESP, LAT_KINDS };
static const char *const lat_names[LAT_KINDS] = { "CONNACK", "PUBACK", "PUBCOMP", "SUBACK",
						   "PINGRESP" };

struct topic {
	char *name;
	uint32_t len;
	uint64_t msgs, bytes;
};

/* What the framer reported of the capture's damage, counted from the same events the JSON
 * stream carries (so the two agree). */
#define WHY_MAX 8
struct damage {
	uint64_t gaps[2], gap_bytes[2];          /* by cause: lost, snap length */
	uint64_t skipped, skipped_bytes;
	const char *why[WHY_MAX];                /* the framer's reasons, static strings */
	uint64_t why_bytes[WHY_MAX];
	uint64_t oversize, oversize_bytes;
	uint64_t incomplete, truncated, cut_captured;
	uint64_t budget_gaps, budget_gap_bytes;  /* holes given up for --max-memory */
	uint64_t memory, memory_bytes;           /* buffers dropped for it (FRAMER_EV_MEMORY) */
};

struct stats {
	struct report_opts o;
	FILE *out;
	int json;
	uint64_t msgs[16][2];
	uint64_t sessions, by_version[6], by_end[SESSION_END_KINDS];
	uint64_t publish_qos[4][2], retained[2];
	uint64_t txn[SESSION_TXN_KINDS][3];
	uint64_t notes[SESSION_NOTE_KINDS];
	uint64_t wills;
	struct topic *topics;   /* open addressing */
	size_t ntopics, captopics, topic_bytes;
	uint64_t other_msgs, other_bytes;
	uint64_t untracked;     /* requests the sessions could not follow (session.h) */
	struct lat_hist lat[LAT_KINDS];
	struct damage dmg;
};

/* ---- latency histograms ------------------------------------------------------------------- */

static size_t lat_bucket(uint64_t ns)
{
	uint32_t e = 0;

	if (ns < 1000)
		return (size_t)ns;
	while (ns >= 1000 && e < LAT_DECADES) {
		ns /= 10;
		e++;
	}
	if (ns >= 1000)
		ns = 999;
	return 1000 + (size_t)(e - 1) * 900 + (size_t)(ns - 100);
}

static uint64_t lat_value(size_t b)
{
	uint64_t v;

	if (b < 1000)
		return b;
	b -= 1000;
	v = b % 900 + 100;
	for (size_t e = b / 900 + 1; e; e--)
		v *= 10;
	return v;
}

void lat_hist_add(struct lat_hist *l, uint64_t ns)
{
	if (!l->hist && !(l->hist = budget_calloc(LAT_BUCKETS, sizeof *l->hist, "--stats")))
		return;
	l->hist[lat_bucket(ns)]++;
	l->n++;
	if (ns > l->max)
		l->max = ns;
}

/* The value of the rank-th smallest recorded value (rank 1..n). */
static uint64_t lat_rank(const struct lat_hist *l, uint64_t rank)
{
	uint64_t acc = 0;

	if (!l->hist)
		return 0;
	for (size_t b = 0; b < LAT_BUCKETS; b++)
		if ((acc += l->hist[b]) >= rank)
			return lat_value(b) < l->max ? lat_value(b) : l->max;
	return l->max;
}

uint64_t lat_hist_pct(const struct lat_hist *l, double p)
{
	uint64_t rank = (uint64_t)(p * (double)l->n + 0.999999);

	return lat_rank(l, rank < 1 ? 1 : rank);
}

uint64_t lat_hist_median(const struct lat_hist *l)
{
	uint64_t a, b;

	if (l->n % 2)
		return lat_rank(l, (l->n + 1) / 2);
	a = lat_rank(l, l->n / 2);
	b = lat_rank(l, l->n / 2 + 1);
	return a + (b - a) / 2;
}

void lat_hist_free(struct lat_hist *l)
{
	free(l->hist);
	l->hist = NULL;
	l->n = l->max = 0;
}

/* ---- topics ------------------------------------------------------------------------------- */

static uint64_t hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static struct topic *topic_get(struct stats *st, struct mqtt_view v)
{
	size_t i;

	if (!st->captopics || (st->ntopics + 1) * 2 > st->captopics) {
		size_t n = st->captopics ? st->captopics * 2 : 256;
		struct topic *old = st->topics, *nt;
		if (st->ntopics >= TOPICS_MAX || !(nt = budget_calloc(n, sizeof *nt, "--stats")))
			goto lookup_only;
		for (size_t k = 0; k < st->captopics; k++)
			if (old[k].name) {
				for (i = hash((uint8_t *)old[k].name, old[k].len) & (n - 1); nt[i].name;
				     i = (i + 1) & (n - 1))
					;
				nt[i] = old[k];
			}
		free(old);
		st->topics = nt;
		st->captopics = n;
	}
lookup_only:
	if (!st->captopics)
		return NULL;
	for (i = hash(v.p, v.len) & (st->captopics - 1); st->topics[i].name;
	     i = (i + 1) & (st->captopics - 1))
		if (st->topics[i].len == v.len && (!v.len || !memcmp(st->topics[i].name, v.p, v.len)))
			return &st->topics[i];
	if (st->ntopics >= TOPICS_MAX || (st->ntopics + 1) * 2 > st->captopics ||
	    v.len > TOPIC_BYTES - st->topic_bytes)
		return NULL;
	if (!(st->topics[i].name = budget_malloc(v.len + 1, "--stats")))
		return NULL;
	st->topic_bytes += v.len;
	if (v.len)
		memcpy(st->topics[i].name, v.p, v.len);
	st->topics[i].name[v.len] = '\0';
	st->topics[i].len = v.len;
	st->ntopics++;
	return &st->topics[i];
}

/* ---- observer callbacks ------------------------------------------------------------------- */

static void on_message(void *ctx, const struct session *s, const struct mqtt_record *rec)
{
	struct stats *st = ctx;
	const struct mqtt_msg *m = &rec->msg;
	int from = rec->dir == REASM_TO_BROKER ? SESSION_CLIENT : SESSION_BROKER;
	struct topic *t;

	(void)s;
	st->msgs[m->hdr.type & 15][from]++;
	if (rec->incomplete || rec->truncated) {
		st->dmg.incomplete += !rec->truncated;
		st->dmg.truncated += rec->truncated;
		st->dmg.cut_captured += rec->captured > rec->have ? rec->captured : rec->have;
	}
	if (m->hdr.type != MQTT_PUBLISH || rec->incomplete)
		return;
	st->publish_qos[m->qos & 3][from]++;
	if (m->retain)
		st->retained[from]++;
	if ((t = topic_get(st, m->topic))) {
		t->msgs++;
		t->bytes += m->payload.len;
	} else {
		st->other_msgs++;
		st->other_bytes += m->payload.len;
	}
}

static void on_event(void *ctx, const struct session *s, const struct framer_event *ev)
{
	struct damage *d = &((struct stats *)ctx)->dmg;
	int i;

	(void)s;
	switch (ev->kind) {
	case FRAMER_EV_GAP:
		if (ev->cause == REASM_GAP_BUDGET) {
			d->budget_gaps++;
			d->budget_gap_bytes += ev->len;
			break;
		}
		i = ev->cause == REASM_GAP_SNAPLEN;
		d->gaps[i]++;
		d->gap_bytes[i] += ev->len;
		break;
	case FRAMER_EV_MEMORY:
		d->memory++;
		d->memory_bytes += ev->len;
		break;
	case FRAMER_EV_SKIPPED:
		d->skipped++;
		d->skipped_bytes += ev->len;
		for (i = 0; i < WHY_MAX && d->why[i] && strcmp(d->why[i], ev->text); i++)
			;
		if (i == WHY_MAX)
			i--; /* (the framer has fewer reasons) */
		d->why[i] = ev->text;
		d->why_bytes[i] += ev->len;
		break;
	case FRAMER_EV_OVERSIZE:
		d->oversize++;
		d->oversize_bytes += ev->len;
		break;
	default:
		break;
	}
}

static int damaged(const struct damage *d)
{
	return d->gaps[0] || d->gaps[1] || d->skipped || d->oversize || d->incomplete ||
	       d->truncated || d->budget_gaps || d->memory;
}

static void print_damage(FILE *f, const struct damage *d)
{
	if (!damaged(d))
		return;
	fprintf(f, _("\nDamage\n"));
	/* the byte counts end their lines: the noun agrees with them (n_()) */
	fprintf(f, n_("  gaps (lost segments)     %8" PRIu64 "  %12" PRIu64 " byte\n",
		      "  gaps (lost segments)     %8" PRIu64 "  %12" PRIu64 " bytes\n",
		      d->gap_bytes[0]), d->gaps[0], d->gap_bytes[0]);
	fprintf(f, n_("  cut by the snap length   %8" PRIu64 "  %12" PRIu64 " byte\n",
		      "  cut by the snap length   %8" PRIu64 "  %12" PRIu64 " bytes\n",
		      d->gap_bytes[1]), d->gaps[1], d->gap_bytes[1]);
	fprintf(f, n_("  skipped to find framing  %8" PRIu64 "  %12" PRIu64 " byte\n",
		      "  skipped to find framing  %8" PRIu64 "  %12" PRIu64 " bytes\n",
		      d->skipped_bytes), d->skipped, d->skipped_bytes);
	for (int i = 0; i < WHY_MAX && d->why[i]; i++)
		fprintf(f, n_("    %12" PRIu64 " byte: %s\n", "    %12" PRIu64 " bytes: %s\n",
			      d->why_bytes[i]), d->why_bytes[i], i18n_tr(d->why[i]));
	fprintf(f, n_("  packets over --max-buffer %7" PRIu64 "  %12" PRIu64 " byte\n",
		      "  packets over --max-buffer %7" PRIu64 "  %12" PRIu64 " bytes\n",
		      d->oversize_bytes), d->oversize, d->oversize_bytes);
	/* several counts on a line: a piece each, so that each agrees with its own */
	fputs(_("  messages cut: "), f);
	fprintf(f, n_("%" PRIu64 " incomplete", "%" PRIu64 " incomplete", d->incomplete),
		d->incomplete);
	fprintf(f, n_(", %" PRIu64 " truncated", ", %" PRIu64 " truncated", d->truncated),
		d->truncated);
	fprintf(f, n_(", %" PRIu64 " byte of them captured\n",
		      ", %" PRIu64 " bytes of them captured\n", d->cut_captured), d->cut_captured);
	if (!d->budget_gaps && !d->memory)
		return;
	fputs(_("  memory budget (--max-memory): "), f);
	fprintf(f, n_("%" PRIu64 " hole given up", "%" PRIu64 " holes given up", d->budget_gaps),
		d->budget_gaps);
	fprintf(f, n_(" (%" PRIu64 " byte)", " (%" PRIu64 " bytes)", d->budget_gap_bytes),
		d->budget_gap_bytes);
	fprintf(f, n_(", %" PRIu64 " buffer dropped", ", %" PRIu64 " buffers dropped", d->memory),
		d->memory);
	fprintf(f, n_(" (%" PRIu64 " byte not decoded)\n", " (%" PRIu64 " bytes not decoded)\n",
		      d->memory_bytes), d->memory_bytes);
}

static json_object *json_damage(const struct damage *d);

static void on_txn(void *ctx, const struct session *s, const struct session_txn *t)
{
	struct stats *st = ctx;
	int k = -1;

	(void)s;
	st->txn[t->kind][t->status]++;
	if (!t->answer.frame)
		return;
	switch (t->kind) {
	case SESSION_TXN_CONNECT: k = LAT_CONNACK; break;
	case SESSION_TXN_PUBLISH1: k = LAT_PUBACK; break;
	case SESSION_TXN_PUBLISH2: k = t->stage == MQTT_PUBCOMP ? LAT_PUBCOMP : -1; break;
	case SESSION_TXN_SUBSCRIBE: k = LAT_SUBACK; break;
	case SESSION_TXN_PING: k = LAT_PINGRESP; break;
	}
	if (k >= 0)
		lat_hist_add(&st->lat[k], t->latency_ns);
}

static void on_anomaly(void *ctx, const struct session *s, const struct session_anomaly *a)
{
	struct stats *st = ctx;
	(void)s;
	st->notes[a->kind]++;
}

static void on_end(void *ctx, const struct session *s)
{
	struct stats *st = ctx;

	st->sessions++;
	st->untracked += s->untracked;
	st->by_version[s->version <= 5 ? s->version : 0]++;
	st->by_end[s->ended]++;
}

static void on_will(void *ctx, uint64_t dead, uint64_t to, const struct frame_ref *at)
{
	struct stats *st = ctx;
	(void)dead;
	(void)to;
	(void)at;
	st->wills++;
}

/* ---- output ------------------------------------------------------------------------------- */

static struct topic **top(struct stats *st, int by_bytes, size_t *n)
{
	struct topic **v = budget_malloc((st->ntopics ? st->ntopics : 1) * sizeof *v, "--stats");
	size_t k = 0;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < st->captopics; i++)
		if (st->topics[i].name)
			v[k++] = &st->topics[i];
	/* a partial selection sort: TOP_N is small */
	for (size_t i = 0; i < k && i < TOP_N; i++) {
		size_t best = i;
		for (size_t j = i + 1; j < k; j++) {
			uint64_t a = by_bytes ? v[j]->bytes : v[j]->msgs;
			uint64_t b = by_bytes ? v[best]->bytes : v[best]->msgs;
			if (a > b || (a == b && strcmp(v[j]->name, v[best]->name) < 0))
				best = j;
		}
		struct topic *x = v[i];
		v[i] = v[best];
		v[best] = x;
	}
	*n = k < TOP_N ? k : TOP_N;
	return v;
}

/* A topic as text, NUL-terminated in out, which has room for TEXTESC_SIZE(len) bytes.
 * Text: escaped for the terminal (textesc.h). JSON: valid UTF-8 as it is, a byte that is
 * not UTF-8 as U+FFFD, control characters left to json-c (which escapes them) and to
 * textesc_json_write (DEL, C1, bidirectional controls). Returns its length. */
static size_t clean_topic(const struct topic *t, int json, char *out)
{
	const uint8_t *p = (const uint8_t *)t->name;
	size_t o = 0;

	if (!json)
		return textesc(out, TEXTESC_SIZE(t->len), p, t->len, 0);
	for (uint32_t i = 0; i < t->len;) {
		size_t k = mqtt_utf8_seq(p + i, t->len - i);
		if (k) {
			memcpy(out + o, p + i, k);
			o += k;
			i += (uint32_t)k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	out[o] = '\0';
	return o;
}

static const char *version_key(int v)
{
	const char *n = mqtt_version_name((uint8_t)v);
	return n ? n : "unknown";
}

static void secs(char *out, size_t cap, uint64_t ns)
{
	snprintf(out, cap, "%" PRIu64 ".%06" PRIu64, ns / 1000000000, ns % 1000000000 / 1000);
}

/* The text of --stats, a function per section, in the order they are printed. */
static void text_messages(const struct stats *st, FILE *f)
{
	fprintf(f, _("MQTT statistics\n\nMessages                 client->broker  broker->client\n"));
	for (int t = 0; t < 16; t++)
		if (st->msgs[t][0] || st->msgs[t][1])
			fprintf(f, "  %-22s %14" PRIu64 "  %14" PRIu64 "\n", mqtt_type_name((uint8_t)t),
				st->msgs[t][0], st->msgs[t][1]);
}

static void text_sessions(const struct stats *st, FILE *f)
{
	int any;

	fprintf(f, _("\nSessions: %" PRIu64 "\n  by version:"), st->sessions);
	any = 0;
	for (int i = 0; i < 6; i++)
		if (st->by_version[i])
			fprintf(f, "%s %s %" PRIu64, any++ ? "," : "", version_key(i), st->by_version[i]);
	fprintf(f, _("%s\n  by end:"), any ? "" : _(" none"));
	any = 0;
	for (int i = 1; i < SESSION_END_KINDS; i++)
		if (st->by_end[i])
			fprintf(f, "%s %s %" PRIu64, any++ ? "," : "", session_end_name(i), st->by_end[i]);
	fprintf(f, _("%s\n  wills published by the broker: %" PRIu64 "\n"), any ? "" : _(" none"), st->wills);
}

static void text_topics(struct stats *st, FILE *f)
{
	size_t n;
	struct topic **v;

	for (int by = 0; by < 2; by++) {
		fprintf(f, _("\nTop topics by %s (PUBLISH, both directions)\n"),
			by ? _("payload bytes") : _("messages"));
		v = top(st, by, &n);
		for (size_t i = 0; v && i < n; i++) {
			char *c = budget_malloc(TEXTESC_SIZE(v[i]->len), "--stats");
			if (!c)
				break;
			clean_topic(v[i], 0, c);
			/* the singular forms keep the columns: "msg " as wide as "msgs" */
			fprintf(f, n_("  %10" PRIu64 " msg ", "  %10" PRIu64 " msgs", v[i]->msgs),
				v[i]->msgs);
			fprintf(f, n_(" %12" PRIu64 " byte   %s\n", " %12" PRIu64 " bytes  %s\n",
				      v[i]->bytes), v[i]->bytes, c);
			free(c);
		}
		if (!n)
			fprintf(f, _("  none\n"));
		free(v);
	}
	if (!st->other_msgs)
		return;
	fprintf(f, n_("  (%" PRIu64 " message", "  (%" PRIu64 " messages", st->other_msgs),
		st->other_msgs);
	fprintf(f, n_(", %" PRIu64 " byte on topics past the first %d or %u MiB of topic names)\n",
		      ", %" PRIu64 " bytes on topics past the first %d or %u MiB of topic names)\n",
		      st->other_bytes), st->other_bytes, TOPICS_MAX, TOPIC_BYTES >> 20);
}

static void text_qos_txn(const struct stats *st, FILE *f)
{
	fprintf(f, _("\nQoS            published  complete  incomplete  failed\n"));
	for (int q = 0; q < 3; q++) {
		uint64_t pub = st->publish_qos[q][0] + st->publish_qos[q][1];
		if (q == 0)
			fprintf(f, "  QoS 0     %12" PRIu64 "         -           -       -\n", pub);
		else {
			const uint64_t *x = st->txn[q == 1 ? SESSION_TXN_PUBLISH1 : SESSION_TXN_PUBLISH2];
			fprintf(f, "  QoS %d     %12" PRIu64 "  %8" PRIu64 "  %10" PRIu64 "  %6" PRIu64
				"\n", q, pub, x[SESSION_TXN_COMPLETE], x[SESSION_TXN_INCOMPLETE],
				x[SESSION_TXN_FAILED]);
		}
	}
	fprintf(f, _("\nTransactions   complete  incomplete  failed\n"));
	for (int k = 0; k < SESSION_TXN_KINDS; k++) {
		const uint64_t *x = st->txn[k];
		if (k == SESSION_TXN_PUBLISH1 || k == SESSION_TXN_PUBLISH2 || !(x[0] + x[1] + x[2]))
			continue;
		fprintf(f, "  %-12s %8" PRIu64 "  %10" PRIu64 "  %6" PRIu64 "\n",
			session_txn_kind_name(k), x[0], x[1], x[2]);
	}
}

static void text_latency(const struct stats *st, FILE *f)
{
	fprintf(f, _("\nLatency (s)      count      median         p95         max\n"));
	for (int k = 0; k < LAT_KINDS; k++) {
		char a[32], b[32], c[32];
		const struct lat_hist *l = &st->lat[k];
		if (!l->n) {
			fprintf(f, "  %-10s %9d           -           -           -\n", lat_names[k], 0);
			continue;
		}
		secs(a, sizeof a, lat_hist_median(l));
		secs(b, sizeof b, lat_hist_pct(l, 0.95));
		secs(c, sizeof c, l->max);
		fprintf(f, "  %-10s %9" PRIu64 " %11s %11s %11s\n", lat_names[k], l->n, a, b, c);
	}
}

static void text_notes(const struct stats *st, FILE *f)
{
	int any;

	fprintf(f, _("\nRetained messages: %" PRIu64 " client->broker, %" PRIu64 " broker->client\n"),
		st->retained[0], st->retained[1]);
	fprintf(f, _("\nAnomalies:"));
	any = 0;
	for (int k = 0; k < SESSION_AN_KINDS; k++)
		if (st->notes[k])
			fprintf(f, "\n  %-24s %6" PRIu64, session_anomaly_name(k), st->notes[k]), any++;
	fprintf(f, _("%s\nSecurity notes:"), any ? "" : _(" none"));
	any = 0;
	for (int k = SESSION_AN_KINDS; k < SESSION_NOTE_KINDS; k++)
		if (st->notes[k])
			fprintf(f, "\n  %-24s %6" PRIu64, session_anomaly_name(k), st->notes[k]), any++;
	fprintf(f, "%s\n", any ? "" : _(" none"));
	if (st->untracked)
		fprintf(f, _("\nRequests not followed (4096 open in a session, or --max-memory "
			"spent): %" PRIu64 "\n"), st->untracked);
}

static void print_text(struct stats *st)
{
	text_messages(st, st->out);
	text_sessions(st, st->out);
	text_topics(st, st->out);
	text_qos_txn(st, st->out);
	text_latency(st, st->out);
	text_notes(st, st->out);
	print_damage(st->out, &st->dmg);
}

/* json-c returns NULL out of memory and asserts on a NULL object: checked, and noted
 * (budget.h: the run then ends with an error). */
static void add(json_object *o, const char *k, json_object *v)
{
	if (!o || !v || json_object_object_add(o, k, v) < 0) {
		json_object_put(v);
		mqttdump_oom("--stats");
	}
}

static json_object *jint(uint64_t v)
{
	return json_object_new_int64((int64_t)v);
}

static json_object *jsecs(uint64_t ns)
{
	char t[32];
	secs(t, sizeof t, ns);
	return json_object_new_double_s((double)ns / 1e9, t);
}

static json_object *json_damage(const struct damage *d)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object();

	add(o, "gaps", jint(d->gaps[0]));
	add(o, "gap_bytes", jint(d->gap_bytes[0]));
	add(o, "snaplen_gaps", jint(d->gaps[1]));
	add(o, "snaplen_bytes", jint(d->gap_bytes[1]));
	add(o, "skipped", jint(d->skipped));
	add(o, "skipped_bytes", jint(d->skipped_bytes));
	for (int i = 0; i < WHY_MAX && d->why[i]; i++)
		add(p, d->why[i], jint(d->why_bytes[i]));
	add(o, "skipped_why", p);
	add(o, "oversize", jint(d->oversize));
	add(o, "oversize_bytes", jint(d->oversize_bytes));
	add(o, "incomplete", jint(d->incomplete));
	add(o, "truncated", jint(d->truncated));
	add(o, "cut_captured_bytes", jint(d->cut_captured));
	if (d->budget_gaps || d->memory) { /* only when --max-memory cost something */
		add(o, "budget_gaps", jint(d->budget_gaps));
		add(o, "budget_gap_bytes", jint(d->budget_gap_bytes));
		add(o, "memory_drops", jint(d->memory));
		add(o, "memory_bytes", jint(d->memory_bytes));
	}
	return o;
}

/* The document built as a json-c tree, written by jsonw in json-c's PRETTY|SPACED layout
 * (what json_object_to_json_string_ext wrote before, byte for byte): json-c's printer
 * leaves out a piece it has no memory for and says nothing; jsonw says (w->fail). */
static void tree_write(struct jsonw *w, json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		jsonw_null(w);
		break;
	case json_type_boolean:
		jsonw_bool(w, json_object_get_boolean(o));
		break;
	case json_type_int:
		jsonw_int(w, json_object_get_int64(o));
		break;
	case json_type_double: {
		/* json_object_new_double_s: its text is the object's user data */
		const char *t = json_object_get_userdata(o);
		if (!t)
			t = json_object_to_json_string(o);
		if (!t)
			w->fail = 1;
		else
			jsonw_raw(w, t, strlen(t));
		break;
	}
	case json_type_string:
		jsonw_str(w, json_object_get_string(o), (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: {
		jsonw_obj(w);
		json_object_object_foreach(o, k, v) {
			jsonw_key_str(w, k, strlen(k));
			tree_write(w, v);
		}
		jsonw_obj_end(w);
		break;
	}
	case json_type_array:
		jsonw_arr(w);
		for (size_t i = 0, n = json_object_array_length(o); i < n; i++)
			tree_write(w, json_object_array_get_idx(o, i));
		jsonw_arr_end(w);
		break;
	}
}

/* The JSON of --stats, a function per member of the document, in the order they are added
 * (json-c keeps it: the output is byte for byte what one function wrote before). */
static void json_messages(const struct stats *st, json_object *root)
{
	json_object *o = json_object_new_object(), *p;

	for (int t = 0; t < 16; t++)
		if (st->msgs[t][0] || st->msgs[t][1]) {
			p = json_object_new_object();
			add(p, "client", jint(st->msgs[t][0]));
			add(p, "broker", jint(st->msgs[t][1]));
			add(o, mqtt_type_name((uint8_t)t), p);
		}
	add(root, "messages", o);
}

static void json_sessions(const struct stats *st, json_object *root)
{
	json_object *o = json_object_new_object(), *p;

	add(o, "total", jint(st->sessions));
	p = json_object_new_object();
	for (int i = 0; i < 6; i++)
		if (st->by_version[i])
			add(p, version_key(i), jint(st->by_version[i]));
	add(o, "by_version", p);
	p = json_object_new_object();
	for (int i = 1; i < SESSION_END_KINDS; i++)
		if (st->by_end[i])
			add(p, session_end_name(i), jint(st->by_end[i]));
	add(o, "by_end", p);
	add(o, "wills_published", jint(st->wills));
	add(root, "sessions", o);
}

static void json_topics(struct stats *st, json_object *root)
{
	json_object *p;
	size_t n;
	struct topic **v;

	for (int by = 0; by < 2; by++) {
		json_object *a = json_object_new_array();
		v = top(st, by, &n);
		for (size_t i = 0; v && i < n; i++) {
			char *c = budget_malloc(TEXTESC_SIZE(v[i]->len), "--stats");
			if (!c)
				break;
			size_t cn = clean_topic(v[i], 1, c);
			p = json_object_new_object();
			add(p, "topic", json_object_new_string_len(c, (int)cn));
			free(c);
			add(p, "messages", jint(v[i]->msgs));
			add(p, "bytes", jint(v[i]->bytes));
			if (!a || !p || json_object_array_add(a, p) < 0) {
				json_object_put(p);
				mqttdump_oom("--stats");
			}
		}
		free(v);
		add(root, by ? "top_topics_by_bytes" : "top_topics_by_messages", a);
	}
	if (st->other_msgs) {
		p = json_object_new_object();
		add(p, "messages", jint(st->other_msgs));
		add(p, "bytes", jint(st->other_bytes));
		add(root, "other_topics", p);
	}
}

static void json_qos_txn(const struct stats *st, json_object *root)
{
	json_object *o = json_object_new_object(), *p;

	for (int q = 0; q < 3; q++) {
		char k[8];
		p = json_object_new_object();
		add(p, "published", jint(st->publish_qos[q][0] + st->publish_qos[q][1]));
		if (q) {
			const uint64_t *x = st->txn[q == 1 ? SESSION_TXN_PUBLISH1 : SESSION_TXN_PUBLISH2];
			add(p, "complete", jint(x[0]));
			add(p, "incomplete", jint(x[1]));
			add(p, "failed", jint(x[2]));
		}
		snprintf(k, sizeof k, "%d", q);
		add(o, k, p);
	}
	add(root, "qos", o);

	o = json_object_new_object();
	for (int k = 0; k < SESSION_TXN_KINDS; k++) {
		if (k == SESSION_TXN_PUBLISH1 || k == SESSION_TXN_PUBLISH2)
			continue;
		p = json_object_new_object();
		add(p, "complete", jint(st->txn[k][0]));
		add(p, "incomplete", jint(st->txn[k][1]));
		add(p, "failed", jint(st->txn[k][2]));
		add(o, session_txn_kind_name(k), p);
	}
	add(root, "transactions", o);
}

static void json_latency_retained(const struct stats *st, json_object *root)
{
	json_object *o = json_object_new_object(), *p;

	for (int k = 0; k < LAT_KINDS; k++) {
		const struct lat_hist *l = &st->lat[k];
		p = json_object_new_object();
		add(p, "count", jint(l->n));
		if (l->n) {
			add(p, "median", jsecs(lat_hist_median(l)));
			add(p, "p95", jsecs(lat_hist_pct(l, 0.95)));
			add(p, "max", jsecs(l->max));
		}
		add(o, lat_names[k], p);
	}
	add(root, "latency", o);

	o = json_object_new_object();
	add(o, "client", jint(st->retained[0]));
	add(o, "broker", jint(st->retained[1]));
	add(root, "retained", o);
}

static void json_notes(const struct stats *st, json_object *root)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object();

	for (int k = 0; k < SESSION_NOTE_KINDS; k++)
		if (st->notes[k])
			add(session_is_security_note(k) ? p : o, session_anomaly_name(k),
			    jint(st->notes[k]));
	add(root, "anomalies", o);
	if (st->untracked)
		add(root, "untracked_requests", jint(st->untracked));
	add(root, "security_notes", p);
	add(root, "damage", json_damage(&st->dmg));
}

static void print_json(struct stats *st)
{
	json_object *root = json_object_new_object();
	struct report_buf b = { 0 };
	struct jsonw w;

	json_messages(st, root);
	json_sessions(st, root);
	json_topics(st, root);
	json_qos_txn(st, root);
	json_latency_retained(st, root);
	json_notes(st, root);

	jsonw_init(&w, &b, JSONW_PRETTY);
	if (root)
		tree_write(&w, root);
	if (!root || w.fail || w.depth)
		mqttdump_oom("--stats"); /* the document is not written */
	else
		fwrite(b.p, 1, b.len, st->out);
	report_buf_free(&b);
	fputc('\n', st->out);
	json_object_put(root);
}

static void finish(void *ctx)
{
	struct stats *st = ctx;

	if (st->json)
		print_json(st);
	else
		print_text(st);
	fflush(st->out);
}

static void st_free(void *ctx)
{
	struct stats *st = ctx;

	if (!st)
		return;
	for (size_t i = 0; i < st->captopics; i++)
		free(st->topics[i].name);
	free(st->topics);
	for (int k = 0; k < LAT_KINDS; k++)
		lat_hist_free(&st->lat[k]);
	free(st);
}

int report_stats_new(const struct report_opts *o, struct session_tracker *t, int json,
		     FILE *out, struct reporter *r)
{
	struct stats *st = budget_calloc(1, sizeof *st, "--stats");
	struct session_observer ob = { on_message, on_txn, on_anomaly, on_event, on_end, on_will,
				       NULL, NULL };

	if (!st)
		return -1;
	st->o = *o;
	st->out = out;
	st->json = json;
	ob.ctx = st;
	if (session_observe(t, &ob) < 0) {
		free(st);
		return -1;
	}
	memset(r, 0, sizeof *r);
	r->ctx = st;
	r->finish = finish;
	r->free = st_free;
	return 0;
}
