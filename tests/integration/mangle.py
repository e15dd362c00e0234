#!/usr/bin/env python3
"""Write a damaged copy of a BPF ELF object: mangle.py MUTATION IN OUT.

Each mutation breaks one thing the loader must check, so that the tests can
see that tcsteer names the cause and keeps the attached filter."""
import struct
import sys


def sections(b):
    shoff, = struct.unpack_from("<Q", b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)
    out = []
    for i in range(shnum):
        off = shoff + i * shentsize
        name, typ, flags, addr, offset, size, link, info, align, entsize = \
            struct.unpack_from("<IIQQQQIIQQ", b, off)
        out.append(dict(index=i, hdr=off, name=name, type=typ, offset=offset,
                        size=size, link=link, info=info, entsize=entsize))
    return out


def first(b, typ):
    return next(s for s in sections(b) if s["type"] == typ)


SHT_SYMTAB, SHT_REL = 2, 9


def mutate(kind, b):
    if kind == "empty":
        return b""
    if kind == "truncated":
        return b[:100]
    if kind == "half":
        return b[: len(b) // 2]
    if kind == "notelf":
        return b"this is not an ELF object\n" * 8
    if kind == "elf32":
        b[4] = 1
    elif kind == "bigendian":
        b[5] = 2
    elif kind == "machine":
        struct.pack_into("<H", b, 0x12, 62)  # EM_X86_64
    elif kind == "shoff":
        struct.pack_into("<Q", b, 0x28, 0xFFFFFFFFFFFF0000)
    elif kind == "secoff":
        s = first(b, SHT_SYMTAB)
        struct.pack_into("<Q", b, s["hdr"] + 0x18, len(b) + 4096)
    elif kind == "strtab_nul":
        strtab = sections(b)[first(b, SHT_SYMTAB)["link"]]
        end = strtab["offset"] + strtab["size"] - 1
        b[end] = ord("A")
    elif kind == "badreloc":
        rel = first(b, SHT_REL)
        off, info = struct.unpack_from("<QQ", b, rel["offset"])
        struct.pack_into("<QQ", b, rel["offset"], off, (0xFFFF << 32) | (info & 0xFFFFFFFF))
    elif kind == "relpast":
        rel = first(b, SHT_REL)
        off, info = struct.unpack_from("<QQ", b, rel["offset"])
        struct.pack_into("<QQ", b, rel["offset"], 0x7FFFFFF0, info)
    else:
        sys.exit(f"unknown mutation {kind}")
    return b


kind, src, dst = sys.argv[1:4]
data = bytearray(open(src, "rb").read())
open(dst, "wb").write(bytes(mutate(kind, data)))
