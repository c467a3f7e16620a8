"""The suite's promises under a hostile host and careless input, proven on the twin.

- No secret reaches the terminal or any file of the run directory, in any encoding; the same
  search first finds every canary with redaction switched off, so it cannot pass by looking
  in the wrong place.
- A FIFO, a /dev/zero symlink, a garbage router.yaml or a directory at a documented path ends
  the run by itself, quickly, with the broken thing's checks failed (not skipped), every check
  listed, bounded memory, and nothing of the run left on the host.
- Every program the run executes is one the runner sent (an execve trace of the whole run).
"""
from __future__ import annotations

from selftest.artifacts import text_of

import base64
import html
import json
import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab import api, ssh, topology as topo
from selftest.twin.conftest import ROOT, TWIN_SUITE_ARGS, SuiteRun

HOME = f"/home/{topo.OWNER}"
ENV_LOCAL = f"{HOME}/litellm-orch/config/env.local"
ROUTER = f"{HOME}/litellm-orch/config/router.yaml"
WEBUI_ENV = "/etc/open-webui/env"
OV_ENV = f"{HOME}/.config/ov-llm-server/ov-server.env"
LITELLM_UNIT = "/etc/systemd/system/litellm-orch.service"
ROUTE_CHECKS = {f"litellm-orch::route:{r}:{a}" for r in ("jerry-chat", "jerry-editor", "jerry-architect", "jerry-weak",
                                                          "jerry-test", "lil-jerry") for a in ("api-base", "model", "api-key")}
ROUTER_CHECKS = {"litellm-orch::json-logs-setting", "litellm-orch::router-settings", "litellm-orch::master-key"} | ROUTE_CHECKS
PEAK_MEMORY_CAP_MIB = 300  # the whole pytest process, measured by GNU time in mini
RUN_SECONDS_CAP = 60
PROGRAMS_OF_A_RUN = ("id", "systemctl", "stat", "readlink", "head", "sha256sum", "ss", "journalctl", "sleep")


@dataclass
class Run:
    status: int
    output: str
    seconds: float
    run: SuiteRun


