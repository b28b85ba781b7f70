/* \summary: the pipeline of one configuration: session tracker, the outputs of the
 * registry, the engine */
#include "mqttdump/pipeline.h"
#include "mqttdump/serve.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* How an output's text of each frame sits among the other outputs' on the same stream
 * (as tshark lays out -V and -x): */
enum layout {
	LAYOUT_AT_END,     /* writes when the capture ends (or nothing): not part of frames */
	LAYOUT_LINES,      /* lines as the frames go (summary, JSON, explanations), stacked */
	LAYOUT_PARAGRAPH,  /* a block per frame (-V's tree, -x's dump): a blank line between
			    * it and a paragraph before it in the frame, and the frame's text
			    * then ends with a blank line */
};

static int chosen(const struct mqttdump_config *cfg, int o);

/* What a constructor is given. */
struct output_args {
	const struct mqttdump_config *cfg;
	const struct report_opts *ro;      /* ro->out: the stream the output owns */
	const struct pipeline_env *env;
	struct session_tracker *sessions;  /* when the output needs sessions, else NULL */
	char *err;                         /* a reason other than "out of memory", or "" */
	size_t errlen;
};

struct output_def {
	struct pipeline_output_info info;  /* name, own_file, needs_sessions */
	size_t path_at;        /* own_file: offsetof the config's const char * naming it */
	const char *option;    /* named when its file cannot be opened, or NULL */
	uint8_t dash_is_out;   /* the path "-" means the standard output */
	uint8_t layout;        /* enum layout */
	int (*make)(const struct output_args *a, struct reporter *r);
};

static int make_summary(const struct output_args *a, struct reporter *r)
{
	return report_summary_new(a->ro, r);
}

static int make_json(const struct output_args *a, struct reporter *r)
{
	return report_json_tracked_new(a->ro, a->sessions, r);
}

static int make_diagram_text(const struct output_args *a, struct reporter *r)
{
	struct diagram_opts d = { DIAGRAM_TEXT, a->ro->out, a->cfg->diagram_color,
				  a->cfg->diagram_max, a->cfg->lang };
	return report_diagram_new(a->ro, &d, r);
}

static int make_tree(const struct output_args *a, struct reporter *r)
{
	struct detail_opts d = { .tree = 1 };
	return report_detail_new(a->ro, &d, r);
}

static int make_explain(const struct output_args *a, struct reporter *r)
{
	return report_explain_new(a->ro, a->cfg->lang, r);
}

static int make_hex(const struct output_args *a, struct reporter *r)
{
	struct detail_opts d = { .hex = 1 };
	return report_detail_new(a->ro, &d, r);
}

static int make_diagram_svg(const struct output_args *a, struct reporter *r)
{
	struct diagram_opts d = { DIAGRAM_SVG, a->ro->out, 0, a->cfg->diagram_max, a->cfg->lang };
	return report_diagram_new(a->ro, &d, r);
}

static int make_diagram_html(const struct output_args *a, struct reporter *r)
{
	struct diagram_opts d = { DIAGRAM_HTML, a->ro->out, 0, a->cfg->diagram_max,
				  a->cfg->lang };
	return report_diagram_new(a->ro, &d, r);
}

static int make_timeline(const struct output_args *a, struct reporter *r)
{
	return report_timeline_new(a->ro, a->sessions, a->ro->out, r);
}

static int make_stats(const struct output_args *a, struct reporter *r)
{
	return report_stats_new(a->ro, a->sessions, a->cfg->stats_json, a->ro->out, r);
}

static int make_select(const struct output_args *a, struct reporter *r)
{
	struct report_write_opts o = { a->env->write_frame, a->env->write_ctx,
				       { &a->cfg->ports, &a->cfg->tls_ports, &a->cfg->ws_ports },
				       a->cfg->detect };

	if (!o.sink)
		return -1; /* -w without a writer */
	return report_write_new(&o, r);
}

static int make_eve(const struct output_args *a, struct reporter *r)
{
	const struct mqttdump_config *c = a->cfg;
	struct eve_opts e = { c->eve_max_msg_len, c->eve_string_limit, c->eve_max_tx,
			      { &c->ports, &c->tls_ports, &c->ws_ports }, c->detect };
	return report_eve_new(a->ro, &e, r);
}

/* --serve's history: 64 MiB, or a quarter of --max-memory when that is less. It is part of
 * the one budget: the engine's stages get what remains (pipeline_new). */
