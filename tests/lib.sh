# shellcheck shell=bash
# Shared helpers for tcsteer's integration tests. Source it first:
#   . "$(dirname "$0")/../lib.sh"
# Tests run as root against the real kernel; every namespace and pin a test
# makes carries the test's unique prefix and is removed by the EXIT trap.
set -euo pipefail
# Debian's tools first: python3-yaml is installed for /usr/bin/python3, and a
# pyenv shim earlier in PATH costs a second per call.
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"

: "${TCSTEER:?TCSTEER must point at the tcsteer binary (ctest sets it)}"
: "${TCSTEER_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${TCSTEER_PROGS:=}"

T_NAME=$(basename "$0" .sh)
T_ID="ts$$"             # short: names end up in ifnames (15 chars max)
T_FAILS=0
T_PASSES=0

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP $T_NAME: needs root"
		exit 77
	fi
}

# need_tool CMD: skip the test (exit 77) where CMD is not installed.
need_tool() {
	if ! command -v "$1" >/dev/null; then
		echo "SKIP $T_NAME: needs $1"
		exit 77
	fi
}

# fault_points N: the calls (1..N) a fault sweep injects into, one a line.
# Every one by default; with TCSTEER_FAULT_STRIDE=K (the sanitizer pass of
# dev.sh) every K-th from the first, and the last, so that a sweep under
# ASan stays within the suite's time while the plain pass covers each call.
fault_points() {
	local n=$1 k=${TCSTEER_FAULT_STRIDE:-1} i
	for ((i = 1; i <= n; i += k)); do echo "$i"; done
	if [ "$n" -gt 0 ] && [ $(((n - 1) % k)) != 0 ]; then echo "$n"; fi
}

# fault_scope: how the sweep's ok line names the calls it injected into.
fault_scope() {
	if [ "${TCSTEER_FAULT_STRIDE:-1}" -gt 1 ]; then
		echo "one in ${TCSTEER_FAULT_STRIDE} and the last"
	else
		echo "each"
	fi
}

# Mount bpffs on /sys/fs/bpf if it is not there yet (tests need it).
ensure_bpffs() {
	if ! mountpoint -q /sys/fs/bpf; then
		mount -t bpf bpf /sys/fs/bpf
	fi
}

