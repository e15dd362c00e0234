#!/usr/bin/env bash
# The early-boot order (issue 15): `tcsteer route add` run before the
# network namespace has any IPv4 address (lo down, links down, as in an
# initramfs /init), then the network configured, then real packets.
#
# Before the first IPv4 address, a namespace has no local routing table and
# the kernel classes every IPv4 address as broadcast: a neighbour entry made
# then is NUD_NOARP with lladdr ff:ff:ff:ff:ff:ff, and a *managed* one is
# never rebuilt, so every steered IPv4 packet would go to the broadcast MAC
# for good. route add must notice, remove the entry again and warn in one
# line (exit 0, the route is in the table); the first steered packet after
# the network is up then creates an ordinary entry, and steering works.
#
#   H (no address yet) -- $DEV_A --- P (10.91.0.2: the destination, default route)
#                      -- $DEV_B --- Q (10.92.0.2, also holds 10.91.0.2 on lo)
#
# H pings P's address from a steered source on its lo: the echo requests
# arrive in P unless tcsteer redirects them to Q (Q's InEchos counter).
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

DEV_A="${T_ID}a"
DEV_B="${T_ID}b"
SRC4=10.99.1.5
SRC6=fd00:99:1::5
DST4=10.91.0.2
DST6=fd00:91::2
NH4=10.92.0.2
NH6=fd00:92::2

# H by hand: new_netns would bring lo up, and 127.0.0.1 is an IPv4 address.
H="${T_ID}-h"
ip netns add "$H"
P=$(new_netns p)
Q=$(new_netns q)
for ns in "$H" "$P" "$Q"; do
	in_ns "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done
ip link add "$DEV_A" netns "$H" type veth peer name "${T_ID}pa" netns "$P"
ip link add "$DEV_B" netns "$H" type veth peer name "${T_ID}qb" netns "$Q"

# H's entries for the next hops, NUD_NONE ones included (IPv6 multicast
# entries are NOARP by nature: not those)
neigh_all() { ip -n "$H" neigh show nud all | grep -E "^($NH4|$NH6) "; }
no_trap() { ! neigh_all | grep -Eq 'NOARP|ff:ff:ff:ff:ff:ff'; }

check "H has no IPv4 address" test -z "$(ip -n "$H" -4 -o addr show)"
check "attach with no address and no carrier" ts attach dev "$DEV_A"

err=$(ts route add "$SRC4/32" via "$NH4" dev "$DEV_B" table "$DEV_A" 2>&1 >/dev/null) &&
	ok "route add (IPv4) exits 0" || fail "route add (IPv4) failed: $err"
if [ "$(grep -c . <<<"$err")" = 1 ] &&
	grep -Eq "^tcsteer: warning: next hop $NH4 not made managed: .*NOARP.*ff:ff:ff:ff:ff:ff" <<<"$err"; then
	ok "one warning line: $err"
else
	fail "expected one warning about the NOARP entry, got: [$err]"
fi
check "the IPv4 route is in the table" grep -q "^$SRC4/32 via $NH4 dev $DEV_B" <<<"$(ts route show table "$DEV_A")"
check "no NOARP / broadcast neighbour entry left" no_trap

err=$(ts route add "$SRC6/128" via "$NH6" dev "$DEV_B" table "$DEV_A" 2>&1 >/dev/null) &&
	ok "route add (IPv6) exits 0" || fail "route add (IPv6) failed: $err"
check "IPv6: no warning (the trap is IPv4's)" test -z "$err"
check "still no NOARP / broadcast neighbour entry" no_trap

# The trap left by an older tcsteer (or by hand) is repaired by route add.
if [ "$(printf '5.16\n%s\n' "$(uname -r)" | sort -V | head -n 1)" = 5.16 ]; then
	ip -n "$H" neigh replace "$NH4" dev "$DEV_B" managed
	stuck() { neigh_all | grep -q "^$NH4 .*managed NOARP"; }
	check "a stuck managed NOARP entry made by hand" stuck
	ts route add "$SRC4/32" via "$NH4" dev "$DEV_B" table "$DEV_A" 2>/dev/null
	check "route add removes the stuck entry" no_trap
fi

# The network comes up: far ends first, as a real NIC's carrier would.
ip -n "$P" addr add "$DST4/24" dev "${T_ID}pa"
ip -n "$P" addr add "$DST6/64" dev "${T_ID}pa" nodad
ip -n "$Q" addr add "$NH4/24" dev "${T_ID}qb"
ip -n "$Q" addr add "$NH6/64" dev "${T_ID}qb" nodad
ip -n "$Q" addr add "$DST4/32" dev lo
ip -n "$Q" addr add "$DST6/128" dev lo
ip -n "$P" link set "${T_ID}pa" up
ip -n "$Q" link set "${T_ID}qb" up
ip -n "$P" route add "$SRC4/32" via 10.91.0.1
ip -n "$P" route add "$SRC6/128" via fd00:91::1
ip -n "$Q" route add "$SRC4/32" via 10.92.0.1
ip -n "$Q" route add "$SRC6/128" via fd00:92::1
ip -n "$H" link set lo up
ip -n "$H" addr add "$SRC4/32" dev lo
ip -n "$H" addr add "$SRC6/128" dev lo nodad
ip -n "$H" addr add 10.91.0.1/24 dev "$DEV_A"
ip -n "$H" addr add fd00:91::1/64 dev "$DEV_A" nodad
ip -n "$H" addr add 10.92.0.1/24 dev "$DEV_B"
ip -n "$H" addr add fd00:92::1/64 dev "$DEV_B" nodad
ip -n "$H" link set "$DEV_A" up
ip -n "$H" link set "$DEV_B" up
ip -n "$H" route add default via "$DST4" dev "$DEV_A"
ip -n "$H" -6 route add default via "$DST6" dev "$DEV_A"
check "configuring the network made no NOARP / broadcast entry" no_trap

# in_echos NS 4|6: echo requests that arrived in NS
in_echos() {
	# shellcheck disable=SC2016 # awk's fields
	if [ "$2" = 6 ]; then
		in_ns "$1" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6
	else
		in_ns "$1" awk '$1 == "Icmp:" && $2 ~ /^[0-9]+$/ { print $10 }' /proc/net/snmp
	fi
}
# steered FAM SRC DST: after one warm-up packet (an unresolved next hop
# loses the first one, see neigh.sh), 3 pings all answered, all by Q.
steered() {
	local fam=$1 src=$2 dst=$3 p0 q0 rc=0
	in_ns "$H" ping "-$fam" -q -n -c 1 -W 1 -I "$src" "$dst" >/dev/null 2>&1 || true
	p0=$(in_echos "$P" "$fam")
	q0=$(in_echos "$Q" "$fam")
	in_ns "$H" ping "-$fam" -q -n -c 3 -i 0.1 -W 1 -I "$src" "$dst" >/dev/null || rc=$?
	[ "$rc" = 0 ] && [ "$(in_echos "$P" "$fam")" = "$p0" ] &&
		[ "$(in_echos "$Q" "$fam")" = $((q0 + 3)) ]
}
check "IPv4: the pings are steered to Q and answered" steered 4 "$SRC4" "$DST4"
check "IPv6: the pings are steered to Q and answered" steered 6 "$SRC6" "$DST6"
check "the IPv4 next hop is an ordinary resolved entry now" \
	grep -Eq "^$NH4 dev $DEV_B lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} (REACHABLE|STALE|DELAY|PROBE)" \
	<<<"$(ip -n "$H" neigh show nud all)"
check "still no NOARP / broadcast neighbour entry" no_trap
check "detach" ts detach dev "$DEV_A"

done_testing
