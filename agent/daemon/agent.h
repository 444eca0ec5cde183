/* SPDX-License-Identifier: MIT */
/*
 * raggedd internals: the shared structs, then one section per module (x.c),
 * each declaring exactly what that file defines. The modules form layers;
 * a module calls only modules below it (tools/check-layers.sh, run by
 * make test, fails on any include or call cycle), and the few ways up are
 * hooks in struct agent that server_listen wires (a->publish,
 * a->publish_wanted, a->client_gone). From the top down:
 *   raggedd                 the event loop
 *   server                  the dispatcher: the command table
 *   runconsent, restart     carrying consent out (answers, the plugin's
 *                           channel, live changes); adopting a dead agent's runs
 *   runs                    run lifecycle: start, launch, reconcile, reap, abort
 *   consent, limits, metrics  consent decides (admit, ask, refuse); limits
 *                           and each run's tick; counters
 *   registry, auditsrv, catalog, events, hostaddr
 *                           plugins and the consent store; audit show, verify,
 *                           follow; the permission catalog; the ring buffer
 *                           drain; this host's addresses
 *   vetting, flood, procmon, clientio
 *                           validation; record rate limits; the process tree;
 *                           the transport (sending never blocks or ends a client)
 *   auditrec, launch        the audit sink; the launch of a run
 *   probe, bpfload, mounts, consent_pause, policy, kmaps, cgroup, fsview,
 *   landlock, seccomp, account, log
 *                           features; BPF objects; rules in user-space form
 *                           and in the maps; cgroups; landlock mode's mount
 *                           view; the in-child restrictions; who a plugin
 *                           runs as; diagnostics
 * The three flows (docs/contract.md §10):
 *   Launch:     server -> runs -> consent (registry, vetting) -> policy ->
 *               cgroup -> kmaps -> launch
 *   Permission: manifest -> consent -> policy -> kmaps (bpf-lsm) / landlock
 *               (fallback); runconsent for answers and live changes
 *   Event:      bpf -> events (ring buffer drain) -> auditrec -> auditlog ->
 *               a->publish (auditsrv: followers)
 */
#ifndef RAGGED_AGENT_H
#define RAGGED_AGENT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "ragged/events.h"
#include "ragged/exitcodes.h"
#include "ragged/policy.h"
#include "util/stamp.h"

struct auditlog;
struct auditquery;

#define TICK_MS 50		/* limit checks: the bound on how late a CPU/wall kill is */
/*
 * The programs stay on their hooks this long after the last run ended, so
 * that runs one after another (ragged running its plugins) do not each
 * attach and detach every program: ~40 link creations and as many kernel
 * text patches per run in bpf-lsm mode. After it, an idle agent has nothing
 * on any hook.
 */
#define HOOKS_LINGER_MS 2000
struct ring_buffer;

enum enforcement_mode { MODE_BPF_LSM, MODE_LANDLOCK };

struct features {
	enum enforcement_mode mode;
	char reason[256];	/* why this mode: the probe that decided */
	int landlock_abi;	/* 0 = none */
	bool lsm_has_bpf;	/* "bpf" in /sys/kernel/security/lsm */
	int lsm_load_err;	/* errno of the BPF-LSM load probe, 0 = loaded */
	bool cgroup_hybrid;	/* controllers on v1, BPF on v2 */
	bool unix_sockets;	/* UNIX socket connects decided per socket; else AF_UNIX refused */
};

const char *mode_name(enum enforcement_mode m);

/* The agent's cgroup subtrees, created once at start. */
struct cgroup_env {
	char v2[PATH_MAX];		/* v2 directory holding the runs */
	int v2_fd;
	bool v2_memory, v2_pids, v2_cpu;	/* controllers enabled on v2 */
	char v1_memory[PATH_MAX];	/* "" when not used */
	char v1_pids[PATH_MAX];
	char v1_cpuacct[PATH_MAX];
	/*
	 * v1 "cpu" mounted apart from cpuacct (and no cpu on v2): one group
	 * every run joins, so a plugin's setsid() creates no scheduler
	 * autogroup (autogroups apply only in the root task group, and a new
	 * one waits a scheduler slice on a busy machine: 3-4 ms of the start).
	 */
	char v1_cpu[PATH_MAX];
};

