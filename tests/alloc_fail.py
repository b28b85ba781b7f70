#!/usr/bin/env python3
"""Allocation failure is reported, never a crash and never silent.

usage: alloc_fail.py MQTTDUMP SOURCE_ROOT FAILALLOC_SO      (TAP output)

For each output mode over a small capture, the run is repeated with allocation number N
failing (tests/failalloc.c, LD_PRELOAD), for every N from 1 until a run makes fewer
allocations than N. Each run must either exit 0 with exactly the output of the run without
failure, or exit non-zero with a "mqttdump: ..." message on standard error (main.c:
"out of memory ...: the output is incomplete", or the message of a failed start). A signal,
an abort or a sanitizer report fails the test.

Every JSON text is written by mqttdump's own writer (src/jsonw.c), which says when its
buffer could not grow: json-c's printer, which dropped such a piece of text and returned
the rest as if whole, writes nothing any more (--stats=json's json-c tree is walked by
jsonw too). So a run that exits 0 must have written exactly the output of the run without
failure, JSON outputs included.

Under AddressSanitizer, LD_PRELOAD cannot come first: instead, a capture of 200
connections with 512 KiB partial PUBLISH packets is read without a memory budget under
ASan's soft RSS limit (allocator_may_return_null=1: past the limit every allocation fails
until memory is freed), in several output modes: each run must exit 1 with the "out of
memory" message, and neither ASan nor UBSan may report an error.
"""
import os, subprocess, sys, tempfile

MODES = [[], ["--json"], ["-q", "--stats"], ["-q", "--stats=json"], ["-q", "--timeline", "-"],
         ["--eve"], ["--json", "--stats-interval", "1"], ["-V", "-x"], ["--explain"],
         ["--diagram"]]
CAPTURES = ["anomaly-qos2-unfinished.pcap", "websocket.pcap"]


def under_asan(mqttdump, root):
    tmp = tempfile.mkdtemp(prefix="mqttdump-failalloc-")
    cap = os.path.join(tmp, "partial.pcap")
    subprocess.run([sys.executable, os.path.join(root, "bench", "hostile_pcap.py"), "partial",
                    cap, "200", str(512 * 1024)], check=True)
    results = []
    for mode in ([], ["--json"], ["-q", "--stats=json"], ["-q", "--timeline", "-"]):
        for limit in (40, 80):
            env = dict(os.environ, ASAN_OPTIONS="allocator_may_return_null=1:"
                       "soft_rss_limit_mb=%d" % limit)
            p = subprocess.run([mqttdump, "-r", cap, "--max-memory", "0"] + mode,
                               capture_output=True, env=env)
            err = p.stderr.decode(errors="replace")
            bad = "ERROR: AddressSanitizer" in err or "runtime error" in err
            results.append((p.returncode == 1 and "out of memory" in err and not bad,
                            "ASan soft RSS limit %d MB, %s: exit 1, reported, no sanitizer "
                            "error" % (limit, " ".join(mode) or "summary"),
                            "status %d: %s" % (p.returncode, " | ".join(err.splitlines()[-3:]))))
    os.unlink(cap)
    os.rmdir(tmp)
    print("1..%d" % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name, "" if ok else " # " + detail))
    return 0 if all(r[0] for r in results) else 1


def main():
    mqttdump, root, so = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    with open(mqttdump, "rb") as f:
        if b"__asan_init" in f.read():
            return under_asan(mqttdump, root)
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
            bad, n = [], 1
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
                    bad.append("n=%d: exit 0 with another output%s" % (
                        n, " (json-c's printbuf)" if "printbuf_" in where else ""))
                elif p.returncode != 0 and "mqttdump: " not in err:
                    bad.append("n=%d: exit %d without a message" % (n, p.returncode))
                n += 1
            results.append((not bad, "%s: %d allocations, each failed once: reported or "
                            "harmless" % (name, n - 1), "; ".join(bad[:5])))
    print("1..%d" % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name,
                                 "" if ok else " # " + detail))
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
