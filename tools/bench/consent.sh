#!/bin/sh
# Benchmark: grant/revoke to updated map, against a no-op round trip, for a
# plugin holding every permission a manifest can hold at once (nine: the
# network:none exclusivity rule rules out all ten), with an instance running.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
N=${N:-50}
[ "$(id -u)" -eq 0 ] || { echo "consent bench: run as root" >&2; exit 1; }
mkdir -p "$B/bench"
cc -O2 -Wall -Wextra -Werror "$ROOT/tools/bench/consentbench.c" -o "$B/bench/consentbench"

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch cbench
mkdir -p "$D/docs" "$D/plugin"
{ bench_agent_toml; cat <<EOC; } > "$D/agent.toml"
[resources]
documents = ["$D/docs"]
EOC
cp "$B/plugins/hog" "$D/plugin/"
cat > "$D/plugin/plugin.toml" <<EOC
[plugin]
name = "everything"
version = "1.0.0"
type = "command"
entry = ["./hog"]
[permissions]
required = ["read:documents", "write:documents", "read:config", "write:config", "system:embedding", "system:vectorstore", "system:memory", "network:download"]
optional = ["network:api"]
[network]
endpoints = ["127.0.0.1:9999", "192.0.2.0/24:443"]
EOC
chmod 755 "$D/plugin"
"$B/raggedd" --config "$D/agent.toml" --foreground > "$D/agent.log" 2>&1 &
APID=$!
trap 'kill $(cat "$D/run.pid" 2>/dev/null) 2>/dev/null; kill -TERM $APID; wait $APID 2>/dev/null; rm -rf "$D"' EXIT INT TERM
i=0; while [ ! -S "$RAGGED_SOCKET" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
"$B/raggedctl" plugin install "$D/plugin" > /dev/null
"$B/raggedctl" plugin grant everything > /dev/null

# Keep one instance running; after a revoke (which ends it in landlock mode) start another.
cat > "$D/restart.sh" <<EOS
#!/bin/sh
if [ -f "$D/run.pid" ] && kill -0 \$(cat "$D/run.pid") 2>/dev/null; then exit 0; fi
RAGGED_SOCKET="$RAGGED_SOCKET" "$B/raggedctl" run everything -- sleep 600 < /dev/null > /dev/null 2>&1 &
echo \$! > "$D/run.pid"
sleep 0.3
EOS
chmod +x "$D/restart.sh"
echo "consent bench: $("$B/raggedctl" --format json status | sed -n 's/.*"enforcement":"\([a-z-]*\)".*/\1/p') mode, $(nproc) cpus, kernel $(uname -r)"
"$B/bench/consentbench" "$RAGGED_SOCKET" everything network:api "$N" "$D/restart.sh"
