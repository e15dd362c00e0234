#!/bin/bash
# dracut module "tcsteer": tcsteer, its libraries, its configuration and
# the modules it needs, and a pre-mount hook (tcsteer-apply.sh) that runs
# `tcsteer apply /etc/tcsteer/tcsteer.conf` once udev has settled.
# Included when /etc/tcsteer/tcsteer.conf exists (or with -a tcsteer).

check() {
	require_binaries tcsteer || return 1
	[ -r /etc/tcsteer/tcsteer.conf ] || return 255
	return 0
}

depends() {
	return 0
}

installkernel() {
	instmods sch_ingress cls_bpf
}

install() {
	inst_binary tcsteer /usr/sbin/tcsteer
	inst_simple /etc/tcsteer/tcsteer.conf
	# shellcheck disable=SC2154 # dracut sets moddir
	inst_hook pre-mount 05 "$moddir/tcsteer-apply.sh"
}
