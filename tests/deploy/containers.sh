#!/usr/bin/env bash
# tcsteer in one-shot containers: the FROM scratch image of
# deploy/docker/Dockerfile (tcsteer and its libraries only), run
#
#   host   with --network host against devices of the host's namespace
#          whose far ends are test namespaces (a node's own network, as a
#          DaemonSet with hostNetwork would)
#   pod    in the network namespace of a long-running holder container
#          (`sleep infinity`, as a pod's pause container), each command a
#          one-shot container of its own with --network container:HOLDER:
#          attach, then each route add in a later run, then detach
#
# each with and without the host's /sys/fs/bpf bind-mounted, and always
# with --cap-add NET_ADMIN --cap-add SYS_ADMIN (privileged fails on this
# VM: its bounding set lacks CAP_SYS_RESOURCE; Docker 20.10 does not know
# CAP_BPF). After the one-shot containers are gone, the routes must be in
# effect: proven with ping and TCP, IPv4 and IPv6, broken before, steered,
# broken after detach. Also: what tcsteer says when Docker's read-only /sys
# leaves it no bpffs (no bind mount and no CAP_SYS_ADMIN).
#
# The topology (the same for both forms; S is the host or the holder):
#
#   S: eth A (10.254.91.1) ---- P (10.254.91.2: the destination; no route
#      |                            back to the sources: replies die there)
#      eth B (10.254.92.1) ---- Q (10.254.92.2, and 10.254.91.2 on lo,
#      sources 10.254.99.5,         with a route back, and a TCP listener)
#      fd00:fe99::5 on A (host) or lo (holder)
#
# S sends from its source to 10.254.91.2: without steering the request goes
# to P, which cannot answer; steered by tcsteer, it goes to Q, which does.
#
# The cases "without /sys/fs/bpf" need tcsteer to find the table of a later
# command from the attached program in the kernel, whatever the mount
# namespace: each container's bpffs, and its pins, die with it.
. "$(dirname "$0")/lib.sh"
need_root
need_tcsteer
need_packages docker.io debootstrap socat
docker_up
base_image

IMAGE="tsdep-tcsteer:$DEP_ID"
HOLDER="$DEP_ID-pod"
BASE=tcsteer-lab-base:bookworm
SRC4=10.254.99.5 SRC6=fd00:fe99::5
DST4=10.254.91.2 DST6=fd00:fe91::2
NH4=10.254.92.2 NH6=fd00:fe92::2
PORT=8080 BANNER=tsdep-banner
P="$DEP_ID-p" Q="$DEP_ID-q"
WORK=$(mktemp -d "/tmp/$DEP_ID.XXXXXX")
at_exit rm -rf "$WORK"

# --- the image -------------------------------------------------------------
"$DEP_SRC/deploy/docker/rootfs.sh" "$TCSTEER" "$WORK/rootfs"
build_image() {
	docker build -q -f "$DEP_SRC/deploy/docker/Dockerfile" -t "$IMAGE" "$WORK/rootfs" >/dev/null
}
check "docker build FROM scratch (deploy/docker/Dockerfile)" build_image
at_exit docker rmi -f "$IMAGE" '>/dev/null 2>&1'
cid=$(docker create "$IMAGE")
files=$(docker export "$cid" | tar -t | grep -v '/$' |
	grep -Ev '^(\.dockerenv|etc/(hostname|hosts|resolv\.conf|mtab)|dev/.*|proc/.*|sys/.*)$' | sort | tr '\n' ' ')
