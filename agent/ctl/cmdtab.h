/* SPDX-License-Identifier: MIT */
/*
 * raggedctl's commands and options, in one table (cmdtab.c) that drives the
 * parser, `raggedctl help` (text and JSON) and, through that JSON, the test
 * that keeps the man page and the bash completion in step with it.
 */
#ifndef RAGGED_CTL_CMDTAB_H
#define RAGGED_CTL_CMDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ctl.h"

#define CTL_MAX_POS 4
#define CTL_MAX_OPTS 8
#define CTL_MAX_REPEAT 64

struct ctl_opt {
	const char *name;	/* "--threshold" */
	const char *alias;	/* "-p", or NULL */
	const char *metavar;	/* "SEV"; NULL: a flag without a value */
	/* The valid values, i = 0.. until NULL; NULL: any value (metavar says what). */
	const char *(*value_at)(int i);
	/*
	 * What completes the value when there is no list: "plugin",
	 * "permission", "file", "dir" (the bash completion reads it from
	 * `raggedctl --format json help`), or NULL.
	 */
	const char *complete;
	bool repeat;		/* may be given more than once: every value is kept */
	const char *help;
};

struct ctl_args;

struct ctl_cmd {
	const char *path;	/* "plugin install" */
	const char *args;	/* the positional synopsis, "DIR" or "[PERMISSION]" */
	int min_pos, max_pos;
	const char *complete;	/* what completes a positional: "plugin", "permission", "dir", NULL */
	bool passthrough;	/* "-- ARGS...": everything after "--" is the plugin's */
	const char *required;	/* an option that must be given, or NULL */
	const char *summary;
	const struct ctl_opt *const opts[CTL_MAX_OPTS + 1];
	int (*fn)(struct ctl *c, const struct ctl_args *a);
};

/* One command line, parsed against its command's entry. */
struct ctl_args {
	const struct ctl_cmd *cmd;
	const char *pos[CTL_MAX_POS];
	int npos;
	const char *val[CTL_MAX_OPTS];	/* the (last) value of opts[i]; "" for a flag given */
	const char *rep[CTL_MAX_REPEAT];	/* every value of the repeatable option */
	int nrep;
	char **rest;		/* after "--" (passthrough commands) */
	int nrest;
};

extern const struct ctl_cmd ctl_commands[];
extern const struct ctl_opt ctl_global_opts[];

/* The value of option NAME ("" for a flag), NULL when it was not given. */
const char *ctl_arg(const struct ctl_args *a, const char *name);
/* Whether option NAME was given. */
bool ctl_flag(const struct ctl_args *a, const char *name);

/*
 * The command words[0..n) names: its entry, with *used set to how many
 * words the name took (1 or 2). NULL if none; *group set when words[0]
 * is a group ("plugin") whose subcommand is missing or unknown.
 */
const struct ctl_cmd *ctl_find(char **words, int n, int *used, const char **group);
/* Parse argv (after the command's name) into *a. 0, or EXIT_BAD_INPUT with the error printed. */
int ctl_parse(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_args *a);

/*
 * raggedctl help [COMMAND [SUB]] | exit-codes, in text or JSON (fmt).
 * 0, or EXIT_BAD_INPUT for an unknown command (error printed).
 */
int ctl_help(FILE *out, enum out_format fmt, char **words, int n);
/* The one-line usage of cmd in buf ("raggedctl plugin install DIR [--replace] ..."). */
void ctl_usage_line(char *buf, size_t len, const struct ctl_cmd *cmd);

#endif
