// SPDX-License-Identifier: MIT
/*
 * sessioncost: what setsid() adds to a new process's start on a busy
 * machine, inside and outside a cpu cgroup of its own. With
 * CONFIG_SCHED_AUTOGROUP, setsid() gives the caller a new scheduler
 * autogroup, but autogroups only apply to tasks in the root cpu task group;
 * a new autogroup's entity then waits behind the busy ones. A plugin's
 * launch calls setsid (agent/daemon/launch.c), so the agent puts its runs in
 * a cpu group (agent/daemon/cgroup.c, v1 "cpu" mounted apart from cpuacct).
 *
 *   sessioncost CPU-GROUP-DIR|- [ROUNDS]
 *
 * One spinning process per CPU keeps the machine busy throughout. Per round,
 * interleaved: fork a child that (S) calls setsid() or (P) does not, then
 * makes 200 cheap syscalls and reports the time; the sample is fork to that
 * report. Once with the parent in its current cpu group, once (when a
 * group dir is given) after moving into CPU-GROUP-DIR. Prints medians and
 * BENCH lines (ratio = S / P, info).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double sample(int with_setsid)
{
	int fd[2];
	double t0, t1 = 0;
	pid_t c;

	if (pipe(fd) < 0)
		return -1;
	t0 = now_ms();
	c = fork();
	if (c == 0) {
		double t;

		if (with_setsid)
			setsid();
		for (int k = 0; k < 200; k++)
			syscall(SYS_getppid);
		t = now_ms();
		if (write(fd[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	if (c < 0 || read(fd[0], &t1, sizeof(t1)) != sizeof(t1))
		t1 = -1;
	if (c > 0)
		waitpid(c, NULL, 0);
	close(fd[0]);
	close(fd[1]);
	return t1 < 0 ? -1 : t1 - t0;
}

static int join(const char *dir)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (!(f = fopen(path, "w")))
		return -1;
	fprintf(f, "%d\n", (int)getpid());
	return fclose(f);
}

/* measure WHERE ROUNDS: median S and P; the BENCH line. */
static int measure(const char *where, int rounds)
{
	double *s = calloc(rounds, sizeof(double)), *p = calloc(rounds, sizeof(double));
	struct timespec gap = { 0, 2 * 1000 * 1000 };

	if (!s || !p)
		return -1;
	for (int i = 0; i < rounds; i++) {
		s[i] = sample(1);
		nanosleep(&gap, NULL);
		p[i] = sample(0);
		nanosleep(&gap, NULL);
		if (s[i] < 0 || p[i] < 0) {
			fprintf(stderr, "sessioncost: fork or pipe failed\n");
			return -1;
		}
	}
	qsort(s, rounds, sizeof(double), cmp);
	qsort(p, rounds, sizeof(double), cmp);
	printf("sessioncost: %-22s setsid median %.3f ms (p90 %.3f), plain median %.3f ms (p90 %.3f)\n",
	       where, s[rounds / 2], s[rounds * 9 / 10], p[rounds / 2], p[rounds * 9 / 10]);
	printf("BENCH metric=start_setsid_%s value=%.4f base=%.4f ratio=%.4f target=info unit=ms\n",
	       where, s[rounds / 2], p[rounds / 2], s[rounds / 2] / p[rounds / 2]);
	free(s);
	free(p);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 200, ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), rc = 0;
	pid_t spin[256];

	if (argc < 2 || rounds < 1) {
		fprintf(stderr, "usage: sessioncost CPU-GROUP-DIR|- [ROUNDS]\n");
		return 2;
	}
	if (ncpu < 1 || ncpu > 256)
		ncpu = ncpu < 1 ? 1 : 256;
	for (int i = 0; i < ncpu; i++)
		if ((spin[i] = fork()) == 0)
			for (;;)
				;
	printf("sessioncost: %d spinning processes, %d rounds\n", ncpu, rounds);
	rc |= measure("outside_cpu_group", rounds);
	if (strcmp(argv[1], "-") != 0) {
		if (join(argv[1]) < 0) {
			perror("sessioncost: join the cpu group");
			rc = -1;
		} else {
			rc |= measure("in_cpu_group", rounds);
		}
	}
	for (int i = 0; i < ncpu; i++)
		if (spin[i] > 0)
			kill(spin[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	return rc ? 1 : 0;
}
