"""Shell launch scripts: the command lines a shell would run, split as the shell splits them.

Comments and quoted strings that are not executed do not count: `# --port 8100` is a comment,
and `echo "--port 8100"` passes one word, not the flag.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Launch:
    """One command line that passes `--port`: its words and its long options."""

    words: tuple[str, ...]
    options: dict  # --flag -> value (the next word, or what follows `=`)

    @property
    def port(self) -> str | None:
        return self.options.get("--port")

    def shown(self, flags: list[str]) -> str:
        return " ".join(f"{f} {shlex.quote(self.options[f])}" if f in self.options else f"(no {f})" for f in flags)


def join_continuations(text: str) -> str:
    """Shell line continuations joined, with the spaces around them collapsed to one."""
    return re.sub(r"[ \t]*\\\n\s*", " ", text)


def launches(text: str) -> list[Launch]:
    """Every command line that passes a `--port` option, in order."""
    found = []
    for line in join_continuations(text).splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # an unbalanced quote: the shell would not run this line as written
            continue
        options = long_options(words)
        if "--port" in options:
            found.append(Launch(tuple(words), options))
    return found


def long_options(words: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for i, word in enumerate(words):
        if not word.startswith("--") or word == "--":
            continue
        name, eq, value = word.partition("=")
        if eq:
            options[name] = value
        elif i + 1 < len(words) and not words[i + 1].startswith("-"):
            options[name] = words[i + 1]
        else:
            options[name] = ""
    return options


def ports(text: str) -> list[int]:
    """The literal ports of every launch (a `--port $VAR` has none)."""
    return [int(l.port) for l in launches(text) if l.port and l.port.isdigit()]
