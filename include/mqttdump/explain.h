/*
 * explain.h - the sentences of --explain, in English (explain_en.c, the message ids of
 * the catalogues) and in the process's language (po/LANG.po through gettext), and the
 * filling of their placeholders.
 *
 * Knows nothing but this. A sentence is a template with named placeholders "{topic}"
 * filled from a list of name/value pairs; every key has a sentence in every language
 * (tests/test_explain.c checks it; tests/explain_cover.py checks that the reporter fills
 * every placeholder it uses, on real captures).
 */
#ifndef MQTTDUMP_EXPLAIN_H
#define MQTTDUMP_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

enum explain_key {
	/* pieces */
	EX_PAYLOAD_TEXT,        /* {text}: a quoted payload */
	EX_PAYLOAD_BINARY,      /* {n} */
	EX_PAYLOAD_EMPTY,
	EX_SUB_FILTER,          /* {topic} {qos} */
	EX_LIST_SEP,            /* between items of a list */
	EX_GRANTED,             /* {qos} */
	EX_GRANT_REFUSED,       /* {reason} */
	EX_MATCH_ITEM,          /* {topic} {qos}: a subscription that matched, its granted QoS */
	EX_CLOSE_FIN,           /* how a TCP connection closed */
	EX_CLOSE_RST,
	/* CONNECT */
	EX_CONNECT,             /* {client} {version} {keepalive} */
	EX_CONNECT_NO_KEEPALIVE,/* {client} {version} */
	EX_CONNECT_PERSISTENT,  /* clean session not set (3.1, 3.1.1) */
	EX_CONNECT_CLEAN_START_0, /* 5.0: Clean Start not set */
	EX_CONNECT_EXPIRY,      /* {expiry}: 5.0 Session Expiry Interval */
	EX_CONNECT_EXPIRY_NEVER,/* 5.0: Session Expiry Interval 0xFFFFFFFF */
	EX_CONNECT_NO_EXPIRY,   /* 5.0: Clean Start not set, no Session Expiry Interval */
	EX_CONNECT_USER_PASS,   /* {user} {pwlen} */
	EX_CONNECT_USER,        /* {user} */
	EX_CONNECT_USER_PASS_TLS, /* {user} {pwlen}: the same inside TLS */
	EX_CONNECT_USER_TLS,    /* {user} */
	EX_CONNECT_EMPTY_ID,    /* an empty client identifier, 3.1 / 3.1.1 */
	EX_CONNECT_EMPTY_ID_V5, /* an empty client identifier, 5.0 */
	EX_CONNECT_WILL,        /* {will_topic} {payload} {qos} */
	EX_CONNECT_WILL_RETAIN,
	/* CONNACK */
	EX_CONNACK_OK,          /* {client} */
	EX_CONNACK_SESSION,
	EX_CONNACK_ASSIGNED,    /* {assigned}: MQTT 5.0 Assigned Client Identifier */
	EX_CONNACK_REFUSED,     /* {client} {reason} {code} */
	EX_REFUSED_VERSION,
	EX_REFUSED_ID,
	EX_REFUSED_UNAVAILABLE,
	EX_REFUSED_BAD_LOGIN,
	EX_REFUSED_NOT_AUTHORIZED,
	/* PUBLISH: client to broker (C2B) and broker to client (B2C), by QoS */
	EX_PUB0_C2B,            /* {client} {payload} {topic} */
	EX_PUB0_B2C,
	EX_PUB1_C2B,            /* ... {id} */
	EX_PUB1_B2C,
	EX_PUB2_C2B,
	EX_PUB2_B2C,
	EX_PUB_RETAIN_C2B,      /* {topic} */
	EX_PUB_RETAIN_B2C,
	EX_PUB_RETAIN_RAP,      /* {topic}: 5.0, a subscription with Retain As Published */
	EX_PUB_RETAIN_CLEAR,    /* {topic} */
	EX_PUB_DUP,
	EX_PUB_RESPONSE_TOPIC,  /* {response_topic}: a request with Correlation Data */
	EX_PUB_RESPONSE_NO_CORR,/* {response_topic}: a request without */
	EX_PUB_CORRELATION,     /* Correlation Data without a Response Topic: an answer */
	EX_PUB_TOPIC_ALIAS,     /* {topic} */
	EX_PUB_IS_WILL,         /* {owner}: the broker publishes the will of a client gone */
	EX_PUB_HOP,             /* {client}: a publisher's QoS covers its hop to the broker */
	EX_PUB_MATCHED,         /* {client} {matches}: the subscriptions that brought it */
	EX_PUB_FROM_SESSION,    /* {topic}: none on this connection; Session Present said */
	EX_PUB_MATCHED_PENDING, /* {matches}: subscriptions not acknowledged yet that match */
	EX_PUB_PENDING_SESSION, /* ... and Session Present was said */
	EX_PUB_DOWNGRADE,       /* {publisher} {pub_qos} {client} {max_qos} {qos} */
	/* acknowledgements */
	EX_PUBACK_C2B,          /* {client} {id} */
	EX_PUBACK_B2C,
	EX_PUBREC_C2B,
	EX_PUBREC_B2C,
	EX_PUBREL_C2B,
	EX_PUBREL_B2C,
	EX_PUBCOMP_C2B,
	EX_PUBCOMP_B2C,
	EX_ACK_REASON,          /* {reason} {code}: an MQTT 5.0 acknowledgement that is not a success */
	/* subscriptions */
	EX_SUBSCRIBE,           /* {client} {filters} {id} */
	EX_SUB_WILDCARD,
	EX_SUBACK,              /* {client} {granted} {id} */
	EX_UNSUBSCRIBE,         /* {client} {filters} {id} */
	EX_UNSUBACK,            /* {client} {id} */
	/* keepalive */
	EX_PINGREQ,             /* {client} {keepalive} */
	EX_PINGREQ_NO_KEEPALIVE,/* {client} */
	EX_PINGRESP,            /* {client} */
	/* the end */
	EX_DISCONNECT_C2B,      /* {client} */
	EX_DISCONNECT_WILL,     /* {client} */
	EX_DISCONNECT_DROP_WILL,/* its CONNECT left a will */
	EX_DISCONNECT_B2C,      /* {client} {reason} {code} */
	EX_AUTH,                /* {reason} */
	EX_RESERVED,            /* {type} */
	/* a connection that ends without DISCONNECT (FIN, RST, the capture's end) */
	EX_CLOSED_BY_CLIENT,    /* {frame} {client} {how} */
	EX_CLOSED_BY_BROKER,    /* {frame} {client} {how} */
	EX_CLOSED_KEEPALIVE,    /* {client} {keepalive} {silence}: the broker's keep-alive close */
	EX_CLOSED_WILL,         /* the client's will is due */
	EX_CAPTURE_END,         /* {client}: still connected when the capture ends */
	/* TLS, as seen without and with the keys */
	EX_TLS_CLIENT_HELLO,    /* {sni} {versions} */
	EX_TLS_CLIENT_HELLO_NO_SNI, /* {versions} */
	EX_TLS_SERVER_HELLO,    /* {tls_version} {suite} */
	EX_TLS_CERT,            /* {subject} {issuer}: a certificate in clear (TLS 1.2) */
	EX_TLS_ENCRYPTED,       /* {length}: the first encrypted record, no keys */
	EX_TLS_DECRYPTED,       /* the first record decrypted with the key log */
	EX_TLS_ALERT,           /* {alert}: a fatal alert in clear */
	EX_TLS_CLOSE_NOTIFY,
	/* what went wrong */
	EX_WARNING,             /* {warning} */
	EX_INCOMPLETE,
	EX_MALFORMED,
	EX_COUNT
};

struct explain_table {
	const char *lang;                /* "en", "fr" */
	const char *const *text;         /* EX_COUNT templates */
};

extern const struct explain_table explain_en;

/* The English table for "en" (or NULL), else the table of the language i18n_init() chose
 * (its catalogue's translations; an English template where it has none). */
const struct explain_table *explain_table(const char *lang);

struct explain_var {
	const char *name;
	const char *value;
};

/* Fill tmpl's placeholders from vars into out (at most cap-1 bytes, always terminated).
 * Returns the number of placeholders that had no value (left as they were), so a caller
 * or a test can tell a sentence came out whole. */
int explain_fill(const char *tmpl, const struct explain_var *vars, size_t nvars, char *out,
		 size_t cap);

/* Does the topic filter f (fl bytes) match the topic name t (tl bytes), by MQTT 3.1.1 and
 * 5.0 §4.7 ("+" one level, "#" its level and all below, no wildcard at the first level
 * for a topic beginning with "$", a "$share/GROUP/" prefix left out)? 1 or 0. */
int explain_topic_matches(const char *f, size_t fl, const uint8_t *t, size_t tl);

#endif
