// SPDX-License-Identifier: MIT
/*
 * Process-tree monitoring: loads bpf/proc.bpf.c (tp_btf sched_process_fork,
 * _exec, _exit) in both modes. Its maps are the shared pinned ones, so its
 * records arrive through the same ring buffer and counters as decisions.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <sys/wait.h>

#include "agent.h"
#include "proc.skel.h"
#include "util/util.h"

int procmon_load(struct agent *a, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = a->cfg.bpffs_dir);

	a->bpf.proc = proc_bpf__open_opts(&opts);
	if (!a->bpf.proc || proc_bpf__load(a->bpf.proc) < 0) {
		snprintf(err, errlen, "load process monitor: %s", strerror(errno));
		return -1;
	}
	/* Attached with every other program while runs exist (bpf_hooks_hold). */
	return 0;
}

void procmon_unload(struct agent *a)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];

	if (!a->bpf.proc)
		return;
	bpf_object__for_each_program(prog, a->bpf.proc->obj)
		if (xsnprintf(path, sizeof(path), "%s/links/%s", a->cfg.bpffs_dir,
			      bpf_program__name(prog)) >= 0)
			unlink(path);
	bpf_object__for_each_map(map, a->bpf.proc->obj)
		if (bpf_map__is_pinned(map))
			bpf_map__unpin(map, NULL);
	proc_bpf__destroy(a->bpf.proc);
	a->bpf.proc = NULL;
}

/*
 * What a plugin is expected to exec: its entry point and files in its own
 * directory. Anything else (a shell, curl, another interpreter) is worth a
 * flag: it is how droppers and reverse shells start, and legitimate plugins
 * rarely need it.
 */
static bool exec_expected(const struct run *r, const char *path)
{
	size_t n = strlen(r->plugin_dir);

	if (strcmp(path, r->entry_exe) == 0)
		return true;
	return strncmp(path, r->plugin_dir, n) == 0 && path[n] == '/';
}

void procmon_record(struct agent *a, struct run *r, const struct ragged_event *e)
{
	static const char *const names[] = { "", "process_started", "process_exec", "process_exited" };
	cJSON *rec, *d;

	if (!r) {
		/* The run is gone (records drained after it ended): still count it. */
		a->orphan_records++;
		return;
	}
	r->records++;
	a->records_total++;
	rec = cJSON_CreateObject();
	auditrec_kernel_time(a, rec, e->boot_ns);
	cJSON_AddStringToObject(rec, "event", e->proc_op < 4 ? names[e->proc_op] : "process_unknown");
	auditrec_run_fields(rec, r);
	cJSON_AddStringToObject(rec, "result", "observed");
	cJSON_AddStringToObject(rec, "enforcement", mode_name(a->feat.mode));
	d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddNumberToObject(d, "pid", e->pid);
	/* The kernel's own time of the decision: identifies the record across a restart. */
	cJSON_AddNumberToObject(d, "kernel_ns", (double)e->boot_ns);
	cJSON_AddNumberToObject(d, "ppid", e->ppid);
	cJSON_AddStringToObject(d, "comm", e->comm);
	switch (e->proc_op) {
	case RAGGED_PROC_FORK:
		r->forks++;
		break;
	case RAGGED_PROC_EXEC:
		r->execs++;
		cJSON_AddStringToObject(d, "path", e->path);
		if (!exec_expected(r, e->path)) {
			r->unexpected_execs++;
			cJSON_AddBoolToObject(d, "unexpected", 1);
			cJSON_AddStringToObject(d, "why", "exec of a binary outside the plugin dir "
						"that is not its entry point");
		}
		break;
	case RAGGED_PROC_EXIT:
		if (WIFSIGNALED(e->exit_code))
			cJSON_AddNumberToObject(d, "signal", WTERMSIG(e->exit_code));
		else
			cJSON_AddNumberToObject(d, "exit_status", WEXITSTATUS(e->exit_code));
		break;
	}
	auditrec_emit(a, rec);
}
