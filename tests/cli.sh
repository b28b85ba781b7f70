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

check "no input named" 2 "give one of -r FILE or -i IFACE" -- "$bin"
check "unknown option" 2 "" -- "$bin" --no-such-option
check "stray argument" 2 "unexpected argument" -- "$bin" -r "$cap" extra
check "bad port" 2 "-p: \"0\" is not a number" -- "$bin" -r "$cap" -p 0
check "bad count" 2 "-c: \"abc\" is not a number" -- "$bin" -r "$cap" -c abc
check "bad --stats-interval" 2 "--stats-interval: \"0\" is not a number of seconds" -- \
	"$bin" -r "$cap" --stats-interval 0
check "--stats-interval beside -w -" 2 "-w - and --stats-interval both write to the standard output" -- \
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
"$bin" -r "$cap" -p 9 --no-default-ports > "$tmp/none.txt" 2>/dev/null
ok "-p 9 --no-default-ports: no lines" '[ ! -s "$tmp/none.txt" ]'
"$bin" -r "$cap" -p 9 > "$tmp/p9.txt" 2>/dev/null
ok "-p 9 adds to 1883: the same lines as without" 'cmp -s "$tmp/p9.txt" "$tmp/full.txt"'

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
check "bad --lang" 2 "--lang: \"de\" is not en or a language with a message catalogue" -- "$bin" -r "$cap" --explain --lang de
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


# ---- issue 14: ports add, never replace -------------------------------------------------
# tls13.pcap with its second connection moved from 8883 to 8884 (TCP ports rewritten;
# nothing checks TCP checksums here): --tls-port 8884 must keep 8883 and decrypt both, as
# tshark decrypts the original (its count is the oracle).
python3 - "$root/captures/tls13.pcap" "$tmp/tls8884.pcap" 35753 8884 <<'PY'
import struct, sys
src, dst, cport, newport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
b = bytearray(open(src, "rb").read())
off = 24
while off + 16 <= len(b):
    incl = struct.unpack_from("<I", b, off + 8)[0]
    p = off + 16
    if b[p + 12:p + 14] == b"\x08\x00":                  # Ethernet, IPv4
        ip = p + 14
        tcp = ip + (b[ip] & 15) * 4
        sp, dp = struct.unpack_from(">HH", b, tcp)
        if cport in (sp, dp):
            struct.pack_into(">HH", b, tcp, newport if sp == 8883 else sp,
                             newport if dp == 8883 else dp)
    off = p + incl
open(dst, "wb").write(b)
PY
n_tshark=$(tshark -r "$root/captures/tls13.pcap" -o "tls.keylog_file:$root/captures/tls13.keys" -Y mqtt -T fields -e mqtt.msgtype 2>/dev/null | tr ',' '\n' | grep -c .)
msgs() { sed -n 's/.* \([0-9]*\) MQTT messages,.*/\1/p' "$1" | head -1; }
"$bin" -r "$tmp/tls8884.pcap" --keylog "$root/captures/tls13.keys" --tls-port 8884 -q 2> "$tmp/p1.err"
"$bin" -r "$tmp/tls8884.pcap" --keylog "$root/captures/tls13.keys" -q 2> "$tmp/p2.err"
ok "--tls-port 8884 adds to 8883: both TLS sessions decrypted ($(msgs "$tmp/p1.err") messages, tshark ${n_tshark:-?} on the original)" '[ "$(msgs "$tmp/p1.err")" = "$n_tshark" ] && [ "$n_tshark" -gt 0 ] && [ "$(msgs "$tmp/p2.err")" -lt "$n_tshark" ]'
"$bin" -r "$tmp/tls8884.pcap" --keylog "$root/captures/tls13.keys" --tls-port 8884 --no-default-ports -q 2> "$tmp/p3.err"
ok "--no-default-ports --tls-port 8884: only the 8884 session" '[ "$(msgs "$tmp/p3.err")" -gt 0 ] && [ "$(msgs "$tmp/p3.err")" -lt "$n_tshark" ]'
"$bin" -r "$root/captures/port18830.pcap" -p 18830 -q 2> "$tmp/p4.err"
"$bin" -r "$root/captures/port18830.pcap" -p 18830 --no-default-ports -q 2> "$tmp/p5.err"
ok "-p 18830 with or without the defaults: the same messages there" '[ "$(msgs "$tmp/p4.err")" -gt 0 ] && [ "$(msgs "$tmp/p4.err")" = "$(msgs "$tmp/p5.err")" ]'
check "--no-default-ports alone: nothing to follow" 2 "no port left to follow" -- "$bin" -r "$cap" --no-default-ports
ok "--help says the defaults stay" '"$bin" --help | grep -q -- "--no-default-ports"'

