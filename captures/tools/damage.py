#!/usr/bin/env python3
"""damage.py: make damaged captures from clean ones, each with a manifest.

usage: damage.py SPEC.json OUTDIR

SPEC lists damaged captures to make: {"name": {"from": CLEAN.pcap, "ops": [...]}} where each
op is one of
  {"drop": [frame, ...]}        remove these frames (a lost segment)
  {"swap": [a, b]}              exchange two frames' places (reordering)
  {"dup": [frame, ...]}         repeat these frames right after themselves (retransmission)
  {"start": frame}              drop every frame before this one (capture starts late)
  {"snaplen": n}                cut every frame to n bytes (caplen n, wire length kept)
Frame numbers are the clean capture's. For each damaged capture it writes NAME.pcap and
NAME.manifest.json: what was done, and the MQTT messages that must survive whole (those none
of whose bytes were touched), identified by connection, direction, type, packet id, topic
and length. The clean capture is read as it is: TCP reassembly by sequence number and MQTT
framing by fixed headers (it must be clean: no loss, no reordering).
"""
import json, os, struct, sys


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        raise SystemExit("%s: not a pcap file (pcapng is not supported here)" % path)
    hdr = data[:24]
    link = struct.unpack(e + "I", data[20:24])[0]
    recs, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, wire = struct.unpack(e + "IIII", data[off:off + 16])
        recs.append([sec, frac, wire, data[off + 16:off + 16 + caplen]])
        off += 16 + caplen
    return e, hdr, link, recs


def write_pcap(path, e, hdr, recs):
    with open(path, "wb") as f:
        f.write(hdr)
        for sec, frac, wire, body in recs:
            f.write(struct.pack(e + "IIII", sec, frac, len(body), wire))
            f.write(body)


def tcp_of(link, b):
    """(src, sport, dst, dport, seq, flags, payload offset in frame, payload len) or None."""
    if link == 1:
        off, et = 14, struct.unpack(">H", b[12:14])[0]
        while et in (0x8100, 0x88A8):
            et = struct.unpack(">H", b[off + 2:off + 4])[0]
            off += 4
    elif link == 113:
        off, et = 16, struct.unpack(">H", b[14:16])[0]
    elif link in (101, 12, 228, 229):
        off, et = 0, 0x0800 if b[0] >> 4 == 4 else 0x86DD
    elif link == 0:
        off, et = 4, 0x0800 if b[0] == 2 or b[3] == 2 else 0x86DD
    else:
        return None
    if et == 0x0800:
        ihl = (b[off] & 15) * 4
        total = struct.unpack(">H", b[off + 2:off + 4])[0]
        if b[off + 9] != 6:
            return None
        src, dst = b[off + 12:off + 16], b[off + 16:off + 20]
        t = off + ihl
        end = off + total
    elif et == 0x86DD:
        if b[off + 6] != 6:
            return None  # extension headers: not in the captures we damage
        src, dst = b[off + 8:off + 24], b[off + 24:off + 40]
        t = off + 40
        end = t + struct.unpack(">H", b[off + 4:off + 6])[0]
    else:
        return None
    sport, dport, seq = struct.unpack(">HHI", b[t:t + 8])
    hl = (b[t + 12] >> 4) * 4
    flags = b[t + 13]
    return src.hex(), sport, dst.hex(), dport, seq, flags, t + hl, end - (t + hl)


def mqtt_messages(stream):
    """Walk fixed headers: [(start, end, type, flags, body)]."""
    out, i = [], 0
    while i < len(stream):
        first = stream[i]
        mult, rl, j = 1, 0, i + 1
        while True:
            if j >= len(stream):
                return out
            rl += (stream[j] & 127) * mult
            mult *= 128
            j += 1
            if not stream[j - 1] & 128:
                break
        if j + rl > len(stream):
            return out
        out.append((i, j + rl, first >> 4, first & 15, stream[j:j + rl]))
        i = j + rl
    return out


def identity(conn, d, typ, flags, body, version):
    """What a manifest remembers of a message (as mqttdump's JSON shows it)."""
    msgid, topic = None, None
    if typ == 3:
        tl = struct.unpack(">H", body[:2])[0]
        topic = body[2:2 + tl].decode("utf-8", "replace")
        if (flags >> 1) & 3:
            msgid = struct.unpack(">H", body[2 + tl:4 + tl])[0]
    elif typ in (4, 5, 6, 7, 8, 9, 10, 11):
        msgid = struct.unpack(">H", body[:2])[0]
    return {"client": conn[0], "dir": "client" if d == 0 else "broker", "type_id": typ,
            "msgid": msgid, "topic": topic, "length": len(body)}


