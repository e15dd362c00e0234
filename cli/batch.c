/* SPDX-License-Identifier: MIT */
/* -batch FILE / apply FILE: a file of commands applied as one step.
 *
 * Every line is parsed and checked before the first one runs, so a file
 * with an error applies nothing. If the kernel refuses a command midway,
 * or SIGTERM, SIGINT or SIGHUP arrives (a container stop, a systemd
 * timeout, ^C), what the earlier commands changed is put back (undo.c):
 * routes and their counters, and the program each touched hook ran; a
 * signal then ends the process as it would have (128 + its number).
 * Applying the same file twice changes nothing the second time: an
 * identical route is left as it is, and attaching the program that is
 * already attached is a no-op. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "program.h"
#include "route_nh.h"
#include "session.h"
#include "undo.h"

#define MAX_WORDS 32

struct batch {
	const char *path;
	struct cmd *cmds;
	char **lines;           /* owned copies; cmds point into them */
	size_t n, cap;
	struct undo_log undo;
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

static int parse_line(struct batch *b, const char *text, size_t len, int lineno,
		      struct errmsg *err)
{
	char *words[MAX_WORDS];
	char *copy;
	int n;

	/* A NUL would end the line early for every string function. */
	if (memchr(text, '\0', len))
		return errmsg_set(err, EINVAL, "%s:%d: the line holds a NUL byte", b->path,
				  lineno);
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
	ssize_t len;
	struct stat st;
	int lineno = 0, r = 0;

	if (!f)
		return errmsg_set(err, errno, "cannot open %s: %s", b->path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return errmsg_set(err, EISDIR, "cannot read %s: %s", b->path, strerror(EISDIR));
	}
	while (!r && (len = getline(&line, &cap, f)) >= 0)
		r = parse_line(b, line, (size_t)len, ++lineno, err);
	if (!r && ferror(f))
		r = errmsg_set(err, errno ? errno : EIO, "cannot read %s: %s", b->path,
			       strerror(errno ? errno : EIO));
	free(line);
	fclose(f);
	return r;
}

static void batch_free(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->lines[i]);
	free(b->lines);
	free(b->cmds);
	undo_free(&b->undo);
}

/* Every next hop must be on its link before the first command runs, so
 * that a file with a bad one changes nothing. */
static int check_next_hops(struct batch *b, struct errmsg *err)
{
	struct tc_conn *conn;
	size_t i;
	int r;

	for (i = 0; i < b->n; i++) {
		if (b->cmds[i].kind != CMD_ROUTE_ADD || b->cmds[i].learn)
			continue;
		r = session_conn(&conn, err) ?: nh_check(conn, &b->cmds[i], err);
		if (r)
			return errmsg_prefix(err, "%s:%d", b->path, b->cmds[i].line);
	}
	return 0;
}

/* The signal that asks the batch to stop, 0 while none did. */
static volatile sig_atomic_t g_stop;

static void on_stop(int sig)
{
	g_stop = sig;
}

static void catch_stops(bool on)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_stop : SIG_DFL;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Stopped by a signal: everything is put back, and the process ends the
 * way that signal would have ended it. */
static void die_of(int sig, struct batch *b, size_t done)
{
	undo_all(&b->undo);
	fprintf(stderr, "tcsteer: %s: stopped by %s after %zu of %zu commands; "
		"what they changed was undone\n", b->path,
		sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP", done, b->n);
	batch_free(b);
	program_cleanup();
	session_close();
	catch_stops(false);
	raise(sig);
	exit(128 + sig);
}

int run_batch(const char *path, struct errmsg *err)
{
	struct batch b = { .path = path };
	size_t i;
	int r;

	r = parse_file(&b, err) ?: check_next_hops(&b, err);
	if (r) {
		batch_free(&b);
		return r;
	}
	catch_stops(true);
	if (b.n > 1)
		session_many();
	for (i = 0; !r && i < b.n; i++) {
		if (g_stop)
			die_of(g_stop, &b, i);
		r = undo_note(&b.undo, &b.cmds[i], err) ?: cmd_run(&b.cmds[i], err);
		if (r) {
			errmsg_prefix(err, "%s:%d", path, b.cmds[i].line);
			undo_all(&b.undo);
		}
	}
	if (!r && g_stop)
		die_of(g_stop, &b, b.n);
	catch_stops(false);
	batch_free(&b);
	return r;
}
