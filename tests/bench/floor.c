/* SPDX-License-Identifier: MIT */
/* floor: the least a process can do to load the steering program and
 * attach it, the bench's lower bound for tcsteer.
 *
 *   floor [-s] DEV...     load once, attach to each DEV's egress
 *   floor -x DEV...       the same with TCX (kernel >= 6.6) instead of
 *                         clsact: one bpf(BPF_PROG_ATTACH) per device
 *   floor -m DEV...       maps and a program of their own for each DEV,
 *                         attached with clsact (the least a table per
 *                         device costs)
 *   floor -X DEV...       detach every TCX egress program from each DEV
 *                         and print how many there were (bench cleanup)
 *   floor -P              create one 16384-slot per-CPU array, print how
 *                         many microseconds that took (the bench waits
 *                         for the kernel to finish freeing the last run's
 *                         arrays before timing the next one)
 *   floor -D DEV [DIR]    delete DEV's clsact qdisc (gone already is fine)
 *                         and the directory DIR with everything in it:
 *                         the bench's cleanup between two timed runs, far
 *                         cheaper than starting tc and rm
 *   floor -V              start and exit (process start cost)
 *
 * The instructions are compiled in (floor_prog.h, generated from the object
 * by gen_floor.py; built once for the steering program, once for the empty
 * one), the maps are hard-coded from steer_maps.h (only those the program
 * refers to are created), there is no BTF, no pin, no ELF parsing, no
 * libmnl: raw bpf() and one netlink socket, linked statically. Per device
 * it sends the clsact qdisc and the cls_bpf filter (the same bytes as
 * tcsteer and the Go tool) in one sendmsg and reads the two ACKs. -s
 * loads with the verifier's statistics (log level 4) and prints them on
 * stderr. Any failure: one line, exit 1. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "steer_maps.h"

struct floor_ref {
	unsigned int insn;
	const char *map;
};

#include "floor_prog.h"

#define NL_BUF 8192
/* enum bpf_attach_type, newer than Debian 12's UAPI headers (6.1). */
#define FLOOR_TCX_EGRESS 47

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("floor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int ifindex_of(const char *dev)
{
	int ifindex = (int)if_nametoindex(dev);

	if (!ifindex)
		die("%s: %s", dev, strerror(errno));
	return ifindex;
}

struct floor_map {
	const char *name;
	uint32_t type, key, value, flags;
	int fd;
	uint32_t max;                   /* 0: STEER_MAX_ROUTES */
};

/* The steering program's maps, as prog/steer.bpf.c defines them. */
static struct floor_map maps[] = {
	{ STEER_MAP_V4, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct steer_key4),
	  sizeof(struct steer_route), BPF_F_NO_PREALLOC, -1, 0 },
	{ STEER_MAP_V6, BPF_MAP_TYPE_LPM_TRIE, sizeof(struct steer_key6),
	  sizeof(struct steer_route), BPF_F_NO_PREALLOC, -1, 0 },
	{ STEER_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, sizeof(uint32_t),
	  sizeof(struct steer_counter), 0, -1, 0 },
	/* the jump to the lookup of learn routes, empty */
	{ STEER_MAP_TAIL, BPF_MAP_TYPE_PROG_ARRAY, sizeof(uint32_t),
	  sizeof(uint32_t), 0, -1, 1 },
};
#define NMAPS (sizeof(maps) / sizeof(maps[0]))

static bool map_used(const char *name)
{
	const struct floor_ref *r;

	for (r = floor_refs; r->map; r++)
		if (!strcmp(r->map, name))
			return true;
	return false;
}

/* The maps the program refers to (none for the empty program). */
static void create_maps(void)
{
	union bpf_attr a;
	size_t i;

	for (i = 0; i < NMAPS; i++) {
		if (!map_used(maps[i].name))
			continue;
		memset(&a, 0, sizeof(a));
		a.map_type = maps[i].type;
		a.key_size = maps[i].key;
		a.value_size = maps[i].value;
		a.max_entries = maps[i].max ? maps[i].max : STEER_MAX_ROUTES;
		a.map_flags = maps[i].flags;
		strncpy(a.map_name, maps[i].name, sizeof(a.map_name) - 1);
		maps[i].fd = sys_bpf(BPF_MAP_CREATE, &a);
		if (maps[i].fd < 0)
			die("create map %s: %s", maps[i].name, strerror(errno));
	}
}

static int map_fd(const char *name)
{
	size_t i;

	for (i = 0; i < NMAPS; i++)
		if (!strcmp(maps[i].name, name))
			return maps[i].fd;
	die("program refers to unknown map %s", name);
	return -1;
}

