#!/usr/bin/python3
"""A WebSocket server that relays each connection's binary frames to an MQTT broker over
TCP and back (for captures/make-captures.sh: Debian's mosquitto has no WebSocket
listener). Server frames are unmasked; each MQTT read from the broker goes out as one
binary frame, except that a read of more than 100 bytes is sent as a fragmented message
(a binary frame and continuations) with a ping in the middle, so that the capture shows
fragmentation and an interleaved control frame.

Usage: ws_relay.py LISTEN_PORT BROKER_PORT [CERT KEY]   (with CERT and KEY: WebSocket over
TLS, wss://)
"""
import base64
import hashlib
import socket
import ssl
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(op, payload, fin=True):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 127, n)
    return hdr + payload


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        k = s.recv(n - len(buf))
        if not k:
            raise EOFError
        buf += k
    return buf


def client_to_broker(ws, tcp):
    try:
        while True:
            b0, b1 = recv_exact(ws, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", recv_exact(ws, 2))[0]
            elif n == 127:
                n = struct.unpack("!Q", recv_exact(ws, 8))[0]
            mask = recv_exact(ws, 4) if b1 & 0x80 else b"\0\0\0\0"
            data = bytes(x ^ mask[i % 4] for i, x in enumerate(recv_exact(ws, n)))
            op = b0 & 0x0F
            if op == 8:
                ws.sendall(frame(8, data[:2]))
                break
            if op in (0, 1, 2):
                tcp.sendall(data)
    except (EOFError, OSError):
        pass
    try:
        tcp.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def broker_to_client(ws, tcp):
    try:
        while True:
            data = tcp.recv(65536)
            if not data:
                break
            if len(data) > 100:
                h = len(data) // 2
                ws.sendall(frame(2, data[:h], fin=False) + frame(9, b"relay") +
                           frame(0, data[h:]))
            else:
                ws.sendall(frame(2, data))
    except OSError:
        pass
    try:
        ws.sendall(frame(8, struct.pack("!H", 1000)))
        ws.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve(ws, broker_port):
    req = b""
    while b"\r\n\r\n" not in req:
        k = ws.recv(4096)
        if not k:
            ws.close()
            return
        req += k
    key = b""
    for line in req.split(b"\r\n"):
        if line.lower().startswith(b"sec-websocket-key:"):
            key = line.split(b":", 1)[1].strip()
    acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
    ws.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc +
               b"\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
    tcp = socket.create_connection(("127.0.0.1", broker_port))
    t = threading.Thread(target=broker_to_client, args=(ws, tcp))
    t.start()
    client_to_broker(ws, tcp)
    t.join()
    ws.close()
    tcp.close()


def main():
    port, broker = int(sys.argv[1]), int(sys.argv[2])
    ctx = None
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(8)
    while True:
        s, _ = ls.accept()
        if ctx:
            try:
                s = ctx.wrap_socket(s, server_side=True)
            except (ssl.SSLError, OSError):
                s.close()
                continue
        threading.Thread(target=serve, args=(s, broker), daemon=True).start()


main()
