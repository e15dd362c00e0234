#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The bench's measurements; tests/bench/run builds everything and calls
this. Every section runs tcsteer and its peers in the same run and writes
RESULTS/<section>.json; report.py turns those into the table of ratios.

  bench.py --results DIR --tools DIR --tcsteer BIN [--goref BIN]
           [--src DIR] [--smoke]
           [--only attach,profile,many,datapath,e2e,footprint]

Peers: floor (tests/bench/floor.c, static and dynamic), libbpf_attach
(libbpf, dynamic and static), the Go reference (tests/golden/goref), and
iproute2's tc. All load the same object, bpf/steer_nopin.o: the shipped
steering program with unpinned maps (see bpf/steer_nopin.bpf.c), except
the row "tcsteer", which is tcsteer as users run it: the embedded program,
maps pinned.
"""
import argparse
import ipaddress
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from benchlib import (BenchError, Netns, attached_count,  # noqa: E402
                      clean_devices, have, in_netns, log, measure,
                      perf_attribution, perf_record, run, state_dir,
                      strace_phases, summary, time_once, write_json)

SECTIONS = ("attach", "profile", "many", "datapath", "learn", "e2e",
            "footprint")

# How much each section measures: a full run (a few minutes) and --smoke,
# which only proves that every peer attaches and every measurement runs.
FULL = {"attach_sets": (("steer", 30), ("kept", 30), ("small", 20),
                        ("empty", 20)),
        "attach_warmup": 3, "attach_rounds": 3, "verifier_runs": 7,
        "start_runs": 50, "strace_runs": 3, "perf_runs": 20,
        "profile_peers": None,
        "many_sizes": (1, 16, 64, 256),
        "many_runs": {1: 9, 16: 9, 64: 9, 256: 5}, "rss_runs": 3,
        "dp_args": [], "learn_args": [], "e2e_rounds": 6}
SMOKE = {"attach_sets": (("steer", 2), ("kept", 2)), "attach_warmup": 0,
         "attach_rounds": 1,
         "verifier_runs": 1, "start_runs": 3, "strace_runs": 1,
         "perf_runs": 2, "profile_peers": ("tcsteer", "floor (static)"),
         "many_sizes": (1, 3), "many_runs": {1: 1, 3: 1}, "rss_runs": 1,
         "dp_args": ["-s", "1,1000", "-t", "2", "-k", "3"],
         "learn_args": ["-t", "2", "-k", "3", "-f", "1000"], "e2e_rounds": 1}


class Ctx:
    def __init__(self, a):
        self.smoke = a.smoke
        self.p = SMOKE if a.smoke else FULL
        self.results = a.results
        self.tools = a.tools
        self.src = a.src
        self.tcsteer = a.tcsteer
        self.goref = a.goref if a.goref and os.access(a.goref, os.X_OK) \
            else None
        # Namespaces and devices carry the run's tag; tcsteer's state of
        # each namespace goes with it (Netns.close).
        self.tag = "bn%d" % (os.getpid() % 100000)
        self.namespaces = []
        self.tmp = tempfile.mkdtemp(prefix="tcsteer-bench.")
        self.obj = os.path.join(self.tools, "bpf", "steer_nopin.o")
        self.small = os.path.join(self.tools, "bpf", "steer_small.o")
        self.empty = os.path.join(self.tools, "bpf", "empty.o")

    def tool(self, name):
        p = os.path.join(self.tools, name)
        return p if os.access(p, os.X_OK) else None

    def netns(self, suffix):
        ns = Netns("%s-%s" % (self.tag, suffix))
        self.namespaces.append(ns)
        return ns

    def file(self, name, lines):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p

    def cleanup(self):
        for ns in self.namespaces:
            ns.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---- the peers ------------------------------------------------------------

# The floor built for each program the attach bench loads.
FLOOR_FOR = {"steer": "floor", "kept": "floor", "small": "floor-small",
             "empty": "floor-empty"}


def attach_commands(ctx, dev, program="steer"):
    """name -> argv attaching one program (the steering program as shipped,
    "kept": the same, attached again where only the clsact qdisc was
    removed (tcsteer's state kept), "small": the same with 256-entry
    tables, "empty") to dev's egress, for every peer that is available;
    skipped peers -> reason."""
    shipped = program in ("steer", "kept")
    obj, func = {"steer": (ctx.obj, "steer"), "kept": (ctx.obj, "steer"),
                 "small": (ctx.small, "steer"),
                 "empty": (ctx.empty, "empty")}[program]
    cmds, skipped = {}, {}
    if shipped:
        cmds["tcsteer"] = [ctx.tcsteer, "attach", "dev", dev, "egress"]
    cmds["tcsteer (file)"] = [ctx.tcsteer, "attach", "dev", dev, "egress",
                              "object", obj]
    cmds["floor (static)"] = [ctx.tool(FLOOR_FOR[program]), dev]
    if shipped:
        cmds["floor (dynamic)"] = [ctx.tool("floor-dyn"), dev]
    if ctx.tool("libbpf_attach"):
        cmds["libbpf"] = [ctx.tool("libbpf_attach"), obj, func, dev]
        cmds["libbpf (static)"] = [ctx.tool("libbpf_attach-static"), obj,
                                   func, dev]
    else:
        skipped["libbpf"] = "libbpf-dev not installed"
    if ctx.goref:
        cmds["go"] = [ctx.goref, dev, obj, func, "egress"]
    else:
        skipped["go"] = "goref not built (golang-go missing?)"
    if have("tc"):
        cmds["tc pair"] = ["sh", "-c",
                           "tc qdisc replace dev %s clsact && tc filter "
                           "replace dev %s egress bpf da obj %s sec tc" %
                           (dev, dev, obj)]
        batch = ctx.file("tc-%s-%s.batch" % (dev, program), [
            "qdisc replace dev %s clsact" % dev,
            "filter replace dev %s egress bpf da obj %s sec tc" % (dev, obj)])
        cmds["tc -batch"] = ["tc", "-batch", batch]
    return cmds, skipped


def check_attaches(cmds, devs):
    """Each command must really attach (a timing of a failure is worth
    nothing): run once on clean devices, count the filters."""
    for name, argv in cmds.items():
        clean_devices(devs)
        run(argv)
        n = attached_count(devs)
        if n != len(devs):
            raise BenchError("%s attached %d filters, expected %d" %
                             (name, n, len(devs)))
    clean_devices(devs)


# ---- load + attach, one interface ------------------------------------------

def section_attach(ctx):
    """Whole-process load + attach on one fresh interface: hyperfine,
    clsact and tcsteer's state removed before every run (the "kept" set:
    only the clsact qdisc, as when something else deleted it)."""
    warmup = ctx.p["attach_warmup"]
    ns = ctx.netns("a")
    dev = ctx.tag + "a"
    ns.veths([dev])
    out = {"device": dev, "sets": {}}
    with in_netns(ns.name):
        # The floor's cleanup mode: a static binary deleting the qdisc and
        # the namespace's tcsteer state costs ~1 ms where `sh -c "tc ...;
        # rm ..."` costs ~10.
        fresh = [ctx.tool("floor"), "-D", dev, state_dir()]
        for program, runs in ctx.p["attach_sets"]:
            cmds, skipped = attach_commands(ctx, dev, program)
            log("attach: %s program, %d peers x %d runs" %
                (program, len(cmds), runs))
            check_attaches(cmds, [dev])
            prepare = [ctx.tool("floor"), "-D", dev] \
                if program == "kept" else fresh
            res = measure(cmds, runs, warmup, prepare=prepare,
                          rounds=ctx.p["attach_rounds"])
            out["sets"][program] = {
                "runs": runs, "results": res, "skipped": skipped,
                "commands": {k: " ".join(v) for k, v in cmds.items()}}
        clean_devices([dev])
    write_json(os.path.join(ctx.results, "attach.json"), out)


# ---- where the time goes ---------------------------------------------------

def verifier_stats(ctx, dev):
    """The floor loads with log level 4: the verifier's own timing."""
    us, insns = [], None
    for _ in range(ctx.p["verifier_runs"]):
        clean_devices([dev])
        p = run([ctx.tool("floor"), "-s", dev])
        m = re.search(r"verification time (\d+) usec", p.stderr)
        i = re.search(r"processed (\d+) insns", p.stderr)
        if m:
            us.append(int(m.group(1)) / 1e6)
        if i:
            insns = int(i.group(1))
    return {"verification": summary(us), "processed_insns": insns}


