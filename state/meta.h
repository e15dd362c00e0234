/* SPDX-License-Identifier: MIT */
/* tcsteer_meta: the map that makes a program tcsteer's.
 *
 * Every program tcsteer attaches holds one (BPF_PROG_BIND_MAP, kernel 5.10:
 * the program need not use it), and every table has one, pinned with its
 * maps. It is a frozen one-entry array the programs may not write, holding
 * the table's name, the device whose own table it is, the namespace and
 * the table format. So the kernel itself can say which filters are
 * tcsteer's and which table they use, to any later command in any mount
 * namespace: program id -> map ids -> the map named tcsteer_meta with the
 * right magic. Reading it by id needs CAP_SYS_ADMIN; without, the pinned
 * records and tables answer the same questions. */
#ifndef TCSTEER_STATE_META_H
#define TCSTEER_STATE_META_H

#include <linux/types.h>
#include <net/if.h>
#include <stdint.h>

#include "errmsg.h"

#define META_MAP_NAME "tcsteer_meta"
#define META_MAGIC "tcsteer"

struct tcsteer_meta {
	char magic[8];          /* META_MAGIC */
	__u32 format;           /* the table's STEER_FORMAT_VERSION; 0: no table */
	__u32 owner_ifindex;    /* the device whose own table this is, 0: none */
	__u64 netns;            /* the namespace's id (cookie or inode) */
	char table[IF_NAMESIZE]; /* "" for a program without a table */
};

/* Fill the magic and the table's name. */
void meta_init(struct tcsteer_meta *m, const char *table, uint32_t format,
	       uint32_t owner_ifindex, uint64_t netns);

/* A new meta map holding m, frozen: an fd or -errno. */
int meta_create(const struct tcsteer_meta *m, struct errmsg *err);

/* 0 and *m if fd is a tcsteer_meta map, -ENOENT if it is another map. */
int meta_read(int fd, struct tcsteer_meta *m);

/* Make prog_fd hold the meta map (BPF_PROG_BIND_MAP). */
int meta_bind(int prog_fd, int meta_fd, struct errmsg *err);

/* The meta map among the maps of prog_fd, opened by id: its fd (and *m),
 * -ENOENT if the program has none (it is not tcsteer's), -EPERM without
 * CAP_SYS_ADMIN. */
int meta_of_prog(int prog_fd, struct tcsteer_meta *m, struct errmsg *err);

#endif
