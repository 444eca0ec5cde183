// SPDX-License-Identifier: MIT
/*
 * The stat fingerprint of a plugin directory: SHA-256 over the name, type,
 * mode, size, link count, device, inode, mtime and ctime of every entry (in
 * name order, symlink targets included), and of the directory itself. It
 * lets a run find the cached content digest of an unchanged plugin without
 * reading and hashing every file (validate_dir); any change to any of
 * those (a write, chmod, rename, replace, new or removed file) gives
 * another fingerprint, and then the whole plugin is read, hashed and
 * analysed again.
 *
 * A write sets ctime, which no unprivileged call can set back. A
 * fingerprint is only recorded when every ctime is settled (util/stamp.h:
 * older than file_stamp_settle_s before the walk began), so that two
 * writes within one timestamp tick (same size, same times) cannot both
 * match it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "validate_int.h"

struct fpwalk {
	struct sha256 c;
	unsigned entries, max_files, max_depth;
	struct timespec settle_before;	/* every ctime must be older */
	bool settled;
};

static void fp_stat(struct fpwalk *f, const char *rel, const struct stat *st)
{
	char line[PATH_MAX + 200];
	int n;

	n = snprintf(line, sizeof(line), "%s%c%o %lld %lu %llu %llu %lld.%09ld %lld.%09ld", rel, 0,
		     (unsigned)st->st_mode, (long long)st->st_size, (unsigned long)st->st_nlink,
		     (unsigned long long)st->st_dev, (unsigned long long)st->st_ino,
		     (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		     (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
	sha256_update(&f->c, line, (size_t)n + 1);
	if (!file_stamp_settled(&st->st_ctim, &f->settle_before))
		f->settled = false;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dir_sorted_names(DIR *d, char ***out, size_t *count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (ARRAY_RESERVE(names, n, cap, 32) < 0)
			goto fail;
		if (!(names[n] = strdup(de->d_name)))
			goto fail;
		n++;
		errno = 0;
	}
	if (errno)
		goto fail;
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	*out = names;
	*count = n;
	return 0;
fail:
	dir_names_free(names, n);
	return -1;
}

void dir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* 0, or -1: unreadable, over a cap, out of memory (no fingerprint then). */
static int fp_dir(struct fpwalk *f, int dfd, const char *prefix, unsigned depth)
{
	DIR *d = fdopendir(dfd);
	char **names = NULL, rel[PATH_MAX], target[PATH_MAX];
	size_t n = 0;
	struct stat st;
	int rc = 0;

	if (!d) {
		close(dfd);
		return -1;
	}
	if (dir_sorted_names(d, &names, &n) < 0)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		ssize_t len;

		if (++f->entries > f->max_files ||
		    xsnprintf(rel, sizeof(rel), "%s%s", prefix, names[i]) < 0 ||
		    fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			break;
		}
		fp_stat(f, rel, &st);
		if (S_ISLNK(st.st_mode)) {
			if ((len = readlinkat(dirfd(d), names[i], target, sizeof(target) - 1)) < 0) {
				rc = -1;
				break;
			}
			sha256_update(&f->c, target, (size_t)len);
			sha256_update(&f->c, "", 1);
		} else if (S_ISDIR(st.st_mode)) {
			int sub;

			if (depth + 1 > f->max_depth ||
			    (sub = openat(dirfd(d), names[i],
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
			    xsnprintf(target, sizeof(target), "%s/", rel) < 0) {
				rc = -1;
				break;
			}
			rc = fp_dir(f, sub, target, depth + 1);
		}
	}
	dir_names_free(names, n);
	closedir(d);
	return rc;
}

int validate_fingerprint(int rootfd, unsigned max_files, unsigned max_depth, char out[65],
			 bool *settled)
{
	struct fpwalk f = { .max_files = max_files, .max_depth = max_depth, .settled = true };
	unsigned char md[SHA256_BYTES];
	struct stat st;
	int dfd;

	file_stamp_settle_line(&f.settle_before);
	if (fstat(rootfd, &st) < 0)
		return -1;
	sha256_init(&f.c);
	fp_stat(&f, ".", &st);
	if ((dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fp_dir(&f, dfd, "", 0) < 0)
		return -1;
	sha256_final(&f.c, md);
	sha256_hex(md, out);
	*settled = f.settled;
	return 0;
}

/* <cache_dir>/fp-<SHA-256 of fingerprint | salt>: the salt is what else changes the digest. */
static int fp_path(const char *cache_dir, const char *fp, const char *salt, char *out, size_t len)
{
	unsigned char md[SHA256_BYTES];
	char in[256], hex[65];

	if (xsnprintf(in, sizeof(in), "%s|%s", fp, salt) < 0)
		return -1;
	sha256_digest(in, strlen(in), md);
	sha256_hex(md, hex);
	return xsnprintf(out, len, "%s/fp-%s", cache_dir, hex);
}

/*
 * The entries this process read or wrote, kept in memory: an entry's name
 * is the fingerprint and the salt, and it names one content digest for
 * good, so a run of an unchanged plugin needs no file for it (an open on
 * the state disk was ~0.05 ms of every start).
 */
struct fp_entry {
	char digest[65];
	unsigned files;
	uint64_t bytes;
};

static struct file_cache fp_entries;

static void fp_keep(const char *path, const char *digest, unsigned files, uint64_t bytes)
{
	struct fp_entry *e = malloc(sizeof(*e));

	if (!e)
		return;
	memcpy(e->digest, digest, 65);
	e->files = files;
	e->bytes = bytes;
	file_cache_put(&fp_entries, path, &file_unstamped, e, free);
}

void validate_fp_forget(void)
{
	file_cache_clear(&fp_entries);
}

int validate_fp_lookup(const char *cache_dir, const char *fp, const char *salt, char digest[65],
		       unsigned *files, uint64_t *bytes)
{
	char path[PATH_MAX], buf[160], hex[65];
	const struct fp_entry *kept;
	unsigned long long b;
	unsigned nf;
	ssize_t n;

	if (fp_path(cache_dir, fp, salt, path, sizeof(path)) < 0)
		return -1;
	if ((kept = file_cache_get(&fp_entries, path, &file_unstamped))) {
		memcpy(digest, kept->digest, 65);
		*files = kept->files;
		*bytes = kept->bytes;
		return 0;
	}
	if ((n = read_file(path, buf, sizeof(buf) - 1)) <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%64[0-9a-f] %u %llu", hex, &nf, &b) != 3 || strlen(hex) != 64)
		return -1;	/* unreadable entry: a miss, the full scan runs */
	memcpy(digest, hex, 65);
	*files = nf;
	*bytes = b;
	fp_keep(path, digest, nf, b);
	return 0;
}

void validate_fp_store(const char *cache_dir, const char *fp, const char *salt, const char *digest,
		       unsigned files, uint64_t bytes)
{
	char path[PATH_MAX], buf[160];
	int n;

	if (fp_path(cache_dir, fp, salt, path, sizeof(path)) < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%s %u %llu\n", digest, files, (unsigned long long)bytes);
	write_atomic(path, buf, (size_t)n, 0600);	/* a failed write only costs a full scan */
	if (strlen(digest) == 64)
		fp_keep(path, digest, files, bytes);
}
