"""Checks of the owner's ssh config (where the founding document found the DietPi's address).

Read as ssh reads it, with the transport's own resolution: the aliases the file lists (Includes followed,
Match blocks skipped), each resolved by `ssh -G -F FILE` on the host, so a HostName set in a Match block or
an included file counts, as it does for ssh.
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..inventory.schema import Inventory, SshConfigEntry
from ..runner.sshconfig import Resolved
from ..site import SiteAddresses
from ..facts.needs import SSH_CONFIG, TEXT, Need
from .finding import Check, Finding, Impact, compare, unreadable


def ssh_config_checks(inventory: Inventory, site: SiteAddresses) -> Iterator[Check]:
    for entry in inventory.ssh_config:
        address = site.address(entry.target_host)
        yield Check(id=f"{entry.service}::ssh-config:{entry.target_host}", host=entry.on_host, kind="ssh-config",
                    title=f"{entry.file} has a Host whose HostName is {address} ({entry.target_host})", source=entry.source,
                    impact=Impact.LOW, evaluate=partial(_entry, entry=entry, address=address),
                    needs=(Need(TEXT, entry.file), Need(SSH_CONFIG, entry.file)))


def hosts_by_address(aliases: dict) -> dict[str, list[str]]:
    """HostName -> the aliases ssh sends there (from their `ssh -G` resolution), aliases sorted."""
    found: dict[str, list[str]] = {}
    for alias in sorted(aliases):
        if isinstance(aliases[alias], Resolved):
            found.setdefault(aliases[alias].hostname, []).append(alias)
    return found


def _entry(facts, entry: SshConfigEntry, address: str) -> Finding:
    expected = f"a Host with HostName {address}"
    text = facts.file_text(entry.file)
    problem = unreadable(text, expected)
    if problem:
        return problem
    config = facts.ssh_config(entry.file)
    by_address = hosts_by_address(config.aliases)
    listed = ", ".join(f"{h} ({'/'.join(a)})" for h, a in sorted(by_address.items()))
    failed = "; ".join(str(e) for e in config.aliases.values() if not isinstance(e, Resolved))
    found = expected if address in by_address else (f"HostNames: {listed}" if listed else "no Host entries")
    if failed and address not in by_address:
        found += f" ({failed})"
    return compare(expected, found, f"{entry.file} ({config.source})", text.evidence + config.evidence)
