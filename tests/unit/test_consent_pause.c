// SPDX-License-Identifier: MIT
/*
 * The run is frozen while its consent question is on screen: on this
 * machine's real v2 hierarchy, a run cgroup (under ragged-ut-pause-<pid>
 * beneath our own cgroup) with a process in it is frozen, thawed, and
 * killed while frozen; a run that cannot be frozen is refused, one that
 * cannot be thawed is ended. Teardown removes every cgroup and process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../agent/daemon/agent.h"
#include "util/util.h"

struct fx {
	struct agent a;
	struct run r;
	char name[64];
	bool have_cg;
	pid_t kid;
	char err[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	f->a.cg.v2_fd = -1;
	f->r.cg.v2_fd = -1;
	snprintf(f->name, sizeof(f->name), "ragged-ut-pause-%d", (int)getpid());
	if (cgroup_env_init(&f->a.cg, f->name, f->err, sizeof(f->err)) < 0) {
		print_error("cgroup_env_init: %s\n", f->err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct cgroup_env *env = &f->a.cg;

	if (f->kid > 0) {
		kill(f->kid, SIGKILL);
		waitpid(f->kid, NULL, 0);
	}
	if (f->have_cg) {
		if (f->r.cg.v2_fd < 0)
			f->r.cg.v2_fd = openat(env->v2_fd, f->r.cg.name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		run_cgroup_kill(env, &f->r.cg);
		run_cgroup_destroy(env, &f->r.cg);
	}
	cgroup_env_remove(env);
	free(f);
	return 0;
}

/* A run cgroup with one process in it that never stops working. */
static void run_with_kid(struct fx *f)
{
	struct run_limits lim = { .memory_mb = 64, .cpu_seconds = 10, .pids = 8 };
	int ready[2];
	char c;

	if (run_cgroup_create(&f->a.cg, "run-pause", &lim, &f->r.cg, f->err, sizeof(f->err)) < 0)
		fail_msg("run_cgroup_create: %s", f->err);
	f->have_cg = true;
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	f->kid = fork();
	assert_true(f->kid >= 0);
	if (f->kid == 0) {
		if (write_fileat(f->r.cg.v2_fd, "cgroup.procs", "0") < 0 ||
		    run_cgroup_enter_v1(&f->a.cg, &f->r.cg) < 0 || write(ready[1], "r", 1) != 1)
			_exit(2);
		for (;;)
			;
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
}

/* Wait (bounded) until cgroup.events says "frozen WANT". */
static bool frozen_is(struct fx *f, int want)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char buf[256], line[16];

	snprintf(line, sizeof(line), "frozen %d", want);
	for (int i = 0; i < 500; i++) {
		if (read_fileat(f->r.cg.v2_fd, "cgroup.events", buf, sizeof(buf)) >= 0 &&
		    strstr(buf, line))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void t_pause_and_resume(void **state)
{
	struct fx *f = *state;

	run_with_kid(f);
	assert_int_equal(consent_pause(&f->a, &f->r), 0);
	assert_true(f->r.paused);
	assert_true(frozen_is(f, 1));
	consent_resume(&f->a, &f->r);
	assert_false(f->r.paused);
	assert_true(frozen_is(f, 0));
	assert_string_equal(f->r.breach, "");
	/* Not paused: a second resume changes nothing. */
	consent_resume(&f->a, &f->r);
	assert_string_equal(f->r.breach, "");
}

static void t_frozen_run_still_dies(void **state)
{
	struct fx *f = *state;
	int status;

	run_with_kid(f);
	assert_int_equal(consent_pause(&f->a, &f->r), 0);
	assert_true(frozen_is(f, 1));
	run_cgroup_kill(&f->a.cg, &f->r.cg);
	assert_int_equal(waitpid(f->kid, &status, 0), f->kid);
	f->kid = 0;
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void t_unfreezable_run_is_not_asked(void **state)
{
	struct fx *f = *state;

	/* No cgroup to freeze: the question must not be asked. */
	assert_int_equal(consent_pause(&f->a, &f->r), -1);
	assert_false(f->r.paused);
}

static void t_unthawable_run_is_ended(void **state)
{
	struct fx *f = *state;

	f->r.paused = true;	/* as if frozen, and the cgroup then became unreachable */
	consent_resume(&f->a, &f->r);
	assert_false(f->r.paused);
	assert_string_equal(f->r.breach, "paused");
	assert_non_null(strstr(f->r.breach_reason, "could not be resumed"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_pause_and_resume),
		T(t_frozen_run_still_dies),
		T(t_unfreezable_run_is_not_asked),
		T(t_unthawable_run_is_ended),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
