#!/bin/sh
# make demo: the agent's main job, end to end, on this machine.
#   1. start raggedd (daemon mode) with a private config under a temp dir,
#   2. install docs/examples/hello-plugin and run it; it tries to read a
#      planted "private key" and to connect to a loopback service,
#   3. print the audit records of that run and verify the hash chain,
#   4. stop the agent, which removes its cgroups and pins.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B="$ROOT/build"
if [ "$(id -u)" -ne 0 ]; then echo "demo: run as root (the agent loads BPF programs)" >&2; exit 1; fi

D=$(mktemp -d /tmp/ragged-demo.XXXXXX)
chmod 755 "$D"
export RAGGED_SOCKET="$D/agent.sock"
cat > "$D/agent.toml" <<EOC
[paths]
socket = "$RAGGED_SOCKET"
state_dir = "$D/state"
audit_log = "$D/audit.jsonl"
bpffs = "/sys/fs/bpf/ragged-demo"
cgroup = "ragged-demo"

[agent]
root_run_as = "nobody"
EOC
cleanup() {
	[ -f "$D/agent.pid" ] && kill -TERM "$(cat "$D/agent.pid")" 2>/dev/null || true
	[ -n "${LPID:-}" ] && kill "$LPID" 2>/dev/null || true
	sleep 0.5
	rm -rf "$D"
}
trap cleanup EXIT INT TERM

echo "== starting raggedd"
"$B/raggedd" --config "$D/agent.toml"
pgrep -n -f "raggedd --config $D/agent.toml" > "$D/agent.pid"
"$B/raggedctl" status

echo "== a planted secret and a loopback service"
mkdir -p "$D/home/.ssh"
echo "-----BEGIN OPENSSH PRIVATE KEY----- (demo)" > "$D/home/.ssh/id_ed25519"
chmod -R a+rX "$D/home"   # readable by everyone: only the sandbox stops the plugin
"$B/plugins/probe" listen 127.0.0.1:18080 > /dev/null &
LPID=$!
sleep 0.2

echo "== installing and running hello-plugin"
cp -r "$ROOT/docs/examples/hello-plugin" "$D/hello-plugin"
chmod -R go-w "$D/hello-plugin"; chmod 755 "$D/hello-plugin"
"$B/raggedctl" plugin install "$D/hello-plugin"
set +e
"$B/raggedctl" run hello-plugin -- "$D/home/.ssh/id_ed25519" 127.0.0.1:18080
echo "(plugin exit status $?)"
set -e

echo "== audit records of the run"
"$B/raggedctl" audit show --plugin hello-plugin
echo "== hash chain"
"$B/raggedctl" audit verify
