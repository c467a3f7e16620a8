"""The contract's facts and checks against a fake lab answering over httpx's MockTransport: a LiteLLM-like
proxy (its routing headers, its 400 for an unknown model) in front of backends that answer the way
ov-llm-server and mlx-openai-server do. No socket is opened. Each drift fails its checks and the
message names the layer; an optional route whose backend is down is not applicable."""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field

import httpx2
import pytest

from conformance.checks.derive import evaluate
from conformance.checks.contract import contract_checks, latency_summary
from conformance.checks.finding import Status
from conformance.facts.base import CannotVerify
from conformance.facts.contract import ContractFacts
from conformance.facts.envfile import parse_env_file
from conformance.facts.http import HttpProbe
from conformance.inventory import load_site
from conformance.redaction import Redactor
from conformance.site import SiteAddresses
from lab.faults import contract_checks as route_checks

from ._support import ROOT, real_inventory

AS_IS = Redactor(enabled=False)  # the record as it is held (what a redactor would see)

MINI, STUDIO = "10.213.0.2", "10.213.0.3"
PROXY = f"http://{MINI}:4000"
WEBUI_KEY = "sk-webui-canary-4b1d"


@dataclass
class Backend:
    api: str  # "ov" | "mlx"
    model: str
    # ok | down | malformed | endless | reject-key | bad-id | stall (chat waits for `released`) |
    # slow-stream (a stream's first chunk after SLOW_FIRST_CHUNK s; a chat at once) | any-path-200 (/health answers
    # 200 with an error body, as LM Studio answers every path it does not know)
    mode: str = "ok"


