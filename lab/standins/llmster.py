#!/usr/bin/python3
"""`llmster` stand-in (twin, studio): LM Studio's headless daemon and the HTTP server it runs (`lms server start`).

LM Studio is closed source; every answer below names the public capture or document it follows. The `lms` CLI
stand-in (lms.py, next to this file) starts this program as the daemon (`llmster.py daemon`, in a session of its
own, so it outlives the launchd job that ran `lms daemon up`, as the real daemon does: the owner saw the job
`not running` while llmster listened, docs/v2/inventory/STUDIO_BASELINE.md:92,139-140). The
daemon holds nothing but a socket: what it serves comes from the STATE FILE, read on every request.

The state file (env LLMSTER_TWIN_STATE, default /var/lib/llmster-twin/state.json; written atomically, under
`<file>.lock`, by the daemon, `lms` and the twin's tooling):
    {"version": "0.0.7-4",                 # llmster's version (the owner's bundle directory: a twin's choice)
     "daemon": {"pid": 123, "started": <epoch>} | null,
     "server": {"running": true, "bind": "10.213.0.3", "port": 8126, "cors": false,
                "listening": ["10.213.0.3", 8126] | null, "error": null | "<why the bind failed>"},
     "auth": {"required": true, "tokens": ["sk-lm-XXXXXXXX:YYYYYYYYYYYYYYYYYYYY"]},
     "jit": false,                          # Just-In-Time loading (the owner: LLMSTER_DISABLE_JIT=true)
     "catalog": {<model key>: {...the downloaded model, as GET /api/v1/models lists it}},
     "loaded": [{"identifier": ..., "model_key": ..., "config": {context_length, eval_batch_size, parallel,
                 flash_attention, num_experts, offload_kv_cache_to_gpu}, "ttl": null, "loaded_at": <epoch>}]}
A daemon that starts forgets what was loaded and stops serving (models and the server live in its memory), so
`lms load` and `lms server start` must run again, as the owner's wrapper does after a reboot. Twin tooling
plants drifts by editing the file: drop an identifier from `loaded` (a model unloaded), change `tokens` (the
key), set `auth.required`.

HTTP, as LM Studio answers (Express: lmstudio-bug-tracker #618 (0.3.14) shows `X-Powered-By: Express`,
`Content-Type: application/json; charset=utf-8`, an `ETag`, `Connection: keep-alive`, `Keep-Alive: timeout=5`;
the ETag is Express's weak one, `W/"<length hex>-<sha1 base64, 27 chars>"`, jshttp/etag index.js entitytag()):
- `GET /lmstudio-greeting` -> 200 `{"lmstudio":true}`, never behind the token: `lms` probes it without one
  (lmstudio-ai/lms src/createClient.ts:18-40 checkHttpServer) to verify `lms server start` (src/subcommands/
  server.ts:132), which could not succeed with authentication on if the greeting required it (derived).
- An unknown path or method: 200 `{"error":"Unexpected endpoint or method. (GET /x)"}` and the server's log
  line `[ERROR] Unexpected endpoint or method. (GET /x). Returning 200 anyway` (#618; #1323; #1879 (2026-05)),
  with or without a token (ComfyUI-EBU-LMStudio #7; Lex-au/Orpheus-FastAPI #96).
- Authentication on (0.4.0+, lmstudio-ai/docs 1_developer/0_core/authentication.mdx): every endpoint needs
  `Authorization: Bearer <token>`. None: 401 `{"error":{"type":"invalid_request","code":"invalid_api_key",
  "message":"An LM Studio API token is required to make requests to this server, but none was provided using
  the Authorization header using the 'Bearer' scheme (i.e., 'Authorization: Bearer $LM_API_TOKEN'). Learn more
  at: https://lmstudio.ai/docs/developer/core/authentication."}}` (the server's log in agustif/opencode-lmstudio
  #41, LM Studio 0.4.18). A token that is not one of the server's: 401, same type and code, `Malformed LM Studio
  API token provided: <first 10 characters><one * per further character>. Ensure you are using a valid token.
  Learn more at: https://lmstudio.ai/docs/developer/core/authentication.` (masks quoted in public notes:
  `lm-studio-*****`, `local-dumm*****`, `lm-studio` for a 9-character one; the "Learn more" tail in a 2026
  capture). Which tokens the real server calls malformed rather than unknown is not captured: the twin gives
  every wrong token this answer.
- `GET /v1/models` -> `{"data":[{"id","object":"model","owned_by":"organization_owner"}],"object":"list"}`:
  with JIT off only the loaded identifiers, with JIT on the downloaded model keys too (lmstudio docs
  1_developer/3_openai-compat/models.md).
- `GET /api/v1/models` -> `{"models":[...]}`, each downloaded model with its `loaded_instances` and their
  `config` (context_length, eval_batch_size, parallel, flash_attention, num_experts, offload_kv_cache_to_gpu),
  fields in the order of lmstudio docs 1_developer/2_rest/list.md's example.
- `POST /api/v1/models/load` `{"model", context_length, eval_batch_size, flash_attention, num_experts,
  offload_kv_cache_to_gpu, echo_load_config}` -> `{"type":"llm","instance_id","load_time_seconds","status":
  "loaded"[,"load_config"]}` (docs 1_developer/2_rest/load.md); `POST /api/v1/models/unload {"instance_id"}`
  -> `{"instance_id"}` (unload.md). An unknown model or instance: 404 with a body the twin makes up (not
  captured): `{"error":{"type":"invalid_request","message":...}}`.
- `POST /v1/chat/completions`, as a real gpt-oss-20b answer on LM Studio (a public capture of 2026-02 in a
  repository the code index does not name, file 52268243727): `{"id":"chatcmpl-<20-23 base36>","object":
  "chat.completion","created","model":<identifier>,"choices":[{"index":0,"message":{"role":"assistant",
  "content","reasoning","tool_calls":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens",
  "completion_tokens","total_tokens"},"stats":{},"system_fingerprint":<identifier>}`; `reasoning` only for a
  model whose catalog entry has `capabilities.reasoning` (the owner's lock: `message.reasoning`,
  runtime-lock.json:145-211). Ids in captures run 20-23 base-36 characters after `chatcmpl-`. `finish_reason` is
  `length` when max_tokens cut the answer (the twin's reading of OpenAI's convention).
  Which model answers (LM Studio ignores the name when ONE model is loaded: lmstudio-bug-tracker #619, and a
  2026-08 capture, file 63522387672): none loaded -> 404 `{"error":{"message":"No models loaded. Please load a
  model in the developer page or use the 'lms load' command.","type":"invalid_request_error","param":"model",
  "code":null}}` (#1730 (0.4.8); 404: lmstudio-ai/lms #107); one loaded -> it answers, whatever was asked;
  several and the name is none of them -> 404 `{"error":{"message":"Model \\"X\\" not found. Please specify a
  valid model.\\n\\nYour models:\\n\\n<one per line>","type":"invalid_request_error","param":"model","code":
  "model_not_found"}}` (gitbutlerapp/gitbutler #8706). No `messages`: 400 `{"error":"'messages' field is
  required"}` (the 2026-08 capture); a body that is not JSON: 400, body the twin's own.
  A stream is SSE (`data: <json>\\n\\n`, then `data: [DONE]\\n\\n`) of chunks `{"id","object":
  "chat.completion.chunk","created","model","system_fingerprint","choices":[{"index":0,"delta":{...},
  "logprobs":null,"finish_reason":null}]}`: the first delta `{"role":"assistant","content":<piece>}`, the last
  `{}` with `finish_reason` (lmstudio-ai/lmstudio-js #320, lmstudio-bug-tracker #676); the others
  `{"content":<piece>}` (OpenAI's convention: not captured). Usage comes only with
  `stream_options.include_usage` (api-changelog 0.3.18), as a last chunk with `"choices":[]` and `usage`
  (OpenAI's shape; LM Studio's is not captured). Reasoning is not streamed by the twin.
- `POST /v1/responses` (0.3.29+): `{"id":"resp_<hex>","object":"response","created_at","status":"completed",
  "model","output":[{"id":"rs_<hex>","type":"reasoning","summary":[],"content":[{"type":"reasoning_text",
  "text"}]} (reasoning models), {"id":"msg_<hex>","type":"message","role":"assistant","status":"completed",
  "content":[{"type":"output_text","text","annotations":[]}]}],"usage":{"input_tokens","output_tokens",
  "total_tokens"}}`: OpenAI's Response object, with LM Studio's `reasoning_text` content (earendil-works/pi
  #4193); no `output_text` field (the owner: "output_text may be null", INTEGRATIONS.md:67-69). Streamed: SSE
  events `response.created`, `response.output_text.delta` (one per piece), `response.completed` (docs
  1_developer/3_openai-compat/responses.md), framed `event: <type>\\ndata: <json>\\n\\n` as OpenAI frames them.
- Other documented endpoints (`/v1/completions`, `/v1/embeddings`, `/v1/messages`, `/api/v1/chat`,
  `/api/v1/models/download*`, `/api/v0/*`): 501, a twin limitation that says so.

Twin-only controls (no client sees them): the state file; LLMSTER_TWIN_RECORD (a file: one JSON line per chat or
responses request: request_id, backend "llmster", model asked and answered, stream, max_tokens, status,
authorized, headers x-litellm-call-id / user-agent, timings, completion_tokens); LLMSTER_TWIN_DELAY_FILE
(seconds to wait before each answer, read on every request). The daemon logs to stdout in LM Studio's server
log layout (`<date> <time> [LEVEL]\\n <message>`, #1879 and #1730), with its request lines (`Received request: GET
to /x`, the unexpected-endpoint line, the 401 body: the same issues); the words of its own events (started,
listening, stopped, a port it could not bind) are the twin's.
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import random
import signal
import string
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import twinhttp  # noqa: E402  (next to this file; see its docstring)

STATE_FILE = os.environ.get("LLMSTER_TWIN_STATE", "/var/lib/llmster-twin/state.json")
VERSION = "0.0.7-4"
DOCS_AUTH = "https://lmstudio.ai/docs/developer/core/authentication"
TOKEN_REQUIRED = ("An LM Studio API token is required to make requests to this server, but none was provided using "
                  "the Authorization header using the 'Bearer' scheme (i.e., 'Authorization: Bearer $LM_API_TOKEN'). "
                  f"Learn more at: {DOCS_AUTH}.")
NO_MODELS = "No models loaded. Please load a model in the developer page or use the 'lms load' command."
POLL = 0.1  # seconds between two looks of the daemon at the server part of the state
# LM Studio's load config for a GGUF model loaded without options (lmstudio docs 1_developer/2_rest/load.md's
# example for openai/gpt-oss-20b: eval_batch_size 512, flash_attention, offload_kv_cache_to_gpu, num_experts 4;
# context_length 4096 and parallel 4 in list.md's example)
DEFAULT_LOAD = {"context_length": 4096, "eval_batch_size": 512, "parallel": 4, "flash_attention": True,
                "num_experts": 4, "offload_kv_cache_to_gpu": True}
LOAD_KEYS = tuple(DEFAULT_LOAD)


def _gpt_oss(params: str, publisher_repo: str) -> dict:
    """A downloaded gpt-oss GGUF: family, size and format from the owner's platform/registry/models.jsonl (rows
    gpt-oss-*-mxfp4-gguf); max_context_length 131072 from OpenAI's gpt-oss model card; size_bytes, display_name and
    the reasoning options are the twin's placeholders (LM Studio's own values are not captured)."""
    return {"type": "llm", "publisher": "openai", "key": f"openai/gpt-oss-{params.lower()}",
            "display_name": f"gpt-oss {params}", "architecture": "gpt-oss",
            "quantization": {"name": "MXFP4", "bits_per_weight": 4},
            "size_bytes": {"20B": 12_109_565_632, "120B": 63_387_346_784}[params], "params_string": params,
            "max_context_length": 131072, "format": "gguf",
            "capabilities": {"vision": False, "trained_for_tool_use": True,
                             "reasoning": {"allowed_options": ["low", "medium", "high"], "default": "medium"}},
            "description": None, "path": f"{publisher_repo}/gpt-oss-{params.lower()}-mxfp4.gguf"}


DEFAULT_CATALOG = {m["key"]: m for m in (_gpt_oss("20B", "ggml-org/gpt-oss-20b-GGUF"),
                                         _gpt_oss("120B", "lmstudio-community/gpt-oss-120b-GGUF"))}


def default_state() -> dict:
    return {"version": VERSION, "daemon": None,
            "server": {"running": False, "bind": "127.0.0.1", "port": 1234, "cors": False, "listening": None,
                       "error": None},
            "auth": {"required": False, "tokens": []}, "jit": False, "catalog": DEFAULT_CATALOG, "loaded": []}


def new_token() -> str:
    """A token shaped as LM Studio's (`sk-lm-` 8 characters `:` 20: agustif/opencode-lmstudio #41)."""
    alphabet = string.ascii_letters + string.digits
    pick = random.SystemRandom().choice
    return "sk-lm-" + "".join(pick(alphabet) for _ in range(8)) + ":" + "".join(pick(alphabet) for _ in range(20))


