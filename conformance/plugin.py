"""The pytest plugin: loads the inventory, hands checks to tests, records evidence, writes the run directory."""
from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pytest

from .checks.catalog import evaluate, local_checks
from .checks.finding import Check, Finding
from .checks.waivers import Verdict, judge
from .inventory import InventoryError, load_baseline, load_inventory, load_site, load_waivers
from .report import new_run_dir, point_latest, write_json
from .session import SuiteSession
from .site import SiteView

MARKERS = ("local", "studio", "contract", "dietpi")
SESSION = pytest.StashKey[SuiteSession]()
RUN_DIR = pytest.StashKey[Path]()
FINDING = pytest.StashKey[tuple[Check, Finding]]()
RESULTS = pytest.StashKey[list]()
_CATALOG = pytest.StashKey[list]()


class SecurityFinding(UserWarning):
    """A documented state that is also a security exposure; shown, not failed."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "LLM-lab conformance suite")
    group.addoption("--inventory", default=None, help="inventory file (default: inventory.yaml at the root)")
    group.addoption("--site", default=None, help="site override file mapping documented addresses (e.g. lab/site-twin.yaml)")
    group.addoption("--local-host", default="mini", help="inventory host that `-m local` runs on (default: mini)")
    group.addoption("--waivers", default=None,
                    help="waivers file: check id, reason, expiry (default: waivers.yaml at the root, if present)")
    group.addoption("--baseline", default=None,
                    help="baseline of services that must not be modified (default: baseline.yaml at the root, if present)")
    group.addoption("--report-dir", default=None, help="where run directories go (default: reports/ at the root)")
    group.addoption("--no-report", action="store_true", help="write no run directory")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "checks(kind): parametrize a test with the inventory's checks of that kind")
    root = Path(config.rootpath)
    try:
        session = _load_session(config, root)
    except InventoryError as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[SESSION] = session
    config.stash[RESULTS] = []
    if _is_conformance_run(config) and not config.getoption("--no-report") and not config.option.collectonly:
        run = new_run_dir(Path(config.getoption("--report-dir") or root / "reports"))
        config.stash[RUN_DIR] = run
        config.option.htmlpath = str(run / "report.html")
        config.option.self_contained_html = True
        config.option.xmlpath = str(run / "junit.xml")
        from pytest_metadata.plugin import metadata_key
        metadata = config.stash[metadata_key]
        metadata["Site"] = session.site.name
        metadata["Inventory"] = Path(config.getoption("--inventory") or "inventory.yaml").name
        if session.baseline:
            metadata["Baseline"] = f"site {session.baseline.site}, recorded {session.baseline.recorded:%Y-%m-%d}"


def _load_session(config: pytest.Config, root: Path) -> SuiteSession:
    """Inventory, site, baseline and waivers; any broken file raises InventoryError (FILE:LINE)."""
    inventory = load_inventory(config.getoption("--inventory") or root / "inventory.yaml")
    site_path = config.getoption("--site")
    site = load_site(site_path, inventory) if site_path else None
    session = SuiteSession(inventory, SiteView(inventory, site), config.getoption("--local-host"))
    baseline = _optional_file(config, "--baseline", root / "baseline.yaml")
    if baseline:
        session.baseline = load_baseline(baseline)
    waivers = _optional_file(config, "--waivers", root / "waivers.yaml")
    if waivers:
        check_ids = [c.id for c in _catalog(config, session)]
        session.waivers = {w.check: w for w in load_waivers(waivers, check_ids).waivers}
    return session


def _optional_file(config: pytest.Config, option: str, default: Path) -> Path | None:
    """The file the option names (which must then exist), else the default when it exists."""
    given = config.getoption(option)
    return Path(given) if given else (default if default.exists() else None)


def _is_conformance_run(config: pytest.Config) -> bool:
    """Runs of tests/ (the conformance checks) get a run directory; self-tests do not."""
    tests = (Path(config.rootpath) / "tests").resolve()
    args = [a.split("::")[0] for a in config.args] or ["tests"]
    for arg in args:
        path = (Path(config.invocation_params.dir) / arg).resolve()
        if path == tests or tests in path.parents or path in tests.parents:
            return True
    return False


def pytest_html_report_title(report) -> None:
    report.title = "LLM-lab conformance"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("checks")
    if marker is None or "check" not in metafunc.fixturenames:
        return
    session = metafunc.config.stash[SESSION]
    checks = [c for c in _catalog(metafunc.config, session) if c.kind in marker.args]
    metafunc.parametrize("check", checks, ids=[c.id for c in checks])


def _catalog(config: pytest.Config, session: SuiteSession) -> list[Check]:
    if _CATALOG not in config.stash:
        config.stash[_CATALOG] = local_checks(session.inventory, session.site, session.local_host, session.baseline)
    return config.stash[_CATALOG]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(config.rootpath) / "tests"
    for item in items:
        try:
            part = Path(item.path).relative_to(tests).parts[0]
        except ValueError:
            continue
        if part in MARKERS:
            item.add_marker(getattr(pytest.mark, part))


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest) -> SuiteSession:
    return request.config.stash[SESSION]


@pytest.fixture
def verify(request: pytest.FixtureRequest, suite: SuiteSession):
    """verify(check): evaluate it on its host's facts and pass, fail, or skip as 'cannot verify'."""

    def _verify(check: Check) -> Finding:
        finding = evaluate(check, suite.facts(check.host))
        request.node.stash[FINDING] = (check, finding)
        outcome = judge(check.id, finding, suite.waivers.get(check.id), date.today())
        if outcome.verdict is Verdict.FAIL:
            pytest.fail(outcome.message, pytrace=False)
        if outcome.verdict is Verdict.CANNOT_VERIFY:
            pytest.skip(outcome.message)
        if outcome.verdict is Verdict.WAIVED:
            pytest.xfail(outcome.message)
        if check.id in suite.waivers:
            warnings.warn(UserWarning(outcome.message))
        if finding.note:
            warnings.warn(SecurityFinding(f"{check.id}: {finding.note}"))
        return finding

    return _verify


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or FINDING not in item.stash:
        return
    check, finding = item.stash[FINDING]
    report.user_properties += [("check_id", check.id), ("source", finding.source)]
    redact = item.config.stash[SESSION].redactor  # again: secrets learned after a record was made
    evidence = "\n\n".join(redact(r.render()) for r in finding.evidence) or "(no command: the fact came from a file already read)"
    summary = (f"check: {check.id}  [{check.source}, impact {check.impact}]\n{check.title}\n"
               f"status: {finding.status.value}\nexpected: {finding.expected}\nfound: {finding.found}\n"
               f"source: {finding.source}" + (f"\nnote: {finding.note}" if finding.note else ""))
    try:
        from pytest_html import extras
        report.extras = getattr(report, "extras", []) + [extras.text(redact(summary + "\n\n" + evidence), name="evidence")]
    except ImportError:
        pass
    item.config.stash[RESULTS].append({
        "id": check.id, "host": check.host, "title": check.title, "source": check.source, "impact": check.impact,
        "status": finding.status.value, "expected": finding.expected, "found": finding.found,
        "missing": list(finding.missing), "extra": list(finding.extra), "evidence_source": finding.source,
        "note": finding.note, "test": item.nodeid,
        "waiver": _waiver_record(item.config.stash[SESSION].waivers.get(check.id)),
    })


