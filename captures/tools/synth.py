#!/usr/bin/env python3
"""synth.py OUTDIR: hand-made captures for what a broker on loopback does not produce.

  mqtt5-all-types.pcap   one MQTT 5.0 session with every control packet type, AUTH
                         included: reason codes, properties, the short acknowledgement forms
  link-<kind>.pcap       one short 3.1.1 session (CONNECT, CONNACK, SUBSCRIBE, SUBACK,
                         PUBLISH QoS 1, PUBACK, PINGREQ, PINGRESP, DISCONNECT) in each link
                         type and IP version mqttdump reads: vlan, qinq, sll, sll2, null,
                         loop, raw4, raw6, ipv6ext, nsec (nanosecond pcap) and .pcapng
  mqtt31-all-types.pcap, mqtt311-all-types.pcap
                         one 3.1 (MQIsdp) and one 3.1.1 session with every control packet
                         type of that version, both directions; 3.1.1 SUBACK with 0x80
  anomaly-*.pcap         3.1.1 sessions that break one rule of the conversation each (for
                         the session tracker: --timeline, --stats): ack-without-request,
                         second-connect, before-connect, keepalive, qos2-unfinished,
                         id-reused, wrong-direction
  reorder-overlap.pcap   a 3.1.1 session with TCP trouble: a PUBLISH in three segments sent
                         3rd, 1st, 2nd, then the 2nd retransmitted; a segment overlapping the
                         one before by 10 bytes; three messages and half a fourth in one segment
  hostile-strings.pcap   topics, filters, client ids, user names, passwords, properties, a
                         TLS SNI and a WebSocket upgrade carrying terminal escapes (ESC [2J,
                         ESC ]0; BEL, CR LF and a forged summary line, NUL, DEL, C1, bidi
                         controls, invalid UTF-8), and secrets (passwords, Authentication Data,
                         also cut across segments inside them)
Each is a whole TCP session (SYN, SYN-ACK, ACK, data acknowledged, FIN) between a client and
a broker on port 1883, with correct IPv4 and TCP checksums. Standard library only.
"""
import os, struct, sys

from mqttwire import csum, pkt, s  # noqa: E402

T0 = 1767225600  # 2026-01-01T00:00:00Z


def props(*items):
    body = b"".join(items)
    return pkt(0, body)[1:]  # a property block: varint length, then the properties


class Session:
    """Build the IP packets of one TCP session; a frame is (time, ip packet)."""

    def __init__(self, v6=False, ext=False, cport=40000, bport=1883, t0=0.0):
        self.v6, self.ext = v6, ext
        if v6:
            self.c = bytes(15) + b"\x01" if not ext else bytes.fromhex("fd000000000000000000000000000001")
            self.b = bytes(15) + b"\x02" if not ext else bytes.fromhex("fd000000000000000000000000000002")
        else:
            self.c, self.b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
        self.cp, self.bp, self.cs, self.bs = cport, bport, 1000, 90000
        self.frames, self.t = [], t0
        self.tcp(True, 0x02)
        self.cs += 1
        self.tcp(False, 0x12, ack=self.cs)
        self.bs += 1
        self.tcp(True, 0x10)

    def ip(self, up, tcp):
        src, dst = (self.c, self.b) if up else (self.b, self.c)
        if self.v6:
            pseudo = src + dst + struct.pack("!IxxxB", len(tcp), 6)
            tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
            if self.ext:  # hop-by-hop (8 bytes, PadN) then destination options (8 bytes)
                ext = bytes([60, 0, 1, 4, 0, 0, 0, 0]) + bytes([6, 0, 1, 4, 0, 0, 0, 0])
                return struct.pack("!IHBB", 0x60000000, len(ext) + len(tcp), 0, 64) + src + dst + ext + tcp
            return struct.pack("!IHBB", 0x60000000, len(tcp), 6, 64) + src + dst + tcp
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 7, 0x4000, 64, 6, 0, src, dst)
        return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + tcp

    def tcp(self, up, flags, data=b"", ack=None, seq=None):
        sp, dp = (self.cp, self.bp) if up else (self.bp, self.cp)
        if seq is None:
            seq = self.cs if up else self.bs
        if ack is None:
            ack = self.bs if up else self.cs
        t = struct.pack("!HHIIBBHHH", sp, dp, seq, ack if flags & 0x10 else 0, 0x50, flags,
                        65535, 0, 0) + data
        self.t += 0.0125
        self.frames.append((self.t, up, self.ip(up, t)))

    def up(self, data):
        self.tcp(True, 0x18, data)
        self.cs += len(data)
        self.tcp(False, 0x10)

    def down(self, data):
        self.tcp(False, 0x18, data)
        self.bs += len(data)
        self.tcp(True, 0x10)

    def seg(self, up, data, seq, ack=None):
        """One data segment at sequence number seq, out of order or again: the caller moves
        cs/bs and sends the peer's ACKs."""
        self.tcp(up, 0x18, data, ack=ack, seq=seq)

    def close(self):
        self.tcp(True, 0x11)
        self.cs += 1
        self.tcp(False, 0x11)
        self.bs += 1
        self.tcp(True, 0x10)


