/* SPDX-License-Identifier: MIT */
/* The audit log writer and verifier: chain, rotation, retention, recovery, failures. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "audit/audit.h"

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

	strcpy(f->dir, "/tmp/test_auditlog.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/log/sub/audit.jsonl", f->dir);
	f->o.path = f->path;
	f->o.fsync = AUDITLOG_FSYNC_NEVER;
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
mkrec(const char *event, const char *plugin, int n)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "event", event);
	if (plugin != NULL)
		cJSON_AddStringToObject(r, "plugin", plugin);
	cJSON_AddStringToObject(r, "user_id", "researcher");
	cJSON_AddNumberToObject(r, "uid", 1000);
	cJSON_AddStringToObject(r, "result", "success");
	cJSON_AddNumberToObject(r, "duration_ms", n);
	cJSON_AddObjectToObject(r, "details");
	return r;
}

static void
append_n(struct auditlog *log, int n)
{
	for (int i = 0; i < n; i++) {
		cJSON *r = mkrec("plugin_executed", "custom-embedder", i);

		assert_int_equal(auditlog_append(log, r, NULL), 0);
		cJSON_Delete(r);
	}
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void
spew(const char *path, const char *buf, size_t len, const char *mode)
{
	FILE *fp = fopen(path, mode);

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

/* The n-th line (1-based) of buf: start and length. */
static const char *
nth_line(const char *buf, int n, size_t *len)
{
	const char *p = buf;

	for (int i = 1; i < n; i++)
		p = strchr(p, '\n') + 1;
	*len = (size_t)(strchr(p, '\n') - p);
	return p;
}

static int
verify(struct fx *f, struct auditlog_verify_result *r)
{
	return auditlog_verify(f->path, r);
}

static void
expect_broken(struct fx *f, unsigned long line, const char *reason)
{
	struct auditlog_verify_result r;

	assert_int_equal(verify(f, &r), 1);
	assert_true(r.broken);
	assert_string_equal(r.reason, reason);
	assert_int_equal(r.line, line);
}

