#!/usr/bin/env bash
# The asymmetric-return-path lab in network namespaces (no Docker needed).
#
#   netns-lab.sh up|check|fix|unfix|capture|proof|status|down|commands
#                [--prefix P]
#
#   up       build the topology of compose/topology.env: namespaces
#            P-server, P-router, P-gw, P-client joined by veth pairs, the VIPs
#            on the server's lo and a listener on them
#   check    client -> VIP probes (ping and TCP, IPv4 and IPv6), one OK/FAIL
#            line each; exit 0 only if all pass
#   fix      tcsteer attach on the server's eth0 + routes for both VIPs via
#            the router on eth1
#   unfix    the routes deleted, tcsteer detached
#   capture  check, while tcpdump watches the server's eth0 and eth1: prints
#            where the VIPs' replies left and with which MACs
#   proof    capture, and exit 0 only if every probe passed, every reply left
#            by eth1 from eth1's MAC to the router's, and none by eth0
#   status   addresses, routes and tcsteer state of each namespace
#   down     stop the lab's processes, delete its namespaces
#   commands print the tcsteer commands fix runs (compose_check.sh compares
#            them with server-init.sh's)
#
# The prefix (default "lab") keeps several labs, or a test's, apart. tcsteer
# is $TCSTEER (default build/tcsteer); it runs in the server namespace through
# nsenter (`ip netns exec` works the same: tcsteer keeps its state per
# network namespace, on the bpffs of the mount namespace it came from).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
. "$HERE/topology.env"
. "$HERE/steer-commands.sh"

PREFIX=lab
# build/tcsteer, or where CMake leaves it if the top level does not move it.
default_tcsteer() {
	local b
	for b in "$HERE/../build/tcsteer"; do
		[ -x "$b" ] && { echo "$b"; return; }
	done
	echo "$HERE/../build/tcsteer"
}
TCSTEER=${TCSTEER:-$(default_tcsteer)}

die() { echo "netns-lab: $*" >&2; exit 1; }
usage() {
	echo "usage: $0 up|check|fix|unfix|capture|proof|status|down|commands [--prefix P]" >&2
	exit 2
}

set_names() {
	[[ $PREFIX =~ ^[A-Za-z0-9_.-]{1,40}$ ]] || die "bad prefix '$PREFIX'"
	NS_SERVER=$PREFIX-server
	NS_ROUTER=$PREFIX-router
	NS_GW=$PREFIX-gw
	NS_CLIENT=$PREFIX-client
	ALL_NS=("$NS_SERVER" "$NS_ROUTER" "$NS_GW" "$NS_CLIENT")
}

# Server side names come from topology.env; the others are the lab's own.
PRI=$SERVER_PRIMARY_IF
SEC=$SERVER_SECONDARY_IF
ROUTER_SERVER_IF=eth0 # router's leg on the secondary net
ROUTER_CLIENT_IF=eth1
GW_IF=eth0
CLIENT_IF=eth0

in_ns() { local ns=$1; shift; nsenter --net="/run/netns/$ns" "$@"; }
ns_exists() { [ -e "/run/netns/$1" ]; }
sysctl_ns() { in_ns "$1" sysctl -qw "$2"; }

new_ns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	# No duplicate address detection: addresses are usable at once, and
	# link-locals are not tentative when the first probe runs.
	sysctl_ns "$1" net.ipv6.conf.default.accept_dad=0
	sysctl_ns "$1" net.ipv6.conf.all.accept_dad=0
}

# link NS_A IF_A NS_B IF_B: a veth pair between two namespaces, both ends up.
link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# addr NS IF V4 V6 PREFIXLEN4 PREFIXLEN6
addr() {
	ip -n "$1" addr add "$3/$5" dev "$2"
	ip -n "$1" -6 addr add "$4/$6" dev "$2" nodad
}

plen() { echo "${1#*/}"; }

