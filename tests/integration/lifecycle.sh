#!/usr/bin/env bash
# What outlives tcsteer, and what must not (root).
# - tail calls work after the process exited: the kernel empties a
#   PROG_ARRAY on its last user reference, so tcsteer keeps it pinned with
#   the program; replaced and detached programs let theirs go;
# - 20 namespace lifecycles (attach, a route, a tail-call object,
#   `ip netns del` without detach) and one `tcsteer gc` leave no program,
#   map or pin of theirs behind;
# - an attach of an object without pinned maps followed by detach leaves no
#   directory behind.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

TAIL="$TCSTEER_PROGS/tail_drop.o"
PASS="$TCSTEER_PROGS/pass.o"

# prog_ids NS DEV: the program ids of tcsteer's filters on DEV (both hooks).
prog_ids() { in_ns "$1" "$TCSTEER" -j show dev "$2" | python3 -c '
import json, sys
print(" ".join(str(f["prog_id"]) for f in json.load(sys.stdin) if f["tcsteer"]))'; }
# map_ids PROG_ID...: the maps those programs hold.
map_ids() {
	local id
	for id in "$@"; do
		bpftool -j prog show id "$id" | python3 -c '
import json, sys; print(" ".join(str(m) for m in json.load(sys.stdin).get("map_ids", [])))'
	done
}
alive_progs() { local id n=0; for id in "$@"; do bpftool prog show id "$id" >/dev/null 2>&1 && n=$((n + 1)); done; echo "$n"; }
alive_maps() { local id n=0; for id in "$@"; do bpftool map show id "$id" >/dev/null 2>&1 && n=$((n + 1)); done; echo "$n"; }
# jmp_elems PROG_ID: entries of the PROG_ARRAY the program tail-calls through.
jmp_elems() {
	local m
	for m in $(map_ids "$1"); do
		if bpftool -j map show id "$m" | grep -q '"type":"prog_array"'; then
			bpftool -j map dump id "$m" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
			return
		fi
	done
	echo none
}
# eventually DESC CMD...: CMD succeeds within 30 s (the kernel frees
# programs and maps from work queues and after RCU grace periods).
eventually() {
	local desc=$1 i
	shift
	for ((i = 0; i < 300; i++)); do
		if "$@"; then ok "$desc"; return; fi
		sleep 0.1
	done
	fail "$desc"
}
pings_to() { in_ns "$1" ping -c 2 -i 0.1 -W 1 "$2" >/dev/null 2>&1; }

# ---- 1. tail calls after exit -------------------------------------------------
world t
T_S=$W_S
check "attach a tail-call object" in_ns "$T_S" "$TCSTEER" attach dev e0 object "$TAIL" section tc
TAIL_ID=$(prog_ids "$T_S" e0)
check "after tcsteer exited, its tail-call table still holds the target ($(jmp_elems "$TAIL_ID") entry)" \
	test "$(jmp_elems "$TAIL_ID")" = 1
check_fails "and the tail call runs: pings through e0 are dropped" pings_to "$T_S" 10.77.0.2
check "pings on e1 (no filter) pass" pings_to "$T_S" 10.78.0.2
check "attaching it again changes nothing" in_ns "$T_S" "$TCSTEER" attach dev e0 object "$TAIL" section tc
check "same program" test "$(prog_ids "$T_S" e0)" = "$TAIL_ID"
check_fails "still dropped" pings_to "$T_S" 10.77.0.2
TAIL_MAPS=$(map_ids "$TAIL_ID")
check "replace it with the built-in program" in_ns "$T_S" "$TCSTEER" attach dev e0
check "pings pass again" pings_to "$T_S" 10.77.0.2
eventually "the replaced program and its tail-call table are freed" \
	test "$(alive_progs "$TAIL_ID")$(alive_maps $TAIL_MAPS)" = 00
check "attach the tail-call object again" in_ns "$T_S" "$TCSTEER" attach dev e0 object "$TAIL" section tc
TAIL_ID=$(prog_ids "$T_S" e0)
TAIL_MAPS=$(map_ids "$TAIL_ID")
check_fails "dropped again" pings_to "$T_S" 10.77.0.2
check "detach" in_ns "$T_S" "$TCSTEER" detach dev e0
check "pings pass after detach" pings_to "$T_S" 10.77.0.2
eventually "the detached program and its tail-call table are freed" \
	test "$(alive_progs "$TAIL_ID")$(alive_maps $TAIL_MAPS)" = 00

# ---- 2. an object without pinned maps leaves no directory ---------------------
STATE=$(in_ns "$T_S" "$TCSTEER" -j -d route show | python3 -c 'import json, os, sys; print(os.path.dirname(json.load(sys.stdin)["pins"]))')
before=$(find "$STATE" | sort)
check "attach pass.o to e1" in_ns "$T_S" "$TCSTEER" attach dev e1 object "$PASS"
check "detach it" in_ns "$T_S" "$TCSTEER" detach dev e1
check "no directory or pin left behind" test "$(find "$STATE" | sort)" = "$before"

# ---- 3. 20 namespace lifecycles, then gc ------------------------------------
PROGS=() MAPS=() DIRS=()
cycles_ok=0
for ((n = 0; n < 20; n++)); do
	world "l$n"
	in_ns "$W_S" "$TCSTEER" attach dev e0 &&
		in_ns "$W_S" "$TCSTEER" route add 10.77.0.0/24 via 10.78.0.2 dev e1 2>/dev/null &&
		in_ns "$W_S" "$TCSTEER" attach dev e1 ingress object "$TAIL" section tc &&
		steered "l$n" && cycles_ok=$((cycles_ok + 1))
	ids="$(prog_ids "$W_S" e0) $(prog_ids "$W_S" e1)"
	[ "$(jmp_elems "$(prog_ids "$W_S" e1)")" = 1 ] || cycles_ok=$((cycles_ok - 100))
	# shellcheck disable=SC2206 # ids are numbers
	PROGS+=($ids)
	# shellcheck disable=SC2046,SC2207
	MAPS+=($(map_ids $ids))
	DIRS+=("$(in_ns "$W_S" "$TCSTEER" -j -d route show | python3 -c 'import json, os, sys; print(os.path.dirname(json.load(sys.stdin)["pins"]))')")
	ip netns del "$W_S"
	ip netns del "$W_G"
	ip netns del "$W_R"
done
check "20 lifecycles steered and tail-called ($cycles_ok)" test "$cycles_ok" = 20
out=$("$TCSTEER" gc) && rc=0 || rc=$?
check "gc exits 0" test "$rc" = 0
echo "# gc removed $(grep -c '^removed netns' <<<"$out" || true) namespaces' state"
check "no state dir of theirs is left" test -z "$(ls -d "${DIRS[@]}" 2>/dev/null)"
eventually "none of their ${#PROGS[@]} programs is left" test "$(alive_progs "${PROGS[@]}")" = 0
eventually "none of their ${#MAPS[@]} maps is left" test "$(alive_maps "${MAPS[@]}")" = 0
check "world t is untouched by gc" in_ns "$T_S" "$TCSTEER" route show

done_testing
