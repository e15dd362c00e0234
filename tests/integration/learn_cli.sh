#!/usr/bin/env bash
# The learn commands' edges (issue 13), on a host H and a peer P that
# reaches H's VIP 10.99.0.5 through H's DEV (two_hosts) and a second link
# DEV2 that carries nothing:
# - syntax errors in one line, exit 2; a device that does not exist, exit 1;
# - route show, -s, -j of learn routes; tcsteer flows and -j; flows N and
#   a later flows M (resized, its flows kept);
# - learners follow the routes: shared by two routes, dropped with the
#   interface a route no longer names, with the last learn route (and the
#   flow table with it), when a learn route becomes a via route; a route
#   added before the attach gets its learners at the attach;
# - a hook that runs another program of tcsteer's is not taken over;
# - --dry-run prints the learners' attachments and changes nothing;
# - apply takes learn lines, is a no-op the second time, and a failing line
#   rolls the learners and the flow table back;
# - strict rp_filter on a learn interface is warned about;
# - gc detaches the learners of a table that went with its device;
# - without pins that outlive the process, learn routes are refused.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

VIP=10.99.0.5
two_hosts 10.98.0
DEV2="${T_ID}c"
ip link add "$DEV2" netns "$H" type veth peer name "${T_ID}d" netns "$P"
ip -n "$H" link set "$DEV2" up
ip -n "$P" link set "${T_ID}d" up
ip -n "$H" addr add "$VIP/32" dev lo
ip -n "$H" link add "${T_ID}g" type veth peer name "${T_ID}h"
ip -n "$H" link set "${T_ID}h" up
ip -n "$H" link set "${T_ID}g" up
ip -n "$H" addr add 10.97.0.1/24 dev "${T_ID}g"
ip -n "$H" route add default via 10.97.0.2
ip -n "$P" route add "$VIP/32" via 10.98.0.1
ip netns exec "$H" sysctl -qw "net.ipv4.conf.all.rp_filter=0" "net.ipv4.conf.$DEV.rp_filter=2"
GW="${T_ID}g"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; cleanup_netns' EXIT

learner_id() {
	ts -j show dev "$1" | python3 -c '
import json, sys
print(" ".join(str(f["prog_id"]) for f in json.load(sys.stdin)
               if f["tcsteer"] and f["hook"] == "ingress" and f.get("prog_name") == "steer_learn"))'
}
learner_tag() {
	ts -j show dev "$1" | python3 -c '
import json, sys
print(" ".join(f["tag"] for f in json.load(sys.stdin) if f.get("prog_name") == "steer_learn"))'
}
has_learner() { test -n "$(learner_id "$1")"; }
no_learner() { test -z "$(learner_id "$1")"; }
flows_size() { ts -j flows | python3 -c 'import json, sys; print(json.load(sys.stdin)["size"])'; }
flows_count() { ts -j flows | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["flows"]))'; }
lru_pinned() { test -e "$(table_pins "$GW")/steer_flow_lru"; }
ping_vip() { in_ns "$P" ping -c1 -W1 "$VIP" >/dev/null 2>&1 || true; }

echo "# syntax"
for args in "learn" "learn via 10.98.0.2" "learn dev $DEV dev $DEV" \
	"learn dev $DEV flows 5" "learn dev $DEV flows x" "learn dev $DEV flows 99999999999" \
	"learn dev $DEV via 10.98.0.2" "learn dev $DEV dev $DEV2 dev $GW dev lo dev ${T_ID}h"; do
	rc=0
	err=$(ts route add "$VIP/32" $args 2>&1 >/dev/null) || rc=$?
	check "route add $VIP/32 $args: exit 2 ($err)" test "$rc" = 2
	check "... in one line" test "$(grep -c . <<<"$err")" = 1
done
expect_error "a learn interface that does not exist" 'device "nosuch0" not found' \
	ts route add "$VIP/32" learn dev nosuch0
rc=0; ts route add "$VIP/32" learn dev nosuch0 2>/dev/null || rc=$?
check "... exit 1" test "$rc" = 1
check "help says learn" bash -c "$TCSTEER route help | grep -q 'learn dev IFACE'"
check "help says flows" bash -c "$TCSTEER --help | grep -q 'flows \[table NAME\]'"

echo "# a route before the attach: its learners come with the attach"
check "route add learn before attach" ts route add "$VIP/32" learn dev "$DEV" table "$GW"
check "no learner yet (nothing uses the table)" no_learner "$DEV"
check "attach dev $GW" ts attach dev "$GW"
check "the attach brought the learner" has_learner "$DEV"
check "route show" test "$(ts route show)" = "$VIP/32 learn dev $DEV"
check "route show -j" test "$(ts -j route show)" = \
	"{\"table\":\"$GW\",\"routes\":[{\"prefix\":\"$VIP/32\",\"learn\":[\"$DEV\"]}]}"
