#!/usr/bin/python3
"""`mlx-openai-server` stand-in (twin, studio): `launch --model-path P --host H --port N --log-file F`.

Answers `GET /health`, `GET /v1/models` and `POST /v1/chat/completions` as mlx-openai-server 1.8.1 does in
single-model mode (`launch --model-path`, model type lm, no reasoning or tool parser). Read in
cubist38/mlx-openai-server at 4b7d4b61586dd08b5ca1149b73003e85272ff652 (version 1.8.1, pyproject.toml
line 3; the tag v1.8.1 is 6c4ccfe, which differs only in endpoints.py 1050-1052, the final chunk's `usage`). The
JSON shapes below were also compared with that code served for real (its FastAPI app, routes and
middleware, fastapi 0.129 / starlette 0.52 / pydantic 2.14 / uvicorn 0.39 as its pyproject.toml allows,
with a fake LM handler in place of MLX).

The CLI and the process:
- app/cli.py 140-230, 355-360, 398-475: `launch` options (`--model-path` (150), `--model-type`
  lm|multimodal|..., `--context-length`, `--served-model-name` (170), `--port` default 8000 (175),
  `--host` default 0.0.0.0 (176), `--queue-timeout` 300, `--queue-size` 100, `--log-file` (211),
  `--no-log-file`, `--log-level`, `--max-tokens` (356, the default for a request that sets none: app/main.py
  229-232 puts it in DEFAULT_MAX_TOKENS)); an unknown option is a usage error (click: exit 2); no
  `--model-path` and no `--config` is a UsageError.
- app/server.py 89-131 `configure_logging`: unless `--no-log-file`, log lines are appended to
  `--log-file` (default logs/app.log) as `{time:YYYY-MM-DD HH:mm:ss} | {level} | {message}` (130); the
  console handler prints `<time> | <LEVEL padded to 8> | <module>:<function>:<line> | ✦ <message>` to
  stdout (colours left out here). app/main.py 255-281 `start()`: the startup banner (print_startup_banner,
  76-133) is logged before the file handler exists, then `Starting server on H:P` (server.py 604),
  `Server configuration complete.`, `Starting Uvicorn server...`, and the lifespan's
  `Initializing MLX handler with model path: P` / `MLX handler initialized successfully` (server.py 178-195).
  uvicorn's access log goes to stderr: `INFO:     <ip>:<port> - "POST /v1/chat/completions HTTP/1.1" 200 OK`.
- A model that cannot be loaded: the lifespan logs `Failed to initialize MLX handler: ...` and raises
  (server.py 198-200); uvicorn then reports the startup failure and `Server.serve()` returns, so
  `start()` returns and the process exits 0 without ever listening. Here: a `--model-path` that is an
  absolute path that does not exist.

Every answer:
- app/server.py 551-586: CORS and `X-Process-Time` (559-570) are the only middleware; uvicorn adds `date` and
  `server: uvicorn`. RequestTrackingMiddleware (app/middleware/request_tracking.py) exists but is never
  added, so there is no `X-Request-ID` header and `request_id` is None in every body (and so left out).
- JSON answers are Starlette's JSONResponse: compact (`{"a":1}`), `content-type: application/json`.
  An unknown path is FastAPI's 404 `{"detail":"Not Found"}`; a known path with another method is 405
  `{"detail":"Method Not Allowed"}` with `allow`. Any other exception: server.py 588-600, 500
  `{"error":{"message":"Internal server error","type":"internal_error"}}` (e.g. a 422 whose detail holds an
  infinite number, which JSONResponse refuses to render: `"max_tokens": 1e400`).

`GET /health`, `GET /v1/models`:
- app/api/endpoints.py 332-368 `health()`: single-model (no registry) -> 200
  `{"status":"ok","model_id":<handler.model_path>,"model_status":"initialized"}`
  (app/schemas/openai.py 67-74 HealthCheckResponse: status, model_id, model_status).
- app/api/endpoints.py 371-422 `models()` -> app/handler/mlx_lm.py 250-262 `get_models()`:
  `{"object":"list","data":[{"id":<model_path>,"object":"model","created":<load time>,"owned_by":"local",
  "metadata":null}]}` (schemas/openai.py 436-450: Model has `metadata: dict | None = None`, which FastAPI
  serializes as null; `created` = int(time.time()) at load, mlx_lm.py 209). The id is the model path
  unless `--served-model-name` is given (app/server.py 190-191).

`POST /v1/chat/completions` (endpoints.py 563-629):
- The request is schemas/openai.py 260-314 ChatCompletionRequest: `model` (default "local-text-model",
  line 53), `messages` (required; each schemas 203-228 Message: `role` one of system|user|assistant|tool,
  `content` a string, a list of parts or null), `max_tokens`, `max_completion_tokens`, `stream` (false),
  and sampling fields that a stand-in has no use for. Extra fields are allowed and logged (schemas 15-46:
  WARNING `The following fields were present in the request but ignored: {...}`).
- A body that does not validate is FastAPI's 422 `{"detail":[{"type","loc","msg","input"[,"ctx"]}, ...]}`,
  one entry per error in field order (model, messages, max_tokens, max_completion_tokens, stream), with
  pydantic's lax coercions (`"3"` and `3.0` are 3, `"yes"`/`1` are true): e.g. no messages ->
  `{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{...the body}}]}`;
  no body -> `loc ["body"]`, `input null`; not JSON -> `"type":"json_invalid","loc":["body",<offset>],
  "msg":"JSON decode error","input":{},"ctx":{"error":<json's message>}`; a body that is not UTF-8 -> 400
  `{"detail":"There was an error parsing the body"}`. Not reproduced: the errors inside a list of content
  parts (any list is accepted) and fields other than those five.
- Single-model mode serves ANY model name: `_resolve_handler` (endpoints.py 96-179) looks a name up only
  when `app.state.registry` exists, which only `--config` (multi-model) mode sets (server.py 456); otherwise
  it returns the one handler (178-179). So the 404 `model_not_found` (endpoints.py 167-177,
  `HTTPException(detail={"error":{...}})`, which FastAPI sends as `{"detail":{"error":{...}}}`) cannot
  happen here; this stand-in refuses `--config` at start.
- The answer's `model` is the request's `model` echoed (process_text_request 1085-1114 passes
  `request.model`); a missing or empty model is "local-text-model" (endpoints.py 568-569,
  `_normalize_request_model` 259-276 keeps that alias in single-model mode).
- Non-stream (process_text_request 1108-1114, format_final_response 1129-1217): `JSONResponse(content=
  response.model_dump(exclude_none=True))`, fields in schema order:
  `{"id":"chatcmpl_<uuid4 hex>","object":"chat.completion","created":<int>,"model":...,"choices":[
  {"finish_reason":"stop","index":0,"message":{"content":...,"role":"assistant","partial":false}}],
  "usage":{"prompt_tokens":P,"total_tokens":P+C,"completion_tokens":C,"prompt_tokens_details":
  {"cached_tokens":0}}}`. The id: get_id() 1117-1119 `chatcmpl_` + random_uuid() (schemas 184-185,
  uuid4().hex): an underscore, not OpenAI's dash. `partial` (schemas 224) is a bool defaulting to false,
  so exclude_none keeps it. `finish_reason` is always "stop" when there are no tool calls, even when
  max_tokens cut the answer (format_final_response 1164-1186; no "length" anywhere). Usage: mlx_lm.py
  1188-1197 (UsageInfo fields in schemas 166-172 order; `cached_tokens` = prompt-cache hits, 0 here).
- Stream (process_text_request 1095-1106, handle_stream_response 956-1056): `content-type:
  text/event-stream; charset=utf-8`, `cache-control: no-cache`, `connection: keep-alive`,
  `x-accel-buffering: no`, HTTP/1.1 chunked. Each event is `data: <json>\\n\\n` where the json is
  `json.dumps(chunk.model_dump(exclude_none=True))` (_yield_sse_chunk 948-953): Python's default separators
  (`", "`, `": "`) and ASCII escapes, fields in ChatCompletionChunk order (schemas 386-399) `id, choices,
  created, model, object[, usage]`; one id and one `created` for the whole stream (960-961). First the
  role chunk, delta `{"role":"assistant"}` (969-977); then one chunk per generated piece (without parsers the LM handler
  yields plain strings, mlx_lm.py 996), each delta `{"content":piece,"role":"assistant"}`: the role is
  repeated in every content delta (create_response_chunk 859-873); then the final chunk (1043-1056),
  delta `{}`, `"finish_reason":"stop"` AND `"usage":{...}` together (the handler's `__usage__`, mlx_lm.py
  1010-1019, read at 995-997); then `data: [DONE]`. No chunk carries `system_fingerprint`.
- The default max_tokens (refine_chat_completion_request 531-534, models/mlx_lm.py 28 and 309-329): the
  request's `max_tokens`, else its `max_completion_tokens`, else `--max-tokens`/DEFAULT_MAX_TOKENS, else
  the model's generation_config, else 1,000,000: in practice the model stops at its end-of-sequence token.

What the stand-in generates: no model. An answer is words from a small vocabulary, picked by a generator
seeded with the prompt (so one prompt gives one answer, and another prompt another); one word is one
token and one stream piece (the first word bare, the rest with a leading space). With a token limit the
answer is exactly that many words (0: an empty one; below 0: no limit, mlx-lm's -1); without one it
ends, as at an end-of-sequence token, after 16-63 words chosen by the prompt. `completion_tokens` is the
number of words sent; `prompt_tokens` is the number of words in the messages' text (the real count is the
tokenizer's, chat template included); `cached_tokens` is 0.

Twin-only controls, invisible to a client that does not know them (the real server has none of them):
- MLX_REQUEST_RECORD (env, a file path): one JSON line appended per chat request, when its answer ends
  (a write failure is logged, never fatal): `request_id` (the answer's id, null when none was made: 422,
  401), `backend` "mlx-openai-server", `port`, `pid`, `client`, `model` (as answered), `stream`,
  `max_tokens` (as requested, null when not sent), `headers` (x-litellm-call-id, user-agent when sent),
  `status` (the HTTP status sent; null for `hang`), `fault` (the fault word in force, else null),
  `started`/`finished` (unix time), `seconds`, `completion_tokens`, `content_chars`.
- MLX_TWIN_DELAY (env, seconds, default 0), overridden by the number in the file MLX_TWIN_DELAY_FILE names
  (read on every request, when it exists): waited before the first byte of a chat answer, so a benchmark
  measures concurrency, not CPU.
- MLX_TWIN_FAULT_FILE (env, a file path), read on every request; absent = normal. Its one word:
  `malformed`: chat answers 200, `content-type: application/json`, with a body that is not JSON (the
      non-stream answer cut in half), streamed or not;
  `hang`: chat reads the request and never answers, holding the connection until the client closes it
      or the fault is reverted (then the connection is closed unanswered); other requests and /health are
      served meanwhile (one thread per connection);
  `endless-stream`: a streamed chat sends the role chunk, then a content chunk every 0.2 s, never the final
      chunk nor [DONE], until the client goes away or the fault is reverted (then the stream ends as a
      normal one does); a non-stream chat answers normally;
  `reject-key`: every /v1/ route answers 401 `{"error":{"message":"Invalid API key","type":
      "invalid_request_error","code":"invalid_api_key"}}`; /health stays 200.
  `header-drip`: a chat answer's status line and headers (the usual ones) are sent one byte every
      DRIP_INTERVAL s, then the body at once; the drip ends when the client goes away (or, the rest of the
      headers sent at once, when the fault is reverted). A hostile server,
      not a behaviour of mlx-openai-server: it proves that a client's deadline covers the whole exchange;
  `gzip-bomb`: every chat answer (streamed or not) is 200, `content-type: application/json`,
      `content-encoding: gzip`, whatever the request's Accept-Encoding says: GZIP_BOMB_BYTES zero bytes,
      gzip-compressed (about 64 KB on the wire). Also hostile, also twin-only: it proves that a client
      bounds what it decodes (the suite accepts only identity).
  Any other word is ignored, with a WARNING log line when it appears.

Not implemented: the other endpoints (embeddings, images, audio, responses, queue stats) answer 501 with a
body that says the twin does not implement them; `--config` (multi-model mode); tool and reasoning parsers.
One process per port; stdlib only (it runs on the twin's bare python3).
"""
import argparse
import json
import os
import random
import re
import select
import socket
import sys
import threading
import time
import uuid
import zlib
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

