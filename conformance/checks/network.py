"""Checks of documented listening addresses: one bind per port, or every bind of a port that has several."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import partial

from ..inventory.schema import Inventory, ServeMapping, Service
from ..facts.needs import LISTENERS, TAILSCALE_SERVE, Need
from ..site import SiteAddresses
from .finding import Check, Finding, Impact, Status, compare, compare_sets

_ANY_V4 = {"0.0.0.0", "*"}  # ss shows a dual-stack wildcard as *
_WILDCARDS = {"0.0.0.0", "*", "::"}


def listen_checks(service: Service, site: SiteAddresses | None = None) -> Iterator[Check]:
    render = site.render if site is not None else (lambda address: address)
    for listener in service.listen:
        binds = [render(a) for a in listener.binds]
        if listener.addresses is None:
            title, evaluate = (f"something listens on {binds[0]}:{listener.port} (TCP)",
                               partial(_listening, address=binds[0], port=listener.port))
        else:
            title, evaluate = (f"port {listener.port} (TCP) is bound exactly to {', '.join(binds)}",
                               partial(_bound_exactly, addresses=binds, port=listener.port))
        yield Check(id=f"{service.id}::listen:{listener.port}", host=service.host, kind="listen", title=title,
                    source=listener.source, impact=Impact.CRITICAL, evaluate=evaluate, needs=(Need(LISTENERS),))


def _listening(facts, address: str, port: int) -> Finding:
    fact = facts.listeners()
    on_port = sorted({l.address for l in fact.value if l.port == port})
    wanted = _ANY_V4 if address == "0.0.0.0" else {address}
    found = f"{address}:{port}" if wanted & set(on_port) else (
        ", ".join(f"{a}:{port}" for a in on_port) or f"nothing on port {port}")
    finding = compare(f"{address}:{port}", found, fact.source, fact.evidence)
    if finding.status is Status.PASSED and address == "0.0.0.0":
        return replace(finding, note=f"security: port {port} is bound to all interfaces (reachable from the LAN)")
    return finding


def _bound_exactly(facts, addresses: list[str], port: int) -> Finding:
    """Several binds of one port (Samba on 127.0.0.1 and the LAN address): each documented one listens, and no other
    (a service documented on specific addresses that listens on all interfaces as well is a drift). A documented
    0.0.0.0 is also met by ss's dual-stack `*`."""
    fact = facts.listeners()
    on_port = sorted({l.address for l in fact.value if l.port == port})
    shown = list(dict.fromkeys("0.0.0.0" if a == "*" and "0.0.0.0" in addresses and "*" not in addresses else a
                               for a in on_port))
    finding = compare_sets(addresses, shown, fact.source, fact.evidence)
    if finding.status is Status.PASSED and set(addresses) & _WILDCARDS:
        return replace(finding, note=f"security: port {port} is bound to all interfaces (reachable from the LAN)")
    return finding


# --- Tailscale Serve ------------------------------------------------------------------------------------------

def serve_checks(inventory: Inventory, site: SiteAddresses, host_id: str) -> Iterator[Check]:
    """One check per documented Tailscale Serve mapping of the host: the port (and path) maps to the documented
    target, read from `tailscale serve status --json` (facts/tailscale.py)."""
    for mapping in inventory.tailscale_serve:
        if mapping.host != host_id:
            continue
        target = site.render(mapping.proxy if mapping.proxy is not None else mapping.tcp_forward)
        at = f":{mapping.port}{mapping.path}" if mapping.proxy is not None else f":{mapping.port} (TCP)"
        yield Check(id=f"tailscale-serve::{host_id}:{mapping.id}", host=host_id, kind="tailscale-serve",
                    title=f"Tailscale Serve ({mapping.serve}) maps {at} to {target}", source=mapping.source,
                    impact=Impact.MEDIUM, needs=(Need(TAILSCALE_SERVE),),
                    evaluate=partial(_served, mapping=mapping, target=target))


def _served(facts, mapping: ServeMapping, target: str) -> Finding:
    fact = facts.tailscale_serve()
    web = mapping.proxy is not None
    on_port = [s for s in fact.value if s.serve == mapping.serve and s.port == mapping.port
               and (s.path is not None) == web]
    same = [s for s in on_port if not web or s.path == mapping.path]
    if same:
        found = same[0].target if same[0].kind in ("proxy", "tcp-forward") else f"{same[0].kind} {same[0].target}"
    else:
        others = [s.describe() for s in fact.value if s.serve == mapping.serve]
        found = f"no {'web handler' if web else 'TCP forward'} on {mapping.serve} :{mapping.port}" + (
            f"{mapping.path}" if web else "") + (f" ({mapping.serve} serves: {'; '.join(others)})" if others else "")
    return compare(target, found, fact.source, fact.evidence)
