/* SPDX-License-Identifier: MIT */
/* Replay driver: runs a fuzz target's LLVMFuzzerTestOneInput over files
 * instead of generated inputs, so the seed corpus, the malformed-object
 * corpus and every regression run in each build (gcc, ASan, plain).
 *
 *   <target>_replay [-v] [--truncate] [--expect FILE] PATH...
 *
 * PATH is a file or a directory (its regular files, not recursive).
 * --truncate  also runs every proper prefix of every file: the "truncated
 *             at each offset" corpus, generated on the fly.
 * --truncate-strict  the same, and each prefix of an accepted file must be
 *             refused (true of ELF objects, not of netlink buffers).
 * --expect    a file of "NAME<TAB>REGEX" lines: input NAME (a base name)
 *             must be rejected with a reason matching REGEX (extended,
 *             case-insensitive).
 * Inputs named bad-* must be rejected (any reason). A crash aborts; a
 * broken expectation is reported and the exit status is 1. */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fuzz.h"

struct expectation {
	char *name;
	char *pattern;
	bool seen;
};

struct replay {
	bool verbose;
	bool truncate;
	bool strict_truncate;   /* every prefix of an accepted input is refused */
	struct expectation *exp;
	size_t nexp;
	unsigned long files, prefixes, rejected, failures;
};

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	size_t cap = 4096, n = 0, got;
	uint8_t *buf = malloc(cap), *grown;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return -1;
	}
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		grown = realloc(buf, cap * 2);
		if (!grown) {
			fclose(f);
			free(buf);
			return -1;
		}
		buf = grown;
		cap *= 2;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

/* Run one input from an exact-size copy, so ASan sees overreads. */
static void run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		perror("replay");
		exit(2);
	}
	memcpy(copy, data, len);
	fuzz_rejected = 0;
	fuzz_reason[0] = '\0';
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

static void fail(struct replay *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct replay *r, const char *fmt, ...)
{
	va_list ap;

	fputs("replay: FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	r->failures++;
}

static void check_expectations(struct replay *r, const char *base)
{
	size_t i;

	if (!strncmp(base, "bad-", 4) && !fuzz_rejected)
		fail(r, "%s was accepted", base);
	for (i = 0; i < r->nexp; i++) {
		struct expectation *e = &r->exp[i];
		regex_t re;

		if (strcmp(e->name, base))
			continue;
		e->seen = true;
		if (!fuzz_rejected) {
			fail(r, "%s was accepted, expected /%s/", base, e->pattern);
			continue;
		}
		if (regcomp(&re, e->pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB)) {
			fail(r, "%s: bad pattern /%s/", base, e->pattern);
			continue;
		}
		if (regexec(&re, fuzz_reason, 0, NULL, 0))
			fail(r, "%s: \"%s\" does not match /%s/", base,
			     fuzz_reason, e->pattern);
		regfree(&re);
	}
}

static void replay_file(struct replay *r, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	uint8_t *data;
	size_t len, cut;
	bool whole_ok;

	if (read_all(path, &data, &len)) {
		fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	run_one(data, len);
	r->files++;
	r->rejected += fuzz_rejected != 0;
	if (r->verbose)
		printf("%s: %s\n", base, fuzz_rejected ? fuzz_reason : "accepted");
	check_expectations(r, base);
	/* An accepted file cut anywhere must be refused: clang puts the
	 * section header table last, so every cut damages it. */
	whole_ok = !fuzz_rejected;
	for (cut = 0; r->truncate && cut < len; cut++) {
		run_one(data, cut);
		r->prefixes++;
		if (whole_ok && r->strict_truncate && !fuzz_rejected)
			fail(r, "%s cut to %zu of %zu bytes was accepted", base,
			     cut, len);
	}
	free(data);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void replay_path(struct replay *r, const char *path)
{
	struct dirent **names;
	struct stat st;
	char child[4096];
	int n, i;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_file(r, path);
		return;
	}
	n = scandir(path, &names, NULL, by_name);
	for (i = 0; i < n; i++) {
		snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && strcmp(names[i]->d_name, "README.md") &&
		    !stat(child, &st) && S_ISREG(st.st_mode))
			replay_file(r, child);
		free(names[i]);
	}
	free(n >= 0 ? names : NULL);
}

static void load_expectations(struct replay *r, const char *path)
{
	char line[1024], *tab;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tab = strchr(line, '\t');
		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		r->exp = realloc(r->exp, (r->nexp + 1) * sizeof(*r->exp));
		if (!r->exp)
			exit(2);
		r->exp[r->nexp].name = strdup(line);
		r->exp[r->nexp].pattern = strdup(tab + 1);
		r->exp[r->nexp].seen = false;
		r->nexp++;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct replay r = { 0 };
	struct timespec t0, t1;
	size_t i;
	int a;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (!strcmp(argv[a], "-v"))
			r.verbose = true;
		else if (!strcmp(argv[a], "--truncate"))
			r.truncate = true;
		else if (!strcmp(argv[a], "--truncate-strict"))
			r.truncate = r.strict_truncate = true;
		else if (!strcmp(argv[a], "--expect") && a + 1 < argc)
			load_expectations(&r, argv[++a]);
		else
			break;
	}
	if (a >= argc) {
		fprintf(stderr, "usage: %s [-v] [--truncate[-strict]] [--expect FILE] PATH...\n",
			argv[0]);
		return 2;
	}
	for (; a < argc; a++)
		replay_path(&r, argv[a]);
	for (i = 0; i < r.nexp; i++) {
		if (!r.exp[i].seen)
			fail(&r, "expected input %s is missing", r.exp[i].name);
		free(r.exp[i].name);
		free(r.exp[i].pattern);
	}
	free(r.exp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("replay: %lu files (%lu rejected), %lu truncated prefixes, %zu expectations, %lu failures, %.2f s\n",
	       r.files, r.rejected, r.prefixes, r.nexp, r.failures,
	       (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return r.failures ? 1 : 0;
}
