"""Opt-in: `propose` on the owner's real repo at commit 1b54b73, compared with examples/inventory-2026-05.yaml.

Set LLMLAB_OWNER_CHECKOUT to a checkout of bebopbabailey/homelab-llm at that commit, made outside this repo (its
files have no LICENSE and are never committed), e.g. `git clone --shared --no-checkout <mirror> /tmp/owner &&
git -C /tmp/owner checkout --detach 1b54b73`. LLMLAB_INVENTORY_2026_05 may name the inventory when this tree does
not have it yet. The numbers: `python -m selftest.from_repo_proof CHECKOUT [INVENTORY]`.
"""
import os
from pathlib import Path

import pytest
import yaml

from conformance.discover.from_repo import checkout_commit, propose
from selftest.from_repo_proof import DEFAULT_INVENTORY, compare, report

from .test_discover_from_repo import SECTION_MODELS

COMMIT = "1b54b7349928174f84f264bd072185572476261e"


@pytest.fixture(scope="module")
def compared():
    checkout = os.environ.get("LLMLAB_OWNER_CHECKOUT")
    if not checkout:
        pytest.skip("LLMLAB_OWNER_CHECKOUT is not set (a checkout of the owner's repo at 1b54b73; see the docstring)")
    if not Path(checkout).is_dir():
        pytest.skip(f"LLMLAB_OWNER_CHECKOUT={checkout} is not a folder")
    inventory = Path(os.environ.get("LLMLAB_INVENTORY_2026_05") or DEFAULT_INVENTORY)
    if not inventory.is_file():
        pytest.skip(f"{inventory} is absent (set LLMLAB_INVENTORY_2026_05)")
    at = checkout_commit(Path(checkout))
    if at != COMMIT:
        pytest.skip(f"the checkout is at {at}, not {COMMIT}")
    found = propose(Path(checkout))
    kinds = compare(found, yaml.safe_load(inventory.read_text()))
    print(report(Path(checkout), found, kinds))
    return found, {k.name: k for k in kinds}


def test_every_proposal_is_an_entry_of_the_schema(compared):
    found, _ = compared
    for p in found.proposals:
        SECTION_MODELS[p.section].model_validate(p.entry)


def test_every_unit_label_listener_and_route_is_reproduced_or_named_in_not_derived(compared):
    """Named: by propose's own line (the file that would decide it is absent or says otherwise), or as stated only
    in files propose does not read (the inventory's why names none of them)."""
    _, kinds = compared
    assert {name: kind.missed for name, kind in kinds.items()} == {
        "units": set(), "launchd labels": set(), "listeners": set(), "routes": set()}


def test_no_listener_the_inventory_takes_from_a_file_propose_reads_is_missed_silently(compared):
    _, kinds = compared
    assert kinds["listeners"].missed_from_read_files == set()


def test_where_both_state_a_fact_they_agree(compared):
    _, kinds = compared
    assert kinds["units"].differences == [] and kinds["routes"].differences == [] and kinds["launchd labels"].differences == []
    assert [d for d in kinds["listeners"].differences if ": bind " in d] == []


def test_what_the_inventory_lacks_inserted_into_it_loads(compared):
    from pydantic import ValidationError

    from conformance.discover.undocumented import undocumented
    from conformance.inventory.schema import Inventory

    from .test_discover_from_repo import inserted

    found, _ = compared
    inventory = Path(os.environ.get("LLMLAB_INVENTORY_2026_05") or DEFAULT_INVENTORY)
    base = yaml.safe_load(inventory.read_text())
    try:
        documented = Inventory.model_validate(base)
    except ValidationError:
        pytest.skip(f"{inventory} does not load on this tree's schema (the 2026-05 edition's schema is not merged)")
    new = undocumented(found, documented)
    print(f"{len(new.proposals)} proposals not yet in {inventory.name}: "
          + ", ".join(f"{p.section} {p.entry.get('name') or p.entry.get('label') or p.entry.get('id')}" for p in new.proposals))
    Inventory.model_validate(inserted(base, new.proposals))
    assert not [line for line in new.not_derived if line.startswith("differs from the inventory")]
