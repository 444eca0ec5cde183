// SPDX-License-Identifier: MIT
/*
 * auditbench [N [RUNS [BATCH]]]: the audit writer against writing the very
 * same bytes raw, in the same run. Each run appends N records shaped like
 * the agent's denials, in chunks of 1000 (one ring-buffer drain pass);
 * every chunk is timed under each mode below, the modes taking turns
 * (interleaved: the disk's and the machine's state is the same for all):
 *
 *   writer   auditlog_append of each record (serialize, SHA-256 chain)
 *            in batch mode (batch_bytes = BATCH, default 64 KiB), then
 *            auditlog_flush: the end of a drain pass. Records are built,
 *            appended and deleted one by one, as the agent does; only the
 *            append and the flush are timed as the writer's
 *   raw      the writer's bytes of the chunk, read back untimed, written
 *            to another file with the same write(2) sizes as the writer's
 *            (when raw goes before the writer in a chunk, the previous
 *            chunk's: the same shape, a byte or so shorter)
 *   raw/line the same bytes, one write(2) per line
 *   through  the writer in write-through mode (batch_bytes 0: one write(2)
 *            per record, the agent's mode whenever a line goes to followers),
 *            building and deleting the records included
 *   build    building and deleting the cJSON records in the writer mode
 *            (the caller's share, not the writer's); build+writer is the
 *            in-process end to end from a decoded kernel event to disk
 *
 * The docs/contract.md §8 ratio is writer / raw time. fsync policy: never, for every
 * mode (the agent's default adds one fdatasync a second; see
 * docs/audit-format.md). Prints one line per run, then the medians.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"

#define CHUNK 1000

enum { M_WRITER, M_RAW, M_LINE, M_THROUGH, M_BUILD, M_N };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* As events.c builds a denial: common fields, then the kernel's details. */
static cJSON *record(long i)
{
	cJSON *r = cJSON_CreateObject(), *d;

	cJSON_AddStringToObject(r, "timestamp", "2026-11-28T00:00:00.000Z");
	cJSON_AddStringToObject(r, "event", "permission_violation");
	cJSON_AddStringToObject(r, "result", "denied");
	cJSON_AddStringToObject(r, "enforcement", "landlock");
	cJSON_AddStringToObject(r, "plugin", "bench-plugin");
	cJSON_AddStringToObject(r, "version", "1.0.0");
	cJSON_AddStringToObject(r, "user_id", "researcher");
	cJSON_AddNumberToObject(r, "uid", 1000);
	cJSON_AddStringToObject(r, "run_id", "0123456789abcdef0123456789abcdef");
	cJSON_AddItemToObject(r, "permissions_used", cJSON_CreateArray());
	d = cJSON_AddObjectToObject(r, "details");
	cJSON_AddStringToObject(d, "hook", "sys_exit");
	cJSON_AddNumberToObject(d, "pid", 4242);
	cJSON_AddNumberToObject(d, "kernel_ns", (double)(1000000000LL + i));
	cJSON_AddStringToObject(d, "errno", "EACCES");
	cJSON_AddStringToObject(d, "path", "/home/researcher/.ssh/id_ed25519");
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct auditlog *open_log(const char *path, size_t batch)
{
	struct auditlog_opts o = { .path = path, .fsync = AUDITLOG_FSYNC_NEVER,
		.batch_bytes = batch };
	char err[256];
	struct auditlog *log = auditlog_open(&o, err, sizeof(err));

	if (!log)
		fprintf(stderr, "auditbench: %s\n", err);
	return log;
}

/* One run: t[mode] gets the seconds spent in each mode over n records. */
static int run(const char *dir, long n, size_t batch, double t[M_N])
{
	char path[256], tpath[320], raw[256], rawl[256], sub[256];
	struct auditlog *log, *wt;
	size_t cap = 4 << 20;
	char *bytes = malloc(cap);
	int fd, fdl, rc = -1;
	off_t off = 0;
	size_t len = 0;
	struct stat st;

	/* Two writers: each log takes its directory's lock. */
	snprintf(path, sizeof(path), "%s/batch/audit.jsonl", dir);
	snprintf(sub, sizeof(sub), "%s/through", dir);
	mkdir(sub, 0700);
	snprintf(tpath, sizeof(tpath), "%s/audit.jsonl", sub);
	snprintf(raw, sizeof(raw), "%s/raw.jsonl", dir);
	snprintf(rawl, sizeof(rawl), "%s/rawline.jsonl", dir);
	log = open_log(path, batch);
	wt = open_log(tpath, 0);
	fd = open(raw, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	fdl = open(rawl, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (!log || !wt || fd < 0 || fdl < 0 || !bytes || stat(path, &st) < 0)
		goto out;
	off = st.st_size;	/* the writer's own agent-less start: nothing, or audit_recovered */
	memset(t, 0, sizeof(double) * M_N);
	for (long done = 0, k = 0; done < n; done += CHUNK, k++) {
		double t0, t1;
		int rfd;

		/* Modes take turns going first. */
		for (int m = 0; m < 4; m++) {
			int mode = (int)((m + k) % 4);

			t0 = now_s();
			switch (mode) {
			case M_WRITER:
				/*
				 * As the agent does: build a record, append it,
				 * delete it. Build and delete are the caller's
				 * share; the clock reads count as the writer's.
				 */
				for (long i = 0; i < CHUNK; i++) {
					cJSON *r = record(done + i);
					double ta = now_s(), tb, tc;
					int bad = auditlog_append(log, r, NULL) < 0;

					tb = now_s();
					cJSON_Delete(r);
					tc = now_s();
					t[M_WRITER] += tb - ta;
					t[M_BUILD] += (ta - t0) + (tc - tb);
					t0 = tc;
					if (bad)
						goto out;
				}
				t0 = now_s();
				if (auditlog_flush(log) < 0)
					goto out;
				break;
			case M_THROUGH:
				for (long i = 0; i < CHUNK; i++) {
					cJSON *r = record(done + i);
					int bad = auditlog_append(wt, r, NULL) < 0;

					cJSON_Delete(r);
					if (bad)
						goto out;
				}
				break;
			case M_RAW:
			case M_LINE:
				if (mode == M_RAW) {
					for (size_t p = 0, w; p < len; p += w) {
						w = len - p < batch ? len - p : batch;
						/* The writer cuts batches at a line's end. */
						if (w < len - p) {
							char *nl = memchr(bytes + p + w - 1, '\n', len - p - w + 1);

							w = (size_t)(nl - (bytes + p)) + 1;
						}
						if (write_all(fd, bytes + p, w) < 0)
							goto out;
					}
				} else {
					for (char *p = bytes, *e = bytes + len, *nl; p < e; p = nl + 1) {
						nl = memchr(p, '\n', (size_t)(e - p));
						if (write_all(fdl, p, (size_t)(nl - p) + 1) < 0)
							goto out;
					}
				}
				break;
			}
			t1 = now_s();
			t[mode] += t1 - t0;
			if (mode != M_WRITER)
				continue;
			/* The writer's bytes of this chunk, read back untimed for the raw modes. */
			if (stat(path, &st) < 0 || (size_t)(st.st_size - off) > cap)
				goto out;
			len = (size_t)(st.st_size - off);
			rfd = open(path, O_RDONLY | O_CLOEXEC);
			if (rfd < 0 || pread(rfd, bytes, len, off) != (ssize_t)len)
				goto out;
			close(rfd);
			off = st.st_size;
		}
	}
	rc = 0;
out:
	auditlog_close(log);
	auditlog_close(wt);
	if (fd >= 0)
		close(fd);
	if (fdl >= 0)
		close(fdl);
	unlink(path);
	unlink(tpath);
	unlink(raw);
	unlink(rawl);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/batch", dir);
	rmdir(sub);
	free(bytes);
	return rc;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t batch = argc > 3 ? (size_t)atol(argv[3]) : 65536;
	char dir[] = "/tmp/auditbench.XXXXXX";
	double rps[M_N][64], e2e[64], ratio[64], la[3] = { 0 };
	static const char *const names[M_N] = { "writer", "raw", "raw_line", "through", "build" };
	FILE *fp;

	n = (n + CHUNK - 1) / CHUNK * CHUNK;
	if (n <= 0 || runs < 1 || runs > 64 || batch < 4096 || !mkdtemp(dir))
		return 1;
	if ((fp = fopen("/proc/loadavg", "re"))) {
		if (fscanf(fp, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
			la[0] = -1;
		fclose(fp);
	}
	printf("audit bench: N=%ld records/run, %d runs, batch %zu bytes, fsync never, "
	       "loadavg %.2f %.2f %.2f\n", n, runs, batch, la[0], la[1], la[2]);
	for (int r = 0; r < runs; r++) {
		double t[M_N];

		if (run(dir, n, batch, t) < 0) {
			fprintf(stderr, "auditbench: run %d failed\n", r + 1);
			return 1;
		}
		for (int m = 0; m < M_N; m++)
			rps[m][r] = n / t[m];
		e2e[r] = n / (t[M_BUILD] + t[M_WRITER]);
		ratio[r] = t[M_WRITER] / t[M_RAW];
		printf("run %d: writer %.0f rec/s, raw %.0f rec/s, writer/raw time %.2fx | "
		       "raw one write per line %.0f rec/s, write-through writer %.0f rec/s, "
		       "build+writer %.0f rec/s\n", r + 1, rps[M_WRITER][r], rps[M_RAW][r],
		       ratio[r], rps[M_LINE][r], rps[M_THROUGH][r], e2e[r]);
		fflush(stdout);
	}
	for (int m = 0; m < M_N; m++)
		qsort(rps[m], (size_t)runs, sizeof(double), cmp_double);
	qsort(e2e, (size_t)runs, sizeof(double), cmp_double);
	qsort(ratio, (size_t)runs, sizeof(double), cmp_double);
	printf("auditbench records=%ld runs=%d median", n, runs);
	for (int m = 0; m < M_N; m++)
		printf(" %s_rps=%.0f", names[m], rps[m][runs / 2]);
	printf(" build_writer_rps=%.0f ratio=%.2f\n", e2e[runs / 2], ratio[runs / 2]);
	/* The summary's lines (docs/PERFORMANCE.md): the contract's 200 000 records/s to disk. */
	printf("BENCH metric=audit_writer_rps value=%.0f base=200000 ratio=%.4f target=1 cmp=ge\n",
	       rps[M_WRITER][runs / 2], (double)(long long)(rps[M_WRITER][runs / 2] + 0.5) / 200000);
	printf("BENCH metric=audit_build_writer_rps value=%.0f base=200000 ratio=%.4f target=1 cmp=ge\n",
	       e2e[runs / 2], (double)(long long)(e2e[runs / 2] + 0.5) / 200000);
	rmdir(dir);
	return 0;
}
