/* Transport stage: TLS records and hellos, WebSocket frames, the stage end to end. */
#include "mqttdump/transport.h"
#include "mqttdump/tls.h"
#include "mqttdump/ws.h"

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a recording next stage and event sink ----------------------------------------- */

struct rec {
	uint8_t bytes[2][1 << 18];
	size_t n[2];
	int opens, closes, gaps;
	struct transport_event ev[64];
	char info[64][512];
	int nev;
	char sni[64];
};

static void *r_open(void *ctx, struct reasm_flow *f, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)f, (void)at;
	r->opens++;
	return r; /* any non-NULL state: the transport must hand it back */
}

static void r_data(void *ctx, struct reasm_flow *f, int dir, const uint8_t *p, uint32_t n,
		   const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)at;
	cr_assert_eq(f->user, r, "the framer's own state is lent to it");
	cr_assert_leq(r->n[dir] + n, sizeof r->bytes[dir]);
	memcpy(r->bytes[dir] + r->n[dir], p, n);
	r->n[dir] += n;
}

static void r_gap(void *ctx, struct reasm_flow *f, int dir, uint64_t off, uint32_t len,
		  int cause, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)f, (void)dir, (void)off, (void)len, (void)cause, (void)at;
	r->gaps++;
}

static void r_close(void *ctx, struct reasm_flow *f, int why, const struct frame_ref *at)
{
	struct rec *r = ctx;
	(void)why, (void)at;
	cr_assert_eq(f->user, r);
	r->closes++;
	f->user = NULL;
}

static const struct reasm_sink inner = { r_open, r_data, r_gap, NULL, r_close };

static void r_event(void *ctx, const struct transport_event *ev)
{
	struct rec *r = ctx;
	if (r->nev < 64) {
		r->ev[r->nev] = *ev;
		snprintf(r->info[r->nev], sizeof r->info[0], "%s", ev->info ? ev->info : "");
		if (ev->kind == TRANSPORT_EV_TLS && ev->ch && ev->ch->sni)
			snprintf(r->sni, sizeof r->sni, "%.*s", (int)ev->ch->sni_len,
				 (const char *)ev->ch->sni);
		r->nev++;
	}
}

static const uint16_t mqtt_ports[] = { 1883 }, tls_ports[] = { 8883 }, ws_ports[] = { 9001 };

struct stage {
	struct transport *t;
	const struct reasm_sink *s;
	struct reasm_flow f;
	struct frame_ref at;
};

static void stage_open(struct stage *st, struct rec *r, uint16_t port, int detect)
{
	struct transport_config cfg = { mqtt_ports, 1, tls_ports, 1, ws_ports, 1, detect, NULL,
				       NULL, NULL };
	struct transport_sink ts = { r_event };

	memset(r, 0, sizeof *r);
	memset(st, 0, sizeof *st);
	st->t = transport_new(&cfg, &inner, r, &ts, r);
	cr_assert_not_null(st->t);
	st->s = transport_reasm_sink();
	st->f.broker_port = port;
	st->f.client_port = 40000;
	st->f.saw_syn = 1;
	st->at.frame = 1;
	st->f.user = st->s->open(st->t, &st->f, &st->at);
}

static void feed(struct stage *st, int dir, const uint8_t *p, size_t n)
{
	st->at.frame++;
	st->s->data(st->t, &st->f, dir, p, (uint32_t)n, &st->at);
}

/* p fed in pieces of `chunk` bytes */
static void feed_chunks(struct stage *st, int dir, const uint8_t *p, size_t n, size_t chunk)
{
	for (size_t o = 0; o < n; o += chunk)
		feed(st, dir, p + o, n - o < chunk ? n - o : chunk);
}

static void stage_close(struct stage *st)
{
	if (st->s->eof) {
		st->s->eof(st->t, &st->f, 0, REASM_END_FIN, &st->at);
		st->s->eof(st->t, &st->f, 1, REASM_END_FIN, &st->at);
	}
	st->s->close(st->t, &st->f, REASM_END_FIN, &st->at);
	transport_free(st->t);
}

static int count_kind(const struct rec *r, int kind)
{
	int n = 0;
	for (int i = 0; i < r->nev; i++)
		n += r->ev[i].kind == kind;
	return n;
}

/* ---- TLS vectors ------------------------------------------------------------------- */

static size_t put16(uint8_t *p, size_t o, unsigned v)
{
	p[o] = (uint8_t)(v >> 8);
	p[o + 1] = (uint8_t)v;
	return o + 2;
}

