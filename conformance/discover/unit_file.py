"""A systemd unit file as written in git (`platform/ops/systemd/litellm-orch.service`), read as systemd reads it.

Only what discovery needs of systemd.syntax(7): `[Section]` headers, `Key=value` lines (a key may repeat:
`EnvironmentFile=` twice in openhands.service, each its own assignment), comment lines starting with `#` or `;`,
and a backslash at the end of a line continuing it (the `docker run ... \\` lines of open-terminal-mcp.service),
joined with a space as systemd joins them. configparser is not used: it keeps one value per key.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnitFile:
    # section -> its assignments in file order, repeats kept: [("EnvironmentFile", "/etc/openhands/env"), ...]
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def values(self, section: str, key: str) -> list[str]:
        """Every value of `key` in `section`, in order. An empty assignment (`Key=`) resets the list, as in systemd."""
        found: list[str] = []
        for k, v in self.sections.get(section, []):
            if k == key:
                found = [] if v == "" else found + [v]
        return found

    def last(self, section: str, key: str) -> str | None:
        """The value that counts for a single-valued key (the last one)."""
        values = self.values(section, key)
        return values[-1] if values else None


def parse_unit_file(text: str) -> UnitFile:
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for line in logical_lines(text):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            current = sections.setdefault(stripped[1:-1], [])
        elif "=" in stripped and current is not None:
            key, value = stripped.split("=", 1)
            current.append((key.strip(), value.strip()))
    return UnitFile(sections)


def logical_lines(text: str):
    """Physical lines joined where one ends in a backslash (systemd puts a space in its place, as a shell does)."""
    pending = ""
    for raw in text.splitlines():
        if raw.rstrip().endswith("\\") and not raw.lstrip().startswith(("#", ";")):
            pending += raw.rstrip()[:-1] + " "
            continue
        yield pending + raw
        pending = ""
    if pending:
        yield pending


def environment_assignments(values: list[str]) -> dict[str, str]:
    """`Environment=` values (`LITELLM_LOG=INFO`, `"A=b c" D=e`) as KEY -> value; later ones win."""
    env: dict[str, str] = {}
    for value in values:
        for word in shlex.split(value):
            if "=" in word:
                key, val = word.split("=", 1)
                env[key] = val
    return env
