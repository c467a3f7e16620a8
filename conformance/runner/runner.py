"""The one runner: every command on every host goes through here.

It refuses anything off the read-only allowlist, sends each batch of commands to the host
in ONE round trip, splits the outputs back per command, and records evidence for each.
"""
from __future__ import annotations

import secrets
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..evidence import CommandRecord, Redactor
from .allowlist import check_read_only
from .backends import Backend


@dataclass(frozen=True)
class Output:
    """One command's raw result (kept in memory for parsing; never written out)."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    record: CommandRecord

    @property
    def command(self) -> str:
        return shlex.join(self.argv)


class BatchProtocolError(Exception):
    """The host's reply to a batch could not be split back into per-command outputs."""


class Runner:
    def __init__(self, host_id: str, backend: Backend, redactor: Redactor | None = None) -> None:
        self.host_id = host_id
        self.backend = backend
        self.redact = redactor or Redactor()
        self.records: list[CommandRecord] = []
        self.batches = 0

    @property
    def user(self) -> str:
        return self.backend.user

    def run(self, commands: Sequence[Sequence[str]]) -> list[Output]:
        """Run the commands on the host in one round trip; each must be read-only."""
        argvs = [tuple(c) for c in commands]
        for argv in argvs:
            check_read_only(argv)
        marker = f"@@conformance-{secrets.token_hex(6)}"
        script = batch_script(argvs, marker)
        started = time.monotonic()
        raw = self.backend.run(script)
        seconds = time.monotonic() - started
        self.batches += 1
        outs = split_batch(raw.stdout, raw.stderr, len(argvs), marker)
        results = []
        for argv, (status, stdout, stderr) in zip(argvs, outs):
            record = CommandRecord(self.host_id, self.user, shlex.join(argv), status,
                                   self.redact(stdout), self.redact(stderr), self.batches, round(seconds, 4))
            self.records.append(record)
            results.append(Output(argv, status, stdout, stderr, record))
        return results

    def run_one(self, argv: Sequence[str]) -> Output:
        return self.run([argv])[0]


def batch_script(argvs: Sequence[tuple[str, ...]], marker: str) -> str:
    """A POSIX sh script that runs each command and fences its stdout, stderr and status."""
    lines = ["LC_ALL=C; export LC_ALL  # parsers read English messages (Permission denied, ...)"]
    for i, argv in enumerate(argvs):
        lines.append(f"printf '%s\\n' '{marker} {i}'; printf '%s\\n' '{marker} {i}' >&2")
        lines.append(f"{shlex.join(argv)} </dev/null; rc=$?")
        lines.append(f"printf '\\n%s %s\\n' '{marker} {i} end' \"$rc\"; printf '\\n%s\\n' '{marker} {i} end' >&2")
    return "\n".join(lines) + "\n"


def split_batch(stdout: str, stderr: str, count: int, marker: str) -> list[tuple[int, str, str]]:
    results = []
    for i in range(count):
        out, status = _fenced(stdout, marker, i, with_status=True)
        err, _ = _fenced(stderr, marker, i, with_status=False)
        results.append((status, out, err))
    return results


def _fenced(text: str, marker: str, i: int, with_status: bool) -> tuple[str, int]:
    begin = f"{marker} {i}\n"
    end = f"\n{marker} {i} end"
    start = text.find(begin)
    stop = text.find(end, start + len(begin) if start >= 0 else 0)
    if start < 0 or stop < 0:
        raise BatchProtocolError(f"command {i} of the batch left no complete output (did the host's shell stop early?)")
    body = text[start + len(begin):stop]
    status = -1
    if with_status:
        tail = text[stop + len(end):].split("\n", 1)[0].strip()
        status = int(tail) if tail.lstrip("-").isdigit() else -1
    return body, status
