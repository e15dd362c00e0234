#!/usr/bin/env bash
# End to end: the asymmetric-return-path lab (compose/netns-lab.sh) in
# namespaces of this test's own. Without tcsteer every client -> VIP probe
# fails (IPv4 and IPv6, ping and TCP) and the replies leave by the server's
# eth0; with `tcsteer attach` + `route add` they all pass and tcpdump sees
# the replies leave by eth1, from eth1's MAC to the router's, and none by
# eth0; after `route del` + `detach` the problem is back.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

LAB=$TCSTEER_SRC/compose/netns-lab.sh
# shellcheck source=compose/topology.env
. "$TCSTEER_SRC/compose/topology.env"
PREFIX=$T_ID
NS_SERVER=$PREFIX-server
NS_ROUTER=$PREFIX-router
NS_GW=$PREFIX-gw
T_NETNS+=("$NS_SERVER" "$NS_ROUTER" "$NS_GW" "$PREFIX-client")
PRI=$SERVER_PRIMARY_IF
SEC=$SERVER_SECONDARY_IF

lab() { timeout 30 "$LAB" "$@" --prefix "$PREFIX"; }
# netns-lab.sh down unsteers first, so no pins outlive the test.
trap 'lab down >/dev/null 2>&1 || true; cleanup_netns' EXIT

mac_of() { ip -n "$1" -br link show dev "$2" | awk '{ print $3 }'; }

# probe_lines OUT WANT: each of the four probes printed one WANT line.
probe_lines() {
	local out=$1 want=$2 p
	for p in ping4 ping6 tcp4 tcp6; do
		if grep -Eq "^$want +$p " <<<"$out"; then
			ok "$p: $want"
		else
			fail "$p: expected $want in: $(grep -E " $p " <<<"$out")"
		fi
	done
}

# capture_line OUT DEV SRCMAC DSTMAC: DEV carried IPv4 and IPv6 replies from
# the VIPs, all from SRCMAC to DSTMAC.
capture_line() {
	local line
	line=$(grep "^capture $2: " <<<"$1") || true
	if [[ $line =~ \(([1-9][0-9]*)\ IPv4,\ ([1-9][0-9]*)\ IPv6\),\ MACs\ .*\[$3\>$4\]$ ]]; then
		ok "$2 carried the replies ($line)"
	else
		fail "$2: expected IPv4+IPv6 replies $3 > $4, got: $line"
	fi
}

no_capture() {
	if grep -q "^capture $2: no packets from the VIPs$" <<<"$1"; then
		ok "no replies on $2"
	else
		fail "replies on $2: $(grep "^capture $2: " <<<"$1")"
	fi
}

start=$SECONDS
check "lab up" lab up

MAC_PRI=$(mac_of "$NS_SERVER" "$PRI")
MAC_SEC=$(mac_of "$NS_SERVER" "$SEC")
MAC_ROUTER=$(mac_of "$NS_ROUTER" eth0)
MAC_GW=$(mac_of "$NS_GW" eth0)

echo "# without tcsteer: the replies take the default route and die"
out=$(lab capture) && fail "capture without tcsteer: all probes passed"
echo "$out"
probe_lines "$out" FAIL
capture_line "$out" "$PRI" "$MAC_PRI" "$MAC_GW"
no_capture "$out" "$SEC"

echo "# tcsteer attach + route add"
check "lab fix" lab fix
routes=$(in_ns "$NS_SERVER" "$TCSTEER" route show table "$PRI" 2>&1) || true
for prefix in "$VIP4/32" "$VIP6/128"; do
	check "route show lists $prefix" grep -qF "$prefix" <<<"$routes"
done

echo "# with tcsteer: replies leave by $SEC to the router"
out=$(lab capture) || fail "capture with tcsteer: some probes failed"
echo "$out"
probe_lines "$out" OK
capture_line "$out" "$SEC" "$MAC_SEC" "$MAC_ROUTER"
no_capture "$out" "$PRI"
check "netns-lab.sh proof" lab proof

echo "# tcsteer route del + detach: the problem is back"
check "lab unfix" lab unfix
check "no egress filter left on $PRI" \
	test -z "$(in_ns "$NS_SERVER" tc filter show dev "$PRI" egress)"
out=$(lab check) && fail "check after detach: all probes passed"
echo "$out"
probe_lines "$out" FAIL

check "lab down" lab down
check "namespaces gone" test ! -e "/run/netns/$NS_SERVER"
check "done in under 60 s ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 60
done_testing
