#!/usr/bin/env bash
# DRAFT for the integrator (issue 11): `tcsteer attach ... mode tcx` end to
# end, written against the CLI proposed in docs/tcx-notes.md ("A proposal
# for the CLI"). Not registered in ctest: the commands it drives do not
# exist yet. Adapt the keywords and JSON fields to what gets wired, then
# register it next to tcx_shadow:
#   tcsteer_shell_test(tcx_cli tcx_cli.sh ROOT TIMEOUT 180)
#
# Real packets in the steering topology (route_topo.sh), tcx_foreign as
# the other tool, bpftool and tc as independent witnesses:
# - attach mode tcx steers; the link stays after the process exits; show
#   lists it as tcx and tcsteer's; tc sees no clsact filter;
# - attaching the same program again changes nothing (same link, same
#   program); another program replaces it in the same link, under a ping
#   flood that loses no packet;
# - a foreign TCX_PASS program placed first shadows it: show warns, naming
#   tcx and the program; `attach ... mode tcx first` puts tcsteer ahead
#   again and the warning goes; one placed last does not shadow it;
# - before/after ID place it relative to a program id from show;
# - switching mode clsact <-> tcx keeps steering (make before break);
# - --dry-run prints the BPF_LINK_CREATE it would make and makes nothing;
# - detach removes the link; steering stops.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
: "${TCSTEER_TCX_FOREIGN:?}"
ALT=$TCSTEER_BUILD/tests/integration/steer_alt.o

PINS="/sys/fs/bpf/${T_ID}_f"
trap 'rm -f "$PINS"_*; cleanup_netns' EXIT

steer_topology
resolve_neighbours
foreign() { in_ns "$H" "$TCSTEER_TCX_FOREIGN" "$@"; }

