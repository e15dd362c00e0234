#!/usr/bin/env bash
# Bad input never costs the working filter (root).
# A filter is attached and proven to run; then each bad input (malformed
# objects of many kinds, a program the verifier rejects, an unknown device,
# missing privilege, bad prefixes) must fail with exactly one line naming the
# cause and a non-zero exit, and afterwards the same filter (same program id)
# must still be attached and still see packets.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

two_hosts 10.78.0
WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

prog_id() { ts -j show dev "$DEV" | python3 -c '
import json, sys
ids = [f["prog_id"] for f in json.load(sys.stdin) if f["tcsteer"]]
print(ids[0] if len(ids) == 1 else "none")'; }
miss_packets() { ts -j route show -s table "$DEV" | python3 -c '
import json, sys; print(json.load(sys.stdin)["miss"]["packets"])'; }

ts attach dev "$DEV"
ID=$(prog_id)
check "a filter is attached" test "$ID" != none

# still_working DESC: the original program is attached and runs.
still_working() {
	local before after
	before=$(miss_packets)
	in_ns "$H" ping -c 1 -W 1 10.78.0.2 >/dev/null || true
	after=$(miss_packets)
	if [ "$(prog_id)" = "$ID" ] && [ "$after" -gt "$before" ]; then
		ok "$1: the filter still runs (id $ID)"
	else
		fail "$1: the filter was lost (id $(prog_id), miss $before -> $after)"
	fi
}

bad_object() {
	local kind=$1 src=$2 pattern=$3
	python3 "$TCSTEER_SRC/tests/integration/mangle.py" "$kind" "$src" "$WORK/$kind.o"
	expect_error "malformed object: $kind" "$pattern" ts attach dev "$DEV" object "$WORK/$kind.o"
	still_working "after $kind"
}

PASS="$TCSTEER_PROGS/pass.o"
RELOC="$TCSTEER_PROGS/legacy_maps.o"
bad_object empty     "$PASS"  "$WORK/empty.o: (not an ELF|.*too small|.*empty)"
bad_object truncated "$PASS"  "truncated|outside|beyond|past"
bad_object half      "$PASS"  "truncated|outside|beyond|past"
bad_object notelf    "$PASS"  "not an ELF"
bad_object elf32     "$PASS"  "32-bit|ELFCLASS32|class"
bad_object bigendian "$PASS"  "big-endian|byte order|endian"
bad_object machine   "$PASS"  "machine|EM_BPF|62"
bad_object shoff     "$PASS"  "section header"
bad_object secoff    "$PASS"  "outside|beyond|past"
bad_object strtab_nul "$PASS" "NUL|terminat"
bad_object badreloc  "$RELOC" "symbol"
bad_object relpast   "$RELOC" "offset|outside|beyond|past"

expect_error "missing object file" "cannot open $WORK/nope.o: No such file" \
	ts attach dev "$DEV" object "$WORK/nope.o"
still_working "after a missing file"

# A rejection prints the tail of the verifier log, then the one-line error.
out=$(ts attach dev "$DEV" object "$TCSTEER_PROGS/reject.o" 2>&1 >/dev/null) && rc=0 || rc=$?
check "verifier rejection fails" test "$rc" != 0
check "its last line names the verifier and the cause" bash -c \
	"printf '%s\n' \"\$1\" | tail -n 1 | grep -Eq '^tcsteer: verifier rejected program \"reject_unchecked\" .*: .+'" _ "$out"
check "the log tail shows the offending instruction" bash -c \
	"printf '%s\n' \"\$1\" | grep -q 'invalid access to packet'" _ "$out"
still_working "after a verifier rejection"

expect_error "unknown program" "no program" \
	ts attach dev "$DEV" object "$PASS" program nosuchfunc
expect_error "unknown section" "no program" \
	ts attach dev "$DEV" object "$PASS" section nosuchsec
still_working "after an unknown program"

expect_error "unknown device" 'device "nosuchdev0" not found' ts attach dev nosuchdev0
expect_error "bad command" "unknown command" ts frobnicate
expect_error "missing dev" "expected \"dev IFACE\"" ts attach
expect_error "--dry-run with a command that would act" "applies to attach and route add ... learn only" \
	ts --dry-run route del 192.0.2.0/24 table "$DEV"

# Without privilege: root with every capability dropped.
expect_error "no privilege" "privilege|CAP_BPF|CAP_NET_ADMIN|not permitted" \
	in_ns "$H" setpriv --bounding-set=-all --inh-caps=-all -- "$TCSTEER" attach dev "$DEV"
still_working "after a privilege failure"

# Bad routes change nothing.
ts route add 192.0.2.0/24 via 10.78.0.2 dev "$DEV" table "$DEV"
routes_before=$(ts route show table "$DEV")
expect_error "bad prefix" "not an IPv4 or IPv6 prefix" ts route add 192.0.2.x/24 via 10.78.0.2 dev "$DEV" table "$DEV"
expect_error "prefix length" "prefix length must be 0..32" ts route add 192.0.2.0/33x via 10.78.0.2 dev "$DEV" table "$DEV"
expect_error "host bits" "bits set beyond" ts route add 192.0.2.1/24 via 10.78.0.2 dev "$DEV" table "$DEV"
expect_error "bad next hop" "not an IPv4 or IPv6 address" ts route add 198.51.100.0/24 via 10.78.0 dev "$DEV" table "$DEV"
expect_error "next hop with a prefix" "not a prefix" ts route add 198.51.100.0/24 via 10.78.0.2/24 dev "$DEV" table "$DEV"
expect_error "unknown output device" 'device "nosuchdev0" not found' ts route add 198.51.100.0/24 via 10.78.0.2 dev nosuchdev0 table "$DEV"
expect_error "route del of a missing route" "no route for 203.0.113.0/24" ts route del 203.0.113.0/24 table "$DEV"
check "the table is unchanged" test "$(ts route show table "$DEV")" = "$routes_before"
still_working "after bad routes"

done_testing
