"""A run's recording: every round trip's answer and every HTTP answer, redacted, compressed, bounded.

`recording.json.gz` in the run directory holds what a later `pytest --replay RUN_DIR` needs to judge the
run again with that day's code and no host: per host, each round trip as sent (its argvs) and as answered
(status, stdout, stderr, timed out per command) or why it failed; the HTTP exchanges the checks used; the
run's inputs (inventory, site, baseline, waivers) and the options that change a verdict.

Everything in it passed the run's Redactor, the same boundary as commands.json: stdout as its record
holds it (secret spans masked by the parsers), then learned values and secret forms replaced. A plist
(a BinaryCommand's bytes) is kept as a plist: every string in it redacted, every value of a secret-named
EnvironmentVariables key replaced, so the checks can be judged from it again.

Bounded: answers are kept until their text reaches MAX_RECORDED_BYTES (16 MiB, far above a lab's run:
the twin's every-marker run is ~1 MiB); a round trip past the bound is kept as "not recorded", which a
replay reports as "cannot verify: not in the recording", never as a pass.
"""
from __future__ import annotations

import base64
import gzip
import json
import os
import plistlib
from dataclasses import dataclass, field
from pathlib import Path

from ..redaction import REDACTED, Redactor, is_secret_name
from ..runner.runner import BinaryCommand, RoundTrip

RECORDING = "recording.json.gz"
FORMAT = 1
MAX_RECORDED_BYTES = 16 * 1024 * 1024
MAX_READ_BYTES = 64 * 1024 * 1024  # a recording file larger than this is refused (it was never written so)
INPUTS = ("inventory", "site", "baseline", "waivers")


class RecordingError(Exception):
    """The run directory holds no recording this code can read; the message says why."""


@dataclass
class Recording:
    """A run's recording, as written and as read back."""

    run: str
    started: str
    options: dict = field(default_factory=dict)  # markers, local_host, require_verified, master_key_given, ...
    inputs: dict[str, str | None] = field(default_factory=dict)  # file texts: inventory, site, baseline, waivers
    hosts: dict[str, dict] = field(default_factory=dict)  # host -> {"user": ..., "round_trips": [...]}
    http: list[dict] = field(default_factory=list)
    not_kept: int = 0  # answers past MAX_RECORDED_BYTES

    def to_dict(self) -> dict:
        return {"format": FORMAT, "run": self.run, "started": self.started, "options": self.options,
                "inputs": self.inputs, "hosts": self.hosts, "http": self.http, "not_kept": self.not_kept}


class Recorder:
    """Builds a Recording from a finished session, through the run's Redactor, within the bound."""

    def __init__(self, redact: Redactor, limit: int = MAX_RECORDED_BYTES) -> None:
        self.redact = redact
        self.left = limit
        self.not_kept = 0

    def round_trip(self, trip: RoundTrip) -> dict:
        argvs = [list(a) for a in trip.argvs]
        if trip.failure is not None:
            return {"argvs": argvs, "failure": self.redact(trip.failure)}
        answers = [self._answer(argv, out, stderr) for argv, out, stderr in zip(trip.argvs, trip.outputs, trip.stderrs)]
        size = sum(len(a[1]) + len(a[2]) for a in answers)
        if size > self.left:
            self.not_kept += 1
            return {"argvs": argvs, "answers": None}
        self.left -= size
        return {"argvs": argvs, "answers": answers}

    def _answer(self, argv, out, stderr: str) -> list:
        if isinstance(argv, BinaryCommand):
            stdout = base64.b64encode(mask_plist(out.data, self.redact)).decode() if out.data is not None else ""
        else:
            stdout = self.redact(out.record.stdout)  # the parsers' masks first, then the Redactor
        return [out.exit_status, stdout, self.redact(stderr), out.timed_out]

    def input(self, path: Path) -> str | None:
        """An input file's text (inventory, site, baseline, waivers): committed files, not secrets; a learned
        secret value in one is still replaced (the regex forms are not applied: `key_env: NAME` is a name)."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return self.redact.learned(text)

    def http(self, exchange: dict) -> dict | None:
        kept = self.redact.data(exchange)
        size = len(json.dumps(kept))
        if size > self.left:
            self.not_kept += 1
            return None
        self.left -= size
        return kept


def mask_plist(data: bytes, redact: Redactor) -> bytes:
    """The plist with every string redacted and every secret-named EnvironmentVariables value replaced, in its
    own format (XML or binary); bytes that are not a plist are kept as redacted text (still not a plist)."""
    try:
        plist = plistlib.loads(data)
    except Exception:  # noqa: BLE001 - plistlib raises assorted errors on bad bytes
        return redact(data.decode("latin-1")).encode("latin-1", errors="replace")
    masked = _mask_strings(plist, redact)
    if isinstance(masked, dict) and isinstance(masked.get("EnvironmentVariables"), dict):
        masked["EnvironmentVariables"] = {k: REDACTED if is_secret_name(k) else v
                                          for k, v in masked["EnvironmentVariables"].items()}
    fmt = plistlib.FMT_BINARY if data.startswith(b"bplist") else plistlib.FMT_XML
    return plistlib.dumps(masked, fmt=fmt, sort_keys=False)


def _mask_strings(value, redact: Redactor):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _mask_strings(v, redact) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_strings(v, redact) for v in value]
    return value


def write(run_dir: Path, recording: Recording) -> Path:
    """recording.json.gz, written whole or not at all."""
    path = run_dir / RECORDING
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=6) as f:
            json.dump(recording.to_dict(), f, separators=(",", ":"))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load(run_dir: Path) -> Recording:
    """The run directory's recording; RecordingError naming what is wrong."""
    path = Path(run_dir) / RECORDING
    if not path.is_file():
        raise RecordingError(f"{run_dir}: no {RECORDING} (a run of an earlier suite, or one written with --no-record)")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_READ_BYTES + 1)
        if len(raw) > MAX_READ_BYTES:
            raise RecordingError(f"{path}: larger than {MAX_READ_BYTES // (1024 * 1024)} MiB decompressed")
        data = json.loads(raw)
    except (OSError, EOFError, ValueError) as e:
        raise RecordingError(f"{path}: not a readable recording ({type(e).__name__}: {e})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordingError(f"{path}: recording format {data.get('format') if isinstance(data, dict) else '?'}, "
                             f"this suite reads format {FORMAT}")
    return Recording(run=data.get("run", ""), started=data.get("started", ""), options=data.get("options") or {},
                     inputs=data.get("inputs") or {}, hosts=data.get("hosts") or {}, http=data.get("http") or [],
                     not_kept=data.get("not_kept", 0))
