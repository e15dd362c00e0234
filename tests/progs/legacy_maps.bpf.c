/* SPDX-License-Identifier: GPL-2.0-only */
/* legacy_maps: source-address steering written the way the original Go tool
 * (cilium/ebpf + a hand-written C program) was: a SEC("maps") struct
 * bpf_map_def hash table and a program in SEC("tc_redirect").
 *
 * Tests: legacy `maps` section parsing (20-byte bpf_map_def), ld_imm64 map
 * references, the GPL-only helper bpf_redirect_neigh, and (integration) real
 * steering.
 * Map `legacy_nh`: key = IPv4 source address in host byte order, value =
 * struct legacy_nexthop {ifindex, nexthop (host byte order)}.
 * BPF_PROG_TEST_RUN: retval 0 (TC_ACT_OK) when the source is not in the map
 * or the packet is not Ethernet/IPv4; 7 (TC_ACT_REDIRECT) on a hit with a
 * valid ifindex (bpf_redirect_neigh only records the redirect).
 * Real traffic: a hit leaves through `ifindex` towards `nexthop`, with the L2
 * addresses from the neighbour table. */
#include <linux/if_ether.h>
#include <linux/ip.h>

#include "tcsteer_bpf.h"

#define AF_INET 2

/* The pre-BTF map definition of libbpf < 1.0 and cilium/ebpf. */
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_nexthop {
	__u32 ifindex;
	__u32 nexthop;          /* IPv4, host byte order */
};

struct bpf_map_def SEC("maps") legacy_nh = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct legacy_nexthop),
	.max_entries = 1024,
};

SEC("tc_redirect")
int legacy_steer(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct legacy_nexthop *nh;
	struct bpf_redir_neigh params;
	__u32 saddr;

	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;

	saddr = bpf_ntohl(ip->saddr);
	nh = bpf_map_lookup_elem(&legacy_nh, &saddr);
	if (!nh)
		return TC_ACT_OK;

	/* The helper reads the whole struct: no stack garbage in the union. */
	__builtin_memset(&params, 0, sizeof(params));
	params.nh_family = AF_INET;
	params.ipv4_nh = bpf_htonl(nh->nexthop);
	return bpf_redirect_neigh(nh->ifindex, &params, sizeof(params), 0);
}

char _license[] SEC("license") = "GPL";
