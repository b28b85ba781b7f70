/*
 * report.h - the reporters' interface: one struct of callbacks per output.
 *
 * Knows framer.h and transport.h. The engine calls, for each captured frame: frame_begin, then message /
 * event for everything the frame completes, then frame_end; finish once at the end.
 * A new output is a new file that fills a struct reporter.
 */
#ifndef MQTTDUMP_REPORT_H
#define MQTTDUMP_REPORT_H

#include "mqttdump/framer.h"
#include "mqttdump/transport.h"

#include <stdio.h>

/* What every reporter may need to know of the run. */
struct report_opts {
	FILE *out;
	int ts_digits;          /* 6 or 9 */
	uint32_t payload_max;   /* bytes of payload shown */
	int show_secrets;       /* print passwords */
	int line_buffered;      /* flush after each line (live capture) */
};

struct reporter {
	void *ctx;
	void (*frame_begin)(void *ctx, const struct cap_pkt *pkt);
	void (*message)(void *ctx, const struct mqtt_record *rec);
	void (*event)(void *ctx, const struct framer_event *ev);
	/* What carries MQTT: TLS steps, WebSocket upgrade and control frames, --detect. */
	void (*transport)(void *ctx, const struct transport_event *ev);
	/* seg: the frame's TCP segment when it had one, else NULL. */
	void (*frame_end)(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg);
	void (*finish)(void *ctx);
	void (*free)(void *ctx);
};

/* Wireshark-style one line per frame that ends at least one MQTT message. */
int report_summary_new(const struct report_opts *o, struct reporter *r);
/* JSON Lines: one object per MQTT message or event (docs/json.md). */
int report_json_new(const struct report_opts *o, struct reporter *r);

/* Reporters of session facts: they observe the tracker (session.h), which the engine
 * feeds; both write at finish. out: where the document goes. */
struct session_tracker;
/* --timeline: one JSON document of every session (docs/json.md). */
int report_timeline_new(const struct report_opts *o, struct session_tracker *t, FILE *out,
			struct reporter *r);
/* --stats (json = 0) and --stats=json (json = 1). */
int report_stats_new(const struct report_opts *o, struct session_tracker *t, int json,
		     FILE *out, struct reporter *r);
/* -w: remembers the frames that carry each message it is given. After the run,
 * report_select_frame(ctx, pkt) says whether a record (read again from the file, in
 * order) is one of them. */
int report_select_new(struct reporter *r);
int report_select_frame(void *ctx, const struct cap_pkt *pkt);
size_t report_select_count(void *ctx);  /* messages remembered */

/* Shared helpers for reporters. */
/* "2026-11-22T18:44:31.123456Z" at the capture's precision. */
void report_iso_time(int64_t sec, uint32_t nsec, int digits, char *out, size_t cap);
/* Relative seconds "12.000345" (digits after the point), sign kept. */
void report_rel_time(int64_t sec, uint32_t nsec, int64_t sec0, uint32_t nsec0, int digits,
		     char *out, size_t cap);
const char *report_end_name(int why);  /* "fin", "rst", ... */
/* v in decimal at out (at least 21 bytes), NUL-terminated; returns its length. */
size_t report_u64(char *out, uint64_t v);

#endif
