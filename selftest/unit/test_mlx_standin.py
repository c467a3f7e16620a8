"""The twin's mlx-openai-server stand-in on loopback, no twin: its chat API and its twin-only controls.

The stand-in (lab/standins/mlx_openai_server.py) runs as a subprocess on 127.0.0.1 and a free port, as the
studio's launch script starts it, with its request record, fault file and delay file in a temporary
directory. Requests go through the official `openai` client (no retries, explicit timeouts); what the client
hides (headers, `data: [DONE]`, a 422 body) is read with httpx. Each test stops only the processes it
started, by their handles.
"""
from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

from lab.paths import STANDINS
from selftest import standins

MODEL_PATH = "mlx-community/Twin-Test-4bit"  # not an absolute path: the stand-in loads nothing
ANSWER_ID = re.compile(r"chatcmpl_[0-9a-f]{32}")


class StandIn(standins.StandIn):
    """One stand-in process and the files that steer it."""

    def __init__(self, directory: Path, record: Path):
        self.directory, self.port = directory, standins.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.record_path, self.fault_path, self.delay_path = record, directory / "fault", directory / "delay"
        env = standins.environment(MLX_REQUEST_RECORD=str(record), MLX_TWIN_FAULT_FILE=str(self.fault_path),
                                   MLX_TWIN_DELAY_FILE=str(self.delay_path))
        super().__init__([sys.executable, str(STANDINS / "mlx_openai_server.py"), "launch", "--model-path",
                          MODEL_PATH, "--host", "127.0.0.1", "--port", str(self.port), "--no-log-file"],
                         directory / "stdout.log", env)
        self.client = self.client_with(timeout=5.0)

    def client_with(self, timeout: float) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.base}/v1", api_key="sk-twin-test", max_retries=0,
                             timeout=openai.Timeout(timeout, connect=2.0))

    def wait_healthy(self) -> None:
        self.wait_http(f"{self.base}/health", ok=lambda response: response.status_code == 200)

    def chat(self, content: str = "How is the twin today?", **kwargs):
        kwargs.setdefault("model", "jerry-test")
        return self.client.chat.completions.create(messages=[{"role": "user", "content": content}], **kwargs)

    def records(self) -> list[dict]:
        if not self.record_path.exists():
            return []
        return [json.loads(line) for line in self.record_path.read_text(encoding="utf-8").splitlines()]

    def record_of(self, request_id: str, timeout: float = 2.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [r for r in self.records() if r["request_id"] == request_id]
            if found:
                assert len(found) == 1, found
                return found[0]
            time.sleep(0.02)
        pytest.fail(f"no record of {request_id} in {self.records()}")


def start(directory: Path, record: Path | None = None) -> StandIn:
    standin = StandIn(directory, record or directory / "requests.jsonl")
    try:
        standin.wait_healthy()
    except BaseException:
        standin.stop()
        raise
    return standin


@pytest.fixture(scope="module")
def mlx(tmp_path_factory):
    standin = start(tmp_path_factory.mktemp("mlx"))
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def fault(mlx):
    """Plant a fault word for one test; it is always removed afterwards."""
    def plant(word: str) -> None:
        mlx.fault_path.write_text(word + "\n")
    yield plant
    mlx.fault_path.unlink(missing_ok=True)


def words(text: str) -> int:
    return len(text.split())


# --- the chat API as mlx-openai-server 1.8.1 answers it -------------------------------------------------------

def test_a_chat_answer_has_the_shape_of_mlx_openai_server(mlx):
    raw = httpx.post(f"{mlx.base}/v1/chat/completions", timeout=5.0, json={
        "model": "jerry-test", "messages": [{"role": "user", "content": "say three words"}], "max_tokens": 3})
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/json"
    assert raw.headers["server"] == "uvicorn" and float(raw.headers["x-process-time"]) >= 0
    assert "x-request-id" not in raw.headers, "1.8.1 never adds its request-tracking middleware"
    assert ": " not in raw.text.split('"content"')[0], "Starlette's compact JSON"
    body = raw.json()
    assert list(body) == ["id", "object", "created", "model", "choices", "usage"]
    assert ANSWER_ID.fullmatch(body["id"]) and body["object"] == "chat.completion"
    assert isinstance(body["created"], int) and abs(body["created"] - time.time()) < 60
    assert body["model"] == "jerry-test"
    [choice] = body["choices"]
    assert choice == {"finish_reason": "stop", "index": 0,
                      "message": {"content": choice["message"]["content"], "role": "assistant", "partial": False}}
    assert body["usage"] == {"prompt_tokens": 3, "total_tokens": 6, "completion_tokens": 3,
                             "prompt_tokens_details": {"cached_tokens": 0}}


def test_usage_counts_what_was_generated_and_max_tokens_sets_the_length(mlx):
    short, long = mlx.chat(max_tokens=3), mlx.chat(max_tokens=9)
    for reply, limit in ((short, 3), (long, 9)):
        assert ANSWER_ID.fullmatch(reply.id)
        content = reply.choices[0].message.content
        assert content and words(content) == limit
        usage = reply.usage
        assert (usage.completion_tokens, usage.prompt_tokens) == (limit, words("How is the twin today?"))
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
        assert reply.choices[0].finish_reason == "stop", "1.8.1 says stop even when max_tokens cut the answer"
    assert short.id != long.id


def test_the_answer_is_generated_from_the_prompt_not_canned(mlx):
    one, again = mlx.chat("tell me about the studio"), mlx.chat("tell me about the studio")
    other = mlx.chat("and mini?")
    text = [r.choices[0].message.content for r in (one, again, other)]
    assert text[0] == text[1] and text[0] != text[2], "one prompt gives one answer, another prompt another"
    for reply in (one, other):
        assert 16 <= reply.usage.completion_tokens < 64, "without max_tokens the answer ends by itself"
        assert words(reply.choices[0].message.content) == reply.usage.completion_tokens


def test_any_model_name_is_served_and_echoed_and_none_is_local_text_model(mlx):
    assert mlx.chat(model="no/such-model", max_tokens=1).model == "no/such-model"
    raw = httpx.post(f"{mlx.base}/v1/chat/completions", timeout=5.0,
                     json={"messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})
    assert raw.status_code == 200 and raw.json()["model"] == "local-text-model"


def test_a_stream_assembles_and_ends_with_finish_reason_and_usage_together(mlx):
    chunks = list(mlx.chat(max_tokens=5, stream=True))
    assert {c.id for c in chunks} == {chunks[0].id} and ANSWER_ID.fullmatch(chunks[0].id)
    assert {c.object for c in chunks} == {"chat.completion.chunk"} and len({c.created for c in chunks}) == 1
    first, *middle, last = chunks
    assert first.choices[0].delta.role == "assistant" and first.choices[0].delta.content is None
    assert all(c.choices[0].delta.role == "assistant" and c.choices[0].delta.content for c in middle), (
        "1.8.1 repeats the role in every content delta")
    content = "".join(c.choices[0].delta.content for c in middle)
    assert words(content) == 5 and len(middle) == 5
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason]
    assert finishes == ["stop"] and last.choices[0].finish_reason == "stop"
    assert [c for c in chunks if c.usage] == [last]
    assert last.usage.completion_tokens == 5
    assert last.usage.total_tokens == last.usage.prompt_tokens + 5


def test_the_stream_is_sse_over_chunked_http_and_done_ends_it(mlx):
    request = {"model": "jerry-test", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2, "stream": True}
    with httpx.stream("POST", f"{mlx.base}/v1/chat/completions", json=request, timeout=5.0) as raw:
        assert raw.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert raw.headers["transfer-encoding"] == "chunked" and raw.headers["cache-control"] == "no-cache"
        assert raw.headers["x-accel-buffering"] == "no"
        text = raw.read().decode()
    events = text.split("\n\n")
    assert events[-1] == "" and all(e.startswith("data: ") for e in events[:-1])
    assert events[-2] == "data: [DONE]" and text.count("[DONE]") == 1
    first = events[0].removeprefix("data: ")
    assert first.startswith('{"id": "chatcmpl_'), "json.dumps' default separators, as _yield_sse_chunk"
    assert json.loads(first)["choices"] == [{"delta": {"role": "assistant"}, "index": 0}]
    final = json.loads(events[-3].removeprefix("data: "))
    assert list(final) == ["id", "choices", "created", "model", "object", "usage"]
    assert final["choices"] == [{"delta": {}, "finish_reason": "stop", "index": 0}]


def test_a_body_that_does_not_validate_is_fastapis_422(mlx):
    no_messages = httpx.post(f"{mlx.base}/v1/chat/completions", json={"model": "x"}, timeout=5.0)
    assert no_messages.status_code == 422
    assert no_messages.json() == {"detail": [{"type": "missing", "loc": ["body", "messages"], "msg": "Field required",
                                              "input": {"model": "x"}}]}
    bad_role = httpx.post(f"{mlx.base}/v1/chat/completions", timeout=5.0,
                          json={"messages": [{"role": "developer", "content": "hi"}], "max_tokens": "many"})
    assert [(e["type"], e["loc"]) for e in bad_role.json()["detail"]] == [
        ("literal_error", ["body", "messages", 0, "role"]), ("int_parsing", ["body", "max_tokens"])]
    not_json = httpx.post(f"{mlx.base}/v1/chat/completions", content=b"{", timeout=5.0,
                          headers={"content-type": "application/json"})
    assert not_json.json()["detail"][0]["type"] == "json_invalid"
    with pytest.raises(openai.UnprocessableEntityError):
        mlx.client.chat.completions.create(model="x", messages=[{"role": "nobody", "content": "hi"}])


def test_health_and_models_stay_as_before(mlx):
    assert httpx.get(f"{mlx.base}/health", timeout=5.0).json() == {
        "status": "ok", "model_id": MODEL_PATH, "model_status": "initialized"}
    [model] = mlx.client.models.list().data
    assert (model.id, model.owned_by) == (MODEL_PATH, "local")
    assert httpx.get(f"{mlx.base}/v1/chat/completions", timeout=5.0).status_code == 405


# --- twin-only controls -----------------------------------------------------------------------------------------

def test_every_answered_chat_request_leaves_one_record_line(mlx):
    reply = mlx.chat(max_tokens=4, extra_headers={"x-litellm-call-id": "call-123"})
    record = mlx.record_of(reply.id)
    assert record["backend"] == "mlx-openai-server" and record["port"] == mlx.port
    assert (record["model"], record["stream"], record["max_tokens"]) == ("jerry-test", False, 4)
    assert record["headers"]["x-litellm-call-id"] == "call-123"
    assert record["headers"]["user-agent"].startswith("OpenAI/Python")
    assert (record["status"], record["fault"]) == (200, None)
    assert record["content_chars"] == len(reply.choices[0].message.content) and record["completion_tokens"] == 4
    assert record["started"] <= record["finished"] and record["seconds"] >= 0
    streamed = list(mlx.chat(stream=True))
    record = mlx.record_of(streamed[0].id)
    assert (record["stream"], record["max_tokens"], record["completion_tokens"]) == (
        True, None, streamed[-1].usage.completion_tokens)


def test_a_record_that_cannot_be_written_is_logged_and_the_answer_still_goes_out(tmp_path):
    standin = start(tmp_path, record=tmp_path)  # a directory: every append fails
    try:
        assert standin.chat(max_tokens=2).usage.completion_tokens == 2
        assert standin.chat(max_tokens=2).usage.completion_tokens == 2
        time.sleep(0.1)
        assert "request record not written" in standin.log_path.read_text()
    finally:
        standin.stop()


@pytest.fixture
def delay(mlx):
    """Set the answer delay for one test; the delay file is always removed afterwards."""
    yield lambda seconds: mlx.delay_path.write_text(f"{seconds}\n")
    mlx.delay_path.unlink(missing_ok=True)


def test_the_delay_file_holds_each_answer_but_not_health_and_answers_run_in_parallel(mlx, delay):
    delay(0.5)
    started = time.monotonic()
    assert httpx.get(f"{mlx.base}/health", timeout=5.0).status_code == 200
    assert time.monotonic() - started < 0.4
    results: list[float] = []

    def timed_chat():
        begun = time.monotonic()
        mlx.chat(max_tokens=1)
        results.append(time.monotonic() - begun)

    threads = [threading.Thread(target=timed_chat) for _ in range(3)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(results) == 3 and min(results) >= 0.5
    assert time.monotonic() - started < 1.2, "three delayed answers in parallel, not one after another"


def test_fault_malformed_answers_200_json_that_is_not_json(mlx, fault):
    fault("malformed")
    raw = httpx.post(f"{mlx.base}/v1/chat/completions", timeout=5.0,
                     json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3})
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw.text)
    with pytest.raises((json.JSONDecodeError, openai.APIError)):  # openai 3.x lets json's own error through
        mlx.chat(max_tokens=3)
    streamed = httpx.post(f"{mlx.base}/v1/chat/completions", timeout=5.0, json={
        "model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "stream": True})
    assert streamed.status_code == 200 and streamed.headers["content-type"] == "application/json"
    assert not streamed.text.startswith("data:") and streamed.text.startswith('{"id":"chatcmpl_')


def test_fault_hang_holds_the_request_while_health_still_answers(mlx, fault):
    fault("hang")
    outcome: dict = {}

    def hanging_chat():
        begun = time.monotonic()
        try:
            mlx.client_with(timeout=1.0).chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
            outcome["error"] = None
        except Exception as e:  # noqa: BLE001 - the assertion below names what was expected
            outcome["error"] = e
        outcome["seconds"] = time.monotonic() - begun

    before = len(mlx.records())
    thread = threading.Thread(target=hanging_chat)
    thread.start()
    time.sleep(0.3)
    health = httpx.get(f"{mlx.base}/health", timeout=2.0)
    assert health.status_code == 200 and thread.is_alive(), "health answers while the chat hangs"
    thread.join(5)
    assert isinstance(outcome["error"], openai.APITimeoutError), outcome
    assert 0.9 <= outcome["seconds"] < 2.5
    deadline = time.monotonic() + 2
    while len(mlx.records()) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    record = mlx.records()[-1]
    assert (record["fault"], record["status"], record["request_id"]) == ("hang", None, None)
    assert record["seconds"] >= 0.9, "held until the client gave up, then let go"


def test_fault_endless_stream_never_finishes_so_only_a_deadline_stops_the_reader(mlx, fault):
    fault("endless-stream")
    stream = mlx.client_with(timeout=0.5).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2, stream=True)
    received = []
    deadline = time.monotonic() + 1.3
    for chunk in stream:  # a read timeout of 0.5 s never fires: a chunk comes every 0.2 s
        received.append(chunk)
        if time.monotonic() > deadline:
            break
    stream.close()
    assert received[0].choices[0].delta.role == "assistant"
    assert len(received) >= 5, "content kept coming past max_tokens"
    assert not any(c.choices[0].finish_reason or c.usage for c in received)
    record = mlx.record_of(received[0].id)
    assert (record["fault"], record["status"]) == ("endless-stream", 200)
    assert record["completion_tokens"] >= len(received) - 1
    reply = mlx.chat(max_tokens=2)
    assert reply.usage.completion_tokens == 2, "a non-stream request answers normally"


def test_reverting_hang_lets_go_of_a_client_that_never_gives_up(mlx, fault):
    """LiteLLM upstream of a caller that left keeps its connection open: the revert, not the client, ends it
    (else the proxy's own stop waits for it, systemd's 90 s)."""
    fault("hang")
    outcome: dict = {}

    def patient_chat():
        begun = time.monotonic()
        try:
            httpx.post(f"{mlx.base}/v1/chat/completions", timeout=30.0,
                       json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2})
        except httpx.HTTPError as e:
            outcome["error"] = e
        outcome["seconds"] = time.monotonic() - begun

    thread = threading.Thread(target=patient_chat)
    thread.start()
    time.sleep(0.8)
    assert thread.is_alive(), "held while the fault is planted"
    mlx.fault_path.unlink()
    thread.join(5)
    assert not thread.is_alive() and outcome["seconds"] < 3, outcome
    assert isinstance(outcome.get("error"), httpx.RemoteProtocolError), "closed unanswered"


def test_reverting_endless_stream_ends_it_as_a_normal_stream(mlx, fault):
    fault("endless-stream")
    stream = mlx.client_with(timeout=5.0).chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=2, stream=True)
    received = []
    for chunk in stream:
        received.append(chunk)
        if len(received) == 3:
            mlx.fault_path.unlink()
    assert received[-1].choices[0].finish_reason == "stop" and len(received) >= 4, "ended with the final chunk"


