"""Run directories: reports/<UTC timestamp>/ with report.html, junit.xml, results.json, commands.json."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

LATEST = "latest"


def new_run_dir(reports: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    run = reports / stamp
    n = 1
    while run.exists():  # two runs in one second
        n += 1
        run = reports / f"{stamp}-{n}"
    run.mkdir(parents=True)
    return run


def point_latest(run: Path) -> None:
    """reports/latest -> run, replaced atomically so a reader never sees it missing."""
    link = run.parent / LATEST
    tmp = run.parent / f".{LATEST}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run.name)
    os.replace(tmp, link)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