VERSION = "1.8.1"
MODEL_TYPES = ["lm", "multimodal", "image-generation", "image-edit", "embeddings", "whisper"]
TEXT_MODEL = "local-text-model"  # schemas/openai.py 53: the model of a request that names none
ROLES = ("system", "user", "assistant", "tool")
ROLES_EXPECTED = "'system', 'user', 'assistant' or 'tool'"
# ChatCompletionRequest's fields (schemas/openai.py 260-314): anything else is logged as ignored
REQUEST_FIELDS = {
    "model", "messages", "tools", "tool_choice", "max_tokens", "max_completion_tokens", "temperature", "top_p",
    "top_k", "min_p", "frequency_penalty", "presence_penalty", "stop", "n", "response_format", "seed", "user",
    "repetition_penalty", "repetition_context_size", "xtc_probability", "xtc_threshold", "logit_bias", "stream",
    "stream_options", "chat_template_kwargs"}
# the list member of Message.content's union, as pydantic names it in an error's loc
CONTENT_PARTS_LOC = "list[" + "union[" + ",".join(["function-wrap[__log_extra_fields__()]"] * 4) + "]]"
# the routes of app/api/endpoints.py and their methods; those without a handler here answer 501
ROUTES = {"/health": "GET", "/v1/models": "GET", "/v1/queue/stats": "GET", "/v1/chat/completions": "POST",
          "/v1/embeddings": "POST", "/v1/images/generations": "POST", "/v1/images/edits": "POST",
          "/v1/audio/transcriptions": "POST", "/v1/responses": "POST"}
