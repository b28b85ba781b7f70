#!/usr/bin/env python3
"""One language everywhere (issue 16): the catalogues of po/ against the sources and the
program's outputs.

usage: i18n.py MQTTDUMP SOURCE_ROOT [LANG]   (LANG: fr by default)

  1. po/POTFILES names every source that marks a text (_(, N_(, i18n_tr or a keyword of
     po/meson.build), and only such sources;
  2. xgettext, run again over po/POTFILES with po/meson.build's keywords, finds message ids
     that po/LANG.po must all hold, translated and not fuzzy: every one missing, empty or
     fuzzy is listed and fails; an entry of po/LANG.po that no source has any more fails
     too (a stale translation); msgfmt --check accepts the file (formats match);
  3. mqttdump runs under --lang LANG (and LC_ALL=C, as every test) on every bundled
     capture, in every text output (the summary with its NOTE lines, --explain, --stats,
     --diagram text, SVG and HTML, the standard error): no English text of a message id
     that has a translation may appear in them (the words of each id between its formats
     and placeholders, where the translation does not say the same words);
  4. the English left in those outputs that no message id accounts for (texts not wrapped
     yet) is counted by an independent look for English words, reported as TODO: the list
     says what is left, it never makes the suite green by leaving texts out of the
     catalogue.
The program's judge here is the catalogue and xgettext, not the program itself. TAP.
"""
import glob, os, re, subprocess, sys, tempfile

BIN, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
LANG = sys.argv[3] if len(sys.argv) > 3 else "fr"
results = []


def ok(cond, name, diag="", todo=False):
    results.append((bool(cond), name, diag, todo))


def c_unquote(body):
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', body):
        out.append(re.sub(r'\\(.)', lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)),
                          m.group(1)))
    return "".join(out)


PLURAL_IDS = {}   # msgid: msgid_plural, of the plural messages (po_entries fills it)


