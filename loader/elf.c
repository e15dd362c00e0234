/* SPDX-License-Identifier: MIT */
/* ELF64 reader for BPF relocatable objects (see elf.h).
 *
 * elf_open() validates in dependency order: ELF header, section header
 * table, section name table, every section's name and data range, the
 * symbol table, then every relocation section and each of its entries.
 * A step only relies on what earlier steps checked, so nothing is read
 * before its bounds are known. Counts come from the file, so every
 * allocation is sized by something already proven to fit in the buffer:
 * a 100-byte file cannot ask for gigabytes. */
#include "elf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EHDR_SIZE ((uint64_t)sizeof(Elf64_Ehdr))	/* 64 */
#define SHDR_SIZE ((uint64_t)sizeof(Elf64_Shdr))	/* 64 */
#define SYM_SIZE  ((uint64_t)sizeof(Elf64_Sym))		/* 24 */
#define REL_SIZE  ((uint64_t)sizeof(Elf64_Rel))		/* 16 */
#define RELA_SIZE ((uint64_t)sizeof(Elf64_Rela))	/* 24 */

/* Elf64_Chdr, which <linux/elf.h> lacks: what starts an SHF_COMPRESSED
 * section (clang -gz compresses debug sections). */
#define CHDR_SIZE 24
#define CHDR_SIZE_OFFSET 8	/* uint64_t ch_size: the uncompressed size */

/* Little-endian load of n bytes: any alignment, any host byte order (the
 * buffer may come straight from a file or a fuzzer). */
static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* Field `member` of the on-disk structure `type` that starts at p. */
#define LOAD(p, type, member)						\
	load_le((const uint8_t *)(p) + offsetof(type, member),		\
		sizeof(((type *)0)->member))

/* A name from the file made safe for a one-line message: control and
 * non-ASCII bytes become '?', long names are cut short. */
struct shown {
	char s[48];
};

static struct shown shown(const char *name)
{
	struct shown out;
	size_t i;

	for (i = 0; name && name[i] && i < 40; i++) {
		unsigned char c = name[i];

		out.s[i] = (c < 0x20 || c >= 0x7f) ? '?' : c;
	}
	if (name && name[i])
		strcpy(out.s + i, "...");
	else
		out.s[i] = '\0';
	return out;
}

/* Fail with "section N ("name"): <what>"; the name is left out while the
 * section names are not known yet. */
__attribute__((format(printf, 3, 4)))
static int bad_section(struct errmsg *err, const struct elf_section *sec,
		       const char *fmt, ...)
{
	char what[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!sec->name)
		return errmsg_set(err, EINVAL, "section %u: %s", sec->index,
				  what);
	return errmsg_set(err, EINVAL, "section %u (\"%s\"): %s", sec->index,
			  shown(sec->name).s, what);
}

/* ---- ELF header ---------------------------------------------------- */

static int check_ident(const uint8_t *b, size_t len, struct errmsg *err)
{
	if (len < SELFMAG || memcmp(b, ELFMAG, SELFMAG) != 0)
		return errmsg_set(err, EINVAL, "not an ELF file (bad magic)");
	if (len < EHDR_SIZE)
		return errmsg_set(err, EINVAL,
				  "truncated ELF header: %zu of %" PRIu64
				  " bytes", len, EHDR_SIZE);

	switch (b[EI_CLASS]) {
	case ELFCLASS64:
		break;
	case ELFCLASS32:
		return errmsg_set(err, EINVAL,
				  "32-bit ELF (ELFCLASS32): BPF objects are ELFCLASS64");
	default:
		return errmsg_set(err, EINVAL, "unknown ELF class %u",
				  b[EI_CLASS]);
	}

	switch (b[EI_DATA]) {
	case ELFDATA2LSB:
		break;
	case ELFDATA2MSB:
		return errmsg_set(err, EINVAL,
				  "big-endian ELF (ELFDATA2MSB): only little-endian BPF objects are supported (clang -target bpfel)");
	default:
		return errmsg_set(err, EINVAL, "unknown ELF data encoding %u",
				  b[EI_DATA]);
	}

	if (b[EI_VERSION] != EV_CURRENT)
		return errmsg_set(err, EINVAL,
				  "ELF identification version %u is not EV_CURRENT (1)",
				  b[EI_VERSION]);
	return 0;
}

