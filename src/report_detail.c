/* \summary: -V detail tree and -x hex dump of each frame holding MQTT messages, in the
 * shape tshark -O mqtt gives them (field labels as Wireshark's MQTT dissector names them) */
#include "mqttdump/budget.h"
#include "mqttdump/report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Relative sequence numbers need each direction's initial sequence number, and the
 * "reassembled from" line the frames that carried a direction's bytes: kept per
 * connection, found by its exact endpoints (a hash table with chaining). At most CONN_MAX
 * are kept: past that, the one unused longest goes (and a connection's entry goes when it
 * ends), so memory stays bounded whatever the capture holds. */
#define CONN_MAX 16384
#define CONN_BUCKETS 65536 /* a power of two */
#define RING 16
#define HDR_CACHE 256

struct endpoint {
	uint8_t fam;
	uint8_t a[16];
	uint16_t port;
};

struct side {
	uint8_t have_base;
	uint8_t offsets_lost;      /* a gap or skipped bytes: next_off no longer known */
	uint32_t base;             /* relative seq = seq - base */
	uint64_t next_off;         /* stream offset of the next message's first byte */
	uint64_t ring[RING];       /* the last frames with payload from this side */
	uint32_t ring_seq[RING];   /* their relative sequence numbers */
	uint32_t ring_len[RING];   /* and payload lengths */
	unsigned nring;            /* total pushed (ring index = nring % RING) */
};

struct conn {
	struct conn *chain;        /* next in its bucket */
	struct conn *newer, *older; /* the use order */
	uint32_t hash;
	struct endpoint ep[2];     /* ordered: ep[0] < ep[1] */
	struct side side[2];       /* side[i]: segments sent by ep[i] */
};

struct detail {
	struct report_opts o;
	struct detail_opts d;
	struct report_buf body;    /* the frame's MQTT trees, printed at frame_end */
	struct report_buf hex;     /* reassembled messages' dumps */
	struct report_buf line;
	unsigned nitems;
	struct conn **buckets;
	struct conn *newest, *oldest;
	size_t nconns;
	struct tcp_seg cur;        /* the frame's segment */
	int have_cur;
	struct conn *cur_conn;
	int cur_from;
	/* -x without --show-secrets: the secret bytes of the frame and of a reassembled
	 * message, masked in their dumps */
	const struct cap_pkt *pkt; /* the frame, from frame_begin to frame_end (NULL
				    * outside: messages the capture's end completes) */
	/* its copy: the engine may give a frame's messages and its end after the data
	 * frame_begin saw has gone (a frame held for messages still to come) */
	struct cap_pkt pcopy;
	uint8_t *pdata;
	size_t pdata_cap;
	uintptr_t orig_payload;    /* where the payload was in frame_begin's data */
	uint8_t *fmask, *rmask;    /* one flag per byte */
	size_t fmask_cap, rmask_cap;
	int fmask_used;
	size_t placed_end;         /* end (in the segment's payload) of the last message of
				    * its direction placed there byte for byte; 0: none */
	uint8_t tail_version;      /* that message's connection version */
	int in_frame;              /* between frame_begin and frame_end */
	uint64_t frame_no;         /* that frame's number */
	/* the header lines (Frame, link, IP, TCP) of the last frames with a TCP payload, for
	 * a message given after its frame went out (found late: a direction whose first
	 * bytes are missing) */
	struct {
		uint64_t frame;
		struct report_buf text;
	} hdr[HDR_CACHE];
};

static int ep_cmp(const struct endpoint *x, const struct endpoint *y)
{
	int c = memcmp(x->a, y->a, 16);
	if (c)
		return c;
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	return x->port == y->port ? 0 : (x->port < y->port ? -1 : 1);
}

static void ep_of(struct endpoint *e, const struct tcp_addr *a, uint16_t port)
{
	memset(e, 0, sizeof *e);
	e->fam = a->family;
	memcpy(e->a, a->a, 16);
	e->port = port;
}

static void conn_unuse(struct detail *s, struct conn *c)
{
	if (c->newer)
		c->newer->older = c->older;
	else
		s->newest = c->older;
	if (c->older)
		c->older->newer = c->newer;
	else
		s->oldest = c->newer;
	c->newer = c->older = NULL;
}

static void conn_use(struct detail *s, struct conn *c)
{
	c->older = s->newest;
	c->newer = NULL;
	if (s->newest)
		s->newest->newer = c;
	s->newest = c;
	if (!s->oldest)
		s->oldest = c;
}

static void conn_drop(struct detail *s, struct conn *c)
{
	struct conn **pp = &s->buckets[c->hash & (CONN_BUCKETS - 1)];

	while (*pp != c)
		pp = &(*pp)->chain;
	*pp = c->chain;
	conn_unuse(s, c);
	s->nconns--;
	free(c);
}

/* The connection of two endpoints; *from is the side index of x. Creates it when create
 * is set (NULL when out of memory); NULL when absent. */
static struct conn *conn_of(struct detail *s, const struct endpoint *x, const struct endpoint *y,
			    int create, int *from)
{
	const struct endpoint *lo = x, *hi = y;
	uint32_t h = 2166136261u;
	struct conn *c;

	if (ep_cmp(x, y) > 0) {
		lo = y;
		hi = x;
	}
	*from = lo == x ? 0 : 1;
	for (size_t i = 0; i < sizeof *lo; i++)
		h = (h ^ ((const uint8_t *)lo)[i]) * 16777619u;
	for (size_t i = 0; i < sizeof *hi; i++)
		h = (h ^ ((const uint8_t *)hi)[i]) * 16777619u;
	for (c = s->buckets[h & (CONN_BUCKETS - 1)]; c; c = c->chain)
		if (c->hash == h && !ep_cmp(&c->ep[0], lo) && !ep_cmp(&c->ep[1], hi)) {
			conn_unuse(s, c);
			conn_use(s, c);
			return c;
		}
	if (!create)
		return NULL;
	if (s->nconns >= CONN_MAX)
		conn_drop(s, s->oldest);
	if (!(c = budget_calloc(1, sizeof *c, "-V/-x")))
		return NULL;
	c->hash = h;
	c->ep[0] = *lo;
	c->ep[1] = *hi;
	c->chain = s->buckets[h & (CONN_BUCKETS - 1)];
	s->buckets[h & (CONN_BUCKETS - 1)] = c;
	conn_use(s, c);
	s->nconns++;
	return c;
}

/* ---- the MQTT tree ------------------------------------------------------------------ */

static const char *const qos_names[4] = {
	"At most once delivery (Fire and Forget)",
	"At least once delivery (Acknowledged deliver)",
	"Exactly once delivery (Assured Delivery)",
	"Reserved",
};

/* "0011 ...." for the bits of mask in v. */
static void bits(char out[10], uint8_t v, uint8_t mask)
{
	int o = 0;
	for (int b = 7; b >= 0; b--) {
		out[o++] = (mask >> b) & 1 ? (char)('0' + ((v >> b) & 1)) : '.';
		if (b == 4)
			out[o++] = ' ';
	}
	out[o] = '\0';
}

static void bitline(struct report_buf *b, int depth, uint8_t v, uint8_t mask, const char *name,
		    const char *value)
{
	char bs[10];
	bits(bs, v, mask);
	report_buf_printf(b, "%*s%s = %s: %s\n", depth * 4, "", bs, name, value);
}

