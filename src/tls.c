/* \summary: TLS records, Client/Server Hello, Certificate and alerts in clear
 *
 * RFC 5246 (TLS 1.2) and RFC 8446 (TLS 1.3). Every read goes through a bounds-checked
 * cursor; lengths are compared with what is left, never added to pointers first.
 */
#include "mqttdump/tls.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct cur {
	const uint8_t *p;
	size_t left;
};

static int get_u8(struct cur *c, uint8_t *v)
{
	if (c->left < 1)
		return TLS_MALFORMED;
	*v = c->p[0];
	c->p++, c->left--;
	return TLS_OK;
}

static int get_u16(struct cur *c, uint16_t *v)
{
	if (c->left < 2)
		return TLS_MALFORMED;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2, c->left -= 2;
	return TLS_OK;
}

static int get_u24(struct cur *c, uint32_t *v)
{
	if (c->left < 3)
		return TLS_MALFORMED;
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3, c->left -= 3;
	return TLS_OK;
}

/* n bytes as a sub-cursor. */
static int get_bytes(struct cur *c, size_t n, struct cur *sub)
{
	if (n > c->left)
		return TLS_MALFORMED;
	sub->p = c->p;
	sub->left = n;
	c->p += n, c->left -= n;
	return TLS_OK;
}

/* A vector with a 1- or 2-byte length. */
static int get_vec8(struct cur *c, struct cur *sub)
{
	uint8_t n;
	return get_u8(c, &n) ? TLS_MALFORMED : get_bytes(c, n, sub);
}

static int get_vec16(struct cur *c, struct cur *sub)
{
	uint16_t n;
	return get_u16(c, &n) ? TLS_MALFORMED : get_bytes(c, n, sub);
}

int tls_record_header(const uint8_t *p, size_t n, struct tls_record_hdr *h)
{
	if (n >= 1 && (p[0] < TLS_CT_CCS || p[0] > TLS_CT_APPDATA))
		return TLS_MALFORMED;
	if (n >= 2 && p[1] != 3)
		return TLS_MALFORMED;
	if (n < 5)
		return TLS_TRUNCATED;
	h->type = p[0];
	h->version = (uint16_t)(p[1] << 8 | p[2]);
	h->len = (uint16_t)(p[3] << 8 | p[4]);
	if (h->version > 0x0304 || h->len > TLS_MAX_FRAGMENT)
		return TLS_MALFORMED;
	return TLS_OK;
}

/* RFC 8701: GREASE values (0x?a?a) are offered to keep servers honest, not versions. */
static int grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

enum { EXT_SERVER_NAME = 0, EXT_ALPN = 16, EXT_ETM = 22, EXT_SUPPORTED_VERSIONS = 43 };

int tls_parse_client_hello(const uint8_t *body, size_t n, struct tls_client_hello *ch)
{
	struct cur c = { body, n }, v, ext, e;
	struct cur rnd;

	memset(ch, 0, sizeof *ch);
	if (get_u16(&c, &ch->version) || get_bytes(&c, 32, &rnd))
		return TLS_MALFORMED;
	ch->random = rnd.p;
	if (get_vec8(&c, &v) || get_vec16(&c, &v) || (v.left & 1))
		return TLS_MALFORMED;
	ch->nsuites = v.left / 2;
	if (get_vec8(&c, &v))  /* compression methods */
		return TLS_MALFORMED;
	if (c.left == 0)
		return TLS_OK; /* no extensions (before TLS 1.2 they were optional) */
	if (get_vec16(&c, &ext))
		return TLS_MALFORMED;
	while (ext.left) {
		uint16_t type;
		if (get_u16(&ext, &type) || get_vec16(&ext, &e))
			return TLS_MALFORMED;
		switch (type) {
		case EXT_SERVER_NAME: {
			struct cur list, name;
			uint8_t kind;
			if (get_vec16(&e, &list))
				return TLS_MALFORMED;
			while (list.left) {
				if (get_u8(&list, &kind) || get_vec16(&list, &name))
					return TLS_MALFORMED;
				if (kind == 0 && !ch->sni) { /* host_name */
					ch->sni = name.p;
					ch->sni_len = name.left;
				}
			}
			break;
		}
		case EXT_ALPN: {
			struct cur list, proto;
			if (get_vec16(&e, &list) || get_vec8(&list, &proto))
				return TLS_MALFORMED;
			ch->alpn = proto.p;
			ch->alpn_len = proto.left;
			break;
		}
		case EXT_ETM:
			ch->etm = 1;
			break;
		case EXT_SUPPORTED_VERSIONS: {
			struct cur list;
			uint16_t ver = 0;
			if (get_vec8(&e, &list) || (list.left & 1))
				return TLS_MALFORMED;
			while (list.left) {
				get_u16(&list, &ver);
				if (!grease(ver) && ch->nversions < TLS_MAX_VERSIONS)
					ch->versions[ch->nversions++] = ver;
			}
			break;
		}
		default:
			break;
		}
	}
	return TLS_OK;
}

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65,
	0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2,
	0xc8, 0xa8, 0x33, 0x9c,
};

