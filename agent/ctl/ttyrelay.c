// SPDX-License-Identifier: MIT
/*
 * The terminal relay of `raggedctl run` (as sudo's use_pty): the plugin's
 * terminal stdio is the slave of a pty we own; we copy keystrokes from the
 * user's terminal to the master and the plugin's output back. Whatever the
 * plugin does to its terminal (TIOCSETD, TIOCEXCL, TCOOFF, termios, TIOCSCTTY)
 * happens to the pty and ends with the run.
 *
 * The user's terminal is in raw mode while we relay keystrokes (stdin is
 * the terminal, we are in the foreground), except that the signal keys stay
 * on: Ctrl-C, Ctrl-\ and Ctrl-Z reach raggedctl as they always did (the
 * plugin is in a session of its own and never got them), so Ctrl-C ends
 * raggedctl, and the agent ends the run of a client that went away. Every
 * way out restores the terminal: normal exit, fatal signals, job control.
 * In the background we leave the terminal's modes alone; reading it there
 * stops us (SIGTTIN) like any job, where the plugin used to read it unseen.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "proto/proto.h"
#include "ttyrelay.h"

/* What the signal handlers need: plain globals, written before they are installed. */
static int g_tty = -1;			/* the terminal whose modes we change */
static struct termios g_found;		/* its modes as we found them */
static struct termios g_raw;		/* while relaying */
static struct termios g_line;		/* while prompting */
static volatile sig_atomic_t g_want;	/* 0 found, 1 raw, 2 line: what SIGCONT restores */
static int g_sigpipe[2] = { -1, -1 };	/* SIGWINCH and SIGCONT wake the relay loop */

static const struct termios *wanted(void)
{
	return g_want == 1 ? &g_raw : g_want == 2 ? &g_line : &g_found;
}

/*
 * Modes are only ours to change in the foreground: from the background
 * tcsetattr stops us (SIGTTOU), and the shell owns the terminal then. A
 * terminal that is not our controlling one has no foreground to ask about.
 * Async-signal-safe (ioctls only).
 */
static bool foreground(void)
{
	pid_t pg = tcgetpgrp(g_tty);

	return pg < 0 || pg == getpgrp();
}

static void apply(const struct termios *t)
{
	if (g_tty >= 0 && foreground())
		tcsetattr(g_tty, TCSADRAIN, t);
}

static void on_fatal(int sig)
{
	int e = errno;

	/* SA_RESETHAND | SA_NODEFER: the raise below takes the default action at once. */
	apply(&g_found);
	raise(sig);
	errno = e;
}

static void install(int sig, void (*fn)(int), int flags);

static void on_tstp(int sig)
{
	int e = errno;

	(void)sig;
	apply(&g_found);
	raise(SIGTSTP);		/* default action now: we stop here until SIGCONT */
	install(SIGTSTP, on_tstp, SA_RESETHAND | SA_NODEFER);
	/* An orphaned process group is not stopped (and gets no SIGCONT): back to our mode. */
	if (g_want)
		apply(wanted());
	errno = e;
}

static void on_wake(int sig)
{
	int e = errno;
	char c = 'w';

	/* Continued after a stop (fg): the shell has had the terminal meanwhile. */
	if (sig == SIGCONT && g_want)
		apply(wanted());
	if (g_sigpipe[1] >= 0 && write(g_sigpipe[1], &c, 1) < 0) {
		/* full: a wake-up is already pending */
	}
	errno = e;
}

static void install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = fn;
	sa.sa_flags = flags | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void set_mode(int want)
{
	g_want = want;
	apply(wanted());
}

