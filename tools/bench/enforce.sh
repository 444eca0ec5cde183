#!/bin/sh
# Enforcement benchmark (docs/contract.md §8 "permission check").
#
# End to end: the loops of tests/plugins/loopbench.c (open+close of a
# granted document, connect() of a UDP socket to a granted resolver, TCP
# connect+accept+close to a granted endpoint, an executable mmap of the
# plugin's own file, kill(self, 0)) in three configurations, interleaved
# round by round so machine noise hits all of them alike:
#   A  the loop as a sandboxed plugin (raggedctl run, agent running)
#   B  the same binary, same uid, agent stopped (no ragged program loaded)
#   C  the same binary, same uid, outside any sandbox, agent running
#   D  (information) as B, with only the empty programs attached: the cost
#      of a global hook (raw_tp sys_exit, fexit, lsm) being there at all
# Each sample is one loopbench process reporting its median ns/op over
# LOOP_ROUNDS blocks of BLOCK iterations per op. Prints per op the median of
# the samples per configuration, the ratios of medians A/B and C/B, and the
# median of the per-round ratios (paired within a round).
# Targets (docs/contract.md §8): A/B <= 1.10, C/B <= 1.02.
#
# Per decision: with kernel.bpf_stats_enabled=1 (the previous value is
# restored), the kernel's run_time_ns/run_cnt of every program of this
# agent, and of an empty program on the same hook (build/bench/empty.bpf.o):
# cgroup/lsm_cgroup ones attached to a cgroup this script creates (the loop
# runs there, outside any sandbox: workload E), raw_tp/lsm ones attached
# globally while the measurement runs. Both workloads (A and E) are the
# same loop. For global hooks the ragged and the empty program run on the
# very same events; for cgroup hooks the ragged one runs for A, the empty
# one for E.
#
# Environment: R (rounds, default 15), S (stats rounds, default 5),
# LOOP_ROUNDS (default 5), BLOCK (default 400), SCALE (the numbers of granted
# paths and endpoints of the scale phase, default "1 8 64", at most 64;
# empty
# skips it), SS (samples per N, default 3), WITH_D=0 skips D (each D
# sample attaches and detaches a global raw_tp: see docs/PERFORMANCE.md on
# 7.3 under TCG), ATTACH_N (rounds of the per-run attach's cost, default
# 100), KEEP=1 keeps the temp dir.
# Writes nothing outside its temp dir, its cgroups and its bpffs dir; checks
# at the end that nothing is left (non-zero exit if something was).
# Every ratio is also printed as one line
#   BENCH metric=NAME target=T ratio=X base=BASELINE value=MEASURED
# for the summary table of make bench.
# Exits 0 when the bench ran, whether or not the targets hold.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$ROOT/build"
R=${R:-15}
S=${S:-5}
LOOP_ROUNDS=${LOOP_ROUNDS:-5}
BLOCK=${BLOCK:-400}
WITH_D=${WITH_D:-1}
SCALE=${SCALE-1 8 64}
SS=${SS:-3}
[ "$(id -u)" -eq 0 ] || { echo "enforce bench: run as root" >&2; exit 1; }
if [ -z "${RAGGED_IN_VM:-}" ] && command -v make > /dev/null; then
	make -s -C "$ROOT" build/raggedd build/raggedctl build/bench/empty.bpf.o build/bench/bpfstats \
		build/plugins/loopbench > /dev/null
fi
for f in raggedd raggedctl plugins/loopbench bench/bpfstats bench/empty.bpf.o; do
	[ -e "$B/$f" ] || { echo "enforce bench: $B/$f missing (make bench-enforce)" >&2; exit 1; }
done
STATS="$B/bench/bpfstats"

. "$ROOT/tools/bench/benchlib.sh"
bench_scratch ebench
TPORT=$((20000 + $$ % 20000))
CG2=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[ -n "$CG2" ] || { echo "enforce bench: no cgroup v2 mount" >&2; exit 1; }
E="$CG2$(sed -n 's/^0:://p' /proc/self/cgroup | sed 's:/$::')/ragged-ebench-e-$$"
STATS_OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
APID=
EPID=
LPID=