int tls_parse_server_hello(const uint8_t *body, size_t n, struct tls_server_hello *sh)
{
	struct cur c = { body, n }, v, ext, e, rnd;
	uint8_t comp;

	memset(sh, 0, sizeof *sh);
	if (get_u16(&c, &sh->version) || get_bytes(&c, 32, &rnd) || get_vec8(&c, &v) ||
	    get_u16(&c, &sh->suite) || get_u8(&c, &comp))
		return TLS_MALFORMED;
	sh->random = rnd.p;
	sh->selected = sh->version;
	sh->hrr = memcmp(rnd.p, hrr_random, 32) == 0;
	if (c.left == 0)
		return TLS_OK;
	if (get_vec16(&c, &ext))
		return TLS_MALFORMED;
	while (ext.left) {
		uint16_t type;
		if (get_u16(&ext, &type) || get_vec16(&ext, &e))
			return TLS_MALFORMED;
		if (type == EXT_SUPPORTED_VERSIONS) {
			if (get_u16(&e, &sh->selected))
				return TLS_MALFORMED;
		} else if (type == EXT_ETM) {
			sh->etm = 1;
		}
	}
	return TLS_OK;
}

int tls_next_certificate(const uint8_t *body, size_t n, int tls13, size_t *pos,
			 const uint8_t **der, size_t *len)
{
	struct cur c = { body, n }, list, cert, ext;
	const uint8_t *start;
	uint32_t total, clen;

	if (tls13 && get_vec8(&c, &ext)) /* certificate_request_context */
		return TLS_MALFORMED;
	if (get_u24(&c, &total) || get_bytes(&c, total, &list))
		return TLS_MALFORMED;
	start = list.p;
	if (*pos > list.left)
		return TLS_MALFORMED;
	list.p += *pos;
	list.left -= *pos;
	if (list.left == 0)
		return TLS_TRUNCATED;
	if (get_u24(&list, &clen) || get_bytes(&list, clen, &cert))
		return TLS_MALFORMED;
	if (tls13 && get_vec16(&list, &ext))
		return TLS_MALFORMED;
	*der = cert.p;
	*len = cert.left;
	*pos = (size_t)(list.p - start);
	return TLS_OK;
}

static void asn1_time_str(const ASN1_TIME *t, char *out, size_t cap)
{
	struct tm tm;

	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		snprintf(out, cap, "?");
		return;
	}
	snprintf(out, cap, "%04d-%02d-%02d %02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void name_str(const X509_NAME *nm, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	long n;
	char *p;

	out[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		n = BIO_get_mem_data(b, &p);
		if (n > 0) {
			size_t k = (size_t)n < cap - 1 ? (size_t)n : cap - 1;
			memcpy(out, p, k);
			out[k] = '\0';
		}
	}
	BIO_free(b);
}

int tls_cert_facts(const uint8_t *der, size_t len, struct tls_cert_facts *cf)
{
	const unsigned char *p = der;
	X509 *x;

	memset(cf, 0, sizeof *cf);
	if (len > 1u << 20 || !(x = d2i_X509(NULL, &p, (long)len)))
		return -1;
	name_str(X509_get_subject_name(x), cf->subject, sizeof cf->subject);
	name_str(X509_get_issuer_name(x), cf->issuer, sizeof cf->issuer);
	asn1_time_str(X509_get0_notBefore(x), cf->not_before, sizeof cf->not_before);
	asn1_time_str(X509_get0_notAfter(x), cf->not_after, sizeof cf->not_after);
	X509_free(x);
	return 0;
}

/* ---- names ------------------------------------------------------------------------- */

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1";
	case 0x0302: return "TLSv1.1";
	case 0x0303: return "TLSv1.2";
	case 0x0304: return "TLSv1.3";
	default: return NULL;
	}
}

static const struct { uint16_t id; const char *name; } suites[] = {
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
};

const char *tls_suite_name(uint16_t suite)
{
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (suites[i].id == suite)
			return suites[i].name;
	return NULL;
}

static const char *const hs_names[] = {
	[0] = "Hello Request", [1] = "Client Hello", [2] = "Server Hello",
	[4] = "New Session Ticket", [5] = "End of Early Data", [8] = "Encrypted Extensions",
	[11] = "Certificate", [12] = "Server Key Exchange", [13] = "Certificate Request",
	[14] = "Server Hello Done", [15] = "Certificate Verify", [16] = "Client Key Exchange",
	[20] = "Finished", [24] = "Key Update",
};

const char *tls_hs_name(uint8_t type)
{
	return type < sizeof hs_names / sizeof hs_names[0] ? hs_names[type] : NULL;
}

static const struct { uint8_t id; const char *name; } alerts[] = {
	{ 0, "Close Notify" }, { 10, "Unexpected Message" }, { 20, "Bad Record MAC" },
	{ 22, "Record Overflow" }, { 40, "Handshake Failure" }, { 42, "Bad Certificate" },
	{ 43, "Unsupported Certificate" }, { 44, "Certificate Revoked" },
	{ 45, "Certificate Expired" }, { 46, "Certificate Unknown" },
	{ 47, "Illegal Parameter" }, { 48, "Unknown CA" }, { 49, "Access Denied" },
	{ 50, "Decode Error" }, { 51, "Decrypt Error" }, { 70, "Protocol Version" },
	{ 71, "Insufficient Security" }, { 80, "Internal Error" },
	{ 86, "Inappropriate Fallback" }, { 90, "User Canceled" },
	{ 109, "Missing Extension" }, { 110, "Unsupported Extension" },
	{ 112, "Unrecognized Name" }, { 116, "Certificate Required" },
	{ 120, "No Application Protocol" },
};

const char *tls_alert_name(uint8_t desc)
{
	for (size_t i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
		if (alerts[i].id == desc)
			return alerts[i].name;
	return NULL;
}

const char *tls_alert_level_name(uint8_t level)
{
	return level == 1 ? "Warning" : level == 2 ? "Fatal" : NULL;
}
