/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/* reject: compiles cleanly, but the verifier refuses it.
 *
 * It reads the first byte of packet data without comparing against
 * data_end, so BPF_PROG_LOAD fails with EACCES and a verifier log ending in
 * something like "invalid access to packet, off=0 size=1, R1(id=0,off=0,r=0)".
 * Tests: the loader's rejection path (log retrieval, one-line error that
 * names the verifier). Never runs. */
#include "tcsteer_bpf.h"

SEC("tc")
int reject_unchecked(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;

	return data[0];
}

char _license[] SEC("license") = "Dual MIT/GPL";
