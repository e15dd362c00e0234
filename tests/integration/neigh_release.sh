#!/usr/bin/env bash
# What `route del` must undo (issue 12): `route add` makes the next hop's
# neighbour entry managed, and the kernel then resolves a managed entry by
# itself forever, answered or not (a dead next hop costs 3 ARP requests
# every 5 s). neigh_release_managed() (netlink/neigh.c), driven through
# nl_probe on real devices (root, kernel >= 5.16):
#
# - a managed entry that resolved becomes a plain dynamic one (STALE, MAC
#   kept, no managed flag), one that never did is deleted;
# - the kernel stops probing both: tcpdump on the peer sees the probes
#   before and none after (the managed probe interval is the kernel's
#   global 5 s, which a test must not change, hence the 7 s windows);
# - entries it did not make managed (a dynamic one, a permanent one, none
#   at all) are left alone, and releasing twice is harmless.
. "$(dirname "$0")/../lib.sh"
need_root
if [ "$(printf '5.16\n%s\n' "$(uname -r)" | sort -V | head -n 1)" != 5.16 ]; then
	echo "SKIP $T_NAME: managed neighbour entries need Linux >= 5.16"
	exit 77
fi
PROBE=$TCSTEER_BUILD/tests/integration/nl_probe
[ -x "$PROBE" ] || { echo "SKIP $T_NAME: no $PROBE"; exit 77; }
ensure_bpffs
two_hosts 10.77.0
PEER="${T_ID}b"
WORK=$(mktemp -d)
CAP=
trap '[ -n "$CAP" ] && kill "$CAP" 2>/dev/null; cleanup_netns; rm -rf "$WORK"' EXIT

in_ns "$H" sysctl -qw net.ipv6.conf.all.accept_dad=0 "net.ipv6.conf.$DEV.accept_dad=0"
in_ns "$P" sysctl -qw net.ipv6.conf.all.accept_dad=0 "net.ipv6.conf.$PEER.accept_dad=0"
ip -n "$H" addr add fd00:77::1/64 dev "$DEV" nodad
ip -n "$P" addr add fd00:77::2/64 dev "$PEER" nodad
ip -n "$P" addr add 10.77.0.4/24 dev "$PEER"
# Resolved entries go stale in half a second and are probed a second
# later: a managed one shows its probes within one managed interval.
for fam in ipv4 ipv6; do
	in_ns "$H" sysctl -qw "net.$fam.neigh.$DEV.base_reachable_time_ms=500" \
		"net.$fam.neigh.$DEV.delay_first_probe_time=1"
done

LIVE4=10.77.0.2 DEAD4=10.77.0.99 LIVE6=fd00:77::2 DEAD6=fd00:77::99
probe() { in_ns "$H" "$PROBE" "$@"; }
entry() { ip -n "$H" neigh show "$1" dev "$DEV" nud all; }

# watch SECONDS: ARP requests and neighbour solicitations P sees from H.
watch() {
	: >"$WORK/err"
	nsenter --net="/run/netns/$P" tcpdump -i "$PEER" --immediate-mode -n -l \
		'arp or (icmp6 and ip6[40] == 135)' >"$WORK/probes" 2>"$WORK/err" &
	CAP=$!
	for _ in $(seq 100); do grep -q 'listening on' "$WORK/err" && break; sleep 0.05; done
	sleep "$1"
	kill "$CAP"
	wait "$CAP" 2>/dev/null || true
	CAP=
}
probes() { grep -cE "who-has $1 |who has $1," "$WORK/probes" || true; }

# The two entries of each family tcsteer would make managed: a live next
# hop through `tcsteer route add`, a dead one directly.
check "attach" ts attach dev "$DEV"
check "route add via $LIVE4 (makes it managed)" ts route add 10.99.0.0/24 via "$LIVE4" dev "$DEV" table "$DEV"
check "route add via $LIVE6 (makes it managed)" ts route add fd00:99::/64 via "$LIVE6" dev "$DEV" table "$DEV"
check "$DEAD4 made managed" test "$(probe manage "$DEV" "$DEAD4")" = managed
check "$DEAD6 made managed" test "$(probe manage "$DEV" "$DEAD6")" = managed
# Not tcsteer's: a dynamic entry, a permanent one.
in_ns "$H" ping -q -c 1 -W 1 10.77.0.4 >/dev/null
ip -n "$H" neigh add 10.77.0.5 lladdr 02:00:00:00:00:05 dev "$DEV" nud permanent
for a in "$LIVE4" "$DEAD4" "$LIVE6" "$DEAD6"; do
	check "$a is managed: $(entry "$a")" grep -qw managed <<<"$(entry "$a")"
done

watch 7
for a in "$LIVE4" "$LIVE6" "$DEAD4" "$DEAD6"; do
	check "managed, the kernel probes $a ($(probes "$a") in 7 s)" test "$(probes "$a")" -ge 1
done

check "route del via $LIVE4" ts route del 10.99.0.0/24 table "$DEV"
check "route del via $LIVE6" ts route del fd00:99::/64 table "$DEV"
for a in "$LIVE4" "$LIVE6"; do
	check "release $a: made dynamic" test "$(probe release "$DEV" "$a")" = "made dynamic"
	e=$(entry "$a")
	check "$a: a plain entry with its MAC, not managed ($e)" \
		eval '! grep -qw managed <<<"$e" && grep -q lladdr <<<"$e"'
done
for a in "$DEAD4" "$DEAD6"; do
	check "release $a: deleted" test "$(probe release "$DEV" "$a")" = deleted
	check "$a: no entry left" test -z "$(entry "$a")"
done
mac() { entry "$1" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }
before=$(mac 10.77.0.4)
check "release a dynamic entry nobody made managed: left alone" \
	test "$(probe release "$DEV" 10.77.0.4)" = "left alone (not managed)"
check "and it is as it was (lladdr $before, $(entry 10.77.0.4))" \
	test -n "$before" -a "$(mac 10.77.0.4)" = "$before"
check "release a permanent entry: left alone" \
	test "$(probe release "$DEV" 10.77.0.5)" = "left alone (not managed)"
check "still permanent" grep -q PERMANENT <<<"$(entry 10.77.0.5)"
check "release a missing entry: left alone" \
	test "$(probe release "$DEV" 10.77.0.55)" = "left alone (not managed)"
check "release twice: left alone" \
	test "$(probe release "$DEV" "$LIVE4")" = "left alone (not managed)"

watch 7
for a in "$LIVE4" "$DEAD4" "$LIVE6" "$DEAD6"; do
	check "released, no more probes for $a ($(probes "$a") in 7 s)" test "$(probes "$a")" = 0
done
# A dynamic entry still works as one: traffic resolves it again.
in_ns "$H" ping -q -c 1 -W 1 "$LIVE4" >/dev/null
check "the released entry serves traffic ($(entry "$LIVE4"))" \
	grep -Eq 'REACHABLE|DELAY|STALE' <<<"$(entry "$LIVE4")"
done_testing
