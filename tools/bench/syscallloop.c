// SPDX-License-Identifier: MIT
/*
 * syscallloop: ns per getppid(2), the best of ROUNDS blocks of ITERS calls.
 * getppid meets no LSM hook and no cgroup program: what it pays beyond the
 * plain syscall is what syscall tracepoints cost every process.
 *
 *   syscallloop [ROUNDS [ITERS]]     (defaults 7, 300000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7, iters = argc > 2 ? atoi(argv[2]) : 300000;
	double best = 0;

	if (rounds < 1 || iters < 1) {
		fprintf(stderr, "usage: syscallloop [ROUNDS [ITERS]]\n");
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		struct timespec a, b;
		double ns;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < iters; i++)
			syscall(SYS_getppid);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters;
		if (r == 0 || ns < best)
			best = ns;
	}
	printf("%.1f\n", best);
	return 0;
}
