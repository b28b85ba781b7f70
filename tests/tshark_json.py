#!/usr/bin/env python3
"""mqttdump --json against tshark's mqtt.* fields, value by value.

tshark 4.0 (`tshark -n -r CAPTURE -Y mqtt -T json`) is the oracle: for every MQTT message
it decodes, each mqtt.* value it shows (every leaf field: header bits, lengths, strings,
property ids and values, ...) must be found in mqttdump's --json record of the same frame
and the same place in the frame (the n-th MQTT message of the frame), by the mapping
below (docs/json.md names the keys). A tshark field with no mapping is a difference too,
so that a field mqttdump does not carry cannot go unnoticed.

compare(capture, mqttdump_bin, extra_mqttdump, extra_tshark) -> (matching, total, diffs)

main: tshark_json.py MQTTDUMP SOURCE_ROOT runs over captures/*.pcap* (with
captures/NAME.args), SOURCE_ROOT/../shared/captures/**/*.pcap* (when there) and a capture
it writes with every MQTT 5.0 property (ALL_PROPERTIES), prints
"values matching / total" per capture and overall, and fails (TAP) on a difference not
listed in captures/tshark-allow-json.txt: "capture<TAB>frame<TAB>field<TAB>reason",
frame and field may be "*"; the reason says why tshark is wrong, with the evidence.
"""
import glob
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile

# MQTT 5.0 Table 2-4: property identifier -> docs/json.md key
PROP_KEYS = {
    0x01: "payload_format_indicator", 0x02: "message_expiry_interval",
    0x03: "content_type", 0x08: "response_topic", 0x09: "correlation_data",
    0x0b: "subscription_identifier", 0x11: "session_expiry_interval",
    0x12: "assigned_client_identifier", 0x13: "server_keep_alive",
    0x15: "authentication_method", 0x16: "authentication_data",
    0x17: "request_problem_information", 0x18: "will_delay_interval",
    0x19: "request_response_information", 0x1a: "response_information",
    0x1c: "server_reference", 0x1f: "reason_string", 0x21: "receive_maximum",
    0x22: "topic_alias_maximum", 0x23: "topic_alias", 0x24: "maximum_qos",
    0x25: "retain_available", 0x26: "user_properties", 0x27: "maximum_packet_size",
    0x28: "wildcard_subscription_available", 0x29: "subscription_identifier_available",
    0x2a: "shared_subscription_available",
}
REPEATS = {"user_properties", "subscription_identifier"}
PUBLISH, SUBSCRIBE, UNSUBSCRIBE = 3, 8, 10
BIG = "1000000000"  # --payload-max: whole payloads


def num(v):
    """tshark's number (decimal or 0x hex) as an int; None when it is not one."""
    try:
        return int(v, 16) if v.lower().startswith("0x") else int(v)
    except (ValueError, AttributeError):
        return None


def blen(s):
    return None if s is None else len(s.encode("utf-8", "surrogatepass"))


def hexof(s):
    return s.encode("utf-8", "surrogatepass").hex()


# ---- tshark ------------------------------------------------------------------------

def leaves(pairs, ctx=""):
    """The mqtt.* leaf fields of one mqtt layer, in order: (ctx, field, value); ctx is
    "props" / "will" inside a property block."""
    for k, v in pairs:
        if isinstance(v, list):
            sub = {"mqtt.properties": "props", "mqtt.will_properties": "will"}.get(k, ctx)
            yield from leaves(v, sub)
        elif k.startswith("mqtt."):
            yield ctx, k, v


def tshark_messages(cap, extra):
    out = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "mqtt", "-T", "json"] + extra,
                         capture_output=True, text=True, check=True).stdout
    msgs = {}
    for pkt in json.loads(out or "[]", object_pairs_hook=list):
        layers = dict(pkt)["_source"]
        layers = dict(layers)["layers"]
        frame = int(dict(dict(layers)["frame"])["frame.number"])
        for k, v in layers:
            if k == "mqtt" and isinstance(v, list):
                msgs.setdefault(frame, []).append(list(leaves(v)))
    return msgs


# ---- mqttdump ----------------------------------------------------------------------

def mqttdump_messages(cap, binary, extra):
    out = subprocess.run([binary, "--json", "--show-secrets", "--payload-max", BIG, "-r",
                          os.path.abspath(cap)] + extra, capture_output=True, text=True,
                         errors="surrogateescape", cwd=os.path.dirname(os.path.abspath(cap)))
    if out.returncode != 0 or "Sanitizer" in out.stderr:
        last = (out.stderr.strip().splitlines() or [""])[-1]
        raise RuntimeError("mqttdump failed on %s (exit %d): %s" % (cap, out.returncode, last))
    msgs = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if "type_id" in r:
            msgs.setdefault(r["frame"], []).append(r)
    return msgs


