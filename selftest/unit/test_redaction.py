"""evidence.Redactor: no secret value reaches an artifact; everything else stays readable."""
import pytest

from conformance.evidence import REDACTED, Redactor
from ._support import fixture


@pytest.fixture
def redact():
    return Redactor()


@pytest.mark.parametrize("line, secret", [
    ("OPENAI_API_KEY=sk-webui-0123456789abcdef", "sk-webui-0123456789abcdef"),
    ("LITELLM_MASTER_KEY=abcd1234", "abcd1234"),
    ("HF_TOKEN=hf_AbCdEfGh", "hf_AbCdEfGh"),
    ("WEBUI_SECRET_KEY='s3cr3t value'", "s3cr3t value"),
    ('DB_PASSWORD="pa ss"', "pa ss"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI", "wJalrXUtnFEMI"),
    ("jerry_chat_api_key=lowercase-secret", "lowercase-secret"),
])
def test_key_value_lines_of_secret_like_names(redact, line, secret):
    out = redact(line)
    assert secret not in out
    assert out.endswith(REDACTED)
    assert out.split("=")[0] == line.split("=")[0]  # the name stays readable


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
    assert out.endswith(REDACTED)


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


def test_openai_style_keys_anywhere(redact):
    out = redact("curl -H 'Authorization: Bearer sk-proj-AbCdEf123456' http://127.0.0.1:4000/v1/models")
    assert "sk-proj-AbCdEf123456" not in out and "http://127.0.0.1:4000/v1/models" in out


def test_sk_inside_a_word_is_not_a_key(redact):
    assert redact("task-runner-1234567 disk-usage-999999") == "task-runner-1234567 disk-usage-999999"


def test_learned_values_are_removed_wherever_they_appear(redact):
    redact.learn("hunter2-value")
    out = redact('{"message": "login with hunter2-value failed"}\nplain hunter2-value\n')
    assert "hunter2-value" not in out and out.count(REDACTED) == 2


def test_longer_learned_value_wins_over_its_prefix(redact):
    redact.learn("abcd")
    redact.learn("abcdefgh")
    assert redact("x abcdefgh y") == f"x {REDACTED} y"


def test_short_or_empty_values_are_not_learned(redact):
    redact.learn("")
    redact.learn("abc")
    assert redact("abc and more") == "abc and more"


def test_empty_text(redact):
    assert redact("") == ""
