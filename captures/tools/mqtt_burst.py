#!/usr/bin/env python3
"""mqtt_burst.py HOST PORT: an MQTT 3.1.1 client that writes many packets in one send().

CONNECT, wait for CONNACK; then 20 QoS 0 PUBLISH and a PINGREQ in one write; then a
SUBSCRIBE and 5 PUBLISH in another; read what comes back; DISCONNECT. Standard library only.
"""
import socket, sys, time

from mqttwire import pkt, s  # noqa: E402


c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.sendall(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("burst-client")))
c.recv(4)
c.sendall(b"".join(pkt(0x30, s("burst/a") + ("reading %d" % i).encode()) for i in range(20))
          + b"\xc0\x00")
time.sleep(0.3)
c.sendall(pkt(0x82, b"\x00\x07" + s("burst/#") + b"\x00")
          + b"".join(pkt(0x30, s("burst/b") + ("event %d" % i).encode()) for i in range(5)))
time.sleep(0.5)
c.settimeout(0.5)
try:
    while c.recv(65536):
        pass
except socket.timeout:
    pass
c.sendall(b"\xe0\x00")
c.close()
