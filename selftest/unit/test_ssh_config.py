"""The owner's ~/.ssh/config: which Host entries reach which address (paramiko's reading of it)."""
import pytest

from conformance.checks.catalog import evaluate
from conformance.checks.finding import Status
from conformance.checks.ssh import hosts_by_address, ssh_config_checks
from conformance.inventory.schema import Site
from conformance.site import SiteView
from ._support import FakeMini, fixture, real_inventory

SSH_CONFIG = "/home/christopherbailey/.ssh/config"


def test_hosts_by_address_of_the_owners_config():
    assert hosts_by_address(fixture("ssh_config")) == {
        "192.168.1.72": ["studio"],
        "192.168.1.70": ["dietpi"],
        "github.com": ["github.com"],  # no HostName: ssh connects to the alias itself
    }


def test_wildcard_host_is_not_an_entry():
    found = hosts_by_address(fixture("ssh_config"))
    assert not any("*" in alias for aliases in found.values() for alias in aliases)


def test_one_host_line_with_two_aliases():
    text = "Host ha homeassistant\n    HostName 192.168.1.70\n"
    assert hosts_by_address(text) == {"192.168.1.70": ["ha", "homeassistant"]}


def test_keywords_are_case_insensitive():
    assert hosts_by_address("host dietpi\n  hostname 192.168.1.70\n") == {"192.168.1.70": ["dietpi"]}


def test_hostname_token_is_expanded():
    assert hosts_by_address("Host dietpi\n    HostName %h.lan\n") == {"dietpi.lan": ["dietpi"]}


def test_empty_config():
    assert hosts_by_address("") == {}


def _finding(tmp_path, text: str | None, site: Site | None = None):
    inventory = real_inventory()
    mini = FakeMini(tmp_path)
    if text is not None:
        mini.file(SSH_CONFIG, text)
    (check,) = list(ssh_config_checks(inventory, SiteView(inventory, site)))
    assert check.id == "home-assistant::ssh-config:dietpi"
    return evaluate(check, mini.facts(inventory))


def test_check_passes_when_a_host_reaches_the_documented_address(tmp_path):
    assert _finding(tmp_path, fixture("ssh_config")).status is Status.PASSED


def test_check_fails_and_lists_what_is_there_when_the_address_moved(tmp_path):
    finding = _finding(tmp_path, fixture("ssh_config").replace("192.168.1.70", "192.168.1.80"))
    assert finding.status is Status.FAILED
    assert "192.168.1.80 (dietpi)" in finding.found


def test_check_uses_the_sites_address(tmp_path):
    twin = Site(site="twin", hosts={"dietpi": {"address": "10.213.0.10"}})
    assert _finding(tmp_path, fixture("ssh_config"), twin).status is Status.FAILED
    assert _finding(tmp_path, fixture("ssh_config").replace("192.168.1.70", "10.213.0.10"), twin).status is Status.PASSED


def test_check_fails_when_the_file_is_missing(tmp_path):
    finding = _finding(tmp_path, None)
    assert finding.status is Status.FAILED and finding.found == "/home/christopherbailey/.ssh/config: missing"


def test_check_cannot_verify_an_unreadable_config(tmp_path):
    inventory = real_inventory()
    mini = FakeMini(tmp_path).file(SSH_CONFIG, fixture("ssh_config")).deny(SSH_CONFIG)
    (check,) = list(ssh_config_checks(inventory, SiteView(inventory)))
    assert evaluate(check, mini.facts(inventory)).status is Status.CANNOT_VERIFY


def test_check_on_a_config_without_hosts_says_so(tmp_path):
    assert _finding(tmp_path, "# nothing here\n").found == "no Host entries"
