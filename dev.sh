#!/usr/bin/env bash
# One entry point for humans and CI, on Debian 12 as root:
#   ./dev.sh demo    install packages, build, run the demo
#   ./dev.sh test    install packages, build, run the whole test suite
#   ./dev.sh build   build only (no install)
# Set TCSTEER_NO_APT=1 to skip the apt step (packages already present).
set -euo pipefail
# Debian's python3 (with python3-yaml) and tools first, ahead of any pyenv shim.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}

# Everything the build, the tests and the demo use, from Debian 12's archive.
PACKAGES=(
	build-essential cmake pkg-config clang llvm
	libmnl-dev                      # the only runtime library besides libc
	libcmocka-dev libelf-dev        # unit tests; libelf is the parser's oracle
	iproute2 iputils-ping tcpdump strace socat netcat-openbsd util-linux
	bpftool                         # tests only: reads and fills maps as an oracle
	libcap2-bin python3 python3-yaml
	golang-go golang-github-vishvananda-netlink-dev # the Go reference
	golang-github-cilium-ebpf-dev golang-golang-x-sys-dev
)

install_packages() {
	[ "${TCSTEER_NO_APT:-0}" = 1 ] && return 0
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "dev.sh: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		${CMAKE_ARGS:-} >/dev/null
	cmake --build "$BUILD_DIR" -j"$(nproc)"
}

run_tests() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 300 "$@")
}

case "${1:-}" in
demo)  install_packages; build; ./compose/demo.sh "$BUILD_DIR/tcsteer" ;;
test)  shift; install_packages; build; run_tests "$@" ;;
build) build ;;
deps)  install_packages ;;
*)     echo "usage: $0 demo|test|build|deps" >&2; exit 2 ;;
esac
