"""Collection: a marker per inventory host, the inventory's checks handed to the tests of tests/, and the
selection that decides what each host is asked (a deselected check costs nothing), or, with --dry-run, what it
would be asked."""
from __future__ import annotations

import math
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ..checks.finding import Check
from ..facts.needs import HTTP
from ..runner import Runner
from ..session import SuiteSession

if TYPE_CHECKING:
    from .run import ConformanceRun

LOCAL = "local"  # the marker of the host the suite runs on (--local-host)
CONTRACT = "contract"  # the marker (and folder) of the OpenAI-API contract's checks
CONTRACT_TEST_MARGIN = 30  # seconds of pytest's own work around a contract test


def add_host_markers(config: pytest.Config, session: SuiteSession) -> None:
    """`-m <host id or marker>` for every host of the inventory, --strict-markers included."""
    for host in session.inventory.hosts:
        for name in dict.fromkeys((host.id, host.checks_marker)):
            config.addinivalue_line("markers", f"{name}: the checks of inventory host {host.id} ({host.os})")


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


def marker_of(path: Path, tests: Path) -> str | None:
    """tests/<marker>/test_x.py -> <marker>; None for a module directly under tests/ (or outside it)."""
    try:
        parts = path.relative_to(tests).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


def check_of(item: pytest.Item) -> Check | None:
    """The inventory check a test item runs, if it runs one (`@checks(...)`); None for the owner's own tests."""
    check = getattr(item, "callspec", None) and item.callspec.params.get("check")
    return check if isinstance(check, Check) else None


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


class Collection:
    """The collection hooks of a conformance run."""

    def __init__(self, run: ConformanceRun) -> None:
        self.run = run
        self.session = run.session
        self.config = run.config
        self.in_folders: set[str] = set()  # the checks a host's folder holds (the generic module holds the others)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """`@checks(kind...)`: the test runs once per check of those kinds (of every kind, without one) of its folder's
        host (tests/<marker>/), of the contract (tests/contract/), or of every host (a module directly in tests/:
        the generic module, for hosts no folder holds); each check carries its host's markers."""
        marker = metafunc.definition.get_closest_marker("checks")
        if marker is None or "check" not in metafunc.fixturenames:
            return
        folder = marker_of(Path(metafunc.definition.path), Path(self.config.rootpath) / "tests")
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
        in_folders = {c.id for i in items if (c := check_of(i)) and marker_of(Path(i.path), tests)}
        held = [i for i in items if (c := check_of(i)) and not marker_of(Path(i.path), tests) and c.id in in_folders]
        if held:
            config.hook.pytest_deselected(items=held)
        items[:] = [i for i in items if i not in empty and i not in held]
        for item in items:  # the owner's own tests (no check): their folder's markers
            folder = marker_of(Path(item.path), tests)
            if check_of(item) is None and folder:
                host = folder_host(self.session, folder)
                for name in [CONTRACT] if folder == CONTRACT else host_marks(self.session, host) if host else []:
                    item.add_marker(getattr(pytest.mark, name))
        self._bound_contract_tests([i for i in items if marker_of(Path(i.path), tests) == CONTRACT])

    @pytest.hookimpl(trylast=True)  # after -m/-k and the `host` fixture's note of the owner's tests' hosts
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """The selected checks decide what each host is asked (a deselected check costs nothing)."""
        self.session.select([c for item in session.items if (c := check_of(item))])
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
