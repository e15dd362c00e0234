/* SPDX-License-Identifier: MIT */
/* Return-path learning on the real kernel (prog/steer_learn.h): the
 * embedded object's learner (steer_learn), steering program (steer) and
 * lookup (steer_reply) are loaded with the project's loader onto one set
 * of maps, a flow table is put in steer_flows' slot and the lookup in
 * steer_tail's, as `route add ... learn` does, and crafted requests and
 * replies go through BPF_PROG_TEST_RUN.
 *
 * The process unshares a network namespace of its own with two veth
 * pairs: a request's test run names one of them as its skb's device
 * (__sk_buff.ifindex), so the learner sees the interface it "came in on"
 * and, with the frame sent to that device's MAC, PACKET_HOST. Replies run
 * on loopback (ifindex 1), as on the primary interface's egress; nothing
 * is transmitted, so a redirect is seen as TC_ACT_REDIRECT and the frame
 * the program leaves behind (its MAC addresses).
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for unshare): exits 77
 * otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "embedded.h"
#include "load.h"
#include "object.h"
#include "steer_maps.h"

#define LO 1
#define PASS ((uint32_t)-1)     /* TC_ACT_UNSPEC as test runs report it */
#define REDIRECT 7
#define FLOWS 1024

/* Two learn interfaces (veth ends A and B; their peers only exist to make
 * them) with MACs of our choosing, and the routers' MACs behind them. */
static const uint8_t MAC_A[6] = { 0x02, 0x1e, 0, 0, 0, 0xa };
static const uint8_t MAC_B[6] = { 0x02, 0x1e, 0, 0, 0, 0xb };
static const uint8_t ROUTER_A[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
static const uint8_t ROUTER_B[6] = { 0x02, 0xbb, 0, 0, 0, 1 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t OTHER[6] = { 0x02, 0x99, 0, 0, 0, 9 };

static struct {
	struct object_spec obj;
	bool obj_open;
	struct loaded_object steer, learn, reply;
	bool steer_loaded, learn_loaded, reply_loaded;
	int v4, v6, stats, flows_outer, flows, tail;
	int if_a, if_b;
	unsigned int ncpus;
} S = { .flows = -1 };

/* ---- setup ---------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static unsigned int possible_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	unsigned int a, b;

	if (f && fscanf(f, "%u-%u", &a, &b) == 2)
		n = b + 1;
	if (f)
		fclose(f);
	return n > 0 ? (unsigned int)n : 1;
}

static int map_fd(const struct loaded_object *lo, const char *name)
{
	for (size_t i = 0; i < S.obj.nmaps; i++)
		if (!strcmp(S.obj.maps[i].name, name))
			return i < lo->nmaps ? lo->map_fds[i] : -1;
	return -1;
}

static int load_prog(const char *name, struct loaded_object *lo,
		     const struct load_reuse *reuse, size_t nreuse)
{
	struct load_opts opts = { .reuse = reuse, .nreuse = nreuse, .no_pins = true };
	const struct prog_spec *p;
	struct errmsg err = { 0 };

	p = object_find_program(&S.obj, NULL, name, &err);
	if (!p || object_load(&S.obj, p, &opts, lo, &err)) {
		fprintf(stderr, "%s: %s\n", name, err.text);
		return -1;
	}
	return 0;
}

/* steer_reply in steer_tail's slot (or out of it), as `route add ...
 * learn` puts it there with the table's first learn route. */
static void set_reply(bool on)
{
	uint32_t zero = 0;
	int fd = S.reply.prog_fd;

	if (on)
		assert_int_equal(bpf_sys_map_update(S.tail, &zero, &fd, BPF_ANY, NULL), 0);
	else
		bpf_sys_map_delete(S.tail, &zero, NULL);
}

/* A new flow table in the slot, as `route add ... learn` makes it. */
static void new_flow_table(unsigned int entries)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_LRU_HASH,
		.key_size = sizeof(struct steer_flow_key),
		.value_size = sizeof(struct steer_flow),
		.max_entries = entries,
		.name = STEER_MAP_FLOW_LRU,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	struct errmsg err = { 0 };
	uint32_t zero = 0;

	if (S.flows >= 0)
		close(S.flows);
	S.flows = bpf_sys_map_create(&a, &err);
	if (S.flows < 0)
		fail_msg("flow table: %s", err.text);
	assert_int_equal(bpf_sys_map_update(S.flows_outer, &zero, &S.flows, BPF_ANY, &err), 0);
}

static int group_setup(void **state)
{
	struct errmsg err = { 0 };
	struct load_reuse reuse[4];

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "unshare: %s\n", strerror(errno));
		return -1;
	}
	if (sh("ip link add tla type veth peer name tla_p && ip link add tlb type veth peer name tlb_p"
	       " && ip link set tla address 02:1e:00:00:00:0a && ip link set tlb address 02:1e:00:00:00:0b"
	       " && ip link set tlb mtu 100"
	       " && ip link set lo up"))
		return -1;
	S.if_a = (int)if_nametoindex("tla");
	S.if_b = (int)if_nametoindex("tlb");
	S.ncpus = possible_cpus();
	if (object_open(&S.obj, tcsteer_embedded_obj, tcsteer_embedded_obj_size, &err)) {
		fprintf(stderr, "object_open: %s\n", err.text);
		return -1;
	}
	S.obj_open = true;
	if (load_prog("steer", &S.steer, NULL, 0))
		return -1;
	S.steer_loaded = true;
	S.v4 = map_fd(&S.steer, STEER_MAP_V4);
	S.v6 = map_fd(&S.steer, STEER_MAP_V6);
	S.stats = map_fd(&S.steer, STEER_MAP_STATS);
	S.tail = map_fd(&S.steer, STEER_MAP_TAIL);
	if (S.v4 < 0 || S.v6 < 0 || S.stats < 0 || S.tail < 0) {
		fprintf(stderr, "the steering program lacks a table map\n");
		return -1;
	}
	/* The steering program jumps to the lookup and knows nothing of
	 * flows: its load creates no flow table, however small. */
	if (map_fd(&S.steer, STEER_MAP_FLOWS) != -1) {
		fprintf(stderr, "the steering program uses the flow table itself\n");
		return -1;
	}
	/* The learner runs on the same table: its maps by name; it makes
	 * the (empty) flow table. */
	reuse[0] = (struct load_reuse){ STEER_MAP_V4, S.v4 };
	reuse[1] = (struct load_reuse){ STEER_MAP_V6, S.v6 };
	if (load_prog(STEER_PROG_LEARN, &S.learn, reuse, 2))
		return -1;
	S.learn_loaded = true;
	S.flows_outer = map_fd(&S.learn, STEER_MAP_FLOWS);
	if (S.flows_outer < 0 || map_fd(&S.learn, STEER_MAP_STATS) != -1) {
		fprintf(stderr, "the learner's maps are not the flow table and the routes\n");
		return -1;
	}
	/* The lookup: the counters and the flow table. */
	reuse[2] = (struct load_reuse){ STEER_MAP_FLOWS, S.flows_outer };
	reuse[3] = (struct load_reuse){ STEER_MAP_STATS, S.stats };
	if (load_prog(STEER_PROG_REPLY, &S.reply, reuse + 2, 2))
		return -1;
	S.reply_loaded = true;
	return 0;
}