struct run_limits {
	uint32_t memory_mb, cpu_seconds, pids, wall_seconds, scratch_mb;
};

/* What a run used, read from its cgroups (v2 where present, else v1). */
struct run_usage {
	uint64_t cpu_usec;		/* v2 cpu.stat usage_usec: every process of the run */
	uint64_t mem_peak;		/* bytes: memory.peak / memory.max_usage_in_bytes */
	uint64_t oom_kills;		/* memory.events oom_kill / memory.oom_control */
	uint64_t pids_peak;
	uint64_t pids_max_hits;		/* forks refused at pids.max */
	uint64_t scratch_used;		/* bytes in the scratch tmpfs */
	uint64_t scratch_size;
};

/* cgroup files a limit check reads (run_cgroup_usage) */
enum { USAGE_CPU_STAT, USAGE_MEM_PEAK, USAGE_MEM_EVENTS, USAGE_PIDS_PEAK, USAGE_PIDS_CURRENT,
       USAGE_PIDS_EVENTS, RUN_USAGE_FILES };

struct run_cgroup {
	char name[48];			/* run-<id> */
	int v2_fd;			/* O_PATH|O_DIRECTORY: for CLONE_INTO_CGROUP */
	uint64_t id;			/* v2 cgroup id: the BPF map key */
	char v1_memory[PATH_MAX];
	char v1_pids[PATH_MAX];
	char v1_cpuacct[PATH_MAX];
	/*
	 * The files every limit check reads, opened at the first check and
	 * read with pread from then on: one syscall per file per tick instead
	 * of a path walk, open, read and close. Valid only when usage_open (a
	 * zeroed struct must not close fd 0); -1 for a file this kernel lacks.
	 */
	bool usage_open;
	int usage_fd[RUN_USAGE_FILES];
};

/* A run's rules in user-space form, before they become map entries or Landlock rules. */
struct file_rule {
	char path[RAGGED_PATH_MAX];	/* canonical, absolute; dir rules end in '/' */
	uint32_t access;		/* RAGGED_ACC_* */
	uint32_t perm;			/* granting permission, RAGGED_PERM_COUNT = baseline */
	bool system;			/* a system path, the same for every run (landlock_kept.c) */
	/* The object the path named at policy build (bpf-lsm inode_rules). */
	bool has_inode;
	uint32_t kdev;			/* kernel encoding: major << 20 | minor */
	uint64_t ino;
};

struct net_rule {
	int family;			/* AF_INET / AF_INET6 */
	uint8_t addr[16];
	uint8_t prefix;			/* address bits */
	uint8_t named_bits;		/* struct ragged_net_rule: what the grant names */
	uint16_t port;			/* host order */
	uint32_t proto_mask;		/* 1 << IPPROTO_TCP | 1 << IPPROTO_UDP */
	uint32_t perm;
};

struct policy {
	uint32_t perms;
	struct file_rule *files;
	size_t n_files, cap_files;
	struct net_rule *nets;
	size_t n_nets, cap_nets;
};

struct bpf_state {
	struct net_bpf *net;
	struct file_bpf *file;
	struct monitor_bpf *monitor;
	struct proc_bpf *proc;
	struct ring_buffer *rb;
	int runs_fd, orphan_fd, file_rules_fd, net_rules_fd, events_fd;
	int swap_prog_fd;		/* bpf/net.bpf.c ragged_swap_policy: live policy changes */
	int inode_rules_fd;		/* bpf-lsm mode: bpf/fsmod.bpf.c; else -1 */
	/* sockrun.c: the subtree's and the runs' sock_create programs, the runs' counts */
	int sock_create_fd, sock_run_fd, sock_allowed_fd;
	bool hooks_attached;		/* every program attached (while runs exist, and HOOKS_LINGER_MS after) */
};

