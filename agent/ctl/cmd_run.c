// SPDX-License-Identifier: MIT
/*
 * raggedctl run NAME [--yes] [-- ARGS...]
 * Our stdin/stdout/stderr go to the agent with SCM_RIGHTS and become the
 * plugin's; we then wait for the agent to say how the run ended and exit
 * with the plugin's status (128+N for signal N, 77 no consent, 125 no sandbox).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "proto.h"

/*
 * A consent prompt from the agent: show what is asked, with risk and a
 * plain description, on the terminal, and read the answer from it. Only an
 * explicit "y" or "yes" is a yes; anything else, EOF included, is a no.
 */
static bool ask(const cJSON *msg)
{
	const cJSON *it;
	char line[64];
	FILE *tty = fopen("/dev/tty", "r+e");
	bool yes = false;

	if (!tty)
		return false;
	fprintf(tty, "\nPlugin \"%s\" %s %s:\n", proto_str(msg, "plugin") ?: "?",
		proto_str(msg, "version") ?: "",
		strcmp(proto_str(msg, "kind") ?: "", "optional") == 0 ? "asks, while running, for"
									: "needs these permissions");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(msg, "permissions")) {
		fprintf(tty, "  %-20s %-7s %s\n", proto_str(it, "name") ?: "?",
			proto_str(it, "risk") ?: "?", proto_str(it, "description") ?: "");
		ctl_show_endpoints(tty, cJSON_GetObjectItemCaseSensitive(it, "endpoints"));
	}
	fprintf(tty, "Allow? [y/N] ");
	fflush(tty);
	if (fgets(line, sizeof(line), tty)) {
		line[strcspn(line, "\r\n")] = '\0';
		yes = strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
	} else {
		fputc('\n', tty);
	}
	fclose(tty);
	return yes;
}

int cmd_run(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL;
	bool yes = false;
	int stdio[3] = { 0, 1, 2 }, fd, i, fds[3], nfds;
	cJSON *req, *args, *msg;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
			yes = true;
		else if (argv[i][0] == '-') {
			ctl_err("run: unknown option %s", argv[i]);
			return EXIT_USAGE;
		} else if (!name)
			name = argv[i];
		else {
			ctl_err("run: unexpected argument %s (plugin arguments go after --)", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (!name) {
		ctl_err("usage: raggedctl run NAME [--yes] [-- ARGS...]");
		return EXIT_USAGE;
	}
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "cmd", "run");
	cJSON_AddStringToObject(req, "plugin", name);
	cJSON_AddBoolToObject(req, "yes", yes);
	cJSON_AddBoolToObject(req, "tty", isatty(0) && isatty(2));
	args = cJSON_AddArrayToObject(req, "args");
	for (; i < argc; i++)
		cJSON_AddItemToArray(args, cJSON_CreateString(argv[i]));

	fd = ctl_connect(c);
	if (fd < 0) {
		cJSON_Delete(req);
		return EXIT_SANDBOX;
	}
	if (proto_send(fd, req, stdio, 3) < 0) {
		ctl_err("send to agent: %s", strerror(errno));
		cJSON_Delete(req);
		close(fd);
		return EXIT_SANDBOX;
	}
	cJSON_Delete(req);
	for (;;) {
		const char *type;
		long long v;
		int rc = proto_recv(fd, &msg, fds, &nfds);

		for (int k = 0; k < nfds; k++)
			close(fds[k]);
		if (rc <= 0) {
			ctl_err("lost the agent during the run%s%s", rc < 0 ? ": " : "",
				rc < 0 ? strerror(errno) : "");
			close(fd);
			return EXIT_SANDBOX;
		}
		type = proto_str(msg, "type");
		if (type && strcmp(type, "started") == 0) {
			cJSON_Delete(msg);
			continue;
		}
		if (type && strcmp(type, "prompt") == 0) {
			cJSON *ans = cJSON_CreateObject();

			cJSON_AddStringToObject(ans, "cmd", "answer");
			cJSON_AddBoolToObject(ans, "yes", ask(msg));
			proto_send(fd, ans, NULL, 0);
			cJSON_Delete(ans);
			cJSON_Delete(msg);
			continue;
		}
		if (type && strcmp(type, "exit") == 0) {
			int code = EXIT_SANDBOX;

			if (proto_int(msg, "signal", &v) == 0 && v > 0 && v < 128)
				code = 128 + (int)v;
			else if (proto_int(msg, "status", &v) == 0 && v >= 0 && v < 256)
				code = (int)v;
			if (proto_str(msg, "reason"))
				ctl_err("%s", proto_str(msg, "reason"));
			cJSON_Delete(msg);
			close(fd);
			return code;
		}
		if (type && strcmp(type, "error") == 0) {
			int code = EXIT_SANDBOX;

			if (proto_int(msg, "code", &v) == 0 && (v == EXIT_CONSENT || v == EXIT_SANDBOX))
				code = (int)v;
			ctl_err("%s", proto_str(msg, "message") ? proto_str(msg, "message") : "run failed");
			cJSON_Delete(msg);
			close(fd);
			return code;
		}
		cJSON_Delete(msg);	/* unknown message kinds are ignored */
	}
}
