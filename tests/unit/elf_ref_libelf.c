/* SPDX-License-Identifier: MIT */
#include "elf_ref_libelf.h"

#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 3, 4)))
static int failed(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static char *dup_name(Elf *e, size_t table, size_t off)
{
	const char *s = elf_strptr(e, table, off);

	return s ? strdup(s) : NULL;
}

static int read_symbols(struct elf_ref *ref, Elf *e, Elf_Scn *scn,
			const GElf_Shdr *sh, char *why, size_t whylen)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i;

	if (!data || !sh->sh_entsize)
		return failed(why, whylen, "symtab: %s", elf_errmsg(-1));
	ref->nsymbols = sh->sh_size / sh->sh_entsize;
	ref->symbols = calloc(ref->nsymbols + 1, sizeof(*ref->symbols));
	if (!ref->symbols)
		return failed(why, whylen, "out of memory");
	for (i = 0; i < ref->nsymbols; i++) {
		struct elf_ref_symbol *y = &ref->symbols[i];
		GElf_Sym sym;

		if (!gelf_getsym(data, i, &sym))
			return failed(why, whylen, "symbol %zu: %s", i,
				      elf_errmsg(-1));
		y->name = sym.st_name ? dup_name(e, sh->sh_link, sym.st_name)
				      : strdup("");
		if (!y->name)
			return failed(why, whylen, "symbol %zu name: %s", i,
				      elf_errmsg(-1));
		y->value = sym.st_value;
		y->size = sym.st_size;
		y->shndx = sym.st_shndx;
		y->bind = GELF_ST_BIND(sym.st_info);
		y->type = GELF_ST_TYPE(sym.st_info);
		y->visibility = GELF_ST_VISIBILITY(sym.st_other);
	}
	return 0;
}

static int read_relocs(struct elf_ref *ref, size_t idx, Elf_Scn *scn,
		       const GElf_Shdr *sh, char *why, size_t whylen)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;

	if (!data || !sh->sh_entsize)
		return failed(why, whylen, "section %zu relocs: %s", idx,
			      elf_errmsg(-1));
	n = sh->sh_size / sh->sh_entsize;
	ref->relocs[idx] = calloc(n + 1, sizeof(struct elf_ref_reloc));
	if (!ref->relocs[idx])
		return failed(why, whylen, "out of memory");
	ref->nrelocs[idx] = n;
	for (i = 0; i < n; i++) {
		struct elf_ref_reloc *r = &ref->relocs[idx][i];
		GElf_Rela rela = { 0 };
		GElf_Rel rel;

		if (sh->sh_type == SHT_RELA) {
			if (!gelf_getrela(data, i, &rela))
				return failed(why, whylen, "rela %zu: %s", i,
					      elf_errmsg(-1));
		} else {
			if (!gelf_getrel(data, i, &rel))
				return failed(why, whylen, "rel %zu: %s", i,
					      elf_errmsg(-1));
			rela.r_offset = rel.r_offset;
			rela.r_info = rel.r_info;
		}
		r->offset = rela.r_offset;
		r->sym = GELF_R_SYM(rela.r_info);
		r->type = GELF_R_TYPE(rela.r_info);
		r->addend = rela.r_addend;
	}
	return 0;
}

static int read_all(struct elf_ref *ref, Elf *e, char *why, size_t whylen)
{
	size_t i, shstrndx;

	if (elf_kind(e) != ELF_K_ELF || gelf_getclass(e) != ELFCLASS64)
		return failed(why, whylen, "not ELF64");
	if (elf_getshdrnum(e, &ref->nsections) ||
	    elf_getshdrstrndx(e, &shstrndx))
		return failed(why, whylen, "section counts: %s",
			      elf_errmsg(-1));
	ref->sections = calloc(ref->nsections + 1, sizeof(*ref->sections));
	ref->relocs = calloc(ref->nsections + 1, sizeof(*ref->relocs));
	ref->nrelocs = calloc(ref->nsections + 1, sizeof(*ref->nrelocs));
	if (!ref->sections || !ref->relocs || !ref->nrelocs)
		return failed(why, whylen, "out of memory");

	for (i = 0; i < ref->nsections; i++) {
		struct elf_ref_section *s = &ref->sections[i];
		Elf_Scn *scn = elf_getscn(e, i);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh))
			return failed(why, whylen, "section %zu: %s", i,
				      elf_errmsg(-1));
		s->name = dup_name(e, shstrndx, sh.sh_name);
		if (!s->name)
			return failed(why, whylen, "section %zu name: %s", i,
				      elf_errmsg(-1));
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->entsize = sh.sh_entsize;
		s->addralign = sh.sh_addralign;
		if (i && sh.sh_type == SHT_SYMTAB) {
			if (ref->symtab_index)
				return failed(why, whylen, "two symtabs");
			ref->symtab_index = i;
			if (read_symbols(ref, e, scn, &sh, why, whylen))
				return -1;
		}
		if (i && (sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) &&
		    read_relocs(ref, i, scn, &sh, why, whylen))
			return -1;
	}
	return 0;
}

int elf_ref_read(struct elf_ref *ref, const void *buf, size_t len,
		 char *why, size_t whylen)
{
	char *copy;
	Elf *e;
	int ret;

	memset(ref, 0, sizeof(*ref));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return failed(why, whylen, "libelf: %s", elf_errmsg(-1));
	/* libelf keeps pointers into the image: give it its own copy. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return failed(why, whylen, "out of memory");
	memcpy(copy, buf, len);
	e = elf_memory(copy, len);
	if (!e) {
		free(copy);
		return failed(why, whylen, "elf_memory: %s", elf_errmsg(-1));
	}
	ret = read_all(ref, e, why, whylen);
	elf_end(e);
	free(copy);
	if (ret)
		elf_ref_free(ref);
	return ret;
}

void elf_ref_free(struct elf_ref *ref)
{
	size_t i;

	for (i = 0; ref->sections && i < ref->nsections; i++)
		free(ref->sections[i].name);
	for (i = 0; ref->symbols && i < ref->nsymbols; i++)
		free(ref->symbols[i].name);
	for (i = 0; ref->relocs && i < ref->nsections; i++)
		free(ref->relocs[i]);
	free(ref->sections);
	free(ref->symbols);
	free(ref->relocs);
	free(ref->nrelocs);
	memset(ref, 0, sizeof(*ref));
}
