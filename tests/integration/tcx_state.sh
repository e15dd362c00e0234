#!/usr/bin/env bash
# mode tcx and the state per network namespace (root), in the world lab
# (tests/lib.sh: every world has the same device names and addresses):
# - a tcx attachment made through `ip netns exec` is found and changed
#   through `nsenter --net`, and the other way round;
# - a device deleted under a tcx link leaves the link defunct, pinned:
#   `gc` removes it (and `detach` of the gone device does too); its link,
#   program and maps are freed;
# - a device moved to another namespace takes its link along, which keeps
#   running there with this namespace's ifindexes in its routes (here:
#   every steered packet dropped there); `gc` and `detach` in the namespace
#   that attached it detach it, and the other namespace works again;
# - a link detached behind the records' back (through the kernel, with no
#   pins: tcsteer as PID 1 of a one-shot container) is found defunct by gc;
# - 10 namespace lifecycles with mode tcx (`ip netns del` without detach)
#   and one gc leave no link, program or map of theirs behind;
# - where nothing pinned outlives the process, mode tcx is refused in one
#   line and nothing is attached; route commands there find the table
#   through the tcx program;
# - with only CAP_BPF and CAP_NET_ADMIN: attach, replace, show and detach.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

ALT=$TCSTEER_BUILD/tests/integration/steer_alt.o