static const char *set(uint8_t v, uint8_t mask)
{
	return v & mask ? "Set" : "Not set";
}

/* A string field: UTF-8 as Wireshark shows it, with what a terminal would obey (controls,
 * bidirectional controls, bytes that are not UTF-8) escaped (textesc.h). */
static void put_str(struct report_buf *b, struct mqtt_view v)
{
	report_buf_text(b, v.p, v.len, 0);
}

/* Wireshark's labels hold 239 bytes at most: a longer one is cut, "[truncated]" after its
 * name, to 238 (on a character boundary) */
#define LABEL_MAX 239

static void strfield(struct report_buf *b, int depth, const char *name, struct mqtt_view v)
{
	size_t start = b->len + (size_t)depth * 4, nl = strlen(name), keep;

	report_buf_printf(b, "%*s%s: ", depth * 4, "", name);
	put_str(b, v);
	if (b->len - start > LABEL_MAX && nl + 15 < LABEL_MAX) {
		size_t vstart = start + nl + 2;
		keep = LABEL_MAX - 1 - (nl + 14);
		while (keep && ((unsigned char)b->p[vstart + keep] & 0xc0) == 0x80)
			keep--; /* not inside a character */
		memmove(b->p + start + nl + 14, b->p + vstart, keep);
		memcpy(b->p + start + nl, " [truncated]: ", 14);
		b->len = start + nl + 14 + keep;
	}
	report_buf_put(b, "\n", 1);
}

/* A secret (a password, Authentication Data): its line as tshark has it, the value
 * replaced by what hides it unless --show-secrets. */
static void secretfield(struct report_buf *b, int depth, const char *name, struct mqtt_view v,
			int show)
{
	if (show)
		strfield(b, depth, name, v);
	else
		report_buf_printf(b, "%*s%s: <hidden: %" PRIu32 " bytes, --show-secrets shows it>\n",
				  depth * 4, "", name, v.len);
}

/* Bytes in hex, the first 36 of them then "…", as Wireshark shortens long byte fields. */
static void hexfield(struct report_buf *b, int depth, const char *name, struct mqtt_view v)
{
	static const char hx[] = "0123456789abcdef";
	char h[80];
	uint32_t n = v.len < 36 ? v.len : 36;

	for (uint32_t i = 0; i < n; i++) {
		h[2 * i] = hx[v.p[i] >> 4];
		h[2 * i + 1] = hx[v.p[i] & 15];
	}
	h[2 * n] = '\0';
	report_buf_printf(b, "%*s%s: %s%s\n", depth * 4, "", name, h,
			  v.len > 36 ? "\xe2\x80\xa6" : "");
}

/* An expert item as tshark -O mqtt shows it: "[Expert Info (Note/Protocol): text]" and,
 * one level down, the text, its severity and its group. */
static void expert(struct report_buf *b, int depth, const char *sev_group, const char *text)
{
	const char *slash = strchr(sev_group, '/');
	int sl = (int)(slash - sev_group);

	report_buf_printf(b, "%*s[Expert Info (%s): %s]\n", depth * 4, "", sev_group, text);
	report_buf_printf(b, "%*s[%s]\n", depth * 4 + 4, "", text);
	report_buf_printf(b, "%*s[Severity level: %.*s]\n", depth * 4 + 4, "", sl, sev_group);
	report_buf_printf(b, "%*s[Group: %s]\n", depth * 4 + 4, "", slash + 1);
}

/* A property block, as far as it can be read; declared: the length it claims (more than
 * pv.len when it runs past the packet). Returns 1 when reading stopped before its end
 * (an unknown identifier, a value cut short): tshark's tree ends there, malformed. */
static int props(struct report_buf *b, const char *title, struct mqtt_view pv, uint32_t declared,
		 int show)
{
	struct mqtt_cursor c = mqtt_cursor_of(pv);
	struct mqtt_prop p;
	int rc;

	report_buf_printf(b, "    %s\n        Total Length: %" PRIu32 "\n", title, declared);
	while ((rc = mqtt_next_prop(&c, &p)) == MQTT_OK) {
		const struct mqtt_prop_info *pi = mqtt_prop_info(p.id);
		/* tshark names the value "Value", after a length line for strings and bytes,
		 * but for the few the table names otherwise (Content Type, Topic Alias, QoS) */
		int own = strcmp(pi->value_label, "Value") != 0;

		report_buf_printf(b, "        ID: %s (0x%02x)\n", pi->label, p.id);
		switch (p.ptype) {
		case MQTT_PT_UTF8:
		case MQTT_PT_BINARY:
			if (own) {
				strfield(b, 2, pi->value_label, p.str);
				break;
			}
			report_buf_printf(b, "        Length: %" PRIu32 "\n", p.str.len);
			secretfield(b, 2, "Value", p.str, show || !report_prop_secret(p.id));
			break;
		case MQTT_PT_PAIR:
			report_buf_printf(b, "        Key Length: %" PRIu32 "\n", p.str.len);
			strfield(b, 2, "Key", p.str);
			report_buf_printf(b, "        Value Length: %" PRIu32 "\n", p.str2.len);
			strfield(b, 2, "Value", p.str2);
			break;
		default:
			if (p.id == MQTT_PROP_MAXIMUM_QOS) /* shown by name, as the QoS bits are */
				report_buf_printf(b, "        %s: %s (%" PRIu32 ")\n", pi->value_label,
						  qos_names[p.num & 3], p.num);
			else
				report_buf_printf(b, "        %s: %" PRIu32 "\n", pi->value_label, p.num);
			break;
		}
	}
	if (c.p != c.end) {
		/* an unknown identifier or a value cut short: the identifier where reading
		 * stopped, as tshark shows it */
		uint32_t id = 0;
		struct mqtt_cursor t = c;
		if (mqtt_get_varint(&t, &id) == MQTT_OK)
			report_buf_printf(b, "        ID: %s (0x%02" PRIx32 ")\n", id <= 0xff &&
					  mqtt_prop_label((uint8_t)id) ? mqtt_prop_label((uint8_t)id) :
					  "Unknown", id);
		return 1;
	}
	return declared > pv.len;
}

/* The packet's properties (or the will's), 1 when the tree must end after them. */
static int packet_props(struct report_buf *b, const struct mqtt_msg *m, int show)
{
	if (m->cut_block == MQTT_CUT_PROPS)
		return props(b, "Properties", m->props, m->cut_block_len, show), 1;
	if (!m->has_props)
		return 0;
	return props(b, "Properties", m->props, m->props.len, show);
}

