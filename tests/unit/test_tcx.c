/* SPDX-License-Identifier: MIT */
/* test_tcx: bpf_sys's link commands and loader/tcx.c against the running
 * kernel, on veth pairs in a network namespace of the test's own (the
 * process unshares one at start, so nothing it makes is visible to other
 * tests and everything goes when it exits; link pins live in
 * /sys/fs/bpf/tcsteer_tx_<pid>, removed at the end).
 *
 * Packets are real: Ethernet frames of a test EtherType sent with an
 * AF_PACKET socket on tx0 pass tx0's egress hook in the sendto() call
 * (veth has no qdisc). The test programs count the frames of that
 * EtherType in slots of an array map, then return a given verdict, so the
 * counts say which programs (tcx, and a clsact cls_bpf filter behind them)
 * saw which frames.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare) and a
 * kernel with TCX: exits 77 otherwise. Every test checks that it leaves no
 * fd open. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bpf_sys.h"
#include "bpffs.h"
#include "embedded.h"
#include "load.h"
#include "object.h"
#include "steer_maps.h"
#include "tc.h"
#include "tcx.h"

#define TEST_ETH_P 0x88b5       /* IEEE local experimental EtherType */
#define SLOTS 8
#define DEV "tx0"

static char pin_root[128];
static int count_map = -1;      /* ARRAY u32 -> u64, SLOTS entries */
static int dev_ifindex;         /* tx0 */

/* ---- helpers ----------------------------------------------------------- */

static int count_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static int fd_setup(void **state)
{
	*state = (void *)(intptr_t)count_fds();
	return 0;
}

static int fd_teardown(void **state)
{
	int before = (int)(intptr_t)*state, after = count_fds();

	if (before != after) {
		fprintf(stderr, "fd leak: %d fds before, %d after\n", before,
			after);
		return -1;
	}
	return 0;
}

#define assert_contains(hay, needle)                                        \
	do {                                                                \
		if (!strstr((hay), (needle)))                               \
			fail_msg("\"%s\" does not contain \"%s\"", (hay),   \
				 (needle));                                 \
	} while (0)

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---- programs ------------------------------------------------------------ */

#define INSN(c, d, s, o, i)                                                 \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s),    \
			    .off = (o), .imm = (i) })
#define MOV_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define ADD_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST_W(d, o, i) INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQ_IMM(d, i, o) INSN(BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define LD_MAP(d, fd)                                                       \
	INSN(BPF_LD | BPF_IMM | BPF_DW, d, BPF_PSEUDO_MAP_FD, 0, fd),       \
	INSN(0, 0, 0, 0, 0)
#define CALL(f) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define ATOMIC_ADD_DW(d, s, o)                                              \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int load(const struct bpf_insn *insns, size_t n, const char *name)
{
	struct bpf_sys_prog_attr a = {
		.type = BPF_PROG_TYPE_SCHED_CLS,
		.insns = insns,
		.ninsns = n,
		.license = "GPL",
		.name = name,
		.prog_btf_fd = -1,
	};
	struct errmsg err = { 0 };
	int fd = bpf_sys_prog_load(&a, &err);

	if (fd < 0)
		fail_msg("%s", err.text);
	return fd;
}

/* Returns verdict; frames of EtherType eth_p are counted in slot first. */
static int counting_prog_proto(uint16_t eth_p, uint32_t slot, int verdict,
			       const char *name)
{
	const struct bpf_insn insns[] = {
		/* 0 */ LDX_W(2, 1, offsetof(struct __sk_buff, protocol)),
		/* 1 */ JNE_IMM(2, htons(eth_p), 9),           /* -> 11 */
		/* 2 */ ST_W(10, -4, (int32_t)slot),
		/* 3 */ MOV_REG(2, 10),
		/* 4 */ ADD_IMM(2, -4),
		/* 5 */ LD_MAP(1, count_map),
		/* 7 */ CALL(BPF_FUNC_map_lookup_elem),
		/* 8 */ JEQ_IMM(0, 0, 2),                      /* -> 11 */
		/* 9 */ MOV_IMM(1, 1),
		/* 10 */ ATOMIC_ADD_DW(0, 1, 0),
		/* 11 */ MOV_IMM(0, verdict),
		/* 12 */ EXIT(),
	};

	return load(insns, sizeof(insns) / sizeof(insns[0]), name);
}

static int counting_prog(uint32_t slot, int verdict, const char *name)
{
	return counting_prog_proto(TEST_ETH_P, slot, verdict, name);
}

static int verdict_prog(int verdict, const char *name)
{
	const struct bpf_insn insns[] = { MOV_IMM(0, verdict), EXIT() };

	return load(insns, 2, name);
}

static uint64_t counter(uint32_t slot)
{
	uint64_t v = 0;

	assert_int_equal(bpf_sys_map_lookup(count_map, &slot, &v, 0, NULL), 0);
	return v;
}

static void reset_counters(void)
{
	uint64_t zero = 0;
	uint32_t slot;

	for (slot = 0; slot < SLOTS; slot++)
		assert_int_equal(bpf_sys_map_update(count_map, &slot, &zero, 0,
						    NULL), 0);
}

static uint32_t prog_id_of(int prog_fd)
{
	struct bpf_prog_info info;

	assert_int_equal(bpf_sys_prog_get_info(prog_fd, &info, NULL), 0);
	return info.id;
}

/* ---- frames ---------------------------------------------------------------- */

struct sender {
	int fd;
	struct sockaddr_ll to;
	uint8_t frame[64];
};

static void sender_open(struct sender *s, const char *dev)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0x7c, 0x01 };

	memset(s, 0, sizeof(*s));
	s->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	assert_true(s->fd >= 0);
	s->to.sll_family = AF_PACKET;
	s->to.sll_protocol = htons(TEST_ETH_P);
	s->to.sll_ifindex = (int)if_nametoindex(dev);
	s->to.sll_halen = ETH_ALEN;
	assert_true(s->to.sll_ifindex > 0);
	memset(s->frame, 0xff, ETH_ALEN);               /* broadcast */
	memcpy(s->frame + ETH_ALEN, src, ETH_ALEN);
	s->frame[12] = TEST_ETH_P >> 8;
	s->frame[13] = TEST_ETH_P & 0xff;
	memcpy(s->frame + 14, "tcsteer tcx test", 16);
}

/* One frame: 0 sent, or -errno. ENOBUFS is what sendto() says when the
 * egress hook dropped the frame (NET_XMIT_DROP). */
