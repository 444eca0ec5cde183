// SPDX-License-Identifier: MIT
/*
 * The vetting results the registry keeps and hands out (registry.c):
 * install keeps every finding with the acceptance; the plugin list leaves
 * the findings out; plugin_vetting gives them to the owner and root only;
 * a run's check is kept only when its content digest is new; a reply too
 * large for one protocol message loses listed findings from the end, and
 * says how many.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "audit/audit.h"
#include "proto/proto.h"
#include "util/util.h"

#define USER 1000
#define OTHER 4242

struct fx {
	char tmp[PATH_MAX];
	struct agent a;
	char err[512];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void put(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char t[] = "/tmp/ragged-ut-regvet.XXXXXX";
	struct auditlog_opts ao = { .fsync = AUDITLOG_FSYNC_NEVER };
	char err[256];

	if (!f || !mkdtemp(t) || !realpath(t, f->tmp) || chmod(f->tmp, 0755) < 0)
		return -1;
	*state = f;
	config_defaults(&f->a.cfg);
	snprintf(f->a.cfg.state_dir, sizeof(f->a.cfg.state_dir), "%s/state", f->tmp);
	snprintf(f->a.cfg.audit_log, sizeof(f->a.cfg.audit_log), "%s/audit.jsonl", f->tmp);
	ao.path = f->a.cfg.audit_log;
	f->a.epfd = f->a.listen_fd = -1;
	f->a.audit = auditlog_open(&ao, err, sizeof(err));
	return f->a.audit ? 0 : -1;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	auditlog_close(f->a.audit);
	config_free(&f->a.cfg);
	nftw(f->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A plugin whose entry point is missing: one critical finding (entry-missing). */
static void install_risky(struct fx *f)
{
	char dir[PATH_MAX + 8], mf[PATH_MAX + 32];
	cJSON *e = NULL;

	snprintf(dir, sizeof(dir), "%s/risky", f->tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(mf, sizeof(mf), "%s/plugin.toml", dir);
	put(mf, "[plugin]\nname = \"risky\"\nversion = \"1.0.0\"\ntype = \"command\"\nentry = [\"./missing\"]\n");
	assert_int_equal(registry_install(&f->a, USER, dir, false, true, &e, f->err, sizeof(f->err)), 0);
	cJSON_Delete(e);
}

static cJSON *vetting(struct fx *f, uid_t caller, const char *req, int want_rc)
{
	cJSON *msg = cJSON_Parse(req), *out = NULL;
	int rc;

	assert_non_null(msg);
	f->err[0] = '\0';
	rc = registry_vetting(&f->a, caller, msg, &out, f->err, sizeof(f->err));
	cJSON_Delete(msg);
	if (rc != want_rc)
		fail_msg("registry_vetting(%s) = %d (%s), want %d", req, rc, f->err, want_rc);
	return out;
}

static void t_kept_and_filtered(void **state)
{
	struct fx *f = *state;
	const cJSON *v, *first;
	cJSON *out, *list;

	install_risky(f);
	out = vetting(f, USER, "{\"plugin\":\"risky\"}", 0);
	v = cJSON_GetObjectItem(out, "validation");
	assert_string_equal(proto_str(v, "when"), "install");
	assert_true(proto_bool(v, "blocked"));
	first = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "findings"), 0);
	assert_string_equal(proto_str(first, "rule"), "entry-missing");
	assert_true(proto_bool(first, "accepted"));
	assert_int_equal(cJSON_GetObjectItem(first, "accepted_by_uid")->valueint, USER);
	assert_string_equal(proto_str(first, "accepted_how"), "--accept-risk");
	assert_non_null(proto_str(first, "accepted_at"));
	cJSON_Delete(out);
	/* Root reads any user's; another user reads none; a bad uid is an error. */
	cJSON_Delete(vetting(f, 0, "{\"plugin\":\"risky\",\"uid\":1000}", 0));
	assert_null(vetting(f, OTHER, "{\"plugin\":\"risky\",\"uid\":1000}", -1));
	assert_non_null(strstr(f->err, "only root"));
	assert_null(vetting(f, OTHER, "{\"plugin\":\"risky\"}", -1));	/* its own: none */
	assert_non_null(strstr(f->err, "not installed"));
	assert_null(vetting(f, 0, "{\"plugin\":\"risky\",\"uid\":\"x\"}", -1));
	assert_null(vetting(f, 0, "{\"plugin\":\"risky\",\"uid\":-1}", -1));
	assert_null(vetting(f, USER, "{\"plugin\":\"../x\"}", -1));
	/* The list carries the counts, not the findings. */
	assert_int_equal(registry_list(&f->a, USER, &list), 0);
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(list, 0), "validation");
	assert_int_equal(cJSON_GetObjectItem(v, "critical")->valueint, 1);
	assert_null(cJSON_GetObjectItem(v, "findings"));
	cJSON_Delete(list);
}

