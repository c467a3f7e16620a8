"""What to ask a host, computed once from the inventory (no host needed to test it)."""
from __future__ import annotations

import shlex
from dataclasses import dataclass

from ..redaction import is_secret_name
from ..inventory.schema import Inventory, Service


@dataclass(frozen=True)
class UnitKey:
    scope: str
    user: str | None
    name: str

    def __str__(self) -> str:
        return self.name if self.scope == "system" else f"{self.name} (user {self.user})"


def protected_files(service: Service) -> list[str]:
    """What "must not be modified" covers: its unit files, drop-ins, and the binary ExecStart runs."""
    found: list[str] = []
    for u in service.units:
        found += [u.fragment] if u.fragment else []
        found += u.drop_ins or []
        found += [shlex.split(u.exec_start)[0]] if u.exec_start else []
    return list(dict.fromkeys(found))


class FactPlan:
    def __init__(self, inventory: Inventory, host_id: str) -> None:
        self.inventory = inventory
        self.host_id = host_id
        self.services = inventory.services_on(host_id)

    def units_by_scope(self) -> dict[tuple[str, str | None], list[str]]:
        scopes: dict[tuple[str, str | None], list[str]] = {}
        for s in self.services:
            for u in s.units:
                names = scopes.setdefault((u.scope, u.user if u.scope == "user" else None), [])
                if u.name not in names:
                    names.append(u.name)
        return scopes

    def journals(self) -> list[UnitKey]:
        return [UnitKey(j.scope, j.unit_user, j.unit) for s in self.services for j in s.journal]

    def paths(self) -> list[str]:
        found: list[str] = []
        for s in self.services:
            found += [p.path for p in s.paths]
            found += [e.path for e in s.env_files]
        found += self.reads()
        return list(dict.fromkeys(found))

    def hashed(self) -> list[str]:
        return list(dict.fromkeys(f for s in self.services if s.must_not_modify for f in protected_files(s)))

    def symlinks(self) -> list[str]:
        return list(dict.fromkeys(p.path for s in self.services for p in s.paths if p.type == "symlink"))

    def reads(self) -> list[str]:
        """Files whose contents checks compare; never a secret file."""
        inv = self.inventory
        reads = [e.path for s in self.services for e in s.env_files]
        if inv.litellm and inv.service(inv.litellm.service).host == self.host_id:
            reads += [inv.litellm.config, inv.litellm.env_file]
        if inv.launch_scripts and inv.launch_scripts.host == self.host_id:
            reads += [f"{inv.launch_scripts.dir}/{name}" for name in inv.launch_scripts.scripts]
        reads += [e.file for e in inv.ssh_config if e.on_host == self.host_id]
        secret = set(self.secret_paths())
        return [r for r in dict.fromkeys(reads) if r not in secret]

    def ssh_configs(self) -> list[str]:
        """The documented ssh configs on this host (read in round trip 2, their aliases resolved in round trip 4)."""
        return list(dict.fromkeys(e.file for e in self.inventory.ssh_config if e.on_host == self.host_id))

    def secret_paths(self) -> list[str]:
        """Documented secret files: only ever stat'ed, never read."""
        return [p.path for s in self.services for p in s.paths if p.secret]

    def yaml_reads(self) -> list[str]:
        """The files read as YAML (their secrets are found by key, not by env-file syntax)."""
        inv = self.inventory
        return [inv.litellm.config] if inv.litellm and inv.service(inv.litellm.service).host == self.host_id else []

    def is_secret_key(self, key: str) -> bool:
        documented = any(e.key == key and e.secret for s in self.services for f in s.env_files for e in f.entries)
        return documented or is_secret_name(key)
