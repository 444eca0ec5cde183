/* SPDX-License-Identifier: MIT */
/*
 * The files that make up one audit log (the current file and the rotated
 * ones, oldest first) and the walk over their lines. See
 * docs/audit-format.md.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auditquery.h"

void
audit_files_free(struct audit_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	free(f->paths);
	free(f->last_seq);
	memset(f, 0, sizeof(*f));
}

static int
cmp_seq(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* "<base>.<20 digits>" → the digits' value; false for any other name. */
static bool
rotated_name(const char *name, const char *base, size_t blen, uint64_t *seq)
{
	const char *p;

	if (strncmp(name, base, blen) != 0 || name[blen] != '.')
		return false;
	p = name + blen + 1;
	if (strlen(p) != 20)
		return false;
	*seq = 0;
	for (; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || *seq > UINT64_MAX / 10 - 1)
			return false;
		*seq = *seq * 10 + (uint64_t)(*p - '0');
	}
	return true;
}

static int
files_push(struct audit_files *f, char *path, uint64_t seq)
{
	char **np;
	uint64_t *ns;

	if (path == NULL)
		return -1;
	np = realloc(f->paths, (f->n + 1) * sizeof(*np));
	if (np != NULL)
		f->paths = np;
	ns = realloc(f->last_seq, (f->n + 1) * sizeof(*ns));
	if (ns != NULL)
		f->last_seq = ns;
	if (np == NULL || ns == NULL) {
		free(path);
		return -1;
	}
	f->paths[f->n] = path;
	f->last_seq[f->n++] = seq;
	return 0;
}

int
audit_files_list(const char *path, struct audit_files *f)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == NULL ? strdup(".") :
	    strndup(path, slash == path ? 1 : (size_t)(slash - path));
	const char *base = slash == NULL ? path : slash + 1;
	uint64_t *seqs = NULL, seq;
	size_t nseqs = 0, blen = strlen(base);
	struct dirent *de;
	DIR *d;
	int rc = -1;

	memset(f, 0, sizeof(*f));
	if (dir == NULL || (d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		uint64_t *n;

		if (!rotated_name(de->d_name, base, blen, &seq))
			continue;
		if ((n = realloc(seqs, (nseqs + 1) * sizeof(*n))) == NULL) {
			closedir(d);
			goto out;
		}
		seqs = n;
		seqs[nseqs++] = seq;
	}
	closedir(d);
	if (nseqs > 0)
		qsort(seqs, nseqs, sizeof(*seqs), cmp_seq);
	for (size_t i = 0; i < nseqs; i++) {
		char *p;

		if (asprintf(&p, "%s.%020llu", path, (unsigned long long)seqs[i]) < 0)
			p = NULL;
		if (files_push(f, p, seqs[i]) < 0)
			goto out;
	}
	if (access(path, F_OK) == 0) {
		if (files_push(f, strdup(path), 0) < 0)
			goto out;
		f->has_current = true;
	}
	rc = 0;
out:
	if (rc < 0)
		audit_files_free(f);
	free(seqs);
	free(dir);
	return rc;
}

static int
each_line_in(const char *file, bool last, audit_line_cb cb, void *arg)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char *line = NULL;
	size_t cap = 0;
	unsigned long lineno = 0;
	struct stat st;
	ssize_t n;
	int rc = 0;
	FILE *fp;

	if (fd < 0)	/* ENOENT: removed by retention since the listing */
		return errno == ENOENT ? 0 : -1;
	/* The agent reads as root: a planted symlink or FIFO is not part of the log. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) > 0) {
		bool torn = line[n - 1] != '\n';

		if (!torn)
			line[--n] = '\0';
		rc = cb(file, ++lineno, line, (size_t)n, torn, last, arg);
	}
	if (rc == 0 && ferror(fp))
		rc = -1;
	free(line);
	fclose(fp);
	return rc;
}

int
audit_files_each_line(const char *path, audit_line_cb cb, void *arg)
{
	struct audit_files f;
	int rc = 0;

	if (audit_files_list(path, &f) < 0)
		return -1;
	if (f.n == 0) {
		errno = ENOENT;
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < f.n; i++)
		rc = each_line_in(f.paths[i], i + 1 == f.n, cb, arg);
	audit_files_free(&f);
	return rc;
}
