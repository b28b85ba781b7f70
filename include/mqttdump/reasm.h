/*
 * reasm.h - TCP stream reassembly: segments in, ordered bytes out.
 *
 * Knows only decode.h. Connections are told apart by their 4-tuple (a new SYN with
 * another initial sequence number on a known 4-tuple starts a new connection). Each
 * connection has two directions; each delivers its bytes in sequence order, exactly once,
 * through the sink's callbacks:
 *   data(bytes)   the next bytes of the stream (a view into the current frame when in
 *                 order, into a held copy when they were held back; valid during the call)
 *   gap(len)      len bytes of the stream will never be delivered (lost, not captured)
 *   eof           the direction ended (FIN reached, RST, eviction, end of capture)
 * In-order data is never copied; segments that arrive ahead of a hole are copied and
 * held. Where copies of a stream byte differ (retransmissions, overlaps), the first copy
 * to arrive is the one delivered.
 *
 * A hole is waited for, however many segments come after it, and a segment that arrives
 * later in the capture fills it. It is given up (gap, REASM_GAP_LOST), and what was held
 * behind it delivered, only when:
 *   (a) the direction holds more than max_held bytes. What is counted is the memory really
 *       held: the bytes, a 32-byte record per segment piece, the chunks and blocks they sit
 *       in, each rounded as the allocator does. Holes are given up from the first on until
 *       the direction fits again; a segment held alone is kept whatever it costs;
 *   (b) a segment held behind it has waited more than reorder_time seconds of capture time
 *       (main.c's default: 10 s; 0: no time bound);
 *   (c) the direction or the connection ends: the peer acknowledged the direction's FIN
 *       (it received every byte before it: the sender has nothing more to send), RST, a
 *       new SYN, idle timeout, eviction, end of capture. Every hole is given up then.
 *       Bytes at or past a FIN are never delivered, so holes there are not reported.
 *       An acknowledged FIN, and a RST that comes while bytes of the connection are known
 *       missing (held behind a hole, or before its FIN, or before where the RST says a
 *       direction ended), wait up to reorder_time for them first: a capture can show them
 *       after the close. Until then a segment inside the connection's sequence space is
 *       taken as one of its own; any other data ends the wait (and starts a connection);
 *   After a close by FIN or RST the 4-tuple is remembered (a tomb, 120 s): a segment
 *   repeating bytes of the closed connection is a duplicate; one that goes on with its
 *   stream opens a connection with reasm_flow.follows set;
 *   (d) the peer acknowledged the hole's bytes (so they were not lost on the wire: the
 *       capture missed them, or shows them late) and more than 4 MiB has come in that
 *       direction since, without them;
 *   (e) the memory budget (--max-memory, budget.h) is spent and the engine asks for it
 *       (reasm_evict_held): the holes before the oldest segment held anywhere, reported
 *       with cause REASM_GAP_BUDGET.
 * Segment counts never decide. A FIN ahead of a hole waits for the hole like data does.
 */
#ifndef MQTTDUMP_REASM_H
#define MQTTDUMP_REASM_H

#include "mqttdump/budget.h"
#include "mqttdump/decode.h"

#include <stddef.h>
#include <stdint.h>

enum reasm_dir { REASM_TO_BROKER = 0, REASM_TO_CLIENT = 1 };

/* Why bytes of a stream will not be delivered. */
enum reasm_gap {
	REASM_GAP_LOST = 0,  /* segments the capture missed */
	REASM_GAP_SNAPLEN,   /* the snap length cut a segment: its tail was on the wire only */
	REASM_GAP_BUDGET,    /* a hole given up early to stay within the memory budget
			      * (reasm_evict_held): its bytes, if they come, are not read */
};

enum reasm_end {
	REASM_END_FIN,      /* the direction's FIN was reached */
	REASM_END_RST,      /* a reset (from either side) */
	REASM_END_REUSED,   /* a new SYN on the same 4-tuple */
	REASM_END_IDLE,     /* nothing seen for the flow timeout */
	REASM_END_EVICTED,  /* the flow table was full */
	REASM_END_CAPTURE,  /* the capture ended */
	REASM_END_MEMORY,   /* closed to stay within the memory budget (reasm_evict_flow) */
};

