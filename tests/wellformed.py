#!/usr/bin/env python3
"""Check that a diagram file is well-formed: wellformed.py svg|html FILE.

svg: parsed as XML, root <svg>, at least one arrow group.
html: parsed with html.parser, every non-void tag closed in order, no external resource
(no src= or href= to the network), one hidden detail tree per arrow, each non-empty.
Prints a short summary; exits 1 with the reason otherwise."""
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}
SVG_NS = "{http://www.w3.org/2000/svg}"


def check_svg(path, expected=None):
    root = ET.parse(path).getroot()
    if root.tag != SVG_NS + "svg":
        raise ValueError("root is %s, not svg" % root.tag)
    groups = [g for g in root.iter(SVG_NS + "g") if g.get("class") == "msg"]
    # fewer arrows than messages only when endpoints past the 32 drawn were left out
    if expected is not None and len(groups) > expected:
        raise ValueError("%d arrows, %d MQTT messages" % (len(groups), expected))
    if not groups and expected != 0 or groups and expected == 0:
        raise ValueError("no arrows")
    return "%d arrows" % len(groups)


class Balanced(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.arrows, self.trees, self.in_tree, self.text = [], 0, [], False, ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href"):
            if k in a and "://" in (a[k] or ""):
                raise ValueError("external resource %s=%s" % (k, a[k]))
        if tag == "g" and a.get("class") == "msg":
            self.arrows += 1
        if tag == "pre" and a.get("class") == "tree":
            if "hidden" not in a:
                raise ValueError("detail tree not hidden")
            self.in_tree, self.text = True, ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            raise ValueError("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
        self.stack.pop()
        if tag == "pre" and self.in_tree:
            self.trees.append(self.text)
            self.in_tree = False

    def handle_data(self, data):
        if self.in_tree:
            self.text += data


def check_html(path, expected=None):
    p = Balanced()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    if p.stack:
        raise ValueError("unclosed tags: %s" % p.stack)
    if expected is not None and p.arrows > expected:
        raise ValueError("%d arrows, %d MQTT messages" % (p.arrows, expected))
    if (p.arrows == 0) != (expected == 0) or p.arrows != len(p.trees):
        raise ValueError("%d arrows, %d detail trees" % (p.arrows, len(p.trees)))
    for t in p.trees:
        if "MQ Telemetry Transport Protocol" not in t:
            raise ValueError("a detail tree without its MQTT part: %r" % t[:80])
    return "%d arrows, %d trees" % (p.arrows, len(p.trees))


def main():
    kind, path = sys.argv[1], sys.argv[2]
    # the number of arrows there must be (the MQTT messages, up to --diagram-max)
    expected = int(sys.argv[3]) if len(sys.argv) > 3 else None
    try:
        print(check_svg(path, expected) if kind == "svg" else check_html(path, expected))
    except (ValueError, ET.ParseError) as e:
        print(e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
