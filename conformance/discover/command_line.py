"""What a service's command line says: where it listens, what it runs, and whether it carries a secret.

Read from ExecStart lines of the owner's unit files and ProgramArguments of their plists (bebopbabailey/homelab-llm
at 1b54b73: granian/uvicorn `--host A --port P`, opencode `--hostname`, llmster_ensure_server.py `--bind`, postgres
`-c listen_addresses=A -c port=P`, ssh `-L A:P:host:port`, `docker run -p A:P:container_port`).
"""
from __future__ import annotations

import posixpath
import re
import shlex

from ..redaction import Redactor
from .unit_file import logical_lines

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


_VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
_COMMAND_ENDS = {"&", "&&", "|", "||", ";"}


def expand(word: str, env: dict[str, str]) -> str:
    """`${NAME}`, `${NAME:-default}` and `$NAME` as a shell expands them from `env`; a variable `env` lacks (and
    that has no default) is left as written, so a caller sees the port is not known."""
    def one(m: re.Match) -> str:
        name = m.group(1) or m.group(3)
        if name in env:
            return env[name]
        return m.group(2) if m.group(2) is not None else m.group(0)

    return _VARIABLE.sub(one, word)


def script_binds(text: str, env: dict[str, str]) -> list[tuple[str, str, bool]]:
    """(address, port) the commands of a shell script bind, read as `binds` reads a command line, after the
    script's own assignments (`export PORT="${PORT:-4000}"`: the env file's value, else the default) and `env`
    (the values of the unit's env file) are expanded. The owner's ExecStart scripts at 1b54b73:
    services/litellm-orch/scripts/run-service.sh (`--host 0.0.0.0 --port "${PORT}"`, uvicorn beside it),
    experiments/qwen-agent-proxy/scripts/run_qwen_agent_proxy.sh (`--port "${QWEN_AGENT_PROXY_PORT:-4021}"`),
    experiments/ccproxy-api/scripts/run_ccproxy.sh (`--host 127.0.0.1 --port 4010`). Only binds whose address
    and port are both known are returned, each with whether its command is started in the background (`&`: a
    program beside the script's main one, run-service.sh's chatgpt5_adapter)."""
    env = dict(env)
    found: list[tuple[str, str, bool]] = []
    for line in logical_lines(text):
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # an unbalanced quote: a line of a construct this reader does not follow
            continue
        plain = words[1:] if words[:1] == ["export"] else words
        if len(plain) == 1 and _ASSIGNMENT.match(plain[0]):
            name, value = plain[0].split("=", 1)
            env[name] = expand(value, env)
            continue
        command = [expand(w, env) for w in words]
        command = command[1:] if command[:1] == ["exec"] else command
        end = next((i for i, w in enumerate(command) if w in _COMMAND_ENDS), len(command))
        beside = command[end:end + 1] == ["&"]
        found += [(a, p, beside) for a, p in binds(command[:end]) if "$" not in a + p]
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
