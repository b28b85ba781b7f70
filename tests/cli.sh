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
echo "1..69"

check "no input named" 2 "give one of -r FILE or -i IFACE" -- "$bin"
check "unknown option" 2 "" -- "$bin" --no-such-option
check "stray argument" 2 "unexpected argument" -- "$bin" -r "$cap" extra
check "bad port" 2 "-p: \"0\" is not a number" -- "$bin" -r "$cap" -p 0
check "bad count" 2 "-c: \"abc\" is not a number" -- "$bin" -r "$cap" -c abc
check "bad --stats-interval" 2 "--stats-interval: \"0\" is not a number of seconds" -- \
	"$bin" -r "$cap" --stats-interval 0
check "--stats-interval beside -w -" 2 "--stats-interval cannot write there too" -- \
	"$bin" -r "$cap" --stats-interval 1 -w -
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

# -w: the frames that carry the messages, in a pcap that mqttdump reads back to the same
# messages (frame numbers and times change; the Info column does not).
info() { sed 's/^ *[0-9]* *[0-9.-]* *//' "$1"; } # drop frame number and time
"$bin" -r - -q -w "$tmp/x.pcap" < "$cap" 2> /dev/null
"$bin" -r "$cap" -q -w "$tmp/y.pcap" 2> /dev/null
ok "-w from standard input: one pass, the same file as from -r FILE" 'cmp -s "$tmp/x.pcap" "$tmp/y.pcap" && [ "$(stat -c %s "$tmp/x.pcap")" -gt 24 ]'
check "-w unwritable" 1 "-w" -- "$bin" -r "$cap" -w "$tmp/no/such/dir.pcap"
for c in qos2 large-message websocket many-per-segment; do
	f=$root/captures/$c.pcap
	"$bin" -r "$f" -w "$tmp/w-$c.pcap" > "$tmp/w-$c.txt" 2> "$tmp/w-$c.err"
	"$bin" -r "$tmp/w-$c.pcap" > "$tmp/r-$c.txt" 2> "$tmp/r-$c.err"
	# messages in, messages out
	nin=$(sed -n 's/.* \([0-9]*\) MQTT messages,.*/\1/p' "$tmp/w-$c.err" | head -1)
	nout=$(sed -n 's/.* \([0-9]*\) MQTT messages,.*/\1/p' "$tmp/r-$c.err" | head -1)
	ok "-w $c: $nin messages read back" '[ -n "$nin" ] && [ "$nin" -gt 0 ] && [ "$nin" = "$nout" ]'
done
# qos2: one message per frame, nothing else written; the Info column unchanged
ok "-w qos2: 16 frames written, Info unchanged" 'grep -q ": 16 frames holding 16 MQTT messages" "$tmp/w-qos2.err" && diff <(info "$tmp/w-qos2.txt") <(info "$tmp/r-qos2.txt") > /dev/null'
# a 256 KiB message over many segments: all of them, so it reads back whole
ok "-w large-message: every segment of the big messages" 'diff <(info "$tmp/w-large-message.txt") <(info "$tmp/r-large-message.txt") > /dev/null && [ "$(grep -c "Publish Message" "$tmp/r-large-message.txt")" -eq 2 ]'
# TLS without keys: no MQTT message, so no frame
"$bin" -r "$root/captures/tls12.pcap" -q -w "$tmp/w-tls.pcap" 2> "$tmp/w-tls.err"
ok "-w tls12 without keys: 0 frames" 'grep -q ": 0 frames holding 0 MQTT messages" "$tmp/w-tls.err"'
# --detect finds the broker on port 18830; without it nothing is followed there
"$bin" -r "$root/captures/port18830.pcap" --detect > "$tmp/d.txt" 2>/dev/null
"$bin" -r "$root/captures/port18830.pcap" > "$tmp/nd.txt" 2>/dev/null
ok "--detect: MQTT on port 18830 reported and decoded" 'grep -q "MQTT detected on port 18830" "$tmp/d.txt" && grep -q "Publish Message \[odd/port\]" "$tmp/d.txt" && [ ! -s "$tmp/nd.txt" ]'