STREAM_HEADERS = {"cache-control": "no-cache", "connection": "keep-alive", "x-accel-buffering": "no",
                  "content-type": "text/event-stream; charset=utf-8"}
VOCABULARY = ("the", "lab", "model", "answers", "a", "quiet", "studio", "server", "streams", "tokens", "of",
              "and", "to", "in", "every", "local", "request", "reply", "words", "here", "this", "twin", "runs",
              "on", "its", "port", "again", "each", "time", "it", "says", "what", "was", "asked", "kindly")
NATURAL_LENGTH = (16, 64)  # words in an answer that no token limit cuts: [low, high)
RECORD_HEADERS = ("x-litellm-call-id", "user-agent")
FAULTS = ("malformed", "hang", "endless-stream", "reject-key", "header-drip", "gzip-bomb")
ENDLESS_INTERVAL = 0.2
DRIP_INTERVAL = 0.5  # `header-drip`: seconds between two bytes of the status line and headers
GZIP_BOMB_BYTES = 64 * 1024 * 1024  # `gzip-bomb`: what its answer decodes to
INTERNAL_ERROR = b'{"error":{"message":"Internal server error","type":"internal_error"}}'  # server.py 597-600
INVALID_KEY = {"error": {"message": "Invalid API key", "type": "invalid_request_error", "code": "invalid_api_key"}}


