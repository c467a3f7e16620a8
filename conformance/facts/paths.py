"""Paths: one `stat` sweep over every documented path, and its parser."""
from __future__ import annotations

import re
from dataclasses import dataclass

STAT_FORMAT = "%F|%a|%U|%G|%s|%n"
_TYPES = {"regular file": "file", "regular empty file": "file", "directory": "directory", "symbolic link": "symlink"}


def stat_command(paths: list[str]) -> list[str]:
    return ["stat", "-c", STAT_FORMAT, "--", *paths]


def read_command(path: str, limit: int) -> list[str]:
    """At most limit+1 bytes, so a file over the limit shows as such (the runner reads regular files only)."""
    return ["head", "-c", str(limit + 1), "--", path]


def hash_command(path: str) -> list[str]:
    return ["sha256sum", "--", path]


def parse_sha256(stdout: str) -> dict[str, str]:
    """`<64 hex>  <path>` per readable file; unreadable or missing files are on stderr, not here."""
    hashes = {}
    for line in stdout.splitlines():
        digest, sep, path = line.partition("  ")
        if sep and len(digest) == 64 and not line.startswith("\\"):
            hashes[path] = digest
    return hashes


def readlink_command(path: str) -> list[str]:
    return ["readlink", "--", path]


def list_command(path: str) -> list[str]:
    """A folder's names, one a line (`-q`: a name's control characters shown as `?`, so a name is one line)."""
    return ["ls", "-1", "-q", "--", path]


@dataclass(frozen=True)
class PathFact:
    path: str
    exists: bool
    type: str | None = None  # file | directory | symlink | other kinds as stat names them
    mode: str | None = None
    owner: str | None = None
    group: str | None = None
    size: int | None = None
    denied: bool = False  # the suite's user may not look


def parse_stat(stdout: str, stderr: str, paths: list[str]) -> dict[str, PathFact]:
    facts: dict[str, PathFact] = {}
    for line in stdout.splitlines():
        parts = line.split("|", 5)
        if len(parts) != 6:
            continue
        kind, mode, owner, group, size, name = parts
        facts[name] = PathFact(name, True, _TYPES.get(kind, kind), mode, owner, group, int(size) if size.isdigit() else None)
    for line in stderr.splitlines():
        # coreutils quotes a name with '...', or with "..." when the name holds a single quote
        m = (re.match(r"stat: cannot stat[x]? '(.*)': (.*)$", line) or re.match(r'stat: cannot stat[x]? "(.*)": (.*)$', line)
             or re.match(r"stat: cannot stat[x]? (.*): (.*)$", line))
        if m and m.group(1) not in facts:
            facts[m.group(1)] = PathFact(m.group(1), False, denied="Permission denied" in m.group(2))
    for p in paths:
        facts.setdefault(p, PathFact(p, False))
    return facts
