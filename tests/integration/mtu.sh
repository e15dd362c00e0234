#!/usr/bin/env bash
# The MTU lab (issue 12), with real packets: the secondary path is narrower
# than the primary one.
#
#   client C --(1500)-- router R --(1400)-- S's $SEC    server S (VIPs on lo)
#                                           S's $PRI --(1500)-- gateway G
#
# S's default route goes to G, which has no route to the client: replies
# live only if they are steered out of $SEC. $SEC has its segmentation
# offloads off, so what the tap sees on it is what goes onto the wire;
# $PRI keeps them, so TCP hands the program GSO packets.
#
# With tcsteer, nothing larger than 1400 bytes (1414-byte frames) may leave
# by $SEC; what does not fit is dropped and counted (toobig), and the local
# stack gets an ICMP "fragmentation needed" / ICMPv6 "packet too big" with
# MTU 1400, records it (ip route get shows mtu 1400), and TCP shrinks its
# segments: the bulk transfers complete, the pings get replies after the
# first. A GSO packet whose segments fit passes whole (bytes per steered
# packet above the MTU). Then the same probes with source policy routing
# (ip rule from VIP lookup 4242), which knows the MTU from the start: the
# differences are printed as a table (docs/troubleshooting.md).
#
# Also here: ICMP errors sent from the VIPs are steered, IPv4 fragments of a
# reply are all steered. Counters come from steer_counters.py (bpftool, by
# the attached program's id): `route show -s` does not print toobig yet.
. "$(dirname "$0")/../lib.sh"
need_root
for tool in ethtool tcpdump socat bpftool python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP $T_NAME: needs $tool"
		exit 77
	fi
done
ensure_bpffs

S=$(new_netns s)
R=$(new_netns r)
G=$(new_netns g)
C=$(new_netns c)
H=$S                            # for ts()
PRI="${T_ID}p"
SEC="${T_ID}s"
R_S="${T_ID}rs"                 # the router's leg toward S (1400)
R_C="${T_ID}rc"
VIP4=10.123.0.5
VIP6=fd00:123::5
NH4=10.121.0.2                  # the router on the secondary link
NH6=fd00:121::2
CLIENT4=10.122.0.2
CLIENT6=fd00:122::2
BYTES=4000000                   # per bulk transfer
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	cleanup_netns; rm -rf "$WORK"' EXIT

no_dad() {
	in_ns "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
}
for ns in "$S" "$R" "$G" "$C"; do no_dad "$ns"; done
veth_pair "$S" "$PRI" "$G" "${T_ID}g"
veth_pair "$S" "$SEC" "$R" "$R_S"
veth_pair "$R" "$R_C" "$C" "${T_ID}c"
ip -n "$S" link set "$SEC" mtu 1400
ip -n "$R" link set "$R_S" mtu 1400
in_ns "$S" ethtool -K "$SEC" tso off gso off >/dev/null
in_ns "$R" ethtool -K "$R_S" gro off >/dev/null 2>&1 || true

ip -n "$S" addr add 10.120.0.1/24 dev "$PRI"
ip -n "$S" addr add fd00:120::1/64 dev "$PRI" nodad
ip -n "$S" addr add 10.121.0.1/24 dev "$SEC"
ip -n "$S" addr add fd00:121::1/64 dev "$SEC" nodad
ip -n "$S" addr add "$VIP4/32" dev lo
ip -n "$S" addr add "$VIP6/128" dev lo nodad
ip -n "$S" route add default via 10.120.0.2
ip -n "$S" -6 route add default via fd00:120::2
in_ns "$S" sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$SEC.rp_filter=2"
ip -n "$G" addr add 10.120.0.2/24 dev "${T_ID}g"
ip -n "$G" addr add fd00:120::2/64 dev "${T_ID}g" nodad
in_ns "$G" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$R" addr add "$NH4/24" dev "$R_S"
ip -n "$R" addr add "$NH6/64" dev "$R_S" nodad
ip -n "$R" addr add 10.122.0.1/24 dev "$R_C"
ip -n "$R" addr add fd00:122::1/64 dev "$R_C" nodad
in_ns "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$R" route add "$VIP4/32" via 10.121.0.1
ip -n "$R" -6 route add "$VIP6/128" via fd00:121::1
ip -n "$C" addr add "$CLIENT4/24" dev "${T_ID}c"
ip -n "$C" addr add "$CLIENT6/64" dev "${T_ID}c" nodad
ip -n "$C" route add "$VIP4/32" via 10.122.0.1
ip -n "$C" -6 route add "$VIP6/128" via fd00:122::1

