// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The escape surface in bpf-lsm mode: mostly plain BPF-LSM programs (not
 * lsm_cgroup: the kernel allows at most 10 distinct lsm_cgroup hooks, and
 * these are many). They run for every task on the machine, so each starts
 * with the same test: is the current task in a run (its cgroup id is in
 * `runs`) or anywhere under the agent's plugin subtree (a run being torn
 * down, or set up when the agent died)? If not, it returns 0 at once. The
 * three that every process calls often (mmap_file, file_mprotect,
 * task_kill) are lsm_cgroup programs on the plugin subtree instead.
 *
 * The seccomp filter (agent/daemon/seccomp.c) refuses most of the same
 * calls before any hook runs; these hooks are the second wall, and the only
 * one for the roads a syscall filter cannot see: /proc/<pid>/{root,ns,...}
 * and pidfd_getfd (ptrace_access_check), signals (task_kill), execs and
 * executable mappings of anonymous files (bprm_check_security, mmap_file,
 * file_mprotect), descriptors received over SCM_RIGHTS (file_receive), and
 * hard links and renames that would carry a file past the path rules
 * (path_link, path_rename; file_open only sees paths at open).
 *
 * The loader (agent/daemon/bpfload.c) switches a program off when the
 * running kernel lacks its hook, and says so in the agent log; a missing
 * hook never stops the others. Every denial is counted, then offered to the
 * ring buffer with its hook id (account(), ragged.bpf.h).
 */
#include "lsm_path.bpf.h"

#define EXDEV 18
#define PROT_EXEC 0x4
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define RENAME_EXCHANGE 0x2

/* ptrace, /proc/<pid>/{mem,root,cwd,ns,environ,...}, pidfd_getfd, kcmp,
 * process_madvise: any access to a process outside the caller's run. */
SEC("lsm/ptrace_access_check")
int BPF_PROG(ragged_ptrace, struct task_struct *child, unsigned int mode)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run) || task_cgroup(child) == cgid)
		return 0;
	return deny(cgid, RAGGED_HOOK_PTRACE, RAGGED_EV_ESCAPE, EPERM, mode,
		    BPF_CORE_READ(child, tgid), 0);
}

/*
 * The hooks every process calls often (each exec maps its libraries
 * executable; signals) are lsm_cgroup programs, attached to the plugin
 * subtree like file_open, so processes outside the runs never execute
 * them: 3 of the kernel's 10 lsm_cgroup hook slots. They answer 1 to
 * allow, or 0 with the errno set.
 */
static __always_inline int cgroup_verdict(int rc)
{
	if (!rc)
		return 1;
	bpf_set_retval(rc);
	return 0;
}

/*
 * Signals only within the run: not the user's shell, not other plugins. A
 * target in the caller's own cgroup is in its run (a plugin's own signals,
 * the common case): allowed before any lookup.
 */
SEC("lsm_cgroup/task_kill")
int BPF_PROG(ragged_task_kill, struct task_struct *p, struct kernel_siginfo *info, int sig)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (task_cgroup(p) == bpf_get_current_cgroup_id() || !confined(&cgid, &run))
		return 1;
	return cgroup_verdict(deny(cgid, RAGGED_HOOK_TASK_KILL, RAGGED_EV_ESCAPE, EPERM, sig,
				   BPF_CORE_READ(p, tgid), 0));
}

/*
 * Priority, scheduling and I/O priority of other processes: the kernel lets
 * a user renice or re-schedule all of their processes (setpriority with
 * PRIO_USER included). Not an escape, but interference with processes
 * outside the run. arg: which (1 nice, 2 scheduler, 3 ioprio) << 32 | value.
 */
static __always_inline int task_attr(struct task_struct *p, __u64 what)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run) || task_cgroup(p) == cgid)
		return 0;
	return deny(cgid, RAGGED_HOOK_TASK_ATTR, RAGGED_EV_ESCAPE, EPERM, what,
		    BPF_CORE_READ(p, tgid), 0);
}

SEC("lsm/task_setnice")
int BPF_PROG(ragged_task_setnice, struct task_struct *p, int nice)
{
	return task_attr(p, 1ULL << 32 | (__u32)nice);
}

SEC("lsm/task_setscheduler")
int BPF_PROG(ragged_task_setscheduler, struct task_struct *p)
{
	return task_attr(p, 2ULL << 32);
}

SEC("lsm/task_setioprio")
int BPF_PROG(ragged_task_setioprio, struct task_struct *p, int ioprio)
{
	return task_attr(p, 3ULL << 32 | (__u32)ioprio);
}

