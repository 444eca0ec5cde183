// SPDX-License-Identifier: MIT
/*
 * The consent prompt of `raggedctl run`. The agent has frozen the run's
 * cgroup before asking (a request from a running plugin), and we stop
 * relaying the pty while the question is on screen, so nothing the plugin
 * writes can reach the terminal between the question and the answer. Output
 * it wrote before is put on screen first, then the terminal is brought to a
 * known state (an escape sequence left open would swallow or hide the
 * question), then the question is drawn from a fresh line, the last line
 * naming plugin, permission(s) and risk, and the answer is read from the
 * user's terminal in line mode. Typeahead is discarded first: keystrokes
 * meant for the plugin, or a terminal's answer to a query the plugin sent,
 * are no answer. Only an explicit "y" or "yes" is a yes; anything else, EOF
 * included, is a no.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "proto/proto.h"
#include "ttyrelay.h"

/* Output the plugin wrote before it asked: shown above the question, bounded. */
#define PROMPT_FLUSH_MAX (64 * 1024)

/* Text from the agent, some of it from the plugin's manifest: printable ASCII only. */
static void clean(char *out, size_t len, const char *s)
{
	size_t i = 0;

	for (; s && *s && i + 1 < len; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[i] = '\0';
}

static void put(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void draw(int fd, const cJSON *msg)
{
	char name[80], ver[80], perm[64], risk[16], desc[200], line[512], host[300], reach[120];
	const cJSON *it, *ep;
	bool optional = strcmp(proto_str(msg, "kind") ?: "", "optional") == 0;
	size_t n;
	int k = 0;

	clean(name, sizeof(name), proto_str(msg, "plugin") ?: "?");
	clean(ver, sizeof(ver), proto_str(msg, "version") ?: "");
	tty_known_state(fd);
	snprintf(line, sizeof(line), "\nPlugin \"%s\" %s %s:\n", name, ver,
		 optional ? "asks, while running, for (it is paused until you answer)"
			  : "needs these permissions");
	put(fd, line);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(msg, "permissions")) {
		clean(perm, sizeof(perm), proto_str(it, "name") ?: "?");
		clean(risk, sizeof(risk), proto_str(it, "risk") ?: "?");
		clean(desc, sizeof(desc), proto_str(it, "description") ?: "");
		snprintf(line, sizeof(line), "  %-20s %-7s %s\n", perm, risk, desc);
		put(fd, line);
		/* network:api: every endpoint, and where one leads when that is
		 * this host, its link or a private network (high risk). */
		cJSON_ArrayForEach(ep, cJSON_GetObjectItemCaseSensitive(it, "endpoints")) {
			clean(host, sizeof(host), proto_str(ep, "endpoint") ?: "?");
			clean(reach, sizeof(reach), proto_str(ep, "reaches") ?: "");
			if (reach[0])
				snprintf(line, sizeof(line), "      endpoint %s  (high risk: reaches %s)\n",
					 host, reach);
			else
				snprintf(line, sizeof(line), "      endpoint %s\n", host);
			put(fd, line);
		}
	}
	/* The line the answer belongs to: who, what, how risky, in one place. */
	n = (size_t)snprintf(line, sizeof(line), "Allow plugin \"%s\"", name);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(msg, "permissions")) {
		clean(perm, sizeof(perm), proto_str(it, "name") ?: "?");
		clean(risk, sizeof(risk), proto_str(it, "risk") ?: "?");
		if (n < sizeof(line))
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s (%s risk)",
					      k++ ? "," : "", perm, risk);
	}
	put(fd, line);
	put(fd, "? [y/N] ");
}

int tty_prompt(struct tty_relay *t, int agent_fd, const cJSON *msg, cJSON **early)
{
	char line[64];
	size_t len = 0;
	bool overlong = false;
	int answer = 0;

	*early = NULL;
	if (!t->active || t->in_fd < 0)
		return 0;	/* no terminal to ask on: no */
	tty_relay_flush(t, PROMPT_FLUSH_MAX);
	tty_relay_line_mode(t, true);
	tcflush(t->in_fd, TCIFLUSH);
	draw(t->out_fd, msg);
	for (;;) {
		struct pollfd p[2] = { { .fd = t->in_fd, .events = POLLIN },
				       { .fd = agent_fd, .events = POLLIN } };
		ssize_t n;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents) {
			int fds[PROTO_MAX_FDS], nfds = 0;

			/* The run ended (a limit, a revoke) before the answer: the question is moot. */
			if (proto_recv_reply(agent_fd, early, fds, &nfds) <= 0)
				*early = NULL;
			for (int k = 0; k < nfds; k++)
				close(fds[k]);
			put(t->out_fd, "\n(the run ended before the answer)\n");
			answer = -1;
			break;
		}
		if (!p[0].revents)
			continue;
		n = read(t->in_fd, line + len, sizeof(line) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			put(t->out_fd, "\n");
			break;	/* EOF: no */
		}
		len += (size_t)n;
		line[len] = '\0';
		if (strchr(line, '\n')) {
			line[strcspn(line, "\r\n")] = '\0';
			answer = !overlong && (strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 ||
					       strcmp(line, "yes") == 0);
			break;
		}
		if (len == sizeof(line) - 1) {
			overlong = true;	/* no answer is that long: keep reading to the end, say no */
			len = 0;
		}
	}
	tty_relay_line_mode(t, false);
	return answer;
}
