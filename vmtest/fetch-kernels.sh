#!/bin/bash
# vmtest/fetch-kernels.sh [--refresh] [--kernels "6.1 6.12"] [DESTDIR]
#
# Downloads the Debian cloud kernels the VM tests boot, into a git-ignored
# cache (default vmtest/.cache).  Idempotent: if the index already lists a
# kernel for every suite group and the files exist, nothing is fetched
# (no network).  --refresh (or VMTEST_REFRESH=1) re-resolves the newest
# package per suite and downloads only what changed.
#
# Why a private apt configuration: the system's apt sources must never be
# edited, and the suites we need (bookworm-backports, trixie-backports) are
# not configured on the host.  Every apt call gets its own source list, lists
# dir, cache dir, empty dpkg status and empty preferences, so nothing on the
# host is read for package state or written.
#
# Why the mirror is discovered at run time: no registry host name is written
# into the tree; we reuse whatever Debian mirror the host's apt uses (deb822
# *.sources and one-line *.list / sources.list), the security archive being
# the URI ending in "-security".  Override with VMTEST_DEBIAN_MIRROR /
# VMTEST_SECURITY_MIRROR if the host has no Debian sources.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
refresh=${VMTEST_REFRESH:-0}
want=${KERNELS:-}
dest=
while [ $# -gt 0 ]; do
    case $1 in
    --refresh) refresh=1 ;;
    --kernels) want=$2; shift ;;
    --kernels=*) want=${1#*=} ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "fetch-kernels: unknown option $1" >&2; exit 2 ;;
    *) dest=$1 ;;
    esac
    shift
done
dest=${dest:-${VMTEST_CACHE:-$here/.cache}}
want=$(echo "$want" | tr ',' ' ')
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
index=$dest/kernels.idx

# Suite groups: name | suites on the main archive | suites on the security
# archive | apt-cache regex (POSIX ERE) for the package holding
# /boot/vmlinuz-*.  The group name is the stable key; the short name
# (major.minor) is derived from what the group resolves to, so trixie's
# "7.3" becomes "7.4" by itself later.
# - bookworm is pinned to its 6.1 series: bookworm(-security) now also carries
#   6.12 kernels, but 6.1 is the oldest kernel we support and must stay tested.
# - a full version (x.y.z) is required, which skips meta packages such as
#   linux-image-6.12-cloud-amd64; the $ anchor skips -dbg and -unsigned.
# - trixie-backports: linux-image-* is a meta package there, the image is in
#   linux-binary-<ver>-cloud-amd64 (linux-binary-unsigned-* is skipped by
#   requiring a digit right after the prefix).
GROUPS_SPEC='bookworm|bookworm|bookworm-security|^linux-image-6[.]1[.][0-9]+-[0-9]+-cloud-amd64$
bookworm-backports|bookworm-backports||^linux-image-[0-9]+[.][0-9]+[.][0-9]+[^ ]*-cloud-amd64$
trixie-backports|trixie-backports||^linux-binary-[0-9]+[.][0-9]+[.][0-9]+[^ ]*-cloud-amd64$'

# Modules the tests load in the guest (paths under lib/modules/<rel>/kernel,
# without .ko): the cloud kernels build overlayfs as a module, and
# t_overlay.sh needs it. They are kept decompressed (Debian compresses
# modules on newer kernels; busybox insmod reads plain .ko files) in
# kernels/<short>/modules/; run.sh puts them in the initramfs under
# /lib/modules/<rel>/ and guest-init.sh loads them.
MODULES='fs/overlayfs/overlay'

# have_modules KDIR: every module of $MODULES kept for that kernel
have_modules() {
    local m
    for m in $MODULES; do
        [ -s "$dest/$1/modules/$(basename "$m").ko" ] || return 1
    done
}

