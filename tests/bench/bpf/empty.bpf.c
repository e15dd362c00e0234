// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/* The data path floor: a direct-action classifier that does nothing. What
 * BPF_PROG_TEST_RUN measures for it is the cost of running any program. */
#include <linux/bpf.h>

#include "tcsteer_bpf.h"

SEC("tc")
int empty(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "Dual MIT/GPL";
