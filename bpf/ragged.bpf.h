/* SPDX-License-Identifier: MIT */
/*
 * Maps and helpers shared by every ragged BPF object.
 *
 * Each object declares the same maps with LIBBPF_PIN_BY_NAME; the loader
 * opens all objects with the same pin root, so they share one instance of
 * each map, and the maps outlive the agent: a killed agent leaves the
 * plugins confined by the policy they had (docs/contract.md §7).
 */
#ifndef RAGGED_BPF_H
#define RAGGED_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "ragged/events.h"
#include "ragged/perms.h"
#include "ragged/policy.h"

#define EPERM 1
#define EACCES 13

char LICENSE[] SEC("license") = "GPL";

/*
 * cgroup id -> the run's slot: its policy id and its decision counters, per
 * CPU so the hot path never contends. One lookup gives a decision both.
 * Absent = not ours, or a stale run: deny (and count as an orphan).
 *
 * Per CPU is not private: the programs can be preempted (migration stays
 * disabled), so two tasks of a run can be half way through the same CPU's
 * copy. Counters are therefore added atomically (count()), and nothing a
 * decision depends on is kept in a per-CPU buffer (pathwalk.bpf.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, RAGGED_MAX_RUNS);
	__type(key, __u64);
	__type(value, struct ragged_run_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} runs SEC(".maps");

/*
 * Decisions taken for tasks in the plugin subtree that have no counters
 * entry (unknown cgroup): index 0 = denied, 1 = records lost.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} orphan_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	/*
	 * 64 MiB: a burst of 100 000 denials (~376 bytes each) fits while the
	 * agent drains, so a default setup loses nothing to a plugin's burst.
	 */
	__uint(max_entries, 64 << 20);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

/*
 * One more, atomically: a plain "++" is a load and a store, and a task
 * preempted between them would overwrite another task's count on this CPU
 * (a lost denial in the run's arithmetic). An atomic add costs ~20 cycles.
 */
static __always_inline void count(__u64 *n)
{
	__sync_fetch_and_add(n, 1);
}

/*
 * One round of the keyed mix the record limiters tag their keys with (the
 * multiplier is the golden ratio's). The key is the run's random seen_key:
 * the tags are never shown, so a plugin cannot search for two keys that
 * share one.
 */
static __always_inline __u64 ragged_mix(__u64 h, __u64 w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static __always_inline struct ragged_run_slot *run_of(__u64 cgid)
{
	struct ragged_run_slot *run = bpf_map_lookup_elem(&runs, &cgid);

	/*
	 * A half-built policy is not a policy: deny. (The agent inserts a
	 * slot complete and ACTIVE; the flag stays as a second lock.)
	 */
	if (run && !(run->flags & RAGGED_RUN_ACTIVE))
		return 0;
	return run;
}

/* The policy id to look rules up under: read once (the agent may swap it). */
static __always_inline __u32 policy_of(struct ragged_run_slot *run)
{
	return *(volatile __u32 *)&run->policy_id;
}

/*
 * Count the decision, then offer the record. Counting comes first and
 * cannot fail for a known run, so a full ring buffer shows up as "lost",
 * never as a decision that did not happen. Returns nothing: logging never
 * changes the verdict.
 */
/*
 * Denials wake the agent at once. Records of allowed operations and of
 * monitoring do not: the agent drains them on its next wakeup or its 50 ms
 * run tick, and always before it closes a run's arithmetic. A plugin's
 * tight loop of allowed connects then costs no wakeup per call.
 */
static __always_inline void submit(struct ragged_event *ev, int deny)
{
	bpf_ringbuf_submit(ev, deny ? 0 : BPF_RB_NO_WAKEUP);
}

/*
 * Allowed decisions worth a record (a granted file, a network destination)
 * are recorded at most once a second per key; every one is still counted.
 * The run's per-CPU entries of its last records (policy.h, struct
 * ragged_seen) are read and written in the order policy.h's argument
 * needs: last_ns read before tag, tag written before last_ns, each one
 * load or store.
 */
#define AUDIT_INTERVAL_NS 1000000000ULL

/* Was tag recorded (or is it being recorded) on this CPU within the second? */
static __always_inline int seen_recently(const struct ragged_seen *e, __u64 tag, __u64 now)
{
	__u64 last = e->last_ns;

	barrier();
	return last && now - last < AUDIT_INTERVAL_NS && e->tag == tag;
}

/* tag's last record was at last. */
static __always_inline void seen_store(struct ragged_seen *e, __u64 tag, __u64 last)
{
	e->tag = tag;
	barrier();
	e->last_ns = last;
}

/* Monitoring records (no decision): count "observed", then offer the record. */
static __always_inline struct ragged_event *observe(struct ragged_run_slot *run, __u64 cgid)
{
	struct ragged_run_counters *c = run ? &run->c : 0;
	struct ragged_event *ev;

	if (!c)
		return 0;	/* not a run: nothing to watch */
	count(&c->observed);
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(&c->lost);
		return 0;
	}
	count(&c->emitted);
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->boot_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = cgid;
	ev->kind = RAGGED_EV_PROC;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

/*
 * run: the slot the caller already looked up (any slot of cgid, active or
 * not), or 0 for an unknown cgroup. Counting needs no lookup of its own.
 */
static __always_inline void account_slot(struct ragged_run_slot *run, __u64 cgid, __u32 hook,
					 int deny, int audit, struct ragged_event **evp)
{
	struct ragged_run_counters *c = run ? &run->c : 0;
	struct ragged_event *ev;

	*evp = 0;
	hook &= RAGGED_HOOK_MAX - 1;
	if (!c) {
		__u32 k = 0;
		__u64 *n = bpf_map_lookup_elem(&orphan_counters, &k);

		if (n)
			count(n);
		/* Still report it: the agent names the unknown cgroup. */
		audit = 1;
	} else if (deny) {
		count(&c->deny[hook]);
		audit = 1;
	} else {
		count(&c->allow[hook]);
		if (audit)
			count(&c->allow_audited);
	}
	if (!audit)
		return;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		if (c) {
			count(&c->lost);
		} else {
			__u32 k = 1;
			__u64 *n = bpf_map_lookup_elem(&orphan_counters, &k);

			if (n)
				count(n);
		}
		return;
	}
	if (c)
		count(&c->emitted);
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->boot_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = cgid;
	{
		__u64 id = bpf_get_current_pid_tgid();
		__u64 ug = bpf_get_current_uid_gid();

		ev->pid = id >> 32;
		ev->tid = (__u32)id;
		ev->uid = (__u32)ug;
	}
	ev->hook = hook;
	ev->verdict = deny ? RAGGED_DENY : RAGGED_ALLOW;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	*evp = ev;
}

/* For the rare paths (denials, monitoring) that did not keep the slot. */
static __always_inline void account(__u64 cgid, __u32 hook, int deny, int audit,
				    struct ragged_event **evp)
{
	account_slot(bpf_map_lookup_elem(&runs, &cgid), cgid, hook, deny, audit, evp);
}

#endif