static size_t serve_bytes(const struct mqttdump_config *c)
{
	if (!(c->outputs & OUTPUT_BIT(OUTPUT_SERVE)))
		return 0;
	return c->max_memory && c->max_memory / 4 < ((size_t)64 << 20) ?
	       c->max_memory / 4 : (size_t)64 << 20;
}

static int make_serve(const struct output_args *a, struct reporter *r)
{
	const struct mqttdump_config *c = a->cfg;
	/* a file is replayed at its own pace unless told; a live capture is never paced */
	double speed = c->iface ? 0 : c->replay_speed >= 0 ? c->replay_speed : 1;
	struct serve_opts s = { c->serve_addr, c->serve_history, serve_bytes(c), 32, speed,
				c->lang,
				stderr, a->sessions };
	return report_serve_new(a->ro, &s, r, a->err, a->errlen);
}

static int make_interval(const struct output_args *a, struct reporter *r)
{
	const struct mqttdump_config *c = a->cfg;
	struct interval_opts io = { c->stats_interval_ns,
				    chosen(c, OUTPUT_JSON) ? INTERVAL_JSON :
				    chosen(c, OUTPUT_EVE) ? INTERVAL_EVE : INTERVAL_TEXT };

	return report_interval_new(a->ro, &io, a->sessions, r);
}

#define PATH(field) offsetof(struct mqttdump_config, field)

/* The registry: every output, in the order the engine calls them (so, on one stream, the
 * order they print in within a frame). A new output is a reporter file and a row here. */
static const struct output_def registry[OUTPUT_COUNT] = {
	[OUTPUT_SUMMARY] = { { "summary", 0, 0 }, 0, NULL, 0, LAYOUT_LINES, make_summary },
	[OUTPUT_JSON] = { { "json", 0, 1 }, 0, NULL, 0, LAYOUT_LINES, make_json },
	[OUTPUT_TREE] = { { "tree", 0, 0 }, 0, NULL, 0, LAYOUT_PARAGRAPH, make_tree },
	[OUTPUT_EXPLAIN] = { { "explain", 0, 0 }, 0, NULL, 0, LAYOUT_LINES, make_explain },
	[OUTPUT_HEX] = { { "hex", 0, 0 }, 0, NULL, 0, LAYOUT_PARAGRAPH, make_hex },
	/* after the frames' text: it writes when the capture ends, below them */
	[OUTPUT_DIAGRAM_TEXT] = { { "diagram", 0, 0 }, 0, NULL, 0, LAYOUT_AT_END,
				  make_diagram_text },
	[OUTPUT_DIAGRAM_SVG] = { { "diagram-svg", 1, 0 }, PATH(diagram_svg), "--diagram-svg", 1,
				 LAYOUT_AT_END, make_diagram_svg },
	[OUTPUT_DIAGRAM_HTML] = { { "diagram-html", 1, 0 }, PATH(diagram_html), "--diagram-html",
				  1, LAYOUT_AT_END, make_diagram_html },
	[OUTPUT_TIMELINE] = { { "timeline", 1, 1 }, PATH(timeline_file), "--timeline", 1,
			      LAYOUT_AT_END, make_timeline },
	[OUTPUT_STATS] = { { "stats", 0, 1 }, 0, NULL, 0, LAYOUT_AT_END, make_stats },
	[OUTPUT_SELECT] = { { "select", 0, 0 }, 0, NULL, 0, LAYOUT_AT_END, make_select },
	[OUTPUT_EVE] = { { "eve", 0, 0 }, 0, NULL, 0, LAYOUT_LINES, make_eve },
	[OUTPUT_SERVE] = { { "serve", 0, 1 }, 0, NULL, 0, LAYOUT_AT_END, make_serve },
	/* between frames: not part of their text */
	[OUTPUT_INTERVAL] = { { "stats-interval", 0, 1 }, 0, NULL, 0, LAYOUT_AT_END,
			      make_interval },
};

const struct pipeline_output_info *pipeline_output_info(enum mqttdump_output o)
{
	return (unsigned)o < OUTPUT_COUNT ? &registry[o].info : NULL;
}

