#!/usr/bin/env python3
"""Capture input and -w output, judged by tshark, capinfos and Python's own reading of pcap.

usage: capture.py MQTTDUMP SOURCE_ROOT      (TAP output)

  - -r - streams: a line appears while the writer still holds the rest of the file back;
  - SIGUSR1 prints the counts and the run goes on; a progress line on a terminal, erased;
  - a header snap length below the records' lengths (pcap and pcapng): read whole, with a
    warning; the MQTT message count is tshark's;
  - frames cut inside their headers are counted (the count Python finds in the file);
  - -w in one pass: from a FIFO (which cannot be read twice), to standard output, the same
    bytes as from the file; tshark reads what it writes and finds the MQTT messages it
    finds in the input;
  - -C / -W / -G rotation: file names and contents as tcpdump's rule makes them, computed
    here from the single -w output;
  - pcapng time stamps near the 64-bit limit (if_tsresol 9, 0, 2^-1): no sanitizer report,
    no negative absolute time, a warning; the messages are tshark's.
"""
import glob, json, os, pty, select, signal, struct, subprocess, sys, tempfile, threading, time

BIN, ROOT = sys.argv[1], sys.argv[2]
CAPS = os.path.join(ROOT, "captures")
TMP = tempfile.mkdtemp(prefix="mqd-capture-")
results = []


def ok(cond, name, diag=""):
    results.append((bool(cond), name, diag))