@dataclass
class FakeLab:
    """Backends by (host, port); a proxy that routes a model name to an api_base (which may be wrong)."""

    backends: dict[tuple[str, int], Backend]
    routes: dict[str, str]  # route -> api_base the proxy really calls
    proxy_up: bool = True
    master_key: str | None = None
    upstream_keys: dict = field(default_factory=dict)  # route -> the api_key LiteLLM sends its backend (env.local)
    upstream_models: dict = field(default_factory=dict)  # route -> the model LiteLLM asks its backend for (default: its name)
    cooling: set = field(default_factory=set)  # routes LiteLLM has cooled down
    seen: list[str] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)  # ends a `stall`

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.seen.append(f"{request.method} {request.url}")  # what the suite sent
        return self.answer(request)

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        url = request.url
        if (url.host, url.port) == (MINI, 4000):
            return self.proxy(request)
        host = MINI if url.host == "localhost" else url.host
        backend = self.backends.get((host, url.port))
        if backend is None or backend.mode == "down":
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)
        return self.backend(backend, request, url.path)

    # --- a backend as its API answers -----------------------------------------------------------
    def backend(self, b: Backend, request: httpx2.Request, path: str) -> httpx2.Response:
        headers = {"server": "uvicorn"} | ({"x-process-time": "0.01"} if b.api == "mlx" else {})
        if path == "/health" and b.mode == "any-path-200":  # LM Studio's answer to a path it does not know (issue 618)
            return httpx2.Response(200, json={"error": "Unexpected endpoint or method. (GET /health)"}, headers=headers)
        if path == "/health":
            return httpx2.Response(200, json={"status": "ok"}, headers=headers)
        if b.mode == "reject-key":
            return httpx2.Response(401, json={"error": {"message": "Invalid API key", "code": "invalid_api_key"}},
                                   headers=headers)
        if path == "/v1/models":
            return httpx2.Response(200, json={"object": "list", "data": [{"id": b.model, "object": "model"}]},
                                   headers=headers)
        if b.mode == "stall":  # what no request deadline cuts (no socket here): only the gather's bound can
            self.released.wait()
        body = json.loads(request.content)
        n = body.get("max_tokens") or 8
        ident = ("chatcmpl-stream" if body.get("stream") else "chatcmpl-0") if b.api == "ov" \
            else f"chatcmpl_{uuid.uuid4().hex}"
        if b.mode == "bad-id":
            ident = "cmpl-other"
        usage = {"prompt_tokens": 5, "completion_tokens": n, "total_tokens": 5 + n} if b.api == "mlx" else None
        if b.mode == "malformed":
            return httpx2.Response(200, content=b"{not json", headers=headers | {"content-type": "application/json"})
        if body.get("stream"):
            return httpx2.Response(200, stream=_Sse(ident, n, usage, endless=b.mode == "endless",
                                                    delay=SLOW_FIRST_CHUNK if b.mode == "slow-stream" else 0),
                                   headers=headers | {"content-type": "text/event-stream"})
        answer = {"id": ident, "object": "chat.completion", "created": 1, "model": body["model"],
                  "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello " * n},
                               "finish_reason": "stop"}]}
        if usage:
            answer["usage"] = usage
        return httpx2.Response(200, json=answer, headers=headers)

    # --- the proxy: routes, headers, its own errors ----------------------------------------------------
    def proxy(self, request: httpx2.Request) -> httpx2.Response:
        if not self.proxy_up:
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)
        path = request.url.path
        if path == "/health/readiness":
            return httpx2.Response(200, json={"status": "connected"})
        if self.master_key and request.headers.get("authorization") != f"Bearer {self.master_key}":
            return httpx2.Response(401, json={"error": {"message": "Authentication Error", "code": "401"}})
        if path == "/v1/models":
            return httpx2.Response(200, json={"object": "list", "data": [{"id": r} for r in self.routes]})
        body = json.loads(request.content)
        model = body["model"]
        if model not in self.routes:
            return httpx2.Response(400, json={"error": {"message": f"/chat/completions: Invalid model name passed in "
                                                                   f"model={model}.", "code": "400"}})
        if model in self.cooling:
            return httpx2.Response(429, json={"error": {"message": f"No deployments available for selected model, "
                                                                   f"Try again in 30 seconds. Passed model={model}.",
                                                        "code": "429"}})
        api_base = self.routes[model]
        upstream = httpx2.Request("POST", f"{api_base}/chat/completions",
                                  json=body | {"model": self.upstream_models.get(model, model)},
                                  headers={"authorization": f"Bearer {self.upstream_keys.get(model, 'dummy')}"})
        try:
            answer = self.answer(upstream)
        except httpx2.ConnectError:
            return httpx2.Response(500, json={"error": {"message": "APIConnectionError", "code": "500"}})
        if answer.status_code != 200:
            return httpx2.Response(answer.status_code, json={"error": {"message": "upstream", "code": str(answer.status_code)}})
        headers = {"x-litellm-model-api-base": api_base, "x-litellm-model-group": model,
                   "x-litellm-attempted-retries": "0", "content-type": answer.headers["content-type"]}
        # every upstream header, passed on as llm_provider-<name> (LiteLLM 1.83.4 common_request_processing.py 493-548)
        headers |= {f"llm_provider-{k}": v for k, v in answer.headers.items()}
        if body.get("stream"):
            return httpx2.Response(200, stream=answer.stream, headers=headers)
        try:
            data = json.loads(answer.read())
        except ValueError:  # LiteLLM cannot read the upstream's answer: its 500
            return httpx2.Response(500, json={"error": {"message": "APIError: upstream answer is not JSON", "code": "500"}})
        data["model"] = model  # LiteLLM rewrites it
        data.setdefault("usage", {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0})
        return httpx2.Response(200, json=data, headers=headers)


SLOW_FIRST_CHUNK = 0.3


