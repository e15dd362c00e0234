#!/usr/bin/env python3
"""compare.py's own test: starting from the golden capture, the differences
the rules allow must pass and every other change must be reported by field
name; broken input must give one line on stderr and exit 2, never a
traceback. Runs compare.py as a program, the way byte_test.sh does."""

import contextlib
import io
import os
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "compare.py")
REFERENCE = os.path.join(HERE, "reference")


def golden(name):
    with open(os.path.join(REFERENCE, name)) as f:
        return bytearray(bytes.fromhex(f.read().strip()))


QDISC = golden("qdisc_replace.hex")
FILTER = golden("filter_replace.hex")
NAME_OFF = 60           # TCA_BPF_NAME payload in the golden filter
NAME_LEN = 20           # 'SchedCLS(tc_pass)#7\0'


def put(buf, off, fmt, value):
    buf = bytearray(buf)
    struct.pack_into(fmt, buf, off, value)
    return buf


def with_name(name):
    """The golden filter with another TCA_BPF_NAME and consistent lengths."""
    pay = name + b"\0"
    alen = 4 + len(pay)
    attr = struct.pack("<HH", alen, 7) + pay + b"\0" * (-alen % 4)
    old = 4 + NAME_LEN
    buf = FILTER[:NAME_OFF - 4] + attr + FILTER[NAME_OFF - 4 + old:]
    grow = len(attr) - old
    buf = put(buf, 0, "<I", len(buf))
    return put(buf, 44, "<H", 44 + grow)


def strace_log(*sends, pid=4242, syscall="sendto"):
    """An strace -f -o log holding each byte string as one sendto dump."""
    out = []
    for data in sends:
        out.append('%d  %s(3, [...], %d, 0, {sa_family=AF_NETLINK, '
                   'nl_pid=0, nl_groups=00000000}, 12) = %d'
                   % (pid, syscall, len(data), len(data)))
        if syscall == "sendmsg":
            out.append(" * %d bytes in buffer 0" % len(data))
        for off in range(0, len(data), 16):
            chunk = data[off:off + 16]
            hexs = " ".join("%02x" % b for b in chunk[:8])
            if len(chunk) > 8:
                hexs += "  " + " ".join("%02x" % b for b in chunk[8:])
            asc = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            out.append(" | %05x  %-49s %-16s |" % (off, hexs, asc))
    return "\n".join(out) + "\n"


class CompareTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.n = 0

    def tearDown(self):
        self.tmp.cleanup()

    def file(self, text, suffix=".log"):
        self.n += 1
        path = os.path.join(self.tmp.name, "src%d%s" % (self.n, suffix))
        with open(path, "w") as f:
            f.write(text)
        return path

    def hexfile(self, *msgs):
        return self.file("".join(bytes(m).hex() + "\n" for m in msgs), ".hex")

    def run_compare(self, *sources, hook=None):
        args = [sys.executable, COMPARE]
        if hook:
            args += ["--hook", hook]
        args += ["golden=" + REFERENCE]
        args += ["s%d=%s" % (i, s) for i, s in enumerate(sources)]
        return subprocess.run(args, capture_output=True, text=True)

    def assertPass(self, *sources, hook=None):
        r = self.run_compare(*sources, hook=hook)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("VERDICT: PASS", r.stdout)
        return r.stdout

    def assertDiff(self, field, *sources, hook=None):
        r = self.run_compare(*sources, hook=hook)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("VERDICT: FAIL", r.stdout)
        found = [l for l in r.stdout.splitlines()
                 if l.startswith(("DIFF ", "PROBLEM ")) and field in l]
        self.assertTrue(found, "no DIFF/PROBLEM line with %r in:\n%s"
                        % (field, r.stdout))
        return r.stdout

    def assertBadInput(self, *sources):
        r = self.run_compare(*sources)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("compare.py: "), r.stderr)
        self.assertNotIn("Traceback", r.stderr)

    # --- what may differ
    def test_identical(self):
        self.assertPass(self.hexfile(QDISC, FILTER))

    def test_masked_fields(self):
        q = put(put(QDISC, 8, "<I", 99), 20, "<i", 17)
        f = put(put(put(FILTER, 8, "<I", 100), 12, "<I", 1234), 52, "<I", 9)
        out = self.assertPass(self.hexfile(q, put(f, 20, "<i", 17)))
        self.assertIn("differ in NEWQDISC nlmsg_seq", out)

    def test_other_name_and_lengths(self):
        for name in (b"x", b"tcsteer", b"pass.o:[tc]", b"a" * 40):
            out = self.assertPass(self.hexfile(QDISC, with_name(name)))
            self.assertIn("TCA_BPF_NAME.payload", out)

    def test_strace_log_sendto_and_sendmsg(self):
        getlink = bytes.fromhex("28000000120001030100000000000000"
                                "000000000000000000000000000000000800"
                                "1d0001000000")
        self.assertPass(self.file(strace_log(getlink, QDISC, FILTER)))
        self.assertPass(self.file(strace_log(QDISC, FILTER,
                                             syscall="sendmsg")))

    def test_strace_resumed_call(self):
        log = strace_log(QDISC).replace(
            "4242  sendto(3, [...], 48, 0, {sa_family=AF_NETLINK, nl_pid=0, "
            "nl_groups=00000000}, 12) = 48",
            "4242  sendto(3, [...], 48, 0, <unfinished ...>\n"
            "4243  --- SIGURG {si_signo=SIGURG} ---\n"
            "4242  <... sendto resumed>{sa_family=AF_NETLINK, nl_pid=0, "
            "nl_groups=00000000}, 12) = 48")
        self.assertPass(self.file(log + strace_log(FILTER)))

    def test_ingress(self):
        f = put(FILTER, 28, "<I", 0xFFFFFFF2)
        self.assertPass(self.file(strace_log(QDISC, f)), hook="ingress")
        self.assertDiff("not the ingress hook",
                        self.file(strace_log(QDISC, FILTER)), hook="ingress")

    # --- what must be reported
    def test_flags(self):
        out = self.assertDiff("DIFF RTM_NEWQDISC nlmsg_flags",
                              self.hexfile(put(QDISC, 6, "<H", 0x0405),
                                           FILTER))
        self.assertIn("REQUEST|ACK|CREATE", out)

    def test_filter_fields(self):
        cases = [(24, "<I", 2, "tcm_handle"),
                 (32, "<I", 0x00030001, "tcm_info"),
                 (16, "<B", 7, "tcm_family"),
                 (84, "<I", 0, "TCA_OPTIONS/TCA_BPF_FLAGS.payload"),
                 (82, "<H", 9, "TCA_OPTIONS/TCA_BPF_FLAGS.rta_type"),
                 (46, "<H", 0x8002, "TCA_OPTIONS.rta_type")]
        for off, fmt, val, field in cases:
            with self.subTest(field=field):
                self.assertDiff("DIFF RTM_NEWTFILTER " + field,
                                self.hexfile(QDISC, put(FILTER, off, fmt,
                                                        val)))

    def test_nonzero_padding(self):
        self.assertDiff("TCA_KIND.pad",
                        self.hexfile(put(QDISC, 47, "<B", 1), FILTER))

    def test_extra_attribute(self):
        extra = struct.pack("<HHI", 8, 9, 0)       # TCA_BPF_FLAGS_GEN 0
        f = FILTER + extra
        f = put(put(f, 0, "<I", len(f)), 44, "<H", 44 + 8)
        self.assertDiff("(absent)", self.hexfile(QDISC, f))

    def test_length_not_explained_by_name(self):
        f = with_name(b"tcsteer")
        self.assertDiff("TCA_OPTIONS.rta_len",
                        self.hexfile(QDISC, put(f, 44, "<H", 4 + 8 + 12)))

    def test_name_without_nul(self):
        f = with_name(b"abc")            # 'abc\0' exactly fills the attribute
        f[NAME_OFF + 3] = ord("d")
        self.assertDiff("not one NUL-terminated string",
                        self.hexfile(QDISC, f))

    def test_missing_and_duplicate_messages(self):
        self.assertDiff("sent 0 RTM_NEWQDISC", self.hexfile(FILTER))
        self.assertDiff("sent 2 RTM_NEWTFILTER",
                        self.hexfile(QDISC, FILTER, FILTER))

    # --- broken input
    def test_bad_input(self):
        self.assertBadInput(self.file("zz\n", ".hex"))
        self.assertBadInput(self.hexfile(QDISC[:10]))
        self.assertBadInput(self.hexfile(put(QDISC, 0, "<I", 400)))
        self.assertBadInput(os.path.join(self.tmp.name, "no-such-file"))
        self.assertBadInput(self.file(" | 00000  30 00 00 00 24 00 05 05  "
                                      "02 00 00 00 00 00 00 00  x |\n"))
        r = subprocess.run([sys.executable, COMPARE, "just-one"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)

    def test_truncated_attributes_do_not_crash(self):
        # In process: one compare.py run per cut would take seconds.
        sys.path.insert(0, HERE)
        import compare
        for cut in range(16, len(FILTER)):
            f = put(FILTER[:cut], 0, "<I", cut)
            argv = ["compare.py", "golden=" + REFERENCE,
                    "cut=" + self.hexfile(QDISC, f)]
            with self.subTest(cut=cut), \
                    contextlib.redirect_stdout(io.StringIO()) as out:
                self.assertEqual(compare.main(argv), 1)
            self.assertIn("VERDICT: FAIL", out.getvalue())


if __name__ == "__main__":
    unittest.main(verbosity=1)
