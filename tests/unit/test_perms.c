// SPDX-License-Identifier: MIT
/* The permission catalog of docs/contract.md §2. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "util/util.h"

static const struct {
	const char *name;
	enum ragged_perm perm;
	enum perm_risk risk;
} spec[] = {
	{ "read:documents", RAGGED_PERM_READ_DOCUMENTS, RISK_MEDIUM },
	{ "write:documents", RAGGED_PERM_WRITE_DOCUMENTS, RISK_HIGH },
	{ "read:config", RAGGED_PERM_READ_CONFIG, RISK_MEDIUM },
	{ "write:config", RAGGED_PERM_WRITE_CONFIG, RISK_HIGH },
	{ "network:none", RAGGED_PERM_NETWORK_NONE, RISK_NONE },
	{ "network:api", RAGGED_PERM_NETWORK_API, RISK_HIGH },
	{ "network:download", RAGGED_PERM_NETWORK_DOWNLOAD, RISK_HIGH },
	{ "system:embedding", RAGGED_PERM_SYSTEM_EMBEDDING, RISK_MEDIUM },
	{ "system:vectorstore", RAGGED_PERM_SYSTEM_VECTORSTORE, RISK_MEDIUM },
	{ "system:memory", RAGGED_PERM_SYSTEM_MEMORY, RISK_MEDIUM },
};

static void
t_matches_spec(void **state)
{
	const struct perm_info *pi;
	size_t i;

	assert_int_equal(sizeof(spec) / sizeof(spec[0]), RAGGED_PERM_COUNT);
	for (i = 0; i < RAGGED_PERM_COUNT; i++) {
		pi = perm_info(spec[i].perm);
		assert_non_null(pi);
		assert_string_equal(pi->name, spec[i].name);
		assert_int_equal(pi->risk, spec[i].risk);
		assert_int_equal(perm_from_name(spec[i].name), spec[i].perm);
	}
}

static void
t_round_trip(void **state)
{
	int p;

	for (p = 0; p < RAGGED_PERM_COUNT; p++) {
		assert_int_equal(perm_from_name(perm_name(p)), p);
		assert_ptr_equal(perm_info(p)->name, perm_name(p));
	}
}

static void
t_descriptions(void **state)
{
	const char *d;
	int p;

	/* One plain sentence each: capitalised, full stop, no newline. */
	for (p = 0; p < RAGGED_PERM_COUNT; p++) {
		d = perm_info(p)->description;
		assert_non_null(d);
		assert_true(strlen(d) > 20 && strlen(d) < 160);
		assert_true(d[0] >= 'A' && d[0] <= 'Z');
		assert_int_equal(d[strlen(d) - 1], '.');
		assert_null(strchr(d, '\n'));
		assert_ptr_equal(strchr(d, '.'), d + strlen(d) - 1);
	}
}

static void
t_unknown(void **state)
{
	static const char *bad[] = { "", "read", "read:", ":documents",
	    "Read:documents", "READ:DOCUMENTS", "read:Documents",
	    "read:documents ", " read:documents", "read:documents\n",
	    "read_documents", "read:document", "network:all", "system:*",
	    "network:none,network:api" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(perm_from_name(bad[i]), -1);
	assert_int_equal(perm_from_name(NULL), -1);
}

static void
t_out_of_range(void **state)
{
	assert_null(perm_info(RAGGED_PERM_COUNT));
	assert_null(perm_info((enum ragged_perm)-1));
	assert_string_equal(perm_name(RAGGED_PERM_COUNT), "unknown");
}

static void
t_risk_names(void **state)
{
	assert_string_equal(perm_risk_name(RISK_NONE), "none");
	assert_string_equal(perm_risk_name(RISK_MEDIUM), "medium");
	assert_string_equal(perm_risk_name(RISK_HIGH), "high");
	assert_string_equal(perm_risk_name((enum perm_risk)42), "unknown");
}

/* "did you mean": close typos and half names suggest; unrelated names do not. */
static void
t_suggest(void **state)
{
	(void)state;
	assert_string_equal(perm_suggest("read:document"), "read:documents");
	assert_string_equal(perm_suggest("Read:Documents"), "read:documents");
	assert_string_equal(perm_suggest("network:apii"), "network:api");
	assert_string_equal(perm_suggest("netwrk:download"), "network:download");
	assert_string_equal(perm_suggest("memory"), "system:memory");
	assert_string_equal(perm_suggest("write"), "write:documents");
	assert_null(perm_suggest("root:all"));
	assert_null(perm_suggest("x"));
	assert_null(perm_suggest(""));
	assert_null(perm_suggest(NULL));
	assert_null(perm_suggest("read:documents-and-everything-else-too-long"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_matches_spec), cmocka_unit_test(t_round_trip),
		cmocka_unit_test(t_descriptions), cmocka_unit_test(t_unknown),
		cmocka_unit_test(t_out_of_range), cmocka_unit_test(t_risk_names), cmocka_unit_test(t_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