def text_len(o, key):
    """A string's length in bytes: its *_len key when the text lost bytes (U+FFFD)."""
    if key + "_len" in o:
        return o[key + "_len"]
    return blen(o.get(key))


def payload_hex(o, key):
    if key in o:
        return hexof(o[key])
    return o.get(key + "_hex")


def one(v):
    return [] if v is None else [v]


def bit(v, shift, mask=1):
    return [] if v is None else [(v >> shift) & mask]


def subs(r):
    return r.get("subscriptions") or []


def topics(r):
    t = r["type_id"]
    if t == PUBLISH:
        return one(r.get("topic"))
    if t == SUBSCRIBE:
        return [s["filter"] for s in subs(r)]
    return r.get("filters") or []


def topic_lens(r):
    t = r["type_id"]
    if t == PUBLISH or "topic" not in r:  # a first filter cut: its length only
        return one(r.get("topic_len"))
    if t == SUBSCRIBE:
        return [text_len(s, "filter") for s in subs(r)]
    if "filters_len" in r:
        return r["filters_len"]
    return [blen(f) for f in r.get("filters") or []]


def obits(r, shift, mask):
    """Bits of each subscription's options byte (None where --json has no options)."""
    return [None if s.get("options") is None else s["options"] >> shift & mask
            for s in subs(r)]


def hdr(r):
    return (r["type_id"] << 4) | r["flags"]


def field_map():
    """tshark field -> function(record) giving mqttdump's values of it, in order."""
    cf = lambda r: r.get("connect_flags")
    af = lambda r: r.get("connack_flags")
    will = lambda r: r.get("will") or {}
    opts = lambda r: [s.get("options") for s in subs(r)]
    m = {
        "mqtt.hdrflags": lambda r: [hdr(r)],
        "mqtt.msgtype": lambda r: [r["type_id"]],
        "mqtt.hdr_reserved": lambda r: [r["flags"]],
        "mqtt.dupflag": lambda r: bit(r["flags"], 3),
        "mqtt.qos": lambda r: bit(r["flags"], 1, 3),
        "mqtt.retain": lambda r: bit(r["flags"], 0),
        "mqtt.retain_reserved": lambda r: bit(r["flags"], 0),
        "mqtt.len": lambda r: one(r.get("length")),
        "mqtt.unknown_version": lambda r: [""] if r.get("version_inferred") else [],
        "mqtt.proto_len": lambda r: one(text_len(r, "proto_name")),
        "mqtt.protoname": lambda r: one(r.get("proto_name")),
        "mqtt.ver": lambda r: one(r.get("proto_level")),
        "mqtt.conflags": lambda r: one(cf(r)),
        "mqtt.conflag.uname": lambda r: bit(cf(r), 7),
        "mqtt.conflag.passwd": lambda r: bit(cf(r), 6),
        "mqtt.conflag.retain": lambda r: bit(cf(r), 5),
        "mqtt.conflag.qos": lambda r: bit(cf(r), 3, 3),
        "mqtt.conflag.willflag": lambda r: bit(cf(r), 2),
        "mqtt.conflag.cleansess": lambda r: bit(cf(r), 1),
        "mqtt.conflag.reserved": lambda r: bit(cf(r), 0),
        "mqtt.kalive": lambda r: one(r.get("keepalive")),
        "mqtt.clientid_len": lambda r: one(text_len(r, "clientid")),
        "mqtt.clientid": lambda r: one(r.get("clientid")),
        "mqtt.willtopic_len": lambda r: one(text_len(will(r), "topic")),
        "mqtt.willtopic": lambda r: one(will(r).get("topic")),
        "mqtt.willmsg_len": lambda r: one(will(r).get("payload_len")),
        "mqtt.willmsg": lambda r: one(payload_hex(will(r), "payload")),
        "mqtt.username_len": lambda r: one(text_len(r, "username")),
        "mqtt.username": lambda r: one(r.get("username")),
        "mqtt.passwd_len": lambda r: one(r.get("password_len")),
        "mqtt.passwd": lambda r: one(r.get("password", r.get("password_hex"))),
        "mqtt.conack.flags": lambda r: one(af(r)),
        "mqtt.conack.flags.reserved": lambda r: bit(af(r), 1, 0x7f),
        "mqtt.conack.flags.sp": lambda r: bit(af(r), 0),
        "mqtt.conack.val": lambda r: one(r.get("code")),
        "mqtt.msgid": lambda r: one(r.get("msgid")),
        "mqtt.topic_len": topic_lens,
        "mqtt.topic": topics,
        "mqtt.msg": lambda r: one(payload_hex(r, "payload")),
        "mqtt.sub.qos": opts,
        "mqtt.subscription_options": opts,
        "mqtt.subscription_options_qos": lambda r: obits(r, 0, 3),
        "mqtt.subscription_options_nl": lambda r: obits(r, 2, 1),
        "mqtt.subscription_options_rap": lambda r: obits(r, 3, 1),
        "mqtt.subscription_options_retain": lambda r: obits(r, 4, 3),
        "mqtt.subscription_options_reserved": lambda r: obits(r, 6, 3),
        "mqtt.suback.qos": lambda r: r.get("codes") or [],
        "mqtt.suback.reason_code": lambda r: r.get("codes") or [],
        "mqtt.unsuback.reason_code": lambda r: r.get("codes") or [],
    }
    for t in ("connack", "puback", "pubrec", "pubrel", "pubcomp", "disconnect", "auth"):
        m["mqtt.%s.reason_code" % t] = lambda r: one(r.get("code"))
    return m


