#!/usr/bin/env bash
# Return-path learning end to end (issue 13): a server whose default route
# loses replies, two routers on two secondary interfaces, a client behind
# each. Broken before; both clients reach the VIP over IPv4 and IPv6, with
# TCP and ping at the same time, after two `route add ... learn` lines,
# and tcpdump sees each client's replies leave by the interface its
# requests came in on (from that interface's MAC to its router's) and
# none by eth0; broken again after `route del`, and after `detach`. The
# learners take the mode of the steering program (clsact, tcx) and follow
# it when it switches.
#
#   ca (10.211.0.2) -- ra -- eth1 (10.201.0.1)
#                               server: VIP 192.168.1.5, 2001:db8:5::5 on lo
#   cb (10.212.0.2) -- rb -- eth2 (10.202.0.1)
#                            eth0 (10.200.0.1) -- gw (no route back)
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

VIP4=192.168.1.5
VIP6=2001:db8:5::5
PORT=8013
S=$(new_netns s)
GW=$(new_netns gw)
RA=$(new_netns ra)
RB=$(new_netns rb)
CA=$(new_netns ca)
CB=$(new_netns cb)
H=$S
CAPS=$(mktemp -d)
# Whatever runs in the server's namespace (listeners, tcpdump) keeps it
# alive, and its state with it: ended by pid before the namespaces go.
end_server() { ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null || true; }
trap 'end_server; rm -rf "$CAPS"; cleanup_netns' EXIT

sysctl_ns() { ip netns exec "$1" sysctl -qw "$2" >/dev/null; }

# link NS_A IF_A ADDR_A NS_B IF_B ADDR_B NET6: a veth pair, v4 /24 and v6 /64.
link() {
	veth_pair "$1" "$2" "$4" "$5"
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$4" addr add "$6/24" dev "$5"
	ip -n "$1" addr add "$7::1/64" dev "$2" nodad
	ip -n "$4" addr add "$7::2/64" dev "$5" nodad
}

setup() {
	local r
	link "$S" eth0 10.200.0.1 "$GW" eth0 10.200.0.2 fd00:200
	link "$S" eth1 10.201.0.1 "$RA" eth0 10.201.0.2 fd00:201
	link "$S" eth2 10.202.0.1 "$RB" eth0 10.202.0.2 fd00:202
	link "$RA" eth1 10.211.0.1 "$CA" eth0 10.211.0.2 fd00:211
	link "$RB" eth1 10.212.0.1 "$CB" eth0 10.212.0.2 fd00:212
	ip -n "$S" addr add "$VIP4/32" dev lo
	ip -n "$S" addr add "$VIP6/128" dev lo
	# The server's default route: a gateway that forwards nothing.
	ip -n "$S" route add default via 10.200.0.2
	ip -n "$S" -6 route add default via fd00:200::2
	for r in "$RA" "$RB"; do
		sysctl_ns "$r" net.ipv4.ip_forward=1
		sysctl_ns "$r" net.ipv6.conf.all.forwarding=1
	done
	ip -n "$RA" route add "$VIP4/32" via 10.201.0.1
	ip -n "$RA" -6 route add "$VIP6/128" via fd00:201::1
	ip -n "$RB" route add "$VIP4/32" via 10.202.0.1
	ip -n "$RB" -6 route add "$VIP6/128" via fd00:202::1
	ip -n "$CA" route add default via 10.211.0.1
	ip -n "$CA" -6 route add default via fd00:211::1
	ip -n "$CB" route add default via 10.212.0.1
	ip -n "$CB" -6 route add default via fd00:212::1
	# The connections the broken phase leaves half open would have their
	# SYN-ACKs sent again later, by the main table (flows never seen):
	# none of that, so that eth0 carries nothing once tcsteer is in.
	sysctl_ns "$S" net.ipv4.tcp_synack_retries=0
	# Requests arrive where the main table would not send their replies.
	for d in all eth1 eth2; do
		sysctl_ns "$S" "net.ipv4.conf.$d.rp_filter=2"
	done
	in_ns "$S" socat "TCP4-LISTEN:$PORT,bind=$VIP4,reuseaddr,fork" SYSTEM:'echo pong' \
		</dev/null >/dev/null 2>&1 &
	in_ns "$S" socat "TCP6-LISTEN:$PORT,bind=[$VIP6],reuseaddr,fork" SYSTEM:'echo pong' \
		</dev/null >/dev/null 2>&1 &
	sleep 0.3
}

