// SPDX-License-Identifier: MIT
/*
 * The request table the agent enforces (agent/common/proto/protocheck.c): every
 * refusal names the request and the key; and the table equals
 * docs/protocol-schema.json, request by request, key by key, so the
 * documented protocol and the enforced one cannot drift apart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/proto.h"

static void expect(const char *json, int nfds, const char *want)
{
	cJSON *m = cJSON_Parse(json);
	char err[256] = "";
	int rc;

	assert_non_null(m);
	rc = proto_check_request(m, nfds, err, sizeof(err));
	if (!want) {
		if (rc != 0)
			fail_msg("%s: refused: %s", json, err);
	} else {
		assert_int_equal(rc, -1);
		if (!strstr(err, want))
			fail_msg("%s: error \"%s\" lacks \"%s\"", json, err, want);
	}
	cJSON_Delete(m);
}

static void test_accepts_wellformed(void **s)
{
	expect("{\"cmd\":\"status\"}", 0, NULL);
	expect("{\"cmd\":\"status\",\"proto\":1}", 0, NULL);
	expect("{\"cmd\":\"run\",\"plugin\":\"p\",\"yes\":false,\"tty\":true,\"args\":[\"a\"]}", 3, NULL);
	expect("{\"cmd\":\"grant\",\"plugin\":\"p\"}", 0, NULL);
	expect("{\"cmd\":\"audit_show\",\"query\":{\"plugin\":\"p\"}}", 0, NULL);
	expect("{\"cmd\":\"plugin_install\",\"dir\":\"/x\",\"replace\":true,\"accept_risk\":false}", 0, NULL);
}

static void test_refuses_with_the_place(void **s)
{
	expect("[1]", 0, "one JSON object");
	expect("{\"cmd\":\"status\",\"proto\":2}", 0, "protocol version 2 is not supported");
	expect("{\"cmd\":\"status\",\"proto\":1.5}", 0, "\"proto\" must be an integer");
	expect("{\"cmd\":\"status\",\"proto\":1e300}", 0, "\"proto\" must be an integer");
	expect("{\"cmd\":\"status\",\"proto\":null}", 0, "\"proto\" must be an integer");
	expect("{\"cmd\":3}", 0, "no \"cmd\"");
	expect("{\"cmd\":\"reboot\"}", 0, "unknown command: reboot");
	expect("{\"cmd\":\"status\",\"x\":1}", 0, "request \"status\": unknown key \"x\"");
	expect("{\"cmd\":\"answer\"}", 0, "request \"answer\": \"yes\" is required");
	expect("{\"cmd\":\"answer\",\"yes\":1}", 0, "\"yes\" must be true or false");
	expect("{\"cmd\":\"revoke\",\"plugin\":\"p\",\"permissions\":\"read:config\"}", 0,
	       "\"permissions\" must be an array of strings");
	expect("{\"cmd\":\"run\",\"plugin\":\"p\",\"args\":[null]}", 3, "\"args\" must be an array of strings");
	expect("{\"cmd\":\"run\",\"plugin\":\"p\"}", 1, "1 file descriptors sent, 3 expected");
	expect("{\"cmd\":\"status\"}", 2, "2 file descriptors sent, 0 expected");
	expect("{\"cmd\":\"audit_follow\",\"query\":\"all\"}", 0, "\"query\" must be an object");
}

static cJSON *load_schema(void)
{
	const char *root = getenv("RAGGED_ROOT");
	char path[4096];
	FILE *f;
	char *buf;
	long n;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/docs/protocol-schema.json", root ? root : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root or set RAGGED_ROOT)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	j = cJSON_Parse(buf);
	free(buf);
	assert_non_null(j);
	return j;
}

/* The schema's type for a table type: "string", "boolean", ... or a $ref. */
static bool schema_type_is(const cJSON *prop, enum pfield_type t)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(prop, "type"));
	const char *ref = cJSON_GetStringValue(cJSON_GetObjectItem(prop, "$ref"));

	switch (t) {
	case PF_STRING: return type && strcmp(type, "string") == 0;
	case PF_BOOL: return type && strcmp(type, "boolean") == 0;
	case PF_INT: return type && strcmp(type, "integer") == 0;
	case PF_STRINGS: return ref && strcmp(ref, "#/$defs/strings") == 0;
	case PF_QUERY: return ref && strcmp(ref, "#/$defs/query") == 0;
	}
	return false;
}

static bool in_required(const cJSON *req, const char *key)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, req)
		if (cJSON_IsString(it) && strcmp(it->valuestring, key) == 0)
			return true;
	return false;
}

static void test_table_equals_schema(void **s)
{
	cJSON *schema = load_schema();
	const cJSON *defs = cJSON_GetObjectItem(schema, "$defs"), *it;
	int nreq = 0, ndefs = 0;

	for (const struct preq *r = proto_requests; r->cmd; r++, nreq++) {
		char name[64];
		const cJSON *d, *props, *req;
		int nprops = 0, nfields = 0;

		snprintf(name, sizeof(name), "request_%s", r->cmd);
		d = cJSON_GetObjectItem(defs, name);
		if (!d)
			fail_msg("schema has no $defs/%s", name);
		props = cJSON_GetObjectItem(d, "properties");
		req = cJSON_GetObjectItem(d, "required");
		assert_true(cJSON_IsFalse(cJSON_GetObjectItem(d, "additionalProperties")));
		assert_int_equal(cJSON_GetObjectItem(d, "x-fds")->valueint, r->nfds);
		assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
			cJSON_GetObjectItem(props, "cmd"), "const")), r->cmd);
		assert_true(in_required(req, "cmd"));
		for (const struct pfield *f = r->fields; f->key; f++, nfields++) {
			const cJSON *p = cJSON_GetObjectItem(props, f->key);

			if (!p || !schema_type_is(p, f->type))
				fail_msg("%s.%s: schema type differs from the table (%s)", name, f->key,
					 pfield_type_name(f->type));
			if (in_required(req, f->key) != f->required)
				fail_msg("%s.%s: required differs", name, f->key);
		}
		cJSON_ArrayForEach(it, props)
			nprops++;
		if (nprops != nfields + 2)	/* + cmd, proto */
			fail_msg("%s: the schema has %d properties, the table %d (+cmd, proto)", name,
				 nprops, nfields);
	}
	cJSON_ArrayForEach(it, defs)
		ndefs += strncmp(it->string, "request_", 8) == 0;
	assert_int_equal(ndefs, nreq);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(defs, "request"), "oneOf")), nreq);
	cJSON_Delete(schema);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_wellformed),
		cmocka_unit_test(test_refuses_with_the_place),
		cmocka_unit_test(test_table_equals_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
