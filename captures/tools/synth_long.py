#!/usr/bin/env python3
"""synth_long.py OUTDIR: long hand-made sessions, cut into TCP segments of varied sizes.

  large-1mib.pcap     one 3.1.1 session publishing two messages over 1 MiB: a QoS 1 PUBLISH
                      of 1,200,000 bytes of text and a QoS 0 PUBLISH of 1,250,000 binary
                      bytes (written with the PINGREQ after it), in segments of 1,448 to
                      65,483 bytes, ACKed every second segment
  mqtt5-aliases.pcap  one long MQTT 5.0 session: 60 publishes over 7 topics through 4
                      Topic Aliases (set, used with an empty topic, reassigned), with Content
                      Type, Message Expiry, User Properties, Response Topic, Correlation
                      Data, Payload Format; QoS 0, 1, 2 acknowledged with reason codes and
                      Reason Strings; the broker's deliveries with aliases of its own and a
                      Subscription Identifier; several packets per segment, packets across
                      segments
  long-mixed.pcap     one long 3.1.1 session: 24 publishes of 2 bytes to 16 KB at QoS 0, 1
                      and 2 with every acknowledgement, each delivered back, PINGREQs,
                      40 tiny publishes in one segment, all written in sends of several
                      packets cut into segments of 1 to 16,384 bytes, so that packets
                      straddle segments and segments hold several packets
Deterministic (fixed seeds). Standard library only; the TCP/IP framing is synth.py's.
"""
import os, random, struct, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from synth import Session, pkt, s, props, write_pcap  # noqa: E402


def send(x, up, data, rng, sizes):
    """One application write: segments whose sizes sizes(rng) draws, the peer ACKing every
    second segment and the last."""
    i = n = 0
    while i < len(data):
        k = min(len(data) - i, sizes(rng))
        x.tcp(up, 0x18 if i + k == len(data) else 0x10, data[i:i + k])
        if up:
            x.cs += k
        else:
            x.bs += k
        i += k
        n += 1
        if n % 2 == 0 or i == len(data):
            x.tcp(not up, 0x10)


def connect(level, cid, p=b""):
    name = s("MQTT")
    return pkt(0x10, name + bytes([level, 0x02]) + struct.pack("!H", 60) +
               (props(*p) if level == 5 else b"") + s(cid))


def u16(v):
    return struct.pack("!H", v)


def large():
    rng = random.Random(20260101)
    x = Session()
    whole = lambda r: r.choice((1448, 2896, 16384, 32768, 65483, 65483, r.randint(1448, 65483)))
    send(x, True, connect(4, "huge-pub"), rng, whole)
    send(x, False, pkt(0x20, b"\x00\x00"), rng, whole)
    line = b"".join(b"line %06d of the first huge message, plain text\n" % i for i in range(25000))
    text = (line * 2)[:1200000]
    send(x, True, pkt(0x32, s("files/huge/1") + u16(1) + text), rng, whole)
    send(x, False, pkt(0x40, u16(1)), rng, whole)
    blob = bytes(rng.getrandbits(8) for _ in range(1250000))
    send(x, True, pkt(0x30, s("files/huge/2") + blob) + b"\xc0\x00", rng, whole)
    send(x, False, b"\xd0\x00", rng, whole)
    send(x, True, b"\xe0\x00", rng, whole)
    x.close()
    return x


