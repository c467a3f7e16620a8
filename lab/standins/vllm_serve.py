#!/usr/bin/python3
"""`vllm` stand-in (twin, studio): `vllm serve <model> --served-model-name X --host H --port P ...`, one MLX lane.

The owner's lanes run vLLM's OpenAI server on vllm-metal (bebopbabailey/homelab-llm@1b54b73
platform/ops/scripts/mlxctl:1635-1745 compiles `<vllm_bin> serve <cache path> --served-model-name <id> --host
<bind> --port <port> --max-model-len N [...]`). vllm-metal keeps vLLM's HTTP layer, at the vLLM version it bundles
(the owner's journals: 0.14.1, later 0.19.0; canon pins none). The answers below follow the vllm 0.34.0 wheel's
entrypoints (paths under vllm/entrypoints/); where versions differ, the id length does (0.34: 16 hex; older: 32).

- `GET /health` (serve/instrumentator/health.py:22-33): 200 with an empty body; 503, empty, when the engine is
  dead. `GET|POST /ping` answers the same (SageMaker's alias, serve/sagemaker/api_router.py). `GET /version`
  (serve/instrumentator/basic.py:53-56): `{"version":"<vllm version>"}`.
- `GET /v1/models` (openai/models/api_router.py:20-25, openai/models/serving.py:64-77, serve/engine/protocol.py
  90-118): `{"object":"list","data":[{"id":<served name>,"object":"model","created":<now>,"owned_by":"vllm",
  "root":<model path>,"parent":null,"max_model_len":N,"permission":[{"id":"modelperm-<16 hex>","object":
  "model_permission","created":<now>,"allow_create_engine":false,"allow_sampling":true,"allow_logprobs":true,
  "allow_search_indices":false,"allow_view":true,"allow_fine_tuning":false,"organization":"*","group":null,
  "is_blocking":false}]}]}`; one card per served name (a second `--served-model-name` is an alias).
- `POST /v1/chat/completions` (openai/chat_completion/api_router.py:55-86, serving.py, protocol.py):
  the id is `chatcmpl-` + the request's `X-Request-Id` header, else 16 hex (serve/engine/serving.py:133-142,
  vllm/utils random_uuid). The answer is `ChatCompletionResponse.model_dump()` (protocol.py:145-167), every field
  included: `{"id","object":"chat.completion","created","model":<first served name>,"choices":[{"index":0,
  "message":{"role":"assistant","content","refusal":null,"audio":null,"function_call":null,"reasoning":null},
  "logprobs":null,"finish_reason","stop_reason":null,"token_ids":null,"routed_experts":null,"weight_versions":
  null}],"service_tier":null,"system_fingerprint":null,"usage":{"prompt_tokens","total_tokens",
  "completion_tokens","completion_tokens_details":null},"prompt_logprobs":null,"prompt_token_ids":null,
  "prompt_text":null,"kv_transfer_params":null,"ec_transfer_params":null,"metrics":null}` (`annotations` and
  `prompt_tokens_details` are left out when None, `tool_calls` when empty: protocol.py:76-95, engine
  protocol.py:135-142). A model the server does not serve: 404 `{"error":{"message":"The model `X` does not
  exist. Valid aliases: <names>.","type":"NotFoundError","param":"model","code":404}}` (serve/engine/serving.py
  74-83); no model named: the served one answers. A body that does not validate: 400 BadRequestError (its
  message is the twin's summary, not pydantic's text).
- A stream (serving.py:480-508, 580-700, 790-925; chunks are `model_dump_json(exclude_unset=True,
  exclude_none=not choices)`): `content-type: text/event-stream; charset=utf-8`, `data: <json>\\n\\n` events:
  the role chunk `{"id","object":"chat.completion.chunk","created","model","choices":[{"index":0,"delta":
  {"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"prompt_token_ids":null,
  "prompt_text":null}`; one chunk per token `{...,"choices":[{"index":0,"delta":{"content":<piece>},"logprobs":
  null,"finish_reason":null,"token_ids":null}],"kv_transfer_params":null}`; the finishing chunk, delta
  `{"content":""}` with `finish_reason`, `stop_reason`, `token_ids`, `weight_versions` (the twin sends the last
  piece before it: vLLM sends it with the finish); then, only with `stream_options.include_usage`
  (serve/utils/api_utils.py:273-285), `{...,"choices":[],"usage":{"prompt_tokens","total_tokens",
  "completion_tokens"}}`; then `data: [DONE]`.
- `--api-key K` (or env VLLM_API_KEY; the option wins, serve/middleware/register.py:32-36) guards paths starting
  `/v1`, `/v2`, `/inference`, `/cohere`, OPTIONS excepted: anything but `Authorization: Bearer K` is 401
  `{"error":"Unauthorized"}` (serve/middleware/authenticate.py:11-62), before routing, so an unknown `/v1/x` is
  401 too. Elsewhere an unknown path is FastAPI's 404 `{"detail":"Not Found"}`, a wrong method 405.
- Every answer has uvicorn's `date` and `server: uvicorn` first. The log is vLLM's on stdout: `(APIServer pid=N)
  INFO MM-DD HH:MM:SS [api_server.py:1945] Starting vLLM API server 0 on http://H:P`, uvicorn's `Started server
  process`, `Waiting for application startup.`, `Application startup complete.` and one access line per request
  `(APIServer pid=N) INFO:     <ip>:<port> - "POST /v1/chat/completions HTTP/1.1" 200 OK` (a vLLM log of
  2025-12 quoted in ROCm documentation, code-index file 62122712870; the format: vllm/logger.py _FORMAT).
- A model path that is absolute and does not exist: the server never listens, logs an error and exits 1 (vLLM
  cannot load it; the exit status is what the owner's baseline shows for crash-looping lanes: `last exit code =
  1`, STUDIO_BASELINE S2). The words of the error line are the twin's.

What the stand-in generates: words seeded by the prompt (lab/standins/twinhttp.py), one word one token; without a
limit 12-39 words; `max_tokens` (or `max_completion_tokens`) cuts it, `finish_reason` then `length`.

Twin-only controls, read on every request (env variables, like the MLX stand-in's):
- VLLM_TWIN_RECORD: one JSON line per chat request (request_id, backend "vllm", port, model asked and answered,
  stream, max_tokens, status, fault, headers x-litellm-call-id / user-agent, timings, completion_tokens).
- VLLM_TWIN_FAULT_FILE: one word; `engine-dead`: /health and /ping 503, chat 500 `{"error":{"message":"The server
  had an error while processing your request.","type":"InternalServerError","param":null,"code":500}}` (the
  EngineDeadError path: serve/exception_handling/error_response.py:68-72, v1/engine/exceptions.py:22);
  `crash-at-start`: read once at start, the server logs an error and exits 1 without listening (a lane that
  crash-loops under launchd's KeepAlive); `hang`: a chat request is read and never answered (until the client leaves or the fault is reverted).
- VLLM_TWIN_DELAY_FILE: seconds waited before each chat answer.
"""
from __future__ import annotations

