"""The one runner: every command on every host goes through here.

It refuses anything off the read-only allowlist, sends each batch of commands to the host in
ONE round trip, bounds every command by a watchdog ON the host (POSIX sh: macOS has no
`timeout`, and a client-side deadline alone would leave a remote `cat fifo` running), reads a
file only when it is a regular file and no secret as it resolves on the host (secret_files.py),
splits the outputs back per command, and records evidence.
A round trip that fails is raised as BatchFailed, with a record per command it carried.
"""
from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..evidence import CommandRecord
from .allowlist import check_read_only
from .backends import Backend, RoundTripFailed
from .secret_files import SecretFiles

COMMAND_TIMEOUT = 10.0  # seconds a command may run on the host before its watchdog kills it
ROUND_TRIP_TIMEOUT = 60.0  # seconds the controller waits for a whole batch (connect included)
NOT_REGULAR = "not a regular file (not read)"
NOT_RECORDED = -100  # a replay's exit status for a command its recording does not hold (conformance/replay)


class BinaryCommand(tuple):
    """A command whose stdout must arrive byte for byte (a binary plist): it travels base64-encoded
    (`cmd | base64` on the host) and is decoded here; its record keeps only its size, since the
    bytes may hold secrets the redactor cannot see through base64.

    Its exit status is the command's own, not base64's: a pipe's status is its last command's, and
    macOS's /bin/sh has no `pipefail`, so the command's status crosses the pipe on stderr (a fenced
    `<marker> <i> first <status>` line, taken out again by split_batch). A missing or unreadable file
    then fails as such, with the command's own message, instead of as empty output."""


@dataclass(frozen=True)
class Output:
    """One command's result (kept in memory for parsing; only its record is written out)."""

    argv: tuple[str, ...]
    exit_status: int
    stdout: str
    stderr: str
    record: CommandRecord
    timed_out: bool = False
    data: bytes | None = None  # the exact bytes of a BinaryCommand's stdout

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    @property
    def not_recorded(self) -> bool:
        """A replay's answer to a command the recording does not hold."""
        return self.exit_status == NOT_RECORDED


@dataclass(frozen=True)
class RoundTrip:
    """One round trip as sent and answered: what a recording keeps (conformance/replay/recording.py)."""

    argvs: tuple[tuple[str, ...], ...]
    outputs: tuple[Output, ...] = ()  # in the order of argvs; empty when the round trip failed
    stderrs: tuple[str, ...] = ()  # each command's stderr as the host wrote it (Output.stderr may say more)
    failure: str | None = None  # why the round trip did not complete


class BatchScript(str):
    """The batch's shell script, which also says what it asks: the argvs and the fence marker.

    A process backend sends the text; a replay backend answers the argvs from a recording,
    fenced with the same marker (see fence_batch), so both go through split_batch alike.
    """

    argvs: tuple[tuple[str, ...], ...]
    marker: str

    def __new__(cls, text: str, argvs, marker: str) -> "BatchScript":
        script = super().__new__(cls, text)
        script.argvs, script.marker = tuple(tuple(a) for a in argvs), marker
        return script


class BatchProtocolError(Exception):
    """The host's reply to a batch could not be split back into per-command outputs."""


class BatchFailed(Exception):
    """A round trip did not complete; every fact it was to bring is unavailable for that reason."""

    def __init__(self, host: str, reason: str, records: tuple[CommandRecord, ...]) -> None:
        super().__init__(f"{host}: {reason}")
        self.reason = reason
        self.records = records