# --detect with a key log also finds TLS on a port nobody named: tls13.pcap moved to
# 18884 whole, and wss.pcap (MQTT over WebSocket over TLS on 443) without --tls-port 443.
python3 - "$root/captures/tls13.pcap" "$tmp/tls-odd.pcap" 0 18884 <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
new = int(sys.argv[4])
off = 24
while off + 16 <= len(b):
    incl = struct.unpack_from("<I", b, off + 8)[0]
    p = off + 16
    if b[p + 12:p + 14] == b"\x08\x00":
        ip = p + 14
        tcp = ip + (b[ip] & 15) * 4
        sp, dp = struct.unpack_from(">HH", b, tcp)
        struct.pack_into(">HH", b, tcp, new if sp == 8883 else sp, new if dp == 8883 else dp)
    off = p + incl
open(sys.argv[2], "wb").write(b)
PY
"$bin" -r "$tmp/tls-odd.pcap" --detect --keylog "$root/captures/tls13.keys" > "$tmp/do.txt" 2> "$tmp/do.err"
ok "--detect --keylog: TLS on port 18884 found and decrypted (tshark's ${n_tshark:-?} messages)" '[ "$(msgs "$tmp/do.err")" = "$n_tshark" ] && [ "$(grep -c "MQTT detected in TLS on port 18884" "$tmp/do.txt")" -eq 2 ]'
"$bin" -r "$tmp/tls-odd.pcap" --detect --keylog "$root/captures/tls12.keys" > "$tmp/dw.txt" 2> "$tmp/dw.err"
"$bin" -r "$tmp/tls-odd.pcap" --detect > "$tmp/dn.txt" 2> "$tmp/dn.err"
ok "--detect: TLS whose keys are not logged, or without a key log, stays ignored" '[ "$(msgs "$tmp/dw.err")" -eq 0 ] && [ ! -s "$tmp/dw.txt" ] && [ "$(msgs "$tmp/dn.err")" -eq 0 ] && [ ! -s "$tmp/dn.txt" ]'
(cd "$root/captures" && "$bin" -r wss.pcap --detect --keylog wss.keys -q) 2> "$tmp/dws.err"
(cd "$root/captures" && "$bin" -r wss.pcap --tls-port 443 --keylog wss.keys -q) 2> "$tmp/dws2.err"
ok "--detect --keylog: wss:// on 443 found without --tls-port 443 ($(msgs "$tmp/dws.err") messages)" '[ "$(msgs "$tmp/dws.err")" -gt 24 ] && [ "$(msgs "$tmp/dws.err")" = "$(msgs "$tmp/dws2.err")" ]'