static void header_flags(struct report_buf *b, const struct mqtt_msg *m, uint8_t version)
{
	uint8_t t = m->hdr.type, f = m->hdr.flags, byte = (uint8_t)(t << 4 | f);
	char v[64];
	/* PUBLISH, and in 3.1 the packets whose QoS bits were meaningful, show DUP/QoS/Retain */
	int pubstyle = t == MQTT_PUBLISH ||
		       (version == MQTT_V31 && (t == MQTT_PUBREL || t == MQTT_SUBSCRIBE ||
						t == MQTT_UNSUBSCRIBE));

	report_buf_printf(b, "    Header Flags: 0x%02x, Message Type: %s", byte, mqtt_type_label(t));
	if (pubstyle) {
		if (f & 8)
			report_buf_puts(b, ", DUP Flag");
		report_buf_printf(b, ", QoS Level: %s", qos_names[(f >> 1) & 3]);
		if (t == MQTT_PUBLISH && (f & 1))
			report_buf_puts(b, ", Retain");
	}
	report_buf_put(b, "\n", 1);
	snprintf(v, sizeof v, "%s (%u)", mqtt_type_label(t), t);
	bitline(b, 2, byte, 0xf0, "Message Type", v);
	if (pubstyle) {
		bitline(b, 2, byte, 0x08, "DUP Flag", set(byte, 0x08));
		snprintf(v, sizeof v, "%s (%u)", qos_names[(f >> 1) & 3], (f >> 1) & 3);
		bitline(b, 2, byte, 0x06, "QoS Level", v);
		if (t == MQTT_PUBLISH) {
			bitline(b, 2, byte, 0x01, "Retain", set(byte, 0x01));
		} else {
			snprintf(v, sizeof v, "%u", f & 1);
			bitline(b, 2, byte, 0x01, "Reserved", v);
		}
	} else {
		snprintf(v, sizeof v, "%u", f);
		bitline(b, 2, byte, 0x0f, "Reserved", v);
	}
}

/* The length line of the string field where reading stopped (its contents run past the
 * packet), as tshark shows it before "[Malformed Packet]"; nothing when even the length
 * is not there. Returns 1: the tree ends there. */
static int len_line(struct report_buf *b, const struct mqtt_record *rec, const char *name)
{
	uint32_t at = rec->msg.stop_off, end = rec->msg.hdr.hdrlen + rec->msg.hdr.remlen;

	if (at && at + 2 <= rec->have && at + 2 <= end)
		report_buf_printf(b, "    %s Length: %u\n", name,
				  (unsigned)(rec->raw[at] << 8 | rec->raw[at + 1]));
	return 1;
}

/* 1 when the n bytes of a fixed field at offset off were read (reading stopped after) */
static int read_to(const struct mqtt_msg *m, size_t off, size_t n)
{
	return !m->stop_off || off + n <= m->stop_off;
}

/* The CONNECT flags line, its names of the bits set, and one line per bit, as tshark. */
static void connect_flags_lines(struct report_buf *b, uint8_t cf)
{
	char v[80];

	report_buf_printf(b, "    Connect Flags: 0x%02x", cf);
	if (cf & 0x80)
		report_buf_puts(b, ", User Name Flag");
	if (cf & 0x40)
		report_buf_puts(b, ", Password Flag");
	if (cf & 0x20)
		report_buf_puts(b, ", Will Retain");
	report_buf_printf(b, ", QoS Level: %s", qos_names[(cf >> 3) & 3]);
	if (cf & 0x04)
		report_buf_puts(b, ", Will Flag");
	if (cf & 0x02)
		report_buf_puts(b, ", Clean Session Flag");
	if (cf & 0x01)
		report_buf_puts(b, ", (Reserved)");
	report_buf_put(b, "\n", 1);
	bitline(b, 2, cf, 0x80, "User Name Flag", set(cf, 0x80));
	bitline(b, 2, cf, 0x40, "Password Flag", set(cf, 0x40));
	bitline(b, 2, cf, 0x20, "Will Retain", set(cf, 0x20));
	snprintf(v, sizeof v, "%s (%u)", qos_names[(cf >> 3) & 3], (cf >> 3) & 3);
	bitline(b, 2, cf, 0x18, "QoS Level", v);
	bitline(b, 2, cf, 0x04, "Will Flag", set(cf, 0x04));
	bitline(b, 2, cf, 0x02, "Clean Session Flag", set(cf, 0x02));
	bitline(b, 2, cf, 0x01, "(Reserved)", set(cf, 0x01));
}

static int connect_fields(struct report_buf *b, const struct mqtt_record *rec, int show)
{
	const struct mqtt_msg *m = &rec->msg;
	size_t off;
	uint8_t cf = m->connect_flags;
	const char *vname = m->proto_level == 3 ? "MQTT v3.1" : m->proto_level == 4 ?
			    "MQTT v3.1.1" : m->proto_level == 5 ? "MQTT v5.0" : "Unknown";

	if (!m->proto_name.p)
		return len_line(b, rec, "Protocol Name");
	report_buf_printf(b, "    Protocol Name Length: %" PRIu32 "\n", m->proto_name.len);
	strfield(b, 1, "Protocol Name", m->proto_name);
	off = (uintptr_t)m->proto_name.p - (uintptr_t)rec->raw + m->proto_name.len;
	if (m->stop_off && off > rec->have)
		return 1; /* not read from rec->raw: where it stopped is not known */
	if (!read_to(m, off, 1))
		return 1;
	report_buf_printf(b, "    Version: %s (%u)\n", vname, m->proto_level);
	if (!read_to(m, off + 1, 1))
		return 1;
	connect_flags_lines(b, cf);
	if (!read_to(m, off + 2, 2))
		return 1;
	report_buf_printf(b, "    Keep Alive: %u\n", m->keepalive);
	if (packet_props(b, m, show) || (m->version == MQTT_V5 && !m->has_props))
		return 1;
	if (!m->clientid.p)
		return len_line(b, rec, "Client ID");
	report_buf_printf(b, "    Client ID Length: %" PRIu32 "\n", m->clientid.len);
	strfield(b, 1, "Client ID", m->clientid);
	if (m->has_will) {
		if (m->cut_block == MQTT_CUT_WILL_PROPS)
			return props(b, "Will Properties", m->will_props, m->cut_block_len, show), 1;
		if (m->version == MQTT_V5 && (!m->has_will_props ||
		    props(b, "Will Properties", m->will_props, m->will_props.len, show)))
			return 1;
		if (!m->will_topic.p)
			return len_line(b, rec, "Will Topic");
		report_buf_printf(b, "    Will Topic Length: %" PRIu32 "\n", m->will_topic.len);
		strfield(b, 1, "Will Topic", m->will_topic);
		if (!m->will_payload.p)
			return len_line(b, rec, "Will Message");
		report_buf_printf(b, "    Will Message Length: %" PRIu32 "\n", m->will_payload.len);
		hexfield(b, 1, "Will Message", m->will_payload);
	}
	if ((m->connect_flags & 0x80) && !m->has_username)
		return len_line(b, rec, "User Name");
	if (m->has_username) {
		report_buf_printf(b, "    User Name Length: %" PRIu32 "\n", m->username.len);
		strfield(b, 1, "User Name", m->username);
	}
	if ((m->connect_flags & 0x40) && !m->has_password)
		return len_line(b, rec, "Password");
	if (m->has_password) {
		report_buf_printf(b, "    Password Length: %" PRIu32 "\n", m->password.len);
		secretfield(b, 1, "Password", m->password, show);
	}
	return 0;
}

/* tshark names a code only where it is defined for the packet type ("Unknown" elsewhere) */
static void code_line(struct report_buf *b, const struct mqtt_msg *m, uint8_t version,
		      const char *what, uint8_t code)
{
	const char *name = mqtt_code_label(m->hdr.type, version, code);
	report_buf_printf(b, "    %s: %s (%u)\n", what, name ? name : "Unknown", code);
}

