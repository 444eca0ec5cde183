// SPDX-License-Identifier: MIT
/*
 * Destination classes (include/ragged/netclass.h, the same code the network
 * program runs) and the endpoint scope the install finding and the consent
 * prompt show (agent/common/util/netaddr.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <string.h>
#include <cmocka.h>

#include "util/util.h"
#include "ragged/netclass.h"

/* The class and range length of an address literal, as the program sees it. */
static uint32_t classify(const char *s, uint32_t *bits, int want_private)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1)
		return ragged_v4_class(a, bits, want_private);
	if (inet_pton(AF_INET6, s, a) != 1)
		fail_msg("not an address: %s", s);
	return ragged_v6_class(a, bits, want_private);
}

static void want(const char *s, uint32_t cls, uint32_t bits)
{
	uint32_t b = 99, c = classify(s, &b, 0);

	if (c != cls || b != bits)
		fail_msg("%s: class %u/%u bits, want %u/%u", s, c, b, cls, bits);
}

static void t_v4_classes(void **state)
{
	(void)state;
	/* 0.0.0.0 connects to this host; all of 0/8 is kept off. */
	want("0.0.0.0", RAGGED_DEST_UNSPECIFIED, 8);
	want("0.1.2.3", RAGGED_DEST_UNSPECIFIED, 8);
	want("127.0.0.1", RAGGED_DEST_LOOPBACK, 8);
	want("127.255.255.254", RAGGED_DEST_LOOPBACK, 8);
	want("169.254.169.254", RAGGED_DEST_LINK_LOCAL, 16);
	want("224.0.0.251", RAGGED_DEST_MULTICAST, 4);
	want("239.255.255.250", RAGGED_DEST_MULTICAST, 4);
	want("255.255.255.255", RAGGED_DEST_BROADCAST, 32);
	/* Neighbours of the ranges are ordinary. */
	want("1.0.0.0", RAGGED_DEST_ORDINARY, 0);
	want("126.255.255.255", RAGGED_DEST_ORDINARY, 0);
	want("128.0.0.1", RAGGED_DEST_ORDINARY, 0);
	want("169.253.255.255", RAGGED_DEST_ORDINARY, 0);
	want("169.255.0.1", RAGGED_DEST_ORDINARY, 0);
	want("223.255.255.255", RAGGED_DEST_ORDINARY, 0);
	want("240.0.0.1", RAGGED_DEST_ORDINARY, 0);
	want("255.255.255.254", RAGGED_DEST_ORDINARY, 0);
	/* Private ranges are reachable: reported only when asked for. */
	want("10.1.2.3", RAGGED_DEST_ORDINARY, 0);
	want("192.168.1.1", RAGGED_DEST_ORDINARY, 0);
}

static void t_v6_classes(void **state)
{
	(void)state;
	want("::", RAGGED_DEST_UNSPECIFIED, 128);
	want("::1", RAGGED_DEST_LOOPBACK, 128);
	/* Deprecated IPv4-compatible ::a.b.c.d (some kernels tunnel it). */
	want("::127.0.0.1", RAGGED_DEST_V4_COMPAT, 96);
	want("::2", RAGGED_DEST_V4_COMPAT, 96);
	want("fe80::1", RAGGED_DEST_LINK_LOCAL, 10);
	want("febf:ffff::1", RAGGED_DEST_LINK_LOCAL, 10);
	want("ff02::1", RAGGED_DEST_MULTICAST, 8);
	/* IPv4 in IPv6: classified by the IPv4 address, the range grown by the prefix. */
	want("::ffff:0.0.0.0", RAGGED_DEST_UNSPECIFIED, 96 + 8);
	want("::ffff:127.0.0.1", RAGGED_DEST_LOOPBACK, 96 + 8);
	want("::ffff:169.254.169.254", RAGGED_DEST_LINK_LOCAL, 96 + 16);
	want("::ffff:192.0.2.1", RAGGED_DEST_ORDINARY, 96);
	want("64:ff9b::127.0.0.1", RAGGED_DEST_LOOPBACK, 96 + 8);
	want("64:ff9b::a9fe:a9fe", RAGGED_DEST_LINK_LOCAL, 96 + 16);
	want("64:ff9b::192.0.2.1", RAGGED_DEST_ORDINARY, 96);
	want("2002:7f00:1::1", RAGGED_DEST_LOOPBACK, 16 + 8);
	want("2002:a9fe:a9fe::", RAGGED_DEST_LINK_LOCAL, 16 + 16);
	want("2002:c000:201::1", RAGGED_DEST_ORDINARY, 16);
	/* Ordinary unicast, and the edges of the special prefixes. */
	want("2001:db8::1", RAGGED_DEST_ORDINARY, 0);
	want("fec0::1", RAGGED_DEST_ORDINARY, 0);
	want("fe7f::1", RAGGED_DEST_ORDINARY, 0);
	want("fd00::2", RAGGED_DEST_ORDINARY, 0);
	want("::1:0:0:1", RAGGED_DEST_ORDINARY, 0);
	want("64:ff9b:1::7f00:1", RAGGED_DEST_ORDINARY, 0);
}

