#!/usr/bin/env python3
"""tshark 4.0 as the oracle: summary lines, the -V tree and the JSON values, frame by frame.

usage: tshark.py MQTTDUMP SOURCE_ROOT [--show N] [--only NAME]...    (TAP output)

For every bundled capture (captures/*.pcap, *.pcapng, with the options of NAME.args) and
every public capture under ../shared/captures (skipped, with a message, where absent),
runs
  tshark -n -r C -P -O mqtt             summary lines and the MQTT tree of every frame
  tshark -n -r C -Y mqtt -T json -J ... every mqtt.* field of every message
  mqttdump -r C, -r C -V, -r C --json   (with --show-secrets: tshark shows passwords)
and compares
  - summary: per MQTT frame, the Info column (tshark's TCP notes such as
    "[TCP Previous segment not captured]" dropped, as ../shared/tools/vs-tshark does);
  - tree: per frame, the TCP line and everything from "MQ Telemetry Transport Protocol"
    to the end of the frame (MQTT sections with their indented lines, tshark's expert
    lines, "[Malformed Packet: MQTT]" and the payload sections tshark adds after them);
  - json: per message, each mqtt.* value tshark gives that has a key in docs/json.md.
Each difference is (capture, frame, kind) with kind summary, tree or json:FIELD. A
difference listed in captures/tshark-allow.txt (its reason says why tshark is wrong, or
"TODO pjson") is allowed; any other fails the capture's test point, and so does an allow
entry that matches nothing (the list must not outlive what it excuses).
The last lines give the figures: identical summary lines / total, identical tree lines /
total (lines aligned with difflib; total = identical + tshark's other + mqttdump's other),
JSON values equal / total.
"""
import difflib, glob, json, os, re, shutil, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

SUMMARY = re.compile(r"^\s*(\d+)\s+\S+\s+\S+\s+\u2192\s+\S+\s+(\S+)\s+\d+\s?(.*?)\s*$")
TCPNOTE = re.compile(r"\[TCP [^\]]*\]\s*,?\s*")
FRAME = re.compile(r"^Frame (\d+): ")

# tshark options a capture needs that its .args file does not imply (mqttdump's own options
# for the public captures, which have no .args file, are in MQTTDUMP_ARGS).
TSHARK_ARGS = {
    "port18830.pcap": ["-d", "tcp.port==18830,mqtt"],
    # tshark 4.0 leaves out-of-order segments unreassembled unless told to (captures/README.md)
    "reorder-overlap.pcap": ["-o", "tcp.reassemble_out_of_order:TRUE"],
    "coap_mqtt.pcap": ["-d", "tcp.port==17501,mqtt"],
}
MQTTDUMP_ARGS = {"coap_mqtt.pcap": ["-p", "17501"]}


def tshark_args_of(args, capdir):
    """tshark options equivalent to mqttdump's options of a .args file."""
    out, i = [], 0
    while i < len(args):
        a = args[i]
        if a == "--keylog":
            out += ["-o", "tls.keylog_file:" + os.path.join(capdir, args[i + 1])]
            i += 1
        elif a == "-p":
            out += ["-d", "tcp.port==%s,mqtt" % args[i + 1]]
            i += 1
        elif a in ("--tls-port", "--ws-port"):
            i += 1  # tshark finds TLS by itself; it does not decode MQTT in WebSocket
        i += 1
    return out


