#!/usr/bin/env bash
# Faults during attach never cost the working filter, proven by traffic (root).
#
# Topology: H sends from 10.81.0.1 to P's 10.81.0.2 over the primary link
# $DEV; tcsteer on $DEV egress steers that source out of the secondary link
# $SEC to P's 10.82.0.2. "Steering works" means: two pings from 10.81.0.1
# get their replies and arrive on P's secondary interface (its rx counter),
# and the one bpf filter on the hook is the one expected (program id).
#
# 1. Replacing the program under a continuous UDP stream (alternating the
#    built-in program and steer_alt.o, the same program built for another
#    ISA level, so each attach really replaces the filter) loses no packet,
#    and every packet arrives steered (on P's secondary interface).
# 2. Fault sweep: for every bpf(), sendto() and recvmsg() call of such a
#    replacing attach, strace injects an error into that one call; EINTR
#    must be absorbed (exit 0); any other error must end in exit 1 with one
#    line, and either way exactly one tcsteer filter is left, the one
#    matching the exit status, and it steers. No stray record pin is left.
#    Known limitation (docs/reliability.md): when deleting the old filter
#    fails after the new one is recorded, the old one stays behind it,
#    unrecorded; the sweep counts and removes those.
# 3. A stale pin with another map spec: attach and route add refuse it with
#    one line, the running filter keeps steering; with the pin back, attach
#    works again.
# 4. A netlink dump of hundreds of filters (several recv()s) is read whole;
#    with a 1 KiB receive buffer it is one clear error and the connection
#    stays usable.
# 5. The device disappears between lookup and attach (strace delays a
#    syscall meanwhile): one clear error, nothing left behind.
# 6. The secondary interface goes down and up under traffic: tcsteer keeps
#    working meanwhile, steering resumes by itself.
# 7. bpffs not mounted (private mount namespace): attach mounts it.
# 8. In a -DTCSTEER_FD_CHECK=ON build: a close() swallowed by strace is
#    reported as a leaked fd at exit.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs
need_tool strace

ALT=$TCSTEER_BUILD/tests/integration/steer_alt.o
NLBUF=$TCSTEER_BUILD/tests/integration/faults_nlbuf
WORK=$(mktemp -d)
trap 'stream_stop; cleanup_netns; rm -rf "$WORK"' EXIT

H=$(new_netns h)
P=$(new_netns p)
DEV="${T_ID}a"
SEC="${T_ID}s"
veth_pair "$H" "$DEV" "$P" "${T_ID}b"
veth_pair "$H" "$SEC" "$P" "${T_ID}t"
ip -n "$H" addr add 10.81.0.1/24 dev "$DEV"
ip -n "$P" addr add 10.81.0.2/24 dev "${T_ID}b"
ip -n "$H" addr add 10.82.0.1/24 dev "$SEC"
ip -n "$P" addr add 10.82.0.2/24 dev "${T_ID}t"
# P accepts 10.81.0.2 traffic on its secondary interface.
for k in all default "${T_ID}b" "${T_ID}t"; do
	in_ns "$P" sysctl -qw "net.ipv4.conf.$k.rp_filter=0"
done

# strace and LeakSanitizer do not mix (LSan needs ptrace for itself).
NOLEAK="ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0"
quiet() { "$@" >/dev/null; }
# straced CMD...: tcsteer under strace with the given strace options first.
straced() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	in_ns "$H" env "$NOLEAK" strace -qq -o /dev/null "${opts[@]}" "$TCSTEER" "$@"
}
# ours: the program of tcsteer's newest filter (show lists the lowest
# priority value, the one added last, first).
ours() { ts show dev "$DEV" | awk '/\[tcsteer\]/ { for (i = 1; i < NF; i++) if ($i == "id") print $(i + 1); exit }'; }
# ntcsteer: how many of the bpf filters are tcsteer's.
ntcsteer() { ts show dev "$DEV" | grep -c '\[tcsteer\]' || true; }
nbpf() { ts show dev "$DEV" | grep -c ' bpf ' || true; }
# Packets P received on its secondary interface: the steered path.
steered_rx() {
	ip -n "$P" -s link show dev "${T_ID}t" | awk '/RX:/ { getline; print $2; exit }'
}

# steers DESC ID: the filter running program ID is the only bpf filter on
# $DEV egress, and it steers real packets: two pings from 10.81.0.1 are
# answered and arrive on P's secondary interface.
steers() {
	local desc=$1 want=$2 before after got n
	before=$(steered_rx)
	if ! in_ns "$H" ping -c 2 -i 0.05 -W 1 -I 10.81.0.1 10.81.0.2 >/dev/null; then
		fail "$desc: ping lost"
		return
	fi
	after=$(steered_rx)
	got=$(ours)
	n=$(nbpf)
	if [ "$got" = "$want" ] && [ "$n" = 1 ] && [ "$after" -ge $((before + 2)) ]; then
		ok "$desc: program $want steers (${T_ID}t rx $before -> $after)"
	else
		fail "$desc: want program $want alone and steering, got ids '$got', $n bpf filters, ${T_ID}t rx $before -> $after"
	fi
}