def median_trace(traces):
    """The run whose total kernel time is the median of the runs: strace's
    figures are single runs, so take a typical one rather than the first."""
    def total(t):
        return sum(v["seconds"] for k, v in t["phases"].items()
                   if not k.startswith("waiting"))
    return sorted(traces, key=total)[len(traces) // 2]


# The processes that do one peer's attach, by name (perf tells them apart
# from the loop's own shell and cleanup).
PEER_COMMS = {"tcsteer": {"tcsteer"}, "tcsteer (file)": {"tcsteer"},
              "floor (static)": {"floor", "floor-small", "floor-empty"},
              "floor (dynamic)": {"floor-dyn"},
              "libbpf": {"libbpf_attach"},
              "libbpf (static)": {"libbpf_attach-s"}, "go": {"goref"},
              "tc pair": {"tc"}, "tc -batch": {"tc"}}


def perf_profile(ctx, cmds, dev):
    """perf record of `perf_runs` attaches per peer: CPU ms per attach in
    the verifier, map creation, exec, the dynamic linker... The cleanup
    between runs uses a copy of tc under another name, so that its samples
    are not counted with the tc peers'."""
    runs = ctx.p["perf_runs"]
    tc_clean = os.path.join(ctx.tmp, "tc-clean")
    shutil.copy(shutil.which("tc"), tc_clean)
    out = {"runs": runs}
    for name, argv in cmds.items():
        script = ctx.file("perf-loop.sh", [
            "for i in $(seq %d); do" % runs,
            "\t%s qdisc del dev %s clsact 2>/dev/null" % (tc_clean, dev),
            "\trm -rf %s" % state_dir(),
            "\t%s >/dev/null || exit 1" % " ".join(
                shlex.quote(a) for a in argv),
            "done"])
        data = os.path.join(ctx.tmp, "perf.data")
        perf_record(script, data)
        out[name] = perf_attribution(data, PEER_COMMS.get(name, {name}), runs)
    return out


def section_profile(ctx):
    """strace -f -T of one attach per peer (syscalls and kernel time per
    phase), process start alone, and the verifier's own time."""
    ns = ctx.netns("p")
    dev = ctx.tag + "p"
    ns.veths([dev])
    cmds, skipped = attach_commands(ctx, dev)
    if ctx.p["profile_peers"]:
        cmds = {k: v for k, v in cmds.items() if k in ctx.p["profile_peers"]}
    out = {"strace": {}, "skipped": skipped}
    with in_netns(ns.name):
        log("profile: strace of one attach per peer")
        for name, argv in cmds.items():
            traces = []
            for _ in range(ctx.p["strace_runs"]):
                clean_devices([dev])
                trace = os.path.join(ctx.tmp, "strace.txt")
                run(["strace", "-f", "-T", "-qq", "-o", trace] + argv)
                traces.append(strace_phases(trace))
            out["strace"][name] = median_trace(traces)
        # tcsteer again where only the qdisc went (its state kept), and
        # attaching what already runs (a no-op).
        for name, keep_qdisc in (("tcsteer, state kept", False),
                                 ("tcsteer, no-op", True)):
            traces = []
            for _ in range(ctx.p["strace_runs"]):
                clean_devices([dev])
                run(cmds["tcsteer"])
                if not keep_qdisc:
                    run([ctx.tool("floor"), "-D", dev])
                trace = os.path.join(ctx.tmp, "strace.txt")
                run(["strace", "-f", "-T", "-qq", "-o", trace] +
                    cmds["tcsteer"])
                traces.append(strace_phases(trace))
            out["strace"][name] = median_trace(traces)
        clean_devices([dev])
        if have("perf"):
            log("profile: perf, CPU time by category")
            out["perf"] = perf_profile(ctx, cmds, dev)
        log("profile: verifier statistics")
        out["verifier"] = verifier_stats(ctx, dev)
        clean_devices([dev])
    log("profile: process start")
    start = {"tcsteer": [ctx.tcsteer, "--version"],
             "floor (static)": [ctx.tool("floor"), "-V"],
             "floor (dynamic)": [ctx.tool("floor-dyn"), "-V"]}
    if ctx.tool("libbpf_attach"):
        # No arguments: usage and exit 2, after the dynamic loader ran.
        start["libbpf"] = [ctx.tool("libbpf_attach")]
        start["libbpf (static)"] = [ctx.tool("libbpf_attach-static")]
    if ctx.goref:
        start["go"] = [ctx.goref]
    if have("tc"):
        start["tc"] = ["tc", "-V"]
    out["start"] = measure(start, ctx.p["start_runs"], 3,
                           ignore_failure=True, rounds=ctx.p["attach_rounds"])
    write_json(os.path.join(ctx.results, "profile.json"), out)


# ---- many interfaces -------------------------------------------------------

def many_commands(ctx, devs):
    """One invocation attaching the steering program to every dev, per
    peer that has one; the Go tool (and tcsteer without a batch) take one
    process per device: a shell loop."""
    n = len(devs)
    cmds = {}
    apply = ctx.file("attach-%d.tcsteer" % n,
                     ["attach dev %s egress" % d for d in devs])
    cmds["tcsteer apply"] = [ctx.tcsteer, "apply", apply]
    # One table for all devices: tcsteer loads the program once.
    shared = ctx.file("attach-shared-%d.tcsteer" % n,
                      ["attach dev %s egress table %s" % (d, shared_table(ctx))
                       for d in devs])
    cmds["tcsteer apply, one table"] = [ctx.tcsteer, "apply", shared]
    # The same object file as the peers, one table (issue 10's case).
    shared_obj = ctx.file("attach-obj-%d.tcsteer" % n, [
        "attach dev %s egress object %s table %s" % (d, ctx.obj,
                                                     shared_table(ctx))
        for d in devs])
    cmds["tcsteer apply, object, one table"] = [ctx.tcsteer, "apply",
                                                shared_obj]
    # sh -c LOOP PROGRAM DEV...: PROGRAM is $0, the devices "$@".
    loop = 'for d; do "$0" %s || exit 1; done'
    if n <= 100:
        cmds["tcsteer loop"] = ["sh", "-c", loop % 'attach dev "$d" egress',
                                ctx.tcsteer] + devs
    cmds["floor"] = [ctx.tool("floor")] + devs
    # The least a table per device costs: maps and program per device.
    cmds["floor (table per device)"] = [ctx.tool("floor"), "-m"] + devs
    # Not a peer, a what-if: the floor attaching with TCX instead of clsact.
    cmds["floor (tcx)"] = [ctx.tool("floor"), "-x"] + devs
    if ctx.tool("libbpf_attach"):
        cmds["libbpf"] = [ctx.tool("libbpf_attach"), ctx.obj, "steer"] + devs
    if have("tc"):
        lines = []
        for d in devs:
            lines += ["qdisc replace dev %s clsact" % d,
                      "filter replace dev %s egress bpf da obj %s sec tc" %
                      (d, ctx.obj)]
        cmds["tc -batch"] = ["tc", "-batch", ctx.file("many-%d.tc" % n, lines)]
    # One Go process per device: 1000 of them take over a minute, which the
    # bench cannot afford; its per-device cost is flat from 10 to 100.
    if ctx.goref and n <= 100:
        go_args = '"$d" %s steer egress' % ctx.obj
        cmds["go loop"] = ["sh", "-c", loop % go_args, ctx.goref] + devs
    return cmds


def shared_table(ctx):
    return ctx.tag + "t"


def many_clean(ctx, devs):
    """clsact, pins (the shared table's too) and TCX programs gone from
    devs."""
    clean_devices(devs)
    run([ctx.tool("floor"), "-X"] + devs)


def many_attached(ctx, name, devs):
    if "tcx" in name:
        return int(run([ctx.tool("floor"), "-X"] + devs).stdout)
    return attached_count(devs)


def percpu_probe(ctx):
    """Microseconds to create one 16384-slot per-CPU array now."""
    return int(run([ctx.tool("floor"), "-P"]).stdout)


def settle_percpu(ctx, baseline, limit=20.0):
    """Waits until creating a per-CPU array is about as fast as on a quiet
    kernel. Freeing the last run's arrays (1000 attaches leave 1000 of
    them, 16M per-CPU frees) takes seconds in a kernel worker after the
    qdiscs are gone, holds the per-CPU allocator's lock, and would be
    billed to whichever peer runs next."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if percpu_probe(ctx) < 1.5 * baseline + 1000:
            return
        time.sleep(0.1)


def section_many(ctx):
    """Attach to 1, 16, 64, 256 interfaces in one invocation."""
    sizes = list(ctx.p["many_sizes"])
    runs = ctx.p["many_runs"]
    ns = ctx.netns("m")
    all_devs = ["%sm%d" % (ctx.tag, i) for i in range(max(sizes))]
    log("many: creating %d veth pairs" % len(all_devs))
    ns.veths(all_devs, up=False)
    baseline = min(percpu_probe(ctx) for _ in range(3))
    out = {"sizes": sizes, "results": {}, "percpu_probe_us": baseline}
    with in_netns(ns.name):
        for n in sizes:
            devs = all_devs[:n]
            cmds = many_commands(ctx, devs)

            def prepare():
                many_clean(ctx, devs)
                settle_percpu(ctx, baseline)
            # Interleaved: run i of every peer, then run i+1 of every
            # peer, so that a slow spell of a shared machine lands on all.
            times = {name: [] for name in cmds}
            for i in range(runs[n]):
                for name, argv in cmds.items():
                    times[name].append(time_once(argv, prepare))
                    if i == 0 and many_attached(ctx, name, devs) != n:
                        raise BenchError("many: %s did not attach to all %d"
                                         % (name, n))
            for name in cmds:
                out["results"].setdefault(name, {})[str(n)] = \
                    dict(summary(times[name]), times=times[name])
                log("many: %-34s N=%-4d %8.1f ms" %
                    (name, n, 1e3 * out["results"][name][str(n)]["median"]))
        # Where a batch's time goes: strace of tcsteer apply and of the
        # floor on the largest size that keeps strace's slowdown short.
        n = min(64, max(sizes))
        devs = all_devs[:n]
        cmds = many_commands(ctx, devs)
        out["strace_n"] = n
        out["strace"] = {}
        for name in ("tcsteer apply", "tcsteer apply, one table",
                     "tcsteer apply, object, one table", "floor",
                     "floor (table per device)", "libbpf"):
            if name not in cmds:
                continue
            many_clean(ctx, devs)
            settle_percpu(ctx, baseline)
            trace = os.path.join(ctx.tmp, "strace-many.txt")
            run(["strace", "-f", "-T", "-qq", "-o", trace] + cmds[name])
            out["strace"][name] = strace_phases(trace)
        many_clean(ctx, all_devs)
    write_json(os.path.join(ctx.results, "many.json"), out)


# ---- data path --------------------------------------------------------------

def section_datapath(ctx):
    """ns per packet with BPF_PROG_TEST_RUN (dp_bench.c)."""
    argv = [ctx.tool("dp_bench")] + ctx.p["dp_args"] + \
        [os.path.join(ctx.tools, "dp")]
    log("datapath: %s" % " ".join(argv[1:]))
    p = run(argv, timeout=900)
    runs, fills = [], []
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "run":
            runs.append({"prog": f[1], "family": f[2], "case": f[3],
                         "size": int(f[4]), "ns": int(f[5]),
                         "ns_min": int(f[6]), "ns_max": int(f[7]),
                         "repeat": int(f[8]), "retval": int(f[9])})
        elif f[0] == "fill":
            fills.append({"prog": f[1], "family": f[2], "size": int(f[3]),
                          "us_per_update": float(f[4])})
    write_json(os.path.join(ctx.results, "datapath.json"),
               {"runs": runs, "fills": fills})


# ---- return-path learning -------------------------------------------------

def section_learn(ctx):
    """ns per packet of learn routes against a via route (learn_bench.c)."""
    argv = [ctx.tool("learn_bench")] + ctx.p["learn_args"] + \
        [os.path.join(ctx.tools, "dp", "steer.o")]
    log("learn: %s" % " ".join(argv[1:]))
    p = run(argv, timeout=300)
    runs = []
    for line in p.stdout.splitlines():
        f = line.split("\t")
        if f[0] == "run":
            runs.append({"prog": f[1], "case": f[2], "family": f[3],
                         "ns": int(f[4]), "ns_min": int(f[5]),
                         "ns_max": int(f[6]), "repeat": int(f[7]),
                         "retval": int(f[8])})
    write_json(os.path.join(ctx.results, "learn.json"), {"runs": runs})


# ---- end to end in the netns lab -------------------------------------------

def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
    return env


class Lab:
    """compose/netns-lab.sh with this run's prefix, fixed both ways at once:
    its VIPs (topology.env) steered by tcsteer (`netns-lab.sh fix`), and a
    second pair of VIPs, the next addresses, added here on the server's lo
    and sent out of eth1 by source policy routing (`ip rule from VIP lookup
    4242`). Both paths are live together, so the measurements alternate
    between them second by second with nothing reconfigured in between."""
    TABLE = "4242"
    PORT_IPERF, PORT_TCP4, PORT_TCP6 = 5201, 9101, 9102

    def __init__(self, ctx):
        self.ctx = ctx
        self.script = os.path.join(ctx.src, "compose", "netns-lab.sh")
        self.topo = t = read_env(os.path.join(ctx.src, "compose",
                                              "topology.env"))
        self.prefix = ctx.tag
        self.server = self.prefix + "-server"
        self.router = self.prefix + "-router"
        self.client = self.prefix + "-client"
        self.vips = {
            "tcsteer": (t["VIP4"], t["VIP6"]),
            "policy": (str(ipaddress.ip_address(t["VIP4"]) + 1),
                       str(ipaddress.ip_address(t["VIP6"]) + 1)),
        }
        self.servers = []
        self.iperf = None

    def lab(self, verb, check=True):
        env = dict(os.environ, TCSTEER=self.ctx.tcsteer)
        return run([self.script, verb, "--prefix", self.prefix], env=env,
                   check=check, timeout=120)

    def add_policy_vips(self):
        """The second VIPs: on the server's lo, routed to it by the router
        and the client like the lab's own, and policy-routed back."""
        t = self.topo
        v4, v6 = self.vips["policy"]
        ip = ["ip", "-n"]
        run(ip + [self.server, "addr", "add", v4 + "/32", "dev", "lo"])
        run(ip + [self.server, "-6", "addr", "add", v6 + "/128", "dev", "lo"])
        run(ip + [self.router, "route", "add", v4 + "/32", "via",
                  t["SERVER_SECONDARY4"]])
        run(ip + [self.router, "-6", "route", "add", v6 + "/128", "via",
                  t["SERVER_SECONDARY6"]])
        run(ip + [self.client, "route", "add", v4 + "/32", "via",
                  t["ROUTER_CLIENT4"]])
        run(ip + [self.client, "-6", "route", "add", v6 + "/128", "via",
                  t["ROUTER_CLIENT6"]])
        for fam, vip, via in (("-4", v4, t["ROUTER_SECONDARY4"]),
                              ("-6", v6, t["ROUTER_SECONDARY6"])):
            run(ip + [self.server, fam, "rule", "add", "from", vip,
                      "lookup", self.TABLE, "pref", "1000"])
            run(ip + [self.server, fam, "route", "add", "default", "via",
                      via, "dev", t["SERVER_SECONDARY_IF"], "table",
                      self.TABLE])

    def reachable(self, mode):
        """Every VIP of mode answers a ping from the client."""
        with in_netns(self.client):
            for vip in self.vips[mode]:
                if run(["ping", "-c", "1", "-W", "1", vip],
                       check=False).returncode:
                    return False
        return True

    def start(self, argv):
        with in_netns(self.server):
            p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        self.servers.append(p)
        return p

    def start_servers(self):
        """iperf3 on every address; one TCP echo listener per VIP."""
        tcp = self.ctx.tool("tcp_crr")
        self.iperf = self.start(["iperf3", "-s", "-p", str(self.PORT_IPERF)])
        for v4, v6 in self.vips.values():
            self.start([tcp, "-l", v4, str(self.PORT_TCP4)])
            self.start([tcp, "-l", v6, str(self.PORT_TCP6)])
        time.sleep(0.3)

    def restart_iperf(self):
        log("e2e: iperf3 hung; restarting its server")
        self.iperf.kill()
        self.iperf.wait()
        self.servers.remove(self.iperf)
        self.iperf = self.start(["iperf3", "-s", "-p", str(self.PORT_IPERF)])
        time.sleep(0.3)

    def stop_servers(self):
        for p in self.servers:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.servers = []


def iperf(lab, vip, reverse, secs):
    """Bits per second received, after a first second left out (slow
    start). iperf3 3.12 now and then never finishes a test: then its server
    is restarted and the test run once more."""
    argv = ["iperf3", "-c", vip, "-p", str(Lab.PORT_IPERF), "-t", str(secs),
            "-O", "1", "-J"] + (["-R"] if reverse else [])
    try:
        p = run(argv, timeout=secs + 11)
    except BenchError:
        lab.restart_iperf()
        p = run(argv, timeout=secs + 11)
    return json.loads(p.stdout)["end"]["sum_received"]["bits_per_second"]


def ping_flood(vip, count):
    """ping -f: its rtt average (printed to the microsecond only) and the
    whole run's time per ping, which a flood ping spends waiting for each
    reply before it sends the next: a finer round-trip figure."""
    p = run(["ping", "-f", "-q", "-c", str(count), vip], timeout=60)
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", p.stdout)
    loss = re.search(r"([\d.]+)% packet loss, time (\d+)ms", p.stdout)
    if not m or not loss:
        raise BenchError("ping: no statistics in: %s" % p.stdout[-200:])
    return {"avg_ms": float(m.group(2)), "mdev_ms": float(m.group(4)),
            "loss_pct": float(loss.group(1)),
            "us_per_ping": 1e3 * int(loss.group(2)) / count}


def tcp_rate(ctx, mode, vip, port, secs):
    """tcp_crr -c (connections/s) or -r (request/responses/s)."""
    p = run([ctx.tool("tcp_crr"), mode, vip, str(port), str(secs)],
            timeout=secs + 30)
    return float(p.stdout.split()[2])


def measure_vips(ctx, lab, mode):
    v4, v6 = lab.vips[mode]
    with in_netns(lab.client):
        return {
            "iperf_fwd_bps": iperf(lab, v4, False, 1),
            "iperf_rev_bps": iperf(lab, v4, True, 1),
            "ping4": ping_flood(v4, 5000),
            "ping6": ping_flood(v6, 5000),
            "crr4_per_s": tcp_rate(ctx, "-c", v4, Lab.PORT_TCP4, 0.5),
            "crr6_per_s": tcp_rate(ctx, "-c", v6, Lab.PORT_TCP6, 0.5),
            "rr4_per_s": tcp_rate(ctx, "-r", v4, Lab.PORT_TCP4, 0.5),
            "rr6_per_s": tcp_rate(ctx, "-r", v6, Lab.PORT_TCP6, 0.5),
        }


def section_e2e(ctx):
    """iperf3, ping flood, TCP connects and request/responses in the netns
    lab: replies steered by tcsteer vs by `ip rule from VIP`, alternated."""
    for tool in ("iperf3", "ping", "socat"):
        if not have(tool):
            raise BenchError("e2e needs %s" % tool)
    lab = Lab(ctx)
    rounds = ctx.p["e2e_rounds"]
    out = {"rounds": rounds, "modes": {"tcsteer": [], "policy": []},
           "vips": lab.vips}
    lab.lab("up")
    try:
        # Before any fix the replies must die: else nothing is measured.
        out["broken_without_fix"] = not lab.reachable("tcsteer")
        lab.add_policy_vips()
        lab.lab("fix")
        for mode in lab.vips:
            if not lab.reachable(mode):
                raise BenchError("e2e: the %s VIPs do not answer" % mode)
        lab.start_servers()
        for r in range(rounds):
            # ABBA BAAB...: drift of a shared machine hits both alike.
            order = ("policy", "tcsteer") if r % 4 in (0, 3) else \
                ("tcsteer", "policy")
            for mode in order:
                res = measure_vips(ctx, lab, mode)
                out["modes"][mode].append(res)
                log("e2e: round %d %-8s fwd %.2f Gbit/s rev %.2f Gbit/s "
                    "ping %.1f us crr %.0f/s rr %.0f/s" %
                    (r + 1, mode, res["iperf_fwd_bps"] / 1e9,
                     res["iperf_rev_bps"] / 1e9,
                     res["ping4"]["us_per_ping"], res["crr4_per_s"],
                     res["rr4_per_s"]))
    finally:
        lab.stop_servers()
        lab.lab("down", check=False)
    write_json(os.path.join(ctx.results, "e2e.json"), out)


# ---- footprint --------------------------------------------------------------

def libraries(path):
    """Shared libraries `ldd` resolves for path: name -> size in bytes."""
    p = subprocess.run(["ldd", path], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    libs = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*(\S+)\s+=>\s+(/\S+)", line) or \
            re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            real = os.path.realpath(m.groups()[-1])
            libs[os.path.basename(m.group(1))] = os.path.getsize(real)
    return libs


def stripped_size(path, tmp):
    copy = os.path.join(tmp, "stripped")
    shutil.copy(path, copy)
    run(["strip", "--strip-all", copy])
    size = os.path.getsize(copy)
    os.unlink(copy)
    return size


def peak_rss_kb(argvs, prepare, runs):
    """Peak RSS over the processes of one attach (GNU time's %M: a child
    forked by this Python would count the Python it was copied from);
    median of `runs` attaches."""
    peaks = []
    for _ in range(runs):
        prepare()
        peak = 0
        for argv in argvs:
            p = run(["/usr/bin/time", "-f", "RSS %M"] + argv)
            m = re.findall(r"RSS (\d+)", p.stderr)
            peak = max(peak, int(m[-1]))
        peaks.append(peak)
    return sorted(peaks)[len(peaks) // 2]


def section_footprint(ctx):
    """Stripped binary size, shared libraries, peak RSS of one attach."""
    ns = ctx.netns("f")
    dev = ctx.tag + "f"
    ns.veths([dev])
    obj = ctx.obj
    peers = {
        "tcsteer": ([ctx.tcsteer], [[ctx.tcsteer, "attach", "dev", dev,
                                     "egress"]]),
        "floor (static)": ([ctx.tool("floor")], [[ctx.tool("floor"), dev]]),
        "floor (dynamic)": ([ctx.tool("floor-dyn")],
                            [[ctx.tool("floor-dyn"), dev]]),
    }
    if ctx.tool("libbpf_attach"):
        for name, tool in (("libbpf", "libbpf_attach"),
                           ("libbpf (static)", "libbpf_attach-static")):
            peers[name] = ([ctx.tool(tool)],
                           [[ctx.tool(tool), obj, "steer", dev]])
    if ctx.goref:
        peers["go"] = ([ctx.goref], [[ctx.goref, dev, obj, "steer",
                                      "egress"]])
    tc = shutil.which("tc")
    if tc:
        peers["tc pair"] = ([tc], [
            [tc, "qdisc", "replace", "dev", dev, "clsact"],
            [tc, "filter", "replace", "dev", dev, "egress", "bpf", "da",
             "obj", obj, "sec", "tc"]])
    if not os.access("/usr/bin/time", os.X_OK):
        raise BenchError("footprint needs GNU time (apt-get install time)")
    out = {"peers": {}}
    for name in ("steer_bpf.embed.o", "steer_bpf.o"):
        embedded = os.path.join(os.path.dirname(ctx.tcsteer), "prog", name)
        if os.path.exists(embedded):
            out["embedded_object_bytes"] = os.path.getsize(embedded)
            break
    with in_netns(ns.name):
        for name, (bins, argvs) in peers.items():
            libs = libraries(bins[0])
            out["peers"][name] = {
                "binary": bins[0],
                "bytes": os.path.getsize(bins[0]),
                "stripped_bytes": stripped_size(bins[0], ctx.tmp),
                "libraries": libs,
                "rss_kb": peak_rss_kb(argvs, lambda: clean_devices([dev]),
                                      ctx.p["rss_runs"]),
            }
            log("footprint: %-16s %8d bytes stripped, %d libraries" %
                (name, out["peers"][name]["stripped_bytes"], len(libs)))
        clean_devices([dev])
    write_json(os.path.join(ctx.results, "footprint.json"), out)


# ---- the machine ------------------------------------------------------------

def version(argv, pattern=r"(\d+\.\d+[\w.~+-]*)"):
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, p.stdout)
    return m.group(1) if m else None


def deb_version(pkg):
    return version(["dpkg-query", "-W", "-f", "${Version}", pkg], r"(\S+)")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine(ctx):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    git = version(["git", "-C", ctx.src, "describe", "--always", "--dirty"],
                  r"(\S+)")
    return {
        "kernel": platform.release(), "cpu": cpu, "cpus": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "os": version(["sh", "-c", ". /etc/os-release; echo $PRETTY_NAME"],
                      r"(.+)"),
        "tcsteer": "%s (%s)" % (version([ctx.tcsteer, "--version"]), git),
        "gcc": version(["gcc", "-dumpfullversion"]),
        "clang": version(["clang", "--version"]),
        "go": version(["go", "version"], r"go(\d+\.\d+[\w.]*)"),
        "libbpf": deb_version("libbpf1"),
        "iproute2": deb_version("iproute2"),
        "cilium-ebpf": deb_version("golang-github-cilium-ebpf-dev"),
        "vishvananda-netlink":
            deb_version("golang-github-vishvananda-netlink-dev"),
        "hyperfine": version(["hyperfine", "--version"]),
        "iperf3": version(["iperf3", "--version"]),
        "smoke": ctx.smoke,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--tools", required=True)
    ap.add_argument("--tcsteer", required=True)
    ap.add_argument("--goref")
    ap.add_argument("--src", default=os.path.abspath(
        os.path.join(os.path.dirname(__file__), "..", "..")))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default=",".join(SECTIONS))
    a = ap.parse_args()
    only = [s for s in a.only.split(",") if s]
    for s in only:
        if s not in SECTIONS:
            ap.error("unknown section %s (one of %s)" %
                     (s, ", ".join(SECTIONS)))
    if os.geteuid() != 0:
        sys.exit("bench.py: needs root (network namespaces, bpf)")
    os.makedirs(a.results, exist_ok=True)
    ctx = Ctx(a)
    failed = {}
    info = machine(ctx)
    info["loadavg_start"] = loadavg()
    try:
        write_json(os.path.join(a.results, "machine.json"), info)
        for s in only:
            t0 = time.monotonic()
            try:
                globals()["section_" + s](ctx)
            except BenchError as e:
                failed[s] = str(e)
                log("bench: %s: %s" % (s, e))
            log("bench: %s done in %.0f s" % (s, time.monotonic() - t0))
    finally:
        ctx.cleanup()
    # How busy the machine was: other tenants' load is the bench's noise.
    info["loadavg_end"] = loadavg()
    write_json(os.path.join(a.results, "machine.json"), info)
    write_json(os.path.join(a.results, "failed.json"), failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
