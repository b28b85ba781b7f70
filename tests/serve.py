#!/usr/bin/env python3
"""--serve: the live page and its event stream (docs/classroom.md), checked from outside.

Usage: serve.py MQTTDUMP SOURCE_ROOT [SCREENSHOT.png]

mqttdump --serve 127.0.0.1:0 is started on bundled captures and read with http.client:
the events must be mqttdump --json's records of the same capture (one source of truth),
their count tshark's count of MQTT messages plus the events, their explanations
--explain's, their trees -V's; Last-Event-ID resumes; anything but GET/HEAD is 405, an
unknown path 404; the default address is 127.0.0.1 (the kernel's socket table says so);
the history is bounded and says what it dropped; a viewer that never reads does not slow
another; passwords never appear without --show-secrets; viewers are bounded; the server
keeps serving after the file ends, until SIGTERM. Where Chromium is installed, the page is
opened in it at 1024x768 (tests/html_click.py's DevTools pipe): arrows appear while the
replay runs, as many as the messages, a click shows the tree, a reload catches up."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MQTTDUMP = ROOT = None
RESULTS = []


def check(cond, what, detail=""):
    RESULTS.append(bool(cond))
    n = len(RESULTS)
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, what))
    if not cond and detail:
        for line in str(detail).splitlines()[:20]:
            print("#   " + line)
    sys.stdout.flush()


def cap(name):
    return os.path.join(ROOT, "captures", name)


class Server:
    """mqttdump --serve ADDR on a capture; the port it chose, read from its stderr."""

    def __init__(self, capture, *args, addr="127.0.0.1:0"):
        self.proc = subprocess.Popen([MQTTDUMP, "-r", cap(capture), "-q", "--serve", addr]
                                     + list(args), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        deadline = time.time() + 10
        self.port = None
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            m = re.search(r"serving http://([^ ]+):(\d+)/", line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                break
        if self.port is None:
            raise RuntimeError("no address on stderr: %r" % self.lines)

    def wait_end(self, timeout=30):
        """Until the counts line: the capture has been read to its end."""
        deadline = time.time() + timeout
        while time.time() < deadline and not any("MQTT messages" in l for l in self.lines):
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)

    def conn(self, timeout=20):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def stop(self):
        """SIGTERM; the exit status and the rest of stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "hung"
        self.lines += self.proc.stderr.readlines()
        return rc


def read_events(srv, last_id=None, until="ended", timeout=30):
    """The stream's events as (name, id, data) until the named one (or the timeout)."""
    c = srv.conn(timeout)
    headers = {"Last-Event-ID": str(last_id)} if last_id is not None else {}
    c.request("GET", "/events", headers=headers)
    r = c.getresponse()
    out, name, eid, data = [], "message", None, []
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = r.readline()
        if not line:
            break
        line = line.decode("utf-8").rstrip("\n")
        if line == "":
            if data:
                out.append((name, eid, json.loads("\n".join(data))))
                if name == until:
                    break
            name, eid, data = "message", None, []
        elif line.startswith("event: "):
            name = line[7:]
        elif line.startswith("id: "):
            eid = int(line[4:])
        elif line.startswith("data: "):
            data.append(line[6:])
    c.close()
    return r, out


def records(events):
    return [(eid, d) for name, eid, d in events if name == "message"]


def json_lines(capture, *args):
    out = subprocess.run([MQTTDUMP, "-r", cap(capture), "--json"] + list(args),
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(l) for l in out.splitlines()]


def tshark_messages(capture):
    """MQTT messages as tshark counts them (one mqtt.msgtype per message)."""
    out = subprocess.run(["tshark", "-r", cap(capture), "-Y", "mqtt", "-T", "fields",
                          "-e", "mqtt.msgtype"], capture_output=True, text=True).stdout
    return sum(len(l.split(",")) for l in out.splitlines() if l.strip())


