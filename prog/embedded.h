/* SPDX-License-Identifier: MIT */
/* The steering program's BPF ELF object (prog/steer.bpf.c), embedded in the
 * binary by prog/embedded.S. Read-only; aligned to 8 bytes so the ELF
 * parser may read its headers in place. */
#ifndef TCSTEER_PROG_EMBEDDED_H
#define TCSTEER_PROG_EMBEDDED_H

extern const unsigned char tcsteer_embedded_obj[];
extern const unsigned long tcsteer_embedded_obj_size;

#endif