/* A Client Hello record: SNI host (hl bytes, at most 300), supported_versions (GREASE,
 * 1.3, 1.2), ALPN "mqtt". Returns its length. */
static size_t client_hello_sni(uint8_t *out, const char *host, size_t hl)
{
	uint8_t b[512];
	size_t o = 0, ext_at, e;

	o = put16(b, o, 0x0303);
	memset(b + o, 0xab, 32), o += 32;         /* random */
	b[o++] = 0;                               /* session id */
	o = put16(b, o, 4);
	o = put16(b, o, 0x1302), o = put16(b, o, 0xc030);
	b[o++] = 1, b[o++] = 0;                   /* compression: null */
	ext_at = o;
	o += 2;
	/* server_name */
	o = put16(b, o, 0);
	o = put16(b, o, (unsigned)(hl + 5));
	o = put16(b, o, (unsigned)(hl + 3));
	b[o++] = 0;
	o = put16(b, o, (unsigned)hl);
	memcpy(b + o, host, hl), o += hl;
	/* supported_versions */
	o = put16(b, o, 43);
	o = put16(b, o, 7);
	b[o++] = 6;
	o = put16(b, o, 0x3a3a), o = put16(b, o, 0x0304), o = put16(b, o, 0x0303);
	/* ALPN */
	o = put16(b, o, 16);
	o = put16(b, o, 7);
	o = put16(b, o, 5);
	b[o++] = 4;
	memcpy(b + o, "mqtt", 4), o += 4;
	put16(b, ext_at, (unsigned)(o - ext_at - 2));
	/* handshake header, record header */
	e = 0;
	out[e++] = 0x16, out[e++] = 3, out[e++] = 1;
	e = put16(out, e, (unsigned)(o + 4));
	out[e++] = 1;
	out[e++] = (uint8_t)(o >> 16), out[e++] = (uint8_t)(o >> 8), out[e++] = (uint8_t)o;
	memcpy(out + e, b, o);
	return e + o;
}

/* The Client Hello with SNI "broker.local". */
static size_t client_hello(uint8_t *out)
{
	return client_hello_sni(out, "broker.local", strlen("broker.local"));
}

static size_t server_hello(uint8_t *out, uint16_t selected, uint16_t suite)
{
	uint8_t b[128];
	size_t o = 0, e = 0;

	o = put16(b, o, 0x0303);
	memset(b + o, 0xcd, 32), o += 32;
	b[o++] = 0;
	o = put16(b, o, suite);
	b[o++] = 0;
	o = put16(b, o, 6);
	o = put16(b, o, 43), o = put16(b, o, 2), o = put16(b, o, selected);
	out[e++] = 0x16, out[e++] = 3, out[e++] = 3;
	e = put16(out, e, (unsigned)(o + 4));
	out[e++] = 2, out[e++] = 0, out[e++] = 0, out[e++] = (uint8_t)o;
	memcpy(out + e, b, o);
	return e + o;
}

Test(tls, record_header)
{
	struct tls_record_hdr h;
	const uint8_t ok[] = { 0x17, 3, 3, 0x40, 0x00 };
	const uint8_t big[] = { 0x17, 3, 3, 0x48, 0x01 };   /* 18433: over 2^14 + 2048 */
	const uint8_t type[] = { 0x18, 3, 3, 0, 1 };
	const uint8_t ver[] = { 0x16, 2, 0, 0, 1 };

	cr_assert_eq(tls_record_header(ok, 5, &h), TLS_OK);
	cr_assert_eq(h.type, 0x17);
	cr_assert_eq(h.version, 0x0303);
	cr_assert_eq(h.len, 0x4000);
	for (size_t n = 0; n < 5; n++)
		cr_assert_eq(tls_record_header(ok, n, &h), TLS_TRUNCATED, "prefix %zu", n);
	cr_assert_eq(tls_record_header(big, 5, &h), TLS_MALFORMED);
	cr_assert_eq(tls_record_header(type, 1, &h), TLS_MALFORMED);
	cr_assert_eq(tls_record_header(ver, 2, &h), TLS_MALFORMED);
}

Test(tls, client_hello_fields)
{
	uint8_t rec[600];
	size_t n = client_hello(rec);
	struct tls_client_hello ch;

	cr_assert_eq(tls_parse_client_hello(rec + 9, n - 9, &ch), TLS_OK);
	cr_assert_eq(ch.version, 0x0303);
	cr_assert_eq(ch.sni_len, 12);
	cr_assert(memcmp(ch.sni, "broker.local", 12) == 0);
	cr_assert_eq(ch.nversions, 2, "GREASE is not a version");
	cr_assert_eq(ch.versions[0], 0x0304);
	cr_assert_eq(ch.versions[1], 0x0303);
	cr_assert_eq(ch.nsuites, 2);
	cr_assert_eq(ch.alpn_len, 4);
	cr_assert(memcmp(ch.alpn, "mqtt", 4) == 0);
	cr_assert_eq(ch.random[0], 0xab);
}

