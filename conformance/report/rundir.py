"""Run directories: reports/<UTC timestamp>/ with report.html, junit.xml, results.json, commands.json.

A run directory's name is its UTC start stamp (`20261128T030000Z`, or `...Z-2` for a second run
in the same second); `reports/latest` is a symlink to the newest run that finished. Only
directories named so are run directories: the index lists them and prune() removes nothing else.
A run is complete when its results.json is (written atomically, after commands.json) and its
exit status says it finished (model.UNFINISHED).
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
    """A new run directory named by the UTC second; runs started in the same second (two at once) get
    `-2`, `-3`, ...: mkdir is the lock, so two processes never share one."""
    reports.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime(STAMP)
    n = 1
    while True:
        run = reports / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            run.mkdir()
            return run
        except FileExistsError:
            n += 1


def point_latest(run: Path) -> None:
    """reports/latest -> run, replaced atomically so a reader never sees it missing. Never backwards: when
    `latest` already points to a run that started later (two runs at once, this one finishing last), it stays."""
    link = run.parent / LATEST
    current, mine = latest_target(run.parent), stamp_of(run.name)
    if current is not None and current != run.resolve() and mine and (stamp_of(current.name) or mine) > mine:
        return
    tmp = run.parent / f".{LATEST}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run.name)
    os.replace(tmp, link)


def write_json(path: Path, data) -> None:
    """Written whole or not at all (a run killed while writing leaves no half a results.json)."""
    write_text_atomic(path, json.dumps(data, indent=2, default=str) + "\n")


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
