// SPDX-License-Identifier: MIT
/*
 * This host's addresses into a real BPF hash map (agent/daemon/hostaddr.c):
 * the map ends up holding exactly the kernel's current non-special
 * addresses and IPv4 broadcasts, compared against getifaddrs(); a stale
 * entry goes, a full map is an error that names the limit. Needs root (map
 * creation); skipped without it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "../../agent/daemon/agent.h"
#include "ragged/netclass.h"

static int new_map(unsigned max)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, "ut_host_addrs", sizeof(struct ragged_host_addr),
			      sizeof(uint32_t), max, NULL);
}

static void key_of(struct ragged_host_addr *k, const struct sockaddr *sa)
{
	memset(k, 0, sizeof(*k));
	k->family = sa->sa_family;
	if (sa->sa_family == AF_INET)
		memcpy(k->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else
		memcpy(k->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static bool special(const struct ragged_host_addr *k)
{
	uint32_t bits;

	return k->family == AF_INET ? ragged_v4_class(k->addr, &bits, 0) != 0 :
				      ragged_v6_class(k->addr, &bits, 0) != 0;
}

static size_t count(int fd)
{
	struct ragged_host_addr k, next;
	void *prev = NULL;
	size_t n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		assert_false(special(&k));	/* loopback, fe80::...: no entry */
		n++;
	}
	return n;
}

static void t_sync(void **state)
{
	struct ragged_host_addr stale = { .family = AF_INET, .addr = { 198, 51, 100, 99 } }, k;
	struct ifaddrs *ifs, *i;
	uint32_t v, one = 1;
	char err[256];
	size_t want = 0;
	int fd = new_map(RAGGED_MAX_HOST_ADDRS);

	(void)state;
	if (fd < 0)
		skip();
	assert_int_equal(bpf_map_update_elem(fd, &stale, &one, BPF_ANY), 0);
	assert_int_equal(hostaddr_sync_map(fd, err, sizeof(err)), 0);
	/* The stale entry went (this documentation address is on no host). */
	assert_int_not_equal(bpf_map_lookup_elem(fd, &stale, &v), 0);
	assert_int_equal(getifaddrs(&ifs), 0);
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
				     i->ifa_addr->sa_family != AF_INET6))
			continue;
		key_of(&k, i->ifa_addr);
		if (special(&k))
			continue;
		if (bpf_map_lookup_elem(fd, &k, &v) != 0)
			fail_msg("an address of %s is missing", i->ifa_name);
		want++;
		if (i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_BROADCAST) &&
		    i->ifa_broadaddr) {
			key_of(&k, i->ifa_broadaddr);
			if (!special(&k) && bpf_map_lookup_elem(fd, &k, &v) != 0)
				fail_msg("the broadcast address of %s is missing", i->ifa_name);
		}
	}
	freeifaddrs(ifs);
	assert_true(count(fd) >= want);
	/* Again: the same set, nothing added twice. */
	want = count(fd);
	assert_int_equal(hostaddr_sync_map(fd, err, sizeof(err)), 0);
	assert_int_equal(count(fd), want);
	close(fd);
}

/* More addresses than the map holds: an error naming the limit, not a partial success. */
static void t_full(void **state)
{
	char err[256];
	int fd = new_map(1), big = new_map(RAGGED_MAX_HOST_ADDRS);
	size_t n;

	(void)state;
	if (fd < 0 || big < 0)
		skip();
	assert_int_equal(hostaddr_sync_map(big, err, sizeof(err)), 0);
	n = count(big);
	close(big);
	if (n < 2) {
		close(fd);
		skip();	/* this host has at most one address to list */
	}
	assert_int_equal(hostaddr_sync_map(fd, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 1024 addresses"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_sync),
		cmocka_unit_test(t_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
