// SPDX-License-Identifier: MIT
/*
 * consentbench SOCKET PLUGIN PERM N: time consent changes against a no-op
 * round trip to the agent, interleaved in the same run.
 *   status   no-op request (the baseline)
 *   grant    PERM granted while an instance runs: consent store write
 *            (fsync) + policy rebuild + map swap, all before the reply
 *   revoke   PERM revoked (in landlock mode this ends the instance; the
 *            harness restarts it between rounds, untimed)
 * Prints medians in microseconds and the ratios to the no-op.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double rpc(const char *sock, const char *msg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[65536];
	double t0, t1;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	t0 = now_us();
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    send(fd, msg, strlen(msg), 0) < 0 || recv(fd, buf, sizeof(buf), 0) <= 0) {
		perror("consentbench: rpc");
		exit(1);
	}
	t1 = now_us();
	close(fd);
	return t1 - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	char grant[256], revoke[256], restart[512];
	double *s, *g, *r;
	int n;

	if (argc != 6) {
		fprintf(stderr, "usage: consentbench SOCKET PLUGIN PERM N RESTART-CMD\n");
		return 2;
	}
	n = atoi(argv[4]);
	s = calloc((size_t)n, sizeof(*s));
	g = calloc((size_t)n, sizeof(*g));
	r = calloc((size_t)n, sizeof(*r));
	snprintf(grant, sizeof(grant), "{\"cmd\":\"grant\",\"plugin\":\"%s\",\"permissions\":[\"%s\"]}",
		 argv[2], argv[3]);
	snprintf(revoke, sizeof(revoke), "{\"cmd\":\"revoke\",\"plugin\":\"%s\",\"permissions\":[\"%s\"]}",
		 argv[2], argv[3]);
	snprintf(restart, sizeof(restart), "%s", argv[5]);
	for (int i = 0; i < n; i++) {
		if (system(restart) != 0) {	/* an instance is running again (untimed) */
			fprintf(stderr, "consentbench: restart command failed\n");
			return 1;
		}
		s[i] = rpc(argv[1], "{\"cmd\":\"status\"}");
		g[i] = rpc(argv[1], grant);
		r[i] = rpc(argv[1], revoke);
	}
	{
		double ms = median(s, n), mg = median(g, n), mr = median(r, n);

		printf("consent bench (N=%d): median no-op %.0f us, grant (live map swap) %.0f us "
		       "(%.1fx), revoke %.0f us (%.1fx)\n", n, ms, mg, mg / ms, mr, mr / ms);
		printf("consent_bench noop_us=%.0f grant_us=%.0f revoke_us=%.0f\n", ms, mg, mr);
		printf("BENCH metric=consent_grant_vs_noop value=%.1f base=%.1f ratio=%.4f target=info unit=us\n",
		       mg, ms, mg / ms);
		printf("BENCH metric=consent_revoke_vs_noop value=%.1f base=%.1f ratio=%.4f target=info unit=us\n",
		       mr, ms, mr / ms);
	}
	free(s);
	free(g);
	free(r);
	return 0;
}