def test_content():
    srv = Server("qos2.pcap", "--replay-speed", "0")
    try:
        srv.wait_end()
        c = srv.conn()
        c.request("GET", "/")
        r = c.getresponse()
        page = r.read().decode("utf-8")
        check(r.status == 200 and r.getheader("Content-Type", "").startswith("text/html")
              and "EventSource" in page, "GET / is the page")
        external = re.findall(r"(?:src|href)\s*=\s*[\"']?[a-z]+:|@import|url\(|//[a-z0-9.-]+\.[a-z]{2,}/",
                              page, re.I)
        check(not external and "innerHTML" not in page,
              "the page loads nothing from elsewhere and never sets innerHTML", external)
        check("default-src 'none'" in (r.getheader("Content-Security-Policy") or ""),
              "a Content-Security-Policy forbids other origins")
        resp, events = read_events(srv)
        recs = records(events)
        want = json_lines("qos2.pcap")
        check(resp.getheader("Content-Type") == "text/event-stream",
              "/events is an event stream")
        check([d["record"] for _, d in recs] == want,
              "the events are mqttdump --json's records, in order (%d)" % len(want),
              "got %d records" % len(recs))
        check([i for i, _ in recs] == list(range(1, len(want) + 1)),
              "each has an id, 1, 2, ... (for Last-Event-ID)")
        msgs = [d for _, d in recs if "type_id" in d["record"]]
        check(len(msgs) == tshark_messages("qos2.pcap"),
              "as many messages as tshark counts (%d)" % len(msgs))
        explain = subprocess.run([MQTTDUMP, "-r", cap("qos2.pcap"), "--explain"],
                                 capture_output=True, text=True, check=True).stdout
        said = [l.strip() for l in explain.splitlines() if l.startswith("      ")]
        got = [l for _, d in recs for l in d["explain"].split("\n") if l]
        check(got == said, "their explanations are --explain's, in order (%d)" % len(said),
              "\n".join(set(said) ^ set(got)))
        tree = subprocess.run([MQTTDUMP, "-r", cap("qos2.pcap"), "-V"], capture_output=True,
                              text=True, check=True).stdout
        missing = [d["record"]["frame"] for d in msgs
                   if not d["tree"] or d["tree"] not in tree]
        check(not missing, "each message's tree is its part of -V's tree", missing)
        hello = [d for n, _, d in events if n == "hello"]
        check(hello and hello[0]["dropped"] == 0 and hello[0]["last"] == len(want),
              "the stream opens with where the history starts and ends", hello)

        resp, again = read_events(srv, last_id=10)
        recs2 = records(again)
        h2 = [d for n, _, d in again if n == "hello"]
        check([i for i, _ in recs2] == list(range(11, len(want) + 1)) and
              [d["record"] for _, d in recs2] == want[10:] and h2[0]["resumed_from"] == 11,
              "Last-Event-ID: 10 resumes at record 11, told so", (h2, [i for i, _ in recs2]))

        statuses = {}
        for method, path in (("POST", "/"), ("PUT", "/events"), ("DELETE", "/"),
                             ("GET", "/nope"), ("GET", "/events/x"), ("GET", "/frame/1x")):
            c = srv.conn()
            c.request(method, path, body="x" if method != "GET" else None)
            statuses[(method, path)] = c.getresponse().status
            c.close()
        check(all(v == 405 for (m, _), v in statuses.items() if m != "GET"),
              "POST, PUT, DELETE get 405", statuses)
        check(all(v == 404 for (m, _), v in statuses.items() if m == "GET"),
              "unknown paths get 404", statuses)
        c = srv.conn()
        c.request("GET", "/")
        alive = c.getresponse().status == 200
        rc = srv.stop()
        check(alive and rc == 0, "after the file ends it serves until SIGTERM (exit 0)",
              (alive, rc, srv.lines))
    finally:
        srv.stop()


def listening(port):
    """The local addresses listening on port, from /proc/net/tcp and tcp6."""
    found = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for l in lines:
            local, st = l.split()[1], l.split()[3]
            addr, p = local.split(":")
            if int(p, 16) == port and st == "0A":
                found.append(addr)
    return found


