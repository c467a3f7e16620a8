"""The read-only allowlist: the exact argv shapes the suite may run on any host.

A command runs only when its whole argv, flags AND values, matches one of the shapes below;
everything else is refused before it reaches a host. Listing what is allowed (rather than
what is forbidden) is what closes the holes of option spellings nobody thought of: `+`
options (`lsof +r 1` repeats forever, `lsof +D /` walks the disk), `netstat -c`, `-H host`,
`-M machine`, an unbounded `journalctl`.

A shape is written like the command it allows:

    literal          the argument itself, e.g. `--no-pager`; `'...'` quotes one containing `|`
    a|b|c            one of these arguments
    <name>           a value of the kind `name` (VALUES below), also inside an argument: `system/<label>`
    [ ... ]          optional
    X...             X one or more times (`[X]...`: any number of times)

A `<file>` value is a path the command opens for reading; the runner runs such a command only
when each of them is a regular file (not a device or a FIFO, which could block or never end).
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass


class ReadOnlyViolation(Exception):
    """A command outside the read-only allowlist was asked for; it was not run."""


@dataclass(frozen=True)
class Shape:
    """The allowed shape a command matched, and the files it will open for reading."""

    name: str
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class Value:
    regex: str  # without capturing groups: write (?:...)
    ok: Callable[[str], bool] = lambda value: True


def _at_most(limit: int) -> Value:
    """A count from 1 to `limit`: bounds what a command reads or prints."""
    return Value(r"[1-9][0-9]*", lambda value: int(value) <= limit)


# An absolute path; so it can never be taken for an option (`-x`, `+x`), and `..` cannot climb out of it.
_PATH = Value(r"/.*", lambda value: ".." not in value.split("/"))

VALUES: dict[str, Value] = {
    "path": _PATH,
    "file": _PATH,  # a path that is opened for reading (Shape.reads)
    "user": Value(r"[a-z_][a-z0-9_-]*"),
    "uid": Value(r"[0-9]+"),
    "unit": Value(r"[A-Za-z0-9@._:-]+\.(?:service|socket|timer|target|mount|path)"),
    "props": Value(r"[A-Za-z]+(?:,[A-Za-z]+)*"),
    "prop": Value(r"[A-Za-z]+"),
    "invocation-id": Value(r"[0-9a-f]{32}"),
    "label": Value(r"[A-Za-z0-9._-]+"),
    "lines": _at_most(10_000),
    "bytes": _at_most(16 * 1024 * 1024),
    # for the shapes testinfra's modules generate (conformance/testinfra_host.py)
    "service": Value(r"[A-Za-z0-9_][A-Za-z0-9@._:-]*"),  # a unit, with or without its suffix (never `-x`)
    "program": Value(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*"),  # a command name looked up in PATH
    "package": Value(r"[a-z0-9][a-z0-9+.-]*(?::[a-z0-9-]+)?"),  # a Debian package name [:arch]
    "pattern": Value(r".*"),  # a grep pattern (after `--`, so never an option); exit status only
    "alias": Value(r"[A-Za-z0-9_][A-Za-z0-9_.:@%+-]*"),  # an ssh config's Host alias (never an option)
}

_SYSTEMD_SCOPE = "[--user [-M <user>@]]"  # `-M user@` with nothing after the @: that user's manager on THIS host

RULES: list[tuple[str, str]] = [  # (shape name, shape)
    # identity (Linux and macOS)
    ("id -un", "id -un"),
    ("id -Gn", "id -Gn"),
    ("uname", "uname -s|-r|-m|-a"),
    ("sw_vers", "sw_vers"),
    # systemd units (Linux)
    ("systemctl show", f"systemctl {_SYSTEMD_SCOPE} show --no-pager -p <props> -- <unit>..."),
    ("systemctl is-active|is-enabled|is-failed", f"systemctl {_SYSTEMD_SCOPE} is-active|is-enabled|is-failed -- <unit>..."),
    ("systemctl list-units --failed", f"systemctl {_SYSTEMD_SCOPE} list-units --failed --no-pager --plain --no-legend"),
    ("systemctl is-system-running", "systemctl is-system-running"),
    ("systemctl cat", f"systemctl {_SYSTEMD_SCOPE} cat --no-pager -- <unit>"),
    # discovery (conformance/discover/observe.py): every loaded service of a scope, and the scope's unit files
    ("systemctl show (every loaded service)", f"systemctl {_SYSTEMD_SCOPE} show --no-pager -p <props> -- '*.service'"),
    ("systemctl list-unit-files (services)",
     f"systemctl {_SYSTEMD_SCOPE} list-unit-files --no-pager --no-legend --type=service"),
    ("loginctl show-user", "loginctl show-user <user> [-p <prop>]..."),
    # journals (Linux): one unit or one run, and never more than 10000 lines
    ("journalctl (one run)", "journalctl [--user] --no-pager -q -o cat|json|short-iso -n <lines> _SYSTEMD_INVOCATION_ID=<invocation-id>"),
    ("journalctl (one unit)", "journalctl [--user] --no-pager -q -o cat|json|short-iso -n <lines> -u <unit>"),
    # launchd jobs (macOS)
    ("launchctl print system", "launchctl print system/<label>"),
    ("launchctl print gui", "launchctl print gui/<uid>/<label>"),
    ("launchctl print-disabled system", "launchctl print-disabled system"),
    # Tailscale Serve's mappings (read only: `serve` with a target, `funnel`, `up`, `set` change the node)
    ("tailscale serve status --json", "tailscale serve status --json"),
    # paths and files
    ("stat (GNU)", "stat -c '%F|%a|%U|%G|%s|%n' -- <path>..."),
    ("stat (BSD)", "stat -L -f '%HT|%Lp|%Su|%Sg|%z|%N' <path>..."),
    ("readlink", "readlink -- <path>"),
    ("head -c (bounded file read)", "head -c <bytes> [--] <file>"),
    ("sha256sum", "sha256sum -- <file>..."),
    ("shasum -a 256", "shasum -a 256 <file>..."),
    ("base64 -i", "base64 -i <file>"),
    ("plutil -lint|-p", "plutil -lint|-p <file>"),
    # an ssh config's alias as ssh resolves it: -G prints the options and exits, never connecting
    ("ssh -G", "ssh -G [-F <file>] -- <alias>"),
    # listening sockets
    ("ss -ltn", "ss -ltnH|-ltn"),
    ("netstat -an -p tcp", "netstat -an -p tcp"),
    ("lsof listeners", "lsof -nP -iTCP -sTCP:LISTEN"),
    # the commands testinfra's modules generate (pytest-testinfra 10.2.2), for the suite's guarded `host`
    # fixture (conformance/testinfra_host.py): one field, one path or one name each, nothing that writes
    ("test (testinfra File)", "test -e|-f|-d|-L|-x|-p|-S <path>"),
    ("realpath", "realpath <path>"),
    ("stat -Lc (GNU, one field)", "stat -Lc %U|%u|%G|%g|%a|%Y|%s|%i <path>"),
    ("stat -L -c (GNU, every field testinfra asks, at once)", "stat -L -c '%F|%U|%u|%G|%g|%a|%Y|%s|%i' -- <path>"),
    ("stat -f (BSD, one field)", "stat -f %Su|%u|%Sg|%g|%Lp|%m|%z <path>"),
    ("grep -qs (exit status only)", "grep -qs -- <pattern> <file>"),
    ("ls -1 -q", "ls -1 -q -- <path>"),
    ("command -v", "command -v <program>|<path>"),
    ("systemctl is-active|is-enabled (testinfra)", "systemctl is-active|is-enabled <service>"),
    ("systemctl show (testinfra)", "systemctl show <service>"),
    ("systemctl list-unit-files", "systemctl list-unit-files --no-pager --no-legend"),
    ("ss (testinfra Socket)", "ss --numeric --listening|--all [--tcp|--udp|--unix]"),
    ("id -nu", "id -nu"),
    ("id <user>", "id [-g|-ng|-G|-nG] <user>"),
    ("getent passwd|group", "getent passwd|group [<user>]"),
    ("dpkg-query -W (status)", "dpkg-query -f '${Status}' -W <package>"),
    ("dpkg-query -W (status and version)", "dpkg-query -f '${Status} ${Version}' -W <package>"),
    ("lsb_release -a", "lsb_release -a"),
]

SHAPES: list[str] = [shape for _, shape in RULES]

_ABSOLUTE = "absolute paths without `..`"
WHY: dict[str, str] = {  # per program: the rule a refused command of it missed
    "id": "id: only -un, -Gn, -nu, or [-g|-ng|-G|-nG] <user> (a user name, never an option)",
    "uname": "uname: only -s, -r, -m or -a",
    "sw_vers": "sw_vers takes no arguments",
    "systemctl": "systemctl: only show, is-active, is-enabled, is-failed, cat, list-units --failed, list-unit-files and "
                 "is-system-running in their listed shapes (never start, stop, restart, reload, enable, disable, kill, "
                 "edit, set-property or daemon-reload), on this host (no -H/--host; -M only as <user>@ after --user)",
    "loginctl": "loginctl: only show-user <user> [-p Prop]..., on this host (no -H, no -M)",
    "journalctl": "journalctl must be bounded with -n N (N <= 10000) and read one run (_SYSTEMD_INVOCATION_ID=<32 hex>) "
                  "or one unit (-u), as --no-pager -q -o cat|json|short-iso; nothing else (no -f, --vacuum-*, -M, -D, --file)",
    "launchctl": "launchctl: only print system/<label>, print gui/<uid>/<label> and print-disabled system",
    "stat": f"stat: only -c '%F|%a|%U|%G|%s|%n' -- (GNU) or -L -f '%HT|%Lp|%Su|%Sg|%z|%N' (BSD), or one field of one "
            f"path as testinfra asks: -Lc %U|%u|%G|%g|%a|%Y|%s|%i (GNU) or -f %Su|%u|%Sg|%g|%Lp|%m|%z (BSD), or all of "
            f"them at once: -L -c '%F|%U|%u|%G|%g|%a|%Y|%s|%i' -- (GNU); {_ABSOLUTE}",
    "readlink": f"readlink: only `readlink -- <path>`, {_ABSOLUTE}",
    "head": f"head: only -c N (1 <= N <= 16777216) [--] <path>, {_ABSOLUTE}",
    "sha256sum": f"sha256sum: only `sha256sum -- <path>...`, {_ABSOLUTE}",
    "shasum": f"shasum: only `shasum -a 256 <path>...`, {_ABSOLUTE}",
    "base64": f"base64: only `base64 -i <path>` (to stdout), {_ABSOLUTE}",
    "plutil": f"plutil: only -lint or -p <path> (never -convert, which writes), {_ABSOLUTE}",
    "ss": "ss: only -ltnH or -ltn, or --numeric --listening|--all [--tcp|--udp|--unix] (no -K/--kill, which kills "
          "sockets; no -p)",
    "netstat": "netstat: only `netstat -an -p tcp` (no -c or -w, which repeat forever)",
    "lsof": "lsof: only `lsof -nP -iTCP -sTCP:LISTEN` (no +r/-r, which repeat forever; no +D, which walks the disk)",
    "test": f"test: only one of -e, -f, -d, -L, -x, -p, -S and one path, {_ABSOLUTE}",
    "realpath": f"realpath: only `realpath <path>`, {_ABSOLUTE}",
    "grep": f"grep: only `grep -qs -- <pattern> <path>` (exit status only; the path a regular file), {_ABSOLUTE}",
    "ls": f"ls: only `ls -1 -q -- <path>`, {_ABSOLUTE}",
    "command": "command: only `command -v <name>` (a lookup; `command <program>` would run anything)",
    "getent": "getent: only passwd or group [<name>] (never shadow: password hashes are secrets)",
    "dpkg-query": "dpkg-query: only -f '${Status}' or -f '${Status} ${Version}' -W <package> (never a dpkg action)",
    "lsb_release": "lsb_release: only -a",
    "tailscale": "tailscale: only `tailscale serve status --json` (never serve/funnel with a target, up, down, set or "
                 "logout, which change the node)",
    "ssh": f"ssh: only `ssh -G [-F <path>] -- <alias>` (prints the options for an alias; never connects), {_ABSOLUTE}",
}


def check_read_only(argv: Sequence[str]) -> Shape:
    """The allowed shape argv matches; ReadOnlyViolation (naming the command and why) if none does."""
    if not argv:
        raise ReadOnlyViolation("refused: empty command")
    if any("\n" in arg or "\0" in arg for arg in argv):
        shown = shlex.join(arg.replace("\n", "\\n").replace("\0", "\\0") for arg in argv)
        raise ReadOnlyViolation(f"refused: {shown} : an argument holds a newline or NUL")
    command = shlex.join(argv)
    program = argv[0]
    if program not in WHY:
        raise ReadOnlyViolation(f"refused: {command} : {program} is not on the read-only allowlist "
                                f"(allowed: {', '.join(WHY)})")
    for name, parts in _COMPILED:
        ends = _ends(parts, argv, {0: ()})
        if len(argv) in ends:
            return Shape(name, ends[len(argv)])
    raise ReadOnlyViolation(f"refused: {command} : {WHY[program]}")


# --- the shape language -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Arg:
    """One argument: any of its alternatives, each a regex with the values it holds by kind."""

    alternatives: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]
    reads: bool = False

    def matches(self, arg: str) -> bool:
        for regex, kinds in self.alternatives:
            m = regex.fullmatch(arg)
            if m and all(VALUES[kind].ok(value) for kind, value in zip(kinds, m.groups())):
                return True
        return False


@dataclass(frozen=True)
class _Maybe:
    parts: tuple


@dataclass(frozen=True)
class _OneOrMore:
    parts: tuple


# [  ]  ...  a 'quoted' argument  or a word (which stops before `...`)
_TOKEN = re.compile(r"\[|\]|\.\.\.|'[^']*'|(?:[^\s\[\]'.]|\.(?!\.\.))+")
_PLACEHOLDER = re.compile(r"<([a-z-]+)>")


def _parse(shape: str) -> tuple:
    """A shape as a tuple of _Arg, _Maybe and _OneOrMore parts."""
    stack: list[list] = [[]]
    for token in _TOKEN.findall(shape):
        if token == "[":
            stack.append([])
        elif token == "]":
            group = _Maybe(tuple(stack.pop()))
            stack[-1].append(group)
        elif token == "...":
            stack[-1][-1] = _OneOrMore((stack[-1][-1],))
        else:
            stack[-1].append(_arg(token))
    if len(stack) != 1:
        raise ValueError(f"unbalanced [ ] in shape {shape!r}")
    return tuple(stack[0])


def _arg(token: str) -> _Arg:
    alternatives = [token[1:-1]] if token.startswith("'") else token.split("|")
    compiled = []
    for alternative in alternatives:
        pieces = _PLACEHOLDER.split(alternative)  # literal, kind, literal, kind, ..., literal
        literals, kinds = pieces[0::2], tuple(pieces[1::2])
        regex = re.escape(literals[0]) + "".join(f"({VALUES[kind].regex}){re.escape(literal)}"
                                                 for kind, literal in zip(kinds, literals[1:]))
        compiled.append((re.compile(regex), kinds))
    return _Arg(tuple(compiled), reads=token == "<file>")


def _ends(parts: tuple, argv: Sequence[str], starts: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    """Where in argv a match of `parts` can end, from each start index; with the files read on the way."""
    states = starts
    for part in parts:
        if isinstance(part, _Arg):
            states = {i + 1: reads + ((argv[i],) if part.reads else ())
                      for i, reads in states.items() if i < len(argv) and part.matches(argv[i])}
        elif isinstance(part, _Maybe):
            states = {**_ends(part.parts, argv, states), **states}
        else:  # _OneOrMore: repeat until a round reaches no new index
            reached: dict[int, tuple[str, ...]] = {}
            frontier = states
            while frontier := {i: r for i, r in _ends(part.parts, argv, frontier).items() if i not in reached}:
                reached.update(frontier)
            states = reached
    return states


_COMPILED = [(name, _parse(shape)) for name, shape in RULES]
