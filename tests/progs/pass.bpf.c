/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* pass: the smallest useful TC program.
 *
 * Tests: loading and attaching an object with one program, no maps, no BTF
 * maps, no relocations. The golden netlink message names it
 * "SchedCLS(tc_pass)#<fd>", so the function name must stay tc_pass.
 * BPF_PROG_TEST_RUN: retval 0 (TC_ACT_OK) for any packet.
 * Real traffic: every packet passes untouched. */
#include "tcsteer_bpf.h"

SEC("tc")
int tc_pass(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
