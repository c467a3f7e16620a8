"""How a fact fails: a host that does not answer fails the checks (remembered, never resent);
a check that raises is an error, kept with its reason; only a missing privilege cannot verify."""
from functools import partial

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Check, Finding, Status
from conformance.runner import RoundTripFailed, Runner
from conformance.session import SuiteSession
from conformance.site import SiteAddresses
from ._support import FakeMini, fixture, gathered, mini_system_show, real_inventory


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
    facts = gathered(inventory, "mini", Runner("mini", host, round_trip_timeout=3))
    findings = [evaluate(c, facts) for c in host_checks(inventory, SiteAddresses(inventory), "mini")]
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
    findings = {c.id: evaluate(c, facts) for c in host_checks(inventory, SiteAddresses(inventory), "mini")}
    reasons = {f.found for f in findings.values() if f.status is Status.CANNOT_VERIFY}
    assert reasons and all(r.startswith("needs ") for r in reasons), reasons


class FakeMiniSession(SuiteSession):
    """A run's session whose mini is a FakeMini (the real Runner, batches and facts; only the host is fake)."""

    def __init__(self, mini: FakeMini, **kw) -> None:
        super().__init__(**kw)
        self.mini_backend = mini.backend()

    def backend(self, host_id: str):
        return self.mini_backend


def _run_checks(session: SuiteSession, checks) -> dict:
    """As the plugin does: the facts of the check's host, then the check; a failure to get the facts is an error."""
    findings = {}
    for c in checks:
        try:
            findings[c.id] = evaluate(c, session.facts_for(c))
        except Exception as e:
            findings[c.id] = Finding(Status.ERROR, c.title, f"{type(e).__name__}: {e}", "the suite")
    return findings


def test_a_refused_round_trip_is_remembered_and_the_counts_are_what_was_sent(tmp_path):
    """The host reports an EnvironmentFile= the allowlist refuses (`..` in it) for the unit whose env files a check
    reads: the second look (that file, the journal, the ssh config's aliases) is refused before it is sent. It is
    refused once for the run: round trip 1 is not sent again for every check, the checks that need the second look
    are errors saying why, the others are judged, and the counts are what was sent."""
    inventory = real_inventory()
    show = mini_system_show().replace("User=christopherbailey\nId=litellm-orch.service", "User=christopherbailey\n"
                                      "EnvironmentFiles=/home/christopherbailey/litellm-orch/../litellm-orch/env "
                                      "(ignore_errors=no)\nId=litellm-orch.service")
    mini = FakeMini(tmp_path).show("system", show)
    for path, name in ((inventory.litellm.config, "router.yaml"), (inventory.litellm.env_file, "env.local"),
                       (inventory.ssh_config[0].file, "ssh_config")):
        mini.file(path, fixture(name))
    session = FakeMiniSession(mini, inventory=inventory, site=SiteAddresses(inventory))
    checks = list(host_checks(inventory, SiteAddresses(inventory), "mini"))
    findings = _run_checks(session, checks)
    sent = session.mini_backend.scripts
    assert len(sent) == 1  # round trip 1, once; the second look refused, never sent
    errors = {i for i, f in findings.items() if f.status is Status.ERROR}
    assert errors == {"litellm-orch::master-key", "litellm-orch::json-logs-journal", "home-assistant::ssh-config:dietpi"}
    assert all(findings[i].found.startswith("ReadOnlyViolation: ") and "/../" in findings[i].found
               for i in errors), {findings[i].found for i in errors}
    assert findings["litellm-orch::restart-sec"].status is Status.PASSED  # round trip 1's facts are still judged
    assert findings["open-webui::listen:3000"].status is not Status.ERROR  # its listeners too
    stats = session.host_stats()["mini"]
    assert stats.round_trips == len(sent)
    assert stats.commands == sum(script.count("printf '\\n%s %s\\n'") for script in sent)  # each command's end fence
