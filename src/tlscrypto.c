/*
 * tlscrypto.c - TLS 1.2 / 1.3 record decryption from NSS key-log secrets.
 *
 * \summary key log parsing, key derivation (RFC 5246 6.3, RFC 8446 7.1-7.3) and record
 * decryption (RFC 5246 6.2.3, RFC 5288, RFC 7905, RFC 7366, RFC 8446 5.2-5.3).
 *
 * Every primitive is libcrypto's: the TLS 1.2 PRF is EVP_KDF "TLS1-PRF", HKDF-Expand-Label
 * is EVP_KDF "HKDF" in expand-only mode over a HkdfLabel built here, records go through
 * EVP_CIPHER (AES-GCM, ChaCha20-Poly1305, AES-CBC) and EVP_MAC "HMAC". Per record nothing
 * is allocated: each struct tls_keys keeps its cipher (and HMAC) context keyed, and a
 * record only sets the nonce/IV.
 */
#include "mqttdump/tlscrypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cipher suites ---------------------------------------------------------------- */

enum suite_kind {
	KIND_TLS13,    /* AEAD, nonce = iv ^ seq, AAD = record header, inner content type */
	KIND_GCM12,    /* RFC 5288: nonce = 4-byte implicit salt || 8-byte explicit nonce */
	KIND_CHACHA12, /* RFC 7905: nonce = iv ^ seq, no explicit nonce */
	KIND_CBC12,    /* RFC 5246 6.2.3.2: explicit IV, HMAC, padding (or RFC 7366 ETM) */
};

enum cipher_id { C_AES128GCM, C_AES256GCM, C_CHACHA, C_AES128CBC, C_AES256CBC };

struct suite {
	uint16_t id;
	uint8_t kind;       /* enum suite_kind */
	uint8_t cipher;     /* enum cipher_id */
	uint8_t key_len;
	uint8_t iv_len;     /* implicit IV from the key block / traffic secret */
	uint8_t mac_len;    /* CBC: HMAC output and key length; 0 for AEAD */
	const char *mac;    /* CBC: HMAC digest */
	const char *prf;    /* TLS 1.2 PRF hash, TLS 1.3 HKDF hash */
};

/* RFC 8446 B.4, RFC 5288, RFC 5289, RFC 7905, RFC 5246 A.5. The TLS 1.2 PRF is SHA-256
 * except for the suites whose name ends in SHA384 (RFC 5289 3.2, RFC 5288 3). */
static const struct suite suites[] = {
	{0x1301, KIND_TLS13, C_AES128GCM, 16, 12, 0, NULL, "SHA256"},
	{0x1302, KIND_TLS13, C_AES256GCM, 32, 12, 0, NULL, "SHA384"},
	{0x1303, KIND_TLS13, C_CHACHA, 32, 12, 0, NULL, "SHA256"},
	{0xc02f, KIND_GCM12, C_AES128GCM, 16, 4, 0, NULL, "SHA256"},
	{0xc030, KIND_GCM12, C_AES256GCM, 32, 4, 0, NULL, "SHA384"},
	{0xc02b, KIND_GCM12, C_AES128GCM, 16, 4, 0, NULL, "SHA256"},
	{0xc02c, KIND_GCM12, C_AES256GCM, 32, 4, 0, NULL, "SHA384"},
	{0x009e, KIND_GCM12, C_AES128GCM, 16, 4, 0, NULL, "SHA256"},
	{0x009f, KIND_GCM12, C_AES256GCM, 32, 4, 0, NULL, "SHA384"},
	{0x009c, KIND_GCM12, C_AES128GCM, 16, 4, 0, NULL, "SHA256"},
	{0x009d, KIND_GCM12, C_AES256GCM, 32, 4, 0, NULL, "SHA384"},
	{0xcca8, KIND_CHACHA12, C_CHACHA, 32, 12, 0, NULL, "SHA256"},
	{0xcca9, KIND_CHACHA12, C_CHACHA, 32, 12, 0, NULL, "SHA256"},
	{0xccaa, KIND_CHACHA12, C_CHACHA, 32, 12, 0, NULL, "SHA256"},
	{0xc013, KIND_CBC12, C_AES128CBC, 16, 0, 20, "SHA1", "SHA256"},
	{0xc014, KIND_CBC12, C_AES256CBC, 32, 0, 20, "SHA1", "SHA256"},
	{0xc009, KIND_CBC12, C_AES128CBC, 16, 0, 20, "SHA1", "SHA256"},
	{0xc00a, KIND_CBC12, C_AES256CBC, 32, 0, 20, "SHA1", "SHA256"},
	{0xc027, KIND_CBC12, C_AES128CBC, 16, 0, 32, "SHA256", "SHA256"},
	{0xc028, KIND_CBC12, C_AES256CBC, 32, 0, 48, "SHA384", "SHA384"},
	{0xc023, KIND_CBC12, C_AES128CBC, 16, 0, 32, "SHA256", "SHA256"},
	{0xc024, KIND_CBC12, C_AES256CBC, 32, 0, 48, "SHA384", "SHA384"},
	{0x002f, KIND_CBC12, C_AES128CBC, 16, 0, 20, "SHA1", "SHA256"},
	{0x0035, KIND_CBC12, C_AES256CBC, 32, 0, 20, "SHA1", "SHA256"},
	{0x003c, KIND_CBC12, C_AES128CBC, 16, 0, 32, "SHA256", "SHA256"},
	{0x003d, KIND_CBC12, C_AES256CBC, 32, 0, 32, "SHA256", "SHA256"},
};

