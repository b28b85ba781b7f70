#!/usr/bin/env python3
"""mqtt_clients.py N HOST PORT: N concurrent MQTT 3.1.1 clients, all connected at once.

Each client (id load-NNN) connects, subscribes to its own topic load/NNN with QoS 2, publishes
to it once with QoS 0, 1 and 2 (completing PUBACK and PUBREC/PUBREL/PUBCOMP), receives the
three messages back (answering the broker's QoS 1 and 2 deliveries), and disconnects. The
connections are opened first and closed last, so all N sessions overlap. Standard library only.
"""
import socket, struct, sys

from mqttwire import pkt, s  # noqa: E402


class Conn:
    def __init__(self, host, port, i):
        self.i, self.buf = i, b""
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, b):
        self.sock.sendall(b)

    def read(self):
        """One whole packet: (first byte, body)."""
        while True:
            if len(self.buf) >= 2:
                n, mult, k = 0, 1, 1
                while k < len(self.buf):
                    n += (self.buf[k] & 127) * mult
                    mult *= 128
                    if not self.buf[k] & 128:
                        break
                    k += 1
                else:
                    k = None
                if k is not None and len(self.buf) >= k + 1 + n:
                    first, body = self.buf[0], self.buf[k + 1:k + 1 + n]
                    self.buf = self.buf[k + 1 + n:]
                    return first, body
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection %d closed" % self.i)
            self.buf += data


def main():
    n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    conns = [Conn(host, port, i) for i in range(n)]
    for c in conns:
        c.send(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("load-%03d" % c.i)))
    for c in conns:
        assert c.read()[0] >> 4 == 2
    for c in conns:
        c.send(pkt(0x82, b"\x00\x01" + s("load/%03d" % c.i) + b"\x02"))
        assert c.read()[0] >> 4 == 9
    for c in conns:
        topic = s("load/%03d" % c.i)
        c.send(pkt(0x30, topic + b"qos0"))
        c.send(pkt(0x32, topic + b"\x00\x02" + b"qos1"))
        c.send(pkt(0x34, topic + b"\x00\x03" + b"qos2"))
        acked = comp = delivered = 0
        open2 = set()
        while not (acked and comp and delivered == 3 and not open2):
            first, body = c.read()
            t = first >> 4
            if t == 4:
                acked = 1
            elif t == 5:
                c.send(pkt(0x62, body[:2]))
            elif t == 7:
                comp = 1
            elif t == 3:
                delivered += 1
                qos = (first >> 1) & 3
                tl = struct.unpack("!H", body[:2])[0]
                mid = body[2 + tl:4 + tl]
                if qos == 1:
                    c.send(pkt(0x40, mid))
                elif qos == 2:
                    open2.add(mid)
                    c.send(pkt(0x50, mid))
            elif t == 6:
                open2.discard(body[:2])
                c.send(pkt(0x70, body[:2]))
    for c in conns:
        c.send(b"\xe0\x00")
        c.sock.close()


if __name__ == "__main__":
    main()
