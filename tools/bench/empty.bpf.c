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
