/* Community ID v1 against the specification's published vectors
 * (corelight/community-id-spec, baseline/baseline_deflt.json and baseline_seed1.json). */
#include "mqttdump/community_id.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <string.h>

static struct tcp_addr addr(const char *s)
{
	struct tcp_addr a;

	memset(&a, 0, sizeof a);
	if (strchr(s, ':')) {
		a.family = 6;
		cr_assert_eq(inet_pton(AF_INET6, s, a.a), 1, "%s", s);
	} else {
		a.family = 4;
		cr_assert_eq(inet_pton(AF_INET, s, a.a), 1, "%s", s);
	}
	return a;
}

/* The id of one flow, given in both directions: both must be the vector. */
static void check(uint16_t seed, uint8_t proto, const char *sa, uint16_t sp, const char *da,
		  uint16_t dp, const char *want)
{
	struct tcp_addr s = addr(sa), d = addr(da);
	char out[COMMUNITY_ID_LEN];

	cr_assert_eq(community_id_v1(seed, &s, sp, &d, dp, proto, out, sizeof out), 0);
	cr_expect_str_eq(out, want, "%s:%u -> %s:%u seed %u", sa, sp, da, dp, seed);
	cr_assert_eq(community_id_v1(seed, &d, dp, &s, sp, proto, out, sizeof out), 0);
	cr_expect_str_eq(out, want, "%s:%u -> %s:%u seed %u (reversed)", da, dp, sa, sp, seed);
}

Test(community_id, tcp_ipv4)
{
	check(0, 6, "128.232.110.120", 34855, "66.35.250.204", 80,
	      "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	check(1, 6, "128.232.110.120", 34855, "66.35.250.204", 80,
	      "1:3V71V58M3Ksw/yuFALMcW0LAHvc=");
}

Test(community_id, tcp_ipv6)
{
	check(0, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a",
	      25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
	check(1, 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a",
	      25, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=");
}

Test(community_id, udp_ipv4)
{
	check(0, 17, "192.168.1.52", 54585, "8.8.8.8", 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
	check(1, 17, "192.168.1.52", 54585, "8.8.8.8", 53, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=");
}

/* Equal ports: the order comes from the addresses alone. */
Test(community_id, sctp_equal_ports)
{
	check(0, 132, "192.168.170.8", 7, "192.168.170.56", 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
	check(1, 132, "192.168.170.8", 7, "192.168.170.56", 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=");
}

/* Equal addresses: the smaller port comes first, so both directions still agree. */
Test(community_id, equal_addresses)
{
	struct tcp_addr a = addr("::1");
	char x[COMMUNITY_ID_LEN], y[COMMUNITY_ID_LEN];

	cr_assert_eq(community_id_v1(0, &a, 1883, &a, 40000, 6, x, sizeof x), 0);
	cr_assert_eq(community_id_v1(0, &a, 40000, &a, 1883, 6, y, sizeof y), 0);
	cr_expect_str_eq(x, y);
	cr_expect_eq(strlen(x), COMMUNITY_ID_LEN - 1);
	cr_expect_eq(strncmp(x, "1:", 2), 0);
}

Test(community_id, refused)
{
	struct tcp_addr v4 = addr("10.0.0.1"), v6 = addr("::1");
	char out[COMMUNITY_ID_LEN];

	cr_expect_eq(community_id_v1(0, &v4, 1, &v6, 2, 6, out, sizeof out), -1);
	cr_expect_str_eq(out, "");
	cr_expect_eq(community_id_v1(0, &v4, 1, &v4, 2, 6, out, COMMUNITY_ID_LEN - 1), -1);
}
