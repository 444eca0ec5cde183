/* SPDX-License-Identifier: MIT */
/*
 * raggedctl run's terminal relay: when our stdio is a terminal the plugin
 * gets a pseudo-terminal we relay, never the terminal itself (ioctls such as
 * TIOCSETD, TIOCEXCL, TCOOFF and termios changes would outlive the run, and
 * a plugin holding the terminal could draw over a consent prompt).
 */
#ifndef RAGGED_TTYRELAY_H
#define RAGGED_TTYRELAY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct tty_relay {
	bool active;		/* a pty stands between the plugin and our terminal */
	int master;		/* our end of the pty, non-blocking */
	int slave;		/* the plugin's end, ours until the agent holds it */
	int in_fd;		/* the terminal we read keystrokes from, -1 if stdin is not one */
	int out_fd;		/* the terminal we draw on */
	bool master_done;	/* EIO: nobody holds the slave any more */
	bool in_done;		/* the terminal gave EOF or an error */
	bool out_dead;		/* the terminal cannot be written: drop output */
	bool saw_ctrl;		/* the plugin sent escape or shift sequences */
	char in[4096];		/* keystrokes on their way to the plugin */
	size_t in_len;
	char out[16384];	/* plugin output on its way to the terminal */
	size_t out_off, out_len;
};

/*
 * Set up the relay if any of fds 0/1/2 is a terminal: pty pair with the
 * terminal's modes and size, the terminal in raw mode (signal keys kept),
 * signal handlers that restore it. stdio[] gets what to pass the agent.
 * Returns 0 (also when there is no terminal: active stays false), -1 with
 * err set.
 */
int tty_relay_setup(struct tty_relay *t, int stdio[3], char *err, size_t errlen);
/* The agent holds the slave now: drop ours, so EOF shows when the plugin is gone. */
void tty_relay_sent(struct tty_relay *t);
/* The next message from the agent; relays between the pty and the terminal meanwhile. */
int tty_relay_recv(struct tty_relay *t, int agent_fd, cJSON **msg, int *fds, int *nfds);
/* Everything the plugin wrote (bounded), onto the terminal: before a prompt and at the end. */
void tty_relay_flush(struct tty_relay *t, size_t max);
/* Put the terminal back as we found it. Safe to call more than once. */
void tty_relay_end(struct tty_relay *t);
/* Switch the terminal between raw (relaying) and the prompt's line mode. */
void tty_relay_line_mode(struct tty_relay *t, bool line);
/* Bring the terminal to a known state: cancel any sequence in progress, reset attributes. */
void tty_known_state(int fd);

/*
 * A consent prompt: the plugin's output stays in the pty (the run is frozen
 * by the agent), the terminal is brought to a known state, the question is
 * drawn on a fresh line naming plugin, permission(s) and risk, and the answer
 * is read from the terminal itself. Returns 1 yes, 0 no; -1 when the agent
 * spoke first (the run ended meanwhile): its message is in *early.
 */
int tty_prompt(struct tty_relay *t, int agent_fd, const cJSON *msg, cJSON **early);

#endif
