"""Where an HTTP check asks: at the host's address, or, for a port documented as bound to loopback only, at loopback
from a run standing on that host; from any other host such a check cannot look (never a pass)."""
from pathlib import Path

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.inventory import load_inventory
from conformance.site import SiteAddresses

INVENTORY_2026_05 = Path(__file__).resolve().parents[2] / "examples" / "inventory-2026-05.yaml"


def _http_checks(run_host):
    inventory = load_inventory(INVENTORY_2026_05)
    return {c.id: c for c in host_checks(inventory, SiteAddresses(inventory), "mini", run_host=run_host)
            if c.kind == "http"}


def test_a_loopback_only_service_is_asked_at_loopback_by_a_run_on_its_host():
    checks = _http_checks("mini")
    prometheus = checks["prometheus::http:ready"]
    assert [n.key for n in prometheus.needs] == ["http://127.0.0.1:9090/-/ready"]
    assert [n.key for n in checks["chatgpt5-adapter::http:health"].needs] == ["http://127.0.0.1:4011/health"]


def test_a_service_on_the_lan_is_asked_at_its_hosts_address():
    litellm = _http_checks("mini")["litellm-orch::http:readiness"]
    assert [n.key for n in litellm.needs] == ["http://192.168.1.71:4000/health/readiness"]


def test_a_loopback_only_service_of_another_host_cannot_be_looked_at():
    prometheus = _http_checks("studio")["prometheus::http:ready"]
    assert prometheus.needs == ()  # nothing is asked: the run's own loopback is another host's
    finding = evaluate(prometheus, facts=None)
    assert finding.status is Status.CANNOT_VERIFY
    assert "bound to 127.0.0.1 only" in finding.message and "cannot look" in finding.message