/* A few machines people feed us by mistake, for a friendlier message. */
static const char *machine_name(unsigned int machine)
{
	switch (machine) {
	case 3:   return "i386";
	case 8:   return "MIPS";
	case 20:  return "PowerPC";
	case 21:  return "PowerPC64";
	case 22:  return "S/390";
	case 40:  return "ARM";
	case 62:  return "x86-64";
	case 183: return "AArch64";
	case 243: return "RISC-V";
	case 258: return "LoongArch";
	default:  return NULL;
	}
}

static const char *type_name(unsigned int type)
{
	switch (type) {
	case ET_NONE: return "ET_NONE";
	case ET_EXEC: return "ET_EXEC, an executable";
	case ET_DYN:  return "ET_DYN, a shared object";
	case ET_CORE: return "ET_CORE, a core dump";
	default:      return "unknown";
	}
}

static int check_header(const uint8_t *b, struct errmsg *err)
{
	unsigned int machine = LOAD(b, Elf64_Ehdr, e_machine);
	unsigned int type = LOAD(b, Elf64_Ehdr, e_type);
	uint32_t version = LOAD(b, Elf64_Ehdr, e_version);
	unsigned int ehsize = LOAD(b, Elf64_Ehdr, e_ehsize);
	unsigned int shentsize = LOAD(b, Elf64_Ehdr, e_shentsize);

	if (machine != EM_BPF) {
		const char *name = machine_name(machine);

		return errmsg_set(err, EINVAL,
				  "ELF machine %u%s%s%s is not EM_BPF (%u): not a BPF object",
				  machine, name ? " (" : "", name ? name : "",
				  name ? ")" : "", EM_BPF);
	}
	if (type != ET_REL)
		return errmsg_set(err, EINVAL,
				  "ELF type %u (%s) is not ET_REL: expected a relocatable object (clang -c)",
				  type, type_name(type));
	if (version != EV_CURRENT)
		return errmsg_set(err, EINVAL,
				  "ELF version %" PRIu32 " is not EV_CURRENT (1)",
				  version);
	if (ehsize != EHDR_SIZE)
		return errmsg_set(err, EINVAL,
				  "ELF header size (e_ehsize) is %u, expected %" PRIu64,
				  ehsize, EHDR_SIZE);
	if (shentsize != SHDR_SIZE)
		return errmsg_set(err, EINVAL,
				  "section header size (e_shentsize) is %u, expected %" PRIu64,
				  shentsize, SHDR_SIZE);
	return 0;
}

/* ---- section header table ------------------------------------------ */

struct shdr_table {
	const uint8_t *base;    /* section header 0 in the buffer */
	uint64_t count;
	uint32_t shstrndx;
};

/* Finds the table, following the extended numbering rules: with more
 * than SHN_LORESERVE sections, e_shnum is 0 and the count sits in section
 * 0's sh_size; e_shstrndx is SHN_XINDEX and the index sits in its sh_link. */
static int locate_section_headers(const uint8_t *b, size_t len,
				  struct shdr_table *t, struct errmsg *err)
{
	uint64_t shoff = LOAD(b, Elf64_Ehdr, e_shoff);
	uint64_t room;

	t->count = LOAD(b, Elf64_Ehdr, e_shnum);
	t->shstrndx = LOAD(b, Elf64_Ehdr, e_shstrndx);

	if (shoff == 0)
		return errmsg_set(err, EINVAL,
				  "no section header table (e_shoff is 0)");
	if (shoff > len || len - shoff < SHDR_SIZE)
		return errmsg_set(err, EINVAL,
				  "section header table at 0x%" PRIx64
				  " lies outside the %zu-byte file", shoff, len);
	t->base = b + shoff;
	room = (len - shoff) / SHDR_SIZE;