class Log:
    """loguru's two sinks as mlx-openai-server configures them: stdout, and the --log-file."""

    def __init__(self):
        self.file = None
        self.lock = threading.Lock()

    def to_file(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "a", buffering=1, encoding="utf-8")

    def __call__(self, message: str, level: str = "INFO", where: str = "app.server:setup_server:604") -> None:
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        with self.lock:  # handler threads log too
            print(f"{now} | {level:<8} | {where} | ✦ {message}", flush=True)
            if self.file:
                self.file.write(f"{now} | {level} | {message}\n")


log = Log()


class Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


# --- the request, validated as FastAPI and pydantic do --------------------------------------------------------

def _error(kind: str, loc: list, msg: str, value, ctx: dict | None = None) -> dict:
    error = {"type": kind, "loc": ["body", *loc], "msg": msg, "input": value}
    if ctx:
        error["ctx"] = ctx
    return error


class UnparsableBody(Exception):
    """A body FastAPI cannot even decode (not UTF-8): its 400 `{"detail":"There was an error parsing the body"}`."""


def parse_body(content_type: str | None, raw: bytes):
    """FastAPI's body reading: (body, errors). JSON is parsed when the content type is absent or JSON."""
    if not raw:
        return None, [_error("missing", [], "Field required", None)]
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media and not (media == "application/json" or (media.startswith("application/") and media.endswith("+json"))):
        return raw.decode("utf-8", "replace"), []  # validated as a string: not an object
    try:
        return json.loads(raw), []
    except json.JSONDecodeError as e:
        return None, [_error("json_invalid", [e.pos], "JSON decode error", {}, {"error": e.msg})]
    except UnicodeDecodeError as e:
        raise UnparsableBody() from e


def _as_int(value, loc: list, errors: list):
    """An `int | None` field in pydantic's lax mode."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            errors.append(_error("finite_number", loc, "Input should be a finite number", value))
        elif value.is_integer():
            return int(value)
        else:
            errors.append(_error("int_from_float", loc,
                                 "Input should be a valid integer, got a number with a fractional part", value))
        return None
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d+(\.0*)?", text):
            return int(text.split(".", 1)[0])
        errors.append(_error("int_parsing", loc, "Input should be a valid integer, unable to parse string as an "
                                                 "integer", value))
        return None
    errors.append(_error("int_type", loc, "Input should be a valid integer", value))
    return None


def _as_bool(value, loc: list, errors: list) -> bool:
    """A `bool` field in pydantic's lax mode."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("0", "off", "f", "false", "n", "no", "1", "on", "t",
                                                             "true", "y", "yes"):
        return value.strip().lower() in ("1", "on", "t", "true", "y", "yes")
    if isinstance(value, (int, str)):
        errors.append(_error("bool_parsing", loc, "Input should be a valid boolean, unable to interpret input", value))
    else:
        errors.append(_error("bool_type", loc, "Input should be a valid boolean", value))
    return False


def _check_messages(messages, errors: list) -> None:
    if not isinstance(messages, list):
        errors.append(_error("list_type", ["messages"], "Input should be a valid list", messages))
        return
    for index, message in enumerate(messages):
        loc = ["messages", index]
        if not isinstance(message, dict):
            errors.append(_error("model_attributes_type", loc,
                                 "Input should be a valid dictionary or object to extract fields from", message))
            continue
        content = message.get("content")
        if content is not None and not isinstance(content, (str, list)):  # Message fields: content before role
            errors.append(_error("string_type", [*loc, "content", "str"], "Input should be a valid string", content))
            errors.append(_error("list_type", [*loc, "content", CONTENT_PARTS_LOC], "Input should be a valid list",
                                 content))
        if "role" not in message:
            errors.append(_error("missing", [*loc, "role"], "Field required", message))
        elif message["role"] not in ROLES or not isinstance(message["role"], str):
            errors.append(_error("literal_error", [*loc, "role"], f"Input should be {ROLES_EXPECTED}", message["role"],
                                 {"expected": ROLES_EXPECTED}))


