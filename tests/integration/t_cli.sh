# shellcheck shell=sh
# The command line: one table of commands and options behind the parser,
# help, raggedctl(1) and the completion; one table of exit codes; errors as
# one line, or one JSON object with --format json; --opt=VALUE everywhere.

# cli_drift.py checks the tables against each other without an agent. The
# tables do not depend on the kernel: the vmtest guests (busybox, no python,
# no man pages) leave it to the native run.
t_cli_one_table() {
	if [ "${RAGGED_IN_VM:-0}" = 1 ] || ! command -v python3 > /dev/null ||
		[ ! -f "$RAGGED_ROOT/man/raggedctl.1" ] || ! command -v bash > /dev/null; then
		skip "needs python3, bash and the source tree (checked by the native run)"
		return
	fi
	d=$(make_plugin cli-drift)
	python3 "$RAGGED_ROOT/tests/integration/cli_drift.py" "$RAGGED_ROOT" "$RAGGED_BUILD" "$d" \
		> "$RAGGED_T/drift.out" 2>&1
	rc=$?
	n=0
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "${line#ok - }"; n=$((n + 1)) ;;
		"not ok - "*) fail "${line#not ok - }"; n=$((n + 1)) ;;
		"    "*) echo "$line" ;;
		esac
	done < "$RAGGED_T/drift.out"
	[ "$n" -eq 6 ] && [ "$rc" -le 1 ] || { fail "cli_drift.py: $n checks, exit $rc"; sed 's/^/    | /' "$RAGGED_T/drift.out" | tail -20; }
}

# cli_err FILE CODE EXIT DESC: FILE is one JSON error object with that code and exit.
cli_err() {
	if [ "$(wc -l < "$1")" -eq 1 ] &&
		grep -Eq "^\{\"error\":\{\"code\":\"$2\",\"message\":\"[^\"]+.*\",\"exit\":$3\}\}\$" "$1"; then
		pass "$4"
	else
		fail "$4: $(head -c 300 "$1")"
	fi
}

# cli_line FILE DESC: FILE is one text error line.
cli_line() {
	if [ "$(wc -l < "$1")" -eq 1 ] && grep -q '^raggedctl: ' "$1"; then pass "$2"; else
		fail "$2: $(head -c 300 "$1")"; fi
}

t_cli_exit_codes_and_errors() {
	o=$RAGGED_T/cli.out e=$RAGGED_T/cli.err
	# bad input: the parser, before any agent
	ctl plugin install > "$o" 2> "$e"
	expect_rc $? 2 "a missing argument is bad input"
	cli_line "$e" "as one line"
	ctl --format json plugin install > "$o" 2> "$e"
	expect_rc $? 2 "with --format json too"
	cli_err "$e" bad_input 2 "as one JSON object on stderr"
	[ -s "$o" ] && fail "and nothing on stdout" || pass "and nothing on stdout"
	ctl audit show --since=-7q --format=json > "$o" 2> "$e"
	expect_rc $? 2 "a bad --since= value is bad input"
	cli_err "$e" bad_input 2 "JSON even when --format= comes after the bad argument"
	ctl --format=json plugin nosuch > "$o" 2> "$e"
	cli_err "$e" bad_input 2 "an unknown subcommand"
	ctl --format json help nosuch > "$o" 2> "$e"
	expect_rc $? 2 "help of an unknown command is bad input"
	cli_err "$e" bad_input 2 "help's error in JSON"
	# findings block: locally and at the agent
	d=$(make_plugin cli-risky)
	printf 'import os\nos.system("id")\n' > "$d/helper.py"	# py-shell: high
	chmod 644 "$d/helper.py"
	ctl plugin validate "$d" --threshold high > "$o" 2> "$e"
	expect_rc $? 3 "plugin validate: findings at the threshold block: exit 3"
	expect_line "$o" '^BLOCKED: ' "and say BLOCKED"
	ctl --format json plugin validate --threshold=high "$d" > "$o" 2> "$e"
	expect_rc $? 3 "--threshold=high, JSON report"
	expect_line "$o" '"blocked":true' "the report says blocked"
	cli_err "$e" findings_block 3 "and stderr has the error object"
	ctl plugin install "$d" > "$o" 2> "$e"
	expect_rc $? 3 "plugin install refused by findings exits 3"
	cli_line "$e" "with its reason in one line"
	ctl --format json plugin install "$d" > "$o" 2> "$e"
	cli_err "$e" findings_block 3 "install refused by findings, as JSON"
	# bad manifest: locally and at the agent
	b=$(make_plugin cli-bad)
	printf '[plugin]\nname = "Bad Name"\n' > "$b/plugin.toml"
	ctl plugin validate "$b" > "$o" 2> "$e"
	expect_rc $? 2 "plugin validate of an invalid manifest is bad input"
	ctl --format json plugin install "$b" > "$o" 2> "$e"
	cli_err "$e" bad_input 2 "the agent refuses an invalid manifest as bad input"
	# the agent refuses: failed
	ctl --format json plugin permissions nosuchplugin > "$o" 2> "$e"
	expect_rc $? 1 "an unknown plugin: the agent refuses, exit 1"
	cli_err "$e" failed 1 "as JSON"
	# I/O error
	ctl --format json audit verify --file="$RAGGED_T/no-such-log.jsonl" > "$o" 2> "$e"
	expect_rc $? 4 "an unreadable file is an I/O error"
	cli_err "$e" io_error 4 "as JSON"
	# the agent not running
	RAGGED_SOCKET="$RAGGED_T/nowhere.sock" ctl status > "$o" 2> "$e"
	expect_rc $? 5 "no agent: exit 5"
	cli_line "$e" "one line"
	ctl --socket="$RAGGED_T/nowhere.sock" --format json run cli-risky > "$o" 2> "$e"
	expect_rc $? 5 "run without an agent: exit 5, not the sandbox's 125"
	cli_err "$e" agent_not_running 5 "as JSON"
	# the agent's own status and success
	ctl --format=json status > "$o" 2> "$e"
	expect_rc $? 0 "--format=json status"
	[ -s "$e" ] && fail "success writes nothing on stderr: $(cat "$e")" || pass "success writes nothing on stderr"
	ctl audit show --plugin=cli-risky --event=validation_finding --result=denied --since=-1h > "$o" 2> "$e"
	expect_rc $? 0 "audit show with every filter as --opt=VALUE"
	expect_line "$o" 'validation_finding +cli-risky' "and the filters apply"
	t=$(make_plugin cli-ok)
	ctl plugin install --accept-risk "$t" > /dev/null 2>&1
	ctl --format json run cli-ok -- exit 7 > "$o" 2> "$e"
	expect_rc $? 7 "run: the plugin's own status"
	[ -s "$e" ] && fail "no error object for a plugin's plain exit: $(cat "$e")" || pass "no error object for a plugin's plain exit"
}

