#!/usr/bin/env python3
"""Secrets: passwords and MQTT 5.0 Authentication Data appear in no output unless
--show-secrets, and appear where they belong with it.

usage: secrets.py MQTTDUMP SOURCE_ROOT      (TAP output)

For each capture that carries secrets (userpass, mqtt5-all-types, mqtt31-all-types,
mqtt311-all-types, hostile-strings: its secrets come from captures/tools/synth.py), run
every output mode without --show-secrets and look for each secret in every encoding an
output could give it:
  - its bytes raw, and its printable runs of 6 characters or more (what -V or an escaped
    text would show), for the secrets distinctive enough not to be ordinary words;
  - its hex, lower and upper case (JSON's *_hex and authentication_data);
  - its bytes in -x's dumps, read back from their hex columns (lines may wrap);
  - JSON string values: equal to it, or (distinctive ones) holding it.
None may be found. Then with --show-secrets: -V, -x, --json and the HTML diagram must show
each of them (the password as text or hex, the Authentication Data in hex).
"""
import json, os, re, subprocess, sys, tempfile

HEXLINE = re.compile(r"^[0-9a-f]{4,8}  ((?:(?:[0-9a-f]{2}|\*\*) ){1,16})")


def dumps(text):
    """The byte strings of -x's dumps (masked bytes as None), one per dump."""
    out, cur = [], None
    for line in text.splitlines():
        m = HEXLINE.match(line)
        if not m:
            cur = None
            continue
        if line.startswith("0000 ") or cur is None:
            cur = []
            out.append(cur)
        cur.extend(None if h == "**" else int(h, 16) for h in m.group(1).split())
    return out


def contains(seq, needle):
    n = len(needle)
    return any(seq[i:i + n] == list(needle) for i in range(len(seq) - n + 1))


def runs(secret, k=6):
    """Printable ASCII runs of at least k characters."""
    return [r.decode() for r in re.findall(rb"[\x21-\x7e]{%d,}" % k, secret)]


def strings(o):
    if isinstance(o, str):
        yield o
    elif isinstance(o, dict):
        for v in o.values():
            yield from strings(v)
    elif isinstance(o, list):
        for v in o:
            yield from strings(v)


def found(out, secret, distinct, json_docs):
    """Where secret shows in the output bytes out, or []."""
    where = []
    text = out.decode("utf-8", errors="replace")
    if distinct:
        if secret in out:
            where.append("raw")
        where += ["text %r" % r for r in runs(secret) if r in text]
    for h in (secret.hex(), secret.hex().upper()):
        if h in text:
            where.append("hex")
    if any(contains(d, secret) for d in dumps(text)):
        where.append("-x dump")
    want = secret.decode("utf-8", errors="replace")
    for doc in json_docs:
        for s in strings(doc):
            if s == want or s.lower() == secret.hex() or (distinct and want in s):
                where.append("JSON value %r" % s[:40])
    return where


def parse_json(out):
    text = out.decode()
    try:
        return [json.loads(text)]
    except ValueError:
        return [json.loads(l) for l in text.splitlines() if l.strip()]


def main():
    binp, root = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.join(root, "captures", "tools"))
    import synth
    caps = {
        "userpass.pcap": [(b"wonderland", True, "pw"), (b"wrong", False, "pw")],
        "mqtt5-all-types.pcap": [(b"pass", False, "pw"), (b"client-first", True, "auth"),
                                 (b"server-first", True, "auth"),
                                 (b"client-final", True, "auth")],
        "mqtt31-all-types.pcap": [(b"secret", False, "pw")],
        "mqtt311-all-types.pcap": [(b"secret", False, "pw")],
        "hostile-strings.pcap": [(synth.HOSTILE_PW, True, "pw"), (synth.HOSTILE_PW5, True, "pw"),
                                 (synth.HOSTILE_AUTH, True, "auth"),
                                 (synth.HOSTILE_AUTH2, True, "auth"),
                                 (synth.SPLIT_PW, True, "pw"), (synth.SPLIT_AUTH, True, "auth"),
                                 (synth.SPLIT_AUTH2, True, "auth")],
    }
    tmp = tempfile.mkdtemp()
    modes = [("summary", []), ("-V", ["-V"]), ("-x", ["-x"]), ("-V -x", ["-V", "-x"]),
             ("--explain en", ["--explain", "--lang", "en"]),
             ("--explain fr", ["--explain", "--lang", "fr"]),
             ("-V -x --explain", ["-V", "-x", "--explain"]),
             ("--diagram", ["--diagram"]), ("--json", ["--json"]), ("--eve", ["--eve"]),
             ("--timeline", ["-q", "--timeline", "-"]), ("--stats", ["-q", "--stats"]),
             ("--stats=json", ["-q", "--stats=json"]),
             ("--diagram=svg", ["-q", "--diagram=svg", "FILE"]),
             ("--diagram=html", ["-q", "--diagram=html", "FILE"])]
    shown = [("-V", ["-V"]), ("-x", ["-x"]), ("--json", ["--json"]),
             ("--diagram=html", ["-q", "--diagram=html", "FILE"])]
    print("1..%d" % (len(caps) * (len(modes) + len(shown))))
    i, fail = 0, 0

    def run(cap, args):
        f = os.path.join(tmp, "out")
        a = [f if x == "FILE" else x for x in args]
        p = subprocess.run([binp, "-r", os.path.join(root, "captures", cap)] + a,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode:
            raise RuntimeError(p.stderr.decode(errors="replace"))
        if "FILE" in args:
            with open(f, "rb") as fh:
                return fh.read()
        return p.stdout

    for cap, secrets in caps.items():
        for name, args in modes:
            i += 1
            try:
                out = run(cap, args)
                docs = parse_json(out) if "json" in name or "timeline" in name else []
                bad = ["%r: %s" % (s, ", ".join(w)) for s, d, _ in secrets
                       for w in [found(out, s, d, docs)] if w]
            except (RuntimeError, ValueError) as e:
                bad = [str(e)]
            print("%s %d - %s %s hides the secrets%s" % ("not ok" if bad else "ok", i, cap,
                                                         name, ": " + "; ".join(bad) if bad else ""))
            fail |= bool(bad)
        for name, args in shown:
            i += 1
            bad = []
            try:
                out = run(cap, args + ["--show-secrets"])
                text = out.decode("utf-8", errors="replace")
                docs = parse_json(out) if name == "--json" else []
                for s, d, kind in secrets:
                    if name == "-x":
                        ok = any(contains(x, s) for x in dumps(text))
                    elif name == "--json":
                        vals = set(strings(docs))
                        ok = (s.hex() in vals if kind == "auth" else
                              s.decode("utf-8", errors="replace") in vals or s.hex() in vals)
                    elif d:
                        ok = all(r in text for r in runs(s)) and runs(s)
                    else:
                        ok = ("Password: " + s.decode()) in text
                    if not ok:
                        bad.append("%r not shown" % s)
            except (RuntimeError, ValueError) as e:
                bad = [str(e)]
            print("%s %d - %s %s --show-secrets shows them%s" % (
                "not ok" if bad else "ok", i, cap, name, ": " + "; ".join(bad) if bad else ""))
            fail |= bool(bad)
    return fail


if __name__ == "__main__":
    sys.exit(main())
