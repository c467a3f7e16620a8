""""Must not be modified": the files of such a service still hash as in the committed baseline.

The baseline is recorded by an explicit command (`python -m conformance.baseline`) into a
file the owner commits; the suite itself only reads and compares.
"""
from __future__ import annotations

import shlex
from collections.abc import Iterator
from functools import partial
from pathlib import PurePosixPath

from ..facts.base import CannotVerify
from ..inventory.schema import Baseline, Inventory, Service
from ..site import SiteAddresses
from ..facts.needs import HASH, Need
from .finding import Check, Finding, Impact, compare

RECORD = "python -m conformance.baseline"


def protected_files(service: Service) -> list[str]:
    """What "must not be modified" covers: its unit files, drop-ins, and the binary ExecStart runs."""
    found: list[str] = []
    for u in service.units:
        found += [u.fragment] if u.fragment else []
        found += u.drop_ins or []
        found += [shlex.split(u.exec_start)[0]] if u.exec_start else []
    return list(dict.fromkeys(found))


def baseline_checks(inventory: Inventory, site: SiteAddresses, host_id: str, baseline: Baseline | None) -> Iterator[Check]:
    for service in inventory.services_on(host_id):
        if not service.must_not_modify:
            continue
        for path in protected_files(service):
            yield Check(id=f"{service.id}::unmodified:{PurePosixPath(path).name}", host=host_id, kind="unmodified",
                        title=f"{path} is unchanged since the recorded baseline ({service.purpose})", source=service.source,
                        impact=Impact.CRITICAL, evaluate=partial(_unchanged, path=path, site=site, baseline=baseline),
                        needs=(Need(HASH, path),))


def _unchanged(facts, path: str, site: SiteAddresses, baseline: Baseline | None) -> Finding:
    # A missing baseline is a prerequisite the owner provides, like a privilege: named, never a pass.
    if baseline is None:
        raise CannotVerify(f"needs a recorded baseline: record one with `{RECORD}` and commit it (see README)")
    if baseline.site != site.id:
        raise CannotVerify(f"needs a baseline of this site: it was recorded at {baseline.site!r}, this run is against {site.id!r}")
    if path not in baseline.files:
        raise CannotVerify(f"needs a baseline hash of {path}: record it again with `{RECORD}`")
    fact = facts.file_hash(path)
    found = f"sha256 {fact.value}" if fact.value else f"{path}: {fact.what or 'missing'}"
    return compare(f"sha256 {baseline.files[path]}", found, fact.source, fact.evidence)
