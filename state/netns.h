/* SPDX-License-Identifier: MIT */
/* Which network namespace this process is in, and the lock that serialises
 * the tcsteer commands that change its state.
 *
 * A namespace is named by its cookie (SO_NETNS_COOKIE, kernel 5.14+): a
 * 64-bit number the kernel never gives to another namespace until reboot,
 * so state named after it can never be picked up by a later namespace.
 * Older kernels only offer the namespace's inode number, which the kernel
 * reuses once the namespace is gone: there, state of a deleted namespace
 * must be removed (`tcsteer gc`) before a new one may inherit its number
 * (docs/design.md). */
#ifndef TCSTEER_STATE_NETNS_H
#define TCSTEER_STATE_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

struct netns_id {
	uint64_t value;
	bool is_inode;          /* no SO_NETNS_COOKIE: the nsfs inode */
};

/* The namespace of socket fd (any socket: its namespace is the caller's). */
int netns_id_of_socket(int fd, struct netns_id *id, struct errmsg *err);

/* Directory name of a namespace's state: "<cookie>" or "ino-<inode>". */
void netns_id_name(const struct netns_id *id, char *out, size_t len);
/* The reverse; false for a name that is neither. */
bool netns_id_parse(const char *name, struct netns_id *id);
bool netns_id_equal(const struct netns_id *a, const struct netns_id *b);

/* Take this namespace's tcsteer lock: an exclusive flock(2) on the
 * namespace itself (/proc/self/ns/net). Every mount namespace sees the same
 * nsfs inode, so `ip netns exec` and `nsenter --net` runs exclude each
 * other, and the kernel drops the lock when its holder dies, however it
 * dies. Waits up to timeout_ms for another holder (naming its pid from
 * /proc/locks if that takes long). Returns the fd holding the lock, or
 * -ENOENT without /proc (the caller goes on unlocked), or -errno. */
int netns_lock(unsigned int timeout_ms, struct errmsg *err);

#endif
