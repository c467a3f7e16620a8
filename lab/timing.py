"""Whole processes timed where a person runs them (inside the twin's mini, as the owner): `make bench`'s stopwatch.

    python -m lab.timing CASES_JSON

CASES_JSON: {"repeat": N, "env": {...}, "cases": [{"label": ..., "argv": [...], "cwd": ...}, ...]}. Every case runs
once to warm the caches (bytecode, page cache), then N times, the cases taking turns so a change of the machine's
load falls on every side alike. Wall clock from the process's start to its exit, as a person waits for it. Prints
JSON: label -> {"seconds": [...], "exit": the last exit status, "summary": pytest's last line}. Standard library
only: it runs with whatever Python runs the cases.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def run(case: dict, env: dict[str, str]) -> tuple[float, int, str]:
    started = time.monotonic()
    p = subprocess.run(case["argv"], cwd=case["cwd"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    seconds = time.monotonic() - started
    lines = [line for line in p.stdout.splitlines() if line.strip()]
    return seconds, p.returncode, lines[-1].strip("= ") if lines else p.stderr.strip()[-200:]


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    env = {**os.environ, **spec.get("env", {})}
    found: dict[str, dict] = {c["label"]: {"seconds": []} for c in spec["cases"]}
    for round_ in range(spec["repeat"] + 1):
        for case in spec["cases"]:
            seconds, status, summary = run(case, env)
            if round_:  # the first round warms the caches
                found[case["label"]]["seconds"].append(seconds)
            found[case["label"]].update(exit=status, summary=summary)
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
