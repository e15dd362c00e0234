/* SPDX-License-Identifier: MIT */
/* Feature probes (see probe.h). */
#include "probe.h"

#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
			    .off = (o), .imm = (i) })

int probe_check_mtu(struct errmsg *err)
{
	/* mtu = 0; bpf_check_mtu(ctx, 0, &mtu, 0, 0); return 0; */
	const struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -4),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_5, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_check_mtu),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct bpf_sys_prog_attr a = {
		.type = BPF_PROG_TYPE_SCHED_CLS,
		.insns = insns,
		.ninsns = sizeof(insns) / sizeof(insns[0]),
		.license = "Dual MIT/GPL",
		.name = "probe_mtu",
		.prog_btf_fd = -1,
	};
	struct errmsg local = { 0 };
	int fd = bpf_sys_prog_load(&a, &local);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	/* An unknown helper id is EINVAL ("invalid func unknown#163" on
	 * 5.10): nothing else in these instructions can be invalid. */
	if (fd == -EINVAL)
		return 0;
	if (err)
		*err = local;
	return fd;
}
