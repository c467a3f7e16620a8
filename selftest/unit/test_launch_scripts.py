"""The MLX launch scripts kept on the Mini: `--port N` of every launch, and the documented flags."""
import pytest

from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.checks.scripts import script_checks
from conformance.facts.scripts import ports
from ._support import FakeMini, fixture, real_inventory

SCRIPTS = ["run-mlx-studio.sh", "run-mlx-gptoss-architect.sh", "run-mlx-test-model.sh"]


@pytest.mark.parametrize("name, expected", [
    ("run-mlx-studio.sh", [8100, 8101, 8103]),
    ("run-mlx-gptoss-architect.sh", [8102]),
    ("run-mlx-test-model.sh", [8109]),
    ("run-mlx-drifted.sh", [8103, 8200]),
])
def test_launches_finds_every_port_across_continuation_lines(name, expected):
    assert ports(fixture(f"mlx-scripts/{name}")) == expected


def test_launches_reads_port_equals_form():
    assert ports("mlx-openai-server launch --port=8105 \\\n  --host 0.0.0.0\n") == [8105]


@pytest.mark.parametrize("text", [
    "#!/bin/sh\necho nothing to do\n",
    "# mlx-openai-server launch --host 0.0.0.0 --port 8100 --log-file /tmp/mlx-8100.log\n",  # a comment
    'echo "--host 0.0.0.0 --port 8100 --log-file /tmp/mlx-8100.log"\n',  # one quoted word, not flags
    "mlx-openai-server launch --host 0.0.0.0 # --port 8100\n",  # a trailing comment
])
def test_comments_and_strings_that_are_not_executed_do_not_count(text):
    assert ports(text) == []


def _findings(tmp_path, scripts: dict[str, str]):
    inventory = real_inventory()
    cfg = inventory.launch_scripts
    mini = FakeMini(tmp_path)
    for name, text in scripts.items():
        mini.file(f"{cfg.dir}/{name}", text)
    facts = mini.facts(inventory)
    return {c.id: evaluate(c, facts) for c in script_checks(cfg)}


def _documented_scripts():
    return {name: fixture(f"mlx-scripts/{name}") for name in SCRIPTS}


def test_check_ids():
    ids = [c.id for c in script_checks(real_inventory().launch_scripts)]
    assert ids == [f"mlx-servers::script:{n}:{aspect}" for n in SCRIPTS for aspect in ("present", "launch-flags")] + \
        ["mlx-servers::script:documented-launch"]


def test_documented_scripts_pass_present_and_documented_launch(tmp_path):
    findings = _findings(tmp_path, _documented_scripts())
    for name in SCRIPTS:
        assert findings[f"mlx-servers::script:{name}:present"].status is Status.PASSED
    documented = findings["mlx-servers::script:documented-launch"]
    assert documented.status is Status.PASSED and documented.found == "in run-mlx-studio.sh"


@pytest.mark.parametrize("name", ["run-mlx-studio.sh", "run-mlx-test-model.sh"])
def test_flags_on_one_line_pass(tmp_path, name):
    assert _findings(tmp_path, _documented_scripts())[f"mlx-servers::script:{name}:launch-flags"].status is Status.PASSED


def test_one_flag_per_continuation_line_passes(tmp_path):
    finding = _findings(tmp_path, _documented_scripts())["mlx-servers::script:run-mlx-gptoss-architect.sh:launch-flags"]
    assert finding.status is Status.PASSED, finding.message


def test_drifted_log_file_and_port_fail_and_show_the_line(tmp_path):
    scripts = _documented_scripts()
    scripts["run-mlx-test-model.sh"] = fixture("mlx-scripts/run-mlx-drifted.sh")
    finding = _findings(tmp_path, scripts)["mlx-servers::script:run-mlx-test-model.sh:launch-flags"]
    assert finding.status is Status.FAILED
    assert finding.expected == ['--host 0.0.0.0 --port 8103 --log-file "/tmp/mlx-8103.log"',
                                '--host 0.0.0.0 --port {port} --log-file "/tmp/mlx-{port}.log" with a port in 8100-8109']
    assert finding.found == ["--host 0.0.0.0 --port 8103 --log-file /tmp/mlx.log",
                             "--host 0.0.0.0 --port 8200 --log-file /tmp/mlx-8200.log"]


def test_documented_flags_in_a_comment_do_not_pass_a_launch_with_other_flags(tmp_path):
    scripts = _documented_scripts()
    scripts["run-mlx-test-model.sh"] = (
        '# mlx-openai-server launch --host 0.0.0.0 --port 8109 --log-file "/tmp/mlx-8109.log"\n'
        'mlx-openai-server launch --host 127.0.0.1 --port 8109 --log-file "/tmp/other.log"\n')
    finding = _findings(tmp_path, scripts)["mlx-servers::script:run-mlx-test-model.sh:launch-flags"]
    assert finding.status is Status.FAILED
    assert finding.found == ["--host 127.0.0.1 --port 8109 --log-file /tmp/other.log"]


def test_missing_script_fails_present_and_launch_flags(tmp_path):
    scripts = _documented_scripts()
    del scripts["run-mlx-test-model.sh"]
    findings = _findings(tmp_path, scripts)
    assert findings["mlx-servers::script:run-mlx-test-model.sh:present"].found == "missing"
    assert findings["mlx-servers::script:run-mlx-test-model.sh:launch-flags"].found.endswith("run-mlx-test-model.sh: missing")


def test_documented_launch_fails_when_no_script_carries_it(tmp_path):
    scripts = {name: text.replace("8103", "8104") for name, text in _documented_scripts().items()}
    finding = _findings(tmp_path, scripts)["mlx-servers::script:documented-launch"]
    assert finding.status is Status.FAILED and finding.found == "in no script"