/* A topic or topic filter as tshark shows it: no value line when empty ("Length cannot be
 * 0", but for a 5.0 PUBLISH, where an alias may stand for it), and "Trailing stray
 * characters" after one holding a NUL (tshark cuts its value there; mqttdump shows it
 * whole, escaped). */
static void topic_field(struct report_buf *b, struct mqtt_view f, int empty_ok)
{
	report_buf_printf(b, "    Topic Length: %" PRIu32 "\n", f.len);
	if (!f.len) {
		if (!empty_ok)
			expert(b, 2, "Warning/Protocol", "Length cannot be 0");
		return;
	}
	strfield(b, 1, "Topic", f);
	if (memchr(f.p, 0, f.len))
		expert(b, 2, "Warning/Undecoded", "Trailing stray characters");
}

static void connack_fields(struct report_buf *b, const struct mqtt_msg *m, uint8_t version,
			   uint8_t cv)
{
	if (version == MQTT_V31) {
		/* 3.1 has no Session Present: the byte is reserved */
		report_buf_printf(b, "    Reserved: %s\n", set(m->ack_flags, 0xff));
	} else {
		/* as Wireshark's bitmask header: the name of the flag that is set follows */
		report_buf_printf(b, "    Acknowledge Flags: 0x%02x%s\n", m->ack_flags,
				  m->ack_flags & 1 ? ", Session Present" : "");
		bitline(b, 2, m->ack_flags, 0xfe, "Reserved", set(m->ack_flags, 0xfe));
		bitline(b, 2, m->ack_flags, 0x01, "Session Present", set(m->ack_flags, 0x01));
	}
	if (m->has_code)
		code_line(b, m, cv, cv == MQTT_V5 ? "Reason Code" : "Return Code", m->code);
}

static int publish_fields(struct report_buf *b, const struct mqtt_record *rec, int show)
{
	const struct mqtt_msg *m = &rec->msg;
	char v[128];

	struct mqtt_prop alias;
	struct mqtt_view none = { m->topic.p, 0 };

	if (!m->topic.p)
		return len_line(b, rec, "Topic");
	topic_field(b, rec->topic_from_alias ? none : m->topic, m->version == MQTT_V5);
	if (m->qos && !m->has_msgid)
		return 1;
	if (m->has_msgid)
		report_buf_printf(b, "    Message Identifier: %u\n", m->msgid);
	if (packet_props(b, m, show) || (m->version == MQTT_V5 && !m->has_props))
		return 1;
	if (rec->topic_from_alias) {
		/* the topic its alias stands for: Wireshark's generated field */
		report_buf_puts(b, "    [Topic: ");
		put_str(b, m->topic);
		report_buf_puts(b, "]\n");
	} else if (m->version == MQTT_V5 && !m->topic.len &&
		   mqtt_find_prop(m, MQTT_PROP_TOPIC_ALIAS, &alias)) {
		report_buf_puts(b, "    [Topic: ]\n");
		expert(b, 2, "Note/Protocol", "Unknown topic alias");
	}
	if (m->payload.len)
		hexfield(b, 1, "Message", m->payload);
	else
		report_buf_puts(b, "    Message: <MISSING>\n"); /* Wireshark's words */
	if (mqtt_media_tree(m, v, sizeof v))
		report_buf_printf(b, "%s\n", v);
	return 0;
}

static void sub_options(struct report_buf *b, uint8_t o)
{
	static const char *const rh[4] = {
		"Send msgs at subscription time", "Send msgs if subscription does not exist",
		"Do not send msgs at subscription time", "Reserved" };
	char v[128];

	report_buf_printf(b, "    Subscription Options: 0x%02x, Retain Handling: %s%s%s, QoS: %s\n",
			  o, rh[(o >> 4) & 3], o & 8 ? ", Retain As Published" : "",
			  o & 4 ? ", No Local" : "", qos_names[o & 3]);
	snprintf(v, sizeof v, "0x%x", o >> 6);
	bitline(b, 2, o, 0xc0, "Reserved", v);
	snprintf(v, sizeof v, "%s (%u)", rh[(o >> 4) & 3], (o >> 4) & 3);
	bitline(b, 2, o, 0x30, "Retain Handling", v);
	bitline(b, 2, o, 0x08, "Retain As Published", set(o, 0x08));
	bitline(b, 2, o, 0x04, "No Local", set(o, 0x04));
	snprintf(v, sizeof v, "%s (%u)", qos_names[o & 3], o & 3);
	bitline(b, 2, o, 0x03, "QoS", v);
}

static void list_fields(struct report_buf *b, const struct mqtt_msg *m, uint8_t version,
			uint8_t cv)
{
	struct mqtt_cursor c = mqtt_cursor_of(m->list);
	struct mqtt_view f;
	uint8_t o;

	switch (m->hdr.type) {
	case MQTT_SUBSCRIBE:
		while (mqtt_next_sub(&c, version, &f, &o) == MQTT_OK) {
			topic_field(b, f, 0);
			if (version != MQTT_V5)
				report_buf_printf(b, "    Requested QoS: %s (%u)\n", qos_names[o & 3],
						  o & 3);
			else
				sub_options(b, o);
		}
		break;
	case MQTT_UNSUBSCRIBE:
		while (mqtt_next_filter(&c, &f) == MQTT_OK)
			topic_field(b, f, 0);
		break;
	default: /* SUBACK, UNSUBACK: one code per filter */
		for (uint32_t i = 0; m->list.p && i < m->list.len; i++) {
			uint8_t code = m->list.p[i];
			if (m->hdr.type == MQTT_SUBACK && cv != MQTT_V5 && code <= 2)
				report_buf_printf(b, "    Granted QoS: %s (%u)\n", qos_names[code], code);
			else
				code_line(b, m, cv, m->hdr.type == MQTT_SUBACK && cv != MQTT_V5 ?
					  "Granted QoS" : "Reason Code", code);
		}
		break;
	}
}

/* The fields after the fixed header; 1 when the tree stopped at a property block that
 * could not be read to its end (the packet is malformed there). */
static int body_fields(struct report_buf *b, const struct mqtt_record *rec, uint8_t version,
		       uint8_t cv, int show)
{
	const struct mqtt_msg *m = &rec->msg;

	switch (m->hdr.type) {
	case MQTT_CONNECT:
		return connect_fields(b, rec, show);
	case MQTT_CONNACK:
		connack_fields(b, m, version, cv);
		return packet_props(b, m, show);
	case MQTT_PUBLISH:
		return publish_fields(b, rec, show);
	case MQTT_PUBACK: case MQTT_PUBREC: case MQTT_PUBREL: case MQTT_PUBCOMP:
	case MQTT_DISCONNECT: case MQTT_AUTH:
		if (m->has_msgid)
			report_buf_printf(b, "    Message Identifier: %u\n", m->msgid);
		if (m->has_code)
			code_line(b, m, cv, "Reason Code", m->code);
		return packet_props(b, m, show);
	case MQTT_SUBSCRIBE: case MQTT_UNSUBSCRIBE: case MQTT_SUBACK: case MQTT_UNSUBACK:
		if (m->stop_off && !m->list.p && !m->has_props && m->stop_off < (uint32_t)m->hdr.hdrlen + 2)
			return 1; /* not even the packet identifier */
		report_buf_printf(b, "    Message Identifier: %u\n", m->msgid);
		if (packet_props(b, m, show) || (m->version == MQTT_V5 && !m->has_props))
			return 1;
		list_fields(b, m, version, cv);
		/* the list holds the filters read whole: the next one stopped the reading */
		return m->stop_off ? len_line(b, rec, "Topic") : 0;
	default:
		return 0;
	}
}

