/* SPDX-License-Identifier: MIT */
/* learn_bench: nanoseconds per packet of return-path learning
 * (prog/steer_learn.h) against a plain via route, with BPF_PROG_TEST_RUN.
 *
 *   learn_bench [-t MS] [-k K] [-f FLOWS] OBJECT
 *
 * OBJECT is the shipped prog/steer.bpf.c compiled (the Makefile's
 * dp/steer.o): its steering program (steer), learner (steer_learn) and
 * lookup (steer_reply) are loaded with tcsteer's own loader onto one
 * table, unpinned, as the CLI sets them up for a learn route: the lookup
 * in steer_tail's slot, a flow table (LRU hash) in steer_flows'. The
 * table holds a via route (10.1.0.0/16, 2001:db8:1::/48) and a learn
 * route (192.168.1.0/24, 2001:db8:5::/64) naming one interface, and the
 * flow table FLOWS learned flows (default 10000) besides the measured one.
 *
 * The process unshares a network namespace with a veth pair: the learner's
 * runs name one end as their skb's device, so its requests are PACKET_HOST
 * there, as they are on a learn interface.
 *
 * Cases, IPv4 and IPv6, each a TCP packet:
 *   steer via       a reply hitting the via route: redirect_neigh (the yardstick)
 *   steer learned   a reply of a learned flow: the jump to steer_reply, the
 *                   flow lookup, the MAC rewrite, redirect
 *   steer unknown   a reply of a learn route whose flow is not in the table
 *   steer miss      a packet matching no route
 *   learn request   the learner on a request of a known flow (the steady state)
 *   learn other     the learner on a packet to an address of no learn route
 *                   (what all other traffic of a learn interface pays)
 * Every program runs K times (default 5), each run a repeat count that
 * lasts about MS milliseconds (default 20).
 *
 * Output, tab-separated, one line per case:
 *   run PROG CASE FAMILY NS_MEDIAN NS_MIN NS_MAX REPEAT RETVAL
 * A wrong verdict (a redirect where a pass is due, or the other way round)
 * is an error: one line on stderr, exit 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "load.h"
#include "object.h"
#include "steer_maps.h"

#define PASS (-1)
#define REDIRECT 7
#define MAX_K 50
#define VETH "lbench0"

static const uint8_t own_mac[6] = { 0x02, 0x1e, 0, 0, 0, 0xa };
static const uint8_t router_mac[6] = { 0x02, 0xaa, 0, 0, 0, 1 };

struct opts {
	const char *object;
	unsigned int target_ms, k, flows;
};

static struct {
	struct object_spec obj;
	struct loaded_object steer, learn, reply;
	int v4, v6, stats, tail, outer, flows;
	int ifindex, via_ifindex;
} B;

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("learn_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int map_fd(const struct loaded_object *lo, const char *name)
{
	size_t i;

	for (i = 0; i < B.obj.nmaps; i++)
		if (!strcmp(B.obj.maps[i].name, name) && lo->map_fds[i] >= 0)
			return lo->map_fds[i];
	return -1;
}

static void load(const char *prog, struct loaded_object *lo,
		 const struct load_reuse *reuse, size_t n)
{
	struct load_opts lopts = { .no_pins = true, .reuse = reuse, .nreuse = n };
	const struct prog_spec *p;
	struct errmsg err = { 0 };

	p = object_find_program(&B.obj, NULL, prog, &err);
	if (!p || object_load(&B.obj, p, &lopts, lo, &err))
		die("%s: %s", prog, err.text);
}

static void open_object(const char *path)
{
	struct errmsg err = { 0 };
	FILE *f = fopen(path, "rb");
	long len;
	void *buf;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		die("%s: cannot read", path);
	buf = malloc((size_t)len);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("%s: cannot read", path);
	fclose(f);
	if (object_open(&B.obj, buf, (size_t)len, &err))
		die("%s: %s", path, err.text);
	free(buf);
}

/* The table as `route add ... learn` leaves it. */
static void set_up(const struct opts *o)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_LRU_HASH,
		.key_size = sizeof(struct steer_flow_key),
		.value_size = sizeof(struct steer_flow),
		.max_entries = o->flows + 1024 < STEER_FLOWS_DEFAULT ?
			       STEER_FLOWS_DEFAULT : o->flows + 1024,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	struct load_reuse reuse[4];
	struct errmsg err = { 0 };
	uint32_t zero = 0;

	open_object(o->object);
	load("steer", &B.steer, NULL, 0);
	B.v4 = map_fd(&B.steer, STEER_MAP_V4);
	B.v6 = map_fd(&B.steer, STEER_MAP_V6);
	B.stats = map_fd(&B.steer, STEER_MAP_STATS);
	B.tail = map_fd(&B.steer, STEER_MAP_TAIL);
	if (B.v4 < 0 || B.v6 < 0 || B.stats < 0 || B.tail < 0)
		die("%s: steer lacks the table's maps", o->object);
	reuse[0] = (struct load_reuse){ STEER_MAP_V4, B.v4 };
	reuse[1] = (struct load_reuse){ STEER_MAP_V6, B.v6 };
	load(STEER_PROG_LEARN, &B.learn, reuse, 2);
	B.outer = map_fd(&B.learn, STEER_MAP_FLOWS);
	if (B.outer < 0)
		die("%s: the learner has no flow table", o->object);
	reuse[2] = (struct load_reuse){ STEER_MAP_FLOWS, B.outer };
	reuse[3] = (struct load_reuse){ STEER_MAP_STATS, B.stats };
	load(STEER_PROG_REPLY, &B.reply, reuse + 2, 2);
	B.flows = bpf_sys_map_create(&a, &err);
	if (B.flows < 0 || bpf_sys_map_update(B.outer, &zero, &B.flows, BPF_ANY, &err) ||
	    bpf_sys_map_update(B.tail, &zero, &B.reply.prog_fd, BPF_ANY, &err))
		die("flow table: %s", err.text);
}

