#!/usr/bin/env python3
"""Allocation failure is reported, never a crash and never silent.

usage: alloc_fail.py MQTTDUMP SOURCE_ROOT FAILALLOC_SO      (TAP output)

For each output mode over a small capture, the run is repeated with allocation number N
failing (tests/failalloc.c, LD_PRELOAD), for every N from 1 until a run makes fewer
allocations than N. Each run must either exit 0 with exactly the output of the run without
failure, or exit non-zero with a "mqttdump: ..." message on standard error (main.c:
"out of memory ...: the output is incomplete", or the message of a failed start). A signal,
an abort or a sanitizer report fails the test.

One failure is not detectable by mqttdump: json-c's serializer drops a piece of text it
cannot append (its printbuf could not grow) and returns the rest as if whole. Those runs
(the failure's backtrace names printbuf_) are listed as TODO, not passed.

Under AddressSanitizer, LD_PRELOAD cannot come first: the test is skipped there.
"""
import os, subprocess, sys, tempfile

MODES = [[], ["--json"], ["-q", "--stats"], ["-q", "--stats=json"], ["-q", "--timeline", "-"],
         ["-V", "-x"], ["--explain"], ["--diagram"]]
CAPTURES = ["anomaly-qos2-unfinished.pcap", "websocket.pcap"]


def main():
    mqttdump, root, so = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    with open(mqttdump, "rb") as f:
        if b"__asan_init" in f.read():
            print("1..0 # SKIP AddressSanitizer: LD_PRELOAD cannot come before it")
            return 0
    results = []
    log = tempfile.mktemp(prefix="mqttdump-failalloc-")
    for cap in CAPTURES:
        path = os.path.join(root, "captures", cap)
        if not os.path.exists(path):
            continue
        for mode in MODES:
            args = [mqttdump, "-r", path] + mode
            ref = subprocess.run(args, capture_output=True)
            name = "%s %s" % (cap, " ".join(mode) or "summary")
            if ref.returncode != 0:
                results.append((False, name + ": the run without failure exits 0", ""))
                continue
            bad, todo, n = [], [], 1
            while True:
                if os.path.exists(log):
                    os.unlink(log)
                env = dict(os.environ, LD_PRELOAD=so, FAILALLOC_NTH=str(n), FAILALLOC_LOG=log)
                p = subprocess.run(args, capture_output=True, env=env)
                if not os.path.exists(log):
                    break  # the run made fewer than n allocations
                where = open(log, errors="replace").read()
                err = p.stderr.decode(errors="replace")
                if p.returncode < 0 or p.returncode >= 128 or "Sanitizer" in err:
                    bad.append("n=%d: crash (status %d)" % (n, p.returncode))
                elif p.returncode == 0 and p.stdout != ref.stdout:
                    (todo if "printbuf_" in where else bad).append(
                        "n=%d: exit 0 with another output" % n)
                elif p.returncode != 0 and "mqttdump: " not in err:
                    bad.append("n=%d: exit %d without a message" % (n, p.returncode))
                n += 1
            results.append((not bad, "%s: %d allocations, each failed once: reported or "
                            "harmless" % (name, n - 1), "; ".join(bad[:5])))
            if todo:
                results.append((None, "%s: %d runs where json-c's serializer dropped text "
                                "unnoticed" % (name, len(todo)), ", ".join(todo[:3])))
    print("1..%d" % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        if ok is None:
            print("not ok %d - %s # TODO json-c printbuf: %s" % (i, name, detail))
        else:
            print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name,
                                     "" if ok else " # " + detail))
    return 0 if all(r[0] is not False for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
