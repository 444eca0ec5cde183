// SPDX-License-Identifier: MIT
/*
 * The vetting result the agent keeps and the security report reads back
 * (validate_record.c): blocking findings marked accepted with who, how and
 * when only when the risk was accepted; counts that hold every finding even
 * past the listed ones; older entries (counts only) and malformed ones
 * refused; and the exposure score counting recorded findings, accepted
 * ones included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "validate/validate.h"
#include "validate/validate_int.h"

static void two_findings(struct validate_report *r)
{
	memset(r, 0, sizeof(*r));
	r->complete = true;
	strcpy(r->digest, "d1");
	assert_int_equal(report_add(r, validate_rule_find("elf-dangerous-import"), SEV_CRITICAL, "probe", 0,
				    "imports mount"), 0);
	assert_int_equal(report_add(r, validate_rule_find("elf-dangerous-import"), SEV_LOW, "probe", 0,
				    "imports getuid"), 0);
	report_sort(r);
}

static const cJSON *finding(const cJSON *rec, int i)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "findings"), i);
}

static void t_accepted(void **state)
{
	struct validate_acceptance acc = { .uid = 1000, .how = "--accept-risk", .at = "2026-01-02T03:04:05.000Z" };
	struct validate_report r;
	struct recorded_findings rf;
	cJSON *rec;

	(void)state;
	two_findings(&r);
	rec = validate_record_json(&r, SEV_CRITICAL, &acc, "2026-01-02T03:04:05.000Z", "install");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "blocked")));
	assert_int_equal(cJSON_GetObjectItem(rec, "critical")->valueint, 1);
	assert_string_equal(cJSON_GetObjectItem(rec, "digest")->valuestring, "d1");
	assert_string_equal(cJSON_GetObjectItem(rec, "when")->valuestring, "install");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(rec, "accepted_risk"), "by_uid")->valueint, 1000);
	/* The critical one is accepted, with who/how/when; the low one needed no acceptance. */
	assert_string_equal(cJSON_GetObjectItem(finding(rec, 0), "severity")->valuestring, "critical");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(finding(rec, 0), "blocking")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(finding(rec, 0), "accepted")));
	assert_int_equal(cJSON_GetObjectItem(finding(rec, 0), "accepted_by_uid")->valueint, 1000);
	assert_string_equal(cJSON_GetObjectItem(finding(rec, 0), "accepted_how")->valuestring, "--accept-risk");
	assert_string_equal(cJSON_GetObjectItem(finding(rec, 0), "accepted_at")->valuestring, acc.at);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(finding(rec, 1), "blocking")));
	assert_null(cJSON_GetObjectItem(finding(rec, 1), "accepted"));
	assert_int_equal(validate_record_counts(rec, &rf), 0);
	assert_int_equal(rf.counts[SEV_CRITICAL], 1);
	assert_int_equal(rf.counts[SEV_LOW], 1);
	assert_int_equal(rf.accepted, 1);
	assert_true(rf.complete);
	cJSON_Delete(rec);

	/* No acceptance (a run's check): blocking, nothing marked accepted. */
	rec = validate_record_json(&r, SEV_CRITICAL, NULL, "t", "run");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(rec, "blocked")));
	assert_null(cJSON_GetObjectItem(rec, "accepted_risk"));
	assert_null(cJSON_GetObjectItem(finding(rec, 0), "accepted"));
	cJSON_Delete(rec);
	validate_report_free(&r);
	/* Acceptance passed for a result that blocks nothing: nothing is marked. */
	memset(&r, 0, sizeof(r));
	rec = validate_record_json(&r, SEV_CRITICAL, &acc, "t", "install");
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(rec, "blocked")));
	assert_null(cJSON_GetObjectItem(rec, "accepted_risk"));
	assert_int_equal(validate_record_counts(rec, &rf), 0);
	assert_int_equal(rf.accepted, 0);
	cJSON_Delete(rec);
}

static void t_listed_capped_counts_whole(void **state)
{
	struct validate_report r = { .complete = false };
	struct recorded_findings rf;
	char msg[32], file[16];
	cJSON *rec;

	(void)state;
	for (int i = 0; i < 130; i++) {
		snprintf(msg, sizeof(msg), "finding %d", i);
		snprintf(file, sizeof(file), "f%d", i);	/* one file each: no repeat is dropped */
		assert_int_equal(report_add(&r, validate_rule_find("elf-dangerous-import"), SEV_HIGH, file, 0,
					    msg), 0);
	}
	rec = validate_record_json(&r, SEV_CRITICAL, NULL, "t", "install");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "findings")), 100);
	assert_int_equal(r.dropped, 0);
	assert_int_equal(cJSON_GetObjectItem(rec, "findings_not_listed")->valueint, 30);
	assert_int_equal(validate_record_counts(rec, &rf), 0);
	assert_int_equal(rf.counts[SEV_HIGH], 130);
	assert_false(rf.complete);
	cJSON_Delete(rec);
	validate_report_free(&r);
}

static void t_old_and_bad_entries(void **state)
{
	static const char *const bad[] = {
		/* an entry written before findings were kept */
		"{\"critical\":1,\"high\":0,\"medium\":0,\"low\":0,\"info\":0,\"digest\":\"x\"}",
		"{\"findings\":[],\"counts\":{\"critical\":1}}",
		"{\"findings\":[],\"counts\":{\"critical\":-1,\"high\":0,\"medium\":0,\"low\":0,\"info\":0}}",
		"{\"findings\":[],\"counts\":{\"critical\":1.5,\"high\":0,\"medium\":0,\"low\":0,\"info\":0}}",
		"{\"findings\":{},\"counts\":{\"critical\":0,\"high\":0,\"medium\":0,\"low\":0,\"info\":0}}",
		"[]",
	};
	struct recorded_findings rf;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *j = cJSON_Parse(bad[i]);

		assert_non_null(j);
		if (validate_record_counts(j, &rf) != -1)
			fail_msg("accepted: %s", bad[i]);
		cJSON_Delete(j);
	}
	assert_int_equal(validate_record_counts(NULL, &rf), -1);
}

static int score_of(const struct exposure_input *in)
{
	cJSON *o = validate_exposure(in);
	int s = cJSON_GetObjectItem(o, "score")->valueint;

	cJSON_Delete(o);
	return s;
}

static void t_exposure_counts_recorded(void **state)
{
	struct recorded_findings rf = { .complete = true };
	struct exposure_input in = { .enforcement = "bpf-lsm", .granted_known = true };
	cJSON *o;
	char *s;

	(void)state;
	/* Clean and recorded: nothing; not validated at all: 10. */
	in.recorded = &rf;
	assert_int_equal(score_of(&in), 0);
	in.recorded = NULL;
	assert_int_equal(score_of(&in), 10);
	/* Two criticals accepted: 60 capped at 45 for findings, and the acceptance said. */
	rf.counts[SEV_CRITICAL] = 2;
	rf.accepted = 2;
	in.recorded = &rf;
	o = validate_exposure(&in);
	assert_int_equal(cJSON_GetObjectItem(o, "score")->valueint, 45);
	assert_string_equal(cJSON_GetObjectItem(o, "level")->valuestring, "medium");
	s = cJSON_PrintUnformatted(o);
	assert_non_null(strstr(s, "2 blocking finding(s) installed anyway: risk accepted"));
	free(s);
	cJSON_Delete(o);
	rf.complete = false;
	assert_int_equal(score_of(&in), 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_accepted),
		cmocka_unit_test(t_listed_capped_counts_whole),
		cmocka_unit_test(t_old_and_bad_entries),
		cmocka_unit_test(t_exposure_counts_recorded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