static void
test_first_record(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	cJSON *r = mkrec("plugin_loaded", "custom-embedder", 1), *w, *it;
	const char *order[] = { "timestamp", "seq", "event", "plugin", "user_id",
		"uid", "result", "duration_ms", "details", "prev_hash", "hash" };
	unsigned char md[32];
	char hex[65], *line, *file, *canon, *before = cJSON_PrintUnformatted(r);
	size_t len;
	int i = 0;
	struct stat st;

	cJSON_AddNumberToObject(r, "seq", 77);	/* caller's seq/hash are ignored */
	cJSON_AddStringToObject(r, "hash", "x");
	cJSON_DeleteItemFromObject(r, "seq");
	cJSON_DeleteItemFromObject(r, "hash");
	cJSON_AddNumberToObject(r, "seq", 77);
	assert_int_equal(auditlog_append(log, r, &line), 0);
	assert_int_equal(auditlog_last_seq(log), 1);
	w = cJSON_Parse(line);
	cJSON_ArrayForEach(it, w)
		assert_string_equal(it->string, order[i++]);
	assert_int_equal(i, 11);
	assert_int_equal(cJSON_GetObjectItem(w, "seq")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(w, "prev_hash")->valuestring,
	    "0000000000000000000000000000000000000000000000000000000000000000");
	/* The file holds exactly line + "\n", and the hash covers line minus its hash member. */
	file = slurp(f->path, &len);
	assert_int_equal(len, strlen(line) + 1);
	assert_memory_equal(file, line, len - 1);
	assert_int_equal(file[len - 1], '\n');
	len = strlen(line) - 75;
	canon = malloc(len + 2);
	memcpy(canon, line, len);
	strcpy(canon + len, "}");
	EVP_Digest(canon, len + 1, md, NULL, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	assert_string_equal(hex, auditlog_last_hash(log));
	assert_string_equal(hex, cJSON_GetObjectItem(w, "hash")->valuestring);
	/* The canonical form is the compact JSON of the record without "hash". */
	cJSON_DeleteItemFromObject(w, "hash");
	free(file);
	file = cJSON_PrintUnformatted(w);
	assert_string_equal(file, canon);
	assert_int_equal(strlen(cJSON_GetObjectItem(w, "timestamp")->valuestring), 24);
	/* rec itself is untouched, apart from the seq we added. */
	cJSON_DeleteItemFromObject(r, "seq");
	free(canon);
	canon = cJSON_PrintUnformatted(r);
	assert_string_equal(canon, before);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	*strrchr(f->path, '/') = '\0';
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	strcat(f->path, "/audit.jsonl");
	free(canon);
	free(before);
	free(file);
	free(line);
	cJSON_Delete(w);
	cJSON_Delete(r);
	auditlog_close(log);
}

/* Values the serializer must print exactly as cJSON parses them back. */
static void
test_serializer(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	cJSON *r = cJSON_CreateObject(), *w, *d;
	const double nums[] = { 0, -1, 42, 1e15, 9007199254740991.0, 0.1, -2.5e-7,
		1e300, 123456789.123 };
	char *line;

	cJSON_AddStringToObject(r, "event", "file_access");
	d = cJSON_AddObjectToObject(r, "details");
	cJSON_AddStringToObject(d, "path", "/home/u/\"q\"\\\n\t\x01\x1f caf\xc3\xa9");
	cJSON_AddItemToObject(d, "nums", cJSON_CreateDoubleArray(nums, 9));
	cJSON_AddBoolToObject(d, "t", 1);
	cJSON_AddBoolToObject(d, "f", 0);
	cJSON_AddNullToObject(d, "n");
	cJSON_AddArrayToObject(d, "empty");
	cJSON_AddObjectToObject(d, "eo");
	cJSON_AddStringToObject(d, "k\"ey", "");
	assert_int_equal(auditlog_append(log, r, &line), 0);
	assert_non_null(strstr(line, "\\\"q\\\"\\\\\\n\\t\\u0001\\u001f caf\xc3\xa9"));
	w = cJSON_Parse(line);
	assert_non_null(w);
	cJSON_DeleteItemFromObject(w, "timestamp");
	cJSON_DeleteItemFromObject(w, "seq");
	cJSON_DeleteItemFromObject(w, "prev_hash");
	cJSON_DeleteItemFromObject(w, "hash");
	cJSON_DeleteItemFromObject(r, "timestamp");
	assert_true(cJSON_Compare(w, r, 1));
	for (int i = 0; i < 9; i++)
		assert_true(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(w,
		    "details"), "nums"), i)->valuedouble == nums[i]);
	assert_non_null(strstr(line, "[0,-1,42,1000000000000000,9007199254740991,0.1,"));
	free(line);
	cJSON_Delete(w);
	cJSON_Delete(r);
	/* Not UTF-8: each bad byte becomes the text \xNN (lossless), good sequences stay. */
	r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "event", "file_access");
	cJSON_AddStringToObject(r, "p", "a\xff|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|"
	    "\xf0\x9f\x98\x80|\xe2\x82\xac|\xe2\x82");
	assert_int_equal(auditlog_append(log, r, &line), 0);
	assert_non_null(strstr(line, "\"p\":\"a\\\\xff|\\\\xc0\\\\xaf|"
	    "\\\\xed\\\\xa0\\\\x80|\\\\xf4\\\\x90\\\\x80\\\\x80|"
	    "\xf0\x9f\x98\x80|\xe2\x82\xac|\\\\xe2\\\\x82\""));
	free(line);
	cJSON_Delete(r);
	auditlog_close(log);
}

