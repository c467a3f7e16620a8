"""Checks of the owner's ssh config (where the founding document found the DietPi's address)."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import paramiko

from ..inventory.schema import Inventory, SshConfigEntry
from ..site import SiteView
from .finding import Check, Finding, Impact, compare, unreadable


def ssh_config_checks(inventory: Inventory, site: SiteView) -> Iterator[Check]:
    for entry in inventory.ssh_config:
        address = site.address(entry.target_host)
        yield Check(id=f"{entry.service}::ssh-config:{entry.target_host}", host=entry.on_host, kind="ssh-config",
                    title=f"{entry.file} has a Host whose HostName is {address} ({entry.target_host})", source=entry.source,
                    impact=Impact.LOW, evaluate=partial(_entry, entry=entry, address=address))


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


def _entry(facts, entry: SshConfigEntry, address: str) -> Finding:
    expected = f"a Host with HostName {address}"
    text = facts.file_text(entry.file)
    problem = unreadable(text, expected)
    if problem:
        return problem
    by_address = hosts_by_address(text.text)
    listed = ", ".join(f"{h} ({'/'.join(a)})" for h, a in sorted(by_address.items()))
    found = expected if address in by_address else (f"HostNames: {listed}" if listed else "no Host entries")
    return compare(expected, found, entry.file, text.evidence)