class Runner:
    def __init__(self, host_id: str, backend: Backend, *, command_timeout: float = COMMAND_TIMEOUT,
                 round_trip_timeout: float = ROUND_TRIP_TIMEOUT, max_round_trips: int | None = None,
                 secret_files: SecretFiles | None = None) -> None:
        self.host_id = host_id
        self.secret_files = secret_files or SecretFiles()  # never read, whoever asks
        self.backend = backend
        self.command_timeout = command_timeout
        self.round_trip_timeout = round_trip_timeout
        self.max_round_trips = max_round_trips  # what the README states for this kind of host
        self.records: list[CommandRecord] = []
        self.unreachable: str | None = None  # why a round trip failed: the host is not asked again this run
        self.round_trips: list[RoundTrip] = []  # what was sent and answered, for the run's recording
        self.batches = 0  # every round trip sent
        self.commands = 0  # every command sent (in those round trips)
        self.fact_batches = 0  # the facts' round trips, the ones max_round_trips bounds
        self.test_batches = 0  # of the round trips sent, the owner's tests' own (testinfra's idiom), unbudgeted

    @property
    def user(self) -> str:
        return self.backend.user

    def run(self, commands: Sequence[Sequence[str]], *, budgeted: bool = True) -> list[Output]:
        """Run the commands on the host in one round trip; each must be read-only.

        The facts' round trips are budgeted (the README states their number per kind of host); a
        test's own commands (testinfra's idiom) are sent unbudgeted, after the facts, and counted apart.
        """
        argvs = [BinaryCommand(c) if isinstance(c, BinaryCommand) else tuple(c) for c in commands]
        reads = [check_read_only(argv).reads for argv in argvs]
        if budgeted and self.max_round_trips is not None and self.fact_batches >= self.max_round_trips:
            raise RuntimeError(f"{self.host_id}: a round trip beyond the stated {self.max_round_trips} was asked for")
        self.fact_batches += budgeted
        if self.unreachable:  # remembered, never retried: a dead host costs its deadline once per run
            records = tuple(self._record(argv, -1, "", f"not sent: {self.unreachable}", 0.0) for argv in argvs)
            raise BatchFailed(self.host_id, self.unreachable, records)
        marker = f"@@conformance-{secrets.token_hex(6)}"
        script = batch_script(argvs, marker, self.command_timeout, reads, self.secret_files)
        self.batches += 1
        self.commands += len(argvs)
        self.test_batches += not budgeted
        started = time.monotonic()
        try:
            raw = self.backend.run(script, self.round_trip_timeout)
            outs = split_batch(raw.stdout, raw.stderr, len(argvs), marker)
        except (RoundTripFailed, BatchProtocolError) as e:
            seconds = round(time.monotonic() - started, 4)
            records = tuple(self._record(argv, -1, "", f"round trip failed: {e}", seconds) for argv in argvs)
            self.unreachable = str(e)
            self.round_trips.append(RoundTrip(tuple(argvs), failure=str(e)))
            raise BatchFailed(self.host_id, str(e), records) from None
        seconds = round(time.monotonic() - started, 4)
        results = []
        for argv, (status, stdout, stderr, timed_out) in zip(argvs, outs):
            if timed_out:
                stderr += f"\n(killed on the host after {self.command_timeout:g} s)"
            data = None
            if isinstance(argv, BinaryCommand):
                data, stdout = _unbase64(stdout)
            record = self._record(argv, status, stdout, stderr, seconds, timed_out)
            results.append(Output(tuple(argv), status, stdout, stderr, record, timed_out, data))
        self.round_trips.append(RoundTrip(tuple(argvs), tuple(results), tuple(err for _, _, err, _ in outs)))
        return results

    def run_one(self, argv: Sequence[str]) -> Output:
        return self.run([argv])[0]

    def _record(self, argv, status: int, stdout: str, stderr: str, seconds: float, timed_out: bool = False) -> CommandRecord:
        record = CommandRecord(self.host_id, self.user, shlex.join(argv), status, stdout, stderr, self.batches, seconds,
                               timed_out)
        self.records.append(record)
        return record


# Functions the batch defines once. __watch sleeps the deadline through in 1 s steps and then
# kills its command (exit 0: it killed). Stopped early (the command ended), its trap kills the
# current step's sleep and exits 1; in the rare race where TERM lands before the step's PID is
# known, that sleep ends by itself within 1 s. Its output goes nowhere, so nothing it leaves
# can hold the batch's pipes open.
_PRELUDE = """\
LC_ALL=C; export LC_ALL
__watch() { trap 'kill ${__s:-$!} 2>/dev/null; exit 1' TERM; __n=0
  while [ $__n -lt "$1" ]; do sleep 1 & __s=$!; wait $__s || exit 1; kill -0 "$2" 2>/dev/null || exit 1; __n=$((__n + 1)); done
  kill -9 "$2" 2>/dev/null; }
__regular() { if [ -f "$1" ] || [ ! -e "$1" ]; then return 0; fi; printf '%s: %s\\n' "$1" '""" + NOT_REGULAR + """' >&2; return 1; }
"""


