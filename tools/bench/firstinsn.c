// SPDX-License-Identifier: MIT
/*
 * The "trivial plugin" of the sandbox-start benchmark (tools/bench/run.sh).
 *
 * The very first thing main() does is read CLOCK_MONOTONIC and write the
 * 8-byte value (native byte order, nanoseconds) to stdout, which the
 * harness connected to a pipe. Then it exits. It does nothing else, so
 * every method (bare spawn, bwrap, raggedctl run) starts exactly the same
 * code and only the launcher differs.
 *
 * Built static by default (run.sh), so no dynamic loader runs between
 * execve() returning to user space and this read: the measured point is
 * the program's first own instructions, after only the static glibc
 * start-up (TLS, IRELATIVE relocations, vDSO lookup; a few microseconds).
 * `run.sh --dynamic` builds it dynamic instead; then ld.so's opens and
 * mmaps of libc happen before main, under whatever sandbox is in force.
 *
 * The clock is read in main rather than in a constructor: with static
 * glibc, constructors run after the same libc start-up, so it would gain
 * nothing, and main keeps the program obviously correct.
 */
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;
	unsigned long long ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	if (write(1, &ns, sizeof(ns)) != (ssize_t)sizeof(ns))
		_exit(1);
	_exit(0);
}
