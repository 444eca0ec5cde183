#!/bin/sh
# The bench inside a vmtest guest (make vmbench: ragged.run=bench): the
# benches that need no compiler there (the enforcement bench, a syscall
# outside the runs while one exists, the sandbox start from binaries the host
# built; BENCHES=enforce+outside+run by default, e.g.
# ragged.bench_env=BENCHES=run,BENCH_ITERATIONS=20), then the summary table
# of their BENCH lines, labelled with the guest's kernel.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LOG=$(mktemp /tmp/ragged-vmbench.XXXXXX)
rc=0
# The start bench: fewer rounds than natively (a start under emulation is slow).
export BENCH_ITERATIONS="${BENCH_ITERATIONS:-40}"

# One bench. bwrap, the start bench's method B, cannot pivot_root out of
# the initramfs's root on some kernels (6.1: EINVAL, it is the mount
# namespace's first mount): there that bench runs in a mount namespace of
# its own whose root is a bind mount of / moved over it, as switch_root
# does (not a chroot: a chrooted process may not create a user namespace),
# with the same files and filesystems.
bench() {
	if [ "$1" = run ] && command -v bwrap > /dev/null &&
	   ! bwrap --ro-bind / / --unshare-all /bin/true 2> /dev/null; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m sh -c 'mkdir -p /run/benchroot && mount --rbind / /run/benchroot &&
			cd /run/benchroot && mount --move . / && exec chroot . sh "$0"' \
			"$ROOT/tools/bench/run.sh"
		return
	fi
	sh "$ROOT/tools/bench/$1.sh"
}

for b in $(echo "${BENCHES:-enforce+outside+run}" | tr '+' ' '); do
	# The bench's own exit status, not tee's.
	{ bench "$b" 2>&1; echo $? > "$LOG.rc"; } | tee -a "$LOG"
	[ "$(cat "$LOG.rc" 2>/dev/null || echo 1)" = 0 ] || rc=1
done
"$ROOT/tools/bench/summary.sh" "$(uname -r)=$LOG"
rm -f "$LOG" "$LOG.rc"
exit "$rc"
