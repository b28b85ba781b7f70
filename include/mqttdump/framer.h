/*
 * framer.h - MQTT framing: a connection's two byte streams in, whole control packets out.
 *
 * Knows reasm.h and mqtt.h. It is a reasm_sink: plug framer_sink() into reasm_new().
 * Per direction, a packet wholly inside one delivered span is parsed in place (no copy);
 * only the unfinished tail of a packet is copied, into a buffer that grows with the bytes
 * that arrive (never with a claimed length) up to max_buffer. A connection's protocol
 * version comes from its CONNECT and decodes the packets after it.
 */
#ifndef MQTTDUMP_FRAMER_H
#define MQTTDUMP_FRAMER_H

#include "mqttdump/mqtt.h"
#include "mqttdump/reasm.h"

#include <stdint.h>

/* One MQTT control packet, as reporters see it. Everything is borrowed: valid only during
 * the callback. */
struct mqtt_record {
	const struct reasm_flow *flow;
	int dir;                   /* enum reasm_dir */
	struct frame_ref at;       /* the frame holding the last byte */
	uint64_t first_frame;      /* the frame holding the first byte */
	uint8_t version;           /* the connection's version (MQTT_VUNKNOWN: not seen) */
	uint8_t version_inferred;  /* no CONNECT seen: version assumed (3.1.1) or inferred (5.0) */
	uint8_t incomplete;        /* bytes of it were lost, or the stream ended inside it */
	uint8_t truncated;         /* the snap length cut bytes of it */
	uint8_t length_known;      /* its fixed header was read whole (msg.hdr.remlen is true) */
	uint8_t topic_from_alias;  /* msg.topic was empty: it is the topic its alias stands for */
	uint32_t have;             /* bytes of its captured prefix; == hdrlen + remlen when
				    * complete */
	uint32_t captured;         /* bytes of it captured, those after a hole inside it too */
	const uint8_t *raw;        /* the captured prefix of the packet (have bytes, at most
				    * what arrived before the first missing byte) */
	struct mqtt_msg msg;       /* for a cut packet: the fields its captured prefix holds */
};

enum framer_event_kind {
	FRAMER_EV_GAP,          /* bytes of the stream were not captured (cause: enum reasm_gap) */
	FRAMER_EV_SKIPPED,      /* bytes that could not be framed, skipped to resynchronise */
	FRAMER_EV_OVERSIZE,     /* a packet larger than max_buffer: skipped */
	FRAMER_EV_END,          /* the connection ended */
	FRAMER_EV_VERSION,      /* the version of a connection without CONNECT was inferred */
	FRAMER_EV_MEMORY,       /* buffered bytes dropped to stay within the memory budget
				 * (framer_evict): len bytes of the stream are not decoded, from
				 * offset; type: the packet's type (a partial packet) */
};

struct framer_event {
	int kind;
	const struct reasm_flow *flow;
	int dir;
	struct frame_ref at;    /* the frame it was noticed in */
	uint64_t offset;        /* stream offset */
	uint64_t len;           /* bytes lost / skipped / claimed length; MEMORY: the bytes
				 * that were held and are dropped */
	uint64_t size;          /* MEMORY: the length of the partial packet dropped (its
				 * header's claim; the rest of it is skipped as it comes); 0
				 * for undecided bytes */
	uint8_t type;           /* OVERSIZE: the packet's type */
	uint8_t version;        /* VERSION: the version inferred */
	int cause;              /* GAP: enum reasm_gap */
	int why;                /* END: enum reasm_end */
	const char *text;       /* SKIPPED, VERSION: why, in words */
};

struct framer_sink {
	void (*message)(void *ctx, const struct mqtt_record *rec);
	void (*event)(void *ctx, const struct framer_event *ev);
};

struct framer_config {
	uint32_t max_buffer;    /* bytes one unfinished packet may hold */
	struct budget *budget;  /* charged with the buffers (BUDGET_FRAMER) and each
				 * connection's state (BUDGET_CONN); NULL: none */
};

struct framer_stats {
	uint64_t messages, malformed, incomplete, truncated, oversize, oversize_bytes,
		 bytes_skipped, resyncs;
	uint64_t budget_drops, budget_bytes; /* FRAMER_EV_MEMORY events, the bytes they cost */
};

struct framer;

struct framer *framer_new(const struct framer_config *cfg, const struct framer_sink *sink,
			  void *ctx);
/* The callbacks to hand to reasm_new, with the framer as their ctx. */
const struct reasm_sink *framer_reasm_sink(void);
const struct framer_stats *framer_stats(const struct framer *fr);
/* The oldest frame holding bytes the framer has not decided on yet (a resynchronisation in
 * progress, a packet in progress on framing found by one, packets waiting for the version
 * of their connection to be known): messages of that frame or later may still come. 0 when
 * nothing is pending. */
uint64_t framer_oldest_pending(const struct framer *fr);
/* The memory budget is exceeded: the buffers of the connection that has held some the
 * longest are given up (FRAMER_EV_MEMORY for what is lost; packets waiting for the
 * version are reported at once, with the evidence so far). at: the frame the events
 * belong to. Returns 1 when it freed something, 0 when nothing more can go. */
int framer_evict(struct framer *fr, const struct frame_ref *at);
void framer_free(struct framer *fr);

#endif
