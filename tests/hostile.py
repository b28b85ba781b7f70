#!/usr/bin/env python3
"""Hostile strings: nothing a topic or a name carries reaches any output raw.

usage: hostile.py MQTTDUMP SOURCE_ROOT      (TAP output)

Runs captures/hostile-strings.pcap (captures/tools/synth.py: topics, filters, client ids,
user names, properties, a TLS SNI and a WebSocket request line with ESC [2J, ESC ]0; BEL,
CR LF and a forged summary line, NUL, DEL, C1, bidirectional controls, invalid UTF-8,
markup) through every output and checks:
  - text outputs (summary, -V, -x, --explain en/fr, --diagram, --stats): valid UTF-8, no
    byte below 0x20 but the line feed, no DEL, no C1 control, no bidirectional control,
    no line or paragraph separator; the hostile strings are shown (escaped, not dropped);
    no forged line: every line shaped like a summary line names a frame of the capture,
    its time and its addresses, and the summary has no other line;
  - JSON outputs (--json, --timeline, --stats=json): every document parses, the same raw
    byte rules hold (JSON escapes them as \\uXXXX), and the strings come back exactly
    (bytes that are not UTF-8 as U+FFFD, as docs/json.md says);
  - SVG and HTML diagrams: well-formed (tests/wellformed.py), the same raw byte rules, and
    no markup from a topic: '<script>alert' only as &lt;script&gt;alert.
"""
import json, os, re, struct, subprocess, sys, tempfile

HIDDEN = set(range(0x80, 0xa0)) | {0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0xfffe, 0xffff}
HIDDEN |= set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a))
SUMMARY = re.compile(r"^ *(\d+) +(-?\d+\.\d+) +(\S+) \u2192 (\S+) +(\S+) ")