static void t_private(void **state)
{
	uint32_t bits;

	(void)state;
	assert_int_equal(classify("10.0.0.1", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(bits, 8);
	assert_int_equal(classify("172.16.0.1", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(bits, 12);
	assert_int_equal(classify("172.31.255.255", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(classify("172.32.0.1", &bits, 1), RAGGED_DEST_ORDINARY);
	assert_int_equal(classify("192.168.0.1", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(bits, 16);
	assert_int_equal(classify("fd12::1", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(bits, 7);
	assert_int_equal(classify("fc00::", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(classify("fe00::", &bits, 1), RAGGED_DEST_ORDINARY);
	assert_int_equal(classify("::ffff:10.0.0.1", &bits, 1), RAGGED_DEST_PRIVATE);
	assert_int_equal(bits, 96 + 8);
	/* The special classes still come first. */
	assert_int_equal(classify("127.0.0.1", &bits, 1), RAGGED_DEST_LOOPBACK);
}

static void scope(const char *host, bool cidr, unsigned prefix, const char *want_word)
{
	const char *s = net_endpoint_scope(host, cidr, prefix);

	if (!want_word) {
		if (s)
			fail_msg("%s/%u: scope \"%s\", want none", host, prefix, s);
		return;
	}
	if (!s || !strstr(s, want_word))
		fail_msg("%s/%u: scope \"%s\", want \"%s\"", host, prefix, s ? s : "(none)", want_word);
}

static void t_endpoint_scope(void **state)
{
	(void)state;
	scope("127.0.0.1", false, 0, "loopback");
	scope("::1", false, 0, "loopback");
	scope("localhost", false, 0, "loopback");
	scope("LocalHost", false, 0, "loopback");
	scope("db.localhost", false, 0, "loopback");
	scope("ip6-localhost", false, 0, "loopback");
	scope("0.0.0.0", false, 0, "unspecified");
	scope("::", false, 0, "unspecified");
	scope("169.254.169.254", false, 0, "link-local");
	scope("fe80::1", false, 0, "link-local");
	scope("10.0.0.5", false, 0, "private");
	scope("fd00::2", false, 0, "private");
	scope("224.0.0.1", false, 0, "multicast");
	scope("255.255.255.255", false, 0, "broadcast");
	scope("::ffff:127.0.0.1", false, 0, "loopback");
	/* A CIDR inside a special range names it. */
	scope("127.0.0.0", true, 8, "loopback");
	scope("169.254.0.0", true, 16, "link-local");
	scope("192.168.0.0", true, 16, "private");
	scope("192.168.4.0", true, 24, "private");
	scope("172.16.0.0", true, 12, "private");
	/* Wider than a special range: only the private ranges it covers are
	 * reached (the sandbox keeps the grant off loopback and link-local). */
	scope("0.0.0.0", true, 0, "private");
	scope("::", true, 0, "private");
	scope("128.0.0.0", true, 1, "private");
	scope("126.0.0.0", true, 7, NULL);
	scope("172.0.0.0", true, 8, "private");
	scope("8.0.0.0", true, 7, NULL);
	scope("2000::", true, 3, NULL);
	/* Ordinary hosts. */
	scope("192.0.2.7", false, 0, NULL);
	scope("192.0.2.0", true, 24, NULL);
	scope("2001:db8::1", false, 0, NULL);
	scope("api.example.com", false, 0, NULL);
	scope("notlocalhost", false, 0, NULL);
	scope("localhost.example.com", false, 0, NULL);
}

static void t_format(void **state)
{
	char s[300];

	(void)state;
	net_format_endpoint(s, sizeof(s), "127.0.0.1", false, 0, 8080);
	assert_string_equal(s, "127.0.0.1:8080");
	net_format_endpoint(s, sizeof(s), "::1", false, 0, 443);
	assert_string_equal(s, "[::1]:443");
	net_format_endpoint(s, sizeof(s), "10.0.0.0", true, 8, 80);
	assert_string_equal(s, "10.0.0.0/8:80");
	net_format_endpoint(s, sizeof(s), "fe80::", true, 10, 80);
	assert_string_equal(s, "[fe80::/10]:80");
	net_format_endpoint(s, sizeof(s), "api.example.com", false, 0, 443);
	assert_string_equal(s, "api.example.com:443");
}

/* The manifest parser's normalised forms classify like the literals. */
static void t_parsed_endpoints(void **state)
{
	struct net_endpoint ep;
	const char *why;

	(void)state;
	assert_int_equal(net_parse_endpoint("[::FFFF:127.0.0.1]:80", true, &ep, &why), 0);
	scope(ep.host, ep.is_cidr, ep.prefix, "loopback");
	assert_int_equal(net_parse_endpoint("[0:0:0:0:0:0:0:0]:80", true, &ep, &why), 0);
	scope(ep.host, ep.is_cidr, ep.prefix, "unspecified");
	assert_int_equal(net_parse_endpoint("LOCALHOST:80", true, &ep, &why), 0);
	scope(ep.host, ep.is_cidr, ep.prefix, "loopback");
	assert_int_equal(net_parse_endpoint("0.0.0.0/0:443", true, &ep, &why), 0);
	scope(ep.host, ep.is_cidr, ep.prefix, "private");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_v4_classes),
		cmocka_unit_test(t_v6_classes),
		cmocka_unit_test(t_private),
		cmocka_unit_test(t_endpoint_scope),
		cmocka_unit_test(t_format),
		cmocka_unit_test(t_parsed_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