struct client;

struct run {
	struct run *next;
	struct agent *agent;
	struct client *client;		/* NULL once the client went away */
	char run_id[33];
	uid_t owner;			/* who started it (the caller) */
	uid_t uid;			/* who it runs as */
	gid_t gid;
	char user[64];			/* owner's name, for records */
	char home[PATH_MAX];		/* the run account's home */
	struct {			/* the caller's passwd entry (caller_account) */
		bool known;
		gid_t gid;
		char home[PATH_MAX];
	} caller;
	char plugin[MANIFEST_NAME_MAX + 1];
	char version[65];
	char plugin_dir[PATH_MAX];
	char entry_exe[PATH_MAX];	/* the resolved entry point (e.g. /usr/bin/python3) */
	char scratch[PATH_MAX];
	struct run_cgroup cg;
	struct run_limits limits;
	uint32_t policy_id;
	uint32_t perms;
	struct policy pol;		/* kept to remove exactly its map entries */
	struct manifest m;		/* kept to rebuild the policy on a live grant */
	uint32_t granted;		/* consent in force (declared permissions only) */
	int chan_fd;			/* agent end of the plugin's consent channel */
	pid_t pid;
	int pidfd;
	uint64_t start_ns;
	bool ticking;			/* its limits are checked on the agent's tick */
	bool scratch_mounted;
	bool scratch_fd_open;		/* scratch_fd: the tmpfs's root, for fstatfs (limits.c) */
	int scratch_fd;
	bool sock_run_attached;		/* ragged_sock_run is on its cgroup (sockrun.c) */
	bool paused;			/* frozen while a consent question is on screen */
	struct run_usage usage;
	uint64_t cpu_check_ns;		/* monotonic: no CPU breach is possible before (limits.c) */
	char breach[32];		/* the limit that ended it, "" if none */
	char breach_reason[160];	/* one line for the caller */
	uint64_t breach_usage, breach_bound;	/* what was measured against what */
	const char *breach_unit;	/* a string literal: "bytes", "ms", "processes" */
	uint64_t records;		/* ring-buffer records logged for this run */
	uint64_t forks, execs, unexpected_execs;
	struct flood *flood;		/* flood.c bookkeeping, lazily allocated */
	uint64_t suppressed;		/* records folded into events_suppressed */
	struct agent_recs *agent_recs;	/* flood.c: records the plugin causes at will */
	uint64_t agent_suppressed;	/* of those, folded into events_suppressed */
	uint64_t chan_requests;		/* requests read from the consent channel */
	bool exited;
	bool ghost;			/* a run of a dead agent, adopted only to be accounted */
	uint64_t prior_logged;		/* ghost: kernel records the dead agent had logged */
	uint64_t prior_suppressed;	/* ghost: and folded into events_suppressed */
	uint64_t dup_ns;		/* ghost: kernel time of the last record it logged */
	uint64_t lost_extra;		/* ghost: counts the dead agent held only in memory */
	uint32_t dup_pid;
};

/* A run waiting for the user's answer to its first-run prompt. */
struct pending_run {
	struct run *r;
	uint32_t granted;		/* already granted */
	uint32_t need;			/* required, asked for now */
	int fds[3];			/* the caller's stdio, kept until launch */
	cJSON *args;			/* the plugin's extra arguments */
};

struct outmsg;

/* Transport bounds (clientio.c, docs/security-model.md "Agent robustness"). */
#define CLIENT_OUTQ_MAX (256 * 1024)	/* bytes queued for one client before it is dropped */
#define CLIENTS_PER_UID 32		/* connections of one non-root user */

