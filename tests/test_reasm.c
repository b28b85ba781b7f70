/* Unit tests for TCP reassembly: order, duplicates, overlaps, holes, connection life. */
#include "mqttdump/reasm.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define MAXB 8192

struct rec {
	uint8_t out[2][MAXB];
	size_t n[2];
	uint64_t gap_off[2][8];
	uint32_t gap_len[2][8];
	uint64_t gap_frame[2][8];
	int ngap[2];
	int gap_cause[2];
	int eof[2], eof_why[2];
	int opened, closed, close_why[8];
	uint64_t frames[2][64]; /* frame of each delivery */
	uint32_t lens[2][64];   /* and its length */
	int ndeliv[2];
	uint64_t last_index;
	uint64_t follows;         /* of the last connection opened */
	int closer, closer_rst;   /* of the last connection closed */
};

static void *s_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)at;
	r->opened++;
	r->last_index = f->index;
	r->follows = f->follows;
	return r;
}

static void s_data(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		   const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)f;
	/* bytes past MAXB are counted, not kept (the tests that check them stay below) */
	if (r->n[dir] < MAXB)
		memcpy(r->out[dir] + r->n[dir], p, n < MAXB - r->n[dir] ? n : MAXB - r->n[dir]);
	r->n[dir] += n;
	if (r->ndeliv[dir] < 64) {
		r->lens[dir][r->ndeliv[dir]] = n;
		r->frames[dir][r->ndeliv[dir]++] = at->frame;
	}
}

static void s_gap(void *ctx, struct reasm_flow *f, int dir, uint64_t off, uint32_t len,
		  int cause, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)f;
	r->gap_cause[dir] = cause;
	cr_assert(r->ngap[dir] < 8);
	r->gap_off[dir][r->ngap[dir]] = off;
	r->gap_frame[dir][r->ngap[dir]] = at->frame;
	r->gap_len[dir][r->ngap[dir]++] = len;
}

static void s_eof(void *ctx, struct reasm_flow *f, int dir, int why, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)f;
	(void)at;
	r->eof[dir]++;
	r->eof_why[dir] = why;
}

static void s_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)at;
	r->closer = f->closer;
	r->closer_rst = f->closer_rst;
	if (r->closed < 8)
		r->close_why[r->closed] = why;
	r->closed++;
}

static const struct reasm_sink sink = { s_open, s_data, s_gap, s_eof, s_close };
static const uint16_t ports[] = { 1883 };

/* reorder_time: main.c's default, 10 s; feed() spaces frames 1 s apart. */
static struct reasm *mk(struct rec *r, size_t max_held, size_t max_flows)
{
	struct reasm_config c = { ports, 1, max_held, max_flows, 0, 0, 10, NULL };
	memset(r, 0, sizeof *r);
	return reasm_new(&c, &sink, r);
}

static uint64_t g_frame;
static int64_t g_step_ns = 1000000000; /* capture time between frames */

/* Feed one segment: dir 0 client -> broker, 1 broker -> client. cport picks the client. */
static int feed_port(struct reasm *rs, int dir, uint16_t cport, uint32_t seq, uint32_t ack,
		     uint8_t flags, const uint8_t *data, uint32_t n)
{
	struct cap_pkt pkt = { 0 };
	struct tcp_seg s = { 0 };
	struct tcp_addr c = { 4, { 10, 0, 0, 1 } }, b = { 4, { 10, 0, 0, 2 } };

	pkt.frame = ++g_frame;
	pkt.ts_sec = 1000 + (int64_t)g_frame * g_step_ns / 1000000000;
	pkt.ts_nsec = (uint32_t)((int64_t)g_frame * g_step_ns % 1000000000);
	pkt.len = pkt.caplen = 54 + n;
	s.pkt = &pkt;
	s.at.frame = pkt.frame;
	s.at.ts_sec = pkt.ts_sec;
	s.at.ts_nsec = pkt.ts_nsec;
	s.at.len = pkt.len;
	s.src = dir ? b : c;
	s.dst = dir ? c : b;
	s.sport = dir ? 1883 : cport;
	s.dport = dir ? cport : 1883;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.payload = data;
	s.paylen = s.wirelen = n;
	return reasm_feed(rs, &s);
}

static int feed(struct reasm *rs, int dir, uint32_t seq, uint32_t ack, uint8_t flags,
		const uint8_t *data, uint32_t n)
{
	return feed_port(rs, dir, 40000, seq, ack, flags, data, n);
}

static uint8_t stream[1000];

static void fill(void)
{
	for (size_t i = 0; i < sizeof stream; i++)
		stream[i] = (uint8_t)(i * 7 + 3);
}

static void handshake(struct reasm *rs, uint32_t cisn, uint32_t bisn)
{
	feed(rs, 0, cisn, 0, TCP_SYN, NULL, 0);
	feed(rs, 1, bisn, cisn + 1, TCP_SYN | TCP_ACK, NULL, 0);
	feed(rs, 0, cisn + 1, bisn + 1, TCP_ACK, NULL, 0);
}

Test(reasm, ignores_other_ports)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);
	struct cap_pkt pkt = { .frame = 1 };
	struct tcp_seg s = { .pkt = &pkt, .sport = 5000, .dport = 80, .paylen = 3,
			     .payload = (const uint8_t *)"abc" };

	s.src.family = s.dst.family = 4;
	cr_assert_eq(reasm_feed(rs, &s), 0);
	cr_assert_eq(r.opened, 0);
	reasm_free(rs);
}

Test(reasm, cut_at_every_offset_delivers_the_same_bytes)
{
	fill();
	for (uint32_t cut = 1; cut < 200; cut++) {
		struct rec r;
		struct reasm *rs = mk(&r, 1 << 20, 0);
		handshake(rs, 100, 5000);
		feed(rs, 0, 101, 5001, TCP_ACK | TCP_PSH, stream, cut);
		feed(rs, 0, 101 + cut, 5001, TCP_ACK | TCP_PSH, stream + cut, 200 - cut);
		cr_assert_eq(r.n[0], 200, "cut %u", cut);
		cr_assert_arr_eq(r.out[0], stream, 200);
		cr_assert_eq(r.ngap[0], 0);
		reasm_free(rs);
	}
}

Test(reasm, reordered_segments_are_put_back_in_order)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101 + 200, 5001, TCP_ACK, stream + 200, 100); /* third */
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 100);             /* first */
	cr_assert_eq(r.n[0], 100);
	feed(rs, 0, 101 + 100, 5001, TCP_ACK, stream + 100, 100); /* second: fills the hole */
	cr_assert_eq(r.n[0], 300);
	cr_assert_arr_eq(r.out[0], stream, 300);
	cr_assert_eq(r.ngap[0], 0);
	/* the held bytes complete with the frame that filled the hole */
	cr_assert_eq(r.frames[0][r.ndeliv[0] - 1], g_frame);
	reasm_free(rs);
}

