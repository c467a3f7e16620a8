#!/usr/bin/python3
"""BSD `stat` stand-in (twin, studio): macOS `stat [-FLlnqrs] [-f format] [-t timefmt] file...` on the REAL files.

Imitates Apple's file_cmds stat(1) (read in the Darling copy Uramekus/darling-file_cmds, stat/stat.c,
the source selftest/fixtures/darwin/README.md cites for stat-sweep.stdout/.stderr), written anew here:

- main(): `-L` uses stat(2) (a dangling symlink is an error), otherwise lstat(2); a failed path is
  `warn("%s: stat", path)`, i.e. `stat: <path>: stat: No such file or directory` on stderr, the other
  paths are still printed, and the exit status is 1;
- output(): a format is `%[#+- 0][width][.prec][D|O|U|X|F|S][H|M|L]<datum>`, plus `%n` `%t` `%%` `%@`;
  a newline ends each file's line unless -n; a datum it does not know is `stat: %<x>: bad format`, exit 1;
- format1(): the datums d i p A l u g r a m c B z b k f v Y T N Z R with their default output forms
  (mode octal, ids/sizes unsigned, times decimal epoch, `S` names/strmode/strftime), `H`/`M`/`L` pieces
  of the mode (`%Lp` = permission bits in octal, e.g. `644`, no setuid/sticky bits) and `%HT` = the
  file type in words: `Regular File`, `Directory`, `Symbolic Link`, `Fifo File`, `Character Device`,
  `Block Device`, `Socket`.

The suite's format is `%HT|%Lp|%Su|%Sg|%z|%N` (conformance/facts/bsd.py). Twin-only: Linux has no birth
time or file flags, so `%B` shows the change time and `%f` 0; device names (`%Sd`) are `???`.
"""
import grp
import os
import pwd
import stat as S
import sys
import time

DEF_FORMAT = '%d %i %Sp %l %Su %Sg %r %z "%Sa" "%Sm" "%Sc" "%SB" %k %b %#Xf %N'
RAW_FORMAT = "%d %i %#p %l %u %g %r %z %a %m %c %B %k %b %f %N"
LS_FORMAT = "%Sp %l %Su %Sg %Z %Sm %N%SY"
SHELL_FORMAT = ("st_dev=%d st_ino=%i st_mode=%#p st_nlink=%l st_uid=%u st_gid=%g st_rdev=%r st_size=%z "
                "st_atime=%a st_mtime=%m st_ctime=%c st_birthtime=%B st_blksize=%k st_blocks=%b st_flags=%f")
TIME_FORMAT = "%b %e %T %Y"
USAGE = "usage: stat [-FlLnqrsx] [-f format] [-t timefmt] [file ...]\n"
TYPE_NAMES = {S.S_IFIFO: "Fifo File", S.S_IFCHR: "Character Device", S.S_IFDIR: "Directory",
              S.S_IFBLK: "Block Device", S.S_IFREG: "Regular File", S.S_IFLNK: "Symbolic Link",
              S.S_IFSOCK: "Socket"}
TYPE_MARKS = {S.S_IFIFO: "|", S.S_IFDIR: "/", S.S_IFLNK: "@", S.S_IFSOCK: "="}


class BadFormat(Exception):
    pass


def strmode(mode: int) -> str:
    return S.filemode(mode)