# --- the state file -----------------------------------------------------------------------------------------------

def read_state(path: str = STATE_FILE) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            state = json.load(f)
    except FileNotFoundError:
        return default_state()
    base = default_state()
    base.update(state)
    return base


def write_state(state: dict, path: str = STATE_FILE) -> None:
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


@contextmanager
def changing_state(path: str = STATE_FILE):
    """Read, change and write the state under an exclusive lock (the daemon, `lms` and tooling all write it)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = read_state(path)
        yield state
        write_state(state, path)


def daemon_pid(state: dict) -> int | None:
    pid = (state.get("daemon") or {}).get("pid")
    return pid if twinhttp.process_alive(pid, "llmster.py") else None


def loaded_instances(state: dict) -> list[dict]:
    return [i for i in state.get("loaded") or [] if isinstance(i, dict) and i.get("identifier")]


def instance_config(given: dict) -> dict:
    """A load's config: what was asked over LM Studio's defaults, in the order list.md prints it."""
    return {key: given[key] if given.get(key) is not None else DEFAULT_LOAD[key] for key in LOAD_KEYS}


# --- the daemon ---------------------------------------------------------------------------------------------------

def log(level: str, message: str) -> None:
    """LM Studio's server log layout: `2026-05-04 14:10:54 [ERROR]` then the message on the next line."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} [{level}]\n {message}", flush=True)


