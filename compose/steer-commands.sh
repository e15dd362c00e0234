# shellcheck shell=bash
# The tcsteer commands that fix (and unfix) the lab's return path, shared by
# compose/netns-lab.sh and compose/server-init.sh so that the netns lab and
# the Docker lab run exactly the same ones. Source after topology.env.

# steer_commands fix|unfix PRIMARY_IF SECONDARY_IF: prints one tcsteer
# command line per line. PRIMARY_IF carries the default route (the program
# sits on its egress and its pins are named after it); SECONDARY_IF faces
# the router. unfix removes the routes as well as the filter: detach keeps
# the table (a later attach would resume it), and the lab starts clean.
steer_commands() {
	local action=$1 primary=$2 secondary=$3

	case $action in
	fix)
		echo "attach dev $primary egress"
		echo "route add $VIP4/32 via $ROUTER_SECONDARY4 dev $secondary table $primary"
		echo "route add $VIP6/128 via $ROUTER_SECONDARY6 dev $secondary table $primary"
		;;
	unfix)
		echo "route del $VIP4/32 table $primary"
		echo "route del $VIP6/128 table $primary"
		echo "detach dev $primary egress"
		;;
	*)
		echo "steer_commands: unknown action '$action'" >&2
		return 2
		;;
	esac
}

# steer_run TCSTEER fix|unfix PRIMARY_IF SECONDARY_IF: runs those commands in
# the current network namespace, echoing each; stops at the first failure
# (tcsteer has already printed its one-line reason).
steer_run() {
	local tcsteer=$1 line
	local -a argv
	shift

	steer_commands "$@" >/dev/null || return 2
	while IFS= read -r line; do
		echo "+ tcsteer $line"
		read -r -a argv <<<"$line"
		"$tcsteer" "${argv[@]}" || return 1
	done < <(steer_commands "$@")
}