setup_server() {
	local ns=$NS_SERVER

	addr "$ns" "$PRI" "$SERVER_PRIMARY4" "$SERVER_PRIMARY6" \
		"$(plen "$PRIMARY_NET4")" "$(plen "$PRIMARY_NET6")"
	addr "$ns" "$SEC" "$SERVER_SECONDARY4" "$SERVER_SECONDARY6" \
		"$(plen "$SECONDARY_NET4")" "$(plen "$SECONDARY_NET6")"
	ip -n "$ns" addr add "$VIP4/32" dev lo
	ip -n "$ns" -6 addr add "$VIP6/128" dev lo
	# The default route is what sends the VIPs' replies the wrong way.
	ip -n "$ns" route add default via "$GATEWAY4" dev "$PRI"
	ip -n "$ns" -6 route add default via "$GATEWAY6" dev "$PRI"
	# Requests for the VIPs arrive on eth1, but the route back to the client
	# is the default one via eth0: strict reverse-path filtering (1) would
	# drop them before tcsteer's egress program could ever see a reply.
	# Loose mode (2) only wants the source reachable by some interface. The
	# kernel uses max(all, dev), so "all" must not be 1 either.
	sysctl_ns "$ns" net.ipv4.conf.all.rp_filter=0
	sysctl_ns "$ns" "net.ipv4.conf.$SEC.rp_filter=2"
}

setup_router() {
	local ns=$NS_ROUTER

	addr "$ns" "$ROUTER_SERVER_IF" "$ROUTER_SECONDARY4" "$ROUTER_SECONDARY6" \
		"$(plen "$SECONDARY_NET4")" "$(plen "$SECONDARY_NET6")"
	addr "$ns" "$ROUTER_CLIENT_IF" "$ROUTER_CLIENT4" "$ROUTER_CLIENT6" \
		"$(plen "$CLIENT_NET4")" "$(plen "$CLIENT_NET6")"
	sysctl_ns "$ns" net.ipv4.ip_forward=1
	sysctl_ns "$ns" net.ipv6.conf.all.forwarding=1
	ip -n "$ns" route add "$VIP4/32" via "$SERVER_SECONDARY4"
	ip -n "$ns" -6 route add "$VIP6/128" via "$SERVER_SECONDARY6"
}

# The primary gateway forwards, but knows only its own subnet: replies to
# the client die here (with an ICMP "unreachable" to the server).
setup_gateway() {
	local ns=$NS_GW

	addr "$ns" "$GW_IF" "$GATEWAY4" "$GATEWAY6" \
		"$(plen "$PRIMARY_NET4")" "$(plen "$PRIMARY_NET6")"
	sysctl_ns "$ns" net.ipv4.ip_forward=1
	sysctl_ns "$ns" net.ipv6.conf.all.forwarding=1
}

setup_client() {
	local ns=$NS_CLIENT

	addr "$ns" "$CLIENT_IF" "$CLIENT4" "$CLIENT6" \
		"$(plen "$CLIENT_NET4")" "$(plen "$CLIENT_NET6")"
	ip -n "$ns" route add "$VIP4/32" via "$ROUTER_CLIENT4"
	ip -n "$ns" -6 route add "$VIP6/128" via "$ROUTER_CLIENT6"
}

# One socat per VIP, bound to it, answering every connection with LISTEN_BANNER.
start_listener() {
	local bind n

	for bind in "TCP4-LISTEN:$LISTEN_PORT,bind=$VIP4" \
		    "TCP6-LISTEN:$LISTEN_PORT,bind=[$VIP6],ipv6only=1"; do
		nsenter --net="/run/netns/$NS_SERVER" setsid socat "$bind,reuseaddr,fork" \
			SYSTEM:"echo $LISTEN_BANNER" </dev/null >/dev/null 2>&1 &
	done
	for _ in $(seq 50); do
		n=$(in_ns "$NS_SERVER" ss -Hltn "sport = :$LISTEN_PORT" | wc -l)
		[ "$n" -ge 2 ] && return 0
		sleep 0.05
	done
	die "the listener on port $LISTEN_PORT did not start"
}

cmd_up() {
	local ns

	for ns in "${ALL_NS[@]}"; do
		ns_exists "$ns" && die "namespace $ns exists: run '$0 down --prefix $PREFIX' first"
	done
	# Half a lab is worse than none.
	trap 'cmd_down >/dev/null 2>&1' EXIT
	for ns in "${ALL_NS[@]}"; do
		new_ns "$ns"
	done
	link "$NS_SERVER" "$PRI" "$NS_GW" "$GW_IF"
	link "$NS_SERVER" "$SEC" "$NS_ROUTER" "$ROUTER_SERVER_IF"
	link "$NS_ROUTER" "$ROUTER_CLIENT_IF" "$NS_CLIENT" "$CLIENT_IF"
	setup_server
	setup_router
	setup_gateway
	setup_client
	start_listener
	trap - EXIT
	echo "lab '$PREFIX' up: client $CLIENT4 -> VIPs $VIP4 $VIP6 (server $NS_SERVER)"
}

