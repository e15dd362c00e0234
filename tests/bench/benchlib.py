# SPDX-License-Identifier: MIT
"""Helpers shared by the bench's sections: namespaces, timing, statistics,
strace accounting. Standard library only (Debian's /usr/bin/python3)."""
import ctypes
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
PIN_ROOT = "/sys/fs/bpf/tcsteer"
SO_NETNS_COOKIE = 71  # <asm-generic/socket.h>, kernel 5.14
_libc = ctypes.CDLL(None, use_errno=True)


class BenchError(Exception):
    """A measurement that could not be made; the message is one line."""


def log(msg):
    print(msg, flush=True)


def run(argv, check=True, capture=True, timeout=600, **kw):
    """subprocess.run with text output; a failure raises BenchError with
    the command's last stderr line."""
    try:
        p = subprocess.run(argv, text=True, timeout=timeout,
                           stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.PIPE if capture else None, **kw)
    except subprocess.TimeoutExpired:
        raise BenchError("%s: timed out after %ds" % (argv[0], timeout))
    if check and p.returncode != 0:
        err = (p.stderr or "").strip().splitlines()
        raise BenchError("%s failed (exit %d): %s" %
                         (" ".join(map(str, argv[:4])), p.returncode,
                          err[-1] if err else "no message"))
    return p


# ---- network namespaces ---------------------------------------------------

def _setns(path):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            e = ctypes.get_errno()
            raise BenchError("setns %s: %s" % (path, os.strerror(e)))
    finally:
        os.close(fd)


@contextmanager
def in_netns(name):
    """Runs the block (and every process it starts) in netns `name`. The
    driver enters it itself instead of prefixing commands with nsenter, so
    that timings carry no extra exec; /sys stays the host's, and with it
    /sys/fs/bpf (unlike `ip netns exec`)."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns("/run/netns/" + name)
        yield
    finally:
        try:
            if _libc.setns(home, CLONE_NEWNET) != 0:
                raise BenchError("cannot return to the original netns")
        finally:
            os.close(home)


class Netns:
    """A namespace of this run; deleted by close() (or the driver's final
    cleanup, which removes every namespace carrying the run's tag)."""

    def __init__(self, name):
        self.name = name
        run(["ip", "netns", "add", name])
        run(["ip", "-n", name, "link", "set", "lo", "up"])

    def ip_batch(self, lines):
        with tempfile.NamedTemporaryFile("w", suffix=".batch") as f:
            f.write("\n".join(lines) + "\n")
            f.flush()
            run(["ip", "-n", self.name, "-batch", f.name])

    def veths(self, names, up=True):
        """One veth pair per name, its peer called name + "p"."""
        self.ip_batch(["link add %s type veth peer name %sp" % (n, n)
                       for n in names])
        if up:
            self.ip_batch(["link set %s up" % n for n in names] +
                          ["link set %sp up" % n for n in names])

    def close(self):
        """The namespace and tcsteer's state of it (its cookie's
        directory: `tcsteer gc` would remove other namespaces' too)."""
        try:
            with in_netns(self.name):
                shutil.rmtree(state_dir(), ignore_errors=True)
        except (BenchError, OSError):
            pass
        subprocess.run(["ip", "netns", "del", self.name],
                       stderr=subprocess.DEVNULL)


def tc_batch(lines, force=True):
    """tc -batch in the current netns; with force, errors do not stop it
    (deleting a qdisc that is not there)."""
    with tempfile.NamedTemporaryFile("w", suffix=".tc") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        argv = ["tc"] + (["-force"] if force else []) + ["-batch", f.name]
        return run(argv, check=not force)


def state_dir():
    """tcsteer's state directory of the network namespace this process is
    in: <bpffs>/tcsteer/netns/<cookie> (docs/design.md). Every bench
    namespace is the run's own, so the whole directory is the run's."""
    import socket
    import struct
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        cookie = struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET,
                                                 SO_NETNS_COOKIE, 8))[0]
    return os.path.join(PIN_ROOT, "netns", str(cookie))


def clean_devices(devs):
    """No clsact on devs, no tcsteer state in this namespace: the state
    before a first attach."""
    tc_batch(["qdisc del dev %s clsact" % d for d in devs])
    shutil.rmtree(state_dir(), ignore_errors=True)


def attached_count(devs):
    """How many of devs have a direct-action bpf filter on egress."""
    p = tc_batch(["filter show dev %s egress" % d for d in devs])
    return p.stdout.count("direct-action")


# ---- statistics -----------------------------------------------------------

def summary(times):
    """Median, quartiles and extremes of a list of seconds."""
    t = sorted(times)
    if not t:
        return None
    q = statistics.quantiles(t, n=4) if len(t) >= 2 else [t[0]] * 3
    return {"median": statistics.median(t), "p25": q[0], "p75": q[2],
            "min": t[0], "max": t[-1], "n": len(t)}


# ---- timing ---------------------------------------------------------------

