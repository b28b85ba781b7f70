/*
 * mqtt.h - MQTT 3.1, 3.1.1 and 5.0 control packet parser.
 *
 * Specs: MQTT 3.1 (IBM), MQTT 3.1.1 (OASIS, 2014), MQTT 5.0 (OASIS, 2019).
 *
 * The parser allocates nothing and copies nothing: every string, payload and list in a
 * struct mqtt_msg is a view (pointer + length) into the caller's buffer, valid for as long
 * as that buffer is. Reading goes through a bounds-checked cursor; a reader that runs out
 * of bytes returns MQTT_TRUNCATED and leaves its output untouched.
 */
#ifndef MQTTDUMP_MQTT_H
#define MQTTDUMP_MQTT_H

#include <stddef.h>
#include <stdint.h>

/* Result of every reader and parser. */
enum mqtt_rc {
	MQTT_OK = 0,
	MQTT_TRUNCATED,  /* needs more bytes than there are */
	MQTT_MALFORMED,  /* broken encoding: the bytes cannot be read as the field */
	MQTT_VIOLATION,  /* valid encoding, but not allowed here */
};

enum mqtt_type {
	MQTT_RESERVED0 = 0, MQTT_CONNECT, MQTT_CONNACK, MQTT_PUBLISH, MQTT_PUBACK,
	MQTT_PUBREC, MQTT_PUBREL, MQTT_PUBCOMP, MQTT_SUBSCRIBE, MQTT_SUBACK,
	MQTT_UNSUBSCRIBE, MQTT_UNSUBACK, MQTT_PINGREQ, MQTT_PINGRESP, MQTT_DISCONNECT,
	MQTT_AUTH,
};

/* Protocol levels as carried in CONNECT; 0 while not known. */
enum mqtt_version { MQTT_VUNKNOWN = 0, MQTT_V31 = 3, MQTT_V311 = 4, MQTT_V5 = 5 };

/* Largest remaining length the 4-byte variable integer can hold. */
#define MQTT_MAX_REMLEN 268435455u

struct mqtt_view {
	const uint8_t *p;
	uint32_t len;
};

/* A bounds-checked reading position: p moves towards end, never past it. */
struct mqtt_cursor {
	const uint8_t *p;
	const uint8_t *end;
};

/* A cursor over a view (an empty one for a view that points nowhere). */
static inline struct mqtt_cursor mqtt_cursor_of(struct mqtt_view v)
{
	struct mqtt_cursor c = { v.p, v.p ? v.p + v.len : NULL };
	return c;
}

int mqtt_get_u8(struct mqtt_cursor *c, uint8_t *out);
int mqtt_get_u16(struct mqtt_cursor *c, uint16_t *out);
int mqtt_get_u32(struct mqtt_cursor *c, uint32_t *out);
/* Variable Byte Integer: at most 4 bytes; a 5th continuation is MQTT_MALFORMED. */
int mqtt_get_varint(struct mqtt_cursor *c, uint32_t *out);
/* n raw bytes. */
int mqtt_get_raw(struct mqtt_cursor *c, uint32_t n, struct mqtt_view *out);
/* Binary Data: 2-byte length, then that many bytes. */
int mqtt_get_bytes(struct mqtt_cursor *c, struct mqtt_view *out);
/* UTF-8 Encoded String: as Binary Data. The view is returned even when the bytes are not
 * well-formed UTF-8 (check with mqtt_utf8_valid): a bad string is a warning, not a framing
 * error. */
int mqtt_get_utf8(struct mqtt_cursor *c, struct mqtt_view *out);

/* 1 when v is well-formed UTF-8 with no U+0000 and no surrogates [MQTT-1.5.4-1,2]. */
int mqtt_utf8_valid(struct mqtt_view v);
/* The same check, saying what is wrong: ill-formed UTF-8 (surrogates included) is
 * MQTT-1.5.4-1 in 5.0 and MQTT-1.5.3-1 in 3.1.1; U+0000 is MQTT-1.5.4-2 / MQTT-1.5.3-2. */
