# shellcheck shell=sh
# Network escapes beyond connect/sendmsg: bind, and UNIX sockets named and
# abstract. Same style and helpers as t_escape.sh (sourced before this file):
# the real probe plugin, the exact errno, and the audit record.
# bpf-lsm decides UNIX sockets on the peer (lsm unix_stream_connect and
# unix_may_send: only the run's own sockets); landlock mode on the name
# (cgroup connect_unix/sendmsg_unix: only names under the run's scratch dir,
# where Landlock refuses symlinks). docs/security-model.md has the table.

# esc_serve KIND NAME: an outside server (sendfd: stream, dgramsrv: datagram)
# until esc_serve_stop; its socket is mode 0777, so only the sandbox stands
# in the plugin's way. Abstract names start with '@'.
ESC_SERVER=""
esc_serve() {
	"$ESC_DIR/probe" "$1" \
		"$( [ "$1" = sendfd ] && echo "$2:/dev/null" || echo "$2")" > "$RAGGED_T/serve.out" 2>&1 &
	ESC_SERVER=$!
	# Bound once the kernel lists the name (a path, or @name when abstract).
	_sw=0
	while ! grep -q " $2\$" /proc/net/unix && [ $_sw -lt 300 ]; do
		sleep 0.1; _sw=$((_sw + 1))
	done
	grep -q " $2\$" /proc/net/unix ||
		fail "the outside $1 server did not start: $(cat "$RAGGED_T/serve.out")"
}
esc_serve_stop() { kill "$ESC_SERVER" 2>/dev/null; wait "$ESC_SERVER" 2>/dev/null; ESC_SERVER=""; }

# D-Bus, the Docker socket, ssh-agent: a named stream socket outside the run.
t_escape_unix_named() {
	esc_setup || return
	sock="$RAGGED_T/esc-named.sock"; rm -f "$sock"
	esc_serve sendfd "$sock"
	esc_run unix "$sock"
	esc_errno unix "$sock" EPERM
	esc_record permission_violation \
		"\"hook\":\"$(by_mode connect_unix unix_stream_connect)\".*\"address\":\"$sock\""
	esc_serve_stop; rm -f "$sock"
}

# The abstract namespace is machine-wide: no file permission guards it.
t_escape_unix_abstract() {
	esc_setup || return
	name="@$TAG-abstract"
	esc_serve sendfd "$name"
	esc_run unix "$name"
	esc_errno unix "$name" EPERM
	esc_record permission_violation "\"address\":\"$name\""
	esc_serve_stop
}

# Datagrams need no connect: every sendto names its peer (journald's socket).
t_escape_unix_dgram() {
	esc_setup || return
	sock="$RAGGED_T/esc-dgram.sock"; rm -f "$sock"
	esc_serve dgramsrv "$sock"
	esc_run unixdgram "$sock"
	esc_errno unixdgram "$sock" EPERM
	esc_record permission_violation \
		"\"hook\":\"$(by_mode sendmsg_unix unix_may_send)\".*\"operation\":\"sendmsg\".*\"address\":\"$sock\""
	esc_serve_stop; rm -f "$sock"
}

# A symlink in the scratch dir aimed at an outside socket. landlock mode:
# Landlock refuses the symlink itself there; bpf-lsm: the peer is still the
# outside socket, whatever name led to it.
t_escape_unix_symlink() {
	esc_setup || return
	sock="$RAGGED_T/esc-link.sock"; rm -f "$sock"
	esc_serve sendfd "$sock"
	esc_run unixlink "$sock"
	esc_errno unixlink "$sock" "$(by_mode EACCES EPERM)"
	if [ "$ESC_MODE" = landlock ]; then
		esc_record permission_violation '"operation":"symlink".*"path":"[^"]*/link.sock"'
	else
		esc_record permission_violation "\"hook\":\"unix_stream_connect\".*\"address\":\"$sock\""
	fi
	esc_serve_stop; rm -f "$sock"
}

# What stays allowed: a plugin's own socket in its scratch dir (worker pools).
t_escape_unix_own_socket() {
	esc_setup || return
	esc_run unixown -
	esc_errno unixown - ok
	no_line "$RAGGED_T/esc.rec" '"event":"permission_violation"' "no violation for the run's own socket"
}

# No permission grants serving: a fixed port or a wildcard address is denied,
# an ephemeral port on loopback is not.
t_escape_bind() {
	esc_setup || return
	esc_run bind 0.0.0.0:8080 bind 127.0.0.1:0 bind "[::]:0" bind "[::1]:0"
	esc_errno bind 0.0.0.0:8080 EPERM
	esc_errno bind 127.0.0.1:0 ok
	esc_errno bind "\[::\]:0" EPERM
	esc_errno bind "\[::1\]:0" ok
	n=$(grep -c '"event":"permission_violation".*"operation":"bind"' "$RAGGED_T/esc.rec")
	[ "$n" -eq 2 ] && pass "two bind violations recorded" ||
		fail "want 2 bind violation records, have $n"
	expect_line "$RAGGED_T/esc.rec" '"hook":"bind4".*"address":"0.0.0.0","port":8080' \
		"the bind4 record names the address and port"
}

# The mode is never silent: status says how UNIX sockets are decided.
t_escape_unix_status() {
	esc_setup || return
	want=$(by_mode "name must be under the run's scratch dir" "peer must be the run's own")
	ctl status > "$RAGGED_T/status.out" 2>&1
	expect_line "$RAGGED_T/status.out" "unix_sockets.*$want" "status: UNIX sockets: $want"
}
