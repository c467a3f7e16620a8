"""The uniform result of a check (after goss): expected, found, missing, extra, source, evidence;
and the check itself, declared (after InSpec's controls): id, title, impact, what evaluates it."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from ..evidence import CommandRecord
from ..facts.base import FileText
from ..facts.needs import Need


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    CANNOT_VERIFY = "cannot verify"
    NOT_APPLICABLE = "not applicable"  # documented as optional and absent now (an MLX port down): a skip with a warning
    ERROR = "error"  # the check itself raised: a bug, shown and failing the run
    OPT_IN = "not run: opt-in"  # a route that leaves the lab, not opted in: its requests were not sent (not a pass)
    UNPROVEN = "unproven"  # this site cannot prove the fact (the site file says why): shown by name, never green


class Impact(float, Enum):
    """Named impact levels (InSpec's scale): how much a failure of the fact matters."""

    LOW = 0.3
    MEDIUM = 0.5
    HIGH = 0.7
    CRITICAL = 0.9

    def __str__(self) -> str:
        return self.name.lower()


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
        if self.status is Status.ERROR:
            return f"error: {self.found}"
        if self.status is Status.NOT_APPLICABLE:
            return f"not applicable: {self.found} (source: {self.source})"
        if self.status in (Status.OPT_IN, Status.UNPROVEN):
            return f"{self.status.value}: {self.found} (source: {self.source})"
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


def failed(expected: object, found: object, source: str, evidence: Iterable[CommandRecord] = ()) -> Finding:
    return Finding(Status.FAILED, expected, found, source, tuple(evidence))


def unreadable(text: FileText, expected: object) -> Finding | None:
    """The one "file missing / not a regular file / too large" path; keeps the evidence of the command that looked."""
    if text.problem is None:
        return None
    return failed(expected, f"{text.path}: {text.problem}", text.source, text.evidence)


def not_applicable(reason: str, source: str, evidence: Iterable[CommandRecord] = ()) -> Finding:
    """A fact documented as optional that does not hold now: shown with a warning, never a failure."""
    return Finding(Status.NOT_APPLICABLE, None, reason, source, tuple(evidence))


def opt_in(reason: str, source: str) -> Finding:
    """A request the inventory does not opt in (it leaves the lab, it costs money): not sent, so neither a pass
    nor a failure."""
    return Finding(Status.OPT_IN, None, reason, source)


def unproven(reason: str, found: Finding) -> Finding:
    """A fact this site cannot prove (the site file says why): what the check found is kept, the verdict is not."""
    return Finding(Status.UNPROVEN, found.expected, f"{reason} (found: {found.message})", found.source, found.evidence)


def cannot_verify(reason: str, evidence: Iterable[CommandRecord] = ()) -> Finding:
    return Finding(Status.CANNOT_VERIFY, None, reason, "", tuple(evidence))


@dataclass(frozen=True, kw_only=True)
class Check:
    """One documented fact to verify. `evaluate(facts)` gives its Finding; bind arguments with
    functools.partial (keyword arguments), never a lambda in a loop: that binds late."""

    id: str
    host: str
    title: str
    source: str  # founding | companion | derived
    kind: str
    evaluate: Callable[[object], Finding] = field(compare=False, repr=False)
    impact: Impact = Impact.HIGH
    needs: tuple[Need, ...] = ()  # what it asks of its host's facts (facts/needs.py)

    def __str__(self) -> str:
        return self.id