import argparse
import json
import os
import select
import socket
import sys
import time
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhttp  # noqa: E402  (next to this file)

VERSION = "0.19.0"  # the vLLM the owner's journal records under vllm-metal (docs/journal/2026-04-15-...:12)
GUARDED_PREFIX = ("/v1", "/v2", "/inference", "/cohere")
ROUTES = {"/health": ("GET",), "/ping": ("GET", "POST"), "/version": ("GET",), "/v1/models": ("GET",),
          "/v1/chat/completions": ("POST",), "/v1/completions": ("POST",), "/v1/responses": ("POST",),
          "/v1/embeddings": ("POST",), "/tokenize": ("POST",), "/detokenize": ("POST",), "/metrics": ("GET",)}
ENGINE_DEAD = {"error": {"message": "The server had an error while processing your request.",
                         "type": "InternalServerError", "param": None, "code": 500}}


def random_hex() -> str:
    return f"{uuid.uuid4().int & ((1 << 64) - 1):016x}"  # vllm/utils random_uuid(): 16 hex characters


def log(message: str, level: str = "INFO", where: str = "api_server.py:1945") -> None:
    stamp = time.strftime("%m-%d %H:%M:%S")
    print(f"(APIServer pid={os.getpid()}) {level} {stamp} [{where}] {message}", flush=True)