def have(tool):
    return shutil.which(tool) is not None


def measure(cmds, runs, warmup, prepare=None, ignore_failure=False,
            rounds=1):
    """Times each command (name -> argv list) `runs` times, after `warmup`
    unmeasured runs, with `prepare` (argv) run before every run. The runs
    are split into `rounds` passes over all the commands, so that a slow
    spell of a shared machine is spread over every peer instead of landing
    on one. Uses hyperfine (-N: no shell in the timed path) when it is
    installed, else a perf_counter loop around fork/exec. Returns name ->
    summary() plus the raw times, in seconds (user and system CPU: means)."""
    per = [runs // rounds + (1 if i < runs % rounds else 0)
           for i in range(rounds)]
    merged = {}
    for i, n in enumerate(per):
        if n == 0:
            continue
        res = _measure_once(cmds, n, warmup if i == 0 else 1, prepare,
                            ignore_failure)
        for name, r in res.items():
            m = merged.setdefault(name, {"times": [], "user": [],
                                         "system": []})
            m["times"] += r["times"]
            for k in ("user", "system"):
                if k in r:
                    m[k].append((r[k], len(r["times"])))
    out = {}
    for name, m in merged.items():
        out[name] = dict(summary(m["times"]), times=m["times"])
        for k in ("user", "system"):
            if m[k]:
                out[name][k] = (sum(v * n for v, n in m[k]) /
                                sum(n for _, n in m[k]))
    return out


