/* SPDX-License-Identifier: MIT */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool host_bits_clear(const struct ipaddr *a)
{
	unsigned int bytes = a->family == AF_INET ? 4 : 16;
	unsigned int i;

	for (i = 0; i < bytes; i++) {
		unsigned int first = i * 8;
		uint8_t mask;

		if (first + 8 <= a->prefixlen)
			continue;
		mask = first >= a->prefixlen ? 0xff : (uint8_t)(0xff >> (a->prefixlen - first));
		if (a->addr[i] & mask)
			return false;
	}
	return true;
}

static int parse_prefixlen(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int parse_ipaddr(struct ipaddr *a, const char *s, bool allow_prefix,
		 struct errmsg *err)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *what = allow_prefix ? "prefix" : "address";
	char *slash;

	memset(a, 0, sizeof(*a));
	if (strlen(s) >= sizeof(text))
		return errmsg_set(err, EINVAL, "\"%s\" is not an IPv4 or IPv6 %s", s, what);
	strcpy(text, s);
	slash = strchr(text, '/');
	if (slash && !allow_prefix)
		return errmsg_set(err, EINVAL, "\"%s\": a next hop is an address, not a prefix", s);
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, text, a->addr) == 1) {
		a->family = AF_INET;
		a->prefixlen = 32;
	} else if (inet_pton(AF_INET6, text, a->addr) == 1) {
		a->family = AF_INET6;
		a->prefixlen = 128;
	} else {
		return errmsg_set(err, EINVAL, "\"%s\" is not an IPv4 or IPv6 %s", s, what);
	}
	if (slash && parse_prefixlen(slash + 1, a->prefixlen, &a->prefixlen))
		return errmsg_set(err, EINVAL, "\"%s\": prefix length must be 0..%u",
				  s, a->family == AF_INET ? 32 : 128);
	if (!host_bits_clear(a))
		return errmsg_set(err, EINVAL,
				  "\"%s\": address has bits set beyond the /%u prefix",
				  s, a->prefixlen);
	return 0;
}

void format_ipaddr(const struct ipaddr *a, char *out, size_t len)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->addr, text, sizeof(text));
	snprintf(out, len, "%s/%u", text, a->prefixlen);
}