# ---- one owner of the standard output ---------------------------------------------------
"$bin" -r "$cap" --timeline - > "$tmp/tl.json" 2> /dev/null
ok "--timeline - without -q: the standard output is the JSON document alone" 'python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/tl.json"'
"$bin" -r "$cap" --stats=json > "$tmp/sj.json" 2> /dev/null
ok "--stats=json without -q: the standard output is the JSON object alone" 'jq -e .messages "$tmp/sj.json" > /dev/null'
"$bin" -r "$cap" -w - 2> /dev/null > "$tmp/wdash.pcap"
ok "-w - without -q: the standard output is a pcap alone (capinfos reads it)" 'capinfos -c "$tmp/wdash.pcap" > /dev/null 2>&1 && [ "$(head -c 4 "$tmp/wdash.pcap" | od -An -tx1 | tr -d " ")" = d4c3b2a1 ] || [ "$(head -c 4 "$tmp/wdash.pcap" | od -An -tx1 | tr -d " ")" = 4d3cb2a1 ]'
check "two documents on stdout refused" 2 "--timeline - and --stats=json both write to the standard output" -- "$bin" -r "$cap" --timeline - --stats=json
check "--json with --timeline - refused" 2 "--timeline - and --json both write" -- "$bin" -r "$cap" --json --timeline -
check "--json with text --stats refused" 2 "--stats (text) would follow the JSON lines" -- "$bin" -r "$cap" --json --stats
ok "each refusal is one line" '[ "$(wc -l < "$tmp/err")" -eq 1 ]'
check "-q --json --timeline -: -q leaves the document alone" 0 "" -- "$bin" -r "$cap" -q --json --timeline -
(cd "$tmp" && "$bin" -r "$cap" --diagram=svg --json > /dev/null 2> "$tmp/dj.err"; echo $? > "$tmp/dj.rc")
ok "--diagram=svg --json refused, no file named --json" '[ "$(cat "$tmp/dj.rc")" -eq 2 ] && grep -q "looks like an option" "$tmp/dj.err" && [ ! -e "$tmp/--json" ]'
check "--timeline --json refused (no file named --json)" 2 "looks like an option" -- "$bin" -r "$cap" --timeline --json
"$bin" -r "$cap" -q --diagram-svg "$tmp/a.svg" --diagram-html "$tmp/b.html" 2> /dev/null
"$bin" -r "$cap" -q --diagram=svg "$tmp/c.svg" --diagram=html "$tmp/d.html" 2> /dev/null
"$bin" -r "$cap" -q --diagram-html "$tmp/e.html" 2> /dev/null
ok "--diagram-svg A --diagram-html B writes both (and --diagram=svg A --diagram=html B)" 'python3 "$root/tests/wellformed.py" "$tmp/a.svg" "$tmp/c.svg" > /dev/null 2>&1 || { grep -q "</svg>" "$tmp/a.svg" && grep -q "</svg>" "$tmp/c.svg"; } && cmp -s "$tmp/a.svg" "$tmp/c.svg" && cmp -s "$tmp/b.html" "$tmp/e.html" && cmp -s "$tmp/d.html" "$tmp/e.html" && grep -q "</html>" "$tmp/b.html"'

# ---- outputs that keep their promises ---------------------------------------------------
check "--timeline /dev/full: exit 1, said" 1 "writing /dev/full: No space left on device" -- "$bin" -r "$cap" -q --timeline /dev/full
check "--diagram-svg /dev/full: exit 1, said" 1 "writing /dev/full" -- "$bin" -r "$cap" -q --diagram-svg /dev/full
check "-w /dev/full: exit 1, said" 1 "-w /dev/full" -- "$bin" -r "$cap" -q -w /dev/full
"$bin" -r "$cap" > /dev/full 2> "$tmp/full.err"; st=$?
ok "standard output on /dev/full: exit 1, said" '[ "$st" -eq 1 ] && grep -q "writing the standard output: No space left on device" "$tmp/full.err"'
cp "$cap" "$tmp/in.pcap"
for o in "-w" "--timeline" "--diagram-svg" "--diagram-html" "--diagram=svg"; do
	check "$o onto the input refused" 2 "that is the input" -- "$bin" -r "$tmp/in.pcap" $o "$tmp/in.pcap"