SEC("lsm/sb_mount")
int BPF_PROG(ragged_sb_mount, const char *dev_name, const struct path *path, const char *type,
	     unsigned long flags)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_SB_MOUNT, RAGGED_EV_ESCAPE, EPERM, flags, 0, type);
}

SEC("lsm/move_mount")
int BPF_PROG(ragged_move_mount, const struct path *from, const struct path *to)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_MOVE_MOUNT, RAGGED_EV_ESCAPE, EPERM, 0, 0, 0);
}

/* Any bpf() command: maps, programs, links, and with them our own pins. */
SEC("lsm/bpf")
int BPF_PROG(ragged_bpf, int cmd)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_BPF, RAGGED_EV_ESCAPE, EPERM, cmd, 0, 0);
}

/* finit_module, kexec_file_load, firmware, policy loads: kernel code or data. */
SEC("lsm/kernel_read_file")
int BPF_PROG(ragged_kernel_read_file, struct file *file, int id)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_KERNEL_READ_FILE, RAGGED_EV_ESCAPE, EPERM, id, 0,
		    (const char *)BPF_CORE_READ(file, f_path.dentry, d_name.name));
}

/* init_module and kexec_load from a buffer. */
SEC("lsm/kernel_load_data")
int BPF_PROG(ragged_kernel_load_data, int id)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_KERNEL_LOAD_DATA, RAGGED_EV_ESCAPE, EPERM, id, 0, 0);
}

/* A user namespace is the key to mount/net namespaces without root. */
SEC("lsm/userns_create")
int BPF_PROG(ragged_userns_create, const struct cred *cred)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_USERNS_CREATE, RAGGED_EV_ESCAPE, EPERM, 0, 0, 0);
}

/*
 * Exec: the file must be one an exec rule grants (the runtime, the plugin
 * dir), and must have a name. This is where bpf-lsm mode enforces exec
 * rights: on 6.1, 6.12 and 7.3 the open of an exec reaches file_open
 * without FMODE_EXEC in f_mode, so there it looks like a read. An
 * anonymous file (memfd, unlinked) is an escape attempt; a named file
 * without an exec rule (fetched code in the documents) is a file-rule
 * violation. Scripts are checked here, and their interpreter again.
 */
SEC("lsm/bprm_check_security")
int BPF_PROG(ragged_bprm_check, struct linux_binprm *bprm)
{
	struct file *file = BPF_CORE_READ(bprm, file);
	struct ragged_run_slot *run;
	struct esc_scratch *s;
	__u64 cgid;
	int pos, ret;

	if (!confined(&cgid, &run) || !file)
		return 0;
	if (anonymous(file))
		return deny(cgid, RAGGED_HOOK_BPRM_CHECK, RAGGED_EV_ESCAPE, EACCES, 0, 0,
			    (const char *)BPF_CORE_READ(file, f_path.dentry, d_name.name));
	s = scratch_get();
	pos = build_path(BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry), s);
	ret = (rights_at(run, s, pos) & RAGGED_ACC_EXEC) ? 0 :
	      deny(cgid, RAGGED_HOOK_BPRM_CHECK, RAGGED_EV_FILE, EACCES, RAGGED_ACC_EXEC, 0,
		   path_of(s, pos));
	scratch_put();
	return ret;
}

/*
 * Executable mappings are exec by other means (dlopen, a hand-written
 * loader): allowed only from files whose rule grants exec (the runtime, the
 * plugin dir). Scratch, documents and memfds hold data, not code.
 */
static __always_inline int exec_map(struct file *file, __u32 hook)
{
	struct ragged_run_slot *run;
	struct esc_scratch *s;
	__u64 cgid;
	int pos = -1, ret;

	if (!confined(&cgid, &run))
		return 0;
	s = scratch_get();
	if (!anonymous(file)) {
		/* mprotect of an overlay file's mapping (6.6+) sees the backing
		 * file in vm_file: decided at the overlay path, as mmap was. */
		pos = user_path_of(file, s);
		if (rights_at(run, s, pos) & RAGGED_ACC_EXEC) {
			scratch_put();
			return 0;
		}
	}
	ret = deny(cgid, hook, RAGGED_EV_ESCAPE, EPERM, RAGGED_ACC_EXEC, 0,
		   pos >= 0 ? path_of(s, pos) :
		   (const char *)BPF_CORE_READ(file, f_path.dentry, d_name.name));
	scratch_put();
	return ret;
}