def captures(root):
    """(name, path, mqttdump args, tshark args) of every capture; and skip messages."""
    out, notes = [], []
    capdir = os.path.join(root, "captures")
    for p in sorted(glob.glob(os.path.join(capdir, "*.pcap*"))):
        name = os.path.basename(p)
        base = re.sub(r"\.pcap(ng)?$", "", name)
        args = []
        af = os.path.join(capdir, base + ".args")
        if os.path.exists(af):
            with open(af) as f:
                args = f.read().split()
        targs = tshark_args_of(args, capdir) + TSHARK_ARGS.get(name, [])
        margs = [os.path.join(capdir, a) if prev == "--keylog" else a
                 for prev, a in zip([None] + args, args)]
        out.append((name, p, margs, targs))
    shared = os.path.normpath(os.path.join(root, "..", "shared", "captures"))
    if not os.path.isdir(shared):
        notes.append("public captures skipped: %s is absent" % shared)
        return out, notes
    for p in sorted(glob.glob(os.path.join(shared, "**", "*.pcap*"), recursive=True)):
        name = os.path.relpath(p, shared)
        b = os.path.basename(p)
        out.append(("shared/" + name, p, MQTTDUMP_ARGS.get(b, []), TSHARK_ARGS.get(b, [])))
    return out, notes


