"""The vLLM lane stand-in (`vllm serve`) on loopback, no twin: vLLM's OpenAI server answers and the twin's controls.

Started as the owner's mlxctl compiles a lane's command line, with --api-key on one instance and without on
another; its fault file, delay file and request record are in a temporary directory.
"""
from __future__ import annotations

import json
import re
import subprocess
import time

import httpx
import openai
import pytest

from lab.paths import STANDINS
from selftest.standins import PYTHON, environment, free_port, start

SERVED = "mlx-qwen3-next-80b-mxfp4-a3b-instruct"
ROOT = "mlx-community/Qwen3-Next-80B-A3B-Instruct"
KEY = "lane-key"
CHAT_ID = re.compile(r"chatcmpl-[0-9a-f]{16}")


class Lane:
    def __init__(self, directory, api_key: str | None):
        self.dir, self.port = directory, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.fault, self.record = directory / "fault", directory / "requests.jsonl"
        argv = [PYTHON, str(STANDINS / "vllm_serve.py"), "serve", ROOT, "--served-model-name", SERVED,
                "--host", "127.0.0.1", "--port", str(self.port), "--max-model-len", "65536",
                "--generation-config", "vllm", "--no-async-scheduling", "--enable-auto-tool-choice",
                "--tool-call-parser", "hermes"] + (["--api-key", api_key] if api_key else [])
        self.headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        env = environment(VLLM_TWIN_FAULT_FILE=str(self.fault), VLLM_TWIN_RECORD=str(self.record))
        self.process = start(argv, directory / "out.log", env, self.base + "/health")

    def post(self, body, **kw) -> httpx.Response:
        return httpx.post(self.base + "/v1/chat/completions", json=body, headers={**self.headers, **kw}, timeout=5.0)

    def client(self, key: str = KEY) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base + "/v1", api_key=key, max_retries=0, timeout=5.0)


@pytest.fixture(scope="module")
def lane(tmp_path_factory):
    lane = Lane(tmp_path_factory.mktemp("vllm"), KEY)
    yield lane
    lane.process.stop()


@pytest.fixture(scope="module")
def open_lane(tmp_path_factory):
    lane = Lane(tmp_path_factory.mktemp("vllm-open"), None)
    yield lane
    lane.process.stop()


@pytest.fixture
def fault(lane):
    yield lambda word: lane.fault.write_text(word + "\n")
    lane.fault.unlink(missing_ok=True)


def test_health_is_200_with_an_empty_body_and_version_answers(lane):
    health = httpx.get(lane.base + "/health", timeout=5.0)
    assert (health.status_code, health.content, health.headers["content-length"]) == (200, b"", "0")
    assert list(health.headers)[:2] == ["date", "server"] and health.headers["server"] == "uvicorn"
    assert httpx.get(lane.base + "/version", timeout=5.0).json() == {"version": "0.19.0"}
    assert httpx.post(lane.base + "/ping", timeout=5.0).status_code == 200


def test_the_api_key_guards_v1_only(lane):
    for path in ("/v1/models", "/v1/chat/completions", "/v1/whatever"):
        refused = httpx.get(lane.base + path, timeout=5.0)
        assert (refused.status_code, refused.json()) == (401, {"error": "Unauthorized"})
    assert httpx.get(lane.base + "/v1/models", headers={"authorization": "Bearer nope"}).status_code == 401
    assert httpx.get(lane.base + "/health", timeout=5.0).status_code == 200
    assert httpx.get(lane.base + "/nope", timeout=5.0).json() == {"detail": "Not Found"}
    with pytest.raises(openai.AuthenticationError):
        lane.client("wrong").models.list()


def test_models_lists_the_served_name_with_its_root_and_max_model_len(lane):
    body = httpx.get(lane.base + "/v1/models", headers=lane.headers, timeout=5.0).json()
    assert list(body) == ["object", "data"]
    [card] = body["data"]
    assert list(card) == ["id", "object", "created", "owned_by", "root", "parent", "max_model_len", "permission"]
    assert (card["id"], card["owned_by"], card["root"], card["max_model_len"]) == (SERVED, "vllm", ROOT, 65536)
    assert re.fullmatch(r"modelperm-[0-9a-f]{16}", card["permission"][0]["id"])
    assert [m.id for m in lane.client().models.list().data] == [SERVED]


def test_a_chat_answer_is_the_whole_model_dump(lane):
    body = lane.post({"model": SERVED, "messages": [{"role": "user", "content": "hello lane"}]}).json()
    assert CHAT_ID.fullmatch(body["id"]) and body["model"] == SERVED
    assert list(body) == ["id", "object", "created", "model", "choices", "service_tier", "system_fingerprint",
                          "usage", "prompt_logprobs", "prompt_token_ids", "prompt_text", "kv_transfer_params",
                          "ec_transfer_params", "metrics"]
    message = body["choices"][0]["message"]
    assert list(message) == ["role", "content", "refusal", "audio", "function_call", "reasoning"]
    assert body["choices"][0]["finish_reason"] == "stop"
    assert list(body["usage"]) == ["prompt_tokens", "total_tokens", "completion_tokens", "completion_tokens_details"]
    cut = lane.client().chat.completions.create(model=SERVED, max_tokens=3,
                                                messages=[{"role": "user", "content": "hello lane"}])
    assert cut.usage.completion_tokens == 3 and cut.choices[0].finish_reason == "length"
    assert lane.post({"messages": [{"role": "user", "content": "x"}]}, **{"x-request-id": "abc"}).json()["id"] == \
        "chatcmpl-abc"