struct pipeline {
	const struct mqttdump_config *cfg;
	struct session_tracker *sessions;
	struct engine *engine;
	/* each output is built at most once: OUTPUT_COUNT bounds them */
	struct reporter reps[OUTPUT_COUNT];
	enum mqttdump_output ids[OUTPUT_COUNT]; /* reps[i] is output ids[i] */
	size_t n;
	FILE *files[OUTPUT_COUNT];  /* by output: the file opened for it, or NULL */
	int file_errno[OUTPUT_COUNT]; /* why writing it failed, seen at the end, or 0 */
	FILE *out;                  /* the standard output */
};

static int chosen(const struct mqttdump_config *cfg, int o)
{
	return (cfg->outputs & OUTPUT_BIT(o)) != 0;
}

static const char *path_of(const struct mqttdump_config *cfg, int o)
{
	return *(const char *const *)((const char *)cfg + registry[o].path_at);
}

/* The stream output o writes to: its own file, or the standard output. */
static FILE *stream_of(const struct pipeline *p, int o)
{
	return p->files[o] ? p->files[o] : p->out;
}

/* Open the files of the chosen outputs that own one, in registry order. */
static int open_files(struct pipeline *p, char *err, size_t errlen)
{
	for (int o = 0; o < OUTPUT_COUNT; o++) {
		const struct output_def *d = &registry[o];
		const char *path;

		if (!chosen(p->cfg, o) || !d->info.own_file)
			continue;
		path = path_of(p->cfg, o);
		if (d->dash_is_out && strcmp(path, "-") == 0)
			continue;
		if (!(p->files[o] = fopen(path, "w"))) {
			snprintf(err, errlen, "%s%s%s: %s", d->option ? d->option : "",
				 d->option ? ": " : "", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The blank lines of output o within each frame, from the layouts of the outputs that
 * share its stream (in registry order): a paragraph is set apart from a paragraph before
 * it, and when the frame holds a paragraph the last output's text ends with a blank. */
static void layout_of(const struct pipeline *p, int o, struct report_opts *ro)
{
	int before = 0, paragraphs = 0, last = o;

	ro->blank_before = ro->blank_after = 0;
	for (int i = 0; i < OUTPUT_COUNT; i++) {
		if (!chosen(p->cfg, i) || registry[i].layout == LAYOUT_AT_END ||
		    stream_of(p, i) != stream_of(p, o))
			continue;
		if (registry[i].layout == LAYOUT_PARAGRAPH) {
			paragraphs++;
			if (i < o)
				before = 1;
		}
		last = i;
	}
	if (registry[o].layout == LAYOUT_AT_END) {
		/* the text diagram below frame lines: apart from them by a blank line, which
		 * frames holding a paragraph end with already */
		ro->blank_before = last != o && paragraphs == 0;
		return;
	}
	ro->blank_before = registry[o].layout == LAYOUT_PARAGRAPH && before;
	ro->blank_after = last == o && paragraphs > 0;
}

/* Columns of the text outputs: --width, else the terminal's when out is one, else 0 (not
 * bounded: a pipe or a file gets the lines whole, as without the option). */
static unsigned text_width(const struct mqttdump_config *cfg, FILE *out)
{
	struct winsize ws;
	int fd = out ? fileno(out) : -1;

	if (cfg->width)
		return cfg->width;
	if (fd < 0 || !isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return 0;
	return ws.ws_col;
}

/* The reporters of the chosen outputs, in registry order. */
static int make_outputs(struct pipeline *p, const struct pipeline_env *env, char *err,
			size_t errlen)
{
	const struct mqttdump_config *cfg = p->cfg;

	for (int o = 0; o < OUTPUT_COUNT; o++) {
		struct report_opts ro = { .out = stream_of(p, o), .ts_digits = env->ts_digits,
					  .time_format = cfg->time_format,
					  .payload_max = cfg->payload_max,
					  .show_secrets = cfg->show_secrets,
					  .line_buffered = env->line_buffered,
					  .sessions = p->sessions };
		struct output_args a = { cfg, &ro, env, registry[o].info.needs_sessions ?
					 p->sessions : NULL, err, errlen };

		if (!chosen(cfg, o))
			continue;
		layout_of(p, o, &ro);
		ro.width = text_width(cfg, ro.out);
		if (registry[o].make(&a, &p->reps[p->n]) < 0)
			return -1;
		p->ids[p->n++] = (enum mqttdump_output)o;
	}
	return 0;
}

/* The tracker is made when an output needs sessions or a filter is set. */
static int needs_sessions(const struct mqttdump_config *cfg)
{
	for (int o = 0; o < OUTPUT_COUNT; o++)
		if (chosen(cfg, o) && registry[o].info.needs_sessions)
			return 1;
	return cfg->select.ntopics || cfg->select.nclients || cfg->select.types;
}

struct pipeline *pipeline_new(const struct mqttdump_config *cfg,
			      const struct pipeline_env *env, char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof *p);
	struct engine_config ec = { .ports = &cfg->ports, .tls_ports = &cfg->tls_ports,
				    .ws_ports = &cfg->ws_ports, .max_buffer = cfg->max_buffer,
				    .max_held = cfg->max_buffer, .max_flows = cfg->max_flows,
				    .max_memory = cfg->max_memory ?
						  cfg->max_memory - serve_bytes(cfg) : 0,
				    .flow_timeout = cfg->flow_timeout, .reorder_time = cfg->reorder_time,
				    .max_messages = cfg->max_messages, .detect = cfg->detect,
				    .keylog = env->keylog, .keylog_path = cfg->keylog_path };

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->cfg = cfg;
	p->out = env->out;
	if (open_files(p, err, errlen) < 0) {
		pipeline_free(p, NULL, 0);
		return NULL;
	}
	if (needs_sessions(cfg) && !(p->sessions = session_new(&cfg->select)))
		goto oom;
	err[0] = '\0';
	if (make_outputs(p, env, err, errlen) < 0) {
		if (err[0]) {
			pipeline_free(p, NULL, 0);
			return NULL;
		}
		goto oom;
	}
	ec.sessions = p->sessions;
	if (!(p->engine = engine_new(&ec, p->reps, p->n)))
		goto oom;
	return p;
oom:
	snprintf(err, errlen, "out of memory");
	pipeline_free(p, NULL, 0);
	return NULL;
}

int pipeline_packet(struct pipeline *p, const struct cap_pkt *pkt)
{
	return engine_packet(p->engine, pkt);
}

void pipeline_finish(struct pipeline *p)
{
	engine_finish(p->engine);
	/* the documents are written now: a failed write's reason is still in errno */
	for (int o = 0; o < OUTPUT_COUNT; o++) {
		if (!p->files[o])
			continue;
		if (ferror(p->files[o]))
			p->file_errno[o] = errno ? errno : -1;
		else if (fflush(p->files[o]) != 0)
			p->file_errno[o] = errno ? errno : -1;
	}
}

int pipeline_start(struct pipeline *p, char *err, size_t errlen)
{
	void *serve = pipeline_output(p, OUTPUT_SERVE);

	return serve ? report_serve_start(serve, err, errlen) : 0;
}

void pipeline_linger(struct pipeline *p)
{
	void *serve = pipeline_output(p, OUTPUT_SERVE);

	if (serve)
		report_serve_linger(serve);
}

void pipeline_stats(const struct pipeline *p, struct engine_stats *st)
{
	engine_get_stats(p->engine, st);
}

void *pipeline_output(const struct pipeline *p, enum mqttdump_output o)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->ids[i] == o)
			return p->reps[i].ctx;
	return NULL;
}

/* Flush, check and close f: 0, the errno of the write or close that failed, or -1 when
 * an earlier write failed and left no reason. */
static int close_file(FILE *f)
{
	int e = 0;

	errno = 0;
	if (fflush(f) != 0)
		e = errno ? errno : -1;
	if (!e && ferror(f))
		e = -1;
	errno = 0;
	if (fclose(f) != 0 && e <= 0)
		e = errno ? errno : -1;
	return e;
}

int pipeline_free(struct pipeline *p, char *err, size_t errlen)
{
	int rc = 0;

	if (!p)
		return 0;
	engine_free(p->engine);
	for (size_t i = 0; i < p->n; i++)
		if (p->reps[i].free)
			p->reps[i].free(p->reps[i].ctx);
	session_free(p->sessions);
	for (int o = 0; o < OUTPUT_COUNT; o++) {
		int e = p->files[o] ? close_file(p->files[o]) : 0;
		if (e < 0 && p->file_errno[o] > 0)
			e = p->file_errno[o];
		if (e && rc == 0) {
			if (err)
				snprintf(err, errlen, "writing %s: %s", path_of(p->cfg, o),
					 e > 0 ? strerror(e) : "write error");
			rc = -1;
		}
	}
	free(p);
	return rc;
}