def test_bind():
    srv = Server("qos2.pcap", "--replay-speed", "0", addr="0")
    try:
        check(srv.host == "127.0.0.1" and listening(srv.port) == ["0100007F"],
              "--serve PORT listens on 127.0.0.1 only", (srv.host, listening(srv.port)))
    finally:
        srv.stop()
    bad = subprocess.run([MQTTDUMP, "-r", cap("qos2.pcap"), "--serve", "1.2.3:80"],
                         capture_output=True, text=True, timeout=10)
    check(bad.returncode != 0 and bad.stderr.count("\n") == 1 and "--serve" in bad.stderr,
          "a bad address is one line and a non-zero exit", bad.stderr)
    for args in (["--replay-speed", "fast"], ["--replay-speed", "0.001"],
                 ["--serve-history", "0"]):
        bad = subprocess.run([MQTTDUMP, "-r", cap("qos2.pcap"), "--serve", "0"] + args,
                             capture_output=True, text=True, timeout=10)
        check(bad.returncode == 2 and bad.stderr.count("\n") == 1 and args[0] in bad.stderr,
              "%s %s: one line naming the option, status 2" % tuple(args), bad.stderr)
    busy = Server("qos2.pcap", "--replay-speed", "0")
    try:
        bad = subprocess.run([MQTTDUMP, "-r", cap("qos2.pcap"), "--serve",
                              "127.0.0.1:%d" % busy.port], capture_output=True, text=True,
                             timeout=10)
        check(bad.returncode == 1 and bad.stderr.count("\n") == 1 and
              "Address already in use" in bad.stderr,
              "a port in use: one line saying so, status 1", bad.stderr)
    finally:
        busy.stop()


def test_history():
    srv = Server("qos2.pcap", "--replay-speed", "0", "--serve-history", "5")
    try:
        srv.wait_end()
        _, events = read_events(srv)
        recs = records(events)
        hello = [d for n, _, d in events if n == "hello"][0]
        want = json_lines("qos2.pcap")
        check([d["record"] for _, d in recs] == want[-5:] and hello["dropped"] == len(want) - 5
              and hello["first"] == len(want) - 4,
              "--serve-history 5: the last 5 records, %d older told dropped" % (len(want) - 5),
              hello)
        _, events = read_events(srv, last_id=2)
        missed = [d for n, _, d in events if n == "missed"]
        check(missed and missed[0]["missed"] == len(want) - 5 - 2,
              "a viewer resuming before the history's start is told what it missed", missed)
    finally:
        srv.stop()


def test_slow_viewer():
    """4000 records; a viewer that never reads, then one that reads everything."""
    srv = Server("clients-200.pcap", "--replay-speed", "0")
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    try:
        slow.connect(("127.0.0.1", srv.port))
        slow.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)
        t0 = time.time()
        _, events = read_events(srv, timeout=60)
        took = time.time() - t0
        n = len(records(events))
        want = len(json_lines("clients-200.pcap"))
        check(n == want and took < 20, "a viewer that never reads does not stall another "
              "(%d records in %.1f s)" % (n, took), (n, want, took))
        srv.wait_end(20)
        check(any("3800 MQTT messages" in l for l in srv.lines),
              "nor the capture: it reads to the end with the slow viewer open")
        t0 = time.time()
        rc = srv.stop()
        check(rc == 0 and time.time() - t0 < 5, "SIGTERM ends it at once, the slow viewer "
              "still stuck (status %s)" % rc)
    finally:
        slow.close()
        srv.stop()


def test_viewers_bounded():
    srv = Server("qos2.pcap", "--replay-speed", "0")
    socks = []
    try:
        for _ in range(32):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1)
            socks.append(s)
        c = srv.conn()
        c.request("GET", "/events")
        st = c.getresponse().status
        check(st == 503, "a 33rd viewer is refused (503)", st)
        for s in socks:
            s.close()
        deadline, st = time.time() + 8, None
        while time.time() < deadline and st != 200:
            time.sleep(0.2)
            c = srv.conn()
            c.request("GET", "/events")
            st = c.getresponse().status
            c.close()
        check(st == 200, "and let in once the others have gone", st)
    finally:
        for s in socks:
            s.close()
        srv.stop()


def test_secrets():
    pw = subprocess.run(["tshark", "-r", cap("userpass.pcap"), "-Y", "mqtt.passwd", "-T",
                         "fields", "-e", "mqtt.passwd"], capture_output=True,
                        text=True).stdout.split()
    for args, shown in (((), False), (("--show-secrets",), True)):
        srv = Server("userpass.pcap", "--replay-speed", "0", *args)
        try:
            _, events = read_events(srv)
            recs = [d for _, d in records(events)]
            # where a password would be: the record's "password", the tree's line
            seen = sorted({d["record"].get("password") for d in recs} & set(pw) |
                          {p for p in pw for d in recs
                           if "Password: %s\n" % p in d.get("tree", "")})
            text = json.dumps(recs)
            if shown:
                check(pw and seen == sorted(set(pw)),
                      "--show-secrets: the passwords tshark reads are shown", seen)
            else:
                check(pw and not seen and "wonderland" not in text and "hidden" in text,
                      "no password in the events without --show-secrets", seen)
        finally:
            srv.stop()


