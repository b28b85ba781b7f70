/* \summary: the pipeline of one configuration: session tracker, the outputs of the
 * registry, the engine */
#include "mqttdump/pipeline.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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
				  a->cfg->diagram_max };
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

static int make_diagram_file(const struct output_args *a, struct reporter *r)
{
	struct diagram_opts d = { a->cfg->diagram_kind, a->ro->out, 0, a->cfg->diagram_max };
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
	[OUTPUT_DIAGRAM_TEXT] = { { "diagram", 0, 0 }, 0, NULL, 0, LAYOUT_AT_END,
				  make_diagram_text },
	[OUTPUT_TREE] = { { "tree", 0, 0 }, 0, NULL, 0, LAYOUT_PARAGRAPH, make_tree },
	[OUTPUT_EXPLAIN] = { { "explain", 0, 0 }, 0, NULL, 0, LAYOUT_LINES, make_explain },
	[OUTPUT_HEX] = { { "hex", 0, 0 }, 0, NULL, 0, LAYOUT_PARAGRAPH, make_hex },
	[OUTPUT_DIAGRAM_FILE] = { { "diagram-file", 1, 0 }, PATH(diagram_file), NULL, 0,
				  LAYOUT_AT_END, make_diagram_file },
	[OUTPUT_TIMELINE] = { { "timeline", 1, 1 }, PATH(timeline_file), "--timeline", 1,
			      LAYOUT_AT_END, make_timeline },
	[OUTPUT_STATS] = { { "stats", 0, 1 }, 0, NULL, 0, LAYOUT_AT_END, make_stats },
	[OUTPUT_SELECT] = { { "select", 0, 0 }, 0, NULL, 0, LAYOUT_AT_END, make_select },
	[OUTPUT_EVE] = { { "eve", 0, 0 }, 0, NULL, 0, LAYOUT_LINES, make_eve },
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
	if (registry[o].layout == LAYOUT_AT_END)
		return;
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
	ro->blank_before = registry[o].layout == LAYOUT_PARAGRAPH && before;
	ro->blank_after = last == o && paragraphs > 0;
}

/* The reporters of the chosen outputs, in registry order. */
static int make_outputs(struct pipeline *p, const struct pipeline_env *env)
{
	const struct mqttdump_config *cfg = p->cfg;

	for (int o = 0; o < OUTPUT_COUNT; o++) {
		struct report_opts ro = { .out = stream_of(p, o), .ts_digits = env->ts_digits,
					  .payload_max = cfg->payload_max,
					  .show_secrets = cfg->show_secrets,
					  .line_buffered = env->line_buffered };
		struct output_args a = { cfg, &ro, env, registry[o].info.needs_sessions ?
					 p->sessions : NULL };

		if (!chosen(cfg, o))
			continue;
		layout_of(p, o, &ro);
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
	return cfg->select.topic || cfg->select.client || cfg->select.type >= 0;
}

struct pipeline *pipeline_new(const struct mqttdump_config *cfg,
			      const struct pipeline_env *env, char *err, size_t errlen)
{
	struct pipeline *p = calloc(1, sizeof *p);
	struct engine_config ec = { .ports = &cfg->ports, .tls_ports = &cfg->tls_ports,
				    .ws_ports = &cfg->ws_ports, .max_buffer = cfg->max_buffer,
				    .max_held = cfg->max_buffer, .max_flows = cfg->max_flows,
				    .max_memory = cfg->max_memory,
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
	if (make_outputs(p, env) < 0)
		goto oom;
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
		if (!p->files[o])
			continue;
		if ((ferror(p->files[o]) | fclose(p->files[o])) != 0 && rc == 0) {
			if (err)
				snprintf(err, errlen, "writing %s: %s", path_of(p->cfg, o),
					 strerror(errno));
			rc = -1;
		}
	}
	free(p);
	return rc;
}
