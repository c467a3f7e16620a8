"""Checks of the owner's ssh config (where the founding document found the DietPi's address)."""
from __future__ import annotations

from collections.abc import Iterator

import paramiko

from ..facts.linux import LinuxFacts
from ..inventory.schema import Inventory, SshConfigEntry
from ..site import SiteView
from .finding import Check, Finding, Status, compare


def ssh_config_checks(inventory: Inventory, site: SiteView) -> Iterator[Check]:
    for entry in inventory.ssh_config:
        address = site.address(entry.target_host)
        yield Check(f"{entry.service}::ssh-config:{entry.target_host}", entry.on_host,
                    f"{entry.file} has a Host whose HostName is {address} ({entry.target_host})", entry.source,
                    lambda f, e=entry, a=address: _entry(f, e, a), 0.3, "ssh-config")


def hosts_by_address(text: str) -> dict[str, list[str]]:
    """HostName -> the Host patterns that reach it (paramiko's parser, as ssh reads it)."""
    config = paramiko.SSHConfig.from_text(text)
    found: dict[str, list[str]] = {}
    for alias in sorted(config.get_hostnames()):
        if "*" in alias or "?" in alias:
            continue
        hostname = config.lookup(alias).get("hostname", alias)
        found.setdefault(hostname, []).append(alias)
    return found


def _entry(facts: LinuxFacts, entry: SshConfigEntry, address: str) -> Finding:
    text = facts.file_text(entry.file)
    if text is None:
        return Finding(Status.FAILED, f"a Host with HostName {address}", "file missing", entry.file)
    by_address = hosts_by_address(text.text)
    listed = ", ".join(f"{h} ({'/'.join(a)})" for h, a in sorted(by_address.items()))
    found = f"a Host with HostName {address}" if address in by_address else (f"HostNames: {listed}" if listed else "no Host entries")
    return compare(f"a Host with HostName {address}", found, entry.file, text.evidence)
