"""An ssh config, read the way OpenSSH reads it: its aliases listed by us, each resolved by `ssh -G`.

Listing: the Host lines of the file and of every file it Includes (ssh_config(5): an Include takes
glob(7) patterns, `~` is the home directory, a relative path is under ~/.ssh in a user's config and
under /etc/ssh in the system's; at most 16 levels deep, as OpenSSH allows). An alias is a Host
pattern without a wildcard (`*`, `?`) or a negation (`!`). Match blocks are skipped whole, Includes
in them too: whether they apply is known only while connecting (a `Match exec` runs a command), and
nothing here runs one.

Resolving: what an alias really means (HostName, User, Port, IdentityFile, ProxyJump, known hosts,
Match blocks and all) is OpenSSH's answer, `ssh -G [-F FILE] -- ALIAS`, one line `key value` per
option. ssh -G evaluates the config exactly as a connection would, a `Match exec` command included;
it never connects. Whatever ssh accepts works, and what it refuses fails with its own words.
"""
from __future__ import annotations

import glob as globbing
import os
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DEFAULT_CONFIG = "~/.ssh/config"
SYSTEM_CONFIG = "/etc/ssh/ssh_config"  # ssh reads it after the user's, unless -F names a file
MAX_INCLUDE_DEPTH = 16  # OpenSSH's READCONF_MAX_DEPTH
RESOLVE_TIMEOUT = 10.0  # seconds an `ssh -G` may take (a `Match exec` command runs in it)
_KEYWORD = re.compile(r"^\s*([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$")


@dataclass(frozen=True)
class Files:
    """Where the config's files are read: a root directory (the run's own `/`, or a test's fake one) and the
    home directory `~` means for the user ssh runs as (None: the run's own user's)."""

    root: str = "/"
    home: str | None = None

    def _here(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/")) if self.root != "/" else path

    def expand(self, path: str) -> str:
        home = self.home or os.path.expanduser("~")
        return home + path[1:] if path == "~" or path.startswith("~/") else path

    def read(self, path: str) -> str | None:
        try:
            return Path(self._here(path)).read_text(encoding="utf-8", errors="replace")
        except OSError:  # missing, a directory, not readable: ssh skips it too (or says so itself in -G)
            return None

    def glob(self, pattern: str) -> list[str]:
        if self.root == "/":
            return sorted(globbing.glob(pattern))
        prefix = self.root.rstrip("/")
        return sorted(p[len(prefix):] for p in globbing.glob(self._here(pattern)))


def list_aliases(path: str | None, files: Files = Files(), text: str | None = None) -> list[str]:
    """The aliases of the config at `path` (None: the user's ~/.ssh/config, then the system's), in file order,
    each once. `text`: the file's content when the caller already read it (Includes are still read from `files`)."""
    found: list[str] = []
    if path is None:
        _walk(files.expand(DEFAULT_CONFIG), files, "~/.ssh", found, 0, None)
        _walk(SYSTEM_CONFIG, files, "/etc/ssh", found, 0, None)
    else:
        _walk(files.expand(path), files, "~/.ssh", found, 0, text)
    return list(dict.fromkeys(found))


def includes(text: str) -> list[str]:
    """The Include patterns a config text names outside Match blocks (as written)."""
    return [arg for keyword, args, in_match in _lines(text) if keyword == "include" and not in_match for arg in args]


def _walk(path: str, files: Files, relative_to: str, found: list[str], depth: int, text: str | None) -> None:
    if depth > MAX_INCLUDE_DEPTH:
        return
    text = files.read(path) if text is None else text
    if text is None:
        return
    for keyword, args, in_match in _lines(text):
        if in_match:
            continue
        if keyword == "host":
            found += [a for a in args if not any(c in a for c in "*?!")]
        elif keyword == "include":
            for pattern in args:
                pattern = files.expand(pattern)
                if not pattern.startswith("/"):
                    pattern = files.expand(f"{relative_to}/{pattern}")
                for included in files.glob(pattern):
                    _walk(included, files, relative_to, found, depth + 1, None)


def _lines(text: str):
    """(keyword in lower case, its arguments, inside a Match block) for each line that has a keyword."""
    in_match = False
    for line in text.splitlines():
        m = _KEYWORD.match(line)
        if not m or line.lstrip().startswith("#"):
            continue
        keyword = m[1].lower()
        try:
            args = shlex.split(m[2], comments=True)
        except ValueError:  # an unbalanced quote: ssh refuses the file, and says so when it resolves
            continue
        if keyword in ("host", "match"):
            in_match = keyword == "match"
        yield keyword, args, in_match


# --- resolving: OpenSSH's own answer --------------------------------------------------------------------
def resolve_command(alias: str, config_file: str | None = None, ssh_program: str = "ssh") -> list[str]:
    """`ssh -G`: print the options ssh would use for the alias, and exit (no connection)."""
    return [ssh_program, "-G", *(["-F", config_file] if config_file else []), "--", alias]


@dataclass(frozen=True)
class Resolved:
    """An alias as ssh resolves it (`ssh -G`): every option, by its lower-case name, each value as printed."""

    alias: str
    options: dict[str, tuple[str, ...]]

    def one(self, key: str, default: str | None = None) -> str | None:
        values = self.options.get(key)
        return values[0] if values else default

    @property
    def hostname(self) -> str:
        return self.one("hostname", self.alias)

    @property
    def user(self) -> str | None:
        return self.one("user")

    @property
    def port(self) -> int:
        return int(self.one("port", "22"))

    @property
    def identity_files(self) -> tuple[str, ...]:
        return self.options.get("identityfile", ())

    @property
    def proxyjump(self) -> str | None:
        jump = self.one("proxyjump")
        return None if jump in (None, "none") else jump

    @property
    def known_hosts(self) -> tuple[str, ...]:
        return tuple(v for line in self.options.get("userknownhostsfile", ()) for v in line.split())


class ResolveFailed(Exception):
    """ssh -G did not give the alias's options (the config is refused, ssh is missing, the deadline passed)."""


def parse_resolved(alias: str, stdout: str) -> Resolved:
    options: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        key, _, value = line.partition(" ")
        if key:
            options.setdefault(key.lower(), []).append(value.strip())
    if "hostname" not in options:
        raise ResolveFailed(f"ssh -G printed no hostname for {alias}")
    return Resolved(alias, {k: tuple(v) for k, v in options.items()})


def failure(alias: str, status: int, stderr: str) -> ResolveFailed:
    lines = [line.strip() for line in stderr.splitlines() if line.strip() and "Pseudo-terminal" not in line]
    said = "; ".join(lines[-2:])[:300] or "no message"
    return ResolveFailed(f"ssh -G {alias} failed (exit {status}): {said}")


def resolve_all(aliases: Sequence[str], run: Callable[[str], Resolved]) -> dict[str, Resolved | ResolveFailed]:
    """Each alias resolved by `run` (one `ssh -G` each); a failure is kept for its alias, never raised."""
    out: dict[str, Resolved | ResolveFailed] = {}
    for alias in aliases:
        try:
            out[alias] = run(alias)
        except ResolveFailed as e:
            out[alias] = e
    return out
