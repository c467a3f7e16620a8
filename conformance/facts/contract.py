"""The OpenAI-API contract's facts: what the proxy and each backend answered, asked once per run.

Every request is the official `openai` client's (chat, streams, model lists) or a plain GET of a
health endpoint, on the run's one recording HTTP path (facts/http.py): each has a deadline, no
retries, and is evidence. Nothing here judges; checks/contract.py compares.

Per route, in its own thread (routes answer concurrently, so a run costs about its slowest route):
the backend directly, as its kind declares (`contract.apis`: its health request, its model list, a
chat, a stream, its key where it guards the path, and the model list once more without the key), then
the same chat and stream through LiteLLM. A way whose first request finds the backend refusing or
silent is not asked again: the failure is remembered. Proxy-wide requests (readiness, the model list,
an unknown model, the key) go first.

The gather bounds itself: every request ends by its deadline (facts/http.py), so a route's requests
end by its budget (`Budget.seconds`), and the gather waits for each route no longer than that. Every
route gets an answer: one that did not finish within its budget (or whose thread failed) is that
route's own failure, never another's; `bound()` is the most the gather can take, from which the
plugin derives the contract tests' pytest timeout.

Only the request policy's endpoints are called: GET /v1/models (or the model list a kind names),
/health/readiness and the backends' health requests (no model calls), and POST /v1/chat/completions
with a small max_tokens. LiteLLM's /health calls every backend, so it is never used.
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai

from ..evidence import CommandRecord
from ..inventory.schema import Api, Inventory, Route, RouteRequest
from ..redaction import Redactor
from ..site import SiteAddresses
from .base import Unavailable
from .backend_auth import backend_key, key_headers, needs_key
from .http import EXCHANGE, DeadlineExceeded, HttpProbe, NotRecorded, reason_of, record_of, request_of
from .contract_plan import GRACE, UNKNOWN_MODEL, Budget, ContractPlan, RoutePlan, root as _root
from .request_failure import Failure, UndocumentedAddress

PROMPT = [{"role": "user", "content": "Say hello in one short sentence."}]
# LiteLLM's words when a deployment is cooling down after failures (router.py: "No deployments available ...")
Excerpt = Callable[[str, int], str]  # the start of a text for a message: redacted first, then cut (Redactor.excerpt)
COOLDOWN = re.compile(r"No deployments available|cooldown", re.IGNORECASE)


@dataclass
class RequestOutcome:
    """One request's outcome: an OpenAI answer (parsed), or how it failed. Never raises."""

    what: str  # "POST http://.../chat/completions (stream)"
    failure: Failure | None = None
    reason: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: object = None  # the parsed JSON of a whole answer; the last chunk of a stream
    raw: bytes = b""  # a GET's body as it came (at most the probe's MAX_BODY_BYTES)
    ids: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    content: str = ""
    finish_reasons: list[str] = field(default_factory=list)  # every non-null finish_reason seen
    usage: dict | None = None
    usage_in_last_chunk: bool = False
    chunks: int = 0
    done_marker: bool = False  # a stream ended with data: [DONE]
    model_ids: list[str] = field(default_factory=list)  # a model list's ids
    ttft: float | None = None  # seconds to the first content
    seconds: float = 0.0
    evidence: tuple[CommandRecord, ...] = ()

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def completion_tokens(self) -> int | None:
        value = (self.usage or {}).get("completion_tokens")
        return value if isinstance(value, int) else None

    @property
    def tokens_per_second(self) -> float | None:
        """Completion tokens over the whole answer's time (a proxy may buffer a stream, so the time after
        the first token says nothing)."""
        tokens = self.completion_tokens
        return round(tokens / self.seconds, 1) if tokens and self.seconds > 0 else None

    def shown(self) -> str:
        """The failure in one line, for a message."""
        return f"{self.what}: {self.reason}" if self.failure else f"{self.what}: {self.status}"


