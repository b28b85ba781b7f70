#!/usr/bin/env python3
"""The teaching views on a projector, and combined. TAP.
Usage: teaching_views.py MQTTDUMP SOURCE_ROOT

- --explain --width N: every line at most N columns; the paragraphs are Python's textwrap
  of the unwrapped ones (an oracle mqttdump did not write); a word longer than a line is
  cut between characters, never inside an escape ("\\x1b") or a UTF-8 character.
- on a terminal (script(1), a pty whose size stty sets), the width is the terminal's
  (TIOCGWINSZ); into a pipe, lines are whole.
- --diagram --width 80 / 100 with 5 clients: every line fits, one arrow per message, every
  column named; without --width, as the golden.
- --explain, -V, -x with --diagram: each view's text, then the diagram.
- --type / --topic filters keep client names (tshark gives each stream's client id).
- one column per client id: tshark's client ids, the reconnects marked."""
import os
import re
import shutil
import subprocess
import sys
import textwrap

ENV = dict(os.environ, TZ="UTC", LC_ALL="C", NO_COLOR="1")
ENV.pop("LANG", None)


class T:
    def __init__(self):
        self.n, self.fail = 0, 0

    def ok(self, cond, what, why=""):
        self.n += 1
        print("%s %d - %s%s" % ("ok" if cond else "not ok", self.n, what,
                                "" if cond else ": " + why))
        self.fail += not cond


def run(binary, *args):
    r = subprocess.run([binary] + list(args), capture_output=True, env=ENV)
    return r.stdout.decode("utf-8")


def paragraphs(text):
    """The explanation paragraphs of an output: a line indented 6, then its continuations,
    indented 8."""
    out = []
    for line in text.split("\n"):
        if line.startswith(" " * 8) and out and out[-1] is not None:
            out[-1].append(line)
        elif line.startswith(" " * 6) and line[6] != " ":
            out.append([line])
        else:
            out.append(None)
    return [p for p in out if p is not None]


def cols(s):
    return len(s)  # one column per character (code point), as mqttdump counts


PARTIAL_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]?|u[0-9a-fA-F]{0,3})$")


def wrapping(t, b, root):
    for cap, lang, width in (("qos2", "en", 80), ("qos-downgrade", "fr", 80),
                             ("request-response", "en", 60), ("will", "fr", 100)):
        path = os.path.join(root, "captures", cap + ".pcap")
        whole = run(b, "-r", path, "--explain", "--lang", lang)
        wrapped = run(b, "-r", path, "--explain", "--lang", lang, "--width", str(width))
        long_lines = [l for l in wrapped.split("\n") if cols(l) > width and l.startswith(" " * 6)]
        t.ok(paragraphs(wrapped) and not long_lines,
             "%s %s --width %d: no explanation line wider" % (cap, lang, width),
             repr(long_lines[:1]) if long_lines else "no explanation")
        pw, pu = paragraphs(wrapped), paragraphs(whole)
        want = [textwrap.wrap(p[0][6:], width=width, initial_indent=" " * 6,
                              subsequent_indent=" " * 8, break_long_words=True,
                              break_on_hyphens=False) for p in pu]
        bad = [(w, g) for w, g in zip(want, pw) if w != g]
        t.ok(len(pw) == len(pu) and not bad and all(len(p) == 1 for p in pu),
             "%s %s --width %d: the paragraphs are textwrap's (%d, %d lines)"
             % (cap, lang, width, len(pw), sum(len(p) for p in pw)),
             "%d vs %d paragraphs; first difference %r" % (len(pw), len(pu), bad[:1]))
        # the lines that are not explanations are the same
        t.ok([l for l in wrapped.split("\n") if not l.startswith("      ")] ==
             [l for l in whole.split("\n") if not l.startswith("      ")],
             "%s %s --width %d: the other lines untouched" % (cap, lang, width))
    # hostile strings: long words of escapes and UTF-8, cut only between them
    path = os.path.join(root, "captures", "hostile-strings.pcap")
    raw = subprocess.run([b, "-r", path, "--explain", "--width", "40"], capture_output=True,
                         env=ENV).stdout
    whole = run(b, "-r", path, "--explain")
    lines = raw.split(b"\n")
    broken = []
    for l in lines:
        try:
            s = l.decode("utf-8")
        except UnicodeDecodeError:
            broken.append(l)
            continue
        if PARTIAL_ESCAPE.search(s) or (s.startswith(" " * 6) and cols(s) > 40):
            broken.append(l)
    t.ok(len(lines) > 20 and not broken, "hostile strings --width 40: no line cut inside a character or an escape, "
         "none wider", repr(broken[:2]))
    pw = paragraphs(raw.decode("utf-8"))
    joined = ["".join(l.lstrip(" ") for l in p) for p in pw]
    t.ok(joined and [p[0][6:].replace(" ", "") for p in paragraphs(whole)] ==
         [j.replace(" ", "") for j in joined],
         "hostile strings --width 40: the same text, only broken (%d paragraphs)" % len(pw))


