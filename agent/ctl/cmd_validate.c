// SPDX-License-Identifier: MIT
/*
 * raggedctl plugin validate DIR [--threshold SEV] [--osv-db DIR]
 *
 * Local, no agent: the manifest and the static analysis of validate.h,
 * the same checks the agent runs on install and before each run. Exit
 * status EXIT_BAD_INPUT when the manifest is invalid, EXIT_FINDINGS when a
 * finding reaches the threshold (critical by default, as in the agent),
 * EXIT_IO when the directory cannot be read, 0 otherwise.
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
#include "cmdtab.h"
#include "config/config.h"
#include "ctl.h"

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
		/* A failed load still leaves an allocated config behind. */
		config_free(&cfg);
		config_defaults(&cfg);
	}
	if (osv)
		snprintf(osv_buf, len, "%s", osv);
	else if (getenv("RAGGED_OSV_DB") && *getenv("RAGGED_OSV_DB"))
		snprintf(osv_buf, len, "%s", getenv("RAGGED_OSV_DB"));
	else
		snprintf(osv_buf, len, "%s", cfg.advisory_db);
	o->osv_dir = osv_buf[0] ? osv_buf : NULL;
	o->osv_max_age_days = cfg.advisory_max_age_days;
	o->embedding_port = cfg.embedding.port;
	o->vectorstore_port = cfg.vectorstore.port;
	config_free(&cfg);
}

int cmd_plugin_validate(struct ctl *c, const struct ctl_args *a)
{
	const char *dir = a->pos[0], *sev = ctl_arg(a, "--threshold");
	enum severity threshold = SEV_CRITICAL;
	struct validate_opts o;
	struct validate_report r;
	struct manifest m;
	char path[PATH_MAX], err[512], osv[PATH_MAX], mdigest[65] = "";
	bool valid, blocks;
	unsigned counts[5];

	/* The parser took only a listed severity. */
	if (sev && severity_parse(sev, &threshold) < 0)
		return EXIT_BAD_INPUT;
	ctl_validate_opts(ctl_arg(a, "--config"), ctl_arg(a, "--osv-db"), &o, osv, sizeof(osv));
	if (snprintf(path, sizeof(path), "%s/plugin.toml", dir) >= (int)sizeof(path)) {
		ctl_err("plugin validate: %s: path too long", dir);
		return EXIT_BAD_INPUT;
	}
	valid = manifest_load(path, &m, err, sizeof(err)) == 0;
	if (validate_dir(dir, valid ? &m : NULL, &o, &r, path, sizeof(path)) < 0) {
		ctl_err("%s", path);
		if (valid)
			manifest_free(&m);
		return EXIT_IO;
	}
	if (valid)
		manifest_digest_hex(&m, mdigest);
	else
		validate_add_manifest_error(&r, err);
	blocks = validate_blocks(&r, threshold);
	validate_counts(&r, counts);
	if (c->format == FMT_JSON) {
		cJSON *j = validate_report_json(&r);

		cJSON_AddStringToObject(j, "dir", dir);
		cJSON_AddBoolToObject(j, "valid", valid);
		if (valid) {
			cJSON_AddStringToObject(j, "name", m.name);
			cJSON_AddStringToObject(j, "version", m.version);
			cJSON_AddStringToObject(j, "manifest_digest", mdigest);
		} else {
			cJSON_AddStringToObject(j, "error", err);
		}
		cJSON_AddStringToObject(j, "threshold", severity_name(threshold));
		cJSON_AddBoolToObject(j, "blocked", blocks);
		if (o.osv_dir)
			cJSON_AddStringToObject(j, "advisory_db", o.osv_dir);
		else
			cJSON_AddNullToObject(j, "advisory_db");
		if (r.advisories_fetched_at[0]) {
			cJSON_AddStringToObject(j, "advisories_fetched_at", r.advisories_fetched_at);
			cJSON_AddNumberToObject(j, "advisories_age_days", (double)r.advisories_age_days);
		}
		render_json(j);
		cJSON_Delete(j);
	} else {
		if (valid)
			printf("%s: %s %s, %u file(s), %u line(s) of code, digest %.12s\n", ctl_safe(dir),
			       ctl_safe(m.name), ctl_safe(m.version), r.files, r.lines, r.digest);
		else
			printf("%s: the manifest does not parse\n", ctl_safe(dir));
		if (r.advisories_fetched_at[0])
			printf("advisories: fetched %s, %lld day(s) old\n", r.advisories_fetched_at,
			       (long long)r.advisories_age_days);
		validate_report_text(&r, stdout);
		if (blocks) {
			unsigned at = 0;

			for (int sv = (int)threshold; sv <= SEV_CRITICAL; sv++)
				at += counts[sv];
			printf("BLOCKED: %u finding(s) at or above %s: the agent refuses to install or run "
			       "this plugin\n", at, severity_name(threshold));
		}
		else
			printf("ok: nothing at or above %s\n", severity_name(threshold));
	}
	if (!valid)
		ctl_err("%s", err);
	else
		manifest_free(&m);
	validate_report_free(&r);
	return !valid ? EXIT_BAD_INPUT : blocks ? EXIT_FINDINGS : 0;
}
