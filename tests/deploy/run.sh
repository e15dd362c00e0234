#!/usr/bin/env bash
# tests/deploy/run.sh [PART...]: the deployment tests (`./dev.sh
# deploy-test` runs this), each part one script of this directory:
#
#   initramfs   QEMU boots of a minimal initramfs on 5.10, 6.1 and 6.12
#   containers  FROM scratch one-shot containers, host network and pod-style
#   compose     the compose lab on docker-compose 1.29, as its README says
#   artefacts   systemd unit, initramfs-tools hook, dracut module,
#               Kubernetes manifests, the .deb
#
# Default: all, in this order. Starts dockerd once for the parts that need
# it (if it is not running) and stops it at the end. Prints each part's
# steps, its time, and a closing line of all steps; exit 1 if a part
# failed, 77 if every part was skipped, else 0.
. "$(dirname "$0")/lib.sh"
need_root
HERE=$(cd "$(dirname "$0")" && pwd)
ALL=(initramfs containers compose artefacts)
PARTS=("$@")
[ ${#PARTS[@]} -gt 0 ] || PARTS=("${ALL[@]}")
for p in "${PARTS[@]}"; do
	[[ " ${ALL[*]} " == *" $p "* ]] || { echo "deploy-test: unknown part '$p' (${ALL[*]})" >&2; exit 2; }
done

# What the parts install (each also checks its own): one apt run for all.
declare -A PKGS=(
	[initramfs]="qemu-system-x86 busybox-static kmod xz-utils zstd"
	[containers]="docker.io debootstrap socat"
	[compose]="docker.io docker-compose debootstrap"
	[artefacts]="systemd initramfs-tools-core dracut-core python3-yaml dpkg-dev cpio kmod docker.io debootstrap"
)
want=()
for p in "${PARTS[@]}"; do
	read -r -a more <<<"${PKGS[$p]}"
	want+=("${more[@]}")
done
need_packages $(printf '%s\n' "${want[@]}" | sort -u)
for p in "${PARTS[@]}"; do
	case $p in containers|compose|artefacts) docker_up; break ;; esac
done

passed=0 failed=0 bad=() skipped=() ran=0
t_all=$SECONDS
for p in "${PARTS[@]}"; do
	echo "== deploy-test $p"
	t0=$SECONDS
	rc=0
	bash "$HERE/$p.sh" 2>&1 | tee "$DEP_CACHE/last-$p.log" || rc=${PIPESTATUS[0]}
	line=$(grep -E "^$p: [0-9]+ passed, [0-9]+ failed$" "$DEP_CACHE/last-$p.log" | tail -n1 || true)
	if [ -n "$line" ]; then
		read -r _ np _ nf _ <<<"$line"
		passed=$((passed + np))
		failed=$((failed + ${nf%,}))
	fi
	case $rc in
	0) ran=$((ran + 1)) ;;
	77) skipped+=("$p") ;;
	*) ran=$((ran + 1)); bad+=("$p"); [ -n "$line" ] || failed=$((failed + 1)) ;;
	esac
	echo "== deploy-test $p: exit $rc, $((SECONDS - t0)) s"
done
echo "== deploy-test: ${#PARTS[@]} parts in $((SECONDS - t_all)) s${bad:+; failed: ${bad[*]}}${skipped:+; skipped: ${skipped[*]}}"
echo "deploy-test: $passed passed, $failed failed, ${#skipped[@]} skipped"
[ ${#bad[@]} -eq 0 ] || exit 1
[ "$ran" -gt 0 ] || exit 77
exit 0