class _Sse(httpx2.SyncByteStream):
    def __init__(self, ident: str, n: int, usage: dict | None, endless: bool = False, delay: float = 0) -> None:
        self.ident, self.n, self.usage, self.endless, self.delay = ident, n, usage, endless, delay

    def __iter__(self):
        def event(delta, finish=None, usage=None):
            chunk = {"id": self.ident, "object": "chat.completion.chunk", "created": 1, "model": "m",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            if usage:
                chunk["usage"] = usage
            return f"data: {json.dumps(chunk)}\n\n".encode()

        time.sleep(self.delay)
        yield event({"role": "assistant"})
        i = 0
        while self.endless or i < self.n:
            yield event({"content": "hello "})
            i += 1
            if self.endless:
                time.sleep(0.02)
        yield event({}, "stop", self.usage)
        yield b"data: [DONE]\n\n"


ROUTES = {"jerry-chat": 8100, "jerry-editor": 8101, "jerry-architect": 8102, "jerry-weak": 8103, "jerry-test": 8109}


def _lab(**changes) -> FakeLab:
    backends = {(STUDIO, port): Backend("mlx", f"/opt/mlx-launch/models/{name}") for name, port in ROUTES.items()}
    backends[(MINI, 9000)] = Backend("ov", "qwen2.5-3b-instruct-int4-ov")
    routes = {name: f"http://{STUDIO}:{port}/v1" for name, port in ROUTES.items()} | {"lil-jerry": "http://localhost:9000/v1"}
    lab = FakeLab(backends, routes)
    for key, value in changes.items():
        setattr(lab, key, value)
    return lab


class FakeMini:
    """The Mini's facts, as far as the contract asks them: Open WebUI's env file."""

    def __init__(self, text: str) -> None:
        self.text = text

    def env_file(self, path):
        if self.text is None:
            raise CannotVerify(f"{path}: permission denied (the run's user may not read it)")
        values = parse_env_file(self.text)
        return values, type("Text", (), {"problem": None, "source": f"cat {path}", "evidence": ()})()


WEBUI_ENV = f"OPENAI_API_BASE_URL=http://127.0.0.1:4000/v1\nOPENAI_API_KEY={WEBUI_KEY}\n"


def _run(lab: FakeLab, inventory=None, deadline=None, env=None, webui_env=WEBUI_ENV):
    inventory = inventory or real_inventory()
    site = SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory))
    http = HttpProbe(transport=httpx2.MockTransport(lab))
    facts = ContractFacts(inventory, site, "studio", http, deadline=deadline, host_facts=lambda host: FakeMini(webui_env),
                          environ=env or {})
    checks = list(contract_checks(inventory))
    return facts, {c.id: evaluate(c, facts) for c in checks}


def _not(findings, status=Status.PASSED):
    return {i for i, f in findings.items() if f.status is not status}


def test_a_lab_that_keeps_its_contract_passes_every_check():
    facts, findings = _run(_lab())
    assert len(findings) == 5 + 4 * 6
    assert not _not(findings), {i: findings[i].message for i in _not(findings)}
    assert findings["litellm-orch::contract:master-key"].note.startswith("security:")
    summary = latency_summary(facts)
    assert {r["route"] for r in summary["routes"]} == set(ROUTES) | {"lil-jerry"}
    assert all(r["proxy"]["chat_seconds"] is not None and r["direct"]["ttft_seconds"] is not None
               for r in summary["routes"])


def test_ttft_and_the_total_beside_it_are_one_streamed_request_and_a_chat_has_its_own_total():
    """A stream slow to its first token beside a chat that answers at once: the TTFT must not be shown against
    the chat's total (a first token after the end); the stream's own total is shown, and the chat's apart."""
    lab = _lab()
    lab.backends[(MINI, 9000)].mode = "slow-stream"
    facts, _ = _run(lab)
    lil = next(r for r in latency_summary(facts)["routes"] if r["route"] == "lil-jerry")
    answers = facts.routes["lil-jerry"]
    for way, timing in ((answers.direct, lil["direct"]), (answers.proxy, lil["proxy"])):
        assert (timing["ttft_seconds"], timing.get("stream_seconds")) == (round(way.stream.ttft, 4),
                                                                           round(way.stream.seconds, 4))
        assert SLOW_FIRST_CHUNK <= timing["ttft_seconds"] <= timing["stream_seconds"]
        assert timing["chat_seconds"] == round(way.chats[0].seconds, 4) < SLOW_FIRST_CHUNK
    assert lil["overhead_seconds"] == round(lil["proxy"]["chat_seconds"] - lil["direct"]["chat_seconds"], 4)
    # the terminal says the same, in the same order
    from conformance.plugin.results import contract_of
    from conformance.plugin.terminal import _ms, latency_lines
    line = next(line for line in latency_lines(contract_of(latency_summary(facts))) if line.strip().startswith("lil-jerry"))
    d, p = lil["direct"], lil["proxy"]
    assert line.split(None, 1)[1] == (f"{_ms(d['ttft_seconds'])} / {_ms(d['stream_seconds'])}, {_ms(d['chat_seconds'])}"
                                      f" -> {_ms(p['ttft_seconds'])} / {_ms(p['stream_seconds'])}, "
                                      f"{_ms(p['chat_seconds'])}  overhead {_ms(lil['overhead_seconds'])}")


