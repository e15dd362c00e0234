#!/usr/bin/env bash
# The legacy object (tests/progs/legacy_maps.o: a SEC("maps") struct
# bpf_map_def hash keyed by the host-order IPv4 source, value {ifindex,
# next hop in host order}, program in SEC("tc_redirect")) steering real
# packets (root). tcsteer attaches it; bpftool, the independent tool, finds
# its map through the program id and fills it, as the original Go tool's
# users did.
# - a source in the map is steered out of the other device to the next hop;
#   a source not in it, and IPv6, are not;
# - a second entry steers to another device; deleting an entry stops it;
# - detach stops all steering.
# Topology: route_topo.sh.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
command -v bpftool >/dev/null || { echo "SKIP $T_NAME: needs bpftool"; exit 77; }
steer_topology
# The program does not manage neighbour entries (neigh.sh shows why that
# matters): resolve Q and R first.
resolve_neighbours

OBJ="$TCSTEER_PROGS/legacy_maps.o"

# ours KEY: the KEY of tcsteer's filter on $DEV_A egress (one expected).
ours() { ts -j show dev "$DEV_A" | python3 -c '
import json, sys
f = [f for f in json.load(sys.stdin) if f["tcsteer"] and f["hook"] == "egress"]
print(f[0][sys.argv[1]] if len(f) == 1 else "none")' "$1"; }

# hexwords U32...: each number as 4 bytes in host order, bpftool hex style.
hexwords() { python3 -c '
import struct, sys
print(" ".join("%02x" % b for n in sys.argv[1:] for b in struct.pack("=I", int(n))))' "$@"; }
ip_u32() { python3 -c 'import ipaddress, sys; print(int(ipaddress.IPv4Address(sys.argv[1])))' "$1"; }
ifindex() { ip -n "$H" -j link show dev "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["ifindex"])'; }

# steer SRC DEV NEXTHOP: the map entry the program looks up for SRC.
steer() {
	# shellcheck disable=SC2046 # one hex byte per word
	bpftool map update id "$MAP" key hex $(hexwords "$(ip_u32 "$1")") \
		value hex $(hexwords "$(ifindex "$2")" "$(ip_u32 "$3")")
}
unsteer() {
	# shellcheck disable=SC2046
	bpftool map delete id "$MAP" key hex $(hexwords "$(ip_u32 "$1")")
}

check "attach the legacy object, section tc_redirect" \
	ts attach dev "$DEV_A" object "$OBJ" section tc_redirect
PROG=$(ours prog_id)
check "show: tcsteer's filter runs legacy_steer (id $PROG)" test "$(ours prog_name)" = legacy_steer
check "tc sees it direct-action" bash -c "ip netns exec $H tc filter show dev $DEV_A egress | grep -q 'id $PROG .*direct-action\|direct-action.*id $PROG'"

# The map, found from the program as an operator would: its one map
# besides the tcsteer_meta that tcsteer binds to every program it attaches.
MAP=$(bpftool -j prog show id "$PROG" | python3 -c '
import json, subprocess, sys
ids = json.load(sys.stdin).get("map_ids", [])
names = {i: json.loads(subprocess.check_output(["bpftool", "-j", "map", "show", "id", str(i)]))["name"] for i in ids}
own = [i for i in ids if names[i] != "tcsteer_meta"]
print(own[0] if len(own) == 1 and len(ids) == 2 else "none")')
check "bpftool: the program uses one map and its tcsteer_meta (id $MAP)" test "$MAP" != none
check "it is the legacy hash: legacy_nh, key 4, value 8, 1024 entries" bash -c "
	bpftool -j map show id $MAP | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert (m[\"name\"], m[\"type\"], m[\"bytes_key\"], m[\"bytes_value\"], m[\"max_entries\"]) == \
	(\"legacy_nh\", \"hash\", 4, 8, 1024), m'"

arrives "empty map: nothing steered" 2 "$SRC4_HOST" "$P"
check "bpftool map update: $SRC4_HOST -> $NH_Q4 dev $DEV_B" steer "$SRC4_HOST" "$DEV_B" "$NH_Q4"
arrives "a source in the map is steered to Q" 3 "$SRC4_HOST" "$Q"
arrives "a source not in the map is not steered" 3 "$SRC4_NET" "$P"
arrives "IPv6 is not steered" 2 "$SRC6_HOST" "$P"

check "second entry: $SRC4_NET -> $NH_R4 dev $DEV_C" steer "$SRC4_NET" "$DEV_C" "$NH_R4"
arrives "the second source is steered to R" 3 "$SRC4_NET" "$R"
arrives "the first still to Q" 2 "$SRC4_HOST" "$Q"
check "bpftool map dump lists both entries" test "$(bpftool -j map dump id "$MAP" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" = 2

check "bpftool map delete of the first" unsteer "$SRC4_HOST"
arrives "its source is no longer steered" 2 "$SRC4_HOST" "$P"
arrives "the second still is" 2 "$SRC4_NET" "$R"

check "detach" ts detach dev "$DEV_A"
check "no tcsteer filter left" test "$(ours prog_id)" = none
arrives "detached: nothing steered" 2 "$SRC4_NET" "$P"

done_testing