# tcx_entries: "position:prog_id:link_id:tcsteer" for DEV_A egress, in order.
tcx_entries() { ts -j show dev "$DEV_A" | python3 -c '
import json, sys
print(" ".join("%d:%d:%d:%s" % (e["position"], e["prog_id"], e["link_id"], e["tcsteer"])
               for e in json.load(sys.stdin)
               if e["mode"] == "tcx" and e["hook"] == "egress"))'; }
our_link() { ts -j show dev "$DEV_A" | python3 -c '
import json, sys
print([e["link_id"] for e in json.load(sys.stdin) if e["mode"] == "tcx" and e["tcsteer"]][0])'; }
our_prog() { ts -j show dev "$DEV_A" | python3 -c '
import json, sys
print([e["prog_id"] for e in json.load(sys.stdin) if e["mode"] == "tcx" and e["tcsteer"]][0])'; }

out=$(ts attach dev "$DEV_A" mode tcx 2>&1) || {
	if grep -q "no tcx" <<<"$out"; then
		echo "SKIP $T_NAME: $out"
		exit 77
	fi
	fail "attach mode tcx: $out"
}
check "route add" ts route add "$SRC4_HOST/32" via "$NH_Q4" dev "$DEV_B"
arrives "mode tcx steers to Q" 5 "$SRC4_HOST" "$Q"
arrives "an unrouted source keeps the default path" 3 "$SRC4_NONE" "$P"

link=$(our_link)
prog=$(our_prog)
check "the link outlived attach: bpftool sees link $link (type 11, prog $prog)" \
	bash -c "bpftool -j link show id $link | grep -q '\"type\":11,\"prog_id\":$prog'"
check "show lists it as tcx, position 1, tcsteer's" \
	bash -c "ts() { nsenter --net=/run/netns/$H $TCSTEER \"\$@\"; }; ts show dev $DEV_A | grep -Eq '^$DEV_A egress tcx .*id $prog .*link $link .*\\[tcsteer\\]'"
check "tc sees no clsact filter" \
	bash -c "! ip netns exec $H tc filter show dev $DEV_A egress | grep -q bpf"

check "attach the same program again" ts attach dev "$DEV_A" mode tcx
check "same link, same program" test "$(our_link):$(our_prog)" = "$link:$prog"

# Replace under traffic: 400 echo requests at 10 ms while the program is
# swapped 10 times; every one must arrive in Q and be answered.
was=$(echos "$Q" 4)
in_ns "$H" ping -4 -q -n -c 400 -i 0.01 -W 1 -I "$SRC4_HOST" "$DST4" >/dev/null &
flood=$!
for i in 1 2 3 4 5; do
	ts attach dev "$DEV_A" mode tcx object "$ALT" || fail "replace $i (alt)"
	ts attach dev "$DEV_A" mode tcx || fail "replace $i (built-in)"
done
rc=0
wait "$flood" || rc=$?
now=$(echos "$Q" 4)
check "10 replaces under a ping flood: all 400 arrived in Q (got $((now - was))), all answered (ping exit $rc)" \
	test "$((now - was)):$rc" = "400:0"
check "replaces kept the link" test "$(our_link)" = "$link"

# A foreign TCX_PASS program first shadows us; show says so and how to fix.
foreign attach "$DEV_A" egress pass "${PINS}_pass" first name cil_to_netdev >/dev/null
fid=$(ts -j show dev "$DEV_A" | python3 -c '
import json, sys
print([e["prog_id"] for e in json.load(sys.stdin) if e.get("prog_name") == "cil_to_netdev"][0])')
arrives "shadowed by a tcx program placed first: default path" 3 "$SRC4_HOST" "$P"
warn=$(ts show dev "$DEV_A" 2>&1 >/dev/null)
check "show warns, naming tcx and $fid (cil_to_netdev) and the fix ($warn)" \
	bash -c "grep -Eq 'warning: .*tcx.*$fid \\(cil_to_netdev\\).*(first|before)' <<<'$warn'"
check "-j show marks the shadowing program" \
	bash -c "ts() { nsenter --net=/run/netns/$H $TCSTEER \"\$@\"; }; ts -j show dev $DEV_A 2>/dev/null | grep -q '\"shadowed_by\"'"
check "attach mode tcx first moves tcsteer ahead" ts attach dev "$DEV_A" mode tcx first
arrives "steered again from position 1" 3 "$SRC4_HOST" "$Q"
check "no warning once tcsteer runs first" \
	test -z "$(ts show dev "$DEV_A" 2>&1 >/dev/null)"
foreign detach "${PINS}_pass"

# One placed last runs after us: no shadow, no warning.
foreign attach "$DEV_A" egress pass "${PINS}_last" name tf_last >/dev/null
arrives "a tcx program after tcsteer's does not shadow it" 3 "$SRC4_HOST" "$Q"
check "no warning for a program after ours" \
	test -z "$(ts show dev "$DEV_A" 2>&1 >/dev/null)"
lid=$(ts -j show dev "$DEV_A" | python3 -c '
import json, sys
print([e["prog_id"] for e in json.load(sys.stdin) if e.get("prog_name") == "tf_last"][0])')
check "attach mode tcx after $lid" ts attach dev "$DEV_A" mode tcx after "$lid"
check "order is now tf_last, tcsteer" \
	bash -c "[[ '$(tcx_entries)' =~ ^1:$lid:[0-9]+:False\ 2:[0-9]+:[0-9]+:True$ ]]"
arrives "behind a TCX_PASS program: shadowed" 3 "$SRC4_HOST" "$P"
check "attach mode tcx before $lid" ts attach dev "$DEV_A" mode tcx before "$lid"
arrives "before it: steered" 3 "$SRC4_HOST" "$Q"
foreign detach "${PINS}_last"
expect_error "before an id that is not on the hook" "no program with id 4000000000 on $DEV_A egress" \
	ts attach dev "$DEV_A" mode tcx before 4000000000
expect_error "before/after need mode tcx" "mode tcx" \
	ts attach dev "$DEV_A" before "$lid"

# Mode switches keep steering: the new attachment comes first, then the
# old one goes.
check "switch to clsact" ts attach dev "$DEV_A" mode clsact
arrives "clsact steers" 3 "$SRC4_HOST" "$Q"
check "the tcx link is gone after the switch" \
	bash -c "! bpftool link show id $link >/dev/null 2>&1"
check "switch back to tcx" ts attach dev "$DEV_A" mode tcx
check "the clsact filter is gone after the switch back" \
	bash -c "! ip netns exec $H tc filter show dev $DEV_A egress | grep -q bpf"
arrives "tcx steers again" 3 "$SRC4_HOST" "$Q"

# --dry-run: the call it would make, nothing made.
before=$(tcx_entries)
dry=$(ts --dry-run attach dev "$DEV_A" ingress mode tcx)
check "dry run prints BPF_LINK_CREATE for ingress (46)" \
	grep -q "BPF_LINK_CREATE.*attach_type 46 (BPF_TCX_INGRESS)" <<<"$dry"
check "dry run changed nothing" test "$(tcx_entries)" = "$before"

link=$(our_link)
check "detach" ts detach dev "$DEV_A"
check "detach removed the link" bash -c "! bpftool link show id $link >/dev/null 2>&1"
arrives "no steering after detach" 3 "$SRC4_HOST" "$P"
done_testing
