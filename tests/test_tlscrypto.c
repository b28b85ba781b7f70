/* Unit tests for TLS record decryption: real records of every suite (RFC 8448 and
 * tests/data/tls/make-vectors.py), authentication failures, sequence numbers, truncation,
 * and key log parsing. */
#include "mqttdump/tlscrypto.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TLS_DATA_DIR
#error "TLS_DATA_DIR must name tests/data/tls"
#endif

#define MAXREC 64

struct bytes {
	uint8_t *p;
	size_t n;
};

/* One .vec file: a real session's protected records and what each side sent. */
struct vec {
	uint16_t version, suite;
	int etm;
	uint8_t client_random[32], server_random[32];
	struct bytes rec[2][MAXREC]; /* [0] client to server, [1] server to client */
	int nrec[2];
	struct bytes plain[2];
};

static struct bytes unhex(const char *s)
{
	struct bytes b;
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	cr_assert(n % 2 == 0, "odd hex length");
	b.n = n / 2;
	b.p = malloc(b.n ? b.n : 1);
	cr_assert(b.p);
	for (size_t i = 0; i < b.n; i++) {
		unsigned v;

		cr_assert(sscanf(s + 2 * i, "%2x", &v) == 1);
		b.p[i] = (uint8_t)v;
	}
	return b;
}

static void vec_load(struct vec *v, const char *name)
{
	char path[512], *line = NULL;
	size_t cap = 0;
	FILE *f;

	memset(v, 0, sizeof *v);
	snprintf(path, sizeof path, "%s/%s", TLS_DATA_DIR, name);
	f = fopen(path, "r");
	cr_assert(f, "cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		char *val = strchr(line, ' ');
		struct bytes b;

		if (line[0] == '#' || !val)
			continue;
		*val++ = 0;
		if (!strcmp(line, "version")) {
			v->version = (uint16_t)strtoul(val, NULL, 16);
		} else if (!strcmp(line, "suite")) {
			v->suite = (uint16_t)strtoul(val, NULL, 16);
		} else if (!strcmp(line, "etm")) {
			v->etm = atoi(val);
		} else if (!strcmp(line, "client_random") || !strcmp(line, "server_random")) {
			b = unhex(val);
			cr_assert_eq(b.n, 32);
			memcpy(line[0] == 'c' ? v->client_random : v->server_random, b.p, 32);
			free(b.p);
		} else if (!strcmp(line, "c2s") || !strcmp(line, "s2c")) {
			int d = line[0] == 's';

			cr_assert(v->nrec[d] < MAXREC);
			b = unhex(val);
			cr_assert(b.n >= 5 && b.n == 5u + (b.p[3] << 8 | b.p[4]), "bad record");
			v->rec[d][v->nrec[d]++] = b;
		} else if (!strcmp(line, "plain_c2s") || !strcmp(line, "plain_s2c")) {
			v->plain[line[6] == 's'] = unhex(val);
		}
	}
	free(line);
	fclose(f);
	cr_assert(v->suite && v->version && v->nrec[0] && v->nrec[1] && v->plain[0].n &&
		  v->plain[1].n, "incomplete vector %s", name);
}

static void vec_free(struct vec *v)
{
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < v->nrec[d]; i++)
			free(v->rec[d][i].p);
		free(v->plain[d].p);
	}
}

static struct tls_keylog *keylog(const char *name)
{
	char path[512], err[256] = "";
	struct tls_keylog *kl;

	snprintf(path, sizeof path, "%s/%s", TLS_DATA_DIR, name);
	kl = tls_keylog_load(path, err, sizeof err);
	cr_assert(kl, "%s", err);
	return kl;
}

