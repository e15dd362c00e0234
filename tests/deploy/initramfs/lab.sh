# shellcheck shell=sh
# The lab inside the test VM (busybox sh), sourced by /init: the topology of
# compose/topology.env (copied to /etc/topology.env), built with network
# namespaces and veth pairs, and the two orders of a one-shot
# `tcsteer apply /etc/tcsteer.conf`:
#
#   early  in the VM's own network namespace, as the first thing /init does:
#          lo down, no address, no carrier, no bpffs; then the network comes
#          up (far ends first, as a real NIC's link would)
#   late   in a fresh namespace whose network is configured before apply,
#          from a mount namespace without bpffs; then attach mode tcx (a
#          TCX link where the kernel has TCX, one clear line where not)
#
# Each step prints one marker line on the console, "TSDEP ok - ..." or
# "TSDEP not ok - ...", which the host reads (tests/deploy/initramfs.sh).
# iproute2's ip is called by its full path: busybox's applet shadows it.

IP=/usr/bin/ip.iproute2
TCSTEER=/usr/sbin/tcsteer
. /etc/topology.env

mark() { echo "TSDEP $*"; }
step() {
	_desc=$1
	shift
	if "$@"; then mark "ok - $_desc"; else mark "not ok - $_desc"; fi
}
comment() { sed 's/^/TSDEP # /'; }

in_ns() { _ns=$1; shift; nsenter --net="/run/netns/$_ns" "$@"; }
sysctl_ns() { in_ns "$1" sysctl -qw "$2" >/dev/null; }

# ns_prep NS: no DAD (addresses usable at once), forwarding as asked.
ns_prep() {
	sysctl_ns "$1" net.ipv6.conf.all.accept_dad=0
	sysctl_ns "$1" net.ipv6.conf.default.accept_dad=0
}

# make_pairs SUFFIX [SERVER_NS]: the namespaces gwSUFFIX, routerSUFFIX and
# clientSUFFIX and the veth pairs of the topology: the server's eth0 to the
# gateway, eth1 to the router, the router's eth1 to the client. The
# server's side is SERVER_NS, or the VM's own namespace. Nothing is up and
# nothing has an address: what a machine has once its NICs' drivers are in.
make_pairs() {
	_s=$1
	_on=${2:+-n $2}
	for _n in gw router client; do
		$IP netns add "$_n$_s"
		ns_prep "$_n$_s"
	done
	# shellcheck disable=SC2086 # $_on is empty or two words
	$IP $_on link add eth0 type veth peer name eth0 netns "gw$_s"
	# shellcheck disable=SC2086
	$IP $_on link add eth1 type veth peer name eth0 netns "router$_s"
	$IP -n "router$_s" link add eth1 type veth peer name eth0 netns "client$_s"
}

# far_ends SUFFIX: the gateway (no route to the client net), the router and
# the client configured and up.
far_ends() {
	_s=$1
	for _n in gw router client; do
		$IP -n "$_n$_s" link set lo up
	done
	$IP -n "gw$_s" addr add "$GATEWAY4/24" dev eth0
	$IP -n "gw$_s" addr add "$GATEWAY6/64" dev eth0 nodad
	sysctl_ns "gw$_s" net.ipv4.ip_forward=1
	sysctl_ns "gw$_s" net.ipv6.conf.all.forwarding=1

	$IP -n "router$_s" addr add "$ROUTER_SECONDARY4/24" dev eth0
	$IP -n "router$_s" addr add "$ROUTER_SECONDARY6/64" dev eth0 nodad
	$IP -n "router$_s" addr add "$ROUTER_CLIENT4/24" dev eth1
	$IP -n "router$_s" addr add "$ROUTER_CLIENT6/64" dev eth1 nodad
	sysctl_ns "router$_s" net.ipv4.ip_forward=1
	sysctl_ns "router$_s" net.ipv6.conf.all.forwarding=1

	$IP -n "client$_s" addr add "$CLIENT4/24" dev eth0
	$IP -n "client$_s" addr add "$CLIENT6/64" dev eth0 nodad

	$IP -n "gw$_s" link set eth0 up
	$IP -n "router$_s" link set eth0 up
	$IP -n "router$_s" link set eth1 up
	$IP -n "client$_s" link set eth0 up
	$IP -n "router$_s" route add "$VIP4/32" via "$SERVER_SECONDARY4"
	$IP -n "router$_s" -6 route add "$VIP6/128" via "$SERVER_SECONDARY6"
	$IP -n "client$_s" route add "$VIP4/32" via "$ROUTER_CLIENT4"
	$IP -n "client$_s" -6 route add "$VIP6/128" via "$ROUTER_CLIENT6"
}

