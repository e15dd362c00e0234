// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/* The shipped steering program (prog/steer.bpf.c), instruction for
 * instruction, but with unpinned maps: the Go reference (cilium/ebpf 0.9)
 * refuses pin-by-name maps without a pin path, and the load + attach bench
 * must give every peer the same object to load. Pinning only changes the
 * map definitions' `pinning` field, not the program.
 *
 * Built twice: as is (max STEER_MAX_ROUTES = 16384 routes, as shipped) and
 * with -DSTEER_MAX_ROUTES=131072 for the data path bench's 100k prefixes. */
#include "tcsteer_bpf.h"

/* tcsteer_bpf.h's include guard keeps steer.bpf.c from redefining it. */
#undef PIN_BY_NAME
#define PIN_BY_NAME PIN_NONE

#include "steer.bpf.c"