static const char *const secret_label[2][2] = {
	/* [phase: 0 handshake, 1 application][direction] */
	{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET"},
	{"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"},
};

/* The keys for direction d: TLS 1.2 from the master secret, TLS 1.3 from the phase's
 * traffic secret. flip: damage one bit of the secret first. */
static struct tls_keys *keys_for(const struct vec *v, const struct tls_keylog *kl, int d,
				 int phase, int flip)
{
	uint8_t secret[TLS_MAX_SECRET];
	size_t n;

	if (v->version == 0x0303) {
		struct tls_keys *k[2] = {NULL, NULL};

		n = tls_keylog_find(kl, "CLIENT_RANDOM", v->client_random, secret, sizeof secret);
		cr_assert_eq(n, 48, "no master secret");
		secret[7] ^= (uint8_t)flip;
		cr_assert_eq(tls12_keys(v->suite, v->etm, secret, v->client_random,
					v->server_random, &k[0], &k[1]), 0);
		cr_assert(k[0] && k[1]);
		tls_keys_free(k[!d]);
		return k[d];
	}
	n = tls_keylog_find(kl, secret_label[phase][d], v->client_random, secret, sizeof secret);
	cr_assert(n == 32 || n == 48, "no %s", secret_label[phase][d]);
	secret[7] ^= (uint8_t)flip;
	struct tls_keys *k = tls13_keys(v->suite, secret, n);
	cr_assert(k);
	return k;
}

/* Decrypt one record into an exactly sized buffer (so ASan sees any overrun). */
static int decrypt(struct tls_keys *k, const struct bytes *rec, struct bytes *out, uint8_t *ct)
{
	size_t len = rec->n - 5;
	uint8_t *body = malloc(len ? len : 1);
	int n;

	cr_assert(body);
	memcpy(body, rec->p + 5, len);
	out->p = malloc(len ? len : 1);
	cr_assert(out->p);
	n = tls_decrypt_record(k, rec->p, body, len, out->p, ct);
	out->n = n < 0 ? 0 : (size_t)n;
	free(body);
	return n;
}

/*
 * Replay one direction of a session as the transport layer would: every record must
 * authenticate; TLS 1.3 switches from handshake to application keys after the record
 * that completes Finished and steps the keys after each KeyUpdate. Returns the number of
 * KeyUpdates seen; the application data must equal what the sender sent, and the last
 * record must be a close_notify alert.
 */
static int replay(const struct vec *v, const struct tls_keylog *kl, int d)
{
	struct tls_keys *k = keys_for(v, kl, d, 0, 0);
	uint8_t *app = malloc(v->plain[d].n + 1), hs[65536];
	size_t napp = 0, nhs = 0;
	int phase = 0, updates = 0;
	uint8_t ct = 0;

	cr_assert(app);
	for (int i = 0; i < v->nrec[d]; i++) {
		struct bytes out;
		int n = decrypt(k, &v->rec[d][i], &out, &ct), next_phase = phase, update = 0;

		cr_assert_geq(n, 0, "record %d of direction %d does not decrypt", i, d);
		if (ct == 23) {
			cr_assert(napp + out.n <= v->plain[d].n, "more application data than sent");
			memcpy(app + napp, out.p, out.n);
			napp += out.n;
		} else if (ct == 22) {
			/* walk the handshake messages (they may span records) */
			cr_assert(nhs + out.n <= sizeof hs);
			memcpy(hs + nhs, out.p, out.n);
			nhs += out.n;
			while (nhs >= 4) {
				size_t m = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);

				if (m > nhs)
					break;
				if (hs[0] == 20 && phase == 0)
					next_phase = 1;
				if (hs[0] == 24)
					update = 1;
				memmove(hs, hs + m, nhs - m);
				nhs -= m;
			}
		} else if (i == v->nrec[d] - 1) {
			cr_assert_eq(ct, 21, "last record is not an alert");
			cr_assert_eq(out.n, 2);
			cr_assert(out.p[0] == 1 && out.p[1] == 0, "not a close_notify");
		} else {
			cr_assert_fail("unexpected content type %d", ct);
		}
		free(out.p);
		if (v->version == 0x0304 && next_phase != phase) {
			tls_keys_free(k);
			k = keys_for(v, kl, d, 1, 0);
			phase = next_phase;
		} else if (update) {
			cr_assert_eq(v->version, 0x0304);
			cr_assert_eq(tls13_key_update(k), 0);
			updates++;
		}
	}
	cr_assert_eq(ct, 21, "the direction does not end with an alert");
	cr_assert_eq(napp, v->plain[d].n, "application data: %zu bytes, sent %zu", napp,
		     v->plain[d].n);
	cr_assert(memcmp(app, v->plain[d].p, napp) == 0, "application data differs");
	free(app);
	tls_keys_free(k);
	return updates;
}

