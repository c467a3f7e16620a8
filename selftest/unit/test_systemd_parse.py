"""`systemctl show` output of systemd 252 (Debian 12), split per unit and read property by property.

The fixtures are real systemd 252 output (property order, empty values, one blank line
between blocks, ExecStart and EnvironmentFiles layouts); only the unit names and values
were set to the Mini's.
"""
import pytest

from conformance.facts.systemd import (PROPERTIES, parse_environment, parse_environment_file, parse_exec, parse_show,
                                       parse_timespan, show_command)
from ._support import fixture

MINI_UNITS = ["litellm-orch.service", "ollama.service", "open-webui.service", "open-webui-old.service"]
VARIANT_UNITS = ["h.service", "m.service", "t.service", "z.service", "e.service"]


@pytest.fixture(scope="module")
def mini():
    return parse_show(fixture("systemctl-show-mini.txt"), MINI_UNITS)


@pytest.fixture(scope="module")
def variants():
    return parse_show(fixture("systemctl-show-variants.txt"), VARIANT_UNITS)


def test_show_command_asks_every_property_of_every_unit_in_one_call():
    argv = show_command(["a.service", "b.service"])
    assert argv[:2] == ["systemctl", "show"]
    assert argv[argv.index("-p") + 1] == ",".join(PROPERTIES)
    assert argv[-3:] == ["--", "a.service", "b.service"]


def test_show_command_for_another_users_manager_uses_machine_user_at():
    assert show_command(["ov-server.service"], "user", machine_user="christopherbailey")[:4] == \
        ["systemctl", "--user", "-M", "christopherbailey@"]
    assert show_command(["ov-server.service"], "user")[:3] == ["systemctl", "--user", "show"]


def test_each_block_is_keyed_by_the_unit_asked_for(mini):
    assert list(mini) == MINI_UNITS
    assert [mini[u].get("Id") for u in MINI_UNITS] == MINI_UNITS


def test_properties_of_a_running_system_unit(mini):
    unit = mini["litellm-orch.service"]
    assert unit.loaded
    assert (unit.get("ActiveState"), unit.get("SubState"), unit.get("UnitFileState")) == ("active", "running", "enabled")
    assert unit.get("Restart") == "always"
    assert unit.restart_sec == 2.0
    assert unit.get("FragmentPath") == "/etc/systemd/system/litellm-orch.service"
    assert unit.get("InvocationID") == "0b178876d9ba4a6481b9e0e46bb47c8d"
    assert unit.get("User") == "christopherbailey"
    assert unit.drop_ins == []
    assert unit.environment == {}
    assert unit.environment_files == []


def test_exec_start_keeps_path_and_argv_without_the_runtime_fields(mini):
    (cmd,) = mini["litellm-orch.service"].exec_start
    assert cmd.path == "/home/christopherbailey/.local/bin/uv"
    assert cmd.line == ("/home/christopherbailey/.local/bin/uv run litellm --config "
                        "/home/christopherbailey/litellm-orch/config/router.yaml --host 0.0.0.0 --port 4000")
    assert "pid=" not in cmd.line and "start_time" not in cmd.line


def test_drop_in_and_environment_from_override(mini):
    ollama = mini["ollama.service"]
    assert ollama.drop_ins == ["/etc/systemd/system/ollama.service.d/override.conf"]
    assert ollama.environment["OLLAMA_HOST"] == "0.0.0.0:11434"
    assert ollama.environment["PATH"].startswith("/usr/local/sbin:")
    assert ollama.restart_sec == 3.0
    assert ollama.get("NRestarts") == "2"


def test_environment_file_loses_its_ignore_errors_suffix(mini):
    assert mini["open-webui.service"].environment_files == ["/etc/open-webui/env"]


def test_not_found_unit_is_not_loaded_and_has_empty_values(mini):
    gone = mini["open-webui-old.service"]
    assert not gone.loaded
    assert gone.get("LoadState") == "not-found"
    assert gone.get("FragmentPath") == "" and gone.get("UnitFileState") == "" and gone.get("InvocationID") == ""
    assert gone.exec_start == []  # systemd prints no ExecStart= line at all for it
    assert gone.drop_ins == [] and gone.environment == {} and gone.environment_files == []


@pytest.mark.parametrize("unit, seconds", [("h.service", 0.1), ("m.service", 90.0), ("t.service", 3.0), ("z.service", 0.0)])
def test_restart_usec_as_systemd_prints_it(variants, unit, seconds):
    assert variants[unit].restart_sec == seconds


@pytest.mark.parametrize("text, seconds", [
    ("2s", 2.0), ("100ms", 0.1), ("1min 30s", 90.0), ("3s", 3.0), ("0", 0.0), ("2000000", 2.0),
    ("1h 2min", 3720.0), ("500us", 0.0005),
])
def test_parse_timespan(text, seconds):
    assert parse_timespan(text) == seconds


@pytest.mark.parametrize("text", ["", "infinity", "3 fortnights"])
def test_parse_timespan_refuses_what_it_cannot_read(text):
    assert parse_timespan(text) is None


def test_several_exec_start_commands_and_quoted_environment(variants):
    e = variants["e.service"]
    assert [c.path for c in e.exec_start] == ["/usr/bin/env", "/bin/echo"]
    assert e.exec_start[1].argv == ("/bin/echo", "second")
    assert e.environment == {"A": "1", "B": "two words", "C": "3", "OLLAMA_HOST": "0.0.0.0:11434"}
    assert e.environment_files == ["/etc/missing/env", "/etc/open-webui/env"]
    assert e.drop_ins == ["/home/x/.config/systemd/user/e.service.d/10-more.conf",
                          "/home/x/.config/systemd/user/e.service.d/override.conf"]


def test_parse_exec_of_a_plain_value_without_braces_finds_nothing():
    assert parse_exec("/usr/bin/ollama serve") == []


def test_parse_environment_file_with_ignore_errors_yes():
    assert parse_environment_file("/etc/x/env (ignore_errors=yes)") == "/etc/x/env"
    assert parse_environment_file("/etc/x/env (ignore_errors=no)") == "/etc/x/env"


def test_parse_environment_keeps_values_with_equals_signs():
    assert parse_environment('URL=http://h/?a=b "X=y z"') == {"URL": "http://h/?a=b", "X": "y z"}


def test_fewer_blocks_than_units_leaves_the_rest_unknown():
    one_block = fixture("systemctl-show-mini.txt").split("\n\n")[0]
    parsed = parse_show(one_block, MINI_UNITS)
    assert list(parsed) == ["litellm-orch.service"]


def test_empty_output_gives_no_units():
    assert parse_show("", MINI_UNITS) == {}
