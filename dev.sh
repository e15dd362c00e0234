#!/usr/bin/env bash
# One entry point for humans and CI, on Debian 12 as root:
#   ./dev.sh demo    install packages, build, run the demo
#   ./dev.sh test    install packages, build, run the whole test suite, then
#                    again in an ASan+UBSan build with fuzzing (build-asan)
#   ./dev.sh build   build only (no install)
#   ./dev.sh deploy-test [PART...]
#                    the deployment forms, really run (tests/deploy/run.sh):
#                    initramfs (QEMU boots), containers, compose, artefacts;
#                    installs what they need, caches kernels and images in
#                    $TCSTEER_DEPLOY_CACHE (default /var/cache/tcsteer-deploy)
# Set TCSTEER_NO_APT=1 to skip the apt step (packages already present).
set -euo pipefail
# Debian's python3 (with python3-yaml) and tools first, ahead of any pyenv shim.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
cd "$(dirname "$0")"

BUILD_DIR=${BUILD_DIR:-build}

# Everything the build, the tests and the demo use, from Debian 12's archive.
PACKAGES=(
	build-essential cmake pkg-config clang llvm
	libclang-rt-14-dev              # sanitizer pass: ASan/UBSan runtimes, libFuzzer
	libmnl-dev                      # the only runtime library besides libc
	libcmocka-dev libelf-dev        # unit tests; libelf is the parser's oracle
	iproute2 iputils-ping tcpdump strace socat netcat-openbsd util-linux
	ethtool                         # MTU test: segmentation offloads off
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

# The sanitizer pass of `./dev.sh test` (docs/reliability.md): the same
# sources built with clang, ASan+UBSan, the fd-leak check at exit and the
# libFuzzer targets, in $ASAN_BUILD_DIR. It runs what reaches the most code
# per second: every unit test (the fuzz corpus replays included), each fuzz
# target for TCSTEER_FUZZ_SECONDS, and the integration tests that drive the
# binary through all its commands and failure paths (SANITIZE_TESTS). The
# golden byte tests (strace-based: LeakSanitizer cannot run under ptrace),
# the lab and the compose check add no code path and stay in the plain
# pass, and so do the slow ones whose code paths others reach too: mtu
# (the data path; its CLI commands are route.sh's), lifecycle (gc: netns),
# neigh_release (its library code: nexthop, neigh_early). The fault sweeps
# (faults, tcx_faults, learn_faults) inject into one call in
# TCSTEER_FAULT_STRIDE (default 3) here, every call in the plain pass: the
# whole suite stays under ten minutes. TCSTEER_NO_ASAN=1 skips this pass.
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
SANITIZE_TESTS=${SANITIZE_TESTS:-'^(test_.*|fuzz_.*|attach|errors|route|batch|neigh_early|faults|privilege|limits|netns|races|upgrade|nopins|cli|tcx_cli|tcx_apply|tcx_state|tcx_shadow|tcx_faults|vlan|nexthop|learn_cli|learn_faults)$'}

build_asan() {
	CC=clang cmake -S . -B "$ASAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DTCSTEER_SANITIZE=ON -DTCSTEER_FD_CHECK=ON -DTCSTEER_FUZZ=ON \
		${CMAKE_ARGS:-} >/dev/null
	cmake --build "$ASAN_BUILD_DIR" -j"$(nproc)"
}

run_asan_tests() {
	[ "${TCSTEER_NO_ASAN:-0}" = 1 ] && return 0
	build_asan
	(cd "$ASAN_BUILD_DIR" &&
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		TCSTEER_FAULT_STRIDE=${TCSTEER_FAULT_STRIDE:-3} \
		ctest --output-on-failure --timeout 300 -R "$SANITIZE_TESTS" "$@")
}

case "${1:-}" in
demo)  install_packages; build; ./compose/demo.sh "$BUILD_DIR/tcsteer" ;;
test)  shift; install_packages; build; run_tests "$@"; run_asan_tests "$@" ;;
build) build ;;
deploy-test)
	shift; install_packages; build
	TCSTEER="$PWD/$BUILD_DIR/tcsteer" TCSTEER_BUILD="$PWD/$BUILD_DIR" \
		tests/deploy/run.sh "$@" ;;
deps)  install_packages ;;
*)     echo "usage: $0 demo|test|build|deps|deploy-test [PART...]" >&2; exit 2 ;;
esac