def terminal(t, b, root):
    script = shutil.which("script")
    if not script:
        t.ok(True, "# SKIP script(1) is not installed")
        return
    path = os.path.join(root, "captures", "qos2.pcap")
    for width in (72, 120):
        r = subprocess.run([script, "-qec", "stty cols %d rows 40; %s -r %s --explain" %
                            (width, b, path), "/dev/null"], capture_output=True, env=ENV,
                           stdin=subprocess.DEVNULL)
        text = r.stdout.decode("utf-8", "replace").replace("\r", "")
        ex = [l for l in text.split("\n") if l.startswith(" " * 6)]
        widest = max((cols(l) for l in ex), default=0)
        t.ok(ex and widest <= width and widest > width - 15,
             "on a %d-column terminal, explanations wrap at its width (widest %d)"
             % (width, widest))
    whole = run(b, "-r", path, "--explain")
    t.ok(max(cols(l) for l in whole.split("\n")) > 150,
         "into a pipe, explanation lines are whole")


def diagram_fit(t, b, root):
    path = os.path.join(root, "captures", "refused-logins.pcap")
    nmsg = len([l for l in run(b, "-r", path, "--json").split("\n") if '"type"' in l])
    natural = run(b, "-r", path, "--diagram")
    names = natural.split("\n")[0].split()
    t.ok(len(names) == 6 and max(cols(l) for l in natural.split("\n")) > 150,
         "refused-logins: 5 clients and a broker, %d columns wide without --width"
         % max(cols(l) for l in natural.split("\n")))
    for width in (80, 100):
        d = run(b, "-r", path, "--diagram", "--width", str(width))
        lines = d.rstrip("\n").split("\n")
        arrows = [l for l in lines if re.search(r"\|-+>\||\|<-+\|", l)]
        heads = lines[0].split()
        t.ok(len(lines) > 20 and max(cols(l) for l in lines) <= width,
             "--diagram --width %d: every line fits (widest %d)" %
             (width, max(cols(l) for l in lines)))
        t.ok(len(arrows) == nmsg, "--diagram --width %d: one arrow per message (%d)" %
             (width, nmsg), "%d arrows" % len(arrows))
        t.ok(len(heads) == 6 and all(n.startswith(h) for h, n in zip(heads, names)),
             "--diagram --width %d: every column named" % width, "%s vs %s" % (heads, names))
    golden = open(os.path.join(root, "captures", "expected", "qos2.diagram.txt")).read()
    t.ok(run(b, "-r", os.path.join(root, "captures", "qos2.pcap"), "--diagram", "--width",
             "200") == golden, "a diagram that fits the width is drawn as without it")


def combined(t, b, root):
    path = os.path.join(root, "captures", "qos1.pcap")
    diagram = run(b, "-r", path, "--diagram")
    for opts, name in ((["--explain"], "--explain"), (["-V"], "-V"), (["-x"], "-x"),
                       (["--explain", "-x"], "--explain -x")):
        alone = run(b, "-r", path, *opts)
        both = run(b, "-r", path, *opts, "--diagram")
        sep = "" if alone.endswith("\n\n") else "\n"
        t.ok(both == alone + sep + diagram, "%s --diagram: %s's text, a blank line, the diagram"
             % (name, name), "%d bytes, want %d" % (len(both), len(alone + sep + diagram)))


