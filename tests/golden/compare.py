#!/usr/bin/env python3
"""Compare the rtnetlink messages two or more TC loaders send, field by field.

    compare.py [--hook egress|ingress] LABEL=SOURCE LABEL=SOURCE...

A SOURCE is one of
  * an strace log written with `strace -f -o LOG -xx -e trace=sendto,sendmsg
    -e write=all` (the hex dumps after each sendto/sendmsg line are the bytes),
  * a .hex file (one message per line, hex digits, as in netlink-golden/),
  * a directory: every *.hex file in it, in name order.

From each source it takes the one RTM_NEWQDISC and the one RTM_NEWTFILTER,
decodes nlmsghdr, tcmsg and the (nested) attributes, prints a table of every
field for every source and compares all sources pairwise. Only these fields
may differ:

  masked   nlmsg_seq, nlmsg_pid, tcm_ifindex, the TCA_BPF_FD value and the
           TCA_BPF_NAME string (each must still be a NUL-terminated string);
  derived  nlmsg_len, the TCA_OPTIONS rta_len and the TCA_BPF_NAME rta_len,
           by exactly what the two names' lengths explain (and the zero
           padding after the name).

Everything else must be byte-for-byte equal. With --hook ingress, .hex
sources (the golden egress capture) get tcm_parent of their RTM_NEWTFILTER
set to TC_H_MIN_INGRESS, the only byte the hook changes; every source's
filter parent is also checked against the hook.

Exit status: 0 when everything matches, 1 on a difference, 2 on bad input
(one line on stderr).
"""

import os
import re
import struct
import sys

RTM_NEWQDISC = 36
RTM_NEWTFILTER = 44
WANTED = (RTM_NEWQDISC, RTM_NEWTFILTER)

NLMSG_NAMES = {
    16: "RTM_NEWLINK", 17: "RTM_DELLINK", 18: "RTM_GETLINK",
    36: "RTM_NEWQDISC", 37: "RTM_DELQDISC", 38: "RTM_GETQDISC",
    44: "RTM_NEWTFILTER", 45: "RTM_DELTFILTER", 46: "RTM_GETTFILTER",
    1: "NLMSG_NOOP", 2: "NLMSG_ERROR", 3: "NLMSG_DONE",
}
NLM_FLAGS = [(0x01, "REQUEST"), (0x02, "MULTI"), (0x04, "ACK"),
             (0x08, "ECHO"), (0x100, "REPLACE"), (0x200, "EXCL"),
             (0x400, "CREATE"), (0x800, "APPEND")]
TCA_NAMES = {1: "TCA_KIND", 2: "TCA_OPTIONS", 3: "TCA_STATS", 4: "TCA_XSTATS",
             5: "TCA_RATE", 6: "TCA_FCNT", 7: "TCA_STATS2", 8: "TCA_STAB",
             9: "TCA_PAD", 10: "TCA_DUMP_INVISIBLE", 11: "TCA_CHAIN",
             12: "TCA_HW_OFFLOAD", 13: "TCA_INGRESS_BLOCK",
             14: "TCA_EGRESS_BLOCK", 15: "TCA_DUMP_FLAGS"}
TCA_BPF_NAMES = {1: "TCA_BPF_ACT", 2: "TCA_BPF_POLICE", 3: "TCA_BPF_CLASSID",
                 4: "TCA_BPF_OPS_LEN", 5: "TCA_BPF_OPS", 6: "TCA_BPF_FD",
                 7: "TCA_BPF_NAME", 8: "TCA_BPF_FLAGS",
                 9: "TCA_BPF_FLAGS_GEN", 10: "TCA_BPF_TAG", 11: "TCA_BPF_ID"}
TCA_OPTIONS = 2
TCA_BPF_FD = 6
TCA_BPF_NAME = 7
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3fff
TC_H_CLSACT = 0xFFFFFFF1
HOOK_PARENT = {"egress": 0xFFFFFFF3, "ingress": 0xFFFFFFF2}
PARENT_NAMES = {0xFFFFFFF1: "TC_H_CLSACT", 0xFFFFFFF2: "TC_H_MIN_INGRESS",
                0xFFFFFFF3: "TC_H_MIN_EGRESS", 0xFFFFFFFF: "TC_H_ROOT"}


class InputError(Exception):
    """Bad input: reported as one line, exit status 2."""


def nla_align(n):
    return (n + 3) & ~3


# ---------------------------------------------------------------- reading

