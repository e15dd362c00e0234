#!/bin/sh
# rootfs.sh TCSTEER_BINARY DIR: stages what deploy/docker/Dockerfile puts in
# its FROM scratch image: the binary as DIR/usr/sbin/tcsteer and each shared
# library it needs (ldd, as initramfs-tools' copy_exec does) at its own path.
# DIR is emptied first.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 TCSTEER_BINARY DIR" >&2; exit 2; }
bin=$1 dir=$2
[ -x "$bin" ] || { echo "rootfs.sh: $bin is not an executable" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/usr/sbin" "$dir/etc/tcsteer"
cp -L "$bin" "$dir/usr/sbin/tcsteer"
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
while read -r lib; do
	mkdir -p "$dir$(dirname "$lib")"
	cp -L "$lib" "$dir$lib"
done
