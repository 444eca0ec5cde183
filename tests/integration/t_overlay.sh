# shellcheck shell=sh
# Granted files on overlayfs (how containers and live systems are built):
# the documents dir and a plugin dir are overlay mounts (a lower dir, upper
# and work dirs on a tmpfs of their own), and plugins use them through the
# overlay path while the same files through the layers' own paths stay
# refused. One lower layer of the documents overlay is itself an overlay
# (as a container's overlay root under an overlay of documents would be).
# In bpf-lsm mode file_open runs twice per open there, once for
# the overlay file and once for overlayfs's own open of the layer's file
# (bpf/pathwalk.bpf.h); in landlock mode Landlock sees the overlay only.
#
# One batch of three plugin runs (a run costs seconds under the vmtest TCG
# emulator) with the overlays mounted on $RAGGED_T/docs and on a plugin dir
# for its duration; each test checks its part. Nothing stays mounted.

OVL_READY="" OVL_WHY="" OVL_MODE=""
OVL=""			# the layers: $OVL/lower, $OVL/plower, $OVL/rw (tmpfs: upper, work)
OVL_D=""		# the documents dir, an overlay during the batch
OVL_P=""		# the plugin dir of ovlexec, an overlay during the batch

# ovl_mount LOWER UPPER WORK TARGET
ovl_mount() {
	mkdir -p "$2" "$3" && mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
}

ovl_umount_all() {
	for m in "$OVL_P" "$OVL_D" "$OVL/nest" "$OVL/rw"; do
		[ -n "$m" ] || continue
		if awk -v m="$m" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo; then
			umount "$m" || OVL_WHY="$OVL_WHY; umount $m failed"
		fi
	done
}

# ovl_run NAME OUT OPS...: run a plugin, its output and new audit records.
ovl_run() {
	_n=$1 _o=$2; shift 2
	mark_audit
	ctl run "$_n" --yes -- "$@" > "$RAGGED_T/$_o.out" 2>&1
	echo "rc $?" >> "$RAGGED_T/$_o.out"
	new_audit > "$RAGGED_T/$_o.rec"
}

ovl_batch() {
	[ -n "$OVL_READY" ] && return 0
	OVL_READY=1
	OVL_MODE=$(mode)
	if ! grep -qw overlay /proc/filesystems; then
		modprobe overlay 2> /dev/null
		grep -qw overlay /proc/filesystems || { OVL_WHY="no overlay file system in this kernel"; return 1; }
	fi
	OVL="$RAGGED_T/ovl"
	OVL_D="$RAGGED_T/docs"
	OVL_P="$RAGGED_T/plugins/ovlexec"
	mkdir -p "$OVL/lower" "$OVL/plower" "$OVL/rw" "$OVL_D"
	echo "lower" > "$OVL/lower/lower.txt"; chmod 666 "$OVL/lower/lower.txt"
	chmod 755 "$OVL" "$OVL/lower" "$OVL/plower"
	mount -t tmpfs -o mode=755 tmpfs "$OVL/rw" || { OVL_WHY="mount a tmpfs for the upper layers"; return 1; }
	mkdir -p "$OVL/rw/upper"
	echo "upper" > "$OVL/rw/upper/upper.txt"; chmod 644 "$OVL/rw/upper/upper.txt"
	chown 65534:65534 "$OVL/rw/upper"	# the plugin's user may create files in the overlay
	# A second lower layer that is itself an overlay (as a container's
	# overlay root under an overlay of documents would be).
	mkdir -p "$OVL/nest0" "$OVL/nest"
	echo "nested" > "$OVL/nest0/nested.txt"; chmod 666 "$OVL/nest0/nested.txt"
	chmod 755 "$OVL/nest0"
	ovl_mount "$OVL/nest0" "$OVL/rw/nupper" "$OVL/rw/nwork" "$OVL/nest" ||
		{ OVL_WHY="mount the nested overlay"; ovl_umount_all; return 1; }
	if ! ovl_mount "$OVL/lower:$OVL/nest" "$OVL/rw/upper" "$OVL/rw/work" "$OVL_D"; then
		OVL_WHY="mount -t overlay refused"; ovl_umount_all; return 1
	fi
	# The plugin dir: its files also lie under the mount point, so the
	# plugin stays installable and runnable after the overlay is gone.
	d=$(make_plugin ovlexec)
	cp -p "$d/probe" "$d/plugin.toml" "$OVL/plower/"
	ovl_mount "$OVL/plower" "$OVL/rw/pupper" "$OVL/rw/pwork" "$OVL_P" ||
		{ OVL_WHY="mount the plugin dir overlay"; ovl_umount_all; return 1; }
	for p in ovlread:read ovlwrite:write; do
		dp=$(make_plugin "${p%%:*}" '[permissions]' "required = [\"${p#*:}:documents\"]")
		ctl plugin install --accept-risk "$dp" > /dev/null || OVL_WHY="$OVL_WHY; install ${p%%:*}"
	done
	ctl plugin install --accept-risk "$OVL_P" > /dev/null || OVL_WHY="$OVL_WHY; install ovlexec from the overlay"

	ovl_run ovlread ovl-read read "$OVL_D/lower.txt" read "$OVL_D/upper.txt" list "$OVL_D" \
		read "$OVL_D/nested.txt" read "$OVL/nest/nested.txt" \
		read "$OVL/lower/lower.txt" read "$OVL/rw/upper/upper.txt" write "$OVL_D/lower.txt"
	[ -e "$OVL/rw/upper/lower.txt" ] && echo "copied-up" >> "$RAGGED_T/ovl-read.out"
	ovl_run ovlwrite ovl-write write "$OVL_D/lower.txt" write "$OVL_D/nested.txt" write "$OVL_D/new.txt" \
		read "$OVL_D/new.txt" list "$OVL_D" write "$OVL/rw/upper/sneak.txt" \
		mprotect_exec "$OVL_D/lower.txt"
	# The layers as they are now (the tmpfs with the upper dir goes below).
	{
		echo "upper lower.txt: $(cat "$OVL/rw/upper/lower.txt" 2>&1)"
		echo "lower lower.txt: $(cat "$OVL/lower/lower.txt" 2>&1)"
		echo "upper nested.txt: $(cat "$OVL/rw/upper/nested.txt" 2>&1)"
		echo "nested lower nested.txt: $(cat "$OVL/nest0/nested.txt" 2>&1)"
		[ -s "$OVL/rw/upper/new.txt" ] && echo "upper new.txt"
		[ -s "$OVL/rw/upper/sneak.txt" ] && echo "upper sneak.txt has data"
	} >> "$RAGGED_T/ovl-write.out"
	ovl_run ovlexec ovl-exec mmap_exec "$OVL_P/probe" mprotect_exec "$OVL_P/probe" \
		read "$OVL_P/plugin.toml"
	ovl_umount_all
	[ -z "$OVL_WHY" ]
}