struct client {
	struct client *next;
	struct agent *agent;
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	struct run *run;		/* the run this client is attached to */
	bool follow;			/* audit follow subscriber */
	struct auditquery *query;	/* its filter, restricted to its uid */
	bool tty;			/* a person can answer prompts there */
	struct pending_run *pending;	/* first-run prompt outstanding */
	uint32_t asking;		/* optional permission being asked for the run */
	/* transport (clientio.c) */
	bool dead;			/* to be reaped by the loop; nothing more is sent */
	const char *drop_reason;	/* why the agent dropped it (a record), NULL: it left */
	bool handed_off;		/* a worker process owns the socket now */
	bool want_out;			/* EPOLLOUT watched: the queue waits for room */
	struct outmsg *outq, **outq_tail;
	size_t outq_bytes;
};

struct agent {
	struct ragged_config cfg;
	const char *config_path;
	struct features feat;
	struct cgroup_env cg;
	struct bpf_state bpf;
	struct auditlog *audit;
	int listen_fd;
	int epfd;
	int sigfd;
	/* One timer for every run's limit checks (limits.c), armed while runs
	 * are ticking: made at the first run, so tick_made and not a -1. */
	bool tick_made;
	bool tick_armed;		/* the timer is armed */
	uint64_t hooks_idle_ns;		/* when the last run ended (HOOKS_LINGER_MS) */
	int tick_fd;
	struct run *runs;
	struct client *clients;
	uint32_t next_policy_id;
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	uint64_t audit_errors;		/* records the log refused (disk full...) */
	uint64_t journal_errors;	/* journal copies that could not be sent (journal.c) */
	uint64_t records_total;		/* ring-buffer records logged */
	uint64_t orphan_records;	/* records for cgroups with no run */
	struct agent_stats {		/* since start, for metrics (metrics.c) */
		uint64_t runs_started, runs_finished, limit_kills;
		uint64_t suppressed, lost;	/* of finished runs */
		uint64_t allow[RAGGED_HOOK_MAX], deny[RAGGED_HOOK_MAX];	/* of finished runs */
		int64_t textfile_written_ms;
	} stats;
	int drain_budget;		/* records left in this drain pass */
	/*
	 * Hooks that let a lower module reach a higher one without calling it
	 * (server_listen wires them): the audit sink's publisher, records to
	 * followers (auditsrv_publish), asked first whether anyone follows;
	 * the transport telling the run module a client is gone.
	 */
	void (*publish)(struct agent *a, const cJSON *rec, const char *line);
	bool (*publish_wanted)(const struct agent *a);
	void (*client_gone)(struct agent *a, struct client *c);
	unsigned clients_dead;		/* marked dead, not reaped yet */
	uint64_t clients_refused;	/* connections refused (per-user bound, no descriptors) */
	int spare_fd;			/* given up to shed a connection when out of descriptors */
	uint64_t drops_window_ms;	/* client_dropped records: rate limit (clientio.c) */
	uint32_t drops_logged;
	uint64_t drops_suppressed;
	struct file_cache manifests;	/* plugin.toml path -> struct manifest */
	struct file_cache entries;	/* registry entry path -> cJSON */
	volatile int stop;
};

/* filecache.c: what admission read from files, kept while they are unchanged */
void file_caches_clear(struct agent *a);
void json_val_free(void *v);
int manifest_load_cached(struct agent *a, const char *path, struct manifest *m, char *err,
			 size_t errlen);

/* mounts.c */
int ensure_mounts(char *err, size_t errlen);

/* probe.c */
int probe_features(struct agent *a, char *err, size_t errlen);

/* bpfload.c */
int bpf_load(struct agent *a, char *err, size_t errlen);
void bpf_unload(struct agent *a);
int bpf_probe_lsm(const char *pin_dir);	/* 0 or -errno */
struct bpf_object;
/* Attach every program of obj (to the plugin subtree if cgroup) and pin the links. */
int bpf_attach_all(struct agent *a, struct bpf_object *obj, bool cgroup, char *err, size_t errlen);
/* Attach every program before a run can start; detach once no run is left. */
int bpf_hooks_hold(struct agent *a, bool take_back, char *err, size_t errlen);
void bpf_hooks_release_if_idle(struct agent *a);
bool bpf_links_left(const struct agent *a);

