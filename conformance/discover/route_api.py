"""A proposed LiteLLM route for an inventory with a contract: how its backend answers (`api:`, one of contract.apis)
and whether a call leaves the lab and costs the owner money (`leaves_lab`). No read of a host says either.

Where discovery can tell the api, the route carries it: the api its backend's other documented routes name
(classify.py `_backend_of`; not for review, the inventory already says it of that backend), or a contract api named
as the backend service (for review). Where it cannot, the route is proposed with `leaves_lab: true` and no api, both
for review: a judgement, since nothing read says where the backend sends a request; until the owner says otherwise the
suite never calls it. The schema lets such a route omit its api, so the patched inventory loads, the proxy's model
list documents the route, and its static facts (router.yaml's entry, the env names) are checked; the owner adds
`api:` and `leaves_lab: false` (or `opt_in: true`) to have it called.
"""
from __future__ import annotations

from ..inventory.schema import Inventory

UNDESCRIBED_REVIEW = ("leaves_lab", "api")


def for_contract(entry: dict, inventory: Inventory) -> tuple[dict, tuple[str, ...]]:
    """The route's entry as proposed, and the fields it adds for review."""
    if inventory.contract is None or entry.get("api"):
        return entry, ()
    if entry.get("backend") in {a.id for a in inventory.contract.apis}:
        return entry | {"api": entry["backend"]}, ("api",)
    out: dict = {}
    for key, value in entry.items():  # `leaves_lab` beside `expected`, the other judgement of a route
        out[key] = value
        if key == "expected":
            out["leaves_lab"] = True
    out.setdefault("leaves_lab", True)
    return out, UNDESCRIBED_REVIEW


def calling_it(name: str) -> str:
    """The page's line for a route proposed undescribed: what the owner adds to have the suite call it."""
    return (f"route {name}: proposed with `leaves_lab: true` and no `api:`, so the suite never calls it (its static "
            "facts are checked); to call it, add `api:` (how its backend answers: one of contract.apis, or a kind of "
            "examples/backend-kinds.yaml added there) and `leaves_lab: false`, or keep `leaves_lab: true` and add "
            "`opt_in: true` if a call does leave the lab and cost money")
