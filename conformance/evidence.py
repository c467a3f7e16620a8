"""Evidence: what the suite ran, where, as whom, how it ended; secrets redacted at the source."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

REDACTED = "<redacted>"
SECRET_NAME = r"[A-Za-z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)[A-Za-z0-9_]*"
# KEY=VALUE / key: value / "key": "value" pairs whose name says secret (env files, systemctl Environment=, YAML, JSON)
_SECRET_ASSIGNMENT = re.compile(rf"(?i)(\b{SECRET_NAME}\b[\"']?\s*[=:]\s*)(\"[^\"\n]*\"|'[^'\n]*'|[^\s\"',}}]+)")
# systemctl show quotes a whole assignment whose value has a space: Environment="NAME=two words"
_QUOTED_SECRET_ASSIGNMENT = re.compile(rf"(?i)(\"{SECRET_NAME}=)([^\"\n]*)(\")")
# OpenAI-style keys anywhere
_BEARER_LIKE = re.compile(r"\bsk-[A-Za-z0-9_-]{6,}")


class Redactor:
    """Removes secret values from any text before it can reach an artifact."""

    def __init__(self) -> None:
        self._known: set[str] = set()

    def learn(self, value: str) -> None:
        """Remember a secret value found while parsing, so it is removed wherever it appears."""
        if value and len(value) >= 4:
            self._known.add(value)

    def __call__(self, text: str) -> str:
        if not text:
            return text
        for value in sorted(self._known, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        text = _QUOTED_SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)
        text = _SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + (m.group(2) if m.group(2).strip("\"'").startswith("os.environ/") else REDACTED), text)
        return _BEARER_LIKE.sub(REDACTED, text)


@dataclass(frozen=True)
class CommandRecord:
    """One command the suite ran on a host, as evidence (outputs already redacted)."""

    host: str
    user: str
    command: str
    exit_status: int
    stdout: str
    stderr: str
    batch: int
    batch_seconds: float

    def to_dict(self) -> dict:
        return asdict(self)

    def render(self, limit: int = 4000) -> str:
        out = self.stdout if len(self.stdout) <= limit else self.stdout[:limit] + f"\n... ({len(self.stdout) - limit} more characters)"
        text = f"$ {self.command}    [{self.user}@{self.host}, exit {self.exit_status}, batch {self.batch} took {self.batch_seconds:.3f}s]\n{out}"
        if self.stderr.strip():
            text += f"\n[stderr]\n{self.stderr.strip()}"
        return text