/* sockrun.c: sock_create on each run's own cgroup */
int sockrun_parent_attach(struct agent *a, char *err, size_t errlen);
void sockrun_parent_detach(struct agent *a);
int sockrun_attach(struct agent *a, struct run *r, char *err, size_t errlen);
void sockrun_detach(struct agent *a, struct run *r);
uint64_t sockrun_allowed(struct agent *a, uint64_t cgid);

/* procmon.c: process-tree monitoring (tp_btf sched_process_*) */
int procmon_load(struct agent *a, char *err, size_t errlen);
void procmon_unload(struct agent *a);
void procmon_record(struct agent *a, struct run *r, const struct ragged_event *e);

/* cgroup.c */
int cgroup_env_init(struct cgroup_env *env, const char *name, char *err, size_t errlen);
/* Close and rmdir every directory cgroup_env_init made: -1 when the v2 one stays (a run left). */
int cgroup_env_remove(struct cgroup_env *env);
int run_cgroup_create(const struct cgroup_env *env, const char *name,
		      const struct run_limits *lim, struct run_cgroup *cg,
		      char *err, size_t errlen);
/* In the child, before exec: the run's v1 groups and the agent's cpu group. */
int run_cgroup_enter_v1(const struct cgroup_env *env, const struct run_cgroup *cg);
void run_cgroup_kill(const struct cgroup_env *env, struct run_cgroup *cg);
int run_cgroup_freeze(const struct run_cgroup *cg, bool frozen);
int run_cgroup_destroy(const struct cgroup_env *env, struct run_cgroup *cg);
struct stale_run {
	char name[40];			/* run id prefix from the cgroup name */
	uint64_t cgid;
};
int cgroup_reap_stale(const struct cgroup_env *env, struct stale_run *out, int max);
int cgroup_stale_destroy(const struct cgroup_env *env, const char *name);
/* What run_cgroup_usage reads besides the breach counters (OOM kills, forks refused). */
#define RUN_USAGE_CPU 1u	/* cpu.stat */
#define RUN_USAGE_PEAKS 2u	/* the memory and pids peaks: for the records */
#define RUN_USAGE_ALL (RUN_USAGE_CPU | RUN_USAGE_PEAKS)
void run_cgroup_usage(struct run_cgroup *cg, struct run_usage *u, unsigned what);
void run_cgroup_usage_close(struct run_cgroup *cg);	/* run_cgroup_destroy does it too */

/* policy.c */
uint32_t policy_kernel_dev(dev_t dev);
/* The path a rule names, as open(2) takes it: a directory rule without its '/'. */
void policy_rule_path(const struct file_rule *fr, char out[RAGGED_PATH_MAX]);
void policy_resolve_inodes(struct policy *p);
int policy_build(const struct agent *a, const struct run *r, const struct manifest *m,
		 uint32_t granted, struct policy *p, char *err, size_t errlen);
void policy_free(struct policy *p);

/* kmaps.c */
int kmaps_install(struct agent *a, struct run *r, const struct policy *p,
		  char *err, size_t errlen);
void kmaps_remove(struct agent *a, struct run *r);
int kmaps_counters(struct agent *a, uint64_t cgid, struct ragged_run_counters *sum);

/* landlock.c (runs in the child) */
int landlock_abi_version(void);
int landlock_apply(const struct policy *p, int abi, int mqueue_root, char *err, size_t errlen);
int landlock_mqueue_root(void);	/* as root, in the run's IPC namespace; -1: none */
/* landlock_kept.c (agent, around the launch clone): the baseline rules' objects, kept open */
int landlock_prepare(const struct policy *p);	/* -1: nothing prepared, the child opens */
int landlock_prepared_fd(const struct policy *p, size_t i, bool *dir);	/* child: -1 none */
void landlock_release(void);
void landlock_forget(void);	/* agent exit: close what is kept */

