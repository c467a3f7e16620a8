"""The owner's ~/.ssh/config as ssh reads it: our parser lists the aliases (Include followed, Match skipped), and
OpenSSH itself (`ssh -G`) says where each goes. The check of the documented config uses the same resolution."""
import pytest

from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.checks.ssh import hosts_by_address, ssh_config_checks
from conformance.inventory.schema import Site
from conformance.runner.sshconfig import Files, list_aliases, resolve_all
from conformance.runner.ssh import resolve_alias
from conformance.site import SiteAddresses
from ._support import FakeMini, fixture, real_inventory

SSH_CONFIG = "/home/christopherbailey/.ssh/config"
# A common line that breaks paramiko's parser (KeyError) and that its lookup() would run for every alias
GPG_AGENT = 'Match host * exec "gpg-connect-agent updatestartuptty /bye >/dev/null"\n'


def by_address(tmp_path, text: str) -> dict[str, list[str]]:
    """HostName -> aliases, as the check computes it: our listing, then `ssh -G -F` for each alias."""
    path = tmp_path / "config"
    path.write_text(text)
    return hosts_by_address(resolve_all(list_aliases(str(path)), lambda alias: resolve_alias(alias, str(path))))


def test_hosts_by_address_of_the_owners_config(tmp_path):
    assert by_address(tmp_path, fixture("ssh_config")) == {
        "192.168.1.72": ["studio"],
        "192.168.1.70": ["dietpi"],
        "github.com": ["github.com"],  # no HostName: ssh connects to the alias itself
    }


def test_wildcard_and_negated_patterns_are_not_aliases(tmp_path):
    found = by_address(tmp_path, fixture("ssh_config") + "Host *.lan !nas.lan\n    User admin\n")
    assert not any(c in alias for aliases in found.values() for alias in aliases for c in "*?!")


def test_one_host_line_with_two_aliases(tmp_path):
    text = "Host ha homeassistant\n    HostName 192.168.1.70\n"
    assert by_address(tmp_path, text) == {"192.168.1.70": ["ha", "homeassistant"]}


def test_keywords_are_case_insensitive_and_may_take_an_equals_sign(tmp_path):
    assert by_address(tmp_path, "host dietpi\n  hostname 192.168.1.70\nHost=nas\n  HostName = 192.168.1.5\n") == {
        "192.168.1.70": ["dietpi"], "192.168.1.5": ["nas"]}


def test_hostname_token_is_expanded(tmp_path):
    assert by_address(tmp_path, "Host dietpi\n    HostName %h.lan\n") == {"dietpi.lan": ["dietpi"]}


def test_empty_config(tmp_path):
    assert by_address(tmp_path, "") == {}


# --- Match: skipped by our listing, applied by ssh ------------------------------------------------------
MATCH_ONLY = (fixture("ssh_config").replace("Host dietpi\n    HostName 192.168.1.70\n    User root\n",
                                            "Host dietpi\n    IdentityFile ~/.ssh/id_ed25519\n")
              + "\n" + GPG_AGENT + "\nMatch originalhost dietpi\n    HostName 192.168.1.70\n    User root\n    Port 2222\n")


def test_a_match_block_is_applied_as_ssh_applies_it(tmp_path):
    assert MATCH_ONLY.count("HostName 192.168.1.70") == 1 and "Match" in MATCH_ONLY
    assert by_address(tmp_path, MATCH_ONLY)["192.168.1.70"] == ["dietpi"]
    path = tmp_path / "config"
    resolved = resolve_alias("dietpi", str(path))
    assert (resolved.hostname, resolved.user, resolved.port) == ("192.168.1.70", "root", 2222)


def test_listing_runs_no_match_exec(tmp_path):
    ran = tmp_path / "ran"
    path = tmp_path / "config"
    path.write_text(f'Match host * exec "touch {ran}"\n    User x\nHost a\n    HostName 10.0.0.1\n')
    assert list_aliases(str(path)) == ["a"]
    assert not ran.exists()


def test_a_host_line_after_a_match_block_ends_it(tmp_path):
    text = "Match user nobody\n    Host-ish-option yes\nHost ends-the-match\nMatch all\nHost after\n"
    path = tmp_path / "config"
    path.write_text(text)
    assert list_aliases(str(path)) == ["ends-the-match", "after"]


