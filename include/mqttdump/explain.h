/*
 * explain.h - the sentences of --explain, one table per language (explain_en.c,
 * explain_fr.c), and the filling of their placeholders.
 *
 * Knows nothing but this. A sentence is a template with named placeholders "{topic}"
 * filled from a list of name/value pairs; every key has a sentence in every language
 * (tests/test_explain.c checks it; tests/explain_cover.py checks that the reporter fills
 * every placeholder it uses, on real captures).
 */
#ifndef MQTTDUMP_EXPLAIN_H
#define MQTTDUMP_EXPLAIN_H

#include <stddef.h>

enum explain_key {
	/* pieces */
	EX_PAYLOAD_TEXT,        /* {text}: a quoted payload */
	EX_PAYLOAD_BINARY,      /* {n} */
	EX_PAYLOAD_EMPTY,
	EX_SUB_FILTER,          /* {topic} {qos} */
	EX_LIST_SEP,            /* between items of a list */
	EX_GRANTED,             /* {qos} */
	EX_GRANT_REFUSED,       /* {reason} */
	/* CONNECT */
	EX_CONNECT,             /* {client} {version} {keepalive} */
	EX_CONNECT_NO_KEEPALIVE,/* {client} {version} */
	EX_CONNECT_PERSISTENT,  /* clean session not set */
	EX_CONNECT_USER_PASS,   /* {user} {pwlen} */
	EX_CONNECT_USER,        /* {user} */
	EX_CONNECT_WILL,        /* {will_topic} {payload} {qos} */
	EX_CONNECT_WILL_RETAIN,
	/* CONNACK */
	EX_CONNACK_OK,          /* {client} */
	EX_CONNACK_SESSION,
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
	EX_PUB_RETAIN_CLEAR,    /* {topic} */
	EX_PUB_DUP,
	EX_PUB_RESPONSE_TOPIC,  /* {response_topic} */
	EX_PUB_CORRELATION,     /* Correlation Data without a Response Topic: an answer */
	EX_PUB_TOPIC_ALIAS,     /* {topic} */
	EX_PUB_IS_WILL,         /* {owner}: the broker publishes the will of a client gone */
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
extern const struct explain_table explain_fr;

/* The table of a language ("en", "fr"); English for any other. */
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

#endif
