#!/usr/bin/env bash
# A foreign TCX program on the hook of tcsteer's clsact filter (issue 11),
# with real packets in the steering topology (route_topo.sh): H pings from
# a steered source; the echo counters of P (default path) and Q (the
# route's next hop) say where each packet went.
# - tcsteer steers (clsact, the default mode);
# - a tcx program returning TCX_PASS on the same egress hook ends the hook:
#   the filter never runs, every packet takes the default path to P;
# - one returning TCX_NEXT lets the filter run: steered again;
# - one returning TCX_DROP: nothing arrives anywhere;
# - detaching the foreign program restores steering; show and a re-run
#   attach still work (exit 0) while the hook is shadowed.
# The checks of the shadow warning itself go where marked once `show` and
# `attach` print it (issue 11).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
: "${TCSTEER_TCX_FOREIGN:?TCSTEER_TCX_FOREIGN must point at tcx_foreign (ctest sets it)}"

PIN="/sys/fs/bpf/${T_ID}_foreign"
trap 'rm -f "$PIN"; cleanup_netns' EXIT

steer_topology
resolve_neighbours
foreign() { in_ns "$H" "$TCSTEER_TCX_FOREIGN" "$@"; }

check "attach (clsact)" ts attach dev "$DEV_A"
check "route add" ts route add "$SRC4_HOST/32" via "$NH_Q4" dev "$DEV_B"
arrives "steered to Q" 5 "$SRC4_HOST" "$Q"

rc=0
foreign attach "$DEV_A" egress pass "$PIN" name cil_to_netdev >/dev/null || rc=$?
if [ "$rc" = 77 ]; then
	echo "SKIP $T_NAME: no tcx on this kernel"
	exit 77
fi
check "foreign tcx program attached" test "$rc" = 0
arrives "shadowed by TCX_PASS: the default path to P" 5 "$SRC4_HOST" "$P"
show_out=$(ts show dev "$DEV_A" 2>&1) || fail "show while shadowed: exit $?"
echo "# show while shadowed: $show_out"
attach_out=$(ts attach dev "$DEV_A" 2>&1) || fail "re-attach while shadowed: exit $?"
echo "# re-attach while shadowed: $attach_out"
# Issue 11: here `show` and `attach` must warn, naming tcx and the program
# (id, name) and the fix, e.g.
#   grep -q "tcx.*[0-9]* (cil_to_netdev).*mode tcx" <<<"$show_out"
arrives "re-attaching in clsact mode does not help" 5 "$SRC4_HOST" "$P"
check "foreign detach" foreign detach "$PIN"
arrives "steered again once the foreign program is gone" 5 "$SRC4_HOST" "$Q"

foreign attach "$DEV_A" egress next "$PIN" name tf_next >/dev/null
arrives "TCX_NEXT goes on to the clsact filter: steered" 5 "$SRC4_HOST" "$Q"
foreign detach "$PIN"

foreign attach "$DEV_A" egress drop "$PIN" name tf_drop >/dev/null
read -ra was <<<"$(where 4)"
check_fails "TCX_DROP: no answer" pings 3 "$SRC4_HOST"
read -ra now <<<"$(where 4)"
check "TCX_DROP: nothing arrived in P, Q or R" test "${was[*]}" = "${now[*]}"
foreign detach "$PIN"
arrives "steered after the drop is gone" 5 "$SRC4_HOST" "$Q"

check "detach" ts detach dev "$DEV_A"
done_testing