/* The first record of direction d under the keys that start the direction. */
static void check_damage(const struct vec *v, const struct tls_keylog *kl, int d)
{
	const struct bytes *r = &v->rec[d][0];
	size_t len = r->n - 5;
	size_t where[] = {0, len / 2, len - 1};
	struct bytes out;
	uint8_t ct;

	/* a flipped byte anywhere in the fragment */
	for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
		struct bytes bad = {malloc(r->n), r->n};
		struct tls_keys *k = keys_for(v, kl, d, 0, 0);

		memcpy(bad.p, r->p, r->n);
		bad.p[5 + where[w]] ^= 0x20;
		cr_assert_eq(decrypt(k, &bad, &out, &ct), -1, "flipped byte %zu authenticated",
			     where[w]);
		free(out.p);
		free(bad.p);
		tls_keys_free(k);
	}
	/* the header is authenticated too (version byte) */
	{
		struct bytes bad = {malloc(r->n), r->n};
		struct tls_keys *k = keys_for(v, kl, d, 0, 0);

		memcpy(bad.p, r->p, r->n);
		bad.p[2] ^= 0x01;
		cr_assert_eq(decrypt(k, &bad, &out, &ct), -1, "damaged header authenticated");
		free(out.p);
		free(bad.p);
		tls_keys_free(k);
	}
	/* a wrong secret */
	{
		struct tls_keys *k = keys_for(v, kl, d, 0, 0x01);

		cr_assert_eq(decrypt(k, r, &out, &ct), -1, "wrong secret authenticated");
		free(out.p);
		tls_keys_free(k);
	}
	/* the right keys, for contrast: decrypts, and ctype is set */
	{
		struct tls_keys *k = keys_for(v, kl, d, 0, 0);

		ct = 0;
		cr_assert_geq(decrypt(k, r, &out, &ct), 0);
		cr_assert(ct == 22 || ct == 23, "first protected record has type %d", ct);
		free(out.p);
		tls_keys_free(k);
	}
}

/* Records decrypt only in order; a failed record still uses up its sequence number. */
static void check_sequence(const struct vec *v, const struct tls_keylog *kl, int d)
{
	struct bytes out;
	uint8_t ct;
	struct tls_keys *k;

	cr_assert_geq(v->nrec[d], 2);
	/* the second record first: wrong sequence number */
	k = keys_for(v, kl, d, 0, 0);
	cr_assert_eq(decrypt(k, &v->rec[d][1], &out, &ct), -1, "record 1 decrypted at seq 0");
	free(out.p);
	tls_keys_free(k);
	/* In order both decrypt, and a damaged record 0 still uses up sequence number 0.
	 * TLS 1.3 record 1 may be under other keys (after Finished): replay() and the
	 * RFC 8448 test cover its order. */
	if (v->version == 0x0303) {
		k = keys_for(v, kl, d, 0, 0);
		cr_assert_geq(decrypt(k, &v->rec[d][0], &out, &ct), 0);
		free(out.p);
		cr_assert_geq(decrypt(k, &v->rec[d][1], &out, &ct), 0);
		free(out.p);
		tls_keys_free(k);

		struct bytes bad = {malloc(v->rec[d][0].n), v->rec[d][0].n};

		memcpy(bad.p, v->rec[d][0].p, bad.n);
		bad.p[bad.n - 1] ^= 0x80;
		k = keys_for(v, kl, d, 0, 0);
		cr_assert_eq(decrypt(k, &bad, &out, &ct), -1);
		free(out.p);
		cr_assert_geq(decrypt(k, &v->rec[d][1], &out, &ct), 0,
			      "record 1 does not decrypt after a damaged record 0");
		free(out.p);
		tls_keys_free(k);
		free(bad.p);
	}
}

/* Every strict prefix of a record's fragment: -1, and no read past len (ASan). */
static void check_truncation(const struct vec *v, const struct tls_keylog *kl, int d)
{
	const struct bytes *r = &v->rec[d][0];
	struct tls_keys *k = keys_for(v, kl, d, 0, 0);

	for (size_t len = 0; len < r->n - 5; len++) {
		uint8_t *body = malloc(len ? len : 1), *out = malloc(len ? len : 1), ct = 0;

		memcpy(body, r->p + 5, len);
		cr_assert_eq(tls_decrypt_record(k, r->p, body, len, out, &ct), -1,
			     "a %zu-byte prefix decrypted", len);
		cr_assert_eq(ct, 0, "ctype set on failure");
		free(body);
		free(out);
	}
	tls_keys_free(k);
}

