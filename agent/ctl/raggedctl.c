// SPDX-License-Identifier: MIT
/*
 * raggedctl: the client for people and for ragged. Global options come
 * first or anywhere before the command's own "--": --format table|json and
 * --socket PATH (default /run/ragged/agent.sock, or $RAGGED_SOCKET).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static void usage(FILE *f)
{
	fputs("usage: raggedctl [--format table|json] [--socket PATH] [--version] COMMAND ...\n"
	      "  plugin install DIR [--replace] [--accept-risk] | list | permissions NAME\n"
	      "  plugin validate DIR [--threshold info|low|medium|high|critical]\n"
	      "  plugin grant NAME [--permission P]... | revoke NAME --permission P\n"
	      "  run NAME [--yes] [-- ARGS...]\n"
	      "  audit show [--plugin N] [--since T] [--until T] [--event E] [--result R]\n"
	      "  audit follow [filters] | audit verify [--file PATH]\n"
	      "  security report --plugins\n"
	      "  advisories update [--source URL|PATH] [--min-count N] | advisories status\n"
	      "  permissions [PERMISSION]     every permission: risk, what it grants here\n"
	      "  status\n", f);
}

int main(int argc, char **argv)
{
	struct ctl c = { .socket_path = "/run/ragged/agent.sock", .format = FMT_TABLE };
	char *rest[256];
	int n = 0, i;
	bool passthrough = false;

	if (getenv("RAGGED_SOCKET") && *getenv("RAGGED_SOCKET"))
		c.socket_path = getenv("RAGGED_SOCKET");
	/* Pull out the global options; everything after "--" belongs to the plugin. */
	for (i = 1; i < argc; i++) {
		if (!passthrough && strcmp(argv[i], "--") == 0)
			passthrough = true;
		if (!passthrough && (strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "--socket") == 0)) {
			if (i + 1 >= argc) {
				fprintf(stderr, "raggedctl: %s needs a value\n", argv[i]);
				return EXIT_USAGE;
			}
			if (strcmp(argv[i], "--socket") == 0)
				c.socket_path = argv[++i];
			else if (ctl_parse_format(argv[++i], &c.format) < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!passthrough && strncmp(argv[i], "--format=", 9) == 0) {
			if (ctl_parse_format(argv[i] + 9, &c.format) < 0)
				return EXIT_USAGE;
			continue;
		}
		if (!passthrough && strcmp(argv[i], "--version") == 0) {
			printf("raggedctl %s\n", RAGGED_VERSION);
			return 0;
		}
		if (!passthrough && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
			usage(stdout);
			return 0;
		}
		if (n >= (int)(sizeof(rest) / sizeof(rest[0])) - 1) {
			fprintf(stderr, "raggedctl: too many arguments\n");
			return EXIT_USAGE;
		}
		rest[n++] = argv[i];
	}
	rest[n] = NULL;
	if (n == 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (c.format == FMT_PROMETHEUS && strcmp(rest[0], "status") != 0) {
		fprintf(stderr, "raggedctl: --format prometheus: only status has metrics\n");
		return EXIT_USAGE;
	}
	if (strcmp(rest[0], "plugin") == 0)
		return cmd_plugin(&c, n - 1, rest + 1);
	if (strcmp(rest[0], "run") == 0)
		return cmd_run(&c, n - 1, rest + 1);
	if (strcmp(rest[0], "audit") == 0)
		return cmd_audit(&c, n - 1, rest + 1);
	if (strcmp(rest[0], "permissions") == 0)
		return cmd_permissions(&c, n - 1, rest + 1);
	if (strcmp(rest[0], "status") == 0)
		return cmd_status(&c, n - 1, rest + 1);
	if (strcmp(rest[0], "security") == 0)
		return cmd_security(&c, n - 1, rest + 1);
	if (strcmp(rest[0], "advisories") == 0)
		return cmd_advisories(&c, n - 1, rest + 1);
	fprintf(stderr, "raggedctl: unknown command: %s\n", rest[0]);
	usage(stderr);
	return EXIT_USAGE;
}
