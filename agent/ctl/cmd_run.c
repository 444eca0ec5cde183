// SPDX-License-Identifier: MIT
/*
 * raggedctl run NAME [--yes] [-- ARGS...]
 * Our stdin/stdout/stderr go to the agent with SCM_RIGHTS and become the
 * plugin's, except a terminal: for that the plugin gets a pty we relay
 * (ttyrelay.c). We then wait for the agent to say how the run ended, answer
 * its consent prompts (prompt.c), and exit with the plugin's status (128+N
 * for signal N, 77 no consent, 125 no sandbox or the agent lost mid-run, 5
 * no agent to ask; ragged/exitcodes.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdtab.h"
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
		ctl_status_is_plugins = true;	/* not a code of the table, even when it looks like one */
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

int cmd_run(struct ctl *c, const struct ctl_args *a)
{
	const char *name = a->pos[0];
	bool yes = ctl_flag(a, "--yes");
	int stdio[3], fd, code;
	struct tty_relay tty;
	char err[256];
	cJSON *req, *args;

	req = ctl_req("run");
	cJSON_AddStringToObject(req, "plugin", name);
	cJSON_AddBoolToObject(req, "yes", yes);
	cJSON_AddBoolToObject(req, "tty", isatty(0) && isatty(2));
	args = cJSON_AddArrayToObject(req, "args");
	for (int i = 0; i < a->nrest; i++)
		cJSON_AddItemToArray(args, cJSON_CreateString(a->rest[i]));

	fd = ctl_connect(c);
	if (fd < 0) {
		cJSON_Delete(req);
		return -fd;
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
