#!/usr/bin/env python3
"""Captures that attack memory (issue 13): each grows what a dissector must hold.

usage: hostile_pcap.py KIND OUT.pcap [N [BYTES]]

KIND (N connections, BYTES each; the issue's full-size figures in brackets):
  partial  a PUBLISH that claims 16 MiB, of which BYTES are sent, never finished
           [1,000 x 2 MiB]
  ooo      the same, with each connection's first PUBLISH segment never sent: everything
           after it waits out of order [1,000 x 2 MiB]
  tls      a TLS handshake message of BYTES (a Certificate claiming it), all but its last
           byte sent, across 16 KiB records [10,000 x 60 KB]
  ws       a WebSocket upgrade request whose head (BYTES of headers) never ends
           [50,000 x 8 KB]
  big      a CONNECT and one complete PUBLISH of BYTES; the connection stays open
           (all connections at once: every message is partial at the same time)
  bigseq   the same, one connection after the other: each message is finished before
           the next begins [200 x 5 MiB: what a finished message leaves held]
  qos1     a CONNECT, a CONNACK, then BYTES QoS 1 PUBLISH packets never acknowledged
           (BYTES is a count here) [5,000 x 3,000]
  topics   one connection: N PUBLISH packets, each on its own topic of BYTES bytes
           [8,000 x 60 KB]
  clean    a CONNECT and small QoS 0 and QoS 1 PUBLISH/PUBACK (a capture no budget should
           change); N connections, BYTES of payload in all per connection

Connections are interleaved segment by segment (round robin), so that all of them hold
their data at once. Every connection has its three-way handshake; none is closed. Frames
are 1 microsecond apart (well inside --reorder-time). The writer is plain Python: about
1 GB a minute.
"""
import struct
import sys

MSS = 1400


def ip4(n):
    return bytes([10, (n >> 16) & 255, (n >> 8) & 255, n & 255])


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb", buffering=1 << 20)
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000 * 1_000_000

    def packet(self, conn, to_broker, seq, ack, flags, payload=b""):
        cport = 10000 + conn % 50000
        client, broker = ip4(1 + conn // 50000 * 65536 + 256), bytes([10, 255, 0, 1])
        bport = self.port
        src, dst = (client, broker) if to_broker else (broker, client)
        sport, dport = (cport, bport) if to_broker else (bport, cport)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          0x50, flags, 65535, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000,
                         64, 6, 0, src, dst)
        eth = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00"
        frame = eth + ip + tcp + payload
        self.t += 1
        self.f.write(struct.pack("<IIII", self.t // 1_000_000, self.t % 1_000_000,
                                 len(frame), len(frame)))
        self.f.write(frame)

    def close(self):
        self.f.close()


SYN, ACK, PSH = 0x02, 0x10, 0x08
CISN, BISN = 1000, 5000


def handshake(w, c):
    w.packet(c, True, CISN - 1, 0, SYN)
    w.packet(c, False, BISN - 1, CISN, SYN | ACK)
    w.packet(c, True, CISN, BISN, ACK)


def varint(n):
    out = bytearray()
    while True:
        b = n & 127
        n >>= 7
        out.append(b | (128 if n else 0))
        if not n:
            return bytes(out)


CONNECT = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04bnch"


def publish_head(claim):
    """A QoS 0 PUBLISH to topic "t" whose remaining length is claim."""
    return b"\x30" + varint(claim) + b"\x00\x01t"


def stream_of(kind, c, size):
    if kind in ("partial", "ooo"):
        head = CONNECT + publish_head(16 * 1024 * 1024 - 8)
        return head + bytes(size - len(head)), len(CONNECT)
    if kind in ("big", "bigseq"):
        head = publish_head(size - 5)
        head = publish_head(size - len(head) + 3)
        body = head + bytes(size - len(head))
        return CONNECT + body, None
    if kind == "tls":
        msg = bytes([11]) + struct.pack("!I", size - 4)[1:] + bytes(size - 4)
        msg = msg[:-1]  # never finished
        out = bytearray()
        for o in range(0, len(msg), 16384):
            frag = msg[o:o + 16384]
            out += b"\x16\x03\x03" + struct.pack("!H", len(frag)) + frag
        return bytes(out), None
    if kind == "ws":
        head = b"GET /mqtt HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        pad = b"X-Pad: " + b"a" * 90 + b"\r\n"
        out = bytearray(head)
        while len(out) + len(pad) <= size:
            out += pad
        return bytes(out), None  # no blank line: the head never ends
    raise SystemExit("unknown kind " + kind)


