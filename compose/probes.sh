#!/usr/bin/env bash
# Client -> VIP probes, run from the client's network namespace (the netns
# lab enters it with nsenter; in Docker: `docker compose exec client
# /opt/tcsteer/probes.sh`). One line per probe, OK or FAIL; exit 0 only if
# every probe passes. Each probe waits at most 2 s and all four run at once,
# so a broken return path costs 2 s, not 6.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$HERE/topology.env"

probe_ping4() { ping -n -q -c1 -W1 "$VIP4" >/dev/null 2>&1; }
probe_ping6() { ping -6 -n -q -c1 -W1 "$VIP6" >/dev/null 2>&1; }

# A TCP round trip: the SYN-ACK and the banner both come from the VIP, so a
# reply that takes the wrong path shows up as a timeout.
tcp_banner() {
	local reply
	reply=$(timeout 3 socat -T2 -u "$1,connect-timeout=2" STDOUT 2>/dev/null) ||
		return 1
	[ "$reply" = "$LISTEN_BANNER" ]
}
probe_tcp4() { tcp_banner "TCP4:$VIP4:$LISTEN_PORT"; }
probe_tcp6() { tcp_banner "TCP6:[$VIP6]:$LISTEN_PORT"; }

declare -A WHAT=(
	[ping4]="ping $VIP4"
	[ping6]="ping $VIP6"
	[tcp4]="tcp  $VIP4:$LISTEN_PORT"
	[tcp6]="tcp  [$VIP6]:$LISTEN_PORT"
)
PROBES=(ping4 ping6 tcp4 tcp6)

# In the Docker lab, the client's init sets LAB_READY_FILE and touches it
# once its routes are in: `docker-compose up -d` returns before that.
wait_ready() {
	[ -n "${LAB_READY_FILE:-}" ] || return 0
	for _ in $(seq 300); do
		[ -e "$LAB_READY_FILE" ] && return 0
		sleep 0.1
	done
	echo "probes: $LAB_READY_FILE did not appear in 30 s" >&2
	return 1
}

main() {
	local p failed=0
	local -A pid

	wait_ready

	for p in "${PROBES[@]}"; do
		"probe_$p" &
		pid[$p]=$!
	done
	for p in "${PROBES[@]}"; do
		if wait "${pid[$p]}"; then
			printf 'OK   %-5s client -> %s\n' "$p" "${WHAT[$p]}"
		else
			printf 'FAIL %-5s client -> %s: no reply\n' "$p" "${WHAT[$p]}"
			failed=1
		fi
	done
	return $failed
}

main "$@"
