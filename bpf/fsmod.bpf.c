// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * File namespace and file metadata changes in bpf-lsm mode: what file_open
 * never sees. A plugin granted only read access to the documents could
 * otherwise delete them, create files, directories, symlinks, FIFOs or
 * UNIX socket names next to them, truncate them (O_TRUNC with O_RDONLY
 * opens read-only), chmod/chown them, change their times or extended
 * attributes: a planted .pth file or an authorized_keys symlink is code
 * execution outside the sandbox.
 *
 * The rule, for every change: the run must hold write access where the
 * object is (its scratch dir, a granted write tree). Refusals are EACCES
 * for names and contents (as file_open and Landlock answer), EPERM for
 * metadata (what the kernel answers a caller not allowed to change an
 * inode), each counted and recorded once, by the one hook that decided.
 *
 *  - path hooks (path_unlink, path_rmdir, path_mkdir, path_mknod,
 *    path_symlink, path_truncate, file_truncate, path_chmod, path_chown,
 *    and file_ioctl for inode flags) get a mount: the object's path is built as escape.bpf.c builds it and
 *    looked up in file_rules. path_mknod is also what an O_CREAT open of a
 *    new file and a UNIX socket bind() pass through, before the file
 *    exists, so a refused create leaves nothing behind. Every variant (at,
 *    fd, AT_EMPTY_PATH, l*) of these calls reaches the same hook.
 *  - dentry hooks (inode_setattr for times, inode_setxattr,
 *    inode_removexattr, inode_set_acl, inode_remove_acl) get no mount. They
 *    walk the dentry's ancestors to the nearest one the agent listed in
 *    inode_rules (the rules' own directories and files, by device and inode
 *    when the policy was built) and decide by that rule: the same longest
 *    match file_rules gives, by object instead of by name. Nothing found
 *    (a rule path that did not exist, a deeper tree): refused.
 *
 * Objects on internal mounts (memfds, pipes, sockets) have no path a rule
 * could name and pass, as in file_open. The kernel acting for the task
 * with other credentials (overlayfs copy-up) is not the plugin's request
 * and passes too. Setattr calls that change size, mode or owner are left to
 * the path hooks above (one decision each, counted once); the kernel's own
 * setattr on a write (suid/sgid kill) or an O_TRUNC open carries those bits
 * and is never refused here.
 */
#include "lsm_path.bpf.h"

#define ATTR_MODE (1 << 0)
#define ATTR_UID (1 << 1)
#define ATTR_GID (1 << 2)
#define ATTR_SIZE (1 << 3)
#define ATTR_ATIME (1 << 4)
#define ATTR_MTIME (1 << 5)
#define ATTR_KILL_SUID (1 << 11)
#define ATTR_KILL_SGID (1 << 12)
#define ATTR_KILL_PRIV (1 << 14)
#define MAX_ANCESTORS 64

/* Filled by the agent (agent/daemon/kmaps.c) next to file_rules. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RAGGED_MAX_FILE_RULES);
	__type(key, struct ragged_inode_key);
	__type(value, struct ragged_inode_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} inode_rules SEC(".maps");

static __always_inline int refuse(__u64 cgid, __u32 hook, int err, __u64 op, const char *kpath)
{
	struct ragged_event *ev;

	account(cgid, hook, 1, 1, &ev);
	if (ev) {
		ev->kind = RAGGED_EV_FILE;
		ev->err = err;
		ev->access = RAGGED_ACC_WRITE;
		ev->arg = op;
		if (kpath)
			bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), kpath);
		bpf_ringbuf_submit(ev, 0);
	}
	return -err;
}

/* A change at (mnt, d): allowed where the run's rules grant write. */
static __always_inline int need_write(__u32 hook, struct vfsmount *mnt, struct dentry *d, int err)
{
	struct ragged_run_slot *run;
	struct esc_scratch *s;
	__u64 cgid;
	int pos, ret;

	if (!confined(&cgid, &run))
		return 0;
	if (BPF_CORE_READ(mnt, mnt_flags) & MNT_INTERNAL)
		return 0;
	s = scratch_get();
	pos = build_path(mnt, d, s);
	ret = (rights_at(run, s, pos) & RAGGED_ACC_WRITE) ? 0 :
	      refuse(cgid, hook, err, 0, path_of(s, pos));
	scratch_put();
	return ret;
}

