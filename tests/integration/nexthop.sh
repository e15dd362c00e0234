#!/usr/bin/env bash
# The next-hop checks `route add` makes (netlink/nexthop.c) and its MTU
# warning (netlink/link.c), driven through nl_probe in a real namespace
# (root): the server of the lab, with the kernel's own routes.
#
#   $PRI 10.111.220.11/24 fd00:220::11/64, default via .1 / ::1 (the gateway)
#   $SEC 10.111.221.11/24 fd00:221::11/64 (the router .21 / ::21 there)
#   lo   192.168.1.5/32 (a VIP)
#
# The cases of issue 12: via 8.8.8.8, the other link's gateway, the
# server's own addresses, 0.0.0.0, the subnet broadcast, 224.0.0.1, ff02::1
# are refused with one line; fe80::1 and the router are valid. Also: a
# default route on $SEC (8.8.8.8 then goes via a gateway), a blackhole, the
# subnet-router anycast, $SEC down (its addresses stand in for its routes),
# IPv6 off, a missing device.
. "$(dirname "$0")/../lib.sh"
need_root
PROBE=$TCSTEER_BUILD/tests/integration/nl_probe
[ -x "$PROBE" ] || { echo "SKIP $T_NAME: no $PROBE"; exit 77; }

H=$(new_netns s)
G=$(new_netns g)
R=$(new_netns r)
PRI="${T_ID}p"
SEC="${T_ID}s"
in_ns "$H" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
veth_pair "$H" "$PRI" "$G" "${T_ID}g"
veth_pair "$H" "$SEC" "$R" "${T_ID}r"
ip -n "$H" addr add 10.111.220.11/24 dev "$PRI"
ip -n "$H" addr add fd00:220::11/64 dev "$PRI" nodad
ip -n "$H" addr add 10.111.221.11/24 dev "$SEC"
ip -n "$H" addr add fd00:221::11/64 dev "$SEC" nodad
ip -n "$H" addr add 192.168.1.5/32 dev lo
ip -n "$H" route add default via 10.111.220.1
ip -n "$H" -6 route add default via fd00:220::1

probe() { in_ns "$H" "$PROBE" "$@"; }

# expect VERDICT ADDR [PATTERN]: the check of ADDR on $SEC gives VERDICT
# (and a message matching PATTERN).
expect() {
	local want=$1 addr=$2 pattern=${3:-} out
	out=$(probe nexthop "$SEC" "$addr") || true
	if [[ $out == "$want"* ]] && { [ -z "$pattern" ] || grep -Eq -- "$pattern" <<<"$out"; }; then
		ok "via $addr: $out"
	else
		fail "via $addr: expected $want${pattern:+ /$pattern/}, got: $out"
	fi
}

echo "# the cases of the issue"
expect NOT_ON_LINK 8.8.8.8 "next hop 8.8.8.8 is not on $SEC's link: no connected route on $SEC covers it$"
expect NOT_ON_LINK 10.111.220.1 "no connected route on $SEC covers it"
expect OWN_ADDRESS 10.111.221.11 "is an address of this host"
expect OWN_ADDRESS 10.111.220.11
expect OWN_ADDRESS 192.168.1.5
expect UNSPECIFIED 0.0.0.0 "is the unspecified address"
expect BROADCAST 10.111.221.255 "is a broadcast address"
expect BROADCAST 255.255.255.255
expect MULTICAST 224.0.0.1 "is a multicast address"
expect MULTICAST ff02::1
expect OK fe80::1
expect OK 10.111.221.21
expect OK fd00:221::21
echo "# more"
expect NOT_ON_LINK fd00:220::1
expect OWN_ADDRESS fd00:221::11
expect UNSPECIFIED ::
expect LOOPBACK 127.0.0.1
expect LOOPBACK ::1
expect V4_MAPPED ::ffff:10.111.221.21
expect NOT_ON_LINK 2001:4860::8888
expect OK 10.111.221.77       # on the link; whether anyone answers is not ours to know
ip -n "$H" route add default via 10.111.221.21 dev "$SEC" metric 200
expect NOT_ON_LINK 8.8.8.8 "the route to it goes via 10.111.221.21$"
ip -n "$H" -6 route add 2001:db8::/64 via fd00:221::21 dev "$SEC"
expect NOT_ON_LINK 2001:db8::5 "goes via fd00:221::21$"
ip -n "$H" route add blackhole 10.111.221.128/25
expect NOT_ON_LINK 10.111.221.200
in_ns "$H" sysctl -qw "net.ipv6.conf.$SEC.forwarding=1"
expect ANYCAST fd00:221:: "subnet-router anycast"

echo "# $SEC down: its addresses stand in for its connected routes"
ip -n "$H" link set "$SEC" down
expect OK 10.111.221.21
expect BROADCAST 10.111.221.255 "broadcast address of $SEC's subnet"
expect OWN_ADDRESS 10.111.221.11
expect NOT_ON_LINK 10.111.220.1 "it is on $PRI's$"
expect UNVERIFIED 8.8.8.8 "^UNVERIFIED warning: $SEC is down: cannot check"
expect OK fe80::1
ip -n "$H" link set "$SEC" up
in_ns "$H" sysctl -qw "net.ipv6.conf.$SEC.disable_ipv6=1"
expect NOT_ON_LINK fe80::1 "no IPv6 link-local route"
in_ns "$H" sysctl -qw "net.ipv6.conf.$SEC.disable_ipv6=0"

out=$(probe nexthop none 10.111.221.21) || true
check "a missing device is an error ($out)" grep -q "^error: get link: no network device" <<<"$out"

echo "# the MTU warning of route add"
ip -n "$H" link set "$SEC" mtu 1400
out=$(probe mtu "$SEC" "$PRI")
check "$SEC at 1400, $PRI at 1500: $out" \
	grep -Eq "^warning: $SEC's MTU \(1400\) is smaller than $PRI's \(1500\)" <<<"$out"
check "the other way round: no warning" test "$(probe mtu "$PRI" "$SEC")" = "no warning"
ip -n "$H" link set "$SEC" mtu 1500
check "equal MTUs: no warning" test "$(probe mtu "$SEC" "$PRI")" = "no warning"
done_testing
