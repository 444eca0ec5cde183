// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * File policy for plugin runs in bpf-lsm mode: lsm_cgroup/file_open.
 *
 * An lsm_cgroup program runs only for tasks in the cgroup it is attached to
 * (the agent's plugin subtree), so processes outside any run never execute
 * it. The decision is one LPM lookup of the opened file's path, as the
 * kernel resolved it (bpf_d_path: no symlink, "..", or /proc/self/fd games
 * survive resolution), under the run's policy id. Directory rules end in
 * '/', exact rules carry the NUL, so "/home/u/Documents/" never matches
 * "/home/u/Documents-secret".
 *
 * On overlayfs an open() reaches this hook twice, both times in the
 * opener's task and cgroup: for the overlay file, then from overlayfs's
 * ->open for the layer's file that holds the data, opened with the
 * mounter's credentials. Measured in the vmtest guests (t_overlay.sh):
 *
 *   kernel  the second open's f_path, as bpf_d_path shows it   f_mode (O_RDONLY)
 *   6.1     the overlay path (open_with_fake_path)             0x24008001
 *   6.12    the real path on overlayfs's private clone of the
 *           layer mount, relative to the layer root
 *           ("/lower.txt"); a struct backing_file whose
 *           user_path is the overlay path                      0x22008001 (FMODE_BACKING: bit 25)
 *   7.3     as 6.12                                            0x25008001 (FMODE_BACKING: bit 24)
 *
 * (0x20000000 is FMODE_NOACCOUNT.) Every kernel also opens layer files for
 * overlayfs itself (copy-up, merged directory reads) on those private
 * mounts with the mounter's credentials. Deciding on f_path alone refused
 * every granted overlay file on 6.12 and 7.3, and merged directory reads
 * and copy-up on 6.1. The decision for each case is explained where it is
 * taken, below.
 */
#include "ragged.bpf.h"

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20

#include "file_rights.bpf.h"

/*
 * Opens under a granted permission are recorded (file_access) at most once
 * a second per run, file and access mode; every open is still counted. A
 * plugin reading its documents in a loop would otherwise fill a record per
 * open for flood control to fold into a count. Not pinned: a restarted
 * agent starts a fresh window (more records, never fewer).
 *
 * The key stands for the path by a 64-bit tag under the run's secret
 * seen_key, so it fits the stack beside the decision's key (a shared
 * buffer could be overwritten by another task while this one is
 * preempted), and a plugin cannot pick a second path with the first one's
 * tag to open it unrecorded.
 */
struct ragged_file_seen {
	__u64 cgid;
	__u64 tag;
	__u32 access;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ragged_file_seen);
	__type(value, __u64);
} file_seen SEC(".maps");

/* The tag of p's first len bytes (bpf_d_path's length: the NUL counted). */
_Static_assert(RAGGED_RULE_PATH_MAX % 8 == 4, "path_tag reads the last 4 bytes as one word");
static __always_inline __u64 path_tag(__u64 key, const char *p, long len)
{
	__u64 h = ragged_mix(key, (__u64)len), w;
	int i;

	for (i = 0; i < RAGGED_RULE_PATH_MAX / 8; i++) {
		long at = i * 8;

		if (at >= len)
			return h;
		__builtin_memcpy(&w, p + at, 8);
		if (len - at < 8)	/* only the path: the rest is a previous call's */
			w &= (1ULL << ((len - at) * 8)) - 1;
		h = ragged_mix(h, w);
	}
	if (len > i * 8) {	/* the last (RAGGED_RULE_PATH_MAX % 8) bytes */
		__u32 t;

		__builtin_memcpy(&t, p + i * 8, 4);
		if (len - i * 8 < 4)
			t &= (1U << ((len - i * 8) * 8)) - 1;
		h = ragged_mix(h, t);
	}
	return h;
}

/*
 * The run's own entries on this CPU first (policy.h, RAGGED_FILE_SEEN), as
 * the connect limiter's. On a miss the map decides, as it did alone, and
 * the entry takes the map's answer: the time of the file's last record.
 */
static __always_inline int audit_granted(struct ragged_run_slot *run, __u64 cgid, __u32 want,
					 const char *path, long len)
{
	__u64 tag = ragged_mix(path_tag(run->seen_key, path, len), want);
	__u64 now = bpf_ktime_get_ns(), *prev;
	struct ragged_seen *e = &run->file_seen[(tag >> 32) & (RAGGED_FILE_SEEN - 1)];
	struct ragged_file_seen k = {
		.cgid = cgid,
		.tag = tag,
		.access = want,
	};

	if (seen_recently(e, tag, now))
		return 0;
	prev = bpf_map_lookup_elem(&file_seen, &k);
	if (prev && now - *prev < AUDIT_INTERVAL_NS) {
		seen_store(e, tag, *prev);
		return 0;
	}
	bpf_map_update_elem(&file_seen, &k, &now, BPF_ANY);
	seen_store(e, tag, now);
	return 1;
}

/*
 * "/proc/<own tgid>/..." is the baseline's /proc/self (d_path shows the
 * number, not "self"). Read-only; /proc/<any other pid> stays denied.
 */
static __always_inline int own_proc(const char *p)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, n = 0;
	int i;

	if (p[0] != '/' || p[1] != 'p' || p[2] != 'r' || p[3] != 'o' || p[4] != 'c' ||
	    p[5] != '/')
		return 0;
	for (i = 6; i < 17; i++) {
		char c = p[i];

		if (c == '/' || c == '\0')
			break;
		if (c < '0' || c > '9')
			return 0;
		n = n * 10 + (c - '0');
	}
	return i > 6 && i < 17 && n == tgid;
}

