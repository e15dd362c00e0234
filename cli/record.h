/* SPDX-License-Identifier: MIT */
/* What tcsteer remembers about the filters it attached.
 *
 * The record of a hook is a pin of the attached program on bpffs:
 *   /sys/fs/bpf/tcsteer/<dev>/prog_egress   (or .../prog_ingress)
 * A filter belongs to tcsteer if and only if its program id is the id of the
 * program pinned there. That is how `attach` replaces its own filter and
 * `detach` removes it without ever touching a filter of another tool, even
 * one with the same name (the Go tool names its filters the same way).
 * The same directory holds the steering program's pinned tables. */
#ifndef TCSTEER_CLI_RECORD_H
#define TCSTEER_CLI_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

#define TCSTEER_PIN_ROOT "/sys/fs/bpf/tcsteer"

/* /sys/fs/bpf/tcsteer/<dev> */
void record_dir(char *out, size_t len, const char *dev);

/* The program id of the hook's record, 0 if there is none. */
int record_read(const char *dev, enum hook h, uint32_t *prog_id,
		struct errmsg *err);

/* The hook's recorded program, opened through its pin: an fd, -ENOENT if
 * there is no record, or -errno (err set). Unlike BPF_PROG_GET_FD_BY_ID,
 * which needs CAP_SYS_ADMIN, this needs only access to the pin. */
int record_open(const char *dev, enum hook h, struct errmsg *err);

/* Make prog_fd the hook's record, replacing any previous one atomically. */
int record_write(const char *dev, enum hook h, int prog_fd, struct errmsg *err);

/* The record of the program being replaced, kept while its filters are
 * deleted (prog_<hook>_old): if that fails, the next attach or detach on
 * the hook finds it and retires those filters. Best effort, no errors. */
int record_read_old(const char *dev, enum hook h, uint32_t *prog_id);
void record_keep_old(const char *dev, enum hook h);
void record_drop_old(const char *dev, enum hook h);

/* Forget the hook's record (no error if there is none). */
int record_remove(const char *dev, enum hook h, struct errmsg *err);

#endif