Test(tls, client_hello_every_truncation_is_malformed)
{
	uint8_t rec[600];
	size_t n = client_hello(rec) - 9;
	struct tls_client_hello ch;

	/* Any cut inside a vector must be caught; only a cut right before the extensions
	 * block is a (pre-1.2) hello without extensions. */
	for (size_t k = 0; k < n; k++) {
		uint8_t *copy = malloc(k ? k : 1); /* exact size: ASan sees any over-read */
		int rc;
		memcpy(copy, rec + 9, k);
		rc = tls_parse_client_hello(copy, k, &ch);
		if (k == 2 + 32 + 1 + 2 + 4 + 2)
			cr_assert_eq(rc, TLS_OK, "cut before the extensions");
		else
			cr_assert_eq(rc, TLS_MALFORMED, "cut at %zu", k);
		free(copy);
	}
}

Test(tls, client_hello_hostile_lengths)
{
	uint8_t rec[600];
	size_t n = client_hello(rec);
	struct tls_client_hello ch;
	uint8_t *b = rec + 9;

	/* the extensions block claims 0xffff bytes */
	b[2 + 32 + 1 + 2 + 4 + 2] = 0xff;
	b[2 + 32 + 1 + 2 + 4 + 2 + 1] = 0xff;
	cr_assert_eq(tls_parse_client_hello(b, n - 9, &ch), TLS_MALFORMED);
	n = client_hello(rec);
	/* the cipher suites claim an odd length */
	b[2 + 32 + 1 + 1] = 3;
	cr_assert_eq(tls_parse_client_hello(b, n - 9, &ch), TLS_MALFORMED);
	/* the session id claims 255 bytes */
	n = client_hello(rec);
	b[2 + 32] = 0xff;
	cr_assert_eq(tls_parse_client_hello(b, n - 9, &ch), TLS_MALFORMED);
}

Test(tls, server_hello_and_hrr)
{
	uint8_t rec[200];
	size_t n = server_hello(rec, 0x0304, 0x1302);
	struct tls_server_hello sh;

	cr_assert_eq(tls_parse_server_hello(rec + 9, n - 9, &sh), TLS_OK);
	cr_assert_eq(sh.selected, 0x0304);
	cr_assert_eq(sh.version, 0x0303);
	cr_assert_eq(sh.suite, 0x1302);
	cr_assert_eq(sh.hrr, 0);
	for (size_t k = 0; k + 9 < n; k++)
		if (k != 2 + 32 + 1 + 2 + 1) /* before the extensions: a hello without any */
			cr_assert_neq(tls_parse_server_hello(rec + 9, k, &sh), TLS_OK, "cut at %zu", k);
	cr_assert_str_eq(tls_suite_name(0x1302), "TLS_AES_256_GCM_SHA384");
	cr_assert_str_eq(tls_version_name(0x0301), "TLSv1");
	cr_assert_str_eq(tls_alert_name(40), "Handshake Failure");
	cr_assert_str_eq(tls_hs_name(14), "Server Hello Done");
	cr_assert_null(tls_suite_name(0x9999));
}

Test(tls, certificate_list_hostile)
{
	/* a list of one 3-byte "certificate", then one that claims more than is left */
	const uint8_t ok[] = { 0, 0, 6, 0, 0, 3, 1, 2, 3 };
	const uint8_t bad[] = { 0, 0, 6, 0, 0, 9, 1, 2, 3 };
	const uint8_t over[] = { 0xff, 0xff, 0xff, 0, 0, 1 };
	const uint8_t *der;
	size_t pos = 0, len;

	cr_assert_eq(tls_next_certificate(ok, sizeof ok, 0, &pos, &der, &len), TLS_OK);
	cr_assert_eq(len, 3);
	cr_assert_eq(der[0], 1);
	cr_assert_eq(tls_next_certificate(ok, sizeof ok, 0, &pos, &der, &len), TLS_TRUNCATED);
	pos = 0;
	cr_assert_eq(tls_next_certificate(bad, sizeof bad, 0, &pos, &der, &len), TLS_MALFORMED);
	pos = 0;
	cr_assert_eq(tls_next_certificate(over, sizeof over, 0, &pos, &der, &len), TLS_MALFORMED);
	/* not DER: no facts */
	{
		struct tls_cert_facts cf;
		cr_assert_eq(tls_cert_facts(ok + 6, 3, &cf), -1);
	}
}

