#!/bin/bash
# vmtest/run.sh [--systemd] [--kernels "6.1 6.12 7.3"] [--timeout S]
#
# Boots every kernel of the matrix (vmtest/fetch-kernels.sh) under QEMU TCG
# with a busybox initramfs that carries the build outputs at /ragged, runs
# the integration suite inside (tests/integration/run.sh, the same entry
# point as the native run) and prints a PASS/FAIL table.  Exit status 0 only
# if every kernel passed.
#
# The verdict never comes from console text.  The guest init writes key=value
# lines to a second serial port (ttyS1 -> <log>.results) that nothing else in
# the guest can write to, then stops QEMU through isa-debug-exit, so QEMU's
# own exit status is 1 (pass) or 3 (fail).  Both must agree for a PASS.
#
# --systemd: the host's systemd is PID 1 instead (pure cgroup v2), the
# product is installed with `make install`, and vmtest/guest-systemd.sh runs
# as a service: it starts raggedd.service, runs plugins, restarts, stops and
# checks what is left (vmtest/systemd-root.sh builds that root).  The closing
# line then sums the guest's checks over the kernels.
#
# A boot that ends without a complete result (timeout, panic, crash) is
# retried once; then it fails and the tail of its console log is printed.
#
# Environment:
#   RAGGED_SRC          tree to test (default: this checkout); its build/,
#                       tests/ and docs/examples/ go to /ragged in the guest
#   KERNELS             same as --kernels (space or comma separated; default:
#                       every kernel, with --systemd the oldest and newest)
#   VMTEST_TIMEOUT      same as --timeout (seconds per boot, default 300)
#   VMTEST_CACHE        cache dir (default vmtest/.cache)
#   VMTEST_HOST_TOOLS   host programs copied into the guest (with their libs)
#   VMTEST_EXTRA_TOOLS  more of those, appended
#   VMTEST_LSM          value of lsm= on the kernel command line
#   VMTEST_APPEND       extra kernel command line arguments
#   VMTEST_CPU          QEMU -cpu model (default qemu64,-cx16; see below)
#   VMTEST_TCG          QEMU -accel value (default: see tcg_accel below)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "${RAGGED_SRC:-$here/..}" && pwd)
cache=${VMTEST_CACHE:-$here/.cache}
kernels=${KERNELS:-}
timeout_s=${VMTEST_TIMEOUT:-300}
systemd_mode=0

# Host programs the tests may use inside the guest.  Busybox provides the
# basic userland; add real tools here when busybox's applet is not enough.
# Every shared library they need is copied too (ldd). bpftool: the tests
# list which program is attached to which cgroup.
HOST_TOOLS="setpriv bpftool ${VMTEST_EXTRA_TOOLS:-}"
[ -n "${VMTEST_HOST_TOOLS:-}" ] && HOST_TOOLS="$VMTEST_HOST_TOOLS ${VMTEST_EXTRA_TOOLS:-}"
# Always copied, and not a matter of taste: Debian's busybox-static is built
# to prefer its own applets over PATH, both in its shell and when an applet
# runs another program ("busybox env setpriv" runs busybox's setpriv).  So
# /bin/sh is the host's dash (as on Debian hosts, so scripts behave as in the
# native run), and the applets that start other programs are replaced by the
# real ones; then every program in HOST_TOOLS is really the host's.
BASE_TOOLS="dash env timeout nice nohup chroot setsid xargs"
# Host files a Debian runtime (and the sandbox baseline tests) expect;
# copied as they are (symlinks stay symlinks, e.g. /etc/os-release).
HOST_FILES="/usr/lib/os-release /etc/os-release"
# glibc dlopen()s libgcc_s for pthread_cancel/pthread_exit unwinding; ldd
# cannot see that, so ship it when the host has it.
EXTRA_LIBS="libgcc_s.so.1"
# raggedctl dlopen()s libcurl and libzip for `advisories update` alone.
DLOPEN_LIBS="libcurl.so.4 libzip.so.4"

