#!/usr/bin/env python3
"""Write a capture that stresses reassembly: one MQTT connection whose client stream is sent
as N one-byte segments, the first of which arrives last, so that N - 1 segments wait behind
a one-byte hole until the very end.

usage: reorder.py N OUT.pcap [--late K]

The stream is a CONNECT (3.1.1) followed by 16-byte PUBLISH packets (QoS 0) and PINGREQs
to make up exactly N bytes. Frames are 1 microsecond apart, so even N = 1,000,000 stays
well inside the reorder time bound (10 s by default). The broker only answers the
handshake: no acknowledgement ever covers the hole. With --late K, segment 0 arrives after
K others instead of last (the rest then follow in order).
"""
import struct
import sys

CLIENT, BROKER = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])
CPORT, BPORT = 40000, 1883


def stream(n):
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + b"\x00\x04bnch"
    out = bytearray(b"\x10" + bytes([len(body)]) + body)  # 18 bytes
    pub = b"\x30\x0e\x00\x03a/b" + b"payload!!"           # 16 bytes
    while len(out) + len(pub) <= n:
        out += pub
    while len(out) + 2 <= n:
        out += b"\xc0\x00"                                  # PINGREQ
    if len(out) < n:
        out += b"\x00"  # an odd N: one stray byte at the end
    return bytes(out[:n])


def frame(up, seq, ack, flags, data):
    src, dst = (CLIENT, BROKER) if up else (BROKER, CLIENT)
    sp, dp = (CPORT, BPORT) if up else (BPORT, CPORT)
    tcp = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                      65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), 0, 0, 64, 6, 0,
                     src, dst)
    eth = (b"\x02\x00\x00\x00\x00\x01" if up else b"\x02\x00\x00\x00\x00\x02") + \
          (b"\x02\x00\x00\x00\x00\x02" if up else b"\x02\x00\x00\x00\x00\x01") + b"\x08\x00"
    return eth + ip + tcp + data


def main():
    args = sys.argv[1:]
    late = None
    if "--late" in args:
        i = args.index("--late")
        late = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    n, path = int(args[0]), args[1]
    data = stream(n)
    cisn, bisn = 1000, 50000
    frames = [frame(1, cisn, 0, 0x02, b""), frame(0, bisn, cisn + 1, 0x12, b""),
              frame(1, cisn + 1, bisn + 1, 0x10, b"")]
    order = list(range(1, n))
    order.insert(n - 1 if late is None else min(late, n - 1), 0)
    for i in order:
        frames.append(frame(1, cisn + 1 + i, bisn + 1, 0x18, data[i:i + 1]))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        usec = 0
        for fr in frames:
            usec += 1
            f.write(struct.pack("<IIII", 1700000000 + usec // 1000000, usec % 1000000,
                                len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
