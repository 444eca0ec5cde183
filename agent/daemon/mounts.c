// SPDX-License-Identifier: MIT
/*
 * The pseudo filesystems the agent needs. On the build machines neither
 * bpffs nor securityfs is mounted at boot (docs/contract.md §9): mount them if missing,
 * never remount or touch anything already there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "agent.h"
#include "log.h"
#include "util/util.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef SECURITYFS_MAGIC
#define SECURITYFS_MAGIC 0x73636673
#endif

static int ensure_one(const char *dir, const char *type, long magic, char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(dir, &st) == 0 && (long)st.f_type == magic)
		return 0;
	if (mkdir_p(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	if (mount(type, dir, type, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		snprintf(err, errlen, "mount %s on %s: %s", type, dir, strerror(errno));
		return -1;
	}
	return 0;
}

int ensure_mounts(char *err, size_t errlen)
{
	if (ensure_one("/sys/fs/bpf", "bpf", BPF_FS_MAGIC, err, errlen) < 0)
		return -1;
	/* securityfs only tells us the LSM list; its absence is not fatal. */
	if (ensure_one("/sys/kernel/security", "securityfs", SECURITYFS_MAGIC, err, errlen) < 0)
		log_msg(LOG_WARNING, "%s", err);
	return 0;
}
