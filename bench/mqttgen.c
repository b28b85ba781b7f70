/* \summary: deterministic generator of large MQTT captures, for benchmarks and memory tests
 *
 * usage: mqttgen [-n PACKETS] [-m MESSAGES] [-c CONNECTIONS] [-s SEED] [--hold|--dense] -o FILE
 *
 * Writes a microsecond pcap (Ethernet, IPv4) of CONNECTIONS concurrent MQTT clients
 * (3.1.1 and 5.0 mixed) talking to a broker on 10.0.0.1:1883, about PACKETS packets in all:
 * handshake, CONNECT/CONNACK, SUBSCRIBE/SUBACK, then PUBLISH QoS 0 and 1 (payloads of
 * 20-2,000 bytes, some over several segments, some segments holding several messages),
 * PUBACKs, pings, and at the end DISCONNECT and FIN. With --hold, the connections stay open
 * after their CONNACK (for a table of many concurrent connections). With --dense (300
 * connections unless -c says otherwise), the capture is message-dense instead: one small
 * message per TCP segment (PUBLISH QoS 0 and 1 of 8-64 payload bytes, 30-100 bytes in all,
 * both ways, with their PUBACKs; a few pings), the acknowledgement riding on the reply where
 * there is one and a pure ACK every second unanswered segment otherwise (delayed ACK), so
 * about one MQTT message a packet. -m stops at about MESSAGES messages rather than at
 * PACKETS packets. The same arguments give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSS 1448

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

struct conn {
	uint32_t cseq, bseq;   /* next sequence numbers, client and broker */
	uint16_t cport;
	uint32_t caddr;
	uint16_t next_id;
	uint8_t v5;
	uint8_t phase;         /* 0 new, 1 connected, 2 subscribed */
	uint8_t c_owe, b_owe;  /* --dense: segments the client, the broker has not acknowledged */
};