static int sender_send(struct sender *s)
{
	ssize_t n = sendto(s->fd, s->frame, sizeof(s->frame), 0,
			   (const struct sockaddr *)&s->to, sizeof(s->to));

	return n < 0 ? -errno : 0;
}

/* n frames out of dev; returns how many sendto() took (0 returned). */
static int send_frames(const char *dev, int n)
{
	struct sender s;
	int i, ok = 0;

	sender_open(&s, dev);
	for (i = 0; i < n; i++)
		if (sender_send(&s) == 0)
			ok++;
	close(s.fd);
	return ok;
}

static struct tcx_hook hook_of(const char *dev, enum tcx_dir dir)
{
	struct tcx_hook h = { .ifindex = (int)if_nametoindex(dev), .dev = dev,
			      .dir = dir };

	assert_true(h.ifindex > 0);
	return h;
}

static uint32_t hook_count(const struct tcx_hook *h)
{
	struct tcx_list l;
	struct errmsg err = { 0 };

	if (tcx_list(h, &l, &err) < 0)
		fail_msg("%s", err.text);
	return l.count;
}

/* Poll, in case the release of a link's last reference is deferred.
 * Returns the ms it took, -1 on timeout. */
static long wait_hook_count(const struct tcx_hook *h, uint32_t want)
{
	long ms;

	for (ms = 0; ms < 5000; ms += 10) {
		if (hook_count(h) == want)
			return ms;
		sleep_ms(10);
	}
	return -1;
}

/* ---- probe ------------------------------------------------------------------- */

static void test_probe(void **state)
{
	struct bpf_sys_prog_query q = { .target = 1,
					.attach_type = BPF_SYS_TCX_EGRESS };
	struct errmsg err = { 0 };
	int ret;

	assert_int_equal(tcx_probe(0, &err), 0);
	assert_int_equal(tcx_probe(dev_ifindex, &err), 0);
	/* What the probe rests on: an empty tcx hook is 0 with count 0 and
	 * revision 1 (6.18), or ENOENT (6.6's tcx_prog_query)... */
	ret = bpf_sys_prog_query(&q, &err);
	print_message("BPF_PROG_QUERY on an empty tcx hook: %d, count %u, "
		      "revision %" PRIu64 "\n", ret, q.count, q.revision);
	if (ret == 0) {
		assert_int_equal(q.count, 0);
		assert_true(q.revision == 1);
	} else {
		assert_int_equal(ret, -ENOENT);
	}
	/* ...a missing device ENODEV (both from tcx_prog_query, so the kernel
	 * knows the attach type)... */
	q.target = 0x7ffffff0;
	assert_int_equal(bpf_sys_prog_query(&q, NULL), -ENODEV);
	assert_int_equal(tcx_probe(0x7ffffff0, &err), 0);
	/* ...and an attach type the kernel does not know is EINVAL, which is
	 * what a kernel without tcx says for 46 and 47. */
	q.target = 1;
	q.attach_type = 200;
	assert_int_equal(bpf_sys_prog_query(&q, &err), -EINVAL);
	assert_string_equal(err.text, "bpf(BPF_PROG_QUERY): Invalid argument");
}

/* ---- ordering ------------------------------------------------------------------ */

static void test_attach_order(void **state)
{
	struct tcx_hook h = hook_of(DEV, TCX_DIR_EGRESS);
	const char *names[5] = { "tx_a", "tx_b", "tx_c", "tx_d", "tx_e" };
	int progs[5], links[5], i, extra;
	uint32_t ids[5];
	struct tcx_order o = { 0 };
	struct tcx_link_state st;
	struct errmsg err = { 0 };
	struct tcx_list l;
	char text[256];
	uint64_t rev;

	for (i = 0; i < 5; i++) {
		progs[i] = verdict_prog(BPF_SYS_TCX_NEXT, names[i]);
		ids[i] = prog_id_of(progs[i]);
	}
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_int_equal(l.count, 0);
	assert_true(l.revision == 1);

	/* a last, b last: [a b]; c first: [c a b]; d before b: [c a d b];
	 * e after c: [c e a d b]. Each attach moves the revision by one. */
	links[0] = tcx_attach(&h, progs[0], NULL, &err);
	assert_true(links[0] >= 0);
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	rev = l.revision;
	print_message("revision after the first attach: %" PRIu64 "\n", rev);
	o.where = TCX_LAST;
	links[1] = tcx_attach(&h, progs[1], &o, &err);
	o.where = TCX_FIRST;
	links[2] = tcx_attach(&h, progs[2], &o, &err);
	o.where = TCX_BEFORE;
	o.rel_prog_id = ids[1];
	links[3] = tcx_attach(&h, progs[3], &o, &err);
	o.where = TCX_AFTER;
	o.rel_prog_id = ids[2];
	links[4] = tcx_attach(&h, progs[4], &o, &err);
	for (i = 0; i < 5; i++)
		assert_true(links[i] >= 0);

	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_int_equal(l.count, 5);
	assert_true(l.revision == rev + 4);
	{
		const int want[5] = { 2, 4, 0, 3, 1 };

		for (i = 0; i < 5; i++) {
			int p = want[i];

			assert_int_equal(l.progs[i].prog_id, ids[p]);
			assert_string_equal(l.progs[i].name, names[p]);
			assert_int_equal(tcx_link_state(links[p], &st, &err), 0);
			assert_int_equal(l.progs[i].link_id, st.link_id);
			assert_int_equal(st.prog_id, ids[p]);
			assert_int_equal(st.ifindex, h.ifindex);
			assert_int_equal(st.dir, TCX_DIR_EGRESS);
			assert_int_equal(tcx_list_index(&l, ids[p]), i);
			assert_int_equal(tcx_link_on_hook(&h, st.link_id, &err), 1);
		}
	}
	assert_int_equal(tcx_list_index(&l, 0x7ffffff0), -1);
	{
		struct bpf_prog_info info;

		assert_int_equal(bpf_sys_prog_get_info(progs[2], &info, &err), 0);
		assert_true(l.progs[0].has_tag);
		assert_memory_equal(l.progs[0].tag, info.tag, 8);
	}
	tcx_list_describe(&l, 0, 2, text, sizeof(text));
	{
		char want[128];

		snprintf(want, sizeof(want), "%u (tx_c), %u (tx_e)", ids[2],
			 ids[4]);
		assert_string_equal(text, want);
	}

	/* Refusals, each one line naming the hook. */
	extra = verdict_prog(BPF_SYS_TCX_NEXT, "tx_extra");
	o.where = TCX_BEFORE;
	o.rel_prog_id = prog_id_of(extra); /* exists, but is not on the hook */
	assert_int_equal(tcx_attach(&h, progs[0], &o, &err), -EEXIST);
	assert_string_equal(err.text,
			    "cannot attach to tx0 egress with tcx: the program is attached to tx0 egress already");
	assert_int_equal(tcx_attach(&h, extra, &o, &err), -ENOENT);
	snprintf(text, sizeof(text),
		 "cannot attach to tx0 egress with tcx: no program with id %u on tx0 egress",
		 o.rel_prog_id);
	assert_string_equal(err.text, text);
	o.where = TCX_FIRST;
	o.expected_revision = rev; /* four changes ago */
	assert_int_equal(tcx_attach(&h, extra, &o, &err), -ESTALE);
	assert_contains(err.text, "cannot attach to tx0 egress with tcx: tx0 egress changed since it was listed");
	assert_int_equal(hook_count(&h), 5);
	o.expected_revision = l.revision;
	i = tcx_attach(&h, extra, &o, &err);
	assert_true(i >= 0);
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_int_equal(l.progs[0].prog_id, prog_id_of(extra));
	close(i);
	close(extra);

	/* Closing the last fd of an unpinned link detaches it. */
	for (i = 0; i < 5; i++) {
		close(links[i]);
		close(progs[i]);
	}
	assert_int_equal(wait_hook_count(&h, 0), 0); /* at once */
	/* Empty again: the revision starts over (so an expected revision
	 * cannot tell "emptied and refilled" from "never changed"). */
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_true(l.revision == 1);
	progs[0] = verdict_prog(BPF_SYS_TCX_NEXT, "tx_again");
	links[0] = tcx_attach(&h, progs[0], NULL, &err);
	assert_true(links[0] >= 0);
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_true(l.revision == rev);
	close(links[0]);
	close(progs[0]);
	assert_int_equal(wait_hook_count(&h, 0), 0);
}

