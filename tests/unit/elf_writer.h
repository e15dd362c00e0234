/* SPDX-License-Identifier: MIT */
/* A tiny ELF64 little-endian writer for tests: describe sections, get an
 * image laid out as  ELF header | section data | .shstrtab | section
 * headers, then patch single fields to make it malformed. Deliberately
 * independent of loader/elf.c so the two cannot share a mistake. */
#ifndef TCSTEER_TESTS_ELF_WRITER_H
#define TCSTEER_TESTS_ELF_WRITER_H

#include <linux/elf.h>
#include <stddef.h>
#include <stdint.h>

#define ELFW_MAX_SECTIONS 32

struct elfw_section {
	const char *name;
	uint32_t type;
	uint64_t flags;
	const void *data;       /* NULL for SHT_NOBITS: size only */
	uint64_t size;
	uint32_t link;
	uint32_t info;
	uint64_t entsize;
	uint64_t addralign;
};

struct elfw {
	struct elfw_section sec[ELFW_MAX_SECTIONS]; /* [0]: the null section */
	uint32_t nsec;
};

struct elf_image {
	uint8_t *buf;           /* malloc'ed, exactly len bytes */
	size_t len;
	uint64_t shoff;
	uint32_t shnum;         /* including [0] and .shstrtab */
	uint32_t shstrndx;      /* always the last section */
};

void elfw_init(struct elfw *w);

/* Appends a section (data is copied at build time); returns its index. */
uint32_t elfw_add(struct elfw *w, const char *name, uint32_t type,
		  uint64_t flags, const void *data, uint64_t size);

/* Sets sh_link, sh_info and sh_entsize of section idx. */
void elfw_set_links(struct elfw *w, uint32_t idx, uint32_t link,
		    uint32_t info, uint64_t entsize);

/* Builds the image (adds .shstrtab last). Aborts on allocation failure. */
void elfw_build(struct elfw *w, struct elf_image *img);
void elf_image_free(struct elf_image *img);

/* A copy of img, in a buffer of exactly len bytes (len <= img->len). */
uint8_t *elf_image_copy(const struct elf_image *img, size_t len);

/* Section header idx of an image (no bounds check: tests patch it). */
uint8_t *elf_image_shdr(const struct elf_image *img, uint32_t idx);

/* The bytes of section idx, via its sh_offset. */
uint8_t *elf_image_data(const struct elf_image *img, uint32_t idx);

/* Little-endian stores and loads of n bytes at any alignment. */
void elfw_put(uint8_t *p, uint64_t v, size_t n);
uint64_t elfw_get(const uint8_t *p, size_t n);

#define ELFW_SET(p, type, member, v)					\
	elfw_put((uint8_t *)(p) + offsetof(type, member), (v),		\
		 sizeof(((type *)0)->member))
#define ELFW_GET(p, type, member)					\
	elfw_get((const uint8_t *)(p) + offsetof(type, member),	\
		 sizeof(((type *)0)->member))

/* String table builder: offset 0 is the empty string. */
struct elfw_strtab {
	char buf[1024];
	size_t len;
};

void elfw_strtab_init(struct elfw_strtab *t);
uint32_t elfw_str(struct elfw_strtab *t, const char *s);

/* Raw entries, written in file layout. */
void elfw_sym(uint8_t out[24], uint32_t name, uint8_t bind, uint8_t type,
	      uint8_t other, uint16_t shndx, uint64_t value, uint64_t size);
void elfw_rel(uint8_t out[16], uint64_t offset, uint32_t sym, uint32_t type);
void elfw_rela(uint8_t out[24], uint64_t offset, uint32_t sym, uint32_t type,
	       int64_t addend);

#endif
