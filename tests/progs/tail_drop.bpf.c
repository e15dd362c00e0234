/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* tail_drop: a tail call whose effect real packets show.
 *
 *   jmp_drop   PROG_ARRAY, 1 slot, slot 0 = drop_icmp
 *   tail_drop  (SEC "tc") tail-calls slot 0; if the slot is empty (the
 *              kernel emptied the table), gives no verdict: packets pass
 *   drop_icmp  (SEC "tc/drop") drops IPv4 ICMP, gives no verdict for the rest
 * So pings through the filter fail exactly while the tail call works: the
 * integration tests prove a tail-call table still filled after tcsteer
 * exited (state/record.h: record_keep_maps). */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>

#include "tcsteer_bpf.h"

SEC("tc/drop")
int drop_icmp(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__array(values, int (struct __sk_buff *));
} jmp_drop SEC(".maps") = {
	.values = {
		[0] = (void *)&drop_icmp,
	},
};

SEC("tc")
int tail_drop(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jmp_drop, 0);
	return TC_ACT_UNSPEC;
}

SEC("tc/drop")
int drop_icmp(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != __builtin_bswap16(ETH_P_IP))
		return TC_ACT_UNSPEC;
	return ip->protocol == IPPROTO_ICMP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "Dual MIT/GPL";
