"""Where things live: the checkout (derived from this package, never hard-coded) and the twin's state dir."""
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent  # the checkout: lab/ is a top-level package of it
STANDINS = PACKAGE / "standins"


def lab_dir() -> Path:
    """State dir: keys, known_hosts, ssh_config, per-host state, console logs (env LAB_DIR)."""
    return Path(os.environ.get("LAB_DIR", "/run/llm-lab"))


def host_dir(name: str) -> Path:
    return lab_dir() / "hosts" / name


def logs_dir() -> Path:
    """Console logs of hosts that were taken down are kept here (the host dir itself is removed)."""
    return lab_dir() / "logs"


def ssh_config() -> Path:
    return lab_dir() / "ssh_config"


def known_hosts() -> Path:
    return lab_dir() / "known_hosts"


def admin_key() -> Path:
    """Key of the outer machine: root and the owner user on every twin host."""
    return lab_dir() / "id_lab"


def owner_key() -> Path:
    """Key the owner user uses INSIDE the twin (mini -> studio/dietpi), like the real owner's key."""
    return lab_dir() / "id_owner"