#define AEAD_TAG 16
#define CBC_BLOCK 16
#define GCM12_EXPLICIT 8
/* RFC 8446 5.2: "The length MUST NOT exceed 2^14 + 256 bytes." */
#define TLS13_MAX_CIPHERTEXT (16384 + 256)

static const struct suite *suite_find(uint16_t id, uint16_t version)
{
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
		if (suites[i].id != id)
			continue;
		if ((version == 0x0304) == (suites[i].kind == KIND_TLS13) &&
		    (version == 0x0304 || version == 0x0303))
			return &suites[i];
		return NULL;
	}
	return NULL;
}

int tls_suite_supported(uint16_t suite, uint16_t version)
{
	return suite_find(suite, version) != NULL;
}

static const EVP_CIPHER *suite_cipher(const struct suite *s)
{
	switch (s->cipher) {
	case C_AES128GCM: return EVP_aes_128_gcm();
	case C_AES256GCM: return EVP_aes_256_gcm();
	case C_CHACHA: return EVP_chacha20_poly1305();
	case C_AES128CBC: return EVP_aes_128_cbc();
	case C_AES256CBC: return EVP_aes_256_cbc();
	}
	return NULL;
}

/* ---- keys ------------------------------------------------------------------------ */

struct tls_keys {
	const struct suite *s;
	EVP_CIPHER_CTX *cipher;   /* keyed once; each record sets only its nonce / IV */
	EVP_MAC_CTX *mac;         /* CBC suites: HMAC keyed with the MAC key */
	int etm;                  /* CBC suites: encrypt_then_mac (RFC 7366) */
	uint64_t seq;
	uint8_t iv[12];           /* TLS 1.3 / ChaCha: 12-byte IV; GCM 1.2: 4-byte salt */
	uint8_t secret[TLS_MAX_SECRET]; /* TLS 1.3: the current traffic secret */
	size_t secret_len;
};

void tls_keys_free(struct tls_keys *k)
{
	if (!k)
		return;
	EVP_CIPHER_CTX_free(k->cipher);
	EVP_MAC_CTX_free(k->mac);
	OPENSSL_clear_free(k, sizeof *k);
}

/* (Re)key k's cipher context; the nonce / IV comes per record. */
static int keys_set_cipher(struct tls_keys *k, const uint8_t *key)
{
	if (!k->cipher && !(k->cipher = EVP_CIPHER_CTX_new()))
		return -1;
	if (EVP_DecryptInit_ex(k->cipher, suite_cipher(k->s), NULL, key, NULL) != 1)
		return -1;
	if (k->s->kind == KIND_CBC12)
		EVP_CIPHER_CTX_set_padding(k->cipher, 0); /* TLS padding is checked here */
	return 0;
}

static int keys_set_mac(struct tls_keys *k, const uint8_t *key)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	OSSL_PARAM params[2];

	if (!mac)
		return -1;
	k->mac = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context holds its own reference */
	if (!k->mac)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)k->s->mac, 0);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_MAC_init(k->mac, key, k->s->mac_len, params) == 1 ? 0 : -1;
}

