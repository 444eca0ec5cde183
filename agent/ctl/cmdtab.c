// SPDX-License-Identifier: MIT
/*
 * The one table of raggedctl's commands and options, and the parser it
 * drives. help.c renders the same table; nothing else lists options.
 */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cmdtab.h"
#include "util/util.h"
#include "validate/validate.h"

/* ---- the valid values of an option, i = 0.. until NULL ---- */

static const char *format_at(int i)
{
	static const char *const v[] = { "table", "text", "json", "prometheus", NULL };

	return i >= 0 && i < 4 ? v[i] : NULL;
}

static const char *severity_at(int i)
{
	return i >= SEV_INFO && i <= SEV_CRITICAL ? severity_name((enum severity)i) : NULL;
}

static const char *permission_at(int i)
{
	return i >= 0 && i < RAGGED_PERM_COUNT ? perm_name((enum ragged_perm)i) : NULL;
}

static const char *event_at(int i)
{
	for (int k = 0; audit_event_names[k]; k++)
		if (k == i)
			return audit_event_names[k];
	return NULL;
}

static const char *result_at(int i)
{
	for (int k = 0; audit_result_names[k]; k++)
		if (k == i)
			return audit_result_names[k];
	return NULL;
}

/* ---- options ---- */

const struct ctl_opt ctl_global_opts[] = {
	{ "--format", NULL, "FORMAT", format_at, NULL, false,
	  "output: a readable table (text is the same), json, or prometheus (status only); "
	  "with json, errors are JSON on stderr too" },
	{ "--socket", NULL, "PATH", NULL, "file", false,
	  "the agent's socket (default $RAGGED_SOCKET, else /run/ragged/agent.sock)" },
	{ "--help", "-h", NULL, NULL, NULL, false, "this command's usage and options" },
	{ "--version", NULL, NULL, NULL, NULL, false, "print the version and exit" },
	{ NULL, NULL, NULL, NULL, NULL, false, NULL },
};

static const struct ctl_opt o_replace = { "--replace", NULL, NULL, NULL, NULL, false,
	"replace an installed plugin of the same name" };
static const struct ctl_opt o_accept = { "--accept-risk", NULL, NULL, NULL, NULL, false,
	"install despite blocking findings: accepts exactly the scanned content (audited)" };
static const struct ctl_opt o_threshold = { "--threshold", NULL, "SEV", severity_at, NULL, false,
	"findings at or above this severity block (default critical, as in the agent)" };
static const struct ctl_opt o_osv = { "--osv-db", NULL, "DIR", NULL, "dir", false,
	"the advisory database (default $RAGGED_OSV_DB, else the config's advisory_db)" };
static const struct ctl_opt o_config = { "--config", NULL, "FILE", NULL, "file", false,
	"the agent config for the advisory database and service ports "
	"(default $RAGGED_CONFIG, else /etc/ragged/agent.toml)" };
static const struct ctl_opt o_permission = { "--permission", "-p", "P", permission_at, NULL, true,
	"a permission; repeat for more" };
static const struct ctl_opt o_yes = { "--yes", "-y", NULL, NULL, NULL, false,
	"grant exactly the required permissions without asking" };
static const struct ctl_opt o_plugin = { "--plugin", NULL, "NAME", NULL, "plugin", false,
	"only this plugin's records" };
static const struct ctl_opt o_since = { "--since", NULL, "T", NULL, NULL, false,
	"records at or after T: -Nd, -Nh, -Nm, -Ns (ago) or RFC 3339" };
static const struct ctl_opt o_until = { "--until", NULL, "T", NULL, NULL, false,
	"records at or before T: -Nd, -Nh, -Nm, -Ns (ago) or RFC 3339" };
static const struct ctl_opt o_event = { "--event", NULL, "E", event_at, NULL, false,
	"only records of this event" };
static const struct ctl_opt o_result = { "--result", NULL, "R", result_at, NULL, false,
	"only records with this result" };
static const struct ctl_opt o_file = { "--file", NULL, "PATH", NULL, "file", false,
	"verify a copy of the log offline, without the agent (needs read access)" };
static const struct ctl_opt o_plugins = { "--plugins", NULL, NULL, NULL, NULL, false,
	"report on the installed plugins (required)" };
static const struct ctl_opt o_report_plugin = { "--plugin", NULL, "NAME", NULL, "plugin", false,
	"only this plugin" };
static const struct ctl_opt o_report_since = { "--since", NULL, "T", NULL, NULL, false,
	"the window of recent activity: -Nd, -Nh, -Nm, -Ns or RFC 3339 (default -7d)" };

