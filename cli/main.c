/* SPDX-License-Identifier: MIT */
/* tcsteer: load a TC BPF program and attach it with rtnetlink.
 *
 * Grammar follows iproute2: global options first, then an object and a verb.
 * Every failure ends in exactly one line on stderr and a non-zero exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "program.h"
#include "session.h"

#ifndef TCSTEER_VERSION
#define TCSTEER_VERSION "unknown"
#endif

#define EXIT_USAGE 2

struct opts g_opts;

/* Exit 1 for a failure while running, 2 for a command that could not be
 * understood (as iproute2 and most Unix tools do). */
static int fail(const struct errmsg *err, int status)
{
	fprintf(stderr, "tcsteer: %s\n",
		err->text[0] ? err->text : "failed (no reason recorded)");
	return status;
}

/* `tcsteer help [COMMAND]`, or a help word after a command: print that
 * help and return 1 (*status set), else 0. */
static int command_help(int argc, char **argv, int *status)
{
	int i;

	if (argc < 1)
		return 0;
	if (!strcmp(argv[0], "help")) {
		*status = 0;
		if (argc == 1 || !command_usage(argv[1], stdout)) {
			if (argc > 1) {
				fprintf(stderr, "tcsteer: no help for \"%s\" (try --help)\n", argv[1]);
				*status = EXIT_USAGE;
			} else {
				usage(stdout);
			}
		}
		return 1;
	}
	/* Right after the command (`route help`), or after route's verb
	 * (`route add --help`): elsewhere "help" may be a table's name. */
	for (i = 1; i < argc && i <= (strcmp(argv[0], "route") ? 1 : 2); i++)
		if (is_help_word(argv[i]) && command_usage(argv[0], stdout)) {
			*status = 0;
			return 1;
		}
	return 0;
}

static bool is_opt(const char *a, const char *s, const char *l)
{
	return (s && !strcmp(a, s)) || (l && !strcmp(a, l));
}

/* Global options, iproute2 style: they precede the command. Returns the
 * index of the first command word, or -1 when the process should exit with
 * *status. */
static int parse_options(int argc, char **argv, const char **batch, int *status)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (is_opt(a, "-j", "--json") || !strcmp(a, "-json")) {
			g_opts.json = true;
		} else if (is_opt(a, "-v", "--verbose")) {
			g_opts.verbose = true;
		} else if (is_opt(a, "-d", "--details") || !strcmp(a, "-details")) {
			g_opts.details = true;
		} else if (is_opt(a, "-n", "--dry-run")) {
			g_opts.dry_run = true;
		} else if (is_opt(a, "-s", "--stats") || !strcmp(a, "-stats")) {
			g_opts.stats = true;
		} else if (is_opt(a, "-b", "-batch") || !strcmp(a, "--batch")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "tcsteer: %s needs a file name\n", a);
				*status = EXIT_USAGE;
				return -1;
			}
			*batch = argv[++i];
		} else if (is_opt(a, "-h", "--help") || !strcmp(a, "-help")) {
			usage(stdout);
			*status = 0;
			return -1;
		} else if (is_opt(a, "-V", "--version") || !strcmp(a, "-version")) {
			printf("tcsteer %s\n", TCSTEER_VERSION);
			*status = 0;
			return -1;
		} else {
			fprintf(stderr, "tcsteer: unknown option \"%s\" (try --help)\n", a);
			*status = EXIT_USAGE;
			return -1;
		}
	}
	return i;
}

static int run(int argc, char **argv)
{
	const char *batch = NULL;
	struct errmsg err = { 0 };
	struct cmd c;
	int first, status = 0, r;

	first = parse_options(argc, argv, &batch, &status);
	if (first < 0)
		return status;

	r = command_help(argc - first, argv + first, &status);
	if (r)
		return status;
	if (!batch && first < argc && !strcmp(argv[first], "apply")) {
		if (first + 2 != argc) {
			fprintf(stderr, "tcsteer: usage: tcsteer apply FILE\n");
			return EXIT_USAGE;
		}
		batch = argv[first + 1];
		first = argc;
	}
	/* Only attach and route add ... learn can say what they would send
	 * (the attachments); anything else would act. */
	if (g_opts.dry_run && (batch || first >= argc || (strcmp(argv[first], "attach") &&
							   strcmp(argv[first], "route")))) {
		fprintf(stderr, "tcsteer: --dry-run applies to attach and route add ... learn only\n");
		return EXIT_USAGE;
	}
	if (batch) {
		if (first < argc) {
			fprintf(stderr, "tcsteer: -batch takes no command words\n");
			return EXIT_USAGE;
		}
		return run_batch(batch, &err) ? fail(&err, EXIT_FAILURE) : 0;
	}
	if (first >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (cmd_parse(&c, argc - first, argv + first, &err))
		return fail(&err, err.code == ENODEV ? EXIT_FAILURE : EXIT_USAGE);
	if (g_opts.dry_run && c.kind != CMD_ATTACH && !(c.kind == CMD_ROUTE_ADD && c.learn)) {
		fprintf(stderr, "tcsteer: --dry-run applies to attach and route add ... learn only\n");
		return EXIT_USAGE;
	}
	if (cmd_run(&c, &err))
		return fail(&err, EXIT_FAILURE);
	return 0;
}

int main(int argc, char **argv)
{
	int status = run(argc, argv);

#ifdef TCSTEER_TIDY_EXIT
	/* Test builds close and free everything, so that the fd check and
	 * LeakSanitizer see what a long batch would leak. */
	program_cleanup();
	session_close();
#else
	/* The process ends here: the kernel closes every fd at exit (one by
	 * one first would be a system call each for nothing). */
	session_finish();
#endif
	return status;
}