done
ln -s in.pcap "$tmp/link.pcap"
check "-w onto the input through a symlink refused" 2 "that is the input" -- "$bin" -r "$tmp/in.pcap" -w "$tmp/link.pcap"
"$bin" -r - --timeline "$tmp/in.pcap" < "$tmp/in.pcap" > /dev/null 2> "$tmp/in.err"; st=$?
ok "-r - reading a file: that file refused as an output" '[ "$st" -eq 2 ] && grep -q "that is the input" "$tmp/in.err"'
check "--keylog file refused as an output" 2 "that is the input" -- "$bin" -r "$cap" --keylog "$root/captures/tls13.keys" --timeline "$root/captures/tls13.keys"
check "two outputs on one file refused" 2 "both name" -- "$bin" -r "$cap" --timeline "$tmp/same" --diagram-svg "$tmp/same"
ok "the input is untouched" 'cmp -s "$tmp/in.pcap" "$cap"'
# Signals: the first 100000 bytes of clients-200.pcap, then a pause; the signal must end
# the run with every output complete: the timeline and the statistics count the same
# sessions, the SVG is whole.
head -c 100000 "$root/captures/clients-200.pcap" > "$tmp/c100k.pcap"
for sig in HUP TERM INT; do
	( cat "$tmp/c100k.pcap"; sleep 5 ) | "$bin" -r - -q --timeline "$tmp/sig.json" --diagram-svg "$tmp/sig.svg" --stats=json > "$tmp/sig-stats.json" 2> "$tmp/sig.err" &
	pid=$!
	sleep 1.5
	kill -"$sig" "$pid"
	wait "$pid"; st=$?
	ok "SIG$sig: exit 0, timeline, diagram and stats complete" '[ "$st" -eq 0 ] && python3 -c "
