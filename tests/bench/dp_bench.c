/* SPDX-License-Identifier: MIT */
/* dp_bench: nanoseconds per packet of the data path, with
 * BPF_PROG_TEST_RUN, for the steering program and its yardsticks.
 *
 *   dp_bench [-t MS] [-k K] [-s SIZE,...] OBJDIR
 *
 * The programs of OBJDIR (see bpf/ and the Makefile): steer.o (the shipped
 * prog/steer.bpf.c, tables big enough for 100k routes: its programs steer
 * and steer_compat, the latter without the MTU check), lpm_one.o (the empty
 * program plus one LPM lookup), empty.o, orig_style.o (hash tables and a
 * bpf_trace_printk per packet). All are loaded with tcsteer's own loader
 * (object_open + object_load). steer.o and lpm_one.o pin their LPM tables by
 * the same names in one scratch directory on bpffs, so they look up the
 * very same tries: two separately filled tries of 100k routes differ in
 * memory layout, and that alone moves a lookup by 10-20%.
 *
 * The routes lead to a veth of dp_bench's own network namespace (the
 * program checks that their device exists and what its MTU is).
 *
 * For each table size (default 1,1000,100000) the tables get SIZE routes
 * through bpf(BPF_MAP_UPDATE_ELEM); then for an IPv4 and an IPv6 packet
 * whose source hits a route and one whose source matches none, every
 * program runs K times (default 5) in turn, each run a repeat count chosen
 * so that it lasts about MS milliseconds (default 20).
 *
 * Output, tab-separated, one line per case:
 *   run PROG FAMILY hit|miss SIZE NS_MEDIAN NS_MIN NS_MAX REPEAT RETVAL
 *   fill TABLES FAMILY SIZE US_PER_UPDATE
 * A program that returns the wrong verdict (a hit must redirect, a miss
 * must pass: TC_ACT_OK or TC_ACT_UNSPEC) is an error: one line on stderr,
 * exit 1. RETVAL is printed as a signed number. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bpf_sys.h"
#include "load.h"
#include "object.h"
#include "steer_maps.h"

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_OK 0
#define TC_ACT_REDIRECT 7
#define MAX_K 50
/* The routes' device: any but the test run's own (loopback, 1), and one
 * that exists; the redirect happens only on paper, BPF_PROG_TEST_RUN sends
 * nothing. */
static uint32_t route_ifindex;

struct prog_case {
	const char *name;
	const char *file, *func;        /* object (NULL: name), program */
	const char *v4_map, *v6_map;    /* NULL: no tables */
	bool exact;                     /* hash keyed by address, no length */
	bool steers;                    /* a hit redirects */
	bool fill;                      /* fill its tables (else: shared) */
};

/* steer first: it creates (and pins) the LPM tables lpm_one reuses. */
static const struct prog_case progs[] = {
	{ "steer", NULL, NULL, STEER_MAP_V4, STEER_MAP_V6, false, true, true },
	{ "steer_compat", "steer", "steer_compat", NULL, NULL, false, true,
	  false },
	{ "lpm_one", NULL, NULL, NULL, NULL, false, false, false },
	{ "empty", NULL, NULL, NULL, NULL, false, false, false },
	{ "orig_style", NULL, NULL, "orig_v4", "orig_v6", true, true, true },
};
#define NPROGS (sizeof(progs) / sizeof(progs[0]))

struct opts {
	const char *dir;
	unsigned int target_ms, k;
	unsigned long sizes[8];
	size_t nsizes;
};

/* One address family's routes: random prefixes, one /32 (/128) route for
 * the hit address, and a miss address no prefix covers. */
struct routes {
	int family;
	size_t alen;                    /* 4 or 16 */
	size_t n;
	uint8_t (*addr)[16];            /* masked to plen */
	uint8_t *plen;
	uint8_t hit[16], miss[16];
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("dp_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- routes ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static void mask(uint8_t *a, size_t alen, unsigned int plen)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		unsigned int keep = plen > 8 * i ? plen - 8 * i : 0;

		if (keep < 8)
			a[i] &= (uint8_t)(0xff00 >> keep);
	}
}