# server_net: the server's side, in the current network namespace: VIPs on
# lo, addresses, links up, the default route to the gateway, rp_filter.
server_net() {
	sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.eth0.accept_dad=0 net.ipv6.conf.eth1.accept_dad=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth1.rp_filter=2 >/dev/null
	$IP link set lo up
	$IP addr add "$VIP4/32" dev lo
	$IP addr add "$VIP6/128" dev lo nodad
	$IP addr add "$SERVER_PRIMARY4/24" dev eth0
	$IP addr add "$SERVER_PRIMARY6/64" dev eth0 nodad
	$IP addr add "$SERVER_SECONDARY4/24" dev eth1
	$IP addr add "$SERVER_SECONDARY6/64" dev eth1 nodad
	$IP link set eth0 up
	$IP link set eth1 up
	$IP route add default via "$GATEWAY4" dev eth0
	$IP -6 route add default via "$GATEWAY6" dev eth0
}

# wait_no_tentative NS...: until no address is tentative (at most 10 s).
wait_no_tentative() {
	for _n in "$@"; do
		_i=0
		while in_ns "$_n" $IP -6 addr show | grep -q tentative; do
			_i=$((_i + 1))
			[ $_i -gt 100 ] && break
			sleep 0.1
		done
	done
}

# listener: the banner on port $LISTEN_PORT, IPv4 and IPv6, in the
# current namespace (busybox nc -ll: one child per connection).
listener() {
	nc -ll -p "$LISTEN_PORT" -e /lib/tsdep/banner </dev/null >/dev/null 2>&1 &
}

# probes CLIENT_NS: "ping4 ping6 tcp4 tcp6" results, each OK or FAIL, run
# at once. A ping probe passes when all 3 echo requests are answered after
# one warm-up request (an unresolved next hop loses the first packet),
# fails when none is; a TCP probe when the banner arrives, given time for
# two SYN retransmissions (1 s and 3 s after the first: under TCG a first
# SYN that meets an unresolved neighbour on the way is lost, and its
# retransmission may be too).
probe_ping() {
	in_ns "$1" ping "-$2" -c 1 -W 2 "$3" >/dev/null 2>&1
	_got=$(in_ns "$1" ping "-$2" -c 3 -i 0.3 -W 3 "$3" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	case ${_got:-0} in
	3) echo OK ;;
	0) echo FAIL ;;
	*) echo "PARTIAL($_got/3)" ;;
	esac
}
probe_tcp() {
	_r=$(in_ns "$1" timeout 10 nc -w 6 "$2" "$LISTEN_PORT" </dev/null 2>/dev/null)
	[ "$_r" = "$LISTEN_BANNER" ] && echo OK || echo FAIL
}
probes() {
	probe_ping "$1" 4 "$VIP4" >/tmp/p.ping4 &
	probe_ping "$1" 6 "$VIP6" >/tmp/p.ping6 &
	probe_tcp "$1" "$VIP4" >/tmp/p.tcp4 &
	probe_tcp "$1" "$VIP6" >/tmp/p.tcp6 &
	wait
	echo "ping4=$(cat /tmp/p.ping4) ping6=$(cat /tmp/p.ping6) tcp4=$(cat /tmp/p.tcp4) tcp6=$(cat /tmp/p.tcp6)"
}

