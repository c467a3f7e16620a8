"""Checks of the ports LiteLLM's routes reach on a host that documents no listener for them (the MLX servers on
the Studio): each listens where the route's clients connect, and answers its backend kind's health request as
that kind documents (`contract.apis[].health`: mlx-openai-server's `GET /health` with status ok, vLLM's with an
empty body, llmster's authenticated model list).

The listening state of such ports may vary (the founding document says so of the MLX servers): a route says
whether its backend must be up (`expected: up`) or may be down (`optional`). A down optional port is not
applicable (a skip with a warning, even for nightly runs); a down `up` port fails.
"""
from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from functools import partial
from urllib.parse import urlsplit

from ..facts.backend_auth import backend_key, key_headers, missing_key, needs_key
from ..facts.base import CannotVerify
from ..facts.needs import HTTP, LISTENERS, Need
from ..inventory.schema import Api, Health, Inventory, Route
from ..site import SiteAddresses
from .finding import Check, Finding, Impact, compare, failed, not_applicable
from .http import described, judge


def route_port(route: Route) -> int | None:
    return urlsplit(route.api_base.replace("{", "").replace("}", "")).port


def routes_on(inventory: Inventory, host_id: str) -> list[Route]:
    """The LiteLLM routes whose backend runs on this host on a port its service documents no listener for: the MLX
    servers, whose ports come from the routes (a documented listener has its own check)."""
    if not inventory.litellm:
        return []
    found = []
    for route in inventory.litellm.routes:
        service = inventory.service(route.backend)
        if service.host == host_id and route_port(route) and route_port(route) not in {l.port for l in service.listen}:
            found.append(route)
    return found


def route_checks(inventory: Inventory, site: SiteAddresses, host_id: str) -> Iterator[Check]:
    for route in routes_on(inventory, host_id):
        port = route_port(route)
        service = route.backend
        state = "must listen" if route.expected == "up" else "may be down (listening state varies)"
        address = urlsplit(site.render(route.api_base)).hostname
        yield Check(id=f"{service}::listen:{port}", host=host_id, kind="mlx-listen", source=route.source,
                    impact=Impact.HIGH,
                    title=f"port {port} of route {route.name} listens on {address} or a wildcard address ({state})",
                    evaluate=partial(_route_listens, route=route, port=port, address=address), needs=(Need(LISTENERS),))
        # a route without a kind (an inventory with no contract) is judged by a Health's defaults: GET /health, 200
        api = inventory.api(route.api) if route.api and inventory.contract else None
        health = api.health if api else Health()
        url = f"http://{site.address(host_id)}:{port}{health.path}"
        keyed = " with its key" if api and needs_key(api, health.path) else ""
        kind = f"{api.id}'s health" if api else "health"
        yield Check(id=f"{service}::health:{port}", host=host_id, kind="mlx-health", source=route.source,
                    impact=Impact.HIGH,
                    title=f"GET {url}{keyed} answers {described(health, ' with ')} ({kind}; route {route.name}; {state})",
                    evaluate=partial(_health, host=host_id, route=route, port=port, url=url, api=api, health=health),
                    needs=(Need(LISTENERS), Need(HTTP, url)))


def _route_listens(facts, route: Route, port: int, address: str) -> Finding:
    """The port listens where the route's clients connect: the address of its api_base (as this site
    renders it) or a wildcard that covers it. A port bound to 127.0.0.1 only is up, and unreachable."""
    fact = facts.listeners()
    on_port = sorted({l.address for l in fact.value if l.port == port})
    if not on_port and route.expected == "optional":
        return not_applicable(f"port {port} (route {route.name}) is down; documented as optional", fact.source, fact.evidence)
    expected = f"port {port} listening on {address} or a wildcard address"
    if _reachable_at(address) & set(on_port):
        found = expected
    elif on_port:
        found = f"port {port} listening only on {', '.join(on_port)}, not where route {route.name} connects ({address})"
    else:
        found = f"nothing on port {port}"
    return compare(expected, found, fact.source, fact.evidence)


def _reachable_at(address: str) -> set[str]:
    """The listening addresses that accept a connection to `address`: itself, or a wildcard of its family
    as the listener facts write them (netstat's `*` is `0.0.0.0` for tcp4, `::` for tcp6, `*` for tcp46:
    conformance.facts.netstat.WILDCARDS; an IPv6-only `::` does not take IPv4)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # a host name: which family it resolves to is not known here
        return {address, "*", "0.0.0.0", "::"}
    return {str(ip), "*", "0.0.0.0" if ip.version == 4 else "::"}


def _health(facts, host: str, route: Route, port: int, url: str, api: Api | None, health: Health) -> Finding:
    fact = facts.listeners()
    if port not in {l.port for l in fact.value}:
        if route.expected == "optional":
            return not_applicable(f"port {port} (route {route.name}) is down; documented as optional", fact.source,
                                  fact.evidence)
        return failed(described(health), f"nothing listens on port {port}", fact.source, fact.evidence)
    headers = {}
    if api is not None and needs_key(api, health.path):
        key = backend_key(api, os.environ, facts.redactor)
        if key is None:  # a missing key is a missing privilege of the run
            raise CannotVerify(missing_key(api), fact.evidence)
        headers = key_headers(api, health.path, key)
    answer = facts.http.get(host, url, headers)
    expected, found = judge(health, answer.status, answer.body, facts.redactor.excerpt)
    return compare(expected, found, answer.source, answer.evidence)