@dataclass
class PathAnswers:
    """The answers of one path to a route: directly to the backend, or through the proxy."""

    health: RequestOutcome | None = None
    models: RequestOutcome | None = None
    chats: list[RequestOutcome] = field(default_factory=list)
    stream: RequestOutcome | None = None
    without_key: RequestOutcome | None = None  # directly, for a kind with a key: its model list asked without it (refused)

    def answers(self) -> list[RequestOutcome]:
        return [a for a in (self.health, self.models, self.without_key, *self.chats, self.stream) if a is not None]

    def first_failure(self) -> RequestOutcome | None:
        """The first request that failed (the one asked without the key is refused by design: not counted)."""
        return next((a for a in self.answers() if not a.ok and a is not self.without_key), None)

    @property
    def evidence(self) -> tuple[CommandRecord, ...]:
        return tuple(r for a in self.answers() for r in a.evidence)


@dataclass
class RouteAnswers:
    plan: RoutePlan
    direct: PathAnswers
    proxy: PathAnswers
    seconds: float  # wall time of the route's requests, both ways
    unfinished: str = ""  # why the route has no complete answers (it overran its budget, its thread failed)

    def snapshot(self) -> RouteAnswers:
        """The answers finished so far (a route's thread adds each answer once it is complete)."""
        return replace(self, direct=_copy(self.direct), proxy=_copy(self.proxy))


def _copy(way: PathAnswers) -> PathAnswers:
    return PathAnswers(way.health, way.models, list(way.chats), way.stream, way.without_key)


@dataclass
class ProxyAnswers:
    readiness: RequestOutcome
    models: RequestOutcome
    unknown_model: RequestOutcome
    without_key: RequestOutcome | None  # documented key: the same list asked without it
    chat_without_key: RequestOutcome | None = None  # documented key: a chat (of a called route) sent without it
    retired: dict[str, RequestOutcome] = field(default_factory=dict)  # a chat for each retired alias (refused)