static int group_teardown(void **state)
{
	if (S.flows >= 0)
		close(S.flows);
	if (S.reply_loaded)
		loaded_object_close(&S.reply);
	if (S.learn_loaded)
		loaded_object_close(&S.learn);
	if (S.steer_loaded)
		loaded_object_close(&S.steer);
	if (S.obj_open)
		object_close(&S.obj);
	return 0;
}

static void clear_map(int fd, size_t key_size)
{
	uint8_t key[64];

	assert_true(key_size <= sizeof(key));
	while (bpf_sys_map_get_next_key(fd, NULL, key, NULL) == 0)
		assert_int_equal(bpf_sys_map_delete(fd, key, NULL), 0);
}

/* Every test: empty routes, a fresh flow table, zero counters. */
static int fresh(void **state)
{
	struct steer_counter *zero = calloc(S.ncpus, sizeof(*zero));
	uint32_t slot;

	clear_map(S.v4, sizeof(struct steer_key4));
	clear_map(S.v6, sizeof(struct steer_key6));
	new_flow_table(FLOWS);
	set_reply(true);
	for (slot = 0; slot < 8; slot++)
		assert_int_equal(bpf_sys_map_update(S.stats, &slot, zero, BPF_ANY, NULL), 0);
	free(zero);
	return 0;
}

/* ---- routes, flows, counters ---------------------------------------- */

/* A learn route for prefix/plen in slot `slot`, naming the interfaces of
 * the 0-terminated list. */
static void learn_route(const char *prefix, unsigned int plen, uint32_t slot, ...)
{
	struct steer_route r = { .slot = slot, .flags = STEER_ROUTE_LEARN };
	struct steer_key4 k4 = { .prefixlen = plen };
	struct steer_key6 k6 = { .prefixlen = plen };
	struct errmsg err = { 0 };
	va_list ap;
	int i = 0, ifi;

	va_start(ap, slot);
	while ((ifi = va_arg(ap, int)) != 0 && i < STEER_LEARN_MAX)
		r.learn_ifindex[i++] = (uint32_t)ifi;
	va_end(ap);
	if (inet_pton(AF_INET, prefix, k4.addr) == 1)
		assert_int_equal(bpf_sys_map_update(S.v4, &k4, &r, BPF_ANY, &err), 0);
	else if (inet_pton(AF_INET6, prefix, k6.addr) == 1)
		assert_int_equal(bpf_sys_map_update(S.v6, &k6, &r, BPF_ANY, &err), 0);
	else
		fail_msg("bad prefix %s", prefix);
}

static void via_route(const char *prefix, unsigned int plen, uint32_t slot)
{
	struct steer_route r = { .ifindex = 4242, .slot = slot };
	struct steer_key4 k4 = { .prefixlen = plen };

	r.nh.nh_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &r.nh.ipv4_nh);
	assert_int_equal(inet_pton(AF_INET, prefix, k4.addr), 1);
	assert_int_equal(bpf_sys_map_update(S.v4, &k4, &r, BPF_ANY, NULL), 0);
}

