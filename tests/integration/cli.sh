#!/usr/bin/env bash
# The command line where operators look first (root):
# - apply rolls back on SIGTERM, SIGINT and SIGHUP, says so in one line, and
#   ends the way the signal would (128 + its number): the table is as before;
# - apply/-batch of a directory, and a NUL byte in a line, fail in one line;
# - per-command help; --dry-run with another command is refused (and the man
#   page says so);
# - with -j, a failure leaves stdout empty and says why on stderr in one line;
# - without bpffs, route show says that bpffs is not mounted.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

world c
S=$W_S
ts_c() { in_ns "$S" "$TCSTEER" "$@"; }
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

ts_c attach dev e0
ts_c route add 10.77.0.0/24 via 10.78.0.2 dev e1
ts_c route add fd00:1::/64 via fe80::1 dev e1 2>/dev/null
steered c >/dev/null   # the /24 counts a few packets
table() { ts_c route show -s | grep -v '^miss '; }

# ---- signals during a large apply --------------------------------------------
for n in $(seq 0 999); do
	echo "route add 10.$((100 + n / 256)).$((n % 256)).0/24 via 10.78.0.2 dev e1"
done >"$WORK/big.conf"
echo "route add 10.77.0.0/24 via 10.78.0.3 dev e1" >>"$WORK/big.conf" # changes an existing one
for sig in TERM INT HUP; do
	before=$(table)
	# (nsenter execs tcsteer: $! is tcsteer itself)
	nsenter --net="/run/netns/$S" "$TCSTEER" apply "$WORK/big.conf" 2>"$WORK/err" & pid=$!
	# Signal it once it has changed something (it holds the lock meanwhile).
	for ((i = 0; i < 500; i++)); do
		[ "$(ts_c route show | wc -l)" -gt 20 ] && break
		sleep 0.01
	done
	kill -"$sig" "$pid"
	wait "$pid" && rc=0 || rc=$?
	want=$((128 + $(kill -l "$sig")))
	check "SIG$sig during apply: exit $rc (want $want)" test "$rc" = "$want"
	check "SIG$sig: one line that says it was undone ($(cat "$WORK/err"))" \
		test "$(grep -c . "$WORK/err")" = 1 -a "$(grep -c "stopped by SIG$sig after [0-9]* of 1001 commands; what they changed was undone" "$WORK/err")" = 1
	check "SIG$sig: the table is exactly as before, counters too" test "$(table)" = "$before"
done
check "the apply still works when let alone" ts_c apply "$WORK/big.conf"
check "all of it" test "$(ts_c route show | wc -l)" = 1002

# ---- bad apply input -----------------------------------------------------------
expect_error "apply of a directory" "cannot read $WORK: Is a directory" ts_c apply "$WORK"
expect_error "-batch of a directory" "cannot read $WORK: Is a directory" ts_c -batch "$WORK"
printf 'route del 10.77.0.0/24\0 table nothere\n' >"$WORK/nul.conf"
expect_error "a NUL byte in a line" "nul.conf:1: the line holds a NUL byte" ts_c apply "$WORK/nul.conf"
check "and nothing was applied" grep -q '^10.77.0.0/24 ' <<<"$(ts_c route show)"

# ---- help ----------------------------------------------------------------------
check "route --help: route's usage, exit 0" bash -c "$TCSTEER route --help | grep -q '^  route add PREFIX via NEXTHOP'"
check "route add help" bash -c "$TCSTEER route add help | grep -q '^  route del PREFIX'"
check "help gc" bash -c "$TCSTEER help gc | grep -q '^  gc '"
check "attach -h" bash -c "$TCSTEER attach -h | grep -q '^  attach dev IFACE'"
expect_error "help of an unknown command" 'no help for "nope"' "$TCSTEER" help nope
check "a table named help is a table name" bash -c "! $TCSTEER route show table help 2>&1 | grep -q Usage"

# ---- --dry-run elsewhere ------------------------------------------------------------
expect_error "--dry-run route add (via) is refused" "--dry-run applies to attach and route add ... learn only" \
	ts_c --dry-run route add 10.1.0.0/16 via 10.78.0.2 dev e1
check "the man page says it is refused" bash -c "man -l '$TCSTEER_SRC/docs/tcsteer.8' 2>/dev/null | tr -s ' \n' ' ' | grep -q 'refuses the option (exit 2)'"

# ---- -j errors -------------------------------------------------------------------
out=$(ts_c -j route show table nothere 2>"$WORK/err") && rc=0 || rc=$?
check "-j failure: exit 1, stdout empty, one line on stderr" \
	test "$rc" = 1 -a -z "$out" -a "$(grep -c . "$WORK/err")" = 1
