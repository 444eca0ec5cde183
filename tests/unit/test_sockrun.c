// SPDX-License-Identifier: MIT
/*
 * sock_create on each run's own cgroup (agent/daemon/sockrun.c), on this
 * machine's real v2 hierarchy: a subtree ragged-ut-sock-<pid> beneath our
 * own cgroup, a bpffs dir of the same name, and two minimal programs of
 * the hook standing in for the agent's (one counts in a per-CPU cgroup
 * storage as ragged_sock_run does). Teardown detaches and removes all.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "../../agent/daemon/agent.h"
#include "util/util.h"

struct fx {
	struct agent a;
	struct run r;
	char name[64];
	char err[512];
	bool have_run_cg;
};

/* r0 = 1 (allow); exit */
static const struct bpf_insn allow_insns[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
	{ .code = BPF_JMP | BPF_EXIT },
};

static int load_prog(const struct bpf_insn *insns, size_t n)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_CGROUP_INET_SOCK_CREATE);

	return bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK, NULL, "GPL", insns, n, &o);
}

/* Count in the attachment's per-CPU storage, then allow: ragged_sock_run's allow path. */
static int load_counting_prog(int map_fd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_local_storage },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_DW | BPF_ATOMIC, .dst_reg = BPF_REG_0,
		  .src_reg = BPF_REG_1, .imm = BPF_ADD },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return load_prog(insns, sizeof(insns) / sizeof(insns[0]));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct agent *a;

	if (!f)
		return -1;
	*state = f;
	a = &f->a;
	a->cg.v2_fd = -1;
	f->r.cg.v2_fd = -1;
	snprintf(f->r.run_id, sizeof(f->r.run_id), "ut");
	snprintf(f->name, sizeof(f->name), "ragged-ut-sock-%d", (int)getpid());
	snprintf(a->cfg.bpffs_dir, sizeof(a->cfg.bpffs_dir), "/sys/fs/bpf/%s", f->name);
	a->bpf.sock_allowed_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, NULL,
						sizeof(uint64_t), sizeof(uint64_t), 0, NULL);
	a->bpf.sock_create_fd = load_prog(allow_insns, 2);
	a->bpf.sock_run_fd = a->bpf.sock_allowed_fd >= 0 ? load_counting_prog(a->bpf.sock_allowed_fd) : -1;
	if (a->bpf.sock_allowed_fd < 0 || a->bpf.sock_create_fd < 0 || a->bpf.sock_run_fd < 0) {
		print_error("load the test programs: %s\n", strerror(errno));
		return -1;
	}
	if (cgroup_env_init(&a->cg, f->name, f->err, sizeof(f->err)) < 0) {
		print_error("cgroup_env_init: %s\n", f->err);
		return -1;
	}
	if (mkdir_p(a->cfg.bpffs_dir, 0700) < 0) {
		print_error("mkdir %s: %s\n", a->cfg.bpffs_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;
	char path[PATH_MAX + 16];

	if (f->have_run_cg) {
		bpf_prog_detach2(a->bpf.sock_run_fd, f->r.cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE);
		run_cgroup_kill(&a->cg, &f->r.cg);
		run_cgroup_destroy(&a->cg, &f->r.cg);
	}
	/* Whatever a case left on the subtree: ours, in any mode. */
	if (a->cg.v2_fd >= 0)
		while (bpf_prog_detach2(a->bpf.sock_create_fd, a->cg.v2_fd,
					BPF_CGROUP_INET_SOCK_CREATE) == 0)
			;
	snprintf(path, sizeof(path), "%s/links/ragged_sock_create", a->cfg.bpffs_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/links", a->cfg.bpffs_dir);
	rmdir(path);
	rmdir(a->cfg.bpffs_dir);
	cgroup_env_remove(&a->cg);
	if (a->bpf.sock_create_fd > 0)
		close(a->bpf.sock_create_fd);
	if (a->bpf.sock_run_fd > 0)
		close(a->bpf.sock_run_fd);
	if (a->bpf.sock_allowed_fd > 0)
		close(a->bpf.sock_allowed_fd);
	free(f);
	return 0;
}

/* Programs on the cgroup's sock_create hook (not the effective ones), and its flags. */
static int attached(int cgfd, uint32_t *flags)
{
	uint32_t ids[4], n = 4;

	*flags = 0;
	if (bpf_prog_query(cgfd, BPF_CGROUP_INET_SOCK_CREATE, 0, flags, ids, &n) < 0)
		return -1;
	return (int)n;
}

static void make_run_cgroup(struct fx *f)
{
	struct run_limits lim = { .memory_mb = 64, .cpu_seconds = 10, .pids = 16 };

	if (run_cgroup_create(&f->a.cg, "run-ut-sock", &lim, &f->r.cg, f->err, sizeof(f->err)) < 0)
		fail_msg("run_cgroup_create: %s", f->err);
	f->have_run_cg = true;
}

/* A child in the run's cgroup makes n UDP sockets; how many it could. */
static int sockets_in_run(struct fx *f, int n)
{
	int pfd[2], made = -1;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int k = 0;

		if (write_fileat(f->r.cg.v2_fd, "cgroup.procs", "0") < 0)
			_exit(1);
		for (int i = 0; i < n; i++) {
			int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

			if (s >= 0) {
				k++;
				close(s);
			}
		}
		_exit(write(pfd[1], &k, sizeof(k)) == sizeof(k) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], &made, sizeof(made)) != sizeof(made))
		made = -1;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return made;
}

