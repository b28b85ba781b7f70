"""mqttwire.py: the MQTT and IP bytes the capture tools all build (imported, not run).

s(x)             an MQTT string or binary field: 2-byte length, then the bytes (str is UTF-8)
pkt(first, body) an MQTT control packet: the first byte, the remaining length as a
                 variable byte integer (MQTT 3.1.1 2.2.3, 5.0 1.5.5), the body
csum(b)          the Internet checksum (RFC 1071) of IPv4 and TCP headers
Standard library only.
"""
import struct


def s(x):
    x = x if isinstance(x, bytes) else x.encode()
    return struct.pack("!H", len(x)) + x


def pkt(first, body):
    n, rl = len(body), b""
    while True:
        d, n = n % 128, n // 128
        rl += bytes([d | (0x80 if n else 0)])
        if not n:
            return bytes([first]) + rl + body


def csum(b):
    if len(b) % 2:
        b += b"\0"
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