FIELDS = field_map()
BYTES = {"mqtt.msg", "mqtt.willmsg"}


def same(field, tv, mv):
    if mv is None:
        return False
    if isinstance(mv, tuple):  # ("hex", bytes in hex) against a string
        return hexof(tv) == mv[1]
    if field in BYTES:
        return tv.replace(":", "") == mv
    if isinstance(mv, bool) or isinstance(mv, int):
        return num(tv) == int(mv)
    return tv == mv


# ---- property blocks ---------------------------------------------------------------


BINARY = {"correlation_data", "authentication_data"}
PROP_LEN = {"mqtt.prop_string_len", "mqtt.prop_binary_len"}


def prop_values(block, key, seen):
    """mqttdump's value of the seen-th property `key` in a block (None: not there)."""
    props = block.get("properties") or {}
    v = props.get(key)
    if key in REPEATS:
        return v[seen] if isinstance(v, list) and seen < len(v) else None
    return v


def prop_field(props, key, field, v):
    """mqttdump's counterpart of one value field of the property `key` (value v)."""
    if field in ("mqtt.prop_key", "mqtt.prop_value"):
        return v.get(field[10:]) if isinstance(v, dict) else None
    if field in ("mqtt.prop_key_len", "mqtt.prop_value_len"):
        return text_len(v, field[10:-4]) if isinstance(v, dict) else None
    if field in PROP_LEN:
        if key == "authentication_data" and v is None:
            return props.get("authentication_data_len")
        if v is None:
            return None
        return len(v) // 2 if key in BINARY else text_len(props, key)
    if key in BINARY and v is not None:
        # tshark 4.0 shows Binary Data as a string (mqtt.prop_string): its bytes
        return ("hex", v)
    return v


def compare_block(items, block, where, out):
    """items: tshark's (field, value) of one property block, in order; block: the
    --json object holding property_len, properties and bad_property_id."""
    props = block.get("properties")
    count, seen, cur, lost = {}, {}, None, False
    for f, v in items:
        if f == "mqtt.property_id":
            k = PROP_KEYS.get(num(v))
            count[k] = count.get(k, 0) + 1
    for f, v in items:
        if f == "mqtt.property_len":
            mv = block.get("property_len")
        elif f == "mqtt.property_id":
            i = num(v)
            cur = PROP_KEYS.get(i)
            n = seen.get(cur, 0)
            seen[cur] = n + 1
            # a single property given twice (a protocol error): --json keeps the last
            lost = cur not in REPEATS and n + 1 < count.get(cur, 0)
            known = props is not None and cur is not None and (
                cur in props or cur == "authentication_data" and
                "authentication_data_len" in props)
            mv = i if known else block.get("bad_property_id")
        elif f.startswith("mqtt.prop"):
            pv = prop_values(block, cur, seen.get(cur, 1) - 1) if cur else None
            mv = prop_field(props or {}, cur, f, pv)
        else:
            out.append((f, v, None, "unmapped"))
            continue
        out.append((f, v, None if lost else mv, where))


def compare_message(tmsg, r):
    """[(field, tshark value, mqttdump value, ctx)] for one message."""
    out, blocks, idx = [], {"props": [], "will": []}, {}
    for ctx, f, v in tmsg:
        if ctx:
            blocks[ctx].append((f, v))
            continue
        fn = FIELDS.get(f)
        if fn is None:
            out.append((f, v, None, "unmapped"))
            continue
        n = idx.get(f, 0)
        idx[f] = n + 1
        vals = fn(r) if r is not None else []
        out.append((f, v, vals[n] if n < len(vals) else None, ""))
    for ctx, items in blocks.items():
        if items:
            block = (r or {}) if ctx == "props" else (r or {}).get("will") or {}
            compare_block(items, block, ctx, out)
    return out


