#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""report.py RESULTS: the table of ratios of a bench run.

Reads the JSON files bench.py wrote in RESULTS, prints one table (tcsteer,
the peer, their ratio, the goal where an issue sets one: issue 10 for
attach, syscalls, many interfaces and footprint, issue 6 for the data path
and end to end) and writes
the same as Markdown to RESULTS/summary.md, with the detail tables
docs/performance.md quotes. Missing sections are left out. Exit 1 when
a section failed or no result at all was found."""
import json
import os
import statistics
import sys


def load(results, name):
    p = os.path.join(results, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def ms(s):
    return "%.2f ms" % (1e3 * s)


def us(s):
    return "%.1f us" % (1e6 * s)


class Table:
    """Rows of (area, measure, tcsteer, peer, ratio, goal, met)."""

    HEAD = ("area", "measure", "tcsteer", "peer", "ratio", "goal", "met")

    def __init__(self):
        self.rows = []

    def add(self, area, measure, mine, theirs, fmt, goal=None, ratio=None):
        """Ratio mine/theirs (or the one given); goal like ("<=", 1.2) for
        lower-is-better measures, (">=", 1.0) for higher-is-better ones."""
        if mine is None or theirs is None or theirs == 0:
            return
        if ratio is None:
            ratio = mine / theirs
        met = ""
        if goal:
            op, g = goal
            met = "yes" if (ratio <= g if op == "<=" else ratio >= g) else "NO"
        self.rows.append((area, measure, fmt(mine), fmt(theirs),
                          "%.2fx" % ratio,
                          "%s %.2fx" % goal if goal else "", met))

    def text(self):
        rows = [self.HEAD] + self.rows
        w = [max(len(r[i]) for r in rows) for i in range(len(self.HEAD))]
        lines = []
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w[j]) for j, c in enumerate(r))
                         .rstrip())
            if i == 0:
                lines.append("  ".join("-" * x for x in w))
        return "\n".join(lines)

    def markdown(self):
        out = ["| " + " | ".join(self.HEAD) + " |",
               "|" + "---|" * len(self.HEAD)]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


def median(res, name):
    r = res.get(name)
    return r["median"] if r else None


def attach_rows(t, attach):
    for program, area in (("steer", "load+attach"),
                          ("kept", "attach, state kept")):
        s = attach["sets"].get(program)
        if not s:
            continue
        r = s["results"]
        me = median(r, "tcsteer")
        t.add(area, "vs floor (static)", me, median(r, "floor (static)"), ms,
              ("<=", 1.2))
        t.add(area, "vs libbpf (static)", me, median(r, "libbpf (static)"),
              ms, ("<=", 1.0))
        for peer in ("floor (dynamic)", "libbpf", "tc -batch", "tc pair",
                     "go"):
            t.add(area, "vs " + peer, me, median(r, peer), ms)
        t.add(area, "same object file: vs floor", median(r, "tcsteer (file)"),
              median(r, "floor (static)"), ms)
    for program, area in (("small", "256-slot tables"),
                          ("empty", "empty prog")):
        s = attach["sets"].get(program)
        if not s:
            continue
        r = s["results"]
        me = median(r, "tcsteer (file)")
        t.add(area, "vs floor (static)", me, median(r, "floor (static)"), ms)
        t.add(area, "vs libbpf (static)", me, median(r, "libbpf (static)"),
              ms)
        t.add(area, "vs tc pair", me, median(r, "tc pair"), ms)


def calls(n):
    return "%d calls" % n


def profile_rows(t, prof):
    r = prof.get("start", {})
    me = median(r, "tcsteer")
    for peer in ("floor (static)", "floor (dynamic)", "libbpf",
                 "libbpf (static)", "go", "tc"):
        t.add("process start", "vs " + peer, me, median(r, peer), ms)
    tr = prof.get("strace", {})
    mine = tr.get("tcsteer")
    if mine and "own_calls" in mine:
        # Without the C library's start-up (the dynamic loader's 38
        # calls): tcsteer must link libmnl dynamically (docs/performance.md).
        n = mine["own_calls"]
        t.rows.append(("syscalls", "one attach, after start-up (total %d)" %
                       mine["total_calls"], calls(n), "", "", "<= 40",
                       "yes" if n <= 40 else "NO"))
        for peer in ("floor (static)", "libbpf (static)"):
            if peer in tr and "own_calls" in tr[peer]:
                t.add("syscalls", "after start-up vs " + peer, n,
                      tr[peer]["own_calls"], calls)
        for name in ("tcsteer, state kept", "tcsteer, no-op"):
            if name in tr and "own_calls" in tr[name]:
                t.rows.append(("syscalls", name + " (total %d)" %
                               tr[name]["total_calls"],
                               calls(tr[name]["own_calls"]), "", "", "", ""))


def slope(points):
    """Least-squares seconds per interface over (n, seconds) points."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else None