def _measure_once(cmds, runs, warmup, prepare, ignore_failure):
    if have("hyperfine"):
        return _hyperfine(cmds, runs, warmup, prepare, ignore_failure)
    out = {}
    for name, argv in cmds.items():
        times = []
        for i in range(warmup + runs):
            if prepare:
                subprocess.run(prepare, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            t0 = time.perf_counter()
            p = subprocess.run(argv, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
            dt = time.perf_counter() - t0
            if p.returncode and not ignore_failure:
                raise BenchError("%s failed: %s" %
                                 (name, p.stderr.strip()[-200:]))
            if i >= warmup:
                times.append(dt)
        out[name] = dict(summary(times), times=times)
    return out


def _quote(argv):
    # hyperfine -N splits the command line like a shell would (shlex).
    import shlex
    return " ".join(shlex.quote(str(a)) for a in argv)


def _hyperfine(cmds, runs, warmup, prepare, ignore_failure):
    with tempfile.TemporaryDirectory() as d:
        js = os.path.join(d, "h.json")
        argv = ["hyperfine", "-N", "--style", "none", "-r", str(runs),
                "-w", str(warmup), "--export-json", js]
        if ignore_failure:
            argv.append("-i")
        if prepare:
            argv += ["--prepare", _quote(prepare)]
        for name, cmd in cmds.items():
            argv += ["-n", name, _quote(cmd)]
        run(argv, timeout=1800)
        with open(js) as f:
            res = json.load(f)["results"]
    out = {}
    for r in res:
        out[r["command"]] = dict(summary(r["times"]), times=r["times"],
                                 user=r["user"], system=r["system"])
    return out


def time_once(argv, prepare=None):
    """One timed run (for the long many-interface commands)."""
    if prepare:
        prepare()
    t0 = time.perf_counter()
    p = subprocess.run(argv, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    dt = time.perf_counter() - t0
    if p.returncode:
        raise BenchError("%s failed (exit %d): %s" %
                         (os.path.basename(argv[0]), p.returncode,
                          (p.stderr.strip().splitlines() or ["?"])[-1]))
    return dt


# ---- strace accounting ----------------------------------------------------

_CALL = re.compile(r"^(?:(?P<pid>\d+)\s+)?(?P<name>[a-z_0-9]+)\((?P<args>.*)$")
_RESUMED = re.compile(r"^(?:(?P<pid>\d+)\s+)?<\.\.\. (?P<name>[a-z_0-9]+) "
                      r"resumed>(?P<args>.*)$")
_END = re.compile(r"\)\s+=\s+(?:-?\d+|\?|0x[0-9a-f]+).*<(?P<secs>[\d.]+)>$")
_BPF_CMD = re.compile(r"^(BPF_[A-Z_]+)")
_NETLINK = ("sendto", "sendmsg", "recvfrom", "recvmsg", "bind",
            "getsockname", "setsockopt", "socket")
# Time blocked in these is a thread waiting (Go's runtime threads sleep in
# them), not work: counted, kept out of the other phases.
_WAITS = ("futex", "nanosleep", "clock_nanosleep", "epoll_pwait",
          "epoll_wait", "wait4", "poll", "ppoll", "pselect6", "select")
WAIT_PHASE = "waiting (futex, sleep)"


def _strace_calls(path):
    """(syscall, its arguments, seconds) of every completed call in an
    `strace -f -T -o` file, calls split by other threads joined again."""
    pending = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            m = _RESUMED.match(line)
            if m:
                name, head = pending.pop((m.group("pid"), m.group("name")),
                                         (m.group("name"), ""))
                args = head + m.group("args")
            else:
                m = _CALL.match(line)
                if not m:
                    continue
                name, args = m.group("name"), m.group("args")
                if args.endswith("<unfinished ...>"):
                    pending[(m.group("pid"), name)] = (name, args)
                    continue
            e = _END.search(args)
            if e:
                yield name, args, float(e.group("secs"))


def startup_calls(calls):
    """How many of the calls are the C library's start-up (the dynamic
    loader's, for a dynamic binary): up to glibc's prlimit64(RLIMIT_STACK)
    and the munmap of ld.so.cache right after it. 0 when there is no such
    call (Go)."""
    for i, (name, args, _) in enumerate(calls):
        if name == "prlimit64" and "RLIMIT_STACK" in args:
            nxt = calls[i + 1][0] if i + 1 < len(calls) else ""
            return i + 2 if nxt == "munmap" else i + 1
    return 0


def strace_phases(path):
    """Reads `strace -f -T -o` output: per phase (one per bpf command,
    netlink, everything else) the calls and the seconds spent in them, the
    count of each syscall, and how many calls come after the C library's
    start-up (own_calls)."""
    phases, names = {}, {}
    calls = list(_strace_calls(path))
    for name, args, secs in calls:
        names[name] = names.get(name, 0) + 1
        if name == "bpf":
            c = _BPF_CMD.match(args)
            phase = c.group(1) if c else "BPF_?"
        elif name in _NETLINK:
            phase = "netlink"
        elif name in _WAITS:
            phase = WAIT_PHASE
        else:
            phase = "process, files, memory"
        n, t = phases.get(phase, (0, 0.0))
        phases[phase] = (n + 1, t + secs)
    return {"phases": {k: {"calls": v[0], "seconds": v[1]}
                       for k, v in phases.items()},
            "syscalls": names, "total_calls": sum(names.values()),
            "own_calls": len(calls) - startup_calls(calls)}


def write_json(path, data):
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)


# ---- perf: CPU time by what it was spent on ---------------------------------

# First match wins, checked from the top, against every frame of a sample's
# call chain; function names without their .isra/.constprop suffixes.
PERF_CATEGORIES = (
    ("per-CPU array alloc", ("bpf_map_alloc_percpu",)),
    ("map create, other", ("map_create",)),
    ("verifier", ("bpf_check",)),
    ("JIT", ("bpf_int_jit_compile",)),
    ("prog load, other", ("bpf_prog_load",)),
    ("BTF load", ("btf_new_fd", "bpf_btf_load")),
    ("other bpf()", ("__sys_bpf",)),
    ("netlink", ("netlink_sendmsg", "netlink_recvmsg", "__sys_sendto",
                 "__sys_sendmsg", "__sys_recvmsg", "__sys_recvfrom")),
    ("exec", ("do_execveat_common", "load_elf_binary", "bprm_execve")),
    ("exit", ("do_exit", "do_group_exit", "exit_mmap", "mmput")),
    ("page faults", ("exc_page_fault",)),
    ("other syscalls", ("do_syscall_64",)),
)
PERF_PERIOD_NS = 100000  # cpu-clock: one sample per 0.1 ms of CPU


def perf_record(script, data):
    """CPU samples with call chains of `sh script` and its children."""
    run(["perf", "record", "-q", "-e", "cpu-clock", "-c",
         str(PERF_PERIOD_NS), "-g", "-o", data, "--", "sh", script],
        timeout=600)


def _categorise(frames):
    names = {f[0].split(".")[0] for f in frames}
    for cat, syms in PERF_CATEGORIES:
        if any(s in names for s in syms):
            return cat
    if any("ld-linux" in f[1] for f in frames):
        return "dynamic linker"
    return "user space"


def perf_attribution(data, comms, runs):
    """ms of CPU per run, by category, of the processes that ran under one
    of `comms` at some point (samples taken before their exec finished carry
    the forking shell's name, so processes are told apart by pid)."""
    p = run(["perf", "script", "-i", data, "-F", "comm,pid,ip,sym,dso"],
            timeout=600)
    samples, pids = [], set()
    head, frames = None, []
    for line in p.stdout.splitlines() + [""]:
        if not line.strip():
            if head:
                samples.append((head[1], frames))
            head, frames = None, []
        elif not line[0].isspace():
            parts = line.split()
            head = (parts[0], parts[1])
            if parts[0] in comms:
                pids.add(parts[1])
        else:
            m = re.match(r"\s*[0-9a-f]+ (\S+)(?:\+0x[0-9a-f]+)? \((.*)\)$", line)
            if m:
                frames.append((m.group(1), m.group(2)))
    out = {}
    for pid, fr in samples:
        if pid in pids:
            cat = _categorise(fr)
            out[cat] = out.get(cat, 0) + 1
    ms = PERF_PERIOD_NS / 1e6
    return {k: v * ms / runs for k, v in out.items()}
