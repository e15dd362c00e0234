/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* global_data: global variables in .data, .rodata and .bss.
 *
 * Tests: global data maps (ARRAY, key 4, one value the size of the section),
 * BPF_PSEUDO_MAP_VALUE references with offsets, both through a variable's own
 * symbol (globals) and through the section symbol plus an addend in the
 * instruction (statics), .rodata frozen with BPF_F_RDONLY_PROG.
 *   .data    data_val = 30 (global), data_bonus = 10 (static)
 *   .rodata  ro_val = 2 (const volatile, so the compiler must read it)
 *   .bss     bss_runs (counter), bss_last_len
 * BPF_PROG_TEST_RUN: retval 42 (= ro_val + data_val + data_bonus); every run
 * adds 1 to bss_runs and stores the packet length in bss_last_len. */
#include "tcsteer_bpf.h"

int data_val = 30;
static volatile int data_bonus = 10;
const volatile int ro_val = 2;
__u64 bss_runs;
static volatile __u32 bss_last_len;

SEC("tc")
int global_data_prog(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&bss_runs, 1);
	bss_last_len = skb->len;
	return ro_val + data_val + data_bonus;
}

char _license[] SEC("license") = "Dual MIT/GPL";
