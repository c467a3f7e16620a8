"""Per-host state of a running twin (LAB_DIR/hosts/<name>/state.json): what `down` and `status` need."""
import json

from . import paths


def state_file(name: str):
    return paths.host_dir(name) / "state.json"


def read_state(name: str) -> dict:
    try:
        return json.loads(state_file(name).read_text())
    except (OSError, ValueError):
        return {}


def write_state(name: str, state: dict) -> None:
    state_file(name).write_text(json.dumps(state, indent=2) + "\n")


def hosts_with_state() -> list[str]:
    d = paths.lab_dir() / "hosts"
    return sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []


def require_up(host: str) -> dict:
    """A clear error instead of ssh's "could not resolve hostname" when the host is not up."""
    from .proc import LabError
    from .topology import host as spec
    spec(host)
    st = read_state(host)
    if not st:
        raise LabError(f"{host} is not up: run `python -m lab up` first")
    return st