class Pcap:
    """A pcap of Ethernet/IPv4/TCP frames written byte by byte (no mqttdump code)."""

    def __init__(self):
        import struct
        self.st = struct
        self.out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        self.t = 0

    def csum(self, b):
        if len(b) % 2:
            b += b"\0"
        s = sum(self.st.unpack("!%dH" % (len(b) // 2), b))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        return ~s & 0xFFFF

    def pkt(self, src, dst, sp, dp, seq, ack, flags, data=b""):
        st = self.st
        tcp = st.pack("!HHIIBBHHH", sp, dp, seq % 2**32, ack % 2**32, 5 << 4, flags, 65535,
                      0, 0) + data
        ph = st.pack("!4s4sBBH", src, dst, 0, 6, len(tcp))
        tcp = tcp[:16] + st.pack("!H", self.csum(ph + tcp)) + tcp[18:]
        ip = st.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst)
        ip = ip[:10] + st.pack("!H", self.csum(ip)) + ip[12:]
        fr = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + tcp
        self.t += 1000
        self.out.append(st.pack("<IIII", 1700000000 + self.t // 1000000, self.t % 1000000,
                                len(fr), len(fr)) + fr)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(b"".join(self.out))


SYN, PSH, ACK = 2, 8, 16
BROKER = bytes([10, 0, 0, 1])


def many_conns(path, n=5000, seed=18):
    """A capture of n MQTT 3.1.1 connections open at once (more than a fixed table of 4,096
    connections holds): every connection's handshake, then every CONNECT, every CONNACK,
    every PINGREQ, every PINGRESP. Random initial sequence numbers: a relative Seq or Ack
    taken from another connection shows."""
    import random, struct
    rnd = random.Random(seed)
    w = Pcap()
    conns = []
    for i in range(n):
        cl = bytes([10, 1, i // 250, 1 + i % 250])
        conns.append([cl, 20000 + i % 40000, rnd.getrandbits(32), rnd.getrandbits(32)])
    for cl, sp, ci, bi in conns:
        w.pkt(cl, BROKER, sp, 1883, ci, 0, SYN)
        w.pkt(BROKER, cl, 1883, sp, bi, ci + 1, SYN | ACK)
        w.pkt(cl, BROKER, sp, 1883, ci + 1, bi + 1, ACK)
    steps = []
    for k in range(n):
        cid = b"c%04d" % k
        body = b"\0\x04MQTT\x04\x02\0\x3c" + struct.pack("!H", len(cid)) + cid
        steps.append(bytes([0x10, len(body)]) + body)
    for phase in range(4):
        for k, c in enumerate(conns):
            cl, sp = c[0], c[1]
            data = [steps[k], b"\x20\x02\0\0", b"\xc0\0", b"\xd0\0"][phase]
            if phase % 2 == 0:
                w.pkt(cl, BROKER, sp, 1883, c[2] + 1, c[3] + 1, PSH | ACK, data)
                c[2] += len(data)
            else:
                w.pkt(BROKER, cl, 1883, sp, c[3] + 1, c[2] + 1, PSH | ACK, data)
                c[3] += len(data)
    w.write(path)


def session(w, cl, sp, packets):
    """One connection: handshake, then each (from_client, bytes) in its own segment."""
    seq = {True: 1000, False: 5000}
    w.pkt(cl, BROKER, sp, 1883, seq[True] - 1, 0, SYN)
    w.pkt(BROKER, cl, 1883, sp, seq[False] - 1, seq[True], SYN | ACK)
    w.pkt(cl, BROKER, sp, 1883, seq[True], seq[False], ACK)
    for fc, data in packets:
        a, b = (cl, BROKER) if fc else (BROKER, cl)
        pa, pb = (sp, 1883) if fc else (1883, sp)
        w.pkt(a, b, pa, pb, seq[fc], seq[not fc], PSH | ACK, data)
        seq[fc] += len(data)


def mqtt_str(s):
    import struct
    return struct.pack("!H", len(s)) + s


def expert_cases(path):
    """Packets that make tshark print expert lines or odd fields: an empty topic in 3.1.1,
    a Topic Alias used before it is set, empty SUBSCRIBE/UNSUBSCRIBE filters, a NUL in a
    topic, reason codes a packet type does not define, a Content Type with two lines,
    retain handling 1, and string lengths that run past the packet (malformed)."""
    w = Pcap()
    c311 = b"\x10\x0e" + mqtt_str(b"MQTT") + b"\x04\x02\0\x3c" + mqtt_str(b"e1")
    c5 = b"\x10\x0f" + mqtt_str(b"MQTT") + b"\x05\x02\0\x3c\0" + mqtt_str(b"e2")
    pub0 = mqtt_str(b"")
    nul = mqtt_str(b"a\0b")
    session(w, bytes([10, 2, 0, 1]), 41001, [
        (True, c311), (False, b"\x20\x02\0\0"),
        (True, bytes([0x30, len(pub0) + 1]) + pub0 + b"x"),
        (True, bytes([0x30, len(nul) + 1]) + nul + b"y"),
        (True, b"\x82\x05\0\x01" + mqtt_str(b"")[:2] + b"\0"),
        (False, b"\x90\x03\0\x01\x00"),
        (True, b"\xa2\x04\0\x02" + mqtt_str(b"")),
        (False, b"\xb0\x02\0\x02"), (True, b"\xe0\0")])
    ct = b"\x03" + mqtt_str(b"text/plain")
    text = b"line one\nline two\n"
    pub_alias = mqtt_str(b"") + bytes([3]) + b"\x23\0\x07" + b"z"
    pub_ct = mqtt_str(b"t/ct") + bytes([len(ct)]) + ct + text
    session(w, bytes([10, 2, 0, 2]), 41002, [
        (True, c5), (False, b"\x20\x03\0\0\0"),
        (True, bytes([0x30, len(pub_alias)]) + pub_alias),
        (True, bytes([0x30, len(pub_ct)]) + pub_ct),
        (True, b"\x82\x07\0\x05\0" + mqtt_str(b"f") + b"\x1d"),  # retain handling 1
        (False, b"\x90\x04\0\x05\0\x01"),
        (True, b"\x62\x04\0\x03\x80\0"),           # PUBREL 0x80: not defined for it
        (False, b"\x40\x04\0\x04\x8b\0"),          # PUBACK 0x8b: DISCONNECT's code
        (False, b"\xe0\x02\x9e\0")])
    # malformed: a client id, a topic and a filter whose lengths run past the packet
    session(w, bytes([10, 2, 0, 3]), 41003, [
        (True, b"\x10\x0e" + mqtt_str(b"MQTT") + b"\x04\x02\0\x3c\0\x09e1")])
    session(w, bytes([10, 2, 0, 4]), 41004, [
        (True, c311), (False, b"\x20\x02\0\0"), (True, b"\x30\x05\0\x32abc"),
        (True, b"\x82\x04\0\x01\0\x05"), (True, b"\xc0\0")])
    w.write(path)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), p.returncode,
                                                 p.stderr.decode(errors="replace")[-300:]))
    return p.stdout.decode("utf-8", errors="replace")


def info_of(m):
    return TCPNOTE.sub("", m.group(3)).strip().strip(",").strip()


def mqtt_part(block):
    """The compared lines of one frame's tree: the TCP line, then everything from the first
    MQTT section on."""
    tcp = [ln for ln in block if ln.startswith("Transmission Control Protocol")]
    start = next((i for i, ln in enumerate(block)
                  if ln.startswith("MQ Telemetry Transport Protocol")), None)
    if start is None:
        return []
    return tcp[-1:] + block[start:]


def parse_tshark(text):
    """tshark -P -O mqtt: frame -> Info of MQTT frames, frame -> tree lines."""
    summ, tree, frame, block = {}, {}, None, []

    def flush():
        if frame is not None:
            part = mqtt_part(block)
            if part:
                tree[frame] = part

    for ln in text.split("\n"):
        m = SUMMARY.match(ln)
        if m and not ln.startswith(" " * 8):
            flush()
            frame, block = int(m.group(1)), []
            if m.group(2) == "MQTT":
                summ[frame] = info_of(m)
        elif ln:
            block.append(ln)
    flush()
    return summ, tree


def parse_summary(text):
    out = {}
    for ln in text.split("\n"):
        m = SUMMARY.match(ln)
        if m and m.group(2) == "MQTT":
            out[int(m.group(1))] = info_of(m)
    return out


def parse_detail(text):
    tree, frame, block = {}, None, []
    for ln in text.split("\n") + [""]:
        m = FRAME.match(ln)
        if m:
            frame, block = int(m.group(1)), [ln]
        elif ln:
            block.append(ln)
        elif frame is not None:
            part = mqtt_part(block)
            if part:
                tree[frame] = part
            frame = None
    return tree


# ---- JSON values -------------------------------------------------------------------------

PROPS = {  # MQTT 5.0 property identifiers (spec Table 2-4) -> docs/json.md keys
    0x01: "payload_format_indicator", 0x02: "message_expiry_interval", 0x03: "content_type",
    0x08: "response_topic", 0x09: "correlation_data", 0x0B: "subscription_identifier",
    0x11: "session_expiry_interval", 0x12: "assigned_client_identifier",
    0x13: "server_keep_alive", 0x15: "authentication_method", 0x16: "authentication_data",
    0x17: "request_problem_information", 0x18: "will_delay_interval",
    0x19: "request_response_information", 0x1A: "response_information",
    0x1C: "server_reference", 0x1F: "reason_string", 0x21: "receive_maximum",
    0x22: "topic_alias_maximum", 0x23: "topic_alias", 0x24: "maximum_qos",
    0x25: "retain_available", 0x26: "user_properties", 0x27: "maximum_packet_size",
    0x28: "wildcard_subscription_available", 0x29: "subscription_identifier_available",
    0x2A: "shared_subscription_available",
}
PROP_VALUE = ("mqtt.prop_number", "mqtt.prop_string", "mqtt.prop_value",
              "mqtt.property.content_type", "mqtt.property.topic_alias",
              "mqtt.property.max_qos", "mqtt.prop_binary")
CODES = ("mqtt.conack.val", "mqtt.connack.reason_code", "mqtt.puback.reason_code",
         "mqtt.pubrec.reason_code", "mqtt.pubrel.reason_code", "mqtt.pubcomp.reason_code",
         "mqtt.disconnect.reason_code", "mqtt.auth.reason_code")


def pairs(obj, acc):
    """tshark's JSON as an ordered list of (field, value) leaves, trees flattened; a
    "mqtt.properties" object becomes ("@props", [its leaves])."""
    for k, v in obj:
        if k in ("mqtt.properties", "mqtt.will_properties"):
            acc.append(("@props" if k == "mqtt.properties" else "@willprops", pairs(v, [])))
        elif isinstance(v, list) and v and isinstance(v[0], tuple):
            pairs(v, acc)
        else:
            acc.append((k, v))
    return acc


def num(v):
    try:
        return int(str(v), 0)
    except (TypeError, ValueError):
        return None


def tshark_props(leaves):
    """[(json key, value)] of one property block, in order (None key: not decoded)."""
    out, cur, key = [], None, None
    for k, v in leaves:
        if k == "mqtt.property_id":
            cur = num(v)
            key = PROPS.get(cur)
            if cur == 0x26:
                out.append(("user_properties", {}))
        elif k == "mqtt.property_len":
            out.append(("property_len", num(v)))
        elif cur == 0x26 and k in ("mqtt.prop_key", "mqtt.prop_value"):
            out[-1][1]["key" if k == "mqtt.prop_key" else "value"] = v
        elif k in PROP_VALUE and key:
            if key in ("correlation_data", "authentication_data") and k == "mqtt.prop_string":
                # tshark 4.0 gives these binary properties as a string: compare the bytes
                v = str(v).encode("utf-8", "surrogateescape").hex()
            out.append((key, v))
    return out


def hexstr(v):
    return str(v).replace(":", "").lower()


def expect_props(props, theirs, where, exp, parent):
    """Compare a tshark property block with mqttdump's properties object (its declared
    length is the parent's property_len: the message's, or the will's)."""
    seen = {}
    for key, v in theirs:
        if key == "property_len":
            exp.append((where + "property_len", v, parent.get("property_len")))
            continue
        mine = props.get(key)
        if key in ("user_properties", "subscription_identifier"):
            i = seen.get(key, 0)
            seen[key] = i + 1
            mine = mine[i] if isinstance(mine, list) and i < len(mine) else None
        if key in ("correlation_data", "authentication_data"):
            v = hexstr(v)
        elif key == "user_properties":
            pass
        elif num(v) is not None and not isinstance(mine, str):
            v = num(v)
        exp.append((where + key, v, mine))


def sub_pairs(leaves, o, exp):
    """SUBSCRIBE filters with their options, SUBACK/UNSUBACK codes, UNSUBSCRIBE filters."""
    t = o.get("type_id")
    subs = o.get("subscriptions") or []
    filters = o.get("filters") or []
    codes = o.get("codes") or []
    i, j = -1, 0
    opt = {"mqtt.sub.qos": "qos", "mqtt.subscription_options_qos": "qos",
           "mqtt.subscription_options_nl": "no_local",
           "mqtt.subscription_options_rap": "retain_as_published",
           "mqtt.subscription_options_retain": "retain_handling"}
    for k, v in leaves:
        if t == 8 and k == "mqtt.topic":
            i += 1
            s = subs[i] if i < len(subs) else {}
            exp.append(("subscriptions.filter", v, s.get("filter")))
        elif t == 8 and k in opt and i >= 0:
            s = subs[i] if i < len(subs) else {}
            mine = s.get(opt[k])
            if isinstance(mine, bool):
                mine = int(mine)
            exp.append(("subscriptions." + opt[k], num(v), mine))
        elif t == 10 and k == "mqtt.topic":
            exp.append(("filters", v, filters[j] if j < len(filters) else None))
            j += 1
        elif t in (9, 11) and k in ("mqtt.suback.qos", "mqtt.suback.reason_code",
                                    "mqtt.unsuback.reason_code"):
            exp.append(("codes", num(v), codes[j] if j < len(codes) else None))
            j += 1


SIMPLE = {  # tshark field -> (docs/json.md key, how tshark's text becomes the value)
    "mqtt.msgtype": ("type_id", num), "mqtt.len": ("length", num),
    "mqtt.msgid": ("msgid", num), "mqtt.protoname": ("proto_name", str),
    "mqtt.ver": ("proto_level", num), "mqtt.kalive": ("keepalive", num),
    "mqtt.conflags": ("connect_flags", num), "mqtt.clientid": ("clientid", str),
    "mqtt.username": ("username", str), "mqtt.passwd": ("password", str),
    "mqtt.passwd_len": ("password_len", num), "mqtt.conack.flags.sp": ("session_present", num),
    "mqtt.dupflag": ("dup", num), "mqtt.retain": ("retain", num),
    "mqtt.conflag.cleansess": ("clean_start", num),
}


def mine_value(o, key):
    v = o.get(key)
    return int(v) if isinstance(v, bool) else v


def expect_msg(leaves, o):
    """[(field, tshark value, mqttdump value)] for one message."""
    exp = []
    t = num(dict(leaves).get("mqtt.msgtype"))
    for k, v in leaves:
        if k == "@props":
            expect_props(o.get("properties") or {}, tshark_props(v), "properties.", exp, o)
        elif k == "@willprops":
            w = o.get("will") or {}
            expect_props(w.get("properties") or {}, tshark_props(v), "will.properties.", exp,
                         w)
        elif k == "mqtt.hdrflags":
            exp.append(("flags", num(v) & 15, o.get("flags")))
        elif k in ("mqtt.dupflag", "mqtt.retain") and t != 3:
            continue  # 3.1's header bits of PUBREL, SUBSCRIBE, UNSUBSCRIBE: only flags
        elif k in SIMPLE:
            key, conv = SIMPLE[k]
            exp.append((key, conv(v), mine_value(o, key)))
        elif k in CODES:
            exp.append(("code", num(v), o.get("code")))
        elif k == "mqtt.topic" and t == 3:
            exp.append(("topic", v, o.get("topic")))
        elif k == "mqtt.topic_len" and t == 3:
            mine = o.get("topic_len")
            exp.append(("topic_len", num(v), mine))
        elif k == "mqtt.qos" and t == 3:
            exp.append(("qos", num(v), o.get("qos")))
        elif k == "mqtt.msg" and t == 3:
            mine = o.get("payload_hex")
            if mine is None and "payload" in o:
                mine = o["payload"].encode().hex()
            exp.append(("payload", hexstr(v), mine))
        elif k == "mqtt.willmsg_len":
            exp.append(("will.payload_len", num(v), (o.get("will") or {}).get("payload_len")))
        elif k == "mqtt.unknown_version":
            # tshark's "Unknown version (missing the CONNECT packet?)"
            exp.append(("version_inferred", True, o.get("version_inferred")))
        elif k == "mqtt.willtopic":
            exp.append(("will.topic", v, (o.get("will") or {}).get("topic")))
        elif k == "mqtt.willmsg":
            w = o.get("will") or {}
            mine = w.get("payload_hex")
            if mine is None and "payload" in w:
                mine = w["payload"].encode().hex()
            exp.append(("will.payload", hexstr(v), mine))
    sub_pairs(leaves, o, exp)
    return exp


def keep_all(kv):
    return kv  # an object is kept as its (key, value) list: tshark repeats keys


def tshark_msgs(text):
    """frame -> [leaves of each MQTT message] from tshark -T json."""
    out = {}
    for pkt in json.loads(text or "[]", object_pairs_hook=keep_all):
        layers = dict(dict(pkt)["_source"])["layers"]
        frame = next(num(v) for k, v in dict(layers)["frame"] if k == "frame.number")
        for k, v in layers:
            if k == "mqtt" and isinstance(v, list):
                leaves = pairs(v, [])
                if any(f == "mqtt.msgtype" for f, _ in leaves):
                    out.setdefault(frame, []).append(leaves)
    return out


def ours_msgs(text):
    out = {}
    for ln in text.split("\n"):
        if ln.strip():
            o = json.loads(ln)
            if "type_id" in o:
                out.setdefault(o["frame"], []).append(o)
    return out


# ---- comparison --------------------------------------------------------------------------

def compare_tree(t, o):
    """(identical lines, total lines, diff text) of two frames' tree lines."""
    sm = difflib.SequenceMatcher(None, t, o, autojunk=False)
    same = sum(b.size for b in sm.get_matching_blocks())
    diff = [ln for ln in difflib.unified_diff(t, o, "tshark", "mqttdump", n=1, lineterm="")]
    return same, len(t) + len(o) - same, diff


def compare(name, ts_tree_text, ts_json, summ_text, det_text, json_text):
    """Figures and differences [(frame, kind, text)] of one capture."""
    fig = dict.fromkeys(("sum", "sum_ok", "tree", "tree_ok", "val", "val_ok"), 0)
    diffs = []
    ts_summ, ts_tree = parse_tshark(ts_tree_text)
    my_summ, my_tree = parse_summary(summ_text), parse_detail(det_text)
    for f in sorted(set(ts_summ) | set(my_summ)):
        fig["sum"] += 1
        if ts_summ.get(f) == my_summ.get(f):
            fig["sum_ok"] += 1
        else:
            diffs.append((f, "summary", "tshark:   %s\n    mqttdump: %s"
                          % (ts_summ.get(f), my_summ.get(f))))
    for f in sorted(set(ts_tree) | set(my_tree)):
        same, total, d = compare_tree(ts_tree.get(f, []), my_tree.get(f, []))
        fig["tree"] += total
        fig["tree_ok"] += same
        if d:
            diffs.append((f, "tree", "\n    ".join(d[2:])))
    tm, om = tshark_msgs(ts_json), ours_msgs(json_text)
    for f in sorted(set(tm) | set(om)):
        xs, ys = tm.get(f, []), om.get(f, [])
        for i, leaves in enumerate(xs):
            o = ys[i] if i < len(ys) else {}
            for field, tv, mv in expect_msg(leaves, o):
                fig["val"] += 1
                if tv == mv:
                    fig["val_ok"] += 1
                else:
                    diffs.append((f, "json:" + field, "message %d: tshark=%r mqttdump=%r"
                                  % (i + 1, tv, mv)))
        if len(ys) > len(xs):
            fig["val"] += len(ys) - len(xs)
            diffs.append((f, "json:message", "mqttdump has %d messages, tshark %d"
                          % (len(ys), len(xs))))
    return fig, diffs


def run_capture(mqttdump, cap):
    name, path, margs, targs = cap
    ts = ["tshark", "-n"] + targs + ["-r", path]
    me = [mqttdump, "--show-secrets"] + margs + ["-r", path]
    outs = [run(ts + ["-P", "-O", "mqtt"]),
            run(ts + ["-Y", "mqtt", "-T", "json", "-J", "frame mqtt"]),
            run(me), run(me + ["-V"]), run(me + ["--json", "--payload-max", "100000000"])]
    return compare(name, *outs)


# ---- allow-list --------------------------------------------------------------------------

def load_allow(path):
    """[(capture, frames or None, kind pattern, section, reason, line number)]."""
    out, section = [], None
    with open(path, encoding="utf-8") as f:
        for n, ln in enumerate(f, 1):
            s = ln.strip()
            if not s or s.startswith("#"):
                continue
            if s.startswith("[") and s.endswith("]"):
                section = s[1:-1]
                continue
            parts = s.split(None, 3)
            if len(parts) < 4:
                raise ValueError("%s:%d: want CAPTURE FRAMES KIND REASON" % (path, n))
            cap, frames, kind, reason = parts
            fs = None
            if frames != "*":
                fs = set()
                for r in frames.split(","):
                    a, _, b = r.partition("-")
                    fs.update(range(int(a), int(b or a) + 1))
            out.append([cap, fs, kind, section, reason, n, 0])
    return out


def allowed(allow, cap, frame, kind):
    hit = False
    for e in allow:
        if e[0] in (cap, "*") and (e[1] is None or frame in e[1]) and (
                e[2] == kind or (e[2].endswith("*") and kind.startswith(e[2][:-1]))):
            e[6] += 1
            hit = True
    return hit


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print("usage: tshark.py MQTTDUMP SOURCE_ROOT [--show N] [--only NAME]...",
              file=sys.stderr)
        return 2
    mqttdump, root = args[0], args[1]
    show, only = 3, []
    rest = args[2:]
    while rest:
        if rest[0] == "--show":
            show, rest = int(rest[1]), rest[2:]
        elif rest[0] == "--only":
            only, rest = only + [rest[1]], rest[2:]
        else:
            print("tshark.py: unknown option %s" % rest[0], file=sys.stderr)
            return 2
    if shutil.which("tshark") is None:
        print("1..0 # SKIP tshark is not installed")
        return 0
    caps, notes = captures(root)
    tmp = tempfile.mkdtemp(prefix="mqttdump-tshark-")
    many_conns(os.path.join(tmp, "conns-5000.pcap"))
    caps.append(("made/conns-5000.pcap", os.path.join(tmp, "conns-5000.pcap"), [], []))
    expert_cases(os.path.join(tmp, "expert-cases.pcap"))
    caps.append(("made/expert-cases.pcap", os.path.join(tmp, "expert-cases.pcap"), [], []))
    if only:
        caps = [c for c in caps if any(o in c[0] for o in only)]
    allow = load_allow(os.path.join(root, "captures", "tshark-allow.txt"))
    for n in notes:
        print("# " + n)
    print("1..%d" % (len(caps) + (0 if only else 1)))
    tot = dict.fromkeys(("sum", "sum_ok", "tree", "tree_ok", "val", "val_ok"), 0)
    real = dict(tot)  # the same, without the capture the test writes
    allowed_n = 0
    failed = 0
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        results = list(pool.map(lambda c: _safe(run_capture, mqttdump, c), caps))
    shutil.rmtree(tmp, ignore_errors=True)
    for i, (cap, res) in enumerate(zip(caps, results), 1):
        if isinstance(res, Exception):
            print("not ok %d - %s: %s" % (i, cap[0], res))
            failed += 1
            continue
        fig, diffs = res
        for k in tot:
            tot[k] += fig[k]
            if not cap[0].startswith("made/"):
                real[k] += fig[k]
        bad = [d for d in diffs if not allowed(allow, cap[0], d[0], d[1])]
        allowed_n += len(diffs) - len(bad)
        line = "%s: summary %d/%d, tree %d/%d, json %d/%d" % (
            cap[0], fig["sum_ok"], fig["sum"], fig["tree_ok"], fig["tree"],
            fig["val_ok"], fig["val"])
        if bad:
            failed += 1
            print("not ok %d - %s (%d differences not in the allow-list)" % (i, line, len(bad)))
            for f, kind, text in bad[:show]:
                print("#   frame %d %s\n#     %s" % (f, kind, text.replace("\n", "\n#   ")))
        else:
            print("ok %d - %s" % (i, line))
    if not only:
        ran = {c[0] for c in caps}  # entries of captures not at hand (public ones) wait
        stale = [e for e in allow if e[6] == 0 and (e[0] == "*" or e[0] in ran)]
        n = len(caps) + 1
        if stale:
            failed += 1
            print("not ok %d - allow-list entries that match no difference" % n)
            for e in stale:
                print("#   line %d: %s %s" % (e[5], e[0], e[2]))
        else:
            print("ok %d - every allow-list entry matches a difference" % n)
    for what, t in (("bundled and public captures", real), ("with the written one", tot)):
        print("# %s: summary lines identical %d/%d, -V tree lines identical %d/%d, JSON "
              "values equal %d/%d" % (what, t["sum_ok"], t["sum"], t["tree_ok"], t["tree"],
                                      t["val_ok"], t["val"]))
    print("# differences allowed by captures/tshark-allow.txt: %d" % allowed_n)
    return 1 if failed else 0


def _safe(fn, *a):
    try:
        return fn(*a)
    except (RuntimeError, ValueError, KeyError, StopIteration) as e:
        return e


if __name__ == "__main__":
    sys.exit(main())