/* ---- the stage: TLS ------------------------------------------------------------------ */

Test(transport, tls_hello_across_every_split)
{
	uint8_t ch[600], sh[200];
	size_t n = client_hello(ch), m = server_hello(sh, 0x0304, 0x1302);

	for (size_t chunk = 1; chunk <= n; chunk++) {
		static struct rec r;
		struct stage st;
		stage_open(&st, &r, 8883, 0);
		feed_chunks(&st, REASM_TO_BROKER, ch, n, chunk);
		feed_chunks(&st, REASM_TO_CLIENT, sh, m, chunk);
		cr_assert_eq(r.n[0] + r.n[1], 0, "TLS bytes never reach the framer");
		cr_assert_eq(count_kind(&r, TRANSPORT_EV_TLS), 2, "chunk %zu", chunk);
		cr_assert_str_eq(r.sni, "broker.local");
		cr_assert_str_eq(r.info[0], "Client Hello (SNI=broker.local, offers TLSv1.3 TLSv1.2)");
		cr_assert_str_eq(r.info[1], "Server Hello (TLSv1.3, TLS_AES_256_GCM_SHA384)");
		cr_assert_str_eq(r.ev[1].proto, "TLSv1.3");
		cr_assert_str_eq(r.ev[0].proto, "TLSv1");
		stage_close(&st);
		cr_assert_eq(count_kind(&r, TRANSPORT_EV_TLS_END), 1);
		cr_assert_eq(r.closes, 1);
	}
}

Test(transport, tls_on_a_broker_port_is_not_framed)
{
	static struct rec r;
	struct stage st;
	uint8_t ch[600];
	size_t n = client_hello(ch);
	const uint8_t app[] = { 0x17, 3, 3, 0, 3, 0x30, 0x01, 0x00 }; /* looks like MQTT inside */

	stage_open(&st, &r, 1883, 0);
	cr_assert_eq(r.opens, 1, "a broker port's framer hears of the connection at once");
	feed(&st, REASM_TO_BROKER, ch, n);
	feed(&st, REASM_TO_BROKER, app, sizeof app);
	cr_assert_eq(r.n[0], 0);
	cr_assert_str_eq(r.info[r.nev - 1], "Application Data");
	stage_close(&st);
}

Test(transport, tls_hostile_record_length_stops_the_direction)
{
	static struct rec r;
	struct stage st;
	uint8_t ch[600];
	size_t n = client_hello(ch);
	const uint8_t bad[] = { 0x16, 3, 3, 0xff, 0xff, 1, 2, 3 };

	stage_open(&st, &r, 8883, 0);
	feed(&st, REASM_TO_BROKER, ch, n);
	feed(&st, REASM_TO_BROKER, bad, sizeof bad);
	feed(&st, REASM_TO_BROKER, ch, n); /* never read now */
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_ERROR), 1);
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_TLS), 1);
	stage_close(&st);
}

Test(transport, tls_handshake_message_split_over_records)
{
	static struct rec r;
	struct stage st;
	uint8_t ch[600], two[700];
	size_t n = client_hello(ch), body = n - 5, h = body / 2, o = 0;

	/* the same handshake message in two records */
	two[o++] = 0x16, two[o++] = 3, two[o++] = 1, o = put16(two, o, (unsigned)h);
	memcpy(two + o, ch + 5, h), o += h;
	two[o++] = 0x16, two[o++] = 3, two[o++] = 1, o = put16(two, o, (unsigned)(body - h));
	memcpy(two + o, ch + 5 + h, body - h), o += body - h;
	stage_open(&st, &r, 8883, 0);
	feed_chunks(&st, REASM_TO_BROKER, two, o, 7);
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_TLS), 1);
	cr_assert_str_eq(r.sni, "broker.local");
	stage_close(&st);
}

