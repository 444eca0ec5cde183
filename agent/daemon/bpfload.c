// SPDX-License-Identifier: MIT
/*
 * Load, attach and pin the BPF objects.
 *
 * Maps are pinned by name under the configured bpffs dir and shared by all
 * objects. Programs are loaded at start but attached only while runs exist
 * (bpf_hooks_hold before a run's policy goes in, bpf_hooks_release_if_idle
 * after the last run is gone): an idle agent leaves no program on any hook,
 * so processes outside runs pay nothing, not even the tracepoint slow path
 * or the cgroup-BPF static keys an attached program turns on for every task.
 * Programs are attached with bpf_link to the agent's plugin subtree where
 * the hook allows it (sock_create: sockrun.c, with a legacy attachment the
 * cgroup holds), and the links are pinned under <dir>/links: a killed
 * agent leaves every running plugin confined. A restarted agent that finds
 * links pinned attaches its fresh programs first and only then drops the
 * old links, so enforcement has no gap (for a moment both run, which can
 * only deny more, never less).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "log.h"
#include "escape.skel.h"
#include "file.skel.h"
#include "fsmod.skel.h"
#include "monitor.skel.h"
#include "net.skel.h"
#include "proc.skel.h"
#include "unixaddr.skel.h"
#include "seccomp.h"
#include "util/util.h"

/*
 * The escape-surface LSM programs (bpf-lsm mode only). Kept here rather than
 * in struct bpf_state: nothing outside this file touches them, and there is
 * one agent per process.
 */
static struct escape_bpf *escape;
/* bpf/fsmod.bpf.c: file namespace and metadata changes (bpf-lsm mode only). */
static struct fsmod_bpf *fsmod;
/* bpf/unixaddr.bpf.c: UNIX socket names (landlock mode, kernels >= 6.7). */
static struct unixaddr_bpf *unixaddr;

/* Newer than Debian 12's UAPI headers (Linux 6.7). */
#define RAGGED_CGROUP_UNIX_CONNECT 49
#define RAGGED_CGROUP_UNIX_SENDMSG 50

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	const char *dbg = getenv("RAGGED_BPF_DEBUG");

	/* RAGGED_BPF_DEBUG=1: libbpf warnings (verifier logs); =2: everything. */
	if (!dbg || (level == LIBBPF_DEBUG && strcmp(dbg, "2") != 0))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int bpf_probe_lsm(const char *pin_dir)
{
	struct file_bpf *skel;
	int rc;

	(void)pin_dir;
	libbpf_set_print(libbpf_quiet);
	struct bpf_map *map;

	skel = file_bpf__open();
	if (!skel)
		return -errno;
	/* The probe must leave nothing behind: no pins, not even libbpf's default root. */
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	rc = file_bpf__load(skel);
	file_bpf__destroy(skel);
	return rc < 0 ? (rc == -1 ? -errno : rc) : 0;
}