static void run_vector(const char *file, const char *keys, uint16_t version, uint16_t suite,
		       int etm, int updates)
{
	struct vec v;
	struct tls_keylog *kl = keylog(keys);

	vec_load(&v, file);
	cr_assert_eq(v.version, version, "%s: version %04x", file, v.version);
	cr_assert_eq(v.suite, suite, "%s: suite %04x", file, v.suite);
	cr_assert_eq(v.etm, etm, "%s: etm %d", file, v.etm);
	cr_assert(tls_suite_supported(suite, version));
	cr_assert_eq(replay(&v, kl, 0) + replay(&v, kl, 1), updates, "KeyUpdates");
	for (int d = 0; d < 2; d++) {
		check_damage(&v, kl, d);
		check_sequence(&v, kl, d);
		check_truncation(&v, kl, d);
	}
	vec_free(&v);
	tls_keylog_free(kl);
}

#define VECTOR(ident, file, version, suite, etm)                                         \
	Test(vectors, ident)                                                              \
	{                                                                                 \
		run_vector(file ".vec", "keylog.txt", version, suite, etm, 0);            \
	}

/* RFC 8448 section 3 (TLS_AES_128_GCM_SHA256): the server's encrypted flight, its
 * NewSessionTicket, both application_data records and both close_notify alerts. */
Test(vectors, rfc8448)
{
	run_vector("rfc8448.vec", "rfc8448.keylog", 0x0304, 0x1301, 0, 0);
}

/* The RFC's own plaintext facts about its records. */
Test(vectors, rfc8448_plaintext)
{
	struct vec v;
	struct tls_keylog *kl = keylog("rfc8448.keylog");
	struct tls_keys *k;
	struct bytes out;
	uint8_t ct;

	vec_load(&v, "rfc8448.vec");
	k = keys_for(&v, kl, 1, 0, 0);
	/* EncryptedExtensions, Certificate, CertificateVerify, Finished: 657 bytes */
	cr_assert_eq(decrypt(k, &v.rec[1][0], &out, &ct), 657);
	cr_assert_eq(ct, 22);
	cr_assert_eq(out.p[0], 8);
	free(out.p);
	tls_keys_free(k);
	k = keys_for(&v, kl, 0, 0, 0);
	/* client Finished: type 20, 32 bytes of verify_data */
	cr_assert_eq(decrypt(k, &v.rec[0][0], &out, &ct), 36);
	cr_assert_eq(ct, 22);
	cr_assert(out.p[0] == 20 && out.p[1] == 0 && out.p[2] == 0 && out.p[3] == 32);
	free(out.p);
	tls_keys_free(k);
	k = keys_for(&v, kl, 1, 1, 0);
	/* NewSessionTicket (type 4, 201 bytes), then 00 01 ... 31 at sequence number 1 */
	cr_assert_eq(decrypt(k, &v.rec[1][1], &out, &ct), 205);
	cr_assert(ct == 22 && out.p[0] == 4);
	free(out.p);
	cr_assert_eq(decrypt(k, &v.rec[1][2], &out, &ct), 50);
	cr_assert_eq(ct, 23);
	for (int i = 0; i < 50; i++)
		cr_assert_eq(out.p[i], i);
	free(out.p);
	tls_keys_free(k);
	/* out of order: the application data at sequence number 0 */
	k = keys_for(&v, kl, 1, 1, 0);
	cr_assert_eq(decrypt(k, &v.rec[1][2], &out, &ct), -1);
	free(out.p);
	tls_keys_free(k);
	/* a damaged ticket record still uses up sequence number 0 */
	k = keys_for(&v, kl, 1, 1, 0);
	v.rec[1][1].p[40] ^= 1;
	cr_assert_eq(decrypt(k, &v.rec[1][1], &out, &ct), -1);
	free(out.p);
	cr_assert_eq(decrypt(k, &v.rec[1][2], &out, &ct), 50);
	free(out.p);
	tls_keys_free(k);
	vec_free(&v);
	tls_keylog_free(kl);
}

VECTOR(tls13_aes128_gcm, "tls13-aes128-gcm", 0x0304, 0x1301, 0)
VECTOR(tls13_aes256_gcm, "tls13-aes256-gcm", 0x0304, 0x1302, 0)
VECTOR(tls13_chacha20, "tls13-chacha20", 0x0304, 0x1303, 0)

/* KeyUpdate in both directions (client asked the server to update too). */
Test(vectors, tls13_keyupdate)
{
	run_vector("tls13-keyupdate.vec", "keylog.txt", 0x0304, 0x1302, 0, 2);
}

