// SPDX-License-Identifier: MIT
/*
 * sock_create on each run's own cgroup (bpf/net.bpf.c ragged_sock_run).
 *
 * A program on the plugin subtree learns the run from the caller's cgroup
 * id, a hash lookup that alone costs more than the whole decision on this
 * hook. A program attached to the run's own cgroup knows its run from where
 * it is attached: its allowed count goes in the cgroup's own storage, and
 * an allowed socket costs no lookup. For the run's program to replace the
 * subtree's rather than run beside it, the subtree's ragged_sock_create is
 * attached with BPF_F_ALLOW_OVERRIDE (a legacy attachment: a bpf_link is
 * always multi), and each run's with no flag (nothing below may replace
 * it). Both are held by their cgroups, not by the agent: a killed agent
 * leaves them confining, and a restarted one's override attachment
 * replaces the old program in one step.
 *
 * Order is what keeps it closed: the run's program goes on after the run's
 * slot is in and comes off before the slot goes, so while it is attached a
 * task in the cgroup is in a live run. Before and after, the subtree's
 * program decides by the slot (none = deny).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "log.h"
#include "util/util.h"

int sockrun_parent_attach(struct agent *a, char *err, size_t errlen)
{
	int fd = a->bpf.sock_create_fd;
	char pin[PATH_MAX];

	if (fd < 0)
		return 0;
	if (bpf_prog_attach(fd, a->cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE, BPF_F_ALLOW_OVERRIDE) == 0)
		return 0;
	/*
	 * An agent from before the override attachment left its program
	 * linked (multi): the two kinds cannot share a hook. Its runs were
	 * ended at this agent's start (cgroup_reap_stale), so its link can go
	 * first.
	 */
	if (errno == EPERM &&
	    xsnprintf(pin, sizeof(pin), "%s/links/ragged_sock_create", a->cfg.bpffs_dir) >= 0 &&
	    unlink(pin) == 0 &&
	    bpf_prog_attach(fd, a->cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE, BPF_F_ALLOW_OVERRIDE) == 0)
		return 0;
	snprintf(err, errlen, "attach ragged_sock_create: %s", strerror(errno));
	return -1;
}

void sockrun_parent_detach(struct agent *a)
{
	/* One program per cgroup and hook when not multi: the fd only names the type. */
	if (a->bpf.sock_create_fd >= 0 &&
	    bpf_prog_detach2(a->bpf.sock_create_fd, a->cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE) < 0 &&
	    errno != ENOENT)
		log_msg(LOG_WARNING, "detach ragged_sock_create: %s", strerror(errno));
}

int sockrun_attach(struct agent *a, struct run *r, char *err, size_t errlen)
{
	if (a->bpf.sock_run_fd < 0)
		return 0;
	if (bpf_prog_attach(a->bpf.sock_run_fd, r->cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE, 0) < 0) {
		snprintf(err, errlen, "attach ragged_sock_run to the run's cgroup: %s", strerror(errno));
		return -1;
	}
	r->sock_run_attached = true;
	return 0;
}

/*
 * Before the run's slot goes. The count stays readable (the storage is the
 * cgroup's until the cgroup is removed). A failure leaves the program on
 * (the cgroup's removal takes it off): said, not hidden.
 */
void sockrun_detach(struct agent *a, struct run *r)
{
	if (!r->sock_run_attached)
		return;
	if (bpf_prog_detach2(a->bpf.sock_run_fd, r->cg.v2_fd, BPF_CGROUP_INET_SOCK_CREATE) < 0)
		log_msg(LOG_WARNING, "run %s: detach ragged_sock_run: %s", r->run_id, strerror(errno));
	else
		r->sock_run_attached = false;
}

/* Sockets ragged_sock_run allowed in cgroup cgid (0 when it never was attached there). */
uint64_t sockrun_allowed(struct agent *a, uint64_t cgid)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v, sum = 0;

	if (a->bpf.sock_allowed_fd < 0 || ncpu <= 0 || !(v = calloc((size_t)ncpu, sizeof(*v))))
		return 0;
	if (bpf_map_lookup_elem(a->bpf.sock_allowed_fd, &cgid, v) == 0)
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}