/* Attach prog to the plugin subtree and pin the link, replacing an old pin. */
static int attach_pinned(struct agent *a, struct bpf_program *prog, int cgfd, bool cgroup,
			 char *err, size_t errlen)
{
	char pin[PATH_MAX];
	struct bpf_link *link;
	const char *name = bpf_program__name(prog);
	int rc;

	if (xsnprintf(pin, sizeof(pin), "%s/links/%s", a->cfg.bpffs_dir, name) < 0) {
		snprintf(err, errlen, "bpffs path too long");
		return -1;
	}
	link = cgroup ? bpf_program__attach_cgroup(prog, cgfd) : bpf_program__attach(prog);
	if (!link) {
		snprintf(err, errlen, "attach %s: %s", name, strerror(errno));
		return -1;
	}
	/*
	 * The new link is live (we hold it) before the old pin goes, so
	 * there is no instant without the program attached.
	 */
	if (unlink(pin) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "replace link pin %s: %s", pin, strerror(errno));
		bpf_link__destroy(link);
		return -1;
	}
	rc = bpf_link__pin(link, pin);
	if (rc < 0) {
		snprintf(err, errlen, "pin link %s: %s", name, strerror(-rc));
		bpf_link__destroy(link);
		return -1;
	}
	/*
	 * The pin holds the link now; our reference can go. A disconnected
	 * link's fd is not closed by bpf_link__destroy: close it, or the link
	 * outlives its pin and a later attach would run the program twice.
	 */
	{
		int fd = bpf_link__fd(link);

		bpf_link__disconnect(link);
		bpf_link__destroy(link);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

int bpf_attach_all(struct agent *a, struct bpf_object *obj, bool cgroup, char *err, size_t errlen)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		/* Switched off at load (a hook this kernel lacks): nothing to attach. */
		if (!bpf_program__autoload(prog))
			continue;
		/* Run on request (BPF_PROG_TEST_RUN), never attached. */
		if (bpf_program__type(prog) == BPF_PROG_TYPE_SYSCALL)
			continue;
		/* sock_create: not linked, attached by sockrun.c */
		if (bpf_program__expected_attach_type(prog) == BPF_CGROUP_INET_SOCK_CREATE)
			continue;
		/* lsm_cgroup programs go on the plugin subtree in any object. */
		if (attach_pinned(a, prog, a->cg.v2_fd,
				  cgroup || bpf_program__expected_attach_type(prog) == BPF_LSM_CGROUP,
				  err, errlen) < 0)
			return -1;
	}
	return 0;
}

/*
 * A BPF-LSM program can only load if the kernel has its hook (the
 * bpf_lsm_<hook> function in its BTF). Hooks come and go between kernel
 * versions, so a missing one switches off that program alone, loudly (the
 * agent log), and never fails the rest: the seccomp filter still covers
 * the calls behind it.
 */
static void skip_missing_hooks(struct bpf_object *obj)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	struct bpf_program *prog;
	char fn[96];

	if (!vmlinux)
		return;	/* the load will say what is wrong */
	bpf_object__for_each_program(prog, obj) {
		enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
		const char *hook = strchr(bpf_program__section_name(prog), '/');

		/* "lsm/<hook>" and "lsm_cgroup/<hook>" */
		if ((type != BPF_LSM_MAC && type != BPF_LSM_CGROUP) || !hook++ ||
		    xsnprintf(fn, sizeof(fn), "bpf_lsm_%s", hook) < 0)
			continue;
		if (btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC) < 0) {
			bpf_program__set_autoload(prog, false);
			log_msg(LOG_WARNING, "this kernel has no LSM hook %s: %s not loaded "
				"(the seccomp filter still applies)", hook,
				bpf_program__name(prog));
		}
	}
	btf__free(vmlinux);
}

/* Does function fn_id of btf return a bool (a one-byte integer)? */
static bool btf_returns_bool(const struct btf *btf, int fn_id)
{
	const struct btf_type *t = btf__type_by_id(btf, btf__type_by_id(btf, fn_id)->type);
	int ret;

	if (!t || !btf_is_func_proto(t))
		return false;
	ret = btf__resolve_type(btf, t->type);
	t = ret > 0 ? btf__type_by_id(btf, ret) : NULL;
	return t && btf_is_int(t) && t->size == 1;
}

/*
 * Where the seccomp filter's refusals are reported (bpf/monitor.bpf.c).
 * bpf-lsm mode: at the exit of the kernel's __seccomp_filter, which only
 * tasks under a filter reach, so no syscall tracepoint is attached and
 * processes outside the runs pay nothing; the raw_tp/sys_exit program is
 * not loaded. A kernel whose BTF lacks that function (it may be inlined)
 * gets the function one call up (__secure_computing, renamed
 * __seccomp_permit_syscall in 2025), and one without any keeps sys_exit
 * (said in the log). Each returns int (-1: refused) or, since 2025, bool
 * (false: refused): the BTF says which. Landlock mode: sys_exit, which it
 * needs for Landlock's refusals anyway.
 */
