/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The path of a (mount, dentry) pair, built by walking dentries and mounts
 * where bpf_d_path is not allowed: the plain LSM hooks (lsm_path.bpf.h) and
 * the denial monitor (a descriptor's file); and the path a user sees for a
 * file whose f_path is not the one the user opened (overlayfs backing
 * files: file.bpf.c, file_mprotect).
 */
#ifndef RAGGED_PATHWALK_BPF_H
#define RAGGED_PATHWALK_BPF_H

#include "ragged.bpf.h"

#define MNT_INTERNAL 0x4000

/*
 * Paths are built by walking dentries and mounts (bpf_d_path is not
 * allowed in these hooks), right to left into buf, like the kernel's d_path
 * for a task that is not chrooted. The slack after PBUF keeps every write
 * provably in bounds for the verifier.
 */
#define PBUF 512	/* a power of two: see in_buf() */
#define MAX_DEPTH 40

struct esc_scratch {
	char buf[PBUF + 256];
	struct ragged_file_key key;
};

/*
 * One buffer per task while it is inside a hook, keyed by its thread id:
 * scratch_get() at the start, scratch_put() when the path has been used
 * (and recorded). Not per CPU: these programs run with migration disabled
 * but can be preempted (a preemptible kernel; 7.x preempts lazily by
 * default), and a per-CPU buffer let another task's program on the same
 * CPU overwrite the path between build_path and the lookup, deciding this
 * task's operation on that task's path. (Task-local storage would be the
 * natural home, but on 7.3 bpf_task_storage_get(F_CREATE) returns NULL in
 * these hooks: every exec was refused.)
 *
 * A task uses at most one buffer at a time (no hook that takes one runs
 * inside another), so entries in use = tasks preempted inside a hook plus
 * one per CPU. Preallocated and shared by every object (pinned): when all
 * RAGGED_SCRATCH_MAX are taken, or the insert fails, there is no path,
 * and the operation is denied.
 */
#define RAGGED_SCRATCH_MAX 1024

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAGGED_SCRATCH_MAX);
	__type(key, __u32);
	__type(value, struct esc_scratch);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} esc_scratch SEC(".maps");

/* What a new buffer is copied from: one entry, never written. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct esc_scratch);
} esc_scratch_blank SEC(".maps");

/* One step of the walk per bpf_loop() iteration: the verifier checks the
 * step once instead of every unrolled level, which keeps the load fast. */
struct walk {
	__u64 m, d;		/* struct mount *, struct dentry * */
	struct esc_scratch *s;
	int pos;
	int ret;		/* 0 walking, 1 done, -1 failed */
};

static long walk_step(__u32 i, struct walk *w)
{
	struct mount *m = (struct mount *)w->m;
	struct dentry *d = (struct dentry *)w->d, *up;
	struct esc_scratch *s = w->s;
	const unsigned char *name;
	__u32 len;
	int pos;

	if (!s) {
		w->ret = -1;
		return 1;
	}
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		struct mount *parent = BPF_CORE_READ(m, mnt_parent);

		if (parent == m) {
			w->ret = 1;	/* the namespace's root */
			return 1;
		}
		w->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->m = (__u64)parent;
		return 0;
	}
	up = BPF_CORE_READ(d, d_parent);
	if (up == d) {
		w->ret = 1;	/* root of a detached or internal tree */
		return 1;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	pos = w->pos;
	if (len == 0 || len > 255 || (int)len + 1 > pos) {
		w->ret = -1;	/* too long: unmatchable, so denied */
		return 1;
	}
	pos = (pos - len) & (PBUF - 1);
	bpf_probe_read_kernel(&s->buf[pos], len & 255, name);
	pos = (pos - 1) & (PBUF - 1);
	s->buf[pos] = '/';
	w->pos = pos;
	w->d = (__u64)up;
	return 0;
}

/*
 * An index the caller has already checked to be in [0, PBUF), masked where
 * the verifier sees it: the compiler would drop a plain "& (PBUF - 1)" it
 * can prove redundant, and may test a copy of the register, not this one.
 */
static __always_inline int in_buf(int pos)
{
	asm volatile("%[p] &= 511" : [p] "+r"(pos));
	return pos;
}

/* Returns the start of the NUL-terminated path in s->buf, or -1. */
static __always_inline int build_path(struct vfsmount *vmnt, struct dentry *d, struct esc_scratch *s)
{
	struct walk w = {
		.m = (__u64)((void *)vmnt - bpf_core_field_offset(struct mount, mnt)),
		.d = (__u64)d,
		.s = s,
		.pos = PBUF - 1,
	};

	if (!s)
		return -1;
	s->buf[PBUF - 1] = 0;
	bpf_loop(MAX_DEPTH, walk_step, &w, 0);
	if (w.ret != 1)
		return -1;	/* failed, or deeper than MAX_DEPTH: denied */
	if (w.pos == PBUF - 1) {
		s->buf[PBUF - 2] = '/';
		return PBUF - 2;
	}
	return w.pos;
}

static __always_inline struct esc_scratch *scratch_get(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	void *blank = bpf_map_lookup_elem(&esc_scratch_blank, &zero);

	/* An entry of this tid already there (cannot be: every get is put) is
	 * this task's all the same. */
	if (blank)
		bpf_map_update_elem(&esc_scratch, &tid, blank, BPF_NOEXIST);
	return bpf_map_lookup_elem(&esc_scratch, &tid);
}

/* Done with the buffer (and with every pointer into it). */
static __always_inline void scratch_put(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	bpf_map_delete_elem(&esc_scratch, &tid);
}