/*
 * The subtree's program is attached to be overridden, the run's replaces it
 * in the run's cgroup and counts there; detached, the subtree's program
 * applies again and the count stays readable (the kernel frees a cgroup's
 * storage with the cgroup, not at a detach).
 */
static void t_attach_count_detach(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;
	uint32_t flags;

	assert_int_equal(sockrun_parent_attach(a, f->err, sizeof(f->err)), 0);
	assert_int_equal(attached(a->cg.v2_fd, &flags), 1);
	assert_int_equal(flags, BPF_F_ALLOW_OVERRIDE);
	make_run_cgroup(f);
	assert_int_equal(sockrun_attach(a, &f->r, f->err, sizeof(f->err)), 0);
	assert_true(f->r.sock_run_attached);
	assert_int_equal(attached(f->r.cg.v2_fd, &flags), 1);
	assert_int_equal(flags, 0);
	assert_int_equal(sockrun_allowed(a, f->r.cg.id), 0);
	assert_int_equal(sockets_in_run(f, 3), 3);
	/* The run's program ran, not the subtree's: its storage counted each one. */
	assert_int_equal(sockrun_allowed(a, f->r.cg.id), 3);
	sockrun_detach(a, &f->r);
	assert_false(f->r.sock_run_attached);
	assert_int_equal(attached(f->r.cg.v2_fd, &flags), 0);
	/* The storage is the cgroup's until it is removed: the count stays, and grows no more. */
	assert_int_equal(sockets_in_run(f, 2), 2);
	assert_int_equal(sockrun_allowed(a, f->r.cg.id), 3);
	sockrun_detach(a, &f->r);	/* not attached: nothing to do */
	sockrun_parent_detach(a);
	assert_int_equal(attached(a->cg.v2_fd, &flags), 0);
	sockrun_parent_detach(a);	/* nothing attached: quiet */
}

/* An agent from before left its program linked and pinned: the pin goes, ours goes on. */
static void t_parent_replaces_old_link(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;
	char links[PATH_MAX + 8], pin[PATH_MAX + 32];
	uint32_t flags;
	int link;

	snprintf(links, sizeof(links), "%s/links", a->cfg.bpffs_dir);
	snprintf(pin, sizeof(pin), "%s/ragged_sock_create", links);
	assert_int_equal(mkdir_p(links, 0700), 0);
	link = bpf_link_create(a->bpf.sock_create_fd, a->cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE, NULL);
	assert_true(link >= 0);
	assert_int_equal(bpf_obj_pin(link, pin), 0);
	close(link);
	assert_int_equal(sockrun_parent_attach(a, f->err, sizeof(f->err)), 0);
	assert_int_equal(access(pin, F_OK), -1);
	assert_int_equal(attached(a->cg.v2_fd, &flags), 1);
	assert_int_equal(flags, BPF_F_ALLOW_OVERRIDE);
}

/* Someone else's multi attachment (no pin of ours): refused, and said. */
static void t_parent_refused(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;

	assert_int_equal(bpf_prog_attach(a->bpf.sock_create_fd, a->cg.v2_fd,
					 BPF_CGROUP_INET_SOCK_CREATE, BPF_F_ALLOW_MULTI), 0);
	assert_int_equal(sockrun_parent_attach(a, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "attach ragged_sock_create"));
}

/*
 * A program above that may not be overridden: the run's cannot go on, the
 * run is refused (runs.c), and a detach of what is not there is logged.
 */
static void t_run_refused(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;

	assert_int_equal(bpf_prog_attach(a->bpf.sock_create_fd, a->cg.v2_fd,
					 BPF_CGROUP_INET_SOCK_CREATE, 0), 0);
	make_run_cgroup(f);
	assert_int_equal(sockrun_attach(a, &f->r, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "attach ragged_sock_run to the run's cgroup"));
	assert_false(f->r.sock_run_attached);
	f->r.sock_run_attached = true;
	sockrun_detach(a, &f->r);
	assert_true(f->r.sock_run_attached);	/* the failure is kept, not hidden */
	f->r.sock_run_attached = false;
}

/* Without the programs (never loaded), nothing is attached and nothing counted. */
static void t_not_loaded(void **state)
{
	struct fx *f = *state;
	struct agent b = f->a;

	b.bpf.sock_create_fd = b.bpf.sock_run_fd = b.bpf.sock_allowed_fd = -1;
	assert_int_equal(sockrun_parent_attach(&b, f->err, sizeof(f->err)), 0);
	sockrun_parent_detach(&b);
	assert_int_equal(sockrun_attach(&b, &f->r, f->err, sizeof(f->err)), 0);
	assert_false(f->r.sock_run_attached);
	assert_int_equal(sockrun_allowed(&b, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(t_attach_count_detach),
		T(t_parent_replaces_old_link),
		T(t_parent_refused),
		T(t_run_refused),
		T(t_not_loaded),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