static struct tls_keys *keys_new(const struct suite *s)
{
	struct tls_keys *k = calloc(1, sizeof *k);

	if (k)
		k->s = s;
	return k;
}

/* RFC 5246 5: PRF(secret, label, seed) through libcrypto's TLS1-PRF. */
static int tls12_prf(const char *digest, const uint8_t *secret, size_t secret_len,
		     const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[4];
	int rc = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret,
						       secret_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_len);
	params[3] = OSSL_PARAM_construct_end();
	if (ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int tls12_keys(uint16_t suite, int etm, const uint8_t master[48],
	       const uint8_t client_random[32], const uint8_t server_random[32],
	       struct tls_keys **c2s, struct tls_keys **s2c)
{
	const struct suite *s = suite_find(suite, 0x0303);
	/* RFC 5246 6.3: key_block = PRF(master_secret, "key expansion",
	 * server_random + client_random), cut into client MAC key, server MAC key, client
	 * key, server key, client IV, server IV. */
	static const char label[] = "key expansion";
	uint8_t seed[sizeof label - 1 + 64];
	uint8_t block[2 * (48 + 32 + 12)];
	struct tls_keys *c = NULL, *sv = NULL;
	size_t need;
	const uint8_t *p;

	if (!s)
		return -1;
	need = 2u * (s->mac_len + s->key_len + s->iv_len);
	memcpy(seed, label, sizeof label - 1);
	memcpy(seed + sizeof label - 1, server_random, 32);
	memcpy(seed + sizeof label - 1 + 32, client_random, 32);
	if (tls12_prf(s->prf, master, 48, seed, sizeof seed, block, need) != 0)
		goto fail;
	if (!(c = keys_new(s)) || !(sv = keys_new(s)))
		goto fail;
	c->etm = sv->etm = etm != 0;
	p = block;
	if (s->mac_len) {
		if (keys_set_mac(c, p) != 0 || keys_set_mac(sv, p + s->mac_len) != 0)
			goto fail;
		p += 2 * s->mac_len;
	}
	if (keys_set_cipher(c, p) != 0 || keys_set_cipher(sv, p + s->key_len) != 0)
		goto fail;
	p += 2 * s->key_len;
	memcpy(c->iv, p, s->iv_len);
	memcpy(sv->iv, p + s->iv_len, s->iv_len);
	OPENSSL_cleanse(block, sizeof block);
	*c2s = c;
	*s2c = sv;
	return 0;
fail:
	OPENSSL_cleanse(block, sizeof block);
	tls_keys_free(c);
	tls_keys_free(sv);
	return -1;
}

/* RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, "", Length), the HkdfLabel built here and
 * the expansion done by libcrypto's HKDF in expand-only mode. */
static int hkdf_expand_label(const char *digest, const uint8_t *secret, size_t secret_len,
			     const char *label, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	uint8_t info[2 + 1 + 255 + 1];
	size_t label_len = strlen(label), n = 0;
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[5];
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, rc = -1;

	if (sizeof prefix - 1 + label_len > 255)
		return -1;
	info[n++] = (uint8_t)(out_len >> 8);
	info[n++] = (uint8_t)out_len;
	info[n++] = (uint8_t)(sizeof prefix - 1 + label_len);
	memcpy(info + n, prefix, sizeof prefix - 1);
	n += sizeof prefix - 1;
	memcpy(info + n, label, label_len);
	n += label_len;
	info[n++] = 0; /* empty context */

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret,
						       secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
	params[4] = OSSL_PARAM_construct_end();
	if (ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

static size_t tls13_hash_len(const struct suite *s)
{
	return strcmp(s->prf, "SHA384") == 0 ? 48 : 32;
}

/* RFC 8446 7.3: [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length),
 * [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length). */
static int tls13_derive(struct tls_keys *k, const uint8_t *secret)
{
	uint8_t key[32], iv[12];
	size_t len = tls13_hash_len(k->s);
	int rc = -1;

	if (hkdf_expand_label(k->s->prf, secret, len, "key", key, k->s->key_len) == 0 &&
	    hkdf_expand_label(k->s->prf, secret, len, "iv", iv, sizeof iv) == 0 &&
	    keys_set_cipher(k, key) == 0) {
		memcpy(k->iv, iv, sizeof iv);
		memcpy(k->secret, secret, len);
		k->secret_len = len;
		k->seq = 0;
		rc = 0;
	}
	OPENSSL_cleanse(key, sizeof key);
	return rc;
}

struct tls_keys *tls13_keys(uint16_t suite, const uint8_t *secret, size_t len)
{
	const struct suite *s = suite_find(suite, 0x0304);
	struct tls_keys *k;

	if (!s || !secret || len != tls13_hash_len(s))
		return NULL;
	if (!(k = keys_new(s)))
		return NULL;
	if (tls13_derive(k, secret) != 0) {
		tls_keys_free(k);
		return NULL;
	}
	return k;
}

int tls13_key_update(struct tls_keys *k)
{
	/* RFC 8446 7.2: application_traffic_secret_N+1 =
	 * HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length) */
	uint8_t next[TLS_MAX_SECRET];
	int rc;

	if (!k || k->s->kind != KIND_TLS13)
		return -1;
	if (hkdf_expand_label(k->s->prf, k->secret, k->secret_len, "traffic upd", next,
			      k->secret_len) != 0)
		return -1;
	rc = tls13_derive(k, next);
	OPENSSL_cleanse(next, sizeof next);
	return rc;
}

/* ---- records --------------------------------------------------------------------- */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* nonce = iv XOR the sequence number padded on the left (RFC 8446 5.3, RFC 7905 2). */
static void xor_nonce(uint8_t nonce[12], const uint8_t iv[12], uint64_t seq)
{
	uint8_t s[12] = {0};

	put_u64(s + 4, seq);
	for (int i = 0; i < 12; i++)
		nonce[i] = iv[i] ^ s[i];
}

/* One AEAD open: ct/ct_len followed by a 16-byte tag; 0 when it authenticates. */
static int aead_open(EVP_CIPHER_CTX *c, const uint8_t nonce[12], const uint8_t *aad,
		     size_t aad_len, const uint8_t *ct, size_t ct_len, uint8_t *out)
{
	uint8_t tag[AEAD_TAG];
	int n = 0, fin = 0;

	memcpy(tag, ct + ct_len, AEAD_TAG); /* the ctrl takes a non-const pointer */
	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) != 1)
		return -1;
	if (ct_len && EVP_DecryptUpdate(c, out, &n, ct, (int)ct_len) != 1)
		return -1;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG, tag) != 1)
		return -1;
	return EVP_DecryptFinal_ex(c, out + n, &fin) == 1 ? 0 : -1;
}

