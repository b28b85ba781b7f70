/* \summary: Community ID v1 flow hash (https://github.com/corelight/community-id-spec) */
#include "mqttdump/community_id.h"

#include <openssl/evp.h>
#include <string.h>

/* SHA-1 of at most 55 bytes (one block with its padding), as FIPS 180-4 section 6.1
 * defines it. Computed here rather than with libcrypto's digests: those allocate (their
 * first use initialises the library), and a failed allocation inside that initialisation
 * leaves a lock NULL that the same call then takes (a crash, found by tests/alloc_fail.py);
 * this allocates nothing and cannot fail. */
#define SHA1_LEN 20
#define ROL(x, n) ((uint32_t)((x) << (n) | (x) >> (32 - (n))))

static void sha1_short(const uint8_t *in, size_t n, uint8_t md[SHA1_LEN])
{
	uint32_t h[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u };
	uint32_t w[80], a, b, c, d, e, f, k, t;
	uint8_t blk[64] = { 0 };

	memcpy(blk, in, n);
	blk[n] = 0x80;
	blk[62] = (uint8_t)((n * 8) >> 8); /* the length in bits, big endian, at the end */
	blk[63] = (uint8_t)(n * 8);
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999u;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1u;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdcu;
		else
			f = b ^ c ^ d, k = 0xca62c1d6u;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d, d = c, c = ROL(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
	for (int i = 0; i < 5; i++) {
		md[4 * i] = (uint8_t)(h[i] >> 24);
		md[4 * i + 1] = (uint8_t)(h[i] >> 16);
		md[4 * i + 2] = (uint8_t)(h[i] >> 8);
		md[4 * i + 3] = (uint8_t)h[i];
	}
}

static size_t addr_len(const struct tcp_addr *a)
{
	return a->family == 6 ? 16 : 4;
}

/* a before b: the smaller address, or with equal addresses the smaller port. */
static int endpoint_less(const struct tcp_addr *a, uint16_t pa, const struct tcp_addr *b,
			 uint16_t pb)
{
	int c = memcmp(a->a, b->a, addr_len(a));

	return c < 0 || (c == 0 && pa < pb);
}

static size_t put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

int community_id_v1(uint16_t seed, const struct tcp_addr *a, uint16_t pa,
		    const struct tcp_addr *b, uint16_t pb, uint8_t proto, char *out, size_t cap)
{
	/* seed, two IPv6 addresses, proto, pad, two ports */
	uint8_t in[2 + 16 + 16 + 1 + 1 + 2 + 2], md[SHA1_LEN];
	size_t n = 0, alen;

	_Static_assert(sizeof in <= 55, "one SHA-1 block");

	if (cap)
		out[0] = '\0';
	if (cap < COMMUNITY_ID_LEN || a->family != b->family)
		return -1;
	if (!endpoint_less(a, pa, b, pb)) {
		const struct tcp_addr *t = a;
		uint16_t tp = pa;
		a = b;
		pa = pb;
		b = t;
		pb = tp;
	}
	alen = addr_len(a);
	n += put_u16(in + n, seed);
	memcpy(in + n, a->a, alen);
	n += alen;
	memcpy(in + n, b->a, alen);
	n += alen;
	in[n++] = proto;
	in[n++] = 0;
	n += put_u16(in + n, pa);
	n += put_u16(in + n, pb);
	sha1_short(in, n, md);
	memcpy(out, "1:", 2);
	/* 20 bytes: 28 base64 characters and the NUL EVP_EncodeBlock writes (it allocates
	 * nothing) */
	EVP_EncodeBlock((unsigned char *)out + 2, md, (int)sizeof md);
	return 0;
}
