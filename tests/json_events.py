#!/usr/bin/env python3
"""--json's session records and --stats-interval, over the bundled captures.

usage: json_events.py MQTTDUMP SOURCE_ROOT      (TAP output)

Judged by documents mqttdump did not write the same way, and by tshark 4.0:
  - every anomaly and security note of the --timeline document is in the --json stream, and
    only those: same connection, kind, rule, packet id, and frame (`at_frame`); so are its
    transactions (kind, status, request and answer frames, packet id), its opening (accepted
    or refused with the CONNACK's code, or unanswered) and its end (how, duration, counts);
  - the frames: tshark's MQTT messages (frame number, mqtt.msgtype) hold, at each `at_frame`
    of an anomaly about a packet, a packet of that type; at each transaction's request and
    answer frames, the request's and the answer's types; at a session's connect and connack
    frames, a CONNECT and a CONNACK;
  - the order: each record of the tracker comes next to the record of the packet (or end)
    that made it known: the nearest message or event record before or after it has its
    `frame`, and tracker records never go back in frame;
  - every record of a connection has `epoch` (the `ts` as seconds), `flow_id` (one per
    connection), `community_id` (the Community ID v1 of its endpoints, computed here from
    the specification) and, from its CONNECT's record on, `client` (that CONNECT's client
    id);
  - --stats-interval S: the messages of each type per interval are tshark's, counted by
    frame.time_relative // S (-T fields -e frame.time_relative -e mqtt.msgtype), and the
    frames and bytes per interval are tshark's frame.len sums; the text lines say the same
    as the JSON records, and --eve's stats records too.
"""
import collections, glob, json, os, subprocess, sys
from datetime import datetime, timezone
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from communityid import community_id  # noqa: E402

TRACKER = {"session_open", "transaction", "anomaly", "security", "session_end"}
TYPES = ["RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
         "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
         "AUTH"]
ANSWER = {"connect": {2}, "subscribe": {9}, "unsubscribe": {11}, "ping": {13}, "auth": {15, 2},
          "publish": {4, 5, 6, 7}}
REQUEST = {"connect": {1}, "subscribe": {8}, "unsubscribe": {10}, "ping": {12}, "auth": {15},
           "publish": {3}}


def run(binp, pcap, *extra):
    pcap = os.path.abspath(pcap)
    args = [os.path.abspath(binp), "-r", pcap] + list(extra)
    argf = pcap.rsplit(".", 1)[0] + ".args"
    if os.path.exists(argf):
        args += open(argf).read().split()
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=os.path.dirname(pcap), env=dict(os.environ, TZ="UTC"))
    if out.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), out.returncode,
                                                 out.stderr.decode(errors="replace")))
    return out.stdout.decode()


def tshark_types(pcap):
    """{frame: set of mqtt.msgtype} for a capture tshark decodes as mqttdump (no .args)."""
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-o", "tcp.reassemble_out_of_order:TRUE",
                          "-Y", "mqtt", "-T", "fields", "-e",
                          "frame.number", "-e", "mqtt.msgtype", "-E", "occurrence=a", "-E",
                          "aggregator=,"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         check=True).stdout.decode()
    got = {}
    for line in out.splitlines():
        f, _, t = line.partition("\t")
        got[int(f)] = {int(x) for x in t.split(",") if x}
    return got


def timeline_facts(doc):
    an, tx, opens, ends = [], [], [], []
    for s in doc["sessions"]:
        st = s["stream"]
        for e in s["events"]:
            if e["type"] in ("anomaly", "security"):
                an.append((st, e["type"], e["kind"], e.get("rule"), e.get("msgid"), e["frame"],
                           e.get("packet")))
        for t in s["transactions"]:
            tx.append((st, t["kind"], t["status"], t["request_frame"], t.get("answer_frame"),
                       t.get("msgid")))
        if "clientid" in s:
            c = s.get("connack")
            status = "unanswered" if not c else "accepted" if c["accepted"] else "refused"
            # (the client id is checked in every record, against the CONNECT's: the
            # timeline gives "" for a CONNECT cut before it)
            opens.append((st, status, c.get("code") if c else None))
        ends.append((st, s["ended"], round(s["duration"], 6), s["messages"]["client"],
                     s["messages"]["broker"], s["bytes"]["client"], s["bytes"]["broker"]))
    return an, tx, opens, ends


def json_facts(recs):
    an, tx, opens, ends = [], [], [], []
    for r in recs:
        e, st = r.get("event"), r.get("stream")
        if e in ("anomaly", "security"):
            an.append((st, e, r["kind"], r.get("rule"), r.get("msgid"), r["at_frame"],
                       r.get("packet")))
        elif e == "transaction":
            tx.append((st, r["kind"], r["status"], r["request_frame"], r.get("answer_frame"),
                       r.get("msgid")))
        elif e == "session_open":
            opens.append((st, r["status"], r.get("code")))
        elif e == "session_end":
            ends.append((st, r["ended"], round(r["duration"], 6), r["messages"]["client"],
                         r["messages"]["broker"], r["bytes"]["client"], r["bytes"]["broker"]))
    return an, tx, opens, ends