def analyse(link, recs, ports=(1883,)):
    """Per connection and direction: segments (frame, rel offset, captured payload) and the
    MQTT messages of the whole stream, with the byte ranges each frame carried."""
    conns = {}
    for n, (_, _, _, b) in enumerate(recs, 1):
        t = tcp_of(link, b)
        if not t:
            continue
        src, sport, dst, dport, seq, flags, po, plen = t
        if dport in ports:
            key, d = ("%s:%d" % (src, sport), "%s:%d" % (dst, dport)), 0
        elif sport in ports:
            key, d = ("%s:%d" % (dst, dport), "%s:%d" % (src, sport)), 1
        else:
            continue
        c = conns.setdefault(key, [dict(base=None, segs=[]), dict(base=None, segs=[])])
        s = c[d]
        if flags & 2:
            s["base"] = seq + 1
            continue
        if plen == 0:
            continue
        if s["base"] is None:
            s["base"] = seq
        s["segs"].append((n, (seq - s["base"]) & 0xFFFFFFFF, b[po:po + plen]))
    result = []
    for key, dirs in conns.items():
        for d in (0, 1):
            segs = sorted(dirs[d]["segs"], key=lambda x: x[1])
            stream, ranges = bytearray(), []
            for n, off, pay in segs:
                if off + len(pay) <= len(stream):
                    ranges.append((n, off, off + len(pay)))
                    continue  # retransmission
                if off != len(stream) and off < len(stream):
                    pay = pay[len(stream) - off:]
                    off = len(stream)
                if off != len(stream):
                    raise SystemExit("%s: the clean capture has a hole" % (key,))
                stream += pay
                ranges.append((n, off, off + len(pay)))
            result.append((key, d, bytes(stream), ranges))
    return result


def main():
    spec = json.load(open(sys.argv[1]))
    outdir = sys.argv[2]
    base = os.path.dirname(os.path.abspath(sys.argv[1]))
    for name, job in spec.items():
        e, hdr, link, recs = read_pcap(os.path.join(base, job["from"]))
        ports = tuple(job.get("ports", [1883]))
        streams = analyse(link, recs, ports)
        # bytes touched: (key, dir) -> list of (start, end) stream ranges
        order = list(range(1, len(recs) + 1))
        touched_frames, snap = set(), None
        for op in job["ops"]:
            if "drop" in op:
                touched_frames |= set(op["drop"])
                order = [n for n in order if n not in op["drop"]]
            elif "start" in op:
                touched_frames |= set(range(1, op["start"]))
                order = [n for n in order if n >= op["start"]]
            elif "swap" in op:
                a, b = op["swap"]
                i, j = order.index(a), order.index(b)
                order[i], order[j] = order[j], order[i]
            elif "dup" in op:
                out = []
                for n in order:
                    out.append(n)
                    if n in op["dup"]:
                        out.append(n)
                order = out
            elif "snaplen" in op:
                snap = op["snaplen"]
            else:
                raise SystemExit("unknown op %r" % op)
        survivors, touched_msgs = [], 0
        for key, d, stream, ranges in streams:
            lost = []
            for n, a, b in ranges:
                if n in touched_frames:
                    lost.append((a, b))
                elif snap is not None:
                    _, _, _, body = recs[n - 1]
                    t = tcp_of(link, body)
                    keep = max(0, min(b - a, snap - t[6]))
                    if keep < b - a:
                        lost.append((a + keep, b))
            # a byte is lost only if no kept frame carried it (retransmissions)
            kept = [(a, b) for n, a, b in ranges if n not in touched_frames]
            version = None
            for (s0, s1, typ, flags, body) in mqtt_messages(stream):
                if typ == 1 and len(body) > 6:
                    version = body[6]

                def covered(x0, x1):
                    pos = x0
                    for a, b in sorted(kept):
                        if a <= pos < b:
                            pos = b
                    return pos >= x1
                hit = any(a < s1 and s0 < b for a, b in lost)
                if hit and snap is None and covered(s0, s1):
                    hit = False
                if hit:
                    touched_msgs += 1
                    continue
                survivors.append(identity(key, d, typ, flags, body, version))
        new = []
        for n in order:
            sec, frac, wire, body = recs[n - 1]
            if snap is not None and len(body) > snap:
                body = body[:snap]
            new.append([sec, frac, wire, body])
        write_pcap(os.path.join(outdir, name + ".pcap"), e, hdr, new)
        manifest = {"from": job["from"], "ops": job["ops"], "ports": list(ports),
                    "what": job.get("what", ""), "touched_messages": touched_msgs,
                    "surviving": survivors}
        with open(os.path.join(outdir, name + ".manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write("\n")
        print("%s: %d frames, %d messages survive, %d touched" % (
            name, len(new), len(survivors), touched_msgs))


if __name__ == "__main__":
    main()