static int load_prog(int stats)
{
	static char log[64 << 10];
	size_t n = sizeof(floor_insns) / sizeof(floor_insns[0]);
	struct bpf_insn *insns = malloc(sizeof(floor_insns));
	const struct floor_ref *r;
	union bpf_attr a;
	int fd;

	if (!insns)
		die("out of memory");
	memcpy(insns, floor_insns, sizeof(floor_insns));
	for (r = floor_refs; r->map; r++) {
		insns[r->insn].src_reg = BPF_PSEUDO_MAP_FD;
		insns[r->insn].imm = map_fd(r->map);
	}
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SCHED_CLS;
	a.insns = (uintptr_t)insns;
	a.insn_cnt = (uint32_t)n;
	a.license = (uintptr_t)floor_license;
	strncpy(a.prog_name, floor_name, sizeof(a.prog_name) - 1);
	if (stats) {
		a.log_level = 4;
		a.log_buf = (uintptr_t)log;
		a.log_size = sizeof(log);
	}
	fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd < 0)
		die("load program: %s", strerror(errno));
	if (stats)
		fputs(log, stderr);
	free(insns);
	return fd;
}

/* ---- rtnetlink, by hand ------------------------------------------------ */

static void *put_attr(struct nlmsghdr *nlh, uint16_t type, const void *data,
		      size_t len)
{
	struct nlattr *na = (void *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	na->nla_type = type;
	na->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (data)
		memcpy((char *)na + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(na->nla_len);
	return na;
}

static struct nlmsghdr *put_tc(char *buf, uint16_t type, uint16_t flags,
			       uint32_t seq, int ifindex, uint32_t handle,
			       uint32_t parent, uint32_t info)
{
	struct nlmsghdr *nlh = (void *)buf;
	struct tcmsg *tcm = NLMSG_DATA(nlh);

	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*tcm));
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	tcm->tcm_info = info;
	return nlh;
}

/* The clsact qdisc and the filter, back to back in buf; returns the
 * bytes used. */
static size_t build_attach(char *buf, uint32_t seq, int ifindex, int prog_fd)
{
	struct nlmsghdr *q, *f;
	struct nlattr *opts;
	uint32_t v;
	char name[64];

	q = put_tc(buf, RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_ACK |
		   NLM_F_REPLACE | NLM_F_CREATE, seq, ifindex,
		   TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT, 0);
	put_attr(q, TCA_KIND, "clsact", sizeof("clsact"));
	f = put_tc(buf + NLMSG_ALIGN(q->nlmsg_len), RTM_NEWTFILTER,
		   NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, seq + 1, ifindex,
		   1, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
		   TC_H_MAKE(0, htons(ETH_P_ALL)));
	put_attr(f, TCA_KIND, "bpf", sizeof("bpf"));
	opts = put_attr(f, TCA_OPTIONS, NULL, 0);
	v = (uint32_t)prog_fd;
	put_attr(f, TCA_BPF_FD, &v, sizeof(v));
	snprintf(name, sizeof(name), "SchedCLS(%s)#%d", floor_name, prog_fd);
	put_attr(f, TCA_BPF_NAME, name, strlen(name) + 1);
	v = TCA_BPF_FLAG_ACT_DIRECT;
	put_attr(f, TCA_BPF_FLAGS, &v, sizeof(v));
	opts->nla_len = (uint16_t)((char *)f + f->nlmsg_len - (char *)opts);
	return NLMSG_ALIGN(q->nlmsg_len) + f->nlmsg_len;
}

/* Read until `want` ACKs have come; any error ends the process. */
static void read_acks(int sock, int want, const char *dev)
{
	static char buf[NL_BUF];

	while (want > 0) {
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		struct nlmsghdr *nlh = (void *)buf;

		if (n < 0)
			die("netlink recv: %s", strerror(errno));
		for (; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			struct nlmsgerr *e = NLMSG_DATA(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (e->error)
				die("attach to %s: %s", dev, strerror(-e->error));
			want--;
		}
	}
}

/* prog_fd < 0: maps and program of its own for every device (what a
 * table per device costs at the least). */
static void attach_all(int prog_fd, char **devs, int ndevs)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[1024] __attribute__((aligned(4)));
	bool own = prog_fd < 0;
	uint32_t seq = 1;
	int sock, i;

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		die("netlink socket: %s", strerror(errno));
	for (i = 0; i < ndevs; i++) {
		int ifindex = ifindex_of(devs[i]);
		size_t len;

		if (own) {
			create_maps();
			prog_fd = load_prog(0);
		}
		memset(buf, 0, sizeof(buf));
		len = build_attach(buf, seq, ifindex, prog_fd);
		seq += 2;
		if (sendto(sock, buf, len, 0, (struct sockaddr *)&kernel,
			   sizeof(kernel)) < 0)
			die("netlink send: %s", strerror(errno));
		read_acks(sock, 2, devs[i]);
	}
	close(sock);
}

/* ---- TCX: one bpf() per device ----------------------------------------- */