static void monitor_pick_seccomp_report(struct monitor_bpf *m, enum enforcement_mode mode)
{
	static const char *const targets[] = { "__seccomp_filter", "__secure_computing",
						"__seccomp_permit_syscall" };
	const char *target = NULL;
	struct btf *vmlinux;
	int id = -1;

	if (mode == MODE_BPF_LSM && (vmlinux = btf__load_vmlinux_btf())) {
		for (size_t i = 0; !target && i < ARRAY_SIZE(targets); i++)
			if ((id = btf__find_by_name_kind(vmlinux, targets[i], BTF_KIND_FUNC)) > 0)
				target = targets[i];
		if (target)
			m->rodata->seccomp_ret_bool = btf_returns_bool(vmlinux, id);
		btf__free(vmlinux);
		if (!target)
			log_msg(LOG_WARNING, "this kernel's BTF has no seccomp filter function: "
				"seccomp refusals are reported at sys_exit");
	}
	if (target)
		bpf_program__set_attach_target(m->progs.ragged_seccomp, 0, target);
	bpf_program__set_autoload(m->progs.ragged_seccomp, target != NULL);
	bpf_program__set_autoload(m->progs.ragged_sys_exit, target == NULL);
}

/* bpf/escape.bpf.c: hooks for the whole machine that return at once for
 * tasks outside the plugin subtree, which the agent names in plugin_root. */
static int escape_load(struct agent *a, const struct bpf_object_open_opts *opts,
		       char *err, size_t errlen)
{
	uint32_t zero = 0;
	int cgfd = a->cg.v2_fd;

	escape = escape_bpf__open_opts(opts);
	if (!escape) {
		snprintf(err, errlen, "open escape-surface LSM programs: %s", strerror(errno));
		return -1;
	}
	skip_missing_hooks(escape->obj);
	if (escape_bpf__load(escape) < 0) {
		snprintf(err, errlen, "load escape-surface LSM programs: %s", strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(escape->maps.plugin_root), &zero, &cgfd, BPF_ANY) < 0) {
		snprintf(err, errlen, "plugin subtree for the escape programs: %s", strerror(errno));
		return -1;
	}
	return 0;	/* attached while runs exist: bpf_hooks_hold */
}

/* Arguments of the kernel's bpf_lsm_<hook>, -1 if it has none. */
static int hook_args(const char *hook)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	const struct btf_type *t;
	char fn[96];
	int id, n = -1;

	if (!vmlinux || xsnprintf(fn, sizeof(fn), "bpf_lsm_%s", hook) < 0) {
		btf__free(vmlinux);
		return -1;
	}
	id = btf__find_by_name_kind(vmlinux, fn, BTF_KIND_FUNC);
	if (id >= 0 && (t = btf__type_by_id(vmlinux, btf__type_by_id(vmlinux, id)->type)))
		n = btf_vlen(t);
	btf__free(vmlinux);
	return n;
}

/* bpf/fsmod.bpf.c: like the escape programs, machine-wide LSM hooks that
 * return at once outside the plugin subtree. */