# Bulk senders on the VIPs: every connection gets $BYTES bytes.
serve() {
	nsenter --net="/run/netns/$S" setsid socat "$1,reuseaddr,fork" \
		SYSTEM:"head -c $BYTES /dev/zero" </dev/null >/dev/null 2>&1 &
	PIDS+=($!)
}
serve "TCP4-LISTEN:5001,bind=$VIP4"
serve "TCP6-LISTEN:5001,bind=[$VIP6],ipv6only=1"
for _ in $(seq 50); do
	[ "$(in_ns "$S" ss -Hltn 'sport = :5001' | wc -l)" -ge 2 ] && break
	sleep 0.05
done

# ---- probes -------------------------------------------------------------

# pings FAMILY PMTU-MODE SIZE: replies received of 5 pings from the client.
pings() {
	{ in_ns "$C" timeout 15 ping -"$1" -n -q -c 5 -i 0.3 -W 1 -M "$2" -s "$3" "$(vip "$1")" 2>&1 || true; } |
		awk '/received/ { for (i = 1; i <= NF; i++) if ($i ~ /^received/) print $(i - 1) }'
}
vip() { if [ "$1" = 6 ]; then echo "$VIP6"; else echo "$VIP4"; fi; }
client() { if [ "$1" = 6 ]; then echo "$CLIENT6"; else echo "$CLIENT4"; fi; }

# bulk FAMILY: bytes the client received from one transfer.
bulk() {
	local addr=$VIP4
	[ "$1" = 6 ] && addr="[$VIP6]"
	{ in_ns "$C" timeout 20 socat -u "TCP$1:$addr:5001" STDOUT 2>/dev/null || true; } |
		wc -c
}

# route_mtu FAMILY: the MTU S's route cache holds for the client ("-" if
# none).
route_mtu() {
	ip -n "$S" -"$1" route get "$(client "$1")" from "$(vip "$1")" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "mtu") { print $(i + 1); exit } }
		     END { }' | grep . || echo -
}
flush_pmtu() {
	ip -n "$S" route flush cache
	ip -n "$S" -6 route flush cache
	ip -n "$C" route flush cache
	ip -n "$C" -6 route flush cache
}

tx_dropped() {
	ip -n "$S" -s -j link show dev "$SEC" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'
}

# capture NAME NS IF [tcpdump args]: headers of what IF carries, into
# $WORK/NAME.pcap, until stop_captures.
CAPS=()
capture() {
	local name=$1 ns=$2 dev=$3
	shift 3
	# nsenter itself, not the in_ns function: $! must be tcpdump's pid.
	nsenter --net="/run/netns/$ns" tcpdump -i "$dev" --immediate-mode -n -s 96 -U \
		-w "$WORK/$name.pcap" "$@" 2>"$WORK/$name.err" &
	CAPS+=($!)
	PIDS+=($!)
	for _ in $(seq 100); do
		grep -q 'listening on' "$WORK/$name.err" && return 0
		sleep 0.05
	done
	fail "tcpdump $name did not start: $(cat "$WORK/$name.err")"
}
stop_captures() {
	sleep 0.2
	for p in "${CAPS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	CAPS=()
}
# frames NAME [filter]: the link-layer lengths of the captured frames.
frames() {
	local name=$1
	shift
	tcpdump -r "$WORK/$name.pcap" -e -n "$@" 2>/dev/null |
		awk '{ for (i = 1; i < NF; i++) if ($i == "length") { sub(":", "", $(i + 1)); print $(i + 1); break } }'
}
largest() { frames "$@" | sort -n | tail -n 1 | grep . || echo 0; }

