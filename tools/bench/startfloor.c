// SPDX-License-Identifier: MIT
/*
 * startfloor: method F of tools/bench/startbench.c, the floor of a sandbox
 * start. The harness itself calls the agent's own start steps that talk to
 * the kernel, the same functions raggedd calls for a run (linked in from
 * build/libdaemon.a), and nothing else:
 *
 *   parent: scratch_setup (mkdir + tmpfs), run_cgroup_create (v2 + v1
 *           groups, limits), policy_build (the baseline rules of a run that
 *           was granted nothing), launch_run (clone3 into the cgroup with
 *           CLONE_VM|CLONE_VFORK|CLONE_NEWIPC; the child joins its v1
 *           groups, setsid, stdio, rlimits, the mount view, credentials,
 *           Landlock, no_new_privs, the seccomp filter, execve)
 *   after:  run_cgroup_destroy, umount and remove the scratch
 *
 * Left out, because they are the agent's and not the kernel's: the client's
 * socket, reading and parsing the request, admission (registry, manifest,
 * consent, re-vetting), the BPF map updates, the consent channel, the run's
 * bookkeeping. So D - F is what the agent adds to the kernel work, and F/A
 * is what the kernel asks of any launcher that sets up this sandbox.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "seccomp.h"
#include "startfloor.h"
#include "util/util.h"

static struct agent fa;		/* what launch_run reads: mode, Landlock ABI, cgroup env */
static struct run fr;
static struct manifest fm;
static char *fentry[2];
static unsigned fseq;
static bool env_made;

int floor_init(const char *plugin_dir, const char *entry, const char *mode, const char *state_dir,
	       const char *cgroup, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam("nobody");
	char path[PATH_MAX];

	if (!pw || pw->pw_uid == 0) {
		snprintf(err, errlen, "no unprivileged account \"nobody\" to run as");
		return -1;
	}
	if (strcmp(mode, "landlock") == 0) {
		fa.feat.mode = MODE_LANDLOCK;
		fa.feat.landlock_abi = landlock_abi_version();
		/* As the agent does when UNIX connects cannot be decided per socket. */
		seccomp_refuse_unix_sockets();
	} else if (strcmp(mode, "bpf-lsm") == 0) {
		fa.feat.mode = MODE_BPF_LSM;
	} else {
		snprintf(err, errlen, "unknown enforcement mode \"%s\"", mode);
		return -1;
	}
	if (seccomp_prepare(err, errlen) < 0)
		return -1;
	if (cgroup_env_init(&fa.cg, cgroup, err, errlen) < 0) {
		cgroup_env_remove(&fa.cg);
		return -1;
	}
	env_made = true;
	snprintf(fa.cfg.state_dir, sizeof(fa.cfg.state_dir), "%s", state_dir);
	/* As the agent makes them: the run's account passes through to its scratch. */
	if (xsnprintf(path, sizeof(path), "%s/runs", state_dir) < 0 || mkdir_p(path, 0711) < 0 ||
	    chmod(state_dir, 0711) < 0 || chmod(path, 0711) < 0) {
		snprintf(err, errlen, "%s/runs: %s", state_dir, strerror(errno));
		return -1;
	}
	fr.uid = pw->pw_uid;
	fr.gid = pw->pw_gid;
	snprintf(fr.user, sizeof(fr.user), "nobody");
	snprintf(fr.home, sizeof(fr.home), "/nonexistent");
	snprintf(fr.plugin, sizeof(fr.plugin), "startfloor");
	snprintf(fr.plugin_dir, sizeof(fr.plugin_dir), "%s", plugin_dir);
	/* The agent's defaults for a manifest that asks for no limits of its own. */
	fr.limits = (struct run_limits){ .memory_mb = 512, .cpu_seconds = 60, .pids = 64,
					 .wall_seconds = 300, .scratch_mb = 100 };
	fentry[0] = (char *)entry;
	fm.entry = fentry;
	fm.entry_len = 1;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int floor_spawn(int outfd, int errfd, pid_t *pid, uint64_t steps[FLOOR_PREP], char *err, size_t errlen)
{
	struct launch_req req = { .m = &fm };
	uint64_t t[FLOOR_PREP + 1];
	char cgname[48];
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (nul < 0) {
		snprintf(err, errlen, "/dev/null: %s", strerror(errno));
		return -1;
	}
	snprintf(fr.run_id, sizeof(fr.run_id), "floor%d-%u", (int)getpid(), ++fseq);
	snprintf(cgname, sizeof(cgname), "run-%.16s", fr.run_id);
	if (xsnprintf(fr.scratch, sizeof(fr.scratch), "%s/runs/%s", fa.cfg.state_dir, fr.run_id) < 0) {
		snprintf(err, errlen, "scratch path too long");
		close(nul);
		return -1;
	}
	req.stdio[0] = nul;
	req.stdio[1] = outfd;
	req.stdio[2] = errfd;
	req.chan_fd = nul;	/* no consent channel: fd 3 is /dev/null */
	t[0] = now_ns();
	if (scratch_setup(&fr, err, errlen) < 0 || (t[1] = now_ns(),
	    run_cgroup_create(&fa.cg, cgname, &fr.limits, &fr.cg, err, errlen) < 0) || (t[2] = now_ns(),
	    policy_build(&fa, &fr, &fm, 0, &fr.pol, err, errlen) < 0) || (t[3] = now_ns(),
	    launch_run(&fa, &fr, &fr.pol, &req, err, errlen) < 0)) {
		close(nul);
		floor_reap();
		return -1;
	}
	for (int i = 0; i < FLOOR_PREP; i++)
		steps[i] = t[i + 1] - t[i];
	close(nul);
	close(fr.pidfd);
	*pid = fr.pid;
	return 0;
}

void floor_reap(void)
{
	policy_free(&fr.pol);
	if (fr.cg.name[0])
		run_cgroup_destroy(&fa.cg, &fr.cg);
	memset(&fr.cg, 0, sizeof(fr.cg));
	scratch_release(&fr);
	if (fr.scratch[0])
		rm_tree(fr.scratch);
	fr.scratch[0] = '\0';
}

void floor_fini(void)
{
	if (env_made)
		cgroup_env_remove(&fa.cg);
	env_made = false;
}