/* TLS 1.2 additional data / MAC header: seq_num + type + version + length. */
static void tls12_pseudo_header(uint8_t ad[13], uint64_t seq, const uint8_t hdr[5], size_t len)
{
	put_u64(ad, seq);
	ad[8] = hdr[0];
	ad[9] = hdr[1];
	ad[10] = hdr[2];
	ad[11] = (uint8_t)(len >> 8);
	ad[12] = (uint8_t)len;
}

static int hmac_check(struct tls_keys *k, const uint8_t ad[13], const uint8_t *p, size_t n,
		      const uint8_t *want)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t mac_len = 0;

	/* A NULL key re-initialises HMAC with the key already set. */
	if (EVP_MAC_init(k->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(k->mac, ad, 13) != 1 ||
	    (n && EVP_MAC_update(k->mac, p, n) != 1) ||
	    EVP_MAC_final(k->mac, mac, &mac_len, sizeof mac) != 1 || mac_len != k->s->mac_len)
		return -1;
	return CRYPTO_memcmp(mac, want, mac_len) == 0 ? 0 : -1;
}

/* CBC decryption of n (a multiple of 16) bytes with the IV in front of them. */
static int cbc_decrypt(EVP_CIPHER_CTX *c, const uint8_t *iv, const uint8_t *ct, size_t n,
		       uint8_t *out)
{
	int got = 0, fin = 0;

	if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) != 1)
		return -1;
	EVP_CIPHER_CTX_set_padding(c, 0);
	if (EVP_DecryptUpdate(c, out, &got, ct, (int)n) != 1 ||
	    EVP_DecryptFinal_ex(c, out + got, &fin) != 1 || (size_t)got + (size_t)fin != n)
		return -1;
	return 0;
}

