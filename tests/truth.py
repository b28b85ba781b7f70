#!/usr/bin/env python3
"""truth.py: exhaustive damage sweeps judged by an independent oracle (TAP).

usage: truth.py MQTTDUMP SOURCE_ROOT [--only NAME] [--group GROUP] [-v] [--keep DIR] [-j N]

  --only NAME    one clean capture (its name without .pcap, e.g. qos1); repeatable
  --group GROUP  one group: clean start drop burst move dup snap random; repeatable
  -v             every discrepancy, not the first five of each group
  --keep DIR     keep the batch pcaps, and each variant with a discrepancy as a pcap of its
                 own (DIR/NAME.GROUP.N.pcap, frames numbered as in the report) with a
                 .txt beside it: the variant, the messages expected, what mqttdump said
  -j N           worker processes (default: the number of CPUs, at most 4)

Every clean capture in captures/ (*.pcap, *.pcapng; not malformed.pcap nor
hostile-strings.pcap, which break rules on purpose, not the TLS ones
tls*/wss*, not damaged/) is read here, in Python, without mqttdump: each TCP connection is
reassembled in sequence-number order and each direction framed by its fixed headers (the
capture must be clean: no hole), giving every MQTT message with its stream offsets
[start, end), its fixed header length and its fields (decoded here: type, flags, remaining
length, packet id, topic, payload, MQTT 5.0 properties, codes). Damaged variants are derived
from it, mqttdump --json (with the capture's .args) is run on them, and its complete
messages (records with type_id, neither incomplete nor truncated) are compared with the
truth computed below. The truth never comes from mqttdump.

Variants are made per connection: the framer and the reassembly work per connection, so a
damage to the whole capture (start at frame k, a segment moved 40 frames later) is, for each
connection, the same damage to that connection's frames alone (start at its first frame at
or after k; moved past its own frames among the next 40). Each variant is one connection,
damaged; many variants go into one batch pcap, each under its own client address
(100.64.0.0/10, 2001:db8::/96), frames 1 ms apart (framing does not depend on time stamps;
no idle timeout can fire), and one mqttdump run judges the whole batch. Frame numbers in
the report are the variant's own (1 = its first frame), as in the pcap --keep writes.

Groups (per connection; "data segment" = a frame with TCP payload):
  clean   the connection as captured (the oracle's own check: must be exact)
  start   the capture starts at each of its frames in turn
  drop    each data segment lost in turn
  burst   2, 3, 4 and 5 consecutive data segments of one direction lost, at each place
  move    each data segment moved 1, 5, 40 and 200 frames later (of the whole capture;
          still in the file: it fills its hole, nothing is lost); each pair of adjacent
          frames swapped (the SYNs stay first)
  dup     each data segment repeated at once; repeated 5 frames later; re-sent at once with
          4 bytes before it (an overlapping retransmission); lost and re-sent one frame
          later with 4 bytes before it (the overlap fills the hole)
  snap    every frame cut to 60, 80, 128, 200 bytes
  random  seeded random combinations of the above (fixed seeds)

The truth rule (also in docs/robustness.md, "The truth rule"):
  - Per direction, the stream bytes present in the variant, after in-order reassembly of
    what remains, form runs separated by holes. A hole is stream bytes no remaining frame
    carries: bytes of a moved or repeated segment still present are not a hole; bytes the
    snap length cut are; a frame whose TCP header is cut carries nothing.
  - Without that direction's SYN in the variant, the stream starts at the first byte seen
    (in frame order): bytes before it that arrive later cannot be placed in the stream
    (see OPTIONAL).
  - The first run is in sync when it starts at offset 0 and that direction's SYN is in the
    variant. A run after a hole is in sync from a known boundary: the previous run was in
    sync (or found sync) and the hole lies inside one message whose whole fixed header was
    in an earlier run (its length is known), so framing resumes at that message's end when
    the run reaches it. Otherwise the run is out of sync.
  - REQUIRED: every whole message of an in-sync run from the known boundary on. In an
    out-of-sync run: from the first message that starts a chain of two consecutive whole
    messages, or that is whole and ends exactly where the run ends (a hole or the end of
    the stream follows), every whole message of the run from there on (once framing is
    found it stays, and carries across later holes as above). A message used as evidence
    must be of a type its sender may send (anomaly-wrong-direction's broker SUBSCRIBE
    cannot start a chain).
  - OPTIONAL: whole messages of an out-of-sync run before that point (mqttdump may or may
    not report them); a message wholly before the first byte seen without a SYN (it may
    be reported on its own). With --detect, a connection not on a -p port is decoded only
    if its CONNECT opens the client's stream: when the variant lost that, all its
    messages are optional.
  - A message with any byte missing must not be reported as complete.
  - A message's frame is where its last byte is delivered in order (in the variant's
    numbering): the latest of the first frames carrying (or, for the snap length,
    cutting) each byte from the stream's start up to it. A segment that arrives late and
    fills a hole completes what waited behind it in the frame that filled it. After a
    lost hole, the bytes held behind it keep the frames they came in when the hole is
    given up, and when that happens is the reassembly's choice: there the message's own
    latest frame is accepted too. A byte's frame is the first frame that carried it.
  - Fields are those of the clean decoding, with the connection's version from its clean
    CONNECT, also when the variant lost the CONNECT (mqttdump must infer it). Exception:
    an MQTT 5.0 PUBLISH that uses a Topic Alias must show the aliased topic only when
    the PUBLISH that set the alias is whole, reported, and in the same run (no hole
    between them, where a lost PUBLISH could have set the alias again); otherwise its
    topic is not compared.
Checks per variant and direction: each reported complete message matches a REQUIRED or
OPTIONAL message with the same type, flags, remaining length, packet id and frame (none
invented), every REQUIRED message is reported (none lost), and the matched pairs have equal
fields (topic, QoS, retain, dup, payload length and the payload shown, properties, codes,
client id, protocol level). Reported as: lost, invented, cut (a message with bytes missing
reported complete), frame (a message at another frame than its truth), fields.

A version the variant does not decide: when the variant holds no byte of the connection's
CONNECT, its only discrepancies are wrong fields, and mqttdump read every message of the
connection under one version other than the clean CONNECT's, marked version_inferred, the
variant is "undecidable" (counted apart from "exact", each listed with its reason) if the
bytes really read both ways: the judge's own decoding under mqttdump's version obeys that
version's rules (3.1.1 SUBACK return codes 0, 1, 2, 0x80; acknowledgement lengths; 5.0
reason codes per packet type, property blocks) and equals mqttdump's records, and tshark
with -o mqtt.default_version set to that version decodes the variant into the same
messages at the same frames with the same values (tests/tshark_json.py's mapping), with
no malformed packet and no expert note in MQTT. Otherwise, or without tshark, the variant
stays a failure. The last test is this check's self-test: it must accept session-present
from frame 110 as mqttdump reads it and reject wrong readings (a SUBACK code flipped; a
3.1.1 connection claimed as 5.0), by the judge's own decoding and by tshark alone.
"""
import bisect, collections, glob, json, ipaddress, os, random, shutil, struct
import re, subprocess, sys, tempfile, time

GROUPS = ("clean", "start", "drop", "burst", "move", "dup", "snap", "random")
MOVES = (1, 5, 40, 200)
SNAPS = (60, 80, 128, 200)
OVERLAP = 4
BATCH_FRAMES = 250000
BATCH_BYTES = 256 << 20
T0 = 1767225600
ABSENT = object()

# ---- reading captures ------------------------------------------------------------------


class Capture:
    """A clean capture: link type, pcap header to write variants with, records."""

    def __init__(self, path):
        data = open(path, "rb").read()
        if data[:4] == b"\x0a\x0d\x0d\x0a":
            self.link, self.recs = read_pcapng(data)
            self.e, self.nano = "<", False
            self.hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, self.link)
        else:
            self.e, self.hdr, self.link, self.recs = damage.read_pcap(path)
            magic = struct.unpack(self.e + "I", self.hdr[:4])[0]
            self.nano = magic == 0xA1B23C4D
        self.path = path


