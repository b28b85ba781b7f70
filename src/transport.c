/* \summary: the transport stage: plain MQTT, MQTT over TLS, MQTT over WebSocket
 *
 * A reasm_sink in front of the framer's. Each connection's kind is decided on its first
 * bytes (see transport.h); then per direction:
 *   TLS        records are cut from the stream (a 5-byte header, then its fragment);
 *              handshake messages are gathered across records (bounded) and read; each
 *              step is reported; application data is counted (or decrypted with keys)
 *   WebSocket  the HTTP head is gathered (bounded), then frame headers are read and
 *              payloads streamed through, unmasked in a reused scratch buffer
 *   MQTT       bytes go on untouched
 * Claimed lengths are never allocated: TLS fragments are at most TLS_MAX_FRAGMENT,
 * handshake messages at most HS_MAX, WebSocket payloads are streamed.
 */
#include "mqttdump/transport.h"
#include "mqttdump/budget.h"
#include "mqttdump/i18n.h"
#include "mqttdump/ports.h"
#include "mqttdump/textesc.h"
#include "mqttdump/tlscrypto.h"
#include "mqttdump/ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define HS_MAX 65536      /* handshake bytes gathered per direction (a certificate chain) */
#define HTTP_MAX 8192     /* an HTTP head */
#define MAX_CERTS 8
#define SCRATCH 65536
#define PEEK 16u          /* first bytes of a direction held until they tell its kind */

enum { WS_HTTP = 0, WS_FRAMES };

struct tdir {
	/* TLS */
	uint8_t hdr[5], hdrhave;
	struct tls_record_hdr rh;
	uint8_t *rec;            /* the record's fragment, when it is read (not app data) */
	uint32_t rechave;
	uint8_t gather;          /* the record's bytes are kept (read or decrypted) */
	uint8_t *hs;             /* handshake bytes gathered across records */
	uint32_t hslen;
	uint32_t hs_skip;        /* bytes of a too-large handshake message still to drop */
	uint8_t ccs;             /* TLS 1.2: ChangeCipherSpec sent: the rest is encrypted */
	uint8_t resync;          /* after a gap: look for a record header */
	uint8_t dead;            /* framing lost for good */
	uint64_t app_records, app_bytes, decrypted;
	/* WebSocket */
	uint8_t wsphase;
	uint8_t *http;
	uint32_t httplen;
	uint8_t wshdr[WS_MAX_HEADER], wshdrhave;
	struct ws_frame_hdr wh;
	uint64_t wsleft, wsoff;  /* payload bytes of the current frame to come, seen */
	uint8_t ctl[125];        /* a control frame's payload */
	uint8_t in_frame;
	uint8_t ws_resync;       /* after a gap: a frame header must start a segment */
};

/* A TLS or WebSocket connection's state: allocated once the first bytes say so, so that
 * plain MQTT connections cost only struct tconn. */
struct tsess {
	struct tdir d[2];
	/* TLS session */
	uint16_t version, suite;
	uint8_t saw_ch, saw_sh, cert_requested, client_cert_empty, fatal_alert, alert_desc,
		alert_from;
	char sni[256];
	/* decryption (--keylog) */
	uint8_t client_random[32], server_random[32];
	uint8_t etm, decrypting_now, finished[2], decrypt_failed[2];
	uint8_t tried12, tried13[2], suite_reported;
	struct tls_keys *keys[2];     /* protecting each direction's records now */
	struct tls_keys *next_keys[2]; /* 1.2: after the side's CCS; 1.3: after its Finished */
};

struct tconn {
	struct reasm_flow view;  /* the connection as the framer sees it: reassembly's public
				  * fields, in_tls ours, user the framer's */
	uint8_t inner_open;
	uint8_t kind;            /* enum transport_kind */
	uint8_t inner_kind;      /* TLS: what the decrypted bytes carry (MQTT, WebSocket) */
	uint8_t on_mqtt, on_tls, on_ws;
	uint8_t keyed;           /* --detect: TLS followed on another port, its keys logged */
	uint8_t peek[2][PEEK], npeek[2];
	struct tsess *s;         /* TLS, WebSocket */
	struct reasm_flow *rflow; /* reassembly's connection (stable until on_close) */
	size_t charged;          /* what the budget was told its buffers cost */
	struct tconn *bprev, *bnext; /* on the list of connections holding buffers, oldest
				      * first */
};

struct transport {
	struct transport_config cfg;
	struct port_set ports[3];      /* copies of mqtt_ports, tls_ports, ws_ports */
	struct reasm_sink inner;
	void *inner_ctx;
	struct transport_sink sink;
	void *ctx;
	struct transport_stats st;
	uint8_t *scratch;        /* WebSocket payloads unmasked here */
	uint8_t *plain;          /* a decrypted record */
	const struct tls_keylog *kl;   /* the key log: the caller's, or ours once re-read */
	struct tls_keylog *kl_own;
	off_t kl_size;
	struct timespec kl_mtime;
	char info[1024];         /* the Info text of the event being built */
	char note[1024];         /* a TLS session's line in the text outputs' language */
	struct tconn *bhead, *btail; /* connections holding buffers, oldest first */
};

struct transport *transport_new(const struct transport_config *cfg,
				const struct reasm_sink *inner, void *inner_ctx,
				const struct transport_sink *sink, void *ctx)
{
	struct transport *t = budget_calloc(1, sizeof *t, "transport");

	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (port_set_add_array(&t->ports[0], cfg->mqtt_ports, cfg->nmqtt) < 0 ||
	    port_set_add_array(&t->ports[1], cfg->tls_ports, cfg->ntls) < 0 ||
	    port_set_add_array(&t->ports[2], cfg->ws_ports, cfg->nws) < 0) {
		transport_free(t);
		return NULL;
	}
	/* the caller's arrays need not outlive this call */
	t->cfg.mqtt_ports = t->ports[0].list;
	t->cfg.nmqtt = t->ports[0].n;
	t->cfg.tls_ports = t->ports[1].list;
	t->cfg.ntls = t->ports[1].n;
	t->cfg.ws_ports = t->ports[2].list;
	t->cfg.nws = t->ports[2].n;
	t->inner = *inner;
	t->inner_ctx = inner_ctx;
	t->kl = cfg->keylog;
	if (cfg->keylog_path) {
		struct stat st; /* what was read already: re-read only when it changes */
		if (stat(cfg->keylog_path, &st) == 0) {
			t->kl_size = st.st_size;
			t->kl_mtime = st.st_mtim;
		}
	}
	if (sink)
		t->sink = *sink;
	t->ctx = ctx;
	return t;
}

const struct transport_stats *transport_stats(const struct transport *t)
{
	return &t->st;
}

void transport_free(struct transport *t)
{
	if (!t)
		return;
	free(t->scratch);
	free(t->plain);
	tls_keylog_free(t->kl_own);
	for (int i = 0; i < 3; i++)
		port_set_free(&t->ports[i]);
	free(t);
}

/* ---- calling the framer ------------------------------------------------------------- */

/* The framer is given the connection through our own copy of it (c->view): reassembly's
 * struct stays reassembly's, and f->user ours. The copy is brought up to date before each
 * call (reassembly's fields change: closer, ...). */
static struct reasm_flow *view_of(const struct reasm_flow *f, struct tconn *c)
{
	void *user = c->view.user;
	uint8_t in_tls = c->view.in_tls;

	c->view = *f;
	c->view.user = user;
	c->view.in_tls = in_tls;
	return &c->view;
}

#define INNER_CALL(t, f, c, call)                                                         \
	do {                                                                              \
		struct reasm_flow *v_ = view_of(f, c);                                    \
		(void)v_;                                                                 \
		call;                                                                     \
	} while (0)

