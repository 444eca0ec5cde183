# shellcheck shell=bash
# vmtest/systemd-root.sh — sourced by vmtest/run.sh for --systemd: what the
# initramfs needs on top of the busybox root so that the host's systemd can
# run it as PID 1 on pure cgroup v2, with the product installed the way an
# operator installs it (`make install DESTDIR=<root> PREFIX=/usr`).
#
# Only what the test needs of systemd goes in: PID 1, journald (the agent's
# diagnostics are read back with journalctl), systemctl, and the unit files
# of the targets on the way to ragged-vmtest.target, with .wants links of our
# own instead of the host's (no udev, dbus, getty, tmpfiles: nothing the
# agent or the test uses). systemctl as root talks to PID 1 over its private
# socket, so no D-Bus daemon is needed.
# shellcheck disable=SC2154  # root, src, die, put, put_libs: vmtest/run.sh

# host programs of systemd, with their libraries (put/put_libs of run.sh)
SYSTEMD_PROGS="/usr/lib/systemd/systemd /usr/lib/systemd/systemd-journald
    /usr/lib/systemd/systemd-shutdown /usr/bin/systemctl /usr/bin/journalctl"
# unit files copied from the host as they are (the slices are built in)
SYSTEMD_UNITS="basic.target sysinit.target local-fs.target
    local-fs-pre.target sockets.target paths.target timers.target slices.target
    swap.target multi-user.target shutdown.target final.target umount.target
    poweroff.target emergency.target
    systemd-journald.service systemd-journald.socket systemd-journald-dev-log.socket
    systemd-journald-audit.socket"

add_systemd_root() {
    local p u unitdir=/usr/lib/systemd/system
    for p in $SYSTEMD_PROGS; do
        [ -x "$p" ] || die "$p not found: the systemd mode needs the host's systemd"
        put "$p"; put_libs "$p"
    done
    mkdir -p "$root$unitdir" "$root/etc/systemd/system" "$root/var/log" "$root/var/lib" "$root/srv" "$root/opt"
    for u in $SYSTEMD_UNITS; do
        [ -f "$unitdir/$u" ] || die "$unitdir/$u not found on the host"
        cp "$unitdir/$u" "$root$unitdir/$u"
    done
    mkdir -p "$root$unitdir/sockets.target.wants" "$root$unitdir/sysinit.target.wants"
    for u in systemd-journald.socket systemd-journald-dev-log.socket; do
        ln -s "../$u" "$root$unitdir/sockets.target.wants/$u"
    done
    ln -s ../systemd-journald.service "$root$unitdir/sysinit.target.wants/systemd-journald.service"
    # A fixed machine id: no first-boot logic, and journald's directory name
    # is known.
    echo 5261676765645f766d746573745f3031 > "$root/etc/machine-id"

    # The product, installed by its own Makefile into the guest's root.
    make -s -C "$src" install DESTDIR="$root" PREFIX=/usr >/dev/null ||
        die "make install DESTDIR=$root PREFIX=/usr failed in $src"
    for p in "$root/usr/sbin/raggedd" "$root/usr/bin/raggedctl"; do put_libs "$p"; done

    # What the boot runs: the test as a service whose end stops the VM.
    cat > "$root/etc/systemd/system/ragged-vmtest.target" <<'EOF'
[Unit]
Description=ragged vmtest (systemd mode)
Requires=basic.target
Wants=ragged-vmtest.service
After=basic.target ragged-vmtest.service
AllowIsolate=yes
EOF
    cat > "$root/etc/systemd/system/ragged-vmtest.service" <<'EOF'
[Unit]
Description=ragged vmtest: the agent as a systemd service
After=basic.target systemd-journald.service

[Service]
Type=oneshot
ExecStart=/ragged/vmtest/guest-systemd.sh
StandardInput=null
StandardOutput=journal+console
StandardError=inherit
TimeoutStartSec=infinity
EOF
}
