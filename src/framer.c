/* \summary: MQTT framing over reassembled TCP streams: control packets out of byte spans */
#include "mqttdump/framer.h"

#include <stdlib.h>
#include <string.h>

enum fstate {
	FS_FRAMING = 0, /* at a packet boundary or inside a known packet */
	FS_RESYNC,      /* after a gap: looking for a boundary that can be trusted */
	FS_SKIP,        /* inside an oversized packet: counting bytes away */
	FS_DEAD,        /* framing lost for good */
};

struct fdir {
	uint8_t state;
	uint8_t hdr[5];       /* a fixed header still being read */
	uint8_t hdrhave;
	struct mqtt_fixhdr h; /* the packet being gathered, once hdrhave is complete */
	uint32_t total;       /* its size, 0 while the header is incomplete */
	uint8_t *buf;         /* its bytes so far */
	uint32_t cap, have;
	uint64_t skip;        /* FS_SKIP: bytes still to skip */
	uint64_t offset;      /* stream offset of the next byte delivered */
	uint64_t first_frame;
	struct frame_ref last;
};

struct fconn {
	struct fdir d[2];
	uint8_t version;
};

struct framer {
	struct framer_config cfg;
	struct framer_sink sink;
	void *ctx;
	struct framer_stats st;
	uint8_t *scratch;     /* find_boundary's table, reused */
	uint32_t scratch_cap;
};

struct framer *framer_new(const struct framer_config *cfg, const struct framer_sink *sink,
			  void *ctx)
{
	struct framer *fr = calloc(1, sizeof *fr);

	if (!fr)
		return NULL;
	fr->cfg = *cfg;
	fr->sink = *sink;
	fr->ctx = ctx;
	return fr;
}

const struct framer_stats *framer_stats(const struct framer *fr)
{
	return &fr->st;
}

void framer_free(struct framer *fr)
{
	if (!fr)
		return;
	free(fr->scratch);
	free(fr);
}

static void event(struct framer *fr, const struct reasm_flow *f, int dir, int kind,
		  const struct frame_ref *at, const struct fdir *d)
{
	struct framer_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.flow = f;
	ev.dir = dir;
	ev.at = *at;
	ev.offset = d->offset;
	if (fr->sink.event)
		fr->sink.event(fr->ctx, &ev);
}

static void emit(struct framer *fr, struct reasm_flow *f, int dir, const uint8_t *p,
		 uint32_t n, const struct frame_ref *at, uint64_t first_frame)
{
	struct fconn *c = f->user;
	struct mqtt_record rec;
	int rc;

	memset(&rec, 0, sizeof rec);
	rc = mqtt_parse(p, n, c->version, &rec.msg);
	if (rec.msg.hdr.type == MQTT_CONNECT && rec.msg.proto_level)
		c->version = rec.msg.version; /* the level decides how what follows is read */
	if (rc != MQTT_OK)
		fr->st.malformed++;
	fr->st.messages++;
	rec.flow = f;
	rec.dir = dir;
	rec.at = *at;
	rec.first_frame = first_frame;
	rec.version = c->version;
	rec.have = n;
	rec.raw = p;
	if (fr->sink.message)
		fr->sink.message(fr->ctx, &rec);
}

/* A header a packet could plausibly start with: defined type, its required flags. */
static int plausible(const struct mqtt_fixhdr *h)
{
	static const uint8_t flags[16] = { [6] = 2, [8] = 2, [10] = 2 };

	if (h->type == MQTT_RESERVED0)
		return 0;
	if (h->type == MQTT_PUBLISH)
		return ((h->flags >> 1) & 3) != 3;
	if (h->flags != flags[h->type])
		return 0;
	if ((h->type == MQTT_PINGREQ || h->type == MQTT_PINGRESP) && h->remlen != 0)
		return 0;
	return 1;
}

/* Resynchronise inside one span: the first offset from which a chain of plausible
 * packets fills the span exactly. Returns the offset, or n when there is none.
 * Linear: chain_ok[j] (j from the end back) says whether the chain from j ends at n. */