static FILE *out;
static uint64_t packets, messages, ts_usec = 1700000000ull * 1000000;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One frame: client -> broker when up, with TCP flags and payload. */
static void frame(struct conn *c, int up, uint8_t flags, const uint8_t *data, uint32_t n)
{
	static uint8_t f[14 + 20 + 20 + 65536];
	uint32_t rec[4];
	uint32_t len = 54 + n;
	uint32_t broker = 0x0a000001;

	memset(f, 0, 54);
	memcpy(f, up ? "\x02\x00\x00\x00\x00\x01" : "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(f + 6, up ? "\x02\x00\x00\x00\x00\x02" : "\x02\x00\x00\x00\x00\x01", 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((40 + n) >> 8), f[17] = (uint8_t)(40 + n);
	f[22] = 64, f[23] = 6;
	put32(f + 26, up ? c->caddr : broker);
	put32(f + 30, up ? broker : c->caddr);
	f[34] = (uint8_t)((up ? c->cport : 1883) >> 8), f[35] = (uint8_t)(up ? c->cport : 1883);
	f[36] = (uint8_t)((up ? 1883 : c->cport) >> 8), f[37] = (uint8_t)(up ? 1883 : c->cport);
	put32(f + 38, up ? c->cseq : c->bseq);
	put32(f + 42, (flags & 0x10) ? (up ? c->bseq : c->cseq) : 0);
	f[46] = 0x50;
	f[47] = flags;
	f[48] = 0xff, f[49] = 0xff;
	memcpy(f + 54, data, n);
	if (up)
		c->cseq += n + ((flags & 0x03) ? 1 : 0);
	else
		c->bseq += n + ((flags & 0x03) ? 1 : 0);
	ts_usec += 20 + rnd() % 60;
	rec[0] = (uint32_t)(ts_usec / 1000000);
	rec[1] = (uint32_t)(ts_usec % 1000000);
	rec[2] = rec[3] = len;
	fwrite(rec, sizeof rec, 1, out);
	fwrite(f, 1, len, out);
	packets++;
}

/* Send a byte stream as segments of at most MSS bytes, each acknowledged. */
static void send(struct conn *c, int up, const uint8_t *data, uint32_t n)
{
	while (n) {
		uint32_t k = n < MSS ? n : MSS;
		frame(c, up, 0x18, data, k);
		data += k, n -= k;
		frame(c, !up, 0x10, NULL, 0);
	}
}

static uint32_t varint(uint8_t *p, uint32_t v)
{
	uint32_t i = 0;
	do {
		p[i] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			p[i] |= 0x80;
		i++;
	} while (v);
	return i;
}

/* Build a packet: first byte, then body; returns its length. */
static uint32_t packet(uint8_t *p, uint8_t first, const uint8_t *body, uint32_t n)
{
	uint32_t h;
	p[0] = first;
	h = 1 + varint(p + 1, n);
	memcpy(p + h, body, n);
	return h + n;
}

static uint8_t buf[1 << 16], body[1 << 16];

static uint32_t put_str(uint8_t *p, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	p[0] = (uint8_t)(n >> 8), p[1] = (uint8_t)n;
	memcpy(p + 2, s, n);
	return n + 2;
}

static void do_connect(struct conn *c, unsigned idx)
{
	char id[32];
	uint32_t b = 0, n;

	frame(c, 1, 0x02, NULL, 0);
	frame(c, 0, 0x12, NULL, 0);
	frame(c, 1, 0x10, NULL, 0);
	b += put_str(body + b, "MQTT");
	body[b++] = c->v5 ? 5 : 4;
	body[b++] = 0x02;
	body[b++] = 0, body[b++] = 60;
	if (c->v5)
		body[b++] = 0; /* no properties */
	snprintf(id, sizeof id, "sensor-%05u", idx);
	b += put_str(body + b, id);
	n = packet(buf, 0x10, body, b);
	send(c, 1, buf, n);
	b = 0;
	body[b++] = 0, body[b++] = 0;
	if (c->v5)
		body[b++] = 0;
	n = packet(buf, 0x20, body, b);
	send(c, 0, buf, n);
	c->phase = 1;
}

static void do_subscribe(struct conn *c, unsigned idx)
{
	char t[48];
	uint32_t b = 0, n;
	uint16_t id = c->next_id++;

	body[b++] = (uint8_t)(id >> 8), body[b++] = (uint8_t)id;
	if (c->v5)
		body[b++] = 0;
	snprintf(t, sizeof t, "plant/%u/cmd/#", idx % 50);
	b += put_str(body + b, t);
	body[b++] = 1;
	n = packet(buf, 0x82, body, b);
	send(c, 1, buf, n);
	b = 0;
	body[b++] = (uint8_t)(id >> 8), body[b++] = (uint8_t)id;
	if (c->v5)
		body[b++] = 0;
	body[b++] = 1;
	n = packet(buf, 0x90, body, b);
	send(c, 0, buf, n);
	c->phase = 2;
}

/* A PUBLISH's variable header and payload into body (topic t; a packet id of c's at QoS 1;
 * a 5.0 empty property block; plen bytes cycling through span characters from first):
 * its length. The packet id, when there is one, in *id. */
static uint32_t publish_body(struct conn *c, const char *t, int qos, uint32_t plen,
			     unsigned idx, char first, unsigned span, uint16_t *id)
{
	uint32_t b = put_str(body, t);

	if (qos) {
		*id = c->next_id++;
		if (!c->next_id)
			c->next_id = 1;
		body[b++] = (uint8_t)(*id >> 8), body[b++] = (uint8_t)*id;
	}
	if (c->v5)
		body[b++] = 0;
	for (uint32_t i = 0; i < plen; i++)
		body[b++] = (uint8_t)(first + (i + idx) % span);
	return b;
}

/* A PUBLISH from the client (QoS 0 or 1), several at once now and then. */
static void do_publish(struct conn *c, unsigned idx)
{
	uint32_t n = 0, count = rnd() % 8 == 0 ? 2 + rnd() % 4 : 1;

	for (uint32_t k = 0; k < count; k++) {
		char t[48];
		uint32_t b = 0, plen = rnd() % 16 == 0 ? 2000 + rnd() % 3000 : 20 + rnd() % 1981;
		int qos = rnd() % 2;
		uint16_t id = 0;

		snprintf(t, sizeof t, "plant/%u/sensor/%u/temp", idx % 50, idx);
		b = publish_body(c, t, qos, plen, idx, 'a', 26, &id);
		n += packet(buf + n, qos ? 0x32 : 0x30, body, b);
		if (n > sizeof buf - 8000)
			break;
		if (qos) {
			/* the broker's PUBACK after the batch: queue its bytes apart */
		}
	}
	send(c, 1, buf, n);
	/* acknowledge every QoS 1 in the batch, in one segment */
	{
		uint32_t m = 0, off = 0;
		uint8_t acks[64];
		while (off < n && m + 4 <= sizeof acks) {
			uint32_t rl = 0, sh = 0, i = off + 1;
			uint8_t first = buf[off];
			do {
				rl |= (uint32_t)(buf[i] & 0x7f) << sh;
				sh += 7;
			} while (buf[i++] & 0x80);
			if ((first & 0x06) == 0x02) {
				uint32_t tl = (uint32_t)(buf[i] << 8 | buf[i + 1]);
				acks[m++] = 0x40, acks[m++] = 2;
				acks[m++] = buf[i + 2 + tl], acks[m++] = buf[i + 3 + tl];
			}
			off = i + rl;
		}
		if (m)
			send(c, 0, acks, m);
	}
}

static void do_ping(struct conn *c)
{
	static const uint8_t req[] = { 0xc0, 0 }, resp[] = { 0xd0, 0 };
	send(c, 1, req, 2);
	send(c, 0, resp, 2);
}

static void do_close(struct conn *c)
{
	static const uint8_t disc[] = { 0xe0, 0 };
	send(c, 1, disc, 2);
	frame(c, 1, 0x11, NULL, 0);
	frame(c, 0, 0x11, NULL, 0);
	frame(c, 1, 0x10, NULL, 0);
}

/* --dense: one message in one segment, which acknowledges what its sender had received;
 * the receiver answers with a pure ACK once two segments wait for one (delayed ACK). */
static void dense_segment(struct conn *c, int up, const uint8_t *data, uint32_t n)
{
	uint8_t *owed = up ? &c->b_owe : &c->c_owe;

	frame(c, up, 0x18, data, n);
	messages++;
	*(up ? &c->c_owe : &c->b_owe) = 0;
	if (++*owed >= 2) {
		frame(c, !up, 0x10, NULL, 0);
		*owed = 0;
	}
}

/* --dense: a small PUBLISH one way (client to broker when up), its PUBACK back at QoS 1. */
static void dense_publish(struct conn *c, unsigned idx, int up, int qos)
{
	char t[48];
	uint32_t b = 0, n, plen = 8 + rnd() % 57;
	uint16_t id = 0;

	if (up)
		snprintf(t, sizeof t, "plant/%u/s/%u/temp", idx % 50, idx);
	else
		snprintf(t, sizeof t, "plant/%u/cmd/%u", idx % 50, rnd() % 8);
	b = publish_body(c, t, qos, plen, idx, '0', 10, &id);
	n = packet(buf, qos ? 0x32 : 0x30, body, b);
	dense_segment(c, up, buf, n);
	if (qos) {
		const uint8_t ack[4] = { 0x40, 2, (uint8_t)(id >> 8), (uint8_t)id };
		dense_segment(c, !up, ack, 4);
	}
}

/* --dense: random connections publish (mostly), receive and ping until the budget is spent. */
static void dense_traffic(struct conn *cs, unsigned nconn, uint64_t target, uint64_t mtarget)
{
	static const uint8_t req[] = { 0xc0, 0 }, resp[] = { 0xd0, 0 };

	while (packets + 8ull * nconn < target && messages + 4ull * nconn < mtarget) {
		unsigned i = rnd() % nconn, r = rnd() % 100;
		if (r < 45)
			dense_publish(&cs[i], i, 1, 1);
		else if (r < 80)
			dense_publish(&cs[i], i, 1, 0);
		else if (r < 96)
			dense_publish(&cs[i], i, 0, (int)(rnd() % 2));
		else {
			dense_segment(&cs[i], 1, req, 2);
			dense_segment(&cs[i], 0, resp, 2);
		}
	}
}

int main(int argc, char **argv)
{
	uint64_t target = 2000000, mtarget = UINT64_MAX;
	unsigned nconn = 0, hold = 0, dense = 0, cset = 0;
	const char *path = NULL;
	struct conn *cs;
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, 1 };

	rng_state = 0x9e3779b97f4a7c15ull;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			target = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-m") && i + 1 < argc)
			mtarget = strtoull(argv[++i], NULL, 10), target = UINT64_MAX;
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			nconn = (unsigned)strtoul(argv[++i], NULL, 10), cset = 1;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			rng_state ^= strtoull(argv[++i], NULL, 10) * 0x2545f4914f6cdd1dull;
		else if (!strcmp(argv[i], "-o") && i + 1 < argc)
			path = argv[++i];
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else if (!strcmp(argv[i], "--dense"))
			dense = 1;
		else {
			fprintf(stderr, "usage: mqttgen [-n PACKETS] [-m MESSAGES] [-c CONNECTIONS] "
				"[-s SEED] [--hold|--dense] -o FILE\n");
			return 2;
		}
	}
	if (!cset)
		nconn = dense ? 300 : 1300;
	if (hold + dense > 1 || (mtarget != UINT64_MAX && !dense)) {
		fprintf(stderr, "mqttgen: --hold and --dense exclude each other; -m needs --dense\n");
		return 2;
	}
	if (!path || !nconn || nconn > 4000000 || nconn > 4000000 || !(out = fopen(path, "wb"))) {
		fprintf(stderr, "mqttgen: need -o FILE (writable) and 1..4000000 connections\n");
		return 2;
	}
	if (!(cs = calloc(nconn, sizeof *cs)))
		return 1;
	fwrite(hdr, sizeof hdr, 1, out);
	for (unsigned i = 0; i < nconn; i++) {
		cs[i].caddr = 0x0a010000 + i / 60000;
		cs[i].cport = (uint16_t)(2000 + i % 60000); /* never 1883 */
		cs[i].cseq = rnd();
		cs[i].bseq = rnd();
		cs[i].next_id = 1;
		cs[i].v5 = (uint8_t)(i % 3 == 0);
	}
	if (hold) {
		for (unsigned i = 0; i < nconn; i++)
			do_connect(&cs[i], i);
		for (unsigned i = 0; packets < target; i = (i + 1) % nconn)
			do_ping(&cs[i]);
	} else {
		/* every connection opens, then random ones talk until the budget is spent */
		for (unsigned i = 0; i < nconn; i++) {
			do_connect(&cs[i], i);
			do_subscribe(&cs[i], i);
		}
		while (!dense && packets + 8ull * nconn < target) {
			unsigned i = rnd() % nconn;
			if (rnd() % 20 == 0)
				do_ping(&cs[i]);
			else
				do_publish(&cs[i], i);
		}
		if (dense)
			dense_traffic(cs, nconn, target, mtarget);
		for (unsigned i = 0; i < nconn; i++)
			do_close(&cs[i]);
	}
	fclose(out);
	if (dense)
		fprintf(stderr, "mqttgen: %llu messages after the handshakes\n",
			(unsigned long long)messages);
	fprintf(stderr, "mqttgen: %llu packets, %u connections -> %s\n",
		(unsigned long long)packets, nconn, path);
	free(cs);
	return 0;
}
