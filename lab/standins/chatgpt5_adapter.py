"""The chatgpt-5 adapter stand-in (twin, mini): `uvicorn chatgpt5_adapter:app --host 127.0.0.1 --port 4011`.

The owner's `services/litellm-orch/chatgpt5_adapter.py` (bebopbabailey/homelab-llm@1b54b73, 310 lines; read for its
behaviour, none of its code is here) is a FastAPI app that litellm-orch's run-service.sh starts beside the proxy
(run-service.sh:13-20). It turns LiteLLM's `chatgpt-5` route into calls to ccproxy-api (127.0.0.1:4010, a paid
subscription) with a deep-llmster fallback. Here the paid upstream is replaced by a TWIN-ONLY canned answer:
this module imports no network client and opens no connection, ever.

What it answers, as the owner's does (FastAPI: compact JSON, `content-type: application/json`):
- `GET /health` -> `{"status":"ok"}` (:281-283); `GET /v1/models` -> `{"data":[{"id":"openai/gpt-5.3-codex",
  "object":"model","owned_by":"chatgpt-5-adapter"}]}` (:286-296). The app is titled "chatgpt-5 adapter" 0.1.0
  (:270), so FastAPI's `/openapi.json` and `/docs` exist too.
- `POST /v1/chat/completions` and `POST /v1/responses` (:299-310): the body is read as JSON (not JSON, or not an
  object: the unhandled error is Starlette's 500 `Internal Server Error`, text/plain). The deep fallback's settings
  are required on the first such request: without LLMSTER_DEEP_API_BASE and LLMSTER_DEEP_MODEL the adapter raises
  (:33-46) and answers the same 500. The request is made text-only and non-streaming: `stream` is forced false
  (:106-119), so a streamed request gets one JSON answer. A request with no text (no non-empty `messages`, no
  `input` text) is 400 `{"detail":"chatgpt-5 requires text input in messages or input"}` (:96-103).
- A chat answer has the shape the adapter builds itself (:134-148): `{"id":"chatcmpl_<uuid4 hex>","object":
  "chat.completion","created","model":"openai/gpt-5.3-codex","choices":[{"index":0,"finish_reason":"stop",
  "message":{"role":"assistant","content"}}],"usage":{"prompt_tokens","completion_tokens","total_tokens"}}`; a
  Responses answer (:151-174): `{"id":"resp_<hex>","object":"response","created_at","status":"completed","model":
  "openai/gpt-5.3-codex","output":[{"id":"msg_<hex>","type":"message","role":"assistant","status":"completed",
  "content":[{"type":"output_text","text"}]}],"output_text","usage":{"input_tokens","output_tokens",
  "total_tokens"}}`. The owner's adapter returns ccproxy's own chat body verbatim when ccproxy answers the chat
  directly (:233-236); ccproxy's shape is not documented, so the twin always answers as when the adapter built
  the body (the ccproxy Responses or deep-fallback path, :238-246).
- When nothing upstream gives text: 502 `{"detail":"chatgpt-5 adapter could not extract assistant text from
  ccproxy-api or deep fallback"}` (chat, :248-251) or `{"detail":"chatgpt-5 adapter could not build a valid
  /v1/responses payload"}` (responses, :265-268): here only through the fault below.

Twin-only (no client sees them): the answer's text is CANNED (CANNED_TEXT; its usage counts words: the prompt's
and the text's); CHATGPT5_TWIN_RECORD (a file: one JSON line per chat or responses request: request_id,
endpoint, model asked, stream asked, status, the x-litellm-call-id header, time); CHATGPT5_TWIN_FAULT_FILE (a file
read on every request; the word `upstream-down` makes every upstream fail, so the adapter answers its 502).
"""
from __future__ import annotations

import json
import os
import time
import uuid

from fastapi import FastAPI, HTTPException, Request

MODEL = "openai/gpt-5.3-codex"
CANNED_TEXT = "chatgpt-5 twin: a canned answer; the paid upstream is never called from the twin."
DROPPED = {"functions", "parallel_tool_calls", "response_format", "tool_choice", "tools"}  # the owner's :16-22
NO_TEXT = "chatgpt-5 requires text input in messages or input"
FAILED = {"chat": "chatgpt-5 adapter could not extract assistant text from ccproxy-api or deep fallback",
          "responses": "chatgpt-5 adapter could not build a valid /v1/responses payload"}

