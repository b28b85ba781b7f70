/*
 * transport.h - what carries MQTT on a connection: plain TCP, TLS, or WebSocket.
 *
 * Knows reasm.h, tls.h and ws.h. It sits between reassembly and the MQTT framer: it is a
 * reasm_sink (plug transport_reasm_sink() into reasm_new() with the transport as ctx),
 * and it calls the framer's reasm_sink with plain MQTT bytes only. Per connection it
 * decides, from the ports and the first bytes:
 *   TLS        a TLS record (0x16 0x03 ...) on any followed port; reported record by
 *              record; with keys (tls_keys), the decrypted application data goes on
 *   WebSocket  an HTTP "GET ... Upgrade: websocket" (any followed port), or frames on a
 *              WebSocket port; binary/text payloads are unmasked and go on
 *   MQTT       anything else on a broker port; on other ports (detect mode) a plausible
 *              CONNECT from the client
 * TLS bytes are never given to the framer. Facts about the transport (handshake steps,
 * alerts, application data, HTTP upgrade, WebSocket control frames, MQTT detected on a
 * port) go out as struct transport_event.
 */
#ifndef MQTTDUMP_TRANSPORT_H
#define MQTTDUMP_TRANSPORT_H

#include "mqttdump/reasm.h"
#include "mqttdump/tls.h"

#include <stddef.h>
#include <stdint.h>

struct tls_keylog; /* tlscrypto.h: secrets from an NSS key log file */

struct transport_config {
	const uint16_t *mqtt_ports;   /* -p: plain MQTT unless the bytes say TLS/WebSocket */
	size_t nmqtt;
	const uint16_t *tls_ports;    /* MQTT over TLS (8883) */
	size_t ntls;
	const uint16_t *ws_ports;     /* MQTT over WebSocket (8080, 9001) */
	size_t nws;
	int detect;                   /* other ports: MQTT when the client opens with CONNECT */
	const struct tls_keylog *keylog; /* NULL: TLS stays encrypted */
	const char *keylog_path;      /* its file: read again when a session's secrets are
				       * missing and it has changed (live capture) */
	struct budget *budget;        /* charged with TLS and HTTP buffers (BUDGET_TRANSPORT)
				       * and each connection's state (BUDGET_CONN); NULL: none */
};

enum transport_kind {
	TRANSPORT_UNDECIDED = 0, TRANSPORT_MQTT, TRANSPORT_TLS, TRANSPORT_WS, TRANSPORT_IGNORED,
};

enum transport_ev_kind {
	TRANSPORT_EV_TLS,        /* one TLS step: handshake message, CCS, alert, app data */
	TRANSPORT_EV_TLS_END,    /* a TLS session ended: what it was, how its handshake went */
	TRANSPORT_EV_HTTP,       /* the WebSocket upgrade request or response */
	TRANSPORT_EV_WS,         /* a WebSocket control frame (close, ping, pong) */
	TRANSPORT_EV_DETECTED,   /* detect mode: MQTT found on a port not named as a broker's */
	TRANSPORT_EV_ERROR,      /* the transport's framing was lost: its bytes are not read */
};

/* Everything is borrowed: valid only during the callback. */
struct transport_event {
	int kind;
	const struct reasm_flow *flow;
	int dir;                    /* enum reasm_dir: who sent it */
	struct frame_ref at;        /* the frame holding its last byte */
	const char *proto;          /* tshark's Protocol column: "TLSv1.2", "HTTP", ... */
	const char *info;           /* this step in words, as tshark's Info shows it */
	const char *note;           /* TLS_END: info in the text outputs' language (i18n.h);
				     * NULL for the other kinds */

	/* TLS, TLS_END */
	uint8_t content_type;       /* record content type (20..23) */
	uint8_t hs_type;            /* handshake message type, for content type 22 */
	uint8_t encrypted;          /* the record could not be read (no keys) */
	uint8_t decrypted;          /* the record was decrypted with the key log */
	uint16_t record_version;
	uint16_t version;           /* the session's version once known, else 0 */
	uint16_t suite;             /* once known, else 0 */
	uint32_t length;            /* record length (handshake: message length) */
	const struct tls_client_hello *ch;     /* Client Hello */
	const struct tls_server_hello *sh;     /* Server Hello */
	const struct tls_cert_facts *certs;    /* Certificate: the chain, in order */
	size_t ncerts;
	uint8_t alert_level, alert_desc;       /* Alert in clear */

	/* TLS_END */
	const char *sni;            /* "" when none */
	const char *handshake;      /* "complete", "failed", "incomplete", "encrypted" */
	const char *failure;        /* why it failed, in words; NULL */
	uint64_t app_records[2];    /* application data records per direction */
	uint64_t app_bytes[2];      /* their bytes */
	uint64_t decrypted_records[2];

	/* WS */
	uint8_t ws_opcode;
	uint8_t ws_fin, ws_masked;
	uint64_t ws_len;
	uint16_t close_code;        /* Connection Close: status code, 0 when none */

	/* DETECTED */
	uint16_t port;

	/* ERROR */
	const char *text;
};

struct transport_sink {
	void (*event)(void *ctx, const struct transport_event *ev);
};

struct transport_stats {
	uint64_t tls_sessions, tls_records, tls_decrypted, tls_failed, ws_sessions, ws_frames,
		 detected, ignored;
	uint64_t budget_drops, budget_bytes; /* buffers given up for the budget, their bytes */
};

struct transport;

/* inner/inner_ctx: the next stage (the framer's reasm_sink and the framer). */
struct transport *transport_new(const struct transport_config *cfg,
				const struct reasm_sink *inner, void *inner_ctx,
				const struct transport_sink *sink, void *ctx);
/* The callbacks to hand to reasm_new, with the transport as their ctx. */
const struct reasm_sink *transport_reasm_sink(void);
const struct transport_stats *transport_stats(const struct transport *t);
/* The memory budget is exceeded: the TLS and HTTP buffers of the connection that has held
 * some the longest are given up, each said in a TRANSPORT_EV_ERROR event. at: the frame
 * the events belong to. Returns 1 when it freed something, else 0. */
int transport_evict(struct transport *t, const struct frame_ref *at);
void transport_free(struct transport *t);

/* A plausible MQTT CONNECT at the start of p (protocol name MQTT or MQIsdp, a level it
 * goes with, reserved flag clear, lengths that fit): 1, else 0. Needs the first
 * min(n, 14) bytes or so; 0 when too few. */
int transport_looks_like_connect(const uint8_t *p, size_t n);

#endif