def v5_all():
    x = Session()
    x.up(pkt(0x10, s("MQTT") + b"\x05\xc6\x00\x1e" +
             props(b"\x11" + struct.pack("!I", 300), b"\x21\x00\x0a", b"\x15" + s("SCRAM-SHA-1"),
                   b"\x16" + s(b"client-first"), b"\x26" + s("tenant") + s("acme")) +
             s("all-types") + props(b"\x18\x00\x00\x00\x05") + s("clients/all-types") +
             s(b"gone") + s("user") + s(b"pass")))
    x.down(pkt(0xF0, b"\x18" + props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(b"server-first"))))
    x.up(pkt(0xF0, b"\x18" + props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(b"client-final"))))
    x.down(pkt(0x20, b"\x00\x00" + props(b"\x12" + s("assigned-1"), b"\x22\x00\x05",
                                         b"\x13\x00\x3c", b"\x24\x01", b"\x25\x01",
                                         b"\x27\x00\x01\x00\x00", b"\x28\x01", b"\x29\x01",
                                         b"\x2a\x00", b"\x1f" + s("welcome"))))
    x.up(pkt(0x82, b"\x00\x01" + props(b"\x0b\x07") + s("a/+") + b"\x2d" + s("b/#") + b"\x01" +
             s("$share/g/c") + b"\x02"))
    x.down(pkt(0x90, b"\x00\x01" + props(b"\x1f" + s("partly")) + b"\x01\x01\xa2"))
    x.up(pkt(0x33, s("a/1") + b"\x00\x02" + props(b"\x01\x01", b"\x02\x00\x00\x00\x3c",
                                                   b"\x23\x00\x01") + b"hello"))
    x.down(pkt(0x40, b"\x00\x02"))                         # PUBACK, remaining length 2
    x.up(pkt(0x30, s("") + props(b"\x23\x00\x01") + b"again by alias"))
    x.up(pkt(0x34, s("b/2") + b"\x00\x03" + b"\x00" + b"qos2"))
    x.down(pkt(0x50, b"\x00\x03\x10"))                     # PUBREC, reason only
    x.up(pkt(0x62, b"\x00\x03\x00\x00"))                   # PUBREL, reason + empty props
    x.down(pkt(0x70, b"\x00\x03\x92" + props(b"\x1f" + s("unknown id"))))
    x.down(pkt(0x35, s("a/9") + b"\x00\x04" + props(b"\x0b\x07", b"\x03" + s("text/plain"))
               + b"to the client"))
    x.up(pkt(0x50, b"\x00\x04"))
    x.down(pkt(0x62, b"\x00\x04"))
    x.up(pkt(0x70, b"\x00\x04"))
    x.up(pkt(0x40, b"\x00\x05\x10" + props(b"\x26" + s("k") + s("v"))))  # PUBACK, no matching
    x.up(pkt(0xA2, b"\x00\x06" + props() + s("a/+") + s("b/#")))
    x.down(pkt(0xB0, b"\x00\x06" + props() + b"\x00\x11"))
    x.up(b"\xc0\x00")
    x.down(b"\xd0\x00")
    x.up(pkt(0xF0, b"\x19" + props(b"\x15" + s("SCRAM-SHA-1"))))
    x.up(pkt(0xE0, b"\x04" + props(b"\x11\x00\x00\x00\x00", b"\x1f" + s("bye, with will"))))
    x.close()
    return x


