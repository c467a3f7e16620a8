"""What the OpenAI-API contract asks, and where, computed from the inventory alone (no client, no request):
each route's plan and budget, the proxy's address as the run reaches it, and the most a gather can take.
facts/contract.py asks it (with the openai client, imported only by a run that asks the contract).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ..inventory.schema import Api, Inventory, Route
from .backend_auth import needs_key
from ..site import SiteAddresses

UNKNOWN_MODEL = "conformance-no-such-route"
LOOPBACK = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
GRACE = 2.0  # seconds a route or the gather may take beyond its requests' deadlines (the suite's own work)


@dataclass(frozen=True)
class Budget:
    deadline: float
    max_tokens: int
    requests: int
    keyed: bool = False  # the backend's kind has a key: its model list is asked once more, without it

    @property
    def most_requests(self) -> int:
        """Requests a route sends at most, one after another: directly its health, its model list (and, for a kind
        with a key, the list again without it), the chats and the stream; through the proxy the chats and the stream."""
        return 2 + int(self.keyed) + 2 * (self.requests + 1)

    @property
    def seconds(self) -> float:
        """The most the route's requests can take: each ends by its deadline."""
        return self.most_requests * self.deadline


@dataclass(frozen=True)
class RoutePlan:
    route: Route
    api: Api | None  # None only for a route the suite never calls (it leaves the lab, not opted in, no `api:`)
    host: str  # the backend service's host
    api_base: str  # as documented, resolved for this site: what LiteLLM must say it called
    direct_base: str  # where the suite reaches the backend itself
    budget: Budget

    @property
    def direct_root(self) -> str:
        return root(self.direct_base)

    @property
    def health_url(self) -> str:
        return f"{self.direct_root}{self.api.health.path}"

    @property
    def models_url(self) -> str:
        return f"{self.direct_root}{self.api.models.path}"

    @property
    def chat_path(self) -> str:
        return f"{urlsplit(self.direct_base).path.rstrip('/')}/chat/completions"