# An explicit LSM list, so the BPF LSM is on whatever a kernel's CONFIG_LSM
# says.  (Measured: without lsm= these Debian kernels run
# lockdown,capability,landlock,yama,apparmor,tomoyo,bpf[,ipe,ima,evm].)
# ima/evm are appended by 6.9+ kernels on their own.  VMTEST_LSM= (empty)
# boots the kernel's default.
LSM=${VMTEST_LSM-lockdown,capability,landlock,yama,apparmor,bpf}

# CPU model: QEMU 7.2's TCG mis-emulates the flags of cmpxchg16b, which
# SLUB's fast path uses since 6.x: the 6.12 kernel double-faulted in
# kmem_cache_alloc (EFLAGS full of garbage) in most boots, also with
# thread=single; "-cpu max" crashed it too.  Without cx16 the kernel takes
# its locked fallback and every kernel boots reliably.
CPU=${VMTEST_CPU:-qemu64,-cx16}

# TCG threading. 7.x patches kernel text (BPF trampolines, static keys) in a
# way QEMU 7.2's multi-threaded TCG does not keep coherent across vCPUs:
# with the agent attaching and detaching its programs around runs, full
# suites on 7.3 showed a vCPU executing stale bytes of a patched site
# ("Oops: int3" in bpf_lsm_unix_stream_connect: the breakpoint of a finished
# patch), and in another boot the tests of the same stretch of the suite
# failed as if hooks had missed events (a deny-flood run short of denials, a
# process exit not recorded); CI's 7.3 boot failed the same way. One host
# thread for both vCPUs (thread=single) keeps them coherent, and on a
# 2-core host it is also faster: full suites took 494 s (7.3), 540 s (6.1)
# and 550 s (6.12, the last two at once) against 720-920 s multi-threaded,
# every test passing. The guest still has two CPUs (per-CPU maps, races
# between a plugin's threads), interleaved by QEMU.
tcg_accel() { # tcg_accel SHORT
    echo "${VMTEST_TCG:-tcg,thread=single}"
}

while [ $# -gt 0 ]; do
    case $1 in
    --kernels) kernels=$2; shift ;;
    --kernels=*) kernels=${1#*=} ;;
    --timeout) timeout_s=$2; shift ;;
    --timeout=*) timeout_s=${1#*=} ;;
    --systemd) systemd_mode=1 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "vmtest: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
kernels=$(echo "$kernels" | tr ',' ' ')
case $timeout_s in ''|*[!0-9]*) echo "vmtest: bad timeout '$timeout_s'" >&2; exit 2 ;; esac

die() { echo "vmtest: $*" >&2; exit 1; }
index=$cache/kernels.idx
[ -f "$index" ] || die "no kernels in $cache; run 'make vmtest-kernels' (vmtest/fetch-kernels.sh)"
for t in qemu-system-x86_64 cpio gzip ldd timeout; do
    command -v "$t" >/dev/null || die "$t not found (see docs/vmtest.md for packages)"
done
CC=${CC:-cc}
command -v "$CC" >/dev/null || CC=clang
command -v "$CC" >/dev/null || die "no C compiler for vmtest/guest-exit.c"

if [ -z "$kernels" ] && [ "$systemd_mode" = 1 ]; then
    # one boot each on the oldest and the newest kernel of the matrix
    kernels=$(grep -v '^#' "$index" | cut -f1 | sort -V | sed -n '1p;$p' | uniq | tr '\n' ' ')
elif [ -z "$kernels" ]; then
    kernels=$(grep -v '^#' "$index" | cut -f1 | tr '\n' ' ')
fi
for k in $kernels; do
    awk -F'\t' -v k="$k" '$1 == k {f = 1} END {exit !f}' "$index" ||
        die "kernel '$k' not in $index (have: $(grep -v '^#' "$index" | cut -f1 | tr '\n' ' '))"
done

logs=$cache/logs
mkdir -p "$logs"

# ---------------------------------------------------------------------------
# initramfs
# ---------------------------------------------------------------------------
# the systemd mode's root is a different one (both may exist side by side)
flavour=; [ "$systemd_mode" = 1 ] && flavour=-systemd
root=$cache/initramfs$flavour.d
initrd=$cache/initramfs$flavour.cpio.gz
# shellcheck source=vmtest/systemd-root.sh
[ "$systemd_mode" = 1 ] && . "$here/systemd-root.sh"

