# shellcheck shell=bash
# Debian's kernels for the deployment tests, fetched with `apt-get download`
# and unpacked with `dpkg-deb -x` (never installed), then `depmod -b` for
# the modules.dep that Debian makes only at install time. Source after
# lib.sh. The kernels tested:
#
#   5.10  the oldest the README claims: Debian 11's linux-image-amd64, read
#         through an apt configuration of its own (sources, lists and cache
#         under $DEP_CACHE/apt-bullseye), the system's sources untouched
#   6.1   Debian 12's linux-image-amd64
#   6.12  Debian 12's linux-image-6.12-amd64 (the current stable series)
#
# kernel_dir LABEL prints the directory holding boot/vmlinuz-VER and
# lib/modules/VER; each kernel is fetched once and kept in $DEP_CACHE.

DEP_KERNELS=(5.10 6.1 6.12)

bullseye_apt_opts() {
	local a=$DEP_CACHE/apt-bullseye
	echo "-o Dir::Etc::SourceList=$a/sources.list -o Dir::Etc::SourceParts=/dev/null" \
		"-o Dir::State::Lists=$a/lists -o Dir::Cache=$a/cache" \
		"-o Acquire::Check-Valid-Until=false -o Debug::NoLocking=1"
}

bullseye_apt_setup() {
	local a=$DEP_CACHE/apt-bullseye kr=/usr/share/keyrings/debian-archive-keyring.gpg
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
	cat >"$a/sources.list" <<-EOF
		deb [signed-by=$kr] http://deb.debian.org/debian bullseye main
		deb [signed-by=$kr] http://deb.debian.org/debian-security bullseye-security main
	EOF
	# shellcheck disable=SC2046 # the options are words
	if [ -z "$(find "$a/lists" -name '*bullseye*Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
		apt-get $(bullseye_apt_opts) update -qq >"$a/update.log" 2>&1 || return 1
	fi
}

# kernel_package LABEL: the versioned linux-image package behind the
# label's meta-package ("" if apt cannot tell).
kernel_package() {
	local opts="" meta=linux-image-amd64
	case $1 in
	5.10) bullseye_apt_setup || return 0; opts=$(bullseye_apt_opts) ;;
	6.12) meta=linux-image-6.12-amd64 ;;
	esac
	# shellcheck disable=SC2086
	apt-cache $opts depends "$meta" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

kernel_fetch() {
	local label=$1 pkg=$2 dir=$3 opts="" tmp
	[ "$label" = 5.10 ] && opts=$(bullseye_apt_opts)
	tmp=$(mktemp -d "$DEP_CACHE/fetch.XXXXXX")
	# shellcheck disable=SC2086
	(cd "$tmp" && apt-get $opts download -qq "$pkg" >/dev/null 2>"$tmp/err") ||
		{ echo "apt-get download $pkg: $(grep -v '^W:' "$tmp/err" | tail -n1)"; rm -rf "$tmp"; return 1; }
	mkdir -p "$tmp/root"
	dpkg-deb -x "$tmp"/*.deb "$tmp/root"
	local ver
	ver=$(ls "$tmp/root/lib/modules")
	depmod -b "$tmp/root" "$ver"
	rm -f "$tmp"/*.deb
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
}

# kernel_dir LABEL: fetches the kernel if needed; prints its directory.
# Without apt (offline), the last one fetched for LABEL is used.
kernel_dir() {
	local label=$1 pkg dir
	mkdir -p "$DEP_CACHE/kernels"
	pkg=$(kernel_package "$label")
	if [ -z "$pkg" ] && [ -s "$DEP_CACHE/kernels/$label.pkg" ]; then
		pkg=$(cat "$DEP_CACHE/kernels/$label.pkg")
	fi
	[ -n "$pkg" ] || { echo "no linux-image package found for $label"; return 1; }
	dir=$DEP_CACHE/kernels/$pkg
	if [ ! -e "$dir/lib/modules" ]; then
		kernel_fetch "$label" "$pkg" "$dir" || return 1
		# the previous kernel of this label is not needed any more
		if [ -s "$DEP_CACHE/kernels/$label.pkg" ] &&
			[ "$(cat "$DEP_CACHE/kernels/$label.pkg")" != "$pkg" ]; then
			rm -rf "$DEP_CACHE/kernels/$(cat "$DEP_CACHE/kernels/$label.pkg")"
		fi
	fi
	echo "$pkg" >"$DEP_CACHE/kernels/$label.pkg"
	echo "$dir"
}

# kernel_version DIR: the release (uname -r) of an unpacked kernel.
kernel_version() { ls "$1/lib/modules"; }

# module_files DIR MODULE...: the modules' files relative to lib/modules/VER,
# dependencies first, each once; built-in ones left out.
module_files() {
	local dir=$1 ver
	shift
	ver=$(kernel_version "$dir")
	awk -v want="$*" '
		function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); gsub("-", "_", p); return p }
		FILENAME ~ /modules\.builtin$/ { builtin[base($1)] = 1; next }
		{ f = $1; sub(/:$/, "", f); path[base(f)] = f; deps[base(f)] = "" ;
		  for (i = 2; i <= NF; i++) deps[base(f)] = deps[base(f)] " " base($i) }
		function visit(m,   n, d, i) {
			if (m in seen || m in builtin) return
			seen[m] = 1
			n = split(deps[m], d, " ")
			for (i = n; i >= 1; i--) visit(d[i])
			if (m in path) print path[m]
			else print "MISSING " m
		}
		END { n = split(want, w, " "); for (i = 1; i <= n; i++) visit(w[i]) }
	' "$dir/lib/modules/$ver/modules.builtin" "$dir/lib/modules/$ver/modules.dep"
}