static bool covers(const uint8_t *net, unsigned int plen, const uint8_t *a,
		   size_t alen)
{
	uint8_t m[16];

	memcpy(m, a, alen);
	mask(m, alen, plen);
	return !memcmp(m, net, alen);
}

/* Random addresses under a fixed first byte (10/8, fd00::/8). */
static void random_addr(uint8_t *a, size_t alen)
{
	size_t i;

	for (i = 0; i < alen; i++)
		a[i] = (uint8_t)rnd();
	a[0] = alen == 4 ? 10 : 0xfd;
}

static void make_routes(struct routes *r, int family, size_t n)
{
	size_t i, j;
	unsigned int lo, span, tries;

	memset(r, 0, sizeof(*r));
	r->family = family;
	r->alen = family == AF_INET ? 4 : 16;
	/* /24../32 under 10/8: even 100k of them leave most of it uncovered,
	 * so a miss address is easy to find. */
	lo = family == AF_INET ? 24 : 48;
	span = family == AF_INET ? 9 : 81;
	r->n = n;
	r->addr = calloc(n, sizeof(*r->addr));
	r->plen = calloc(n, 1);
	if (!r->addr || !r->plen)
		die("out of memory");
	random_addr(r->hit, r->alen);
	/* The last route is the hit: a host route, the longest match. */
	for (i = 0; i + 1 < n; i++) {
		r->plen[i] = (uint8_t)(lo + rnd() % span);
		random_addr(r->addr[i], r->alen);
		mask(r->addr[i], r->alen, r->plen[i]);
	}
	memcpy(r->addr[n - 1], r->hit, r->alen);
	r->plen[n - 1] = (uint8_t)(8 * r->alen);
	for (tries = 0;; tries++) {
		if (tries == 10000)
			die("no address left uncovered by %zu routes", n);
		random_addr(r->miss, r->alen);
		for (j = 0; j < n; j++)
			if (covers(r->addr[j], r->plen[j], r->miss, r->alen))
				break;
		if (j == n)
			break;
	}
}

static void free_routes(struct routes *r)
{
	free(r->addr);
	free(r->plen);
}

/* ---- loading and filling ----------------------------------------------- */

struct loaded {
	struct object_spec obj;
	struct loaded_object lo;
};

/* The scratch pin directory the LPM tables are shared through. */
static char pin_dir[64];

static void remove_pins(void)
{
	static const char *const names[] = { STEER_MAP_V4, STEER_MAP_V6,
					     STEER_MAP_STATS, STEER_MAP_TAIL };
	char path[128];
	size_t i;

	if (!pin_dir[0])
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, names[i]);
		unlink(path);
	}
	rmdir(pin_dir);
}

static void load(struct loaded *l, const struct opts *o,
		 const struct prog_case *pc)
{
	const char *name = pc->file ? pc->file : pc->name;
	struct load_opts lopts = { .pin_dir = pin_dir };
	const struct prog_spec *p;
	struct errmsg err = { 0 };
	char path[4096];
	FILE *f;
	void *buf;
	long len;

	snprintf(path, sizeof(path), "%s/%s.o", o->dir, name);
	f = fopen(path, "rb");
	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		die("%s: cannot read", path);
	buf = malloc((size_t)len);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len)
		die("%s: cannot read", path);
	fclose(f);
	if (object_open(&l->obj, buf, (size_t)len, &err))
		die("%s: %s", path, err.text);
	free(buf);
	p = object_find_program(&l->obj, NULL, pc->func, &err);
	if (!p || object_load(&l->obj, p, &lopts, &l->lo, &err))
		die("%s: %s", path, err.text);
}

/* A network namespace of our own with one veth for the routes (bpffs is
 * not per namespace: the pins work as before). */
static void make_route_device(void)
{
	if (unshare(CLONE_NEWNET))
		die("unshare(CLONE_NEWNET): %s", strerror(errno));
	if (system("ip link add dpb0 type veth peer name dpb1"))
		die("cannot make the routes' veth with ip");
	route_ifindex = if_nametoindex("dpb0");
	if (!route_ifindex)
		die("no dpb0 after ip link add");
}

static void unload(struct loaded *l)
{
	loaded_object_close(&l->lo);
	object_close(&l->obj);
}

