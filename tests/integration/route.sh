#!/usr/bin/env bash
# route add/del/show against the real kernel (root), with real packets.
# Topology (route_topo.sh): H sends echo requests from its sources to P's
# address through $DEV_A; tcsteer on $DEV_A egress steers them to Q ($DEV_B)
# or R ($DEV_C), which hold the same address, and each namespace's InEchos
# counter says where they arrived.
# - a route added before any attach (with `table`) creates the table, and the
#   attach that follows uses it;
# - IPv4 and IPv6 prefixes, an IPv6 next hop for an IPv4 prefix (an IPv4 one
#   for an IPv6 prefix cannot work and is refused);
# - the longest prefix wins (/32 -> R, the rest of its /24 -> Q), also for
#   a more specific route with the same next hop as the broader one;
# - route show in text and JSON, with -s the exact packets and bytes steered
#   and the misses;
# - an identical route add changes nothing (same slot, same counters); a new
#   next hop keeps the route's slot and counters; route del falls back to the
#   broader route;
# - detach keeps the table and its counters, re-attach resumes it;
# - with two tables, a route command without `table` names both.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
steer_topology
resolve_neighbours

pins() { table_pins "$DEV_A"; }
ETH_IP4_ECHO=98         # bytes of a default ping at TC egress: 14 + 20 + 64
ETH_IP6_ECHO=118        # 14 + 40 + 64

