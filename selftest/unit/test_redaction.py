"""The Redactor: no secret value reaches an artifact, in any form; everything else stays readable."""
import json
from urllib.parse import quote, quote_plus

import pytest

from conformance.facts.envfile import parse_env_assignments
from conformance.facts.litellm import secret_values
from conformance.redaction import REDACTED, Redactor, is_secret_name, mask_spans
from ._support import fixture


@pytest.fixture
def redact():
    return Redactor(enabled=True)


# --- which names are secrets: whole parts only ---

@pytest.mark.parametrize("name", ["OPENAI_API_KEY", "api_key", "apiKey", "master_key", "HF_TOKEN", "auth-token",
                                  "WEBUI_SECRET_KEY", "DB_PASS", "DB_PASSWORD", "SMTP_PASSWD", "WEBUI_AUTH",
                                  "GOOGLE_CREDENTIALS", "aws_credential", "BEARER", "x-api-key", "ssh.passphrase"])
def test_secret_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["max_tokens", "completion_tokens", "PASSTHROUGH", "OLLAMA_HOST", "keyboard",
                                  "author", "DATA_DIR", "OPENAI_API_BASE_URL", "monkey", "passage"])
def test_names_that_only_contain_a_secret_word_are_not_secrets(name):
    assert not is_secret_name(name)


def test_non_secret_names_survive_with_their_values(redact):
    text = '{"max_tokens": 16, "completion_tokens": 12, "PASSTHROUGH": "yes"}\nmax_tokens=16 PASSTHROUGH=on'
    assert redact(text) == text


# --- forms ---

