#!/usr/bin/env bash
# The install artefacts of deploy/, each exercised where this machine can:
#
#   .deb        built with CPack from the build tree, listed with
#               `dpkg-deb -c`, installed into a container of the lab's
#               Debian 12 base image (or a chroot of it) and run
#   systemd     tcsteer.service checked with `systemd-analyze verify`
#               (systemd is not PID 1 here: the unit is only verified)
#   initramfs-tools  the hook and the init-premount script, as the .deb
#               installs them, in an initramfs made by mkinitramfs against
#               an unpacked Debian kernel, listed with lsinitramfs
#   dracut      the module (module-setup.sh) in an image made by dracut
#               (dracut-core: it does not displace initramfs-tools),
#               listed with lsinitrd
#   Kubernetes  deploy/kubernetes/*.yaml against the fields they must have
#               (k8s_check.py, python3-yaml)
#   ExecStop    tcsteer-detach-all against two attachments in a namespace
#
# The .deb's files are put in place for mkinitramfs, dracut and
# systemd-analyze by read-only overlays on /usr and /etc in a private mount
# namespace: nothing is installed on this machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kernels.sh"
need_root
need_tcsteer
need_packages systemd initramfs-tools-core dracut-core python3-yaml dpkg-dev cpio kmod
BUILD=${TCSTEER_BUILD:-$(dirname "$TCSTEER")}
[ -f "$BUILD/CPackConfig.cmake" ] || skip "no CPackConfig.cmake in $BUILD (configure with cmake first)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip "no overlayfs (needed to stage the package's files)"
WORK=$(mktemp -d "/tmp/$DEP_ID.XXXXXX")
at_exit rm -rf "$WORK"

# --- the .deb -----------------------------------------------------------------
if out=$(cpack -G DEB -B "$WORK/deb" --config "$BUILD/CPackConfig.cmake" 2>&1); then
	DEB=$(ls "$WORK"/deb/tcsteer_*.deb)
	ok "cpack -G DEB: $(basename "$DEB")"
else
	fail "cpack -G DEB: $(tail -n 2 <<<"$out" | tr '\n' '|')"
	done_testing
	exit
fi
listing=$(dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|')
for f in /usr/sbin/tcsteer /usr/share/man/man8/tcsteer.8 \
	/usr/lib/systemd/system/tcsteer.service /usr/lib/tcsteer/tcsteer-detach-all \
	/usr/share/initramfs-tools/hooks/tcsteer \
	/usr/share/initramfs-tools/scripts/init-premount/tcsteer \
	/usr/lib/dracut/modules.d/90tcsteer/module-setup.sh \
	/usr/share/doc/tcsteer/examples/tcsteer.conf; do
	check "dpkg-deb -c: $f" grep -qx -- "$f" <<<"$listing"
done
deps=$(dpkg-deb -f "$DEB" Depends)
check "Depends: $deps (libc6, libmnl0)" grep -q 'libmnl0' <<<"$deps"

# --- the package in a Debian 12 container (or chroot) -------------------------
install_test='dpkg -i /pkg/'"$(basename "$DEB")"' >/dev/null && tcsteer --version &&
	test -x /usr/lib/tcsteer/tcsteer-detach-all && test -f /usr/lib/systemd/system/tcsteer.service'
if command -v dockerd >/dev/null && (docker_up) >/dev/null 2>&1; then
	docker_up
	base_image
	if out=$(docker run --rm -v "$WORK/deb:/pkg:ro" tcsteer-lab-base:bookworm sh -ec "$install_test" 2>&1); then
		ok "dpkg -i in a Debian 12 container, then tcsteer --version: $out"
	else
		fail "dpkg -i in a Debian 12 container: $out"
	fi
else
	need_packages debootstrap
	TCSTEER_BASE_CACHE=$DEP_CACHE "$DEP_SRC/compose/base-image.sh" --tarball-only >/dev/null 2>&1 || true
	if [ -s "$DEP_CACHE/bookworm-minbase.tar" ]; then
		mkdir "$WORK/chroot"
		tar -C "$WORK/chroot" -xf "$DEP_CACHE/bookworm-minbase.tar"
		mkdir -p "$WORK/chroot/pkg"
		cp "$DEB" "$WORK/chroot/pkg/"
		if out=$(chroot "$WORK/chroot" sh -ec "$install_test" 2>&1); then
			ok "dpkg -i in a Debian 12 chroot, then tcsteer --version: $out"
		else
			fail "dpkg -i in a Debian 12 chroot: $out"
		fi
	else
		fail "no Debian 12 container or chroot to install the package into"
	fi
fi

# --- the package's files in place: systemd, mkinitramfs, dracut ---------------
if ! kdir=$(kernel_dir 6.1); then
	fail "fetch a kernel for mkinitramfs and dracut: $kdir"
	done_testing
	exit
fi
KVER=$(kernel_version "$kdir")
mkdir -p "$WORK/stage/etc/tcsteer" "$WORK/stage/usr/lib/modules/$KVER" "$WORK/confdir"/{hooks,scripts,conf.d}
dpkg-deb -x "$DEB" "$WORK/stage"
cp "$DEP_SRC/deploy/tcsteer.conf.example" "$WORK/stage/etc/tcsteer/tcsteer.conf"
cat >"$WORK/confdir/initramfs.conf" <<EOF
MODULES=list
BUSYBOX=auto
COMPRESS=gzip
EOF
: >"$WORK/confdir/modules"

# in_place CMD: CMD in a private mount namespace where the package's files,
# the example configuration and the kernel (its modules, its /boot/config)
# are in /usr, /etc and /boot.
in_place() {
	unshare --mount --propagation private bash -ec '
		w=$1 kdir=$2 kver=$3; shift 3
		mount -t overlay overlay -o "lowerdir=$w/stage/usr:/usr" /usr
		mount -t overlay overlay -o "lowerdir=$w/stage/etc:/etc" /etc
		mount -t overlay overlay -o "lowerdir=$kdir/boot:/boot" /boot
		mount --bind "$kdir/lib/modules/$kver" "/usr/lib/modules/$kver"
		"$@"' _ "$WORK" "$kdir" "$KVER" "$@"
}

if out=$(in_place systemd-analyze verify /usr/lib/systemd/system/tcsteer.service 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify tcsteer.service: no complaint"
else
	fail "systemd-analyze verify tcsteer.service: $(tr '\n' '|' <<<"$out")"
fi
unit=$WORK/stage/usr/lib/systemd/system/tcsteer.service
for want in Type=oneshot RemainAfterExit=yes Before=network-pre.target Wants=network-pre.target \
	"ExecStart=/usr/sbin/tcsteer apply /etc/tcsteer/tcsteer.conf" \
	"ExecStop=/usr/lib/tcsteer/tcsteer-detach-all /etc/tcsteer/tcsteer.conf"; do
	check "tcsteer.service: $want" grep -qx -- "$want" "$unit"
done

# initramfs-tools
if out=$(in_place mkinitramfs -d "$WORK/confdir" -o "$WORK/initrd.img" "$KVER" 2>&1); then
	ok "mkinitramfs for $KVER with the package's hook"
	list=$(lsinitramfs "$WORK/initrd.img")
	for f in usr/sbin/tcsteer 'usr/lib/x86_64-linux-gnu/libmnl\.so\.0.*' etc/tcsteer/tcsteer.conf \
		scripts/init-premount/tcsteer "usr/lib/modules/$KVER/.*/sch_ingress\.ko.*" \
		"usr/lib/modules/$KVER/.*/cls_bpf\.ko.*"; do
		check "lsinitramfs: $f" grep -Eqx -- "$f" <<<"$list"
	done
	order=$(in_place sh -c "cd '$WORK' && rm -rf x && mkdir x && cd x && zcat ../initrd.img | cpio -id --quiet scripts/init-premount/ORDER && cat scripts/init-premount/ORDER" 2>/dev/null) || true
	check "init-premount/ORDER runs tcsteer" grep -q '/scripts/init-premount/tcsteer' <<<"$order"
	cmp_conf() { zcat "$WORK/initrd.img" | (cd "$WORK" && rm -rf y && mkdir y && cd y && cpio -id --quiet etc/tcsteer/tcsteer.conf) && cmp -s "$WORK/y/etc/tcsteer/tcsteer.conf" "$DEP_SRC/deploy/tcsteer.conf.example"; }
	check "the configuration in the image is /etc/tcsteer/tcsteer.conf" cmp_conf
else
	fail "mkinitramfs: $(tail -n 3 <<<"$out" | tr '\n' '|')"
fi

# dracut
if ! command -v dracut >/dev/null; then
	fail "dracut: not installed (dracut-core)"
elif out=$(in_place dracut --quiet --force --no-hostonly --no-early-microcode \
	--kver "$KVER" --kmoddir "/usr/lib/modules/$KVER" --modules "base tcsteer" \
	--compress gzip "$WORK/dracut.img" 2>&1); then
	ok "dracut for $KVER with the package's module (tcsteer)"
	list=$(lsinitrd "$WORK/dracut.img" 2>/dev/null | awk '{ print $NF }')
	for f in usr/sbin/tcsteer 'usr/lib/x86_64-linux-gnu/libmnl\.so\.0.*' etc/tcsteer/tcsteer.conf \
		'(usr/)?lib/dracut/hooks/pre-mount/05-tcsteer-apply\.sh' \
		"(usr/)?lib/modules/$KVER/.*/sch_ingress\.ko.*" "(usr/)?lib/modules/$KVER/.*/cls_bpf\.ko.*"; do
		check "lsinitrd: $f" grep -Eqx -- "$f" <<<"$list"
	done
else
	fail "dracut: $(tail -n 3 <<<"$out" | tr '\n' '|')"
fi

# --- Kubernetes ---------------------------------------------------------------
python3 "$(dirname "$0")/k8s_check.py" "$DEP_SRC/deploy/kubernetes" | grep -v '^k8s_check:' |
	while IFS= read -r line; do
		case $line in
		"ok - "*) echo "ok - kubernetes: ${line#ok - }" ;;
		*) echo "not ok - kubernetes: ${line#not ok - }" ;;
		esac
	done >"$WORK/k8s"
cat "$WORK/k8s"
DEP_PASSES=$((DEP_PASSES + $(grep -c '^ok' "$WORK/k8s" || true)))
DEP_FAILS=$((DEP_FAILS + $(grep -c '^not ok' "$WORK/k8s" || true)))

# --- ExecStop: tcsteer-detach-all ------------------------------------------------
NS="$DEP_ID-x"
ip netns add "$NS"
at_exit ip netns del "$NS"
at_exit 'rm -rf /sys/fs/bpf/tcsteer/'"$DEP_ID"'* 2>/dev/null'
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip -n "$NS" link add "$DEP_ID-a" type veth peer name "$DEP_ID-b"
ip -n "$NS" link set "$DEP_ID-a" up
ip -n "$NS" link set "$DEP_ID-b" up
cat >"$WORK/two.conf" <<EOF
# two devices, both hooks of one
attach dev $DEP_ID-a egress
attach dev $DEP_ID-a ingress
attach dev $DEP_ID-b
EOF
filters() { ip netns exec "$NS" tc filter show dev "$1" "$2" | grep -c 'tcsteer\|SchedCLS' || true; }
check "apply attaches three hooks" nsenter --net="/run/netns/$NS" "$TCSTEER" apply "$WORK/two.conf"
check "three filters" test "$(filters "$DEP_ID-a" egress)$(filters "$DEP_ID-a" ingress)$(filters "$DEP_ID-b" egress)" = 111
check "tcsteer-detach-all detaches them all" \
	nsenter --net="/run/netns/$NS" env TCSTEER="$TCSTEER" "$DEP_SRC/deploy/tcsteer-detach-all" "$WORK/two.conf"
check "no filter left" test "$(filters "$DEP_ID-a" egress)$(filters "$DEP_ID-a" ingress)$(filters "$DEP_ID-b" egress)" = 000
detach_all_quiet() { nsenter --net="/run/netns/$NS" env TCSTEER="$TCSTEER" "$DEP_SRC/deploy/tcsteer-detach-all" "$WORK/two.conf" 2>/dev/null; }
check_fails "a second run fails (nothing attached), trying every line" detach_all_quiet

done_testing
