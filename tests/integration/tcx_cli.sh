#!/usr/bin/env bash
# `tcsteer attach ... mode tcx` end to end (issue 11, root), with real
# packets in the steering topology (route_topo.sh), tcx_foreign as another
# tool's tcx program, bpftool and tc as independent witnesses:
# - mode tcx steers; the link stays after the process exits; show lists it
#   as tcx and tcsteer's (-j: mode, position, link_id); tc sees no filter;
# - the same program again is a no-op (same link, same program), also
#   without `mode` (the hook's mode is kept); another program replaces it
#   in the same link, under a UDP stream that loses no datagram (counted);
# - switches clsact <-> tcx under the same stream lose nothing either, and
#   leave one attachment;
# - a foreign TCX_PASS program placed first shadows it: show and attach
#   warn (one line, stderr; stdout stays JSON), naming tcx, the program and
#   the fix; `mode tcx first` puts tcsteer ahead again; before/after ID;
# - route commands find the table through the tcx program when its pins
#   are gone, and count what it steers;
# - --dry-run prints what it would do (BPF_LINK_CREATE / BPF_LINK_UPDATE);
# - a kernel without tcx (its EINVAL injected by strace into the probe):
#   one line, exit 1, nothing changed;
# - detach removes the link and its record; steering stops.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
: "${TCSTEER_TCX_FOREIGN:?TCSTEER_TCX_FOREIGN must point at tcx_foreign (ctest sets it)}"
ALT=$TCSTEER_BUILD/tests/integration/steer_alt.o
WORK=$(mktemp -d)
PINS="/sys/fs/bpf/${T_ID}_f"
trap 'stream_stop; rm -f "$PINS"_*; rm -rf "$WORK"; cleanup_netns' EXIT

