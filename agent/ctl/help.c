// SPDX-License-Identifier: MIT
/*
 * raggedctl help [COMMAND [SUB] | exit-codes] and COMMAND --help: rendered
 * from the command table (cmdtab.c) and the exit-code table
 * (ragged/exitcodes.h), as text or, with --format json, as one JSON object
 * that the bash completion and the drift test read.
 */
#include <stdio.h>
#include <string.h>

#include "cmdtab.h"
#include "ragged/exitcodes.h"

static const struct {
	int status;
	const char *code, *meaning;
} exit_table[] = {
#define ROW(name, status, code, meaning) { status, code, meaning },
	RAGGED_EXIT_CODES(ROW)
#undef ROW
};
#define N_EXIT (sizeof(exit_table) / sizeof(exit_table[0]))

const char *ctl_exit_code_name(int status)
{
	for (size_t i = 0; i < N_EXIT; i++)
		if (exit_table[i].status == status)
			return exit_table[i].code;
	return NULL;
}

const char *ctl_exit_code_meaning(int status)
{
	for (size_t i = 0; i < N_EXIT; i++)
		if (exit_table[i].status == status)
			return exit_table[i].meaning;
	return NULL;
}

static size_t put(char *buf, size_t len, size_t n, const char *fmt, const char *a, const char *b)
{
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, fmt, a ?: "", b ?: "");
	return n;
}

/* "--threshold SEV" (or the flag alone). */
static size_t opt_words(char *buf, size_t len, size_t n, const struct ctl_opt *o)
{
	return put(buf, len, n, o->metavar ? "%s %s" : "%s%s", o->name, o->metavar);
}

void ctl_usage_line(char *buf, size_t len, const struct ctl_cmd *cmd)
{
	size_t n = put(buf, len, 0, "raggedctl %s%s", cmd->path, "");

	if (cmd->args[0])
		n = put(buf, len, n, " %s%s", cmd->args, "");
	for (int i = 0; cmd->opts[i]; i++) {
		const struct ctl_opt *o = cmd->opts[i];
		bool req = cmd->required && strcmp(cmd->required, o->name) == 0;

		n = put(buf, len, n, req ? " %s%s" : " [%s", "", "");
		n = opt_words(buf, len, n, o);
		n = put(buf, len, n, req ? "%s%s" : "]%s", "", "");
		if (o->repeat)
			n = put(buf, len, n, "...%s%s", "", "");
	}
	if (cmd->passthrough)
		put(buf, len, n, " [-- ARGS...]%s%s", "", "");
}

static void values_text(FILE *out, const struct ctl_opt *o)
{
	const char *v;
	int col = 14;

	if (!o->value_at)
		return;
	fputs("      values: ", out);
	for (int i = 0; (v = o->value_at(i)); i++) {
		if (i && col + (int)strlen(v) + 1 > 78) {
			fputs("|\n              ", out);
			col = 14;
		} else if (i) {
			fputc('|', out);
			col++;
		}
		fputs(v, out);
		col += (int)strlen(v);
	}
	fputc('\n', out);
}

static void opt_text(FILE *out, const struct ctl_opt *o)
{
	char w[128];
	size_t n = opt_words(w, sizeof(w), 0, o);

	if (o->alias)
		put(w, sizeof(w), n, o->metavar ? ", %s %s" : ", %s%s", o->alias, o->metavar);
	fprintf(out, "  %s\n      %s\n", w, o->help);
	values_text(out, o);
}

static void globals_text(FILE *out)
{
	fputs("global options (anywhere before \"--\"; every --opt VALUE may be written --opt=VALUE):\n",
	      out);
	for (const struct ctl_opt *o = ctl_global_opts; o->name; o++)
		opt_text(out, o);
}

static void cmd_text(FILE *out, const struct ctl_cmd *cmd)
{
	char usage[512];

	ctl_usage_line(usage, sizeof(usage), cmd);
	fprintf(out, "usage: %s\n\n%s\n", usage, cmd->summary);
	if (cmd->opts[0]) {
		fputs("\noptions:\n", out);
		for (int i = 0; cmd->opts[i]; i++)
			opt_text(out, cmd->opts[i]);
	}
	if (cmd->passthrough)
		fputs("  -- ARGS...\n      everything after -- is the plugin's arguments\n", out);
	fputc('\n', out);
	globals_text(out);
}

static void exits_text(FILE *out)
{
	fputs("exit codes (a run otherwise exits with the plugin's own status, 128+N when it was\n"
	      "killed by signal N):\n", out);
	for (size_t i = 0; i < N_EXIT; i++)
		fprintf(out, "  %-4d %-18s %s\n", exit_table[i].status, exit_table[i].code,
			exit_table[i].meaning);
}

static void overview_text(FILE *out, const char *group)
{
	size_t glen = group ? strlen(group) : 0;

	if (!group)
		fputs("usage: raggedctl [--format FORMAT] [--socket PATH] COMMAND [ARGS...]\n"
		      "       raggedctl help [COMMAND [SUB] | exit-codes]\n"
		      "       raggedctl --version\n\n", out);
	fputs("commands:\n", out);
	for (const struct ctl_cmd *c = ctl_commands; c->path; c++) {
		char usage[512];

		if (group && (strncmp(c->path, group, glen) != 0 || c->path[glen] != ' '))
			continue;
		ctl_usage_line(usage, sizeof(usage), c);
		fprintf(out, "  %s\n      %s\n", usage + strlen("raggedctl "), c->summary);
	}
	fputs("\n`raggedctl help COMMAND` (or COMMAND --help) shows a command's options and their\n"
	      "values; `raggedctl help exit-codes` the exit codes.\n", out);
	if (!group) {
		fputc('\n', out);
		globals_text(out);
	}
}

