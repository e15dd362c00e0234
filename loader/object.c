/* SPDX-License-Identifier: MIT */
/* The object model: from a parsed ELF file to programs, maps and map
 * references. See object.h. Pure: no system calls.
 *
 * Order of work in object_open():
 *   1. license / version
 *   2. BTF (parsed, and the clang DATASEC fix-up applied to our copy)
 *   3. maps: legacy/iproute2 `maps`, BTF `.maps`, global data sections
 *   4. programs: every function of every executable section but .text
 *   5. per program: copy its code, append the .text functions it calls
 *      (and those they call), and resolve its relocations into call
 *      immediates and map references
 *   6. PROG_ARRAY `values` initialisers (they name programs, so last)
 * This file holds the orchestration; the steps live in object_maps.c,
 * object_btf_maps.c, object_progs.c and object_relocs.c (object_internal.h
 * says which is where). */
#include "object_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names -------------------------------------------------------------- */

static bool valid_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
}

/* What the kernel accepts as a map or program name (bpf_obj_name_cpy). */
bool valid_obj_name(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n >= BPF_OBJ_NAME_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!valid_name_char(name[i]))
			return false;
	return true;
}

void object_kernel_name(char dst[BPF_OBJ_NAME_LEN], const char *name)
{
	size_t i;

	for (i = 0; name[i] && i < BPF_OBJ_NAME_LEN - 1; i++)
		dst[i] = valid_name_char(name[i]) ? name[i] : '_';
	dst[i] = '\0';
}

/* Names in messages come from the file and may hold any byte: keep the
 * error on one line whatever they contain. */
static int one_line(struct errmsg *err, int ret)
{
	char *p;

	if (err)
		for (p = err->text; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	return ret;
}

/* ---- sections ----------------------------------------------------------- */

/* .data, .data.foo, but not .database */
static bool is_data_section(const char *name)
{
	static const char *const bases[] = { ".data", ".rodata", ".bss" };
	size_t i;

	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		size_t n = strlen(bases[i]);

		if (!strncmp(name, bases[i], n) &&
		    (name[n] == '\0' || name[n] == '.'))
			return true;
	}
	return false;
}

static void classify_sections(struct open_ctx *c)
{
	size_t i;

	for (i = 1; i < c->ef->nsections; i++) {
		const struct elf_section *s = &c->ef->sections[i];

		if (s->type != SHT_PROGBITS && s->type != SHT_NOBITS)
			c->kinds[i] = SEC_OTHER;
		else if (s->flags & SHF_EXECINSTR)
			c->kinds[i] = strcmp(s->name, ".text") ? SEC_PROG :
								  SEC_TEXT;
		else if (!strcmp(s->name, "maps"))
			c->kinds[i] = SEC_LEGACY_MAPS;
		else if (!strcmp(s->name, ".maps"))
			c->kinds[i] = SEC_BTF_MAPS;
		else if (is_data_section(s->name))
			c->kinds[i] = SEC_DATA;
		if (c->kinds[i] == SEC_TEXT && !c->text)
			c->text = i;
	}
}

/* ---- license, version, BTF ---------------------------------------------- */

static int read_license(struct open_ctx *c)
{
	const struct elf_section *s = elf_section_by_name(c->ef, "license");
	const uint8_t *nul;

	if (!s)
		return 0; /* the kernel takes "" as "not GPL compatible" */
	nul = s->data ? memchr(s->data, '\0', s->size) : NULL;
	if (!nul)
		return errmsg_set(c->err, EINVAL,
				  "section \"license\" holds no NUL-terminated string");
	if ((size_t)(nul - s->data) >= sizeof(c->obj->license))
		return errmsg_set(c->err, EINVAL,
				  "license string is longer than %zu bytes",
				  sizeof(c->obj->license) - 1);
	memcpy(c->obj->license, s->data, nul - s->data + 1);
	return 0;
}

static int read_version(struct open_ctx *c)
{
	const struct elf_section *s = elf_section_by_name(c->ef, "version");

	if (!s)
		return 0;
	if (s->size != sizeof(uint32_t) || !s->data)
		return errmsg_set(c->err, EINVAL,
				  "section \"version\" is %llu bytes, expected 4",
				  (unsigned long long)s->size);
	c->obj->kern_version = load_u32(s->data);
	return 0;
}

static int read_btf(struct open_ctx *c)
{
	const struct elf_section *s = elf_section_by_name(c->ef, ".BTF");
	int ret;

	if (!s)
		return 0;
	if (!s->data)
		return errmsg_set(c->err, EINVAL, "section \".BTF\" has no data");
	ret = btf_parse(&c->btf, s->data, s->size, c->err);
	if (!ret)
		ret = btf_fixup_datasecs(&c->btf, c->ef, c->err);
	if (ret)
		return errmsg_prefix(c->err, "section \".BTF\"");
	c->have_btf = true;
	return 0;
}

