/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* subprog: BPF-to-BPF calls into .text.
 *
 * Tests: appending the .text functions a program calls and fixing call
 * immediates, for a static function (sub_inc, called through the .text
 * section symbol) and a global one (sub_scale, called through its own
 * symbol), where the global one calls the static one from inside .text; and
 * leaving out a .text function nobody calls (sub_unused).
 *   sub_inc(x)   = x + 1
 *   sub_scale(x) = sub_inc(x) * 2
 *   subprog_main = sub_scale(13) + sub_inc(13) = 28 + 14
 * The empty asm hides the constant from the compiler, so it cannot fold the
 * calls away.
 * BPF_PROG_TEST_RUN: retval 42; a wrong call target gives anything else (or
 * a verifier error). */
#include "tcsteer_bpf.h"

static __noinline int sub_inc(int x)
{
	asm volatile("" : "+r"(x));
	return x + 1;
}

__noinline int sub_scale(int x)
{
	return sub_inc(x) * 2;
}

/* Never called: it must not be appended, or the verifier would refuse the
 * program ("unreachable insn"). */
__noinline int sub_unused(int x)
{
	asm volatile("" : "+r"(x));
	return x * 3;
}

SEC("tc")
int subprog_main(struct __sk_buff *skb)
{
	int x = 13;

	asm volatile("" : "+r"(x));
	return sub_scale(x) + sub_inc(x);
}

char _license[] SEC("license") = "Dual MIT/GPL";