static __always_inline const char *path_of(struct esc_scratch *s, int pos)
{
	if (!s || pos < 0 || pos >= PBUF)
		return 0;
	return &s->buf[in_buf(pos)];
}

/*
 * Overlayfs and its layers.
 *
 * An open() of a file on overlayfs reaches file_open twice, both times in
 * the opener's task and cgroup: first for the overlay file (its f_path is
 * the path the user opened), then, from overlayfs's ->open, for the file
 * of the layer that holds the data (the "real" file, opened with the
 * overlay mounter's credentials). How the kernel names that real file
 * differs (measured in the vmtest guests, t_overlay.sh; details in
 * docs/security-model.md, "Overlayfs"):
 *
 *  - 6.1 (open_with_fake_path): f_path is the overlay path, f_inode the
 *    real inode; bpf_d_path gives the user's path.
 *  - 6.6+ (backing_file_open): the file is embedded in a struct
 *    backing_file; f_path is the real path on the overlay's private clone
 *    of the layer (bpf_d_path gives it relative to the layer's root, e.g.
 *    "/doc.txt"), and backing_file.user_path is the overlay path. The
 *    FMODE_BACKING bit marks it: bit 25 up to 6.13, bit 24 since 6.14.
 *
 * Besides, on every kernel, overlayfs opens layer files and directories
 * for itself with plain kernel opens on those private clones: copy-up
 * (the lower file read, the new upper file written), merged directory
 * reads. They carry no user path at all.
 */
#define MNT_NS_INTERNAL ((void *)-22L)	/* ERR_PTR(-EINVAL): no namespace */

/*
 * A mount made by clone_private_mount(): overlayfs's private view of one
 * of its layers (upper, lower, work). It belongs to no mount namespace
 * (mnt_ns is MNT_NS_INTERNAL), yet, unlike the kernel's own internal
 * mounts (pipes, sockets, memfds: kern_mount), it lacks MNT_INTERNAL. No
 * process opens a file there by a path of its own.
 */
static __always_inline int layer_mount(struct vfsmount *vmnt)
{
	struct mount *m = (void *)vmnt - bpf_core_field_offset(struct mount, mnt);

	return vmnt && BPF_CORE_READ(m, mnt_ns) == MNT_NS_INTERNAL &&
	       !(BPF_CORE_READ(vmnt, mnt_flags) & MNT_INTERNAL);
}

/* 6.6+: struct backing_file (fs/file_table.c); user_path sits in an
 * anonymous union since 6.13, which CO-RE matches by name. */
struct backing_file___ragged {
	struct file file;
	struct path user_path;
} __attribute__((preserve_access_index));

extern int LINUX_KERNEL_VERSION __kconfig;

/*
 * A backing file of an overlay: struct backing_file exists in this kernel,
 * f_mode carries FMODE_BACKING at this kernel's bit, and the file lies on
 * an overlay's private layer mount. All three, so user_path is only ever
 * read from a real struct backing_file. A layer file that fails the test
 * keeps its own f_path, the private layer path no rule grants: the escape
 * hooks refuse it, and file_open can only take it for one of overlayfs's
 * internal opens (overlay_internal_open()).
 */
static __always_inline int backing_mode(__u32 fmode)
{
	if (!bpf_core_type_exists(struct backing_file___ragged))
		return 0;
	return fmode & (LINUX_KERNEL_VERSION >= KERNEL_VERSION(6, 14, 0) ? 1 << 24 : 1 << 25);
}

/* fmode: f's f_mode, already read (a hook's own argument: a direct load). */
static __always_inline int backing_file_mode(struct file *f, __u32 fmode)
{
	return backing_mode(fmode) && layer_mount(BPF_CORE_READ(f, f_path.mnt));
}

static __always_inline int backing_file(struct file *f)
{
	return backing_file_mode(f, BPF_CORE_READ(f, f_mode));
}

/*
 * An overlay whose layer lies on another overlay (a container's overlay
 * root under an overlay of documents): the outer overlay's backing file
 * then serves the inner overlay's layer file, and its user_path is that
 * layer file's path on the inner overlay's private mount, not a path any
 * user named. The inner overlay's backing file carried the user's path.
 */
static __always_inline int backing_of_layer(struct file *f)
{
	struct backing_file___ragged *bf = (void *)f;

	return layer_mount(BPF_CORE_READ(bf, user_path.mnt));
}

/* The path the user opened: a backing file's user_path, else f_path. */
static __always_inline int user_path_of(struct file *f, struct esc_scratch *s)
{
	if (backing_file(f)) {
		struct backing_file___ragged *bf = (void *)f;

		return build_path(BPF_CORE_READ(bf, user_path.mnt),
				  BPF_CORE_READ(bf, user_path.dentry), s);
	}
	return build_path(BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry), s);
}

/*
 * An open overlayfs makes for itself on one of its layers: the task's
 * credentials are overridden at this moment (overlayfs acts as its
 * mounter; a process's own open() always runs with cred == real_cred),
 * the file is opened with them, and it lies on a private layer mount.
 */
static __always_inline int overlay_internal_open(struct file *f)
{
	/* Direct loads (f is the hook's argument, t the BTF task): no helper
	 * calls on every open for a test that is almost always false. */
	struct task_struct *t = bpf_get_current_task_btf();
	const struct cred *cred = t->cred;

	return cred != t->real_cred && f->f_cred == cred && layer_mount(BPF_CORE_READ(f, f_path.mnt));
}

#endif