# WebSocket: captures/websocket.pcap (and wss.pcap, WebSocket in TLS on 443) hold both sides
# of tools/ws_relay.py, the client's WebSocket connections and the relay's plain ones to the
# broker (1883). The MQTT decoded from WebSocket must be the MQTT on 1883, message for
# message.
for w in "websocket 9001" "wss 443"; do
read -r wname wport <<< "$w"
(cd "$root/captures" && "$bin" -r "$wname.pcap" --tls-port 443 --keylog wss.keys --json) > "$tmp/ws.jsonl" 2>/dev/null
ok "$wname: MQTT read from WebSocket = the same MQTT on 1883" 'python3 -c "
import json,sys
by={}
for l in open(sys.argv[1]):
    o=json.loads(l)
    if \"type_id\" not in o: continue
    port=o[\"dport\"] if o[\"from\"]==\"client\" else o[\"sport\"]
    by.setdefault(port,{}).setdefault(o[\"stream\"],[]).append((o[\"from\"],o[\"type\"],o.get(\"msgid\"),o.get(\"topic\"),o.get(\"payload_len\"),o[\"length\"]))
ws=[by[int(sys.argv[2])][k] for k in sorted(by[int(sys.argv[2])])]
tcp=[by[1883][k] for k in sorted(by[1883])]
assert len(ws)==2 and len(tcp)==2, (len(ws),len(tcp))
for a,b in zip(ws,tcp):
    for side in (\"client\",\"broker\"):
        x=[m for m in a if m[0]==side]; y=[m for m in b if m[0]==side]
        assert x==y and len(x)>3, (side,x,y)
" "$tmp/ws.jsonl" "$wport"'
done

# No cap on ports: 100 -p ports and a --tls-port all followed (the TLS port used to be
# dropped silently behind 64 ports, and -p refused a 65th).
many=$(for p in $(seq 20001 20099); do printf -- '-p %s ' "$p"; done)
# shellcheck disable=SC2086
(cd "$root/captures" && "$bin" -r wss.pcap $many -p 1883 --tls-port 443 --keylog wss.keys) > "$tmp/many.txt" 2> "$tmp/many.err"
(cd "$root/captures" && "$bin" -r wss.pcap --tls-port 443 --keylog wss.keys) > "$tmp/few.txt" 2> "$tmp/few.err"
ok "100 -p ports and --tls-port: the same as -p 1883 alone" 'cmp -s "$tmp/many.txt" "$tmp/few.txt" && cmp -s "$tmp/many.err" "$tmp/few.err" && grep -q "TLS" "$tmp/many.txt" && ! grep -q " 0 MQTT messages" "$tmp/many.err"'
# shellcheck disable=SC2086
"$bin" -r "$root/captures/port18830.pcap" $many -p 18830 > "$tmp/p100.txt" 2>/dev/null
ok "the 100th -p port is followed" 'grep -q "Publish Message \[odd/port\]" "$tmp/p100.txt"'

# TLS without keys: every session reported with its handshake, nothing decoded as MQTT;
# with the key log, the MQTT inside; with wrong secrets, said so and still nothing.
"$bin" -r "$root/captures/tls12.pcap" > "$tmp/t.txt" 2> "$tmp/t.err"
ok "TLS without keys: 5 sessions, 0 MQTT messages" '[ "$(grep -c "Client Hello (SNI=broker.local" "$tmp/t.txt")" -eq 5 ] && [ "$(grep -c "NOTE \[TLS session broker.local: TLSv1.2, .*not decrypted\]" "$tmp/t.txt")" -eq 5 ] && ! grep -q " MQTT " "$tmp/t.txt" && grep -q " 0 MQTT messages" "$tmp/t.err"'
"$bin" -r "$root/captures/tls12.pcap" --keylog "$root/captures/tls12.keys" > "$tmp/k.txt" 2> "$tmp/k.err"
ok "TLS with the key log: 55 MQTT messages over 5 suites" 'grep -q " 55 MQTT messages" "$tmp/k.err" && [ "$(grep -c "Connect Command" "$tmp/k.txt")" -eq 5 ]'
awk 'NF == 3 { $3 = (substr($3, 1, 1) == "0" ? "1" : "0") substr($3, 2) } { print }' "$root/captures/tls12.keys" > "$tmp/wrong.keys"
"$bin" -r "$root/captures/tls12.pcap" --keylog "$tmp/wrong.keys" > "$tmp/w.txt" 2> "$tmp/w.err"
ok "TLS with wrong secrets: said so, nothing decoded" 'grep -q "does not decrypt" "$tmp/w.txt" && grep -q " 0 MQTT messages" "$tmp/w.err"'
# A key log that fills in while mqttdump runs (live capture): read again when it changes.
# It is empty when mqttdump starts; the secrets are appended while the capture streams in.
: > "$tmp/live.keys"
( head -c 9973 "$root/captures/tls12.pcap"; sleep 1; cat "$root/captures/tls12.keys" >> "$tmp/live.keys"
  sleep 0.3; tail -c +9974 "$root/captures/tls12.pcap" ) |
	"$bin" -r - --keylog "$tmp/live.keys" > "$tmp/live.txt" 2> "$tmp/live.err"
ok "--keylog read again when it grows" 'n=$(sed -n "s/.* \([0-9]*\) MQTT messages.*/\1/p" "$tmp/live.err"); [ "${n:-0}" -ge 33 ]'
check "--keylog missing file" 1 "--keylog" -- "$bin" -r "$cap" --keylog "$tmp/no.keys"
"$bin" -r "$root/captures/tls-nocert.pcap" --json > "$tmp/n.jsonl" 2>/dev/null
ok "failed handshake: no client certificate" 'grep "\"event\":\"tls_session\"" "$tmp/n.jsonl" | grep -q "\"handshake\":\"failed\",\"failure\":\"Handshake Failure alert from the broker: the broker asked for a client certificate and got none\""'

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

# The man page documents every option --help lists (docs stay in step with the code).
missing=$("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | while read -r o; do
	grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$root/docs/mqttdump.1" || echo "$o"
done)
ok "every option of --help is in the man page${missing:+ (missing: $missing)}" '[ -z "$missing" ]'
# The version is said once (meson.build's project()); the man page's header says the same.
ver=$("$bin" --version)
ok "--version ($ver) is the man page's" 'grep -q "^\.TH MQTTDUMP 1 .*\"$ver\"" "$root/docs/mqttdump.1"'
exit $fail