static struct steer_counter counter(uint32_t slot)
{
	struct steer_counter sum = { 0 }, *v = calloc(S.ncpus, sizeof(*v));

	assert_non_null(v);
	assert_int_equal(bpf_sys_map_lookup(S.stats, &slot, v, 0, NULL), 0);
	for (unsigned int i = 0; i < S.ncpus; i++) {
		sum.packets += v[i].packets;
		sum.bytes += v[i].bytes;
		sum.passed += v[i].passed;
		sum.toobig += v[i].toobig;
	}
	free(v);
	return sum;
}

static void assert_counter(uint32_t slot, uint64_t packets, uint64_t passed)
{
	struct steer_counter c = counter(slot);

	if (c.packets != packets || c.passed != passed)
		fail_msg("slot %u: %llu steered, %llu passed; expected %llu, %llu", slot,
			 (unsigned long long)c.packets, (unsigned long long)c.passed,
			 (unsigned long long)packets, (unsigned long long)passed);
}

static size_t count_flows(void)
{
	struct steer_flow_key k, next;
	size_t n = 0;
	void *prev = NULL;

	while (bpf_sys_map_get_next_key(S.flows, prev, &next, NULL) == 0) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

/* The flow key a request (or its reply) has, built by hand. */
static struct steer_flow_key flow_key(const char *local, const char *remote, uint8_t proto,
				      uint16_t lport, uint16_t rport)
{
	struct steer_flow_key k;

	memset(&k, 0, sizeof(k));
	if (inet_pton(AF_INET, local, k.local) == 1) {
		k.family = STEER_FLOW_V4;
		assert_int_equal(inet_pton(AF_INET, remote, k.remote), 1);
	} else {
		k.family = STEER_FLOW_V6;
		assert_int_equal(inet_pton(AF_INET6, local, k.local), 1);
		assert_int_equal(inet_pton(AF_INET6, remote, k.remote), 1);
	}
	k.proto = proto;
	k.local_port = htons(lport);
	k.remote_port = htons(rport);
	return k;
}

static bool get_flow(const struct steer_flow_key *k, struct steer_flow *f)
{
	return bpf_sys_map_lookup(S.flows, k, f, 0, NULL) == 0;
}

static void assert_flow(const struct steer_flow_key *k, int ifindex, const uint8_t *router,
			const uint8_t *own)
{
	struct steer_flow f;

	if (!get_flow(k, &f))
		fail_msg("flow not learned");
	assert_int_equal(f.ifindex, ifindex);
	assert_memory_equal(f.eth, router, 6);
	assert_memory_equal(f.eth + 6, own, 6);
	assert_true(f.seen_ns > 0);
}

static void assert_no_flow(const struct steer_flow_key *k)
{
	struct steer_flow f;

	assert_false(get_flow(k, &f));
}

/* ---- packets -------------------------------------------------------- */

struct pkt {
	uint8_t b[512];
	size_t len;
	size_t l3;              /* where the IP header starts */
};

static void put(struct pkt *p, const void *src, size_t n)
{
	assert_true(p->len + n <= sizeof(p->b));
	memcpy(p->b + p->len, src, n);
	p->len += n;
}

static void put16(struct pkt *p, uint16_t v)
{
	v = htons(v);
	put(p, &v, 2);
}

static void put_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	put(p, dst, 6);
	put(p, src, 6);
	put16(p, type);
}

enum { TAG_NONE, TAG_8021Q };

/* An Ethernet frame (optionally tagged) with an IP header from src to dst
 * (the family follows the addresses), next header `proto`, and `l4` after
 * it. ext: IPv6 extension headers (already chained to proto by the
 * caller's choice of first next header), or NULL. */
static struct pkt frame(const uint8_t *dmac, const uint8_t *smac, int tag, const char *src,
			const char *dst, uint8_t proto, const void *ext, size_t ext_len,
			const void *l4, size_t l4_len)
{
	struct pkt p = { .len = 0 };
	uint8_t h4[20] = { 0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, proto };
	uint8_t h6[40] = { 0x60, 0, 0, 0, 0, 0, proto, 64 };
	bool v6 = strchr(src, ':') != NULL;
	uint16_t type = v6 ? ETH_P_IPV6 : ETH_P_IP;

	if (tag == TAG_8021Q) {
		put_eth(&p, dmac, smac, ETH_P_8021Q);
		put16(&p, 100);
		put16(&p, type);
	} else {
		put_eth(&p, dmac, smac, type);
	}
	p.l3 = p.len;
	if (v6) {
		uint16_t plen = htons((uint16_t)(ext_len + l4_len));

		memcpy(h6 + 4, &plen, 2);
		assert_int_equal(inet_pton(AF_INET6, src, h6 + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, h6 + 24), 1);
		put(&p, h6, sizeof(h6));
		if (ext)
			put(&p, ext, ext_len);
	} else {
		uint16_t tot = htons((uint16_t)(20 + l4_len));

		memcpy(h4 + 2, &tot, 2);
		assert_int_equal(inet_pton(AF_INET, src, h4 + 12), 1);
		assert_int_equal(inet_pton(AF_INET, dst, h4 + 16), 1);
		put(&p, h4, sizeof(h4));
	}
	put(&p, l4, l4_len);
	return p;
}

