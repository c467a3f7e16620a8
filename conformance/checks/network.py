"""Checks of documented listening addresses."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial

from ..inventory.schema import Listener, Service
from ..facts.needs import LISTENERS, Need
from .finding import Check, Finding, Impact, Status, compare

_ANY_V4 = {"0.0.0.0", "*"}  # ss shows a dual-stack wildcard as *


def listen_checks(service: Service) -> Iterator[Check]:
    for listener in service.listen:
        yield Check(id=f"{service.id}::listen:{listener.port}", host=service.host, kind="listen",
                    title=f"something listens on {listener.address}:{listener.port} (TCP)", source=listener.source,
                    impact=Impact.CRITICAL, evaluate=partial(_listening, listener=listener), needs=(Need(LISTENERS),))


def _listening(facts, listener: Listener) -> Finding:
    fact = facts.listeners()
    on_port = sorted({l.address for l in fact.value if l.port == listener.port})
    wanted = _ANY_V4 if listener.address == "0.0.0.0" else {listener.address}
    found = f"{listener.address}:{listener.port}" if wanted & set(on_port) else (
        ", ".join(f"{a}:{listener.port}" for a in on_port) or f"nothing on port {listener.port}")
    finding = compare(f"{listener.address}:{listener.port}", found, fact.source, fact.evidence)
    if finding.status is Status.PASSED and listener.address == "0.0.0.0":
        return replace(finding, note=f"security: port {listener.port} is bound to all interfaces (reachable from the LAN)")
    return finding