def close_by_broker(x):
    x.tcp(False, 0x11)
    x.bs += 1
    x.tcp(True, 0x11)
    x.cs += 1
    x.tcp(False, 0x10)


def connect311(x, cid, keepalive=60):
    x.up(pkt(0x10, s("MQTT") + b"\x04\x02" + struct.pack("!H", keepalive) + s(cid)))
    x.down(pkt(0x20, b"\x00\x00"))


def anomalies():
    """One session per anomaly kind of the session tracker; name -> Session."""
    out = {}
    # acknowledgements of nothing: PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK, PINGRESP with no
    # request in flight; then a whole QoS 1 flow and its PUBACK sent twice (the second must
    # not attach to the finished flow)
    x = Session()
    connect311(x, "orphan-acks")
    x.down(pkt(0x40, b"\x00\x07"))
    x.up(pkt(0x50, b"\x00\x08"))
    x.down(pkt(0x70, b"\x00\x09"))
    x.down(pkt(0x90, b"\x00\x0a\x00"))
    x.down(pkt(0xB0, b"\x00\x0b"))
    x.down(b"\xd0\x00")
    x.up(pkt(0x32, s("orphan/ok") + b"\x00\x01" + b"one"))
    x.down(pkt(0x40, b"\x00\x01"))
    x.down(pkt(0x40, b"\x00\x01"))
    x.up(b"\xe0\x00")
    x.close()
    out["ack-without-request"] = x
    # a second CONNECT on a connected session: the broker closes the connection
    x = Session()
    connect311(x, "twice")
    x.up(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("twice")))
    close_by_broker(x)
    out["second-connect"] = x
    # the client publishes before its CONNECT; the broker publishes before its CONNACK
    x = Session()
    x.up(pkt(0x30, s("early/client") + b"too soon"))
    x.up(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("early")))
    x.down(pkt(0x30, s("early/broker") + b"too soon"))
    x.down(pkt(0x20, b"\x00\x00"))
    x.up(b"\xe0\x00")
    x.close()
    out["before-connect"] = x
    # keep alive 2 s: a PINGREQ after 4 s of silence, then 5 s more until the broker closes;
    # the client also subscribes to "#" (a security note)
    x = Session()
    connect311(x, "sleepy", keepalive=2)
    x.up(pkt(0x82, b"\x00\x01" + s("#") + b"\x00"))
    x.down(pkt(0x90, b"\x00\x01\x00"))
    x.t += 4
    x.up(b"\xc0\x00")
    x.down(b"\xd0\x00")
    x.t += 5
    close_by_broker(x)
    out["keepalive"] = x
    # QoS 2 flows left unfinished: the client's stops after PUBREC (no PUBREL), the broker's
    # delivery gets no PUBREC; the client then goes away without DISCONNECT
    x = Session()
    connect311(x, "half-done")
    x.up(pkt(0x82, b"\x00\x01" + s("half/#") + b"\x02"))
    x.down(pkt(0x90, b"\x00\x01\x02"))
    x.up(pkt(0x34, s("half/a") + b"\x00\x02" + b"exactly once?"))
    x.down(pkt(0x50, b"\x00\x02"))
    x.down(pkt(0x34, s("half/b") + b"\x00\x01" + b"for you"))
    x.close()
    out["qos2-unfinished"] = x
    # packet id 5 sent again for a new PUBLISH while the first is unacknowledged (a DUP
    # retransmission of it is fine); a SUBSCRIBE with the id of a PUBLISH in flight
    x = Session()
    connect311(x, "reuser")
    x.up(pkt(0x32, s("reuse/a") + b"\x00\x05" + b"first"))
    x.up(pkt(0x3A, s("reuse/a") + b"\x00\x05" + b"first"))
    x.up(pkt(0x32, s("reuse/b") + b"\x00\x05" + b"second"))
    x.down(pkt(0x40, b"\x00\x05"))
    x.up(pkt(0x32, s("reuse/c") + b"\x00\x06" + b"third"))
    x.up(pkt(0x82, b"\x00\x06" + s("reuse/#") + b"\x01"))
    x.down(pkt(0x40, b"\x00\x06"))
    x.down(pkt(0x90, b"\x00\x06\x01"))
    x.up(b"\xe0\x00")
    x.close()
    out["id-reused"] = x
    # each side sends what only the other may: the broker a SUBSCRIBE, a PINGREQ and (in
    # 3.1.1) a DISCONNECT; the client a CONNACK, a SUBACK and a PINGRESP
    x = Session()
    connect311(x, "backwards")
    x.down(pkt(0x82, b"\x00\x01" + s("wrong/#") + b"\x00"))
    x.up(pkt(0x90, b"\x00\x01\x00"))
    x.down(b"\xc0\x00")
    x.up(b"\xd0\x00")
    x.up(pkt(0x20, b"\x00\x00"))
    x.down(b"\xe0\x00")
    close_by_broker(x)
    out["wrong-direction"] = x
    return out