static void
test_bad_records(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	cJSON *r = cJSON_CreateObject(), *arr = cJSON_CreateArray(), *deep;
	size_t len;
	char *file;

	assert_int_equal(auditlog_append(log, r, NULL), -1);	/* no event */
	assert_int_equal(errno, EINVAL);
	cJSON_AddNumberToObject(r, "event", 3);
	assert_int_equal(auditlog_append(log, r, NULL), -1);	/* not a string */
	cJSON_DeleteItemFromObject(r, "event");
	cJSON_AddStringToObject(r, "event", "file_access");
	cJSON_AddStringToObject(r, "event", "file_access");
	assert_int_equal(auditlog_append(log, r, NULL), -1);	/* twice */
	cJSON_DeleteItemFromObject(r, "event");
	cJSON_AddRawToObject(r, "x", "1\n{\"forged\":1}");
	assert_int_equal(auditlog_append(log, r, NULL), -1);	/* raw: could split the line */
	assert_int_equal(errno, EINVAL);
	cJSON_DeleteItemFromObject(r, "x");
	deep = cJSON_AddArrayToObject(r, "deep");
	for (int i = 0; i < 40; i++)
		deep = cJSON_AddArrayToObject(deep, "x") ? cJSON_GetArrayItem(deep, 0) : deep;
	assert_int_equal(auditlog_append(log, r, NULL), -1);	/* too deep */
	assert_int_equal(errno, EINVAL);
	cJSON_DeleteItemFromObject(r, "deep");
	assert_int_equal(auditlog_append(log, arr, NULL), -1);
	{
		char *big = malloc(AUDITLOG_RECORD_MAX + 1);

		memset(big, 'a', AUDITLOG_RECORD_MAX);
		big[AUDITLOG_RECORD_MAX] = '\0';
		cJSON_AddStringToObject(r, "big", big);
		free(big);
		assert_int_equal(auditlog_append(log, r, NULL), -1);
		assert_int_equal(errno, EMSGSIZE);
		cJSON_DeleteItemFromObject(r, "big");
	}
	assert_int_equal(auditlog_last_seq(log), 0);
	cJSON_AddStringToObject(r, "timestamp", "2026-03-15T10:30:45.123Z");
	assert_int_equal(auditlog_append(log, r, NULL), 0);	/* caller's time kept */
	assert_int_equal(auditlog_last_seq(log), 1);
	file = slurp(f->path, &len);
	assert_int_equal(strncmp(file, "{\"timestamp\":\"2026-03-15T10:30:45.123Z\",\"seq\":1,"
	    "\"event\":\"file_access\",", 63), 0);
	free(file);
	cJSON_Delete(r);
	cJSON_Delete(arr);
	auditlog_close(log);
}

static void
test_reopen_continues(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct auditlog *log = open_ok(f);
	char head[65];

	append_n(log, 5);
	strcpy(head, auditlog_last_hash(log));
	auditlog_close(log);
	log = open_ok(f);
	assert_int_equal(auditlog_last_seq(log), 5);
	assert_string_equal(auditlog_last_hash(log), head);
	append_n(log, 3);
	assert_int_equal(auditlog_last_seq(log), 8);
	auditlog_close(log);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 8);
	assert_true(r.anchored);
	assert_int_equal(r.last_seq, 8);
}

static void
test_second_writer_refused(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	char err[256];

	assert_null(auditlog_open(&f->o, err, sizeof(err)));
	assert_non_null(strstr(err, "locked"));
	auditlog_close(log);
}

static void
test_open_errors(void **state)
{
	struct fx *f = *state;
	struct auditlog_opts bad = f->o;
	struct auditlog *log;
	char err[256], target[160];
	struct stat st;

	assert_null(auditlog_open(NULL, err, sizeof(err)));
	bad.path = "";
	assert_null(auditlog_open(&bad, err, sizeof(err)));
	bad.path = f->path;
	bad.fsync = (enum auditlog_fsync)7;
	assert_null(auditlog_open(&bad, err, sizeof(err)));
	/* The log itself is never a symlink nor a directory. */
	log = open_ok(f);
	auditlog_close(log);
	snprintf(target, sizeof(target), "%s.target", f->path);
	assert_int_equal(rename(f->path, target), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_null(auditlog_open(&f->o, err, sizeof(err)));
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_null(auditlog_open(&f->o, err, sizeof(err)));
	assert_non_null(strstr(err, f->path));
	assert_int_equal(rmdir(f->path), 0);
	/* Too open a mode is tightened. */
	assert_int_equal(rename(target, f->path), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	log = open_ok(f);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	auditlog_close(log);
}

static void
test_rotation_chain(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct audit_files af;
	struct auditlog *log;

	f->o.max_bytes = 2000;
	log = open_ok(f);
	append_n(log, 40);
	auditlog_close(log);
	assert_int_equal(audit_files_list(f->path, &af), 0);
	assert_true(af.n > 3);
	assert_true(af.has_current);
	for (size_t i = 1; i + 1 < af.n; i++)
		assert_true(af.last_seq[i] > af.last_seq[i - 1]);
	audit_files_free(&af);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 40);
	/* Reopen continues the chain into the same or the next file. */
	log = open_ok(f);
	append_n(log, 10);
	auditlog_close(log);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 50);
	/* An old current file restored over the rotated ones would fork the chain. */
	{
		char old[200], err[256];
		size_t len;
		char *file = slurp(f->path, &len);

		snprintf(old, sizeof(old), "%s.saved", f->path);
		spew(old, file, len, "w");
		free(file);
		log = open_ok(f);
		append_n(log, 30);
		auditlog_close(log);
		assert_int_equal(rename(old, f->path), 0);
		assert_null(auditlog_open(&f->o, err, sizeof(err)));
		assert_non_null(strstr(err, "fork"));
	}
}

