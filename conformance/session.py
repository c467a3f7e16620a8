"""One suite run: the inventory, the site, and the facts of each host (gathered once, cached)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .evidence import Redactor
from .facts.linux import LinuxFacts
from .facts.plan import FactPlan
from .inventory.schema import Inventory
from .runner import Runner, TestinfraBackend
from .site import SiteView


@dataclass
class SuiteSession:
    inventory: Inventory
    site: SiteView
    local_host: str = "mini"  # the inventory host the suite runs on for `-m local`
    redactor: Redactor = field(default_factory=Redactor)
    runners: dict[str, Runner] = field(default_factory=dict)
    _facts: dict[str, LinuxFacts] = field(default_factory=dict)

    def facts(self, host_id: str) -> LinuxFacts:
        if host_id not in self._facts:
            if host_id != self.local_host:
                raise NotImplementedError(f"facts of {host_id} need a remote backend (roadmap: studio/dietpi over SSH)")
            runner = Runner(host_id, TestinfraBackend("local://"), self.redactor)
            self.runners[host_id] = runner
            self._facts[host_id] = LinuxFacts(FactPlan(self.inventory, host_id), runner)
        return self._facts[host_id]

    def command_counts(self) -> dict[str, tuple[int, int]]:
        """host -> (round trips, commands)."""
        return {h: (r.batches, len(r.records)) for h, r in self.runners.items()}
