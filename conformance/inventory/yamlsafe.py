"""Read a small YAML data file that people write by hand, refusing what could crash or stall us.

The inventory, site, waivers and baseline files are plain data: they need no tags, and at
most a few aliases. Tags can name arbitrary constructors; a recursive alias loops forever; a
"billion laughs" alias bomb expands a few lines into gigabytes. So this reads bytes with a
size limit, decodes strict UTF-8, and composes with PyYAML's own composer (fed by libyaml's
parser when present: ~10x faster on a 1 MiB file) plus limits. Every refusal is an InputError
that names the line (1-based), so the loader can report FILE:LINE.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

MAX_BYTES = 1024 * 1024
MAX_ALIASES = 100  # alias uses in one file
MAX_NODES = 100_000  # nodes once aliases are expanded: what the loader will walk
MAX_DEPTH = 64  # nesting, aliases expanded; the inventory needs ~8, Python's stack ~300

# YAML 1.1's printable characters (PyYAML's Reader refuses the rest, without a line number)
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class InputError(Exception):
    """What is wrong with the file, and on which line (None: the file as a whole)."""

    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def read_text(path: Path) -> str:
    """The file's text: at most MAX_BYTES, strict UTF-8, only characters YAML accepts. OSError passes."""
    data = _read_at_most(path, MAX_BYTES)
    nul = data.find(b"\0")
    if nul >= 0:  # before decoding: a binary file is better named as such than by its first odd byte
        raise InputError(_byte_position(data, nul)[0], "contains a NUL byte (binary file?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line, column = _byte_position(data, e.start)
        raise InputError(line, f"not UTF-8 text (byte 0x{data[e.start]:02X} at column {column})") from None
    _refuse_control_characters(text)
    return text


def _read_at_most(path: Path, limit: int) -> bytes:
    with open(path, "rb") as f:
        data = f.read(limit + 1)  # never more: a wrong --inventory may name a huge file
        if len(data) > limit:
            st = os.fstat(f.fileno())
            size = f"{st.st_size} bytes" if stat.S_ISREG(st.st_mode) else f"more than {limit} bytes"
            raise InputError(None, f"too large ({size}; the limit is 1 MiB)")
    return data


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in bytes) of a byte offset."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _refuse_control_characters(text: str) -> None:
    m = _NOT_PRINTABLE.search(text)
    if m:
        offset = m.start()
        line_start = text.rfind("\n", 0, offset) + 1
        line = text.count("\n", 0, offset) + 1
        raise InputError(line, f"contains a control character (U+{ord(m.group()):04X} at column {offset - line_start + 1})")


def compose(text: str) -> Node | None:
    """The single document's node graph (None for an empty document), within the limits above."""
    composer = _LimitedComposer(text)
    try:
        return composer.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise InputError(mark.line + 1 if mark else None, f"not valid YAML: {_yaml_problem(e)}") from None
    except yaml.YAMLError as e:  # a ReaderError has no mark; read_text already refused what causes one
        raise InputError(None, f"not valid YAML: {e}") from None
    finally:
        composer.dispose()


def _yaml_problem(e: yaml.MarkedYAMLError) -> str:
    """PyYAML's message in one line: the context (with its own line, when another) and the problem."""
    if not e.context:
        return e.problem
    other_line = e.context_mark and e.problem_mark and e.context_mark.line != e.problem_mark.line
    return f"{e.context}{f' (line {e.context_mark.line + 1})' if other_line else ''}, {e.problem}"


try:
    from yaml._yaml import CParser as _EventParser
except ImportError:  # PyYAML built without libyaml: the same events, slower
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _EventParser(Reader, Scanner, Parser):  # type: ignore[no-redef]
        def __init__(self, text: str):
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)


class _LimitedComposer(Composer, _EventParser, Resolver):
    """PyYAML's composer, refusing tags, recursive aliases, alias bombs and deep nesting as they appear."""

    def __init__(self, text: str):
        _EventParser.__init__(self, text)
        Composer.__init__(self)
        Resolver.__init__(self)
        self.aliases_used = 0
        self.depth = 0
        # per finished node: (node count, height), aliases expanded. A node that has an anchor
        # but no entry here is still being composed, so an alias to it is recursive.
        self.expanded: dict[Node, tuple[int, int]] = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._check_alias(event)
            return super().compose_node(parent, index)
        _refuse_tag(event)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InputError(_line(event), f"nested more than {MAX_DEPTH} levels deep")
        node = super().compose_node(parent, index)
        self.depth -= 1
        self._measure(node)
        return node

    def _check_alias(self, event: AliasEvent) -> None:
        target = self.anchors.get(event.anchor)
        if target is None:
            return  # the composer reports an undefined alias itself
        if target not in self.expanded:
            raise InputError(_line(event), f"alias *{event.anchor} is recursive (it is inside the node it names)")
        self.aliases_used += 1
        if self.aliases_used > MAX_ALIASES:
            raise InputError(_line(event), f"too many aliases (more than {MAX_ALIASES})")
        if self.depth + self.expanded[target][1] > MAX_DEPTH:
            raise InputError(_line(event), f"nested more than {MAX_DEPTH} levels deep once aliases are expanded")

    def _measure(self, node: Node) -> None:
        children = _children(node)
        count = 1 + sum(self.expanded[c][0] for c in children)
        height = 1 + max((self.expanded[c][1] for c in children), default=0)
        if count > MAX_NODES:
            hint = " once aliases are expanded (an alias bomb?)" if self.aliases_used else ""
            raise InputError(node.start_mark.line + 1, f"more than {MAX_NODES} nodes{hint}")
        self.expanded[node] = (count, height)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, SequenceNode):
        return node.value
    return []


def _refuse_tag(event: NodeEvent) -> None:
    # Even core tags (!!str, !!int) are refused: quoting says "a string" without one.
    tag = getattr(event, "tag", None)
    if tag is not None:
        shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
        raise InputError(_line(event), f"YAML tags are not allowed ({shown})")


def _line(event) -> int:
    return event.start_mark.line + 1


_SAFE = SafeConstructor()


def scalar_value(node: ScalarNode):
    """The scalar as YAML's core schema reads it (str, int, float, bool, None, date, datetime).

    A literal the schema resolves but cannot construct (an impossible date like 2026-02-30, an
    int like 0b_) stays a string, so the model rejects it at its line with its own message.
    """
    construct = SafeConstructor.yaml_constructors.get(node.tag)
    if construct is None:  # '<<' and '=' as values: YAML's merge and value tags, no constructor
        return node.value
    try:
        return construct(_SAFE, node)
    except (ValueError, OverflowError):
        return node.value
