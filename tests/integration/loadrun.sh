# shellcheck shell=sh
# The load test, shared by t_load (short, in make test) and
# tools/bench/load.sh (60 s, in make bench). Sourced after lib.sh, with
# RAGGED_BUILD, RAGGED_T, RAGGED_SOCKET and AGENT_PID set and the agent up.
#
# load_run SECONDS RUNS FOLLOWERS FLOOD_N ASK_N: LOAD_USERS (5) local users;
# RUNS workers, each always in one run (sleep, modest work, an unknown op
# that exits 2, a consent refusal that exits 77, one second asleep, in
# turn); one plugin flooding denials (FLOOD_N opens a run) and one flooding
# its consent channel (ASK_N requests a run), each run after run; FOLLOWERS
# `raggedctl audit follow` (half root, half the users); loadprobe asking
# `status` every 50 ms and sampling the agent's RSS. For SECONDS, then
# every run is let finish. Asserts: every run's exit status, every run
# recorded, the audit arithmetic of every flood run, the hash chain, status
# always answered, followers still served, memory growth under a generous
# bound (LOAD_RSS_SLACK_KB, default 16384, plus half the early figure),
# nothing left running; prints the latency and memory figures.

FOLLOWERS=""
load_users() { _i=1; while [ $_i -le "${LOAD_USERS:-5}" ]; do echo "ragload$_i"; _i=$((_i + 1)); done; }
as_user() { # as_user NAME CMD...: CMD with that user's uid, gid and no other groups
	_au=$1; shift
	setpriv --reuid="$(id -u "$_au")" --regid="$(id -g "$_au")" --clear-groups "$@"
}

# load_plugin NAME BINARY [REQUIRED-PERM]: a plugin dir every user can read.
load_plugin() {
	_d="$RAGGED_T/plugins/$1"
	rm -rf "$_d"; mkdir -p "$_d"
	cp "$RAGGED_BUILD/plugins/$2" "$_d/$2"
	{
		printf '[plugin]\nname = "%s"\nversion = "1.0.0"\ntype = "command"\nentry = ["./%s"]\n' "$1" "$2"
		printf '[permissions]\n'
		[ -n "${3:-}" ] && printf 'required = ["%s"]\n' "$3"
		printf 'optional = ["network:api"]\n[network]\nendpoints = ["192.0.2.1:443"]\n[limits]\ncpu_seconds = 300\n'
	} > "$_d/plugin.toml"
	chmod -R a+rX "$_d"
	echo "$_d"
}

# One worker: runs in turn until the deadline; a line "WANT GOT OP" per run.
load_worker() { # load_worker USER DEADLINE OUT FIRST
	_n=$4	# lanes start at different kinds: a short run still has every kind
	while [ "$(date +%s)" -lt "$2" ]; do
		case $((_n % 5)) in
		0) _want=0 _p=lw _op=sleep _arg=0 ;;
		1) _want=0 _p=lw _op=modest _arg=- ;;
		2) _want=2 _p=lw _op=unknown-op _arg=- ;;
		3) _want=77 _p=lneed _op=read:documents _arg= ;;
		*) _want=0 _p=lw _op=sleep _arg=1 ;;
		esac
		as_user "$1" "$RAGGED_BUILD/raggedctl" run "$_p" -- "$_op" ${_arg:+"$_arg"} \
			< /dev/null > /dev/null 2>&1
		echo "$_want $? $_p $_op" >> "$3"
		_n=$((_n + 1))
	done
}

# The deny flood: FLOOD_N denied opens a run, run after run.
load_denier() { # load_denier USER DEADLINE N OUT
	while [ "$(date +%s)" -lt "$2" ]; do
		_o=$(as_user "$1" "$RAGGED_BUILD/raggedctl" run lflood -- flood "$3:$RAGGED_T/secret.txt" < /dev/null 2>&1)
		_rc=$?
		echo "$_o" | grep -q "^flood: $3 of $3 opens failed$" && _ok=1 || { _ok=0; echo "# denier output: $_o" | head -3 >&2; }
		echo "$_rc $_ok" >> "$4"
	done
}

