# shellcheck shell=bash
# shellcheck disable=SC2034 # the names are for the scripts that source this
# The steering topology shared by route.sh, batch.sh, neigh.sh and legacy.sh.
# Source it after tests/lib.sh:
#
#            +-- $DEV_A (10.91.0.1, fd00:91::1) ---- P (10.91.0.2, fd00:91::2)
#   H -------+-- $DEV_B (10.92.0.1, fd00:92::1) ---- Q (10.92.0.2, fd00:92::2)
#   (sources +-- $DEV_C (10.93.0.1, fd00:93::1) ---- R (10.93.0.2, fd00:93::2)
#    on lo)
#
# H holds the steering sources on lo ($SRC4_*, $SRC6_*) and runs tcsteer;
# the destination $DST4/$DST6 is P's address, reached through $DEV_A, and Q
# and R hold the same address on their lo. So a packet H sends to $DST
# arrives in P unless tcsteer redirects it to Q or R, and each namespace
# answers the echo requests that reach it: its own InEchos counter tells
# where a packet arrived. P, Q and R route the sources back to H.
# No reverse-path filtering and no duplicate address detection anywhere.

DST4=10.91.0.2
DST6=fd00:91::2
NH_P4=10.91.0.2
NH_P6=fd00:91::2
NH_Q4=10.92.0.2
NH_Q6=fd00:92::2
NH_R4=10.93.0.2
NH_R6=fd00:93::2
SRC4_HOST=10.99.1.5     # the /32 route's source
SRC4_NET=10.99.1.6      # in the /24, not the /32
SRC4_OTHER=10.99.2.7    # in the IPv4 prefix with an IPv6 next hop
SRC4_NONE=10.98.0.1     # in no route
SRC6_HOST=fd00:99:1::5
SRC6_NET=fd00:99:1::6
SRC6_NONE=fd00:98::1

DEV_A="${T_ID}a"
DEV_B="${T_ID}b"
DEV_C="${T_ID}c"

sysctl_ns() { in_ns "$1" sysctl -qw "$2"; }

# topo_ns NAME: a namespace of this test with the topology's sysctls.
topo_ns() {
	local ns
	ns=$(new_netns "$1")
	sysctl_ns "$ns" net.ipv4.conf.all.rp_filter=0
	sysctl_ns "$ns" net.ipv4.conf.default.rp_filter=0
	sysctl_ns "$ns" net.ipv6.conf.all.accept_dad=0
	sysctl_ns "$ns" net.ipv6.conf.default.accept_dad=0
	echo "$ns"
}

# topo_leg PEER_NS H_IF PEER_IF N: the veth H_IF (H, 10.9N.0.1) to PEER_IF
# (PEER_NS, 10.9N.0.2), the peer routing the sources back through it.
topo_leg() {
	local peer=$1 hif=$2 pif=$3 n=$4
	veth_pair "$H" "$hif" "$peer" "$pif"
	sysctl_ns "$H" "net.ipv4.conf.$hif.rp_filter=0"
	ip -n "$H" addr add "10.9$n.0.1/24" dev "$hif"
	ip -n "$H" addr add "fd00:9$n::1/64" dev "$hif" nodad
	ip -n "$peer" addr add "10.9$n.0.2/24" dev "$pif"
	ip -n "$peer" addr add "fd00:9$n::2/64" dev "$pif" nodad
	ip -n "$peer" route add 10.98.0.0/15 via "10.9$n.0.1"
	ip -n "$peer" route add fd00:98::/31 via "fd00:9$n::1"
}

# steer_topology: builds it all; sets H P Q R.
steer_topology() {
	local a
	H=$(topo_ns h)
	P=$(topo_ns p)
	Q=$(topo_ns q)
	R=$(topo_ns r)
	topo_leg "$P" "$DEV_A" "${T_ID}pa" 1
	topo_leg "$Q" "$DEV_B" "${T_ID}qb" 2
	topo_leg "$R" "$DEV_C" "${T_ID}rc" 3
	ip -n "$Q" addr add "$DST4/32" dev lo
	ip -n "$Q" addr add "$DST6/128" dev lo
	ip -n "$R" addr add "$DST4/32" dev lo
	ip -n "$R" addr add "$DST6/128" dev lo
	for a in "$SRC4_HOST" "$SRC4_NET" "$SRC4_OTHER" "$SRC4_NONE"; do
		ip -n "$H" addr add "$a/32" dev lo
	done
	for a in "$SRC6_HOST" "$SRC6_NET" "$SRC6_NONE"; do
		ip -n "$H" addr add "$a/128" dev lo nodad
	done
}


# echos NS 4|6: the echo requests that arrived in NS (and were answered).
echos() {
	# shellcheck disable=SC2016 # awk's $ fields
	if [ "$2" = 6 ]; then
		in_ns "$1" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6
	else
		in_ns "$1" awk '$1 == "Icmp:" && $2 ~ /^[0-9]+$/ { print $10 }' /proc/net/snmp
	fi
}

# where 4|6: "P Q R" echo counters, one word each, for before/after diffs.
where() {
	echo "$(echos "$P" "$1") $(echos "$Q" "$1") $(echos "$R" "$1")"
}

# pings N SRC [DST]: N echo requests from SRC (H's address) to DST; the exit
# status is ping's (0 if every request was answered).
pings() {
	local n=$1 src=$2 dst=${3:-}
	if [[ $src == *:* ]]; then
		in_ns "$H" ping -6 -q -n -c "$n" -i 0.05 -W 1 -I "$src" "${dst:-$DST6}" >/dev/null
	else
		in_ns "$H" ping -4 -q -n -c "$n" -i 0.05 -W 1 -I "$src" "${dst:-$DST4}" >/dev/null
	fi
}

# arrives DESC N SRC NS: N pings from SRC are all answered, and all of them
# arrived in NS (P, Q or R) and none elsewhere.
arrives() {
	local desc=$1 n=$2 src=$3 ns=$4 fam=4 rc=0 moved=ok i
	local -a was now names=("$P" "$Q" "$R")
	[[ $src == *:* ]] && fam=6
	read -ra was <<<"$(where $fam)"
	pings "$n" "$src" || rc=$?
	read -ra now <<<"$(where $fam)"
	for i in 0 1 2; do
		if [ "${names[i]}" = "$ns" ]; then
			[ $((now[i] - was[i])) = "$n" ] || moved=no
		else
			[ "${now[i]}" = "${was[i]}" ] || moved=no
		fi
	done
	if [ "$rc" = 0 ] && [ "$moved" = ok ]; then
		ok "$desc"
	else
		fail "$desc (ping exit $rc; echos in P Q R: ${was[*]} -> ${now[*]})"
	fi
}

# resolve_neighbours: H knows P, Q and R's MACs (so that no first packet
# waits for ARP/ND on the primary device in a test that is not about it).
resolve_neighbours() {
	local n
	for n in 1 2 3; do
		in_ns "$H" ping -4 -q -n -c 1 -W 1 "10.9$n.0.2" >/dev/null
		in_ns "$H" ping -6 -q -n -c 1 -W 1 "fd00:9$n::2" >/dev/null
	done
}
