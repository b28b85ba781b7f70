#!/usr/bin/env python3
"""mqttdump --eve over the bundled captures, judged by oracles it did not write.

usage: eve_check.py MQTTDUMP SOURCE_ROOT      (TAP output)

  - every record of every capture in captures/ is one JSON object per line, with the
    envelope's keys and types (Suricata's timestamp format, integer flow_id and ports,
    proto "TCP"), and no raw control byte;
  - community_id is the Community ID v1 of the record's endpoints, computed here from the
    specification (hashlib SHA-1 over seed, addresses, protocol, pad, ports; base64);
  - each flow record's packets and bytes per direction are tshark's for that connection
    (tshark 4.0: frame.len per segment of the TCP stream with the same endpoints);
  - without --show-secrets no password is written; with it, every CONNECT password is
    tshark's mqtt.passwd;
  - the refused logins and publish topics of the recipes match tshark's CONNACK codes and
    PUBLISH topics;
  - the recipes of docs/monitoring.md (every line starting with "$ ") print the lines that
    follow them there.
"""
import collections, glob, ipaddress, json, os, re, shutil, subprocess, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from communityid import community_id  # noqa: E402

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$")


def eve(binp, pcap, extra=()):
    pcap = os.path.abspath(pcap)
    args = [os.path.abspath(binp), "-r", pcap, "--eve"] + list(extra)
    argf = pcap[:-len(".pcap")] + ".args"
    if os.path.exists(argf):
        args += open(argf).read().split()
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=os.path.dirname(pcap))
    if out.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(args), out.returncode,
                                                out.stderr.decode()[-2000:]))
    return out.stdout


