"""Paths, hashes and file bytes on macOS with its stock BSD tools: `stat -L -f`, `shasum -a 256`,
and `base64 -i`. (The host's identity, `uname -s` and `sw_vers`, is asked only for testinfra: facts/kinds.py.)

GNU and BSD tools differ in flags, output and wording, so these are the macOS twins of
paths.py's commands and parsers; they return the same PathFact.
"""
from __future__ import annotations

import re

from .paths import PathFact

# %HT file type in words, %Lp permission bits in octal, %Su/%Sg owner and group names, %z size,
# %N the name as given (stat(1); Apple's file_cmds stat.c)
BSD_STAT_FORMAT = "%HT|%Lp|%Su|%Sg|%z|%N"

# stat.c's names for st_mode's file type (format1, SHOW_filetype, HIGH_PIECE)
_TYPES = {
    "Regular File": "file",
    "Directory": "directory",
    "Symbolic Link": "symlink",
    "Fifo File": "fifo",
    "Character Device": "char-device",
    "Block Device": "block-device",
    "Socket": "socket",
    "Whiteout File": "whiteout",
}

def stat_command(paths: list[str]) -> list[str]:
    """`stat -L -f '%HT|%Lp|%Su|%Sg|%z|%N' path...` (BSD stat takes no `--`: the paths are absolute).

    `-L` follows symlinks: a symlink shows as its target's type, mode, owner and size (a
    dangling one as missing), so a documented path under `/tmp` (itself a symlink to
    `/private/tmp` on macOS) is judged by the file it leads to. Whether a path IS a
    symlink is not visible here.
    """
    return ["stat", "-L", "-f", BSD_STAT_FORMAT, *paths]


# stat.c: warn("%s: stat", path) -> `stat: /x: stat: No such file or directory`
_STAT_ERROR = re.compile(r"stat: (?P<path>.*): stat: (?P<reason>.*)")


def parse_stat(stdout: str, stderr: str, paths: list[str]) -> dict[str, PathFact]:
    """A PathFact for every path asked for: found ones from stdout, failed ones from stderr.

    The mode is `%Lp`, the permission bits only (`644`): unlike GNU `%a` it drops the
    setuid/setgid/sticky bits (GNU's `1777` for a sticky directory is `777` here). A path
    stat could not reach for want of permission is `denied`; any other failure (missing, a
    dangling symlink, "Not a directory") is simply not there.
    """
    facts: dict[str, PathFact] = {}
    for line in stdout.splitlines():
        parts = line.split("|", 5)  # the name is last and may itself hold `|`
        if len(parts) != 6:
            continue
        kind, mode, owner, group, size, name = parts
        facts[name] = PathFact(name, True, _TYPES.get(kind, kind), mode, owner, group, int(size) if size.isdigit() else None)
    for line in stderr.splitlines():
        m = _STAT_ERROR.fullmatch(line)
        if m and m["path"] not in facts:
            facts[m["path"]] = PathFact(m["path"], False, denied=m["reason"] == "Permission denied")
    for path in paths:
        facts.setdefault(path, PathFact(path, False))
    return facts


def shasum_command(paths: list[str]) -> list[str]:
    """`shasum -a 256 path...`: macOS has no sha256sum; shasum (Perl, Digest::SHA) is stock."""
    return ["shasum", "-a", "256", *paths]


_SHASUM_LINE = re.compile(r"(?P<escaped>\\?)(?P<digest>[0-9a-f]{64}) [ *U^](?P<name>.*)")


def parse_shasum(stdout: str) -> dict[str, str]:
    """path -> sha256 hex of every file shasum could read (the others are on its stderr).

    A line is `<hex> <mode><name>`, the mode ` ` for text, `*` binary, `U`/`^` for -U/-0.
    A name holding a backslash or a line break is escaped (`\\\\`, `\\n`) and the line starts
    with `\\` (shasum's own `unescape` undoes it the same way).
    """
    hashes: dict[str, str] = {}
    for line in stdout.splitlines():
        m = _SHASUM_LINE.fullmatch(line)
        if m:
            name = _unescape(m["name"]) if m["escaped"] else m["name"]
            hashes[name] = m["digest"]
    return hashes


def _unescape(name: str) -> str:
    return re.sub(r"\\([\\n])", lambda m: "\n" if m[1] == "n" else "\\", name)


def base64_command(path: str) -> list[str]:
    """`base64 -i path`: the file's bytes as text on stdout (decode with launchd.decode_base64_output)."""
    return ["base64", "-i", path]

