"""Load inventory.yaml, site overrides, waivers and baselines; every error names FILE:LINE, never a traceback."""
from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from . import yamlsafe
from .schema import Baseline, Inventory, LocatedError, Site, Waivers

M = TypeVar("M", bound=BaseModel)


class InventoryError(Exception):
    """A broken inventory or site file, located as FILE:LINE."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


def load_inventory(path: Path | str) -> Inventory:
    return _load(Path(path), Inventory)


def load_site(path: Path | str, inventory: Inventory | None = None) -> Site:
    """A site override; given the inventory, every host it maps must be one of the inventory's."""
    context = {"host_ids": [h.id for h in inventory.hosts]} if inventory else None
    return _load(Path(path), Site, context)


def load_waivers(path: Path | str, check_ids: list[str] | None = None) -> Waivers:
    """waivers.yaml; given the check ids, each waiver must name one of them."""
    return _load(Path(path), Waivers, {"check_ids": check_ids} if check_ids is not None else None)


def load_baseline(path: Path | str) -> Baseline:
    return _load(Path(path), Baseline)


def _load(path: Path, model: type[M], context: dict | None = None) -> M:
    try:
        root = yamlsafe.compose(yamlsafe.read_text(path))
    except OSError as e:
        raise InventoryError(path, None, f"cannot read: {e.strerror}") from None
    except yamlsafe.InputError as e:
        raise InventoryError(path, e.line, e.message) from None
    if root is None:
        raise InventoryError(path, 1, "file is empty")
    lines: dict[tuple, int] = {}
    data = _to_python(root, (), lines, path)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedError):
            loc = cause.loc
            message = str(cause)
        else:
            message = _describe(err)
        dotted = ".".join(str(p) for p in loc if p not in ("function-after",))
        more = f" (and {e.error_count() - 1} more problem(s))" if e.error_count() > 1 else ""
        return_line = _line_of(loc, lines)
        raise InventoryError(path, return_line, f"{dotted or 'top level'}: {message}{more}") from None


def _describe(err: dict) -> str:
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return "unknown key (not in the schema; a typo?)"
    if err["type"] == "missing":
        return "required field is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if err["type"] not in ("value_error", "assertion_error") and "input" in err and not isinstance(err["input"], (dict, list)):
        msg += f", got {_shorten(repr(err['input']))}"
    return msg


def _shorten(text: str, limit: int = 80) -> str:
    # one line of a message, even for a value that is a whole pasted file
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _line_of(loc: tuple, lines: dict[tuple, int]) -> int | None:
    # the deepest located prefix: a missing key is reported at the mapping that lacks it
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _to_python(node: yaml.Node, loc: tuple, lines: dict[tuple, int], path: Path):
    """Construct plain data from a composed node, recording the line of every key and item.

    The composer bounded the node graph (yamlsafe): no cycles, at most MAX_NODES visits here.
    """
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):  # `? [a, b]` or `{[x]: 1}`: no field has such a name
                raise InventoryError(path, key_node.start_mark.line + 1, "a key must be a plain scalar")
            key = key_node.value
            if key in out:
                raise InventoryError(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
            lines[loc + (key,)] = key_node.start_mark.line + 1
            out[key] = _to_python(value_node, loc + (key,), lines, path)
        return out
    if isinstance(node, yaml.SequenceNode):
        result = []
        for i, item in enumerate(node.value):
            lines[loc + (i,)] = item.start_mark.line + 1
            result.append(_to_python(item, loc + (i,), lines, path))
        return result
    return yamlsafe.scalar_value(node)
