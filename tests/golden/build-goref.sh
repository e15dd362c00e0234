#!/usr/bin/env bash
# Builds the Go reference loader offline from Debian's packaged sources
# (golang-github-vishvananda-netlink-dev, golang-github-cilium-ebpf-dev,
# golang-golang-x-sys-dev) in GOPATH mode: no network, no go.mod.
#   build-goref.sh OUTPUT_BINARY [CACHE_DIR]
# The Go build cache lives in CACHE_DIR (default: next to the binary) so a
# rebuild in the same build tree takes a fraction of a second.
set -euo pipefail

out=${1:?usage: build-goref.sh OUTPUT_BINARY [CACHE_DIR]}
src=$(cd "$(dirname "$0")/goref" && pwd)
cache=${2:-$(dirname "$out")/gocache}
gocode=/usr/share/gocode

if ! command -v go >/dev/null; then
	echo "build-goref.sh: 'go' not found (apt-get install golang-go)" >&2
	exit 1
fi
for pkg in github.com/cilium/ebpf github.com/vishvananda/netlink \
	golang.org/x/sys/unix; do
	if [ ! -d "$gocode/src/$pkg" ]; then
		echo "build-goref.sh: $gocode/src/$pkg missing" \
			"(install the Debian golang-*-dev packages)" >&2
		exit 1
	fi
done

mkdir -p "$cache" "$(dirname "$out")"
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT

# GOFLAGS= drops any -mod=... from the environment, which GOPATH mode rejects.
cd "$src"
env GOPATH="$gopath:$gocode" GO111MODULE=off GOFLAGS= GOPROXY=off \
	GOCACHE="$cache" CGO_ENABLED=0 \
	go build -trimpath -o "$out" main.go