/* A malformed packet whose fields before a property block were all read (the block is
 * cut, or holds an identifier that is not a property): tshark shows them, then the block
 * up to where it stops. */
static int props_stop(const struct mqtt_msg *m)
{
	struct mqtt_cursor c;
	struct mqtt_prop p;
	const struct mqtt_view *v[2] = { m->has_props ? &m->props : NULL,
					 m->has_will_props ? &m->will_props : NULL };

	if (m->cut_block)
		return 1;
	for (int i = 0; i < 2; i++) {
		if (!v[i])
			continue;
		c = mqtt_cursor_of(*v[i]);
		while (mqtt_next_prop(&c, &p) == MQTT_OK)
			;
		if (c.p != c.end)
			return 1;
	}
	return 0;
}

/* The tree without mqttdump's own warnings (tshark has no such lines). */
static void tree_of(const struct mqtt_record *rec, int show_secrets, struct report_buf *b)
{
	const struct mqtt_msg *m = &rec->msg;
	uint8_t t = m->hdr.type;
	uint8_t version = m->version == MQTT_V5 ? MQTT_V5 : m->version == MQTT_V31 ? MQTT_V31 :
			  MQTT_V311;
	int malformed = mqtt_malformed(m);
	/* tshark knows a connection's version from its CONNECT only; without it, it says so
	 * and names the codes of CONNACK and SUBACK as 5.0 does */
	int unknown = rec->version_inferred && !(t == MQTT_CONNECT && m->proto_level);
	uint8_t cv = unknown ? MQTT_V5 : version;

	if (!rec->length_known && !rec->incomplete && !rec->truncated) {
		/* the remaining length is broken: tshark names no type, shows no field */
		report_buf_puts(b, "MQ Telemetry Transport Protocol\n[Malformed Packet: MQTT]\n");
		return;
	}
	report_buf_printf(b, "MQ Telemetry Transport Protocol, %s\n", mqtt_type_label(t));
	if (unknown)
		expert(b, 1, "Note/Protocol", "Unknown version (missing the CONNECT packet?)");
	if (!rec->length_known) {
		report_buf_printf(b, "    [fixed header cut after %" PRIu32 " bytes: %s]\n", rec->have,
				  rec->truncated ? "truncated by the snap length" :
				  "the rest was not captured");
		return;
	}
	header_flags(b, m, version);
	report_buf_printf(b, "    Msg Len: %" PRIu32 "\n", m->hdr.remlen);
	if (rec->incomplete || rec->truncated) {
		report_buf_printf(b, "    [%s: %" PRIu32 " of %" PRIu32 " bytes captured]\n",
				  rec->truncated ? "Truncated" : "Incomplete",
				  rec->captured > rec->have ? rec->captured : rec->have,
				  m->hdr.hdrlen + m->hdr.remlen);
		return;
	}
	/* a malformed packet's fields are shown only where all before the break were read */
	if ((!malformed || props_stop(m) || m->stop_off) &&
	    body_fields(b, rec, version, cv, show_secrets))
		malformed = 1;
	if (malformed)
		report_buf_puts(b, "[Malformed Packet: MQTT]\n");
}

void report_detail_mqtt(const struct mqtt_record *rec, int show_secrets, struct report_buf *b)
{
	const struct mqtt_msg *m = &rec->msg;

	tree_of(rec, show_secrets, b);
	for (unsigned i = 0; i < m->nwarn; i++)
		report_buf_printf(b, "    [Warning: %s%s%s%s]\n", m->warn[i].text,
				  m->warn[i].rule ? " [" : "", m->warn[i].rule ? m->warn[i].rule : "",
				  m->warn[i].rule ? "]" : "");
}

/* ---- the reporter ------------------------------------------------------------------- */

static void frame_begin(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct detail *s = ctx;
	struct endpoint x, y;
	struct conn *cn;
	int from;

	s->body.len = 0;
	s->hex.len = 0;
	s->nitems = 0;
	s->in_frame = 1;
	s->frame_no = pkt->frame;
	s->pkt = NULL;
	s->placed_end = 0;
	s->fmask_used = 0;
	if (s->d.hex && !s->o.show_secrets) {
		/* -x hides secrets: keep the frame's bytes to find them in */
		if (pkt->caplen > s->pdata_cap) {
			uint8_t *nd = budget_realloc(s->pdata, pkt->caplen, "-V/-x");
			if (nd) {
				s->pdata = nd;
				s->pdata_cap = pkt->caplen;
			}
		}
		if (pkt->caplen <= s->pdata_cap) {
			s->pcopy = *pkt;
			if (pkt->caplen)
				memcpy(s->pdata, pkt->data, pkt->caplen);
			s->pcopy.data = s->pdata;
			s->pkt = &s->pcopy;
		} else {
			s->fmask_used = -1; /* no memory: this frame's dump is left out */
		}
	}
	/* the segment's place in its stream, before the messages it completes are reported */
	s->have_cur = seg != NULL;
	if (seg)
		s->cur = *seg;
	seg = &s->cur;
	if (s->have_cur && s->pkt) {
		/* the same segment, in the copy */
		s->orig_payload = (uintptr_t)s->cur.payload;
		s->cur.payload = s->pdata + (s->cur.payload - pkt->data);
	}
	s->cur_conn = NULL;
	if (!s->have_cur)
		return;
	ep_of(&x, &seg->src, seg->sport);
	ep_of(&y, &seg->dst, seg->dport);
	if (!(cn = conn_of(s, &x, &y, 1, &from)))
		return;
	if (seg->flags & TCP_SYN) {
		/* a new SYN starts the numbering again (the 4-tuple reused) */
		memset(&cn->side[from], 0, sizeof cn->side[from]);
		cn->side[from].have_base = 1;
		cn->side[from].base = seg->seq;
	} else if (!cn->side[from].have_base) {
		/* no SYN seen: the first byte seen is 1, as Wireshark counts */
		cn->side[from].have_base = 1;
		cn->side[from].base = seg->seq - 1;
	}
	if ((seg->flags & TCP_ACK) && !cn->side[!from].have_base) {
		cn->side[!from].have_base = 1;
		cn->side[!from].base = seg->ack - 1;
	}
	if (seg->wirelen) {
		struct side *sd = &cn->side[from];
		unsigned k = sd->nring++ % RING;
		sd->ring[k] = pkt->frame;
		sd->ring_seq[k] = seg->seq - sd->base;
		sd->ring_len[k] = seg->wirelen;
	}
	s->cur_conn = cn;
	s->cur_from = from;
}

/* The side of a connection that sent in direction dir of flow fl, or NULL. */
static struct side *side_of(struct detail *s, const struct reasm_flow *fl, int dir)
{
	struct endpoint c, br;
	struct conn *cn;
	int from;