routes() { ts route show table "$DEV_A" | sort; }
stats_json() { ts -j route show -s table "$DEV_A"; }
# The routes with their counters, without the misses (which an ND probe
# leaving by $DEV_A may bump at any time).
route_stats() { stats_json | python3 -c '
import json, sys; t = json.load(sys.stdin); del t["miss"]; print(t)'; }

# counter PREFIX: "packets bytes" of the route, from route show -s -j.
counter() {
	stats_json | python3 -c '
import json, sys
t = json.load(sys.stdin)
print(*["%d %d" % (r["packets"], r["bytes"]) for r in t["routes"] if r["prefix"] == sys.argv[1]])' "$1"
}
miss() { stats_json | python3 -c 'import json, sys; print(json.load(sys.stdin)["miss"]["packets"])'; }

slots() { pinned_slots "$(pins)"; }
slot_of() { slots | awk -v p="$1" '$1 == p { print $2 }'; }

# 1. Routes before any attach: `table` names the table, which comes to be.
check "route add before attach creates the table" \
	ts route add 10.99.1.0/24 via "$NH_Q4" dev "$DEV_B" table "$DEV_A"
check "its maps are pinned" test -e "$(pins)/steer_v4" -a -e "$(pins)/steer_v6" -a -e "$(pins)/steer_stats"
check "add a /32 inside it" ts route add 10.99.1.5/32 via "$NH_R4" dev "$DEV_C" table "$DEV_A"
check "IPv4 prefix, IPv6 next hop" ts route add 10.99.2.0/24 via "$NH_Q6" dev "$DEV_B" table "$DEV_A"
check "IPv6 prefix" ts route add fd00:99:1::/64 via "$NH_Q6" dev "$DEV_B" table "$DEV_A"
check "IPv6 /128 inside it" ts route add fd00:99:1::5/128 via "$NH_R6" dev "$DEV_C" table "$DEV_A"
expect_error "IPv6 prefix, IPv4 next hop is refused" "IPv6 prefix needs an IPv6 next hop" \
	ts route add fd00:99:2::/64 via "$NH_R4" dev "$DEV_C" table "$DEV_A"
expect_error "route show of a table that does not exist" "no steering table ${T_ID}zz in this network namespace" \
	ts route show table "${T_ID}zz"

want="10.99.1.0/24 via $NH_Q4 dev $DEV_B
10.99.1.5/32 via $NH_R4 dev $DEV_C
10.99.2.0/24 via $NH_Q6 dev $DEV_B
fd00:99:1::/64 via $NH_Q6 dev $DEV_B
fd00:99:1::5/128 via $NH_R6 dev $DEV_C"
check "route show lists the five routes" test "$(routes)" = "$want"
# plain_json_is WANT: route show -j is the table WANT lists (text form),
# without counters.
plain_json_is() {
	ts -j route show table "$DEV_A" | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert set(t) == {"table", "routes"} and t["table"] == sys.argv[1], t
assert all(set(r) == {"prefix", "via", "dev"} for r in t["routes"]), t
got = sorted((r["prefix"], r["via"], r["dev"]) for r in t["routes"])
want = sorted(tuple(l.split()[0:5:2]) for l in sys.argv[2].splitlines())
assert got == want, (got, want)' "$DEV_A" "$1"
}
check "route show -j: table and routes, no counters without -s" plain_json_is "$want"
check "every route has a slot of its own" test "$(slots | awk '{ print $2 }' | sort -u | wc -l)" = 5

arrives "before attach: the /32 source is not steered" 2 "$SRC4_HOST" "$P"

# 2. attach uses the table made before it.
check "attach" ts attach dev "$DEV_A"
arrives "IPv4 /32 beats its /24: steered to R" 3 "$SRC4_HOST" "$R"
arrives "IPv4 rest of the /24: steered to Q" 3 "$SRC4_NET" "$Q"
arrives "IPv4 prefix, IPv6 next hop: steered to Q" 3 "$SRC4_OTHER" "$Q"
arrives "IPv4 source in no route: not steered" 3 "$SRC4_NONE" "$P"
arrives "IPv6 /128 beats its /64: steered to R" 3 "$SRC6_HOST" "$R"
arrives "IPv6 rest of the /64: steered to Q" 3 "$SRC6_NET" "$Q"
arrives "IPv6 source in no route: not steered" 3 "$SRC6_NONE" "$P"

# 3. Counters: exactly what was steered, per route.
check "/32 counted 3 packets" test "$(counter 10.99.1.5/32)" = "3 $((3 * ETH_IP4_ECHO))"
check "/24 counted 3 packets" test "$(counter 10.99.1.0/24)" = "3 $((3 * ETH_IP4_ECHO))"
check "IPv6-next-hop route counted 3" test "$(counter 10.99.2.0/24)" = "3 $((3 * ETH_IP4_ECHO))"
check "/128 counted 3 packets" test "$(counter fd00:99:1::5/128)" = "3 $((3 * ETH_IP6_ECHO))"
check "/64 counted 3 packets" test "$(counter fd00:99:1::/64)" = "3 $((3 * ETH_IP6_ECHO))"
check "the misses include the 6 unsteered echoes" test "$(miss)" -ge 6
stats_json_ok() {
	stats_json | python3 -c '
import json, sys
t = json.load(sys.stdin)
assert set(t) == {"table", "routes", "miss"} and len(t["routes"]) == 5, t
for r in t["routes"]:
    assert set(r) == {"prefix", "via", "dev", "packets", "bytes"}, r
assert set(t["miss"]) == {"packets", "bytes"} and t["miss"]["bytes"] > 0, t'
}
check "route show -s -j: counters on every route and the misses" stats_json_ok
out=$(ts route show -s table "$DEV_A")
check "route show -s text: a route line" grep -qx "10.99.1.5/32 via $NH_R4 dev $DEV_C packets 3 bytes $((3 * ETH_IP4_ECHO))" <<<"$out"
check "route show -s text: the miss line" grep -Eqx "miss packets [0-9]+ bytes [0-9]+" <<<"$out"

# 4. The same route again changes nothing: same slot, same counters.
slots_before=$(slots)
stats_before=$(route_stats)
check "identical route add exits 0" ts route add 10.99.1.5/32 via "$NH_R4" dev "$DEV_C" table "$DEV_A"
check "identical IPv6 route add exits 0" ts route add fd00:99:1::/64 via "$NH_Q6" dev "$DEV_B" table "$DEV_A"
check "identical route add: same slots" test "$(slots)" = "$slots_before"
check "identical route add: same routes and counters" test "$(route_stats)" = "$stats_before"

# 5. A more specific route with the broader one's next hop is a route of its
# own (the table is an LPM trie: a lookup of 10.99.2.7/32 finds the /24).
check "add a /32 with the same next hop as its /24" \
	ts route add 10.99.2.7/32 via "$NH_Q6" dev "$DEV_B" table "$DEV_A"
check "it is listed" grep -qx "10.99.2.7/32 via $NH_Q6 dev $DEV_B" <<<"$(routes)"
check "it has a slot of its own" test "$(slots | awk '{ print $2 }' | sort -u | wc -l)" = 6
arrives "the /32 with the same next hop steers" 2 "$SRC4_OTHER" "$Q"
check "its own counter counted (2)" test "$(counter 10.99.2.7/32)" = "2 $((2 * ETH_IP4_ECHO))"
check "not the /24's (still 3)" test "$(counter 10.99.2.0/24)" = "3 $((3 * ETH_IP4_ECHO))"
check "route del of the /32" ts route del 10.99.2.7/32 table "$DEV_A"
check "the /24 is still there" grep -qx "10.99.2.0/24 via $NH_Q6 dev $DEV_B" <<<"$(routes)"

# 6. A new next hop (and device) keeps the route's slot and counters.
slot=$(slot_of 10.99.1.0/24)
check "move the /24 to R" ts route add 10.99.1.0/24 via "$NH_R4" dev "$DEV_C" table "$DEV_A"
check "route show has the new next hop" grep -qx "10.99.1.0/24 via $NH_R4 dev $DEV_C" <<<"$(routes)"
check "same slot ($slot)" test "$(slot_of 10.99.1.0/24)" = "$slot"
check "counters kept" test "$(counter 10.99.1.0/24)" = "3 $((3 * ETH_IP4_ECHO))"
arrives "the /24 now goes to R" 2 "$SRC4_NET" "$R"
check "and counts on (5)" test "$(counter 10.99.1.0/24)" = "5 $((5 * ETH_IP4_ECHO))"

# 7. route del: the source falls back to the broader route.
check "route del the IPv4 /32" ts route del 10.99.1.5/32 table "$DEV_A"
check "route del the IPv6 /128" ts route del fd00:99:1::5/128 table "$DEV_A"
arrives "the /32's source now takes the /24 (R)" 2 "$SRC4_HOST" "$R"
arrives "the /128's source now takes the /64 (Q)" 2 "$SRC6_HOST" "$Q"
check "both are gone from route show" test "$(routes | grep -c -e '^10.99.1.5/32 ' -e '^fd00:99:1::5/128 ')" = 0
expect_error "route del of a missing route" "no route for 10.99.1.5/32 in the table of $DEV_A" \
	ts route del 10.99.1.5/32 table "$DEV_A"
check "a /24 source counted on the /24 (7)" test "$(counter 10.99.1.0/24)" = "7 $((7 * ETH_IP4_ECHO))"

# 8. detach keeps the table (and counters); re-attach resumes it.
stats_before=$(route_stats)
check "detach" ts detach dev "$DEV_A"
check "the table's pins survive detach" test -e "$(pins)/steer_v4" -a -e "$(pins)/steer_stats"
arrives "detached: nothing is steered" 2 "$SRC4_NET" "$P"
check "detached: routes and counters unchanged" test "$(route_stats)" = "$stats_before"
check "re-attach" ts attach dev "$DEV_A"
arrives "re-attached: the table steers again" 2 "$SRC4_NET" "$R"
check "re-attached: the same counters count on (9)" test "$(counter 10.99.1.0/24)" = "9 $((9 * ETH_IP4_ECHO))"

# 9. Two tables: a route command must say which.
check "attach a second device (its own table)" ts attach dev "$DEV_B"
both="several steering tables \(((.*, )?$DEV_A, (.*, )?$DEV_B|(.*, )?$DEV_B, (.*, )?$DEV_A)(, .*)?\): name one"
expect_error "route show without table lists both" "$both" ts route show
expect_error "route add without table lists both" "$both" \
	ts route add 10.99.3.0/24 via "$NH_R4" dev "$DEV_C"
expect_error "route del without table lists both" "$both" ts route del 10.99.1.0/24
check "the second table is empty" test -z "$(ts route show table "$DEV_B")"
check "route add into the second table" ts route add 10.99.3.0/24 via "$NH_R4" dev "$DEV_C" table "$DEV_B"
check "it is in the second table" test "$(ts route show table "$DEV_B")" = "10.99.3.0/24 via $NH_R4 dev $DEV_C"
check "not in the first" test "$(routes | grep -c '^10.99.3.0/24 ')" = 0
check "detach the second device" ts detach dev "$DEV_B"

done_testing