# --- Include: followed as ssh follows it ------------------------------------------------------------------
def test_include_globs_relative_to_dot_ssh_and_absolute_and_tilde(tmp_path):
    home = tmp_path / "home"
    (home / ".ssh" / "config.d").mkdir(parents=True)
    (home / ".ssh" / "config.d" / "10-lab").write_text("Host studio\n    HostName 192.168.1.72\n")
    (home / ".ssh" / "config.d" / "20-ha").write_text("Host dietpi\n    HostName 192.168.1.70\n")
    (home / "extra").write_text("Host nas\n")
    (tmp_path / "abs").write_text("Host router\n")
    (home / ".ssh" / "config").write_text(
        f"Include config.d/*\nInclude ~/extra {tmp_path / 'abs'} missing-file-is-no-error\n"
        "Match exec true\n    Include ~/never\nHost github.com\n")
    (home / "never").write_text("Host only-under-match\n")
    files = Files(home=str(home))
    assert list_aliases(str(home / ".ssh" / "config"), files) == ["studio", "dietpi", "nas", "router", "github.com"]


def test_include_of_itself_stops_at_the_depth_ssh_allows(tmp_path):
    path = tmp_path / "config"
    path.write_text(f"Host a\nInclude {path}\n")
    assert list_aliases(str(path)) == ["a"]


def test_an_alias_only_in_an_included_file_is_resolved_by_ssh_through_the_include(tmp_path):
    (tmp_path / "lab").write_text("Host dietpi\n    HostName 192.168.1.70\n")
    assert by_address(tmp_path, f"Include {tmp_path / 'lab'}\n") == {"192.168.1.70": ["dietpi"]}


def test_the_system_config_is_listed_when_no_file_is_given(tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "ssh" / "ssh_config.d").mkdir(parents=True)
    (root / "etc" / "ssh" / "ssh_config").write_text("Include /etc/ssh/ssh_config.d/*.conf\nHost *\n")
    (root / "etc" / "ssh" / "ssh_config.d" / "lab.conf").write_text("Host backup\n")
    (root / "home" / "u" / ".ssh").mkdir(parents=True)
    (root / "home" / "u" / ".ssh" / "config").write_text("Host studio\n")
    assert list_aliases(None, Files(str(root), home="/home/u")) == ["studio", "backup"]


def test_a_config_ssh_refuses_fails_its_aliases_with_ssh_s_words(tmp_path):
    path = tmp_path / "config"
    path.write_text("Host dietpi\n    HostName 192.168.1.70\n    NoSuchOption yes\n")
    resolved = resolve_all(list_aliases(str(path)), lambda alias: resolve_alias(alias, str(path)))
    assert "Bad configuration option: nosuchoption" in str(resolved["dietpi"])


def test_resolution_has_a_deadline(tmp_path):
    path = tmp_path / "config"
    path.write_text('Match host * exec "sleep 30"\n    User x\nHost a\n')
    with pytest.raises(Exception, match="timed out after 1 s"):
        resolve_alias("a", str(path), deadline=1)


# --- the check of the documented config, on a fake Mini (the real ssh -G through the runner) ------------
def _finding(tmp_path, text: str | None, site: Site | None = None):
    inventory = real_inventory()
    mini = FakeMini(tmp_path)
    if text is not None:
        mini.file(SSH_CONFIG, text)
    (check,) = list(ssh_config_checks(inventory, SiteAddresses(inventory, site)))
    assert check.id == "home-assistant::ssh-config:dietpi"
    return evaluate(check, mini.facts(inventory))


def test_check_passes_when_a_host_reaches_the_documented_address(tmp_path):
    finding = _finding(tmp_path, fixture("ssh_config"))
    assert finding.status is Status.PASSED
    assert [r.command for r in finding.evidence][1:] == [f"ssh -G -F {SSH_CONFIG} -- {a}" for a in ("studio", "dietpi",
                                                                                                   "github.com")]


def test_check_passes_when_the_address_is_set_in_a_match_block(tmp_path):
    """Once `error: KeyError` (paramiko's parser); the HostName only in a Match block counts, as it does for ssh."""
    finding = _finding(tmp_path, MATCH_ONLY)
    assert finding.status is Status.PASSED, finding.message


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
    (check,) = list(ssh_config_checks(inventory, SiteAddresses(inventory)))
    assert evaluate(check, mini.facts(inventory)).status is Status.CANNOT_VERIFY


def test_check_on_a_config_without_hosts_says_so(tmp_path):
    assert _finding(tmp_path, "# nothing here\n").found == "no Host entries"


def test_check_of_a_config_ssh_refuses_says_what_ssh_said(tmp_path):
    finding = _finding(tmp_path, fixture("ssh_config").replace("User root\n", "User root\n    NoSuchOption 1\n"))
    assert finding.status is Status.FAILED and "Bad configuration option: nosuchoption" in finding.found


def test_check_follows_an_include_under_the_hosts_own_home(tmp_path):
    inventory = real_inventory()
    mini = FakeMini(tmp_path).file(SSH_CONFIG, "Include config.d/*\n").file(
        "/home/christopherbailey/.ssh/config.d/ha", "Host dietpi\n    HostName 192.168.1.70\n")
    assert list(mini.facts(inventory).ssh_config(SSH_CONFIG).aliases) == ["dietpi"]  # listed through the Include
