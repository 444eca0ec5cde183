# shellcheck shell=sh
# What raggedctl prints is safe whatever bytes a plugin chooses: a plugin
# opens a denied file whose name holds terminal escape sequences, CR, BEL,
# LF, bytes that are not UTF-8 and a bidi override. The audit table shows
# them escaped (printable ASCII only, one line per record), the JSON is
# valid UTF-8 JSON whose "\xNN" escapes give back the exact name, and
# `audit follow` does the same live (docs/audit-format.md, "Strings").
# Parsing the JSON needs python3; without it (the vmtest guests) only the
# plain checks of the JSON run: printable ASCII, the exact escapes.

DSP_READY="" DSP_PATH="" DSP_RAW=""

# The file name: ESC [2J (clear screen), ESC [1A (cursor up), CR, BEL, 0xff,
# an overlong NUL (c0 80), a UTF-16 surrogate (ed a0 80), U+202E (right-to-
# left override), LF, a C1 CSI (c2 9b) and a literal "\x41" that must not
# read as an escape.
dsp_name() {
	printf 'e\033[2J\033[1A\rFORGED\007-\377-\300\200-\355\240\200-\342\200\256gpj.exe\nx\302\233-\\x41'
}

dsp_setup() {
	[ -n "$DSP_READY" ] && return 0
	d=$(make_plugin display)
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install the display plugin"; return 1; }
	mkdir -p "$RAGGED_T/dsp"
	DSP_RAW="$RAGGED_T/dsp.name"
	# The name goes through a file: $(...) would strip its bytes' trailing LF.
	dsp_name > "$DSP_RAW"
	DSP_PATH="$RAGGED_T/dsp/$(dsp_name)"
	echo secret > "$DSP_PATH"
	chown -R 65534:65534 "$RAGGED_T/dsp"; chmod 755 "$RAGGED_T/dsp"; chmod 644 "$DSP_PATH"
	DSP_READY=1
}

