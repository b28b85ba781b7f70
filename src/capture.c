/* \summary: packet source: pcap/pcapng files, standard input and live interfaces */
#define _GNU_SOURCE
#include "mqttdump/capture.h"
#include "mqttdump/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct peek_stream;

struct cap {
	pcap_t *p;
	FILE *fp;              /* files: the stream libpcap reads (closed by pcap_close) */
	struct peek_stream *ps; /* when that is the cookie stream: its state */
	int live;
	int ts_digits;
	int has_filter;
	struct bpf_program prog;
	uint64_t frame;
	uint64_t size;         /* a regular file's size; 0: unknown (a pipe, live) */
	uint64_t bytes_in;     /* read through the cookie stream */
	uint32_t head_snaplen; /* the header's snap length, when lifted; 0: not lifted */
	struct cap_notes notes;
	void (*tick)(void *ctx);
	void *tick_ctx;
	int in_tick;
	volatile sig_atomic_t stop;
};

/* ---- reading a file or a pipe through a peeked prefix -------------------------------- */

/* libpcap reads the file header itself, but we want to look at it first: to learn the
 * time stamp precision (tshark prints 6 or 9 digits by it), and to lift a header snap
 * length smaller than the records (libpcap would cut every record to it; Wireshark reads
 * them whole). A pipe cannot be rewound, so the peeked bytes are served again by a cookie
 * stream in front of it. Every read is one read(2) that returns what has arrived, so a
 * packet written to a pipe is decoded at once (fread would wait for a full buffer). */
#define PEEK_MAX 65536
#define SNAP_LIFT 262144 /* what a lifted header snap length becomes: libpcap's maximum */

struct peek_stream {
	int fd;
	int own;               /* close fd at the end (not standard input) */
	struct cap *c;         /* for its interrupt hook and its byte count */
	size_t len, pos;
	unsigned char buf[PEEK_MAX];
};

static void call_tick(struct cap *c);

static ssize_t peek_read(void *cookie, char *out, size_t n)
{
	struct peek_stream *s = cookie;
	ssize_t k;

	if (s->pos < s->len) {
		size_t m = s->len - s->pos < n ? s->len - s->pos : n;
		memcpy(out, s->buf + s->pos, m);
		s->pos += m;
		return (ssize_t)m;
	}
	/* a signal (SIGUSR1's counts) interrupts a read that waits: its hook runs between
	 * records, then the read goes on */
	while ((k = read(s->fd, out, n)) < 0 && errno == EINTR)
		call_tick(s->c);
	if (k > 0)
		s->c->bytes_in += (uint64_t)k;
	return k;
}

static int peek_close(void *cookie)
{
	struct peek_stream *s = cookie;
	int rc = s->own ? close(s->fd) : 0;
	free(s);
	return rc;
}

/* Read until the peeked prefix holds want bytes (at most PEEK_MAX), or the input ends.
 * Returns 0, or -1 on a read error. */
