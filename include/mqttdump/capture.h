/*
 * capture.h - packets in: pcap/pcapng files, standard input, live interfaces (libpcap).
 *
 * The only module that includes <pcap.h>. It hands each record to a callback as a
 * struct cap_pkt whose data is borrowed from libpcap and valid only during the callback.
 */
#ifndef MQTTDUMP_CAPTURE_H
#define MQTTDUMP_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

/* Link types we decode (values of LINKTYPE_*, as stored in files). */
enum cap_link {
	CAP_LINK_NULL = 0,
	CAP_LINK_ETHERNET = 1,
	CAP_LINK_RAW = 101,
	CAP_LINK_LOOP = 108,
	CAP_LINK_LINUX_SLL = 113,
	CAP_LINK_IPV4 = 228,
	CAP_LINK_IPV6 = 229,
	CAP_LINK_LINUX_SLL2 = 276,
};

/* The latest time a record may carry (2^33 - 1 s: 2242-03-16T12:56:31Z): differences of
 * two such times in nanoseconds fit in an int64_t, which every later stage relies on. A
 * pcapng time stamp past it (64 bits of units) is given this value and counted
 * (cap_notes). */
#define CAP_TS_MAX ((int64_t)8589934591)

struct cap_pkt {
	uint64_t frame;        /* 1-based record number in the capture, filter or not */
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen;       /* bytes captured */
	uint32_t len;          /* bytes on the wire */
	int linktype;          /* enum cap_link (or another LINKTYPE_ value) */
	const uint8_t *data;
};

struct cap;

/* Open a capture file ("-" = standard input). On failure returns NULL and writes a
 * one-line reason to err. */
struct cap *cap_open_file(const char *path, char *err, size_t errlen);
/* Open a live interface; snaplen 0 = whole packets (262144 bytes). An iface of digits
 * only is the N-th interface of cap_list_interfaces() (-i 2), as tcpdump takes it. */
struct cap *cap_open_live(const char *iface, uint32_t snaplen, char *err, size_t errlen);
/* 1 when libpcap's "vlan" filter keyword exists on the link type (Ethernet), so that
 * a default filter may name tagged frames; 0 on Linux cooked (-i any), loopback, raw IP. */
int cap_link_has_vlan(int linktype);
/* Install a BPF filter. Live: in the kernel. Files: applied per record after counting it,
 * so frame numbers stay those of the file. Returns 0, or -1 with err set. */
int cap_set_filter(struct cap *c, const char *expr, char *err, size_t errlen);
/* The link type, and whether we can decode it. */
int cap_linktype(const struct cap *c);
const char *cap_linktype_name(int linktype);
/* Decimal digits of the capture's time stamps: 6 (microseconds) or 9 (nanoseconds). */
int cap_ts_digits(const struct cap *c);
int cap_is_live(const struct cap *c);
/* Live, or a file that is not a regular file (a pipe, standard input): records come as
 * they are written, so the outputs are flushed as they go. */
int cap_is_stream(const struct cap *c);

typedef void (*cap_cb)(void *ctx, const struct cap_pkt *pkt);

/* Read until the end, an error, or cap_stop(). Returns 0 at a clean end, 1 when stopped,
 * -1 on a read error (err set; e.g. a file cut in the middle of a record: every record
 * before it has been delivered). */
int cap_loop(struct cap *c, cap_cb cb, void *ctx, char *err, size_t errlen);
/* A hook cap_loop calls between records when it waits: a live read's timeout (50 ms),
 * or a read of a pipe that a signal interrupted (without SA_RESTART). The program prints
 * its counts there on SIGUSR1. NULL: none. */
void cap_set_tick(struct cap *c, void (*tick)(void *ctx), void *ctx);
/* Bytes of the file read so far, and its size (0 when unknown: a pipe). Returns 0, or -1
 * when unknown (live). */
int cap_position(const struct cap *c, uint64_t *pos, uint64_t *size);
/* What the snap length cut, among the records delivered, and times out of range. A file whose header states a
 * snap length below libpcap's maximum is read with the header's value lifted (libpcap
 * would cut every record to it; Wireshark reads them whole): head_snaplen is then the
 * header's value and over_head the records longer than it. */
struct cap_notes {
	uint64_t cut;           /* records with fewer bytes captured than on the wire */
	uint32_t cut_snap;      /* the longest such record's captured length */
	uint32_t head_snaplen;  /* the header's snap length when lifted, else 0 */
	uint64_t over_head;     /* records longer than it */
	uint32_t over_max;      /* the longest of those */
	uint64_t ts_clamped;    /* records whose time was past CAP_TS_MAX (or wrapped
				 * negative by libpcap): given CAP_TS_MAX */
};
const struct cap_notes *cap_notes(const struct cap *c);
/* Ask cap_loop to return; safe from a signal handler. */
void cap_stop(struct cap *c);
/* Live only: packets received and dropped by the kernel. Returns -1 when unknown. */
int cap_stats(struct cap *c, uint64_t *recv, uint64_t *drop);
void cap_close(struct cap *c);

/* Writing records to pcap files (-w), capwrite.c: one file, standard output ("-"), or
 * tcpdump's rotation. */
struct cap_wopts {
	const char *path;       /* the file, "-" for standard output; with seconds, a
				 * strftime(3) pattern of the first record's time (local) */
	uint64_t max_bytes;     /* -C: a new file once one holds more (0: no limit) */
	uint32_t seconds;       /* -G: a new file when a record is this much later than the
				 * file's first (capture time; 0: never) */
	uint32_t count;         /* -W: with -C, the files are a ring of this many (FILE0 ...);
				 * with -G alone, the writing ends after this many */
	int flush;              /* flush after each record (live capture, a pipe) */
};
struct cap_writer;
/* The link type and time stamp precision (6 or 9 digits) of the capture the records come
 * from. Opens the first file now, unless its name depends on a record's time (-G: opened
 * with the first record). On failure returns NULL with err set. */
struct cap_writer *cap_writer_open(const struct cap_wopts *o, int linktype, int ts_digits,
				   char *err, size_t errlen);
/* Write one record as it was read (its captured bytes, wire length and time), opening the
 * next file first when the rotation says so. Returns 0; 1 when -G -W's count of files is
 * complete (the record is not written: stop); -1 with err set when a file could not be
 * opened or written (the writer is then stopped: later calls return -1). */
int cap_writer_write(struct cap_writer *w, const struct cap_pkt *pkt, char *err, size_t errlen);
/* Records written, and files opened. */
void cap_writer_counts(const struct cap_writer *w, uint64_t *records, uint64_t *files);
/* Flush and close; returns 0, or -1 with err set when writing failed. Accepts NULL. */
int cap_writer_close(struct cap_writer *w, char *err, size_t errlen);

/* Print the interfaces pcap can capture on to f ("1. lo (Loopback)"). Returns 0 or -1. */
int cap_list_interfaces(void *file, char *err, size_t errlen);

#endif