need_lab() {
	local ns

	for ns in "${ALL_NS[@]}"; do
		ns_exists "$ns" || die "lab '$PREFIX' is not up (no namespace $ns)"
	done
}

cmd_check() {
	need_lab
	in_ns "$NS_CLIENT" "$HERE/probes.sh"
}

need_tcsteer() {
	[ -x "$TCSTEER" ] || die "no tcsteer binary at $TCSTEER (set TCSTEER)"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# steer fix|unfix: steer_run in the server's namespace.
steer() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	in_ns "$NS_SERVER" bash -c '. "$1/topology.env"; . "$1/steer-commands.sh"
		steer_run "$2" "$3" "$4" "$5"' _ "$HERE" "$TCSTEER" "$1" "$PRI" "$SEC"
}

cmd_fix() {
	need_lab
	need_tcsteer
	steer fix
}

cmd_unfix() {
	need_lab
	need_tcsteer
	steer unfix
}

cmd_commands() {
	steer_commands fix "$PRI" "$SEC"
}

mac_of() { ip -n "$1" -br link show dev "$2" | awk '{ print $3 }'; }

# capture_start DEV FILE: in the background, tcpdump -e of the packets from
# the VIPs on the server's DEV, as text into FILE; returns once it listens.
capture_start() {
	local dev=$1 out=$2

	# nsenter, not in_ns: a shell function would run in a subshell and $!
	# would not be tcpdump's pid.
	nsenter --net="/run/netns/$NS_SERVER" tcpdump -i "$dev" -l -nn -e -p \
		"(ip src $VIP4) or (ip6 src $VIP6)" >"$out" 2>"$out.err" &
	CAPTURE_PIDS+=($!)
	for _ in $(seq 40); do
		grep -q 'listening on' "$out.err" 2>/dev/null && return 0
		sleep 0.05
	done
	die "tcpdump on $dev did not start: $(head -n1 "$out.err")"
}

capture_stop() {
	local pid

	sleep 0.2 # the last replies are still on their way
	for pid in "${CAPTURE_PIDS[@]}"; do
		# TERM: a non-interactive shell starts background jobs with
		# SIGINT ignored.
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	CAPTURE_PIDS=()
}

# summarize FILE: "TOTAL V4 V6 MACPAIRS" where MACPAIRS lists the distinct
# "src>dst" pairs seen, comma-separated (or "-").
summarize() {
	awk '
	/ethertype IPv4/ { v4++ }
	/ethertype IPv6/ { v6++ }
	/ethertype IPv[46]/ { dst = $4; sub(/,$/, "", dst); pair[$2 ">" dst] = 1 }
	END {
		s = ""
		for (p in pair) s = s (s == "" ? "" : ",") p
		printf "%d %d %d %s\n", v4 + v6, v4, v6, s == "" ? "-" : s
	}' "$1"
}

