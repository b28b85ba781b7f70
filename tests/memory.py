#!/usr/bin/env python3
"""The memory budget (--max-memory) holds against the attacks of issue 13, scaled down.

usage: memory.py MQTTDUMP SOURCE_ROOT      (TAP output)

Captures are made by bench/hostile_pcap.py in a temporary directory: many connections with
huge partial PUBLISH packets, the same held out of order, TLS handshake messages never
finished, WebSocket upgrade heads never ended, and a clean capture. For each attack:
  - without a budget, peak RSS grows with the attack (so the attack is real and the check
    below could fail);
  - with --max-memory 8 MiB, peak RSS (/usr/bin/time's) stays under the budget plus the
    baseline (mqttdump over a small capture) plus 8 MiB (what the allocator keeps of
    freed buffers);
  - what was given up is reported: JSON events ("memory" events, gaps with cause
    "budget", transport errors naming --max-memory), the standard error's count line, and
    the --stats Damage line, and the counts agree.
The clean capture gives the same output (summary, --json, --stats=json) under the budget
as without one. Under AddressSanitizer the RSS checks are skipped (its shadow memory).
"""
import json, os, subprocess, sys, tempfile

BUDGET = 8 << 20
# What the allocator keeps beyond the bytes counted: freed buffers inside the heap stay
# resident (measured worst, the TLS flood: heap 8.5 MB by valgrind's massif, RSS 12.6 to
# 13.8 MB above the baseline), so the bound is the budget, the baseline and 8 MiB.
SLACK = 8 << 20

results = []


def check(ok, name, detail=""):
    results.append((bool(ok), name, detail))


def run(args):
    """(stdout, stderr, exit status, peak RSS in bytes) of one mqttdump run. The RSS is
    /usr/bin/time's (the exec'd program's own: a fork from Python would count Python's
    pages too)."""
    with tempfile.NamedTemporaryFile() as rss:
        p = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", rss.name] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        kib = open(rss.name).read().split()
        return p.stdout, p.stderr.decode(), p.returncode, int(kib[-1]) * 1024


def main():
    mqttdump, root = sys.argv[1], sys.argv[2]
    gen = os.path.join(root, "bench", "hostile_pcap.py")
    with open(mqttdump, "rb") as f:
        asan = b"__asan_init" in f.read()
    tmp = tempfile.mkdtemp(prefix="mqttdump-memory-")
    caps = {
        "partial": ("partial", 64, 512 * 1024),
        "ooo": ("ooo", 64, 512 * 1024),
        "tls": ("tls", 600, 60000),
        "ws": ("ws", 3000, 8000),
        "clean": ("clean", 20, 20000),
    }
    paths = {}
    for name, (kind, n, size) in caps.items():
        paths[name] = os.path.join(tmp, name + ".pcap")
        subprocess.run([sys.executable, gen, kind, paths[name], str(n), str(size)],
                       check=True)
    _, _, rc, base = run([mqttdump, "-r", paths["clean"], "-q"])
    check(rc == 0, "baseline run", "rss %d" % base)
    budget = ["--max-memory", str(BUDGET)]

    for name in ("partial", "ooo", "tls", "ws"):
        _, _, rc, free_rss = run([mqttdump, "-r", paths[name], "-q", "--max-memory", "0"])
        _, err, rc2, rss = run([mqttdump, "-r", paths[name], "-q"] + budget)
        check(rc == 0 and rc2 == 0, name + ": both runs exit 0")
        if not asan:
            check(free_rss > BUDGET + base + SLACK,
                  name + ": without a budget the attack costs memory",
                  "%d KiB" % (free_rss >> 10))
            check(rss < BUDGET + base + SLACK, name + ": with --max-memory 8 MiB peak RSS "
                  "stays under budget + baseline + 8 MiB",
                  "%d KiB (baseline %d KiB)" % (rss >> 10, base >> 10))
        given = [l for l in err.splitlines() if "--max-memory" in l and "given up" in l]
        check(given, name + ": the count line says what was given up", err.strip()[-300:])
        # the JSON stream and the statistics: two runs (each owns the standard output)
        # that track the sessions alike (--timeline /dev/null: the sessions cost memory
        # too, and only the budgeted stages' state decides what is given up), so they give
        # up the same things
        same = ["--timeline", "/dev/null"] + budget
        js, _, rc, _ = run([mqttdump, "-r", paths[name], "--json"] + same)
        evs = [json.loads(l) for l in js.decode().splitlines()]
        sj, _, rc3, _ = run([mqttdump, "-r", paths[name], "-q", "--stats=json"] + same)
        stats = json.loads(sj.decode())
        rc = rc or rc3
        mem = [e for e in evs if e.get("event") == "memory"]
        bgaps = [e for e in evs if e.get("event") == "gap" and e.get("cause") == "budget"]
        terr = [e for e in evs if e.get("event") == "transport_error" and
                "--max-memory" in e.get("why", "")]
        ends = [e for e in evs if e.get("event") == "end" and e.get("why") == "memory"]
        check(rc == 0 and mem + bgaps + terr, name + ": JSON reports the evictions",
              "%d memory, %d budget gaps, %d transport, %d connections closed" %
              (len(mem), len(bgaps), len(terr), len(ends)))
        if name == "partial":
            check(all(e.get("type") == "PUBLISH" and e.get("size") == 16 * 1024 * 1024 - 3
                      and e.get("bytes", 0) > 0 for e in mem),
                  "partial: each memory event names the PUBLISH, its size, the bytes held")
        if name == "ooo":
            check(bgaps and all(e["bytes"] == 1400 for e in bgaps),
                  "ooo: the holes given up are the withheld segments (1400 bytes)")
        if name in ("partial", "ooo"):
            dmg = stats["damage"]
            check(dmg.get("memory_drops") == len(mem) and
                  dmg.get("budget_gaps") == len(bgaps),
                  name + ": --stats counts what the JSON stream reported",
                  "%s vs %d/%d" % ({k: v for k, v in dmg.items() if "budget" in k or
                                    "memory" in k}, len(mem), len(bgaps)))
            txt, _, _, _ = run([mqttdump, "-r", paths[name], "-q", "--stats"] + budget)
            check(b"memory budget (--max-memory)" in txt,
                  name + ": --stats' Damage section has the budget line")

    for mode in ([], ["--json"], ["-q", "--stats=json"], ["-V"]):
        a, _, rc1, _ = run([mqttdump, "-r", paths["clean"]] + mode + ["--max-memory", "0"])
        b, err, rc2, _ = run([mqttdump, "-r", paths["clean"]] + mode + budget)
        check(rc1 == 0 and rc2 == 0 and a == b and len(a) > 0,
              "clean capture: %s the same under the budget as without" %
              (" ".join(mode) or "summary"))
        check("given up" not in err, "clean capture: nothing given up (%s)" %
              (" ".join(mode) or "summary"))

    for name in paths.values():
        os.unlink(name)
    os.rmdir(tmp)
    print("1..%d" % len(results))
    for i, (ok, name, detail) in enumerate(results, 1):
        detail = " | ".join(detail.splitlines())
        print("%s %d - %s%s" % ("ok" if ok else "not ok", i, name,
                                 "" if ok or not detail else " # " + detail))
        if detail and ok:
            print("# %s" % detail)
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