/* Records padded to a multiple of 64 bytes (RFC 8446 5.4): the zeros are stripped. */
Test(vectors, tls13_padded)
{
	struct tls_keylog *kl = keylog("keylog.txt");
	struct vec v;
	int padded = 0;

	run_vector("tls13-padded.vec", "keylog.txt", 0x0304, 0x1303, 0, 0);
	vec_load(&v, "tls13-padded.vec");
	/* the client's records after Finished: application data and the alert */
	struct tls_keys *k = keys_for(&v, kl, 0, 1, 0);
	for (int i = 1; i < v.nrec[0]; i++) {
		struct bytes out;
		uint8_t ct;
		int n = decrypt(k, &v.rec[0][i], &out, &ct);

		cr_assert_geq(n, 0);
		cr_assert_eq((v.rec[0][i].n - 5 - 16) % 64, 0, "record %d is not padded", i);
		padded += (size_t)n + 1 < v.rec[0][i].n - 5 - 16;
		free(out.p);
	}
	cr_assert_geq(padded, 2);
	tls_keys_free(k);
	vec_free(&v);
	tls_keylog_free(kl);
}

VECTOR(ecdhe_rsa_aes128_gcm, "ecdhe-rsa-aes128-gcm", 0x0303, 0xc02f, 0)
VECTOR(ecdhe_rsa_aes256_gcm, "ecdhe-rsa-aes256-gcm", 0x0303, 0xc030, 0)
VECTOR(ecdhe_ecdsa_aes128_gcm, "ecdhe-ecdsa-aes128-gcm", 0x0303, 0xc02b, 0)
VECTOR(ecdhe_ecdsa_aes256_gcm, "ecdhe-ecdsa-aes256-gcm", 0x0303, 0xc02c, 0)
VECTOR(dhe_rsa_aes128_gcm, "dhe-rsa-aes128-gcm", 0x0303, 0x009e, 0)
VECTOR(dhe_rsa_aes256_gcm, "dhe-rsa-aes256-gcm", 0x0303, 0x009f, 0)
VECTOR(rsa_aes128_gcm, "rsa-aes128-gcm", 0x0303, 0x009c, 0)
VECTOR(rsa_aes256_gcm, "rsa-aes256-gcm", 0x0303, 0x009d, 0)
VECTOR(ecdhe_rsa_chacha20, "ecdhe-rsa-chacha20", 0x0303, 0xcca8, 0)
VECTOR(ecdhe_ecdsa_chacha20, "ecdhe-ecdsa-chacha20", 0x0303, 0xcca9, 0)
VECTOR(dhe_rsa_chacha20, "dhe-rsa-chacha20", 0x0303, 0xccaa, 0)

