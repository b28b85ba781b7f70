#!/usr/bin/env python3
"""make_corpus.py OUTDIR: seed corpora for the fuzz targets from captures/.

OUTDIR/pcap: the captures under 1.1 MB, and pcapng versions of some of them (pcapng_seeds:
several link types, if_tsresol 6, 9, 0 and 2^-1, big-endian sections, time stamps near
2^64, records cut by the snap length and an IDB snap length below them); OUTDIR/mqtt: every
MQTT packet of them, one per file; OUTDIR/stream: each direction's byte stream (first 4 KB)
behind a script of 4 steps. Large inputs (about 1 MiB) that reach the costly paths: a
stream of MQTT-looking garbage to resynchronise over, a stream of 95,000 QoS 1 PUBLISHes
never acknowledged, and a pcap of one connection carrying 24,000 of them (the session
end's open requests).
"""
import glob, hashlib, os, struct, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "captures", "tools"))
import damage  # noqa: E402  (reads pcaps, reassembles, frames MQTT)


def put(d, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def pcapng(link, recs, tsresol=None, snaplen=0, endian="<", stamp=None, cut=0):
    """A pcapng file of one section and one interface: recs are (sec, usec, data, wirelen);
    stamp(i, sec, usec) gives the 64-bit time in the interface's units (default: usec);
    cut > 0 keeps at most cut bytes of each record."""
    def blk(t, body):
        body += b"\0" * ((-len(body)) % 4)
        n = 12 + len(body)
        return struct.pack(endian + "II", t, n) + body + struct.pack(endian + "I", n)

    def opt(code, val):
        return struct.pack(endian + "HH", code, len(val)) + val + b"\0" * ((-len(val)) % 4)
    opts = (opt(9, bytes([tsresol])) if tsresol is not None else b"") + opt(0, b"")
    out = blk(0x0a0d0d0a, struct.pack(endian + "IHHq", 0x1a2b3c4d, 1, 0, -1))
    out += blk(1, struct.pack(endian + "HHI", link, 0, snaplen) + opts)
    for i, (sec, usec, data, wirelen) in enumerate(recs):
        t = (stamp(i, sec, usec) if stamp else sec * 1000000 + usec) & (2 ** 64 - 1)
        if cut:
            data = data[:cut]
        out += blk(6, struct.pack(endian + "IIIII", 0, t >> 32, t & 0xffffffff, len(data),
                                  wirelen) + data)
    return out


def pcap_recs(path):
    """(link type, [(sec, usec, data, wirelen)]) of a little-endian microsecond pcap."""
    d = open(path, "rb").read()
    if d[:4] != b"\xd4\xc3\xb2\xa1":
        return None, []
    link, off, recs = struct.unpack("<I", d[20:24])[0], 24, []
    while off + 16 <= len(d):
        s, u, cl, wl = struct.unpack("<IIII", d[off:off + 16])
        recs.append((s, u, d[off + 16:off + 16 + cl], wl))
        off += 16 + cl
    return link, recs


def pcapng_seeds(capdir):
    """pcapng versions of small captures of several link types, with the variants the
    pcapng reader and the time code must survive."""
    huge = lambda i, s, u: 2 ** 64 - 64 + i
    near_int64 = lambda i, s, u: 2 ** 63 - 2 + i
    variants = [dict(), dict(tsresol=9, stamp=lambda i, s, u: (s * 1000000 + u) * 1000),
                dict(tsresol=0, stamp=huge), dict(tsresol=9, stamp=huge),
                dict(tsresol=0x81, stamp=near_int64), dict(endian=">"),
                dict(snaplen=64), dict(cut=60), dict(snaplen=80, cut=80)]
    for name in ("qos1", "link-sll", "link-sll2", "link-raw4", "link-raw6", "link-null",
                 "link-vlan", "link-loop", "mqtt5-all-types"):
        link, recs = pcap_recs(os.path.join(capdir, name + ".pcap"))
        if not recs:
            continue
        for v in variants:
            yield pcapng(link, recs[:60], **v)


def large_streams():
    """About 1 MiB each, one segment (script of 0 steps)."""
    junk = bytearray()
    i = 0
    while len(junk) < 1 << 20:  # fixed headers with lengths past the data: resync work
        junk += bytes([0x30 | (i % 16), 0xff, 0xff, 0xff, 0x7f, 0x00, 0x03, 0x61, 0x2f])
        i += 1
    connect = bytes([0x10, 0x10, 0x00, 0x04]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 4]) + b"fuzz"
    pubs = bytearray(connect)
    n = 0
    while len(pubs) < 1 << 20:
        n = n % 65535 + 1
        pubs += bytes([0x32, 0x09, 0x00, 0x03]) + b"a/b" + struct.pack(">H", n) + b"xy"
    return [bytes([0]) + bytes(junk), bytes([0]) + bytes(pubs)], bytes(pubs)


def tcp_pcap(stream, mss=1400):
    """A classic pcap (Ethernet) of stream sent by 10.0.0.1:40000 to 10.0.0.2:1883."""
    out = bytearray(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
    seq = 1000
    for k, o in enumerate(range(0, len(stream), mss)):
        data = stream[o:o + mss]
        tcp = struct.pack(">HHIIBBHHH", 40000, 1883, seq, 1, 0x50, 0x18, 65535, 0, 0)
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(data), k & 0xffff, 0,
                         64, 6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        eth = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01\x08\x00"
        frame = eth + ip + tcp + data
        out += struct.pack("<IIII", k, 0, len(frame), len(frame)) + frame
        seq += len(data)
    return bytes(out)


def main():
    out = sys.argv[1]
    capdir = os.path.join(here, "..", "captures")
    for seed in pcapng_seeds(capdir):
        put(os.path.join(out, "pcap"), seed)
    caps = sorted(glob.glob(os.path.join(capdir, "*.pcap")) +
                  glob.glob(os.path.join(capdir, "*.pcapng")) +
                  glob.glob(os.path.join(capdir, "damaged", "*.pcap")))
    for c in caps:
        raw = open(c, "rb").read()
        if len(raw) < 1100000:
            put(os.path.join(out, "pcap"), raw)
        try:
            e, hdr, link, recs = damage.read_pcap(c)
            streams = damage.analyse(link, recs)
        except SystemExit:
            continue
        for key, d, stream, ranges in streams:
            for (s0, s1, typ, flags, body) in damage.mqtt_messages(stream):
                if s1 - s0 < 4096:
                    put(os.path.join(out, "mqtt"), stream[s0:s1])
            head = stream[:4096]
            script = bytes([4, 40, 0, 200, 2, 17, 6, 90, 10])
            put(os.path.join(out, "stream"), script + head)
    streams, pubs = large_streams()
    for st in streams:
        put(os.path.join(out, "stream"), st)
    # 24,000 of them in the pcap (about 300 KB: the whole pipeline runs on each input)
    put(os.path.join(out, "pcap"), tcp_pcap(pubs[:18 + 11 * 24000]))


if __name__ == "__main__":
    main()
