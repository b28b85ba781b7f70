/* Unit tests for the memory budget: the accounting (budget.c), and what reassembly and the
 * framer charge to it and give up when asked (reasm_evict_held, framer_evict). */
#include "mqttdump/budget.h"
#include "mqttdump/framer.h"
#include "mqttdump/reasm.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

Test(budget, charge_release_high_water)
{
	struct budget b;

	budget_init(&b, 1000);
	cr_assert(!budget_over(&b));
	budget_charge(&b, BUDGET_REASM, 600);
	budget_charge(&b, BUDGET_FRAMER, 300);
	cr_assert_eq(b.used, 900);
	cr_assert(!budget_over(&b));
	budget_charge(&b, BUDGET_FRAMER, 101);
	cr_assert(budget_over(&b));
	cr_assert_eq(b.high, 1001);
	budget_release(&b, BUDGET_REASM, 600);
	cr_assert_eq(b.used, 401);
	cr_assert_eq(b.kind_used[BUDGET_FRAMER], 401);
	cr_assert_eq(b.kind_high[BUDGET_REASM], 600);
	cr_assert_eq(b.high, 1001, "the high-water mark stays");
	cr_assert(!budget_over(&b));
}

Test(budget, release_is_clamped_per_kind)
{
	struct budget b;

	budget_init(&b, 0);
	budget_charge(&b, BUDGET_HOLD, 10);
	budget_charge(&b, BUDGET_CONN, 50);
	budget_release(&b, BUDGET_HOLD, 25); /* more than was charged to that kind */
	cr_assert_eq(b.kind_used[BUDGET_HOLD], 0);
	cr_assert_eq(b.used, 50, "another kind's bytes are not taken");
	cr_assert(!budget_over(&b), "no limit: never over");
}

Test(budget, resize_and_evictions)
{
	struct budget b;

	budget_init(&b, 100);
	budget_resize(&b, BUDGET_TRANSPORT, 0, 64);
	budget_resize(&b, BUDGET_TRANSPORT, 64, 16);
	cr_assert_eq(b.used, 16);
	cr_assert_eq(b.kind_high[BUDGET_TRANSPORT], 64);
	budget_evicted(&b, BUDGET_REASM, 1460);
	budget_evicted(&b, BUDGET_FRAMER, 4000);
	budget_evicted(&b, BUDGET_FRAMER, 1);
	cr_assert_eq(budget_evictions(&b), 3);
	cr_assert_eq(budget_evicted_bytes(&b), 5461);
	cr_assert_eq(b.evictions[BUDGET_FRAMER], 2);
	cr_assert_str_eq(budget_kind_name(BUDGET_REASM), "reassembly");
}

Test(budget, null_budget_counts_nothing)
{
	budget_charge(NULL, BUDGET_REASM, 5);
	budget_release(NULL, BUDGET_REASM, 5);
	budget_evicted(NULL, BUDGET_REASM, 5);
	cr_assert(!budget_over(NULL));
	cr_assert_eq(budget_evictions(NULL), 0);
}

/* ---- reassembly and the framer, charged and evicted ---------------------------------- */

struct got {
	int gaps, gap_cause, memory, messages;
	uint64_t gap_len, memory_len, memory_size, delivered;
};

static struct got g;
static uint64_t g_frame;

static void feed(struct reasm *rs, int dir, uint32_t seq, uint8_t flags, const uint8_t *data,
		 uint32_t n)
{
	struct cap_pkt pkt = { 0 };
	struct tcp_seg s = { 0 };
	struct tcp_addr c = { 4, { 10, 0, 0, 1 } }, b = { 4, { 10, 0, 0, 2 } };

	pkt.frame = ++g_frame;
	pkt.ts_sec = 1000;
	pkt.len = pkt.caplen = 54 + n;
	s.pkt = &pkt;
	s.at.frame = pkt.frame;
	s.at.ts_sec = pkt.ts_sec;
	s.at.len = pkt.len;
	s.src = dir ? b : c;
	s.dst = dir ? c : b;
	s.sport = dir ? 1883 : 40000;
	s.dport = dir ? 40000 : 1883;
	s.seq = seq;
	s.flags = flags;
	s.payload = data;
	s.paylen = s.wirelen = n;
	reasm_feed(rs, &s);
}