def test_loopback_urls_are_reached_at_their_hosts_address_from_another_host():
    facts, _ = _run(_lab())
    lil = next(p for p in facts.plans if p.route.name == "lil-jerry")
    assert lil.api_base == "http://localhost:9000/v1" and lil.direct_base == f"http://{MINI}:9000/v1"
    assert facts.proxy_base == f"{PROXY}/v1"


def test_every_request_is_evidence_and_no_key_reaches_it():
    lab = _lab()
    facts, findings = _run(lab)
    records = facts.http.records
    assert sorted(r.command for r in records) == sorted(lab.seen)
    text = "\n".join(r.render(AS_IS) for r in records)
    assert WEBUI_KEY not in text and "authorization" not in text.lower()
    assert "x-litellm-model-api-base: http://localhost:9000/v1" in text


def test_a_route_pointed_at_another_backend_is_a_misroute():
    lab = _lab()
    lab.routes["jerry-test"] = f"http://{STUDIO}:8103/v1"
    _, findings = _run(lab)
    assert _not(findings) == {"mlx-servers::contract:jerry-test:backend"}
    assert "proxy misroutes: LiteLLM called http://10.213.0.3:8103/v1" in findings[
        "mlx-servers::contract:jerry-test:backend"].message


def test_a_backend_of_another_kind_at_the_documented_address_is_caught_by_its_fingerprint():
    lab = _lab()
    lab.backends[(MINI, 9000)] = Backend("mlx", "some-model")  # an MLX server where ov-llm-server should answer
    _, findings = _run(lab)
    assert "ov-server::contract:lil-jerry:backend" in _not(findings)
    message = findings["ov-server::contract:lil-jerry:backend"].message
    assert "proxy misroutes" in message and "is not ov-llm-server's" in message


def test_an_optional_route_whose_backend_is_down_is_not_applicable():
    lab = _lab()
    lab.backends[(STUDIO, 8103)].mode = "down"
    _, findings = _run(lab)
    weak = route_checks("jerry-weak")
    assert _not(findings) == weak
    assert all(findings[i].status is Status.NOT_APPLICABLE for i in weak)
    assert "documented optional" in findings["mlx-servers::contract:jerry-weak:chat"].message


def test_an_optional_route_answered_from_another_backend_while_its_own_is_down_fails_backend():
    """Down and optional is not applicable only while nothing answers: LiteLLM answering jerry-weak from the
    MLX server of 8109 (a misroute, or a fallback) is judged, and `backend` fails."""
    lab = _lab()
    lab.backends[(STUDIO, 8103)].mode = "down"
    lab.routes["jerry-weak"] = f"http://{STUDIO}:8109/v1"
    _, findings = _run(lab)
    weak = "mlx-servers::contract:jerry-weak"
    assert _not(findings) == {f"{weak}:direct", f"{weak}:backend"}, {i: findings[i].message for i in _not(findings)}
    assert findings[f"{weak}:direct"].status is Status.NOT_APPLICABLE
    assert findings[f"{weak}:backend"].status is Status.FAILED
    assert findings[f"{weak}:backend"].found == (
        "proxy misroutes: LiteLLM called http://10.213.0.3:8109/v1 while the documented backend is down "
        "(a fallback or a misroute answered)")
    # the answers themselves were well-formed: chat and stream say so, and are not hidden as not applicable
    assert findings[f"{weak}:chat"].status is Status.PASSED and findings[f"{weak}:stream"].status is Status.PASSED