prog_id() {
	in_ns "$S" tc filter show dev "$PRI" egress | awk '/ id / { for (i = 1; i < NF; i++) if ($i == "id") { print $(i + 1); exit } }'
}
# counter PREFIX FIELD: one of the route's counters.
counter() {
	python3 "$TCSTEER_SRC/tests/integration/steer_counters.py" "$(prog_id)" |
		awk -v p="$1" -v f="$2" '$1 == p { for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'
}

# udp_dstopts SIZE: one UDP datagram of SIZE bytes from the IPv6 VIP to
# the client, with a destination options header (PadN).
udp_dstopts() {
	in_ns "$S" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5002))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.sendto(b"x" * int(sys.argv[3]), (sys.argv[2], 9))
' "$VIP6" "$CLIENT6" "$1"
	sleep 0.2
}

# ---- tcsteer ------------------------------------------------------------

check "attach" ts attach dev "$PRI"
check "route add $VIP4" ts route add "$VIP4/32" via "$NH4" dev "$SEC" table "$PRI"
check "route add $VIP6" ts route add "$VIP6/128" via "$NH6" dev "$SEC" table "$PRI"
in_ns "$S" ping -c 1 -W 1 -q "$NH4" >/dev/null || true
in_ns "$S" ping -6 -c 1 -W 1 -q "$NH6" >/dev/null || true

echo "# GSO packets whose segments fit pass whole: $SEC at MTU 1500 first"
ip -n "$S" link set "$SEC" mtu 1500
ip -n "$R" link set "$R_S" mtu 1500
got=$(bulk 4)
check "bulk TCP over IPv4 at MTU 1500: $got of $BYTES bytes" test "$got" = "$BYTES"
pk=$(counter "$VIP4/32" packets)
by=$(counter "$VIP4/32" bytes)
check "no packet was too big (toobig $(counter "$VIP4/32" toobig))" test "$(counter "$VIP4/32" toobig)" = 0
check "steered packets average $((by / (pk ? pk : 1))) bytes: GSO packets went whole" \
	test "$((by / (pk ? pk : 1)))" -gt 1514
ip -n "$S" link set "$SEC" mtu 1400
ip -n "$R" link set "$R_S" mtu 1400
flush_pmtu

echo "# the MTU lab: $SEC and the router at 1400"
drops0=$(tx_dropped)
capture sec "$S" "$SEC" -Q out
capture router "$R" "$R_S" -Q in
declare -A TS
# One datagram to a closed port of each VIP: the port unreachable comes
# from the VIP and must be steered to the client (first, before anything
# else could use up the stack's rate limit of ICMP errors to the client).
in_ns "$C" socat -u STDIN "UDP4:$VIP4:9" <<<x 2>/dev/null || true
in_ns "$C" socat -u STDIN "UDP6:[$VIP6]:9" <<<x 2>/dev/null || true
TS[ping4]=$(pings 4 dont 1450)
TS[mtu4]=$(route_mtu 4)
TS[ping6]=$(pings 6 dont 1450)
TS[mtu6]=$(route_mtu 6)
TS[pingdo4]=$(pings 4 do 1450)
TS[pingdo4small]=$(pings 4 do 1372)
flush_pmtu
TS[bulk4]=$(bulk 4)
TS[bulkmtu4]=$(route_mtu 4)
TS[bulk6]=$(bulk 6)
TS[bulkmtu6]=$(route_mtu 6)
# IPv6 extension headers: fragment headers (replies of 3048 bytes), and
# destination options from a UDP socket; one of those too big gets its
# packet-too-big (quoting the options) and the socket's path MTU drops.
pings 6 dont 3000 >/dev/null
udp_dstopts 100
ip -n "$S" -6 route flush cache
udp_dstopts 1400
TS[dstoptsmtu]=$(route_mtu 6)
udp_dstopts 1400
stop_captures
TS[toobig4]=$(counter "$VIP4/32" toobig)
TS[toobig6]=$(counter "$VIP6/128" toobig)
TS[sec]=$(largest sec)
TS[router]=$(largest router)
TS[drops]=$(($(tx_dropped) - drops0))

