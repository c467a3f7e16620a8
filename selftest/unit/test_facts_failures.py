"""How a fact fails: a host that does not answer fails the checks (remembered, never resent);
a check that raises is an error, kept with its reason; only a missing privilege cannot verify."""
from functools import partial

from conformance.checks.catalog import evaluate, local_checks
from conformance.checks.finding import Check, Status
from conformance.facts.linux import LinuxFacts
from conformance.facts.plan import FactPlan
from conformance.runner import RoundTripFailed, Runner
from conformance.site import SiteView
from ._support import FakeMini, mini_system_show, real_inventory


class DeadHost:
    """A host whose every round trip times out; counts how often it was asked."""

    user = "christopherbailey"

    def __init__(self) -> None:
        self.calls = 0

    def run(self, script, deadline):
        self.calls += 1
        raise RoundTripFailed(f"round trip timed out after {deadline:g} s")


def test_a_host_that_does_not_answer_fails_every_check_and_is_asked_once():
    inventory = real_inventory()
    host = DeadHost()
    facts = LinuxFacts(FactPlan(inventory, "mini"), Runner("mini", host, round_trip_timeout=3))
    facts.gather()
    findings = [evaluate(c, facts) for c in local_checks(inventory, SiteView(inventory), "mini")]
    assert host.calls == 1  # the first round trip failed: the host is not asked again this run
    assert {f.status for f in findings if "::unmodified:" not in str(f.found)} <= {Status.FAILED, Status.CANNOT_VERIFY}
    failed = [f for f in findings if f.status is Status.FAILED]
    assert len(failed) == len(findings) - 3  # all but the baseline checks (no baseline given: cannot verify)
    assert all("could not look: the round trip to mini: round trip timed out after 3 s" in f.found for f in failed), \
        {f.found for f in failed}
    assert all(f.evidence and f.evidence[0].exit_status == -1 for f in failed)


def _raises(facts):
    raise KeyError("a bug")


def test_a_check_that_raises_is_an_error_with_its_reason(tmp_path):
    check = Check(id="x::y", host="mini", title="x has y", source="derived", kind="x", evaluate=_raises)
    finding = evaluate(check, object())
    assert finding.status is Status.ERROR
    assert finding.found.startswith("KeyError: 'a bug' (at test_facts_failures.py:")
    assert finding.message.startswith("error: KeyError")


def test_a_check_binds_its_arguments_early():
    checks = [Check(id=f"c{i}", host="mini", title="t", source="derived", kind="k", evaluate=partial(lambda f, i: i, i=i))
              for i in range(3)]
    assert [c.evaluate(None) for c in checks] == [0, 1, 2]


def test_a_privilege_is_the_only_cannot_verify_of_a_readable_host(tmp_path):
    """As another user, on a fake Mini that answers everything: only privilege-bound facts cannot verify."""
    inventory = real_inventory()
    mini = FakeMini(tmp_path, user="nobody", groups="nobody").show("system", mini_system_show())
    facts = mini.facts(inventory)
    findings = {c.id: evaluate(c, facts) for c in local_checks(inventory, SiteView(inventory), "mini")}
    reasons = {f.found for f in findings.values() if f.status is Status.CANNOT_VERIFY}
    assert reasons and all(r.startswith("needs ") for r in reasons), reasons
