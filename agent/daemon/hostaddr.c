// SPDX-License-Identifier: MIT
/*
 * This host's own addresses, for the network program (bpf/net.bpf.c): a
 * wildcard grant (network:download's 0.0.0.0/0, a manifest's ::/0) must not
 * reach a service on this host through one of its own addresses, and those
 * change at run time (DHCP, VPNs, interfaces coming up).
 *
 * cgroup sock_addr programs cannot ask the kernel's routing table
 * (bpf_fib_lookup is for XDP and tc programs; bpf_sk_lookup_* finds sockets,
 * and a listener on 0.0.0.0 matches any destination), so the agent keeps
 * the list: the pinned map
 * host_addrs holds every address of every interface and every IPv4 subnet
 * broadcast address. It is filled before the agent serves its first request
 * and resynchronised from a full rtnetlink dump whenever the kernel reports
 * an address change (RTM_NEWADDR/RTM_DELADDR) or the event socket overflows.
 * New entries go in before stale ones go out, so the map never holds less
 * than the host has. While the list cannot be vouched for (before the first
 * fill, after a failed refresh) the program treats every destination as
 * this host's: only exact grants reach anything. A dump is one small
 * request answered at once by the kernel; the socket has a receive timeout
 * so a stuck answer cannot block the agent's loop for long.
 *
 * Residue: between an address appearing and the agent's next pass of its
 * loop (normally well under a millisecond), a wildcard grant can reach it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "net.skel.h"
#include "ragged/netclass.h"
#include "util/util.h"

/* The subscription socket (one agent per process, like bpfload.c's state). */
static int events_fd = -1;

struct addr_set {
	struct ragged_host_addr *v;
	size_t n, cap;
};

static int set_add(struct addr_set *s, int family, const void *addr)
{
	struct ragged_host_addr *h;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].family == (uint32_t)family &&
		    memcmp(s->v[i].addr, addr, family == AF_INET ? 4 : 16) == 0)
			return 0;
	if (ARRAY_RESERVE(s->v, s->n, s->cap, 16) < 0)
		return -1;
	h = &s->v[s->n++];
	memset(h, 0, sizeof(*h));
	h->family = (uint32_t)family;
	memcpy(h->addr, addr, family == AF_INET ? 4 : 16);
	return 0;
}

/* One RTM_NEWADDR of a dump: its local, address and broadcast attributes. */
static int parse_addr(const struct nlmsghdr *nh, struct addr_set *s)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	int len = (int)nh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	size_t alen;

	if (len < 0 || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	/*
	 * IFA_ADDRESS is the peer on a point-to-point link: not ours, but
	 * listed too (it is on the other end of a private link, never the
	 * internet a wildcard grant is for), which can only deny more.
	 */
	for (const struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		uint32_t bits;

		if ((rta->rta_type != IFA_LOCAL && rta->rta_type != IFA_ADDRESS &&
		     rta->rta_type != IFA_BROADCAST) || RTA_PAYLOAD(rta) < alen)
			continue;
		/* Loopback, link-local...: refused by class already, no entry needed
		 * (a host with many interfaces has an fe80:: address on each). */
		if (alen == 4 ? ragged_v4_class(RTA_DATA(rta), &bits, 0) :
				ragged_v6_class(RTA_DATA(rta), &bits, 0))
			continue;
		if (set_add(s, ifa->ifa_family, RTA_DATA(rta)) < 0)
			return -1;
	}
	return 0;
}

/* A full RTM_GETADDR dump of both families into s. */
static int dump(struct addr_set *s, char *err, size_t errlen)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETADDR,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.ifa = { .ifa_family = AF_UNSPEC },
	};
	struct timeval tv = { .tv_sec = 2 };
	char buf[32768] __attribute__((aligned(4)));
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rc = -1;

	if (fd < 0) {
		snprintf(err, errlen, "rtnetlink socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, &req, sizeof(req), 0) < 0) {
		snprintf(err, errlen, "rtnetlink address dump: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		int len = (int)n;

		if (n < 0) {
			snprintf(err, errlen, "rtnetlink address dump: %s", strerror(errno));
			goto out;
		}
		for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				snprintf(err, errlen, "rtnetlink address dump: %s", strerror(-e->error));
				goto out;
			}
			if (nh->nlmsg_type == RTM_NEWADDR && parse_addr(nh, s) < 0) {
				snprintf(err, errlen, "rtnetlink address dump: %s", strerror(ENOMEM));
				goto out;
			}
		}
	}
