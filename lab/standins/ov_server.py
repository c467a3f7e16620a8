"""ov-llm-server stand-in (twin), installed as ~/ov-llm-server/main.py and served by the real uvicorn.

Same routes and reply shape as the OpenVINO server, no model: GET /health, GET /v1/models and
POST /v1/chat/completions. Like the real one, replies carry a fixed id and no `usage`, and an unknown
model silently falls back to the default model. The reply text names the backend ("ov-stand-in: ...")
so a contract test can prove which backend answered.
"""
import json
import os
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

REPLY_ID = "chatcmpl-ov-llm-server"
DEVICE = os.environ.get("OV_DEVICE", "CPU")


def load_registry() -> tuple[str, list[str]]:
    """registry.json: {"default_model": id, "models": {id: {"path": ...}}}; a missing registry stops the server."""
    with open(os.environ["OV_REGISTRY_PATH"]) as f:
        registry = json.load(f)
    models = list(registry["models"])
    return registry.get("default_model", models[0]), models


DEFAULT_MODEL, MODELS = load_registry()
app = FastAPI(title="ov-llm-server")


@app.get("/health")
def health():
    return {"status": "ok", "device": DEVICE}


@app.get("/v1/models")
def list_models():
    return {"object": "list",
            "data": [{"id": m, "object": "model", "created": 0, "owned_by": "openvino"} for m in MODELS]}


def _content(model: str, messages: list) -> str:
    last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
    if isinstance(last, list):  # content parts
        last = " ".join(p.get("text", "") for p in last if isinstance(p, dict))
    return f"ov-stand-in: {model} on {DEVICE} answered {len(str(last))} chars of input"


@app.post("/v1/chat/completions")
async def chat_completions(request: Request):
    body = await request.json()
    model = body.get("model") if body.get("model") in MODELS else DEFAULT_MODEL
    content = _content(model, body.get("messages") or [])
    created = int(time.time())
    if body.get("stream"):
        return StreamingResponse(_stream(model, content, created), media_type="text/event-stream")
    return JSONResponse({
        "id": REPLY_ID, "object": "chat.completion", "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    })


def _stream(model: str, content: str, created: int):
    def chunk(delta, finish=None):
        data = {"id": REPLY_ID, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(data)}\n\n"
    yield chunk({"role": "assistant", "content": ""})
    yield chunk({"content": content})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