/* A hook holds 63 programs; the 64th is ERANGE. */
static void test_hook_full(void **state)
{
	enum { MAX = 63 };
	struct tcx_hook h = hook_of(DEV, TCX_DIR_INGRESS);
	struct errmsg err = { 0 };
	int progs[MAX + 1], links[MAX], i;

	for (i = 0; i <= MAX; i++)
		progs[i] = verdict_prog(BPF_SYS_TCX_NEXT, "tx_full");
	for (i = 0; i < MAX; i++) {
		links[i] = tcx_attach(&h, progs[i], NULL, &err);
		if (links[i] < 0)
			fail_msg("attach %d: %s", i, err.text);
	}
	assert_int_equal(hook_count(&h), MAX);
	assert_int_equal(tcx_attach(&h, progs[MAX], NULL, &err), -ERANGE);
	assert_string_equal(err.text, "cannot attach to tx0 ingress with tcx: "
			    "tx0 ingress holds as many programs as it can (63)");
	for (i = 0; i < MAX; i++)
		close(links[i]);
	for (i = 0; i <= MAX; i++)
		close(progs[i]);
	assert_int_equal(wait_hook_count(&h, 0), 0);
}

/* The words --dry-run prints, from the attributes tcx_attach sends. */
static void test_attach_describe(void **state)
{
	struct tcx_hook h = { .ifindex = 3, .dev = "e0", .dir = TCX_DIR_EGRESS };
	struct tcx_order o = { .where = TCX_FIRST, .expected_revision = 4 };
	char buf[256];

	tcx_attach_describe(&h, 0, &o, buf, sizeof(buf));
	assert_string_equal(buf, "bpf(BPF_LINK_CREATE) prog_fd 0 target_ifindex 3 "
			    "attach_type 47 (BPF_TCX_EGRESS) flags 0x8 (BPF_F_BEFORE) "
			    "relative_fd 0 expected_revision 4");
	h.dir = TCX_DIR_INGRESS;
	o.where = TCX_AFTER;
	o.rel_prog_id = 680;
	o.expected_revision = 0;
	tcx_attach_describe(&h, 0, &o, buf, sizeof(buf));
	assert_string_equal(buf, "bpf(BPF_LINK_CREATE) prog_fd 0 target_ifindex 3 "
			    "attach_type 46 (BPF_TCX_INGRESS) flags 0x30 (BPF_F_AFTER|BPF_F_ID) "
			    "relative_id 680 expected_revision 0");
	tcx_attach_describe(&h, 0, NULL, buf, sizeof(buf));
	assert_contains(buf, "flags 0x10 (BPF_F_AFTER) relative_fd 0");
}

/* ---- attachments without a link -------------------------------------------------- */

static int prog_attach_cmd(int cmd, int ifindex, int prog_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)ifindex; /* target_ifindex */
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_SYS_TCX_EGRESS;
	return syscall(__NR_bpf, cmd, &attr, sizeof(attr)) < 0 ? -errno : 0;
}

/* Other tools may attach with BPF_PROG_ATTACH (no link; it stays until
 * BPF_PROG_DETACH): listed with link id 0. A link's program cannot be
 * taken off with BPF_PROG_DETACH: only through the link. */
static void test_prog_attach_and_links(void **state)
{
	struct tcx_hook h = hook_of(DEV, TCX_DIR_EGRESS);
	struct errmsg err = { 0 };
	struct tcx_list l;
	int plain, linked, link;

	plain = verdict_prog(BPF_SYS_TCX_NEXT, "tx_plain");
	linked = verdict_prog(BPF_SYS_TCX_NEXT, "tx_linked");
	assert_int_equal(prog_attach_cmd(BPF_PROG_ATTACH, h.ifindex, plain), 0);
	link = tcx_attach(&h, linked, NULL, &err);
	assert_true(link >= 0);
	close(plain); /* the hook holds it */
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_int_equal(l.count, 2);
	assert_string_equal(l.progs[0].name, "tx_plain");
	assert_int_equal(l.progs[0].link_id, 0);
	assert_string_equal(l.progs[1].name, "tx_linked");
	assert_true(l.progs[1].link_id != 0);

	assert_int_equal(prog_attach_cmd(BPF_PROG_DETACH, h.ifindex, linked),
			 -EBUSY);
	assert_int_equal(hook_count(&h), 2);
	plain = bpf_sys_prog_get_fd_by_id(l.progs[0].prog_id, &err);
	assert_true(plain >= 0);
	assert_int_equal(prog_attach_cmd(BPF_PROG_DETACH, h.ifindex, plain), 0);
	close(plain);
	close(link);
	close(linked);
	assert_int_equal(wait_hook_count(&h, 0), 0);
}