def test_fault_reject_key_answers_401_on_the_api_but_health_stays_up(mlx, fault):
    fault("reject-key")
    with pytest.raises(openai.AuthenticationError) as rejected:
        mlx.chat(max_tokens=1)
    assert rejected.value.status_code == 401
    assert rejected.value.response.json() == {
        "error": {"message": "Invalid API key", "type": "invalid_request_error", "code": "invalid_api_key"}}
    with pytest.raises(openai.AuthenticationError):
        mlx.client.models.list()
    assert httpx.get(f"{mlx.base}/health", timeout=5.0).status_code == 200
    assert mlx.records()[-1]["status"] == 401


def test_fault_header_drip_sends_the_head_a_byte_at_a_time_while_health_answers(mlx, fault):
    """The drip as a raw socket sees it, and the suite's own HTTP path cut at its deadline (the whole exchange)."""
    from conformance.facts.http import DeadlineExceeded, HttpProbe
    fault("header-drip")
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}).encode()
    with socket.create_connection(("127.0.0.1", mlx.port), timeout=5) as conn:
        conn.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        began = time.monotonic()
        got = [conn.recv(100) for _ in range(3)]
        seconds = time.monotonic() - began
    assert got == [b"H", b"T", b"T"] and seconds >= 0.9, (got, seconds)  # one byte per 0.5 s
    assert httpx.get(f"{mlx.base}/health", timeout=2.0).status_code == 200, "health is not dripped"
    probe = HttpProbe()
    began = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="status line and headers were still coming"):
        probe.client(1.5).post(f"{mlx.base}/v1/chat/completions", content=body,
                               headers={"content-type": "application/json"}).read()
    assert time.monotonic() - began < 2.5
    probe.close()


