/* SPDX-License-Identifier: MIT */
/*
 * The audit writer's batch mode (auditlog_opts.batch_bytes): its flush
 * points, a crash or a torn write after a batch, write failures, rotation;
 * and the JSON string escaping of the serializer against a reference.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "util/util.h"

struct fx {
	char dir[64];
	char path[128];
	struct auditlog_opts o;
};

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_auditbatch.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/audit.jsonl", f->dir);
	f->o.path = f->path;
	f->o.fsync = AUDITLOG_FSYNC_NEVER;
	f->o.batch_bytes = 4096;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct auditlog *
open_ok(struct fx *f)
{
	char err[256] = "";
	struct auditlog *log = auditlog_open(&f->o, err, sizeof(err));

	if (log == NULL)
		fail_msg("auditlog_open: %s", err);
	return log;
}

static cJSON *
mkrec(int n)
{
	cJSON *r = cJSON_CreateObject(), *d;

	cJSON_AddStringToObject(r, "event", "permission_violation");
	cJSON_AddStringToObject(r, "plugin", "custom-embedder");
	cJSON_AddStringToObject(r, "result", "denied");
	d = cJSON_AddObjectToObject(r, "details");
	cJSON_AddNumberToObject(d, "n", n);
	cJSON_AddStringToObject(d, "path", "/home/researcher/.ssh/id_ed25519");
	return r;
}

static int
append(struct auditlog *log, int n, char **line)
{
	cJSON *r = mkrec(n);
	int rc = auditlog_append(log, r, line);

	cJSON_Delete(r);
	return rc;
}

static off_t
fsize(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static unsigned long
lines_in(const char *path)
{
	FILE *fp = fopen(path, "re");
	unsigned long n = 0;
	int c;

	assert_non_null(fp);
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static void
verify_ok(struct fx *f, uint64_t last_seq)
{
	struct auditlog_verify_result r;

	assert_int_equal(auditlog_verify(f->path, &r), 0);
	assert_false(r.broken);
	assert_int_equal(r.torn_bytes, 0);
	assert_int_equal(r.last_seq, last_seq);
}

/* Pending until a flush point: flush, sync, a line for followers, close. */
static void
test_flush_points(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	char *line = NULL;
	size_t pend;

	assert_int_equal(auditlog_sync_due_ms(log), -1);
	assert_int_equal(auditlog_flush(log), 0);	/* nothing pending: no-op */
	assert_int_equal(append(log, 1, NULL), 0);
	assert_int_equal(append(log, 2, NULL), 0);
	assert_int_equal(auditlog_last_seq(log), 2);
	assert_int_equal(fsize(f->path), 0);
	pend = auditlog_pending(log);
	assert_true(pend > 0 && pend < 4096);
	assert_int_equal(auditlog_sync_due_ms(log), 0);	/* due now */
	assert_int_equal(auditlog_flush(log), 0);
	assert_int_equal(auditlog_pending(log), 0);
	assert_int_equal(fsize(f->path), (off_t)pend);
	verify_ok(f, 2);
	/* A line handed out is in the file first, with what was pending. */
	assert_int_equal(append(log, 3, NULL), 0);
	assert_int_equal(append(log, 4, &line), 0);
	assert_non_null(line);
	assert_int_equal(auditlog_pending(log), 0);
	assert_int_equal(lines_in(f->path), 4);
	free(line);
	verify_ok(f, 4);
	/* sync flushes first. */
	assert_int_equal(append(log, 5, NULL), 0);
	assert_int_equal(auditlog_sync(log), 0);
	assert_int_equal(lines_in(f->path), 5);
	/* So does close; the chain goes on after reopening. */
	assert_int_equal(append(log, 6, NULL), 0);
	auditlog_close(log);
	verify_ok(f, 6);
	log = open_ok(f);
	assert_int_equal(auditlog_last_seq(log), 6);
	assert_int_equal(append(log, 7, NULL), 0);
	auditlog_close(log);
	verify_ok(f, 7);
}