/* The TLS padding at the end of n decrypted bytes: its total length (padding bytes plus
 * the length byte), or 0 when it is malformed. "Each uint8 in the padding data vector
 * MUST be filled with the padding length value." (RFC 5246 6.2.3.2) */
static size_t cbc_padding(const uint8_t *p, size_t n)
{
	size_t pad;

	if (n == 0)
		return 0;
	pad = p[n - 1];
	if (pad + 1 > n)
		return 0;
	for (size_t i = n - 1 - pad; i < n - 1; i++)
		if (p[i] != pad)
			return 0;
	return pad + 1;
}

static int decrypt_cbc(struct tls_keys *k, const uint8_t hdr[5], const uint8_t *body, size_t len,
		       uint8_t *out, uint64_t seq)
{
	size_t mac_len = k->s->mac_len, n, pad, plen;
	uint8_t ad[13];

	if (k->etm) {
		/* RFC 7366 3: IV + ciphertext, then MAC(seq + header with the length of IV +
		 * ciphertext + IV + ciphertext). */
		size_t ct_len;

		if (len < CBC_BLOCK + CBC_BLOCK + mac_len)
			return -1;
		ct_len = len - mac_len;
		if ((ct_len - CBC_BLOCK) % CBC_BLOCK)
			return -1;
		tls12_pseudo_header(ad, seq, hdr, ct_len);
		if (hmac_check(k, ad, body, ct_len, body + ct_len) != 0)
			return -1;
		n = ct_len - CBC_BLOCK;
		if (cbc_decrypt(k->cipher, body, body + CBC_BLOCK, n, out) != 0 ||
		    !(pad = cbc_padding(out, n)))
			return -1;
		return (int)(n - pad);
	}
	/* RFC 5246 6.2.3.2: IV + CBC(content + MAC + padding + padding_length), the MAC over
	 * seq + header with the content's length + content. */
	if (len < CBC_BLOCK + CBC_BLOCK || (len - CBC_BLOCK) % CBC_BLOCK)
		return -1;
	n = len - CBC_BLOCK;
	if (cbc_decrypt(k->cipher, body, body + CBC_BLOCK, n, out) != 0 ||
	    !(pad = cbc_padding(out, n)) || pad + mac_len > n)
		return -1;
	plen = n - pad - mac_len;
	tls12_pseudo_header(ad, seq, hdr, plen);
	if (hmac_check(k, ad, out, plen, out + plen) != 0)
		return -1;
	return (int)plen;
}

int tls_decrypt_record(struct tls_keys *k, const uint8_t hdr[5], const uint8_t *body,
		       size_t len, uint8_t *out, uint8_t *ctype)
{
	uint8_t nonce[12], ad[13];
	uint64_t seq;
	size_t n;
	int rc = -1;

	if (!k || !hdr || (!body && len) || !out || !ctype)
		return -1;
	/* The sender spent a sequence number on this record whatever becomes of it here. */
	seq = k->seq++;
	if (len > TLS_MAX_CIPHERTEXT)
		return -1;

	switch (k->s->kind) {
	case KIND_TLS13:
		/* RFC 8446 5.2: AEAD-Decrypt(key, nonce, additional_data = the record header,
		 * AEADEncrypted); the plaintext is content + ContentType + zero padding. */
		if (len < AEAD_TAG + 1 || len > TLS13_MAX_CIPHERTEXT)
			return -1;
		n = len - AEAD_TAG;
		xor_nonce(nonce, k->iv, seq);
		if (aead_open(k->cipher, nonce, hdr, 5, body, n, out) != 0)
			return -1;
		/* "the receiving implementation scans the field from the end toward the
		 * beginning until it finds a non-zero octet" - all zeros is an error. */
		while (n > 0 && out[n - 1] == 0)
			n--;
		if (n == 0)
			return -1;
		*ctype = out[n - 1];
		return (int)(n - 1);
	case KIND_GCM12:
		/* RFC 5288 3: nonce = salt (4, implicit) || nonce_explicit (8, in the record). */
		if (len < GCM12_EXPLICIT + AEAD_TAG)
			return -1;
		n = len - GCM12_EXPLICIT - AEAD_TAG;
		memcpy(nonce, k->iv, 4);
		memcpy(nonce + 4, body, GCM12_EXPLICIT);
		tls12_pseudo_header(ad, seq, hdr, n);
		rc = aead_open(k->cipher, nonce, ad, 13, body + GCM12_EXPLICIT, n, out);
		break;
	case KIND_CHACHA12:
		/* RFC 7905 2: nonce = client/server_write_IV XOR padded sequence number. */
		if (len < AEAD_TAG)
			return -1;
		n = len - AEAD_TAG;
		xor_nonce(nonce, k->iv, seq);
		tls12_pseudo_header(ad, seq, hdr, n);
		rc = aead_open(k->cipher, nonce, ad, 13, body, n, out);
		break;
	case KIND_CBC12: {
		int got = decrypt_cbc(k, hdr, body, len, out, seq);

		if (got < 0)
			return -1;
		*ctype = hdr[0];
		return got;
	}
	default:
		return -1;
	}
	if (rc != 0)
		return -1;
	*ctype = hdr[0];
	return (int)n;
}