/* ---- pins -------------------------------------------------------------------- */

static void test_pinned_link(void **state)
{
	struct tcx_hook h = hook_of(DEV, TCX_DIR_EGRESS);
	struct tcx_link_state st;
	struct errmsg err = { 0 };
	char path[PATH_MAX];
	struct tcx_list l;
	uint32_t prog_id;
	int prog, link;
	long ms;

	snprintf(path, sizeof(path), "%s/link_egress", pin_root);
	prog = counting_prog(0, BPF_SYS_TCX_PASS, "tx_pinned");
	prog_id = prog_id_of(prog);
	link = tcx_attach(&h, prog, NULL, &err);
	assert_true(link >= 0);
	assert_int_equal(bpf_sys_obj_pin(link, path, &err), 0);
	close(link);
	close(prog);

	/* The pin holds link and program: still attached, still running. */
	assert_int_equal(tcx_list(&h, &l, &err), 0);
	assert_int_equal(l.count, 1);
	assert_int_equal(l.progs[0].prog_id, prog_id);
	reset_counters();
	assert_int_equal(send_frames(DEV, 10), 10);
	assert_int_equal(counter(0), 10);

	link = bpf_sys_obj_get(path, 0, &err);
	assert_true(link >= 0);
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	assert_int_equal(st.prog_id, prog_id);
	assert_int_equal(st.link_id, l.progs[0].link_id);
	assert_int_equal(st.ifindex, h.ifindex);
	assert_int_equal(st.dir, TCX_DIR_EGRESS);
	close(link);
	/* By id, as another process (or tcsteer's show) would open it. */
	link = bpf_sys_link_get_fd_by_id(st.link_id, &err);
	assert_true(link >= 0);
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	assert_int_equal(st.prog_id, prog_id);
	close(link);
	assert_int_equal(bpf_sys_link_get_fd_by_id(UINT32_MAX, &err), -ENOENT);
	assert_string_equal(err.text,
			    "bpf(BPF_LINK_GET_FD_BY_ID): No such file or directory");

	/* Unlinking the pin drops the last reference: detached. (Polled in
	 * case the kernel defers the release; on 6.18 it was done by the
	 * time unlink() returned.) */
	assert_int_equal(unlink(path), 0);
	ms = wait_hook_count(&h, 0);
	assert_true(ms >= 0);
	print_message("detached %ld ms after unlink of the last pin\n", ms);

	/* A pinned program fd is no tcx link. */
	prog = verdict_prog(BPF_SYS_TCX_PASS, "tx_notlink");
	assert_true(tcx_link_state(prog, &st, &err) < 0);
	assert_contains(err.text, "cannot read the tcx link");
	close(prog);
}

/* ---- replace under traffic ----------------------------------------------------- */

struct shared {
	volatile int stop;
	volatile int started;
	/* sender */
	long sent_ok, sent_nobufs, sent_other;
	/* poller */
	long polls, min_count, zero_polls;
};

static void run_sender(struct shared *sh_)
{
	struct sender s;
	int ret;

	sender_open(&s, DEV);
	while (!sh_->stop) {
		ret = sender_send(&s);
		if (ret == 0)
			sh_->sent_ok++;
		else if (ret == -ENOBUFS)
			sh_->sent_nobufs++;
		else
			sh_->sent_other++;
		sh_->started = 1;
	}
	close(s.fd);
	_exit(0);
}

static void run_poller(struct shared *sh_, const struct tcx_hook *h)
{
	struct bpf_sys_prog_query q;
	uint32_t ids[TCX_PROGS_MAX];
	int ret;

	sh_->min_count = 1L << 30;
	while (!sh_->stop) {
		memset(&q, 0, sizeof(q));
		q.target = (uint32_t)h->ifindex;
		q.attach_type = BPF_SYS_TCX_EGRESS;
		q.prog_ids = ids;
		q.count = TCX_PROGS_MAX;
		ret = bpf_sys_prog_query(&q, NULL);
		if (ret == -ENOENT)
			q.count = 0;
		else if (ret < 0)
			_exit(1);
		if (q.count == 0)
			sh_->zero_polls++;
		if ((long)q.count < sh_->min_count)
			sh_->min_count = q.count;
		sh_->polls++;
	}
	_exit(0);
}

/* Two programs that count the test frames in slots 0 and 1 and DROP them.
 * The link swaps between them many times (LINK_UPDATE with BPF_F_REPLACE)
 * while a child sends frames as fast as it can and another child queries
 * the hook. A frame that met no program would leave tx0: sendto() would
 * return success instead of ENOBUFS (the hook's drop). So: no success at
 * all, and slot 0 + slot 1 == the number of ENOBUFS answers. */
