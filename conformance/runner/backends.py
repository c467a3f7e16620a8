"""Backends only know how to run one shell script on a host, within a deadline, and return its bytes.

The contract is `run(script, deadline) -> RawResult`, raising RoundTripFailed when the round trip
does not complete: the deadline passed (the whole process group is killed), the output grew past
its bound, or the transport itself failed. The script arrives on the shell's stdin, so nothing
of it depends on a remote login shell's quoting, and no probe runs before it (testinfra's
backends run `python3 -c ...` to guess the encoding; ours send bytes and the runner decodes).
"""
from __future__ import annotations

import os
import pwd
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Protocol

MAX_OUTPUT_BYTES = 32 * 1024 * 1024  # one round trip's stdout + stderr; past it the round trip fails


@dataclass(frozen=True)
class RawResult:
    exit_status: int
    stdout: bytes
    stderr: bytes


class RoundTripFailed(Exception):
    """The script's round trip did not complete; the reason says how (timeout, output bound, transport)."""


class Backend(Protocol):
    user: str

    def run(self, script: str, deadline: float) -> RawResult: ...


class ProcessBackend:
    """Runs a local process (a shell, or ssh to a shell) fed the script on stdin; bounded in time and bytes."""

    def __init__(self, argv: list[str], user: str, max_output: int = MAX_OUTPUT_BYTES,
                 env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.user = user
        self.max_output = max_output
        self.env = env
        self.last_session: int | None = None  # the session id of the last round trip's processes

    def run(self, script: str, deadline: float) -> RawResult:
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=self.env, start_new_session=True)  # its own process group: a timeout kills all of it
        except OSError as e:
            raise RoundTripFailed(f"cannot start {self.argv[0]}: {e.strerror}") from None
        self.last_session = proc.pid
        until = time.monotonic() + deadline
        try:
            out, err = _exchange(proc, script.encode(), until, self.max_output, deadline)
            status = proc.wait(timeout=max(0.1, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise RoundTripFailed(f"round trip timed out after {deadline:g} s (the shell did not exit)") from None
        except RoundTripFailed:
            _kill_group(proc)
            raise
        return RawResult(status, out, err)


class LocalBackend(ProcessBackend):
    """The host the suite runs on: POSIX sh reading the script from stdin."""

    def __init__(self, max_output: int = MAX_OUTPUT_BYTES) -> None:
        super().__init__(["/bin/sh", "-s"], pwd.getpwuid(os.geteuid()).pw_name, max_output)


def _exchange(proc: subprocess.Popen, script: bytes, until: float, max_output: int, deadline: float) -> tuple[bytes, bytes]:
    """Write the script, read both streams to their end; fail at the deadline or the output bound."""
    chunks = {proc.stdout: [], proc.stderr: []}
    size = 0
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdin, selectors.EVENT_WRITE)
        sel.register(proc.stdout, selectors.EVENT_READ)
        sel.register(proc.stderr, selectors.EVENT_READ)
        pending = memoryview(script)
        while len(sel.get_map()):
            left = until - time.monotonic()
            if left <= 0:
                raise RoundTripFailed(f"round trip timed out after {deadline:g} s")
            for key, _ in sel.select(timeout=min(left, 1.0)):
                if key.fileobj is proc.stdin:
                    try:
                        pending = pending[os.write(proc.stdin.fileno(), pending[:65536]):]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        sel.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                data = os.read(key.fileobj.fileno(), 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                size += len(data)
                if size > max_output:
                    raise RoundTripFailed(f"output exceeded {max_output // (1024 * 1024)} MiB")
                chunks[key.fileobj].append(data)
    return b"".join(chunks[proc.stdout]), b"".join(chunks[proc.stderr])


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream and not stream.closed:
            stream.close()