ts attach dev "$DEV"
ts route add 10.81.0.1/32 via 10.82.0.2 dev "$SEC" table "$DEV" 2>/dev/null
in_ns "$H" ping -c 1 -W 1 10.82.0.2 >/dev/null
BASE=$(ours)
steers "baseline" "$BASE"

# ---- 1. zero loss while replacing ------------------------------------------
# stream COUNT INTERVAL: a receiver in P counting arrivals on its secondary
# interface, and a sender in H (lib.sh's stream_start); the receiver's
# summary lands in $WORK/stream.out.
stream() {
	stream_start "$WORK/stream.out" "$P" "${T_ID}t" "$H" 10.81.0.1 10.81.0.2 "$1" "$2"
	SENDER=$STREAM_SENDER
}
field() { stream_field "$WORK/stream.out" "$1"; }

COUNT=4000
stream "$COUNT" 0.001
replaced=0 attach_failures=0 ids=()
while kill -0 "$SENDER" 2>/dev/null; do
	ts attach dev "$DEV" object "$ALT" || attach_failures=$((attach_failures + 1))
	ts attach dev "$DEV" || attach_failures=$((attach_failures + 1))
	replaced=$((replaced + 2))
done
stream_wait
echo "# stream: $(cat "$WORK/stream.out") during $replaced replacements"
check "no attach failed during the stream" test "$attach_failures" = 0
check "the program was replaced at least 20 times ($replaced)" test "$replaced" -ge 20
check "zero packets lost while replacing ($(field lost) of $COUNT)" test "$(field lost)" = 0
check "every packet arrived steered ($(field steered) of $(field received))" \
	test "$(field steered)" = "$COUNT"
BASE=$(ours)
steers "after the replacements" "$BASE"

# ---- 2. fault sweep ---------------------------------------------------------
# count_calls SYSCALL: how many times a replacing attach makes that syscall
# (into NCALLS; the built-in program is attached again afterwards).
count_calls() {
	in_ns "$H" env "$NOLEAK" strace -qq -o "$WORK/trace" -e trace="$1" \
		"$TCSTEER" attach dev "$DEV" object "$ALT"
	NCALLS=$(grep -c "^$1(" "$WORK/trace")
	ts attach dev "$DEV"
	BASE=$(ours)
}

# The bpf filters on $DEV egress that are not tcsteer's go (with tc).
remove_orphans() {
	local prio
	for prio in $(ts show dev "$DEV" | awk '!/\[tcsteer\]/ { print $4 }'); do
		in_ns "$H" tc filter del dev "$DEV" egress pref "$prio"
	done
}