static void tear_down(void)
{
	close(B.flows);
	loaded_object_close(&B.reply);
	loaded_object_close(&B.learn);
	loaded_object_close(&B.steer);
	object_close(&B.obj);
}

/* ---- routes and flows ---------------------------------------------------- */

static void add_route(const char *prefix, unsigned int plen, bool learn, uint32_t slot)
{
	struct steer_route r = { .slot = slot };
	struct steer_key4 k4 = { .prefixlen = plen };
	struct steer_key6 k6 = { .prefixlen = plen };
	struct errmsg err = { 0 };
	int ret;

	if (learn) {
		r.flags = STEER_ROUTE_LEARN;
		r.learn_ifindex[0] = (uint32_t)B.ifindex;
	} else {
		/* A device that exists (the MTU check passes packets of a
		 * gone one to the main table); test runs transmit nothing. */
		r.ifindex = (uint32_t)B.via_ifindex;
		r.nh.nh_family = AF_INET;
		r.nh.ipv4_nh = htonl(0xc0000201);
	}
	if (inet_pton(AF_INET, prefix, k4.addr) == 1)
		ret = bpf_sys_map_update(B.v4, &k4, &r, BPF_ANY, &err);
	else if (inet_pton(AF_INET6, prefix, k6.addr) == 1)
		ret = bpf_sys_map_update(B.v6, &k6, &r, BPF_ANY, &err);
	else
		die("bad prefix %s", prefix);
	if (ret)
		die("route %s: %s", prefix, err.text);
}

/* n flows of other clients, learned as the learner would have. */
static void fill_flows(unsigned int n)
{
	struct steer_flow f = { .ifindex = (uint32_t)B.ifindex, .seen_ns = 1 };
	struct steer_flow_key k;
	struct errmsg err = { 0 };
	unsigned int i;

	memcpy(f.eth, router_mac, 6);
	memcpy(f.eth + 6, own_mac, 6);
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		k.family = STEER_FLOW_V4;
		inet_pton(AF_INET, "192.168.1.5", k.local);
		k.remote[0] = 172;
		k.remote[1] = 16 + (uint8_t)(i >> 16);
		k.remote[2] = (uint8_t)(i >> 8);
		k.remote[3] = (uint8_t)i;
		k.proto = 6;
		k.local_port = htons(80);
		k.remote_port = htons((uint16_t)(1024 + i % 60000));
		if (bpf_sys_map_update(B.flows, &k, &f, BPF_ANY, &err))
			die("fill flow %u: %s", i, err.text);
	}
}

/* ---- packets ------------------------------------------------------------- */

struct pkt {
	uint8_t b[128];
	uint32_t len;
};