	ep_of(&c, &fl->client, fl->client_port);
	ep_of(&br, &fl->broker, fl->broker_port);
	cn = conn_of(s, dir == REASM_TO_BROKER ? &c : &br, dir == REASM_TO_BROKER ? &br : &c, 0,
		     &from);
	return cn ? &cn->side[from] : NULL;
}

/* "[N Reassembled TCP Segments (T bytes): #a(x), #b(y)]": the frames that carried a message
 * and how many of its bytes each, as tshark shows them; without the byte counts when the
 * message's place in the stream is not known. */
static void reassembled_line(struct detail *s, const struct mqtt_record *rec,
			     const struct side *sd, uint64_t start, uint32_t total)
{
	uint64_t fr[RING];
	uint32_t used[RING];
	unsigned idx[RING], n = 0, more = 0;
	int counts = sd && !sd->offsets_lost && rec->length_known && !rec->incomplete;

	if (counts) {
		/* every segment held whose bytes fall in the message, wherever it arrived
		 * (an out-of-order one may come before the message's first byte did) */
		unsigned k = sd->nring < RING ? sd->nring : RING;
		for (unsigned i = sd->nring - k; i < sd->nring; i++)
			if (sd->ring[i % RING] <= rec->at.frame)
				idx[n++] = i % RING;
	}
	if (counts && n) {
		/* in stream order; each segment counts the bytes of the message it holds
		 * (overlapping segments both count the overlap, as tshark shows them); one
		 * that adds nothing new (a retransmission) is left out */
		uint64_t covered = start, end = start + total;
		unsigned m = 0;
		for (unsigned i = 1; i < n; i++)
			for (unsigned j = i; j > 0 && sd->ring_seq[idx[j]] < sd->ring_seq[idx[j - 1]]; j--) {
				unsigned t = idx[j];
				idx[j] = idx[j - 1];
				idx[j - 1] = t;
			}
		for (unsigned i = 0; i < n; i++) {
			uint64_t a = (uint64_t)sd->ring_seq[idx[i]] - 1, b = a + sd->ring_len[idx[i]];
			if (a > covered)
				break; /* a hole: the ring no longer holds every segment */
			if (a < start)
				a = start;
			if (b > end)
				b = end;
			if (b <= covered)
				continue;
			fr[m] = sd->ring[idx[i]];
			used[m++] = (uint32_t)(b - a);
			covered = b;
		}
		int has_last = 0;
		for (unsigned i = 0; i < m; i++)
			has_last |= fr[i] == rec->at.frame;
		if (covered == end && has_last) {
			report_buf_printf(&s->body, "[%u Reassembled TCP Segments (%" PRIu32 " bytes):",
					  m, total);
			for (unsigned i = 0; i < m; i++)
				report_buf_printf(&s->body, "%s #%" PRIu64 "(%" PRIu32 ")", i ? "," : "",
						  fr[i], used[i]);
			report_buf_puts(&s->body, "]\n");
			return;
		}
	}
	n = 0;
	if (sd) {
		unsigned k = sd->nring < RING ? sd->nring : RING;
		for (unsigned i = sd->nring - k; i < sd->nring; i++) {
			uint64_t f2 = sd->ring[i % RING];
			if (f2 >= rec->first_frame && f2 <= rec->at.frame)
				fr[n++] = f2;
		}
		more = n == RING && fr[0] != rec->first_frame;
	}
	if (n == 0 || fr[n - 1] != rec->at.frame)
		fr[n < RING ? n++ : RING - 1] = rec->at.frame;
	if (more)
		report_buf_printf(&s->body, "[Reassembled TCP Segments (%" PRIu32 " bytes): #%"
				  PRIu64 " \xe2\x80\xa6", total, rec->first_frame);
	else
		report_buf_printf(&s->body, "[%u Reassembled TCP Segments (%" PRIu32 " bytes):", n,
				  total);
	for (unsigned i = 0; i < n; i++)
		report_buf_printf(&s->body, "%s #%" PRIu64, i || more ? "," : "", fr[i]);
	report_buf_puts(&s->body, "]\n");
}

/* ---- secrets in -x ------------------------------------------------------------------ */

#define SPANS 16

/* n mask flags, cleared, in a buffer reused from call to call; NULL when memory runs out
 * (the caller then hides every byte). */
static uint8_t *mask_buf(uint8_t **m, size_t *cap, size_t n)
{
	if (n > *cap) {
		uint8_t *nm = budget_realloc(*m, n, "-V/-x");
		if (!nm)
			return NULL;
		*m = nm;
		*cap = n;
	}
	memset(*m, 0, n);
	return *m;
}

/* The secret spans of rec into *sp (the local array sp0, or an allocated one when there
 * are more: free it if it is not sp0). Returns how many; SIZE_MAX when they could not all
 * be held (then hide the whole message). */
static size_t secrets_of(const struct mqtt_record *rec, struct report_span *sp0,
			 struct report_span **sp)
{
	size_t n = report_secret_spans(rec, sp0, SPANS);

	*sp = sp0;
	if (n > SPANS) {
		if (!(*sp = budget_malloc(n * sizeof **sp, "-V/-x")))
			return SIZE_MAX;
		report_secret_spans(rec, *sp, n);
	}
	return n;
}

/* Where the message's bytes lie in the frame's TCP payload: its bytes [*mfrom, *mfrom +
 * *len) are the payload's from *pfrom. Tried in turn: the framer's view into the segment
 * itself, then the message's stream offset (start, when offsets_ok) against the
 * segment's, checked byte for byte. Returns 0 when placed, -1 when not (bytes decrypted
 * from TLS, unmasked from WebSocket frames, or gathered from several segments with the
 * offsets lost). Linear in the message's bytes in the segment. */
static int place(struct detail *s, const struct mqtt_record *rec, uint64_t start, int offsets_ok,
		 size_t *mfrom, size_t *pfrom, size_t *len)
{
	const struct tcp_seg *seg = &s->cur;
	const uint8_t *pay = seg->payload;
	size_t pn = seg->paylen;

	if (!s->pkt || !s->have_cur || !s->cur_conn || !pay || !pn || !rec->have)
		return -1;
	{
		/* a view into the segment as frame_begin saw it (compared as numbers: that data
		 * may be gone), checked against the copy */
		uintptr_t r = (uintptr_t)rec->raw, o = s->orig_payload;
		if (r >= o && r - o < pn && rec->have <= pn - (r - o) &&
		    !memcmp(pay + (r - o), rec->raw, rec->have)) {
			*mfrom = 0;
			*pfrom = r - o;
			*len = rec->have;
			return 0;
		}
	}
	if (offsets_ok) {
		/* the segment's first byte is at stream offset (relative sequence number - 1) */
		const struct side *sd = &s->cur_conn->side[s->cur_from];
		uint64_t ss = (uint64_t)(uint32_t)(seg->seq - sd->base - 1);
		uint64_t lo = start > ss ? start : ss;
		uint64_t hi = start + rec->have < ss + pn ? start + rec->have : ss + pn;
		if (lo < hi && !memcmp(pay + (lo - ss), rec->raw + (lo - start), hi - lo)) {
			*mfrom = (size_t)(lo - start);
			*pfrom = (size_t)(lo - ss);
			*len = (size_t)(hi - lo);
			return 0;
		}
	}
	return -1;
}

