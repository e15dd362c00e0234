#!/usr/bin/env python3
"""Write the malformed-object corpus: malformed.py OUTDIR EXPECT OBJECT...

Every mutation breaks one thing in a copy of a good object, at one place:
each ELF header field out of range, each kind of section header field out
of range, overlapping sections, huge counts, symbol and string indices out
of range, relocations past the end or naming missing symbols, BTF headers
out of range and BTF type references that loop. (Truncation at every offset
is done by the replay driver itself: replay --truncate.)

File names say what is expected:
  bad-<object>-<mutation>  must be refused (with a one-line error),
  any-<object>-<mutation>  may be accepted or refused, must not crash.
EXPECT (a file) lists, for some bad- files, a pattern the error must match
(replay --expect EXPECT checks them)."""
import os
import struct
import sys

EHDR = {  # field: (offset, struct format)
    "e_type": (0x10, "<H"), "e_machine": (0x12, "<H"), "e_version": (0x14, "<I"),
    "e_entry": (0x18, "<Q"), "e_phoff": (0x20, "<Q"), "e_shoff": (0x28, "<Q"),
    "e_flags": (0x30, "<I"), "e_ehsize": (0x34, "<H"), "e_phentsize": (0x36, "<H"),
    "e_phnum": (0x38, "<H"), "e_shentsize": (0x3A, "<H"), "e_shnum": (0x3C, "<H"),
    "e_shstrndx": (0x3E, "<H"),
}
SHDR = {
    "sh_name": (0x00, "<I"), "sh_type": (0x04, "<I"), "sh_flags": (0x08, "<Q"),
    "sh_offset": (0x18, "<Q"), "sh_size": (0x20, "<Q"), "sh_link": (0x28, "<I"),
    "sh_info": (0x2C, "<I"), "sh_entsize": (0x38, "<Q"),
}
SYM = {"st_name": (0, "<I"), "st_info": (4, "<B"), "st_shndx": (6, "<H"),
       "st_value": (8, "<Q"), "st_size": (16, "<Q")}
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_NOBITS, SHT_REL = 1, 2, 3, 8, 9
SHF_COMPRESSED = 1 << 11
STT_FUNC = 2
BTF_KIND_PTR, BTF_KIND_ARRAY, BTF_KIND_STRUCT, BTF_KIND_UNION = 2, 3, 4, 5
BTF_KIND_ENUM, BTF_KIND_FWD, BTF_KIND_TYPEDEF = 6, 7, 8
BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT = 9, 10, 11
BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_VAR, BTF_KIND_DATASEC = 12, 13, 14, 15
U64_MAX = (1 << 64) - 1