def v311_short(v6=False, ext=False):
    x = Session(v6, ext)
    x.up(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("link-test")))
    x.down(pkt(0x20, b"\x00\x00"))
    x.up(pkt(0x82, b"\x00\x01" + s("link/#") + b"\x01"))
    x.down(pkt(0x90, b"\x00\x01\x01"))
    x.up(pkt(0x32, s("link/a") + b"\x00\x02" + b"payload"))
    x.down(pkt(0x40, b"\x00\x02"))
    x.up(b"\xc0\x00")
    x.down(b"\xd0\x00")
    x.up(b"\xe0\x00")
    x.close()
    return x


def v3_all(level):
    """Every control packet type of MQTT 3.1 (level 3, "MQIsdp") or 3.1.1 (level 4), each
    direction where the spec allows it: CONNECT with will, username and password; SUBSCRIBE
    to three filters (3.1.1: the third refused with 0x80); PUBLISH QoS 0, 1 and 2 both ways
    with their acknowledgements; UNSUBSCRIBE; PINGREQ; DISCONNECT."""
    x = Session()
    name = "MQIsdp" if level == 3 else "MQTT"
    cid = "all-types-31" if level == 3 else "all-types-311"
    # flags 0xEE: username, password, will retain, will QoS 1, will flag, clean session
    x.up(pkt(0x10, s(name) + bytes([level, 0xEE]) + b"\x00\x3c" + s(cid) +
             s("clients/%s/status" % cid) + s(b"offline") + s("user") + s(b"secret")))
    x.down(pkt(0x20, b"\x00\x00"))
    x.up(pkt(0x82, b"\x00\x01" + s("a/+") + b"\x00" + s("b/#") + b"\x01" + s("c/1") + b"\x02"))
    x.down(pkt(0x90, b"\x00\x01\x00\x01" + (b"\x80" if level == 4 else b"\x02")))
    x.up(pkt(0x30, s("a/1") + b"qos 0"))
    x.down(pkt(0x30, s("a/1") + b"qos 0"))
    x.up(pkt(0x33, s("b/2") + b"\x00\x02" + b"qos 1, retained"))
    x.down(pkt(0x40, b"\x00\x02"))
    x.down(pkt(0x32, s("b/2") + b"\x00\x01" + b"qos 1"))
    x.up(pkt(0x40, b"\x00\x01"))
    x.up(pkt(0x34, s("c/1") + b"\x00\x03" + b"qos 2"))
    x.down(pkt(0x50, b"\x00\x03"))
    x.up(pkt(0x62, b"\x00\x03"))
    x.down(pkt(0x70, b"\x00\x03"))
    x.down(pkt(0x3C, s("c/1") + b"\x00\x02" + b"qos 2, dup"))
    x.up(pkt(0x50, b"\x00\x02"))
    x.down(pkt(0x62, b"\x00\x02"))
    x.up(pkt(0x70, b"\x00\x02"))
    x.up(pkt(0xA2, b"\x00\x04" + s("a/+") + s("b/#")))
    x.down(pkt(0xB0, b"\x00\x04"))
    x.up(b"\xc0\x00")
    x.down(b"\xd0\x00")
    x.up(b"\xe0\x00")
    x.close()
    return x


