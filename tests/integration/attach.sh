#!/usr/bin/env bash
# attach / detach / show against the real kernel (root): a veth pair
# between two namespaces, real packets, and tc(8) as the independent witness.
# - attach installs one clsact direct-action filter that `tc filter show`
#   sees and that real packets run through (the miss counter moves);
# - attaching twice leaves one tcsteer filter; attaching another program
#   replaces ours (new program id) and still leaves one;
# - a filter of another tool survives attach, replace and detach;
# - ingress works; detach removes only ours; show -j is valid JSON.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

two_hosts 10.77.0

tcf() { ip netns exec "$H" tc filter show dev "$DEV" "$1"; }
count_bpf() { tcf "$1" | grep -c ' bpf .*handle 0x1\| bpf .*direct-action' || true; }
count_ours() { ts -j show dev "$DEV" | python3 -c '
import json, sys
print(sum(1 for f in json.load(sys.stdin) if f["tcsteer"] and f["hook"] == sys.argv[1]))' "$1"; }
prog_id() { ts -j show dev "$DEV" | python3 -c '
import json, sys
ids = [f["prog_id"] for f in json.load(sys.stdin) if f["tcsteer"] and f["hook"] == sys.argv[1]]
print(ids[0] if ids else 0)' "$1"; }
miss_packets() { ts -j route show -s table "$DEV" | python3 -c '
import json, sys; print(json.load(sys.stdin)["miss"]["packets"])'; }

# 1. attach: tc sees one direct-action filter named like the Go tool's.
check "attach exits 0" ts attach dev "$DEV"
check "tc filter show sees SchedCLS(steer)" bash -c "ip netns exec $H tc filter show dev $DEV egress | grep -q 'SchedCLS(steer)#[0-9]* direct-action'"
check "tc sees exactly one bpf filter" test "$(count_bpf egress)" = 1
check "show marks it as tcsteer's" test "$(count_ours egress)" = 1

# 2. real packets run through it: the steering program counts misses.
before=$(miss_packets)
in_ns "$H" ping -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null
after=$(miss_packets)
check "packets leaving $DEV ran the program (miss $before -> $after)" test "$after" -ge $((before + 3))

# 3. attach again: still one filter (the same program: nothing to do).
first=$(prog_id egress)
check "second attach exits 0" ts attach dev "$DEV"
check "still one bpf filter after re-attach" test "$(count_bpf egress)" = 1
check "re-attach of the same program keeps it" test "$(prog_id egress)" = "$first"

# 3b. a filter behind ours still runs: the steering program gives no
# verdict (TC_ACT_UNSPEC) for a packet it leaves alone, so classification
# goes on to the next filter (run_cnt with kernel.bpf_stats_enabled).
ip netns exec "$H" tc filter add dev "$DEV" egress prio 65000 handle 9 bpf da \
	obj "$TCSTEER_PROGS/pass.o" sec tc
behind=$(ts -j show dev "$DEV" | python3 -c '
import json, sys
print([f["prog_id"] for f in json.load(sys.stdin) if f["prio"] == 65000][0])')
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
run_cnt() { bpftool prog show id "$behind" -j | python3 -c '
import json, sys; print(json.load(sys.stdin).get("run_cnt", 0))'; }
before=$(run_cnt)
in_ns "$H" ping -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null
after=$(run_cnt)
sysctl -qw kernel.bpf_stats_enabled="$stats_was"
check "the filter behind ours ran ($before -> $after)" test "$after" -ge $((before + 3))
ip netns exec "$H" tc filter del dev "$DEV" egress prio 65000 handle 9 bpf

# 4. a filter of another tool: tc's own bpf filter at prio 10.
ip netns exec "$H" tc filter add dev "$DEV" egress prio 10 handle 7 bpf da \
	obj "$TCSTEER_PROGS/pass.o" sec tc
check "the other tool's filter is there" bash -c "ip netns exec $H tc filter show dev $DEV egress | grep -q 'pass.o:\[tc\]'"

# 5. replace with another program: make-before-break, one tcsteer filter.
check "attach another program" ts attach dev "$DEV" object "$TCSTEER_PROGS/pass.o"
second=$(prog_id egress)
check "the program changed ($first -> $second)" test "$second" != "$first" -a "$second" != 0
check "one tcsteer filter after replace" test "$(count_ours egress)" = 1
check "the other tool's filter survived replace" bash -c "ip netns exec $H tc filter show dev $DEV egress | grep -q 'pass.o:\[tc\]'"
check "back to the built-in program" ts attach dev "$DEV"
check "one tcsteer filter again" test "$(count_ours egress)" = 1

# 6. ingress: its own record, its own filter.
check "attach ingress" ts attach dev "$DEV" ingress
check "tc sees the ingress filter" test "$(count_bpf ingress)" = 1
check "one tcsteer filter per hook" test "$(count_ours ingress)$(count_ours egress)" = 11

# 7. detach: ours go, the other tool's stays, a second detach is an error.
check "detach egress" ts detach dev "$DEV" egress
check "detach ingress" ts detach dev "$DEV" ingress
check "no tcsteer filter left" test "$(count_ours egress)$(count_ours ingress)" = 00
check "the other tool's filter survived detach" bash -c "ip netns exec $H tc filter show dev $DEV egress | grep -q 'pass.o:\[tc\]'"
expect_error "detach with nothing attached" "nothing attached by tcsteer on ${DEV} egress" ts detach dev "$DEV"

# 8. show -j is one valid JSON document, also with nothing to show.
check "show -j parses" bash -c "nsenter --net=/run/netns/$H $TCSTEER -j show | python3 -m json.tool >/dev/null"

# 9. --dry-run sends nothing.
check "dry run exits 0" bash -c "nsenter --net=/run/netns/$H $TCSTEER --dry-run attach dev $DEV >/dev/null"
check "dry run attached nothing" test "$(count_ours egress)" = 0

# 10. a device that disappears: detach forgets its record and succeeds.
ip -n "$H" link add "${T_ID}g" type veth peer name "${T_ID}h"
ip -n "$H" link set "${T_ID}g" up
check "attach to a device that will go" ts attach dev "${T_ID}g"
ip -n "$H" link del "${T_ID}g"
check "detach after the device went" ts detach dev "${T_ID}g"
check "its record is gone" test ! -e "/sys/fs/bpf/tcsteer/${T_ID}g/prog_egress"
expect_error "detach again names the device" "device \"${T_ID}g\" not found" ts detach dev "${T_ID}g"

done_testing