static void inner_open(struct transport *t, struct reasm_flow *f, struct tconn *c,
		       const struct frame_ref *at)
{
	if (c->inner_open)
		return;
	c->inner_open = 1;
	if (t->inner.open)
		INNER_CALL(t, f, c, v_->user = t->inner.open(t->inner_ctx, v_, at));
}

static void inner_data(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		       const uint8_t *p, uint32_t n, const struct frame_ref *at)
{
	inner_open(t, f, c, at);
	if (t->inner.data && n)
		INNER_CALL(t, f, c, t->inner.data(t->inner_ctx, v_, dir, p, n, at));
}

/* ---- events ------------------------------------------------------------------------- */

static void ev_init(struct transport_event *ev, int kind, const struct reasm_flow *f, int dir,
		    const struct frame_ref *at)
{
	struct tconn *c = f->user;

	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->flow = c ? view_of(f, c) : f; /* what the framer is told too */
	ev->dir = dir;
	ev->at = *at;
}

static void send_ev(struct transport *t, struct transport_event *ev)
{
	if (t->sink.event)
		t->sink.event(t->ctx, ev);
}

static void error_ev(struct transport *t, const struct reasm_flow *f, int dir,
		     const struct frame_ref *at, const char *proto, const char *text)
{
	struct transport_event ev;

	ev_init(&ev, TRANSPORT_EV_ERROR, f, dir, at);
	ev.proto = proto;
	ev.text = text;
	ev.info = text;
	send_ev(t, &ev);
}

/* ---- deciding ----------------------------------------------------------------------- */

int transport_looks_like_connect(const uint8_t *p, size_t n)
{
	uint32_t rem = 0, mul = 1;
	size_t i = 1, nl;

	if (n < 2 || p[0] != 0x10)
		return 0;
	for (;; i++) {
		if (i >= n || i > 4)
			return 0;
		rem += (uint32_t)(p[i] & 0x7f) * mul;
		mul *= 128;
		if (!(p[i] & 0x80))
			break;
	}
	i++;
	/* protocol name, level, flags, keepalive: at least 10 bytes for "MQTT" */
	if (rem < 10 || n - i < 2)
		return 0;
	nl = (size_t)p[i] << 8 | p[i + 1];
	if (nl != 4 && nl != 6)
		return 0;
	if (n - i < 2 + nl + 2)
		return 0;
	if (nl == 4 && memcmp(p + i + 2, "MQTT", 4) == 0)
		return (p[i + 6] == 4 || p[i + 6] == 5) && !(p[i + 7] & 1);
	if (nl == 6 && memcmp(p + i + 2, "MQIsdp", 6) == 0)
		return p[i + 8] == 3 && !(p[i + 9] & 1);
	return 0;
}

/* A TLS record header could start at p: content type 20..23, version 3.0 to 3.4. No MQTT
 * packet starts so: types 1 (CONNECT) with flags 4 to 7 are malformed. */
static int looks_like_tls(const uint8_t *p, uint32_t n)
{
	struct tls_record_hdr h;
	return n >= 3 && p[2] <= 4 && tls_record_header(p, n, &h) != TLS_MALFORMED;
}

static void keylog_reload(struct transport *t);

/* --detect with a key log: a ClientHello (handshake type 1 at byte 5, its client random
 * at byte 11) whose client random the key log holds, so a session the user logged: it
 * is followed on any port, and its decrypted bytes decide (tls_plain). A ClientHello
 * whose first segment does not hold its random is not recognised. */
static int keyed_client_hello(struct transport *t, int dir, const uint8_t *p, uint32_t n)
{
	static const char *const labels[] = { "CLIENT_RANDOM", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
					       "CLIENT_TRAFFIC_SECRET_0" };
	uint8_t secret[TLS_MAX_SECRET];

	if (!t->cfg.keylog_path || dir != REASM_TO_BROKER || n < 43 ||
	    p[0] != TLS_CT_HANDSHAKE || p[1] != 3 || p[5] != 1)
		return 0;
	for (int again = 0; again < 2; again++) {
		for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
			if (tls_keylog_find(t->kl, labels[i], p + 11, secret, sizeof secret))
				return 1;
		keylog_reload(t); /* a live key log may have grown */
	}
	return 0;
}

static void decide(struct transport *t, struct tconn *c, int dir, const uint8_t *p,
		   uint32_t n)
{
	int mid_tls = 0, mid_ws = 0;
	/* Ports we were told of. On others (--detect) only MQTT and WebSocket with the mqtt
	 * subprotocol are followed: TLS there is most likely HTTPS (--tls-port names more). */
	int followed = c->on_mqtt || c->on_tls || c->on_ws;

	if (followed && n >= 2 && p[0] == TLS_CT_HANDSHAKE && p[1] == 3) {
		c->kind = TRANSPORT_TLS;
	} else if (n >= 4 && memcmp(p, "GET ", 4) == 0 && dir == REASM_TO_BROKER &&
		   (c->on_ws || c->on_mqtt || t->cfg.detect)) {
		c->kind = TRANSPORT_WS; /* the head decides: an Upgrade, or ignored */
	} else if (followed && looks_like_tls(p, n)) {
		c->kind = TRANSPORT_TLS; /* the capture starts inside a session */
		mid_tls = 1;
	} else if (c->on_ws && !c->on_mqtt) {
		c->kind = TRANSPORT_WS; /* the capture starts after the upgrade */
		mid_ws = 1;
	} else if (c->on_mqtt || c->on_tls) {
		c->kind = TRANSPORT_MQTT;
	} else if (dir == REASM_TO_BROKER && transport_looks_like_connect(p, n)) {
		c->kind = TRANSPORT_MQTT;
		t->st.detected++;
	} else if (t->cfg.detect && keyed_client_hello(t, dir, p, n)) {
		c->kind = TRANSPORT_TLS;
		c->keyed = 1;
	} else {
		c->kind = TRANSPORT_IGNORED;
		t->st.ignored++;
	}
	if (c->kind == TRANSPORT_TLS || c->kind == TRANSPORT_WS) {
		if (!(c->s = budget_calloc(1, sizeof *c->s, "transport"))) {
			c->kind = TRANSPORT_IGNORED; /* out of memory: not read */
			return;
		}
		budget_charge(t->cfg.budget, BUDGET_CONN, sizeof *c->s);
		c->s->d[dir].resync = (uint8_t)mid_tls;
		if (mid_ws)
			c->s->d[0].wsphase = c->s->d[1].wsphase = WS_FRAMES;
	}
	if (c->kind == TRANSPORT_TLS)
		t->st.tls_sessions++;
}

/* Too few first bytes to tell TLS, an HTTP GET, or a CONNECT (detect mode) apart. */
static int need_more(const struct tconn *c, int dir, const uint8_t *p, uint32_t n)
{
	if (n >= PEEK)
		return 0;
	if (n < 2)
		return 1;
	if (n < 4 && memcmp(p, "GET ", n) == 0)
		return 1;
	return !c->on_mqtt && !c->on_tls && !c->on_ws && dir == REASM_TO_BROKER && n < 12 &&
	       p[0] == 0x10;
}

/* ---- TLS ---------------------------------------------------------------------------- */

static const char *tls_proto(const struct tconn *c, uint16_t record_version)
{
	const char *n = tls_version_name(c->s->version ? c->s->version : record_version);
	return n ? n : "TLS";
}

