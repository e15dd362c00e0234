# shellcheck shell=bash
# Shared by the deployment tests (tests/deploy/*.sh, run by
# `./dev.sh deploy-test`). Source it first:
#   . "$(dirname "$0")/lib.sh"
#
# Each test prints one "ok - ..." / "not ok - ..." line per step and exits
# 0 if every step passed, 1 if one failed, 77 with a one-line reason when a
# tool it needs is missing or cannot work on this machine. What the tests
# fetch or build once (packages, kernels, base images) is kept in
# $TCSTEER_DEPLOY_CACHE (default /var/cache/tcsteer-deploy), outside the
# clone, so that a second run is much faster. Everything a test creates
# (namespaces, devices, containers, images, networks) is named with
# $DEP_ID, unique per run, and removed at exit.
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

DEP_SRC=${TCSTEER_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
DEP_CACHE=${TCSTEER_DEPLOY_CACHE:-/var/cache/tcsteer-deploy}
DEP_NAME=$(basename "$0" .sh)
DEP_ID="tsdep$$"        # short: names end up in ifnames (15 chars max)
DEP_FAILS=0
DEP_PASSES=0
: "${TCSTEER:=$DEP_SRC/build/tcsteer}"

ok()   { DEP_PASSES=$((DEP_PASSES + 1)); echo "ok - $*"; }
fail() { DEP_FAILS=$((DEP_FAILS + 1)); echo "not ok - $*"; }
note() { echo "# $*"; }

# skip REASON: this whole part cannot run here.
skip() {
	echo "SKIP $DEP_NAME: $*"
	exit 77
}

# check DESC CMD...: one step; its exit status decides.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# check_fails DESC CMD...: CMD must fail.
check_fails() {
	local desc=$1
	shift
	if "$@"; then fail "$desc (unexpected success)"; else ok "$desc"; fi
}

done_testing() {
	echo "$DEP_NAME: $DEP_PASSES passed, $DEP_FAILS failed"
	[ "$DEP_FAILS" = 0 ]
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

need_tcsteer() {
	[ -x "$TCSTEER" ] || skip "no tcsteer binary at $TCSTEER (build first, or set TCSTEER)"
}

# need_packages PKG...: installs what is missing with apt (unless
# TCSTEER_NO_APT=1, then a missing one skips the test).
need_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "${TCSTEER_NO_APT:-0}" = 1 ] && skip "missing packages: ${missing[*]} (TCSTEER_NO_APT=1)"
	note "installing ${missing[*]}"
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$DEP_CACHE/apt.log" 2>&1; then
		apt-get update -qq >>"$DEP_CACHE/apt.log" 2>&1 || true
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$DEP_CACHE/apt.log" 2>&1 ||
			skip "cannot install ${missing[*]}: $(tail -n1 "$DEP_CACHE/apt.log")"
	fi
}

mkdir -p "$DEP_CACHE"

# ldd_closure BINARY...: the shared libraries BINARY needs, with the dynamic
# loader, as absolute paths (what initramfs-tools' copy_exec copies).
ldd_closure() {
	ldd "$@" 2>/dev/null | awk '
		$2 == "=>" && $3 ~ /^\// { print $3 }
		$1 ~ /^\// { print $1 }' | sort -u
}

# copy_exec ROOT FILE [DEST]: FILE into ROOT (at DEST, default its own
# path) with its libraries at their own paths.
copy_exec() {
	local root=$1 file=$2 dest=${3:-$2} lib
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$file" "$root$dest"
	for lib in $(ldd_closure "$file"); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# Docker: the daemon is started by hand if it does not answer (no systemd
# here) and stopped at exit if this test started it.
DEP_DOCKERD_PID=
docker_up() {
	command -v dockerd >/dev/null || skip "no dockerd (package docker.io)"
	if docker info >/dev/null 2>&1; then
		return 0
	fi
	dockerd >"$DEP_CACHE/dockerd.log" 2>&1 &
	DEP_DOCKERD_PID=$!
	for _ in $(seq 150); do
		docker info >/dev/null 2>&1 && return 0
		kill -0 "$DEP_DOCKERD_PID" 2>/dev/null ||
			skip "dockerd does not start: $(tail -n1 "$DEP_CACHE/dockerd.log")"
		sleep 0.2
	done
	skip "dockerd started but does not answer after 30 s"
}
docker_down() {
	[ -n "$DEP_DOCKERD_PID" ] || return 0
	kill "$DEP_DOCKERD_PID" 2>/dev/null || true
	for _ in $(seq 100); do
		kill -0 "$DEP_DOCKERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	DEP_DOCKERD_PID=
}

# The Debian 12 base image for containers (debootstrap --variant=minbase,
# then docker import), from compose/base-image.sh with its tarball cached.
base_image() {
	need_packages debootstrap
	TCSTEER_BASE_CACHE=$DEP_CACHE "$DEP_SRC/compose/base-image.sh" >/dev/null
}

# Exit handlers: each test adds its own with at_exit, run last-in first-out.
DEP_AT_EXIT=()
at_exit() { DEP_AT_EXIT=("$*" "${DEP_AT_EXIT[@]}"); }
run_at_exit() {
	local h
	for h in "${DEP_AT_EXIT[@]}"; do
		eval "$h" 2>/dev/null || true
	done
	docker_down
}
trap run_at_exit EXIT
