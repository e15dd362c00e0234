/* SPDX-License-Identifier: MIT */
/* The program an attach runs: its object parsed, the program loaded onto
 * its table's maps, with a tcsteer_meta bound to it.
 *
 * It is kept until the process ends, so that a batch attaching one program
 * with one table to many devices parses and loads it once: every filter
 * then runs the same kernel program. */
#ifndef TCSTEER_CLI_PROGRAM_H
#define TCSTEER_CLI_PROGRAM_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"
#include "hooks.h"
#include "load.h"
#include "object.h"

struct program {
	char key[600];                  /* object, section, program, table */
	void *file;                     /* object file contents, NULL if embedded */
	struct object_spec obj;
	bool obj_open;
	const struct prog_spec *spec;
	struct loaded_object lo;
	bool loaded;
	uint32_t id;                    /* its kernel id */
	char table[IF_NAMESIZE];        /* "" when it uses no table */
	int meta_fd;                    /* its tcsteer_meta */
	/* The maps it needs kept after exit (tail-call tables). */
	const char *keep_names[16];
	int keep_fds[16];
	unsigned int nkeep;
};

/* Parse (and, unless dry_run, load) the program of c for the hook as it is
 * (hs: what runs there now, whose table maps it may take over); table is
 * the table it uses. *out stays valid until program_cleanup(). */
int program_get(const struct cmd *c, const char *table, struct state *s,
		const struct hook_scan *hs, bool dry_run, struct program **out,
		struct errmsg *err);

/* Same instructions and the same maps as program old_fd (the tag hashes
 * the instructions with map references left out; the maps tell a fresh,
 * empty table from the live one). */
bool program_same(const struct program *p, int old_fd);

/* Is program id one this process loaded (so an attach that left it on a
 * hook put it there now)? */
bool program_loaded_here(uint32_t id);

void program_cleanup(void);

/* The next program_get() loads a program of its own even where the hook
 * runs this very one (which it would otherwise take): a tcx link cannot
 * run the program of another link on the same hook. */
void program_want_copy(void);

#endif
