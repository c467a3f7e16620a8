"""What a service's command line says: where it listens, what it runs, and whether it carries a secret.

Read from ExecStart lines of the owner's unit files and ProgramArguments of their plists (bebopbabailey/homelab-llm
at 1b54b73: granian/uvicorn `--host A --port P`, opencode `--hostname`, llmster_ensure_server.py `--bind`, postgres
`-c listen_addresses=A -c port=P`, ssh `-L A:P:host:port`, `docker run -p A:P:container_port`).
"""
from __future__ import annotations

import posixpath
import re

from ..redaction import Redactor

_INTERPRETERS = re.compile(r"^(python[0-9.]*|bash|sh|zsh|node)$")


def binds(argv: list[str]) -> list[tuple[str, str]]:
    """(address, port) a command line binds: `--host A --port P` (uvicorn, granian, optillm, docs_mcp),
    `--hostname A --port P` (opencode), `--bind A --port P` (llmster_ensure_server.py), `-c listen_addresses=A
    -c port=P` (postgres), `-L A:P:host:hostport` (ssh). A port may be `${VAR}` (left to the caller)."""
    found: list[tuple[str, str]] = []
    if argv and posixpath.basename(argv[0]) == "docker":
        # `docker run -p 127.0.0.1:${PORT}:8000 IMAGE mcp --host 0.0.0.0 --port 8000`: the host's listener is the
        # published one; the flags after the image are the container's own
        for i, word in enumerate(argv[:-1]):
            if word in ("-p", "--publish") and argv[i + 1].count(":") == 2:
                address, port, _ = argv[i + 1].split(":")
                found.append((address, port))
        return found
    flags: dict[str, str] = {}
    settings: dict[str, str] = {}
    for i, word in enumerate(argv):
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if word in ("--host", "--hostname", "--bind", "--port") and nxt is not None:
            flags[word] = nxt
        elif word == "-c" and nxt and "=" in nxt:
            k, v = nxt.split("=", 1)
            settings[k] = v
        elif word == "-L" and nxt and nxt.count(":") == 3:
            address, port, _, _ = nxt.split(":")
            found.append((address, port))
    address = flags.get("--host") or flags.get("--hostname") or flags.get("--bind")
    if address and "--port" in flags:
        found.append((address, flags["--port"]))
    if "listen_addresses" in settings and "port" in settings:
        found.append((settings["listen_addresses"], settings["port"]))
    return found


def program(argv: list[str]) -> str | None:
    """What a job runs: argv[0], or the script an interpreter runs (`/usr/bin/env python3 /Users/.../x.py`)."""
    words = list(argv)
    if words and posixpath.basename(words[0]) == "env":
        words = words[1:]
    if len(words) > 1 and _INTERPRETERS.match(posixpath.basename(words[0])) and words[1].startswith("/"):
        return words[1]
    return words[0] if words and words[0].startswith("/") else None


_REDACTOR = Redactor(enabled=True)  # always on here: a proposal is an artifact, whatever the selftest switch says


_SETTING = re.compile(r"^(yes|no|true|false|on|off|ask|accept-new|\d+)$", re.I)
_VARIABLE_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")  # `--api-key-env LLMSTER_API_KEY` names where a key is


def carries_secret(text: str) -> bool:
    """Whether the suite's redaction would hide part of it (a bearer, a `--api-key VALUE`, a URL's password, a
    key-like token), word by word; a setting it hides by its name alone (ssh's `StrictHostKeyChecking=yes`: yes,
    no, a number) or the name of a variable that holds one is no secret."""
    words, redacted = text.split(), _REDACTOR(text).split()
    if len(words) != len(redacted):
        return True
    return any(w != r and not _SETTING.match(value := w.rsplit("=", 1)[-1]) and not _VARIABLE_NAME.match(value)
               for w, r in zip(words, redacted))