static void test_replace_under_traffic(void **state)
{
	enum { UPDATES = 2001 };
	struct tcx_hook h = hook_of(DEV, TCX_DIR_EGRESS);
	struct errmsg err = { 0 };
	struct shared *shm;
	pid_t sender, poller;
	int progs[2], link, i, status;
	uint64_t c0, c1, before, rev0;
	long ms;

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shm != MAP_FAILED);
	memset(shm, 0, sizeof(*shm));
	reset_counters();
	progs[0] = counting_prog(0, BPF_SYS_TCX_DROP, "tx_swap_a");
	progs[1] = counting_prog(1, BPF_SYS_TCX_DROP, "tx_swap_b");
	link = tcx_attach(&h, progs[0], NULL, &err);
	assert_true(link >= 0);
	{
		struct tcx_list l;

		assert_int_equal(tcx_list(&h, &l, &err), 0);
		rev0 = l.revision;
	}

	sender = fork();
	assert_true(sender >= 0);
	if (sender == 0)
		run_sender(shm);
	poller = fork();
	assert_true(poller >= 0);
	if (poller == 0)
		run_poller(shm, &h);
	for (ms = 0; !shm->started && ms < 10000; ms += 5)
		sleep_ms(5);
	assert_true(shm->started);

	for (i = 0; i < UPDATES; i++) {
		int next = (i + 1) % 2, cur = i % 2;

		if (tcx_replace(&h, link, progs[next], progs[cur], &err) < 0)
			fail_msg("update %d: %s", i, err.text);
	}
	/* The last swap left program b; let it see traffic too. */
	before = counter(1);
	for (ms = 0; counter(1) == before && ms < 10000; ms += 5)
		sleep_ms(5);
	shm->stop = 1;
	assert_int_equal(waitpid(sender, &status, 0), sender);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(waitpid(poller, &status, 0), poller);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	c0 = counter(0);
	c1 = counter(1);
	print_message("%d updates under traffic: %ld frames dropped by the hook "
		      "(a %" PRIu64 " + b %" PRIu64 "), %ld passed it, %ld other "
		      "errors; %ld queries, fewest programs seen %ld\n",
		      UPDATES, shm->sent_nobufs, c0, c1, shm->sent_ok,
		      shm->sent_other, shm->polls, shm->min_count);
	assert_int_equal(shm->sent_ok, 0);
	assert_int_equal(shm->sent_other, 0);
	assert_true(shm->sent_nobufs > 0);
	assert_int_equal(c0 + c1, (uint64_t)shm->sent_nobufs);
	assert_true(c0 > 0 && c1 > 0);
	assert_true(shm->polls > 0);
	assert_int_equal(shm->zero_polls, 0);
	assert_int_equal(shm->min_count, 1);

	/* Every update moved the revision by one; replacing a program by
	 * itself is a no-op that does not; a wrong "old" is refused and
	 * changes nothing. */
	{
		struct tcx_list l;

		assert_int_equal(tcx_list(&h, &l, &err), 0);
		assert_true(l.revision == rev0 + UPDATES);
		assert_int_equal(tcx_replace(&h, link, progs[1], -1, &err), 0);
		assert_int_equal(tcx_list(&h, &l, &err), 0);
		assert_true(l.revision == rev0 + UPDATES);
	}
	assert_int_equal(tcx_replace(&h, link, progs[0], progs[0], &err), -EPERM);
	assert_string_equal(err.text,
			    "cannot replace the program of the tcx link on tx0 egress: the link no longer runs the program it was expected to");
	{
		struct tcx_link_state st;

		assert_int_equal(tcx_link_state(link, &st, &err), 0);
		assert_int_equal(st.prog_id, prog_id_of(progs[1]));
	}
	close(link);
	close(progs[0]);
	close(progs[1]);
	munmap(shm, sizeof(*shm));
	assert_int_equal(wait_hook_count(&h, 0), 0);
}

/* ---- detach ------------------------------------------------------------------- */

static void test_detach(void **state)
{
	struct tcx_hook h = hook_of(DEV, TCX_DIR_INGRESS);
	struct tcx_link_state st;
	struct errmsg err = { 0 };
	int prog, prog2, link, ret;

	prog = verdict_prog(BPF_SYS_TCX_NEXT, "tx_detach");
	prog2 = verdict_prog(BPF_SYS_TCX_NEXT, "tx_detach2");
	link = tcx_attach(&h, prog, NULL, &err);
	assert_true(link >= 0);
	assert_int_equal(hook_count(&h), 1);
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	assert_int_equal(st.dir, TCX_DIR_INGRESS);
	assert_int_equal(tcx_detach(&h, link, &err), 0);
	assert_int_equal(hook_count(&h), 0);

	/* The link object lives on, defunct: ifindex 0, direction kept. */
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	assert_int_equal(st.ifindex, 0);
	assert_int_equal(st.dir, TCX_DIR_INGRESS);
	assert_int_equal(st.prog_id, prog_id_of(prog));
	assert_int_equal(tcx_replace(&h, link, prog2, -1, &err), -ENOLINK);
	assert_string_equal(err.text,
			    "cannot replace the program of the tcx link on tx0 ingress: the link is defunct (its device is gone, or it was detached)");
	ret = tcx_detach(&h, link, &err);
	print_message("a second LINK_DETACH returns %d\n", ret);
	assert_int_equal(ret, 0);
	close(link);
	close(prog);
	close(prog2);
}

/* ---- verdicts and clsact ------------------------------------------------------- */

struct verdict_case {
	int verdict;
	const char *name;
	bool cls_runs;          /* does the clsact filter behind it run? */
	int sent_ok;            /* of 20 frames, how many sendto() took */
};

static void test_verdicts_and_clsact(void **state)
{
	static const struct verdict_case cases[] = {
		{ BPF_SYS_TCX_NEXT, "tx_next", true, 20 },
		{ BPF_SYS_TCX_PASS, "tx_pass", false, 20 },
		{ BPF_SYS_TCX_DROP, "tx_drop", false, 0 },
		{ TC_ACT_PIPE, "tx_pipe", true, 20 },      /* unknown: NEXT */
		{ TC_ACT_STOLEN, "tx_stolen", true, 20 },  /* unknown: NEXT */
	};
	struct tcx_hook h = hook_of(DEV, TCX_DIR_EGRESS);
	struct errmsg err = { 0 };
	struct bpf_prog_info info;
	struct tc_conn *c;
	int cls, stats, link = -1, prog, old = -1;
	uint64_t run_before;
	size_t i;

	assert_int_equal(tc_conn_open(&c, &err), 0);
	assert_int_equal(tc_clsact_replace(c, h.ifindex, &err), 0);
	cls = counting_prog(2, TC_ACT_OK, "tx_cls");
	if (tc_bpf_filter_add(c, h.ifindex, TC_PARENT_EGRESS, cls, "tx_cls",
			      &err) < 0)
		fail_msg("%s", err.text);
	stats = bpf_sys_enable_stats(&err);
	assert_true(stats >= 0);

	/* Without tcx programs the filter sees every frame. */
	reset_counters();
	assert_int_equal(send_frames(DEV, 20), 20);
	assert_int_equal(counter(2), 20);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct verdict_case *k = &cases[i];

		prog = counting_prog(0, k->verdict, k->name);
		if (link < 0)
			link = tcx_attach(&h, prog, NULL, &err);
		else if (tcx_replace(&h, link, prog, old, &err) < 0)
			fail_msg("%s", err.text);
		assert_true(link >= 0);
		if (old >= 0)
			close(old);
		old = prog;

		reset_counters();
		assert_int_equal(bpf_sys_prog_get_info(cls, &info, &err), 0);
		run_before = info.run_cnt;
		assert_int_equal(send_frames(DEV, 20), k->sent_ok);
		assert_int_equal(bpf_sys_prog_get_info(cls, &info, &err), 0);
		print_message("tcx verdict %d (%s): tcx saw %" PRIu64
			      ", clsact filter saw %" PRIu64 " (run_cnt +%" PRIu64
			      "), sendto took %d of 20\n",
			      k->verdict, k->name, counter(0), counter(2),
			      (uint64_t)(info.run_cnt - run_before), k->sent_ok);
		assert_int_equal(counter(0), 20);
		assert_int_equal(counter(2), k->cls_runs ? 20 : 0);
		/* run_cnt counts every packet, ours or not: at least ours. */
		if (k->cls_runs)
			assert_true(info.run_cnt - run_before >= 20);
		else
			assert_int_equal(info.run_cnt - run_before, 0);
	}
	close(link);
	close(old);
	close(stats);
	assert_int_equal(wait_hook_count(&h, 0), 0);
	/* Back to clsact alone. */
	reset_counters();
	assert_int_equal(send_frames(DEV, 20), 20);
	assert_int_equal(counter(2), 20);
	assert_int_equal(sh("tc qdisc del dev %s clsact", DEV), 0);
	close(cls);
	tc_conn_close(c);
}

