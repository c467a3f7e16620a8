"""Waivers: a failing check with a valid waiver is shown as expected (xfail); an expired one fails."""
import subprocess
import sys
from datetime import date, timedelta

import pytest

from conformance.checks.finding import Finding, Status
from conformance.checks.waivers import Verdict, judge
from conformance.inventory import InventoryError, load_waivers
from conformance.inventory.schema import Waiver

from ._support import ROOT

TODAY = date(2026, 11, 27)
FAILED = Finding(Status.FAILED, 2.0, 5.0, "systemctl show ...")
PASSED = Finding(Status.PASSED, 2.0, 2.0, "systemctl show ...")
WAIVER = Waiver(check="litellm-orch::restart-sec", reason="testing a slower restart", expires=TODAY)


@pytest.mark.parametrize("finding, waiver, today, verdict", [
    (FAILED, None, TODAY, Verdict.FAIL),
    (FAILED, WAIVER, TODAY, Verdict.WAIVED),  # the expiry day itself is still covered
    (FAILED, WAIVER, TODAY + timedelta(days=1), Verdict.FAIL),
    (PASSED, WAIVER, TODAY, Verdict.PASS),
    (PASSED, None, TODAY, Verdict.PASS),
])
def test_judge(finding, waiver, today, verdict):
    assert judge("litellm-orch::restart-sec", finding, waiver, today).verdict is verdict


def test_expired_waiver_says_so_with_the_finding():
    message = judge("x", FAILED, WAIVER, TODAY + timedelta(days=3)).message
    assert "waiver expired on 2026-11-27" in message and "expected 2.0, found 5.0" in message


def test_a_waiver_for_an_unknown_check_is_reported_at_its_line(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - {check: litellm-orch::restart-sec, reason: known, expires: 2027-01-01}\n"
                    "  - {check: no-such::check, reason: typo, expires: 2027-01-01}\n")
    with pytest.raises(InventoryError) as e:
        load_waivers(path, ["litellm-orch::restart-sec"])
    assert str(e.value).startswith(f"{path}:3: ") and "no-such::check" in str(e.value)


def test_a_waiver_needs_an_expiry(tmp_path):
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n  - check: litellm-orch::restart-sec\n    reason: forever\n")
    with pytest.raises(InventoryError, match=r":2: waivers.0.expires: required field is missing"):
        load_waivers(path, ["litellm-orch::restart-sec"])


@pytest.mark.parametrize("expires, outcome", [("2999-01-01", "1 xfailed"), ("2000-01-01", "1 failed")])
def test_the_suite_shows_a_waived_failure_as_expected_until_it_expires(tmp_path, expires, outcome):
    absent = tmp_path / "no-such-repo"
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text((ROOT / "inventory.yaml").read_text().replace(
        "{name: owner-repo, path: /home/christopherbailey/litellm-orch,", f"{{name: owner-repo, path: {absent},"))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(f"waivers:\n  - {{check: 'litellm-orch::path:owner-repo', reason: moving the repo, expires: {expires}}}\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "-m", "local", "-q", "--no-report", "-p", "no:cacheprovider",
                          # the --opt=FILE form: a bare path outside the checkout would move pytest's rootdir
                          f"--inventory={inventory}", f"--waivers={waivers}", "-k", "owner-repo and litellm"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert outcome in run.stdout, run.stdout[-2000:]
