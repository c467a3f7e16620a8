"""A backend kind's key (`contract.apis[].auth`): read from the environment variable the kind names, never from a
file of the suite and never written anywhere; the run's redactor learns it before anything can quote it. It is
sent only on the paths the kind says it guards (vLLM's `--api-key` guards /v1, not /health), and only to the
route's documented address (the plan's)."""
from __future__ import annotations

from collections.abc import Mapping

from ..inventory.schema import Api
from ..redaction import Redactor


def backend_key(api: Api, environ: Mapping[str, str], redactor: Redactor) -> str | None:
    """The kind's key from the run's environment (None: the kind needs none, or the run was not given it)."""
    if api.auth is None:
        return None
    key = environ.get(api.auth.key_env) or None
    if key:
        redactor.learn(key)  # whatever echoes it (an error body, a log line) is redacted
    return key


def needs_key(api: Api, path: str) -> bool:
    """Whether a request to `path` must carry the kind's key."""
    return api.auth is not None and api.auth.guards_path(path)


def key_headers(api: Api, path: str, key: str | None) -> dict[str, str]:
    """The Authorization header a request to `path` carries: the key where the kind guards the path, else none."""
    return {"Authorization": f"Bearer {key}"} if key and needs_key(api, path) else {}


def missing_key(api: Api) -> str:
    """Why a check that needs the kind's key cannot be verified without it (worded so that no value follows a
    secret's name: the redactor would take the next word for one)."""
    return (f"needs {api.id}'s key in ${api.auth.key_env} for the run (it is never read from a file and never "
            "written out)")
