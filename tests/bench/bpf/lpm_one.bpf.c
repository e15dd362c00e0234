// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/* "The empty program plus one LPM lookup": the least a source-prefix
 * steering program can do. It finds the source address (Ethernet, IPv4 or
 * IPv6, no VLAN handling) and looks it up once in an LPM trie with the
 * steering tables' key layout, then passes the packet whatever the answer.
 * The steering program (prog/steer.bpf.c) is judged against it: what it
 * costs beyond this is its VLAN checks, its counter and the redirect.
 * Its tables have the steering program's names, definitions and pinning:
 * dp_bench loads both with one pin directory, so they share the tries. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "tcsteer_bpf.h"
#include "steer_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, struct steer_key4);
	__type(value, struct steer_route);
	__uint(pinning, PIN_BY_NAME);
} steer_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, struct steer_key6);
	__type(value, struct steer_route);
	__uint(pinning, PIN_BY_NAME);
} steer_v6 SEC(".maps");

/* Same layout as steer.bpf.c's: EtherType as one aligned 16-bit load. */
struct eth_hdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
};

SEC("tc")
int lpm_one(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct eth_hdr *eth = data;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		struct steer_key4 k = { .prefixlen = 32 };

		if ((void *)(iph + 1) > end)
			return TC_ACT_OK;
		__builtin_memcpy(k.addr, &iph->saddr, sizeof(k.addr));
		bpf_map_lookup_elem(&steer_v4, &k);
	} else if (eth->proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);
		struct steer_key6 k = { .prefixlen = 128 };

		if ((void *)(ip6h + 1) > end)
			return TC_ACT_OK;
		__builtin_memcpy(k.addr, &ip6h->saddr, sizeof(k.addr));
		bpf_map_lookup_elem(&steer_v6, &k);
	}
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
