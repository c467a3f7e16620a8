"""Apply the decisions a discovery page lists (discovery.json `decisions`) to an inventory, as the owner would by hand.

Discovery never edits inventory.yaml: its patch only inserts, and what must change or go is a decision the owner
makes. This is the owner's side, written down so a test can measure "apply the patch, decide what the page lists,
and the suite is green": it re-serializes the file (comments and layout are not kept), so it is for a copy.

    python -m conformance.discover.decide RUN_DIR/discovery.json INVENTORY OUT
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml


class NotThere(Exception):
    """A decision names something the inventory does not have (already decided, or another inventory)."""


def _matches(item, selector: dict) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in selector.items())


def _walk(node, steps: list) -> list:
    """Every node the steps reach (a selector may match several list items)."""
    nodes = [node]
    for step in steps:
        found = []
        for n in nodes:
            if isinstance(step, dict):
                found += [item for item in (n if isinstance(n, list) else []) if _matches(item, step)]
            elif isinstance(n, dict) and step in n:
                found.append(n[step])
        nodes = found
    return nodes


def apply(data: dict, decisions: list[dict]) -> dict:
    """The inventory with each decision made: `remove` takes what `at` names (every matching list item, or a
    mapping key), `set` gives it `value` (in each matching item that writes the field, else in the first; a missing
    last key is added)."""
    for d in decisions:
        at, last = list(d["at"][:-1]), d["at"][-1]
        parents = _walk(data, at)
        if not parents:
            raise NotThere(f"{d['action']} {d['at']}: the inventory has no {at}")
        if d["action"] == "set" and not isinstance(last, dict):
            # an entry documented in pieces (a unit's several list items): the value goes where the field is written,
            # else into the first
            holding = [p for p in parents if isinstance(p, dict) and last in p]
            parents = holding or parents[:1]
        for parent in parents:
            if d["action"] == "remove":
                if isinstance(last, dict) and isinstance(parent, list):
                    parent[:] = [item for item in parent if not _matches(item, last)]
                elif isinstance(parent, dict):
                    parent.pop(last, None)
            elif d["action"] == "set":
                if isinstance(last, dict):
                    raise NotThere(f"set {d['at']}: a value is set at a key, not at a list item")
                if isinstance(parent, dict):
                    parent[last] = d["value"]
            else:
                raise ValueError(f"unknown action {d['action']!r}")
    return data


def main(argv: list[str]) -> int:
    import json
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 4
    decisions = json.loads(Path(argv[0]).read_text(encoding="utf-8"))["decisions"]
    data = yaml.safe_load(Path(argv[1]).read_text(encoding="utf-8"))
    Path(argv[2]).write_text(yaml.safe_dump(apply(data, decisions), sort_keys=False, width=10_000), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