def tshark(pcap, filt, *fields, extra=()):
    args = ["tshark", "-r", pcap, "-Y", filt, "-T", "fields", "-E", "separator=\t", "-E",
            "aggregator=\x1f"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args + list(extra), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # one row per value: a frame with several messages gives each its own
    rows = []
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        cols = [c.split("\x1f") for c in line.split("\t")]
        for i in range(max(len(c) for c in cols)):
            rows.append([c[i] if i < len(c) else "" for c in cols])
    return rows


def check_records(raw):
    """Problems with the records of one run, and the records."""
    bad, recs = [], []
    if re.search(rb"[\x00-\x09\x0b-\x1f\x7f]", raw):
        bad.append("a raw control byte in the output")
    for line in raw.decode("utf-8").splitlines():
        r = json.loads(line)
        recs.append(r)
        for k, t in (("timestamp", str), ("flow_id", int), ("event_type", str), ("src_ip", str),
                     ("src_port", int), ("dest_ip", str), ("dest_port", int), ("proto", str),
                     ("community_id", str)):
            if not isinstance(r.get(k), t):
                bad.append("%s: %r" % (k, r.get(k)))
        if not TS.match(str(r.get("timestamp"))) or r.get("proto") != "TCP":
            bad.append("envelope: %s" % line[:200])
        if r.get("event_type") not in ("mqtt", "anomaly", "flow"):
            bad.append("event_type %r" % r.get("event_type"))
        if r.get("community_id") != community_id(r["src_ip"], r["src_port"], r["dest_ip"],
                                                 r["dest_port"]):
            bad.append("community_id %s of %s" % (r.get("community_id"), line[:160]))
    return bad, recs


def tshark_flows(pcap):
    """(client ip, port, broker ip, port) -> [pkts a->b, pkts b->a, bytes a->b, bytes b->a]
    keyed both ways, per tshark's tcp.stream."""
    rows = tshark(pcap, "tcp", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "ip.dst",
                  "ipv6.dst", "tcp.dstport", "frame.len")
    streams = collections.defaultdict(list)
    for s, i4s, i6s, sp, i4d, i6d, dp, ln in rows:
        streams[s].append(((i4s or i6s), int(sp), (i4d or i6d), int(dp), int(ln)))
    out = {}
    for pk in streams.values():
        for src, sp, dst, dp, _ in pk[:1]:
            c = [0, 0, 0, 0]
            for s2, sp2, _, _, ln in pk:
                d = 0 if (s2, sp2) == (src, sp) else 1
                c[d] += 1
                c[2 + d] += ln
            key = (str(ipaddress.ip_address(src)), sp, str(ipaddress.ip_address(dst)), dp)
            out.setdefault(key, c)
            out.setdefault((key[2], key[3], key[0], key[1]), [c[1], c[0], c[3], c[2]])
    return out


def flow_problems(pcap, recs):
    bad, ts = [], None
    flows = [r for r in recs if r["event_type"] == "flow"]
    if flows:
        ts = tshark_flows(pcap)
    for r in flows:
        key = (r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"])
        f = r["flow"]
        got = [f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"], f["bytes_toclient"]]
        if ts.get(key) != got:
            bad.append("flow %s: %s, tshark %s" % (key, got, ts.get(key)))
    return bad


def tshark_messages(pcap):
    """(type, packet id or None) of every MQTT message tshark decodes (-T json: a frame
    with several messages has a list of them)."""
    out = subprocess.run(["tshark", "-r", pcap, "-Y", "mqtt", "-T", "json", "-J", "mqtt",
                          "--no-duplicate-keys"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    msgs = collections.Counter()
    for frame in json.loads(out or b"[]"):
        layer = frame["_source"]["layers"]["mqtt"]
        for m in layer if isinstance(layer, list) else [layer]:
            t = int(m["mqtt.hdrflags_tree"]["mqtt.msgtype"])
            i = m.get("mqtt.msgid")
            msgs[(t, int(i) if i is not None else None)] += 1
    return msgs


def recipes(binp, root):
    """(command, expected lines, actual lines) for every "$ " line of docs/monitoring.md."""
    text = open(os.path.join(root, "docs", "monitoring.md"), encoding="utf-8").read()
    out = []
    env = dict(os.environ, PATH=os.path.dirname(os.path.abspath(binp)) + os.pathsep +
               os.environ.get("PATH", ""))
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            if not line.startswith("$ "):
                continue
            want = []
            for l in lines[i + 1:]:
                if l.startswith("$ "):
                    break
                want.append(l)
            got = subprocess.run(line[2:], shell=True, cwd=root, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            out.append((line[2:], want, got.stdout.decode("utf-8").splitlines()))
    return out


def main():
    binp, root = sys.argv[1], sys.argv[2]
    caps = sorted(glob.glob(os.path.join(root, "captures", "*.pcap")) +
                  glob.glob(os.path.join(root, "captures", "*.pcapng")))
    have_jq = shutil.which("jq") is not None
    rec_list = recipes(binp, root) if have_jq else []
    tests = []

    for pcap in caps:
        name = os.path.basename(pcap)
        bad, recs = check_records(eve(binp, pcap))
        bad += flow_problems(pcap, recs)
        tests.append((not bad and recs != [], "%s: %d records, envelope, community_id, flow "
                      "counts as tshark's" % (name, len(recs)), bad))
    # secrets: hidden by default, tshark's with --show-secrets
    for name in ("hostile-strings.pcap", "refused-logins.pcap", "userpass.pcap"):
        pcap = os.path.join(root, "captures", name)
        hidden = [json.loads(l) for l in eve(binp, pcap).decode().splitlines()]
        shown = [json.loads(l) for l in eve(binp, pcap, ["--show-secrets"]).decode().splitlines()]
        leaked = [r for r in hidden if "password" in r.get("mqtt", {}).get("connect", {})]
        pw = [r["mqtt"]["connect"]["password"] for r in shown
              if "password" in r.get("mqtt", {}).get("connect", {})]
        want = [x[0] for x in tshark(pcap, "mqtt.msgtype == 1 && mqtt.conflag.passwd == 1",
                                     "mqtt.passwd")]
        ok = not leaked and pw == want and want
        tests.append((ok, "%s: no password without --show-secrets, tshark's %d with it" % (
            name, len(want)), ["leaked %d, shown %s, tshark %s" % (len(leaked), pw, want)]))
    # refused logins: tshark's CONNACKs whose code is not 0
    pcap = os.path.join(root, "captures", "refused-logins.pcap")
    recs = [json.loads(l) for l in eve(binp, pcap).decode().splitlines()]
    mine = sorted(r["mqtt"]["connack"]["return_code"] for r in recs
                  if r["event_type"] == "mqtt" and r["mqtt"].get("connack", {}).get(
                      "return_code", 0))
    theirs = sorted(int(v or w) for v, w in tshark(pcap, "mqtt.msgtype == 2", "mqtt.conack.val",
                                                   "mqtt.connack.reason_code") if int(v or w))
    tests.append((mine == theirs and mine, "refused logins: codes %s, tshark's %s" % (
        mine, theirs), []))
    # publish topics: tshark's PUBLISH topics, as a multiset
    pcap = os.path.join(root, "captures", "long-mixed.pcap")
    recs = [json.loads(l) for l in eve(binp, pcap).decode().splitlines()]
    mine = collections.Counter(r["mqtt"]["publish"]["topic"] for r in recs
                               if "publish" in r.get("mqtt", {}))
    theirs = collections.Counter(t[0] for t in tshark(pcap, "mqtt.msgtype == 3", "mqtt.topic"))
    tests.append((mine == theirs and mine, "long-mixed: %d publish topics as tshark's" % sum(
        mine.values()), ["%s vs %s" % (dict(mine), dict(theirs))]))
    # every packet in exactly one transaction, as tshark's messages (type, packet id), with
    # the default max-tx and with max-tx 1 (the oldest waiting closed early: counted apart)
    keys = ["unassigned", "connect", "connack", "publish", "puback", "pubrec", "pubrel",
            "pubcomp", "subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp",
            "disconnect", "auth"]
    closed = 0
    for name in ("long-mixed.pcap", "mqtt5-aliases.pcap", "mqtt311-all-types.pcap",
                 "mqtt5-all-types.pcap", "clients-200.pcap", "many-per-segment.pcap",
                 "qos2.pcap"):
        pcap = os.path.join(root, "captures", name)
        theirs = tshark_messages(pcap)
        for extra in ([], ["--eve-max-tx", "1"]):
            recs = [json.loads(l) for l in eve(binp, pcap, extra).decode().splitlines()]
            mine = collections.Counter(
                (keys.index(k), v.get("message_id")) for r in recs
                if r["event_type"] == "mqtt" for k, v in r["mqtt"].items())
            many = sum(1 for r in recs if r.get("anomaly", {}).get("event") ==
                       "too_many_transactions")
            ok = mine == theirs and (many == 0 or extra)
            closed += many
            tests.append((ok, "%s %s: the %d packets of tshark in %d transactions, %d closed "
                          "by max-tx" % (name, " ".join(extra), sum(theirs.values()),
                                         sum(1 for r in recs if r["event_type"] == "mqtt"),
                                         many),
                          ["only mqttdump: %s" % dict(mine - theirs),
                           "only tshark: %s" % dict(theirs - mine)]))
    tests.append((closed > 0, "max-tx 1 closed %d transactions early" % closed, []))
    # options: Suricata's sizes, refused values, --json with --eve
    pcap = os.path.join(root, "captures", "large-message.pcap")
    for args, code, text in ((["--eve-max-msg-length", "XXX"], 2, "invalid size argument"),
                             (["--eve-string-log-limit", "5gb"], 2, "invalid size argument"),
                             (["--eve-max-tx", "0"], 2, "--eve-max-tx"),
                             (["--json"], 2, "choose one"),
                             (["--eve-max-msg-length", "1kb"], 0, "")):
        run = subprocess.run([os.path.abspath(binp), "-r", pcap, "--eve"] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = run.stderr.decode()
        ok = run.returncode == code and text in err and (code or b'"truncated":true' in
                                                         run.stdout)
        if code:
            ok = ok and not run.stdout and len(err.strip().splitlines()) == 1
        tests.append((ok, "--eve %s: exit %d%s" % (" ".join(args), code, (
            ", one line: " + text) if text else ", packets over 1kb truncated"),
            ["exit %d, stderr %r" % (run.returncode, err)]))
    for cmd, want, got in rec_list:
        tests.append((want == got and want, "docs/monitoring.md: %s" % cmd[:90],
                      ["want %s" % want, "got  %s" % got]))

    print("1..%d" % (len(tests) + (0 if have_jq else 1)))
    failed = 0
    for i, (ok, what, why) in enumerate(tests, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
        if not ok:
            failed += 1
            for w in why[:10]:
                print("#   %s" % w)
    if not have_jq:
        print("ok %d # SKIP jq is not installed: the recipes of docs/monitoring.md" % (
            len(tests) + 1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
