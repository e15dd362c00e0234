#!/usr/bin/env bash
# Concurrent commands in one network namespace (root): commands that change
# state take the namespace's lock (a flock on the namespace itself), so
# - attaches at the same time leave one filter, and detach removes it;
# - route adds at the same time give every route a slot of its own;
# - an apply that rolls back while route adds run puts back exactly what it
#   changed, and nothing of theirs;
# - a command waits for the lock and then runs, from any mount namespace.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

world r
S=$W_S
ts_r() { in_ns "$S" "$TCSTEER" "$@"; }
nbpf() { in_ns "$S" tc filter show dev e0 egress | grep -c ' bpf .*handle 0x' || true; }
nours() { ts_r -j show dev e0 | python3 -c '
import json, sys; print(sum(1 for f in json.load(sys.stdin) if f["tcsteer"]))'; }
slots() { pinned_slots "$(table_pins_in "$S" e0)"; }
table_pins_in() { in_ns "$1" "$TCSTEER" -j -d route show table "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["pins"])'; }
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

# 1. attaches at once, five rounds.
bad=0
for round in 1 2 3 4 5; do
	pids=()
	for k in 1 2 3 4; do
		if [ $((k % 2)) = 0 ]; then
			ts_r attach dev e0 object "$TCSTEER_PROGS/pass.o" & pids+=($!)
		else
			in_netns_exec "$S" "$TCSTEER" attach dev e0 & pids+=($!)
		fi
	done
	wait "${pids[@]}" || bad=1
	[ "$(nbpf)" = 1 ] && [ "$(nours)" = 1 ] || bad=1
	ts_r detach dev e0 || bad=1
	[ "$(nbpf)" = 0 ] || bad=1
done
check "4 attaches at once, 5 rounds: one filter each time, detach leaves none" test "$bad" = 0

# 2. route adds at once.
ts_r attach dev e0
pids=()
for n in $(seq 1 20); do
	ts_r route add "10.50.$n.0/24" via 10.78.0.2 dev e1 2>/dev/null & pids+=($!)
done
ok_adds=0
for p in "${pids[@]}"; do wait "$p" && ok_adds=$((ok_adds + 1)); done
check "20 route adds at once all succeeded ($ok_adds)" test "$ok_adds" = 20
check "20 routes" test "$(ts_r route show | wc -l)" = 20
check "20 different slots" test "$(slots | awk '{ print $2 }' | sort -u | wc -l)" = 20

# 3. an apply that rolls back while route adds run.
ts_r route add 10.60.0.0/16 via 10.78.0.2 dev e1
{
	for n in $(seq 1 200); do echo "route add 10.60.$n.0/24 via 10.78.0.2 dev e1"; done
	echo "route del 10.99.99.0/24"   # no such route: the apply fails here
} >"$WORK/rollback.conf"
before=$(slots)
in_netns_exec "$S" "$TCSTEER" apply "$WORK/rollback.conf" 2>/dev/null & apply=$!
pids=()
for n in $(seq 1 10); do
	ts_r route add "10.70.$n.0/24" via 10.78.0.2 dev e1 2>/dev/null & pids+=($!)
done
wait "$apply" && rc=0 || rc=$?
check "the apply failed (exit $rc)" test "$rc" = 1
wait "${pids[@]}"
after=$(slots)
check "the /16 it nested routes in is still there, with its slot" \
	test "$(grep '^10.60.0.0/16 ' <<<"$after")" = "$(grep '^10.60.0.0/16 ' <<<"$before")"
check "none of the apply's routes is left" test -z "$(grep '^10.60.[1-9]' <<<"$after" || true)"
check "the 10 concurrent route adds are there" test "$(grep -c '^10.70.' <<<"$after")" = 10
check "every route has a slot of its own" \
	test "$(awk '{ print $2 }' <<<"$after" | sort -u | wc -l)" = "$(wc -l <<<"$after")"

# 4. a command waits for the lock held elsewhere, then runs.
in_ns "$S" flock /proc/self/ns/net sleep 1.5 & holder=$!
sleep 0.3
start=$(date +%s%N)
check "route add while another holds the namespace's lock" \
	in_netns_exec "$S" "$TCSTEER" route add 10.80.0.0/24 via 10.78.0.2 dev e1
waited=$((($(date +%s%N) - start) / 1000000))
wait "$holder"
check "it waited for the lock (${waited} ms)" test "$waited" -ge 900
check "show does not wait (no lock for reading)" bash -c "
	nsenter --net=/run/netns/$S flock /proc/self/ns/net sleep 2 & sleep 0.3
	timeout 1 nsenter --net=/run/netns/$S $TCSTEER show >/dev/null"
wait

done_testing