/* ---- redirects ------------------------------------------------------------------ */

/* A frame a tcx program redirects to another device's egress passes that
 * device's hooks too: a steered reply meets the secondary interface's
 * programs (Cilium's cil_to_netdev there, for one). */
static void test_redirect_runs_target_hook(void **state)
{
	struct tcx_hook from = hook_of(DEV, TCX_DIR_EGRESS), to;
	struct errmsg err = { 0 };
	int count_fd, redir_fd, target_fd, links[3], i;

	assert_int_equal(sh("ip link add tr0 type veth peer name tr1 && "
			    "ip link set tr0 up && ip link set tr1 up"), 0);
	to = hook_of("tr0", TCX_DIR_EGRESS);
	{
		const struct bpf_insn redirect[] = {
			MOV_IMM(1, to.ifindex), MOV_IMM(2, 0),
			CALL(BPF_FUNC_redirect), EXIT(),
		};

		redir_fd = load(redirect, 4, "tx_redirect");
	}
	count_fd = counting_prog(5, BPF_SYS_TCX_NEXT, "tx_count_from");
	target_fd = counting_prog(6, BPF_SYS_TCX_PASS, "tx_count_to");
	links[0] = tcx_attach(&from, count_fd, NULL, &err);
	links[1] = tcx_attach(&from, redir_fd, NULL, &err);
	links[2] = tcx_attach(&to, target_fd, NULL, &err);
	for (i = 0; i < 3; i++)
		assert_true(links[i] >= 0);
	reset_counters();
	send_frames(DEV, 10);
	print_message("redirected from tx0 egress: tx0 hook saw %" PRIu64
		      ", tr0 egress hook saw %" PRIu64 "\n", counter(5),
		      counter(6));
	assert_int_equal(counter(5), 10);
	assert_int_equal(counter(6), 10);
	for (i = 0; i < 3; i++)
		close(links[i]);
	close(count_fd);
	close(redir_fd);
	close(target_fd);
	assert_int_equal(sh("ip link del tr0"), 0);
	assert_int_equal(wait_hook_count(&from, 0), 0);
}

/* ---- the steering program under TCX ----------------------------------------------- */

/* n UDP datagrams from src (a local address) to 10.9.8.1, routed out of
 * tx0; returns how many sendto() took. */
static int send_udp(const char *src, int n)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd, i, ok = 0;

	assert_int_equal(inet_pton(AF_INET, src, &from.sin_addr), 1);
	assert_int_equal(inet_pton(AF_INET, "10.9.8.1", &to.sin_addr), 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	for (i = 0; i < n; i++)
		ok += sendto(fd, "tcx", 3, 0, (struct sockaddr *)&to,
			     sizeof(to)) == 3;
	close(fd);
	return ok;
}

static int steer_map(const struct object_spec *obj,
		     const struct loaded_object *lo, const char *name)
{
	size_t i;

	for (i = 0; i < obj->nmaps && i < lo->nmaps; i++)
		if (!strcmp(obj->maps[i].name, name))
			return lo->map_fds[i];
	fail_msg("no map %s", name);
	return -1;
}

/* tcsteer's own program as a tcx link, first on tx0 egress, a clsact
 * filter behind it: packets it leaves alone (TC_ACT_UNSPEC = TCX_NEXT)
 * still reach the filter; steered ones (TC_ACT_REDIRECT = TCX_REDIRECT)
 * end the hook and leave by the route's device, through its hooks. */
