#!/usr/bin/env bash
# Limits (root): enormous objects, programs at the kernel's instruction
# limit, a full steering table. Each ends in success or in one clear line,
# in bounded time, and nothing grows quadratically.
# - a file over the 256 MiB cap is refused at once; a 64 MiB .data section
#   parses and the kernel's refusal of the map is named;
# - 1,000,000 instructions (the kernel's limit) load and run; one more is
#   refused with the count and the limit;
# - parsing 4x more map references, functions or calls costs about 4x the
#   time (--dry-run: parse only);
# - 1023 routes (every slot) go in with one batch in seconds; the next is
#   refused with "full"; show lists them all; del + add works at the limit.
. "$(dirname "$0")/../lib.sh"
need_root
ensure_bpffs

WORK=$(mktemp -d)
trap 'cleanup_netns; rm -rf "$WORK"' EXIT

two_hosts 10.84.0
quiet() { "$@" >/dev/null; }
now() { date +%s%N; }
ms_since() { echo $((($(now) - $1) / 1000000)); }

# mkobj.py KIND N OUT: a BPF object written from scratch.
#   straight  N instructions: r0 = 0 ... exit
#   maprefs   one legacy map, N ld_imm64 references to it (N relocations)
#   calls     a main program calling N global functions in .text
#   bigdata   pass-through program and an N-byte .data section
cat >"$WORK/mkobj.py" <<'EOF'
import struct, sys

kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
MOV_R0_0 = struct.pack("<BBhi", 0xB7, 0, 0, 0)
EXIT = struct.pack("<BBhi", 0x95, 0, 0, 0)


def ld_map(reg):  # ld_imm64 reg = map (both halves; the loader fills them)
    return struct.pack("<BBhi", 0x18, reg, 0, 0) + struct.pack("<BBhi", 0, 0, 0, 0)


def call(): return struct.pack("<BBhi", 0x85, 0x10, 0, -1)  # src_reg 1: BPF_PSEUDO_CALL


sections = []   # (name, type, flags, data, link, info, align, entsize)
strtab = bytearray(b"\0")
syms = [bytes(24)]
rels = []       # (section name, [(offset, sym, type)])


def name(s):
    off = len(strtab)
    strtab.extend(s.encode() + b"\0")
    return off


def sym(s, shndx, value, size, info):
    syms.append(struct.pack("<IBBHQQ", name(s), info, 0, shndx, value, size))
    return len(syms) - 1


FUNC_GLOBAL, OBJ_GLOBAL = 0x12, 0x11
code = bytearray()
if kind == "straight":
    code += MOV_R0_0 * (n - 1) + EXIT
    sections.append(("tc", 1, 6, bytes(code), 0, 0, 8, 0))
    sym("big", 1, 0, len(code), FUNC_GLOBAL)
elif kind == "maprefs":
    sections.append(("maps", 1, 3, struct.pack("<5I", 2, 4, 8, 1, 0), 0, 0, 4, 0))
    for i in range(n):
        code += ld_map(1)
    code += MOV_R0_0 + EXIT
    sections.append(("tc", 1, 6, bytes(code), 0, 0, 8, 0))
    m = sym("refmap", 1, 0, 20, OBJ_GLOBAL)
    sym("refs", 2, 0, len(code), FUNC_GLOBAL)
    rels.append(("tc", [(16 * i, m, 1) for i in range(n)]))
elif kind == "calls":
    main = bytearray()
    for i in range(n):
        main += call()
    main += MOV_R0_0 + EXIT
    text = (MOV_R0_0 + EXIT) * n
    sections.append(("tc", 1, 6, bytes(main), 0, 0, 8, 0))
    sections.append((".text", 1, 6, bytes(text), 0, 0, 8, 0))
    sym("caller", 1, 0, len(main), FUNC_GLOBAL)
    fs = [sym(f"f{i}", 2, 16 * i, 16, FUNC_GLOBAL) for i in range(n)]
    rels.append(("tc", [(8 * i, fs[i], 10) for i in range(n)]))
elif kind == "bigdata":
    sections.append(("tc", 1, 6, MOV_R0_0 + EXIT, 0, 0, 8, 0))
    sections.append((".data", 1, 3, bytes(n), 0, 0, 8, 0))
    sym("pass", 1, 0, 16, FUNC_GLOBAL)
    sym("blob", 2, 0, n, OBJ_GLOBAL)
sections.append(("license", 1, 3, b"GPL\0", 0, 0, 1, 0))

# Relocation sections, .strtab, .symtab (locals first: only the null one),
# .shstrtab; indexes are 1-based after the null section.
index = {s[0]: i + 1 for i, s in enumerate(sections)}
nsec = len(sections)
symtab_index = nsec + len(rels) + 2
for target, entries in rels:
    data = b"".join(struct.pack("<QQ", off, (s << 32) | t) for off, s, t in entries)
    sections.append((".rel" + target, 9, 0x40, data, symtab_index, index[target], 8, 16))
sections.append((".strtab", 3, 0, bytes(strtab), 0, 0, 1, 0))
sections.append((".symtab", 2, 0, b"".join(syms), symtab_index - 1, 1, 8, 24))
shstr = bytearray(b"\0")
names = []
for s in sections + [(".shstrtab",)]:
    names.append(len(shstr))
    shstr.extend(s[0].encode() + b"\0")
sections.append((".shstrtab", 3, 0, bytes(shstr), 0, 0, 1, 0))

body, offsets = bytearray(), []
for s in sections:
    body += bytes((-(64 + len(body))) % 8)
    offsets.append(64 + len(body))
    body += s[3]