class ContractFacts(ContractPlan):
    """The contract's answers, gathered once per run (`gather`), concurrently per route."""

    def __init__(self, inventory: Inventory, site: SiteAddresses, run_host: str, http: HttpProbe,
                 deadline: float | None = None, host_facts=None, environ: dict | None = None,
                 redactor: Redactor | None = None) -> None:
        super().__init__(inventory, site, run_host, deadline)
        self.redactor = redactor or Redactor()  # what a failure quotes of an answer is redacted before it is cut
        self.http = http
        self.host_facts = host_facts  # host id -> that host's facts (for Open WebUI's env file)
        self.environ = environ if environ is not None else {}
        # each backend kind's key, learned by the redactor before any request (none for a kind without one)
        self.backend_keys = {p.api.id: backend_key(p.api, self.environ, self.redactor) for p in self.plans if p.api}
        self.proxy: ProxyAnswers | None = None
        self.routes: dict[str, RouteAnswers] = {}
        self.wall_seconds = 0.0
        self._gathered = False
        self._lock = threading.Lock()

    def master_key(self) -> str | None:
        """The key from the environment variable the inventory names (never from a file of the suite)."""
        return self.environ.get(self.key_env) or None

    # --- asking --------------------------------------------------------------------------------
    def gather(self) -> None:
        """Ask everything, once, within `bound()`. Whatever happens (a route overrunning its budget, a thread
        failing, the gather itself interrupted), every route ends up with answers: complete, or unfinished
        with the reason."""
        with self._lock:
            if self._gathered:
                return
            started = time.monotonic()
            progress: dict[str, RouteAnswers] = {}
            try:
                self.proxy = self._ask_proxy()
                self._ask_routes(progress)
            except BaseException as e:  # interrupted (pytest-timeout, Ctrl-C): every route still gets an answer
                self._settle(progress, f"the contract's requests were interrupted ({type(e).__name__}: {e})")
                raise
            finally:
                self._settle(progress, "the contract's requests were interrupted")
                self.wall_seconds = time.monotonic() - started
                self._gathered = True

    def _ask_routes(self, progress: dict[str, RouteAnswers]) -> None:
        """Every route in its own daemon thread (none holds the process), each waited for up to its budget."""
        done: dict[str, RouteAnswers] = {}
        threads = []
        for plan in self.plans:
            progress[plan.route.name] = RouteAnswers(plan, PathAnswers(), PathAnswers(), 0.0)
            thread = threading.Thread(target=self._route_thread, args=(progress[plan.route.name], done),
                                      name=f"contract:{plan.route.name}", daemon=True)
            thread.start()
            threads.append((plan, thread))
        started = time.monotonic()
        for plan, thread in threads:
            thread.join(max(0.0, started + plan.budget.seconds + GRACE - time.monotonic()))
        for plan, _ in threads:
            name = plan.route.name
            self.routes[name] = done.get(name) or replace(
                progress[name].snapshot(), seconds=time.monotonic() - started,
                unfinished=progress[name].unfinished or
                f"did not finish within its budget of {plan.budget.seconds:g} s "
                f"({plan.budget.most_requests} requests of at most {plan.budget.deadline:g} s)")

    def _route_thread(self, progress: RouteAnswers, done: dict[str, RouteAnswers]) -> None:
        try:
            done[progress.plan.route.name] = self._ask_route(progress)
        except Exception as e:  # noqa: BLE001 - the route's own failure, never another's
            progress.unfinished = f"its requests stopped on an error of the suite ({type(e).__name__}: {e})"

    def _settle(self, progress: dict[str, RouteAnswers], reason: str) -> None:
        """Answers for whatever the gather did not get to (it was interrupted)."""
        if self.proxy is None:
            self.proxy = ProxyAnswers(*(_not_asked(f"GET {self.proxy_base}/{what}", reason)
                                        for what in ("health/readiness", "models", "chat/completions")), None)
        for plan in self.plans:
            if plan.route.name not in self.routes:
                answers = progress.get(plan.route.name) or RouteAnswers(plan, PathAnswers(), PathAnswers(), 0.0)
                self.routes[plan.route.name] = replace(answers.snapshot(), unfinished=reason)

    def _client(self, base_url: str, deadline: float, api_key: str | None) -> openai.OpenAI:
        return openai.OpenAI(base_url=base_url, api_key=api_key, _enforce_credentials=api_key is not None,
                             max_retries=0, timeout=deadline, http_client=self.http.client(deadline))

    def _key_headers(self, api_key: str | None) -> dict:
        # no key: no Authorization header at all (the openai client otherwise insists on one)
        return {} if api_key else {"Authorization": openai.omit}

    def _ask_proxy(self) -> ProxyAnswers:
        key = self.master_key() if self.key_documented else None
        client = self._client(self.proxy_base, self.proxy_deadline, key)
        readiness = self._get(f"{_root(self.proxy_base)}/health/readiness", self.proxy_deadline)
        models = self._models(client, key)
        unknown = self._chat(client, key, UNKNOWN_MODEL, 1, stream=False)
        without = chat_without = None
        if self.key_documented:
            keyless = self._client(self.proxy_base, self.proxy_deadline, None)
            without = self._models(keyless, None)
            called = next((p.route.name for p in self.plans if p.route.called), None)
            if called:  # refused before any routing: nothing reaches a backend
                chat_without = self._chat(keyless, None, called, 1, stream=False)
        retired = {a.name: self._chat(client, key, a.name, 1, stream=False) for a in self.inventory.litellm.retired}
        return ProxyAnswers(readiness, models, unknown, without, chat_without, retired)

    def _ask_route(self, progress: RouteAnswers) -> RouteAnswers:
        """The route's requests, each answer added to `progress` as it completes."""
        plan, direct, proxy = progress.plan, progress.direct, progress.proxy
        started = time.monotonic()
        if not plan.route.called:  # it leaves the lab and costs money: nothing is sent unless opted in
            return RouteAnswers(plan, direct, proxy, 0.0)
        self._ask_backend(plan, direct)
        b = plan.budget
        key = self.master_key() if self.key_documented else None
        client = self._client(self.proxy_base, b.deadline, key)
        request = plan.route.request
        if request is None:
            self._chats(proxy, client, key, plan.route.name, b)
        else:
            self._route_requests(proxy, client, key, plan.route.name, request, b)
        return RouteAnswers(plan, direct, proxy, time.monotonic() - started)

    def _route_requests(self, way: PathAnswers, client: openai.OpenAI, key: str | None, model: str,
                        request: RouteRequest, b: Budget) -> None:
        """A route's own documented request, through the proxy: its prompt, its endpoint (chat or the Responses
        API), JSON asked for when its answer is JSON; `requests` whole answers and one stream."""
        max_tokens = request.max_tokens or b.max_tokens
        ask = self._response if request.endpoint == "responses" else partial(
            self._chat, messages=[{"role": "user", "content": request.prompt}],
            response_format={"type": "json_object"} if request.answer == "json_object" else None)
        if request.endpoint == "responses":
            ask = partial(ask, prompt=request.prompt)
        for _ in range(b.requests):
            way.chats.append(ask(client, key, model, max_tokens, stream=False))
            if way.chats[-1].failure in (Failure.REFUSED, Failure.TIMEOUT):
                return
        way.stream = ask(client, key, model, max_tokens, stream=True)

    def _ask_backend(self, plan: RoutePlan, direct: PathAnswers) -> None:
        """The backend itself, as its kind says: its health request, its model list, a chat and a stream, each with
        the kind's key where the kind guards the path. Without the key a kind needs, the requests it guards are
        not sent (the check cannot be verified); with it, the model list is asked once more without it (it must
        be refused)."""
        api, b = plan.api, plan.budget
        key = self.backend_keys.get(api.id)
        if needs_key(api, api.health.path) and key is None:
            return
        direct.health = self._get(plan.health_url, b.deadline, key_headers(api, api.health.path, key))
        if direct.health.failure in (Failure.REFUSED, Failure.TIMEOUT) or (api.auth is not None and key is None):
            return
        direct.models = self._model_list(plan.models_url, b.deadline, key_headers(api, api.models.path, key))
        if api.auth is not None:
            direct.without_key = self._get(plan.models_url, b.deadline)
        listed = direct.models.model_ids if api.models.upstream_ids else []
        chat_key = key if needs_key(api, plan.chat_path) else None
        self._chats(direct, self._client(plan.direct_base, b.deadline, chat_key), chat_key,
                    (listed or [plan.route.name])[0], b)

    def _chats(self, way: PathAnswers, client: openai.OpenAI, key: str | None, model: str, b: Budget) -> None:
        for _ in range(b.requests):
            way.chats.append(self._chat(client, key, model, b.max_tokens, stream=False))
            if way.chats[-1].failure in (Failure.REFUSED, Failure.TIMEOUT):
                return  # remembered: the backend is down or silent; asking again only costs the deadline
        way.stream = self._chat(client, key, model, b.max_tokens, stream=True)

    def open_webui(self) -> tuple[str, RequestOutcome]:
        """Open WebUI's own path: its env file's base URL and key, asking for the model list. The key is sent
        only to a documented address (UndocumentedAddress otherwise): whatever else the file names is not
        the proxy the inventory documents, and is never given a credential."""
        path = self.inventory.contract.open_webui
        service = self.inventory.service(path.service)
        facts = self.host_facts(service.host)
        values, text = facts.env_file(path.env_file)  # CannotVerify when the run may not read it
        if text.problem:
            raise Unavailable(f"{path.env_file}: {text.problem}", text.source, text.evidence)
        base = values.get(path.base_url_key)
        key = values.get(path.api_key_key) or None
        if not base:
            raise Unavailable(f"{path.env_file} sets no {path.base_url_key}", text.source, text.evidence)
        documented = self.open_webui_addresses()
        if base.rstrip("/") not in documented:
            raise UndocumentedAddress(
                f"{path.env_file} sets {path.base_url_key}={base}, not a documented address of the proxy "
                f"({' or '.join(documented)}): Open WebUI's key was not sent there", text.source, text.evidence)
        base = self._reachable(base.rstrip("/"), service.host)
        answer = self._models(self._client(base, self.proxy_deadline, key), key)
        return base, answer

    # --- one request each: never raises, the failure is the answer ----------------------------------
    def _get(self, url: str, deadline: float, headers: dict[str, str] | None = None) -> RequestOutcome:
        answer = RequestOutcome(f"GET {url}")
        started = time.monotonic()
        try:
            got = self.http.fetch(url, deadline, headers)
            answer.status, answer.headers, answer.body, answer.raw = got.status, got.headers, got.json(), got.body
            answer.evidence = got.evidence
            if got.status >= 400:
                _fail(answer, Failure.AUTH if got.status in (401, 403) else Failure.STATUS, f"answered {got.status}")
        except httpx2.HTTPError as e:
            _transport_failure(answer, e, deadline)
        answer.seconds = time.monotonic() - started
        return answer

    def _model_list(self, url: str, deadline: float, headers: dict[str, str]) -> RequestOutcome:
        """A backend's model list at the path its kind names: an OpenAI list, its ids read."""
        answer = self._get(url, deadline, headers)
        if answer.ok:
            data = answer.body.get("data") if isinstance(answer.body, dict) else None
            if isinstance(data, list) and all(isinstance(m, dict) and isinstance(m.get("id"), str) for m in data):
                answer.model_ids = [m["id"] for m in data]
            else:
                _fail(answer, Failure.MALFORMED,
                      f"not an OpenAI model list: {self.redactor.excerpt(answer.raw, 120)!r}")
        return answer

    def _models(self, client: openai.OpenAI, key: str | None) -> RequestOutcome:
        answer = RequestOutcome(f"GET {client.base_url}models")
        started = time.monotonic()
        try:
            raw = client.models.with_raw_response.list(extra_headers=self._key_headers(key))
            answer.status, answer.headers = raw.status_code, dict(raw.headers)
            answer.evidence = _records(raw.http_request)
            page = raw.parse()
            answer.model_ids = [m.id for m in page.data]
        except Exception as e:  # noqa: BLE001 - every way a request fails is an answer here
            _client_failure(answer, e, client.timeout, self.redactor.excerpt)
        answer.seconds = time.monotonic() - started
        return answer

    def _chat(self, client: openai.OpenAI, key: str | None, model: str, max_tokens: int, stream: bool,
              messages: list | None = None, response_format: dict | None = None) -> RequestOutcome:
        answer = RequestOutcome(f"POST {client.base_url}chat/completions" + (" (stream)" if stream else ""))
        extra = {"response_format": response_format} if response_format else {}
        return self._send(answer, client, client.chat.completions, stream, _take_chunk, _take_completion,
                          model=model, messages=messages or PROMPT, max_tokens=max_tokens, **extra,
                          extra_headers=self._key_headers(key))

    def _response(self, client: openai.OpenAI, key: str | None, model: str, max_tokens: int, stream: bool,
                  prompt: str) -> RequestOutcome:
        """The Responses API (POST /v1/responses, the openai client's responses.create): its text is read from the
        output's `output_text` parts (a stream: the response.output_text.delta events, ended by response.completed)."""
        answer = RequestOutcome(f"POST {client.base_url}responses" + (" (stream)" if stream else ""))
        return self._send(answer, client, client.responses, stream, _take_event, _take_response,
                          model=model, input=prompt, max_output_tokens=max_tokens, extra_headers=self._key_headers(key))

    def _send(self, answer: RequestOutcome, client: openai.OpenAI, resource, stream: bool, take_piece, take_whole,
              **params) -> RequestOutcome:
        """One request through one of the client's resources (chat.completions, responses), streamed or not, read
        into `answer`: each streamed piece by take_piece, a whole answer by take_whole; every way it fails is an
        answer too. A chat stream ends with `data: [DONE]`, looked for in what was read; a Responses stream with its
        response.completed event (take_piece marks it)."""
        started = time.monotonic()
        request = None
        try:
            if stream:
                with resource.with_streaming_response.create(stream=True, **params) as raw:
                    request = raw.http_request
                    answer.status, answer.headers = raw.status_code, dict(raw.headers)
                    for piece in raw.parse():
                        take_piece(answer, piece, started)
                answer.done_marker = answer.done_marker or _saw_done(request)  # a Responses stream's: its last event
                answer.evidence = _records(request)
            else:
                raw = resource.with_raw_response.create(**params)
                request = raw.http_request
                answer.status, answer.headers = raw.status_code, dict(raw.headers)
                answer.evidence = _records(request)
                take_whole(answer, raw, self.redactor.excerpt)
                answer.ttft = time.monotonic() - started
        except Exception as e:  # noqa: BLE001 - every way a request fails is an answer here
            if request is not None and not answer.evidence:
                answer.evidence = _records(request)
            _client_failure(answer, e, client.timeout, self.redactor.excerpt)
        answer.seconds = time.monotonic() - started
        return answer


