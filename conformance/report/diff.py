"""What changed between two runs of the same site and markers.

The previous run is the last COMPLETE run (results.json read whole) in the same reports
directory, with the same site_id and markers, that started before this one. Checks are matched
by (host, id); a check present on one side only is "not run" on the other. A check fails a run when
it failed or raised, or (under --require-verified) could not be verified; the owner's own tests are
matched by their pytest node id.

Values that changed while passing: a check's `found`, and a contract route's latency. A route
whose total latency through LiteLLM at least doubled (LATENCY_FACTOR), and grew by at least
LATENCY_MARGIN_SECONDS so that jitter on a 5 ms call does not count, is listed when the route
passed in both runs.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .model import PASSED, WAIVED, CheckResult, RouteLatency, Run, load_run
from .rundir import run_dirs, stamp_of


@dataclass(frozen=True)
class Pair:
    """One check in both runs; before or after is None when it was not run on that side."""

    before: CheckResult | None
    after: CheckResult | None

    @property
    def check(self) -> CheckResult:
        return self.after or self.before  # type: ignore[return-value]

    @property
    def found_changed(self) -> bool:
        return self.before is not None and self.after is not None and not _same(self.before.found, self.after.found)


LATENCY_FACTOR = 2.0
LATENCY_MARGIN_SECONDS = 0.05


@dataclass(frozen=True)
class SlowerRoute:
    """A contract route that passed in both runs and got slower through LiteLLM (see LATENCY_FACTOR)."""

    before: RouteLatency
    after: RouteLatency


@dataclass(frozen=True)
class RunDiff:
    previous: Run | None
    newly_failing: list[Pair] = field(default_factory=list)  # failing now, not before (or not run before)
    # cannot verify now under --require-verified (it fails the run), and did not fail the previous run
    newly_unverified: list[Pair] = field(default_factory=list)
    fixed: list[Pair] = field(default_factory=list)  # failing the previous run (or waived then), passing now
    still_failing: list[Pair] = field(default_factory=list)
    waived: list[Pair] = field(default_factory=list)  # waived now (before: any state)
    changed_values: list[Pair] = field(default_factory=list)  # passing in both, `found` differs
    other_status: list[Pair] = field(default_factory=list)  # any other change of state (passed -> cannot verify, ...)
    only_before: list[Pair] = field(default_factory=list)  # not run now
    only_now: list[Pair] = field(default_factory=list)  # not run before
    new_security: list[Pair] = field(default_factory=list)  # a security note now that was not there (or not the same) before
    gone_security: list[Pair] = field(default_factory=list)  # a security note before, checked now without one
    slower_routes: list[SlowerRoute] = field(default_factory=list)  # total latency through LiteLLM at least doubled
    newly_failing_tests: list[str] = field(default_factory=list)  # the owner's tests failing now, not before
    fixed_tests: list[str] = field(default_factory=list)  # the owner's tests that failed before and pass now

    @property
    def new_failures(self) -> list[str]:
        """Everything that fails the run now and did not before, by id: checks (failing or, under
        --require-verified, unverified), then the owner's tests."""
        return [p.check.id for p in self.newly_failing + self.newly_unverified] + self.newly_failing_tests

    @property
    def changed(self) -> bool:
        return any((self.newly_failing, self.newly_unverified, self.fixed, self.newly_failing_tests, self.fixed_tests,
                    self.changed_values, self.other_status, self.only_before, self.only_now, self.new_security,
                    self.gone_security, self.slower_routes,
                    [p for p in self.waived if p.before is None or p.before.state != WAIVED]))


def compare(previous: Run | None, run: Run, values: bool = True) -> RunDiff:
    """Sort every check of `run` (and every check only `previous` had) into what changed.
    values=False skips comparing found values (changed_values stays empty): what a verdict needs."""
    diff = RunDiff(previous)
    if previous is None:
        return diff
    before = {c.key: c for c in previous.checks}
    now = {c.key: c for c in run.checks}
    for key, a in now.items():
        b = before.get(key)
        pair = Pair(b, a)
        if b is None:
            diff.only_now.append(pair)
            if a.failing:
                diff.newly_failing.append(pair)
            elif run.fails(a):
                diff.newly_unverified.append(pair)
        elif run.fails(a) and previous.fails(b):
            diff.still_failing.append(pair)
        elif a.failing:
            diff.newly_failing.append(pair)
        elif run.fails(a):
            diff.newly_unverified.append(pair)
        elif a.state == PASSED and (previous.fails(b) or b.state == WAIVED):
            diff.fixed.append(pair)
        elif a.state == PASSED == b.state:
            if values and pair.found_changed:
                diff.changed_values.append(pair)
        elif a.state != b.state and a.state != WAIVED:
            diff.other_status.append(pair)
        if a.state == WAIVED:
            diff.waived.append(pair)
        if a.security and (b is None or not b.security or b.note != a.note):
            diff.new_security.append(pair)
        elif b is not None and b.security and not a.security:
            diff.gone_security.append(pair)
    diff.only_before.extend(Pair(b, None) for key, b in before.items() if key not in now)
    failed_before = set(previous.failing_tests)
    diff.newly_failing_tests.extend(t for t in run.failing_tests if t not in failed_before)
    diff.fixed_tests.extend(t.test for t in run.tests if t.outcome == PASSED and t.test in failed_before)
    if values:
        diff.slower_routes.extend(slower_routes(previous, run))
    return diff


def slower_routes(previous: Run, run: Run) -> list[SlowerRoute]:
    """Routes that passed in both runs whose chat total (non-streamed) through LiteLLM at least doubled, by
    LATENCY_MARGIN_SECONDS or more."""
    if previous.contract is None or run.contract is None:
        return []
    found = []
    for after in run.contract.routes:
        before = previous.contract.route(after.route)
        if before is None or before.outcome != PASSED or after.outcome != PASSED:
            continue
        b, a = before.proxy.chat_seconds, after.proxy.chat_seconds
        if a is not None and b is not None and a >= LATENCY_FACTOR * b and a - b >= LATENCY_MARGIN_SECONDS:
            found.append(SlowerRoute(before, after))
    return found


def find_previous(run: Run, reports_dir: Path | None = None) -> Run | None:
    """The last complete run of the lab before `run` in its reports directory with the same site_id and
    markers (replays are never one); for a replay, the run it judged again (what changed is today's code)."""
    reports_dir = reports_dir or run.path.parent
    if run.replay_of:
        replayed = load_run(reports_dir / run.replay_of, evidence=False, commands=False)
        return replayed if replayed.complete else None
    here = run.path.resolve()
    for path in reversed(run_dirs(reports_dir)):  # newest first; usually the first complete one matches
        if path.resolve() == here or stamp_of(path.name) >= run.order:
            continue
        candidate = load_run(path, evidence=False, commands=False)
        if candidate.night and candidate.group == run.group:
            return candidate
    return None


def _same(a: object, b: object) -> bool:
    """Equal as JSON values (what results.json holds): "2" is not 2, true is not 1."""
    if type(a) is type(b) and isinstance(a, (str, int, bool, type(None))):  # the common case, fast
        return a == b
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
