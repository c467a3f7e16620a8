"""HTTP as a fact source: one client path for every request a run sends, each bounded and recorded.

Requests go from the run's own host (the suite asks the way a client of the lab would), with a
deadline on the WHOLE exchange (a stream that keeps talking past it is cut), no retries, no
redirects followed, no proxy from the environment, and at most MAX_ANSWER_BYTES of an answer read.
Plain GETs (HttpProbe.get) and the official openai client (given `HttpProbe.client()`) share the
RecordingTransport: every exchange becomes a record in the run's evidence beside the shell commands,
with the status, the latency, the headers that say who answered, and a trimmed body. Authorization
and every other header not listed in SHOWN_HEADERS never reach a record; what leaves the process is
redacted like everything else.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx2

from ..evidence import CommandRecord
from .base import Unavailable

TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
MAX_BODY_BYTES = 64 * 1024  # what a GET probe keeps of an answer
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # what any answer may be before it is cut off as an error
RECORDED_BODY_CHARS = 4000
# Response headers worth keeping as evidence: who answered (LiteLLM's routing headers, the upstream's
# own headers it passes on as llm_provider-*), and the type of the answer.
SHOWN_HEADERS = ("content-type", "server", "x-process-time", "x-litellm-call-id", "x-litellm-model-id",
                 "x-litellm-model-api-base", "x-litellm-model-group", "x-litellm-model-name", "x-litellm-version",
                 "x-litellm-attempted-retries", "x-litellm-attempted-fallbacks", "x-litellm-overhead-duration-ms",
                 "x-litellm-response-duration-ms")


EXCHANGE = "conformance.exchange"


def record_of(request: httpx2.Request | None) -> CommandRecord | None:
    """The record of the exchange this request started (once its answer was read or failed)."""
    exchange = request.extensions.get(EXCHANGE) if request is not None else None
    return exchange.record if exchange is not None else None


def request_of(error: httpx2.HTTPError) -> httpx2.Request | None:
    try:
        return error.request
    except RuntimeError:  # raised before a request existed
        return None


class DeadlineExceeded(httpx2.ReadTimeout):
    """The whole exchange took longer than its deadline (a stream that never ends, say)."""


class AnswerTooLarge(httpx2.ReadError):
    """The answer grew past MAX_ANSWER_BYTES."""


def reason_of(error: Exception, deadline: float | None = None) -> str:
    """One line saying why a request failed, for a person."""
    if isinstance(error, DeadlineExceeded):
        return str(error)
    if isinstance(error, httpx2.TimeoutException):
        return f"no answer within {deadline:g} s" if deadline else "timed out"
    if isinstance(error, httpx2.ConnectError):
        text = str(error)
        return "connection refused" if "refused" in text.lower() else f"cannot connect ({text or type(error).__name__})"
    if isinstance(error, httpx2.RemoteProtocolError):
        return f"the connection broke mid-answer ({error})"
    return f"{type(error).__name__}: {error}"


class RecordingTransport(httpx2.BaseTransport):
    """Sends through the real transport; keeps one CommandRecord per exchange, written when the answer
    has been read to its end (or failed), so a streamed answer's record holds all of it."""

    def __init__(self, inner: httpx2.BaseTransport | None = None, host_of: Callable[[str], str] | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport(retries=0)
        self.host_of = host_of or (lambda url: httpx2.URL(url).host)
        self.records: list[CommandRecord] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.monotonic()
        deadline = _deadline_of(request)
        exchange = _Exchange(self, request, started, deadline)
        request.extensions[EXCHANGE] = exchange  # so the caller can find this exchange's record
        try:
            response = self.inner.handle_request(request)
        except httpx2.HTTPError as e:
            exchange.finish(None, reason_of(e, deadline))
            raise
        exchange.response = response
        return httpx2.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                               stream=_Tee(response.stream, exchange))

    def keep(self, record: CommandRecord) -> None:
        with self._lock:
            self.records.append(record)

    def close(self) -> None:
        """Shared by every client of the run (each may close its own): closed only by `shutdown`."""

    def shutdown(self) -> None:
        self.inner.close()


def _deadline_of(request: httpx2.Request) -> float | None:
    """The request's read timeout is its deadline for the whole exchange (httpx's own is per read)."""
    timeout = request.extensions.get("timeout") or {}
    return timeout.get("read")


class _Exchange:
    def __init__(self, transport: RecordingTransport, request: httpx2.Request, started: float, deadline: float | None):
        self.transport = transport
        self.request = request
        self.started = started
        self.deadline = deadline
        self.response: httpx2.Response | None = None
        self.first_byte: float | None = None
        self.body = bytearray()
        self.size = 0
        self.tail = b""  # the answer's last bytes: did a stream end with its end marker?
        self.done = False
        self.record: CommandRecord | None = None

    def finish(self, response: httpx2.Response | None, error: str = "") -> None:
        if self.done:
            return
        self.done = True
        seconds = time.monotonic() - self.started
        url = str(self.request.url)
        lines = []
        sent = _shown_request_body(self.request)
        if sent:
            lines.append(f"> {sent}")
        body = ""
        if response is not None:
            first = f", first byte after {self.first_byte:.3f} s" if self.first_byte is not None else ""
            lines.append(f"< {response.status_code} in {seconds:.3f} s{first}, {self.size} bytes")
            lines += [f"< {name}: {response.headers[name]}" for name in _shown_headers(response.headers)]
            body = "\n" + bytes(self.body).decode("utf-8", "replace")
        status = response.status_code if response is not None else -1
        head = "\n".join(lines)
        # the body is kept whole (as far as it was kept) and cut where it leaves, after redaction (evidence.py)
        self.record = CommandRecord(self.transport.host_of(url), "http", f"{self.request.method} {url}",
                                    status, head + body, error, 0, round(seconds, 4),
                                    kept_chars=len(head) + 1 + RECORDED_BODY_CHARS, cut_at_source=self.size > len(self.body))
        self.transport.keep(self.record)