Test(reasm, duplicates_and_overlaps_deliver_each_byte_once)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 100);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 100);            /* retransmission */
	feed(rs, 0, 101 + 90, 5001, TCP_ACK, stream + 90, 60);   /* overlaps by 10 */
	feed(rs, 0, 101 + 300, 5001, TCP_ACK, stream + 300, 50); /* ahead */
	feed(rs, 0, 101 + 300, 5001, TCP_ACK, stream + 300, 50); /* ahead, twice */
	feed(rs, 0, 101 + 140, 5001, TCP_ACK, stream + 140, 170); /* overlaps both sides */
	cr_assert_eq(r.n[0], 350);
	cr_assert_arr_eq(r.out[0], stream, 350);
	cr_assert_eq(r.ngap[0], 0);
	reasm_free(rs);
}

Test(reasm, every_permutation_of_four_segments)
{
	static const int perm[24][4] = {
		{0,1,2,3},{0,1,3,2},{0,2,1,3},{0,2,3,1},{0,3,1,2},{0,3,2,1},
		{1,0,2,3},{1,0,3,2},{1,2,0,3},{1,2,3,0},{1,3,0,2},{1,3,2,0},
		{2,0,1,3},{2,0,3,1},{2,1,0,3},{2,1,3,0},{2,3,0,1},{2,3,1,0},
		{3,0,1,2},{3,0,2,1},{3,1,0,2},{3,1,2,0},{3,2,0,1},{3,2,1,0},
	};
	fill();
	for (int p = 0; p < 24; p++) {
		struct rec r;
		struct reasm *rs = mk(&r, 1 << 20, 0);
		handshake(rs, 0xfffffff0u, 5000); /* the sequence numbers wrap inside the stream */
		for (int i = 0; i < 4; i++) {
			int k = perm[p][i];
			feed(rs, 0, 0xfffffff1u + (uint32_t)k * 25, 5001, TCP_ACK, stream + k * 25, 25);
		}
		cr_assert_eq(r.n[0], 100, "permutation %d", p);
		cr_assert_arr_eq(r.out[0], stream, 100);
		reasm_free(rs);
	}
}

Test(reasm, hole_confirmed_by_peer_ack_is_a_gap)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);
	uint64_t held_frame;

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 100);
	/* 100 bytes lost, then 50 captured */
	feed(rs, 0, 301, 5001, TCP_ACK, stream + 200, 50);
	held_frame = g_frame;
	cr_assert_eq(r.n[0], 100);
	cr_assert_eq(r.ngap[0], 0);
	/* the broker acknowledges everything: the hole was lost by the capture, once the
	 * reorder time (10 s) has passed without it */
	feed(rs, 1, 5001, 351, TCP_ACK, NULL, 0);
	cr_assert_eq(r.ngap[0], 0);
	for (int i = 0; i < 16; i++)
		feed(rs, 1, 5001, 351, TCP_ACK, NULL, 0);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_off[0][0], 100);
	cr_assert_eq(r.gap_len[0][0], 100);
	cr_assert_gt(r.gap_frame[0][0], held_frame + 1);
	cr_assert_leq(r.gap_frame[0][0], g_frame);
	cr_assert_eq(r.n[0], 150);
	cr_assert_arr_eq(r.out[0] + 100, stream + 200, 50);
	/* bytes held behind a lost hole belong to the frame they came in */
	cr_assert_eq(r.frames[0][r.ndeliv[0] - 1], held_frame);
	reasm_free(rs);
}

Test(reasm, capture_end_flushes_holes_and_closes)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 131, 5001, TCP_ACK, stream + 30, 10);
	reasm_finish(rs);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_len[0][0], 20);
	cr_assert_eq(r.n[0], 20);
	cr_assert_eq(r.eof[0], 1);
	cr_assert_eq(r.eof[1], 1);
	cr_assert_eq(r.eof_why[0], REASM_END_CAPTURE);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_CAPTURE);
	reasm_free(rs);
}

Test(reasm, held_bytes_are_capped)
{
	struct rec r;
	struct reasm *rs = mk(&r, 100, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 201, 5001, TCP_ACK, stream + 100, 60); /* held: 60 */
	cr_assert_eq(r.n[0], 0);
	feed(rs, 0, 261, 5001, TCP_ACK, stream + 160, 60); /* 120 > 100: give up the hole */
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_len[0][0], 100);
	cr_assert_eq(r.n[0], 120);
	cr_assert_arr_eq(r.out[0], stream + 100, 120);
	reasm_free(rs);
}

Test(reasm, fin_from_both_sides_closes)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 111, 5001, TCP_ACK | TCP_FIN, NULL, 0);
	cr_assert_eq(r.eof[0], 1);
	cr_assert_eq(r.eof_why[0], REASM_END_FIN);
	cr_assert_eq(r.closed, 0);
	feed(rs, 1, 5001, 112, TCP_ACK | TCP_FIN, NULL, 0);
	cr_assert_eq(r.eof[1], 1);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_FIN);
	cr_expect_eq(r.closer, 1, "the client's FIN came first");
	cr_expect_eq(r.closer_rst, 0);
	/* the last ACK of a closed connection opens nothing */
	feed(rs, 0, 112, 5002, TCP_ACK, NULL, 0);
	cr_assert_eq(r.opened, 1);
	reasm_free(rs);
}

Test(reasm, closer_is_the_first_fin_even_when_the_peer_resets)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 1, 5001, 101, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 0, 101, 5002, TCP_RST | TCP_ACK, NULL, 0);
	cr_assert_eq(r.closed, 1);
	cr_expect_eq(r.closer, 2);
	cr_expect_eq(r.closer_rst, 0);
	reasm_free(rs);
}

Test(reasm, fin_waits_for_the_bytes_before_it)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 111, 5001, TCP_ACK | TCP_FIN, stream + 10, 10); /* FIN ahead of a hole */
	cr_assert_eq(r.eof[0], 0);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	cr_assert_eq(r.n[0], 20);
	cr_assert_eq(r.eof[0], 1);
	reasm_free(rs);
}

Test(reasm, rst_closes_both_directions)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 1, 5001, 111, TCP_RST | TCP_ACK, NULL, 0);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_RST);
	cr_expect_eq(r.closer, 2, "the broker reset it");
	cr_expect_eq(r.closer_rst, 1);
	cr_assert_eq(r.eof[0], 1);
	cr_assert_eq(r.eof[1], 1);
	reasm_free(rs);
}

