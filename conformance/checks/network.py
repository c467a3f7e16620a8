"""Checks of documented listening addresses."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ..facts.linux import LinuxFacts
from ..inventory.schema import Listener, Service
from .finding import Check, Finding, Status, compare

_ANY_V4 = {"0.0.0.0", "*"}  # ss shows a dual-stack wildcard as *


def listen_checks(service: Service) -> Iterator[Check]:
    for listener in service.listen:
        yield Check(f"{service.id}::listen:{listener.port}", service.host,
                    f"something listens on {listener.address}:{listener.port} (TCP)", listener.source,
                    lambda f, l=listener: _listening(f, l), 0.9, "listen")


def _listening(facts: LinuxFacts, listener: Listener) -> Finding:
    fact = facts.listeners()
    on_port = sorted({l.address for l in fact.value if l.port == listener.port})
    wanted = _ANY_V4 if listener.address == "0.0.0.0" else {listener.address}
    found = f"{listener.address}:{listener.port}" if wanted & set(on_port) else (
        ", ".join(f"{a}:{listener.port}" for a in on_port) or f"nothing on port {listener.port}")
    finding = compare(f"{listener.address}:{listener.port}", found, fact.source, fact.evidence)
    if finding.status is Status.PASSED and listener.address == "0.0.0.0":
        return replace(finding, note=f"security: port {listener.port} is bound to all interfaces (reachable from the LAN)")
    return finding