static void tcx_attach_all(int prog_fd, char **devs, int ndevs)
{
	union bpf_attr a;
	int i;

	for (i = 0; i < ndevs; i++) {
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)ifindex_of(devs[i]); /* target_ifindex */
		a.attach_bpf_fd = (uint32_t)prog_fd;
		a.attach_type = FLOOR_TCX_EGRESS;
		if (sys_bpf(BPF_PROG_ATTACH, &a))
			die("tcx attach to %s: %s", devs[i], strerror(errno));
	}
}

static int tcx_detach(const char *dev)
{
	uint32_t ids[64], i;
	int ifindex = ifindex_of(dev), n = 0;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)ifindex;
	a.query.attach_type = FLOOR_TCX_EGRESS;
	a.query.prog_ids = (uintptr_t)ids;
	a.query.prog_cnt = 64;
	if (sys_bpf(BPF_PROG_QUERY, &a))
		die("tcx query %s: %s", dev, strerror(errno));
	for (i = 0; i < a.query.prog_cnt && i < 64; i++) {
		union bpf_attr g, d;
		int fd;

		memset(&g, 0, sizeof(g));
		g.prog_id = ids[i];
		fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (fd < 0)
			continue;       /* gone meanwhile */
		memset(&d, 0, sizeof(d));
		d.target_fd = (uint32_t)ifindex;
		d.attach_bpf_fd = (uint32_t)fd;
		d.attach_type = FLOOR_TCX_EGRESS;
		if (!sys_bpf(BPF_PROG_DETACH, &d))
			n++;
		close(fd);
	}
	return n;
}

/* ---- cleanup between runs -------------------------------------------- */

static void delete_clsact(const char *dev)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[256] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh;
	int sock;

	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		die("netlink socket: %s", strerror(errno));
	nlh = put_tc(buf, RTM_DELQDISC, NLM_F_REQUEST | NLM_F_ACK, 1,
		     ifindex_of(dev), TC_H_MAKE(TC_H_CLSACT, 0), TC_H_CLSACT, 0);
	put_attr(nlh, TCA_KIND, "clsact", sizeof("clsact"));
	if (sendto(sock, buf, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		die("netlink send: %s", strerror(errno));
	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), 0);
		struct nlmsgerr *e = NLMSG_DATA(nlh);

		if (n < 0)
			die("netlink recv: %s", strerror(errno));
		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		/* No qdisc there (ENOENT, EINVAL on older kernels): done. */
		if (e->error && e->error != -ENOENT && e->error != -EINVAL)
			die("delete clsact of %s: %s", dev, strerror(-e->error));
		break;
	}
	close(sock);
}

static void probe_percpu(void)
{
	struct timespec t0, t1;
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_PERCPU_ARRAY;
	a.key_size = sizeof(uint32_t);
	a.value_size = sizeof(struct steer_counter);
	a.max_entries = 16384;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = sys_bpf(BPF_MAP_CREATE, &a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (fd < 0)
		die("create probe map: %s", strerror(errno));
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000L +
	       (t1.tv_nsec - t0.tv_nsec) / 1000);
}

/* Remove dir and everything under it (tcsteer's state of a namespace:
 * netns/<cookie>/if<N>/..., table-<name>/...). Errors are ignored: what
 * is gone already is fine. */
static void remove_tree(const char *dir)
{
	char path[4096];
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (unlink(path) && (errno == EISDIR || errno == EPERM))
			remove_tree(path);
	}
	closedir(dp);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	int stats = 0, tcx = 0, own = 0, first = 1, prog_fd, i, n = 0;

	if (argc == 2 && !strcmp(argv[1], "-V")) {
		puts("floor");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "-P")) {
		probe_percpu();
		return 0;
	}
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "-D")) {
		delete_clsact(argv[2]);
		if (argc == 4)
			remove_tree(argv[3]);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "-X")) {
		for (i = 2; i < argc; i++)
			n += tcx_detach(argv[i]);
		printf("%d\n", n);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "-s") || !strcmp(argv[1], "-x") ||
			 !strcmp(argv[1], "-m"))) {
		stats = argv[1][1] == 's';
		tcx = argv[1][1] == 'x';
		own = argv[1][1] == 'm';
		first = 2;
	}
	if (first >= argc) {
		fputs("usage: floor [-s|-x|-m] DEV... | floor -X DEV... | "
		      "floor -D DEV [DIR] | floor -P | floor -V\n", stderr);
		return 2;
	}
	if (own) {
		attach_all(-1, argv + first, argc - first);
		return 0;
	}
	create_maps();
	prog_fd = load_prog(stats);
	if (tcx)
		tcx_attach_all(prog_fd, argv + first, argc - first);
	else
		attach_all(prog_fd, argv + first, argc - first);
	return 0;
}
