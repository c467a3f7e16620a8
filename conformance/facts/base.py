"""What every kind of host's facts share: a gathered value with its evidence, a file's text,
and the two ways a fact can fail to be known.

- CannotVerify: the suite's user lacks a privilege (or a prerequisite the owner must provide,
  like a recorded baseline); the reason names it. Never a pass, never a failure by itself.
- Unavailable: the host did not answer (a round trip failed or a command was killed at its
  deadline). That is a broken thing: the check fails, saying it could not look and why.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from ..evidence import CommandRecord
from ..runner import Output

MAX_READ_BYTES = 256 * 1024  # a documented file larger than this is not read (and its checks fail)


class CannotVerify(Exception):
    """The fact exists but the suite's user may not read it; the reason says what is needed."""

    def __init__(self, reason: str, evidence: tuple[CommandRecord, ...] = ()):
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


class Unavailable(Exception):
    """The host did not give the fact (round trip failed, command killed at its deadline)."""

    def __init__(self, reason: str, source: str = "", evidence: tuple[CommandRecord, ...] = ()):
        super().__init__(reason)
        self.reason = reason
        self.source = source
        self.evidence = evidence


def require_finished(out: Output) -> Output:
    """The output, unless its command was killed at its deadline (or, in a replay, is not in the recording)."""
    if out.not_recorded:
        raise CannotVerify(f"not in the recording: `{out.command}` ({out.stderr.strip()})", (out.record,))
    if out.timed_out:
        raise Unavailable(f"`{out.command}` did not finish within its deadline on {out.record.host}", out.command,
                          (out.record,))
    return out


def hide_unparsed(out: Output, redactor) -> None:
    """The parser that finds an output's secrets failed on it: none of it may be shown (its checks fail on their
    own parsing; gathering goes on, so a parser's bug costs only the checks that need that parser)."""
    if redactor.enabled:
        out.record.mask([(0, len(out.record.stdout))])


def remembered(method):
    """Compute once per instance, remembering an exception too: whatever a round trip raised (the host did not
    answer, the allowlist refused a command, a privilege is missing) is raised again to every check that needs
    it, and the round trip is never sent (or refused) again this run."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self):
        memo = self.__dict__.setdefault("_remembered", {})
        if name not in memo:
            try:
                memo[name] = (True, method(self))
            except Exception as e:
                memo[name] = (False, e)
        ok, value = memo[name]
        if not ok:
            raise value
        return value

    return property(wrapper)


@dataclass(frozen=True)
class Fact:
    """A gathered value with the command that produced it."""

    value: object
    output: Output
    what: str = ""  # narrows a batched command to the part this fact came from

    @property
    def source(self) -> str:
        return f"{self.output.command} [{self.what}]" if self.what else self.output.command

    @property
    def evidence(self) -> tuple[CommandRecord, ...]:
        return (self.output.record,)


@dataclass(frozen=True)
class FileText:
    """A documented file as read from the host; `problem` says why there is no text to compare."""

    path: str
    text: str
    output: Output
    problem: str | None = None  # "missing", "not a regular file", "larger than ..."

    @property
    def evidence(self) -> tuple[CommandRecord, ...]:
        return (self.output.record,)

    @property
    def source(self) -> str:
        return self.path
