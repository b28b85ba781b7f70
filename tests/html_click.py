#!/usr/bin/env python3
"""The HTML diagram in a real browser, on a projector's screen: headless Chromium at
1024x768 and 1280x720 opens the page of a capture with 3 participants (qos2) and one
with 6 (refused-logins), and checks, by the boxes Chromium lays out:
  - every column header is within the viewport, the broker's too (the diagram is not
    wider than the screen for these), and stays there when the diagram is scrolled down
    (sticky headers);
  - a real mouse click on an arrow shows that message's detail tree and explanation in a
    panel within the viewport, the clicked arrow still in sight between the headers and
    the panel, and the diagram not squeezed (same width, broker's lifeline where it was);
  - the colour legend is shown;
  - the SVG diagram is as wide as what it draws (no wide empty margin).
A screenshot of each page and size, the panel open, is written to SHOTS_DIR when given
(look at them). Skipped (TAP) where Chromium is not installed.

Usage: html_click.py MQTTDUMP SOURCE_ROOT [SHOTS_DIR]

Chromium is driven over its DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages separated by NUL bytes on file descriptors 3 and 4), so no network and no extra
Python module is needed."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

class Browser:
    def __init__(self, exe, profile):
        r1, self.w = os.pipe()   # we write, Chromium reads on fd 3
        self.r, w2 = os.pipe()   # Chromium writes on fd 4, we read
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", "--user-data-dir=" + profile,
             "--window-size=1400,900", "about:blank"],
            # not close_fds: it would close 3 and 4 after preexec_fn made them
            close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=lambda: self._fds(r1, w2))
        os.close(r1)
        os.close(w2)
        self.buf = b""
        self.next_id = 0
        self.events = []

    @staticmethod
    def _fds(r1, w2):
        # move both out of the way first: either may already be 3 or 4
        a, b = os.dup(r1), os.dup(w2)
        a, b = os.dup2(a, 100), os.dup2(b, 101)
        os.dup2(100, 3)
        os.dup2(101, 4)

    def _read(self, deadline):
        while b"\0" not in self.buf:
            if time.time() > deadline:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.r, 65536)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        for i, m in enumerate(self.events):
            if m.get("method") == name:
                del self.events[i]
                return m
        while True:
            m = self._read(deadline)
            if m.get("method") == name:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


SIZES = ((1024, 768), (1280, 720))
# capture, the arrow clicked (index), its frame, words its detail and explanation hold
PAGES = (
    ("qos2", 6, 18, ("MQ Telemetry Transport Protocol, Publish Message", "Topic: bank/transfer",
                     "QoS Level: Exactly once delivery (Assured Delivery) (2)"),
     "QoS 2, step 1 of 4"),
    ("refused-logins", 11, 48, ("MQ Telemetry Transport Protocol, Connect Ack",),
     "The broker refuses"),
    # the last arrow, low on the page: the click brings it above the panel
    ("sub-pub-ping", 16, 42, ("MQ Telemetry Transport Protocol, Disconnect Req",),
     "says goodbye"),
)

# The boxes of the page, as JSON: viewport, headers, broker, panel, detail, arrow i.
BOXES = """(function (i) {
  function box(e) { var r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom]; }
  var heads = Array.prototype.map.call(document.querySelectorAll('#heads text'),
    function (t) { return [t.textContent, box(t)]; });
  var svgs = document.querySelectorAll('#diagram svg');
  var d = document.getElementById('diagram');
  var g = document.querySelectorAll('g.msg')[i];
  return JSON.stringify({
    vw: document.documentElement.clientWidth, vh: document.documentElement.clientHeight,
    heads: heads, headbox: box(document.getElementById('heads')),
    body: box(svgs[1]), broker: box(svgs[1].querySelector('line.broker')),
    scrolled: d.scrollTop, scrollable: d.scrollHeight > d.clientHeight,
    panel: document.getElementById('panel').hidden ? null : box(document.getElementById('panel')),
    detail: box(document.getElementById('detail')),
    arrow: box(g.querySelector('line')),
    legend: document.querySelectorAll('#legend span').length,
    tree: document.getElementById('detail').textContent,
    expl: document.getElementById('explain').textContent });
})(%d)"""


def inside(b, vw, vh, top=0.0, bottom=None):
    bottom = vh if bottom is None else bottom
    return b[0] >= 0 and b[2] <= vw + 0.5 and b[1] >= top - 0.5 and b[3] <= bottom + 0.5


class Checks:
    def __init__(self):
        self.n, self.failed = 0, 0

    def ok(self, cond, what, why=""):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, what))
        else:
            self.failed += 1
            print("not ok %d - %s%s" % (self.n, what, ": " + why if why else ""))


def click(b, sess, x, y):
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        b.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                            "clickCount": 1}, session=sess)


def one_page(b, sess, t, page, size, cap, arrow, frame, want, said, shots):
    w, h = size
    where = "%s at %dx%d" % (cap, w, h)
    b.call("Emulation.setDeviceMetricsOverride", {"width": w, "height": h,
                                                  "deviceScaleFactor": 1, "mobile": False},
           session=sess)
    b.call("Page.navigate", {"url": "file://" + page}, session=sess)
    b.wait_event("Page.loadEventFired")

    def js(expr):
        r = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                   session=sess)
        return r["result"].get("value")

    def boxes():
        return json.loads(js(BOXES % arrow))
    v = boxes()
    vw, vh = v["vw"], v["vh"]
    names = [n for n, _ in v["heads"]]
    out = [n for n, bx in v["heads"] if not inside(bx, vw, vh)]
    t.ok(len(v["heads"]) >= 6 and not out, "%s: every column header in the viewport" % where,
         "outside: %s of %s" % (out, names))
    t.ok(0 <= v["broker"][0] <= vw and "broker" in names,
         "%s: the broker's column on screen (x %.0f of %d)" % (where, v["broker"][0], vw))
    t.ok(v["legend"] == 6, "%s: the colour legend" % where, "%d entries" % v["legend"])
    # a real click on the arrow
    a = boxes()["arrow"]
    click(b, sess, (a[0] + a[2]) / 2, (a[1] + a[3]) / 2)
    c = boxes()
    t.ok(c["tree"].startswith("Frame %d, " % frame) and all(x in c["tree"] for x in want),
         "%s: a click on arrow %d shows its detail tree" % (where, arrow), repr(c["tree"][:100]))
    t.ok(said in c["expl"], "%s: and its explanation" % where, repr(c["expl"][:100]))
    t.ok(c["panel"] is not None and inside(c["panel"], vw, vh) and inside(c["detail"], vw, vh),
         "%s: the detail panel within the viewport" % where, "panel %s" % c["panel"])
    t.ok(c["panel"] is not None and inside(c["arrow"], vw, vh, c["headbox"][3], c["panel"][1]),
         "%s: the clicked arrow in sight, between headers and panel" % where,
         "arrow %s, headers end %s, panel %s" % (c["arrow"], c["headbox"][3], c["panel"]))
    t.ok(abs((c["body"][2] - c["body"][0]) - (v["body"][2] - v["body"][0])) < 0.5 and
         abs(c["broker"][0] - v["broker"][0]) < 0.5,
         "%s: the diagram not squeezed by the panel" % where,
         "width %s then %s" % (v["body"], c["body"]))
    out = [n for n, bx in c["heads"] if not inside(bx, vw, vh)]
    t.ok(not out, "%s: every header still in the viewport, panel open" % where, str(out))
    png = base64.b64decode(b.call("Page.captureScreenshot", {"format": "png"},
                                  session=sess)["data"])
    t.ok(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000,
         "%s: screenshot (%d bytes)" % (where, len(png)))
    if shots:
        with open(os.path.join(shots, "%s-%dx%d.png" % (cap, w, h)), "wb") as f:
            f.write(png)
    # sticky headers: the diagram scrolled to its bottom, the headers are still there
    js("(function () { var d = document.getElementById('diagram');"
       " d.scrollTop = d.scrollHeight; })()")
    s = boxes()
    out = [n for n, bx in s["heads"] if not inside(bx, vw, vh)]
    t.ok(not out and s["scrolled"] > 0 and s["body"][1] < v["body"][1] - 1,
         "%s: headers in sight with the diagram scrolled down %d px" % (where, s["scrolled"]),
         "outside: %s, scrolled %s (scrollable: %s)" % (out, s["scrolled"], s["scrollable"]))


SVG_EXTENT = """(function () {
  var s = document.documentElement, right = 0, bottom = 0;
  s.querySelectorAll('text, line, polygon').forEach(function (e) {
    var b = e.getBBox(); right = Math.max(right, b.x + b.width);
    bottom = Math.max(bottom, b.y + b.height); });
  return [+s.getAttribute('width'), +s.getAttribute('height'), right, bottom];
})()"""


def svg_extent(b, sess, t, mqttdump, root, tmp, cap):
    """The SVG diagram sized to its content: nothing drawn past its width, and no wide
    empty margin (at most 40 px right of the rightmost text, as Chromium lays it out)."""
    svg = os.path.join(tmp, cap + ".svg")
    subprocess.run([mqttdump, "-r", os.path.join(root, "captures", cap + ".pcap"), "-q",
                    "--diagram=svg", svg], check=True, stderr=subprocess.DEVNULL)
    b.call("Page.navigate", {"url": "file://" + svg}, session=sess)
    b.wait_event("Page.loadEventFired")
    w, h, right, bottom = b.call("Runtime.evaluate", {"expression": SVG_EXTENT,
                                                      "returnByValue": True},
                                 session=sess)["result"]["value"]
    t.ok(right <= w and w - right <= 40 and bottom <= h,
         "%s SVG sized to its content: %d px wide, drawn to %.0f" % (cap, w, right),
         "height %d, drawn to %.0f" % (h, bottom))


def main():
    mqttdump, root = sys.argv[1], sys.argv[2]
    shots = sys.argv[3] if len(sys.argv) > 3 else None
    exe = find_chromium()
    if not exe:
        print("1..0 # SKIP Chromium is not installed")
        return 0
    svgs = [p[0] for p in PAGES] + ["session-present"]
    print("1..%d" % (1 + 11 * len(SIZES) * len(PAGES) + len(svgs)))
    tmp = tempfile.mkdtemp()
    if shots:
        os.makedirs(shots, exist_ok=True)
    t = Checks()
    b = Browser(exe, os.path.join(tmp, "profile"))
    try:
        target = next(x for x in b.call("Target.getTargets")["targetInfos"]
                      if x["type"] == "page")
        sess = b.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                "flatten": True})["sessionId"]
        b.call("Page.enable", session=sess)
        t.ok(True, "Chromium runs (%s)" % exe)
        for cap, arrow, frame, want, said in PAGES:
            page = os.path.join(tmp, cap + ".html")
            subprocess.run([mqttdump, "-r", os.path.join(root, "captures", cap + ".pcap"),
                            "-q", "--diagram=html", page], check=True,
                           stderr=subprocess.DEVNULL)
            for size in SIZES:
                one_page(b, sess, t, page, size, cap, arrow, frame, want, said, shots)
        for cap in svgs:
            svg_extent(b, sess, t, mqttdump, root, tmp, cap)
    except Exception as e:  # the browser failed: say so, as a failure
        print("not ok %d - Chromium: %s" % (t.n + 1, e))
        t.failed += 1
    finally:
        b.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if t.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