/* Transport headers: ports (TCP's 20 bytes, UDP's 8), ICMP. */
struct l4 {
	uint8_t b[20];
	size_t len;
};

static struct l4 tcp(uint16_t sport, uint16_t dport)
{
	struct l4 t = { .len = 20 };

	t.b[0] = sport >> 8; t.b[1] = sport & 0xff;
	t.b[2] = dport >> 8; t.b[3] = dport & 0xff;
	t.b[12] = 0x50;
	t.b[13] = 0x10; /* ACK: any request packet teaches, not only SYN */
	return t;
}

static struct l4 udp(uint16_t sport, uint16_t dport)
{
	struct l4 t = tcp(sport, dport);

	t.len = 8;
	memset(t.b + 4, 0, 16);
	t.b[5] = 8;
	return t;
}

static struct l4 icmp(uint8_t type, uint16_t id)
{
	struct l4 t = { .len = 8 };

	t.b[0] = type;
	t.b[4] = id >> 8; t.b[5] = id & 0xff;
	t.b[7] = 1;
	return t;
}

/* A request from `client` to `vip` arriving from `router` at learn
 * interface `own` (its MAC). */
static struct pkt request(const uint8_t *own, const uint8_t *router, const char *client,
			  const char *vip, uint8_t proto, struct l4 t)
{
	return frame(own, router, TAG_NONE, client, vip, proto, NULL, 0, t.b, t.len);
}

/* A reply as the primary interface's egress sees it (MACs of the default
 * route's gateway, which the program must replace). */
static struct pkt reply(const char *vip, const char *client, uint8_t proto, struct l4 t)
{
	static const uint8_t gw[6] = { 0x02, 0x6e, 0, 0, 0, 1 }, eth0[6] = { 0x02, 0xe0, 0, 0, 0, 0 };

	return frame(gw, eth0, TAG_NONE, vip, client, proto, NULL, 0, t.b, t.len);
}

static uint32_t run_on(int prog_fd, int ifindex, const struct pkt *p, struct pkt *out)
{
	struct __sk_buff ctx = { .ifindex = (uint32_t)ifindex };
	struct pkt scratch;
	struct bpf_sys_test_run t = {
		.prog_fd = prog_fd,
		.data_in = p->b,
		.data_size_in = (uint32_t)p->len,
		.data_out = out ? out->b : scratch.b,
		.data_size_out = sizeof(scratch.b),
		.ctx_in = ifindex > 1 ? &ctx : NULL,
		.ctx_size_in = sizeof(ctx),
	};
	struct errmsg err = { 0 };

	if (bpf_sys_prog_test_run(&t, &err))
		fail_msg("test run: %s", err.text);
	if (out)
		out->len = t.data_size_out;
	return t.retval;
}

/* The learner on interface ifindex: it must pass and change nothing. */
static void learn_on(int ifindex, const struct pkt *p)
{
	struct pkt out;

	assert_int_equal(run_on(S.learn.prog_fd, ifindex, p, &out), PASS);
	assert_int_equal(out.len, p->len);
	assert_memory_equal(out.b, p->b, p->len);
}

static uint32_t steer(const struct pkt *p, struct pkt *out)
{
	return run_on(S.steer.prog_fd, LO, p, out);
}

/* A steered reply leaves with the router's MAC as destination and the
 * learn interface's as source, the rest untouched. */
static void assert_steered(const struct pkt *in, const uint8_t *router, const uint8_t *own)
{
	struct pkt out;

	assert_int_equal(steer(in, &out), REDIRECT);
	assert_int_equal(out.len, in->len);
	assert_memory_equal(out.b, router, 6);
	assert_memory_equal(out.b + 6, own, 6);
	assert_memory_equal(out.b + 12, in->b + 12, in->len - 12);
}

static void assert_passed(const struct pkt *in)
{
	struct pkt out;

	assert_int_equal(steer(in, &out), PASS);
	assert_memory_equal(out.b, in->b, in->len);
}

/* ---- tests ---------------------------------------------------------- */

#define VIP4 "192.168.1.5"
#define VIP6 "2001:db8:5::5"
#define C1 "10.111.222.10"
#define C2 "10.111.223.10"
#define C6 "2001:db8:222::10"
#define P_TCP 6
#define P_UDP 17
#define P_ICMP 1
#define P_ICMP6 58

/* The contract, IPv4 TCP: a reply of a flow learned on A leaves
 * by A to A's router; counted as steered. */
static void test_tcp_v4(void **state)
{
	struct steer_flow_key k = flow_key(VIP4, C1, P_TCP, 80, 40000);
	struct steer_flow_key pair = flow_key(VIP4, C1, 0, 0, 0);
	struct pkt rq = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(40000, 80));
	struct pkt rp = reply(VIP4, C1, P_TCP, tcp(80, 40000));

	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	assert_passed(&rp);                     /* never seen: the main table */
	assert_counter(3, 0, 1);
	learn_on(S.if_a, &rq);
	assert_flow(&k, S.if_a, ROUTER_A, MAC_A);
	assert_flow(&pair, S.if_a, ROUTER_A, MAC_A);
	assert_int_equal(count_flows(), 2);
	assert_steered(&rp, ROUTER_A, MAC_A);
	assert_counter(3, 1, 1);
	assert_int_equal(counter(3).bytes, rp.len);
}