def reorder_overlap():
    """A 3.1.1 session with what reassembly must cope with, client to broker:
    a QoS 1 PUBLISH of 3,000 bytes in three segments sent 3rd, 1st, 2nd (the broker's
    duplicate ACK, then partial ACKs), then the 2nd retransmitted after it was acknowledged;
    a PUBLISH in two segments, the second starting 10 bytes before the first ends (same
    bytes); one segment with three whole PUBLISH and the first half of a fourth, the next
    with the rest of it and a PINGREQ."""
    x = Session()
    x.up(pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s("reorder")))
    x.down(pkt(0x20, b"\x00\x00"))
    x.up(pkt(0x82, b"\x00\x01" + s("cmd/#") + b"\x01"))
    x.down(pkt(0x90, b"\x00\x01\x01"))
    body = b"".join(b"line %04d of the report\n" % i for i in range(125))[:2980]
    big = pkt(0x32, s("files/report") + b"\x00\x07" + body)
    a, b, c = big[:1000], big[1000:2000], big[2000:]
    base = x.cs
    x.seg(True, c, base + 2000)  # 3rd first
    x.tcp(False, 0x10)  # duplicate ACK: base is still missing
    x.seg(True, a, base)
    x.tcp(False, 0x10, ack=base + 1000)
    x.seg(True, b, base + 1000)
    x.cs = base + len(big)
    x.tcp(False, 0x10)
    x.seg(True, b, base + 1000)  # retransmission of what was acknowledged
    x.tcp(False, 0x10)
    x.down(pkt(0x40, b"\x00\x07"))
    note = pkt(0x30, s("files/note") + b"overlapping segments carry the same bytes " * 4)
    base = x.cs
    x.seg(True, note[:120], base)
    x.tcp(False, 0x10, ack=base + 120)
    x.seg(True, note[110:], base + 110)  # 10 bytes again
    x.cs = base + len(note)
    x.tcp(False, 0x10)
    msgs = [pkt(0x30, s("burst/%d" % i) + b"reading %d" % i) for i in range(4)]
    half = len(msgs[3]) // 2
    x.up(b"".join(msgs[:3]) + msgs[3][:half])
    x.up(msgs[3][half:] + b"\xc0\x00")
    x.down(b"\xd0\x00")
    x.up(b"\xe0\x00")
    x.close()
    return x


