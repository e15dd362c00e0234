#!/usr/bin/env bash
# State per network namespace (root): two worlds with the same device names
# (e0, e1) in two namespaces, driven through both `nsenter --net` and
# `ip netns exec` (which hides the host's bpffs behind a fresh /sys);
# every change proven with real packets.
# - a route added by a later invocation steers, whichever way each
#   invocation entered the namespace;
# - each namespace sees only its own tables, filters and routes; `route add`
#   without `table` picks this namespace's one table; detach in one leaves
#   the other alone;
# - ghost tables: a namespace deleted without detach leaves nothing another
#   namespace sees, and gc removes it;
# - identity: a renamed device keeps its program and table; a.1 and a_1 have
#   tables of their own; a route whose interface is gone says so.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

world a
A_S=$W_S
world b
B_S=$W_S
ts_a() { in_netns_exec "$A_S" "$TCSTEER" "$@"; }    # ip netns exec
ts_b() { in_ns "$B_S" "$TCSTEER" "$@"; }            # nsenter --net
ts_a_nsenter() { in_ns "$A_S" "$TCSTEER" "$@"; }
ours() { "$@" -j show dev e0 | python3 -c '
import json, sys
print(sum(1 for f in json.load(sys.stdin) if f["tcsteer"] and f["hook"] == "egress"))'; }
routes() { "$@" route show 2>&1; }

check "world a: not steered before anything" unsteered a
check "world b: not steered before anything" unsteered b

# 1. ip netns exec: attach, then a route added by a second invocation.
check "a (ip netns exec): attach dev e0" ts_a attach dev e0
check "a (ip netns exec): route add by a later invocation, no table named" \
	ts_a route add 10.77.0.0/24 via 10.78.0.2 dev e1
check "a: the route steers real packets" steered a
check "a: nsenter sees the filter as tcsteer's" test "$(ours ts_a_nsenter)" = 1
check "a: ip netns exec sees it too" test "$(ours ts_a)" = 1

# 2. nsenter in b, same device names, the table named explicitly.
check "b (nsenter): attach dev e0" ts_b attach dev e0
check "b: not steered yet (its table is empty)" unsteered b
check "b: route add ... table e0" ts_b route add 10.77.0.1/32 via 10.78.0.2 dev e1 table e0
check "b: steered" steered b
check "a: still steered" steered a

# 3. each namespace lists only its own.
check "a lists only its route" test "$(routes ts_a)" = "10.77.0.0/24 via 10.78.0.2 dev e1"
check "b lists only its route" test "$(routes ts_b)" = "10.77.0.1/32 via 10.78.0.2 dev e1"
check "route add without table in b: b's one table, no 'several tables'" \
	ts_b route add 10.77.0.0/25 via 10.78.0.2 dev e1
check "a's table did not get it" test "$(routes ts_a)" = "10.77.0.0/24 via 10.78.0.2 dev e1"
check "a mixed: route del through nsenter" ts_a_nsenter route del 10.77.0.0/24
check "a: not steered without the route" unsteered a
check "a mixed: route add through ip netns exec again" \
	ts_a route add 10.77.0.0/24 via 10.78.0.2 dev e1 table e0
check "a: steered again" steered a

# 4. detach in a leaves b alone.
check "a (ip netns exec): detach dev e0" ts_a detach dev e0
check "a: no tcsteer filter" test "$(ours ts_a)" = 0
check "a: not steered" unsteered a
check "b: its filter is still there" test "$(ours ts_b)" = 1
check "b: still steered" steered b
check "a: its table outlived the detach" test "$(routes ts_a)" = "10.77.0.0/24 via 10.78.0.2 dev e1"
check "a: attach again resumes the table" ts_a attach dev e0
check "a: steered with the kept route" steered a
expect_error "a: detach twice" "nothing attached by tcsteer on e0 egress" \
	bash -c "ip netns exec $A_S $TCSTEER detach dev e0; ip netns exec $A_S $TCSTEER detach dev e0"

# 5. ghost tables: a namespace deleted without detach.
world c
check "c: attach and a route" bash -c "ip netns exec $W_S $TCSTEER attach dev e0 &&
	ip netns exec $W_S $TCSTEER route add 192.168.1.5/32 via 10.78.0.2 dev e1"
C_ID=$(in_ns "$W_S" "$TCSTEER" -j -d route show | python3 -c 'import json, os, sys; print(os.path.basename(os.path.dirname(json.load(sys.stdin)["pins"])))')
ip netns del "$W_S"
world d
expect_error "d: a new namespace sees no table of the dead one" "no steering table" \
	in_netns_exec "$W_S" "$TCSTEER" route show
check "d: attach makes an empty table" in_netns_exec "$W_S" "$TCSTEER" attach dev e0
check "d: no route of the dead namespace in it" test -z "$(routes in_netns_exec "$W_S" "$TCSTEER")"
check "the dead namespace's state is still there before gc" test -d "/sys/fs/bpf/tcsteer/netns/$C_ID"
out=$("$TCSTEER" gc)
check "gc names the dead namespace ($out)" grep -q "removed netns $C_ID " <<<"$out"
check "gc removed its directory" test ! -e "/sys/fs/bpf/tcsteer/netns/$C_ID"
check "gc left world b alone" steered b
# (Other namespaces may die meanwhile on a shared machine: only ours count.)
out=$("$TCSTEER" gc) && rc=0 || rc=$?
check "gc again: exit 0, nothing of the dead namespace left to remove" \
	test "$rc" = 0 -a -z "$(grep "netns $C_ID " <<<"$out")"
check "gc -j: a JSON array" bash -c "$TCSTEER -j gc | python3 -c 'import json, sys; assert isinstance(json.load(sys.stdin), list)'"

# 6. a renamed device keeps its program and its table.
ip -n "$B_S" link set e0 down
ip -n "$B_S" link set e0 name x0
ip -n "$B_S" link set x0 up
check "b: the renamed device's filter is still tcsteer's" \
	bash -c "nsenter --net=/run/netns/$B_S $TCSTEER show dev x0 | grep -q '\[tcsteer\]'"
check "b: attach dev x0 changes nothing (same program, same table)" \
	bash -c "nsenter --net=/run/netns/$B_S $TCSTEER -v attach dev x0 2>&1 | grep -q 'nothing to do'"
check "b: route add to the renamed device's table" ts_b route add 10.77.0.128/25 via 10.78.0.2 dev e1
check "b: the table keeps its name (e0)" bash -c "nsenter --net=/run/netns/$B_S $TCSTEER -j route show | python3 -c 'import json, sys; assert json.load(sys.stdin)[\"table\"] == \"e0\"'"
check "b: detach dev x0" ts_b detach dev x0
check "b: after detach, not steered" unsteered b
check "b: attach dev x0 again finds its own table" ts_b attach dev x0
check "b: steered by the kept routes" steered b

# 7. a.1 and a_1: one table each.
ip -n "$B_S" link add a.1 type veth peer name p1
ip -n "$B_S" link add a_1 type veth peer name p2
for d in a.1 a_1 p1 p2; do ip -n "$B_S" link set "$d" up; done
check "attach a.1" ts_b attach dev a.1
check "attach a_1" ts_b attach dev a_1
check "route add to table a.1" ts_b route add 10.60.1.0/24 via 10.78.0.2 dev e1 table a.1
check "route add to table a_1" ts_b route add 10.60.2.0/24 via 10.78.0.2 dev e1 table a_1
check "a.1's table holds only its route" test "$(ts_b route show table a.1)" = "10.60.1.0/24 via 10.78.0.2 dev e1"
check "a_1's table holds only its route" test "$(ts_b route show table a_1)" = "10.60.2.0/24 via 10.78.0.2 dev e1"
check "detach a.1" ts_b detach dev a.1
check "a_1's filter stays" bash -c "nsenter --net=/run/netns/$B_S $TCSTEER show dev a_1 | grep -q '\[tcsteer\]'"

# 8. a route whose interface is gone says so, and steers nothing.
ip -n "$B_S" link add e9 type veth peer name p9
ip -n "$B_S" link set e9 up
ip -n "$B_S" link set p9 up
ip -n "$B_S" addr add 10.79.0.1/24 dev e9
ts_b route add 10.61.0.0/24 via 10.79.0.2 dev e9 table a_1 2>/dev/null
idx=$(ip -n "$B_S" -j link show dev e9 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["ifindex"])')
ip -n "$B_S" link del e9
out=$(ts_b route show table a_1 2>"$T_NAME.err"; cat "$T_NAME.err")
rm -f "$T_NAME.err"
check "route show marks it: dev if$idx (gone)" grep -q "^10.61.0.0/24 via 10.79.0.2 dev if$idx (gone)$" <<<"$out"
check "and warns on stderr" grep -q "warning: the interface of 10.61.0.0/24 is gone" <<<"$out"
check "-j says dev_gone" bash -c "nsenter --net=/run/netns/$B_S $TCSTEER -j route show table a_1 2>/dev/null | grep -q '\"dev_gone\":true'"

done_testing
