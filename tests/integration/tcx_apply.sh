#!/usr/bin/env bash
# apply with mode tcx, and its rollback (root), with real packets in the
# steering topology (route_topo.sh). A line that fails while running (a
# route del of a route that does not exist) makes apply put every hook an
# earlier line touched back the way it ran, in its mode and place:
# - a file with mode tcx steers; applied twice, the second run changes
#   nothing;
# - a replace in the link rolls back to the same program in the same link;
# - a switch tcx -> clsact rolls back to tcx, the same program, at its
#   place among other tcx programs (after the one it followed);
# - a switch clsact -> tcx rolls back to clsact, the same program;
# - a detach of a tcx attachment rolls back to a link running the program;
# - a new tcx attach on an empty hook rolls back to nothing;
# - one file moving tcsteer's link twice on a hook works (the same loaded
#   program cannot be on a hook twice: a second instance is loaded).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
: "${TCSTEER_TCX_FOREIGN:?TCSTEER_TCX_FOREIGN must point at tcx_foreign (ctest sets it)}"
ALT=$TCSTEER_BUILD/tests/integration/steer_alt.o
WORK=$(mktemp -d)
PIN="/sys/fs/bpf/${T_ID}_next"
trap 'rm -f "$PIN"; rm -rf "$WORK"; cleanup_netns' EXIT

steer_topology
resolve_neighbours
foreign() { in_ns "$H" "$TCSTEER_TCX_FOREIGN" "$@"; }
# hook DEV: "mode:prog_id:link_id" of tcsteer's attachments on DEV egress
# ("" for none), and the tcx order as "t" (tcsteer) and "f" (foreign).
hook() { ts -j show dev "$1" 2>/dev/null | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin) if x["hook"] == "egress"]
print(" ".join("%s:%d:%d" % (x["mode"], x["prog_id"], x.get("link_id", 0)) for x in e if x["tcsteer"]),
      "".join("t" if x["tcsteer"] else "f" for x in e if x["mode"] == "tcx"))'; }
# applied_fails DESC FILE: apply FILE fails, naming the line that failed.
applied_fails() {
	local out rc=0
	out=$(ts apply "$2" 2>&1) || rc=$?
	if [ "$rc" = 1 ] && grep -q "^tcsteer: $2:[0-9]*: " <<<"$out"; then
		ok "$1 ($out)"
	else
		fail "$1: exit $rc: $out"
	fi
}
BAD="route del 192.0.2.99/32 table $DEV_A"

printf '%s\n' "attach dev $DEV_A egress mode tcx" \
	"route add $SRC4_HOST/32 via $NH_Q4 dev $DEV_B table $DEV_A" >"$WORK/steer.conf"
out=$(ts apply "$WORK/steer.conf" 2>&1) || {
	if grep -q "no tcx" <<<"$out"; then
		echo "SKIP $T_NAME: $out"
		exit 77
	fi
	fail "apply: $out"
}
arrives "apply with mode tcx steers" 5 "$SRC4_HOST" "$Q"
was=$(hook "$DEV_A")
check "tcsteer runs in a tcx link ($was)" grep -Eq '^tcx:[0-9]+:[1-9][0-9]* t$' <<<"$was"
check "apply the same file again" ts apply "$WORK/steer.conf"
check "nothing changed" test "$(hook "$DEV_A")" = "$was"

# A replace in the link, then a failure: the same program in the same link.
printf '%s\n' "attach dev $DEV_A mode tcx object $ALT" "$BAD" >"$WORK/replace.conf"
applied_fails "a replace, then a failing line" "$WORK/replace.conf"
check "rolled back: same program, same link ($(hook "$DEV_A"))" test "$(hook "$DEV_A")" = "$was"
arrives "steered after the rollback" 3 "$SRC4_HOST" "$Q"