class Daemon:
    def __init__(self, path: str):
        self.path = path
        self.server: twinhttp.Server | None = None
        self.serving: tuple | None = None  # (bind, port, when `lms server start` asked)
        self.record = twinhttp.Record(os.environ.get("LLMSTER_TWIN_RECORD"), lambda m: log("WARN", m))
        self.stop = False

    def start(self) -> None:
        with changing_state(self.path) as state:
            state["daemon"] = {"pid": os.getpid(), "started": time.time()}
            state["loaded"] = []  # a daemon that starts has nothing in memory
            state["server"] = {**state["server"], "running": False, "listening": None, "error": None}
        log("INFO", f"llmster v{read_state(self.path).get('version', VERSION)} started (PID: {os.getpid()})")

    def follow(self) -> None:
        """Open, move or close the HTTP server as the state asks."""
        server = read_state(self.path)["server"]
        wanted = ((server.get("bind") or "127.0.0.1", int(server.get("port") or 1234), server.get("requested"))
                  if server.get("running") else None)
        if wanted == self.serving:
            return
        self.close_server()
        if wanted is None:
            return
        try:
            self.server = twinhttp.Server(wanted[:2], make_handler(self))
        except OSError as e:
            log("ERROR", f"[LM STUDIO SERVER] Failed to start the server on {wanted[0]}:{wanted[1]}: {e}")
            with changing_state(self.path) as state:
                state["server"].update(listening=None, error=str(e))
            self.serving = wanted  # do not retry in a loop: `lms server start` reports the failure
            return
        twinhttp.serve_in_thread(self.server)
        self.serving = wanted
        with changing_state(self.path) as state:
            state["server"].update(listening=list(wanted[:2]), error=None)
        log("INFO", f"[LM STUDIO SERVER] Success! HTTP server listening on port {wanted[1]}")

    def close_server(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
            log("INFO", "[LM STUDIO SERVER] Server stopped.")
        self.serving = None

    def run(self) -> int:
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "stop", True))
        self.start()
        while not self.stop:
            self.follow()
            time.sleep(POLL)
        self.close_server()
        with changing_state(self.path) as state:
            if (state.get("daemon") or {}).get("pid") == os.getpid():
                state["daemon"] = None
                state["server"].update(running=False, listening=None)
        return 0


