#!/usr/bin/env bash
# Command-line behaviour: bad input gets one clear line and the right exit status.
# TAP output. Usage: cli.sh MQTTDUMP SOURCE_ROOT
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
fail=0

# check NAME EXPECTED_STATUS STDERR_PATTERN -- CMD...
check() {
	local name=$1 want=$2 pat=$3
	shift 4
	i=$((i + 1))
	"$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	local got=$?
	if [ "$got" -ne "$want" ]; then
		echo "not ok $i - $name: exit $got, wanted $want ($(head -1 "$tmp/err"))"
		fail=1
	elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err"; then
		echo "not ok $i - $name: stderr lacks \"$pat\": $(head -2 "$tmp/err")"
		fail=1
	else
		echo "ok $i - $name"
	fi
}

ok() {
	i=$((i + 1))
	if eval "$2"; then echo "ok $i - $1"; else echo "not ok $i - $1"; fail=1; fi
}

# a clean capture with a full session: the first of these that exists
cap=
for c in sub-pub-ping qos1 mqtt311 qos2; do
	[ -f "$root/captures/$c.pcap" ] && { cap=$root/captures/$c.pcap; break; }
done
[ -n "$cap" ] || cap=$(ls "$root"/captures/*.pcap | grep -v malformed | head -1)
[ -n "$cap" ] || cap=$(ls "$root"/captures/*.pcap | head -1)
echo "1..32"

check "no input named" 2 "give one of -r FILE or -i IFACE" -- "$bin"
check "unknown option" 2 "" -- "$bin" --no-such-option
check "stray argument" 2 "unexpected argument" -- "$bin" -r "$cap" extra
check "bad port" 2 "-p: \"0\" is not a number" -- "$bin" -r "$cap" -p 0
check "bad count" 2 "-c: \"abc\" is not a number" -- "$bin" -r "$cap" -c abc
check "missing file" 1 "No such file or directory" -- "$bin" -r "$tmp/nothing.pcap"
printf 'this is not a capture file at all\n' > "$tmp/text.pcap"
check "not a capture" 1 "not a pcap or pcapng capture" -- "$bin" -r "$tmp/text.pcap"
: > "$tmp/empty.pcap"
check "empty file" 1 "empty file" -- "$bin" -r "$tmp/empty.pcap"
# a pcap header with link type 147 (USER0)
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' > "$tmp/user0.pcap"
check "unsupported link type" 1 "link type 147" -- "$bin" -r "$tmp/user0.pcap"
check "bad filter" 2 "bad filter" -- "$bin" -r "$cap" -f "tcp port ninety"
check "no such interface" 1 "no-such-if0" -- "$bin" -i no-such-if0
check "help" 0 "" -- "$bin" --help
ok "help lists -r and --json" 'grep -q -- "--json" "$tmp/out" && grep -q -- "-r FILE" "$tmp/out"'
check "version" 0 "" -- "$bin" --version

# A file cut inside a record: everything before it, a warning, status 0.
size=$(stat -c %s "$cap")
head -c $((size - 7)) "$cap" > "$tmp/cut.pcap"
check "truncated file warns" 0 "the file ends inside a record" -- "$bin" -r "$tmp/cut.pcap"
"$bin" -r "$cap" > "$tmp/full.txt" 2>/dev/null
"$bin" -r "$tmp/cut.pcap" > "$tmp/cut.txt" 2>/dev/null
ok "truncated file keeps what came before" '[ -s "$tmp/cut.txt" ] && [ "$(wc -l < "$tmp/cut.txt")" -ge "$(($(wc -l < "$tmp/full.txt") - 1))" ]'

# Standard input gives what the file gives.
"$bin" -r - < "$cap" > "$tmp/stdin.txt" 2>/dev/null
ok "-r - reads standard input" 'cmp -s "$tmp/stdin.txt" "$tmp/full.txt" && [ -s "$tmp/full.txt" ]'

# -c N stops after N messages.
"$bin" -r "$cap" --json -c 3 > "$tmp/c3.jsonl" 2>/dev/null
ok "-c 3 gives three messages" '[ "$(grep -c "\"type_id\"" "$tmp/c3.jsonl")" -eq 3 ]'

# -q prints only the statistics line, on stderr.
check "quiet" 0 "MQTT messages" -- "$bin" -r "$cap" -q
ok "quiet prints nothing on stdout" '[ ! -s "$tmp/out" ]'

# Every JSON line parses and messages carry the stable keys.
"$bin" -r "$cap" --json > "$tmp/all.jsonl" 2>/dev/null
ok "JSON lines parse, with frame/ts/type/label" 'python3 -c "
import json,sys
n=0
for l in open(sys.argv[1]):
    o=json.loads(l)
    if \"type_id\" in o:
        n+=1
        assert all(k in o for k in (\"frame\",\"ts\",\"stream\",\"src\",\"dst\",\"from\",\"type\",\"label\")), o
        assert \"length\" in o or o.get(\"malformed\") or o.get(\"incomplete\") or o.get(\"truncated\"), o
assert n>0
" "$tmp/all.jsonl"'

# Session outputs and filters.
check "bad --type" 2 "--type: \"BOGUS\" is not an MQTT packet type" -- "$bin" -r "$cap" --type BOGUS
check "bad --stats" 2 "--stats: \"xml\" is not text or json" -- "$bin" -r "$cap" --stats=xml
check "unwritable --timeline" 1 "--timeline: $tmp/no/dir/t.json" -- "$bin" -r "$cap" --timeline "$tmp/no/dir/t.json"
check "--timeline to a file" 0 "" -- "$bin" -r "$cap" -q --timeline "$tmp/t.json"
ok "the timeline file is JSON with sessions" 'python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
assert d[\"sessions\"] and all(\"transactions\" in s and \"events\" in s for s in d[\"sessions\"])
" "$tmp/t.json"'
"$bin" -r "$cap" -c 3 -q --timeline - > "$tmp/c3.json" 2>/dev/null
ok "-c 3 with --timeline: sessions left open end at capture_end" 'grep -q "\"ended\":\"capture_end\"" "$tmp/c3.json"'
"$bin" -r "$cap" --type CONNECT > "$tmp/type.txt" 2>/dev/null
ok "--type CONNECT: only Connect Command lines" '[ -s "$tmp/type.txt" ] && ! grep -v "Connect Command" "$tmp/type.txt"'
"$bin" -r "$cap" --client no-such-client --json > "$tmp/client.jsonl" 2>/dev/null
ok "--client with no match: nothing" '[ ! -s "$tmp/client.jsonl" ]'
"$bin" -r "$cap" --type DISCONNECT -c 2 > "$tmp/c2.txt" 2>/dev/null
ok "-c counts the messages that pass the filters" '[ "$(grep -c "Disconnect Req" "$tmp/c2.txt")" -eq 2 ] && [ "$(wc -l < "$tmp/c2.txt")" -eq 2 ]'
"$bin" -r "$cap" -q --stats --stats=json > "$tmp/stats.json" 2>/dev/null
ok "--stats=json parses" 'python3 -m json.tool "$tmp/stats.json" > /dev/null'

# A capture holding no MQTT prints nothing and succeeds.
"$bin" -r "$cap" -p 9 > "$tmp/none.txt" 2>/dev/null
ok "other port: no lines" '[ ! -s "$tmp/none.txt" ]'
exit $fail