def _checks_in_a_thread(lab: FakeLab, seconds: float, **kw):
    """_run in a thread given `seconds`: (elapsed, facts, findings), or None for each when it did not return."""
    got = {}
    worker = threading.Thread(target=lambda: got.update(zip(("facts", "findings"), _run(lab, **kw))), daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    return time.monotonic() - started, got.get("facts"), got.get("findings")


def test_a_route_that_overruns_its_budget_fails_alone_and_the_gather_ends_by_its_bound():
    lab = _lab()
    lab.backends[(STUDIO, 8101)].mode = "stall"  # jerry-editor's chat never returns
    bound = 3 * 0.2 + 6 * 0.2 + 4.0  # the proxy's 3 requests, then the slowest route's 6, and the grace
    try:
        seconds, facts, findings = _checks_in_a_thread(lab, bound + 5, deadline=0.2)
    finally:
        lab.released.set()
    print(f"\na stalled route: the checks ended after {seconds:.2f} s (bound {bound:.1f} s)")
    assert findings is not None, f"the contract's checks did not end within {bound + 5:.1f} s"
    assert seconds < bound + 2 and facts.bound() == pytest.approx(bound)
    editor = route_checks("jerry-editor")
    assert _not(findings) == editor, {i: findings[i].message for i in _not(findings) - editor}
    assert all(findings[i].status is Status.FAILED and findings[i].found == (
        "route unfinished: did not finish within its budget of 1.2 s (6 requests of at most 0.2 s)") for i in editor)


def test_a_routes_thread_failing_is_that_routes_failure_and_no_other_checks_error(monkeypatch):
    real = ContractFacts._ask_route

    def ask(self, progress):
        plan = progress.plan if hasattr(progress, "plan") else progress  # the base commit passed the plan
        if plan.route.name == "jerry-test":
            raise RuntimeError("a bug in the suite")
        return real(self, progress)

    monkeypatch.setattr(ContractFacts, "_ask_route", ask)
    _, findings = _run(_lab())
    test = route_checks("jerry-test")
    assert _not(findings) == test, {i: findings[i].message for i in _not(findings) - test}
    assert all(findings[i].found == "route unfinished: its requests stopped on an error of the suite "
                                    "(RuntimeError: a bug in the suite)" for i in test)


class Interrupted(BaseException):
    """pytest-timeout's signal method (and Ctrl-C) raise in the middle of whatever runs."""


def test_an_interrupted_gather_gives_every_check_an_answer_not_a_key_error(monkeypatch):
    lab = _lab()
    inventory = real_inventory()
    facts = ContractFacts(inventory, SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory)),
                          "studio", HttpProbe(transport=httpx2.MockTransport(lab)),
                          host_facts=lambda host: FakeMini(WEBUI_ENV))
    monkeypatch.setattr(facts, "_ask_proxy", lambda: (_ for _ in ()).throw(Interrupted("Timeout >300.0s")))
    with pytest.raises(Interrupted):
        facts.gather()
    findings = {c.id: evaluate(c, facts) for c in contract_checks(inventory)}
    assert not [f.message for f in findings.values() if f.status is Status.ERROR]
    weak = findings["mlx-servers::contract:jerry-weak:chat"]
    assert weak.status is Status.FAILED and weak.found == (
        "route unfinished: the contract's requests were interrupted (Interrupted: Timeout >300.0s)")


def test_a_route_documented_up_whose_backend_is_down_fails_naming_the_backend():
    lab = _lab()
    lab.backends[(MINI, 9000)].mode = "down"
    _, findings = _run(lab)
    lil = route_checks("lil-jerry")
    assert _not(findings) == lil and all(findings[i].status is Status.FAILED for i in lil)
    assert all("backend down" in findings[i].message for i in lil)


def test_the_proxy_down_fails_every_proxy_check_and_names_the_proxy():
    _, findings = _run(_lab(proxy_up=False))
    direct = {i for i in findings if i.endswith(":direct")}
    assert _not(findings) == set(findings) - direct
    assert all("proxy down" in findings[i].message for i in _not(findings)), \
        [findings[i].message for i in _not(findings) if "proxy down" not in findings[i].message]