def compare(capture_path, mqttdump_bin, extra_args_mqttdump=(), extra_args_tshark=()):
    """(matching, total, differences): every tshark mqtt.* value of the capture, and
    those mqttdump's --json does not carry alike ({frame, index, field, tshark,
    mqttdump})."""
    tm = tshark_messages(capture_path, list(extra_args_tshark))
    mm = mqttdump_messages(capture_path, os.path.abspath(mqttdump_bin),
                           list(extra_args_mqttdump))
    matching = total = 0
    diffs = []
    for frame in sorted(tm):
        mine = mm.get(frame, [])
        for i, tmsg in enumerate(tm[frame]):
            r = mine[i] if i < len(mine) else None
            for f, tv, mv, ctx in compare_message(tmsg, r):
                total += 1
                if ctx != "unmapped" and same(f, tv, mv):
                    matching += 1
                else:
                    diffs.append({"frame": frame, "index": i, "field": f, "tshark": tv,
                                  "mqttdump": mv, "why": "unmapped" if ctx == "unmapped"
                                  else "no message" if r is None else "differs"})
    return matching, total, diffs


# ---- the test ----------------------------------------------------------------------

def tshark_args(margs, capdir):
    """tshark's options for a capture's mqttdump options (captures/NAME.args)."""
    out = []
    for i, a in enumerate(margs):
        if a == "--keylog" and i + 1 < len(margs):
            out += ["-o", "tls.keylog_file:" + os.path.join(capdir, margs[i + 1])]
        if a == "-p" and i + 1 < len(margs):
            out += ["-d", "tcp.port==%s,mqtt" % margs[i + 1]]
    return out


# Every MQTT 5.0 property (Table 2-4), each in a packet that may carry it, with a will and
# its properties: the bundled captures show 23 of the 27. (first byte, body in hex)
ALL_PROPERTIES = [  # first byte, what precedes the property block, the block, what follows
    (0x10, "00 04 4d 51 54 54 05 06 00 3c",
     "11 00 00 00 01 21 00 01 27 00 00 00 01 22 00 01 19 01 17 01 26 00 01 6b 00 01 76"
     "15 00 01 78 16 00 01 78",
     "00 01 63 1f 18 00 00 00 01 01 01 02 00 00 00 01 03 00 01 78 08 00 01 78 09 00 01 78"
     "26 00 01 6b 00 01 76 00 01 77 00 00"),
    (0x20, "00 00", "11 00 00 00 01 21 00 01 24 01 25 01 27 00 00 00 01 12 00 01 78"
     "22 00 01 1f 00 01 78 26 00 01 6b 00 01 76 28 01 29 01 2a 01 13 00 01 1a 00 01 78"
     "1c 00 01 78 15 00 01 78 16 00 01 78", ""),
    (0x30, "00 01 74", "01 01 02 00 00 00 01 23 00 01 08 00 01 78 09 00 01 78"
     "26 00 01 6b 00 01 76 0b 01 03 00 01 78", "70 6c"),
    (0x82, "00 01", "0b 01 26 00 01 6b 00 01 76", "00 01 61 00"),
    (0xe0, "00", "11 00 00 00 01 1f 00 01 78 26 00 01 6b 00 01 76 1c 00 01 78", ""),
]


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7f, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def write_all_properties(path):
    """A pcap of ALL_PROPERTIES: Ethernet, IPv4, TCP 10.0.0.1:40000 <-> 10.0.0.2:1883."""
    seq = {1: 1000, 0: 9000}
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, (first, head, props, tail) in enumerate(ALL_PROPERTIES):
            up = first != 0x20
            props = bytes.fromhex(props)
            b = bytes.fromhex(head) + varint(len(props)) + props + bytes.fromhex(tail)
            mq = bytes([first]) + varint(len(b)) + b
            ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(mq), 0, 0x4000, 64, 6, 0,
                             bytes([10, 0, 0, 1 if up else 2]),
                             bytes([10, 0, 0, 2 if up else 1]))
            tcp = struct.pack(">HHIIBBHHH", 40000 if up else 1883, 1883 if up else 40000,
                              seq[up], seq[not up], 0x50, 0x18, 0xffff, 0, 0)
            seq[up] += len(mq)
            eth = bytes([0, 0, 0, 0, 0, 2 if up else 1, 0, 0, 0, 0, 0, 1 if up else 2, 8, 0])
            frame = eth + ip + tcp + mq
            f.write(struct.pack("<IIII", 1767225600 + i, 0, len(frame), len(frame)))
            f.write(frame)