enum { MQTT_UTF8_OK = 0, MQTT_UTF8_BAD = 1, MQTT_UTF8_NUL = 2 };
int mqtt_utf8_check(struct mqtt_view v);
/* The length (1 to 4) of the well-formed UTF-8 sequence p starts with, or 0 when p starts
 * none (or n is 0). Any ASCII byte, NUL and control bytes included, is a sequence of 1: the
 * reporters that sanitise text for JSON, XML or a terminal decide about those. */
size_t mqtt_utf8_seq(const uint8_t *p, size_t n);

/* Fixed header: type, flags, remaining length and the header's own size (2..5). */
struct mqtt_fixhdr {
	uint8_t type;
	uint8_t flags;
	uint8_t hdrlen;
	uint32_t remlen;
};

/* Decode a fixed header at buf. MQTT_OK: *h is filled and the whole packet is
 * h->hdrlen + h->remlen bytes. MQTT_TRUNCATED: fewer than the header's bytes are there.
 * MQTT_MALFORMED: the remaining length runs past 4 bytes. */
int mqtt_fixed_header(const uint8_t *buf, size_t len, struct mqtt_fixhdr *h);

/* A warning about one packet: a rule it breaks, where, and in plain words. rule is a spec
 * normative statement id ("MQTT-3.3.1-4") or NULL; text is a static string. */
struct mqtt_warning {
	const char *rule;
	const char *text;
	uint32_t offset;   /* from the first byte of the packet */
	uint8_t malformed; /* 1: the packet could not be read to its end ("[Malformed Packet]") */
};

/* Room for the rules one packet breaks; a packet breaking more keeps the first ones (and a
 * warning that makes it malformed always replaces the last, so that one is never lost). */
#define MQTT_MAX_WARNINGS 8

/* ---- protocol tables -------------------------------------------------------------------
 * One table per protocol fact, read by the parser, its validation and every output:
 * packet types (names, labels, fixed-header flags, who sends them), properties (MQTT 5.0
 * 2.2.2.2: type, the packets that may carry them, whether they repeat, allowed values, the
 * section that states their rules) and reason codes per packet type and version (2.4; 3.1.1
 * 3.2.2.3 and 3.9.3). The tables live in src/mqtt_tables.c. */

/* Packet senders [2.1.2 Table 2-1]. */
enum { MQTT_FROM_CLIENT = 1, MQTT_FROM_SERVER = 2 };

struct mqtt_type_info {
	const char *name;  /* "PUBLISH" */
	const char *label; /* "Publish Message", as Wireshark labels it */
	uint8_t flags;     /* the fixed header flags it must carry [2.1.3]; PUBLISH: its own */
	uint8_t v5_only;   /* AUTH */
	uint8_t from;      /* MQTT_FROM_*: who may send it in 5.0 */
	uint8_t from3;     /* in 3.1 and 3.1.1 (DISCONNECT is the client's only) */
};

/* The row of a packet type (type & 0x0f: every value has one). */
const struct mqtt_type_info *mqtt_type_info(uint8_t type);
/* Who may send the type in that version: MQTT_FROM_* bits, 0 for a reserved type. */
unsigned mqtt_type_senders(uint8_t type, uint8_t version);

/* Property value types of MQTT 5 [2.2.2.2]. */
enum mqtt_ptype { MQTT_PT_BYTE, MQTT_PT_U16, MQTT_PT_U32, MQTT_PT_VARINT, MQTT_PT_UTF8,
		  MQTT_PT_BINARY, MQTT_PT_PAIR };

