"""A run directory as typed data: results.json (and commands.json) loaded into dataclasses.

These dataclasses are THE results model: the plugin's writer (conformance/plugin/results.py) builds a Run of
them and writes `results_json(run)`; `load_run` reads that file back into the same classes. A field marked
NOT_SAVED (the state shown, the directory's other files) is not in results.json; OPTIONAL is left out when None.

Loading never raises for what is in the directory: a missing, truncated or foreign results.json
gives a Run whose `problem` says what is wrong (a corrupt run is a value, not an exception).
Older runs that lack fields the plugin added later (site_id, markers, started, evidence, contract,
topology) load with empty defaults; so does any field of the contract's latency record that is missing
or of the wrong type (it shows as absent, never as an error).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from .rundir import stamp_of

RESULTS = "results.json"
COMMANDS = "commands.json"
NOTIFICATION = "notification.json"
MAX_JSON_BYTES = 64 * 1024 * 1024  # far above any real run (a few hundred KiB); a runaway file is a problem, not a hang

# The state a check is shown in: its status, with a failure under an unexpired waiver shown as "waived".
PASSED, FAILED, WAIVED = "passed", "failed", "waived"
CANNOT_VERIFY, NOT_APPLICABLE, ERROR = "cannot verify", "not applicable", "error"
NOT_RUN = "not run"  # only in comparisons: the check is in one of the two runs
OPT_IN, UNPROVEN = "not run: opt-in", "unproven"  # a paid route not opted in; a fact this site cannot prove
STATUSES = (PASSED, FAILED, CANNOT_VERIFY, NOT_APPLICABLE, ERROR, OPT_IN, UNPROVEN)
STATES = (ERROR, FAILED, WAIVED, CANNOT_VERIFY, UNPROVEN, OPT_IN, NOT_APPLICABLE, PASSED)  # worst first
FAILING = frozenset({FAILED, ERROR})  # what makes the morning report red
# pytest's exit status says whether the run finished: 0 (the lab matches) and 1 (it drifted) did. These did not:
# their results.json, when they wrote one, holds only what they got to, so they are never compared with, never
# `latest`, and never counted as a complete run.
UNFINISHED = {2: "the run was interrupted", 3: "the run stopped on an internal error",
              4: "the run stopped on a usage error", 5: "the run collected no test"}
# How bad a state is, worst first: a matrix cell, a topology node or edge shows its worst check.
SEVERITY = {ERROR: 0, FAILED: 1, WAIVED: 2, CANNOT_VERIFY: 3, UNPROVEN: 3.5, OPT_IN: 3.7, NOT_RUN: 4, NOT_APPLICABLE: 5,
            PASSED: 6}
SECURITY_PREFIX = "security:"
IMPACTS = {0.3: "low", 0.5: "medium", 0.7: "high", 0.9: "critical"}
NOT_SAVED = {"saved": False}  # derived when read, or another file of the run directory: not in results.json
OPTIONAL = {"optional": True}  # left out of results.json when None or empty (older readers never saw it)
AS_GIVEN = {"as_given": True}  # a check's own value (any JSON-like data): written as it is


@dataclass(frozen=True)
class Waiver:
    reason: str
    expires: str  # ISO date as written in waivers.yaml

    def expired_on(self, day: date | None) -> bool:
        """Expired for a run on `day` (the suite's rule: the expiry day itself is still covered)."""
        try:
            return day is not None and day > date.fromisoformat(self.expires)
        except ValueError:
            return False


@dataclass(frozen=True)
class CheckResult:
    id: str
    host: str
    kind: str = ""
    title: str = ""
    source: str = ""  # founding | companion | derived
    impact: float | None = None
    status: str = ""  # as recorded
    expected: object = field(default=None, metadata=AS_GIVEN)
    found: object = field(default=None, metadata=AS_GIVEN)
    missing: tuple = ()
    extra: tuple = ()
    evidence_source: str = ""
    note: str = ""
    test: str = ""
    waiver: Waiver | None = None
    evidence: tuple[str, ...] = ()
    state: str = field(default="", metadata=NOT_SAVED)  # status as shown: a waived failure is WAIVED; an unknown status is an ERROR

    @property
    def key(self) -> tuple[str, str]:
        return self.host, self.id

    @property
    def service(self) -> str:
        return self.id.split("::", 1)[0]

    @property
    def aspect(self) -> str:
        return self.id.split("::", 1)[1] if "::" in self.id else ""

    @property
    def failing(self) -> bool:
        return self.state in FAILING

    @property
    def security(self) -> bool:
        return self.note.startswith(SECURITY_PREFIX)

    @property
    def impact_name(self) -> str:
        if self.impact is None:
            return ""
        return IMPACTS.get(round(self.impact, 1), f"{self.impact:g}")


@dataclass(frozen=True)
class HostStats:
    round_trips: int | None = None  # every round trip the run sent to the host
    commands: int | None = None
    tests_round_trips: int | None = None  # of those, the owner's own tests' (testinfra's idiom); the rest, the facts'


@dataclass(frozen=True)
class OwnTest:
    """A test of the owner's own (testinfra's idiom): not a documented fact, shown with the commands it sent."""

    test: str
    outcome: str  # passed | failed | skipped
    message: str = ""


@dataclass(frozen=True)
class Command:
    host: str
    user: str
    command: str
    exit_status: int | None
    stdout: str
    stderr: str
    batch: int | None
    batch_seconds: float | None
    timed_out: bool
    test: str = ""  # the owner's test that sent it; "" for the facts' own commands


@dataclass(frozen=True)
class Timing:
    """One chat request of the contract run, to the backend directly or through LiteLLM (None: not measured)."""

    status: int | None = None  # HTTP status of the answer
    ttft_seconds: float | None = None  # a streamed request's time to its first token
    stream_seconds: float | None = None  # the same streamed request's total
    chat_seconds: float | None = None  # a non-streamed request's total
    tokens_per_second: float | None = None


@dataclass(frozen=True)
class RouteLatency:
    """A route of the contract run: who answers it, whether it answered as documented, and how fast."""

    route: str
    backend: str = ""  # the inventory's service id
    host: str = ""
    api: str = ""  # the backend's kind (the inventory's contract.apis id)
    expected: str = ""  # up | optional
    direct: Timing = Timing()
    proxy: Timing = Timing()
    overhead_seconds: float | None = None  # what LiteLLM adds: through minus direct (the non-streamed total)
    route_seconds: float | None = None  # the route's whole share of the contract run
    outcome: str = ""  # passed | failed | not applicable
    layer: str = ""  # where a failure sits ("backend down", ...); "" when it passed


@dataclass(frozen=True)
class Contract:
    """results.json's "contract": the OpenAI API through LiteLLM, route by route."""

    proxy: str = ""  # the base URL the run called
    wall_seconds: float | None = None
    routes: tuple[RouteLatency, ...] = ()

    def route(self, name: str) -> RouteLatency | None:
        return next((r for r in self.routes if r.route == name), None)


@dataclass(frozen=True)
class ReplayOf:
    """results.json's "replay_of": the run whose recording a replay (pytest --replay) judged again."""

    run: str
    started: str = ""  # as that run recorded it
    exit_status: int | None = None  # that run's own


@dataclass(frozen=True)
class RecordingCost:
    """results.json's "recording": what keeping the run's recording cost (printed by `make demo`, never asserted)."""

    bytes: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class NotModelled:
    """An inventory's `not_modelled` entry as results.json keeps it."""

    what: str
    reason: str
    source: str = ""
    where: str = ""


def _not_modelled(value) -> tuple[NotModelled, ...]:
    return tuple(NotModelled(_str(e.get("what")), _str(e.get("reason")), _str(e.get("source")), _str(e.get("where")))
                 for e in value or () if isinstance(e, dict))


@dataclass(frozen=True)
class Run:
    """A run directory; its fields in results.json's order (a NOT_SAVED one is not in it)."""

    path: Path = field(metadata=NOT_SAVED)
    problem: str | None = field(default=None, metadata=NOT_SAVED)  # None: a complete run; else why not (unreadable results.json, or the run did not finish)
    site: str = ""
    site_id: str | None = None
    exit_status: int | None = None
    replay: ReplayOf | None = field(default=None, metadata={**OPTIONAL, "key": "replay_of"})  # a replay (pytest --replay)
    recording: RecordingCost | None = field(default=None, metadata=OPTIONAL)  # a recorded run (not --no-record)
    stopped_early: str = ""  # pytest stopped before the end (-x, --maxfail): the later checks were never run
    require_verified: bool = False
    markers: str = ""
    inventory: str = ""
    started: datetime | None = None
    finished: datetime | None = None
    hosts: dict[str, HostStats] = field(default_factory=dict)
    checks: tuple[CheckResult, ...] = ()
    tests: tuple[OwnTest, ...] = ()  # the owner's own tests (testinfra's idiom)
    contract: Contract | None = field(default=None, metadata=OPTIONAL)  # None: the run made no contract calls (no section in the report)
    topology: dict | None = field(default=None, metadata=AS_GIVEN)  # the inventory's hosts, services and routes (conformance/report/topology.py)
    commands: tuple[Command, ...] = field(default=(), metadata=NOT_SAVED)  # commands.json
    commands_problem: str | None = field(default=None, metadata=NOT_SAVED)  # commands.json unreadable (the report still renders)
    notification: dict | None = field(default=None, metadata=NOT_SAVED)  # notification.json: what the nightly job's webhook POST did (conformance/notify.py)
    not_modelled: tuple[NotModelled, ...] = field(default=(), metadata=OPTIONAL)  # what the inventory says it does not check, and why (never a check)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def replay_of(self) -> str | None:
        """A replay: the run directory whose recording it judged again."""
        return self.replay.run if self.replay else None

    @property
    def night(self) -> bool:
        """A complete run of the lab itself: not a replay of one (a replay is never the night's run)."""
        return self.complete and not self.replay_of

    @property
    def unfinished(self) -> bool:
        """results.json was read, but the run did not finish (interrupted, crashed): see UNFINISHED."""
        return self.exit_status in UNFINISHED or bool(self.stopped_early)

    @property
    def complete(self) -> bool:
        return self.problem is None

    @property
    def when(self) -> datetime | None:
        """When the run started: from its directory name, else from results.json."""
        stamp = stamp_of(self.name)
        return stamp[0] if stamp else self.started

    @property
    def order(self) -> tuple[datetime, int]:
        """Sort key among runs: directory stamp and same-second counter; else the recorded start."""
        stamp = stamp_of(self.name)
        return stamp or (self.started or datetime.min.replace(tzinfo=timezone.utc), 0)

    @property
    def ended(self) -> datetime | None:
        """When the run finished (or, for an older run that did not record it, its best known time)."""
        return self.finished or self.started or self.when

    @property
    def group(self) -> tuple[str | None, str]:
        """Runs are compared only with runs of the same site and markers."""
        return self.site_id, self.markers

    def fails(self, check: CheckResult) -> bool:
        """The check fails this run: failed or error (a waived failure excluded), or, under --require-verified,
        could not be verified."""
        return check.failing or (self.require_verified and check.state == CANNOT_VERIFY)

    @property
    def failing_tests(self) -> list[str]:
        """The owner's own tests that failed (in their setup or their body), by pytest node id."""
        return [t.test for t in self.tests if t.outcome == FAILED]

    @property
    def host_names(self) -> list[str]:
        return list(dict.fromkeys([c.host for c in self.checks] + list(self.hosts)))


def results_json(run: Run) -> dict:
    """results.json's content, from the model: what `load_run` reads back into an equal Run (but for NOT_SAVED)."""
    return _saved(run)


def _saved(value):
    if is_dataclass(value):
        out = {}
        for f in fields(value):
            v = getattr(value, f.name)
            if f.metadata.get("saved", True) and not (f.metadata.get("optional") and (v is None or v == ())):
                out[f.metadata.get("key", f.name)] = v if f.metadata.get("as_given") else _saved(v)
        return out
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (list, tuple)):
        return [_saved(v) for v in value]
    if isinstance(value, dict):
        return {k: _saved(v) for k, v in value.items()}
    return value


