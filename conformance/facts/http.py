"""HTTP as a fact source: one client path for every request a run sends, each bounded and recorded.

Requests go from the run's own host (the suite asks the way a client of the lab would), with a
deadline on the WHOLE exchange: connecting, sending, the status line and headers, the body (httpx has
only per-phase timeouts, so a server that sends its headers one byte at a time would hold a request for
days; here every blocking socket call of an exchange ends by the exchange's deadline, see
_DeadlineBackend). No retries, no redirects followed, no proxy from the environment. Answers are asked
for and accepted only unencoded (`Accept-Encoding: identity`; any other Content-Encoding is refused
unread), so an answer is never decoded and its size in memory is its size on the wire: at most
MAX_ANSWER_BYTES.
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
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import httpcore2
import httpx2

from ..evidence import CommandRecord
from .base import CannotVerify, Unavailable

TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
MAX_BODY_BYTES = 64 * 1024  # what a GET probe keeps of an answer
MAX_ANSWER_BYTES = 4 * 1024 * 1024  # what any answer may be before it is cut off as an error
RECORDED_BODY_CHARS = 4000
# Response headers worth keeping as evidence: who answered (LiteLLM's routing headers, the upstream's
# own headers it passes on as llm_provider-*), and the type of the answer.
SHOWN_HEADERS = ("content-type", "content-encoding", "server", "x-process-time", "x-litellm-call-id",
                 "x-litellm-model-id", "x-litellm-model-api-base", "x-litellm-model-group", "x-litellm-model-name", "x-litellm-version",
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
    """The whole exchange took longer than its deadline (headers that drip, a stream that never ends, say)."""


class AnswerTooLarge(httpx2.ReadError):
    """The answer grew past MAX_ANSWER_BYTES."""


class NotRecorded(httpx2.TransportError):
    """A replay's answer to a request its recording does not hold: the check cannot be verified."""


class EncodingRefused(httpx2.DecodingError):
    """The answer came encoded (gzip, ...) though only identity was accepted: it is not read, let alone decoded."""


# --- the whole-exchange deadline, at the socket ------------------------------------------------------
# The monotonic time by which the exchange running on this thread must end (None: no exchange). Set by
# the RecordingTransport around each of its calls into httpcore; read by every blocking socket call.
_EXCHANGE_END: ContextVar[float | None] = ContextVar("exchange_end", default=None)


@contextmanager
def _held_to(end: float | None):
    token = _EXCHANGE_END.set(end)
    try:
        yield
    finally:
        _EXCHANGE_END.reset(token)


