/* SPDX-License-Identifier: MIT */
/*
 * Destination classes: the addresses the kernel delivers to this host (or
 * to the local link) whatever a wildcard grant says. Shared by the network
 * program (bpf/net.bpf.c), which refuses them unless a grant names them,
 * and the agent (install findings, the consent prompt, unit tests), so both
 * sides classify with the same code.
 *
 * Each class comes with the length of its range in bits. A grant reaches a
 * destination of a class only when the grant itself is at least that
 * narrow, i.e. lies inside the range: 127.0.0.1/32 or 127.0.0.0/8 reach
 * loopback, 0.0.0.0/0 or 0.0.0.0/1 do not. Addresses are in network order.
 */
#ifndef RAGGED_NETCLASS_H
#define RAGGED_NETCLASS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

enum ragged_dest_class {
	RAGGED_DEST_ORDINARY = 0,	/* somewhere else: what a wildcard grant means */
	RAGGED_DEST_UNSPECIFIED,	/* 0.0.0.0/8, ::: Linux connects these to this host */
	RAGGED_DEST_LOOPBACK,		/* 127.0.0.0/8, ::1 */
	RAGGED_DEST_LINK_LOCAL,		/* 169.254.0.0/16 (cloud metadata), fe80::/10 */
	RAGGED_DEST_MULTICAST,		/* 224.0.0.0/4, ff00::/8: every listener on the link */
	RAGGED_DEST_BROADCAST,		/* 255.255.255.255 (a subnet's: RAGGED_DEST_HOST) */
	RAGGED_DEST_V4_COMPAT,		/* ::a.b.c.d (deprecated IPv4-compatible, ::/96) */
	RAGGED_DEST_HOST,		/* this host's own address or subnet broadcast (agent-kept map) */
	RAGGED_DEST_PRIVATE,		/* 10/8, 172.16/12, 192.168/16, fc00::/7: reachable, flagged at install */
	RAGGED_DEST_COUNT,
};

/* IPv4 a (4 bytes). PRIVATE is reported only when want_private. */
static __always_inline __u32 ragged_v4_class(const __u8 *a, __u32 *bits, int want_private)
{
	if (a[0] == 0) {
		*bits = 8;
		return RAGGED_DEST_UNSPECIFIED;
	}
	if (a[0] == 127) {
		*bits = 8;
		return RAGGED_DEST_LOOPBACK;
	}
	if (a[0] == 169 && a[1] == 254) {
		*bits = 16;
		return RAGGED_DEST_LINK_LOCAL;
	}
	if ((a[0] & 0xf0) == 224) {
		*bits = 4;
		return RAGGED_DEST_MULTICAST;
	}
	if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) {
		*bits = 32;
		return RAGGED_DEST_BROADCAST;
	}
	if (want_private) {
		if (a[0] == 10) {
			*bits = 8;
			return RAGGED_DEST_PRIVATE;
		}
		if (a[0] == 172 && (a[1] & 0xf0) == 16) {
			*bits = 12;
			return RAGGED_DEST_PRIVATE;
		}
		if (a[0] == 192 && a[1] == 168) {
			*bits = 16;
			return RAGGED_DEST_PRIVATE;
		}
	}
	*bits = 0;
	return RAGGED_DEST_ORDINARY;
}

/*
 * IPv6 a (16 bytes). Forms that carry an IPv4 address are classified by it:
 * ::ffff:a.b.c.d (mapped: the kernel connects to the IPv4 address), and the
 * translation prefixes 64:ff9b::/96 (NAT64) and 2002::/16 (6to4), which a
 * gateway or tunnel turns into the embedded IPv4 destination.
 */
static __always_inline __u32 ragged_v6_class(const __u8 *a, __u32 *bits, int want_private)
{
	__u32 zero8 = !(a[0] | a[1] | a[2] | a[3] | a[4] | a[5] | a[6] | a[7]);
	__u32 cls;

	if (zero8 && !(a[8] | a[9] | a[10] | a[11])) {
		*bits = 128;
		if (!(a[12] | a[13] | a[14] | a[15]))
			return RAGGED_DEST_UNSPECIFIED;
		if (!(a[12] | a[13] | a[14]) && a[15] == 1)
			return RAGGED_DEST_LOOPBACK;
		*bits = 96;
		return RAGGED_DEST_V4_COMPAT;
	}
	if (zero8 && !(a[8] | a[9]) && a[10] == 0xff && a[11] == 0xff) {
		cls = ragged_v4_class(a + 12, bits, want_private);
		*bits += 96;
		return cls;
	}
	if (a[0] == 0 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b &&
	    !(a[4] | a[5] | a[6] | a[7] | a[8] | a[9] | a[10] | a[11])) {
		cls = ragged_v4_class(a + 12, bits, want_private);
		*bits += 96;
		return cls;
	}
	if (a[0] == 0x20 && a[1] == 0x02) {
		cls = ragged_v4_class(a + 2, bits, want_private);
		*bits += 16;
		return cls;
	}
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
		*bits = 10;
		return RAGGED_DEST_LINK_LOCAL;
	}
	if (a[0] == 0xff) {
		*bits = 8;
		return RAGGED_DEST_MULTICAST;
	}
	if (want_private && (a[0] & 0xfe) == 0xfc) {
		*bits = 7;
		return RAGGED_DEST_PRIVATE;
	}
	*bits = 0;
	return RAGGED_DEST_ORDINARY;
}

/*
 * This host's own addresses (every interface, both families) and its IPv4
 * subnet broadcast addresses, kept current by the agent from rtnetlink
 * (agent/daemon/hostaddr.c). Map "host_addrs": key -> 1 (presence is what counts).
 */
#define RAGGED_MAX_HOST_ADDRS 1024

struct ragged_host_addr {
	__u32 family;		/* AF_INET / AF_INET6, host order */
	__u8 addr[16];		/* IPv4 in the first 4 bytes, the rest zero */
};

#endif
