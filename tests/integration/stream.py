"""A numbered UDP stream and its receiver, to count what a change loses.

  stream.py send SRC DST PORT COUNT INTERVAL
  stream.py recv PORT COUNT IFNAME READY

send: COUNT datagrams from SRC to DST:PORT, one every INTERVAL seconds,
each carrying its sequence number. recv: binds PORT, touches READY once
listening, and prints "received N lost L steered S duplicates D
last_quarter Q/C", where steered counts the datagrams that arrived on
IFNAME (the steered path), after 2 s without a datagram (10 s before the
first). Used by faults.sh and the tcx tests.
"""
import socket, struct, sys, time

IP_PKTINFO = 8  # <linux/in.h>; Python's socket module lacks it

if sys.argv[1] == "send":
    src, dst, port, count, interval = sys.argv[2], sys.argv[3], int(sys.argv[4]), \
        int(sys.argv[5]), float(sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    start = time.monotonic()
    for seq in range(count):
        s.sendto(struct.pack("!Q", seq), (dst, port))
        delay = start + (seq + 1) * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    sys.exit(0)

port, count, ifname, ready = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
steered_if = socket.if_nametoindex(ifname)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
s.bind(("0.0.0.0", port))
open(ready, "w").close()
seen, steered, dups, last = set(), 0, 0, -1
s.settimeout(10)
try:
    while len(seen) < count:
        data, anc, _, _ = s.recvmsg(64, socket.CMSG_SPACE(12))
        seq, = struct.unpack("!Q", data[:8])
        ifindex = next((struct.unpack("i", d[:4])[0] for lvl, typ, d in anc
                        if lvl == socket.IPPROTO_IP and typ == IP_PKTINFO), 0)
        if seq in seen:
            dups += 1
            continue
        seen.add(seq)
        steered += ifindex == steered_if
        last = max(last, seq)
        s.settimeout(2)
except socket.timeout:
    pass
tail = sum(1 for q in range(count - count // 4, count) if q in seen)
print(f"received {len(seen)} lost {count - len(seen)} steered {steered} "
      f"duplicates {dups} last_quarter {tail}/{count // 4}")