mkdir -p "$D/docs" "$D/plugin" "$D/s"
echo "a document" > "$D/docs/doc.txt"; chmod 644 "$D/docs/doc.txt"
{ bench_agent_toml; cat <<EOC; } > "$D/agent.toml"
[resources]
documents = ["$D/docs"]
dns_resolvers = ["127.0.0.1"]
# A sample is a few seconds of CPU natively, but a TCG guest sharing its
# host counts many more: the default 10 s would end samples early there.
[limits]
cpu_seconds = 600
[limits.max]
cpu_seconds = 600
EOC
cp "$D/agent.toml" "$D/agent.toml.orig"
cp "$B/plugins/loopbench" "$D/plugin/"
cat > "$D/plugin/plugin.toml" <<EOC
[plugin]
name = "loopbench"
version = "1.0.0"
type = "command"
entry = ["./loopbench"]
[permissions]
required = ["read:documents", "network:api"]
[network]
endpoints = ["127.0.0.1:$TPORT"]
EOC
chmod 755 "$D/plugin"

LOOP="-r $LOOP_ROUNDS -b $BLOCK -o $D/docs/doc.txt -u 127.0.0.1:53 -t 127.0.0.1:$TPORT -x $D/plugin/loopbench -k"
OPS="open udp tcp mmap kill"
NOPS=5