/* A crash right after rotation: empty current file, chain state in the newest rotated one. */
static void
test_recover_from_rotated(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct auditlog *log = open_ok(f);
	char rot[200];

	append_n(log, 4);
	auditlog_close(log);
	snprintf(rot, sizeof(rot), "%s.%020d", f->path, 4);
	assert_int_equal(rename(f->path, rot), 0);
	log = open_ok(f);	/* current missing: continue from rot */
	assert_int_equal(auditlog_last_seq(log), 4);
	append_n(log, 2);
	auditlog_close(log);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 6);
	/* A rotated file whose name does not match its last record is not trusted. */
	unlink(f->path);
	snprintf(rot, sizeof(rot), "%s.%020d", f->path, 9);
	spew(rot, "", 0, "w");
	{
		char err[256];

		assert_null(auditlog_open(&f->o, err, sizeof(err)));
	}
}

/* Interrupted rotate(): a second link to the current file and a temp file. */
static void
test_interrupted_rotation(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct auditlog *log = open_ok(f);
	char rot[200], tmp[200];

	append_n(log, 3);
	auditlog_close(log);
	snprintf(rot, sizeof(rot), "%s.%020d", f->path, 3);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	assert_int_equal(link(f->path, rot), 0);
	spew(tmp, "", 0, "w");
	log = open_ok(f);
	assert_int_equal(access(rot, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);
	append_n(log, 1);
	auditlog_close(log);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 4);
}

static void
test_torn_tail(void **state)
{
	/* Zeroed blocks ending in a newline, then half a record. */
	static const char junk[] = "\0\0\0\0\n{\"timestamp\":\"2026";
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct auditlog *log = open_ok(f);
	char *file;
	size_t len, l2;
	const char *last;
	cJSON *rec, *d;

	append_n(log, 3);
	auditlog_close(log);
	spew(f->path, junk, sizeof(junk) - 1, "a");
	assert_int_equal(verify(f, &r), 1);	/* the NUL line is damage */
	log = open_ok(f);
	assert_int_equal(auditlog_last_seq(log), 4);	/* 3 + audit_recovered */
	auditlog_close(log);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 4);
	file = slurp(f->path, &len);
	last = nth_line(file, 4, &l2);
	rec = cJSON_ParseWithLength(last, l2);
	assert_string_equal(cJSON_GetObjectItem(rec, "event")->valuestring, "audit_recovered");
	d = cJSON_GetObjectItem(rec, "details");
	assert_int_equal(cJSON_GetObjectItem(d, "dropped_bytes")->valueint, sizeof(junk) - 1);
	assert_int_equal(cJSON_GetObjectItem(d, "dropped_lines")->valueint, 2);
	assert_int_equal(strlen(cJSON_GetObjectItem(d, "dropped_sha256")->valuestring), 64);
	cJSON_Delete(rec);
	free(file);
}