def many_slopes(many):
    out = {}
    for name, by_n in many["results"].items():
        pts = sorted((int(n), v["median"]) for n, v in by_n.items())
        out[name] = slope(pts)
    return out


def at(many, name, n):
    r = many["results"].get(name, {}).get(str(n))
    return r["median"] if r else None


def many_rows(t, many):
    area = "many ifaces"
    n = 64 if 64 in many["sizes"] else max(many["sizes"])
    for name in ("tcsteer apply, one table",
                 "tcsteer apply, object, one table"):
        t.add(area, "N=%d %s vs floor" % (n, name[len("tcsteer apply, "):]),
              at(many, name, n), at(many, "floor", n), ms, ("<=", 1.3))
        t.add(area, "N=%d %s vs libbpf" % (n, name[len("tcsteer apply, "):]),
              at(many, name, n), at(many, "libbpf", n), ms)
    t.add(area, "N=%d table per device vs floor (table per device)" % n,
          at(many, "tcsteer apply", n), at(many, "floor (table per device)", n),
          ms)
    t.add(area, "N=%d table per device vs floor (one load)" % n,
          at(many, "tcsteer apply", n), at(many, "floor", n), ms)
    sl = many_slopes(many)
    for name, peers in (("tcsteer apply, one table", ("floor", "libbpf")),
                        ("tcsteer apply", ("floor (table per device)",
                                           "tc -batch", "go loop",
                                           "tcsteer loop"))):
        for peer in peers:
            t.add(area, "per interface: %s vs %s" % (
                name[len("tcsteer "):], peer), sl.get(name), sl.get(peer), us)


def dp_index(dp):
    return {(r["prog"], r["family"], r["case"], r["size"]): r["ns"]
            for r in dp["runs"]}


def ns(v):
    return "%d ns" % v


def datapath_rows(t, dp):
    idx = dp_index(dp)
    sizes = sorted({r["size"] for r in dp["runs"]})
    for size in sizes:
        for fam in ("ipv4", "ipv6"):
            for case in ("hit", "miss"):
                me = idx.get(("steer", fam, case, size))
                what = "%s %s %s" % (fam, case, size)
                t.add("data path", what + " vs empty+LPM",
                      me, idx.get(("lpm_one", fam, case, size)), ns,
                      ("<=", 1.1))
    big, small = sizes[-1], sizes[0]
    for fam in ("ipv4", "ipv6"):
        for case in ("hit", "miss"):
            t.add("data path", "%s %s: %d vs %d routes" %
                  (fam, case, big, small),
                  idx.get(("steer", fam, case, big)),
                  idx.get(("steer", fam, case, small)), ns, ("<=", 1.1))
            t.add("data path", "%s %s %d vs trace_printk style" %
                  (fam, case, big),
                  idx.get(("steer", fam, case, big)),
                  idx.get(("orig_style", fam, case, big)), ns)


def learn_index(lr):
    return {(r["prog"], r["case"], r["family"]): r["ns"] for r in lr["runs"]}


