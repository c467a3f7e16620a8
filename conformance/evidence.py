"""Evidence: what the suite ran, where, as whom, how it ended.

Records hold what the host answered; they leave the process only through the Redactor
(conformance/redaction.py), when the run directory is written: `shown` and `render` redact a
record FIRST and cut it after, so a secret at the cut is never left in part. A parser that knows
where a secret sits in an output masks it in the record (`mask`), however short the secret is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .redaction import Redactor, mask_spans

RENDERED_CHARS = 4000  # what a rendered record (the report's evidence) shows of a command's output


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
    kept_chars: int | None = None  # what any artifact keeps of stdout, counted after redaction (None: all of it)
    cut_at_source: bool = False  # stdout is already a prefix of the answer (an HTTP body past what was kept)

    def mask(self, spans: Iterable[tuple[int, int]]) -> None:
        """Mask exact ranges of stdout (secret values a parser located)."""
        self.stdout = mask_spans(self.stdout, spans)

    def shown(self, redact: Redactor) -> dict:
        """The record as it may leave the process (commands.json): every field redacted, stdout then cut."""
        record = redact.data(asdict(self))
        record["stdout"] = redact.clip(self.stdout, self.kept_chars, cut_at_source=self.cut_at_source)
        del record["kept_chars"], record["cut_at_source"]
        return record

    def render(self, redact: Redactor, limit: int = RENDERED_CHARS) -> str:
        """The record as text for the report: redacted, then cut to `limit` characters of output."""
        kept = limit if self.kept_chars is None else min(limit, self.kept_chars)
        out = redact.clip(self.stdout, kept, cut_at_source=self.cut_at_source)
        ending = "killed after its deadline" if self.timed_out else f"exit {self.exit_status}"
        text = (f"$ {redact(self.command)}    [{self.user}@{self.host}, {ending}, batch {self.batch} took "
                f"{self.batch_seconds:.3f}s]\n{out}")
        if self.stderr.strip():
            text += f"\n[stderr]\n{redact(self.stderr.strip())}"
        return text