def _within(timeout: float | None, error: type[Exception]) -> float | None:
    """A blocking call's timeout, cut to what is left of the exchange's deadline; past it, `error` at once."""
    end = _EXCHANGE_END.get()
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise error("the exchange's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose every blocking call (read, write, TLS handshake) returns by the deadline of the
    exchange using it: a server that drips its headers or its body is cut when the deadline comes, on the
    thread that waits for it (httpcore then closes the connection). Nothing is left running."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _within(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _within(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname,
                                                    _within(timeout, httpcore2.ConnectTimeout)))

    def get_extra_info(self, info: str):
        return self.inner.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore's own socket backend, its connections held to the exchange's deadline (connecting too; a
    host name's DNS lookup is the one wait it cannot cut: the inventory's addresses are IP addresses)."""

    def __init__(self) -> None:
        self.inner = httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore2.NetworkStream:
        return _DeadlineStream(self.inner.connect_tcp(host, port, _within(timeout, httpcore2.ConnectTimeout),
                                                      local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        return _DeadlineStream(self.inner.connect_unix_socket(path, _within(timeout, httpcore2.ConnectTimeout),
                                                              socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def network_transport() -> httpx2.HTTPTransport:
    """httpx2's own transport (no retries), on connections held to each exchange's deadline. httpx2 takes
    no network backend, its httpcore2 pool does: the pool is made as httpx2 makes it (its default limits),
    with that backend."""
    transport = httpx2.HTTPTransport(retries=0)
    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=20)  # httpx2's DEFAULT_LIMITS
    transport._pool = httpcore2.ConnectionPool(
        ssl_context=httpx2.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        retries=0, network_backend=_DeadlineBackend())
    return transport


def reason_of(error: Exception, deadline: float | None = None) -> str:
    """One line saying why a request failed, for a person."""
    if isinstance(error, (DeadlineExceeded, EncodingRefused, AnswerTooLarge)):
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
    has been read to its end (or failed), so a streamed answer's record holds all of it. Every exchange
    is held to its deadline (on the network transport, at each socket call; on any transport, per chunk
    of the answer) and asks for, and accepts, only an unencoded answer."""

    def __init__(self, inner: httpx2.BaseTransport | None = None, host_of: Callable[[str], str] | None = None) -> None:
        self.inner = inner or network_transport()
        self.host_of = host_of or (lambda url: httpx2.URL(url).host)
        self.records: list[CommandRecord] = []
        self.exchanges: list[dict] = []  # every exchange whole, for the run's recording (conformance/replay)
        self._lock = threading.Lock()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.monotonic()
        deadline = _deadline_of(request)
        exchange = _Exchange(self, request, started, deadline)
        request.extensions[EXCHANGE] = exchange  # so the caller can find this exchange's record
        # an encoded answer would be decoded in memory (100 KB of gzip can be 100 MB): never asked for
        request.headers["Accept-Encoding"] = "identity"
        try:
            with _held_to(exchange.end):
                response = self.inner.handle_request(request)
        except httpx2.HTTPError as e:
            error = exchange.deadline_error(e, "the status line and headers were still coming")
            exchange.finish(None, reason_of(error, deadline), error)
            if error is not e:
                raise error from e
            raise
        except Exception as e:  # not an HTTP error (a transport's own bug): still the exchange's evidence
            exchange.finish(None, reason_of(e, deadline), e)
            raise
        exchange.response = response
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity"):
            response.close()
            error = EncodingRefused(f"the answer is {encoding}-encoded though only identity was accepted: "
                                    "refused unread", request=request)
            exchange.finish(response, str(error), error)
            raise error
        return httpx2.Response(response.status_code, headers=response.headers, extensions=response.extensions,
                               stream=_Tee(response.stream, exchange))

    def keep(self, record: CommandRecord, exchange: dict) -> None:
        with self._lock:
            self.records.append(record)
            self.exchanges.append(exchange)

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
        self.end = started + deadline if deadline is not None else None  # monotonic time the exchange must end by
        self.response: httpx2.Response | None = None
        self.first_byte: float | None = None
        self.body = bytearray()
        self.size = 0
        self.tail = b""  # the answer's last bytes: did a stream end with its end marker?
        self.whole = bytearray()  # the answer as read (at most MAX_ANSWER_BYTES), for the run's recording
        self.done = False
        self.record: CommandRecord | None = None

    def deadline_error(self, error: httpx2.HTTPError, reading: str) -> httpx2.HTTPError:
        """A timeout at the exchange's deadline is DeadlineExceeded, saying what it cut (`reading`: what a read
        was waiting for); any other error is itself."""
        if isinstance(error, DeadlineExceeded) or not isinstance(error, httpx2.TimeoutException) \
                or self.end is None or time.monotonic() < self.end - 0.05:
            return error
        phase = ("still connecting" if isinstance(error, httpx2.ConnectTimeout) else
                 "the request was still being sent" if isinstance(error, httpx2.WriteTimeout) else reading)
        return DeadlineExceeded(f"no complete answer within the deadline of {self.deadline:g} s ({phase})",
                                request=self.request)

    def finish(self, response: httpx2.Response | None, error: str = "", failure: Exception | None = None) -> None:
        """Write the exchange's record (once): `error` says why it did not end well, `failure` is the error
        that ended it (kept, by its type, for a replay to raise again)."""
        if self.done:
            return
        self.done = True
        seconds = time.monotonic() - self.started
        url = str(self.request.url)
        lines = []
        sent = shown_request_body(self.request)
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
        self.transport.keep(self.record, {
            "method": self.request.method, "url": url, "request": sent,
            "status": response.status_code if response is not None else None,
            "headers": [[k, v] for k, v in response.headers.items() if k != "set-cookie"] if response is not None else None,
            "body": bytes(self.whole).decode("utf-8", "replace"),
            "error": {"type": type(failure).__name__, "reason": str(failure)} if failure is not None else None,
            "seconds": round(seconds, 4)})


