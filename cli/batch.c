/* SPDX-License-Identifier: MIT */
/* -batch FILE / apply FILE: a file of commands applied as one step.
 *
 * Every line is parsed and checked before the first one runs, so a file
 * with an error applies nothing. If the kernel refuses a command midway,
 * the route changes already made are undone; attach and detach need no
 * undo because each is complete or has changed nothing. Applying the same
 * file twice changes nothing the second time: an identical route is left
 * as it is, and attaching the program that is already attached is a no-op. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "table.h"

#define MAX_WORDS 32

struct undo {
	char dev[IF_NAMESIZE];
	struct ipaddr prefix;
	bool existed;
	struct steer_route old;
	struct steer_counter *counters; /* old's per-CPU counts, if existed */
};

struct batch {
	const char *path;
	struct cmd *cmds;
	char **lines;           /* owned copies; cmds point into them */
	size_t n, cap;
	struct undo *undo;
	size_t nundo;
};

static int split_words(char *line, char **words, int max)
{
	int n = 0;
	char *save = NULL, *w;

	for (w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (w[0] == '#')
			break;
		if (n == max)
			return -1;
		words[n++] = w;
	}
	return n;
}

static int batch_grow(struct batch *b)
{
	size_t ncap = b->cap ? b->cap * 2 : 16;
	struct cmd *c = realloc(b->cmds, ncap * sizeof(*c));
	char **l;

	if (!c)
		return -ENOMEM;
	b->cmds = c;
	l = realloc(b->lines, ncap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	b->lines = l;
	b->cap = ncap;
	return 0;
}

static int parse_line(struct batch *b, const char *text, int lineno, struct errmsg *err)
{
	char *words[MAX_WORDS];
	char *copy;
	int n;

	if (b->n == b->cap && batch_grow(b))
		return errmsg_set(err, ENOMEM, "out of memory");
	copy = strdup(text);
	if (!copy)
		return errmsg_set(err, ENOMEM, "out of memory");
	b->lines[b->n] = copy;
	n = split_words(copy, words, MAX_WORDS);
	if (n < 0) {
		free(copy);
		return errmsg_set(err, E2BIG, "%s:%d: too many words", b->path, lineno);
	}
	if (n == 0) {
		free(copy);
		return 0;
	}
	if (!strcmp(words[0], "tcsteer")) /* allow pasted command lines */
		memmove(words, words + 1, (size_t)--n * sizeof(words[0]));
	if (n == 0 || cmd_parse(&b->cmds[b->n], n, words, err)) {
		free(copy);
		if (n == 0)
			errmsg_set(err, EINVAL, "missing command");
		return errmsg_prefix(err, "%s:%d", b->path, lineno);
	}
	b->cmds[b->n].line = lineno;
	b->n++;
	return 0;
}

static int parse_file(struct batch *b, struct errmsg *err)
{
	FILE *f = fopen(b->path, "re");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, r = 0;

	if (!f)
		return errmsg_set(err, errno, "cannot open %s: %s", b->path, strerror(errno));
	while (!r && getline(&line, &cap, f) >= 0)
		r = parse_line(b, line, ++lineno, err);
	free(line);
	fclose(f);
	return r;
}

/* Remember what a route command is about to change. */
static int note_undo(struct batch *b, const struct cmd *c, struct errmsg *err)
{
	struct undo *u, *grown;
	struct steer_table t;
	int r;

	if (c->kind != CMD_ROUTE_ADD && c->kind != CMD_ROUTE_DEL)
		return 0;
	grown = realloc(b->undo, (b->nundo + 1) * sizeof(*grown));
	if (!grown)
		return errmsg_set(err, ENOMEM, "out of memory");
	b->undo = grown;
	u = &b->undo[b->nundo];
	memset(u, 0, sizeof(*u));
	u->prefix = c->prefix;
	r = table_resolve(c->table, u->dev, err);
	if (r)
		return r;
	if (table_open(&t, u->dev, false, NULL) == 0) {
		u->existed = table_get(&t, &c->prefix, &u->old) == 0;
		if (u->existed)
			table_counter_copy(&t, u->old.slot, &u->counters, NULL);
		table_close(&t);
	}
	b->nundo++;
	return 0;
}

static void undo_all(struct batch *b)
{
	struct steer_table t;

	while (b->nundo) {
		struct undo *u = &b->undo[--b->nundo];

		if (table_open(&t, u->dev, false, NULL) == 0) {
			if (u->existed)
				table_put(&t, &u->prefix, &u->old, NULL);
			else
				table_del(&t, &u->prefix, NULL);
			/* Packets counted since the copy (a batch takes
			 * milliseconds) are lost; a reset to zero is not. */
			if (u->counters)
				table_counter_set(&t, u->old.slot, u->counters, NULL);
			table_close(&t);
		}
		free(u->counters);
	}
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->lines[i]);
	free(b->lines);
	free(b->cmds);
	for (i = 0; i < b->nundo; i++)
		free(b->undo[i].counters);
	free(b->undo);
}

int run_batch(const char *path, struct errmsg *err)
{
	struct batch b = { .path = path };
	size_t i;
	int r;

	r = parse_file(&b, err);
	for (i = 0; !r && i < b.n; i++) {
		r = note_undo(&b, &b.cmds[i], err) ?: cmd_run(&b.cmds[i], err);
		if (r) {
			errmsg_prefix(err, "%s:%d", path, b.cmds[i].line);
			undo_all(&b);
		}
	}
	batch_free(&b);
	return r;
}
