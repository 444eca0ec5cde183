// SPDX-License-Identifier: MIT
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int xsnprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return n;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_fileat(int dirfd, const char *name, const char *s)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int rc, saved;

	if (fd < 0)
		return -1;
	/* cgroupfs wants the whole value in one write(2). */
	rc = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int write_file(const char *path, const char *s)
{
	return write_fileat(AT_FDCWD, path, s);
}

ssize_t read_fileat(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n, total = 0;
	int saved;

	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				saved = errno;
				close(fd);
				errno = saved;
				return -1;
			}
			break;
		}
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	if (total > 0 && buf[total - 1] == '\n')
		buf[--total] = '\0';
	return total;
}

ssize_t read_file(const char *path, char *buf, size_t len)
{
	return read_fileat(AT_FDCWD, path, buf, len);
}

int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (xsnprintf(tmp, sizeof(tmp), "%s", path) < 0)
		return -1;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0) {
		struct stat st;

		if (errno != EEXIST)
			return -1;
		/* Something else by that name is not the directory we need. */
		if (stat(tmp, &st) < 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	}
	return 0;
}

int write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	char *slash;
	int fd, dfd, saved;

	if (xsnprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) < 0 ||
	    xsnprintf(dir, sizeof(dir), "%s", path) < 0)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	/* The rename is durable only once the directory entry is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	saved = fsync(dfd);
	close(dfd);
	return saved;
}

int random_hex(char out[33])
{
	unsigned char b[16];
	int i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* Howard Hinnant's civil_from_days: proleptic Gregorian, no libc time zone state. */
static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Write v as exactly n decimal digits. */
static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

#define RFC3339_MS_MAX 253402300799999LL	/* 9999-12-31T23:59:59.999Z */

/* Hand-rolled: this runs once per audit record, and gmtime_r takes a lock. */
void format_rfc3339_ms(int64_t ms, char out[RFC3339_MS_LEN + 1])
{
	int64_t rem;
	unsigned m, d;
	int y;
	char *p = out;

	if (ms < 0)
		ms = 0;
	if (ms > RFC3339_MS_MAX)
		ms = RFC3339_MS_MAX;
	rem = ms % 86400000;
	civil_from_days(ms / 86400000, &y, &m, &d);
	p = put_digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)(rem / 3600000), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(rem / 60000 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(rem / 1000 % 60), 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)(rem % 1000), 3);
	*p++ = 'Z';
	*p = '\0';
}

int uid_name(uid_t uid, char *out, size_t len)
{
	char buf[4096];
	struct passwd pw, *res = NULL;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		snprintf(out, len, "%s", res->pw_name);
		return 0;
	}
	snprintf(out, len, "%u", (unsigned)uid);
	return -1;
}

uint64_t now_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void rm_tree(const char *path)
{
	/* FTW_PHYS: never follow a symlink a plugin left; FTW_MOUNT: stay on this fs. */
	if (path[0])
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* The hex form of a digest: formatting, the same whichever SHA-256 computed it. */
void sha256_hex(const unsigned char md[SHA256_BYTES], char out[2 * SHA256_BYTES + 1])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_BYTES; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * SHA256_BYTES] = '\0';
}

void *array_grow(void *v, size_t *cap, size_t elem, size_t first)
{
	size_t n = *cap ? *cap * 2 : first;
	void *nv;

	if (n < *cap || (elem && n > SIZE_MAX / elem)) {
		errno = ENOMEM;
		return NULL;
	}
	if (!(nv = realloc(v, n * elem)))
		return NULL;
	*cap = n;
	return nv;
}

uint64_t cgroup_id_of(int dirfd)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	int mount_id;

	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(dirfd, "", &h.fh, &mount_id, AT_EMPTY_PATH) < 0)
		return 0;
	return h.id;
}
