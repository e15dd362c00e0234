#!/usr/bin/env bash
# Least privilege (root): tcsteer needs CAP_BPF and CAP_NET_ADMIN, nothing
# else, and says which one is missing.
# - uid 0 with only CAP_BPF + CAP_NET_ADMIN (setpriv shrinks the bounding
#   set, so nothing else is effective): attach, route add/show/del, show,
#   a second attach, detach and apply all work, and the filter steers;
# - with one of them or none: one line naming the missing capability, and
#   the filter attached before keeps running;
# - bpffs not mounted and no CAP_SYS_ADMIN to mount it: one line saying so;
# - nothing is setuid or world-writable after `cmake --install`; pins and
#   their directories are 0600/0700 even under umask 000; tcsteer writes
#   nowhere but bpffs.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

two_hosts 10.83.0

# caps LIST CMD...: run CMD in H as uid 0 with only the capabilities in
# LIST (",+bpf,+net_admin" style; "" for none).
caps() {
	local list=$1
	shift
	in_ns "$H" setpriv --bounding-set="-all$list" --inh-caps=-all --ambient-caps=-all -- "$@"
}
least() { caps ",+bpf,+net_admin" "$TCSTEER" "$@"; }
# has PATTERN CMD...: CMD succeeds and prints a line matching PATTERN.
has() {
	local pattern=$1 out
	shift
	out=$("$@") && grep -q -- "$pattern" <<<"$out"
}
ours() { ts show dev "$DEV" | awk '/\[tcsteer\]/ { for (i = 1; i < NF; i++) if ($i == "id") print $(i + 1) }'; }
miss() { ts route show -s table "$DEV" | awk '$1 == "miss" { print $3 }'; }
# runs DESC: the tcsteer filter is there and real packets go through it.
runs() {
	local before after
	before=$(miss)
	in_ns "$H" ping -c 2 -i 0.05 -W 1 10.83.0.2 >/dev/null || true
	after=$(miss)
	if [ -n "$(ours)" ] && [ "$after" -ge $((before + 2)) ]; then
		ok "$1: the filter runs (miss $before -> $after)"
	else
		fail "$1: the filter does not run (id '$(ours)', miss $before -> $after)"
	fi
}

# ---- only CAP_BPF + CAP_NET_ADMIN ------------------------------------------
# CAP_NET_ADMIN is bit 12, CAP_BPF bit 39.
check "the effective set is exactly CAP_BPF + CAP_NET_ADMIN" \
	has '^CapEff:[[:space:]]*0000008000001000$' caps ",+bpf,+net_admin" cat /proc/self/status
check "attach" least attach dev "$DEV"
first=$(ours)
check "route add" least route add 10.83.0.1/32 via 10.83.0.2 dev "$DEV" table "$DEV"
check "route show -s" has '^10.83.0.1/32 via 10.83.0.2' least route show -s table "$DEV"
check "show" has '\[tcsteer\]' least show dev "$DEV"
check "route del" least route del 10.83.0.1/32 table "$DEV"
runs "attached with the least privilege"
check "attach again" least attach dev "$DEV"
# (the old program is read through its record pin: by id would need
# CAP_SYS_ADMIN)
check "attaching the same program again is a no-op (id $first)" test "$(ours)" = "$first"
check "attach another program" least attach dev "$DEV" object "$TCSTEER_PROGS/pass.o"
printf 'route add 10.83.0.7/32 via 10.83.0.2 dev %s table %s\nattach dev %s\n' \
	"$DEV" "$DEV" "$DEV" >"$WORK/batch"
check "apply a batch" least apply "$WORK/batch"
runs "after the least-privilege batch"
check "detach" least detach dev "$DEV"
check "no tcsteer filter left" test -z "$(ours)"
ts attach dev "$DEV"

# ---- missing capabilities ----------------------------------------------------
expect_error "attach without any capability" "CAP_BPF" \
	caps "" "$TCSTEER" attach dev "$DEV" object "$TCSTEER_PROGS/pass.o"
expect_error "attach without CAP_NET_ADMIN" "CAP_NET_ADMIN" \
	caps ",+bpf" "$TCSTEER" attach dev "$DEV" object "$TCSTEER_PROGS/pass.o"