def tshark_ids(path, extra=""):
    """stream -> client id, by tshark."""
    r = subprocess.run(["tshark", "-r", path, "-Y", "mqtt.msgtype == 1", "-T", "fields",
                        "-e", "tcp.stream", "-e", "mqtt.clientid"], capture_output=True)
    return dict(l.split("\t", 1) for l in r.stdout.decode().splitlines() if "\t" in l)


def filters(t, b, root):
    if not shutil.which("tshark"):
        t.ok(True, "# SKIP tshark is not installed")
        return
    path = os.path.join(root, "captures", "qos2.pcap")
    ids = tshark_ids(path)
    pubs = subprocess.run(["tshark", "-r", path, "-Y", "mqtt.msgtype == 3", "-T", "fields",
                           "-e", "tcp.stream"], capture_output=True).stdout.decode().split()
    want = sorted({ids[s] for s in pubs})
    for f in (["--type", "PUBLISH"], ["--topic", "bank/#", "--type", "publish"]):
        d = run(b, "-r", path, *f, "--diagram")
        heads = d.split("\n")[0].split()
        t.ok(sorted(heads[:-1]) == want and heads[-1] == "broker",
             "%s --diagram: the columns are named by tshark's client ids %s" % (" ".join(f), want),
             "heads %s" % heads)
        e = run(b, "-r", path, *f, "--explain")
        named = [n for n in want if re.search(r"\b%s\b" % re.escape(n), e)]
        addr = re.findall(r"client 127\.0\.0\.1:\d+", e)
        t.ok(named == want and not addr, "%s --explain: names %s, no client by its address"
             % (" ".join(f), want), "named %s, by address %s" % (named, addr[:2]))


def columns(t, b, root):
    path = os.path.join(root, "captures", "session-present.pcap")
    if not shutil.which("tshark"):
        t.ok(True, "# SKIP tshark is not installed")
        return
    ids = tshark_ids(path)
    order = [ids[k] for k in sorted(ids, key=int)]
    distinct = list(dict.fromkeys(order))
    again = len(order) - len(distinct)
    d = run(b, "-r", path, "--diagram")
    heads = d.split("\n")[0].split()
    t.ok(heads[:-1] == distinct and heads[-1] == "broker",
         "session-present: one column per client id, as tshark reads them (%d connections, "
         "%d ids)" % (len(order), len(distinct)), "heads %s, want %s" % (heads, distinct))
    t.ok(d.count("reconnect from 127.0.0.1:") == again and again > 0,
         "session-present: the %d reconnects are marked" % again,
         "%d marked" % d.count("reconnect from"))
    svg = subprocess.run([b, "-r", path, "-q", "--diagram=svg", "/dev/stdout"],
                         capture_output=True, env=ENV).stdout.decode()
    t.ok(svg.count('data-reconnect="1"') == again and svg.count('class="life"') == len(distinct),
         "session-present SVG: the same columns, the reconnects marked")


def main():
    b, root = sys.argv[1], sys.argv[2]
    t = T()
    print("1..40")
    wrapping(t, b, root)
    terminal(t, b, root)
    diagram_fit(t, b, root)
    combined(t, b, root)
    filters(t, b, root)
    columns(t, b, root)
    for bad in ("10", "x", "-80", "100000"):
        r = subprocess.run([b, "-r", os.path.join(root, "captures", "qos1.pcap"), "--width", bad],
                           capture_output=True, env=ENV)
        err = r.stderr.decode()
        t.ok(r.returncode == 2 and err.count("\n") == 1 and "--width" in err and not r.stdout,
             "--width %s: refused in one line, exit 2" % bad, "%d %r" % (r.returncode, err))
    if t.n != 40:
        print("# %d tests run, the plan said 40" % t.n)
        return 1
    return 1 if t.fail else 0


if __name__ == "__main__":
    sys.exit(main())