check "ping -M dont -s 1450 (IPv4): ${TS[ping4]} of 5 replies (the first is the one too big)" \
	test "${TS[ping4]:-0}" -ge 3
check "ping -s 1450 (IPv6): ${TS[ping6]} of 5 replies" test "${TS[ping6]:-0}" -ge 2
check "ping -M do -s 1450: no reply (${TS[pingdo4]}): the router cannot forward the request" \
	test "${TS[pingdo4]:-0}" = 0
check "ping -M do -s 1372 (1400 bytes): ${TS[pingdo4small]} of 5" test "${TS[pingdo4small]:-0}" = 5
check "the route cache holds mtu 1400 for the client (IPv4: ${TS[mtu4]})" test "${TS[mtu4]}" = 1400
check "the route cache holds mtu 1400 for the client (IPv6: ${TS[mtu6]})" test "${TS[mtu6]}" = 1400
check "bulk TCP over IPv4: ${TS[bulk4]} of $BYTES bytes" test "${TS[bulk4]}" = "$BYTES"
check "bulk TCP over IPv6: ${TS[bulk6]} of $BYTES bytes" test "${TS[bulk6]}" = "$BYTES"
check "TCP learned mtu 1400 (IPv4: ${TS[bulkmtu4]}, IPv6: ${TS[bulkmtu6]})" \
	test "${TS[bulkmtu4]}/${TS[bulkmtu6]}" = 1400/1400
check "toobig counts (IPv4 ${TS[toobig4]}, IPv6 ${TS[toobig6]})" \
	test "${TS[toobig4]:-0}" -ge 2 -a "${TS[toobig6]:-0}" -ge 2
check "no frame above 1414 bytes left by $SEC (largest ${TS[sec]})" test "${TS[sec]}" -le 1414
check "none above 1414 reached the router (largest ${TS[router]})" test "${TS[router]}" -le 1414
check "frames of 1414 bytes were sent (full-size segments)" test "${TS[sec]}" = 1414
check "$SEC dropped nothing on transmit (${TS[drops]})" test "${TS[drops]}" = 0
n=$(frames router "src $VIP4 and icmp[icmptype] == icmp-unreach" | wc -l)
check "the VIP's port unreachable (ICMP) was steered ($n)" test "$n" -ge 1
n=$(frames router "src $VIP6 and icmp6 and ip6[40] == 1" | wc -l)
check "the VIP's port unreachable (ICMPv6) was steered ($n)" test "$n" -ge 1
n=$(frames router "src $VIP4 and ip[6:2] & 0x1fff != 0" | wc -l)
check "the later fragments of the IPv4 replies were steered ($n)" test "$n" -ge 3
n=$(frames router "src $VIP4 and ip[6] & 0x20 != 0" | wc -l)
check "and their first fragments ($n)" test "$n" -ge 3
n=$(frames router "src $VIP6 and ip6[6] == 44" | wc -l)
check "the IPv6 replies' fragments (fragment header) were steered ($n)" test "$n" -ge 6
n=$(frames router "src $VIP6 and ip6[6] == 60" | wc -l)
check "a datagram with destination options was steered ($n)" test "$n" -ge 1
check "one too big got its packet too big: the socket's path MTU is ${TS[dstoptsmtu]}" \
	test "${TS[dstoptsmtu]}" = 1400
