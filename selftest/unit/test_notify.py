"""The notification (conformance/notify.py) against a webhook on 127.0.0.1: one POST on a new failure, a
recovery or a crashed run, none when there is nothing new; its outcome in notification.json and
report.html; the URL (a canary webhook id in it) in none of them, nor on the terminal, even when the POST
fails; and the Home Assistant stand-in answering and recording it as the twin's dietpi does.
"""
from __future__ import annotations

from selftest.artifacts import run_files

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance.notify import DEFAULT_FILE, ENV_FILE, ENV_URL, OUTCOME, Webhook, configured, notify
from conformance.report.render import write_report

from ._support import ROOT, environ_without_pytest_vars
from .test_report import GREEN, T0, check, dom, section, write_run

FAILING = check("litellm-orch::restart-sec", "failed", expected="RestartSec=2s", found="RestartSec=5s-FOUND-VALUE")


class Receiver:
    """A webhook on 127.0.0.1 that records every request and answers `status` (after `delay` seconds)."""

    def __init__(self, status: int = 200, delay: float = 0.0, location: str | None = None):
        self.requests: list[dict] = []
        self.status, self.delay, self.location = status, delay, location
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "body": body})
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, webhook_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/webhook/{webhook_id}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def canary() -> str:
    return "canary" + secrets.token_hex(16)


def nights(tmp_path: Path, *runs: list[dict], exit_status: int | None = None) -> Path:
    """Runs a day apart with report.html each (as the plugin leaves them); the last one's directory."""
    paths = [write_run(tmp_path / "reports", T0 + timedelta(days=i), checks, exit_status=exit_status if i == len(runs) - 1
                       else None) for i, checks in enumerate(runs)]
    for p in paths:
        write_report(p)
    return paths[-1]


def every_file(run: Path) -> str:
    return "\n".join(run_files(run).values())


def sent(receiver: Receiver) -> list[dict]:
    return [json.loads(r["body"]) for r in receiver.requests]


# --- when it speaks ---------------------------------------------------------------------------------
def test_a_new_failure_is_posted_once_and_recorded_without_the_url(tmp_path, receiver, canary, capsys):
    run = nights(tmp_path, GREEN, GREEN + [FAILING])
    outcome = notify(run, 1, env={ENV_URL: receiver.url(canary)})
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == f"/api/webhook/{canary}" and request["headers"]["Content-Type"] == "application/json"
    body = sent(receiver)[0]
    assert body["reasons"] == ["new failure"] and body["new_failures"] == ["litellm-orch::restart-sec"]
    assert body["fixed"] == [] and body["exit_status"] == 1 and body["run"] == run.name
    assert body["verdict"] == "1 check failing on mini, 1 new since the previous run"
    assert body["report"] == str(run / "report.html") and body["previous_run"] == "20261128T030000Z"
    assert "FOUND-VALUE" not in request["body"].decode() and canary not in request["body"].decode()  # no found value, no URL
    assert outcome["sent"] and outcome["delivered"] and outcome["status"] == 200
    assert outcome["target"] == f"http://127.0.0.1:{receiver.port}/<redacted>"
    recorded = json.loads((run / OUTCOME).read_text())
    assert recorded["status"] == 200 and recorded["payload"]["new_failures"] == ["litellm-orch::restart-sec"]
    page = dom((run / "report.html").read_text())
    assert section(page, "notification").startswith(
        f"Notification Sent to http://127.0.0.1:{receiver.port}/<redacted> (new failure): HTTP 200.")
    assert canary not in every_file(run)


def test_a_recovery_is_posted_with_the_fixed_ids(tmp_path, receiver, canary):
    run = nights(tmp_path, GREEN + [FAILING], GREEN + [check("litellm-orch::restart-sec", expected="RestartSec=2s")])
    notify(run, 0, env={ENV_URL: receiver.url(canary)})
    body = sent(receiver)
    assert len(body) == 1 and body[0]["reasons"] == ["recovery"]
    assert body[0]["fixed"] == ["litellm-orch::restart-sec"] and body[0]["new_failures"] == []
    assert body[0]["verdict"] == "All 4 checks pass on mini, 1 fixed since the previous run"


def test_a_new_failure_and_a_recovery_in_one_run_are_one_post(tmp_path, receiver, canary):
    other = check("ollama::restart", "failed", kind="restart", found="no")
    run = nights(tmp_path, GREEN + [FAILING], GREEN + [check("litellm-orch::restart-sec"), other])
    notify(run, 1, env={ENV_URL: receiver.url(canary)})
    body = sent(receiver)
    assert len(body) == 1 and body[0]["reasons"] == ["new failure", "recovery"]
    assert (body[0]["new_failures"], body[0]["fixed"]) == (["ollama::restart"], ["litellm-orch::restart-sec"])