class ContractPlan:
    """The contract's requests as planned for a run standing on `run_host` (the inventory's budgets, or one deadline
    for every request given as `deadline`)."""

    def __init__(self, inventory: Inventory, site: SiteAddresses, run_host: str, deadline: float | None = None) -> None:
        self.inventory = inventory
        self.site = site
        self.run_host = run_host  # the host the suite runs on: loopback addresses mean it only there
        self.deadline_override = deadline
        contract = inventory.contract
        self.proxy_host = inventory.service(inventory.litellm.service).host  # a contract requires litellm:
        self.proxy_base = self._reachable(site.render(contract.proxy), self.proxy_host)
        self.proxy_deadline = deadline or contract.deadline
        self.plans = [self._plan(r) for r in inventory.litellm.routes]

    # --- what is asked, and where ----------------------------------------------------------------
    def _plan(self, route: Route) -> RoutePlan:
        contract = self.inventory.contract
        host = self.inventory.service(route.backend).host
        api_base = self.site.render(route.api_base)
        api = self.inventory.api(route.api) if route.api else None
        budget = Budget(self.deadline_override or route.deadline or contract.deadline,
                        route.max_tokens or contract.max_tokens, route.requests or contract.requests,
                        api is not None and api.auth is not None)
        # a loopback api_base is loopback on the proxy's host, not on the run's
        return RoutePlan(route, api, host, api_base, self._reachable(api_base, self.proxy_host), budget)

    def _reachable(self, url: str, host_id: str) -> str:
        """A loopback URL is reached at its host's address unless the run stands on that host."""
        parts = urlsplit(url)
        if host_id == self.run_host or parts.hostname not in LOOPBACK:
            return url
        netloc = self.site.address(host_id) + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    @property
    def key_env(self) -> str:
        return self.inventory.litellm.master_key.key_env

    @property
    def key_documented(self) -> bool:
        return self.inventory.litellm.master_key.enabled

    @property
    def proxy_requests(self) -> int:
        """Proxy-wide requests, one after another: readiness, the model list, the unknown model, a chat for each
        retired alias (and the list and a chat without the key, when one is documented)."""
        return 3 + (2 if self.key_documented else 0) + len(self.inventory.litellm.retired)

    def bound(self) -> float:
        """The most `gather` takes: the proxy-wide requests, then every route at once (the slowest budget)."""
        slowest = max((p.budget.seconds for p in self.plans), default=0.0)
        return self.proxy_requests * self.proxy_deadline + slowest + 2 * GRACE

    def open_webui_addresses(self) -> list[str]:
        """Where Open WebUI's key may go: the env file's documented base URL, and the proxy's documented
        address as the site renders it."""
        path = self.inventory.contract.open_webui
        service = self.inventory.service(path.service)
        documented = [e.value for f in service.env_files if f.path == path.env_file for e in f.entries
                      if e.key == path.base_url_key and e.value]
        return list(dict.fromkeys(u.rstrip("/") for u in (*documented, self.site.render(self.inventory.contract.proxy))))

    def planned(self) -> list[str]:
        """Every request a run sends, for --dry-run."""
        lines = [f"GET {root(self.proxy_base)}/health/readiness", f"GET {self.proxy_base}/models",
                 f"POST {self.proxy_base}/chat/completions (model {UNKNOWN_MODEL}: must be refused)"]
        if self.key_documented:
            lines.append(f"GET {self.proxy_base}/models without the key (must be refused)")
            if any(p.route.called for p in self.plans):  # a chat for a route the run calls (facts/contract.py)
                lines.append(f"POST {self.proxy_base}/chat/completions without the key (must be refused)")
        lines += [f"POST {self.proxy_base}/chat/completions (model {a.name}: retired, must be refused)"
                  for a in self.inventory.litellm.retired]
        if self.inventory.contract.open_webui:
            lines.append("GET <Open WebUI's OPENAI_API_BASE_URL>/models with Open WebUI's key, only when that is "
                         f"a documented address ({' or '.join(self.open_webui_addresses())})")
        for p in self.plans:
            b, api = p.budget, p.api
            if not p.route.called:
                lines.append(f"route {p.route.name}: nothing sent (it {not_called_reason(p.route)}; not run: opt-in)")
                continue
            lines += [f"route {p.route.name} ({p.api.id} on {p.host}; deadline {b.deadline:g} s, "
                      f"max_tokens {b.max_tokens}, {b.requests} chat + 1 stream each way):",
                      f"  GET {p.health_url}{_with_key(api, api.health.path)}",
                      f"  GET {p.models_url}{_with_key(api, api.models.path)}"]
            if api.auth:
                lines.append(f"  GET {p.models_url} without the key (must be refused)")
            request = p.route.request
            through = (f"{self.proxy_base}/responses (its documented prompt)" if request and request.endpoint == "responses"
                       else f"{self.proxy_base}/chat/completions" + (" (its documented prompt" + (
                           ", response_format json_object)" if request.answer == "json_object" else ")") if request else ""))
            lines += [f"  POST {p.direct_base}/chat/completions{_with_key(api, p.chat_path)}",
                      f"  POST {through}"]
        return lines


def not_called_reason(route: Route) -> str:
    """Why the suite sends a route no request (`route.called` is false), said of the route (`<name> <reason>`)."""
    if route.api is None:
        return ("is not described for a call: no `api:` (how its backend answers), and `leaves_lab: true` without "
                "`opt_in` (add `api:`, and `leaves_lab: false` or `opt_in: true`, to call it)")
    return "leaves the lab and costs the owner money; the inventory does not opt it in (`opt_in: true`)"


def _with_key(api: Api, path: str) -> str:
    return f" with ${api.auth.key_env}" if needs_key(api, path) else ""


def root(base: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