/* MQTT 5.0 property identifiers [2.2.2.2 Table 2-4]. */
enum mqtt_prop_id {
	MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01,
	MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 0x02,
	MQTT_PROP_CONTENT_TYPE = 0x03,
	MQTT_PROP_RESPONSE_TOPIC = 0x08,
	MQTT_PROP_CORRELATION_DATA = 0x09,
	MQTT_PROP_SUBSCRIPTION_IDENTIFIER = 0x0b,
	MQTT_PROP_SESSION_EXPIRY_INTERVAL = 0x11,
	MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER = 0x12,
	MQTT_PROP_SERVER_KEEP_ALIVE = 0x13,
	MQTT_PROP_AUTHENTICATION_METHOD = 0x15,
	MQTT_PROP_AUTHENTICATION_DATA = 0x16,
	MQTT_PROP_REQUEST_PROBLEM_INFORMATION = 0x17,
	MQTT_PROP_WILL_DELAY_INTERVAL = 0x18,
	MQTT_PROP_REQUEST_RESPONSE_INFORMATION = 0x19,
	MQTT_PROP_RESPONSE_INFORMATION = 0x1a,
	MQTT_PROP_SERVER_REFERENCE = 0x1c,
	MQTT_PROP_REASON_STRING = 0x1f,
	MQTT_PROP_RECEIVE_MAXIMUM = 0x21,
	MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22,
	MQTT_PROP_TOPIC_ALIAS = 0x23,
	MQTT_PROP_MAXIMUM_QOS = 0x24,
	MQTT_PROP_RETAIN_AVAILABLE = 0x25,
	MQTT_PROP_USER_PROPERTY = 0x26,
	MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27,
	MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28,
	MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29,
	MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE = 0x2a,
};
#define MQTT_PROP_ID_MAX 0x2a

/* Where a property block is, for the packet sets below: a packet type 1..15, or the will
 * properties of a CONNECT. MQTT_IN(w) is its bit. */
#define MQTT_WILL_PROPS 16
#define MQTT_IN(where) (1u << (where))

/* The values a property may take beyond its type. */
enum mqtt_prop_values {
	MQTT_PV_ANY = 0,
	MQTT_PV_BOOL,    /* 0 or 1 */
	MQTT_PV_NONZERO, /* anything but 0 */
};

struct mqtt_prop_info {
	uint8_t id;
	uint8_t ptype;           /* enum mqtt_ptype */
	uint8_t values;          /* enum mqtt_prop_values */
	const char *name;        /* the specification's: "Message Expiry Interval" */
	const char *label;       /* tshark 4.0's tree: "Publication Expiry Interval" */
	const char *value_label; /* the name tshark gives its value: "Value", "Topic Alias" */
	const char *key;         /* JSON: "message_expiry_interval" */
	uint32_t in;             /* MQTT_IN() of every place that may carry it */
	uint32_t repeats_in;     /* MQTT_IN() of the places where it may appear more than once */
	/* the texts of the warnings about it: "Topic Alias not allowed in this packet type",
	 * "... not allowed in will properties", "... more than once", "... of 0" or "...
	 * other than 0 or 1" (as its values say; NULL for MQTT_PV_ANY) */
	const char *text_where, *text_will, *text_twice, *text_value;
};

/* The row of a property identifier, NULL when id is not one. */
const struct mqtt_prop_info *mqtt_prop_info(uint8_t id);
const char *mqtt_prop_name(uint8_t id);     /* "Session Expiry Interval" */
const char *mqtt_prop_label(uint8_t id);    /* tshark's label */
const char *mqtt_prop_key(uint8_t id);      /* "session_expiry_interval" */
/* 1 when the property id may appear more than once in some packet (JSON shows it as an
 * array): User Property and Subscription Identifier. */
int mqtt_prop_repeats(uint8_t id);
/* The section of MQTT 5.0 that defines property id in a block at where (a packet type or
 * MQTT_WILL_PROPS), as a rule id ("MQTT-3.2.2.3.3"); NULL when it is not allowed there. */
const char *mqtt_prop_section(uint8_t where, uint8_t id);

/* The reason codes readers look for by meaning [2.4]. */
enum { MQTT_RC_SUCCESS = 0x00, MQTT_RC_DISCONNECT_WITH_WILL = 0x04 };

/* Reason codes (5.0) and return codes (3.1, 3.1.1) a packet type may carry. */
struct mqtt_reason {
	uint8_t code;
	uint8_t v5;    /* 1: a 5.0 Reason Code [2.4 Table 2-6]; 0: a 3.1/3.1.1 return code */
	uint16_t in;   /* MQTT_IN() of the packet types it is defined for */
	const char *name;
};

/* 1 when code is defined for packets of type in that version (MQTT_VUNKNOWN reads as
 * 3.1.1; 3.1 has 3.1.1's codes). */
