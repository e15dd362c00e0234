/* SPDX-License-Identifier: MIT */
/* Differential test: loader/elf.c against elfutils' libelf.
 *
 * For every object (our samples, each argument, every *.o under
 * $TCSTEER_PROGS and <build>/prog) both readers must agree on every
 * section, symbol and relocation. Then, on the sample, seeded random
 * damage to the headers: whenever our parser accepts a damaged file,
 * libelf must read it too and agree on everything. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf.h"
#include "elf_ref_libelf.h"

#if !defined(ELF_SAMPLE_OBJECT) || !defined(ELF_SAMPLE_GZ_OBJECT)
#error "ELF_SAMPLE_OBJECT and ELF_SAMPLE_GZ_OBJECT must name the samples"
#endif

struct totals {
	size_t objects, sections, symbols, relocs, mismatches;
	size_t mutants, mutants_accepted;
};

static struct totals totals;
static const char *current; /* object being compared, for messages */

__attribute__((format(printf, 1, 2)))
static void mismatch(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "elf_diff: %s: ", current);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	totals.mismatches++;
}

#define SAME(what, idx, ours, theirs)					\
	do {								\
		if ((uint64_t)(ours) != (uint64_t)(theirs)) {		\
			mismatch("%s %zu: ours 0x%" PRIx64		\
				 ", libelf 0x%" PRIx64, what, (size_t)(idx), \
				 (uint64_t)(ours), (uint64_t)(theirs));	\
			return false;					\
		}							\
	} while (0)

#define SAME_STR(what, idx, ours, theirs)				\
	do {								\
		if (strcmp(ours, theirs) != 0) {			\
			mismatch("%s %zu: ours \"%s\", libelf \"%s\"",	\
				 what, (size_t)(idx), ours, theirs);	\
			return false;					\
		}							\
	} while (0)

static bool same_section(const struct elf_file *ef,
			 const struct elf_section *s,
			 const struct elf_ref_section *r, size_t i)
{
	SAME("section index", i, s->index, i);
	SAME_STR("section name", i, s->name, r->name);
	SAME("section type", i, s->type, r->type);
	SAME("section flags", i, s->flags, r->flags);
	SAME("section offset", i, s->offset, r->offset);
	if (s->data)
		SAME("section data - buf", i, s->data - ef->buf, r->offset);
	SAME("section size", i, s->size, r->size);
	SAME("section link", i, s->link, r->link);
	SAME("section info", i, s->info, r->info);
	SAME("section entsize", i, s->entsize, r->entsize);
	SAME("section addralign", i, s->addralign, r->addralign);
	return true;
}

static bool same_symbol(const struct elf_symbol *y,
			const struct elf_ref_symbol *r, size_t i)
{
	SAME_STR("symbol name", i, y->name, r->name);
	SAME("symbol value", i, y->value, r->value);
	SAME("symbol size", i, y->size, r->size);
	SAME("symbol shndx", i, y->shndx, r->shndx);
	SAME("symbol bind", i, y->bind, r->bind);
	SAME("symbol type", i, y->type, r->type);
	SAME("symbol visibility", i, y->visibility, r->visibility);
	return true;
}

static bool same_relocs(const struct elf_file *ef,
			const struct elf_section *sec,
			const struct elf_ref *ref, bool count)
{
	struct errmsg err = { 0 };
	struct elf_reloc *r;
	size_t i, n;

	if (elf_read_relocs(ef, sec, &r, &n, &err)) {
		mismatch("section %u: elf_read_relocs: %s", sec->index,
			 err.text);
		return false;
	}
	if (n != ref->nrelocs[sec->index]) {
		mismatch("section %u: %zu relocations, libelf %zu",
			 sec->index, n, ref->nrelocs[sec->index]);
		free(r);
		return false;
	}
	for (i = 0; i < n; i++) {
		const struct elf_ref_reloc *x = &ref->relocs[sec->index][i];

		if (r[i].offset != x->offset || r[i].sym != x->sym ||
		    r[i].type != x->type || r[i].addend != x->addend) {
			mismatch("section %u relocation %zu: ours {0x%" PRIx64
				 ", sym %u, type %u, %" PRId64
				 "}, libelf {0x%" PRIx64 ", sym %u, type %u, %"
				 PRId64 "}", sec->index, i, r[i].offset,
				 r[i].sym, r[i].type, r[i].addend, x->offset,
				 x->sym, x->type, x->addend);
			free(r);
			return false;
		}
	}
	if (count)
		totals.relocs += n;
	free(r);
	return true;
}

/* elf_relocs_for(t) must be the first REL/RELA section whose sh_info is t. */
static bool same_reloc_lookup(const struct elf_file *ef,
			      const struct elf_ref *ref, size_t target)
{
	const struct elf_section *got = elf_relocs_for(ef, target);
	size_t i, want = 0;

	for (i = 1; i < ref->nsections && !want; i++) {
		const struct elf_ref_section *s = &ref->sections[i];

		if ((s->type == SHT_REL || s->type == SHT_RELA) &&
		    s->info == target)
			want = i;
	}
	SAME("elf_relocs_for", target, got ? got->index : 0, want);
	return true;
}

