"""ov-llm-server with real OpenVINO GenAI inference, on loopback, no twin.

The tiny model is built in a temporary directory (lab/ovmodel.py); the app (lab/standins/ov_server.py) is
installed as `main.py` in a temporary `ov-llm-server/` with a registry.json, and served by the real uvicorn
on 127.0.0.1 and a free port, as the twin's `uv run uvicorn main:app ...` serves it; the test stops it by
its PID. Requests go through the official `openai` client (no retries, explicit timeouts). Times are
printed (`pytest -s`).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import openai
import pytest

from lab import ovmodel  # first: it keeps OpenVINO's usage telemetry off in this process
from lab.paths import STANDINS

import openvino as ov  # noqa: E402  (isort: after lab.ovmodel)
import openvino_genai  # noqa: E402

MODEL = "qwen2.5-3b-instruct-int4-ov"  # the lab's registry name (lab/app_data.py OV_DEFAULT_MODEL)
FINISH_REASONS = {"stop", "length", "tool_calls", "content_filter", "function_call"}
START_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("models") / MODEL
    started = time.monotonic()
    summary = ovmodel.build(path)
    print(f"\nmodel built in {time.monotonic() - started:.2f} s: {summary}")
    return path


class App:
    def __init__(self, base: str, directory: Path, process: subprocess.Popen, initial_health: dict, seconds: float):
        self.base, self.directory, self.process = base, directory, process
        self.initial_health, self.start_seconds = initial_health, seconds
        self.client = openai.OpenAI(base_url=f"{base}/v1", api_key="sk-twin-test", max_retries=0,
                                    timeout=openai.Timeout(30.0, connect=5.0))

    def chat(self, content: str, max_tokens: int = 12, model: str = MODEL, **kwargs):
        started = time.monotonic()
        reply = self.client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": content}], max_tokens=max_tokens, **kwargs)
        return reply, time.monotonic() - started

    def records(self) -> list[dict]:
        path = self.directory / "requests.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory):
    """ov-llm-server as the twin lays it out: ~/ov-llm-server/main.py, registry.json, the env file's keys."""
    home = tmp_path_factory.mktemp("home")
    app_dir = home / "ov-llm-server"
    app_dir.mkdir()
    shutil.copy(STANDINS / "ov_server.py", app_dir / "main.py")
    registry = home / "registry.json"
    registry.write_text(json.dumps({"version": 1, "models": {MODEL: {"path": str(model_dir), "device": "CPU"}}}))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(OV_REGISTRY_PATH=str(registry), OV_DEVICE="CPU", OV_MODEL_PATH=str(model_dir),
               PYTHONDONTWRITEBYTECODE="1", NO_PROXY="*")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(home / "server.log", "wb")
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1",
                                "--port", str(port), "--workers", "1"],
                               cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        health = _wait_healthy(base, process, home / "server.log")
        seconds = time.monotonic() - started
        print(f"\napp answered /health {seconds:.2f} s after start (pid {process.pid})")
        yield App(base, app_dir, process, health, seconds)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def _wait_healthy(base: str, process: subprocess.Popen, log: Path) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ov-llm-server exited {process.returncode} at start:\n{log.read_text()[-3000:]}")
        try:
            reply = httpx.get(f"{base}/health", timeout=1.0)
            if reply.status_code == 200:
                return reply.json()
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"ov-llm-server did not answer /health within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def reference(model_dir):
    """The same model, in this process, called as ov-llm-server calls it: the answers the app must give."""
    pipe = openvino_genai.LLMPipeline(str(model_dir), "CPU")

    def answer(content: str, max_tokens: int) -> tuple[str, int]:
        prompt = pipe.get_tokenizer().apply_chat_template([{"role": "user", "content": content}],
                                                          add_generation_prompt=True, chat_template="")
        config = openvino_genai.GenerationConfig()
        config.max_new_tokens, config.do_sample, config.temperature = max_tokens, True, 0.7
        result = pipe.generate([prompt], config)
        return result.texts[0], result.perf_metrics.get_num_generated_tokens()

    return answer


