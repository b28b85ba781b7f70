/* \summary: --serve: the --json records, their explanations and detail trees, served live
 * to browsers as Server-Sent Events (libmicrohttpd); the page is src/serve_page.html */
#define _GNU_SOURCE /* fopencookie */
#include "mqttdump/serve.h"

#include "mqttdump/budget.h"
#include "mqttdump/i18n.h"
#include "mqttdump/jsonw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>


enum { INNER_JSON, INNER_EXPLAIN, INNERS };

#define VIEWER_CHUNK (64 * 1024) /* bytes a viewer is handed at once (its send queue) */
#define KEEPALIVE_SECS 2         /* a comment to an idle viewer: keeps proxies open, finds
				  * viewers gone (their slot is freed) */
#define VIEWER_TIMEOUT 60        /* seconds a viewer may not read before it is dropped */

struct entry {
	char *text;               /* "id: N\ndata: {...}\n\n" */
	size_t len;
};

struct serve {
	struct serve_opts so;
	struct report_opts ro;
	struct reporter inner[INNERS];
	FILE *file[INNERS];         /* what each inner reporter writes to (fopencookie) */
	struct report_buf got[INNERS];
	struct report_buf ev;       /* the event being built */
	const struct cap_pkt *pkt;  /* the frame being read */
	/* --replay-speed: the first record's time, and the clock when it was read */
	int paced;
	int64_t t0_sec;
	uint32_t t0_nsec;
	struct timespec wall0;
	/* the history, shared with the viewers' threads under lock */
	pthread_mutex_t lock;
	pthread_cond_t grew;
	struct entry *ring;         /* history entries; record id i is ring[(i - 1) % cap] */
	uint64_t first, next;       /* ids held: [first, next) */
	size_t bytes;               /* their text */
	uint32_t viewers;
	int ended, stopping;
	struct MHD_Daemon *mhd;
	unsigned port;
	struct report_buf page;     /* the page in the run's language (serve_page_build) */
};

struct viewer {
	struct serve *s;
	uint64_t next;              /* the next record id to send */
	uint64_t resumed_from;      /* Last-Event-ID + 1, or 0 */
	int hello, ended_told;
	struct report_buf out;      /* what is being sent */
	size_t off;
};

/* ---- the inner reporters' streams -------------------------------------------------- */

static ssize_t cookie_write(void *c, const char *p, size_t n)
{
	report_buf_put(c, p, n);
	return (ssize_t)n;
}

/* A stream whose writes are appended to b. */
static FILE *buf_stream(struct report_buf *b)
{
	cookie_io_functions_t io = { .write = cookie_write };
	return fopencookie(b, "w", io);
}

/* ---- the history ------------------------------------------------------------------- */

static void drop_oldest(struct serve *s)
{
	struct entry *e = &s->ring[(s->first - 1) % s->so.history];

	s->bytes -= e->len;
	free(e->text);
	e->text = NULL;
	s->first++;
}

/* Append the event in s->ev as the next record, dropping the oldest to stay within the
 * bounds; wakes the viewers. */
static void history_push(struct serve *s)
{
	char head[40];
	int hn;
	char *t;
	size_t len;

	hn = snprintf(head, sizeof head, "id: %llu\ndata: ", (unsigned long long)s->next);
	len = (size_t)hn + s->ev.len + 2;
	if (!(t = budget_malloc(len, "--serve")))
		return;
	memcpy(t, head, (size_t)hn);
	memcpy(t + hn, s->ev.p, s->ev.len);
	memcpy(t + hn + s->ev.len, "\n\n", 2);
	pthread_mutex_lock(&s->lock);
	while (s->next > s->first && (s->next - s->first >= s->so.history ||
				      s->bytes + len > s->so.history_bytes))
		drop_oldest(s);
	s->ring[(s->next - 1) % s->so.history] = (struct entry){ t, len };
	s->bytes += len;
	s->next++;
	pthread_cond_broadcast(&s->grew);
	pthread_mutex_unlock(&s->lock);
}

