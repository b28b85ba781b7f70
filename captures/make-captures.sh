#!/usr/bin/env bash
# Make the project's sample captures with mosquitto and its clients, in a network namespace
# of our own (loopback only). Needs root, mosquitto, mosquitto-clients, tcpdump (or Wireshark's
# dumpcap), iproute2, python3-paho-mqtt (the TLS, WebSocket and keep-alive-0 clients).
# Usage: captures/make-captures.sh [NAME...]   (default: all)
# The captures vary from run to run in time stamps, ports and sequence numbers only; after
# remaking one, regenerate its expected output (tests/regen.sh) and read the diff.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ns=mqd-cap-$$
tmp=$(mktemp -d)
chmod 755 "$tmp" # the broker drops to its own user and reads the password file
broker_pid=

cleanup() {
	[ -n "$broker_pid" ] && kill "$broker_pid" 2> /dev/null || true
	ip netns pids "$ns" 2> /dev/null | xargs -r kill 2> /dev/null || true
	ip netns del "$ns" 2> /dev/null || true
	rm -rf "$tmp" "/etc/netns/$ns"
}
trap cleanup EXIT

# (background processes are started with `ip netns exec` itself, which execs the
# command, so that $! is the process to signal)
in_ns() { ip netns exec "$ns" "$@"; }

ip netns add "$ns"
in_ns ip link set lo up
in_ns ip link set lo mtu 1500 # large messages cross many segments

# "broker.local" for the TLS clients' SNI (ip netns exec binds /etc/netns/NS/hosts)
mkdir -p "/etc/netns/$ns"
printf '127.0.0.1 localhost broker.local\n' > "/etc/netns/$ns/hosts"

mosquitto_passwd -b -c "$tmp/passwd" alice wonderland > /dev/null 2>&1
chmod 644 "$tmp/passwd"
cat > "$tmp/open.conf" << EOF
listener 1883 127.0.0.1
allow_anonymous true
EOF
cat > "$tmp/auth.conf" << EOF
listener 1883 127.0.0.1
allow_anonymous false
password_file $tmp/passwd
EOF