def po_entries(text):
    """(msgid, msgstr, fuzzy) of each entry of a .po or .pot, the header and obsolete (#~)
    entries left out."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        lines = [l for l in block.split("\n") if not l.startswith("#~")]
        body = "\n".join(l for l in lines if not l.startswith("#"))
        m = re.search(r'^msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)'
                      r'(?:^msgid_plural ((?:"(?:[^"\\]|\\.)*"\s*)+))?'
                      r'((?:^msgstr(?:\[\d+\])? (?:"(?:[^"\\]|\\.)*"\s*)+)+)', body, re.M)
        if not m:
            continue
        mid = c_unquote(m.group(1))
        if mid == "":
            continue
        fuzzy = any(l.startswith("#,") and "fuzzy" in l for l in lines)
        forms = [c_unquote(f) for f in re.findall(r'^msgstr(?:\[\d+\])? ((?:"(?:[^"\\]|\\.)*"\s*)+)',
                                                  m.group(3), re.M)]
        # a plural message: every form translated, or it counts as untranslated
        msgstr = "" if not all(forms) else "\n".join(forms)
        if m.group(2):
            PLURAL_IDS[mid] = c_unquote(m.group(2))
        out.append((mid, msgstr, fuzzy))
    return out


# 1. po/POTFILES against the sources
meson_po = open(os.path.join(ROOT, "po", "meson.build"), encoding="utf-8").read()
args = re.findall(r"'(--[^']*)'", meson_po[meson_po.index("args"):])
keywords = [a.split("=", 1)[1].split(":")[0] for a in args if a.startswith("--keyword=")]
potfiles = [l.strip() for l in open(os.path.join(ROOT, "po", "POTFILES"), encoding="utf-8")
            if l.strip() and not l.startswith("#")]
marks = re.compile(r"\b(?:%s|i18n_tr)\(" % "|".join(re.escape(k) for k in keywords))
marking = set()
for path in sorted(glob.glob(os.path.join(ROOT, "src", "*.c"))):
    rel = os.path.relpath(path, ROOT)
    if marks.search(open(path, encoding="utf-8").read()):
        marking.add(rel)
ok(not (marking - set(potfiles)), "po/POTFILES names every source that marks a text",
   " ".join(sorted(marking - set(potfiles))))
missing_files = [p for p in potfiles if not os.path.exists(os.path.join(ROOT, p))]
ok(not missing_files, "every file po/POTFILES names exists", " ".join(missing_files))

# 2. xgettext again, against po/LANG.po
with tempfile.TemporaryDirectory() as tmp:
    pot = os.path.join(tmp, "mqttdump.pot")
    r = subprocess.run(["xgettext", "-o", pot, "--directory", ROOT] + args +
                       [p for p in potfiles if p not in missing_files],
                       capture_output=True, text=True)
    ok(r.returncode == 0, "xgettext reads po/POTFILES", r.stderr[-2000:])
    code_ids = [e[0] for e in po_entries(open(pot, encoding="utf-8").read())] \
        if r.returncode == 0 else []
po_path = os.path.join(ROOT, "po", LANG + ".po")
po = po_entries(open(po_path, encoding="utf-8").read())
trans = {mid: s for mid, s, fuzzy in po if s and not fuzzy}
ok(len(code_ids) > 100, "%d message ids in the sources" % len(code_ids))
untranslated = [mid for mid in code_ids if mid not in trans]
ok(not untranslated, "%s: every message id of the sources is translated and not fuzzy "
   "(%d missing)" % (LANG, len(untranslated)), "\n".join(repr(m) for m in untranslated))
stale = sorted(set(mid for mid, _, _ in po) - set(code_ids))
ok(not stale, "%s: no entry that no source has any more (%d)" % (LANG, len(stale)),
   "\n".join(repr(m) for m in stale))
r = subprocess.run(["msgfmt", "--check", "--statistics", "-o", os.devnull, po_path],
                   capture_output=True, text=True)
ok(r.returncode == 0 and "untranslated" not in r.stderr and "fuzzy" not in r.stderr,
   "msgfmt --check --statistics %s: %s" % (os.path.relpath(po_path, ROOT), r.stderr.strip()),
   r.stderr)

# 3. the outputs under --lang LANG
FORMAT = re.compile(r"%(?:<\w+>|[-+ #0-9.*]*(?:hh|h|ll|l|z|j|t)?[a-zA-Z%])|\{[a-z_]+\}")
WORD = re.compile(r"[A-Za-z]{2,}")


def english_pieces(mid, msgstr):
    """The stretches of a message id's English text worth looking for: three words at least
    between its formats, and not said the same way by the translation."""
    pieces = []
    for part in FORMAT.split(mid):
        part = part.strip(" \n:;,.()[]")
        if len(WORD.findall(part)) >= 3 and part not in msgstr:
            pieces.append(part)
    return pieces


pieces = {}
for mid, s in trans.items():
    for m in (mid, PLURAL_IDS.get(mid)):
        if m and s != m:
            for p in english_pieces(m, s):
                pieces.setdefault(p, mid)

env = dict(os.environ, LC_ALL="C", TZ="UTC")
env.pop("LANGUAGE", None)
captures = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")) +
                  glob.glob(os.path.join(ROOT, "captures", "*.pcapng")))


def extra_args(cap):
    a = os.path.splitext(cap)[0] + ".args"
    return open(a).read().split() if os.path.exists(a) else []


def outputs(cap, tmp):
    """(mode, text) of every text output of one capture in LANG; the standard error too."""
    base = [BIN, "-r", os.path.basename(cap), "--lang", LANG] + extra_args(cap)
    svg, html = os.path.join(tmp, "d.svg"), os.path.join(tmp, "d.html")
    modes = [("summary", []), ("explain", ["--explain"]), ("stats", ["-q", "--stats"]),
             ("diagram", ["--diagram"]), ("interval", ["-q", "--stats-interval", "1"]), ("svg", ["-q", "--diagram=svg", svg]),
             ("html", ["-q", "--diagram=html", html])]
    for mode, extra in modes:
        r = subprocess.run(base + extra, capture_output=True, env=env,
                           cwd=os.path.dirname(cap))
        text = r.stdout.decode("utf-8", "replace")
        f = {"svg": svg, "html": html}.get(mode)
        if f and os.path.exists(f):
            text += open(f, encoding="utf-8", errors="replace").read()
            os.unlink(f)
        if mode == "html":
            # the -V tree of each arrow keeps tshark's English, as -V does (docs/i18n.md)
            text = re.sub(r'<pre class="tree"[^>]*>.*?</pre>', "", text, flags=re.S)
        yield mode, text
        yield mode + " (stderr)", r.stderr.decode("utf-8", "replace")


# Words that say a sentence is English (not names of the protocol, which French keeps:
# Connect Ack, Session Present, QoS, broker, topic...). Wire values (topics, payloads,
# client ids) may hold any word: lines that are the tshark-parity summary are skipped,
# and a word inside quotes or brackets of a value is not looked at.
ENGLISH = re.compile(r"\b(?:the|of|and|bytes|is|are|was|were|not|with|without|from|"
                     r"between|into|which|when|this|that|these|those|has|have|its|"
                     r"frames|messages? cut|connections?|closed|sent|received|"
                     r"statistics|none|client->broker only)\b")


# The protocol's own names, which every language keeps (reason codes, property names:
# the specification's and tshark's words), are every string of src/mqtt_tables.c.
# Its N_() texts are warnings, which are translated: they are not names.
PROTOCOL = sorted(set(re.findall(r'(?<!N_\()"([^"\n]{4,})"', open(os.path.join(
    ROOT, "src", "mqtt_tables.c"), encoding="utf-8").read())), key=len, reverse=True)


def english_left(mode, text):
    found = []
    if mode in ("svg", "html"):
        text = re.sub(r"<(style|script)>.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)       # markup, attribute values
        text = text.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">") \
            .replace("&amp;", "&")
    for line in text.split("\n"):
        if re.match(r"\s*\d+\s+\d+\.\d+\s", line) and " NOTE " not in line:
            continue        # the tshark-style summary stays English (docs/i18n.md)
        line = re.sub(r'"[^"]*"|«[^»]*»|\[[A-Z][^\]]*\]|\S*/\S*', " ", line)
        for p in PROTOCOL:
            line = line.replace(p, " ")
        m = ENGLISH.search(line)
        if m:
            found.append(line.strip()[:160])
    return found


# French, English: a count of 0 or 1 takes the singular ("0 trame", "1 connexion"; "1
# frame"); the plural nouns and participles mqttdump puts after a count, in either language
PLURAL_AFTER = {"fr": r"trames|messages|connexions|trous|octets|enregistrements|paquets|"
                      r"fichiers|incomplets|tronqués|malformés|sautés|éléments|tampons",
                "en": r"frames|messages|connections|gaps|bytes|records|packets|files"}
BAD_PLURAL = re.compile(r"(?<![\d.,:/-])(?:[01]) (?:MQTT )?(?:%s)\b" % PLURAL_AFTER.get(LANG, "$^"))
bad_plurals = []
leaks, left = [], {}
with tempfile.TemporaryDirectory() as tmp:
    for cap in captures:
        name = os.path.basename(cap)
        for mode, text in outputs(cap, tmp):
            for line in text.split("\n"):
                if BAD_PLURAL.search(line) and not re.match(r"\s*\d+\s+\d+\.\d+\s.*MQTT \d+ ", line):
                    bad_plurals.append("%s %s: %s" % (name, mode, line.strip()[:160]))
            for p, mid in pieces.items():
                if p in text:
                    leaks.append("%s %s: %r (of %r)" % (name, mode, p, mid))
            for line in english_left(mode, text):
                left.setdefault((mode.split(" ")[0] + (" stderr" if "stderr" in mode else ""),
                                 re.sub(r"\d+", "N", line)), name)


# 5. the MQTT 5.0 property warnings, which no bundled capture makes: one session built
# here with captures/tools/synth.py's framing, each packet breaking several property rules
# (a forbidden zero, a flag other than 0 or 1, a property its packet type may not carry, one
# twice, one the will may not carry). The English warnings are read from --json (English
# there, docs/i18n.md); each must come out in the text outputs as po/LANG.po says, and no
# English one may be left.
def property_warnings_capture(path):
    import struct
    sys.path.insert(0, os.path.join(ROOT, "captures", "tools"))
    from synth import Session, pkt, props, s, write_pcap
    x = Session()
    will = props(b"\x11" + struct.pack("!I", 10), b"\x03" + s("text/plain"))
    x.up(pkt(0x10, s("MQTT") + b"\x05\x06\x00\x3c" +
             props(b"\x21\x00\x00", b"\x17\x02", b"\x23\x00\x01",
                   b"\x11\x00\x00\x00\x05", b"\x11\x00\x00\x00\x06") +
             s("props-bad") + will + s("w/t") + s(b"gone")))
    x.down(pkt(0x20, b"\x00\x00" + props(b"\x24\x02", b"\x01\x01")))
    x.up(pkt(0x30, s("a/b") + props(b"\x03" + s("x"), b"\x03" + s("y"), b"\x23\x00\x00") +
             b"hi"))
    x.down(pkt(0xE0, b"\x00" + props(b"\x11\x00\x00\x00\x00", b"\x1c" + s("elsewhere"),
                                       b"\x1c" + s("again"), b"\x26" + s("k") + s("v"))))
    x.close()
    write_pcap(path, x, "eth")


with tempfile.TemporaryDirectory() as tmp:
    cap = os.path.join(tmp, "property-warnings.pcap")
    property_warnings_capture(cap)
    r = subprocess.run([BIN, "-r", cap, "--json"], capture_output=True, env=env)
    english = []
    for line in r.stdout.decode().split("\n"):
        for w in re.findall(r'"warnings":\[([^\]]*)\]', line):
            english += re.findall(r'"text":"([^"]*)"', w)
    ok(len(set(english)) >= 8, "the property warnings capture breaks %d property rules"
       % len(set(english)), " ".join(english))
    texts = {m: t for m, t in outputs(cap, tmp)}
    for w in sorted(set(english)):
        fr = trans.get(w)
        ok(fr and fr != w and all(fr in texts[m] for m in ("summary", "explain")),
           "--lang %s property warning %r: %r in the summary and --explain" % (LANG, w, fr))
        left_in = [m for m, t in texts.items() if w in t]
        ok(not left_in, "--lang %s property warning %r: no English left" % (LANG, w),
           " ".join(left_in))
# 6. --serve's page: the texts its script translates (T("..."), P("...", "...")) are
# message ids of src/serve_text.c, so the server has them to send (tests/serve.py looks at
# the page in Chromium under --lang fr)
page = open(os.path.join(ROOT, "src", "serve_page.html"), encoding="utf-8").read()
page_ids = set(re.findall(r'\b[TP]\("((?:[^"\\]|\\.)*)"', page))
page_missing = sorted(i for i in page_ids if i not in code_ids or i not in trans)
ok(len(page_ids) > 10 and not page_missing, "--serve's page: its %d script texts are "
   "message ids, translated" % len(page_ids), "\n".join(page_missing))

# 7. --help in LANG: from --lang (after -h on the command line too) and from the locale
english_help = subprocess.run([BIN, "--help"], capture_output=True, env=env).stdout.decode()
for how, argv, e in (("--help --lang " + LANG, ["--help", "--lang", LANG], env),
                     ("-h --lang=" + LANG, ["-h", "--lang=" + LANG], env),
                     ("LANG=%s.UTF-8 --help" % LANG, ["--help"],
                      dict(env, LC_ALL="", LANG=LANG + ".UTF-8"))):
    text = subprocess.run([BIN] + argv, capture_output=True, env=e).stdout.decode()
    found = [p for p in pieces if p in text]
    ok(text and text != english_help and not found,
       "%s: the help is translated, no English text of it left" % how, "\n".join(found[:20]))
# 8. the errors of the command line in LANG, --lang before or after the bad option
for argv in (["--lang", LANG, "--bogus"], ["--bogus", "--lang=" + LANG],
             ["-c", "abc", "--lang", LANG], ["--topic", "a/#/b", "--lang", LANG, "-r", "x"],
             ["--json", "--eve", "--lang", LANG, "-r", "x"]):
    eng = [a for a in argv if not a.startswith("--lang") and a != LANG]
    e_en = subprocess.run([BIN] + eng, capture_output=True, env=env).stderr.decode()
    e = subprocess.run([BIN] + argv, capture_output=True, env=env).stderr.decode()
    found = [p for p in pieces if p in e]
    ok(e and e != e_en and not found, "%s: the error is translated (%r)" %
       (" ".join(argv), e.strip()[:100]), "\n".join(found))
ok(captures, "%d bundled captures run in every text output" % len(captures))
ok(not leaks, "--lang %s: no English text of a translated message id in any output (%d)"
   % (LANG, len(leaks)), "\n".join(leaks[:40]))
ok(not bad_plurals, "--lang %s: no count of 0 or 1 with a plural noun in any output (%d)"
   % (LANG, len(bad_plurals)), "\n".join(bad_plurals[:40]))
by_mode = {}
for (mode, line), cap in sorted(left.items()):
    by_mode.setdefault(mode, []).append("%s: %s" % (cap, line))
for mode in ("summary", "explain", "stats", "interval", "diagram", "svg", "html"):
    for m in (mode, mode + " stderr"):
        lines = by_mode.get(m, [])
        ok(not lines, "--lang %s %s: no English left outside the catalogue (%d lines)"
           % (LANG, m, len(lines)), "\n".join(lines[:25]), todo=True)

print("TAP version 13")
print("1..%d" % len(results))
for i, (good, name, diag, todo) in enumerate(results, 1):
    print("%s %d - %s%s" % ("ok" if good else "not ok", i, name, " # TODO texts not in the "
                            "catalogue yet" if todo and not good else ""))
    if not good and diag:
        for l in diag.split("\n"):
            print("#   " + l)
sys.exit(0 if all(g or t for g, _, _, t in results) else 1)