# --- reading answers ----------------------------------------------------------------------------

def _records(request) -> tuple[CommandRecord, ...]:
    record = record_of(request)
    return (record,) if record else ()


def _saw_done(request) -> bool:
    exchange = request.extensions.get(EXCHANGE) if request is not None else None
    return exchange is not None and b"data: [DONE]" in exchange.tail


def _fail(answer: RequestOutcome, failure: Failure, reason: str) -> None:
    answer.failure, answer.reason = failure, reason


def _not_asked(what: str, reason: str) -> RequestOutcome:
    answer = RequestOutcome(what)
    _fail(answer, Failure.TIMEOUT, reason)
    return answer


def _transport_failure(answer: RequestOutcome, error: httpx2.HTTPError, deadline: float) -> None:
    if isinstance(error, NotRecorded):
        _fail(answer, Failure.NOT_RECORDED, str(error))
        return
    refused = isinstance(error, httpx2.ConnectError)
    timeout = isinstance(error, httpx2.TimeoutException)
    _fail(answer, Failure.REFUSED if refused else Failure.TIMEOUT if timeout else Failure.MALFORMED,
          reason_of(error, deadline))
    if not answer.evidence:
        answer.evidence = _records(request_of(error))


def _client_failure(answer: RequestOutcome, error: Exception, timeout, excerpt: Excerpt) -> None:
    deadline = timeout if isinstance(timeout, (int, float)) else getattr(timeout, "read", None)
    if isinstance(error, openai.APIStatusError):
        answer.status = error.status_code
        answer.headers = dict(error.response.headers)
        answer.body = error.body
        answer.evidence = answer.evidence or _records(error.response.request)
        text = _error_text(error, excerpt)
        if COOLDOWN.search(text):  # LiteLLM's cooldown carries an earlier failure into this request: say so
            text += " (LiteLLM cooled this route down after an earlier failure; the first failure is the cause)"
        _fail(answer, Failure.AUTH if error.status_code in (401, 403) else Failure.STATUS,
              f"answered {error.status_code}: {text}")
    elif isinstance(error, openai.APITimeoutError):
        cause = error.__cause__
        _fail(answer, Failure.TIMEOUT, reason_of(cause, deadline) if isinstance(cause, DeadlineExceeded)
              else f"no answer within {deadline:g} s" if deadline else "timed out")
        answer.evidence = answer.evidence or _records(error.request)
    elif isinstance(error, openai.APIConnectionError):
        cause = error.__cause__
        if isinstance(cause, httpx2.HTTPError):
            _transport_failure(answer, cause, deadline)
        else:
            _fail(answer, Failure.REFUSED, f"cannot connect ({error})")
        answer.evidence = answer.evidence or _records(error.request)
    elif isinstance(error, httpx2.HTTPError):  # raised while a stream was being read
        _transport_failure(answer, error, deadline)
    elif isinstance(error, openai.APIError):  # an error event inside a stream
        _fail(answer, Failure.MALFORMED, f"an error inside the stream: {error.message}")
    else:  # a body the client could not read as an OpenAI answer
        _fail(answer, Failure.MALFORMED, f"not an OpenAI answer ({type(error).__name__}: {excerpt(str(error), 200)})")


