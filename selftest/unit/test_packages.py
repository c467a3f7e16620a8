"""Pinned Python packages (`packages:` of a service): the installed version read from the `.dist-info` folders'
names through the runner's real batch (real /bin/sh, real `ls`), never by running the package; the check
`<service>::package:<name>` with expected and found."""
import pytest
from pydantic import ValidationError

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.facts.python_packages import parse_listing
from conformance.inventory.schema import Inventory, Package
from conformance.runner import Runner
from conformance.runner.allowlist import ReadOnlyViolation, check_read_only
from conformance.site import SiteAddresses

from ._support import ShellBackend, gathered

# the names `ls -1 .venv-litellm/lib/python3.11/site-packages` prints (a few of them, in its order)
LISTING = """__pycache__
litellm
litellm-1.83.4.dist-info
litellm_enterprise
litellm_enterprise-0.1.37.dist-info
litellm_proxy_extras-0.4.65.dist-info
typing_extensions.py
zope.interface-7.2.dist-info
"""


def test_the_dist_info_names_give_each_distribution_and_its_version():
    assert parse_listing(LISTING) == {"litellm": "1.83.4", "litellm-enterprise": "0.1.37",
                                      "litellm-proxy-extras": "0.4.65", "zope-interface": "7.2"}


def inventory(site_packages: str, version: str = "1.83.4", name: str = "litellm") -> Inventory:
    return Inventory.model_validate({
        "version": 1,
        "hosts": [{"id": "mini", "os": "linux", "address": "127.0.0.1", "source": "companion"}],
        "services": [{"id": "litellm-orch", "host": "mini", "purpose": "gateway", "source": "companion",
                      "packages": [{"name": name, "version": version, "site_packages": site_packages,
                                    "source": "companion", "why": "services/litellm-orch/pyproject.toml"}]}]})


@pytest.fixture
def site_packages(tmp_path):
    folder = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    folder.mkdir(parents=True)
    for name in LISTING.split():
        if name.endswith(".py"):
            (folder / name).write_text("")
        else:
            (folder / name).mkdir()
    return str(folder)


def run(inv: Inventory):
    backend = ShellBackend()
    facts = gathered(inv, "mini", Runner("mini", backend))
    [check] = host_checks(inv, SiteAddresses(inv), "mini")
    return check, evaluate(check, facts), backend


def test_the_pinned_version_installed_passes_and_shows_what_was_found(site_packages):
    check, finding, backend = run(inventory(site_packages))
    assert check.id == "litellm-orch::package:litellm" and check.kind == "package"
    assert finding.status is Status.PASSED
    assert (finding.expected, finding.found) == ("litellm 1.83.4", "litellm 1.83.4")
    assert f"ls -1 -q -- {site_packages}" in finding.source and finding.evidence
    assert len(backend.scripts) == 1  # one round trip: the listing rides the host's batch


def test_another_version_or_a_missing_package_or_folder_fails_with_what_was_found(site_packages, tmp_path):
    finding = run(inventory(site_packages, version="1.83.5"))[1]
    assert finding.status is Status.FAILED and finding.found == "litellm 1.83.4"
    # the name as the pin writes it is compared normalized: LiteLLM-Proxy_Extras is litellm_proxy_extras
    assert run(inventory(site_packages, version="0.4.65", name="LiteLLM-Proxy_Extras"))[1].status is Status.PASSED
    finding = run(inventory(site_packages, name="optillm"))[1]
    assert finding.status is Status.FAILED and finding.found == "optillm not installed there"
    missing = str(tmp_path / "no-venv" / "site-packages")
    finding = run(inventory(missing))[1]
    assert finding.status is Status.FAILED and finding.found == f"{missing}: missing"


def test_the_listing_is_an_allowlisted_read_and_the_schema_wants_an_absolute_folder():
    check_read_only(["ls", "-1", "-q", "--", "/home/u/.venv/lib/python3.12/site-packages"])
    with pytest.raises(ReadOnlyViolation):
        check_read_only(["ls", "-1", "-q", "--", "relative/site-packages"])
    with pytest.raises(ValidationError):
        Package.model_validate({"name": "litellm", "version": "1.83.4", "site_packages": ".venv/lib",
                                "source": "companion"})
