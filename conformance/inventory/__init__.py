from .loader import InventoryError, load_baseline, load_inventory, load_site, load_waivers
from .schema import Inventory, Site

__all__ = ["Inventory", "InventoryError", "Site", "load_baseline", "load_inventory", "load_site", "load_waivers"]
