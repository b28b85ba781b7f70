/* \summary: Community ID v1 flow hash (https://github.com/corelight/community-id-spec) */
#include "mqttdump/community_id.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

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
	uint8_t in[2 + 16 + 16 + 1 + 1 + 2 + 2], md[SHA_DIGEST_LENGTH];
	unsigned int mdlen = 0;
	size_t n = 0, alen;

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
	if (!EVP_Digest(in, n, md, &mdlen, EVP_sha1(), NULL) || mdlen != sizeof md)
		return -1;
	memcpy(out, "1:", 2);
	/* 20 bytes: 28 base64 characters and the NUL EVP_EncodeBlock writes */
	EVP_EncodeBlock((unsigned char *)out + 2, md, (int)sizeof md);
	return 0;
}