out:
	close(fd);
	return rc;
}

static bool in_set(const struct addr_set *s, const struct ragged_host_addr *h)
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(&s->v[i], h, sizeof(*h)) == 0)
			return true;
	return false;
}

/*
 * The network program's flag: while set, it treats every destination as
 * possibly this host's (only exact grants reach anything). Set from load
 * until the first fill and whenever a refresh fails: fail closed.
 */
static void set_unknown(struct agent *a, bool unknown)
{
	a->bpf.net->data->host_addrs_unknown = unknown;
}

int hostaddr_sync(struct agent *a, char *err, size_t errlen)
{
	int rc = hostaddr_sync_map(bpf_map__fd(a->bpf.net->maps.host_addrs), err, errlen);

	set_unknown(a, rc < 0);
	return rc;
}

int hostaddr_sync_map(int fd, char *err, size_t errlen)
{
	struct addr_set s = { 0 };
	struct ragged_host_addr key, next, *stale = NULL;
	size_t n_stale = 0;
	uint32_t one = 1;
	int rc = -1;
	void *prev = NULL;

	if (dump(&s, err, errlen) < 0)
		goto out;
	/* Add first: the map never holds less than the host has. */
	for (size_t i = 0; i < s.n; i++) {
		if (bpf_map_update_elem(fd, &s.v[i], &one, BPF_ANY) < 0) {
			if (errno == E2BIG)
				snprintf(err, errlen, "host_addrs map: this host has more than %d "
					 "addresses", RAGGED_MAX_HOST_ADDRS);
			else
				snprintf(err, errlen, "host_addrs map: %s", strerror(errno));
			goto out;
		}
	}
	/* Then drop what the host no longer has (collected first: a delete
	 * during iteration would restart it). */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (in_set(&s, &key))
			continue;
		if (n_stale % 16 == 0) {
			struct ragged_host_addr *ns = realloc(stale, (n_stale + 16) * sizeof(*ns));

			if (!ns) {
				snprintf(err, errlen, "host_addrs map: %s", strerror(ENOMEM));
				goto out;
			}
			stale = ns;
		}
		stale[n_stale++] = key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	rc = 0;
out:
	free(stale);
	free(s.v);
	return rc;
}

int hostaddr_setup(struct agent *a, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };

	/* Subscribe before the first dump: no change can fall between them. */
	events_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (events_fd < 0 || bind(events_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    ep_add(a, events_fd, EP_HOSTADDR, NULL) < 0) {
		snprintf(err, errlen, "rtnetlink address events: %s", strerror(errno));
		return -1;
	}
	/* No list, no runs: a run must never start before the map is filled. */
	return hostaddr_sync(a, err, errlen);
}

void hostaddr_event(struct agent *a)
{
	char buf[8192], err[256];
	ssize_t n;

	/* What changed does not matter: the dump says what is there now.
	 * ENOBUFS (events lost to an overflow) is answered the same way. */
	do
		n = recv(events_fd, buf, sizeof(buf), 0);
	while (n > 0 || (n < 0 && (errno == EINTR || errno == ENOBUFS)));
	if (hostaddr_sync(a, err, sizeof(err)) < 0)
		fprintf(stderr, "raggedd: this host's addresses could not be refreshed, so "
			"wildcard network grants reach nothing until they are: %s\n", err);
}

void hostaddr_close(struct agent *a)
{
	if (events_fd >= 0) {
		ep_del(a, events_fd);
		close(events_fd);
		events_fd = -1;
	}
}
