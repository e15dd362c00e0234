#!/usr/bin/env bash
# `./dev.sh demo`: the asymmetric return path, broken and fixed by tcsteer,
# in a netns lab of its own (compose/netns-lab.sh), torn down at the end
# whatever happens. Needs root.
#
#   compose/demo.sh [TCSTEER]     (default: $TCSTEER, then build/tcsteer)
#
# Exit 0 only if every step behaved as expected: probes fail without
# tcsteer, pass with it (replies seen leaving by eth1 only), fail again
# after the detach.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$HERE/topology.env"

TCSTEER=$(realpath -- "${1:-${TCSTEER:-$HERE/../build/tcsteer}}")
export TCSTEER
PREFIX=demo$$
UNEXPECTED=()

lab() { "$HERE/netns-lab.sh" "$@" --prefix "$PREFIX"; }
step() { printf '\n== %s\n' "$*"; }
indent() { sed 's/^/   /'; }

# expect OK|BROKEN DESC CMD...: runs a lab command and records whether it
# behaved as DESC says. BROKEN means every probe failed.
expect() {
	local want=$1 desc=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	printf '%s\n' "$out" | indent
	if [ "$want" = OK ] && [ "$rc" = 0 ]; then
		return 0
	fi
	if [ "$want" = BROKEN ] && ! grep -q '^OK ' <<<"$out" &&
		[ "$(grep -c '^FAIL ' <<<"$out")" = 4 ]; then
		return 0
	fi
	echo "   !! unexpected: $desc"
	UNEXPECTED+=("$desc")
}

main() {
	[ "$(id -u)" = 0 ] || { echo "demo: needs root" >&2; exit 1; }
	[ -x "$TCSTEER" ] || { echo "demo: no tcsteer binary at $TCSTEER" >&2; exit 1; }
	trap 'lab down >/dev/null 2>&1 || true' EXIT

	step "A server with VIPs $VIP4 and $VIP6, reached through a router on" \
	     "$SERVER_SECONDARY_IF; its default route leaves by $SERVER_PRIMARY_IF"
	lab up | indent

	step "Without tcsteer: the replies follow the default route to a" \
	     "gateway with no route back, and die"
	expect BROKEN "probes fail without tcsteer" lab capture

	step "tcsteer: attach to $SERVER_PRIMARY_IF egress, route the VIPs via" \
	     "$ROUTER_SECONDARY4 / $ROUTER_SECONDARY6 on $SERVER_SECONDARY_IF"
	expect OK "tcsteer attach and route add" lab fix

	step "With tcsteer: every probe answers; tcpdump on the server sees" \
	     "the replies leave by $SERVER_SECONDARY_IF only"
	expect OK "probes pass, replies leave by $SERVER_SECONDARY_IF" lab proof

	step "tcsteer route del + detach: the problem is back"
	expect OK "tcsteer route del and detach" lab unfix
	expect BROKEN "probes fail again after the detach" lab check

	step "Tearing down"
	lab down | indent
	trap - EXIT

	echo
	if [ ${#UNEXPECTED[@]} -eq 0 ]; then
		echo "demo: every step behaved as expected"
		return 0
	fi
	printf 'demo: FAILED: %s\n' "${UNEXPECTED[@]}" >&2
	return 1
}

main "$@"
