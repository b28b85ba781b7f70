/* \summary: the pipeline from captured records to reporters */
#include "mqttdump/engine.h"

#include <stdlib.h>
#include <string.h>

struct engine {
	struct engine_config cfg;
	struct reporter *reps;
	size_t nreps;
	struct reasm *reasm;
	struct framer *framer;
	struct transport *transport;
	uint64_t frames, bad_frames, messages;
	uint64_t shown;          /* messages that passed the filters (what -c counts) */
	int stopped;
};

static void on_message(void *ctx, const struct mqtt_record *rec)
{
	struct engine *e = ctx;

	if (e->stopped)
		return;
	e->messages++;
	if (e->cfg.sessions && !session_message(e->cfg.sessions, rec))
		return;
	e->shown++;
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].message)
			e->reps[i].message(e->reps[i].ctx, rec);
}

static void on_event(void *ctx, const struct framer_event *ev)
{
	struct engine *e = ctx;

	if (e->stopped)
		return;
	if (e->cfg.sessions && !session_event(e->cfg.sessions, ev))
		return;
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].event)
			e->reps[i].event(e->reps[i].ctx, ev);
}

static void on_transport(void *ctx, const struct transport_event *ev)
{
	struct engine *e = ctx;

	if (e->stopped)
		return;
	/* --topic, --client and --type select MQTT messages: TLS and WebSocket steps, which
	 * carry none, are not shown then */
	if (e->cfg.sessions && session_filtering(e->cfg.sessions))
		return;
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].transport)
			e->reps[i].transport(e->reps[i].ctx, ev);
}

/* Every port of ports, tls and ws once, in that order: the ports reassembly follows. */
static int union_ports(const struct engine_config *cfg, struct port_set *all)
{
	port_set_init(all);
	if (port_set_add_set(all, cfg->ports) < 0 || port_set_add_set(all, cfg->tls_ports) < 0 ||
	    port_set_add_set(all, cfg->ws_ports) < 0) {
		port_set_free(all);
		return -1;
	}
	return 0;
}

struct engine *engine_new(const struct engine_config *cfg, struct reporter *reps, size_t n)
{
	struct engine *e = calloc(1, sizeof *e);
	struct framer_sink fs = { on_message, on_event };
	struct framer_config fc = { cfg->max_buffer };
	struct transport_sink ts = { on_transport };
	struct transport_config tc = { cfg->ports->list, cfg->ports->n, cfg->tls_ports->list,
				       cfg->tls_ports->n, cfg->ws_ports->list, cfg->ws_ports->n,
				       cfg->detect, cfg->keylog, cfg->keylog_path };
	struct port_set all;
	struct reasm_config rc = { NULL, 0, cfg->max_held, cfg->max_flows, cfg->flow_timeout,
				   cfg->detect };

	if (!e || union_ports(cfg, &all) < 0) {
		free(e);
		return NULL;
	}
	rc.ports = all.list;
	rc.nports = all.n;
	e->cfg = *cfg;
	e->cfg.ports = e->cfg.tls_ports = e->cfg.ws_ports = NULL; /* the caller's: read here only */
	e->reps = reps;
	e->nreps = n;
	if (!(e->framer = framer_new(&fc, &fs, e)) ||
	    !(e->transport = transport_new(&tc, framer_reasm_sink(), e->framer, &ts, e)) ||
	    !(e->reasm = reasm_new(&rc, transport_reasm_sink(), e->transport))) {
		port_set_free(&all);
		engine_free(e);
		return NULL;
	}
	port_set_free(&all); /* reassembly and transport keep their own copies */
	return e;
}

int engine_packet(struct engine *e, const struct cap_pkt *pkt)
{
	struct tcp_seg seg;
	int rc;

	if (e->stopped)
		return 1;
	e->frames++;
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].frame_begin)
			e->reps[i].frame_begin(e->reps[i].ctx, pkt);
	rc = decode_packet(pkt, &seg);
	if (rc == DECODE_OK)
		reasm_feed(e->reasm, &seg);
	else if (rc == DECODE_TRUNCATED || rc == DECODE_MALFORMED)
		e->bad_frames++;
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].frame_end)
			e->reps[i].frame_end(e->reps[i].ctx, pkt, rc == DECODE_OK ? &seg : NULL);
	if (e->cfg.max_messages && e->shown >= e->cfg.max_messages)
		e->stopped = 1;
	return e->stopped;
}

void engine_finish(struct engine *e)
{
	if (!e->stopped)
		reasm_finish(e->reasm);
	if (e->cfg.sessions)
		session_finish(e->cfg.sessions); /* those -c left open */
	for (size_t i = 0; i < e->nreps; i++)
		if (e->reps[i].finish)
			e->reps[i].finish(e->reps[i].ctx);
}

void engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	const struct reasm_stats *rs = reasm_stats(e->reasm);
	const struct framer_stats *fs = framer_stats(e->framer);
	const struct transport_stats *xs = transport_stats(e->transport);

	memset(st, 0, sizeof *st);
	st->frames = e->frames;
	st->bad_frames = e->bad_frames;
	st->tcp_segments = rs->segments;
	st->connections = rs->flows - xs->ignored; /* --detect follows every connection */
	st->gaps = rs->gaps;
	st->gap_bytes = rs->gap_bytes;
	st->messages = e->messages;
	st->bytes_skipped = fs->bytes_skipped;
	st->incomplete = fs->incomplete;
	st->truncated = fs->truncated;
	st->resyncs = fs->resyncs;
	st->malformed = fs->malformed;
	st->oversize = fs->oversize;
	st->tls_sessions = xs->tls_sessions;
	st->tls_decrypted = xs->tls_decrypted;
	st->ws_sessions = xs->ws_sessions;
	st->detected = xs->detected;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	e->stopped = 1; /* flows dropped now are not reported */
	reasm_free(e->reasm); /* its close callbacks free the later stages' per-flow state */
	transport_free(e->transport);
	framer_free(e->framer);
	free(e);
}
