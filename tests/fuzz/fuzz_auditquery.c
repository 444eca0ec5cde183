/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the audit log's parsers. The first byte picks one:
 *   0  `audit show` arguments, newline-separated (auditquery_parse_args)
 *   1  JSON: as the query on the agent socket (auditquery_from_json), then
 *      as a record: match it, append it to a log (the serializer, rotation
 *      and retention), and check the line written parses and verifies
 *   2  the verifier over a buffer (auditlog_verify_buf)
 *   3  the writer's crash recovery: the bytes become audit.jsonl, then
 *      auditlog_open, one append, and auditlog_verify of the result
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "util/util.h"

#define NOW 1773570645123LL

static void
fuzz_args(const char *s)
{
	char *copy = strdup(s), *argv[16], *p = copy, err[256];
	int argc = 0;
	struct auditquery q;
	cJSON *j;

	while (p != NULL && argc < 16) {
		argv[argc++] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	auditquery_init(&q);
	if (auditquery_parse_args(&q, argc, argv, NOW, err, sizeof(err)) == 0) {
		/* What the client accepts, the agent must accept back. */
		struct auditquery r;

		j = auditquery_to_json(&q);
		if (j != NULL && auditquery_from_json(&r, j, err, sizeof(err)) != 0)
			abort();
		cJSON_Delete(j);
	} else if (strchr(err, '\n') != NULL) {
		abort();	/* errors are one line */
	}
	free(copy);
}

static char dir[64];
static struct auditlog *alog;

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void
cleanup(void)
{
	auditlog_close(alog);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
make_dir(void)
{
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_auditquery.%d", (int)getpid());
		mkdir(dir, 0700);
		atexit(cleanup);
	}
}

/* One log for the whole run: small files, so rotation and retention run too. */
static void
fuzz_append(const cJSON *rec)
{
	struct auditlog_verify_result r;
	char path[128], err[256], *line = NULL;
	cJSON *back;

	if (alog == NULL) {
		struct auditlog_opts o = { .path = path, .max_bytes = 256 * 1024,
			.max_files = 2, .fsync = AUDITLOG_FSYNC_NEVER };

		make_dir();
		snprintf(path, sizeof(path), "%s/append.jsonl", dir);
		if ((alog = auditlog_open(&o, err, sizeof(err))) == NULL)
			abort();
	}
	if (auditlog_append(alog, rec, &line) != 0) {
		if (errno != EINVAL && errno != EMSGSIZE)
			abort();
		return;
	}
	if (line == NULL || (back = audit_parse_line(line, strlen(line))) == NULL)
		abort();
	cJSON_Delete(back);
	/* Alone, the line is a chain start without anchor: only "seq gap" may be wrong. */
	if (auditlog_verify_buf(line, strlen(line), "line", &r) < 0 ||
	    (r.broken && strcmp(r.reason, "seq gap") != 0))
		abort();
	free(line);
}

static void
fuzz_json(const char *s, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(s, len);
	struct auditquery q;
	char err[256];
	int64_t ms;

	if (j != NULL && auditquery_from_json(&q, j, err, sizeof(err)) == 0)
		(void)auditquery_match(&q, j);
	auditquery_init(&q);
	auditquery_restrict(&q, 1000, "u");
	if (j != NULL)
		(void)auditquery_match(&q, j);
	if (cJSON_IsObject(j))
		fuzz_append(j);
	cJSON_Delete(j);
	if (audit_time_parse(s, &ms) == 0) {
		char out[RFC3339_MS_LEN + 1];
		int64_t back;

		format_rfc3339_ms(ms, out);
		if (ms >= 0 && ms <= 253402300799999LL &&
		    (audit_time_parse(out, &back) != 0 || back != ms))
			abort();
	}
	(void)audit_time_arg(s, NOW, &ms);
}

static void
fuzz_verify(const char *buf, size_t len)
{
	struct auditlog_verify_result r;
	int rc = auditlog_verify_buf(buf, len, "fuzz", &r);

	if (rc == 1 && (!r.broken || r.reason[0] == '\0'))
		abort();
	if (rc == 0 && r.broken)
		abort();
}

static void
fuzz_recover(const char *buf, size_t len)
{
	char path[128], err[256];
	struct auditlog_opts o = { .fsync = AUDITLOG_FSYNC_NEVER };
	struct auditlog_verify_result r;
	struct auditlog *log;
	int fd;

	make_dir();
	snprintf(path, sizeof(path), "%s/recover", dir);
	mkdir(path, 0700);
	strcat(path, "/audit.jsonl");
	o.path = path;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return;
	if (write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
	if ((log = auditlog_open(&o, err, sizeof(err))) != NULL) {
		cJSON *rec = cJSON_CreateObject();

		cJSON_AddStringToObject(rec, "event", "agent_started");
		if (auditlog_append(log, rec, NULL) != 0)
			abort();
		auditlog_close(log);
		cJSON_Delete(rec);
		/* Recovery keeps only records that verify on their own; the chain may still be broken. */
		if (auditlog_verify(path, &r) < 0 || r.torn_bytes != 0)
			abort();
	}
	unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1 || size > 64 * 1024)
		return 0;
	/* NUL-terminated copy: the string APIs need one, the buffer APIs get the length. */
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] & 3) {
	case 0: fuzz_args(s); break;
	case 1: fuzz_json(s, size - 1); break;
	case 2: fuzz_verify(s, size - 1); break;
	case 3: fuzz_recover(s, size - 1); break;
	}
	free(s);
	return 0;
}
