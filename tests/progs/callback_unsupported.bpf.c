/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* callback_unsupported: a function pointer passed to a helper (bpf_loop, kernel 5.17+).
 *
 * Tests: the clear rejection of ld_imm64 relocated against code. The kernel
 * accepts such BPF_PSEUDO_FUNC loads only together with BTF func_info for
 * every function ("missing btf func_info"), and tcsteer does not load
 * .BTF.ext, so object_open() refuses the object, naming the instruction and
 * the function: `program "callback_main": insn 5: takes the address of
 * function "sum_step" (a callback, ...)`.
 *   sum_step(i, ctx) adds i to *ctx
 *   callback_main    runs bpf_loop(7, sum_step, &sum) (0+1+...+6 = 21) and
 *                    returns 2 * sum (42, if it ever loads). */
#include "tcsteer_bpf.h"

BPF_HELPER(long, loop, __u32 nr_loops, void *callback_fn, void *callback_ctx,
	   __u64 flags);

static int sum_step(__u32 index, void *ctx)
{
	*(int *)ctx += index;
	return 0;
}

SEC("tc")
int callback_main(struct __sk_buff *skb)
{
	int sum = 0;

	bpf_loop(7, sum_step, &sum, 0);
	return 2 * sum;
}

char _license[] SEC("license") = "Dual MIT/GPL";