Test(transport, tls_alert_and_failed_handshake)
{
	static struct rec r;
	struct stage st;
	uint8_t ch[600], sh[200];
	size_t n = client_hello(ch), m = server_hello(sh, 0x0303, 0xc030);
	const uint8_t alert[] = { 0x15, 3, 3, 0, 2, 2, 40 };

	stage_open(&st, &r, 8883, 0);
	feed(&st, REASM_TO_BROKER, ch, n);
	feed(&st, REASM_TO_CLIENT, sh, m);
	feed(&st, REASM_TO_CLIENT, alert, sizeof alert);
	cr_assert_str_eq(r.info[2], "Alert (Level: Fatal, Description: Handshake Failure)");
	cr_assert_eq(r.ev[2].alert_desc, 40);
	stage_close(&st);
	cr_assert_eq(r.ev[3].kind, TRANSPORT_EV_TLS_END);
	cr_assert_str_eq(r.ev[3].handshake, "failed");
}

/* 1 when s holds a byte a terminal acts on: C0 (none are expected), DEL, or the UTF-8 of a
 * C1 control (C2 80-9F) or of U+202E (E2 80 AE). */
static int raw_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (p[0] == 0xe2 && p[1] == 0x80 && p[2] == 0xae))
			return 1;
	return 0;
}

/* A self-signed certificate (DER) whose subject CN is cn; returns its length. */
static size_t hostile_cert(const char *cn, uint8_t *out, size_t cap)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *nm;
	unsigned char *p = out;
	int n;

	cr_assert(k && x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, nm);
	X509_set_pubkey(x, k);
	cr_assert(X509_sign(x, k, EVP_sha256()) > 0);
	n = i2d_X509(x, NULL);
	cr_assert(n > 0 && (size_t)n <= cap);
	i2d_X509(x, &p);
	X509_free(x);
	EVP_PKEY_free(k);
	return (size_t)n;
}

Test(transport, tls_names_are_escaped_for_the_terminal)
{
	static struct rec r;
	struct stage st;
	uint8_t ch[600], sh[200], der[2048], rec[2100];
	size_t n, m = server_hello(sh, 0x0303, 0xc030), d, o = 0;
	/* C1 (U+009B), RIGHT-TO-LEFT OVERRIDE, ESC, BEL in a certificate name */
	const char *cn = "evil\xc2\x9b" "31m\xe2\x80\xaegnp.exe\x1b]0;t\x07";
	const char *sni = "sni\x1b[2J\xe2\x80\xae\xff.example";

	n = client_hello_sni(ch, sni, strlen(sni));
	d = hostile_cert(cn, der, sizeof der);
	/* Certificate (TLS 1.2): one certificate */
	rec[o++] = 0x16, rec[o++] = 3, rec[o++] = 3;
	o = put16(rec, o, (unsigned)(d + 10));
	rec[o++] = 11;
	rec[o++] = 0, o = put16(rec, o, (unsigned)(d + 6));
	rec[o++] = 0, o = put16(rec, o, (unsigned)(d + 3));
	rec[o++] = 0, o = put16(rec, o, (unsigned)d);
	memcpy(rec + o, der, d), o += d;

	stage_open(&st, &r, 8883, 0);
	feed(&st, REASM_TO_BROKER, ch, n);
	feed(&st, REASM_TO_CLIENT, sh, m);
	feed(&st, REASM_TO_CLIENT, rec, o);
	cr_assert_eq(r.nev, 3);
	cr_assert_not_null(strstr(r.info[0], "SNI=sni\\x1b[2J\\u202e\\xff.example"), "%s",
			   r.info[0]);
	cr_assert_not_null(strstr(r.info[2], "\\u009b31m\\u202egnp.exe"), "%s", r.info[2]);
	for (int i = 0; i < r.nev; i++)
		cr_assert(!raw_controls(r.info[i]), "raw control in %s", r.info[i]);
	stage_close(&st);
	cr_assert_eq(r.ev[3].kind, TRANSPORT_EV_TLS_END);
	cr_assert(!raw_controls(r.info[3]), "%s", r.info[3]);
}

/* ---- WebSocket ------------------------------------------------------------------------ */

static const char upgrade[] = "GET /mqtt HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
			      "Connection: Upgrade\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";