Test(reasm, new_syn_on_same_tuple_starts_a_new_connection)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 100, 0, TCP_SYN, NULL, 0); /* retransmitted SYN: same connection */
	cr_assert_eq(r.opened, 1);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	handshake(rs, 90000, 7000);            /* another ISN: a new connection */
	cr_assert_eq(r.opened, 2);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_REUSED);
	cr_assert_eq(r.last_index, 1);
	feed(rs, 0, 90001, 7001, TCP_ACK, stream + 10, 10);
	cr_assert_eq(r.n[0], 20);
	cr_assert_arr_eq(r.out[0], stream, 20);
	reasm_free(rs);
}

Test(reasm, midstream_start_uses_the_first_sequence_seen)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	feed(rs, 1, 777777, 123, TCP_ACK, stream, 30);
	feed(rs, 1, 777807, 123, TCP_ACK, stream + 30, 30);
	cr_assert_eq(r.opened, 1);
	cr_assert_eq(r.n[1], 60);
	cr_assert_arr_eq(r.out[1], stream, 60);
	reasm_free(rs);
}

Test(reasm, flow_table_cap_evicts_the_idlest)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 2);

	fill();
	feed_port(rs, 0, 40001, 1, 0, TCP_ACK, stream, 5);
	feed_port(rs, 0, 40002, 1, 0, TCP_ACK, stream, 5);
	feed_port(rs, 0, 40001, 6, 0, TCP_ACK, stream, 5); /* 40001 is now the most recent */
	feed_port(rs, 0, 40003, 1, 0, TCP_ACK, stream, 5); /* evicts 40002 */
	cr_assert_eq(r.opened, 3);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_EVICTED);
	cr_assert_eq(reasm_stats(rs)->evicted, 1);
	reasm_free(rs);
}

Test(reasm, idle_flows_time_out)
{
	struct rec r;
	struct reasm_config c = { ports, 1, 1 << 20, 0, 5.0, 0, 0, NULL };
	struct reasm *rs;

	memset(&r, 0, sizeof r);
	rs = reasm_new(&c, &sink, &r);
	fill();
	g_frame = 0;
	feed_port(rs, 0, 40001, 1, 0, TCP_ACK, stream, 5); /* t = 1001 */
	g_frame = 100;                                      /* t = 1101: 100 s later */
	feed_port(rs, 0, 40002, 1, 0, TCP_ACK, stream, 5);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_IDLE);
	reasm_free(rs);
}

Test(reasm, many_flows_grow_the_table)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	for (uint16_t p = 1; p <= 3000; p++)
		feed_port(rs, 0, (uint16_t)(20000 + p), 1, 0, TCP_ACK, stream, 1);
	cr_assert_eq(r.opened, 3000);
	/* each is found again, not opened twice */
	for (uint16_t p = 1; p <= 3000; p++)
		feed_port(rs, 0, (uint16_t)(20000 + p), 2, 0, TCP_ACK, stream + 1, 1);
	cr_assert_eq(r.opened, 3000);
	cr_assert_eq(r.n[0], 6000);
	reasm_finish(rs);
	cr_assert_eq(r.closed, 3000);
	reasm_free(rs);
}

Test(reasm, snap_length_cut_is_a_gap_of_its_own_kind)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);
	struct cap_pkt pkt = { 0 };
	struct tcp_seg s = { 0 };

	fill();
	handshake(rs, 100, 5000);
	/* 100 bytes on the wire, 30 captured */
	pkt.frame = ++g_frame;
	pkt.ts_sec = 1000 + (int64_t)g_frame;
	s.pkt = &pkt;
	s.at.frame = pkt.frame;
	s.src.family = s.dst.family = 4;
	s.src.a[0] = s.dst.a[0] = 10;
	s.src.a[3] = 1;
	s.dst.a[3] = 2;
	s.sport = 40000;
	s.dport = 1883;
	s.seq = 101;
	s.ack = 5001;
	s.flags = TCP_ACK;
	s.payload = stream;
	s.paylen = 30;
	s.wirelen = 100;
	reasm_feed(rs, &s);
	cr_assert_eq(r.n[0], 30);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_cause[0], REASM_GAP_SNAPLEN);
	cr_assert_eq(r.gap_off[0][0], 30);
	cr_assert_eq(r.gap_len[0][0], 70);
	/* the next segment follows the wire length, not the captured one */
	feed(rs, 0, 201, 5001, TCP_ACK, stream + 100, 10);
	cr_assert_eq(r.n[0], 40);
	cr_assert_arr_eq(r.out[0] + 30, stream + 100, 10);
	cr_assert_eq(r.ngap[0], 1);
	reasm_free(rs);
}

Test(reasm, both_ports_broker_ports_one_connection)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	/* client port 1883 too: 10.0.0.1:1883 -> 10.0.0.2:1883 and back */
	feed_port(rs, 0, 1883, 100, 0, TCP_SYN, NULL, 0);
	feed_port(rs, 1, 1883, 5000, 101, TCP_SYN | TCP_ACK, NULL, 0);
	feed_port(rs, 0, 1883, 101, 5001, TCP_ACK, stream, 10);
	feed_port(rs, 1, 1883, 5001, 111, TCP_ACK, stream + 10, 10);
	cr_assert_eq(r.opened, 1);
	cr_assert_eq(r.n[0], 10);
	cr_assert_eq(r.n[1], 10);
	reasm_free(rs);
}

Test(reasm, ack_seen_before_the_data_it_acknowledges_is_not_a_loss)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 100);
	feed(rs, 0, 251, 5001, TCP_ACK, stream + 150, 50);  /* ahead of a hole */
	feed(rs, 1, 5001, 301, TCP_ACK, NULL, 0);           /* ACK before the data */
	feed(rs, 0, 201, 5001, TCP_ACK, stream + 100, 50);  /* the data, late */
	for (int i = 0; i < 20; i++)
		feed(rs, 1, 5001, 301, TCP_ACK, NULL, 0);
	cr_assert_eq(r.ngap[0], 0);
	cr_assert_eq(r.n[0], 200);
	cr_assert_arr_eq(r.out[0], stream, 200);
	reasm_free(rs);
}