def batch_script(argvs: Sequence[tuple[str, ...]], marker: str, timeout: float = COMMAND_TIMEOUT,
                 reads: Sequence[Sequence[str]] | None = None, secret_files: SecretFiles | None = None) -> BatchScript:
    """A POSIX sh script that runs each command under a watchdog and fences its stdout, stderr and status; a command
    that reads a file runs only when the file is no secret (as it resolves on the host) and a regular file."""
    seconds = max(1, math.ceil(timeout))
    secret_files = secret_files or SecretFiles()
    lines = [_PRELUDE] + ([secret_files.shell_functions()] if reads and any(reads) else [])
    for i, argv in enumerate(argvs):
        guards = " && ".join(f"{secret_files.guard(p)} && __regular {shlex.quote(p)}"
                             for p in (reads[i] if reads else ())) or "true"
        fence = shlex.quote(f"{marker} {i}")
        run = f"{shlex.join(argv)} </dev/null"
        if isinstance(argv, BinaryCommand):  # the watchdog ends base64 (the last of the pipe); the reader gets EPIPE
            first = shlex.quote(f"{marker} {i} first")
            run = f"{{ {run}; printf '\\n%s %s\\n' {first} \"$?\" >&2; }} | base64"
        lines += [
            f"printf '%s\\n' {fence}; printf '%s\\n' {fence} >&2",
            f"if {guards}; then",
            f"  {run} & __p=$!",
            f"  __watch {seconds} $__p >/dev/null 2>&1 & __w=$!",
            "  { wait $__p; } 2>/dev/null; __rc=$?; kill $__w 2>/dev/null",  # the shell's own 'Killed' notes
            f"  {{ wait $__w; }} 2>/dev/null && printf '\\n%s\\n' {shlex.quote(f'{marker} {i} timeout')} >&2",
            "else __rc=126; fi",
            f"printf '\\n%s %s\\n' {shlex.quote(f'{marker} {i} end')} \"$__rc\"; "
            f"printf '\\n%s\\n' {shlex.quote(f'{marker} {i} end')} >&2",
        ]
    return BatchScript("\n".join(lines) + "\n", argvs, marker)


def fence_batch(answers: Sequence[tuple[int, str, str, bool]], marker: str) -> tuple[bytes, bytes]:
    """What the batch script prints for these (status, stdout, stderr, timed out) answers: split_batch's inverse."""
    out, err = [], []
    for i, (status, stdout, stderr, timed_out) in enumerate(answers):
        out.append(f"{marker} {i}\n{stdout}\n{marker} {i} end {status}\n")
        timeout = f"\n{marker} {i} timeout\n" if timed_out else ""
        err.append(f"{marker} {i}\n{stderr}{timeout}\n{marker} {i} end\n")
    return "".join(out).encode(), "".join(err).encode()


def _unbase64(text: str) -> tuple[bytes | None, str]:
    """The bytes, and what evidence shows of them (their size, never their content)."""
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None, f"(output was not base64: {len(text)} characters, not kept)"
    return data, f"({len(data)} bytes, sent base64; not kept as evidence)"


def split_batch(stdout: bytes, stderr: bytes, count: int, marker: str) -> list[tuple[int, str, str, bool]]:
    """(status, stdout, stderr, timed out) per command; bytes decoded with replacement, never failing.

    A BinaryCommand's own status (its `first` line on stderr) replaces base64's when it is not 0.
    """
    results = []
    for i in range(count):
        out, status = _fenced(stdout, marker, i, with_status=True)
        err, _ = _fenced(stderr, marker, i, with_status=False)
        first = re.search(rb"\n" + re.escape(f"{marker} {i} first ".encode()) + rb"(-?\d+)\n", err)
        if first:
            err = err[:first.start()] + err[first.end():]
            status = int(first[1]) or status
        timeout_line = f"\n{marker} {i} timeout\n".encode()
        timed_out = timeout_line in err + b"\n"
        if timed_out:
            err = (err + b"\n").replace(timeout_line, b"\n").rstrip(b"\n")
        results.append((status, _text(out), _text(err), timed_out))
    return results


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _fenced(data: bytes, marker: str, i: int, with_status: bool) -> tuple[bytes, int]:
    begin = f"{marker} {i}\n".encode()
    end = f"\n{marker} {i} end".encode()
    start = data.find(begin)
    stop = data.find(end, start + len(begin) if start >= 0 else 0)
    if start < 0 or stop < 0:
        raise BatchProtocolError(f"command {i} of the batch left no complete output (did the host's shell stop early?)")
    body = data[start + len(begin):stop]
    status = -1
    if with_status:
        tail = data[stop + len(end):].split(b"\n", 1)[0].strip()
        status = int(tail) if tail.lstrip(b"-").isdigit() else -1
    return body, status
