#!/bin/sh
# vmtest/guest-init.sh — /init (PID 1) of the vmtest initramfs.  /bin/sh is
# dash (copied from the host), the other commands are mostly busybox.
#
# Sets up a minimal but realistic system (pure cgroup v2, bpffs, securityfs),
# runs the same integration entry point as the native run, and reports the
# outcome on a results channel of its own: the second serial port, ttyS1,
# which only this script writes.  The console (ttyS0) carries kernel and test
# output for humans; the host never parses it for the verdict.  Finally the VM
# is stopped through QEMU's isa-debug-exit port so the exit status of QEMU
# itself says pass (1) or fail (3).

export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C
umask 022

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# the initramfs carries /dev/console, but be robust if it did not
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t bpf -o mode=700 bpf /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security
if [ -d /sys/kernel/tracing ]; then
    mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
fi
if [ -d /sys/kernel/debug ]; then
    mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
fi
# Modules the tests need (overlayfs is a module in the cloud kernels), as
# vmtest/run.sh put them in the initramfs for this kernel release.
for m in /lib/modules/"$(uname -r)"/*.ko; do
    [ -f "$m" ] || continue
    insmod "$m" || echo "vmtest: insmod $m failed"
done
# Like a systemd host: every controller is available to child cgroups.
# shellcheck disable=SC2013  # one line of words
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
done
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
hostname ragged-vm
mkdir -p /root /home/raggedtest
chown 1000:1000 /home/raggedtest
chmod 755 /home/raggedtest

# Results channel (ttyS1, fd 9) and its header lines.
# shellcheck source=vmtest/guest-results.sh
. /ragged/vmtest/guest-results.sh

echo "vmtest: kernel $(uname -r)"
echo "vmtest: cmdline $(cat /proc/cmdline)"
echo "vmtest: lsm $(cat /sys/kernel/security/lsm 2>/dev/null)"
echo "vmtest: cgroup controllers $(cat /sys/fs/cgroup/cgroup.subtree_control)"

# true while process $1 exists and is not a zombie (unreaped children stay
# visible to kill -0)
alive() {
    st=
    read -r _ _ st _ 2>/dev/null < "/proc/$1/stat"
    [ -n "$st" ] && [ "$st" != Z ]
}

runner=/ragged/tests/integration/run.sh
# ragged.run=bench on the kernel command line (make vmbench): the
# benchmarks instead of the test suite (tools/bench/vm.sh: enforce.sh,
# outside.sh and the summary table); its exit status is rc.
# ragged.bench_env=R=8,S=3 passes its settings (see tools/bench/enforce.sh).
benchenv=
# ragged.tests=t_a,t_b runs only those integration tests (RAGGED_TESTS).
only=
for a in $(cat /proc/cmdline); do
    case $a in
    ragged.tests=*) only=$(echo "${a#ragged.tests=}" | tr ',' ' ') ;;
    ragged.run=bench) runner=/ragged/tools/bench/vm.sh ;;
    ragged.bench_env=*) benchenv=$(echo "${a#ragged.bench_env=}" | tr ',' ' ') ;;
    esac
done
if [ -f "$runner" ]; then
    echo "vmtest: running $runner"
    # The runner's output goes to the console and to a file (for the summary
    # line).  tee reads a FIFO and we wait for the runner only, not for EOF:
    # a daemon the runner forgot to stop would otherwise keep the pipe open
    # and hang the VM until the host's timeout.
    mkfifo /run/vmtest.fifo
    tee /run/vmtest.out </run/vmtest.fifo 9>&- &
    teepid=$!
    # shellcheck disable=SC2086  # benchenv: words of VAR=value
    (cd /ragged && RAGGED_ROOT=/ragged RAGGED_IN_VM=1 RAGGED_EXPECT_MODE=bpf-lsm \
        RAGGED_TESTS="$only" exec env $benchenv sh "$runner") </dev/null >/run/vmtest.fifo 2>&1 9>&-
    rc=$?
    # give tee up to 2 s to copy what is still in the pipe (it exits on EOF
    # unless a stray process holds the FIFO), then stop it
    i=0
    while [ $i -lt 20 ] && alive "$teepid"; do
        sleep 0.1; i=$((i + 1))
    done
    kill "$teepid" 2>/dev/null
    # last non-empty line, printable characters only
    summary=$(grep -v '^[[:space:]]*$' /run/vmtest.out | tail -n 1 | tr -d '\000-\037\177')
else
    echo "vmtest: $runner not found"
    rc=127
    summary="no test runner at $runner"
fi
echo "vmtest: runner exit status $rc"

# Anything still running (stray daemons) is listed and stopped, so nothing
# writes anywhere after the verdict.  Kernel threads have an empty cmdline.
stray=0
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" = 1 ] && continue
    cmd=$(tr '\0' ' ' < "$d/cmdline" 2>/dev/null)
    [ -n "$cmd" ] || continue
    echo "vmtest: stray process $p: $cmd"
    stray=$((stray + 1))
done
kill -9 -1 2>/dev/null
sleep 0.2

result "rc=$rc"
result "summary=$summary"
result "stray_processes=$stray"
result "taint_after=$(cat /proc/sys/kernel/tainted)"
result "uptime_at_end=$(cut -d' ' -f1 /proc/uptime)"
result "end"
# closing the last reference to the tty waits until the UART has sent it all
exec 9>&-
sync

[ "$rc" = 0 ] && v=0 || v=1
/ragged/vmtest/guest-exit "$v"
# no isa-debug-exit device: power off (QEMU then exits 0; the host treats
# that as a failure because the exit status is not 1)
echo "vmtest: isa-debug-exit failed, powering off"
poweroff -f
sleep 10
