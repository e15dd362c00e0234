#!/usr/bin/env bash
# Faults during attach mode tcx never cost the working attachment (root),
# proven by traffic in the steering topology (route_topo.sh). For every
# bpf() call of three kinds of tcx attach, strace injects EIO into that one
# call:
# - a replace in place (tcsteer's link runs the built-in program, the
#   attach brings steer_alt.o: BPF_LINK_UPDATE);
# - a move (a new link at another place, then the old one goes);
# - a switch from clsact (a new link, then the filter goes).
# Each must end in exit 0 with the new program running, or exit 1 with one
# `tcsteer: ` line; either way tcsteer has exactly one attachment on the
# hook (one tcx link, or one filter where the switch failed before its
# link), it steers, and no temporary pin (`*_new`) is left. A failure after
# the new attachment is in place may leave the previous one behind, in
# which case the message says so and the next attach removes it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
need_tool strace
: "${TCSTEER_TCX_FOREIGN:?TCSTEER_TCX_FOREIGN must point at tcx_foreign (ctest sets it)}"
ALT=$TCSTEER_BUILD/tests/integration/steer_alt.o
WORK=$(mktemp -d)
PIN="/sys/fs/bpf/${T_ID}_next"
trap 'rm -f "$PIN"; rm -rf "$WORK"; cleanup_netns' EXIT

steer_topology
resolve_neighbours
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"
# state: "<tcx links of tcsteer's>/<its clsact filters>/<its program ids>".
state() { ts -j show dev "$DEV_A" 2>/dev/null | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin) if x["tcsteer"] and x["hook"] == "egress"]
print("%d/%d/%s" % (sum(x["mode"] == "tcx" for x in e), sum(x["mode"] == "clsact" for x in e),
                    ",".join(str(x["prog_id"]) for x in e)))'; }
leftover_pins() { find "$STATE" -name '*_new' | wc -l; }
steers() { pings 2 "$SRC4_HOST" && [ "$(echos "$Q" 4)" -ge $(($1 + 2)) ]; }

out=$(ts attach dev "$DEV_A" mode tcx 2>&1) || {
	if grep -q "no tcx" <<<"$out"; then
		echo "SKIP $T_NAME: $out"
		exit 77
	fi
	fail "attach mode tcx: $out"
}
ts route add "$SRC4_HOST/32" via "$NH_Q4" dev "$DEV_B"
STATE=$(dirname "$(table_pins "$DEV_A")")
arrives "baseline: steered" 3 "$SRC4_HOST" "$Q"
in_ns "$H" "$TCSTEER_TCX_FOREIGN" attach "$DEV_A" egress next "$PIN" name tf_next >/dev/null

INJECTED=0 LEFT=0
# sweep NAME SETUP -- ATTACH ARGS: for each bpf() call of `attach ARGS`
# (counted once), SETUP brings the hook to its start, then that call fails.
sweep() {
	local name=$1 setup=$2 n i rc out want bad=0 now before
	shift 3
	$setup
	in_ns "$H" env "$NOLEAK" strace -qq -o "$WORK/trace" -e trace=bpf "$TCSTEER" "$@" 2>/dev/null
	n=$(grep -c '^bpf(' "$WORK/trace")
	for i in $(fault_points "$n"); do
		$setup
		before=$(state)
		rc=0 left=no
		out=$(in_ns "$H" env "$NOLEAK" strace -qq -o /dev/null -e trace=bpf \
			-e inject=bpf:error=EIO:when=$i "$TCSTEER" "$@" 2>&1 >/dev/null) || rc=$?
		INJECTED=$((INJECTED + 1))
		if [ "$rc" = 1 ] && [[ $out == *"previous attachment could not be removed yet"* ]]; then
			LEFT=$((LEFT + 1)) left=yes
			echo "# $name bpf #$i: left the previous attachment: $out"
			ts attach dev "$DEV_A" mode tcx object "$ALT" 2>/dev/null || true
		fi
		now=$(state)
		# Failed before its link was in place: the filter it started from.
		want="1/0/"
		[ "$rc" != 0 ] && [ "$left" = no ] && [ "${before%%/*}" = 0 ] && want="0/1/"
		if [ "$rc" = 0 ] && [ "$now" = "$before" ]; then
			fail "$name bpf #$i: exit 0 but the new program is not attached ($now)"; bad=1
		elif [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
			fail "$name bpf #$i: exit $rc: $out"; bad=1
		elif [ "$rc" = 1 ] && { [ "$(grep -c . <<<"$out")" != 1 ] || [[ $out != "tcsteer: "* ]]; }; then
			fail "$name bpf #$i: expected one 'tcsteer: ' line, got: $out"; bad=1
		elif [[ $now != "$want"* ]]; then
			fail "$name bpf #$i (exit $rc: $out): one attachment expected ($want), got $now (was $before)"; bad=1
		elif [ "$rc" = 1 ] && [ "$left" = no ] && [ "$now" != "$before" ]; then
			fail "$name bpf #$i: failed ($out) but the hook changed: $before -> $now"; bad=1
		elif [ "$(leftover_pins)" != 0 ]; then
			fail "$name bpf #$i: a temporary pin was left"; bad=1
		elif ! steers "$(echos "$Q" 4)"; then
			fail "$name bpf #$i (exit $rc): not steering"; bad=1
		fi
		[ "$rc" = 1 ] && echo "# $name bpf #$i: $out"
	done
	[ "$bad" = 0 ] && ok "$name: $n bpf() calls, EIO injected into $(fault_scope)"
}
# The hook at each start: tcsteer's link first, running the built-in
# program (tf_next behind it); or tcsteer's clsact filter.
at_first() { ts attach dev "$DEV_A" mode tcx first 2>/dev/null; }
at_clsact() { ts attach dev "$DEV_A" mode clsact 2>/dev/null; }

sweep "replace in place" at_first -- attach dev "$DEV_A" mode tcx object "$ALT"
sweep "move to last" at_first -- attach dev "$DEV_A" mode tcx last object "$ALT"
sweep "switch from clsact" at_clsact -- attach dev "$DEV_A" mode tcx object "$ALT"
echo "# tcx fault sweep: $INJECTED faults injected, $LEFT left the previous attachment for the next attach"
in_ns "$H" "$TCSTEER_TCX_FOREIGN" detach "$PIN"
check "detach" ts detach dev "$DEV_A"
check "nothing of tcsteer's is left" test "$(state)" = "0/0/"
done_testing