static void tls_step(struct transport *t, const struct reasm_flow *f, struct tconn *c,
		     int dir, const struct frame_ref *at, struct transport_event *ev)
{
	ev->proto = tls_proto(c, c->s->d[dir].rh.version);
	ev->record_version = c->s->d[dir].rh.version;
	ev->version = c->s->version;
	ev->suite = c->s->suite;
	ev->info = t->info;
	ev->decrypted = c->s->decrypting_now;
	if (c->s->decrypting_now)
		ev->encrypted = 0;
	(void)f;
	(void)at;
	t->st.tls_records++;
	send_ev(t, ev);
}

static size_t catf(char *buf, size_t cap, size_t o, const char *fmt, const char *a,
		   const char *b)
{
	int k;

	if (o >= cap)
		return o;
	k = snprintf(buf + o, cap - o, fmt, a, b);
	return k < 0 ? o : o + (size_t)k;
}

/* A suite's name, or its number. */
static const char *suite_str(uint16_t s, char *buf, size_t cap)
{
	const char *n = tls_suite_name(s);
	if (n)
		return n;
	snprintf(buf, cap, "0x%04x", s);
	return buf;
}

/* ---- keys (--keylog) ------------------------------------------------------------------ */

/* The key log file again, when it changed since it was last read: a live capture sees
 * sessions whose secrets were written after mqttdump started (and TLS 1.3 secrets are
 * written while the handshake runs). Failures keep the log we have. */
static void keylog_reload(struct transport *t)
{
	struct stat st;
	struct tls_keylog *kl;

	if (!t->cfg.keylog_path || stat(t->cfg.keylog_path, &st) < 0)
		return;
	if (st.st_size == t->kl_size && st.st_mtim.tv_sec == t->kl_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == t->kl_mtime.tv_nsec)
		return;
	t->kl_size = st.st_size;
	t->kl_mtime = st.st_mtim;
	if (!(kl = tls_keylog_load(t->cfg.keylog_path, NULL, 0)))
		return;
	tls_keylog_free(t->kl_own);
	t->kl_own = kl;
	t->kl = kl;
}

/* The secret logged under label for this session; looked for again in the file when it
 * changed. Returns its length, 0 when there is none. */
static size_t find_secret(struct transport *t, const struct tconn *c, const char *label,
			  uint8_t out[TLS_MAX_SECRET])
{
	size_t n = tls_keylog_find(t->kl, label, c->s->client_random, out, TLS_MAX_SECRET);

	if (n == 0 && t->cfg.keylog_path) {
		keylog_reload(t);
		n = tls_keylog_find(t->kl, label, c->s->client_random, out, TLS_MAX_SECRET);
	}
	return n;
}

/* Can this session be decrypted at all? Says why not once. */
static int keys_possible(struct transport *t, const struct reasm_flow *f, struct tconn *c,
			 const struct frame_ref *at)
{
	if (!t->kl || !c->s->saw_ch || !c->s->saw_sh)
		return 0;
	if (!tls_suite_supported(c->s->suite, c->s->version)) {
		if (!c->s->suite_reported) {
			c->s->suite_reported = 1;
			error_ev(t, f, REASM_TO_CLIENT, at, tls_proto(c, 0),
				 "this cipher suite is not one mqttdump decrypts");
		}
		return 0;
	}
	return 1;
}

/* TLS 1.2, at a side's ChangeCipherSpec: both directions' keys from the master secret
 * (the other side's kept for its own ChangeCipherSpec). */
static void keys12(struct transport *t, const struct reasm_flow *f, struct tconn *c,
		   int dir, const struct frame_ref *at)
{
	uint8_t secret[TLS_MAX_SECRET];
	struct tls_keys *k[2];

	if (c->s->tried12 || !keys_possible(t, f, c, at))
		return;
	if (find_secret(t, c, "CLIENT_RANDOM", secret) == 48 &&
	    tls12_keys(c->s->suite, c->s->etm, secret, c->s->client_random,
		       c->s->server_random, &k[REASM_TO_BROKER], &k[REASM_TO_CLIENT]) == 0) {
		c->s->tried12 = 1;
		for (int d = 0; d < 2; d++) {
			if (d != dir && (c->s->keys[d] || c->s->d[d].ccs))
				tls_keys_free(k[d]); /* that side's records went by already */
			else
				c->s->next_keys[d] = k[d];
		}
	}
	memset(secret, 0, sizeof secret);
}

/* TLS 1.3: one direction's handshake keys (app = 0), before its first protected record, or
 * its application keys (app = 1), after its Finished. */
static struct tls_keys *keys13(struct transport *t, const struct reasm_flow *f,
			       struct tconn *c, int dir, int app, const struct frame_ref *at)
{
	static const char *const label[2][2] = {
		{ "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET" },
		{ "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0" },
	};
	uint8_t secret[TLS_MAX_SECRET];
	struct tls_keys *k = NULL;
	size_t n;

	if (!keys_possible(t, f, c, at))
		return NULL;
	if ((n = find_secret(t, c, label[app][dir], secret)))
		k = tls13_keys(c->s->suite, secret, n);
	memset(secret, 0, sizeof secret);
	return k;
}

/* The hello's facts into the info column and the connection; then the step. */
static void hs_client_hello(struct transport *t, const struct reasm_flow *f, struct tconn *c,
			    int dir, const struct frame_ref *at, struct transport_event *ev,
			    size_t o, const uint8_t *body, uint32_t len)
{
	struct tls_client_hello ch;
	char num[32];

	if (tls_parse_client_hello(body, len, &ch) != TLS_OK) {
		catf(t->info, sizeof t->info, o, " [Malformed]%s%s", "", "");
		tls_step(t, f, c, dir, at, ev);
		return;
	}
	c->s->saw_ch = 1;
	memcpy(c->s->client_random, ch.random, 32);
	o = catf(t->info, sizeof t->info, o, " (%s%s", "", "");
	if (ch.sni) {
		/* a name we print, not a byte string: escaped for the terminal (textesc.h) */
		textesc(c->s->sni, sizeof c->s->sni, ch.sni, ch.sni_len, 0);
		o = catf(t->info, sizeof t->info, o, "SNI=%s, %s", c->s->sni, "");
	}
	/* the versions it offers: supported_versions, else its legacy_version */
	o = catf(t->info, sizeof t->info, o, "offers %s%s", "", "");
	for (size_t i = 0; i < (ch.nversions ? ch.nversions : 1); i++) {
		uint16_t v = ch.nversions ? ch.versions[i] : ch.version;
		const char *vn = tls_version_name(v);
		snprintf(num, sizeof num, "0x%04x", v);
		o = catf(t->info, sizeof t->info, o, "%s%s", i ? " " : "", vn ? vn : num);
	}
	catf(t->info, sizeof t->info, o, ")%s%s", "", "");
	ev->ch = &ch;
	tls_step(t, f, c, dir, at, ev);
}

static void hs_server_hello(struct transport *t, const struct reasm_flow *f, struct tconn *c,
			    int dir, const struct frame_ref *at, struct transport_event *ev,
			    size_t o, const uint8_t *body, uint32_t len)
{
	struct tls_server_hello sh;
	char sb[16], num[32];
	const char *vn;

	if (tls_parse_server_hello(body, len, &sh) != TLS_OK) {
		catf(t->info, sizeof t->info, o, " [Malformed]%s%s", "", "");
		tls_step(t, f, c, dir, at, ev);
		return;
	}
	c->s->saw_sh = 1;
	if (sh.hrr) {
		catf(t->info, sizeof t->info, o, " (Hello Retry Request)%s%s", "", "");
	} else {
		c->s->version = sh.selected;
		c->s->suite = sh.suite;
		c->s->etm = sh.etm;
		memcpy(c->s->server_random, sh.random, 32);
		vn = tls_version_name(sh.selected);
		snprintf(num, sizeof num, "0x%04x", sh.selected);
		catf(t->info, sizeof t->info, o, " (%s, %s)", vn ? vn : num,
		     suite_str(sh.suite, sb, sizeof sb));
	}
	ev->sh = &sh;
	tls_step(t, f, c, dir, at, ev);
}