def datum(st, path: str, what: str, piece: str, ofmt: str, timefmt: str):
    """(number or None, string or None, default output form, allowed forms) of one datum."""
    mode = st.st_mode
    if what in "dr":
        value = st.st_dev if what == "d" else st.st_rdev
        if piece == "H":
            value, piece = os.major(value), ""
        elif piece == "L":
            value, piece = os.minor(value), ""
        return value, "???", "U", "DOUXS", piece
    if what in "pA":
        value = mode & 0o7777 if what == "A" else mode
        text = strmode(mode)
        if piece == "H":
            value, text, piece = mode >> 12, text[1:4], ""
        elif piece == "M":
            value, text, piece = (mode >> 9) & 0o7, text[4:7], ""
        elif piece == "L":
            value, text, piece = mode & 0o777, text[7:10], ""
        return value, text, "O", "DOUXS", piece
    if what == "u":
        try:
            name = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            name = f"({st.st_uid})"
        return st.st_uid, name, "U", "DOUXS", piece
    if what == "g":
        try:
            name = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            name = f"({st.st_gid})"
        return st.st_gid, name, "U", "DOUXS", piece
    if what in "amcB":
        ns = {"a": st.st_atime_ns, "m": st.st_mtime_ns, "c": st.st_ctime_ns, "B": st.st_ctime_ns}[what]
        secs = ns // 1_000_000_000
        return (secs, ns), time.strftime(timefmt, time.localtime(secs)), "D", "DOUXFS", piece
    simple = {"i": st.st_ino, "l": st.st_nlink, "z": st.st_size, "b": st.st_blocks, "k": st.st_blksize,
              "f": 0, "v": 0}
    if what in simple:
        return simple[what], None, "U", "DOUX", piece
    if what == "Y":
        text = ""
        if S.S_ISLNK(mode):
            try:
                target = os.readlink(path)
                text = f" -> {target}" if ofmt == "S" else target
            except OSError:
                pass
        return None, text, "S", "S", piece
    if what == "R":
        return None, os.path.realpath(path), "S", "S", piece
    if what == "N":
        return None, path, "S", "S", piece
    if what == "T":
        kind = S.S_IFMT(mode)
        if piece == "H":
            return None, TYPE_NAMES.get(kind, "???"), "S", "S", ""
        if piece in ("", "L"):
            mark = TYPE_MARKS.get(kind, "*" if kind == S.S_IFREG and mode & 0o111 else "")
            return None, mark, "S", "S", ""
        return None, "", "S", "S", piece
    if what == "Z":
        if S.S_ISCHR(mode) or S.S_ISBLK(mode):
            return None, f"{os.major(st.st_rdev)},{os.minor(st.st_rdev)}", "S", "S", piece
        return st.st_size, None, "U", "DOUX", piece
    raise BadFormat


def printf(flags: str, width: int | None, prec: int | None, conv: str, value) -> str:
    """C printf of one converted value, with the flags C has (Python's `#o` differs: C's is `0644`)."""
    if conv == "s":
        text = value if prec is None else value[:prec]
        sign = ""
    else:
        number = int(value)
        neg = number < 0 and conv == "d"
        digits = {"d": str(abs(number)), "o": format(number & (2**64 - 1), "o"),
                  "u": str(number & (2**64 - 1)), "x": format(number & (2**64 - 1), "x")}[conv]
        if prec is not None:
            digits = digits.rjust(prec, "0")
        if "#" in flags and conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
        if "#" in flags and conv == "x" and number:
            digits = "0x" + digits
        sign = "-" if neg else ("+" if "+" in flags and conv == "d" else (" " if " " in flags and conv == "d" else ""))
        text = digits
    width = width or 0
    body = sign + text
    if len(body) >= width:
        return body
    if "-" in flags:
        return body.ljust(width)
    if "0" in flags and conv != "s" and prec is None:
        return sign + text.rjust(width - len(sign), "0")
    return body.rjust(width)