/* A last record that parses but fails its hash is an edit, not a crash. */
static void
test_edited_tail_refused(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	char err[256] = "", *file, *p;
	size_t len;

	append_n(log, 2);
	auditlog_close(log);
	file = slurp(f->path, &len);
	p = strrchr(file, '"') - 70;	/* inside the last record's prev_hash */
	*p = *p == 'a' ? 'b' : 'a';
	spew(f->path, file, len, "w");
	assert_null(auditlog_open(&f->o, err, sizeof(err)));
	assert_non_null(strstr(err, "refusing"));
	free(file);
	/* Garbage beyond what a crash explains is refused too. */
	unlink(f->path);
	log = open_ok(f);
	append_n(log, 1);
	auditlog_close(log);
	p = calloc(1, 1536 * 1024);
	spew(f->path, p, 1536 * 1024, "a");
	free(p);
	assert_null(auditlog_open(&f->o, err, sizeof(err)));
}

/* Rewrite the log with line `a` and `b` (1-based) swapped, or a removed (b == 0). */
static void
edit_lines(struct fx *f, int a, int b)
{
	size_t len, la, lb;
	char *file = slurp(f->path, &len), *out = malloc(len + 1);
	const char *pa = nth_line(file, a, &la), *pb = b ? nth_line(file, b, &lb) : NULL;
	size_t o = 0;

	memcpy(out, file, (size_t)(pa - file));
	o = (size_t)(pa - file);
	if (pb != NULL) {
		memcpy(out + o, pb, lb + 1);
		o += lb + 1;
		memcpy(out + o, pa + la + 1, (size_t)(pb - (pa + la + 1)));
		o += (size_t)(pb - (pa + la + 1));
		memcpy(out + o, pa, la + 1);
		o += la + 1;
		pa = pb;
		la = lb;
	}
	memcpy(out + o, pa + la + 1, len - (size_t)(pa + la + 1 - file));
	o += len - (size_t)(pa + la + 1 - file);
	spew(f->path, out, o, "w");
	free(out);
	free(file);
}

static void
write_log(struct fx *f, int n)
{
	struct auditlog *log;

	unlink(f->path);
	log = open_ok(f);
	append_n(log, n);
	auditlog_close(log);
}

static void
test_verify_catches(void **state)
{
	struct fx *f = *state;
	char *file, *p;
	size_t len, l;

	write_log(f, 6);	/* edited: one byte of record 3 */
	file = slurp(f->path, &len);
	p = strstr((char *)nth_line(file, 3, &l), "researcher");
	p[0] = 'R';
	spew(f->path, file, len, "w");
	free(file);
	expect_broken(f, 3, "hash mismatch");

	write_log(f, 6);	/* deleted: record 3 */
	edit_lines(f, 3, 0);
	expect_broken(f, 3, "seq gap");

	write_log(f, 6);	/* reordered: 3 and 5 */
	edit_lines(f, 3, 5);
	expect_broken(f, 3, "seq out of order");

	write_log(f, 6);	/* deleted: the first record */
	edit_lines(f, 1, 0);
	expect_broken(f, 1, "seq gap");

	write_log(f, 6);	/* deleted: the last one cannot be seen, by design */
	edit_lines(f, 6, 0);
	{
		struct auditlog_verify_result r;

		assert_int_equal(verify(f, &r), 0);
		assert_int_equal(r.last_seq, 5);
	}

	write_log(f, 6);	/* truncated middle record, newline kept */
	file = slurp(f->path, &len);
	p = (char *)nth_line(file, 4, &l);
	memmove(p + l / 2, p + l, len - (size_t)(p + l - file));
	spew(f->path, file, len - (l - l / 2), "w");
	free(file);
	expect_broken(f, 4, "unparsable line");

	write_log(f, 6);	/* a duplicated "seq" member */
	file = slurp(f->path, &len);
	p = strstr(file, "\"seq\":1,") + 8;
	{
		char *out;

		assert_true(asprintf(&out, "%.*s\"seq\":2,%s", (int)(p - file), file, p) > 0);
		spew(f->path, out, strlen(out), "w");
		free(out);
	}
	free(file);
	expect_broken(f, 1, "malformed record");
}

