# shellcheck shell=sh
# Any and self addresses: a wildcard grant (network:download's 0.0.0.0/0 and
# ::/0 on ports 80/443, a manifest's 0.0.0.0/0:PORT) means the network out
# there, never this host. Every form the kernel delivers here is refused at
# connect time (EPERM, one permission_violation with the address): the
# unspecified addresses, loopback beyond 127.0.0.1, IPv4-mapped forms, this
# host's own addresses, link-local (cloud metadata); over connect4/6,
# sendmsg4/6 (UDP) and TCP Fast Open. An exact grant of a loopback endpoint
# still works. Only addresses of this machine ever see a packet: the
# link-local check runs on a socket bound to the loopback device.
# Helpers from t_escape.sh (sourced before this file): esc_record.

NA_READY=""
NA_LISTENER=""
na_setup() {
	[ -n "$NA_READY" ] && return 0
	# Ports of our own, one per test that listens (a listener a test leaves
	# cannot disturb the next): next_port in a subshell repeats itself.
	NA_PORT=$(next_port)
	NA_PORT2=$((NA_PORT + 2500)); NA_PORT3=$((NA_PORT + 2600)); NA_PORT4=$((NA_PORT + 2700))
	NA_OK_PORT=$((NA_PORT + 2800))
	# network:api with wildcard endpoints on those ports, an exact loopback
	# endpoint, and network:download (80/443).
	eps=""
	for p in "$NA_PORT" "$NA_PORT2" "$NA_PORT3" "$NA_PORT4"; do
		eps="$eps\"0.0.0.0/0:$p\", \"[::/0]:$p\", "
	done
	NA_DIR=$(make_plugin netaddr '[permissions]' \
		'required = ["network:download", "network:api"]' '[network]' \
		"endpoints = [$eps\"127.0.0.1:$NA_OK_PORT\"]")
	ctl plugin install --accept-risk "$NA_DIR" > "$RAGGED_T/na-install.out" 2>&1 ||
		{ fail "install the netaddr plugin: $(cat "$RAGGED_T/na-install.out")"; return 1; }
	NA_READY=1
}