def _error_text(error: openai.APIStatusError, excerpt: Excerpt) -> str:
    body = error.body
    if isinstance(body, dict):
        message = body.get("message", body)
        return excerpt(str(message), 300)
    return excerpt(str(body or error.message), 300)


def _json_body(answer: RequestOutcome, raw, listed: str, excerpt: Excerpt) -> dict | None:
    """A whole answer's body as JSON with a `listed` list in it (kept as the answer's body), or None: failed as malformed."""
    text = raw.http_response.text
    try:
        body = json.loads(text)
    except ValueError:
        _fail(answer, Failure.MALFORMED, f"not JSON: {excerpt(text, 120)!r}")
        return None
    answer.body = body
    if not isinstance(body, dict) or not isinstance(body.get(listed), list):
        _fail(answer, Failure.MALFORMED, f"no `{listed}` list in {excerpt(text, 120)!r}")
        return None
    return body


def _take_completion(answer: RequestOutcome, raw, excerpt: Excerpt) -> None:
    """A whole answer: read as JSON first (what the client parses is lenient), then its fields."""
    if _json_body(answer, raw, "choices", excerpt) is None:
        return
    completion = raw.parse()
    answer.ids = [completion.id]
    for choice in completion.choices:
        answer.roles.append(choice.message.role)
        answer.content += choice.message.content or ""
        if choice.finish_reason:
            answer.finish_reasons.append(choice.finish_reason)
    answer.usage = completion.usage.model_dump() if completion.usage else None


