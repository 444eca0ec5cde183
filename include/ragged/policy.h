/* SPDX-License-Identifier: MIT */
/*
 * Kernel policy layout, shared by bpf/ and agent/.
 *
 * runs:       PERCPU_HASH  cgroup id -> struct ragged_run_slot
 * file_rules: LPM    {policy id, path prefix} -> struct ragged_file_rule
 * net_rules:  LPM    {policy id, family, port, address} -> struct ragged_net_rule
 *
 * One slot per run holds everything a decision needs besides the rule
 * itself: the policy id, the run's counters and its record limiter for
 * allowed connects. A connect decision makes one lookup of its run (by the
 * task's cgroup id) and one of its rule.
 *
 * A policy is swapped atomically by writing rules under a fresh policy id
 * and then storing that id in the run's slot (one 32-bit store per CPU's
 * copy, by the syscall program ragged_swap_policy in bpf/net.bpf.c, so the
 * counters next to it are never overwritten): a decision sees either the
 * old id (old rules, still present) or the new one, never a mix. Only
 * policy_id and flags are read by the programs; perms and uid are there for
 * people reading the map.
 */
#ifndef RAGGED_POLICY_H
#define RAGGED_POLICY_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "events.h"

#define RAGGED_MAX_RUNS 1024
#define RAGGED_MAX_FILE_RULES 16384
#define RAGGED_MAX_NET_RULES 4096

/* Run flags. */
#define RAGGED_RUN_ACTIVE     0x1	/* set by the agent once the policy is complete */

/*
 * The record limiter of allowed connects (bpf/net.bpf.c): the last
 * destinations recorded on this CPU, direct-mapped by a hash of the
 * destination. A destination is recorded again after a second, or when
 * another one took its entry: more records, never fewer.
 *
 * An entry is two words, each written with one store, because two tasks of
 * a run can be half way through the same CPU's entry (the programs can be
 * preempted): tag, the destination hashed under the run's seen_key, is
 * written before last_ns and read after it, so a recent last_ns and a
 * matching tag always mean the destination was (or is being) recorded
 * within the second. seen_key is random per run: a plugin cannot pick two
 * destinations with the same tag to hide the second one's name.
 */
#define RAGGED_NET_SEEN 8	/* a power of two */

struct ragged_seen {
	__u64 tag;		/* the destination (or file and mode) under seen_key */
	__u64 last_ns;		/* bpf_ktime_get_ns() of the last record; 0: empty */
};

/*
 * The same direct-mapped entries in front of the file record limiter
 * (bpf/file.bpf.c, file_seen): the files recorded last on this CPU, tagged
 * by path and access mode under seen_key, each with the time of its last
 * record. A hit within the second skips the LRU map's lookup; a miss asks
 * the map as before. Either way an open goes unrecorded only when the run
 * recorded the same file and mode less than a second before, and a plugin
 * reading one document in a loop pays no hash lookup per open.
 */
#define RAGGED_FILE_SEEN 8	/* a power of two */

struct ragged_run_slot {
	__u32 policy_id;	/* selects this run's rules in the LPM maps */
	__u32 perms;		/* granted permissions, RAGGED_PERM_BIT() */
	__u32 flags;		/* RAGGED_RUN_* */
	__u32 uid;		/* the account the plugin runs as */
	__u64 seen_key;		/* random: keys the record limiters' tags */
	struct ragged_run_counters c;	/* this CPU's share; the agent sums them */
	struct ragged_seen net_seen[RAGGED_NET_SEEN];	/* this CPU's connect limiter */
	struct ragged_seen file_seen[RAGGED_FILE_SEEN];	/* in front of file_seen's map */
};

/*
 * Argument of ragged_swap_policy (BPF_PROG_TEST_RUN of a syscall program):
 * store policy_id and perms in every CPU's copy of cgid's slot. done is
 * written back: the number of copies changed (ncpu when the slot exists).
 */
#define RAGGED_MAX_CPUS 8192

struct ragged_policy_swap {
	__u64 cgid;
	__u32 policy_id;
	__u32 perms;
	__u32 ncpu;		/* libbpf_num_possible_cpus() */
	__u32 done;
};

/*
 * File rule key: LPM over policy id (32 bits, always fully matched) followed
 * by the path bytes. A directory rule ends in '/', so it matches everything
 * beneath it but not a sibling sharing its prefix; an exact rule includes the
 * terminating NUL, so it matches only that name.
 */
/*
 * The kernel caps LPM key data at 256 bytes (LPM_DATA_SIZE_MAX): 4 for the
 * policy id leave 252 for the path and its NUL. A longer path cannot be
 * matched, so it is denied (documented limit of bpf-lsm mode).
 */
#define RAGGED_RULE_PATH_MAX 252

struct ragged_file_key {
	__u32 prefixlen;	/* in bits, counting policy_id */
	__u32 policy_id;	/* big-endian on the wire: LPM compares bytes */
	char path[RAGGED_RULE_PATH_MAX];
};

struct ragged_file_rule {
	__u32 access;		/* RAGGED_ACC_* allowed under this prefix */
	__u32 perm;		/* permission that granted it, or RAGGED_PERM_COUNT for baseline */
};

/*
 * Inode rule key (bpf-lsm mode, bpf/fsmod.bpf.c): the same file rules, keyed
 * by the object each rule's path named when the policy was built. The hooks
 * that see a dentry but no mount (setattr, xattrs, ACLs) cannot build a
 * path; they walk the dentry's ancestors to the nearest one in this map.
 * dev is the kernel's encoding (major << 20 | minor), as in sb->s_dev.
 */
struct ragged_inode_key {
	__u32 policy_id;
	__u32 dev;
	__u64 ino;
};

struct ragged_inode_rule {
	__u32 access;		/* RAGGED_ACC_* of the rule, as in file_rules */
	__u32 perm;
};

/* Network rule key: policy id, family, port, then the address bits. */
struct ragged_net_key {
	__u32 prefixlen;	/* 32 + 16 + 16 + address bits */
	__u32 policy_id;	/* big-endian */
	__u16 family;		/* big-endian AF_INET/AF_INET6 */
	__u16 port;		/* big-endian; 0 with a shorter prefix is not used: ports are exact */
	__u8 addr[16];
};

/*
 * named_bits: how narrow the grant is as the manifest or config named it
 * (the prefix of an IP literal or CIDR; 0 for an address a DNS name of the
 * manifest resolved to). A destination of a special class (netclass.h:
 * loopback, this host, link-local...) is reached only when named_bits is at
 * least the class's range: a wildcard grant never reaches one.
 */
struct ragged_net_rule {
	__u16 perm;		/* permission that granted it */
	__u8 named_bits;
	__u8 reserved;
	__u32 proto_mask;	/* 1 << IPPROTO_TCP | 1 << IPPROTO_UDP */
};

#endif