static void test_steer_program_under_tcx(void **state)
{
	struct tcx_hook h = hook_of(DEV, TCX_DIR_EGRESS), out;
	struct tcx_order first = { .where = TCX_FIRST };
	struct steer_key4 key = { .prefixlen = 32 };
	struct steer_route route = { .slot = 1 };
	struct load_opts opts = { 0 };
	struct object_spec obj;
	struct loaded_object lo;
	const struct prog_spec *ps;
	struct errmsg err = { 0 };
	struct tc_conn *c;
	char pins[PATH_MAX];
	int cls, cls_ip, count_out, link, links[2], i, sent = 0;

	/* Replies from 10.9.9.1 (steered) and 10.9.9.9 (not) leave by tx0
	 * towards 10.9.8.1; the route sends 10.9.9.1's out of ts0 to
	 * 10.9.7.2. Permanent neighbours: no ARP in the counts. */
	assert_int_equal(sh("ip link add ts0 type veth peer name ts1 && "
			    "ip link set ts0 up && ip link set ts1 up && "
			    "ip addr add 10.9.9.1/32 dev lo && "
			    "ip addr add 10.9.9.9/32 dev lo && "
			    "ip route add 10.9.8.0/24 dev " DEV " && "
			    "ip neigh replace 10.9.8.1 lladdr 02:00:00:00:7c:01 "
			    "dev " DEV " nud permanent && "
			    "ip neigh replace 10.9.7.2 lladdr 02:00:00:00:7c:02 "
			    "dev ts0 nud permanent"), 0);
	out = hook_of("ts0", TCX_DIR_EGRESS);
	snprintf(pins, sizeof(pins), "%s/steer", pin_root);
	opts.pin_dir = pins;
	assert_int_equal(object_open(&obj, tcsteer_embedded_obj,
				     tcsteer_embedded_obj_size, &err), 0);
	ps = object_find_program(&obj, NULL, "steer", &err);
	assert_non_null(ps);
	if (object_load(&obj, ps, &opts, &lo, &err) < 0)
		fail_msg("%s", err.text);
	route.ifindex = (uint32_t)out.ifindex;
	route.nh.nh_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "10.9.7.2", &route.nh.ipv4_nh), 1);
	assert_int_equal(inet_pton(AF_INET, "10.9.9.1", key.addr), 1);
	assert_int_equal(bpf_sys_map_update(steer_map(&obj, &lo, STEER_MAP_V4),
					    &key, &route, BPF_ANY, &err), 0);

	/* Behind it on tx0: a clsact filter counting test frames (slot 2)
	 * and one counting IPv4 (slot 3); on ts0 a tcx counter (slot 4). */
	assert_int_equal(tc_conn_open(&c, &err), 0);
	assert_int_equal(tc_clsact_replace(c, h.ifindex, &err), 0);
	cls = counting_prog(2, TC_ACT_UNSPEC, "tx_cls_test");
	cls_ip = counting_prog_proto(ETH_P_IP, 3, TC_ACT_UNSPEC, "tx_cls_ip");
	assert_int_equal(tc_bpf_filter_add(c, h.ifindex, TC_PARENT_EGRESS, cls,
					   "tx_cls_test", &err), 0);
	assert_int_equal(tc_bpf_filter_add(c, h.ifindex, TC_PARENT_EGRESS, cls_ip,
					   "tx_cls_ip", &err), 0);
	count_out = counting_prog_proto(ETH_P_IP, 4, BPF_SYS_TCX_PASS,
					"tx_count_ts0");
	links[0] = tcx_attach(&out, count_out, NULL, &err);
	assert_true(links[0] >= 0);
	link = tcx_attach(&h, lo.prog_fd, &first, &err);
	if (link < 0)
		fail_msg("%s", err.text);

	reset_counters();
	assert_int_equal(send_frames(DEV, 10), 10);             /* not IP */
	sent = send_udp("10.9.9.9", 10);                        /* no route */
	sent += send_udp("10.9.9.1", 10);                       /* steered */
	print_message("steer as tcx: clsact saw %" PRIu64 " test frames and %"
		      PRIu64 " IPv4 (10 unrouted, 10 steered sent); ts0 egress "
		      "saw %" PRIu64 "; sendto took %d of 20 datagrams\n",
		      counter(2), counter(3), counter(4), sent);
	assert_int_equal(sent, 20);
	assert_int_equal(counter(2), 10);       /* left alone: the filter ran */
	assert_int_equal(counter(3), 10);       /* only the unrouted ones */
	assert_int_equal(counter(4), 10);       /* steered out of ts0 */

	/* The same with a foreign TCX_PASS program first: nothing reaches
	 * the steering program any more (the shadowing of issue 11). */
	i = verdict_prog(BPF_SYS_TCX_PASS, "tx_shadow");
	links[1] = tcx_attach(&h, i, &first, &err);
	assert_true(links[1] >= 0);
	reset_counters();
	assert_int_equal(send_udp("10.9.9.1", 10), 10);
	assert_int_equal(counter(4), 0);        /* not steered */
	assert_int_equal(counter(3), 0);        /* nor seen by clsact */
	close(links[1]);
	close(i);

	close(link);
	close(links[0]);
	close(count_out);
	close(cls);
	close(cls_ip);
	assert_int_equal(sh("tc qdisc del dev %s clsact && ip link del ts0 && "
			    "ip route del 10.9.8.0/24 && ip addr del 10.9.9.1/32 dev lo && "
			    "ip addr del 10.9.9.9/32 dev lo", DEV), 0);
	tc_conn_close(c);
	loaded_object_close(&lo);
	object_close(&obj);
	assert_int_equal(wait_hook_count(&h, 0), 0);
}

/* ---- devices that go away ------------------------------------------------------- */

/* A pinned link whose device is deleted stays, defunct: what a garbage
 * collector of records finds. */
static void test_device_deleted(void **state)
{
	struct tcx_hook h;
	struct tcx_link_state st;
	struct errmsg err = { 0 };
	struct tcx_list l;
	char path[PATH_MAX];
	int prog, prog2, link, old_ifindex;

	assert_int_equal(sh("ip link add td0 type veth peer name td1 && "
			    "ip link set td0 up && ip link set td1 up"), 0);
	h = hook_of("td0", TCX_DIR_EGRESS);
	old_ifindex = h.ifindex;
	snprintf(path, sizeof(path), "%s/link_td0", pin_root);
	prog = verdict_prog(BPF_SYS_TCX_NEXT, "tx_gone");
	prog2 = verdict_prog(BPF_SYS_TCX_NEXT, "tx_gone2");
	link = tcx_attach(&h, prog, NULL, &err);
	assert_true(link >= 0);
	assert_int_equal(bpf_sys_obj_pin(link, path, &err), 0);
	close(link);

	assert_int_equal(sh("ip link del td0"), 0);
	link = bpf_sys_obj_get(path, 0, &err);
	assert_true(link >= 0);
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	print_message("link of a deleted device: link_id %u prog_id %u "
		      "ifindex %d dir %s\n", st.link_id, st.prog_id, st.ifindex,
		      tcx_dir_name(st.dir));
	assert_int_equal(st.ifindex, 0);
	assert_int_equal(st.dir, TCX_DIR_EGRESS);
	assert_int_equal(st.prog_id, prog_id_of(prog)); /* still holds it */
	assert_int_equal(tcx_list(&h, &l, &err), -ENODEV);
	assert_contains(err.text, "cannot list the tcx programs of td0 egress: no network device with ifindex");
	assert_int_equal(tcx_link_on_hook(&h, st.link_id, &err), 0);
	assert_int_equal(tcx_replace(&h, link, prog2, -1, &err), -ENOLINK);

	/* A new device of the same name is another hook. */
	assert_int_equal(sh("ip link add td0 type veth peer name td1"), 0);
	h = hook_of("td0", TCX_DIR_EGRESS);
	assert_true(h.ifindex != old_ifindex);
	assert_int_equal(tcx_link_on_hook(&h, st.link_id, &err), 0);
	assert_int_equal(hook_count(&h), 0);

	assert_int_equal(tcx_detach(&h, link, &err), 0); /* defunct: fine */
	close(link);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(sh("ip link del td0"), 0);
	close(prog);
	close(prog2);
}