/* The last request wins: the flow moves to B and its replies follow. */
static void test_last_request_wins(void **state)
{
	struct pkt rqa = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(40001, 443));
	struct pkt rqb = request(MAC_B, ROUTER_B, C1, VIP4, P_TCP, tcp(40001, 443));
	struct pkt rp = reply(VIP4, C1, P_TCP, tcp(443, 40001));

	learn_route("192.168.1.0", 24, 3, S.if_a, S.if_b, 0);
	learn_on(S.if_a, &rqa);
	assert_steered(&rp, ROUTER_A, MAC_A);
	learn_on(S.if_b, &rqb);
	assert_steered(&rp, ROUTER_B, MAC_B);
	learn_on(S.if_a, &rqa);
	assert_steered(&rp, ROUTER_A, MAC_A);
	assert_counter(3, 3, 0);
}

/* Two clients, two links, at the same time, each with its own way back. */
static void test_two_clients(void **state)
{
	struct pkt rq1 = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(40002, 80));
	struct pkt rq2 = request(MAC_B, ROUTER_B, C2, VIP4, P_TCP, tcp(40002, 80));
	struct pkt rp1 = reply(VIP4, C1, P_TCP, tcp(80, 40002));
	struct pkt rp2 = reply(VIP4, C2, P_TCP, tcp(80, 40002));

	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	learn_on(S.if_a, &rq1);
	learn_on(S.if_b, &rq2);
	assert_steered(&rp1, ROUTER_A, MAC_A);
	assert_steered(&rp2, ROUTER_B, MAC_B);
	assert_int_equal(count_flows(), 4);     /* two flows, two pairs */
}

/* IPv6 TCP behind a hop-by-hop and a destination options header, and UDP. */
static void test_ipv6_ext_headers(void **state)
{
	/* hop-by-hop (next: dst opts), dst opts (next: TCP), 8 bytes each */
	static const uint8_t ext[16] = { 60, 0, 1, 4, 0, 0, 0, 0, P_TCP, 0, 1, 4, 0, 0, 0, 0 };
	struct l4 t = tcp(40003, 80);
	struct pkt rq = frame(MAC_B, ROUTER_B, TAG_NONE, C6, VIP6, 0, ext, sizeof(ext), t.b, t.len);
	struct pkt rp = reply(VIP6, C6, P_TCP, tcp(80, 40003));
	struct pkt urq = request(MAC_A, ROUTER_A, C6, VIP6, P_UDP, udp(5353, 53));
	struct pkt urp = reply(VIP6, C6, P_UDP, udp(53, 5353));
	struct steer_flow_key k = flow_key(VIP6, C6, P_TCP, 80, 40003);

	learn_route("2001:db8:5::", 64, 4, S.if_a, S.if_b, 0);
	learn_on(S.if_b, &rq);
	assert_flow(&k, S.if_b, ROUTER_B, MAC_B);
	assert_steered(&rp, ROUTER_B, MAC_B);
	learn_on(S.if_a, &urq);
	assert_steered(&urp, ROUTER_A, MAC_A);
	assert_counter(4, 2, 0);
}

/* Echo: the id plays the port; a reply with another id is another flow. */
static void test_ping(void **state)
{
	struct pkt rq4 = request(MAC_A, ROUTER_A, C1, VIP4, P_ICMP, icmp(8, 77));
	struct pkt rp4 = reply(VIP4, C1, P_ICMP, icmp(0, 77));
	struct pkt other4 = reply(VIP4, C1, P_ICMP, icmp(0, 78));
	struct pkt rq6 = request(MAC_B, ROUTER_B, C6, VIP6, P_ICMP6, icmp(128, 99));
	struct pkt rp6 = reply(VIP6, C6, P_ICMP6, icmp(129, 99));
	struct steer_flow_key k = flow_key(VIP4, C1, P_ICMP, 0, 77);

	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	learn_route(VIP6, 128, 4, S.if_a, S.if_b, 0);
	learn_on(S.if_a, &rq4);
	assert_flow(&k, S.if_a, ROUTER_A, MAC_A);
	assert_steered(&rp4, ROUTER_A, MAC_A);
	assert_passed(&other4);
	learn_on(S.if_b, &rq6);
	assert_steered(&rp6, ROUTER_B, MAC_B);
	assert_counter(3, 1, 1);
	assert_counter(4, 1, 0);
}

/* What must teach nothing: frames not sent to this host's MAC, echo
 * replies arriving, a destination outside learn prefixes or in one that
 * does not name this interface, a via route, a VLAN tag, neighbour
 * discovery. Each passes the learner untouched. */
