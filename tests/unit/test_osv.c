// SPDX-License-Identifier: MIT
/* Offline OSV lookups: PEP 440 order, requirement parsing, OSV range rules, the sample database. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "validate/osv.h"

/* tests/data, from the repository root or next to <build>/tests/ (or $RAGGED_TEST_DATA). */
static char data_dir[4096];

static int find_data(void **state)
{
	char exe[4096];
	ssize_t n;

	if (getenv("RAGGED_TEST_DATA")) {
		snprintf(data_dir, sizeof(data_dir), "%s", getenv("RAGGED_TEST_DATA"));
		return 0;
	}
	snprintf(data_dir, sizeof(data_dir), "tests/data");
	if (access(data_dir, F_OK) == 0)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(data_dir, sizeof(data_dir), "%s/../../tests/data", dirname(exe));
	}
	return access(data_dir, F_OK) == 0 ? 0 : -1;
}

/* A path under tests/data; four rotating buffers. */
static const char *dp(const char *rel)
{
	static char buf[4][4096];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", data_dir, rel);
	return buf[k];
}

static void test_pep440_order(void **state)
{
	/* Each version is strictly below the next (PEP 440's own example order, and more). */
	static const char *const order[] = {
		"0.9", "1.0.dev0", "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
		"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456",
		"1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5", "1.0.post456.dev34", "1.0.post456",
		"1.0.15", "1.1.dev1", "1.1", "2.0.0", "2.31.0", "2.32.0", "10.0", "1!0.1",
	};

	for (size_t i = 0; i + 1 < sizeof(order) / sizeof(order[0]); i++) {
		int c;

		assert_int_equal(pep440_cmp_str(order[i], order[i + 1], &c), 0);
		if (c >= 0)
			fail_msg("%s should be < %s", order[i], order[i + 1]);
		assert_int_equal(pep440_cmp_str(order[i + 1], order[i], &c), 0);
		assert_true(c > 0);
	}
}

static void test_pep440_normal_forms(void **state)
{
	/* Spellings PEP 440 normalises to the same version. */
	static const char *const same[][2] = {
		{ "1.0", "1.0.0" }, { "1", "1.0.0.0" }, { "v1.2", "1.2" }, { "1.0RC1", "1.0rc1" },
		{ "1.0-alpha-2", "1.0a2" }, { "1.0.beta", "1.0b0" }, { "1.0c1", "1.0rc1" },
		{ "1.0pre1", "1.0rc1" }, { "1.0preview1", "1.0rc1" }, { "1.0-1", "1.0.post1" },
		{ "1.0.rev2", "1.0.post2" }, { "1.0r", "1.0.post0" }, { "1.0-dev", "1.0.dev0" },
		{ "1.0+ABC-1_2", "1.0+abc.1.2" }, { "0!1.0", "1.0" }, { " 2.0 ", "2.0" },
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		int c = 99;

		assert_int_equal(pep440_cmp_str(same[i][0], same[i][1], &c), 0);
		if (c != 0)
			fail_msg("%s should equal %s", same[i][0], same[i][1]);
	}
}

