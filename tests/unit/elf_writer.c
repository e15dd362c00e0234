/* SPDX-License-Identifier: MIT */
#include "elf_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fprintf(stderr, "elf_writer: out of memory\n");
		abort();
	}
	return p;
}

void elfw_put(uint8_t *p, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = v & 0xff;
}

uint64_t elfw_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

void elfw_init(struct elfw *w)
{
	memset(w, 0, sizeof(*w));
	w->nsec = 1;
}

uint32_t elfw_add(struct elfw *w, const char *name, uint32_t type,
		  uint64_t flags, const void *data, uint64_t size)
{
	struct elfw_section *s;

	if (w->nsec + 1 >= ELFW_MAX_SECTIONS) {
		fprintf(stderr, "elf_writer: too many sections\n");
		abort();
	}
	s = &w->sec[w->nsec];
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->type = type;
	s->flags = flags;
	s->data = data;
	s->size = size;
	s->addralign = type == SHT_PROGBITS || type == SHT_NOBITS ? 8 : 1;
	return w->nsec++;
}

void elfw_set_links(struct elfw *w, uint32_t idx, uint32_t link,
		    uint32_t info, uint64_t entsize)
{
	w->sec[idx].link = link;
	w->sec[idx].info = info;
	w->sec[idx].entsize = entsize;
	w->sec[idx].addralign = 8;
}

static void write_ehdr(uint8_t *b, const struct elf_image *img)
{
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	ELFW_SET(b, Elf64_Ehdr, e_type, ET_REL);
	ELFW_SET(b, Elf64_Ehdr, e_machine, EM_BPF);
	ELFW_SET(b, Elf64_Ehdr, e_version, EV_CURRENT);
	ELFW_SET(b, Elf64_Ehdr, e_shoff, img->shoff);
	ELFW_SET(b, Elf64_Ehdr, e_ehsize, sizeof(Elf64_Ehdr));
	ELFW_SET(b, Elf64_Ehdr, e_shentsize, sizeof(Elf64_Shdr));
	ELFW_SET(b, Elf64_Ehdr, e_shnum, img->shnum);
	ELFW_SET(b, Elf64_Ehdr, e_shstrndx, img->shstrndx);
}

static void write_shdr(uint8_t *sh, const struct elfw_section *s,
		       uint32_t name, uint64_t offset)
{
	ELFW_SET(sh, Elf64_Shdr, sh_name, name);
	ELFW_SET(sh, Elf64_Shdr, sh_type, s->type);
	ELFW_SET(sh, Elf64_Shdr, sh_flags, s->flags);
	ELFW_SET(sh, Elf64_Shdr, sh_offset, offset);
	ELFW_SET(sh, Elf64_Shdr, sh_size, s->size);
	ELFW_SET(sh, Elf64_Shdr, sh_link, s->link);
	ELFW_SET(sh, Elf64_Shdr, sh_info, s->info);
	ELFW_SET(sh, Elf64_Shdr, sh_addralign, s->addralign);
	ELFW_SET(sh, Elf64_Shdr, sh_entsize, s->entsize);
}

void elfw_build(struct elfw *w, struct elf_image *img)
{
	struct elfw_strtab names;
	uint64_t offsets[ELFW_MAX_SECTIONS] = { 0 };
	uint32_t name_offs[ELFW_MAX_SECTIONS] = { 0 };
	uint64_t pos = sizeof(Elf64_Ehdr);
	uint32_t i;

	/* .shstrtab goes last; its contents are known once it is named. */
	elfw_strtab_init(&names);
	img->shstrndx = elfw_add(w, ".shstrtab", SHT_STRTAB, 0, NULL, 0);
	for (i = 1; i < w->nsec; i++)
		name_offs[i] = elfw_str(&names, w->sec[i].name);
	w->sec[img->shstrndx].data = names.buf;
	w->sec[img->shstrndx].size = names.len;

	for (i = 1; i < w->nsec; i++) {
		const struct elfw_section *s = &w->sec[i];

		pos = ALIGN8(pos);
		offsets[i] = pos;
		if (s->type != SHT_NOBITS)
			pos += s->size;
	}
	img->shoff = ALIGN8(pos);
	img->shnum = w->nsec;
	img->len = img->shoff + (uint64_t)w->nsec * sizeof(Elf64_Shdr);
	img->buf = xcalloc(1, img->len);

	write_ehdr(img->buf, img);
	for (i = 1; i < w->nsec; i++) {
		const struct elfw_section *s = &w->sec[i];

		if (s->type != SHT_NOBITS && s->size)
			memcpy(img->buf + offsets[i], s->data, s->size);
		write_shdr(elf_image_shdr(img, i), s, name_offs[i],
			   offsets[i]);
	}
	/* Leave the writer reusable: the strtab lived on our stack. */
	w->nsec--;
}

void elf_image_free(struct elf_image *img)
{
	free(img->buf);
	memset(img, 0, sizeof(*img));
}

uint8_t *elf_image_copy(const struct elf_image *img, size_t len)
{
	uint8_t *copy = xcalloc(1, len);

	memcpy(copy, img->buf, len);
	return copy;
}

uint8_t *elf_image_shdr(const struct elf_image *img, uint32_t idx)
{
	return img->buf + img->shoff + (uint64_t)idx * sizeof(Elf64_Shdr);
}

uint8_t *elf_image_data(const struct elf_image *img, uint32_t idx)
{
	return img->buf + ELFW_GET(elf_image_shdr(img, idx), Elf64_Shdr,
				   sh_offset);
}

void elfw_strtab_init(struct elfw_strtab *t)
{
	memset(t, 0, sizeof(*t));
	t->len = 1;
}

uint32_t elfw_str(struct elfw_strtab *t, const char *s)
{
	size_t n = strlen(s) + 1;
	uint32_t off = t->len;

	if (!*s)
		return 0;
	if (t->len + n > sizeof(t->buf)) {
		fprintf(stderr, "elf_writer: string table full\n");
		abort();
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	return off;
}

void elfw_sym(uint8_t out[24], uint32_t name, uint8_t bind, uint8_t type,
	      uint8_t other, uint16_t shndx, uint64_t value, uint64_t size)
{
	ELFW_SET(out, Elf64_Sym, st_name, name);
	ELFW_SET(out, Elf64_Sym, st_info, (bind << 4) | (type & 0xf));
	ELFW_SET(out, Elf64_Sym, st_other, other);
	ELFW_SET(out, Elf64_Sym, st_shndx, shndx);
	ELFW_SET(out, Elf64_Sym, st_value, value);
	ELFW_SET(out, Elf64_Sym, st_size, size);
}

void elfw_rel(uint8_t out[16], uint64_t offset, uint32_t sym, uint32_t type)
{
	ELFW_SET(out, Elf64_Rel, r_offset, offset);
	ELFW_SET(out, Elf64_Rel, r_info, (uint64_t)sym << 32 | type);
}

void elfw_rela(uint8_t out[24], uint64_t offset, uint32_t sym, uint32_t type,
	       int64_t addend)
{
	ELFW_SET(out, Elf64_Rela, r_offset, offset);
	ELFW_SET(out, Elf64_Rela, r_info, (uint64_t)sym << 32 | type);
	ELFW_SET(out, Elf64_Rela, r_addend, (uint64_t)addend);
}
