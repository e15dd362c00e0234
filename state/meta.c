/* SPDX-License-Identifier: MIT */
#include "meta.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "bpf_sys.h"

#define MAX_PROG_MAPS 64

void meta_init(struct tcsteer_meta *m, const char *table, uint32_t format,
	       uint32_t owner_ifindex, uint64_t netns)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->magic, META_MAGIC, sizeof(META_MAGIC));
	m->format = format;
	m->owner_ifindex = owner_ifindex;
	m->netns = netns;
	if (table)
		strncpy(m->table, table, sizeof(m->table) - 1);
}

int meta_create(const struct tcsteer_meta *m, struct errmsg *err)
{
	struct bpf_sys_map_attr a = {
		.type = BPF_MAP_TYPE_ARRAY,
		.key_size = sizeof(__u32),
		.value_size = sizeof(*m),
		.max_entries = 1,
		.flags = BPF_F_RDONLY_PROG,
		.name = META_MAP_NAME,
		.btf_fd = -1,
		.inner_map_fd = -1,
	};
	__u32 key = 0;
	int fd, r;

	fd = bpf_sys_map_create(&a, NULL);
	if (fd < 0)
		return errmsg_set(err, -fd, "cannot create the %s map: %s%s", META_MAP_NAME,
				  strerror(-fd), fd == -EPERM ? " (needs CAP_BPF)" : "");
	/* Frozen: no later syscall, of ours or another tool's, may change
	 * what it says. */
	r = bpf_sys_map_update(fd, &key, m, BPF_ANY, NULL) ?: bpf_sys_map_freeze(fd, NULL);
	if (r) {
		close(fd);
		return errmsg_set(err, -r, "cannot fill the %s map: %s", META_MAP_NAME,
				  strerror(-r));
	}
	return fd;
}

static bool is_meta_map(int fd)
{
	struct bpf_map_info info;

	return bpf_sys_map_get_info(fd, &info, NULL) == 0 &&
	       info.type == BPF_MAP_TYPE_ARRAY && info.max_entries == 1 &&
	       info.value_size == sizeof(struct tcsteer_meta) &&
	       !strcmp(info.name, META_MAP_NAME);
}

int meta_read(int fd, struct tcsteer_meta *m)
{
	__u32 key = 0;

	if (!is_meta_map(fd) || bpf_sys_map_lookup(fd, &key, m, 0, NULL) ||
	    memcmp(m->magic, META_MAGIC, sizeof(META_MAGIC)))
		return -ENOENT;
	m->table[sizeof(m->table) - 1] = '\0';
	return 0;
}

int meta_bind(int prog_fd, int meta_fd, struct errmsg *err)
{
	int r = bpf_sys_prog_bind_map(prog_fd, meta_fd, NULL);

	if (r)
		return errmsg_set(err, -r, "cannot bind the %s map to the program: %s%s",
				  META_MAP_NAME, strerror(-r),
				  r == -EINVAL ? " (BPF_PROG_BIND_MAP needs kernel 5.10)" : "");
	return 0;
}

int meta_of_prog(int prog_fd, struct tcsteer_meta *m, struct errmsg *err)
{
	uint32_t ids[MAX_PROG_MAPS], n = MAX_PROG_MAPS, i;
	int r, fd;

	r = bpf_sys_prog_get_map_ids(prog_fd, ids, &n, err);
	if (r)
		return r;
	if (n > MAX_PROG_MAPS)
		n = MAX_PROG_MAPS;
	/* Bound last: look from the end. */
	for (i = n; i-- > 0;) {
		fd = bpf_sys_map_get_fd_by_id(ids[i], NULL);
		if (fd == -EPERM)
			return errmsg_set(err, EPERM, "cannot open the maps of a program by id "
					  "(needs CAP_SYS_ADMIN)");
		if (fd < 0)
			continue;
		if (meta_read(fd, m) == 0)
			return fd;
		close(fd);
	}
	return -ENOENT;
}
