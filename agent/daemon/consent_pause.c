// SPDX-License-Identifier: MIT
/*
 * A run is frozen while its consent question is on the user's terminal:
 * whatever the plugin would do meanwhile (redraw the screen, race the
 * answer, keep working while the person reads) waits until the answer.
 * Never frozen for good: the answer, the client going away, and every end
 * of the run (a limit, a revoke, a kill: frozen processes still die of
 * SIGKILL) release it. The wall-clock limit keeps counting while frozen.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"

int consent_pause(struct agent *a, struct run *r)
{
	(void)a;
	if (run_cgroup_freeze(&r->cg, true) < 0) {
		fprintf(stderr, "raggedd: cannot freeze run %s for its consent prompt: %s\n",
			r->run_id, strerror(errno));
		return -1;
	}
	r->paused = true;
	return 0;
}

void consent_resume(struct agent *a, struct run *r)
{
	if (!r->paused)
		return;
	r->paused = false;
	if (run_cgroup_freeze(&r->cg, false) == 0)
		return;
	/* A run that cannot be thawed would hang until its wall limit: end it now. */
	snprintf(r->breach, sizeof(r->breach), "paused");
	snprintf(r->breach_reason, sizeof(r->breach_reason),
		 "the run could not be resumed after the consent prompt: %s", strerror(errno));
	run_cgroup_kill(&a->cg, &r->cg);
}
