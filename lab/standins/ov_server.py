"""ov-llm-server for the twin: real OpenVINO GenAI inference, ov-llm-server's API, installed as ~/ov-llm-server/main.py.

Served by the real uvicorn (`uv run uvicorn main:app --host 0.0.0.0 --port 9000 --workers 1`). The code
below follows ov-llm-server's own main.py (bebopbabailey/homelab-llm @ 1b54b73,
`services/ov-llm-server/main.py`, last changed 2026-04-13; summarised in the studio contract facts, B8)
line for line where it matters to a client; the line numbers cited are that file's:

- env (16-26): `OV_REGISTRY_PATH` (default ~/models/converted_models/registry.json), `OV_MODEL_PATH` (the
  fallback model directory), `OV_DEVICE` (default GPU; the twin sets CPU), `OV_LOG_LEVEL` (INFO).
- registry (39-81): `{"models": {name: {"path": dir, ...}}}`; a missing or unreadable registry is an
  empty one (the server still starts); it is re-read when its mtime changes, and once more, forced, for a
  model name it does not know (351-354).
- `GET /health` (323-332): always 200, `{"status":"ok","device":..,"models":<registry count>,
  "loaded_models":[sorted names],"loaded_models_count":N}`. Nothing is loaded at start: a model's
  pipeline is created by its first request (110-130), so `loaded_models` starts empty.
- `GET /v1/models` (335-342): `{"object":"list","data":[{"id":name,"object":"model","owned_by":"local"}]}`,
  names sorted, read from the registry file on every call; no `created`.
- `POST /v1/chat/completions` (101-107, 345-423): fields `model` (required), `messages` (role, content
  string or null), `tools`, `stream` (false), `temperature` (0.7), `max_tokens` (1024); anything else is
  ignored. An unknown model falls back to `OV_MODEL_PATH` and its pipeline is cached under the requested
  name (114-118): no 404. The prompt is the tokenizer's own chat template (133-153), and generation always
  samples (`do_sample=True`, the request's temperature, no seed; 156-161) with
  `openvino_genai.LLMPipeline(path, OV_DEVICE)` behind one lock (188-238).
  Non-stream reply (400-414): `id` is always `"chatcmpl-0"`, `model` echoes the request, one choice,
  `finish_reason` "stop" (or "tool_calls"), NO `usage`. Stream (241-320): SSE `data: {json}` chunks, all with
  `id` `"chatcmpl-stream"`: first `delta {"role":"assistant"}`, then one chunk per text piece, then
  `delta {}` with `finish_reason` "stop", then `data: [DONE]`; the text chunks carry no `finish_reason` key.
- One deliberate difference: a non-streamed answer is read to its end. The original stops reading when the
  generation thread is done (line 209, `while not done.is_set()`), dropping pieces still queued then; with a
  model as fast as the twin's that cut the tail off about one answer in twenty.
- Errors are not caught (FastAPI's 500). Generation runs in a thread, so an error raised by genai there
  (e.g. temperature 0: "When 'do_sample' is true, temperature must be a strictly positive float") ends the
  answer early instead: 200 with empty content, as in the original.

Twin-only addition, invisible to clients: a request record, so a contract test can ask the backend itself
which requests it answered. One JSON object per answered request is appended to `requests.jsonl` beside this
file (env `OV_REQUEST_RECORD` overrides the path): `request_id` (the id the log line "Request complete:
id=..." carries), `backend` "ov-llm-server", `host`, `pid`, `device`, `model` (as requested), `model_path`
(the directory that answered), `fallback` (true when the name was not in the registry), `stream`,
`max_tokens`, `temperature`, `client`, `headers` (x-request-id, x-litellm-call-id, user-agent when sent),
`started`/`finished` (unix time), `seconds`, `content` and `content_chars`. A streamed request is recorded
when its stream ends.
"""
import json
import logging
import os
import queue
import socket
import sys
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

# twin only: `import openvino` would send a usage event to Google Analytics (openvino_telemetry, on by
# default); blocked, OpenVINO falls back to its no-op stub. See lab/ovmodel.py.
sys.modules.setdefault("openvino_telemetry", None)

import openvino_genai as ov_genai  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import JSONResponse, StreamingResponse  # noqa: E402
from pydantic import BaseModel  # noqa: E402

