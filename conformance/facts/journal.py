"""Journal lines of one unit's current run, and which of them are JSON."""
from __future__ import annotations

import json

READER_GROUPS = ("systemd-journal", "adm", "wheel")  # groups journald's ACLs let read the system journal
DENIED_HINTS = ("insufficient permissions", "not seeing messages from other users", "Permission denied")
JOURNAL_WINDOW = 300  # the last lines of the run that are read
STARTUP_LINES = 40  # the start-up banner (not JSON even with json_logs) sits within a run's first lines
JSON_SHARE = 0.9  # what share of the lines after start-up must be JSON


def journal_command(invocation_id: str, scope: str = "system", lines: int = JOURNAL_WINDOW) -> list[str]:
    """The lines of exactly one run of a unit (its InvocationID), newest last."""
    argv = ["journalctl"]
    if scope == "user":
        argv.append("--user")
    return argv + ["--no-pager", "-q", "-o", "cat", "-n", str(lines), f"_SYSTEMD_INVOCATION_ID={invocation_id}"]


def json_after_startup(text: str, window: int = JOURNAL_WINDOW) -> tuple[int, int]:
    """(JSON lines, lines counted) of a run's journal, its start-up banner excepted.

    When the whole run fits in the window, the non-JSON lines among its first STARTUP_LINES
    lines are the start-up banner and are not counted; in a longer run they are out of the
    window anyway. Every other non-empty line counts.
    """
    lines = text.splitlines()
    whole_run = len(lines) < window
    counted = [line for i, line in enumerate(lines) if line.strip()
               and not (whole_run and i < STARTUP_LINES and not _is_json(line))]
    return sum(1 for line in counted if _is_json(line)), len(counted)


def _is_json(line: str) -> bool:
    line = line.strip()
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def json_lines(text: str) -> tuple[int, int]:
    """(JSON object lines, all non-empty lines)."""
    total = json_count = 0
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        total += 1
        if line.startswith("{"):
            try:
                if isinstance(json.loads(line), dict):
                    json_count += 1
            except ValueError:
                pass
    return json_count, total


def denied(stderr: str, stdout: str = "") -> bool:
    return any(h in stderr or h in stdout for h in DENIED_HINTS)
