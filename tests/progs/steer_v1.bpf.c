/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* steer_v1: the steering program as tcsteer 0.1 shipped it, reduced to what
 * its state looks like: maps steer_v4, steer_v6, steer_stats with 0.1's
 * value sizes (a 28-byte route, a 16-byte counter), IPv4 source lookup,
 * redirect to the route's next hop. The upgrade test builds 0.1's state
 * with it (bpftool pins the program and its maps by name where 0.1 did, tc
 * attaches it) and checks that the current tcsteer takes that state over
 * and upgrades it. */
#include <linux/if_ether.h>
#include <linux/ip.h>

#include "tcsteer_bpf.h"

struct key4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct key6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct route_v1 {
	__u32 ifindex;
	__u32 slot;
	struct bpf_redir_neigh nh;
};

struct counter_v1 {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct key4);
	__type(value, struct route_v1);
} steer_v4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
	__type(key, struct key6);
	__type(value, struct route_v1);
} steer_v6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct counter_v1);
} steer_stats SEC(".maps");

SEC("tc")
int steer(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct key4 key = { .prefixlen = 32 };
	struct route_v1 *r;
	struct counter_v1 *c;
	__u32 slot = 0;
	struct key6 *unused = bpf_map_lookup_elem(&steer_v6, &(struct key6){ 0 });

	(void)unused;
	if ((void *)(ip + 1) > end || eth->h_proto != __builtin_bswap16(ETH_P_IP))
		return TC_ACT_UNSPEC;
	__builtin_memcpy(key.addr, &ip->saddr, 4);
	r = bpf_map_lookup_elem(&steer_v4, &key);
	if (r)
		slot = r->slot;
	c = bpf_map_lookup_elem(&steer_stats, &slot);
	if (c) {
		c->packets++;
		c->bytes += skb->len;
	}
	if (!r || r->ifindex == skb->ifindex)
		return TC_ACT_UNSPEC;
	return bpf_redirect_neigh(r->ifindex, &r->nh, sizeof(r->nh), 0);
}

char _license[] SEC("license") = "Dual MIT/GPL";