def _shown_headers(headers: httpx2.Headers) -> list[str]:
    names = [n for n in SHOWN_HEADERS if n in headers]
    return names + sorted(n for n in headers if n.startswith("llm_provider-") and n not in names)


def shown_request_body(request: httpx2.Request) -> str:
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
        chunks = iter(self.inner)
        try:
            while True:
                with _held_to(ex.end):  # only while reading: the caller's own time between chunks is its own
                    chunk = next(chunks, None)
                if chunk is None:
                    break
                now = time.monotonic()
                if ex.first_byte is None and chunk:
                    ex.first_byte = now - ex.started
                ex.size += len(chunk)
                ex.tail = (ex.tail + chunk)[-64:]
                ex.whole += chunk[: MAX_ANSWER_BYTES - len(ex.whole)]
                if len(ex.body) < RECORDED_BODY_CHARS * 4:
                    ex.body += chunk[: RECORDED_BODY_CHARS * 4 - len(ex.body)]
                if ex.deadline is not None and now - ex.started > ex.deadline:
                    raise DeadlineExceeded(f"the answer was still coming after the deadline of {ex.deadline:g} s")
                if ex.size > MAX_ANSWER_BYTES:
                    raise AnswerTooLarge(f"the answer is larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB")
                yield chunk
        except httpx2.HTTPError as e:
            error = ex.deadline_error(e, "the answer was still coming")
            ex.finish(ex.response, reason_of(error, ex.deadline), error)
            if error is not e:
                raise error from e
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
        self._answers: dict[str, HttpAnswer | Unavailable | CannotVerify] = {}
        self._lock = threading.Lock()

    @property
    def records(self) -> list[CommandRecord]:
        return self.transport.records

    def client(self, timeout: float) -> httpx2.Client:
        """A client on the recording transport: `timeout` bounds connecting (at most CONNECT_TIMEOUT) and the
        whole exchange."""
        return httpx2.Client(transport=self.transport, follow_redirects=False, trust_env=False,
                             timeout=httpx2.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)))

    def get(self, host_id: str, url: str, headers: dict[str, str] | None = None) -> HttpAnswer:
        """GET url once per run (a second ask gets the same answer, or the same failure). `headers` (a backend's
        key) are sent, never recorded."""
        with self._lock:
            if url not in self._answers:
                self._answers[url] = self._get(url, headers)
            answer = self._answers[url]
        if isinstance(answer, (Unavailable, CannotVerify)):
            raise answer
        return answer

    def _get(self, url: str, headers: dict[str, str] | None) -> HttpAnswer | Unavailable | CannotVerify:
        try:
            return self.fetch(url, headers=headers)
        except NotRecorded as e:
            record = record_of(request_of(e))
            return CannotVerify(f"not in the recording: GET {url}", (record,) if record else ())
        except httpx2.HTTPError as e:
            record = record_of(request_of(e))
            return Unavailable(f"GET {url}: {reason_of(e, self.timeout)}", f"GET {url}", (record,) if record else ())

    def fetch(self, url: str, timeout: float | None = None, headers: dict[str, str] | None = None) -> HttpAnswer:
        """GET url now (not remembered), within `timeout` (default: the probe's); raises httpx2.HTTPError."""
        started = time.monotonic()
        client = self._client if timeout is None else self.client(timeout)
        with client.stream("GET", url, headers=headers) as response:
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
