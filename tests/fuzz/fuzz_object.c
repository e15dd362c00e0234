/* SPDX-License-Identifier: MIT */
/* Fuzz target: the BPF object parser, all of it: elf_open (headers,
 * sections, symbols, relocations), btf_parse (directly for a raw .BTF blob,
 * and through object_open with the DATASEC fix-up) and object_open (maps of
 * every kind, programs, subprogram calls, map references, tail-call slots).
 *
 * Besides memory errors (ASan) and undefined behaviour (UBSan) it checks the
 * error contract every caller relies on: a failure returns a negative errno
 * and leaves exactly one non-empty line in the errmsg. */
#include <errno.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "elf.h"
#include "errmsg.h"
#include "fuzz.h"
#include "object.h"

static void check_error(const char *what, int ret, const struct errmsg *err)
{
	if (ret == 0)
		return;
	if (ret > 0)
		fuzz_contract_failed("%s returned %d (> 0)", what, ret);
	if (!err->text[0])
		fuzz_contract_failed("%s failed (%d) without a message", what, ret);
	if (strchr(err->text, '\n'))
		fuzz_contract_failed("%s: message of several lines: %s", what,
				     err->text);
	if (err->code != -ret)
		fuzz_contract_failed("%s returned %d but recorded errno %d: %s",
				     what, ret, err->code, err->text);
}

/* Everything elf.h offers on a parsed file: lookups by name, the
 * relocation sections of every section, decoded. */
static void walk_elf(const struct elf_file *ef)
{
	struct errmsg err;
	size_t i;

	(void)elf_section_by_name(ef, ".BTF");
	(void)elf_section_by_name(ef, "license");
	for (i = 0; i < ef->nsections; i++) {
		const struct elf_section *rel = elf_relocs_for(ef, (uint32_t)i);
		struct elf_reloc *r = NULL;
		size_t n = 0;
		int ret;

		if (!rel)
			continue;
		errmsg_clear(&err);
		ret = elf_read_relocs(ef, rel, &r, &n, &err);
		check_error("elf_read_relocs", ret, &err);
		free(r);
	}
}

static void fuzz_elf(const uint8_t *data, size_t size)
{
	struct elf_file ef;
	struct errmsg err;
	int ret;

	errmsg_clear(&err);
	ret = elf_open(&ef, data, size, &err);
	check_error("elf_open", ret, &err);
	if (ret)
		return;
	walk_elf(&ef);
	elf_close(&ef);
}

/* Follow every type the way the object model does: sizes, modifier
 * chains (which may loop in a malformed file), struct members. */
static void walk_btf(const struct btf *btf)
{
	uint32_t id;

	for (id = 1; id < btf->ntypes; id++) {
		const struct btf_type *t = btf_type_by_id(btf, id);
		struct errmsg err;
		uint64_t size;
		uint32_t base;
		int ret;

		if (!t)
			fuzz_contract_failed("btf: no type for id %u < %u", id,
					     btf->ntypes);
		errmsg_clear(&err);
		ret = btf_type_size(btf, id, &size, &err);
		check_error("btf_type_size", ret, &err);
		errmsg_clear(&err);
		ret = btf_skip_modifiers(btf, id, &base, &err);
		check_error("btf_skip_modifiers", ret, &err);
		if (btf_kind(t) == BTF_KIND_STRUCT || btf_kind(t) == BTF_KIND_UNION)
			(void)btf_find_member(btf, t, "type");
		(void)btf_str(btf, t->name_off);
	}
	(void)btf_find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
}

/* A raw .BTF section (the seed corpus has them): reach the BTF reader
 * without first getting through an ELF file. */
static void fuzz_btf(const uint8_t *data, size_t size)
{
	struct btf btf;
	struct errmsg err;
	int ret;

	if (size < 2 || data[0] != (BTF_MAGIC & 0xff) || data[1] != BTF_MAGIC >> 8)
		return;
	memset(&btf, 0, sizeof(btf));
	errmsg_clear(&err);
	ret = btf_parse(&btf, data, size, &err);
	check_error("btf_parse", ret, &err);
	if (ret)
		return;
	walk_btf(&btf);
	btf_free(&btf);
}

#define LONG_NAME "no_such_program_with_a_name_longer_than_any_that_object_open_keeps_"

static void select_programs(const struct object_spec *obj)
{
	struct errmsg err;
	size_t i;

	errmsg_clear(&err);
	if (!object_find_program(obj, NULL, NULL, &err) && obj->nprogs)
		fuzz_contract_failed("no default program among %zu", obj->nprogs);
	for (i = 0; i < obj->nprogs; i++) {
		const struct prog_spec *p = &obj->progs[i];

		errmsg_clear(&err);
		if (!object_find_program(obj, p->section, NULL, &err) ||
		    !object_find_program(obj, NULL, p->name, &err))
			fuzz_contract_failed("program %zu (%s) not found by its own names",
					     i, p->name);
	}
	/* A name no ELF symbol can have (names are kept to 63 bytes): the
	 * miss must be explained in one line. */
	errmsg_clear(&err);
	if (!object_find_program(obj, NULL, LONG_NAME, &err))
		check_error("object_find_program", err.code ? -err.code : -EINVAL,
			    &err);
}

static void fuzz_object_model(const uint8_t *data, size_t size)
{
	struct object_spec obj;
	struct errmsg err;
	int ret;

	errmsg_clear(&err);
	ret = object_open(&obj, data, size, &err);
	check_error("object_open", ret, &err);
	fuzz_rejected = ret < 0;
	snprintf(fuzz_reason, sizeof(fuzz_reason), "%s", ret < 0 ? err.text : "");
	if (ret)
		return;
	select_programs(&obj);
	object_close(&obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_elf(data, size);
	fuzz_btf(data, size);
	fuzz_object_model(data, size);
	return 0;
}