def uvicorn_log(message: str) -> None:
    print(f"(APIServer pid={os.getpid()}) INFO:     {message}", flush=True)


def model_card(name: str, root: str, max_model_len: int | None, created: int) -> dict:
    return {"id": name, "object": "model", "created": created, "owned_by": "vllm", "root": root, "parent": None,
            "max_model_len": max_model_len,
            "permission": [{"id": f"modelperm-{random_hex()}", "object": "model_permission", "created": created,
                            "allow_create_engine": False, "allow_sampling": True, "allow_logprobs": True,
                            "allow_search_indices": False, "allow_view": True, "allow_fine_tuning": False,
                            "organization": "*", "group": None, "is_blocking": False}]}


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + completion_tokens,
            "completion_tokens": completion_tokens}


def completion(answer_id: str, model: str, text: str, finish: str, prompt_tokens: int, tokens: int) -> dict:
    choice = {"index": 0, "message": {"role": "assistant", "content": text, "refusal": None, "audio": None,
                                      "function_call": None, "reasoning": None},
              "logprobs": None, "finish_reason": finish, "stop_reason": None, "token_ids": None,
              "routed_experts": None, "weight_versions": None}
    return {"id": answer_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [choice], "service_tier": None, "system_fingerprint": None,
            "usage": {**usage(prompt_tokens, tokens), "completion_tokens_details": None},
            "prompt_logprobs": None, "prompt_token_ids": None, "prompt_text": None, "kv_transfer_params": None,
            "ec_transfer_params": None, "metrics": None}


class Invalid(Exception):
    pass