/* The public part of a connection. */
struct reasm_flow {
	uint64_t index;            /* 0, 1, 2 ... in order of first appearance */
	struct tcp_addr client, broker;
	uint16_t client_port, broker_port;
	uint8_t saw_syn;           /* the capture has the connection's opening */
	uint64_t follows;          /* 0, or 1 + the index of the connection this one goes on
				    * with: one on the same 4-tuple closed (FIN, RST) within the
				    * reorder time, whose stream this one's first segment belongs
				    * to (not a repeat: past what was seen of it, or before its
				    * first byte seen without a SYN), acknowledging bytes of its
				    * peer. A segment the capture shows after the close (sent
				    * before a RST reached its sender, or late). The later stages
				    * may carry that one's state over (the version its CONNECT
				    * gave) */
	uint8_t closer;            /* who sent the first FIN or RST: 0 none seen yet,
				    * 1 the client, 2 the broker (session tracking reads it) */
	uint8_t closer_rst;        /* that first close was a RST */
	uint8_t in_tls;            /* never set by reassembly: the transport sets it in its own
				    * copy of this struct, the one the later stages are given (the
				    * connection's bytes travel inside TLS: credentials are not in
				    * clear) */
	void *user;                /* the next stage's state, from sink->open (each stage gives
				    * the one after it a copy of its own, with its own user) */
};

/* at: the frame the bytes or the event belong to. Bytes delivered in order belong to the
 * frame being processed, and so do held bytes it makes deliverable (it filled the hole
 * before them); bytes held behind a hole that is then given up belong to the frame they
 * arrived in; a gap to the frame where it was given up (at the capture's end, the flow's
 * last frame). Never NULL. */
struct reasm_sink {
	void *(*open)(void *ctx, struct reasm_flow *f, const struct frame_ref *at);
	void (*data)(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		     const struct frame_ref *at);
	/* offset: the stream offset (bytes since the direction's first byte) of the hole;
	 * cause: enum reasm_gap. */
	void (*gap)(void *ctx, struct reasm_flow *f, int dir, uint64_t offset, uint32_t len,
		    int cause, const struct frame_ref *at);
	void (*eof)(void *ctx, struct reasm_flow *f, int dir, int why, const struct frame_ref *at);
	/* After both directions' eof: free f->user. */
	void (*close)(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at);
};

struct reasm_config {
	const uint16_t *ports;     /* broker ports */
	size_t nports;
	size_t max_held;           /* memory held out of order per direction, in bytes, with
				    * the overhead (see above) */
	size_t max_flows;          /* open connections at once; the idlest is evicted */
	double flow_timeout;       /* seconds without a segment before a flow is closed; 0: never */
	int any_port;              /* follow connections on every port too (--detect): the side
				    * that answered the SYN, else the lower port, is the broker */
	double reorder_time;       /* seconds a held segment waits for the holes before it;
				    * 0: no time bound */
	struct budget *budget;     /* charged with what is held out of order (BUDGET_REASM)
				    * and each connection's state (BUDGET_CONN); NULL: none */
};

/* The next stage wants no more bytes (data, gap) of f's connection: nothing is held or
 * delivered for it from now on; its end is still reported (eof, close). The flag is
 * reassembly's own: a later stage asks through this call, it does not write it. f must
 * be the flow reassembly gave (sink->open, data...), not a later stage's copy of it. */
void reasm_ignore(struct reasm_flow *f);

/* held_max: the most memory one direction held at once, counted as for max_held (for the
 * moment it takes to give a hole up, that can pass max_held by one segment). */
struct reasm_stats {
	uint64_t segments, flows, gaps, gap_bytes, snap_gaps, snap_bytes, dup_bytes, held_max,
		 evicted, expired;
	uint64_t budget_gaps, budget_bytes; /* of gaps: holes given up for the budget */
	uint64_t budget_flows;              /* of evicted: connections closed for it */
};

struct reasm;

struct reasm *reasm_new(const struct reasm_config *cfg, const struct reasm_sink *sink,
			void *ctx);
/* Feed one decoded segment. Returns 1 when it belongs to a followed connection, else 0. */
int reasm_feed(struct reasm *r, const struct tcp_seg *seg);
/* The capture ended: flush and close every connection. */
void reasm_finish(struct reasm *r);
/* The smallest frame number among the segments held (not yet delivered) in any
 * connection; 0 when none is held. Exact and O(1): for ordering output by frame. */
uint64_t reasm_oldest_held(const struct reasm *r);
/* The memory budget is exceeded (engine.c calls these between frames):
 * reasm_evict_held gives up the holes before the oldest segment held anywhere (gap, cause
 * REASM_GAP_BUDGET) and delivers what they held back; reasm_evict_flow closes the least
 * recently seen connection (REASM_END_MEMORY). at: the frame the
 * events belong to. Each returns 1 when it freed something, 0 when it had nothing to. */
int reasm_evict_held(struct reasm *r, const struct frame_ref *at);
int reasm_evict_flow(struct reasm *r, const struct frame_ref *at);
const struct reasm_stats *reasm_stats(const struct reasm *r);
void reasm_free(struct reasm *r);

#endif