BENCH=enforce
. "$ROOT/tools/bench/agent.sh"
cleanup() {
	set +e
	[ -n "$EPID" ] && { exec 7>&- || true; wait "$EPID" 2>/dev/null || true; }
	echo "$STATS_OLD" > /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || true
	agent_stop
	[ -n "$LPID" ] && { kill "$LPID" 2>/dev/null; wait "$LPID" 2>/dev/null || true; }
	[ -d "$E" ] && rmdir "$E" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "enforce bench: kept $D" || rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The empty programs (cgroup ones on $E, global ones everywhere) held by
# bpfstats until fd 7 closes.
# empty_start [floor]: with "floor", the floor programs too (the stats phase).
empty_start() {
	rm -f "$D/efifo"; mkfifo "$D/efifo"
	# shellcheck disable=SC2046 # the floor's two arguments or none
	"$STATS" empty "$B/bench/empty.bpf.o" "$E" $([ "${1:-}" = floor ] && echo "$D/docs/ 127.0.0.1:53") \
		< "$D/efifo" > "$D/empty.out" 2> "$D/empty.err" &
	EPID=$!
	exec 7> "$D/efifo"
	i=0; while ! grep -q '^ready' "$D/empty.out" && [ $i -lt 300 ]; do
		kill -0 "$EPID" 2>/dev/null || break; sleep 0.1; i=$((i + 1)); done
	grep -q '^ready' "$D/empty.out" || { echo "enforce bench: empty programs:" >&2; cat "$D/empty.err" >&2; exit 1; }
}
empty_stop() { exec 7>&-; wait "$EPID" 2>/dev/null || true; EPID=; }
as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# No link of this agent pinned: none of its programs is on a hook.
links_none() { [ -z "$(ls -A "/sys/fs/bpf/$TAG/links" 2>/dev/null)" ]; }
# sample CONFIG ROUND: one loopbench process; appends "ROUND OP NS" to $D/s/CONFIG
sample() {
	case $1 in
	A) "$B/raggedctl" run loopbench -- $LOOP > "$D/out" 2> "$D/err" < /dev/null || true ;;
	C) # "agent running, idle": after the last run, the programs stay on their
	   # hooks for HOOKS_LINGER_MS (agent.h); C is measured once they are off.
	   i=0; while ! links_none && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	   links_none || { echo "enforce bench: the agent's programs stayed attached with no run" >&2; exit 1; }
	   as_user "$D/plugin/loopbench" $LOOP > "$D/out" 2> "$D/err" < /dev/null || true ;;
	B|D) as_user "$D/plugin/loopbench" $LOOP > "$D/out" 2> "$D/err" < /dev/null || true ;;
	E) sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$E" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$D/plugin/loopbench" $LOOP \
		> "$D/out" 2> "$D/err" < /dev/null || true ;;
	esac
	if [ "$(grep -c "^loopbench " "$D/out")" -ne "$NOPS" ]; then
		echo "enforce bench: config $1 failed:" >&2; cat "$D/out" "$D/err" >&2
		tail -5 "$D/agent.log" >&2; exit 1
	fi
	awk -v r="$2" '/^loopbench / {print r, $2, $3}' "$D/out" >> "$D/s/$1"
}
# Own programs = the ones this agent holds a descriptor of (other agents on
# the machine load programs of the same names, and may start meanwhile).
own_progs() { cat /proc/"$APID"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" {print $2}' | sort -u; }
# ragged programs loaded on the machine (other agents included)
ragged_progs() { "$STATS" snap | awk '$3 ~ /^ragged_/' | wc -l; }
median() { sort -n | awk '{a[NR]=$1} END {if (!NR) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
col() { awk -v op="$2" '$2 == op {print $3}' "$D/s/$1"; }
# paired per-round ratios X/B of op
pairs() { awk -v op="$2" -v bf="$D/s/B" 'BEGIN {while ((getline l < bf) > 0) {split(l, x, " "); if (x[2] == op) b[x[1]] = x[3]}}
	$2 == op && ($1 in b) {print $3 / b[$1]}' "$D/s/$1"; }

# The TCP endpoint: a listener outside any sandbox (a plugin may not bind),
# the same in every configuration.
setpriv --reuid=65534 --regid=65534 --clear-groups "$D/plugin/loopbench" -l "127.0.0.1:$TPORT" \
	> "$D/listener.out" 2>&1 < /dev/null &
LPID=$!
i=0; while ! grep -q listening "$D/listener.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q listening "$D/listener.out" || { echo "enforce bench: listener:" >&2; cat "$D/listener.out" >&2; exit 1; }

foreign0=$(ragged_progs)
agent_start
"$B/raggedctl" plugin install "$D/plugin" > /dev/null
"$B/raggedctl" plugin grant loopbench > /dev/null
MODE=$("$B/raggedctl" --format json status | sed -n 's/.*"enforcement":"\([a-z-]*\)".*/\1/p')
mine=$(own_progs | wc -l)
if [ -n "${RAGGED_EXPECT_MODE:-}" ] && [ "$MODE" != "$RAGGED_EXPECT_MODE" ]; then
	echo "enforce bench: agent runs in $MODE mode, expected $RAGGED_EXPECT_MODE" >&2; exit 1
fi
echo "enforce bench: $MODE mode, kernel $(uname -r), $(nproc) cpus; R=$R rounds of A/B/C, S=$S stats rounds, loop: $LOOP_ROUNDS blocks of $BLOCK per op per sample; the agent loads $mine ragged programs"
[ "$foreign0" -eq 0 ] || echo "enforce bench: note: $foreign0 ragged programs of other agents are loaded on this machine (they run in every configuration)"

# --- A/B/C rounds ---------------------------------------------------------
mkdir "$E"
sample A 0; sample C 0		# warm-up, discarded
: > "$D/s/A"; : > "$D/s/C"; : > "$D/s/B"; : > "$D/s/D"; foreign_b=0
r=1
while [ $r -le "$R" ]; do
	if [ $((r % 2)) -eq 1 ]; then sample A $r; sample C $r; else sample C $r; sample A $r; fi
	agent_stop
	n=$(ragged_progs); [ "$n" -le "$foreign_b" ] || foreign_b=$n
	sample B $r
	[ "$WITH_D" = 0 ] || { empty_start; sample D $r; empty_stop; }
	agent_start
	r=$((r + 1))
done
[ "$foreign_b" -eq 0 ] || echo "enforce bench: note: up to $foreign_b ragged programs of other agents were loaded during B"

echo
[ "$WITH_D" = 0 ] || echo "D (information): agent stopped, only the empty global programs (raw_tp sys_exit$([ "$MODE" = bpf-lsm ] && echo ', fexit __seccomp_filter, lsm mmap_file, task_kill'); cgroup ones on the bench's cgroup) attached: the cost of the hooks being there at all"
echo
echo "| $MODE, kernel $(uname -r) | A sandboxed | B agent stopped | C outside, agent running | D empty global hooks | A/B | C/B | D/B | A/B paired | C/B paired | D/B paired |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for op in $OPS; do
	a=$(col A $op | median); b=$(col B $op | median); c=$(col C $op | median); d=$(col D $op | median)
	pa=$(pairs A $op | median); pc=$(pairs C $op | median); pd=$(pairs D $op | median)
	awk -v op=$op -v a="$a" -v b="$b" -v c="$c" -v d="$d" -v pa="$pa" -v pc="$pc" -v pd="$pd" \
		-v mode="$MODE" -v kv="$D/kv" 'BEGIN {
		printf "| %s | %.0f ns | %.0f ns | %.0f ns | %.0f ns | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
			op, a, b, c, d, a / b, c / b, d / b, pa, pc, pd
		printf "enforce_bench mode=%s op=%s a_ns=%.0f b_ns=%.0f c_ns=%.0f d_ns=%.0f a_b=%.3f c_b=%.3f d_b=%.3f a_b_paired=%.3f c_b_paired=%.3f d_b_paired=%.3f\n",
			mode, op, a, b, c, d, a / b, c / b, d / b, pa, pc, pd >> kv
		printf "BENCH metric=loop_%s_sandboxed_%s target=1.10 ratio=%.3f base=%.2f value=%.2f\n", op, mode, a / b, b, a >> kv
		printf "BENCH metric=loop_%s_outside_%s target=1.02 ratio=%.3f base=%.2f value=%.2f\n", op, mode, c / b, b, c >> kv }'
done
cat "$D/kv"

# --- per decision: kernel BPF statistics ----------------------------------
agent_stop
agent_start
own_progs > "$D/mine"
empty_start floor
# ids of the empty and the floor programs
"$STATS" snap | awk '$3 ~ /^[ef]_/ {print $1}' | sort > "$D/empties"
cat "$D/mine" "$D/empties" > "$D/watch"
echo 1 > /proc/sys/kernel/bpf_stats_enabled
: > "$D/st.A"; : > "$D/st.E"
# delta WORKLOAD: run it between two snapshots; append "name cnt ns" for watched programs
delta() {
	"$STATS" snap > "$D/snap0"
	sample "$1" "s$2"
	"$STATS" snap > "$D/snap1"
	awk -v wf="$D/watch" -v f0="$D/snap0" 'BEGIN {
		while ((getline l < wf) > 0) w[l] = 1
		while ((getline l < f0) > 0) { split(l, x, " "); c[x[1]] = x[4]; t[x[1]] = x[5] }
	     }
	     ($1 in w) && ($1 in c) {print $3, $4 - c[$1], $5 - t[$1]}' "$D/snap1" >> "$D/st.$1"
}
s=1
while [ $s -le "$S" ]; do
	if [ $((s % 2)) -eq 1 ]; then delta A $s; delta E $s; else delta E $s; delta A $s; fi
	s=$((s + 1))
done
echo "$STATS_OLD" > /proc/sys/kernel/bpf_stats_enabled
empty_stop
# What attaching a program to each run's own cgroup adds to a start (the
# agent does it for sock_create, its way under the floor of a lookup by
# cgroup id: docs/PERFORMANCE.md "The floor of a decision"): children of
# the bench's cgroup, nothing else.
echo
"$STATS" attachcost "$B/bench/empty.bpf.o" "$E" "${ATTACH_N:-100}"
rmdir "$E"

# sums per program per workload -> ns per run
for w in A E; do
	awk '{c[$1] += $2; t[$1] += $3} END {for (n in c) printf "%s %d %.1f\n", n, c[n], c[n] ? t[n] / c[n] : 0}' \
		"$D/st.$w" | sort > "$D/per.$w"
done
get() { awk -v n="$2" '$1 == n {print $'"$3"'}' "$D/per.$1"; }
echo
: > "$D/kv2"
echo "Per decision (kernel BPF statistics, $S rounds of each workload; A = sandboxed loop, E = the same loop outside any sandbox in the bench's cgroup):"
echo
echo "| $MODE, kernel $(uname -r) | hook | ns/run A | runs A | ns/run E | runs E | empty ns/run A | empty ns/run E | × empty (A) | × empty (E) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
# ragged name (as the kernel truncates it), empty name, hook; cgroup hooks
# have their empty program only in E (it is attached to the bench's cgroup)
for pair in ragged_connect4:e_connect4:cgroup/connect4 ragged_sock_run:e_sock_create:cgroup/sock_create \
	ragged_file_ope:e_file_open:lsm_cgroup/file_open ragged_sys_exit:e_sys_exit:raw_tp/sys_exit \
	ragged_mmap_fil:e_mmap_file:lsm_cgroup/mmap_file ragged_task_kil:e_task_kill:lsm_cgroup/task_kill \
	ragged_seccomp:e_seccomp:fexit/__seccomp_filter; do
	rn=${pair%%:*}; rest=${pair#*:}; en=${rest%%:*}; hook=${rest#*:}
	ra=$(get A "$rn" 3); rca=$(get A "$rn" 2); re=$(get E "$rn" 3); rce=$(get E "$rn" 2)
	ea=$(get A "$en" 3); ee=$(get E "$en" 3)
	[ -n "$ra$re" ] || { echo "| $rn | $hook | not loaded in $MODE mode |||||||| "; continue; }
	# The empty cgroup programs are attached only in E (same loop); mmap_file's and
	# task_kill's empty programs are global lsm ones (ours are lsm_cgroup: not run in E).
	case $hook in cgroup/*|lsm_cgroup/file_open) ea=$ee ;; esac
	awk -v rn="$rn" -v en="$en" -v hook="$hook" -v ra="${ra:-0}" -v rca="${rca:-0}" -v re="${re:-0}" -v rce="${rce:-0}" \
		-v ea="${ea:-0}" -v ee="${ee:-0}" -v mode="$MODE" -v kv="$D/kv2" 'BEGIN {
		xa = "-"; xe = "-"; sa = "-"; se = "-"; sea = "-"; see = "-"
		if (ea > 0 && rca > 0) xa = sprintf("%.3f", ra / ea)
		if (ee > 0 && rce > 0) xe = sprintf("%.3f", re / ee)
		if (rca > 0) sa = sprintf("%.0f", ra)
		if (rce > 0) se = sprintf("%.0f", re)
		if (ea > 0) sea = sprintf("%.0f", ea)
		if (ee > 0) see = sprintf("%.0f", ee)
		printf "| %s | %s | %s | %d | %s | %d | %s | %s | %s | %s |\n", rn, hook, sa, rca, se, rce, sea, see, xa, xe
		printf "enforce_bench_bpf mode=%s prog=%s ns_a=%s runs_a=%d ns_e=%s runs_e=%d empty_a=%s empty_e=%s x_a=%s x_e=%s\n", mode, rn, ra, rca, re, rce, ea, ee, xa, xe >> kv
		# One line per metric, for the summary table of make bench.
		if (xa != "-")
			printf "BENCH metric=decision_%s_%s target=2.0 ratio=%s base=%.2f value=%.2f\n", substr(en, 3), mode, xa, ea, ra >> kv
		if (xe != "-")
			printf "BENCH metric=decision_outside_%s_%s target=2.0 ratio=%s base=%.2f value=%.2f\n", substr(en, 3), mode, xe, ee, re >> kv
	}'
done
cat "$D/kv2"
echo
# The floor: the lookups any per-run policy needs on that hook (empty.bpf.c
# f_*), in E beside the empty program; ragged's A figure against it.
echo "The floor of a decision (E: the floor program, only the run's lookup and its rule's, beside the empty one; A: ragged's own):"
echo
echo "| $MODE, kernel $(uname -r) | hook | floor ns/run E | runs | empty ns/run E | floor × empty | ragged ns/run A | ragged × floor |"
echo "|---|---|---|---|---|---|---|---|"
: > "$D/kv3"
# f_sock_cgid and f_sock_slot: parts of the sock_create floor (empty.bpf.c).
for pair in ragged_connect4:connect4:cgroup/connect4 ragged_sock_run:sock_create:cgroup/sock_create \
	-:sock_cgid:cgroup/sock_create -:sock_slot:cgroup/sock_create \
	ragged_file_ope:file_open:lsm_cgroup/file_open; do
	rn=${pair%%:*}; rest=${pair#*:}; h=${rest%%:*}; hook=${rest#*:}
	en=e_$h; case $h in sock_*) en=e_sock_create ;; esac
	fe=$(get E "f_$h" 3); fc=$(get E "f_$h" 2); ee=$(get E "$en" 3); ra=$(get A "$rn" 3); rca=$(get A "$rn" 2)
	[ -n "$fe" ] && [ "${fc:-0}" -gt 0 ] || { echo "| f_$h | $hook | not loaded in $MODE mode ||||||"; continue; }
	awk -v h="$h" -v hook="$hook" -v fe="$fe" -v fc="$fc" -v ee="${ee:-0}" -v ra="${ra:-0}" -v rca="${rca:-0}" \
		-v mode="$MODE" -v kv="$D/kv3" 'BEGIN {
		xf = ee > 0 ? sprintf("%.3f", fe / ee) : "-"
		xr = rca > 0 && fe > 0 ? sprintf("%.3f", ra / fe) : "-"
		sr = rca > 0 ? sprintf("%.0f", ra) : "-"
		printf "| f_%s | %s | %.0f | %d | %.0f | %s | %s | %s |\n", h, hook, fe, fc, ee, xf, sr, xr
		if (xf != "-")
			printf "BENCH metric=decision_floor_%s_%s target=info ratio=%s base=%.2f value=%.2f\n", h, mode, xf, ee, fe >> kv
		if (xr != "-")
			printf "BENCH metric=decision_%s_vs_floor_%s target=info ratio=%s base=%.2f value=%.2f\n", h, mode, xr, fe, ra >> kv
	}'
done
cat "$D/kv3"
echo
echo "All ragged programs of this agent that ran (ns/run, runs) in A | E:"
for n in $(cat "$D/per.A" "$D/per.E" | awk '$1 ~ /^ragged_/ && $2 > 0 {print $1}' | sort -u); do
	printf '  %-16s A: %8s ns x %-9s E: %8s ns x %s\n' "$n" "$(get A "$n" 3)" "$(get A "$n" 2)" "$(get E "$n" 3)" "$(get E "$n" 2)"
done

# --- scale: per-decision cost with N granted paths and endpoints ---------
# Every run gets N document dirs (file rules, read:documents, from the
# agent's config) and N endpoints (network rules, from the manifest); the
# loop opens a document in the last dir and connects (TCP) to the bench's
# listener, the first endpoint. The rules share one LPM trie per kind,
# whose lookup walks at most the key's bits: the cost may grow with the
# trie's depth, never with N itself. The product caps both lists at 64
# (config: resource paths; manifest: endpoints), so N stops there.
if [ -n "$SCALE" ]; then
	echo
	echo "Scale (kernel BPF statistics, $SS samples of the sandboxed open+tcp loop per N; ratio = ns/run at N / ns/run at N=1):"
	echo
	echo "| $MODE, kernel $(uname -r) | N | connect4 ns/run | runs | file_open ns/run | runs | sock_create ns/run | runs |"
	echo "|---|---|---|---|---|---|---|---|"
	: > "$D/kv3"
	for n in $SCALE; do
		agent_stop
		mkdir -p "$D/scale"
		docs=""; eps="\"127.0.0.1:$TPORT\""; i=1
		while [ $i -le "$n" ]; do
			mkdir -p "$D/scale/d$i"; docs="$docs\"$D/scale/d$i\", "
			[ $i -gt 1 ] && eps="$eps, \"10.$((i / 250)).$((i % 250)).1:443\""
			i=$((i + 1))
		done
		echo "a document" > "$D/scale/d$n/doc.txt"; chmod 644 "$D/scale/d$n/doc.txt"
		sed -e "s|^documents = .*|documents = [${docs%, }]|" "$D/agent.toml.orig" > "$D/agent.toml"
		sed -i "s|^endpoints = .*|endpoints = [$eps]|" "$D/plugin/plugin.toml"
		agent_start
		"$B/raggedctl" plugin install --replace "$D/plugin" > "$D/install.out" 2>&1 ||
			{ echo "enforce bench: install with $n endpoints:" >&2; cat "$D/install.out" >&2; exit 1; }
		"$B/raggedctl" plugin grant loopbench > /dev/null
		own_progs > "$D/watch"
		echo 1 > /proc/sys/kernel/bpf_stats_enabled
		: > "$D/st.A"
		LOOP_SAVED=$LOOP
		LOOP="-r $LOOP_ROUNDS -b $BLOCK -o $D/scale/d$n/doc.txt -t 127.0.0.1:$TPORT"; NOPS=2
		j=1; while [ $j -le "$SS" ]; do delta A "n$n.$j"; j=$((j + 1)); done
		LOOP=$LOOP_SAVED; NOPS=5
		echo "$STATS_OLD" > /proc/sys/kernel/bpf_stats_enabled
		awk '{c[$1] += $2; t[$1] += $3} END {for (p in c) printf "%s %d %.1f\n", p, c[p], c[p] ? t[p] / c[p] : 0}' \
			"$D/st.A" | sort > "$D/per.A"
		printf '| | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$(get A ragged_connect4 3)" "$(get A ragged_connect4 2)" \
			"$(get A ragged_file_ope 3)" "$(get A ragged_file_ope 2)" "$(get A ragged_sock_run 3)" "$(get A ragged_sock_run 2)"
		for p in ragged_connect4 ragged_file_ope ragged_sock_run; do
			v=$(get A "$p" 3); [ -n "$v" ] && [ "$(get A "$p" 2)" != 0 ] && echo "$n $p $v" >> "$D/kv3"
		done
	done
	cp "$D/agent.toml.orig" "$D/agent.toml"
	echo
	# Growth from N=1 to each N (sock_create looks up no rule: the control).
	awk 'BEGIN {hook["ragged_connect4"] = "connect4"; hook["ragged_file_ope"] = "file_open"
		    hook["ragged_sock_run"] = "sock_create"}
	     $1 == 1 {b[$2] = $3} {v[$1 " " $2] = $3}
	     END {for (k in v) {split(k, x, " "); if (x[1] != 1 && b[x[2]] > 0)
		printf "BENCH metric=scale_%s_n%s_%s target=2.0 ratio=%.3f base=%.2f value=%.2f\n", hook[x[2]], x[1], mode, v[k] / b[x[2]], b[x[2]], v[k]}}' \
		mode="$MODE" "$D/kv3" | sort -u
fi

# --- leave nothing behind ---------------------------------------------------
agent_stop
kill "$LPID"; wait "$LPID" 2>/dev/null || true; LPID=
left=""
[ -e "/sys/fs/bpf/$TAG" ] && left="$left pin:/sys/fs/bpf/$TAG"
for d in $(find /sys/fs/cgroup -maxdepth 6 -type d \( -name "$TAG" -o -name "ragged-ebench-e-$$" \) 2>/dev/null); do
	left="$left cgroup:$d"; done
[ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = "$STATS_OLD" ] || left="$left bpf_stats_enabled"
i=0; while [ "$("$STATS" snap | awk '$3 ~ /^e_/' | wc -l)" -ne 0 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1)); done	# programs are freed after an RCU grace period
[ $i -lt 50 ] || left="$left empty-programs"
if [ -n "$left" ]; then echo "enforce bench: LEFT BEHIND:$left" >&2; exit 1; fi
echo "enforce bench: nothing left behind"
