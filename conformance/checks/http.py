"""Checks of documented HTTP answers, asked from the run's own host (e.g. Home Assistant's frontend); and how any
GET's answer is judged against what a good one is (`judge`: these checks, a routed port's health, a backend's
health in the contract)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial

from ..inventory.schema import GoodAnswer, HttpCheck, Service
from ..site import SiteAddresses
from ..facts.needs import HTTP, Need
from .finding import Check, Finding, Impact, compare

Excerpt = Callable[[str | bytes, int], str]  # the start of a text for a message: redacted first, then cut


def http_checks(service: Service, site: SiteAddresses) -> Iterator[Check]:
    for probe in service.http:
        url = f"http://{site.address(service.host)}:{probe.port}{probe.path}"
        yield Check(id=f"{service.id}::http:{probe.name}", host=service.host, kind="http", source=probe.source,
                    impact=Impact.HIGH, title=f"GET {url} answers {described(probe, ' with ')}",
                    evaluate=partial(_answers, host=service.host, probe=probe, url=url), needs=(Need(HTTP, url),))


def _answers(facts, host: str, probe: HttpCheck, url: str) -> Finding:
    answer = facts.http.get(host, url)
    expected, found = judge(probe, answer.status, answer.body, facts.redactor.excerpt)
    return compare(expected, found, answer.source, answer.evidence)


def described(good: GoodAnswer, joiner: str = ", ") -> str:
    """A good answer in words: `200`, `200, status='ok'`, `200, an empty body` (`joiner` after the status)."""
    if good.json_fields:
        return f"{good.status}{joiner}" + ", ".join(f"{k}={v!r}" for k, v in good.json_fields.items())
    return f"{good.status}{joiner}an empty body" if good.empty_body else f"{good.status}"


def judge(good: GoodAnswer, status: int, body: bytes, excerpt: Excerpt) -> tuple[str, str]:
    """(expected, found) for an answer: the same words when it is good, else what it was (a body is quoted
    only when it is what is wrong, redacted and cut by `excerpt`)."""
    found = f"{status}"
    if good.json_fields:
        data = _json(body)
        fields = {k: (data.get(k) if isinstance(data, dict) else None) for k in good.json_fields}
        found += "".join(f", {k}={v!r}" for k, v in fields.items())
        if not isinstance(data, dict):
            found += f" (not a JSON object: {excerpt(body, 60)!r})"
    elif good.empty_body:
        found += ", an empty body" if not body else f", a body of {len(body)} bytes: {excerpt(body, 60)!r}"
    return described(good), found


def is_good(good: GoodAnswer, status: int, body: bytes) -> bool:
    expected, found = judge(good, status, body, lambda text, limit: "")
    return expected == found


def _json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return None
