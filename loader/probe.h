/* SPDX-License-Identifier: MIT */
/* Kernel features the built-in steering program depends on, found by
 * loading a few instructions that use them (probing, not comparing kernel
 * versions: distributions backport). */
#ifndef TCSTEER_LOADER_PROBE_H
#define TCSTEER_LOADER_PROBE_H

#include "errmsg.h"

/* Does a SCHED_CLS program get bpf_check_mtu() (kernel >= 5.12)? 1 if so,
 * 0 if the verifier does not know the helper (then load the embedded
 * object's `steer_compat` instead of `steer`), -errno (err set) if the
 * probe itself could not run, e.g. without CAP_BPF: the caller should then
 * load `steer` and let that load report the cause. */
int probe_check_mtu(struct errmsg *err);

#endif
