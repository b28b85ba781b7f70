#!/usr/bin/env bash
# Live capture: a mosquitto broker on loopback in a network namespace of our own,
# `mqttdump -i lo -c N` while a client publishes; the labels must be tshark's.
# Needs root, mosquitto, mosquitto-clients and iproute2; skipped (and says so) elsewhere.
# TAP output. Usage: live.sh MQTTDUMP
set -u
bin=$1
skip() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" = 0 ] || skip "live capture test needs root"
for t in mosquitto mosquitto_pub ip timeout; do
	command -v $t > /dev/null 2>&1 || [ -x /usr/sbin/$t ] || skip "$t is not installed"
done
broker=$(command -v mosquitto || echo /usr/sbin/mosquitto)
ns=mqd-live-$$
tmp=$(mktemp -d)
cleanup() {
	[ -n "${bpid:-}" ] && kill "$bpid" 2> /dev/null
	ip netns del "$ns" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" 2> /dev/null || skip "cannot create a network namespace"
ip netns exec "$ns" ip link set lo up
printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > "$tmp/m.conf"
ip netns exec "$ns" "$broker" -c "$tmp/m.conf" > "$tmp/broker.log" 2>&1 &
bpid=$!
for _ in $(seq 50); do
	ip netns exec "$ns" bash -c 'exec 3<>/dev/tcp/127.0.0.1/1883' 2> /dev/null && break
	sleep 0.1
done

echo "1..17"
# Two QoS 1 publishes: CONNECT, CONNACK, PUBLISH, PUBACK, DISCONNECT each = 10 messages.
ip netns exec "$ns" timeout 30 "$bin" -i lo -c 10 > "$tmp/out" 2> "$tmp/err" &
dpid=$!
sleep 1
runas=$(ps -o user= --ppid "$dpid" 2> /dev/null | tr -d ' ') # timeout's child: mqttdump
for k in 1 2; do
	ip netns exec "$ns" timeout 10 mosquitto_pub -h 127.0.0.1 -p 1883 -i "live$k" -q 1 \
		-t test/live -m "hello $k"
done
wait "$dpid"
status=$?
n=1
res() { if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi; n=$((n + 1)); }
fail=0
res "mqttdump -i lo -c 10 ends by itself with status 0" '[ "$status" -eq 0 ]'
res "Connect Command and Connect Ack" 'grep -q "MQTT [0-9]* Connect Command$" "$tmp/out" && grep -q "MQTT [0-9]* Connect Ack$" "$tmp/out"'
res "Publish Message (id=1) [test/live]" 'grep -q "Publish Message (id=1) \[test/live\]" "$tmp/out"'
res "Publish Ack (id=1) and Disconnect Req" 'grep -q "Publish Ack (id=1)$" "$tmp/out" && grep -q "Disconnect Req$" "$tmp/out"'
res "statistics line counts 10 MQTT messages" 'grep -q " 10 MQTT messages" "$tmp/err"'
if getent passwd nobody > /dev/null; then
	res "privileges dropped to nobody once the interface is open" '[ "$runas" = nobody ]'
else
	echo "ok $n - privileges dropped # SKIP no user nobody"; n=$((n + 1))
fi
ip netns exec "$ns" timeout 5 "$bin" -i lo -Z no-such-user-mqd > /dev/null 2> "$tmp/z.err"
zs=$?
res "-Z with an unknown user: clear error, status 1" '[ "$zs" -eq 1 ] && grep -q "no user" "$tmp/z.err"'
if [ "$fail" -ne 0 ]; then
	sed 's/^/# out: /' "$tmp/out"
	sed 's/^/# err: /' "$tmp/err"
fi

# live NAME ARGS...: mqttdump ARGS in the namespace while two QoS 1 publishes are made;
# stdout in $tmp/NAME.out, stderr in $tmp/NAME.err, the status in $st (124: stopped by
# SIGINT, or $sig, after $tmo seconds).
live() {
	local name=$1
	shift
	ip netns exec "$ns" timeout -s "${sig:-INT}" "${tmo:-20}" "$bin" "$@" > "$tmp/$name.out" \
		2> "$tmp/$name.err" &
	local pid=$!
	sleep 1
	for k in 1 2; do
		ip netns exec "$ns" timeout 10 mosquitto_pub -h 127.0.0.1 -p 1883 -i "$name$k" -q 1 \
			-t test/live -m "hello $k"
	done
	wait "$pid"
	st=$?
}
tshark_msgs() { tshark -r "$1" -Y mqtt -T fields -e mqtt.msgtype 2> /dev/null | tr ',' '\n' | grep -c .; }

# -i any: Linux cooked capture, whose default filter has no VLAN clause
live any -i any -c 10
res "-i any -c 10: status 0, the 10 messages" '[ "$st" -eq 0 ] && grep -q " 10 MQTT messages" "$tmp/any.err" && [ "$(grep -c " MQTT " "$tmp/any.out")" -eq 10 ]'
# -i N: the N-th interface of -D (in the namespace: lo, any, ...)
idx=$(ip netns exec "$ns" "$bin" -D | sed -n 's/^\([0-9]*\)\. lo\( .*\)\{0,1\}$/\1/p')
live index -i "$idx" -c 10
res "-i $idx (lo in -D's list): the 10 messages" '[ -n "$idx" ] && [ "$st" -eq 0 ] && grep -q " 10 MQTT messages" "$tmp/index.err"'
ip netns exec "$ns" "$bin" -i 999 > /dev/null 2> "$tmp/i999.err"
res "-i 999: no such interface number, one line, status 1" '[ $? -eq 1 ] && [ "$(wc -l < "$tmp/i999.err")" -eq 1 ] && grep -q "no interface number 999" "$tmp/i999.err"'
# live -w (the file opened before the privileges are dropped): tshark finds the messages
live w -i lo -c 10 -w "$tmp/live.pcap"
res "live -w: tshark reads the file and finds the 10 MQTT messages" '[ "$st" -eq 0 ] && [ "$(tshark_msgs "$tmp/live.pcap")" -eq 10 ] && grep -q ": [0-9]* frames holding 10 MQTT messages" "$tmp/w.err"'
# -w -: the pcap on standard output, no text mixed in
live wdash -i any -c 10 -w -
res "live -w - (on -i any): a pcap tshark reads, the 10 messages, no text" '[ "$st" -eq 0 ] && [ "$(tshark_msgs "$tmp/wdash.out")" -eq 10 ] && ! grep -aq "Connect Command" "$tmp/wdash.out"'
# -s 60 cuts every frame inside its TCP header (14 + 20 + 32 bytes on lo): counted
tmo=4 live snap -i lo -s 60
res "live -s 60: the frames cut inside their headers counted, none decoded" '[ "$st" -eq 124 ] && grep -q "frames cut by the snap length (60 bytes kept at most), [1-9][0-9]* of them inside" "$tmp/snap.err" && grep -q " 0 MQTT messages" "$tmp/snap.err"'
# SIGUSR1 while capturing: the counts, and the capture goes on
ip netns exec "$ns" timeout -s INT 6 "$bin" -i lo -q > /dev/null 2> "$tmp/usr1.err" &
upid=$!
sleep 1
pkill -USR1 -P "$upid" 2> /dev/null || kill -USR1 "$upid"
sleep 1
ip netns exec "$ns" timeout 10 mosquitto_pub -h 127.0.0.1 -p 1883 -i usr1 -t t -m x
wait "$upid"
# QoS 0: CONNECT, CONNACK, PUBLISH, DISCONNECT
res "live SIGUSR1: the counts at once, the capture goes on (final counts: 4 messages)" '[ "$(grep -cE " frames?, " "$tmp/usr1.err")" -eq 2 ] && grep -E " frames?, " "$tmp/usr1.err" | tail -1 | grep -q " 4 MQTT messages"'
# SIGTERM ends a live run as the end of a file does: the timeline and the statistics are
# whole, with a client still connected (its session ended "capture_end"), and --json has
# written the session records and the interval records as they came.
(sleep 0.6; exec ip netns exec "$ns" timeout 12 mosquitto_sub -h 127.0.0.1 -p 1883 -i keeper \
	-t test/live > /dev/null 2>&1) &
kpid=$! # (it connects once mqttdump, started below, is capturing)
# (the outputs' files are opened once the privileges are dropped to nobody)
chmod 711 "$tmp" && mkdir -m 777 "$tmp/pub"
sig=TERM tmo=5 live term -i lo -q --timeline "$tmp/pub/term.json" --stats=json
pkill -P "$kpid" 2> /dev/null; kill "$kpid" 2> /dev/null
res "live SIGTERM: status of timeout's TERM, the timeline whole: 3 sessions, the connected one at capture_end, 2 publishes acknowledged" \
	'[ "$st" -eq 124 ] && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
s = {x.get(\"clientid\"): x for x in d[\"sessions\"]}
assert sorted(s) == [\"keeper\", \"term1\", \"term2\"], sorted(s)
assert s[\"keeper\"][\"ended\"] == \"capture_end\", s[\"keeper\"][\"ended\"]
assert [t[\"status\"] for k in (\"term1\", \"term2\") for t in s[k][\"transactions\"] if t[\"kind\"] == \"publish\"] == [\"complete\"] * 2
" "$tmp/pub/term.json"'
res "live SIGTERM: --stats=json whole (PUBLISH and PUBACK counted)" \
	'python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
assert d[\"messages\"][\"PUBLISH\"][\"client\"] == 2 and d[\"messages\"][\"PUBACK\"][\"broker\"] == 2, d[\"messages\"]
assert d[\"sessions\"][\"total\"] == 3
" "$tmp/term.out"'
sig=TERM tmo=4 live termjson -i lo --json --stats-interval 1
res "live SIGTERM --json --stats-interval 1: 2 session openings and ends, 2 publish transactions, the interval records counting the 10 messages" \
	'[ "$st" -eq 124 ] && python3 -c "
import collections, json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
c = collections.Counter(x.get(\"event\") for x in r)
assert c[\"session_open\"] == 2 and c[\"session_end\"] == 2, c
assert sum(1 for x in r if x.get(\"event\") == \"transaction\" and x[\"kind\"] == \"publish\" and x[\"status\"] == \"complete\") == 2
assert c[\"stats\"] >= 1 and sum(x[\"messages\"] for x in r if x.get(\"event\") == \"stats\") == 10, c
" "$tmp/termjson.out"'
if [ "$fail" -ne 0 ]; then
	for f in term termjson; do sed "s/^/# $f.out: /" "$tmp/$f.out" 2> /dev/null | head -40; done
	for f in any index w wdash snap usr1 term termjson; do sed "s/^/# $f: /" "$tmp/$f.err" 2> /dev/null; done
fi
exit $fail
