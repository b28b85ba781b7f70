#!/usr/bin/env python3
"""make-vectors.py - real TLS record vectors for tests/test_tlscrypto.c.

For every cipher suite tlscrypto supports (and, for the CBC suites, both MAC-then-encrypt
and encrypt-then-MAC), run a real TLS handshake between a Python ssl server and a Python
ssl client (OpenSSL underneath), send known application data both ways, close with
close_notify, and write what went over the wire:

  <name>.vec    the ClientHello/ServerHello randoms, the suite, whether encrypt_then_mac
                was negotiated, every protected record in each direction (hex, header
                included, in order) and the application data each side sent
  keylog.txt    the client's SSLKEYLOGFILE lines (keylog_filename=) for all of them

Client and server talk through in-memory BIOs (ssl.MemoryBIO) instead of a TCP socket:
the bytes read out of each side's outgoing BIO are exactly what it would have written to
the socket, and nothing else can interleave. TLS 1.3 suites cannot be chosen through
Python's ssl API, so each TLS 1.3 case runs in a child process whose OPENSSL_CONF sets
Ciphersuites. The key-update and padding cases call SSL_key_update / SSL_set_block_padding
through ctypes (Python has no API for them); the SSL pointer is checked against the
connection's client random first.

Run from anywhere: python3 tests/data/tls/make-vectors.py   (rewrites this directory)
Needs: python3, openssl(1). The test suite itself reads only the files written here.
"""
import ctypes
import os
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# name, TLS version, OpenSSL cipher name, certificate kind, encrypt_then_mac wanted
CASES = [
    ("tls13-aes128-gcm", "1.3", "TLS_AES_128_GCM_SHA256", "rsa", None),
    ("tls13-aes256-gcm", "1.3", "TLS_AES_256_GCM_SHA384", "rsa", None),
    ("tls13-chacha20", "1.3", "TLS_CHACHA20_POLY1305_SHA256", "rsa", None),
    ("tls13-keyupdate", "1.3", "TLS_AES_256_GCM_SHA384", "rsa", "keyupdate"),
    ("tls13-padded", "1.3", "TLS_CHACHA20_POLY1305_SHA256", "rsa", "padding"),
    ("ecdhe-rsa-aes128-gcm", "1.2", "ECDHE-RSA-AES128-GCM-SHA256", "rsa", None),
    ("ecdhe-rsa-aes256-gcm", "1.2", "ECDHE-RSA-AES256-GCM-SHA384", "rsa", None),
    ("ecdhe-ecdsa-aes128-gcm", "1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "ec", None),
    ("ecdhe-ecdsa-aes256-gcm", "1.2", "ECDHE-ECDSA-AES256-GCM-SHA384", "ec", None),
    ("dhe-rsa-aes128-gcm", "1.2", "DHE-RSA-AES128-GCM-SHA256", "rsa", None),
    ("dhe-rsa-aes256-gcm", "1.2", "DHE-RSA-AES256-GCM-SHA384", "rsa", None),
    ("rsa-aes128-gcm", "1.2", "AES128-GCM-SHA256", "rsa", None),
    ("rsa-aes256-gcm", "1.2", "AES256-GCM-SHA384", "rsa", None),
    ("ecdhe-rsa-chacha20", "1.2", "ECDHE-RSA-CHACHA20-POLY1305", "rsa", None),
    ("ecdhe-ecdsa-chacha20", "1.2", "ECDHE-ECDSA-CHACHA20-POLY1305", "ec", None),
    ("dhe-rsa-chacha20", "1.2", "DHE-RSA-CHACHA20-POLY1305", "rsa", None),
]
CBC = [
    ("ecdhe-rsa-aes128-sha", "ECDHE-RSA-AES128-SHA", "rsa"),
    ("ecdhe-rsa-aes256-sha", "ECDHE-RSA-AES256-SHA", "rsa"),
    ("ecdhe-ecdsa-aes128-sha", "ECDHE-ECDSA-AES128-SHA", "ec"),
    ("ecdhe-ecdsa-aes256-sha", "ECDHE-ECDSA-AES256-SHA", "ec"),
    ("ecdhe-rsa-aes128-sha256", "ECDHE-RSA-AES128-SHA256", "rsa"),
    ("ecdhe-rsa-aes256-sha384", "ECDHE-RSA-AES256-SHA384", "rsa"),
    ("ecdhe-ecdsa-aes128-sha256", "ECDHE-ECDSA-AES128-SHA256", "ec"),
    ("ecdhe-ecdsa-aes256-sha384", "ECDHE-ECDSA-AES256-SHA384", "ec"),
    ("rsa-aes128-sha", "AES128-SHA", "rsa"),
    ("rsa-aes256-sha", "AES256-SHA", "rsa"),
    ("rsa-aes128-sha256", "AES128-SHA256", "rsa"),
    ("rsa-aes256-sha256", "AES256-SHA256", "rsa"),
]
for _n, _c, _k in CBC:
    CASES.append((_n + "-etm", "1.2", _c, _k, "etm"))
    CASES.append((_n + "-mte", "1.2", _c, _k, "mte"))

# Not exported by Python's ssl module; the bit from OpenSSL 3.0's ssl.h.
SSL_OP_NO_ENCRYPT_THEN_MAC = 1 << 19


def run(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_keys(tmp):
    """A self-signed RSA and ECDSA certificate and ffdhe2048 DH parameters."""
    for kind, newkey in (("rsa", ["-newkey", "rsa:2048"]),
                         ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])):
        run("openssl", "req", "-x509", *newkey, "-nodes", "-subj", "/CN=localhost",
            "-days", "3650", "-keyout", os.path.join(tmp, kind + ".key"),
            "-out", os.path.join(tmp, kind + ".crt"))
    run("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048",
        "-out", os.path.join(tmp, "dh.pem"))


