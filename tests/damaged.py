#!/usr/bin/env python3
"""Damaged captures: mqttdump's complete messages must be exactly the manifest's survivors.

usage: damaged.py MQTTDUMP SOURCE_ROOT      (TAP output)

For each captures/damaged/NAME.manifest.json (written by captures/tools/damage.py from a
clean capture), run mqttdump --json on NAME.pcap and check:
  - its complete messages (neither incomplete nor truncated) are, as a multiset, exactly
    the messages the manifest says survive (connection, direction, type, packet id, topic,
    remaining length): none lost, none invented;
  - the damage is reported: a capture that lost or cut bytes has gap events, one that only
    reordered or repeated segments has none.
"""
import collections, glob, json, os, socket, subprocess, sys


def hexaddr(a):
    return socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a).hex()


def decode(binp, pcap, ports):
    args = [binp, "-r", pcap, "--json"]
    for p in ports:
        args += ["-p", str(p)]
    out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    msgs, events, cut = [], collections.Counter(), 0
    for line in out.stdout.decode().splitlines():
        o = json.loads(line)
        if "type_id" not in o:
            events[o["event"]] += 1
            continue
        if o.get("incomplete") or o.get("truncated"):
            cut += 1
            continue
        cli = (o["src"], o["sport"]) if o["from"] == "client" else (o["dst"], o["dport"])
        t = o["type_id"]
        msgs.append({"client": "%s:%d" % (hexaddr(cli[0]), cli[1]), "dir": o["from"],
                     "type_id": t,
                     "msgid": o.get("msgid") if t in (3, 4, 5, 6, 7, 8, 9, 10, 11) else None,
                     "topic": o.get("topic") if t == 3 else None, "length": o["length"]})
    return msgs, events, cut


def main():
    binp, root = sys.argv[1], sys.argv[2]
    mans = sorted(glob.glob(os.path.join(root, "captures", "damaged", "*.manifest.json")))
    print("1..%d" % (2 * len(mans)))
    fail, i = 0, 0
    key = lambda m: json.dumps(m, sort_keys=True)
    for man in mans:
        m = json.load(open(man))
        name = os.path.basename(man)[:-len(".manifest.json")]
        msgs, events, cut = decode(binp, man[:-len(".manifest.json")] + ".pcap", m["ports"])
        want = collections.Counter(map(key, m["surviving"]))
        got = collections.Counter(map(key, msgs))
        i += 1
        if want == got:
            print("ok %d - %s: the %d surviving messages, none invented" % (i, name, len(msgs)))
        else:
            fail = 1
            print("not ok %d - %s: %d missing, %d invented" % (
                i, name, sum((want - got).values()), sum((got - want).values())))
            for k in list(want - got)[:5]:
                print("#   missing  %s" % k)
            for k in list(got - want)[:5]:
                print("#   invented %s" % k)
        i += 1
        lossy = any("drop" in op or "start" in op or "snaplen" in op for op in m["ops"])
        if "start" in str(m["ops"]) and not any("drop" in op or "snaplen" in op for op in m["ops"]):
            ok = True  # a late start loses bytes before the capture: nothing to report
        elif lossy:
            ok = events["gap"] > 0
        else:
            ok = events["gap"] == 0 and cut == 0
        if ok:
            print("ok %d - %s: damage reported (%d gaps, %d skips, %d cut messages)" % (
                i, name, events["gap"], events["skipped"], cut))
        else:
            fail = 1
            print("not ok %d - %s: damage not reported as it should be (%d gaps, %d cut, "
                  "%d touched)" % (i, name, events["gap"], cut, m["touched_messages"]))
    return fail


if __name__ == "__main__":
    sys.exit(main())
