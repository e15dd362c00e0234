// SPDX-License-Identifier: GPL-2.0-only
/* A program in the style of the Go tool tcsteer replaces (see
 * tests/progs/legacy_maps.bpf.c): exact-match hash tables keyed by the
 * source address instead of LPM tries, a next hop built on the stack, and a
 * bpf_trace_printk() line for every packet it looks at, which is how that
 * tool was debugged. The bench measures what the printk costs on the hot
 * path. Its tables use the steering tables' value layout, so the bench
 * fills all programs' tables alike (keys: the address alone, no length). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "tcsteer_bpf.h"
#include "steer_maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, __u32);
	__type(value, struct steer_route);
} orig_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, STEER_MAX_ROUTES);
	__type(key, struct orig_key6);
	__type(value, struct steer_route);
} orig_v6 SEC(".maps");

struct orig_key6 {
	__u8 a[16];
};

struct eth_hdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
};

static __always_inline int steer_to(struct steer_route *r)
{
	struct bpf_redir_neigh nh;

	__builtin_memcpy(&nh, &r->nh, sizeof(nh));
	return bpf_redirect_neigh(r->ifindex, &nh, sizeof(nh), 0);
}

SEC("tc")
int orig_style(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct eth_hdr *eth = data;
	struct steer_route *r = 0;

	if ((void *)(eth + 1) > end)
		return TC_ACT_OK;
	if (eth->proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		char fmt[] = "steer: v4 src %x route %d\n";
		__u32 saddr;

		if ((void *)(iph + 1) > end)
			return TC_ACT_OK;
		saddr = iph->saddr;
		r = bpf_map_lookup_elem(&orig_v4, &saddr);
		bpf_trace_printk(fmt, sizeof(fmt), saddr, r ? r->ifindex : 0);
	} else if (eth->proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);
		char fmt[] = "steer: v6 src ..%x route %d\n";
		struct orig_key6 saddr;

		if ((void *)(ip6h + 1) > end)
			return TC_ACT_OK;
		__builtin_memcpy(&saddr, &ip6h->saddr, sizeof(saddr));
		r = bpf_map_lookup_elem(&orig_v6, &saddr);
		bpf_trace_printk(fmt, sizeof(fmt), ip6h->saddr.in6_u.u6_addr32[3],
				 r ? r->ifindex : 0);
	}
	if (!r || r->ifindex == skb->ifindex)
		return TC_ACT_OK;
	return steer_to(r);
}

char _license[] SEC("license") = "GPL";
