#!/usr/bin/env python3
"""malformed.py: write captures/malformed.pcap, a hand-made capture of rule-breaking MQTT.

usage: malformed.py OUT.pcap

Two connections from 10.0.0.1 to a broker on 10.0.0.2:1883, each a whole TCP session (SYN,
SYN-ACK, ACK, data, FIN), one packet or a few per segment, acknowledged by the peer:
  stream 0 (3.1.1): CONNECT; CONNACK; PUBLISH with QoS 3 [MQTT-3.3.1-4]; SUBSCRIBE with
    fixed header flags 0 [MQTT-2.1.3-1]; a packet of reserved type 0; PUBLISH whose topic
    is not UTF-8 [MQTT-1.5.4-1]; PINGREQ with a remaining length in two bytes (80 00)
    [MQTT-1.5.5-1]; CONNECT's flags reserved bit set; PINGRESP; then a remaining length of
    five bytes (framing is lost) followed by garbage, then a PINGREQ (framing found again),
    DISCONNECT.
  stream 1 (5.0): CONNECT whose property length runs past the packet (malformed); CONNACK;
    PUBLISH whose property length runs past the packet; a whole PUBLISH; DISCONNECT.
"""
import struct, sys

from mqttwire import csum, pkt, s  # noqa: E402

frames = []
t = [1700000000.0]


def frame(src, dst, sport, dport, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + payload
    pseudo = bytes(src) + bytes(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    t[0] += 0.001
    frames.append((t[0], eth + ip + tcp))


class Conn:
    def __init__(self, cport):
        self.c, self.b = (10, 0, 0, 1), (10, 0, 0, 2)
        self.cp = cport
        self.cs, self.bs = 1000, 50000
        frame(self.c, self.b, self.cp, 1883, self.cs, 0, 0x02)
        frame(self.b, self.c, 1883, self.cp, self.bs, self.cs + 1, 0x12)
        self.cs += 1
        self.bs += 1
        frame(self.c, self.b, self.cp, 1883, self.cs, self.bs, 0x10)

    def up(self, data):
        frame(self.c, self.b, self.cp, 1883, self.cs, self.bs, 0x18, data)
        self.cs += len(data)
        frame(self.b, self.c, 1883, self.cp, self.bs, self.cs, 0x10)

    def down(self, data):
        frame(self.b, self.c, 1883, self.cp, self.bs, self.cs, 0x18, data)
        self.bs += len(data)
        frame(self.c, self.b, self.cp, 1883, self.cs, self.bs, 0x10)

    def close(self):
        frame(self.c, self.b, self.cp, 1883, self.cs, self.bs, 0x11)
        frame(self.b, self.c, 1883, self.cp, self.bs, self.cs + 1, 0x11)
        frame(self.c, self.b, self.cp, 1883, self.cs + 1, self.bs + 1, 0x10)


a = Conn(40001)
a.up(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("bad-client")))
a.down(pkt(0x20, b"\x00\x00"))
a.up(pkt(0x36, s("qos/three") + b"\x00\x05" + b"payload"))      # QoS 3
a.up(pkt(0x80, b"\x00\x06" + s("sub/flags") + b"\x00"))         # SUBSCRIBE, flags 0
a.up(pkt(0x00, b"reserved"))                                     # type 0
a.up(pkt(0x30, s(b"bad\xff\xfeutf8") + b"x"))                    # topic not UTF-8
a.up(b"\xc0\x80\x00")                                            # PINGREQ, 2-byte length
a.down(b"\xd0\x00")
a.up(b"\x30\xff\xff\xff\xff\x7f" + b"garbage!")                  # 5-byte remaining length
a.up(b"\xc0\x00")                                                # framing found again
a.down(b"\xd0\x00")
a.up(pkt(0xe0, b""))
a.close()

b = Conn(40002)
b.up(pkt(0x10, s("MQTT") + b"\x05\x02\x00\x3c" + b"\x20\x11\x00\x00" + s("v5-client")))  # props past end
b.down(pkt(0x20, b"\x00\x00\x00"))
b.up(pkt(0x30, s("v5/topic") + b"\x40\x01"))                     # property length past end
b.up(pkt(0x30, s("v5/topic") + b"\x00" + b"fine"))
b.up(pkt(0xe0, b"\x00\x00"))
b.close()

with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    for ts, data in frames:
        f.write(struct.pack("<IIII", int(ts), int(round((ts % 1) * 1e6)), len(data), len(data)))
        f.write(data)
print("%s: %d frames" % (sys.argv[1], len(frames)))