# tcsteer_tcx NS DEV: "prog_id:link_id" of tcsteer's tcx programs on DEV
# egress in NS (by its tcsteer_meta), "" if none.
tcsteer_tcx() { in_ns "$1" "$TCSTEER" -j show dev "$2" 2>/dev/null | python3 -c '
import json, sys
print(" ".join("%d:%d" % (e["prog_id"], e["link_id"]) for e in json.load(sys.stdin)
               if e["mode"] == "tcx" and e["tcsteer"] and e["hook"] == "egress"))'; }
map_ids() {
	local id
	for id in "$@"; do
		bpftool -j prog show id "$id" | python3 -c '
import json, sys; print(" ".join(str(m) for m in json.load(sys.stdin).get("map_ids", [])))'
	done
}
alive() { local kind=$1 id n=0; shift; for id in "$@"; do bpftool "$kind" show id "$id" >/dev/null 2>&1 && n=$((n + 1)); done; echo "$n"; }
eventually() {
	local desc=$1 i
	shift
	for ((i = 0; i < 300; i++)); do
		if "$@"; then ok "$desc"; return; fi
		sleep 0.1
	done
	fail "$desc"
}
first_attach() {
	local out
	out=$("$@" 2>&1) && return 0
	if grep -q "no tcx" <<<"$out"; then
		echo "SKIP $T_NAME: $out"
		exit 77
	fi
	fail "attach mode tcx: $out"
	return 1
}

# ---- 1. ip netns exec and nsenter share the tcx attachment ------------------
world a
A_S=$W_S
first_attach in_netns_exec "$A_S" "$TCSTEER" attach dev e0 mode tcx
check "a (nsenter): route add" in_ns "$A_S" "$TCSTEER" route add 10.77.0.0/24 via 10.78.0.2 dev e1
check "a: steered" steered a
A_LINK=$(tcsteer_tcx "$A_S" e0)
check "a: ip netns exec sees the same link ($A_LINK)" \
	test "$(in_netns_exec "$A_S" "$TCSTEER" -j show dev e0 | python3 -c '
import json, sys; print(" ".join("%d:%d" % (e["prog_id"], e["link_id"]) for e in json.load(sys.stdin) if e["tcsteer"]))')" = "$A_LINK"
check "a (nsenter): another program replaces it in the link" \
	in_ns "$A_S" "$TCSTEER" attach dev e0 object "$ALT"
check "a: same link, another program" \
	bash -c "[ '$(tcsteer_tcx "$A_S" e0 | cut -d: -f2)' = '${A_LINK#*:}' ] && [ '$(tcsteer_tcx "$A_S" e0)' != '$A_LINK' ]"
check "a (ip netns exec): detach" in_netns_exec "$A_S" "$TCSTEER" detach dev e0
check "a: nothing of tcsteer's is left on e0" test -z "$(tcsteer_tcx "$A_S" e0)"
check "a: not steered" unsteered a

# ---- 2. a device deleted under a tcx link ----------------------------------------
world d
D_S=$W_S
check "d: attach mode tcx to e0 and to e1 ingress" bash -c "
	nsenter --net=/run/netns/$D_S $TCSTEER attach dev e0 mode tcx &&
	nsenter --net=/run/netns/$D_S $TCSTEER attach dev e1 ingress mode tcx object $ALT"
D0=$(tcsteer_tcx "$D_S" e0)
D1=$(in_ns "$D_S" "$TCSTEER" -j show dev e1 | python3 -c '
import json, sys; print(" ".join("%d:%d" % (e["prog_id"], e["link_id"]) for e in json.load(sys.stdin) if e["tcsteer"]))')
D_MAPS=$(map_ids "${D0%:*}" "${D1%:*}")
ip -n "$D_S" link del e0
ip -n "$D_S" link del e1
check "d: the deleted device's link is kept by its pin, defunct" test "$(alive link "${D0#*:}")" = 1
out=$(in_ns "$D_S" "$TCSTEER" gc)
check "d: gc removes the gone devices' state ($(tr '\n' ' ' <<<"$out"))" \
	test "$(grep -c '^removed device if' <<<"$out")" = 2
eventually "d: their links are freed" test "$(alive link "${D0#*:}" "${D1#*:}")" = 0
eventually "d: their programs are freed" test "$(alive prog "${D0%:*}" "${D1%:*}")" = 0
# (gc also removes other dead namespaces' state: other tests run meanwhile)
check "d: gc again: nothing of d's to do" \
	bash -c "! nsenter --net=/run/netns/$D_S $TCSTEER gc | grep -Eq '^removed (device|link|table|program) '"

world e
E_S=$W_S
check "e: attach mode tcx" in_ns "$E_S" "$TCSTEER" attach dev e0 mode tcx
E0=$(tcsteer_tcx "$E_S" e0)
ip -n "$E_S" link del e0
check "e: detach of the gone device forgets it" in_ns "$E_S" "$TCSTEER" detach dev e0
eventually "e: its link is freed" test "$(alive link "${E0#*:}")" = 0

# ---- 3. a device moved to another namespace ----------------------------------------
# The link goes with e0 into X and keeps running there; its route names
# e1 by S's ifindex, which means nothing in X (here; it could name another
# device): the program finds no such device and leaves the packets to X's
# main table (counted as passed), so X's pings work.
moved_world() {
	world "$1"
	M_S=$W_S
	M_G=$W_G
	in_ns "$M_S" "$TCSTEER" attach dev e0 mode tcx &&
		in_ns "$M_S" "$TCSTEER" route add 10.77.0.0/24 via 10.78.0.2 dev e1 &&
		steered "$1" || fail "$1: steering before the move"
	M_LINK=$(tcsteer_tcx "$M_S" e0)
	M_X=$(new_netns "${1}x")
	ip -n "$M_S" link set e0 netns "$M_X"
	ip -n "$M_X" link set e0 up
	ip -n "$M_X" addr add 10.77.0.1/24 dev e0
}
x_pings() { in_ns "$M_X" ping -c 2 -i 0.1 -W 1 10.77.0.2 >/dev/null 2>&1; }

moved_world m
check "m: X's e0 runs tcsteer's link ($M_LINK), known by its tcsteer_meta" \
	test "$(tcsteer_tcx "$M_X" e0)" = "$M_LINK"
check "m: in X, pings from the steered source go by X's main table (S's route names no device of X)" x_pings
out=$(in_ns "$M_S" "$TCSTEER" gc)
check "m: gc in S removes e0's state ($(tr '\n' ' ' <<<"$out"))" grep -q '^removed device if' <<<"$out"
check "m: X's e0 runs nothing of tcsteer's any more" test -z "$(tcsteer_tcx "$M_X" e0)"
check "m: pings from X work again" x_pings
eventually "m: the link is freed" test "$(alive link "${M_LINK#*:}")" = 0

moved_world n
check "n: in X, pings from the steered source go by X's main table" x_pings
check "n: detach dev e0 in S (gone from S)" in_ns "$M_S" "$TCSTEER" detach dev e0
check "n: X's e0 runs nothing of tcsteer's" test -z "$(tcsteer_tcx "$M_X" e0)"
check "n: pings from X work again" x_pings

# ---- 4. no pins outlive the process: PID 1 of a one-shot container ----------------
world o
O_S=$W_S
oneshot() {
	unshare --mount --propagation private --pid --fork --mount-proc bash -c '
		while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
		exec nsenter --net="/run/netns/$1" "${@:2}"' _ "$O_S" "$@"
}
expect_error "o: mode tcx is refused in one line" \
	"^tcsteer: cannot attach to e0 egress with tcx: a tcx link lasts only while it is pinned, and no bpffs here outlives this process \(tcsteer is PID 1.*\); use mode clsact$" \
	oneshot "$TCSTEER" attach dev e0 mode tcx
check "o: nothing was attached" test -z "$(in_ns "$O_S" "$TCSTEER" show dev e0)"
check "o: the host attaches mode tcx (pinned)" in_ns "$O_S" "$TCSTEER" attach dev e0 mode tcx
O_LINK=$(tcsteer_tcx "$O_S" e0)
check "o: a one-shot route add finds the table through the tcx program" \
	oneshot "$TCSTEER" route add 10.77.0.0/24 via 10.78.0.2 dev e1
check "o: steered" steered o
check "o: a one-shot show marks it tcsteer's" \
	bash -c "$(declare -f oneshot); O_S=$O_S; oneshot $TCSTEER show dev e0 | grep -q '^e0 egress tcx 1 .*\[tcsteer\]'"
expect_error "o: a one-shot attach without mode keeps the mode: refused" "use mode clsact" \
	oneshot "$TCSTEER" attach dev e0
check "o: a one-shot detach detaches the link (by id)" oneshot "$TCSTEER" detach dev e0
check "o: not steered" unsteered o
out=$(in_ns "$O_S" "$TCSTEER" gc)
check "o: the host's gc finds its link record defunct ($(tr '\n' ' ' <<<"$out"))" \
	grep -q "^removed link if[0-9]*/link_egress " <<<"$out"
eventually "o: the link is freed" test "$(alive link "${O_LINK#*:}")" = 0
check "o: the host attaches again" in_ns "$O_S" "$TCSTEER" attach dev e0 mode tcx
check "o: steered with the route the one-shot added" steered o

# ---- 5. least privilege ----------------------------------------------------------
least() { in_ns "$O_S" setpriv --bounding-set=-all,+bpf,+net_admin --inh-caps=-all \
	--ambient-caps=-all -- "$TCSTEER" "$@"; }
check "CAP_BPF+CAP_NET_ADMIN: attach mode tcx to e1" least attach dev e1 mode tcx object "$ALT"
check "... attach again (no-op)" least attach dev e1 mode tcx object "$ALT"
check "... replace it" least attach dev e1 mode tcx
check "... show marks it tcsteer's (by its records)" \
	bash -c "in_ns() { local ns=\$1; shift; nsenter --net=/run/netns/\$ns \"\$@\"; }
		in_ns $O_S setpriv --bounding-set=-all,+bpf,+net_admin --inh-caps=-all --ambient-caps=-all -- $TCSTEER show dev e1 |
		grep -q '^e1 egress tcx 1 .*\[tcsteer\]'"
check "... switch it to clsact and back" bash -c "
	nsenter --net=/run/netns/$O_S setpriv --bounding-set=-all,+bpf,+net_admin --inh-caps=-all --ambient-caps=-all -- $TCSTEER attach dev e1 mode clsact &&
	nsenter --net=/run/netns/$O_S setpriv --bounding-set=-all,+bpf,+net_admin --inh-caps=-all --ambient-caps=-all -- $TCSTEER attach dev e1 mode tcx"
check "... detach" least detach dev e1
check "... nothing left on e1" test -z "$(in_ns "$O_S" "$TCSTEER" show dev e1)"

# ---- 6. 10 namespace lifecycles with mode tcx, then gc ------------------------------
PROGS=() MAPS=() LINKS=() DIRS=()
cycles_ok=0
for ((n = 0; n < 10; n++)); do
	world "l$n"
	in_ns "$W_S" "$TCSTEER" attach dev e0 mode tcx &&
		in_ns "$W_S" "$TCSTEER" route add 10.77.0.0/24 via 10.78.0.2 dev e1 2>/dev/null &&
		steered "l$n" && cycles_ok=$((cycles_ok + 1))
	pl=$(tcsteer_tcx "$W_S" e0)
	PROGS+=("${pl%:*}")
	LINKS+=("${pl#*:}")
	# shellcheck disable=SC2207
	MAPS+=($(map_ids "${pl%:*}"))
	DIRS+=("$(in_ns "$W_S" "$TCSTEER" -j -d route show | python3 -c 'import json, os, sys; print(os.path.dirname(json.load(sys.stdin)["pins"]))')")
	ip netns del "$W_S"
	ip netns del "$W_G"
	ip netns del "$W_R"
done
check "10 lifecycles with mode tcx steered ($cycles_ok)" test "$cycles_ok" = 10
# (Another tcsteer gc on this machine may be first: what is left counts.)
out=$("$TCSTEER" gc) && rc=0 || rc=$?
check "gc exits 0" test "$rc" = 0
check "no state dir of theirs is left" test -z "$(ls -d "${DIRS[@]}" 2>/dev/null)"
eventually "none of their ${#LINKS[@]} links is left" test "$(alive link "${LINKS[@]}")" = 0
eventually "none of their ${#PROGS[@]} programs is left" test "$(alive prog "${PROGS[@]}")" = 0
eventually "none of their ${#MAPS[@]} maps is left" test "$(alive map "${MAPS[@]}")" = 0
check "world o is untouched by gc" test "$(tcsteer_tcx "$O_S" e0 | grep -c :)" = 1

done_testing
