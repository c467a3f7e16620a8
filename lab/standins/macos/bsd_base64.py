#!/usr/bin/python3
"""`base64` stand-in (twin, studio): macOS `base64 [-d] [-b count] [-i input] [-o output]`.

macOS's base64(1) takes its input file with `-i` (GNU base64 has `-i` = --ignore-garbage and takes the
file as an operand), which the suite uses to carry a plist's bytes over SSH without Python on the Mac
(conformance/facts/bsd.py base64_command: `base64 -i <path>`). Per Apple's base64(1): `-i`/`--input`
(default or `-`: stdin), `-o`/`--output` (default or `-`: stdout), `-b count`/`--break` (line breaks every
count characters; default 0: one unbroken line), `-d`/`-D`/`--decode`. Encoded output ends with a line
break. The suite's decoder accepts any line breaks (launchd.decode_base64_output: "macOS releases wrap
differently").

Twin-only: the error wording for a file it cannot open is `base64: <path>: <strerror>` (exit 1);
not checked against a real Mac.
"""
import base64
import getopt
import sys


def main(argv: list[str]) -> int:
    try:
        opts, rest = getopt.gnu_getopt(argv, "dDb:i:o:h", ["decode", "break=", "input=", "output=", "help"])
    except getopt.GetoptError as e:
        sys.stderr.write(f"base64: {e}\nUsage: base64 [-hDd] [-b num] [-i in_file] [-o out_file]\n")
        return 64
    decode, width, src, dst = False, 0, "-", "-"
    for opt, val in opts:
        if opt in ("-d", "-D", "--decode"):
            decode = True
        elif opt in ("-b", "--break"):
            width = int(val)
        elif opt in ("-i", "--input"):
            src = val
        elif opt in ("-o", "--output"):
            dst = val
        elif opt in ("-h", "--help"):
            sys.stdout.write("Usage: base64 [-hDd] [-b num] [-i in_file] [-o out_file]\n")
            return 0
    if rest:
        src = rest[0]
    try:
        data = sys.stdin.buffer.read() if src == "-" else open(src, "rb").read()
    except OSError as e:
        sys.stderr.write(f"base64: {src}: {e.strerror}\n")
        return 1
    if decode:
        out = base64.b64decode(b"".join(data.split()))
    else:
        text = base64.b64encode(data)
        if width > 0:
            text = b"\n".join(text[i:i + width] for i in range(0, len(text), width))
        out = text + b"\n"
    try:
        if dst == "-":
            sys.stdout.buffer.write(out)
        else:
            with open(dst, "wb") as f:
                f.write(out)
    except OSError as e:
        sys.stderr.write(f"base64: {dst}: {e.strerror}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
