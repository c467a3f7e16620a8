"""The chatgpt-5 adapter stand-in: what the owner's adapter answers, with a canned upstream that never leaves the twin.

It runs as litellm-orch's run-service.sh starts it, `python -m uvicorn chatgpt5_adapter:app --host 127.0.0.1
--port P`, on the checkout's venv (mini's stand-ins may), and in process with every outbound connection refused.
"""
from __future__ import annotations

import importlib.util
import json
import re
import socket
import sys

import httpx
import pytest
from fastapi.testclient import TestClient

from lab.paths import STANDINS
from selftest.standins import environment, free_port, start

DEEP = {"LLMSTER_DEEP_API_BASE": "http://192.168.1.72:8126/v1", "LLMSTER_DEEP_MODEL": "openai/llmster-gpt-oss-120b"}
CHAT_ID = re.compile(r"chatcmpl_[0-9a-f]{32}")


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    directory = tmp_path_factory.mktemp("adapter")
    port = free_port()
    env = environment(**DEEP, CHATGPT5_TWIN_RECORD=str(directory / "requests.jsonl"),
                      CHATGPT5_TWIN_FAULT_FILE=str(directory / "fault"))
    process = start([sys.executable, "-m", "uvicorn", "chatgpt5_adapter:app", "--app-dir", str(STANDINS),
                     "--host", "127.0.0.1", "--port", str(port)], directory / "out.log", env,
                    f"http://127.0.0.1:{port}/health")
    process.base, process.dir = f"http://127.0.0.1:{port}", directory
    yield process
    process.stop()


def test_health_and_models_answer_as_the_owner_s_adapter(adapter):
    health = httpx.get(adapter.base + "/health", timeout=5.0)
    assert health.json() == {"status": "ok"} and health.headers["content-type"] == "application/json"
    assert httpx.get(adapter.base + "/v1/models", timeout=5.0).json() == {
        "data": [{"id": "openai/gpt-5.3-codex", "object": "model", "owned_by": "chatgpt-5-adapter"}]}


def test_a_chat_answer_is_the_adapter_s_own_shape_and_a_stream_request_gets_json(adapter):
    for stream in (False, True):
        answer = httpx.post(adapter.base + "/v1/chat/completions", timeout=5.0, json={
            "model": "chatgpt-5", "stream": stream, "tools": [{"type": "function"}],
            "messages": [{"role": "user", "content": "say something"}]})
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        body = answer.json()
        assert list(body) == ["id", "object", "created", "model", "choices", "usage"]
        assert CHAT_ID.fullmatch(body["id"]) and body["model"] == "openai/gpt-5.3-codex"
        assert body["choices"] == [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": body["choices"][0]["message"]["content"]}}]
        assert body["usage"]["prompt_tokens"] == 2 and body["usage"]["total_tokens"] == sum(
            body["usage"][k] for k in ("prompt_tokens", "completion_tokens"))


def test_a_responses_answer_and_the_input_fallback(adapter):
    body = httpx.post(adapter.base + "/v1/responses", json={"input": "hello there"}, timeout=5.0).json()
    assert list(body) == ["id", "object", "created_at", "status", "model", "output", "output_text", "usage"]
    assert body["id"].startswith("resp_") and body["output"][0]["id"].startswith("msg_")
    assert body["output"][0]["content"][0]["text"] == body["output_text"]
    chat = httpx.post(adapter.base + "/v1/chat/completions", json={"input": "via input"}, timeout=5.0)
    assert chat.status_code == 200, "chat falls back to `input` when there are no messages"


def test_no_text_is_400_and_a_body_that_is_not_json_is_starlette_s_500(adapter):
    empty = httpx.post(adapter.base + "/v1/chat/completions", json={"messages": []}, timeout=5.0)
    assert (empty.status_code, empty.json()) == (400, {"detail": "chatgpt-5 requires text input in messages or input"})
    broken = httpx.post(adapter.base + "/v1/chat/completions", content=b"{", timeout=5.0,
                        headers={"content-type": "application/json"})
    assert (broken.status_code, broken.text) == (500, "Internal Server Error")


def test_the_upstream_down_fault_is_the_adapter_s_502(adapter):
    (adapter.dir / "fault").write_text("upstream-down\n")
    try:
        chat = httpx.post(adapter.base + "/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]})
        assert chat.status_code == 502 and "could not extract assistant text" in chat.json()["detail"]
        responses = httpx.post(adapter.base + "/v1/responses", json={"input": "x"})
        assert responses.json() == {"detail": "chatgpt-5 adapter could not build a valid /v1/responses payload"}
    finally:
        (adapter.dir / "fault").unlink()
    records = [json.loads(line) for line in (adapter.dir / "requests.jsonl").read_text().splitlines()]
    assert {r["status"] for r in records} >= {200, 400, 502}


def _module():
    spec = importlib.util.spec_from_file_location("twin_chatgpt5_adapter", STANDINS / "chatgpt5_adapter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_never_contacts_anything(monkeypatch):
    """Every answer is made with outbound connections refused: the paid upstream is never called."""
    attempts = []

    def refuse(self, address):
        attempts.append(address)
        raise OSError("the twin's chatgpt-5 adapter must not connect anywhere")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    for name, value in DEEP.items():
        monkeypatch.setenv(name, value)
    client = TestClient(_module().app)
    assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]}).status_code == 200
    assert client.post("/v1/responses", json={"input": "x"}).status_code == 200
    assert attempts == []


def test_without_the_deep_fallback_settings_the_first_request_is_a_500(monkeypatch):
    for name in DEEP:
        monkeypatch.delenv(name, raising=False)
    client = TestClient(_module().app, raise_server_exceptions=False)
    assert client.get("/health").status_code == 200
    answer = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "x"}]})
    assert (answer.status_code, answer.text) == (500, "Internal Server Error")
