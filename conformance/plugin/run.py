"""One conformance run: its session and the plugin object of each job, registered with pytest for the run."""
from __future__ import annotations

import pytest

from ..session import SuiteSession
from .collection import Collection
from .extras import into_run_dir
from .outcome import Outcome
from .results import ResultsWriter
from .terminal import TerminalSummary


class ConformanceRun:
    """The state of one run of tests/ (pytest's own plugins keep theirs on an object too, e.g. junitxml's)."""

    def __init__(self, config: pytest.Config, session: SuiteSession) -> None:
        self.config = config
        self.session = session
        self.redact = session.redactor
        self.require_verified = config.getoption("--require-verified")
        self.results = ResultsWriter(self)  # opens the run directory, unless the run writes none
        if self.results.run_dir:
            into_run_dir(config, self.results.run_dir, session)
        self.outcome = Outcome(self)
        self._jobs = {"conformance-collection": Collection(self), "conformance-outcome": self.outcome,
                      "conformance-results": self.results, "conformance-terminal": TerminalSummary(self)}

    def register(self) -> None:
        for name, job in self._jobs.items():
            self.config.pluginmanager.register(job, name)

    def finish(self) -> None:
        self.session.close()
        self.results.finish()
        for name in self._jobs:
            self.config.pluginmanager.unregister(name=name)