/* The first certificate's subject, issuer and validity in the info column. */
static void hs_certificate(struct transport *t, const struct reasm_flow *f, struct tconn *c,
			   int dir, const struct frame_ref *at, struct transport_event *ev,
			   size_t o, const uint8_t *body, uint32_t len)
{
	struct tls_cert_facts certs[MAX_CERTS];
	size_t pos = 0, n = 0, dlen;
	const uint8_t *der;

	while (n < MAX_CERTS &&
	       tls_next_certificate(body, len, c->s->version == 0x0304, &pos, &der,
				    &dlen) == TLS_OK)
		if (tls_cert_facts(der, dlen, &certs[n]) == 0)
			n++;
	if (n == 0) {
		catf(t->info, sizeof t->info, o, " (none)%s%s", "", "");
		if (dir == REASM_TO_BROKER)
			c->s->client_cert_empty = 1;
	} else {
		/* the names as OpenSSL prints them (RFC 2253, UTF-8): escaped for the
		 * terminal, bidirectional controls and C1 included (textesc.h) */
		char subj[TEXTESC_SIZE(sizeof certs[0].subject)];
		char iss[TEXTESC_SIZE(sizeof certs[0].issuer)];
		textesc(subj, sizeof subj, certs[0].subject, strlen(certs[0].subject), 0);
		textesc(iss, sizeof iss, certs[0].issuer, strlen(certs[0].issuer), 0);
		o = catf(t->info, sizeof t->info, o, " (%s; issuer %s", subj, iss);
		catf(t->info, sizeof t->info, o, "; valid %s to %s)", certs[0].not_before,
		     certs[0].not_after);
	}
	ev->certs = certs;
	ev->ncerts = n;
	tls_step(t, f, c, dir, at, ev);
}

static void hs_message(struct transport *t, const struct reasm_flow *f, struct tconn *c,
		       int dir, const struct frame_ref *at, uint8_t type, const uint8_t *body,
		       uint32_t len)
{
	struct transport_event ev;
	const char *name = tls_hs_name(type);
	char num[32];
	size_t o;

	ev_init(&ev, TRANSPORT_EV_TLS, f, dir, at);
	ev.content_type = TLS_CT_HANDSHAKE;
	ev.hs_type = type;
	ev.length = len;
	if (!name) {
		snprintf(num, sizeof num, "Handshake Message (type %u)", type);
		name = num;
	}
	o = catf(t->info, sizeof t->info, 0, "%s%s", name, "");
	switch (type) {
	case TLS_HS_CLIENT_HELLO:
		hs_client_hello(t, f, c, dir, at, &ev, o, body, len);
		return;
	case TLS_HS_SERVER_HELLO:
		hs_server_hello(t, f, c, dir, at, &ev, o, body, len);
		return;
	case TLS_HS_CERTIFICATE:
		hs_certificate(t, f, c, dir, at, &ev, o, body, len);
		return;
	case TLS_HS_CERTIFICATE_REQUEST:
		c->s->cert_requested = 1;
		break;
	case TLS_HS_FINISHED:
		c->s->finished[dir] = 1;
		break;
	default:
		break;
	}
	tls_step(t, f, c, dir, at, &ev);
}

/* Handshake records' bytes: gathered, and each whole message read. */
static void hs_bytes(struct transport *t, const struct reasm_flow *f, struct tconn *c,
		     int dir, const struct frame_ref *at, const uint8_t *p, uint32_t n)
{
	struct tdir *d = &c->s->d[dir];
	uint32_t used = 0;

	if (d->hs_skip) {
		uint32_t k = d->hs_skip < n ? d->hs_skip : n;
		d->hs_skip -= k;
		p += k, n -= k;
	}
	if (!n)
		return;
	if (!d->hs && !(d->hs = budget_malloc(HS_MAX, "transport")))
		return;
	if (n > HS_MAX - d->hslen)
		n = HS_MAX - d->hslen; /* cannot happen for a message within HS_MAX: see below */
	memcpy(d->hs + d->hslen, p, n);
	d->hslen += n;
	while (d->hslen - used >= 4) {
		const uint8_t *m = d->hs + used;
		uint32_t mlen = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		if (mlen > HS_MAX - 4) {
			/* larger than we gather: name it, drop its bytes */
			uint32_t have = d->hslen - used - 4;
			hs_message(t, f, c, dir, at, m[0], m + 4, 0);
			d->hs_skip = mlen - have;
			used = d->hslen;
			break;
		}
		if (mlen > d->hslen - used - 4)
			break;
		hs_message(t, f, c, dir, at, m[0], m + 4, mlen);
		used += 4 + mlen;
	}
	memmove(d->hs, d->hs + used, d->hslen - used);
	d->hslen -= used;
	if (!d->hslen) {
		free(d->hs); /* the handshake's messages are few: no room kept between them */
		d->hs = NULL;
	}
}

static void ws_data(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		    const uint8_t *p, uint32_t n, const struct frame_ref *at);

/* A session --detect followed for its logged keys carries MQTT only if its decrypted
 * bytes open with a CONNECT (an upgrade asking for mqtt is checked by the WebSocket head):
 * then a NOTE says so; else it is HTTPS or another protocol, not read. */
static void keyed_inner(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
			const uint8_t *b, uint32_t n, const struct frame_ref *at)
{
	struct transport_event ev;
	char text[112];

	if (dir != REASM_TO_BROKER || !transport_looks_like_connect(b, n)) {
		c->inner_kind = TRANSPORT_IGNORED;
		return;
	}
	t->st.detected++;
	ev_init(&ev, TRANSPORT_EV_DETECTED, f, dir, at);
	ev.port = f->broker_port;
	ev.proto = "MQTT";
	snprintf(text, sizeof text, "[MQTT detected in TLS on port %u: the decrypted connection "
		 "opens with a CONNECT]", f->broker_port);
	ev.info = text;
	send_ev(t, &ev);
}

/* Decrypted application data: MQTT, or (wss://) an HTTP upgrade and WebSocket frames
 * carrying it, as the client's first bytes tell. */
static void tls_plain(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		      const uint8_t *b, uint32_t n, const struct frame_ref *at)
{
	if (c->inner_kind == TRANSPORT_UNDECIDED) {
		c->inner_kind = dir == REASM_TO_BROKER && n >= 4 && memcmp(b, "GET ", 4) == 0 ?
				TRANSPORT_WS : TRANSPORT_MQTT;
		if (c->keyed && c->inner_kind == TRANSPORT_MQTT)
			keyed_inner(t, f, c, dir, b, n, at);
	}
	if (c->inner_kind == TRANSPORT_WS)
		ws_data(t, f, c, dir, b, n, at);
	else if (c->inner_kind == TRANSPORT_MQTT)
		inner_data(t, f, c, dir, b, n, at);
}

/* One record's content: type and body as read (clear = 0: as sent, encrypted once the
 * side's CCS has passed) or as decrypted (clear = 1). */
