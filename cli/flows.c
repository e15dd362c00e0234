/* SPDX-License-Identifier: MIT */
/* flows: what learn routes have learned, for debugging. One line per
 * entry of the table's flow table: the flow (protocol, this host's
 * address and port, the remote's), or its address pair, then the way back
 * (interface, router MAC) and how long ago a request last said so. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "json.h"
#include "learn.h"
#include "session.h"
#include "tables.h"

static const char *proto_name(uint8_t proto)
{
	switch (proto) {
	case 0:   return "pair";        /* the address pair: no ports */
	case 1:   return "icmp";
	case 6:   return "tcp";
	case 17:  return "udp";
	case 33:  return "dccp";
	case 58:  return "icmp6";
	case 132: return "sctp";
	case 136: return "udplite";
	}
	return "?";
}

static bool is_echo(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static void addr_text(const struct steer_flow_key *k, const uint8_t *a, char *out, size_t len)
{
	inet_ntop(k->family == STEER_FLOW_V4 ? AF_INET : AF_INET6, a, out, (socklen_t)len);
}

static void mac_text(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "192.168.1.5:80", "[2001:db8::5]:80", or the bare address. */
static void endpoint_text(const struct steer_flow_key *k, const uint8_t *a, uint16_t port,
			  bool with_port, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	addr_text(k, a, addr, sizeof(addr));
	if (!with_port)
		snprintf(out, len, "%s", addr);
	else if (k->family == STEER_FLOW_V6)
		snprintf(out, len, "[%s]:%u", addr, port);
	else
		snprintf(out, len, "%s:%u", addr, port);
}

static void print_flow(const struct flow_entry *e, uint64_t now)
{
	const struct steer_flow_key *k = &e->key;
	bool ports = k->proto && !is_echo(k->proto);
	char local[64], remote[64], dev[IF_NAMESIZE], mac[18];
	uint64_t age = now > e->flow.seen_ns ? (now - e->flow.seen_ns) / 1000000000ull : 0;

	endpoint_text(k, k->local, ntohs(k->local_port), ports, local, sizeof(local));
	endpoint_text(k, k->remote, ntohs(k->remote_port), ports, remote, sizeof(remote));
	if (!if_indextoname(e->flow.ifindex, dev))
		snprintf(dev, sizeof(dev), "if%u", e->flow.ifindex);
	mac_text(e->flow.eth, mac);
	printf("%s %s %s", proto_name(k->proto), local, remote);
	if (is_echo(k->proto))
		printf(" id %u", ntohs(k->remote_port));
	printf(" dev %s router %s age %llus\n", dev, mac, (unsigned long long)age);
}

static void flow_json(struct json *j, const struct flow_entry *e, uint64_t now)
{
	const struct steer_flow_key *k = &e->key;
	char addr[INET6_ADDRSTRLEN], dev[IF_NAMESIZE], mac[18];

	json_open_object(j);
	json_kv_string(j, "proto", proto_name(k->proto));
	addr_text(k, k->local, addr, sizeof(addr));
	json_kv_string(j, "local", addr);
	addr_text(k, k->remote, addr, sizeof(addr));
	json_kv_string(j, "remote", addr);
	if (is_echo(k->proto)) {
		json_kv_uint(j, "id", ntohs(k->remote_port));
	} else if (k->proto) {
		json_kv_uint(j, "local_port", ntohs(k->local_port));
		json_kv_uint(j, "remote_port", ntohs(k->remote_port));
	}
	if (!if_indextoname(e->flow.ifindex, dev))
		snprintf(dev, sizeof(dev), "if%u", e->flow.ifindex);
	json_kv_string(j, "dev", dev);
	mac_text(e->flow.eth, mac);
	json_kv_string(j, "router", mac);
	mac_text(e->flow.eth + 6, mac);
	json_kv_string(j, "mac", mac);
	json_kv_uint(j, "age_s", now > e->flow.seen_ns ? (now - e->flow.seen_ns) / 1000000000ull : 0);
	json_close_object(j);
}

/* Stable output: by family, local, remote, protocol, ports. */
static int cmp_flow(const void *a, const void *b)
{
	const struct steer_flow_key *x = &((const struct flow_entry *)a)->key;
	const struct steer_flow_key *y = &((const struct flow_entry *)b)->key;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x, y, offsetof(struct steer_flow_key, family));
}

int run_flows(const struct cmd *c, struct errmsg *err)
{
	struct flow_entry *e = NULL;
	struct learn_info li;
	struct steer_table t;
	struct tc_conn *conn;
	struct state *s;
	struct json j;
	size_t n = 0, i;
	uint64_t now;
	int r, fd;

	r = session_open(STATE_READ, &conn, &s, err) ?:
	    resolve_table(s, conn, c->table, TABLE_READ, &t, err);
	if (r)
		return r;
	learn_info(s, &t, &li);
	fd = learn_flow_table(s, &t, err);
	r = fd == -ENOENT ? 0 : fd < 0 ? fd : learn_list_flows(fd, &e, &n, err);
	if (fd >= 0)
		close(fd);
	now = now_ns();
	if (!r && n)
		qsort(e, n, sizeof(*e), cmp_flow);
	json_init(&j, stdout);
	if (!r && g_opts.json) {
		json_open_object(&j);
		json_kv_string(&j, "table", t.name);
		json_kv_uint(&j, "size", li.size);
		json_key(&j, "flows");
		json_open_array(&j);
		for (i = 0; i < n; i++)
			flow_json(&j, &e[i], now);
		json_close_array(&j);
		json_close_object(&j);
	}
	for (i = 0; !r && !g_opts.json && i < n; i++)
		print_flow(&e[i], now);
	json_done(&j, r == 0);
	free(e);
	table_close(&t);
	return r;
}