class Obj:
    """A parsed view of a little-endian ELF64 file (read once, then each
    mutation works on a fresh bytearray copy)."""

    def __init__(self, data):
        self.data = bytes(data)
        self.shoff, = struct.unpack_from("<Q", data, 0x28)
        self.shnum, = struct.unpack_from("<H", data, 0x3C)
        self.shstrndx, = struct.unpack_from("<H", data, 0x3E)
        self.secs = []
        for i in range(self.shnum):
            hdr = self.shoff + i * 64
            name, typ, flags, _, off, size, link, info, _, ent = \
                struct.unpack_from("<IIQQQQIIQQ", data, hdr)
            self.secs.append(dict(index=i, hdr=hdr, name_off=name, type=typ,
                                  flags=flags, offset=off, size=size,
                                  link=link, info=info, entsize=ent))
        names = self.secs[self.shstrndx]
        for s in self.secs:
            start = names["offset"] + s["name_off"]
            s["name"] = data[start:data.index(b"\0", start)].decode()

    def by_type(self, typ):
        return [s for s in self.secs if s["type"] == typ]

    def by_name(self, name):
        return next((s for s in self.secs if s["name"] == name), None)

    def symtab(self):
        return next(iter(self.by_type(SHT_SYMTAB)), None)

    def symbols(self):
        st = self.symtab()
        out = []
        for i in range(st["size"] // 24):
            off = st["offset"] + i * 24
            name, info, _, shndx, value, size = struct.unpack_from("<IBBHQQ", self.data, off)
            out.append(dict(index=i, at=off, name=name, type=info & 0xF,
                            shndx=shndx, value=value, size=size))
        return out

    def btf_types(self):
        """(id, offset in file, kind, vlen, record size) of every BTF type."""
        sec = self.by_name(".BTF")
        if not sec:
            return None, []
        base = sec["offset"]
        _, _, _, hdr_len, type_off, type_len, _, _ = struct.unpack_from("<HBBIIIII", self.data, base)
        at = base + hdr_len + type_off
        end = at + type_len
        out, tid = [], 1
        while at < end:
            _, info, _ = struct.unpack_from("<III", self.data, at)
            kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
            size = 12 + {1: 4, BTF_KIND_ARRAY: 12, BTF_KIND_STRUCT: 12 * vlen,
                         BTF_KIND_UNION: 12 * vlen, BTF_KIND_ENUM: 8 * vlen,
                         BTF_KIND_FUNC_PROTO: 8 * vlen, BTF_KIND_VAR: 4,
                         BTF_KIND_DATASEC: 12 * vlen, 17: 4, 18: 4,
                         19: 12 * vlen}.get(kind, 0)
            out.append(dict(id=tid, at=at, kind=kind, vlen=vlen, size=size))
            at += size
            tid += 1
        return sec, out


def put(b, at, fmt, value):
    struct.pack_into(fmt, b, at, value & ((1 << (8 * struct.calcsize(fmt))) - 1))


class Corpus:
    def __init__(self, outdir):
        self.outdir = outdir
        self.count = 0
        self.expect = []

    def write(self, kind, objname, what, data, pattern=None):
        name = f"{kind}-{objname}-{what}"
        with open(os.path.join(self.outdir, name), "wb") as f:
            f.write(data)
        self.count += 1
        if pattern and kind == "bad":
            self.expect.append((name, pattern))


def header_mutations(o, emit):
    n = len(o.data)
    cases = [
        # (kind, name, field-or-callable, value, pattern)
        ("bad", "magic", lambda b: b.__setitem__(1, ord("X")), None, "not an ELF"),
        ("bad", "class0", lambda b: b.__setitem__(4, 0), None, "class"),
        ("bad", "class32", lambda b: b.__setitem__(4, 1), None, "class|32"),
        ("bad", "class3", lambda b: b.__setitem__(4, 3), None, "class"),
        ("bad", "data0", lambda b: b.__setitem__(5, 0), None, "encoding|endian"),
        ("bad", "bigendian", lambda b: b.__setitem__(5, 2), None, "endian"),
        ("bad", "data3", lambda b: b.__setitem__(5, 3), None, "encoding|endian"),
        ("bad", "identversion", lambda b: b.__setitem__(6, 2), None, "version"),
        ("bad", "type-none", "e_type", 0, "ET_REL"),
        ("bad", "type-exec", "e_type", 2, "ET_REL"),
        ("bad", "type-dyn", "e_type", 3, "ET_REL"),
        ("bad", "type-huge", "e_type", 0xFFFF, "ET_REL"),
        ("bad", "machine-x86", "e_machine", 62, "EM_BPF"),
        ("bad", "machine-0", "e_machine", 0, "EM_BPF"),
        ("bad", "version0", "e_version", 0, "version"),
        ("bad", "version-huge", "e_version", 0xFFFFFFFF, "version"),
        ("bad", "ehsize0", "e_ehsize", 0, "e_ehsize"),
        ("bad", "ehsize-huge", "e_ehsize", 0xFFFF, "e_ehsize"),
        ("bad", "shentsize0", "e_shentsize", 0, "e_shentsize"),
        ("bad", "shentsize32", "e_shentsize", 32, "e_shentsize"),
        ("bad", "shentsize-huge", "e_shentsize", 0xFFFF, "e_shentsize"),
        ("bad", "shoff0", "e_shoff", 0, "section header"),
        ("bad", "shoff-len", "e_shoff", n, "section header table"),
        ("bad", "shoff-past", "e_shoff", n + 4096, "section header table"),
        ("bad", "shoff-wrap", "e_shoff", U64_MAX - 63, "section header table"),
        ("bad", "shoff-max", "e_shoff", U64_MAX, "section header table"),
        ("bad", "shoff-tail", "e_shoff", n - 64, "section header table"),
        ("any", "shoff-plus8", "e_shoff", o.shoff + 8, None),
        ("any", "shoff-minus64", "e_shoff", o.shoff - 64, None),
        ("bad", "shnum-plus1", "e_shnum", o.shnum + 1, "section header table"),
        ("bad", "shnum-max", "e_shnum", 0xFFFF, "section header table"),
        ("bad", "shnum0", "e_shnum", 0, "no sections"),
        ("any", "shnum-minus1", "e_shnum", o.shnum - 1, None),
        ("bad", "shstrndx-shnum", "e_shstrndx", o.shnum, "out of range"),
        ("bad", "shstrndx-huge", "e_shstrndx", 0xFEFF, "out of range"),
        ("bad", "shstrndx0", "e_shstrndx", 0, "name table"),
        ("bad", "shstrndx-xindex", "e_shstrndx", 0xFFFF, None),
        ("bad", "shstrndx-symtab", "e_shstrndx", o.symtab()["index"], "string table"),
        # Fields a relocatable object does not use: ignored, never a crash.
        ("any", "phoff", "e_phoff", U64_MAX, None),
        ("any", "phnum", "e_phnum", 0xFFFF, None),
        ("any", "phentsize", "e_phentsize", 0xFFFF, None),
        ("any", "entry", "e_entry", U64_MAX, None),
        ("any", "flags", "e_flags", 0xFFFFFFFF, None),
        ("any", "osabi", lambda b: b.__setitem__(7, 0xFF), None, None),
    ]
    for kind, what, field, value, pattern in cases:
        b = bytearray(o.data)
        if callable(field):
            field(b)
        else:
            put(b, EHDR[field][0], EHDR[field][1], value)
        emit(kind, "ehdr-" + what, b, pattern)


def set_shdr(o, sec, field, value):
    b = bytearray(o.data)
    off, fmt = SHDR[field]
    put(b, sec["hdr"] + off, fmt, value)
    return b


def section_mutations(o, emit):
    n = len(o.data)
    names = o.secs[o.shstrndx]
    st = o.symtab()
    targets = [s for s in o.secs[1:] if s["type"] in (SHT_SYMTAB, SHT_STRTAB, SHT_REL)
               or s["name"] in (".BTF", "license", "maps", ".maps", ".data", ".rodata")
               or s["flags"] & 0x4]  # SHF_EXECINSTR: programs and .text
    for s in targets:
        tag = f"sec{s['index']}"
        has_data = s["type"] != SHT_NOBITS and s["size"] > 0
        essential = s["type"] in (SHT_SYMTAB, SHT_STRTAB, SHT_REL) or \
            s["index"] == o.shstrndx
        # Names outside the section name table.
        emit("bad", f"{tag}-name-past", set_shdr(o, s, "sh_name", names["size"]), "outside|name")
        emit("bad", f"{tag}-name-huge", set_shdr(o, s, "sh_name", 0xFFFFFFFF), "outside|name")
        emit("any", f"{tag}-name-empty", set_shdr(o, s, "sh_name", names["size"] - 1), None)
        if has_data:
            emit("bad", f"{tag}-offset-past", set_shdr(o, s, "sh_offset", n + 8), "outside")
            emit("bad", f"{tag}-offset-wrap", set_shdr(o, s, "sh_offset", U64_MAX - 7), "outside")
            emit("bad", f"{tag}-size-huge", set_shdr(o, s, "sh_size", 1 << 62), "outside")
            emit("bad", f"{tag}-size-max", set_shdr(o, s, "sh_size", U64_MAX), "outside")
            emit("bad", f"{tag}-size-file", set_shdr(o, s, "sh_size", n), "outside")
            emit("any", f"{tag}-size-plus1", set_shdr(o, s, "sh_size", s["size"] + 1), None)
            emit("any", f"{tag}-size-minus1", set_shdr(o, s, "sh_size", s["size"] - 1), None)
            emit("any", f"{tag}-size0", set_shdr(o, s, "sh_size", 0), None)
            emit("any", f"{tag}-nobits", set_shdr(o, s, "sh_type", SHT_NOBITS), None)
            # Overlaps: this section's bytes are another one's.
            other = st if s is not st else o.secs[st["link"]]
            emit("any", f"{tag}-overlap-{other['index']}",
                 set_shdr(o, s, "sh_offset", other["offset"]), None)
            emit("any", f"{tag}-overlap-shdrs", set_shdr(o, s, "sh_offset", o.shoff), None)
            emit("any", f"{tag}-overlap-ehdr", set_shdr(o, s, "sh_offset", 0), None)
        emit("any", f"{tag}-type-unknown", set_shdr(o, s, "sh_type", 0x6FFFFFF0), None)
        flags = s["flags"] | SHF_COMPRESSED
        emit("bad" if essential else "any", f"{tag}-compressed",
             set_shdr(o, s, "sh_flags", flags), None)
        if s["type"] in (SHT_SYMTAB, SHT_REL):
            emit("bad", f"{tag}-link-past", set_shdr(o, s, "sh_link", o.shnum), "out of range|symbol table")
            emit("bad", f"{tag}-link-huge", set_shdr(o, s, "sh_link", 0xFFFFFFFF), "out of range|symbol table")
            emit("bad", f"{tag}-entsize0", set_shdr(o, s, "sh_entsize", 0), "entry size")
            emit("bad", f"{tag}-entsize-huge", set_shdr(o, s, "sh_entsize", U64_MAX), "entry size")
            emit("bad", f"{tag}-size-odd", set_shdr(o, s, "sh_size", s["size"] + 3), "multiple|outside")
        if s["type"] == SHT_SYMTAB:
            emit("bad", f"{tag}-link-self", set_shdr(o, s, "sh_link", s["index"]), "string table")
            emit("bad", f"{tag}-link-null", set_shdr(o, s, "sh_link", 0), "string table")
        if s["type"] == SHT_REL:
            emit("bad", f"{tag}-info-past", set_shdr(o, s, "sh_info", o.shnum), "out of range")
            emit("bad", f"{tag}-info-huge", set_shdr(o, s, "sh_info", 0xFFFFFFFF), "out of range")
            emit("bad", f"{tag}-info0", set_shdr(o, s, "sh_info", 0), "out of range")
            emit("any", f"{tag}-info-self", set_shdr(o, s, "sh_info", s["index"]), None)
            emit("any", f"{tag}-info-symtab", set_shdr(o, s, "sh_info", st["index"]), None)
            emit("bad", f"{tag}-count-huge", set_shdr(o, s, "sh_size", 16 << 40), "outside")
        if s["type"] == SHT_STRTAB and s["size"]:
            b = bytearray(o.data)
            b[s["offset"] + s["size"] - 1] = ord("A")
            emit("bad", f"{tag}-no-nul", b, "NUL")


def symbol_mutations(o, emit):
    st = o.symtab()
    strtab = o.secs[st["link"]]
    syms = o.symbols()
    funcs = [s for s in syms if s["type"] == STT_FUNC]
    picks = {"first": syms[1]} if len(syms) > 1 else {}
    if funcs:
        picks["func"] = funcs[0]
        picks["lastfunc"] = funcs[-1]
    for tag, s in picks.items():
        def sym(field, value):
            b = bytearray(o.data)
            put(b, s["at"] + SYM[field][0], SYM[field][1], value)
            return b
        emit("bad", f"sym-{tag}-name-past", sym("st_name", strtab["size"]), "outside|name")
        emit("bad", f"sym-{tag}-name-huge", sym("st_name", 0xFFFFFFFF), "outside|name")
        emit("bad", f"sym-{tag}-shndx-past", sym("st_shndx", o.shnum + 5), "out of range")
        emit("bad", f"sym-{tag}-shndx-xindex", sym("st_shndx", 0xFFFF), "SHN_XINDEX|extended")
        emit("bad", f"sym-{tag}-shndx-reserved", sym("st_shndx", 0xFF05), "reserved")
        emit("any", f"sym-{tag}-shndx-abs", sym("st_shndx", 0xFFF1), None)
        emit("any", f"sym-{tag}-value-huge", sym("st_value", U64_MAX - 7), None)
        emit("any", f"sym-{tag}-value-odd", sym("st_value", s["value"] + 3), None)
        emit("any", f"sym-{tag}-size-huge", sym("st_size", U64_MAX), None)
        emit("any", f"sym-{tag}-type-object", sym("st_info", (s["type"] & 0xF0) | 1), None)
    b = bytearray(o.data)
    put(b, st["hdr"] + SHDR["sh_size"][0], "<Q", 1 << 40)
    emit("bad", "sym-count-huge", b, "outside")


def reloc_mutations(o, emit):
    nsyms = o.symtab()["size"] // 24
    debug_done = False
    for rel in o.by_type(SHT_REL):
        if not rel["size"]:
            continue
        target = o.secs[rel["info"]]
        # The loader never reads debug info, but elf_open checks every
        # relocation section: one .debug_* section per object is enough.
        if target["name"].startswith(".debug"):
            if debug_done:
                continue
            debug_done = True
        is_code = bool(target["flags"] & 0x4)
        tag = f"rel{rel['index']}"
        first = rel["offset"]
        last = rel["offset"] + rel["size"] - 16
        r_off, r_info = struct.unpack_from("<QQ", o.data, first)

        def rel_at(at, offset=None, sym=None, typ=None):
            b = bytearray(o.data)
            off0, info0 = struct.unpack_from("<QQ", o.data, at)
            off = off0 if offset is None else offset
            s = info0 >> 32 if sym is None else sym
            t = info0 & 0xFFFFFFFF if typ is None else typ
            struct.pack_into("<QQ", b, at, off & U64_MAX, (s << 32) | t)
            return b
        size = target["size"]
        emit("bad", f"{tag}-offset-size", rel_at(first, offset=size), "outside|offset")
        if is_code and r_info & 0xFFFFFFFF == 1:
            # A ld_imm64 is 16 bytes: its second half would be missing.
            emit("bad", f"{tag}-offset-last8", rel_at(first, offset=size - 8),
                 "outside|offset")
        else:
            emit("any", f"{tag}-offset-last8", rel_at(first, offset=size - 8), None)
        emit("bad", f"{tag}-offset-huge", rel_at(first, offset=1 << 63), "outside|offset")
        emit("bad", f"{tag}-offset-max", rel_at(first, offset=U64_MAX), "outside|offset")
        emit("bad", f"{tag}-lastentry-offset-past", rel_at(last, offset=size + 64), "outside|offset")
        emit("any", f"{tag}-offset-odd", rel_at(first, offset=r_off + 4), None)
        emit("any", f"{tag}-offset-other", rel_at(first, offset=0), None)
        emit("bad", f"{tag}-sym-past", rel_at(first, sym=nsyms), "symbol index")
        emit("bad", f"{tag}-sym-huge", rel_at(first, sym=0xFFFFFFFF), "symbol index")
        emit("any", f"{tag}-sym0", rel_at(first, sym=0), None)
        emit("any", f"{tag}-type-unknown", rel_at(first, typ=0xEE), None)
        emit("any", f"{tag}-type-none", rel_at(first, typ=0), None)
        emit("any", f"{tag}-type-call", rel_at(first, typ=10), None)
        emit("any", f"{tag}-type-abs64", rel_at(first, typ=2), None)
        for i, s in enumerate(o.symbols()[1:6], 1):
            emit("any", f"{tag}-sym{i}", rel_at(first, sym=i), None)


def btf_mutations(o, emit, needs_btf):
    sec, types = o.btf_types()
    if not sec:
        return
    kind = "bad" if needs_btf else "any"
    base = sec["offset"]

    def hdr(field_off, fmt, value):
        b = bytearray(o.data)
        put(b, base + field_off, fmt, value)
        return b
    _, _, _, hdr_len, type_off, type_len, str_off, str_len = \
        struct.unpack_from("<HBBIIIII", o.data, base)
    emit(kind, "btf-magic", hdr(0, "<H", 0x9FEB), "BTF|magic")
    emit(kind, "btf-version", hdr(2, "<B", 2), "BTF")
    emit(kind, "btf-flags", hdr(3, "<B", 1), "BTF")
    emit(kind, "btf-hdrlen-huge", hdr(4, "<I", 0xFFFFFFF0), "BTF")
    emit(kind, "btf-hdrlen-sec", hdr(4, "<I", sec["size"]), "BTF")
    emit("any", "btf-hdrlen-plus4", hdr(4, "<I", hdr_len + 4), None)
    emit(kind, "btf-typeoff-past", hdr(8, "<I", sec["size"]), "BTF")
    emit(kind, "btf-typeoff-odd", hdr(8, "<I", type_off + 2), "BTF")
    emit(kind, "btf-typelen-huge", hdr(12, "<I", 0xFFFFFFF0), "BTF")
    emit(kind, "btf-typelen-odd", hdr(12, "<I", type_len - 2), "BTF")
    emit(kind, "btf-stroff-past", hdr(16, "<I", 0xFFFFFF00), "BTF")
    emit(kind, "btf-strlen-huge", hdr(20, "<I", 0xFFFFFFF0), "BTF")
    emit(kind, "btf-strlen-plus1", hdr(20, "<I", str_len + 1), "BTF")
    emit(kind, "btf-overlap", hdr(16, "<I", type_off), "BTF")
    emit("any", "btf-strlen0", hdr(20, "<I", 0), None)
    ntypes = len(types)

    def edit(pred, fn, first_only):
        b = bytearray(o.data)
        hit = False
        for t in types:
            if pred(t) and not (hit and first_only):
                fn(b, t)
                hit = True
        return b if hit else None

    def set_type(b, t, value):
        struct.pack_into("<I", b, t["at"] + 8, value)

    def first_of(k):  # marks a case that edits only the first match
        return (lambda t: t["kind"] == k), True
    mods = (BTF_KIND_TYPEDEF, BTF_KIND_VOLATILE, BTF_KIND_CONST, BTF_KIND_RESTRICT)
    cases = [
        # Loops: a type that refers to itself, a two-type cycle, an array
        # whose element is the array, a pointer to itself.
        ("loop-typedef-self", lambda t: t["kind"] == BTF_KIND_TYPEDEF,
         lambda b, t: set_type(b, t, t["id"])),
        ("loop-mod-self", lambda t: t["kind"] in mods,
         lambda b, t: set_type(b, t, t["id"])),
        ("loop-ptr-self", lambda t: t["kind"] == BTF_KIND_PTR,
         lambda b, t: set_type(b, t, t["id"])),
        ("loop-array-self", lambda t: t["kind"] == BTF_KIND_ARRAY,
         lambda b, t: struct.pack_into("<I", b, t["at"] + 12, t["id"])),
        ("loop-var-self", lambda t: t["kind"] == BTF_KIND_VAR,
         lambda b, t: set_type(b, t, t["id"])),
        ("loop-member-self", lambda t: t["kind"] == BTF_KIND_STRUCT and t["vlen"],
         lambda b, t: struct.pack_into("<I", b, t["at"] + 12 + 4, t["id"])),
        # References out of range.
        ("ref-past", lambda t: t["kind"] in mods + (BTF_KIND_PTR,),
         lambda b, t: set_type(b, t, ntypes + 1)),
        ("ref-huge", first_of(BTF_KIND_PTR), lambda b, t: set_type(b, t, 0xFFFFFFFF)),
        ("array-elem-past", lambda t: t["kind"] == BTF_KIND_ARRAY,
         lambda b, t: struct.pack_into("<I", b, t["at"] + 12, ntypes + 7)),
        ("array-nelems-huge", lambda t: t["kind"] == BTF_KIND_ARRAY,
         lambda b, t: struct.pack_into("<I", b, t["at"] + 20, 0xFFFFFFFF)),
        ("name-past", first_of(BTF_KIND_STRUCT),
         lambda b, t: struct.pack_into("<I", b, t["at"], str_len + 5)),
        # Huge counts: a vlen that runs past the type section.
        ("struct-vlen-huge", first_of(BTF_KIND_STRUCT),
         lambda b, t: struct.pack_into("<I", b, t["at"] + 4, (BTF_KIND_STRUCT << 24) | 0xFFFF)),
        ("datasec-vlen-huge", first_of(BTF_KIND_DATASEC),
         lambda b, t: struct.pack_into("<I", b, t["at"] + 4, (BTF_KIND_DATASEC << 24) | 0xFFFF)),
        ("kind-unknown", first_of(BTF_KIND_STRUCT),
         lambda b, t: struct.pack_into("<I", b, t["at"] + 4, 31 << 24)),
        ("struct-size-huge", lambda t: t["kind"] == BTF_KIND_STRUCT,
         lambda b, t: set_type(b, t, 0xFFFFFFFF)),
        ("datasec-var-past", first_of(BTF_KIND_DATASEC),
         lambda b, t: struct.pack_into("<I", b, t["at"] + 12, ntypes + 3)),
    ]
    for what, pred, fn in cases:
        pred, first_only = pred if isinstance(pred, tuple) else (pred, False)
        b = edit(pred, fn, first_only)
        if b is None:
            continue
        bad = what.startswith(("ref-", "array-elem-past", "name-past", "struct-vlen",
                               "datasec-vlen", "kind-unknown", "datasec-var-past"))
        pattern = "BTF" if bad else None
        emit("bad" if bad else "any", "btf-" + what, b, pattern)


def code_mutations(o, emit):
    """Programs: sizes that are not whole instructions, calls and jumps
    to nowhere."""
    for s in o.secs:
        if not s["flags"] & 0x4 or not s["size"]:
            continue
        tag = f"code{s['index']}"
        emit("any", f"{tag}-size-odd", set_shdr(o, s, "sh_size", s["size"] - 3), None)
        emit("any", f"{tag}-size-half-ldimm", set_shdr(o, s, "sh_size", s["size"] - 8), None)
        for i in range(0, min(s["size"], 64 * 8), 8):
            code = o.data[s["offset"] + i]
            if code == 0x85:  # call: target far out of the section
                b = bytearray(o.data)
                struct.pack_into("<i", b, s["offset"] + i + 4, 0x7FFFFFF0)
                emit("any", f"{tag}-call{i // 8}-far", b, None)
                b = bytearray(o.data)
                b[s["offset"] + i + 1] = 0x10  # src_reg = BPF_PSEUDO_CALL
                struct.pack_into("<i", b, s["offset"] + i + 4, -0x7FFFFFF0)
                emit("any", f"{tag}-call{i // 8}-back", b, None)
            if code == 0x18:  # ld_imm64 whose second half is cut off
                b = bytearray(o.data)
                put(b, s["hdr"] + SHDR["sh_size"][0], "<Q", i + 8)
                emit("any", f"{tag}-ldimm{i // 8}-cut", b, None)


def map_mutations(o, emit):
    for name in ("maps", "license"):
        s = o.by_name(name)
        if not s or not s["size"]:
            continue
        emit("any", f"{name}-size-odd", set_shdr(o, s, "sh_size", s["size"] - 1), None)
        b = bytearray(o.data)
        b[s["offset"]:s["offset"] + s["size"]] = b"\xff" * s["size"]
        emit("any", f"{name}-all-ff", b, None)


def main():
    outdir, expect, objects = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    corpus = Corpus(outdir)
    for path in objects:
        objname = os.path.basename(path).removesuffix(".o")
        with open(path, "rb") as f:
            o = Obj(f.read())

        def emit(kind, what, data, pattern=None, objname=objname):
            corpus.write(kind, objname, what, data, pattern)
        needs_btf = o.by_name(".maps") is not None
        header_mutations(o, emit)
        section_mutations(o, emit)
        symbol_mutations(o, emit)
        reloc_mutations(o, emit)
        btf_mutations(o, emit, needs_btf)
        code_mutations(o, emit)
        map_mutations(o, emit)
    with open(expect, "w") as f:
        f.write("# malformed input\tpattern its one-line error must match\n")
        for name, pattern in corpus.expect:
            f.write(f"{name}\t{pattern}\n")
    print(f"malformed.py: {corpus.count} malformed objects in {outdir}")


if __name__ == "__main__":
    main()
