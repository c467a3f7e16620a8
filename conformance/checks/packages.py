"""Checks of pinned Python packages: the version installed in a service's environment, as the inventory pins it."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..facts.needs import PACKAGES, Need
from ..facts.python_packages import normalize
from ..inventory.schema import Package, Service
from .finding import Check, Finding, compare, failed


def package_checks(service: Service) -> Iterator[Check]:
    for p in service.packages:
        yield Check(id=f"{service.id}::package:{p.name}", host=service.host, kind="package",
                    title=f"{p.name} {p.version} is installed in {p.site_packages}", source=p.source,
                    needs=(Need(PACKAGES, p.site_packages),), evaluate=partial(_package, entry=p))


def _package(facts, entry: Package) -> Finding:
    expected = f"{entry.name} {entry.version}"
    fact = facts.packages(entry.site_packages)
    source = f"{fact.source} (the .dist-info folders' names)"
    if fact.value is None:
        return failed(expected, f"{entry.site_packages}: {fact.what}", source, fact.evidence)
    version = fact.value.get(normalize(entry.name))
    found = f"{entry.name} {version}" if version else f"{entry.name} not installed there"
    return compare(expected, found, source, fact.evidence)
