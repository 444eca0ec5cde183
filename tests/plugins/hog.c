// SPDX-License-Identifier: MIT
/*
 * hog: hostile resource use for the limit tests. One op per run:
 *   forkbomb -     fork forever (every child forks too)
 *   mem MB         allocate and touch MB megabytes, 1 MB at a time
 *   spin -         burn CPU forever
 *   threads -      start sleeping threads forever
 *   fill -         write $RAGGED_SCRATCH/fill until the write fails, then wait
 *   sleep S        sleep S seconds
 *   modest -       stay well under every limit: 8 MB, 4 children, 0.2 s CPU; exit 0
 *   flood N:PATH   open(PATH) N times (denied: a deny flood); print how many failed
 *   floodhold N:PATH  the same flood, then wait forever: the run ends only when killed
 *   later S:PATH   sleep S seconds, then try to open PATH; print "later PATH -> ok|ERRNO"
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void burn(double seconds)
{
	struct timespec a, b;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < seconds);
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "0";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(op, "forkbomb") == 0) {
		for (;;)
			if (fork() < 0)
				usleep(1000);
	} else if (strcmp(op, "mem") == 0) {
		long mb = atol(arg);

		for (long i = 0; i < mb; i++) {
			char *p = malloc(1 << 20);

			if (!p) {
				printf("mem: malloc failed at %ld MB\n", i);
				return 1;
			}
			memset(p, 1, 1 << 20);
		}
		printf("mem: %ld MB allocated\n", mb);
		return 0;
	} else if (strcmp(op, "spin") == 0) {
		burn(1e9);
	} else if (strcmp(op, "threads") == 0) {
		pthread_t t;

		for (;;)
			if (pthread_create(&t, NULL, sleeper, NULL) != 0)
				usleep(1000);
	} else if (strcmp(op, "fill") == 0) {
		char path[4096], buf[65536];
		const char *dir = getenv("RAGGED_SCRATCH");
		int fd;

		snprintf(path, sizeof(path), "%s/fill", dir ? dir : "/tmp");
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0) {
			printf("fill: open: %s\n", strerrorname_np(errno));
			return 1;
		}
		memset(buf, 'x', sizeof(buf));
		while (write(fd, buf, sizeof(buf)) > 0)
			;
		printf("fill: write: %s\n", strerrorname_np(errno));
		for (;;)
			pause();
	} else if (strcmp(op, "flood") == 0 || strcmp(op, "floodhold") == 0) {
		long n = atol(arg), failed = 0;
		const char *path = strchr(arg, ':');

		for (long i = 0; path && i < n; i++) {
			int fd = open(path + 1, O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				failed++;
			else
				close(fd);
		}
		printf("flood: %ld of %ld opens failed\n", failed, n);
		if (strcmp(op, "floodhold") == 0)
			for (;;)
				pause();
		return 0;
	} else if (strcmp(op, "later") == 0) {
		const char *path = strchr(arg, ':');
		int fd;

		sleep((unsigned)atoi(arg));
		if (!path)
			return 2;
		fd = open(path + 1, O_RDONLY | O_CLOEXEC);
		printf("later %s -> %s\n", path + 1, fd >= 0 ? "ok" : strerrorname_np(errno));
		return 0;
	} else if (strcmp(op, "sleep") == 0) {
		sleep((unsigned)atoi(arg));
		return 0;
	} else if (strcmp(op, "modest") == 0) {
		char *p = malloc(8 << 20);

		if (!p)
			return 1;
		memset(p, 1, 8 << 20);
		for (int i = 0; i < 4; i++)
			if (fork() == 0)
				_exit(0);
		while (wait(NULL) > 0)
			;
		burn(0.2);
		printf("modest: done\n");
		return 0;
	}
	fprintf(stderr, "hog: unknown op %s\n", op);
	return 2;
}
