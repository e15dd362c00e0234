#!/usr/bin/env bash
# The server's one-shot init step in the Docker lab (docker-compose.yml runs
# it as the server's command): the lab's routes instead of Docker's, VIPs on
# lo, default route via the primary gateway, rp_filter, tcsteer attach +
# routes, then the listener on the VIPs in the foreground. Any failure
# stops it with one line on stderr. It touches /run/lab-ready (the
# service's healthcheck) once the listener runs.
#
#   server-init.sh                  run it
#   server-init.sh unfix|fix        in the running server (docker-compose
#                                   exec -T server ...): take the steering
#                                   away, or put it back
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

# Docker mounts /sys read-only; with CAP_SYS_ADMIN a bpffs of the
# container's own can still be mounted over /sys/fs/bpf (its pins live as
# long as the container, apart from the host's), unless one is there
# already (the host's, bind-mounted).
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
# the source reachable somewhere; the kernel uses max(all, dev). A new
# network namespace starts with 0 (docker-compose.yml sets "all" too), so
# this writes only when it must: Docker mounts /proc/sys read-only, and
# remounting it needs CAP_SYS_ADMIN.
setup_rp_filter() {
	local sec=$1 all dev
	all=$(sysctl -n net.ipv4.conf.all.rp_filter)
	dev=$(sysctl -n "net.ipv4.conf.$sec.rp_filter")
	[ "$all" != 1 ] && [ "$dev" != 1 ] && return 0
	if [ ! -w "/proc/sys/net/ipv4/conf/$sec/rp_filter" ]; then
		mount -o remount,rw /proc/sys 2>/dev/null ||
			die "strict rp_filter on $sec and /proc/sys is read-only"
	fi
	sysctl -qw net.ipv4.conf.all.rp_filter=0 "net.ipv4.conf.$sec.rp_filter=2" ||
		die "cannot set rp_filter on $sec"
}

# The listener: one socat per VIP, both in the background; returns once
# both listen.
start_listener() {
	local n
	socat "TCP6-LISTEN:$LISTEN_PORT,bind=[$VIP6],ipv6only=1,reuseaddr,fork" \
		SYSTEM:"echo $LISTEN_BANNER" &
	socat "TCP4-LISTEN:$LISTEN_PORT,bind=$VIP4,reuseaddr,fork" \
		SYSTEM:"echo $LISTEN_BANNER" &
	for _ in $(seq 100); do
		n=$(ss -Hltn "sport = :$LISTEN_PORT" | wc -l)
		[ "$n" -ge 2 ] && return 0
		sleep 0.05
	done
	die "the listener on port $LISTEN_PORT did not start"
}

main() {
	local pri sec

	case ${1:-} in
	--print-commands)
		print_commands
		return 0
		;;
	fix|unfix)
		pri=$(dev_of "$SERVER_PRIMARY4")
		sec=$(dev_of "$SERVER_SECONDARY4")
		steer_run "$TCSTEER" "$1" "$pri" "$sec" || die "tcsteer failed"
		return 0
		;;
	"") ;;
	*) die "usage: $0 [fix|unfix|--print-commands]" ;;
	esac
	# shellcheck source-path=SCRIPTDIR
	. "$HERE/node-init.sh"
	pri=$(dev_of "$SERVER_PRIMARY4")
	sec=$(dev_of "$SERVER_SECONDARY4")
	echo "server-init: primary $pri, secondary $sec"
	setup_addresses "$pri"
	setup_rp_filter "$sec"
	ensure_bpffs
	steer_run "$TCSTEER" fix "$pri" "$sec" || die "tcsteer failed"
	"$TCSTEER" route show table "$pri" || true
	start_listener
	echo "server-init: listening on $VIP4 and [$VIP6] port $LISTEN_PORT"
	touch /run/lab-ready
	wait
}

main "$@"