expect_error "attach without CAP_BPF" "CAP_BPF" \
	caps ",+net_admin" "$TCSTEER" attach dev "$DEV" object "$TCSTEER_PROGS/pass.o"
expect_error "detach without CAP_NET_ADMIN" "CAP_NET_ADMIN" \
	caps ",+bpf" "$TCSTEER" detach dev "$DEV"
expect_error "route add to a new table without CAP_BPF" "CAP_BPF" \
	caps ",+net_admin" "$TCSTEER" route add 10.83.0.9/32 via 10.83.0.2 dev "$DEV" table "${T_ID}x"
expect_error "an unprivileged user" "Permission denied|privilege|CAP_" \
	in_ns "$H" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--ambient-caps=-all --bounding-set=-all -- "$TCSTEER" attach dev "$DEV"
runs "after the refused commands"

# ---- bpffs not mounted, no CAP_SYS_ADMIN to mount it -------------------------
out=$(unshare --mount --propagation private bash -c '
	while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
	nsenter --net="/run/netns/$1" setpriv --bounding-set=-all,+bpf,+net_admin \
		--inh-caps=-all --ambient-caps=-all -- "$2" attach dev "$3"' \
	_ "$H" "$TCSTEER" "$DEV" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 1 ] && [ "$(grep -c . <<<"$out")" = 1 ] &&
	grep -q "^tcsteer: cannot mount bpffs on /sys/fs/bpf: .*CAP_SYS_ADMIN" <<<"$out"; then
	ok "bpffs missing, cannot mount: $out"
else
	fail "bpffs missing, cannot mount: exit $rc: $out"
fi
runs "after the bpffs failure"

# ---- no setuid, nothing world-writable ---------------------------------------
DEST=$WORK/install
DESTDIR=$DEST cmake --install "$TCSTEER_BUILD" --prefix /usr >/dev/null
check "install put tcsteer in sbin" test -x "$DEST/usr/sbin/tcsteer"
check "nothing installed is setuid or setgid" test -z "$(find "$DEST" -perm /6000)"
check "nothing installed is world-writable" test -z "$(find "$DEST" ! -type l -perm -o+w)"
check "the binary is not setuid" test -z "$(find "$TCSTEER" -perm /6000)"

# ---- pin modes, even with umask 000; writes only to bpffs ---------------------
# A fresh bpffs: a mount namespace without one and a PID namespace, so that
# no ancestor's bpffs is borrowed (state/root.h).
out=$(unshare --mount --propagation private --pid --fork --mount-proc bash -c '
	while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf; done
	umask 000
	nsenter --net="/run/netns/$1" strace -f -qq -o "$4/trace" \
		-e trace=openat,open,creat,mkdir,mkdirat,rename,renameat,renameat2,unlink,unlinkat,bpf,mount \
		-e signal=none -s 256 \
		env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$2" attach dev "$3" >&2 &&
	nsenter --net="/run/netns/$1" "$2" route add 10.83.0.5/32 via 10.83.0.2 dev "$3" table "$3" >&2 &&
	find /sys/fs/bpf/tcsteer -exec stat -c "%a %F %n" {} + &&
	stat -c "%a %F %n" /sys/fs/bpf' \
	_ "$H" "$TCSTEER" "$DEV" "$WORK") && rc=0 || rc=$?
echo "$out" | sed 's/^/# /'
check "attach and route add in a fresh bpffs under umask 000" test "$rc" = 0
# (bpffs keeps the sticky bit on its root: 1700)
check "every directory is 0700" test -z "$(awk '$2 == "directory" && $1 % 1000 != 700' <<<"$out")"
check "every pin is 0600" test -z "$(awk '$2 != "directory" && $1 != "600"' <<<"$out")"
check "there are pins" test "$(awk '$2 != "directory"' <<<"$out" | wc -l)" -ge 4
# Paths opened for writing, created, renamed or removed, and pin paths.
writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|^[0-9]+ +(creat|mkdir|mkdirat|rename|renameat2?|unlink|unlinkat)\(|BPF_OBJ_PIN' "$WORK/trace" |
	grep -oE '"/[^"]*"' | tr -d '"' | sort -u)
echo "$writes" | sed 's/^/# written: /'
check "tcsteer writes only under /sys/fs/bpf" test -z "$(grep -v '^/sys/fs/bpf\(/\|$\)' <<<"$writes")"

done_testing
