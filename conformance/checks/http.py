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
from .finding import Check, Finding, Impact, cannot_verify, compare

Excerpt = Callable[[str | bytes, int], str]  # the start of a text for a message: redacted first, then cut


_LOOPBACK = {"127.0.0.1": "127.0.0.1", "::1": "[::1]", "localhost": "127.0.0.1"}


def http_checks(service: Service, site: SiteAddresses, run_host: str | None = None) -> Iterator[Check]:
    """Each probe is asked where the service listens: at its host's address, or, for a port the inventory documents
    as bound to loopback only, at loopback, which only a run standing on that host (`run_host`) can reach."""
    for probe in service.http:
        check_id = f"{service.id}::http:{probe.name}"
        loopback = _loopback_only(service, probe.port)
        if loopback and service.host != run_host:
            title = f"GET http://{loopback}:{probe.port}{probe.path} on {service.host} answers {described(probe, ' with ')}"
            reason = (f"{service.host}:{probe.port} is documented as bound to {loopback} only, reachable from "
                      f"{service.host} itself; this run stands on {run_host or 'another host'}, so it cannot look")
            yield Check(id=check_id, host=service.host, kind="http", source=probe.source, impact=Impact.HIGH,
                        title=title, evaluate=partial(_cannot_look, reason=reason))
            continue
        url = f"http://{loopback or site.address(service.host)}:{probe.port}{probe.path}"
        yield Check(id=check_id, host=service.host, kind="http", source=probe.source,
                    impact=Impact.HIGH, title=f"GET {url} answers {described(probe, ' with ')}",
                    evaluate=partial(_answers, host=service.host, probe=probe, url=url), needs=(Need(HTTP, url),))


def _loopback_only(service: Service, port: int) -> str | None:
    """The loopback address (URL form) when every documented bind of the port is a loopback one; else None."""
    binds = [a for entry in service.listen if entry.port == port for a in (entry.addresses or [entry.address])]
    if binds and all(a in _LOOPBACK for a in binds):
        return _LOOPBACK[binds[0]]
    return None


def _cannot_look(facts, reason: str) -> Finding:
    return cannot_verify(reason)


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
