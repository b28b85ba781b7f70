#!/usr/bin/env bash
# Golden tests of the session outputs: for every capture in captures/ (and damaged/), the
# timeline (--timeline -: NAME.timeline.json) and the statistics (--stats: NAME.stats.txt)
# compared with the files in captures/expected/; the timeline must also be valid JSON. Then
# the filters (--topic, --client, --type) over a few captures, each output in
# captures/expected/filters/CASE.out. tests/regen.sh rewrites them all.
# TAP output. Usage: sessions.sh MQTTDUMP SOURCE_ROOT
set -u
bin=$1
root=$2
caps=$(cd "$root/captures" && ls *.pcap *.pcapng damaged/*.pcap 2>/dev/null | sort)
# CASE|CAPTURE|ARGUMENTS (also in tests/regen.sh)
filters=$(sed -e '/^#/d' -e '/^ *$/d' "$root/tests/filters.list")
n=$(printf '%s\n' $caps | grep -c .)
nf=$(printf '%s\n' "$filters" | grep -c .)
echo "1..$((n * 2 + nf + 3))"
i=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/json"

check() { # DESCRIPTION EXPECTED [json] -- mqttdump arguments
	local what=$1 exp=$2 json=$3
	shift 4
	i=$((i + 1))
	# from captures/, where the .args files' relative names (--keylog tls12.keys) point
	if ! (cd "$root/captures" && "$bin" "$@") > "$tmp/out" 2> "$tmp/err"; then
		echo "not ok $i - $what: mqttdump failed: $(tail -1 "$tmp/err")"
		fail=1
	elif [ ! -f "$exp" ]; then
		echo "not ok $i - $what: no expected file $exp (run tests/regen.sh)"
		fail=1
	elif ! diff -u "$exp" "$tmp/out" > "$tmp/diff"; then
		echo "not ok $i - $what differs from expected"
		head -20 "$tmp/diff" | sed 's/^/# /'
		fail=1
	else
		echo "ok $i - $what"
	fi
	# JSON documents are checked together at the end (one python3 start)
	[ "$json" = json ] && cp "$tmp/out" "$tmp/json/$i.json"
}

for c in $caps; do
	name=${c%.*}
	args=()
	[ -f "$root/captures/$name.args" ] && read -r -a args < "$root/captures/$name.args"
	check "$c timeline" "$root/captures/expected/$name.timeline.json" json -- \
		-r "$root/captures/$c" "${args[@]}" -q --timeline -
	check "$c stats" "$root/captures/expected/$name.stats.txt" text -- \
		-r "$root/captures/$c" "${args[@]}" -q --stats
done
while IFS='|' read -r case cap fargs; do
	[ -n "$case" ] || continue
	read -r -a a <<< "$fargs"
	kind=text
	case " $fargs " in *" --timeline - "*|*" --json "*|*"--stats=json"*) kind=json ;; esac
	[ "$kind" = json ] && case " $fargs " in *" --json "*) kind=jsonl ;; esac
	check "filter $case" "$root/captures/expected/filters/$case.out" "$kind" -- \
		-r "$root/captures/$cap" "${a[@]}"
done <<< "$filters"
i=$((i + 1))
if bad=$(python3 -c '
import json, sys
for f in sys.argv[1:]:
    try:
        json.load(open(f))
    except ValueError as e:
        print("%s: %s" % (f.rsplit("/", 1)[1], e))
' "$tmp"/json/*.json) && [ -z "$bad" ]; then
	echo "ok $i - every timeline and stats=json output is valid JSON"
else
	echo "not ok $i - invalid JSON (by test number): $bad"
	fail=1
fi
# Every anomaly kind comes from at least one committed capture, and from none of those
# mosquitto made (the list in captures/make-captures.sh).
i=$((i + 1))
clean=$(sed -n 's/^all="\(.*\)"$/\1/p' "$root/captures/make-captures.sh")
if bad=$(python3 -c '
import json, sys, glob, os
exp, clean = sys.argv[1], sys.argv[2].split()
kinds = {"ack_without_request", "second_connect", "before_connect", "keepalive_exceeded",
         "qos2_unfinished", "packet_id_reused", "wrong_direction"}
seen, errors = set(), []
for f in sorted(glob.glob(os.path.join(exp, "*.timeline.json"))):
    name = os.path.basename(f)[:-len(".timeline.json")]
    found = {e["kind"] for s in json.load(open(f))["sessions"] for e in s["events"]
             if e["type"] == "anomaly"}
    seen |= found
    if name in clean and found:
        errors.append("%s (made by mosquitto) raises %s" % (name, sorted(found)))
    if name.startswith("anomaly-") and not found:
        errors.append("%s raises nothing" % name)
errors += ["no capture raises %s" % k for k in sorted(kinds - seen)]
if not clean:
    errors.append("no mosquitto capture list")
print("; ".join(errors))
' "$root/captures/expected" "$clean") && [ -z "$bad" ]; then
	echo "ok $i - every anomaly kind in a committed capture, none in the mosquitto captures"
else
	echo "not ok $i - anomaly coverage: $bad"
	fail=1
fi
# The statistics agree with the timeline: transaction counts, and latencies (median and
# 95th percentile to 3 significant digits, maximum exact, all printed to the microsecond).
i=$((i + 1))
c200=$root/captures/clients-200.pcap
"$bin" -r "$c200" -q --timeline - > "$tmp/c200.json" 2> /dev/null
"$bin" -r "$c200" -q --stats=json > "$tmp/c200.stats.json" 2> /dev/null
if bad=$(python3 -c '
import json, sys, math, statistics
tl, st = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lat = {"CONNACK": [], "PUBACK": [], "PUBCOMP": [], "SUBACK": [], "PINGRESP": []}
for s in tl["sessions"]:
    for t in s["transactions"]:
        if "latency" not in t:
            continue
        k = {"connect": "CONNACK", "subscribe": "SUBACK", "ping": "PINGRESP"}.get(t["kind"])
        if t["kind"] == "publish":
            k = "PUBACK" if t["qos"] == 1 else "PUBCOMP" if t.get("last") == "PUBCOMP" else None
        if k:
            lat[k].append(t["latency"])
err = []
if len(tl["sessions"]) != 200 or st["sessions"]["total"] != 200:
    err.append("not 200 sessions")
for k, v in lat.items():
    got = st["latency"][k]
    if got["count"] != len(v):
        err.append("%s count %d, timeline %d" % (k, got["count"], len(v)))
        continue
    if not v:
        continue
    v.sort()
    for name, p in (("median", 0.5), ("p95", 0.95)):
        # the median of an even count: the mean of the two middle values
        want = statistics.median(v) if p == 0.5 else v[max(1, math.ceil(p * len(v))) - 1]
        if not (want * 0.99 - 1e-6 <= got[name] <= want + 1e-6):
            err.append("%s %s %s, timeline %s" % (k, name, got[name], want))
    if abs(got["max"] - v[-1]) > 1e-6:
        err.append("%s max %s, timeline %s" % (k, got["max"], v[-1]))
print("; ".join(err))
' "$tmp/c200.json" "$tmp/c200.stats.json") && [ -z "$bad" ]; then
	echo "ok $i - clients-200: 200 sessions, statistics agree with the timeline's latencies"
else
	echo "not ok $i - clients-200 statistics vs timeline: $bad"
	fail=1
fi
exit $fail
