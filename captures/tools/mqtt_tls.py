#!/usr/bin/python3
"""An MQTT session over TLS or WebSocket for captures/make-captures.sh (paho-mqtt 1.6).

Usage: mqtt_tls.py HOST PORT CLIENT_ID TOPIC [--tls VERSION] [--ca FILE] [--cert FILE
       --key FILE] [--keylog FILE] [--ciphers LIST] [--ws] [--v5] [--expect-fail]
       [--big N] [--user NAME --password WORD]
Connects, subscribes to TOPIC at QoS 1, publishes two messages to it (QoS 0 and 1), waits
for them to come back, disconnects. --expect-fail: the handshake or the connection is
expected to fail (exit 0 when it does).
"""
import argparse
import ssl
import sys
import threading

import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("host")
ap.add_argument("port", type=int)
ap.add_argument("client_id")
ap.add_argument("topic")
ap.add_argument("--tls", choices=["1.2", "1.3"])
ap.add_argument("--ca")
ap.add_argument("--cert")
ap.add_argument("--key")
ap.add_argument("--keylog")
ap.add_argument("--ciphers")
ap.add_argument("--ws", action="store_true")
ap.add_argument("--v5", action="store_true")
ap.add_argument("--expect-fail", action="store_true")
ap.add_argument("--user")
ap.add_argument("--password")
ap.add_argument("--big", type=int, default=0, help="also publish a message of this many bytes")
a = ap.parse_args()

c = mqtt.Client(client_id=a.client_id, protocol=mqtt.MQTTv5 if a.v5 else mqtt.MQTTv311,
                transport="websockets" if a.ws else "tcp")
if a.user:
    c.username_pw_set(a.user, a.password)
if a.tls:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    v = ssl.TLSVersion.TLSv1_2 if a.tls == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = v
    if a.ciphers:
        ctx.set_ciphers(a.ciphers)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    if a.keylog:
        ctx.keylog_filename = a.keylog
    c.tls_set_context(ctx)

got = []
done = threading.Event()


def on_connect(client, userdata, flags, rc, props=None):
    client.subscribe(a.topic, qos=1)


def on_subscribe(client, userdata, mid, *rest):
    client.publish(a.topic, b"hello over " + a.client_id.encode(), qos=0)
    client.publish(a.topic, b"21.5", qos=1)
    if a.big:
        client.publish(a.topic, b"x" * a.big, qos=0)


def on_message(client, userdata, msg):
    got.append(msg.payload)
    if len(got) == (3 if a.big else 2):
        done.set()


c.on_connect = on_connect
c.on_subscribe = on_subscribe
c.on_message = on_message
try:
    c.connect(a.host, a.port, keepalive=30)
except (ssl.SSLError, OSError) as e:
    if a.expect_fail:
        print("failed as expected:", e, file=sys.stderr)
        sys.exit(0)
    raise
c.loop_start()
ok = done.wait(5)
c.disconnect()
c.loop_stop()
if a.expect_fail:
    sys.exit(0)
if not ok:
    sys.exit("%s: got %d messages" % (a.client_id, len(got)))