# Hostile strings (hostile-strings.pcap): what a topic, a filter, a client id, a user name,
# a property, a TLS SNI or an HTTP request line may carry to attack the terminal that shows
# them. tests/hostile.py runs the capture through every output and checks that none of it
# reaches the output raw.
CLEAR = b"\x1b[2J\x1b[H"                        # ESC [2J: clear the screen
TITLE = b"\x1b]0;title\x07"                     # ESC ]0;...BEL: set the window title
FORGED = (b"\r\n   99   9.999999    6.6.6.6 \xe2\x86\x92 7.7.7.7    MQTT 66 Fake Line")
C1 = b"\xc2\x9b" + b"31m"                       # U+009B, CSI as a C1 control
BIDI = "\u202e".encode()                        # RIGHT-TO-LEFT OVERRIDE
BIDI_ALL = "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200e\u200f\u061c".encode()
# The secrets tests/secrets.py looks for: passwords and MQTT 5.0 Authentication Data
HOSTILE_PW = b"Hostile-Pw-\x1b[7m-91"
HOSTILE_PW5 = b"Pw5-Secret-77\xc2\x9b"
HOSTILE_AUTH = b"\x00AuthData-Zq9\xff\x1b[2J"
HOSTILE_AUTH2 = b"srv-AuthData-Yx4"
SPLIT_PW = b"Split-Pw-Secret-42"
SPLIT_AUTH = b"Split-AuthData-88"
SPLIT_AUTH2 = b"Tail-AuthData-K3"


def hostile_topics():
    return [b"sub/" + CLEAR, b"sub/" + TITLE, b"sub/" + FORGED, b"sub/nul\x00del\x7f",
            b"sub/c1" + C1, b"sub/bidi" + BIDI + b"gnp.exe", b"sub/all" + BIDI_ALL,
            b"sub/bad\xff", b"sub/overlong\xc0\x80", b"sub/lf\nline",
            b"sub/<b>\"q\"&amp;'</b><script>alert(1)</script>"]  # for SVG and HTML


def hostile_v311(t0):
    """3.1.1: a CONNECT whose client id, user name, password, will topic and will message
    carry escapes; a SUBSCRIBE with a filter of each kind; a PUBLISH on each; UNSUBSCRIBE."""
    x = Session(cport=40001, t0=t0)
    # flags 0xC6: username, password, will QoS 0, will flag, clean session
    x.up(pkt(0x10, s("MQTT") + b"\x04\xc6\x00\x3c" + s(b"cid" + CLEAR + TITLE) +
             s(b"will/" + BIDI + b"txt") + s(b"bye\x1b[2J") +
             s(b"user" + FORGED + BIDI + b"evil") + s(HOSTILE_PW)))
    x.down(pkt(0x20, b"\x00\x00"))
    topics = hostile_topics()
    x.up(pkt(0x82, b"\x00\x01" + b"".join(s(f) + b"\x00" for f in topics)))
    x.down(pkt(0x90, b"\x00\x01" + b"\x00" * len(topics)))
    for f in topics:
        x.up(pkt(0x30, s(f) + b"payload\x1b[2J\r\nline\x07" + C1))
    x.up(pkt(0xA2, b"\x00\x02" + s(b"sub/" + FORGED) + s(b"sub/bidi" + BIDI)))
    x.down(pkt(0xB0, b"\x00\x02"))
    x.up(b"\xe0\x00")
    x.close()
    return x


def hostile_v5(t0):
    """5.0: Authentication Method and Data in CONNECT and AUTH, a User Property, a Reason
    String, an Assigned Client Identifier, a Content Type and a Response Topic with escapes."""
    x = Session(cport=40002, t0=t0)
    x.up(pkt(0x10, s("MQTT") + b"\x05\xc2\x00\x3c" +
             props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(HOSTILE_AUTH),
                   b"\x26" + s(b"k" + CLEAR) + s(b"v" + BIDI)) +
             s(b"v5" + C1 + b"id") + s(b"u5" + TITLE) + s(HOSTILE_PW5)))
    x.down(pkt(0xF0, b"\x18" + props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(HOSTILE_AUTH2))))
    x.down(pkt(0x20, b"\x00\x00" + props(b"\x12" + s(b"assigned" + CLEAR),
                                         b"\x1f" + s(b"welcome" + TITLE))))
    x.up(pkt(0x30, s(b"v5/" + FORGED) + props(b"\x03" + s(b"text/plain" + CLEAR),
                                              b"\x08" + s(b"resp/" + BIDI + FORGED),
                                              b"\x09" + s(b"\x1b[2J")) + b"v5 payload"))
    x.up(pkt(0xE0, b"\x00" + props(b"\x1f" + s(b"bye" + BIDI + CLEAR))))
    x.close()
    return x