/* A frame of payload p/n; masked with key when key != NULL. */
static size_t ws_frame(uint8_t *out, int fin, int op, const uint8_t *key, const uint8_t *p,
		       size_t n)
{
	size_t o = 0;

	out[o++] = (uint8_t)((fin ? 0x80 : 0) | op);
	if (n < 126) {
		out[o++] = (uint8_t)((key ? 0x80 : 0) | n);
	} else if (n < 65536) {
		out[o++] = (uint8_t)((key ? 0x80 : 0) | 126);
		o = put16(out, o, (unsigned)n);
	} else {
		out[o++] = (uint8_t)((key ? 0x80 : 0) | 127);
		for (int i = 7; i >= 0; i--)
			out[o++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	if (key)
		memcpy(out + o, key, 4), o += 4;
	for (size_t i = 0; i < n; i++)
		out[o + i] = key ? p[i] ^ key[i & 3] : p[i];
	return o + n;
}

Test(ws, header_lengths_and_rules)
{
	struct ws_frame_hdr h;
	const uint8_t len7[] = { 0x82, 0x85, 1, 2, 3, 4 };
	const uint8_t len16[] = { 0x82, 126, 0x01, 0x00 };
	const uint8_t len64[] = { 0x02, 127, 0, 0, 0, 0, 0, 1, 0, 0 };
	const uint8_t short16[] = { 0x82, 126, 0, 100 };        /* 100 fits in 7 bits */
	const uint8_t top64[] = { 0x82, 127, 0x80, 0, 0, 0, 0, 1, 0, 0 };
	const uint8_t bigping[] = { 0x89, 126, 0, 200 };
	const uint8_t fragping[] = { 0x09, 0 };
	const uint8_t rsv[] = { 0xc2, 0 };
	const uint8_t op3[] = { 0x83, 0 };

	cr_assert_eq(ws_frame_header(len7, sizeof len7, &h), WS_OK);
	cr_assert_eq(h.len, 5);
	cr_assert_eq(h.hdrlen, 6);
	cr_assert(h.masked && h.fin && h.opcode == 2);
	cr_assert_eq(h.mask[3], 4);
	for (size_t k = 0; k < sizeof len7; k++)
		cr_assert_eq(ws_frame_header(len7, k, &h), WS_TRUNCATED, "prefix %zu", k);
	cr_assert_eq(ws_frame_header(len16, sizeof len16, &h), WS_OK);
	cr_assert_eq(h.len, 256);
	cr_assert_eq(ws_frame_header(len64, sizeof len64, &h), WS_OK);
	cr_assert_eq(h.len, 65536);
	cr_assert_eq(h.fin, 0);
	cr_assert_eq(ws_frame_header(short16, sizeof short16, &h), WS_MALFORMED);
	cr_assert_eq(ws_frame_header(top64, sizeof top64, &h), WS_MALFORMED);
	cr_assert_eq(ws_frame_header(bigping, sizeof bigping, &h), WS_MALFORMED);
	cr_assert_eq(ws_frame_header(fragping, sizeof fragping, &h), WS_MALFORMED);
	cr_assert_eq(ws_frame_header(rsv, sizeof rsv, &h), WS_MALFORMED);
	cr_assert_eq(ws_frame_header(op3, sizeof op3, &h), WS_MALFORMED);
}

Test(ws, unmask_keeps_phase_across_pieces)
{
	const uint8_t key[4] = { 0x11, 0x22, 0x33, 0x44 };
	uint8_t a[10], b[10];

	for (int i = 0; i < 10; i++)
		a[i] = b[i] = (uint8_t)(i * 7);
	ws_unmask(a, 10, key, 0);
	ws_unmask(b, 3, key, 0);
	ws_unmask(b + 3, 7, key, 3);
	cr_assert(memcmp(a, b, 10) == 0);
	ws_unmask(a, 10, key, 0);
	cr_assert_eq(a[9], 63);
}

Test(ws, upgrade_request)
{
	size_t line;
	int mqtt;
	const char *plain = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	cr_assert_eq(ws_is_upgrade((const uint8_t *)upgrade, strlen(upgrade), &line, &mqtt), 1);
	cr_assert_eq(line, strlen("GET /mqtt HTTP/1.1"));
	cr_assert_eq(mqtt, 1);
	cr_assert_eq(ws_is_upgrade((const uint8_t *)plain, strlen(plain), &line, &mqtt), 0);
}

/* The MQTT bytes a client sends, in frames of every length form, fragmented, with a ping
 * between the fragments; cut into pieces of every size from 1 byte up. */
Test(transport, websocket_frames_to_mqtt_bytes)
{
	static uint8_t mqtt[70000], wire[80000], srv[400];
	const uint8_t key[4] = { 0x5a, 0xa5, 0x0f, 0xf0 };
	size_t o = 0, so = 0, nm = sizeof mqtt;

	for (size_t i = 0; i < nm; i++)
		mqtt[i] = (uint8_t)(i * 31 + 7);
	memcpy(wire, upgrade, strlen(upgrade));
	o = strlen(upgrade);
	o += ws_frame(wire + o, 1, 2, key, mqtt, 100);                 /* 7-bit */
	o += ws_frame(wire + o, 1, 2, key, mqtt + 100, 300);           /* 16-bit */
	o += ws_frame(wire + o, 0, 2, key, mqtt + 400, 65600);         /* 64-bit, not FIN */
	o += ws_frame(wire + o, 1, 9, key, (const uint8_t *)"hi", 2);  /* ping between */
	o += ws_frame(wire + o, 1, 0, key, mqtt + 66000, nm - 66000);  /* continuation */
	memcpy(srv, switching, strlen(switching));
	so = strlen(switching);
	so += ws_frame(srv + so, 1, 2, NULL, (const uint8_t *)"\x20\x02\x00\x00", 4);
	so += ws_frame(srv + so, 1, 8, NULL, (const uint8_t *)"\x03\xe8", 2);

	for (size_t chunk = 1; chunk < o; chunk = chunk * 3 + 1) {
		static struct rec r;
		struct stage st;
		stage_open(&st, &r, 9001, 0);
		feed_chunks(&st, REASM_TO_BROKER, wire, o, chunk);
		feed_chunks(&st, REASM_TO_CLIENT, srv, so, chunk);
		cr_assert_eq(r.n[0], nm, "chunk %zu: %zu bytes", chunk, r.n[0]);
		cr_assert(memcmp(r.bytes[0], mqtt, nm) == 0, "chunk %zu", chunk);
		cr_assert_eq(r.n[1], 4);
		cr_assert(memcmp(r.bytes[1], "\x20\x02\x00\x00", 4) == 0);
		cr_assert_eq(count_kind(&r, TRANSPORT_EV_HTTP), 2);
		cr_assert_eq(count_kind(&r, TRANSPORT_EV_WS), 2, "a ping and a close");
		cr_assert_eq(count_kind(&r, TRANSPORT_EV_ERROR), 0);
		cr_assert_str_eq(r.info[1], "WebSocket Ping [FIN] [MASKED]");
		cr_assert_eq(r.ev[3].close_code, 1000);
		stage_close(&st);
	}
}

Test(transport, websocket_hostile_length_is_streamed_not_allocated)
{
	static struct rec r;
	struct stage st;
	uint8_t w[64];
	size_t o = 0;

	stage_open(&st, &r, 9001, 0);
	feed(&st, REASM_TO_BROKER, (const uint8_t *)upgrade, strlen(upgrade));
	/* claims 2^62 bytes; 6 follow */
	w[o++] = 0x82, w[o++] = 127, w[o++] = 0x40;
	memset(w + o, 0, 7), o += 7;
	memcpy(w + o, "\x10\x04MQTT", 6), o += 6;
	feed(&st, REASM_TO_BROKER, w, o);
	cr_assert_eq(r.n[0], 6, "the bytes that came, no more");
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_ERROR), 0);
	stage_close(&st);
}

