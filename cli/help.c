/* SPDX-License-Identifier: MIT */
/* The help texts: the whole summary (--help) and each command's own
 * (`tcsteer route help`, `tcsteer attach --help`, `tcsteer help gc`). */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

struct command_help {
	const char *name;
	const char *text;
};

static const struct command_help commands[] = {
	{ "attach",
"  attach dev IFACE [egress|ingress] [object FILE [section NAME | program NAME]]\n"
"         [table NAME] [mode clsact|tcx] [first|last|before ID|after ID]\n"
"                    load a program (default: the built-in steering program)\n"
"                    and attach it as a clsact direct-action filter, or with\n"
"                    mode tcx as a tcx link (Linux 6.6), first by default or\n"
"                    where placed among the hook's tcx programs; a previous\n"
"                    tcsteer attachment on that hook is replaced after the\n"
"                    new one is in place (without mode: in its mode); its\n"
"                    maps are the table NAME's (default: the device's own),\n"
"                    which devices may share\n" },
	{ "detach",
"  detach dev IFACE [egress|ingress]\n"
"                    remove the filter or tcx link tcsteer attached to that\n"
"                    hook; its table stays\n" },
	{ "show",
"  show [dev IFACE]  list the BPF programs on the tcx and clsact hooks (all\n"
"                    devices), tcsteer's marked [tcsteer], with a warning\n"
"                    when tcx programs run before tcsteer's\n" },
	{ "route",
"  route add PREFIX via NEXTHOP dev IFACE [table NAME]\n"
"                    steer packets whose source is in PREFIX out of IFACE\n"
"                    to NEXTHOP (IPv4 or IPv6; an IPv6 NEXTHOP also serves\n"
"                    IPv4 prefixes)\n"
"  route add PREFIX learn dev IFACE [dev IFACE]... [flows N] [table NAME]\n"
"                    send replies from PREFIX back the way their flow's\n"
"                    last request came in, among up to 4 interfaces (a\n"
"                    learner goes on their ingress); N: the flow table's\n"
"                    size (default 65536)\n"
"  route del PREFIX [table NAME]\n"
"  route show [-s] [table NAME]\n"
"                    the steering table NAME (by default the one table of\n"
"                    this network namespace)\n" },
	{ "flows",
"  flows [table NAME] the flows learn routes have learned: protocol, local\n"
"                    and remote address, the interface and router MAC of\n"
"                    the way back, the age of the last request\n" },
	{ "apply",
"  apply FILE        run a file of commands, all or nothing (same as -batch):\n"
"                    a failing command, SIGTERM, SIGINT or SIGHUP undoes the\n"
"                    commands before it\n" },
	{ "gc",
"  gc                remove the state of network namespaces and devices that\n"
"                    are gone\n" },
};

static const char options_text[] =
"Options:\n"
"  -j, --json        JSON output for show, route show, flows and gc (on failure,\n"
"                    stdout is empty and the error is one line on stderr)\n"
"  -s, --stats       with route show: packet and byte counters\n"
"  -v, --verbose     say what is done; print the whole verifier log\n"
"  -d, --details     with -j route show: where the table is pinned\n"
"  -n, --dry-run     print the messages attach (or route add ... learn, for its\n"
"                    learners) would send, send nothing\n"
"  -b, -batch FILE   same as apply FILE\n"
"  -h, --help        this text (COMMAND help, or help COMMAND: that command's)\n"
"  -V, --version     the version\n";

void usage(FILE *f)
{
	size_t i;

	fputs("Usage: tcsteer [OPTIONS] COMMAND\n\nCommands:\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fputs(commands[i].text, f);
	fputc('\n', f);
	fputs(options_text, f);
}

bool command_usage(const char *name, FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name))
			continue;
		fprintf(f, "Usage: tcsteer [OPTIONS] %s ...\n\n", name);
		fputs(commands[i].text, f);
		return true;
	}
	return false;
}

bool is_help_word(const char *w)
{
	return !strcmp(w, "help") || !strcmp(w, "-h") || !strcmp(w, "--help") ||
	       !strcmp(w, "-help");
}