def learn_rows(t, lr):
    idx = learn_index(lr)
    for fam in ("ipv4", "ipv6"):
        via = idx.get(("steer", "via", fam))
        t.add("learn", "%s learned hit vs via hit" % fam,
              idx.get(("steer", "learned", fam)), via, ns)
        t.add("learn", "%s unknown flow vs via hit" % fam,
              idx.get(("steer", "unknown", fam)), via, ns)
        t.add("learn", "%s learner, a request vs via hit" % fam,
              idx.get(("steer_learn", "request", fam)), via, ns)
        t.add("learn", "%s learner, other traffic vs miss" % fam,
              idx.get(("steer_learn", "other", fam)),
              idx.get(("steer", "miss", fam)), ns)


def md_learn(lr):
    idx = learn_index(lr)
    cases = (("steer", "via"), ("steer", "learned"), ("steer", "unknown"),
             ("steer", "miss"), ("steer_learn", "request"),
             ("steer_learn", "other"))
    out = ["| program | case | ipv4 | ipv6 |", "|---|---|---|---|"]
    for prog, case in cases:
        out.append("| %s | %s | %s | %s |" % (
            prog, case, idx.get((prog, case, "ipv4"), "-"),
            idx.get((prog, case, "ipv6"), "-")))
    return "\n".join(out)


def mid(xs):
    """Median: one disturbed round (a shared machine) must not decide."""
    return statistics.median(xs) if xs else None


def e2e_rows(t, e2e):
    """Medians of each side, and the median of the per-round ratios: the
    two sides of a round ran seconds apart, so their ratio is free of the
    drift of a shared machine that moves whole rounds by +-30%."""
    m = e2e["modes"]
    area = "end to end"

    def row(label, f, fmt, goal):
        a = [f(r) for r in m["tcsteer"]]
        b = [f(r) for r in m["policy"]]
        pairs = [x / y for x, y in zip(a, b) if y]
        t.add(area, label + " vs ip rule", mid(a), mid(b), fmt, goal,
              ratio=mid(pairs))

    for label, f, fmt in (
            ("iperf3 client->VIP", lambda r: r["iperf_fwd_bps"], gbit),
            ("iperf3 VIP->client (-R)", lambda r: r["iperf_rev_bps"], gbit),
            ("TCP connects/s v4", lambda r: r["crr4_per_s"], per_s),
            ("TCP connects/s v6", lambda r: r["crr6_per_s"], per_s),
            ("TCP request/response/s v4", lambda r: r["rr4_per_s"], per_s),
            ("TCP request/response/s v6", lambda r: r["rr6_per_s"], per_s)):
        row(label, f, fmt, (">=", 1.0))
    # Round-trip time: lower is better; "at least as good as policy
    # routing" is a ratio tcsteer/policy <= 1.0.
    for fam in ("ping4", "ping6"):
        row("ping -f time per ping v%s" % fam[-1],
            lambda r, fam=fam: r[fam]["us_per_ping"],
            lambda v: "%.1f us" % v, ("<=", 1.0))


def gbit(v):
    return "%.2f Gbit/s" % (v / 1e9)


def per_s(v):
    return "%.0f/s" % v


def kib(v):
    return "%.0f KiB" % (v / 1024)


# Every dynamic peer uses these; what a peer brings beyond them is its own.
LIBC = ("libc.so.6", "ld-linux-x86-64.so.2", "libm.so.6", "linux-vdso.so.1")


def own_bytes(peer):
    """Stripped binary plus the shared libraries it needs beyond libc: what
    it adds to an initramfs or a container image."""
    return peer["stripped_bytes"] + sum(
        v for k, v in peer["libraries"].items() if k not in LIBC)


def footprint_rows(t, fp):
    p = fp["peers"]
    me = p.get("tcsteer")
    if not me:
        return
    t.rows.append(("footprint", "tcsteer stripped", kib(me["stripped_bytes"]),
                   "", "", "<= 100 KiB",
                   "yes" if me["stripped_bytes"] <= 100 * 1024 else "NO"))
    beyond = sorted(k for k in me["libraries"] if k not in LIBC)
    t.rows.append(("footprint", "libraries beyond libc", ", ".join(beyond) or
                   "none", "", "", "libmnl only",
                   "yes" if beyond in ([], ["libmnl.so.0"]) else "NO"))
    for peer in ("floor (static)", "libbpf", "libbpf (static)", "go",
                 "tc pair"):
        q = p.get(peer)
        if q:
            t.add("footprint", "binary + libs beyond libc vs " + peer,
                  own_bytes(me), own_bytes(q), kib)
    for peer in ("floor (static)", "libbpf", "libbpf (static)", "go",
                 "tc pair"):
        q = p.get(peer)
        if q:
            t.add("footprint", "peak RSS vs " + peer, me["rss_kb"] * 1024,
                  q["rss_kb"] * 1024, kib)


