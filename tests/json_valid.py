#!/usr/bin/env python3
"""Every JSON text mqttdump writes is valid JSON, judged by json-c's parser in strict mode.

usage: json_valid.py MQTTDUMP SOURCE_ROOT JSON_STRICT      (TAP output)

JSON_STRICT is tests/json_strict.c (json_tokener with JSON_TOKENER_STRICT and UTF-8
validation, plus the raw control bytes and single quotes json-c's strict mode lets
through). Each output that writes JSON -- --json, --timeline, --eve, --stats=json,
--stats-interval with --json and with --eve -- is run over every capture in captures/ (its
.args too), captures/damaged/, and small hostile captures of bench/hostile_pcap.py (the
memory attacks of issue 13, under a small --max-memory so that evictions are written): each
line of a JSON Lines output, each whole document, must parse. First the judge itself is
shown to refuse a corrupted line, a trailing comma and a raw control byte.
"""
import glob, os, subprocess, sys, tempfile

MODES = [("lines", ["--json"]), ("doc", ["-q", "--timeline", "-"]), ("lines", ["--eve"]),
         ("doc", ["-q", "--stats=json"]), ("lines", ["--json", "--stats-interval", "1"]),
         ("lines", ["--eve", "--stats-interval", "1"])]
HOSTILE = [("partial", "20", "200000"), ("ooo", "20", "100000"), ("tls", "20", "40000"),
           ("ws", "20", "9000"), ("qos1", "5", "300"), ("topics", "50", "3000"),
           ("clean", "20", "5000")]


def judge(strict, kind, data):
    p = subprocess.run([strict, kind], input=data, capture_output=True)
    return p.returncode, p.stderr.decode(errors="replace").strip()


def main():
    mqttdump, root, strict = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    results = []
    # the judge can fail
    good = b'{"a":[1,2.5,"x\\n"],"b":null}\n'
    for name, bad in (("a corrupted line (a quote lost)", b'{"a":"x,"b":1}\n'),
                      ("a trailing comma", b'{"a":1,}\n'),
                      ("a raw control byte in a string", b'{"a":"\x1b[2J"}\n'),
                      ("bytes that are not UTF-8", b'{"a":"\xff"}\n'),
                      ("a truncated document", b'{"sessions":[')):
        kind = "doc" if bad.endswith(b"[") else "lines"
        rc_good, _ = judge(strict, kind, good)
        rc_bad, _ = judge(strict, kind, good + bad if kind == "lines" else bad)
        results.append((rc_good == 0 and rc_bad == 1, "the judge refuses %s" % name,
                        "status %d, %d" % (rc_good, rc_bad)))
    tmp = tempfile.mkdtemp(prefix="mqttdump-json-valid-")
    caps = []
    cdir = os.path.join(root, "captures")
    for c in sorted(glob.glob(os.path.join(cdir, "*.pcap")) +
                    glob.glob(os.path.join(cdir, "*.pcapng")) +
                    glob.glob(os.path.join(cdir, "damaged", "*.pcap"))):
        args = []
        a = os.path.splitext(c)[0] + ".args"
        if os.path.exists(a):
            args = open(a).read().split()
        caps.append((os.path.relpath(c, cdir), [c], args))
    gen = os.path.join(root, "bench", "hostile_pcap.py")
    for kind, n, size in HOSTILE:
        out = os.path.join(tmp, kind + ".pcap")
        subprocess.run([sys.executable, gen, kind, out, n, size], check=True,
                       capture_output=True)
        caps.append(("hostile " + kind, [out], ["--max-memory", "2000000"]))
    for name, files, args in caps:
        bad = []
        for kind, mode in MODES:
            p = subprocess.run([mqttdump, "-r"] + files + args + mode, capture_output=True,
                               cwd=cdir, env=dict(os.environ, TZ="UTC", LC_ALL="C"))
            if p.returncode not in (0, 1) or not p.stdout:
                bad.append("%s: status %d, %d bytes" % (" ".join(mode), p.returncode,
                                                        len(p.stdout)))
                continue
            rc, why = judge(strict, kind, p.stdout)
            if rc:
                bad.append("%s: %s" % (" ".join(mode), why[:300]))
        results.append((not bad, "%s: every JSON line and document parses strictly" % name,
                        "; ".join(bad)))
    for f in glob.glob(os.path.join(tmp, "*")):
        os.unlink(f)
    os.rmdir(tmp)
    print("1..%d" % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name,
                                 "" if ok else " # " + detail))
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