def validate_chat(body) -> tuple[dict | None, list]:
    """ChatCompletionRequest's validation of the fields the stand-in uses: (request, errors)."""
    if not isinstance(body, dict):
        return None, [_error("model_attributes_type", [], "Input should be a valid dictionary or object to extract "
                                                          "fields from", body)]
    errors: list = []
    model = body.get("model", TEXT_MODEL)
    if not isinstance(model, str):
        errors.append(_error("string_type", ["model"], "Input should be a valid string", model))
    if "messages" in body:
        _check_messages(body["messages"], errors)
    else:
        errors.append(_error("missing", ["messages"], "Field required", body))
    max_tokens = _as_int(body.get("max_tokens"), ["max_tokens"], errors)
    max_completion_tokens = _as_int(body.get("max_completion_tokens"), ["max_completion_tokens"], errors)
    stream = _as_bool(body["stream"], ["stream"], errors) if "stream" in body else False
    if errors:
        return None, errors
    return {"model": model or TEXT_MODEL, "messages": body["messages"], "stream": stream,
            "max_tokens": max_tokens if max_tokens is not None else max_completion_tokens,
            "ignored": set(body) - REQUEST_FIELDS}, []


# --- the answer ------------------------------------------------------------------------------------------------

def prompt_words(messages: list) -> list[str]:
    words = []
    for message in messages:
        content = message.get("content")
        parts = [content] if isinstance(content, str) else [
            p.get("text") for p in content or [] if isinstance(p, dict) and isinstance(p.get("text"), str)]
        for part in parts:
            words += part.split()
    return words


def generate(prompt: list[str], limit: int | None) -> list[str]:
    """The answer's pieces: words seeded by the prompt, `limit` of them, or a natural length without one."""
    seed = zlib.crc32(" ".join(prompt).encode())
    if limit is None or limit < 0:
        low, high = NATURAL_LENGTH
        limit = low + seed % (high - low)
    rng = random.Random(seed)
    words = [rng.choice(VOCABULARY) for _ in range(limit)]
    if words:
        words[0] = words[0].capitalize()
        words[-1] += "."
    return [words[0], *(" " + w for w in words[1:])] if words else []


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    # UsageInfo's field order (schemas/openai.py 166-171), as mlx_lm.py fills it
    return {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens + completion_tokens,
            "completion_tokens": completion_tokens, "prompt_tokens_details": {"cached_tokens": 0}}


def completion(answer_id: str, model: str, content: str, usage_info: dict) -> dict:
    return {"id": answer_id, "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"finish_reason": "stop", "index": 0,
                         "message": {"content": content, "role": "assistant", "partial": False}}],
            "usage": usage_info}


def chunk_event(answer_id: str, created: int, model: str, delta: dict, finish_reason: str | None = None,
                usage_info: dict | None = None) -> bytes:
    choice = {"delta": delta, **({"finish_reason": finish_reason} if finish_reason else {}), "index": 0}
    chunk = {"id": answer_id, "choices": [choice], "created": created, "model": model,
             "object": "chat.completion.chunk", **({"usage": usage_info} if usage_info else {})}
    return f"data: {json.dumps(chunk)}\n\n".encode()  # json.dumps' defaults, as _yield_sse_chunk


# --- twin-only controls -------------------------------------------------------------------------------------

_bomb: list[bytes] = []  # made once, on the first `gzip-bomb` answer


