/* SPDX-License-Identifier: MIT */
/* The object model: what an ELF BPF object asks the kernel for.
 *
 * object_open() turns a parsed ELF file into programs (with the .text
 * functions each one reaches appended and BPF-to-BPF calls fixed), map
 * specifications (legacy `maps` struct bpf_map_def, iproute2 struct
 * bpf_elf_map, BTF `.maps`, global data .data/.rodata/.bss) and the list of
 * map references each program's instructions hold. Like elf.c it makes no
 * system calls. Map names are checked to be what the kernel accepts (1-15
 * characters of [A-Za-z0-9_.]); global data maps are named after their
 * section. Function pointers (callbacks) and externs are refused.
 *
 * object_open() copies the file image, so the caller's buffer may be freed
 * right after it returns; everything in the object_spec (init pointers,
 * names, elf views) stays valid until object_close(). */
#ifndef TCSTEER_LOADER_OBJECT_H
#define TCSTEER_LOADER_OBJECT_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"
#include "errmsg.h"

enum map_origin {
	MAP_ORIGIN_LEGACY,      /* SEC("maps"), struct bpf_map_def */
	MAP_ORIGIN_IPROUTE2,    /* SEC("maps"), struct bpf_elf_map */
	MAP_ORIGIN_BTF,         /* SEC(".maps"), BTF-defined */
	MAP_ORIGIN_DATA,        /* .data / .rodata / .bss */
};

enum map_pinning {
	MAP_PIN_NONE = 0,
	MAP_PIN_BY_NAME,        /* libbpf LIBBPF_PIN_BY_NAME, iproute2 PIN_OBJECT_NS */
	MAP_PIN_GLOBAL,         /* iproute2 PIN_GLOBAL_NS: /sys/fs/bpf/tc/globals */
};

struct map_spec {
	char name[64];
	enum map_origin origin;
	uint32_t type, key_size, value_size, max_entries, flags;
	enum map_pinning pinning;
	uint32_t sec_index;             /* ELF section holding the definition */
	uint64_t sec_offset;            /* its offset in that section */
	const uint8_t *init;            /* global data initial value, or NULL */
	bool freeze;                    /* .rodata: freeze after filling */
	/* BTF type ids in obj->btf, 0 when unknown. Global data maps have no
	 * key type (0) and their DATASEC as value type: the kernel accepts
	 * that "keyless" form for single-entry arrays. */
	uint32_t btf_key_type_id, btf_value_type_id;
	/* PROG_ARRAY static initialisation: slot -> program index */
	struct { uint32_t slot; int prog; } *prog_slots;
	size_t nprog_slots;
	/* ARRAY_OF_MAPS / HASH_OF_MAPS (BTF `__array(values, struct inner)`
	 * only): the inner map's definition. The loader creates the outer
	 * map with a template made from it; the slots start empty, and
	 * whoever fills them gives inner maps of this type, key and value
	 * (their max_entries may differ, except for arrays). */
	struct map_spec *inner;
};

/* One instruction that refers to a map (ld_imm64). In prog->insns its src_reg
 * and both imm halves are 0: the loader fills in BPF_PSEUDO_MAP_FD/VALUE, the
 * fd and (for values) the offset. */
struct map_ref {
	size_t insn;            /* index of the ld_imm64 in prog->insns */
	int map;                /* index into obj->maps */
	uint32_t offset;        /* byte offset into a global data map value */
	bool value;             /* BPF_PSEUDO_MAP_VALUE (global data) vs MAP_FD */
};

struct prog_spec {
	char name[64];          /* ELF function name */
	char section[128];      /* ELF section name, e.g. "tc" or "classifier" */
	struct bpf_insn *insns; /* own copy, subprograms appended */
	size_t ninsns;
	uint32_t sec_index;     /* ELF section and byte offset of the function */
	uint64_t sec_offset;
	struct map_ref *refs;
	size_t nrefs;
};

struct object_spec {
	struct elf_file elf;
	char license[128];
	uint32_t kern_version;
	struct map_spec *maps;
	size_t nmaps;
	struct prog_spec *progs;
	size_t nprogs;
	uint8_t *btf;           /* .BTF with DATASEC sizes/offsets fixed, or NULL */
	size_t btf_size;
	uint8_t *image;         /* own copy of the ELF file; elf points into it */
};

int object_open(struct object_spec *obj, const void *buf, size_t len,
		struct errmsg *err);
void object_close(struct object_spec *obj);

/* Choose a program by section name or by function name; both NULL selects
 * the first program. Returns NULL and fills err when there is no match. */
const struct prog_spec *object_find_program(const struct object_spec *obj,
					    const char *section,
					    const char *function,
					    struct errmsg *err);

/* name as the kernel takes it (bpf_obj_name_cpy fails the whole call on
 * anything else): cut to BPF_OBJ_NAME_LEN - 1 characters, every character
 * outside [A-Za-z0-9_.] replaced by '_'. Global data maps are named so here,
 * programs so by the loader. */
void object_kernel_name(char dst[BPF_OBJ_NAME_LEN], const char *name);

#endif
