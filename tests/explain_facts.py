#!/usr/bin/env python3
"""--explain's statements of fact against tshark's reading of the same captures.

usage: explain_facts.py MQTTDUMP SOURCE_ROOT

For each capture below, tshark (the oracle) gives every MQTT message with its connection
(tcp.stream), and this script works out, by the rules of the specification (MQTT 3.1.1 and
5.0 §4.7 topic matching, §3.8.4 the delivered QoS), what the explanation must say:
  - a delivery (PUBLISH from the broker): exactly the subscriptions of that connection
    (SUBSCRIBE filters, granted by their SUBACK, less those UNSUBSCRIBEd) that match its
    topic, with their granted QoS; none and Session Present: the kept session is named;
  - a delivery at a lower QoS than its publication (same topic and payload, published
    earlier): the downgrade, with the three QoS;
  - a CONNECT with a user name: "clear text" / "en clair" on plain TCP; "TLS", and no
    "clear" / "clair", inside TLS;
  - an empty client identifier: said; an MQTT 5.0 Assigned Client Identifier: named;
  - a connection with MQTT that ends without DISCONNECT (and was not refused): the frame
    and who closed it first, with a FIN or a reset, as tshark's TCP flags say.
TAP output.
"""
import json, os, re, subprocess, sys

BIN, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
CAPS = ["sub-pub-ping", "qos1", "qos2", "retained", "request-response", "userpass",
        "refused-logins", "will", "mqtt31", "mqtt311", "mqtt5-props", "mqtt311-all-types",
        "mqtt31-all-types", "mqtt5-all-types", "anomaly-keepalive", "anomaly-qos2-unfinished",
        "qos-downgrade", "session-present", "empty-id", "keepalive0", "tls12", "tls13",
        "tls-login", "port18830", "clients-200", "long-mixed"]
results = []


def ok(cond, name, diag=""):
    results.append((bool(cond), name, diag))


def flat(node, out):
    """Every field of a tshark JSON layer, nested or not: name -> list of values."""
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)) and not (isinstance(v, list) and
                                                   all(isinstance(x, str) for x in v)):
                flat(v, out)
            if isinstance(v, str):
                out.setdefault(k, []).append(v)
            elif isinstance(v, list) and all(isinstance(x, str) for x in v):
                out.setdefault(k, []).extend(v)
    elif isinstance(node, list):
        for x in node:
            flat(x, out)
    return out


def matches(f, t):
    """MQTT §4.7: does topic filter f match topic name t?"""
    if f.startswith("$share/"):
        f = f.split("/", 2)[2] if f.count("/") >= 2 else ""
    if t.startswith("$") and f[:1] in ("+", "#"):
        return False
    fl, tl = f.split("/"), t.split("/")
    for i, lv in enumerate(fl):
        if lv == "#":
            return i == len(fl) - 1
        if i >= len(tl):
            return False
        if lv != "+" and lv != tl[i]:
            return False
    return len(fl) == len(tl)


def tshark(cap, args):
    cmd = ["tshark", "-r", cap, "-T", "json", "--no-duplicate-keys", "-J", "frame tcp tls mqtt"]
    if "--keylog" in args:
        cmd += ["-o", "tls.keylog_file:" + args[args.index("--keylog") + 1]]
    if "--detect" in args:
        cmd += ["-d", "tcp.port==18830,mqtt"]
    p = subprocess.run(cmd, cwd=os.path.join(ROOT, "captures"), capture_output=True)
    return json.loads(p.stdout.decode("utf-8", "replace") or "[]")


def explain(cap, args, lang):
    """frame number -> the paragraphs --explain wrote after it."""
    p = subprocess.run([BIN, "-r", cap, "--explain", "--lang", lang] + args,
                       cwd=os.path.join(ROOT, "captures"), capture_output=True)
    out, frame = {}, None
    for ln in p.stdout.decode("utf-8", "replace").splitlines():
        m = re.match(r"^\s*(\d+)\s+\d+\.\d+\s", ln)
        if m:
            frame = int(m.group(1))
        elif ln.startswith("      ") and frame is not None:
            out.setdefault(frame, []).append(ln.strip())
    return out


