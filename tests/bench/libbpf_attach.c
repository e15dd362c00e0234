/* SPDX-License-Identifier: MIT */
/* libbpf_attach: the load + attach a C user would write with libbpf, the
 * bench's libbpf peer. Never part of tcsteer.
 *
 *   libbpf_attach OBJECT PROGRAM DEV...
 *
 * bpf_object__open_file + bpf_object__load (libbpf's usual path: feature
 * probes, BTF, map creation, relocation), then for each DEV
 * bpf_tc_hook_create (clsact; EEXIST is fine) and bpf_tc_attach on egress
 * with the kernel choosing the priority, as tcsteer does. The program is
 * loaded once whatever the number of devices: that is how a libbpf user
 * attaches one program to many hooks. Any failure: one line, exit 1. */
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("libbpf_attach: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* libbpf prints warnings (and debug lines) through this; keep warnings, as
 * a user would see them, and drop the rest. */
static int print_warnings(enum libbpf_print_level level, const char *fmt,
			  va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static void attach(int prog_fd, const char *dev)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .handle = 1);
	int err;

	hook.ifindex = (int)if_nametoindex(dev);
	if (!hook.ifindex)
		die("%s: %s", dev, strerror(errno));
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		die("%s: create clsact: %s", dev, strerror(-err));
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		die("%s: attach: %s", dev, strerror(-err));
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	int i, err;

	if (argc < 4) {
		fputs("usage: libbpf_attach OBJECT PROGRAM DEV...\n", stderr);
		return 2;
	}
	libbpf_set_print(print_warnings);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		die("%s: %s", argv[1], strerror(errno));
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog)
		die("%s: no program %s", argv[1], argv[2]);
	/* Only the chosen program is loaded, as tcsteer loads only one. */
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog,
					  !strcmp(bpf_program__name(prog), argv[2]));
	err = bpf_object__load(obj);
	if (err)
		die("%s: load: %s", argv[1], strerror(-err));
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	for (i = 3; i < argc; i++)
		attach(bpf_program__fd(prog), argv[i]);
	bpf_object__close(obj);
	return 0;
}