def v5_aliases():
    rng = random.Random(5)
    x = Session()
    small = lambda r: r.choice((r.randint(1, 40), r.randint(20, 300), r.randint(200, 1448)))
    send(x, True, connect(5, "alias-user", (b"\x11" + struct.pack("!I", 120), b"\x21" + u16(20),
                                            b"\x22" + u16(4), b"\x26" + s("site") + s("lab"))),
         rng, small)
    send(x, False, pkt(0x20, b"\x00\x00" + props(b"\x22" + u16(4), b"\x21" + u16(10),
                                                 b"\x12" + s("alias-user-1"))), rng, small)
    send(x, True, pkt(0x82, u16(1) + props(b"\x0b\x09") + s("sensors/#") + b"\x02"), rng,
         small)
    send(x, False, pkt(0x90, u16(1) + props() + b"\x02"), rng, small)
    topics = ["sensors/%s/%s" % (r, q) for r in ("hall", "roof", "cellar", "attic")
              for q in ("temp", "rh")][:7]
    up_alias, down_alias = {}, {}   # topic -> alias, per direction (4 each, reassigned)
    up_order, down_order = [], []
    mid, bmid = 1, 100

    def alias_for(table, order, topic):
        """(topic to send, alias): set a free alias, reuse one, or take the oldest."""
        if topic in table:
            return "", table[topic]
        if len(table) < 4:
            a = len(table) + 1
        else:
            old = order.pop(0)
            a = table.pop(old)
        table[topic] = a
        order.append(topic)
        return topic, a

    pending_up, pending_down = [], []
    for i in range(60):
        topic = topics[rng.randrange(len(topics))]
        qos = rng.choice((0, 0, 1, 1, 2))
        t, a = alias_for(up_alias, up_order, topic)
        pl = ("%.1f" % (15 + rng.random() * 10)).encode() * rng.choice((1, 1, 3, 40))
        pr = [b"\x23" + u16(a), b"\x01\x01", b"\x03" + s("text/plain")]
        if rng.random() < 0.5:
            pr.append(b"\x02" + struct.pack("!I", rng.randint(10, 3600)))
        if rng.random() < 0.4:
            pr.append(b"\x26" + s("seq") + s(str(i)))
            pr.append(b"\x26" + s("unit") + s("C" if "temp" in topic else "%"))
        if rng.random() < 0.2:
            pr += [b"\x08" + s("replies/" + topic), b"\x09" + s(b"c%03d" % i)]
        m = pkt(0x30 | qos << 1, s(t) + (u16(mid) if qos else b"") + props(*pr) + pl)
        pending_up.append(m)
        # the broker: the acknowledgement, then the delivery (its own aliases)
        acks = []
        if qos == 1:
            code = rng.choice((0, 0, 0x10))
            acks.append(pkt(0x40, u16(mid) + (bytes([code]) + props(b"\x1f" + s("nobody"))
                                              if code else b"")))
        elif qos == 2:
            acks.append(pkt(0x50, u16(mid) + b"\x00" + props()))
        bt, ba = alias_for(down_alias, down_order, topic)
        dpr = [b"\x23" + u16(ba), b"\x0b\x09"] + [p for p in pr if p[0] != 0x23]
        dq = min(qos, 2)
        acks.append(pkt(0x30 | dq << 1, s(bt) + (u16(bmid) if dq else b"") + props(*dpr) + pl))
        pending_down += acks
        if rng.random() < 0.5 or i == 59:
            send(x, True, b"".join(pending_up), rng, small)
            send(x, False, b"".join(pending_down), rng, small)
            pending_up, pending_down = [], []
        # the client's side of the flows just delivered
        if qos == 2:
            pending_up.append(pkt(0x62, u16(mid)))
            pending_down.append(pkt(0x70, u16(mid)))
        if dq == 1:
            pending_up.append(pkt(0x40, u16(bmid)))
        elif dq == 2:
            pending_up.append(pkt(0x50, u16(bmid)))
            pending_down.append(pkt(0x62, u16(bmid)))
            pending_up.append(pkt(0x70, u16(bmid)))
        mid, bmid = mid % 65535 + 1, bmid % 65535 + 1
    send(x, True, b"".join(pending_up), rng, small)
    if pending_down:
        send(x, False, b"".join(pending_down), rng, small)
    send(x, True, pkt(0xE0, b"\x00" + props(b"\x11" + struct.pack("!I", 0),
                                             b"\x1f" + s("done"))), rng, small)
    x.close()
    return x


def long_mixed():
    rng = random.Random(311)
    x = Session()
    sizes = lambda r: r.choice((r.randint(1, 16), r.randint(1, 200), r.randint(100, 1448),
                                1448, r.randint(1448, 16384)))
    send(x, True, connect(4, "mixer"), rng, sizes)
    send(x, False, pkt(0x20, b"\x00\x00"), rng, sizes)
    send(x, True, pkt(0x82, u16(1) + s("mix/#") + b"\x02"), rng, sizes)
    send(x, False, pkt(0x90, u16(1) + b"\x02"), rng, sizes)
    mid, bmid, up, down = 1, 1, [], []
    for i in range(24):
        n = int(round(2 ** rng.uniform(0, 14)))  # 1 .. 16 KB of payload
        n = 16370 if i == 5 else n
        topic = "mix/%d" % rng.randrange(6)
        qos = rng.choice((0, 1, 2))
        pl = bytes(rng.getrandbits(8) for _ in range(n)) if rng.random() < 0.3 else \
            (b"%d:" % i + b"abcdefghij" * (n // 10 + 1))[:n]
        up.append(pkt(0x30 | qos << 1 | (i % 7 == 0), s(topic) + (u16(mid) if qos else b"") + pl))
        if qos == 1:
            down.append(pkt(0x40, u16(mid)))
        elif qos == 2:
            down.append(pkt(0x50, u16(mid)))
        down.append(pkt(0x30 | qos << 1, s(topic) + (u16(bmid) if qos else b"") + pl))
        if rng.random() < 0.15:
            up.append(b"\xc0\x00")
            down.append(b"\xd0\x00")
        if i == 12:  # a burst of 40 tiny publishes in one segment (no one subscribed)
            send(x, True, b"".join(up), rng, sizes)
            burst = b"".join(pkt(0x30, s("burst/%d" % k) + b"%d" % k) for k in range(40))
            send(x, True, burst, rng, lambda r: len(burst))
            up = []
        if rng.random() < 0.6 or i == 23:
            send(x, True, b"".join(up), rng, sizes)
            send(x, False, b"".join(down), rng, sizes)
            up, down = [], []
        if qos == 2:
            up.append(pkt(0x62, u16(mid)))
            down.append(pkt(0x70, u16(mid)))
        if qos == 1:
            up.append(pkt(0x40, u16(bmid)))
        elif qos == 2:
            up.append(pkt(0x50, u16(bmid)))
            down.append(pkt(0x62, u16(bmid)))
            up.append(pkt(0x70, u16(bmid)))
        mid, bmid = mid + 1, bmid + 1
    up.append(b"\xe0\x00")
    send(x, True, b"".join(up), rng, sizes)
    if down:
        send(x, False, b"".join(down), rng, sizes)
    x.close()
    return x


def main():
    out = sys.argv[1]
    write_pcap(os.path.join(out, "large-1mib.pcap"), large(), "eth")
    write_pcap(os.path.join(out, "mqtt5-aliases.pcap"), v5_aliases(), "eth")
    write_pcap(os.path.join(out, "long-mixed.pcap"), long_mixed(), "eth")


if __name__ == "__main__":
    main()