static int peek_fill(struct peek_stream *s, size_t want)
{
	if (want > PEEK_MAX)
		want = PEEK_MAX;
	while (s->len < want) {
		ssize_t k = read(s->fd, s->buf + s->len, want - s->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		s->len += (size_t)k;
	}
	return 0;
}

static uint32_t rd32(const unsigned char *p, int swap)
{
	uint32_t v = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
		     ((uint32_t)p[3] << 24);
	if (swap)
		v = __builtin_bswap32(v);
	return v;
}

static void wr32(unsigned char *p, uint32_t v, int swap)
{
	if (swap)
		v = __builtin_bswap32(v);
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint16_t rd16(const unsigned char *p, int swap)
{
	uint16_t v = (uint16_t)(p[0] | (p[1] << 8));
	return swap ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

/* What the first bytes of a file say: where its (first) snap length is, and the digits of
 * its time stamps. */
struct head_info {
	size_t snap_at;        /* offset of the snap length in the peeked bytes; 0: none */
	int swap;
	int ts_digits;
};

/* The if_tsresol option of an Interface Description Block's options [o, end). */
static int idb_digits(const unsigned char *b, size_t o, size_t end, int swap)
{
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

/* Read the pcap header, or pcapng's Section Header and the blocks up to its first
 * Interface Description Block, into s (only those: a pipe may have nothing more yet), and
 * say what they hold. Returns 0, or -1 on a read error. */
static int peek_head(struct peek_stream *s, struct head_info *h)
{
	uint32_t magic, blk_len;
	size_t off;

	memset(h, 0, sizeof *h);
	h->ts_digits = 6;
	if (peek_fill(s, 4) < 0)
		return -1;
	if (s->len < 4)
		return 0;
	magic = rd32(s->buf, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d ||
	    magic == 0x4d3cb2a1) {
		h->swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
		h->ts_digits = magic == 0xa1b23c4d || magic == 0x4d3cb2a1 ? 9 : 6;
		if (peek_fill(s, 24) < 0)
			return -1;
		h->snap_at = s->len >= 24 ? 16 : 0;
		return 0;
	}
	if (magic != 0x0a0d0d0a)
		return 0;
	if (peek_fill(s, 12) < 0)
		return -1;
	if (s->len < 12)
		return 0;
	/* pcapng: byte order from the Section Header's magic */
	h->swap = rd32(s->buf + 8, 0) != 0x1a2b3c4d;
	off = rd32(s->buf + 4, h->swap);
	while (off >= 12 && off <= PEEK_MAX - 12) {
		if (peek_fill(s, off + 8) < 0)
			return -1;
		if (s->len < off + 8)
			return 0;
		blk_len = rd32(s->buf + off + 4, h->swap);
		if (blk_len < 12 || blk_len > PEEK_MAX - off)
			return 0;
		if (rd32(s->buf + off, h->swap) != 1) { /* not an IDB: look past it */
			if (peek_fill(s, off + blk_len) < 0)
				return -1;
			off += blk_len;
			continue;
		}
		/* IDB: type(4) len(4) linktype(2) reserved(2) snaplen(4) options */
		if (peek_fill(s, off + blk_len) < 0)
			return -1;
		if (s->len < off + blk_len || blk_len < 20)
			return 0;
		h->snap_at = off + 12;
		h->ts_digits = idb_digits(s->buf, off + 16, off + blk_len - 4, h->swap);
		return 0;
	}
	return 0;
}

/* A header snap length smaller than libpcap's maximum is lifted to it (libpcap would cut
 * each record to the header's), and remembered: records longer than it are counted. */
static void lift_snaplen(struct cap *c, struct peek_stream *s, const struct head_info *h)
{
	uint32_t snap;

	if (!h->snap_at)
		return;
	snap = rd32(s->buf + h->snap_at, h->swap);
	if (snap == 0 || snap >= SNAP_LIFT)
		return;
	c->head_snaplen = snap;
	wr32(s->buf + h->snap_at, SNAP_LIFT, h->swap);
}

static struct cap *open_fail(struct cap *c, struct peek_stream *ps, char *err, size_t errlen,
			     const char *path)
{
	snprintf(err, errlen, "%s: %s", path, strerror(errno));
	if (ps)
		peek_close(ps);
	free(c);
	return NULL;
}

/* The stream libpcap reads: the file itself when it rewinds and needs no lifting, else
 * the cookie stream in front of it (which then owns ps). NULL with errno set. */
static FILE *reading_stream(struct cap *c, struct peek_stream **psp)
{
	cookie_io_functions_t io = { .read = peek_read, .close = peek_close };
	struct peek_stream *ps = *psp;
	FILE *fp;

	if (ps->own && !c->head_snaplen && lseek(ps->fd, 0, SEEK_SET) == 0) {
		/* A regular file rewinds: libpcap reads it directly, through a large buffer. */
		if (!(fp = fdopen(ps->fd, "rb")))
			return NULL;
		free(ps);
		*psp = NULL;
		setvbuf(fp, NULL, _IOFBF, 1 << 18);
		c->fp = fp;
	} else {
		if (!(fp = fopencookie(ps, "rb", io)))
			return NULL;
		*psp = NULL;
		c->ps = ps;
		/* a large buffer does not delay a pipe: each read returns what has arrived */
		setvbuf(fp, NULL, _IOFBF, 1 << 18);
		c->fp = fp;
	}
	return fp;
}

struct cap *cap_open_file(const char *path, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct peek_stream *ps;
	struct head_info hi;
	struct stat st;
	struct cap *c;
	FILE *fp;
	size_t peeked;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return open_fail(NULL, NULL, err, errlen, path);
	if (!(ps = calloc(1, sizeof *ps)) || !(c = calloc(1, sizeof *c))) {
		free(ps);
		if (fd)
			close(fd);
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	ps->fd = fd;
	ps->own = fd != 0;
	ps->c = c;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		c->size = (uint64_t)st.st_size;
	if (peek_head(ps, &hi) < 0)
		return open_fail(c, ps, err, errlen, path);
	c->ts_digits = hi.ts_digits;
	lift_snaplen(c, ps, &hi);
	peeked = ps->len;
	if (!(fp = reading_stream(c, &ps)))
		return open_fail(c, ps, err, errlen, path);
	c->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pe);
	if (!c->p) {
		fclose(fp); /* a cookie stream frees ps */
		free(c);
		if (peeked == 0)
			snprintf(err, errlen, _("%s: empty file, not a capture"), path);
		else
			snprintf(err, errlen, _("%s: not a pcap or pcapng capture (%s)"), path, pe);
		return NULL;
	}
	return c;
}

static void call_tick(struct cap *c)
{
	if (c->tick && !c->in_tick) {
		c->in_tick = 1;
		c->tick(c->tick_ctx);
		c->in_tick = 0;
	}
}

void cap_set_tick(struct cap *c, void (*tick)(void *ctx), void *ctx)
{
	c->tick = tick;
	c->tick_ctx = ctx;
}

/* -i N: the N-th interface of -D's list, as tcpdump takes a number. Returns the name
 * (static), or NULL with err set. */
static const char *iface_by_index(const char *arg, char *err, size_t errlen)
{
	static char name[256];
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all, *d;
	long n = strtol(arg, NULL, 10), i = 1;

	if (pcap_findalldevs(&all, pe) < 0) {
		snprintf(err, errlen, _("-i %s: cannot list interfaces: %s"), arg, pe);
		return NULL;
	}
	for (d = all; d && i < n; d = d->next)
		i++;
	if (d)
		snprintf(name, sizeof name, "%s", d->name);
	pcap_freealldevs(all);
	if (!d || n < 1) {
		snprintf(err, errlen, _("-i %s: no interface number %s (mqttdump -D lists %ld)"), arg,
			 arg, i - (d ? 0 : 1));
		return NULL;
	}
	return name;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Set up and activate c->p. Returns 0, or -1 with err set. */
static int activate(struct cap *c, const char *iface, uint32_t snaplen, char *err,
		    size_t errlen)
{
	int rc;

	pcap_set_snaplen(c->p, snaplen ? (int)snaplen : SNAP_LIFT);
	pcap_set_promisc(c->p, 1);
	/* As tcpdump does by default: the kernel hands packets over in blocks (at most 50 ms
	 * late), which a busy link needs; packet by packet (immediate mode) a wake-up each
	 * costs more than decoding them. A 32 MiB ring absorbs bursts. */
	pcap_set_buffer_size(c->p, 32 << 20);
	pcap_set_timeout(c->p, 50);
	pcap_set_tstamp_precision(c->p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(c->p);
	if (rc < 0) {
		const char *why = rc == PCAP_ERROR_NO_SUCH_DEVICE ? _("no such interface") :
				  rc == PCAP_ERROR_PERM_DENIED ? _("permission denied (run as root?)") :
				  pcap_statustostr(rc);
		snprintf(err, errlen, "%s: %s%s%s", iface, why, *pcap_geterr(c->p) ? ": " : "",
			 pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

struct cap *cap_open_live(const char *iface, uint32_t snaplen, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	struct cap *c;

	if (all_digits(iface) && !(iface = iface_by_index(iface, err, errlen)))
		return NULL;
	if (!(c = calloc(1, sizeof *c))) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	c->live = 1;
	if (!(c->p = pcap_create(iface, pe))) {
		snprintf(err, errlen, "%s: %s", iface, pe);
		free(c);
		return NULL;
	}
	if (activate(c, iface, snaplen, err, errlen) < 0) {
		pcap_close(c->p);
		free(c);
		return NULL;
	}
	c->ts_digits = pcap_get_tstamp_precision(c->p) == PCAP_TSTAMP_PRECISION_NANO ? 9 : 6;
	return c;
}

int cap_link_has_vlan(int linktype)
{
	/* libpcap's "vlan" keyword exists for Ethernet-like links only (not Linux cooked,
	 * loopback or raw IP, where the kernel has removed the tags) */
	return linktype == CAP_LINK_ETHERNET;
}

int cap_set_filter(struct cap *c, const char *expr, char *err, size_t errlen)
{
	if (c->has_filter) {
		pcap_freecode(&c->prog);
		c->has_filter = 0;
	}
	if (pcap_compile(c->p, &c->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, _("bad filter \"%s\": %s"), expr, pcap_geterr(c->p));
		return -1;
	}
	if (c->live && pcap_setfilter(c->p, &c->prog) < 0) {
		snprintf(err, errlen, _("cannot install filter \"%s\": %s"), expr, pcap_geterr(c->p));
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

int cap_is_stream(const struct cap *c)
{
	return c->live || c->size == 0;
}

/* The time of a record into pkt. pcapng's 64-bit time stamps can exceed what later
 * stages compute with (differences in nanoseconds must fit in 63 bits): such a time, and
 * a negative one (libpcap's conversion of a huge unsigned one wrapped), becomes
 * CAP_TS_MAX and is counted. */
static void set_time(struct cap *c, const struct pcap_pkthdr *h, struct cap_pkt *pkt)
{
	if (h->ts.tv_sec < 0 || (uint64_t)h->ts.tv_sec > CAP_TS_MAX) {
		pkt->ts_sec = CAP_TS_MAX;
		pkt->ts_nsec = 0;
		c->notes.ts_clamped++;
		return;
	}
	pkt->ts_sec = h->ts.tv_sec;
	pkt->ts_nsec = (uint32_t)h->ts.tv_usec; /* nanoseconds: opened at that precision */
	if (pkt->ts_nsec > 999999999)
		pkt->ts_nsec = 999999999;
}

/* Count what the snap length cut: records shorter than on the wire, and those longer
 * than a lifted header snap length. */
static void count_cuts(struct cap *c, const struct pcap_pkthdr *h)
{
	if (h->caplen < h->len) {
		c->notes.cut++;
		if (!c->notes.cut_snap || h->caplen > c->notes.cut_snap)
			c->notes.cut_snap = h->caplen;
	}
	if (c->head_snaplen && h->caplen > c->head_snaplen) {
		c->notes.over_head++;
		if (h->caplen > c->notes.over_max)
			c->notes.over_max = h->caplen;
	}
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
	c->notes.head_snaplen = c->head_snaplen;
	while (!c->stop) {
		rc = pcap_next_ex(c->p, &h, &data);
		if (rc == 0) {
			call_tick(c); /* live timeout: the hook, then look at the stop flag */
			continue;
		}
		if (rc == PCAP_ERROR_BREAK)
			return c->stop ? 1 : 0;
		if (rc < 0) {
			snprintf(err, errlen, "%s", pcap_geterr(c->p));
			return -1;
		}
		c->frame++;
		if (c->has_filter && !pcap_offline_filter(&c->prog, h, data))
			continue;
		count_cuts(c, h);
		pkt.frame = c->frame;
		set_time(c, h, &pkt);
		pkt.caplen = h->caplen;
		pkt.len = h->len;
		pkt.data = data;
		cb(ctx, &pkt);
	}
	return 1;
}

const struct cap_notes *cap_notes(const struct cap *c)
{
	return &c->notes;
}

int cap_position(const struct cap *c, uint64_t *pos, uint64_t *size)
{
	long at;

	if (c->live)
		return -1;
	*size = c->size;
	if (c->ps) {
		*pos = c->bytes_in;
		return 0;
	}
	if ((at = ftell(c->fp)) < 0)
		return -1;
	*pos = (uint64_t)at;
	return 0;
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

int cap_list_interfaces(void *file, char *err, size_t errlen)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all, *d;
	int i = 1;

	if (pcap_findalldevs(&all, pe) < 0) {
		snprintf(err, errlen, _("cannot list interfaces: %s"), pe);
		return -1;
	}
	for (d = all; d; d = d->next, i++)
		fprintf(file, "%d. %s%s%s%s\n", i, d->name, d->description ? " (" : "",
			d->description ? d->description : "", d->description ? ")" : "");
	pcap_freealldevs(all);
	return 0;
}
