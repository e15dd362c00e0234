/* SPDX-License-Identifier: MIT */
/* The command model of the tcsteer CLI.
 *
 * Every command is parsed from its words into a struct cmd before anything
 * runs, so that a batch file is checked whole (syntax, devices, prefixes,
 * objects) before its first command touches the kernel. */
#ifndef TCSTEER_CLI_CMD_H
#define TCSTEER_CLI_CMD_H

#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "errmsg.h"
#include "hook.h"
#include "ipaddr.h"
#include "steer_maps.h"

enum cmd_kind {
	CMD_ATTACH,
	CMD_DETACH,
	CMD_SHOW,
	CMD_ROUTE_ADD,
	CMD_ROUTE_DEL,
	CMD_ROUTE_SHOW,
	CMD_GC,
	CMD_FLOWS,
};

/* How attach attaches: a clsact filter (the Go tool's messages) or a TCX
 * link (kernel 6.6). MODE_ANY: not said; the mode tcsteer's program on the
 * hook runs in now, clsact on a hook without one. */
enum attach_mode { MODE_ANY, MODE_CLSACT, MODE_TCX };

/* Where a tcx attach goes among the hook's tcx programs. PLACE_NONE: where
 * tcsteer's link is now, first for a new one. */
enum place { PLACE_NONE, PLACE_FIRST, PLACE_LAST, PLACE_BEFORE, PLACE_AFTER };

struct cmd {
	enum cmd_kind kind;
	int line;                       /* batch file line, 0 on the command line */
	char dev[IF_NAMESIZE];          /* attach/detach/show: the hooked device */
	int ifindex;                    /* its index when parsed (0: gone) */
	enum hook hook;
	const char *object;             /* attach: file, NULL = embedded program */
	const char *section;            /* attach: select by section name */
	const char *program;            /* attach: select by function name */
	struct ipaddr prefix;           /* route: source prefix */
	struct ipaddr via;              /* route add: next hop */
	char out_dev[IF_NAMESIZE];      /* route add: output device */
	int out_ifindex;
	bool learn;                     /* route add: learn dev IFACE... */
	char learn_dev[STEER_LEARN_MAX][IF_NAMESIZE];
	int learn_ifindex[STEER_LEARN_MAX];
	int nlearn;
	uint32_t flows;                 /* route add learn: flow table size, 0: as it is */
	char table[IF_NAMESIZE];        /* table name, "" = attach: the device's own;
					   route: the only one there is */
	bool stats;                     /* route show -s */
	enum attach_mode mode;          /* attach: mode clsact|tcx */
	enum place place;               /* attach: first|last|before ID|after ID */
	uint32_t place_id;              /* the program id of before/after */
};

struct opts {
	bool json;
	bool verbose;
	bool dry_run;
	bool stats;
	bool details;
};

extern struct opts g_opts;

/* Parse one command (words after global options). */
int cmd_parse(struct cmd *c, int argc, char **argv, struct errmsg *err);

/* Run one parsed command. */
int cmd_run(const struct cmd *c, struct errmsg *err);

/* What run_attach left on the hook: the program and the table it uses
 * ("" for none). */
struct attached {
	uint32_t prog_id;
	char table[IF_NAMESIZE];
};

/* done may be NULL; it is filled on success outside --dry-run. */
int run_attach(const struct cmd *c, struct attached *done, struct errmsg *err);
int run_detach(const struct cmd *c, struct errmsg *err);
int run_show(const struct cmd *c, struct errmsg *err);
int run_route_add(const struct cmd *c, struct errmsg *err);
int run_route_del(const struct cmd *c, struct errmsg *err);
int run_route_show(const struct cmd *c, struct errmsg *err);
int run_gc(const struct cmd *c, struct errmsg *err);
int run_flows(const struct cmd *c, struct errmsg *err);

/* Batch: parse every line of the file, then run them all; see batch.c. */
int run_batch(const char *path, struct errmsg *err);

/* Help texts (help.c). */
void usage(FILE *f);
bool command_usage(const char *name, FILE *f);
bool is_help_word(const char *w);

/* Helpers shared by the commands (util.c). */
int dev_index(const char *dev, struct errmsg *err);
int read_file(const char *path, void **buf, size_t *len, struct errmsg *err);
void vlog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vlogv(const char *fmt, va_list ap);

#endif