# tcx -> clsact, then a failure: back in tcx, after the program it followed.
foreign attach "$DEV_A" egress next "$PIN" first name tf_next >/dev/null
fid=$(ts -j show dev "$DEV_A" | python3 -c '
import json, sys; print([x["prog_id"] for x in json.load(sys.stdin) if x["prog_name"] == "tf_next"][0])')
check "attach mode tcx after $fid (a TCX_NEXT program)" ts attach dev "$DEV_A" mode tcx after "$fid"
was=$(hook "$DEV_A")
check "order: tf_next, tcsteer ($was)" grep -q ' ft$' <<<"$was"
arrives "steered behind a TCX_NEXT program" 3 "$SRC4_HOST" "$Q"
printf '%s\n' "attach dev $DEV_A mode clsact" "$BAD" >"$WORK/switch.conf"
applied_fails "a switch to clsact, then a failing line" "$WORK/switch.conf"
now=$(hook "$DEV_A")
check "rolled back to tcx, the same program, after tf_next ($was -> $now)" \
	test "${now%%:*}:$(cut -d: -f2 <<<"$now") ${now##* }" = "tcx:$(cut -d: -f2 <<<"$was") ft"
check "no clsact filter is left" \
	test "$(in_ns "$H" tc filter show dev "$DEV_A" egress | grep -c 'handle 0x' || true)" = 0
arrives "steered after the rollback" 3 "$SRC4_HOST" "$Q"
foreign detach "$PIN"

# A detach, then a failure: the link is back.
was=$(hook "$DEV_A")
printf '%s\n' "detach dev $DEV_A" "$BAD" >"$WORK/detach.conf"
applied_fails "a detach, then a failing line" "$WORK/detach.conf"
now=$(hook "$DEV_A")
check "rolled back to tcx, the same program ($was -> $now)" \
	test "$(cut -d: -f1,2 <<<"$now")" = "$(cut -d: -f1,2 <<<"$was")"
arrives "steered after the rollback" 3 "$SRC4_HOST" "$Q"

# clsact -> tcx, then a failure: back to the clsact filter.
check "switch to clsact" ts attach dev "$DEV_A" mode clsact
was=$(hook "$DEV_A")
check "clsact ($was)" grep -Eq '^clsact:[0-9]+:0 $' <<<"$was"
printf '%s\n' "attach dev $DEV_A mode tcx" "$BAD" >"$WORK/totcx.conf"
applied_fails "a switch to tcx, then a failing line" "$WORK/totcx.conf"
check "rolled back to the same clsact filter's program, no link ($(hook "$DEV_A"))" \
	test "$(hook "$DEV_A" | cut -d: -f1,2)" = "$(cut -d: -f1,2 <<<"$was")"
arrives "steered after the rollback" 3 "$SRC4_HOST" "$Q"

# A new tcx attach on a hook without tcsteer, then a failure: nothing.
printf '%s\n' "attach dev $DEV_C mode tcx" "$BAD" >"$WORK/new.conf"
applied_fails "a new tcx attach, then a failing line" "$WORK/new.conf"
check "$DEV_C has nothing of tcsteer's ($(hook "$DEV_C"))" test "$(hook "$DEV_C")" = " "

# Moving the link twice in one file: a foreign program to move around.
foreign attach "$DEV_A" egress next "$PIN" name tf_next >/dev/null
printf '%s\n' "attach dev $DEV_A mode tcx first" "attach dev $DEV_A mode tcx last" \
	"attach dev $DEV_A mode tcx first" >"$WORK/moves.conf"
check "one file moves tcsteer's link first, last, first" ts apply "$WORK/moves.conf"
now=$(hook "$DEV_A")
check "one tcx attachment of tcsteer's, first ($now)" grep -Eq '^tcx:[0-9]+:[0-9]+ tf$' <<<"$now"
arrives "steered" 3 "$SRC4_HOST" "$Q"
foreign detach "$PIN"
check "detach" ts detach dev "$DEV_A"
done_testing