# Linux puts the options in front of the fragment header of each fragment.
n=$(frames router "src $VIP6 and ip6[6] == 60 and ip6[40] == 44" | wc -l)
check "the next one went in fragments, each with the options ($n)" test "$n" -ge 2
# The stack's own receive counter of "fragmentation needed": the errors the
# program made went in.
n=$(in_ns "$S" awk '$1 == "Icmp:" && $2 ~ /^[0-9]+$/ { print $5 }' /proc/net/snmp)
check "the server's stack received the errors (Icmp InDestUnreachs $n)" test "$n" -ge 1
n=$(in_ns "$S" awk '$1 == "Icmp6InPktTooBigs" { print $2 }' /proc/net/snmp6)
check "and the packet-too-bigs (Icmp6InPktTooBigs $n)" test "$n" -ge 1

check "route del $VIP4" ts route del "$VIP4/32" table "$PRI"
check "route del $VIP6" ts route del "$VIP6/128" table "$PRI"
check "detach" ts detach dev "$PRI"

# ---- source policy routing, the same probes -------------------------------

echo "# the same with source policy routing"
ip -n "$S" rule add from "$VIP4" lookup 4242 prio 100
ip -n "$S" route add default via "$NH4" dev "$SEC" table 4242
ip -n "$S" -6 rule add from "$VIP6" lookup 4242 prio 100
ip -n "$S" -6 route add default via "$NH6" dev "$SEC" table 4242
flush_pmtu
drops0=$(tx_dropped)
capture psec "$S" "$SEC" -Q out
declare -A PR
PR[ping4]=$(pings 4 dont 1450)
PR[mtu4]=$(route_mtu 4)
PR[ping6]=$(pings 6 dont 1450)
PR[mtu6]=$(route_mtu 6)
PR[pingdo4]=$(pings 4 do 1450)
PR[pingdo4small]=$(pings 4 do 1372)
flush_pmtu
PR[bulk4]=$(bulk 4)
PR[bulkmtu4]=$(route_mtu 4)
PR[bulk6]=$(bulk 6)
PR[bulkmtu6]=$(route_mtu 6)
stop_captures
PR[sec]=$(largest psec)
PR[drops]=$(($(tx_dropped) - drops0))
check "policy routing: bulk TCP completes (${PR[bulk4]}, ${PR[bulk6]})" \
	test "${PR[bulk4]}/${PR[bulk6]}" = "$BYTES/$BYTES"
check "policy routing: no frame above 1414 bytes (${PR[sec]})" test "${PR[sec]}" -le 1414

printf '# %-42s %-12s %s\n' "probe" "tcsteer" "policy routing"
row() { printf '# %-42s %-12s %s\n' "$1" "$2" "$3"; }
row "ping -M dont -s 1450, IPv4 (of 5)" "${TS[ping4]}" "${PR[ping4]}"
row "ping -s 1450, IPv6 (of 5)" "${TS[ping6]}" "${PR[ping6]}"
row "ping -M do -s 1450 / -s 1372, IPv4" "${TS[pingdo4]} / ${TS[pingdo4small]}" "${PR[pingdo4]} / ${PR[pingdo4small]}"
row "route cache mtu after ping, v4 / v6" "${TS[mtu4]} / ${TS[mtu6]}" "${PR[mtu4]} / ${PR[mtu6]}"
row "bulk TCP bytes, v4 / v6" "${TS[bulk4]} / ${TS[bulk6]}" "${PR[bulk4]} / ${PR[bulk6]}"
row "route cache mtu after TCP, v4 / v6" "${TS[bulkmtu4]} / ${TS[bulkmtu6]}" "${PR[bulkmtu4]} / ${PR[bulkmtu6]}"
row "largest frame out of $SEC" "${TS[sec]}" "${PR[sec]}"
row "$SEC tx dropped" "${TS[drops]}" "${PR[drops]}"
row "toobig v4 / v6" "${TS[toobig4]} / ${TS[toobig6]}" "-"
done_testing