#define CBC_VECTOR(ident, file, suite)                                                   \
	VECTOR(ident##_etm, file "-etm", 0x0303, suite, 1)                                \
	VECTOR(ident##_mte, file "-mte", 0x0303, suite, 0)

CBC_VECTOR(ecdhe_rsa_aes128_sha, "ecdhe-rsa-aes128-sha", 0xc013)
CBC_VECTOR(ecdhe_rsa_aes256_sha, "ecdhe-rsa-aes256-sha", 0xc014)
CBC_VECTOR(ecdhe_ecdsa_aes128_sha, "ecdhe-ecdsa-aes128-sha", 0xc009)
CBC_VECTOR(ecdhe_ecdsa_aes256_sha, "ecdhe-ecdsa-aes256-sha", 0xc00a)
CBC_VECTOR(ecdhe_rsa_aes128_sha256, "ecdhe-rsa-aes128-sha256", 0xc027)
CBC_VECTOR(ecdhe_rsa_aes256_sha384, "ecdhe-rsa-aes256-sha384", 0xc028)
CBC_VECTOR(ecdhe_ecdsa_aes128_sha256, "ecdhe-ecdsa-aes128-sha256", 0xc023)
CBC_VECTOR(ecdhe_ecdsa_aes256_sha384, "ecdhe-ecdsa-aes256-sha384", 0xc024)
CBC_VECTOR(rsa_aes128_sha, "rsa-aes128-sha", 0x002f)
CBC_VECTOR(rsa_aes256_sha, "rsa-aes256-sha", 0x0035)
CBC_VECTOR(rsa_aes128_sha256, "rsa-aes128-sha256", 0x003c)
CBC_VECTOR(rsa_aes256_sha256, "rsa-aes256-sha256", 0x003d)

/* A CBC record decrypted with the other MAC order fails instead of yielding garbage. */
Test(vectors, cbc_wrong_mac_order)
{
	struct tls_keylog *kl = keylog("keylog.txt");
	const char *files[] = {"rsa-aes128-sha-etm.vec", "rsa-aes128-sha-mte.vec"};

	for (int i = 0; i < 2; i++) {
		struct vec v;
		struct tls_keys *k;
		struct bytes out;
		uint8_t ct;

		vec_load(&v, files[i]);
		v.etm = !v.etm;
		k = keys_for(&v, kl, 0, 0, 0);
		cr_assert_eq(decrypt(k, &v.rec[0][0], &out, &ct), -1, "%s", files[i]);
		free(out.p);
		tls_keys_free(k);
		vec_free(&v);
	}
	tls_keylog_free(kl);
}

/* ---- API edges --------------------------------------------------------------------- */

Test(api, suites)
{
	static const uint16_t tls12[] = {0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009e, 0x009f, 0x009c,
					 0x009d, 0xcca8, 0xcca9, 0xccaa, 0xc013, 0xc014, 0xc009,
					 0xc00a, 0xc027, 0xc028, 0xc023, 0xc024, 0x002f, 0x0035,
					 0x003c, 0x003d};
	static const uint16_t tls13[] = {0x1301, 0x1302, 0x1303};

	for (size_t i = 0; i < sizeof tls12 / sizeof tls12[0]; i++) {
		cr_assert(tls_suite_supported(tls12[i], 0x0303), "%04x", tls12[i]);
		cr_assert(!tls_suite_supported(tls12[i], 0x0304), "%04x", tls12[i]);
		cr_assert(!tls_suite_supported(tls12[i], 0x0302), "%04x", tls12[i]);
	}
	for (size_t i = 0; i < sizeof tls13 / sizeof tls13[0]; i++) {
		cr_assert(tls_suite_supported(tls13[i], 0x0304));
		cr_assert(!tls_suite_supported(tls13[i], 0x0303));
	}
	cr_assert(!tls_suite_supported(0x0000, 0x0303));
	cr_assert(!tls_suite_supported(0x1304, 0x0304));  /* AES-128-CCM: not supported */
	cr_assert(!tls_suite_supported(0x000a, 0x0303));  /* 3DES */
	cr_assert(!tls_suite_supported(0xc02f, 0x0000));
}

Test(api, bad_arguments)
{
	uint8_t secret[48] = {1}, r[32] = {2};
	struct tls_keys *c = (struct tls_keys *)1, *s = (struct tls_keys *)1, *k;
	uint8_t hdr[5] = {23, 3, 3, 0, 32}, body[32] = {0}, out[32], ct = 0;

	cr_assert_eq(tls12_keys(0x000a, 0, secret, r, r, &c, &s), -1);
	cr_assert(c == (struct tls_keys *)1 && s == (struct tls_keys *)1, "outputs touched");
	cr_assert_eq(tls12_keys(0x1301, 0, secret, r, r, &c, &s), -1);
	cr_assert_null(tls13_keys(0xc02f, secret, 32));
	cr_assert_null(tls13_keys(0x1301, secret, 48)); /* SHA-256 suite: 32 bytes */
	cr_assert_null(tls13_keys(0x1302, secret, 32)); /* SHA-384 suite: 48 bytes */
	cr_assert_null(tls13_keys(0x1301, NULL, 32));
	k = tls13_keys(0x1301, secret, 32);
	cr_assert_not_null(k);
	cr_assert_eq(tls_decrypt_record(k, hdr, body, sizeof body, out, &ct), -1);
	cr_assert_eq(tls_decrypt_record(k, hdr, body, TLS_MAX_CIPHERTEXT + 1, out, &ct), -1);
	cr_assert_eq(tls_decrypt_record(NULL, hdr, body, sizeof body, out, &ct), -1);
	cr_assert_eq(ct, 0);
	cr_assert_eq(tls13_key_update(k), 0);
	cr_assert_eq(tls13_key_update(NULL), -1);
	tls_keys_free(k);
	cr_assert_eq(tls12_keys(0xc02f, 0, secret, r, r, &c, &s), 0);
	cr_assert_eq(tls13_key_update(c), -1, "KeyUpdate on TLS 1.2 keys");
	tls_keys_free(c);
	tls_keys_free(s);
	tls_keys_free(NULL);
	tls_keylog_free(NULL);
	cr_assert_eq(tls_keylog_find(NULL, "CLIENT_RANDOM", r, secret, sizeof secret), 0);
}

/* ---- key log --------------------------------------------------------------------- */

static char tmp_path[64];

static FILE *tmp_open(void)
{
	int fd;

	strcpy(tmp_path, "/tmp/test_tlscrypto.XXXXXX");
	fd = mkstemp(tmp_path);
	cr_assert_geq(fd, 0);
	FILE *f = fdopen(fd, "w");
	cr_assert(f);
	return f;
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v + i);
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

Test(keylog, hostile_lines)
{
	uint8_t r1[32], r2[32], r3[32], r4[32], s1[48], s2[48], s3[32], out[48];
	struct tls_keylog *kl;
	char err[128];
	FILE *f = tmp_open();

	fill(r1, 32, 0x10);
	fill(r2, 32, 0x40);
	fill(r3, 32, 0x70);
	fill(r4, 32, 0xa0);
	fill(s1, 48, 0x01);
	fill(s2, 48, 0x81);
	fill(s3, 32, 0xc1);
	fputs("# a comment\n\n   \n#CLIENT_RANDOM ", f);
	put_hex(f, r4, 32);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputs("\n", f);
	/* bad hex in the random */
	fputs("CLIENT_RANDOM 0g", f);
	put_hex(f, r4 + 1, 31);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputc('\n', f);
	/* short random, odd secret, wrong secret length, trailing junk, label only */
	fputs("CLIENT_RANDOM ", f);
	put_hex(f, r4, 31);
	fputs(" 00\nCLIENT_RANDOM ", f);
	put_hex(f, r4, 32);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputs("0\nCLIENT_RANDOM ", f);
	put_hex(f, r4, 32);
	fputc(' ', f);
	put_hex(f, s1, 32);
	fputs("\nCLIENT_RANDOM ", f);
	put_hex(f, r4, 32);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputs(" junk\nCLIENT_RANDOM\nCLIENT_RANDOM ", f);
	put_hex(f, r4, 32);
	fputs("\n", f);
	/* a NUL byte inside a line spoils that line only */
	fputs("CLIENT_RANDOM ", f);
	put_hex(f, r4, 16);
	fputc(0, f);
	put_hex(f, r4 + 16, 16);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputs("\nCLIENT_RANDOM ", f);
	put_hex(f, r3, 32);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputc('\n', f);
	/* unknown label */
	fputs("EXPORTER_SECRET ", f);
	put_hex(f, r4, 32);
	fputc(' ', f);
	put_hex(f, s3, 32);
	fputc('\n', f);
	/* a 1 MB line that starts like a good one */
	fputs("CLIENT_RANDOM ", f);
	put_hex(f, r4, 32);
	fputc(' ', f);
	for (int i = 0; i < 1 << 20; i++)
		fputc("0123456789abcdef"[i & 15], f);
	fputc('\n', f);
	/* good lines: tabs and CRLF, uppercase hex; a duplicate where the last wins */
	fputs("CLIENT_RANDOM\t", f);
	put_hex(f, r1, 32);
	fputs("  ", f);
	put_hex(f, s1, 48);
	fputs("\r\nCLIENT_RANDOM ", f);
	for (int i = 0; i < 32; i++)
		fprintf(f, "%02X", r2[i]);
	fputc(' ', f);
	put_hex(f, s1, 48);
	fputs("\nCLIENT_RANDOM ", f);
	put_hex(f, r2, 32);
	fputc(' ', f);
	put_hex(f, s2, 48);
	fputs("\nSERVER_TRAFFIC_SECRET_0 ", f);
	put_hex(f, r1, 32);
	fputc(' ', f);
	put_hex(f, s3, 32);
	/* the last line without a newline */
	fputs("\nCLIENT_HANDSHAKE_TRAFFIC_SECRET ", f);
	put_hex(f, r3, 32);
	fputc(' ', f);
	put_hex(f, s2, 48);
	fclose(f);

	kl = tls_keylog_load(tmp_path, err, sizeof err);
	unlink(tmp_path);
	cr_assert(kl, "%s", err);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", r4, out, sizeof out), 0,
		     "a malformed line was kept");
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", r1, out, sizeof out), 48);
	cr_assert(memcmp(out, s1, 48) == 0);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", r2, out, sizeof out), 48);
	cr_assert(memcmp(out, s2, 48) == 0, "the first of two duplicates won");
	cr_assert_eq(tls_keylog_find(kl, "SERVER_TRAFFIC_SECRET_0", r1, out, sizeof out), 32);
	cr_assert(memcmp(out, s3, 32) == 0);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_TRAFFIC_SECRET_0", r1, out, sizeof out), 0);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", r3, out, sizeof out),
		     48);
	cr_assert(memcmp(out, s2, 48) == 0);
	cr_assert_eq(tls_keylog_find(kl, "EXPORTER_SECRET", r4, out, sizeof out), 0);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", r3, out, sizeof out), 48,
		     "the line after a NUL byte was lost");
	cr_assert(memcmp(out, s1, 48) == 0);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", r1, out, 47), 0, "overflowed cap");
	tls_keylog_free(kl);
}