def run(args, **kw):
    return subprocess.run([BIN] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def pcap_records(path):
    """(header bytes, [(sec, frac, caplen, len, data)]) of a classic little-endian pcap."""
    d = open(path, "rb").read()
    off, out = 24, []
    while off + 16 <= len(d):
        s, u, cl, ol = struct.unpack("<IIII", d[off:off + 16])
        out.append((s, u, cl, ol, d[off + 16:off + 16 + cl]))
        off += 16 + cl
    return d[:24], out


def rec_bytes(r):
    return struct.pack("<IIII", r[0], r[1], r[2], r[3]) + r[4]


def tshark_msgs(path, extra=()):
    """MQTT messages tshark finds (one per mqtt.msgtype value)."""
    p = subprocess.run(["tshark", "-r", path, "-Y", "mqtt", "-T", "fields", "-e",
                        "mqtt.msgtype"] + list(extra), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    if p.returncode != 0:
        return None
    return sum(len(l.split(",")) for l in p.stdout.decode().splitlines() if l.strip())


def mqd_msgs(err):
    for l in err.decode(errors="replace").splitlines():
        if " MQTT messages," in l and " frames, " in l:
            return int(l.split(" frames, ")[1].split(" ")[0])
    return None


# ---- -r - streams ------------------------------------------------------------------------

def test_stream():
    hdr, recs = pcap_records(os.path.join(CAPS, "qos1.pcap"))
    p = subprocess.Popen([BIN, "-r", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    p.stdin.write(hdr)
    p.stdin.flush()
    line, sent = b"", 0
    for r in recs:
        p.stdin.write(rec_bytes(r))
        p.stdin.flush()
        sent += 1
        rd, _, _ = select.select([p.stdout], [], [], 1.0)
        if rd:
            line = os.read(p.stdout.fileno(), 4096)
            break
    rest = len(recs) - sent
    p.stdin.write(b"".join(rec_bytes(r) for r in recs[sent:]))
    p.stdin.close()
    p.stdout.read()
    p.wait()
    ok(line and b"Connect Command" in line and rest > 20,
       "-r -: the first line comes while %d of %d records are still held back" %
       (rest, len(recs)), repr(line))


def test_usr1():
    hdr, recs = pcap_records(os.path.join(CAPS, "qos1.pcap"))
    p = subprocess.Popen([BIN, "-r", "-", "-q"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    p.stdin.write(hdr + b"".join(rec_bytes(r) for r in recs[:10]))
    p.stdin.flush()
    time.sleep(0.5)
    p.send_signal(signal.SIGUSR1)
    time.sleep(0.2)
    p.stdin.write(rec_bytes(recs[10]))
    p.stdin.flush()
    time.sleep(0.3)
    alive = p.poll() is None
    p.stdin.write(b"".join(rec_bytes(r) for r in recs[11:]))
    p.stdin.close()
    err = p.stderr.read().decode()
    p.wait()
    lines = [l for l in err.splitlines() if " frames, " in l]
    ok(alive and p.returncode == 0 and len(lines) == 2 and lines[0].startswith("mqttdump: 11 frames")
       and lines[1].startswith("mqttdump: %d frames" % len(recs)),
       "SIGUSR1: the counts so far (11 frames) on stderr, the run goes on to the end", err)


def test_progress():
    """stderr on a terminal, a slow pipe: the progress line, then erased."""
    hdr, recs = pcap_records(os.path.join(CAPS, "qos1.pcap"))
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN, "-r", "-", "-q"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    got = []

    def reader():
        while True:
            try:
                b = os.read(master, 4096)
            except OSError:
                return
            if not b:
                return
            got.append(b)
    t = threading.Thread(target=reader)
    t.start()
    p.stdin.write(hdr)
    for i, r in enumerate(recs):  # 2.2 s in all; 256 records between looks: pad with more
        p.stdin.write(rec_bytes(r))
        p.stdin.flush()
        time.sleep(0.05)
    # more records (the same ones again) so that the look every 256 records happens
    for k in range(12):
        p.stdin.write(b"".join(rec_bytes(r) for r in recs))
        p.stdin.flush()
        time.sleep(0.15)
    p.stdin.close()
    p.wait()
    t.join(2)
    out = b"".join(got).decode(errors="replace")
    shown = "MB read" in out and "MB/s" in out
    erased = out.rfind("\r\x1b[K") > out.rfind("MB/s")
    ok(shown and erased and p.returncode == 0,
       "progress on a terminal: bytes read and rate, erased before the counts", repr(out[-300:]))
    lines = pcap_records  # silence linters
    del lines


# ---- snap lengths -------------------------------------------------------------------------

def pcapng_of(src, out, snaplen=0, tsresol=None, stamps=None):
    """src (pcap) as pcapng: one IDB (snaplen, if_tsresol), EPBs with times stamps(i)."""
    d = open(src, "rb").read()
    lt = struct.unpack("<I", d[20:24])[0]
    _, recs = pcap_records(src)

    def blk(t, body):
        body += b"\0" * ((-len(body)) % 4)
        n = 12 + len(body)
        return struct.pack("<II", t, n) + body + struct.pack("<I", n)

    def opt(code, val):
        return struct.pack("<HH", code, len(val)) + val + b"\0" * ((-len(val)) % 4)
    opts = (opt(9, bytes([tsresol])) if tsresol is not None else b"") + opt(0, b"")
    b = blk(0x0a0d0d0a, struct.pack("<IHHq", 0x1a2b3c4d, 1, 0, -1))
    b += blk(1, struct.pack("<HHI", lt, 0, snaplen) + opts)
    for i, (s, u, cl, ol, data) in enumerate(recs):
        t = (stamps(i) if stamps else s * 1000000 + u) & 0xffffffffffffffff
        b += blk(6, struct.pack("<IIIII", 0, t >> 32, t & 0xffffffff, cl, ol) + data)
    open(out, "wb").write(b)


def test_header_snaplen():
    src = os.path.join(CAPS, "qos1.pcap")
    d = bytearray(open(src, "rb").read())
    d[16:20] = struct.pack("<I", 60)
    small = os.path.join(TMP, "snap60.pcap")
    open(small, "wb").write(d)
    want = tshark_msgs(small)
    r = run(["-r", small, "-q"])
    got = mqd_msgs(r.stderr)
    ok(want and got == want and r.returncode == 0 and
       b"header's snap length is 60 bytes" in r.stderr,
       "pcap header snap length 60 below its records: %s messages, as tshark (%s), and a "
       "warning" % (got, want), r.stderr.decode())
    ng = os.path.join(TMP, "snap60.pcapng")
    pcapng_of(src, ng, snaplen=60)
    want = tshark_msgs(ng)
    r = run(["-r", ng, "-q"])
    got = mqd_msgs(r.stderr)
    ok(want and got == want and b"header's snap length is 60 bytes" in r.stderr,
       "pcapng IDB snap length 60: %s messages, as tshark (%s), and a warning" % (got, want),
       r.stderr.decode())
    # the same through a pipe (the header is lifted in the peeked bytes)
    r = subprocess.run([BIN, "-r", "-", "-q"], stdin=open(small, "rb"), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    ok(mqd_msgs(r.stderr) == tshark_msgs(small), "the same from standard input")


def headers_len(data):
    """Ethernet + IPv4 + TCP header length of a frame (Python's own reading)."""
    ihl = (data[14] & 15) * 4
    return 14 + ihl + (data[14 + ihl + 12] >> 4) * 4


def test_cut_headers():
    src = os.path.join(CAPS, "qos1.pcap")
    _, recs = pcap_records(src)
    for snap in (40, 60, 70):
        cut = os.path.join(TMP, "cut%d.pcap" % snap)
        subprocess.run(["editcap", "-s", str(snap), src, cut], check=True)
        n_cut = sum(1 for r in recs if r[2] > snap)
        n_hdr = sum(1 for r in recs if headers_len(r[4]) > snap)
        r = run(["-r", cut, "-q"])
        e = r.stderr.decode()
        want = "%d frames cut by the snap length (%d bytes kept at most), %d of them inside" % (
            n_cut, snap, n_hdr) if n_hdr else "%d frames cut by the snap length (%d bytes " \
            "kept at most), inside their TCP payload" % (n_cut, snap)
        ok(want in e, "editcap -s %d: %d frames cut, %d inside their headers, counted" %
           (snap, n_cut, n_hdr), e)


# ---- -w ---------------------------------------------------------------------------------

def test_w_fifo_and_stdout():
    for name in ("qos2", "large-message", "mqtt5-all-types", "websocket"):
        src = os.path.join(CAPS, name + ".pcap")
        a = os.path.join(TMP, "wa.pcap")
        b = os.path.join(TMP, "wb.pcap")
        run(["-r", src, "-q", "-w", a], check=True)
        fifo = os.path.join(TMP, "fifo")
        if os.path.exists(fifo):
            os.unlink(fifo)
        os.mkfifo(fifo)
        feeder = subprocess.Popen(["sh", "-c", 'cat "$0" > "$1"', src, fifo])
        r = run(["-r", fifo, "-q", "-w", b], timeout=20)
        feeder.wait()
        ok(r.returncode == 0 and open(a, "rb").read() == open(b, "rb").read(),
           "-w %s from a FIFO: one pass, the bytes -r FILE writes" % name, r.stderr.decode())
        r = run(["-r", src, "-w", "-"])
        ok(r.stdout == open(a, "rb").read() and r.returncode == 0,
           "-w - %s: the pcap alone on standard output" % name)
        ws = tshark_msgs(a)
        wo = tshark_msgs(src)
        ok(ws is not None and ws == wo, "-w %s: tshark reads it and finds its %s MQTT "
           "messages (%s)" % (name, wo, ws))
    r = run(["-r", os.path.join(CAPS, "large-1mib.pcap"), "-q", "-w", "/dev/full"])
    e = r.stderr.decode()
    ok(r.returncode == 1 and e.count("-w /dev/full: No space left on device") == 1,
       "-w /dev/full: the failed write said once, status 1", e)
    for args, why in ((["-w", "-", "-C", "1"], "-C and -G need a file name"),
                      (["-C", "1"], "go with -w FILE"),
                      (["-w", os.path.join(TMP, "x"), "-W", "2"], "-W goes with -C or -G")):
        r = run(["-r", os.path.join(CAPS, "qos1.pcap")] + args)
        ok(r.returncode == 2 and why.encode() in r.stderr and r.stderr.count(b"\n") == 1,
           "%s: refused in one line, status 2" % " ".join(args), r.stderr.decode())
    r = run(["-r", os.path.join(CAPS, "qos1.pcap"), "-w", "-", "--json"])
    ok(r.returncode == 2 and b"-w - and --json both write to the standard output" in r.stderr and r.stderr.count(b"\n") == 1,
       "-w - with --json: refused in one line", r.stderr.decode())


def tcp_frame(seq, payload, sport=40000, dport=1883, flags=0x18):
    """Ethernet + IPv4 + TCP (no options) from 10.0.0.1 to 10.0.0.2."""
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 1, 0, 64, 6, 0,
                     bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + tcp + payload


def write_pcap(path, frames):
    """frames: (time in seconds, bytes)."""
    b = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1)
    for t, f in frames:
        b += struct.pack("<IIII", int(t), 0, len(f), len(f)) + f
    open(path, "wb").write(b)


def test_w_bounds():
    """A PUBLISH whose two segments are 100 s apart: its first frame waits past the 60 s
    bound, is not written, and the message is counted as written without it."""
    connect = bytes([0x10, 16, 0, 4]) + b"MQTT" + bytes([4, 2, 0, 60, 0, 4]) + b"slow"
    body = bytes([0, 3]) + b"a/b" + b"x" * 40
    publish = bytes([0x30, len(body)]) + body
    f = [(1, tcp_frame(1, connect)), (2, tcp_frame(1 + len(connect), publish[:20])),
         (102, tcp_frame(1 + len(connect) + 20, publish[20:]))]
    src = os.path.join(TMP, "slow.pcap")
    write_pcap(src, f)
    out = os.path.join(TMP, "slow-w.pcap")
    r = run(["-r", src, "-q", "-w", out])
    _, recs = pcap_records(out)
    e = r.stderr.decode()
    ok(r.returncode == 0 and [x[4] for x in recs] == [f[0][1], f[2][1]] and
       "1 message written without its first frames" in e,
       "-w: a message spanning 100 s: its first frame past the 60 s bound not written, and "
       "said", e)
    f[2] = (50, f[2][1])
    write_pcap(src, f)
    r = run(["-r", src, "-q", "-w", out])
    _, recs = pcap_records(out)
    ok([x[4] for x in recs] == [x[1] for x in f] and "without their first" not in
       r.stderr.decode(), "-w: the same 48 s apart: every frame, no warning")


def mqd_w(src, args):
    out = os.path.join(TMP, "single.pcap")
    run(["-r", src, "-q", "-w", out] + args, check=True)
    return pcap_records(out)


def test_rotation_size():
    src = os.path.join(CAPS, "large-1mib.pcap")
    hdr, recs = mqd_w(src, [])
    d = os.path.join(TMP, "rot-c")
    os.mkdir(d)
    run(["-r", src, "-q", "-w", d + "/out", "-C", "1"], check=True)
    # tcpdump's rule: before each record, a new file when this one holds more than 1e6
    # bytes; names out, out1, out2...
    files, size = [[]], 24
    for r in recs:
        if size > 1000000:
            files.append([])
            size = 24
        files[-1].append(r)
        size += 16 + r[2]
    names = ["out"] + ["out%d" % i for i in range(1, len(files))]
    have = sorted(os.listdir(d))
    same = have == sorted(names) and all(
        pcap_records(os.path.join(d, n))[1] == f for n, f in zip(names, files))
    ok(len(files) > 1 and same, "-C 1: %d files %s, each as tcpdump would cut them" %
       (len(files), names), str(have))
    counts = [int(subprocess.run(["capinfos", "-c", "-M", os.path.join(d, n)],
                                 stdout=subprocess.PIPE).stdout.split()[-1]) for n in names]
    ok(sum(counts) == len(recs), "capinfos reads them: %d records in all" % sum(counts))
    d2 = os.path.join(TMP, "rot-w")
    os.mkdir(d2)
    run(["-r", src, "-q", "-w", d2 + "/ring", "-C", "1", "-W", "2"], check=True)
    # a ring of 2: ring0, ring1; the last file written is files[-1] at number (k-1) % 2
    k = len(files)
    want = {"ring%d" % ((k - 1) % 2): files[-1], "ring%d" % ((k - 2) % 2): files[-2]}
    have = sorted(os.listdir(d2))
    ok(have == sorted(want) and all(pcap_records(os.path.join(d2, n))[1] == f
                                    for n, f in want.items()),
       "-C 1 -W 2: a ring of ring0 and ring1 holding the last two files", str(have))


def test_rotation_time():
    src = os.path.join(CAPS, "clients-200.pcap")
    hdr, recs = mqd_w(src, [])
    d = os.path.join(TMP, "rot-g")
    os.mkdir(d)
    run(["-r", src, "-q", "-w", d + "/g-%H%M%S.pcap", "-G", "5"], check=True)
    periods, start = [], None
    for r in recs:
        if start is None or r[0] - start >= 5:
            start = r[0]
            periods.append((time.strftime("g-%H%M%S.pcap", time.localtime(start)), []))
        periods[-1][1].append(r)
    have = sorted(os.listdir(d))
    ok(len(periods) > 1 and have == sorted(n for n, _ in periods) and
       all(pcap_records(os.path.join(d, n))[1] == f for n, f in periods),
       "-G 5: a file per 5 s of capture time, named by strftime: %s" %
       [n for n, _ in periods], str(have))
    d = os.path.join(TMP, "rot-gw")
    os.mkdir(d)
    r = run(["-r", src, "-q", "-w", d + "/g-%H%M%S.pcap", "-G", "5", "-W", "2"])
    have = sorted(os.listdir(d))
    ok(r.returncode == 0 and have == sorted(n for n, _ in periods[:2]),
       "-G 5 -W 2: the capture ends after 2 files", str(have) + r.stderr.decode())


# ---- time stamps near the 64-bit limit ------------------------------------------------------

def test_huge_stamps():
    src = os.path.join(CAPS, "qos1.pcap")
    cases = [("ns", 9, lambda i: 0xffffffffffffff00 + i),
             ("s", 0, lambda i: 0xfffffffffffffff0 + i),
             ("pow2", 0x81, lambda i: 0xfffffffffffffff0 + i),
             ("int64", 0, lambda i: 0x7ffffffffffffff0 + i if i % 2 else 0x8000000000000000 + i),
             ("wrap", 9, lambda i: (0xffffffffffffff00 if i < 3 else 0) + i)]
    for name, res, st in cases:
        f = os.path.join(TMP, "huge-%s.pcapng" % name)
        pcapng_of(src, f, tsresol=res, stamps=st)
        bad = []
        for args in (["-q", "--stats", "--timeline", os.path.join(TMP, "t.json")],
                     ["--json"], ["-V", "-x", "--explain"], ["--diagram"]):
            r = run(["-r", f] + args)
            e = r.stderr.decode(errors="replace")
            if r.returncode != 0 or "runtime error" in e or "Sanitizer" in e:
                bad.append("%s: %d %s" % (args, r.returncode, e[:300]))
            if "--json" in args:
                for l in r.stdout.decode().splitlines():
                    ts = json.loads(l).get("ts", "")
                    if ts.startswith("-"):
                        bad.append("negative ts " + ts)
            if args[0] == "-q" and "time stamp past" not in e:
                bad.append("no warning: " + e)
        r = run(["-r", f, "-q"])
        want = tshark_msgs(f)
        ok(not bad and mqd_msgs(r.stderr) == want,
           "pcapng time stamps near 2^64 (%s, if_tsresol %#x): every output, no overflow, "
           "a warning, tshark's %s messages" % (name, res, want), "\n".join(bad))


def main():
    for t in (test_stream, test_usr1, test_progress, test_header_snaplen, test_cut_headers,
              test_w_fifo_and_stdout, test_w_bounds, test_rotation_size, test_rotation_time,
              test_huge_stamps):
        try:
            t()
        except Exception as e:  # a test that breaks is a failure, with why
            ok(False, t.__name__ + " raised", repr(e))
    print("1..%d" % len(results))
    fail = 0
    for i, (good, name, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if good else "not ok", i, name))
        if not good:
            fail = 1
            for l in str(diag).splitlines()[:20]:
                print("# " + l)
    subprocess.run(["rm", "-rf", TMP])
    sys.exit(fail)


main()
