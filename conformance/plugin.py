"""The pytest plugin: loads the inventory, hands checks to tests, records evidence, writes the run directory.

The module only adds options and, for a run of the conformance checks (tests/), registers a
ConformanceRun object that holds the run's state (pytest's own plugins do the same, e.g.
junitxml). Self-test runs never load the inventory.

Everything that leaves the process passes the session's Redactor here: failure, skip and
xfail messages, captured output, warnings, junit.xml and report.html (both built from the
reports this plugin redacts), the evidence attachments, results.json and commands.json.
"""
from __future__ import annotations

import math
import platform
import shlex
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .checks.derive import evaluate, host_checks
from .checks.contract import Layer, contract_checks, latency_summary
from .checks.finding import Check, Finding, Status
from .checks.waivers import Verdict, judge
from .facts.needs import HTTP
from .inventory import InventoryError, load_baseline, load_inventory, load_site, load_waivers
from .redaction import DISABLE_SWITCH, Redactor
from .report import new_run_dir, point_latest, write_json
from .report.model import UNFINISHED
from .report.summary import round_trips_said
from .report.render import write_report
from .report.topology import topology_of
from .runner.runner import COMMAND_TIMEOUT, ROUND_TRIP_TIMEOUT
from .runner import Runner
from .replay import Recorder, Recording, RecordingError, Replay, redacted_in_recording, write as write_recording
from .session import LazyHttpProbe, SuiteSession
from .site import SiteAddresses

LOCAL = "local"  # the marker of the host the suite runs on (--local-host)
CONTRACT = "contract"  # the marker (and folder) of the OpenAI-API contract's checks
CONTRACT_TEST_MARGIN = 30  # seconds of pytest's own work around a contract test
PLUGIN_NAME = "conformance-run"
RUN = pytest.StashKey["ConformanceRun"]()
FINDING = pytest.StashKey[tuple[Check, Finding]]()


def _no_processor_probe() -> None:
    """pytest-metadata asks Python's platform module for the processor, which runs `uname -p`: a
    program outside the runner. Answer it the way it would on Linux ("unknown", shown as blank)."""
    platform.uname().__dict__.setdefault("processor", "")


_no_processor_probe()


class SecurityFinding(UserWarning):
    """A documented state that is also a security exposure; shown, not failed."""