def _shown_headers(headers: httpx2.Headers) -> list[str]:
    names = [n for n in SHOWN_HEADERS if n in headers]
    return names + sorted(n for n in headers if n.startswith("llm_provider-") and n not in names)


def _shown_request_body(request: httpx2.Request) -> str:
    """What the suite asked for (model, max_tokens, stream), never headers; bodies are the suite's own."""
    try:
        body = json.loads(request.content or b"null")
    except (ValueError, httpx2.RequestNotRead):
        return ""
    if not isinstance(body, dict):
        return ""
    return json.dumps({k: v for k, v in body.items() if k != "messages"}, sort_keys=True)


class _Tee(httpx2.SyncByteStream):
    """The answer's bytes on their way to the client: kept (up to a limit) for the record, bounded by the
    exchange's deadline and MAX_ANSWER_BYTES."""

    def __init__(self, inner, exchange: _Exchange) -> None:
        self.inner = inner
        self.exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        ex = self.exchange
        try:
            for chunk in self.inner:
                now = time.monotonic()
                if ex.first_byte is None and chunk:
                    ex.first_byte = now - ex.started
                ex.size += len(chunk)
                ex.tail = (ex.tail + chunk)[-64:]
                if len(ex.body) < RECORDED_BODY_CHARS * 4:
                    ex.body += chunk[: RECORDED_BODY_CHARS * 4 - len(ex.body)]
                if ex.deadline is not None and now - ex.started > ex.deadline:
                    raise DeadlineExceeded(f"the answer was still coming after the deadline of {ex.deadline:g} s")
                if ex.size > MAX_ANSWER_BYTES:
                    raise AnswerTooLarge(f"the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB")
                yield chunk
        except httpx2.HTTPError as e:
            ex.finish(ex.response, reason_of(e, ex.deadline))
            raise
        ex.finish(ex.response)

    def close(self) -> None:
        try:
            self.inner.close()
        finally:
            ended = b"data: [DONE]" in self.exchange.tail  # an SSE client stops reading at the end marker
            self.exchange.finish(self.exchange.response, "" if ended else "the client stopped reading before the end")


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
    """The run's HTTP client path. `get` sends a GET once per run (a failure raises Unavailable, its
    record kept); `client()` gives an httpx2 client on the same recording transport for the openai client."""

    def __init__(self, timeout: float = TIMEOUT, max_body: int = MAX_BODY_BYTES,
                 transport: httpx2.BaseTransport | None = None, host_of: Callable[[str], str] | None = None) -> None:
        self.timeout = timeout
        self.max_body = max_body
        self.transport = RecordingTransport(transport, host_of)
        self._client = self.client(timeout)
        self._answers: dict[str, HttpAnswer | Unavailable] = {}
        self._lock = threading.Lock()

    @property
    def records(self) -> list[CommandRecord]:
        return self.transport.records

    def client(self, timeout: float) -> httpx2.Client:
        """A client on the recording transport: `timeout` bounds connecting (at most CONNECT_TIMEOUT) and the
        whole exchange."""
        return httpx2.Client(transport=self.transport, follow_redirects=False, trust_env=False,
                             timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)))

    def get(self, host_id: str, url: str) -> HttpAnswer:
        """GET url once per run (a second ask gets the same answer, or the same failure)."""
        with self._lock:
            if url not in self._answers:
                self._answers[url] = self._get(url)
            answer = self._answers[url]
        if isinstance(answer, Unavailable):
            raise answer
        return answer

    def _get(self, url: str) -> HttpAnswer | Unavailable:
        try:
            return self.fetch(url)
        except httpx2.HTTPError as e:
            record = record_of(request_of(e))
            return Unavailable(f"GET {url}: {reason_of(e, self.timeout)}", f"GET {url}", (record,) if record else ())

    def fetch(self, url: str, timeout: float | None = None) -> HttpAnswer:
        """GET url now (not remembered), within `timeout` (default: the probe's); raises httpx2.HTTPError."""
        started = time.monotonic()
        client = self._client if timeout is None else self.client(timeout)
        with client.stream("GET", url) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_body:
                    body = body[:self.max_body]
                    break
            status, headers = response.status_code, dict(response.headers)
        return HttpAnswer(url, status, headers, body, time.monotonic() - started, record_of(response.request))

    def close(self) -> None:
        self._client.close()
        self.transport.shutdown()