# ---- detail tables for the report -----------------------------------------

def md_attach(attach):
    out = []
    what = {"steer": "The steering program as shipped",
            "small": "The steering program with 256-slot tables (what-if)",
            "empty": "The empty program"}
    for set_name, s in attach["sets"].items():
        out.append("\n%s, %d runs each (ms: median, p25-p75, min-max; "
                   "user and system CPU are means):\n" %
                   (what.get(set_name, set_name), s["runs"]))
        out.append("| peer | median | p25-p75 | min-max | user | system |")
        out.append("|---|---|---|---|---|---|")
        for name, r in sorted(s["results"].items(),
                              key=lambda kv: kv[1]["median"]):
            out.append("| %s | %.2f | %.2f-%.2f | %.2f-%.2f | %s | %s |" % (
                name, 1e3 * r["median"], 1e3 * r["p25"], 1e3 * r["p75"],
                1e3 * r["min"], 1e3 * r["max"],
                "%.2f" % (1e3 * r["user"]) if "user" in r else "",
                "%.2f" % (1e3 * r["system"]) if "system" in r else ""))
        for name, why in s.get("skipped", {}).items():
            out.append("| %s | skipped: %s | | | | |" % (name, why))
    return "\n".join(out)


PHASES = ("BPF_MAP_CREATE", "BPF_PROG_LOAD", "BPF_BTF_LOAD", "BPF_OBJ_PIN",
          "BPF_OBJ_GET", "netlink", "process, files, memory")


def md_strace(traces):
    other = "other bpf"
    cols = list(PHASES) + [other]
    out = ["| peer | syscalls | after start-up | bpf() | " +
           " | ".join(cols) + " |",
           "|---|---|---|---|" + "---|" * len(cols)]
    for name, tr in traces.items():
        ph = tr["phases"]
        cells = []
        for c in PHASES:
            v = ph.get(c)
            cells.append("%d / %.2f" % (v["calls"], 1e3 * v["seconds"])
                         if v else "")
        rest = [v for k, v in ph.items() if k.startswith("BPF_") and
                k not in PHASES]
        cells.append("%d / %.2f" % (sum(v["calls"] for v in rest),
                                    1e3 * sum(v["seconds"] for v in rest))
                     if rest else "")
        out.append("| %s | %d | %s | %d | %s |" % (
            name, tr["total_calls"], tr.get("own_calls", ""),
            tr["syscalls"].get("bpf", 0), " | ".join(cells)))
    return "\n".join(out)


def md_many(many):
    sizes = [str(n) for n in many["sizes"]]
    sl = many_slopes(many)
    out = ["| peer | " + " | ".join("N=%s" % n for n in sizes) +
           " | per interface |",
           "|---|" + "---|" * (len(sizes) + 1)]
    for name, by_n in many["results"].items():
        cells = ["%.1f ms" % (1e3 * by_n[n]["median"]) if n in by_n else "-"
                 for n in sizes]
        out.append("| %s | %s | %s |" % (
            name, " | ".join(cells),
            us(sl[name]) if sl.get(name) is not None else "-"))
    return "\n".join(out)


def md_datapath(dp):
    idx = dp_index(dp)
    sizes = sorted({r["size"] for r in dp["runs"]})
    progs = ["empty", "lpm_one", "steer", "steer_compat", "orig_style"]
    out = ["| case | routes | " + " | ".join(progs) + " |",
           "|---|---|" + "---|" * len(progs)]
    for fam in ("ipv4", "ipv6"):
        for case in ("hit", "miss"):
            for size in sizes:
                out.append("| %s %s | %d | %s |" % (
                    fam, case, size, " | ".join(
                        "%s" % idx.get((p, fam, case, size), "-")
                        for p in progs)))
    return "\n".join(out)


