"""The replay transport: a run's HTTP answers served from its recording, under the same RecordingTransport.

The probes and the openai client send their requests as on the night; the RecordingTransport (the deadline,
the identity-only rule, the evidence) wraps this transport instead of the network one. Each request is
answered with the recorded exchange of the same method, URL and request body (the suite's own JSON, without
its messages), in the order they were recorded: the status, the headers and the body as recorded (redacted),
or the error that ended the exchange on the night, raised again by its type. A request the recording does
not hold raises NotRecorded: its check cannot be verified.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterator

import httpx2

from ..facts import http as facts_http
from ..facts.http import NotRecorded

# The errors an exchange may have ended with, by name (httpx2's and the suite's own), raised again on replay.
_ERRORS: dict[str, type[httpx2.HTTPError]] = {cls.__name__: cls for cls in (
    httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.ReadTimeout, httpx2.WriteTimeout, httpx2.PoolTimeout,
    httpx2.ReadError, httpx2.WriteError, httpx2.RemoteProtocolError, httpx2.LocalProtocolError,
    httpx2.DecodingError, httpx2.TooManyRedirects, facts_http.DeadlineExceeded, facts_http.AnswerTooLarge,
    facts_http.EncodingRefused)}


def _key(method: str, url: str, request: str) -> tuple[str, str, str]:
    return method, url, request


class ReplayTransport(httpx2.BaseTransport):
    def __init__(self, exchanges: list[dict]) -> None:
        self._recorded: dict[tuple[str, str, str], deque] = {}
        for exchange in exchanges:
            if isinstance(exchange, dict):
                key = _key(exchange.get("method", ""), exchange.get("url", ""), exchange.get("request", ""))
                self._recorded.setdefault(key, deque()).append(exchange)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        key = _key(request.method, str(request.url), facts_http.shown_request_body(request))
        recorded = self._recorded.get(key)
        if not recorded:
            raise NotRecorded(f"not in the recording: {request.method} {request.url}", request=request)
        exchange = recorded.popleft() if len(recorded) > 1 else recorded[0]
        error = exchange.get("error")
        if exchange.get("status") is None:  # it ended before an answer began
            raise _error(error, request)
        return httpx2.Response(exchange["status"], headers=exchange.get("headers") or [],
                               stream=_RecordedBody(exchange.get("body", "").encode("utf-8"), error, request),
                               request=request)


class _RecordedBody(httpx2.SyncByteStream):
    """The recorded body (in chunks, as a stream arrives), then the error that cut it on the night, if any."""

    def __init__(self, body: bytes, error: dict | None, request: httpx2.Request) -> None:
        self.body, self.error, self.request = body, error, request

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), 4096):
            yield self.body[start:start + 4096]
        if self.error:
            raise _error(self.error, self.request)


def _error(error: dict | None, request: httpx2.Request) -> httpx2.HTTPError:
    error = error or {}
    cls = _ERRORS.get(error.get("type", ""), httpx2.TransportError)
    return cls(error.get("reason") or "failed on the night (no reason recorded)", request=request)
