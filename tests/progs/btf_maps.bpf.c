/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* btf_maps: BTF-defined maps in SEC(".maps") of several types.
 *
 * Tests: .maps parsing from BTF (type, max_entries, map_flags, key/value
 * sizes from pointed-to types, pinning) and the BTF DATASEC fix-up.
 *   btf_hash    HASH 16 entries, key __u32, value struct btf_val (16 bytes)
 *   btf_array   ARRAY 4 entries, key __u32, value __u64, pinning PIN_BY_NAME
 *   btf_percpu  PERCPU_ARRAY 2 entries, key_size 4 / value_size 8 given as
 *               numbers (__uint), not types
 *   btf_lpm     LPM_TRIE 64 entries, BPF_F_NO_PREALLOC, key struct lpm_key4
 *               (8 bytes), value __u32
 * The program counts every packet in btf_array[0] and btf_percpu[0] and
 * looks the packet's length up in btf_hash and the fixed address 10.0.0.1 in
 * btf_lpm; it returns the btf_lpm value for 10.0.0.1 if there is one.
 * BPF_PROG_TEST_RUN: retval 0 with empty maps; btf_array[0] counts runs. */
#include "tcsteer_bpf.h"

struct btf_val {
	__u64 packets;
	__u64 bytes;
};

struct lpm_key4 {
	__u32 prefixlen;
	__u32 addr;             /* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct btf_val);
} btf_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, PIN_BY_NAME);
} btf_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u64));
} btf_percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key4);
	__type(value, __u32);
} btf_lpm SEC(".maps");

SEC("tc")
int btf_maps_prog(struct __sk_buff *skb)
{
	struct lpm_key4 lpm_key = { .prefixlen = 32, .addr = bpf_htonl(0x0a000001) };
	__u32 zero = 0, len = skb->len;
	struct btf_val *hv;
	__u64 *count;
	__u32 *lpm_val;

	count = bpf_map_lookup_elem(&btf_array, &zero);
	if (count)
		__sync_fetch_and_add(count, 1);
	count = bpf_map_lookup_elem(&btf_percpu, &zero);
	if (count)
		*count += 1;
	hv = bpf_map_lookup_elem(&btf_hash, &len);
	if (hv)
		hv->packets++;
	lpm_val = bpf_map_lookup_elem(&btf_lpm, &lpm_key);
	return lpm_val ? *lpm_val : TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
