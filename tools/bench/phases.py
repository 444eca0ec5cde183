#!/usr/bin/env python3
"""Where the time of a sandbox start goes: tools/bench/run.sh --phases.

Joins the harness's per-sample CSV (startbench --raw: absolute request time
t0 and first-instruction latency, CLOCK_MONOTONIC ns) with `perf script`
output of uprobes on the agent's functions and the clone3/execve syscall
tracepoints, recorded with `perf record -k CLOCK_MONOTONIC`, and prints the
median, p10 and p90 of each step of the launch, for C (raggedctl run) and D
(request on the agent socket).

    phases.py SAMPLES.csv PERF_SCRIPT.txt AGENT_PID GROUP

The step boundaries are function entries and returns of the agent
(agent/daemon): a function that does not exist in this build is simply
missing, and the steps around it are merged. The uprobes cost a few
microseconds per hit, and they make fork and exec of the probed agent
slower: the clone3 and execve steps are inflated, the others are not.
"""
import csv
import re
import statistics
import sys

LINE = re.compile(r'^\s*(\S+)\s+(\d+)\s+(\d+)\.(\d+):\s+([\w:]+):')

# (label, start event, end event); "t0" and "first" come from the harness.
STEPS = [
    ("client: start, connect, send (t0 -> agent accept)", "t0", "server_accept"),
    ("agent: receive, parse, dispatch", "server_accept", "run_start"),
    ("agent: admission (registry, manifest, consent)", "run_start", "run_launch"),
    ("agent: scratch dir + tmpfs, limits", "run_launch", "run_cgroup_create"),
    ("agent: run cgroups v2 + v1 (mkdir, limits)", "run_cgroup_create", "run_cgroup_create__return"),
    ("agent: policy build", "run_cgroup_create__return", "policy_build__return"),
    ("agent: BPF map updates", "policy_build__return", "kmaps_install__return"),
    ("agent: consent channel, argv/env, pipe", "kmaps_install__return", "clone3"),
    ("clone3 -> child running", "clone3", "run_cgroup_enter_v1"),
    ("child: join v1 cgroups", "run_cgroup_enter_v1", "run_cgroup_enter_v1__return"),
    ("child: setsid, stdio, rlimits, chdir, creds", "run_cgroup_enter_v1__return", "landlock_apply"),
    ("child: Landlock ruleset + restrict_self", "landlock_apply", "landlock_apply__return"),
    ("child: no_new_privs + seccomp filter", "landlock_apply__return", "execve"),
    ("execve -> plugin's first instruction", "execve", "first"),
]


def quantile(v, q):
    v = sorted(v)
    pos = q * (len(v) - 1)
    i = int(pos)
    return v[i] if i + 1 >= len(v) else v[i] + (pos - i) * (v[i + 1] - v[i])


def main():
    csvf, perff, agent_pid, group = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    events = []  # (t_ns, pid, name)
    for line in open(perff, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        comm, pid, t = m.group(1), int(m.group(2)), int(m.group(3)) * 10**9 + int(m.group(4).ljust(9, "0")[:9])
        ev = m.group(5)
        if ev.startswith(group + ":"):
            events.append((t, pid, ev.split(":", 1)[1]))
        elif ev == "syscalls:sys_enter_clone3" and pid == agent_pid:
            events.append((t, pid, "clone3"))
        elif ev == "syscalls:sys_enter_execve" and comm == "raggedd":
            events.append((t, pid, "execve"))
    events.sort()
    rows = [r for r in csv.DictReader(open(csvf)) if r["ok"] == "1" and r["method"] in ("C", "D")]
    rows.sort(key=lambda r: int(r["t0_ns"]))
    present = {e[2] for e in events}
    steps = []
    for label, a, b in STEPS:
        # Merge a step into the next when a boundary is missing in this build.
        if a not in ("t0", "first") and a not in present:
            if steps:
                steps[-1] = (steps[-1][0] + " + " + label, steps[-1][1], b)
            continue
        if b not in ("t0", "first") and b not in present:
            continue
        steps.append((label, a, b))
    if steps and steps[-1][2] != "first":
        steps.append(("rest, up to the plugin's first instruction", steps[-1][2], "first"))

    for meth in ("C", "D"):
        got = {s[0]: [] for s in steps}
        totals = []
        for r in rows:
            if r["method"] != meth:
                continue
            t0 = int(r["t0_ns"])
            first = t0 + int(r["first_insn_ns"])
            # First occurrence of each event inside this sample's window.
            at = {"t0": t0, "first": first}
            for t, _pid, name in events:
                if t0 <= t <= first and name not in at:
                    at[name] = t
            if not all((a in at and b in at) for _, a, b in steps):
                continue
            for label, a, b in steps:
                got[label].append((at[b] - at[a]) / 1e6)
            totals.append((first - t0) / 1e6)
        if not totals:
            print(f"method {meth}: no sample could be matched with the trace")
            continue
        print(f"method {meth}: {len(totals)} samples, request -> first instruction median "
              f"{statistics.median(totals):.3f} ms (with uprobes)")
        print(f"  {'step':60s} {'median':>7s} {'p10':>7s} {'p90':>7s}   ms")
        for label, _, _ in steps:
            v = got[label]
            print(f"  {label:60s} {statistics.median(v):7.3f} {quantile(v, .1):7.3f} "
                  f"{quantile(v, .9):7.3f}")
        print()
    print("note: a process with uprobes forks and execs more slowly, so the clone3 and execve\n"
          "steps above are inflated (by several ms on the test machine); the agent's own steps\n"
          "and the v1 cgroup join are not. docs/PERFORMANCE.md has an unprobed breakdown.")


if __name__ == "__main__":
    main()