REGISTRY_PATH = os.path.expanduser(
    os.environ.get("OV_REGISTRY_PATH", "~/models/converted_models/registry.json")
)
MODEL_PATH = os.path.expanduser(
    os.environ.get(
        "OV_MODEL_PATH",
        "~/models/converted_models/ov-qwen2-5-3b-instruct-fp16/task-text-generation-with-past__wf-fp16",
    )
)
DEVICE = os.environ.get("OV_TWIN_DEVICE") or os.environ.get("OV_DEVICE", "GPU")  # twin: OV_TWIN_DEVICE wins
LOG_LEVEL = os.environ.get("OV_LOG_LEVEL", "INFO").upper()
RECORD_PATH = os.environ.get("OV_REQUEST_RECORD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "requests.jsonl")
RECORD_HEADERS = ("x-request-id", "x-litellm-call-id", "user-agent")

logging.basicConfig(level=LOG_LEVEL, format="%(asctime)s %(levelname)s %(message)s")
logger = logging.getLogger("ov-llm-server")

app = FastAPI()
_PIPELINES: Dict[str, ov_genai.LLMPipeline] = {}
_REGISTRY: Dict[str, Dict[str, Any]] = {}
_REGISTRY_MTIME = 0.0
_REGISTRY_LOCK = threading.Lock()
_GENERATE_LOCK = threading.Lock()
_RECORD_LOCK = threading.Lock()


def read_registry() -> Tuple[Dict[str, Dict[str, Any]], float]:
    if not os.path.exists(REGISTRY_PATH):
        return {}, 0.0
    try:
        mtime = os.path.getmtime(REGISTRY_PATH)
        with open(REGISTRY_PATH, "r", encoding="utf-8") as handle:
            data = json.load(handle)
        models = data.get("models", {}) if isinstance(data, dict) else {}
        return models, mtime
    except (OSError, json.JSONDecodeError):
        return {}, 0.0


def refresh_registry(force: bool = False) -> None:
    global _REGISTRY_MTIME
    with _REGISTRY_LOCK:
        models, mtime = read_registry()
        if not force and mtime <= _REGISTRY_MTIME:
            return
        previous = _REGISTRY.copy()
        _REGISTRY.clear()
        _REGISTRY.update(models)
        _REGISTRY_MTIME = mtime

        changed = []
        for name, entry in previous.items():
            new_entry = models.get(name)
            if not new_entry or new_entry.get("path") != entry.get("path"):
                changed.append(name)
        for name in changed:
            _PIPELINES.pop(name, None)
        if changed:
            logger.info("Registry updated: reloaded=%d invalidated=%s", len(models), ",".join(changed))


_REGISTRY, _REGISTRY_MTIME = read_registry()
logger.info(
    "Startup config: device=%s registry_path=%s fallback_model=%s registry_models=%d",
    DEVICE,
    REGISTRY_PATH,
    MODEL_PATH,
    len(_REGISTRY),
)


class FunctionCall(BaseModel):
    name: str
    arguments: str


class ToolCall(BaseModel):
    id: str
    type: str = "function"
    function: FunctionCall


class ChatMessage(BaseModel):
    role: str
    content: Optional[str] = None
    tool_calls: Optional[List[ToolCall]] = None


class ChatCompletionRequest(BaseModel):
    model: str
    messages: List[ChatMessage]
    tools: Optional[List[Dict[str, Any]]] = None
    stream: bool = False
    temperature: float = 0.7
    max_tokens: int = 1024


def model_path_for(model_name: str) -> str:
    model_entry = _REGISTRY.get(model_name)
    model_path = model_entry.get("path") if model_entry else None
    return model_path or MODEL_PATH


def get_pipeline(model_name: str) -> ov_genai.LLMPipeline:
    if model_name in _PIPELINES:
        return _PIPELINES[model_name]

    model_path = model_path_for(model_name)

    start = time.time()
    pipeline = ov_genai.LLMPipeline(model_path, DEVICE)
    elapsed = time.time() - start
    logger.info(
        "Loaded model: name=%s path=%s device=%s time=%.2fs",
        model_name,
        model_path,
        DEVICE,
        elapsed,
    )
    _PIPELINES[model_name] = pipeline
    return pipeline


def build_prompt(
    model_name: str, messages: List[ChatMessage], tools: Optional[List[Dict[str, Any]]]
) -> str:
    pipe = get_pipeline(model_name)
    tokenizer = pipe.get_tokenizer()
    payload = [{"role": m.role, "content": m.content or ""} for m in messages]
    if tools:
        payload.insert(
            0,
            {
                "role": "system",
                "content": (
                    "You can call tools. When you want to call a tool, respond with a "
                    'JSON object like {"name":"tool_name","arguments":"{...}"} and no '
                    "extra text."
                ),
            },
        )
    return tokenizer.apply_chat_template(
        payload, add_generation_prompt=True, chat_template=""
    )


def build_config(req: ChatCompletionRequest) -> ov_genai.GenerationConfig:
    config = ov_genai.GenerationConfig()
    config.max_new_tokens = req.max_tokens
    config.do_sample = True
    config.temperature = req.temperature
    return config


def extract_tool_call(
    text: str, tools: Optional[List[Dict[str, Any]]]
) -> Optional[ToolCall]:
    if not tools:
        return None
    try:
        obj = json.loads(text.strip())
        name = obj.get("name")
        arguments = obj.get("arguments")
        if isinstance(name, str) and isinstance(arguments, str):
            return ToolCall(
                id="call_0", function=FunctionCall(name=name, arguments=arguments)
            )
    except json.JSONDecodeError:
        pass
    tool = tools[0]
    function = tool.get("function", {})
    name = function.get("name") or tool.get("name") or "tool"
    return ToolCall(
        id="call_0",
        function=FunctionCall(name=name, arguments="{}"),
    )


def generate_text(prompt: str, config: ov_genai.GenerationConfig, model_name: str) -> str:
    pipe = get_pipeline(model_name)
    parts: List[str] = []
    done = threading.Event()
    token_queue: "queue.Queue[Optional[str]]" = queue.Queue()

    def callback(subword: str) -> bool:
        token_queue.put(subword)
        return False

    def run_generate() -> None:
        try:
            with _GENERATE_LOCK:
                pipe.generate(prompt, config, callback)
        finally:
            done.set()
            token_queue.put(None)

    thread = threading.Thread(target=run_generate, daemon=True)
    thread.start()

    # twin: read until the end marker. The original loops `while not done.is_set()` (line 209), which drops
    # the pieces still queued when generation ends: a fast model loses the end of non-streamed answers.
    while True:
        token = token_queue.get()
        if token is None:
            break
        parts.append(token)
    return "".join(parts)


def stream_tokens(prompt: str, config: ov_genai.GenerationConfig, model_name: str):
    pipe = get_pipeline(model_name)
    token_queue: "queue.Queue[Optional[str]]" = queue.Queue()

    def callback(subword: str) -> bool:
        token_queue.put(subword)
        return False

    def run_generate() -> None:
        try:
            with _GENERATE_LOCK:
                pipe.generate(prompt, config, callback)
        finally:
            token_queue.put(None)

    thread = threading.Thread(target=run_generate, daemon=True)
    thread.start()
    while True:
        token = token_queue.get()
        if token is None:
            break
        yield token


def stream_chat_response(
    text_stream, model_name: str, tool_call: Optional[ToolCall]
):
    created = int(time.time())
    yield (
        "data: "
        + json.dumps(
            {
                "id": "chatcmpl-stream",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model_name,
                "choices": [{"index": 0, "delta": {"role": "assistant"}}],
            }
        )
        + "\n\n"
    )

    if tool_call:
        yield (
            "data: "
            + json.dumps(
                {
                    "id": "chatcmpl-stream",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model_name,
                    "choices": [
                        {
                            "index": 0,
                            "delta": {
                                "tool_calls": [
                                    {
                                        "id": tool_call.id,
                                        "type": "function",
                                        "function": {
                                            "name": tool_call.function.name,
                                            "arguments": tool_call.function.arguments,
                                        },
                                    }
                                ]
                            },
                            "finish_reason": "tool_calls",
                        }
                    ],
                }
            )
            + "\n\n"
        )
    else:
        for token in text_stream:
            yield (
                "data: "
                + json.dumps(
                    {
                        "id": "chatcmpl-stream",
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": model_name,
                        "choices": [
                            {"index": 0, "delta": {"content": token}}
                        ],
                    }
                )
                + "\n\n"
            )
        yield (
            "data: "
            + json.dumps(
                {
                    "id": "chatcmpl-stream",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model_name,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
            )
            + "\n\n"
        )
    yield "data: [DONE]\n\n"


# --- twin-only: the request record (not part of the API) ---------------------------------------------------

def _record(entry: Dict[str, Any]) -> None:
    """Append one JSON line to the request record; a record that cannot be written is logged, never fatal."""
    entry["finished"] = round(time.time(), 3)
    entry["seconds"] = round(entry["finished"] - entry["started"], 4)
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    try:
        with _RECORD_LOCK, open(RECORD_PATH, "a", encoding="utf-8") as handle:
            handle.write(line)
    except OSError as exc:
        logger.warning("Request record not written: path=%s error=%s", RECORD_PATH, exc)


def _record_entry(request_id: str, request: ChatCompletionRequest, raw_request: Request,
                  client_host: str, start: float) -> Dict[str, Any]:
    return {
        "request_id": request_id, "backend": "ov-llm-server", "host": socket.gethostname(), "pid": os.getpid(),
        "device": DEVICE, "model": request.model, "model_path": model_path_for(request.model),
        "fallback": request.model not in _REGISTRY, "stream": request.stream, "max_tokens": request.max_tokens,
        "temperature": request.temperature, "client": client_host,
        "headers": {h: raw_request.headers[h] for h in RECORD_HEADERS if h in raw_request.headers},
        "started": round(start, 3),
    }


def _recorded(text_stream, entry: Dict[str, Any]):
    """Pass a stream's text pieces through, then record the whole answer when the stream ends."""
    parts: List[str] = []
    try:
        for piece in text_stream:
            parts.append(piece)
            yield piece
    finally:
        entry["content"] = "".join(parts)
        entry["content_chars"] = len(entry["content"])
        _record(entry)


# --- routes ------------------------------------------------------------------------------------------------

@app.get("/health")
def health() -> Dict[str, Any]:
    loaded_models = sorted(_PIPELINES.keys())
    return {
        "status": "ok",
        "device": DEVICE,
        "models": len(_REGISTRY),
        "loaded_models": loaded_models,
        "loaded_models_count": len(loaded_models),
    }


@app.get("/v1/models")
def list_models() -> Dict[str, Any]:
    registry, _ = read_registry()
    data = [
        {"id": name, "object": "model", "owned_by": "local"}
        for name in sorted(registry.keys())
    ]
    return {"object": "list", "data": data}


@app.post("/v1/chat/completions")
def chat_completions(request: ChatCompletionRequest, raw_request: Request):
    request_id = uuid.uuid4().hex[:8]
    start = time.time()
    model_name = request.model
    client_host = raw_request.client.host if raw_request.client else "unknown"
    refresh_registry()
    if model_name not in _REGISTRY and REGISTRY_PATH:
        refresh_registry(force=True)
        logger.info("Reloaded registry for missing model: %s", model_name)
    prompt = build_prompt(model_name, request.messages, request.tools)
    config = build_config(request)
    created = int(time.time())
    entry = _record_entry(request_id, request, raw_request, client_host, start)

    if request.stream:
        if request.tools:
            text = generate_text(prompt, config, model_name)
            tool_call = extract_tool_call(text, request.tools)
            response = StreamingResponse(
                stream_chat_response([], model_name, tool_call),
                media_type="text/event-stream",
            )
            entry.update(content=text, content_chars=len(text), tool_call=tool_call.function.name)
            _record(entry)
            logger.info(
                "Request complete: id=%s model=%s stream=%s client=%s time=%.2fs",
                request_id,
                model_name,
                request.stream,
                client_host,
                time.time() - start,
            )
            return response
        response = StreamingResponse(
            stream_chat_response(_recorded(stream_tokens(prompt, config, model_name), entry), model_name, None),
            media_type="text/event-stream",
        )
        logger.info(
            "Request complete: id=%s model=%s stream=%s client=%s time=%.2fs",
            request_id,
            model_name,
            request.stream,
            client_host,
            time.time() - start,
        )
        return response

    text = generate_text(prompt, config, model_name)
    tool_call = extract_tool_call(text, request.tools)
    message: Dict[str, Any]
    finish_reason = "stop"
    if tool_call:
        message = {"role": "assistant", "content": None, "tool_calls": [tool_call.dict()]}
        finish_reason = "tool_calls"
    else:
        message = {"role": "assistant", "content": text}

    response = JSONResponse(
        {
            "id": "chatcmpl-0",
            "object": "chat.completion",
            "created": created,
            "model": model_name,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish_reason,
                }
            ],
        }
    )
    entry.update(content=text, content_chars=len(text))
    if tool_call:
        entry["tool_call"] = tool_call.function.name
    _record(entry)
    logger.info(
        "Request complete: id=%s model=%s stream=%s client=%s time=%.2fs",
        request_id,
        model_name,
        request.stream,
        client_host,
        time.time() - start,
    )
    return response


def main():
    print("Run with: uv run uvicorn main:app --host 0.0.0.0 --port 9000")


if __name__ == "__main__":
    main()