static void test_pep440_invalid(void **state)
{
	static const char *const bad[] = {
		"", "abc", "1.0.", ".1", "1..0", "1.0+", "1.0+a..b", "1.0+a.", "1.0 beta 2",
		"1.0-", "1.0!", "99999999999999999999999", "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17",
		"1.0+" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct pep440 v;
	int c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pep440_parse(bad[i], &v) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(pep440_cmp_str("1.0", "x", &c), -1);
	/* Long but valid. */
	assert_int_equal(pep440_parse("2024.1.2.3.4.5.6.7.8.9.10.11.12.13.14.15", &v), 0);
}

static void test_normalize(void **state)
{
	char out[64];

	pypi_normalize("Example__Pkg.Name", out, sizeof(out));
	assert_string_equal(out, "example-pkg-name");
	pypi_normalize("jinja2", out, sizeof(out));
	assert_string_equal(out, "jinja2");
	pypi_normalize("a-_.b", out, 3);
	assert_string_equal(out, "a");
	pypi_normalize("zope.interface", out, sizeof(out));
	assert_string_equal(out, "zope-interface");
}

static void dep(const char *spec, enum osv_dep want, const char *name, const char *ver)
{
	char n[64], v[32];
	enum osv_dep got = osv_dep_parse(spec, n, sizeof(n), v, sizeof(v));

	if (got != want)
		fail_msg("\"%s\": got %d, want %d", spec, got, want);
	if (name)
		assert_string_equal(n, name);
	if (ver)
		assert_string_equal(v, ver);
}

static void test_dep_parse(void **state)
{
	dep("requests==2.31.0", OSV_DEP_PINNED, "requests", "2.31.0");
	dep("  Jinja2 == 3.1.2 ", OSV_DEP_PINNED, "Jinja2", "3.1.2");
	dep("requests[socks,security]==2.32.4", OSV_DEP_PINNED, "requests", "2.32.4");
	dep("urllib3===1.26.5", OSV_DEP_PINNED, "urllib3", "1.26.5");
	dep("numpy==1.26.4; python_version >= '3.9'", OSV_DEP_PINNED, "numpy", "1.26.4");
	dep("torch (==2.2.0)", OSV_DEP_PINNED, "torch", "2.2.0");
	dep("rich", OSV_DEP_UNPINNED, "rich", NULL);
	dep("numpy>=1.24,<2", OSV_DEP_UNPINNED, "numpy", NULL);
	dep("numpy~=1.24", OSV_DEP_UNPINNED, NULL, NULL);
	dep("pkg==1.*", OSV_DEP_UNPINNED, NULL, NULL);
	dep("pkg==1.0,!=1.0.1", OSV_DEP_UNPINNED, NULL, NULL);
	dep("pkg @ https://example.com/pkg.whl", OSV_DEP_UNPINNED, "pkg", NULL);
	dep("rich; sys_platform == 'linux'", OSV_DEP_UNPINNED, "rich", NULL);
	dep("", OSV_DEP_INVALID, NULL, NULL);
	dep("-e .", OSV_DEP_INVALID, NULL, NULL);
	dep("pkg-==1.0", OSV_DEP_INVALID, NULL, NULL);
	dep("pkg[extra==1.0", OSV_DEP_INVALID, NULL, NULL);
	dep("pkg==", OSV_DEP_INVALID, NULL, NULL);
	dep("pkg==not.a.version", OSV_DEP_INVALID, NULL, NULL);
	dep("pkg==1.0 junk", OSV_DEP_INVALID, NULL, NULL);
	dep("pkg junk", OSV_DEP_INVALID, NULL, NULL);
	dep("averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongname==1", OSV_DEP_INVALID,
	    NULL, NULL);
	dep("pkg==1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0", OSV_DEP_INVALID, NULL, NULL);	/* too long for v[32] */
}

static void test_cvss(void **state)
{
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8);
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") == 10.0);
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N") == 6.1);
	assert_true(cvss3_base_score("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N") == 5.6);
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N") == 5.4);
	assert_true(cvss3_base_score("CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N") == 1.6);
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N") == 6.4);
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N") == 0);
	assert_true(cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H") < 0);
	assert_true(cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") < 0);
	assert_true(cvss3_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") < 0);
	assert_true(cvss3_base_score(NULL) < 0);
}

static cJSON *load(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return cJSON_Parse(buf);
}

static int affected(const char *file, const char *name, const char *ver, const char *want_fixed)
{
	char path[512], fixed[64];
	cJSON *j;
	int rc;

	snprintf(path, sizeof(path), "%s", dp(file));
	j = load(path);
	assert_non_null(j);
	rc = osv_affected(j, name, ver, fixed, sizeof(fixed));
	if (want_fixed)
		assert_string_equal(fixed, want_fixed);
	cJSON_Delete(j);
	return rc;
}

static void test_ranges_sample(void **state)
{
	/* requests: introduced 2.3.0, fixed 2.31.0 */
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "requests", "2.30.0", "2.31.0"), 1);
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "requests", "2.3.0", NULL), 1);
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "requests", "2.31.0", NULL), 0);
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "requests", "2.31.0rc1", NULL), 1);
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "requests", "2.2.1", NULL), 0);
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "Requests", "2.30", NULL), 1);
	assert_int_equal(affected("osv/GHSA-j8r2-6x86-q33q.json", "requests-oauthlib", "2.30.0", NULL), 0);
	/* urllib3: two ranges */
	assert_int_equal(affected("osv/GHSA-v845-jxx5-vc9f.json", "urllib3", "1.26.16", "1.26.17"), 1);
	assert_int_equal(affected("osv/GHSA-v845-jxx5-vc9f.json", "urllib3", "1.26.17", NULL), 0);
	assert_int_equal(affected("osv/GHSA-v845-jxx5-vc9f.json", "urllib3", "2.0.5", "2.0.6"), 1);
	assert_int_equal(affected("osv/GHSA-v845-jxx5-vc9f.json", "urllib3", "2.0.6", NULL), 0);
	assert_int_equal(affected("osv/GHSA-v845-jxx5-vc9f.json", "urllib3", "2.2.3", NULL), 0);
	/* jinja2 under its other spelling */
	assert_int_equal(affected("osv/GHSA-h75v-3vvj-5mfj.json", "jinja2", "3.1.3", "3.1.4"), 1);
	assert_int_equal(affected("osv/GHSA-h75v-3vvj-5mfj.json", "JINJA2", "3.1.4", NULL), 0);
	/* versions[] of a PYSEC record */
	assert_int_equal(affected("osv/PYSEC-2023-74.json", "requests", "2.28.1", NULL), 1);
	/* an unparsable version is not a "no" */
	assert_int_equal(affected("osv/PYSEC-2023-74.json", "requests", "latest", NULL), -1);
}

