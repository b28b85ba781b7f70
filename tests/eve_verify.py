#!/usr/bin/env python3
"""mqttdump --eve judged by Suricata's own test suite (OISF/suricata-verify's MQTT tests).

usage: eve_verify.py MQTTDUMP SOURCE_ROOT      (TAP output, one test per suricata-verify test)

../shared/captures/suricata-verify/ (beside the source root; INDEX.md there) holds each test's
pcap and NAME.expected.txt: its test.yaml, its suricata.yaml overrides, its rules. For each test
this runs `mqttdump --eve` on the test's pcap, with the options that stand for its Suricata
configuration, and evaluates its checks with suricata-verify's semantics:
  - a `filter` selects the EVE records where every `match` entry holds: a dotted path
    (list indexes as `topics[0]`) whose value equals the expected one (or has the same
    string form, as suricata-verify allows), `has-key` / `not-has-key` a path; `count` is the
    number of records selected (`lt` / `gt` bound it when given);
  - the records are those of the event types the test's suricata.yaml enables for eve-log
    (all when it has no list);
  - `shell` checks are run with the run's stderr in the file `stderr`, and `exit-code` is
    compared as "non-zero" (mqttdump exits 2 on a bad option, Suricata 1).
Configuration: app-layer.protocols.mqtt.max-msg-length -> --eve-max-msg-length, .max-tx ->
--eve-max-tx (also from `--set` in args), eve-log mqtt string-log-limit ->
--eve-string-log-limit, mqtt `passwords` (Suricata's default: yes) -> --show-secrets.
`requires: min-version` is met (mqttdump follows the newest schema).
Checks on alerts (event_type alert, alert.* fields), rules and frames (frame.*: mqttdump has
no rule engine and writes no frame records) are not applicable and counted apart.
Checks listed in tests/eve-verify-known.txt, where mqttdump is right and Suricata's
expectation is not (with the evidence there), are counted apart too; every other applicable
check must pass. Without ../shared/captures the test is skipped with a message.
"""
import json, os, re, subprocess, sys, tempfile

import yaml

# Tests whose pcap is another test's, byte for byte, and was not copied again (INDEX.md).
PCAP_ALIAS = {"mqtt-connect-rules": "mqtt-pub-rules"}


def sections(text):
    """The '########## NAME' sections of an expected file."""
    out, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^########## (\S+)", line)
        if m:
            name = m.group(1)
            out[name] = []
        elif name:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def find_value(path, obj):
    """suricata-verify's find_value: dotted path, optional [index] per part; None if absent."""
    for part in path.split("."):
        m = re.match(r"^(.*)\[(\d+)\]$", part)
        key, index = (m.group(1), int(m.group(2))) if m else (part, None)
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
        if index is not None:
            if not isinstance(obj, list) or index >= len(obj):
                return None
            obj = obj[index]
    return obj


def matches(rec, match):
    for key, want in match.items():
        if key == "has-key":
            if find_value(want, rec) is None:
                return False
            continue
        if key == "not-has-key":
            if find_value(want, rec) is not None:
                return False
            continue
        val = find_value(key, rec)
        if val is None:
            return False
        if val != want and str(val) != str(want):
            return False
    return True


def not_applicable(check):
    f = check.get("filter")
    if f is None:
        return "shell" not in check
    match = f.get("match") or {}
    if match.get("event_type") == "alert":
        return True
    keys = list(match.keys()) + [v for k, v in match.items() if k in ("has-key", "not-has-key")]
    return any(str(k).startswith(("alert.", "frame.", "rule")) for k in keys)


def enabled_types(suri):
    for out in (suri or {}).get("outputs") or []:
        eve = out.get("eve-log") if isinstance(out, dict) else None
        if eve and eve.get("types"):
            names, conf = set(), {}
            for t in eve["types"]:
                if isinstance(t, dict):
                    for k, v in t.items():
                        names.add(k)
                        conf[k] = v or {}
                else:
                    names.add(t)
            return names, conf
    return None, {}


def options(test, suri):
    """mqttdump's options standing for the test's Suricata configuration."""
    mqtt = (((suri or {}).get("app-layer") or {}).get("protocols") or {}).get("mqtt") or {}
    conf = dict(mqtt)
    for a in test.get("args") or []:
        for m in re.finditer(r"--set\s+app-layer\.protocols\.mqtt\.([\w-]+)=(\S+)", str(a)):
            conf[m.group(1)] = m.group(2)
    opts = []
    if "max-msg-length" in conf:
        opts += ["--eve-max-msg-length", str(conf["max-msg-length"])]
    if "max-tx" in conf:
        opts += ["--eve-max-tx", str(conf["max-tx"])]
    _, tconf = enabled_types(suri)
    mq = tconf.get("mqtt", {})
    if "string-log-limit" in mq:
        opts += ["--eve-string-log-limit", str(mq["string-log-limit"])]
    pw = mq.get("passwords", True)
    if pw is True or str(pw).lower() in ("yes", "true", "on"):
        opts.append("--show-secrets")
    return opts