/* Mark payload bytes [from, from + n) of the frame as secret. */
static void mask_payload(struct detail *s, size_t from, size_t n)
{
	size_t base = (size_t)(s->cur.payload - s->pkt->data);

	if (!s->fmask_used) {
		if (!mask_buf(&s->fmask, &s->fmask_cap, s->pkt->caplen)) {
			s->fmask_cap = 0; /* no memory: the dump is left out (frame_end) */
			s->fmask_used = -1;
			return;
		}
		s->fmask_used = 1;
	}
	if (s->fmask_used < 0)
		return;
	if (from > s->cur.paylen)
		return;
	if (n > s->cur.paylen - from)
		n = s->cur.paylen - from;
	memset(s->fmask + base + from, 1, n);
}

/* A message in this frame: mask its secrets in the frame's dump and in its own (when it
 * was reassembled: written to s->hex). */
static void mask_message(struct detail *s, const struct mqtt_record *rec, const struct side *sd,
			 uint64_t start, int offsets_ok)
{
	struct report_span sp0[SPANS], *sp;
	size_t n = secrets_of(rec, sp0, &sp), mfrom = 0, pfrom = 0, len = 0;
	int placed = place(s, rec, start, offsets_ok, &mfrom, &pfrom, &len) == 0;

	if (placed && s->have_cur && sd == &s->cur_conn->side[s->cur_from] &&
	    pfrom + len > s->placed_end) {
		s->placed_end = pfrom + len;
		s->tail_version = rec->version;
	}
	if (n == 0)
		return;
	if (rec->flow->in_tls) {
		/* the frame holds the message encrypted: nothing of it to hide there */
	} else if (placed && n != SIZE_MAX) {
		for (size_t i = 0; i < n; i++) {
			size_t a = sp[i].off, b = a + sp[i].len;
			if (a < mfrom)
				a = mfrom;
			if (b > mfrom + len)
				b = mfrom + len;
			if (a < b)
				mask_payload(s, pfrom + (a - mfrom), b - a);
		}
	} else if (s->pkt && rec->at.frame == s->pkt->frame && s->have_cur) {
		/* its bytes cannot be placed in the segment that ends it: hide them all */
		mask_payload(s, 0, s->cur.paylen);
	}
	if (sp != sp0 && n != SIZE_MAX)
		free(sp);
	(void)sd;
}

/* The end of the frame's segment after its last placed message: the start of one that
 * ends in a later frame. A CONNECT or AUTH there has its secrets (as far as its bytes
 * here go) masked now: this dump is printed before the message is whole. */
static void mask_tail(struct detail *s)
{
	struct mqtt_record tail;
	struct report_span sp0[SPANS], *sp;
	size_t n;

	if (!s->placed_end || !s->have_cur || s->placed_end >= s->cur.paylen)
		return;
	memset(&tail, 0, sizeof tail);
	tail.raw = s->cur.payload + s->placed_end;
	tail.have = (uint32_t)(s->cur.paylen - s->placed_end);
	tail.version = s->tail_version;
	if ((n = secrets_of(&tail, sp0, &sp)) == SIZE_MAX) {
		mask_payload(s, s->placed_end, tail.have);
		return;
	}
	for (size_t i = 0; i < n; i++)
		mask_payload(s, s->placed_end + sp[i].off, sp[i].len);
	if (sp != sp0)
		free(sp);
}

/* A dump of n bytes with their mask (or NULL), then how many were masked. */
static void dump(struct report_buf *b, const uint8_t *p, size_t n, const uint8_t *mask)
{
	size_t k = report_hexdump_masked(p, n, mask, b);
	if (k)
		report_buf_printf(b, "[%zu secret bytes masked (password, Authentication Data): "
				  "--show-secrets shows them]\n", k);
}

static void frame_header(struct detail *s, const struct cap_pkt *pkt, const struct tcp_seg *seg,
			 struct report_buf *l)
{
	struct conn *cn = s->cur_conn;
	int from = s->cur_from;
	char a[64], b2[64], lk[512];
	size_t n;

	report_buf_printf(l, "Frame %" PRIu64 ": %" PRIu32 " bytes on wire (%" PRIu64 " bits), %"
			  PRIu32 " bytes captured (%" PRIu64 " bits)\n", pkt->frame, pkt->len,
			  (uint64_t)pkt->len * 8, pkt->caplen, (uint64_t)pkt->caplen * 8);
	n = decode_link_text(pkt, lk, sizeof lk);
	report_buf_put(l, lk, n);
	if (!seg || !cn)
		return;
	tcp_addr_str(&seg->src, a, sizeof a);
	tcp_addr_str(&seg->dst, b2, sizeof b2);
	report_buf_printf(l, "Internet Protocol Version %u, Src: %s, Dst: %s\n", seg->src.family,
			  a, b2);
	report_buf_printf(l, "Transmission Control Protocol, Src Port: %u, Dst Port: %u, Seq: %"
			  PRIu32, seg->sport, seg->dport, seg->seq - cn->side[from].base);
	if (seg->flags & TCP_ACK)
		report_buf_printf(l, ", Ack: %" PRIu32, seg->ack - cn->side[!from].base);
	report_buf_printf(l, ", Len: %" PRIu32 "\n", seg->wirelen);
}

/* A message given after its frame went out: printed at once, under that frame's header
 * lines (kept for the last HDR_CACHE frames with a payload), not under the frame of the
 * moment. What message() added to the body and the dumps from body0 and hex0 on is its. */
static void late_block(struct detail *s, const struct mqtt_record *rec, size_t body0,
		       size_t hex0)
{
	const struct report_buf *h = &s->hdr[rec->at.frame % HDR_CACHE].text;

	s->nitems--;
	if (s->d.tree) {
		if (s->o.blank_before)
			fputc('\n', s->o.out);
		if (s->hdr[rec->at.frame % HDR_CACHE].frame == rec->at.frame)
			fwrite(h->p, 1, h->len, s->o.out);
		else
			fprintf(s->o.out, "Frame %" PRIu64 ": %" PRIu32 " bytes on wire (%" PRIu64
				" bits)\n", rec->at.frame, rec->at.len, (uint64_t)rec->at.len * 8);
		fwrite(s->body.p + body0, 1, s->body.len - body0, s->o.out);
	}
	if (s->d.hex && s->hex.len > hex0) {
		/* the reassembled message's dump (the frame's own bytes are gone) */
		if (s->d.tree)
			fputc('\n', s->o.out);
		else if (s->o.blank_before)
			fputc('\n', s->o.out);
		fwrite(s->hex.p + hex0, 1, s->hex.len - hex0, s->o.out);
	}
	if ((s->d.tree || (s->d.hex && s->hex.len > hex0)) && s->o.blank_after)
		fputc('\n', s->o.out);
	if (s->o.line_buffered)
		fflush(s->o.out);
	s->body.len = body0;
	s->hex.len = hex0;
}