def test_a_health_answer_is_judged_as_the_backends_kind_documents_it_not_by_its_status_alone():
    """200 is not healthy by itself: mlx-openai-server's healthy /health says status ok (contract.apis); a server that
    answers any path 200 (LM Studio does) on its port fails :direct, naming the health answer."""
    lab = _lab()
    lab.backends[(STUDIO, 8100)].mode = "any-path-200"
    _, findings = _run(lab)
    assert _not(findings) == {"mlx-servers::contract:jerry-chat:direct"}
    assert findings["mlx-servers::contract:jerry-chat:direct"].found == (
        f"backend unhealthy: GET http://{STUDIO}:8100/health: 200, status=None, not 200, status='ok' "
        "(mlx-openai-server's healthy answer)")


def test_a_malformed_backend_is_named():
    lab = _lab()
    lab.backends[(STUDIO, 8100)].mode = "malformed"
    _, findings = _run(lab)
    chat = route_checks("jerry-chat")
    assert _not(findings) == chat
    assert "backend malformed" in findings["mlx-servers::contract:jerry-chat:direct"].message
    assert "backend malformed" in findings["mlx-servers::contract:jerry-chat:chat"].message


def test_a_stream_that_never_ends_is_cut_at_its_deadline():
    lab = _lab()
    lab.backends[(STUDIO, 8102)].mode = "endless"
    started = time.monotonic()
    _, findings = _run(lab, deadline=0.5)
    assert time.monotonic() - started < 5
    assert _not(findings) == {"mlx-servers::contract:jerry-architect:direct", "mlx-servers::contract:jerry-architect:stream"}
    assert "still coming after the deadline of 0.5 s" in findings["mlx-servers::contract:jerry-architect:stream"].message


def test_a_backend_that_rejects_the_key_is_named():
    lab = _lab()
    lab.backends[(STUDIO, 8109)].mode = "reject-key"
    _, findings = _run(lab)
    assert "backend refuses access" in findings["mlx-servers::contract:jerry-test:direct"].message
    assert "backend refuses access" in findings["mlx-servers::contract:jerry-test:chat"].message


def test_an_id_not_of_the_backends_shape_fails_direct():
    lab = _lab()
    lab.backends[(STUDIO, 8100)].mode = "bad-id"
    _, findings = _run(lab)
    assert "mlx-servers::contract:jerry-chat:direct" in _not(findings)
    assert "is not mlx-openai-server's" in findings["mlx-servers::contract:jerry-chat:direct"].message


def test_a_route_missing_from_the_proxy():
    lab = _lab()
    del lab.routes["jerry-test"]
    _, findings = _run(lab)
    assert _not(findings) == {"litellm-orch::contract:models", "open-webui::contract:models",
                              *route_checks("jerry-test", "chat", "stream", "backend")}
    assert findings["litellm-orch::contract:models"].missing == ("jerry-test",)
    assert "proxy fails the route" in findings["mlx-servers::contract:jerry-test:chat"].message


def test_an_undocumented_master_key_is_named():
    _, findings = _run(_lab(master_key="sk-planted-master-0001"))
    assert "an undocumented master key is enabled" in findings["litellm-orch::contract:master-key"].message
    assert "proxy refuses access" in findings["mlx-servers::contract:jerry-chat:chat"].message
    assert "proxy refuses access" in findings["litellm-orch::contract:models"].message


def test_a_documented_master_key_is_read_from_the_environment_only():
    inventory = real_inventory()
    key = inventory.litellm.master_key.model_copy(update={"enabled": True})
    inventory = inventory.model_copy(update={"litellm": inventory.litellm.model_copy(update={"master_key": key})})
    lab = _lab(master_key="sk-documented-master-0042")
    _, without_env = _run(lab, inventory=inventory)
    assert without_env["litellm-orch::contract:master-key"].status is Status.CANNOT_VERIFY
    assert "LLM_LAB_LITELLM_KEY" in without_env["litellm-orch::contract:master-key"].message
    facts, findings = _run(lab, inventory=inventory, env={"LLM_LAB_LITELLM_KEY": "sk-documented-master-0042"})
    assert findings["litellm-orch::contract:master-key"].status is Status.PASSED
    assert findings["litellm-orch::contract:master-key"].found == "401 when no key is sent; answered when the master key is sent"
    assert findings["mlx-servers::contract:jerry-chat:chat"].status is Status.PASSED
    assert "sk-documented-master-0042" not in "\n".join(r.render(AS_IS) for r in facts.http.records)


