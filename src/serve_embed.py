#!/usr/bin/env python3
"""--serve's page as a C array (meson runs this at build time): serve_embed.py IN OUT."""
import sys

data = open(sys.argv[1], "rb").read()
with open(sys.argv[2], "w") as f:
    f.write("/* generated from %s by serve_embed.py: do not edit */\n" % sys.argv[1].split("/")[-1])
    f.write("#include <stddef.h>\n\nconst unsigned char serve_page[] = {\n")
    for i in range(0, len(data), 16):
        f.write("\t" + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    f.write("};\nconst size_t serve_page_len = %d;\n" % len(data))