int mqtt_code_valid(uint8_t type, uint8_t version, uint8_t code);
/* The rule a code not defined for the type breaks ("MQTT-3.4.2-1"), NULL for types that
 * carry no code in that version. */
const char *mqtt_code_rule(uint8_t type, uint8_t version);

struct mqtt_prop {
	uint8_t id;
	uint8_t ptype;       /* enum mqtt_ptype */
	uint32_t num;        /* BYTE, U16, U32, VARINT */
	struct mqtt_view str;  /* UTF8, BINARY, PAIR's name */
	struct mqtt_view str2; /* PAIR's value */
};

/*
 * One decoded control packet. Which fields mean something depends on type; the has_*
 * flags say which optional parts were present. Views point into the buffer passed to
 * mqtt_parse.
 */
struct mqtt_msg {
	struct mqtt_fixhdr hdr;
	uint8_t version;       /* enum mqtt_version the packet was read as */

	uint8_t has_msgid;
	uint16_t msgid;

	/* CONNECT */
	struct mqtt_view proto_name;
	uint8_t proto_level;
	uint8_t connect_flags;
	uint16_t keepalive;
	struct mqtt_view clientid;
	uint8_t has_will;
	struct mqtt_view will_props;
	uint8_t has_will_props;
	struct mqtt_view will_topic;
	struct mqtt_view will_payload;
	uint8_t has_username, has_password;
	struct mqtt_view username;
	struct mqtt_view password;

	/* CONNACK */
	uint8_t ack_flags;

	/* Return/reason code: CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH. */
	uint8_t has_code;
	uint8_t code;

	/* PUBLISH */
	uint8_t qos, retain, dup;
	struct mqtt_view topic;
	struct mqtt_view payload;

	/* SUBSCRIBE (filter + options), UNSUBSCRIBE (filters), SUBACK/UNSUBACK (codes): the
	 * raw list, read back with mqtt_next_sub / mqtt_next_filter / one byte per code. */
	struct mqtt_view list;
	uint32_t list_count;

	/* MQTT 5 properties of the packet (not the will's). A block whose Property Length was
	 * read is kept even when the packet ends inside it: props then holds the bytes up to
	 * the end, and props_len (the length the block declares) is more than props.len. */
	uint8_t has_props;
	struct mqtt_view props;
	uint32_t props_len, will_props_len;

	uint8_t nwarn;
	struct mqtt_warning warn[MQTT_MAX_WARNINGS];

	/* A property block whose length runs past the packet (malformed): which one
	 * (MQTT_CUT_PROPS, MQTT_CUT_WILL_PROPS, 0: none), the length it claims, and in props
	 * or will_props the bytes the packet has of it (has_props, has_will_props stay 0). */
	uint8_t cut_block;
	uint32_t cut_block_len;
	/* Where reading stopped when a field runs past the packet or is broken (malformed):
	 * its offset from the packet's first byte; 0 when every field was read. The fields
	 * before it are set (a string field not read has a NULL view). */
	uint32_t stop_off;
};

enum { MQTT_CUT_PROPS = 1, MQTT_CUT_WILL_PROPS = 2 };

/*
 * Parse one whole control packet: buf holds the fixed header and exactly h->remlen more
 * bytes (len == hdrlen + remlen). version is the connection's protocol level (from its
 * CONNECT), MQTT_VUNKNOWN when not seen: then 3.1.1 rules apply. A CONNECT is read with
 * the level it carries.
 *
 * Returns MQTT_OK when every field could be read (warnings may still be set for rules
 * broken), MQTT_MALFORMED when the packet ends before its fields do, or when a property
 * block holds an identifier that is not a property (its length cannot be known): then m
 * holds what was read and a warning with malformed=1. A block with an unknown identifier is
 * kept whole in m (has_props or has_will_props is set; mqtt_next_prop reads the properties
 * before it) and reading goes on after the block, whose length is known. A block the
 * packet ends inside is kept too, cut at the packet's end (props_len > props.len).
 *
 * MQTT 5.0 properties are checked against the property table: a property the packet type
 * may not carry, one that may not repeat appearing twice, a value outside those allowed
 * (zero where zero is forbidden, other than 0 or 1 for the flags) are warnings, and so is a
 * reason or return code not defined for the packet type in that version.
 */