@pytest.mark.parametrize("case", ["no results.json", "interrupted", "no run directory"])
def test_a_crashed_run_is_posted(tmp_path, receiver, canary, case):
    if case == "no run directory":
        run, status = None, 4
    elif case == "no results.json":
        run, status = tmp_path / "reports" / "20261129T030000Z", 2
        run.mkdir(parents=True)
    else:
        run, status = nights(tmp_path, GREEN, GREEN, exit_status=3), 3
    outcome = notify(run, status, env={ENV_URL: receiver.url(canary)})
    body = sent(receiver)
    assert len(body) == 1 and body[0]["reasons"] == ["crashed"] and body[0]["exit_status"] == status
    assert outcome["delivered"]
    if case == "no run directory":
        assert body[0]["verdict"] == "The run crashed before it made a run directory (exit status 4)"
        assert body[0]["run"] is None
    elif case == "no results.json":
        assert body[0]["verdict"].startswith("The run crashed: no results.json (the run was interrupted")
        assert json.loads((run / OUTCOME).read_text())["reasons"] == ["crashed"]
    else:
        assert body[0]["verdict"] == "The run crashed: the run stopped on an internal error (exit status 3) after 3 checks"


def test_nothing_new_sends_nothing_and_says_so(tmp_path, receiver, canary):
    for name, runs in (("still failing", (GREEN + [FAILING], GREEN + [FAILING])), ("green", (GREEN, GREEN)),
                       ("first and green", (GREEN,))):
        run = nights(tmp_path / name, *runs)
        outcome = notify(run, None, env={ENV_URL: receiver.url(canary)})
        assert not outcome["sent"] and outcome["why_not"].startswith("nothing new"), name
        assert "Not sent: nothing new" in section(dom((run / "report.html").read_text()), "notification")
    assert receiver.requests == []
    run = nights(tmp_path / "first and failing", GREEN + [FAILING])  # no previous run: every failure is news
    notify(run, 1, env={ENV_URL: receiver.url(canary)})
    assert sent(receiver)[0]["new_failures"] == ["litellm-orch::restart-sec"]


# --- what fails the run is news: a check unverified under --require-verified, an owner's own test ---------
UNVERIFIED = check("litellm-orch::json-logs-journal", "cannot verify", kind="journal",
                   found="cannot verify: needs membership in systemd-journal")
OWN_TEST = "tests/owner/test_my_lab.py::test_ollama_answers"


def runs(tmp_path: Path, *nights_kw: dict) -> Path:
    """Runs a day apart, each written with its own keywords (checks, require_verified, extra...); the last one."""
    paths = [write_run(tmp_path / "reports", T0 + timedelta(days=i), **kw) for i, kw in enumerate(nights_kw)]
    for p in paths:
        write_report(p)
    return paths[-1]


def own(outcome: str) -> dict:
    return {"tests": [{"test": OWN_TEST, "outcome": outcome, "message": "assert False" if outcome == "failed" else ""}]}


def test_a_check_newly_unverified_under_require_verified_is_a_new_failure(tmp_path, receiver, canary):
    run = runs(tmp_path, dict(checks=GREEN, require_verified=True),
               dict(checks=GREEN + [UNVERIFIED], require_verified=True, exit_status=1))
    outcome = notify(run, 1, env={ENV_URL: receiver.url(canary)})
    body = sent(receiver)
    assert len(body) == 1 and outcome["delivered"]
    assert body[0]["reasons"] == ["new failure"] and body[0]["new_failures"] == ["litellm-orch::json-logs-journal"]
    assert body[0]["verdict"] == ("All 3 checks pass on mini; 1 could not be verified "
                                  "(fails the run: --require-verified; 1 new)")
    page = dom((run / "report.html").read_text())
    assert "Newly unverified (fails the run: --require-verified) (1)" in section(page, "changes")


def test_unverified_without_require_verified_is_no_news_and_unverified_again_is_old_news(tmp_path, receiver, canary):
    run = runs(tmp_path / "skipped", dict(checks=GREEN), dict(checks=GREEN + [UNVERIFIED]))
    assert notify(run, 0, env={ENV_URL: receiver.url(canary)})["why_not"].startswith("nothing new")
    run = runs(tmp_path / "again", dict(checks=GREEN + [UNVERIFIED], require_verified=True, exit_status=1),
               dict(checks=GREEN + [UNVERIFIED], require_verified=True, exit_status=1))
    assert notify(run, 1, env={ENV_URL: receiver.url(canary)})["why_not"].startswith("nothing new")
    assert receiver.requests == []