Test(reasm, cut_at_every_offset_with_a_hole)
{
	fill();
	for (uint32_t a = 1; a < 150; a += 7) {
		for (uint32_t b = a + 1; b < 200; b += 11) {
			/* segments [0,a) [a,b) [b,300): the middle one is lost */
			struct rec r;
			struct reasm *rs = mk(&r, 1 << 20, 0);
			handshake(rs, 100, 5000);
			feed(rs, 0, 101, 5001, TCP_ACK, stream, a);
			feed(rs, 0, 101 + b, 5001, TCP_ACK, stream + b, 300 - b);
			reasm_finish(rs);
			cr_assert_eq(r.ngap[0], 1, "a %u b %u", a, b);
			cr_assert_eq(r.gap_off[0][0], a);
			cr_assert_eq(r.gap_len[0][0], b - a);
			cr_assert_eq(r.n[0], 300 - (b - a));
			cr_assert_arr_eq(r.out[0], stream, a);
			cr_assert_arr_eq(r.out[0] + a, stream + b, 300 - b);
			reasm_free(rs);
		}
	}
}

Test(reasm, data_after_the_fin_is_not_delivered)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 201, 5001, TCP_ACK, stream + 100, 100);     /* held, ahead of a hole */
	feed(rs, 0, 111, 5001, TCP_ACK | TCP_FIN, NULL, 0);     /* FIN before it */
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);            /* fills up to the FIN */
	reasm_finish(rs);
	cr_assert_eq(r.n[0], 10);
	cr_assert_arr_eq(r.out[0], stream, 10);
	reasm_free(rs);
}

/* --detect: connections on every port are followed; the SYN's sender is the client,
 * without a SYN the lower port is the broker's; a flow is found again either way round. */
static struct flowrec {
	uint16_t broker_port, client_port;
	int opened;
} g_fr;

static void *fr_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	(void)ctx, (void)at;
	g_fr.broker_port = f->broker_port;
	g_fr.client_port = f->client_port;
	g_fr.opened++;
	return &g_fr;
}

static int feed_any(struct reasm *rs, uint16_t sport, uint16_t dport, uint32_t seq,
		    uint8_t flags, const uint8_t *data, uint32_t n)
{
	struct cap_pkt pkt = { 0 };
	struct tcp_seg s = { 0 };
	struct tcp_addr a = { 4, { 10, 0, 0, 1 } }, b = { 4, { 10, 0, 0, 2 } };

	pkt.frame = ++g_frame;
	pkt.ts_sec = 1000;
	s.pkt = &pkt;
	s.at.frame = pkt.frame;
	s.src = sport < dport ? b : a;
	s.dst = sport < dport ? a : b;
	s.sport = sport;
	s.dport = dport;
	s.seq = seq;
	s.flags = flags;
	s.payload = data;
	s.paylen = s.wirelen = n;
	return reasm_feed(rs, &s);
}

Test(reasm, any_port_follows_every_connection)
{
	struct reasm_sink sk = { fr_open, NULL, NULL, NULL, NULL };
	struct reasm_config off = { ports, 1, 1 << 20, 0, 0, 0, 0, NULL };
	struct reasm_config on = { ports, 1, 1 << 20, 0, 0, 1, 0, NULL };
	struct reasm *rs = reasm_new(&off, &sk, NULL);

	memset(&g_fr, 0, sizeof g_fr);
	cr_assert_eq(feed_any(rs, 50000, 18830, 1, TCP_SYN, NULL, 0), 0);
	cr_assert_eq(g_fr.opened, 0);
	reasm_free(rs);

	rs = reasm_new(&on, &sk, NULL);
	/* a SYN to 60001 from 1000: the SYN's sender is the client, whatever the numbers */
	cr_assert_eq(feed_any(rs, 1000, 60001, 1, TCP_SYN, NULL, 0), 1);
	cr_assert_eq(g_fr.broker_port, 60001);
	cr_assert_eq(feed_any(rs, 60001, 1000, 9, TCP_SYN | TCP_ACK, NULL, 0), 1);
	cr_assert_eq(g_fr.opened, 1, "the SYN-ACK belongs to the same connection");
	/* no SYN: the lower port is the broker's, and the reply finds the same flow */
	cr_assert_eq(feed_any(rs, 50000, 18830, 1, TCP_ACK, (const uint8_t *)"ab", 2), 1);
	cr_assert_eq(g_fr.broker_port, 18830);
	cr_assert_eq(g_fr.client_port, 50000);
	cr_assert_eq(feed_any(rs, 18830, 50000, 7, TCP_ACK, (const uint8_t *)"cd", 2), 1);
	cr_assert_eq(g_fr.opened, 2);
	reasm_free(rs);
}

/* A flow its next stage gave up on (reasm_ignore): nothing delivered, nothing held, its end
 * still reported. */
static int ig_data, ig_close;

static void *ig_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	(void)ctx, (void)at;
	reasm_ignore(f);
	return &ig_data;
}

static void ig_on_data(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		       const struct frame_ref *at)
{
	(void)ctx, (void)f, (void)dir, (void)p, (void)n, (void)at;
	ig_data++;
}

static void ig_on_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	(void)ctx, (void)f, (void)at;
	cr_assert_eq(why, REASM_END_FIN);
	ig_close++;
}

Test(reasm, ignored_flow_holds_nothing)
{
	struct reasm_sink sk = { ig_open, ig_on_data, NULL, NULL, ig_on_close };
	struct reasm_config c = { ports, 1, 1 << 20, 0, 0, 0, 0, NULL };
	struct reasm *rs = reasm_new(&c, &sk, NULL);

	fill();
	ig_data = ig_close = 0;
	feed(rs, 0, 100, 0, TCP_SYN, NULL, 0);
	feed(rs, 1, 500, 101, TCP_SYN | TCP_ACK, NULL, 0);
	feed(rs, 0, 201, 501, TCP_ACK, stream, 100);      /* ahead of a hole */
	feed(rs, 0, 101, 501, TCP_ACK, stream, 50);
	cr_assert_eq(reasm_stats(rs)->held_max, 0);
	cr_assert_eq(ig_data, 0);
	feed(rs, 0, 301, 501, TCP_FIN | TCP_ACK, NULL, 0); /* bytes 151..200 never came */
	feed(rs, 1, 501, 302, TCP_FIN | TCP_ACK, NULL, 0);
	cr_assert_eq(ig_close, 1, "closed at the FINs, no hole waited for");
	reasm_free(rs);
}

/* ---- holes: waited for by bytes and time, not by segment count ------------------------ */

/* The segment that fills a hole arrives k segments late; meanwhile the peer acknowledges
 * everything (so the hole is "confirmed"), frames 10 ms apart. */
