// SPDX-License-Identifier: MIT
/*
 * Fallback file enforcement: the run's file rules as a Landlock domain,
 * applied in the child after it dropped to the plugin's uid and before it
 * execs the plugin (docs/contract.md §7 "landlock"). Uses the newest ABI the kernel
 * offers. Debian 12's UAPI headers stop at ABI 2, so the newer constants
 * are defined here, guarded.
 *
 * Landlock is allow-only: what the rules do not grant is denied, which is
 * the property we want. Network stays with the cgroup BPF programs (they
 * also produce the audit record); Landlock's TCP rules would refuse first
 * with EACCES and hide the attempt from the log.
 *
 * No allocation here: this runs between clone and exec. The baseline
 * rules' objects come from descriptors the agent opened and kept
 * (landlock_kept.c) where they still name what the paths name; every other
 * rule's path is opened here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/landlock.h>

#include "agent.h"
#include "util/util.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* Our own copy: the 6.1 header's struct lacks the later fields. */
struct ragged_ruleset_attr {
	__u64 handled_access_fs;
	__u64 handled_access_net;
	__u64 scoped;
};

#define FS_ABI1 ((1ULL << 13) - 1)	/* EXECUTE .. MAKE_SYM */

static __u64 fs_handled(int abi)
{
	__u64 fs = FS_ABI1;

	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

int landlock_abi_version(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* Only these rights make sense on a non-directory; Landlock rejects others. */
#define FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
		     LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE | \
		     LANDLOCK_ACCESS_FS_IOCTL_DEV)

static __u64 rights_for(uint32_t acc, bool dir, __u64 handled)
{
	__u64 r = 0;

	if (acc & RAGGED_ACC_READ)
		r |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (acc & RAGGED_ACC_EXEC)
		r |= LANDLOCK_ACCESS_FS_EXECUTE;
	if (acc & RAGGED_ACC_WRITE)
		r |= LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
		     LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
		     LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
		     LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |
		     /* FIFOs where the run may write, as in bpf-lsm mode (path_mknod) */
		     LANDLOCK_ACCESS_FS_MAKE_FIFO;
	/*
	 * Where the plugin may name UNIX sockets (its scratch dir): it may
	 * create them, but no symlinks, so a socket name checked there
	 * (bpf/unixaddr.bpf.c) cannot lead out of it.
	 */
	if (acc & RAGGED_ACC_SOCK) {
		r |= LANDLOCK_ACCESS_FS_MAKE_SOCK;
		r &= ~LANDLOCK_ACCESS_FS_MAKE_SYM;
	}
	if (!dir)
		r &= FILE_RIGHTS;
	return r & handled;
}

/* A rule on fd's object: one the agent kept for the run (landlock_kept.c), or just opened. */
static int add_rule_fd(int ruleset, int fd, bool dir, uint32_t acc, __u64 handled)
{
	struct landlock_path_beneath_attr pb = { .parent_fd = fd };

	pb.allowed_access = rights_for(acc, dir, handled);
	return pb.allowed_access ? (int)syscall(SYS_landlock_add_rule, ruleset,
						LANDLOCK_RULE_PATH_BENEATH, &pb, 0) : 0;
}

static int add_rule(int ruleset, const char *path, uint32_t acc, __u64 handled)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;	/* absent: nothing to grant */
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	rc = add_rule_fd(ruleset, fd, S_ISDIR(st.st_mode), acc, handled);
	close(fd);
	return rc;
}

/*
 * The run's own POSIX message queues. mq_open opens a file on the IPC
 * namespace's internal queue mount, which no path rule can name, so Landlock
 * refuses it. A detached mount of the same filesystem (mqueue is keyed by
 * IPC namespace: fsmount gives the same superblock and root inode) can carry
 * a rule: Landlock ties rules to inodes. The run has an IPC namespace of its
 * own (launch.c), so this grants its own queues and nothing of the host's
 * /dev/mqueue. Needs CAP_SYS_ADMIN: called in the child before the uid drop.
 * -1 if the kernel has no POSIX queues: then they stay refused.
 */
#ifndef SYS_fsopen
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#endif
#define RAGGED_FSOPEN_CLOEXEC 0x1
#define RAGGED_FSCONFIG_CMD_CREATE 6
#define RAGGED_FSMOUNT_CLOEXEC 0x1
#define RAGGED_MOUNT_ATTR_NOSUID_NODEV_NOEXEC 0xe

int landlock_mqueue_root(void)
{
	int fs = (int)syscall(SYS_fsopen, "mqueue", RAGGED_FSOPEN_CLOEXEC), mnt = -1;

	if (fs < 0)
		return -1;
	if (syscall(SYS_fsconfig, fs, RAGGED_FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = (int)syscall(SYS_fsmount, fs, RAGGED_FSMOUNT_CLOEXEC,
				   RAGGED_MOUNT_ATTR_NOSUID_NODEV_NOEXEC);
	close(fs);
	return mnt;
}

int landlock_apply(const struct policy *p, int abi, int mqueue_root, char *err, size_t errlen)
{
	struct ragged_ruleset_attr attr = { 0 };
	size_t attr_size = sizeof(attr);
	int ruleset;

	if (abi < 1) {
		snprintf(err, errlen, "Landlock unavailable");
		return -1;
	}
	attr.handled_access_fs = fs_handled(abi);
	if (abi >= 6)
		/* Abstract UNIX sockets and signals stay inside the run. */
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	else
		attr_size = offsetof(struct ragged_ruleset_attr, handled_access_net);
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (ruleset < 0) {
		snprintf(err, errlen, "landlock_create_ruleset: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < p->n_files; i++) {
		char path[RAGGED_PATH_MAX];
		bool dir;
		int fd = landlock_prepared_fd(p, i, &dir);

		policy_rule_path(&p->files[i], path);
		if (fd >= 0 ? add_rule_fd(ruleset, fd, dir, p->files[i].access,
					  attr.handled_access_fs) < 0 :
			      add_rule(ruleset, path, p->files[i].access, attr.handled_access_fs) < 0) {
			snprintf(err, errlen, "landlock rule %s: %s", path, strerror(errno));
			close(ruleset);
			return -1;
		}
	}
	/* /proc/self names this very process, which is the one that execs. */
	if (add_rule(ruleset, "/proc/self", RAGGED_ACC_READ, attr.handled_access_fs) < 0) {
		snprintf(err, errlen, "landlock rule /proc/self: %s", strerror(errno));
		close(ruleset);
		return -1;
	}
	if (mqueue_root >= 0) {
		struct landlock_path_beneath_attr pb = {
			.parent_fd = mqueue_root,
			.allowed_access = (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE) &
					  attr.handled_access_fs,
		};

		if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			snprintf(err, errlen, "landlock rule for the run's message queues: %s",
				 strerror(errno));
			close(ruleset);
			return -1;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) {
		snprintf(err, errlen, "landlock_restrict_self: %s", strerror(errno));
		close(ruleset);
		return -1;
	}
	close(ruleset);
	return 0;
}
