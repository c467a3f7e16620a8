"""Replay: every run is recorded, and any recording can be judged again with today's code and no host.

  recording  Recording, Recorder, write, load: recording.json.gz in a run directory (redacted, bounded)
  backend    ReplayBackend: a host's answers from a recording, through the same Runner seam as a live host
  http       ReplayTransport: the HTTP answers from a recording, under the same RecordingTransport

`pytest --replay RUN_DIR` (conformance/plugin/options.py) reads a run directory's recording, takes its inputs
(inventory, site, baseline, waivers) and options unless given anew, and writes a new run directory whose
results.json says which run it replays.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from ..checks.finding import Finding, Status, cannot_verify
from ..redaction import REDACTED
from .backend import ReplayBackend
from .recording import INPUTS, RECORDING, Recorder, Recording, RecordingError, load, write

__all__ = ["INPUTS", "RECORDING", "Recorder", "Recording", "RecordingError", "Replay", "ReplayBackend", "load",
           "redacted_in_recording", "write"]


def redacted_in_recording(finding: Finding) -> Finding:
    """A replayed check that fails on a value the recording holds redacted cannot tell a drift from the redaction:
    it says so ("cannot verify"), it never guesses. A pass needs no such care (a redacted value matched nothing)."""
    if finding.status is Status.FAILED and REDACTED in str(finding.found):
        return cannot_verify(f"the recording holds the value this check compares redacted ({REDACTED}), so a replay "
                             f"cannot tell it from a drift (judged on the recording: {finding.message})", finding.evidence)
    return finding


@dataclass
class Replay:
    """A recording being replayed: its inputs as files (for the loaders' FILE:LINE), its hosts as backends."""

    source: Path  # the run directory replayed
    recording: Recording
    inputs_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="conformance-replay-")))

    @classmethod
    def of(cls, run_dir: Path | str) -> "Replay":
        return cls(Path(run_dir), load(Path(run_dir)))

    def input(self, name: str) -> Path | None:
        """The recorded input file `name` (inventory, site, baseline, waivers), written out; None if the run had none."""
        text = self.recording.inputs.get(name)
        if text is None:
            return None
        path = self.inputs_dir / f"{name}.yaml"
        if not path.exists():
            path.write_text(text, encoding="utf-8")
        return path

    def option(self, name: str, default=None):
        return self.recording.options.get(name, default)

    @property
    def as_of(self) -> date:
        """The night's date: waivers are judged as they stood then."""
        try:
            return datetime.fromisoformat(self.recording.started).date()
        except ValueError:
            return date.today()

    def backend(self, host_id: str) -> ReplayBackend:
        return ReplayBackend(host_id, self.recording.hosts.get(host_id))

    def close(self) -> None:
        shutil.rmtree(self.inputs_dir, ignore_errors=True)