/* fsview.c: landlock mode's read-only mount view outside the writable trees */
struct fsview_mount {
	char path[RAGGED_PATH_MAX];
	bool writable;
};
struct fsview {
	struct fsview_mount *m;		/* parents before the trees below them */
	size_t n;
};
int fsview_plan(const struct policy *p, struct fsview *v);
void fsview_free(struct fsview *v);
int fsview_prepare(const struct policy *p);	/* agent, before the launch clone */
void fsview_release(void);
int fsview_enter(char *err, size_t errlen);	/* launch child, still root */

/* seccomp.c (runs in the child, after no_new_privs, right before exec) */
int seccomp_apply(enum enforcement_mode mode, char *err, size_t errlen);

/* launch.c */
struct launch_req {
	const struct manifest *m;
	int chan_fd;			/* plugin end of the consent channel, becomes fd 3 */
	char *const *extra_args;
	size_t n_extra;
	int stdio[3];
};
int launch_run(struct agent *a, struct run *r, const struct policy *p,
	       const struct launch_req *req, char *err, size_t errlen);

/* restart.c: adopting what a dead agent left */
#define MAX_STALE 64
void restart_adopt(struct agent *a, const struct stale_run *st, int n);
void restart_settle(struct agent *a);

/* limits.c: resource limits, the scratch space, and the agent's one tick for all runs */
int scratch_setup(struct run *r, char *err, size_t errlen);
void scratch_release(struct run *r);
int runs_reap_stale_scratch(struct agent *a, struct stale_run *st, int n, int max);
void check_limits(struct agent *a, struct run *r, bool full);
uint64_t cpu_check_after_ns(uint64_t bound_usec, uint64_t used_usec, unsigned ncpu);
int limits_watch(struct agent *a, struct run *r);
void limits_hooks_idle(struct agent *a);
void limits_tick(struct agent *a);

/* account.c: who a plugin runs as (the caller, or root_run_as for root) */
void caller_account(struct run *r, uid_t uid);
int run_account(struct agent *a, struct client *c, struct run *r, char *err, size_t errlen);

/*
 * consent.c: consent decides: admit a run with what is granted, ask (the
 * prompt), or refuse; it never calls into run lifecycle.
 */
int consent_admit(struct agent *a, struct client *c, const cJSON *msg, struct run *r,
		  uint32_t *granted, uint32_t *need, int *code, char *err, size_t errlen);
void consent_prompt(struct client *c, const struct run *r, uint32_t perms, const char *kind);
void consent_record(struct agent *a, const struct run *r, const char *event, const char *result,
		    uint32_t perms, const char *via);
void consent_permissions(struct agent *a, struct client *c, const cJSON *msg);

/* consent_pause.c: the run is frozen while its question is on screen */
int consent_pause(struct agent *a, struct run *r);
void consent_resume(struct agent *a, struct run *r);

/*
 * runconsent.c: the run module carries consent out: answers to prompts,
 * the plugin's consent channel, live changes to running plugins.
 */
void consent_answer(struct agent *a, struct client *c, const cJSON *msg);
void consent_channel_event(struct agent *a, struct run *r);
void consent_channel_close(struct agent *a, struct run *r, const char *why);	/* why: recorded */
#define CHAN_SNDBUF 16384	/* the agent's end: replies a plugin leaves unread */
void consent_client_gone(struct agent *a, struct client *c);
void runs_consent_changed(struct agent *a, uid_t owner, const char *plugin, uint32_t granted);
void runs_client_gone(struct agent *a, struct client *c);	/* a->client_gone */

/* runs.c: run lifecycle: start, launch, reconcile, reap, abort */
void run_start(struct agent *a, struct client *c, const cJSON *msg, int *fds, int nfds);
void run_launch(struct agent *a, struct client *c, struct run *r, uint32_t granted,
		int *fds, const cJSON *args);
void run_refuse(struct agent *a, struct client *c, struct run *r, int code,
		const char *event, const char *err);
struct run *run_find_chan(struct agent *a, int fd);
struct run *run_find_pidfd(struct agent *a, int fd);
void run_reconcile(struct agent *a, struct run *r, cJSON *details);
void run_free(struct agent *a, struct run *r);
void run_reap(struct agent *a, struct run *r);
void run_abort(struct agent *a, struct run *r);