# --- the model ---------------------------------------------------------------------------------------------

def test_model_has_the_shape_genai_expects(model_dir):
    for name in ("openvino_model.xml", "openvino_model.bin", "openvino_tokenizer.xml", "openvino_detokenizer.xml",
                 "generation_config.json", "config.json", "tokenizer.json", "tokenizer_config.json"):
        assert (model_dir / name).is_file(), name
    model = ov.Core().read_model(model_dir / "openvino_model.xml")
    assert [i.get_any_name() for i in model.inputs] == ["input_ids", "attention_mask", "position_ids", "beam_idx"]
    assert [o.get_any_name() for o in model.outputs] == ["logits"]
    states = sorted(v.info.variable_id for v in model.get_variables())
    assert states == sorted(f"past_key_values.{n}.{kind}" for n in range(ovmodel.LAYERS) for kind in ("key", "value"))
    generation = json.loads((model_dir / "generation_config.json").read_text())
    assert generation["eos_token_id"], generation


def test_openvino_sends_no_usage_telemetry():
    """lab.ovmodel (and the app, before its first import of OpenVINO) block openvino_telemetry, so OpenVINO's
    model-conversion API, imported by `import openvino`, uses its no-op stub and sends nothing."""
    from openvino.tools.ovc import telemetry_utils

    assert sys.modules.get("openvino_telemetry") is None
    assert telemetry_utils.tm.__name__ == "openvino.tools.ovc.telemetry_stub"
    app = (STANDINS / "ov_server.py").read_text()
    assert app.index('sys.modules.setdefault("openvino_telemetry", None)') < app.index("import openvino_genai")


def test_builds_are_identical(model_dir, tmp_path):
    ovmodel.build(tmp_path / "again")
    for name in ("openvino_model.bin", "openvino_tokenizer.bin", "openvino_detokenizer.bin"):
        assert (tmp_path / "again" / name).read_bytes() == (model_dir / name).read_bytes(), name


def test_kv_cache_gives_what_a_full_forward_pass_gives(model_dir):
    """genai's token-by-token generation (KV cache in the model state) equals the argmax of one pass over
    the prompt and the generated tokens together: the state is read, re-ordered and written right."""
    pipe = openvino_genai.LLMPipeline(str(model_dir), "CPU", ATTENTION_BACKEND="SDPA")  # the stateful path
    prompt = pipe.get_tokenizer().encode("<|im_start|>user\nstate check<|im_end|>\n<|im_start|>assistant\n")
    config = openvino_genai.GenerationConfig()
    config.max_new_tokens = 10
    generated = list(pipe.generate(prompt, config).tokens[0])
    ids = prompt.input_ids.data[0].tolist() + generated
    compiled = ov.Core().compile_model(model_dir / "openvino_model.xml", "CPU")
    n = len(ids)
    logits = compiled.create_infer_request().infer({
        "input_ids": np.array([ids]), "attention_mask": np.ones((1, n), np.int64),
        "position_ids": np.arange(n, dtype=np.int64)[None], "beam_idx": np.zeros(1, np.int32)})["logits"]
    assert logits[0].argmax(-1)[n - len(generated) - 1:n - 1].tolist() == generated


# --- the API (homelab-llm services/ov-llm-server/main.py) ---------------------------------------------------

def test_health_and_models(app):
    assert app.initial_health == {"status": "ok", "device": "CPU", "models": 1, "loaded_models": [],
                                  "loaded_models_count": 0}
    reply = httpx.get(f"{app.base}/v1/models", timeout=5.0)
    assert reply.status_code == 200
    assert reply.json() == {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "local"}]}


