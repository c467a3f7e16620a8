"""Env files as systemd's EnvironmentFile= reads them: KEY=VALUE, comments, quotes."""
from __future__ import annotations

import shlex


def read_command(path: str) -> list[str]:
    return ["cat", "--", path]


def parse_env_file(text: str) -> dict[str, str]:
    """Parse an env file; later assignments win, as in systemd.

    Handles `# comments` and `; comments`, blank lines, `export KEY=...`, single and double
    quotes, and inline ` # comment` after an unquoted value.
    """
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if value[:1] in ("'", '"'):
            try:
                parts = shlex.split(value, comments=True)
                value = parts[0] if parts else ""
            except ValueError:
                value = value.strip("'\"")
        else:
            value = value.split(" #", 1)[0].rstrip()
        env[key] = value
    return env