/* ---- records into events ------------------------------------------------------------ */

/* The explanation of what was just fed to the explainer: its paragraphs, without their
 * indent, one line each. */
static void take_explain(struct serve *s, struct report_buf *b)
{
	struct report_buf *g = &s->got[INNER_EXPLAIN];
	size_t i = 0;

	/* report_explain writes a frame's paragraphs at frame_end (and at finish, with NULLs) */
	s->inner[INNER_EXPLAIN].frame_end(s->inner[INNER_EXPLAIN].ctx, s->pkt, NULL);
	fflush(s->file[INNER_EXPLAIN]);
	while (i < g->len) {
		size_t j = i;
		while (j < g->len && g->p[j] != '\n')
			j++;
		while (i < j && g->p[i] == ' ')
			i++;
		if (j > i) {
			if (b->len)
				report_buf_put(b, "\n", 1);
			report_buf_put(b, g->p + i, j - i);
		}
		i = j + 1;
	}
	g->len = 0;
}

/* One event per JSON line the JSON reporter wrote: {"record":..., "explain":"...",
 * "tree":"..."} (tree: the MQTT part of -V's tree, for a message). */
static void publish(struct serve *s, const struct mqtt_record *rec)
{
	struct report_buf *g = &s->got[INNER_JSON];
	struct report_buf expl = { 0 }, tree = { 0 };
	size_t i = 0;

	fflush(s->file[INNER_JSON]);
	take_explain(s, &expl);
	if (rec)
		report_detail_mqtt(rec, s->ro.show_secrets, &tree);
	while (i < g->len) {
		size_t j = i;
		while (j < g->len && g->p[j] != '\n')
			j++;
		if (j > i) {
			struct jsonw w;
			s->ev.len = 0;
			jsonw_init(&w, &s->ev, 0);
			jsonw_obj(&w);
			jsonw_key(&w, "record");
			jsonw_raw(&w, g->p + i, j - i); /* a line of --json */
			jsonw_kstr_n(&w, "explain", expl.p ? expl.p : "", expl.len);
			if (rec)
				jsonw_kstr_n(&w, "tree", tree.p ? tree.p : "", tree.len);
			jsonw_obj_end(&w);
			if (w.fail)
				mqttdump_oom("--serve"); /* this event is not served */
			else
				history_push(s);
			/* the explanation and tree are the first line's (the message's); the
			 * tracker's records after it (session_open...) have their own text */
			expl.len = tree.len = 0;
			rec = NULL;
		}
		i = j + 1;
	}
	g->len = 0;
	report_buf_free(&expl);
	report_buf_free(&tree);
}

/* ---- the reporter ------------------------------------------------------------------ */

/* --replay-speed: wait until the record's time, from the first record's, divided by the
 * speed, has passed. A signal cuts the wait short (the run is stopping). */
static void pace(struct serve *s, const struct cap_pkt *pkt)
{
	struct timespec now, d;
	double due, spent;

	if (!s->so.replay_speed)
		return;
	if (!s->paced) {
		s->paced = 1;
		s->t0_sec = pkt->ts_sec;
		s->t0_nsec = pkt->ts_nsec;
		clock_gettime(CLOCK_MONOTONIC, &s->wall0);
		return;
	}
	due = ((double)(pkt->ts_sec - s->t0_sec) +
	       ((double)pkt->ts_nsec - (double)s->t0_nsec) / 1e9) / s->so.replay_speed;
	clock_gettime(CLOCK_MONOTONIC, &now);
	spent = (double)(now.tv_sec - s->wall0.tv_sec) +
		(double)(now.tv_nsec - s->wall0.tv_nsec) / 1e9;
	if (due <= spent)
		return;
	due -= spent;
	if (due > 3600)
		due = 3600; /* an hour at most between two records shown */
	d.tv_sec = (time_t)due;
	d.tv_nsec = (long)((due - (double)d.tv_sec) * 1e9);
	nanosleep(&d, NULL);
}