def records(stream):
    """Split one direction's byte stream into TLS records (header included)."""
    out, i = [], 0
    while i < len(stream):
        assert len(stream) - i >= 5, "stream ends inside a record header"
        n = int.from_bytes(stream[i + 3:i + 5], "big")
        assert len(stream) - i - 5 >= n, "stream ends inside a record"
        out.append(bytes(stream[i:i + 5 + n]))
        i += 5 + n
    return out


def hello(rec):
    """(random, cipher suite, extension types) of a ClientHello/ServerHello record."""
    assert rec[0] == 22 and rec[5] in (1, 2), "not a hello"
    body = rec[9:]
    rnd = body[2:34]
    sid_len = body[34]
    p = 35 + sid_len
    if rec[5] == 1:  # ClientHello: suites, compression, extensions
        n = int.from_bytes(body[p:p + 2], "big")
        p += 2 + n
        p += 1 + body[p]
        suite = None
    else:
        suite = int.from_bytes(body[p:p + 2], "big")
        p += 3
    exts = []
    if p + 2 <= len(body):
        end = p + 2 + int.from_bytes(body[p:p + 2], "big")
        p += 2
        while p + 4 <= end:
            exts.append(int.from_bytes(body[p:p + 2], "big"))
            p += 4 + int.from_bytes(body[p + 2:p + 4], "big")
    return rnd, suite, exts


def ssl_pointer(obj):
    """The SSL * of an ssl.SSLObject (CPython's PySSLSocket: PyObject_HEAD, Socket, ssl)."""
    return ctypes.c_void_p.from_address(id(obj._sslobj) + 2 * ctypes.sizeof(ctypes.c_void_p)
                                        + ctypes.sizeof(ctypes.c_ssize_t)).value