/*
 * mmap(PROT_EXEC) of a file: every library a plugin loads, so the hot case.
 * mmap_file is one of the hooks where bpf_d_path is allowed (the sleepable
 * LSM hooks), so a plain file's path comes from the kernel's d_path, not
 * from walking dentries (half the cost). Anonymous files and overlay
 * backing files (the user's path is not their f_path) take exec_map's walk.
 * The key lives on this program's stack: a shared buffer could be
 * overwritten by another task between d_path and the lookup (file.bpf.c).
 */
SEC("lsm_cgroup/mmap_file")
int BPF_PROG(ragged_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot)
{
	struct ragged_run_slot *run;
	struct ragged_file_rule *rule;
	struct ragged_file_key key;
	__u64 cgid;
	long len;

	if (!file || !(prot & PROT_EXEC))
		return 1;
	if (!confined(&cgid, &run))
		return 1;
	if (anonymous_arg(file) || backing_file_mode(file, file->f_mode))
		return cgroup_verdict(exec_map(file, RAGGED_HOOK_MMAP_FILE));
	len = bpf_d_path((struct path *)&file->f_path, key.path, sizeof(key.path));
	/* No run slot (a run torn down), a path too long for a rule, or none: refused. */
	if (run && len > 0 && len <= RAGGED_RULE_PATH_MAX) {
		key.policy_id = bpf_htonl(policy_of(run));
		key.prefixlen = 32 + len * 8;	/* len counts the NUL */
		rule = bpf_map_lookup_elem(&file_rules, &key);
		if (rule && (rule->access & RAGGED_ACC_EXEC))
			return 1;
	}
	return cgroup_verdict(deny(cgid, RAGGED_HOOK_MMAP_FILE, RAGGED_EV_ESCAPE, EPERM,
				   RAGGED_ACC_EXEC, 0, len > 0 ? key.path :
				   (const char *)BPF_CORE_READ(file, f_path.dentry, d_name.name)));
}

/* mprotect(PROT_EXEC) on a file mapping made without it. */
SEC("lsm_cgroup/file_mprotect")
int BPF_PROG(ragged_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot)
{
	struct file *file = BPF_CORE_READ(vma, vm_file);

	if (!file || !(prot & PROT_EXEC))
		return 1;
	return cgroup_verdict(exec_map(file, RAGGED_HOOK_FILE_MPROTECT));
}

/*
 * A descriptor received over SCM_RIGHTS (from a process outside the run,
 * or another plugin) must be one the run could have opened itself: the
 * same rule lookup as file_open. Pipes, sockets and other anonymous
 * objects carry no path and pass. The receiver sees MSG_CTRUNC.
 */
SEC("lsm/file_receive")
int BPF_PROG(ragged_file_receive, struct file *file)
{
	struct ragged_run_slot *run;
	struct esc_scratch *s;
	__u32 want = 0, fmode, have;
	__u64 cgid;
	int pos, ret;

	if (!confined(&cgid, &run) ||
	    (BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL))
		return 0;
	fmode = BPF_CORE_READ(file, f_mode);
	if (fmode & FMODE_READ)
		want |= RAGGED_ACC_READ;
	if (fmode & FMODE_WRITE)
		want |= RAGGED_ACC_WRITE;
	s = scratch_get();
	pos = build_path(BPF_CORE_READ(file, f_path.mnt), BPF_CORE_READ(file, f_path.dentry), s);
	have = rights_at(run, s, pos);
	/* An O_PATH descriptor (want 0) still needs some rule for its path. */
	ret = (have && (have & want) == want) ? 0 :
	      deny(cgid, RAGGED_HOOK_FILE_RECEIVE, RAGGED_EV_FILE, EACCES, want, 0,
		   path_of(s, pos));
	scratch_put();
	return ret;
}

/* Keys of the plugin's own credentials (kernel-internal lookups, made with
 * root credentials on the task's behalf, are left alone). */
SEC("lsm/key_permission")
int BPF_PROG(ragged_key_permission, void *key_ref, const struct cred *cred, int need)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run) || BPF_CORE_READ(cred, euid.val) == 0)
		return 0;
	return deny(cgid, RAGGED_HOOK_KEY_PERMISSION, RAGGED_EV_ESCAPE, EACCES, need, 0, 0);
}

/* io_uring operations on behalf of registered credentials. */
SEC("lsm/uring_override_creds")
int BPF_PROG(ragged_uring_creds, const struct cred *new)
{
	struct ragged_run_slot *run;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	return deny(cgid, RAGGED_HOOK_URING_CREDS, RAGGED_EV_ESCAPE, EPERM, 0, 0, 0);
}