static int map_fd(const struct loaded *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->obj.nmaps; i++)
		if (!strcmp(l->obj.maps[i].name, name) && l->lo.map_fds[i] >= 0)
			return l->lo.map_fds[i];
	die("no map %s", name);
	return -1;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Returns microseconds per update. */
static double fill(int fd, const struct routes *r, bool exact)
{
	struct steer_route v = { .ifindex = route_ifindex };
	struct errmsg err = { 0 };
	uint8_t key[20];
	double t0 = now_us();
	size_t i;

	v.nh.nh_family = AF_INET;
	v.nh.ipv4_nh = htonl(0x0a6fdd15); /* 10.111.221.21 */
	for (i = 0; i < r->n; i++) {
		uint32_t plen = r->plen[i];

		v.slot = 1 + (uint32_t)(i % (STEER_MAX_ROUTES - 1));
		if (exact) {
			memcpy(key, r->addr[i], r->alen);
		} else {
			memcpy(key, &plen, 4);
			memcpy(key + 4, r->addr[i], r->alen);
		}
		if (bpf_sys_map_update(fd, key, &v, BPF_ANY, &err))
			die("fill route %zu of %zu: %s", i + 1, r->n, err.text);
	}
	return (now_us() - t0) / (double)r->n;
}

/* ---- packets and runs -------------------------------------------------- */

/* Ethernet + IP + UDP with the given source; returns its length. */
static uint32_t make_packet(uint8_t *pkt, const struct routes *r,
			    const uint8_t *src)
{
	struct ethhdr *eth = (void *)pkt;
	struct udphdr *udp;
	uint32_t len;

	memset(pkt, 0, 128);
	memset(eth->h_dest, 0x02, ETH_ALEN);
	memset(eth->h_source, 0x04, ETH_ALEN);
	if (r->family == AF_INET) {
		struct iphdr *ip = (void *)(eth + 1);

		eth->h_proto = htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		memcpy(&ip->saddr, src, 4);
		ip->daddr = htonl(0x0a6fde16);
		udp = (void *)(ip + 1);
		len = sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + 18;
		ip->tot_len = htons((uint16_t)(len - sizeof(*eth)));
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		eth->h_proto = htons(ETH_P_IPV6);
		ip6->version = 6;
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = 64;
		memcpy(&ip6->saddr, src, 16);
		ip6->daddr.s6_addr[0] = 0xfd;
		ip6->daddr.s6_addr[15] = 0x22;
		udp = (void *)(ip6 + 1);
		len = sizeof(*eth) + sizeof(*ip6) + sizeof(*udp) + 18;
		ip6->payload_len = htons((uint16_t)(sizeof(*udp) + 18));
	}
	udp->source = htons(8080);
	udp->dest = htons(40000);
	udp->len = htons(sizeof(*udp) + 18);
	return len;
}

static uint32_t run_once(int prog_fd, const uint8_t *pkt, uint32_t len,
			 uint32_t repeat, uint32_t *retval)
{
	struct bpf_sys_test_run t = {
		.prog_fd = prog_fd,
		.data_in = pkt,
		.data_size_in = len,
		.repeat = repeat,
	};
	struct errmsg err = { 0 };

	if (bpf_sys_prog_test_run(&t, &err))
		die("BPF_PROG_TEST_RUN: %s", err.text);
	*retval = t.retval;
	return t.duration;
}

/* Leaving a packet alone: OK ends classification, UNSPEC lets the next
 * filter run; either way nothing is redirected. */
