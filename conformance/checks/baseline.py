""""Must not be modified": the files of such a service still hash as in the committed baseline.

The baseline is recorded by an explicit command (`python -m conformance.baseline`) into a
file the owner commits; the suite itself only reads and compares.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from ..facts.linux import CannotVerify, LinuxFacts
from ..facts.plan import protected_files
from ..inventory.schema import Baseline, Inventory
from ..site import SiteView
from .finding import Check, Finding, compare

RECORD = "python -m conformance.baseline"


def baseline_checks(inventory: Inventory, site: SiteView, host_id: str, baseline: Baseline | None) -> Iterator[Check]:
    for service in inventory.services_on(host_id):
        if not service.must_not_modify:
            continue
        for path in protected_files(service):
            yield Check(f"{service.id}::unmodified:{PurePosixPath(path).name}", host_id,
                        f"{path} is unchanged since the recorded baseline ({service.purpose})", service.source,
                        lambda f, p=path: _unchanged(f, p, site, baseline), 0.9, "unmodified")


def _unchanged(facts: LinuxFacts, path: str, site: SiteView, baseline: Baseline | None) -> Finding:
    if baseline is None:
        raise CannotVerify(f"no baseline recorded: record one with `{RECORD}` and commit it (see README)")
    if baseline.site != site.id:
        raise CannotVerify(f"the baseline was recorded at site {baseline.site!r}, this run is against {site.id!r}")
    if path not in baseline.files:
        raise CannotVerify(f"the baseline has no hash of {path}: record it again with `{RECORD}`")
    fact = facts.file_hash(path)
    found = f"sha256 {fact.value}" if fact.value else "missing"
    return compare(f"sha256 {baseline.files[path]}", found, fact.source, fact.evidence)
