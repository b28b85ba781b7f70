#!/usr/bin/env bash
# The command line in live capture: a mosquitto broker on loopback in a network namespace
# of our own. Ports added to the defaults, lines flushed as they come, a closed standard
# output (| head), SIGHUP/SIGTERM finishing the output files, files opened before root is
# given up. Needs root, mosquitto, mosquitto-clients and iproute2; skipped (and says so)
# elsewhere. TAP output. Usage: cli_live.sh MQTTDUMP
set -u
bin=$1
skip() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" = 0 ] || skip "live capture tests need root"
for t in mosquitto mosquitto_pub ip timeout; do
	command -v $t > /dev/null 2>&1 || [ -x /usr/sbin/$t ] || skip "$t is not installed"
done
broker=$(command -v mosquitto || echo /usr/sbin/mosquitto)
ns=mqd-cli-$$
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
in_ns() { ip netns exec "$ns" "$@"; }
pub() { # pub N: N QoS 1 publishes, 5 messages each
	for k in $(seq "$1"); do
		in_ns timeout 10 mosquitto_pub -h 127.0.0.1 -p 1883 -i "cli$k" -q 1 -t test/cli -m "m $k"
	done
}
n=0
fail=0
res() {
	n=$((n + 1))
	if eval "$2"; then echo "ok $n - $1"; else echo "not ok $n - $1"; fail=1; fi
}

# -p 18830 adds a port: the broker on 1883 is still followed (kernel filter included).
ip netns exec "$ns" timeout 20 "$bin" -i lo -p 18830 -c 5 > "$tmp/p.out" 2> "$tmp/p.err" &
pid=$!
sleep 1
pub 1
wait "$pid"; st=$?
res "-i lo -p 18830: 1883 still followed (5 messages, exit 0)" '[ "$st" -eq 0 ] && grep -q " 5 MQTT messages" "$tmp/p.err" && grep -q "Publish Message (id=1) \[test/cli\]" "$tmp/p.out"'

# Lines are flushed as they come: seen in the file while the capture still runs.
ip netns exec "$ns" timeout 20 "$bin" -i lo > "$tmp/f.out" 2> "$tmp/f.err" &
pid=$!
sleep 1
pub 1
sleep 0.5
seen=$(grep -c "MQTT" "$tmp/f.out")
kill -TERM "$(pgrep -P "$pid")"; wait "$pid"; st=$?
res "live lines flushed at once ($seen lines before the end), SIGTERM: exit 0" '[ "$seen" -ge 5 ] && [ "$st" -eq 0 ]'

# | head -1: mqttdump ends within 3 s of head's end even when no more traffic comes (the
# closed pipe is polled), exit 0, the timeline file complete.
ip netns exec "$ns" timeout 20 bash -c '"$1" -i lo --timeline "$2/h.json" 2> "$2/h.err" | head -1 > "$2/h.out"; echo "${PIPESTATUS[0]}" > "$2/h.st"' - "$bin" "$tmp" &
hpid=$!
sleep 1
pub 1 # five lines: head takes the first and goes; nothing is written after
for _ in $(seq 30); do [ -s "$tmp/h.st" ] && break; sleep 0.1; done
st=$(cat "$tmp/h.st" 2> /dev/null)
wait "$hpid"
res "-i lo | head -1: ends with head, exit 0 (got ${st:-none: still running})" '[ "$st" = 0 ] && [ "$(wc -l < "$tmp/h.out")" -eq 1 ]'
res "-i lo | head -1: the timeline file is complete JSON" 'python3 -c "import json,sys; assert json.load(open(sys.argv[1]))[\"sessions\"]" "$tmp/h.json"'

# SIGHUP and SIGTERM finish the output files; the files were opened as root (in a folder
# only root may write), then the capture ran as nobody.
mkdir -m 700 "$tmp/ro"
for sig in HUP TERM; do
	ip netns exec "$ns" timeout 20 "$bin" -i lo -q --timeline "$tmp/ro/$sig.json" --stats=json > "$tmp/ro/$sig.stats" 2> "$tmp/$sig.err" &
	pid=$!
	sleep 1
	user=$(ps -o user= --ppid "$pid" | tr -d ' ') # timeout's child: mqttdump
	[ -n "$user" ] || user=none
	pub 2
	sleep 0.3
	kill -"$sig" "$(pgrep -P "$pid")"
	wait "$pid"; st=$?
	res "live SIG$sig: exit 0, the timeline and the statistics written (run as ${user:-?})" '[ "$st" -eq 0 ] && python3 -c "
import json,sys
t=json.load(open(sys.argv[1])); s=json.load(open(sys.argv[2]))
assert len(t[\"sessions\"])==s[\"sessions\"][\"total\"]==2, (len(t[\"sessions\"]), s[\"sessions\"])
" "$tmp/ro/$sig.json" "$tmp/ro/$sig.stats"'
	if getent passwd nobody > /dev/null; then
		res "live SIG$sig: files opened before root was given up to nobody" '[ "$user" = nobody ]'
	else
		n=$((n + 1)); echo "ok $n - # SKIP no user nobody"
	fi
done
echo "1..$n"
if [ "$fail" -ne 0 ]; then
	for f in "$tmp"/*.err; do sed "s|^|# $(basename "$f"): |" "$f"; done
fi
exit $fail
