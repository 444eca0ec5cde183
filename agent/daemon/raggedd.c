// SPDX-License-Identifier: MIT
/*
 * raggedd: the root-run agent. Start-up is all-or-nothing: config, mounts,
 * cgroup subtree, enforcement mode, BPF objects, audit log, socket. Any
 * failure stops the agent with one line saying why; it never runs half
 * configured. In daemon mode the parent waits for the child to be ready,
 * so "raggedd && raggedctl ..." works and start-up errors reach the caller.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "agent.h"
#include "log.h"
#include "audit/audit.h"
#include "config/config.h"
#include <openssl/evp.h>
#include "util/util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: raggedd [--config FILE] [--foreground] [--help] [--version]\n"
		"  --config FILE, -c FILE   the agent config (default %s)\n"
		"  --foreground, -f         stay attached; diagnostics on stderr (under systemd: the journal)\n"
		"  --help, -h               print this and exit\n"
		"  --version, -V            print the version and exit\n"
		"A value may also be given as --config=FILE.\n"
		"Signals: TERM/INT stop, HUP reloads the config (see agent.toml(5)).\n",
		CONFIG_DEFAULT_PATH);
}

static int setup_signals(struct agent *a)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return a->sigfd < 0 ? -1 : ep_add(a, a->sigfd, EP_SIGNAL, NULL);
}

/*
 * config_change: the agent remembers the digest of the config it last ran
 * with; a different one at start is recorded with both digests, so a
 * loosened policy never goes unnoticed.
 */
static void config_changed(struct agent *a)
{
	const char *path = a->config_path ? a->config_path : CONFIG_DEFAULT_PATH;
	char state[PATH_MAX], old[80] = "", now[80] = "none";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *buf = malloc(CONFIG_MAX_BYTES + 1);
	ssize_t n = buf ? read_file(path, buf, CONFIG_MAX_BYTES + 1) : -1;
	cJSON *rec;

	if (n >= 0 && EVP_Digest(buf, (size_t)n, md, &mdlen, EVP_sha256(), NULL)) {
		for (unsigned i = 0; i < mdlen; i++)
			snprintf(now + 2 * i, sizeof(now) - 2 * i, "%02x", md[i]);
	}
	free(buf);
	if (xsnprintf(state, sizeof(state), "%s/config.digest", a->cfg.state_dir) < 0)
		return;
	read_file(state, old, sizeof(old));
	if (strcmp(old, now) == 0)
		return;
	write_atomic(state, now, strlen(now), 0600);
	rec = auditrec_new(a, "config_change", "success");
	cJSON *d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "config", path);
	cJSON_AddStringToObject(d, "previous_digest", old[0] ? old : "none");
	cJSON_AddStringToObject(d, "digest", now);
	auditrec_emit(a, rec);
}

/* An update made while the agent was down (or before a reload) is recorded now. */
static void advisories_changed(struct agent *a)
{
	char err[PATH_MAX + 128];

	if (advisories_record(a, NULL, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "advisories: %s", err);
}

static int start(struct agent *a, char *err, size_t errlen)
{
	struct stale_run stale[MAX_STALE];
	int n_stale;
	struct auditlog_opts ao = { 0 };
	cJSON *rec;

	if (ensure_mounts(err, errlen) < 0 ||
	    cgroup_env_init(&a->cg, a->cfg.cgroup_name, err, errlen) < 0)
		return -1;
	/* Runs whose agent died: kill them before anything else. */
	n_stale = cgroup_reap_stale(&a->cg, stale, MAX_STALE);
	if (probe_features(a, err, errlen) < 0)
		return -1;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0 || setup_signals(a) < 0) {
		snprintf(err, errlen, "epoll/signalfd: %s", strerror(errno));
		return -1;
	}
	ao.path = a->cfg.audit_log;
	ao.max_bytes = (uint64_t)a->cfg.audit_rotate_mb << 20;
	ao.max_files = a->cfg.audit_keep_files;
	ao.max_age_days = a->cfg.audit_max_age_days;
	ao.fsync = AUDITLOG_FSYNC_BATCH;
	if (a->cfg.audit_group[0]) {
		struct group gr, *res = NULL;
		char buf[4096];

		if (getgrnam_r(a->cfg.audit_group, &gr, buf, sizeof(buf), &res) != 0 || !res) {
			snprintf(err, errlen, "audit.group: no group named %s", a->cfg.audit_group);
			return -1;
		}
		ao.read_group = res->gr_gid;
		ao.has_read_group = true;
	}
	/*
	 * Records of one pass of the loop go to the file in 64 KiB writes; the
	 * pass ends with a flush (loop()), so a record waits microseconds, not
	 * for the next event. What a kill -9 catches in memory is reported by
	 * the next agent as events_lost (restart.c), never silently gone.
	 */
	ao.batch_bytes = 64 << 10;
	a->audit = auditlog_open(&ao, err, errlen);
	if (!a->audit)
		return -1;
	auditlog_set_enforcement(a->audit, mode_name(a->feat.mode));
	if (mkdir_p(a->cfg.state_dir, 0711) < 0 || chmod(a->cfg.state_dir, 0711) < 0) {
		snprintf(err, errlen, "state dir %s: %s", a->cfg.state_dir, strerror(errno));
		return -1;
	}
	{
		char runs[PATH_MAX];

		if (xsnprintf(runs, sizeof(runs), "%s/runs", a->cfg.state_dir) < 0 ||
		    mkdir_p(runs, 0711) < 0 || chmod(runs, 0711) < 0) {
			snprintf(err, errlen, "state dir %s/runs: %s", a->cfg.state_dir, strerror(errno));
			return -1;
		}
	}
	/* Scratch tmpfs of runs whose agent died; runs whose cgroup is already gone. */
	n_stale = runs_reap_stale_scratch(a, stale, n_stale, MAX_STALE);
	if (bpf_load(a, err, errlen) < 0 || hostaddr_setup(a, err, errlen) < 0 ||
	    procmon_load(a, err, errlen) < 0 || events_setup(a, err, errlen) < 0)
		return -1;
	/*
	 * A previous agent's links: its runs may still live, confined by them.
	 * Ours replace them with no gap; once its runs are settled and none is
	 * left, they come off again.
	 */
	if (bpf_links_left(a) && bpf_hooks_hold(a, false, err, errlen) < 0)
		return -1;
	/* Records a previous agent left in the pinned ring buffer come first. */
	restart_adopt(a, stale, n_stale);
	events_drain_all(a);
	restart_settle(a);
	bpf_hooks_release_if_idle(a);
	if (server_listen(a, err, errlen) < 0)
		return -1;
	config_changed(a);
	advisories_changed(a);
	rec = auditrec_new(a, "agent_started", "success");
	cJSON *d = cJSON_AddObjectToObject(rec, "details");
	cJSON_AddStringToObject(d, "reason", a->feat.reason);
	cJSON_AddStringToObject(d, "agent_version", RAGGED_VERSION);
	auditrec_emit(a, rec);
	return 0;
}