def pcap_of(sv, name, test, pcaps):
    if test.get("pcap"):
        d, f = test["pcap"].split("/")[-2:]
        key = "%s__%s" % (PCAP_ALIAS.get(d, d), f)
    else:
        key = next((p for p in pcaps if p.startswith(PCAP_ALIAS.get(name, name) + "__")), None)
        if key is None:
            return None
    return os.path.join(sv, key)


def load_known(root):
    known = {}
    path = os.path.join(root, "tests", "eve-verify-known.txt")
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            test, idx, why = line.split(None, 2)
            known[(test, int(idx))] = why
    return known


def run_test(binp, sv, exp, pcaps, known, tally):
    text = open(os.path.join(sv, exp), encoding="utf-8").read()
    name = re.search(r"suricata-verify test '([^']+)'", text).group(1)
    sec = sections(text)
    test = yaml.safe_load(sec.get("test.yaml", "")) or {}
    suri = yaml.safe_load(sec["suricata.yaml"]) if sec.get("suricata.yaml", "").strip() else {}
    pcap = pcap_of(sv, name, test, pcaps)
    if not pcap or not os.path.exists(pcap):
        return name, ["no pcap for %s" % name]
    run = subprocess.run([binp, "-r", pcap, "--eve"] + options(test, suri),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    types, _ = enabled_types(suri)
    recs = []
    for line in run.stdout.decode("utf-8").splitlines():
        rec = json.loads(line)
        if types is None or rec["event_type"] in types:
            recs.append(rec)
    fails = []
    if "exit-code" in test and (test["exit-code"] != 0) != (run.returncode != 0):
        fails.append("exit status %d, Suricata's %d" % (run.returncode, test["exit-code"]))
    elif "exit-code" not in test and run.returncode != 0:
        fails.append("mqttdump failed: %s" % run.stderr.decode().strip())
    for i, check in enumerate(test.get("checks") or []):
        if not_applicable(check):
            tally["na"] += 1
            continue
        ok, what = evaluate(check, recs, run.stderr)
        if (name, i) in known:
            tally["known"] += 1
            if ok:
                fails.append("check %d is listed as known but passes: remove it" % i)
            continue
        tally["total"] += 1
        if ok:
            tally["passed"] += 1
        else:
            fails.append("check %d: %s" % (i, what))
    return name, fails


def evaluate(check, recs, stderr):
    if "shell" in check:
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "stderr"), "wb").write(stderr)
            out = subprocess.run(check["shell"]["args"], shell=True, cwd=d,
                                 stdout=subprocess.PIPE).stdout.decode().strip()
        want = str(check["shell"].get("expect", "")).strip()
        return out == want, "shell %r gave %r, expected %r" % (check["shell"]["args"].strip(),
                                                                out, want)
    f = check["filter"]
    n = sum(1 for r in recs if matches(r, f.get("match") or {}))
    ok = True
    if "count" in f:
        ok = n == f["count"]
    if "lt" in f:
        ok = ok and n < f["lt"]
    if "gt" in f:
        ok = ok and n > f["gt"]
    if not ok:
        near = [r for r in recs if r["event_type"] == (f.get("match") or {}).get("event_type")]
        return False, "%d records match %s (count %s); records of the type: %s" % (
            n, json.dumps(f.get("match")), f.get("count"),
            json.dumps(near)[:1500])
    return True, ""


def main():
    binp, root = sys.argv[1], sys.argv[2]
    sv = os.path.normpath(os.path.join(root, "..", "shared", "captures", "suricata-verify"))
    if not os.path.isdir(sv):
        print("1..0 # SKIP %s is absent (the suricata-verify corpus)" % sv)
        return 0
    files = sorted(os.listdir(sv))
    pcaps = [f for f in files if f.endswith(".pcap")]
    exps = [f for f in files if f.endswith(".expected.txt")]
    known = load_known(root)
    tally = {"passed": 0, "total": 0, "na": 0, "known": 0}
    print("1..%d" % (len(exps) + 1))
    bad = 0
    for i, exp in enumerate(exps, 1):
        name, fails = run_test(binp, sv, exp, pcaps, known, tally)
        if fails:
            bad += 1
            print("not ok %d - %s" % (i, name))
            for f in fails:
                print("#   %s" % f)
        else:
            print("ok %d - %s" % (i, name))
    unused = [k for k in known if not any(e.startswith(k[0]) for e in exps)]
    print("%s %d - every known entry names a test%s" % (
        "not ok" if unused else "ok", len(exps) + 1, (": %s" % unused) if unused else ""))
    print("# applicable checks passed: %d / %d; known differences: %d; not applicable "
          "(alerts, rules, frames): %d" % (tally["passed"], tally["total"], tally["known"],
                                          tally["na"]))
    return 1 if bad or unused else 0


if __name__ == "__main__":
    sys.exit(main())
