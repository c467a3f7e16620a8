"""Backends only know how to run one shell script on a host and return its outputs.

testinfra provides the transports (local://, paramiko://, ssh://); the suite never calls
host.run directly, only through the Runner and its allowlist.
"""
from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RawResult:
    exit_status: int
    stdout: str
    stderr: str


class Backend(Protocol):
    user: str

    def run(self, script: str) -> RawResult: ...


class TestinfraBackend:
    """A testinfra host (`local://`, `paramiko://user@alias`) as a backend."""

    def __init__(self, spec: str = "local://", user: str | None = None, **kwargs) -> None:
        import testinfra  # imported late: unit tests of the runner need no transport

        self.spec = spec
        self._host = testinfra.get_host(spec, **kwargs)
        self.user = user or (getpass.getuser() if spec.startswith("local") else spec.split("://", 1)[1].split("@")[0])

    def run(self, script: str) -> RawResult:
        result = self._host.run(script)
        return RawResult(result.rc, result.stdout, result.stderr)
