# shellcheck shell=sh
# Load (the short version; make bench runs tools/bench/load.sh, 60 s): five
# local users, many runs at once, ten followers, one plugin flooding denials
# and one flooding its consent channel. Every run exits as it should and is
# recorded, every audit sum balances, status keeps answering (its latency is
# printed, not judged: a shared or emulated machine has no fixed bound), the
# agent's memory stays under a generous bound. See loadrun.sh.
. "$RAGGED_ROOT/tests/integration/loadrun.sh"

t_load_short() {
	if ! command -v setpriv > /dev/null 2>&1; then skip "no setpriv on this machine"; return; fi
	if [ "${RAGGED_IN_VM:-0}" = 1 ]; then
		# TCG emulation is ~20x slower than the machine: fewer runs, smaller floods.
		load_run "${LOAD_SECONDS:-15}" 10 10 5000 500
	else
		load_run "${LOAD_SECONDS:-12}" 20 10 50000 2000
	fi
}
