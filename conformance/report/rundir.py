"""Run directories: reports/<UTC timestamp>/ with report.html, junit.xml, results.json, commands.json.

A run directory's name is its UTC start stamp (`20261128T030000Z`, or `...Z-2` for a second run
in the same second); `reports/latest` is a symlink to the newest. Only directories named so are
run directories: the index lists them and prune() removes nothing else.
"""
from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

LATEST = "latest"
STAMP = "%Y%m%dT%H%M%SZ"
RUN_NAME = re.compile(r"^(\d{8}T\d{6}Z)(?:-(\d+))?$")


def new_run_dir(reports: Path) -> Path:
    stamp = datetime.now(timezone.utc).strftime(STAMP)
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


def write_text_atomic(path: Path, text: str) -> None:
    """Write next to the target, then rename over it: a browser opening the page never sees half of it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def stamp_of(name: str) -> tuple[datetime, int] | None:
    """`20261128T030000Z-2` -> (2026-11-28 03:00:00 UTC, 2); None for a name that is not a run's."""
    m = RUN_NAME.match(name)
    if not m:
        return None
    try:
        when = datetime.strptime(m.group(1), STAMP).replace(tzinfo=timezone.utc)
    except ValueError:  # 20261399T...: shaped like a stamp, but no date
        return None
    return when, int(m.group(2) or 1)


def is_run_dir(path: Path) -> bool:
    """A real directory (not a symlink such as `latest`) named like a run."""
    return stamp_of(path.name) is not None and path.is_dir() and not path.is_symlink()


def run_dirs(reports: Path) -> list[Path]:
    """The run directories of a reports directory, oldest first."""
    try:
        entries = list(reports.iterdir())
    except OSError:
        return []
    return sorted((p for p in entries if is_run_dir(p)), key=lambda p: stamp_of(p.name))


def latest_target(reports: Path) -> Path | None:
    """The run directory `latest` points to, if it points to one."""
    link = reports / LATEST
    if not link.is_symlink():
        return None
    try:
        return link.resolve(strict=True)
    except OSError:
        return None
