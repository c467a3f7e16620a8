"""What a check needs of a host's facts: a concept and, where it has one, the key it is asked for.

A check declares its needs (checks/finding.py Check.needs); the concept is the same on every kind of host,
and each kind of host reads it with its own tools: `service` is a systemd unit on Linux and a launchd job
on macOS, `listeners` come from `ss` on Linux and `netstat` on macOS. SOURCES names, per host OS, the
parser each concept is read with: the replay self-test patches one parser and expects exactly the checks
whose needs lead to it to change (selftest/unit/test_replay.py).
"""
from __future__ import annotations

from dataclasses import dataclass

SERVICE = "service"  # a systemd unit (key: UnitKey) or a launchd job (key: its label)
LISTENERS = "listeners"  # every listening TCP socket of the host
PATH = "path"  # a path's type, mode, owner (key: the path)
LINK = "link"  # a symlink's target (key: the path)
TEXT = "text"  # a file's text, read as is (key: the path)
ENV = "env"  # a file read as KEY=value assignments, as systemd reads an EnvironmentFile (key: the path)
ROUTER = "router"  # LiteLLM's router.yaml, read with the env file its os.environ/ names resolve from (key: the path)
JOURNAL = "journal"  # a unit's journal of its current run (key: UnitKey)
HASH = "hash"  # a file's sha256 (key: the path)
SSH_CONFIG = "ssh-config"  # an ssh config's aliases, each resolved as ssh resolves it (key: the file)
PLIST = "plist"  # a launchd property list (key: the path)
SYSTEM = "system"  # the host's kernel name (`uname -s`)
HTTP = "http"  # an HTTP answer, asked from the run's own host (key: the URL)
CONTRACT = "contract"  # the OpenAI-API contract's answers (the proxy's and the backends')

# The parser each concept is read with, per host OS (a concept absent here has no parser of its own, e.g. TEXT).
SOURCES: dict[tuple[str, str], str] = {
    ("linux", SERVICE): "systemd", ("darwin", SERVICE): "launchd",
    ("linux", LISTENERS): "ss", ("darwin", LISTENERS): "netstat",
    ("linux", PATH): "stat", ("darwin", PATH): "stat",
    ("linux", ENV): "env file", ("darwin", ENV): "env file",
    ("linux", ROUTER): "router.yaml", ("darwin", ROUTER): "router.yaml",
    ("linux", PLIST): "plist", ("darwin", PLIST): "plist",
    ("linux", HTTP): "HTTP", ("darwin", HTTP): "HTTP", ("linux", CONTRACT): "HTTP", ("darwin", CONTRACT): "HTTP",
}


@dataclass(frozen=True)
class Need:
    concept: str
    key: object = None

    def source(self, os: str) -> str | None:
        """The parser this need is read with on a host of this OS (None: no parser of its own)."""
        return SOURCES.get((os, self.concept))
