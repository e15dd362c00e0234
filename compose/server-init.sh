#!/usr/bin/env bash
# The server's one-shot init step in the Docker lab (docker-compose.yml runs
# it as the server's command): VIPs on lo, default route via the primary
# gateway, rp_filter, tcsteer attach + routes, then the listener on the VIPs
# in the foreground. Any failure stops it with one line on stderr.
#
#   server-init.sh                  run it
#   server-init.sh --print-commands print the tcsteer commands it would run
#                                   (compose_check.sh compares them with
#                                   netns-lab.sh's)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$HERE/topology.env"
. "$HERE/steer-commands.sh"

TCSTEER=${TCSTEER:-tcsteer}

die() { echo "server-init: $*" >&2; exit 1; }

# Docker names a container's interfaces in an order of its own choosing:
# find them by the addresses topology.env gives them.
dev_of() {
	local dev
	dev=$(ip -o -4 addr show to "$1" | awk '{ print $2; exit }')
	[ -n "$dev" ] || die "no interface holds $1"
	echo "$dev"
}

print_commands() {
	steer_commands fix "$SERVER_PRIMARY_IF" "$SERVER_SECONDARY_IF"
}

# The host's bpffs is bind-mounted on /sys/fs/bpf; mount one if it is not
# (the pins then live as long as the container).
ensure_bpffs() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs on /sys/fs/bpf"
}

setup_addresses() {
	local pri=$1
	ip addr replace "$VIP4/32" dev lo || die "cannot add $VIP4 to lo"
	ip -6 addr replace "$VIP6/128" dev lo || die "cannot add $VIP6 to lo"
	# The default route that sends the VIPs' replies the wrong way.
	ip route replace default via "$GATEWAY4" dev "$pri" ||
		die "cannot route default via $GATEWAY4 dev $pri"
	ip -6 route replace default via "$GATEWAY6" dev "$pri" ||
		die "cannot route default via $GATEWAY6 dev $pri"
}

# Requests for the VIPs arrive on the secondary interface while the route
# back to the client is the default one via the primary: strict reverse-path
# filtering (1) drops them before a reply exists. Loose mode (2) only wants
# the source reachable somewhere; the kernel uses max(all, dev).
setup_rp_filter() {
	local sec=$1
	sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$sec.rp_filter=2" ||
		die "cannot set rp_filter (is /proc/sys read-only?)"
}

main() {
	local pri sec

	if [ "${1:-}" = --print-commands ]; then
		print_commands
		return 0
	fi
	[ $# -eq 0 ] || die "usage: $0 [--print-commands]"
	pri=$(dev_of "$SERVER_PRIMARY4")
	sec=$(dev_of "$SERVER_SECONDARY4")
	echo "server-init: primary $pri, secondary $sec"
	setup_addresses "$pri"
	setup_rp_filter "$sec"
	ensure_bpffs
	steer_run "$TCSTEER" fix "$pri" "$sec" || die "tcsteer failed"
	"$TCSTEER" route show table "$pri" || true
	echo "server-init: listening on $VIP4 and [$VIP6] port $LISTEN_PORT"
	socat "TCP6-LISTEN:$LISTEN_PORT,bind=[$VIP6],ipv6only=1,reuseaddr,fork" \
		SYSTEM:"echo $LISTEN_BANNER" &
	exec socat "TCP4-LISTEN:$LISTEN_PORT,bind=$VIP4,reuseaddr,fork" \
		SYSTEM:"echo $LISTEN_BANNER"
}

main "$@"