static void late_by(uint32_t k)
{
	static uint8_t big[4 * 256];
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 13 + 5);
	g_step_ns = 10000000;
	handshake(rs, 100, 5000);
	for (uint32_t i = 1; i <= k; i++) {
		feed(rs, 0, 101 + 4 * i, 5001, TCP_ACK, big + 4 * i, 4);
		feed(rs, 1, 5001, 101 + 4 * (i + 1), TCP_ACK, NULL, 0);
	}
	cr_assert_eq(r.n[0], 0);
	cr_assert_eq(r.ngap[0], 0, "late by %u", k);
	feed(rs, 0, 101, 5001, TCP_ACK, big, 4); /* the first segment, k segments late */
	cr_assert_eq(r.ngap[0], 0, "late by %u", k);
	cr_assert_eq(r.n[0], 4 * (k + 1));
	cr_assert_arr_eq(r.out[0], big, 4 * (k + 1));
	/* all of it belongs to the frame that filled the hole */
	cr_assert_eq(r.frames[0][r.ndeliv[0] - 1], g_frame);
	cr_assert_eq(reasm_oldest_held(rs), 0);
	reasm_free(rs);
}

Test(reasm, segment_40_segments_late_fills_its_hole) { late_by(40); }
Test(reasm, segment_200_segments_late_fills_its_hole) { late_by(200); }

Test(reasm, hole_is_given_up_when_max_held_is_exceeded)
{
	static uint8_t big[8192];
	struct rec r;
	struct reasm *rs = mk(&r, 4096, 0);
	const struct reasm_stats *st = reasm_stats(rs);
	uint32_t i;

	for (size_t j = 0; j < sizeof big; j++)
		big[j] = (uint8_t)(j * 7 + 1);
	g_step_ns = 1000; /* the reorder time stays out of it */
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, big, 100);
	/* hole [100, 300); then 100-byte segments from 300 on, until 4096 bytes are held */
	for (i = 0; r.ngap[0] == 0; i++) {
		cr_assert_lt(i, 40);
		feed(rs, 0, 101 + 300 + 100 * i, 5001, TCP_ACK, big + 300 + 100 * i, 100);
		if (r.ngap[0] == 0)
			cr_assert_leq(st->held_max, 4096);
	}
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_off[0][0], 100);
	cr_assert_eq(r.gap_len[0][0], 200);
	cr_assert_eq(r.gap_frame[0][0], g_frame, "given up in the frame that went over");
	/* overhead is counted: far fewer than 4096 payload bytes were held */
	cr_assert_lt(100 * i, 4096);
	cr_assert_gt(st->held_max, 4096);
	cr_assert_eq(r.n[0], 100 + 100 * i);
	cr_assert_arr_eq(r.out[0], big, 100);
	cr_assert_arr_eq(r.out[0] + 100, big + 300, 100 * i);
	cr_assert_eq(reasm_oldest_held(rs), 0);
	reasm_free(rs);
}

Test(reasm, max_held_gives_up_only_the_holes_it_must)
{
	struct rec r;
	struct reasm *rs = mk(&r, 700, 0);

	fill();
	g_step_ns = 1000;
	handshake(rs, 100, 5000);
	feed(rs, 0, 111, 5001, TCP_ACK, stream + 10, 10);   /* hole [0, 10) */
	feed(rs, 0, 131, 5001, TCP_ACK, stream + 30, 10);   /* hole [20, 30) */
	cr_assert_eq(r.ngap[0], 0);
	feed(rs, 0, 151, 5001, TCP_ACK, stream + 50, 300);  /* hole [40, 50); over 700 */
	cr_assert_geq(r.ngap[0], 1);
	cr_assert_eq(r.gap_off[0][0], 0);
	cr_assert_eq(r.gap_len[0][0], 10);
	/* given up from the first on, while over the bound */
	for (int g = 1; g < r.ngap[0]; g++)
		cr_assert_eq(r.gap_off[0][g], 20 * (uint64_t)g, "gap %d", g);
	cr_assert_leq(reasm_stats(rs)->held_max, 700 + 2000);
	reasm_finish(rs);
	cr_assert_eq(r.n[0], 320);
	reasm_free(rs);
}

Test(reasm, hole_is_given_up_when_the_reorder_time_passes)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0); /* reorder_time 10 s, frames 1 s apart */
	uint64_t held_frame;

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 50);
	feed(rs, 0, 201, 5001, TCP_ACK, stream + 100, 20); /* hole [50, 100) */
	held_frame = g_frame;
	for (int i = 0; i < 9; i++)                         /* 9 s: within the bound */
		feed(rs, 0, 221 + 20 * (uint32_t)i, 5001, TCP_ACK, stream + 120 + 20 * i, 20);
	cr_assert_eq(g_frame, held_frame + 9);
	feed(rs, 1, 5001, 101, TCP_ACK, NULL, 0);           /* 10 s: not more than the bound */
	cr_assert_eq(r.ngap[0], 0);
	cr_assert_eq(reasm_oldest_held(rs), held_frame);
	feed(rs, 1, 5001, 101, TCP_ACK, NULL, 0);           /* 11 s */
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_off[0][0], 50);
	cr_assert_eq(r.gap_len[0][0], 50);
	cr_assert_eq(r.gap_frame[0][0], g_frame);
	cr_assert_eq(r.n[0], 50 + 200);
	cr_assert_arr_eq(r.out[0] + 50, stream + 100, 200);
	/* each held segment's 20 bytes belong to the frame it came in (a segment may come
	 * in two deliveries, when it was held across two chunks) */
	for (int i = 1, at = 50; i < r.ndeliv[0]; at += (int)r.lens[0][i++])
		for (uint32_t k = 0; k < r.lens[0][i]; k++)
			cr_assert_eq(r.frames[0][i], held_frame + (uint64_t)(at + (int)k - 50) / 20,
				     "byte %u", at + k);
	cr_assert_eq(reasm_oldest_held(rs), 0);
	/* a segment that comes even later is a duplicate now */
	feed(rs, 0, 151, 5001, TCP_ACK, stream + 50, 50);
	cr_assert_eq(r.n[0], 250);
	reasm_free(rs);
}

Test(reasm, reorder_time_passes_for_a_quiet_connection_too)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	feed_port(rs, 0, 40001, 1001, 0, TCP_ACK, stream, 10);
	feed_port(rs, 0, 40001, 1021, 0, TCP_ACK, stream + 20, 10); /* hole [10, 20) */
	for (int i = 0; i < 12; i++)              /* only another connection's traffic */
		feed_port(rs, 0, 40002, 1 + 5 * (uint32_t)i, 0, TCP_ACK, stream, 5);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_off[0][0], 10);
	cr_assert_eq(r.gap_len[0][0], 10);
	cr_assert_eq(reasm_oldest_held(rs), 0);
	reasm_free(rs);
}