static void record_content(struct transport *t, struct reasm_flow *f, struct tconn *c,
			   int dir, const struct frame_ref *at, uint8_t type, const uint8_t *b,
			   uint32_t n, int clear)
{
	struct tdir *d = &c->s->d[dir];
	struct transport_event ev;

	ev_init(&ev, TRANSPORT_EV_TLS, f, dir, at);
	ev.content_type = type;
	ev.length = n;
	switch (type) {
	case TLS_CT_CCS:
		if (c->s->version != 0x0304) { /* TLS 1.3's is for middleboxes only */
			d->ccs = 1;
			if (!c->s->next_keys[dir])
				keys12(t, f, c, dir, at);
			if (c->s->next_keys[dir]) {
				c->s->keys[dir] = c->s->next_keys[dir];
				c->s->next_keys[dir] = NULL;
			}
		}
		snprintf(t->info, sizeof t->info, "Change Cipher Spec");
		break;
	case TLS_CT_ALERT:
		if ((d->ccs && !clear) || n != 2) {
			ev.encrypted = 1;
			snprintf(t->info, sizeof t->info, "Encrypted Alert");
		} else {
			const char *lv = tls_alert_level_name(b[0]), *ds = tls_alert_name(b[1]);
			char l[8], x[8];
			snprintf(l, sizeof l, "%u", b[0]);
			snprintf(x, sizeof x, "%u", b[1]);
			ev.alert_level = b[0];
			ev.alert_desc = b[1];
			snprintf(t->info, sizeof t->info, "Alert (Level: %s, Description: %s)",
				 lv ? lv : l, ds ? ds : x);
			if (b[0] == 2 && !c->s->fatal_alert) {
				c->s->fatal_alert = 1;
				c->s->alert_desc = b[1];
				c->s->alert_from = (uint8_t)dir;
			}
		}
		break;
	case TLS_CT_HANDSHAKE:
		if (d->ccs && !clear) {
			ev.encrypted = 1;
			snprintf(t->info, sizeof t->info, "Encrypted Handshake Message");
			break;
		}
		hs_bytes(t, f, c, dir, at, b, n);
		return;
	default: /* application data */
		d->app_records++;
		d->app_bytes += n;
		if (clear) {
			/* MQTT, exactly as it would have come over plain TCP */
			tls_plain(t, f, c, dir, b, n, at);
			return;
		}
		ev.encrypted = 1;
		snprintf(t->info, sizeof t->info, "Application Data");
		break;
	}
	tls_step(t, f, c, dir, at, &ev);
}

/* A whole record: decrypted when this direction has keys and the record is protected. */
static void record_done(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
			const struct frame_ref *at)
{
	struct tdir *d = &c->s->d[dir];
	int prot = d->gather && c->s->keys[dir] &&
		   (c->s->version == 0x0304 ? d->rh.type == TLS_CT_APPDATA : d->ccs);

	if (!d->gather && d->rh.type != TLS_CT_APPDATA)
		return; /* its bytes could not be kept (out of memory) */

	if (prot && (t->plain || (t->plain = budget_malloc(TLS_MAX_FRAGMENT, "transport")))) {
		uint8_t ctype = 0;
		int n = tls_decrypt_record(c->s->keys[dir], d->hdr, d->rec, d->rh.len, t->plain,
					   &ctype);
		if (n >= 0) {
			uint8_t fin = c->s->finished[dir], kupd = 0;
			d->decrypted++;
			t->st.tls_decrypted++;
			c->s->decrypting_now = 1;
			if (ctype == TLS_CT_HANDSHAKE && n >= 1 && t->plain[0] == TLS_HS_KEY_UPDATE)
				kupd = 1;
			record_content(t, f, c, dir, at, ctype, t->plain, (uint32_t)n, 1);
			c->s->decrypting_now = 0;
			/* TLS 1.3: the records after a side's Finished use its application keys;
			 * after a KeyUpdate, the next generation [RFC 8446 4.6.3] */
			if (c->s->version == 0x0304 && !fin && c->s->finished[dir]) {
				tls_keys_free(c->s->keys[dir]);
				c->s->keys[dir] = c->s->next_keys[dir] ? c->s->next_keys[dir] :
						  keys13(t, f, c, dir, 1, at);
				c->s->next_keys[dir] = NULL;
			} else if (c->s->version == 0x0304 && kupd) {
				tls13_key_update(c->s->keys[dir]);
			}
			return;
		}
		if (!c->s->decrypt_failed[dir]) {
			c->s->decrypt_failed[dir] = 1;
			error_ev(t, f, dir, at, tls_proto(c, d->rh.version),
				 "a record does not decrypt with the key log's secrets");
		}
	}
	record_content(t, f, c, dir, at, d->rh.type, d->rec, d->rh.len, 0);
}

/* A record's room: mapped, not from the heap. Records of many connections gathered at once
 * and freed at different times left the heap in pieces: 10,000 TLS handshakes under a
 * 256 MiB budget kept 371 MB resident. A mapping goes back to the system when freed. */
static uint8_t *rec_alloc(void)
{
	void *p = mmap(NULL, TLS_MAX_FRAGMENT, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED) {
		mqttdump_oom("transport");
		return NULL;
	}
	return p;
}

static void rec_free(uint8_t *p)
{
	if (p)
		munmap(p, TLS_MAX_FRAGMENT);
}

/* Find a record header in p after a gap; returns its offset, or n. */
static uint32_t tls_resync(const uint8_t *p, uint32_t n)
{
	for (uint32_t j = 0; j + 5 <= n; j++) {
		struct tls_record_hdr h;
		if (tls_record_header(p + j, n - j, &h) == TLS_OK && h.version >= 0x0301)
			return j;
	}
	return n;
}

static void tls_data(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		     const uint8_t *p, uint32_t n, const struct frame_ref *at)
{
	struct tdir *d = &c->s->d[dir];

	if (d->resync) {
		uint32_t k = tls_resync(p, n);
		if (k == n)
			return;
		d->resync = 0;
		p += k, n -= k;
	}
	while (n && !d->dead) {
		uint32_t k;
		if (d->hdrhave < 5) {
			int rc;
			k = 5u - d->hdrhave < n ? 5u - d->hdrhave : n;
			memcpy(d->hdr + d->hdrhave, p, k);
			d->hdrhave = (uint8_t)(d->hdrhave + k);
			p += k, n -= k;
			rc = tls_record_header(d->hdr, d->hdrhave, &d->rh);
			if (rc == TLS_MALFORMED) {
				d->dead = 1;
				error_ev(t, f, dir, at, tls_proto(c, 0),
					 "not a TLS record: the rest of this direction is not read");
				return;
			}
			if (rc == TLS_TRUNCATED)
				continue;
			d->rechave = 0;
			/* TLS 1.3: the direction's first protected record wants its keys */
			if (c->s->version == 0x0304 && d->rh.type == TLS_CT_APPDATA &&
			    !c->s->keys[dir] && !c->s->tried13[dir]) {
				c->s->tried13[dir] = 1;
				c->s->keys[dir] = keys13(t, f, c, dir, 0, at);
			}
			d->gather = d->rh.type != TLS_CT_APPDATA || c->s->keys[dir];
			if (d->rh.type == TLS_CT_HANDSHAKE && !d->ccs && d->hs_skip >= d->rh.len) {
				/* wholly inside a handshake message being dropped: not kept */
				d->hs_skip -= d->rh.len;
				d->gather = 0;
			}
			if (d->gather && !d->rec && !(d->rec = rec_alloc()))
				d->gather = 0; /* out of memory: counted, not read */
			if (d->rh.len)
				continue;
		}
		k = d->rh.len - d->rechave < n ? d->rh.len - d->rechave : n;
		if (d->gather)
			memcpy(d->rec + d->rechave, p, k);
		d->rechave += k;
		p += k, n -= k;
		if (d->rechave == d->rh.len) {
			record_done(t, f, c, dir, at);
			d->hdrhave = 0;
			if (d->rh.type != TLS_CT_APPDATA) {
				rec_free(d->rec); /* a handshake's few records: no room kept */
				d->rec = NULL;
			}
		}
	}
}