static bool is_pass(uint32_t retval)
{
	return retval == TC_ACT_OK || (int32_t)retval == TC_ACT_UNSPEC;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void check_verdict(const struct prog_case *pc, int family, bool hit,
			  uint32_t retval)
{
	bool redirect = hit && pc->steers;

	if (redirect ? retval == TC_ACT_REDIRECT : is_pass(retval))
		return;
	die("%s: %s %s returned %d, expected %s", pc->name,
	    family == AF_INET ? "ipv4" : "ipv6", hit ? "hit" : "miss",
	    (int)retval, redirect ? "7 (TC_ACT_REDIRECT)" :
	    "0 (TC_ACT_OK) or -1 (TC_ACT_UNSPEC)");
}

/* One packet through every program, K rounds of all programs in turn so
 * that a noisy moment of a shared machine hits them all alike. */
static void run_case(const struct opts *o, const struct loaded *l,
		     const struct routes *r, bool hit, size_t size)
{
	uint32_t ns[NPROGS][MAX_K], repeat[NPROGS], retval[NPROGS], len, d0;
	uint8_t pkt[128];
	unsigned int k;
	size_t p;

	len = make_packet(pkt, r, hit ? r->hit : r->miss);
	for (p = 0; p < NPROGS; p++) {
		d0 = run_once(l[p].lo.prog_fd, pkt, len, 10000, &retval[p]);
		check_verdict(&progs[p], r->family, hit, retval[p]);
		repeat[p] = (uint32_t)(o->target_ms * 1e6 / (d0 ? d0 : 1));
		if (repeat[p] < 1000)
			repeat[p] = 1000;
		if (repeat[p] > 20000000)
			repeat[p] = 20000000;
	}
	for (k = 0; k < o->k; k++)
		for (p = 0; p < NPROGS; p++)
			ns[p][k] = run_once(l[p].lo.prog_fd, pkt, len, repeat[p],
					    &retval[p]);
	for (p = 0; p < NPROGS; p++) {
		check_verdict(&progs[p], r->family, hit, retval[p]);
		qsort(ns[p], o->k, sizeof(ns[p][0]), cmp_u32);
		printf("run\t%s\t%s\t%s\t%zu\t%u\t%u\t%u\t%u\t%d\n",
		       progs[p].name, r->family == AF_INET ? "ipv4" : "ipv6",
		       hit ? "hit" : "miss", size, ns[p][o->k / 2], ns[p][0],
		       ns[p][o->k - 1], repeat[p], (int)retval[p]);
	}
	fflush(stdout);
}

static void bench_size(const struct opts *o, struct routes *rt, size_t size)
{
	struct loaded l[NPROGS];
	size_t p;
	int f;

	for (p = 0; p < NPROGS; p++) {
		load(&l[p], o, &progs[p]);
		for (f = 0; f < 2 && progs[p].fill; f++) {
			const char *map = f ? progs[p].v6_map : progs[p].v4_map;
			double us = fill(map_fd(&l[p], map), &rt[f],
					 progs[p].exact);

			printf("fill\t%s\t%s\t%zu\t%.3f\n",
			       progs[p].exact ? "hash" : "lpm",
			       f ? "ipv6" : "ipv4", size, us);
		}
	}
	for (f = 0; f < 2; f++) {
		run_case(o, l, &rt[f], true, size);
		run_case(o, l, &rt[f], false, size);
	}
	for (p = 0; p < NPROGS; p++)
		unload(&l[p]);
	remove_pins();
}

static void parse_sizes(struct opts *o, char *s)
{
	char *tok, *save = NULL, *end;

	o->nsizes = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long v = strtoul(tok, &end, 10);

		if (*end || !v || v > 1000000 || o->nsizes == 8)
			die("bad size list (1..1000000, at most 8): %s", tok);
		o->sizes[o->nsizes++] = v;
	}
}

int main(int argc, char **argv)
{
	struct opts o = { .target_ms = 20, .k = 5,
			  .sizes = { 1, 1000, 100000 }, .nsizes = 3 };
	int c;
	size_t s;

	while ((c = getopt(argc, argv, "t:k:s:")) != -1) {
		switch (c) {
		case 't':
			o.target_ms = (unsigned int)atoi(optarg);
			break;
		case 'k':
			o.k = (unsigned int)atoi(optarg);
			break;
		case 's':
			parse_sizes(&o, optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc || !o.target_ms || !o.k || o.k > MAX_K) {
		fputs("usage: dp_bench [-t MS] [-k 1..50] [-s SIZE,...] OBJDIR\n",
		      stderr);
		return 2;
	}
	o.dir = argv[optind];
	make_route_device();
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/tcsteer-dp-%d",
		 (int)getpid());
	atexit(remove_pins);
	for (s = 0; s < o.nsizes; s++) {
		struct routes rt[2];

		make_routes(&rt[0], AF_INET, o.sizes[s]);
		make_routes(&rt[1], AF_INET6, o.sizes[s]);
		bench_size(&o, rt, o.sizes[s]);
		free_routes(&rt[0]);
		free_routes(&rt[1]);
	}
	return 0;
}
