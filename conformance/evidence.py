"""Evidence: what the suite ran, where, as whom, how it ended.

Records hold what the host answered; they leave the process only through the Redactor
(conformance/redaction.py), when the run directory is written. A parser that knows where a
secret sits in an output masks it in the record (`mask`), however short the secret is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .redaction import mask_spans


@dataclass
class CommandRecord:
    """One command the suite ran on a host, as evidence."""

    host: str
    user: str
    command: str
    exit_status: int
    stdout: str
    stderr: str
    batch: int
    batch_seconds: float
    timed_out: bool = False
    test: str | None = None  # the test that sent it (a testinfra-style test's own command); None: the facts
    def mask(self, spans: Iterable[tuple[int, int]]) -> None:
        """Mask exact ranges of stdout (secret values a parser located)."""
        self.stdout = mask_spans(self.stdout, spans)

    def to_dict(self) -> dict:
        return asdict(self)

    def render(self, limit: int = 4000) -> str:
        out = self.stdout if len(self.stdout) <= limit else self.stdout[:limit] + f"\n... ({len(self.stdout) - limit} more characters)"
        ending = "killed after its deadline" if self.timed_out else f"exit {self.exit_status}"
        text = f"$ {self.command}    [{self.user}@{self.host}, {ending}, batch {self.batch} took {self.batch_seconds:.3f}s]\n{out}"
        if self.stderr.strip():
            text += f"\n[stderr]\n{self.stderr.strip()}"
        return text