/* A text of the session's line: English (JSON's "line") or, local, the language of the
 * text outputs (i18n.h). */
#define LT(local, s) ((local) ? i18n_gettext(s) : (s))
/* The same for a text with a count n: its English form in JSON */
#define NLT(local, one, other, n) ((local) ? n_(one, other, n) : (n) == 1 ? (one) : (other))

/* Why the handshake failed, in words, into why (cap bytes). */
static void tls_failure(const struct tconn *c, int local, char *why, size_t cap)
{
	const char *a = tls_alert_name(c->s->alert_desc);
	size_t o = (size_t)snprintf(why, cap, LT(local, "%s alert from the %s"), a ? a : "fatal",
				    c->s->alert_from == REASM_TO_BROKER ? LT(local, "client") :
				    LT(local, "broker"));

	if (c->s->cert_requested && c->s->client_cert_empty && o < cap)
		snprintf(why + o, cap - o, "%s", LT(local, ": the broker asked for a client "
						    "certificate and got none"));
}

/* The session's line ("[TLS session SNI: version, suite, handshake ...; application
 * data ...]") into out (cap bytes). */
static void tls_end_line(const struct tconn *c, const struct transport_event *ev, int local,
			 char *out, size_t cap)
{
	char sb[16], why[160], nums[200];
	size_t o;

	o = (size_t)snprintf(out, cap, LT(local, "[TLS session%s%s: "), c->s->sni[0] ? " " : "",
			     c->s->sni);
	if (c->s->saw_sh)
		o = catf(out, cap, o, "%s, %s, ", tls_proto(c, 0),
			 suite_str(c->s->suite, sb, sizeof sb));
	o = catf(out, cap, o, LT(local, "handshake %s%s"), LT(local, ev->handshake), "");
	if (ev->failure) {
		tls_failure(c, local, why, sizeof why);
		o = catf(out, cap, o, " (%s)%s", why, "");
	}
	/* four counts: a piece each, so that each noun agrees with its own number */
	o = catf(out, cap, o, "%s%s", LT(local, "; application data: "), "");
	for (int d = 0; d < 2; d++) {
		unsigned long long rn = c->s->d[d].app_records, bn = c->s->d[d].app_bytes;
		if (d)
			snprintf(nums, sizeof nums, "%llu", rn);
		else
			snprintf(nums, sizeof nums, NLT(local, "%llu record", "%llu records", rn), rn);
		o = catf(out, cap, o, "%s%s", nums, "");
		snprintf(nums, sizeof nums, NLT(local, " (%llu byte)", " (%llu bytes)", bn), bn);
		o = catf(out, cap, o, "%s%s", nums, d ? LT(local, " from the broker") :
			 LT(local, " from the client, "));
	}
	if (c->s->d[0].decrypted + c->s->d[1].decrypted)
		o = catf(out, cap, o, "%s%s", LT(local, ", decrypted"), "");
	else if (c->s->d[0].app_records + c->s->d[1].app_records)
		o = catf(out, cap, o, "%s%s", LT(local, ", not decrypted"), "");
	catf(out, cap, o, "]%s%s", "", "");
}

static void tls_end(struct transport *t, const struct reasm_flow *f, struct tconn *c,
		    const struct frame_ref *at)
{
	struct transport_event ev;
	char why[160] = "";

	ev_init(&ev, TRANSPORT_EV_TLS_END, f, REASM_TO_BROKER, at);
	ev.version = c->s->version;
	ev.suite = c->s->suite;
	ev.sni = c->s->sni;
	ev.proto = tls_proto(c, 0x0301);
	for (int i = 0; i < 2; i++) {
		ev.app_records[i] = c->s->d[i].app_records;
		ev.app_bytes[i] = c->s->d[i].app_bytes;
		ev.decrypted_records[i] = c->s->d[i].decrypted;
	}
	/* the handshake's words are JSON's values; the text outputs translate them */
	if (c->s->fatal_alert) {
		ev.handshake = N_("failed");
		tls_failure(c, 0, why, sizeof why);
		ev.failure = why;
		t->st.tls_failed++;
	} else if (!c->s->saw_sh) {
		ev.handshake = N_("incomplete");
	} else if (c->s->version == 0x0304) {
		ev.handshake = c->s->finished[0] && c->s->finished[1] ? N_("complete") :
			       c->s->d[0].decrypted + c->s->d[1].decrypted ? N_("incomplete") :
			       N_("encrypted");
	} else {
		ev.handshake = c->s->d[0].ccs && c->s->d[1].ccs ? N_("complete") : N_("incomplete");
	}
	tls_end_line(c, &ev, 0, t->info, sizeof t->info);
	ev.info = t->info;
	tls_end_line(c, &ev, 1, t->note, sizeof t->note);
	ev.note = t->note;
	send_ev(t, &ev);
}

/* ---- WebSocket ---------------------------------------------------------------------- */

static void ws_control(struct transport *t, const struct reasm_flow *f, struct tdir *d,
		       int dir, const struct frame_ref *at)
{
	struct transport_event ev;
	size_t o;

	ev_init(&ev, TRANSPORT_EV_WS, f, dir, at);
	ev.proto = "WebSocket";
	ev.ws_opcode = d->wh.opcode;
	ev.ws_fin = d->wh.fin;
	ev.ws_masked = d->wh.masked;
	ev.ws_len = d->wh.len;
	o = (size_t)snprintf(t->info, sizeof t->info, "WebSocket %s [FIN]%s",
			     ws_opcode_name(d->wh.opcode), d->wh.masked ? " [MASKED]" : "");
	if (d->wh.opcode == WS_OP_CLOSE && d->wh.len >= 2) {
		ev.close_code = (uint16_t)(d->ctl[0] << 8 | d->ctl[1]);
		snprintf(t->info + o, sizeof t->info - o, " (status %u)", ev.close_code);
	}
	ev.info = t->info;
	t->st.ws_frames++;
	send_ev(t, &ev);
}

/* WebSocket on the connection itself, or inside its TLS once decrypted. */
static int ws_active(const struct tconn *c)
{
	return c->kind == TRANSPORT_WS ||
	       (c->kind == TRANSPORT_TLS && c->inner_kind == TRANSPORT_WS);
}

static void ws_stop(struct reasm_flow *f, struct tconn *c)
{
	if (c->kind == TRANSPORT_TLS) {
		c->inner_kind = TRANSPORT_IGNORED;
	} else {
		c->kind = TRANSPORT_IGNORED;
		reasm_ignore(f); /* reassembly need not keep its bytes */
	}
}