static void test_learns_only_requests_to_us(void **state)
{
	struct l4 t = tcp(40004, 80);
	struct pkt bcast = request(BCAST, ROUTER_A, C1, VIP4, P_TCP, t);
	struct pkt other = request(OTHER, ROUTER_A, C1, VIP4, P_TCP, t);
	struct pkt echo_reply = request(MAC_A, ROUTER_A, C1, VIP4, P_ICMP, icmp(0, 5));
	struct pkt outside = request(MAC_A, ROUTER_A, C1, "192.168.2.5", P_TCP, t);
	struct pkt via = request(MAC_A, ROUTER_A, C1, "192.168.1.9", P_TCP, t);
	struct pkt on_b = request(MAC_B, ROUTER_B, C1, "192.168.1.7", P_TCP, t);
	struct pkt tagged = frame(MAC_A, ROUTER_A, TAG_8021Q, C1, VIP4, P_TCP, NULL, 0, t.b, t.len);
	/* neighbour solicitation for the VIP, and an advertisement */
	struct pkt ns = request(MAC_A, ROUTER_A, "fe80::1", VIP6, P_ICMP6, icmp(135, 0));
	struct pkt na = request(MAC_A, ROUTER_A, "fe80::1", VIP6, P_ICMP6, icmp(136, 0));

	learn_route("192.168.1.0", 24, 3, S.if_a, 0);
	learn_route("192.168.1.7", 32, 5, S.if_a, 0);   /* names A, not B */
	via_route("192.168.1.9", 32, 6);
	learn_route(VIP6, 128, 4, S.if_a, 0);
	learn_on(S.if_a, &bcast);
	learn_on(S.if_a, &other);
	/* An echo reply teaches the address pair only (it is no echo
	 * request): its own flow stays unknown. */
	learn_on(S.if_a, &echo_reply);
	assert_int_equal(count_flows(), 1);
	new_flow_table(FLOWS);
	learn_on(S.if_a, &outside);
	learn_on(S.if_a, &via);
	learn_on(S.if_b, &on_b);
	learn_on(S.if_a, &tagged);
	learn_on(S.if_a, &ns);
	learn_on(S.if_a, &na);
	assert_int_equal(count_flows(), 0);
}

/* Neighbour discovery from a VIP is never steered, even to a remote
 * address whose pair is known: it belongs to the link it is sent on. */
static void test_nd_not_steered(void **state)
{
	struct pkt rq = request(MAC_A, ROUTER_A, "fe80::1", VIP6, P_UDP, udp(1000, 53));
	struct pkt na = reply(VIP6, "fe80::1", P_ICMP6, icmp(136, 0));
	struct pkt ping = reply(VIP6, "fe80::1", P_ICMP6, icmp(128, 1));

	learn_route(VIP6, 128, 4, S.if_a, 0);
	learn_on(S.if_a, &rq);
	assert_passed(&na);
	/* an echo request from the VIP has no flow of its own: the pair */
	assert_steered(&ping, ROUTER_A, MAC_A);
}

/* What has no ports of its own goes the way of its address pair: later
 * fragments, ICMP errors, other protocols. A new flow with ports does not:
 * it is not a reply. */
static void test_pair_fallback(void **state)
{
	static const uint8_t frag6_later[8] = { P_UDP, 0, 0x05, 0x00, 0, 0, 0, 1 };
	static const uint8_t frag6_first[8] = { P_UDP, 0, 0x00, 0x01, 0, 0, 0, 1 };
	struct l4 u = udp(53, 5353), gre = { .len = 8 };
	struct pkt rq = request(MAC_B, ROUTER_B, C1, VIP4, P_UDP, udp(5353, 53));
	struct pkt frag = reply(VIP4, C1, P_UDP, u);
	struct pkt err = reply(VIP4, C1, P_ICMP, icmp(3, 0));
	struct pkt other = reply(VIP4, C1, 47, gre);
	struct pkt newflow = reply(VIP4, C1, P_TCP, tcp(22, 50000));
	struct pkt rq6 = request(MAC_A, ROUTER_A, C6, VIP6, P_UDP, udp(5353, 53));
	struct pkt later6 = frame(MAC_A, MAC_A, TAG_NONE, VIP6, C6, 44, frag6_later, 8, u.b, u.len);
	struct pkt first6 = frame(MAC_A, MAC_A, TAG_NONE, VIP6, C6, 44, frag6_first, 8, u.b, u.len);
	struct pkt first6_other = first6;

	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	learn_route(VIP6, 128, 4, S.if_a, S.if_b, 0);
	learn_on(S.if_b, &rq);
	frag.b[frag.l3 + 6] = 0x00;
	frag.b[frag.l3 + 7] = 0xb9;             /* offset 1480: a later fragment */
	assert_steered(&frag, ROUTER_B, MAC_B);
	assert_steered(&err, ROUTER_B, MAC_B);
	assert_steered(&other, ROUTER_B, MAC_B);
	assert_passed(&newflow);
	assert_counter(3, 3, 1);

	learn_on(S.if_a, &rq6);
	assert_steered(&later6, ROUTER_A, MAC_A);
	assert_steered(&first6, ROUTER_A, MAC_A);       /* its ports: the flow */
	first6_other.b[first6.l3 + 48 + 2] = 0x77;        /* another port */
	assert_passed(&first6_other);
	assert_counter(4, 2, 1);
}