def gzip_bomb() -> bytes:
    """GZIP_BOMB_BYTES zero bytes, gzip-compressed a megabyte at a time (never held whole)."""
    if not _bomb:
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip framing
        block = bytes(1024 * 1024)
        _bomb.append(b"".join([*(packer.compress(block) for _ in range(GZIP_BOMB_BYTES // len(block))),
                               packer.flush()]))
    return _bomb[0]


class TwinControls:
    """The request record, the answer delay and the fault switch (twin only; see the module docstring)."""

    def __init__(self, environ=os.environ):
        self.record_path = environ.get("MLX_REQUEST_RECORD") or None
        self.fault_path = environ.get("MLX_TWIN_FAULT_FILE") or None
        self.delay_path = environ.get("MLX_TWIN_DELAY_FILE") or None
        self.default_delay = self._seconds(environ.get("MLX_TWIN_DELAY", "0"), "MLX_TWIN_DELAY")
        self.lock = threading.Lock()
        self.warned: set[str] = set()  # one warning per unusable value, not one per request

    def _warn_once(self, key: str, message: str) -> None:
        with self.lock:
            if key in self.warned:
                return
            self.warned.add(key)
        log(f"twin: {message}", "WARNING", "twin:controls:0")

    def _seconds(self, text: str, source: str) -> float:
        try:
            return max(0.0, float(text.strip() or 0))
        except ValueError:
            self._warn_once(f"delay:{text}", f"{source}: not a number of seconds: {text!r}; no delay")
            return 0.0

    def _read(self, path: str | None) -> str | None:
        if not path:
            return None
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace").strip()
        except FileNotFoundError:
            return None
        except OSError as e:
            self._warn_once(f"read:{path}:{e.errno}", f"cannot read {path}: {e}")
            return None

    def fault(self) -> str | None:
        word = self._read(self.fault_path)
        if not word:
            return None
        if word not in FAULTS:
            self._warn_once(f"fault:{word}", f"unknown fault {word!r} in {self.fault_path} ignored "
                                             f"(known: {', '.join(FAULTS)})")
            return None
        return word

    def delay(self) -> float:
        text = self._read(self.delay_path)
        return self.default_delay if text is None else self._seconds(text, self.delay_path)

    def record(self, entry: dict) -> None:
        if not self.record_path:
            return
        entry["finished"] = round(time.time(), 3)
        entry["seconds"] = round(entry["finished"] - entry["started"], 4)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        try:
            with self.lock, open(self.record_path, "a", encoding="utf-8") as handle:
                handle.write(line)
        except OSError as e:
            log(f"twin: request record not written to {self.record_path}: {e}", "WARNING", "twin:record:0")


# --- HTTP ----------------------------------------------------------------------------------------------------

class ClientGone(Exception):
    """The client closed the connection while an answer was being written."""


def make_handler(model_id: str, created: int, port: int, default_max_tokens: int | None, twin: TwinControls):
    class Handler(BaseHTTPRequestHandler):
        server_version = "uvicorn"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def version_string(self) -> str:
            return self.server_version

        drip = False  # twin fault `header-drip`: the status line and headers of this answer, a byte at a time

        def flush_headers(self) -> None:
            if not self.drip or not getattr(self, "_headers_buffer", None):
                return super().flush_headers()
            head, self._headers_buffer = b"".join(self._headers_buffer), []
            for i in range(len(head)):
                try:
                    self.wfile.write(head[i:i + 1])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError) as e:
                    raise ClientGone() from e
                if twin.fault() != "header-drip":  # reverted: the rest at once
                    self.wfile.write(head[i + 1:])
                    return
                time.sleep(DRIP_INTERVAL)

        # --- writing ---
        def _headers(self, code: int, headers: dict, started: float | None, chunked: bool = False) -> None:
            """The status line and headers in uvicorn's order: the app's, x-process-time, transfer-encoding."""
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            if started is not None:  # the middleware's header (server.py 559-570)
                self.send_header("x-process-time", str(time.time() - started))
            if chunked:
                self.send_header("transfer-encoding", "chunked")
            self.end_headers()

        def _json(self, code: int, obj, started: float, extra: dict | None = None) -> None:
            try:
                body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
            except ValueError:  # Starlette's JSONResponse refuses NaN/inf: the global handler's 500, which
                # bypasses the middleware, so without x-process-time
                code, body, started = 500, INTERNAL_ERROR, None
            self._body(code, body, started, extra)

        def _body(self, code: int, body: bytes, started: float | None, extra: dict | None = None) -> None:
            self._headers(code, {**(extra or {}), "content-length": str(len(body)),
                                 "content-type": "application/json"}, started)
            if self.command != "HEAD":
                self.wfile.write(body)

        def _chunk(self, data: bytes) -> None:
            try:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError) as e:
                raise ClientGone() from e

        # --- routing ---
        def _route(self, method: str) -> None:
            started = time.time()
            path = self.path.split("?", 1)[0]
            raw = self._read_body()
            if path not in ROUTES:
                return self._json(404, {"detail": "Not Found"}, started)
            if method != ROUTES[path]:  # FastAPI's routes answer HEAD with 405 too
                return self._json(405, {"detail": "Method Not Allowed"}, started, {"allow": ROUTES[path]})
            fault = twin.fault()
            if path == "/health":
                return self._json(200, {"status": "ok", "model_id": model_id, "model_status": "initialized"},
                                  started)
            if fault == "reject-key":
                if path == "/v1/chat/completions":
                    twin.record({**self._entry(started, None), "status": 401, "fault": fault})
                return self._json(401, INVALID_KEY, started)
            if path == "/v1/models":
                return self._json(200, {"object": "list", "data": [{
                    "id": model_id, "object": "model", "created": created, "owned_by": "local", "metadata": None}]},
                    started)
            if path == "/v1/chat/completions":
                return self._chat(raw, fault, started)
            self._json(501, {"error": {"message": f"twin stand-in of mlx-openai-server: {self.command} {self.path} "
                                                  "is not implemented", "type": "not_implemented", "param": None,
                                       "code": "501"}}, started)

        def do_GET(self):
            self._route("GET")

        def do_HEAD(self):
            self._route("HEAD")

        def do_POST(self):
            self._route("POST")

        def _read_body(self) -> bytes:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                parts = []
                while True:
                    size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return b"".join(parts)
                    parts.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("content-length") or 0)
            return self.rfile.read(length) if length else b""

        # --- chat ---
        def _entry(self, started: float, request: dict | None) -> dict:
            return {"request_id": None, "backend": "mlx-openai-server", "port": port, "pid": os.getpid(),
                    "client": self.client_address[0], "model": request["model"] if request else None,
                    "stream": request["stream"] if request else None,
                    "max_tokens": request["max_tokens"] if request else None,
                    "headers": {h: self.headers[h] for h in RECORD_HEADERS if h in self.headers},
                    "status": None, "fault": None, "started": round(started, 3), "completion_tokens": 0,
                    "content_chars": 0}

        def _chat(self, raw: bytes, fault: str | None, started: float) -> None:
            try:
                body, errors = parse_body(self.headers.get("content-type"), raw)
            except UnparsableBody:
                self._json(400, {"detail": "There was an error parsing the body"}, started)
                return twin.record({**self._entry(started, None), "status": 400})
            request, more = validate_chat(body) if not errors else (None, [])
            errors += more
            entry = self._entry(started, request)
            if errors:
                self._json(422, {"detail": errors}, started)
                return twin.record({**entry, "status": 422})
            if request["ignored"]:
                log(f"The following fields were present in the request but ignored: {request['ignored']}",
                    "WARNING", "app.schemas.openai:__log_extra_fields__:42")
            entry["fault"] = fault
            if fault == "hang":
                self._hold_until_client_leaves()
                return twin.record(entry)
            limit = request["max_tokens"] if request["max_tokens"] is not None else default_max_tokens
            prompt = prompt_words(request["messages"])
            pieces = generate(prompt, limit)
            answer_id = f"chatcmpl_{uuid.uuid4().hex}"
            entry["request_id"] = answer_id
            delay = twin.delay()
            if delay:
                time.sleep(delay)
            sent: list[str] = []  # the pieces the client was sent, for the record
            self.drip = fault == "header-drip"
            try:
                if fault == "gzip-bomb":  # twin fault: whatever was asked, an answer that decodes to 64 MiB
                    bomb = gzip_bomb()
                    self._headers(200, {"content-length": str(len(bomb)), "content-type": "application/json",
                                        "content-encoding": "gzip"}, started)
                    self.wfile.write(bomb)
                elif request["stream"] and fault != "malformed":
                    self._stream(answer_id, request["model"], pieces, len(prompt), started, sent,
                                 endless=fault == "endless-stream")
                else:
                    content = "".join(pieces)
                    body = json.dumps(completion(answer_id, request["model"], content,
                                                 usage(len(prompt), len(pieces))),
                                      separators=(",", ":"), ensure_ascii=False).encode()
                    if fault == "malformed":
                        body = body[:len(body) // 2]
                    self._body(200, body, started)
                    sent += pieces
            except (ClientGone, BrokenPipeError, ConnectionResetError):
                self.close_connection = True
            entry.update(status=200, completion_tokens=len(sent), content_chars=len("".join(sent)))
            twin.record(entry)

        def _stream(self, answer_id: str, model: str, pieces: list[str], prompt_tokens: int, started: float,
                    sent: list[str], endless: bool) -> None:
            created_at = int(time.time())
            self._headers(200, STREAM_HEADERS, started, chunked=True)
            self._chunk(chunk_event(answer_id, created_at, model, {"role": "assistant"}))
            if endless:  # twin fault: content until the client goes away, never the final chunk nor [DONE]
                pieces = pieces or [VOCABULARY[0]]
                while twin.fault() == "endless-stream":  # reverted: ends as a normal stream
                    piece = pieces[0] if not sent else " " + VOCABULARY[len(sent) % len(VOCABULARY)]
                    self._chunk(chunk_event(answer_id, created_at, model, {"content": piece, "role": "assistant"}))
                    sent.append(piece)
                    time.sleep(ENDLESS_INTERVAL)
                pieces = []
            for piece in pieces:
                self._chunk(chunk_event(answer_id, created_at, model, {"content": piece, "role": "assistant"}))
                sent.append(piece)
            self._chunk(chunk_event(answer_id, created_at, model, {}, "stop", usage(prompt_tokens, len(pieces))))
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")  # the last chunk of the chunked encoding

        def _hold_until_client_leaves(self) -> None:
            """Twin fault `hang`: answer nothing; return once the client has closed the connection, or the fault
            is reverted (a client that never gives up, as LiteLLM upstream of a gone caller, would otherwise hold
            it, and its own stop, forever)."""
            self.close_connection = True
            while twin.fault() == "hang":
                readable, _, _ = select.select([self.connection], [], [], 0.5)
                if not readable:
                    continue
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return
                except OSError:
                    return
                time.sleep(0.5)  # bytes of another request: not ours to answer, keep holding

        def log_message(self, fmt, *args):  # uvicorn's access log (stderr)
            host, client_port = self.client_address[:2]
            code = args[1] if len(args) > 1 else ""
            try:
                phrase = HTTPStatus(int(code)).phrase
            except ValueError:
                phrase = ""
            print(f'INFO:     {host}:{client_port} - "{self.requestline}" {code} {phrase}'.rstrip(), file=sys.stderr,
                  flush=True)

    return Handler


def parse(argv: list[str]) -> argparse.Namespace:
    if not argv or argv[0].startswith("-"):  # app/main.py main(): `launch` is the default subcommand
        argv = ["launch", *argv]
    parser = argparse.ArgumentParser(prog="mlx-openai-server")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("launch")
    p.add_argument("--config", dest="config_file")
    p.add_argument("--model-path")
    p.add_argument("--model-type", default="lm", choices=MODEL_TYPES)
    p.add_argument("--context-length", type=int)
    p.add_argument("--served-model-name")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--queue-timeout", type=int, default=300)
    p.add_argument("--queue-size", type=int, default=100)
    p.add_argument("--log-file")
    p.add_argument("--no-log-file", action="store_true")
    p.add_argument("--log-level", default="INFO", type=str.upper,
                   choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])
    p.add_argument("--max-tokens", type=int)
    args = parser.parse_args(argv)
    if args.config_file:
        parser.error("twin stand-in: --config (multi-handler mode) is not implemented")
    if not args.model_path:
        parser.error("Either --config (multi-handler YAML) or --model-path (single model) is required.")
    return args


