/* SPDX-License-Identifier: MIT */
/* `raggedctl audit show` filters: time parsing, options, matching, streaming. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit/audit.h"
#include "util/util.h"

#define NOW 1773570645123LL	/* 2026-03-15T10:30:45.123Z */

static int64_t
t(const char *s)
{
	int64_t ms = -42;

	if (audit_time_parse(s, &ms) < 0)
		fail_msg("time \"%s\" rejected", s);
	return ms;
}

static void
test_time_valid(void **state)
{
	assert_int_equal(t("2026-03-15T10:30:45.123Z"), NOW);
	assert_int_equal(t("2026-03-15T10:30:45Z"), NOW - 123);
	assert_int_equal(t("2026-03-15t10:30:45.123z"), NOW);
	assert_int_equal(t("2026-03-15 10:30:45.123Z"), NOW);
	assert_int_equal(t("2026-03-15T12:30:45.123+02:00"), NOW);
	assert_int_equal(t("2026-03-15T05:00:45.123-05:30"), NOW);
	assert_int_equal(t("2026-03-15T10:30:45.123-00:00"), NOW);
	assert_int_equal(t("2026-03-15T10:30:45.1Z"), NOW - 23);
	assert_int_equal(t("2026-03-15T10:30:45.123999999Z"), NOW);	/* truncated to ms */
	assert_int_equal(t("2026-03-15"), 1773532800000LL);
	assert_int_equal(t("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(t("1969-12-31T23:59:59.999Z"), -1);
	assert_int_equal(t("2024-02-29T00:00:00Z"), 1709164800000LL);
	assert_int_equal(t("2000-02-29"), 951782400000LL);
	assert_int_equal(t("2016-12-31T23:59:60Z"), t("2017-01-01T00:00:00Z"));	/* leap second */
	assert_int_equal(t("2026-03-16T00:30:45.123+14:00") , t("2026-03-15T10:30:45.123Z"));
	assert_int_equal(t("9999-12-31T23:59:59.999Z"), 253402300799999LL);
	assert_int_equal(t("0000-01-01T00:00:00Z"), -62167219200000LL);
}

static void
test_time_invalid(void **state)
{
	const char *bad[] = {
		"", "2026", "2026-03", "2026-3-15", "2026-03-15T", "2026-03-15T10:30Z",
		"2026-03-15T10:30:45", "2026-03-15T10:30:45.Z", "2026-03-15T10:30:45.1234567890Z",
		"2026-13-01", "2026-00-01", "2026-03-00", "2026-03-32", "2026-04-31",
		"2026-02-29", "2100-02-29", "2026-03-15T24:00:00Z", "2026-03-15T23:60:00Z",
		"2026-03-15T23:59:61Z", "2026-03-15T10:30:45+24:00", "2026-03-15T10:30:45+02:60",
		"2026-03-15T10:30:45+0200", "2026-03-15T10:30:45+02", "2026-03-15T10:30:45ZZ",
		"2026-03-15T10:30:45Z ", " 2026-03-15", "2026-03-15x", "20260315T103045Z",
		"+2026-03-15", "2026-03-15T1:30:45Z", "2026-03-15T10:30:45,123Z", "now",
	};
	int64_t ms;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (audit_time_parse(bad[i], &ms) == 0)
			fail_msg("time \"%s\" accepted", bad[i]);
}

static void
test_time_format_roundtrip(void **state)
{
	char out[RFC3339_MS_LEN + 1];
	int64_t ms;
	uint64_t v = 0;

	format_rfc3339_ms(NOW, out);
	assert_string_equal(out, "2026-03-15T10:30:45.123Z");
	format_rfc3339_ms(-5, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");	/* clamped */
	format_rfc3339_ms(INT64_MAX, out);
	assert_string_equal(out, "9999-12-31T23:59:59.999Z");
	format_rfc3339_ms(951868800000LL, out);
	assert_string_equal(out, "2000-03-01T00:00:00.000Z");
	for (int i = 0; i < 20000; i++) {
		v = v * 6364136223846793005ULL + 1442695040888963407ULL;	/* an LCG */
		ms = (int64_t)(v % 253402300800000ULL);
		format_rfc3339_ms(ms, out);
		assert_int_equal(t(out), ms);
	}
}

static void
test_time_relative(void **state)
{
	struct { const char *s; int64_t delta; } ok[] = {
		{ "-7d", 7 * 86400000LL }, { "-12h", 12 * 3600000LL }, { "-30m", 30 * 60000LL },
		{ "-45s", 45000 }, { "-0s", 0 }, { "-999999999d", 999999999LL * 86400000LL },
	};
	const char *bad[] = { "-", "-d", "7d", "-7", "-7w", "-7dd", "-7D", "--7d", "-1234567890d",
		"- 7d", "-7 d", "-7.5h", "-+7d", "-0x10s" };
	int64_t ms;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(audit_time_arg(ok[i].s, NOW, &ms), 0);
		assert_int_equal(ms, NOW - ok[i].delta);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (audit_time_arg(bad[i], NOW, &ms) == 0)
			fail_msg("relative time \"%s\" accepted", bad[i]);
	assert_int_equal(audit_time_arg("2026-03-15T10:30:45.123Z", 0, &ms), 0);
	assert_int_equal(ms, NOW);
}

static int
parse(struct auditquery *q, char *err, int argc, ...)
{
	char *argv[16];
	va_list ap;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	auditquery_init(q);
	err[0] = '\0';
	return auditquery_parse_args(q, argc, argv, NOW, err, 256);
}

static void
test_options_valid(void **state)
{
	struct auditquery q;
	char err[256];

	assert_int_equal(parse(&q, err, 9, "--plugin", "custom-embedder", "--since", "-7d",
	    "--until=2026-03-15T11:00:00+01:00", "--event", "permission_denied",
	    "--result", "denied"), 0);
	assert_string_equal(q.plugin, "custom-embedder");
	assert_true(q.has_since && q.has_until);
	assert_int_equal(q.since_ms, NOW - 7 * 86400000LL);
	assert_int_equal(q.until_ms, t("2026-03-15T10:00:00Z"));
	assert_string_equal(q.event, "permission_denied");
	assert_string_equal(q.result, "denied");
	assert_false(q.restricted);
	for (size_t i = 0; audit_event_names[i] != NULL; i++) {
		auditquery_init(&q);
		assert_int_equal(auditquery_option(&q, "--event", audit_event_names[i], NOW,
		    err, sizeof(err)), 0);
	}
	for (size_t i = 0; audit_result_names[i] != NULL; i++) {
		auditquery_init(&q);
		assert_int_equal(auditquery_option(&q, "--result", audit_result_names[i], NOW,
		    err, sizeof(err)), 0);
	}
	assert_int_equal(parse(&q, err, 2, "--plugin", "a"), 0);
	assert_int_equal(parse(&q, err, 2, "--plugin",
	    "a123456789012345678901234567890123456789012345678901234567890123"), 0);
	assert_int_equal(parse(&q, err, 0), 0);
	assert_int_equal(auditquery_option(&q, "--format", "json", NOW, err, sizeof(err)), 1);
	assert_int_equal(parse(&q, err, 4, "--since", "-1h", "--until", "-1h"), 0);
}

static void
expect_err(int argc, char *a0, char *a1, char *a2, char *a3, const char *want)
{
	struct auditquery q;
	char err[256];

	assert_int_equal(parse(&q, err, argc, a0, a1, a2, a3), -1);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	assert_null(strchr(err, '\n'));
}

static void
test_options_invalid(void **state)
{
	expect_err(2, "--plugin", "Custom", 0, 0, "--plugin: invalid plugin name \"Custom\"");
	expect_err(2, "--plugin", "", 0, 0, "--plugin: invalid plugin name");
	expect_err(2, "--plugin", "-x", 0, 0, "--plugin");
	expect_err(2, "--plugin", "a/../b", 0, 0, "--plugin");
	expect_err(2, "--plugin",
	    "a1234567890123456789012345678901234567890123456789012345678901234", 0, 0, "--plugin");
	expect_err(2, "--event", "plugin_exploded", 0, 0, "--event: unknown event \"plugin_exploded\"");
	expect_err(2, "--event", "PLUGIN_LOADED", 0, 0, "--event");
	expect_err(2, "--result", "ok", 0, 0, "--result: expected success|failure");
	expect_err(2, "--since", "yesterday", 0, 0, "--since: expected -Nd");
	expect_err(2, "--since", "7d", 0, 0, "\"7d\"");
	expect_err(2, "--until", "2026-02-30", 0, 0, "--until");
	expect_err(1, "--since", 0, 0, 0, "--since: missing value");
	expect_err(2, "--user", "root", 0, 0, "unknown option \"--user\"");
	expect_err(1, "plugin", 0, 0, 0, "unknown argument \"plugin\"");
	expect_err(1, "--plugin-name-that-is-long=x", 0, 0, 0, "unknown argument");
	expect_err(4, "--event", "agent_started", "--event", "agent_stopped", "--event: given twice");
	expect_err(4, "--since", "-1d", "--since", "-2d", "--since: given twice");
	expect_err(4, "--since", "-1h", "--until", "-2h", "--until:");
	expect_err(2, "--since", "-7d\x1b[31m", 0, 0, "\"-7d?[31m\"");	/* no escapes echoed */
}

static cJSON *
rec(const char *event, const char *plugin, const char *result, const char *ts,
    int uid, const char *user)
{
	cJSON *r = cJSON_CreateObject();

	if (ts != NULL)
		cJSON_AddStringToObject(r, "timestamp", ts);
	cJSON_AddStringToObject(r, "event", event);
	if (plugin != NULL)
		cJSON_AddStringToObject(r, "plugin", plugin);
	if (result != NULL)
		cJSON_AddStringToObject(r, "result", result);
	if (uid >= 0)
		cJSON_AddNumberToObject(r, "uid", uid);
	if (user != NULL)
		cJSON_AddStringToObject(r, "user_id", user);
	return r;
}

static bool
m(const struct auditquery *q, cJSON *r)
{
	bool b = auditquery_match(q, r);

	cJSON_Delete(r);
	return b;
}

static void
test_match(void **state)
{
	struct auditquery q;
	char err[256];
	const char *ts = "2026-03-15T10:30:45.123Z";

	assert_int_equal(parse(&q, err, 4, "--plugin", "p1", "--result", "success"), 0);
	assert_true(m(&q, rec("plugin_executed", "p1", "success", ts, 1000, "u")));
	assert_false(m(&q, rec("plugin_executed", "p2", "success", ts, 1000, "u")));
	assert_false(m(&q, rec("plugin_executed", "p1", "failure", ts, 1000, "u")));
	assert_false(m(&q, rec("plugin_executed", NULL, "success", ts, 1000, "u")));
	assert_int_equal(parse(&q, err, 2, "--event", "file_access"), 0);
	assert_true(m(&q, rec("file_access", "p1", NULL, NULL, -1, NULL)));
	assert_false(m(&q, rec("network_access", "p1", NULL, NULL, -1, NULL)));
	/* Time bounds are inclusive, to the millisecond, across offsets. */
	assert_int_equal(parse(&q, err, 4, "--since", ts, "--until", "2026-03-15T12:30:46+02:00"), 0);
	assert_true(m(&q, rec("file_access", NULL, NULL, ts, -1, NULL)));
	assert_true(m(&q, rec("file_access", NULL, NULL, "2026-03-15T10:30:46.000Z", -1, NULL)));
	assert_false(m(&q, rec("file_access", NULL, NULL, "2026-03-15T10:30:46.001Z", -1, NULL)));
	assert_false(m(&q, rec("file_access", NULL, NULL, "2026-03-15T10:30:45.122Z", -1, NULL)));
	assert_false(m(&q, rec("file_access", NULL, NULL, NULL, -1, NULL)));
	assert_false(m(&q, rec("file_access", NULL, NULL, "garbage", -1, NULL)));
	assert_int_equal(parse(&q, err, 2, "--since", "-1h"), 0);
	assert_true(m(&q, rec("file_access", NULL, NULL, "2026-03-15T09:30:45.123Z", -1, NULL)));
	assert_false(m(&q, rec("file_access", NULL, NULL, "2026-03-15T09:30:45.122Z", -1, NULL)));
	/* Restriction: the uid decides; user_id only without uid; system records hidden. */
	auditquery_init(&q);
	auditquery_restrict(&q, 1000, "alice");
	assert_true(q.restricted);
	assert_true(m(&q, rec("plugin_executed", "p", NULL, ts, 1000, "alice")));
	assert_false(m(&q, rec("plugin_executed", "p", NULL, ts, 1001, "alice")));
	assert_true(m(&q, rec("plugin_executed", "p", NULL, ts, -1, "alice")));
	assert_false(m(&q, rec("plugin_executed", "p", NULL, ts, -1, "bob")));
	assert_false(m(&q, rec("agent_started", NULL, NULL, ts, -1, NULL)));
	auditquery_restrict(&q, 0, "root");
	assert_false(q.restricted);
	assert_true(m(&q, rec("agent_started", NULL, NULL, ts, -1, NULL)));
	assert_false(auditquery_match(&q, NULL));
}

static void
test_json_roundtrip(void **state)
{
	struct auditquery q, r;
	char err[256], *s;
	cJSON *j;
	const char *bad[] = {
		"[]", "{\"plugin\":1}", "{\"since\":\"-7d\"}", "{\"uid\":0}",
		"{\"restricted\":false}", "{\"event\":\"nope\"}", "{\"since\":\"2026-03-16\","
		"\"until\":\"2026-03-15\"}", "{\"plugin\":\"a\",\"plugin\":\"b\"}",
	};

	assert_int_equal(parse(&q, err, 10, "--plugin", "p1", "--since", "-7d", "--until",
	    "-1h", "--event", "plugin_failed", "--result", "error"), 0);
	j = auditquery_to_json(&q);
	s = cJSON_PrintUnformatted(j);
	assert_int_equal(auditquery_from_json(&r, j, err, sizeof(err)), 0);
	assert_memory_equal(&q, &r, sizeof(q));
	cJSON_Delete(j);
	free(s);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = cJSON_Parse(bad[i]);
		assert_int_equal(auditquery_from_json(&r, j, err, sizeof(err)), -1);
		assert_false(r.restricted);
		cJSON_Delete(j);
	}
}

struct collect {
	int n;
	uint64_t seqs[64];
	int stop_after;
};

static int
collect_cb(const cJSON *r, const char *line, size_t len, void *arg)
{
	struct collect *c = arg;

	assert_int_equal(line[len - 1], '}');
	c->seqs[c->n++] = (uint64_t)cJSON_GetObjectItem(r, "seq")->valuedouble;
	return c->n == c->stop_after ? 7 : 0;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void
test_scan(void **state)
{
	char dir[] = "/tmp/test_auditquery.XXXXXX", path[128], junk[160], err[256];
	struct auditlog_opts o = { .max_bytes = 600, .fsync = AUDITLOG_FSYNC_NEVER };
	struct auditquery_stats st;
	struct collect c = { 0 };
	struct auditquery q;
	struct audit_files f;
	struct auditlog *log;
	FILE *fp;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	o.path = path;
	assert_non_null(log = auditlog_open(&o, err, sizeof(err)));
	for (int i = 0; i < 20; i++) {
		cJSON *r = rec(i % 2 ? "file_access" : "plugin_executed", i % 4 ? "p1" : "p2",
		    "success", NULL, 1000, "u");

		assert_int_equal(auditlog_append(log, r, NULL), 0);
		cJSON_Delete(r);
	}
	auditlog_close(log);
	/* Names that only look like rotated files are not part of the log. */
	snprintf(junk, sizeof(junk), "%s.00000000000000000001.bak", path);
	fclose(fopen(junk, "w"));
	snprintf(junk, sizeof(junk), "%s.0000000000000000000x", path);
	fclose(fopen(junk, "w"));
	assert_int_equal(audit_files_list(path, &f), 0);
	assert_true(f.n > 2);
	assert_string_equal(f.paths[f.n - 1], path);
	audit_files_free(&f);
	/* A torn last line is ignored, an unparsable one in the middle counted. */
	fp = fopen(path, "a");
	fputs("{\"seq\":99,\"event\":\"file_acc", fp);
	fclose(fp);
	auditquery_init(&q);
	assert_int_equal(auditquery_option(&q, "--plugin", "p1", NOW, err, sizeof(err)), 0);
	assert_int_equal(auditquery_scan(path, &q, collect_cb, &c, &st), 0);
	assert_int_equal(c.n, 15);
	assert_int_equal(st.matched, 15);
	assert_int_equal(st.lines, 20);
	assert_int_equal(st.torn_bytes, 27);
	for (int i = 1; i < c.n; i++)
		assert_true(c.seqs[i] > c.seqs[i - 1]);
	c.n = 0;
	c.stop_after = 3;
	assert_int_equal(auditquery_scan(path, &q, collect_cb, &c, &st), 7);
	assert_int_equal(c.n, 3);
	snprintf(junk, sizeof(junk), "%s.%020d", path, 3);
	fp = fopen(junk, "w");
	fputs("not json\n", fp);
	fclose(fp);
	assert_int_equal(auditquery_scan(path, &q, NULL, NULL, &st), 0);
	assert_int_equal(st.unparsable, 1);
	/* A planted symlink is not followed (the agent reads as root). */
	assert_int_equal(unlink(junk), 0);
	assert_int_equal(symlink("/etc/passwd", junk), 0);
	assert_int_equal(auditquery_scan(path, &q, NULL, NULL, &st), -1);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	assert_int_equal(auditquery_scan(path, &q, NULL, NULL, &st), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_valid),
		cmocka_unit_test(test_time_invalid),
		cmocka_unit_test(test_time_format_roundtrip),
		cmocka_unit_test(test_time_relative),
		cmocka_unit_test(test_options_valid),
		cmocka_unit_test(test_options_invalid),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
