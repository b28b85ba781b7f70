/*
 * pipeline.h - everything between the capture and the outputs, built from one
 * configuration: the session tracker, the outputs of the registry, the engine.
 *
 * The program (main.c), the tests and fuzz/fuzz_pcap.c all build theirs here. The
 * pipeline does not read the capture: the caller hands it each record. It prints nothing
 * but the outputs; errors come back as text.
 */
#ifndef MQTTDUMP_PIPELINE_H
#define MQTTDUMP_PIPELINE_H

#include "mqttdump/config.h"
#include "mqttdump/engine.h"

#include <stdio.h>

/* What the pipeline learns from the capture and the program rather than the options. */
struct pipeline_env {
	FILE *out;                        /* the standard output stream (not closed) */
	int ts_digits;                    /* 6 or 9: the capture's time stamp precision */
	int line_buffered;                /* flush after each frame (live capture) */
	const struct tls_keylog *keylog;  /* --keylog's secrets, loaded (not owned), or NULL */
	/* -w (OUTPUT_SELECT): where the frames that carry the messages go, in frame order
	 * (report_write_opts.sink); required with it */
	int (*write_frame)(void *ctx, const struct cap_pkt *pkt);
	void *write_ctx;
};

/* One output the registry knows, as tests and --help may want to list them. */
struct pipeline_output_info {
	const char *name;                 /* "summary", "json", "tree", ... */
	int own_file;                     /* writes to a file of its own (config names it) */
	int needs_sessions;               /* is fed by the session tracker */
};
const struct pipeline_output_info *pipeline_output_info(enum mqttdump_output o);

struct pipeline;

/* Build the pipeline of cfg: open the outputs' files, make the tracker when an output
 * or a filter needs it, the outputs cfg->outputs names (in registry order), the engine.
 * cfg must outlive the pipeline. Returns NULL with a message in err ("out of memory",
 * "FILE: reason") on failure, having closed what it opened. */
struct pipeline *pipeline_new(const struct mqttdump_config *cfg,
			      const struct pipeline_env *env, char *err, size_t errlen);
/* One captured record. Returns 1 once -c's count is reached (stop reading). */
int pipeline_packet(struct pipeline *p, const struct cap_pkt *pkt);
/* The capture ended: close the connections, let every output write what it keeps. */
void pipeline_finish(struct pipeline *p);
/* After pipeline_finish, when the capture ended by itself: keep what outputs still serve
 * (--serve) until SIGINT or SIGTERM. Returns at once when none does. */
void pipeline_linger(struct pipeline *p);
/* What starts once the privileges are dropped: --serve's server. Returns 0, or -1 with a
 * one-line reason in err. */
int pipeline_start(struct pipeline *p, char *err, size_t errlen);
void pipeline_stats(const struct pipeline *p, struct engine_stats *st);
/* The reporter context of output o (NULL when not built): report_write_counts() of
 * OUTPUT_SELECT's. */
void *pipeline_output(const struct pipeline *p, enum mqttdump_output o);
/* Free everything; close the files it opened. Returns 0, or -1 when writing one of them
 * failed, with "writing FILE: reason" in err. Accepts NULL. */
int pipeline_free(struct pipeline *p, char *err, size_t errlen);

#endif