HEX_LINE = re.compile(r"^ \| ([0-9a-f]{5,}) ((?:[0-9a-f ]){49})")
PID_PREFIX = re.compile(r"^(?:\[pid\s+\d+\]|\d+)\s+")
SEND_CALL = re.compile(r"^(?:<\.\.\. )?(sendto|sendmsg)\b")


def read_strace(path, text):
    """Returns the byte strings of every sendto/sendmsg in an strace log.

    strace prints the hex dump of a call right after the line that completes
    it (a plain line or a "<... sendto resumed>" one), so dump lines belong to
    the last completed send; a sendmsg's buffers are concatenated."""
    sends, current = [], None
    for lineno, line in enumerate(text.splitlines(), 1):
        m = HEX_LINE.match(line)
        if m:
            if current is None:
                raise InputError("%s:%d: hex dump outside a sendto/sendmsg"
                                 % (path, lineno))
            chunk = bytes.fromhex(m.group(2).replace(" ", ""))
            if int(m.group(1), 16) != current["buf_off"]:
                raise InputError("%s:%d: hex dump offset 0x%s, expected 0x%x"
                                 % (path, lineno, m.group(1),
                                    current["buf_off"]))
            current["buf_off"] += len(chunk)
            current["data"] += chunk
            continue
        if line.startswith(" * "):      # sendmsg: "* N bytes in buffer I"
            if current is not None:
                current["buf_off"] = 0
            continue
        body = PID_PREFIX.sub("", line)
        current = None
        if "<unfinished ...>" in body:
            continue
        if SEND_CALL.match(body) and re.search(r"\)\s+= ", body):
            current = {"buf_off": 0, "data": b""}
            sends.append(current)
    return [s["data"] for s in sends]


def read_hex(path, text):
    msgs = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            msgs.append(bytes.fromhex(line))
        except ValueError:
            raise InputError("%s:%d: not a line of hex digits"
                             % (path, lineno))
    return msgs


def read_source(path):
    """Returns (list of byte strings, is_hex)."""
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(".hex"))
        if not names:
            raise InputError("%s: no .hex files in this directory" % path)
        msgs = []
        for name in names:
            msgs += read_source(os.path.join(path, name))[0]
        return msgs, True
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise InputError("%s: %s" % (path, e.strerror))
    if path.endswith(".hex"):
        return read_hex(path, text), True
    return read_strace(path, text), False


def split_messages(label, buf):
    """Splits one send's bytes into netlink messages (a send may batch)."""
    msgs, off = [], 0
    while off < len(buf):
        if len(buf) - off < 16:
            raise InputError("%s: %d trailing bytes, shorter than nlmsghdr"
                             % (label, len(buf) - off))
        (nlen,) = struct.unpack_from("<I", buf, off)
        if nlen < 16 or off + nlen > len(buf):
            raise InputError("%s: nlmsg_len %d does not fit the %d bytes sent"
                             % (label, nlen, len(buf) - off))
        msgs.append(buf[off:off + nlen])
        off += nla_align(nlen)
    return msgs


# --------------------------------------------------------------- decoding

class Field:
    """One decoded field: path names it across messages; kind says how two
    differing values may still be equal (exact/masked/derived/namepad)."""

    def __init__(self, path, off, raw, value, kind="exact", label=None):
        self.path, self.off, self.raw = path, off, raw
        self.value, self.kind = value, kind
        # what a reader calls it: nlmsg_seq, TCA_OPTIONS/TCA_BPF_NAME.rta_len
        self.label = label or path.split(".")[-1]


def flags_str(v):
    names = [n for bit, n in NLM_FLAGS if v & bit]
    rest = v & ~sum(bit for bit, _ in NLM_FLAGS)
    if rest:
        names.append("0x%x" % rest)
    return "0x%04x %s" % (v, "|".join(names) or "0")


def handle_str(v):
    s = "0x%08x %x:%x" % (v, v >> 16, v & 0xffff)
    if v in PARENT_NAMES:
        s += " " + PARENT_NAMES[v]
    return s


def cstr(raw):
    return repr(raw.decode("latin-1"))