# ovl_ready: the batch ran (else fail or skip with the reason, once per test).
ovl_ready() {
	ovl_batch && return 0
	case $OVL_WHY in
	"no overlay"*)
		# bpf-lsm tests never skip in the VM: the guest loads the module.
		if [ "${RAGGED_IN_VM:-0}" = 1 ]; then fail "$OVL_WHY"; else skip "$OVL_WHY"; fi ;;
	*) fail "overlay setup:${OVL_WHY#;}" ;;
	esac
	return 1
}

# ovl_records FILE EVENT N PATTERN DESC: N records of EVENT in FILE match PATTERN.
ovl_records() {
	n=$(grep "\"event\":\"$2\"" "$RAGGED_T/$1.rec" | grep -Ec -- "$4")
	if [ "$n" -eq "$3" ]; then pass "$5"; else
		fail "$5: want $3 $2 records matching '$4', have $n"
		grep '"event":"permission_violation\|sandbox_escape_attempt"' "$RAGGED_T/$1.rec" |
			head -5 | sed 's/^/    | /'
	fi
}

t_overlay_read_documents() {
	ovl_ready || return
	f="$RAGGED_T/ovl-read.out"
	expect_line "$f" "^read $OVL_D/lower.txt -> ok\$" "a lower file through the overlay"
	expect_line "$f" "^read $OVL_D/upper.txt -> ok\$" "an upper file through the overlay"
	expect_line "$f" "^list $OVL_D -> ok\$" "the merged documents dir lists"
	expect_line "$f" "^entry lower.txt\$" "the listing shows the lower file"
	expect_line "$f" "^entry upper.txt\$" "the listing shows the upper file"
	expect_line "$f" "^entry nested.txt\$" "the listing shows the file of the nested lower layer"
	expect_line "$f" "^read $OVL_D/nested.txt -> ok\$" "a file of a lower layer that is itself an overlay"
	# bpf-lsm mode records granted opens (once a second per file and mode).
	[ "$OVL_MODE" = bpf-lsm ] && ovl_records ovl-read file_access 1 "\"path\":\"$OVL_D/lower.txt\"" \
		"the lower file's read is recorded once, at its overlay path"
}

# A refused write: in landlock mode the run's read-only mount view answers
# before Landlock (EROFS, recorded by the denial monitor); in bpf-lsm mode
# file_open refuses it (EACCES).
ovl_write_refusal() { if [ "$(mode)" = landlock ]; then echo EROFS; else echo EACCES; fi; }