static void t_run_result_kept_when_new(void **state)
{
	struct fx *f = *state;
	cJSON *entry, *vet, *out;
	char path[PATH_MAX + 64];
	struct stat st1, st2;

	install_risky(f);
	assert_int_equal(registry_lookup(&f->a, USER, "risky", &entry, f->err, sizeof(f->err)), 0);
	snprintf(path, sizeof(path), "%s/plugins/%u/risky.json", f->a.cfg.state_dir, USER);
	assert_int_equal(stat(path, &st1), 0);
	/* The install's own digest: nothing to keep, nothing written. */
	vet = cJSON_Duplicate(cJSON_GetObjectItem(entry, "validation"), true);
	cJSON_SetValuestring(cJSON_GetObjectItem(vet, "when"), "run");
	registry_note_vetting(&f->a, USER, entry, vet);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino);	/* replaced files get a new inode */
	/* A new digest: kept as validation_last_run. */
	cJSON_SetValuestring(cJSON_GetObjectItem(vet, "digest"), "feedface");
	registry_note_vetting(&f->a, USER, entry, vet);
	out = vetting(f, USER, "{\"plugin\":\"risky\"}", 0);
	assert_string_equal(proto_str(cJSON_GetObjectItem(out, "validation_last_run"), "digest"), "feedface");
	assert_string_equal(proto_str(cJSON_GetObjectItem(out, "validation"), "when"), "install");
	cJSON_Delete(out);
	/* The same again: not rewritten. */
	cJSON_Delete(entry);
	assert_int_equal(registry_lookup(&f->a, USER, "risky", &entry, f->err, sizeof(f->err)), 0);
	assert_int_equal(stat(path, &st1), 0);
	registry_note_vetting(&f->a, USER, entry, vet);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino);
	/* Nothing to say, or no valid name: nothing done. */
	registry_note_vetting(&f->a, USER, entry, NULL);
	cJSON_ReplaceItemInObject(entry, "name", cJSON_CreateString("../evil"));
	cJSON_SetValuestring(cJSON_GetObjectItem(vet, "digest"), "other");
	registry_note_vetting(&f->a, USER, entry, vet);
	assert_int_equal(stat(path, &st2), 0);
	assert_true(st1.st_ino == st2.st_ino);
	cJSON_Delete(vet);
	cJSON_Delete(entry);
}

/* An entry whose findings could not all go in one message. */
static void t_reply_fits_one_message(void **state)
{
	struct fx *f = *state;
	cJSON *e = cJSON_CreateObject(), *v, *arr, *out;
	char dir[PATH_MAX], path[PATH_MAX + 32], msg[600], *text;
	int listed;

	snprintf(dir, sizeof(dir), "%s/plugins/%u", f->a.cfg.state_dir, USER);
	assert_int_equal(mkdir_p(dir, 0700), 0);
	cJSON_AddStringToObject(e, "name", "big");
	v = cJSON_AddObjectToObject(e, "validation");
	cJSON_AddStringToObject(v, "digest", "d");
	cJSON_AddNumberToObject(v, "findings_not_listed", 3);
	arr = cJSON_AddArrayToObject(v, "findings");
	memset(msg, 'm', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	for (int i = 0; i < 200; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "message", msg);
		cJSON_AddItemToArray(arr, o);
	}
	snprintf(path, sizeof(path), "%s/big.json", dir);
	text = cJSON_PrintUnformatted(e);
	put(path, text);
	free(text);
	cJSON_Delete(e);
	out = vetting(f, USER, "{\"plugin\":\"big\"}", 0);
	text = cJSON_PrintUnformatted(out);
	assert_true(strlen(text) <= PROTO_MAX_MSG - 512);
	free(text);
	v = cJSON_GetObjectItem(out, "validation");
	listed = cJSON_GetArraySize(cJSON_GetObjectItem(v, "findings"));
	assert_true(listed > 50 && listed < 200);
	assert_int_equal(cJSON_GetObjectItem(v, "findings_not_listed")->valueint, 3 + 200 - listed);
	cJSON_Delete(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_kept_and_filtered),
		T(t_run_result_kept_when_new),
		T(t_reply_fits_one_message),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
