"""The Python distributions a site-packages folder holds, read from the names of their `.dist-info` folders.

An installer (pip, uv) records each distribution it installs in `<name>-<version>.dist-info` (the Python Packaging
Authority's "Recording installed projects" spec: the name with `-` written as `_`, the version as installed; e.g.
`litellm-1.83.4.dist-info`, `litellm_proxy_extras-0.4.65.dist-info` in this project's .venv-litellm). Reading the
folder's names tells the installed version without running or importing the package. Names are compared
normalized (PEP 503: lower case, runs of `-`, `_`, `.` as one `-`), so `LiteLLM` and `litellm` are one name.
"""
from __future__ import annotations

import re

SUFFIX = ".dist-info"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_listing(stdout: str) -> dict[str, str]:
    """`ls -1` of a site-packages folder -> normalized name -> version, for each `.dist-info` folder in it."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        name = line.strip()
        if not name.endswith(SUFFIX) or "-" not in name:
            continue
        distribution, version = name[: -len(SUFFIX)].rsplit("-", 1)
        if distribution and version:
            found[normalize(distribution)] = version
    return found
