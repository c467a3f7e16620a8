"""The stat sweep: `stat -c '%F|%a|%U|%G|%s|%n' -- p1 p2 ...` of GNU coreutils 9.1 and its parser."""
import subprocess

import pytest

from conformance.facts.paths import STAT_FORMAT, PathFact, parse_stat, readlink_command, stat_command
from conformance.runner import check_read_only
from ._support import fixture

SWEEP = [
    "/home/christopherbailey/litellm-orch",
    "/home/christopherbailey/litellm-orch/config/env.local",
    "/home/christopherbailey/litellm-orch/config/router.yaml",
    "/etc/open-webui/env",
    "/home/christopherbailey/.config/systemd/user/default.target.wants/ov-server.service",
    "/var/lib/systemd/linger/christopherbailey",
    "/home/christopherbailey/models/converted_models/registry.json",
    "/home/christopherbailey/open-webui/.webui_secret_key",
    "/home/christopherbailey/it's here",
]


@pytest.fixture(scope="module")
def facts():
    return parse_stat(fixture("stat-sweep.stdout"), fixture("stat-sweep.stderr"), SWEEP)


def test_commands_are_on_the_allowlist():
    check_read_only(stat_command(SWEEP))
    check_read_only(readlink_command(SWEEP[0]))


def test_every_path_asked_for_gets_a_fact(facts):
    assert set(facts) == set(SWEEP)


def test_types_are_normalised(facts):
    assert facts["/home/christopherbailey/litellm-orch"].type == "directory"
    assert facts["/home/christopherbailey/litellm-orch/config/router.yaml"].type == "file"
    assert facts["/etc/open-webui/env"].type == "file"  # "regular empty file" is still a file
    assert facts["/home/christopherbailey/.config/systemd/user/default.target.wants/ov-server.service"].type == "symlink"


def test_mode_owner_group_size(facts):
    env_local = facts["/home/christopherbailey/litellm-orch/config/env.local"]
    assert env_local == PathFact(env_local.path, True, "file", "600", "christopherbailey", "christopherbailey", 1873)


def test_missing_path_is_not_denied(facts):
    registry = facts["/home/christopherbailey/models/converted_models/registry.json"]
    assert (registry.exists, registry.denied) == (False, False)


def test_permission_denied_is_told_apart_from_missing(facts):
    secret = facts["/home/christopherbailey/open-webui/.webui_secret_key"]
    assert (secret.exists, secret.denied) == (False, True)


def test_permission_denied_on_a_name_stat_quotes_with_double_quotes(facts):
    # coreutils quotes a name holding ' as "...": that path was denied, not missing
    odd = facts["/home/christopherbailey/it's here"]
    assert (odd.exists, odd.denied) == (False, True)


def test_a_path_with_no_answer_at_all_counts_as_missing():
    assert parse_stat("", "", ["/nowhere"]) == {"/nowhere": PathFact("/nowhere", False)}


def test_a_name_with_the_separator_in_it_survives():
    out = "regular file|644|root|root|3|/tmp/a|b\n"
    assert parse_stat(out, "", ["/tmp/a|b"])["/tmp/a|b"].type == "file"


def test_parser_reads_what_the_real_stat_prints(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("abc")
    (tmp_path / "empty").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    paths = [str(tmp_path / n) for n in ("dir", "file", "empty", "link", "missing")]
    p = subprocess.run(stat_command(paths), capture_output=True, text=True, env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1
    facts = parse_stat(p.stdout, p.stderr, paths)
    assert [facts[x].type for x in paths] == ["directory", "file", "file", "symlink", None]
    assert facts[paths[1]].size == 3
    assert facts[paths[4]] == PathFact(paths[4], False)
    assert STAT_FORMAT.endswith("%n")


def test_secret_files_are_stat_ed_but_never_read():
    from conformance.checks.derive import host_checks
    from conformance.facts.plan import HostPlan
    from conformance.site import SiteAddresses
    from ._support import real_inventory

    inventory = real_inventory()
    plan = HostPlan.of(host_checks(inventory, SiteAddresses(inventory), "mini"))
    secret = "/home/christopherbailey/open-webui/.webui_secret_key"
    assert secret in plan.paths
    assert secret not in plan.texts + plan.hashes + plan.plists
    assert "/etc/open-webui/env" in plan.texts
