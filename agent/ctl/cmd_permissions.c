// SPDX-License-Identifier: MIT
/*
 * raggedctl permissions [NAME]: every permission (or one), its risk, what it
 * grants the caller on this machine (paths, endpoints, from the agent's
 * config and the caller's home) and its description. An unknown NAME gets
 * "did you mean".
 */
#include <stdio.h>
#include <string.h>

#include "cmdtab.h"
#include "ctl.h"
#include "util/util.h"
#include "proto/proto.h"

static void print_one(const cJSON *p)
{
	const cJSON *it;

	printf("%-20s %-7s %s\n", proto_str(p, "permission") ?: "?", proto_str(p, "risk") ?: "?",
	       proto_str(p, "description") ?: "");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "files"))
		printf("    %-10s %s\n", proto_str(it, "access") ?: "?", proto_str(it, "path") ?: "?");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(p, "network")) {
		long long port = 0;

		proto_int(it, "port", &port);
		printf("    %-10s %s port %lld\n", proto_str(it, "protocol") ?: "?",
		       proto_str(it, "address") ?: "?", port);
	}
	if (proto_str(p, "note"))
		printf("    %s\n", proto_str(p, "note"));
}

int cmd_permissions(struct ctl *c, const struct ctl_args *a)
{
	const char *only = a->npos > 0 ? a->pos[0] : NULL;
	cJSON *reply, *data, *out;
	const cJSON *it;
	int code;

	if (only && perm_from_name(only) < 0) {
		const char *sug = perm_suggest(only);

		ctl_err("permissions: unknown permission \"%.64s\"%s%s%s", only,
			sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
		return EXIT_BAD_INPUT;
	}
	code = ctl_call(c, ctl_req("catalog"), &data, &reply);
	if (!data) {
		cJSON_Delete(reply);
		return code;
	}
	out = cJSON_CreateArray();
	cJSON_ArrayForEach(it, data)
		if (!only || strcmp(proto_str(it, "permission") ?: "", only) == 0)
			cJSON_AddItemToArray(out, cJSON_Duplicate(it, 1));
	if (c->format == FMT_JSON)
		render_json(only ? cJSON_GetArrayItem(out, 0) : out);
	else
		cJSON_ArrayForEach(it, out)
			print_one(it);
	cJSON_Delete(out);
	cJSON_Delete(reply);
	return 0;
}
