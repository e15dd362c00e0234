/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* vlan_tag: VLAN tags in skb metadata, for a kernel without 8021q or
 * act_vlan (tests/integration/vlan.sh). Attached with tc in front of
 * tcsteer's filter on a device's egress, it makes the frames what a VLAN
 * device on top would send; on the peer's ingress it takes them off again.
 * Every program gives no verdict (TC_ACT_UNSPEC), so the filters behind it
 * run.
 *
 *   tc/dot1q  push 802.1Q 100
 *   tc/qinq   push 802.1Q 400, then 802.1ad 300 (the inner tag moves into
 *             the packet data: QinQ as the physical device sees it)
 *   tc/pop    pop every tag (two at most) */
#include "tcsteer_bpf.h"

#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8

SEC("tc/dot1q")
int vlan_dot1q(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100);
	return TC_ACT_UNSPEC;
}

SEC("tc/qinq")
int vlan_qinq(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 400);
	bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021AD), 300);
	return TC_ACT_UNSPEC;
}

SEC("tc/pop")
int vlan_pop(struct __sk_buff *skb)
{
	bpf_skb_vlan_pop(skb);
	bpf_skb_vlan_pop(skb);
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "Dual MIT/GPL";