/* ---- key log --------------------------------------------------------------------- */

/* The labels kept; any other (EXPORTER_SECRET, early traffic, RSA) is skipped. */
static const struct {
	const char *name;
	uint8_t len_a, len_b; /* the secret lengths accepted */
} labels[] = {
	{"CLIENT_RANDOM", 48, 48},
	{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", 32, 48},
	{"SERVER_HANDSHAKE_TRAFFIC_SECRET", 32, 48},
	{"CLIENT_TRAFFIC_SECRET_0", 32, 48},
	{"SERVER_TRAFFIC_SECRET_0", 32, 48},
};

#define NLABELS (sizeof labels / sizeof labels[0])
/* Longer lines are not key log lines (the longest real one is under 260 bytes). */
#define KEYLOG_MAX_LINE 1024
/* A bound on memory for a hostile file: 4 Mi secrets, about 380 MB. */
#define KEYLOG_MAX_ENTRIES (1u << 22)

struct keylog_entry {
	uint8_t random[32];
	uint8_t secret[TLS_MAX_SECRET];
	uint8_t label;
	uint8_t len;
	uint32_t order; /* line order, so that the last of duplicates wins */
};

struct tls_keylog {
	struct keylog_entry *e; /* sorted by (random, label), one per pair */
	size_t n, cap;
};

void tls_keylog_free(struct tls_keylog *kl)
{
	if (!kl)
		return;
	if (kl->e)
		OPENSSL_cleanse(kl->e, kl->cap * sizeof *kl->e);
	free(kl->e);
	free(kl);
}

static int label_id(const char *s, size_t n)
{
	for (size_t i = 0; i < NLABELS; i++)
		if (strlen(labels[i].name) == n && memcmp(labels[i].name, s, n) == 0)
			return (int)i;
	return -1;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode exactly n hex digits into n/2 bytes; -1 on any other character. */
static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval((unsigned char)s[i]), lo = hexval((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next whitespace-separated field of [*p, end): its start and length. */
static size_t next_field(const char **p, const char *end, const char **start)
{
	const char *s = *p;

	while (s < end && is_blank(*s))
		s++;
	*start = s;
	while (s < end && !is_blank(*s))
		s++;
	*p = s;
	return (size_t)(s - *start);
}

/* Parse one line into e; 0 when it is a key log line we keep. */
static int keylog_parse(const char *line, size_t n, struct keylog_entry *e)
{
	const char *p = line, *end = line + n, *f;
	size_t len;
	int id;

	len = next_field(&p, end, &f);
	if (len == 0 || f[0] == '#' || (id = label_id(f, len)) < 0)
		return -1;
	if (next_field(&p, end, &f) != 64 || unhex(f, 64, e->random) != 0)
		return -1;
	len = next_field(&p, end, &f);
	if (len % 2 || (len / 2 != labels[id].len_a && len / 2 != labels[id].len_b) ||
	    unhex(f, len, e->secret) != 0)
		return -1;
	if (next_field(&p, end, &f) != 0) /* trailing junk */
		return -1;
	e->label = (uint8_t)id;
	e->len = (uint8_t)(len / 2);
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct keylog_entry *x = a, *y = b;
	int c = memcmp(x->random, y->random, 32);

	if (c)
		return c;
	if (x->label != y->label)
		return x->label < y->label ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void set_err(char *err, size_t errcap, const char *path, const char *what)
{
	if (err && errcap)
		snprintf(err, errcap, "%s: %s", path, what);
}

/* Read one line without its newline into buf (KEYLOG_MAX_LINE bytes). Returns its length,
 * KEYLOG_MAX_LINE + 1 for any longer line (whose rest is read and dropped, so that a
 * hostile line costs no memory), or -1 at the end of the file. NUL bytes are kept: they
 * make the line malformed rather than cut it short. */
static long keylog_read_line(FILE *f, char *buf)
{
	size_t n = 0;
	int c, any = 0;

	while ((c = getc(f)) != EOF) {
		any = 1;
		if (c == '\n')
			break;
		if (n < KEYLOG_MAX_LINE)
			buf[n] = (char)c;
		if (n <= KEYLOG_MAX_LINE)
			n++;
	}
	return any ? (long)n : -1;
}

struct tls_keylog *tls_keylog_load(const char *path, char *err, size_t errcap)
{
	char line[KEYLOG_MAX_LINE];
	struct tls_keylog *kl;
	struct keylog_entry e;
	FILE *f;
	long len;
	size_t w;

	if (!(f = fopen(path, "r"))) {
		set_err(err, errcap, path, strerror(errno));
		return NULL;
	}
	if (!(kl = calloc(1, sizeof *kl))) {
		fclose(f);
		set_err(err, errcap, path, "out of memory");
		return NULL;
	}
	while ((len = keylog_read_line(f, line)) >= 0) {
		if (len > KEYLOG_MAX_LINE) /* too long to be a key log line */
			continue;
		memset(&e, 0, sizeof e);
		if (keylog_parse(line, (size_t)len, &e) != 0)
			continue;
		if (kl->n == kl->cap) {
			size_t cap = kl->cap ? kl->cap * 2 : 64;
			struct keylog_entry *ne;

			if (kl->n >= KEYLOG_MAX_ENTRIES) {
				set_err(err, errcap, path, "more key log lines than the limit");
				goto fail;
			}
			if (!(ne = realloc(kl->e, cap * sizeof *ne))) {
				set_err(err, errcap, path, "out of memory");
				goto fail;
			}
			kl->e = ne;
			kl->cap = cap;
		}
		e.order = (uint32_t)kl->n;
		kl->e[kl->n++] = e;
	}
	if (ferror(f)) {
		set_err(err, errcap, path, "read error");
		goto fail;
	}
	fclose(f);
	OPENSSL_cleanse(&e, sizeof e);
	OPENSSL_cleanse(line, sizeof line);
	if (kl->n == 0)
		return kl;
	/* Sort, then keep the last line of each (random, label) run. */
	qsort(kl->e, kl->n, sizeof *kl->e, entry_cmp);
	w = 0;
	for (size_t i = 0; i < kl->n; i++) {
		if (i + 1 < kl->n && kl->e[i + 1].label == kl->e[i].label &&
		    memcmp(kl->e[i + 1].random, kl->e[i].random, 32) == 0)
			continue;
		kl->e[w++] = kl->e[i];
	}
	kl->n = w;
	return kl;
fail:
	fclose(f);
	OPENSSL_cleanse(&e, sizeof e);
	tls_keylog_free(kl);
	return NULL;
}

size_t tls_keylog_find(const struct tls_keylog *kl, const char *label,
		       const uint8_t client_random[32], uint8_t *out, size_t cap)
{
	const struct keylog_entry *hit = NULL;
	size_t lo = 0, hi;
	int id;

	if (!kl || !label || !client_random || (id = label_id(label, strlen(label))) < 0)
		return 0;
	/* binary search on (random, label); loading left one entry per pair */
	hi = kl->n;
	while (lo < hi && !hit) {
		size_t mid = lo + (hi - lo) / 2;
		const struct keylog_entry *m = &kl->e[mid];
		int c = memcmp(client_random, m->random, 32);

		if (c == 0)
			c = id < m->label ? -1 : id > m->label;
		if (c == 0)
			hit = m;
		else if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!hit || hit->len > cap || !out)
		return 0;
	memcpy(out, hit->secret, hit->len);
	return hit->len;
}
