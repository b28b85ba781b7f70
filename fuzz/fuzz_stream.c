/* libFuzzer target: TCP reassembly and MQTT framing over a stream cut, reordered,
 * duplicated and holed as the input says.
 *
 * Input: a 2-byte-per-step script, then the stream. Each step is (len, how): len bytes
 * of the stream go in one segment; how picks in order / held back / repeated / lost /
 * snap-cut, and the direction. */
#include "mqttdump/framer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void on_msg(void *ctx, const struct mqtt_record *rec)
{
	char info[64];
	volatile uint8_t sum = 0;
	(void)ctx;
	mqtt_info(&rec->msg, info, sizeof info);
	/* every byte the record claims to have must be readable */
	for (uint32_t i = 0; i < rec->have; i++)
		sum ^= rec->raw[i];
	(void)sum;
}

static void on_ev(void *ctx, const struct framer_event *ev)
{
	(void)ctx;
	(void)ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[] = { 1883 };
	struct framer_config fc = { 4096, NULL };
	struct framer_sink fs = { on_msg, on_ev };
	struct reasm_config rc = { ports, 1, 2048, 4, 0, 0, 10, NULL };
	struct framer *fr;
	struct reasm *rs;
	size_t nsteps, off;
	uint32_t seq[2] = { 1000, 50000 };
	struct { uint32_t seq; uint32_t len; uint32_t off; int dir; } held[8];
	int nheld = 0;
	uint64_t frame = 0;

	if (size < 2)
		return 0;
	nsteps = data[0] % 32;
	if (1 + 2 * nsteps > size)
		return 0;
	off = 1 + 2 * nsteps;
	fr = framer_new(&fc, &fs, NULL);
	rs = reasm_new(&rc, framer_reasm_sink(), fr);
	for (size_t i = 0; i < nsteps + 1 && off < size; i++) {
		uint32_t len = i < nsteps ? data[1 + 2 * i] : (uint32_t)(size - off);
		uint8_t how = i < nsteps ? data[2 + 2 * i] : 0;
		int dir = how & 1;
		struct cap_pkt pkt = { 0 };
		struct tcp_seg s = { 0 };

		if (len > size - off)
			len = (uint32_t)(size - off);
		pkt.frame = ++frame;
		pkt.ts_sec = (int64_t)frame;
		s.pkt = &pkt;
		s.at.frame = frame;
		s.src.family = s.dst.family = 4;
		s.src.a[3] = (uint8_t)(dir ? 2 : 1);
		s.dst.a[3] = (uint8_t)(dir ? 1 : 2);
		s.sport = dir ? 1883 : 40000;
		s.dport = dir ? 40000 : 1883;
		s.flags = TCP_ACK | ((how & 0x40) ? TCP_FIN : 0) | ((how & 0x80) && (how & 0x40) ? TCP_RST : 0);
		s.ack = seq[!dir];
		s.seq = seq[dir];
		s.payload = data + off;
		s.paylen = s.wirelen = len;
		switch ((how >> 1) & 7) {
		case 1: /* held back: sent after the next one */
			if (nheld < 8) {
				held[nheld].seq = seq[dir];
				held[nheld].len = len;
				held[nheld].off = (uint32_t)off;
				held[nheld].dir = dir;
				nheld++;
				break;
			}
			/* fall through */
		case 0:
			reasm_feed(rs, &s);
			break;
		case 2: /* repeated */
			reasm_feed(rs, &s);
			reasm_feed(rs, &s);
			break;
		case 3: /* lost */
			break;
		case 4: /* snap length cut */
			s.paylen = len / 2;
			reasm_feed(rs, &s);
			break;
		default:
			reasm_feed(rs, &s);
			if (nheld) { /* release a held one */
				nheld--;
				s.seq = held[nheld].seq;
				s.payload = data + held[nheld].off;
				s.paylen = s.wirelen = held[nheld].len;
				reasm_feed(rs, &s);
			}
			break;
		}
		seq[dir] += len;
		off += len;
	}
	reasm_finish(rs);
	reasm_free(rs);
	framer_free(fr);
	return 0;
}
