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
/* Open a live interface; snaplen 0 = whole packets. */
struct cap *cap_open_live(const char *iface, char *err, size_t errlen);
/* Install a BPF filter. Live: in the kernel. Files: applied per record after counting it,
 * so frame numbers stay those of the file. Returns 0, or -1 with err set. */
int cap_set_filter(struct cap *c, const char *expr, char *err, size_t errlen);
/* The link type, and whether we can decode it. */
int cap_linktype(const struct cap *c);
const char *cap_linktype_name(int linktype);
/* Decimal digits of the capture's time stamps: 6 (microseconds) or 9 (nanoseconds). */
int cap_ts_digits(const struct cap *c);
int cap_is_live(const struct cap *c);

typedef void (*cap_cb)(void *ctx, const struct cap_pkt *pkt);

/* Read until the end, an error, or cap_stop(). Returns 0 at a clean end, 1 when stopped,
 * -1 on a read error (err set; e.g. a file cut in the middle of a record: every record
 * before it has been delivered). */
int cap_loop(struct cap *c, cap_cb cb, void *ctx, char *err, size_t errlen);
/* Ask cap_loop to return; safe from a signal handler. */
void cap_stop(struct cap *c);
/* Live only: packets received and dropped by the kernel. Returns -1 when unknown. */
int cap_stats(struct cap *c, uint64_t *recv, uint64_t *drop);
void cap_close(struct cap *c);

/* Writing records to a new pcap file (-w): the link type and time stamp precision (6 or 9
 * digits) of the capture they came from. On failure returns NULL with err set. */
struct cap_writer;
struct cap_writer *cap_writer_open(const char *path, int linktype, int ts_digits, char *err,
				   size_t errlen);
/* Write one record as it was read (its captured bytes, wire length and time). */
void cap_writer_write(struct cap_writer *w, const struct cap_pkt *pkt);
/* Flush and close; returns 0, or -1 with err set when writing failed. */
int cap_writer_close(struct cap_writer *w, char *err, size_t errlen);

/* Print the interfaces pcap can capture on to f ("1. lo (Loopback)"). Returns 0 or -1. */
int cap_list_interfaces(void *file, char *err, size_t errlen);

#endif