# The layers' own paths are outside every rule, whatever the overlay grants.
t_overlay_layer_paths_refused() {
	ovl_ready || return
	f="$RAGGED_T/ovl-read.out"
	expect_line "$f" "^read $OVL/lower/lower.txt -> EACCES\$" "the lower file by its real path"
	expect_line "$f" "^read $OVL/rw/upper/upper.txt -> EACCES\$" "the upper file by its real path"
	expect_line "$f" "^read $OVL/nest/nested.txt -> EACCES\$" "the nested layer's file by its path on that overlay"
	ovl_records ovl-read permission_violation 1 "\"path\":\"$OVL/nest/nested.txt\"" "one record for that path"
	ovl_records ovl-read permission_violation 1 "\"path\":\"$OVL/lower/lower.txt\"" "one record for the lower path"
	ovl_records ovl-read permission_violation 1 "\"path\":\"$OVL/rw/upper/upper.txt\"" "one record for the upper path"
	f="$RAGGED_T/ovl-write.out"
	expect_line "$f" "^write $OVL/rw/upper/sneak.txt -> $(ovl_write_refusal)\$" "a new file in the upper dir by its real path"
	ovl_records ovl-write permission_violation 1 "\"path\":\"$OVL/rw/upper/sneak.txt\"" "one record for it"
}

# read:documents on an overlay does not write, and no copy-up happens.
t_overlay_read_only() {
	ovl_ready || return
	f="$RAGGED_T/ovl-read.out"
	expect_line "$f" "^write $OVL_D/lower.txt -> $(ovl_write_refusal)\$" "writing a lower file under read:documents"
	no_line "$f" "^copied-up\$" "the refused write copied nothing up"
	ovl_records ovl-read permission_violation 1 "\"path\":\"$OVL_D/lower.txt\"" "one record, at the overlay path"
	ovl_records ovl-read permission_violation 4 "" "no other refusal in the run"
}

t_overlay_write_documents() {
	ovl_ready || return
	f="$RAGGED_T/ovl-write.out"
	expect_line "$f" "^write $OVL_D/lower.txt -> ok\$" "writing a lower file (copy-up)"
	expect_line "$f" "^write $OVL_D/new.txt -> ok\$" "creating a file in the overlay"
	expect_line "$f" "^read $OVL_D/new.txt -> ok\$" "reading it back"
	expect_line "$f" "^list $OVL_D -> ok\$" "the merged dir lists after the copy-up"
	expect_line "$f" "^upper lower.txt: xower\$" "the write went to the upper copy"
	expect_line "$f" "^lower lower.txt: lower\$" "the lower file is unchanged"
	expect_line "$f" "^write $OVL_D/nested.txt -> ok\$" "writing a file of the nested lower layer (copy-up from an overlay)"
	expect_line "$f" "^upper nested.txt: xested\$" "its copy went to the upper dir"
	expect_line "$f" "^nested lower nested.txt: nested\$" "the nested layer is unchanged"
	expect_line "$f" "^upper new.txt\$" "the new file is in the upper dir"
	# (An O_CREAT open refused by file_open may leave an empty file behind:
	# creation comes before the open. Not a matter of overlays.)
	no_line "$f" "^upper sneak.txt has data\$" "no data reached the upper dir by its real path"
	if [ "$OVL_MODE" = bpf-lsm ]; then
		# A mapping of an overlay file holds the layer's (backing) file:
		# mprotect is decided at the overlay path, where documents grant no exec.
		expect_line "$f" "^mprotect_exec $OVL_D/lower.txt -> EPERM\$" "no executable mapping of a document"
		ovl_records ovl-write sandbox_escape_attempt 1 "\"hook\":\"file_mprotect\".*\"path\":\"$OVL_D/lower.txt\"" \
			"one record, at the overlay path"
	fi
}

# A plugin installed from an overlay: exec, executable mappings, its files.
t_overlay_plugin_dir() {
	ovl_ready || return
	f="$RAGGED_T/ovl-exec.out"
	expect_line "$f" "^mmap_exec $OVL_P/probe -> ok\$" "the plugin ran from the overlay and maps its binary executable"
	expect_line "$f" "^mprotect_exec $OVL_P/probe -> ok\$" "mprotect(PROT_EXEC) of that mapping"
	expect_line "$f" "^read $OVL_P/plugin.toml -> ok\$" "it reads its own files"
	expect_line "$f" "^rc 0\$" "the run exits 0"
	ovl_records ovl-exec permission_violation 0 "" "no refusal"
	ovl_records ovl-exec sandbox_escape_attempt 0 "" "no escape record"
}
