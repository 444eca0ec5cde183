// SPDX-License-Identifier: MIT
/*
 * racer KIND GOOD BAD MS: a plugin that makes two of its own tasks share
 * one CPU and race the sandbox's decisions against each other. Both are
 * pinned to the CPU racer started on; for MS milliseconds one does KIND on
 * GOOD (which the run's grants allow) and the other on BAD (which they do
 * not), as fast as it can. The kernel time-slices the two, so one is often
 * preempted inside a hook while the other runs the same hook on that CPU:
 * any decision state shared per CPU would be overwritten and the first
 * task's operation decided on the second one's object. Prints
 *
 *   racer KIND good G of N allowed, bad P of M passed the sandbox
 *   racer KIND -> ok          (every GOOD allowed, no BAD passed)
 *   racer KIND -> escaped     (some BAD passed)
 *   racer KIND -> refused     (some GOOD refused, none passed)
 *
 * "@S" at the start of a path stands for $RAGGED_SCRATCH, the run's scratch dir.
 *
 * KIND (a BAD "passed" when):
 *   read       open(O_RDONLY) + close          the open succeeded
 *   mkdir      mkdir PATH.<n>, then rmdir it    the mkdir succeeded
 *   unixdgram  sendto a UNIX datagram name,     the error was not EPERM
 *              MSG_DONTWAIT (GOOD: racer binds  (the hooks' refusal: past
 *              it first; EAGAIN is allowed)      them, the name is looked up)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tally {
	long n;		/* attempts */
	long hit;	/* GOOD: allowed; BAD: passed the sandbox */
	int first_err;	/* GOOD: the first refusal's errno */
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int dgram_to(int s, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (sendto(s, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof(sa)) == 1)
		return 0;
	return errno == EAGAIN ? 0 : -1;	/* the queue is full: it was allowed */
}

/* One attempt; 1 when the sandbox let it through. */
static int attempt(const char *kind, const char *path, int sock, long i, int *err)
{
	char name[512];
	int fd;

	if (strcmp(kind, "read") == 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			goto refused;
		close(fd);
		return 1;
	}
	if (strcmp(kind, "mkdir") == 0) {
		snprintf(name, sizeof(name), "%s.%d.%ld", path, getpid(), i);
		if (mkdir(name, 0700) < 0)
			goto refused;
		rmdir(name);
		return 1;
	}
	/* unixdgram: EPERM is the hooks' refusal, anything else got past them. */
	if (dgram_to(sock, path) == 0 || errno != EPERM)
		return 1;
refused:
	*err = errno;
	return 0;
}

static void race(const char *kind, const char *path, int sock, double until, struct tally *t)
{
	for (long i = 0; now_ms() < until; i++) {
		int err = 0;

		t->n++;
		if (attempt(kind, path, sock, i, &err))
			t->hit++;
		else if (!t->first_err)
			t->first_err = err;
	}
}

static int bind_good(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return s;
}

/* "@S/x" -> "$RAGGED_SCRATCH/x"; other paths as they are. */
static const char *expand(const char *p)
{
	const char *scratch = getenv("RAGGED_SCRATCH");
	static char buf[2][512];
	static int n;

	if (strncmp(p, "@S", 2) || !scratch)
		return p;
	snprintf(buf[n & 1], sizeof(buf[0]), "%s%s", scratch, p + 2);
	return buf[n++ & 1];
}

int main(int argc, char **argv)
{
	struct tally good = { 0 }, bad = { 0 };
	const char *kind, *gpath, *bpath;
	int pfd[2], sock = -1, status, cpu;
	double ms, until;
	cpu_set_t one;
	pid_t pid;

	if (argc != 5 || (strcmp(argv[1], "read") && strcmp(argv[1], "mkdir") &&
			  strcmp(argv[1], "unixdgram")) || (ms = atof(argv[4])) <= 0) {
		fprintf(stderr, "usage: racer read|mkdir|unixdgram GOOD BAD MS\n");
		return 2;
	}
	kind = argv[1], gpath = expand(argv[2]), bpath = expand(argv[3]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(kind, "unixdgram") == 0) {
		/* The GOOD name's own socket stays open (and unread) to the end. */
		sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (sock < 0 || bind_good(gpath) < 0) {
			printf("racer %s: the GOOD socket %s: %s\n", kind, gpath, strerror(errno));
			return 1;
		}
	}
	cpu = sched_getcpu();
	CPU_ZERO(&one);
	CPU_SET(cpu < 0 ? 0 : cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0 || pipe(pfd) < 0) {
		printf("racer %s: pinning to one CPU: %s\n", kind, strerror(errno));
		return 1;
	}
	until = now_ms() + ms;
	pid = fork();
	if (pid < 0) {
		printf("racer %s: fork: %s\n", kind, strerror(errno));
		return 1;
	}
	if (pid == 0) {	/* the BAD side (inherits the pinning) */
		close(pfd[0]);
		race(kind, bpath, sock, until, &bad);
		_exit(write(pfd[1], &bad, sizeof(bad)) == (ssize_t)sizeof(bad) ? 0 : 1);
	}
	close(pfd[1]);
	race(kind, gpath, sock, until, &good);
	if (read(pfd[0], &bad, sizeof(bad)) != (ssize_t)sizeof(bad) ||
	    waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("racer %s: the BAD side did not report\n", kind);
		return 1;
	}
	printf("racer %s good %ld of %ld allowed, bad %ld of %ld passed the sandbox (cpu %d)\n",
	       kind, good.hit, good.n, bad.hit, bad.n, cpu);
	if (good.hit < good.n)
		printf("racer %s first GOOD refusal: %s\n", kind, strerrorname_np(good.first_err));
	printf("racer %s -> %s\n", kind,
	       bad.hit ? "escaped" : good.hit < good.n ? "refused" : "ok");
	return 0;
}
