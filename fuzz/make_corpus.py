#!/usr/bin/env python3
"""make_corpus.py OUTDIR: seed corpora for the fuzz targets from captures/.

OUTDIR/pcap: the captures under 200 KB; OUTDIR/mqtt: every MQTT packet of them, one per
file; OUTDIR/stream: each direction's byte stream (first 4 KB) behind a script of 4 steps.
"""
import glob, hashlib, os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "captures", "tools"))
import damage  # noqa: E402  (reads pcaps, reassembles, frames MQTT)


def put(d, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1]
    caps = sorted(glob.glob(os.path.join(here, "..", "captures", "*.pcap")) +
                  glob.glob(os.path.join(here, "..", "captures", "damaged", "*.pcap")))
    for c in caps:
        raw = open(c, "rb").read()
        if len(raw) < 200000:
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


if __name__ == "__main__":
    main()
