#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""plot.py RESULTS OUTDIR: the PNG plots of a bench run (Debian's
python3-matplotlib), for docs/performance.md:

  load_attach.png      one-interface load + attach times per peer
  where_time.png       CPU time of one attach by category (perf)
  many_interfaces.png  time to attach to N interfaces, per peer
  datapath.png         ns per packet against table size, per program
  e2e.png              tcsteer relative to policy routing in the lab

A plot whose section is missing from RESULTS is skipped."""
import json
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(results, name):
    p = os.path.join(results, name + ".json")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return json.load(f)


def color(name):
    """tcsteer stands out; the peers stay grey-blue."""
    return "tab:red" if name.startswith("tcsteer") else "tab:blue"


ATTACH_TITLES = {"steer": "steering program as shipped, fresh interface "
                          "and state",
                 "kept": "the same, where only the clsact qdisc was removed "
                         "(tcsteer's state kept)",
                 "small": "same instructions, 256-slot tables (what-if)",
                 "empty": "empty program (no maps)"}


def plot_attach(attach, out):
    sets = [k for k in ("steer", "kept", "small", "empty")
            if k in attach["sets"]]
    if not sets:
        return False
    fig, axes = plt.subplots(len(sets), 1, figsize=(8, 3.2 * len(sets)),
                             sharex=True, squeeze=False)
    for ax, key in zip(axes[:, 0], sets):
        s = attach["sets"][key]
        items = sorted(s["results"].items(), key=lambda kv: kv[1]["median"])
        bp = ax.boxplot([[1e3 * t for t in r["times"]] for _, r in items],
                        vert=False, labels=[n for n, _ in items],
                        showfliers=False, patch_artist=True,
                        medianprops={"color": "black"})
        for patch, (name, _) in zip(bp["boxes"], items):
            patch.set_facecolor(color(name))
            patch.set_alpha(0.5)
        ax.set_title("%s, %d runs each" % (ATTACH_TITLES[key], s["runs"]),
                     fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(left=0)
    axes[-1][0].set_xlabel("load + attach on one interface, whole "
                           "process (ms; box: quartiles, whiskers: 1.5 IQR)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


PHASES = [("process, files, memory", "process, files, memory"),
          ("BPF_MAP_CREATE", "map create"), ("BPF_PROG_LOAD", "prog load"),
          ("BPF_BTF_LOAD", "BTF load"), ("netlink", "netlink"),
          ("pins", "pin / get pin"), ("other bpf", "other bpf()")]


def phase_ms(tr):
    ph = tr["phases"]
    out = {k: 0.0 for k, _ in PHASES}
    for k, v in ph.items():
        if k in out:
            out[k] += 1e3 * v["seconds"]
        elif k in ("BPF_OBJ_PIN", "BPF_OBJ_GET"):
            out["pins"] += 1e3 * v["seconds"]
        elif k.startswith("BPF_"):
            out["other bpf"] += 1e3 * v["seconds"]
    return out


# perf's categories (benchlib.PERF_CATEGORIES), merged for the plot.
PERF_GROUPS = [
    ("per-CPU array alloc", ("per-CPU array alloc",)),
    ("other map creation", ("map create, other",)),
    ("verifier, JIT, load", ("verifier", "JIT", "prog load, other",
                             "BTF load", "other bpf()")),
    ("netlink", ("netlink",)),
    ("exec + exit", ("exec", "exit")),
    ("dynamic linker", ("dynamic linker",)),
    ("page faults", ("page faults",)),
    ("other syscalls", ("other syscalls",)),
    ("user space", ("user space",)),
]


def plot_where(profile, out):
    """CPU time of one attach by category (perf), or failing that the time
    in system calls by phase (strace)."""
    perf = {k: v for k, v in profile.get("perf", {}).items() if k != "runs"}
    if perf:
        rows = {n: {g: sum(v.get(c, 0.0) for c in cats)
                    for g, cats in PERF_GROUPS} for n, v in perf.items()}
        groups = [g for g, _ in PERF_GROUPS]
        xlabel = ("CPU time of one attach by category (ms, perf cpu-clock, "
                  "mean of %d)" % profile["perf"]["runs"])
    elif profile.get("strace"):
        rows = {n: phase_ms(tr) for n, tr in profile["strace"].items()}
        groups = [k for k, _ in PHASES]
        xlabel = "time in system calls, by phase (ms, under strace -f -T)"
    else:
        return False
    names = sorted(rows, key=lambda n: sum(rows[n].values()))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    left = [0.0] * len(names)
    for g in groups:
        vals = [rows[n].get(g, 0.0) for n in names]
        ax.barh(names, vals, left=left, label=g)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_xlabel(xlabel)
    ax.set_title("Where one attach of the steering program spends its time")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


MANY_STYLE = {
    "tcsteer apply": ("tab:red", "-", 2.5),
    "tcsteer apply, one table": ("darkred", "--", 2.5),
    "tcsteer apply, object, one table": ("darkred", ":", 2.5),
    "tcsteer loop": ("salmon", "-", 1.5),
    "floor": ("black", "-", 1.2),
    "floor (table per device)": ("black", "-.", 1.2),
    "floor (tcx)": ("grey", "--", 1.2),
    "libbpf": ("tab:green", "-", 1.2),
    "tc -batch": ("tab:blue", "-", 1.2),
    "go loop": ("tab:orange", "-", 1.2),
}


# The right-hand panel: each against the floor that does the same work.
MANY_RATIOS = (("tcsteer apply, one table", "floor"),
               ("tcsteer apply, object, one table", "floor"),
               ("libbpf", "floor"),
               ("tcsteer apply", "floor (table per device)"))


def plot_many_ratios(many, ax):
    res = many["results"]
    for name, ref in MANY_RATIOS:
        if name not in res or ref not in res:
            continue
        pts = sorted((int(n), v["median"] / res[ref][n]["median"])
                     for n, v in res[name].items() if n in res[ref])
        c, ls, lw = MANY_STYLE.get(name, (None, "-", 1.2))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                label="%s / %s" % (name, ref), color=c, linestyle=ls,
                linewidth=lw)
    ax.axhline(1.3, color="black", linestyle=":", label="goal: 1.3x")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ns = sorted({int(n) for by_n in res.values() for n in by_n})
    ax.set_xscale("log")
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns])
    ax.set_ylim(0, 2.5)
    ax.set_xlabel("interfaces attached in one invocation")
    ax.set_ylabel("time / the floor doing the same (median)")
    ax.set_title("Against the floor")
    ax.grid(which="both", alpha=0.3)
    ax.legend(fontsize=7)


def plot_many(many, out):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(14, 5.5))
    plot_many_ratios(many, ax2)
    for name, by_n in sorted(many["results"].items()):
        pts = sorted((int(n), 1e3 * v["median"]) for n, v in by_n.items())
        c, ls, lw = MANY_STYLE.get(name, (None, "-", 1.2))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                label=name, color=c, linestyle=ls, linewidth=lw)
    ns = sorted({int(n) for by_n in many["results"].values() for n in by_n})
    floor = many["results"].get("floor", {})
    if floor:
        # Issue 10's goal: one table for all, at most 1.3x the floor.
        pts = sorted((int(n), 1.3e3 * v["median"]) for n, v in floor.items())
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color="black",
                linestyle=":", label="goal: 1.3x the floor")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns])
    ax.set_xlabel("interfaces attached in one invocation")
    ax.set_ylabel("wall time (ms, median)")
    ax.set_title("Attaching to many interfaces")
    ax.grid(which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def plot_datapath(dp, out):
    fig, axes = plt.subplots(2, 2, figsize=(9, 7), sharex=True, sharey=True)
    progs = {"empty": "empty program", "lpm_one": "empty + one LPM lookup",
             "steer": "tcsteer's steering program",
             "orig_style": "original style (hash + trace_printk)"}
    for ax, (fam, case) in zip(axes.flat, [("ipv4", "hit"), ("ipv4", "miss"),
                                           ("ipv6", "hit"), ("ipv6", "miss")]):
        for prog, label in progs.items():
            pts = sorted((r["size"], r["ns"], r["ns_min"], r["ns_max"])
                         for r in dp["runs"] if r["prog"] == prog and
                         r["family"] == fam and r["case"] == case)
            if not pts:
                continue
            x = [p[0] for p in pts]
            y = [p[1] for p in pts]
            err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=label,
                        color=color("tcsteer") if prog == "steer" else None)
        ax.set_title("%s, source %s" % (fam, "in the table" if case == "hit"
                                         else "not in the table"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(which="both", alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("routes in the table")
    for ax in axes[:, 0]:
        ax.set_ylabel("ns per packet (BPF_PROG_TEST_RUN)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Data path cost against table size (median, min-max)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def plot_e2e(e2e, out):
    m = e2e["modes"]
    metrics = [("iperf3 c->VIP", lambda r: r["iperf_fwd_bps"], True),
               ("iperf3 VIP->c", lambda r: r["iperf_rev_bps"], True),
               ("connects/s v4", lambda r: r["crr4_per_s"], True),
               ("connects/s v6", lambda r: r["crr6_per_s"], True),
               ("req/resp/s v4", lambda r: r["rr4_per_s"], True),
               ("req/resp/s v6", lambda r: r["rr6_per_s"], True),
               ("1/ping time v4", lambda r: r["ping4"]["us_per_ping"], False),
               ("1/ping time v6", lambda r: r["ping6"]["us_per_ping"], False)]
    labels, ratios, lo, hi = [], [], [], []
    for label, f, higher in metrics:
        # Per round: the two sides ran seconds apart (see report.py).
        pairs = [f(a) / f(b) if higher else f(b) / f(a)
                 for a, b in zip(m["tcsteer"], m["policy"])]
        labels.append(label)
        ratios.append(statistics.median(pairs))
        lo.append(ratios[-1] - min(pairs))
        hi.append(max(pairs) - ratios[-1])
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(labels, ratios, yerr=[lo, hi], capsize=3,
           color=["tab:red" if r < 1 else "tab:green" for r in ratios])
    ax.axhline(1.0, color="black", linewidth=1)
    ax.set_ylabel("tcsteer / policy routing (higher is better)")
    ax.set_ylim(0, max(1.4, max(r + h for r, h in zip(ratios, hi)) + 0.05))
    ax.set_title("End to end in the netns lab: median and range of the "
                 "%d rounds' ratios" % e2e["rounds"])
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py RESULTS OUTDIR")
    results, outdir = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    for name, section, fn in (("load_attach", "attach", plot_attach),
                              ("where_time", "profile", plot_where),
                              ("many_interfaces", "many", plot_many),
                              ("datapath", "datapath", plot_datapath),
                              ("e2e", "e2e", plot_e2e)):
        data = load(results, section)
        path = os.path.join(outdir, name + ".png")
        if data and fn(data, path):
            print("plot: %s" % path)


if __name__ == "__main__":
    main()