static void message(void *ctx, const struct mqtt_record *rec)
{
	struct detail *s = ctx;
	struct side *sd = side_of(s, rec->flow, rec->dir);
	uint32_t total = rec->length_known ? rec->msg.hdr.hdrlen + rec->msg.hdr.remlen : rec->have;
	uint64_t start = sd ? sd->next_off : 0;
	int offsets_ok = sd && !sd->offsets_lost;

	size_t body0 = s->body.len, hex0 = s->hex.len;
	int late = !s->in_frame || rec->at.frame != s->frame_no;

	s->nitems++;
	if (s->d.hex && !s->o.show_secrets && !late)
		mask_message(s, rec, sd, start, offsets_ok);
	if (sd) {
		if (rec->length_known && !rec->incomplete)
			sd->next_off += total;
		else
			sd->offsets_lost = 1;
	}
	if (rec->first_frame != rec->at.frame) {
		reassembled_line(s, rec, sd, start, total);
		if (s->d.hex) {
			const uint8_t *m = NULL;
			report_buf_printf(&s->hex, "Reassembled TCP (%" PRIu32 " bytes):\n", rec->have);
			if (!s->o.show_secrets) {
				struct report_span sp0[SPANS], *sp;
				size_t n = secrets_of(rec, sp0, &sp);
				if (n && (m = mask_buf(&s->rmask, &s->rmask_cap, rec->have))) {
					for (size_t i = 0; i < n && n != SIZE_MAX; i++)
						memset(s->rmask + sp[i].off, 1, sp[i].len);
					if (n == SIZE_MAX)
						memset(s->rmask, 1, rec->have);
				}
				if (sp != sp0 && n != SIZE_MAX)
					free(sp);
				if (n && !m)
					goto hidden; /* no memory for the mask: no dump */
			}
			dump(&s->hex, rec->raw, rec->have, m);
		}
	hidden:;
	}
	tree_of(rec, s->o.show_secrets, &s->body);
	if (late)
		late_block(s, rec, body0, hex0);
}

static void event(void *ctx, const struct framer_event *ev)
{
	struct detail *s = ctx;

	if (ev->kind == FRAMER_EV_GAP || ev->kind == FRAMER_EV_SKIPPED ||
	    ev->kind == FRAMER_EV_OVERSIZE || ev->kind == FRAMER_EV_MEMORY) {
		struct side *sd = side_of(s, ev->flow, ev->dir);
		if (sd)
			sd->offsets_lost = 1;
	}
	switch (ev->kind) {
	case FRAMER_EV_GAP:
		report_buf_printf(&s->body, "[mqttdump: %" PRIu64 " bytes %s at stream offset %"
				  PRIu64 "]\n", ev->len, ev->cause == REASM_GAP_SNAPLEN ?
				  "cut by the snap length" : ev->cause == REASM_GAP_BUDGET ?
				  "given up (--max-memory: held out of order)" :
				  "not captured (lost segments)",
				  ev->offset);
		break;
	case FRAMER_EV_SKIPPED:
		report_buf_printf(&s->body, "[mqttdump: %" PRIu64 " bytes skipped at stream offset %"
				  PRIu64 ": %s]\n", ev->len, ev->offset, ev->text);
		break;
	case FRAMER_EV_MEMORY:
		report_buf_printf(&s->body, "[mqttdump: %" PRIu64 " bytes at stream offset %"
				  PRIu64 " not decoded: %s]\n", ev->len, ev->offset, ev->text);
		break;
	default:
		return;
	}
	s->nitems++;
}

static void frame_end(void *ctx, const struct cap_pkt *pkt, const struct tcp_seg *seg)
{
	struct detail *s = ctx;
	int cached = 0;

	if (!s->cur_conn)
		seg = NULL;
	s->in_frame = 0;
	if (s->d.tree && seg && seg->wirelen) {
		/* kept for a message of this frame that is found only later */
		s->hdr[pkt->frame % HDR_CACHE].frame = pkt->frame;
		s->hdr[pkt->frame % HDR_CACHE].text.len = 0;
		frame_header(s, pkt, seg, &s->hdr[pkt->frame % HDR_CACHE].text);
		cached = 1;
	}
	if (s->nitems) {
		struct report_buf *l = &s->line;
		l->len = 0;
		if (s->o.blank_before)
			fputc('\n', s->o.out);
		if (s->d.tree) {
			if (cached)
				report_buf_put(l, s->hdr[pkt->frame % HDR_CACHE].text.p,
					       s->hdr[pkt->frame % HDR_CACHE].text.len);
			else
				frame_header(s, pkt, seg, l);
			fwrite(l->p, 1, l->len, s->o.out);
			fwrite(s->body.p, 1, s->body.len, s->o.out);
		}
		if (s->d.hex) {
			l->len = 0;
			if (s->hex.len)
				report_buf_printf(l, "Frame (%" PRIu32 " bytes):\n", pkt->caplen);
			if (!s->o.show_secrets)
				mask_tail(s);
			if (s->fmask_used >= 0)
				dump(l, pkt->data, pkt->caplen, s->fmask_used ? s->fmask : NULL);
			else
				report_buf_puts(l, "[the frame's dump is left out: no memory to mask "
						"its secrets]\n");
			if (s->hex.len)
				report_buf_put(l, s->hex.p, s->hex.len);
			if (s->d.tree)
				fputc('\n', s->o.out);
			fwrite(l->p, 1, l->len, s->o.out);
		}
		if (s->o.blank_after)
			fputc('\n', s->o.out);
		if (s->o.line_buffered)
			fflush(s->o.out);
	}
	s->nitems = 0;
	s->body.len = 0;
	s->hex.len = 0;
	s->fmask_used = 0;
	s->placed_end = 0;
	s->pkt = NULL;
}

static void finish(void *ctx)
{
	struct detail *s = ctx;

	/* messages the end of the capture completed (cut short): no frame of their own */
	if (s->nitems && s->d.tree) {
		if (s->o.blank_before)
			fputc('\n', s->o.out);
		fputs("[At the end of the capture]\n", s->o.out);
		fwrite(s->body.p, 1, s->body.len, s->o.out);
		if (s->hex.len)
			fwrite(s->hex.p, 1, s->hex.len, s->o.out);
		if (s->o.blank_after)
			fputc('\n', s->o.out);
	}
	s->nitems = 0;
	fflush(s->o.out);
}

static void dfree(void *ctx)
{
	struct detail *s = ctx;
	if (!s)
		return;
	report_buf_free(&s->body);
	report_buf_free(&s->hex);
	report_buf_free(&s->line);
	for (size_t i = 0; i < HDR_CACHE; i++)
		report_buf_free(&s->hdr[i].text);
	free(s->pdata);
	free(s->fmask);
	free(s->rmask);
	while (s->oldest)
		conn_drop(s, s->oldest);
	free(s->buckets);
	free(s);
}

int report_detail_new(const struct report_opts *o, const struct detail_opts *d,
		      struct reporter *r)
{
	struct detail *s = budget_calloc(1, sizeof *s, "-V/-x");

	if (!s || !(s->buckets = budget_calloc(CONN_BUCKETS, sizeof *s->buckets, "-V/-x"))) {
		free(s);
		return -1;
	}
	s->o = *o;
	s->d = *d;
	memset(r, 0, sizeof *r);
	r->ctx = s;
	r->frame_begin = frame_begin;
	r->message = message;
	r->event = event;
	r->frame_end = frame_end;
	r->finish = finish;
	r->free = dfree;
	return 0;
}
