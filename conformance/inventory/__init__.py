from .loader import InventoryError, load_inventory, load_site, load_waivers
from .schema import Inventory, Site

__all__ = ["Inventory", "InventoryError", "Site", "load_inventory", "load_site", "load_waivers"]
