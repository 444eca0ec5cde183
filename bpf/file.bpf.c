// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * File policy for plugin runs in bpf-lsm mode: lsm_cgroup/file_open.
 *
 * An lsm_cgroup program runs only for tasks in the cgroup it is attached to
 * (the agent's plugin subtree), so processes outside any run never execute
 * it. The decision is one LPM lookup of the opened file's path, as the
 * kernel resolved it (bpf_d_path: no symlink, "..", or /proc/self/fd games
 * survive resolution), under the run's policy id. Directory rules end in
 * '/', exact rules carry the NUL, so "/home/u/Documents/" never matches
 * "/home/u/Documents-secret".
 */
#include "ragged.bpf.h"

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, RAGGED_MAX_FILE_RULES);
	__type(key, struct ragged_file_key);
	__type(value, struct ragged_file_rule);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} file_rules SEC(".maps");

/*
 * Opens under a granted permission are recorded (file_access) at most once
 * a second per run, file and access mode; every open is still counted. A
 * plugin reading its documents in a loop would otherwise fill a record per
 * open for flood control to fold into a count. Not pinned: a restarted
 * agent starts a fresh window (more records, never fewer).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ragged_file_seen);
	__type(value, __u64);
} file_seen SEC(".maps");

static __always_inline int audit_granted(struct ragged_scratch *s, __u64 cgid, __u32 want)
{
	s->seen.cgid = cgid;
	s->seen.access = want;
	/* Only the name: what lies past its NUL is a previous call's. */
	__builtin_memset(s->seen.path, 0, sizeof(s->seen.path));
	bpf_probe_read_kernel_str(s->seen.path, sizeof(s->seen.path), s->fkey.path);
	return first_this_second(&file_seen, &s->seen);
}

/*
 * "/proc/<own tgid>/..." is the baseline's /proc/self (d_path shows the
 * number, not "self"). Read-only; /proc/<any other pid> stays denied.
 */
static __always_inline int own_proc(const char *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, n = 0;
	int i;

	if (p[0] != '/' || p[1] != 'p' || p[2] != 'r' || p[3] != 'o' || p[4] != 'c' ||
	    p[5] != '/')
		return 0;
	for (i = 6; i < 17; i++) {
		char c = p[i];

		if (c == '/' || c == '\0')
			break;
		if (c < '0' || c > '9')
			return 0;
		n = n * 10 + (c - '0');
	}
	return i > 6 && i < 17 && n == tgid;
}

/*
 * A POSIX message queue of the caller's own IPC namespace (each run has
 * one: agent/daemon/launch.c). mq_open opens a file on the namespace's
 * internal queue mount, which d_path shows as "/NAME" and no rule can name.
 * Compared by superblock, so queues of any other namespace (the host's,
 * through /dev/mqueue) stay under the rules.
 */
static __always_inline int own_mqueue(struct file *file)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct super_block *own = BPF_CORE_READ(t, nsproxy, ipc_ns, mq_mnt, mnt_sb);

	return own && BPF_CORE_READ(file, f_path.mnt, mnt_sb) == own;
}

SEC("lsm_cgroup/file_open")
int BPF_PROG(ragged_file_open, struct file *file)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_policy *run = run_of(cgid);
	struct ragged_file_rule *rule = 0;
	struct ragged_scratch *s;
	struct ragged_event *ev;
	__u32 zero = 0, want = 0, fmode;
	long len = -1;
	int allow = 0;

	fmode = BPF_CORE_READ(file, f_mode);
	if (fmode & FMODE_READ)
		want |= RAGGED_ACC_READ;
	if (fmode & FMODE_WRITE)
		want |= RAGGED_ACC_WRITE;
	if (fmode & FMODE_EXEC)
		want |= RAGGED_ACC_EXEC;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;	/* cannot happen; if it does, deny */
	if (run) {
		len = bpf_d_path((struct path *)&file->f_path, s->fkey.path, sizeof(s->fkey.path));
		/* An unresolvable path (too long, detached) is denied, never guessed. */
		if (len > 0 && len <= RAGGED_RULE_PATH_MAX) {
			s->fkey.policy_id = bpf_htonl(run->policy_id);
			s->fkey.prefixlen = 32 + len * 8;	/* len counts the NUL */
			rule = bpf_map_lookup_elem(&file_rules, &s->fkey);
			allow = rule && (rule->access & want) == want;
			if (!allow && want == RAGGED_ACC_READ && own_proc(s->fkey.path)) {
				allow = 1;
				rule = 0;
			}
			/*
			 * Pseudo files ("anon_inode:[pidfd]", "pipe:[..]") have no
			 * path to rule on: what creates them (pidfd_open, pipe,
			 * bpf, io_uring_setup) is where they are decided.
			 */
			if (!allow && (s->fkey.path[0] != '/' || own_mqueue(file))) {
				allow = 1;
				rule = 0;
			}
		}
	}
	/* Baseline allows (runtime libraries) are not worth a record; grants are. */
	account(cgid, RAGGED_HOOK_FILE_OPEN, !allow,
		allow && rule && rule->perm != RAGGED_PERM_COUNT && audit_granted(s, cgid, want), &ev);
	if (ev) {
		ev->kind = RAGGED_EV_FILE;
		ev->err = allow ? 0 : EACCES;
		ev->access = want;
		if (len > 0)
			bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), s->fkey.path);
		submit(ev, !allow);
	}
	if (!allow)
		bpf_set_retval(-EACCES);
	return allow;
}