int mqtt_parse(const uint8_t *buf, size_t len, uint8_t version, struct mqtt_msg *m);

/* 1 when buf (a whole packet, as for mqtt_parse) reads as that version with no warning at
 * all: mqtt_parse would return MQTT_OK with nwarn == 0. It stops at the first rule broken,
 * for the framer's search for a packet boundary. */
int mqtt_parse_clean(const uint8_t *buf, size_t len, uint8_t version);

/* Iterators over m->list and property blocks. c starts as {view.p, view.p + view.len}.
 * Each returns MQTT_OK with the next item, MQTT_TRUNCATED at the end (or on a cut item). */
int mqtt_next_sub(struct mqtt_cursor *c, uint8_t version, struct mqtt_view *filter,
		  uint8_t *options);
int mqtt_next_filter(struct mqtt_cursor *c, struct mqtt_view *filter);
int mqtt_next_prop(struct mqtt_cursor *c, struct mqtt_prop *p);

/* The first property id in a block (a view of its properties, as m->props), or NULL when
 * the block has none before its end or before a property that cannot be read: *out holds
 * it, and the pointer returned is out. mqtt_find_prop looks in m's own properties (none
 * when !m->has_props), not the will's. */
const struct mqtt_prop *mqtt_find_prop_in(struct mqtt_view block, uint8_t id,
					  struct mqtt_prop *out);
const struct mqtt_prop *mqtt_find_prop(const struct mqtt_msg *m, uint8_t id,
				       struct mqtt_prop *out);

/* 1 when m could not be read to its end (a warning with malformed=1: "[Malformed Packet]"). */
int mqtt_malformed(const struct mqtt_msg *m);

/* Names, from the tables above. */
const char *mqtt_type_name(uint8_t type);   /* "PUBLISH" */
const char *mqtt_type_label(uint8_t type);  /* "Publish Message", as Wireshark labels it */
const char *mqtt_version_name(uint8_t version); /* "3.1", "3.1.1", "5.0", NULL */
/* Name of a CONNACK return code (3.1/3.1.1) or of a reason code (5.0) in a packet type.
 * A 5.0 code defined for other packet types only is still named (0x01 and 0x02, which
 * mean a granted QoS in SUBACK only, are not): mqtt_code_valid tells which are allowed. */
const char *mqtt_code_name(uint8_t type, uint8_t version, uint8_t code);
/* The name tshark's tree gives the code: NULL ("Unknown") when it is not defined for the
 * packet type in that version; 0x9E and 0xA2 in the singular, as tshark words them. */
const char *mqtt_code_label(uint8_t type, uint8_t version, uint8_t code);

/* Wireshark hands an MQTT 5.0 PUBLISH payload to the dissector of its Content Type; those
 * that show in the summary: the protocol column becomes "MQTT/JSON" or "MQTT/XML" (this
 * returns "JSON", "XML") or NULL, and mqtt_info appends their Info text. */
const char *mqtt_media_proto(const struct mqtt_msg *m);
/* The line that dissector's section has in tshark -O mqtt's tree, after the MQTT section
 * ("JavaScript Object Notation: application/json", "Line-based text data: text/plain
 * (1 lines)", "Data (8 bytes)"), written to out (cap bytes): 1, or 0 when there is none. */
int mqtt_media_tree(const struct mqtt_msg *m, char *out, size_t cap);

/* Append the Info text tshark shows for this message ("Publish Message (id=3) [a/b]") to
 * out, at most cap-1 bytes, always terminated. Returns the length it needed. */
size_t mqtt_info(const struct mqtt_msg *m, char *out, size_t cap);

/* 1 when the topic name (tlen bytes) matches the topic filter (flen bytes) [4.7]: "+" one
 * level, "#" (last) the level it stands at and every one below, the parent too ("a/#"
 * matches "a"); a filter starting with a wildcard does not match a topic starting with "$"
 * [MQTT-4.7.2-1]. The filter is taken as it is ("$share/GROUP/" is the caller's). */
int mqtt_topic_match(const char *filter, size_t flen, const uint8_t *topic, size_t tlen);

#endif