# --- HTTP ---------------------------------------------------------------------------------------------------------

KNOWN_UNIMPLEMENTED = {("POST", "/v1/completions"), ("POST", "/v1/embeddings"), ("POST", "/v1/messages"),
                       ("POST", "/api/v1/chat"), ("POST", "/api/v1/models/download"), ("GET", "/api/v0/models"),
                       ("POST", "/api/v0/chat/completions"), ("POST", "/api/v0/completions"),
                       ("POST", "/api/v0/embeddings")}
ROUTES = {("GET", "/lmstudio-greeting"), ("GET", "/v1/models"), ("GET", "/api/v1/models"),
          ("POST", "/api/v1/models/load"), ("POST", "/api/v1/models/unload"), ("POST", "/v1/chat/completions"),
          ("POST", "/v1/responses")}


def express_etag(body: bytes) -> str:
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode()[:27]
    return f'W/"{len(body):x}-{digest}"'


def masked(token: str) -> str:
    return token[:10] + "*" * max(0, len(token) - 10)


def chat_id() -> str:
    alphabet = string.digits + string.ascii_lowercase
    return "chatcmpl-" + "".join(random.choice(alphabet) for _ in range(random.randint(20, 23)))


class BadRequest(Exception):
    def __init__(self, status: int, body):
        super().__init__(status)
        self.status, self.body = status, body