static void on_message(void *ctx, const struct mqtt_record *rec)
{
	(void)ctx;
	(void)rec;
	g.messages++;
}

static void on_event(void *ctx, const struct framer_event *ev)
{
	(void)ctx;
	if (ev->kind == FRAMER_EV_GAP) {
		g.gaps++;
		g.gap_cause = ev->cause;
		g.gap_len += ev->len;
	} else if (ev->kind == FRAMER_EV_MEMORY) {
		g.memory++;
		g.memory_len += ev->len;
		g.memory_size = ev->size;
	}
}

static const uint16_t ports[] = { 1883 };

static struct reasm *pipeline(struct budget *b, struct framer **fr)
{
	struct framer_config fc = { 16u << 20, b };
	struct framer_sink fs = { on_message, on_event };
	struct reasm_config rc = { ports, 1, 1u << 30, 100, 0, 0, 0, b };

	memset(&g, 0, sizeof g);
	g_frame = 0;
	*fr = framer_new(&fc, &fs, NULL);
	return reasm_new(&rc, framer_reasm_sink(), *fr);
}

static void open_conn(struct reasm *rs)
{
	feed(rs, 0, 999, TCP_SYN, NULL, 0);
	feed(rs, 1, 4999, TCP_SYN | TCP_ACK, NULL, 0);
}

Test(budget, reasm_charges_what_it_holds_and_gives_up_the_oldest)
{
	static uint8_t seg[1400];
	struct budget b;
	struct framer *fr;
	struct reasm *rs;
	const struct frame_ref at = { 99, 1000, 0, 60 };

	budget_init(&b, 1u << 20);
	rs = pipeline(&b, &fr);
	open_conn(rs);
	size_t conn = b.used;
	cr_assert_gt(b.kind_used[BUDGET_CONN], 0, "each connection's state is charged");
	/* 10 segments behind a hole of 1400 bytes at the start */
	for (int i = 1; i <= 10; i++)
		feed(rs, 0, 1000 + 1400u * (uint32_t)i, TCP_ACK, seg, sizeof seg);
	cr_assert_geq(b.kind_used[BUDGET_REASM], 14000, "at least the bytes held");
	cr_assert_lt(b.kind_used[BUDGET_REASM], 2 * 14000, "and their overhead, no more (%zu)",
		     b.kind_used[BUDGET_REASM]);
	cr_assert_eq(b.kind_used[BUDGET_REASM], reasm_stats(rs)->held_max);
	cr_assert_eq(reasm_evict_held(rs, &at), 1);
	cr_assert_eq(g.gaps, 1);
	cr_assert_eq(g.gap_cause, REASM_GAP_BUDGET);
	cr_assert_eq(g.gap_len, 1400);
	cr_assert_eq(b.kind_used[BUDGET_REASM], 0, "what was held behind it went on");
	cr_assert_eq(reasm_stats(rs)->budget_gaps, 1);
	cr_assert_eq(b.evictions[BUDGET_REASM], 1);
	cr_assert_eq(reasm_evict_held(rs, &at), 0, "nothing held: nothing to give up");
	/* the 14000 bytes delivered are a partial packet's? no: they are garbage to a framer
	 * that trusts its framing; whatever it kept is charged to it */
	(void)conn;
	reasm_free(rs);
	framer_free(fr);
	cr_assert_eq(b.used, 0, "everything charged is released");
}

