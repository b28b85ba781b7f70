#!/usr/bin/env python3
"""--explain against its own sentence tables, read from the source, not from the reporter.

usage: explain_cover.py MQTTDUMP SOURCE_ROOT

The sentence templates are read from src/explain_en.c, their French from po/fr.po (the
catalogue's msgstr of each English msgid), and which keys are pieces of other sentences
from include/mqttdump/explain.h. mqttdump --explain runs in
both languages on every bundled capture and on the public ones in ../shared/captures (when
present). Every explanation line must
  1. hold no placeholder left unfilled ("{client}", "{frob}": any {name} a template uses, or
     a name in braces that no value could hold),
  2. read as a sequence of whole sentences of the language's table, each placeholder holding
     a value (a sentence the table does not have, or one cut short, fails).
The sentence keys that no capture makes are compared with tests/explain-uncovered.txt: a key
that stops being made fails (coverage can only grow), and one listed that is now made
fails too (so the list stays true). Prints the coverage figures. TAP output.
"""
import glob, os, re, subprocess, sys

print("TAP version 13")
BIN, ROOT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
results = []


def ok(cond, name, diag=""):
    results.append((bool(cond), name, diag))


def c_strings(body):
    out = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"', body):
        s = m.group(1)
        s = re.sub(r'\\(.)', lambda e: {"n": "\n", "t": "\t"}.get(e.group(1), e.group(1)), s)
        out.append(s)
    return "".join(out)


def templates(path):
    src = open(path, encoding="utf-8").read()
    body = src[src.index("{", src.index("EX_COUNT]")) + 1:]
    table = {}
    for m in re.finditer(r'\[(EX_\w+)\]\s*=\s*N_\(((?:\s*"(?:[^"\\]|\\.)*")+)\)\s*,', body):
        table[m.group(1)] = c_strings(m.group(2))
    return table


def po_entries(path):
    """msgid -> msgstr of a catalogue (translated, not fuzzy entries only)."""
    out = {}
    for block in open(path, encoding="utf-8").read().split("\n\n"):
        if "#, fuzzy" in block:
            continue
        m = re.search(r'^msgid ((?:"(?:[^"\\]|\\.)*"\s*)+)^msgstr ((?:"(?:[^"\\]|\\.)*"\s*)+)',
                      block, re.M)
        if m:
            mid, mstr = c_strings(m.group(1)), c_strings(m.group(2))
            if mid and mstr:
                out[mid] = mstr
    return out


def table_of(lang):
    en = templates(os.path.join(ROOT, "src", "explain_en.c"))
    if lang == "en":
        return en
    po = po_entries(os.path.join(ROOT, "po", lang + ".po"))
    return {k: po[v] for k, v in en.items() if v in po}


def piece_keys():
    h = open(os.path.join(ROOT, "include/mqttdump/explain.h"), encoding="utf-8").read()
    part = h[h.index("/* pieces */"):]
    part = part[:part.index("\n\t/*")]
    return set(re.findall(r"\b(EX_\w+)\b", part))


PH = re.compile(r"\{([a-z_]+)\}")


def regex_of(t):
    """A template as a regex (used with fullmatch); each placeholder one group."""
    parts, last = [], 0
    for m in PH.finditer(t):
        parts.append(re.escape(t[last:m.start()]))
        parts.append("(.+?)")
        last = m.end()
    parts.append(re.escape(t[last:]))
    return re.compile("".join(parts), re.S), PH.findall(t)


def decompose(line, sentences):
    """Keys of the sentences that make up line, joined by one space; None if it does not
    read so. Tries every way (memoised by position: linear in positions x sentences)."""
    memo = {}

    def at(i):
        if i == len(line):
            return []
        if i in memo:
            return memo[i]
        memo[i] = None
        for key, (rx, names, prefix) in sentences.items():
            if not line.startswith(prefix, i):
                continue
            # every end where this sentence may stop (a space or the end of the line)
            for end in [j for j in range(i + len(prefix), len(line) + 1)
                        if j == len(line) or line[j] == " "]:
                m = compiled[key].fullmatch(line, i, end)
                if not m:
                    continue
                if any(g == "{%s}" % n for g, n in zip(m.groups(), names)):
                    continue
                rest = at(end + 1) if end < len(line) else []
                if rest is not None:
                    memo[i] = [key] + rest
                    return memo[i]
        return None

    return at(0)


compiled = {}
pieces = piece_keys()
tables = {}
for lang in ("en", "fr"):
    t = table_of(lang)
    ok(len(t) > 40, "%s: %d templates read from %s" % (lang, len(t), "src/explain_en.c"
                                                      if lang == "en" else "po/fr.po"))
    sentences = {}
    for k, v in t.items():
        if k in pieces:
            continue
        rx, names = regex_of(v)
        prefix = v[:PH.search(v).start()] if PH.search(v) else v
        sentences[k] = (rx, names, prefix)
    # the most literal text first: where two sentences could read the same words, the one
    # that explains more of them by its own text is taken
    order = sorted(sentences, key=lambda k: -len(PH.sub("", t[k])))
    tables[lang] = (t, {k: sentences[k] for k in order})