# na_listen ADDR:PORT: an outside listener (one connection, 60 s at most);
# [::] is dual-stack, so it answers on every address of this host. It shows
# that what is refused was there to reach; the refusal itself is the EPERM
# (without the sandbox a connect gets through, or gets ECONNREFUSED). If the
# listener cannot be started (a VM under load has lost one to a stray
# SIGTERM), the refusal checks go on without it and the log says so.
na_listen() {
	NA_LPORT=${1##*:}
	NA_LOUT="$RAGGED_T/na-listen-$NA_LPORT.out"
	"$RAGGED_BUILD/plugins/probe" listen "$1" > "$NA_LOUT" 2>&1 &
	NA_LISTENER=$!
	_nw=0
	while ! grep -q '^listening' "$NA_LOUT" 2>/dev/null && [ $_nw -lt 300 ] && na_alive "$NA_LISTENER"; do
		sleep 0.1; _nw=$((_nw + 1))
	done
	grep -q '^listening' "$NA_LOUT" 2>/dev/null && return 0
	kill "$NA_LISTENER" 2>/dev/null
	wait "$NA_LISTENER"
	echo "# $T_CUR: the outside listener on $1 did not start (status $?, $_nw waits:" \
		"$(cat "$NA_LOUT"))"
	NA_LISTENER=""
	return 1
}
# A process that exists and is not a zombie.
na_alive() {
	_st=""
	read -r _ _ _st _ < "/proc/$1/stat" 2>/dev/null
	[ -n "$_st" ] && [ "$_st" != Z ]
}
# Its one connection, from outside the sandbox, ends it; then reap it.
na_listen_stop() {
	[ -n "$NA_LISTENER" ] || return 0
	"$RAGGED_BUILD/plugins/probe" connect "127.0.0.1:$NA_LPORT" > /dev/null 2>&1
	kill "$NA_LISTENER" 2>/dev/null
	wait "$NA_LISTENER" 2>/dev/null
	NA_LISTENER=""
}

# na_run OPS...: one plugin run with consent given; output and new records.
na_run() {
	mark_audit
	ctl run netaddr --yes -- "$@" > "$RAGGED_T/na.out" 2>&1
	new_audit > "$RAGGED_T/na.rec"
	cp "$RAGGED_T/na.rec" "$RAGGED_T/esc.rec"	# for esc_record
}

# na_refused OP ADDR HOOK RECORD-ADDRESS PORT: EPERM and its record.
na_refused() {
	expect_line "$RAGGED_T/na.out" "^$1 $(echo "$2" | sed 's/[][]/\\&/g') -> EPERM\$" "$1 $2 is refused (EPERM)"
	n=$(grep '"event":"permission_violation"' "$RAGGED_T/na.rec" |
		grep -c "\"hook\":\"$3\".*\"address\":\"$4\",\"port\":$5[,}]")
	if [ "$n" -eq 1 ]; then pass "one $3 permission_violation names $4 port $5"
	else fail "want one $3 permission_violation for $4 port $5, have $n"; fi
}

# 0.0.0.0, :: and ::ffff:0.0.0.0 are this host to the kernel (all of 0/8 is refused).
t_escape_netaddr_unspecified() {
	na_setup || return
	na_listen "[::]:$NA_PORT" || true
	na_run nbconnect "0.0.0.0:$NA_PORT" nbconnect "[::]:$NA_PORT" \
		nbconnect "[::ffff:0.0.0.0]:$NA_PORT" nbconnect "0.1.2.3:$NA_PORT" \
		nbconnect 0.0.0.0:443 nbconnect "[::]:80"
	na_refused nbconnect "0.0.0.0:$NA_PORT" connect4 0.0.0.0 "$NA_PORT"
	na_refused nbconnect "[::]:$NA_PORT" connect6 :: "$NA_PORT"
	na_refused nbconnect "[::ffff:0.0.0.0]:$NA_PORT" connect6 0.0.0.0 "$NA_PORT"
	na_refused nbconnect "0.1.2.3:$NA_PORT" connect4 0.1.2.3 "$NA_PORT"
	# network:download's own wildcard, on its own ports.
	na_refused nbconnect 0.0.0.0:443 connect4 0.0.0.0 443
	na_refused nbconnect "[::]:80" connect6 :: 80
	na_listen_stop
}

# Loopback beyond the exact grant: 127/8, ::1 and the mapped form.
t_escape_netaddr_loopback() {
	na_setup || return
	na_listen "[::]:$NA_PORT2" || true
	na_run nbconnect "127.0.0.1:$NA_PORT2" nbconnect "127.0.0.2:$NA_PORT2" \
		nbconnect "[::ffff:127.0.0.1]:$NA_PORT2" nbconnect "[::1]:$NA_PORT2" \
		nbconnect 127.0.0.1:443
	na_refused nbconnect "127.0.0.1:$NA_PORT2" connect4 127.0.0.1 "$NA_PORT2"
	na_refused nbconnect "127.0.0.2:$NA_PORT2" connect4 127.0.0.2 "$NA_PORT2"
	na_refused nbconnect "[::ffff:127.0.0.1]:$NA_PORT2" connect6 127.0.0.1 "$NA_PORT2"
	na_refused nbconnect "[::1]:$NA_PORT2" connect6 ::1 "$NA_PORT2"
	na_refused nbconnect 127.0.0.1:443 connect4 127.0.0.1 443
	na_listen_stop
}

# This host's own (non-loopback) addresses, both families if it has them.
t_escape_netaddr_host_address() {
	na_setup || return
	v4=$(ip -o -4 addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	v6=$(ip -o -6 addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
	if [ -z "$v4$v6" ]; then
		skip "this host has no non-loopback address"
		return
	fi
	na_listen "[::]:$NA_PORT3" || true
	ops=""
	[ -n "$v4" ] && ops="nbconnect $v4:$NA_PORT3 nbconnect [::ffff:$v4]:$NA_PORT3"
	[ -n "$v6" ] && ops="$ops nbconnect [$v6]:$NA_PORT3"
	# shellcheck disable=SC2086 # one word per op and argument
	na_run $ops
	if [ -n "$v4" ]; then
		na_refused nbconnect "$v4:$NA_PORT3" connect4 "$v4" "$NA_PORT3"
		na_refused nbconnect "[::ffff:$v4]:$NA_PORT3" connect6 "$v4" "$NA_PORT3"
	fi
	[ -n "$v6" ] && na_refused nbconnect "[$v6]:$NA_PORT3" connect6 "$v6" "$NA_PORT3"
	na_listen_stop
}

# The agent follows address changes: one added now is refused at once.
t_escape_netaddr_new_address() {
	na_setup || return
	if ! ip addr add 198.18.255.254/32 dev lo 2>/dev/null; then
		skip "cannot add an address here"
		return
	fi
	# The kernel's address event reaches the agent's loop long before the
	# plugin it is about to launch gets to its connect.
	na_run nbconnect "198.18.255.254:$NA_PORT"
	ip addr del 198.18.255.254/32 dev lo
	na_refused nbconnect "198.18.255.254:$NA_PORT" connect4 198.18.255.254 "$NA_PORT"
}

# Cloud metadata (169.254.169.254) and fe80::/10: refused before any packet
# is sent. The socket is bound to the loopback device, so even a sandbox
# that let it through could not reach the link.
t_escape_netaddr_link_local() {
	na_setup || return
	na_run loconnect 169.254.169.254:80 loconnect "169.254.169.254:$NA_PORT" \
		loconnect "[::ffff:169.254.169.254]:443" loconnect "[fe80::1]:$NA_PORT"
	if grep -q '^bindtodevice' "$RAGGED_T/na.out"; then
		fail "SO_BINDTODEVICE refused: $(grep '^bindtodevice' "$RAGGED_T/na.out" | head -1)"
		return
	fi
	na_refused loconnect 169.254.169.254:80 connect4 169.254.169.254 80
	na_refused loconnect "169.254.169.254:$NA_PORT" connect4 169.254.169.254 "$NA_PORT"
	na_refused loconnect "[::ffff:169.254.169.254]:443" connect6 169.254.169.254 443
	na_refused loconnect "[fe80::1]:$NA_PORT" connect6 fe80::1 "$NA_PORT"
}

# UDP without connect (sendmsg4/6) and TCP Fast Open (sendto MSG_FASTOPEN).
t_escape_netaddr_sendmsg() {
	na_setup || return
	na_listen "[::]:$NA_PORT4" || true
	na_run udp "0.0.0.0:$NA_PORT4" udp "[::]:$NA_PORT4" udp "[::ffff:127.0.0.1]:$NA_PORT4" \
		tfo "0.0.0.0:$NA_PORT4" tfo "[::]:$NA_PORT4" tfo "127.0.0.2:$NA_PORT4"
	na_refused udp "0.0.0.0:$NA_PORT4" sendmsg4 0.0.0.0 "$NA_PORT4"
	na_refused udp "[::]:$NA_PORT4" sendmsg6 :: "$NA_PORT4"
	# An IPv6 UDP socket sends to a mapped address through the IPv4 path.
	na_refused udp "[::ffff:127.0.0.1]:$NA_PORT4" sendmsg4 127.0.0.1 "$NA_PORT4"
	na_refused tfo "0.0.0.0:$NA_PORT4" connect4 0.0.0.0 "$NA_PORT4"
	na_refused tfo "[::]:$NA_PORT4" connect6 :: "$NA_PORT4"
	na_refused tfo "127.0.0.2:$NA_PORT4" connect4 127.0.0.2 "$NA_PORT4"
	na_listen_stop
}

# What stays allowed: the manifest's exact loopback endpoint (and only it).
t_escape_netaddr_exact_grant() {
	na_setup || return
	na_listen "127.0.0.1:$NA_OK_PORT" || { fail "no listener for the granted endpoint"; return; }
	na_run connect "0.0.0.0:$NA_OK_PORT" connect "127.0.0.1:$NA_OK_PORT"
	na_refused connect "0.0.0.0:$NA_OK_PORT" connect4 0.0.0.0 "$NA_OK_PORT"
	expect_line "$RAGGED_T/na.out" "^connect 127.0.0.1:$NA_OK_PORT -> ok\$" \
		"the exact grant 127.0.0.1:$NA_OK_PORT connects"
	expect_line "$RAGGED_T/na.rec" \
		"\"event\":\"network_access\".*\"address\":\"127.0.0.1\",\"port\":$NA_OK_PORT" \
		"the granted connect is recorded"
	na_listen_stop
}

# The install shows the endpoints and rates the loopback one high.
t_escape_netaddr_install_finding() {
	na_setup || return
	expect_line "$RAGGED_T/na-install.out" "127.0.0.1:$NA_OK_PORT.*loopback" \
		"install lists the loopback endpoint"
	ctl --format json plugin validate "$NA_DIR" > "$RAGGED_T/na-validate.out" 2>&1
	expect_line "$RAGGED_T/na-validate.out" \
		"\"rule\":\"perm-endpoint-local\".*\"severity\":\"high\".*127.0.0.1:$NA_OK_PORT" \
		"validation rates the loopback endpoint high"
}
