// SPDX-License-Identifier: MIT
/*
 * ttyprobe: a plugin that goes after the caller's terminal.
 *   ttyprobe id          for fds 0-2: "fd N tty rdev=MAJ:MIN" or "fd N notty"
 *   ttyprobe winch       "winsize ROWSxCOLS", "resize me", read a line, again
 *                        "winsize ROWSxCOLS"
 *   ttyprobe attack [LD] id, then on its terminal: tcsetattr (no echo, no
 *                        canonical mode, 300 baud), TIOCEXCL, and last,
 *                        with nothing printed after them, TCOOFF and (if
 *                        given) TIOCSETD LD; exit 0 if every one succeeded
 *   ttyprobe ask PERM    leave the terminal hiding text (concealed, shifted
 *                        out, inside an unterminated OSC string), start a
 *                        ticker process (a counter in $TMPDIR/ticks every
 *                        5 ms) and one writing "OVERWRITE" lines that climb
 *                        back over the line above, ask for PERM on the
 *                        consent channel, print the answer
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void id(void)
{
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (isatty(fd) && fstat(fd, &st) == 0)
			printf("fd %d tty rdev=%u:%u\n", fd, major(st.st_rdev), minor(st.st_rdev));
		else
			printf("fd %d notty\n", fd);
	}
	fflush(stdout);
}

static void winsize(void)
{
	struct winsize ws = { 0 };

	ioctl(0, TIOCGWINSZ, &ws);
	printf("winsize %ux%u\n", ws.ws_row, ws.ws_col);
	fflush(stdout);
}

static void report(const char *what, int rc)
{
	printf("%s -> %s\n", what, rc == 0 ? "ok" : strerrorname_np(errno));
	fflush(stdout);
}

/* ldisc: a registered line discipline (an unregistered one would load a module), 0 = none. */
static int attack(int ldisc)
{
	struct termios t;
	int rc;

	id();
	if (tcgetattr(0, &t) == 0) {
		t.c_lflag &= ~(tcflag_t)(ECHO | ICANON);
		cfsetospeed(&t, B300);
		cfsetispeed(&t, B300);
		report("tcsetattr", tcsetattr(0, TCSANOW, &t));
	} else {
		report("tcgetattr", -1);
	}
	report("tiocexcl", ioctl(0, TIOCEXCL));
	printf("tcooff and tiocsetd follow: their result is the exit status\n");
	fflush(stdout);
	tcdrain(1);
	rc = tcflow(0, TCOOFF) == 0 ? 0 : 4;
	if (ldisc > 0 && ioctl(0, TIOCSETD, &ldisc) < 0)
		rc |= 8;
	return rc;
}

static void ticker(void)
{
	const char *dir = getenv("TMPDIR");
	char path[512], num[32];
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int fd;

	snprintf(path, sizeof(path), "%s/ticks", dir ? dir : "/tmp");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	for (unsigned long n = 1;; n++) {
		int len = snprintf(num, sizeof(num), "%020lu\n", n);

		if (fd >= 0 && pwrite(fd, num, (size_t)len, 0) < 0)
			_exit(1);
		nanosleep(&ts, NULL);
	}
}

/* Apart from the ticker: a write blocked on a full terminal must not stop the count. */
static void overwriter(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	for (unsigned long n = 1;; n++) {
		/* Back to the start of the line, clear it, up one, write over it. */
		printf("\r\033[2K\033[1AOVERWRITE %lu\n", n);
		fflush(stdout);
		nanosleep(&ts, NULL);
	}
}

static int ask(const char *perm)
{
	const char *fdenv = getenv("RAGGED_CONSENT_FD");
	int fd = fdenv ? atoi(fdenv) : -1;
	char req[256], rep[1024];
	pid_t tick, over;
	ssize_t n;

	printf("spoof-start\n");
	/* Conceal, shift out to the graphics set, open an OSC title that never ends. */
	printf("\033[8m\016\033]0;");
	fflush(stdout);
	tick = fork();
	if (tick == 0)
		ticker();
	over = fork();
	if (over == 0)
		overwriter();
	/* Ask only once the ticker is counting: a test compares two readings. */
	{
		const char *dir = getenv("TMPDIR");
		char path[512];
		struct stat st;
		struct timespec ts = { 0, 1000 * 1000 };

		snprintf(path, sizeof(path), "%s/ticks", dir ? dir : "/tmp");
		for (int i = 0; i < 5000 && (stat(path, &st) < 0 || st.st_size == 0); i++)
			nanosleep(&ts, NULL);
	}
	snprintf(req, sizeof(req), "{\"request\":\"%s\",\"reason\":\"test\"}", perm);
	if (fd < 0 || send(fd, req, strlen(req), 0) < 0 || (n = recv(fd, rep, sizeof(rep) - 1, 0)) <= 0) {
		kill(tick, SIGKILL);
		kill(over, SIGKILL);
		printf("\033\\\017\033[0manswer -> %s\n", strerrorname_np(errno));
		return 1;
	}
	kill(tick, SIGKILL);
	kill(over, SIGKILL);
	waitpid(tick, NULL, 0);
	waitpid(over, NULL, 0);
	rep[n] = '\0';
	printf("\033\\\017\033[0m\nanswer %s\n", rep);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "id") == 0) {
		id();
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "winch") == 0) {
		char line[64];

		winsize();
		printf("resize me\n");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 1;
		winsize();
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "attack") == 0)
		return attack(argc >= 3 ? atoi(argv[2]) : 0);
	if (argc >= 3 && strcmp(argv[1], "ask") == 0)
		return ask(argv[2]);
	fprintf(stderr, "usage: ttyprobe id | winch | attack | ask PERM\n");
	return 2;
}
