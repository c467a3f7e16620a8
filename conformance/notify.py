"""The notification: one POST to a webhook when a run has news, run by the nightly job after the run.

    python -m conformance.notify [--exit-status N] [--why TEXT] [RUN_DIR]

News is a new failure (a check failing now that did not fail in the previous run of the same site
and markers, a check that cannot be verified under --require-verified, which fails the run, or an
owner's own test failing now; with no previous run, any failure), a recovery (a check or an owner's
test that failed the previous run and passes now), or a run that itself crashed (no run directory,
no readable results.json, an interrupted run, or pytest's exit status 2 and up). Nothing else is
sent: a lab still failing the same way is not news.
`--why` adds how the run ended to a crash's verdict (deploy/nightly-stopped: the service stopped it).

Where the URL comes from (never from the repository): LLM_LAB_WEBHOOK_URL, else the file that
LLM_LAB_WEBHOOK_URL_FILE names, else ~/.config/llm-lab-conformance/webhook-url when it exists.
No URL: nothing is sent. The URL is a secret (a Home Assistant webhook id is a password that
needs no login): a Redactor learns it, and everything this module prints or writes shows the
target as `scheme://host:port/<redacted>`.

The POST is the one request of the suite that is not a read, and it goes only to that URL: JSON
(verdict, new failures and fixed checks by id, the report's path; no found value, no secret), a
DEADLINE for the whole request, no retries, no redirects followed, no proxy or netrc from the
environment. A failed POST never fails the run: this command exits 0 whatever happened, and
writes what happened (HTTP status, or the redacted error) to RUN_DIR/notification.json, which
report.html shows.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import httpx2

from .private import readable_by_others
from .redaction import Redactor
from .report.diff import compare, find_previous
from .report.model import Run, load_run
from .report.render import NOTIFICATION_MARK, REPORT, notification_section
from .report.rundir import write_text_atomic
from .report.summary import verdict

ENV_URL = "LLM_LAB_WEBHOOK_URL"
ENV_FILE = "LLM_LAB_WEBHOOK_URL_FILE"
DEFAULT_FILE = ".config/llm-lab-conformance/webhook-url"  # under the home directory
OUTCOME = "notification.json"
DEADLINE = 10.0
MAX_IDS = 50  # per list in the payload; more are counted, not listed
SUITE = "llm-lab-conformance"


@dataclass(frozen=True)
class Webhook:
    url: str
    origin: str  # where it was configured: the variable's name or the file's path

    @property
    def target(self) -> str:
        """The URL as it may be shown: scheme, host and port; the path (the secret part) redacted."""
        try:
            parts = urlsplit(self.url)
            host = parts.hostname or "?"
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return "<redacted>"
        host = f"[{host}]" if ":" in host else host
        return f"{parts.scheme}://{host}{port}/<redacted>"

    def redactor(self) -> Redactor:
        """A Redactor that knows the URL and its secret parts: the whole, the path, the query, the last path segment
        (a Home Assistant webhook id). Like every learned value, a part shorter than 8 characters is not learned."""
        redact = Redactor(enabled=True)
        for piece in _secret_pieces(self.url):
            redact.learn(piece)
        return redact


def _secret_pieces(url: str) -> list[str]:
    pieces = [url, url.rstrip("/")]
    try:
        parts = urlsplit(url)
    except ValueError:
        return pieces
    segments = [s for s in parts.path.split("/") if s]
    pieces += [parts.path, parts.query, parts.fragment] + segments[-1:]  # HA: /api/webhook/<id>
    if parts.password:
        pieces.append(parts.password)
    return [p for p in pieces if p]


def configured(env: dict[str, str] | None = None) -> tuple[Webhook | None, str | None]:
    """The webhook, or None; and a problem with its configuration, if any (said, never raised)."""
    env = os.environ if env is None else env
    if env.get(ENV_URL, "").strip():
        return Webhook(env[ENV_URL].strip(), ENV_URL), None
    named = env.get(ENV_FILE, "").strip()
    path = Path(named).expanduser() if named else Path(env.get("HOME") or Path.home()) / DEFAULT_FILE
    if not named and not path.exists():
        return None, None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, f"the webhook URL file {path} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})"
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return None, f"the webhook URL file {path} holds no URL"
    return Webhook(lines[0], str(path)), readable_by_others(path, "the webhook URL file")


# --- what there is to say ---------------------------------------------------------------------------
@dataclass(frozen=True)
class News:
    reasons: list[str]  # "crashed" | "new failure" | "recovery"
    payload: dict


def news(run: Run | None, previous: Run | None, exit_status: int | None) -> News | None:
    """What to tell about a run (None: nothing to say). `run` None: the run made no run directory."""
    status = exit_status if exit_status is not None else (run.exit_status if run is not None else None)
    crashed = run is None or not run.complete or (status is not None and status not in (0, 1))
    payload = {"suite": SUITE, "reasons": [], "site": None, "run": None, "verdict": None, "exit_status": status,
               "new_failures": [], "fixed": [], "previous_run": None, "report": None}
    if run is not None:
        payload.update(site=run.site_id or run.site or None, run=run.name,
                       report=str(run.path / REPORT) if (run.path / REPORT).exists() else None)
    if crashed:
        payload["reasons"] = ["crashed"]
        if run is None:
            payload["verdict"] = "The run crashed before it made a run directory" + (
                f" (exit status {status})" if status is not None else "")
        elif not run.complete:
            said = "" if status is None or run.unfinished and run.exit_status == status else f" (exit status {status})"
            payload["verdict"] = f"The run crashed: {run.problem}{said}"
        else:
            said = "" if run.exit_status == status else f" (exit status {status})"
            payload["verdict"] = f"The run crashed: {verdict(run).text}{said}"
        return News(["crashed"], payload)
    diff = compare(previous, run, values=False)
    if previous is None:  # the first run of its site and markers: every failure is news
        new, fixed = [c.id for c in run.checks if run.fails(c)] + run.failing_tests, []
    else:
        new = diff.new_failures
        fixed = [p.check.id for p in diff.fixed if p.before is not None and previous.fails(p.before)] + diff.fixed_tests
    reasons = (["new failure"] if new else []) + (["recovery"] if fixed else [])
    if not reasons:
        return None
    payload.update(reasons=reasons, verdict=verdict(run, diff).text, new_failures=_capped(new), fixed=_capped(fixed),
                   previous_run=previous.name if previous else None)
    for key, ids in (("new_failures_not_listed", new), ("fixed_not_listed", fixed)):
        if len(ids) > MAX_IDS:
            payload[key] = len(ids) - MAX_IDS
    return News(reasons, payload)


def _capped(ids: list[str]) -> list[str]:
    return ids[:MAX_IDS]


# --- the one POST -----------------------------------------------------------------------------------
def post(webhook: Webhook, payload: dict, deadline: float = DEADLINE,
         transport: httpx2.BaseTransport | None = None) -> dict:
    """POST the payload once; the outcome (status or error), with the URL redacted. Never raises."""
    redact = webhook.redactor()
    body = json.dumps(redact.data(payload), sort_keys=True).encode()
    result: dict = {}

    def send() -> None:
        try:
            if urlsplit(webhook.url).scheme not in ("http", "https"):
                result["error"] = "not an http(s) URL"
                return
            with httpx2.Client(timeout=deadline, follow_redirects=False, trust_env=False, transport=transport) as client:
                response = client.post(webhook.url, content=body, headers={"Content-Type": "application/json"})
                result["status"] = response.status_code
        except httpx2.TimeoutException:
            result["error"] = f"no answer within {deadline:g} s"
        except httpx2.ConnectError as e:
            text = str(e)
            result["error"] = "connection refused" if "refused" in text.lower() else f"cannot connect ({text or type(e).__name__})"
        except Exception as e:  # an invalid URL, a TLS failure, ...: said, never raised
            result["error"] = f"{type(e).__name__}: {e}"

    started = time.monotonic()
    worker = threading.Thread(target=send, name="webhook", daemon=True)
    worker.start()
    worker.join(deadline)  # the whole request, connect to answer, within the deadline
    seconds = round(time.monotonic() - started, 3)
    if worker.is_alive():
        result = {"error": f"no answer within {deadline:g} s"}
    status = result.get("status")
    outcome = {"sent": True, "target": webhook.target, "status": status, "seconds": seconds,
               "delivered": status is not None and 200 <= status < 300,
               "error": redact(result["error"]) if "error" in result else None}
    if status is not None and 300 <= status < 400:
        outcome["error"] = f"redirect not followed (HTTP {status})"
    elif status is not None and not outcome["delivered"]:
        outcome["error"] = f"HTTP {status}"
    return outcome


# --- the command ------------------------------------------------------------------------------------
def notify(run_dir: Path | None, exit_status: int | None, env: dict[str, str] | None = None,
           transport: httpx2.BaseTransport | None = None, deadline: float = DEADLINE, why: str = "") -> dict:
    """Decide, send (or not), record in RUN_DIR/notification.json and in its report.html. The outcome."""
    run = load_run(run_dir) if run_dir is not None and Path(run_dir).is_dir() else None
    previous = find_previous(run) if run is not None and run.complete else None
    webhook, problem = configured(env)
    found = news(run, previous, exit_status)
    if found is not None and why and "crashed" in found.reasons:
        found.payload["verdict"] += f"; {why}"
    outcome: dict = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "reasons": found.reasons if found else [], "sent": False}
    if found is None:
        outcome["why_not"] = "nothing new: no new failure, no recovery, and the run completed"
    elif webhook is None:
        outcome["why_not"] = "no webhook configured" + (f": {problem}" if problem else "")
    else:
        outcome.update(post(webhook, found.payload, deadline=deadline, transport=transport))
        outcome["payload"] = webhook.redactor().data(found.payload)
    if problem and webhook is not None:
        outcome["warning"] = problem
    if webhook is not None:
        outcome = webhook.redactor().data(outcome)
    if run is not None:
        _record(run.path, outcome)
    return outcome


def _record(run_dir: Path, outcome: dict) -> None:
    try:
        write_text_atomic(run_dir / OUTCOME, json.dumps(outcome, indent=2, sort_keys=True) + "\n")
        report = run_dir / REPORT
        if report.exists():
            text = report.read_text(encoding="utf-8")
            if NOTIFICATION_MARK in text:
                write_text_atomic(report, text.replace(NOTIFICATION_MARK, notification_section(outcome), 1))
    except OSError as e:  # a read-only run directory: the outcome is still printed
        print(f"notification: cannot record the outcome in {run_dir}: {e.strerror or e}", file=sys.stderr)


def describe(outcome: dict) -> str:
    """One line for the terminal and the journal (already redacted)."""
    if not outcome.get("sent"):
        return f"notification: not sent ({outcome.get('why_not', '?')})"
    what = ", ".join(outcome.get("reasons") or [])
    if outcome.get("delivered"):
        return f"notification: sent to {outcome['target']} ({what}): HTTP {outcome['status']} in {outcome['seconds']} s"
    return f"notification: NOT delivered to {outcome['target']} ({what}): {outcome.get('error')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.notify", description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir", nargs="?", type=Path, help="the run directory (absent: the run made none)")
    parser.add_argument("--exit-status", type=int, default=None, help="the suite's exit status (2 and up: it crashed)")
    parser.add_argument("--why", default="", help="how the run ended, added to a crash's verdict")
    args = parser.parse_args(argv)
    try:
        outcome = notify(args.run_dir, args.exit_status, why=args.why)
    except Exception as e:  # the notification never fails the run
        webhook, _ = configured()
        redact = webhook.redactor() if webhook else Redactor(enabled=True)
        print(redact(f"notification: failed: {type(e).__name__}: {e}"), file=sys.stderr)
        return 0
    print(describe(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