	if (t->count == 0) {
		t->count = LOAD(t->base, Elf64_Shdr, sh_size);
		if (t->count == 0)
			return errmsg_set(err, EINVAL,
					  "no sections (e_shnum and section 0's sh_size are both 0)");
	}
	/* Division, not multiplication: count * 64 could overflow. */
	if (t->count > room || t->count > UINT32_MAX)
		return errmsg_set(err, EINVAL,
				  "section header table [0x%" PRIx64 ", +%" PRIu64
				  " * %" PRIu64 " bytes) lies outside the %zu-byte file",
				  shoff, t->count, SHDR_SIZE, len);

	if (t->shstrndx == SHN_XINDEX) {
		t->shstrndx = LOAD(t->base, Elf64_Shdr, sh_link);
		if (t->shstrndx == SHN_UNDEF || t->shstrndx >= t->count)
			return errmsg_set(err, EINVAL,
					  "section name table index %" PRIu32
					  " (extended, in section 0's sh_link) is out of range (%" PRIu64 " sections)",
					  t->shstrndx, t->count);
	}
	if (t->shstrndx == SHN_UNDEF)
		return errmsg_set(err, EINVAL,
				  "no section name table (e_shstrndx is SHN_UNDEF)");
	if (t->shstrndx >= t->count)
		return errmsg_set(err, EINVAL,
				  "section name table index e_shstrndx %" PRIu32
				  " is out of range (%" PRIu64 " sections)",
				  t->shstrndx, t->count);
	return 0;
}

static void read_section_header(struct elf_section *sec, const uint8_t *sh,
				uint32_t index)
{
	sec->index = index;
	sec->name = NULL;
	sec->type = LOAD(sh, Elf64_Shdr, sh_type);
	sec->flags = LOAD(sh, Elf64_Shdr, sh_flags);
	sec->offset = LOAD(sh, Elf64_Shdr, sh_offset);
	sec->data = NULL;
	sec->size = LOAD(sh, Elf64_Shdr, sh_size);
	sec->link = LOAD(sh, Elf64_Shdr, sh_link);
	sec->info = LOAD(sh, Elf64_Shdr, sh_info);
	sec->entsize = LOAD(sh, Elf64_Shdr, sh_entsize);
	sec->addralign = LOAD(sh, Elf64_Shdr, sh_addralign);
}

/* Points sec->data at the section's bytes once they are known to lie in
 * the file. Section 0 is reserved (with extended numbering its sh_size is
 * the section count) and SHT_NOBITS has no bytes in the file. */
static int map_section_data(const struct elf_file *ef, struct elf_section *sec,
			    struct errmsg *err)
{
	sec->data = NULL;
	if (sec->index == 0 || sec->type == SHT_NOBITS ||
	    sec->type == SHT_NULL || sec->size == 0)
		return 0;
	if (sec->offset > ef->len || sec->size > ef->len - sec->offset)
		return bad_section(err, sec,
				   "data [0x%" PRIx64 ", +0x%" PRIx64
				   ") lies outside the %zu-byte file",
				   sec->offset, sec->size, ef->len);
	if ((sec->flags & SHF_COMPRESSED) && sec->size < CHDR_SIZE)
		return bad_section(err, sec,
				   "compressed (SHF_COMPRESSED) but its %" PRIu64
				   " bytes cannot hold the %d-byte header",
				   sec->size, CHDR_SIZE);
	sec->data = ef->buf + sec->offset;
	return 0;
}

/* Tables this file interprets itself must be stored as is. */
static int check_uncompressed(const struct elf_section *sec,
			      const char *role, struct errmsg *err)
{
	if (sec->flags & SHF_COMPRESSED)
		return bad_section(err, sec,
				   "the %s is compressed (SHF_COMPRESSED), which is not supported",
				   role);
	return 0;
}