/* An attacker who recomputes the edited record's own hash breaks the next link. */
static void
test_verify_relinked_edit(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct auditlog *log;
	cJSON *rec;
	char *file, *line, *out;
	size_t len, l1, l3;
	const char *p1, *p3;

	write_log(f, 3);
	/* Build a forged record 2 on a scratch log whose chain ends like record 1. */
	file = slurp(f->path, &len);
	p1 = nth_line(file, 1, &l1);
	p3 = nth_line(file, 3, &l3);
	unlink(f->path);
	spew(f->path, p1, l1 + 1, "w");
	log = open_ok(f);
	rec = mkrec("plugin_executed", "forged", 0);
	assert_int_equal(auditlog_append(log, rec, &line), 0);
	auditlog_close(log);
	cJSON_Delete(rec);
	assert_true(asprintf(&out, "%.*s\n%s\n%.*s\n", (int)l1, p1, line, (int)l3, p3) > 0);
	spew(f->path, out, strlen(out), "w");
	assert_int_equal(verify(f, &r), 1);
	assert_string_equal(r.reason, "prev_hash mismatch");
	assert_int_equal(r.line, 3);
	assert_int_equal(r.seq, 3);
	free(out);
	free(line);
	free(file);
}

static int
count_event(struct fx *f, const char *event)
{
	struct auditquery q;
	struct auditquery_stats st;

	auditquery_init(&q);
	assert_int_equal(auditquery_option(&q, "--event", event, 0, NULL, 0), 0);
	assert_int_equal(auditquery_scan(f->path, &q, NULL, NULL, &st) >= 0, 1);
	return (int)st.matched;
}

static int
count_cb(const cJSON *rec, const char *line, size_t len, void *arg)
{
	return 0;
}

static void
test_retention(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct audit_files af;
	struct auditlog *log;
	struct auditquery q;
	struct auditquery_stats st;
	struct timeval old[2] = { { 1000000, 0 }, { 1000000, 0 } };

	f->o.max_bytes = 1500;
	f->o.max_files = 2;
	log = open_ok(f);
	append_n(log, 60);
	assert_int_equal(audit_files_list(f->path, &af), 0);
	assert_int_equal(af.n, 3);	/* 2 rotated + current */
	audit_files_free(&af);
	assert_int_equal(verify(f, &r), 0);
	assert_true(r.anchored);
	assert_true(r.first_seq > 1);
	auditquery_init(&q);
	assert_int_equal(auditquery_scan(f->path, &q, count_cb, NULL, &st), 0);
	assert_true(count_event(f, "audit_retention") >= 1);
	/* By age: make the oldest rotated file ancient. */
	f->o.max_files = 0;
	f->o.max_age_days = 30;
	auditlog_close(log);
	assert_int_equal(audit_files_list(f->path, &af), 0);
	assert_int_equal(utimes(af.paths[0], old), 0);
	log = open_ok(f);	/* retention runs on open */
	auditlog_close(log);
	assert_int_equal(access(af.paths[0], F_OK), -1);
	assert_int_equal(access(af.paths[1], F_OK), 0);
	assert_int_equal(verify(f, &r), 0);
	assert_true(r.anchored);
	/* Removing a file behind retention's back is a gap at the start. */
	assert_int_equal(unlink(af.paths[1]), 0);
	audit_files_free(&af);
	assert_int_equal(verify(f, &r), 1);
	assert_string_equal(r.reason, "seq gap");
	assert_int_equal(r.line, 1);
}

static void
test_write_failure(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	struct auditlog *log = open_ok(f);
	struct rlimit rl, saved;
	struct stat st;
	cJSON *rec = mkrec("permission_violation", "custom-embedder", 0);

	append_n(log, 3);
	assert_int_equal(stat(f->path, &st), 0);
	/* The file may grow by 10 bytes only: a short write, then EFBIG. */
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &saved);
	rl = saved;
	rl.rlim_cur = (rlim_t)st.st_size + 10;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	assert_int_equal(auditlog_append(log, rec, NULL), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(auditlog_last_seq(log), 3);	/* not counted */
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(verify(f, &r), 0);	/* nothing half-written left */
	assert_int_equal(r.torn_bytes, 0);
	assert_int_equal(auditlog_append(log, rec, NULL), 0);
	assert_int_equal(auditlog_last_seq(log), 4);
	auditlog_close(log);
	assert_int_equal(verify(f, &r), 0);
	assert_int_equal(r.verified, 4);
	cJSON_Delete(rec);
}

