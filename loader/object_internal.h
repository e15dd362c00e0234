/* SPDX-License-Identifier: MIT */
/* Private to object*.c: the state object_open() carries between its steps.
 *
 *   object.c         orchestration: sections, license/version/BTF, open,
 *                    close, find, names
 *   object_maps.c    the map table, `maps` (bpf_map_def / bpf_elf_map),
 *                    global data sections
 *   object_btf_maps.c  BTF `.maps` and PROG_ARRAY `values` initialisers
 *   object_progs.c   programs, .text subprograms, BPF-to-BPF calls
 *   object_relocs.c  code relocations: ld_imm64 -> map references */
#ifndef TCSTEER_LOADER_OBJECT_INTERNAL_H
#define TCSTEER_LOADER_OBJECT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "btf.h"
#include "object.h"

enum sec_kind {
	SEC_OTHER,
	SEC_TEXT,               /* .text: subprograms only */
	SEC_PROG,               /* other executable sections: programs */
	SEC_LEGACY_MAPS,        /* "maps" */
	SEC_BTF_MAPS,           /* ".maps" */
	SEC_DATA,               /* .data*, .rodata*, .bss* */
};

/* The sorted relocations of one section, read on first use. */
struct sec_relocs {
	struct elf_reloc *r;
	size_t n;
	bool read;
};

/* A function in .text, in instructions. */
struct text_func {
	uint64_t start, count;
};

/* Per-map facts needed only while opening. */
struct map_extent {
	uint64_t size;          /* bytes of the definition in its section */
	int64_t values_off;     /* BTF `values` member offset, or -1 */
};

struct open_ctx {
	struct object_spec *obj;
	const struct elf_file *ef;
	struct errmsg *err;
	enum sec_kind *kinds;           /* per section */
	struct sec_relocs *relocs;      /* per section */
	struct btf btf;
	bool have_btf;
	uint32_t text;                  /* .text section index, 0 if none */
	struct map_extent *extents;     /* per map */
	size_t maps_cap;
	uint64_t *prog_sizes;           /* per program: bytes of its function */
	struct text_func *text_funcs;   /* .text functions, by start */
	size_t ntext_funcs;
};

/* Building one program's instructions. */
struct prog_build {
	struct prog_spec *p;
	size_t insns_cap, refs_cap;
	uint64_t start, end;            /* its insns in its own section */
	/* per .text function: where it was appended, or -1 */
	int64_t *text_pos;
	/* .text functions in the order they were appended; the first
	 * `relocated` of them have had their relocations done */
	size_t *appended, nappended, relocated;
};

static inline uint32_t load_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline const char *sec_name(const struct open_ctx *c, uint32_t shndx)
{
	return shndx < c->ef->nsections ? c->ef->sections[shndx].name : "?";
}

/* object.c */
bool valid_obj_name(const char *name);

/* object_maps.c */
int check_map_name(struct open_ctx *c, const char *name);
int check_map_type(struct open_ctx *c, const struct map_spec *m);
struct map_spec *add_map(struct open_ctx *c, const char *name,
			 uint32_t shndx, uint64_t offset, uint64_t size);
int section_symbols(struct open_ctx *c, uint32_t shndx,
		    const struct elf_symbol ***out, size_t *n);
int map_at(const struct open_ctx *c, uint32_t shndx, uint64_t offset);
int collect_maps(struct open_ctx *c);

/* object_btf_maps.c */
int parse_btf_maps(struct open_ctx *c, uint32_t shndx);
int collect_prog_slots(struct open_ctx *c);

/* object_progs.c */
int collect_text_functions(struct open_ctx *c);
int collect_programs(struct open_ctx *c);
int build_program(struct open_ctx *c, size_t index);
int fix_call(struct open_ctx *c, struct prog_build *b, size_t at,
	     uint32_t shndx, uint64_t sec_insn, const struct elf_reloc *r);

/* object_relocs.c */
int section_relocs(struct open_ctx *c, uint32_t shndx,
		   const struct sec_relocs **out);
int relocate_code(struct open_ctx *c, struct prog_build *b, uint32_t shndx,
		  uint64_t first, uint64_t count, size_t base);

#endif