static void ws_http(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		    const uint8_t **pp, uint32_t *np, const struct frame_ref *at)
{
	struct tdir *d = &c->s->d[dir];
	struct transport_event ev;
	uint32_t k, end = 0;
	size_t line;
	int mqtt;

	if (!d->http && !(d->http = budget_malloc(HTTP_MAX, "transport"))) {
		*np = 0;
		return;
	}
	k = HTTP_MAX - d->httplen < *np ? HTTP_MAX - d->httplen : *np;
	memcpy(d->http + d->httplen, *pp, k);
	/* where the head ends: the first blank line */
	for (uint32_t i = d->httplen >= 3 ? d->httplen - 3 : 0; i + 4 <= d->httplen + k; i++)
		if (memcmp(d->http + i, "\r\n\r\n", 4) == 0) {
			end = i + 4;
			break;
		}
	if (!end) {
		d->httplen += k;
		*pp += k, *np -= k;
		if (d->httplen == HTTP_MAX) {
			ws_stop(f, c);
			if (c->kind == TRANSPORT_IGNORED)
				t->st.ignored++;
			error_ev(t, f, dir, at, "HTTP", "an HTTP head longer than 8192 bytes: not read");
		}
		return;
	}
	*pp += end - d->httplen, *np -= end - d->httplen;
	d->httplen = end;
	for (line = 0; line < end && d->http[line] != '\r'; line++)
		;
	if (line > 200)
		line = 200;
	ev_init(&ev, TRANSPORT_EV_HTTP, f, dir, at);
	ev.proto = "HTTP";
	/* the request or status line, escaped for the terminal (textesc.h) */
	textesc(t->info, sizeof t->info, d->http, line, 0);
	ev.info = t->info;
	if (dir == REASM_TO_BROKER && (!ws_is_upgrade(d->http, end, &line, &mqtt) ||
				       (!c->on_ws && !c->on_mqtt && !c->on_tls && !mqtt))) {
		/* on a port we were told of, say so; elsewhere (--detect) it is just HTTP */
		if (c->on_ws || c->on_mqtt || c->on_tls) {
			send_ev(t, &ev);
			error_ev(t, f, dir, at, "HTTP",
				 "an HTTP request, not a WebSocket upgrade: not read");
		}
		ws_stop(f, c);
		if (c->kind == TRANSPORT_IGNORED)
			t->st.ignored++;
		return;
	}
	if (dir == REASM_TO_BROKER)
		t->st.ws_sessions++;
	send_ev(t, &ev);
	d->wsphase = WS_FRAMES;
	free(d->http);
	d->http = NULL;
}

static void ws_data(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		    const uint8_t *p, uint32_t n, const struct frame_ref *at)
{
	struct tdir *d = &c->s->d[dir];

	if (d->ws_resync && d->wsphase == WS_FRAMES) {
		struct ws_frame_hdr h;
		if (ws_frame_header(p, n, &h) != WS_OK || h.masked != (dir == REASM_TO_BROKER))
			return;
		d->ws_resync = 0;
	}
	while (n && !d->dead && ws_active(c)) {
		uint32_t k;
		if (d->wsphase == WS_HTTP) {
			ws_http(t, f, c, dir, &p, &n, at);
			continue;
		}
		if (!d->in_frame) {
			int rc;
			/* gather the header byte by byte: at most 14 */
			d->wshdr[d->wshdrhave++] = *p++;
			n--;
			rc = ws_frame_header(d->wshdr, d->wshdrhave, &d->wh);
			if (rc == WS_TRUNCATED)
				continue;
			d->wshdrhave = 0;
			if (rc == WS_MALFORMED) {
				d->dead = 1;
				error_ev(t, f, dir, at, "WebSocket",
					 "a broken WebSocket frame header: the rest of this direction "
					 "is not read");
				return;
			}
			d->in_frame = 1;
			d->wsleft = d->wh.len;
			d->wsoff = 0;
			t->st.ws_frames += d->wh.opcode < 8;
			if (d->wsleft)
				continue;
		}
		k = d->wsleft < n ? (uint32_t)d->wsleft : n;
		if (d->wh.opcode >= 8) {
			memcpy(d->ctl + d->wsoff, p, k);
			ws_unmask(d->ctl + d->wsoff, k, d->wh.mask, d->wsoff);
		} else {
			/* data: unmask a chunk at a time and hand it on */
			uint32_t done = 0;
			if (!t->scratch && !(t->scratch = budget_malloc(SCRATCH, "transport")))
				return;
			while (done < k) {
				uint32_t m = k - done < SCRATCH ? k - done : SCRATCH;
				memcpy(t->scratch, p + done, m);
				if (d->wh.masked)
					ws_unmask(t->scratch, m, d->wh.mask, d->wsoff + done);
				inner_data(t, f, c, dir, t->scratch, m, at);
				done += m;
			}
		}
		d->wsoff += k;
		d->wsleft -= k;
		p += k, n -= k;
		if (d->wsleft == 0) {
			d->in_frame = 0;
			if (d->wh.opcode >= 8)
				ws_control(t, f, d, dir, at);
		}
	}
}

/* ---- the memory budget ------------------------------------------------------------ */

/* What c's buffers cost now. */
static size_t conn_held(const struct tconn *c)
{
	size_t n = 0;

	for (int i = 0; c->s && i < 2; i++)
		n += (c->s->d[i].rec ? TLS_MAX_FRAGMENT : 0) + (c->s->d[i].hs ? HS_MAX : 0) +
		     (c->s->d[i].http ? HTTP_MAX : 0);
	return n;
}

static void blist_unlink(struct transport *t, struct tconn *c)
{
	if (c->bprev)
		c->bprev->bnext = c->bnext;
	else if (t->bhead == c)
		t->bhead = c->bnext;
	else
		return;
	if (c->bnext)
		c->bnext->bprev = c->bprev;
	else
		t->btail = c->bprev;
	c->bprev = c->bnext = NULL;
}

static void blist_append(struct transport *t, struct tconn *c)
{
	c->bprev = t->btail;
	if (t->btail)
		t->btail->bnext = c;
	else
		t->bhead = c;
	t->btail = c;
}

/* Tell the budget what c holds now; c is on the list while it holds anything. */
static void recharge(struct transport *t, struct tconn *c)
{
	size_t now = conn_held(c);
	int listed = t->bhead == c || c->bprev;

	if (now != c->charged) /* most segments leave it as it was: no call then */
		budget_resize(t->cfg.budget, BUDGET_TRANSPORT, c->charged, now);
	c->charged = now;
	if (now && !listed)
		blist_append(t, c);
	else if (!now && listed)
		blist_unlink(t, c);
}

/* Direction dir's buffers go: a handshake message or a record being read is lost (TLS
 * looks for the next record header, as after a gap), an HTTP head is not read (the
 * connection is not followed). Each said in an error event. */
static void evict_dir(struct transport *t, struct tconn *c, int dir, const struct frame_ref *at)
{
	struct reasm_flow *f = c->rflow;
	struct tdir *d = &c->s->d[dir];
	uint64_t lost = 0;
	int dropped_http = d->http != NULL;

	if (d->http) {
		lost = d->httplen;
		free(d->http);
		d->http = NULL;
		ws_stop(f, c);
		if (c->kind == TRANSPORT_IGNORED)
			t->st.ignored++;
		error_ev(t, f, dir, at, "HTTP", "an HTTP head dropped (--max-memory): not read");
	}
	if (d->rec) {
		/* the record in progress: the rest of it is counted, not read; a handshake
		 * record's loss leaves the handshake unreadable: the rest of it is skipped */
		lost += d->gather ? d->rechave : 0;
		if (d->gather && d->rh.type == TLS_CT_HANDSHAKE && d->rechave < d->rh.len)
			d->hs_skip = UINT32_MAX;
		rec_free(d->rec);
		d->rec = NULL;
		d->gather = 0;
	}
	if (d->hs) {
		/* the handshake message in progress: the rest of it is skipped (its length is
		 * in its header; without one, the rest of the direction's handshake) */
		lost += d->hslen;
		if (d->hslen >= 4 && d->hs_skip != UINT32_MAX) {
			const uint8_t *m = d->hs;
			d->hs_skip = (((uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3]) + 4) -
				     d->hslen;
		} else {
			d->hs_skip = UINT32_MAX; /* no length known: the rest is not read */
		}
		free(d->hs);
		d->hs = NULL;
		d->hslen = 0;
	}
	if (c->kind == TRANSPORT_TLS && lost)
		error_ev(t, f, dir, at, tls_proto(c, 0),
			 "TLS handshake bytes dropped (--max-memory): not read");
	if (!lost && !dropped_http)
		return;
	t->st.budget_drops++;
	t->st.budget_bytes += lost;
	budget_evicted(t->cfg.budget, BUDGET_TRANSPORT, lost);
}