def render(st, path: str, fmt: str, number: int, timefmt: str) -> tuple[str, bool]:
    out, i = [], 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        start = i
        i += 1
        simple = {"n": "\n", "t": "\t", "%": "%", "@": str(number)}
        if i < len(fmt) and fmt[i] in simple:
            out.append(simple[fmt[i]])
            i += 1
            continue
        flags = ""
        while i < len(fmt) and fmt[i] in "#+- 0":
            flags += fmt[i]
            i += 1
        width = prec = None
        digits = ""
        while i < len(fmt) and fmt[i].isdigit():
            digits += fmt[i]
            i += 1
        width = int(digits) if digits else None
        if i < len(fmt) and fmt[i] == ".":
            i += 1
            digits = ""
            while i < len(fmt) and fmt[i].isdigit():
                digits += fmt[i]
                i += 1
            prec = int(digits or 0)
        ofmt = piece = ""
        if i < len(fmt) and fmt[i] in "DOUXFS":
            ofmt = fmt[i]
            i += 1
        if i < len(fmt) and fmt[i] in "HML":
            piece = fmt[i]
            i += 1
        if i >= len(fmt):
            raise BadFormat(fmt[start:i + 1])
        what = fmt[i]
        i += 1
        try:
            value, text, default, allowed, left = datum(st, path, what, piece, ofmt, timefmt)
        except BadFormat:
            raise BadFormat(fmt[start:i]) from None
        ofmt = ofmt or default
        if left or ofmt not in allowed:
            raise BadFormat(fmt[start:i])
        if ofmt == "S":
            if text is None:
                raise BadFormat(fmt[start:i])
            out.append(printf(flags, width, prec, "s", text))
        elif ofmt == "F":
            secs, ns = value
            if prec == 0:
                out.append(printf(flags, width, None, "d", secs))
            else:
                p = 9 if prec is None else prec
                frac = str(ns % 1_000_000_000).rjust(9, "0")[:min(p, 9)].ljust(p, "0")
                out.append(printf(flags, (width - p - 1) if width else None, None, "d", secs) + "." + frac)
        else:
            number_value = value[0] if isinstance(value, tuple) else value
            out.append(printf(flags, width, prec, {"D": "d", "O": "o", "U": "u", "X": "x"}[ofmt], number_value))
    text = "".join(out)
    return text, text == "" or text.endswith("\n")


def main(argv: list[str]) -> int:
    import getopt
    try:
        opts, files = getopt.getopt(argv, "f:FlLnqrst:x")
    except getopt.GetoptError as e:
        sys.stderr.write(f"stat: illegal option -- {e.opt}\n{USAGE}")
        return 1
    follow = nonl = quiet = False
    fmt, timefmt, chosen = None, TIME_FORMAT, None
    for opt, val in opts:
        if opt == "-L":
            follow = True
        elif opt == "-n":
            nonl = True
        elif opt == "-q":
            quiet = True
        elif opt == "-t":
            timefmt = val
        elif opt in ("-f", "-l", "-r", "-s", "-x", "-F"):
            if opt == "-F":
                sys.stderr.write("stat (twin stand-in): -F is not implemented\n")
                return 64
            if chosen is not None:
                sys.stderr.write(f"stat: can't use format '{chosen}' with '{opt[1]}'\n")
                return 1
            chosen = opt[1]
            fmt = {"-f": val, "-l": LS_FORMAT, "-r": RAW_FORMAT, "-s": SHELL_FORMAT}.get(opt)
            if opt == "-x":
                sys.stderr.write("stat (twin stand-in): -x is not implemented\n")
                return 64
    fmt = DEF_FORMAT if fmt is None else fmt
    status = 0
    targets = files or [None]
    for number, path in enumerate(targets, 1):
        try:
            st = os.fstat(0) if path is None else (os.stat(path) if follow else os.lstat(path))
        except OSError as e:
            status = 1
            if not quiet:
                sys.stderr.write(f"stat: {path or '(stdin)'}: stat: {os.strerror(e.errno)}\n")
            continue
        try:
            text, ends_nl = render(st, path or "(stdin)", fmt, number, timefmt)
        except BadFormat as e:
            sys.stdout.flush()
            sys.stderr.write(f"stat: {e.args[0] if e.args else fmt}: bad format\n")
            return 1
        sys.stdout.write(text if ends_nl or nonl else text + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
