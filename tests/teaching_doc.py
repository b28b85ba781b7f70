#!/usr/bin/env python3
"""docs/teaching.md shows real output: every block that starts with "$ build/mqttdump ..."
is run again (through bash, from the source root, with the built binary) and must print
exactly the rest of the block. TAP. Usage: teaching_doc.py MQTTDUMP SOURCE_ROOT [--fix]
(--fix rewrites the blocks with what the commands print now: tests/regen.sh uses it)."""
import os
import re
import subprocess
import sys


def blocks(text):
    """(command, expected output) of each ``` block whose first line is "$ build/mqttdump"."""
    for m in re.finditer(r"^```\n\$ (build/mqttdump[^\n]*)\n(.*?)^```$", text, re.S | re.M):
        yield m.group(1), m.group(2)


def output(binary, root, cmd):
    env = dict(os.environ, TZ="UTC", LC_ALL="C", NO_COLOR="1")
    env.pop("LANG", None)
    env.pop("LC_MESSAGES", None)
    run = binary + cmd[len("build/mqttdump"):]
    r = subprocess.run(["bash", "-c", run], cwd=root, env=env, capture_output=True)
    # a block cannot end in blank lines: compare without the trailing ones
    return r.returncode, r.stdout.decode("utf-8", "replace").rstrip("\n") + "\n"


def fix(binary, root, path):
    with open(path, encoding="utf-8") as f:
        text = f.read()

    def redo(m):
        return "```\n$ %s\n%s```" % (m.group(1), output(binary, root, m.group(1))[1])
    text = re.sub(r"^```\n\$ (build/mqttdump[^\n]*)\n(.*?)^```$", redo, text, flags=re.S | re.M)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


def main():
    binary, root = sys.argv[1], sys.argv[2]
    path = os.path.join(root, "docs", "teaching.md")
    if sys.argv[3:] == ["--fix"]:
        return fix(binary, root, path)
    with open(path, encoding="utf-8") as f:
        found = list(blocks(f.read()))
    # the diagrams it shows: docs/img/NAME.svg is the SVG diagram of captures/NAME.pcap
    img = os.path.join(root, "docs", "img")
    svgs = sorted(n for n in os.listdir(img) if n.endswith(".svg"))
    for n in svgs:
        found.append(("build/mqttdump -r captures/%s.pcap -q --diagram=svg /dev/stdout" % n[:-4],
                      open(os.path.join(img, n), encoding="utf-8").read()))
    print("1..%d" % max(len(found), 1))
    if not found:
        print("not ok 1 - no command blocks in docs/teaching.md")
        return 1
    fail = 0
    for i, (cmd, want) in enumerate(found, 1):
        rc, got = output(binary, root, cmd)
        if rc == 0 and got == want:
            print("ok %d - %s" % (i, cmd))
        else:
            fail = 1
            print("not ok %d - %s" % (i, cmd))
            gl, wl = got.splitlines(), want.splitlines()
            for n, (a, b) in enumerate(zip(wl + [""] * len(gl), gl + [""] * len(wl))):
                if a != b:
                    print("# line %d: doc %r" % (n + 1, a[:100]))
                    print("#         now %r" % b[:100])
                    break
    return fail


if __name__ == "__main__":
    sys.exit(main())