def test_a_check_verified_again_under_require_verified_is_a_recovery(tmp_path, receiver, canary):
    verified = check("litellm-orch::json-logs-journal", kind="journal")
    run = runs(tmp_path, dict(checks=GREEN + [UNVERIFIED], require_verified=True, exit_status=1),
               dict(checks=GREEN + [verified], require_verified=True))
    notify(run, 0, env={ENV_URL: receiver.url(canary)})
    assert [(b["reasons"], b["fixed"]) for b in sent(receiver)] == [(["recovery"], ["litellm-orch::json-logs-journal"])]


def test_an_owners_test_newly_failing_is_a_new_failure_and_its_pass_a_recovery(tmp_path, receiver, canary):
    run = runs(tmp_path / "fails", dict(checks=GREEN, extra=own("passed")),
               dict(checks=GREEN, extra=own("failed"), exit_status=1))
    notify(run, 1, env={ENV_URL: receiver.url(canary)})
    body = sent(receiver)
    assert len(body) == 1 and body[0]["reasons"] == ["new failure"] and body[0]["new_failures"] == [OWN_TEST]
    assert body[0]["verdict"] == "All 3 checks pass on mini; 1 own test failing (1 new)"
    assert "Your own tests newly failing (1)" in section(dom((run / "report.html").read_text()), "changes")
    run = runs(tmp_path / "still", dict(checks=GREEN, extra=own("failed"), exit_status=1),
               dict(checks=GREEN, extra=own("failed"), exit_status=1))
    assert notify(run, 1, env={ENV_URL: receiver.url(canary)})["why_not"].startswith("nothing new")
    run = runs(tmp_path / "fixed", dict(checks=GREEN, extra=own("failed"), exit_status=1),
               dict(checks=GREEN, extra=own("passed")))
    notify(run, 0, env={ENV_URL: receiver.url(canary)})
    assert [(b["reasons"], b["fixed"]) for b in sent(receiver)[1:]] == [(["recovery"], [OWN_TEST])]


def test_a_first_run_tells_every_failure_of_the_run(tmp_path, receiver, canary):
    run = runs(tmp_path, dict(checks=GREEN + [FAILING, UNVERIFIED], require_verified=True, extra=own("failed"),
                              exit_status=1))
    notify(run, 1, env={ENV_URL: receiver.url(canary)})
    assert sent(receiver)[0]["new_failures"] == ["litellm-orch::restart-sec", "litellm-orch::json-logs-journal", OWN_TEST]


def test_no_webhook_configured_sends_nothing(tmp_path):
    run = nights(tmp_path, GREEN, GREEN + [FAILING])
    outcome = notify(run, 1, env={"HOME": str(tmp_path / "home")})
    assert outcome == {**outcome, "sent": False, "why_not": "no webhook configured", "reasons": ["new failure"]}


