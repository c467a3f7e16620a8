"""Editions of the twin: which documented lab `up` boots, remembered while it is up.

`founding` is the lab of the founding service inventory (inventory.yaml, lab/site-twin.yaml); `2026-05` is the lab
as bebopbabailey/homelab-llm@1b54b73 documents it (examples/inventory-2026-05.yaml, examples/site-twin-2026-05.yaml).
`up --edition E` writes E to $LAB_DIR/edition; `suite`, `exec`, `fault`, `demo`, `status` and `down` read it, so
they work on whichever edition is up. The host tables are lab/topology.py EDITIONS.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

from . import paths

DEFAULT = "founding"


@dataclass(frozen=True)
class Suite:
    """How `lab suite` runs the suite inside mini for an edition (paths relative to the checkout)."""

    inventory: str | None  # None: the suite's default (inventory.yaml)
    site: str
    baseline: str | None
    markers: str  # the default -m expression: every host of the edition and the contract


SUITES = {
    "founding": Suite(None, "lab/site-twin.yaml", "lab/baseline-twin.yaml", "local or studio or dietpi or contract"),
    "2026-05": Suite("examples/inventory-2026-05.yaml", "examples/site-twin-2026-05.yaml", None,
                     "local or studio or dietpi or orin or contract"),
}


def edition_file():
    return paths.lab_dir() / "edition"


def secrets_file():
    """The edition's twin-made keys the suite is given (0600, in LAB_DIR; never in the checkout or a report)."""
    return paths.lab_dir() / "edition-secrets.json"


def current() -> str:
    """The edition that is up (or was booted last and not taken down); the founding one when none is."""
    try:
        name = edition_file().read_text().strip()
    except OSError:
        return DEFAULT
    return name if name in SUITES else DEFAULT


def remember(name: str) -> None:
    if name not in SUITES:
        raise KeyError(f"unknown edition {name!r} (known: {', '.join(SUITES)})")
    paths.lab_dir().mkdir(parents=True, exist_ok=True)
    edition_file().write_text(name + "\n")


def forget() -> None:
    for f in (edition_file(), secrets_file()):
        try:
            f.unlink()
        except FileNotFoundError:
            pass


def save_secrets(values: dict[str, str]) -> None:
    """Keys a layout made (e.g. LiteLLM's master key) under the env names the suite reads them from."""
    f = secrets_file()
    known = load_secrets()
    fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({**known, **values}, out)


def load_secrets() -> dict[str, str]:
    try:
        return json.loads(secrets_file().read_text())
    except (OSError, ValueError):
        return {}


def suite() -> Suite:
    return SUITES[current()]