static int fsmod_load(struct agent *a, const struct bpf_object_open_opts *opts,
		      char *err, size_t errlen)
{
	uint32_t zero = 0;
	int cgfd = a->cg.v2_fd;

	fsmod = fsmod_bpf__open_opts(opts);
	if (!fsmod) {
		snprintf(err, errlen, "open file-change LSM programs: %s", strerror(errno));
		return -1;
	}
	/* inode_setattr(dentry, iattr) on older kernels, (idmap, dentry, iattr)
	 * on newer: one program for each, the other switched off. */
	skip_missing_hooks(fsmod->obj);
	if (hook_args("inode_setattr") == 3)
		bpf_program__set_autoload(fsmod->progs.ragged_inode_setattr_noidmap, false);
	else
		bpf_program__set_autoload(fsmod->progs.ragged_inode_setattr, false);
	if (fsmod_bpf__load(fsmod) < 0) {
		snprintf(err, errlen, "load file-change LSM programs: %s", strerror(errno));
		return -1;
	}
	if (bpf_map_update_elem(bpf_map__fd(fsmod->maps.plugin_root), &zero, &cgfd, BPF_ANY) < 0) {
		snprintf(err, errlen, "plugin subtree for the file-change programs: %s",
			 strerror(errno));
		return -1;
	}
	a->bpf.inode_rules_fd = bpf_map__fd(fsmod->maps.inode_rules);
	return 0;	/* attached while runs exist: bpf_hooks_hold */
}

/*
 * Landlock mode: UNIX socket names are checked by cgroup connect_unix and
 * sendmsg_unix. A kernel without them (before 6.7) cannot tell the plugin's
 * own sockets from D-Bus or the Docker socket, so plugins there get no
 * AF_UNIX sockets at all (the seccomp filter refuses socket(AF_UNIX); socket
 * pairs and the descriptors they are given still work). Fail closed, and
 * say so.
 */
static int unixaddr_load(struct agent *a, const struct bpf_object_open_opts *opts,
			 char *err, size_t errlen)
{
	unixaddr = unixaddr_bpf__open_opts(opts);
	if (!unixaddr) {
		snprintf(err, errlen, "open UNIX socket programs: %s", strerror(errno));
		return -1;
	}
	bpf_program__set_expected_attach_type(unixaddr->progs.ragged_connect_unix,
					      RAGGED_CGROUP_UNIX_CONNECT);
	bpf_program__set_expected_attach_type(unixaddr->progs.ragged_sendmsg_unix,
					      RAGGED_CGROUP_UNIX_SENDMSG);
	if (unixaddr_bpf__load(unixaddr) < 0) {
		log_msg(LOG_WARNING, "this kernel has no cgroup connect_unix hook (%s): "
			"plugins get no AF_UNIX sockets", strerror(errno));
		unixaddr_bpf__destroy(unixaddr);
		unixaddr = NULL;
		a->feat.unix_sockets = false;
		seccomp_refuse_unix_sockets();
		return 0;
	}
	a->feat.unix_sockets = true;
	a->bpf.file_rules_fd = bpf_map__fd(unixaddr->maps.file_rules);
	return 0;
}