class Message:
    def __init__(self, raw):
        self.raw = raw
        self.fields = []
        self.name = None        # TCA_BPF_NAME payload, if any
        self.kind = None        # TCA_KIND string
        self.problems = []      # things wrong within this one message
        self.parent = None      # tcm_parent
        self.decode()

    def add(self, *args, **kw):
        f = Field(*args, **kw)
        self.fields.append(f)
        return f

    def decode(self):
        r = self.raw
        nlen, ntype, nflags, seq, pid = struct.unpack_from("<IHHII", r, 0)
        self.add("nlmsghdr.nlmsg_len", 0, r[0:4], str(nlen), "derived")
        self.add("nlmsghdr.nlmsg_type", 4, r[4:6],
                 "%d %s" % (ntype, NLMSG_NAMES.get(ntype, "?")))
        self.add("nlmsghdr.nlmsg_flags", 6, r[6:8], flags_str(nflags))
        self.add("nlmsghdr.nlmsg_seq", 8, r[8:12], str(seq), "masked")
        self.add("nlmsghdr.nlmsg_pid", 12, r[12:16], str(pid), "masked")
        if len(r) < 36:
            self.add("tcmsg", 16, r[16:], "truncated: %d of 20 bytes"
                     % (len(r) - 16))
            self.problems.append("message shorter than nlmsghdr + tcmsg")
            return
        fam, pad1, pad2, ifi, handle, parent, info = \
            struct.unpack_from("<BBHiIII", r, 16)
        self.add("tcmsg.tcm_family", 16, r[16:17], str(fam))
        self.add("tcmsg.tcm__pad1", 17, r[17:18], str(pad1))
        self.add("tcmsg.tcm__pad2", 18, r[18:20], str(pad2))
        self.add("tcmsg.tcm_ifindex", 20, r[20:24], str(ifi), "masked")
        self.add("tcmsg.tcm_handle", 24, r[24:28], handle_str(handle))
        self.add("tcmsg.tcm_parent", 28, r[28:32], handle_str(parent))
        proto = struct.unpack(">H", r[32:34])[0]
        self.add("tcmsg.tcm_info", 32, r[32:36],
                 "0x%08x prio %d proto 0x%04x" % (info, info >> 16, proto))
        self.parent = parent
        self.decode_attrs(36, len(r), "", "", TCA_NAMES, top=True)

    def decode_attrs(self, off, end, prefix, lprefix, names, top):
        i = 0
        while off < end:
            path = "%sattr[%d]" % (prefix, i)
            r = self.raw
            if end - off < 4:
                self.add(path + ".trailing", off, r[off:end],
                         "%d stray bytes" % (end - off))
                self.problems.append("%s: stray bytes after attributes" % path)
                return
            alen, atype = struct.unpack_from("<HH", r, off)
            t = atype & NLA_TYPE_MASK
            tname = names.get(t, "type %d" % t)
            flagtxt = ""
            if atype & NLA_F_NESTED:
                flagtxt += "|NLA_F_NESTED"
            if atype & 0x4000:
                flagtxt += "|NLA_F_NET_BYTEORDER"
            is_name = not top and t == TCA_BPF_NAME
            is_opts = top and t == TCA_OPTIONS
            lab = lprefix + tname.replace("type ", "attr")
            self.add(path + ".rta_len", off, r[off:off + 2], str(alen),
                     "derived" if (is_name or is_opts) else "exact",
                     label=lab + ".rta_len")
            self.add(path + ".rta_type", off + 2, r[off + 2:off + 4],
                     "%d %s%s" % (atype & NLA_TYPE_MASK, tname, flagtxt),
                     label=lab + ".rta_type")
            if alen < 4 or off + alen > end:
                self.add(path + ".error", off, b"",
                         "rta_len %d does not fit %d bytes"
                         % (alen, end - off))
                self.problems.append("%s (%s): bad rta_len %d"
                                     % (path, tname, alen))
                return
            pay = r[off + 4:off + alen]
            self.decode_payload(path, lab, off + 4, pay, t, top)
            padded = min(nla_align(alen), end - off)
            if padded > alen:
                self.add(path + ".pad", off + alen, r[off + alen:off + padded],
                         "%d byte(s) %s" % (padded - alen,
                                            r[off + alen:off + padded].hex()),
                         "namepad" if is_name else "exact",
                         label=lab + ".pad")
            off += padded
            i += 1

    def decode_payload(self, path, lab, off, pay, t, top):
        def payload(value, kind="exact"):
            self.add(path + ".payload", off, pay, value, kind,
                     label=lab + ".payload")

        if top and t == 1:                              # TCA_KIND
            self.kind = pay.rstrip(b"\0").decode("latin-1")
            payload(cstr(pay))
        elif top and t == TCA_OPTIONS and self.kind == "bpf":
            self.decode_attrs(off, off + len(pay), path + "/", lab + "/",
                              TCA_BPF_NAMES, top=False)
        elif not top and t == TCA_BPF_FD and len(pay) == 4:
            payload("u32 %d (program fd)" % struct.unpack("<I", pay),
                    "masked")
        elif not top and t == TCA_BPF_NAME:
            self.name = pay
            payload(cstr(pay), "masked")
            if not pay.endswith(b"\0") or b"\0" in pay[:-1]:
                self.problems.append("TCA_BPF_NAME %s is not one "
                                     "NUL-terminated string" % cstr(pay))
        elif len(pay) == 4:
            payload("u32 %d" % struct.unpack("<I", pay))
        else:
            payload(cstr(pay) if pay.endswith(b"\0") else pay.hex())