/*
 * A POSIX message queue of the caller's own IPC namespace (each run has
 * one: agent/daemon/launch.c). mq_open opens a file on the namespace's
 * internal queue mount, which d_path shows as "/NAME" and no rule can name.
 * Compared by superblock, so queues of any other namespace (the host's,
 * through /dev/mqueue) stay under the rules.
 */
static __always_inline int own_mqueue(struct file *file)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct super_block *own = BPF_CORE_READ(t, nsproxy, ipc_ns, mq_mnt, mnt_sb);

	return own && BPF_CORE_READ(file, f_path.mnt, mnt_sb) == own;
}

SEC("lsm_cgroup/file_open")
int BPF_PROG(ragged_file_open, struct file *file)
{
	__u64 cgid = bpf_get_current_cgroup_id();
	struct ragged_run_slot *run = run_of(cgid);
	struct ragged_file_rule *rule = 0;
	/*
	 * The key the decision is taken on lives on this program's stack, not
	 * in a per-CPU buffer: this program can be preempted (a preemptible
	 * kernel, 7.x's lazy preemption by default) and another task's open on
	 * the same CPU would overwrite a shared buffer between bpf_d_path and
	 * the lookup, deciding this open on that task's path. Seen in the 7.3
	 * guest: 1 open in 5000 of a denied file allowed under load.
	 */
	struct ragged_file_key key;
	const char *shown = 0;
	struct ragged_event *ev;
	__u32 want = 0, fmode;
	long len = -1;
	int allow = 0, granted = 0, held = 0;

	fmode = file->f_mode;	/* a direct load: file is the hook's own argument */
	if (fmode & FMODE_READ)
		want |= RAGGED_ACC_READ;
	if (fmode & FMODE_WRITE)
		want |= RAGGED_ACC_WRITE;
	if (fmode & FMODE_EXEC)
		want |= RAGGED_ACC_EXEC;

	if (run && backing_file_mode(file, fmode) && !backing_of_layer(file)) {
		/*
		 * Overlayfs's open of the layer file behind an overlay file the
		 * plugin opened (6.6+): decided on backing_file.user_path, the
		 * overlay path the plugin named, with the same access mode. So
		 * it is granted exactly when the plugin's own open was (that
		 * open came first and was decided on the same path), and the
		 * real path of the layer (outside every rule) neither refuses
		 * a granted file nor opens one the overlay path would not.
		 */
		struct esc_scratch *ws = scratch_get();	/* put at the end: shown points into it */
		int pos = user_path_of(file, ws);
		__u32 have = rights_at(run, ws, pos);

		allow = have && (have & want) == want;
		shown = path_of(ws, pos);
		held = 1;
	} else if (run && overlay_internal_open(file)) {
		/*
		 * Overlayfs working for itself on its private layer mounts, with
		 * the mounter's credentials: copy-up (read the lower file, write
		 * the new upper one), merged directory reads, and the backing
		 * file of a layer that lies on another overlay (the inner
		 * overlay's backing open was decided above). The file never
		 * reaches the plugin, and there is no user path to decide on: the
		 * plugin's operation was decided at the overlay path (its open
		 * of the overlay file or directory by this hook, a rename or link
		 * by path_rename/path_link), and the data stays at that path.
		 */
		allow = 1;
	} else if (run) {
		/*
		 * The plugin's own open, and on 6.1 also overlayfs's open of the
		 * layer file: its f_path is the overlay path, so it is decided
		 * exactly as the plugin's open of it was.
		 */
		len = bpf_d_path((struct path *)&file->f_path, key.path, sizeof(key.path));
		if (len > 0)
			shown = key.path;
		/* An unresolvable path (too long, detached) is denied, never guessed. */
		if (len > 0 && len <= RAGGED_RULE_PATH_MAX) {
			key.policy_id = bpf_htonl(policy_of(run));
			key.prefixlen = 32 + len * 8;	/* len counts the NUL */
			rule = bpf_map_lookup_elem(&file_rules, &key);
			allow = rule && (rule->access & want) == want;
			/* Baseline allows (runtime libraries) are not worth a record; grants are. */
			granted = allow && rule->perm != RAGGED_PERM_COUNT;
			if (!allow && want == RAGGED_ACC_READ && own_proc(key.path))
				allow = 1;
			/*
			 * Pseudo files ("anon_inode:[pidfd]", "pipe:[..]") have no
			 * path to rule on: what creates them (pidfd_open, pipe,
			 * bpf, io_uring_setup) is where they are decided. The run's
			 * own POSIX message queues (its IPC namespace) are its own.
			 */
			if (!allow && (key.path[0] != '/' || own_mqueue(file)))
				allow = 1;
		}
	}
	/* The plugin's own opens are recorded; overlayfs's internal ones are not. */
	account_slot(run, cgid, RAGGED_HOOK_FILE_OPEN, !allow, granted && audit_granted(run, cgid, want, key.path, len), &ev);
	if (ev) {
		ev->kind = RAGGED_EV_FILE;
		ev->err = allow ? 0 : EACCES;
		ev->access = want;
		if (shown)
			bpf_probe_read_kernel_str(ev->path, sizeof(ev->path), shown);
		submit(ev, !allow);
	}
	if (held)
		scratch_put();
	if (!allow)
		bpf_set_retval(-EACCES);
	return allow;
}
