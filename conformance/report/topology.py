"""The lab's topology, drawn from the inventory and coloured by one run.

    topology_of(inventory, site) -> dict     plain data (results.json's "topology"), stored by the plugin
    render_topology_svg(topology, checks)    an inline SVG: columns per host, rows per service

Nothing is hand-drawn: a node is a documented service on its host; a route backend served on
several ports (the Studio's MLX servers) is one node per routed port. An edge is either a LiteLLM
route (litellm.routes: LiteLLM -> the backend's port) or a documented env entry whose value is an
http URL that reaches another documented listener (Open WebUI's OPENAI_API_BASE_URL -> LiteLLM).

Colours come from the run's checks: a node shows the worst state of its service's checks on its
host (a port node: the checks that name its port, and those that name no routed port; a route's
contract checks count for the node its edge leads to); a route edge the worst of its contract
checks (`<backend>::contract:<route>:...`); an env edge its env check. Grey when nothing of it ran. The renderer reads only this data and the checks, so an old
run directory renders as it was; malformed data draws what it can and never raises.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from .model import CANNOT_VERIFY, ERROR, FAILED, NOT_APPLICABLE, NOT_RUN, OPT_IN, PASSED, SEVERITY, UNPROVEN, WAIVED, CheckResult
from .page import h

LOCAL_NAMES = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "[::1]"}


# --- the data ---------------------------------------------------------------------------------------
def topology_of(inventory, site=None) -> dict:
    """Hosts (in inventory order) with their nodes, and the edges between nodes, as JSON-ready data.
    `site`: a conformance.site.SiteAddresses (the run's addresses); None: the documented ones."""
    address = site.address if site is not None else (lambda host_id: inventory.host(host_id).address)
    render = site.render if site is not None else (lambda t: t.format(**{x.id: x.address for x in inventory.hosts}))
    routes = list(inventory.litellm.routes) if inventory.litellm else []
    route_ports: dict[str, list[int]] = {}
    for r in routes:
        port = _port(render(r.api_base))
        if port is not None and port not in route_ports.setdefault(r.backend, []):
            route_ports[r.backend].append(port)

    def node_id(service: str, port: int | None) -> str:
        return f"{service}:{port}" if port is not None and len(route_ports.get(service, [])) > 1 else service

    hosts = []
    for host in inventory.hosts:
        nodes = []
        for s in inventory.services_on(host.id):
            ports = route_ports.get(s.id, [])
            listen = [x.port for x in s.listen]
            if len(ports) > 1:
                nodes += [{"id": node_id(s.id, p), "service": s.id, "label": f"{s.id} :{p}", "ports": [p],
                           "purpose": s.purpose} for p in ports]
            else:
                shown = listen or ports
                nodes.append({"id": s.id, "service": s.id, "label": s.id, "ports": shown, "purpose": s.purpose})
        hosts.append({"id": host.id, "address": address(host.id), "role": host.role, "nodes": nodes})

    edges = []
    for s in inventory.services:
        for f in s.env_files:
            for e in f.entries:
                target = _listener_at(inventory, s.host, e.value, address) if e.value else None
                if target is not None and target != s.id:
                    edges.append({"from": s.id, "to": target, "label": e.key, "route": None,
                                  "checks": [f"{s.id}::env:{e.key}"]})
    if inventory.litellm:
        proxy = inventory.litellm.service
        for r in routes:
            edges.append({"from": proxy, "to": node_id(r.backend, _port(render(r.api_base))), "label": r.name,
                          "route": r.name, "expected": r.expected, "checks": []})
    return {"site": site.id if site is not None else "lab", "hosts": hosts, "edges": edges}


def _port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None


def _listener_at(inventory, from_host: str, value: str, address) -> str | None:
    """The service whose documented listener an http URL reaches (from a service on `from_host`), if any."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or port is None or not parts.hostname:
        return None
    name = parts.hostname
    hosts = [from_host] if name in LOCAL_NAMES else [x.id for x in inventory.hosts if name in (address(x.id), x.address)]
    for s in inventory.services:
        if s.host in hosts and any(x.port == port for x in s.listen):
            return s.id
    return None


# --- the picture ------------------------------------------------------------------------------------
# Colours of a state: fill, stroke (the report's palette).
COLOURS = {
    PASSED: ("#dcf3e3", "#1b7f3b"), FAILED: ("#fbe0dd", "#b3261e"), ERROR: ("#fbe0dd", "#b3261e"),
    WAIVED: ("#ece3f7", "#6b3fa0"), CANNOT_VERIFY: ("#e8eaed", "#80868b"), NOT_APPLICABLE: ("#e8eaed", "#80868b"),
    NOT_RUN: ("#f1f3f4", "#9aa0a6"), UNPROVEN: ("#e8eaed", "#80868b"), OPT_IN: ("#f1f3f4", "#9aa0a6"),
}
GREY = (CANNOT_VERIFY, NOT_APPLICABLE, NOT_RUN, UNPROVEN, OPT_IN)
MARGIN, HEADER, PAD_X, PAD_TOP, PAD_BOTTOM = 16, 40, 22, 14, 16
NODE_W, NODE_H, ROW_GAP, COLUMN_GAP = 200, 42, 34, 150
COLUMN_W = NODE_W + 2 * PAD_X


def node_states(topology: dict, checks: Iterable[CheckResult]) -> dict[str, tuple[str, int]]:
    """Each node's worst check state and how many checks it has (NOT_RUN, 0 when none). A route's contract
    checks count for the node its edge leads to (jerry-chat's for the MLX server on 8100, not for all five)."""
    checks = list(checks)
    route_to = {e["route"]: e["to"] for e in _edges(topology) if e["route"]}
    out = {}
    for host in _hosts(topology):
        nodes = _nodes(host)
        siblings: dict[str, set[int]] = {}
        for n in nodes:
            siblings.setdefault(n["service"], set()).update(n["ports"] if len(_of_service(nodes, n["service"])) > 1 else ())
        for n in nodes:
            mine = [c for c in checks if c.host == host["id"] and c.service == n["service"]]
            routed = {c.id for c in mine if _route_of(c, route_to) is not None}
            mine = [c for c in mine if c.id not in routed or route_to[_route_of(c, route_to)] == n["id"]]
            if siblings.get(n["service"]):
                mine = [c for c in mine if c.id in routed or _names_port(c, n["ports"])
                        or not _names_port(c, siblings[n["service"]])]
            out[n["id"]] = (worst(c.state for c in mine), len(mine))
    return out


def _route_of(c: CheckResult, routes: dict[str, str]) -> str | None:
    """The route a contract check is about (`<backend>::contract:<route>:<what>`), if it names one of `routes`."""
    if c.kind != "contract" or not c.aspect.startswith("contract:"):
        return None
    name = c.aspect[len("contract:"):].rsplit(":", 1)[0]
    return name if name in routes else None


def edge_state(edge: dict, checks: Iterable[CheckResult]) -> tuple[str, int]:
    """A route edge: its contract checks; any other edge: the checks it names."""
    route = edge.get("route")
    if isinstance(route, str) and route:
        mine = [c for c in checks if c.kind == "contract" and c.aspect.startswith(f"contract:{route}:")]
    else:
        named = set(_strings(edge.get("checks")))
        mine = [c for c in checks if c.id in named]
    return worst(c.state for c in mine), len(mine)


def worst(states: Iterable[str]) -> str:
    return min(states, key=lambda s: SEVERITY.get(s, 0), default=NOT_RUN)


def render_topology_svg(topology: dict, checks: Iterable[CheckResult],
                        href: Callable[[str, str], str | None] | None = None) -> str:
    """The topology as one <svg> element (deterministic; every text escaped; no external reference).
    `href(host, service)`: where a node links to (the report's anchor of that service), or None."""
    checks = list(checks)
    hosts = _hosts(topology)
    states = node_states(topology, checks)
    boxes: dict[str, tuple[float, float, int]] = {}  # node id -> x, y, column
    order = _rank(topology)
    tallest = 0
    for col, host in enumerate(hosts):
        nodes = sorted(_nodes(host), key=lambda n: order.get(n["id"], 0))
        x = MARGIN + col * (COLUMN_W + COLUMN_GAP) + PAD_X
        for row, n in enumerate(nodes):
            boxes.setdefault(n["id"], (x, MARGIN + HEADER + PAD_TOP + row * (NODE_H + ROW_GAP), col))
        tallest = max(tallest, len(nodes))
    box_h = HEADER + PAD_TOP + max(tallest, 1) * (NODE_H + ROW_GAP) - ROW_GAP + PAD_BOTTOM
    width = 2 * MARGIN + len(hosts) * COLUMN_W + max(len(hosts) - 1, 0) * COLUMN_GAP
    height = 2 * MARGIN + box_h
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="topology" role="img" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="12">',
           "<title>The lab's hosts, services and routes, coloured by this run</title>", _markers()]
    for col, host in enumerate(hosts):
        x = MARGIN + col * (COLUMN_W + COLUMN_GAP)
        role = f"<title>{h(host['role'])}</title>" if host["role"] else ""
        out.append(f'<g class="host" data-host="{h(host["id"])}">{role}<rect x="{x}" y="{MARGIN}" width="{COLUMN_W}" '
                   f'height="{box_h}" rx="8" fill="#fafbfc" stroke="#d0d4da"/>'
                   f'<text x="{x + 12}" y="{MARGIN + 18}" font-weight="600" font-size="13">{h(host["id"])}</text>'
                   f'<text x="{x + 12}" y="{MARGIN + 33}" fill="#5f6368">{h(host["address"])}</text></g>')
    drawn = [e for e in _edges(topology) if e["from"] in boxes and e["to"] in boxes]
    fan: dict[str, list[dict]] = {}  # edges leaving a node sideways start at spread-out points of its side
    for e in drawn:
        if boxes[e["from"]][2] != boxes[e["to"]][2]:
            fan.setdefault(e["from"], []).append(e)
    for edge in drawn:
        siblings = fan.get(edge["from"], [edge])
        start = (siblings.index(edge) + 1) / (len(siblings) + 1) if edge in siblings else 0.5
        out.append(_edge(edge, boxes[edge["from"]], boxes[edge["to"]], *edge_state(edge, checks), start=start))
    for host in hosts:
        for n in _nodes(host):
            x, y, _ = boxes[n["id"]]
            state, count = states[n["id"]]
            link = href(host["id"], n["service"]) if href else None
            out.append(_node(host["id"], n, x, y, state, count, link))
    out.append("</svg>")
    return "\n".join(out)


def _node(host: str, n: dict, x: float, y: float, state: str, count: int, link: str | None) -> str:
    fill, stroke = COLOURS.get(state, COLOURS[ERROR])
    ports = " ".join(f":{p}" for p in n["ports"])
    detail = f"{state} ({count} check{'' if count == 1 else 's'})" if count else "not run"
    tip = f"{n['service']} on {host}: {detail}" + (f"\n{n['purpose']}" if n["purpose"] else "")
    body = (f'<rect x="{x}" y="{y}" width="{NODE_W}" height="{NODE_H}" rx="5" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{2 if state in (FAILED, ERROR) else 1.2}"/>'
            f'<text x="{x + 10}" y="{y + 17}" font-weight="600">{h(n["label"])}</text>'
            f'<text x="{x + 10}" y="{y + 33}" fill="{stroke}">{h(detail)}'
            + (f'<tspan fill="#5f6368"> \u00b7 {h(ports)}</tspan>' if ports and n["label"] == n["service"] else "")
            + "</text>")
    if link:
        body = f'<a href="{h(link)}">{body}</a>'
    return (f'<g class="node" data-node="{h(n["id"])}" data-host="{h(host)}" data-state="{h(state)}">'
            f"<title>{h(tip)}</title>{body}</g>")


def _edge(edge: dict, a: tuple[float, float, int], b: tuple[float, float, int], state: str, count: int,
          start: float = 0.5) -> str:
    """One arrow; `start`: where on the source's side it leaves (0 top, 1 bottom) when it crosses columns."""
    (ax, ay, acol), (bx, by, bcol) = a, b
    _, stroke = COLOURS.get(state, COLOURS[ERROR])
    if acol == bcol:  # down the column: centre to centre, label beside the line
        x1, y1, x2, y2 = ax + NODE_W / 2, ay + NODE_H, bx + NODE_W / 2, by
        if by < ay:
            y1, y2 = ay, by + NODE_H
        path = f"M{x1:g},{y1:g} L{x2:g},{y2:g}"
        label = f'<text x="{x1 + 6:g}" y="{(y1 + y2) / 2 + 4:g}" fill="{stroke}">{h(edge["label"])}</text>'
    else:  # across columns: side to side, label just before the target
        right = bcol > acol
        y1 = ay + NODE_H * start
        x1 = ax + NODE_W if right else ax
        x2, y2 = (bx, by + NODE_H / 2) if right else (bx + NODE_W, by + NODE_H / 2)
        bend = (x2 - x1) / 2
        path = f"M{x1:g},{y1:g} C{x1 + bend:g},{y1:g} {x2 - bend:g},{y2:g} {x2:g},{y2:g}"
        anchor, lx = ("end", x2 - 10) if right else ("start", x2 + 10)
        label = f'<text x="{lx:g}" y="{y2 - 5:g}" text-anchor="{anchor}" fill="{stroke}">{h(edge["label"])}</text>'
    what = f"route {edge['route']}" if edge.get("route") else edge["label"]
    detail = f"{state} ({count} check{'' if count == 1 else 's'})" if count else "not run in this run"
    dash = ' stroke-dasharray="5 4"' if state in GREY else ""
    return (f'<g class="edge" data-from="{h(edge["from"])}" data-to="{h(edge["to"])}" '
            f'data-route="{h(edge.get("route") or "")}" data-state="{h(state)}">'
            f"<title>{h(what)}: {h(edge['from'])} \u2192 {h(edge['to'])}: {h(detail)}</title>"
            f'<path d="{path}" fill="none" stroke="{stroke}" stroke-width="{2 if state in (FAILED, ERROR) else 1.4}"'
            f'{dash} marker-end="url(#arrow-{_state_slug(state)})"/>{label}</g>')


def _markers() -> str:
    marks = "".join(f'<marker id="arrow-{_state_slug(s)}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
                    f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{stroke}"/></marker>'
                    for s, (_, stroke) in COLOURS.items())
    return f"<defs>{marks}</defs>"


def _state_slug(state: str) -> str:
    return re.sub(r"[^a-z]+", "-", state) if state in COLOURS else "error"


def _rank(topology: dict) -> dict[str, int]:
    """Rows follow the flow: a node after the nodes that lead to it (Open WebUI, LiteLLM, then its backends);
    nodes on no edge keep their inventory order after those on one."""
    edges = [(e["from"], e["to"]) for e in _edges(topology)]
    nodes = [n["id"] for host in _hosts(topology) for n in _nodes(host)]
    depth = {n: 0 for n in nodes}
    for _ in nodes:  # longest path from a source, bounded (a cycle cannot loop forever)
        for a, b in edges:
            if a in depth and b in depth and depth[b] < depth[a] + 1 <= len(nodes):
                depth[b] = depth[a] + 1
    linked = {n for e in edges for n in e}
    return {n: (depth[n] if n in linked else len(nodes) + 1) * len(nodes) + i for i, n in enumerate(nodes)}


# --- tolerant readers of the stored data --------------------------------------------------------------
def _hosts(topology) -> list[dict]:
    raw = topology.get("hosts") if isinstance(topology, dict) else None
    hosts, seen = [], set()
    for x in raw if isinstance(raw, list) else []:
        if isinstance(x, dict) and isinstance(x.get("id"), str) and x["id"] not in seen:
            seen.add(x["id"])
            hosts.append({"id": x["id"], "address": _str(x.get("address")), "role": _str(x.get("role")),
                          "nodes": x.get("nodes")})
    return hosts


def _nodes(host: dict) -> list[dict]:
    nodes, seen = [], set()
    for n in host["nodes"] if isinstance(host.get("nodes"), list) else []:
        if isinstance(n, dict) and isinstance(n.get("id"), str) and n["id"] not in seen:
            seen.add(n["id"])
            service = n["service"] if isinstance(n.get("service"), str) else n["id"]
            nodes.append({"id": n["id"], "service": service, "label": _str(n.get("label")) or n["id"],
                          "ports": [p for p in n.get("ports") or [] if isinstance(p, int) and not isinstance(p, bool)]
                          if isinstance(n.get("ports"), list) else [],
                          "purpose": _str(n.get("purpose"))})
    return nodes


def _edges(topology) -> list[dict]:
    raw = topology.get("edges") if isinstance(topology, dict) else None
    return [{"from": e["from"], "to": e["to"], "label": _str(e.get("label")),
             "route": e.get("route") if isinstance(e.get("route"), str) else None,
             "checks": list(_strings(e.get("checks")))}
            for e in raw if isinstance(e, dict) and isinstance(e.get("from"), str) and isinstance(e.get("to"), str)] \
        if isinstance(raw, list) else []


def _of_service(nodes: list[dict], service: str) -> list[dict]:
    return [n for n in nodes if n["service"] == service]


def _names_port(c: CheckResult, ports: Iterable[int]) -> bool:
    numbers = set(re.findall(r"\d+", c.aspect))
    return any(str(p) in numbers for p in ports)


def _strings(v) -> Iterable[str]:
    return [x for x in v if isinstance(x, str)] if isinstance(v, list) else []


def _str(v) -> str:
    return v if isinstance(v, str) else ""
