#!/usr/bin/env bash
# A VLAN-tagged primary, with real packets (root). Topology: route_topo.sh;
# the primary leg H $DEV_A <-> P carries the tags.
#
# The kernels tcsteer is tested on need not have 8021q or act_vlan, so the
# tags come from a BPF program in front of tcsteer's filter
# (tests/progs/vlan_tag.o, tc prio 1): tags in skb metadata, as a VLAN
# device on top of $DEV_A sends them, and P's ingress takes them off. A tag
# in the packet data comes from a packet socket.
#
# - 802.1Q in metadata: a steered packet leaves $DEV_B untagged (Q's veth,
#   without VLANs, would drop a tagged one: arriving in Q is the proof),
#   IPv4 and IPv6; one too big for $DEV_B (MTU 1400 here) gets its ICMP
#   error, untagged, so the next ones pass; an unrouted one keeps its tag.
# - QinQ (802.1ad in metadata, 802.1Q in the data) passes untouched: to P,
#   tagged twice, not counted. Attaching to the innermost VLAN device is
#   how its VIPs are steered (a device this kernel cannot make here).
# - 802.1Q in the data: popped and steered too.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
OBJ="$TCSTEER_PROGS/vlan_tag.o"
[ -r "$OBJ" ] || { echo "SKIP $T_NAME: no $OBJ"; exit 77; }
steer_topology
resolve_neighbours
WORK=$(mktemp -d)
CAP=
trap '[ -n "$CAP" ] && kill "$CAP" 2>/dev/null; cleanup_netns; rm -rf "$WORK"' EXIT

# tag SECTION: the tagging program on $DEV_A's egress, ahead of tcsteer's.
tag() {
	ip netns exec "$H" tc filter del dev "$DEV_A" egress prio 1 2>/dev/null || true
	[ "$1" = none ] && return 0
	ip netns exec "$H" tc filter add dev "$DEV_A" egress prio 1 handle 1 bpf da \
		obj "$OBJ" sec "tc/$1"
}
ip netns exec "$P" tc qdisc add dev "${T_ID}pa" clsact
ip netns exec "$P" tc filter add dev "${T_ID}pa" ingress prio 1 handle 1 bpf da \
	obj "$OBJ" sec tc/pop

# capture: tcpdump on P's leg until stop (the tags P gets).
capture() {
	: >"$WORK/err"
	nsenter --net="/run/netns/$P" tcpdump -i "${T_ID}pa" --immediate-mode -e -n -U -w "$WORK/p.pcap" \
		icmp or icmp6 or vlan 2>"$WORK/err" &
	CAP=$!
	for _ in $(seq 100); do grep -q 'listening on' "$WORK/err" && return 0; sleep 0.05; done
	fail "tcpdump did not start: $(cat "$WORK/err")"
}
stop() { sleep 0.2; kill "$CAP"; wait "$CAP" 2>/dev/null || true; CAP=; }
seen() { tcpdump -r "$WORK/p.pcap" -e -n 2>/dev/null | grep -c "$1" || true; }

packets() {     # PREFIX: the route's steered packets (route show -s)
	ts route show -s table "$DEV_A" | awk -v p="$1" '$1 == p { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

check "attach $DEV_A" ts attach dev "$DEV_A"
check "route add (IPv4) via Q" ts route add 10.99.1.0/24 via "$NH_Q4" dev "$DEV_B" table "$DEV_A"
check "route add (IPv6) via Q" ts route add fd00:99:1::/64 via "$NH_Q6" dev "$DEV_B" table "$DEV_A"

echo "# 802.1Q 100 in skb metadata"
check "the tagging program in front" tag dot1q
capture
arrives "802.1Q, IPv4: steered to Q, untagged" 3 "$SRC4_NET" "$Q"
arrives "802.1Q, IPv6: steered to Q, untagged" 3 "$SRC6_NET" "$Q"
arrives "802.1Q, no route: to P" 2 "$SRC4_NONE" "$P"
stop
check "P got the unrouted ones tagged ($(seen 'vlan 100'))" test "$(seen 'vlan 100')" -ge 2
check "and none of the steered ones" test "$(seen "$SRC4_NET")" = 0

ip -n "$H" link set "$DEV_B" mtu 1400
ip -n "$Q" link set "${T_ID}qb" mtu 1400
n=$({ in_ns "$H" ping -q -n -c 5 -i 0.2 -W 1 -M dont -s 1450 -I "$SRC4_NET" "$DST4" 2>&1 || true; } |
	awk '/received/ { for (i = 1; i <= NF; i++) if ($i ~ /^received/) print $(i - 1) }')
check "802.1Q, 1478 bytes to a 1400 link: $n of 5 replies (the first too big)" test "${n:-0}" -ge 3
mtu=$(ip -n "$H" route get "$DST4" from "$SRC4_NET" | grep -o 'mtu [0-9]*' || true)
check "the stack took the error ($mtu)" test "$mtu" = "mtu 1400"
ip -n "$H" link set "$DEV_B" mtu 1500
ip -n "$Q" link set "${T_ID}qb" mtu 1500

echo "# QinQ: 802.1ad 300 in metadata, 802.1Q 400 in the data"
check "the QinQ tagging program" tag qinq
before=$(packets 10.99.1.0/24)
capture
arrives "QinQ, IPv4: untouched, to P" 3 "$SRC4_NET" "$P"
arrives "QinQ, IPv6: untouched, to P" 3 "$SRC6_NET" "$P"
stop
check "not counted as steered ($before -> $(packets 10.99.1.0/24))" test "$(packets 10.99.1.0/24)" = "$before"
check "P got them with both tags" test "$(seen 'vlan 300.*vlan 400')" -ge 6

echo "# 802.1Q 100 in the packet data (a packet socket)"
check "no tagging program" tag none
# send SRC DST: one echo request in a frame tagged in its data, to P's MAC.
send() {
	in_ns "$H" python3 - "$DEV_A" "$(ip -n "$P" -br link show dev "${T_ID}pa" | awk '{ print $3 }')" "$1" "$2" <<'EOF'
import ipaddress, socket, struct, sys

dev, dst_mac, src, dst = sys.argv[1:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
src_mac = s.getsockname()[4]

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return (~t) & 0xffff

a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
if a.version == 4:
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x77, 1) + b"tcsteer-vlan"
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 1, 0, 64, 1, 0,
                     a.packed, b.packed)
    l3 = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + icmp
    etype = 0x0800
else:
    icmp = struct.pack("!BBHHH", 128, 0, 0, 0x77, 1) + b"tcsteer-vlan"
    pseudo = a.packed + b.packed + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    l3 = struct.pack("!IHBB16s16s", 6 << 28, len(icmp), 58, 64, a.packed,
                     b.packed) + icmp
    etype = 0x86dd
frame = bytes.fromhex(dst_mac.replace(":", "")) + src_mac + \
    struct.pack("!HHH", 0x8100, 100, etype) + l3
s.send(frame)
EOF
}
for fam in 4 6; do
	if [ "$fam" = 4 ]; then src=$SRC4_NET dst=$DST4; else src=$SRC6_NET dst=$DST6; fi
	read -ra was <<<"$(where $fam)"
	before=$(packets "$([ $fam = 4 ] && echo 10.99.1.0/24 || echo fd00:99:1::/64)")
	send "$src" "$dst"
	sleep 0.3
	read -ra now <<<"$(where $fam)"
	check "tag in the data, IPv$fam: the echo arrived in Q (P Q R: ${was[*]} -> ${now[*]})" \
		test "$((now[1] - was[1]))/$((now[0] - was[0]))" = 1/0
done
done_testing