/* The pair follows the requests that teach something: a new or moved
 * flow, or a flow whose entry is due for its once-a-second refresh; a
 * request that only confirms a fresh flow leaves it alone. */
static void test_pair_follows_teaching(void **state)
{
	struct steer_flow_key ka = flow_key(VIP4, C1, P_TCP, 80, 41000);
	struct steer_flow_key pair = flow_key(VIP4, C1, 0, 0, 0);
	struct pkt rqa = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(41000, 80));
	struct pkt rqb = request(MAC_B, ROUTER_B, C1, VIP4, P_TCP, tcp(41001, 80));
	struct steer_flow f;

	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	learn_on(S.if_a, &rqa);
	assert_flow(&pair, S.if_a, ROUTER_A, MAC_A);
	learn_on(S.if_b, &rqb);
	assert_flow(&pair, S.if_b, ROUTER_B, MAC_B);
	learn_on(S.if_a, &rqa);                 /* flow a: fresh, unchanged */
	assert_flow(&pair, S.if_b, ROUTER_B, MAC_B);
	assert_true(get_flow(&ka, &f));
	f.seen_ns -= 2000000000ull;
	assert_int_equal(bpf_sys_map_update(S.flows, &ka, &f, BPF_EXIST, NULL), 0);
	learn_on(S.if_a, &rqa);                 /* due for its refresh */
	assert_flow(&pair, S.if_a, ROUTER_A, MAC_A);
}

/* A later IPv4 fragment of a request teaches the pair only. */
static void test_fragment_request(void **state)
{
	struct pkt rq = request(MAC_A, ROUTER_A, C1, VIP4, P_UDP, udp(5353, 53));
	struct steer_flow_key pair = flow_key(VIP4, C1, 0, 0, 0);

	learn_route(VIP4, 32, 3, S.if_a, 0);
	rq.b[rq.l3 + 6] = 0x20;                 /* MF, offset 0: the first */
	learn_on(S.if_a, &rq);
	assert_int_equal(count_flows(), 2);
	new_flow_table(FLOWS);
	rq.b[rq.l3 + 7] = 0x10;                 /* offset 128 */
	learn_on(S.if_a, &rq);
	assert_int_equal(count_flows(), 1);
	assert_flow(&pair, S.if_a, ROUTER_A, MAC_A);
}

/* The way back must be one the route names now: a flow learned on B
 * passes once the route names A only, and is steered again when it names
 * B again. */
static void test_route_changed(void **state)
{
	struct pkt rq = request(MAC_B, ROUTER_B, C1, VIP4, P_TCP, tcp(40005, 80));
	struct pkt rp = reply(VIP4, C1, P_TCP, tcp(80, 40005));

	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	learn_on(S.if_b, &rq);
	learn_route(VIP4, 32, 3, S.if_a, 0);
	assert_passed(&rp);
	learn_route(VIP4, 32, 3, S.if_b, 0);
	assert_steered(&rp, ROUTER_B, MAC_B);
	assert_counter(3, 1, 1);
}

/* Without a flow table in the slot (no learn route has been added, or
 * the last one was deleted), nothing is learned and replies pass; so they
 * do without the lookup's program in steer_tail (the jump falls through).
 * Both count as passed. */
static void test_no_flow_table(void **state)
{
	struct pkt rq = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(40006, 80));
	struct pkt rp = reply(VIP4, C1, P_TCP, tcp(80, 40006));
	uint32_t zero = 0;

	learn_route(VIP4, 32, 3, S.if_a, 0);
	learn_on(S.if_a, &rq);
	assert_int_equal(bpf_sys_map_delete(S.flows_outer, &zero, NULL), 0);
	assert_passed(&rp);
	learn_on(S.if_a, &rq);
	assert_counter(3, 0, 1);
	new_flow_table(FLOWS);
	assert_passed(&rp);
	learn_on(S.if_a, &rq);
	assert_steered(&rp, ROUTER_A, MAC_A);
	set_reply(false);
	assert_passed(&rp);
	assert_counter(3, 1, 3);
	set_reply(true);
	assert_steered(&rp, ROUTER_A, MAC_A);
}

/* A reply tagged on the primary link leaves untagged, with the learned
 * MACs. */
static void test_tagged_reply(void **state)
{
	struct pkt rq = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(40007, 80));
	struct l4 t = tcp(80, 40007);
	struct pkt tagged = frame(MAC_B, MAC_B, TAG_8021Q, VIP4, C1, P_TCP, NULL, 0, t.b, t.len);
	struct pkt plain = reply(VIP4, C1, P_TCP, t), out;

	learn_route(VIP4, 32, 3, S.if_a, 0);
	learn_on(S.if_a, &rq);
	assert_int_equal(steer(&tagged, &out), REDIRECT);
	assert_int_equal(out.len, plain.len);
	assert_memory_equal(out.b, ROUTER_A, 6);
	assert_memory_equal(out.b + 6, MAC_A, 6);
	assert_memory_equal(out.b + 12, plain.b + 12, plain.len - 12);
}

