#!/usr/bin/env python3
"""A message-dense capture: every packet carries one small MQTT message.

usage: gen_dense.py OUT.pcap [PACKETS [CONNECTIONS]]     (default 200000, 16)

CONNECTIONS MQTT 3.1.1 clients on 10.0.1.x talk to a broker on 10.0.0.1:1883: handshake,
CONNECT, CONNACK, then round robin one PUBLISH per packet (topics "dense/<client>/<n % 8>",
payloads of 8-40 bytes; QoS 0, and every fourth QoS 1, which the broker answers with a
PUBACK in a packet of its own), until about PACKETS packets; then DISCONNECT and FIN. No
bare ACK: what a per-message output (--json) costs shows. Deterministic (the same
arguments give the same bytes); correct IPv4 and TCP checksums. Standard library only.
"""
import struct, sys

T0 = 1767225600


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mqtt(first, body):
    n, rl = len(body), b""
    while True:
        d, n = n % 128, n // 128
        rl += bytes([d | (0x80 if n else 0)])
        if not n:
            return bytes([first]) + rl + body


def s(x):
    return struct.pack("!H", len(x)) + x


class Conn:
    def __init__(self, i):
        self.c = bytes([10, 0, 1 + i // 250, 1 + i % 250])
        self.b = bytes([10, 0, 0, 1])
        self.cp, self.cs, self.bs, self.n, self.id = 40000 + i, 1000 + i, 500000 + i, 0, 1


class Writer:
    def __init__(self, f):
        self.f, self.t, self.count = f, 0, 0
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def seg(self, k, up, flags, data=b""):
        src, dst = (k.c, k.b) if up else (k.b, k.c)
        sp, dp = (k.cp, 1883) if up else (1883, k.cp)
        seq, ack = (k.cs, k.bs) if up else (k.bs, k.cs)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack if flags & 0x10 else 0, 0x50, flags,
                          65535, 0, 0) + data
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 7, 0x4000, 64, 6, 0, src, dst)
        frame = (b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00" + ip[:10] +
                 struct.pack("!H", csum(ip)) + ip[12:] + tcp)
        self.t += 20  # microseconds
        self.f.write(struct.pack("<IIII", T0 + self.t // 1000000, self.t % 1000000,
                                 len(frame), len(frame)) + frame)
        self.count += 1
        n = len(data) + (1 if flags & 0x03 else 0)  # SYN and FIN take a sequence number
        if up:
            k.cs += n
        else:
            k.bs += n


def main():
    out = sys.argv[1]
    packets = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    nconn = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    conns = [Conn(i) for i in range(nconn)]
    with open(out, "wb") as f:
        w = Writer(f)
        for k in conns:
            w.seg(k, True, 0x02)
            w.seg(k, False, 0x12)
            w.seg(k, True, 0x10)
            w.seg(k, True, 0x18, mqtt(0x10, s(b"MQTT") + b"\x04\x02\x00\x3c" +
                                       s(b"dense-%d" % conns.index(k))))
            w.seg(k, False, 0x18, b"\x20\x02\x00\x00")
        i = 0
        while w.count < packets - 4 * nconn:
            k = conns[i % nconn]
            i += 1
            k.n += 1
            topic = b"dense/%d/%d" % (conns.index(k), k.n % 8)
            payload = (b"v=%d;" % k.n) * (1 + k.n % 5)
            if k.n % 4 == 0:
                pid = k.id
                k.id = k.id % 65535 + 1
                w.seg(k, True, 0x18, mqtt(0x32, s(topic) + struct.pack("!H", pid) + payload))
                w.seg(k, False, 0x18, b"\x40\x02" + struct.pack("!H", pid))
            else:
                w.seg(k, True, 0x18, mqtt(0x30, s(topic) + payload))
        for k in conns:
            w.seg(k, True, 0x18, b"\xe0\x00")
            w.seg(k, True, 0x11)
            w.seg(k, False, 0x11)
            w.seg(k, True, 0x10)


if __name__ == "__main__":
    main()
