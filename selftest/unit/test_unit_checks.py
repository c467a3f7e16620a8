"""Unit checks of the Mini evaluated on systemd 252 `systemctl show` fixtures (system and user scope)."""
import pytest

from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.checks.units import unit_checks
from ._support import FakeMini, fixture, mini_system_show, real_inventory

# Once a regression: the `enabled` check's lambda read `want` late, after it was rebound to "active" (checks now bind with partial).
ENABLED_CHECKS = {"open-webui::enabled", "ov-server::enabled"}


def _findings(tmp_path, system: str | None = None, user: str | None = None, as_user: str = "christopherbailey"):
    inventory = real_inventory()
    mini = FakeMini(tmp_path, user=as_user).show("system", system or mini_system_show())
    mini.show("user", user if user is not None else fixture("systemctl-show-user.txt"))
    facts = mini.facts(inventory)
    checks = [c for s in inventory.services_on("mini") for c in unit_checks(s)]
    return {c.id: evaluate(c, facts) for c in checks}, facts


def test_documented_units_pass_every_unit_check(tmp_path):
    findings, _ = _findings(tmp_path)
    assert len(findings) == 33
    assert {i: f.message for i, f in findings.items() if f.status is not Status.PASSED} == {}


@pytest.mark.parametrize("check_id", sorted(ENABLED_CHECKS))
def test_enabled_check_compares_unit_file_state_with_enabled(tmp_path, check_id):
    finding = _findings(tmp_path)[0][check_id]
    assert (finding.status, finding.expected, finding.found) == (Status.PASSED, "enabled", "enabled"), finding.message


def test_the_users_units_are_read_in_one_command_per_scope(tmp_path):
    _, facts = _findings(tmp_path)
    commands = [r.command for r in facts.runner.records]
    assert sum(c.startswith("systemctl show") for c in commands) == 1
    assert sum(c.startswith("systemctl --user show") for c in commands) == 1
    assert {r.batch for r in facts.runner.records if r.command.startswith("systemctl")} == {1}
    assert facts.runner.batches == 2  # round trip 1 (units, listeners, paths, files); the second look (journals)


def test_drifted_restart_sec_fails_with_expected_and_found(tmp_path):
    system = mini_system_show().replace("RestartUSec=3s\nNRestarts=2", "RestartUSec=5s\nNRestarts=2")
    findings, _ = _findings(tmp_path, system=system)
    failed = {i: f for i, f in findings.items() if f.status is Status.FAILED}
    assert list(failed) == ["ollama::restart-sec"]
    assert (failed["ollama::restart-sec"].expected, failed["ollama::restart-sec"].found) == ("RestartSec=3s", "RestartSec=5s")


@pytest.mark.parametrize("stdout_line, stderr_line, found", [
    ("StandardOutput=inherit", "", "stdout: null (inherit from StandardInput=null), stderr: null (inherit from StandardInput=null)"),
    ("StandardOutput=journal", "StandardError=null", "stdout: journal, stderr: null"),
    ("StandardOutput=null", "StandardError=journal", "stdout: null, stderr: journal"),
    ("StandardOutput=append:/var/log/x.log", "", "stdout: append:/var/log/x.log, stderr: append:/var/log/x.log"),
])
def test_logs_need_both_streams_in_the_journal_with_inherit_resolved(tmp_path, stdout_line, stderr_line, found):
    block = "Id=litellm-orch.service"
    system = mini_system_show().replace("StandardOutput=journal\n", f"{stdout_line}\n{stderr_line + chr(10) if stderr_line else ''}", 1)
    assert block in system
    findings, _ = _findings(tmp_path, system=system)
    finding = findings["litellm-orch::logs"]
    assert (finding.status, finding.found) == (Status.FAILED, found)


def test_journal_plus_console_counts_as_the_journal(tmp_path):
    system = mini_system_show().replace("StandardOutput=journal\n", "StandardOutput=journal+console\nStandardError=inherit\n", 1)
    assert _findings(tmp_path, system=system)[0]["litellm-orch::logs"].status is Status.PASSED


def test_an_unreachable_user_manager_fails_its_checks_never_cannot_verify(tmp_path):
    findings, _ = _findings(tmp_path, user="")  # `systemctl --user show` printed nothing (its manager is gone)
    ov = {i: f for i, f in findings.items() if i.startswith("ov-server::")}
    assert ov and {f.status for f in ov.values()} == {Status.FAILED}
    assert all("could not look: systemctl gave no properties" in f.found for f in ov.values())


