"""The pytest plugin of the suite (registered by the root conftest's `pytest_plugins`), split by job, as pytest's
own junitxml.py and terminal.py each own one output:

  options.py     the command-line options, and the run's inputs they name (inventory, site, baseline, waivers, --replay)
  collection.py  a marker per inventory host, the checks handed to tests/, the selection that plans each host's
                 facts, and --dry-run (what that selection would send)
  outcome.py     a check's finding -> pytest's outcome (waivers, cannot verify, security warnings), each test's
                 report redacted, each contract route's outcome
  results.py     the results writer: results.json (report/model.py's Run: the one results model, which the
                 report reads back), commands.json, the recording for --replay, report.html, `latest`
  terminal.py    the header and the summary lines
  extras.py      pytest's own outputs: pytest-html's page and junit.xml in the run directory, the evidence per test
  run.py         ConformanceRun: one run's state, and the job objects it registers

For a run of the conformance checks (tests/) this module loads the session and registers a ConformanceRun;
self-test runs never load the inventory.

Everything that leaves the process passes the session's Redactor: failure, skip and xfail messages, captured
output, warnings, junit.xml and report.html (both built from the reports outcome.py redacts), the evidence
attachments, results.json and commands.json.
"""
from __future__ import annotations

import platform
from pathlib import Path

import pytest

from ..inventory import InventoryError
from ..session import SuiteSession
from .collection import add_host_markers, marker_of
from .extras import pytest_html_report_title  # noqa: F401  (a hook of pytest-html, registered with this module)
from .options import add_options, is_conformance_run, load_session, open_replay
from .run import ConformanceRun

RUN = pytest.StashKey[ConformanceRun]()

__all__ = ["RUN", "ConformanceRun", "marker_of"]


def _no_processor_probe() -> None:
    """pytest-metadata asks Python's platform module for the processor, which runs `uname -p`: a
    program outside the runner. Answer it the way it would on Linux ("unknown", shown as blank)."""
    platform.uname().__dict__.setdefault("processor", "")


_no_processor_probe()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "checks(kind): parametrize a test with the inventory's checks of that kind")
    if not is_conformance_run(config):
        return
    try:
        session = load_session(config, Path(config.rootpath), open_replay(config))
    except InventoryError as e:
        raise pytest.UsageError(str(e)) from None
    add_host_markers(config, session)
    run = ConformanceRun(config, session)
    config.stash[RUN] = run
    run.register()


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        run.finish()


@pytest.fixture(scope="session")
def suite(request: pytest.FixtureRequest) -> SuiteSession:
    return request.config.stash[RUN].session


@pytest.fixture
def verify(request: pytest.FixtureRequest):
    """verify(check): evaluate it on its host's facts and pass, fail, or skip as 'cannot verify'."""
    outcome = request.config.stash[RUN].outcome
    return lambda check: outcome.verify(request.node, check)