/* Full batches go out by themselves, as one write each; pending stays below the batch. */
static void
test_batch_threshold(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	off_t last = 0;
	int writes = 0;

	for (int i = 0; i < 200; i++) {
		off_t now;

		assert_int_equal(append(log, i, NULL), 0);
		assert_true(auditlog_pending(log) < 4096);
		now = fsize(f->path);
		if (now != last) {
			writes++;
			/* A whole number of records, at least a batch. */
			assert_true(now - last >= 4096);
			last = now;
		}
	}
	assert_true(writes >= 5);
	assert_int_equal(auditlog_flush(log), 0);
	assert_int_equal(lines_in(f->path), 200);
	auditlog_close(log);
	verify_ok(f, 200);
	/* A batch larger than the maximum is clamped, not refused. */
	f->o.batch_bytes = (size_t)AUDITLOG_BATCH_MAX * 8;
	log = open_ok(f);
	assert_int_equal(append(log, 0, NULL), 0);
	assert_true(auditlog_pending(log) > 0);
	auditlog_close(log);
	verify_ok(f, 201);
}

/* FSYNC_ALWAYS promises every record on disk: batch_bytes is ignored. */
static void
test_always_is_write_through(void **state)
{
	struct fx *f = *state;
	struct auditlog *log;

	f->o.fsync = AUDITLOG_FSYNC_ALWAYS;
	log = open_ok(f);
	assert_int_equal(append(log, 1, NULL), 0);
	assert_int_equal(auditlog_pending(log), 0);
	assert_int_equal(lines_in(f->path), 1);
	auditlog_close(log);
	/* BATCH: a flush counts as a write for the interval. */
	f->o.fsync = AUDITLOG_FSYNC_BATCH;
	f->o.fsync_interval_ms = 60000;
	log = open_ok(f);
	assert_int_equal(append(log, 2, NULL), 0);
	assert_int_equal(auditlog_sync_due_ms(log), 0);
	assert_int_equal(auditlog_flush(log), 0);
	assert_true(auditlog_sync_due_ms(log) > 0);
	assert_int_equal(auditlog_sync(log), 0);
	assert_int_equal(auditlog_sync_due_ms(log), -1);
	auditlog_close(log);
	verify_ok(f, 2);
}

/* A crash loses the pending records only: the file ends at the last flush, whole. */
static void
test_crash_loses_only_pending(void **state)
{
	struct fx *f = *state;
	struct auditlog *log;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		log = auditlog_open(&f->o, NULL, 0);
		if (log == NULL || append(log, 1, NULL) < 0 || append(log, 2, NULL) < 0 ||
		    auditlog_flush(log) < 0 || append(log, 3, NULL) < 0 ||
		    append(log, 4, NULL) < 0)
			_exit(1);
		_exit(0);	/* no flush, no close: a crash */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	verify_ok(f, 2);
	log = open_ok(f);
	assert_int_equal(auditlog_last_seq(log), 2);	/* nothing to recover */
	assert_int_equal(append(log, 3, NULL), 0);
	auditlog_close(log);
	verify_ok(f, 3);
}

/* A batch torn by a crash mid-write: whole records stay, the torn tail is cut and reported. */
static void
test_torn_batch(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	struct auditquery q;
	struct auditquery_stats st;
	off_t size;
	char *line;

	for (int i = 0; i < 10; i++)
		assert_int_equal(append(log, i, NULL), 0);
	assert_int_equal(auditlog_flush(log), 0);
	auditlog_close(log);
	/* The batch reached the disk up to the middle of record 8. */
	size = fsize(f->path);
	assert_int_equal(truncate(f->path, size - (size / 10) * 2 - 17), 0);
	log = open_ok(f);
	assert_int_equal(auditlog_last_seq(log), 8);	/* 7 whole records + audit_recovered */
	assert_int_equal(append(log, 0, &line), 0);
	assert_non_null(line);
	assert_non_null(strstr(line, "\"seq\":9,"));
	free(line);
	auditlog_close(log);
	verify_ok(f, 9);
	auditquery_init(&q);
	assert_int_equal(auditquery_option(&q, "--event", "audit_recovered", 0, NULL, 0), 0);
	assert_int_equal(auditquery_scan(f->path, &q, NULL, NULL, &st), 0);
	assert_int_equal(st.matched, 1);
}

/*
 * The file refuses a batch part-way: the whole records that made it stay,
 * the torn one is cut, the rest stays pending in order; a record whose
 * write fails is not counted; all of it goes out once the file takes it.
 */
