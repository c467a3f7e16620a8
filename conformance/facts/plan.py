"""What a run asks one host: the union of what its selected checks need (Check.needs), nothing else.

Made from the needs alone, never from the inventory: a check that is not selected (pytest's -m, -k) adds
nothing, so it costs nothing. Round trip 1 asks everything that depends on no other answer; the second look asks
what does: a unit's journal needs its InvocationID, the env files a unit names need the unit, an ssh config's
aliases need its text. A host is asked at most two round trips, one when nothing it is asked needs a second look.
"""
from __future__ import annotations

from collections.abc import Iterable

from . import needs as n
from .needs import FROM_THE_RUN, Need
from .service import UnitKey

MAX_ROUND_TRIPS = 2  # round trip 1 and the second look


class HostPlan:
    """The needs of one host's selected checks, sorted by how they are asked (each list in first-needed order)."""

    def __init__(self, needs: Iterable[Need] = ()) -> None:
        self.needs = tuple(dict.fromkeys(need for need in needs if need.concept not in FROM_THE_RUN))

        def keys(*concepts: str) -> list:
            return list(dict.fromkeys(need.key for need in self.needs if need.concept in concepts))

        def wanted(*concepts: str) -> bool:
            return any(need.concept in concepts for need in self.needs)

        # round trip 1
        self.services: list[UnitKey] = keys(n.SERVICE, n.SERVICE_ENV, n.JOURNAL)  # a journal's unit gives its run
        self.groups = wanted(n.JOURNAL)  # whether the user may read the whole journal
        self.listeners = wanted(n.LISTENERS)
        self.paths: list[str] = keys(n.PATH)  # one stat sweep
        self.links: list[str] = keys(n.LINK)
        self.texts: list[str] = keys(n.TEXT, n.ENV, n.ROUTER, n.SSH_CONFIG)
        self.yaml: list[str] = keys(n.ROUTER)  # read as YAML (their secrets are found by key, not by env syntax)
        self.plists: list[str] = keys(n.PLIST)
        self.hashes: list[str] = keys(n.HASH)
        self.listings: list[str] = keys(n.PACKAGES)  # a folder listed once, whatever number of packages it holds
        self.system = wanted(n.SYSTEM)
        self.disabled = wanted(n.DISABLED)
        self.tailscale_serve = wanted(n.TAILSCALE_SERVE)
        self.platform = wanted(n.PLATFORM)
        # the second look
        self.journals: list[UnitKey] = keys(n.JOURNAL)
        # whatever a service logs may echo its environment: its env files are read (and their secrets learned) too
        self.service_env: list[UnitKey] = keys(n.SERVICE_ENV, n.JOURNAL)
        self.ssh_configs: list[str] = keys(n.SSH_CONFIG)

    @classmethod
    def of(cls, checks: Iterable, host_id: str | None = None) -> "HostPlan":
        """The plan of these checks (of one host's, when host_id is given)."""
        return cls(need for c in checks if host_id is None or c.host == host_id for need in c.needs)

    @property
    def second_look(self) -> bool:
        return bool(self.journals or self.service_env or self.ssh_configs)

    @property
    def round_trips(self) -> int:
        """The most this plan sends: round trip 1, and the second look when something needs one."""
        return 1 + self.second_look if self.needs else 0

    def __bool__(self) -> bool:
        return bool(self.needs)
