// SPDX-License-Identifier: MIT
/* raggedctl plugin install|list|permissions|grant|revoke (validate: cmd_validate.c) */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"
#include "ctl.h"
#include "config/config.h"
#include "util/util.h"
#include "proto/proto.h"

static void show_perms(const cJSON *e)
{
	static const char *const kinds[] = { "required", "optional" };

	for (int k = 0; k < 2; k++) {
		const cJSON *it;

		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(e, kinds[k])) {
			int p = perm_from_name(it->valuestring);
			const struct perm_info *pi = p >= 0 ? perm_info(p) : NULL;

			printf("  %-9s %-20s %-7s %s\n", kinds[k], ctl_safe(it->valuestring),
			       pi ? perm_risk_name(pi->risk) : "?", pi ? pi->description : "");
		}
	}
	ctl_show_endpoints(stdout, cJSON_GetObjectItemCaseSensitive(e, "endpoints"));
}

int cmd_plugin_install(struct ctl *c, const struct ctl_args *a)
{
	const char *dir = a->pos[0];
	bool replace = ctl_flag(a, "--replace"), accept = ctl_flag(a, "--accept-risk");
	char abs[PATH_MAX];
	cJSON *req, *reply = NULL, *data;
	int rc;

	/* The agent resolves nothing relative to our cwd. */
	if (!realpath(dir, abs)) {
		ctl_err("plugin install: %s: %s", dir, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	req = ctl_req("plugin_install");
	cJSON_AddStringToObject(req, "dir", abs);
	cJSON_AddBoolToObject(req, "replace", replace);
	cJSON_AddBoolToObject(req, "accept_risk", accept);
	rc = ctl_call(c, req, &data, &reply);
	if (data) {
		if (c->format == FMT_JSON)
			render_json(data);
		else {
			printf("installed %s %s from %s\npermissions:\n", ctl_safe(proto_str(data, "name")),
			       ctl_safe(proto_str(data, "version")), ctl_safe(proto_str(data, "dir")));
			show_perms(data);
		}
	}
	cJSON_Delete(reply);
	return rc;
}

int cmd_plugin_list(struct ctl *c, const struct ctl_args *a)
{
	static const char *const hdr[] = { "NAME", "VERSION", "TYPE", "UID", "REQUIRED", "DIR" };
	static const char *const keys[] = { "name", "version", "type", "uid", "required", "dir" };
	cJSON *data = NULL;
	int rc;

	rc = ctl_plugin_list(c, &data);
	if (data) {
		if (c->format == FMT_JSON)
			render_json(data);
		else
			render_table(hdr, keys, 6, data);
	}
	cJSON_Delete(data);
	return rc;
}

static int consent(struct ctl *c, const struct ctl_args *a, bool grant)
{
	const char *name = a->pos[0];
	cJSON *req, *perms, *reply = NULL, *data;
	int rc;

	/* The parser checked every name against the permission list. */
	req = ctl_req(grant ? "grant" : "revoke");
	perms = cJSON_AddArrayToObject(req, "permissions");
	for (int i = 0; i < a->nrep; i++)
		cJSON_AddItemToArray(perms, cJSON_CreateString(a->rep[i]));
	cJSON_AddStringToObject(req, "plugin", name);
	rc = ctl_call(c, req, &data, &reply);
	if (rc == 0 && c->format == FMT_JSON) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "ok", 1);
		render_json(o);
		cJSON_Delete(o);
	} else if (rc == 0) {
		printf("%s: %s\n", name, grant ? "granted" : "revoked");
	}
	cJSON_Delete(reply);
	return rc;
}

int cmd_plugin_permissions(struct ctl *c, const struct ctl_args *a)
{
	static const char *const hdr[] = { "PERMISSION", "KIND", "RISK", "STATUS", "SINCE" };
	static const char *const keys[] = { "permission", "kind", "risk", "status", "since" };
	cJSON *req, *reply = NULL, *data;
	int rc;

	req = ctl_req("permissions");
	cJSON_AddStringToObject(req, "plugin", a->pos[0]);
	rc = ctl_call(c, req, &data, &reply);
	if (data) {
		if (c->format == FMT_JSON)
			render_json(data);
		else
			render_table(hdr, keys, 5, data);
	}
	cJSON_Delete(reply);
	return rc;
}

int cmd_plugin_grant(struct ctl *c, const struct ctl_args *a)
{
	return consent(c, a, true);
}

int cmd_plugin_revoke(struct ctl *c, const struct ctl_args *a)
{
	return consent(c, a, false);
}
