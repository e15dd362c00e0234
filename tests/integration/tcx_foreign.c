/* SPDX-License-Identifier: MIT */
/* tcx_foreign: someone else's TCX program, for tests.
 *
 *   tcx_foreign attach DEV ingress|egress VERDICT PIN [first|last] [name NAME]
 *   tcx_foreign detach PIN
 *   tcx_foreign info PIN
 *
 * attach loads a 2-instruction sched_cls program that returns VERDICT
 * (pass = TCX_PASS 0, next = TCX_NEXT -1, drop = TCX_DROP 2, or a number),
 * attaches it to DEV's tcx hook with a link (last by default, as Cilium
 * does; first puts it before every other program) and pins the link at
 * PIN (on bpffs), so that it stays after this tool exits. It prints
 * "prog_id N link_id M". detach detaches the pinned link and removes the
 * pin. info prints "link_id M prog_id N ifindex I attach_type T" (ifindex
 * 0: the link is defunct).
 *
 * It stands for the tools tcsteer shares a device with (Cilium's
 * cil_to_netdev returns TCX_PASS for most packets), so on purpose it uses
 * nothing of tcsteer: raw bpf(), the installed <linux/bpf.h>, and the
 * constants TCX needs written out below. Exit 0, 1 on failure (one line on
 * stderr), 2 on bad usage, 77 if the kernel has no TCX. */
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* From the kernel's include/uapi/linux/bpf.h (6.6), newer than Debian 12's
 * header. */
#define TCX_INGRESS_TYPE 46     /* BPF_TCX_INGRESS */
#define TCX_EGRESS_TYPE 47      /* BPF_TCX_EGRESS */
#define MPROG_F_BEFORE (1U << 3)
#define MPROG_F_AFTER (1U << 4)

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	long ret;

	do {
		ret = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
	} while (ret < 0 && errno == EINTR);
	return (int)ret;
}

static int fail(const char *what)
{
	fprintf(stderr, "tcx_foreign: %s: %s\n", what, strerror(errno));
	return 1;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: tcx_foreign attach DEV ingress|egress pass|next|drop|N PIN [first|last] [name NAME]\n"
		"       tcx_foreign detach PIN\n"
		"       tcx_foreign info PIN\n");
	return 2;
}

static int load_verdict_prog(int verdict, const char *name)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = verdict },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);
	return sys_bpf(BPF_PROG_LOAD, &attr);
}

static int info_of(int fd, struct bpf_link_info *info)
{
	union bpf_attr attr;

	memset(info, 0, sizeof(*info));
	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (uint32_t)fd;
	attr.info.info_len = sizeof(*info);
	attr.info.info = (uint64_t)(uintptr_t)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

static int pin_get(const char *pin)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)pin;
	return sys_bpf(BPF_OBJ_GET, &attr);
}

static int parse_verdict(const char *s, int *v)
{
	char *end;
	long n;

	if (!strcmp(s, "pass"))
		*v = 0;
	else if (!strcmp(s, "next"))
		*v = -1;
	else if (!strcmp(s, "drop"))
		*v = 2;
	else {
		errno = 0;
		n = strtol(s, &end, 0);
		if (errno || *end || end == s || n < INT32_MIN || n > INT32_MAX)
			return -1;
		*v = (int)n;
	}
	return 0;
}

static int do_attach(int argc, char **argv)
{
	const char *dev = argv[2], *pin = argv[5], *name = "tcx_foreign";
	uint32_t flags = MPROG_F_AFTER;
	struct bpf_link_info info;
	union bpf_attr attr;
	int verdict, ifindex, prog_fd, link_fd, i;

	if (parse_verdict(argv[4], &verdict))
		return usage();
	for (i = 6; i < argc; i++) {
		if (!strcmp(argv[i], "first"))
			flags = MPROG_F_BEFORE;
		else if (!strcmp(argv[i], "last"))
			flags = MPROG_F_AFTER;
		else if (!strcmp(argv[i], "name") && i + 1 < argc)
			name = argv[++i];
		else
			return usage();
	}
	ifindex = (int)if_nametoindex(dev);
	if (!ifindex)
		return fail(dev);
	prog_fd = load_verdict_prog(verdict, name);
	if (prog_fd < 0)
		return fail("BPF_PROG_LOAD");
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog_fd;
	attr.link_create.target_ifindex = (uint32_t)ifindex;
	attr.link_create.attach_type =
		!strcmp(argv[3], "ingress") ? TCX_INGRESS_TYPE : TCX_EGRESS_TYPE;
	attr.link_create.flags = flags;
	link_fd = sys_bpf(BPF_LINK_CREATE, &attr);
	if (link_fd < 0 && errno == EINVAL) {
		fprintf(stderr, "tcx_foreign: BPF_LINK_CREATE: EINVAL: no tcx on this kernel?\n");
		return 77;
	}
	if (link_fd < 0)
		return fail("BPF_LINK_CREATE");
	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uint64_t)(uintptr_t)pin;
	attr.bpf_fd = (uint32_t)link_fd;
	if (sys_bpf(BPF_OBJ_PIN, &attr) < 0)
		return fail(pin); /* exiting closes the link: nothing stays */
	if (info_of(link_fd, &info) < 0)
		return fail("BPF_OBJ_GET_INFO_BY_FD");
	printf("prog_id %u link_id %u\n", info.prog_id, info.id);
	return 0;
}

static int do_detach(const char *pin)
{
	union bpf_attr attr;
	int fd = pin_get(pin);

	if (fd < 0)
		return fail(pin);
	memset(&attr, 0, sizeof(attr));
	attr.link_detach.link_fd = (uint32_t)fd;
	if (sys_bpf(BPF_LINK_DETACH, &attr) < 0)
		return fail("BPF_LINK_DETACH");
	if (unlink(pin) < 0)
		return fail(pin);
	return 0;
}

static int do_info(const char *pin)
{
	struct bpf_link_info info;
	uint32_t tcx[2];
	int fd = pin_get(pin);

	if (fd < 0)
		return fail(pin);
	if (info_of(fd, &info) < 0)
		return fail("BPF_OBJ_GET_INFO_BY_FD");
	/* link_info.tcx {ifindex, attach_type} opens the union, where the
	 * 6.1 header has xdp.ifindex. */
	memcpy(tcx, (const char *)&info + offsetof(struct bpf_link_info, xdp.ifindex),
	       sizeof(tcx));
	printf("link_id %u prog_id %u ifindex %u attach_type %u\n", info.id,
	       info.prog_id, tcx[0], tcx[1]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "attach") &&
	    (!strcmp(argv[3], "ingress") || !strcmp(argv[3], "egress")))
		return do_attach(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return do_detach(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "info"))
		return do_info(argv[2]);
	return usage();
}