def test_fault_gzip_bomb_answers_gzip_whatever_was_asked_and_the_suite_refuses_it(mlx, fault):
    from conformance.facts.http import EncodingRefused, HttpProbe
    fault("gzip-bomb")
    for stream in (False, True):
        raw = httpx.post(f"{mlx.base}/v1/chat/completions", timeout=10.0, headers={"accept-encoding": "identity"},
                         json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": stream})
        wire = int(raw.headers["content-length"])
        assert raw.status_code == 200 and raw.headers["content-encoding"] == "gzip" and wire < 128 * 1024
        assert len(raw.content) == 64 * 1024 * 1024 and raw.content.count(0) == len(raw.content)  # httpx decoded it
    probe = HttpProbe()
    with pytest.raises(EncodingRefused, match="gzip-encoded though only identity was accepted"):
        probe.client(5).post(f"{mlx.base}/v1/chat/completions", json={"model": "m", "messages": [
            {"role": "user", "content": "hi"}]})
    probe.close()


def test_an_unknown_fault_word_is_ignored_with_one_log_line(mlx, fault):
    fault("explode")
    assert mlx.chat(max_tokens=2).usage.completion_tokens == 2
    assert mlx.chat(max_tokens=2).usage.completion_tokens == 2
    time.sleep(0.1)
    assert mlx.log_path.read_text().count("unknown fault 'explode'") == 1
    mlx.fault_path.unlink()
    assert mlx.chat(max_tokens=1).usage.completion_tokens == 1