app = FastAPI(title="chatgpt-5 adapter", version="0.1.0")


def _deep_fallback_configured() -> None:
    """The owner's adapter reads its config on first use and raises without the deep fallback's settings."""
    if not os.environ.get("LLMSTER_DEEP_API_BASE", "").rstrip("/") or not os.environ.get("LLMSTER_DEEP_MODEL"):
        raise RuntimeError("LLMSTER_DEEP_API_BASE and LLMSTER_DEEP_MODEL are required")


def _text(value) -> str:
    """The text in a message content, a content part or an input item (strings, parts, nested lists)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_text(item) for item in value)
    if isinstance(value, dict):
        for key in ("text", "content", "input"):
            if key in value:
                return _text(value[key] if key != "text" or not isinstance(value[key], dict)
                             else value[key].get("value"))
    return "" if value is None else str(value)


def _prompt(body: dict) -> str:
    messages = body.get("messages")
    if isinstance(messages, list) and messages:
        return " ".join(_text(m.get("content") if isinstance(m, dict) else m) for m in messages)
    text = _text(body.get("input")).strip()
    if text:
        return text
    raise HTTPException(status_code=400, detail=NO_TEXT)


def _record(entry: dict) -> None:
    path = os.environ.get("CHATGPT5_TWIN_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({**entry, "time": round(time.time(), 3)}) + "\n")


def _upstream_down() -> bool:
    try:
        with open(os.environ.get("CHATGPT5_TWIN_FAULT_FILE") or "/nonexistent", encoding="utf-8") as f:
            return f.read().strip() == "upstream-down"
    except OSError:
        return False


async def _answer(request: Request, endpoint: str) -> tuple[dict, str]:
    """(the request, its prompt), or the adapter's own errors; the upstream is the canned text."""
    body = dict(await request.json())
    _deep_fallback_configured()
    entry = {"endpoint": endpoint, "model_asked": body.get("model"), "stream_asked": bool(body.get("stream")),
             "call_id": request.headers.get("x-litellm-call-id")}
    for key in DROPPED:
        body.pop(key, None)
    try:
        prompt = _prompt(body)
    except HTTPException:
        _record({**entry, "status": 400, "request_id": None})
        raise
    if _upstream_down():
        _record({**entry, "status": 502, "request_id": None})
        raise HTTPException(status_code=502, detail=FAILED[endpoint])
    return entry, prompt


def _usage(prompt: str) -> tuple[int, int]:
    return len(prompt.split()), len(CANNED_TEXT.split())


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.get("/v1/models")
async def models() -> dict:
    return {"data": [{"id": MODEL, "object": "model", "owned_by": "chatgpt-5-adapter"}]}


@app.post("/v1/chat/completions")
async def chat_completions(request: Request) -> dict:
    entry, prompt = await _answer(request, "chat")
    prompt_tokens, completion_tokens = _usage(prompt)
    answer = {"id": f"chatcmpl_{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
              "model": MODEL,
              "choices": [{"index": 0, "finish_reason": "stop",
                           "message": {"role": "assistant", "content": CANNED_TEXT}}],
              "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens}}
    _record({**entry, "status": 200, "request_id": answer["id"]})
    return answer


@app.post("/v1/responses")
async def responses(request: Request) -> dict:
    entry, prompt = await _answer(request, "responses")
    prompt_tokens, completion_tokens = _usage(prompt)
    answer = {"id": f"resp_{uuid.uuid4().hex}", "object": "response", "created_at": int(time.time()),
              "status": "completed", "model": MODEL,
              "output": [{"id": f"msg_{uuid.uuid4().hex}", "type": "message", "role": "assistant",
                          "status": "completed", "content": [{"type": "output_text", "text": CANNED_TEXT}]}],
              "output_text": CANNED_TEXT,
              "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens}}
    _record({**entry, "status": 200, "request_id": answer["id"]})
    return answer