def diff(a, b):
    ca, cb = collections.Counter(a), collections.Counter(b)
    return ["timeline only: %s" % (k,) for k in ca - cb] + ["json only: %s" % (k,) for k in cb - ca]


def order_problems(recs):
    bad, last = [], 0
    for i, r in enumerate(recs):
        if r.get("event") not in TRACKER:
            continue
        if r["frame"] < last:
            bad.append("record %d (%s) goes back to frame %d after %d" % (i, r["event"],
                                                                         r["frame"], last))
        last = r["frame"]
        near = []
        for step in (-1, 1):
            k = i + step
            while 0 <= k < len(recs) and recs[k].get("event") in TRACKER:
                k += step
            if 0 <= k < len(recs):
                near.append(recs[k]["frame"])
        if r["frame"] not in near:
            bad.append("record %d (%s) at frame %d, its neighbours at %s" % (
                i, r["event"], r["frame"], near))
    return bad


def key_problems(recs):
    bad, flow_ids, client = [], {}, {}
    for i, r in enumerate(recs):
        if "stream" not in r:
            continue
        st = r["stream"]
        ts = datetime.strptime(r["ts"][:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
        want = ts.replace(tzinfo=timezone.utc).timestamp()
        if abs(r["epoch"] - want) > 2e-6:
            bad.append("record %d: epoch %s, ts %s" % (i, r["epoch"], r["ts"]))
        if flow_ids.setdefault(st, r["flow_id"]) != r["flow_id"]:
            bad.append("record %d: flow_id %s, stream %d had %s" % (i, r["flow_id"], st,
                                                                    flow_ids[st]))
        cid = community_id(r["src"], r["sport"], r["dst"], r["dport"])
        if r.get("community_id") != cid:
            bad.append("record %d: community_id %s, the specification's %s" % (
                i, r.get("community_id"), cid))
        if r.get("type_id") == 1 and "clientid" in r and st not in client:
            client[st] = r["clientid"]
        if r.get("client") != client.get(st):
            bad.append("record %d (stream %d): client %r, its CONNECT's %r" % (
                i, st, r.get("client"), client.get(st)))
    if len(set(flow_ids.values())) != len(flow_ids):
        bad.append("two connections share a flow_id")
    return bad


def frame_problems(recs, types):
    """Connections tshark reads as MQTT: on port 1883 (WebSocket's ports are not MQTT to
    it), and without damage (tshark does not find packet boundaries again after bytes
    that are not MQTT framing, or after a hole)."""
    bad, checked = [], []
    damaged = {r["stream"] for r in recs if r.get("event") in ("gap", "skipped", "oversize",
                                                             "memory")}
    recs = [r for r in recs if "stream" in r and r["stream"] not in damaged and
            1883 in (r["sport"], r["dport"])]

    def has(frame, want, what):
        checked.append(frame)
        if not types.get(frame, set()) & want:
            bad.append("%s: frame %s holds %s for tshark, not %s" % (
                what, frame, sorted(types.get(frame, ())), sorted(want)))
    for r in recs:
        e = r.get("event")
        if e in ("anomaly", "security") and "packet" in r:
            has(r["at_frame"], {TYPES.index(r["packet"])}, "%s %s" % (e, r["kind"]))
        elif e == "transaction":
            has(r["request_frame"], REQUEST[r["kind"]], "%s request" % r["kind"])
            if "answer_frame" in r:
                has(r["answer_frame"], ANSWER[r["kind"]], "%s answer" % r["kind"])
        elif e == "session_open":
            has(r["connect_frame"], {1}, "session_open connect")
            if "connack_frame" in r:
                has(r["connack_frame"], {2}, "session_open connack")
    return bad, len(checked)


def interval_problems(binp, pcap, step):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-T", "fields", "-e",
                          "frame.time_relative", "-e", "frame.len", "-e", "mqtt.msgtype", "-E",
                          "occurrence=a", "-E", "aggregator=,"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout.decode()
    want = collections.defaultdict(lambda: [0, 0, collections.Counter()])
    for line in out.splitlines():
        t, n, m = line.split("\t")
        k = int(float(t) // step)
        want[k][0] += 1
        want[k][1] += int(n)
        for x in m.split(","):
            if x:
                want[k][2][TYPES[int(x)]] += 1
    recs = [json.loads(l) for l in run(binp, pcap, "--json", "--stats-interval",
                                       str(step)).splitlines()]
    got = {}
    for r in recs:
        if r.get("event") == "stats":
            k = round(r["interval_start"] / step)
            got[k] = [r["frames"], r["bytes"], collections.Counter(r["types"])]
            if r["messages"] != sum(r["types"].values()):
                return ["interval %d: messages %d, types %s" % (k, r["messages"], r["types"])]
    bad = ["interval %d: mqttdump %s, tshark %s" % (k, got.get(k), want.get(k))
           for k in sorted(set(want) | set(got))
           if got.get(k, [0, 0, collections.Counter()]) != want.get(k, [0, 0, collections.Counter()])]
    # every interval from the first to the last, empty ones too, in order
    ks = [round(r["interval_start"] / step) for r in recs if r.get("event") == "stats"]
    if ks != list(range(len(ks))):
        bad.append("intervals %s" % ks)
    text = [l for l in run(binp, pcap, "-q", "--stats-interval", str(step)).splitlines()
            if l.startswith("Interval ")]
    for line, k in zip(text, ks):
        f, b, m = got[k]
        n = sum(m.values())
        if ("%d frame%s, %d byte%s, %d message%s" % (f, "s"[f == 1:], b, "s"[b == 1:], n,
                                                     "s"[n == 1:])) not in line:
            bad.append("text %r, JSON %s" % (line, got[k]))
    if len(text) != len(ks):
        bad.append("%d text lines, %d JSON records" % (len(text), len(ks)))
    eve = [json.loads(l) for l in run(binp, pcap, "--eve", "--stats-interval",
                                      str(step)).splitlines()]
    eve = [r["stats"] for r in eve if r.get("event_type") == "stats"]
    for s, k in zip(eve, ks):
        if [s["decoder"]["pkts"], s["decoder"]["bytes"], collections.Counter(s["mqtt"]["types"])] \
                != got[k]:
            bad.append("eve %s, JSON %s" % (s, got[k]))
    if len(eve) != len(ks):
        bad.append("%d eve stats records, %d JSON records" % (len(eve), len(ks)))
    return bad


def main():
    binp, root = sys.argv[1], sys.argv[2]
    caps = sorted(glob.glob(os.path.join(root, "captures", "*.pcap")) +
                  glob.glob(os.path.join(root, "captures", "*.pcapng")))
    tests = []
    totals = collections.Counter()
    for pcap in caps:
        name = os.path.basename(pcap)
        plain = not os.path.exists(pcap.rsplit(".", 1)[0] + ".args")
        try:
            recs = [json.loads(l) for l in run(binp, pcap, "--json").splitlines()]
            doc = json.loads(run(binp, pcap, "-q", "--timeline", "-"))
        except (RuntimeError, ValueError) as e:
            tests.append((False, name, [str(e)]))
            continue
        t, j = timeline_facts(doc), json_facts(recs)
        bad = []
        for what, a, b in zip(("anomaly", "transaction", "opening", "end"), t, j):
            bad += ["%s %s" % (what, d) for d in diff(a, b)]
            totals[what] += len(a)
        bad += order_problems(recs) + key_problems(recs)
        nframes = 0
        if plain:
            fb, nframes = frame_problems(recs, tshark_types(pcap))
            bad += fb
            totals["tshark frames"] += nframes
        tests.append((not bad, "%s: %d anomalies/notes, %d transactions, %d sessions as the "
                      "timeline; order, keys; %d frames as tshark's" % (name, len(t[0]), len(t[1]),
                                                                       len(t[3]), nframes), bad))
    # every key of the new records is named in docs/json.md
    doc = open(os.path.join(root, "docs", "json.md"), encoding="utf-8").read()
    keys = set()
    for pcap in (os.path.join(root, "captures", c) for c in ("long-mixed.pcap", "will.pcap",
                                                            "refused-logins.pcap")):
        for l in run(binp, pcap, "--json", "--stats-interval", "1").splitlines():
            r = json.loads(l)
            if r.get("event") in TRACKER | {"stats"}:
                keys |= set(r)
                keys |= {k for n, v in r.items() if isinstance(v, dict) and n != "types"
                         for k in v}  # (types: by packet type name)
    missing = sorted(k for k in keys if "`%s`" % k not in doc)
    tests.append((keys and not missing, "docs/json.md names the %d keys of the session and "
                  "stats records" % len(keys), ["not documented: %s" % missing] if missing else []))
    # the whole run has each kind of record (the test can fail: a kind never written)
    tests.append((all(totals[k] for k in ("anomaly", "transaction", "opening", "end",
                                              "tshark frames")),
                  "every kind seen: %s" % dict(totals), []))
    for cap, step in (("long-mixed.pcap", 0.5), ("long-mixed.pcap", 1), ("sub-pub-ping.pcap", 2),
                      ("anomaly-keepalive.pcap", 1), ("clients-200.pcap", 0.25)):
        pcap = os.path.join(root, "captures", cap)
        bad = interval_problems(binp, pcap, step)
        tests.append((not bad, "--stats-interval %s on %s: tshark's frames, bytes and "
                      "messages by type per interval; text and EVE say the same" % (step, cap),
                      bad))
    print("1..%d" % len(tests))
    for i, (ok, text, bad) in enumerate(tests, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, text))
        for b in bad[:20]:
            print("# " + b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
