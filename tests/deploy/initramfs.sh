#!/usr/bin/env bash
# tcsteer as a one-shot step in a minimal initramfs, booted under QEMU (TCG:
# no KVM here) on Debian's 5.10, 6.1 and 6.12 kernels (kernels.sh).
#
# The image: busybox-static with its applet links, the tcsteer binary and
# its shared libraries copied as initramfs-tools' copy_exec does (ldd),
# iproute2's ip with its libraries (for `ip netns`; busybox's applet would
# shadow it, so it is /usr/bin/ip.iproute2), the modules sch_ingress,
# cls_bpf and veth with their dependencies (decompressed: busybox insmod),
# /etc/tcsteer.conf (the lab's steer-commands.sh) and /init with
# initramfs/lab.sh. The /init proves both orders (see lab.sh) with ping and
# TCP, IPv4 and IPv6, and prints marker lines on the serial console; this
# script reads them and prints one line per step, "[KERNEL]" first.
#
# TCSTEER_DEPLOY_KERNELS="6.1" limits the kernels; the boots run in
# parallel (TCSTEER_DEPLOY_JOBS, default 3).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kernels.sh"
need_root
need_tcsteer
need_packages qemu-system-x86 busybox-static kmod xz-utils zstd
[ -x /bin/busybox ] || skip "no /bin/busybox (busybox-static)"
busybox --list | grep -qx nc || skip "this busybox has no nc"

read -r -a KERNELS <<<"${TCSTEER_DEPLOY_KERNELS:-${DEP_KERNELS[*]}}"
JOBS=${TCSTEER_DEPLOY_JOBS:-3}
BOOT_TIMEOUT=${TCSTEER_DEPLOY_BOOT_TIMEOUT:-420}
WORK=$(mktemp -d "/tmp/$DEP_ID.XXXXXX")
[ "${TCSTEER_DEPLOY_KEEP:-0}" = 1 ] && note "work directory kept: $WORK" || at_exit rm -rf "$WORK"
HERE=$(cd "$(dirname "$0")" && pwd)

# The part every image shares.
stage_common() {
	local root=$1 applet
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,lib/tsdep}
	cp /bin/busybox "$root/bin/busybox"
	for applet in $(busybox --list-full); do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	copy_exec "$root" "$TCSTEER" /usr/sbin/tcsteer
	copy_exec "$root" "$(command -v ip)" /usr/bin/ip.iproute2
	mknod -m 600 "$root/dev/console" c 5 1
	cp "$HERE/initramfs/init" "$root/init"
	cp "$HERE/initramfs/lab.sh" "$HERE/initramfs/banner" "$root/lib/tsdep/"
	cp "$DEP_SRC/compose/topology.env" "$root/etc/topology.env"
	# The lab's own commands (attach eth0, routes for both VIPs via eth1).
	# shellcheck disable=SC1091
	(. "$DEP_SRC/compose/topology.env"; . "$DEP_SRC/compose/steer-commands.sh"
	 echo "# tcsteer's one-shot step: replies from the VIPs leave by eth1"
	 steer_commands fix eth0 eth1) >"$root/etc/tcsteer.conf"
}

# stage_modules ROOT KDIR: the modules, uncompressed, and their load order.
stage_modules() {
	local root=$1 kdir=$2 ver f out
	ver=$(kernel_version "$kdir")
	: >"$root/lib/tsdep/modules.order"
	for f in $(module_files "$kdir" sch_ingress cls_bpf veth); do
		[ "$f" = MISSING ] && { echo "module missing from $ver"; return 1; }
		out=${f%.xz}; out=${out%.zst}; out=${out%.gz}
		mkdir -p "$root/lib/modules/$(dirname "$out")"
		case $f in
		*.xz) xz -dc "$kdir/lib/modules/$ver/$f" >"$root/lib/modules/$out" ;;
		*.zst) zstd -qdc "$kdir/lib/modules/$ver/$f" >"$root/lib/modules/$out" ;;
		*.gz) gzip -dc "$kdir/lib/modules/$ver/$f" >"$root/lib/modules/$out" ;;
		*) cp "$kdir/lib/modules/$ver/$f" "$root/lib/modules/$out" ;;
		esac
		echo "$out" >>"$root/lib/tsdep/modules.order"
	done
}

# build_image KDIR OUT: the gzip'd newc cpio.
build_image() {
	local kdir=$1 out=$2 root
	root=$(mktemp -d "$WORK/root.XXXXXX")
	cp -a "$WORK/common/." "$root/"
	stage_modules "$root" "$kdir" || return 1
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -6 >"$out"
	rm -rf "$root"
}

# boot LABEL KDIR: QEMU, TCG, no NIC; the serial console into LABEL.log.
boot() {
	local label=$1 kdir=$2
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -m 512 -smp 1 \
		-kernel "$(ls "$kdir"/boot/vmlinuz-*)" -initrd "$WORK/$label.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet" -display none \
		-serial stdio -monitor none -nic none -no-reboot \
		</dev/null >"$WORK/$label.log" 2>"$WORK/$label.err"
}

# report LABEL: the VM's marker lines as this test's steps.
report() {
	local label=$1 line log=$WORK/$1.log
	tr -d '\r' <"$log" | grep -a '^TSDEP ' | sed 's/^TSDEP //' >"$WORK/$label.marks" || true
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "[$label] ${line#ok - }" ;;
		"not ok - "*) fail "[$label] ${line#not ok - }" ;;
		"# "*) note "[$label] ${line#\# }" ;;
		kernel*) note "[$label] booted $line" ;;
		esac
	done <"$WORK/$label.marks"
	if grep -qx "done" "$WORK/$label.marks"; then
		ok "[$label] the VM ran /init to the end"
	else
		fail "[$label] the VM did not finish (timeout ${BOOT_TIMEOUT}s or panic); console tail: $(tr -d '\r' <"$log" | tail -n 5 | tr '\n' '|')"
	fi
}

stage_common "$WORK/common"
declare -A KDIR=()
for label in "${KERNELS[@]}"; do
	if ! kdir=$(kernel_dir "$label"); then
		fail "[$label] fetch the kernel: $kdir"
		continue
	fi
	KDIR[$label]=$kdir
	if msg=$(build_image "$kdir" "$WORK/$label.cpio.gz"); then
		ok "[$label] initramfs for $(kernel_version "$kdir") ($(du -k "$WORK/$label.cpio.gz" | cut -f1) KiB)"
	else
		fail "[$label] initramfs: $msg"
		unset "KDIR[$label]"
	fi
done
[ ${#KDIR[@]} -gt 0 ] || { done_testing; exit; }

declare -A PID=()
running=0
for label in "${KERNELS[@]}"; do
	[ -n "${KDIR[$label]:-}" ] || continue
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	boot "$label" "${KDIR[$label]}" &
	PID[$label]=$!
	running=$((running + 1))
done
for label in "${KERNELS[@]}"; do
	[ -n "${PID[$label]:-}" ] || continue
	wait "${PID[$label]}" || true
	report "$label"
done
done_testing
