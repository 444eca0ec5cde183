# shellcheck shell=sh
# File namespace and file metadata changes: a plugin granted only
# read:documents tries every way to delete, create, truncate, chmod, chown,
# touch or tag (xattrs, ACLs) a document and a file outside every grant; each
# attempt must fail, leave the file as it was, and leave exactly one
# permission_violation record. The same operations must still work in the
# run's scratch dir and in a granted write tree (write:documents).
#
# bpf-lsm mode: bpf/fsmod.bpf.c (path_* hooks EACCES for names and contents,
# EPERM for metadata; inode hooks EPERM). landlock mode: the run's read-only
# mount view (agent/daemon/fsview.c) answers EROFS and the denial monitor
# records it. docs/security-model.md, "File namespace and metadata".

FS_READY="" FS_RO="" FS_OUT="" FS_W="" FS_XATTR=0
fs_setup() {
	[ -n "$FS_READY" ] && return 0
	esc_setup || return 1
	FS_RO="$RAGGED_T/docs/fsro"
	FS_W="$RAGGED_T/docs/fsw"
	FS_OUT="$RAGGED_T/fshome"
	rm -rf "$FS_RO" "$FS_W" "$FS_OUT"
	mkdir -p "$FS_RO" "$FS_W" "$FS_OUT"
	chmod 755 "$RAGGED_T/docs"
	# The plugin's user (nobody) owns them all: only the sandbox stands in the way.
	chown 65534:65534 "$FS_RO" "$FS_W" "$FS_OUT"
	d=$(make_plugin escfs '[permissions]' 'required = ["read:documents"]')
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install escfs"; return 1; }
	d=$(make_plugin escfsw '[permissions]' 'required = ["write:documents"]')
	ctl plugin install --accept-risk "$d" > /dev/null || { fail "install escfsw"; return 1; }
	# Can this file system hold user xattrs at all? (Probed as root, outside.)
	: > "$RAGGED_T/xattr-probe"
	"$ESC_DIR/probe" setxattr "$RAGGED_T/xattr-probe" | grep -q -- "-> ok$" && FS_XATTR=1
	rm -f "$RAGGED_T/xattr-probe"
	FS_READY=1
}

# fs_files DIR: one file per operation (so each record names its own path),
# plus what unlink/rmdir/rename/link act on; all the plugin user's.
FS_OPS="otrunc trunc chmod fchmod chown lchown fchown fchownat_empty utimes futimens
	setxattr lsetxattr fsetxattr removexattr setacl removeacl setflags"
