#!/usr/bin/env bash
# Faults during the learn commands leave a consistent state (root).
#
# For every bpf(), sendto() and recvmsg() call of a table's first `route
# add ... learn` (flow table, lookup, learner) and of its last `route del`,
# strace injects an error into that one call. The command either succeeds,
# or fails with exit 1 and one `tcsteer: ` line; either way what is left
# is whole: after a failed add, no route, no learner and no flow table (the
# command took back what it had made); after a successful one, the route,
# its learner and a flow table; after a failed del, the route with its
# learner; after a del whose cleanup failed, a warning, and the next
# command finishes it. EINTR is absorbed. The steering program's filter on
# the attach device is never touched.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs
need_tool strace

two_hosts 10.96.0
VIP=10.95.0.5
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"
ip -n "$H" link add "${T_ID}g" type veth peer name "${T_ID}h"
ip -n "$H" link set "${T_ID}h" up
ip -n "$H" link set "${T_ID}g" up
GW="${T_ID}g"
INJECTED=0

straced() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	in_ns "$H" env "$NOLEAK" strace -qq -o /dev/null "${opts[@]}" "$TCSTEER" "$@"
}
steering_id() { ts -j show dev "$GW" | python3 -c '
import json, sys; print(" ".join(str(f["prog_id"]) for f in json.load(sys.stdin) if f["tcsteer"]))'; }
learners() { ts -j show dev "$DEV" | python3 -c '
import json, sys; print(len([f for f in json.load(sys.stdin) if f["tcsteer"] and f["hook"] == "ingress"]))'; }
flow_size() { ts -j flows | python3 -c 'import json, sys; print(json.load(sys.stdin)["size"])'; }
routes() { ts route show | grep -c . || true; }

# state: "ROUTES LEARNERS FLOW_TABLE_SIZE"
state() { echo "$(routes) $(learners) $(flow_size)"; }

check "attach dev $GW" ts attach dev "$GW"
STEER=$(steering_id)
ADD=(route add "$VIP/32" learn dev "$DEV" flows 256)
DEL=(route del "$VIP/32")

count() {
	in_ns "$H" env "$NOLEAK" strace -qq -o "$WORK/trace" -e trace="$1" "$TCSTEER" "${@:2}" \
		>/dev/null 2>&1
	grep -c "^$1(" "$WORK/trace"
}

# one_line RC OUT DESC: a failure is exit 1 with one "tcsteer: " line; a
# success says nothing but warnings.
one_line() {
	if [ "$1" != 0 ] && { [ "$1" != 1 ] || [ "$(grep -c . <<<"$2")" != 1 ] ||
			      [[ $2 != "tcsteer: "* ]]; }; then
		fail "$3: exit $1: $2"
		return 1
	fi
	if [ "$1" = 0 ] && grep -v "^tcsteer: warning: " <<<"$2" | grep -q .; then
		fail "$3: exit 0, but: $2"
		return 1
	fi
}

sweep_add() {
	local sc=$1 errno=$2 n i rc out st bad=0
	n=$(count "$sc" "${ADD[@]}")
	ts "${DEL[@]}"
	for i in $(fault_points "$n"); do
		rc=0
		out=$(straced -e trace="$sc" -e inject="$sc:error=$errno:when=$i" -- "${ADD[@]}" \
			2>&1 >/dev/null) || rc=$?
		INJECTED=$((INJECTED + 1))
		st=$(state)
		if [ "$errno" = EINTR ] && [ "$rc" != 0 ]; then
			fail "add $sc #$i $errno: not retried: $out"; bad=1
		elif ! one_line "$rc" "$out" "add $sc #$i $errno"; then
			bad=1
		elif [ "$rc" = 0 ] && [ "$st" != "1 1 256" ]; then
			fail "add $sc #$i $errno: exit 0, but route/learner/flow table: $st"; bad=1
		elif [ "$rc" = 1 ] && [ "$st" != "0 0 0" ]; then
			fail "add $sc #$i $errno: failed ($out), but left route/learner/flow table: $st"
			bad=1
		fi
		[ "$rc" = 1 ] && echo "# add $sc #$i $errno: $out"
		[ "$(steering_id)" = "$STEER" ] || { fail "add $sc #$i: the steering filter changed"; bad=1; }
		ts "${DEL[@]}" 2>/dev/null || true
		[ "$(state)" = "0 0 0" ] || { fail "add $sc #$i: del after it left $(state)"; bad=1; }
	done
	if [ "$bad" = 0 ]; then ok "route add ... learn: $sc: $n calls, $errno injected into $(fault_scope)"; fi
}

sweep_del() {
	local sc=$1 errno=$2 n i rc out st bad=0
	ts "${ADD[@]}"
	n=$(count "$sc" "${DEL[@]}")
	for i in $(fault_points "$n"); do
		ts "${ADD[@]}"
		rc=0
		out=$(straced -e trace="$sc" -e inject="$sc:error=$errno:when=$i" -- "${DEL[@]}" \
			2>&1 >/dev/null) || rc=$?
		INJECTED=$((INJECTED + 1))
		st=$(state)
		if [ "$errno" = EINTR ] && [ "$rc" != 0 ]; then
			fail "del $sc #$i $errno: not retried: $out"; bad=1
		elif ! one_line "$rc" "$out" "del $sc #$i $errno"; then
			bad=1
		elif [ "$rc" = 1 ] && [ "$st" != "1 1 256" ]; then
			fail "del $sc #$i $errno: failed ($out), but changed route/learner/flow table: $st"
			bad=1
		elif [ "$rc" = 0 ] && [ "$st" != "0 0 0" ]; then
			# The route went and what follows it failed: said in a
			# warning, finished by the next command of the table.
			if [[ $out != *"warning: the route is changed"* ]]; then
				fail "del $sc #$i $errno: exit 0, left $st without a warning"; bad=1
			fi
			ts route add 10.95.1.0/24 learn dev "$DEV" && ts route del 10.95.1.0/24
			[ "$(state)" = "0 0 0" ] ||
				{ fail "del $sc #$i $errno: not finished by the next commands: $(state)"; bad=1; }
		fi
		[ "$rc" = 1 ] && echo "# del $sc #$i $errno: $out ($st)"
		ts "${DEL[@]}" 2>/dev/null || true
	done
	if [ "$bad" = 0 ]; then ok "route del of a learn route: $sc: $n calls, $errno injected into $(fault_scope)"; fi
}

for sc in bpf sendto recvmsg; do
	sweep_add "$sc" EIO
	sweep_del "$sc" EIO
done
echo "# faults injected: $INJECTED"
check "the steering filter is the one attached first" test "$(steering_id)" = "$STEER"
done_testing