int transport_evict(struct transport *t, const struct frame_ref *at)
{
	struct tconn *c = t->bhead;
	size_t before;

	if (!c)
		return 0;
	before = c->charged;
	for (int i = 0; i < 2; i++)
		evict_dir(t, c, i, at);
	recharge(t, c);
	return c->charged < before;
}

/* ---- the reasm_sink ----------------------------------------------------------------- */

static void *on_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	struct transport *t = ctx;
	struct tconn *c = budget_calloc(1, sizeof *c, "transport");

	if (!c)
		return NULL;
	c->rflow = f;
	budget_charge(t->cfg.budget, BUDGET_CONN, sizeof *c);
	c->on_mqtt = (uint8_t)port_set_has(&t->ports[0], f->broker_port);
	c->on_tls = (uint8_t)port_set_has(&t->ports[1], f->broker_port);
	c->on_ws = (uint8_t)port_set_has(&t->ports[2], f->broker_port);
	/* Broker ports as before: the framer hears of the connection from its start. */
	if (c->on_mqtt) {
		f->user = c;
		inner_open(t, f, c, at);
	}
	return c;
}

static void dispatch(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		     const uint8_t *p, uint32_t n, const struct frame_ref *at)
{
	switch (c->kind) {
	case TRANSPORT_MQTT:
		inner_data(t, f, c, dir, p, n, at);
		break;
	case TRANSPORT_TLS:
		tls_data(t, f, c, dir, p, n, at);
		break;
	case TRANSPORT_WS:
		ws_data(t, f, c, dir, p, n, at);
		break;
	default:
		break;
	}
}

/* Decide the connection's kind from q/m (dir's first bytes), then hand on the bytes
 * held while deciding. */
static void settle(struct transport *t, struct reasm_flow *f, struct tconn *c, int dir,
		   const uint8_t *q, uint32_t m, const struct frame_ref *at)
{
	uint8_t held[2][PEEK];
	uint8_t nh[2];

	decide(t, c, dir, q, m);
	if (c->kind == TRANSPORT_TLS)
		c->view.in_tls = 1;
	if (c->kind == TRANSPORT_MQTT && !c->on_mqtt && !c->on_tls) {
		struct transport_event ev;
		char text[96];
		ev_init(&ev, TRANSPORT_EV_DETECTED, f, dir, at);
		ev.port = f->broker_port;
		ev.proto = "MQTT";
		snprintf(text, sizeof text, "[MQTT detected on port %u: the connection opens "
			 "with a CONNECT]", f->broker_port);
		ev.info = text;
		send_ev(t, &ev);
	}
	if (c->kind != TRANSPORT_IGNORED)
		inner_open(t, f, c, at);
	else
		reasm_ignore(f); /* reassembly need not keep its bytes */
	memcpy(held, c->peek, sizeof held);
	memcpy(nh, c->npeek, sizeof nh);
	c->npeek[0] = c->npeek[1] = 0;
	if (nh[dir])
		dispatch(t, f, c, dir, held[dir], nh[dir], at);
	if (nh[!dir])
		dispatch(t, f, c, !dir, held[!dir], nh[!dir], at);
}

static void on_data(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		    const struct frame_ref *at)
{
	struct transport *t = ctx;
	struct tconn *c = f->user;

	if (!c || !n)
		return;
	if (c->kind == TRANSPORT_UNDECIDED) {
		if (c->npeek[dir] == 0 && !need_more(c, dir, p, n)) {
			settle(t, f, c, dir, p, n, at);
		} else {
			uint32_t k = PEEK - c->npeek[dir] < n ? PEEK - c->npeek[dir] : n;
			memcpy(c->peek[dir] + c->npeek[dir], p, k);
			c->npeek[dir] = (uint8_t)(c->npeek[dir] + k);
			p += k, n -= k;
			if (need_more(c, dir, c->peek[dir], c->npeek[dir]))
				return;
			settle(t, f, c, dir, c->peek[dir], c->npeek[dir], at);
		}
	}
	if (n)
		dispatch(t, f, c, dir, p, n, at);
	recharge(t, c);
}

static void on_gap(void *ctx, struct reasm_flow *f, int dir, uint64_t offset, uint32_t len,
		   int cause, const struct frame_ref *at)
{
	struct transport *t = ctx;
	struct tconn *c = f->user;
	struct tdir *d;

	if (c && c->kind == TRANSPORT_UNDECIDED && c->npeek[dir])
		settle(t, f, c, dir, c->peek[dir], c->npeek[dir], at);
	if (!c || c->kind == TRANSPORT_IGNORED)
		return;
	/* The framer reports the hole (a NOTE, a "gap" record) whatever carries MQTT. */
	if (c->inner_open && t->inner.gap)
		INNER_CALL(t, f, c, t->inner.gap(t->inner_ctx, v_, dir, offset, len, cause, at));
	if (!c->s)
		return; /* plain MQTT, or not decided yet */
	d = &c->s->d[dir];
	switch (c->kind) {
	case TRANSPORT_TLS:
		/* the record in progress is lost: look for the next header */
		d->hdrhave = 0;
		d->rechave = 0;
		d->hslen = 0;
		d->hs_skip = 0;
		d->resync = 1;
		break;
	case TRANSPORT_WS:
		/* Frames mostly start segments: the next segment that opens with a frame
		 * header of this side (masked from the client only) resumes the stream. */
		if (d->wsphase == WS_FRAMES) {
			d->in_frame = 0;
			d->wshdrhave = 0;
			d->ws_resync = 1;
		}
		break;
	default:
		break;
	}
	recharge(t, c);
}

static void on_eof(void *ctx, struct reasm_flow *f, int dir, int why, const struct frame_ref *at)
{
	struct transport *t = ctx;
	struct tconn *c = f->user;

	/* a direction that ended before its first bytes told its kind */
	if (c && c->kind == TRANSPORT_UNDECIDED && c->npeek[dir])
		settle(t, f, c, dir, c->peek[dir], c->npeek[dir], at);
	if (c && c->inner_open && t->inner.eof)
		INNER_CALL(t, f, c, t->inner.eof(t->inner_ctx, v_, dir, why, at));
}

static void on_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	struct transport *t = ctx;
	struct tconn *c = f->user;

	if (!c)
		return;
	if (c->kind == TRANSPORT_TLS)
		tls_end(t, f, c, at);
	if (c->inner_open && t->inner.close)
		INNER_CALL(t, f, c, t->inner.close(t->inner_ctx, v_, why, at));
	for (int i = 0; c->s && i < 2; i++) {
		tls_keys_free(c->s->keys[i]);
		tls_keys_free(c->s->next_keys[i]);
		rec_free(c->s->d[i].rec);
		free(c->s->d[i].hs);
		free(c->s->d[i].http);
	}
	blist_unlink(t, c);
	budget_release(t->cfg.budget, BUDGET_TRANSPORT, c->charged);
	budget_release(t->cfg.budget, BUDGET_CONN, sizeof *c + (c->s ? sizeof *c->s : 0));
	free(c->s);
	free(c);
	f->user = NULL;
}

static const struct reasm_sink transport_callbacks = {
	.open = on_open,
	.data = on_data,
	.gap = on_gap,
	.eof = on_eof,
	.close = on_close,
};

const struct reasm_sink *transport_reasm_sink(void)
{
	return &transport_callbacks;
}