/*
 * SIGHUP: load the config again. What a run reads at its start (limits,
 * resources, endpoints, root_run_as) takes effect for the next run; where
 * the agent lives ([paths]) and the enforcement mode are fixed while it
 * runs, so a change there is refused (restart the agent). A config that
 * does not load is refused too: the agent keeps the one it has, and says so.
 */
static void reload_config(struct agent *a)
{
	const char *path = a->config_path ? a->config_path : CONFIG_DEFAULT_PATH;
	struct ragged_config nc;
	char err[1024] = "";
	cJSON *rec;

	sd_notify(0, "RELOADING=1");
	if (config_load(path, a->config_path != NULL, &nc, err, sizeof(err)) < 0) {
		config_free(&nc);	/* holds the defaults on error; err says where */
	} else if (strcmp(nc.socket_path, a->cfg.socket_path) || strcmp(nc.state_dir, a->cfg.state_dir) ||
		   strcmp(nc.audit_log, a->cfg.audit_log) || strcmp(nc.bpffs_dir, a->cfg.bpffs_dir) ||
		   strcmp(nc.cgroup_name, a->cfg.cgroup_name)) {
		snprintf(err, sizeof(err), "%s: [paths] changed: they take effect on restart only", path);
		config_free(&nc);
	} else if (nc.enforcement != a->cfg.enforcement) {
		snprintf(err, sizeof(err), "%s: agent.enforcement changed: it takes effect on restart only",
			 path);
		config_free(&nc);
	}
	if (err[0]) {
		log_msg(LOG_ERR, "reload refused, the running config stays: %s", err);
		rec = auditrec_new(a, "config_change", "failure");
		cJSON *d = cJSON_AddObjectToObject(rec, "details");
		cJSON_AddStringToObject(d, "config", path);
		cJSON_AddStringToObject(d, "error", err);
		auditrec_emit(a, rec);
	} else {
		config_free(&a->cfg);
		a->cfg = nc;
		config_changed(a);
		advisories_changed(a);
		log_msg(LOG_NOTICE, "config reloaded from %s", path);
	}
	sd_notify(0, "READY=1");
}

static void handle_signals(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			a->stop = 1;
		else if (si.ssi_signo == SIGHUP)
			reload_config(a);
		/* SIGCHLD: runs are reaped through their pidfds; nothing else forks. */
	}
}

