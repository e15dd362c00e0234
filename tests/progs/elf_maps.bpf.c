/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* elf_maps: iproute2-style maps (SEC("maps"), struct bpf_elf_map, 36 bytes)
 * with each pinning mode.
 *
 * Tests: bpf_elf_map parsing and pinning: elf_global is PIN_GLOBAL_NS
 * (/sys/fs/bpf/tc/globals/elf_global), elf_object is PIN_OBJECT_NS (pinned by
 * name in the loader's pin directory), elf_private is not pinned.
 * Each map is an ARRAY of one __u64 counter; the program adds 1 to slot 0 of
 * each, so a value read through a pin shows how often the program ran.
 * BPF_PROG_TEST_RUN: retval 0 (TC_ACT_OK); with repeat=N each counter grows
 * by N.
 * Real traffic: passes every packet, counting it three times. */
#include "tcsteer_bpf.h"

/* iproute2's map definition (include/bpf_elf.h). */
struct bpf_elf_map {
	__u32 type;
	__u32 size_key;
	__u32 size_value;
	__u32 max_elem;
	__u32 flags;
	__u32 id;
	__u32 pinning;
	__u32 inner_id;
	__u32 inner_idx;
};

#define PIN_OBJECT_NS 1
#define PIN_GLOBAL_NS 2

struct bpf_elf_map SEC("maps") elf_global = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
	.pinning = PIN_GLOBAL_NS,
};

struct bpf_elf_map SEC("maps") elf_object = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
	.pinning = PIN_OBJECT_NS,
};

struct bpf_elf_map SEC("maps") elf_private = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(__u32),
	.size_value = sizeof(__u64),
	.max_elem = 1,
	.pinning = PIN_NONE,
};

static __always_inline void count(void *map)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(map, &key);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("tc")
int count_pins(struct __sk_buff *skb)
{
	count(&elf_global);
	count(&elf_object);
	count(&elf_private);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