# expect_probes WHAT OK|FAIL CLIENT_NS: one marker line per probe.
expect_probes() {
	_what=$1 _want=$2
	_res=$(probes "$3")
	for _kv in $_res; do
		_p=${_kv%%=*}
		_v=${_kv#*=}
		if [ "$_v" = "$_want" ]; then
			mark "ok - $ORDER: $_what: $_p $_v"
		else
			mark "not ok - $ORDER: $_what: $_p $_v, expected $_want"
		fi
	done
}

# no_trap: the next hop's IPv4 entry is not NOARP / broadcast.
no_trap() {
	! $IP neigh show nud all | grep -E "^$ROUTER_SECONDARY4 " |
		grep -Eq 'NOARP|ff:ff:ff:ff:ff:ff'
}

apply_conf() {
	_out=$($TCSTEER apply /etc/tcsteer.conf 2>&1)
	_rc=$?
	[ -z "$_out" ] || echo "$_out" | comment
	return $_rc
}

bpffs_mounted() { grep -q ' /sys/fs/bpf bpf ' /proc/mounts; }

# mode_tcx: `attach dev eth0 mode tcx` in srvB. From Linux 6.6 (6.12 here)
# tcsteer's program moves into a TCX link, first on the hook, its filter
# gone; before (5.10, 6.1) the kernel has no TCX: one line that says so,
# exit 1, and the filter stays.
mode_tcx() {
	_out=$(in_ns srvB $TCSTEER attach dev eth0 mode tcx 2>&1)
	_rc=$?
	[ -z "$_out" ] || echo "$_out" | comment
	_shown=$(in_ns srvB $TCSTEER show dev eth0 2>&1)
	echo "$_shown" | comment
	case $(uname -r) in
	[1-5].* | 6.[0-5].*)
		[ "$_rc" = 1 ] && [ "$(echo "$_out" | wc -l)" = 1 ] &&
			echo "$_out" | grep -q 'the running kernel has no tcx' &&
			echo "$_shown" | grep -q '^eth0 egress prio .*\[tcsteer\]$' ;;
	*)
		[ "$_rc" = 0 ] && [ -z "$_out" ] &&
			echo "$_shown" | grep -q '^eth0 egress tcx 1 .*\[tcsteer\]$' &&
			! echo "$_shown" | grep -q ' prio ' ;;
	esac
}

# The real early-boot order, in the VM's own network namespace: apply
# first, then the network.
order_early() {
	ORDER=early
	step "$ORDER: no IPv4 address, lo down" sh -c "[ -z \"\$($IP -4 addr show)\" ]"
	step "$ORDER: bpffs not mounted" sh -c '! grep -q " /sys/fs/bpf bpf " /proc/mounts'
	make_pairs A
	step "$ORDER: tcsteer apply /etc/tcsteer.conf before the network" apply_conf
	step "$ORDER: bpffs mounted by tcsteer" bpffs_mounted
	step "$ORDER: next hop not left NOARP/broadcast" no_trap
	far_ends A
	server_net
	wait_no_tentative gwA routerA clientA
	listener
	step "$ORDER: next hop still not NOARP/broadcast with the network up" no_trap
	expect_probes steered OK clientA
	$IP neigh show nud all | grep -v '^ff02' | comment
	$TCSTEER route show -s 2>&1 | comment
	step "$ORDER: tcsteer detach dev eth0" $TCSTEER detach dev eth0
	expect_probes "after detach" FAIL clientA
}

# The other order, in a fresh namespace srvB whose network is configured
# first; run in a mount namespace of its own without bpffs, as under
# `ip netns exec` (tcsteer keeps its state in a bpffs that outlives the
# command: the one the early order mounted in the VM's mount namespace).
order_late() {
	ORDER=late
	umount /sys/fs/bpf 2>/dev/null
	step "$ORDER: bpffs not mounted" sh -c '! grep -q " /sys/fs/bpf bpf " /proc/mounts'
	$IP netns add srvB
	make_pairs B srvB
	far_ends B
	in_ns srvB sh -c '. /lib/tsdep/lab.sh; server_net; listener'
	wait_no_tentative gwB routerB clientB srvB
	expect_probes "before apply" FAIL clientB
	step "$ORDER: tcsteer apply /etc/tcsteer.conf after the network" \
		in_ns srvB sh -c '. /lib/tsdep/lab.sh; apply_conf'
	step "$ORDER: next hop not NOARP/broadcast" in_ns srvB sh -c '. /lib/tsdep/lab.sh; no_trap'
	expect_probes steered OK clientB
	step "$ORDER: attach mode tcx (a TCX link from Linux 6.6, else one line)" mode_tcx
	expect_probes "steered after attach mode tcx" OK clientB
	in_ns srvB $TCSTEER route show -s 2>&1 | comment
	step "$ORDER: tcsteer detach dev eth0" in_ns srvB $TCSTEER detach dev eth0
	expect_probes "after detach" FAIL clientB
}
