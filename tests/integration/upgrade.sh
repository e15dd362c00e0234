#!/usr/bin/env bash
# Upgrade in place (root): the state tcsteer 0.1 left (its layout
# /sys/fs/bpf/tcsteer/<dev>/: the record prog_egress and the table's maps
# steer_v4/v6/stats with 0.1's value sizes), made here the way 0.1 made it
# (bpftool pins tests/progs/steer_v1.o there, tc attaches the pinned
# program), is taken over by the current tcsteer:
# - the running program is recognised as tcsteer's and its state moves into
#   the network namespace's directory; routes keep steering meanwhile;
# - route commands on a table a 0.1 program still uses say, in one line,
#   to attach; attach upgrades the table (routes and counts kept) and
#   replaces the program make-before-break;
# - a 0.1 table no program uses is moved and upgraded on first use.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

V1="$TCSTEER_PROGS/steer_v1.o"
world u
S=$W_S
OLD=/sys/fs/bpf/tcsteer/e0
# The 0.1 layout is not per namespace: this test's device name is not unique
# on a shared machine, so nobody else may use tcsteer/e0 while it runs.
if [ -e "$OLD" ]; then
	echo "SKIP $T_NAME: $OLD exists (another 0.1 state on this machine)"
	exit 77
fi
trap 'cleanup_netns; rm -rf "$OLD" /sys/fs/bpf/tcsteer/"${T_ID}"t' EXIT

hexwords() { python3 -c '
import struct, sys
print(" ".join("%02x" % b for n in sys.argv[1:] for b in struct.pack("=I", int(n))))' "$@"; }
hexbytes() { python3 -c 'import ipaddress, sys; print(" ".join("%02x" % b for b in ipaddress.ip_address(sys.argv[1]).packed))' "$1"; }
ifindex() { ip -n "$S" -j link show dev "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["ifindex"])'; }
# v1_route DIR PREFIX/LEN IFACE NEXTHOP SLOT: a 0.1 route (28 bytes: ifindex,
# slot, bpf_redir_neigh {AF_INET, address, 12 zero bytes}).
v1_route() {
	local prefix=${2%/*} len=${2#*/}
	# shellcheck disable=SC2046
	bpftool map update pinned "$1/steer_v4" \
		key hex $(hexwords "$len") $(hexbytes "$prefix") \
		value hex $(hexwords "$(ifindex "$3")" "$5" 2) $(hexbytes "$4") \
		$(hexwords 0 0 0)
}
ts_u() { in_ns "$S" "$TCSTEER" "$@"; }
ours() { ts_u -j show dev e0 | python3 -c '
import json, sys
print(" ".join(str(f["prog_id"]) for f in json.load(sys.stdin) if f["tcsteer"]))'; }

# ---- 0.1's state --------------------------------------------------------------
mkdir -p "$OLD"
bpftool prog load "$V1" "$OLD/prog_egress" type classifier pinmaps "$OLD"
v1_route "$OLD" 10.77.0.0/24 e1 10.78.0.2 1
in_ns "$S" tc qdisc add dev e0 clsact
in_ns "$S" tc filter add dev e0 egress bpf da object-pinned "$OLD/prog_egress"
check "0.1's program steers" steered u
V1_ID=$(bpftool -j prog show pinned "$OLD/prog_egress" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')

# ---- taken over ----------------------------------------------------------------
check "show: the 0.1 filter is tcsteer's" test "$(ours)" = "$V1_ID"
check "show (which only reads) left 0.1's state where it was" test -e "$OLD/prog_egress"
check "it still steers" steered u
expect_error "route add says to attach, in one line" "format of tcsteer 0.1: attach" \
	ts_u route add 10.77.1.0/24 via 10.78.0.2 dev e1
check "the first command that may change state moved it out of the 0.1 layout" test ! -e "$OLD"
expect_error "route show says the same" "format of tcsteer 0.1: attach" ts_u route show
check "still steered after the refusals" steered u

# ---- upgraded by attach --------------------------------------------------------
check "attach dev e0 upgrades the table and replaces the program" ts_u attach dev e0
NEW_ID=$(ours)
check "one tcsteer filter, the new program ($V1_ID -> $NEW_ID)" \
	test -n "$NEW_ID" -a "$NEW_ID" != "$V1_ID" -a "$(wc -w <<<"$NEW_ID")" = 1
check "the route was kept" test "$(ts_u route show)" = "10.77.0.0/24 via 10.78.0.2 dev e1"
packets=$(ts_u -j route show -s | python3 -c 'import json, sys; print(json.load(sys.stdin)["routes"][0]["packets"])')
check "and its counters (packets $packets >= 6 from the steered probes)" test "$packets" -ge 6
check "the new program steers" steered u
check "route add works now" ts_u route add 10.77.1.0/24 via 10.78.0.2 dev e1
check "attach again: nothing to do" test "$(ts_u attach dev e0; ours)" = "$NEW_ID"

# ---- a 0.1 table no program uses -----------------------------------------------
T2="/sys/fs/bpf/tcsteer/${T_ID}t"
mkdir -p "$T2"
bpftool prog load "$V1" "$T2/loader" type classifier pinmaps "$T2"
rm "$T2/loader" # 0.1 detached: the table stayed, no record
v1_route "$T2" 10.90.0.0/16 e1 10.78.0.2 5
check "route add to it by name moves and upgrades it" \
	ts_u route add 10.91.0.0/16 via 10.78.0.2 dev e1 table "${T_ID}t"
check "its 0.1 directory is gone" test ! -e "$T2"
check "both routes are in it" test "$(ts_u route show table "${T_ID}t" | sort)" = \
	"$(printf '10.90.0.0/16 via 10.78.0.2 dev e1\n10.91.0.0/16 via 10.78.0.2 dev e1')"

done_testing