def test_open_webui_path_uses_its_own_base_url_and_key():
    lab = _lab(master_key=WEBUI_KEY)  # only Open WebUI's key opens the proxy
    _, findings = _run(lab)
    assert findings["open-webui::contract:models"].status is Status.PASSED
    _, findings = _run(_lab(), webui_env="OPENAI_API_BASE_URL=http://127.0.0.1:4001/v1\n")
    assert findings["open-webui::contract:models"].status is Status.FAILED
    _, findings = _run(_lab(), webui_env=None)
    assert findings["open-webui::contract:models"].status is Status.CANNOT_VERIFY


def test_open_webuis_key_goes_only_to_a_documented_address():
    lab = _lab()
    _, findings = _run(lab, webui_env=f"OPENAI_API_BASE_URL=http://10.213.0.9:4000/v1\nOPENAI_API_KEY={WEBUI_KEY}\n")
    assert [r for r in lab.seen if "10.213.0.9" in r] == []  # nothing, let alone the key, went there
    finding = findings["open-webui::contract:models"]
    assert finding.status is Status.FAILED
    assert finding.found == ("/etc/open-webui/env sets OPENAI_API_BASE_URL=http://10.213.0.9:4000/v1, not a documented "
                             "address of the proxy (http://127.0.0.1:4000/v1 or http://10.213.0.2:4000/v1): Open "
                             "WebUI's key was not sent there")
    # the proxy's documented address, as the site renders it, is documented too
    lab = _lab(master_key=WEBUI_KEY)
    _, findings = _run(lab, webui_env=f"OPENAI_API_BASE_URL={PROXY}/v1/\nOPENAI_API_KEY={WEBUI_KEY}\n")
    assert findings["open-webui::contract:models"].status is Status.PASSED


def test_the_unknown_model_must_be_refused():
    lab = _lab()
    lab.routes["conformance-no-such-route"] = f"http://{STUDIO}:8100/v1"
    _, findings = _run(lab)
    assert findings["litellm-orch::contract:unknown-model"].status is Status.FAILED


@pytest.mark.parametrize("api", ["ov-llm-server", "mlx-openai-server"])
def test_the_id_shapes_in_the_inventory_match_the_backends_as_documented(api):
    shapes = real_inventory().api(api).ids
    examples = {"ov-llm-server": ("chatcmpl-0", "chatcmpl-stream"),
                "mlx-openai-server": (f"chatcmpl_{uuid.uuid4().hex}",) * 2}[api]
    assert re.fullmatch(shapes.chat, examples[0]) and re.fullmatch(shapes.stream, examples[1])
    assert not re.fullmatch(shapes.chat, "chatcmpl-abc123")


def test_no_layer_name_is_taken_for_a_secret_by_the_redactor():
    """A message is `<layer>: <what failed>`; a layer ending in a secret's name (`... the key: POST`) would have
    the redactor swallow the next word."""
    from conformance.checks.contract import Layer
    from conformance.redaction import Redactor
    redact = Redactor(enabled=True)
    for layer in Layer:
        text = f"{layer.value}: POST http://10.213.0.2:4000/v1/chat/completions: nothing to fingerprint"
        assert redact(text) == text


def test_a_route_in_litellm_cooldown_says_so():
    lab = _lab()
    lab.cooling.add("jerry-chat")
    _, findings = _run(lab)
    assert _not(findings) == route_checks("jerry-chat", "chat", "stream", "backend")
    assert "cooled this route down after an earlier failure" in findings["mlx-servers::contract:jerry-chat:chat"].message


