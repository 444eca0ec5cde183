/* SPDX-License-Identifier: MIT */
/* Small helpers both binaries use. */
#ifndef RAGGED_UTIL_H
#define RAGGED_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A bigger copy of a growing array of elem-byte elements: *cap doubled, or
 * `first` when it is 0. NULL (errno ENOMEM; the array and *cap unchanged)
 * when realloc fails or the size would overflow.
 */
void *array_grow(void *v, size_t *cap, size_t elem, size_t first);
/*
 * Room for element n of arr (cap elements allocated): 0, or -1 with the
 * array unchanged. arr and cap are lvalues (cap a size_t).
 */
#define ARRAY_RESERVE(arr, n, cap, first) __extension__ ({			\
	int reserve_rc_ = 0;							\
	if ((n) >= (cap)) {							\
		void *reserve_p_ = array_grow((arr), &(cap), sizeof(*(arr)), (first)); \
		if (reserve_p_)							\
			(arr) = reserve_p_;					\
		else								\
			reserve_rc_ = -1;					\
	}									\
	reserve_rc_;								\
})

/* snprintf that reports truncation as failure: -1 with errno ENAMETOOLONG. */
int xsnprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write a whole string to a file (cgroupfs knobs); -1 with errno on failure. */
int write_file(const char *path, const char *s);
int write_fileat(int dirfd, const char *name, const char *s);
/* Read up to len-1 bytes, NUL-terminate, strip one trailing newline. */
ssize_t read_file(const char *path, char *buf, size_t len);
ssize_t read_fileat(int dirfd, const char *name, char *buf, size_t len);
/* mkdir -p with mode for the components it creates. */
int mkdir_p(const char *path, mode_t mode);
/* Atomic replace: temp file, fsync, rename, fsync of the directory. */
int write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* 16 random bytes as 32 lowercase hex characters. */
int random_hex(char out[33]);
/*
 * The one time format of records, replies and state files: ms since the
 * epoch as RFC 3339 UTC with milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ",
 * clamped to years 0000-9999.
 */
#define RFC3339_MS_LEN 24	/* "2026-03-15T10:30:45.123Z" */
void format_rfc3339_ms(int64_t ms, char out[RFC3339_MS_LEN + 1]);
uint64_t now_realtime_ms(void);
uint64_t now_monotonic_ns(void);
/*
 * The account name of uid for records and replies, or the uid in decimal
 * when it has none: 0 named, -1 numeric (out holds a string either way).
 */
int uid_name(uid_t uid, char *out, size_t len);
/* rm -r without following symlinks or crossing mounts. */
void rm_tree(const char *path);
/* A cgroup v2 directory's id (its kernfs inode, the BPF map key), or 0. */
uint64_t cgroup_id_of(int dirfd);

/*
 * The other small utilities, behind this one header: network classes,
 * permission names, Prometheus text, text escaping, file stamps.
 */
#include "netaddr.h"
#include "perms.h"
#include "promfmt.h"
#include "sha256.h"
#include "stamp.h"
#include "textesc.h"

#endif