# -------------------------------------------------------------- comparing

def name_sizes(msg):
    """(rta_len, padded size) of the message's TCA_BPF_NAME (0, 0 if none)."""
    if msg.name is None:
        return 0, 0
    n = 4 + len(msg.name)
    return n, nla_align(n)


def derived_ok(path, fa, fb, ma, mb):
    """Does the name explain the difference between two length fields?"""
    va = int.from_bytes(fa.raw, "little")
    vb = int.from_bytes(fb.raw, "little")
    (la, pa), (lb, pb) = name_sizes(ma), name_sizes(mb)
    if "/" in path:
        # TCA_BPF_NAME's own rta_len: the payload was cut by it, so it is
        # 4 + the name's length by construction and follows the name.
        return (va, vb) == (la, lb)
    # nlmsg_len or TCA_OPTIONS: the name sits inside, padded to 4 bytes
    # unless it is the last attribute
    return va - vb in (pa - pb, la - lb)


def compare(ma, mb):
    """Returns the list of (path, verdict, note) where verdict is one of
    same/masked/derived/DIFF, in message order."""
    fa = {f.path: f for f in ma.fields}
    fb = {f.path: f for f in mb.fields}
    paths = [f.path for f in ma.fields]
    paths += [f.path for f in mb.fields if f.path not in fa]
    out = []
    for p in paths:
        a, b = fa.get(p), fb.get(p)
        if a is None or b is None:
            present = a or b
            if present.kind == "namepad" and not present.raw.strip(b"\0"):
                out.append((p, "derived", "name padding"))
            else:
                out.append((p, "DIFF", ""))
        elif a.raw == b.raw:
            out.append((p, "same", ""))
        elif a.kind == "masked" and b.kind == "masked":
            out.append((p, "masked", ""))
        elif a.kind == "derived" and b.kind == "derived" and \
                derived_ok(p, a, b, ma, mb):
            out.append((p, "derived", "follows TCA_BPF_NAME"))
        elif a.kind == "namepad" and b.kind == "namepad" and \
                not a.raw.strip(b"\0") and not b.raw.strip(b"\0"):
            out.append((p, "derived", "name padding"))
        else:
            out.append((p, "DIFF", ""))
    return out


# --------------------------------------------------------------- the run

