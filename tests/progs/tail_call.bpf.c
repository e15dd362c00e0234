/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* tail_call: a BTF PROG_ARRAY statically initialised with a program.
 *
 * Tests: the `values` member of a BTF map (relocations in .rel.maps that
 * name a program function become prog_slots: slot 1 -> tail_target) and
 * loading tail-call targets with the chosen program.
 *   jmp_table   PROG_ARRAY, 4 slots, slot 1 = tail_target
 *   tail_entry  (SEC "tc") tail-calls slot 1; returns 1 only if the tail
 *               call did not happen
 *   tail_target (SEC "tc/tail") returns 42
 * clang emits tail_target first (the map initialiser refers to it), so it is
 * the object's first, default program: select tail_entry by section "tc" or
 * by its name.
 * BPF_PROG_TEST_RUN of tail_entry: retval 42 when the slot was filled,
 * 1 when it was not. Only meant for TEST_RUN: 42 is no TC action. */
#include "tcsteer_bpf.h"

SEC("tc/tail")
int tail_target(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__array(values, int (struct __sk_buff *));
} jmp_table SEC(".maps") = {
	.values = {
		[1] = (void *)&tail_target,
	},
};

SEC("tc")
int tail_entry(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jmp_table, 1);
	return 1;
}

SEC("tc/tail")
int tail_target(struct __sk_buff *skb)
{
	return 42;
}

char _license[] SEC("license") = "Dual MIT/GPL";
