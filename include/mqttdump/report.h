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
#include "mqttdump/ports.h"
#include "mqttdump/textesc.h"
#include "mqttdump/transport.h"

#include <stdio.h>

struct session_tracker;

/* What every reporter may need to know of the run. */
/* The summary's time column (-t, tshark's formats). */
enum report_time_format {
	REPORT_TIME_RELATIVE,   /* r: seconds since the first frame (the default) */
	REPORT_TIME_ABSOLUTE,   /* a: local time of day */
	REPORT_TIME_ABS_DATE,   /* ad: local date and time */
	REPORT_TIME_DELTA,      /* d: since the frame captured before */
	REPORT_TIME_DELTA_SHOWN,/* dd: since the frame of the line before */
	REPORT_TIME_EPOCH,      /* e: seconds since 1970-01-01 UTC */
	REPORT_TIME_UTC,        /* u: UTC time of day */
	REPORT_TIME_UTC_DATE,   /* ud: UTC date and time */
};

struct report_opts {
	FILE *out;
	int ts_digits;          /* 6 or 9 */
	int time_format;        /* enum report_time_format: the summary's time column */
	uint32_t payload_max;   /* bytes of payload shown */
	int show_secrets;       /* print passwords */
	int line_buffered;      /* flush after each line (live capture) */
	/* Where this output's text of a frame sits among the other outputs' on the same
	 * stream: set by the pipeline from its registry's layouts (pipeline.c); honoured by
	 * the detail tree, the hex dump and the explanations. */
	int blank_before;       /* a blank line before its text of each frame; for the text
				 * diagram, written at the end: a blank line between the
				 * frames' lines before it and the diagram */
	int blank_after;        /* a blank line after it */
	/* Columns of the text (--width, or the terminal's): the explanations wrap at it, the
	 * text diagram is drawn compact to fit it. 0: not bounded (a pipe, a file), as
	 * without the option. */
	unsigned width;
	/* The session tracker when the pipeline has one (a filter is set, or an output needs
	 * sessions), else NULL: a reporter that names clients asks it for the client id of a
	 * connection whose CONNECT the filter kept from it (session_of, session.h). */
	const struct session_tracker *sessions;
};