/* catalog.c: every permission and what it grants the caller here. */
void catalog_reply(struct agent *a, struct client *c);

/* metrics.c: counters since start (status reply, Prometheus textfile). */
cJSON *metrics_snapshot(struct agent *a);
void metrics_tick(struct agent *a);

/* hooks.c: each hook's name, mechanism and (escape hooks) what it stops; a leaf */
struct hook_info {
	const char *name;
	const char *mechanism;
	const char *what;	/* escape hooks: what was attempted; NULL: not an escape */
};
const struct hook_info *hook_info_of(unsigned h);	/* "unknown" for a hook not in the table */
const char *events_hook_name(int hook);			/* NULL for a hook not in the table */
const char *events_hook_mechanism(int hook);

/* events.c: the ring buffer drain; kernel records become audit records */
int events_setup(struct agent *a, char *err, size_t errlen);
int events_drain(struct agent *a);	/* at most EVENTS_BUDGET records: the loop stays responsive */
void events_drain_all(struct agent *a);	/* until the ring buffer is empty */
#define EVENTS_BUDGET 4096

/* flood.c: per-run rate limits on records, exact counts of what was suppressed */
struct flood;
bool flood_suppress(struct agent *a, struct run *r, const struct ragged_event *e);
bool flood_agent_record(struct agent *a, struct run *r, const char *event, const char *via,
			uint32_t perms);
void flood_flush(struct agent *a, struct run *r);
void flood_tick(struct agent *a, struct run *r);

/* auditrec.c: the audit sink: build a record with the common fields, append it */
cJSON *auditrec_new(const struct agent *a, const char *event, const char *result);
void auditrec_run_fields(cJSON *rec, const struct run *r);
void auditrec_perms(cJSON *rec, const char *key, uint32_t mask);
void auditrec_kernel_time(const struct agent *a, cJSON *rec, uint64_t boot_ns);
void auditrec_user(cJSON *rec, uid_t uid);
int auditrec_emit(struct agent *a, cJSON *rec);	/* takes ownership; then a->publish */

/*
 * advisories.c: record an update of the advisory data (its stamp) once;
 * by: the client that asked (NULL at start and reload). 1 recorded, 0
 * nothing new, -1 unusable stamp or no advisory_db (err says why).
 */
int advisories_record(struct agent *a, const struct client *by, char *err, size_t errlen);

/* journal.c: the record as journal fields ([audit] journal); 0 sent, -1 not. */
int journal_send_record(const cJSON *rec, uint64_t seq, const char *hash);

/* auditsrv.c: audit show, verify, follow; the follower service behind a->publish */
void auditsrv_show(struct agent *a, struct client *c, const cJSON *msg);
void auditsrv_verify(struct agent *a, struct client *c);
void auditsrv_follow(struct agent *a, struct client *c, const cJSON *msg);
bool auditsrv_may_see(const struct client *c, const cJSON *rec);
void auditsrv_publish(struct agent *a, const cJSON *rec, const char *line);	/* a->publish */
bool auditsrv_following(const struct agent *a);	/* a->publish_wanted */

/* registry.c: installed plugins and the consent store */
bool plugin_name_valid(const char *s);
/*
 * 0, or minus the exit code of the failure (ragged/exitcodes.h):
 * -EXIT_BAD_INPUT for a manifest that does not load, -EXIT_FINDINGS when
 * validation blocks and the risk was not accepted, -EXIT_FAILED otherwise.
 */
int registry_install(struct agent *a, uid_t uid, const char *dir, bool replace,
		     bool accept_risk, cJSON **out, char *err, size_t errlen);
int registry_lookup(struct agent *a, uid_t uid, const char *name, cJSON **entry,
		    char *err, size_t errlen);
