// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Denial reporting for landlock mode: raw_tp/sys_exit.
 *
 * In the fallback mode Landlock, not BPF, refuses file operations, and it
 * tells nobody but the caller. This program sees every syscall exit, drops
 * it unless the result is EACCES/EPERM (one compare: the cost for tasks
 * outside a run), then drops it unless the task belongs to a run, and
 * reports the path argument of the file syscalls. The syscall's registers
 * at exit still hold its arguments, so no enter hook is needed.
 *
 * Only path-taking syscalls are reported here: network denials come from
 * net.bpf.c already and must not be counted twice.
 */
#include "ragged.bpf.h"

/* x86_64 syscall numbers and which argument register holds the path. */
enum { ARG_DI = 1, ARG_SI = 2, ARG_DX = 3 };

static __always_inline int path_arg(long nr)
{
	switch (nr) {
	case 2:   /* open */
	case 4:   /* stat */
	case 6:   /* lstat */
	case 21:  /* access */
	case 59:  /* execve */
	case 76:  /* truncate */
	case 80:  /* chdir */
	case 82:  /* rename */
	case 83:  /* mkdir */
	case 84:  /* rmdir */
	case 85:  /* creat */
	case 86:  /* link */
	case 87:  /* unlink */
	case 89:  /* readlink */
	case 90:  /* chmod */
	case 92:  /* chown */
	case 94:  /* lchown */
	case 133: /* mknod */
	case 161: /* chroot */
		return ARG_DI;
	case 88:  /* symlink: the new name */
	case 257: /* openat */
	case 258: /* mkdirat */
	case 259: /* mknodat */
	case 260: /* fchownat */
	case 262: /* newfstatat */
	case 263: /* unlinkat */
	case 264: /* renameat */
	case 265: /* linkat */
	case 267: /* readlinkat */
	case 268: /* fchmodat */
	case 269: /* faccessat */
	case 316: /* renameat2 */
	case 322: /* execveat */
	case 437: /* openat2 */
	case 439: /* faccessat2 */
		return ARG_SI;
	case 266: /* symlinkat: the new name */
		return ARG_DX;
	}
	return 0;
}

SEC("raw_tp/sys_exit")
int ragged_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	long ret = (long)ctx->args[1];
	struct pt_regs *regs;
	struct ragged_event *ev;
	const char *upath = 0;
	__u64 cgid;
	long nr;
	int which;

	if (ret != -EACCES && ret != -EPERM)
		return 0;
	cgid = bpf_get_current_cgroup_id();
	if (!bpf_map_lookup_elem(&runs, &cgid))
		return 0;	/* not a plugin: none of our business */
	regs = (struct pt_regs *)ctx->args[0];
	nr = BPF_CORE_READ(regs, orig_ax);
	which = path_arg(nr);
	if (!which)
		return 0;
	if (which == ARG_DI)
		upath = (const char *)BPF_CORE_READ(regs, di);
	else if (which == ARG_SI)
		upath = (const char *)BPF_CORE_READ(regs, si);
	else
		upath = (const char *)BPF_CORE_READ(regs, dx);

	account(cgid, RAGGED_HOOK_SYSCALL_EXIT, 1, 1, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_SYSCALL_DENIED;
		ev->err = -ret;
		ev->access = nr;
		if (upath)
			bpf_probe_read_user_str(ev->path, sizeof(ev->path), upath);
		bpf_ringbuf_submit(ev, 0);
	}
	return 0;
}