Test(reasm, no_time_bound_when_reorder_time_is_0)
{
	struct rec r;
	struct reasm_config c = { ports, 1, 1 << 20, 0, 0, 0, 0, NULL };
	struct reasm *rs;

	memset(&r, 0, sizeof r);
	rs = reasm_new(&c, &sink, &r);
	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 111, 5001, TCP_ACK, stream + 10, 10);
	g_frame += 100000;                                  /* a day later */
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	cr_assert_eq(r.ngap[0], 0);
	cr_assert_eq(r.n[0], 20);
	reasm_free(rs);
}

Test(reasm, acknowledged_hole_is_given_up_after_4_mib)
{
	static uint8_t big[1460];
	struct rec r;
	struct reasm *rs = mk(&r, 8u << 20, 0);
	uint32_t seq = 101 + 100, i;

	g_step_ns = 1000; /* 1 us apart: the time bound stays out of it */
	handshake(rs, 100, 5000);
	feed(rs, 0, seq, 5001, TCP_ACK, big, 1000);       /* hole [0, 100) */
	feed(rs, 1, 5001, seq + 1000, TCP_ACK, NULL, 0);  /* the broker had those bytes */
	seq += 1000;
	for (i = 0; r.ngap[0] == 0; i++) {
		cr_assert_lt(i, 5000);
		feed(rs, 0, seq, 5001, TCP_ACK, big, sizeof big);
		seq += sizeof big;
	}
	/* 4 MiB more came after the ACK, then the hole was given up */
	cr_assert_gt((uint64_t)i * sizeof big, 4u << 20);
	cr_assert_leq((uint64_t)(i - 1) * sizeof big, 4u << 20);
	cr_assert_eq(r.gap_off[0][0], 0);
	cr_assert_eq(r.gap_len[0][0], 100);
	reasm_free(rs);
}

Test(reasm, unacknowledged_hole_waits_past_a_mebibyte)
{
	static uint8_t big[1460];
	struct rec r;
	struct reasm *rs = mk(&r, 8u << 20, 0);
	uint32_t seq = 101 + 100;

	g_step_ns = 1000;
	handshake(rs, 100, 5000);
	for (int i = 0; i < 1000; i++) {                  /* 1.4 MB held */
		feed(rs, 0, seq, 5001, TCP_ACK, big, sizeof big);
		seq += sizeof big;
	}
	cr_assert_eq(r.ngap[0], 0);
	feed(rs, 0, 101, 5001, TCP_ACK, big, 100);
	cr_assert_eq(r.ngap[0], 0);
	cr_assert_eq(r.n[0], 100 + 1000 * sizeof big);
	reasm_free(rs);
}

Test(reasm, acknowledged_fin_ends_the_wait)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 5001, TCP_ACK | TCP_FIN, stream + 20, 10); /* hole [10, 20), FIN */
	feed(rs, 1, 5001, 131, TCP_ACK, NULL, 0);   /* everything before the FIN */
	cr_assert_eq(r.ngap[0], 0, "the FIN itself is not acknowledged yet");
	feed(rs, 1, 5001, 132, TCP_ACK | TCP_FIN, NULL, 0); /* and the FIN */
	cr_assert_eq(r.ngap[0], 0, "bytes wait behind the hole: a late segment may still come");
	reasm_finish(rs);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_off[0][0], 10);
	cr_assert_eq(r.gap_len[0][0], 10);
	cr_assert_eq(r.eof[0], 1);
	cr_assert_eq(r.eof_why[0], REASM_END_FIN);
	cr_assert_eq(r.n[0], 20);
	reasm_free(rs);
}

Test(reasm, no_gap_is_reported_past_the_fin)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 201, 5001, TCP_ACK, stream + 100, 100);     /* past the FIN, held */
	feed(rs, 0, 111, 5001, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	reasm_finish(rs);
	cr_assert_eq(r.n[0], 10);
	cr_assert_eq(r.ngap[0], 0);
	reasm_free(rs);
}

/* ---- overlaps: each byte once, the first copy to arrive -------------------------------- */

static uint64_t g_rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)(g_rng % n);
}

Test(reasm, overlapping_retransmissions_across_held_segments)
{
	fill();
	for (int round = 0; round < 300; round++) {
		struct rec r;
		struct reasm *rs = mk(&r, 1 << 20, 0);
		uint32_t from[40], len[40], n = 0, covered = 10, nseg = 5 + rnd(35);
		uint64_t fed = 0;

		g_step_ns = 1000;
		handshake(rs, 0xffffff00u, 5000); /* sequence numbers wrap too */
		/* segments of random extents in random order, all behind the hole [0, 10) ... */
		for (uint32_t i = 0; i < nseg; i++) {
			from[i] = 10 + rnd(900);
			len[i] = 1 + rnd(90);
			feed(rs, 0, 0xffffff01u + from[i], 5001, TCP_ACK, stream + from[i], len[i]);
			fed += len[i];
		}
		cr_assert_eq(r.n[0], 0);
		/* ... which [0, 10) fills at last, and a last segment covering what is not yet
		 * covered up to 1000, so that every byte came */
		feed(rs, 0, 0xffffff01u, 5001, TCP_ACK, stream, 10);
		for (uint32_t x = 10; x < 1000; x++) {
			int in = 0;
			for (uint32_t i = 0; i < nseg && !in; i++)
				in = x >= from[i] && x < from[i] + len[i];
			covered += in;
		}
		n = (uint32_t)r.n[0];
		feed(rs, 0, 0xffffff01u + 10, 5001, TCP_ACK, stream + 10, 990);
		cr_assert_eq(r.n[0], 1000, "round %d", round);
		cr_assert_arr_eq(r.out[0], stream, 1000, "round %d", round);
		cr_assert_eq(r.ngap[0], 0);
		cr_assert_leq(n, covered);
		/* every byte fed but one copy was a duplicate */
		cr_assert_eq(reasm_stats(rs)->dup_bytes, fed + 10 + 990 - 1000, "round %d", round);
		cr_assert_eq(reasm_oldest_held(rs), 0);
		reasm_free(rs);
	}
}

Test(reasm, first_copy_to_arrive_wins)
{
	static const uint8_t a[10] = "AAAAAAAAAA", b[40] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	static const uint8_t c[20] = "CCCCCCCCCCCCCCCCCCCC";
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	handshake(rs, 100, 5000);
	feed(rs, 0, 101 + 10, 5001, TCP_ACK, a, 10);   /* held [10, 20) A */
	feed(rs, 0, 101 + 30, 5001, TCP_ACK, a, 5);    /* held [30, 35) A */
	feed(rs, 0, 101 + 5, 5001, TCP_ACK, b, 35);    /* [5, 40) B: fills around them */
	feed(rs, 0, 101, 5001, TCP_ACK, c, 20);        /* [0, 20) C, in order */
	cr_assert_eq(r.n[0], 40);
	cr_assert_arr_eq(r.out[0], "CCCCCBBBBBAAAAAAAAAABBBBBBBBBBAAAAABBBBB", 40);
	reasm_free(rs);
}