Test(keylog, empty_and_missing)
{
	char err[256] = "";
	uint8_t r[32] = {0}, out[48];
	struct tls_keylog *kl;
	FILE *f = tmp_open();

	fclose(f);
	kl = tls_keylog_load(tmp_path, err, sizeof err);
	cr_assert(kl, "an empty key log is not an error");
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", r, out, sizeof out), 0);
	tls_keylog_free(kl);
	unlink(tmp_path);
	cr_assert_null(tls_keylog_load(tmp_path, err, sizeof err));
	cr_assert(strstr(err, tmp_path), "error message without the path: %s", err);
	cr_assert_null(tls_keylog_load(tmp_path, NULL, 0));
}

/* The committed key log: every vector's secrets are found, the others are not kept. */
Test(keylog, committed)
{
	struct tls_keylog *kl = keylog("keylog.txt");
	struct vec v;
	uint8_t out[48];

	vec_load(&v, "tls13-chacha20.vec");
	for (int p = 0; p < 2; p++)
		for (int d = 0; d < 2; d++)
			cr_assert_eq(tls_keylog_find(kl, secret_label[p][d], v.client_random, out,
						     sizeof out), 32);
	cr_assert_eq(tls_keylog_find(kl, "EXPORTER_SECRET", v.client_random, out, sizeof out), 0);
	cr_assert_eq(tls_keylog_find(kl, "CLIENT_RANDOM", v.client_random, out, sizeof out), 0);
	vec_free(&v);
	tls_keylog_free(kl);
}