/* A device moved to another namespace takes its links along: they keep
 * running there, under the device's ifindex in that namespace, and this
 * namespace's hooks no longer list them. */
static void test_device_moved(void **state)
{
	struct tcx_hook h, there;
	struct tcx_link_state st;
	struct errmsg err = { 0 };
	char path[PATH_MAX];
	int here_ns, other_ns, prog, prog2, link, moved_ifindex;
	uint32_t link_id;

	here_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	assert_true(here_ns >= 0);
	/* A second namespace, held by an fd; back home at once. */
	assert_int_equal(unshare(CLONE_NEWNET), 0);
	other_ns = open("/proc/self/ns/net", O_RDONLY); /* no CLOEXEC: for ip */
	assert_true(other_ns >= 0);
	assert_int_equal(setns(here_ns, CLONE_NEWNET), 0);

	/* Take an ifindex the other namespace cannot have, so the move
	 * keeps it. */
	assert_int_equal(sh("ip link add tm0 index 4242 type veth peer name tm1 && "
			    "ip link set tm0 up && ip link set tm1 up"), 0);
	h = hook_of("tm0", TCX_DIR_EGRESS);
	snprintf(path, sizeof(path), "%s/link_tm0", pin_root);
	prog = counting_prog(3, BPF_SYS_TCX_PASS, "tx_moved");
	prog2 = counting_prog(4, BPF_SYS_TCX_PASS, "tx_moved2");
	link = tcx_attach(&h, prog, NULL, &err);
	assert_true(link >= 0);
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	link_id = st.link_id;

	assert_int_equal(sh("ip link set tm0 netns /proc/%d/fd/%d", (int)getpid(),
			    other_ns), 0);
	assert_int_equal(tcx_link_state(link, &st, &err), 0);
	moved_ifindex = st.ifindex;
	print_message("link of a moved device: ifindex %d (was %d), prog_id %u\n",
		      st.ifindex, h.ifindex, st.prog_id);
	assert_int_equal(moved_ifindex, 4242);
	assert_int_equal(st.prog_id, prog_id_of(prog));
	assert_int_equal(tcx_link_on_hook(&h, link_id, &err), 0); /* not here */

	/* Over there: listed, and it runs. */
	assert_int_equal(setns(other_ns, CLONE_NEWNET), 0);
	there = hook_of("tm0", TCX_DIR_EGRESS);
	assert_int_equal(there.ifindex, moved_ifindex);
	assert_int_equal(tcx_link_on_hook(&there, link_id, &err), 1);
	assert_int_equal(sh("ip link set lo up && ip link set tm0 up"), 0);
	reset_counters();
	send_frames("tm0", 5);
	assert_int_equal(counter(3), 5);
	assert_int_equal(setns(here_ns, CLONE_NEWNET), 0);

	/* From here, the link fd still works on the moved device. */
	assert_int_equal(tcx_replace(&h, link, prog2, prog, &err), 0);
	assert_int_equal(setns(other_ns, CLONE_NEWNET), 0);
	send_frames("tm0", 5);
	assert_int_equal(counter(4), 5);
	assert_int_equal(setns(here_ns, CLONE_NEWNET), 0);
	assert_int_equal(tcx_detach(&h, link, &err), 0);
	assert_int_equal(setns(other_ns, CLONE_NEWNET), 0);
	assert_int_equal(hook_count(&there), 0);
	assert_int_equal(setns(here_ns, CLONE_NEWNET), 0);

	close(link);
	close(prog);
	close(prog2);
	close(other_ns); /* the namespace, and tm0 in it, go */
	close(here_ns);
}

/* ---- set-up -------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	return remove(path);
}

/* Pin directories of runs that died (their pid is gone). */
static void cleanup_stale_runs(void)
{
	DIR *d = opendir(BPFFS_DEFAULT_MOUNT);
	struct dirent *e;
	char path[PATH_MAX];
	int pid;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "tcsteer_tx_%d", &pid) != 1 || pid <= 0 ||
		    kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", BPFFS_DEFAULT_MOUNT,
			 e->d_name);
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
}

static int skip_run(const char *why)
{
	printf("SKIP test_tcx: %s\n", why);
	return 77;
}

static int make_lab(void)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8,
		.max_entries = SLOTS, .name = "tx_count", .btf_fd = -1,
		.inner_map_fd = -1,
	};
	struct errmsg err = { 0 };

	/* Own namespace: the devices are ours alone and go with us. */
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	if (sh("ip link set lo up && ip link add " DEV " type veth peer name tx1 && "
	       "ip link set tx1 up && ip link set " DEV " up && "
	       "sysctl -qw net.ipv6.conf.all.disable_ipv6=1") != 0)
		return -EIO;
	dev_ifindex = (int)if_nametoindex(DEV);
	count_map = bpf_sys_map_create(&a, &err);
	if (count_map < 0) {
		fprintf(stderr, "%s\n", err.text);
		return count_map;
	}
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, fd_setup, fd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe),
		T(test_attach_order),
		T(test_hook_full),
		T(test_attach_describe),
		T(test_prog_attach_and_links),
		T(test_pinned_link),
		T(test_replace_under_traffic),
		T(test_detach),
		T(test_verdicts_and_clsact),
		T(test_redirect_runs_target_hook),
		T(test_steer_program_under_tcx),
		T(test_device_deleted),
		T(test_device_moved),
	};
	struct errmsg err = { 0 };
	int failed, ret;

	if (geteuid() != 0)
		return skip_run("needs root");
	if (bpffs_ensure_mounted(BPFFS_DEFAULT_MOUNT, stdout, &err) < 0)
		return skip_run(err.text);
	ret = make_lab();
	if (ret < 0) {
		fprintf(stderr, "test_tcx: cannot set up the namespace: %s\n",
			strerror(-ret));
		return 1;
	}
	if (tcx_probe(dev_ifindex, &err) < 0)
		return skip_run(err.text);
	cleanup_stale_runs();
	snprintf(pin_root, sizeof(pin_root), "%s/tcsteer_tx_%d",
		 BPFFS_DEFAULT_MOUNT, (int)getpid());
	if (bpffs_mkdir_p(pin_root, 0700, &err) < 0) {
		fprintf(stderr, "%s\n", err.text);
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	nftw(pin_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? 1 : 0;
}
