/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The path of a (mount, dentry) pair, built by walking dentries and mounts
 * where bpf_d_path is not allowed: the plain LSM hooks (lsm_path.bpf.h) and
 * the denial monitor (a descriptor's file).
 */
#ifndef RAGGED_PATHWALK_BPF_H
#define RAGGED_PATHWALK_BPF_H

#include "ragged.bpf.h"

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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct esc_scratch);
} esc_scratch SEC(".maps");

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

static __always_inline struct esc_scratch *scratch_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&esc_scratch, &zero);
}

static __always_inline const char *path_of(struct esc_scratch *s, int pos)
{
	if (!s || pos < 0 || pos >= PBUF)
		return 0;
	return &s->buf[in_buf(pos)];
}

#endif