static void
test_batch_write_failure(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	struct rlimit rl, saved;
	off_t base, one;
	char *line = NULL;

	assert_int_equal(append(log, 0, NULL), 0);
	assert_int_equal(auditlog_flush(log), 0);
	base = fsize(f->path);
	one = base;	/* every record here is about the same length */
	for (int i = 1; i <= 3; i++)
		assert_int_equal(append(log, i, NULL), 0);
	assert_int_equal(auditlog_last_seq(log), 4);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &saved);
	rl = saved;
	rl.rlim_cur = (rlim_t)(base + one + one / 2);	/* one more record and a half */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	assert_int_equal(auditlog_flush(log), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(lines_in(f->path), 2);
	verify_ok(f, 2);	/* no half record left */
	assert_true(auditlog_pending(log) > 0);
	assert_int_equal(auditlog_sync_due_ms(log), 0);
	/* A record that has to be written now and cannot be: refused, not counted. */
	assert_int_equal(append(log, 4, &line), -1);
	assert_int_equal(errno, EFBIG);
	assert_null(line);
	assert_int_equal(auditlog_last_seq(log), 4);
	/* sync reports it too, and still syncs what is there. */
	assert_int_equal(auditlog_sync(log), -1);
	assert_int_equal(errno, EFBIG);
	verify_ok(f, 2);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	/* The file takes them again: the pending ones first, in order. */
	assert_int_equal(append(log, 5, &line), 0);
	assert_non_null(strstr(line, "\"seq\":5,"));
	free(line);
	assert_int_equal(lines_in(f->path), 5);
	auditlog_close(log);
	verify_ok(f, 5);
}

/* A full batch that cannot be written: the record that filled it is refused. */
static void
test_full_batch_failure(void **state)
{
	struct fx *f = *state;
	struct auditlog *log;
	struct rlimit rl, saved;
	uint64_t seq;
	int i, rc = 0;

	f->o.batch_bytes = 8192;
	log = open_ok(f);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &saved);
	rl = saved;
	rl.rlim_cur = 100;	/* not even one record */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	for (i = 0; i < 1000 && (rc = append(log, i, NULL)) == 0; i++)
		;
	assert_int_equal(rc, -1);
	assert_int_equal(errno, EFBIG);
	seq = auditlog_last_seq(log);
	assert_int_equal(seq, (uint64_t)i);	/* the one that filled it is not counted */
	assert_true(auditlog_pending(log) < 8192);
	assert_int_equal(fsize(f->path), 0);	/* the torn write was cut */
	assert_int_equal(append(log, i, NULL), -1);	/* still full, still refused */
	assert_int_equal(auditlog_last_seq(log), seq);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(append(log, i, NULL), 0);
	auditlog_close(log);
	verify_ok(f, seq + 1);
}

/* Rotation writes the pending records first: each rotated file is named by its last seq. */
static void
test_batch_rotation(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct audit_files af;
	struct auditlog *log;

	f->o.max_bytes = 3000;
	f->o.max_files = 3;
	log = open_ok(f);
	for (int i = 0; i < 150; i++)
		assert_int_equal(append(log, i, NULL), 0);
	auditlog_close(log);
	assert_int_equal(audit_files_list(f->path, &af), 0);
	assert_int_equal(af.n, 4);	/* 3 rotated + current */
	audit_files_free(&af);
	assert_int_equal(auditlog_verify(f->path, &r), 0);
	assert_true(r.anchored);
	assert_true(r.first_seq > 1);
	/* Reopening checks the newest rotated file's name against its last record. */
	log = open_ok(f);
	assert_int_equal(append(log, 0, NULL), 0);
	auditlog_close(log);
	assert_int_equal(auditlog_verify(f->path, &r), 0);
	assert_true(r.anchored);
}

/*
 * The reference JSON string: what the serializer must print for s, written
 * apart from it (docs/audit-format.md "Strings"). Bytes that are not UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF)
 * become the text \xNN one byte at a time, a backslash that reads as such
 * an escape becomes \x5c; controls, DEL, C1 and format characters
 * (text_cp_unsafe) are \u escapes, beyond the BMP as a surrogate pair.
 */
static size_t
ref_utf8(const unsigned char *s, uint32_t *cpo)
{
	uint32_t cp;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	*cpo = cp;
	return n;
}