SEC("lsm/path_unlink")
int BPF_PROG(ragged_path_unlink, const struct path *dir, struct dentry *dentry)
{
	return need_write(RAGGED_HOOK_PATH_UNLINK, BPF_CORE_READ(dir, mnt), dentry, EACCES);
}

SEC("lsm/path_rmdir")
int BPF_PROG(ragged_path_rmdir, const struct path *dir, struct dentry *dentry)
{
	return need_write(RAGGED_HOOK_PATH_RMDIR, BPF_CORE_READ(dir, mnt), dentry, EACCES);
}

SEC("lsm/path_mkdir")
int BPF_PROG(ragged_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode)
{
	return need_write(RAGGED_HOOK_PATH_MKDIR, BPF_CORE_READ(dir, mnt), dentry, EACCES);
}

/* mknod(2) of FIFOs and devices, O_CREAT of a new file, AF_UNIX bind(). */
SEC("lsm/path_mknod")
int BPF_PROG(ragged_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev)
{
	return need_write(RAGGED_HOOK_PATH_MKNOD, BPF_CORE_READ(dir, mnt), dentry, EACCES);
}

SEC("lsm/path_symlink")
int BPF_PROG(ragged_path_symlink, const struct path *dir, struct dentry *dentry,
	     const char *old_name)
{
	return need_write(RAGGED_HOOK_PATH_SYMLINK, BPF_CORE_READ(dir, mnt), dentry, EACCES);
}

/* truncate(2); on 6.1 also ftruncate(2) and O_TRUNC opens. */
SEC("lsm/path_truncate")
int BPF_PROG(ragged_path_truncate, const struct path *path)
{
	return need_write(RAGGED_HOOK_PATH_TRUNCATE, BPF_CORE_READ(path, mnt),
			  BPF_CORE_READ(path, dentry), EACCES);
}

/* 6.2+: ftruncate(2) and O_TRUNC opens (an O_RDONLY|O_TRUNC open is
 * read-only for file_open, and still empties the file). */
SEC("lsm/file_truncate")
int BPF_PROG(ragged_file_truncate, struct file *file)
{
	return need_write(RAGGED_HOOK_PATH_TRUNCATE, BPF_CORE_READ(file, f_path.mnt),
			  BPF_CORE_READ(file, f_path.dentry), EACCES);
}

SEC("lsm/path_chmod")
int BPF_PROG(ragged_path_chmod, const struct path *path, umode_t mode)
{
	return need_write(RAGGED_HOOK_PATH_CHMOD, BPF_CORE_READ(path, mnt),
			  BPF_CORE_READ(path, dentry), EPERM);
}

SEC("lsm/path_chown")
int BPF_PROG(ragged_path_chown, const struct path *path)
{
	return need_write(RAGGED_HOOK_PATH_CHOWN, BPF_CORE_READ(path, mnt),
			  BPF_CORE_READ(path, dentry), EPERM);
}

/*
 * Inode flags and project attributes (chattr: append-only, no-dump,
 * no-COW, ...): an ioctl on any descriptor, read-only ones included.
 */
#define FS_IOC_SETFLAGS 0x40086602U
#define FS_IOC_FSSETXATTR 0x401c5820U

SEC("lsm/file_ioctl")
int BPF_PROG(ragged_file_ioctl, struct file *file, unsigned int cmd)
{
	if (cmd != FS_IOC_SETFLAGS && cmd != FS_IOC_FSSETXATTR)
		return 0;
	return need_write(RAGGED_HOOK_FILE_SETFLAGS, BPF_CORE_READ(file, f_path.mnt),
			  BPF_CORE_READ(file, f_path.dentry), EPERM);
}

/* --- hooks with a dentry and no mount ----------------------------------- */

struct ancestor_walk {
	__u64 d;		/* struct dentry * */
	__u32 policy_id;
	__u32 access;
	int found;
};

static long ancestor_step(__u32 i, struct ancestor_walk *w)
{
	struct dentry *d = (struct dentry *)w->d, *up;
	struct ragged_inode_key k = {
		.policy_id = w->policy_id,
		.dev = BPF_CORE_READ(d, d_sb, s_dev),
		.ino = BPF_CORE_READ(d, d_inode, i_ino),
	};
	struct ragged_inode_rule *rule = k.ino ? bpf_map_lookup_elem(&inode_rules, &k) : 0;

	if (rule) {
		w->access = rule->access;
		w->found = 1;
		return 1;
	}
	up = BPF_CORE_READ(d, d_parent);
	if (!up || up == d)
		return 1;	/* the file system's root: no rule above */
	w->d = (__u64)up;
	return 0;
}

