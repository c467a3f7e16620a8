"""What discovery never proposes: the OS's own noise (a default list), and what the owner accepted (an ignore file).

An item is named `kind:name`: `unit:ssh.service`, `listener:0.0.0.0:22`, `launchd:com.apple.cron`, `host:orin`;
a pattern is an fnmatch pattern over that name, optionally for one host only.

The default list names only what an OS brings along (sshd, systemd's own units, getty, com.apple.*): a unit test
holds it to naming nothing any of the project's inventories documents. The ignore file is like waivers.yaml
(conformance/checks/waivers.py): each entry has a reason and an expiry date, and an expired entry no longer hides
its items; the page lists it, so an acceptance is looked at again instead of silently kept forever.

    # discover-ignore.yaml
    ignores:
      - {match: "host:orin", reason: "the fourth host is documented in examples/inventory-orin.yaml", expires: 2027-01-31}
      - {match: "listener:127.0.0.1:6379", host: mini, reason: "redis for a weekend experiment", expires: 2026-12-31}
"""
from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from ..inventory.schema import Strict

DEFAULT_IGNORES: tuple[str, ...] = (
    # systemd and the base system (Debian/Ubuntu/DietPi), by their unit names
    "unit:systemd-*", "unit:ssh.service", "unit:sshd.service", "unit:getty@*", "unit:serial-getty@*",
    "unit:console-*", "unit:dbus.service", "unit:dbus-*", "unit:cron.service", "unit:rsyslog.service",
    "unit:user@*", "unit:user-runtime-dir@*", "unit:polkit.service", "unit:networking.service",
    "unit:ifup@*", "unit:keyboard-setup.service", "unit:kmod-*", "unit:e2scrub*", "unit:apt-*",
    "unit:dpkg-db-backup.service", "unit:logrotate.service", "unit:man-db.service", "unit:fstrim.service",
    "unit:unattended-upgrades.service", "unit:ModemManager.service", "unit:NetworkManager*",
    "unit:wpa_supplicant*", "unit:avahi-daemon.service", "unit:cups*", "unit:snapd*", "unit:rc-local.service",
    "unit:ssh-*", "unit:emergency.service", "unit:rescue.service", "unit:dietpi-*", "unit:dropbear.service", "unit:getty-*",
    "unit:dbus-org.*", "unit:pam_namespace.service", "unit:sudo.service", "unit:procps.service",
    # a user manager's own session bus (a user unit is named `unit:NAME@USER`), started by any `systemctl --user`
    "unit:dbus.service@*", "unit:dbus-*@*",
    # the base system's listeners: sshd (dropbear on DietPi), the stub resolver
    "listener:*:22", "listener:127.0.0.53:53", "listener:127.0.0.54:53",
    # macOS's own jobs
    "launchd:com.apple.*",
)


class Ignore(Strict):
    match: str = Field(min_length=3)
    host: str | None = None
    reason: str = Field(min_length=3)
    expires: date


class IgnoreFile(Strict):
    ignores: list[Ignore] = []


class IgnoreError(Exception):
    """An ignore file that cannot be read (exit 4: bad input)."""


def load(path: Path | str) -> IgnoreFile:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return IgnoreFile.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as e:
        raise IgnoreError(f"{path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None


class Ignores:
    """Decides, per item, whether it is ignored and why; remembers the expired entries that matched."""

    def __init__(self, file: IgnoreFile | None = None, today: date | None = None,
                 defaults: tuple[str, ...] = DEFAULT_IGNORES) -> None:
        self.file = file or IgnoreFile()
        self.today = today or date.today()
        self.defaults = defaults
        self.expired_hits: dict[str, Ignore] = {}  # item name -> the expired entry that would have hidden it

    def why(self, host: str, name: str) -> str | None:
        """The reason `name` on `host` is ignored, or None."""
        for pattern in self.defaults:
            if fnmatchcase(name, pattern):
                return f"OS noise (default ignore {pattern})"
        for entry in self.file.ignores:
            if entry.host not in (None, host) or not fnmatchcase(name, entry.match):
                continue
            if self.today > entry.expires:
                self.expired_hits[f"{host}/{name}"] = entry
                continue
            return f"ignored until {entry.expires}: {entry.reason}"
        return None