/* A reply already leaving by the learned interface is left alone. */
static void test_reply_on_learned_interface(void **state)
{
	struct pkt rq = request((const uint8_t[6]){ 0 }, ROUTER_A, C1, VIP4, P_TCP, tcp(40008, 80));
	struct pkt rp = reply(VIP4, C1, P_TCP, tcp(80, 40008));

	/* loopback's MAC is all zeroes: the request is PACKET_HOST there */
	learn_route(VIP4, 32, 3, LO, 0);
	learn_on(LO, &rq);
	assert_int_equal(count_flows(), 2);
	assert_passed(&rp);
	assert_counter(3, 0, 0);
}

/* An unchanged flow's entry is only refreshed (seen_ns), at most once a
 * second; a cut transport header teaches the pair only. */
static void test_refresh_and_cut(void **state)
{
	struct steer_flow_key k = flow_key(VIP4, C1, P_TCP, 80, 40009);
	struct pkt rq = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(40009, 80));
	struct pkt cut = rq;
	struct steer_flow f, g;
	struct timespec ts;
	uint64_t now;

	learn_route(VIP4, 32, 3, S.if_a, 0);
	learn_on(S.if_a, &rq);
	assert_true(get_flow(&k, &f));
	learn_on(S.if_a, &rq);
	assert_true(get_flow(&k, &g));
	assert_int_equal(g.seen_ns, f.seen_ns);   /* within the second */
	f.seen_ns -= 5000000000ull;             /* learned 5 s earlier */
	assert_int_equal(bpf_sys_map_update(S.flows, &k, &f, BPF_EXIST, NULL), 0);
	learn_on(S.if_a, &rq);
	assert_true(get_flow(&k, &g));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	assert_true(g.seen_ns > f.seen_ns + 4000000000ull && g.seen_ns <= now);

	new_flow_table(FLOWS);
	cut.len = cut.l3 + 20 + 2;              /* half the ports */
	learn_on(S.if_a, &cut);
	assert_int_equal(count_flows(), 1);
}

/* A full flow table forgets the least recently used flows, never fails
 * the learner. */
static void test_table_full(void **state)
{
	struct steer_flow_key k = flow_key(VIP4, C1, P_TCP, 80, 10000);
	uint16_t port;

	new_flow_table(STEER_FLOWS_MIN);
	learn_route(VIP4, 32, 3, S.if_a, 0);
	for (port = 10000; port < 10000 + 4 * STEER_FLOWS_MIN; port++) {
		struct pkt rq = request(MAC_A, ROUTER_A, C1, VIP4, P_TCP, tcp(port, 80));

		learn_on(S.if_a, &rq);
	}
	assert_true(count_flows() <= STEER_FLOWS_MIN);
	assert_no_flow(&k);
}

/* A reply too big for the learned interface's MTU (tlb: 100 bytes) is
 * turned into the ICMP error a router there would send, handed to that
 * interface's ingress, and counted as toobig; one that fits is steered. */
static void test_too_big(void **state)
{
	struct pkt rq = request(MAC_B, ROUTER_B, C1, VIP4, P_UDP, udp(5353, 53));
	struct pkt small = reply(VIP4, C1, P_UDP, udp(53, 5353));
	struct pkt big = small, out;
	uint16_t tot;

	memset(big.b + big.len, 0xab, 150);
	big.len += 150;
	tot = htons((uint16_t)(big.len - big.l3));
	memcpy(big.b + big.l3 + 2, &tot, 2);
	learn_route(VIP4, 32, 3, S.if_a, S.if_b, 0);
	learn_on(S.if_b, &rq);
	assert_steered(&small, ROUTER_B, MAC_B);
	assert_int_equal(steer(&big, &out), REDIRECT);
	/* an IPv4 ICMP "fragmentation needed" from the client's address (no
	 * router address is known) to the VIP, next-hop MTU 100 */
	assert_int_equal(out.b[big.l3 + 9], 1);
	assert_int_equal(out.b[big.l3 + 20], 3);
	assert_int_equal(out.b[big.l3 + 21], 4);
	assert_int_equal(out.b[big.l3 + 26] << 8 | out.b[big.l3 + 27], 100);
	assert_memory_equal(out.b + big.l3 + 12, big.b + big.l3 + 16, 4);
	assert_memory_equal(out.b + big.l3 + 16, big.b + big.l3 + 12, 4);
	assert_int_equal(counter(3).toobig, 1);
	assert_counter(3, 1, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, fresh)
	const struct CMUnitTest tests[] = {
		T(test_tcp_v4),
		T(test_last_request_wins),
		T(test_two_clients),
		T(test_ipv6_ext_headers),
		T(test_ping),
		T(test_learns_only_requests_to_us),
		T(test_nd_not_steered),
		T(test_pair_fallback),
		T(test_pair_follows_teaching),
		T(test_fragment_request),
		T(test_route_changed),
		T(test_no_flow_table),
		T(test_tagged_reply),
		T(test_reply_on_learned_interface),
		T(test_refresh_and_cut),
		T(test_table_full),
		T(test_too_big),
	};
#undef T

	if (geteuid() != 0) {
		printf("SKIP test_learn: needs root\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
