/*
 * serve.h - --serve: the exchange drawn live in a browser (docs/classroom.md).
 *
 * A reporter (report.h) that feeds its own --json and --explain reporters, writing to
 * FILE streams of its own, and keeps what they write, record by record, in a bounded
 * history that an HTTP server (libmicrohttpd, a thread of its own) sends to each viewer as
 * Server-Sent Events. The capture thread only appends to the history under a mutex held
 * for a copy; a slow viewer waits in its own thread and is told what the history dropped
 * under it, so no viewer can stall the capture.
 */
#ifndef MQTTDUMP_SERVE_H
#define MQTTDUMP_SERVE_H

#include "mqttdump/report.h"

#include <stdint.h>
#include <stdio.h>

struct session_tracker;

struct serve_opts {
	const char *addr;        /* "[ADDR:]PORT" ("[ADDR]:PORT" for IPv6); no ADDR: 127.0.0.1.
				  * NULL: no server and no pacing, only the history (what the
				  * fuzzer builds, with every output) */
	uint32_t history;        /* records kept for the viewers (older ones dropped) */
	size_t history_bytes;    /* and their bytes at most */
	uint32_t max_viewers;    /* event streams open at once; more are refused (503) */
	double replay_speed;     /* a file: 1 at its own pace, 10 ten times faster, 0.5 half
				  * as fast; 0: no pacing */
	const char *lang;        /* --explain's language: "en" or "fr" */
	FILE *note;              /* where the address served is told (stderr), or NULL */
	struct session_tracker *sessions; /* the tracker whose records (session_open,
				  * transaction, anomaly...) are served beside the messages, as
				  * --json writes them; NULL: messages only */
};

/* Start serving at o->addr and build the reporter. o->out is not used: what the reporter
 * writes goes to the viewers. Returns 0, or -1 with a one-line reason in err ("--serve
 * 127.0.0.1:80: Permission denied", "out of memory"). */
int report_serve_new(const struct report_opts *o, const struct serve_opts *s,
		     struct reporter *r, char *err, size_t errlen);
/* Start serving (the HTTP server's threads, the port bound): once the privileges are
 * dropped (main.c). Returns 0 (and 0 at once without an address), or -1 with a one-line
 * reason in err. */
int report_serve_start(void *ctx, char *err, size_t errlen);
/* The port served (after port 0: the one the system chose). */
unsigned report_serve_port(const void *ctx);
/* The page (src/serve_page.html) with its own texts in the process's language (i18n.h):
 * the strings its script reads, written over the empty object after its TR mark; lang is the page's
 * <html lang>. out is the caller's (report_buf_free). Returns 0, or -1 out of memory. */
int serve_page_build(struct report_buf *out, const char *lang);
/* Keep serving until SIGINT or SIGTERM arrives (the capture has ended); at once without
 * a server. */
void report_serve_linger(void *ctx);

#endif
