"""What discovery proposes: one inventory entry, where it goes, and why it is believed.

Both sources (the live hosts and the owner's repo) yield these; the writer turns them into
`discovered.yaml`, `inventory.patch` and the report's page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Source = Literal["observed", "companion"]


@dataclass(frozen=True)
class Evidence:
    """Where an item was seen: a host and the command that showed it, or a file of the owner's repo at a commit."""

    where: str  # a host id, or the repo's path as given
    what: str  # the command line, or the file's path inside the repo
    at: str  # ISO time of the read, or the repo's commit


@dataclass(frozen=True)
class Proposal:
    """One new inventory entry, in the inventory's own schema.

    `section` is the list it is inserted into: "hosts", "services", "litellm.routes", "launchd", ...;
    for an entry inside a documented service (a listener, a unit, a path), `parent` names that service's id
    and `section` the service's list ("listen", "units", "paths", ...).
    `review` names the fields whose value is a judgement (up or optional, active or retired): they carry
    the observed value and the report page lists them for the owner to decide.
    """

    section: str
    entry: dict
    source: Source
    why: str
    evidence: tuple[Evidence, ...]
    parent: str | None = None
    review: tuple[str, ...] = field(default=())


def port_template(by_port: dict[int, str]) -> str | None:
    """`com.bebop.mlx-lane.{port}` when every value is one text with its own port in one place (a lane family's
    labels, plists, log paths)."""
    templates = {value.replace(str(port), "{port}", 1) for port, value in by_port.items() if value.count(str(port)) == 1}
    return templates.pop() if len(templates) == 1 and all(v.count(str(p)) == 1 for p, v in by_port.items()) else None


@dataclass(frozen=True)
class Decision:
    """A change to what the inventory documents that an insert-only patch cannot make: the page asks it of the owner,
    with what was observed and the suite's checks that fail until it is made.

    `at` is where, in the inventory's own terms: mapping keys, and for a list item a selector dict that its fields
    match (`("services", {"id": "ov-server"}, "units", {"name": "ov-server.service", "scope": "user"})`).
    `remove` takes every item the selector matches (an entry documented in several pieces goes as a whole);
    `set` gives the field the observed value (in each matching item that documents it)."""

    action: Literal["set", "remove"]
    at: tuple
    value: object = None
    why: str = ""
    checks: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        parts = []
        for step in self.at:
            if isinstance(step, dict):
                parts.append("[" + ", ".join(f"{k}={v}" for k, v in step.items()) + "]")
            else:
                parts.append(("." if parts else "") + str(step))
        return "".join(parts)

    def described(self) -> str:
        what = f"remove {self.where}" if self.action == "remove" else f"set {self.where} to {self.value!r}"
        return what + (f" ({self.why})" if self.why else "")
