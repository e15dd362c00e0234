/* SPDX-License-Identifier: MIT */
/* Turning an object_spec into kernel objects with the bpf() syscall. */
#ifndef TCSTEER_LOADER_LOAD_H
#define TCSTEER_LOADER_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "errmsg.h"
#include "object.h"

/* A map to use instead of creating or opening one: an object's map pinned
 * by name whose kernel name (at most 15 characters) is this gets a
 * duplicate of fd (it must match the object's definition), and is not
 * pinned. How a program is reloaded onto the maps of the one it replaces
 * when those are not pinned. */
struct load_reuse {
	const char *name;
	int fd;
};

struct load_opts {
	/* Directory (on bpffs) where MAP_PIN_BY_NAME maps are pinned and
	 * reused; NULL disables pinning by name. Created if missing. */
	const char *pin_dir;
	/* Where MAP_PIN_GLOBAL maps live; NULL means iproute2's
	 * /sys/fs/bpf/tc/globals (tests point it elsewhere). */
	const char *global_pin_dir;
	/* Print the whole verifier log on rejection (else its last lines). */
	bool verbose_log;
	/* Note decisions on log_stream: BTF dropped and why, pins reused or
	 * created, maps created without BTF. */
	bool verbose;
	/* Where verifier log lines go (stderr if NULL). */
	void *log_stream; /* FILE * */
	/* Put before each note, e.g. "tcsteer: " (nothing if NULL). */
	const char *note_prefix;
	/* Maps to reuse by name (see struct load_reuse). */
	const struct load_reuse *reuse;
	size_t nreuse;
	/* Create (and pin) the maps the program needs, but load no program:
	 * out->prog_fd stays -1. */
	bool maps_only;
	/* The caller made pin_dir's parent, on bpffs: pin_dir is created with
	 * one mkdir when a map is pinned there, without checking each
	 * component of its path. */
	bool pin_dir_parent_ok;
	/* Pin nothing and open no pins: maps pinned by name or globally are
	 * created like the others (or taken from reuse). For a process whose
	 * pins would not outlive it. */
	bool no_pins;
};

struct loaded_object {
	int prog_fd;            /* the chosen program (also in prog_fds) */
	int *map_fds;           /* obj->nmaps entries, -1 where not created */
	size_t nmaps;
	int *prog_fds;          /* obj->nprogs, tail-call targets loaded too */
	size_t nprogs;
	bool btf_loaded;        /* the kernel accepted the object's BTF */
};

/* Create (or reuse pinned) maps, fill global data, load `prog` as
 * BPF_PROG_TYPE_SCHED_CLS, and populate PROG_ARRAY maps.
 *
 * Only the maps the program (and its tail-call targets, transitively) refer
 * to are created. Pinned maps (MAP_PIN_BY_NAME under opts->pin_dir,
 * MAP_PIN_GLOBAL under opts->global_pin_dir) are reused when a matching
 * pin exists; new ones are pinned only after every program loaded, so a
 * failed load leaves no new pins behind (directories it created may stay).
 * bpffs must already be mounted (bpffs_ensure_mounted).
 *
 * On failure nothing stays open and err says why in one line; a verifier
 * rejection also writes the log's tail (or all of it with verbose_log) to
 * log_stream. */
int object_load(const struct object_spec *obj, const struct prog_spec *prog,
		const struct load_opts *opts, struct loaded_object *out,
		struct errmsg *err);
void loaded_object_close(struct loaded_object *lo);

#endif