# copy a host file to the same path in the guest (through the guest's
# /bin -> usr/bin style symlinks).  --remove-destination matters: the target
# may be a busybox applet symlink to /usr/bin/busybox, and writing through it
# would resolve on the HOST.
put() {
    mkdir -p "$root$(dirname "$1")"
    cp -L --remove-destination "$1" "$root$1"
}

# copy the shared libraries (and the dynamic loader) an ELF file needs
put_libs() {
    local out
    out=$(ldd "$1" 2>/dev/null) || return 0     # static, or not a program
    if echo "$out" | grep -q 'not found'; then
        die "$1: missing shared libraries: $(echo "$out" | grep 'not found' | tr -s ' \t' ' ')"
    fi
    echo "$out" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' |
        while read -r lib; do
            [ -e "$root$lib" ] || put "$lib"
        done
}

# Debian's python3 with the few packages the guest suite uses (the Python
# client's pytest suite, the JSON Schema checks of audit records and
# protocol messages): the interpreter and its libraries, the standard
# library without what no test imports, and those dist-packages with their
# metadata. VMTEST_PYTHON=0 leaves it out (then those tests skip).
PY_DIST_PACKAGES="_distutils_hack _pytest attr attrs click iniconfig jsonschema pluggy py.py
    pyrsistent _pyrsistent_version.py pvectorc.cpython-311-x86_64-linux-gnu.so pytest"