/*
 * Hard links and renames give a file a new path, and file_open decides on
 * paths: linking ~/.ssh/id_rsa into the scratch dir would make it readable.
 * The rule, as Landlock's: the source must be writable (a rename removes it
 * from there), the destination writable, and the new place must not grant
 * more than the old one (EXDEV, which mv(1) answers by copying, through
 * file_open). A link cannot cross mounts, so the source lives on new_dir's.
 */
static __always_inline int move_check(__u32 hook, struct vfsmount *old_mnt, struct dentry *old,
				      struct vfsmount *new_mnt, struct dentry *new, int need_src_w,
				      int exchange)
{
	struct ragged_run_slot *run;
	struct esc_scratch *s;
	__u32 src, dst;
	__u64 cgid;
	int spos, dpos, ret;

	if (!confined(&cgid, &run))
		return 0;
	s = scratch_get();
	dpos = build_path(new_mnt, new, s);
	dst = rights_at(run, s, dpos);
	spos = build_path(old_mnt, old, s);	/* last: the record shows the source */
	src = rights_at(run, s, spos);
	if (!(dst & RAGGED_ACC_WRITE) || (need_src_w && !(src & RAGGED_ACC_WRITE)))
		ret = deny(cgid, hook, RAGGED_EV_FILE, EACCES, RAGGED_ACC_WRITE, 0, path_of(s, spos));
	else if ((dst & ~src) || (exchange && (src & ~dst)))
		ret = deny(cgid, hook, RAGGED_EV_FILE, EXDEV, dst, 0, path_of(s, spos));
	else
		ret = 0;
	scratch_put();
	return ret;
}

SEC("lsm/path_link")
int BPF_PROG(ragged_path_link, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry)
{
	struct vfsmount *mnt = BPF_CORE_READ(new_dir, mnt);

	return move_check(RAGGED_HOOK_PATH_LINK, mnt, old_dentry, mnt, new_dentry, 0, 0);
}

SEC("lsm/path_rename")
int BPF_PROG(ragged_path_rename, const struct path *old_dir, struct dentry *old_dentry,
	     const struct path *new_dir, struct dentry *new_dentry, unsigned int flags)
{
	return move_check(RAGGED_HOOK_PATH_RENAME, BPF_CORE_READ(old_dir, mnt), old_dentry,
			  BPF_CORE_READ(new_dir, mnt), new_dentry, 1, flags & RENAME_EXCHANGE);
}

/*
 * UNIX sockets, named and abstract: no permission grants one (the agent's
 * socket, D-Bus, the Docker socket, ssh-agent and X11 are exactly what a
 * plugin must not reach), so the grant is the run itself. A plugin may
 * connect or send only to a socket created inside its own run: the peer's
 * cgroup (recorded when the socket was created) must be the caller's. The
 * peer is the socket the kernel found, after every symlink and namespace
 * lookup, so no naming trick reaches a different one. Socket pairs and
 * descriptors passed in are already connected and never come here.
 */
#define AF_UNIX 1

static __always_inline int unix_peer(struct sock *peer, __u32 type, __u32 hook)
{
	struct ragged_run_slot *run;
	struct unix_address *ua;
	struct ragged_event *ev;
	__u64 cgid;

	if (!confined(&cgid, &run))
		return 0;
	if (run && BPF_CORE_READ(peer, sk_cgrp_data.cgroup, kn, id) == cgid)
		return 0;
	account(cgid, hook, 1, 1, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_NET;
		ev->err = EPERM;
		ev->family = AF_UNIX;
		ev->sock_type = type;
		ua = BPF_CORE_READ((struct unix_sock *)peer, addr);
		if (ua) {
			bpf_probe_read_kernel(ev->path, sizeof(ua->name[0].sun_path),
					      &ua->name[0].sun_path);
			/* An abstract name starts with NUL: shown as '@name'. */
			if (!ev->path[0] && BPF_CORE_READ(ua, len) > 2)
				ev->path[0] = '@';
		}
		bpf_ringbuf_submit(ev, 0);
	}
	return -EPERM;
}

/* Stream and seqpacket connects; the hook passes struct sock, not socket. */
SEC("lsm/unix_stream_connect")
int BPF_PROG(ragged_unix_stream_connect, struct sock *sock, struct sock *other,
	     struct sock *newsk)
{
	return unix_peer(other, BPF_CORE_READ(sock, sk_type), RAGGED_HOOK_UNIX_CONNECT);
}

/* Datagrams: every send to a named or abstract peer, connected or not. */
SEC("lsm/unix_may_send")
int BPF_PROG(ragged_unix_may_send, struct socket *sock, struct socket *other)
{
	return unix_peer(BPF_CORE_READ(other, sk), BPF_CORE_READ(sock, type),
			 RAGGED_HOOK_UNIX_SEND);
}
