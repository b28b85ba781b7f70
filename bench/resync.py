#!/usr/bin/env python3
"""Resynchronisation cost: a capture that starts inside an MQTT connection, on N bytes that
are not MQTT (seeded random, in 64 KB frames), then ten PUBLISH and a PINGRESP from the broker. The
framer has no boundary to start from and must find the PUBLISHes in the bytes.

usage: bench/resync.py MQTTDUMP [SIZE...]     sizes in bytes (default 262144 524288
16777216 33554432); KINDS="random text chains" (the junk: random bytes, log text, or
PINGREQ chains that break at each frame's end), TIMEOUT=seconds. Prints the seconds of
`mqttdump -q` per size and the ratio to the size before it (linear: about 2 when the size
doubles), and checks with --json that the ten PUBLISHes are found.
"""
import os, random, struct, subprocess, sys, tempfile, time

CLI, BRK = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src, dst, sp, dp, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0, 64, 6, 0,
                     src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + payload


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1000 + i // 1000, (i % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)


def junk(rnd, kind, n):
    if kind == "random":
        return rnd.randbytes(n)
    if kind == "chains":
        # PINGREQ after PINGREQ, each 64 KB frame ending in a PUBLISH whose topic runs past
        # it: a chain that reads cleanly to near its end from every other offset
        out = bytearray()
        while len(out) < n:
            k = min(65000, n - len(out))
            out += b"\xc0\x00" * ((k - 4) // 2) + b"\x30\x02\xff\xff"[:k - (k - 4) // 2 * 2]
        return bytes(out[:n])
    # text: lines of a log, whose bytes read as plausible MQTT headers everywhere
    out, i = bytearray(), 0
    while len(out) < n:
        out += b'2026-12-02T10:%02d:%02d sensor-%04d {"temp": %d.%d, "seq": %d}\n' % (
            i // 60 % 60, i % 60, i % 9973, 15 + i % 10, i % 10, i)
        i += 1
    return bytes(out[:n])


def capture(path, size, kind="random", seed=1):
    rnd = random.Random(seed)
    fr, cs, bs = [], 1000, 5000
    def c2b(p, fl=0x18):
        nonlocal cs
        fr.append(frame(CLI, BRK, 40000, 1883, cs, bs, fl, p))
        cs += len(p) + (1 if fl & 3 else 0)
    def b2c(p, fl=0x18):
        nonlocal bs
        fr.append(frame(BRK, CLI, 1883, 40000, bs, cs, fl, p))
        bs += len(p) + (1 if fl & 3 else 0)
    b2c(bytes([0xd0, 0]))
    left = size
    while left:
        n = min(left, 65000)
        c2b(junk(rnd, kind, n))
        left -= n
    for i in range(10):
        topic = b"bench/resync"
        c2b(bytes([0x30, 2 + len(topic) + 4]) + struct.pack("!H", len(topic)) + topic + b"%4d" % i)
    c2b(b"", 0x11)
    b2c(b"", 0x11)
    write(path, fr)


def main():
    binp = sys.argv[1]
    sizes = [int(a) for a in sys.argv[2:]] or [262144, 524288, 16777216, 33554432]
    d = tempfile.mkdtemp()
    print("| non-MQTT bytes | kind | seconds | ratio | PUBLISH found |")
    print("|---|---|---|---|---|")
    kinds = os.environ.get("KINDS", "random text chains").split()
    for kind in kinds:
      prev = None
      for n in sizes:
        p = os.path.join(d, "junk-%d.pcap" % n)
        capture(p, n, kind)
        t = time.perf_counter()
        try:
            subprocess.run([binp, "-r", p, "-q"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True,
                           timeout=float(os.environ.get("TIMEOUT", "600")))
            s = time.perf_counter() - t
            out = subprocess.run([binp, "-r", p, "--json", "--type", "PUBLISH"],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, check=True,
                                 timeout=float(os.environ.get("TIMEOUT", "600")))
        except subprocess.TimeoutExpired:
            print("| %d | %s | > %s (stopped) | | |" % (n, kind, os.environ.get("TIMEOUT", "600")))
            break
        found = sum(1 for l in out.stdout.decode().splitlines() if '"bench/resync"' in l)
        ratio = ""
        if prev and n == 2 * prev[0]:
            ratio = "%.2f" % (s / prev[1])
        print("| %d | %s | %.3f | %s | %d of 10 |" % (n, kind, s, ratio, found), flush=True)
        prev = (n, s)
        os.unlink(p)


if __name__ == "__main__":
    main()
