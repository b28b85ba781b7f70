/*
 * engine.h - the pipeline: capture records -> decode -> reassembly -> framing -> reporters.
 *
 * pipeline.c builds it with the reporters; each captured record goes to engine_packet().
 */
#ifndef MQTTDUMP_ENGINE_H
#define MQTTDUMP_ENGINE_H

#include "mqttdump/ports.h"
#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <stddef.h>
#include <stdint.h>

struct engine_config {
	/* the ports followed, one set per kind (not owned; read by engine_new only) */
	const struct port_set *ports;     /* broker ports (-p): plain MQTT */
	const struct port_set *tls_ports; /* MQTT over TLS */
	const struct port_set *ws_ports;  /* MQTT over WebSocket */
	uint32_t max_buffer;     /* framer: bytes one unfinished packet may hold */
	size_t max_held;         /* reassembly: out-of-order bytes held per direction */
	size_t max_flows;
	double flow_timeout;
	double reorder_time;     /* reassembly: seconds a held segment waits; 0: no bound */
	size_t max_memory;       /* --max-memory: bytes every stage together may hold (budget.h);
				  * 0: no limit */
	uint64_t max_messages;   /* stop after this many MQTT messages (that pass the filters);
				  * 0: no limit */
	struct session_tracker *sessions; /* optional (not owned): sees every record first and
					   * decides, with its filter, which reach the reporters */
	int detect;              /* follow every TCP port; MQTT where a CONNECT opens it */
	const struct tls_keylog *keylog; /* --keylog: decrypt TLS; NULL: report it encrypted */
	const char *keylog_path;         /* its file, read again when it changes */
};

struct engine_stats {
	uint64_t frames, tcp_segments, bad_frames, messages, connections, gaps, gap_bytes,
		 bytes_skipped, incomplete, truncated, malformed, oversize, resyncs,
		 tls_sessions, tls_decrypted, ws_sessions, detected;
	uint64_t snap_headers;   /* frames the snap length cut inside their link, IP or TCP
				  * header: not decoded (counted in bad_frames too) */
	/* the memory budget: the limit (0: none), the most held at once, the things given up
	 * for it (gaps, partial packets, buffers, connections) and the stream bytes they cost,
	 * and the held frames given out early (which costs only the frame order) */
	uint64_t mem_limit, mem_high, mem_evictions, mem_lost_bytes, hold_flushes;
};

struct engine;

/* reps: the reporters, called in order; the engine does not own them. */
struct engine *engine_new(const struct engine_config *cfg, struct reporter *reps, size_t n);
/* One captured record. Returns 1 once max_messages have been seen (stop reading). */
int engine_packet(struct engine *e, const struct cap_pkt *pkt);
/* The capture ended: close every connection (reporting what was left unfinished). */
void engine_finish(struct engine *e);
void engine_get_stats(const struct engine *e, struct engine_stats *st);
void engine_free(struct engine *e);

#endif
