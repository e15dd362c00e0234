/* SPDX-License-Identifier: MIT */
/* A bounds-checked reader for the .BTF section of a BPF object, and the
 * fix-up clang needs before the kernel accepts that BTF.
 *
 * btf_parse() copies the blob and validates all of it up front: header,
 * section bounds, every type record, every name offset and every type id a
 * record refers to. After that, lookups by id cannot go out of bounds; type
 * chains can still form cycles (a malformed file may make a typedef point at
 * itself), so everything that follows chains caps its depth.
 * Like elf.c, no system calls. */
#ifndef TCSTEER_LOADER_BTF_H
#define TCSTEER_LOADER_BTF_H

#include <linux/btf.h>
#include <stddef.h>
#include <stdint.h>

#include "elf.h"
#include "errmsg.h"

/* Longest typedef/const/array chain followed before calling it a loop. */
#define BTF_MAX_CHAIN 32

struct btf {
	uint8_t *data;          /* own, 4-byte aligned copy; fix-ups go here */
	size_t size;
	const char *strings;    /* string section: NUL first and last */
	uint32_t strings_len;
	uint32_t *type_offs;    /* type_offs[id]: offset of type id in data */
	uint32_t ntypes;        /* number of ids, void (id 0) included */
};

int btf_parse(struct btf *btf, const void *data, size_t size,
	      struct errmsg *err);
void btf_free(struct btf *btf);

/* Take the (fixed) blob out of btf: the caller frees it. btf stays usable
 * only for btf_free(). */
uint8_t *btf_steal_data(struct btf *btf, size_t *size);

/* NULL for id 0 (void) and for ids out of range. */
const struct btf_type *btf_type_by_id(const struct btf *btf, uint32_t id);

/* The string at offset off, or NULL when off is out of range. */
const char *btf_str(const struct btf *btf, uint32_t off);

static inline uint32_t btf_kind(const struct btf_type *t)
{
	return BTF_INFO_KIND(t->info);
}

static inline uint32_t btf_vlen(const struct btf_type *t)
{
	return BTF_INFO_VLEN(t->info);
}

/* The kind-specific records that follow a struct btf_type. */
static inline const struct btf_member *btf_members(const struct btf_type *t)
{
	return (const struct btf_member *)(t + 1);
}

static inline const struct btf_array *btf_array_of(const struct btf_type *t)
{
	return (const struct btf_array *)(t + 1);
}

static inline struct btf_var_secinfo *btf_secinfos(const struct btf_type *t)
{
	return (struct btf_var_secinfo *)(t + 1);
}

const char *btf_kind_name(uint32_t kind);

/* Follow typedef/volatile/const/restrict/type_tag from id; *out is the first
 * other type (0 for void). */
int btf_skip_modifiers(const struct btf *btf, uint32_t id, uint32_t *out,
		       struct errmsg *err);

/* The size in bytes of type id (int, ptr, array, struct, union, enum,
 * float, datasec, var, and modifiers/typedefs of those). */
int btf_type_size(const struct btf *btf, uint32_t id, uint64_t *size,
		  struct errmsg *err);

/* The member of struct/union t called name, or NULL. */
const struct btf_member *btf_find_member(const struct btf *btf,
					 const struct btf_type *t,
					 const char *name);

/* The first type of this kind with this name: its id, or 0. */
uint32_t btf_find_by_name_kind(const struct btf *btf, const char *name,
			       uint32_t kind);

/* clang (14 at least) leaves every DATASEC size and many variable offsets at
 * 0, which the kernel rejects. For each DATASEC named after an ELF section,
 * set its size to the section's size and each variable's offset to the value
 * of the symbol of that name in that section, then sort the variables by
 * offset (the kernel wants them in order). DATASECs without a section or
 * variables without a symbol are left as they are: if the kernel does not
 * like them, the loader drops the BTF. */
int btf_fixup_datasecs(struct btf *btf, const struct elf_file *ef,
		       struct errmsg *err);

#endif
