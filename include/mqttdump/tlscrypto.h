/*
 * tlscrypto.h - TLS record decryption from NSS key-log secrets (SSLKEYLOGFILE).
 *
 * Knows nothing of TCP, MQTT or the TLS handshake: the caller parses records and
 * handshakes, looks the session's secrets up in a key log by its ClientHello random,
 * builds one struct tls_keys per direction, and hands each protected record to
 * tls_decrypt_record in the order it was sent. All cryptography is OpenSSL's libcrypto
 * (TLS1-PRF and HKDF KDFs, AES-GCM, ChaCha20-Poly1305, AES-CBC, HMAC).
 *
 * Suites: TLS 1.3 0x1301 0x1302 0x1303; TLS 1.2 AES-GCM 0xc02f 0xc030 0xc02b 0xc02c
 * 0x009e 0x009f 0x009c 0x009d, ChaCha20-Poly1305 0xcca8 0xcca9 0xccaa, AES-CBC 0xc013
 * 0xc014 0xc009 0xc00a 0xc027 0xc028 0xc023 0xc024 0x002f 0x0035 0x003c 0x003d (with
 * MAC-then-encrypt or encrypt_then_mac, RFC 7366).
 */
#ifndef MQTTDUMP_TLSCRYPTO_H
#define MQTTDUMP_TLSCRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* The largest protected fragment TLS allows (RFC 5246 6.2.3: 2^14 + 2048); longer records
 * never decrypt. tls_decrypt_record's plaintext is never longer than its input. */
#define TLS_MAX_CIPHERTEXT (16384 + 2048)

/* The longest secret a key log line may carry (a SHA-384 traffic secret, a master secret). */
#define TLS_MAX_SECRET 48

struct tls_keylog;

/*
 * Read an NSS key log file (lines "LABEL <64 hex client random> <hex secret>").
 * Comment lines (#), blank lines, lines longer than 1024 bytes, unknown labels, bad hex
 * and secrets of the wrong length are skipped, not errors: a key log is often written by
 * several programs at once. When one label and random appear more than once, the last
 * line wins. Lookups are a binary search of the sorted secrets. Returns the loaded log
 * (free with tls_keylog_free), or NULL with a message in err (errcap bytes, may be 0)
 * when the file cannot be read, memory runs out, or it holds more than 4 Mi secrets.
 */
struct tls_keylog *tls_keylog_load(const char *path, char *err, size_t errcap);

/* Free a key log; NULL is fine. */
void tls_keylog_free(struct tls_keylog *kl);

/*
 * Copy the secret logged under label ("CLIENT_RANDOM" = the TLS 1.2 master secret,
 * "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
 * "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0") for the session whose ClientHello
 * carried client_random into out (cap bytes). Returns the secret's length, or 0 when there
 * is none, the label is not one of these, or it does not fit in cap. kl may be NULL.
 */
size_t tls_keylog_find(const struct tls_keylog *kl, const char *label,
		       const uint8_t client_random[32], uint8_t *out, size_t cap);

/* 1 when records of this cipher suite can be decrypted at this version (0x0303 = TLS 1.2,
 * 0x0304 = TLS 1.3), else 0. */
int tls_suite_supported(uint16_t suite, uint16_t version);

/* One direction's record protection: cipher, keys, IV and its sequence number. */
struct tls_keys;

/*
 * TLS 1.2 (RFC 5246 6.3): expand the master secret into both directions' keys for a
 * supported suite. etm: the ServerHello echoed encrypt_then_mac (RFC 7366; only matters
 * for CBC suites). Both start at sequence number 0, i.e. at the first record after each
 * side's ChangeCipherSpec. Returns 0 and sets *c2s (client to server) and *s2c, which the
 * caller frees with tls_keys_free; -1 (nothing allocated) for an unsupported suite or a
 * libcrypto failure.
 */
int tls12_keys(uint16_t suite, int etm, const uint8_t master[48],
	       const uint8_t client_random[32], const uint8_t server_random[32],
	       struct tls_keys **c2s, struct tls_keys **s2c);

/*
 * TLS 1.3 (RFC 8446 7.3): the key and IV of one traffic secret (handshake or application,
 * either direction), sequence number 0. len must be the suite's hash length (32, or 48
 * for 0x1302). Returns NULL for an unsupported suite, a wrong length or a libcrypto
 * failure. The secret is kept for tls13_key_update.
 */
struct tls_keys *tls13_keys(uint16_t suite, const uint8_t *secret, size_t len);

/*
 * Decrypt and authenticate one protected record: hdr is its 5-byte header, body/len its
 * fragment (len = the header's length field), out has room for len bytes (out may not
 * overlap body). Returns the plaintext length and sets *ctype: in TLS 1.3 the inner
 * content type with the zero padding removed; in TLS 1.2 hdr[0]. Returns -1 when the
 * record does not authenticate (wrong keys, damaged, out of order, malformed padding,
 * shorter than its tag/IV/MAC, longer than TLS_MAX_CIPHERTEXT); out's contents are then
 * undefined and *ctype is untouched. Either way the sequence number advances: the sender
 * used one for this record, so a damaged record does not desynchronise the ones after it.
 * Records must be passed in the order they were sent; unprotected records (TLS 1.2
 * before ChangeCipherSpec, TLS 1.3 ChangeCipherSpec) must not be passed.
 */
int tls_decrypt_record(struct tls_keys *k, const uint8_t hdr[5], const uint8_t *body,
		       size_t len, uint8_t *out, uint8_t *ctype);

/*
 * TLS 1.3 KeyUpdate (RFC 8446 4.6.3, 7.2): replace k's traffic secret by the next one and
 * restart its sequence number, for the records after the one that carried the sender's
 * KeyUpdate message. Returns 0, or -1 for TLS 1.2 keys or a libcrypto failure (k is then
 * unchanged).
 */
int tls13_key_update(struct tls_keys *k);

/* Free one direction's keys (wiping them first); NULL is fine. */
void tls_keys_free(struct tls_keys *k);

#endif
