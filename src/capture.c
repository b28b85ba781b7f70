/* \summary: packet source: pcap/pcapng files, standard input and live interfaces */
#define _GNU_SOURCE
#include "mqttdump/capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cap {
	pcap_t *p;
	FILE *fp;              /* files: the stream libpcap reads (closed by pcap_close) */
	int live;
	int ts_digits;
	int has_filter;
	struct bpf_program prog;
	uint64_t frame;
	volatile sig_atomic_t stop;
};

/* ---- reading standard input through a peeked prefix -------------------------------- */

/* libpcap reads the file header itself, but we want to look at it first to learn the
 * time stamp precision (tshark prints 6 or 9 digits by it). A pipe cannot be rewound, so
 * the peeked bytes are served again by a cookie stream in front of it. */
struct peek_stream {
	FILE *under;
	unsigned char buf[4096];
	size_t len, pos;
};

static ssize_t peek_read(void *cookie, char *out, size_t n)
{
	struct peek_stream *s = cookie;

	if (s->pos < s->len) {
		size_t k = s->len - s->pos < n ? s->len - s->pos : n;
		memcpy(out, s->buf + s->pos, k);
		s->pos += k;
		return (ssize_t)k;
	}
	return (ssize_t)fread(out, 1, n, s->under);
}

static int peek_close(void *cookie)
{
	struct peek_stream *s = cookie;
	int rc = s->under == stdin ? 0 : fclose(s->under);
	free(s);
	return rc;
}

static uint32_t rd32(const unsigned char *p, int swap)
{
	uint32_t v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
		     ((uint32_t)p[3] << 24);
	if (swap)
		v = __builtin_bswap32(v);
	return v;
}

static uint16_t rd16(const unsigned char *p, int swap)
{
	uint16_t v = (uint16_t)(p[0] | (p[1] << 8));
	return swap ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

/* Digits of the time stamps from the first bytes of the file: pcap's magic number, or
 * the if_tsresol option of pcapng's first Interface Description Block. */
static int ts_digits_of(const unsigned char *b, size_t n)
{
	uint32_t magic, shb_len, blk_type, blk_len;
	int swap;
	size_t off;

	if (n < 4)
		return 6;
	magic = rd32(b, 0);
	if (magic == 0xa1b23c4d || magic == 0x4d3cb2a1)
		return 9;
	if (magic != 0x0a0d0d0a || n < 12)
		return 6;
	/* pcapng: byte order from the Section Header's magic */
	swap = rd32(b + 8, 0) != 0x1a2b3c4d;
	shb_len = rd32(b + 4, swap);
	off = shb_len;
	while (off + 12 <= n) {
		blk_type = rd32(b + off, swap);
		blk_len = rd32(b + off + 4, swap);
		if (blk_len < 12 || blk_len > n - off)
			return 6;
		if (blk_type == 1) { /* IDB: linktype(2) reserved(2) snaplen(4) options */
			size_t o = off + 16, end = off + blk_len - 4;
			while (o + 4 <= end) {
				uint16_t code = rd16(b + o, swap), len = rd16(b + o + 2, swap);
				if (code == 0)
					break;
				if (code == 9 && len == 1 && o + 5 <= end) {
					uint8_t r = b[o + 4];
					if (r & 0x80)
						return 6; /* a power of two: no decimal digit count */
					return r > 9 ? 9 : r;
				}
				o += 4 + ((len + 3u) & ~3u);
			}
			return 6;
		}
		off += blk_len;
	}
	return 6;
}

struct cap *cap_open_file(const char *path, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct peek_stream *ps;
	struct cap *c;
	FILE *under, *fp;
	size_t peeked;
	cookie_io_functions_t io = { .read = peek_read, .close = peek_close };

	if (strcmp(path, "-") == 0) {
		under = stdin;
	} else if (!(under = fopen(path, "rb"))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!(ps = calloc(1, sizeof *ps)) || !(c = calloc(1, sizeof *c))) {
		free(ps);
		if (under != stdin)
			fclose(under);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ps->under = under;
	ps->len = fread(ps->buf, 1, sizeof ps->buf, under);
	if (ps->len == 0 && ferror(under)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		peek_close(ps);
		free(c);
		return NULL;
	}
	c->ts_digits = ts_digits_of(ps->buf, ps->len);
	peeked = ps->len;
	if (under != stdin && fseek(under, 0, SEEK_SET) == 0) {
		/* A regular file rewinds: libpcap reads it directly, through a large buffer. */
		free(ps);
		setvbuf(under, NULL, _IOFBF, 1 << 18);
		fp = under;
	} else if (!(fp = fopencookie(ps, "rb", io))) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		peek_close(ps);
		free(c);
		return NULL;
	}
	c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pe);
	if (!c->p) {
		fclose(fp); /* a cookie stream frees ps */
		free(c);
		if (peeked == 0)
			snprintf(err, errlen, "%s: empty file, not a capture", path);
		else
			snprintf(err, errlen, "%s: not a pcap or pcapng capture (%s)", path, pe);
		return NULL;
	}
	c->fp = fp;
	return c;
}