def _waiver_record(waiver) -> dict | None:
    return {"reason": waiver.reason, "expires": waiver.expires.isoformat()} if waiver else None


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    session = config.stash.get(SESSION, None)
    if session is None:
        return
    counts = session.command_counts()
    if counts:
        per_host = ", ".join(f"{h}: {trips} round trip(s), {n} command(s)" for h, (trips, n) in counts.items())
        terminalreporter.write_line(f"conformance: site {session.site.name}; commands per host: {per_host}")
    results = config.stash[RESULTS]
    unverifiable = [r for r in results if r["status"] == "cannot verify"]
    if unverifiable:
        terminalreporter.write_line(f"conformance: {len(unverifiable)} check(s) could not be verified with this user's privileges")
    run = config.stash.get(RUN_DIR, None)
    if run:
        terminalreporter.write_line(f"conformance: report {run / 'report.html'}")


def pytest_sessionfinish(session: pytest.Session, exitstatus) -> None:
    config = session.config
    run = config.stash.get(RUN_DIR, None)
    suite = config.stash.get(SESSION, None)
    if run is None or suite is None:
        return
    write_json(run / "results.json", {"site": suite.site.name, "exit_status": int(exitstatus), "checks": config.stash[RESULTS]})
    write_json(run / "commands.json", [
        {**r.to_dict(), "stdout": suite.redactor(r.stdout), "stderr": suite.redactor(r.stderr)}
        for runner in suite.runners.values() for r in runner.records])


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN_DIR, None)
    if run and (run / "report.html").exists():
        point_latest(run)