def test_chat_completion(app):
    raw = app.client.chat.completions.with_raw_response.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello there"}], max_tokens=12)
    body = raw.http_response.json()
    reply = raw.parse()
    assert reply.id == "chatcmpl-0"
    assert "usage" not in body and reply.usage is None
    assert reply.model == MODEL and reply.object == "chat.completion"
    assert len(reply.choices) == 1 and reply.choices[0].finish_reason in FINISH_REASONS
    assert reply.choices[0].message.role == "assistant" and reply.choices[0].message.content
    health = httpx.get(f"{app.base}/health", timeout=5.0).json()
    assert health["loaded_models"] == [MODEL] and health["loaded_models_count"] == 1
    latencies = [app.chat("Hello there")[1] for _ in range(5)]
    print(f"\nanswer of 12 tokens: {min(latencies) * 1000:.1f}-{max(latencies) * 1000:.1f} ms per request")


def test_streaming(app):
    started = time.monotonic()
    stream = app.client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello there"}], max_tokens=12, stream=True)
    chunks = list(stream)  # ends: the client stops at data: [DONE]
    seconds = time.monotonic() - started
    assert chunks and {c.id for c in chunks} == {"chatcmpl-stream"}
    assert {c.model for c in chunks} == {MODEL}
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason is not None]
    assert len(finishes) == 1 and finishes[0] in FINISH_REASONS and chunks[-1].choices[0].finish_reason
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text and text == app.chat("Hello there")[0].choices[0].message.content
    print(f"\nstreamed answer of 12 tokens in {len(chunks)} chunks: {seconds * 1000:.1f} ms")


def test_unknown_model_falls_back(app):
    reply, _ = app.chat("Hello there", model="no-such-model")
    assert reply.id == "chatcmpl-0" and reply.model == "no-such-model"
    assert reply.choices[0].message.content == app.chat("Hello there")[0].choices[0].message.content
    health = httpx.get(f"{app.base}/health", timeout=5.0).json()
    assert "no-such-model" in health["loaded_models"] and health["models"] == 1  # cached under the asked name


def test_max_tokens_sets_the_length(app, reference):
    short, long = (app.chat("How long is this answer?", max_tokens=n)[0].choices[0].message.content for n in (2, 12))
    assert long.startswith(short) and len(long) > len(short) >= 2 and len(long) >= 12  # a token: 1+ visible chars
    for n, text in ((2, short), (12, long)):
        expected, generated = reference("How long is this answer?", n)
        assert (text, generated) == (expected, n)


def test_answers_come_from_the_model(app):
    prompts = ["Hello there", "What is the weather?", "Write a haiku about servers", "ping"]
    answers = [app.chat(p)[0].choices[0].message.content for p in prompts]
    assert len(set(answers)) == len(prompts), answers  # the prompt matters
    assert answers == [app.chat(p)[0].choices[0].message.content for p in prompts]  # sampled, yet reproducible
    print(f"\nanswers: {dict(zip(prompts, answers))}")


def test_temperature_zero_answers_empty_like_the_original(app):
    """genai refuses temperature 0 when sampling; ov-llm-server generates in a thread, so the error ends
    the answer (200, empty content) instead of failing the request."""
    reply, _ = app.chat("Hello there", temperature=0.0)
    assert reply.id == "chatcmpl-0" and reply.choices[0].message.content == ""


def test_the_backend_records_what_it_answered(app):
    marker = uuid.uuid4().hex
    reply, _ = app.chat("recorded", max_tokens=5, model="no-such-model", extra_headers={"x-request-id": marker})
    streamed = app.client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "recorded"}], max_tokens=5, stream=True,
        extra_headers={"x-request-id": marker + "-stream"})
    text = "".join(c.choices[0].delta.content or "" for c in streamed)
    records = {r["headers"].get("x-request-id"): r for r in app.records()}
    plain, stream = records[marker], records[marker + "-stream"]
    assert plain["content"] == reply.choices[0].message.content and stream["content"] == text
    assert (plain["model"], plain["fallback"], plain["stream"], plain["max_tokens"]) == ("no-such-model", True, False, 5)
    assert (stream["model"], stream["fallback"], stream["stream"]) == (MODEL, False, True)
    for record in (plain, stream):
        assert record["backend"] == "ov-llm-server" and record["device"] == "CPU"
        assert record["pid"] == app.process.pid and record["model_path"].endswith(MODEL)
        assert len(record["request_id"]) == 8 and record["finished"] >= record["started"]