struct reporter {
	void *ctx;
	/* seg: the frame's TCP segment as the engine decoded it, else NULL (the reporters do
	 * not decode frames again); valid until the frame's end, as pkt. */
	void (*frame_begin)(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg);
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
/* The same, with the records of tracker t (NULL: none) as they become known: sessions
 * opened and ended, transactions, anomalies and security notes, and each connection's
 * client id in all its records. */
struct session_tracker;
int report_json_tracked_new(const struct report_opts *o, struct session_tracker *t,
			    struct reporter *r);

/* --eve: Suricata's EVE JSON (docs/eve.md): mqtt transactions, anomalies, a flow record
 * per connection. Its limits are Suricata's options, with Suricata's defaults. */
struct eve_opts {
	uint32_t max_msg_len;   /* --eve-max-msg-length (app-layer.protocols.mqtt.max-msg-length,
				 * 1 MiB): longer packets are logged as truncated */
	uint32_t string_limit;  /* --eve-string-log-limit (eve-log mqtt string-log-limit; 0:
				 * none): bytes of a message, or of a topic list, logged */
	uint32_t max_tx;        /* --eve-max-tx (app-layer.protocols.mqtt.max-tx, 1024):
				 * transactions pending per connection */
	const struct port_set *ports[3]; /* the followed ports (-p, --tls-port, --ws-port) */
	int any_port;           /* --detect: every port */
};
int report_eve_new(const struct report_opts *o, const struct eve_opts *e, struct reporter *r);

/* --stats-interval: a statistics record every interval_ns of capture time, counted from
 * the first frame (as tshark -z io,stat): frames, bytes, messages by type, connections open
 * (tracker t's sessions), anomalies and security notes; written when the first frame past
 * the interval begins, and at the end. */
enum interval_format { INTERVAL_TEXT, INTERVAL_JSON, INTERVAL_EVE };
struct interval_opts {
	uint64_t interval_ns;
	int format;             /* enum interval_format */
};
struct session_tracker;
int report_interval_new(const struct report_opts *o, const struct interval_opts *io,
			struct session_tracker *t, struct reporter *r);

/* Reporters of session facts: they observe the tracker (session.h), which the engine
 * feeds; both write at finish. out: where the document goes (not closed). */
/* --timeline: one JSON document of every session (docs/json.md). */
int report_timeline_new(const struct report_opts *o, struct session_tracker *t, FILE *out,
			struct reporter *r);
/* --stats (json = 0) and --stats=json (json = 1). */
int report_stats_new(const struct report_opts *o, struct session_tracker *t, int json,
		     FILE *out, struct reporter *r);
/* -w: gives the sink, in frame order and in one pass, each captured frame that carries
 * some of a message it is given (report_write.c); frames wait until that is known. */
struct report_write_opts {
	/* a frame to write; returns 0, or non-zero to write no more (the sink failed, or
	 * wants no more: -G -W's files are complete) */
	int (*sink)(void *ctx, const struct cap_pkt *pkt);
	void *ctx;
	const struct port_set *ports[3]; /* the followed ports (plain, TLS, WebSocket) */
	int all_ports;                   /* --detect: every TCP port is followed */
};
int report_write_new(const struct report_write_opts *o, struct reporter *r);
struct report_write_counts {
	uint64_t messages;      /* messages given */
	uint64_t frames;        /* frames given to the sink */
	uint64_t cut_short;     /* messages written without their first frames: those
				 * waited past the bounds (report_write.c) */
};
void report_write_counts(void *ctx, struct report_write_counts *c);
/* Teaching outputs (docs/teaching.md). */
struct detail_opts {
	int tree;               /* -V: the detail tree of each frame holding MQTT messages */
	int hex;                /* -x: hex and ASCII dump of the frame, and of each message
				 * reassembled from several segments */
};
/* -V and/or -x (both: the tree, a blank line, the dump). With hex alone it prints only
 * the dumps, after another reporter's line or tree (so that --explain's sentences can
 * come between the two). */
int report_detail_new(const struct report_opts *o, const struct detail_opts *d,
		      struct reporter *r);

/* --explain: after each frame, a sentence or two per message on what it means. lang: "en"
 * or "fr". Prints after the reporters before it in the engine's list. Each paragraph is
 * indented 6 columns, wrapped at o->width when set (report_wrap). */
int report_explain_new(const struct report_opts *o, const char *lang, struct reporter *r);
/* The paragraphs an explainer (ctx: of report_explain_new) holds for the frame so far,
 * appended to b (NULL: dropped) and forgotten by it: the HTML diagram shows each
 * message's so. */
struct report_buf;
void report_explain_take(void *ctx, struct report_buf *b);

/* --diagram: a sequence diagram of the whole capture, written when it ends. */
enum diagram_kind { DIAGRAM_TEXT, DIAGRAM_SVG, DIAGRAM_HTML };
struct diagram_opts {
	int kind;               /* enum diagram_kind */
	FILE *out;              /* where to write it (the reporter does not close it) */
	int color;              /* text: ANSI colours */
	uint32_t max_arrows;    /* messages kept; later ones are counted, not drawn */
	const char *lang;       /* HTML: the language of each arrow's explanation ("en",
				 * "fr"; NULL: English) */
};
int report_diagram_new(const struct report_opts *o, const struct diagram_opts *d,
		       struct reporter *r);

/* A growing text buffer for reporters: reused, so no allocation once warm. On allocation
 * failure text is dropped, never half-written past cap. */
struct report_buf {
	char *p;
	size_t len, cap;
};
/* Room for want more bytes in b: 0, or -1 when it cannot grow (nothing is written then). */
int report_buf_room(struct report_buf *b, size_t want);
void report_buf_put(struct report_buf *b, const char *s, size_t n);
void report_buf_puts(struct report_buf *b, const char *s);
void report_buf_printf(struct report_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void report_buf_free(struct report_buf *b);
/* The bytes of the longest start of the n bytes of text at p that takes at most cols
 * columns and cuts no character and no escape of textesc.h. */
size_t report_text_cut(const char *p, size_t n, size_t cols);
/* Append the n bytes of text at p (UTF-8 with no newline: a paragraph) to b as lines of at
 * most width columns (one per character), the first starting with first spaces, the next
 * ones with indent spaces, each ending with "\n". Lines break at spaces (dropped there); a
 * word longer than a line is cut between characters, never inside a character or an
 * escape of textesc.h ("\x1b", "\u202e"). width 0 (or no room past the indent): one
 * line. */
void report_wrap(struct report_buf *b, const char *p, size_t n, unsigned first,
		 unsigned indent, unsigned width);
/* Append the n bytes at p, from the wire, as terminal-safe text (textesc.h: controls,
 * bidirectional controls and bytes that are not UTF-8 escaped); max as textesc's (0: all,
 * else at most max bytes of p, then "…"). Every text output writes wire strings so. */
void report_buf_text(struct report_buf *b, const void *p, size_t n, size_t max);

/* The MQTT part of the detail tree of one message ("MQ Telemetry Transport Protocol, ...",
 * then its fields indented), appended to b. Used by -V and by the HTML diagram. Unless
 * show_secrets, a password or Authentication Data shows as "<hidden: N bytes, ...>". */
void report_detail_mqtt(const struct mqtt_record *rec, int show_secrets, struct report_buf *b);
/* Hex and ASCII lines of n bytes, as tshark -x prints them, appended to b. */
void report_hexdump(const uint8_t *p, size_t n, struct report_buf *b);
/* The same with the bytes whose mask[i] is set shown as "**" and '*' (mask: n flags, or
 * NULL for none). Returns how many were masked. */
size_t report_hexdump_masked(const uint8_t *p, size_t n, const uint8_t *mask,
			     struct report_buf *b);

/* Secrets: what no output shows unless --show-secrets (report_opts.show_secrets). */
/* 1 for a property whose value is a secret: Authentication Data (0x16). */
int report_prop_secret(uint8_t id);
/* A run of secret bytes in a message: offset into mqtt_record.raw, length. */
struct report_span {
	uint32_t off, len;
};
/* The secret bytes of rec->raw: its password and the value of every Authentication Data
 * property, in the order they come, at most max spans written to out. A CONNECT, CONNACK
 * or AUTH cut short or malformed is read as far as its bytes go: a secret cut short is a
 * span to the end of what was captured, and so is the rest of a CONNECT whose password
 * cannot be placed (its flags say it has one, a field before it does not read). Returns
 * the number of spans found, which may be more than max. */
size_t report_secret_spans(const struct mqtt_record *rec, struct report_span *out, size_t max);

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