@pytest.mark.parametrize("line, secret", [
    ("OPENAI_API_KEY=sk-webui-0123456789abcdef", "sk-webui-0123456789abcdef"),
    ("LITELLM_MASTER_KEY=abcd1234", "abcd1234"),
    ("HF_TOKEN=hf_AbCdEfGh", "hf_AbCdEfGh"),
    ("WEBUI_SECRET_KEY='s3cr3t value'", "s3cr3t value"),
    ('DB_PASSWORD="pa ss"', "pa ss"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", "wJalrXUtnFEMI"),
    ("jerry_chat_api_key=lowercase-secret", "lowercase-secret"),
    ("DB_PASS=hunter2", "hunter2"),
    ("HA_AUTH=abc123", "abc123"),
    ("SERVICE_CREDENTIALS=c-r-e-d", "c-r-e-d"),
    ("BEARER = tok123", "tok123"),
])
def test_assignments_of_secret_names(redact, line, secret):
    out = redact(line)
    assert secret not in out and REDACTED in out
    assert out.split("=")[0] == line.split("=")[0]  # the name stays readable


@pytest.mark.parametrize("text, secret", [
    ("ExecStart=/usr/bin/litellm --api-key sk9f8e7d --port 4000", "sk9f8e7d"),
    ("serve --api_key=abc123def --host 0.0.0.0", "abc123def"),
    ("mlx --token tok-42 --model x", "tok-42"),
    ("tool --password=pw0rd", "pw0rd"),
    ("tool --password pw0rd --verbose", "pw0rd"),
    ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
    ("authorization=Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
    ("-H 'Authorization: Token t0k3n'", "t0k3n"),
    ("sent bearer eyJhbGciOiJIUzI1NiJ9 upstream", "eyJhbGciOiJIUzI1NiJ9"),
    ("JERRY_CHAT_API_BASE=http://jerry:hunter2@10.213.0.3:8100/v1", "hunter2"),
    ("DATA_DIR=postgres://webui:pg-pass-1@db.local:5432/webui", "pg-pass-1"),
    ("url https://ghp_tokenonly@github.com/x", "ghp_tokenonly"),
    ("curl -H 'Authorization: Bearer sk-proj-AbCdEf123456' http://127.0.0.1:4000/v1/models", "sk-proj-AbCdEf123456"),
])
def test_secret_forms_anywhere(redact, text, secret):
    out = redact(text)
    assert secret not in out and REDACTED in out


def test_url_keeps_user_and_host_but_not_the_password(redact):
    assert redact("postgres://webui:pw123@db:5432/x") == f"postgres://webui:{REDACTED}@db:5432/x"
    assert redact("ssh://christopherbailey@studio") == "ssh://christopherbailey@studio"  # a login name is not a secret


def test_env_file_keeps_non_secret_values(redact):
    out = redact(fixture("open-webui.env"))
    assert "sk-webui-0123456789abcdef" not in out
    for kept in ("OPENAI_API_BASE_URL=http://127.0.0.1:4000/v1", 'ENABLE_OPENAI_API="true"',
                 "export DATA_DIR=/home/christopherbailey/.open-webui", "GLOBAL_LOG_LEVEL=INFO # was DEBUG"):
        assert kept in out


def test_systemctl_environment_values(redact):
    line = "Environment=OLLAMA_HOST=0.0.0.0:11434 OPENAI_API_KEY=abc123xyz PATH=/usr/bin:/bin"
    assert redact(line) == f"Environment=OLLAMA_HOST=0.0.0.0:11434 OPENAI_API_KEY={REDACTED} PATH=/usr/bin:/bin"


def test_systemctl_quotes_a_secret_with_a_space_as_one_word(redact):
    out = redact('Environment="OPENAI_API_KEY=first second" OLLAMA_HOST=0.0.0.0:11434')
    assert "first" not in out and "second" not in out
    assert "OLLAMA_HOST=0.0.0.0:11434" in out


@pytest.mark.parametrize("yaml_line", [
    "  master_key: sk-1234567890abcdef",
    '  master_key: "plain-secret-value"',
    "    api_key: literal-upstream-key",
])
def test_yaml_secret_values(redact, yaml_line):
    out = redact(yaml_line)
    assert out.split(":")[0] == yaml_line.split(":")[0]
    assert REDACTED in out and yaml_line.split(": ")[1].strip('"') not in out


def test_json_secret_values(redact):
    out = redact('{"message": "call", "api_key": "upstream-key-123", "model": "lil-jerry"}')
    assert "upstream-key-123" not in out
    assert '"model": "lil-jerry"' in out


@pytest.mark.parametrize("reference", [
    "api_key: os.environ/JERRY_CHAT_API_KEY",
    'api_key: "os.environ/LIL_JERRY_API_KEY"',
    "master_key: os.environ/LITELLM_MASTER_KEY",
])
def test_os_environ_references_are_kept(redact, reference):
    assert redact(reference) == reference


def test_router_yaml_passes_unchanged(redact):
    assert redact(fixture("router.yaml")) == fixture("router.yaml")


@pytest.mark.parametrize("name", ["systemctl-show-mini.txt", "systemctl-show-variants.txt", "ss-ltnpH.txt",
                                  "stat-sweep.stdout", "ssh_config", "litellm-journal-json.txt"])
def test_outputs_without_secrets_pass_unchanged(redact, name):
    assert redact(fixture(name)) == fixture(name)


@pytest.mark.parametrize("message", [
    "litellm-orch::route:jerry-chat:api-key: expected 'os.environ/JERRY_CHAT_API_KEY <set>', found 'no api_key'",
    "open-webui::env:OPENAI_API_KEY: expected 'OPENAI_API_KEY <set>', found 'OPENAI_API_KEY not set' (source: /etc/open-webui/env)",
    "open-webui::path:secret-key: passed",
])
def test_the_suites_own_messages_about_secrets_stay_readable(redact, message):
    assert redact(message) == message


def test_sk_inside_a_word_is_not_a_key(redact):
    assert redact("task-runner-1234567 disk-usage-999999") == "task-runner-1234567 disk-usage-999999"


# --- learned values and exact spans ---

def test_learned_values_are_removed_wherever_they_appear(redact):
    redact.learn("hunter2-value")
    out = redact('{"message": "login with hunter2-value failed"}\nplain hunter2-value\n')
    assert "hunter2-value" not in out and out.count(REDACTED) == 2


def test_longer_learned_value_wins_over_its_prefix(redact):
    redact.learn("abcdefgh")
    redact.learn("abcdefghijkl")
    assert redact("x abcdefghijkl y") == f"x {REDACTED} y"


def test_short_values_are_learned_only_where_a_parser_knows_them(redact):
    redact.learn("")
    redact.learn("abc1234")  # 7 characters: replacing it everywhere would mangle the report
    assert redact("abc1234 and more") == "abc1234 and more"


def test_a_continued_value_is_learned_line_by_line(redact):
    text = "JERRY_CHAT_API_KEY=first-part-0001\\\nsecond-part-canary-0002\nOTHER=x\n"
    ((value, span),) = [(v, s) for k, (v, s) in parse_env_assignments(text).items() if k == "JERRY_CHAT_API_KEY"]
    assert value == "first-part-0001second-part-canary-0002"
    redact.learn(value)
    redact.learn(text[span[0]:span[1]])  # as written: split by the continuation
    out = redact(text)
    assert "first-part-0001" not in out and "second-part-canary-0002" not in out
    assert mask_spans(text, [span]) == f"JERRY_CHAT_API_KEY={REDACTED}\nOTHER=x\n"


def test_env_file_spans_cover_quoted_values():
    text = "A=1\nDB_PASS='  two words '\nB=2\n"
    value, span = parse_env_assignments(text)["DB_PASS"]
    assert value == "  two words " and mask_spans(text, [span]) == f"A=1\nDB_PASS={REDACTED}\nB=2\n"


@pytest.mark.parametrize("yaml_text, secret", [
    ("general_settings:\n  master_key: &mk short1\nother: *mk\n", "short1"),  # an anchor
    ("general_settings:\n  master_key: !!str tagged-secret-1\n", "tagged-secret-1"),  # a tag
    ("model_list:\n  - litellm_params:\n      api_key: |\n        block-secret-line-1\n        line-2\n", "block-secret-line-1"),
    ("x: &k abc\ngeneral_settings: {master_key: *k}\n", "abc"),  # an alias under a secret key: masked where it stands
])
def test_yaml_secrets_are_found_as_yaml_sees_them(redact, yaml_text, secret):
    found = secret_values(yaml_text)
    assert found, "no secret found"
    masked = mask_spans(yaml_text, [span for _, span in found])
    assert secret not in masked


def test_yaml_references_and_broken_yaml_give_no_values():
    assert secret_values("api_key: os.environ/X\n") == []
    assert secret_values("api_key: [unclosed\n") == []


def test_a_disabled_redactor_changes_nothing():
    assert Redactor(enabled=False)("OPENAI_API_KEY=sk-live-abcdef123456") == "OPENAI_API_KEY=sk-live-abcdef123456"


def test_data_is_redacted_recursively(redact):
    data = {"found": "DB_PASS=x1", "list": ["Bearer tok-123456"], "n": 3, "api_key": "value-kept-by-key?"}
    out = redact.data(data)
    assert out["found"] == f"DB_PASS={REDACTED}" and out["list"] == [f"Bearer {REDACTED}"] and out["n"] == 3


def test_empty_text(redact):
    assert redact("") == ""


# --- learned values in their escaped forms ---

WEBHOOK = "https://ha.example:8123/api/webhook/CANARY-hook-0001"


@pytest.mark.parametrize("written", [
    json.dumps(WEBHOOK),  # as written
    json.dumps(WEBHOOK).replace("/", "\\/"),  # JSON's escaped solidus (PHP, some loggers)
    json.dumps(WEBHOOK).replace("C", "\\u0043").replace(":", "\\u003a"),  # \u00xx, either case
    json.dumps(json.dumps(WEBHOOK).replace("/", "\\/")),  # JSON inside a JSON string: \\\" and \\/
    quote(WEBHOOK, safe=""),  # URL-encoded: %3A%2F%2F
    quote(WEBHOOK, safe="").replace("%2F", "%2f"),  # lower-case hex
    quote(quote(WEBHOOK, safe=""), safe=""),  # encoded twice: %252F
    "next=" + quote(WEBHOOK, safe="/"),  # partly encoded (the colons only)
], ids=["plain", "solidus", "u00xx", "json-in-json", "url", "url-lower", "url-twice", "url-partly"])
def test_a_learned_value_is_found_in_its_escaped_forms(redact, written):
    redact.learn(WEBHOOK)
    out = redact(f'{{"callback": {written}, "model": "lil-jerry"}}')
    assert "CANARY" not in out and "hook-0001" not in out and "0043ANARY" not in out, out
    assert '"model": "lil-jerry"' in out


@pytest.mark.parametrize("secret, written", [
    ('pa"ss\\word/0001', json.dumps('pa"ss\\word/0001')),  # the JSON escapes of the value's own " \ /
    ("CANARY CREDS 08", quote_plus("CANARY CREDS 08")),  # form encoding's + for a space
    ("CANARY CREDS 08", "CANARY\\u0020CREDS\\u002008"),
    ("sécret-värde-0001", json.dumps("sécret-värde-0001")),  # non-ASCII as \u00e9
    ("sécret-värde-0001", quote("sécret-värde-0001")),  # non-ASCII as UTF-8 bytes %C3%A9
])
def test_a_learned_value_with_special_characters_is_found_escaped(redact, secret, written):
    redact.learn(secret)
    out = redact(f"error: {written} rejected")
    assert out in (f"error: {REDACTED} rejected", f'error: "{REDACTED}" rejected'), out


def test_text_without_a_learned_value_is_unchanged_by_the_escaped_search(redact):
    redact.learn("CANARY-hook-0001")
    text = 'GET /v1/models?q=a%2Fb+c "path": "\\/x\\/y" \\u0041'
    assert redact(text) == text


# --- redact first, then cut ---

SECRET = "CANARY-cut-secret-0001"


def _straddling(at: int) -> str:
    """A text whose learned secret starts a few characters before position `at`."""
    return "x" * (at - 6) + SECRET + " and the rest of the output"


def _fragments(text: str) -> list[str]:
    return [SECRET[:n] for n in range(4, len(SECRET) + 1) if SECRET[:n] in text]


def test_a_record_cut_for_the_report_keeps_no_part_of_a_secret_at_the_cut(redact):
    from conformance.evidence import RENDERED_CHARS, CommandRecord
    redact.learn(SECRET)
    record = CommandRecord("mini", "christopherbailey", "head -c 262144 -- /x", 0, _straddling(RENDERED_CHARS), "", 1, 0.1)
    shown = record.render(redact)
    assert not _fragments(shown) and "more characters" in shown, shown[-200:]
    inside = CommandRecord("mini", "christopherbailey", "head", 0, _straddling(RENDERED_CHARS - 20), "", 1, 0.1)
    assert REDACTED in inside.render(redact) and not _fragments(inside.render(redact))


def test_commands_json_gets_the_record_redacted_then_cut(redact):
    from conformance.evidence import CommandRecord
    redact.learn(SECRET)
    record = CommandRecord("mini", "u", f"realpath /x/{SECRET}", 0, _straddling(100), f"warning: {SECRET}", 1, 0.1,
                           kept_chars=100)
    shown = record.shown(redact)
    assert not _fragments(json.dumps(shown)), shown
    assert set(shown) == {"host", "user", "command", "exit_status", "stdout", "stderr", "batch", "batch_seconds",
                          "timed_out", "test"}  # the same fields as before, nothing about cutting


def test_a_text_already_cut_at_its_source_drops_what_could_start_a_secret(redact):
    redact.learn(SECRET)
    kept = "x" * 300 + SECRET[:9]  # the body stopped being kept in the middle of the secret
    assert not _fragments(redact.clip(kept, 4000, cut_at_source=True))
    assert redact.clip(kept, 4000, cut_at_source=True).startswith("x" * 100)


def test_an_http_body_is_redacted_before_it_is_cut():
    import httpx2

    from conformance.facts.http import RECORDED_BODY_CHARS, HttpProbe
    redact = Redactor(enabled=True)
    redact.learn(SECRET)
    body = _straddling(RECORDED_BODY_CHARS).encode()
    probe = HttpProbe(transport=httpx2.MockTransport(lambda request: httpx2.Response(200, content=body)))
    try:
        probe.get("mini", "http://127.0.0.1:1/manifest.json")
    finally:
        probe.close()
    (record,) = probe.records
    for shown in (record.render(redact), record.shown(redact)["stdout"]):
        assert not _fragments(shown) and "more characters" in shown, shown[-120:]


def test_a_failure_message_quoting_a_host_is_redacted_before_it_is_cut(redact):
    redact.learn(SECRET)
    assert not _fragments(redact.excerpt(_straddling(200), 200))
    assert not _fragments(redact.excerpt(_straddling(200).encode(), 200))


@pytest.mark.parametrize("text", [
    "ExecStart=/usr/bin/ssh -NT -o StrictHostKeyChecking=no -L 127.0.0.1:19200:127.0.0.1:9200 studio",
    "ExecStart=/usr/bin/ssh -o StrictHostKeyChecking=accept-new studio",
    "require_auth: false", 'Environment="AUTH_ENABLED=true"', "API_KEY_REQUIRED=yes",
])
def test_a_switch_is_never_a_secret_whatever_its_name(redact, text):
    """Masked, `StrictHostKeyChecking=no` would reach discovery's inventory.patch as a placeholder."""
    assert redact(text) == text


def test_a_secret_named_value_that_only_starts_like_a_switch_is_still_masked(redact):
    assert redact("API_KEY=no-such-luck-9f8e7d") == f"API_KEY={REDACTED}"
