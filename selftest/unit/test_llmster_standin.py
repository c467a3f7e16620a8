"""The llmster stand-ins on loopback, no twin: LM Studio's daemon and server, `lms`, and the twin's bootstrap.

The bootstrap (lab/standins/llmster_ensure_server.py) runs as the owner's launchd job does: `lms daemon up`,
`lms server start`, the load specs of the owner's plist; then it exits 0 and the daemon (lab/standins/llmster.py,
in a session of its own) keeps serving. The state file and the request record are in a temporary directory.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import time

import httpx
import openai
import pytest

from lab.paths import STANDINS
from selftest.standins import PYTHON, environment, executable, free_port, kill_pid, running

KEY = "sk-lm-Tw1nTw1n:abcdefghijKLMNOPQRST"
FAST, DEEP = "llmster-gpt-oss-20b-mxfp4-gguf", "llmster-gpt-oss-120b-mxfp4-gguf"
SPECS = [f"gpt-oss-20b|{FAST}|32768|4|512|true|4|true", f"gpt-oss-120b|{DEEP}|32768|2|512|true|4|true"]
CHAT_ID = re.compile(r"chatcmpl-[0-9a-z]{20,23}")
EXPRESS = ("x-powered-by", "content-type", "content-length", "etag", "date", "connection", "keep-alive")


class Llmster:
    def __init__(self, directory):
        self.dir, self.port = directory, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.state_path, self.record_path = directory / "state.json", directory / "requests.jsonl"
        self.env = environment(LLMSTER_TWIN_STATE=str(self.state_path), LLMSTER_TWIN_RECORD=str(self.record_path),
                               LLMSTER_API_KEY=KEY)
        self.lms_bin = executable(directory, "lms", "lms.py")
        self.write_state(auth={"required": True, "tokens": [KEY]})

    def state(self) -> dict:
        return json.loads(self.state_path.read_text())

    def write_state(self, **changes) -> None:
        state = self.state() if self.state_path.exists() else self._default()
        state.update(changes)
        self.state_path.write_text(json.dumps(state))

    def _default(self) -> dict:
        done = subprocess.run([PYTHON, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import llmster, json; "
                               "print(json.dumps(llmster.default_state()))", str(STANDINS)],
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    def lms(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.lms_bin), *argv], env=self.env, capture_output=True, text=True, timeout=60)

    def ensure(self, *extra: str) -> subprocess.CompletedProcess:
        argv = [PYTHON, str(STANDINS / "llmster_ensure_server.py"), "--lms-bin", str(self.lms_bin),
                "--bind", "127.0.0.1", "--port", str(self.port), "--api-key-env", "LLMSTER_API_KEY",
                "--poll-interval", "0.1", "--startup-timeout", "15", *extra]
        for spec in SPECS:
            argv += ["--load-spec", spec]
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=90)

    def daemon_pid(self) -> int | None:
        return (self.state().get("daemon") or {}).get("pid")

    def get(self, path: str, key: str | None = KEY) -> httpx.Response:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return httpx.get(self.base + path, headers=headers, timeout=5.0)

    def post(self, path: str, body, key: str | None = KEY, **kw) -> httpx.Response:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        return httpx.post(self.base + path, json=body, headers=headers, timeout=10.0, **kw)

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base + "/v1", api_key=KEY, max_retries=0, timeout=10.0)


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    llm = Llmster(tmp_path_factory.mktemp("llmster"))
    try:
        done = llm.ensure()
        assert done.returncode == 0, done.stderr
        yield llm
    finally:
        llm.lms("daemon", "down")
        kill_pid(llm.daemon_pid())


# --- the bootstrap, as the owner's launchd job runs it ------------------------------------------------------------

def test_the_bootstrap_exits_0_and_the_daemon_keeps_serving_from_a_session_of_its_own(lm):
    pid = lm.daemon_pid()
    assert pid and running(pid), "the daemon outlived the job that started it"
    assert os.getsid(pid) == pid and os.getsid(pid) != os.getsid(0), "llmster runs in a session of its own"
    assert sorted(m["id"] for m in lm.get("/v1/models").json()["data"]) == sorted([FAST, DEEP])


def test_the_native_models_list_carries_the_lock_s_expected_load_config(lm):
    models = {m["key"]: m for m in lm.get("/api/v1/models").json()["models"]}
    assert list(models["openai/gpt-oss-20b"])[:9] == ["type", "publisher", "key", "display_name", "architecture",
                                                     "quantization", "size_bytes", "params_string",
                                                     "loaded_instances"]
    [fast] = models["openai/gpt-oss-20b"]["loaded_instances"]
    [deep] = models["openai/gpt-oss-120b"]["loaded_instances"]
    assert fast == {"id": FAST, "config": {"context_length": 32768, "eval_batch_size": 512, "parallel": 4,
                                           "flash_attention": True, "num_experts": 4,
                                           "offload_kv_cache_to_gpu": True}}
    assert deep["id"] == DEEP and deep["config"]["parallel"] == 2


def test_a_second_run_changes_nothing_and_a_drifted_instance_is_reloaded(lm):
    before = {i["identifier"]: i["loaded_at"] for i in lm.state()["loaded"]}
    assert lm.ensure().returncode == 0
    assert {i["identifier"]: i["loaded_at"] for i in lm.state()["loaded"]} == before, "nothing drifted, nothing moved"
    state = lm.state()
    state["loaded"][0]["config"]["parallel"] = 1  # twin tooling plants a drift of the fast instance
    lm.write_state(loaded=state["loaded"])
    assert lm.ensure().returncode == 0
    fast = next(i for i in lm.state()["loaded"] if i["identifier"] == FAST)
    assert fast["config"]["parallel"] == 4 and fast["loaded_at"] > before[FAST]


def test_the_bootstrap_fails_with_status_1_when_the_key_is_refused(lm, tmp_path):
    env = {**lm.env, "LLMSTER_API_KEY": "sk-lm-Wrong000:00000000000000000000"}
    argv = [PYTHON, str(STANDINS / "llmster_ensure_server.py"), "--lms-bin", str(lm.lms_bin), "--bind",
            "127.0.0.1", "--port", str(lm.port), "--api-key-env", "LLMSTER_API_KEY", "--poll-interval", "0.1",
            "--startup-timeout", "1", "--load-spec", SPECS[0]]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "timed out waiting for" in done.stderr


# --- HTTP as LM Studio answers ----------------------------------------------------------------------------------

def test_without_the_token_every_endpoint_is_401_invalid_api_key(lm):
    for path in ("/v1/models", "/api/v1/models"):
        answer = lm.get(path, key=None)
        assert answer.status_code == 401
        error = answer.json()["error"]
        assert list(error) == ["type", "code", "message"]
        assert (error["type"], error["code"]) == ("invalid_request", "invalid_api_key")
        assert error["message"].startswith("An LM Studio API token is required to make requests to this server")
    wrong = lm.get("/v1/models", key="local-dummy-key").json()["error"]
    assert wrong["message"].startswith("Malformed LM Studio API token provided: local-dumm*****. ")
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=lm.base + "/v1", api_key="dummy", max_retries=0).models.list()


def test_unknown_paths_answer_200_with_an_error_body_as_express_does_even_without_the_token(lm):
    answer = lm.get("/health", key=None)
    assert answer.status_code == 200
    assert answer.json() == {"error": "Unexpected endpoint or method. (GET /health)"}
    assert [h.lower() for h in answer.headers.keys()] == list(EXPRESS)
    assert answer.headers["x-powered-by"] == "Express"
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert re.fullmatch(r'W/"38-[A-Za-z0-9+/]{27}"', answer.headers["etag"]), "Express's weak etag of 56 bytes"
    assert lm.post("/v1/nothing", {}, key=None).json() == {"error": "Unexpected endpoint or method. (POST /v1/nothing)"}
    assert lm.get("/lmstudio-greeting", key=None).json() == {"lmstudio": True}


def test_the_openai_models_list_has_only_id_object_owned_by(lm):
    body = lm.get("/v1/models").json()
    assert list(body) == ["data", "object"] and body["object"] == "list"
    assert {"id": FAST, "object": "model", "owned_by": "organization_owner"} in body["data"]


def test_a_chat_answer_has_lm_studio_s_shape_with_reasoning_for_gpt_oss(lm):
    answer = lm.post("/v1/chat/completions", {"model": FAST, "messages": [{"role": "user", "content": "hello"}]})
    body = answer.json()
    assert list(body) == ["id", "object", "created", "model", "choices", "usage", "stats", "system_fingerprint"]
    assert CHAT_ID.fullmatch(body["id"]) and body["object"] == "chat.completion"
    assert (body["model"], body["system_fingerprint"], body["stats"]) == (FAST, FAST, {})
    [choice] = body["choices"]
    assert list(choice) == ["index", "message", "logprobs", "finish_reason"]
    assert list(choice["message"]) == ["role", "content", "reasoning", "tool_calls"]
    assert choice["message"]["tool_calls"] == [] and choice["message"]["reasoning"]
    usage = body["usage"]
    assert list(usage) == ["prompt_tokens", "completion_tokens", "total_tokens"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    reply = lm.client().chat.completions.create(model=DEEP, messages=[{"role": "user", "content": "hi"}])
    assert reply.model == DEEP and reply.choices[0].message.content


def test_max_tokens_cuts_the_answer_and_finish_reason_says_length(lm):
    body = lm.post("/v1/chat/completions", {"model": FAST, "max_tokens": 6,
                                            "messages": [{"role": "user", "content": "a long one"}]}).json()
    assert body["usage"]["completion_tokens"] == 6 and body["choices"][0]["finish_reason"] == "length"


def test_a_stream_is_sse_token_by_token_and_usage_only_when_asked(lm):
    plain = list(lm.client().chat.completions.create(model=FAST, stream=True,
                                                     messages=[{"role": "user", "content": "stream"}]))
    assert plain[0].choices[0].delta.role == "assistant" and plain[0].choices[0].delta.content
    assert all(c.choices[0].delta.role is None for c in plain[1:])
    assert plain[-1].choices[0].finish_reason == "stop" and not any(c.usage for c in plain)
    assert len({c.id for c in plain}) == 1 and CHAT_ID.fullmatch(plain[0].id)
    with_usage = list(lm.client().chat.completions.create(model=FAST, stream=True, messages=[
        {"role": "user", "content": "stream"}], stream_options={"include_usage": True}))
    last = with_usage[-1]
    assert last.choices == [] and last.usage.completion_tokens == len(with_usage) - 2 + 4  # + reasoning words
    raw = lm.post("/v1/chat/completions", {"model": FAST, "stream": True,
                                           "messages": [{"role": "user", "content": "x"}]})
    assert raw.headers["content-type"] == "text/event-stream" and raw.text.endswith("data: [DONE]\n\n")


def test_the_responses_api_answers_with_reasoning_and_a_message(lm):
    body = lm.post("/v1/responses", {"model": DEEP, "input": "Provide a prime number"}).json()
    assert body["object"] == "response" and body["status"] == "completed" and body["id"].startswith("resp_")
    assert [item["type"] for item in body["output"]] == ["reasoning", "message"]
    assert body["output"][1]["content"][0]["type"] == "output_text" and "output_text" not in body
    assert set(body["usage"]) == {"input_tokens", "output_tokens", "total_tokens"}
    events = lm.post("/v1/responses", {"model": DEEP, "input": "hi", "stream": True}).text
    kinds = re.findall(r"^event: (\S+)$", events, re.M)
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert set(kinds[1:-1]) == {"response.output_text.delta"}


def test_which_model_answers_depends_on_how_many_are_loaded(lm):
    missing = lm.post("/v1/chat/completions", {"model": "nope", "messages": [{"role": "user", "content": "x"}]})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    listed = missing.json()["error"]["message"].split("Your models:\n\n", 1)[1]
    assert sorted(listed.splitlines()) == sorted([FAST, DEEP])
    no_messages = lm.post("/v1/chat/completions", {"model": FAST})
    assert (no_messages.status_code, no_messages.json()) == (400, {"error": "'messages' field is required"})


def test_unloading_through_the_rest_api_and_lms_then_a_single_model_answers_every_name(lm):
    loaded = lm.state()["loaded"]
    try:
        assert lm.post("/api/v1/models/unload", {"instance_id": DEEP}).json() == {"instance_id": DEEP}
        one = lm.post("/v1/chat/completions", {"model": "anything", "messages": [{"role": "user", "content": "x"}]})
        assert one.status_code == 200 and one.json()["model"] == FAST, "one model loaded answers any name"
        done = lm.lms("unload", FAST)
        assert done.returncode == 0 and done.stderr.strip() == f'Model "{FAST}" unloaded.'
        none = lm.post("/v1/chat/completions", {"model": FAST, "messages": [{"role": "user", "content": "x"}]})
        assert none.status_code == 404 and none.json()["error"]["message"].startswith("No models loaded.")
        assert lm.get("/health").status_code == 200, "a /health probe still answers 200 with no model loaded"
        assert lm.get("/v1/models").json()["data"] == []
    finally:
        lm.write_state(loaded=loaded)


def test_every_chat_and_responses_request_leaves_a_record_line(lm):
    reply = lm.client().chat.completions.create(model=FAST, messages=[{"role": "user", "content": "record"}],
                                                extra_headers={"x-litellm-call-id": "call-9"})
    lm.get("/v1/models", key=None)
    time.sleep(0.1)
    records = [json.loads(line) for line in lm.record_path.read_text().splitlines()]
    mine = [r for r in records if r["request_id"] == reply.id]
    assert len(mine) == 1 and mine[0]["headers"]["x-litellm-call-id"] == "call-9"
    assert (mine[0]["backend"], mine[0]["model"], mine[0]["status"]) == ("llmster", FAST, 200)


# --- the lms CLI ------------------------------------------------------------------------------------------------

def test_lms_daemon_and_server_status_say_what_lms_says(lm):
    status = lm.lms("daemon", "status")
    assert status.stdout.strip() == f"llmster v0.0.7-4 is running (PID: {lm.daemon_pid()})"
    assert json.loads(lm.lms("daemon", "status", "--json").stdout) == {"status": "running", "pid": lm.daemon_pid(),
                                                                       "isDaemon": True}
    up = lm.lms("daemon", "up")
    assert up.stdout.strip() == f"The daemon is already running (PID: {lm.daemon_pid()})."
    assert json.loads(lm.lms("server", "status", "--json").stdout) == {"running": True, "port": lm.port}
    assert lm.lms("frobnicate").stderr.strip() == "error: unknown command 'frobnicate'"


def test_lms_ps_json_lists_each_instance_as_the_sdk_s_instance_info(lm):
    infos = json.loads(lm.lms("ps", "--json").stdout)
    fast = next(i for i in infos if i["identifier"] == FAST)
    assert list(fast) == ["type", "modelKey", "format", "displayName", "publisher", "path", "sizeBytes",
                          "indexedModelIdentifier", "deviceIdentifier", "paramsString", "architecture",
                          "quantization", "identifier", "ttlMs", "lastUsedTime", "vision", "trainedForToolUse",
                          "maxContextLength", "contextLength", "status", "queued", "parallel"]
    assert (fast["contextLength"], fast["parallel"], fast["status"]) == (32768, 4, "idle")
    table = lm.lms("ps").stdout.splitlines()
    assert table[0] == "" and table[1].split() == ["IDENTIFIER", "MODEL", "STATUS", "SIZE", "CONTEXT",
                                                   "PARALLEL", "DEVICE", "TTL"]


def test_lms_load_of_an_unknown_model_and_unload_of_an_unknown_identifier(lm):
    missing = lm.lms("load", "no-such-model", "-y")
    assert missing.returncode == 1 and missing.stderr.startswith("Model not found\n\nNo model found that matches")
    nothing = lm.lms("unload", "no-such-identifier")
    assert nothing.returncode == 0 and nothing.stderr.startswith("Model Not Found\n\nCannot find a model")


def test_a_daemon_that_starts_forgets_its_models_and_its_server(tmp_path):
    llm = Llmster(tmp_path)
    try:
        assert llm.lms("daemon", "status").stdout.strip() == "LM Studio is not running"
        up = llm.lms("daemon", "up")
        assert re.fullmatch(r"llmster started \(PID: \d+\)\.", up.stdout.strip())
        start = llm.lms("server", "start", "--bind", "127.0.0.1", "--port", str(llm.port))
        assert start.returncode == 0 and start.stderr.strip() == f"Success! Server is now running on port {llm.port}"
        load = llm.lms("load", "gpt-oss-20b", "--identifier", FAST, "--context-length", "8192", "-y")
        assert load.returncode == 0 and f'use the identifier "{FAST}"' in load.stderr
        assert re.match(r"Model loaded successfully in \d+\.\d\dms\.\n\(11\.28 GiB\)", load.stderr)
        first = llm.daemon_pid()
        assert llm.lms("daemon", "down").returncode == 0
        assert llm.lms("daemon", "up").returncode == 0 and llm.daemon_pid() != first
        assert llm.state()["loaded"] == [] and llm.state()["server"]["running"] is False
        with pytest.raises(httpx.TransportError):
            llm.get("/v1/models")
    finally:
        llm.lms("daemon", "down")
        kill_pid(llm.daemon_pid())


def test_server_start_on_a_port_in_use_fails_as_lms_does(tmp_path):
    llm = Llmster(tmp_path)
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", llm.port))
        busy.listen(1)
        try:
            start = llm.lms("server", "start", "--port", str(llm.port))
            assert start.returncode == 1
            assert start.stderr.strip().endswith(
                "Error: Failed to verify the server is running. Please try to use another port.")
        finally:
            llm.lms("daemon", "down")
            kill_pid(llm.daemon_pid())