# A CA, a server certificate for broker.local and a client certificate, made afresh.
make_pki() {
	local o="openssl"
	$o req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/O=mqttdump test/CN=mqttdump test CA" \
		-keyout "$tmp/ca.key" -out "$tmp/ca.crt" 2> /dev/null
	$o req -newkey rsa:2048 -nodes -subj "/O=mqttdump test/CN=broker.local" \
		-keyout "$tmp/server.key" -out "$tmp/server.csr" 2> /dev/null
	printf 'subjectAltName=DNS:broker.local,IP:127.0.0.1\n' > "$tmp/san.ext"
	$o x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
		-CAcreateserial -days 825 -extfile "$tmp/san.ext" -out "$tmp/server.crt" 2> /dev/null
	$o req -newkey rsa:2048 -nodes -subj "/O=mqttdump test/CN=client-1" \
		-keyout "$tmp/client.key" -out "$tmp/client.csr" 2> /dev/null
	$o x509 -req -in "$tmp/client.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
		-CAcreateserial -days 825 -out "$tmp/client.crt" 2> /dev/null
	chmod 644 "$tmp"/*.key
	for require in false true; do
		cat > "$tmp/tls-$require.conf" << EOF2
listener 1883 127.0.0.1
allow_anonymous true
listener 8883 127.0.0.1
cafile $tmp/ca.crt
certfile $tmp/server.crt
keyfile $tmp/server.key
require_certificate $require
EOF2
	done
	cat > "$tmp/tls-login.conf" << EOF2
listener 1883 127.0.0.1
allow_anonymous false
password_file $tmp/passwd
listener 8883 127.0.0.1
cafile $tmp/ca.crt
certfile $tmp/server.crt
keyfile $tmp/server.key
EOF2
	cat > "$tmp/port18830.conf" << EOF2
listener 1883 127.0.0.1
allow_anonymous true
listener 18830 127.0.0.1
EOF2
}
make_pki

start_broker() {
	ip netns exec "$ns" mosquitto -c "$1" > "$tmp/broker.log" 2>&1 &
	broker_pid=$!
	for _ in $(seq 50); do
		in_ns bash -c 'exec 3<>/dev/tcp/127.0.0.1/1883' 2> /dev/null && return 0
		sleep 0.1
	done
	echo "broker did not start" >&2
	exit 1
}

stop_broker() {
	kill "$broker_pid" 2> /dev/null || true
	wait "$broker_pid" 2> /dev/null || true
	broker_pid=
}

# capture NAME CONF FUNCTION: run FUNCTION with a broker, record it to NAME.pcap
capture() {
	local name=$1 conf=$2 fn=$3
	start_broker "$tmp/$conf"
	if command -v tcpdump > /dev/null; then
		ip netns exec "$ns" tcpdump -i lo -s 0 -B 65536 -U --immediate-mode -w "$tmp/$name.pcap" "${CAPTURE_FILTER:-tcp port 1883}" > "$tmp/tcpdump.log" 2>&1 &
	else # Wireshark's dumpcap, writing pcap (-P)
		ip netns exec "$ns" dumpcap -q -P -i lo -s 0 -B 64 -f "${CAPTURE_FILTER:-tcp port 1883}" -w "$tmp/$name.pcap" > "$tmp/tcpdump.log" 2>&1 &
	fi
	local tpid=$!
	sleep 0.7
	"$fn"
	sleep 0.7
	kill -INT "$tpid"
	wait "$tpid" 2> /dev/null || true
	stop_broker
	cat "$tmp/tcpdump.log" >&2
	mv "$tmp/$name.pcap" "$here/$name.pcap"
	echo "$name.pcap: $(capinfos -M -c -T "$here/$name.pcap" | tail -1 | cut -f2) frames"
}

H=(-h 127.0.0.1 -p 1883)

sub_pub_ping() {
	in_ns mosquitto_sub "${H[@]}" -i sub-1 -t home/kitchen/temp -k 5 -W 7 > /dev/null &
	local s=$!
	sleep 1
	in_ns mosquitto_pub "${H[@]}" -i pub-1 -t home/kitchen/temp -m 21.5
	sleep 0.3
	in_ns mosquitto_pub "${H[@]}" -i pub-2 -t home/kitchen/temp -m 21.7
	wait "$s" || true
}

qos1() {
	in_ns mosquitto_sub "${H[@]}" -i sub-q1 -q 1 -t factory/line1/count -C 2 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -i pub-q1 -q 1 -t factory/line1/count -m 41
	in_ns mosquitto_pub "${H[@]}" -i pub-q1b -q 1 -t factory/line1/count -m 42
	wait "$s"
}

qos2() {
	in_ns mosquitto_sub "${H[@]}" -i sub-q2 -q 2 -t bank/transfer -C 1 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -i pub-q2 -q 2 -t bank/transfer -m '{"amount": 100}'
	wait "$s"
}

retained() {
	in_ns mosquitto_pub "${H[@]}" -i pub-ret -r -t status/door -m open
	sleep 0.3
	in_ns mosquitto_sub "${H[@]}" -i sub-ret -t status/door -C 1 > /dev/null
	sleep 0.3
	in_ns mosquitto_pub "${H[@]}" -i pub-clear -r -t status/door -n
}

request_response() {
	# a responder: answers one request on the response topic with the correlation data
	in_ns mosquitto_sub "${H[@]}" -V mqttv5 -i responder -t service/time -C 1 -F '%R %C' \
		> "$tmp/req" &
	local s=$!
	sleep 0.5
	in_ns mosquitto_rr "${H[@]}" -i requester -t service/time -e replies/requester \
		-m 'what time is it?' -W 5 > /dev/null &
	local r=$!
	wait "$s"
	local rt cd
	read -r rt _ < "$tmp/req"
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i responder-pub -t "$rt" -m '12:00' \
		-D publish correlation-data "$(cut -d' ' -f2- < "$tmp/req")"
	wait "$r" || true
}

userpass() {
	in_ns mosquitto_pub "${H[@]}" -i good-login -u alice -P wonderland -t secret/topic -m hi
	in_ns mosquitto_pub "${H[@]}" -i bad-login -u alice -P wrong -t secret/topic -m hi || true
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i bad-login-5 -u alice -P wrong -t secret/topic -m hi || true
}

version_session() {
	local v=$1
	in_ns mosquitto_sub "${H[@]}" -V "$v" -i "sub-$v" -t "v/$v" -q 1 -C 1 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -V "$v" -i "pub-$v" -t "v/$v" -q 1 -m "hello $v"
	wait "$s"
}
mqtt31() { version_session mqttv31; }
mqtt311() { version_session mqttv311; }

mqtt5_props() {
	in_ns mosquitto_sub "${H[@]}" -V mqttv5 -i sub-props -t sensors/+/temp -q 1 -C 1 \
		--nodelay \
		-D connect session-expiry-interval 60 -D connect receive-maximum 20 \
		-D connect user-property client sub -D subscribe user-property purpose demo \
		--retain-as-published --will-topic clients/sub-props/status --will-payload gone \
		--will-qos 1 -D will will-delay-interval 5 -D will content-type text/plain \
		> /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i pub-props -t sensors/kitchen/temp -q 1 \
		-m '{"t": 21.5}' -D publish content-type application/json \
		-D publish message-expiry-interval 30 -D publish payload-format-indicator 1 \
		-D publish user-property unit celsius -D publish user-property room kitchen \
		-D publish response-topic sensors/kitchen/ack -D publish correlation-data 42 \
		-D publish topic-alias 1
	wait "$s"
}

large_message() {
	head -c 262144 /dev/zero | tr '\0' 'x' > "$tmp/big"
	in_ns mosquitto_sub "${H[@]}" -i sub-big -t files/big -C 1 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -i pub-big -t files/big -f "$tmp/big"
	wait "$s"
}

many_per_segment() {
	in_ns mosquitto_sub "${H[@]}" -i sub-burst -t burst/# -C 25 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns python3 "$here/tools/mqtt_burst.py" 127.0.0.1 1883
	wait "$s"
}

will() {
	in_ns mosquitto_sub "${H[@]}" -i watcher -t clients/+/status -C 1 > /dev/null &
	local w=$!
	sleep 0.3
	ip netns exec "$ns" mosquitto_sub "${H[@]}" -i doomed -t some/topic \
		--will-topic clients/doomed/status --will-payload offline --will-qos 1 > /dev/null &
	local d=$!
	sleep 0.5
	kill -9 "$d"
	wait "$w"
}

content_types() {
	# MQTT 5.0 Content Type: tshark hands the payload to that media type's dissector
	for ct in text/plain application/json application/xml image/jpeg text/html \
		application/octet-stream foo/bar; do
		in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i ct -t "ct/$ct" -m '{"a": 1}' \
			-D publish content-type "$ct"
	done
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i ct -t ct/none -m '{"a": 1}' \
		-D publish payload-format-indicator 1
}

clients_200() {
	in_ns python3 "$here/tools/mqtt_clients.py" 200 127.0.0.1 1883
}

refused_logins() {
	# good, wrong password (3.1.1 and 5.0), unknown user, no credentials at all
	in_ns mosquitto_pub "${H[@]}" -i login-ok -u alice -P wonderland -t secret/topic -m hi
	in_ns mosquitto_pub "${H[@]}" -i login-bad-pw -u alice -P guess -t secret/topic -m hi || true
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i login-bad-pw-5 -u alice -P guess -t secret/topic \
		-m hi || true
	in_ns mosquitto_pub "${H[@]}" -i login-unknown -u mallory -P x -t secret/topic -m hi || true
	in_ns mosquitto_pub "${H[@]}" -i login-anonymous -t secret/topic -m hi || true
}

# /usr/bin/python3: Debian's paho-mqtt (python3-paho-mqtt)
T=(/usr/bin/python3 "$here/tools/mqtt_tls.py")
TLS=(--ca "$tmp/ca.crt")

tls12() {
	rm -f "$here/tls12.keys"
	# the default suite (ECDHE-RSA-AES256-GCM-SHA384), ChaCha20-Poly1305, AES-128-GCM, and
	# two CBC suites (OpenSSL negotiates encrypt_then_mac with them)
	local ciphers=(ECDHE-RSA-AES256-GCM-SHA384 ECDHE-RSA-CHACHA20-POLY1305
		ECDHE-RSA-AES128-GCM-SHA256 ECDHE-RSA-AES128-SHA256 ECDHE-RSA-AES256-SHA)
	local i=0
	for c in "${ciphers[@]}"; do
		i=$((i + 1))
		in_ns "${T[@]}" broker.local 8883 "tls12-$i" "tls/12/$i" --tls 1.2 "${TLS[@]}" \
			--ciphers "$c" --keylog "$here/tls12.keys"
	done
}

tls13() {
	rm -f "$here/tls13.keys"
	in_ns "${T[@]}" broker.local 8883 tls13-1 tls/13/1 --tls 1.3 "${TLS[@]}" \
		--keylog "$here/tls13.keys"
	in_ns "${T[@]}" broker.local 8883 tls13-v5 tls/13/v5 --tls 1.3 --v5 "${TLS[@]}" \
		--keylog "$here/tls13.keys" --big 2000
}

tls_nocert() {
	# the broker requires client certificates: one client has one, two have none
	in_ns "${T[@]}" broker.local 8883 with-cert tls/cert --tls 1.2 "${TLS[@]}" \
		--cert "$tmp/client.crt" --key "$tmp/client.key"
	in_ns "${T[@]}" broker.local 8883 no-cert-12 tls/nocert --tls 1.2 "${TLS[@]}" --expect-fail
	in_ns "${T[@]}" broker.local 8883 no-cert-13 tls/nocert --tls 1.3 "${TLS[@]}" --expect-fail
}

websocket() {
	ip netns exec "$ns" /usr/bin/python3 "$here/tools/ws_relay.py" 9001 1883 &
	local r=$!
	sleep 0.5
	in_ns "${T[@]}" 127.0.0.1 9001 ws-1 ws/1 --ws --big 300
	in_ns "${T[@]}" 127.0.0.1 9001 ws-2 ws/2 --ws --v5 --big 70000
	kill "$r"
	wait "$r" 2> /dev/null || true
}

wss() {
	# WebSocket over TLS on 443 (the relay terminates TLS), a key log from the client
	rm -f "$here/wss.keys"
	ip netns exec "$ns" /usr/bin/python3 "$here/tools/ws_relay.py" 443 1883 "$tmp/server.crt" \
		"$tmp/server.key" &
	local r=$!
	sleep 0.5
	in_ns "${T[@]}" broker.local 443 wss-1 wss/1 --ws --tls 1.3 "${TLS[@]}" --keylog "$here/wss.keys"
	in_ns "${T[@]}" broker.local 443 wss-2 wss/2 --ws --tls 1.2 "${TLS[@]}" --keylog "$here/wss.keys" \
		--big 300
	kill "$r"
	wait "$r" 2> /dev/null || true
}

port18830() {
	in_ns mosquitto_sub -h 127.0.0.1 -p 18830 -i sub-odd -t odd/port -C 1 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub -h 127.0.0.1 -p 18830 -i pub-odd -t odd/port -m 'on port 18830'
	wait "$s"
}

# Lessons of docs/teaching.md that the captures above do not show
empty_id() {
	# no -i: mosquitto_pub sends an empty client id; in 5.0 the broker assigns one
	in_ns mosquitto_pub "${H[@]}" -t class/anon -m 'no id'
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -t class/anon -m 'no id, 5.0'
}

qos_downgrade() {
	# subscribed at QoS 1, published at QoS 2: delivered at QoS 1
	in_ns mosquitto_sub "${H[@]}" -i sub-max1 -q 1 -t 'class/+/temp' -C 1 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -i pub-at2 -q 2 -t class/room1/temp -m 19.5
	wait "$s"
}

session_present() {
	# clean session false (-c) twice with one id: the second CONNACK has Session Present,
	# and the message published while it was away is delivered from the kept session
	in_ns mosquitto_sub "${H[@]}" -i keeper -c -q 1 -t class/persist -C 1 > /dev/null &
	local s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -i pub-first -q 1 -t class/persist -m first
	wait "$s"
	sleep 0.3
	in_ns mosquitto_pub "${H[@]}" -i pub-away -q 1 -t class/persist -m 'while away'
	sleep 0.3
	in_ns mosquitto_sub "${H[@]}" -i keeper -c -q 1 -t class/persist -C 1 > /dev/null
	# the same in MQTT 5.0: Clean Start off and a Session Expiry Interval (-x); then Clean
	# Start off without one (the session ends with the connection: no Session Present)
	local v5=(-V mqttv5 -i keeper5 -c -q 1 -t class/persist5 -C 1)
	in_ns mosquitto_sub "${H[@]}" "${v5[@]}" -x 60 > /dev/null &
	s=$!
	sleep 0.5
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i pub5-first -q 1 -t class/persist5 -m first
	wait "$s"
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i pub5-away -q 1 -t class/persist5 -m 'while away'
	in_ns mosquitto_sub "${H[@]}" "${v5[@]}" -x 60 > /dev/null
	# -c without -x: mosquitto_pub asks for a session that never expires (0xFFFFFFFF)
	in_ns mosquitto_pub "${H[@]}" -V mqttv5 -i pub5-never -c -q 1 -t class/persist5 -m never
	# Clean Start off and no Session Expiry Interval at all (paho sends none)
	in_ns /usr/bin/python3 -c 'import paho.mqtt.client as m
c = m.Client(client_id="no-expiry", protocol=m.MQTTv5)
c.connect("127.0.0.1", 1883, clean_start=False)
c.loop_start()
c.publish("class/persist5", b"last", qos=1).wait_for_publish(5)
c.disconnect()
c.loop_stop()'
}

keepalive0() {
	# mosquitto_pub refuses -k 0: Debian's paho-mqtt sends keep alive 0
	in_ns /usr/bin/python3 -c 'import paho.mqtt.client as m
c = m.Client(client_id="no-keepalive")
c.connect("127.0.0.1", 1883, keepalive=0)
c.loop_start()
c.publish("class/quiet", b"shh", qos=1).wait_for_publish(5)
c.disconnect()
c.loop_stop()'
}

tls_login() {
	# a password login inside TLS 1.2, with a key log
	rm -f "$here/tls-login.keys"
	in_ns "${T[@]}" broker.local 8883 tls-alice tls/login --tls 1.2 "${TLS[@]}" \
		--user alice --password wonderland --keylog "$here/tls-login.keys"
	# TLS 1.3 to the address (no server name sent), a user name without its password:
	# refused
	in_ns "${T[@]}" 127.0.0.1 8883 tls-nopass tls/login --tls 1.3 "${TLS[@]}" \
		--user alice --keylog "$here/tls-login.keys" --expect-fail
}

all="clients-200 refused-logins sub-pub-ping qos1 qos2 retained request-response userpass mqtt31 mqtt311 mqtt5-props large-message many-per-segment will content-types tls12 tls13 tls-nocert websocket wss port18830 empty-id qos-downgrade session-present keepalive0 tls-login"
for name in ${@:-$all}; do
	case $name in
	sub-pub-ping) capture "$name" open.conf sub_pub_ping ;;
	qos1) capture "$name" open.conf qos1 ;;
	qos2) capture "$name" open.conf qos2 ;;
	retained) capture "$name" open.conf retained ;;
	request-response) capture "$name" open.conf request_response ;;
	userpass) capture "$name" auth.conf userpass ;;
	mqtt31) capture "$name" open.conf mqtt31 ;;
	mqtt311) capture "$name" open.conf mqtt311 ;;
	mqtt5-props) capture "$name" open.conf mqtt5_props ;;
	large-message) capture "$name" open.conf large_message ;;
	many-per-segment) capture "$name" open.conf many_per_segment ;;
	will) capture "$name" open.conf will ;;
	content-types) capture "$name" open.conf content_types ;;
	clients-200) capture "$name" open.conf clients_200 ;;
	refused-logins) capture "$name" auth.conf refused_logins ;;
	tls12) CAPTURE_FILTER="tcp port 8883" capture "$name" tls-false.conf tls12 ;;
	tls13) CAPTURE_FILTER="tcp port 8883" capture "$name" tls-false.conf tls13 ;;
	tls-nocert) CAPTURE_FILTER="tcp port 8883" capture "$name" tls-true.conf tls_nocert ;;
	websocket) CAPTURE_FILTER="tcp port 9001 or tcp port 1883" capture "$name" open.conf websocket ;;
	wss) CAPTURE_FILTER="tcp port 443 or tcp port 1883" capture "$name" open.conf wss ;;
	port18830) CAPTURE_FILTER="tcp port 18830" capture "$name" port18830.conf port18830 ;;
	empty-id) capture "$name" open.conf empty_id ;;
	qos-downgrade) capture "$name" open.conf qos_downgrade ;;
	session-present) capture "$name" open.conf session_present ;;
	keepalive0) capture "$name" open.conf keepalive0 ;;
	tls-login) CAPTURE_FILTER="tcp port 8883" capture "$name" tls-login.conf tls_login ;;
	*) echo "unknown capture $name" >&2; exit 2 ;;
	esac
done