docker rm "$cid" >/dev/null
want=$(cd "$WORK/rootfs" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
check "the image holds tcsteer and its libraries only ($files)" test "$files" = "$want"
ver=$(docker run --rm "$IMAGE" --version 2>&1) && ok "docker run IMAGE --version: $ver" ||
	fail "docker run IMAGE --version: $ver"

# --- the topology ---------------------------------------------------------
# far_ends S_NETNS_ARG: P and Q, veths A and B into S (ip link's "netns"
# argument: a pid, or "" for this namespace), names $DEP_ID-a / -b in S
# unless renamed by the caller.
far_ends() {
	local s=$1 a=$2 b=$3
	ip netns add "$P"
	ip netns add "$Q"
	for ns in "$P" "$Q"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	ip link add "$DEP_ID-pa" netns "$P" type veth peer name "$a" ${s:+netns "$s"}
	ip link add "$DEP_ID-qb" netns "$Q" type veth peer name "$b" ${s:+netns "$s"}
	ip -n "$P" addr add "$DST4/24" dev "$DEP_ID-pa"
	ip -n "$P" addr add "$DST6/64" dev "$DEP_ID-pa" nodad
	ip -n "$Q" addr add "$NH4/24" dev "$DEP_ID-qb"
	ip -n "$Q" addr add "$NH6/64" dev "$DEP_ID-qb" nodad
	ip -n "$Q" addr add "$DST4/32" dev lo
	ip -n "$Q" addr add "$DST6/128" dev lo
	ip -n "$P" link set "$DEP_ID-pa" up
	ip -n "$Q" link set "$DEP_ID-qb" up
	# Q answers the sources; P has no route back to them.
	ip -n "$Q" route add "$SRC4/32" via 10.254.92.1
	ip -n "$Q" route add "$SRC6/128" via fd00:fe92::1
	ip netns exec "$Q" socat "TCP-LISTEN:$PORT,reuseaddr,fork,pf=ip4" SYSTEM:"echo $BANNER" \
		</dev/null >/dev/null 2>&1 &
	LISTENERS+=($!)
	ip netns exec "$Q" socat "TCP6-LISTEN:$PORT,reuseaddr,fork,ipv6only=1" SYSTEM:"echo $BANNER" \
		</dev/null >/dev/null 2>&1 &
	LISTENERS+=($!)
}

# drop_far_ends: P and Q, their listeners and (with them) the veth pairs.
LISTENERS=()
drop_far_ends() {
	local pid
	for pid in "${LISTENERS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	LISTENERS=()
	ip netns del "$P" 2>/dev/null || true
	ip netns del "$Q" 2>/dev/null || true
}

# near_end NSENTER_PREFIX A B SRCDEV: S's side configured (in S, through the
# given command prefix).
near_end() {
	local -a in
	read -r -a in <<<"$1"
	local a=$2 b=$3 src=$4
	"${in[@]}" sysctl -qw "net.ipv6.conf.$a.accept_dad=0" "net.ipv6.conf.$b.accept_dad=0" \
		"net.ipv4.conf.$a.rp_filter=0" "net.ipv4.conf.$b.rp_filter=0"
	"${in[@]}" ip addr add "$SRC4/32" dev "$src"
	"${in[@]}" ip addr add "$SRC6/128" dev "$src" nodad
	"${in[@]}" ip addr add 10.254.91.1/24 dev "$a"
	"${in[@]}" ip addr add fd00:fe91::1/64 dev "$a" nodad
	"${in[@]}" ip addr add 10.254.92.1/24 dev "$b"
	"${in[@]}" ip addr add fd00:fe92::1/64 dev "$b" nodad
	"${in[@]}" ip link set "$a" up
	"${in[@]}" ip link set "$b" up
	# the steered next hops are known (the pings below are not about ARP)
	"${in[@]}" ping -q -c1 -W2 "$NH4" >/dev/null 2>&1 || true
	"${in[@]}" ping -q -c1 -W2 "$NH6" >/dev/null 2>&1 || true
}

# probes NSENTER_PREFIX: "ping4=OK ping6=FAIL tcp4=..." from S's sources,
# the four at once (a broken one costs its 2 s timeout).
probe_ping() {
	"${in[@]}" ping "-$1" -q -n -c 2 -i 0.2 -W 2 -I "$2" "$3" >/dev/null 2>&1 && echo OK || echo FAIL
}
probe_tcp() {
	local r
	r=$(timeout 5 "${in[@]}" socat -T2 -u "$1,connect-timeout=2" STDOUT 2>/dev/null) || true
	[ "$r" = "$BANNER" ] && echo OK || echo FAIL
}
probes() {
	local -a in
	read -r -a in <<<"$1"
	probe_ping 4 "$SRC4" "$DST4" >"$WORK/ping4" &
	probe_ping 6 "$SRC6" "$DST6" >"$WORK/ping6" &
	probe_tcp "TCP4:$DST4:$PORT,bind=$SRC4" >"$WORK/tcp4" &
	probe_tcp "TCP6:[$DST6]:$PORT,bind=[$SRC6]" >"$WORK/tcp6" &
	wait
	echo "ping4=$(cat "$WORK/ping4") ping6=$(cat "$WORK/ping6") tcp4=$(cat "$WORK/tcp4") tcp6=$(cat "$WORK/tcp6")"
}

# expect WHAT OK|FAIL NSENTER_PREFIX: one line per probe.
expect() {
	local what=$1 want=$2 kv
	for kv in $(probes "$3"); do
		if [ "${kv#*=}" = "$want" ]; then
			ok "$what: ${kv%%=*} $want"
		else
			fail "$what: ${kv%%=*} ${kv#*=}, expected $want"
		fi
	done
}

# oneshot CASE NETWORK BPFFS ARGS...: tcsteer ARGS in a one-shot container
# (BPFFS "host" bind-mounts the host's /sys/fs/bpf); one step line.
oneshot() {
	local what=$1 net=$2 bpffs=$3 out rc=0
	shift 3
	local -a mnt=()
	[ "$bpffs" = host ] && mnt=(-v /sys/fs/bpf:/sys/fs/bpf)
	out=$(docker run --rm --network "$net" --cap-add NET_ADMIN --cap-add SYS_ADMIN \
		"${mnt[@]}" -v "$WORK:/etc/tcsteer:ro" "$IMAGE" "$@" 2>&1) || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$what: docker run ... tcsteer $*${out:+ ($out)}"
	else
		fail "$what: docker run ... tcsteer $* exited $rc: $out"
	fi
	return 0
}

# The tables detach keeps (their routes outlive it, by design), in the
# host namespace's state directory, and any of the 0.1 layout.
cleanup_pins() {
	rm -rf /sys/fs/bpf/tcsteer/netns/*/table-"$DEP_ID"* \
		/sys/fs/bpf/tcsteer/"$DEP_ID"* 2>/dev/null || true
}
at_exit cleanup_pins

at_exit drop_far_ends

# --- host network -----------------------------------------------------------
# The sources sit on A itself: no address of the host's lo is touched.
A="$DEP_ID-a" B="$DEP_ID-b"
far_ends "" "$A" "$B"
near_end "" "$A" "$B" "$A"
cat >"$WORK/host.conf" <<EOF
attach dev $A egress
route add $SRC4/32 via $NH4 dev $B table $A
route add $SRC6/128 via $NH6 dev $B table $A
EOF

for bpffs in host none; do
	c="host network, /sys/fs/bpf not mounted"
	[ "$bpffs" = host ] && c="host network, host's /sys/fs/bpf"
	expect "$c: before" FAIL ""
	oneshot "$c" host "$bpffs" apply /etc/tcsteer/host.conf
	expect "$c: steered after the container is gone" OK ""
	oneshot "$c" host "$bpffs" detach dev "$A"
	expect "$c: after detach" FAIL ""
	# whatever a failed case left behind
	tc filter del dev "$A" egress 2>/dev/null || true
	cleanup_pins
done
drop_far_ends

# --- pod style --------------------------------------------------------------
docker run -d --name "$HOLDER" --network none "$BASE" sleep infinity >/dev/null
at_exit docker rm -f "$HOLDER" '>/dev/null 2>&1'
pid=$(docker inspect -f '{{.State.Pid}}' "$HOLDER")
IN="nsenter --net=/proc/$pid/ns/net"
# The devices carry this run's names rather than a pod's eth0/eth1, as
# everything this test makes does.
far_ends "$pid" "$A" "$B"
# Docker disables IPv6 in a container whose networks have none.
$IN sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
	net.ipv6.conf.lo.disable_ipv6=0 "net.ipv6.conf.$A.disable_ipv6=0" "net.ipv6.conf.$B.disable_ipv6=0"
$IN ip link set lo up
near_end "$IN" "$A" "$B" lo
net="container:$HOLDER"

for bpffs in host none; do
	c="pod, /sys/fs/bpf not mounted"
	[ "$bpffs" = host ] && c="pod, host's /sys/fs/bpf"
	expect "$c: before" FAIL "$IN"
	oneshot "$c" "$net" "$bpffs" attach dev "$A"
	oneshot "$c" "$net" "$bpffs" route add "$SRC4/32" via "$NH4" dev "$B" table "$A"
	oneshot "$c" "$net" "$bpffs" route add "$SRC6/128" via "$NH6" dev "$B" table "$A"
	expect "$c: steered after the containers are gone" OK "$IN"
	oneshot "$c" "$net" "$bpffs" detach dev "$A"
	expect "$c: after detach" FAIL "$IN"
	$IN tc filter del dev "$A" egress 2>/dev/null || true
	cleanup_pins
done

# --- no privilege for bpf() --------------------------------------------------
# Without CAP_SYS_ADMIN (Docker 20.10 has no CAP_BPF to give), tcsteer may
# neither create maps nor mount a bpffs over Docker's read-only /sys: one
# clear line naming what is missing, and nothing attached.
out=$(docker run --rm --network "$net" --cap-add NET_ADMIN "$IMAGE" attach dev "$A" 2>&1) && rc=0 || rc=$?
if [ "$rc" != 0 ] && [ "$(grep -c . <<<"$out")" = 1 ] &&
	grep -Eq '^tcsteer: .*(CAP_SYS_ADMIN|CAP_BPF|/sys/fs/bpf)' <<<"$out"; then
	ok "NET_ADMIN only: exit $rc, one line: $out"
else
	fail "NET_ADMIN only: exit $rc, expected one tcsteer: line naming the missing privilege: $out"
fi
check "and nothing is attached" test -z "$($IN tc filter show dev "$A" egress)"

done_testing