/* ---- open / close / find ------------------------------------------------ */

static int open_ctx_init(struct open_ctx *c, struct object_spec *obj,
			 struct errmsg *err)
{
	memset(c, 0, sizeof(*c));
	c->obj = obj;
	c->ef = &obj->elf;
	c->err = err;
	c->kinds = calloc(c->ef->nsections + 1, sizeof(*c->kinds));
	c->relocs = calloc(c->ef->nsections + 1, sizeof(*c->relocs));
	if (!c->kinds || !c->relocs)
		return errmsg_set(err, ENOMEM, "out of memory");
	return 0;
}

static void open_ctx_free(struct open_ctx *c)
{
	size_t i;

	if (c->relocs)
		for (i = 0; i < c->ef->nsections; i++)
			free(c->relocs[i].r);
	free(c->relocs);
	free(c->kinds);
	free(c->extents);
	free(c->prog_sizes);
	free(c->text_funcs);
	btf_free(&c->btf);
}

static int open_steps(struct open_ctx *c)
{
	size_t i;
	int ret;

	classify_sections(c);
	ret = read_license(c);
	if (!ret)
		ret = read_version(c);
	if (!ret)
		ret = read_btf(c);
	if (!ret)
		ret = collect_maps(c);
	if (!ret)
		ret = collect_text_functions(c);
	if (!ret)
		ret = collect_programs(c);
	for (i = 0; !ret && i < c->obj->nprogs; i++)
		ret = build_program(c, i);
	if (!ret)
		ret = collect_prog_slots(c);
	if (!ret && c->have_btf)
		c->obj->btf = btf_steal_data(&c->btf, &c->obj->btf_size);
	return ret;
}

int object_open(struct object_spec *obj, const void *buf, size_t len,
		struct errmsg *err)
{
	struct open_ctx c;
	int ret;

	memset(obj, 0, sizeof(*obj));
	obj->image = malloc(len ? len : 1);
	if (!obj->image)
		return errmsg_set(err, ENOMEM, "out of memory");
	if (len)
		memcpy(obj->image, buf, len);
	ret = elf_open(&obj->elf, obj->image, len, err);
	if (ret) {
		object_close(obj);
		return one_line(err, ret);
	}
	ret = open_ctx_init(&c, obj, err);
	if (!ret)
		ret = open_steps(&c);
	open_ctx_free(&c);
	if (ret)
		object_close(obj);
	return one_line(err, ret);
}

void object_close(struct object_spec *obj)
{
	size_t i;

	for (i = 0; i < obj->nprogs; i++) {
		free(obj->progs[i].insns);
		free(obj->progs[i].refs);
	}
	free(obj->progs);
	for (i = 0; i < obj->nmaps; i++) {
		free(obj->maps[i].prog_slots);
		free(obj->maps[i].inner);
	}
	free(obj->maps);
	free(obj->btf);
	elf_close(&obj->elf);
	free(obj->image);
	memset(obj, 0, sizeof(*obj));
}

/* `tc_pass in "tc", steer in "tc"`, cut short with ", ..." to fit. */
static void list_programs(const struct object_spec *obj, char *buf,
			  size_t size)
{
	size_t i, used = 0;
	char one[200];

	buf[0] = '\0';
	for (i = 0; i < obj->nprogs; i++) {
		size_t n;

		snprintf(one, sizeof(one), "%s%s in \"%s\"", i ? ", " : "",
			 obj->progs[i].name, obj->progs[i].section);
		n = strlen(one);
		if (used + n + sizeof(", ...") > size) {
			strcpy(buf + used, ", ...");
			return;
		}
		memcpy(buf + used, one, n + 1);
		used += n;
	}
}

const struct prog_spec *object_find_program(const struct object_spec *obj,
					    const char *section,
					    const char *function,
					    struct errmsg *err)
{
	char list[256];
	size_t i;

	for (i = 0; i < obj->nprogs; i++) {
		const struct prog_spec *p = &obj->progs[i];

		if ((!section || !strcmp(p->section, section)) &&
		    (!function || !strcmp(p->name, function)))
			return p;
	}
	list_programs(obj, list, sizeof(list));
	if (!obj->nprogs)
		errmsg_set(err, ENOENT, "the object has no programs");
	else if (function && section)
		errmsg_set(err, ENOENT,
			   "no program \"%s\" in section \"%s\" (programs: %s)",
			   function, section, list);
	else if (function)
		errmsg_set(err, ENOENT, "no program \"%s\" (programs: %s)",
			   function, list);
	else
		errmsg_set(err, ENOENT,
			   "no program in section \"%s\" (programs: %s)",
			   section, list);
	one_line(err, 0);
	return NULL;
}
