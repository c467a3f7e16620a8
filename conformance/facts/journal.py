"""Journal lines of one unit's current run, and which of them are JSON."""
from __future__ import annotations

import json

READER_GROUPS = ("systemd-journal", "adm", "wheel")  # groups journald's ACLs let read the system journal
DENIED_HINTS = ("insufficient permissions", "not seeing messages from other users", "Permission denied")


def journal_command(invocation_id: str, scope: str = "system", lines: int = 300) -> list[str]:
    """The lines of exactly one run of a unit (its InvocationID), newest last."""
    argv = ["journalctl"]
    if scope == "user":
        argv.append("--user")
    return argv + ["--no-pager", "-q", "-o", "cat", "-n", str(lines), f"_SYSTEMD_INVOCATION_ID={invocation_id}"]


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