static void frame_begin(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct serve *s = ctx;

	pace(s, pkt);
	s->pkt = pkt;
	for (int i = 0; i < INNERS; i++)
		if (s->inner[i].frame_begin)
			s->inner[i].frame_begin(s->inner[i].ctx, pkt, seg);
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct serve *s = ctx;

	for (int i = 0; i < INNERS; i++)
		if (s->inner[i].message)
			s->inner[i].message(s->inner[i].ctx, rec);
	publish(s, rec);
}

static void event(void *ctx, const struct framer_event *ev)
{
	struct serve *s = ctx;

	for (int i = 0; i < INNERS; i++)
		if (s->inner[i].event)
			s->inner[i].event(s->inner[i].ctx, ev);
	publish(s, NULL);
}

static void transport(void *ctx, const struct transport_event *ev)
{
	struct serve *s = ctx;

	for (int i = 0; i < INNERS; i++)
		if (s->inner[i].transport)
			s->inner[i].transport(s->inner[i].ctx, ev);
	publish(s, NULL);
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct serve *s = ctx;

	for (int i = 0; i < INNERS; i++)
		if (s->inner[i].frame_end)
			s->inner[i].frame_end(s->inner[i].ctx, pkt, seg);
	publish(s, NULL); /* nothing is left unless a reporter writes at frame end */
	s->pkt = NULL;
}

static void finish(void *ctx)
{
	struct serve *s = ctx;

	for (int i = 0; i < INNERS; i++)
		if (s->inner[i].finish)
			s->inner[i].finish(s->inner[i].ctx);
	publish(s, NULL);
	pthread_mutex_lock(&s->lock);
	s->ended = 1;
	pthread_cond_broadcast(&s->grew);
	pthread_mutex_unlock(&s->lock);
}

static void serve_free(void *ctx)
{
	struct serve *s = ctx;

	if (!s)
		return;
	if (s->mhd) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_broadcast(&s->grew);
		pthread_mutex_unlock(&s->lock);
		MHD_stop_daemon(s->mhd);
	}
	for (int i = 0; i < INNERS; i++) {
		if (s->inner[i].free)
			s->inner[i].free(s->inner[i].ctx);
		if (s->file[i])
			fclose(s->file[i]);
		report_buf_free(&s->got[i]);
	}
	while (s->ring && s->first < s->next)
		drop_oldest(s);
	free(s->ring);
	report_buf_free(&s->ev);
	report_buf_free(&s->page);
	pthread_cond_destroy(&s->grew);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- the viewers: one thread each (libmicrohttpd's), reading the history ------------ */

/* What a viewer is sent first: where the history starts and ends, what it dropped. */
static void hello(struct viewer *v)
{
	struct serve *s = v->s;

	report_buf_printf(&v->out, "retry: 2000\nevent: hello\ndata: {\"first\":%llu,\"last\":"
			  "%llu,\"dropped\":%llu,\"resumed_from\":%llu,\"ended\":%s}\n\n",
			  (unsigned long long)s->first, (unsigned long long)(s->next - 1),
			  (unsigned long long)(s->first - 1),
			  (unsigned long long)v->resumed_from, s->ended ? "true" : "false");
	v->hello = 1;
}

/* Under lock: the next events for v into v->out (at most about VIEWER_CHUNK bytes). */
static void fill(struct viewer *v)
{
	struct serve *s = v->s;

	if (!v->hello)
		hello(v);
	if (v->next < s->first) {
		report_buf_printf(&v->out, "event: missed\ndata: {\"missed\":%llu,\"first\":%llu}"
				  "\n\n", (unsigned long long)(s->first - v->next),
				  (unsigned long long)s->first);
		v->next = s->first;
	}
	while (v->next < s->next && v->out.len < VIEWER_CHUNK) {
		const struct entry *e = &s->ring[(v->next - 1) % s->so.history];
		report_buf_put(&v->out, e->text, e->len);
		v->next++;
	}
	if (v->next == s->next && s->ended && !v->ended_told) {
		report_buf_puts(&v->out, "event: ended\ndata: {}\n\n");
		v->ended_told = 1;
	}
}

static int has_news(const struct viewer *v)
{
	const struct serve *s = v->s;
	return !v->hello || v->next < s->next || (s->ended && !v->ended_told);
}

/* libmicrohttpd asks for the stream's next bytes; this thread is the viewer's own, so it
 * may wait here for the history to grow. */
static ssize_t events_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct viewer *v = cls;
	struct serve *s = v->s;
	size_t n;

	(void)pos;
	if (v->off == v->out.len) {
		struct timespec until;
		int stop;
		v->out.len = v->off = 0;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += KEEPALIVE_SECS;
		pthread_mutex_lock(&s->lock);
		while (!s->stopping && !has_news(v))
			if (pthread_cond_timedwait(&s->grew, &s->lock, &until) == ETIMEDOUT)
				break;
		if (!(stop = s->stopping) && has_news(v))
			fill(v);
		pthread_mutex_unlock(&s->lock);
		if (stop)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!v->out.len)
			report_buf_puts(&v->out, ": still here\n\n");
		if (!v->out.len)
			return MHD_CONTENT_READER_END_WITH_ERROR; /* out of memory */
	}
	n = v->out.len - v->off < max ? v->out.len - v->off : max;
	memcpy(buf, v->out.p + v->off, n);
	v->off += n;
	return (ssize_t)n;
}

