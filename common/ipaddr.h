/* SPDX-License-Identifier: MIT */
/* IPv4 and IPv6 prefixes and addresses as the command line writes them. */
#ifndef TCSTEER_IPADDR_H
#define TCSTEER_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

/* An IPv4 or IPv6 prefix or address (addr in network order). */
struct ipaddr {
	int family;             /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned int prefixlen; /* 32/128 for a plain address */
};

/* "10.0.0.0/8", "fd00::5" (a prefix when allow_prefix; its host bits must
 * be clear). */
int parse_ipaddr(struct ipaddr *a, const char *s, bool allow_prefix,
		 struct errmsg *err);
/* "addr/len" */
void format_ipaddr(const struct ipaddr *a, char *out, size_t len);

#endif