def _take_chunk(answer: RequestOutcome, chunk, started: float) -> None:
    answer.chunks += 1
    answer.ids.append(chunk.id)
    answer.body = chunk.model_dump()
    answer.usage_in_last_chunk = chunk.usage is not None
    if chunk.usage is not None:
        answer.usage = chunk.usage.model_dump()
    for choice in chunk.choices:
        if choice.delta.role:
            answer.roles.append(choice.delta.role)
        if choice.delta.content:
            if answer.ttft is None:
                answer.ttft = time.monotonic() - started
            answer.content += choice.delta.content
        if choice.finish_reason:
            answer.finish_reasons.append(choice.finish_reason)


def _take_response(answer: RequestOutcome, raw, excerpt: Excerpt) -> None:
    """A whole Responses answer: read as JSON first, then its output's text parts (`output_text`) and its status."""
    body = _json_body(answer, raw, "output", excerpt)
    if body is None:
        return
    answer.ids = [str(body.get("id"))]
    for item in body["output"]:
        if isinstance(item, dict) and item.get("type") == "message":
            answer.roles.append(str(item.get("role")))
            answer.content += "".join(str(part.get("text") or "") for part in item.get("content") or []
                                      if isinstance(part, dict) and part.get("type") == "output_text")
    if body.get("status"):
        answer.finish_reasons.append(str(body["status"]))
    answer.usage = body.get("usage") if isinstance(body.get("usage"), dict) else None


def _take_event(answer: RequestOutcome, event, started: float) -> None:
    """One event of a streamed Responses answer: text deltas, and the final response.completed."""
    answer.chunks += 1
    kind = getattr(event, "type", "")
    if kind == "response.output_text.delta":
        if answer.ttft is None:
            answer.ttft = time.monotonic() - started
        answer.content += event.delta or ""
    elif kind in ("response.completed", "response.incomplete", "response.failed"):
        answer.body = event.response.model_dump()
        answer.ids.append(event.response.id)
        answer.finish_reasons.append(str(event.response.status))
        answer.roles += [o.role for o in event.response.output if getattr(o, "type", "") == "message"]
        answer.done_marker = True  # the Responses stream ends with its completed event, not data: [DONE]
        answer.usage = event.response.usage.model_dump() if event.response.usage else None