Test(transport, websocket_broken_header_stops_the_direction)
{
	static struct rec r;
	struct stage st;
	const uint8_t bad[] = { 0xf2, 0x01, 0x00 }; /* RSV bits */

	stage_open(&st, &r, 9001, 0);
	feed(&st, REASM_TO_BROKER, (const uint8_t *)upgrade, strlen(upgrade));
	feed(&st, REASM_TO_BROKER, bad, sizeof bad);
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_ERROR), 1);
	cr_assert_eq(r.n[0], 0);
	stage_close(&st);
}

Test(transport, http_without_upgrade_is_not_mqtt)
{
	static struct rec r;
	struct stage st;
	const char *get = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n\x10\x0c";

	stage_open(&st, &r, 9001, 0);
	feed(&st, REASM_TO_BROKER, (const uint8_t *)get, strlen(get));
	cr_assert_eq(r.n[0], 0);
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_ERROR), 1);
	stage_close(&st);
}

/* ---- plain MQTT and --detect ----------------------------------------------------------- */

static const uint8_t connect311[] = { 0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60,
				      0, 4, 'a', 'b', 'c', 'd' };

Test(transport, plain_mqtt_passes_untouched)
{
	static struct rec r;
	struct stage st;

	stage_open(&st, &r, 1883, 0);
	feed_chunks(&st, REASM_TO_BROKER, connect311, sizeof connect311, 5);
	cr_assert_eq(r.n[0], sizeof connect311);
	cr_assert(memcmp(r.bytes[0], connect311, sizeof connect311) == 0);
	cr_assert_eq(r.nev, 0);
	stage_close(&st);
}

