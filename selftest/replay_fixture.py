"""The committed replay fixture: a recorded run of the twin (every marker, clean), and the verdicts it had.

Written by the twin proof (selftest/twin/test_replay.py) when LAB_WRITE_REPLAY_FIXTURE=1; replayed by
`make unit` (selftest/unit/test_replay_fixture.py), so the parsers and checks are tested against a whole lab's
answers without booting the twin.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "replay" / "twin-every-marker"
EXPECTED = "expected.json"


def write_fixture(run_dir: Path) -> None:
    results = json.loads((run_dir / "results.json").read_text())
    FIXTURE.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(run_dir / "recording.json.gz", FIXTURE / "recording.json.gz")
    expected = {"run": run_dir.name, "exit_status": results["exit_status"],
                "checks": {c["id"]: c["status"] for c in results["checks"]}}
    (FIXTURE / EXPECTED).write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


def expected() -> dict:
    return json.loads((FIXTURE / EXPECTED).read_text())
