#!/usr/bin/env python3
"""The examples of README.md and docs/*.md (docs/teaching.md has teaching_doc.py) show real
output. Each ``` block holds one or more "$ build/mqttdump ..." commands, each followed by
what it prints; every command is run again (through bash, from the source root, with the
built binary) and must print exactly that, or, where the block says it is cut, that with
lines left out:

  - a line "..." (or "…") stands for one or more lines left out there;
  - a block whose text ends with "(first N of M lines)" shows the first N lines of M.

Standard error is compared too when the block shows a line of it ("mqttdump: ..."); a
command run as root on a live interface ("$ sudo ...") cannot be replayed and is skipped, nor
can a --serve one (it serves until ^C; tests/serve.py checks it)
(said so). TAP. Usage: readme_doc.py MQTTDUMP SOURCE_ROOT"""
import glob
import os
import re
import subprocess
import sys

CUT = ("...", "\u2026")
FIRST = re.compile(r"^\(first (\d+) of (\d+) lines\)$")


def blocks(path):
    """(line number, [(command, [expected lines])]) of each block holding a $ command."""
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"^```[a-z]*\n(.*?)^```$", text, re.S | re.M):
        body = m.group(1).splitlines()
        if not body or not body[0].startswith("$ "):
            continue
        line = text.count("\n", 0, m.start()) + 1
        cmds = []
        for b in body:
            if b.startswith("$ "):
                cmds.append((b[2:], []))
            else:
                cmds[-1][1].append(b)
        yield line, cmds


def run(binary, root, cmd, want_err):
    env = dict(os.environ, TZ="UTC", LC_ALL="C", NO_COLOR="1")
    env.pop("LANG", None)
    env.pop("LC_MESSAGES", None)
    cmd = re.sub(r"(^|\| *)build/mqttdump", lambda m: m.group(1) + binary, cmd)
    r = subprocess.run(["bash", "-c", cmd], cwd=root, env=env, capture_output=True,
                       timeout=120)
    out = r.stdout.decode("utf-8", "replace").splitlines()
    if want_err:
        out += r.stderr.decode("utf-8", "replace").splitlines()
    return r.returncode, out


def matches(want, got):
    """None when got is want (with its cut lines), else the first line that differs."""
    if want and FIRST.match(want[-1].strip()):
        n, total = map(int, FIRST.match(want[-1].strip()).groups())
        if len(want) - 1 != n:
            return "the block says %d lines but shows %d" % (n, len(want) - 1)
        if len(got) != total:
            return "the block says %d lines in all, the command prints %d" % (total, len(got))
        want, got = want[:-1], got[:n]
    # "..." stands for one or more lines: match in order, greedily
    pattern = []
    for w in want:
        if w.strip() in CUT:
            pattern.append(None)
        else:
            pattern.append(w)
    return match_from(pattern, 0, got, 0)


def match_from(pat, i, got, j):
    while i < len(pat):
        if pat[i] is None:
            # one line at least, then the next shown line must be found
            for k in range(j + 1, len(got) + 1):
                if match_from(pat, i + 1, got, k) is None:
                    return None
            return "no lines matching after the cut at shown line %d" % (i + 1)
        if j >= len(got) or got[j] != pat[i]:
            return "line %d: doc %r, now %r" % (j + 1, pat[i][:90],
                                                 got[j][:90] if j < len(got) else "(end)")
        i += 1
        j += 1
    if j != len(got):
        return "%d more lines printed than shown (mark the block as cut)" % (len(got) - j)
    return None


def main():
    binary, root = sys.argv[1], sys.argv[2]
    files = [os.path.join(root, "README.md")] + sorted(
        p for p in glob.glob(os.path.join(root, "docs", "*.md"))
        if not p.endswith("teaching.md"))
    tests = []
    for path in files:
        for line, cmds in blocks(path):
            for cmd, want in cmds:
                tests.append((os.path.relpath(path, root), line, cmd, want))
    # the rule itself: a cut must be marked, a marked cut must hide a line at least
    selftest = [(["a", "b"], ["a", "b"], True), (["a"], ["a", "b"], False),
                (["a", "...", "c"], ["a", "b", "c"], True), (["a", "...", "c"], ["a", "c"], False),
                (["a", "(first 1 of 3 lines)"], ["a", "b", "c"], True),
                (["a", "(first 1 of 4 lines)"], ["a", "b", "c"], False),
                (["...", "b"], ["a", "b", "c"], False)]
    print("1..%d" % (len(tests) + 1))
    bad = [t for t in selftest if (matches(t[0], t[1]) is None) != t[2]]
    print("%s 1 - the matcher: cuts are marked and hide lines%s" % (
        "not ok" if bad else "ok", " (wrong on %r)" % (bad[0],) if bad else ""))
    fail = 1 if bad or not tests else 0
    for n, (path, line, cmd, want) in enumerate(tests, 2):
        name = "%s:%d: $ %s" % (path, line, cmd[:70])
        if cmd.startswith("sudo ") or not re.match(r"(\S+=\S+ )*build/mqttdump", cmd):
            print("ok %d - %s # SKIP not replayed (live capture or another tool)" % (n, name))
            continue
        if " --serve " in cmd:
            print("ok %d - %s # SKIP not replayed (a server that runs until ^C: "
                  "tests/serve.py checks it)" % (n, name))
            continue
        want_err = any(w.startswith("mqttdump: ") for w in want)
        rc, got = run(binary, root, cmd, want_err)
        why = matches(want, got) if rc == 0 else "exit status %d" % rc
        if why is None:
            print("ok %d - %s" % (n, name))
        else:
            fail = 1
            print("not ok %d - %s" % (n, name))
            print("# " + why)
    return fail


if __name__ == "__main__":
    sys.exit(main())
