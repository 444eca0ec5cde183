// SPDX-License-Identifier: MIT
/*
 * raggedctl run NAME [--yes] [-- ARGS...]
 * Our stdin/stdout/stderr go to the agent with SCM_RIGHTS and become the
 * plugin's, except a terminal: for that the plugin gets a pty we relay
 * (ttyrelay.c). We then wait for the agent to say how the run ended, answer
 * its consent prompts (prompt.c), and exit with the plugin's status (128+N
 * for signal N, 77 no consent, 125 no sandbox).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "proto/proto.h"
#include "ttyrelay.h"

/* How the run ended, as our exit status; prints the agent's reason. */
static int run_ended(struct tty_relay *tty, cJSON *msg)
{
	const char *type = proto_str(msg, "type");
	int code = EXIT_SANDBOX;
	long long v;

	/* All the plugin wrote comes before whatever we say. */
	tty_relay_flush(tty, (size_t)-1);
	tty_relay_end(tty);
	if (strcmp(type, "exit") == 0) {
		if (proto_int(msg, "signal", &v) == 0 && v > 0 && v < 128)
			code = 128 + (int)v;
		else if (proto_int(msg, "status", &v) == 0 && v >= 0 && v < 256)
			code = (int)v;
		if (proto_str(msg, "reason"))
			ctl_err("%s", proto_str(msg, "reason"));
	} else {
		if (proto_int(msg, "code", &v) == 0 && (v == EXIT_CONSENT || v == EXIT_SANDBOX))
			code = (int)v;
		ctl_err("%s", proto_str(msg, "message") ? proto_str(msg, "message") : "run failed");
	}
	return code;
}

/* Relay, answer prompts, until the agent says how the run ended. */
static int run_conversation(struct tty_relay *tty, int fd)
{
	cJSON *msg, *early = NULL;
	int fds[PROTO_MAX_FDS], nfds = 0;

	for (;;) {
		const char *type;
		int rc = 1, code;

		if (early) {
			msg = early;	/* came while a prompt was on screen */
			early = NULL;
		} else {
			rc = tty_relay_recv(tty, fd, &msg, fds, &nfds);
			for (int k = 0; k < nfds; k++)
				close(fds[k]);
		}
		if (rc <= 0 || !msg) {
			tty_relay_flush(tty, (size_t)-1);
			tty_relay_end(tty);
			ctl_err("lost the agent during the run%s%s", rc < 0 ? ": " : "",
				rc < 0 ? strerror(errno) : "");
			return EXIT_SANDBOX;
		}
		type = proto_str(msg, "type");
		if (type && strcmp(type, "prompt") == 0) {
			int yes = tty_prompt(tty, fd, msg, &early);

			cJSON_Delete(msg);
			if (yes >= 0) {
				cJSON *ans = ctl_req("answer");

				cJSON_AddBoolToObject(ans, "yes", yes == 1);
				proto_send(fd, ans, NULL, 0);
				cJSON_Delete(ans);
			} else if (!early) {
				/* The agent went away mid-prompt. */
				tty_relay_end(tty);
				ctl_err("lost the agent during the run");
				return EXIT_SANDBOX;
			}
			continue;
		}
		if (type && (strcmp(type, "exit") == 0 || strcmp(type, "error") == 0)) {
			code = run_ended(tty, msg);
			cJSON_Delete(msg);
			return code;
		}
		cJSON_Delete(msg);	/* "started", and kinds we do not know, need nothing */
	}
}

int cmd_run(struct ctl *c, int argc, char **argv)
{
	const char *name = NULL;
	bool yes = false;
	int stdio[3], fd, i, code;
	struct tty_relay tty;
	char err[256];
	cJSON *req, *args;

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
	req = ctl_req("run");
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
	if (tty_relay_setup(&tty, stdio, err, sizeof(err)) < 0) {
		ctl_err("%s", err);
		cJSON_Delete(req);
		close(fd);
		return EXIT_SANDBOX;
	}
	if (proto_send(fd, req, stdio, 3) < 0) {
		tty_relay_end(&tty);
		ctl_err("send to agent: %s", strerror(errno));
		cJSON_Delete(req);
		close(fd);
		return EXIT_SANDBOX;
	}
	cJSON_Delete(req);
	tty_relay_sent(&tty);
	code = run_conversation(&tty, fd);
	close(fd);
	return code;
}