put_python() {
    local py lib d f
    py=$(readlink -f /usr/bin/python3 2>/dev/null) || return 0
    [ -x "$py" ] || return 0
    "$py" -c 'import pytest, jsonschema' 2>/dev/null ||
        { echo "vmtest: note: no python3 with pytest and jsonschema on the host; guest has none"; return 0; }
    put "$py"; put_libs "$py"
    ln -sf "$(basename "$py")" "$root/usr/bin/python3"
    lib=/usr/lib/$(basename "$py")
    mkdir -p "$root$lib"
    tar -C "$lib" --exclude='./config-*' --exclude=./test --exclude=./idlelib --exclude=./tkinter \
        --exclude=./turtledemo --exclude=./ensurepip --exclude=./lib2to3 --exclude=./pydoc_data \
        --exclude=./distutils --exclude='*/tests' -cf - . | tar -C "$root$lib" -xf -
    for f in "$root$lib"/lib-dynload/*.so; do put_libs "$f"; done
    d=/usr/lib/python3/dist-packages
    mkdir -p "$root$d"
    for f in $PY_DIST_PACKAGES; do
        [ -e "$d/$f" ] && cp -a "$d/$f" "$root$d/"
        [ "${f%.so}" != "$f" ] && put_libs "$d/$f"
    done
    for f in "$d"/*.dist-info "$d"/*.egg-info; do
        case $(basename "$f" | tr 'A-Z-' 'a-z_') in
        attrs*|click*|iniconfig*|jsonschema*|pluggy*|py-*|py_*|pyrsistent*|pytest*) cp -a "$f" "$root$d/" ;;
        esac
    done
}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | tr -d '\0')" = "$(printf '\177ELF')" ]; }

# One newc cpio record with no data (directory or device node), written by
# hand: GNU cpio can only archive nodes that exist, and creating
# /dev/console on the host would need root.
newc() { # name octal-mode rdev-major rdev-minor
    local namesize=$((${#1} + 1)) pad
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        0 $((8#$2)) 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$1"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    head -c "$pad" /dev/zero
}

build_initramfs() {
    local t0 bb a f p
    t0=$(date +%s)
    rm -rf "$root"
    mkdir -p "$root"/usr/bin "$root"/usr/sbin "$root"/usr/lib "$root"/usr/lib64 \
        "$root"/etc "$root"/proc "$root"/sys "$root"/dev "$root"/tmp "$root"/run \
        "$root"/root "$root"/home "$root"/mnt "$root"/ragged/vmtest
    # merged-/usr layout like the Debian host, so ldd's paths work as-is
    ln -s usr/bin "$root/bin"; ln -s usr/sbin "$root/sbin"
    ln -s usr/lib "$root/lib"; ln -s usr/lib64 "$root/lib64"

    bb=$(command -v busybox) || die "busybox not found (package busybox-static)"
    cp -L "$bb" "$root/usr/bin/busybox"
    put_libs "$bb"      # nothing for busybox-static
    for a in $("$root/usr/bin/busybox" --list-full); do
        [ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /usr/bin/busybox "$root/$a"
    done

    for t in $BASE_TOOLS $HOST_TOOLS; do
        p=$(command -v "$t") || die "host tool '$t' not found"
        # a busybox applet of the same name may sit earlier in PATH
        # (busybox installs setpriv in /sbin, util-linux in /usr/bin)
        rm -f "$root/usr/sbin/$t" "$root/usr/bin/$t"
        put "$p"; put_libs "$p"
    done
    ln -sf dash "$root/usr/bin/sh"
    for f in $HOST_FILES; do
        [ -e "$f" ] || continue
        mkdir -p "$root$(dirname "$f")"
        cp -a --remove-destination "$f" "$root$f"
    done
    # (the systemd mode's test needs no Python)
    [ "${VMTEST_PYTHON:-1}" = 1 ] && [ "$systemd_mode" = 0 ] && put_python
    for f in $EXTRA_LIBS; do
        p=$(/sbin/ldconfig -p | awk -v l="$f" '$1 == l && /x86-64/ && p == "" {p = $NF} END {print p}')
        [ -n "$p" ] && put "$p"
    done
    for f in $DLOPEN_LIBS; do
        p=$(/sbin/ldconfig -p | awk -v l="$f" '$1 == l && /x86-64/ && p == "" {p = $NF} END {print p}')
        [ -n "$p" ] && { put "$p"; put_libs "$p"; }
    done

    # the tree under test, same relative layout as the checkout
    local tree="build tests docs/examples tools/bench agent/python docs/audit-schema.json
        docs/protocol-schema.json docs/calling-from-ragged.md VERSION"
    # the systemd mode runs the installed product: only test plugins and helpers
    [ "$systemd_mode" = 1 ] && tree="build/plugins tests/integration/lib.sh"
    for d in $tree; do
        [ -e "$src/$d" ] || { echo "vmtest: note: $src/$d does not exist"; continue; }
        mkdir -p "$root/ragged/$(dirname "$d")"
        cp -a "$src/$d" "$root/ragged/$d"
    done
    cp -a "$here"/guest-* "$root/ragged/vmtest/"
    # Kernel modules the tests need (MODULES in vmtest/fetch-kernels.sh:
    # overlayfs is a module in the cloud kernels), for every kernel of the
    # index at /lib/modules/<release>/; guest-init.sh loads the booted one's.
    grep -v '^#' "$index" | while IFS="$(printf '\t')" read -r _ rel krel _; do
        for f in "$cache/$(dirname "$rel")"/modules/*.ko; do
            [ -f "$f" ] || continue
            mkdir -p "$root/usr/lib/modules/$krel"
            cp "$f" "$root/usr/lib/modules/$krel/"
        done
    done
    # every ELF file of the build (and any test helper) gets its libraries
    while IFS= read -r -d '' f; do
        is_elf "$f" && put_libs "$f"
    done < <(find "$root/ragged" -type f -print0)

    "$CC" -Os -static -nostdlib -fno-stack-protector -o "$root/ragged/vmtest/guest-exit" \
        "$here/guest-exit.c"
    cp "$here/guest-init.sh" "$root/init"
    chmod 755 "$root/init"
    [ "$systemd_mode" = 1 ] && add_systemd_root

    cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
raggedtest:x:1000:1000:ragged test user:/home/raggedtest:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat > "$root/etc/group" <<'EOF'
root:x:0:
tty:x:5:
raggedtest:x:1000:
nogroup:x:65534:
EOF
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' > "$root/etc/nsswitch.conf"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\tragged-vm\n' > "$root/etc/hosts"
    echo ragged-vm > "$root/etc/hostname"
    # a real ld.so.cache, as on a host (glibc would also find the libraries
    # in its default directories without it)
    echo /usr/lib/x86_64-linux-gnu > "$root/etc/ld.so.conf"
    /sbin/ldconfig -r "$root" 2>/dev/null || echo "vmtest: note: ldconfig -r failed, no ld.so.cache"

    # /dev/console must exist before /init runs (the kernel opens it for
    # init's stdio); it comes from a tiny hand-made archive in front.
    {
        { newc dev 040755 0 0; newc dev/console 020600 5 1; newc 'TRAILER!!!' 0 0 0; } | gzip -n
        (cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
            cpio -o -H newc -R 0:0 --quiet) | gzip -n -1
    } > "$initrd.tmp"
    mv "$initrd.tmp" "$initrd"
    echo "vmtest: initramfs $(du -h "$initrd" | cut -f1) built in $(( $(date +%s) - t0 ))s from $src"
}

# ---------------------------------------------------------------------------
# boot
# ---------------------------------------------------------------------------
qpid=
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    # never leave QEMU behind (timeout forwards the signal to QEMU)
    if [ -n "$qpid" ]; then kill -TERM "$qpid" 2>/dev/null || true; wait "$qpid" 2>/dev/null || true; fi
    rm -f "$initrd.tmp"
}
trap cleanup EXIT
trap 'echo "vmtest: interrupted" >&2; exit 130' INT TERM

# boot_once SHORT VMLINUZ TRY -> sets q_status, q_secs; files in $logs
boot_once() {
    local short=$1 vmlinuz=$2 try=$3 t0 t1
    local console=$logs/$short.try$try.console.log results=$logs/$short.try$try.results
    rm -f "$console" "$results"
    : > "$results"
    t0=$(date +%s%N)
    # ttyS0 = console, ttyS1 = results channel (guest init only)
    timeout --kill-after=10 "$timeout_s" \
        qemu-system-x86_64 -accel "$(tcg_accel "$short")" -cpu "$CPU" -m 1G -smp 2 \
        -nographic -nodefaults -no-user-config -no-reboot -monitor none \
        -serial "file:$console" -serial "file:$results" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -kernel "$vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0,115200 panic=-1 ${LSM:+lsm=$LSM} $MODE_APPEND ${VMTEST_APPEND:-}" \
        </dev/null >"$logs/$short.try$try.qemu.log" 2>&1 &
    qpid=$!
    q_status=0
    wait "$qpid" || q_status=$?
    qpid=
    t1=$(date +%s%N)
    q_secs=$(( (t1 - t0) / 1000000000 ))
}

# value of key $2 in results file $1 (first occurrence)
rget() { tr -d '\r' < "$1" | sed -n "s/^$2=//p" | head -n1; }

# judge SHORT RELEASE TRY -> sets verdict (PASS/FAIL/RETRY) and detail
judge() {
    local short=$1 krel=$2 try=$3 res=$logs/$1.try$3.results
    local rc lsm kern tb ta stray
    guest_times=
    if ! tr -d '\r' < "$res" | grep -qx end; then
        case $q_status in
        124|137) detail="no result within ${timeout_s}s (killed)" ;;
        *) detail="no result (qemu exited $q_status: panic or crash?)" ;;
        esac
        verdict=RETRY
        return
    fi
    rc=$(rget "$res" rc); lsm=$(rget "$res" lsm); kern=$(rget "$res" kernel)
    tb=$(rget "$res" taint_before); ta=$(rget "$res" taint_after)
    stray=$(rget "$res" stray_processes)
    detail="rc=$rc; $(rget "$res" summary)"
    guest_times="guest: boot $(rget "$res" uptime_at_init)s, end $(rget "$res" uptime_at_end)s"
    verdict=FAIL
    if [ "$kern" != "$krel" ]; then
        detail="booted '$kern', expected '$krel'"
    elif ! echo ",$lsm," | grep -q ',bpf,'; then
        detail="bpf not in active LSMs ($lsm); $detail"
    elif [ $(( (ta & ~tb) & (128 | 512) )) -ne 0 ]; then
        # 128 = oops (D), 512 = WARN (W): the kernel complained during tests
        detail="kernel oops/warning during tests (taint $tb -> $ta); $detail"
    elif [ "$rc" = 0 ] && [ "$q_status" = 1 ]; then
        verdict=PASS
    elif [ "$rc" = 0 ]; then
        detail="results say rc=0 but qemu exited $q_status (expected 1); $detail"
    fi
    [ "${stray:-0}" = 0 ] || detail="$detail; $stray stray process(es) at the end"
}

# The systemd mode: systemd from the initramfs as PID 1 (rdinit=), on the
# unified hierarchy only, going straight to the test's target.
MODE_APPEND=
[ "$systemd_mode" = 1 ] && MODE_APPEND="rdinit=/usr/lib/systemd/systemd \
systemd.unified_cgroup_hierarchy=1 systemd.unit=ragged-vmtest.target"

build_initramfs

declare -A V D S R
# the systemd mode's closing line sums the guest's own checks
cpass=0; cfail=0; cskip=0
fail=0
for k in $kernels; do
    line=$(awk -F'\t' -v k="$k" '$1 == k' "$index")
    krel=$(echo "$line" | cut -f3)
    vmlinuz=$cache/$(echo "$line" | cut -f2)
    [ -f "$vmlinuz" ] || die "$vmlinuz missing; run 'make vmtest-kernels'"
    short=$k$flavour
    rm -f "$logs/$short".try*
    secs=0
    for try in 1 2; do
        echo "vmtest: [$k] booting $krel${flavour:+ with systemd} (try $try, timeout ${timeout_s}s)"
        boot_once "$short" "$vmlinuz" "$try"
        secs=$((secs + q_secs))
        judge "$short" "$krel" "$try"
        echo "vmtest: [$k] try $try: ${verdict} after ${q_secs}s${guest_times:+ ($guest_times)}: $detail"
        [ "$verdict" = RETRY ] || break
    done
    [ "$verdict" = RETRY ] && verdict=FAIL
    if [ "$verdict" != PASS ]; then
        fail=1
        # The failed tests by name first: the tail below may not reach them.
        echo "vmtest: [$k] failed checks in $logs/$short.try$try.console.log:"
        tr -d '\r' < "$logs/$short.try$try.console.log" 2>/dev/null |
            awk '/^(not ok|FAIL)/ { if (++f > 40) exit; print; d = 12; next }
                 d > 0 && /^    \| / { print; d--; next } { d = 0 }' | sed 's/^/  | /'
        echo "vmtest: [$k] last 80 lines of $logs/$short.try$try.console.log:"
        tail -n 80 "$logs/$short.try$try.console.log" 2>/dev/null | tr -d '\r' | sed 's/^/  | /'
    fi
    if [ "$systemd_mode" = 1 ]; then
        res=$logs/$short.try$try.results
        n=$(rget "$res" passed); cpass=$((cpass + ${n:-0}))
        n=$(rget "$res" skipped); cskip=$((cskip + ${n:-0}))
        n=$(rget "$res" failed)
        # a kernel that failed without counting a failed check counts one
        [ "$verdict" = PASS ] || [ "${n:-0}" -gt 0 ] || n=1
        cfail=$((cfail + ${n:-0}))
    fi
    V[$k]=$verdict; D[$k]=$detail; S[$k]=$secs; R[$k]=$krel
done

echo
printf '%-6s %-28s %-6s %6s  %s\n' kernel release result time detail
for k in $kernels; do
    printf '%-6s %-28s %-6s %5ss  %s\n' "$k" "${R[$k]}" "${V[$k]}" "${S[$k]}" "${D[$k]}"
done
echo "vmtest: logs in $logs"
# One closing line the test tallies read: kernels that passed and failed.
npass=0; nfail=0
for k in $kernels; do
    if [ "${V[$k]}" = PASS ]; then npass=$((npass + 1)); else nfail=$((nfail + 1)); fi
done
if [ "$systemd_mode" = 1 ]; then
    echo "vmtest-systemd: $cpass passed, $cfail failed, $cskip skipped"
else
    echo "vmtest: $npass passed, $nfail failed"
fi
exit $fail