def default_max_tokens(args: argparse.Namespace) -> int | None:
    """A token limit for requests that set none: --max-tokens, else DEFAULT_MAX_TOKENS (main.py 229-232)."""
    if args.max_tokens is not None:
        return args.max_tokens
    try:
        return int(os.environ["DEFAULT_MAX_TOKENS"])
    except (KeyError, ValueError):
        return None  # the model's own end of sequence (models/mlx_lm.py 28: 1,000,000 is no real limit)


def main(argv: list[str]) -> int:
    args = parse(argv)
    banner = [f"✨ MLX Server v{VERSION} Starting ✨", f"🔮 Model Path: {args.model_path}"]
    if args.served_model_name:
        banner.append(f"🔮 Served Model Name: {args.served_model_name}")
    banner += [f"🔮 Model Type: {args.model_type}"]
    if args.context_length:
        banner.append(f"🔮 Context Length: {args.context_length}")
    banner += [f"🌐 Host: {args.host}", f"🔌 Port: {args.port}", f"⏱️ Queue Timeout: {args.queue_timeout} seconds",
               f"📊 Queue Size: {args.queue_size}", f"📝 Log Level: {args.log_level}",
               "📝 File Logging: Disabled" if args.no_log_file else f"📝 Log File: {args.log_file or 'logs/app.log'}"]
    for line in ["━" * 42, *banner[:1], "━" * 42, *banner[1:], "━" * 42]:
        log(line, where="app.main:print_startup_banner:77")
    if not args.no_log_file:
        log.to_file(args.log_file or "logs/app.log")
    log(f"Starting server on {args.host}:{args.port}")
    log("Server configuration complete.", where="app.main:start:275")
    log("Starting Uvicorn server...", where="app.main:start:276")
    log(f"Initializing MLX handler with model path: {args.model_path}", where="app.server:lifespan:178")
    if args.model_path.startswith("/") and not Path(args.model_path).exists():
        log(f"Failed to initialize MLX handler: no model at {args.model_path}", "ERROR", "app.server:lifespan:199")
        print("ERROR:    Application startup failed. Exiting.", file=sys.stderr, flush=True)
        return 0
    created = int(time.time())
    log("MLX handler initialized successfully", where="app.server:lifespan:195")
    model_id = args.served_model_name or args.model_path
    handler = make_handler(model_id, created, args.port, default_max_tokens(args), TwinControls())
    server = Server((args.host, args.port), handler)
    print(f"INFO:     Uvicorn running on http://{args.host}:{args.port} (Press CTRL+C to quit)", file=sys.stderr,
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