/* The task acting under credentials other than its own: the kernel on its
 * behalf (overlayfs copy-up), not a request of the plugin's. */
static __always_inline int kernel_creds(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, cred) != BPF_CORE_READ(t, real_cred);
}

/*
 * For the record only: the dentry's path through the task's working
 * directory's mount (or its root's) when on the same file system, else as
 * seen from its file system's root. The decision never depends on it.
 */
static __always_inline int dentry_path(struct dentry *d, struct esc_scratch *s)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct vfsmount *m = BPF_CORE_READ(t, fs, pwd.mnt);
	struct super_block *sb = BPF_CORE_READ(d, d_sb);

	if (BPF_CORE_READ(m, mnt_sb) != sb) {
		struct vfsmount *root = BPF_CORE_READ(t, fs, root.mnt);

		if (BPF_CORE_READ(root, mnt_sb) == sb)
			m = root;
	}
	return build_path(m, d, s);
}

static __always_inline int need_write_inode(__u32 hook, struct dentry *d, int err, __u64 op)
{
	struct ancestor_walk w = { .d = (__u64)d };
	struct ragged_run_slot *run;
	struct esc_scratch *s;
	__u64 cgid;
	int ret;

	if (!confined(&cgid, &run) || kernel_creds())
		return 0;
	if (run) {
		w.policy_id = policy_of(run);
		bpf_loop(MAX_ANCESTORS, ancestor_step, &w, 0);
		if (w.found && (w.access & RAGGED_ACC_WRITE))
			return 0;
	}
	s = scratch_get();
	ret = refuse(cgid, hook, err, op, path_of(s, dentry_path(d, s)));
	scratch_put();
	return ret;
}

/*
 * utimes, utimensat, futimens: the only setattr no path hook decides.
 * Calls that change no time, or also size, mode or owner, are left alone.
 */
static __always_inline int setattr_times(struct dentry *d, struct iattr *attr)
{
	unsigned int valid = BPF_CORE_READ(attr, ia_valid);

	if (!(valid & (ATTR_ATIME | ATTR_MTIME)) ||
	    (valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_SIZE | ATTR_KILL_SUID |
		      ATTR_KILL_SGID | ATTR_KILL_PRIV)))
		return 0;
	return need_write_inode(RAGGED_HOOK_INODE_SETATTR, d, EPERM, 0);
}

/* The hook gained a leading idmap argument; the loader keeps the one of
 * these two that matches the running kernel's hook. */
SEC("lsm/inode_setattr")
int BPF_PROG(ragged_inode_setattr, void *idmap, struct dentry *dentry, struct iattr *attr)
{
	return setattr_times(dentry, attr);
}

SEC("lsm/inode_setattr")
int BPF_PROG(ragged_inode_setattr_noidmap, struct dentry *dentry, struct iattr *attr)
{
	return setattr_times(dentry, attr);
}

/* Extended attributes; POSIX ACLs too on 6.1 (set as system.posix_acl_*). */
SEC("lsm/inode_setxattr")
int BPF_PROG(ragged_inode_setxattr, void *idmap, struct dentry *dentry)
{
	return need_write_inode(RAGGED_HOOK_INODE_XATTR, dentry, EPERM, RAGGED_XATTR_SET);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(ragged_inode_removexattr, void *idmap, struct dentry *dentry)
{
	return need_write_inode(RAGGED_HOOK_INODE_XATTR, dentry, EPERM, RAGGED_XATTR_REMOVE);
}

/* 6.2+: POSIX ACLs have hooks of their own. */
SEC("lsm/inode_set_acl")
int BPF_PROG(ragged_inode_set_acl, void *idmap, struct dentry *dentry)
{
	return need_write_inode(RAGGED_HOOK_INODE_XATTR, dentry, EPERM, RAGGED_XATTR_SET_ACL);
}

SEC("lsm/inode_remove_acl")
int BPF_PROG(ragged_inode_remove_acl, void *idmap, struct dentry *dentry)
{
	return need_write_inode(RAGGED_HOOK_INODE_XATTR, dentry, EPERM, RAGGED_XATTR_REMOVE_ACL);
}