def md_e2e(e2e):
    out = ["| mode | round | iperf3 c->VIP | iperf3 VIP->c | ping -f v4 "
           "(rtt avg, time/ping) | ping -f v6 | connects/s v4 | v6 "
           "| req/resp/s v4 | v6 |", "|---" * 10 + "|"]
    for mode, rounds in e2e["modes"].items():
        for i, r in enumerate(rounds):
            out.append("| %s | %d | %s | %s | %s | %s | %.0f | %.0f | %.0f "
                       "| %.0f |" % (
                           mode, i + 1, gbit(r["iperf_fwd_bps"]),
                           gbit(r["iperf_rev_bps"]), ping_cell(r["ping4"]),
                           ping_cell(r["ping6"]), r["crr4_per_s"],
                           r["crr6_per_s"], r["rr4_per_s"], r["rr6_per_s"]))
    return "\n".join(out)


def ping_cell(p):
    return "%.3f ms, %.1f us" % (p["avg_ms"], p["us_per_ping"])


def md_footprint(fp):
    out = ["| peer | binary | stripped | + libraries beyond libc "
           "| shared libraries | peak RSS |", "|---|---|---|---|---|---|"]
    for name, p in sorted(fp["peers"].items(), key=lambda kv: own_bytes(kv[1])):
        libs = p["libraries"]
        out.append("| %s | %s | %s | %s | %s | %d KiB |" % (
            name, kib(p["bytes"]), kib(p["stripped_bytes"]),
            kib(own_bytes(p)),
            ", ".join(sorted(k for k in libs if k not in LIBC)) or
            ("libc only" if libs else "none (static)"), p["rss_kb"]))
    if "embedded_object_bytes" in fp:
        out.append("\nThe steering program embedded in tcsteer: %d bytes of "
                   "ELF object (%s)." % (fp["embedded_object_bytes"],
                                         "prog/steer.bpf.c"))
    return "\n".join(out)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS_DIR")
    results = sys.argv[1]
    t = Table()
    md = []
    found = False
    machine = load(results, "machine")
    if machine:
        md.append("## Machine\n\n" + "\n".join(
            "- %s: %s" % kv for kv in sorted(machine.items())))
    for name, rows, detail in (("attach", attach_rows, md_attach),
                               ("profile", profile_rows, None),
                               ("many", many_rows, md_many),
                               ("datapath", datapath_rows, md_datapath),
                               ("learn", learn_rows, md_learn),
                               ("e2e", e2e_rows, md_e2e),
                               ("footprint", footprint_rows, md_footprint)):
        data = load(results, name)
        if not data:
            continue
        found = True
        rows(t, data)
        if detail:
            md.append("## %s\n\n%s" % (name, detail(data)))
        if name == "profile":
            md.append("## where the time goes (strace -f -T: calls / ms "
                      "in the kernel)\n\n" + md_strace(data["strace"]))
            v = data.get("verifier", {})
            if v.get("verification"):
                md.append("verifier: %s (median), %s instructions processed"
                          % (us(v["verification"]["median"]),
                             v.get("processed_insns")))
        if name == "many" and data.get("strace"):
            md.append("## many interfaces, N=%d, strace -f -T\n\n%s" %
                      (data["strace_n"], md_strace(data["strace"])))
    failed = load(results, "failed") or {}
    print()
    print(t.text())
    for s, why in failed.items():
        print("FAILED %s: %s" % (s, why))
    with open(os.path.join(results, "summary.md"), "w") as f:
        f.write("# Bench results\n\n" + t.markdown() + "\n\n" +
                "\n\n".join(md) + "\n")
        for s, why in failed.items():
            f.write("\nFAILED %s: %s\n" % (s, why))
    return 1 if failed or not found else 0


if __name__ == "__main__":
    sys.exit(main())
