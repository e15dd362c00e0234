/* SPDX-License-Identifier: MIT */
/* TCX: tc BPF programs attached with links (Linux 6.6 and later).
 *
 * A TCX hook (a device's ingress or egress) holds an ordered list of up to
 * 63 programs. They run before the clsact (cls_bpf) filters of the same
 * hook, one after another while each returns TCX_NEXT (-1, which is also
 * TC_ACT_UNSPEC); the first other verdict ends the hook, and the clsact
 * filters run only if every program said NEXT. See docs/design.md, "TCX".
 *
 * Everything here is bpf() (through bpf_sys.c) against the calling
 * thread's network namespace: ifindexes are looked up there. Errors are
 * one line in err, naming the hook as "<dev> <egress|ingress>", e.g.
 * "cannot attach to e0 egress with tcx: no program with id 42 on e0
 * egress". A kernel without TCX gives -EOPNOTSUPP and TCX_NO_KERNEL_TEXT. */
#ifndef TCSTEER_LOADER_TCX_H
#define TCSTEER_LOADER_TCX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

/* The order of cli's enum hook, so one converts to the other. */
enum tcx_dir { TCX_DIR_EGRESS, TCX_DIR_INGRESS };

/* The hook an operation is about. dev only names it in messages (NULL:
 * "ifindex N"); ifindex is what the kernel is asked about. */
struct tcx_hook {
	int ifindex;
	const char *dev;
	enum tcx_dir dir;
};

#define TCX_NO_KERNEL_TEXT \
	"the running kernel has no tcx (it needs Linux 6.6 or later with " \
	"CONFIG_NET_XGRESS); use mode clsact"

/* Room for every program a hook can hold (the kernel's limit is 63). */
#define TCX_PROGS_MAX 64

struct tcx_prog {
	uint32_t prog_id;
	uint32_t link_id;       /* 0: attached without a link (BPF_PROG_ATTACH) */
	char name[16];          /* the program's name; "" if it could not be read */
	uint8_t tag[8];         /* the kernel's tag, as tc and bpftool print it */
	bool has_tag;           /* false if the program could not be read */
};

struct tcx_list {
	/* The hook's revision: 1 while it has no programs, one more for
	 * every attach, detach or replace since. It starts again at 1 once
	 * the hook is empty (the kernel frees its state). */
	uint64_t revision;
	uint32_t count;
	struct tcx_prog progs[TCX_PROGS_MAX]; /* in the order they run */
};

/* 0 if the running kernel has TCX, -EOPNOTSUPP (err: TCX_NO_KERNEL_TEXT)
 * if it has not, another -errno if the probe itself failed (EPERM...).
 * Side-effect free: a BPF_PROG_QUERY for tcx egress on ifindex (0: the
 * loopback device, ifindex 1 in every namespace). A kernel with TCX answers
 * 0 (6.18: also when the hook is empty), ENOENT (6.6-era kernels, for an
 * empty hook) or ENODEV (no such device); older ones, and kernels built
 * without CONFIG_NET_XGRESS, EINVAL, which is what they answer for any
 * attach type they do not know. */
int tcx_probe(int ifindex, struct errmsg *err);

/* The programs on a hook, with their link ids and names. An empty hook is
 * count 0, not an error. */
int tcx_list(const struct tcx_hook *h, struct tcx_list *out,
	     struct errmsg *err);

/* Index of prog_id in l (0 runs first), -1 if it is not there. */
int tcx_list_index(const struct tcx_list *l, uint32_t prog_id);

/* "12 (cil_to_netdev), 15 (name unknown)" for the entries
 * [from, to) of l, for warnings. Truncated to len, always terminated. */
void tcx_list_describe(const struct tcx_list *l, uint32_t from, uint32_t to,
		       char *buf, size_t len);

enum tcx_where {
	TCX_LAST,               /* after every program on the hook */
	TCX_FIRST,              /* before every program */
	TCX_BEFORE,             /* right before program rel_prog_id */
	TCX_AFTER,              /* right after program rel_prog_id */
};

struct tcx_order {
	enum tcx_where where;
	uint32_t rel_prog_id;           /* for TCX_BEFORE / TCX_AFTER */
	/* Fail with -ESTALE unless the hook is still at this revision (from
	 * tcx_list): nothing was attached or detached in between. 0: any. */
	uint64_t expected_revision;
};

/* Attach prog_fd to the hook with a new TCX link, at the place o says
 * (NULL: TCX_LAST). Returns the link fd. The program runs until the last
 * reference to the link goes: pin it (bpf_sys_obj_pin) to keep it after
 * the process exits. */
int tcx_attach(const struct tcx_hook *h, int prog_fd,
	       const struct tcx_order *o, struct errmsg *err);

/* What tcx_attach(h, prog_fd, o) would ask the kernel, for --dry-run:
 * "bpf(BPF_LINK_CREATE) prog_fd 0 target_ifindex 3 attach_type 47
 * (BPF_TCX_EGRESS) flags 0x8 (BPF_F_BEFORE) relative_id 0
 * expected_revision 0". Truncated to len, always terminated. */
void tcx_attach_describe(const struct tcx_hook *h, int prog_fd,
			 const struct tcx_order *o, char *buf, size_t len);

/* Make the link run new_prog_fd instead, in the same place: one atomic
 * swap, no moment without a program. old_prog_fd >= 0: only if the link
 * still runs that program (-EPERM otherwise). Replacing a program by
 * itself succeeds and changes nothing. -ENOLINK: the link is defunct (its
 * device is gone, or it was detached). h names the hook in messages. */
int tcx_replace(const struct tcx_hook *h, int link_fd, int new_prog_fd,
		int old_prog_fd, struct errmsg *err);

/* Detach the link from its hook. Succeeds on a defunct link too. The link
 * object lives on while fds or pins hold it: unlink its pin as well. */
int tcx_detach(const struct tcx_hook *h, int link_fd, struct errmsg *err);

struct tcx_link_state {
	uint32_t link_id;
	uint32_t prog_id;
	/* The device's ifindex *in the namespace the device is in now*, 0 if
	 * the link is defunct. A device moved to another namespace takes its
	 * links along (they keep running there), and its ifindex may then
	 * name another device here: tcx_link_on_hook tells. */
	int ifindex;
	enum tcx_dir dir;
};

/* What a TCX link fd is attached to. -EINVAL if it is not a TCX link. */
int tcx_link_state(int link_fd, struct tcx_link_state *st,
		   struct errmsg *err);

/* 1 if the hook (in this namespace) runs the link, 0 if not (also when the
 * device is gone or the kernel has no TCX), -errno on other failures. */
int tcx_link_on_hook(const struct tcx_hook *h, uint32_t link_id,
		     struct errmsg *err);

const char *tcx_dir_name(enum tcx_dir d);

#endif