INJECTED=0 ORPHANS=0
# sweep SYSCALL ERRNO: fail each call in turn.
sweep() {
	local sc=$1 errno=$2 n i rc out lines bad=0
	count_calls "$sc"
	n=$NCALLS
	for i in $(fault_points "$n"); do
		rc=0
		out=$(straced -e trace="$sc" -e inject="$sc:error=$errno:when=$i" -- \
			attach dev "$DEV" object "$ALT" 2>&1 >/dev/null) || rc=$?
		INJECTED=$((INJECTED + 1))
		lines=$(printf '%s' "$out" | grep -c . || true)
		local now left
		now=$(ours)
		left=$(ls "$(state_dir "$DEV")"/if*/ | grep -c _new || true)
		if [ "$errno" = EINTR ] && [ "$rc" != 0 ]; then
			fail "$sc #$i $errno: not retried: $out"; bad=1
		elif [ "$rc" = 0 ] && { [ "$now" = "$BASE" ] || [ -z "$now" ]; }; then
			fail "$sc #$i $errno: exit 0 but the new program is not attached"; bad=1
		elif [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
			fail "$sc #$i $errno: exit $rc: $out"; bad=1
		elif [ "$rc" = 1 ] && { [ "$lines" != 1 ] || [[ $out != "tcsteer: "* ]]; }; then
			fail "$sc #$i $errno: expected one 'tcsteer: ' line, got: $out"; bad=1
		elif [ "$rc" = 1 ] && [[ $out == *"attached, but the previous filter"* ]]; then
			# The new filter is in place and recorded; the old one
			# stays behind it, recorded as prog_egress_old, and the
			# next attach (here: of the same program, otherwise a
			# no-op) retires it.
			echo "# $sc #$i $errno left the old filter; the next attach retires it"
			ORPHANS=$((ORPHANS + 1))
			ts attach dev "$DEV" object "$ALT"
			if [ "$(nbpf)" != 1 ]; then
				fail "$sc #$i $errno: the next attach did not retire the old filter"; bad=1
				remove_orphans
			fi
		elif [ "$rc" = 1 ] && [ "$now" != "$BASE" ]; then
			fail "$sc #$i $errno: failed ($out) but the filter changed: '$BASE' -> '$now'"; bad=1
		elif [ "$left" != 0 ]; then
			fail "$sc #$i $errno: a temporary record pin was left"; bad=1
		fi
		[ "$rc" = 1 ] && echo "# $sc #$i $errno: $out"
		steers "$sc #$i $errno (exit $rc)" "$now"
		if [ "$rc" = 0 ] || [ "$now" != "$BASE" ]; then
			ts attach dev "$DEV"
			BASE=$(ours)
		fi
	done
	if [ "$bad" = 0 ]; then ok "$sc: $n calls, $errno injected into $(fault_scope)"; fi
}

sweep bpf EINTR
sweep bpf EIO
sweep bpf EAGAIN
sweep sendto ENOBUFS
sweep recvmsg EINTR
sweep recvmsg ENOBUFS
echo "# fault sweep: $INJECTED faults injected, $ORPHANS left the old filter for the next attach to retire"

# ---- 3. a stale pin with another map spec -----------------------------------
PINS=$(table_pins "$DEV")
mv "$PINS/steer_v4" "$PINS/steer_v4_saved"
bpftool map create "$PINS/steer_v4" type lpm_trie key 8 value 4 entries 16 \
	name steer_v4 flags 1
expect_error "attach with a stale pin" "pinned map .*steer_v4 does not match the object: value size 4, object wants" \
	ts attach dev "$DEV" object "$ALT"
expect_error "route add with a stale pin" "steer_v4 is not a tcsteer steer_v4 map" \
	ts route add 10.81.0.9/32 via 10.82.0.2 dev "$SEC" table "$DEV"
steers "with a stale pin" "$BASE"
rm "$PINS/steer_v4"
mv "$PINS/steer_v4_saved" "$PINS/steer_v4"
check "attach works again with the pin back" ts attach dev "$DEV" object "$ALT"
BASE=$(ours)
steers "after the stale pin" "$BASE"

# ---- 4. netlink replies larger than one buffer ------------------------------
MANY=400
BIG="${T_ID}m"
ip link add "$BIG" netns "$H" type veth peer name "${T_ID}n" netns "$P"
ip -n "$H" link set "$BIG" up
check "attach on $BIG" ts attach dev "$BIG" object "$TCSTEER_PROGS/pass.o"
# Other tools' filters ahead of ours (prio 2..), so that ours is the last
# message of a dump that takes several recv()s.
for ((i = 2; i < MANY + 2; i++)); do
	echo "filter add dev $BIG egress prio $i handle 1 bpf da obj $TCSTEER_PROGS/pass.o sec tc"
done >"$WORK/tc.batch"
ip netns exec "$H" tc -batch "$WORK/tc.batch"
shown=$(ts show dev "$BIG" | grep -c ' bpf ')
check "show lists all $((MANY + 1)) filters ($shown)" test "$shown" = $((MANY + 1))
out=$(in_ns "$H" "$NLBUF" "$BIG")
check "the library lists them in several parts: $(head -1 <<<"$out")" \
	test "$(head -1 <<<"$out")" = "list: $((MANY + 1)) filters"
out=$(in_ns "$H" "${NLBUF}_small" "$BIG")
echo "$out" | sed 's/^/# 1 KiB buffer: /'
check "a reply larger than the buffer is one clear error" \
	test "$(grep -c 'list: error: list filters: netlink reply larger than the 1024-byte receive buffer' <<<"$out")" = 2
check "the connection works after it" grep -qx "clsact: ok" <<<"$out"
check "replace among $MANY filters" ts attach dev "$BIG"
check "one tcsteer filter, $MANY others" \
	test "$(ts show dev "$BIG" | grep -c '\[tcsteer\]')/$(ts show dev "$BIG" | grep -c ' bpf ')" = "1/$((MANY + 1))"
check "detach among $MANY filters" ts detach dev "$BIG"
check "only the others are left" test "$(ts show dev "$BIG" | grep -c ' bpf ')" = "$MANY"
ip -n "$H" link del "$BIG"

# ---- 5. the device disappears between lookup and attach ---------------------
# vanish SYSCALL N: delay the N-th SYSCALL by 1.5 s, delete the device meanwhile.
vanish() {
	local dev="${T_ID}v" out rc=0
	ip link add "$dev" netns "$H" type veth peer name "${T_ID}w" netns "$P"
	ip -n "$H" link set "$dev" up
	(sleep 0.5; ip -n "$H" link del "$dev") &
	out=$(straced -e trace="$1" -e inject="$1:delay_enter=1500000:when=$2" -- \
		attach dev "$dev" 2>&1 >/dev/null) || rc=$?
	wait
	INJECTED=$((INJECTED + 1))
	if [ "$rc" = 1 ] && [ "$(grep -c . <<<"$out")" = 1 ] &&
		grep -Eq "^tcsteer: .*(no network device|not found|No such device)" <<<"$out"; then
		ok "device deleted during $1 #$2: $out"
	else
		fail "device deleted during $1 #$2: exit $rc: $out"
	fi
	check "no record left for the vanished device" test -z "$(stale_records "$DEV")"
}
vanish bpf 1           # while loading the program
vanish sendto 1        # before the clsact qdisc is made
vanish sendto 2        # before the filter is added
steers "after the vanishing devices" "$BASE"

# ---- 6. the secondary interface goes down and up ----------------------------
stream 3000 0.001
sleep 0.8
ip -n "$H" link set "$SEC" down
check "route show works while $SEC is down" quiet ts route show table "$DEV"
check "attach works while $SEC is down" ts attach dev "$DEV"
BASE=$(ours)
sleep 0.5
ip -n "$H" link set "$SEC" up
stream_wait
echo "# $SEC down for ~0.5 s: $(cat "$WORK/stream.out")"
check "steered packets flow again after $SEC came back ($(field last_quarter))" \
	test "$(field last_quarter)" = "750/750"
steers "after $SEC down and up" "$BASE"
# Link down flushes the neighbour entry, managed or not; the kernel makes a
# plain one again for the next steered packet.
echo "# next hop after the flap: $(ip -n "$H" neigh show 10.82.0.2 dev "$SEC")"

# ---- 7. bpffs not mounted ---------------------------------------------------
# In a mount namespace of its own with no bpffs, and no ancestor in another
# mount namespace to borrow one from (a new PID namespace: its PID 1 is the
# oldest ancestor tcsteer sees), tcsteer mounts one and pins there.
NOFS="${T_ID}f"
ip link add "$NOFS" netns "$H" type veth peer name "${T_ID}g" netns "$P"
ip -n "$H" link set "$NOFS" up
out=$(unshare --mount --propagation private --pid --fork --mount-proc bash -c '
	while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
	nsenter --net="/run/netns/$1" "$2" -v attach dev "$3" 2>&1 &&
	mountpoint -q /sys/fs/bpf && test -n "$(ls /sys/fs/bpf/tcsteer/netns/*/if*/prog_egress)" &&
	echo "pinned in the new bpffs"' _ "$H" "$TCSTEER" "$NOFS") && rc=0 || rc=$?
echo "$out" | sed 's/^/# no bpffs: /'
check "attach without bpffs mounts it and pins there" \
	test "$rc" = 0 -a "$(grep -c 'mounted bpffs on /sys/fs/bpf\|pinned in the new bpffs' <<<"$out")" = 2
check "the filter runs" test "$(in_ns "$H" tc filter show dev "$NOFS" egress | grep -c 'SchedCLS(steer)')" = 1
ip -n "$H" link del "$NOFS"

# ---- 8. the fd-leak check itself (test builds with -DTCSTEER_FD_CHECK=ON) ---
if grep -q "fd check: fd" "$TCSTEER"; then
	# The close() of the netlink socket, swallowed by strace (it returns
	# 0 and closes nothing), is a leaked fd: the check must name it and
	# abort. (The sanitizer runtimes close fds of their own first.)
	in_ns "$H" env "$NOLEAK" strace -qq -o "$WORK/trace" -e trace=close,socket \
		"$TCSTEER" show dev "$DEV" >/dev/null
	n=$(awk '/^socket\(AF_NETLINK/ { found = 1 } /^close\(/ { n++; if (found) { print n; exit } }' "$WORK/trace")
	rc=0
	out=$(straced -e trace=close -e inject="close:retval=0:when=$n" -- \
		show dev "$DEV" 2>&1 >/dev/null) || rc=$?
	INJECTED=$((INJECTED + 1))
	check "a skipped close() is reported at exit (exit $rc: $out)" \
		test "$rc" -ge 128 -a "$(grep -c '^tcsteer: fd check: fd [0-9]* (.*) is still open at exit$' <<<"$out")" = 1
fi

echo "# faults injected: $INJECTED"
done_testing
