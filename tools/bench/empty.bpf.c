// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Empty programs on the hooks the ragged programs use, for the per-decision
 * baseline of tools/bench/enforce.sh: same program type, same hook, same
 * attach method, no work. Built into build/bench/, never into the agent
 * (every bpf/ source is built into it). Return values allow everything.
 *
 * Names are kept under 16 characters (the kernel's program name length):
 * tools/bench/bpfstats.c and enforce.sh pair e_<hook> with ragged_<hook>.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "ragged/policy.h"

char LICENSE[] SEC("license") = "GPL";

/* cgroup programs: attached to the bench's own cgroup only. */
SEC("cgroup/connect4")
int e_connect4(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/sock_create")
int e_sock_create(struct bpf_sock *sk)
{
	return 1;
}

SEC("lsm_cgroup/file_open")
int BPF_PROG(e_file_open, struct file *file)
{
	return 1;
}

/* Global programs: attached only while the measurement runs. */
SEC("raw_tp/sys_exit")
int e_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	return 0;
}

SEC("lsm/mmap_file")
int BPF_PROG(e_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot)
{
	return 0;
}

SEC("lsm/task_kill")
int BPF_PROG(e_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig)
{
	return 0;
}

/* bpf-lsm mode's report of the seccomp filter's refusals (trampoline). */
SEC("fexit/__seccomp_filter")
int BPF_PROG(e_seccomp)
{
	return 0;
}

/*
 * Floor programs: on the same hooks, only the lookups any per-run policy
 * needs for that decision, in the product's own map types and key layouts
 * (include/ragged/policy.h): find the run by the task's cgroup id (one
 * per-CPU hash lookup), then, where the decision depends on its object,
 * that object's rule (one LPM lookup: a connect's destination; an open's
 * path, which bpf_d_path must resolve first). No record, no counter, no
 * special case. They allow everything (the bench's loops must run), but
 * the verifier and the JIT cannot drop the lookups: their results go to
 * floor_hits. f_<hook> pairs with e_<hook> and ragged_<hook> in enforce.sh;
 * tools/bench/bpfstats.c fills the maps so that every lookup hits.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, struct ragged_run_slot);
} f_runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct ragged_net_key);
	__type(value, struct ragged_net_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} f_net SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__type(key, struct ragged_file_key);
	__type(value, struct ragged_file_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} f_files SEC(".maps");

__u64 floor_hits;

static __always_inline struct ragged_run_slot *f_run(void)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_slot *run = bpf_map_lookup_elem(&f_runs, &cgid);

	return run && (run->flags & RAGGED_RUN_ACTIVE) ? run : 0;
}

/*
 * Below the floor, on the same hook, to say where its cost is: only the
 * caller's cgroup id (what finding the run by cgroup needs before any
 * lookup), and only a one-slot array lookup with no cgroup id (what a
 * program attached to each run's own cgroup, with the attachment's own
 * storage, would pay to find its run). Programs on one hook run in this
 * order on every event: these two come first after the empty one, so the
 * cache misses of reading the cgroup id are theirs and f_sock_create's
 * figure, if anything, understates the floor.
 */
SEC("cgroup/sock_create")
int f_sock_cgid(struct bpf_sock *sk)
{
	if (bpf_get_current_cgroup_id() == 1)
		floor_hits++;
	return 1;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ragged_run_slot);
} f_slot SEC(".maps");

SEC("cgroup/sock_create")
int f_sock_slot(struct bpf_sock *sk)
{
	__u32 zero = 0;
	struct ragged_run_slot *run = bpf_map_lookup_elem(&f_slot, &zero);

	if (run && (run->flags & RAGGED_RUN_ACTIVE))
		floor_hits++;
	return 1;
}

SEC("cgroup/sock_create")
int f_sock_create(struct bpf_sock *sk)
{
	if (f_run())
		floor_hits++;
	return 1;
}

SEC("cgroup/connect4")
int f_connect4(struct bpf_sock_addr *ctx)
{
	struct ragged_run_slot *run = f_run();
	struct ragged_net_key key = {};

	if (!run)
		return 1;
	key.prefixlen = 64 + 32;
	key.policy_id = bpf_htonl(run->policy_id);
	key.family = bpf_htons(2 /* AF_INET */);
	key.port = (__u16)ctx->user_port;
	key.addr[0] = ctx->user_ip4 & 0xff;
	key.addr[1] = ctx->user_ip4 >> 8 & 0xff;
	key.addr[2] = ctx->user_ip4 >> 16 & 0xff;
	key.addr[3] = ctx->user_ip4 >> 24;
	if (bpf_map_lookup_elem(&f_net, &key))
		floor_hits++;
	return 1;
}

SEC("lsm_cgroup/file_open")
int BPF_PROG(f_file_open, struct file *file)
{
	struct ragged_run_slot *run = f_run();
	struct ragged_file_key key;
	long len;

	if (!run)
		return 1;
	len = bpf_d_path((struct path *)&file->f_path, key.path, sizeof(key.path));
	if (len > 0 && len <= RAGGED_RULE_PATH_MAX) {
		key.policy_id = bpf_htonl(run->policy_id);
		key.prefixlen = 32 + len * 8;
		if (bpf_map_lookup_elem(&f_files, &key))
			floor_hits++;
	}
	return 1;
}
