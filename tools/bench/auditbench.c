// SPDX-License-Identifier: MIT
/*
 * auditbench N: the audit writer (format + hash chain + one write per
 * record) against writing the very same bytes raw, interleaved in chunks
 * of 1000 records in the same run. Records look like the agent's denials.
 * Prints records/s for both and the ratio. fsync policy: never (the
 * agent's default batches fsync once a second; see docs/audit-format.md).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auditlog.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static cJSON *record(long i)
{
	cJSON *r = cJSON_CreateObject(), *d;

	cJSON_AddStringToObject(r, "timestamp", "2026-11-28T00:00:00.000Z");
	cJSON_AddStringToObject(r, "event", "permission_violation");
	cJSON_AddStringToObject(r, "plugin", "bench-plugin");
	cJSON_AddStringToObject(r, "version", "1.0.0");
	cJSON_AddStringToObject(r, "user_id", "researcher");
	cJSON_AddNumberToObject(r, "uid", 1000);
	cJSON_AddStringToObject(r, "run_id", "0123456789abcdef0123456789abcdef");
	cJSON_AddItemToObject(r, "permissions_used", cJSON_CreateArray());
	cJSON_AddStringToObject(r, "result", "denied");
	cJSON_AddStringToObject(r, "enforcement", "landlock");
	d = cJSON_AddObjectToObject(r, "details");
	cJSON_AddStringToObject(d, "hook", "sys_exit");
	cJSON_AddNumberToObject(d, "pid", 4242);
	cJSON_AddNumberToObject(d, "kernel_ns", (double)(1000000000LL + i));
	cJSON_AddStringToObject(d, "errno", "EACCES");
	cJSON_AddStringToObject(d, "path", "/home/researcher/.ssh/id_ed25519");
	return r;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000, chunk = 1000;
	char dir[] = "/tmp/auditbench.XXXXXX", path[256], raw[256], err[256];
	struct auditlog_opts o = { 0 };
	struct auditlog *log;
	double t_log = 0, t_raw = 0;
	char **lines = calloc((size_t)chunk, sizeof(*lines));
	int fd;

	if (!mkdtemp(dir) || !lines)
		return 1;
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	snprintf(raw, sizeof(raw), "%s/raw.jsonl", dir);
	o.path = path;
	o.fsync = AUDITLOG_FSYNC_NEVER;
	log = auditlog_open(&o, err, sizeof(err));
	fd = open(raw, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (!log || fd < 0) {
		fprintf(stderr, "auditbench: %s\n", err);
		return 1;
	}
	for (long done = 0; done < n; done += chunk) {
		double t0 = now_s(), t1;

		/* The writer's whole job: build, chain, hash, write. */
		for (long i = 0; i < chunk; i++) {
			cJSON *r = record(done + i);

			auditlog_append(log, r, &lines[i]);
			cJSON_Delete(r);
		}
		t1 = now_s();
		t_log += t1 - t0;
		/* The same bytes, written raw, one write(2) per line like the writer. */
		for (long i = 0; i < chunk; i++) {
			size_t len = strlen(lines[i]);

			lines[i][len] = '\n';	/* the line's NUL; rewritten below */
			if (write(fd, lines[i], len + 1) != (ssize_t)(len + 1))
				return 1;
			lines[i][len] = '\0';
		}
		t_raw += now_s() - t1;
		for (long i = 0; i < chunk; i++)
			free(lines[i]);
	}
	printf("audit bench (N=%ld): writer %.0f records/s, raw write of the same bytes %.0f "
	       "records/s, writer/raw time = %.2fx\n", n, n / t_log, n / t_raw, t_log / t_raw);
	printf("auditbench records=%ld writer_rps=%.0f raw_rps=%.0f ratio=%.2f\n", n, n / t_log,
	       n / t_raw, t_log / t_raw);
	auditlog_close(log);
	close(fd);
	unlink(path);
	unlink(raw);
	rmdir(dir);
	free(lines);
	return 0;
}