def test_an_unknown_model_is_404_with_its_valid_aliases(lane):
    answer = lane.post({"model": "main", "messages": [{"role": "user", "content": "x"}]})
    assert answer.status_code == 404
    assert answer.json() == {"error": {"message": f"The model `main` does not exist. Valid aliases: {SERVED}.",
                                       "type": "NotFoundError", "param": "model", "code": 404}}
    assert lane.post({"model": SERVED}).status_code == 400


def test_a_stream_ends_with_an_empty_choices_usage_chunk_only_when_asked(lane):
    chunks = list(lane.client().chat.completions.create(model=SERVED, stream=True, messages=[
        {"role": "user", "content": "stream it"}], stream_options={"include_usage": True}))
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[0].choices[0].delta.content == ""
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == len(chunks) - 3
    assert chunks[-2].choices[0].finish_reason == "stop"
    plain = list(lane.client().chat.completions.create(model=SERVED, stream=True,
                                                       messages=[{"role": "user", "content": "stream it"}]))
    assert not any(c.usage for c in plain) and plain[-1].choices[0].finish_reason == "stop"
    raw = lane.post({"model": SERVED, "stream": True, "messages": [{"role": "user", "content": "x"}]})
    assert raw.headers["content-type"] == "text/event-stream; charset=utf-8" and raw.text.endswith("data: [DONE]\n\n")
    first = json.loads(raw.text.split("\n\n")[0].removeprefix("data: "))
    assert list(first) == ["id", "object", "created", "model", "choices", "prompt_token_ids", "prompt_text"]


def test_without_api_key_v1_is_open(open_lane):
    assert open_lane.client("anything").models.list().data[0].id == SERVED


def test_engine_dead_makes_health_503_and_chat_500(lane, fault):
    fault("engine-dead")
    assert httpx.get(lane.base + "/health", timeout=5.0).status_code == 503
    dead = lane.post({"model": SERVED, "messages": [{"role": "user", "content": "x"}]})
    assert dead.status_code == 500 and dead.json()["error"]["type"] == "InternalServerError"


def test_hang_holds_the_chat_while_health_answers(lane, fault):
    fault("hang")
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(lane.base + "/v1/chat/completions", headers=lane.headers, timeout=0.5,
                   json={"model": SERVED, "messages": [{"role": "user", "content": "x"}]})
    assert httpx.get(lane.base + "/health", timeout=5.0).status_code == 200


def test_every_chat_request_leaves_a_record_line(lane):
    reply = lane.client().chat.completions.create(model=SERVED, messages=[{"role": "user", "content": "rec"}],
                                                  extra_headers={"x-litellm-call-id": "call-7"})
    time.sleep(0.1)
    records = [json.loads(line) for line in lane.record.read_text().splitlines()]
    [mine] = [r for r in records if r["request_id"] == reply.id]
    assert (mine["backend"], mine["model"], mine["status"], mine["port"]) == ("vllm", SERVED, 200, lane.port)
    assert mine["headers"]["x-litellm-call-id"] == "call-7"


def test_the_log_is_vllm_s_and_each_request_has_an_access_line(lane):
    httpx.get(lane.base + "/health", timeout=5.0)
    time.sleep(0.1)
    log = lane.process.output()
    assert re.search(r"^\(APIServer pid=\d+\) INFO \d\d-\d\d \d\d:\d\d:\d\d \[api_server\.py:1945\] Starting vLLM API "
                     rf"server 0 on http://127\.0\.0\.1:{lane.port}$", log, re.M)
    assert re.search(r'^\(APIServer pid=\d+\) INFO:     127\.0\.0\.1:\d+ - "GET /health HTTP/1\.1" 200 OK$', log, re.M)


@pytest.mark.parametrize("case", ["missing model path", "crash-at-start"])
def test_a_lane_that_cannot_start_exits_1_without_listening(tmp_path, case):
    port = free_port()
    fault = tmp_path / "fault"
    model = "/nonexistent/models/qwen" if case == "missing model path" else ROOT
    if case == "crash-at-start":
        fault.write_text("crash-at-start\n")
    done = subprocess.run([PYTHON, str(STANDINS / "vllm_serve.py"), "serve", model, "--port", str(port), "--host",
                           "127.0.0.1"], env=environment(VLLM_TWIN_FAULT_FILE=str(fault)), capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 1 and " ERROR " in done.stdout
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0)