# new_netns NAME: creates netns "${T_ID}-NAME" with lo up; prints its name.
new_netns() {
	local ns="${T_ID}-$1"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# in_ns NS CMD...: run in the namespace but keep the host's /sys (so the
# host's /sys/fs/bpf stays visible, unlike `ip netns exec`).
in_ns() {
	local ns=$1
	shift
	nsenter --net="/run/netns/$ns" "$@"
}

# veth_pair NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both up.
veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# two_hosts NET: namespaces $H and $P joined by a veth pair, $DEV in $H
# with NET.1/24 and ${T_ID}b in $P with NET.2/24 (NET like 10.77.0).
two_hosts() {
	H=$(new_netns h)
	P=$(new_netns p)
	DEV="${T_ID}a"
	veth_pair "$H" "$DEV" "$P" "${T_ID}b"
	ip -n "$H" addr add "$1.1/24" dev "$DEV"
	ip -n "$P" addr add "$1.2/24" dev "${T_ID}b"
}

# ts ARGS...: tcsteer in the test's host namespace $H.
ts() { in_ns "$H" "$TCSTEER" "$@"; }

# table_pins TABLE: the directory holding TABLE's pinned maps in $H (from
# `route show -j -d`), for bpftool.
# (/nonexistent when there is no such table).
# pinned_slots PINS: "prefix slot" of every route of the table pinned in
# PINS, read by bpftool (the slot indexes the counters; the CLI never shows
# it).
pinned_slots() {
	local m
	for m in steer_v4 steer_v6; do
		bpftool -j map dump pinned "$1/$m"
	done | python3 -c '
import ipaddress, json, sys
for doc in sys.stdin:
    for e in json.loads(doc):
        k, v = e["formatted"]["key"], e["formatted"]["value"]
        print("%s/%d %d" % (ipaddress.ip_address(bytes(k["addr"])), k["prefixlen"], v["slot"]))' | sort
}
# state_dir TABLE: $H's state directory (the parent of a table's).
state_dir() { dirname "$(table_pins "$1")"; }
# stale_records TABLE: the device directories of $H's state whose device
# is gone (none expected: tcsteer removes them).
stale_records() {
	local d idx live
	live=" $(ip -n "$H" -j link show | python3 -c 'import json, sys; print(" ".join(str(l["ifindex"]) for l in json.load(sys.stdin)))') "
	for d in "$(state_dir "$1")"/if*; do
		[ -e "$d" ] || continue
		idx=${d##*/if}
		[[ $live == *" $idx "* ]] || echo "$d"
	done
}
table_pins() {
	{ ts -j -d route show table "$1" 2>/dev/null || echo '{}'; } |
		python3 -c 'import json, sys; print(json.load(sys.stdin).get("pins", "/nonexistent"))'
}

# Every namespace named after this test's id goes, also those made in a
# $(new_netns ...) subshell, which the parent shell cannot record.
cleanup_netns() {
	local ns
	for ns in $(ip netns list | awk -v p="${T_ID}-" 'index($1, p) == 1 {print $1}'); do
		ip netns del "$ns" 2>/dev/null || true
	done
	# The state of the namespaces just deleted (and of any other namespace
	# that is gone).
	"$TCSTEER" gc >/dev/null 2>&1 || true
}
trap cleanup_netns EXIT

ok()   { T_PASSES=$((T_PASSES + 1)); echo "ok - $*"; }
fail() { T_FAILS=$((T_FAILS + 1)); echo "not ok - $*" >&2; }

# check DESC CMD...: records pass/fail of CMD without stopping the test.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# check_fails DESC CMD...: CMD must exit non-zero.
check_fails() {
	local desc=$1
	shift
	if "$@"; then fail "$desc (unexpected success)"; else ok "$desc"; fi
}

# expect_error DESC PATTERN CMD...: CMD must fail with exactly one line on
# stderr that matches PATTERN (an extended regex).
expect_error() {
	local desc=$1 pattern=$2 out rc=0
	shift 2
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	if [ "$rc" = 0 ]; then
		fail "$desc: exit 0, expected failure"
	elif [ "$(printf '%s\n' "$out" | grep -c .)" -ne 1 ]; then
		fail "$desc: expected one line on stderr, got: $out"
	elif ! printf '%s\n' "$out" | grep -Eq -- "$pattern"; then
		fail "$desc: '$out' does not match /$pattern/"
	else
		ok "$desc ($out)"
	fi
}

done_testing() {
	echo "$T_NAME: $T_PASSES passed, $T_FAILS failed"
	[ "$T_FAILS" = 0 ]
}

# ---- a small steering world: a server whose replies must be steered -------
# world W: namespaces ${T_ID}-Ws (server), -Wg (its default gateway), -Wr
# (the router on its secondary link); in the server, e0 (10.77.0.1/24) to
# the gateway g0 (.2) and e1 (10.78.0.1/24) to the router r0 (10.78.0.2).
# Every world has the same device names and addresses: only the network
# namespace tells them apart. Sets W_S, W_G, W_R for the last world made.
world() {
	local w=$1
	W_S=$(new_netns "${w}s")
	W_G=$(new_netns "${w}g")
	W_R=$(new_netns "${w}r")
	ip link add e0 netns "$W_S" type veth peer name g0 netns "$W_G"
	ip link add e1 netns "$W_S" type veth peer name r0 netns "$W_R"
	ip -n "$W_G" link set g0 up
	ip -n "$W_R" link set r0 up
	ip -n "$W_S" link set e0 up
	ip -n "$W_S" link set e1 up
	ip -n "$W_S" addr add 10.77.0.1/24 dev e0
	ip -n "$W_G" addr add 10.77.0.2/24 dev g0
	ip -n "$W_S" addr add 10.78.0.1/24 dev e1
	ip -n "$W_R" addr add 10.78.0.2/24 dev r0
}
# rx_packets NS DEV
rx_packets() { ip -n "$1" -s -j link show dev "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
# steered W: 3 UDP datagrams from the server of world W (source
# 10.77.0.1) to its gateway arrive at its router instead (the steering
# route 10.77.0.0/24 via 10.78.0.2 dev e1 is in effect); unsteered W: pings
# to the gateway are answered.
steered() {
	local s="${T_ID}-$1s" r="${T_ID}-$1r" before after
	before=$(rx_packets "$r" r0)
	in_ns "$s" bash -c 'for i in 1 2 3; do echo steer >/dev/udp/10.77.0.2/9; done' 2>/dev/null || true
	sleep 0.1
	after=$(rx_packets "$r" r0)
	[ "$after" -ge $((before + 3)) ]
}
unsteered() {
	in_ns "${T_ID}-$1s" ping -c 2 -i 0.1 -W 1 10.77.0.2 >/dev/null 2>&1
}
# in_netns_exec NS CMD...: like in_ns, but the way `ip netns exec` runs it
# (a private mount namespace with its own /sys: no bpffs of the host).
in_netns_exec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ---- a numbered UDP stream that counts what a change loses (stream.py) ----
STREAM_PIDS=()
# stream_start OUT RECV_NS IFNAME SEND_NS SRC DST COUNT INTERVAL: a receiver
# in RECV_NS on port 9999 (datagrams arriving on its IFNAME count as
# steered), then a sender in SEND_NS of COUNT datagrams from SRC to DST,
# one every INTERVAL s. The receiver's summary ("received N lost L steered
# S ...") lands in OUT. Sets STREAM_SENDER (runs while the stream does).
stream_start() {
	local out=$1 rns=$2 ifname=$3 sns=$4 src=$5 dst=$6 count=$7 interval=$8 i
	rm -f "$out.ready" "$out"
	in_ns "$rns" python3 "$TCSTEER_SRC/tests/integration/stream.py" recv 9999 "$count" \
		"$ifname" "$out.ready" >"$out" &
	STREAM_PIDS=($!)
	for ((i = 0; i < 100; i++)); do
		[ -e "$out.ready" ] && break
		kill -0 "${STREAM_PIDS[0]}" 2>/dev/null || break
		sleep 0.05
	done
	if [ ! -e "$out.ready" ]; then
		fail "the stream's receiver did not start"
		exit 1
	fi
	in_ns "$sns" python3 "$TCSTEER_SRC/tests/integration/stream.py" send "$src" "$dst" \
		9999 "$count" "$interval" &
	STREAM_SENDER=$!
	STREAM_PIDS+=("$STREAM_SENDER")
}
# stream_wait: the sender and the receiver are done (not in a $(...): a
# subshell cannot wait for them).
stream_wait() {
	wait "${STREAM_PIDS[@]}" 2>/dev/null || true
	STREAM_PIDS=()
}
# stream_stop: for EXIT traps.
stream_stop() {
	local p
	for p in "${STREAM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	STREAM_PIDS=()
}
# stream_field OUT KEY: one number of the summary ("lost", "steered", ...).
stream_field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$1"; }
