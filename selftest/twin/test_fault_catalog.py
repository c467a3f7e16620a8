"""Every planted drift fails exactly its expected checks; reverted, the twin is green again."""
import pytest

from lab.faults import CATALOG, plant, revert, waves


def test_every_expected_check_id_exists(run_suite):
    known = {c["id"] for c in run_suite().results["checks"]}
    unknown = {i for f in CATALOG for i in f.expect} - known
    assert not unknown, f"faults expect checks the suite does not have: {sorted(unknown)}"


@pytest.mark.parametrize("wave_no", range(len(waves())))
def test_wave_fails_exactly_the_expected_checks(twin, run_suite, wave_no):
    wave = waves()[wave_no]
    plant(twin, wave)
    try:
        run = run_suite()
    finally:
        revert(twin, wave)
    wrong = []
    for f in wave:
        missed = f.expect - run.not_passed
        if missed:
            wrong.append(f"{f.id}: expected to fail but passed: {sorted(missed)}")
    expected = set().union(*(f.expect for f in wave))
    unrelated = run.not_passed - expected
    if unrelated:
        wrong.append(f"unrelated checks failed:\n{run.explain(unrelated)}")
    assert not wrong, "\n".join(wrong)
    assert run.exit_status == 1
    after = run_suite()
    assert after.not_passed == set(), f"not green after revert:\n{after.explain(after.not_passed)}"

