// SPDX-License-Identifier: MIT
/*
 * raggedctl plugin validate DIR [--threshold SEV] [--osv-db DIR]
 *
 * Local, no agent: the manifest and the static analysis of validate.h,
 * the same checks the agent runs on install and before each run. Exit
 * status 1 when the manifest is invalid or a finding reaches the threshold
 * (critical by default, as in the agent), 0 otherwise.
 *
 * The advisory database is --osv-db, else $RAGGED_OSV_DB, else the agent
 * config's advisory_db (--config / $RAGGED_CONFIG / /etc/ragged/agent.toml,
 * when readable). The local services' ports come from the same config.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_validate.h"
#include "config/config.h"
#include "ctl.h"

struct vargs {
	const char *dir, *osv, *config;
	enum severity threshold;
};

static int parse(int argc, char **argv, struct vargs *a)
{
	a->threshold = SEV_CRITICAL;
	for (int i = 0; i < argc; i++) {
		const char *opt = argv[i], *val = NULL;

		if (!strcmp(opt, "--threshold") || !strcmp(opt, "--osv-db") || !strcmp(opt, "--config")) {
			if (i + 1 >= argc) {
				ctl_err("plugin validate: %s needs a value", opt);
				return -1;
			}
			val = argv[++i];
		} else if (!strncmp(opt, "--threshold=", 12)) {
			opt = "--threshold", val = argv[i] + 12;
		} else if (!strncmp(opt, "--osv-db=", 9)) {
			opt = "--osv-db", val = argv[i] + 9;
		} else if (opt[0] == '-') {
			ctl_err("plugin validate: unknown option %s", opt);
			return -1;
		} else if (!a->dir) {
			a->dir = opt;
			continue;
		} else {
			ctl_err("plugin validate: unexpected argument %s", opt);
			return -1;
		}
		if (!strcmp(opt, "--threshold") && severity_parse(val, &a->threshold) < 0) {
			ctl_err("--threshold: expected info, low, medium, high or critical, got \"%s\"", val);
			return -1;
		}
		if (!strcmp(opt, "--osv-db"))
			a->osv = val;
		if (!strcmp(opt, "--config"))
			a->config = val;
	}
	if (!a->dir) {
		ctl_err("usage: raggedctl plugin validate DIR [--threshold info|low|medium|high|critical] "
			"[--osv-db DIR]");
		return -1;
	}
	return 0;
}

void ctl_validate_opts(const char *config, const char *osv, struct validate_opts *o,
		       char *osv_buf, size_t len)
{
	struct ragged_config cfg;
	char err[512];
	const char *path = config ? config : getenv("RAGGED_CONFIG");

	memset(o, 0, sizeof(*o));
	osv_buf[0] = '\0';
	if (config_load(path && *path ? path : "/etc/ragged/agent.toml", path && *path ? 1 : 0, &cfg,
			err, sizeof(err)) < 0) {
		if (config)
			ctl_err("%s (using defaults)", err);
		config_defaults(&cfg);
	}
	if (osv)
		snprintf(osv_buf, len, "%s", osv);
	else if (getenv("RAGGED_OSV_DB") && *getenv("RAGGED_OSV_DB"))
		snprintf(osv_buf, len, "%s", getenv("RAGGED_OSV_DB"));
	else
		snprintf(osv_buf, len, "%s", cfg.advisory_db);
	o->osv_dir = osv_buf[0] ? osv_buf : NULL;
	o->embedding_port = cfg.embedding.port;
	o->vectorstore_port = cfg.vectorstore.port;
	config_free(&cfg);
}

int cmd_validate(struct ctl *c, int argc, char **argv)
{
	struct vargs a = { 0 };
	struct validate_opts o;
	struct validate_report r;
	struct manifest m;
	char path[PATH_MAX], err[512], osv[PATH_MAX], mdigest[65] = "";
	bool valid, blocks;
	unsigned counts[5];

	if (parse(argc, argv, &a) < 0)
		return EXIT_USAGE;
	ctl_validate_opts(a.config, a.osv, &o, osv, sizeof(osv));
	if (snprintf(path, sizeof(path), "%s/plugin.toml", a.dir) >= (int)sizeof(path)) {
		ctl_err("%s: path too long", a.dir);
		return 1;
	}
	valid = manifest_load(path, &m, err, sizeof(err)) == 0;
	if (validate_dir(a.dir, valid ? &m : NULL, &o, &r, path, sizeof(path)) < 0) {
		ctl_err("%s", path);
		if (valid)
			manifest_free(&m);
		return 1;
	}
	if (valid)
		manifest_digest_hex(&m, mdigest);
	else
		validate_add_manifest_error(&r, err);
	blocks = validate_blocks(&r, a.threshold);
	validate_counts(&r, counts);
	if (c->format == FMT_JSON) {
		cJSON *j = validate_report_json(&r);

		cJSON_AddStringToObject(j, "dir", a.dir);
		cJSON_AddBoolToObject(j, "valid", valid);
		if (valid) {
			cJSON_AddStringToObject(j, "name", m.name);
			cJSON_AddStringToObject(j, "version", m.version);
			cJSON_AddStringToObject(j, "manifest_digest", mdigest);
		} else {
			cJSON_AddStringToObject(j, "error", err);
		}
		cJSON_AddStringToObject(j, "threshold", severity_name(a.threshold));
		cJSON_AddBoolToObject(j, "blocked", blocks);
		if (o.osv_dir)
			cJSON_AddStringToObject(j, "advisory_db", o.osv_dir);
		else
			cJSON_AddNullToObject(j, "advisory_db");
		render_json(j);
		cJSON_Delete(j);
	} else {
		if (valid)
			printf("%s: %s %s, %u file(s), %u line(s) of code, digest %.12s\n", ctl_safe(a.dir),
			       ctl_safe(m.name), ctl_safe(m.version), r.files, r.lines, r.digest);
		else
			printf("%s: the manifest does not parse\n", ctl_safe(a.dir));
		validate_report_text(&r, stdout);
		if (blocks) {
			unsigned at = 0;

			for (int sv = (int)a.threshold; sv <= SEV_CRITICAL; sv++)
				at += counts[sv];
			printf("BLOCKED: %u finding(s) at or above %s: the agent refuses to install or run "
			       "this plugin\n", at, severity_name(a.threshold));
		}
		else
			printf("ok: nothing at or above %s\n", severity_name(a.threshold));
	}
	if (!valid)
		ctl_err("%s", err);
	else
		manifest_free(&m);
	validate_report_free(&r);
	return valid && !blocks ? 0 : 1;
}