Test(budget, framer_partial_packet_charged_then_dropped_and_reported)
{
	static uint8_t pub[70000];
	struct budget b;
	struct framer *fr;
	struct reasm *rs;
	const struct frame_ref at = { 99, 1000, 0, 60 };
	uint32_t seq = 1000;

	budget_init(&b, 1u << 20);
	rs = pipeline(&b, &fr);
	open_conn(rs);
	/* a PUBLISH that claims 1 MiB (remaining length 1048576 + topic), 70000 bytes sent */
	pub[0] = 0x30;
	pub[1] = 0x80, pub[2] = 0x80, pub[3] = 0x40; /* 1048576 */
	pub[4] = 0, pub[5] = 1, pub[6] = 't';
	for (uint32_t o = 0; o < sizeof pub; o += 1400) {
		uint32_t n = sizeof pub - o < 1400 ? sizeof pub - o : 1400;
		feed(rs, 0, seq, TCP_ACK, pub + o, n);
		seq += n;
	}
	cr_assert_geq(b.kind_used[BUDGET_FRAMER], sizeof pub, "the partial packet's buffer");
	cr_assert_eq(framer_evict(fr, &at), 1);
	cr_assert_eq(g.memory, 1);
	cr_assert_eq(g.memory_len, sizeof pub, "the bytes held are said");
	cr_assert_eq(g.memory_size, 1048580, "and the packet's size");
	cr_assert_eq(b.kind_used[BUDGET_FRAMER], 0);
	cr_assert_eq(framer_stats(fr)->budget_drops, 1);
	/* the rest of it is counted away; the packet after it is read */
	static uint8_t rest[1400];
	uint64_t left = 1048580 - sizeof pub;
	while (left) {
		uint32_t n = left < sizeof rest ? (uint32_t)left : (uint32_t)sizeof rest;
		feed(rs, 0, seq, TCP_ACK, rest, n);
		seq += n;
		left -= n;
	}
	cr_assert_eq(b.kind_used[BUDGET_FRAMER], 0, "skipped, not buffered");
	const uint8_t ping[] = { 0xc0, 0x00 };
	feed(rs, 0, seq, TCP_ACK, ping, 2);
	cr_assert_eq(g.messages, 1, "framing goes on after the dropped packet");
	reasm_free(rs);
	framer_free(fr);
	cr_assert_eq(b.used, 0);
}

Test(budget, framer_buffer_released_after_a_large_packet)
{
	static uint8_t pub[300000];
	struct budget b;
	struct framer *fr;
	struct reasm *rs;
	uint32_t seq = 1000, rl = sizeof pub - 4;

	budget_init(&b, 0);
	rs = pipeline(&b, &fr);
	open_conn(rs);
	/* a CONNECT first: the version known, the PUBLISH is not held to infer it */
	const uint8_t connect[] = { 0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 0 };
	feed(rs, 0, seq, TCP_ACK, connect, sizeof connect);
	seq += sizeof connect;
	pub[0] = 0x30;
	pub[1] = (uint8_t)(0x80 | (rl & 0x7f));
	pub[2] = (uint8_t)(0x80 | ((rl >> 7) & 0x7f));
	pub[3] = (uint8_t)(rl >> 14);
	pub[4] = 0, pub[5] = 1, pub[6] = 't';
	for (uint32_t o = 0; o < sizeof pub; o += 1400) {
		uint32_t n = sizeof pub - o < 1400 ? sizeof pub - o : 1400;
		feed(rs, 0, seq, TCP_ACK, pub + o, n);
		seq += n;
	}
	cr_assert_eq(g.messages, 2, "%d messages, %d gaps, %d memory", g.messages, g.gaps, g.memory);
	cr_assert_geq(b.kind_high[BUDGET_FRAMER], sizeof pub);
	cr_assert_lt(b.kind_used[BUDGET_FRAMER], 65536, "the room of the large packet is freed");
	reasm_free(rs);
	framer_free(fr);
	cr_assert_eq(b.used, 0);
}
