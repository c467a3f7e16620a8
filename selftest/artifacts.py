"""The files of a run directory as a person or a program can read them: a compressed one (the run's
recording, recording.json.gz) decompressed, so a search for a secret looks inside it too."""
from __future__ import annotations

import gzip
from pathlib import Path


def text_of(path: Path) -> str:
    """The file's text (invalid bytes replaced); a gzip file's decompressed text."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", "replace")


def run_files(run_dir: Path) -> dict[str, str]:
    """Every file of a run directory (name -> text, decompressed)."""
    return {p.name: text_of(p) for p in sorted(Path(run_dir).iterdir()) if p.is_file()}