fs_files() {
	for op in $FS_OPS unlink mv ln; do echo "content of $op" > "$1/$op.txt"; done
	mkdir -p "$1/rmdir.d"
	chown -R 65534:65534 "$1"; chmod 644 "$1"/*.txt
	touch -d "2001-01-01 00:00:00" "$1"/*.txt
	# Something for the remove attempts to remove (as root, outside the sandbox).
	if [ "$FS_XATTR" = 1 ]; then
		"$ESC_DIR/probe" setxattr "$1/removexattr.txt" setacl "$1/removeacl.txt" > /dev/null
	fi
}

# fs_state DIR: everything an attempt could change, one line per entry.
fs_state() {
	( cd "$1" && for f in $(ls -A | sort); do
		x=$("$ESC_DIR/probe" listxattr "$f" | sed -n 's/^xattrs [^:]*: //p')
		printf '%s %s %s\n' "$f" "$(stat -c '%F %a %u %g %s %Y' "$f")" "$x"
		# (the line carries the xattr names, when the file system has any)
	done )
}

# fs_refuse_run PLUGIN DIR OUT: every attempt on DIR in one run (a run costs
# seconds under TCG); each test then checks its own line and record.
fs_refuse_run() {
	fs_files "$2"
	fs_state "$2" > "$RAGGED_T/$3.before"
	ops=""
	for op in $FS_OPS; do ops="$ops $op $2/$op.txt"; done
	mark_audit
	# shellcheck disable=SC2086
	ctl run "$1" --yes -- unlink "$2/unlink.txt" rmdir "$2/rmdir.d" mkdir "$2/mkdir.d" \
		mkfifo "$2/fifo" sockname "$2/sock" symlink2 "$2/authorized_keys" \
		creat "$2/evil.pth" mv "$2/mv.txt:$2/mv2.txt" ln "$2/ln.txt:$2/ln2.txt" $ops \
		> "$RAGGED_T/$3.out" 2>&1
	new_audit > "$RAGGED_T/$3.rec"
	fs_state "$2" > "$RAGGED_T/$3.after"
}

FS_DOC_DONE="" FS_OUT_DONE=""
fs_doc() {
	fs_setup || return 1
	[ -n "$FS_DOC_DONE" ] && return 0
	fs_refuse_run escfs "$FS_RO" fsdoc
	FS_DOC_DONE=1
}
fs_out() {
	fs_setup || return 1
	[ -n "$FS_OUT_DONE" ] && return 0
	fs_refuse_run escfs "$FS_OUT" fsout
	FS_OUT_DONE=1
}

# fs_expect OUT OP PATH BPF-HOOK BPF-ERRNO SYSCALL [BPF-PATH]: the attempt
# failed with the mode's errno and left exactly one record naming it.
fs_expect() {
	want=$(by_mode EROFS "$5")
	expect_line "$RAGGED_T/$1.out" "^$2 $3 -> $want\$" "$2 fails with $want"
	if [ "$ESC_MODE" = landlock ]; then
		pat="\"hook\":\"sys_exit\",\"mechanism\":\"read-only-mount\".*\"syscall\":\"$6\".*\"path\":\"${7:-$3}\""
	else
		pat="\"hook\":\"$4\",\"mechanism\":\"bpf-lsm\".*\"path\":\"${7:-$3}\""
	fi
	n=$(grep '"event":"permission_violation"' "$RAGGED_T/$1.rec" | grep -Ec -- "$pat")
	if [ "$n" -eq 1 ]; then pass "one permission_violation record ($(by_mode "$6" "$4"))"; else
		fail "want one permission_violation record matching '$pat', have $n"
		grep '"event":"permission_violation"' "$RAGGED_T/$1.rec" | head -40 | sed 's/^/    | /'
	fi
}

# fs_unchanged OUT NAME: the entry NAME is as it was before the run (or still absent).
fs_unchanged() {
	b=$(grep -F "$2 " "$RAGGED_T/$1.before" | grep "^$2 ")
	a=$(grep -F "$2 " "$RAGGED_T/$1.after" | grep "^$2 ")
	if [ "$a" = "$b" ]; then pass "${2} unchanged${a:+ ($a)}"; else
		fail "$2 changed: before '${b:-absent}', after '${a:-absent}'"; fi
}

# One test per operation, on a document (read:documents) and outside every grant.
fs_case() { # NAME OP HOOK BPF-ERRNO SYSCALL [SUFFIX]
	for where in doc out; do
		"fs_$where" || return
		dir=$(if [ $where = doc ]; then echo "$FS_RO"; else echo "$FS_OUT"; fi)
		target="$dir/$1"
		fs_expect "fs$where" "$2" "$target${6:-}" "$3" "$4" "$5" "$target"
		fs_unchanged "fs$where" "$1"
	done
}

t_fs_unlink() { fs_case unlink.txt unlink path_unlink EACCES "(unlink|unlinkat)"; }
t_fs_rmdir() { fs_case rmdir.d rmdir path_rmdir EACCES "(rmdir|unlinkat)"; }
t_fs_mkdir() { fs_case mkdir.d mkdir path_mkdir EACCES "(mkdir|mkdirat)"; }
t_fs_mkfifo() { fs_case fifo mkfifo path_mknod EACCES "(mknod|mknodat)"; }
t_fs_unix_socket_name() { fs_case sock sockname path_mknod EACCES bind; }
t_fs_symlink() { fs_case authorized_keys symlink2 path_symlink EACCES "(symlink|symlinkat)"; }
# A refused O_CREAT open leaves no empty file behind (fs_unchanged: still absent).
t_fs_create() { fs_case evil.pth creat path_mknod EACCES "(open|openat)"; }
# An O_RDONLY|O_TRUNC open is a read for file_open, and still empties the
# file: file_truncate (path_truncate on 6.1) refuses it on a document. Outside
# every grant file_open refuses the read first (bpf-lsm mode).
t_fs_open_trunc() {
	fs_doc || return
	fs_expect fsdoc otrunc "$FS_RO/otrunc.txt" path_truncate EACCES "(open|openat)"
	fs_unchanged fsdoc otrunc.txt
	fs_out || return
	fs_expect fsout otrunc "$FS_OUT/otrunc.txt" file_open EACCES "(open|openat)"
	fs_unchanged fsout otrunc.txt
}
t_fs_truncate() { fs_case trunc.txt trunc path_truncate EACCES truncate; }
t_fs_chmod() { fs_case chmod.txt chmod path_chmod EPERM "(chmod|fchmodat)"; }
t_fs_chown() { fs_case chown.txt chown path_chown EPERM "(chown|fchownat)"; }
t_fs_lchown() { fs_case lchown.txt lchown path_chown EPERM "(lchown|fchownat)"; }
t_fs_utimes() { fs_case utimes.txt utimes inode_setattr EPERM utimensat; }
t_fs_setxattr() { fs_case setxattr.txt setxattr inode_xattr EPERM setxattr; }
t_fs_lsetxattr() { fs_case lsetxattr.txt lsetxattr inode_xattr EPERM lsetxattr; }
t_fs_removexattr() { fs_case removexattr.txt removexattr inode_xattr EPERM removexattr; }
t_fs_set_acl() { fs_case setacl.txt setacl inode_xattr EPERM setxattr; }
t_fs_remove_acl() { fs_case removeacl.txt removeacl inode_xattr EPERM removexattr; }

t_fs_rename() {
	for where in doc out; do
		"fs_$where" || return
		dir=$(if [ $where = doc ]; then echo "$FS_RO"; else echo "$FS_OUT"; fi)
		fs_expect "fs$where" mv "$dir/mv.txt:$dir/mv2.txt" path_rename EACCES "(rename|renameat|renameat2)" "$dir/mv.txt"
		fs_unchanged "fs$where" mv.txt
		fs_unchanged "fs$where" mv2.txt
	done
}

t_fs_link() {
	for where in doc out; do
		"fs_$where" || return
		dir=$(if [ $where = doc ]; then echo "$FS_RO"; else echo "$FS_OUT"; fi)
		fs_expect "fs$where" ln "$dir/ln.txt:$dir/ln2.txt" path_link EACCES "(link|linkat)" "$dir/ln.txt"
		fs_unchanged "fs$where" ln2.txt
	done
}

# Descriptor variants: opened read-only (allowed: the documents are
# readable), changed through the descriptor. Outside every grant the open
# itself is refused, so these run on the document only.
fs_fd_case() { # OP HOOK BPF-ERRNO SYSCALL
	fs_doc || return
	fs_expect fsdoc "$1" "$FS_RO/$1.txt" "$2" "$3" "$4"
	fs_unchanged fsdoc "$1.txt"
}
t_fs_fchmod() { fs_fd_case fchmod path_chmod EPERM fchmod; }
t_fs_fchown() { fs_fd_case fchown path_chown EPERM fchown; }
t_fs_fchownat_empty_path() { fs_fd_case fchownat_empty path_chown EPERM fchownat; }
t_fs_futimens() { fs_fd_case futimens inode_setattr EPERM utimensat; }
t_fs_fsetxattr() { fs_fd_case fsetxattr inode_xattr EPERM fsetxattr; }
# chattr (FS_IOC_SETFLAGS) needs no write descriptor.
t_fs_setflags() { fs_fd_case setflags file_ioctl EPERM ioctl; }

# The same operations where the run may write: its scratch dir (any
# plugin) and a granted write tree (write:documents).
fs_allowed() { # PLUGIN DIR OUT
	ops="creat $2/a trunc $2/a otrunc $2/a ftrunc $2/a chmod $2/a fchmod $2/a chown $2/a
		lchown $2/a fchown $2/a fchownat_empty $2/a utimes $2/a futimens $2/a
		setxattr $2/a lsetxattr $2/a fsetxattr $2/a removexattr $2/a setacl $2/a
		removeacl $2/a setflags $2/a mkdir $2/d rmdir $2/d mkfifo $2/f ln $2/a:$2/h mv $2/a:$2/b unlink $2/b"
	mark_audit
	# shellcheck disable=SC2086
	ctl run "$1" --yes -- $ops > "$RAGGED_T/$3.out" 2>&1
	new_audit > "$RAGGED_T/$3.rec"
	# (a file system without user xattrs or inode flags says so: not a refusal)
	bad=$(grep -- '->' "$RAGGED_T/$3.out" | grep -v -- '-> ok$' |
		grep -Ev '^setflags .* -> (ENOTTY|EOPNOTSUPP)$' |
		{ if [ "$FS_XATTR" = 1 ]; then cat; else
			grep -Ev '^(setxattr|lsetxattr|fsetxattr|removexattr|setacl|removeacl) .* -> EOPNOTSUPP$'; fi })
	n=$(grep -c -- '-> ok$' "$RAGGED_T/$3.out")
	if [ -z "$bad" ] && [ "$n" -ge 18 ]; then pass "$n operations succeed in $2"; else
		fail "operations refused in $2:"; echo "$bad" | sed 's/^/    | /'; fi
	no_line "$RAGGED_T/$3.rec" '"event":"permission_violation"' "no permission_violation record"
}

t_fs_scratch_allowed() {
	fs_setup || return
	fs_allowed escfs @S fsscratch
}

t_fs_write_tree_allowed() {
	fs_setup || return
	rm -rf "${FS_W:?}"/*
	fs_allowed escfsw "$FS_W" fswrite
	ctl run escfsw --yes -- symlink2 "$FS_W/l" > "$RAGGED_T/fswrite.out" 2>&1
	expect_line "$RAGGED_T/fswrite.out" "^symlink2 $FS_W/l -> ok\$" "a symlink in the write tree"
	left=$(ls -A "$FS_W" | sort | tr '\n' ' ')
	if [ "$left" = "f h l " ] && [ -p "$FS_W/f" ]; then
		pass "the write tree holds what the plugin made (f h l)"
	else fail "write tree holds '$left', want 'f h l '"; fi
	# The kernel's own setattr on a write (setuid/setgid dropped) is not the
	# plugin changing a mode: writing its granted file must work.
	echo data > "$FS_W/suid.bin"; chown 65534:65534 "$FS_W/suid.bin"; chmod 6775 "$FS_W/suid.bin"
	mark_audit
	ctl run escfsw --yes -- write "$FS_W/suid.bin" > "$RAGGED_T/fswrite.out" 2>&1
	new_audit > "$RAGGED_T/fswrite.rec"
	expect_line "$RAGGED_T/fswrite.out" "^write $FS_W/suid.bin -> ok\$" "writing a setuid/setgid file works"
	m=$(stat -c %a "$FS_W/suid.bin")
	[ "$m" = 775 ] && pass "the kernel dropped setuid/setgid (6775 -> $m)" || fail "mode $m after the write, want 775"
	no_line "$RAGGED_T/fswrite.rec" '"event":"permission_violation"' "no permission_violation record"
	rm -f "$FS_W/suid.bin"
}

# bpf-lsm mode records a granted open at most once a second per run, file
# and access mode (the run's per-CPU entries in front of the file_seen
# map); every open is still counted. Repeated opens in one run: one record
# for each file and mode, none for the repeats.
t_fs_granted_recorded_once() {
	fs_setup || return
	if [ "$(mode)" != bpf-lsm ]; then
		skip "landlock mode records no granted opens (Landlock reports only refusals)"; return
	fi
	a="$FS_W/once-a.txt" b="$FS_W/once-b.txt"
	echo a > "$a"; echo b > "$b"; chown 65534:65534 "$a" "$b"
	mark_audit
	ctl run escfsw --yes -- read "$a" read "$a" read "$b" read "$a" write "$a" read "$a" write "$a" \
		read "$b" > "$RAGGED_T/fsonce.out" 2>&1
	new_audit > "$RAGGED_T/fsonce.rec"
	n=$(grep -c -- '-> ok$' "$RAGGED_T/fsonce.out")
	[ "$n" -eq 8 ] && pass "eight granted opens succeed" || fail "$n of 8 opens succeeded: $(cat "$RAGGED_T/fsonce.out")"
	for want in "$a read 1" "$a write 1" "$b read 1"; do
		# shellcheck disable=SC2086  # three words
		set -- $want
		n=$(grep '"event":"file_access"' "$RAGGED_T/fsonce.rec" | grep -F "\"path\":\"$1\"" | grep -c "\"mode\":\"$2\"")
		[ "$n" -eq "$3" ] && pass "$(basename "$1") $2: $n record for its opens in the run" ||
			fail "$(basename "$1") $2: $n file_access records, want $3"
	done
	line=$(grep '"event":"plugin_executed".*"plugin":"escfsw"' "$RAGGED_T/fsonce.rec" | tail -1)
	allowed=$(echo "$line" | sed -n 's/.*"kernel_allowed":\([0-9]*\).*/\1/p')
	[ -n "$allowed" ] && [ "$allowed" -ge 8 ] && pass "every open counted ($allowed allowed decisions)" ||
		fail "kernel_allowed ${allowed:-missing}, want at least 8"
	rm -f "$a" "$b"
}

# Each refusal above was counted and logged exactly once, in every run.
t_fs_counted_once() {
	fs_setup || return
	n=0
	grep -E '"event":"plugin_(executed|failed)".*"plugin":"escfsw?"' "$RAGGED_T/log/audit.jsonl" |
		sed -n 's/.*"kernel_audited":\([0-9]*\),"records_logged":\([0-9]*\),"records_suppressed":\([0-9]*\),"records_lost":\([0-9]*\).*/\1 \2 \3 \4/p' \
		> "$RAGGED_T/fs.counts"
	while read -r k l s o; do
		n=$((n + 1))
		[ "$k" -eq $((l + s + o)) ] || { fail "run $n: kernel $k != logged $l + suppressed $s + lost $o"; return; }
		[ "$s" -eq 0 ] && [ "$o" -eq 0 ] || { fail "run $n: $s suppressed, $o lost: a record the tests need is missing"; return; }
	done < "$RAGGED_T/fs.counts"
	[ "$n" -gt 0 ] && pass "$n runs: every kernel decision logged once" || fail "no run records"
}
