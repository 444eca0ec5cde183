# shellcheck shell=sh
# vmtest/guest-results.sh — sourced by guest-init.sh and guest-systemd.sh:
# the results channel, the second serial port (ttyS1), which only the
# sourcing script writes. Kept open on fd 9 in raw mode (no \r insertion),
# then the device node is removed so nothing started later can open it by
# accident; every child gets 9>&- so only that script can write to it.
# Writes the header lines every result file starts with.
exec 9>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null
rm -f /dev/ttyS1
result() { printf '%s\n' "$*" >&9; }

result "vmtest-results v1"
result "kernel=$(uname -r)"
result "lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
result "taint_before=$(cat /proc/sys/kernel/tainted)"
result "uptime_at_init=$(cut -d' ' -f1 /proc/uptime)"
