"""Checks of documented HTTP answers, asked from the run's own host (e.g. Home Assistant's frontend)."""
from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from ..inventory.schema import HttpCheck, Service
from ..site import SiteView
from ..facts.needs import HTTP, Need
from .finding import Check, Finding, Impact, compare


def http_checks(service: Service, site: SiteView) -> Iterator[Check]:
    for probe in service.http:
        url = f"http://{site.address(service.host)}:{probe.port}{probe.path}"
        shown = ", ".join(f"{k}={v!r}" for k, v in probe.json_fields.items())
        yield Check(id=f"{service.id}::http:{probe.name}", host=service.host, kind="http", source=probe.source,
                    impact=Impact.HIGH, title=f"GET {url} answers {probe.status}" + (f" with {shown}" if shown else ""),
                    evaluate=partial(_answers, host=service.host, probe=probe, url=url), needs=(Need(HTTP, url),))


def _answers(facts, host: str, probe: HttpCheck, url: str) -> Finding:
    answer = facts.http.get(host, url)
    body = answer.json() if probe.json_fields else None
    fields = {k: (body.get(k) if isinstance(body, dict) else None) for k in probe.json_fields}
    expected = f"{probe.status}" + "".join(f", {k}={v!r}" for k, v in probe.json_fields.items())
    found = f"{answer.status}" + "".join(f", {k}={v!r}" for k, v in fields.items())
    if probe.json_fields and not isinstance(body, dict):
        found += f" (not a JSON object: {facts.redactor.excerpt(answer.body, 60)!r})"
    return compare(expected, found, answer.source, answer.evidence)