# The consent flood: ASK_N requests for an undeclared permission a run.
load_asker() { # load_asker USER DEADLINE N OUT
	while [ "$(date +%s)" -lt "$2" ]; do
		_o=$(as_user "$1" "$RAGGED_BUILD/raggedctl" run lask -- flood "$3" network:download < /dev/null 2>&1)
		_rc=$?
		echo "$_o" | grep -q "^flood sent $3 answered $3$" && _ok=1 || _ok=0
		echo "$_rc $_ok" >> "$4"
	done
}

# sum_field FILE EVENT FIELD [EXTRA-REGEX]: sum of FIELD over EVENT records.
sum_field() {
	grep "\"event\":\"$2\"" "$1" | grep -E -- "${4:-.}" |
		sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p" | awk '{s += $1} END {print s + 0}'
}

load_run() {
	_secs=$1 _runs=$2 _nfol=$3 _fn=$4 _an=$5
	L="$RAGGED_T/load"
	rm -rf "$L"; mkdir -p "$L"; chmod 777 "$L"
	users=$(load_users)
	for u in $users; do
		test_user_add "$u" || { fail "cannot create the test user $u"; return 1; }
	done
	dlw=$(load_plugin lw hog) dfl=$(load_plugin lflood hog) dask=$(load_plugin lask asker read:documents)
	dneed=$(load_plugin lneed asker read:documents)
	for u in $users; do
		for d in "$dlw" "$dneed"; do
			as_user "$u" "$RAGGED_BUILD/raggedctl" plugin install --replace "$d" > /dev/null ||
				{ fail "install $d as $u"; load_cleanup; return 1; }
		done
	done
	denier=$(echo "$users" | sed -n 1p) asker_u=$(echo "$users" | sed -n 2p)
	as_user "$denier" "$RAGGED_BUILD/raggedctl" plugin install --replace "$dfl" > /dev/null &&
		as_user "$asker_u" "$RAGGED_BUILD/raggedctl" plugin install --replace "$dask" > /dev/null &&
		as_user "$asker_u" "$RAGGED_BUILD/raggedctl" plugin grant lask > /dev/null ||
		{ fail "install the flooding plugins"; load_cleanup; return 1; }
	mark_audit

	# Followers first, so they see the whole load.
	FOLLOWERS=""
	i=1
	while [ $i -le "$_nfol" ]; do
		# Started directly (not through a function: that would be a
		# subshell), so $! is the follower itself.
		if [ $((i % 2)) -eq 1 ]; then
			"$RAGGED_BUILD/raggedctl" --format json audit follow > "$L/follow$i" 2>&1 &
		else
			fu=$(echo "$users" | sed -n "$(( (i / 2 - 1) % ${LOAD_USERS:-5} + 1 ))p")
			setpriv --reuid="$(id -u "$fu")" --regid="$(id -g "$fu")" --clear-groups \
				"$RAGGED_BUILD/raggedctl" --format json audit follow > "$L/follow$i" 2>&1 &
		fi
		FOLLOWERS="$FOLLOWERS $!"
		i=$((i + 1))
	done
	deadline=$(( $(date +%s) + _secs ))
	"$RAGGED_BUILD/plugins/loadprobe" "$RAGGED_SOCKET" "$AGENT_PID" "$_secs" > "$L/probe" 2>&1 &
	probe=$!
	WORKERS=""
	load_denier "$denier" "$deadline" "$_fn" "$L/denier" & WORKERS="$WORKERS $!"
	load_asker "$asker_u" "$deadline" "$_an" "$L/asker" & WORKERS="$WORKERS $!"
	j=0
	while [ $j -lt "$_runs" ]; do
		load_worker "$(echo "$users" | sed -n "$((j % ${LOAD_USERS:-5} + 1))p")" "$deadline" "$L/w$j" "$j" &
		WORKERS="$WORKERS $!"
		j=$((j + 1))
	done
	for p in $WORKERS; do wait "$p"; done
	wait "$probe"
	probe_rc=$?
	# Every reply is sent after the run's records are written: the log is complete now.
	new_audit > "$L/rec"

	# Exit statuses and records.
	cat "$L"/w* > "$L/all" 2>/dev/null
	total=$(wc -l < "$L/all")
	wrong=$(awk '$1 != $2' "$L/all" | wc -l)
	[ "$total" -ge "$_runs" ] && [ "$wrong" -eq 0 ] &&
		pass "$total runs in $_runs parallel lanes, every exit status right ($(awk '{c[$1]++} END {for (k in c) printf "%s:%d ", k, c[k]}' "$L/all"))" ||
		{ fail "$wrong of $total runs exited wrongly (want got plugin op):"; awk '$1 != $2' "$L/all" | sort | uniq -c | head | sed 's/^/    | /'; }
	# A run that exits 0 closes with plugin_executed, any other with plugin_failed.
	nok=$(awk '$3 == "lw" && $2 == 0' "$L/all" | wc -l)
	nko=$(awk '$3 == "lw" && $2 != 0' "$L/all" | wc -l)
	rok=$(grep -c '"event":"plugin_executed".*"plugin":"lw"' "$L/rec")
	rko=$(grep -c '"event":"plugin_failed".*"plugin":"lw"' "$L/rec")
	[ "$rok" -eq "$nok" ] && [ "$rko" -eq "$nko" ] &&
		pass "every run has its closing record: $nok plugin_executed, $nko plugin_failed" ||
		fail "lw: $nok runs exited 0, $rok plugin_executed; $nko exited non-zero, $rko plugin_failed"
	nneed=$(awk '$3 == "lneed"' "$L/all" | wc -l)
	rec=$(grep -c '"event":"permission_denied".*"plugin":"lneed"' "$L/rec")
	[ "$rec" -eq "$nneed" ] && pass "every one of $nneed consent refusals is recorded" ||
		fail "$nneed refused runs of lneed, $rec permission_denied records"

	# The deny flood: kernel decisions = logged + suppressed + lost, run by run and in sum.
	nfl=$(wc -l < "$L/denier")
	bad=$(awk '$1 != 0 || $2 != 1' "$L/denier" | wc -l)
	[ "$nfl" -ge 1 ] && [ "$bad" -eq 0 ] && pass "$nfl deny-flood runs of $_fn opens, every one denied" ||
		{ fail "deny flood: $bad of $nfl runs wrong (want 0 1, got rc ok):"; awk '$1 != 0 || $2 != 1' "$L/denier" | head -3 | sed 's/^/    | /'; }
	badsum=0; nclose=0
	grep '"event":"plugin_executed".*"plugin":"lflood"' "$L/rec" > "$L/flclose"
	while read -r line; do
		audit_sums "$line"
		nclose=$((nclose + 1))
		[ -n "$k" ] && [ "$k" -eq $((l + s + x)) ] && [ "$d" -ge "$_fn" ] ||
			{ badsum=$((badsum + 1)); echo "# unbalanced or short: $line" | cut -c1-600; }
	done < "$L/flclose"
	S=$(sum_field "$L/rec" plugin_executed records_suppressed '"plugin":"lflood"')
	X=$(sum_field "$L/rec" plugin_executed records_lost '"plugin":"lflood"')
	K=$(sum_field "$L/rec" plugin_executed kernel_audited '"plugin":"lflood"')
	es=$(sum_field "$L/rec" events_suppressed count '"plugin":"lflood"')
	el=$(sum_field "$L/rec" events_lost count '"plugin":"lflood"')
	[ "$nclose" -eq "$nfl" ] && [ "$badsum" -eq 0 ] && [ "$es" -eq "$S" ] && [ "$el" -eq "$X" ] &&
		pass "deny flood arithmetic: $K kernel decisions = logged + $S suppressed + $X lost in each of $nclose runs; events_suppressed/lost records add up" ||
		fail "deny flood arithmetic: $nclose closing records for $nfl runs, $badsum unbalanced; suppressed $S vs records $es, lost $X vs records $el"

	# The consent flood: requests = records + suppressed, per event.
	nask=$(wc -l < "$L/asker")
	bad=$(awk '$1 != 0 || $2 != 1' "$L/asker" | wc -l)
	[ "$nask" -ge 1 ] && [ "$bad" -eq 0 ] && pass "$nask consent-flood runs of $_an requests, every one answered" ||
		fail "consent flood: $bad of $nask runs wrong: $(head -3 "$L/asker" | tr '\n' ' ')"
	req=$(sum_field "$L/rec" plugin_executed consent_requests '"plugin":"lask"')
	sup=$(sum_field "$L/rec" plugin_executed agent_records_suppressed '"plugin":"lask"')
	folded=0; ok=1
	for ev in permission_requested permission_denied; do
		logged=$(grep -c "\"event\":\"$ev\".*\"plugin\":\"lask\"" "$L/rec")
		f=$(sum_field "$L/rec" events_suppressed count "\"plugin\":\"lask\".*\"suppressed_event\":\"$ev\"|\"suppressed_event\":\"$ev\".*\"plugin\":\"lask\"")
		[ $((logged + f)) -eq "$req" ] || ok=0
		folded=$((folded + f))
	done
	[ "$req" -eq $((nask * _an)) ] && [ $ok -eq 1 ] && [ "$folded" -eq "$sup" ] &&
		pass "consent flood arithmetic: $req requests, each requested/denied logged or counted in events_suppressed ($sup)" ||
		fail "consent flood arithmetic: $req requests for $nask runs of $_an, per-event sums ok=$ok, suppressed $sup vs records $folded"

	ctl audit verify > /dev/null 2>&1
	expect_rc $? 0 "the hash chain verifies after the load"

	# The agent answered throughout; memory stayed flat.
	kill -0 "$AGENT_PID" 2>/dev/null && pass "the agent is alive" || fail "the agent died under load"
	# Figures, not judged: on a shared machine latency is mostly waiting for a CPU.
	echo "# load: $(grep '^agent cpu' "$L/probe")"
	[ "$probe_rc" -eq 0 ] && pass "status answered throughout: $(sed -n 1p "$L/probe")" ||
		fail "status under load: $(cat "$L/probe" | tr '\n' ' ')"
	early=$(sed -n 's/^rss .* early \([0-9]*\) kB, late \([0-9]*\) kB.*/\1/p' "$L/probe")
	late=$(sed -n 's/^rss .* early \([0-9]*\) kB, late \([0-9]*\) kB.*/\2/p' "$L/probe")
	if [ -n "$early" ] && [ -n "$late" ] && [ "$late" -le $((early + early / 2 + ${LOAD_RSS_SLACK_KB:-16384})) ]; then
		pass "agent memory flat: $(sed -n 's/^rss //p' "$L/probe")"
	else fail "agent memory grew: $(sed -n 's/^rss //p' "$L/probe")"; fi

	# Followers: still served, each saw records. One starved of CPU so long
	# that its backlog overflowed is dropped, by design, with a record:
	# allowed, and counted, never silent.
	alive=0; fed=0
	for p in $FOLLOWERS; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	for f in "$L"/follow*; do grep -q '"event"' "$f" && fed=$((fed + 1)); done
	dropped=$(grep -c '"event":"client_dropped"' "$L/rec")
	[ $((alive + dropped)) -ge "$_nfol" ] && [ "$fed" -eq "$_nfol" ] &&
		pass "$alive of $_nfol followers still following ($dropped dropped as too slow, recorded), each got records ($(cat "$L"/follow* | wc -l) lines in all)" ||
		fail "followers: $alive of $_nfol still following, $dropped client_dropped records, $fed got records"
	load_cleanup
	wait_until 300 load_settled && pass "no run left active" ||
		fail "runs still active after the load: $(ctl status | grep -i active)"
}

# user_gone UID: no process runs with that real uid.
user_gone() {
	for _s in /proc/[0-9]*/status; do
		grep -q "^Uid:[[:space:]]*$1[[:space:]]" "$_s" 2>/dev/null && return 1
	done
	return 0
}

load_settled() { ! ctl --format json status | grep -q '"active_runs":[1-9]'; }

load_cleanup() {
	for p in $FOLLOWERS; do kill "$p" 2>/dev/null; done
	for p in $FOLLOWERS; do wait "$p" 2>/dev/null; done
	FOLLOWERS=""
	# userdel refuses while a process of the user lives (a run's last
	# processes may still be exiting): wait for that first.
	for u in $(load_users); do
		id "$u" > /dev/null 2>&1 || continue
		wait_until 100 user_gone "$(id -u "$u")"
		test_user_del "$u" || fail "cannot remove the test user $u"
	done
}