def check_state(status: str, waiver: Waiver | None, day: date | None) -> str:
    """The state a check is shown in: a failure under a waiver unexpired on `day` is WAIVED; an unknown status an ERROR."""
    if status == FAILED and waiver is not None and not waiver.expired_on(day):
        return WAIVED
    return status if status in STATUSES else ERROR


def load_run(path: Path | str, *, evidence: bool = True, commands: bool = True, summary: bool = False) -> Run:
    """Read a run directory. Never raises for the directory's contents; see Run.problem.
    evidence=False / commands=False skip what an index does not show (faster over hundreds of runs);
    summary=True keeps of each check only what the index shows (host, id, kind, status, state, note), and
    no contract or topology: the index reads a year of runs."""
    path = Path(path)
    if path.is_symlink():  # reports/latest: the run is the directory it points to
        path = path.resolve()
    data, problem = _read_json(path / RESULTS)
    if problem == f"no {RESULTS}":
        problem += " (the run was interrupted, or is still running)"
    if problem is None and not isinstance(data, dict):
        problem = f"{RESULTS} is not a JSON object"
    if problem is None and not isinstance(data.get("checks"), list):
        problem = f"{RESULTS} has no list of checks"
    if problem is not None:
        return Run(path=path, problem=problem)
    started, finished = _time(data.get("started")), _time(data.get("finished"))
    when = started or (stamp_of(path.name) or (None,))[0]
    day = when.date() if when else None  # the day the run judged its waivers
    checks = []
    for n, raw in enumerate(data["checks"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            return Run(path=path, problem=f"{RESULTS}: check #{n} has no id")
        checks.append(_summary(raw, day) if summary else _check(raw, day, evidence))
    exit_status = _int(data.get("exit_status"))
    stopped_early = _str(data.get("stopped_early"))
    if exit_status in UNFINISHED:
        problem = f"{UNFINISHED[exit_status]} (exit status {exit_status}) after {len(checks)} check" + "s" * (len(checks) != 1)
    elif stopped_early:
        problem = f"the run stopped early ({stopped_early}) after {len(checks)} check" + "s" * (len(checks) != 1)
    run = Run(
        path=path, problem=problem, site=_str(data.get("site")), site_id=_opt_str(data.get("site_id")),
        exit_status=exit_status, stopped_early=stopped_early, require_verified=bool(data.get("require_verified")),
        replay=_replay(data.get("replay_of")), recording=_recording(data.get("recording")),
        markers=_str(data.get("markers")).strip(), inventory=_str(data.get("inventory")),
        started=started, finished=finished, hosts=host_stats(data.get("hosts")), checks=tuple(checks),
        tests=tuple(OwnTest(_str(t.get("test")), _str(t.get("outcome")), _str(t.get("message")))
                    for t in data.get("tests") or () if isinstance(t, dict)),
        contract=None if summary else _contract(data.get("contract")),
        topology=data.get("topology") if isinstance(data.get("topology"), dict) and not summary else None,
        not_modelled=() if summary else _not_modelled(data.get("not_modelled") if isinstance(data.get("not_modelled"),
                                                                                             list) else ()))
    if not commands or summary:
        return run
    records, commands_problem = _commands(path / COMMANDS)
    notification, _ = _read_json(path / NOTIFICATION) if (path / NOTIFICATION).exists() else (None, None)
    return replace(run, commands=records, commands_problem=commands_problem,
                   notification=notification if isinstance(notification, dict) else None)


def _replay(raw) -> ReplayOf | None:
    run = raw.get("run") if isinstance(raw, dict) else None
    if not isinstance(run, str) or not run:
        return None
    return ReplayOf(run, _str(raw.get("started")), _int(raw.get("exit_status")))


def _recording(raw) -> RecordingCost | None:
    return RecordingCost(_int(raw.get("bytes")), _measure(raw.get("seconds"))) if isinstance(raw, dict) else None


def _read_json(path: Path) -> tuple[object, str | None]:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_JSON_BYTES + 1)
    except FileNotFoundError:
        return None, f"no {path.name}"
    except OSError as e:
        return None, f"{path.name} cannot be read: {e.strerror or e}"
    if len(raw) > MAX_JSON_BYTES:
        return None, f"{path.name} is larger than {MAX_JSON_BYTES // (1024 * 1024)} MiB"
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError as e:
        return None, f"{path.name} is not UTF-8 (byte {e.start})"
    except json.JSONDecodeError as e:
        return None, f"{path.name} is not valid JSON ({e.msg} at line {e.lineno} column {e.colno})"
    except RecursionError:
        return None, f"{path.name} is nested too deeply"


def _state(raw: dict, day: date | None) -> tuple[str, Waiver | None, str]:
    """status as recorded, the waiver, and the state shown (a failure under an unexpired waiver is WAIVED)."""
    status = _str(raw.get("status"))
    waiver = raw.get("waiver")
    waiver = Waiver(_str(waiver.get("reason")), _str(waiver.get("expires"))) if isinstance(waiver, dict) else None
    return status, waiver, check_state(status, waiver, day)


def _summary(raw: dict, day: date | None) -> CheckResult:
    status, _, state = _state(raw, day)
    return CheckResult(id=raw["id"], host=_str(raw.get("host")), kind=_str(raw.get("kind")), status=status,
                       note=_str(raw.get("note")), state=state)


def _check(raw: dict, day: date | None, evidence: bool) -> CheckResult:
    status, waiver, state = _state(raw, day)
    return CheckResult(
        id=raw["id"], host=_str(raw.get("host")), kind=_str(raw.get("kind")), title=_str(raw.get("title")),
        source=_str(raw.get("source")), impact=_float(raw.get("impact")), status=status,
        expected=raw.get("expected"), found=raw.get("found"),
        missing=tuple(_list(raw.get("missing"))), extra=tuple(_list(raw.get("extra"))),
        evidence_source=_str(raw.get("evidence_source")), note=_str(raw.get("note")), test=_str(raw.get("test")),
        waiver=waiver, evidence=tuple(_str(e) for e in _list(raw.get("evidence"))) if evidence else (), state=state)


def _commands(path: Path) -> tuple[tuple[Command, ...], str | None]:
    data, problem = _read_json(path)
    if problem is not None:
        return (), problem
    if not isinstance(data, list):
        return (), f"{path.name} is not a JSON list"
    records = []
    for r in data:
        if not isinstance(r, dict):
            return tuple(records), f"{path.name}: a record is not a JSON object"
        records.append(Command(
            host=_str(r.get("host")), user=_str(r.get("user")), command=_str(r.get("command")),
            exit_status=_int(r.get("exit_status")), stdout=_str(r.get("stdout")), stderr=_str(r.get("stderr")),
            batch=_int(r.get("batch")), batch_seconds=_float(r.get("batch_seconds")), timed_out=bool(r.get("timed_out")),
            test=_str(r.get("test"))))
    return tuple(records), None


def _contract(raw) -> Contract | None:
    if not isinstance(raw, dict):
        return None
    routes = tuple(RouteLatency(
        route=_str(r.get("route")), backend=_str(r.get("backend")), host=_str(r.get("host")), api=_str(r.get("api")),
        expected=_str(r.get("expected")), outcome=_str(r.get("outcome")), layer=_str(r.get("layer")),
        direct=_timing(r.get("direct")), proxy=_timing(r.get("proxy")),
        overhead_seconds=_finite(r.get("overhead_seconds")), route_seconds=_measure(r.get("route_seconds")))
        for r in _list(raw.get("routes")) if isinstance(r, dict) and _str(r.get("route")))
    return Contract(proxy=_str(raw.get("proxy")), wall_seconds=_measure(raw.get("wall_seconds")), routes=routes)


def _timing(raw) -> Timing:
    if not isinstance(raw, dict):
        return Timing()
    # runs before the stream's own total was recorded called the non-streamed total `total_seconds`
    chat = raw.get("chat_seconds", raw.get("total_seconds"))
    return Timing(status=_int(raw.get("status")), ttft_seconds=_measure(raw.get("ttft_seconds")),
                  stream_seconds=_measure(raw.get("stream_seconds")), chat_seconds=_measure(chat),
                  tokens_per_second=_measure(raw.get("tokens_per_second")))


def _finite(v) -> float | None:
    """A number that can be shown (NaN and infinity, which Python's JSON accepts, cannot)."""
    f = _float(v)
    return f if f is not None and math.isfinite(f) else None


def _measure(v) -> float | None:
    """A duration or a rate: finite and not negative (an overhead may be negative: the proxy was faster)."""
    f = _finite(v)
    return f if f is not None and f >= 0 else None


def host_stats(raw) -> dict[str, HostStats]:
    """results.json's "hosts" (what each host was sent), as the model."""
    if not isinstance(raw, dict):
        return {}
    return {str(h): HostStats(_int(v.get("round_trips")), _int(v.get("commands")), _int(v.get("tests_round_trips")))
            if isinstance(v, dict) else HostStats() for h, v in raw.items()}


def _time(raw) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        t = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _str(v) -> str:
    return v if isinstance(v, str) else ("" if v is None else str(v))


def _opt_str(v) -> str | None:
    return None if v is None else _str(v)


def _int(v) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _float(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _list(v) -> list:
    return v if isinstance(v, list) else ([] if v is None else [v])