Test(reasm, in_order_segment_overlapping_held_bytes_keeps_the_held_copy)
{
	static const uint8_t a[10] = "AAAAAAAAAA", b[30] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	handshake(rs, 100, 5000);
	feed(rs, 0, 111, 5001, TCP_ACK, a, 10);         /* held [10, 20) */
	feed(rs, 0, 101, 5001, TCP_ACK, b, 30);         /* [0, 30) in order */
	cr_assert_eq(r.n[0], 30);
	cr_assert_arr_eq(r.out[0], "BBBBBBBBBBAAAAAAAAAABBBBBBBBBB", 30);
	cr_assert_eq(reasm_stats(rs)->dup_bytes, 10);
	reasm_free(rs);
}

Test(reasm, one_byte_segments_in_reverse_order)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	g_step_ns = 1000;
	for (int i = 999; i >= 1; i--)
		feed(rs, 0, 101 + (uint32_t)i, 5001, TCP_ACK, stream + i, 1);
	cr_assert_eq(r.n[0], 0);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 1);
	cr_assert_eq(r.n[0], 1000);
	cr_assert_arr_eq(r.out[0], stream, 1000);
	cr_assert_eq(r.ngap[0], 0);
	/* one block grown at its front, not 999 allocations: about 40 bytes a segment */
	cr_assert_lt(reasm_stats(rs)->held_max, 999 * 48);
	reasm_free(rs);
}

Test(reasm, accounting_counts_the_overhead)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);
	const struct reasm_stats *st = reasm_stats(rs);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 201, 5001, TCP_ACK, stream, 60);
	/* 60 bytes held cost more: a record header, the chunk, the block, the direction's state */
	cr_assert_gt(st->held_max, 60 + 32 + 64);
	g_step_ns = 1000;
	for (uint32_t i = 1; i < 1000; i++)         /* one-byte segments, in order behind it */
		feed(rs, 0, 261 + i, 5001, TCP_ACK, stream + 60, 1);
	/* each costs its 32-byte record and its byte padded to 8, but not a malloc of its own */
	cr_assert_gt(st->held_max, 999 * 40);
	cr_assert_lt(st->held_max, 999 * 40 * 2 + 4096);
	reasm_free(rs);
}

Test(reasm, oldest_held_is_the_oldest_frame_held_anywhere)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);
	uint64_t f1, f2;

	fill();
	cr_assert_eq(reasm_oldest_held(rs), 0);
	feed_port(rs, 0, 40001, 1001, 0, TCP_ACK, stream, 10);
	feed_port(rs, 0, 40002, 1001, 0, TCP_ACK, stream, 10);
	feed_port(rs, 0, 40002, 1031, 0, TCP_ACK, stream + 30, 10); /* 40002 holds */
	f2 = g_frame;
	cr_assert_eq(reasm_oldest_held(rs), f2);
	feed_port(rs, 0, 40001, 1041, 0, TCP_ACK, stream + 40, 10); /* 40001 holds */
	f1 = g_frame;
	feed_port(rs, 0, 40002, 1021, 0, TCP_ACK, stream + 20, 10); /* joins 40002's block */
	cr_assert_eq(reasm_oldest_held(rs), f2);
	feed_port(rs, 0, 40002, 1011, 0, TCP_ACK, stream + 10, 10); /* fills 40002's hole */
	cr_assert_eq(reasm_oldest_held(rs), f1);
	feed_port(rs, 0, 40001, 1011, 0, TCP_ACK, stream + 10, 30);
	cr_assert_eq(reasm_oldest_held(rs), 0);
	reasm_free(rs);
}

Test(reasm, acknowledged_fin_after_a_hole_with_nothing_held_behind_it)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 5001, TCP_ACK | TCP_FIN, NULL, 0);   /* [10, 20) never seen */
	cr_assert_eq(r.eof[0], 0);
	feed(rs, 1, 5001, 122, TCP_ACK | TCP_FIN, NULL, 0);   /* the broker had it all */
	cr_assert_eq(r.ngap[0], 0, "the capture may still show the segment: wait");
	g_frame += 11;                                        /* the reorder time (10 s) */
	feed_port(rs, 0, 40001, 700, 0, TCP_SYN, NULL, 0);    /* another connection's segment */
	cr_assert_eq(r.ngap[0], 1, "given up by the clock, the connection quiet");
	cr_assert_eq(r.gap_off[0][0], 10);
	cr_assert_eq(r.gap_len[0][0], 10);
	cr_assert_eq(r.eof[0], 1);
	cr_assert_eq(r.eof_why[0], REASM_END_FIN);
	reasm_free(rs);
}

Test(reasm, the_last_segment_shown_after_the_fins_still_fills_its_hole)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 5001, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 1, 5001, 122, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 0, 111, 5002, TCP_ACK, stream + 10, 10);    /* late, from another queue */
	cr_assert_eq(r.ngap[0], 0);
	cr_assert_eq(r.n[0], 20);
	cr_assert_eq(memcmp(r.out[0], stream, 20), 0);
	cr_assert_eq(r.eof[0], 1);
	cr_assert_eq(r.eof_why[0], REASM_END_FIN);
	reasm_free(rs);
}

Test(reasm, a_copy_of_a_segment_after_the_close_is_a_duplicate_not_a_new_connection)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 111, 5001, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 1, 5001, 112, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 0, 112, 5002, TCP_ACK, NULL, 0);
	cr_assert_eq(r.closed, 1);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);  /* the data again, after the close */
	feed(rs, 0, 105, 5001, TCP_ACK, stream + 4, 6);
	cr_assert_eq(r.opened, 1, "no second connection made of a repeat");
	cr_assert_eq(r.n[0], 10);
	feed(rs, 0, 900, 5001, TCP_ACK, stream, 10);  /* bytes it never had: a new one */
	cr_assert_eq(r.opened, 2);
	reasm_finish(rs);
	reasm_free(rs);
}