# the public captures that need options: MQTT on a port of its own
SHARED_ARGS = {"shared/ndpi/coap_mqtt.pcap": ["-p", "17501"]}


def captures(root):
    caps = []
    for c in sorted(glob.glob(os.path.join(root, "captures", "*.pcap*")) +
                    glob.glob(os.path.join(root, "captures", "damaged", "*.pcap"))):
        name = os.path.basename(c).rsplit(".", 1)[0]
        args = []
        af = os.path.join(root, "captures", name + ".args")
        if os.path.exists(af):
            with open(af) as f:
                args = shlex.split(f.read())
        targs = tshark_args(args, os.path.dirname(c))
        if name.startswith("port18830"):
            targs += ["-d", "tcp.port==18830,mqtt"]
        caps.append((os.path.relpath(c, root), c, args, targs))
    shared = os.path.join(root, "..", "shared", "captures")
    for c in sorted(glob.glob(os.path.join(shared, "**", "*.pcap*"), recursive=True)):
        name = "shared/" + os.path.relpath(c, shared)
        margs = SHARED_ARGS.get(name, [])
        caps.append((name, c, margs, tshark_args(margs, os.path.dirname(c))))
    return caps


def load_allow(path):
    allow = []
    if not os.path.exists(path):
        return allow
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 4 or not parts[3].strip():
                raise ValueError("%s:%d: capture, frame, field and reason, tab-separated"
                                 % (path, n))
            allow.append(parts[:3])
    return allow


def in_frames(spec, frame):
    if spec == "*":
        return True
    lo, _, hi = spec.partition("-")
    return int(lo) <= frame <= int(hi or lo)


def allowed(allow, cap, d, used):
    for n, (c, fr, fl) in enumerate(allow):
        if c == cap and in_frames(fr, d["frame"]) and fl in ("*", d["field"]):
            used.add(n)
            return True
    return False


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: tshark_json.py MQTTDUMP SOURCE_ROOT")
    binary, root = os.path.abspath(argv[1]), argv[2]
    try:
        subprocess.run(["tshark", "-v"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("1..0 # SKIP tshark is not installed")
        return 0
    allow = load_allow(os.path.join(root, "captures", "tshark-allow-json.txt"))
    tmp = tempfile.TemporaryDirectory()
    synth = os.path.join(tmp.name, "all-properties.pcap")
    write_all_properties(synth)
    caps = captures(root) + [("synthetic/all-properties.pcap", synth, [], [])]
    print("1..%d" % (len(caps) + 1))
    tm = tt = ta = 0
    failed = 0
    used = set()
    names = set()
    for n, (name, path, margs, targs) in enumerate(caps, 1):
        names.add(name)
        try:
            m, t, diffs = compare(path, binary, margs, targs)
        except (RuntimeError, ValueError, subprocess.CalledProcessError) as e:
            failed = 1
            print("not ok %d - %s: %s" % (n, name, e))
            continue
        bad = [d for d in diffs if not allowed(allow, name, d, used)]
        tm, tt, ta = tm + m, tt + t, ta + len(diffs) - len(bad)
        if bad:
            failed = 1
            print("not ok %d - %s: %d / %d values match, %d differences not allowed"
                  % (n, name, m, t, len(bad)))
            for d in bad[:15]:
                print("#   frame %(frame)d #%(index)d %(field)s: tshark %(tshark)r, "
                      "mqttdump %(mqttdump)r (%(why)s)" % d)
        else:
            print("ok %d - %s: %d / %d values match (%d allowed)" % (n, name, m, t,
                                                                     len(diffs)))
    # an entry that allows nothing is stale (a capture absent here, e.g. ../shared, is
    # not judged)
    stale = [a for n, a in enumerate(allow) if n not in used and a[0] in names]
    if stale:
        failed = 1
        print("not ok %d - allow-list entries that match no difference:" % (len(caps) + 1))
        for a in stale:
            print("#   %s" % "\t".join(a))
    else:
        print("ok %d - every allow-list entry is used" % (len(caps) + 1))
    print("# values matching / total: %d / %d (%.2f%%); the %d others are allowed "
          "(captures/tshark-allow-json.txt): %d / %d (%.2f%%) without them"
          % (tm, tt, 100.0 * tm / max(tt, 1), ta, tm, tt - ta,
             100.0 * tm / max(tt - ta, 1)))
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv))
