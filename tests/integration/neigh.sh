#!/usr/bin/env bash
# The unresolved-next-hop problem and its mitigation, with real packets
# (root, kernel >= 5.16 for managed neighbour entries).
#
# bpf_redirect_neigh() hands the packet to the next hop's neighbour entry on
# the output device. When that entry does not exist yet, the kernel creates
# it, queues the packet and sends an ARP request / neighbour solicitation.
# When the answer comes, the queued packet is sent again through the
# neighbour of the *route it was originally sent by* (neigh_update()
# re-resolves it from the skb's dst): it leaves the secondary device with the
# primary link's L2 header (source: H's $DEV_A MAC, destination: P's MAC),
# and the next hop drops it as not addressed to it. Observed on 6.18 for
# IPv4 and IPv6: the first packet of each is lost this way, the second one
# passes. `tcsteer route add` makes the next hop's entry "managed": the kernel
# resolves it at once and keeps it resolved, so the very first packet goes
# through. This test shows both, with tcpdump in Q as the witness, and that
# `route add` warns (exit 0) about strict rp_filter on the output device.
# Topology: route_topo.sh.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
if [ "$(printf '5.16\n%s\n' "$(uname -r)" | sort -V | head -n 1)" != 5.16 ]; then
	echo "SKIP $T_NAME: managed neighbour entries need Linux >= 5.16"
	exit 77
fi
ensure_bpffs
steer_topology
WORK=$(mktemp -d)
CAPTURE_PID=
trap 'stop_capture; cleanup_netns; rm -rf "$WORK"' EXIT

mac() { ip -n "$1" -br link show dev "$2" 2>/dev/null | awk '{ print $3 }'; }
MAC_A=$(mac "$H" "$DEV_A")
MAC_B=$(mac "$H" "$DEV_B")
MAC_C=$(mac "$H" "$DEV_C")
MAC_P=$(mac "$P" "${T_ID}pa")
MAC_Q=$(mac "$Q" "${T_ID}qb")
MAC_R=$(mac "$R" "${T_ID}rc")

# Only the primary next hop is known: what a host has before steering.
in_ns "$H" ping -4 -q -n -c 1 -W 1 "$NH_P4" >/dev/null
in_ns "$H" ping -6 -q -n -c 1 -W 1 "$NH_P6" >/dev/null

# neigh_line ADDR DEV: H's neighbour entry, "" if there is none.
neigh_line() { ip -n "$H" neigh show "$1" dev "$2"; }

# wait_reachable ADDR DEV: up to 3 s for the entry to be resolved.
wait_reachable() {
	for _ in $(seq 60); do
		neigh_line "$1" "$2" | grep -q 'REACHABLE' && return 0
		sleep 0.05
	done
	return 1
}

# capture NS IF: tcpdump on IF in NS into $WORK/NS.pcap until stop_capture.
capture() {
	: >"$WORK/tcpdump.err"
	in_ns "$1" tcpdump -i "$2" --immediate-mode -e -n -U -w "$WORK/$1.pcap" icmp or icmp6 \
		2>"$WORK/tcpdump.err" &
	CAPTURE_PID=$!
	for _ in $(seq 100); do
		grep -q 'listening on' "$WORK/tcpdump.err" && return 0
		sleep 0.05
	done
	fail "tcpdump did not start: $(cat "$WORK/tcpdump.err")"
}
stop_capture() {
	[ -n "$CAPTURE_PID" ] || return 0
	sleep 0.1
	kill "$CAPTURE_PID" 2>/dev/null || true
	wait "$CAPTURE_PID" 2>/dev/null || true
	CAPTURE_PID=
}
# requests NS: "SRCMAC>DSTMAC SRCIP" of each echo request NS's capture saw.
requests() {
	tcpdump -r "$WORK/$1.pcap" -e -n 2>/dev/null |
		awk '/echo request/ { sub(",", "", $4); print $2 ">" $4, $10 }'
}

check "attach" ts attach dev "$DEV_A"

# 1. The problem: the next hop's entry does not exist when the first packet
# is redirected. tcsteer route add would make it managed; delete it again.
check "route add (IPv4) to Q" ts route add 10.99.1.0/24 via "$NH_Q4" dev "$DEV_B" table "$DEV_A"
check "route add (IPv6) to Q" ts route add fd00:99:1::/64 via "$NH_Q6" dev "$DEV_B" table "$DEV_A"
check "ip neigh shows Q's IPv4 entry managed" grep -qw managed <<<"$(neigh_line "$NH_Q4" "$DEV_B")"
check "ip neigh shows Q's IPv6 entry managed" grep -qw managed <<<"$(neigh_line "$NH_Q6" "$DEV_B")"
ip -n "$H" neigh del "$NH_Q4" dev "$DEV_B"
ip -n "$H" neigh del "$NH_Q6" dev "$DEV_B"
check "without them: no entry for Q" test -z "$(neigh_line "$NH_Q4" "$DEV_B")$(neigh_line "$NH_Q6" "$DEV_B")"