/* ---- strings ------------------------------------------------------- */

/* A string table must end in NUL so every in-range offset names a string
 * that stays inside it. `role` says what the table is used for. */
static int check_strtab(const struct elf_file *ef, struct elf_section *tab,
			const char *role, struct errmsg *err)
{
	int ret;

	if (tab->type != SHT_STRTAB)
		return bad_section(err, tab,
				   "used as the %s but is not a string table (type %" PRIu32 ")",
				   role, tab->type);
	ret = check_uncompressed(tab, role, err);
	if (ret)
		return ret;
	ret = map_section_data(ef, tab, err);
	if (ret)
		return ret;
	if (tab->size == 0)
		return bad_section(err, tab, "the %s is empty", role);
	if (tab->data[tab->size - 1] != '\0')
		return bad_section(err, tab, "the %s is not NUL-terminated",
				   role);
	return 0;
}

static int read_string(const struct elf_section *tab, uint64_t off,
		       const char **out, struct errmsg *err)
{
	if (off >= tab->size)
		return errmsg_set(err, EINVAL,
				  "name offset %" PRIu64
				  " lies outside string table section %u (%" PRIu64 " bytes)",
				  off, tab->index, tab->size);
	/* Unreachable after check_strtab(), kept so this never overreads. */
	if (!memchr(tab->data + off, '\0', tab->size - off))
		return errmsg_set(err, EINVAL,
				  "name at offset %" PRIu64
				  " is not NUL-terminated within string table section %u",
				  off, tab->index);
	*out = (const char *)tab->data + off;
	return 0;
}

/* ---- sections ------------------------------------------------------ */

static int read_sections(struct elf_file *ef, const struct shdr_table *t,
			 struct errmsg *err)
{
	struct elf_section *names;
	uint32_t i;
	int ret;

	ef->sections = calloc(t->count, sizeof(*ef->sections));
	if (!ef->sections)
		return errmsg_set(err, ENOMEM,
				  "out of memory for %" PRIu64 " section headers",
				  t->count);
	ef->nsections = t->count;
	for (i = 0; i < t->count; i++)
		read_section_header(&ef->sections[i], t->base + i * SHDR_SIZE,
				    i);

	/* Section 0 only ever carries extended numbering; anything else
	 * there would be a section that indices cannot refer to. */
	if (ef->sections[0].type != SHT_NULL)
		return errmsg_set(err, EINVAL,
				  "section 0 has type %" PRIu32 ", must be SHT_NULL",
				  ef->sections[0].type);

	names = &ef->sections[t->shstrndx];
	ret = check_strtab(ef, names, "section name table", err);
	if (ret)
		return ret;