def make_handler(daemon: Daemon):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        # --- writing, as Express does ---
        def _json(self, status: int, obj) -> None:
            body = twinhttp.compact(obj)
            twinhttp.respond(self, status, [
                ("X-Powered-By", "Express"), ("Content-Type", "application/json; charset=utf-8"),
                ("Content-Length", str(len(body))), ("ETag", express_etag(body)), ("Date", twinhttp.http_date()),
                ("Connection", "keep-alive"), ("Keep-Alive", "timeout=5")], body)

        def _sse_headers(self) -> twinhttp.Chunked:
            twinhttp.respond(self, 200, [
                ("X-Powered-By", "Express"), ("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                ("Connection", "keep-alive"), ("Date", twinhttp.http_date()), ("Transfer-Encoding", "chunked")])
            return twinhttp.Chunked(self)

        # --- routing ---
        def _route(self) -> None:
            started = time.time()
            path = self.path.split("?", 1)[0]
            raw = twinhttp.read_body(self)
            key = (self.command, path)
            log("DEBUG", f"Received request: {self.command} to {path}")
            if key not in ROUTES and key not in KNOWN_UNIMPLEMENTED:
                message = f"Unexpected endpoint or method. ({self.command} {path})"
                log("ERROR", f"{message}. Returning 200 anyway")
                return self._json(200, {"error": message})
            if path == "/lmstudio-greeting":
                return self._json(200, {"lmstudio": True})
            state = read_state(daemon.path)
            refusal = self._refusal(state)
            if refusal is not None:
                log("ERROR", "[LM STUDIO SERVER] " + json.dumps(refusal, indent=2))
                if path in ("/v1/chat/completions", "/v1/responses"):
                    daemon.record({**self._entry(started, None), "status": 401, "authorized": False})
                return self._json(401, refusal)
            if key in KNOWN_UNIMPLEMENTED:
                return self._json(501, {"error": f"twin stand-in of llmster: {self.command} {path} is not "
                                                 "implemented"})
            try:
                if path == "/v1/models":
                    return self._json(200, {"data": openai_models(state), "object": "list"})
                if path == "/api/v1/models":
                    return self._json(200, {"models": native_models(state)})
                body = parse_json(raw)
                if path == "/api/v1/models/load":
                    return self._json(200, rest_load(daemon.path, body))
                if path == "/api/v1/models/unload":
                    return self._json(200, rest_unload(daemon.path, body))
                return self._generate(state, path, body, started)
            except BadRequest as e:
                if path in ("/v1/chat/completions", "/v1/responses"):
                    daemon.record({**self._entry(started, None), "status": e.status, "authorized": True})
                return self._json(e.status, e.body)

        def _refusal(self, state: dict) -> dict | None:
            auth = state.get("auth") or {}
            if not auth.get("required"):
                return None
            scheme, _, token = (self.headers.get("authorization") or "").partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                return {"error": {"type": "invalid_request", "code": "invalid_api_key", "message": TOKEN_REQUIRED}}
            if token in (auth.get("tokens") or []):
                return None
            return {"error": {"type": "invalid_request", "code": "invalid_api_key",
                              "message": f"Malformed LM Studio API token provided: {masked(token)}. Ensure you are "
                                         f"using a valid token. Learn more at: {DOCS_AUTH}."}}

        def _entry(self, started: float, request: dict | None) -> dict:
            return {"request_id": None, "backend": "llmster", "path": self.path.split("?", 1)[0], "pid": os.getpid(),
                    "client": self.client_address[0], "model_asked": (request or {}).get("model"), "model": None,
                    "stream": bool((request or {}).get("stream")), "max_tokens": (request or {}).get("max_tokens"),
                    "headers": {h: self.headers[h] for h in ("x-litellm-call-id", "user-agent") if h in self.headers},
                    "status": None, "started": round(started, 3), "completion_tokens": 0}

        # --- answers ---
        def _generate(self, state: dict, path: str, body: dict, started: float) -> None:
            responses = path == "/v1/responses"
            if not responses and not isinstance(body.get("messages"), list):
                raise BadRequest(400, {"error": "'messages' field is required"})
            if responses and "input" not in body:
                raise BadRequest(400, {"error": "'input' field is required"})
            instance = pick_instance(state, body.get("model"))
            entry = {**self._entry(started, body), "model": instance["identifier"], "authorized": True}
            reasoning = bool((state["catalog"].get(instance["model_key"]) or {}).get("capabilities", {})
                             .get("reasoning"))
            prompt = twinhttp.input_text(body.get("input")) if responses else twinhttp.message_text(body["messages"])
            limit = body.get("max_output_tokens") if responses else body.get("max_tokens",
                                                                            body.get("max_completion_tokens"))
            answer = Answer(prompt, limit if isinstance(limit, int) else None, reasoning)
            delay = twinhttp.read_seconds(os.environ.get("LLMSTER_TWIN_DELAY_FILE"))
            if delay:
                time.sleep(delay)
            entry["request_id"] = answer.id = ("resp_" + uuid.uuid4().hex) if responses else chat_id()
            try:
                if body.get("stream"):
                    stream = self._sse_headers()
                    if responses:
                        stream_response(stream, answer, instance["identifier"])
                    else:
                        usage = bool((body.get("stream_options") or {}).get("include_usage"))
                        stream_chat(stream, answer, instance["identifier"], usage)
                    stream.end()
                else:
                    self._json(200, response_body(answer, instance["identifier"]) if responses
                               else chat_body(answer, instance["identifier"]))
            except twinhttp.ClientGone:
                self.close_connection = True
            daemon.record({**entry, "status": 200, "completion_tokens": answer.completion_tokens})

        def do_GET(self):
            self._route()

        def do_POST(self):
            self._route()

        def do_PUT(self):
            self._route()

        def do_DELETE(self):
            self._route()

        def log_message(self, fmt, *args):
            pass  # the requests are logged by _route, as LM Studio's server log shows them

    return Handler


def parse_json(raw: bytes) -> dict:
    try:
        body = json.loads(raw or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadRequest(400, {"error": f"twin stand-in of llmster: the body is not JSON ({e})"}) from e
    if not isinstance(body, dict):
        raise BadRequest(400, {"error": "twin stand-in of llmster: the body is not a JSON object"})
    return body


def openai_models(state: dict) -> list[dict]:
    ids = [i["identifier"] for i in loaded_instances(state)]
    if state.get("jit"):
        ids += [key for key in state["catalog"] if key not in ids]
    return [{"id": ident, "object": "model", "owned_by": "organization_owner"} for ident in ids]


def native_models(state: dict) -> list[dict]:
    models = []
    for key, model in state["catalog"].items():
        entry = {k: v for k, v in model.items() if k != "path"}
        entry["loaded_instances"] = [{"id": i["identifier"], "config": i["config"]}
                                     for i in loaded_instances(state) if i.get("model_key") == key]
        order = ["type", "publisher", "key", "display_name", "architecture", "quantization", "size_bytes",
                 "params_string", "loaded_instances", "max_context_length", "format", "capabilities", "description"]
        models.append({k: entry[k] for k in order if k in entry} | {k: v for k, v in entry.items() if k not in order})
    return models


def pick_instance(state: dict, asked) -> dict:
    instances = loaded_instances(state)
    if not instances:
        raise BadRequest(404, {"error": {"message": NO_MODELS, "type": "invalid_request_error", "param": "model",
                                         "code": None}})
    if len(instances) == 1:
        return instances[0]
    for instance in instances:
        if instance["identifier"] == asked:
            return instance
    listed = "\n".join(i["identifier"] for i in instances)
    raise BadRequest(404, {"error": {"message": f'Model "{asked}" not found. Please specify a valid model.\n\n'
                                                f"Your models:\n\n{listed}",
                                     "type": "invalid_request_error", "param": "model", "code": "model_not_found"}})


def resolve_model_key(catalog: dict, asked: str) -> list[str]:
    """Model keys matching what `lms load` was given, best first: the key itself, then a key ending in `/<asked>`,
    then one containing it, then one holding its characters in order (lms uses the `fuzzy` package: a subsequence
    match, best score first; src/subcommands/load.ts:293-296). The ranking within a kind is by length."""
    keys = list(catalog)
    kinds = [[k for k in keys if k == asked], [k for k in keys if k.endswith("/" + asked)],
             [k for k in keys if asked in k], [k for k in keys if _subsequence(asked, k)]]
    ranked: list[str] = []
    for kind in kinds:
        ranked += [k for k in sorted(kind, key=len) if k not in ranked]
    return ranked


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay.lower())
    return all(ch in it for ch in needle.lower())


def add_instance(state: dict, model_key: str, identifier: str | None, config: dict, ttl=None) -> dict:
    ident = identifier or model_key
    if any(i["identifier"] == ident for i in loaded_instances(state)):
        raise ValueError(f'an instance with the identifier "{ident}" is already loaded')
    instance = {"identifier": ident, "model_key": model_key, "config": instance_config(config), "ttl": ttl,
                "loaded_at": time.time()}
    state["loaded"] = loaded_instances(state) + [instance]
    return instance


def rest_load(path: str, body: dict) -> dict:
    started = time.time()
    asked = str(body.get("model") or "")
    with changing_state(path) as state:
        keys = [k for k in resolve_model_key(state["catalog"], asked) if k == asked or k.endswith("/" + asked)]
        if not asked or not keys:  # the REST API takes a model key, not a search (load.md)
            raise BadRequest(404, {"error": {"type": "invalid_request",
                                             "message": f"twin: no downloaded model {asked!r}"}})
        try:
            instance = add_instance(state, keys[0], None, body)
        except ValueError as e:
            raise BadRequest(400, {"error": {"type": "invalid_request", "message": f"twin: {e}"}}) from e
    answer = {"type": "llm", "instance_id": instance["identifier"],
              "load_time_seconds": round(time.time() - started, 3), "status": "loaded"}
    if body.get("echo_load_config"):
        answer["load_config"] = instance["config"]
    return answer


def rest_unload(path: str, body: dict) -> dict:
    ident = body.get("instance_id")
    with changing_state(path) as state:
        kept = [i for i in loaded_instances(state) if i["identifier"] != ident]
        if len(kept) == len(loaded_instances(state)):
            raise BadRequest(404, {"error": {"type": "invalid_request",
                                             "message": f"twin: no loaded instance {ident!r}"}})
        state["loaded"] = kept
    return {"instance_id": ident}


class Answer:
    """One generated answer: reasoning words (reasoning models) then content, within the token limit."""

    def __init__(self, prompt: str, limit: int | None, reasoning: bool):
        self.id = ""
        self.created = int(time.time())
        self.prompt_tokens = twinhttp.token_count(prompt)
        thinking = twinhttp.answer_words("reasoning: " + prompt, 4) if reasoning else []
        natural = twinhttp.answer_words(prompt, None)  # where the model stops by itself
        if limit is not None and limit >= 0:
            thinking = thinking[:limit]
            self.content = natural[:limit - len(thinking)]
        else:
            self.content = natural
        self.finish_reason = "length" if len(self.content) < len(natural) else "stop"
        self.reasoning = "".join(thinking).strip() if reasoning else None
        self.completion_tokens = len(thinking) + len(self.content)

    @property
    def text(self) -> str:
        return "".join(self.content)

    def usage(self) -> dict:
        return {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "total_tokens": self.prompt_tokens + self.completion_tokens}


def chat_body(answer: Answer, model: str) -> dict:
    message = {"role": "assistant", "content": answer.text}
    if answer.reasoning is not None:
        message["reasoning"] = answer.reasoning
    message["tool_calls"] = []
    return {"id": answer.id, "object": "chat.completion", "created": answer.created, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": answer.finish_reason}],
            "usage": answer.usage(), "stats": {}, "system_fingerprint": model}


def stream_chat(stream: twinhttp.Chunked, answer: Answer, model: str, usage: bool) -> None:
    def chunk(delta: dict, finish=None, **extra) -> bytes:
        body = {"id": answer.id, "object": "chat.completion.chunk", "created": answer.created, "model": model,
                "system_fingerprint": model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                          "finish_reason": finish}]}
        body.update(extra)
        return b"data: " + twinhttp.compact(body) + b"\n\n"
    for i, piece in enumerate(answer.content):
        stream.write(chunk({"role": "assistant", "content": piece} if i == 0 else {"content": piece}))
    stream.write(chunk({}, answer.finish_reason))
    if usage:
        final = {"id": answer.id, "object": "chat.completion.chunk", "created": answer.created, "model": model,
                 "system_fingerprint": model, "choices": [], "usage": answer.usage()}
        stream.write(b"data: " + twinhttp.compact(final) + b"\n\n")
    stream.write(b"data: [DONE]\n\n")


def response_body(answer: Answer, model: str, status: str = "completed", output: bool = True) -> dict:
    items = []
    if output and answer.reasoning is not None:
        items.append({"id": "rs_" + uuid.uuid5(uuid.NAMESPACE_URL, answer.id).hex, "type": "reasoning",
                      "summary": [], "content": [{"type": "reasoning_text", "text": answer.reasoning}]})
    if output:
        items.append({"id": "msg_" + uuid.uuid5(uuid.NAMESPACE_OID, answer.id).hex, "type": "message",
                      "role": "assistant", "status": "completed",
                      "content": [{"type": "output_text", "text": answer.text, "annotations": []}]})
    body = {"id": answer.id, "object": "response", "created_at": answer.created, "status": status, "model": model,
            "output": items}
    if status == "completed":
        body["usage"] = {"input_tokens": answer.prompt_tokens, "output_tokens": answer.completion_tokens,
                         "total_tokens": answer.prompt_tokens + answer.completion_tokens}
    return body


def stream_response(stream: twinhttp.Chunked, answer: Answer, model: str) -> None:
    def event(kind: str, data: dict) -> None:
        stream.write(f"event: {kind}\ndata: ".encode() + twinhttp.compact({"type": kind, **data}) + b"\n\n")
    event("response.created", {"response": response_body(answer, model, "in_progress", output=False)})
    item_id = "msg_" + uuid.uuid5(uuid.NAMESPACE_OID, answer.id).hex
    for piece in answer.content:
        event("response.output_text.delta", {"item_id": item_id, "output_index": 0, "content_index": 0,
                                             "delta": piece})
    event("response.completed", {"response": response_body(answer, model)})


def main(argv: list[str]) -> int:
    if argv != ["daemon"]:
        print("usage: llmster.py daemon   (started by `lms daemon up`: the twin's stand-in of LM Studio's daemon)",
              file=sys.stderr)
        return 64
    return Daemon(STATE_FILE).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
