/*
 * tls.h - TLS records and handshake messages in clear (RFC 5246, RFC 8446), read without
 * copying: results are views into the caller's bytes, valid as long as they are.
 *
 * Knows nothing of the pipeline: transport.c feeds it whole records and whole handshake
 * messages. Every read is bounds-checked; a length that runs past its container makes the
 * message malformed (TLS_MALFORMED), never a read past the end.
 */
#ifndef MQTTDUMP_TLS_H
#define MQTTDUMP_TLS_H

#include <stddef.h>
#include <stdint.h>

enum { TLS_OK = 0, TLS_TRUNCATED = 1, TLS_MALFORMED = 2 };

enum tls_ctype { TLS_CT_CCS = 20, TLS_CT_ALERT = 21, TLS_CT_HANDSHAKE = 22, TLS_CT_APPDATA = 23 };

enum tls_hs_type {
	TLS_HS_CLIENT_HELLO = 1, TLS_HS_SERVER_HELLO = 2, TLS_HS_NEW_SESSION_TICKET = 4,
	TLS_HS_ENCRYPTED_EXTENSIONS = 8, TLS_HS_CERTIFICATE = 11, TLS_HS_SERVER_KEY_EXCHANGE = 12,
	TLS_HS_CERTIFICATE_REQUEST = 13, TLS_HS_SERVER_HELLO_DONE = 14,
	TLS_HS_CERTIFICATE_VERIFY = 15, TLS_HS_CLIENT_KEY_EXCHANGE = 16, TLS_HS_FINISHED = 20,
	TLS_HS_KEY_UPDATE = 24,
};

/* Largest record fragment: 2^14 plaintext + 2048 of protection (RFC 5246 6.2.3); TLS 1.3
 * allows 2^14 + 256, so this bound holds for both. */
#define TLS_MAX_FRAGMENT (16384 + 2048)

struct tls_record_hdr {
	uint8_t type;
	uint16_t version;
	uint16_t len;
};

/* The 5-byte record header at p: TLS_OK, TLS_TRUNCATED (fewer than 5 bytes), or
 * TLS_MALFORMED (not a content type 20..23, a version other than 3.x, or a length over
 * TLS_MAX_FRAGMENT). */
int tls_record_header(const uint8_t *p, size_t n, struct tls_record_hdr *h);

#define TLS_MAX_VERSIONS 16

struct tls_client_hello {
	uint16_t version;                  /* legacy_version */
	const uint8_t *random;             /* 32 bytes */
	const uint8_t *sni;                /* server_name host_name, or NULL */
	size_t sni_len;
	uint16_t versions[TLS_MAX_VERSIONS]; /* supported_versions, GREASE left out */
	size_t nversions;
	size_t nsuites;                    /* cipher suites offered */
	const uint8_t *alpn;               /* the first ALPN protocol, or NULL */
	size_t alpn_len;
	uint8_t etm;                       /* offers encrypt_then_mac */
};

struct tls_server_hello {
	uint16_t version;                  /* legacy_version */
	uint16_t selected;                 /* supported_versions' choice, else legacy_version */
	const uint8_t *random;             /* 32 bytes */
	uint16_t suite;
	uint8_t etm;                       /* encrypt_then_mac accepted */
	uint8_t hrr;                       /* a HelloRetryRequest (RFC 8446 4.1.3) */
};

/* body/n: a handshake message's body (after its 4-byte header). */
int tls_parse_client_hello(const uint8_t *body, size_t n, struct tls_client_hello *ch);
int tls_parse_server_hello(const uint8_t *body, size_t n, struct tls_server_hello *sh);

/* The DER certificates of a Certificate message, one per call: *pos starts at 0.
 * tls13: the TLS 1.3 layout (a request context, an extensions block per entry).
 * Returns TLS_OK with der/len set, TLS_TRUNCATED when there are no more, TLS_MALFORMED. */
int tls_next_certificate(const uint8_t *body, size_t n, int tls13, size_t *pos,
			 const uint8_t **der, size_t *len);

/* X.509 facts for reports, from one DER certificate (via libcrypto's d2i_X509): subject
 * and issuer in RFC 2253 form, validity as "YYYY-MM-DD HH:MM:SSZ". Returns 0, or -1 when
 * it does not parse. */
struct tls_cert_facts {
	char subject[256];
	char issuer[256];
	char not_before[48];
	char not_after[48];
};
int tls_cert_facts(const uint8_t *der, size_t len, struct tls_cert_facts *cf);

/* Names, as Wireshark shows them; NULL when unknown. */
const char *tls_version_name(uint16_t v);       /* "TLSv1.2" ("TLSv1" for 0x0301) */
const char *tls_suite_name(uint16_t suite);     /* "TLS_AES_128_GCM_SHA256" */
const char *tls_hs_name(uint8_t type);          /* "Client Hello" */
const char *tls_alert_name(uint8_t desc);       /* "Handshake Failure" */
const char *tls_alert_level_name(uint8_t level); /* "Warning", "Fatal" */

#endif