def run_in_mini(*pytest_args: str, env: str = "", wrapper: str = "", baseline: bool = True, user: str = topo.OWNER) -> Run:
    """The suite inside mini as the owner, its terminal output captured (the twin's own run_suite lets it through)."""
    latest = ROOT / "reports" / "latest"
    before = latest.resolve() if latest.exists() else None
    api.prepare_reports()
    command = api.suite_command(["-m", "local", *TWIN_SUITE_ARGS, *pytest_args])
    if not baseline:
        command = command.replace(" --baseline lab/baseline-twin.yaml", "", 1)
    if env or wrapper:
        command = command.replace(".venv/bin/python -m pytest", f"{env} {wrapper} .venv/bin/python -m pytest".strip(), 1)
    started = time.monotonic()
    p = subprocess.run(ssh.argv("mini", command, user=user), capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    after = latest.resolve()
    assert after != before, f"the run left no new run directory:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return Run(p.returncode, p.stdout + p.stderr, seconds, SuiteRun(p.returncode, after))


def as_root(script: str) -> None:
    result = api.exec_in("mini", ["sh", "-c", script])
    assert result.returncode == 0, f"{script}\n{result.stderr}"


@pytest.fixture(scope="module")
def every_check(twin) -> set[str]:
    green = run_in_mini()
    assert green.status == 0 and green.run.not_passed == set(), green.run.explain(green.run.not_passed)
    return {c["id"] for c in green.run.results["checks"]}


def assert_complete(run: Run, every_check: set[str]) -> None:
    listed = [c["id"] for c in run.run.results["checks"]]
    assert sorted(listed) == sorted(every_check), f"missing: {every_check - set(listed)}, extra: {set(listed) - every_check}"
    errors = {c["id"]: c["found"] for c in run.run.results["checks"] if c["status"] == "error"}
    assert not errors, errors


# --- secrets ------------------------------------------------------------------------------

CANARIES = ("CANARY-EXEC-APIKEY-01", "CANARY-EXEC-PASSWORD-02", "CANARY-EXEC-TOKEN-03", "CANARY-URL-PW-04",
            "CANARY-CONTINUED-05", "CANARY-PASS-06", "CANARY-AUTH-07", "CANARY CREDS 08", "CANARY-PG-09",
            "CANARY-BEARER-10", "CANARY-TAG-11", "CANARY-ANCHOR-12", "CANARY-BLOCK-13", "Kq7Z9w")
# Several sit inside drifted values, so failing messages carry them (exec-start, a route's
# api_base, DATA_DIR, the master key, literal api_keys); the rest sit in files the suite reads.
PLANT_SECRETS = f"""
set -e
for f in {LITELLM_UNIT} {ENV_LOCAL} {ROUTER} {WEBUI_ENV}; do cp -a "$f" "$f.canary-orig"; done
sed -i 's#--port 4000$#--port 4000 --api-key CANARY-EXEC-APIKEY-01 --password CANARY-EXEC-PASSWORD-02 --token=CANARY-EXEC-TOKEN-03#' {LITELLM_UNIT}
systemctl daemon-reload
sed -i 's#^JERRY_CHAT_API_BASE=http://#JERRY_CHAT_API_BASE=http://jerry:CANARY-URL-PW-04@#' {ENV_LOCAL}
sed -i '/^JERRY_TEST_API_KEY=/d' {ENV_LOCAL}
printf '%s\\n' 'JERRY_TEST_API_KEY=continued-first-line\\' 'CANARY-CONTINUED-05' 'DB_PASS=CANARY-PASS-06' \\
  'HA_AUTH=CANARY-AUTH-07' 'GCP_CREDENTIALS="CANARY CREDS 08"' 'SHORT_PASS=Kq7Z9w' >> {ENV_LOCAL}
sed -i 's#^DATA_DIR=.*#DATA_DIR=postgres://webui:CANARY-PG-09@db/webui#' {WEBUI_ENV}
printf '%s\\n' 'EXTRA_HEADER="Authorization: Bearer CANARY-BEARER-10"' >> {WEBUI_ENV}
sed -i 's#^general_settings:.*#general_settings:\\n  master_key: !!str CANARY-TAG-11#' {ROUTER}
sed -i '1i x-shared: &k CANARY-ANCHOR-12' {ROUTER}
sed -i 's#^      api_key: os.environ/JERRY_TEST_API_KEY$#      api_key: *k#' {ROUTER}
sed -i 's#^      api_key: os.environ/JERRY_EDITOR_API_KEY$#      api_key: |\\n        CANARY-BLOCK-13#' {ROUTER}
"""
REVERT_SECRETS = f"""
for f in {LITELLM_UNIT} {ENV_LOCAL} {ROUTER} {WEBUI_ENV}; do mv -f "$f.canary-orig" "$f"; done
systemctl daemon-reload
"""


def artifact_texts(run: Run) -> dict[str, str]:
    """What a person or a program can read of the run, per encoding, decoded."""
    texts = {"terminal": run.output}
    for path in sorted(run.run.run_dir.iterdir()):
        raw = text_of(path)
        if path.name.endswith(".json.gz"):  # the run's recording: what a replay would read
            texts[path.name] = "\n".join(_strings(json.loads(raw)))
        elif path.suffix == ".json":
            texts[path.name] = "\n".join(_strings(json.loads(raw)))
        elif path.suffix == ".xml":
            texts[path.name] = html.unescape(raw)
        elif path.suffix == ".html":
            page = html.unescape(raw)
            texts[path.name] = page
            texts[f"{path.name} attachments (base64)"] = "\n".join(
                base64.b64decode(chunk).decode(errors="replace") for chunk in re.findall(r"base64,([A-Za-z0-9+/=]+)", page))
    return texts


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def canaries_in(texts: dict[str, str]) -> dict[str, set[str]]:
    return {name: {c for c in CANARIES if c in text} for name, text in texts.items()}


def test_no_secret_reaches_any_artifact_in_any_encoding(twin, every_check):
    as_root(PLANT_SECRETS)
    try:
        leaky = run_in_mini(env="CONFORMANCE_SELFTEST_LEAK_SECRETS=1")
        redacted = run_in_mini()
    finally:
        as_root(REVERT_SECRETS)
    # the search works: without redaction every canary shows, and every encoding shows some
    found = canaries_in(artifact_texts(leaky))
    assert set().union(*found.values()) == set(CANARIES), f"never found: {set(CANARIES) - set().union(*found.values())}"
    for encoding in ("terminal", "junit.xml", "results.json", "commands.json", "report.html", "pytest-report.html",
                     "pytest-report.html attachments (base64)"):
        assert found.get(encoding), f"the search finds nothing in {encoding}: it would prove nothing there"
    assert "REDACTION DISABLED" in leaky.output
    # and with redaction, none anywhere
    for run in (redacted,):
        assert run.status == 1, run.output[-2000:]
        assert_complete(run, every_check)
        leaked = {name: sorted(c) for name, c in canaries_in(artifact_texts(run)).items() if c}
        assert not leaked, f"secrets reached artifacts: {leaked}"
    print(f"\ncanaries: {len(CANARIES)} planted; without redaction found per artifact: "
          + ", ".join(f"{k}={len(v)}" for k, v in found.items()))


# --- secret files through the owner's own tests (testinfra's idiom) ------------------------

NOTES = f"{HOME}/notes"
# Links an owner might make without knowing where they lead: to the file the inventory marks `secret: true`, to the
# run's own environment (the webhook URL), to the password database. Each target carries a canary while planted.
SECRET_NOTES = {"webui": f"{HOME}/open-webui/.webui_secret_key", "environ": "/proc/self/environ", "shadow": "/etc/shadow"}
READ_CANARIES = ("CANARY-WEBUI-KEY-21", "CANARY-WEBHOOK-22", "CANARY-SHADOW-23")
WEBHOOK_WITH_CANARY = "https://ha.example/api/webhook/CANARY-WEBHOOK-22"  # in the run's environment
CONTROL = "VISIBLE-CONTROL-24"  # in a plain note the same test reads: the search must find it, or it proves nothing
DROPPED_NOTES = ROOT / "tests" / "local" / "test_dropped_secret_notes.py"
NOTES_TEST = "\n\n".join(f'''def test_reads_the_{name}_note(host):
    assert host.file("{NOTES}/{name}.txt").content_string == "what I wrote"''' for name in [*SECRET_NOTES, "plain"]) + "\n"
PLANT_NOTES = f"""
set -e
cp -a {SECRET_NOTES['webui']} {SECRET_NOTES['webui']}.notes-orig && printf '%s' CANARY-WEBUI-KEY-21 > {SECRET_NOTES['webui']}
cp -a /etc/shadow /etc/shadow.notes-orig && echo 'notes-canary:CANARY-SHADOW-23:19000:0:99999:7:::' >> /etc/shadow
mkdir -p {NOTES} && printf '%s\\n' {CONTROL} > {NOTES}/plain.txt
""" + "".join(f"ln -sfn {target} {NOTES}/{name}.txt\n" for name, target in SECRET_NOTES.items()) + f"chown -hR {topo.OWNER}: {NOTES}\n"
REVERT_NOTES = f"""
mv -f {SECRET_NOTES['webui']}.notes-orig {SECRET_NOTES['webui']}
mv -f /etc/shadow.notes-orig /etc/shadow
rm -rf {NOTES}
"""


@pytest.mark.parametrize("user", [topo.OWNER, "root"])
def test_an_owners_test_never_reads_a_secret_through_a_link(twin, user):
    as_root(PLANT_NOTES)
    DROPPED_NOTES.write_text(NOTES_TEST)
    try:
        run = run_in_mini("-k", "dropped_secret_notes", env=f"LLM_LAB_WEBHOOK_URL={WEBHOOK_WITH_CANARY}", user=user)
    finally:
        DROPPED_NOTES.unlink()
        as_root(REVERT_NOTES)
    own = {t["test"].rsplit("::", 1)[-1]: t for t in run.run.results["tests"]}
    assert {name: t["outcome"] for name, t in own.items()} == {
        f"test_reads_the_{name}_note": "failed" for name in [*SECRET_NOTES, "plain"]}, own
    for name in SECRET_NOTES:
        assert f"{name}.txt is a secret file on mini (it is " in own[f"test_reads_the_{name}_note"]["message"], own
    texts = artifact_texts(run)
    found = {encoding for encoding, text in texts.items() if CONTROL in text}
    assert {"terminal", "junit.xml", "commands.json", "pytest-report.html attachments (base64)"} <= found, \
        f"the control note is not found in every artifact: the search would prove nothing there ({sorted(found)})"
    leaked = {name: sorted(c) for name, c in ((n, {c for c in READ_CANARIES if c in t}) for n, t in texts.items()) if c}
    assert not leaked, f"secrets reached artifacts: {leaked}"
    reads = [c for c in run.run.commands if c["command"].startswith("head ") and f"{NOTES}/" in c["command"]]
    assert {c["exit_status"] for c in reads if "plain" not in c["command"]} == {126}  # refused on the host: never run


# --- a hostile host ----------------------------------------------------------------------

HOSTILE = {
    "fifo-for-env-file": (
        f"mv {OV_ENV} {OV_ENV}.trust-orig && mkfifo -m 600 {OV_ENV} && chown {topo.OWNER}: {OV_ENV}",
        f"rm -f {OV_ENV} && mv {OV_ENV}.trust-orig {OV_ENV}",
        {"ov-server::path:env-file", "ov-server::env:OV_REGISTRY_PATH", "ov-server::env:OV_DEVICE", "ov-server::env:OV_MODEL_PATH"}),
    "dev-zero-for-router-yaml": (
        f"mv {ROUTER} {ROUTER}.trust-orig && ln -s /dev/zero {ROUTER}",
        f"rm -f {ROUTER} && mv {ROUTER}.trust-orig {ROUTER}",
        {"litellm-orch::path:router-yaml"} | ROUTER_CHECKS),
    "garbage-router-yaml": (
        f"cp -a {ROUTER} {ROUTER}.trust-orig && printf 'model_list: [\\001\\377\\376 {{{{ :: garbage\\n\\000' > {ROUTER}",
        f"mv -f {ROUTER}.trust-orig {ROUTER}",
        ROUTER_CHECKS),
    "directory-for-env-file": (
        f"mv {WEBUI_ENV} {WEBUI_ENV}.trust-orig && mkdir {WEBUI_ENV}",
        f"rmdir {WEBUI_ENV} && mv {WEBUI_ENV}.trust-orig {WEBUI_ENV}",
        {"open-webui::path:env-file", "open-webui::env:OPENAI_API_BASE_URL", "open-webui::env:DATA_DIR",
         "open-webui::env:OPENAI_API_KEY", "open-webui::env:ENABLE_OPENAI_API"}),
}


def programs_left_by_the_owner() -> list[str]:
    """Processes of the owner that a run starts (its commands, its watchdogs), still alive."""
    ps = api.exec_in("mini", ["ps", "-u", topo.OWNER, "-o", "pid=,comm="], check=True).stdout
    return [line.strip() for line in ps.splitlines() if line.split()[-1] in PROGRAMS_OF_A_RUN]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_documented_path_fails_its_checks_quickly_and_leaves_nothing(twin, every_check, case):
    plant, revert, expected = HOSTILE[case]
    as_root(plant)
    try:
        run = run_in_mini(wrapper="/usr/bin/time -f 'peak-rss-kib %M'")
    finally:
        as_root(revert)
    peak_mib = int(re.search(r"peak-rss-kib (\d+)", run.output).group(1)) / 1024
    print(f"\n{case}: {run.seconds:.1f} s, exit {run.status}, peak memory {peak_mib:.0f} MiB")
    assert run.seconds < RUN_SECONDS_CAP
    assert run.status == 1, run.output[-2000:]
    assert_complete(run, every_check)
    by_id = {c["id"]: c for c in run.run.results["checks"]}
    assert run.run.not_passed == expected, run.run.explain(run.run.not_passed ^ expected)
    assert {by_id[i]["status"] for i in expected} == {"failed"}, run.run.explain(expected)
    assert peak_mib < PEAK_MEMORY_CAP_MIB
    time.sleep(1.5)  # a watchdog's last 1 s step
    assert programs_left_by_the_owner() == []


# --- nothing runs outside the runner -------------------------------------------------------

def executed_programs(trace: str) -> list[str]:
    """The programs `strace -f -e trace=execve` saw executed (the call returned 0). With -f, strace splits a call
    another process interrupts into `PID execve("path", ... <unfinished ...>` and `PID <... execve resumed>) = 0`:
    the path is on the first line, the result on the second."""
    pending: dict[str, str] = {}
    found = []
    for line in trace.splitlines():
        pid, _, call = line.partition(" ")
        started = re.match(r'\s*execve\("([^"]+)"', call)
        if started and call.rstrip().endswith("<unfinished ...>"):
            pending[pid] = started[1]
        elif started and re.search(r"\)\s*=\s*0$", call):
            found.append(started[1])
        elif re.match(r"\s*<\.\.\. execve resumed>.*\)\s*=\s*0$", call) and pid in pending:
            found.append(pending.pop(pid))
    return found


def test_an_interrupted_execve_is_still_read_as_executed():
    trace = ('185   execve("/usr/bin/ssh", ["ssh", "-G"], 0x55 /* 24 vars */ <unfinished ...>\n'
             '188   execve("/usr/bin/head", ["head"], 0x56 /* 24 vars */) = 0\n'
             '185   <... execve resumed>)             = 0\n'
             '190   execve("/usr/bin/nope", ["nope"], 0x57 /* 24 vars */) = -1 ENOENT (No such file or directory)\n')
    assert executed_programs(trace) == ["/usr/bin/head", "/usr/bin/ssh"]


def test_every_program_a_run_executes_is_one_the_runner_sent(twin, every_check):
    trace = "/tmp/conformance-execve.trace"
    run = run_in_mini(wrapper=f"strace -f -qq -e trace=execve -o {trace}")
    assert run.status == 0, run.output[-2000:]
    text = api.exec_in("mini", ["cat", trace], check=True).stdout
    api.exec_in("mini", ["rm", "-f", trace])
    executed = {Path(p).name for p in executed_programs(text)}
    sent = {shlex.split(c["command"])[0] for c in run.run.commands}
    plumbing = {"python", "sh", "dash", "sleep"}  # pytest itself, the batch's shell, the watchdogs' steps
    unexpected = executed - sent - plumbing - {p for p in executed if p.startswith("python3")}
    print(f"\nexecuted: {sorted(executed)}")
    assert not unexpected, f"programs run outside the runner: {sorted(unexpected)}"
    assert sent - {"test"} <= executed  # `test` is the shell's own (testinfra's file checks ask it)


# --- "cannot verify" is never green for a nightly run -------------------------------------

def test_require_verified_fails_a_run_that_could_not_look(twin, every_check):
    """Without a baseline the "must not be modified" checks cannot verify: a skip, named; with
    --require-verified (the nightly option) the same run fails."""
    unmodified = {i for i in every_check if "::unmodified:" in i}
    lenient = run_in_mini(env="", wrapper="", baseline=False)
    strict = run_in_mini("--require-verified", baseline=False)
    for run in (lenient, strict):
        assert_complete(run, every_check)
        assert run.run.ids("cannot verify") == unmodified and run.run.not_passed == unmodified
        assert all("needs a recorded baseline" in c["found"] for c in run.run.results["checks"] if c["id"] in unmodified)
    assert lenient.status == 0 and f"{len(unmodified)} skipped" in lenient.output
    assert strict.status == 1 and f"{len(unmodified)} failed" in strict.output and "(--require-verified)" in strict.output