capture "$Q" "${T_ID}qb"
before=$(where 4)
check_fails "unresolved (IPv4): the first packet is not answered" pings 1 "$SRC4_NET"
check "unresolved (IPv4): it never arrived in P, Q or R" test "$(where 4)" = "$before"
arrives "unresolved (IPv4): the second packet arrives in Q" 1 "$SRC4_NET" "$Q"
before=$(where 6)
check_fails "unresolved (IPv6): the first packet is not answered" pings 1 "$SRC6_NET"
check "unresolved (IPv6): it never arrived in P, Q or R" test "$(where 6)" = "$before"
arrives "unresolved (IPv6): the second packet arrives in Q" 1 "$SRC6_NET" "$Q"
stop_capture
# What Q's wire saw: the first request of each family with the primary
# link's MACs, the second with the right ones.
want="$MAC_A>$MAC_P $SRC4_NET
$MAC_B>$MAC_Q $SRC4_NET
$MAC_A>$MAC_P $SRC6_NET
$MAC_B>$MAC_Q $SRC6_NET"
got=$(requests "$Q")
if [ "$got" = "$want" ]; then
	ok "tcpdump in Q: the first packets came with the primary link's L2 header ($MAC_A > $MAC_P)"
else
	fail "tcpdump in Q: expected
$want
got
$got"
fi
check_fails "the entry resolved by traffic is not managed" grep -qw managed <<<"$(neigh_line "$NH_Q4" "$DEV_B")"
check "the same route add again" ts route add 10.99.1.0/24 via "$NH_Q4" dev "$DEV_B" table "$DEV_A"
check "makes the existing entry managed" grep -qw managed <<<"$(neigh_line "$NH_Q4" "$DEV_B")"

# 2. The mitigation: R was never contacted; route add makes its entries
# managed, the kernel resolves them, and the first packets arrive.
check "no entry for R yet" test -z "$(neigh_line "$NH_R4" "$DEV_C")$(neigh_line "$NH_R6" "$DEV_C")"
check "route add (IPv4) to R" ts route add 10.99.1.5/32 via "$NH_R4" dev "$DEV_C" table "$DEV_A"
check "route add (IPv6) to R" ts route add fd00:99:1::5/128 via "$NH_R6" dev "$DEV_C" table "$DEV_A"
check "ip neigh shows R's IPv4 entry managed" grep -qw managed <<<"$(neigh_line "$NH_R4" "$DEV_C")"
check "ip neigh shows R's IPv6 entry managed" grep -qw managed <<<"$(neigh_line "$NH_R6" "$DEV_C")"
check "the kernel resolves R's IPv4 entry by itself" wait_reachable "$NH_R4" "$DEV_C"
check "the kernel resolves R's IPv6 entry by itself" wait_reachable "$NH_R6" "$DEV_C"
capture "$R" "${T_ID}rc"
arrives "managed (IPv4): the very first packet arrives in R" 1 "$SRC4_HOST" "$R"
arrives "managed (IPv6): the very first packet arrives in R" 1 "$SRC6_HOST" "$R"
stop_capture
check "tcpdump in R: both with R's own L2 header" test "$(requests "$R")" = "$MAC_C>$MAC_R $SRC4_HOST
$MAC_C>$MAC_R $SRC6_HOST"
check "still managed after use" grep -qw managed <<<"$(neigh_line "$NH_R4" "$DEV_C")"

# 3. rp_filter: strict (1) on the output device warns, loose (2) does not.
# stderr_of CMD...: CMD must exit 0; prints its stderr.
stderr_of() {
	local out rc=0
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = 0 ] || echo "EXIT $rc"
	printf '%s' "$out"
}
rp() { sysctl_ns "$H" "net.ipv4.conf.$1.rp_filter=$2"; }
add_q() { ts route add "$1" via "$NH_Q4" dev "$DEV_B" table "$DEV_A"; }
warning="^tcsteer: warning: strict rp_filter on $DEV_B .*net\.ipv4\.conf\.$DEV_B\.rp_filter=2"

rp "$DEV_B" 1
out=$(stderr_of add_q 10.99.4.0/24)
check "rp_filter=1: exit 0 and one warning line" \
	test "$(grep -c . <<<"$out")" = 1 -a "$(grep -Ec "$warning" <<<"$out")" = 1
out=$(stderr_of ts route add fd00:99:4::/64 via "$NH_Q6" dev "$DEV_B" table "$DEV_A")
check "rp_filter=1, IPv6 prefix: no warning (IPv4 only)" test -z "$out"
rp "$DEV_B" 2
out=$(stderr_of add_q 10.99.5.0/24)
check "rp_filter=2: exit 0 and no warning" test -z "$out"
rp "$DEV_B" 0
rp all 1
out=$(stderr_of add_q 10.99.6.0/24)
check "all.rp_filter=1 counts too: one warning line" \
	test "$(grep -c . <<<"$out")" = 1 -a "$(grep -Ec "$warning" <<<"$out")" = 1
rp all 0
out=$(stderr_of add_q 10.99.7.0/24)
check "rp_filter=0: no warning" test -z "$out"

done_testing