def one_case(name, version, cipher, kind, mode, tmp, keylog):
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(os.path.join(tmp, kind + ".crt"), os.path.join(tmp, kind + ".key"))
    server_ctx.load_dh_params(os.path.join(tmp, "dh.pem"))
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client_ctx.keylog_filename = keylog
    for ctx in (server_ctx, client_ctx):
        if version == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(cipher + ":@SECLEVEL=0")
        else:
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if mode == "mte":
        client_ctx.options |= SSL_OP_NO_ENCRYPT_THEN_MAC

    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_side=False, server_hostname="localhost")
    server = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    wire = {"c2s": bytearray(), "s2c": bytearray()}

    def pump():
        moved = False
        data = c_out.read()
        if data:
            wire["c2s"] += data
            s_in.write(data)
            moved = True
        data = s_out.read()
        if data:
            wire["s2c"] += data
            c_in.write(data)
            moved = True
        return moved

    done = {"c": False, "s": False}
    for _ in range(50):
        if not done["c"]:
            try:
                client.do_handshake()
                done["c"] = True
            except ssl.SSLWantReadError:
                pass
        pump()
        if not done["s"]:
            try:
                server.do_handshake()
                done["s"] = True
            except ssl.SSLWantReadError:
                pass
        pump()
        if done["c"] and done["s"]:
            break
    assert done["c"] and done["s"], name + ": handshake did not finish"
    got = client.cipher()[0]
    assert got == cipher, "%s: negotiated %s" % (name, got)

    sent = {"c2s": bytearray(), "s2c": bytearray()}

    def send(side, data):
        obj = client if side == "c2s" else server
        obj.write(data)
        sent[side] += data
        pump()

    def drain(obj, want):
        buf = bytearray()
        for _ in range(100):
            pump()
            try:
                buf += obj.read(65536)
            except ssl.SSLWantReadError:
                pass
            if len(buf) >= want:
                return buf
        raise AssertionError(name + ": data did not arrive")

    big = bytes((i * 7 + 3) & 0xff for i in range(1500))
    script = [("c2s", b"PING from the client over " + name.encode()),
              ("s2c", b"PONG from the server over " + name.encode()),
              ("c2s", b"second client record"),
              ("s2c", big)]
    if mode in ("keyupdate", "padding"):
        lib = ctypes.CDLL("libssl.so.3")
        lib.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.SSL_set_block_padding.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.SSL_version.argtypes = [ctypes.c_void_p]
        lib.SSL_get_client_random.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
        lib.SSL_get_client_random.restype = ctypes.c_size_t

        def checked(obj):
            """obj's SSL *, after making sure it is this TLS 1.3 connection's."""
            ptr = ssl_pointer(obj)
            buf = ctypes.create_string_buffer(32)
            assert lib.SSL_version(ptr) == 0x0304
            assert lib.SSL_get_client_random(ptr, buf, 32) == 32
            assert buf.raw == hello(records(wire["c2s"])[0])[0], "wrong SSL pointer"
            return ptr
    if mode == "padding":
        # Both sides pad every record from now on to a multiple of 64 bytes
        # (RFC 8446 5.4), so the receiver has zeros to strip.
        for obj in (client, server):
            assert lib.SSL_set_block_padding(checked(obj), 64) == 1
    for i, (side, data) in enumerate(script):
        if mode == "keyupdate" and i == 2:
            # The client updates its keys and asks the server to do the same
            # (SSL_KEY_UPDATE_REQUESTED = 1): both directions change keys.
            assert lib.SSL_key_update(checked(client), 1) == 1
        send(side, data)
        drain(server if side == "c2s" else client, len(data))
    if mode == "keyupdate":
        # the server's answering KeyUpdate goes out with its next write
        send("s2c", b"after the server's key update")
        drain(client, 29)
    try:
        client.unwrap()
    except ssl.SSLWantReadError:
        pass
    pump()
    try:
        server.unwrap()
    except ssl.SSLWantReadError:
        pass
    pump()

    recs = {d: records(wire[d]) for d in wire}
    c_random, _, _ = hello(recs["c2s"][0])
    s_random, suite, exts = hello(recs["s2c"][0])
    tls13 = 0x002b in exts
    etm = 0x0016 in exts
    assert tls13 == (version == "1.3"), name
    if mode == "etm":
        assert etm, name + ": encrypt_then_mac not negotiated"
    if mode == "mte":
        assert not etm, name + ": encrypt_then_mac negotiated"
    lines = ["# %s: generated by make-vectors.py (Python %s, %s)"
             % (name, sys.version.split()[0], ssl.OPENSSL_VERSION),
             "version %s" % ("0304" if tls13 else "0303"),
             "suite %04x" % suite,
             "etm %d" % (1 if etm else 0),
             "client_random " + c_random.hex(),
             "server_random " + s_random.hex()]
    for d in ("c2s", "s2c"):
        protected, after_ccs = [], False
        for r in recs[d]:
            if r[0] == 20:  # ChangeCipherSpec: never protected; TLS 1.2 keys start after it
                after_ccs = True
                continue
            if (tls13 and r[0] == 23) or (not tls13 and after_ccs):
                protected.append(r)
        lines += ["%s %s" % (d, r.hex()) for r in protected]
    lines += ["plain_%s %s" % (d, bytes(sent[d]).hex()) for d in ("c2s", "s2c")]
    with open(os.path.join(HERE, name + ".vec"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return name


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        # child: one TLS 1.3 case under an OPENSSL_CONF that forces its suite
        name, tmp = sys.argv[2], sys.argv[3]
        case = [c for c in CASES if c[0] == name][0]
        one_case(*case, tmp, os.path.join(tmp, name + ".keys"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        make_keys(tmp)
        keylog_lines = []
        for case in CASES:
            name, version, cipher = case[0], case[1], case[2]
            keys = os.path.join(tmp, name + ".keys")
            if version == "1.3":
                conf = os.path.join(tmp, name + ".cnf")
                with open(conf, "w") as f:
                    f.write("openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\n"
                            "system_default = sys\n[sys]\nCiphersuites = %s\n" % cipher)
                env = dict(os.environ, OPENSSL_CONF=conf)
                subprocess.run([sys.executable, os.path.abspath(__file__), "--one", name, tmp],
                               check=True, env=env)
            else:
                one_case(*case, tmp, keys)
            with open(keys) as f:
                keylog_lines += [ln for ln in f.read().splitlines() if ln and not ln.startswith("#")]
            print("made", name)
        with open(os.path.join(HERE, "keylog.txt"), "w") as f:
            f.write("# SSLKEYLOGFILE lines of the clients in make-vectors.py\n")
            f.write("\n".join(keylog_lines) + "\n")


if __name__ == "__main__":
    main()
