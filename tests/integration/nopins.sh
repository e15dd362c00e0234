#!/usr/bin/env bash
# Where no pin can outlive the process (root): tcsteer as PID 1 of a PID
# namespace with a mount namespace without bpffs, as in a one-shot container
# that does not mount the host's /sys/fs/bpf. The kernel holds the state:
# - attach works and pins nothing; a later one-shot `route add` finds the
#   table through the attached program and the route steers after both
#   processes are gone; attaching again is a no-op;
# - what would need a pin (a new table, a tail-call table) is refused up
#   front in one line, changing nothing; detach says the table goes;
# - without CAP_SYS_ADMIN the kernel cannot be asked, and the error says so;
# - a later command with the host's bpffs finds the same table and pins it.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

world n
S=$W_S
# oneshot ARGS...: tcsteer ARGS as PID 1, no bpffs anywhere it can see.
oneshot() {
	unshare --mount --propagation private --pid --fork --mount-proc bash -c '
		while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
		exec nsenter --net="/run/netns/$1" "${@:2}"' _ "$S" "$@"
}
ts_n() { oneshot "$TCSTEER" "$@"; }
host() { in_ns "$S" "$TCSTEER" "$@"; }
ours() { host -j show dev "$1" | python3 -c '
import json, sys; print(" ".join(str(f["prog_id"]) for f in json.load(sys.stdin) if f["tcsteer"]))'; }
pinned() { host -j -d route show | python3 -c 'import json, sys; print("pins" in json.load(sys.stdin))'; }

check "one-shot attach dev e0" ts_n attach dev e0
ID=$(ours e0)
check "the host sees tcsteer's filter (id $ID), through its tcsteer_meta" test -n "$ID"
check "nothing was pinned for it" test "$(pinned)" = False
check "one-shot route add finds the table through the kernel" \
	ts_n route add 10.77.0.0/24 via 10.78.0.2 dev e1
check "the route steers after both processes are gone" steered n
check "one-shot attach again is a no-op" test "$(ts_n attach dev e0; ours e0)" = "$ID"
check "one-shot route show" test "$(ts_n route show)" = "10.77.0.0/24 via 10.78.0.2 dev e1"

expect_error "a new table would need a pin: refused in one line" \
	"cannot keep a new steering table other: no bpffs here outlives this process" \
	ts_n route add 10.9.0.0/24 via 10.78.0.2 dev e1 table other
expect_error "a tail-call table would need a pin: refused in one line" \
	"cannot keep the tail-call table \"jmp_drop\" of tail_drop filled after this process exits" \
	ts_n attach dev e1 object "$TCSTEER_PROGS/tail_drop.o" section tc
check "and nothing was attached to e1" test -z "$(ours e1)"
expect_error "without CAP_SYS_ADMIN the kernel cannot be asked: one line that says so" \
	"needs CAP_SYS_ADMIN" \
	oneshot setpriv --bounding-set=-all,+bpf,+net_admin --inh-caps=-all --ambient-caps=-all -- \
	"$TCSTEER" route add 10.9.0.0/24 via 10.78.0.2 dev e1
check "still steered after the refusals" steered n

# The host (its bpffs durable) finds the same table and keeps it pinned.
check "host route add to the table the one-shot attach made" \
	host route add 10.77.1.0/24 via 10.78.0.2 dev e1
check "the host pinned it" test "$(pinned)" = True
check "host detach keeps it" host detach dev e0
check "host sees both routes in the table it pinned" \
	test "$(host route show table e0 | wc -l)" = 2
check "host attach resumes it" host attach dev e0
check "steered again" steered n

# Detach where nothing can be kept: the table goes, and tcsteer says so.
world m
S=$W_S
ts_n attach dev e0
ts_n route add 10.77.0.0/24 via 10.78.0.2 dev e1
out=$(ts_n detach dev e0 2>&1) && rc=0 || rc=$?
check "one-shot detach exits 0 ($out)" test "$rc" = 0
check "and warns that the table goes with the filter" grep -q "warning: the steering table e0 goes with e0's filter" <<<"$out"
check "not steered after detach" unsteered m

done_testing
