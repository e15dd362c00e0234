/* SPDX-License-Identifier: MIT */
/* Which bpf filesystem holds tcsteer's pins for this process.
 *
 * Pins are kept on a bpffs, which belongs to a mount namespace; the state
 * they hold belongs to a network namespace. The two meet in four ways:
 *   - /sys/fs/bpf is a bpffs here (the host, `nsenter --net`, a container
 *     with the host's /sys/fs/bpf mounted): use it;
 *   - it is not, and the process runs in a private mount namespace made for
 *     it (`ip netns exec` remounts /sys and loses the host's bpffs): use the
 *     bpffs of the nearest ancestor process in another mount namespace,
 *     reached through an fd (/proc/self/fd/N), mounting it there first if
 *     needed, so the state outlives the process like everywhere else;
 *   - neither, and the process may mount: mount one on /sys/fs/bpf here;
 *   - a bpffs mounted here dies with this process (it is PID 1 of its PID
 *     namespace: a one-shot container), so there is no durable place: the
 *     state lives only in the kernel objects (the attached program and its
 *     maps), and whatever must outlive the process without an owner is
 *     refused up front (see state.h). */
#ifndef TCSTEER_STATE_ROOT_H
#define TCSTEER_STATE_ROOT_H

#include <stdbool.h>

#include "errmsg.h"

#define STATE_PATH_MAX 256

struct state_root {
	char path[40];          /* the bpffs: "/sys/fs/bpf" or "/proc/self/fd/N" */
	int fd;                 /* N above: another mount namespace's bpffs, else -1 */
	bool found;             /* path is a bpffs */
	bool durable;           /* pins there outlive this process */
	bool mounted;           /* this process mounted it */
	char why[200];          /* !durable: why, for a one-line message */
};

/* Find the bpffs to use. With may_mount, mount one where none is found
 * (in the ancestor's mount namespace when that is where it belongs).
 * Without, a missing bpffs is not an error: found stays false. */
int state_root_open(struct state_root *r, bool may_mount, struct errmsg *err);
void state_root_close(struct state_root *r);

#endif