static uint32_t find_boundary(struct framer *fr, const uint8_t *p, uint32_t n)
{
	uint32_t first = n;

	if (n > fr->scratch_cap) {
		uint8_t *s = realloc(fr->scratch, n);
		if (!s)
			return n;
		fr->scratch = s;
		fr->scratch_cap = n;
	}
	for (uint32_t j = n; j-- > 0;) {
		struct mqtt_fixhdr h;
		uint32_t t;
		fr->scratch[j] = 0;
		if (mqtt_fixed_header(p + j, n - j, &h) != MQTT_OK || !plausible(&h) ||
		    h.remlen > n - j - h.hdrlen)
			continue;
		t = h.hdrlen + h.remlen;
		fr->scratch[j] = (uint8_t)(j + t == n || fr->scratch[j + t]);
		if (fr->scratch[j])
			first = j;
	}
	return first;
}

static int reserve(struct framer *fr, struct fdir *d, uint32_t want)
{
	uint32_t ncap;
	uint8_t *nb;

	if (want <= d->cap)
		return 0;
	ncap = d->cap ? d->cap : 256;
	while (ncap < want)
		ncap = ncap > UINT32_MAX / 2 ? want : ncap * 2;
	if (ncap > fr->cfg.max_buffer && want <= fr->cfg.max_buffer)
		ncap = fr->cfg.max_buffer;
	if (!(nb = realloc(d->buf, ncap)))
		return -1;
	d->buf = nb;
	d->cap = ncap;
	return 0;
}

static void reset_packet(struct fdir *d)
{
	d->hdrhave = 0;
	d->total = 0;
	d->have = 0;
}

static void on_data(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		    const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct fdir *d;

	if (!c)
		return;
	d = &c->d[dir];
	d->last = *at;
	while (n > 0) {
		uint32_t k;

		switch (d->state) {
		case FS_DEAD:
			fr->st.bytes_skipped += n;
			d->offset += n;
			return;
		case FS_SKIP:
			k = d->skip < n ? (uint32_t)d->skip : n;
			d->skip -= k;
			fr->st.bytes_skipped += k;
			p += k, n -= k, d->offset += k;
			if (d->skip == 0)
				d->state = FS_FRAMING;
			continue;
		case FS_RESYNC:
			k = find_boundary(fr, p, n);
			fr->st.bytes_skipped += k;
			p += k, n -= k, d->offset += k;
			if (n)
				d->state = FS_FRAMING;
			continue;
		default:
			break;
		}

		if (d->total == 0 && d->hdrhave == 0) {
			/* At a boundary: whole packets in the span are parsed where they lie. */
			struct mqtt_fixhdr h;
			int rc = mqtt_fixed_header(p, n, &h);
			if (rc == MQTT_OK && h.remlen <= n - h.hdrlen) {
				k = h.hdrlen + h.remlen;
				emit(fr, f, dir, p, k, at, d->last.frame);
				p += k, n -= k, d->offset += k;
				continue;
			}
			if (rc == MQTT_MALFORMED) {
				event(fr, f, dir, FRAMER_EV_BAD_FRAMING, at, d);
				fr->st.bad_framing++;
				d->state = FS_RESYNC;
				continue;
			}
			d->first_frame = d->last.frame;
		}
		if (d->total == 0) {
			/* Gather the fixed header byte by byte (at most 5). */
			struct mqtt_fixhdr h;
			int rc;
			d->hdr[d->hdrhave++] = *p++;
			n--;
			d->offset++;
			rc = mqtt_fixed_header(d->hdr, d->hdrhave, &h);
			if (rc == MQTT_TRUNCATED)
				continue;
			if (rc == MQTT_MALFORMED) {
				event(fr, f, dir, FRAMER_EV_BAD_FRAMING, at, d);
				fr->st.bad_framing++;
				reset_packet(d);
				d->state = FS_RESYNC;
				continue;
			}
			d->h = h;
			d->total = h.hdrlen + h.remlen;
			if (d->total > fr->cfg.max_buffer) {
				struct framer_event ev;
				memset(&ev, 0, sizeof ev);
				ev.kind = FRAMER_EV_OVERSIZE;
				ev.flow = f;
				ev.dir = dir;
								ev.at = d->last;
				ev.offset = d->offset - h.hdrlen;
				ev.len = d->total;
				ev.type = h.type;
				if (fr->sink.event)
					fr->sink.event(fr->ctx, &ev);
				fr->st.oversize++;
				d->skip = h.remlen;
				reset_packet(d);
				d->state = d->skip ? FS_SKIP : FS_FRAMING;
				continue;
			}
			if (reserve(fr, d, d->hdrhave) < 0)
				return;
			memcpy(d->buf, d->hdr, d->hdrhave);
			d->have = d->hdrhave;
		}
		k = d->total - d->have < n ? d->total - d->have : n;
		if (reserve(fr, d, d->have + k) < 0)
			return;
		memcpy(d->buf + d->have, p, k);
		d->have += k;
		p += k, n -= k, d->offset += k;
		if (d->have == d->total) {
			emit(fr, f, dir, d->buf, d->total, at, d->first_frame);
			reset_packet(d);
		}
	}
}