def hostile_tls(t0):
    """A TLS ClientHello on 8883 whose SNI carries escapes; the broker closes."""
    x = Session(cport=40003, bport=8883, t0=t0)
    name = b"evil" + TITLE + BIDI + b"\xff.example"
    sni = struct.pack("!HBH", len(name) + 3, 0, len(name)) + name
    ext = struct.pack("!HH", 0, len(sni)) + sni
    body = (b"\x03\x03" + bytes(range(32)) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00" +
            struct.pack("!H", len(ext)) + ext)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    x.up(b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs)
    close_by_broker(x)
    return x


def hostile_ws(t0):
    """A WebSocket upgrade on 9001 whose request and status lines carry escapes, then a
    CONNECT in a masked frame with a hostile client id."""
    x = Session(cport=40004, bport=9001, t0=t0)
    x.up(b"GET /mqtt" + CLEAR + BIDI + b" HTTP/1.1\r\nHost: broker" + TITLE + b"\r\n"
         b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\n"
         b"Sec-WebSocket-Version: 13\r\n\r\n")
    x.down(b"HTTP/1.1 101 Switching Protocols" + CLEAR + b"\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
           b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")
    m = pkt(0x10, s("MQTT") + b"\x04\x02\x00\x3c" + s(b"ws" + TITLE + FORGED))
    key = b"\x11\x22\x33\x44"
    x.up(bytes([0x82, 0x80 | len(m)]) + key + bytes(c ^ key[i % 4] for i, c in enumerate(m)))
    c = pkt(0x20, b"\x00\x00")
    x.down(bytes([0x82, len(c)]) + c)
    x.close()
    return x


def secrets_split(t0):
    """5.0: a CONNECT in two segments, cut inside its password; then a PINGREQ and the first
    part of an AUTH in one segment, cut inside its Authentication Data, the rest in the next
    (-x prints the first before the AUTH is whole). The capture stays under 99 frames: the
    forged line names frame 99."""
    x = Session(cport=40005, t0=t0)
    c = pkt(0x10, s("MQTT") + b"\x05\xc2\x00\x3c" +
            props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(SPLIT_AUTH)) +
            s("split") + s("u") + s(SPLIT_PW))
    x.up(c[:-8])
    x.up(c[-8:])
    a = pkt(0xF0, b"\x18" + props(b"\x15" + s("SCRAM-SHA-1"), b"\x16" + s(SPLIT_AUTH2)))
    x.up(b"\xc0\x00" + a[:-6])
    x.up(a[-6:])
    x.down(pkt(0x20, b"\x00\x00"))
    x.up(b"\xe0\x00")
    x.close()
    return x


class Frames:
    """Sessions one after another in one capture."""

    def __init__(self, *sessions):
        self.frames = sorted((f for x in sessions for f in x.frames), key=lambda f: f[0])


def hostile():
    a = hostile_v311(0.0)
    b = hostile_v5(a.t + 0.1)
    c = hostile_tls(b.t + 0.1)
    d = hostile_ws(c.t + 0.1)
    e = secrets_split(d.t + 0.1)
    return Frames(a, b, c, d, e)


MAC_C, MAC_B = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"


def eth(up, ethertype, tags=b""):
    return (MAC_B + MAC_C if up else MAC_C + MAC_B) + tags + struct.pack("!H", ethertype)