body += bytes((-(64 + len(body))) % 8)
shoff = 64 + len(body)
ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
ehdr += struct.pack("<HHIQQQIHHHHHH", 1, 247, 1, 0, 0, shoff, 0, 64, 0, 0, 64,
                    len(sections) + 1, len(sections))
shdrs = bytes(64)
for s, off, nm in zip(sections, offsets, names):
    shdrs += struct.pack("<IIQQQQIIQQ", nm, s[1], s[2], 0, off, len(s[3]),
                         s[4], s[5], s[6], s[7])
with open(out, "wb") as f:
    f.write(ehdr + body + shdrs)
EOF
mkobj() { python3 "$WORK/mkobj.py" "$@"; }

# ---- enormous objects -------------------------------------------------------
truncate -s 300M "$WORK/huge.o"
start=$(now)
expect_error "a 300 MiB file" "huge.o: not a regular file of at most 256 MiB" \
	ts attach dev "$DEV" object "$WORK/huge.o"
check "refused in under a second ($(ms_since "$start") ms)" test "$(ms_since "$start")" -lt 1000

mkobj bigdata $((64 << 20)) "$WORK/bigdata.o"
start=$(now)
check "a 64 MiB .data object parses (dry run)" quiet ts --dry-run attach dev "$DEV" object "$WORK/bigdata.o"
# The kernel may take a 64 MiB map value or not: either way, one answer.
rc=0
out=$(ts attach dev "$DEV" object "$WORK/bigdata.o" 2>&1) || rc=$?
echo "# 64 MiB .data: exit $rc ${out:-(attached)}"
check "attached, or refused in one line naming the map" \
	test "$rc" = 0 -o "$(grep -c . <<<"$out")/$(grep -c 'map "\.data"' <<<"$out")" = 1/1
check "both in under 5 s ($(ms_since "$start") ms)" test "$(ms_since "$start")" -lt 5000

# ---- programs at the instruction limit --------------------------------------
mkobj straight 1000000 "$WORK/max.o"
start=$(now)
check "1,000,000 instructions load and attach" ts attach dev "$DEV" object "$WORK/max.o"
echo "# 1,000,000 instructions: $(ms_since "$start") ms to load and attach"
check "and the program runs" quiet in_ns "$H" ping -c 1 -W 1 10.84.0.2
mkobj straight 1000001 "$WORK/over.o"
expect_error "1,000,001 instructions" "1000001 instructions.*at most 1000000" \
	ts attach dev "$DEV" object "$WORK/over.o"
check "the 1,000,000-instruction program is still attached" \
	bash -c "nsenter --net=/run/netns/$H $TCSTEER show dev $DEV | grep -q 'prog big id .*\[tcsteer\]'"

# ---- no quadratic parsing ----------------------------------------------------
# parse_ms KIND N: milliseconds for a dry-run attach (parse, no load) of the
# object, the best of three.
parse_ms() {
	local best=999999 t i
	mkobj "$1" "$2" "$WORK/$1-$2.o"
	for i in 1 2 3; do
		t=$(now)
		ts --dry-run attach dev "$DEV" object "$WORK/$1-$2.o" >/dev/null
		t=$(ms_since "$t")
		[ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
linear() {
	local kind=$1 n=$2 small big
	small=$(parse_ms "$kind" "$n")
	big=$(parse_ms "$kind" $((4 * n)))
	echo "# $kind: $n in $small ms, $((4 * n)) in $big ms"
	# 4x the input may cost 4x the time; quadratic would be 16x. Small
	# times are mostly process start-up: give them a floor.
	check "$kind: 4x the input, at most ~6x the time ($small -> $big ms)" \
		test "$big" -le $((6 * (small > 20 ? small : 20)))
}
linear maprefs 50000
linear calls 10000
linear straight 250000

# ---- a full steering table ---------------------------------------------------
ts attach dev "$DEV"
FULL=1023 # STEER_MAX_ROUTES - 1: slot 0 counts the misses
python3 - "$FULL" "$DEV" >"$WORK/routes" <<'EOF'
import sys
n, dev = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"route add 172.{16 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}/32 via 10.84.0.2 dev {dev} table {dev}")
EOF
start=$(now)
check "$FULL routes in one batch" ts apply "$WORK/routes"
elapsed=$(ms_since "$start")
echo "# $FULL routes: $elapsed ms"
check "in under 30 s ($elapsed ms)" test "$elapsed" -lt 30000
expect_error "one more route" "steering table of $DEV is full \($FULL routes\)" \
	ts route add 192.0.2.1/32 via 10.84.0.2 dev "$DEV" table "$DEV"
start=$(now)
check "route show -s lists all $FULL" test "$(ts route show -s table "$DEV" | grep -c ' via ')" = "$FULL"
echo "# route show -s of $FULL routes: $(ms_since "$start") ms"
check "route del at the limit" ts route del 172.16.0.7/32 table "$DEV"
check "and a new route takes its slot" ts route add 192.0.2.1/32 via 10.84.0.2 dev "$DEV" table "$DEV"
expect_error "full again" "is full" ts route add 192.0.2.2/32 via 10.84.0.2 dev "$DEV" table "$DEV"
miss() { ts route show -s table "$DEV" | awk '$1 == "miss" { print $3 }'; }
before=$(miss)
in_ns "$H" ping -c 2 -i 0.05 -W 1 10.84.0.2 >/dev/null || true
check "the program runs with the full table (miss $before -> $(miss))" \
	test "$(miss)" -ge $((before + 2))

done_testing