def test_missing_override_fails_drop_ins_and_ollama_host(tmp_path):
    system = (mini_system_show()
              .replace("DropInPaths=/etc/systemd/system/ollama.service.d/override.conf", "DropInPaths=")
              .replace(" OLLAMA_HOST=0.0.0.0:11434", ""))
    findings, _ = _findings(tmp_path, system=system)
    failed = {i for i, f in findings.items() if f.status is Status.FAILED}
    assert failed == {"ollama::drop-ins", "ollama::environment:OLLAMA_HOST"}
    assert findings["ollama::drop-ins"].missing == ("/etc/systemd/system/ollama.service.d/override.conf",)


def test_a_user_level_open_webui_unit_fails_the_absent_check(tmp_path):
    present = fixture("systemctl-show-user.txt").replace("LoadState=not-found", "LoadState=loaded", 1).replace(
        "FragmentPath=\n", "FragmentPath=/home/christopherbailey/.config/systemd/user/open-webui.service\n", 1)
    findings, _ = _findings(tmp_path, user=present)
    finding = findings["open-webui::user-unit-absent"]
    assert finding.status is Status.FAILED
    assert "FragmentPath=/home/christopherbailey/.config/systemd/user/open-webui.service" in finding.found


def test_another_user_cannot_verify_the_owners_user_units(tmp_path):
    findings, facts = _findings(tmp_path, as_user="nobody")
    cannot = {i for i, f in findings.items() if f.status is Status.CANNOT_VERIFY}
    assert cannot == {i for i in findings if i.startswith("ov-server::")} | {"open-webui::user-unit-absent"}
    assert not any("--user" in r.command for r in facts.runner.records)


def test_root_reads_the_owners_user_units_through_machine_user_at(tmp_path):
    findings, facts = _findings(tmp_path, as_user="root")
    assert any(r.command.startswith("systemctl --user -M christopherbailey@ show") for r in facts.runner.records)
    assert all(f.status is Status.PASSED for f in findings.values())


@pytest.mark.parametrize("check_id", ["litellm-orch::restart-sec", "ollama::environment:OLLAMA_HOST",
                                      "open-webui::environment-file", "ov-server::exec-start"])
def test_a_unit_that_is_not_loaded_fails_with_its_load_state(tmp_path, check_id):
    gone = mini_system_show().replace("LoadState=loaded", "LoadState=not-found")
    gone_user = fixture("systemctl-show-user.txt").replace("LoadState=loaded", "LoadState=not-found")
    findings, _ = _findings(tmp_path, system=gone, user=gone_user)
    assert findings[check_id].status is Status.FAILED
    assert findings[check_id].found == "unit not loaded (LoadState=not-found)"



OPTIONAL_ENV = "EnvironmentFiles=/etc/open-webui/env (ignore_errors=no)\nEnvironmentFiles=/etc/open-webui/secret.env (ignore_errors=yes)"


def _open_webui_env_finding(tmp_path, required: list[str], optional: list[str] | None):
    """open-webui's unit on the host has a second, optional env file (`EnvironmentFile=-/etc/open-webui/secret.env`);
    the inventory documents its env files as given."""
    inventory = real_inventory()
    service = next(s for s in inventory.services_on("mini") if s.id == "open-webui")
    unit = service.units[0].model_copy(update={"environment_files": required, "optional_environment_files": optional})
    service = service.model_copy(update={"units": [unit, *service.units[1:]]})
    system = mini_system_show().replace("EnvironmentFiles=/etc/open-webui/env (ignore_errors=no)", OPTIONAL_ENV)
    mini = FakeMini(tmp_path).show("system", system)
    mini.show("user", fixture("systemctl-show-user.txt"))
    facts = mini.facts(inventory)
    check = next(c for c in unit_checks(service) if c.id == "open-webui::environment-file")
    return evaluate(check, facts)


def test_an_optional_env_file_is_compared_as_the_unit_writes_it(tmp_path):
    finding = _open_webui_env_finding(tmp_path, ["/etc/open-webui/env"], ["/etc/open-webui/secret.env"])
    assert finding.status is Status.PASSED, finding.message
    assert "-/etc/open-webui/secret.env" in str(finding.found)


def test_an_undocumented_optional_env_file_fails(tmp_path):
    finding = _open_webui_env_finding(tmp_path, ["/etc/open-webui/env"], None)
    assert finding.status is Status.FAILED
    assert "-/etc/open-webui/secret.env" in finding.message


def test_an_optional_env_file_documented_as_required_fails(tmp_path):
    finding = _open_webui_env_finding(tmp_path, ["/etc/open-webui/env", "/etc/open-webui/secret.env"], None)
    assert finding.status is Status.FAILED, finding.message
