#!/usr/bin/env bash
# tcsteer -batch FILE / tcsteer apply FILE against the real kernel (root).
# - a good file (comments, blank lines, a pasted "tcsteer ..." line) attaches
#   and fills the table; real packets are steered by it;
# - a syntax error on line N, or an unknown device, fails naming FILE:N and
#   applies nothing: not the routes, not the attach before it;
# - a command the kernel refuses midway (route del of a route that is not
#   there) rolls back the route changes before it: additions, a changed next
#   hop, a deletion, with the counters of every route as they were;
# - attach and detach before such a failure are undone as well;
# - applying the same good file again changes nothing: same filters (program
#   id, prio, handle), same routes, slots and counters;
# - a table with a long escaped name is found again by the next batch.
# Topology: route_topo.sh.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/route_topo.sh"
need_root
ensure_bpffs
steer_topology
resolve_neighbours
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

pins() { table_pins "$DEV_A"; }
PASS="$TCSTEER_PROGS/pass.o"

# state: everything a batch could change, as one comparable text: the
# filters on both devices, the table with the routes' counters (not the
# misses: an ND probe may leave by $DEV_A any time), the slots (bpftool).
state() {
	ts -j show dev "$DEV_A"
	ts -j show dev "$DEV_B"
	ts -j route show -s table "$DEV_A" | python3 -c '
import json, sys; t = json.load(sys.stdin); del t["miss"]; print(t)'
	bpftool map dump pinned "$(pins)/steer_v4"
	bpftool map dump pinned "$(pins)/steer_v6"
}
routes() { ts route show table "$DEV_A" | sort; }
ours() { ts -j show dev "$1" | python3 -c '
import json, sys
print(" ".join("%s:%d:%d" % (f["hook"], f["prio"], f["prog_id"]) for f in json.load(sys.stdin) if f["tcsteer"]))'; }

# 1. A good file.
cat >"$WORK/good.batch" <<EOF
# Steer the /24 to Q, its .5 to R, IPv6 to Q.

attach dev $DEV_A
	# an indented comment
route add 10.99.1.0/24 via $NH_Q4 dev $DEV_B table $DEV_A
route add 10.99.1.5/32 via $NH_R4 dev $DEV_C table $DEV_A   # to R

tcsteer route add fd00:99:1::/64 via $NH_Q6 dev $DEV_B table $DEV_A
EOF
check "-batch good file" ts -batch "$WORK/good.batch"
check "it attached one filter" test "$(ours "$DEV_A" | wc -w)" = 1
want="10.99.1.0/24 via $NH_Q4 dev $DEV_B
10.99.1.5/32 via $NH_R4 dev $DEV_C
fd00:99:1::/64 via $NH_Q6 dev $DEV_B"
check "it added the three routes" test "$(routes)" = "$want"
arrives "the /32 steers to R" 3 "$SRC4_HOST" "$R"
arrives "the /24 steers to Q" 3 "$SRC4_NET" "$Q"
arrives "the /64 steers to Q" 3 "$SRC6_NET" "$Q"

# 2. The same file again, with `apply`: nothing changes.
before=$(state)
check "apply the same file again" ts apply "$WORK/good.batch"
check "second apply: filters, routes, slots, counters unchanged" test "$(state)" = "$before"
check "-batch it a third time" ts -batch "$WORK/good.batch"
check "third apply: unchanged" test "$(state)" = "$before"

# nothing_applied DESC: the state is still $before and packets go as before.
nothing_applied() {
	local now
	now=$(state)
	if [ "$now" = "$before" ]; then
		ok "$1: nothing applied"
	else
		fail "$1: state changed:
$(diff <(echo "$before") <(echo "$now") || true)"
	fi
}

# 3. A syntax error on the last line: the lines before it are not run.
cat >"$WORK/syntax.batch" <<EOF
# every line but the last is good
route add 10.99.2.0/24 via $NH_Q6 dev $DEV_B table $DEV_A
route del 10.99.1.5/32 table $DEV_A
attach dev $DEV_A object $PASS
attach dev $DEV_B

route add 10.99.3.0/24 via
EOF
expect_error "syntax error names FILE:7" "^tcsteer: $WORK/syntax.batch:7: \"via\" needs a value$" \
	ts -batch "$WORK/syntax.batch"
nothing_applied "syntax error"
printf 'route add 10.99.2.0/24 via %s dev %s table %s\nroute frobnicate 10.99.2.0/24\n' \
	"$NH_Q6" "$DEV_B" "$DEV_A" >"$WORK/verb.batch"
expect_error "unknown route verb names FILE:2" "^tcsteer: $WORK/verb.batch:2: unknown route command \"frobnicate\"" \
	ts apply "$WORK/verb.batch"
nothing_applied "unknown verb"
printf 'route add 10.99.2.0/24 via %s dev %s table %s\nshow dev %s bogus\n' \
	"$NH_Q6" "$DEV_B" "$DEV_A" "$DEV_A" >"$WORK/trailing.batch"
expect_error "trailing word names FILE:2" "^tcsteer: $WORK/trailing.batch:2: unexpected \"bogus\"" \
	ts apply "$WORK/trailing.batch"
nothing_applied "trailing word"

# 4. Unknown devices: nothing applied.
cat >"$WORK/nodev.batch" <<EOF
route add 10.99.2.0/24 via $NH_Q6 dev $DEV_B table $DEV_A
attach dev $DEV_A object $PASS
route add 10.99.3.0/24 via $NH_R4 dev ${T_ID}zz table $DEV_A
EOF
expect_error "unknown output device names FILE:3" "^tcsteer: $WORK/nodev.batch:3: device \"${T_ID}zz\" not found$" \
	ts apply "$WORK/nodev.batch"
nothing_applied "unknown output device"
cat >"$WORK/noattach.batch" <<EOF
route add 10.99.2.0/24 via $NH_Q6 dev $DEV_B table $DEV_A
attach dev ${T_ID}zz
EOF
expect_error "unknown attach device names FILE:2" "^tcsteer: $WORK/noattach.batch:2: device \"${T_ID}zz\" not found$" \
	ts -batch "$WORK/noattach.batch"
nothing_applied "unknown attach device"
expect_error "missing batch file" "cannot open $WORK/nope.batch" ts apply "$WORK/nope.batch"

# 5. The kernel refuses line 6 (no such route): lines 1-5 are undone.
cat >"$WORK/midway.batch" <<EOF
route add 10.99.2.0/24 via $NH_Q6 dev $DEV_B table $DEV_A
route add 10.99.1.0/24 via $NH_R4 dev $DEV_C table $DEV_A
route del 10.99.1.5/32 table $DEV_A
route add fd00:99:2::/64 via $NH_R6 dev $DEV_C table $DEV_A
route add 10.99.1.5/32 via $NH_Q4 dev $DEV_B table $DEV_A
route del 10.99.7.0/24 table $DEV_A
route add 10.99.8.0/24 via $NH_Q4 dev $DEV_B table $DEV_A
EOF
expect_error "kernel failure names FILE:6" "^tcsteer: $WORK/midway.batch:6: no route for 10.99.7.0/24 in the table of $DEV_A$" \
	ts apply "$WORK/midway.batch"
nothing_applied "failure on line 6"
check "the routes are the good file's" test "$(routes)" = "$want"
arrives "after the rollback the /32 still steers to R" 2 "$SRC4_HOST" "$R"
arrives "after the rollback the /24 still steers to Q" 2 "$SRC4_NET" "$Q"

# 6. A batch that ends in a failed attach keeps the routes it rolled back
# and the filter that was there.
cat >"$WORK/badobj.batch" <<EOF
route add 10.99.2.0/24 via $NH_Q6 dev $DEV_B table $DEV_A
attach dev $DEV_A object $WORK/nope.o
EOF
before=$(state)
expect_error "a missing object names FILE:2" "^tcsteer: $WORK/badobj.batch:2: cannot open $WORK/nope.o" \
	ts apply "$WORK/badobj.batch"
nothing_applied "failed attach"

# 7. Attach and detach are undone too: a batch that puts another program on
# $DEV_A and detaches $DEV_B, then fails, leaves both hooks running the
# programs they ran before (in new filters: the prio may differ).
ids() { ts -j show dev "$1" | python3 -c '
import json, sys
print(" ".join("%s:%d" % (f["hook"], f["prog_id"]) for f in json.load(sys.stdin) if f["tcsteer"]))'; }
ts attach dev "$DEV_B"
ids_a=$(ids "$DEV_A")
ids_b=$(ids "$DEV_B")
cat >"$WORK/hooks.batch" <<EOF
attach dev $DEV_A object $PASS
detach dev $DEV_B
route del 10.99.7.0/24 table $DEV_A
EOF
expect_error "kernel failure after attach and detach names FILE:3" "^tcsteer: $WORK/hooks.batch:3: no route" \
	ts apply "$WORK/hooks.batch"
check "$DEV_A runs its program again ($ids_a)" test "$(ids "$DEV_A")" = "$ids_a"
check "$DEV_B runs its program again ($ids_b)" test "$(ids "$DEV_B")" = "$ids_b"
arrives "after the rollback the /32 still steers to R" 2 "$SRC4_HOST" "$R"
ts detach dev "$DEV_B"

# 8. A batch reads the namespace's directory once and follows what it
# changes: a table whose name escaped for bpffs is long (table-a%2eb...)
# is found there, by the batch that makes it as by the next one.
LONG=a.b.c.d.e.f.g.h
printf '%s\n' "attach dev $DEV_A table $LONG" \
	"route add 10.99.8.0/24 via $NH_Q4 dev $DEV_B table $LONG" >"$WORK/long1.batch"
check "a batch attaches with table $LONG and routes in it" ts apply "$WORK/long1.batch"
printf '%s\n' "route add 10.99.9.0/24 via $NH_Q4 dev $DEV_B table $LONG" \
	"route add 10.99.9.5/32 via $NH_R4 dev $DEV_C table $LONG" >"$WORK/long2.batch"
check "the next batch adds to it" ts apply "$WORK/long2.batch"
check "its three routes are in one table" \
	test "$(ts route show table "$LONG" | wc -l)/$(ls -d "$(state_dir "$DEV_A")"/table-a* | wc -l)" = 3/1
check "back to $DEV_A's own table" ts attach dev "$DEV_A"
check "the good file's routes again" test "$(routes)" = "$want"

done_testing