struct cap *cap_open_live(const char *iface, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct cap *c = calloc(1, sizeof *c);
	int rc;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->live = 1;
	if (!(c->p = pcap_create(iface, pe))) {
		snprintf(err, errlen, "%s: %s", iface, pe);
		free(c);
		return NULL;
	}
	pcap_set_snaplen(c->p, 262144);
	pcap_set_promisc(c->p, 1);
	/* As tcpdump does by default: the kernel hands packets over in blocks (at most 50 ms
	 * late), which a busy link needs; packet by packet (immediate mode) a wake-up each
	 * costs more than decoding them. A 32 MiB ring absorbs bursts. */
	pcap_set_buffer_size(c->p, 32 << 20);
	pcap_set_timeout(c->p, 50);
	pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface" :
				  rc == PCAP_ERROR_PERM_DENIED ? "permission denied (run as root?)" :
				  pcap_statustostr(rc);
		snprintf(err, errlen, "%s: %s%s%s", iface, why, *pcap_geterr(c->p) ? ": " : "",
			 pcap_geterr(c->p));
		pcap_close(c->p);
		free(c);
		return NULL;
	}
	c->ts_digits = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO ? 9 : 6;
	return c;
}

int cap_set_filter(struct cap *c, const char *expr, char *err, size_t errlen)
{
	if (c->has_filter) {
		pcap_freecode(&c->prog);
		c->has_filter = 0;
	}
	if (pcap_compile(c->p, &c->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter \"%s\": %s", expr, pcap_geterr(c->p));
		return -1;
	}
	if (c->live && pcap_setfilter(c->p, &c->prog) < 0) {
		snprintf(err, errlen, "cannot install filter \"%s\": %s", expr, pcap_geterr(c->p));
		pcap_freecode(&c->prog);
		return -1;
	}
	c->has_filter = !c->live; /* files: we test each record ourselves */
	if (c->live)
		pcap_freecode(&c->prog);
	return 0;
}

int cap_linktype(const struct cap *c)
{
	return pcap_datalink(c->p);
}

const char *cap_linktype_name(int linktype)
{
	const char *n = pcap_datalink_val_to_name(linktype);
	return n ? n : "unknown";
}

int cap_ts_digits(const struct cap *c)
{
	return c->ts_digits;
}

int cap_is_live(const struct cap *c)
{
	return c->live;
}

int cap_loop(struct cap *c, cap_cb cb, void *ctx, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	struct cap_pkt pkt;
	int linktype = pcap_datalink(c->p);
	int rc;

	memset(&pkt, 0, sizeof pkt);
	pkt.linktype = linktype;
	while (!c->stop) {
		rc = pcap_next_ex(c->p, &h, &data);
		if (rc == 0)
			continue; /* live timeout: look at the stop flag */
		if (rc == PCAP_ERROR_BREAK)
			return c->stop ? 1 : 0;
		if (rc < 0) {
			snprintf(err, errlen, "%s", pcap_geterr(c->p));
			return -1;
		}
		c->frame++;
		if (c->has_filter && !pcap_offline_filter(&c->prog, h, data))
			continue;
		pkt.frame = c->frame;
		pkt.ts_sec = h->ts.tv_sec;
		pkt.ts_nsec = (uint32_t)h->ts.tv_usec; /* nanoseconds: opened at that precision */
		pkt.caplen = h->caplen;
		pkt.len = h->len;
		pkt.data = data;
		cb(ctx, &pkt);
	}
	return 1;
}

void cap_stop(struct cap *c)
{
	c->stop = 1;
	pcap_breakloop(c->p);
}

int cap_stats(struct cap *c, uint64_t *recv, uint64_t *drop)
{
	struct pcap_stat st;

	if (!c->live || pcap_stats(c->p, &st) < 0)
		return -1;
	*recv = st.ps_recv;
	*drop = st.ps_drop;
	return 0;
}

void cap_close(struct cap *c)
{
	if (!c)
		return;
	if (c->has_filter)
		pcap_freecode(&c->prog);
	pcap_close(c->p);
	free(c);
}

/* ---- writing ------------------------------------------------------------------------ */

struct cap_writer {
	pcap_t *dead;
	pcap_dumper_t *d;
	int nano;
};

struct cap_writer *cap_writer_open(const char *path, int linktype, int ts_digits, char *err,
				   size_t errlen)
{
	struct cap_writer *w = calloc(1, sizeof *w);

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->nano = ts_digits == 9;
	w->dead = pcap_open_dead_with_tstamp_precision(linktype, 262144, w->nano ?
						       PCAP_TSTAMP_PRECISION_NANO :
						       PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->dead || !(w->d = pcap_dump_open(w->dead, path))) {
		snprintf(err, errlen, "%s: %s", path, w->dead ? pcap_geterr(w->dead) : "out of memory");
		if (w->dead)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

void cap_writer_write(struct cap_writer *w, const struct cap_pkt *pkt)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)pkt->ts_sec;
	/* the dumper writes tv_usec as is: nanoseconds for a nanosecond file */
	h.ts.tv_usec = (suseconds_t)(w->nano ? pkt->ts_nsec : pkt->ts_nsec / 1000);
	h.caplen = pkt->caplen;
	h.len = pkt->len;
	pcap_dump((u_char *)w->d, &h, pkt->data);
}

int cap_writer_close(struct cap_writer *w, char *err, size_t errlen)
{
	int rc = 0;

	if (!w)
		return 0;
	if (pcap_dump_flush(w->d) < 0 || ferror(pcap_dump_file(w->d))) {
		snprintf(err, errlen, "writing the capture: %s", strerror(errno));
		rc = -1;
	}
	pcap_dump_close(w->d);
	pcap_close(w->dead);
	free(w);
	return rc;
}

int cap_list_interfaces(void *file, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all, *d;
	int i = 1;

	if (pcap_findalldevs(&all, pe) < 0) {
		snprintf(err, errlen, "cannot list interfaces: %s", pe);
		return -1;
	}
	for (d = all; d; d = d->next, i++)
		fprintf(file, "%d. %s%s%s%s\n", i, d->name, d->description ? " (" : "",
			d->description ? d->description : "", d->description ? ")" : "");
	pcap_freealldevs(all);
	return 0;
}