	for (i = 0; i < t->count; i++) {
		struct elf_section *sec = &ef->sections[i];
		uint32_t off = LOAD(t->base + i * SHDR_SIZE, Elf64_Shdr,
				    sh_name);

		ret = read_string(names, off, &sec->name, err);
		if (ret)
			return errmsg_prefix(err, "section %" PRIu32, i);
	}
	for (i = 0; i < t->count; i++) {
		ret = map_section_data(ef, &ef->sections[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- symbols ------------------------------------------------------- */

static int find_symtab(struct elf_file *ef, struct errmsg *err)
{
	size_t i;

	for (i = 1; i < ef->nsections; i++) {
		const struct elf_section *sec = &ef->sections[i];

		if (sec->type != SHT_SYMTAB)
			continue;
		if (ef->symtab_index)
			return bad_section(err, sec,
					   "second symbol table (SHT_SYMTAB) after section %" PRIu32,
					   ef->symtab_index);
		ef->symtab_index = i;
	}
	return 0;
}

/* st_shndx must name a section we have, or be one of the reserved values
 * a BPF object can meaningfully carry. SHN_XINDEX would need an
 * SHT_SYMTAB_SHNDX table, which BPF toolchains never emit. */
static int check_symbol_section(const struct elf_file *ef,
				const struct elf_symbol *sym, size_t i,
				struct errmsg *err)
{
	if (sym->shndx == SHN_XINDEX)
		return errmsg_set(err, EINVAL,
				  "symbol %zu (\"%s\"): extended section index (SHN_XINDEX) is not supported",
				  i, shown(sym->name).s);
	if (sym->shndx >= SHN_LORESERVE) {
		if (sym->shndx == SHN_ABS || sym->shndx == SHN_COMMON)
			return 0;
		return errmsg_set(err, EINVAL,
				  "symbol %zu (\"%s\"): reserved section index 0x%x is not supported",
				  i, shown(sym->name).s, sym->shndx);
	}
	if (sym->shndx >= ef->nsections)
		return errmsg_set(err, EINVAL,
				  "symbol %zu (\"%s\"): section index %u is out of range (%zu sections)",
				  i, shown(sym->name).s, sym->shndx,
				  ef->nsections);
	return 0;
}

static int read_symbol(struct elf_file *ef, const struct elf_section *symtab,
		       const struct elf_section *strtab, size_t i,
		       struct errmsg *err)
{
	const uint8_t *p = symtab->data + i * SYM_SIZE;
	struct elf_symbol *sym = &ef->symbols[i];
	uint32_t name = LOAD(p, Elf64_Sym, st_name);
	uint8_t info = LOAD(p, Elf64_Sym, st_info);
	uint8_t other = LOAD(p, Elf64_Sym, st_other);

	sym->name = "";
	if (name && read_string(strtab, name, &sym->name, err))
		return errmsg_prefix(err, "symbol %zu", i);
	sym->value = LOAD(p, Elf64_Sym, st_value);
	sym->size = LOAD(p, Elf64_Sym, st_size);
	sym->shndx = LOAD(p, Elf64_Sym, st_shndx);
	sym->bind = info >> 4;
	sym->type = info & 0xf;
	sym->visibility = other & 0x3;
	return check_symbol_section(ef, sym, i, err);
}

static int read_symbols(struct elf_file *ef, struct errmsg *err)
{
	struct elf_section *symtab, *strtab;
	size_t i, count;
	int ret;

	ret = find_symtab(ef, err);
	if (ret || !ef->symtab_index)
		return ret;
	symtab = &ef->sections[ef->symtab_index];

	ret = check_uncompressed(symtab, "symbol table", err);
	if (ret)
		return ret;
	if (symtab->entsize != SYM_SIZE)
		return bad_section(err, symtab,
				   "symbol entry size (sh_entsize) is %" PRIu64
				   ", expected %" PRIu64, symtab->entsize, SYM_SIZE);
	if (symtab->size % SYM_SIZE)
		return bad_section(err, symtab,
				   "size %" PRIu64 " is not a multiple of the %" PRIu64
				   "-byte symbol entry", symtab->size, SYM_SIZE);
	if (symtab->link == SHN_UNDEF || symtab->link >= ef->nsections)
		return bad_section(err, symtab,
				   "string table index (sh_link) %" PRIu32
				   " is out of range (%zu sections)",
				   symtab->link, ef->nsections);
	strtab = &ef->sections[symtab->link];
	ret = check_strtab(ef, strtab, "symbol name table", err);
	if (ret)
		return ret;

	count = symtab->size / SYM_SIZE;
	if (!count)
		return 0;
	ef->symbols = calloc(count, sizeof(*ef->symbols));
	if (!ef->symbols)
		return errmsg_set(err, ENOMEM,
				  "out of memory for %zu symbols", count);
	ef->nsymbols = count;
	for (i = 0; i < count; i++) {
		ret = read_symbol(ef, symtab, strtab, i, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- relocations --------------------------------------------------- */

static bool is_reloc_section(const struct elf_section *sec)
{
	return sec->index && (sec->type == SHT_REL || sec->type == SHT_RELA);
}

/* Bytes a relocation of this type patches at r_offset. Unknown types
 * still need r_offset inside the section; the object layer decides
 * whether it understands them. */
static uint64_t reloc_width(uint32_t type)
{
	switch (type) {
	case R_BPF_64_64:       return 16;
	case R_BPF_64_32:       return 8;
	case R_BPF_64_ABS64:    return 8;
	case R_BPF_64_ABS32:    return 4;
	case R_BPF_64_NODYLD32: return 4;
	default:                return 1;
	}
}

static int check_reloc_header(const struct elf_file *ef,
			      const struct elf_section *rel,
			      struct errmsg *err)
{
	uint64_t entsize = rel->type == SHT_RELA ? RELA_SIZE : REL_SIZE;
	const struct elf_section *target;
	int ret;

	ret = check_uncompressed(rel, "relocation section", err);
	if (ret)
		return ret;
	if (rel->entsize != entsize)
		return bad_section(err, rel,
				   "relocation entry size (sh_entsize) is %" PRIu64
				   ", expected %" PRIu64, rel->entsize, entsize);
	if (rel->size % entsize)
		return bad_section(err, rel,
				   "size %" PRIu64 " is not a multiple of the %" PRIu64
				   "-byte relocation entry", rel->size, entsize);
	if (!ef->symtab_index)
		return bad_section(err, rel,
				   "holds relocations, but the object has no symbol table");
	if (rel->link != ef->symtab_index)
		return bad_section(err, rel,
				   "symbol table index (sh_link) %" PRIu32
				   " is not the symbol table (section %" PRIu32 ")",
				   rel->link, ef->symtab_index);
	if (rel->info == SHN_UNDEF || rel->info >= ef->nsections)
		return bad_section(err, rel,
				   "target section index (sh_info) %" PRIu32
				   " is out of range (1..%zu)",
				   rel->info, ef->nsections - 1);
	target = &ef->sections[rel->info];
	if (rel->size && !target->data)
		return bad_section(err, rel,
				   "relocates section %" PRIu32 " (\"%s\"), which has no data in the file",
				   target->index, shown(target->name).s);
	return 0;
}

/* Bytes a relocation may patch in the target: r_offset counts in the
 * uncompressed data when the target is compressed (debug info, -gz). */
static uint64_t reloc_bound(const struct elf_section *target)
{
	if (target->flags & SHF_COMPRESSED)
		return load_le(target->data + CHDR_SIZE_OFFSET, 8);
	return target->size;
}

static int decode_reloc(const struct elf_file *ef,
			const struct elf_section *rel, size_t i,
			struct elf_reloc *r, struct errmsg *err)
{
	const uint8_t *p = rel->data + i * rel->entsize;
	const struct elf_section *target = &ef->sections[rel->info];
	uint64_t info = LOAD(p, Elf64_Rel, r_info);
	uint64_t width, bound;

	r->offset = LOAD(p, Elf64_Rel, r_offset);
	r->sym = ELF64_R_SYM(info);
	r->type = ELF64_R_TYPE(info);
	r->addend = 0;
	if (rel->type == SHT_RELA)
		r->addend = (int64_t)LOAD(p, Elf64_Rela, r_addend);

	if (r->sym >= ef->nsymbols)
		return bad_section(err, rel,
				   "relocation %zu: symbol index %" PRIu32
				   " is out of range (%zu symbols)",
				   i, r->sym, ef->nsymbols);
	width = reloc_width(r->type);
	bound = reloc_bound(target);
	if (r->offset > bound || width > bound - r->offset)
		return bad_section(err, rel,
				   "relocation %zu (type %" PRIu32 "): bytes [0x%" PRIx64
				   ", +%" PRIu64 ") lie outside section %" PRIu32
				   " (\"%s\", %" PRIu64 " bytes%s)",
				   i, r->type, r->offset, width, target->index,
				   shown(target->name).s, bound,
				   (target->flags & SHF_COMPRESSED) ?
				   " uncompressed" : "");
	return 0;
}

static int check_reloc_section(const struct elf_file *ef,
			       const struct elf_section *rel,
			       struct errmsg *err)
{
	struct elf_reloc r;
	size_t i, count;
	int ret;

	ret = check_reloc_header(ef, rel, err);
	if (ret)
		return ret;
	count = rel->size / rel->entsize;
	for (i = 0; i < count; i++) {
		ret = decode_reloc(ef, rel, i, &r, err);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_relocs(const struct elf_file *ef, struct errmsg *err)
{
	size_t i;
	int ret;

	for (i = 0; i < ef->nsections; i++) {
		if (!is_reloc_section(&ef->sections[i]))
			continue;
		ret = check_reloc_section(ef, &ef->sections[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- public API ---------------------------------------------------- */

static int parse(struct elf_file *ef, struct errmsg *err)
{
	struct shdr_table table = { 0 };
	int ret;

	ret = check_ident(ef->buf, ef->len, err);
	if (ret)
		return ret;
	ret = check_header(ef->buf, err);
	if (ret)
		return ret;
	ret = locate_section_headers(ef->buf, ef->len, &table, err);
	if (ret)
		return ret;
	ret = read_sections(ef, &table, err);
	if (ret)
		return ret;
	ret = read_symbols(ef, err);
	if (ret)
		return ret;
	return check_relocs(ef, err);
}

int elf_open(struct elf_file *ef, const void *buf, size_t len,
	     struct errmsg *err)
{
	int ret;

	memset(ef, 0, sizeof(*ef));
	if (!buf)
		return errmsg_set(err, EINVAL, "no ELF data (NULL buffer)");
	ef->buf = buf;
	ef->len = len;
	ret = parse(ef, err);
	if (ret)
		elf_close(ef);
	return ret;
}

void elf_close(struct elf_file *ef)
{
	if (!ef)
		return;
	free(ef->sections);
	free(ef->symbols);
	memset(ef, 0, sizeof(*ef));
}

const struct elf_section *elf_section_by_name(const struct elf_file *ef,
					      const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 1; i < ef->nsections; i++) {
		if (strcmp(ef->sections[i].name, name) == 0)
			return &ef->sections[i];
	}
	return NULL;
}

const struct elf_section *elf_relocs_for(const struct elf_file *ef,
					 uint32_t target)
{
	size_t i;

	if (target == SHN_UNDEF)
		return NULL;
	for (i = 1; i < ef->nsections; i++) {
		const struct elf_section *sec = &ef->sections[i];

		if (is_reloc_section(sec) && sec->info == target)
			return sec;
	}
	return NULL;
}

int elf_read_relocs(const struct elf_file *ef, const struct elf_section *rel,
		    struct elf_reloc **out, size_t *n, struct errmsg *err)
{
	struct elf_reloc *relocs;
	size_t i, count;
	int ret;

	*out = NULL;
	*n = 0;
	if (!rel || rel < ef->sections || rel >= ef->sections + ef->nsections)
		return errmsg_set(err, EINVAL,
				  "not a section of this ELF file");
	if (!is_reloc_section(rel))
		return bad_section(err, rel,
				   "not a relocation section (type %" PRIu32 ")",
				   rel->type);
	/* elf_open() checked all of this already; the entries are checked
	 * again below, so a caller never sees an unchecked relocation. */
	ret = check_reloc_header(ef, rel, err);
	if (ret)
		return ret;

	count = rel->size / rel->entsize;
	if (!count)
		return 0;
	relocs = calloc(count, sizeof(*relocs));
	if (!relocs)
		return errmsg_set(err, ENOMEM,
				  "out of memory for %zu relocations", count);
	for (i = 0; i < count; i++) {
		ret = decode_reloc(ef, rel, i, &relocs[i], err);
		if (ret) {
			free(relocs);
			return ret;
		}
	}
	*out = relocs;
	*n = count;
	return 0;
}