def browser_tests(shot):
    from html_click import Browser, find_chromium
    import base64
    import shutil
    import tempfile
    exe = find_chromium()
    if not exe:
        print("# Chromium is not installed: the page's browser checks are skipped")
        return
    tmp = tempfile.mkdtemp()
    srv = Server("qos2.pcap", "--replay-speed", "0.1")   # 0.5 s of capture over 5 s
    b = Browser(exe, os.path.join(tmp, "profile"))
    try:
        target = next(t for t in b.call("Target.getTargets")["targetInfos"]
                      if t["type"] == "page")
        sess = b.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                "flatten": True})["sessionId"]

        def js(expr):
            r = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                       session=sess)
            return r["result"].get("value")

        b.call("Emulation.setDeviceMetricsOverride", {"width": 1024, "height": 768,
               "deviceScaleFactor": 1, "mobile": False}, session=sess)
        b.call("Page.enable", session=sess)
        b.call("Page.navigate", {"url": "http://127.0.0.1:%d/" % srv.port}, session=sess)
        seen, when = [], []
        deadline = time.time() + 20
        while time.time() < deadline:
            n = js("document.querySelectorAll('.row.msg').length")
            if n is not None and (not seen or seen[-1] != n):
                seen.append(n)
                when.append(time.time())
            if js("document.getElementById('status').textContent") == "capture ended":
                break
            time.sleep(0.1)
        msgs = tshark_messages("qos2.pcap")
        # qos2.pcap: 4 messages at 0 s, 12 at 0.502 s: at 0.1, 5 s apart
        part = [i for i, n in enumerate(seen) if 0 < n < msgs]
        check(part and seen[-1] == msgs and when[-1] - when[part[0]] > 2.5,
              "arrows appear while the replay runs, at its pace, %d in all as tshark "
              "counts" % msgs, list(zip(seen, [round(t - when[0], 2) for t in when])))
        order = js("Array.from(document.querySelectorAll('.row.msg')).map("
                   "function (r) { return +r.dataset.id; })")
        check(order == sorted(order), "in the order of the records")
        x, y = js("(function () { var a = Array.from(document.querySelectorAll('.row.msg'))"
                  ".filter(function (e) { return e.textContent.indexOf('PUBLISH') >= 0; })[0]"
                  ".querySelector('.arrow'); a.scrollIntoView({block: 'center'});"
                  " var r = a.getBoundingClientRect();"
                  " return [r.x + r.width / 2, r.y + 1]; })()")
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            b.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                "button": "left", "clickCount": 1},
                   session=sess)
        tree = js("document.getElementById('tree').textContent")
        expl = js("document.getElementById('explain').textContent")
        check(tree.startswith("MQ Telemetry Transport Protocol, Publish Message") and
              "Topic: bank/transfer" in tree and expl,
              "a click on a PUBLISH arrow shows its tree and explanation", tree[:100])
        png = base64.b64decode(b.call("Page.captureScreenshot", {"format": "png"},
                                      session=sess)["data"])
        check(png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot at 1024x768 (%d bytes)" % len(png))
        if shot:
            with open(shot, "wb") as f:
                f.write(png)
        b.call("Page.reload", session=sess)
        b.wait_event("Page.loadEventFired")
        deadline = time.time() + 10
        n = 0
        while time.time() < deadline:
            n = js("document.querySelectorAll('.row.msg').length")
            if n == msgs:
                break
            time.sleep(0.1)
        check(n == msgs, "a reloaded page catches up (%s arrows)" % n)
        for w, h in ((1024, 768), (1280, 720)):
            b.call("Emulation.setDeviceMetricsOverride", {"width": w, "height": h,
                   "deviceScaleFactor": 1, "mobile": False}, session=sess)
            fits = js("(function () { var a = document.querySelector('aside')"
                      ".getBoundingClientRect(), d = document.documentElement;"
                      " return d.scrollWidth <= %d && a.right <= %d && a.width >= 300 &&"
                      " document.querySelector('header').getBoundingClientRect().height"
                      " < %d / 5; })()" % (w, w, h))
            check(fits, "at %dx%d: nothing wider than the screen, the detail pane beside "
                  "the diagram, the header under a fifth of the height" % (w, h))
        french(b, sess, js)
        hostile(b, sess, js)
    except Exception as e:
        check(False, "Chromium: %s" % e)
    finally:
        b.close()
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


READER = r"""
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("GET", "/events")
r = c.getresponse()
while True:
    line = r.readline()
    if not line:
        break
    print("%.6f %s" % (time.time(), line.decode().rstrip("\n")), flush=True)
"""


def test_live():
    """A broker on loopback in a network namespace of our own; mqttdump -i lo --serve; an
    arrow's record must reach a viewer within a second of mosquitto_pub."""
    import shutil
    import tempfile
    need = [t for t in ("ip", "mosquitto_pub") if not shutil.which(t)]
    broker = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if os.getuid() != 0 or need or not os.path.exists(broker):
        print("# live check skipped: needs root, ip, mosquitto, mosquitto_pub")
        return
    ns = "mqd-serve-%d" % os.getpid()
    if subprocess.run(["ip", "netns", "add", ns], stderr=subprocess.DEVNULL).returncode:
        print("# live check skipped: cannot create a network namespace")
        return
    tmp = tempfile.mkdtemp()
    procs = []
    try:
        ex = ["ip", "netns", "exec", ns]
        subprocess.run(ex + ["ip", "link", "set", "lo", "up"], check=True)
        conf = os.path.join(tmp, "m.conf")
        with open(conf, "w") as f:
            f.write("listener 1883 127.0.0.1\nallow_anonymous true\n")
        procs.append(subprocess.Popen(ex + [broker, "-c", conf], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        dump = subprocess.Popen(ex + [MQTTDUMP, "-i", "lo", "-q", "--serve", "127.0.0.1:0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        procs.append(dump)
        line = dump.stderr.readline()
        m = re.search(r"serving http://127.0.0.1:(\d+)/", line)
        uid = [l.split()[1] for l in open("/proc/%d/status" % dump.pid)
               if l.startswith("Uid:")]
        try:
            nobody = __import__("pwd").getpwnam("nobody").pw_uid
        except KeyError:
            nobody = None
        check(m and (nobody is None or uid == [str(nobody)]),
              "live: serving once the privileges are dropped (uid %s)" % uid, line)
        reader = subprocess.Popen(ex + [sys.executable, "-c", READER, m.group(1)],
                                  stdout=subprocess.PIPE, text=True)
        procs.append(reader)
        while "event: hello" not in reader.stdout.readline():
            pass
        time.sleep(0.3)
        t0 = time.time()
        subprocess.run(ex + ["timeout", "10", "mosquitto_pub", "-h", "127.0.0.1", "-i",
                             "live-class", "-t", "class/live", "-m", "hi"], check=True)
        arrived = None
        deadline = time.time() + 5
        while time.time() < deadline:
            l = reader.stdout.readline()
            if not l:
                break
            if '"type":"PUBLISH"' in l and "class/live" in l:
                arrived = float(l.split()[0])
                break
        check(arrived is not None and arrived - t0 < 1.0,
              "live: the PUBLISH reaches a viewer within 1 s of mosquitto_pub (%s s)" %
              (None if arrived is None else round(arrived - t0, 3)))
        dump.send_signal(signal.SIGINT)
        rc = dump.wait(timeout=10)
        check(rc == 0, "live: ^C ends the capture and the server (status %s)" % rc)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
        subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


HIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                    "\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "span",
             "button", "input", "div", "main", "section", "aside", "h2", "pre", "script",
             "b"}


def po_fr():
    """po/fr.po's translations: {msgid: [msgstr...]} (one, or the plural forms)."""
    out = {}
    text = open(os.path.join(ROOT, "po", "fr.po"), encoding="utf-8").read()

    def unq(body):
        return "".join(json.loads('"%s"' % m) for m in re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    for block in re.split(r"\n\s*\n", text):
        m = re.search(r'^msgid ((?:".*"\s*)+)(?:msgid_plural (?:".*"\s*)+)?'
                      r'((?:msgstr(?:\[\d\])? (?:".*"\s*)+)+)', block, re.M)
        if m:
            out[unq(m.group(1))] = [unq(s) for s in
                                    re.findall(r'msgstr(?:\[\d\])? ((?:".*"\s*)+)', m.group(2))]
    return out


# the page's own texts, as the browser has them: the text of each data-t element without
# children, and its title, placeholder and aria-label
PAGE_TEXTS = ("Array.from(document.querySelectorAll('[data-t]')).map(function (e) {"
              " return [e.children.length ? '' : e.textContent, e.getAttribute('title') || '',"
              " e.getAttribute('placeholder') || '', e.getAttribute('aria-label') || '']; })")


def french(b, sess, js):
    """--lang fr: the page's own texts (headings, buttons, legend, status, counts, the
    detail's title) are po/fr.po's, not the English of the page."""
    fr = po_fr()
    english = js(PAGE_TEXTS)   # the page of the English server, just shown
    srv = Server("qos2.pcap", "--replay-speed", "0", "--lang", "fr")
    try:
        b.call("Page.navigate", {"url": "http://127.0.0.1:%d/" % srv.port}, session=sess)
        b.wait_event("Page.loadEventFired")
        ended = fr["capture ended"][0]
        deadline = time.time() + 15
        while time.time() < deadline and js(
                "document.getElementById('status').textContent") != ended:
            time.sleep(0.1)
        check(js("document.getElementById('status').textContent") == ended and
              js("document.documentElement.lang") == "fr",
              "--lang fr: the page says %r when the capture ends, <html lang=fr>" % ended)
        french_texts = js(PAGE_TEXTS)
        wrong = []
        for en_row, fr_row in zip(english, french_texts):
            for en, got in zip(en_row, fr_row):
                if en and en != "capture ended" and fr.get(en, [None])[0] != got:
                    wrong.append("%r: %r, po/fr.po %r" % (en, got, fr.get(en)))
        check(len(english) == len(french_texts) > 10 and not wrong,
              "--lang fr: every text of the page's own (%d elements) is po/fr.po's"
              % len(english), "; ".join(wrong))
        n = js("document.querySelectorAll('.row[data-id]').length")
        counts = js("document.getElementById('counts').textContent")
        want = fr["{n} shown"][1 if n > 1 else 0].replace("{n}", str(n))
        check(counts == want, "--lang fr: the counts in French, plural form (%r)" % counts,
              "want %r" % want)
        js("document.querySelector('.row.msg').click()")
        title = js("document.getElementById('sel-title').textContent")
        check(title.startswith(fr["Frame {frame}: {what} ({path})"][0].split("{")[0]),
              "--lang fr: the detail's title in French (%r)" % title)
    finally:
        srv.stop()


def hostile(b, sess, js):
    """captures/hostile-strings.pcap in the page: no markup from a packet, nothing a
    terminal or the bidirectional algorithm obeys, the strings shown as text."""
    srv = Server("hostile-strings.pcap", "--replay-speed", "0")
    try:
        b.call("Page.navigate", {"url": "http://127.0.0.1:%d/" % srv.port}, session=sess)
        deadline = time.time() + 15
        while time.time() < deadline and js(
                "document.getElementById('status').textContent") != "capture ended":
            time.sleep(0.1)
        # a click on each arrow, so that every tree and explanation is shown once
        text = js("(function () { var t = [];"
                  " document.querySelectorAll('.row').forEach(function (r) { r.click();"
                  " t.push(document.querySelector('aside').textContent); });"
                  " return t.join('\\n') + document.body.textContent; })()")
        tags = set(js("Array.from(document.querySelectorAll('*')).map("
                      "function (e) { return e.tagName.toLowerCase(); })"))
        scripts = js("document.querySelectorAll('script').length")
        check(tags <= PAGE_TAGS and scripts == 1 and "<script>alert(1)</script>" in text,
              "hostile strings: no markup from a packet, '<script>alert' shown as text",
              (tags - PAGE_TAGS, scripts))
        bad = sorted({"U+%04X" % ord(c) for c in HIDDEN.findall(text)})
        check(not bad and "\\x1b[2J" in text, "hostile strings: no control or "
              "bidirectional character reaches the page, they are shown as \\xHH", bad)
    finally:
        srv.stop()


def main():
    global MQTTDUMP, ROOT
    MQTTDUMP, ROOT = sys.argv[1], sys.argv[2]
    shot = sys.argv[3] if len(sys.argv) > 3 else None
    for t in (test_content, test_bind, test_history, test_slow_viewer,
              test_viewers_bounded, test_secrets, test_live):
        try:
            t()
        except Exception as e:
            check(False, "%s: %s" % (t.__name__, e))
    browser_tests(shot)
    print("1..%d" % len(RESULTS))
    return 0 if all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