static const struct ctl_opt o_adv_source = { "--source", NULL, "URL|PATH", NULL, "file", false,
	"where to fetch the OSV PyPI export: https:// URL (default the public export), "
	"a local file or file:// URL" };
static const struct ctl_opt o_adv_dir = { "--dir", NULL, "DIR", NULL, "dir", false,
	"the advisory directory (default the config's advisory_db)" };
static const struct ctl_opt o_adv_min = { "--min-count", NULL, "N", NULL, NULL, false,
	"refuse an export with fewer advisories (default 1000)" };

/* ---- commands ---- */

const struct ctl_cmd ctl_commands[] = {
	{ "plugin install", "DIR", 1, 1, "dir", false, NULL,
	  "validate the plugin in DIR, register it, show its permissions; blocking findings "
	  "refuse the install unless --accept-risk",
	  { &o_replace, &o_accept }, cmd_plugin_install },
	{ "plugin list", "", 0, 0, NULL, false, NULL,
	  "the installed plugins with their permissions", { NULL }, cmd_plugin_list },
	{ "plugin validate", "DIR", 1, 1, "dir", false, NULL,
	  "run the validator on DIR without installing (local, no agent)",
	  { &o_threshold, &o_osv, &o_config }, cmd_plugin_validate },
	{ "plugin permissions", "NAME", 1, 1, "plugin", false, NULL,
	  "a plugin's declared permissions, granted or not, since when",
	  { NULL }, cmd_plugin_permissions },
	{ "plugin grant", "NAME", 1, 1, "plugin", false, NULL,
	  "grant permissions (none given: the required ones)", { &o_permission }, cmd_plugin_grant },
	{ "plugin revoke", "NAME", 1, 1, "plugin", false, "--permission",
	  "revoke permissions; takes effect in running instances at once",
	  { &o_permission }, cmd_plugin_revoke },
	{ "run", "NAME", 1, 1, "plugin", true, NULL,
	  "run the plugin with this terminal's stdio; permissions not yet granted are asked",
	  { &o_yes }, cmd_run },
	{ "audit show", "", 0, 0, NULL, false, NULL, "audit records, oldest first, filtered",
	  { &o_plugin, &o_since, &o_until, &o_event, &o_result }, cmd_audit_show },
	{ "audit follow", "", 0, 0, NULL, false, NULL,
	  "new audit records as they are written, filtered",
	  { &o_plugin, &o_since, &o_until, &o_event, &o_result }, cmd_audit_follow },
	{ "audit verify", "", 0, 0, NULL, false, NULL, "check the audit log's hash chain",
	  { &o_file }, cmd_audit_verify },
	{ "security report", "", 0, 0, NULL, false, "--plugins",
	  "the enforcement mode, and each plugin's exposure, findings and recent activity",
	  { &o_plugins, &o_report_plugin, &o_report_since, &o_osv, &o_config }, cmd_security_report },
	{ "advisories update", "", 0, 0, NULL, false, NULL,
	  "as root: fetch, verify and atomically install the advisory data; the agent records it",
	  { &o_adv_source, &o_adv_dir, &o_config, &o_adv_min }, cmd_advisories_update },
	{ "advisories status", "", 0, 0, NULL, false, NULL,
	  "when the advisory data was fetched, from where; exit 1 when stale",
	  { &o_adv_dir, &o_config }, cmd_advisories_status },
	{ "permissions", "[PERMISSION]", 0, 1, "permission", false, NULL,
	  "every permission (or one): its risk, what it grants on this machine",
	  { NULL }, cmd_permissions },
	{ "status", "", 0, 0, NULL, false, NULL,
	  "the enforcement mode and why, kernel features, counters", { NULL }, cmd_status },
	{ "help", "[COMMAND [SUB] | exit-codes]", 0, 2, "command", false, NULL,
	  "a command's usage and options, or the exit codes", { NULL }, NULL },
	{ NULL, NULL, 0, 0, NULL, false, NULL, NULL, { NULL }, NULL },
};

/* ---- lookup ---- */

static size_t first_word(const char *path)
{
	const char *sp = strchr(path, ' ');

	return sp ? (size_t)(sp - path) : strlen(path);
}

const struct ctl_cmd *ctl_find(char **words, int n, int *used, const char **group)
{
	*used = 0;
	*group = NULL;
	if (n < 1)
		return NULL;
	for (const struct ctl_cmd *c = ctl_commands; c->path; c++) {
		size_t w = first_word(c->path);

		if (strlen(words[0]) != w || strncmp(c->path, words[0], w) != 0)
			continue;
		if (!c->path[w]) {
			*used = 1;
			return c;
		}
		*group = c->path;	/* the group exists; the subcommand may not */
		if (n >= 2 && strcmp(c->path + w + 1, words[1]) == 0) {
			*used = 2;
			*group = NULL;
			return c;
		}
	}
	return NULL;
}