int registry_list(struct agent *a, uid_t caller, cJSON **out);	/* in (uid, name) order */
/*
 * One page of that list: the entries after AFTER ("" for the first page,
 * else "UID/NAME", a previous page's next), as many as fit BUDGET bytes
 * printed (at least one). NEXT gets where the next page starts, "" after
 * the last. -1 with err for a malformed AFTER, -2 when the list cannot be made.
 */
int registry_list_page(struct agent *a, uid_t caller, const char *after, size_t budget,
		       cJSON **out, char *next, size_t nextlen, char *err, size_t errlen);
int consent_granted(struct agent *a, uid_t uid, const char *name, const char *digest,
		    uint32_t *granted);
int consent_store(struct agent *a, uid_t uid, const char *name, const char *digest,
		  uint32_t granted, char *err, size_t errlen);
/*
 * A run's vetting result (validate_record_json) whose digest is neither the
 * install's nor the last one kept goes into the entry as
 * "validation_last_run". Best effort: the run's decision does not wait on it.
 */
void registry_note_vetting(struct agent *a, uid_t uid, const cJSON *entry, const cJSON *vet);
/*
 * {"plugin": NAME, "uid"?: N} -> {"name","uid","validation","validation_last_run"}
 * with their findings (the plugin list leaves them out); a user reads only
 * their own plugins, root every user's.
 */
int registry_vetting(struct agent *a, uid_t caller, const cJSON *msg, cJSON **out,
		     char *err, size_t errlen);
/* The stored consent document ({"digest","granted":{perm: since}}), NULL if none or unreadable. */
cJSON *consent_read(struct agent *a, uid_t uid, const char *name);
/* The manifest's network endpoints for display: [{"endpoint", "reaches"?}]. */
cJSON *consent_endpoints_json(const struct manifest *m, bool *any_local);

/* vetting.c: static validation on install and before each run */
int vet_plugin(struct agent *a, const char *dir, const struct manifest *m, uid_t uid,
	       bool record, bool accepted, cJSON **summary, char digest_out[65],
	       char *err, size_t errlen);

/* server.c: the dispatcher, on top: the command table; wires the hooks above */
int server_listen(struct agent *a, char *err, size_t errlen);
void server_client_event(struct agent *a, struct client *c, uint32_t events);

/*
 * clientio.c: the transport, a leaf: the socket, the epoll registrations,
 * per-client queues. Sending never blocks and never ends a client: a
 * failed send marks it dead and the loop reaps it (client_reap).
 */
int clientio_listen(struct agent *a, char *err, size_t errlen);
void server_accept(struct agent *a);
struct client *client_find(struct agent *a, int fd);
void client_send(struct client *c, cJSON *msg);	/* queues; does not take ownership */
void client_put(struct client *c, const char *text, size_t len);	/* one framed message */
void reply_error(struct client *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void client_flush_out(struct client *c);	/* EPOLLOUT: send what is queued */
void client_drop(struct client *c, const char *reason);	/* mark dead; reason: recorded */
void client_reap(struct agent *a);		/* the loop, after each pass */
void client_close(struct agent *a, struct client *c);	/* top level only: end it now */
void client_write_queued(struct client *c);	/* a worker that took the socket over */
void clients_flush_drops(struct agent *a, bool force);	/* suppressed drop records */
/* epoll tags: the low bits of the epoll data say what the fd is */
enum ep_kind { EP_LISTEN = 1, EP_CLIENT, EP_RUN, EP_RINGBUF, EP_SIGNAL, EP_TIMER, EP_CHAN,
	       EP_HOSTADDR };
int ep_add(struct agent *a, int fd, enum ep_kind kind, void *ptr);
void ep_del(struct agent *a, int fd);

/* hostaddr.c: this host's own addresses in the network program's map. */
int hostaddr_setup(struct agent *a, char *err, size_t errlen);
int hostaddr_sync(struct agent *a, char *err, size_t errlen);
/* The map part: fd's entries become exactly this host's addresses now. */
int hostaddr_sync_map(int map_fd, char *err, size_t errlen);
void hostaddr_event(struct agent *a);
void hostaddr_close(struct agent *a);

#endif