def wrap(kind, up, ip):
    v6 = ip[0] >> 4 == 6
    et = 0x86DD if v6 else 0x0800
    if kind in ("eth", "ipv6ext", "nsec", "pcapng"):
        return eth(up, et) + ip
    if kind == "vlan":
        return eth(up, 0x8100, b"") [:12] + struct.pack("!HH", 0x8100, 100) + struct.pack("!H", et) + ip
    if kind == "qinq":
        return (eth(up, 0)[:12] + struct.pack("!HH", 0x88A8, 200) + struct.pack("!HH", 0x8100, 100)
                + struct.pack("!H", et) + ip)
    if kind == "sll":
        return struct.pack("!HHH", 0 if not up else 4, 1, 6) + MAC_C + b"\0\0" + struct.pack("!H", et) + ip
    if kind == "sll2":
        return struct.pack("!HHIHBB", et, 0, 1, 1, 0 if not up else 4, 6) + MAC_C + b"\0\0" + ip
    if kind == "null":
        return struct.pack("<I", 30 if v6 else 2) + ip
    if kind == "loop":
        return struct.pack("!I", 24 if v6 else 2) + ip
    if kind in ("raw4", "raw6"):
        return ip
    raise ValueError(kind)


LINKTYPE = {"eth": 1, "vlan": 1, "qinq": 1, "ipv6ext": 1, "nsec": 1, "pcapng": 1, "sll": 113,
            "sll2": 276, "null": 0, "loop": 108, "raw4": 101, "raw6": 101}


def write_pcap(path, sess, kind):
    nano = kind == "nsec"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D if nano else 0xA1B2C3D4, 2, 4, 0, 0, 262144,
                            LINKTYPE[kind]))
        for t, up, ip in sess.frames:
            data = wrap(kind, up, ip)
            ns = int(round(t * 1e9))
            frac = ns % 1000000000 if nano else (ns // 1000) % 1000000
            f.write(struct.pack("<IIII", T0 + ns // 1000000000, frac + (7 if nano else 0),
                                len(data), len(data)))
            f.write(data)


def write_pcapng(path, sess):
    def block(btype, body):
        body += b"\0" * (-len(body) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    with open(path, "wb") as f:
        f.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        f.write(block(1, struct.pack("<HHI", 1, 0, 262144) + struct.pack("<HHB", 9, 1, 6) +
                      b"\0\0\0" + struct.pack("<HH", 0, 0)))
        for t, up, ip in sess.frames:
            data = wrap("eth", up, ip)
            us = (T0 * 1000000) + int(round(t * 1e6))
            f.write(block(6, struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(data),
                                         len(data)) + data))


def main():
    out = sys.argv[1]
    write_pcap(os.path.join(out, "mqtt5-all-types.pcap"), v5_all(), "eth")
    for kind in ("vlan", "qinq", "sll", "sll2", "null", "loop", "raw4", "nsec"):
        write_pcap(os.path.join(out, "link-%s.pcap" % kind), v311_short(), kind)
    write_pcap(os.path.join(out, "link-raw6.pcap"), v311_short(v6=True), "raw6")
    write_pcap(os.path.join(out, "link-ipv6ext.pcap"), v311_short(v6=True, ext=True), "ipv6ext")
    write_pcapng(os.path.join(out, "link-pcapng.pcapng"), v311_short())
    write_pcap(os.path.join(out, "mqtt31-all-types.pcap"), v3_all(3), "eth")
    write_pcap(os.path.join(out, "mqtt311-all-types.pcap"), v3_all(4), "eth")
    write_pcap(os.path.join(out, "reorder-overlap.pcap"), reorder_overlap(), "eth")
    for name, x in anomalies().items():
        write_pcap(os.path.join(out, "anomaly-%s.pcap" % name), x, "eth")
    write_pcap(os.path.join(out, "hostile-strings.pcap"), hostile(), "eth")


if __name__ == "__main__":
    main()