# keep_modules TREE KDIR: copy $MODULES for $krel out of an extracted
# package (in $dl/x); the split packaging of newer kernels (trixie-backports)
# has them in linux-modules-<rel>, fetched then into $dl/m.
keep_modules() {
    local m f base
    mkdir -p "$dest/$2/modules"
    if [ -z "$(find "$1" -path "*/modules/$krel/kernel/*" -print -quit)" ]; then
        mkdir -p "$dl/m"
        # shellcheck disable=SC2086
        if (cd "$dl" && apt-get $opts -qq download "linux-modules-$krel=$ver" </dev/null); then
            dpkg-deb -x "$dl"/linux-modules-*.deb "$dl/m"
        fi
        set -- "$dl/m" "$2"
    fi
    for m in $MODULES; do
        base=$(basename "$m")
        f=$(find "$1" -path "*/modules/$krel/kernel/$m.ko*" | head -n1)
        if [ -z "$f" ]; then
            echo "fetch-kernels: [$group] note: no $m module for $krel in $pkg" >&2
            continue
        fi
        case $f in
        *.ko) cp "$f" "$dest/$2/modules/$base.ko" ;;
        *.ko.xz) xz -dc "$f" > "$dest/$2/modules/$base.ko" ;;
        *.ko.zst) zstd -qdc "$f" > "$dest/$2/modules/$base.ko" ;;
        *.ko.gz) gzip -dc "$f" > "$dest/$2/modules/$base.ko" ;;
        *) echo "fetch-kernels: [$group] note: $f: unknown compression" >&2 ;;
        esac
    done
}

# --- idempotency: everything requested already present? -------------------
have_all() {
    [ -f "$index" ] || return 1
    local g short rel
    for g in $(echo "$GROUPS_SPEC" | cut -d'|' -f1); do
        # index columns: short vmlinuz release package version group
        line=$(awk -F'\t' -v g="$g" '$6 == g' "$index")
        [ -n "$line" ] || return 1
        short=$(echo "$line" | cut -f1); rel=$(echo "$line" | cut -f2)
        if [ -n "$want" ]; then
            case " $want " in *" $short "*) ;; *) continue ;; esac
        fi
        [ -s "$dest/$rel" ] || return 1
        have_modules "$(dirname "$rel")" || return 1
    done
}
if [ "$refresh" != 1 ] && have_all; then
    echo "fetch-kernels: kernels already in $dest (use --refresh to re-resolve)"
    grep -v '^#' "$index" | cut -f1,3 | sed 's/^/  /'
    exit 0
fi

