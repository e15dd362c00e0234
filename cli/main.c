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

static const char usage_text[] =
"Usage: tcsteer [OPTIONS] COMMAND\n"
"\n"
"Commands:\n"
"  attach dev IFACE [egress|ingress] [object FILE [section NAME | program NAME]]\n"
"         [table NAME] [mode clsact|tcx] [first|last|before ID|after ID]\n"
"                    load a program (default: the built-in steering program)\n"
"                    and attach it as a clsact direct-action filter, or with\n"
"                    mode tcx as a tcx link (Linux 6.6), first by default or\n"
"                    where placed among the hook's tcx programs; a previous\n"
"                    tcsteer attachment on that hook is replaced after the\n"
"                    new one is in place (without mode: in its mode); maps\n"
"                    are pinned in table NAME (default: the device's name),\n"
"                    which devices may share\n"
"  detach dev IFACE [egress|ingress]\n"
"                    remove the filter tcsteer attached to that hook\n"
"  show [dev IFACE]  list the BPF programs on the tcx and clsact hooks (all\n"
"                    devices), warning of tcx programs that hide tcsteer's\n"
"  route add PREFIX via NEXTHOP dev IFACE [table NAME]\n"
"                    steer packets whose source is in PREFIX out of IFACE\n"
"                    to NEXTHOP (IPv4 or IPv6; an IPv6 NEXTHOP also serves\n"
"                    IPv4 prefixes)\n"
"  route del PREFIX [table NAME]\n"
"  route show [-s] [table NAME]\n"
"                    the steering table NAME (by default named after the\n"
"                    device attached; may be left out when there is one)\n"
"  apply FILE        run a file of commands, all or nothing (same as -batch)\n"
"  gc                remove the state of network namespaces and devices that\n"
"                    are gone\n"
"\n"
"Options:\n"
"  -j, --json        JSON output for show and route show\n"
"  -s, --stats       with route show: packet and byte counters\n"
"  -v, --verbose     say what is done; print the whole verifier log\n"
"  -d, --details     with -j route show: where the table is pinned\n"
"  -n, --dry-run     print the messages attach would send, send nothing\n"
"  -b, -batch FILE   same as apply FILE\n"
"  -h, --help        this text\n"
"  -V, --version     the version\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

/* Exit 1 for a failure while running, 2 for a command that could not be
 * understood (as iproute2 and most Unix tools do). */
static int fail(const struct errmsg *err, int status)
{
	fprintf(stderr, "tcsteer: %s\n",
		err->text[0] ? err->text : "failed (no reason recorded)");
	return status;
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
	int first, status = 0;

	first = parse_options(argc, argv, &batch, &status);
	if (first < 0)
		return status;

	if (!batch && first < argc && !strcmp(argv[first], "apply")) {
		if (first + 2 != argc) {
			fprintf(stderr, "tcsteer: usage: tcsteer apply FILE\n");
			return EXIT_USAGE;
		}
		batch = argv[first + 1];
		first = argc;
	}
	/* Only attach can say what it would send; anything else would act. */
	if (g_opts.dry_run && (batch || first >= argc || strcmp(argv[first], "attach"))) {
		fprintf(stderr, "tcsteer: --dry-run applies to attach only\n");
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
	if (cmd_run(&c, &err))
		return fail(&err, EXIT_FAILURE);
	return 0;
}

int main(int argc, char **argv)
{
	int status = run(argc, argv);

	program_cleanup();
	session_close();
	return status;
}
