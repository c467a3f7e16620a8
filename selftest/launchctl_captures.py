"""The real `launchctl print` captures in selftest/fixtures/darwin/launchctl/, and what README.md there says of them.

README.md is the one place that names each capture's source, domain, state and completeness, and the keys
the launchd stand-in leaves out (with why); the unit test of the stand-in's line keys and the twin's shape
tests read them from there, so the documentation and the tests cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DARWIN = Path(__file__).resolve().parent / "fixtures" / "darwin"
CAPTURES = DARWIN / "launchctl"
README = DARWIN / "README.md"

CAPTURES_TABLE = "### Real captures, unchanged"
LEFT_OUT_TABLE = "### Keys the launchd stand-in does not print"
OTHER_DOMAIN_TABLE = "### Keys the launchd stand-in prints from another domain's capture"


@dataclass(frozen=True)
class Capture:
    name: str
    domain: str  # "system" or "gui"
    state: str  # running, never-run, exited, spawn-scheduled, exit-reason, running-after-signal
    whole: bool  # False: cut short, or trimmed by its author (it shows which keys exist, not which do not)

    @property
    def text(self) -> str:
        return (CAPTURES / self.name).read_text()

    @property
    def keys(self) -> list[str]:
        return top_level_keys(self.text)


def top_level_keys(text: str) -> list[str]:
    """Keys of the lines indented by exactly one tab (`\\tkey = value` or `\\tkey = {`), in order."""
    return [line[1:].split(" = ", 1)[0] for line in text.splitlines()
            if line.startswith("\t") and not line.startswith("\t\t") and " = " in line]


def table(heading: str) -> list[list[str]]:
    """The rows of the markdown table under a README.md heading, cells stripped of spaces and backticks."""
    lines = README.read_text().splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header row


def captures() -> list[Capture]:
    return [Capture(name, domain, state, completeness == "whole")
            for name, domain, state, completeness, *_ in table(CAPTURES_TABLE)]


def left_out() -> dict[str, str]:
    """key -> why the stand-in does not print it."""
    return {key: why for key, why, *_ in table(LEFT_OUT_TABLE)}


def from_other_domain() -> dict[str, str]:
    """key -> the capture (of another domain) it is printed after."""
    return {key: capture for key, capture, *_ in table(OTHER_DOMAIN_TABLE)}