def frames(pcap):
    """Frame number -> relative time as the summary prints it (6 digits)."""
    with open(pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    out, off, n, t0 = {}, 24, 0, None
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        n += 1
        t = sec + frac / div
        t0 = t if t0 is None else t0
        out[n] = "%.6f" % (t - t0)
        off += 16 + incl
    return out


def raw_problems(b, allow=b"\n"):
    """What in the bytes b would reach a terminal raw, or [] when none."""
    bad = sorted({"0x%02x" % c for c in b if (c < 0x20 and c not in allow) or c == 0x7f})
    try:
        s = b.decode("utf-8")
    except UnicodeDecodeError as e:
        return bad + ["invalid UTF-8 at byte %d" % e.start]
    bad += sorted({"U+%04X" % ord(c) for c in s if ord(c) in HIDDEN})
    return bad


def forged(text, fr, addrs, only_summary):
    """Lines shaped like summary lines that name no frame of the capture (or, for the
    summary, any line that is not a summary line)."""
    bad = []
    for line in text.splitlines():
        if re.match(r"^\s*99\s+9\.999999", line):
            bad.append(line)
            continue
        m = SUMMARY.match(line)
        if not m:
            if only_summary:
                bad.append(line)
            continue
        n, t, src, dst = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        if fr.get(n) != t or src not in addrs or dst not in addrs:
            bad.append(line)
    return bad


def run(binp, pcap, args, outfile=None):
    p = subprocess.run([binp, "-r", pcap] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace")))
    if outfile:
        with open(outfile, "rb") as f:
            return f.read()
    return p.stdout


def strings_back(docs, synth):
    """The hostile strings the JSON documents hold, compared with what was sent."""
    want = lambda b: b.decode("utf-8", errors="replace")
    topics = [want(t) for t in synth.hostile_topics()]
    problems = []
    seen = {"filters": 0, "clientid": 0, "username": 0, "topic": 0}
    for o in docs:
        if o.get("type") == "SUBSCRIBE" and o.get("from") == "client":
            got = [s["filter"] for s in o["subscriptions"]]
            if got != topics:
                problems.append("filters %r" % got)
            seen["filters"] += 1
        if o.get("type") == "PUBLISH" and o.get("sport") == 40001:
            if o["topic"] not in topics:
                problems.append("topic %r" % o["topic"])
            seen["topic"] += 1
        for s in [o] + o.get("sessions", []):
            if s.get("clientid", "").startswith("cid"):
                seen["clientid"] += 1
                if s["clientid"] != want(b"cid" + synth.CLEAR + synth.TITLE):
                    problems.append("clientid %r" % s["clientid"])
            if s.get("username", "").startswith("user"):
                seen["username"] += 1
                if s["username"] != want(b"user" + synth.FORGED + synth.BIDI + b"evil"):
                    problems.append("username %r" % s["username"])
    return problems, seen


def main():
    binp, root = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.join(root, "captures", "tools"))
    import synth
    pcap = os.path.join(root, "captures", "hostile-strings.pcap")
    fr = frames(pcap)
    addrs = {"10.0.0.1", "10.0.0.2"}
    # the forged line names frame 99: a real one would make it harder to tell
    assert 99 not in fr, "hostile-strings.pcap must stay under 99 frames"
    tmp = tempfile.mkdtemp()
    text_modes = [
        ("summary", []), ("-V", ["-V"]), ("-x", ["-x"]), ("-V -x", ["-V", "-x"]),
        ("-V --show-secrets", ["-V", "--show-secrets"]),
        ("-x --show-secrets", ["-x", "--show-secrets"]),
        ("--explain en", ["--explain", "--lang", "en"]),
        ("--explain fr", ["--explain", "--lang", "fr"]),
        ("-V --explain", ["-V", "--explain", "--lang", "en"]),
        ("--diagram", ["--diagram"]), ("--stats", ["-q", "--stats"]),
    ]
    json_modes = [("--json", ["--json"], True), ("--json --show-secrets",
                                                 ["--json", "--show-secrets"], True),
                  ("--timeline -", ["-q", "--timeline", "-"], False),
                  ("--stats=json", ["-q", "--stats=json"], False)]
    file_modes = [("svg", ["-q", "--diagram=svg"]), ("html", ["-q", "--diagram=html"]),
                  ("html --show-secrets", ["-q", "--show-secrets", "--diagram=html"])]
    n = len(text_modes) + len(json_modes) + len(file_modes)
    print("1..%d" % n)
    i, fail = 0, 0

    def report(ok, name, why):
        nonlocal i, fail
        i += 1
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else ": " + why))
        fail |= not ok

    for name, args in text_modes:
        try:
            out = run(binp, pcap, args)
        except RuntimeError as e:
            report(False, name, str(e))
            continue
        bad = raw_problems(out)
        text = out.decode("utf-8", errors="replace")
        if not bad:
            bad = ["forged line %r" % l for l in
                   forged(text, fr, addrs, name == "summary")][:3]
        if not bad:
            # the strings are there, escaped, not dropped
            for tok in ("\\x1b[2J", "\\u202e"):
                if tok not in text:
                    bad.append("%s not shown" % tok)
        report(not bad, "text %s" % name, ", ".join(bad))

    for name, args, lines in json_modes:
        try:
            out = run(binp, pcap, args)
            docs = ([json.loads(l) for l in out.decode().splitlines()] if lines
                    else [json.loads(out)])
        except (RuntimeError, ValueError) as e:
            report(False, name, str(e))
            continue
        bad = raw_problems(out)
        if name.startswith("--json") or name.startswith("--timeline"):
            probs, seen = strings_back(docs if lines else docs, synth)
            bad += probs
            if name.startswith("--json") and (seen["filters"] != 1 or seen["topic"] != 11):
                bad.append("strings not found: %r" % seen)
            if not seen["clientid"] or not seen["username"]:
                bad.append("client id or user name not found: %r" % seen)
        if name == "--stats=json":
            got = {t["topic"] for t in docs[0]["top_topics_by_messages"]}
            want = {t.decode("utf-8", errors="replace") for t in synth.hostile_topics()}
            if not got or not got <= want | {"v5/" + synth.FORGED.decode()}:
                bad.append("topics %r" % sorted(got))
        report(not bad, "json %s" % name, ", ".join(bad))

    for name, args in file_modes:
        kind = name.split()[0]
        path = os.path.join(tmp, "d." + kind)
        try:
            out = run(binp, pcap, args + [path], outfile=path)
        except RuntimeError as e:
            report(False, name, str(e))
            continue
        bad = raw_problems(out)
        p = subprocess.run([sys.executable, os.path.join(root, "tests", "wellformed.py"), kind,
                            path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode:
            bad.append("not well-formed: " + p.stdout.decode(errors="replace").strip())
        text = out.decode("utf-8", errors="replace")
        if "<script>alert" in text or "<b>" in text:
            bad.append("markup from a topic")
        if "&lt;script&gt;alert" not in text:
            bad.append("the markup topic is not shown escaped")
        report(not bad, name, ", ".join(bad))
    return fail


if __name__ == "__main__":
    sys.exit(main())
