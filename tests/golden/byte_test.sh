#!/usr/bin/env bash
# golden_bytes: tcsteer must put the same rtnetlink bytes on the wire as the
# Go tool it replaces (vishvananda/netlink + cilium/ebpf, built here as
# goref). For egress and ingress, each loader attaches tests/progs/pass.o
# (program tc_pass, section tc) to a fresh veth under strace; compare.py then
# decodes their RTM_NEWQDISC and RTM_NEWTFILTER field by field against each
# other and against the golden capture in reference/. Only seq, pid, ifindex,
# the program fd and TCA_BPF_NAME (with the lengths it implies) may differ.
# iproute2's `tc` is checked the same way, for information: it differs from
# Go only in the name ("pass.o:[tc]").
#
# Needs go, strace, python3 and tc: a missing one is a failure, not a skip.
. "$(dirname "$0")/../lib.sh"

need_root
ensure_bpffs

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${TCSTEER_BUILD:?TCSTEER_BUILD must point at the build tree}
GOREF=$BUILD/tests/golden/goref
OBJ=${TCSTEER_PROGS:-$BUILD/tests/progs}/pass.o
FUNC=tc_pass
REFERENCE=$HERE/reference
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

die() {
	echo "not ok - $*" >&2
	echo "$T_NAME: FAILED before comparing" >&2
	exit 1
}

for tool in strace python3 tc; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -f "$OBJ" ] || die "$OBJ missing (build the pass target)"

# The golden capture lives in the tree; if the shared copy the task started
# from is around, it must not have moved on without us.
if [ -d "${TCSTEER_GOLDEN:-}" ]; then
	for f in qdisc_replace.hex filter_replace.hex; do
		check "reference/$f equals \$TCSTEER_GOLDEN/$f" \
			cmp -s "$REFERENCE/$f" "$TCSTEER_GOLDEN/$f"
	done
fi

# (Re)builds goref if `cmake --build` has not; a no-op with a warm cache.
"$HERE/build-goref.sh" "$GOREF" "$BUILD/tests/golden/gocache" ||
	die "cannot build the Go reference loader"

# Not NS=$(new_netns ...): the subshell would lose lib.sh's record of the
# namespace and the EXIT trap would leave it behind.
new_netns gold >/dev/null
NS="${T_ID}-gold"

# trace LOG CMD...: runs CMD in $NS under strace, recording the bytes of
# every sendto/sendmsg of every thread (Go sends from several) in LOG.
trace() {
	local log=$1
	shift
	in_ns "$NS" strace -f -o "$log" -xx -s 65536 \
		-e trace=sendto,sendmsg -e write=all -- "$@"
}

# attached DEV HOOK: the kernel accepted a direct-action bpf filter there.
attached() {
	tc -n "$NS" filter show dev "$1" "$2" | grep -q 'direct-action'
}

# run_hook HOOK: every loader attaches pass.o on its own fresh veth.
run_hook() {
	local hook=$1 h=${1:0:1}
	local go_dev="${T_ID}g$h" ts_dev="${T_ID}t$h" tc_dev="${T_ID}i$h"
	local dev
	for dev in "$go_dev" "$ts_dev" "$tc_dev"; do
		veth_pair "$NS" "$dev" "$NS" "${dev}p"
	done

	check "goref attaches on $hook" \
		trace "$WORK/go-$hook.log" "$GOREF" "$go_dev" "$OBJ" "$FUNC" "$hook"
	check "goref filter is in the kernel ($hook)" attached "$go_dev" "$hook"

	check "tcsteer attaches on $hook" \
		trace "$WORK/tcsteer-$hook.log" "$TCSTEER" attach dev "$ts_dev" \
		"$hook" object "$OBJ" program "$FUNC"
	check "tcsteer filter is in the kernel ($hook)" attached "$ts_dev" "$hook"

	check "tc attaches on $hook" \
		trace "$WORK/tc-$hook.log" sh -c "tc qdisc replace dev $tc_dev \
clsact && tc filter replace dev $tc_dev $hook handle 1 bpf da obj $OBJ sec tc"
	check "tc filter is in the kernel ($hook)" attached "$tc_dev" "$hook"

	echo "--- $hook: golden vs goref vs tcsteer"
	check "tcsteer sends the Go tool's bytes ($hook)" \
		python3 "$HERE/compare.py" --hook "$hook" golden="$REFERENCE" \
		go="$WORK/go-$hook.log" tcsteer="$WORK/tcsteer-$hook.log"

	# Information, asserted: iproute2 matches Go except for the name.
	echo "--- $hook: iproute2 for reference"
	python3 "$HERE/compare.py" --hook "$hook" golden="$REFERENCE" \
		go="$WORK/go-$hook.log" iproute2="$WORK/tc-$hook.log" \
		>"$WORK/tc-$hook.out" || true
	cat "$WORK/tc-$hook.out"
	check "iproute2 matches Go apart from the name ($hook)" \
		grep -q '^VERDICT: PASS' "$WORK/tc-$hook.out"
	check "iproute2 names the filter \"pass.o:[tc]\" ($hook)" \
		grep -qF "iproute2   TCA_BPF_NAME 'pass.o:[tc]\\x00'" \
		"$WORK/tc-$hook.out"
}

run_hook egress
run_hook ingress
done_testing