# every English template has the specification sections it states in the comment before it,
# and docs/teaching.md's table gives the same for every key
src_en = open(os.path.join(ROOT, "src", "explain_en.c"), encoding="utf-8").read()
refs = dict((k, r.strip()) for r, k in
            re.findall(r"/\*((?:[^*]|\*(?!/))*)\*/\s*\[(EX_\w+)\]\s*=", src_en))
unref = sorted(set(tables["en"][0]) - set(refs))
ok(not unref, "en: every template has its specification sections beside it", " ".join(unref))
vague = sorted(k for k, r in refs.items() if not re.search(r"§|RFC|^-", r))
ok(not vague, "en: each reference names a section (or '-' for wording)", " ".join(vague))
doc = open(os.path.join(ROOT, "docs", "teaching.md"), encoding="utf-8").read()
rows = dict(re.findall(r"^\| `(EX_\w+)` \| (.*?) \|$", doc, re.M))
diff = ["%s: source %r, docs %r" % (k, refs.get(k), rows.get(k))
        for k in sorted(set(refs) | set(rows)) if refs.get(k) != rows.get(k)]
ok(not diff, "docs/teaching.md's table of references is the source's", "\n".join(diff[:5]))

names_used = {n for lang in tables for v in tables[lang][0].values() for n in PH.findall(v)}

caps = []
for p in sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap*")) +
                glob.glob(os.path.join(ROOT, "captures", "damaged", "*.pcap*"))):
    args_file = re.sub(r"\.pcap(ng)?$", ".args", p)
    args = open(args_file).read().split() if os.path.exists(args_file) else []
    caps.append((p, args, os.path.dirname(p)))
shared = os.path.normpath(os.path.join(ROOT, "..", "shared", "captures"))
if os.path.isdir(shared):
    for p in sorted(glob.glob(os.path.join(shared, "**", "*.pcap*"), recursive=True)):
        caps.append((p, ["--detect"], os.path.dirname(p)))
else:
    print("# ../shared/captures absent: bundled captures only")

SUMMARY = re.compile(r"^\s*\d+\s+\S+\s+\S+\s+\u2192")
made = {"en": set(), "fr": set()}
for lang in ("en", "fr"):
    t, sentences = tables[lang]
    compiled.clear()
    for k, (rx, names, prefix) in sentences.items():
        compiled[k] = rx
    bad_fill, bad_read, nlines = [], [], 0
    for path, args, cwd in caps:
        p = subprocess.run([BIN, "-r", os.path.basename(path), "--explain", "--lang", lang]
                           + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = p.stdout.decode("utf-8", errors="replace")
        for ln in out.splitlines():
            if not ln.startswith("      ") or SUMMARY.match(ln):
                continue
            text = ln.strip()
            nlines += 1
            left = [n for n in PH.findall(text) if n in names_used]
            if left:
                bad_fill.append("%s: {%s} in %r" % (os.path.basename(path), left[0], text[:160]))
            keys = decompose(text, sentences)
            if keys is None:
                bad_read.append("%s: %r" % (os.path.basename(path), text[:200]))
            else:
                made[lang].update(keys)
    ok(nlines > 200, "%s: %d explanation lines from %d captures" % (lang, nlines, len(caps)))
    ok(not bad_fill, "%s: no placeholder left unfilled" % lang, "\n".join(bad_fill[:5]))
    ok(not bad_read, "%s: every line reads as sentences of the table" % lang,
       "\n".join(bad_read[:5]))

listed = set()
lf = os.path.join(ROOT, "tests", "explain-uncovered.txt")
for ln in open(lf, encoding="utf-8"):
    ln = ln.split("#")[0].strip()
    if ln:
        listed.add(ln)
for lang in ("en", "fr"):
    all_keys = set(tables[lang][1])
    never = all_keys - made[lang]
    print("# %s: %d of %d sentences made by the captures" % (lang, len(all_keys & made[lang]),
                                                           len(all_keys)))
    ok(not (never - listed), "%s: every sentence not in explain-uncovered.txt is made" % lang,
       " ".join(sorted(never - listed)))
    ok(not (listed & made[lang]), "%s: explain-uncovered.txt lists only unmade sentences" % lang,
       " ".join(sorted(listed & made[lang])))

print("1..%d" % len(results))
for i, (good, name, diag) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if good else "not ok", i, name))
    if not good and diag:
        for d in diag.splitlines():
            print("#   " + d)
sys.exit(0 if all(g for g, _, _ in results) else 1)