steer_topology
resolve_neighbours
foreign() { in_ns "$H" "$TCSTEER_TCX_FOREIGN" "$@"; }
# jq_show PYEXPR: PYEXPR over `show -j dev $DEV_A` as e (the entries).
jq_show() { ts -j show dev "$DEV_A" 2>/dev/null | python3 -c "
import json, sys
e = json.load(sys.stdin)
print($1)"; }
# tcx_entries: "position:prog_id:tcsteer" of $DEV_A egress's tcx programs.
tcx_entries() { jq_show '" ".join("%d:%d:%s" % (x["position"], x["prog_id"], x["tcsteer"]) for x in e if x["mode"] == "tcx" and x["hook"] == "egress")'; }
our_link() { jq_show '" ".join(str(x["link_id"]) for x in e if x["mode"] == "tcx" and x["tcsteer"])'; }
our_prog() { jq_show '" ".join(str(x["prog_id"]) for x in e if x["tcsteer"])'; }
prog_named() { jq_show "[x['prog_id'] for x in e if x['prog_name'] == '$1'][0]"; }
nclsact() { in_ns "$H" tc filter show dev "$DEV_A" egress | grep -c ' bpf .*handle 0x' || true; }
link_alive() { bpftool link show id "$1" >/dev/null 2>&1; }
warning_of() { "$@" 2>&1 >/dev/null | grep 'warning' || true; }
# eventually DESC CMD...: CMD succeeds within 10 s (links and programs are
# freed from work queues after the last reference goes).
eventually() {
	local desc=$1 i
	shift
	for ((i = 0; i < 100; i++)); do
		if "$@"; then ok "$desc"; return; fi
		sleep 0.1
	done
	fail "$desc"
}

# ---- attach, keep, show -------------------------------------------------------
out=$(ts attach dev "$DEV_A" mode tcx 2>&1) || {
	if grep -q "no tcx" <<<"$out"; then
		echo "SKIP $T_NAME: $out"
		exit 77
	fi
	fail "attach mode tcx: $out"
}
check "attach mode tcx is silent" test -z "$out"
check "route add" ts route add "$SRC4_HOST/32" via "$NH_Q4" dev "$DEV_B"
arrives "mode tcx steers to Q" 5 "$SRC4_HOST" "$Q"
arrives "an unrouted source keeps the default path" 3 "$SRC4_NONE" "$P"
arrives "IPv6 too (no IPv6 route: default path)" 3 "$SRC6_HOST" "$P"

link=$(our_link)
prog=$(our_prog)
check "the link outlived attach: bpftool sees link $link (tcx = type 11) running $prog" \
	bash -c "bpftool -j link show id $link | grep -q '\"type\":11,\"prog_id\":$prog'"
check "show: '$DEV_A egress tcx 1 prog steer id $prog tag ... link $link [tcsteer]'" \
	grep -Eq "^$DEV_A egress tcx 1 prog steer id $prog tag [0-9a-f]{16} link $link \[tcsteer\]$" \
	<<<"$(ts show dev "$DEV_A")"
check "-j: mode tcx, position 1, link_id, tcsteer" \
	test "$(jq_show '[(x["mode"], x["position"], x["link_id"], x["tcsteer"]) for x in e]')" = "[('tcx', 1, $link, True)]"
check "tc sees no clsact filter" test "$(nclsact)" = 0
check "show of every device lists it too" bash -c "nsenter --net=/run/netns/$H $TCSTEER show | grep -q '^$DEV_A egress tcx 1 .*\[tcsteer\]'"

check "attach the same program again" ts attach dev "$DEV_A" mode tcx
check "same link, same program" test "$(our_link):$(our_prog)" = "$link:$prog"
check "attach without mode keeps the hook's mode" ts attach dev "$DEV_A"
check "still the same link and program, no clsact filter" \
	test "$(our_link):$(our_prog):$(nclsact)" = "$link:$prog:0"
check "another program without mode: replaced in the same link" ts attach dev "$DEV_A" object "$ALT"
check "same link $link, another program" \
	bash -c "[ '$(our_link)' = $link ] && [ '$(our_prog)' != $prog ] && [ $(nclsact) = 0 ]"
arrives "steered by the replacement" 3 "$SRC4_HOST" "$Q"

# ---- replace under traffic -------------------------------------------------------
# 3000 datagrams at 1 ms to a port Q listens on; the program is swapped
# (built-in, steer_alt.o, ...) as fast as tcsteer goes meanwhile. Every
# datagram must arrive in Q, by the steered path.
COUNT=3000
stream_start "$WORK/s1" "$Q" "${T_ID}qb" "$H" "$SRC4_HOST" "$DST4" "$COUNT" 0.001
replaced=0 failures=0
while kill -0 "$STREAM_SENDER" 2>/dev/null; do
	ts attach dev "$DEV_A" mode tcx || failures=$((failures + 1))
	ts attach dev "$DEV_A" mode tcx object "$ALT" || failures=$((failures + 1))
	replaced=$((replaced + 2))
done
stream_wait
echo "# replace under traffic: $(cat "$WORK/s1") during $replaced replacements"
check "no attach failed ($failures)" test "$failures" = 0
check "at least 10 replacements ($replaced)" test "$replaced" -ge 10
check "no datagram lost while replacing ($(stream_field "$WORK/s1" lost) of $COUNT)" \
	test "$(stream_field "$WORK/s1" lost)" = 0
check "every one steered ($(stream_field "$WORK/s1" steered) of $COUNT)" \
	test "$(stream_field "$WORK/s1" steered)" = "$COUNT"
check "the replacements kept the link" test "$(our_link)" = "$link"

# ---- mode switches under traffic ------------------------------------------------
stream_start "$WORK/s2" "$Q" "${T_ID}qb" "$H" "$SRC4_HOST" "$DST4" "$COUNT" 0.001
switched=0 failures=0 shapes=ok links=()
while kill -0 "$STREAM_SENDER" 2>/dev/null; do
	ts attach dev "$DEV_A" mode clsact || failures=$((failures + 1))
	[ "$(nclsact):$(our_link)" = 1: ] || shapes="after clsact: $(nclsact) filters, link '$(our_link)'"
	ts attach dev "$DEV_A" mode tcx || failures=$((failures + 1))
	l=$(our_link)
	links+=("$l")
	[ "$(nclsact)" = 0 ] && [ -n "$l" ] || shapes="after tcx: $(nclsact) filters, link '$l'"
	switched=$((switched + 2))
done
stream_wait
echo "# mode switches under traffic: $(cat "$WORK/s2") during $switched switches"
check "no switch failed ($failures), each left one attachment ($shapes)" \
	test "$failures:$shapes" = 0:ok
check "at least 4 switches ($switched)" test "$switched" -ge 4
check "no datagram lost while switching ($(stream_field "$WORK/s2" lost) of $COUNT)" \
	test "$(stream_field "$WORK/s2" lost)" = 0
check "every one steered ($(stream_field "$WORK/s2" steered) of $COUNT)" \
	test "$(stream_field "$WORK/s2" steered)" = "$COUNT"
alive_links() { local l n=0; for l in "$@"; do link_alive "$l" && n=$((n + 1)); done; echo "$n"; }
eventually "of the ${#links[@]} links the switches made, only the last is left" \
	test "$(alive_links "${links[@]}")" = 1
check "... and it is the hook's" test "$(our_link)" = "${links[-1]}"

# ---- shadowing -------------------------------------------------------------------
# A foreign TCX_PASS program placed first, as a tool that attaches at the
# head would: it ends the hook before tcsteer's program.
foreign attach "$DEV_A" egress pass "${PINS}_pass" first name cil_to_netdev >/dev/null
fid=$(prog_named cil_to_netdev)
arrives "shadowed by a tcx program placed first: default path" 3 "$SRC4_HOST" "$P"
warn=$(warning_of ts show dev "$DEV_A")
check "show warns in one line, naming tcx, $fid (cil_to_netdev) and the fix: $warn" \
	grep -Eq "^tcsteer: warning: $DEV_A egress: tcx .*$fid \(cil_to_netdev\).*mode tcx first \(or before $fid\)" <<<"$warn"
check "... one line" test "$(grep -c . <<<"$warn")" = 1
check "-j show: stdout stays JSON and marks what shadows tcsteer" \
	test "$(jq_show '[x.get("shadowed_by") for x in e if x["tcsteer"]]')" = "[[{'prog_id': $fid, 'prog_name': 'cil_to_netdev'}]]"
warn=$(warning_of ts attach dev "$DEV_A" mode tcx)
check "a re-run attach (in place) warns too: $warn" \
	grep -Eq "^tcsteer: warning: $DEV_A egress: tcx .*$fid \(cil_to_netdev\)" <<<"$warn"
arrives "still shadowed: the attach kept its place" 3 "$SRC4_HOST" "$P"
warn=$(warning_of ts attach dev "$DEV_A" mode tcx first)
check "attach mode tcx first moves tcsteer ahead, without a warning" test -z "$warn"
check "order: tcsteer, cil_to_netdev" \
	bash -c "[[ '$(tcx_entries)' =~ ^1:[0-9]+:True\ 2:$fid:False$ ]]"
arrives "steered again from position 1" 3 "$SRC4_HOST" "$Q"
check "no warning from show either" test -z "$(warning_of ts show dev "$DEV_A")"
foreign detach "${PINS}_pass"

# One placed last runs after tcsteer's: no shadow, no warning.
foreign attach "$DEV_A" egress pass "${PINS}_last" name tf_last >/dev/null
lid=$(prog_named tf_last)
arrives "a tcx program after tcsteer's does not shadow it" 3 "$SRC4_HOST" "$Q"
check "no warning for a program after ours" test -z "$(warning_of ts show dev "$DEV_A")"
warn=$(warning_of ts attach dev "$DEV_A" mode tcx after "$lid")
check "attach mode tcx after $lid: warns that $lid runs first" \
	grep -q "$lid (tf_last)" <<<"$warn"
check "order is now tf_last, tcsteer" \
	bash -c "[[ '$(tcx_entries)' =~ ^1:$lid:False\ 2:[0-9]+:True$ ]]"
arrives "behind a TCX_PASS program: shadowed" 3 "$SRC4_HOST" "$P"
check "attach mode tcx before $lid" ts attach dev "$DEV_A" mode tcx before "$lid"
check "order is now tcsteer, tf_last" \
	bash -c "[[ '$(tcx_entries)' =~ ^1:[0-9]+:True\ 2:$lid:False$ ]]"
arrives "before it: steered" 3 "$SRC4_HOST" "$Q"
warn=$(warning_of ts attach dev "$DEV_A" mode tcx last)
check "mode tcx last (behind tf_last: a warning)" grep -q "$lid (tf_last)" <<<"$warn"
check "order is now tf_last, tcsteer" \
	bash -c "[[ '$(tcx_entries)' =~ ^1:$lid:False\ 2:[0-9]+:True$ ]]"
check "mode tcx first" ts attach dev "$DEV_A" mode tcx first
foreign detach "${PINS}_last"
expect_error "before an id that is not on the hook" \
	"^tcsteer: cannot attach to $DEV_A egress with tcx: no program with id 4000000000 on $DEV_A egress$" \
	ts attach dev "$DEV_A" mode tcx before 4000000000
ours_id=$(our_prog)
expect_error "before tcsteer's own program" "tcsteer's own program" \
	ts attach dev "$DEV_A" mode tcx after "$ours_id"
expect_error "a place needs mode tcx" "first, last, before and after need mode tcx" \
	ts attach dev "$DEV_A" first
expect_error "mode takes clsact or tcx" "\"mode\" takes clsact or tcx, not \"xdp\"" \
	ts attach dev "$DEV_A" mode xdp
rc=0; ts attach dev "$DEV_A" mode xdp 2>/dev/null || rc=$?
check "a bad word is a usage error (exit 2)" test "$rc" = 2
check "the refusals changed nothing" test "$(our_prog)" = "$ours_id"

# ---- route commands through the tcx program ------------------------------------
TPINS=$(table_pins "$DEV_A")
check "the table is pinned ($TPINS)" test -d "$TPINS"
rm -rf "$TPINS"
check "route show finds the table through the tcx program" \
	test "$(ts route show)" = "$SRC4_HOST/32 via $NH_Q4 dev $DEV_B"
check "route add finds it too" ts route add "$SRC4_NET/32" via "$NH_R4" dev "$DEV_C"
check "and pins it again" test -d "$TPINS"
arrives "the new route steers to R" 3 "$SRC4_NET" "$R"
before=$(ts route show -s | awk -v p="$SRC4_HOST/32" '$1 == p { print $(NF - 2) }')
pings 4 "$SRC4_HOST" || true
after=$(ts route show -s | awk -v p="$SRC4_HOST/32" '$1 == p { print $(NF - 2) }')
check "route show -s counts what the tcx program steered ($before -> $after)" \
	test "$after" -ge $((before + 4))

# ---- --dry-run ---------------------------------------------------------------
before=$(tcx_entries):$(our_link)
dry=$(ts --dry-run attach dev "$DEV_A" ingress mode tcx)
check "dry run of a new link prints BPF_LINK_CREATE for ingress (46), first" \
	grep -q "^bpf(BPF_LINK_CREATE) prog_fd 0 target_ifindex [0-9]* attach_type 46 (BPF_TCX_INGRESS) flags 0x8 (BPF_F_BEFORE)" <<<"$dry"
dry=$(ts --dry-run attach dev "$DEV_A" object "$ALT")
check "dry run of a replace (no mode: the hook's) prints BPF_LINK_UPDATE on link $(our_link)" \
	grep -q "^bpf(BPF_LINK_UPDATE) link_id $(our_link) " <<<"$dry"
check "the dry runs changed nothing" test "$(tcx_entries):$(our_link)" = "$before"

# ---- a kernel without tcx ---------------------------------------------------------
# Linux 6.1 answers EINVAL to BPF_PROG_QUERY with a tcx attach type (see
# docs/design.md, "TCX"): strace makes the probe, the first bpf() call of
# attach mode tcx, get that answer.
first_bpf=$(in_ns "$H" env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" strace -qq -e trace=bpf -o "$WORK/trace" "$TCSTEER" --dry-run \
	attach dev "$DEV_C" mode tcx >/dev/null 2>&1; head -1 "$WORK/trace" | cut -d, -f1)
check "the probe is the first bpf() call ($first_bpf)" test "$first_bpf" = "bpf(BPF_PROG_QUERY"
notcx() { in_ns "$H" env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" strace -qq -o /dev/null \
	-e trace=bpf -e inject=bpf:error=EINVAL:when=1 "$TCSTEER" "$@"; }
before=$(ts show dev "$DEV_C")
expect_error "no tcx: one line, and what to do" \
	"^tcsteer: cannot attach to $DEV_C egress with tcx: the running kernel has no tcx \(it needs Linux 6.6 or later with CONFIG_NET_XGRESS\); use mode clsact$" \
	notcx attach dev "$DEV_C" mode tcx
rc=0; notcx attach dev "$DEV_C" mode tcx 2>/dev/null || rc=$?
check "exit 1" test "$rc" = 1
expect_error "no tcx: --dry-run says so as well" "the running kernel has no tcx" \
	notcx --dry-run attach dev "$DEV_C" mode tcx
check "nothing changed on $DEV_C" test "$(ts show dev "$DEV_C")" = "$before"

# ---- detach ---------------------------------------------------------------------
link=$(our_link)
check "detach" ts detach dev "$DEV_A"
eventually "detach removed the link $link" bash -c "! bpftool link show id $link >/dev/null 2>&1"
check "show lists nothing of tcsteer's" test "$(our_prog)" = ""
arrives "no steering after detach" 3 "$SRC4_HOST" "$P"
expect_error "detach again" "nothing attached by tcsteer on $DEV_A egress" ts detach dev "$DEV_A"
check "the routes outlived detach" test "$(ts route show | wc -l)" = 2
check "attach mode tcx resumes them" ts attach dev "$DEV_A" mode tcx
arrives "steered again" 3 "$SRC4_HOST" "$Q"
check "detach (the end)" ts detach dev "$DEV_A"
done_testing
