"""Counts and the one-line verdict of a run (shared by the report and the index).

Wording rules (see verdict()):
  - unreadable run:  "Unreadable run: <what is wrong>"
  - unfinished run (interrupted, crashed: model.UNFINISHED): "Unfinished run: the run was interrupted (exit status 2) after 3 checks"
  - a replay (pytest --replay): "Replay of <run>: " before its own verdict, compared with that run
  - nothing ran:     "No checks ran"
  - failing (failed or error, a waived failure excluded):
        "3 checks failing on 2 hosts" / "1 check failing on mini" (one host is named),
        "(1 of them an error of the check itself)" when some raised,
        then, with a previous run, ", 1 new since the previous run" or ", none new since the previous run"
  - nothing failing: "All 87 checks pass on mini" (the hosts named), ", 2 fixed since the previous run";
        with nothing passed either: "Nothing verified on mini"
  - then, in this order, each only when non-zero: "; 1 waived", "; 3 could not be verified"
    (+ " (fails the run: --require-verified)", or "(fails the run: --require-verified; 1 new)"),
    "; 1 own test failing" (the owner's testinfra-idiom tests; + " (1 new)"), "; 1 not applicable",
    "; 2 security findings" (+ " (1 new)"), and "; the run exited with status N" when the exit status is not explained by the above.
Level: "bad" (something failing the run, or a non-zero exit), "warn" (waived or not verified), "ok", "corrupt".
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from .diff import RunDiff
from .model import CANNOT_VERIFY, ERROR, FAILED, NOT_APPLICABLE, OPT_IN, PASSED, UNPROVEN, WAIVED, CheckResult, HostStats, Run


@dataclass(frozen=True)
class Counts:
    total: int = 0
    passed: int = 0
    failed: int = 0
    waived: int = 0
    cannot_verify: int = 0
    not_applicable: int = 0
    error: int = 0
    security: int = 0
    unproven: int = 0  # facts this site cannot prove (its site file says why)
    opt_in: int = 0  # not run: a route that leaves the lab, not opted in

    @property
    def failing(self) -> int:
        return self.failed + self.error


def count(checks: tuple[CheckResult, ...] | list[CheckResult]) -> Counts:
    c = Counter(x.state for x in checks)
    return Counts(total=len(checks), passed=c[PASSED], failed=c[FAILED], waived=c[WAIVED],
                  cannot_verify=c[CANNOT_VERIFY], not_applicable=c[NOT_APPLICABLE], error=c[ERROR],
                  security=sum(1 for x in checks if x.security), unproven=c[UNPROVEN], opt_in=c[OPT_IN])


@dataclass(frozen=True)
class Verdict:
    text: str
    level: str  # ok | warn | bad | corrupt


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def round_trips_said(host: str, stats: HostStats) -> str:
    """One host's traffic, the same words everywhere (terminal, report, demo): every round trip the run sent, and
    what they were for, e.g. `mini: 5 round trips (3 for the facts + 2 for the owner's tests), 131 commands`."""
    total, tests = stats.round_trips or 0, stats.tests_round_trips or 0
    split = f"{total - tests} for the facts + {tests} for the owner's tests" if tests else "for the facts"
    return f"{host}: {plural(total, 'round trip')} ({split}), {plural(stats.commands or 0, 'command')}"


def _hosts(names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return plural(len(names), "host")


def verdict(run: Run, diff: RunDiff | None = None) -> Verdict:
    if not run.complete:
        return Verdict(f"{'Unfinished' if run.unfinished else 'Unreadable'} run: {run.problem}", "corrupt")
    if run.replay_of:  # said first: a replay must never read as the lab's own run
        judged = verdict(replace(run, replay=None), diff)
        text = judged.text.replace("since the previous run", f"since run {run.replay_of}")
        return Verdict(f"Replay of {run.replay_of}: {text}", judged.level)
    n = count(run.checks)
    compared = diff is not None and diff.previous is not None
    if n.total == 0:
        text = "No checks ran"
        level = "warn"
    elif n.failing:
        failing_hosts = list(dict.fromkeys(c.host for c in run.checks if c.failing))
        text = f"{plural(n.failing, 'check')} failing on {_hosts(failing_hosts)}"
        if n.error:
            text += f" ({n.error} of them {'an error' if n.error == 1 else 'errors'} of the check itself)"
        if compared:
            new = len(diff.newly_failing)
            text += f", {new or 'none'} new since the previous run"
        level = "bad"
    else:
        hosts = _hosts(run.host_names)
        text = f"All {plural(n.passed, 'check')} pass on {hosts}" if n.passed else f"Nothing verified on {hosts}"
        if n.passed == 1:
            text = f"The 1 check passes on {hosts}"
        if compared and diff.fixed:
            text += f", {len(diff.fixed)} fixed since the previous run"
        level = "warn" if (n.waived or n.cannot_verify or n.unproven or not n.passed) else "ok"
    if n.waived:
        text += f"; {n.waived} waived"
    if n.cannot_verify:
        text += f"; {n.cannot_verify} could not be verified"
        if run.require_verified:
            text += " (fails the run: --require-verified" + (
                f"; {len(diff.newly_unverified)} new)" if compared and diff.newly_unverified else ")")
    failing_tests = run.failing_tests
    if failing_tests:
        text += f"; {plural(len(failing_tests), 'own test')} failing"
        if compared and diff.newly_failing_tests:
            text += f" ({len(diff.newly_failing_tests)} new)"
    if n.not_applicable:
        text += f"; {n.not_applicable} not applicable"
    if n.unproven:  # by name: a fact the run cannot stand behind is never read as green
        text += f"; {n.unproven} unproven at this site: " + ", ".join(c.id for c in run.checks if c.state == UNPROVEN)
    if n.opt_in:
        text += f"; {n.opt_in} not run: opt-in"
    if n.security:
        text += f"; {plural(n.security, 'security finding')}"
        if compared and diff.new_security:
            text += f" ({len(diff.new_security)} new)"
    fails_run = (run.require_verified and n.cannot_verify) or failing_tests
    if run.exit_status not in (None, 0) and not (n.failing or fails_run):
        text += f"; the run exited with status {run.exit_status}"
        level = "bad"
    elif fails_run:
        level = "bad"
    return Verdict(text, level)
