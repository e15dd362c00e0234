/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* A small but complete BPF object for the ELF parser's tests: a program in
 * its own section calling a .text subprogram, a BTF-defined map in .maps,
 * global data in .data/.rodata/.bss and, with -g, .BTF/.BTF.ext and DWARF
 * sections whose relocations use the ABS and NODYLD types. Never loaded:
 * only its shape matters (test_elf.c checks it). */
#include "tcsteer_bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} sample_counts SEC(".maps");

int sample_data = 5;                    /* .data */
const volatile int sample_limit = 100;  /* .rodata */
int sample_bss;                         /* .bss */

/* noinline and global: stays a real BPF-to-BPF call into .text. */
__noinline int sample_sub(int x)
{
	return x < sample_limit ? x + sample_data : 0;
}

SEC("tc")
int sample_prog(struct __sk_buff *skb)
{
	__u32 key = skb->len & 3;
	__u64 *count = bpf_map_lookup_elem(&sample_counts, &key);

	if (count)
		*count += sample_sub(skb->len);
	sample_bss++;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
