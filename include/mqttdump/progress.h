/*
 * progress.h - the progress line of a long read on a terminal (stderr), as dd's
 * status=progress: bytes read, rate, and with a known size the share and the time left.
 *
 * The program's own (main.c): it writes to the stream it is given, nothing else does.
 */
#ifndef MQTTDUMP_PROGRESS_H
#define MQTTDUMP_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *out;              /* a terminal */
	double start, last;     /* monotonic seconds: the start, the last line written */
	int shown;              /* a line is on the terminal */
};

/* Start timing; out: where the line goes (a terminal). */
void progress_start(struct progress *p, FILE *out);
/* pos bytes of size read (size 0: unknown). Writes the line at most 4 times a second,
 * and not in the first second. */
void progress_update(struct progress *p, uint64_t pos, uint64_t size);
/* Erase the line, if one is shown (before other messages, and at the end). */
void progress_erase(struct progress *p);
/* The line itself, for tests: "12.3 MB of 570.0 MB (2%), 45.1 MB/s, 12 s left". */
void progress_text(char *out, size_t cap, uint64_t pos, uint64_t size, double elapsed);

#endif
