"""Every selected host's facts are gathered at once before the first check (session.gather_at_once): hosts answer in
parallel (a run over 16 hosts waits about as long as over its slowest; lab/scale.py measures it), each host's
failure stays its own, and a run that asks no host (contract checks only) or one host sends nothing early."""
from __future__ import annotations

import threading
from types import SimpleNamespace

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.inventory.schema import Inventory
from conformance.runner import RoundTripFailed
from conformance.session import SuiteSession
from conformance.site import SiteAddresses
from lab import scale

from ._support import ShellBackend

N = 4


class TogetherBackend(ShellBackend):
    """Answers only once every host has been asked (a barrier of N): hosts asked one after the other never get
    past the first one's round trip."""

    def __init__(self, barrier: threading.Barrier, fail: bool = False) -> None:
        super().__init__()
        self.barrier, self.fail = barrier, fail

    def run(self, script: str, deadline: float = 30.0):
        if not self.scripts:  # the first round trip of each host meets the others'
            self.barrier.wait()
        if self.fail:
            self.scripts.append(script)
            raise RoundTripFailed("small-2: connection refused (a test's host)")
        return super().run(script, deadline)


def _session(backends: dict) -> SuiteSession:
    inventory = Inventory.model_validate(scale.inventory(N))
    session = SuiteSession(inventory, SiteAddresses(inventory))
    session.backend = lambda host_id: backends[host_id]
    session.select([c for h in inventory.hosts if h.id != "mini" for c in host_checks(inventory, session.site, h.id)])
    return session


def test_hosts_are_asked_at_once():
    barrier = threading.Barrier(N, timeout=10)
    backends = {f"small-{i}": TogetherBackend(barrier) for i in range(1, N + 1)}
    session = _session(backends)
    session.gather_at_once()
    assert not barrier.broken
    for host_id, backend in backends.items():
        assert backend.scripts, f"{host_id} was not asked"
        assert not isinstance(session.gathered(host_id), Exception), session.gathered(host_id)
    session.close()


def test_a_host_that_fails_fails_alone():
    barrier = threading.Barrier(N, timeout=10)
    backends = {f"small-{i}": TogetherBackend(barrier, fail=(i == 2)) for i in range(1, N + 1)}
    session = _session(backends)
    session.gather_at_once()
    assert not barrier.broken and len(backends["small-2"].scripts) == 1  # asked once, never again
    for check in session.selected_checks:
        finding = evaluate(check, session.facts_for(check))
        if check.host == "small-2":  # each of its checks says why
            assert finding.status is not Status.PASSED and "connection refused" in finding.message, finding
        else:
            assert "connection refused" not in finding.message
    session.close()


def test_nothing_is_asked_early_for_contract_checks_or_one_host():
    backends = {f"small-{i}": ShellBackend() for i in range(1, N + 1)}
    session = _session(backends)
    session.selected_checks = [SimpleNamespace(host=f"small-{i}", kind="contract") for i in range(1, N + 1)]
    session.gather_at_once()
    session.selected_checks = [SimpleNamespace(host="small-1", kind="listen")]
    session.gather_at_once()
    assert all(not b.scripts for b in backends.values()) and session.gathered("small-1") is None