class OptionalAbsent(UserWarning):
    """Something documented as optional (an MLX port whose listening state varies) is absent now."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "LLM-lab conformance suite")
    group.addoption("--inventory", default=None, help="inventory file (default: inventory.yaml at the root)")
    group.addoption("--site", default=None, help="site override file mapping documented addresses (e.g. lab/site-twin.yaml)")
    group.addoption("--local-host", default=None,
                    help="inventory host that `-m local` runs on (default: mini, or the replayed run's)")
    group.addoption("--waivers", default=None,
                    help="waivers file: check id, reason, expiry (default: waivers.yaml at the root, if present)")
    group.addoption("--baseline", default=None,
                    help="baseline of services that must not be modified (default: baseline.yaml at the root, if present)")
    group.addoption("--require-verified", action="store_true",
                    help="a check that cannot be verified (a missing privilege or baseline) fails the run (nightly runs)")
    group.addoption("--command-timeout", type=float, default=COMMAND_TIMEOUT,
                    help=f"seconds a command may run on a host before it is killed there (default {COMMAND_TIMEOUT:g})")
    group.addoption("--request-timeout", type=float, default=None,
                    help="seconds every contract request may take, overriding the inventory's deadlines "
                         "(default: the inventory's, per route)")
    group.addoption("--round-trip-timeout", type=float, default=ROUND_TRIP_TIMEOUT,
                    help=f"seconds to wait for one batched round trip to a host (default {ROUND_TRIP_TIMEOUT:g})")
    # --ssh-config=FILE is testinfra's own option (same meaning): the remote hosts' ssh config,
    # by default the invoking user's ~/.ssh/config.
    group.addoption("--dry-run", action="store_true",
                    help="list, per host, every command and request the run would send, and send nothing")
    group.addoption("--report-dir", default=None, help="where run directories go (default: reports/ at the root)")
    group.addoption("--no-report", action="store_true", help="write no run directory")
    group.addoption("--run-dir-file", default=None,
                    help="write the run directory's path to this file as soon as it exists (for scripts: the nightly job, CI)")
    group.addoption("--replay", default=None, metavar="RUN_DIR",
                    help="judge a recorded run again with this code and no host: every answer comes from RUN_DIR's "
                         "recording, and its inventory, site, baseline, waivers, markers and local host unless given "
                         "anew; the new run directory says it is a replay")
    group.addoption("--no-record", action="store_true",
                    help="keep no recording of the hosts' and backends' answers in the run directory")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "checks(kind): parametrize a test with the inventory's checks of that kind")
    if not _is_conformance_run(config):
        return
    try:
        session = _load_session(config, Path(config.rootpath), _open_replay(config))
    except InventoryError as e:
        raise pytest.UsageError(str(e)) from None
    for host in session.inventory.hosts:  # `-m <host id or marker>` for every host, --strict-markers included
        for name in dict.fromkeys((host.id, host.checks_marker)):
            config.addinivalue_line("markers", f"{name}: the checks of inventory host {host.id} ({host.os})")
    run = ConformanceRun(config, session)
    config.stash[RUN] = run
    config.pluginmanager.register(run, PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        run.finish()
        config.pluginmanager.unregister(run, PLUGIN_NAME)


def _open_replay(config: pytest.Config) -> Replay | None:
    """--replay RUN_DIR: its recording, whose markers and verification rule apply unless given anew."""
    run_dir = config.getoption("--replay")
    if not run_dir:
        return None
    try:
        replay = Replay.of(run_dir)
    except RecordingError as e:
        raise pytest.UsageError(f"--replay: {e}") from None
    if not config.option.markexpr and replay.option("markers"):
        config.option.markexpr = replay.option("markers")
    if replay.option("require_verified"):
        config.option.require_verified = True
    return replay


def _load_session(config: pytest.Config, root: Path, replay: Replay | None = None) -> SuiteSession:
    """Inventory, site, baseline and waivers (a replay's own, unless given anew); any broken file raises
    InventoryError (FILE:LINE)."""
    recorded = (lambda name: replay.input(name)) if replay else (lambda name: None)
    inventory_path = config.getoption("--inventory") or recorded("inventory") or root / "inventory.yaml"
    inventory = load_inventory(inventory_path)
    site_path = config.getoption("--site") or recorded("site")
    site = load_site(site_path, inventory) if site_path else None
    local_host = config.getoption("--local-host") or (replay.option("local_host") if replay else None) or "mini"
    if local_host not in {h.id for h in inventory.hosts}:
        raise pytest.UsageError(f"--local-host={local_host}: no such host in {inventory_path} "
                                f"(hosts: {', '.join(h.id for h in inventory.hosts)})")
    session = SuiteSession(inventory, SiteAddresses(inventory, site), local_host,
                           command_timeout=config.getoption("--command-timeout"),
                           round_trip_timeout=config.getoption("--round-trip-timeout"),
                           ssh_config=config.getoption("--ssh-config"),
                           request_timeout=config.getoption("--request-timeout"), replay=replay,
                           **({"http": LazyHttpProbe(replay.recording.http)} if replay else {}))
    baseline = _optional_file(config, "--baseline", root / "baseline.yaml", recorded("baseline") if replay else None)
    if baseline:
        session.baseline = load_baseline(baseline)
    checks_by_host(session)
    checks = session.contract_checks + [c for host_checks_ in session.checks.values() for c in host_checks_]
    if not checks:
        raise pytest.UsageError(f"{inventory_path}: the inventory documents nothing to check on {local_host}")
    waivers = _optional_file(config, "--waivers", root / "waivers.yaml", recorded("waivers") if replay else None)
    if waivers:
        session.waivers = {w.check: w for w in load_waivers(waivers, [c.id for c in checks]).waivers}
    session.inputs = {name: str(path) for name, path in
                      (("inventory", inventory_path), ("site", site_path), ("baseline", baseline), ("waivers", waivers))
                      if path}
    return session


def checks_by_host(session: SuiteSession) -> None:
    """Every check of the inventory, read once: each host's, and the contract's."""
    inv, site = session.inventory, session.site
    session.checks = {host.id: host_checks(inv, site, host.id, session.baseline) for host in inv.hosts}
    session.contract_checks = list(contract_checks(inv))


def host_marks(session: SuiteSession, host_id: str) -> list[str]:
    """The markers a host's checks carry: its id and its marker, and `local` for the host the suite runs on."""
    host = session.inventory.host(host_id)
    return list(dict.fromkeys(([LOCAL] if host_id == session.local_host else []) + [host.id, host.checks_marker]))


def folder_host(session: SuiteSession, folder: str | None) -> str | None:
    """The host whose checks tests/<folder>/ holds: `local` is the run's own host, another a host's marker or id
    (the run's own host is `local`, never its own name's folder); None for any other folder."""
    if folder == LOCAL:
        return session.local_host
    return next((h.id for h in session.inventory.hosts if folder in (h.id, h.checks_marker)
                 and h.id != session.local_host), None)


def dry_run(session: SuiteSession) -> str:
    """Per host: how it is reached and every command and request the selected checks would send. Nothing is sent:
    an SSH backend only asks ssh where it would connect (`ssh -G`, which never connects)."""
    lines = [f"dry run against site {session.site.name}: nothing is sent"]
    for host in session.inventory.hosts:
        plan = session.plan(host.id)
        gets = [n.key for n in (session.selected or {}).get(host.id, []) if n.concept == HTTP]
        if not plan and not gets:
            continue
        backend = session.backend(host.id)
        how = "locally" if host.id == session.local_host else getattr(getattr(backend, "target", None), "how", None) \
            or getattr(backend, "reason", "over ssh")
        facts = session.host_facts(host.id, Runner(host.id, backend))
        lines.append(f"\n[{' '.join(host_marks(session, host.id))}] {host.id} ({how}), as {backend.user}:")
        for i, batch in enumerate(facts.planned(), 1):
            lines.append(f"  round trip {i}:")
            lines += [f"    {argv if isinstance(argv, str) else shlex.join(argv)}" for argv in batch]
        lines += [f"  from this host: GET {url}" for url in dict.fromkeys(gets)]
        close = getattr(backend, "close", None)
        if close:
            close()
    if any(c.kind == CONTRACT for c in session.selected_checks):
        lines.append("\n[contract] from this host, with the openai client (no retries):")
        lines += [f"  {line}" for line in session.contract().planned()]
    return "\n".join(lines)


def _optional_file(config: pytest.Config, option: str, default: Path, replayed: Path | None = None) -> Path | None:
    """The file the option names (which must then exist), else a replay's recorded one (which may be none),
    else the default when it exists."""
    given = config.getoption(option)
    if given:
        return Path(given)
    if config.getoption("--replay"):
        return replayed
    return default if default.exists() else None


def _is_conformance_run(config: pytest.Config) -> bool:
    """Runs of tests/ (the conformance checks) are conformance runs; self-tests are not."""
    tests = (Path(config.rootpath) / "tests").resolve()
    args = [a.split("::")[0] for a in config.args] or ["tests"]
    for arg in args:
        path = (Path(config.invocation_params.dir) / arg).resolve()
        if path == tests or tests in path.parents or path in tests.parents:
            return True
    return False


def _marker_of(path: Path, tests: Path) -> str | None:
    """tests/<marker>/test_x.py -> <marker>; None for a module directly under tests/ (or outside it)."""
    try:
        parts = path.relative_to(tests).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


def _check_of(item: pytest.Item) -> Check | None:
    check = getattr(item, "callspec", None) and item.callspec.params.get("check")
    return check if isinstance(check, Check) else None


class ConformanceRun:
    """The state and hooks of one conformance run (registered only for runs of tests/)."""

    def __init__(self, config: pytest.Config, session: SuiteSession) -> None:
        self.config = config
        self.session = session
        self.redact: Redactor = session.redactor
        self.results: list[dict] = []
        self.own_tests: list[dict] = []  # the owner's own tests (testinfra's idiom), not checks
        self.require_verified = config.getoption("--require-verified")
        self.started = datetime.now(timezone.utc)
        self.run_dir: Path | None = None
        self.exit_status: int | None = None
        self.stopped_early = ""  # why pytest stopped before the end (-x, --maxfail), if it did
        self.in_folders: set[str] = set()  # the checks a host's folder holds (the generic module holds the others)
        if not config.getoption("--no-report") and not config.option.collectonly and not config.getoption("--dry-run"):
            self._open_run_dir(Path(config.getoption("--report-dir") or Path(config.rootpath) / "reports"))

    def _open_run_dir(self, reports: Path) -> None:
        self.run_dir = new_run_dir(reports)
        if self.config.getoption("--run-dir-file"):
            Path(self.config.getoption("--run-dir-file")).write_text(f"{self.run_dir.resolve()}\n", encoding="utf-8")
        # report.html is the suite's own page, rendered from the run's JSON (conformance/report/);
        # pytest-html's page stays beside it for those who know it
        self.config.option.htmlpath = str(self.run_dir / "pytest-report.html")
        self.config.option.self_contained_html = True
        self.config.option.xmlpath = str(self.run_dir / "junit.xml")
        from pytest_metadata.plugin import metadata_key
        metadata = self.config.stash[metadata_key]
        metadata["Site"] = self.session.site.name
        metadata["Inventory"] = Path(self.config.getoption("--inventory") or "inventory.yaml").name
        if self.session.baseline:
            metadata["Baseline"] = f"site {self.session.baseline.site}, recorded {self.session.baseline.recorded:%Y-%m-%d}"
        if not self.redact.enabled:
            metadata["REDACTION"] = f"DISABLED by {DISABLE_SWITCH} (self-test only): this report may hold secrets"
        if self.session.replay:
            metadata["Replay of"] = f"run {self.session.replay.recording.run} (no host was contacted)"

    # --- collection ------------------------------------------------------------------------
    def pytest_report_header(self) -> list[str]:
        lines = [f"conformance: site {self.session.site.name}, local host {self.session.local_host}"]
        if self.session.replay:
            lines.append(f"conformance: REPLAY of run {self.session.replay.recording.run} "
                         f"({self.session.replay.source}): every answer comes from its recording, no host is contacted")
        if not self.redact.enabled:
            lines.append(f"conformance: REDACTION DISABLED by {DISABLE_SWITCH} (self-test only)")
        return lines

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """`@checks(kind...)`: the test runs once per check of those kinds (of every kind, without one) of its folder's
        host (tests/<marker>/), of the contract (tests/contract/), or of every host (a module directly in tests/:
        the generic module, for hosts no folder holds); each check carries its host's markers."""
        marker = metafunc.definition.get_closest_marker("checks")
        if marker is None or "check" not in metafunc.fixturenames:
            return
        folder = _marker_of(Path(metafunc.definition.path), Path(self.config.rootpath) / "tests")
        if folder == CONTRACT:
            checks, marks = self.session.contract_checks, lambda check: [CONTRACT]
        else:
            hosts = [folder_host(self.session, folder)] if folder else list(self.session.checks)
            checks = [c for host in hosts if host for c in self.session.checks.get(host, [])]
            marks = lambda check: host_marks(self.session, check.host)  # noqa: E731
        checks = [c for c in checks if not marker.args or c.kind in marker.args]
        if folder:
            self.in_folders.update(c.id for c in checks)
        else:  # the generic module, collected after every folder (see pytest_make_collect_report)
            checks = [c for c in checks if c.id not in self.in_folders]
        # a kind the inventory has no checks of is deselected below, not shown as a skip
        metafunc.parametrize("check", [pytest.param(c, id=c.id, marks=[getattr(pytest.mark, m) for m in marks(c)])
                                       for c in checks] or [pytest.param(None, id="none")])

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector):
        """tests/: its folders first, the modules directly in it (the generic module) last, so the generic module
        holds exactly the checks no folder's test holds."""
        report = yield
        if Path(collector.path) == Path(self.config.rootpath) / "tests" and isinstance(report.result, list):
            report.result.sort(key=lambda node: Path(node.path).is_file())  # stable: each side keeps its order
        return report

    @pytest.hookimpl(tryfirst=True)  # before pytest's own -m/-k deselection, which then sees every marker
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        tests = Path(config.rootpath) / "tests"
        empty = [i for i in items if getattr(i, "callspec", None) and "check" in i.callspec.params
                 and i.callspec.params["check"] is None]
        if empty:
            config.hook.pytest_deselected(items=empty)
        # a check a host's folder holds is its test there (the generic module collected first, when it is named
        # before a folder on the command line, holds it too: that test is deselected)
        in_folders = {c.id for i in items if (c := _check_of(i)) and _marker_of(Path(i.path), tests)}
        held = [i for i in items if (c := _check_of(i)) and not _marker_of(Path(i.path), tests) and c.id in in_folders]
        if held:
            config.hook.pytest_deselected(items=held)
        items[:] = [i for i in items if i not in empty and i not in held]
        for item in items:  # the owner's own tests (no check): their folder's markers
            folder = _marker_of(Path(item.path), tests)
            if _check_of(item) is None and folder:
                host = folder_host(self.session, folder)
                for name in [CONTRACT] if folder == CONTRACT else host_marks(self.session, host) if host else []:
                    item.add_marker(getattr(pytest.mark, name))
        self._bound_contract_tests([i for i in items if _marker_of(Path(i.path), tests) == CONTRACT])

    @pytest.hookimpl(trylast=True)  # after -m/-k and the `host` fixture's note of the owner's tests' hosts
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The selected checks decide what each host is asked (a deselected check costs nothing)."""
        self.session.select([c for item in session.items if (c := _check_of(item))])
        if self.config.getoption("--dry-run"):
            print(dry_run(self.session))
            pytest.exit("dry run: nothing was sent", returncode=0)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Before the first check: every selected host's facts at once (not with --collect-only: nothing is sent)."""
        if not session.config.option.collectonly and session.items:
            self.session.gather_at_once()

    def _bound_contract_tests(self, items: list[pytest.Item]) -> None:
        """pytest-timeout for each contract test, derived from the inventory's budgets: any of them may be the
        one that gathers every route's answers, which takes longer than pyproject's `timeout` when a route's
        budget is (jerry-architect: 6 requests of 120 s). Never below the configured timeout; none where the
        timeout is switched off. From the contract's plan alone: bounding a test imports no client."""
        if not items or self.session.inventory.contract is None:
            return
        from pytest_timeout import get_env_settings
        seconds = math.ceil(self.session.contract_test_seconds()) + CONTRACT_TEST_MARGIN
        configured = get_env_settings(self.config).timeout
        if configured and seconds > configured:
            for item in items:
                item.add_marker(pytest.mark.timeout(seconds))

    # --- running: one check -> a verdict -> a redacted report --------------------------------
    def verify(self, item: pytest.Item, check: Check) -> Finding:
        try:
            finding = evaluate(check, self.session.facts_for(check))
        except Exception as e:  # the host's facts could not even be set up: an error of this check, kept
            finding = Finding(Status.ERROR, check.title, f"{type(e).__name__}: {e}", "the suite")
        if self.session.replay:
            finding = redacted_in_recording(finding)
        item.stash[FINDING] = (check, finding)
        if finding.status is Status.ERROR:
            pytest.fail(self.redact(f"{check.id}: {finding.message}"), pytrace=False)
        outcome = judge(check.id, finding, self.session.waivers.get(check.id), self.session.as_of)
        message = self.redact(outcome.message)
        if outcome.verdict is Verdict.FAIL:
            pytest.fail(message, pytrace=False)
        if outcome.verdict is Verdict.NOT_APPLICABLE:
            warnings.warn(OptionalAbsent(message))
            pytest.skip(message)
        if outcome.verdict is Verdict.NOT_RUN:
            pytest.skip(message)
        if outcome.verdict is Verdict.CANNOT_VERIFY:
            if self.require_verified:
                pytest.fail(f"{message} (--require-verified)", pytrace=False)
            pytest.skip(message)
        if outcome.verdict is Verdict.WAIVED:
            pytest.xfail(message)
        if check.id in self.session.waivers:
            warnings.warn(UserWarning(message))
        if finding.note:
            warnings.warn(SecurityFinding(self.redact(f"{check.id}: {finding.note}")))
        return finding

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        report = yield
        self._redact_report(report)
        is_check = isinstance(getattr(item, "callspec", None) and item.callspec.params.get("check"), Check)
        if not is_check:
            if report.when == "call" or (report.when == "setup" and not report.passed):
                self._record_own_test(item, report)
        elif report.when == "call" or (report.failed and FINDING not in item.stash):
            self._record(item, report)
        return report

    def _record_own_test(self, item: pytest.Item, report) -> None:
        """A test of the owner's own: its outcome, and its commands as evidence under it."""
        message = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr or "")
        lines = [line for line in message.strip().splitlines() if line.strip()]
        self.own_tests.append({"test": item.nodeid, "outcome": report.outcome, "message": lines[-1] if lines else ""})
        sent = [r for r in self.session.records() if getattr(r, "test", None) == item.nodeid]
        if sent:
            try:
                from pytest_html import extras
            except ImportError:
                return
            text = "\n\n".join(r.render(self.redact) for r in sent)
            report.extras = getattr(report, "extras", []) + [extras.text(self.redact(text), name="commands")]

    def _redact_report(self, report) -> None:
        """The report feeds the terminal, junit.xml and report.html: redact what they will show."""
        if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:  # a skip: (path, line, message)
            path, line, message = report.longrepr
            report.longrepr = (path, line, self.redact(str(message)))
        elif report.longrepr is not None:
            report.longrepr = self.redact(str(report.longrepr))
        if hasattr(report, "wasxfail"):
            report.wasxfail = self.redact(report.wasxfail)
        report.sections = [(name, self.redact(content)) for name, content in report.sections]

    def _record(self, item: pytest.Item, report) -> None:
        if FINDING in item.stash:
            check, finding = item.stash[FINDING]
        else:  # a check whose test failed before it was verified (setup error): still listed, as an error
            check = getattr(item, "callspec", None) and item.callspec.params.get("check")
            if not isinstance(check, Check) or any(r["id"] == check.id for r in self.results):
                return
            reason = (str(report.longrepr).strip().splitlines() or ["error"])[-1]
            finding = Finding(Status.ERROR, check.title, reason, "the test")
        report.user_properties += [("check_id", check.id), ("source", self.redact(finding.source))]
        self._attach_evidence(report, check, finding)
        self.results.append({
            "id": check.id, "host": check.host, "kind": check.kind, "title": check.title, "source": check.source,
            "impact": check.impact.value, "status": finding.status.value, "expected": finding.expected,
            "found": finding.found, "missing": list(finding.missing), "extra": list(finding.extra),
            "evidence_source": finding.source, "note": finding.note, "test": item.nodeid,
            "waiver": _waiver_record(self.session.waivers.get(check.id)),
            "evidence": [r.render(self.redact) for r in finding.evidence],
        })

    def _attach_evidence(self, report, check: Check, finding: Finding) -> None:
        evidence = "\n\n".join(r.render(self.redact) for r in finding.evidence) or "(no command: the fact came from a file already read)"
        summary = (f"check: {check.id}  [{check.source}, impact {check.impact}]\n{check.title}\n"
                   f"status: {finding.status.value}\nexpected: {finding.expected}\nfound: {finding.found}\n"
                   f"source: {finding.source}" + (f"\nnote: {finding.note}" if finding.note else ""))
        try:
            from pytest_html import extras
        except ImportError:
            return
        report.extras = getattr(report, "extras", []) + [extras.text(self.redact(summary + "\n\n" + evidence), name="evidence")]

    # --- the end: summary and the run directory ---------------------------------------------
    def pytest_terminal_summary(self, terminalreporter) -> None:
        stats = self.session.host_stats()
        if stats:
            per_host = "; ".join(round_trips_said(h, s) for h, s in stats.items())
            terminalreporter.write_line(f"conformance: site {self.session.site.name}; sent: {per_host}")
        unverifiable = [r for r in self.results if r["status"] == "cannot verify"]
        if unverifiable:
            how = "failed (--require-verified)" if self.require_verified else "skipped"
            terminalreporter.write_line(f"conformance: {len(unverifiable)} check(s) could not be verified ({how})")
        for status, said in ((Status.UNPROVEN, "unproven at this site"), (Status.OPT_IN, "not run: opt-in")):
            named = [r["id"] for r in self.results if r["status"] == status.value]
            if named:  # listed by name: a fact the run could not stand behind is never silently green
                terminalreporter.write_line(f"conformance: {len(named)} check(s) {said}: {', '.join(named)}")
        errors = [r for r in self.results if r["status"] == "error"]
        if errors:
            terminalreporter.write_line(f"conformance: {len(errors)} check(s) raised an error: "
                                        + ", ".join(r["id"] for r in errors))
        for line in self._latency_lines():
            terminalreporter.write_line(line)
        if self.run_dir:
            terminalreporter.write_line(f"conformance: report {self.run_dir / 'report.html'}")

    def _latency_lines(self) -> list[str]:
        if not self.session.contract_gathered:
            return []
        return latency_lines(latency_summary(self.session.contract()))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        self.exit_status = int(exitstatus)
        # -x / --maxfail: exit status 1 like a drift, but the checks after the stop were never run
        stop = session.shouldfail or session.shouldstop
        self.stopped_early = str(stop) if stop else ""
        if self.run_dir is None:
            return
        # commands.json first: results.json (each written whole) is what makes the directory a complete run
        write_json(self.run_dir / "commands.json", [r.shown(self.redact) for r in self.session.records()])
        recorded = {}
        if not self.config.getoption("--no-record"):
            started = time.monotonic()
            path = write_recording(self.run_dir, self._recording(int(exitstatus)))
            # what keeping it costs, for `make demo` and the replay proof to print (never asserted)
            recorded = {"recording": {"bytes": path.stat().st_size, "seconds": round(time.monotonic() - started, 4)}}
        write_json(self.run_dir / "results.json", self.redact.data({
            "site": self.session.site.name, "site_id": self.session.site.id, "exit_status": int(exitstatus),
            **self._replay_of(), **recorded,
            "stopped_early": self.stopped_early,
            "require_verified": self.require_verified, "markers": self.config.getoption("markexpr") or "",
            "inventory": Path(self.config.getoption("--inventory") or "inventory.yaml").name,
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "hosts": {h: {"round_trips": s.round_trips, "tests_round_trips": s.tests_round_trips, "commands": s.commands}
                      for h, s in self.session.host_stats().items()},
            "checks": self.results, "tests": self.own_tests, **self._contract_summary(),
            "topology": topology_of(self.session.inventory, self.session.site),
            "not_modelled": [m.model_dump(include={"what", "reason", "source", "where"})
                             for m in self.session.inventory.not_modelled]}))
        write_report(self.run_dir, redact=self.redact)  # from the redacted JSON only, the previous run's too

    def _recording(self, exit_status: int) -> Recording:
        """What a later --replay needs, through this run's Redactor (conformance/replay/recording.py)."""
        recorder = Recorder(self.redact)
        key_env = self.session.inventory.litellm.master_key.key_env if self.session.inventory.litellm else None
        recording = Recording(
            run=self.run_dir.name, started=self.started.isoformat(timespec="seconds"),
            options={"markers": self.config.getoption("markexpr") or "", "local_host": self.session.local_host,
                     "require_verified": self.require_verified, "exit_status": exit_status,
                     "master_key_given": bool(key_env and self.session.contract_environ().get(key_env)),
                     "keys_given": [name for name in self.session.key_envs() if self.session.contract_environ().get(name)]},
            inputs={name: recorder.input(Path(path)) for name, path in self.session.inputs.items()},
            hosts={host: {"user": runner.user, "round_trips": [recorder.round_trip(t) for t in runner.round_trips]}
                   for host, runner in self.session.runners.items()},
            http=[kept for kept in map(recorder.http, self.session.http.exchanges) if kept is not None])
        recording.not_kept = recorder.not_kept
        return recording

    def _replay_of(self) -> dict:
        """results.json's "replay_of": which run this one judged again (absent for a run of the lab)."""
        replay = self.session.replay
        if not replay:
            return {}
        return {"replay_of": {"run": replay.recording.run, "started": replay.recording.started,
                              "exit_status": replay.option("exit_status")}}

    def _contract_summary(self) -> dict:
        """results.json's "contract": per route, latency both ways and the outcome of its checks."""
        if not self.session.contract_gathered:
            return {}
        summary = latency_summary(self.session.contract())
        for route in summary["routes"]:
            prefix = f"{route['backend']}::contract:{route['route']}:"
            mine = [r for r in self.results if r["id"].startswith(prefix)]
            states = {r["status"] for r in mine}
            route["outcome"] = next((s for s in ("error", "failed", "cannot verify", "not applicable") if s in states),
                                    "passed" if mine else "not run")
            route["layer"] = next((str(r["found"]).split(":", 1)[0] for r in mine
                                   if r["status"] == "failed" and str(r["found"]).split(":", 1)[0] in LAYERS), "")
        return {"contract": summary}

    def finish(self) -> None:
        self.session.close()
        # `latest` moves only to a run that finished (the lab matched or drifted), never an interrupted or crashed one
        finished = self.exit_status is not None and self.exit_status not in UNFINISHED and not self.stopped_early
        # nor to a replay: `latest` is the lab's last night, not a judgement of an old one
        if self.run_dir and finished and not self.session.replay and (self.run_dir / "report.html").exists():
            point_latest(self.run_dir)