import json,sys
a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
assert len(a[\"sessions\"])==b[\"sessions\"][\"total\"]>0, (len(a[\"sessions\"]), b[\"sessions\"])
" "$tmp/sig.json" "$tmp/sig-stats.json" && grep -q "</svg>" "$tmp/sig.svg"'
done
# A closed standard output ends the run at once, exit 0, the file outputs complete.
"$bin" -r "$root/captures/clients-200.pcap" --timeline "$tmp/pipe.json" 2> "$tmp/pipe.err" | head -1 > /dev/null
st=${PIPESTATUS[0]}
frames=$(sed -n 's/^mqttdump: \([0-9]*\) frames.*/\1/p' "$tmp/pipe.err")
ok "| head -1: exit 0, stopped early ($frames of 7134 frames), the timeline complete" '[ "$st" -eq 0 ] && [ "${frames:-7134}" -lt 7134 ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/pipe.json" && ! grep -q "writing" "$tmp/pipe.err"'
# -Z with -r, as root: the output file (in a folder only root may write) is opened first,
# then the run goes on as the user.
if [ "$(id -u)" = 0 ] && getent passwd nobody > /dev/null; then
	mkdir -m 700 "$tmp/rootonly"
	( cat "$tmp/c100k.pcap"; sleep 2 ) | "$bin" -r - -Z nobody -q --timeline "$tmp/rootonly/t.json" 2> "$tmp/z.err" &
	pid=$!
	sleep 0.7
	zuser=$(ps -o user= -p "$pid" | tr -d ' ')
	wait "$pid"; st=$?
	ok "-Z nobody with -r: files opened as root, then run as nobody" '[ "$st" -eq 0 ] && [ "$zuser" = nobody ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/rootonly/t.json"'
	"$bin" -r "$cap" -Z nobody -q -w "$tmp/rootonly/w.pcap" 2> "$tmp/zw.err"; st=$?
	ok "-Z nobody with -r and -w: the second pass reads the file opened as root" '[ "$st" -eq 0 ] && grep -q "16 frames holding\|frames holding" "$tmp/zw.err" && capinfos "$tmp/rootonly/w.pcap" > /dev/null'
else
	i=$((i + 1)); echo "ok $i - # SKIP -Z needs root and a user nobody"
	i=$((i + 1)); echo "ok $i - # SKIP -Z needs root and a user nobody"
fi
# -Z not run as root: said to be ignored, the run goes on.
if [ "$(id -u)" = 0 ] && getent passwd nobody > /dev/null && su nobody -s /bin/sh -c "test -r '$cap' && test -x '$bin'"; then
	su nobody -s /bin/sh -c "'$bin' -r '$cap' -Z root -q" > /dev/null 2> "$tmp/zn.err"; st=$?
	ok "-Z as another user than root: a warning, the run goes on" '[ "$st" -eq 0 ] && grep -q "warning: -Z root ignored: not running as root" "$tmp/zn.err" && grep -q " 16 MQTT messages\| MQTT messages" "$tmp/zn.err"'
else
	i=$((i + 1)); echo "ok $i - # SKIP needs root, a user nobody and files nobody may read"
fi
# -l: one write per line (strace counts the writes to standard output).
if command -v strace > /dev/null; then
	strace -f -e trace=write -o "$tmp/l.trace" "$bin" -r "$cap" -l > /dev/null 2>&1
	wl=$(grep -c '^[0-9]* *write(1,' "$tmp/l.trace")
	strace -f -e trace=write -o "$tmp/nl.trace" "$bin" -r "$cap" > /dev/null 2>&1
	wn=$(grep -c '^[0-9]* *write(1,' "$tmp/nl.trace")
	ok "-l: a write per line ($wl writes for $(wc -l < "$tmp/full.txt") lines; $wn without -l)" '[ "$wl" -eq "$(wc -l < "$tmp/full.txt")" ] && [ "$wn" -lt "$wl" ]'
else
	i=$((i + 1)); echo "ok $i - # SKIP strace not installed"
fi

# ---- filters that combine ---------------------------------------------------------------
# The oracle: tshark's display filter over the same capture.
tcount() { tshark -r "$1" -Y "$2" -T fields -e mqtt.msgtype 2>/dev/null | tr ',' '\n' | grep -c "^$3\$"; }
lines() { grep -c "$2" "$1"; }
"$bin" -r "$cap" --type CONNECT --type DISCONNECT > "$tmp/or.txt" 2> /dev/null
nc=$(tcount "$cap" mqtt 1); nd=$(tcount "$cap" mqtt 14)
ok "--type CONNECT --type DISCONNECT: both kinds ($nc + $nd, as tshark), nothing else" '[ "$(lines "$tmp/or.txt" "Connect Command")" -eq "$nc" ] && [ "$(lines "$tmp/or.txt" "Disconnect Req")" -eq "$nd" ] && [ "$(wc -l < "$tmp/or.txt")" -eq $((nc + nd)) ] && [ "$nc" -gt 0 ]'
c200=$root/captures/clients-200.pcap
"$bin" -r "$c200" --type PUBLISH --topic 'load/001' --topic '+/002' --json > "$tmp/ot.jsonl" 2> /dev/null
tp=$(tshark -r "$c200" -Y 'mqtt.msgtype == 3 && (mqtt.topic == "load/001" || mqtt.topic == "load/002")' -T fields -e mqtt.topic 2>/dev/null | tr ',' '\n' | grep -c '^load/00[12]$')
ok "--topic A --topic B --type PUBLISH: the PUBLISHes of either ($(grep -c '"type"' "$tmp/ot.jsonl"), tshark $tp)" 'python3 -c "
import json,sys
ms=[m for m in map(json.loads, open(sys.argv[1])) if \"type\" in m]
assert all(m[\"type\"]==\"PUBLISH\" for m in ms)
assert {m[\"topic\"] for m in ms}=={\"load/001\",\"load/002\"}, {m[\"topic\"] for m in ms}
assert len(ms)==int(sys.argv[2]), (len(ms), sys.argv[2])
" "$tmp/ot.jsonl" "$tp"'
"$bin" -r "$c200" --client load-001 --client load-002 --type CONNECT --json > "$tmp/oc.jsonl" 2> /dev/null
ok "--client A --client B --type CONNECT: the two CONNECTs (OR within, AND across)" 'python3 -c "
import json,sys
ms=[m for m in map(json.loads, open(sys.argv[1])) if \"type\" in m]
assert sorted(m[\"clientid\"] for m in ms)==[\"load-001\",\"load-002\"] and all(m[\"type\"]==\"CONNECT\" for m in ms), ms
" "$tmp/oc.jsonl"'
for f in 'maison/#/x:4.7.1-1' 'a/b#:4.7.1-1' '#/a:4.7.1-1' 'a+/b:4.7.1-2' 'a/+b:4.7.1-2' 'a/b+:4.7.1-2' ':4.7.3-1'; do
	check "--topic '${f%%:*}' refused with [MQTT-${f##*:}]" 2 "MQTT-${f##*:}" -- "$bin" -r "$cap" --topic "${f%%:*}"
done
for f in '#' '+' '+/+/#' 'a//b' '/' 'sport/tennis/+'; do
	check "--topic '$f' accepted" 0 "" -- "$bin" -r "$cap" -q --topic "$f"
done

# ---- tcpdump and tshark habits ----------------------------------------------------------
"$bin" -r "$cap" -n > "$tmp/n.txt" 2> /dev/null
ok "-n accepted, changes nothing" 'cmp -s "$tmp/n.txt" "$tmp/full.txt"'
"$bin" -r "$cap" -v > "$tmp/v.txt" 2> /dev/null
"$bin" -r "$cap" -V > "$tmp/V.txt" 2> /dev/null
ok "-v is -V (the detail tree)" 'cmp -s "$tmp/v.txt" "$tmp/V.txt" && [ -s "$tmp/v.txt" ]'
"$bin" -r "$cap" -T json > "$tmp/tj.jsonl" 2> /dev/null
ok "-T json is --json" 'cmp -s "$tmp/tj.jsonl" "$tmp/all.jsonl"'
"$bin" -r "$cap" -T text > "$tmp/tt.txt" 2> /dev/null
ok "-T text is the default" 'cmp -s "$tmp/tt.txt" "$tmp/full.txt"'
check "-T pdml: one line, not supported" 2 "-T pdml: not supported" -- "$bin" -r "$cap" -T pdml
"$bin" -r "$cap" -T eve > "$tmp/te.jsonl" 2> /dev/null
"$bin" -r "$cap" --eve > "$tmp/e.jsonl" 2> /dev/null
ok "-T eve is --eve" '[ -s "$tmp/te.jsonl" ] && cmp -s "$tmp/te.jsonl" "$tmp/e.jsonl"'
check "--json with --eve refused" 2 "--json and --eve both write JSON lines" -- "$bin" -r "$cap" --json --eve
# -t: every tshark format, compared with tshark's own time column (-Y mqtt: the frames
# with MQTT; the bundled qos2 and sub-pub-ping have one line per such frame).
for c in qos2 sub-pub-ping; do
	for t in r a ad d dd e u ud; do
		"$bin" -r "$root/captures/$c.pcap" -t "$t" 2> /dev/null | awk '{print $1, $2, $3}' > "$tmp/t-ours"
		tshark -r "$root/captures/$c.pcap" -t "$t" -Y mqtt 2> /dev/null | awk '{print $1, $2, $3}' > "$tmp/t-tshark"
		ok "-t $t on $c: tshark's time column" '[ -s "$tmp/t-ours" ] && cmp -s "$tmp/t-ours" "$tmp/t-tshark"'
	done
done
# a and ad are local time: another time zone than the tests' UTC, the same as tshark's
if [ -e /usr/share/zoneinfo/Asia/Kolkata ]; then
	for t in a ad; do
		TZ=Asia/Kolkata "$bin" -r "$root/captures/qos2.pcap" -t "$t" 2> /dev/null | awk '{print $1, $2, $3}' > "$tmp/t-ours"
		TZ=Asia/Kolkata tshark -r "$root/captures/qos2.pcap" -t "$t" -Y mqtt 2> /dev/null | awk '{print $1, $2, $3}' > "$tmp/t-tshark"
		ok "-t $t in TZ=Asia/Kolkata: tshark's local time" '[ -s "$tmp/t-ours" ] && cmp -s "$tmp/t-ours" "$tmp/t-tshark" && ! grep -q " 19:38:47" "$tmp/t-ours"'
	done
else
	for t in a ad; do i=$((i + 1)); echo "ok $i - # SKIP no tzdata for Asia/Kolkata"; done
fi
check "-t bad" 2 "is not one of a, ad, d, dd, e, r, u, ud" -- "$bin" -r "$cap" -t x
for o in -e -X -A -Y -O -S; do
	check "$o: one line, a tcpdump/tshark option we do not have" 2 "$o: a tcpdump/tshark option that mqttdump does not have" -- "$bin" -r "$cap" $o
	ok "$o: one line only" '[ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "mqttdump --help" "$tmp/err"'
done
check "unknown long option: one line" 2 "unknown option --no-such-option (see mqttdump --help)" -- "$bin" --no-such-option=3
ok "unknown option: one line only" '[ "$(wc -l < "$tmp/err")" -eq 1 ]'
check "unknown short option: one line" 2 "unknown option -j" -- "$bin" -r "$cap" -j
check "missing value: one line" 2 "-c needs a value" -- "$bin" -r "$cap" -c
ok "missing value: one line only" '[ "$(wc -l < "$tmp/err")" -eq 1 ]'

# The README's table of options names each option once.
dups=$(sed -n '/^## Options/,/^See /p' "$root/README.md" | grep '^| `' | cut -d'|' -f2 | grep -oE -- '(^|[^a-zA-Z-])-{1,2}[a-zA-Z][-a-zA-Z]*' | sed 's/^[^-]*//' | sort | uniq -d | tr '\n' ' ')
ok "README's options table: each option once${dups:+ (twice: $dups)}" '[ -z "$dups" ] && [ "$(sed -n "/^## Options/,/^See /p" "$root/README.md" | grep -c "^| \`")" -gt 10 ]'
# Every option of --help is in the README's table.
rmissing=$("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | grep -v -- '--help\|--version' | while read -r o; do sed -n '/^## Options/,/^See /p' "$root/README.md" | grep -qF -- "$o" || echo "$o"; done)
ok "every long option of --help is in the README's table${rmissing:+ (missing: $rmissing)}" '[ -z "$rmissing" ]'
# The man page documents every option --help lists (docs stay in step with the code).
missing=$("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | while read -r o; do
	grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$root/docs/mqttdump.1" || echo "$o"
done)
ok "every option of --help is in the man page${missing:+ (missing: $missing)}" '[ -z "$missing" ]'
# The version is said once (meson.build's project()): the man page's source says
# @VERSION@, the built and installed one says --version's.
ver=$("$bin" --version)
build=$(dirname "$bin")
ok "--version ($ver) is the built man page's, and no other file says it" 'grep -q "^\.TH MQTTDUMP 1 .*\"$ver\"" "$build/mqttdump.1" && grep -q "^\.TH MQTTDUMP 1 .*\"mqttdump @VERSION@\"" "$root/docs/mqttdump.1" && [ -z "$(grep -rlF -- "${ver#mqttdump }" "$root/README.md" "$root/docs" "$root/src" "$root/include")" ]'
# meson install: the binary, the man page, the documents it names, the bash completion.
if meson install -C "$build" --destdir "$tmp/inst" --no-rebuild --quiet > "$tmp/inst.log" 2>&1; then
	pre=$(find "$tmp/inst" -path '*/bin/mqttdump' | sed 's|/bin/mqttdump$||')
	ok "meson install: bin/mqttdump, man1/mqttdump.1 with the version" '[ -x "$pre/bin/mqttdump" ] && grep -q "\"$ver\"" "$pre/share/man/man1/mqttdump.1"'
	named=$(grep -oE '(docs/)?[a-z0-9-]+\.md' "$root/docs/mqttdump.1" | sed 's|^docs/||' | sort -u)
	missing=$(for d in $named; do [ -f "$pre/share/doc/mqttdump/$d" ] || echo "$d"; done)
	ok "meson install: the French message catalogue in share/locale" '[ -f "$pre/share/locale/fr/LC_MESSAGES/mqttdump.mo" ]'
	ok "meson install: every document the man page names ($(echo $named)) in share/doc/mqttdump${missing:+ (missing: $missing)}" '[ -n "$named" ] && [ -z "$missing" ]'
	comp=$pre/share/bash-completion/completions/mqttdump
	ok "meson install: the bash completion" '[ -f "$comp" ]'
	got=$(bash -c 'source "$1"; COMP_WORDS=(mqttdump --time); COMP_CWORD=1; _mqttdump; echo "${COMPREPLY[*]}"' - "$comp")
	got_t=$(bash -c 'source "$1"; COMP_WORDS=(mqttdump -t u); COMP_CWORD=2; _mqttdump; echo "${COMPREPLY[*]}"' - "$comp")
	ok "completion: --time -> --timeline, -t u -> u ud" '[ "$got" = "--timeline" ] && [ "$got_t" = "u ud" ]'
	cmissing=$("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | while read -r o; do grep -qw -- "$o" "$comp" || echo "$o"; done)
	ok "completion knows every long option of --help${cmissing:+ (missing: $cmissing)}" '[ -z "$cmissing" ]'
else
	for k in 1 2 3 4 5; do i=$((i + 1)); echo "not ok $i - meson install failed: $(tail -1 "$tmp/inst.log")"; done
	fail=1
fi
# logrotate's copytruncate (docs/monitoring.md): the stream is appended (>>), the file is
# copied then emptied while mqttdump runs; the records after it start the file again (no
# hole of NUL bytes), and the copy and the file together are the records of one whole run
if command -v editcap > /dev/null; then
	rc=$root/captures/qos2.pcap
	editcap -F pcap -r "$rc" "$tmp/p1.pcap" 1-16 && editcap -F pcap -r "$rc" "$tmp/p2.pcap" 17-1000000
	"$bin" -r "$rc" --eve 2> /dev/null | sed 's/"pcap_cnt":[0-9]*,//' > "$tmp/rot-full"
	rm -f "$tmp/rot-fifo" "$tmp/rot"; mkfifo "$tmp/rot-fifo"
	"$bin" -r "$tmp/rot-fifo" --eve -l >> "$tmp/rot" 2> /dev/null &
	rpid=$!
	exec 3> "$tmp/rot-fifo"
	cat "$tmp/p1.pcap" >&3
	for _ in $(seq 50); do [ -s "$tmp/rot" ] && break; sleep 0.1; done
	sleep 0.3
	cp "$tmp/rot" "$tmp/rot.1" && : > "$tmp/rot"
	tail -c +25 "$tmp/p2.pcap" >&3
	exec 3>&-
	wait $rpid
	ok "copytruncate: the records after the truncation start the file (no NUL bytes), $(wc -l < "$tmp/rot.1") + $(wc -l < "$tmp/rot") lines are the whole run's $(wc -l < "$tmp/rot-full")" \
		'[ -s "$tmp/rot.1" ] && [ -s "$tmp/rot" ] && [ "$(head -c 1 "$tmp/rot")" = "{" ] && [ "$(tr -d "\\000" < "$tmp/rot" | wc -c)" = "$(wc -c < "$tmp/rot")" ] && cat "$tmp/rot.1" "$tmp/rot" | cmp -s - "$tmp/rot-full"'
fi
echo "1..$i"
exit $fail
