/* SPDX-License-Identifier: MIT */
/* Private to load*.c: the state object_load() carries between its steps.
 *
 *   load.c        orchestration: what is needed, the order, cleanup
 *   load_maps.c   BTF upload, maps (pinned or created), global data, pins
 *   load_prog.c   programs: map fds into the code, loading with the
 *                 verifier log, PROG_ARRAY slots */
#ifndef TCSTEER_LOADER_LOAD_INTERNAL_H
#define TCSTEER_LOADER_LOAD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "load.h"

/* The first verifier/BTF log buffer; load_prog.c grows it up to its cap. */
#define LOG_SIZE_FIRST (64u << 10)

struct load_ctx {
	const struct object_spec *obj;
	const struct load_opts *opts;
	FILE *log;
	struct errmsg *err;
	struct loaded_object *lo;
	int btf_fd;             /* -1 when there is no (accepted) BTF */
	bool btf_tried;         /* load_btf() ran (it runs at most once) */
	bool pin_dir_made;      /* opts->pin_dir exists (made or found here) */
	bool global_dir_made;   /* and the directory of global pins */
	bool *need_map;         /* [obj->nmaps] */
	bool *need_prog;        /* [obj->nprogs] */
	char **pin_path;        /* [obj->nmaps]: NULL if the map is not pinned */
	bool *pin_new;          /* [obj->nmaps]: created here, pin at the end */
	bool *pinned_here;      /* [obj->nmaps]: pinned by this call */
	uint32_t *map_ids;      /* [obj->nmaps]: kernel ids of the maps taken
				   from pins or opts->reuse, 0 otherwise */
};

/* load.c: a line on the log stream when opts->verbose. */
void load_note(const struct load_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* load_maps.c */
int prepare_maps(struct load_ctx *c);
int pin_new_maps(struct load_ctx *c);
void unpin_new_maps(struct load_ctx *c);

/* load_prog.c */
void last_meaningful_line(char *dst, size_t size, const char *log);
/* opts->same_prog_fd taken as the chosen program: 1, else 0. */
int reuse_same_prog(struct load_ctx *c, size_t chosen);
int load_progs(struct load_ctx *c, size_t chosen);
int fill_prog_arrays(struct load_ctx *c);

#endif
