/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What the plain BPF-LSM objects (escape.bpf.c, fsmod.bpf.c) share: the
 * "is this task confined" test, the denial record, and the path of a
 * dentry built by walking dentries and mounts, decided by the same
 * file_rules lookup file_open makes.
 */
#ifndef RAGGED_LSM_PATH_BPF_H
#define RAGGED_LSM_PATH_BPF_H

#include "file_rights.bpf.h"

/* The agent's plugin subtree (slot 0), set by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} plugin_root SEC(".maps");

/* Is the current task confined? Sets *run when it has an active policy. */
static __always_inline int confined(__u64 *cgid, struct ragged_run_slot **run)
{
	*cgid = bpf_get_current_cgroup_id();
	*run = bpf_map_lookup_elem(&runs, cgid);
	if (*run) {
		/* A half-built policy grants nothing (as in file/net). */
		if (!((*run)->flags & RAGGED_RUN_ACTIVE))
			*run = 0;
		return 1;
	}
	return bpf_current_task_under_cgroup(&plugin_root, 0) == 1;
}

/* t is a hook's own argument: direct loads, not four helper calls (a
 * load that faults reads 0, as BPF_CORE_READ would). */
static __always_inline __u64 task_cgroup(struct task_struct *t)
{
	return t->cgroups->dfl_cgrp->kn->id;
}

/* Count, record, and return the errno the task gets (negative). */
static __always_inline int deny(__u64 cgid, __u32 hook, __u16 kind, int err, __u64 arg,
				__u32 target, const char *kpath)
{
	struct ragged_event *ev;

	account(cgid, hook, 1, 1, &ev);
	if (ev) {
		ev->kind = kind;
		ev->err = err;
		ev->arg = arg;
		if (kind == RAGGED_EV_FILE)
			ev->access = (__u32)arg;	/* RAGGED_ACC_* asked for */
		ev->target_pid = target;
		if (kpath)
			bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), kpath);
		bpf_ringbuf_submit(ev, 0);
	}
	return -err;
}

/* Memfds, pipes, sockets, anon inodes live on internal mounts; an unlinked
 * file has no name left. Neither is a file a path rule could grant. */
static __always_inline int anonymous(struct file *f)
{
	return (BPF_CORE_READ(f, f_path.mnt, mnt_flags) & MNT_INTERNAL) ||
	       BPF_CORE_READ(f, f_inode, i_nlink) == 0;
}

/* The same test by direct loads, for a file that is the hook's own argument. */
static __always_inline int anonymous_arg(struct file *f)
{
	return (f->f_path.mnt->mnt_flags & MNT_INTERNAL) || f->f_inode->i_nlink == 0;
}

#endif