LAYERS = {layer.value for layer in Layer}


def latency_lines(summary: dict) -> list[str]:
    """The terminal's latency lines: per route, directly -> through LiteLLM, a stream's TTFT and that same
    stream's total, then a non-streamed chat's total; the overhead is on the chat."""
    lines = [f"contract: {len(summary['routes'])} route(s) in {summary['wall_seconds']:.2f} s (concurrently); "
             "per route, direct -> through LiteLLM: a stream's TTFT / its total, and a chat's total "
             "(non-streamed); overhead on the chat"]
    for r in summary["routes"]:
        d, p = r["direct"], r["proxy"]
        lines.append(f"  {r['route']:<18} {_ms(d['ttft_seconds'])} / {_ms(d['stream_seconds'])}, "
                     f"{_ms(d['chat_seconds'])} -> {_ms(p['ttft_seconds'])} / {_ms(p['stream_seconds'])}, "
                     f"{_ms(p['chat_seconds'])}  overhead {_ms(r['overhead_seconds'])}")
    return lines


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _waiver_record(waiver) -> dict | None:
    return {"reason": waiver.reason, "expires": waiver.expires.isoformat()} if waiver else None


def pytest_html_report_title(report) -> None:
    report.title = "LLM-lab conformance"


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest) -> SuiteSession:
    return request.config.stash[RUN].session


@pytest.fixture
def verify(request: pytest.FixtureRequest):
    """verify(check): evaluate it on its host's facts and pass, fail, or skip as 'cannot verify'."""
    run = request.config.stash[RUN]
    return lambda check: run.verify(request.node, check)
