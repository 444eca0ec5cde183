// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Runtime monitoring of plugin runs: the process tree from the scheduler's
 * BTF tracepoints (fork, exec, exit). These load on every kernel we run on,
 * in both enforcement modes (docs/contract.md §9: tp_btf works where LSM does not).
 *
 * Nothing here decides anything; it observes. Tasks outside a run return
 * after one map lookup. The tasks are the tracepoints' own arguments (BTF
 * pointers): their fields are read by direct loads, not helper calls, on
 * these events of every process of the machine. The agent turns the
 * records into process_* audit events and flags execs of binaries outside
 * the plugin dir and the system runtime (see docs/security-model.md,
 * "Runtime monitoring").
 */
#include "ragged.bpf.h"

static __always_inline __u64 cg(void)
{
	return bpf_get_current_cgroup_id();
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ragged_fork, struct task_struct *parent, struct task_struct *child)
{
	struct ragged_run_slot *run;
	struct ragged_event *ev;
	__u64 cgid = cg();

	/* Threads are not processes: only a new thread group is a fork. */
	if (child->pid != child->tgid)
		return 0;
	run = bpf_map_lookup_elem(&runs, &cgid);
	if (!run)
		return 0;
	ev = observe(run, cgid);
	if (!ev)
		return 0;
	ev->proc_op = RAGGED_PROC_FORK;
	ev->pid = child->tgid;
	ev->ppid = parent->tgid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	submit(ev, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ragged_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct ragged_run_slot *run;
	struct ragged_event *ev;
	__u64 cgid = cg();

	run = bpf_map_lookup_elem(&runs, &cgid);
	if (!run)
		return 0;
	ev = observe(run, cgid);
	if (!ev)
		return 0;
	ev->proc_op = RAGGED_PROC_EXEC;
	ev->pid = p->tgid;
	ev->ppid = p->real_parent->tgid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), BPF_CORE_READ(bprm, filename));
	submit(ev, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ragged_exit, struct task_struct *p)
{
	struct ragged_run_slot *run;
	struct ragged_event *ev;
	__u64 cgid = cg();

	/* The whole process, once: when its last thread (the leader) goes. */
	if (p->pid != p->tgid)
		return 0;
	run = bpf_map_lookup_elem(&runs, &cgid);
	if (!run)
		return 0;
	ev = observe(run, cgid);
	if (!ev)
		return 0;
	ev->proc_op = RAGGED_PROC_EXIT;
	ev->pid = p->tgid;
	ev->ppid = p->real_parent->tgid;
	ev->exit_code = p->exit_code;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	submit(ev, 0);
	return 0;
}