ping_vip
check "a ping teaches a flow and its pair" test "$(flows_count)" = 2
check "flows: the echo, by $DEV" bash -c "$(declare -f ts in_ns); H=$H TCSTEER=$TCSTEER; ts flows | grep -Eq '^icmp $VIP 10\.98\.0\.2 id [0-9]+ dev $DEV router ([0-9a-f]{2}:){5}[0-9a-f]{2} age [0-9]+s$'"
check "default size $(flows_size)" test "$(flows_size)" = 65536
check "the flow table is pinned" lru_pinned
out=$(ts route show -s)
check "route show -s: steered and unknown" \
	grep -Eq "^$VIP/32 learn dev $DEV packets [0-9]+ bytes [0-9]+ unknown [0-9]+$" <<<"$out"
check "route show -s -j has unknown" bash -c "$(declare -f ts in_ns); H=$H TCSTEER=$TCSTEER; ts -j route show -s | grep -q '\"unknown\":'"

echo "# flows N"
check "route add ... flows 1000" ts route add "$VIP/32" learn dev "$DEV" flows 1000
check "size 1000" test "$(flows_size)" = 1000
check "its flows kept" test "$(flows_count)" = 2
check "route add without flows keeps the size" ts route add "$VIP/32" learn dev "$DEV"
check "still 1000" test "$(flows_size)" = 1000

echo "# learners follow the routes"
check "a second route on $DEV and $DEV2" ts route add 10.99.1.0/24 learn dev "$DEV" dev "$DEV2"
check "a learner on $DEV2" has_learner "$DEV2"
id=$(learner_id "$DEV")
check "the same learner on both interfaces" test "$(learner_tag "$DEV")" = "$(learner_tag "$DEV2")"
check "route add again: nothing changes" ts route add 10.99.1.0/24 learn dev "$DEV" dev "$DEV2"
check "... the same learner" test "$(learner_id "$DEV")" = "$id"
check "the route drops $DEV2" ts route add 10.99.1.0/24 learn dev "$DEV"
check "$DEV2's learner went" no_learner "$DEV2"
check "$DEV's stays" has_learner "$DEV"
check "route del of one learn route" ts route del 10.99.1.0/24
check "$DEV's learner stays for the other" has_learner "$DEV"
check "a learn route becomes a via route" ts route add "$VIP/32" via 10.98.0.2 dev "$DEV"
check "no learn route: the learner went" no_learner "$DEV"
check "... and the flow table" test "$(flows_count)" = 0
check "... and its pin" bash -c "! test -e '$(table_pins "$GW")/steer_flow_lru'"
check "a via route steers as before" test "$(ts route show)" = "$VIP/32 via 10.98.0.2 dev $DEV"
check "route del" ts route del "$VIP/32"

echo "# the hook is taken"
check "attach the steering program to $DEV2 ingress" ts attach dev "$DEV2" ingress table "$GW"
expect_error "a learn route does not take it over" \
	"$DEV2 ingress runs tcsteer's program steer .*not the learner of table $GW" \
	ts route add "$VIP/32" learn dev "$DEV2"
check "nothing was added" test -z "$(ts route show)"
check "detach dev $DEV2 ingress" ts detach dev "$DEV2" ingress

echo "# --dry-run"
out=$(ts --dry-run route add "$VIP/32" learn dev "$DEV" dev "$DEV2") || fail "dry run failed"
check "the dry run names both learners" \
	test "$(grep -c '^# the learner on .* ingress:' <<<"$out")" = 2
check "... with their filter messages" grep -q "SchedCLS(steer_learn)#0" <<<"$out"
check "the dry run changed nothing" test -z "$(ts route show)"
check "... attached nothing" no_learner "$DEV"
expect_error "--dry-run route del is refused" "dry-run applies to attach and route add" \
	ts --dry-run route del "$VIP/32"