int bpf_load(struct agent *a, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = a->cfg.bpffs_dir);
	struct bpf_state *b = &a->bpf;
	char links[PATH_MAX];

	libbpf_set_print(libbpf_quiet);
	if (mkdir_p(a->cfg.bpffs_dir, 0700) < 0 ||
	    xsnprintf(links, sizeof(links), "%s/links", a->cfg.bpffs_dir) < 0 ||
	    mkdir_p(links, 0700) < 0) {
		snprintf(err, errlen, "create %s: %s", a->cfg.bpffs_dir, strerror(errno));
		return -1;
	}

	b->net = net_bpf__open_opts(&opts);
	if (!b->net || net_bpf__load(b->net) < 0) {
		snprintf(err, errlen, "load network programs: %s", strerror(errno));
		return -1;
	}
	b->runs_fd = bpf_map__fd(b->net->maps.runs);
	b->swap_prog_fd = bpf_program__fd(b->net->progs.ragged_swap_policy);
	b->orphan_fd = bpf_map__fd(b->net->maps.orphan_counters);
	b->net_rules_fd = bpf_map__fd(b->net->maps.net_rules);
	b->events_fd = bpf_map__fd(b->net->maps.events);
	b->sock_create_fd = bpf_program__fd(b->net->progs.ragged_sock_create);
	b->sock_run_fd = bpf_program__fd(b->net->progs.ragged_sock_run);
	b->sock_allowed_fd = bpf_map__fd(b->net->maps.sock_allowed);
	b->file_rules_fd = -1;
	b->inode_rules_fd = -1;

	if (a->feat.mode == MODE_BPF_LSM) {
		b->file = file_bpf__open_opts(&opts);
		if (!b->file || file_bpf__load(b->file) < 0) {
			snprintf(err, errlen, "load file_open LSM program: %s", strerror(errno));
			return -1;
		}
		b->file_rules_fd = bpf_map__fd(b->file->maps.file_rules);
		a->feat.unix_sockets = true;	/* decided on the peer: escape.bpf.c */
	} else if (unixaddr_load(a, &opts, err, errlen) < 0) {
		return -1;
	}
	/*
	 * The denial monitor runs in both modes: it reports the seccomp
	 * filter's refusals (both modes) and Landlock's (landlock mode only:
	 * in bpf-lsm mode the LSM hooks report their own decisions, and each
	 * decision is counted once).
	 */
	b->monitor = monitor_bpf__open_opts(&opts);
	if (!b->monitor) {
		snprintf(err, errlen, "open denial monitor: %s", strerror(errno));
		return -1;
	}
	b->monitor->rodata->landlock_mode = a->feat.mode == MODE_LANDLOCK;
	monitor_pick_seccomp_report(b->monitor, a->feat.mode);
	if (monitor_bpf__load(b->monitor) < 0) {
		snprintf(err, errlen, "load denial monitor: %s", strerror(errno));
		return -1;
	}
	/* The plugins' seccomp filter is compiled once, here, at start. */
	if (seccomp_prepare(err, errlen) < 0)
		return -1;
	if (a->feat.mode == MODE_BPF_LSM && (escape_load(a, &opts, err, errlen) < 0 ||
					      fsmod_load(a, &opts, err, errlen) < 0))
		return -1;
	return 0;
}

/* Does <dir>/links hold a pinned link (a previous agent's runs may live)? */
bool bpf_links_left(const struct agent *a)
{
	char links[PATH_MAX];
	struct dirent *de;
	bool any = false;
	DIR *d;

	if (xsnprintf(links, sizeof(links), "%s/links", a->cfg.bpffs_dir) < 0 ||
	    !(d = opendir(links)))
		return false;
	while (!any && (de = readdir(d)))
		any = de->d_name[0] != '.';
	closedir(d);
	return any;
}

/*
 * Every program on its hook, before anything a run does can reach one:
 * called before a run's slot goes in (runs.c) and at start when a previous
 * agent left links (its runs stay confined). Fail closed: an error refuses
 * the run (take_back: what did attach comes off again) or the agent's start.
 */
static void hooks_release(struct agent *a);

int bpf_hooks_hold(struct agent *a, bool take_back, char *err, size_t errlen)
{
	struct bpf_state *b = &a->bpf;
	struct bpf_object *cg_objs[] = {
		b->net ? b->net->obj : NULL,
		b->file ? b->file->obj : NULL,
		unixaddr ? unixaddr->obj : NULL,
	};
	struct bpf_object *global_objs[] = {
		b->monitor ? b->monitor->obj : NULL,
		b->proc ? b->proc->obj : NULL,
		escape ? escape->obj : NULL,
		fsmod ? fsmod->obj : NULL,
	};

	if (b->hooks_attached)
		return 0;
	b->hooks_attached = true;
	for (size_t i = 0; i < ARRAY_SIZE(cg_objs); i++)
		if (cg_objs[i] && bpf_attach_all(a, cg_objs[i], true, err, errlen) < 0)
			goto fail;
	if (b->net && sockrun_parent_attach(a, err, errlen) < 0)
		goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(global_objs); i++)
		if (global_objs[i] && bpf_attach_all(a, global_objs[i], false, err, errlen) < 0)
			goto fail;
	return 0;