def clean(w, n, size):
    """Small complete exchanges: CONNECT/CONNACK, QoS 1 PUBLISH/PUBACK, QoS 0 PUBLISH."""
    seq, bseq = {}, {}
    for c in range(n):
        handshake(w, c)
        seq[c], bseq[c] = CISN, BISN
    def send(c, to_broker, data):
        if to_broker:
            w.packet(c, True, seq[c], bseq[c], ACK | PSH, data)
            seq[c] += len(data)
        else:
            w.packet(c, False, bseq[c], seq[c], ACK | PSH, data)
            bseq[c] += len(data)
    for c in range(n):
        send(c, True, CONNECT)
        send(c, False, b"\x20\x02\x00\x00")
    sent, mid = 0, 1
    while sent < size:
        for c in range(n):
            pay = b"p" * 100
            pub = b"\x32" + varint(2 + 3 + 2 + len(pay)) + b"\x00\x03a/b" + \
                struct.pack("!H", mid) + pay
            send(c, True, pub)
            send(c, False, b"\x40\x02" + struct.pack("!H", mid))
            send(c, True, b"\x30" + varint(5 + len(pay)) + b"\x00\x03c/d" + pay)
        sent += 2 * 100
        mid = mid % 65535 + 1


def segments(data):
    return [data[o:o + MSS] for o in range(0, len(data), MSS)]


def qos1(w, n, count):
    """n sessions, each count QoS 1 PUBLISH (ids 1..count, wrapping) never acknowledged."""
    pubs = bytearray(CONNECT)
    for i in range(count):
        pubs += b"\x32\x09\x00\x03a/b" + struct.pack("!H", i % 65535 + 1) + b"xx"
    segs = segments(bytes(pubs))
    for c in range(n):
        handshake(w, c)
    off = 0
    for k, seg in enumerate(segs):
        for c in range(n):
            w.packet(c, True, CISN + off, BISN, ACK | PSH, seg)
            if k == 0:
                w.packet(c, False, BISN, CISN + len(seg), ACK | PSH, b"\x20\x02\x00\x00")
        off += len(seg)


def topics(w, n, size):
    """One connection: n PUBLISH (QoS 0), each on a distinct topic of size bytes."""
    handshake(w, 0)
    out = bytearray(CONNECT)
    pad = b"x" * max(0, size - 9)
    for i in range(n):
        topic = b"t%08d" % i + pad
        body = struct.pack("!H", len(topic)) + topic + b"p"
        out += b"\x30" + varint(len(body)) + body
    off = 0
    for seg in segments(bytes(out)):
        w.packet(0, True, CISN + off, BISN, ACK | PSH, seg)
        off += len(seg)


def main():
    kind, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 256 * 1024
    w = Writer(out)
    w.port = {"tls": 8883, "ws": 8080}.get(kind, 1883)
    if kind in ("clean", "qos1", "topics"):
        {"clean": clean, "qos1": qos1, "topics": topics}[kind](w, n, size)
        w.close()
        return
    data, skip_at = stream_of(kind, 0, size)
    for c in range(n):
        handshake(w, c)
    # the segments, round robin over the connections
    offs = list(range(0, len(data), MSS))
    withheld = None
    if kind == "ooo":
        withheld = skip_at  # the first segment of the PUBLISH: never sent
        offs = [0, skip_at] + list(range(skip_at + MSS, len(data), MSS))
    if kind == "bigseq":
        for c in range(n):
            for o in range(0, len(data), MSS):
                w.packet(c, True, CISN + o, BISN, ACK | PSH, data[o:o + MSS])
        w.close()
        return
    for i, o in enumerate(offs):
        end = offs[i + 1] if i + 1 < len(offs) else len(data)
        seg = data[o:end] if kind != "ooo" or o != 0 else data[:skip_at]
        if kind == "ooo" and o == withheld:
            continue
        for c in range(n):
            w.packet(c, True, CISN + o, BISN, ACK | PSH, seg)
    w.close()


if __name__ == "__main__":
    main()