Test(transport, detect_connect_on_any_port)
{
	static struct rec r;
	struct stage st;
	const uint8_t junk[] = { 0x10, 0x10, 0, 4, 'H', 'T', 'T', 'P', 4, 2, 0, 60 };

	stage_open(&st, &r, 18830, 1);
	cr_assert_eq(r.opens, 0, "the framer hears of a connection on another port later");
	feed(&st, REASM_TO_BROKER, connect311, sizeof connect311);
	cr_assert_eq(r.n[0], sizeof connect311);
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_DETECTED), 1);
	cr_assert_eq(r.ev[0].port, 18830);
	stage_close(&st);

	stage_open(&st, &r, 18831, 1);
	feed(&st, REASM_TO_BROKER, junk, sizeof junk);
	cr_assert_eq(r.n[0], 0);
	cr_assert_eq(r.opens, 0);
	stage_close(&st);
	cr_assert_eq(r.closes, 0, "never opened, never closed");
}

Test(transport, looks_like_connect)
{
	const uint8_t v31[] = { 0x10, 0x12, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 2, 0, 60 };
	const uint8_t badlevel[] = { 0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 3, 2, 0, 60 };
	const uint8_t reserved[] = { 0x10, 0x10, 0, 4, 'M', 'Q', 'T', 'T', 4, 3, 0, 60 };

	cr_assert(transport_looks_like_connect(connect311, sizeof connect311));
	cr_assert(transport_looks_like_connect(v31, sizeof v31));
	cr_assert_not(transport_looks_like_connect(badlevel, sizeof badlevel));
	cr_assert_not(transport_looks_like_connect(reserved, sizeof reserved));
	for (size_t k = 0; k < 10; k++)
		cr_assert_not(transport_looks_like_connect(connect311, k), "prefix %zu", k);
}

Test(transport, websocket_resumes_at_a_frame_after_a_gap)
{
	static struct rec r;
	struct stage st;
	const uint8_t key[4] = { 1, 2, 3, 4 };
	uint8_t a[32], b[32];
	size_t na = ws_frame(a, 1, 2, key, connect311, sizeof connect311);
	size_t nb = ws_frame(b, 1, 2, key, (const uint8_t *)"\xc0\x00", 2);

	stage_open(&st, &r, 9001, 0);
	feed(&st, REASM_TO_BROKER, (const uint8_t *)upgrade, strlen(upgrade));
	feed(&st, REASM_TO_BROKER, a, na);
	st.s->gap(st.t, &st.f, REASM_TO_BROKER, 0, 9, REASM_GAP_LOST, &st.at);
	feed(&st, REASM_TO_BROKER, b + 1, nb - 1); /* not a header of ours: dropped */
	feed(&st, REASM_TO_BROKER, b, nb);
	cr_assert_eq(r.gaps, 1, "the framer hears of the gap");
	cr_assert_eq(r.n[0], sizeof connect311 + 2);
	cr_assert(memcmp(r.bytes[0] + sizeof connect311, "\xc0\x00", 2) == 0);
	stage_close(&st);
}

Test(transport, detect_leaves_tls_and_plain_http_on_other_ports_alone)
{
	static struct rec r;
	struct stage st;
	uint8_t ch[600];
	size_t n = client_hello(ch);
	const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	stage_open(&st, &r, 443, 1);
	feed(&st, REASM_TO_BROKER, ch, n);
	cr_assert_eq(r.nev, 0, "TLS on a port not named is not reported");
	stage_close(&st);

	stage_open(&st, &r, 8000, 1);
	feed(&st, REASM_TO_BROKER, (const uint8_t *)get, strlen(get));
	cr_assert_eq(r.nev, 0, "nor is plain HTTP");
	cr_assert_eq(r.n[0], 0);
	stage_close(&st);

	/* a WebSocket upgrade asking for mqtt is followed on any port */
	stage_open(&st, &r, 8000, 1);
	feed(&st, REASM_TO_BROKER, (const uint8_t *)upgrade, strlen(upgrade));
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_HTTP), 1);
	stage_close(&st);
}

Test(transport, mid_stream_tls_on_a_broker_port_is_not_framed)
{
	static struct rec r;
	struct stage st;
	const uint8_t app[] = { 0x17, 3, 3, 0, 4, 0x30, 0x02, 0x00, 0x00,
				0x17, 3, 3, 0, 2, 0xe0, 0x00 };

	stage_open(&st, &r, 1883, 0);
	feed(&st, REASM_TO_BROKER, app, sizeof app);
	cr_assert_eq(r.n[0], 0);
	cr_assert_eq(count_kind(&r, TRANSPORT_EV_TLS), 2);
	stage_close(&st);
}