# name_macs TEXT: replaces the lab's MACs by readable names.
name_macs() {
	local text=$1 mac name
	for name in "${!MAC_NAMES[@]}"; do
		mac=${MAC_NAMES[$name]}
		text=${text//$mac/$name}
	done
	echo "$text"
}

# Runs the probes under capture. Sets PROBES_OK and SUM_<dev> summaries.
run_capture() {
	local dir rc=0
	dir=$(mktemp -d)
	CAPTURE_PIDS=()
	trap 'capture_stop; rm -rf "$dir"' EXIT
	capture_start "$PRI" "$dir/pri"
	capture_start "$SEC" "$dir/sec"
	in_ns "$NS_CLIENT" "$HERE/probes.sh" || rc=$?
	capture_stop
	PROBES_OK=$((rc == 0))
	SUM_PRI=$(summarize "$dir/pri")
	SUM_SEC=$(summarize "$dir/sec")
	rm -rf "$dir"
	trap - EXIT

	MAC_SERVER_PRI=$(mac_of "$NS_SERVER" "$PRI")
	MAC_SERVER_SEC=$(mac_of "$NS_SERVER" "$SEC")
	MAC_ROUTER=$(mac_of "$NS_ROUTER" "$ROUTER_SERVER_IF")
	MAC_GW=$(mac_of "$NS_GW" "$GW_IF")
	declare -gA MAC_NAMES=(
		["server-$PRI"]=$MAC_SERVER_PRI ["server-$SEC"]=$MAC_SERVER_SEC
		[router]=$MAC_ROUTER [gateway]=$MAC_GW
	)
	report "$PRI" "$SUM_PRI"
	report "$SEC" "$SUM_SEC"
}

# report DEV SUMMARY: one line per captured interface.
report() {
	local total v4 v6 pairs
	read -r total v4 v6 pairs <<<"$2"
	if [ "$total" = 0 ]; then
		echo "capture $1: no packets from the VIPs"
	else
		echo "capture $1: $total packets from the VIPs ($v4 IPv4, $v6 IPv6)," \
			"MACs $(name_macs "$pairs") [$pairs]"
	fi
}

cmd_capture() {
	need_lab
	run_capture
	[ "$PROBES_OK" = 1 ]
}

# Steered means: every probe answered, replies on eth1 of both families and
# only from eth1's MAC to the router's, nothing from the VIPs on eth0.
cmd_proof() {
	local total v4 v6 pairs ok=1
	need_lab
	run_capture
	[ "$PROBES_OK" = 1 ] || { echo "proof: some probes failed"; ok=0; }
	read -r total v4 v6 pairs <<<"$SUM_SEC"
	if [ "$v4" -eq 0 ] || [ "$v6" -eq 0 ]; then
		echo "proof: expected IPv4 and IPv6 replies on $SEC"; ok=0
	fi
	if [ "$pairs" != "$MAC_SERVER_SEC>$MAC_ROUTER" ]; then
		echo "proof: $SEC replies not all server-$SEC > router: $pairs"; ok=0
	fi
	read -r total v4 v6 pairs <<<"$SUM_PRI"
	if [ "$total" -ne 0 ]; then
		echo "proof: $total VIP packets still leave by $PRI"; ok=0
	fi
	if [ "$ok" = 1 ]; then
		echo "proof: replies leave by $SEC ($MAC_SERVER_SEC > $MAC_ROUTER), none by $PRI"
		return 0
	fi
	return 1
}

cmd_status() {
	local ns
	for ns in "${ALL_NS[@]}"; do
		if ! ns_exists "$ns"; then
			echo "== $ns: absent"
			continue
		fi
		echo "== $ns"
		ip -n "$ns" -br addr show
		ip -n "$ns" route show | sed 's/^/  v4 /'
		ip -n "$ns" -6 route show | grep -v '^fe80' | sed 's/^/  v6 /'
	done
	if ns_exists "$NS_SERVER"; then
		echo "== tc egress filters on $NS_SERVER $PRI"
		in_ns "$NS_SERVER" tc filter show dev "$PRI" egress
		if [ -x "$TCSTEER" ]; then
			echo "== tcsteer route show (table $PRI)"
			in_ns "$NS_SERVER" "$TCSTEER" route show table "$PRI" || true
		fi
	fi
}

# Every unfix command, whatever the state (a half-done fix, a route deleted
# by hand): down must not stop at the first one that finds nothing to do.
unsteer_quietly() {
	local line
	local -a argv
	while IFS= read -r line; do
		read -r -a argv <<<"$line"
		in_ns "$NS_SERVER" "$TCSTEER" "${argv[@]}" >/dev/null 2>&1 || true
	done < <(steer_commands unfix "$PRI" "$SEC")
}

# Kills what runs in our namespaces (listeners, a stray tcpdump): all were
# started by this script. The server's tcsteer state is its namespace's
# own: gc removes it once the namespace is gone.
cmd_down() {
	local ns pid
	if ns_exists "$NS_SERVER" && [ -x "$TCSTEER" ] &&
		[ -n "$(in_ns "$NS_SERVER" tc filter show dev "$PRI" egress 2>/dev/null)" ]; then
		unsteer_quietly
	fi
	for ns in "${ALL_NS[@]}"; do
		ns_exists "$ns" || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null || true
		done
		ip netns del "$ns"
	done
	if [ -x "$TCSTEER" ]; then
		"$TCSTEER" gc >/dev/null 2>&1 || true
	fi
	echo "lab '$PREFIX' down"
}

main() {
	local cmd=""

	while [ $# -gt 0 ]; do
		case $1 in
		--prefix) [ $# -ge 2 ] || usage; PREFIX=$2; shift 2 ;;
		--prefix=*) PREFIX=${1#--prefix=}; shift ;;
		-h|--help) usage ;;
		-*) usage ;;
		*) [ -z "$cmd" ] || usage; cmd=$1; shift ;;
		esac
	done
	set_names
	case $cmd in
	up|check|fix|unfix|capture|proof|status|down|commands) ;;
	*) usage ;;
	esac
	if [ "$cmd" != commands ] && [ "$(id -u)" != 0 ]; then
		die "needs root"
	fi
	"cmd_$cmd"
}

main "$@"
