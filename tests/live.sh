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

echo "1..7"
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
exit $fail
