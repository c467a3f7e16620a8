"""Which site a run is against: the documented lab, or another (the twin) via an override."""
from __future__ import annotations

from dataclasses import dataclass

from .inventory.schema import Inventory, Site


@dataclass(frozen=True)
class SiteAddresses:
    """Documented addresses, mapped through a site override when one is given."""

    inventory: Inventory
    site: Site | None = None

    @property
    def id(self) -> str:
        return self.site.site if self.site else "lab"

    @property
    def name(self) -> str:
        return self.site.site if self.site else "lab (documented addresses)"

    def address(self, host_id: str) -> str:
        if self.site and host_id in self.site.hosts:
            return self.site.hosts[host_id].address
        return self.inventory.host(host_id).address

    def ssh_alias(self, host_id: str) -> str | None:
        if self.site and host_id in self.site.hosts and self.site.hosts[host_id].ssh_alias:
            return self.site.hosts[host_id].ssh_alias
        return self.inventory.host(host_id).ssh_alias

    def render(self, template: str) -> str:
        """'http://{studio}:8100/v1' -> the studio's address at this site."""
        return template.format(**{h.id: self.address(h.id) for h in self.inventory.hosts})
