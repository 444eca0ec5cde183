#!/bin/sh
# What the landlock-mode sandbox itself costs per syscall, layer by layer
# (tools/bench/sandboxcost.c: plain, the agent's seccomp filter linear and as
# a binary tree (as built for runs), a run-like Landlock ruleset, both), with the agent's own
# code linked in from build/libdaemon.a (`make` first) and seccomp.c compiled once more
# as a linear list. No agent runs.
#   tools/bench/sandbox.sh [ROUNDS [ITERS]]    (defaults 15, 20000)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
[ "$(id -u)" -eq 0 ] || { echo "sandbox bench: run as root" >&2; exit 1; }
[ -f "$B/libdaemon.a" ] || { echo "sandbox bench: build the agent first (make)" >&2; exit 1; }
mkdir -p "$B/bench"
F="-O2 -std=gnu11 -D_GNU_SOURCE -I$ROOT/include -I$ROOT/agent/common -iquote $ROOT/agent/daemon -I$B"
# shellcheck disable=SC2086 # F is a list of flags
cc $F -DRAGGED_SECCOMP_OPTIMIZE=1 -Dseccomp_prepare=seccomp_linear_prepare \
	-Dseccomp_apply=seccomp_linear_apply -Dseccomp_refuse_unix_sockets=seccomp_linear_refuse_unix_sockets \
	-c "$ROOT/agent/daemon/seccomp.c" -o "$B/bench/seccomp_linear.o"
# shellcheck disable=SC2086
cc $F "$ROOT/tools/bench/sandboxcost.c" "$B/bench/seccomp_linear.o" \
	-Wl,--start-group "$B/libdaemon.a" "$B/libcommon.a" -Wl,--end-group \
	-o "$B/bench/sandboxcost" -lseccomp
D=$(mktemp -d /tmp/ragged-sandboxbench.XXXXXX)
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/docs/a/b"; echo x > "$D/docs/a/b/file.txt"
echo "sandbox bench: $(nproc) cpus, kernel $(uname -r)"
"$B/bench/sandboxcost" "$D/docs/a/b/file.txt" "${1:-15}" "${2:-20000}"
