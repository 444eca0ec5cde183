// SPDX-License-Identifier: MIT
/*
 * ptydrive ANSWER CMD [ARGS...]: run CMD on a new pseudo-terminal, as a
 * person at a terminal would, and answer its consent prompt(s).
 *   ANSWER: yes | no | eof | intr   (intr sends Ctrl-C)
 * Everything CMD writes to the terminal is copied to our stdout; we exit
 * with CMD's status (128+N if killed by signal N). Gives up after 60 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096], seen[8192] = "";
	size_t seen_len = 0;
	const char *answer;
	int master, status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: ptydrive yes|no|eof|intr CMD [ARGS...]\n");
		return 2;
	}
	answer = argv[1];
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		perror("ptydrive: pty");
		return 2;
	}
	pid = fork();
	if (pid == 0) {
		int slave;

		setsid();
		slave = open(ptsname(master), O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
			_exit(126);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	alarm(60);
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 200) <= 0) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			continue;
		}
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break;	/* EIO: the last holder of the slave is gone */
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
		if (seen_len + (size_t)n < sizeof(seen)) {
			memcpy(seen + seen_len, buf, (size_t)n);
			seen_len += (size_t)n;
			seen[seen_len] = '\0';
		}
		/* Answer each prompt once; forget what was answered. */
		if (strstr(seen, "Allow? [y/N] ")) {
			const char *w = strcmp(answer, "yes") == 0 ? "y\r" :
					strcmp(answer, "no") == 0 ? "n\r" :
					strcmp(answer, "eof") == 0 ? "\004" : "\003";

			if (write(master, w, strlen(w)) < 0)
				break;
			seen_len = 0;
			seen[0] = '\0';
		}
	}
	if (waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