static void loop(struct agent *a)
{
	struct epoll_event evs[32];

	while (!a->stop) {
		int timeout = auditlog_sync_due_ms(a->audit);
		int n = epoll_wait(a->epfd, evs, 32, timeout);

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int kind = (int)(evs[i].data.u64 & 0xff);
			int fd = (int)(evs[i].data.u64 >> 8);
			struct client *c;
			struct run *r;

			switch (kind) {
			case EP_LISTEN:
				server_accept(a);
				break;
			case EP_CLIENT:
				if ((c = client_find(a, fd)))
					server_client_event(a, c, evs[i].events);
				break;
			case EP_RUN:
				if ((r = run_find_pidfd(a, fd)))
					run_reap(a, r);
				break;
			case EP_RINGBUF:
				events_drain(a);
				break;
			case EP_SIGNAL:
				handle_signals(a);
				break;
			case EP_CHAN:
				if ((r = run_find_chan(a, fd)))
					consent_channel_event(a, r);
				break;
			case EP_TIMER:
				limits_tick(a);
				break;
			case EP_HOSTADDR:
				hostaddr_event(a);
				break;
			}
		}
		/*
		 * Clients marked dead during the pass (a failed send, a full
		 * queue, a hangup) end here, at the top, where ending their
		 * runs cannot re-enter the code that was sending to them.
		 */
		client_reap(a);
		/* Every pass ends with its records in the file; fdatasync once
		 * the batch interval is due (AUDITLOG_FSYNC_BATCH). */
		if (auditlog_flush(a->audit) < 0 ||
		    (auditlog_sync_due_ms(a->audit) == 0 && auditlog_sync(a->audit) < 0)) {
			log_msg(LOG_ERR, "audit log write: %s", strerror(errno));
			a->audit_errors++;
		}
		metrics_tick(a);
	}
}

static void stop(struct agent *a)
{
	cJSON *rec;

	while (a->runs)
		run_abort(a, a->runs);
	while (a->clients)
		client_close(a, a->clients);
	clients_flush_drops(a, true);
	events_drain_all(a);
	rec = auditrec_new(a, "agent_stopped", "success");
	auditrec_emit(a, rec);
	auditlog_close(a->audit);
	if (a->listen_fd >= 0)
		unlink(a->cfg.socket_path);
	procmon_unload(a);
	hostaddr_close(a);
	landlock_forget();
	file_caches_clear(a);
	bpf_unload(a);
	/* Leave no cgroups behind: the subtree is empty now. */
	cgroup_env_remove(&a->cg);
}

/* Daemon mode: fork; the child reports "ready" or its error on a pipe. */
static int daemonize(int *notify)
{
	int p[2];
	pid_t pid;
	char buf[600];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(p[1]);
		n = read(p[0], buf, sizeof(buf) - 1);
		if (n <= 0) {
			fprintf(stderr, "raggedd: agent exited during start-up\n");
			_exit(1);
		}
		buf[n] = '\0';
		if (strcmp(buf, "ready") == 0)
			_exit(0);
		fprintf(stderr, "raggedd: %s\n", buf);
		_exit(1);
	}
	close(p[0]);
	setsid();
	*notify = p[1];
	return 0;
}

static void notify_parent(int fd, const char *msg)
{
	if (fd < 0)
		return;
	if (write(fd, msg, strlen(msg)) < 0) {
		/* the parent is gone; nothing to tell */
	}
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct agent a;
	char err[1024];
	int foreground = 0, notify = -1, ch, devnull;

	a.listen_fd = -1;
	a.spare_fd = -1;
	a.sigfd = -1;
	a.epfd = -1;
	log_init();
	while ((ch = getopt_long(argc, argv, "c:fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a.config_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("raggedd %s\n", RAGGED_VERSION);
			return 0;
		default:	/* getopt said which option, on stderr */
			fputs("raggedd: see raggedd --help\n", stderr);
			return EXIT_BAD_INPUT;
		}
	}
	if (optind != argc) {
		log_msg(LOG_ERR, "unexpected argument: %s", argv[optind]);
		return EXIT_BAD_INPUT;
	}
	if (geteuid() != 0) {
		log_msg(LOG_ERR, "must run as root (it loads BPF programs and manages cgroups)");
		return 1;
	}
	if (config_load(a.config_path ? a.config_path : CONFIG_DEFAULT_PATH, a.config_path != NULL,
			&a.cfg, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "%s", err);
		return 1;
	}
	if (!foreground && daemonize(&notify) < 0) {
		log_msg(LOG_ERR, "fork: %s", strerror(errno));
		return 1;
	}
	umask(022);
	if (start(&a, err, sizeof(err)) < 0) {
		if (notify >= 0)
			notify_parent(notify, err);
		else
			log_msg(LOG_ERR, "%s", err);
		sd_notifyf(0, "STATUS=start-up failed: %s", err);
		procmon_unload(&a);
		if (a.bpf.net)
			bpf_unload(&a);
		return 1;
	}
#ifdef RAGGED_COVERAGE
	{
		/*
		 * Coverage builds only: the crash tests kill -9 agents, which
		 * never write their counters. Save start-up's (restart.c) now.
		 */
		extern void __gcov_dump(void);
		extern void __gcov_reset(void);

		__gcov_dump();
		__gcov_reset();
	}
#endif
	if (notify >= 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			close(devnull);
		}
		log_detach();
		notify_parent(notify, "ready");
	}
	log_msg(LOG_NOTICE, "ready: enforcement %s (%s)", mode_name(a.feat.mode), a.feat.reason);
	/* Type=notify: systemd starts dependants now (a no-op elsewhere). */
	sd_notifyf(0, "READY=1\nSTATUS=enforcement %s", mode_name(a.feat.mode));
	metrics_tick(&a);
	loop(&a);
	sd_notify(0, "STOPPING=1");
	stop(&a);
	config_free(&a.cfg);
	return 0;
}