# --- when the POST fails: the run does not, and the URL stays hidden ----------------------------------
def test_an_unreachable_webhook_is_recorded_redacted_and_the_command_exits_0(tmp_path, canary):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = nights(tmp_path, GREEN, GREEN + [FAILING])
    url = f"http://127.0.0.1:{port}/api/webhook/{canary}"
    done = subprocess.run([sys.executable, "-m", "conformance.notify", "--exit-status", "1", str(run)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env={**environ_without_pytest_vars(), ENV_URL: url, "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"notification: NOT delivered to http://127.0.0.1:{port}/<redacted> (new failure): "
                                   "connection refused")
    recorded = json.loads((run / OUTCOME).read_text())
    assert (recorded["sent"], recorded["delivered"], recorded["status"], recorded["error"]) == \
        (True, False, None, "connection refused")
    assert "Not delivered to" in section(dom((run / "report.html").read_text()), "notification")
    assert canary not in done.stdout + done.stderr + every_file(run)


def test_an_error_that_quotes_the_url_is_redacted(tmp_path, canary):
    run = nights(tmp_path, GREEN, GREEN + [FAILING])
    outcome = notify(run, 1, env={ENV_URL: f"http://127.0.0.1:99999/api/webhook/{canary}"})  # port out of range
    assert outcome["sent"] and not outcome["delivered"] and outcome["error"]
    assert canary not in json.dumps(outcome) and canary not in every_file(run)
    outcome = notify(run, 1, env={ENV_URL: f"ftp://127.0.0.1/api/webhook/{canary}"})
    assert outcome["error"] == "not an http(s) URL" and canary not in json.dumps(outcome)


def test_the_deadline_bounds_the_whole_request(tmp_path, canary):
    slow = Receiver(delay=3)
    try:
        run = nights(tmp_path, GREEN, GREEN + [FAILING])
        started = time.monotonic()
        outcome = notify(run, 1, env={ENV_URL: slow.url(canary)}, deadline=0.5)
        assert time.monotonic() - started < 2.5
        assert outcome["error"] == "no answer within 0.5 s" and not outcome["delivered"]
        assert len(slow.requests) == 1  # sent once, not retried
    finally:
        slow.close()


def test_a_redirect_is_not_followed(tmp_path, canary):
    moved = Receiver(status=302, location="http://127.0.0.1:9/elsewhere")
    try:
        run = nights(tmp_path, GREEN, GREEN + [FAILING])
        outcome = notify(run, 1, env={ENV_URL: moved.url(canary)})
        assert len(moved.requests) == 1 and outcome["status"] == 302
        assert outcome["error"] == "redirect not followed (HTTP 302)" and not outcome["delivered"]
    finally:
        moved.close()


# --- where the URL comes from -------------------------------------------------------------------------
def test_the_url_comes_from_the_environment_a_named_file_or_the_default_file(tmp_path, canary):
    home = tmp_path / "home"
    default = home / DEFAULT_FILE
    assert configured({"HOME": str(home)}) == (None, None)
    default.parent.mkdir(parents=True)
    default.write_text(f"# the lab's Home Assistant\nhttp://127.0.0.1:8123/api/webhook/{canary}\n")
    os.chmod(default, 0o600)
    assert configured({"HOME": str(home)}) == (Webhook(f"http://127.0.0.1:8123/api/webhook/{canary}", str(default)), None)
    named = tmp_path / "url"
    named.write_text("http://127.0.0.1:1/api/webhook/other-id-123\n")
    os.chmod(named, 0o644)
    webhook, problem = configured({"HOME": str(home), ENV_FILE: str(named)})
    assert webhook.url.endswith("other-id-123") and "readable by others than its owner" in problem
    assert configured({"HOME": str(home), ENV_FILE: str(named), ENV_URL: "http://127.0.0.1:2/x"})[0].origin == ENV_URL
    webhook, problem = configured({ENV_FILE: str(tmp_path / "missing")})
    assert webhook is None and "cannot be read" in problem
    empty = tmp_path / "empty"
    empty.write_text("# nothing yet\n")
    assert configured({ENV_FILE: str(empty)}) == (None, f"the webhook URL file {empty} holds no URL")


def test_the_webhook_redactor_hides_the_url_and_its_id_everywhere(canary):
    webhook = Webhook(f"https://user:pw-123456789@ha.example:8443/api/webhook/{canary}?x=1", "test")
    redact = webhook.redactor()
    for text in (webhook.url, f"error for url '{webhook.url}'", f"/api/webhook/{canary}", canary, "pw-123456789"):
        assert canary not in redact(text) and "pw-123456789" not in redact(text)
    assert webhook.target == "https://ha.example:8443/<redacted>"
    assert redact("litellm-orch::restart-sec failed on mini") == "litellm-orch::restart-sec failed on mini"


# --- Home Assistant's answer, as the twin's dietpi gives it ----------------------------------------------
def test_the_home_assistant_stand_in_answers_a_webhook_200_and_records_it(tmp_path, canary):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "config"
    config.mkdir()
    (config / "configuration.yaml").write_text(f"default_config:\nhttp:\n  server_host: 127.0.0.1\n  server_port: {port}\n")
    record = tmp_path / "run" / "webhooks.jsonl"
    hass = subprocess.Popen([sys.executable, str(ROOT / "lab" / "standins" / "home_assistant.py"), "-c", str(config)],
                            env={"PATH": os.environ["PATH"], "HASS_TWIN_WEBHOOK_RECORD": str(record)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(port)
        run = nights(tmp_path / "r", GREEN, GREEN + [FAILING])
        outcome = notify(run, 1, env={ENV_URL: f"http://127.0.0.1:{port}/api/webhook/{canary}"})
        assert outcome["delivered"] and outcome["status"] == 200
        import httpx2
        with httpx2.Client(trust_env=False) as client:
            answer = client.post(f"http://127.0.0.1:{port}/api/webhook/unknown-id", content=b"{}")
            assert (answer.status_code, answer.content, answer.headers["Content-Type"]) == (200, b"", "application/octet-stream")
            assert client.get(f"http://127.0.0.1:{port}/api/webhook/{canary}").status_code == 200
            assert client.get(f"http://127.0.0.1:{port}/api/states").status_code == 401
        lines = [json.loads(line) for line in record.read_text().splitlines()]
        assert [(x["method"], x["webhook_id"]) for x in lines] == [("POST", canary), ("POST", "unknown-id")]
        assert json.loads(lines[0]["body"])["new_failures"] == ["litellm-orch::restart-sec"]
        assert oct(record.stat().st_mode & 0o777) == "0o600"
    finally:
        hass.terminate()
        output = hass.communicate(timeout=10)[0]
    assert f"[homeassistant.components.webhook] Received message for unregistered webhook {canary} from 127.0.0.1" in output


def _wait_for(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")
