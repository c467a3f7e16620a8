"""How long the report and the index take, and how big they are (printed by `make demo`; never asserted).

    python -m conformance.report.bench RUN_DIR

report: RUN_DIR's report.html rendered again in memory (results.json and commands.json loaded, the
previous run found and compared, the page built), the median of a few tries; the size of the page.
Nothing in RUN_DIR is rewritten.

index: 365 run directories made in a temporary directory from RUN_DIR's own results.json, one a night
back from it, a few checks failing every eleventh night; index.html built over them twice: once
reading every results.json (no cache: the first night after an upgrade), once with the cache of
what the index needs of each run (every other night).
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .index import write_index
from .model import RESULTS, load_run
from .render import load_with_previous, render_report
from .rundir import STAMP, write_json

REPORT_TARGET_SECONDS, REPORT_TARGET_BYTES, INDEX_TARGET_SECONDS = 1.0, 2 * 1000 * 1000, 1.0
NIGHTS = 365


@dataclass(frozen=True)
class Measured:
    report_seconds: float
    report_bytes: int
    checks: int
    results_bytes: int
    index_runs: int
    index_cold_seconds: float
    index_warm_seconds: float
    index_bytes: int

    def lines(self) -> list[str]:
        def mark(ok: bool) -> str:
            return "within target" if ok else "OVER TARGET"

        return [
            f"report.html:  {self.report_seconds * 1000:.0f} ms to render, {self.report_bytes / 1024:.0f} KiB "
            f"({self.checks} checks; results.json {self.results_bytes / 1024:.0f} KiB)   "
            f"target < {REPORT_TARGET_SECONDS:g} s and < {REPORT_TARGET_BYTES / 1e6:g} MB: "
            f"{mark(self.report_seconds < REPORT_TARGET_SECONDS and self.report_bytes < REPORT_TARGET_BYTES)}",
            f"index.html:   {self.index_cold_seconds * 1000:.0f} ms over {self.index_runs} runs reading every "
            f"results.json, {self.index_warm_seconds * 1000:.0f} ms with the cache; {self.index_bytes / 1024:.0f} KiB   "
            f"target < {INDEX_TARGET_SECONDS:g} s: {mark(self.index_cold_seconds < INDEX_TARGET_SECONDS)} "
            f"(cold), {mark(self.index_warm_seconds < INDEX_TARGET_SECONDS)} (cached)",
        ]


def measure(run_dir: Path | str, nights: int = NIGHTS, tries: int = 5) -> Measured:
    run_dir = Path(run_dir).resolve()
    report_seconds, page = _report(run_dir, tries)
    cold, warm, index_bytes = _index(run_dir / RESULTS, nights)
    return Measured(report_seconds, len(page.encode("utf-8")), len(load_run(run_dir).checks),
                    (run_dir / RESULTS).stat().st_size, nights, cold, warm, index_bytes)


def _report(run_dir: Path, tries: int) -> tuple[float, str]:
    times, page = [], ""
    for _ in range(tries):
        started = time.perf_counter()
        run, previous = load_with_previous(run_dir)
        page = render_report(run, previous)
        times.append(time.perf_counter() - started)
    return statistics.median(times), page


def _index(results: Path, nights: int) -> tuple[float, float, int]:
    data = json.loads(results.read_text(encoding="utf-8"))
    last = datetime.now(timezone.utc).replace(hour=3, minute=0, second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="index-bench-") as tmp:
        reports = Path(tmp)
        for night in range(nights):
            when = last - timedelta(days=night)
            checks = data.get("checks") or []
            if night % 11 == 5:  # now and then a drift: a few checks failing
                checks = [dict(c, status="failed") if i < 3 else c for i, c in enumerate(checks)]
            run = reports / when.strftime(STAMP)
            run.mkdir()
            write_json(run / RESULTS, {**data, "checks": checks, "started": when.isoformat(),
                                       "finished": (when + timedelta(seconds=30)).isoformat()})
        started = time.perf_counter()
        write_index(reports)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        out = write_index(reports)
        warm = time.perf_counter() - started
        return cold, warm, out.stat().st_size


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    for line in measure(argv[0]).lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
