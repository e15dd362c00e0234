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
# - while shadowed, show and a re-run attach warn (exit 0, one line on
#   stderr, stdout unchanged), naming tcx, the program and the fix (mode
#   tcx); attaching with mode tcx (first by default) steers again, ahead
#   of the foreign program, and the warning goes; back to clsact, it comes
#   back;
# - detaching the foreign program restores steering.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
: "${TCSTEER_TCX_FOREIGN:?TCSTEER_TCX_FOREIGN must point at tcx_foreign (ctest sets it)}"

PIN="/sys/fs/bpf/${T_ID}_foreign"
WORK=$(mktemp -d)
trap 'rm -f "$PIN"; rm -rf "$WORK"; cleanup_netns' EXIT

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
fid=$(ts -j show dev "$DEV_A" 2>/dev/null | python3 -c '
import json, sys
print([e["prog_id"] for e in json.load(sys.stdin) if e["prog_name"] == "cil_to_netdev"][0])')
rc=0
show_err=$(ts show dev "$DEV_A" 2>&1 >"$WORK/show.out") || rc=$?
echo "# show while shadowed: $show_err"
check "show while shadowed: exit 0 ($rc)" test "$rc" = 0
check "show warns in one line, naming tcx, $fid (cil_to_netdev) and mode tcx" \
	grep -Eq "^tcsteer: warning: $DEV_A egress: tcx programs run before tcsteer's clsact filter.*: $fid \(cil_to_netdev\); attach with mode tcx" <<<"$show_err"
check "... exactly one line" test "$(grep -c . <<<"$show_err")" = 1
check "stdout lists the tcx program and the filter" \
	bash -c "grep -q '^$DEV_A egress tcx 1 prog cil_to_netdev id $fid ' $WORK/show.out &&
		grep -q '^$DEV_A egress prio .*\[tcsteer\]$' $WORK/show.out"
check "show -j: stdout stays JSON, the filter names what shadows it" \
	test "$(ts -j show dev "$DEV_A" 2>/dev/null | python3 -c '
import json, sys
print([(e["mode"], e.get("shadowed_by")) for e in json.load(sys.stdin) if e["tcsteer"]])')" = "[('clsact', [{'prog_id': $fid, 'prog_name': 'cil_to_netdev'}])]"
rc=0
attach_err=$(ts attach dev "$DEV_A" 2>&1 >/dev/null) || rc=$?
echo "# re-attach while shadowed: $attach_err"
check "re-run attach while shadowed: exit 0 ($rc)" test "$rc" = 0
check "attach warns the same way" \
	grep -Eq "^tcsteer: warning: $DEV_A egress: tcx .*$fid \(cil_to_netdev\).*mode tcx" <<<"$attach_err"
arrives "re-attaching in clsact mode does not help" 5 "$SRC4_HOST" "$P"
check "the fix: attach with mode tcx" ts attach dev "$DEV_A" mode tcx
arrives "steered again, first on the hook" 5 "$SRC4_HOST" "$Q"
check "no warning any more" test -z "$(ts show dev "$DEV_A" 2>&1 >/dev/null)"
check "back to clsact" ts attach dev "$DEV_A" mode clsact
arrives "shadowed again" 5 "$SRC4_HOST" "$P"
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