static void copy_winsize(const struct tty_relay *t)
{
	struct winsize ws;

	if (g_tty >= 0 && ioctl(g_tty, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

int tty_relay_setup(struct tty_relay *t, int stdio[3], char *err, size_t errlen)
{
	char name[64];
	int term = -1;

	memset(t, 0, sizeof(*t));
	t->master = t->slave = t->in_fd = t->out_fd = -1;
	for (int i = 0; i < 3; i++) {
		stdio[i] = i;
		if (term < 0 && isatty(i))
			term = i;
	}
	if (term < 0)
		return 0;	/* pipes and files go to the plugin as they are */
	if (tcgetattr(term, &g_found) < 0) {
		snprintf(err, errlen, "terminal on fd %d: %s", term, strerror(errno));
		return -1;
	}
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0 || grantpt(t->master) < 0 || unlockpt(t->master) < 0 ||
	    ptsname_r(t->master, name, sizeof(name)) != 0 ||
	    (t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "pseudo-terminal for the plugin: %s", strerror(errno));
		if (t->master >= 0)
			close(t->master);
		t->master = -1;
		return -1;
	}
	/* The plugin sees the modes and size of the user's terminal, on its own pty. */
	tcsetattr(t->slave, TCSANOW, &g_found);
	g_tty = term;
	copy_winsize(t);
	fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
	if (pipe2(g_sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(t->slave);
		close(t->master);
		t->slave = t->master = -1;
		g_tty = -1;
		return -1;
	}
	t->in_fd = isatty(0) ? 0 : -1;
	t->out_fd = isatty(1) ? 1 : isatty(2) ? 2 : 0;
	for (int i = 0; i < 3; i++)
		if (isatty(i))
			stdio[i] = t->slave;

	g_raw = g_found;
	cfmakeraw(&g_raw);
	g_raw.c_lflag |= ISIG;	/* Ctrl-C and Ctrl-Z stay ours, see above */
	g_raw.c_cc[VMIN] = 1;
	g_raw.c_cc[VTIME] = 0;
	/* The prompt's line mode: whatever the user had, an answer can be typed and seen. */
	g_line = g_found;
	g_line.c_lflag |= ICANON | ECHO | ECHOE | ISIG;
	g_line.c_iflag |= ICRNL;
	g_line.c_oflag |= OPOST | ONLCR;

	install(SIGINT, on_fatal, SA_RESETHAND | SA_NODEFER);
	install(SIGTERM, on_fatal, SA_RESETHAND | SA_NODEFER);
	install(SIGHUP, on_fatal, SA_RESETHAND | SA_NODEFER);
	install(SIGQUIT, on_fatal, SA_RESETHAND | SA_NODEFER);
	install(SIGTSTP, on_tstp, SA_RESETHAND | SA_NODEFER);
	install(SIGWINCH, on_wake, 0);
	install(SIGCONT, on_wake, 0);
	/* A terminal that went away must not kill us mid-drain: EPIPE/EIO are handled. */
	signal(SIGPIPE, SIG_IGN);
	/* Raw mode is for passing keystrokes on: only when stdin is the terminal. */
	if (t->in_fd >= 0)
		set_mode(1);
	t->active = true;
	return 0;
}

void tty_relay_sent(struct tty_relay *t)
{
	if (t->slave >= 0) {
		close(t->slave);
		t->slave = -1;
	}
}

void tty_relay_line_mode(struct tty_relay *t, bool line)
{
	if (t->active)
		set_mode(line ? 2 : 1);
}

static void note_ctrl(struct tty_relay *t, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !t->saw_ctrl; i++)
		if (p[i] == '\033' || p[i] == '\016' || p[i] == '\017' || (unsigned char)p[i] == 0x9b ||
		    (unsigned char)p[i] == 0x9d || (unsigned char)p[i] == 0x90)
			t->saw_ctrl = true;
}

/* One read from the master into the empty output buffer. */
static void read_master(struct tty_relay *t)
{
	ssize_t n;

	if (t->master_done || t->out_len)
		return;
	n = read(t->master, t->out, sizeof(t->out));
	if (n > 0) {
		t->out_off = 0;
		t->out_len = (size_t)n;
		note_ctrl(t, t->out, (size_t)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		t->master_done = true;	/* EIO: the last holder of the slave is gone */
	}
}

static void write_out(struct tty_relay *t)
{
	while (t->out_len) {
		ssize_t n = t->out_dead ? (ssize_t)t->out_len
					: write(t->out_fd, t->out + t->out_off, t->out_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			t->out_dead = true;	/* hung up: the plugin's output goes nowhere */
			continue;
		}
		t->out_off += (size_t)n;
		t->out_len -= (size_t)n;
	}
	t->out_off = 0;
}

static void read_in(struct tty_relay *t)
{
	ssize_t n = read(t->in_fd, t->in, sizeof(t->in));

	if (n > 0)
		t->in_len = (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		t->in_done = true;
}

static void write_master(struct tty_relay *t)
{
	ssize_t n = write(t->master, t->in, t->in_len);

	if (n > 0) {
		memmove(t->in, t->in + n, t->in_len - (size_t)n);
		t->in_len -= (size_t)n;
	} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
		t->in_len = 0;	/* the plugin's side is gone: keystrokes have nowhere to go */
	}
}

static void drain_sigpipe(const struct tty_relay *t)
{
	char buf[64];

	while (read(g_sigpipe[0], buf, sizeof(buf)) > 0)
		;
	copy_winsize(t);
}

int tty_relay_recv(struct tty_relay *t, int agent_fd, cJSON **msg, int *fds, int *nfds)
{
	if (!t->active)
		return proto_recv_reply(agent_fd, msg, fds, nfds);
	for (;;) {
		struct pollfd p[5];
		int n = 0, im = -1, ii = -1, io = -1, is;

		p[n++] = (struct pollfd){ .fd = agent_fd, .events = POLLIN };
		is = n;
		p[n++] = (struct pollfd){ .fd = g_sigpipe[0], .events = POLLIN };
		if (!t->master_done && (!t->out_len || t->in_len)) {
			im = n;
			p[n++] = (struct pollfd){ .fd = t->master,
						  .events = (short)((t->out_len ? 0 : POLLIN) |
								    (t->in_len ? POLLOUT : 0)) };
		}
		if (t->in_fd >= 0 && !t->in_done && !t->in_len && !t->master_done) {
			ii = n;
			p[n++] = (struct pollfd){ .fd = t->in_fd, .events = POLLIN };
		}
		if (t->out_len) {
			io = n;
			p[n++] = (struct pollfd){ .fd = t->out_fd, .events = POLLOUT };
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[is].revents)
			drain_sigpipe(t);
		if (im >= 0 && (p[im].revents & (POLLIN | POLLHUP | POLLERR)))
			read_master(t);
		if (im >= 0 && (p[im].revents & POLLOUT) && t->in_len)
			write_master(t);
		if (ii >= 0 && p[ii].revents)
			read_in(t);
		if (io >= 0 && p[io].revents)
			write_out(t);
		if (p[0].revents)
			return proto_recv_reply(agent_fd, msg, fds, nfds);
	}
}

void tty_relay_flush(struct tty_relay *t, size_t max)
{
	size_t done = 0;

	if (!t->active)
		return;
	write_out(t);
	/* A pty read flushes the kernel's pending input first: nothing written is missed. */
	while (!t->master_done && done < max) {
		read_master(t);
		if (!t->out_len)
			break;
		done += t->out_len;
		write_out(t);
	}
}

/*
 * Cancel whatever sequence the plugin left open (ST ends an OSC/DCS string,
 * CAN any escape or control sequence), full-screen scroll margins (saved and
 * restored around it: DECSTBM homes the cursor), G0 = ASCII and shifted in,
 * plain attributes, replace mode, autowrap, visible cursor, no mouse or
 * bracketed-paste reporting. Not ESC c: that would clear the screen and,
 * on some terminals, the scrollback.
 */
void tty_known_state(int fd)
{
	static const char seq[] = "\033\\\030\0337\033[r\0338\017\033(B\033[0m\033[4l\033[?7h"
				  "\033[?25h\033[?1000l\033[?1002l\033[?1003l\033[?1006l\033[?2004l";

	if (write(fd, seq, sizeof(seq) - 1) < 0) {
		/* the terminal is gone: there is nothing to reset */
	}
}

void tty_relay_end(struct tty_relay *t)
{
	if (!t->active)
		return;
	tty_relay_sent(t);
	set_mode(0);
	/* What the plugin set with escape sequences should not outlive it either. */
	if (t->saw_ctrl && !t->out_dead)
		tty_known_state(t->out_fd);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	signal(SIGWINCH, SIG_DFL);
	signal(SIGCONT, SIG_DFL);
	g_tty = -1;
	close(t->master);
	t->master = -1;
	close(g_sigpipe[0]);
	close(g_sigpipe[1]);
	g_sigpipe[0] = g_sigpipe[1] = -1;
	t->active = false;
}