fail:
	/*
	 * A run's hold takes back what did attach. At start (take_back
	 * false) the pins may still be a previous agent's, holding its runs
	 * confined: they stay, and the agent exits.
	 */
	if (take_back)
		hooks_release(a);
	else
		b->hooks_attached = false;
	return -1;
}

/* Unpin obj's links: the pins hold the only references, so this detaches. */
static void unpin_links(struct agent *a, struct bpf_object *obj)
{
	struct bpf_program *prog;
	char path[PATH_MAX];

	if (!obj)
		return;
	bpf_object__for_each_program(prog, obj)
		if (xsnprintf(path, sizeof(path), "%s/links/%s", a->cfg.bpffs_dir,
			      bpf_program__name(prog)) >= 0)
			unlink(path);
}

/*
 * No run left (ghosts of a previous agent included): take every program
 * off its hook. The next run attaches them again before it starts.
 */
static void hooks_release(struct agent *a)
{
	struct bpf_state *b = &a->bpf;

	unpin_links(a, b->net ? b->net->obj : NULL);
	if (b->net)
		sockrun_parent_detach(a);
	unpin_links(a, b->file ? b->file->obj : NULL);
	unpin_links(a, unixaddr ? unixaddr->obj : NULL);
	unpin_links(a, b->monitor ? b->monitor->obj : NULL);
	unpin_links(a, b->proc ? b->proc->obj : NULL);
	unpin_links(a, escape ? escape->obj : NULL);
	unpin_links(a, fsmod ? fsmod->obj : NULL);
	b->hooks_attached = false;
}

void bpf_hooks_release_if_idle(struct agent *a)
{
	if (!a->runs && a->bpf.hooks_attached)
		hooks_release(a);
}

/*
 * Orderly stop: every run has been ended, so nothing needs confining any
 * more. Unpin links and maps so the machine is left as it was found.
 */
void bpf_unload(struct agent *a)
{
	struct bpf_state *b = &a->bpf;
	struct bpf_object *objs[6] = {
		b->net ? b->net->obj : NULL,
		unixaddr ? unixaddr->obj : NULL,
		b->file ? b->file->obj : NULL,
		b->monitor ? b->monitor->obj : NULL,
		escape ? escape->obj : NULL,
		fsmod ? fsmod->obj : NULL,
	};
	char path[PATH_MAX];

	if (b->rb)
		ring_buffer__free(b->rb);
	b->rb = NULL;
	if (b->net)
		sockrun_parent_detach(a);
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		struct bpf_program *prog;
		struct bpf_map *map;

		if (!objs[i])
			continue;
		bpf_object__for_each_program(prog, objs[i]) {
			if (xsnprintf(path, sizeof(path), "%s/links/%s", a->cfg.bpffs_dir,
				      bpf_program__name(prog)) >= 0)
				unlink(path);
		}
		/* Map by map: the objects share pins, and one already gone is fine. */
		bpf_object__for_each_map(map, objs[i])
			if (bpf_map__is_pinned(map))
				bpf_map__unpin(map, NULL);
	}
	if (b->net)
		net_bpf__destroy(b->net);
	if (b->file)
		file_bpf__destroy(b->file);
	if (b->monitor)
		monitor_bpf__destroy(b->monitor);
	if (escape)
		escape_bpf__destroy(escape);
	escape = NULL;
	if (fsmod)
		fsmod_bpf__destroy(fsmod);
	fsmod = NULL;
	b->inode_rules_fd = -1;
	b->swap_prog_fd = -1;
	b->sock_create_fd = b->sock_run_fd = b->sock_allowed_fd = -1;
	b->hooks_attached = false;
	if (unixaddr)
		unixaddr_bpf__destroy(unixaddr);
	unixaddr = NULL;
	b->net = NULL;
	b->file = NULL;
	b->monitor = NULL;
	if (xsnprintf(path, sizeof(path), "%s/links", a->cfg.bpffs_dir) >= 0)
		rmdir(path);
	rmdir(a->cfg.bpffs_dir);
}