# --- discover the host's Debian mirror URIs -------------------------------
# Prints "URI SUITE..." for every enabled deb source, both file formats.
host_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() { if (deb && en && uris != "") print uris "\t" suites "\t" key;
                               deb = 0; en = 1; uris = suites = key = "" }
            BEGIN { en = 1 }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            tolower($1) == "types:"   { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
            tolower($1) == "enabled:" { if (tolower($2) == "no") en = 0 }
            tolower($1) == "uris:"    { $1 = ""; uris = $0 }
            tolower($1) == "suites:"  { $1 = ""; suites = $0 }
            tolower($1) == "signed-by:" { if ($2 ~ /^\//) key = $2 }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        # deb [opt=val ...] URI SUITE COMPONENTS...
        sed -n 's/^[ \t]*deb[ \t]\+//p' "$f" | while read -r line; do
            key=
            case $line in
            \[*) key=$(echo "${line%%]*}" | sed -n 's/.*signed-by=\([^ ]*\).*/\1/p')
                 line=${line#*]} ;;
            esac
            # shellcheck disable=SC2086
            set -- $line
            printf '%s\t%s\t%s\n' "$1" "$2" "$key"
        done
    done
}
# shellcheck disable=SC1091
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
srcs=$(host_sources)
# Prints "URI<TAB>keyring" of the first source matching $1:
#   main     = not ending in -security, carries the host codename or -updates
#   security = URI ending in -security
pick_uri() {
    echo "$srcs" | awk -F'\t' -v want="$1" -v cn="$codename" '{
        n = split($1, us, " "); s = " " $2 " "
        for (i = 1; i <= n; i++) {
            u = us[i]; sub(/\/+$/, "", u)
            sec = (u ~ /-security$/)
            if (want == "security") ok = sec
            else ok = !sec && (index(s, " " cn " ") || index(s, " " cn "-updates "))
            if (ok) { print u "\t" $3; exit }
        } }'
}
main=$(pick_uri main)
sec=$(pick_uri security)
main_uri=${VMTEST_DEBIAN_MIRROR:-$(echo "$main" | cut -f1)}
sec_uri=${VMTEST_SECURITY_MIRROR:-$(echo "$sec" | cut -f1)}
keyring=$(echo "$main" | cut -f2)
[ -n "$keyring" ] && [ -f "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -z "$main_uri" ]; then
    echo "fetch-kernels: no Debian archive found in the host's apt sources;" >&2
    echo "  set VMTEST_DEBIAN_MIRROR (and VMTEST_SECURITY_MIRROR)" >&2
    exit 1
fi
[ -f "$keyring" ] || { echo "fetch-kernels: keyring $keyring missing (debian-archive-keyring)" >&2; exit 1; }
echo "fetch-kernels: mirror $main_uri${sec_uri:+, security $sec_uri}, keyring $keyring"

# --- private apt -----------------------------------------------------------
# One private apt root per group, so "newest" means newest in that group's
# suites only (bookworm-backports must not win over bookworm for 6.1).
apt_opts() { # $1 = private apt dir
    local a=$1
    echo "-o Dir::Etc::SourceList=$a/sources.list -o Dir::Etc::SourceParts=$a/empty.d
          -o Dir::State::Lists=$a/lists -o Dir::Cache=$a/cache
          -o Dir::State::status=$a/status -o Dir::Etc::Preferences=$a/empty.pref
          -o Dir::Etc::PreferencesParts=$a/empty.d -o APT::Architectures=amd64
          -o APT::Architecture=amd64 -o Acquire::Languages=none
          -o APT::Update::Post-Invoke-Success::=true -o APT::Update::Post-Invoke::=true"
}

newest() { # $1 = opts, $2 = regex: prints "package version" of the newest
    local opts=$1 pkgs
    # shellcheck disable=SC2086
    pkgs=$(apt-cache $opts search --names-only "$2" | awk '{print $1}')
    [ -n "$pkgs" ] || return 1
    # shellcheck disable=SC2086
    apt-cache $opts show --no-all-versions $pkgs |
        awk '/^Package:/ {p = $2} /^Version:/ {print p, $2}' |
        while read -r p v; do
            if [ -z "${best:-}" ] || dpkg --compare-versions "$v" gt "$bestv"; then
                best=$p; bestv=$v
            fi
            echo "$best $bestv"
        done | tail -n1
}

# bookworm packages install /boot/vmlinuz-<rel> and /boot/config-<rel>; the
# trixie-backports split packages use /usr/lib/modules/<rel>/vmlinuz and ship
# the config in linux-base-<rel>.
find_in() { # $1 = extracted tree, $2 = name (vmlinuz|config); uses $krel
    local f
    for f in "$1/boot/$2-$krel" "$1/usr/lib/modules/$krel/$2" "$1/lib/modules/$krel/$2"; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}

tmpidx=$(mktemp "$dest/kernels.idx.XXXXXX")
dl=
trap 'rm -rf "$tmpidx" "$tmpidx.n" "$index.new" ${dl:+"$dl"}' EXIT
write_index() {
    {
        echo "# short<TAB>vmlinuz (relative to this dir)<TAB>kernel release<TAB>package<TAB>version<TAB>suite group"
        sort -t. -k1,1n -k2,2n "$tmpidx"
    } > "$index.new" && mv "$index.new" "$index"
}
# keep entries of groups we do not touch this time
if [ -f "$index" ]; then grep -v '^#' "$index" > "$tmpidx" || true; fi

# fd 3 carries the group list so apt/dpkg cannot eat it from stdin
while IFS='|' read -r -u 3 group msuites ssuites regex; do
    a=$dest/apt/$group
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/empty.d"
    : > "$a/status"; : > "$a/empty.pref"
    {
        for s in $msuites; do echo "deb [signed-by=$keyring] $main_uri $s main"; done
        if [ -n "$ssuites" ]; then
            if [ -n "$sec_uri" ]; then
                for s in $ssuites; do echo "deb [signed-by=$keyring] $sec_uri $s main"; done
            else
                echo "fetch-kernels: warning: no security archive in host sources" >&2
            fi
        fi
    } > "$a/sources.list"
    opts=$(apt_opts "$a")
    echo "fetch-kernels: [$group] apt-get update"
    # shellcheck disable=SC2086
    apt-get $opts -qq update </dev/null
    read -r pkg ver < <(newest "$opts" "$regex") || {
        echo "fetch-kernels: [$group] no package matches $regex" >&2; exit 1; }
    # kernel release (uname -r) is the package name minus prefix
    krel=${pkg#linux-image-}; krel=${krel#linux-binary-}
    short=$(echo "$krel" | sed -n 's/^\([0-9]\+\.[0-9]\+\).*/\1/p')
    if [ -n "$want" ]; then
        case " $want " in *" $short "*) ;; *) echo "fetch-kernels: [$group] $short not requested, skipped"; continue ;; esac
    fi
    kdir=kernels/$short
    rel=$kdir/vmlinuz-$krel
    if [ -s "$dest/$rel" ] && grep -q "	$pkg	$ver	$group\$" "$tmpidx"; then
        if have_modules "$kdir"; then
            echo "fetch-kernels: [$group] $short = $pkg $ver (present)"
            continue
        fi
        # a cache from before a module was added to $MODULES
        echo "fetch-kernels: [$group] $short = $pkg $ver, downloading for its modules"
        dl=$(mktemp -d "$dest/dl.XXXXXX")
        if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
        # shellcheck disable=SC2086
        (cd "$dl" && apt-get $opts -qq download "$pkg=$ver" </dev/null)
        mkdir "$dl/x"
        dpkg-deb -x "$dl"/*.deb "$dl/x"
        keep_modules "$dl/x" "$kdir"
        rm -rf "$dl"; dl=
        continue
    fi
    echo "fetch-kernels: [$group] $short = $pkg $ver, downloading"
    dl=$(mktemp -d "$dest/dl.XXXXXX")
    # apt drops privileges to _apt for the download when run as root
    if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
    # shellcheck disable=SC2086
    (cd "$dl" && apt-get $opts -qq download "$pkg=$ver")
    mkdir "$dl/x"
    dpkg-deb -x "$dl"/*.deb "$dl/x"
    img=$(find_in "$dl/x" vmlinuz) || {
        echo "fetch-kernels: [$group] $pkg contains no vmlinuz for $krel" >&2; exit 1; }
    # a group that moved on (7.3 -> 7.4) leaves no stale kernel behind
    old=$(awk -F'\t' -v g="$group" '$6 == g {print $2}' "$tmpidx")
    [ -n "$old" ] && rm -rf "${dest:?}/$(dirname "$old")"
    rm -rf "${dest:?}/$kdir"; mkdir -p "$dest/$kdir"
    mv "$img" "$dest/$rel"
    # the config is kept for reference (CONFIG_LSM, BPF options, ...)
    cfg=
    cfg=$(find_in "$dl/x" config) || {
        mkdir "$dl/y"
        # shellcheck disable=SC2086
        (cd "$dl" && apt-get $opts -qq download "linux-base-$krel" </dev/null) &&
            dpkg-deb -x "$dl"/linux-base-*.deb "$dl/y" && cfg=$(find_in "$dl/y" config)
    } || true
    if [ -n "${cfg:-}" ]; then mv "$cfg" "$dest/$kdir/config-$krel"
    else echo "fetch-kernels: [$group] note: no config for $krel" >&2; fi
    keep_modules "$dl/x" "$kdir"
    rm -rf "$dl"; dl=
    # replace this group's line
    grep -v "	$group\$" "$tmpidx" > "$tmpidx.n" || true
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$short" "$rel" "$krel" "$pkg" "$ver" "$group" >> "$tmpidx.n"
    mv "$tmpidx.n" "$tmpidx"
    write_index   # after every kernel, so a later failure keeps this one
done 3<<<"$GROUPS_SPEC"
echo "fetch-kernels: index $index"
grep -v '^#' "$index" | cut -f1,3 | sed 's/^/  /'
