"""HTTP as a fact source: one client path for every request a run sends, each bounded and recorded.

Requests go from the run's own host (the suite asks the way a client of the lab would), with
a deadline, no retries, no redirects followed, no proxy from the environment, and at most
MAX_BODY_BYTES of a body read. Each becomes a record in the run's evidence beside the shell
commands; what leaves the process is redacted like everything else.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import httpx

from ..evidence import CommandRecord
from .base import Unavailable

TIMEOUT = 5.0
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class HttpAnswer:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float
    record: CommandRecord

    def json(self):
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def evidence(self) -> tuple[CommandRecord, ...]:
        return (self.record,)

    @property
    def source(self) -> str:
        return f"GET {self.url}"


class HttpProbe:
    """GET requests of one run; a failed request raises Unavailable, its record kept as evidence."""

    def __init__(self, timeout: float = TIMEOUT, max_body: int = MAX_BODY_BYTES,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.timeout = timeout
        self.max_body = max_body
        self.records: list[CommandRecord] = []
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, transport=transport)
        self._answers: dict[str, HttpAnswer | Unavailable] = {}

    def get(self, host_id: str, url: str) -> HttpAnswer:
        """GET url once per run (a second ask gets the same answer, or the same failure)."""
        if url not in self._answers:
            self._answers[url] = self._get(host_id, url)
        answer = self._answers[url]
        if isinstance(answer, Unavailable):
            raise answer
        return answer

    def _get(self, host_id: str, url: str) -> HttpAnswer | Unavailable:
        started = time.monotonic()
        try:
            with self._client.stream("GET", url) as response:
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self.max_body:
                        body = body[:self.max_body]
                        break
                seconds = time.monotonic() - started
                record = self._record(host_id, url, response.status_code, body.decode("utf-8", "replace"), "", seconds)
                return HttpAnswer(url, response.status_code, dict(response.headers), body, seconds, record)
        except httpx.HTTPError as e:
            seconds = time.monotonic() - started
            reason = _reason(e, self.timeout)
            record = self._record(host_id, url, -1, "", reason, seconds)
            return Unavailable(f"GET {url}: {reason}", f"GET {url}", (record,))

    def _record(self, host_id: str, url: str, status: int, body: str, error: str, seconds: float) -> CommandRecord:
        record = CommandRecord(host_id, "http", f"GET {url}", status, body[:4000], error, 0, round(seconds, 4))
        self.records.append(record)
        return record

    def close(self) -> None:
        self._client.close()


def _reason(error: httpx.HTTPError, timeout: float) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(error, httpx.ConnectError):
        text = str(error)
        return "connection refused" if "refused" in text.lower() else f"cannot connect ({text or type(error).__name__})"
    return f"{type(error).__name__}: {error}"