/* The packet being gathered will not be finished: report what was seen of it. */
static void cut_packet(struct framer *fr, struct reasm_flow *f, int dir,
		       const struct frame_ref *at)
{
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];
	struct framer_event ev;

	if (d->hdrhave == 0 && d->total == 0)
		return;
	memset(&ev, 0, sizeof ev);
	ev.kind = FRAMER_EV_INCOMPLETE;
	ev.flow = f;
	ev.dir = dir;
	ev.at = *at;
	ev.offset = d->offset - (d->total ? d->have : d->hdrhave);
	ev.len = d->total;
	ev.have = d->total ? d->have : d->hdrhave;
	ev.type = d->total ? d->h.type : (uint8_t)(d->hdr[0] >> 4);
	fr->st.incomplete++;
	if (fr->sink.event)
		fr->sink.event(fr->ctx, &ev);
	reset_packet(d);
}

static void *on_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	struct fconn *c = calloc(1, sizeof *c);

	(void)ctx;
	(void)f;
	if (c) {
		c->d[0].last = c->d[1].last = *at;
	}
	return c;
}

static void on_gap(void *ctx, struct reasm_flow *f, int dir, uint64_t offset, uint32_t len,
		   const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct fdir *d = &c->d[dir];
	struct framer_event ev;

	if (!c)
		return;
	cut_packet(fr, f, dir, at);
	memset(&ev, 0, sizeof ev);
	ev.kind = FRAMER_EV_GAP;
	ev.flow = f;
	ev.dir = dir;
	ev.at = *at;
	ev.offset = offset;
	ev.len = len;
	if (fr->sink.event)
		fr->sink.event(fr->ctx, &ev);
	d->offset = offset + len;
	if (d->state == FS_SKIP && d->skip > len) {
		d->skip -= len; /* the hole fell inside a packet we were skipping anyway */
	} else if (d->state != FS_DEAD) {
		d->skip = 0;
		d->state = FS_RESYNC;
	}
}

static void on_eof(void *ctx, struct reasm_flow *f, int dir, int why, const struct frame_ref *at)
{
	(void)why;
	if (f->user)
		cut_packet(ctx, f, dir, at);
}

static void on_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	struct framer *fr = ctx;
	struct fconn *c = f->user;
	struct framer_event ev;

	if (!c)
		return;
	memset(&ev, 0, sizeof ev);
	ev.kind = FRAMER_EV_END;
	ev.flow = f;
	ev.dir = REASM_TO_BROKER;
	ev.at = *at;
	ev.why = why;
	if (fr->sink.event)
		fr->sink.event(fr->ctx, &ev);
	free(c->d[0].buf);
	free(c->d[1].buf);
	free(c);
	f->user = NULL;
}

static const struct reasm_sink framer_callbacks = {
	.open = on_open,
	.data = on_data,
	.gap = on_gap,
	.eof = on_eof,
	.close = on_close,
};

const struct reasm_sink *framer_reasm_sink(void)
{
	return &framer_callbacks;
}
