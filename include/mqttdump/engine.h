/*
 * engine.h - the pipeline: capture records -> decode -> reassembly -> framing -> reporters.
 *
 * main.c builds the reporters and hands each captured record to engine_packet().
 */
#ifndef MQTTDUMP_ENGINE_H
#define MQTTDUMP_ENGINE_H

#include "mqttdump/report.h"
#include "mqttdump/session.h"

#include <stddef.h>
#include <stdint.h>

struct engine_config {
	const uint16_t *ports;   /* broker ports (-p) */
	size_t nports;
	uint32_t max_buffer;     /* framer: bytes one unfinished packet may hold */
	size_t max_held;         /* reassembly: out-of-order bytes held per direction */
	size_t max_flows;
	double flow_timeout;
	double reorder_time;     /* reassembly: seconds a held segment waits; 0: no bound */
	uint64_t max_messages;   /* stop after this many MQTT messages (that pass the filters);
				  * 0: no limit */
	struct session_tracker *sessions; /* optional (not owned): sees every record first and
					   * decides, with its filter, which reach the reporters */
	const uint16_t *tls_ports; /* MQTT over TLS */
	size_t ntls;
	const uint16_t *ws_ports;  /* MQTT over WebSocket */
	size_t nws;
	int detect;              /* follow every TCP port; MQTT where a CONNECT opens it */
	const struct tls_keylog *keylog; /* --keylog: decrypt TLS; NULL: report it encrypted */
	const char *keylog_path;         /* its file, read again when it changes */
};

struct engine_stats {
	uint64_t frames, tcp_segments, bad_frames, messages, connections, gaps, gap_bytes,
		 bytes_skipped, incomplete, truncated, malformed, oversize, resyncs,
		 tls_sessions, tls_decrypted, ws_sessions, detected;
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
