#!/usr/bin/env python3
"""The HTML diagram in a real browser: open the page in headless Chromium, click an arrow
with a real mouse event, and check the detail pane shows that message's tree; save a
screenshot when asked. Skipped (TAP) where Chromium is not installed.

Usage: html_click.py MQTTDUMP SOURCE_ROOT [SCREENSHOT.png]

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

CAPTURE = "qos2.pcap"
ARROW = 6   # the 7th message: frame 18, the publisher's QoS 2 Publish Message


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


def main():
    mqttdump, root = sys.argv[1], sys.argv[2]
    shot = sys.argv[3] if len(sys.argv) > 3 else None
    exe = find_chromium()
    if not exe:
        print("1..0 # SKIP Chromium is not installed")
        return 0
    print("1..4")
    tmp = tempfile.mkdtemp()
    page = os.path.join(tmp, "qos2.html")
    subprocess.run([mqttdump, "-r", os.path.join(root, "captures", CAPTURE), "-q",
                    "--diagram=html", page], check=True, stderr=subprocess.DEVNULL)
    b = Browser(exe, os.path.join(tmp, "profile"))
    ok = True
    try:
        target = next(t for t in b.call("Target.getTargets")["targetInfos"]
                      if t["type"] == "page")
        sess = b.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                "flatten": True})["sessionId"]
        b.call("Page.enable", session=sess)
        b.call("Page.navigate", {"url": "file://" + page}, session=sess)
        b.wait_event("Page.loadEventFired")
        print("ok 1 - the page loads in Chromium")

        def js(expr):
            r = b.call("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                       session=sess)
            return r["result"].get("value")

        before = js("document.getElementById('detail').textContent")
        x, y = js("(function () { var r = document.querySelectorAll('g.msg')[%d]"
                  ".querySelector('line').getBoundingClientRect();"
                  " return [r.x + r.width / 2, r.y + r.height / 2]; })()" % ARROW)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            b.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                "button": "left", "clickCount": 1},
                   session=sess)
        after = js("document.getElementById('detail').textContent")
        if after != before and after.startswith("Frame 18, "):
            print("ok 2 - a click on arrow %d shows its detail tree" % ARROW)
        else:
            print("not ok 2 - detail after the click: %r" % after[:120])
            ok = False
        want = ("MQ Telemetry Transport Protocol, Publish Message", "Topic: bank/transfer",
                "QoS Level: Exactly once delivery (Assured Delivery) (2)")
        missing = [w for w in want if w not in after]
        if not missing:
            print("ok 3 - the tree holds the message's fields")
        else:
            print("not ok 3 - missing from the detail: %s" % missing)
            ok = False
        png = base64.b64decode(b.call("Page.captureScreenshot", {"format": "png"},
                                      session=sess)["data"])
        if png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000:
            print("ok 4 - screenshot taken (%d bytes)" % len(png))
            if shot:
                with open(shot, "wb") as f:
                    f.write(png)
        else:
            print("not ok 4 - no screenshot")
            ok = False
    except Exception as e:  # the browser failed: say so, as a failure
        print("not ok - Chromium: %s" % e)
        ok = False
    finally:
        b.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
