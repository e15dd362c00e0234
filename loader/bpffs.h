/* SPDX-License-Identifier: MIT */
/* The bpf filesystem: mounting it, making pin directories, pin names.
 *
 * bpffs refuses names containing a dot (kernel/bpf/inode.c bpf_lookup), so
 * pin names are sanitised the way libbpf does it: '.' becomes '_'. */
#ifndef TCSTEER_LOADER_BPFFS_H
#define TCSTEER_LOADER_BPFFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "errmsg.h"

#define BPFFS_DEFAULT_MOUNT "/sys/fs/bpf"
/* iproute2's PIN_GLOBAL_NS directory, shared with tc-loaded programs. */
#define BPFFS_TC_GLOBALS "/sys/fs/bpf/tc/globals"

/* Mount a bpffs (mode 0700) at path unless path already lies on one.
 * Returns 0 if it was there, 1 if this call mounted it (and says so on vlog
 * when vlog is not NULL), or -errno with e.g.
 * "cannot mount bpffs on /sys/fs/bpf: Operation not permitted". */
int bpffs_ensure_mounted(const char *path, FILE *vlog, struct errmsg *err);

/* 1 if path lies on a bpf filesystem, 0 if not, -errno if statfs fails. */
int bpffs_is_bpffs(const char *path);

/* mkdir -p for pin directories: every directory it creates must have its
 * parent on bpffs, so nothing is ever created on another filesystem; the
 * final directory must be on bpffs too. */
int bpffs_mkdir_p(const char *path, mode_t mode, struct errmsg *err);

/* Copy name into dst (size bytes, always NUL-terminated), '.' -> '_'. */
void bpffs_sanitize_name(char *dst, size_t size, const char *name);

/* "<dir>/<sanitised name>" into buf; -ENAMETOOLONG if it does not fit. */
int bpffs_pin_path(char *buf, size_t size, const char *dir, const char *name,
		   struct errmsg *err);

#endif
