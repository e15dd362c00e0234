#!/usr/bin/env bash
# tcx_foreign, the foreign TCX program other tests shadow tcsteer with,
# checked with real packets (ping over a veth pair) and bpftool as the
# independent witness:
# - a pinned link outlives the tool: after it exits the program still runs
#   (drop: pings fail) and `bpftool link show pinned` sees the link;
# - detach removes it (pings work again, the pin is gone);
# - order and verdicts: pass first ends the hook, so a drop behind it never
#   runs; next first goes on to the drop; ingress works too;
# - a link whose device is deleted stays, defunct: info shows ifindex 0,
#   and detach still succeeds.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs
: "${TCSTEER_TCX_FOREIGN:?TCSTEER_TCX_FOREIGN must point at tcx_foreign (ctest sets it)}"

PINS="/sys/fs/bpf/${T_ID}_tcx"
trap 'rm -f "$PINS"_*; cleanup_netns' EXIT

two_hosts 10.78.0
foreign() { in_ns "$H" "$TCSTEER_TCX_FOREIGN" "$@"; }
pings() { in_ns "$H" ping -c 2 -i 0.2 -W 1 10.78.0.2 >/dev/null 2>&1; }

check "ping works before any tcx program" pings

out=$(foreign attach "$DEV" egress drop "${PINS}_drop" name tf_drop) || {
	rc=$?
	[ "$rc" = 77 ] && { echo "SKIP $T_NAME: no tcx on this kernel"; exit 77; }
	fail "attach drop (exit $rc)"
}
check "attach prints the program and link ids ($out)" \
	grep -Eq '^prog_id [0-9]+ link_id [0-9]+$' <<<"$out"
link_id=${out##* }
check_fails "the pinned drop program outlives the tool: pings fail" pings
check "bpftool sees the pinned link $link_id" \
	bash -c "bpftool -j link show pinned ${PINS}_drop | grep -q '\"id\":$link_id,'"
ifindex=$(ip -n "$H" -o link show "$DEV" | cut -d: -f1)
check "info names the device and egress (47)" \
	bash -c "nsenter --net=/run/netns/$H $TCSTEER_TCX_FOREIGN info ${PINS}_drop | grep -q 'ifindex $ifindex attach_type 47\$'"
check "detach exits 0" foreign detach "${PINS}_drop"
check "detach removed the pin" test ! -e "${PINS}_drop"
check "pings work again after detach" pings

# Order and verdicts: the first program that does not say NEXT ends the hook.
foreign attach "$DEV" egress drop "${PINS}_drop" >/dev/null
foreign attach "$DEV" egress pass "${PINS}_pass" first >/dev/null
check "pass placed first ends the hook: the drop behind it never runs" pings
foreign detach "${PINS}_pass"
check_fails "without the pass, the drop runs" pings
foreign attach "$DEV" egress next "${PINS}_next" first >/dev/null
check_fails "next placed first goes on to the drop" pings
foreign detach "${PINS}_next"
foreign detach "${PINS}_drop"
check "pings work with the hook empty again" pings

foreign attach "$DEV" ingress drop "${PINS}_in" >/dev/null
check_fails "drop on ingress: the replies are lost" pings
foreign detach "${PINS}_in"
check "pings work after the ingress detach" pings

# A link outlives its device: defunct, ifindex 0, still detachable.
ip -n "$H" link add "${T_ID}x" type veth peer name "${T_ID}y"
foreign attach "${T_ID}x" egress pass "${PINS}_gone" >/dev/null
ip -n "$H" link del "${T_ID}x"
check "a link of a deleted device stays, with ifindex 0" \
	bash -c "nsenter --net=/run/netns/$H $TCSTEER_TCX_FOREIGN info ${PINS}_gone | grep -q 'ifindex 0 attach_type 47\$'"
check "detach of a defunct link succeeds" foreign detach "${PINS}_gone"

done_testing