def read_pcapng(data):
    """(link, [[sec, usec, wire, body]]) of a pcapng file's enhanced packet blocks."""
    recs, link, off, e, res = [], None, 0, "<", 6
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        body = data[off + 8:off + blen - 4]
        if btype == 1 and link is None:
            link = struct.unpack(e + "H", body[:2])[0]
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    res = body[o + 4]
                o += 4 + ln + (-ln % 4)
        elif btype == 6:
            _, hi, lo, cap, wire = struct.unpack(e + "IIIII", body[:20])
            ts = (hi << 32 | lo) * 10 ** 6 // 10 ** res if res < 128 else (hi << 32 | lo)
            recs.append([ts // 10 ** 6, ts % 10 ** 6, wire, body[20:20 + cap]])
        off += blen
    return link, recs


class Seg:
    """What a frame holds for TCP (offsets into the frame's bytes)."""
    __slots__ = ("ipver", "ip_off", "src_off", "dst_off", "alen", "tcp_off", "pay_off",
                 "ip_end", "sport", "dport", "seq", "flags", "wire_len", "cap_len")


def parse_frame(link, b):
    """Seg of a TCP frame, or None when it is not TCP or its IP or TCP header is cut."""
    n = len(b)
    et = None
    if link == 1:
        if n < 14:
            return None
        off, et = 14, b[12] << 8 | b[13]
        while et in (0x8100, 0x88A8, 0x9100):
            if n < off + 4:
                return None
            et, off = b[off + 2] << 8 | b[off + 3], off + 4
    elif link == 113:
        if n < 16:
            return None
        off, et = 16, b[14] << 8 | b[15]
    elif link == 276:
        if n < 20:
            return None
        off, et = 20, b[0] << 8 | b[1]
    elif link in (0, 108):
        off = 4
    elif link in (101, 12, 14, 228, 229):
        off = 0
    else:
        return None
    if et is None:
        if n <= off:
            return None
        v = b[off] >> 4
        et = 0x0800 if v == 4 else 0x86DD if v == 6 else 0
    s = Seg()
    s.ip_off = off
    if et == 0x0800:
        if n < off + 20:
            return None
        ihl = (b[off] & 15) * 4
        if b[off + 9] != 6 or n < off + ihl:
            return None
        s.ipver, s.src_off, s.dst_off, s.alen = 4, off + 12, off + 16, 4
        t = off + ihl
        s.ip_end = off + (b[off + 2] << 8 | b[off + 3])
    elif et == 0x86DD:
        if n < off + 40:
            return None
        nh, t = b[off + 6], off + 40
        s.ip_end = t + (b[off + 4] << 8 | b[off + 5])
        while nh in (0, 43, 60):
            if n < t + 2:
                return None
            nh, t = b[t], t + (b[t + 1] + 1) * 8
        if nh != 6:
            return None
        s.ipver, s.src_off, s.dst_off, s.alen = 6, off + 8, off + 24, 16
    else:
        return None
    if n < t + 20:
        return None
    hl = (b[t + 12] >> 4) * 4
    if hl < 20 or n < t + hl:
        return None
    s.sport, s.dport, s.seq = struct.unpack_from(">HHI", b, t)
    s.flags = b[t + 13]
    s.tcp_off, s.pay_off = t, t + hl
    s.wire_len = max(0, s.ip_end - s.pay_off)
    s.cap_len = max(0, min(n, s.ip_end) - s.pay_off)
    return s


# ---- decoding MQTT (the oracle's own reader) ---------------------------------------------

# MQTT 5.0 properties (spec 2.2.2.2): identifier -> (name in mqttdump's JSON, kind)
PROPS = {
    0x01: ("payload_format_indicator", "u8"), 0x02: ("message_expiry_interval", "u32"),
    0x03: ("content_type", "str"), 0x08: ("response_topic", "str"),
    0x09: ("correlation_data", "bin"), 0x0B: ("subscription_identifier", "var"),
    0x11: ("session_expiry_interval", "u32"), 0x12: ("assigned_client_identifier", "str"),
    0x13: ("server_keep_alive", "u16"), 0x15: ("authentication_method", "str"),
    0x16: ("authentication_data", "bin"), 0x17: ("request_problem_information", "u8"),
    0x18: ("will_delay_interval", "u32"), 0x19: ("request_response_information", "u8"),
    0x1A: ("response_information", "str"), 0x1C: ("server_reference", "str"),
    0x1F: ("reason_string", "str"), 0x21: ("receive_maximum", "u16"),
    0x22: ("topic_alias_maximum", "u16"), 0x23: ("topic_alias", "u16"),
    0x24: ("maximum_qos", "u8"), 0x25: ("retain_available", "u8"),
    0x26: ("user_properties", "pair"), 0x27: ("maximum_packet_size", "u32"),
    0x28: ("wildcard_subscription_available", "u8"),
    0x29: ("subscription_identifier_available", "u8"),
    0x2A: ("shared_subscription_available", "u8"),
}
NAMES = {1: "CONNECT", 2: "CONNACK", 3: "PUBLISH", 4: "PUBACK", 5: "PUBREC", 6: "PUBREL",
         7: "PUBCOMP", 8: "SUBSCRIBE", 9: "SUBACK", 10: "UNSUBSCRIBE", 11: "UNSUBACK",
         12: "PINGREQ", 13: "PINGRESP", 14: "DISCONNECT", 15: "AUTH", 0: "RESERVED"}
# what each side may send (the framer takes only these as evidence of a boundary)
SENDS = ({1, 3, 4, 5, 6, 7, 8, 10, 12, 14, 15}, {2, 3, 4, 5, 6, 7, 9, 11, 13, 14, 15})
FLAGS = {3: None, 6: 2, 8: 2, 10: 2}  # fixed flags per type; None: any (PUBLISH)


class Cur:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, n):
        if n > len(self.b) - self.p:
            raise ValueError("short")
        self.p += n
        return self.b[self.p - n:self.p]

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def var(self):
        v, m = 0, 1
        for _ in range(4):
            c = self.u8()
            v += (c & 127) * m
            m *= 128
            if not c & 128:
                return v
        raise ValueError("varint")

    def str(self):
        return self.take(self.u16()).decode("utf-8", "replace")

    def bin(self):
        return self.take(self.u16())

    def left(self):
        return len(self.b) - self.p

    def props(self):
        end = self.var()
        sub = Cur(self.take(end))
        out = {}
        while sub.left():
            name, kind = PROPS[sub.var()]
            if kind == "pair":
                k = sub.str()
                out.setdefault(name, []).append({"key": k, "value": sub.str()})
            elif kind == "var" and name == "subscription_identifier":
                out.setdefault(name, []).append(sub.var())
            else:
                v = getattr(sub, kind)()
                out[name] = v.hex() if kind == "bin" else v
        return out


def decode(typ, flags, body, v5):
    """The fields mqttdump's JSON must show for this message: {key: value}."""
    c, f = Cur(body), {}
    if typ == 1:
        c.str()
        f["proto_level"] = c.u8()
        c.u8()
        f["keepalive"] = c.u16()
        if f["proto_level"] == 5:
            f["properties"] = c.props()
        f["clientid"] = c.str()
    elif typ == 2:
        f["session_present"] = bool(c.u8() & 1)
        f["code"] = c.u8()
        f["properties"] = c.props() if v5 and c.left() else {}
    elif typ == 3:
        qos = (flags >> 1) & 3
        f.update(qos=qos, retain=bool(flags & 1), dup=bool(flags & 8), topic=c.str())
        if qos:
            f["msgid"] = c.u16()
        f["properties"] = c.props() if v5 else {}
        f["payload"] = c.take(c.left())
        f["payload_len"] = len(f["payload"])
    elif typ in (4, 5, 6, 7):
        f["msgid"] = c.u16()
        f["code"] = c.u8() if c.left() else ABSENT
        f["properties"] = c.props() if v5 and c.left() else {}
    elif typ in (8, 10):
        f["msgid"] = c.u16()
        f["properties"] = c.props() if v5 else {}
        f["topic"] = c.str()
    elif typ in (9, 11):
        f["msgid"] = c.u16()
        f["properties"] = c.props() if v5 else {}
        if typ == 9 or v5:
            f["codes"] = list(c.take(c.left()))
    elif typ in (14, 15):
        f["code"] = c.u8() if v5 and c.left() else ABSENT
        f["properties"] = c.props() if v5 and c.left() else {}
    return f


# ---- the clean capture: connections, streams, messages -----------------------------------


class Msg:
    __slots__ = ("i", "start", "end", "hend", "typ", "flags", "length", "msgid", "fields",
                 "setter", "plausible")


class Dir:
    def __init__(self):
        self.isn, self.segs, self.stream, self.msgs, self.starts = None, [], b"", [], []


class Conn:
    def __init__(self, key):
        self.key, self.frames, self.dirs = key, [], [Dir(), Dir()]
        self.client = self.broker = None
        self.detect = False


def load(path, args):
    cap = Capture(path)
    ports, detect = [], "--detect" in args
    for i, a in enumerate(args):
        if a == "-p":
            ports.append(int(args[i + 1]))
    ports = set(ports or [1883])
    skip_ports = {8883, 8080, 9001}
    for i, a in enumerate(args):
        if a in ("--tls-port", "--ws-port"):
            skip_ports.add(int(args[i + 1]))
    conns, by_key, segs, cap.fdir = [], {}, [], {}
    for n, (_, _, _, b) in enumerate(cap.recs):
        s = parse_frame(cap.link, b)
        segs.append(s)
        if s is None:
            continue
        a = (b[s.src_off:s.src_off + s.alen], s.sport)
        z = (b[s.dst_off:s.dst_off + s.alen], s.dport)
        key = (a, z) if a < z else (z, a)
        c = by_key.get(key)
        if s.flags & 0x02 and not s.flags & 0x10 and c is not None and (
                c.dirs[0].segs or c.dirs[1].segs):
            c = None  # a new connection on the same 4-tuple
        if c is None:
            c = by_key[key] = Conn(key)
            conns.append(c)
        if c.client is None:
            if s.flags & 0x02:
                c.client, c.broker = (a, z) if not s.flags & 0x10 else (z, a)
            elif z[1] in ports or a[1] in ports:
                c.client, c.broker = (a, z) if z[1] in ports else (z, a)
            else:
                c.client, c.broker = (a, z) if z[1] < a[1] else (z, a)
        c.frames.append(n)
    out = []
    for c in conns:
        if c.client is None or c.broker[1] in skip_ports:
            continue
        if c.broker[1] not in ports:
            if not detect:
                continue
            c.detect = True
        for n in c.frames:
            s = segs[n]
            d = cap.fdir[n] = 0 if cap.recs[n][3][s.src_off:s.src_off + s.alen] == \
                c.client[0] and s.sport == c.client[1] else 1
            if s.flags & 0x02:
                c.dirs[d].isn = s.seq
            elif s.wire_len:
                if s.cap_len != s.wire_len:
                    raise SystemExit("%s: frame %d is cut: not a clean capture" % (path, n + 1))
                c.dirs[d].segs.append((n, s.seq, s.cap_len))
        ok = frame_streams(cap, c, segs)
        if ok and c.detect and not (c.dirs[0].msgs and c.dirs[0].msgs[0].typ == 1):
            continue
        if ok:
            out.append(c)
    cap.segs, cap.conns = segs, out
    return cap


def frame_streams(cap, c, segs):
    """Reassemble and frame both directions of c; False when there is nothing to judge."""
    version = 4
    for d in (0, 1):
        x = c.dirs[d]
        if x.isn is None:
            if not x.segs:
                x.base = 0
                continue
            x.isn = (min(s[1] for s in x.segs) - 1) & 0xFFFFFFFF
        x.base = (x.isn + 1) & 0xFFFFFFFF
        buf = bytearray()
        for n, seq, ln in sorted(x.segs, key=lambda s: (s[1] - x.base) & 0xFFFFFFFF):
            off = (seq - x.base) & 0xFFFFFFFF
            b = cap.recs[n][3]
            pay = b[segs[n].pay_off:segs[n].pay_off + ln]
            if off > len(buf):
                raise SystemExit("%s: hole in the clean capture (%r)" % (cap.path, c.key))
            if off + ln > len(buf):
                buf += pay[len(buf) - off:]
        x.stream = bytes(buf)
    if c.dirs[0].stream[:1] == b"\x10":
        try:
            m = damage.mqtt_messages(c.dirs[0].stream)[0]
            body = m[4]
            nl = body[0] << 8 | body[1]
            version = body[2 + nl]
        except (IndexError, ValueError):
            pass
    for d in (0, 1):
        x = c.dirs[d]
        aliases = {}
        for i, (s0, s1, typ, flags, body) in enumerate(damage.mqtt_messages(x.stream)):
            m = Msg()
            m.i, m.start, m.end, m.typ, m.flags, m.length = i, s0, s1, typ, flags, len(body)
            m.hend = s1 - len(body)
            try:
                m.fields = decode(typ, flags, body, version == 5)
            except (ValueError, KeyError):
                m.fields = None  # not checked field by field (none in the clean captures)
            f = m.fields or {}
            m.msgid = f.get("msgid") if typ in range(3, 12) else None
            m.setter = None
            alias = f.get("properties", {}).get("topic_alias") if typ == 3 else None
            if alias is not None:
                if f["topic"]:
                    aliases[alias] = (f["topic"], i)
                elif alias in aliases:
                    f["topic"], m.setter = aliases[alias]
                    f["topic_from_alias"] = True
            fl = FLAGS.get(typ, 0)
            m.plausible = typ in SENDS[d] and (fl is None or flags == fl) and \
                m.fields is not None and (typ != 3 or (flags >> 1) & 3 != 3)
            x.msgs.append(m)
        x.starts = [m.start for m in x.msgs]
    c.version = version
    return bool(c.dirs[0].msgs or c.dirs[1].msgs)


# ---- variants: which frames, in which order ----------------------------------------------
# A variant of connection c: items [(clean frame index, prepend)], prepend None or k (the
# segment re-sent with the k stream bytes before it), and a snap length or None.


def data_frames(cap, c):
    return [n for n in c.frames if cap.segs[n].wire_len and not cap.segs[n].flags & 0x02]


def dir_of(cap, c, n):
    return cap.fdir[n]


def rel_off(cap, c, n):
    s = cap.segs[n]
    return (s.seq - c.dirs[dir_of(cap, c, n)].base) & 0xFFFFFFFF


def variants(cap, c, ci, group, name):
    """[(description, items, snap)] of one group for connection c."""
    F = c.frames
    D = data_frames(cap, c)
    plain = lambda order: [(n, None) for n in order]
    out = []
    if group == "clean":
        out.append(("as captured", plain(F), None))
    elif group == "start":
        for i in range(len(F)):
            out.append(("start at frame %d" % (F[i] + 1), plain(F[i:]), None))
    elif group == "drop":
        for d in D:
            out.append(("frame %d lost" % (d + 1), plain([n for n in F if n != d]), None))
    elif group == "burst":
        for dd in (0, 1):
            S = [n for n in D if dir_of(cap, c, n) == dd]
            for ln in range(2, 6):
                for i in range(len(S) - ln + 1):
                    gone = set(S[i:i + ln])
                    out.append(("frames %s lost (%d %s segments)" % (
                        ",".join(str(n + 1) for n in S[i:i + ln]), ln,
                        ("client", "broker")[dd]), plain([n for n in F if n not in gone]),
                        None))
    elif group == "move":
        seen = set()
        for d in D:
            for k in MOVES:
                later = [n for n in F if d < n <= d + k]
                if not later:
                    continue
                order = [n for n in F if n != d]
                order.insert(order.index(later[-1]) + 1, d)
                if tuple(order) in seen:
                    continue
                seen.add(tuple(order))
                out.append(("frame %d moved %d frames later (after frame %d%s)" % (
                    d + 1, k, later[-1] + 1, past_fins(cap, F, later[-1])), plain(order),
                    None))
        for i in range(len(F) - 1):
            if cap.segs[F[i]].flags & 0x02 or cap.segs[F[i + 1]].flags & 0x02:
                continue
            order = F[:i] + [F[i + 1], F[i]] + F[i + 2:]
            out.append(("frames %d and %d swapped" % (F[i] + 1, F[i + 1] + 1), plain(order),
                        None))
    elif group == "dup":
        for d in D:
            i = F.index(d)
            it = plain(F)
            out.append(("frame %d repeated at once" % (d + 1),
                        it[:i + 1] + [(d, None)] + it[i + 1:], None))
            j = min(i + 5, len(F) - 1)
            out.append(("frame %d repeated 5 frames later%s" % (d + 1, past_fins(cap, F, F[j])),
                        it[:j + 1] + [(d, None)] + it[j + 1:], None))
            k = min(OVERLAP, rel_off(cap, c, d))
            if k:
                out.append(("frame %d re-sent at once with %d bytes before it" % (d + 1, k),
                            it[:i + 1] + [(d, k)] + it[i + 1:], None))
                rest = it[:i] + it[i + 1:]
                j = min(i + 1, len(rest))
                out.append(("frame %d lost, re-sent one frame later with %d bytes before it"
                            % (d + 1, k), rest[:j] + [(d, k)] + rest[j:], None))
    elif group == "snap":
        for s in SNAPS:
            out.append(("snap length %d" % s, plain(F), s))
    elif group == "random":
        nconn = max(1, len(cap.conns))
        for v in range(max(5, min(100, 1500 // nconn))):
            out.append(random_variant(cap, c, random.Random("%s:%d:%d" % (name, ci, v)), v))
    return out


def past_fins(cap, F, n):
    """" past the FINs" when frame n comes after both FINs of the connection."""
    fins = [f for f in F if cap.segs[f].flags & 0x01]
    return " past the FINs" if len(fins) >= 2 and F.index(n) >= F.index(fins[1]) else ""


def random_variant(cap, c, rng, v):
    F, what = list(c.frames), []
    syn = [n for n in F if cap.segs[n].flags & 0x02]
    items = [(n, None) for n in F]
    if rng.random() < 0.25:
        i = rng.randrange(0, max(1, len(F) // 2))
        items = items[i:]
        what.append("start at %d" % (F[i] + 1) if i < len(F) else "start late")
    isdata = set(data_frames(cap, c))
    data = [n for n, _ in items if n in isdata]
    for n in data:
        r = rng.random()
        pos = next(j for j, it in enumerate(items) if it == (n, None))
        if r < 0.08:
            del items[pos]
            what.append("drop %d" % (n + 1))
        elif r < 0.16:
            k = rng.choice((1, 2, 3, 5, 10, 40, 200))
            it = items.pop(pos)
            items.insert(min(len(items), pos + k), it)
            what.append("move %d +%d" % (n + 1, k))
        elif r < 0.20:
            items.insert(pos + 1, (n, None))
            what.append("dup %d" % (n + 1))
        elif r < 0.24:
            k = min(rng.randint(1, 8), rel_off(cap, c, n))
            if k:
                items.insert(pos + 1 + rng.randint(0, 2), (n, k))
                what.append("resend %d -%d" % (n + 1, k))
        elif r < 0.27:
            k = min(rng.randint(1, 8), rel_off(cap, c, n))
            if k:
                del items[pos]
                items.insert(min(len(items), pos + rng.randint(0, 3)), (n, k))
                what.append("lost %d, resent -%d" % (n + 1, k))
    for j in range(len(items) - 1):
        if rng.random() < 0.04 and items[j][0] not in syn and items[j + 1][0] not in syn:
            items[j], items[j + 1] = items[j + 1], items[j]
            what.append("swap %d,%d" % (items[j + 1][0] + 1, items[j][0] + 1))
    snap = None
    if rng.random() < 0.15:
        snap = rng.choice((60, 70, 80, 100, 128, 200, 300, 600, 1000, 1514))
        what.append("snap %d" % snap)
    if not what:
        d = data_frames(cap, c)
        if d:
            n = rng.choice(d)
            items.remove((n, None))
            what.append("drop %d" % (n + 1))
    return ("random #%d: %s" % (v, ", ".join(what)), items, snap)


# ---- rendering frames ---------------------------------------------------------------------


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def resent(cap, c, n, k):
    """Frame n re-sent with the k stream bytes before its payload (an overlapping
    retransmission), lengths and checksums right."""
    s, b = cap.segs[n], bytearray(cap.recs[n][3][:cap.segs[n].ip_end])
    d = dir_of(cap, c, n)
    off = rel_off(cap, c, n)
    pre = c.dirs[d].stream[off - k:off]
    b[s.pay_off:s.pay_off] = pre
    struct.pack_into(">I", b, s.tcp_off + 4, (s.seq - k) & 0xFFFFFFFF)
    if s.ipver == 4:
        struct.pack_into(">H", b, s.ip_off + 2, s.ip_end - s.ip_off + k)
        struct.pack_into(">H", b, s.ip_off + 10, 0)
        ihl = (b[s.ip_off] & 15) * 4
        struct.pack_into(">H", b, s.ip_off + 10, csum(bytes(b[s.ip_off:s.ip_off + ihl])))
    else:
        struct.pack_into(">H", b, s.ip_off + 4, s.ip_end - s.ip_off - 40 + k)
    tcp = bytes(b[s.tcp_off:])
    src, dst = bytes(b[s.src_off:s.src_off + s.alen]), bytes(b[s.dst_off:s.dst_off + s.alen])
    pseudo = src + dst + (struct.pack("!BBH", 0, 6, len(tcp)) if s.ipver == 4 else
                          struct.pack("!IxxxB", len(tcp), 6))
    struct.pack_into(">H", b, s.tcp_off + 16, 0)
    tcp = bytes(b[s.tcp_off:])
    struct.pack_into(">H", b, s.tcp_off + 16, csum(pseudo + tcp))
    return bytes(b), cap.recs[n][2] + k


def render(cap, c, items, snap):
    """[(clean frame, body, wire length, Seg of the body or None)] of a variant."""
    out = []
    for n, k in items:
        if k is None:
            body, wire = cap.recs[n][3], cap.recs[n][2]
        else:
            body, wire = resent(cap, c, n, k)
        if snap is not None and len(body) > snap:
            body = body[:snap]
        s = parse_frame(cap.link, body) if (k is not None or snap is not None) else cap.segs[n]
        out.append((n, body, wire, s))
    return out


# ---- the truth ------------------------------------------------------------------------------


class Cand:
    """A message the variant holds whole: required or optional, the frames it may be
    reported in there, and whether its aliased topic (if any) is known."""
    __slots__ = ("m", "required", "frames", "alias_ok")

    def __init__(self, m, required, frames):
        self.m, self.required, self.frames, self.alias_ok = m, required, frames, True


def coverage(pieces):
    """pieces [(frame, offset, captured, wire length)] -> [[start, end, first, captured]]:
    the stream cut at every piece boundary, each covered seg with the first frame that
    carried it (or cut it: the snap length) and whether that frame captured it."""
    bounds = sorted({p[1] for p in pieces} | {p[1] + p[2] for p in pieces} |
                    {p[1] + p[3] for p in pieces})
    idx = {x: i for i, x in enumerate(bounds)}
    first = [None] * max(0, len(bounds) - 1)
    for fr, off, cap, wire in sorted(pieces, reverse=True):
        for i in range(idx[off], idx[off + wire]):
            first[i] = (fr, bounds[i] < off + cap)
    return [[bounds[i], bounds[i + 1], f[0], f[1]] for i, f in enumerate(first) if f]


def runs_of(segs, captured_only):
    """Maximal runs of adjacent segs (of captured ones only, or of every seg the capture
    resolved, captured or cut): [(start, end, [seg starts], [first], [deliv])], deliv[i]
    the latest first[] from the run's start up to seg i (bytes are delivered in order:
    each waits for every byte before it to come or to be known cut)."""
    out, cur = [], None
    for a, b, fr, cap in segs:
        if captured_only and not cap:
            cur = None
            continue
        if cur is None or cur[1] != a:
            cur = [a, b, [], [], []]
            out.append(cur)
        cur[1] = b
        cur[2].append(a)
        cur[3].append(fr)
        cur[4].append(max(fr, cur[4][-1]) if cur[4] else fr)
    return out


def frames_of(m, run, exact):
    """The frames m may be reported in: where its last byte is delivered in order (from
    the run's start: the stream's start, or the end of the last lost hole before it) and,
    after a lost hole (exact false), also the latest frame of its own bytes: the bytes
    held behind a hole that is given up keep the frames they came in, and when a hole is
    given up is the reassembly's choice."""
    a, b, starts, first, deliv = run
    i = bisect.bisect_right(starts, m.start) - 1
    j = bisect.bisect_right(starts, m.end - 1) - 1
    if exact:
        return (deliv[j],)
    return tuple(sorted({deliv[j], max(first[i:j + 1])}))


def truth(cap, c, rendered):
    """Per direction: ([Cand] in stream order, indices of the messages cut: some of their
    bytes missing, they must not be reported complete)."""
    pieces, syn = [[], []], [False, False]
    first_data = None
    for pos, (n, body, wire, s) in enumerate(rendered, 1):
        if s is None:
            continue
        d = dir_of(cap, c, n)
        if s.flags & 0x02:
            syn[d] = True
            continue
        if s.wire_len:
            off = (s.seq - c.dirs[d].base) & 0xFFFFFFFF
            pieces[d].append((pos, off, s.cap_len, s.wire_len))
            if first_data is None:
                first_data = (d, off)
    result = []
    for d in (0, 1):
        x = c.dirs[d]
        cands, whole, known, origin = [], set(), 0 if syn[d] else None, 0
        if not syn[d] and pieces[d]:
            # No SYN: the stream starts at the first byte seen. Bytes before it that come
            # later cannot be placed in it; a message wholly among them may be reported on
            # its own (optional).
            origin = pieces[d][0][1]
            early = [(fr, off, min(cp, origin - off), min(w, origin - off))
                     for fr, off, cp, w in pieces[d] if off < origin]
            segs = coverage(early)
            for run in runs_of(segs, True):
                for m in x.msgs:
                    if m.start >= run[0] and m.end <= run[1]:
                        cands.append(Cand(m, False, frames_of(m, run, False)))
                        whole.add(m.i)
            pieces[d] = [(fr, max(off, origin), max(0, off + cp - max(off, origin)),
                          off + w - max(off, origin))
                         for fr, off, cp, w in pieces[d] if off + w > origin]
        segs = coverage(pieces[d])
        resolved = runs_of(segs, False)
        rstarts = [r[0] for r in resolved]
        for a, b, _, _, _ in runs_of(segs, True):
            lo = bisect.bisect_left(x.starts, a)
            inrun = []
            for m in x.msgs[lo:]:
                if m.start >= b:
                    break
                if m.end <= b:
                    inrun.append(m)
                    whole.add(m.i)
            if known is not None and known < a:
                known = None
            p = known
            if p is None:
                for j, m in enumerate(inrun):
                    nxt = inrun[j + 1] if j + 1 < len(inrun) else None
                    if m.plausible and ((nxt is not None and nxt.start == m.end and
                                         nxt.plausible) or m.end == b):
                        p = m.start
                        break
            for m in inrun:
                r = resolved[bisect.bisect_right(rstarts, m.start) - 1]
                cands.append(Cand(m, p is not None and m.start >= p,
                                  frames_of(m, r, r[0] == origin)))
            if p is None:
                known = None
                continue
            # walk from the boundary p: the first packet this run cannot frame decides
            while p < b:
                i = bisect.bisect_left(x.starts, p)
                m = x.msgs[i] if i < len(x.msgs) and x.starts[i] == p else None
                if m is None or m.hend > b:
                    p = None  # a fixed header cut by the run's end (or trailing bytes)
                    break
                p = m.end
            known = p
        cands.sort(key=lambda k: k.m.start)
        # a Topic Alias is known when the PUBLISH that set it is whole and no hole lies
        # between them (a PUBLISH lost in it could have set the alias again)
        data = runs_of(segs, True)
        for k in cands:
            st = k.m.setter
            if st is not None:
                a = x.msgs[st].start
                k.alias_ok = st in whole and any(r[0] <= a and k.m.end <= r[1] for r in data)
        result.append((cands, {m.i for m in x.msgs if m.i not in whole}))
    if c.detect and not (first_data == (0, 0) and result[0][0] and result[0][0][0].m.i == 0
                         and result[0][0][0].required):
        for cands, _ in result:
            for k in cands:
                k.required = False
    return result


# ---- judging one variant ----------------------------------------------------------------


def fields_differ(m, o, alias_ok):
    """[(key, expected, got)] where the record o disagrees with the clean message m."""
    if m.fields is None:
        return []
    out = []
    for k, want in m.fields.items():
        if k in ("payload", "msgid"):
            continue
        if k in ("topic", "topic_from_alias") and not alias_ok:
            continue
        got = o.get(k, ABSENT)
        if k == "properties":
            got = got if got is not ABSENT and got is not None else {}
        if got != want:
            out.append((k, want, got))
    if m.typ == 3 and "topic_from_alias" not in m.fields and "topic_from_alias" in o:
        out.append(("topic_from_alias", ABSENT, o["topic_from_alias"]))
    if m.typ == 3:
        pay = m.fields["payload"]
        if "payload_hex" in o:
            shown = bytes.fromhex(o["payload_hex"])
        elif "payload" in o:
            shown = o["payload"].encode("utf-8")
        else:
            shown = b""
        if not pay.startswith(shown) or (not o.get("payload_cut") and shown != pay) or (
                pay and not shown):
            out.append(("payload", pay[:40], shown[:40]))
    return out


def show(v):
    if v is ABSENT:
        return "(absent)"
    if isinstance(v, bytes):
        return repr(v)
    return json.dumps(v, sort_keys=True)


def describe(m, d):
    s = "%s %s (message #%d, stream bytes %d..%d, length %d" % (
        ("client", "broker")[d], NAMES.get(m.typ, m.typ), m.i + 1, m.start, m.end, m.length)
    if m.msgid is not None:
        s += ", msgid %d" % m.msgid
    t = (m.fields or {}).get("topic")
    if t is not None:
        s += ", topic %r" % t
    return s + ")"


def rdescribe(fr, o):
    s = "%s %s length %s" % (o.get("from"), o.get("type"), o.get("length"))
    if "msgid" in o:
        s += " msgid %d" % o["msgid"]
    if "topic" in o:
        s += " topic %r" % o["topic"]
    return s + " at frame %d" % fr


def pair(ks, rs):
    """Candidates ks (stream order) and records rs [(frame, record)] of one identity ->
    {record index: candidate index}: a maximum matching (a record may take a candidate
    whose frames hold its frame) that leaves out as few required candidates as can be,
    found by augmenting paths, the required first. Records come in frame order, not
    always in stream order (mqttdump reports in frame order), so order is not used, but
    it breaks ties: equal frames pair in order."""
    if len(ks) == 1 and len(rs) == 1:
        return {0: 0} if rs[0][0] in ks[0].frames else {}
    adj = [[ri for ri, (fr, _) in enumerate(rs) if fr in k.frames] for k in ks]
    owner = {}

    def augment(ci, seen):
        for ri in adj[ci]:  # a free record first: equal frames keep their order
            if ri not in owner:
                owner[ri] = ci
                return True
        for ri in adj[ci]:
            if ri not in seen:
                seen.add(ri)
                if ri not in owner or augment(owner[ri], seen):
                    owner[ri] = ci
                    return True
        return False
    for ci in [i for i, k in enumerate(ks) if k.required] + \
            [i for i, k in enumerate(ks) if not k.required]:
        augment(ci, set())
    # augmenting may cross pairs of one frame: pair each frame's own in order again
    byframe = collections.defaultdict(list)
    for ri, ci in owner.items():
        byframe[rs[ri][0]].append((ri, ci))
    for prs in byframe.values():
        for ri, ci in zip(sorted(r for r, _ in prs), sorted(c for _, c in prs)):
            owner[ri] = ci
    return owner


def judge(c, tr, got, clean_of):
    """Compare one variant's records (got: per direction, [(frame, record)], frames local)
    with its truth, per identity (type, flags, remaining length, packet id).
    Returns (counts, [discrepancy lines])."""
    cnt, lines = collections.Counter(), []
    for d in (0, 1):
        cands, cut = tr[d]
        bykey, recs = collections.defaultdict(list), collections.defaultdict(list)
        for k in cands:
            bykey[(k.m.typ, k.m.flags, k.m.length, k.m.msgid)].append(k)
        for fr, o in got[d]:
            t = o["type_id"]
            recs[(t, o.get("flags"), o.get("length"),
                  o.get("msgid") if 3 <= t <= 11 else None)].append((fr, o))
        lost, invented, matched = [], [], []
        for key in set(bykey) | set(recs):
            ks, rs = bykey.get(key, []), recs.get(key, [])
            owner = pair(ks, rs)
            invented += [r for ri, r in enumerate(rs) if ri not in owner]
            taken = set(owner.values())
            lost += [k for ci, k in enumerate(ks) if ci not in taken and k.required]
            matched += [(ks[ci], rs[ri][1]) for ri, ci in owner.items()]
        seen = {k.m.i for k, _ in matched}
        for k, o in sorted(matched, key=lambda p: p[0].m.start):
            # an aliased topic is known only when its PUBLISH was reported too
            alias_ok = k.alias_ok and (k.m.setter is None or k.m.setter in seen)
            ck = (id(k.m), id(o), alias_ok)
            diff = DIFFS.get(ck)
            if diff is None:
                diff = DIFFS[ck] = fields_differ(k.m, o, alias_ok)
            if diff:
                cnt["fields"] += 1
                lines.append("%s: wrong fields: %s" % (describe(k.m, d), "; ".join(
                    "%s expected %s, got %s" % (f, show(w), show(g)) for f, w, g in diff)))
        lost.sort(key=lambda k: k.m.start)
        invented.sort(key=lambda r: r[0])
        byid = collections.defaultdict(list)
        for k in lost:
            byid[(k.m.typ, k.m.flags, k.m.length, k.m.msgid)].append(k)
        for fr, o in invented:
            t = o["type_id"]
            ident = (t, o.get("flags"), o.get("length"), o.get("msgid") if 3 <= t <= 11 else None)
            same = lambda m: m.fields is None or m.setter is not None or \
                m.fields.get("topic") == o.get("topic")
            k = next((k for k in byid.get(ident, []) if same(k.m)), None)
            if k is not None:
                byid[ident].remove(k)
                lost.remove(k)
                cnt["frame"] += 1
                lines.append("%s: expected at frame %s, reported at frame %d" % (
                    describe(k.m, d), " or ".join(map(str, k.frames)), fr))
                continue
            m = next((m for m in c.dirs[d].msgs if m.i in cut and
                      (m.typ, m.flags, m.length, m.msgid) == ident and same(m)), None)
            if m is not None:
                cnt["cut"] += 1
                lines.append("%s: bytes of it are missing, but it is reported complete (%s)"
                             % (describe(m, d), rdescribe(fr, o)))
            else:
                cnt["invented"] += 1
                lines.append("invented: %s (no such message whole at that place)" %
                             rdescribe(fr, o))
        for k in lost:
            cnt["lost"] += 1
            lines.append("lost: %s, expected at frame %s (clean frame %d)" % (
                describe(k.m, d), " or ".join(map(str, k.frames)), clean_of(k.frames[0]) + 1))
    return cnt, lines


# ---- a version nothing in the variant decides ---------------------------------------------
# The truth's fields use the version of the connection's clean CONNECT. When the variant has
# lost every byte of that CONNECT, mqttdump must infer the version, and some remains read
# cleanly under both (session-present's last frames: a SUBACK 90 04 00 01 00 01 is 5.0 code
# 1 and 3.1.1 codes 0 and 1). Such a variant is not counted wrong when its bytes really are
# ambiguous: mqttdump marked the version inferred, its records are exactly the judge's own
# reading of the clean messages under mqttdump's version, that reading obeys that version's
# rules (return and reason codes, lengths), and tshark, told to assume that version
# (mqtt.default_version), decodes the variant into the same messages at the same frames
# with the same values, nothing malformed, no expert note in MQTT. Any failed step, or no
# tshark, leaves the variant a failure.

VNAMES = {3: "3.1", 4: "3.1.1", 5: "5.0"}
TSHARK_VERSION = {"3.1": "MQTT v3.1", "3.1.1": "MQTT v3.1.1", "5.0": "MQTT v5.0"}
# Table 2-6 of MQTT 5.0: the reason codes each acknowledgement may carry
V5_CODES = {
    4: {0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99},
    5: {0, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99},
    6: {0, 0x92}, 7: {0, 0x92},
    9: {0, 1, 2, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2},
    11: {0, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91},
}


def breaks_rules(typ, flags, body, v):
    """Why the message does not read cleanly under version v ("3.1", "3.1.1", "5.0"), or
    None. Only what either version's specification states for one packet alone."""
    fl = FLAGS.get(typ, 0)
    if fl is not None and flags != fl or typ == 3 and (flags >> 1) & 3 == 3:
        return "fixed header flags %x not allowed" % flags
    try:
        f = decode(typ, flags, body, v == "5.0")
    except (ValueError, KeyError):
        return "does not decode"
    n = len(body)
    if v != "5.0":
        if typ in (0, 15):
            return "packet type %d does not exist" % typ
        if typ == 2 and (n != 2 or body[0] > 1 or body[1] > 5):
            return "CONNACK not 2 bytes of flags 0-1 and code 0-5"
        if typ in (4, 5, 6, 7, 11) and n != 2:
            return "length %d, not 2" % n
        if typ in (12, 13, 14) and n:
            return "length %d, not 0" % n
        if typ == 9 and (not f["codes"] or set(f["codes"]) - {0, 1, 2, 0x80}):
            return "SUBACK return codes %s" % f["codes"]
        if typ in (8, 10) and not all_filters(body[2:], typ == 8):
            return "topic filters do not fill the packet"
        return None
    if typ == 0:
        return "packet type 0 does not exist"
    if typ == 2 and n < 3:
        return "CONNACK without its property length"
    codes = f.get("codes") or ([f["code"]] if f.get("code", ABSENT) is not ABSENT else [])
    ok = V5_CODES.get(typ)
    if ok is not None and set(codes) - ok:
        return "reason codes %s not defined for this packet type" % codes
    if typ in (9, 11) and not codes:
        return "no reason code"
    return None


def all_filters(b, options):
    """True when b is one or more (string, options byte 0-2 in 3.1.1) exactly."""
    c = Cur(b)
    try:
        while c.left():
            c.str()
            if options and c.u8() > 2:
                return False
        return len(b) > 0
    except ValueError:
        return False


def connect_seen(cap, c, rendered):
    """Whether any byte of the client's clean CONNECT is in the variant."""
    x = c.dirs[0]
    if not x.msgs or x.msgs[0].typ != 1:
        return False
    end = x.msgs[0].end
    for n, body, wire, s in rendered:
        if s is None or s.flags & 0x02 or not s.cap_len or dir_of(cap, c, n) != 0:
            continue
        if (s.seq - x.base) & 0xFFFFFFFF < end:
            return True
    return False


def tamper(got):
    """A wrong reading (the self-test's): the first code of a record changed, or its
    topic."""
    out = [list(g) for g in got]
    for g in out:
        for i, (fr, o) in enumerate(g):
            o = dict(o)
            if o.get("codes"):
                o["codes"] = [o["codes"][0] ^ 1] + o["codes"][1:]
            elif "topic" in o:
                o["topic"] += "x"
            else:
                continue
            g[i] = (fr, o)
            return out
    return out


def other_version(cap, c, rendered, tr, got, cnt, clean_of, own=True):
    """For a variant judged wrong: None when it does not qualify (only wrong fields, the
    CONNECT wholly lost, every record of an inferred version other than the clean one);
    else (True, why) when mqttdump's reading is the other valid reading, (False, why)
    when it is not. own false skips the judge's own reading (the self-test: tshark alone
    must reject a wrong one)."""
    if set(cnt) != {"fields"} or connect_seen(cap, c, rendered):
        return None
    recs = [o for g in got for _, o in g]
    vs = {o.get("version") for o in recs}
    clean = VNAMES.get(c.version, "3.1.1")
    if not recs or len(vs) != 1 or not all(o.get("version_inferred") for o in recs):
        return None
    v = vs.pop()
    if v == clean or v not in TSHARK_VERSION:
        return None
    if own:
        why = own_reading(c, tr, got, clean_of, v)
        if why:
            return False, why
    if shutil.which("tshark") is None:
        return False, "read as %s, which would be valid; tshark is not installed to " \
            "confirm it" % v
    why = tshark_agrees(cap, c, rendered, got, v)
    if why:
        return False, "tshark, assuming %s: %s" % (v, why)
    return True, "no CONNECT: read as %s (inferred), clean is %s; tshark assuming %s " \
        "agrees" % (v, clean, v)


def own_reading(c, tr, got, clean_of, v):
    """None when the records got are the judge's own reading of the variant's messages
    under version v, each obeying v's rules; else why not."""
    alt = []
    for d, (cands, cut) in enumerate(tr):
        ks = []
        for k in cands:
            m, x = k.m, c.dirs[d]
            body = x.stream[m.hend:m.end]
            why = breaks_rules(m.typ, m.flags, body, v)
            if why:
                return "%s does not read as %s: %s" % (describe(m, d), v, why)
            a = Msg()
            for s in Msg.__slots__:
                setattr(a, s, getattr(m, s))
            a.fields = decode(m.typ, m.flags, body, v == "5.0")
            a.setter = None
            kk = Cand(a, k.required, k.frames)
            kk.alias_ok = k.alias_ok
            ks.append(kk)
        alt.append((ks, cut))
    before = set(DIFFS)  # the cache is keyed by id(): drop what these short-lived made
    acnt, alines = judge(c, alt, got, clean_of)
    for ck in set(DIFFS) - before:
        del DIFFS[ck]
    return "not the %s reading: %s" % (v, alines[0]) if acnt else None


def tshark_messages(path, bport, v):
    """tshark's reading of a one-connection pcap under version v: ([(frame, source port,
    [mqtt leaves])], [problems])."""
    p = subprocess.run(["tshark", "-n", "-r", path, "-o", "mqtt.default_version:" +
                        TSHARK_VERSION[v], "-d", "tcp.port==%d,mqtt" % bport, "-T", "json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode:
        return [], ["tshark failed: %s" % p.stderr.decode()[-200:]]
    msgs, problems = [], []
    for pkt in json.loads(p.stdout or b"[]", object_pairs_hook=list):
        layers = dict(dict(pkt)["_source"])["layers"]
        frame = int(dict(dict(layers)["frame"])["frame.number"])
        sport = int(dict(dict(layers).get("tcp", [])).get("tcp.srcport", 0))
        for k, val in layers:
            if k == "_ws.malformed":
                problems.append("frame %d: malformed" % frame)
            elif k == "mqtt" and isinstance(val, list):
                if expert_in(val):
                    problems.append("frame %d: expert note in MQTT (%s)" % (
                        frame, expert_in(val)))
                msgs.append((frame, sport, list(tshark_json.leaves(val))))
    return msgs, problems


def expert_in(pairs):
    """The first expert message inside a tshark tree, or None."""
    for k, val in pairs:
        if k == "_ws.expert.message":
            return val
        if isinstance(val, list):
            e = expert_in(val)
            if e:
                return e
    return None


def tshark_agrees(cap, c, rendered, got, v):
    """None when tshark, assuming version v, reads the variant as mqttdump's records got
    (same messages, frames and values); else what differs."""
    fd, path = tempfile.mkstemp(suffix=".pcap", prefix="truth-v-")
    with os.fdopen(fd, "wb") as f:
        f.write(cap.hdr)
        for i, (n, body, wire, s) in enumerate(rendered):
            f.write(struct.pack(cap.e + "IIII", T0 + i // 1000, (i % 1000) * (
                10 ** 6 if cap.nano else 1000), len(body), wire) + body)
    try:
        return compare_tshark(tshark_messages(path, c.broker[1], v), c, got)
    finally:
        os.unlink(path)


def compare_tshark(tm, c, got):
    msgs, problems = tm
    if problems:
        return "; ".join(problems[:3])
    for d in (0, 1):
        port = (c.client, c.broker)[d][1]
        mine = sorted(got[d], key=lambda p: p[0])
        theirs = [(fr, lv) for fr, sp, lv in msgs if sp == port]
        if len(mine) != len(theirs):
            return "%s: %d messages, mqttdump %d" % (("client", "broker")[d], len(theirs),
                                                   len(mine))
        for (fr, o), (tf, lv) in zip(mine, theirs):
            if fr != tf:
                return "a message at frame %d, mqttdump's at %d" % (tf, fr)
            for f, tv, mv, ctx in tshark_json.compare_message(lv, o):
                if f == "mqtt.msg" and o.get("payload_cut") and mv is not None and \
                        tv.replace(":", "").startswith(mv):
                    continue  # mqttdump shows the payload's start (--payload-max)
                if ctx == "unmapped" or not tshark_json.same(f, tv, mv):
                    return "frame %d %s: %s is %s, mqttdump %s" % (
                        fr, o.get("type"), f, tv, mv)
    return None


# ---- the check's self-test ------------------------------------------------------------------


def one_variant(binp, cap, c, items, args, tmp):
    """mqttdump on one variant of c alone: (rendered, truth, records, counts, clean_of)."""
    rendered = render(cap, c, items, None)
    path = os.path.join(tmp, "variant.pcap")
    with open(path, "wb") as f:
        f.write(cap.hdr)
        for i, (n, body, wire, s) in enumerate(rendered):
            f.write(struct.pack(cap.e + "IIII", T0 + i // 1000, (i % 1000) * (
                10 ** 6 if cap.nano else 1000), len(body), wire) + body)
    got = ([], [])
    for line in run_batch(binp, args, os.path.dirname(cap.path), path).splitlines():
        if b'"type_id":' in line:
            fr, _, _, o = record(line)
            if not o.get("incomplete") and not o.get("truncated"):
                got[0 if o["from"] == "client" else 1].append((fr, o))
    tr = truth(cap, c, rendered)
    clean_of = lambda fr: rendered[fr - 1][0]
    cnt, _ = judge(c, tr, got, clean_of)
    return rendered, tr, got, cnt, clean_of


def synthetic(path):
    """A clean 3.1.1 connection whose broker PUBLISHes cannot read as 5.0 (after the topic,
    ff ff ff 7f as a property length runs past the packet)."""
    cl, br = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    seq, recs = [1000, 5000], []

    def seg(d, flags, pay=b""):
        src, dst = (cl, br) if d == 0 else (br, cl)
        sp, dp = (40000, 1883) if d == 0 else (1883, 40000)
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq[d], seq[1 - d], 0x50, flags, 65535, 0,
                          0) + pay
        tcp = tcp[:16] + struct.pack("!H", csum(src + dst + struct.pack(
            "!BBH", 0, 6, len(tcp)) + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src,
                         dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        seq[d] += len(pay) + (1 if flags & 0x03 else 0)
        recs.append(struct.pack("<IIII", T0, len(recs) * 1000, len(ip + tcp),
                                len(ip + tcp)) + ip + tcp)
    seg(0, 0x02)
    seg(1, 0x12)
    seg(0, 0x10)
    seg(0, 0x18, bytes.fromhex("100e00044d5154540402003c00026964"))
    seg(1, 0x18, bytes.fromhex("20020000"))
    seg(1, 0x18, bytes.fromhex("3007000174ffffff7f"))
    seg(1, 0x18, bytes.fromhex("3007000174ffffff7f"))
    seg(0, 0x18, bytes.fromhex("e000"))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101) + b"".join(recs))


def self_test(binp, root):
    """[(passed, what)]: the other-version check takes session-present from frame 110 as
    mqttdump reads it, and rejects wrong readings: a field flipped (the judge's own reading
    rejects it, and tshark alone), a version the bytes contradict (both again)."""
    out, have = [], shutil.which("tshark") is not None
    tmp = tempfile.mkdtemp(prefix="truth-self-")
    try:
        path = os.path.join(root, "captures", "session-present.pcap")
        cap = load(path, [])
        c = next(c for c in cap.conns if 109 in c.frames)
        rendered, tr, got, cnt, co = one_variant(
            binp, cap, c, [(n, None) for n in c.frames if n >= 109], [], tmp)
        r = other_version(cap, c, rendered, tr, got, cnt, co)
        if have:
            out.append((bool(r and r[0]), "session-present from frame 110, as mqttdump "
                        "reads it (3.1.1): accepted: %s" % (r and r[1])))
        else:
            out.append((bool(r and not r[0]), "without tshark, session-present from frame "
                        "110 is not accepted: %s" % (r and r[1])))
        bad = tamper(got)
        for own in (True, False) if have else (True,):
            r = other_version(cap, c, rendered, tr, bad, cnt, co, own)
            out.append((bool(r and not r[0]), "the same, a SUBACK code flipped, %s: "
                        "rejected: %s" % ("judged in full" if own else "by tshark alone",
                                          r and r[1])))
        path = os.path.join(tmp, "v311.pcap")
        synthetic(path)
        cap = load(path, [])
        c = cap.conns[0]
        rendered, tr, got, cnt, co = one_variant(
            binp, cap, c, [(n, None) for n in c.frames[5:]], [], tmp)
        out.append((not cnt, "a 3.1.1 connection from its first PUBLISH: exact as mqttdump "
                    "reads it"))
        lie = [[(fr, dict(o, version="5.0")) for fr, o in g] for g in got]
        for own in (True, False) if have else (True,):
            r = other_version(cap, c, rendered, tr, lie, {"fields": 1}, co, own)
            out.append((bool(r and not r[0]), "the same claimed as 5.0 (the PUBLISH "
                        "property length runs past the packet), %s: rejected: %s" % (
                            "judged in full" if own else "by tshark alone", r and r[1])))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


# ---- batches: many variants, one mqttdump run ------------------------------------------------


def unit_addr(cap, c, u):
    if len(c.client[0]) == 4:
        return struct.pack(">I", 0x64400000 + u + 1)
    return bytes.fromhex("20010db8") + bytes(8) + struct.pack(">I", u + 1)


def fold(x):
    while x >> 16:
        x = (x & 0xFFFF) + (x >> 16)
    return x


def words(a):
    return sum(a[i] << 8 | a[i + 1] for i in range(0, len(a), 2))


def readdress(b, s, d, new, delta):
    """b with the client's address replaced by new; the IPv4 header and TCP checksums,
    when captured, moved by delta (RFC 1624: the one's complement sum of the new address's
    words less the old one's)."""
    at = s.src_off if d == 0 else s.dst_off
    b = bytearray(b)
    b[at:at + s.alen] = new
    for f in (s.tcp_off + 16, s.ip_off + 10) if s.ipver == 4 else (s.tcp_off + 16,):
        if f + 2 <= len(b):
            ck = fold((~(b[f] << 8 | b[f + 1]) & 0xFFFF) + delta)
            ck = ~ck & 0xFFFF
            b[f], b[f + 1] = ck >> 8, ck & 0xFF
    return bytes(b)


HEAD = re.compile(rb'\{"frame":(\d+),"ts":"[^"]*","stream":\d+,"src":"([^"]*)","sport":\d+,'
                  rb'"dst":"([^"]*)","dport":\d+,')
RECORDS = {}


def record(line):
    """(frame, src, dst, the rest of the record as a dict). The rest is the same for a
    message in every variant that holds it: parsed once (the dict is shared: read only)."""
    m = HEAD.match(line)
    if not m:
        o = json.loads(line)
        return o["frame"], o["src"], o["dst"], o
    rest = line[m.end():]
    o = RECORDS.get(rest)
    if o is None:
        o = RECORDS[rest] = json.loads(b"{" + rest)
    return int(m.group(1)), m.group(2).decode(), m.group(3).decode(), o


def run_batch(binp, args, cwd, path):
    p = subprocess.run([binp, "-r", path, "--json", "--show-secrets"] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("mqttdump failed on %s: %s" % (path, p.stderr.decode()[-300:]))
    return p.stdout


def job(spec):
    """One clean capture, one group: every variant, judged. Returns a result dict."""
    binp, root, name, path, args, group, keep, verbose, part, nparts = spec
    t0 = time.time()
    cap = CAPS.get(path) or CAPS.setdefault(path, load(path, args))
    work = []  # (conn, description, items, snap, variant number)
    for ci, c in enumerate(cap.conns):
        for desc, items, snap in variants(cap, c, ci, group, name):
            work.append((c, desc, items, snap, len(work)))
    work = work[part::nparts]
    res = dict(name=name, group=group, variants=len(work), exact=0, required=0, optional=0,
               counts=collections.Counter(), blocks=[], heads=[], frames=0, bytes=0, runs=0,
               undecided=[])
    tmp = tempfile.mkdtemp(prefix="truth-")
    try:
        i = 0
        while i < len(work):
            j, nfr, nby, units = i, 0, 0, []
            path_b = os.path.join(keep or tmp, "%s.%s.batch%d-%d.pcap" % (
                name, group, part, res["runs"]))
            with open(path_b, "wb") as f:
                f.write(cap.hdr)
                while j < len(work) and (j == i or (nfr < BATCH_FRAMES and nby < BATCH_BYTES)):
                    c, desc, items, snap, vn = work[j]
                    rendered = render(cap, c, items, snap)
                    addr = unit_addr(cap, c, j - i)
                    old = c.client[0]
                    delta = fold(words(addr) + fold(sum(~(old[k] << 8 | old[k + 1]) & 0xFFFF
                                                        for k in range(0, len(old), 2))))
                    chunks, base = [], nfr
                    for n, body, wire, s in rendered:
                        if s is not None:
                            body = readdress(body, s, cap.fdir[n], addr, delta)
                        else:
                            # a cut header: rewrite where the clean frame had the address
                            ps = cap.segs[n]
                            at = ps.src_off if dir_of(cap, c, n) == 0 else ps.dst_off
                            if at + ps.alen <= len(body):
                                body = body[:at] + addr + body[at + ps.alen:]
                        ts = nfr
                        sec, frac = T0 + ts // 1000, (ts % 1000) * (10 ** 6 if cap.nano else 1000)
                        chunks.append(struct.pack(cap.e + "IIII", sec, frac, len(body), wire))
                        chunks.append(body)
                        nfr += 1
                        nby += 16 + len(body)
                    f.write(b"".join(chunks))
                    units.append((c, desc, vn, rendered, base,
                                  str(ipaddress.ip_address(addr))))
                    j += 1
            out = run_batch(binp, args, os.path.dirname(path), path_b)
            res["runs"] += 1
            res["frames"] += nfr
            res["bytes"] += nby
            byaddr = {u[5]: ui for ui, u in enumerate(units)}
            got = [([], []) for _ in units]
            for line in out.splitlines():
                if b'"type_id":' not in line:
                    continue  # an event
                fr, src, dst, o = record(line)
                if o.get("incomplete") or o.get("truncated"):
                    continue
                ui = byaddr.get(src if o["from"] == "client" else dst)
                if ui is None:
                    raise RuntimeError("%s: a record of no variant: %s" % (path_b, line[:200]))
                got[ui][0 if o["from"] == "client" else 1].append((fr - units[ui][4], o))
            if not keep:
                os.unlink(path_b)
            for ui, (c, desc, vn, rendered, base, _) in enumerate(units):
                tr = truth(cap, c, rendered)
                for cands, _ in tr:
                    res["required"] += sum(k.required for k in cands)
                    res["optional"] += sum(not k.required for k in cands)
                clean_of = lambda fr: rendered[fr - 1][0]
                cnt, lines = judge(c, tr, got[ui], clean_of)
                if not cnt:
                    res["exact"] += 1
                    continue
                who = "%s:%d" % (ipaddress.ip_address(c.client[0]), c.client[1])
                head = "%s %s [connection %s]: %s" % (name, group, who, desc)
                ov = other_version(cap, c, rendered, tr, got[ui], cnt, clean_of)
                if ov and ov[0]:
                    res["undecided"].append("%s: %s" % (head, ov[1]))
                    continue
                if ov:
                    lines.insert(0, "version not decided by the bytes, but " + ov[1])
                res["counts"].update(cnt)
                if keep:
                    kp = os.path.join(keep, "%s.%s.%d" % (name, group, vn))
                    keep_variant(cap, rendered, kp, head, tr, c, got[ui], lines)
                    head += " (kept: %s.pcap)" % kp
                res["heads"].append(head)  # every one, for tests/truth-known.txt
                if verbose or len(res["blocks"]) < 5:
                    block = [head] + ["    " + ln for ln in lines[:None if verbose else 3]]
                    if len(lines) > 3 and not verbose:
                        block.append("    ... %d more" % (len(lines) - 3))
                    res["blocks"].append((vn, block))
            i = j
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    res["seconds"] = time.time() - t0
    return res


def keep_variant(cap, rendered, kp, head, tr, c, got, lines):
    with open(kp + ".pcap", "wb") as f:
        f.write(cap.hdr)
        last = (0, 0)
        for n, body, wire, s in rendered:
            sec, frac = cap.recs[n][0], cap.recs[n][1]
            if (sec, frac) < last:
                sec, frac = last
            last = (sec, frac)
            f.write(struct.pack(cap.e + "IIII", sec, frac, len(body), wire) + body)
    with open(kp + ".txt", "w") as f:
        f.write(head + "\n\nframes (clean numbering): %s\n\nexpected:\n" % " ".join(
            str(n + 1) for n, _, _, _ in rendered))
        for d in (0, 1):
            for k in tr[d][0]:
                f.write("  %s %s at frame %s\n" % ("required" if k.required else "optional",
                                                     describe(k.m, d),
                                                     " or ".join(map(str, k.frames))))
        f.write("\nreported complete:\n")
        for d in (0, 1):
            for fr, o in got[d]:
                f.write("  " + rdescribe(fr, o) + "\n")
        f.write("\ndiscrepancies:\n" + "".join("  %s\n" % ln for ln in lines))


CAPS, DIFFS = {}, {}
damage = tshark_json = None


def captures(root):
    out = []
    for p in sorted(glob.glob(os.path.join(root, "captures", "*.pcap")) +
                    glob.glob(os.path.join(root, "captures", "*.pcapng"))):
        name = os.path.basename(p).rsplit(".", 1)[0]
        # rule-breaking captures (their packets are not clean: no evidence for framing)
        if name in ("malformed", "hostile-strings") or name.startswith(("tls", "wss")):
            continue
        args = []
        a = os.path.join(root, "captures", name + ".args")
        if os.path.exists(a):
            args = open(a).read().split()
        out.append((name, p, args))
    return out


def main():
    av = sys.argv[1:]
    if len(av) < 2:
        sys.exit(__doc__)
    binp, root = os.path.abspath(av[0]), os.path.abspath(av[1])
    only, groups, verbose, keep, jobs = [], [], False, None, min(4, os.cpu_count() or 1)
    i = 2
    while i < len(av):
        a = av[i]
        if a == "--only":
            only.append(av[i + 1]); i += 1
        elif a == "--group":
            if av[i + 1] not in GROUPS:
                sys.exit("groups: " + " ".join(GROUPS))
            groups.append(av[i + 1]); i += 1
        elif a == "-v":
            verbose = True
        elif a == "--keep":
            keep = os.path.abspath(av[i + 1]); i += 1
            os.makedirs(keep, exist_ok=True)
        elif a == "-j":
            jobs = int(av[i + 1]); i += 1
        else:
            sys.exit("unknown argument %s\n%s" % (a, __doc__))
        i += 1
    _init(root)
    caps = [c for c in captures(root) if not only or c[0] in only]
    if only and len(caps) != len(set(only)):
        sys.exit("no such capture: %s" % " ".join(set(only) - {c[0] for c in caps}))
    tests, specs = [], []
    for name, p, args in caps:
        size, nrec = os.path.getsize(p), len(Capture(p).recs)
        for g in (groups or GROUPS):
            # big sweeps in parts, for the workers to share them
            parts = 1 if g in ("clean", "snap") else max(-(-nrec // 800), -(-size // 300000))
            tests.append((name, g))
            for k in range(parts):
                specs.append((binp, root, name, p, args, g, keep, verbose, k, parts))
    # the biggest first, for the workers to finish together; printed in list order
    cost = lambda s: os.path.getsize(s[3]) * (1 if s[5] in ("clean", "snap") else 20) / s[9]
    order = sorted(range(len(specs)), key=lambda k: -cost(specs[k]))
    print("1..%d" % (len(tests) + 1))  # and the other-version check's self-test
    sys.stdout.flush()
    t0 = time.time()
    parts = [None] * len(specs)
    if jobs > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_init,
                                                      initargs=(root,)) as pool:
            for k, r in zip(order, pool.imap(job, [specs[k] for k in order])):
                parts[k] = r
    else:
        for k in order:
            parts[k] = job(specs[k])
    merged = collections.OrderedDict()
    for r in parts:
        m = merged.setdefault((r["name"], r["group"]), dict(
            name=r["name"], group=r["group"], variants=0, exact=0, required=0, optional=0,
            counts=collections.Counter(), blocks=[], heads=[], undecided=[]))
        for k in ("variants", "exact", "required", "optional", "undecided"):
            m[k] += r[k]
        m["counts"].update(r["counts"])
        m["blocks"] += r["blocks"]
        m["heads"] += r["heads"]
    known = load_known(root)
    fail, tot = 0, collections.defaultdict(collections.Counter)
    for n, r in enumerate(merged.values(), 1):
        r["blocks"].sort(key=lambda b: b[0])
        r["lines"] = [ln for _, b in r["blocks"][:None if verbose else 5] for ln in b]
        t = tot[r["group"]]
        t["variants"] += r["variants"]
        t["exact"] += r["exact"]
        t["undecided"] += len(r["undecided"])
        t["required"] += r["required"]
        t.update(r["counts"])
        what = "%s %s: %d variants, %d messages required, %d optional" % (
            r["name"], r["group"], r["variants"], r["required"], r["optional"])
        undecided = ", %d undecidable, read as the other version, agreed by tshark" % len(
            r["undecided"]) if r["undecided"] else ""
        if r["exact"] + len(r["undecided"]) == r["variants"]:
            print("ok %d - %s: exact%s" % (n, what, undecided))
            for h in r["undecided"]:
                print("#   undecidable: " + h)
        else:
            # expected failures: every failing variant listed in tests/truth-known.txt
            ks = known.get((r["name"], r["group"]), [])
            heads = r["heads"]  # every failing variant, not only those shown
            todo = heads and all(any(k in h for k, _ in ks) for h in heads)
            fail |= not todo
            print("not ok %d - %s: %d exact%s; %s%s" % (
                n, what, r["exact"], undecided, ", ".join(
                    "%s %d" % (k, v) for k, v in sorted(r["counts"].items())),
                " # TODO known: %s" % "; ".join(w for k, w in ks if any(k in h for h in heads))
                if todo else ""))
            for ln in r["lines"]:
                print("#   " + ln)
            for h in r["undecided"]:
                print("#   undecidable: " + h)
        for k, w in known.get((r["name"], r["group"]), []):
            if not any(k in h for h in r["heads"]):
                # a stale entry fails the suite: the list must say what is wrong now
                fail = 1
                print("# STALE (fails the suite): %s %s: the known failure '%s' passes now: "
                      "remove it from tests/truth-known.txt" % (r["name"], r["group"], k))
    checks = self_test(binp, root)
    fail |= not all(ok for ok, _ in checks)
    print("%s %d - the check of a version the bytes do not decide rejects wrong readings" % (
        "ok" if all(ok for ok, _ in checks) else "not ok", len(merged) + 1))
    for ok, what in checks:
        print("#   %s: %s" % ("ok" if ok else "FAILED", what))
    print("# totals (variants exact/all, and undecidable: the version not in the bytes, "
          "read as the other one, agreed by tshark; messages required; lost, invented, cut "
          "reported complete, wrong frame, wrong fields), %.0f s:" % (time.time() - t0))
    for g in GROUPS:
        if g in tot:
            t = tot[g]
            print("#   %-6s %6d/%-6d exact, %d undecidable; %7d required; lost %d, invented "
                  "%d, cut %d, frame %d, fields %d" % (
                      g, t["exact"], t["variants"], t["undecided"], t["required"], t["lost"],
                      t["invented"], t["cut"], t["frame"], t["fields"]))
    print("# %d variants exact, %d undecidable (read as the other version, agreed by "
          "tshark)%s" % (sum(t["exact"] for t in tot.values()),
                         sum(t["undecided"] for t in tot.values()),
                         ""))
    return fail


def load_known(root):
    """tests/truth-known.txt: {(capture, group): [(text in the variant's description,
    why)]}."""
    known = collections.defaultdict(list)
    path = os.path.join(root, "tests", "truth-known.txt")
    if not os.path.exists(path):
        return known
    for line in open(path):
        if not line.strip() or line.startswith("#"):
            continue
        where, text, why = (x.strip() for x in line.split("|", 2))
        name, group = where.split()
        known[(name, group)].append((text, why))
    return known


def _init(root):
    global damage, tshark_json
    sys.path.insert(0, os.path.join(root, "captures", "tools"))
    import damage as dmg
    damage = dmg
    sys.path.insert(0, os.path.join(root, "tests"))
    import tshark_json as tj
    tshark_json = tj


if __name__ == "__main__":
    sys.exit(main())