Test(reasm, a_segment_shown_after_the_rst_fills_its_hole)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 5001, TCP_ACK, stream + 20, 10);   /* held: 111..121 missing */
	feed(rs, 0, 131, 0, TCP_RST, NULL, 0);
	cr_assert_eq(r.closed, 0, "bytes are missing: it waits for them");
	feed(rs, 0, 111, 5001, TCP_ACK, stream + 10, 10);   /* late, after the RST */
	cr_assert_eq(r.opened, 1, "not a new connection");
	cr_assert_eq(r.ngap[0], 0);
	cr_assert_eq(r.n[0], 30);
	cr_assert_eq(memcmp(r.out[0], stream, 30), 0);
	cr_assert_eq(r.frames[0][r.ndeliv[0] - 1], g_frame, "completed in the frame that filled it");
	cr_assert_eq(r.closed, 1, "nothing missing now: closed");
	cr_assert_eq(r.close_why[0], REASM_END_RST);
	reasm_free(rs);
}

Test(reasm, the_rst_names_bytes_missing_before_it)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 0, TCP_RST, NULL, 0);  /* 111..121 not seen, nothing held */
	cr_assert_eq(r.closed, 0);
	feed(rs, 0, 111, 5001, TCP_ACK, stream + 10, 10);
	cr_assert_eq(r.n[0], 20);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.opened, 1);
	reasm_free(rs);
}

Test(reasm, a_wait_after_the_rst_ends_with_the_reorder_time)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 5001, TCP_ACK, stream + 20, 10);
	feed(rs, 0, 131, 0, TCP_RST, NULL, 0);
	for (int i = 0; i < 12 && !r.closed; i++)  /* 1 s a frame, on another connection */
		feed_port(rs, 0, 41000, 7000, 0, TCP_ACK, NULL, 0);
	cr_assert_eq(r.closed, 1, "given up after the reorder time");
	cr_assert_eq(r.close_why[0], REASM_END_RST);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.gap_len[0][0], 10);
	cr_assert_eq(r.n[0], 20, "what was held is delivered");
	reasm_finish(rs);
	reasm_free(rs);
}

Test(reasm, other_data_after_the_rst_ends_the_wait_and_starts_a_new_connection)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 121, 5001, TCP_ACK, stream + 20, 10);
	feed(rs, 0, 131, 0, TCP_RST, NULL, 0);
	feed(rs, 0, 90000, 1, TCP_ACK, stream, 10);  /* none of its bytes */
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.ngap[0], 1);
	cr_assert_eq(r.opened, 2);
	cr_assert_eq(r.follows, 0, "nothing ties it to the closed one");
	reasm_finish(rs);
	reasm_free(rs);
}

Test(reasm, a_copy_after_the_rst_is_a_duplicate)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 0, 111, 0, TCP_RST, NULL, 0);
	cr_assert_eq(r.closed, 1, "nothing missing: closed at once");
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	cr_assert_eq(r.opened, 1, "a repeat, not a new connection");
	reasm_free(rs);
}

Test(reasm, a_peer_segment_after_a_bare_rst_follows_the_connection)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 1, 5001, 111, TCP_ACK, stream, 10);
	feed(rs, 0, 111, 0, TCP_RST, NULL, 0);       /* says nothing of the broker's end */
	cr_assert_eq(r.closed, 1);
	feed(rs, 1, 5011, 111, TCP_ACK, stream + 10, 10); /* sent before the RST reached it */
	cr_assert_eq(r.opened, 2);
	cr_assert_eq(r.follows, 1, "it goes on with connection 0");
	reasm_finish(rs);
	reasm_free(rs);
	/* an ACK outside the client's sequence space ties nothing */
	struct rec r2;
	rs = mk(&r2, 1 << 20, 0);
	handshake(rs, 100, 5000);
	feed(rs, 0, 101, 5001, TCP_ACK, stream, 10);
	feed(rs, 1, 5001, 111, TCP_ACK, stream, 10);
	feed(rs, 0, 111, 0, TCP_RST, NULL, 0);
	feed(rs, 1, 5011, 9999, TCP_ACK, stream + 10, 10);
	cr_assert_eq(r2.opened, 2);
	cr_assert_eq(r2.follows, 0);
	reasm_finish(rs);
	reasm_free(rs);
}

Test(reasm, a_fin_before_any_byte_does_not_fix_where_the_stream_starts)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	/* no SYN: the capture starts inside the connection */
	feed(rs, 0, 1, 5, TCP_ACK, stream, 10);
	feed(rs, 1, 9, 11, TCP_ACK | TCP_FIN, NULL, 0);   /* the broker's FIN, no byte yet */
	cr_assert_eq(r.eof[1], 0, "its bytes before the FIN may still come");
	feed(rs, 1, 5, 11, TCP_ACK, stream, 4);          /* they do (swapped in the capture) */
	cr_assert_eq(r.n[1], 4);
	cr_assert_eq(r.eof[1], 1, "then the FIN is reached");
	feed(rs, 0, 11, 10, TCP_ACK | TCP_FIN, NULL, 0);
	cr_assert_eq(r.closed, 1);
	cr_assert_eq(r.close_why[0], REASM_END_FIN);
	/* a direction that shows only its FIN ends with its peer */
	struct rec r2;
	reasm_free(rs);
	rs = mk(&r2, 1 << 20, 0);
	feed(rs, 0, 1, 5, TCP_ACK, stream, 10);
	feed(rs, 1, 9, 11, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 0, 11, 10, TCP_ACK | TCP_FIN, NULL, 0);
	cr_assert_eq(r2.closed, 1);
	cr_assert_eq(r2.close_why[0], REASM_END_FIN);
	reasm_free(rs);
}

Test(reasm, a_resend_reaching_before_the_first_byte_seen_after_the_close_is_a_duplicate)
{
	struct rec r;
	struct reasm *rs = mk(&r, 1 << 20, 0);

	fill();
	feed(rs, 1, 1001, 1, TCP_ACK, stream + 4, 10);     /* no SYN: starts at 1001 */
	feed(rs, 0, 1, 1011, TCP_ACK, stream, 10);
	feed(rs, 1, 1011, 11, TCP_ACK | TCP_FIN, NULL, 0);
	feed(rs, 0, 11, 1012, TCP_ACK | TCP_FIN, NULL, 0);
	cr_assert_eq(r.closed, 1);
	feed(rs, 1, 997, 11, TCP_ACK, stream, 14);           /* 4 bytes before it, then a repeat */
	cr_assert_eq(r.opened, 1, "a repeat, not a connection of its own");
	feed(rs, 1, 990, 11, TCP_ACK, stream, 7);            /* only bytes before the start */
	cr_assert_eq(r.opened, 2, "bytes it never delivered: a connection that follows it");
	cr_assert_eq(r.follows, 1);
	reasm_finish(rs);
	reasm_free(rs);
}