# The client of a run maps libc and cJSON alone: Nettle and utf8proc are
# loaded by the commands that hash or normalise (dlopen), libcrypto never.
# LD_DEBUG=libs names every library the dynamic loader initialises.
t_cli_run_loads_only_what_it_uses() {
	d=$(make_plugin cli-libs)
	ctl plugin install --accept-risk "$d" > /dev/null 2>&1
	expect_rc $? 0 "install"
	rm -f "$RAGGED_T"/lddebug.*
	LD_DEBUG=libs LD_DEBUG_OUTPUT="$RAGGED_T/lddebug" ctl run cli-libs -- exit 0 > /dev/null 2>&1
	expect_rc $? 0 "the run"
	cat "$RAGGED_T"/lddebug.* > "$RAGGED_T/run.libs" 2> /dev/null
	expect_line "$RAGGED_T/run.libs" 'calling init: .*libcjson' "the loader's log names what it loads"
	no_line "$RAGGED_T/run.libs" 'calling init: .*(libnettle|libutf8proc|libcrypto|libcurl|libzip)' \
		"a run loads neither Nettle, utf8proc, libcrypto, libcurl nor libzip"
	rm -f "$RAGGED_T"/lddebug.*
	LD_DEBUG=libs LD_DEBUG_OUTPUT="$RAGGED_T/lddebug" ctl plugin validate "$d" > /dev/null 2>&1
	expect_rc $? 0 "validate"
	cat "$RAGGED_T"/lddebug.* > "$RAGGED_T/validate.libs" 2> /dev/null
	expect_line "$RAGGED_T/validate.libs" 'calling init: .*libnettle' "validate loads Nettle when it hashes"
	rm -f "$RAGGED_T"/lddebug.*
}

# raggedd takes --opt=VALUE too (getopt_long), and bad usage exits 2.
t_cli_raggedd_options() {
	"$RAGGED_BUILD/raggedd" --config="$RAGGED_T/no-such.toml" --foreground > "$RAGGED_T/d.out" 2>&1
	expect_rc $? 1 "raggedd --config=FILE: a missing explicit config stops it"
	expect_line "$RAGGED_T/d.out" "no-such\.toml" "naming the file given as --config=FILE"
	"$RAGGED_BUILD/raggedd" --no-such-option > "$RAGGED_T/d.out" 2>&1
	expect_rc $? 2 "raggedd: an unknown option is bad input"
	"$RAGGED_BUILD/raggedd" --help > "$RAGGED_T/d.out" 2>&1
	expect_rc $? 0 "raggedd --help"
}