/* Ethernet + IP + a 20-byte TCP header from src:sport to dst:dport. */
static struct pkt tcp_packet(const uint8_t *dmac, const uint8_t *smac, const char *src,
			     const char *dst, uint16_t sport, uint16_t dport)
{
	struct pkt p = { .len = 0 };
	bool v6 = strchr(src, ':') != NULL;
	uint8_t *ip, *tcp;

	memcpy(p.b, dmac, 6);
	memcpy(p.b + 6, smac, 6);
	p.b[12] = v6 ? 0x86 : 0x08;
	p.b[13] = v6 ? 0xdd : 0x00;
	ip = p.b + 14;
	if (v6) {
		ip[0] = 0x60;
		ip[5] = 20;
		ip[6] = 6;
		ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
		tcp = ip + 40;
	} else {
		ip[0] = 0x45;
		ip[3] = 40;
		ip[8] = 64;
		ip[9] = 6;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
		tcp = ip + 20;
	}
	tcp[0] = sport >> 8;
	tcp[1] = sport & 0xff;
	tcp[2] = dport >> 8;
	tcp[3] = dport & 0xff;
	tcp[12] = 0x50;
	tcp[13] = 0x10;
	p.len = (uint32_t)(tcp + 20 - p.b);
	return p;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int test_run(int prog_fd, int ifindex, const struct pkt *p, uint32_t repeat,
		    uint32_t *ns, int *retval)
{
	struct __sk_buff ctx = { .ifindex = (uint32_t)ifindex };
	uint8_t out[256];
	struct bpf_sys_test_run t = {
		.prog_fd = prog_fd,
		.data_in = p->b,
		.data_size_in = p->len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.ctx_in = ifindex > 1 ? &ctx : NULL,
		.ctx_size_in = sizeof(ctx),
		.repeat = repeat,
	};
	struct errmsg err = { 0 };

	if (bpf_sys_prog_test_run(&t, &err))
		die("test run: %s", err.text);
	*ns = t.duration;
	*retval = (int)t.retval;
	return 0;
}

/* One case: K runs of about MS ms each, their median. */
static void bench(const struct opts *o, const char *prog_name, int prog_fd, int ifindex,
		  const char *what, const char *family, const struct pkt *p, int want)
{
	uint32_t repeat = 1000, ns[MAX_K], d;
	int retval;
	unsigned int i;

	/* Size the repeat count: about target_ms per run. */
	test_run(prog_fd, ifindex, p, repeat, &d, &retval);
	if (retval != want)
		die("%s %s %s: verdict %d, expected %d", prog_name, what, family, retval, want);
	if (d)
		repeat = (uint32_t)((uint64_t)o->target_ms * 1000000 / d);
	if (repeat < 100)
		repeat = 100;
	for (i = 0; i < o->k; i++)
		test_run(prog_fd, ifindex, p, repeat, &ns[i], &retval);
	qsort(ns, o->k, sizeof(ns[0]), cmp_u32);
	printf("run\t%s\t%s\t%s\t%u\t%u\t%u\t%u\t%d\n", prog_name, what, family,
	       ns[o->k / 2], ns[0], ns[o->k - 1], repeat, retval);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr, "usage: learn_bench [-t MS] [-k K] [-f FLOWS] OBJECT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const uint8_t gw[6] = { 0x02, 0x6e, 0, 0, 0, 1 }, eth0[6] = { 0x02, 0xe0 };
	struct opts o = { .target_ms = 20, .k = 5, .flows = 10000 };
	static const struct {
		const char *family, *vip, *client, *via_src, *other_dst;
	} fam[] = {
		{ "ipv4", "192.168.1.5", "10.111.222.10", "10.1.2.3", "192.168.2.1" },
		{ "ipv6", "2001:db8:5::5", "2001:db8:222::10", "2001:db8:1::3",
		  "2001:db8:6::1" },
	};
	size_t i;
	int c;

	while ((c = getopt(argc, argv, "t:k:f:")) != -1) {
		if (c == 't')
			o.target_ms = (unsigned int)atoi(optarg);
		else if (c == 'k')
			o.k = (unsigned int)atoi(optarg);
		else if (c == 'f')
			o.flows = (unsigned int)atoi(optarg);
		else
			usage();
	}
	if (optind + 1 != argc || !o.target_ms || !o.k || o.k > MAX_K)
		usage();
	o.object = argv[optind];
	if (unshare(CLONE_NEWNET))
		die("unshare: %s (run as root)", strerror(errno));
	if (system("ip link add " VETH " type veth peer name " VETH "p && "
		   "ip link set " VETH " address 02:1e:00:00:00:0a"))
		die("cannot make the veth pair");
	B.ifindex = (int)if_nametoindex(VETH);
	B.via_ifindex = (int)if_nametoindex(VETH "p");
	set_up(&o);
	add_route("10.1.0.0", 16, false, 1);
	add_route("2001:db8:1::", 48, false, 1);
	add_route("192.168.1.0", 24, true, 2);
	add_route("2001:db8:5::", 64, true, 3);
	fill_flows(o.flows);

	for (i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		struct pkt rq = tcp_packet(own_mac, router_mac, fam[i].client, fam[i].vip,
					   40000, 80);
		struct pkt rp = tcp_packet(gw, eth0, fam[i].vip, fam[i].client, 80, 40000);
		struct pkt unknown = tcp_packet(gw, eth0, fam[i].vip, fam[i].client, 80, 40001);
		struct pkt via = tcp_packet(gw, eth0, fam[i].via_src, fam[i].client, 80, 40000);
		struct pkt miss = tcp_packet(gw, eth0, fam[i].client, fam[i].vip, 40000, 80);
		struct pkt other = tcp_packet(own_mac, router_mac, fam[i].client,
					      fam[i].other_dst, 40000, 80);
		const char *f = fam[i].family;

		/* The request first: it teaches the flow the replies use. */
		bench(&o, STEER_PROG_LEARN, B.learn.prog_fd, B.ifindex, "request", f, &rq, PASS);
		bench(&o, STEER_PROG_LEARN, B.learn.prog_fd, B.ifindex, "other", f, &other, PASS);
		bench(&o, "steer", B.steer.prog_fd, 1, "via", f, &via, REDIRECT);
		bench(&o, "steer", B.steer.prog_fd, 1, "learned", f, &rp, REDIRECT);
		bench(&o, "steer", B.steer.prog_fd, 1, "unknown", f, &unknown, PASS);
		bench(&o, "steer", B.steer.prog_fd, 1, "miss", f, &miss, PASS);
	}
	tear_down();
	return 0;
}
