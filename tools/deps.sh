#!/bin/sh
# make deps: every Debian package the build, the tests, the benchmarks and
# vmtest need, then the vmtest kernel matrix (downloaded into a git-ignored
# cache with a private apt source list; the system's apt configuration is
# never edited). Idempotent: re-running installs nothing new.
set -eu
cd "$(dirname "$0")/.."

PKGS="
  make gcc clang llvm pkg-config
  bpftool libbpf-dev libelf-dev zlib1g-dev
  libcjson-dev libcmocka-dev libseccomp-dev libssl-dev libsystemd-dev
  lcov gcovr valgrind
  qemu-system-x86 busybox-static cpio util-linux
  bubblewrap hyperfine python3 python3-jsonschema python3-pytest python3-click
  prometheus-node-exporter rsyslog
"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to install:$missing" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
else
	echo "deps: all packages present"
fi

./vmtest/fetch-kernels.sh
