// SPDX-License-Identifier: MIT
/*
 * ptydrive ANSWER CMD [ARGS...]: run CMD on a new pseudo-terminal, as a
 * person at a terminal would, and answer its consent prompt(s).
 *   ANSWER: yes | no | eof | intr | wait   (intr sends Ctrl-C; wait never answers)
 * Everything CMD writes to the terminal is copied to our stdout; we exit
 * with CMD's status (128+N if killed by signal N). Gives up after 60 s.
 *
 * Environment, for the terminal tests:
 *   PTYDRIVE_VIS=1    control bytes are copied as <xx> (hex), so a test can
 *                     grep escape sequences; "[ptydrive: answered]" marks
 *                     where the answer was typed.
 *   PTYDRIVE_HOOK=CMD a shell command run (its output into ours) while a
 *                     prompt is on screen, before it is answered.
 *   PTYDRIVE_RESIZE=1 the terminal starts at 40x100; when CMD prints
 *                     "resize me" it becomes 30x90 (SIGWINCH to CMD) and
 *                     we type a newline.
 *   PTYDRIVE_INTR_AT=TEXT  type Ctrl-C once CMD has printed TEXT.
 *   PTYDRIVE_CHECK=1  report our terminal (the one CMD was given) before
 *                     ("ptydrive tty rdev=MAJ:MIN") and its state after CMD
 *                     ended: "ptydrive termios same|changed", "ptydrive
 *                     ldisc N", "ptydrive excl N", "ptydrive output
 *                     flowing|stopped".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* Did the last byte shown end a line? The verdict lines must start one. */
static bool line_ended = true;

static void copy_out(const char *buf, size_t n, bool vis)
{
	if (n)
		line_ended = buf[n - 1] == '\n';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (vis && c != '\n' && (c < 0x20 || c >= 0x7f))
			printf("<%02x>", c);
		else
			putchar(c);
	}
	fflush(stdout);
}

/* After CMD: is our terminal as it was? What a plugin holding it could have left. */
static void check_after(int slave, int master, const struct termios *before)
{
	struct termios now;
	int ldisc = -1, excl = -1;
	struct pollfd p = { .fd = master, .events = POLLIN };
	char c;

	/* CMD's last words may lack a newline (a run cut short by Ctrl-C). */
	if (!line_ended)
		printf("\n");
	if (tcgetattr(slave, &now) == 0)
		printf("ptydrive termios %s\n",
		       now.c_iflag == before->c_iflag && now.c_oflag == before->c_oflag &&
		       now.c_cflag == before->c_cflag && now.c_lflag == before->c_lflag &&
		       memcmp(now.c_cc, before->c_cc, sizeof(now.c_cc)) == 0 &&
		       cfgetospeed(&now) == cfgetospeed(before) ? "same" : "changed");
	ioctl(slave, TIOCGETD, &ldisc);
	ioctl(slave, TIOCGEXCL, &excl);
	printf("ptydrive ldisc %d\nptydrive excl %d\n", ldisc, excl);
	/* Output stopped (TCOOFF) shows as a write that cannot go through. */
	fcntl(slave, F_SETFL, O_NONBLOCK);
	if (write(slave, "z", 1) != 1 || poll(&p, 1, 5000) != 1 || read(master, &c, 1) != 1)
		printf("ptydrive output stopped\n");
	else
		printf("ptydrive output flowing\n");
}

int main(int argc, char **argv)
{
	char buf[4096], seen[8192] = "";
	size_t seen_len = 0;
	const char *answer, *hook = getenv("PTYDRIVE_HOOK");
	bool vis = getenv("PTYDRIVE_VIS") != NULL, check = getenv("PTYDRIVE_CHECK") != NULL;
	bool resize = getenv("PTYDRIVE_RESIZE") != NULL;
	const char *intr_at = getenv("PTYDRIVE_INTR_AT");
	struct termios before;
	int master, status, slave = -1;
	bool reaped = false;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: ptydrive yes|no|eof|intr|wait CMD [ARGS...]\n");
		return 2;
	}
	answer = argv[1];
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		perror("ptydrive: pty");
		return 2;
	}
	if (resize) {
		struct winsize ws = { .ws_row = 40, .ws_col = 100 };

		ioctl(master, TIOCSWINSZ, &ws);
	}
	if (check) {
		struct stat st;

		/* Our own look at the terminal, kept open to inspect it afterwards. */
		slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (slave < 0 || fstat(slave, &st) < 0 || tcgetattr(slave, &before) < 0) {
			perror("ptydrive: slave");
			return 2;
		}
		printf("ptydrive tty rdev=%u:%u\n", major(st.st_rdev), minor(st.st_rdev));
		fflush(stdout);
	}
	pid = fork();
	if (pid == 0) {
		int s;

		setsid();
		s = open(ptsname(master), O_RDWR);
		if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
			_exit(126);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		if (s > 2)
			close(s);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	alarm(60);
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				reaped = true;
				break;
			}
			continue;
		}
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break;	/* EIO: the last holder of the slave is gone */
		copy_out(buf, (size_t)n, vis);
		if (seen_len + (size_t)n < sizeof(seen)) {
			memcpy(seen + seen_len, buf, (size_t)n);
			seen_len += (size_t)n;
			seen[seen_len] = '\0';
		}
		if (resize && strstr(seen, "resize me")) {
			struct winsize ws = { .ws_row = 30, .ws_col = 90 };

			/* The kernel signals the terminal's foreground group: CMD. */
			ioctl(master, TIOCSWINSZ, &ws);
			if (write(master, "\r", 1) < 0)
				break;
			resize = false;
		}
		if (intr_at && strstr(seen, intr_at)) {
			if (write(master, "\003", 1) < 0)
				break;
			intr_at = NULL;
		}
		/* Answer each prompt once; forget what was answered. */
		if (strstr(seen, "? [y/N] ") && strcmp(answer, "wait") != 0) {
			const char *w = strcmp(answer, "yes") == 0 ? "y\r" :
					strcmp(answer, "no") == 0 ? "n\r" :
					strcmp(answer, "eof") == 0 ? "\004" : "\003";

			if (hook) {
				printf("\n");
				fflush(stdout);
				if (system(hook) != 0)
					printf("[ptydrive: hook failed]\n");
				fflush(stdout);
			}
			if (write(master, w, strlen(w)) < 0)
				break;
			if (vis) {
				printf("\n[ptydrive: answered]\n");
				fflush(stdout);
			}
			seen_len = 0;
			seen[0] = '\0';
		}
	}
	if (!reaped && waitpid(pid, &status, 0) != pid)
		return 2;
	if (check) {
		/* What CMD wrote last is ours to show before the verdict. */
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t n;

		while (poll(&pfd, 1, 0) == 1 && (n = read(master, buf, sizeof(buf))) > 0)
			copy_out(buf, (size_t)n, vis);
		check_after(slave, master, &before);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