def collect(label, path, hook):
    """Returns ({type: Message}, problems, other message type names)."""
    sends, is_hex = read_source(path)
    found = {t: [] for t in WANTED}
    others = []
    for buf in sends:
        for raw in split_messages("%s (%s)" % (label, path), buf):
            t = struct.unpack_from("<H", raw, 4)[0]
            if t in found:
                found[t].append(raw)
            else:
                others.append(NLMSG_NAMES.get(t, "type %d" % t))
    problems, msgs = [], {}
    for t in WANTED:
        n = len(found[t])
        if n != 1:
            problems.append("%s: sent %d %s message(s), expected exactly 1"
                            % (label, n, NLMSG_NAMES[t]))
            if n == 0:
                continue
        raw = found[t][0]
        if is_hex and hook == "ingress" and t == RTM_NEWTFILTER and \
                len(raw) >= 32:
            raw = raw[:28] + struct.pack("<I", HOOK_PARENT["ingress"]) + \
                raw[32:]
        msgs[t] = Message(raw)
        problems += ["%s %s: %s" % (label, NLMSG_NAMES[t], p)
                     for p in msgs[t].problems]
    f = msgs.get(RTM_NEWTFILTER)
    if f is not None and f.parent != HOOK_PARENT[hook]:
        problems.append("%s: RTM_NEWTFILTER tcm_parent is not the %s hook"
                        % (label, hook))
    q = msgs.get(RTM_NEWQDISC)
    if q is not None and q.parent != TC_H_CLSACT:
        problems.append("%s: RTM_NEWQDISC tcm_parent is not TC_H_CLSACT"
                        % label)
    return msgs, problems, others


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header])
              for i in range(len(header))]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    lines = [fmt % tuple(header), fmt % tuple("-" * w for w in widths)]
    lines += [fmt % tuple(r) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


RANK = {"same": 0, "masked": 1, "derived": 2, "DIFF": 3}


def field_of(msg, path):
    return next((f for f in msg.fields if f.path == path), None)


def compare_all(t, have, pairs):
    """Compares every pair of sources' messages of type t. Returns the
    worst verdict per field path and the DIFF lines; records every field
    that is not byte-equal, allowed or not, in pairs[(label_a, label_b)]."""
    status, diffs = {}, []
    for i, (la, ma) in enumerate(have):
        for lb, mb in have[i + 1:]:
            for path, verdict, note in compare(ma, mb):
                if RANK[verdict] > RANK[status.get(path, "same")]:
                    status[path] = verdict
                if verdict == "same":
                    continue
                fa, fb = field_of(ma, path), field_of(mb, path)
                pairs.setdefault((la, lb), []).append(
                    "%s %s" % (NLMSG_NAMES[t][4:], (fa or fb).label))
                if verdict == "DIFF":
                    diffs.append("DIFF %s %s: %s=%s %s=%s%s" % (
                        NLMSG_NAMES[t], (fa or fb).label,
                        la, fa.value if fa else "(absent)",
                        lb, fb.value if fb else "(absent)",
                        " (%s)" % note if note else ""))
    return status, diffs


def report_type(t, labels, sources, pairs):
    """Prints the field table of one message type; returns the DIFF lines."""
    have = [(l, sources[l][0][t]) for l in labels if t in sources[l][0]]
    if not have:
        return []
    status, diffs = compare_all(t, have, pairs)
    order = []
    for _, m in have:
        order += [f.path for f in m.fields if f.path not in order]
    rows = []
    for path in order:
        fields = [field_of(m, path) for _, m in have]
        first = next(f for f in fields if f)
        rows.append([str(first.off), first.label] +
                    [f.value if f else "-" for f in fields] +
                    [status.get(path, "same")])
    print("== %s (%d bytes from %s)" % (
        NLMSG_NAMES[t], len(have[0][1].raw), have[0][0]))
    print(table(rows, ["off", "field"] + [l for l, _ in have] + ["status"]))
    print()
    return diffs


def counted(names):
    seen = {}
    for n in names:
        seen[n] = seen.get(n, 0) + 1
    return ", ".join(n if c == 1 else "%s x%d" % (n, c)
                     for n, c in seen.items())


def main(argv):
    hook = "egress"
    args = argv[1:]
    if args[:1] == ["--hook"] and len(args) >= 2:
        hook = args[1]
        args = args[2:]
    if hook not in HOOK_PARENT or len(args) < 2 or \
            any("=" not in a for a in args):
        raise InputError("usage: compare.py [--hook egress|ingress] "
                         "LABEL=SOURCE LABEL=SOURCE...")
    labels, sources = [], {}
    for a in args:
        label, path = a.split("=", 1)
        if label in sources:
            raise InputError("label %s given twice" % label)
        labels.append(label)
        sources[label] = collect(label, path, hook)

    print("hook %s; sources: %s" % (hook, ", ".join(
        "%s=%s" % (l, a.split("=", 1)[1]) for l, a in zip(labels, args))))
    problems = [p for l in labels for p in sources[l][1]]
    diffs, pairs = [], {}
    for t in WANTED:
        diffs += report_type(t, labels, sources, pairs)

    for l in labels:
        f = sources[l][0].get(RTM_NEWTFILTER)
        name = cstr(f.name) if f is not None and f.name is not None else "-"
        extra = sources[l][2]
        print("info: %-10s TCA_BPF_NAME %s%s" % (
            l, name, "; also sent " + counted(extra) if extra else ""))
    for i, la in enumerate(labels):
        for lb in labels[i + 1:]:
            what = pairs.get((la, lb))
            print("info: %s vs %s: %s" % (
                la, lb, "differ in " + ", ".join(what) if what
                else "identical"))
    for line in problems:
        print("PROBLEM " + line)
    for line in diffs:
        print(line)
    bad = len(problems) + len(diffs)
    if bad:
        print("VERDICT: FAIL (%d problem(s)) [%s]" % (bad, " ".join(labels)))
        return 1
    print("VERDICT: PASS - %s send the same RTM_NEWQDISC and RTM_NEWTFILTER "
          "(%s) apart from seq, pid, ifindex, program fd and name"
          % (", ".join(labels), hook))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except InputError as e:
        print("compare.py: %s" % e, file=sys.stderr)
        sys.exit(2)