static char *
ref_json(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char *out = malloc(6 * strlen(str) + 3), *p = out;

	*p++ = '"';
	while (*s != '\0') {
		uint32_t cp;
		size_t n;

		if (*s == '\\' && s[1] == 'x' && isxdigit(s[2]) && isxdigit(s[3])) {
			p += sprintf(p, "\\\\x5c");
			s++;
		} else if (*s == '"' || *s == '\\') {
			*p++ = '\\';
			*p++ = (char)*s++;
		} else if (*s < 0x20) {
			const char *named = strchr("\bb\ff\nn\rr\tt", *s);

			if (named != NULL && *s != 0)
				p += sprintf(p, "\\%c", named[1]);
			else
				p += sprintf(p, "\\u%04x", *s);
			s++;
		} else if (*s == 0x7f) {
			p += sprintf(p, "\\u007f");
			s++;
		} else if (*s < 0x80) {
			*p++ = (char)*s++;
		} else if ((n = ref_utf8(s, &cp)) > 0) {
			if (!text_cp_unsafe(cp))
				memcpy(p, s, n), p += n;
			else if (cp < 0x10000)
				p += sprintf(p, "\\u%04x", cp);
			else
				p += sprintf(p, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10),
					     0xdc00 + ((cp - 0x10000) & 0x3ff));
			s += n;
		} else {
			p += sprintf(p, "\\\\x%02x", *s);
			s++;
		}
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* The value of "v" in line, as printed. */
static void
expect_escaped(struct auditlog *log, const char *value)
{
	cJSON *r = cJSON_CreateObject(), *back;
	char *line = NULL, *want = ref_json(value), *at, *end;

	cJSON_AddStringToObject(r, "event", "file_access");
	cJSON_AddStringToObject(r, "v", value);
	assert_int_equal(auditlog_append(log, r, &line), 0);
	at = strstr(line, ",\"v\":") + 5;
	end = strstr(at, ",\"prev_hash\":");
	assert_non_null(end);
	if ((size_t)(end - at) != strlen(want) || memcmp(at, want, strlen(want)) != 0)
		fail_msg("escaped %.*s, want %s", (int)(end - at), at, want);
	/* Every line is JSON every reader takes. */
	back = cJSON_Parse(line);
	assert_non_null(back);
	cJSON_Delete(back);
	free(want);
	free(line);
	cJSON_Delete(r);
}

static void
test_escaping(void **state)
{
	struct fx *f = *state;
	static const char *const edge[] = {
		"", "a", "\"", "\\", "/", "\x7f", "\b\f\n\r\t", "\x01\x1f\x0b\x1b",
		"caf\xc3\xa9", "\xe2\x80\xa8\xe2\x80\xa9",	/* U+2028/9: \u escapes */
		"\xe2\x80\xae", "\xc2\x85\xc2\x9b", "\xf3\xa0\x80\x81", "\xc2\xa0",	/* RLO, C1, tag, NBSP */
		"\\x41", "\\xg1", "\\x4", "\\\\xff", "x\\x5c\xff",	/* backslashes that do or do not read as \xNN */
		"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",		/* U+10FFFF */
		"\xf4\x90\x80\x80", "\xed\xa0\x80", "\xed\x9f\xbf",	/* > max, surrogate, U+D7FF */
		"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\xa0\x80", "\xf0\x80\x80\xaf",
		"\xf0\x90\x80\x80", "\xf5\x80\x80\x80", "\xff\xfe", "\x80", "\xbf",
		"\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xc3\x28", "\xe2\x28\xa1",
		"1234567\"", "12345678\\", "1234567\xc3\xa9", "123456789012345\x01",
		"abcdefgh\xff", "abcdefghijklmnopqrstuvwxyz0123456789\n",
	};
	struct auditlog *log = open_ok(f);
	unsigned seed = 12345;
	char buf[80];

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		expect_escaped(log, edge[i]);
	/* Every special byte at every offset around the 8-byte blocks. */
	for (int c = 1; c < 256; c++) {
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		for (int at = 0; at < 18; at++) {
			memset(buf, 'x', sizeof(buf));
			buf[at] = (char)c;
			buf[at + 1 + (at % 9)] = '\0';
			expect_escaped(log, buf);
		}
	}
	/* Random bytes, biased to the interesting ones. */
	for (int i = 0; i < 3000; i++) {
		int n = (int)((seed = seed * 1103515245 + 12345) >> 16) % 40;

		for (int k = 0; k < n; k++) {
			unsigned v = (seed = seed * 1103515245 + 12345) >> 16;
			static const unsigned char pick[] = { '"', '\\', 0x01, 0x1f, 0x7f, 0x80,
				0xbf, 0xc2, 0xc3, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xa0, 0x9f,
				'x', '5', 'c', 0xe2, 0x80, 0xae };

			buf[k] = (char)(v % 3 == 0 ? pick[v / 3 % sizeof(pick)] :
			    v % 3 == 1 ? 'a' + v / 3 % 26 : (v / 3 % 255) + 1);
		}
		buf[n] = '\0';
		expect_escaped(log, buf);
	}
	auditlog_close(log);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flush_points, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_always_is_write_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_loses_only_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_write_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_batch_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escaping, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