static void
test_enforcement_and_sync(void **state)
{
	struct fx *f = *state;
	struct auditlog *log;
	cJSON *rec = mkrec("agent_started", NULL, 0);
	char *line;

	f->o.fsync = AUDITLOG_FSYNC_BATCH;
	f->o.fsync_interval_ms = 60000;
	log = open_ok(f);
	assert_int_equal(auditlog_sync_due_ms(log), -1);
	assert_int_equal(auditlog_set_enforcement(log, "landlock"), 0);
	assert_int_equal(auditlog_append(log, rec, &line), 0);
	assert_non_null(strstr(line, ",\"enforcement\":\"landlock\",\"prev_hash\":"));
	free(line);
	assert_true(auditlog_sync_due_ms(log) > 0);
	assert_int_equal(auditlog_sync(log), 0);
	assert_int_equal(auditlog_sync_due_ms(log), -1);
	auditlog_close(log);
	f->o.fsync = AUDITLOG_FSYNC_ALWAYS;
	log = open_ok(f);
	append_n(log, 2);
	assert_int_equal(auditlog_sync_due_ms(log), -1);
	auditlog_close(log);
	cJSON_Delete(rec);
}

static void
test_verify_buf(void **state)
{
	struct fx *f = *state;
	struct auditlog_verify_result r;
	char *file;
	size_t len;

	write_log(f, 3);
	file = slurp(f->path, &len);
	assert_int_equal(auditlog_verify_buf(file, len, "buf", &r), 0);
	assert_int_equal(r.verified, 3);
	assert_int_equal(auditlog_verify_buf(file, len - 10, "buf", &r), 0);	/* torn tail */
	assert_int_equal(r.verified, 2);
	assert_int_equal(r.torn_bytes, strrchr(file, '\n') - 10 - strchr(strchr(file, '\n') + 1, '\n'));
	assert_int_equal(auditlog_verify_buf("", 0, "buf", &r), 0);
	assert_int_equal(r.verified, 0);
	free(file);
	assert_int_equal(auditlog_verify("/nonexistent/audit.jsonl", &r), -1);
}

/* Throughput sanity check only: printed, never asserted (the lead owns the benchmark). */
static void
test_throughput(void **state)
{
	struct fx *f = *state;
	struct auditlog *log = open_ok(f);
	const int n = getenv("AUDIT_BENCH_N") ? atoi(getenv("AUDIT_BENCH_N")) : 20000;
	struct timespec a, b;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &a);
	append_n(log, n);
	clock_gettime(CLOCK_MONOTONIC, &b);
	auditlog_close(log);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	print_message("audit append: %d records in %.3f s (%.0f/s, incl. building records)\n",
	    n, s, n / s);
}

/* [audit] group: a shipper's group may read the log, its rotations and its
 * directory; nobody but the writer may write (needs root to chgrp). */
static void
test_read_group(void **state)
{
	struct fx *f = *state;
	struct auditlog *log;
	struct stat st;
	char dir[160], rot[200];

	if (geteuid() != 0)
		skip();
	f->o.has_read_group = true;
	f->o.read_group = 65534;
	f->o.max_bytes = 300;
	log = open_ok(f);
	for (int i = 0; i < 8; i++) {
		cJSON *r = mkrec("plugin_executed", "p", i);

		assert_int_equal(auditlog_append(log, r, NULL), 0);
		cJSON_Delete(r);
	}
	auditlog_close(log);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 0777, 0640);
	snprintf(dir, sizeof(dir), "%s/log/sub", f->dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_gid, 65534);
	assert_int_equal(st.st_mode & 0777, 0750);
	/* a rotated file keeps the group (it was the live file) */
	snprintf(rot, sizeof(rot), "%s.%020d", f->path, 1);
	{
		DIR *d = opendir(dir);
		struct dirent *de;
		int rotated = 0;

		assert_non_null(d);
		while ((de = readdir(d)))
			if (strncmp(de->d_name, "audit.jsonl.", 12) == 0) {
				snprintf(rot, sizeof(rot), "%s/%s", dir, de->d_name);
				assert_int_equal(stat(rot, &st), 0);
				assert_int_equal(st.st_gid, 65534);
				rotated++;
			}
		closedir(d);
		assert_true(rotated > 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serializer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_writer_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_from_rotated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_tail_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_catches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_relinked_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enforcement_and_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_buf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throughput, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