const char *ctl_arg(const struct ctl_args *a, const char *name)
{
	for (int i = 0; a->cmd->opts[i]; i++)
		if (strcmp(a->cmd->opts[i]->name, name) == 0)
			return a->val[i];
	return NULL;
}

bool ctl_flag(const struct ctl_args *a, const char *name)
{
	return ctl_arg(a, name) != NULL;
}

/* ---- parsing ---- */

static int bad_value(const struct ctl_cmd *cmd, const struct ctl_opt *o, const char *val)
{
	char list[512];
	size_t n = 0;
	const char *v, *sug = o->value_at == permission_at ? perm_suggest(val) : NULL;

	list[0] = '\0';
	for (int i = 0; (v = o->value_at(i)) && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? "|" : "", v);
	if (sug)
		ctl_err("%s: %s: unknown permission \"%.64s\" (did you mean %s?)", cmd->path, o->name,
			val, sug);
	else
		ctl_err("%s: %s: expected %s, got \"%.64s\"", cmd->path, o->name, list, val);
	return EXIT_BAD_INPUT;
}

static bool value_ok(const struct ctl_opt *o, const char *val)
{
	const char *v;

	if (!o->value_at)
		return true;
	for (int i = 0; (v = o->value_at(i)); i++)
		if (strcmp(v, val) == 0)
			return true;
	return false;
}

/* Which of cmd's options ARG names (its part before any "="); -1 if none. */
static int opt_index(const struct ctl_cmd *cmd, const char *arg, size_t len)
{
	for (int i = 0; cmd->opts[i]; i++) {
		const struct ctl_opt *o = cmd->opts[i];

		if ((strlen(o->name) == len && strncmp(o->name, arg, len) == 0) ||
		    (o->alias && strlen(o->alias) == len && strncmp(o->alias, arg, len) == 0))
			return i;
	}
	return -1;
}

static int usage_error(const struct ctl_cmd *cmd, const char *what, const char *arg)
{
	ctl_err("%s: %s%s%s (see raggedctl help %s)", cmd->path, what, arg ? " " : "", arg ? arg : "",
		cmd->path);
	return EXIT_BAD_INPUT;
}

int ctl_parse(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_args *a)
{
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq, *val = NULL;
		const struct ctl_opt *o;
		int k;

		if (strcmp(arg, "--") == 0 && cmd->passthrough) {
			a->rest = argv + i + 1;
			a->nrest = argc - i - 1;
			break;
		}
		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a->npos >= cmd->max_pos)
				return usage_error(cmd, cmd->passthrough
					? "unexpected argument (plugin arguments go after --):"
					: "unexpected argument", arg);
			a->pos[a->npos++] = arg;
			continue;
		}
		eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
		k = opt_index(cmd, arg, eq ? (size_t)(eq - arg) : strlen(arg));
		if (k < 0)
			return usage_error(cmd, "unknown option", arg);
		o = cmd->opts[k];
		if (!o->metavar) {
			if (eq) {
				ctl_err("%s: %s takes no value", cmd->path, o->name);
				return EXIT_BAD_INPUT;
			}
			a->val[k] = "";
			continue;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			ctl_err("%s: %s needs a value (%s)", cmd->path, o->name, o->metavar);
			return EXIT_BAD_INPUT;
		}
		if (!value_ok(o, val))
			return bad_value(cmd, o, val);
		if (o->repeat) {
			if (a->nrep >= CTL_MAX_REPEAT) {
				ctl_err("%s: %s given more than %d times", cmd->path, o->name, CTL_MAX_REPEAT);
				return EXIT_BAD_INPUT;
			}
			a->rep[a->nrep++] = val;
		} else if (a->val[k]) {
			ctl_err("%s: %s given twice", cmd->path, o->name);
			return EXIT_BAD_INPUT;
		}
		a->val[k] = val;
	}
	if (a->npos < cmd->min_pos || (cmd->required && !ctl_flag(a, cmd->required))) {
		char usage[512];

		ctl_usage_line(usage, sizeof(usage), cmd);
		ctl_err("%s: missing %s (usage: %s)", cmd->path,
			a->npos < cmd->min_pos ? cmd->args : cmd->required, usage);
		return EXIT_BAD_INPUT;
	}
	return 0;
}