# A failure midway through the output (the 3rd counter read fails): still
# nothing on stdout, not half a document.
out=$(in_ns "$S" strace -qq -o /dev/null -e trace=bpf \
	-e inject=bpf:error=EIO:when=30+ "$TCSTEER" -j route show -s 2>"$WORK/err") && rc=0 || rc=$?
check "-j failure midway: stdout empty (exit $rc, $(head -c 120 "$WORK/err"))" test "$rc" != 0 -a -z "$out"
check "-j success: one JSON document" bash -c "nsenter --net=/run/netns/$S $TCSTEER -j route show | python3 -m json.tool >/dev/null"

# ---- next hops ------------------------------------------------------------------
# The world: e1 10.78.0.1/24 towards the router 10.78.0.2; e0 10.77.0.1/24
# towards the gateway 10.77.0.2.
ip -n "$S" addr add 10.76.0.1/32 dev lo
managed() { ip -n "$S" neigh show nud all | grep -c managed || true; }
before=$(managed)
expect_error "via 8.8.8.8: not on e1's link" "next hop 8.8.8.8 is not on e1's link" \
	ts_c route add 10.1.0.0/24 via 8.8.8.8 dev e1
expect_error "via the other link's gateway" "next hop 10.77.0.2 is not on e1's link: it is on e0's" \
	ts_c route add 10.1.0.0/24 via 10.77.0.2 dev e1
expect_error "via the server's own address" "next hop 10.78.0.1 is an address of this host" \
	ts_c route add 10.1.0.0/24 via 10.78.0.1 dev e1
expect_error "via an address on lo" "next hop 10.76.0.1 is an address of this host" \
	ts_c route add 10.1.0.0/24 via 10.76.0.1 dev e1
expect_error "via the subnet's broadcast address" "next hop 10.78.0.255 is a broadcast address" \
	ts_c route add 10.1.0.0/24 via 10.78.0.255 dev e1
out=$(ts_c route add 10.1.0.0/24 via 0.0.0.0 dev e1 2>&1) && rc=0 || rc=$?
check "via 0.0.0.0: a usage error, exit 2 ($out)" test "$rc" = 2 -a "$(grep -c . <<<"$out")" = 1
out=$(ts_c route add 10.1.0.0/24 via 224.0.0.1 dev e1 2>&1) && rc=0 || rc=$?
check "via 224.0.0.1: a usage error, exit 2 ($out)" test "$rc" = 2 -a "$(grep -c . <<<"$out")" = 1
check "no neighbour entry was made managed for them" test "$(managed)" = "$before"
check "via fe80::1 (link-local) is valid" ts_c route add fd00:2::/64 via fe80::1 dev e1
printf 'route add 10.2.0.0/24 via 10.78.0.2 dev e1\nroute add 10.3.0.0/24 via 8.8.8.8 dev e1\n' >"$WORK/nh.conf"
expect_error "apply with a bad next hop on line 2" "nh.conf:2: next hop 8.8.8.8 is not on e1's link" \
	ts_c apply "$WORK/nh.conf"
check "and line 1 was not applied" test -z "$(ts_c route show | grep '^10.2.0.0/24 ' || true)"

# ---- the MTU warning -------------------------------------------------------------
ip -n "$S" link set e1 mtu 1400
out=$(ts_c route add 10.4.0.0/24 via 10.78.0.2 dev e1 2>&1) && rc=0 || rc=$?
check "route add via a smaller MTU warns in one line ($out)" \
	test "$rc" = 0 -a "$(grep -c "warning: e1's MTU (1400) is smaller than e0's (1500)" <<<"$out")" = 1
ip -n "$S" link set e1 mtu 1500
check "no warning with equal MTUs" test -z "$(ts_c route add 10.5.0.0/24 via 10.78.0.2 dev e1 2>&1)"

# ---- no bpffs ----------------------------------------------------------------------
out=$(unshare --mount --propagation private --pid --fork --mount-proc bash -c '
	while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
	nsenter --net="/run/netns/$1" setpriv --bounding-set=-all,+bpf,+net_admin \
		--inh-caps=-all --ambient-caps=-all -- "$2" route show table e0
	rc=$?; exit $rc  # (not exec: tcsteer is not PID 1 here)' _ "$S" "$TCSTEER" 2>&1) && rc=0 || rc=$?
check "route show without bpffs names it ($out)" \
	test "$rc" = 1 -a "$(grep -c . <<<"$out")" = 1 -a "$(grep -c 'bpffs is not mounted on /sys/fs/bpf' <<<"$out")" = 1

done_testing