static void viewer_free(void *cls)
{
	struct viewer *v = cls;

	pthread_mutex_lock(&v->s->lock);
	v->s->viewers--;
	pthread_mutex_unlock(&v->s->lock);
	report_buf_free(&v->out);
	free(v);
}

/* ---- HTTP -------------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
			     const void *body, size_t n)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	/* the page is self-contained: nothing may be loaded from elsewhere */
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; "
				"script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
				"connect-src 'self'; img-src data:; frame-ancestors 'none'");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static const char msg_404[] = "not found\n", msg_405[] = "only GET and HEAD\n",
	msg_503[] = "too many viewers\n";

/* /events: a new viewer, from the record after Last-Event-ID when the browser sends one. */
static enum MHD_Result events(struct serve *s, struct MHD_Connection *c)
{
	const char *last = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	struct viewer *v;
	struct MHD_Response *r;
	enum MHD_Result rc;

	pthread_mutex_lock(&s->lock);
	if (s->viewers >= s->so.max_viewers) {
		pthread_mutex_unlock(&s->lock);
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", msg_503,
			     sizeof msg_503 - 1);
	}
	s->viewers++;
	pthread_mutex_unlock(&s->lock);
	if (!(v = calloc(1, sizeof *v))) {
		pthread_mutex_lock(&s->lock);
		s->viewers--;
		pthread_mutex_unlock(&s->lock);
		return MHD_NO;
	}
	v->s = s;
	v->next = 1;
	if (last && *last) {
		char *end;
		unsigned long long id = strtoull(last, &end, 10);
		if (!*end && id < UINT64_MAX)
			v->next = v->resumed_from = id + 1;
	}
	if (!(r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, VIEWER_CHUNK, events_read,
						    v, viewer_free))) {
		viewer_free(v);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **req)
{
	struct serve *s = cls;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", msg_405,
			     sizeof msg_405 - 1);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", s->page.p, s->page.len);
	if (!strcmp(url, "/events"))
		return events(s, c);
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain", msg_404, sizeof msg_404 - 1);
}

/* ---- starting ---------------------------------------------------------------------- */

/* "[ADDR:]PORT", "[V6ADDR]:PORT" into a socket address (127.0.0.1 without ADDR). Returns
 * 0, or -1 with the reason in err. */
