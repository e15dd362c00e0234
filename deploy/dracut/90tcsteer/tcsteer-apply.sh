#!/bin/sh
# dracut pre-mount hook of the tcsteer module (module-setup.sh): the
# one-shot step. tcsteer mounts bpffs itself; the mount moves with /sys
# into the real root. A failure is logged and the boot goes on.
type warn >/dev/null 2>&1 || . /lib/dracut-lib.sh

[ -r /etc/tcsteer/tcsteer.conf ] || return 0
modprobe -q sch_ingress 2>/dev/null
modprobe -q cls_bpf 2>/dev/null
/usr/sbin/tcsteer apply /etc/tcsteer/tcsteer.conf ||
	warn "tcsteer: apply /etc/tcsteer/tcsteer.conf failed; booting without steering"
