// SPDX-License-Identifier: MIT
/* raggedctl plugin install|list|validate|grant|revoke */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int install(struct ctl *c, int argc, char **argv)
{
	const char *dir = NULL;
	bool replace = false, accept = false;
	char abs[PATH_MAX];
	cJSON *req, *reply = NULL, *data;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--replace") == 0)
			replace = true;
		else if (strcmp(argv[i], "--accept-risk") == 0)
			accept = true;
		else if (argv[i][0] == '-') {
			ctl_err("plugin install: unknown option %s", argv[i]);
			return EXIT_USAGE;
		} else if (!dir)
			dir = argv[i];
		else {
			ctl_err("plugin install: unexpected argument %s", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!dir) {
		ctl_err("usage: raggedctl plugin install DIR [--replace] [--accept-risk]");
		return EXIT_USAGE;
	}
	/* The agent resolves nothing relative to our cwd. */
	if (!realpath(dir, abs)) {
		ctl_err("%s: no such directory", dir);
		return 1;
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

static int list(struct ctl *c, int argc, char **argv)
{
	static const char *const hdr[] = { "NAME", "VERSION", "TYPE", "UID", "REQUIRED", "DIR" };
	static const char *const keys[] = { "name", "version", "type", "uid", "required", "dir" };
	cJSON *req, *reply = NULL, *data;
	int rc;

	if (argc > 0) {
		ctl_err("plugin list: unexpected argument %s", argv[0]);
		return EXIT_USAGE;
	}
	req = ctl_req("plugin_list");
	rc = ctl_call(c, req, &data, &reply);
	if (data) {
		if (c->format == FMT_JSON)
			render_json(data);
		else
			render_table(hdr, keys, 6, data);
	}
	cJSON_Delete(reply);
	return rc;
}

/* Local, no agent: the manifest and the static analysis (cmd_validate.c). */
static int validate(struct ctl *c, int argc, char **argv)
{
	return cmd_validate(c, argc, argv);
}

static int consent(struct ctl *c, int argc, char **argv, bool grant)
{
	const char *name = NULL;
	cJSON *req, *perms, *reply = NULL, *data;
	int rc;

	req = ctl_req(grant ? "grant" : "revoke");
	perms = cJSON_AddArrayToObject(req, "permissions");
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--permission") == 0 || strcmp(argv[i], "-p") == 0) {
			if (++i >= argc) {
				ctl_err("--permission needs a value");
				cJSON_Delete(req);
				return EXIT_USAGE;
			}
			if (perm_from_name(argv[i]) < 0) {
				const char *sug = perm_suggest(argv[i]);

				ctl_err("--permission: unknown permission \"%.64s\"%s%s%s", argv[i],
					sug ? " (did you mean " : "", sug ? sug : "", sug ? "?)" : "");
				cJSON_Delete(req);
				return EXIT_USAGE;
			}
			cJSON_AddItemToArray(perms, cJSON_CreateString(argv[i]));
		} else if (argv[i][0] == '-') {
			ctl_err("unknown option %s", argv[i]);
			cJSON_Delete(req);
			return EXIT_USAGE;
		} else if (!name) {
			name = argv[i];
		} else {
			ctl_err("unexpected argument %s", argv[i]);
			cJSON_Delete(req);
			return EXIT_USAGE;
		}
	}
	if (!name || (!grant && cJSON_GetArraySize(perms) == 0)) {
		ctl_err(grant ? "usage: raggedctl plugin grant NAME [--permission P]..."
			      : "usage: raggedctl plugin revoke NAME --permission P");
		cJSON_Delete(req);
		return EXIT_USAGE;
	}
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

static int permissions(struct ctl *c, int argc, char **argv)
{
	static const char *const hdr[] = { "PERMISSION", "KIND", "RISK", "STATUS", "SINCE" };
	static const char *const keys[] = { "permission", "kind", "risk", "status", "since" };
	cJSON *req, *reply = NULL, *data;
	int rc;

	if (argc != 1 || argv[0][0] == '-') {
		ctl_err("usage: raggedctl plugin permissions NAME");
		return EXIT_USAGE;
	}
	req = ctl_req("permissions");
	cJSON_AddStringToObject(req, "plugin", argv[0]);
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

int cmd_plugin(struct ctl *c, int argc, char **argv)
{
	if (argc < 1) {
		ctl_err("usage: raggedctl plugin install|list|validate|permissions|grant|revoke ...");
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "install") == 0)
		return install(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return list(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "validate") == 0)
		return validate(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "grant") == 0)
		return consent(c, argc - 1, argv + 1, true);
	if (strcmp(argv[0], "permissions") == 0)
		return permissions(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "revoke") == 0)
		return consent(c, argc - 1, argv + 1, false);
	ctl_err("plugin: unknown subcommand %s", argv[0]);
	return EXIT_USAGE;
}
