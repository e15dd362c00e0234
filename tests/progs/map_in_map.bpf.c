/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* map_in_map: a BTF-defined map of maps, the way the steering program
 * keeps its flow table (one slot, its inner map created later, with a size
 * chosen then).
 *   mim_outer   ARRAY_OF_MAPS 1 entry, key __u32, pinning PIN_BY_NAME;
 *               inner: LRU_HASH, key __u32, value __u64, 1 entry (the
 *               template's size; inner maps put there may be bigger)
 *   mim_hash    HASH_OF_MAPS 2 entries, key __u32; inner: ARRAY 4 entries
 *               of __u32 (an array's size is part of its type)
 * The program looks the packet's length up in the inner map of
 * mim_outer[0] and returns the value found, 1 if slot 0 is empty, 2 if the
 * length is not in it; it adds 100 if mim_hash[7] holds an array whose
 * element 0 is not zero.
 * BPF_PROG_TEST_RUN: retval 1 with empty maps. */
#include "tcsteer_bpf.h"

struct mim_inner {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, PIN_BY_NAME);
	__array(values, struct mim_inner);
} mim_outer SEC(".maps");

struct mim_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct mim_array);
} mim_hash SEC(".maps");

SEC("tc")
int mim_prog(struct __sk_buff *skb)
{
	__u32 zero = 0, seven = 7, len = skb->len;
	int extra = 0;
	void *inner;
	__u32 *first;
	__u64 *v;

	inner = bpf_map_lookup_elem(&mim_hash, &seven);
	if (inner) {
		first = bpf_map_lookup_elem(inner, &zero);
		if (first && *first)
			extra = 100;
	}
	inner = bpf_map_lookup_elem(&mim_outer, &zero);
	if (!inner)
		return 1 + extra;
	v = bpf_map_lookup_elem(inner, &len);
	return (v ? (int)*v : 2) + extra;
}

char _license[] SEC("license") = "Dual MIT/GPL";
