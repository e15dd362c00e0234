#!/usr/bin/env bash
# base-image.sh [IMAGE | --tarball-only]: makes the Debian 12 base image the Docker lab
# builds on (default tcsteer-lab-base:bookworm), from Debian's packages
# alone, for machines that reach no image registry:
#
#   debootstrap --variant=minbase --include=PACKAGES bookworm DIR
#   tar -C DIR -c . | docker import - IMAGE
#
# The packages are what the lab's services run besides tcsteer: iproute2,
# ping, socat, libmnl0 (tcsteer's one library). Does nothing if IMAGE
# exists. Set TCSTEER_BASE_CACHE=DIR to keep the root file system's tarball
# there for the next time (./dev.sh deploy-test does); --tarball-only makes
# that tarball alone, without Docker. Needs root, debootstrap and a running
# Docker daemon. About 40 s.
set -euo pipefail
IMAGE=${1:-tcsteer-lab-base:bookworm}
TARBALL_ONLY=0
if [ "$IMAGE" = --tarball-only ]; then
	TARBALL_ONLY=1
	[ -n "${TCSTEER_BASE_CACHE:-}" ] || { echo "base-image: --tarball-only needs TCSTEER_BASE_CACHE" >&2; exit 2; }
fi
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
PACKAGES=iproute2,iputils-ping,socat,libmnl0,procps

die() { echo "base-image: $*" >&2; exit 1; }

[ "$TARBALL_ONLY" = 1 ] || ! docker image inspect "$IMAGE" >/dev/null 2>&1 || exit 0
command -v debootstrap >/dev/null || die "needs debootstrap (apt-get install debootstrap)"
[ "$(id -u)" = 0 ] || die "needs root (debootstrap)"

cache=${TCSTEER_BASE_CACHE:-}
tarball=${cache:+$cache/bookworm-minbase.tar}
if [ -n "$tarball" ] && [ -s "$tarball" ] && [ "$(cat "$tarball.packages" 2>/dev/null)" = "$PACKAGES" ]; then
	[ "$TARBALL_ONLY" = 1 ] || docker import - "$IMAGE" <"$tarball" >/dev/null
	exit 0
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "base-image: debootstrap bookworm into $dir" >&2
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$dir/root" "$MIRROR" \
	>"$dir/log" 2>&1 || die "debootstrap failed: $(tail -n1 "$dir/log")"
rm -rf "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/lib/apt/lists/"*
if [ -n "$tarball" ]; then
	mkdir -p "$cache"
	tar -C "$dir/root" -c . >"$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
	echo "$PACKAGES" >"$tarball.packages"
	[ "$TARBALL_ONLY" = 1 ] && exit 0
	docker import - "$IMAGE" <"$tarball" >/dev/null
else
	tar -C "$dir/root" -c . | docker import - "$IMAGE" >/dev/null
fi
echo "base-image: $IMAGE" >&2