/* ---- JSON ---- */

static cJSON *opt_json(const struct ctl_opt *o, const struct ctl_cmd *cmd)
{
	cJSON *j = cJSON_CreateObject(), *vals;
	const char *v;

	cJSON_AddStringToObject(j, "name", o->name);
	if (o->alias)
		cJSON_AddStringToObject(j, "alias", o->alias);
	else
		cJSON_AddNullToObject(j, "alias");
	if (o->metavar)
		cJSON_AddStringToObject(j, "value", o->metavar);
	else
		cJSON_AddNullToObject(j, "value");
	if (o->value_at) {
		vals = cJSON_AddArrayToObject(j, "values");
		for (int i = 0; (v = o->value_at(i)); i++)
			cJSON_AddItemToArray(vals, cJSON_CreateString(v));
	} else
		cJSON_AddNullToObject(j, "values");
	if (o->complete)
		cJSON_AddStringToObject(j, "complete", o->complete);
	else
		cJSON_AddNullToObject(j, "complete");
	cJSON_AddBoolToObject(j, "repeat", o->repeat);
	cJSON_AddBoolToObject(j, "required", cmd && cmd->required && !strcmp(cmd->required, o->name));
	cJSON_AddStringToObject(j, "help", o->help);
	return j;
}

static cJSON *cmd_json(const struct ctl_cmd *c)
{
	cJSON *j = cJSON_CreateObject(), *opts;
	char usage[512];

	ctl_usage_line(usage, sizeof(usage), c);
	cJSON_AddStringToObject(j, "command", c->path);
	cJSON_AddStringToObject(j, "usage", usage);
	cJSON_AddStringToObject(j, "args", c->args);
	cJSON_AddNumberToObject(j, "min_args", c->min_pos);
	cJSON_AddNumberToObject(j, "max_args", c->max_pos);
	if (c->complete)
		cJSON_AddStringToObject(j, "complete", c->complete);
	else
		cJSON_AddNullToObject(j, "complete");
	cJSON_AddBoolToObject(j, "passthrough", c->passthrough);
	cJSON_AddStringToObject(j, "summary", c->summary);
	opts = cJSON_AddArrayToObject(j, "options");
	for (int i = 0; c->opts[i]; i++)
		cJSON_AddItemToArray(opts, opt_json(c->opts[i], c));
	return j;
}

static cJSON *help_json(const char *only, bool group, bool exits_only)
{
	cJSON *j = cJSON_CreateObject(), *arr;
	size_t olen = only ? strlen(only) : 0;

	if (!exits_only) {
		arr = cJSON_AddArrayToObject(j, "commands");
		for (const struct ctl_cmd *c = ctl_commands; c->path; c++)
			if (!only || (group ? !strncmp(c->path, only, olen) && c->path[olen] == ' '
					    : !strcmp(c->path, only)))
				cJSON_AddItemToArray(arr, cmd_json(c));
		arr = cJSON_AddArrayToObject(j, "global_options");
		for (const struct ctl_opt *o = ctl_global_opts; o->name; o++)
			cJSON_AddItemToArray(arr, opt_json(o, NULL));
	}
	if (!only) {
		arr = cJSON_AddArrayToObject(j, "exit_codes");
		for (size_t i = 0; i < N_EXIT; i++) {
			cJSON *e = cJSON_CreateObject();

			cJSON_AddNumberToObject(e, "exit", exit_table[i].status);
			cJSON_AddStringToObject(e, "code", exit_table[i].code);
			cJSON_AddStringToObject(e, "meaning", exit_table[i].meaning);
			cJSON_AddItemToArray(arr, e);
		}
	}
	return j;
}

int ctl_help(FILE *out, enum out_format fmt, char **words, int n)
{
	const struct ctl_cmd *cmd;
	const char *group = NULL;
	int used;
	bool exits = n == 1 && strcmp(words[0], "exit-codes") == 0;

	cmd = exits ? NULL : ctl_find(words, n, &used, &group);
	if (n > 0 && !exits && (cmd ? used != n : !group || n > 1)) {
		ctl_err("help: unknown command: %s%s%s (see raggedctl help)", words[0], n > 1 ? " " : "",
			n > 1 ? words[1] : "");
		return EXIT_BAD_INPUT;
	}
	if (fmt == FMT_JSON) {
		char group_name[64] = "";
		cJSON *j;

		if (group)
			snprintf(group_name, sizeof(group_name), "%.*s", (int)strcspn(group, " "), group);
		j = help_json(exits ? NULL : cmd ? cmd->path : group ? group_name : NULL, !cmd && group,
			      exits);
		render_json(j);
		cJSON_Delete(j);
		return 0;
	}
	if (exits)
		exits_text(out);
	else if (cmd)
		cmd_text(out, cmd);
	else if (group) {
		char group_name[64];

		snprintf(group_name, sizeof(group_name), "%.*s", (int)strcspn(group, " "), group);
		overview_text(out, group_name);
	} else
		overview_text(out, NULL);
	return 0;
}