def test_every_request_of_a_contract_run_is_a_model_list_a_health_check_or_a_small_chat():
    """The request policy: nothing else is sent (LiteLLM's /health, which calls every model, never)."""
    lab = _lab()
    _run(lab)
    allowed = re.compile(r"^(GET http://[^/]+(/v1/models|/health/readiness|/health)|POST http://[^/]+/v1/chat/completions)$")
    assert lab.seen and [r for r in lab.seen if not allowed.match(r)] == []
    assert not [r for r in lab.seen if r.endswith(":4000/health")]


def test_an_answer_past_the_size_limit_is_an_error_not_read_to_its_end():
    from conformance.facts import http as http_facts

    class Huge(httpx2.SyncByteStream):
        def __iter__(self):
            while True:  # would never end; the limit ends it
                yield b"x" * 65536

    probe = HttpProbe(transport=httpx2.MockTransport(lambda r: httpx2.Response(200, stream=Huge())))
    with pytest.raises(http_facts.AnswerTooLarge, match="larger than 4 MiB"):  # what the openai client meets
        probe.client(5).post(f"http://{MINI}:9000/v1/chat/completions", json={"model": "m"})
    assert "larger than 4 MiB" in probe.records[-1].stderr
    # a GET probe keeps only the first 64 KiB of an answer, and stops reading there
    assert len(probe.fetch(f"http://{MINI}:9000/health", 5).body) == http_facts.MAX_BODY_BYTES


# --- replay: the contract's answers recorded, then served again with no lab -----------------------------------

def _replay(recorded: FakeLab, inventory=None, deadline=None, env=None):
    from conformance.redaction import Redactor
    from conformance.replay import Recorder
    from conformance.replay.http import ReplayTransport

    night, night_findings = _run(recorded, inventory, deadline, env)
    recorder = Recorder(Redactor())
    exchanges = [recorder.http(e) for e in night.http.transport.exchanges]
    inventory = inventory or real_inventory()
    site = SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory))
    facts = ContractFacts(inventory, site, "studio", HttpProbe(transport=ReplayTransport(exchanges)), deadline=deadline,
                          host_facts=lambda host: FakeMini(WEBUI_ENV), environ=env or {})
    return night_findings, {c.id: evaluate(c, facts) for c in contract_checks(inventory)}, exchanges


@pytest.mark.parametrize("lab", [
    _lab(), _lab(routes={**_lab().routes, "jerry-test": f"http://{STUDIO}:8103/v1"}),
    _lab(proxy_up=False), _lab(backends={**_lab().backends, (STUDIO, 8100): Backend("mlx", "m", mode="malformed")}),
    _lab(backends={**_lab().backends, (STUDIO, 8102): Backend("mlx", "m", mode="endless")}),
], ids=["green", "misroute", "proxy-down", "malformed", "endless-stream"])
def test_a_replay_of_the_contract_judges_every_check_as_the_night_did(lab):
    night, replayed, _ = _replay(lab, deadline=1.0)
    assert {i: f.status for i, f in replayed.items()} == {i: f.status for i, f in night.items()}
    assert {i: f.found for i, f in replayed.items() if f.status is Status.FAILED} == \
        {i: f.found for i, f in night.items() if f.status is Status.FAILED}


def test_a_replay_missing_an_answer_cannot_verify_its_checks():
    _, _, exchanges = _replay(_lab())
    from conformance.replay.http import ReplayTransport

    inventory = real_inventory()
    site = SiteAddresses(inventory, load_site(ROOT / "lab" / "site-twin.yaml", inventory))
    kept = [e for e in exchanges if ":8101/" not in e["url"] and "jerry-editor" not in e["request"]]
    facts = ContractFacts(inventory, site, "studio", HttpProbe(transport=ReplayTransport(kept)),
                          host_facts=lambda host: FakeMini(WEBUI_ENV), environ={})
    findings = {c.id: evaluate(c, facts) for c in contract_checks(inventory)}
    unverified = {i for i, f in findings.items() if f.status is Status.CANNOT_VERIFY}
    assert unverified == route_checks("jerry-editor")
    assert all("not in the recording" in findings[i].found for i in unverified)
    assert not _not(findings) - unverified