def validate(raw: bytes) -> dict:
    """The few checks the twin makes of a ChatCompletionRequest (protocol.py), each a 400 BadRequestError."""
    try:
        body = json.loads(raw or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise Invalid(f"JSON decode error: {e}") from e
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    if not isinstance(body.get("messages"), list):
        raise Invalid("messages: Field required" if "messages" not in body else "messages: Input should be a list")
    for key in ("max_tokens", "max_completion_tokens"):
        value = body.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise Invalid(f"{key}: Input should be a valid integer")
    return body


def make_handler(args, names: list[str], created: int, record: twinhttp.Record):
    fault_file, delay_file = os.environ.get("VLLM_TWIN_FAULT_FILE"), os.environ.get("VLLM_TWIN_DELAY_FILE")
    api_keys = [k for k in (args.api_key or [os.environ.get("VLLM_API_KEY")]) if k]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes = b"") -> None:
            twinhttp.respond(self, status, [("date", twinhttp.http_date()), ("server", "uvicorn"), *headers], body)

        def _json(self, status: int, obj, extra: list[tuple[str, str]] = ()) -> None:
            body = twinhttp.compact(obj)
            self._send(status, [("content-length", str(len(body))), ("content-type", "application/json"), *extra],
                       body)

        def _route(self) -> None:
            started = time.time()
            path = self.path.split("?", 1)[0]
            raw = twinhttp.read_body(self)
            fault = twinhttp.read_word(fault_file)
            if api_keys and self.command != "OPTIONS" and path.startswith(GUARDED_PREFIX) and not self._authorized():
                if path == "/v1/chat/completions":
                    record({**self._entry(started, None), "status": 401, "fault": fault})
                return self._json(401, {"error": "Unauthorized"})
            if path not in ROUTES:
                return self._json(404, {"detail": "Not Found"})
            if self.command not in ROUTES[path]:
                return self._json(405, {"detail": "Method Not Allowed"}, [("allow", ", ".join(ROUTES[path]))])
            if path in ("/health", "/ping"):
                return self._send(503 if fault == "engine-dead" else 200, [("content-length", "0")])
            if path == "/version":
                return self._json(200, {"version": VERSION})
            if path == "/v1/models":
                return self._json(200, {"object": "list", "data": [
                    model_card(name, args.model, args.max_model_len, created) for name in names]})
            if path == "/v1/chat/completions":
                return self._chat(raw, fault, started)
            self._json(501, {"error": {"message": f"twin stand-in of vllm serve: {self.command} {path} is not "
                                                  "implemented", "type": "NotImplementedError", "param": None,
                                       "code": 501}})

        def _authorized(self) -> bool:
            scheme, _, token = (self.headers.get("authorization") or "").partition(" ")
            return scheme.lower() == "bearer" and token in api_keys

        def _entry(self, started: float, body: dict | None) -> dict:
            return {"request_id": None, "backend": "vllm", "port": args.port, "pid": os.getpid(),
                    "client": self.client_address[0], "model_asked": (body or {}).get("model"), "model": None,
                    "stream": bool((body or {}).get("stream")), "max_tokens": (body or {}).get("max_tokens"),
                    "headers": {h: self.headers[h] for h in ("x-litellm-call-id", "user-agent") if h in self.headers},
                    "status": None, "fault": None, "started": round(started, 3), "completion_tokens": 0}

        def _chat(self, raw: bytes, fault: str | None, started: float) -> None:
            try:
                body = validate(raw)
            except Invalid as e:
                record({**self._entry(started, None), "status": 400})
                return self._json(400, {"error": {"message": str(e), "type": "BadRequestError", "param": None,
                                                  "code": 400}})
            entry = {**self._entry(started, body), "fault": fault}
            asked = body.get("model")
            if asked and asked not in names:
                record({**entry, "status": 404})
                return self._json(404, {"error": {
                    "message": f"The model `{asked}` does not exist. Valid aliases: {', '.join(names)}.",
                    "type": "NotFoundError", "param": "model", "code": 404}})
            if fault == "engine-dead":
                record({**entry, "status": 500})
                return self._json(500, ENGINE_DEAD)
            if fault == "hang":
                self._hold()
                return record(entry)
            answer_id = "chatcmpl-" + (self.headers.get("x-request-id") or random_hex())
            limit = body.get("max_tokens", body.get("max_completion_tokens"))
            prompt = twinhttp.message_text(body["messages"])
            natural = twinhttp.answer_words(prompt, None)
            pieces = natural[:limit] if isinstance(limit, int) and limit >= 0 else natural
            finish = "length" if len(pieces) < len(natural) else "stop"
            delay = twinhttp.read_seconds(delay_file)
            if delay:
                time.sleep(delay)
            entry.update(request_id=answer_id, model=names[0])
            try:
                if body.get("stream"):
                    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                    self._stream(answer_id, names[0], pieces, finish, twinhttp.token_count(prompt), include_usage)
                else:
                    self._json(200, completion(answer_id, names[0], "".join(pieces), finish,
                                               twinhttp.token_count(prompt), len(pieces)))
            except twinhttp.ClientGone:
                self.close_connection = True
            record({**entry, "status": 200, "completion_tokens": len(pieces)})

        def _stream(self, answer_id: str, model: str, pieces: list[str], finish: str, prompt_tokens: int,
                    include_usage: bool) -> None:
            self._send(200, [("content-type", "text/event-stream; charset=utf-8"), ("transfer-encoding", "chunked")])
            out = twinhttp.Chunked(self)
            head = {"id": answer_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}

            def event(obj: dict) -> None:
                out.write(b"data: " + twinhttp.compact(obj) + b"\n\n")
            event({**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
                                        "finish_reason": None}], "prompt_token_ids": None, "prompt_text": None})
            for piece in pieces:
                event({**head, "choices": [{"index": 0, "delta": {"content": piece}, "logprobs": None,
                                            "finish_reason": None, "token_ids": None}], "kv_transfer_params": None})
            event({**head, "choices": [{"index": 0, "delta": {"content": ""}, "logprobs": None,
                                        "finish_reason": finish, "stop_reason": None, "token_ids": None,
                                        "weight_versions": None}], "kv_transfer_params": None})
            if include_usage:
                event({**head, "choices": [], "usage": usage(prompt_tokens, len(pieces))})
            out.write(b"data: [DONE]\n\n")
            out.end()

        def _hold(self) -> None:
            """Twin fault `hang`: answer nothing; return once the client has closed the connection, or the fault
            is reverted (LiteLLM upstream of a gone caller never closes it, and would hold its own stop)."""
            self.close_connection = True
            while twinhttp.read_word(fault_file) == "hang":
                readable, _, _ = select.select([self.connection], [], [], 0.5)
                if readable:
                    try:
                        if not self.connection.recv(1, socket.MSG_PEEK):
                            return
                    except OSError:
                        return
                    time.sleep(0.5)

        def do_GET(self):
            self._route()

        def do_POST(self):
            self._route()

        def do_OPTIONS(self):
            self._route()

        def log_message(self, fmt, *args):
            code = args[1] if len(args) > 1 else ""
            try:
                phrase = HTTPStatus(int(code)).phrase
            except ValueError:
                phrase = ""
            host, port = self.client_address[:2]
            uvicorn_log(f'{host}:{port} - "{self.requestline}" {code} {phrase}'.rstrip())

    return Handler


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="vllm")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("model_tag", nargs="?")
    s.add_argument("--model")
    s.add_argument("--served-model-name", nargs="+")
    s.add_argument("--host", default=None)
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--max-model-len", type=int)
    s.add_argument("--api-key", action="append")
    s.add_argument("--generation-config")
    s.add_argument("--trust-remote-code", action="store_true")
    s.add_argument("--chat-template")
    s.add_argument("--default-chat-template-kwargs")
    s.add_argument("--async-scheduling", action=argparse.BooleanOptionalAction)
    s.add_argument("--enable-auto-tool-choice", action="store_true")
    s.add_argument("--tool-call-parser")
    s.add_argument("--reasoning-parser")
    s.add_argument("--enable-force-include-usage", action="store_true")
    s.add_argument("--enable-request-id-headers", action="store_true")
    args = p.parse_args(argv)
    args.model = args.model_tag or args.model
    if not args.model:
        p.error("the model is required (vllm serve <model>)")
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    names = args.served_model_name or [args.model]
    if twinhttp.read_word(os.environ.get("VLLM_TWIN_FAULT_FILE")) == "crash-at-start":
        log("twin fault crash-at-start: the engine failed to start", "ERROR", "core.py:708")
        return 1
    if args.model.startswith("/") and not os.path.exists(args.model):
        log(f"no model at {args.model}: the engine cannot load it", "ERROR", "core.py:708")
        return 1
    host = args.host or "0.0.0.0"
    record = twinhttp.Record(os.environ.get("VLLM_TWIN_RECORD"), lambda m: log(m, "WARNING"))
    server = twinhttp.Server((host, args.port), make_handler(args, names, int(time.time()), record))
    log(f"Starting vLLM API server 0 on http://{host}:{args.port}")
    uvicorn_log(f"Started server process [{os.getpid()}]")
    uvicorn_log("Waiting for application startup.")
    uvicorn_log("Application startup complete.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