def check(name):
    cap = name + ".pcap"
    af = os.path.join(ROOT, "captures", name + ".args")
    args = open(af).read().split() if os.path.exists(af) else []
    frames = tshark(cap, args)
    en, fr = explain(cap, args, "en"), explain(cap, args, "fr")
    allen = " ".join(p for ps in en.values() for p in ps)
    streams = {}   # stream -> state
    bad = []
    for fr_ in frames:
        L = fr_["_source"]["layers"]
        num = int(L["frame"]["frame.number"])
        tcp = flat(L.get("tcp", {}), {})
        st = tcp.get("tcp.stream", [None])[0]
        S = streams.setdefault(st, {"subs": [], "pending": {}, "sp": False, "mqtt": False,
                                    "bye": False, "closer": None, "tls": False,
                                    "broker_port": None, "pubs": [], "frames": set()})
        S["frames"].add(num)
        if "tls" in L:
            S["tls"] = True
        flags = int(tcp.get("tcp.flags", ["0"])[0], 16)
        sport = tcp.get("tcp.srcport", [""])[0]
        if flags & 0x05 and S["closer"] is None and S["mqtt"]:
            S["closer"] = (num, sport, "RST" if flags & 0x04 else "FIN")
        ms = L.get("mqtt")
        if ms is None:
            continue
        ms = ms if isinstance(ms, list) else [ms]
        paras = en.get(num, [])
        text = " ".join(paras)
        for mq in ms:
            F = flat(mq, {})
            if "mqtt.hdrflags" not in F:
                continue
            t = int(F["mqtt.hdrflags"][0], 16) >> 4
            S["mqtt"] = True
            if t == 1:
                S["broker_port"] = tcp.get("tcp.dstport", [""])[0]
            up = sport != S["broker_port"]
            one = len(ms) == 1
            if t == 1 and one:
                if F.get("mqtt.username"):
                    frt = " ".join(fr.get(num, []))
                    if S["tls"]:
                        if "clear" in text or "en clair" in frt or "TLS" not in text \
                           or "TLS" not in frt:
                            bad.append("%d: CONNECT in TLS: %r" % (num, text[:300]))
                    elif "clear text" not in text or "en clair" not in frt:
                        bad.append("%d: CONNECT in clear: %r" % (num, text[:300]))
                empty = F.get("mqtt.clientid_len", ["1"])[0] == "0"
                S["empty"] = empty
                if empty != ("The client identifier is empty" in text):
                    bad.append("%d: empty client id %s: %r" % (num, empty, text[:300]))
            elif t == 2:
                if F.get("mqtt.conack.val", F.get("mqtt.connack.reason_code", ["0"]))[0] != "0":
                    S["bye"] = True
                if F.get("mqtt.conack.flags.sp", ["0"])[0] in ("1", "True"):
                    S["sp"] = True
                ids = [int(x, 16) if x.startswith("0x") else int(x)
                       for x in F.get("mqtt.property_id", [])]
                # 5.0 §3.2.2.3.7: sent for a client that gave no identifier only
                if one and 0x12 in ids and S.get("empty"):
                    want = "the broker assigns it %s " % F["mqtt.prop_string"][0]
                    if want not in text:
                        bad.append("%d: assigned id: %r" % (num, text[:300]))
            elif t == 8:
                asked = F.get("mqtt.sub.qos", F.get("mqtt.subscription_options_qos", []))
                S["pending"][F["mqtt.msgid"][0]] = list(zip(F.get("mqtt.topic", []),
                                                        map(int, asked)))
            elif t == 9:
                filt = S["pending"].pop(F["mqtt.msgid"][0], [])
                for (f, _), g in zip(filt, F.get("mqtt.suback.qos", F.get("mqtt.suback.reason_code", []))):
                    S["subs"] = [s for s in S["subs"] if s[0] != f] + [(f, int(g))]
            elif t == 10:
                for f in F.get("mqtt.topic", []):
                    S["subs"] = [s for s in S["subs"] if s[0] != f]
            elif t == 14:
                S["bye"] = True
            elif t == 3:
                topic = F.get("mqtt.topic", [""])[0]
                qos = (int(F["mqtt.hdrflags"][0], 16) >> 1) & 3
                payload = F.get("mqtt.msg", [""])[0]
                if up:
                    S["pubs"].append((topic, payload, qos))
                    streams.setdefault("pubs", []).append((topic, payload, qos))
                    continue
                if not one or not topic or qos > 2:
                    continue
                want = sorted("%s (QoS %d granted)" % (f, g) for f, g in S["subs"]
                              if g <= 2 and matches(f, topic))
                m = re.search(r"because of its subscription to (.*?)\.(?: |$)", text)
                got = sorted(m.group(1).split(", ")) if m else []
                if want != got:
                    bad.append("%d: delivery on %s: want %s, said %s" % (num, topic, want, got))
                # 3.8.4: a broker may deliver before its SUBACK
                wait = sorted("%s at QoS %d" % (f, q) for fs in S["pending"].values()
                              for f, q in fs if matches(f, topic))
                m = re.search(r"subscription to (.*?), not acknowledged yet", text)
                gotw = sorted(m.group(1).split(", ")) if m else []
                if (wait if not want else []) != gotw:
                    bad.append("%d: pending: want %s, said %s" % (num, wait, gotw))
                sess = "the subscription comes from the session the broker kept" in text
                if sess != (not want and not wait and S["sp"]):
                    bad.append("%d: kept session said=%s" % (num, sess))
                maybe = "may as well come from that session" in text
                if maybe != (not want and bool(wait) and S["sp"]):
                    bad.append("%d: session or pending said=%s" % (num, maybe))
                orig = [p for p in streams.get("pubs", []) if p[0] == topic and p[1] == payload]
                mx = max([g for f, g in S["subs"] if g <= 2 and matches(f, topic)], default=-1)
                down = orig and orig[-1][2] > qos and qos == mx
                dm = re.search(r"published it at QoS (\d), but \S+ was granted at most QoS (\d): "
                               r"the broker delivers it at the lower of the two, QoS (\d)\.", text)
                if bool(down) != bool(dm) or (dm and (int(dm.group(1)), int(dm.group(2)),
                                                      int(dm.group(3))) != (orig[-1][2], mx, qos)):
                    bad.append("%d: downgrade: want %s, said %r" % (num, down, text[:300]))
    for st, S in streams.items():
        if st == "pubs" or not S["mqtt"] or S["bye"] or S["closer"] is None:
            continue
        num, sport, how = S["closer"]
        who = "client" if sport != S["broker_port"] else "broker"
        word = "a TCP reset (RST)" if how == "RST" else "a TCP FIN"
        rx = (r"Frame (\d+): the client \S+ closes the connection with " if who == "client"
              else r"Frame (\d+): the broker closes the connection of \S+ with ") + re.escape(word)
        hit = [int(n) for n in re.findall(rx, allen) if int(n) in S["frames"]]
        if not hit:
            bad.append("stream %s: close by the %s (%s, frame %d) not said" % (st, who, how, num))
    ok(not bad, "%s: %d frames, the explanations agree with tshark" % (name, len(frames)),
       "\n".join(bad[:6]))
    return allen


said = {}
for c in CAPS:
    said[c] = check(c)
# the lessons of the new captures are there at all (each check above could pass vacuously)
ok("published it at QoS 2, but sub-max1 was granted at most QoS 1" in said["qos-downgrade"],
   "qos-downgrade: the downgrade is explained")
ok("the subscription comes from the session the broker kept" in said["session-present"]
   or "may as well come from that session" in said["session-present"],
   "session-present: a delivery from the kept session")
ok("(Assigned Client Identifier), the name it goes by" in said["empty-id"],
   "empty-id: the assigned client identifier")
ok("travel inside TLS" in said["tls-login"], "tls-login: credentials inside TLS")
ok(re.search(r"Frame \d+: the client doomed closes the connection with a TCP FIN", said["will"]),
   "will: the client's close without Disconnect")
ok(re.search(r"and sent nothing for [\d.]+ s: past one and a half times", said["anomaly-keepalive"]),
   "anomaly-keepalive: the broker's keep-alive close")

print("TAP version 13")
print("1..%d" % len(results))
for i, (good, name, diag) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if good else "not ok", i, name))
    if not good and diag:
        for d in diag.splitlines():
            print("#   " + d)
sys.exit(0 if all(g for g, _, _ in results) else 1)
