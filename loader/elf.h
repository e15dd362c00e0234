/* SPDX-License-Identifier: MIT */
/* A bounds-checked reader for ELF64 little-endian EM_BPF relocatable objects.
 *
 * It parses from a memory buffer and makes no system calls, so it can be
 * unit-tested and fuzzed. Every offset, size, index and string read from the
 * file is checked against the buffer before use; a malformed file yields
 * -EINVAL (or -ENOMEM) and a one-line reason in the errmsg. The parsed views
 * point into the caller's buffer, which must outlive the struct elf_file. */
#ifndef TCSTEER_LOADER_ELF_H
#define TCSTEER_LOADER_ELF_H

#include <linux/elf.h>   /* SHT_*, SHF_*, SHN_*, STB_*, STT_*, Elf64_* */
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

/* Note: with loader/ on the include path, <elf.h> names this header, not
 * glibc's; <linux/elf.h> above supplies the generic ELF constants and the
 * few it lacks are defined here. */
#ifndef SHN_XINDEX
#define SHN_XINDEX	0xffff  /* the real index is stored elsewhere */
#endif
#ifndef SHF_COMPRESSED
#define SHF_COMPRESSED	(1 << 11)  /* data starts with an Elf64_Chdr */
#endif
#ifndef STV_DEFAULT
#define STV_DEFAULT	0
#define STV_INTERNAL	1
#define STV_HIDDEN	2
#define STV_PROTECTED	3
#endif

/* BPF relocation types (LLVM's Documentation/bpf/llvm_reloc.rst). */
#ifndef R_BPF_NONE
#define R_BPF_NONE	0
#endif
#ifndef R_BPF_64_64
#define R_BPF_64_64	1	/* ld_imm64: a 16-byte instruction pair */
#endif
#ifndef R_BPF_64_ABS64
#define R_BPF_64_ABS64	2	/* 8 bytes of data */
#endif
#ifndef R_BPF_64_ABS32
#define R_BPF_64_ABS32	3	/* 4 bytes of data */
#endif
#ifndef R_BPF_64_NODYLD32
#define R_BPF_64_NODYLD32 4	/* 4 bytes in .BTF / .BTF.ext */
#endif
#ifndef R_BPF_64_32
#define R_BPF_64_32	10	/* call: one 8-byte instruction */
#endif

struct elf_section {
	uint32_t index;
	const char *name;       /* NUL-terminated, inside .shstrtab */
	uint32_t type;          /* SHT_* */
	uint64_t flags;         /* SHF_* */
	uint64_t offset;        /* sh_offset as in the file */
	const uint8_t *data;    /* NULL for SHT_NOBITS and empty sections;
				 * raw (Elf64_Chdr + payload) if SHF_COMPRESSED */
	uint64_t size;          /* sh_size (also for NOBITS) */
	uint32_t link;
	uint32_t info;
	uint64_t entsize;
	uint64_t addralign;
};

struct elf_symbol {
	const char *name;       /* "" when st_name is 0 */
	uint64_t value;
	uint64_t size;
	uint16_t shndx;         /* raw st_shndx (SHN_UNDEF, SHN_ABS, ...) */
	uint8_t bind;           /* STB_* */
	uint8_t type;           /* STT_* */
	uint8_t visibility;     /* STV_* */
};

struct elf_reloc {
	uint64_t offset;        /* r_offset, checked < target section size */
	uint32_t sym;           /* symbol index, checked < nsymbols */
	uint32_t type;          /* R_BPF_* */
	int64_t addend;         /* 0 for SHT_REL */
};

struct elf_file {
	const uint8_t *buf;
	size_t len;
	struct elf_section *sections;   /* nsections entries, [0] is SHN_UNDEF */
	size_t nsections;
	struct elf_symbol *symbols;     /* nsymbols entries, [0] is the null symbol */
	size_t nsymbols;
	uint32_t symtab_index;          /* 0 if the object has no .symtab */
};

/* Parse buf[0..len). On success fills *ef (free with elf_close) and returns 0.
 * Everything is validated up front, the entries of every relocation section
 * included, so later lookups cannot fail. On failure *ef is left zeroed.
 * buf needs no particular alignment. */
int elf_open(struct elf_file *ef, const void *buf, size_t len, struct errmsg *err);
void elf_close(struct elf_file *ef);

/* The first section called `name`, or NULL. */
const struct elf_section *elf_section_by_name(const struct elf_file *ef,
					      const char *name);

/* The SHT_REL/SHT_RELA section that applies to section `target`, or NULL. */
const struct elf_section *elf_relocs_for(const struct elf_file *ef,
					 uint32_t target);

/* Decode the relocations of rel section `rel`; every entry is checked
 * (symbol index in range, offset inside the target section).
 * *out is malloc'ed (free it), *n its length. */
int elf_read_relocs(const struct elf_file *ef, const struct elf_section *rel,
		    struct elf_reloc **out, size_t *n, struct errmsg *err);

#endif
