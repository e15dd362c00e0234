/* SPDX-License-Identifier: MIT */
/* The reference side of test_elf_diff: the same facts loader/elf.c reports,
 * read with elfutils' libelf. Kept in its own library and free of both
 * <gelf.h> and loader/elf.h, because with loader/ on the include path
 * <elf.h> would name our header instead of the system one libelf needs. */
#ifndef TCSTEER_TESTS_ELF_REF_LIBELF_H
#define TCSTEER_TESTS_ELF_REF_LIBELF_H

#include <stddef.h>
#include <stdint.h>

struct elf_ref_section {
	char *name;
	uint32_t type;
	uint64_t flags, offset, size;
	uint32_t link, info;
	uint64_t entsize, addralign;
};

struct elf_ref_symbol {
	char *name;
	uint64_t value, size;
	uint16_t shndx;
	uint8_t bind, type, visibility;
};

struct elf_ref_reloc {
	uint64_t offset;
	uint32_t sym, type;
	int64_t addend;
};

struct elf_ref {
	struct elf_ref_section *sections;
	size_t nsections;
	size_t symtab_index;            /* 0 if none */
	struct elf_ref_symbol *symbols;
	size_t nsymbols;
	struct elf_ref_reloc **relocs;  /* per section; NULL unless REL/RELA */
	size_t *nrelocs;
};

/* Reads buf[0..len) with libelf. Returns 0, or -1 with a reason in why. */
int elf_ref_read(struct elf_ref *ref, const void *buf, size_t len,
		 char *why, size_t whylen);
void elf_ref_free(struct elf_ref *ref);

#endif