/* Many sessions, written in a scrambled order with every tenth one logged twice: every
 * lookup finds its own secret, duplicates give the later line's. */
Test(keylog, many)
{
	enum { N = 20000 };
	uint32_t x = 12345;
	uint8_t r[32], s[48], out[48];
	struct tls_keylog *kl;
	char err[128];
	FILE *f = tmp_open();

	for (int pass = 0; pass < 2; pass++) {
		for (uint32_t i = 0; i < N; i++) {
			uint32_t j = (i * 7919u) % N; /* a permutation of 0..N-1 */

			if (pass == 1 && j % 10)
				continue;
			memset(r, 0, sizeof r);
			memcpy(r, &j, sizeof j);
			r[31] = 0x5a;
			for (int b = 0; b < 48; b++) {
				x = x * 1103515245u + 12345u;
				s[b] = (uint8_t)(x >> 16);
			}
			s[0] = (uint8_t)pass;
			memcpy(s + 1, &j, sizeof j);
			fputs(j % 2 ? "CLIENT_RANDOM " : "SERVER_TRAFFIC_SECRET_0 ", f);
			put_hex(f, r, 32);
			fputc(' ', f);
			put_hex(f, s, j % 2 ? 48 : 32);
			fputc('\n', f);
		}
	}
	fclose(f);
	kl = tls_keylog_load(tmp_path, err, sizeof err);
	unlink(tmp_path);
	cr_assert(kl, "%s", err);
	for (uint32_t j = 0; j < N; j++) {
		const char *label = j % 2 ? "CLIENT_RANDOM" : "SERVER_TRAFFIC_SECRET_0";
		uint32_t got;

		memset(r, 0, sizeof r);
		memcpy(r, &j, sizeof j);
		r[31] = 0x5a;
		cr_assert_eq(tls_keylog_find(kl, label, r, out, sizeof out), j % 2 ? 48u : 32u,
			     "session %u", j);
		memcpy(&got, out + 1, sizeof got);
		cr_assert_eq(got, j);
		cr_assert_eq(out[0], j % 10 == 0, "session %u: wrong duplicate", j);
		cr_assert_eq(tls_keylog_find(kl, j % 2 ? "SERVER_TRAFFIC_SECRET_0" : "CLIENT_RANDOM",
					     r, out, sizeof out), 0);
	}
	tls_keylog_free(kl);
}