/* Compares one parse with libelf's; counts into totals if `count`. */
static bool compare(const struct elf_file *ef, const struct elf_ref *ref,
		    bool count)
{
	size_t i;

	SAME("section count", 0, ef->nsections, ref->nsections);
	SAME("symtab index", 0, ef->symtab_index, ref->symtab_index);
	SAME("symbol count", 0, ef->nsymbols, ref->nsymbols);
	for (i = 0; i < ef->nsections; i++) {
		const struct elf_section *s = &ef->sections[i];

		if (!same_section(ef, s, &ref->sections[i], i))
			return false;
		if (!same_reloc_lookup(ef, ref, i))
			return false;
		if ((s->type == SHT_REL || s->type == SHT_RELA) && i &&
		    !same_relocs(ef, s, ref, count))
			return false;
	}
	for (i = 0; i < ef->nsymbols; i++)
		if (!same_symbol(&ef->symbols[i], &ref->symbols[i], i))
			return false;
	if (count) {
		totals.sections += ef->nsections;
		totals.symbols += ef->nsymbols;
	}
	return true;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(size ? size : 1);
		if (buf && fread(buf, 1, size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = size;
	}
	fclose(f);
	return buf;
}

static void diff_object(const char *path)
{
	struct errmsg err = { 0 };
	struct elf_ref ref;
	struct elf_file ef;
	char why[256];
	uint8_t *buf;
	size_t len;

	current = path;
	buf = read_file(path, &len);
	if (!buf) {
		mismatch("cannot read: %s", strerror(errno));
		return;
	}
	if (elf_ref_read(&ref, buf, len, why, sizeof(why))) {
		mismatch("libelf cannot read it: %s", why);
	} else {
		if (elf_open(&ef, buf, len, &err)) {
			mismatch("elf_open: %s", err.text);
		} else {
			compare(&ef, &ref, true);
			elf_close(&ef);
		}
		elf_ref_free(&ref);
	}
	totals.objects++;
	free(buf);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Only BPF objects are ours to read; anything else found by name is
 * somebody else's build product. */
static bool is_bpf_object(const char *path)
{
	uint8_t head[20];
	FILE *f = fopen(path, "rb");
	bool bpf;

	if (!f)
		return false;
	bpf = fread(head, 1, sizeof(head), f) == sizeof(head) &&
	      memcmp(head, ELFMAG, SELFMAG) == 0 &&
	      (head[18] | head[19] << 8) == EM_BPF;
	fclose(f);
	return bpf;
}

/* Every *.o under dir (recursively); a missing dir is fine: the objects
 * there come from other parts of the build that may not exist yet. */
static void diff_tree(const char *dir)
{
	struct dirent **names;
	int i, n;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[4096];
		struct stat st;

		if (name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, name) >=
			    (int)sizeof(path) ||
		    stat(path, &st)) {
			free(names[i]);
			continue;
		}
		/* CMakeFiles/ holds host objects of C targets. */
		if (S_ISDIR(st.st_mode) && strcmp(name, "CMakeFiles") != 0)
			diff_tree(path);
		else if (S_ISREG(st.st_mode) && has_suffix(name, ".o") &&
			 is_bpf_object(path))
			diff_object(path);
		free(names[i]);
	}
	free(names);
}

static void diff_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		diff_tree(path);
	else
		diff_object(path);
}

/* Seeded damage to the ELF header and section header table of `path`.
 * Our parser may reject more than libelf; what it accepts must match. */
static void diff_mutants(const char *path, unsigned int rounds)
{
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint8_t *orig, *work;
	uint64_t shoff;
	size_t len, i, k;

	current = path;
	orig = read_file(path, &len);
	if (!orig || len < 64) {
		mismatch("cannot read for mutation");
		free(orig);
		return;
	}
	memcpy(&shoff, orig + offsetof(Elf64_Ehdr, e_shoff), sizeof(shoff));
	work = malloc(len);
	if (!work || shoff > len) {
		free(orig);
		free(work);
		return;
	}
	for (i = 0; i < rounds; i++) {
		struct errmsg err = { 0 };
		struct elf_ref ref;
		struct elf_file ef;
		char why[256];

		memcpy(work, orig, len);
		for (k = 0; k <= i % 3; k++) {
			size_t at;

			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			at = seed % 4 ? shoff + (seed >> 8) % (len - shoff)
				      : (seed >> 8) % 64;
			work[at] = (seed >> 32) & 0xff;
		}
		totals.mutants++;
		if (elf_open(&ef, work, len, &err))
			continue;
		totals.mutants_accepted++;
		if (elf_ref_read(&ref, work, len, why, sizeof(why))) {
			mismatch("mutant %zu accepted by us, libelf: %s", i,
				 why);
		} else {
			if (!compare(&ef, &ref, false))
				fprintf(stderr, "elf_diff: (mutant %zu)\n", i);
			elf_ref_free(&ref);
		}
		elf_close(&ef);
	}
	free(orig);
	free(work);
}

int main(int argc, char **argv)
{
	const char *progs = getenv("TCSTEER_PROGS");
	const char *build = getenv("TCSTEER_BUILD");
	char prog_dir[4096];
	int i;

	diff_object(ELF_SAMPLE_OBJECT);
	diff_object(ELF_SAMPLE_GZ_OBJECT);
	for (i = 1; i < argc; i++)
		diff_path(argv[i]);
	if (progs && *progs)
		diff_tree(progs);
	if (build && *build &&
	    snprintf(prog_dir, sizeof(prog_dir), "%s/prog", build) <
		    (int)sizeof(prog_dir))
		diff_tree(prog_dir);
	diff_mutants(ELF_SAMPLE_OBJECT, 5000);

	printf("elf_diff: %zu damaged copies of the sample, %zu accepted, "
	       "each read alike by libelf\n",
	       totals.mutants, totals.mutants_accepted);
	printf("elf_diff: %zu objects, %zu sections, %zu symbols, "
	       "%zu relocations: %s\n",
	       totals.objects, totals.sections, totals.symbols, totals.relocs,
	       totals.mismatches ? "MISMATCHES (see above)" : "all equal");
	return totals.mismatches ? 1 : 0;
}