mac_of() { ip -n "$1" -j link show dev "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])'; }

# probes CLIENT: ping and TCP to both VIPs, all at once; one word per
# probe, "ok" or "fail", in the order ping4 ping6 tcp4 tcp6.
probes() {
	local c=$1 p pids=() out=""
	in_ns "$c" ping -n -q -c2 -i0.2 -W1 "$VIP4" >/dev/null 2>&1 & pids+=($!)
	in_ns "$c" ping -6 -n -q -c2 -i0.2 -W1 "$VIP6" >/dev/null 2>&1 & pids+=($!)
	in_ns "$c" bash -c "[ \"\$(timeout 3 socat -T2 -u TCP4:$VIP4:$PORT,connect-timeout=2 STDOUT 2>/dev/null)\" = pong ]" & pids+=($!)
	in_ns "$c" bash -c "[ \"\$(timeout 3 socat -T2 -u TCP6:[$VIP6]:$PORT,connect-timeout=2 STDOUT 2>/dev/null)\" = pong ]" & pids+=($!)
	for p in "${pids[@]}"; do
		if wait "$p"; then out+="ok "; else out+="fail "; fi
	done
	echo "${out% }"
}

# both_clients: the probes of both clients at the same time, "A: ... B: ...".
both_clients() {
	local a b
	probes "$CA" >"$CAPS/a" &
	local pa=$!
	probes "$CB" >"$CAPS/b"
	wait "$pa"
	a=$(cat "$CAPS/a")
	b=$(cat "$CAPS/b")
	echo "A: $a B: $b"
}

# capture DEV: start tcpdump of the VIPs' packets leaving DEV of the server.
capture() {
	in_ns "$S" timeout 20 tcpdump -i "$1" -Q out -nn -e -l -U \
		"(src host $VIP4 or src host $VIP6)" >"$CAPS/$1.txt" 2>"$CAPS/$1.err" &
	echo $! >"$CAPS/$1.pid"
}
capture_wait() {
	local i
	for i in $(seq 50); do
		grep -q "listening on" "$CAPS/$1.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
capture_stop() {
	sleep 0.3
	kill "$(cat "$CAPS/$1.pid")" 2>/dev/null || true
	wait "$(cat "$CAPS/$1.pid")" 2>/dev/null || true
}
# replies DEV SRCMAC DSTMAC CLIENT4 CLIENT6: DEV carried IPv4 and IPv6
# replies to the client, every reply to it from SRCMAC to DSTMAC.
replies_to() {
	local f="$CAPS/$1.txt" n4 n6 wrong
	n4=$(grep -c "> $4\." "$f" || true)
	n4=$((n4 + $(grep -c "> $4: ICMP echo reply" "$f" || true)))
	n6=$(grep -c "> $5\." "$f" || true)
	n6=$((n6 + $(grep -c "> $5: ICMP6, echo reply" "$f" || true)))
	wrong=$(grep -E "> ($4|$5)[.:]" "$f" | grep -vc "^[^ ]* $2 > $3," || true)
	[ "$n4" -gt 0 ] && [ "$n6" -gt 0 ] && [ "$wrong" = 0 ]
}
has_learner() { ts show dev "$1" | grep -q "^$1 ingress .*steer_learn.*\[tcsteer\]"; }
flows_json_has() {
	ts -j flows | python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(f["dev"] == sys.argv[1] and f["remote"] == sys.argv[2] for f in d["flows"]) else 1)' "$1" "$2"
}
no_replies() {
	if grep -q . "$CAPS/$1.txt"; then
		echo "# on $1:"; sed "s/^/#   /" "$CAPS/$1.txt"
		return 1
	fi
}
no_replies_to() { ! grep -Eq "> ($2|$3)[.:]" "$CAPS/$1.txt"; }

start=$SECONDS
setup
MAC1=$(mac_of "$S" eth1)
MAC2=$(mac_of "$S" eth2)
MAC_RA=$(mac_of "$RA" eth0)
MAC_RB=$(mac_of "$RB" eth0)

echo "# without tcsteer: the replies take the default route and die"
check "both clients fail" test "$(both_clients)" = "A: fail fail fail fail B: fail fail fail fail"

echo "# tcsteer attach dev eth0 + two learn routes"
check "attach" ts attach dev eth0
check "route add $VIP4/32 learn" ts route add "$VIP4/32" learn dev eth1 dev eth2
check "route add $VIP6/128 learn" ts route add "$VIP6/128" learn dev eth1 dev eth2
check "route show lists the learn routes" \
	test "$(ts route show)" = "$(printf '%s\n' "$VIP4/32 learn dev eth1 dev eth2" "$VIP6/128 learn dev eth1 dev eth2")"
check "a learner on eth1's ingress" has_learner eth1
check "a learner on eth2's ingress" has_learner eth2

echo "# with tcsteer: each client's replies leave by its own interface"
for d in eth0 eth1 eth2; do capture $d; done
for d in eth0 eth1 eth2; do capture_wait $d || fail "tcpdump on $d did not start"; done
res=$(both_clients)
for d in eth0 eth1 eth2; do capture_stop $d; done
check "both clients reach both VIPs over ping and TCP ($res)" \
	test "$res" = "A: ok ok ok ok B: ok ok ok ok"
check "eth1 carried client A's replies, $MAC1 > $MAC_RA" replies_to eth1 "$MAC1" "$MAC_RA" 10.211.0.2 fd00:211::2
check "eth2 carried client B's replies, $MAC2 > $MAC_RB" replies_to eth2 "$MAC2" "$MAC_RB" 10.212.0.2 fd00:212::2
check "no reply to client B on eth1" no_replies_to eth1 10.212.0.2 fd00:212::2
check "no reply to client A on eth2" no_replies_to eth2 10.211.0.2 fd00:211::2
check "no reply on eth0" no_replies eth0

stats=$(ts route show -s)
echo "$stats"
check "route show -s counts steered packets" \
	grep -Eq "^$VIP4/32 learn dev eth1 dev eth2 packets [1-9][0-9]* bytes [1-9][0-9]* unknown [0-9]+$" <<<"$stats"
flows=$(ts flows)
echo "$flows"
check "flows: client A by eth1 via its router" grep -Eq "tcp $VIP4:$PORT 10\.211\.0\.2:[0-9]+ dev eth1 router $MAC_RA age [0-9]+s" <<<"$flows"
check "flows: client B by eth2 via its router" grep -Eq "icmp6 $VIP6 fd00:212::2 id [0-9]+ dev eth2 router $MAC_RB age [0-9]+s" <<<"$flows"
check "flows -j names client A by eth1" flows_json_has eth1 10.211.0.2

echo "# route del: the problem is back, the learners go"
check "route del $VIP4/32" ts route del "$VIP4/32"
check "route del $VIP6/128" ts route del "$VIP6/128"
check "both clients fail again" test "$(both_clients)" = "A: fail fail fail fail B: fail fail fail fail"
check "no learner on eth1" test -z "$(in_ns "$S" tc filter show dev eth1 ingress)"
check "no learner on eth2" test -z "$(in_ns "$S" tc filter show dev eth2 ingress)"
check "no flows" test -z "$(ts flows)"

echo "# again, then detach: broken again"
check "route add again" ts route add "$VIP4/32" learn dev eth1 dev eth2
check "works again" test "$(probes "$CA")" = "ok fail ok fail"
check "detach dev eth0" ts detach dev eth0
check "broken after detach" test "$(probes "$CA")" = "fail fail fail fail"
check "detach took the learners with it" test -z "$(in_ns "$S" tc filter show dev eth1 ingress)"
check "attach brings them back" ts attach dev eth0
check "a learner on eth1 again" has_learner eth1
check "works after attach" test "$(probes "$CA")" = "ok fail ok fail"
echo "# mode tcx: the learners take the steering program's mode"
learner_mode() {
	ts -j show dev "$1" | python3 -c '
import json, sys
print(" ".join(f.get("mode", "clsact") for f in json.load(sys.stdin)
               if f["tcsteer"] and f["hook"] == "ingress"))'
}
if ts attach dev eth0 mode tcx 2>"$CAPS/tcx.err"; then
	check "eth1's learner moved to a tcx link" test "$(learner_mode eth1)" = tcx
	check "works in mode tcx" test "$(probes "$CA")" = "ok fail ok fail"
	check "route add on a tcx table: its learners in tcx" \
		ts route add "$VIP6/128" learn dev eth2
	check "eth2's learner is a tcx link" test "$(learner_mode eth2)" = tcx
	check "client B over IPv4 and IPv6 in mode tcx" test "$(probes "$CB")" = "ok ok ok ok"
	check "back to mode clsact" ts attach dev eth0 mode clsact
	check "the learners follow" test "$(learner_mode eth1) $(learner_mode eth2)" = "clsact clsact"
	check "works again in mode clsact" test "$(probes "$CA")" = "ok fail ok fail"
else
	echo "# skipped: $(cat "$CAPS/tcx.err")"
fi
check "done in under 90 s ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 90
done_testing
