"""The uniform result of a check (after goss): expected, found, missing, extra, source, evidence."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from ..evidence import CommandRecord


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    CANNOT_VERIFY = "cannot verify"


@dataclass(frozen=True)
class Finding:
    status: Status
    expected: object
    found: object
    source: str  # the command or file the found value came from
    evidence: tuple[CommandRecord, ...] = ()
    missing: tuple = ()
    extra: tuple = ()
    note: str = ""  # a warning attached to a passing check (a security finding, say)

    @property
    def message(self) -> str:
        if self.status is Status.CANNOT_VERIFY:
            return f"cannot verify: {self.found}"
        text = f"expected {_show(self.expected)}, found {_show(self.found)}"
        if self.missing:
            text += f"; missing: {', '.join(map(str, self.missing))}"
        if self.extra:
            text += f"; extra: {', '.join(map(str, self.extra))}"
        return f"{text} (source: {self.source})"


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple, set)):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return str(value)


def compare(expected: object, found: object, source: str, evidence: Iterable[CommandRecord] = (), **kw) -> Finding:
    return Finding(Status.PASSED if expected == found else Status.FAILED, expected, found, source, tuple(evidence), **kw)


def compare_sets(expected: Iterable, found: Iterable, source: str, evidence: Iterable[CommandRecord] = ()) -> Finding:
    exp, got = list(expected), list(found)
    missing = tuple(x for x in exp if x not in got)
    extra = tuple(x for x in got if x not in exp)
    status = Status.FAILED if missing or extra else Status.PASSED
    return Finding(status, exp, got, source, tuple(evidence), missing, extra)


def cannot_verify(reason: str, evidence: Iterable[CommandRecord] = ()) -> Finding:
    return Finding(Status.CANNOT_VERIFY, None, reason, "", tuple(evidence))


@dataclass(frozen=True)
class Check:
    """One documented fact to verify (after InSpec's controls): id, what, impact, where it comes from."""

    id: str
    host: str
    title: str
    source: str  # founding | companion | derived
    evaluate: Callable[[object], Finding] = field(compare=False, repr=False)
    impact: float = 0.7
    kind: str = ""

    def __str__(self) -> str:
        return self.id