static void test_ranges_edge(void **state)
{
	/* last_affected is inclusive; an open-ended range stays open. */
	assert_int_equal(affected("validate/osv-edge/EDGE-1.json", "examplepkg", "0.9", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-1.json", "examplepkg", "1.4", ""), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-1.json", "examplepkg", "1.4.post1", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-1.json", "examplepkg", "1.5", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-1.json", "examplepkg", "2.0", NULL), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-1.json", "examplepkg", "99", NULL), 1);
	/* withdrawn, other ecosystems and git ranges affect nothing */
	assert_int_equal(affected("validate/osv-edge/EDGE-2.json", "examplepkg", "1.0", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-3.json", "examplepkg", "1.0", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-5.json", "examplepkg", "1.0", NULL), 0);
	/* versions[]: equality in PEP 440 terms */
	assert_int_equal(affected("validate/osv-edge/EDGE-4.json", "examplepkg", "0.9RC1", NULL), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-4.json", "examplepkg", "0.9-2", NULL), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-4.json", "examplepkg", "0.9", NULL), 0);
	/* events out of order are sorted; limit ends the range; an unparsable event is skipped */
	assert_int_equal(affected("validate/osv-edge/EDGE-6.json", "examplepkg", "2.9", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-6.json", "examplepkg", "3.2", NULL), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-6.json", "examplepkg", "3.5", NULL), 0);
	/* any spelling; two introduced/fixed pairs; pre-releases inside the second */
	assert_int_equal(affected("validate/osv-edge/EDGE-7.json", "example-pkg", "0.4", "0.5"), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-7.json", "EXAMPLE.PKG", "0.5.1", NULL), 0);
	assert_int_equal(affected("validate/osv-edge/EDGE-7.json", "example_pkg", "0.6b2", "0.6"), 1);
	assert_int_equal(affected("validate/osv-edge/EDGE-7.json", "example_pkg", "0.6", NULL), 0);
}

static void test_severity(void **state)
{
	cJSON *j = load(dp("validate/osv-edge/EDGE-1.json"));

	assert_int_equal(osv_severity(j), SEV_CRITICAL);	/* CVSS 9.8 */
	cJSON_Delete(j);
	j = load(dp("validate/osv-edge/EDGE-4.json"));
	assert_int_equal(osv_severity(j), SEV_LOW);	/* database_specific */
	cJSON_Delete(j);
	j = load(dp("osv/GHSA-v845-jxx5-vc9f.json"));
	assert_int_equal(osv_severity(j), SEV_HIGH);
	cJSON_Delete(j);
	j = load(dp("osv/PYSEC-2023-74.json"));
	assert_int_equal(osv_severity(j), SEV_MEDIUM);	/* CVSS 6.1 */
	cJSON_Delete(j);
	j = load(dp("validate/osv-edge/EDGE-2.json"));
	assert_int_equal(osv_severity(j), SEV_HIGH);	/* nothing known: high */
	cJSON_Delete(j);
	j = cJSON_Parse("{\"database_specific\":{\"severity\":\"CRITICAL\"}}");
	assert_int_equal(osv_severity(j), SEV_CRITICAL);
	cJSON_Delete(j);
	j = cJSON_Parse("{\"severity\":[{\"type\":\"CVSS_V3\",\"score\":"
			"\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N\"}]}");
	assert_int_equal(osv_severity(j), SEV_LOW);
	cJSON_Delete(j);
}

struct hits {
	char ids[32][64];
	size_t q[32];
	char fixed[32][32];
	int n;
};

static void on_hit(void *arg, size_t q, const struct osv_hit *h)
{
	struct hits *hs = arg;

	assert_true(hs->n < 32);
	snprintf(hs->ids[hs->n], sizeof(hs->ids[0]), "%s", h->id);
	snprintf(hs->fixed[hs->n], sizeof(hs->fixed[0]), "%s", h->fixed);
	hs->q[hs->n++] = q;
}

static bool has(const struct hits *h, size_t q, const char *id, const char *fixed)
{
	for (int i = 0; i < h->n; i++)
		if (h->q[i] == q && !strcmp(h->ids[i], id) && (!fixed || !strcmp(h->fixed[i], fixed)))
			return true;
	return false;
}

static void test_scan_sample(void **state)
{
	const struct osv_query q[] = {
		{ "requests", "2.31.0" }, { "urllib3", "2.0.5" }, { "Jinja2", "3.1.4" },
		{ "urllib3", "1.26.20" }, { "numpy", "1.26.4" }, { "requests", "2.30.0" },
	};
	struct hits h = { 0 };
	char err[256];
	int files = osv_scan(dp("osv"), q, 6, on_hit, &h, err, sizeof(err));

	assert_int_equal(files, 10);
	assert_true(has(&h, 0, "GHSA-9wx4-h78v-vm56", "2.32.0"));
	assert_true(has(&h, 0, "GHSA-9hjg-9r4m-mvj7", "2.32.4"));
	assert_false(has(&h, 0, "GHSA-j8r2-6x86-q33q", NULL));
	assert_true(has(&h, 1, "GHSA-v845-jxx5-vc9f", "2.0.6"));
	assert_true(has(&h, 1, "GHSA-g4mx-q9vg-27p4", "2.0.7"));
	assert_true(has(&h, 1, "GHSA-34jh-p97f-mpxf", "2.2.2"));
	assert_true(has(&h, 2, "GHSA-q2x7-8rv6-6q7h", "3.1.5"));
	assert_false(has(&h, 2, "GHSA-h75v-3vvj-5mfj", NULL));
	assert_true(has(&h, 5, "GHSA-j8r2-6x86-q33q", "2.31.0"));
	assert_true(has(&h, 5, "PYSEC-2023-74", "2.31.0"));
	assert_int_equal(h.n, 2 + 3 + 1 + 4);
}

static void test_scan_edge(void **state)
{
	const struct osv_query q[] = { { "otherpkg", "0.5" }, { "examplepkg", "3.1" } };
	struct hits h = { 0 };
	char err[256];

	/* 7 top-level files (one broken), one a level down; EDGE-9 is two levels down. */
	assert_int_equal(osv_scan(dp("validate/osv-edge"), q, 2, on_hit, &h, err, sizeof(err)), 9);
	assert_true(has(&h, 0, "EDGE-8", "1.0"));
	assert_true(has(&h, 1, "EDGE-1", ""));
	assert_true(has(&h, 1, "EDGE-6", ""));
	assert_int_equal(h.n, 3);
	assert_int_equal(osv_scan(dp("validate/no-such-dir"), q, 2, on_hit, &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-such-dir"));
}

static void test_fingerprint(void **state)
{
	char a[65], b[65], c[65], dir[] = "/tmp/osv-fp-XXXXXX", path[64];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(osv_db_fingerprint(dir, a), 0);
	assert_int_equal(osv_db_fingerprint(dir, b), 0);
	assert_string_equal(a, b);
	snprintf(path, sizeof(path), "%s/X-1.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{}", f);
	fclose(f);
	assert_int_equal(osv_db_fingerprint(dir, c), 0);
	assert_string_not_equal(a, c);
	unlink(path);
	rmdir(dir);
	assert_int_equal(osv_db_fingerprint(dir, c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pep440_order),
		cmocka_unit_test(test_pep440_normal_forms),
		cmocka_unit_test(test_pep440_invalid),
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_dep_parse),
		cmocka_unit_test(test_cvss),
		cmocka_unit_test(test_ranges_sample),
		cmocka_unit_test(test_ranges_edge),
		cmocka_unit_test(test_severity),
		cmocka_unit_test(test_scan_sample),
		cmocka_unit_test(test_scan_edge),
		cmocka_unit_test(test_fingerprint),
	};

	return cmocka_run_group_tests(tests, find_data, NULL);
}
