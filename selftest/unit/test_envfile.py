"""Env files (/etc/open-webui/env, env.local, ov-server.env): comments, quotes, export, later wins."""
import pytest

from conformance.facts.envfile import parse_env_file
from conformance.facts.paths import read_command
from conformance.runner import check_read_only
from ._support import fixture


@pytest.fixture(scope="module")
def webui():
    return parse_env_file(fixture("open-webui.env"))


def test_read_command_is_bounded_and_on_the_allowlist():
    assert read_command("/etc/open-webui/env", 1024) == ["head", "-c", "1025", "--", "/etc/open-webui/env"]
    assert check_read_only(read_command("/etc/open-webui/env", 1024)).reads == ("/etc/open-webui/env",)


def test_plain_assignment(webui):
    assert webui["OPENAI_API_BASE_URL"] == "http://127.0.0.1:4000/v1"


def test_single_and_double_quotes_are_removed(webui):
    assert webui["OPENAI_API_KEY"] == "sk-webui-0123456789abcdef"
    assert webui["ENABLE_OPENAI_API"] == "true"
    # systemd concatenates a quoted part with what follows it after blanks: the comment is value
    assert webui["WEBUI_NAME"] == "Jerry's Lab# shown in the title bar"


def test_export_lines_are_ignored_as_systemd_ignores_them(webui):
    assert "DATA_DIR" not in webui
    assert not any(k.startswith("export") for k in webui)


def test_inline_comment_after_an_unquoted_value_is_part_of_the_value(webui):
    assert webui["GLOBAL_LOG_LEVEL"] == "INFO # was DEBUG"


def test_a_hash_inside_quotes_is_kept(webui):
    assert webui["QUOTED_HASH"] == "a # b"


def test_later_assignment_wins(webui):
    assert webui["ENABLE_OLLAMA_API"] == "false"


def test_empty_value_is_set_but_empty(webui):
    assert webui["EMPTY_VALUE"] == ""


def test_comments_blank_lines_and_non_assignments_give_no_keys(webui):
    assert sorted(webui) == sorted([
        "OPENAI_API_BASE_URL", "OPENAI_API_KEY", "ENABLE_OPENAI_API", "WEBUI_NAME",
        "GLOBAL_LOG_LEVEL", "ENABLE_OLLAMA_API", "QUOTED_HASH", "EMPTY_VALUE",
    ])


def test_env_local_has_every_route_variable():
    env = parse_env_file(fixture("env.local"))
    for route in ("JERRY_CHAT", "JERRY_EDITOR", "JERRY_ARCHITECT", "JERRY_WEAK", "JERRY_TEST", "LIL_JERRY"):
        assert {f"{route}_MODEL", f"{route}_API_BASE", f"{route}_API_KEY"} <= set(env)
    assert env["LIL_JERRY_API_BASE"] == "http://localhost:9000/v1"


def test_unbalanced_quote_does_not_raise():
    # as in systemd, the newline is inside the open quote and so part of the value
    assert parse_env_file("A='unterminated\n") == {"A": "unterminated\n"}


def _systemd_truth() -> dict[str, str]:
    lines = [l for l in fixture("envfile-systemd252.truth").splitlines() if l and not l.startswith("#")]
    return dict(l.split("=", 1) for l in lines)


AGREED = ["PLAIN", "INLINE_NOSPACE", "SQ", "DQ", "SPACED", "EMPTY", "LATER", "DOLLAR", "INDENTED"]


@pytest.mark.parametrize("key", AGREED)
def test_agrees_with_what_systemd_252_really_sets(key):
    """Ground truth: the environment systemd 252 gave a unit with EnvironmentFile= of this file."""
    assert parse_env_file(fixture("envfile-systemd252.env")).get(key) == _systemd_truth()[key]


def test_matches_systemd_252_on_every_key():
    parsed = parse_env_file(fixture("envfile-systemd252.env"))
    truth = _systemd_truth()
    assert {k: parsed.get(k) for k in set(parsed) | set(truth)} == {k: truth.get(k) for k in set(parsed) | set(truth)}
