#!/bin/sh
# make deps: every Debian package the build, the tests, the benchmarks and
# vmtest need, then the vmtest kernel matrix (downloaded into a git-ignored
# cache with a private apt source list; the system's apt configuration is
# never edited). Idempotent: re-running installs nothing new.
#   tools/deps.sh          build + run + test (make deps)
#   tools/deps.sh --build  only what building and running the agent need (make deps-build)
set -eu
cd "$(dirname "$0")/.."

# Building raggedd and raggedctl, and what they load at run time.
BUILD_PKGS="
  make gcc clang llvm pkg-config
  bpftool libbpf-dev libelf-dev zlib1g-dev
  libcjson-dev libseccomp-dev libssl-dev libsystemd-dev libutf8proc-dev
  libcurl4-openssl-dev libzip-dev nettle-dev
"
# The test suites, coverage, sanitizers, vmtest, benchmarks, the Python
# client's tests, and the real shipping/metrics software they drive.
TEST_PKGS="
  libcmocka-dev lcov gcovr valgrind
  qemu-system-x86 busybox-static cpio util-linux systemd
  bubblewrap hyperfine python3 python3-jsonschema python3-pytest python3-click
  prometheus-node-exporter rsyslog
"
PKGS="$BUILD_PKGS"
[ "${1:-}" = "--build" ] || PKGS="$BUILD_PKGS $TEST_PKGS"

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

[ "${1:-}" = "--build" ] || ./vmtest/fetch-kernels.sh
