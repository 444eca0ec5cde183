// SPDX-License-Identifier: MIT
/*
 * loadprobe SOCKET AGENT_PID SECONDS [INTERVAL_MS]: the load test's watcher
 * (not a plugin). For SECONDS it asks the agent for `status` on a fresh
 * connection every INTERVAL_MS (default 50), timing each answer, and
 * samples the agent's resident memory (VmRSS) every 500 ms. Prints
 *
 *   status N asked, N answered, N failed; p50 X ms, p99 X ms, max X ms
 *   rss N samples: early X kB, late X kB, min X kB, max X kB
 *   agent cpu X s, waiting for a cpu X s, in X s
 *
 * early/late: the median of the second and of the last fifth of the
 * samples (the first fifth is start-up: plugins installing, runs starting).
 * A failed status (no connection, no answer within 30 s, not "ok") is
 * counted and its reason printed once. The last line (from the agent's
 * schedstat) tells a slow agent from a starved one: time it ran, and time
 * it was runnable but waited for a CPU. Exit 0 if every status answered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One status round trip; 0 and its latency, or -1 with why. */
static int ask_status(const char *path, double *ms, char *why, size_t whylen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 30 };
	static const char req[] = "{\"cmd\":\"status\"}";
	char rep[65536];
	double t0 = now_ms();
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
		snprintf(why, whylen, "connect/send: %s", strerror(errno));
		close(fd);
		return -1;
	}
	n = recv(fd, rep, sizeof(rep) - 1, 0);
	*ms = now_ms() - t0;
	close(fd);
	if (n <= 0) {
		snprintf(why, whylen, "no answer: %s", n < 0 ? strerror(errno) : "closed");
		return -1;
	}
	rep[n] = 0;
	if (!strstr(rep, "\"type\":\"ok\"")) {
		snprintf(why, whylen, "not ok: %.120s", rep);
		return -1;
	}
	return 0;
}

static long rss_kb(const char *pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The agent's time on a CPU and waiting for one, in ns (/proc/PID/schedstat). */
static int schedstat(const char *pid, double *run, double *wait)
{
	char path[64];
	unsigned long long r, w;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%s/schedstat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	ok = fscanf(f, "%llu %llu", &r, &w) == 2;
	fclose(f);
	*run = (double)r;
	*wait = (double)w;
	return ok ? 0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

/* Median of v[from, to) (sorted in place). */
static long median(long *v, size_t from, size_t to)
{
	if (to <= from)
		return -1;
	qsort(v + from, to - from, sizeof(*v), cmp_long);
	return v[from + (to - from) / 2];
}

int main(int argc, char **argv)
{
	double secs, end, next_rss = 0, ms, t0, run0 = 0, wait0 = 0, run1, wait1;
	int have_sched;
	long interval_ms;
	size_t nlat = 0, caplat = 1024, nrss = 0, caprss = 256, failed = 0, asked = 0;
	double *lat;
	long *rss;
	char why[256], first_why[256] = "";

	if (argc < 4) {
		fprintf(stderr, "usage: loadprobe SOCKET AGENT_PID SECONDS [INTERVAL_MS]\n");
		return 2;
	}
	secs = atof(argv[3]);
	interval_ms = argc > 4 ? atol(argv[4]) : 50;
	lat = malloc(caplat * sizeof(*lat));
	rss = malloc(caprss * sizeof(*rss));
	if (!lat || !rss)
		return 2;
	have_sched = schedstat(argv[2], &run0, &wait0) == 0;
	t0 = now_ms();
	end = t0 + secs * 1e3;
	while (now_ms() < end) {
		if (now_ms() >= next_rss) {
			long kb = rss_kb(argv[2]);

			if (kb < 0) {
				printf("loadprobe: agent pid %s is gone\n", argv[2]);
				return 1;
			}
			if (nrss == caprss && !(rss = realloc(rss, (caprss *= 2) * sizeof(*rss))))
				return 2;
			rss[nrss++] = kb;
			next_rss = now_ms() + 500;
		}
		asked++;
		if (ask_status(argv[1], &ms, why, sizeof(why)) < 0) {
			if (!failed++)
				snprintf(first_why, sizeof(first_why), "%s", why);
		} else {
			if (nlat == caplat && !(lat = realloc(lat, (caplat *= 2) * sizeof(*lat))))
				return 2;
			lat[nlat++] = ms;
		}
		usleep((useconds_t)interval_ms * 1000);
	}
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	printf("status %zu asked, %zu answered, %zu failed; p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
	       asked, nlat, failed, pct(lat, nlat, 0.5), pct(lat, nlat, 0.99),
	       nlat ? lat[nlat - 1] : 0.0);
	if (failed)
		printf("status failure: %s\n", first_why);
	{
		long lo = rss[0], hi = rss[0];

		for (size_t i = 0; i < nrss; i++) {
			lo = rss[i] < lo ? rss[i] : lo;
			hi = rss[i] > hi ? rss[i] : hi;
		}
		printf("rss %zu samples: early %ld kB, late %ld kB, min %ld kB, max %ld kB\n", nrss,
		       median(rss, nrss / 5, 2 * nrss / 5), median(rss, nrss - nrss / 5, nrss), lo, hi);
	}
	if (have_sched && schedstat(argv[2], &run1, &wait1) == 0)
		printf("agent cpu %.2f s, waiting for a cpu %.2f s, in %.1f s\n", (run1 - run0) / 1e9,
		       (wait1 - wait0) / 1e9, (now_ms() - t0) / 1e3);
	return failed ? 1 : 0;
}
