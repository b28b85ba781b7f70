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
echo "1..35"

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

# A capture holding no MQTT prints nothing and succeeds.
"$bin" -r "$cap" -p 9 > "$tmp/none.txt" 2>/dev/null
ok "other port: no lines" '[ ! -s "$tmp/none.txt" ]'
# Teaching options.
check "bad --lang" 2 "--lang: \"de\" is not en or fr" -- "$bin" -r "$cap" --explain --lang de
check "bad --diagram kind" 2 "is not text, svg or html" -- "$bin" -r "$cap" --diagram=pdf
check "--diagram=svg without FILE" 2 "give the FILE" -- "$bin" -r "$cap" --diagram=svg
check "--diagram=svg unwritable" 1 "$tmp/no/dir.svg" -- "$bin" -r "$cap" --diagram=svg "$tmp/no/dir.svg"
"$bin" -r "$cap" --diagram=svg "$tmp/d.svg" > "$tmp/with-svg.txt" 2>/dev/null
ok "--diagram=svg FILE keeps the normal output" 'cmp -s "$tmp/with-svg.txt" "$tmp/full.txt" && grep -q "<svg" "$tmp/d.svg"'
env LC_ALL= LC_MESSAGES= LANG=fr_FR.UTF-8 "$bin" -r "$cap" --explain > "$tmp/fr.txt" 2>/dev/null
ok "LANG=fr_FR gives French explanations" 'grep -q "Le client" "$tmp/fr.txt"'
env LC_ALL=C LANG=fr_FR.UTF-8 "$bin" -r "$cap" --explain > "$tmp/en.txt" 2>/dev/null
ok "LC_ALL wins over LANG" 'grep -q "The client" "$tmp/en.txt" && ! grep -q "Le client" "$tmp/en.txt"'
env LC_ALL= LANG=fr_FR.UTF-8 "$bin" -r "$cap" --explain --lang en > "$tmp/en2.txt" 2>/dev/null
ok "--lang wins over the locale" 'cmp -s "$tmp/en.txt" "$tmp/en2.txt"'
"$bin" -r "$cap" --diagram --diagram-max 3 > "$tmp/cut.txt" 2>/dev/null
ok "--diagram-max cuts with a note" '[ "$(grep -c -- "-|\||-" "$tmp/cut.txt")" -eq 3 ] && grep -q "diagram cut after 3 messages" "$tmp/cut.txt"'
ok "diagram not in colour into a pipe" '! grep -q $(printf "\033") "$tmp/cut.txt"'
"$bin" -r "$cap" -c 1 -V -x --explain --lang en > "$tmp/vxe.txt" 2>/dev/null
ok "-V -x --explain: tree, explanation, dump" 'awk "/Client ID:/ {a=NR} /The client/ {b=NR} /^0000 / {c=NR} END {exit !(a && a < b && b < c)}" "$tmp/vxe.txt"'
if command -v script > /dev/null; then
	script -qec "\"$bin\" -r \"$cap\" --diagram" /dev/null > "$tmp/tty.txt" 2>/dev/null < /dev/null
	ok "diagram in colour on a terminal" 'grep -q $(printf "\033")"\[3" "$tmp/tty.txt"'
	NO_COLOR=1 script -qec "\"$bin\" -r \"$cap\" --diagram" /dev/null > "$tmp/tty2.txt" 2>/dev/null < /dev/null
	ok "NO_COLOR: no colour on a terminal" 'grep -q "Connect Command" "$tmp/tty2.txt" && ! grep -q $(printf "\033")"\[3" "$tmp/tty2.txt"'
else
	i=$((i + 1)); echo "ok $i - # SKIP script(1) not installed"
	i=$((i + 1)); echo "ok $i - # SKIP script(1) not installed"
fi
exit $fail
