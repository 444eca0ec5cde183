#!/bin/sh
# What setsid() adds to a process start on a busy machine, outside and inside
# a cpu cgroup of the start's own (tools/bench/sessioncost.c). The second
# half needs the cgroup v1 "cpu" controller mounted apart from cpuacct (the
# hosts where the agent makes such a group for its runs); elsewhere only the
# first half runs and the line says so.
#   tools/bench/session.sh [ROUNDS]    (default 200)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
[ "$(id -u)" -eq 0 ] || { echo "session bench: run as root" >&2; exit 1; }
mkdir -p "$B/bench"
cc -O2 -Wall -Wextra -Werror "$ROOT/tools/bench/sessioncost.c" -o "$B/bench/sessioncost"
echo "session bench: $(nproc) cpus, kernel $(uname -r), autogroup $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo absent)"
# mountinfo: optional fields end at "-", then type, source, super options.
CPU=$(awk '{ for (i = 7; i < NF && $i != "-"; i++); t = $(i + 1); o = $(i + 3) }
	t == "cgroup" && $4 == "/" && o ~ /(^|,)cpu(,|$)/ && o !~ /cpuacct/ { print $5; exit }' /proc/self/mountinfo)
G=-
if [ -n "$CPU" ]; then
	G=$(mktemp -d "$CPU/ragged-sessionbench.XXXXXX")
	trap 'rmdir "$G" 2>/dev/null || true' EXIT
else
	echo "session bench: no cgroup v1 cpu hierarchy apart from cpuacct: only the start outside a group is measured"
fi
"$B/bench/sessioncost" "$G" "${1:-200}"
