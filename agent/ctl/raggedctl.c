// SPDX-License-Identifier: MIT
/*
 * raggedctl: the client for people and for ragged. Global options
 * (--format, --socket, --help, --version; cmdtab.c) go anywhere before the
 * command's own "--"; the command and its options are parsed against the
 * one command table, which `raggedctl help` also renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"
#include "ctl.h"

/* --format first: every error after it, even one about the arguments, is in its format. */
static int early_format(int argc, char **argv, struct ctl *c)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *v = NULL;

		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			v = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			v = argv[i] + 9;
		if (v && ctl_parse_format(v, &c->format) < 0)
			return -1;
	}
	ctl_err_format(c->format);
	return 0;
}

static int run(int argc, char **argv)
{
	struct ctl c = { .socket_path = "/run/ragged/agent.sock", .format = FMT_TABLE };
	const struct ctl_cmd *cmd;
	struct ctl_args a;
	const char *group;
	char *rest[256];
	int n = 0, i, used, rc;
	bool help = false;

	if (early_format(argc, argv, &c) < 0)
		return EXIT_BAD_INPUT;
	if (getenv("RAGGED_SOCKET") && *getenv("RAGGED_SOCKET"))
		c.socket_path = getenv("RAGGED_SOCKET");
	/* Pull out the global options; everything after "--" stays for the command. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--socket") == 0) {
			if (i + 1 >= argc) {
				ctl_err("%s needs a value (see raggedctl help)", argv[i]);
				return EXIT_BAD_INPUT;
			}
			if (strcmp(argv[i++], "--socket") == 0)
				c.socket_path = argv[i];
			continue;
		}
		if (strncmp(argv[i], "--format=", 9) == 0)
			continue;	/* early_format took it */
		if (strncmp(argv[i], "--socket=", 9) == 0) {
			c.socket_path = argv[i] + 9;
			continue;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("raggedctl %s\n", RAGGED_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help = true;
			continue;
		}
		if (n >= (int)(sizeof(rest) / sizeof(rest[0])) - 1) {
			ctl_err("too many arguments");
			return EXIT_BAD_INPUT;
		}
		rest[n++] = argv[i];
	}
	for (; i < argc; i++) {
		if (n >= (int)(sizeof(rest) / sizeof(rest[0])) - 1) {
			ctl_err("too many arguments");
			return EXIT_BAD_INPUT;
		}
		rest[n++] = argv[i];
	}
	rest[n] = NULL;
	if (n == 0 && !help) {
		ctl_err("no command given (see raggedctl help)");
		return EXIT_BAD_INPUT;
	}
	cmd = ctl_find(rest, n, &used, &group);
	/* COMMAND --help is help COMMAND (help --help: help's own); help's words follow "help". */
	if (help)
		return ctl_help(stdout, c.format, rest, cmd ? used : n < 2 ? n : 2);
	if (cmd && !cmd->fn)
		return ctl_help(stdout, c.format, rest + used, n - used);
	if (!cmd) {
		if (group)
			ctl_err("%.*s: %s %s (see raggedctl help %.*s)", (int)strcspn(group, " "), group,
				n > 1 ? "unknown subcommand" : "missing subcommand", n > 1 ? rest[1] : "",
				(int)strcspn(group, " "), group);
		else
			ctl_err("unknown command: %s (see raggedctl help)", rest[0]);
		return EXIT_BAD_INPUT;
	}
	if (c.format == FMT_PROMETHEUS && strcmp(cmd->path, "status") != 0) {
		ctl_err("--format prometheus: only status has metrics");
		return EXIT_BAD_INPUT;
	}
	rc = ctl_parse(cmd, n - used, rest + used, &a);
	return rc ? rc : cmd->fn(&c, &a);
}

int main(int argc, char **argv)
{
	return ctl_finish(run(argc, argv));
}