# dsp_wait FILE PATTERN: until a line of FILE matches (10 s at most).
dsp_wait() {
	i=0
	while ! grep -Eq -- "$2" "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

# dsp_ascii FILE DESC: nothing but printable ASCII and line ends.
dsp_ascii() {
	n=$(LC_ALL=C tr -d '\n\040-\176' < "$1" | wc -c)
	if [ "$n" -eq 0 ]; then pass "$2"; else
		fail "$2 ($n raw byte(s) outside printable ASCII:)"; LC_ALL=C od -c "$1" | head -8 | sed 's/^/    | /'
	fi
}

# dsp_json FILE DESC: each line is UTF-8 JSON, and the path of the denied
# open, its \xNN escapes decoded, is the exact file name.
dsp_json() {
	# Without a JSON parser too: the lines are ASCII here, with the exact escapes.
	dsp_ascii "$1" "$2 (printable ASCII)"
	expect_line "$1" '"path":"[^"]*/dsp/e\\u001b\[2J\\u001b\[1A\\rFORGED\\u0007-\\\\xff-\\\\xc0\\\\x80-\\\\xed\\\\xa0\\\\x80-\\u202egpj\.exe\\nx\\u009b-\\\\x5cx41"' \
		"$2 (the exact escapes)"
	command -v python3 > /dev/null || { skip "$2: python3 is needed to parse the JSON"; return; }
	if python3 - "$1" "$DSP_RAW" "$RAGGED_T/dsp/" <<'EOF'
import json, re, sys
want = sys.argv[3].encode() + open(sys.argv[2], 'rb').read()
found = 0
for raw in open(sys.argv[1], 'rb'):
    rec = json.loads(raw.decode('utf-8'))          # strict: invalid UTF-8 raises
    if any(b < 0x20 or b == 0x7f for b in raw.rstrip(b'\n')) or '\u202e'.encode() in raw:
        sys.exit('raw control or bidi character in: %r' % raw[:200])
    p = rec.get('details', {}).get('path')
    if rec.get('event') == 'permission_violation' and p and p.startswith(sys.argv[3]):
        got = re.sub(rb'\\x([0-9a-fA-F]{2})', lambda m: bytes([int(m.group(1), 16)]),
                     p.encode('utf-8'))
        if got != want:
            sys.exit('path decodes to %r, want %r' % (got, want))
        found += 1
sys.exit(0 if found else 'no permission_violation record for the file')
EOF
	then pass "$2"; else fail "$2"; sed 's/^/    | /' "$1" | head -5; fi
}

t_display_audit_show() {
	dsp_setup || return
	ctl run display -- read "$DSP_PATH" > "$RAGGED_T/dsp.out" 2>&1
	expect_line "$RAGGED_T/dsp.out" " -> EACCES$" "the open is denied"
	ctl audit show --plugin display --event permission_violation > "$RAGGED_T/dsp.table"
	dsp_ascii "$RAGGED_T/dsp.table" "the audit table holds no raw control byte, bidi or non-UTF-8 byte"
	n=$(grep -c 'FORGED' "$RAGGED_T/dsp.table")
	[ "$n" -ge 1 ] && [ "$(grep -c '' "$RAGGED_T/dsp.table")" -eq $((n + 1)) ] &&
		pass "one line per record (the LF in the name is escaped)" ||
		fail "a record spans lines: $(grep -c '' "$RAGGED_T/dsp.table") lines for $n records"
	expect_line "$RAGGED_T/dsp.table" 'e\\x1b\[2J\\x1b\[1A\\rFORGED\\x07-\\xff-\\xc0\\x80-\\xed\\xa0\\x80-\\u202egpj\.exe\\nx\\u009b-\\\\x41' \
		"every unsafe character is shown as an escape"
	ctl --format json audit show --plugin display > "$RAGGED_T/dsp.json"
	dsp_json "$RAGGED_T/dsp.json" "audit show --format json: UTF-8 JSON that gives back the exact name"
	grep -F 'permission_violation' "$RAGGED_T/log/audit.jsonl" | grep -F 'FORGED' | tail -n 1 > "$RAGGED_T/dsp.log"
	dsp_json "$RAGGED_T/dsp.log" "the log line itself is the same UTF-8 JSON"
	ctl audit verify > /dev/null
	expect_rc $? 0 "audit verify accepts the chain"
	ctl security report --plugins --plugin display > "$RAGGED_T/dsp.report"
	dsp_ascii "$RAGGED_T/dsp.report" "the security report's recent activity is escaped too"
	expect_line "$RAGGED_T/dsp.report" 'permission_violation .*FORGED\\x07-\\xff-' "and shows the denial's path"
}

t_display_audit_follow() {
	dsp_setup || return
	ctl --format json audit follow --plugin display > "$RAGGED_T/dspf.json" 2>&1 &
	jpid=$!
	ctl audit follow --plugin display > "$RAGGED_T/dspf.table" 2>&1 &
	tpid=$!
	# Both followers are in once a record reaches both (each reinstall writes one).
	i=0
	while { ! grep -q plugin_installed "$RAGGED_T/dspf.json" || ! grep -q plugin_installed "$RAGGED_T/dspf.table"; } &&
		[ $i -lt 50 ]; do
		ctl plugin install --replace --accept-risk "$RAGGED_T/plugins/display" > /dev/null
		dsp_wait "$RAGGED_T/dspf.table" plugin_installed
		i=$((i + 1))
	done
	ctl run display -- read "$DSP_PATH" > /dev/null 2>&1
	dsp_wait "$RAGGED_T/dspf.json" plugin_executed
	dsp_wait "$RAGGED_T/dspf.table" plugin_executed
	kill "$jpid" "$tpid" 2>/dev/null; wait "$jpid" "$tpid" 2>/dev/null
	grep -q FORGED "$RAGGED_T/dspf.table" && pass "follow shows the record" || fail "follow missed the record"
	dsp_ascii "$RAGGED_T/dspf.table" "audit follow (table) prints no raw control byte"
	dsp_json "$RAGGED_T/dspf.json" "audit follow --format json: UTF-8 JSON that gives back the exact name"
}

# A plugin installed from a directory whose path holds escapes and a byte
# that is not UTF-8: the plugin list and the security report, as tables and
# as JSON, stay safe (the path reaches raggedctl as raw bytes).
t_display_plugin_dir() {
	d="$RAGGED_T/plugins/$(printf 'dsp\033[2J\033]0;owned\007\377\342\200\256dir')"
	rm -rf "$d"; mkdir -p "$d"
	cp "$RAGGED_BUILD/plugins/hog" "$d/hog"
	printf '[plugin]\nname = "dspdir"\nversion = "1.0.0"\ntype = "command"\nentry = ["./hog"]\n' > "$d/plugin.toml"
	chmod 755 "$d"; chmod 644 "$d/plugin.toml"
	ctl plugin install "$d" > "$RAGGED_T/dspd.install" 2>&1 || { fail "install from the odd directory"; return; }
	dsp_ascii "$RAGGED_T/dspd.install" "plugin install prints the path escaped"
	ctl plugin list > "$RAGGED_T/dspd.list"
	dsp_ascii "$RAGGED_T/dspd.list" "plugin list (table) prints no raw control byte"
	expect_line "$RAGGED_T/dspd.list" 'dsp\\x1b\[2J\\x1b\]0;owned\\x07\\xff\\u202edir' "and shows every escape"
	ctl security report --plugins --plugin dspdir > "$RAGGED_T/dspd.report"
	dsp_ascii "$RAGGED_T/dspd.report" "security report (text) prints no raw control byte"
	command -v python3 > /dev/null || { skip "the JSON checks need python3"; return; }
	for cmd in "plugin list" "security report --plugins --plugin dspdir"; do
		# shellcheck disable=SC2086
		ctl --format json $cmd > "$RAGGED_T/dspd.json"
		if python3 -c '
import json, sys
raw = open(sys.argv[1], "rb").read()
json.loads(raw.decode("utf-8"))
assert not any(b < 0x20 and b != 0x0a for b in raw), "raw control byte"
assert "\u202e".encode() not in raw, "raw bidi override"
' "$RAGGED_T/dspd.json"; then pass "$cmd --format json: UTF-8 JSON, no raw control"; else
			fail "$cmd --format json is not safe UTF-8 JSON"; fi
	done
}
