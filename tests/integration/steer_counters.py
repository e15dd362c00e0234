#!/usr/bin/env python3
"""Per-route counters of a running steering program, read with bpftool.

    steer_counters.py PROG_ID

Prints one line per route of the program's tables and one for the misses:

    10.123.0.5/32 slot 1 packets 12 bytes 3456 toobig 2 passed 0
    miss slot 0 packets 3 bytes 226 toobig 0 passed 0

The maps are found through the program (its map ids, by name), not through
pins: the tests must not depend on where tcsteer pins its tables. It reads
what `tcsteer route show -s` would print once that shows toobig and passed
(tcsteer -j route show -s prints packets and bytes only, for now). bpftool
is a test-only oracle (README: nothing that ships uses it)."""
import ipaddress
import json
import subprocess
import sys

FIELDS = ("packets", "bytes", "toobig", "passed")


def bpftool(*args):
    out = subprocess.run(["bpftool", "-j"] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def maps_of(prog_id):
    maps = {}
    for map_id in bpftool("prog", "show", "id", str(prog_id))["map_ids"]:
        info = bpftool("map", "show", "id", str(map_id))
        maps[info["name"]] = map_id
    return maps


def routes(map_id, family):
    for entry in bpftool("map", "dump", "id", str(map_id)):
        key, value = entry["formatted"]["key"], entry["formatted"]["value"]
        addr = bytes(key["addr"])
        net = ipaddress.ip_network((addr, key["prefixlen"]), strict=False)
        yield str(net), value["slot"]


def counters(map_id):
    sums = {}
    for entry in bpftool("map", "dump", "id", str(map_id)):
        slot = entry["formatted"]["key"]
        total = dict.fromkeys(FIELDS, 0)
        for cpu in entry["formatted"]["values"]:
            for f in FIELDS:
                total[f] += cpu["value"][f]
        sums[slot] = total
    return sums


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: steer_counters.py PROG_ID")
    maps = maps_of(int(sys.argv[1]))
    sums = counters(maps["steer_stats"])
    lines = []
    for name, family in (("steer_v4", 4), ("steer_v6", 6)):
        lines += [(p, s) for p, s in routes(maps[name], family)]
    lines.append(("miss", 0))
    for prefix, slot in lines:
        c = sums.get(slot, dict.fromkeys(FIELDS, 0))
        print("%s slot %d %s" % (prefix, slot,
                                 " ".join("%s %d" % (f, c[f]) for f in FIELDS)))


if __name__ == "__main__":
    main()