echo "# apply"
cat >"$TMP/learn.conf" <<EOF
route add $VIP/32 learn dev $DEV dev $DEV2 flows 4096 table $GW
route add 10.99.1.0/24 learn dev $DEV table $GW
EOF
check "apply with learn lines" ts apply "$TMP/learn.conf"
check "learners on both" bash -c "$(declare -f ts in_ns learner_id has_learner); H=$H TCSTEER=$TCSTEER; has_learner $DEV && has_learner $DEV2"
id=$(learner_id "$DEV")
check "apply again" ts apply "$TMP/learn.conf"
check "... changed no learner" test "$(learner_id "$DEV")" = "$id"
check "route del both" bash -c "$(declare -f ts in_ns); H=$H TCSTEER=$TCSTEER; ts route del $VIP/32 && ts route del 10.99.1.0/24"
check "no learner left" no_learner "$DEV"
cat >"$TMP/fail.conf" <<EOF
route add $VIP/32 learn dev $DEV2 table $GW
attach dev $DEV object $TMP/missing.o
EOF
rc=0; ts apply "$TMP/fail.conf" 2>/dev/null || rc=$?
check "a failing apply exits 1" test "$rc" = 1
check "... its learn route is gone" test -z "$(ts route show)"
check "... and its learner" no_learner "$DEV2"
check "... and the flow table" test "$(flows_count)" = 0

echo "# rp_filter"
ip netns exec "$H" sysctl -qw "net.ipv4.conf.$DEV2.rp_filter=1"
out=$(ts route add "$VIP/32" learn dev "$DEV" dev "$DEV2" 2>&1 >/dev/null) || fail "route add failed: $out"
check "strict rp_filter on $DEV2 is warned about" grep -q "warning: strict rp_filter on $DEV2" <<<"$out"
check "... and only there" test "$(grep -c 'rp_filter' <<<"$out")" = 1
check "route del" ts route del "$VIP/32"

echo "# detach takes the learners, attach brings them back"
check "route add" ts route add "$VIP/32" learn dev "$DEV"
check "detach dev $GW" ts detach dev "$GW"
check "no learner" no_learner "$DEV"
check "the route stays" test "$(ts route show)" = "$VIP/32 learn dev $DEV"
check "attach dev $GW" ts attach dev "$GW"
check "the learner is back" has_learner "$DEV"
check "detach of the learner by hand" ts detach dev "$DEV" ingress
check "gone" no_learner "$DEV"
check "route add puts it back" ts route add "$VIP/32" learn dev "$DEV"
check "back" has_learner "$DEV"
out=$(ts --dry-run attach dev "$GW") || fail "dry run of attach failed"
check "--dry-run attach shows the learners it would attach too" \
	grep -q "^# and, for the learn routes of table $GW, the learner on $DEV ingress:" <<<"$out"

echo "# gc: the learners of a table that is gone"
X="${T_ID}x"
ip -n "$H" link add "$X" type veth peer name "${T_ID}y"
ip -n "$H" link set "${T_ID}y" up
ip -n "$H" link set "$X" up
check "attach dev $X" ts attach dev "$X"
check "a learn route of table $X on $DEV2" ts route add 10.99.3.0/24 learn dev "$DEV2" table "$X"
check "a learner on $DEV2" has_learner "$DEV2"
ip -n "$H" link del "$X"
out=$(ts gc)
echo "$out"
check "gc removed the learner of the gone table" grep -q "^removed learner $DEV2 ingress" <<<"$out"
check "no learner on $DEV2" no_learner "$DEV2"
check "the other table's learner stays" has_learner "$DEV"

echo "# a learn interface that goes"
Z="${T_ID}z"
ip -n "$H" link add "$Z" type veth peer name "${T_ID}w"
ip -n "$H" link set "${T_ID}w" up
ip -n "$H" link set "$Z" up
check "a learn route on $Z" ts route add 10.99.4.0/24 learn dev "$Z" table "$GW"
zi=$(ip -n "$H" -j link show dev "$Z" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["ifindex"])')
ip -n "$H" link del "$Z"
out=$(ts route add "$VIP/32" learn dev "$DEV" table "$GW" 2>&1) || fail "route add with a gone learn interface in the table failed: $out"
check "the table's other routes are not held up, with a warning" \
	grep -q "warning: the learn interface if$zi of table $GW is gone" <<<"$out"
check "route show marks it gone" bash -c "$(declare -f ts in_ns); H=$H TCSTEER=$TCSTEER; ts route show table $GW 2>/dev/null | grep -q '^10.99.4.0/24 learn dev if$zi (gone)$'"
check "route del of it" ts route del 10.99.4.0/24 table "$GW"

echo "# no pins that outlive the process"
oneshot() {
	unshare --mount --propagation private --pid --fork --mount-proc bash -c '
		while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
		exec nsenter --net="/run/netns/$1" "${@:2}"' _ "$H" "$@"
}
expect_error "learn routes need pins" "learn routes need the steering table pinned" \
	oneshot "$TCSTEER" route add 10.99.2.0/24 learn dev "$DEV"
done_testing