static int parse_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *sl,
		      char *err, size_t errlen)
{
	char host[256] = "127.0.0.1";
	const char *colon = strrchr(spec, ':'), *port = colon ? colon + 1 : spec;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM }, *ai;
	size_t hl = colon ? (size_t)(colon - spec) : 0;
	char *end;
	unsigned long pn = strtoul(port, &end, 10);
	int rc;

	if (!*port || *end || pn > 65535 || port[0] == '-' || port[0] == '+') {
		snprintf(err, errlen, "--serve %s: give [ADDR:]PORT (a port from 0 to 65535)",
			 spec);
		return -1;
	}
	if (colon && hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (colon && (hl == 0 || hl >= sizeof host)) {
		snprintf(err, errlen, "--serve %s: give [ADDR:]PORT", spec);
		return -1;
	}
	if (colon) {
		memcpy(host, spec, hl);
		host[hl] = '\0';
	}
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "--serve: \"%s\" is not an IP address (%s)", host,
			 gai_strerror(rc));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* The daemon, its threads started with the run's signals blocked (they are the main
 * thread's: cap_stop, SIGUSR1's counts, report_serve_linger's wait). */
static int start(struct serve *s, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	sigset_t block, old;
	const union MHD_DaemonInfo *info;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;

	if (parse_addr(s->so.addr, &ss, &sl, err, errlen) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	errno = 0;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)(s->so.max_viewers + 16),
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)VIEWER_TIMEOUT,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
				  MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->mhd) {
		snprintf(err, errlen, "--serve %s: cannot serve there%s%s", s->so.addr,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	(void)sl;
	return 0;
}

/* The inner reporters, each writing to a stream of its own. */
static int inner_new(struct serve *s)
{
	for (int i = 0; i < INNERS; i++) {
		struct report_opts ro = s->ro;
		if (!(s->file[i] = buf_stream(&s->got[i])))
			return -1;
		ro.out = s->file[i];
		ro.line_buffered = 0;
		ro.blank_before = ro.blank_after = 0;
		if ((i == INNER_JSON ? report_json_tracked_new(&ro, s->so.sessions, &s->inner[i])
				     : report_explain_new(&ro, s->so.lang, &s->inner[i])) < 0)
			return -1;
	}
	return 0;
}

static void tell(const struct serve *s)
{
	char host[64] = "";

	if (!s->so.note)
		return;
	if (strrchr(s->so.addr, ':'))
		snprintf(host, sizeof host, "%.*s", (int)(strrchr(s->so.addr, ':') - s->so.addr),
			 s->so.addr);
	/* tests read "serving http://ADDR:PORT/" from it: a translation keeps those words */
	fprintf(s->so.note, "mqttdump: serving http://%s:%u/ (%s)\n",
		host[0] ? host : "127.0.0.1", s->port,
		host[0] ? _("as given") : _("this machine only: --serve ADDR:PORT to open it"));
	fflush(s->so.note);
}

int report_serve_new(const struct report_opts *o, const struct serve_opts *so,
		     struct reporter *r, char *err, size_t errlen)
{
	struct serve *s = calloc(1, sizeof *s);

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->so = *so;
	s->ro = *o;
	s->first = s->next = 1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->grew, NULL);
	if (!s->so.history || !s->so.max_viewers ||
	    !(s->ring = calloc(s->so.history, sizeof *s->ring)) || inner_new(s) < 0 ||
	    serve_page_build(&s->page, s->so.lang) < 0) {
		snprintf(err, errlen, "out of memory");
		serve_free(s);
		return -1;
	}
	if (!so->addr)
		s->so.replay_speed = 0;
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->frame_begin = frame_begin;
	r->message = message;
	r->event = event;
	r->transport = transport;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = serve_free;
	return 0;
}

int report_serve_start(void *ctx, char *err, size_t errlen)
{
	struct serve *s = ctx;

	if (!s->so.addr || s->mhd)
		return 0;
	if (start(s, err, errlen) < 0)
		return -1;
	tell(s);
	return 0;
}

unsigned report_serve_port(const void *ctx)
{
	return ((const struct serve *)ctx)->port;
}

void report_serve_linger(void *ctx)
{
	sigset_t set, old;
	int sig;

	if (!((struct serve *)ctx)->mhd)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	sigwait(&set, &sig);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
