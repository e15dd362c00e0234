/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* multi_prog: several programs, for selection by section and by function.
 *
 *   section "tc":         multi_first (retval 1), multi_second (retval 2)
 *   section "classifier": multi_cls (retval 3)
 *   section "tc/ingress": multi_ingress (retval 4)
 * The default program (no section, no function given) is multi_first; by
 * section "tc" it is multi_first too (first in the section); section
 * "classifier" selects multi_cls. The return values are only for
 * BPF_PROG_TEST_RUN, so a test can tell which program was loaded. */
#include "tcsteer_bpf.h"

SEC("tc")
int multi_first(struct __sk_buff *skb)
{
	return 1;
}

SEC("tc")
int multi_second(struct __sk_buff *skb)
{
	return 2;
}

SEC("classifier")
int multi_cls(struct __sk_buff *skb)
{
	return 3;
}

SEC("tc/ingress")
int multi_ingress(struct __sk_buff *skb)
{
	return 4;
}

char _license[] SEC("license") = "Dual MIT/GPL";
