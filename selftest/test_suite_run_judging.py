"""The twin proof judges a suite run whole: exit status, every check id once, no `error`, exactly the failures."""
import json

import pytest

from selftest.twin.conftest import SuiteRun

IDS = {"a::one", "a::two", "b::three"}


def _run(tmp_path, exit_status, statuses: list[tuple[str, str]]) -> SuiteRun:
    checks = [{"id": i, "status": s, "expected": "x", "found": "x" if s == "passed" else "y"} for i, s in statuses]
    (tmp_path / "results.json").write_text(json.dumps({"site": "twin", "exit_status": exit_status, "checks": checks}))
    (tmp_path / "commands.json").write_text("[]")
    return SuiteRun(exit_status, tmp_path)


def test_a_complete_green_run_has_no_problems(tmp_path):
    run = _run(tmp_path, 0, [(i, "passed") for i in sorted(IDS)])
    assert run.problems(IDS) == [] and run.ids() == IDS and run.errors == set()
    run.assert_green(IDS)


@pytest.mark.parametrize("exit_status, statuses, complaint", [
    (1, [("a::one", "passed"), ("a::two", "passed"), ("b::three", "passed")], "exit status 1, expected 0"),
    (0, [("a::one", "passed"), ("a::two", "passed")], "missing from results.json: ['b::three']"),
    (0, [("a::one", "passed"), ("a::two", "passed"), ("b::three", "passed"), ("c::new", "passed")],
     "reported but not expected: ['c::new']"),
    (0, [("a::one", "passed"), ("a::two", "passed"), ("b::three", "passed"), ("a::one", "passed")],
     "reported more than once: ['a::one']"),
    (0, [("a::one", "passed"), ("a::two", "error"), ("b::three", "passed")], "status error:\n  a::two: error"),
    (0, [("a::one", "passed"), ("a::two", "cannot verify"), ("b::three", "passed")], "did not pass, not expected to fail:"),
])
def test_not_green_says_why(tmp_path, exit_status, statuses, complaint):
    run = _run(tmp_path, exit_status, statuses)
    with pytest.raises(AssertionError) as failed:
        run.assert_green(IDS)
    assert complaint in str(failed.value)


def test_a_fault_run_must_fail_exactly_the_expected_checks(tmp_path):
    run = _run(tmp_path, 1, [("a::one", "failed"), ("a::two", "passed"), ("b::three", "failed")])
    assert run.problems(IDS, failing={"a::one", "b::three"}, exit_status=1) == []
    too_few = run.problems(IDS, failing={"a::one", "a::two", "b::three"}, exit_status=1)
    assert too_few == ["expected to fail, but did not:\n  a::two: passed: expected 'x', found 'x'"]
    too_many = run.problems(IDS, failing={"a::one"}, exit_status=1)
    assert too_many == ["did not pass, not expected to fail:\n  b::three: failed: expected 'x', found 'y'"]


def test_a_run_without_results_says_its_exit_status(tmp_path):
    with pytest.raises(AssertionError, match="exited 4 and wrote no results.json"):
        SuiteRun(4, tmp_path)


def test_a_fault_run_can_require_exactly_which_checks_cannot_be_verified(tmp_path):
    run = _run(tmp_path, 0, [("a::one", "cannot verify"), ("a::two", "passed"), ("b::three", "passed")])
    assert run.problems(IDS, cannot_verify={"a::one"}) == []
    assert run.problems(IDS, cannot_verify={"a::one", "a::two"}) == [
        "expected to be cannot verify (the suite's user may not read it):\n  a::two: passed: expected 'x', found 'x'"]
    assert run.problems(IDS, failing={"a::one"}, exit_status=0) == [
        "expected to fail, but did not:\n  a::one: cannot verify: expected 'x', found 'y'"]
