"""Deployment ids as LiteLLM 1.83.4 computes them (Router._generate_model_id, litellm/router.py): the suite computes
them from router.yaml + env.local, so an `x-litellm-model-id` answer names one entry of model_list.

The router below is the owner's shape (services/litellm-orch/config/router.yaml at 1b54b73 of
bebopbabailey/homelab-llm: `deep` and `code-reasoning` share one llmster URL and one upstream model, `fast` has its
own; values from env.local via os.environ/, a literal `api_key: dummy`, an integer max_tokens), plus a second
deployment of `fast`, a bool from the environment, a dict param and a pinned model_info.id.

RECORDED was computed by the real function, with this command (from the checkout, LiteLLM 1.83.4 in .venv-litellm):
    .venv/bin/python -c "from selftest.unit.test_litellm_deployments import litellm_ids; print(litellm_ids())"
which runs LITELLM_SIDE in LiteLLM's environment: the ids its Router gives ROUTER's entries with ENV set.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conformance.facts.litellm import deployment_id, resolve_router

from ._support import ROOT

ROUTER = """\
model_list:
- model_name: deep
  litellm_params:
    model: os.environ/LLMSTER_DEEP_MODEL
    api_base: os.environ/LLMSTER_DEEP_API_BASE
    api_key: dummy
    max_tokens: 16384
- model_name: code-reasoning
  litellm_params:
    model: os.environ/LLMSTER_DEEP_MODEL
    api_base: os.environ/LLMSTER_DEEP_API_BASE
    api_key: dummy
    max_tokens: 16384
  model_info:
    mode: chat
- model_name: fast
  litellm_params:
    model: os.environ/LLMSTER_FAST_MODEL
    api_base: os.environ/LLMSTER_FAST_API_BASE
    api_key: dummy
    max_tokens: 16384
- model_name: fast
  litellm_params:
    model: openai/gpt-oss-20b
    api_base: http://127.0.0.1:8127/v1
    api_key: os.environ/FAST_B_KEY
    drop_params: os.environ/FAST_B_DROP
    extra_body: {"reasoning_effort": "low"}
    timeout: 2.5
- model_name: chatgpt-5
  litellm_params:
    model: openai/gpt-5.3-codex
    api_base: os.environ/CCPROXY_ADAPTER_API_BASE
    api_key: dummy
  model_info:
    id: pinned-chatgpt-5
"""
ENV = {"LLMSTER_DEEP_MODEL": "openai/gpt-oss-120b", "LLMSTER_DEEP_API_BASE": "http://192.168.1.72:8126/v1",
       "LLMSTER_FAST_MODEL": "openai/gpt-oss-20b", "LLMSTER_FAST_API_BASE": "http://192.168.1.72:8126/v1",
       "FAST_B_KEY": "sk-fast-b", "FAST_B_DROP": "True", "CCPROXY_ADAPTER_API_BASE": "http://127.0.0.1:4010/codex/v1"}
RECORDED = {
    "deep": ["f2209720506b0110d2c6209b28712477f403dcde2e3f3ece2fd100ccd8eff30e"],
    "code-reasoning": ["56ffe90ef27105e03c6f06b332178e4eb238985deb35795a946b3ee5ca7d6188"],
    "fast": ["414e286b641c74fad782c1900daab8653b7e6e4fdf38cb8024d06dffa943001c",
             "b6f93751c5903f878ffdea75b37f2325c8900646c773975a2e150304ce5f0643"],
    "chatgpt-5": ["pinned-chatgpt-5"],
}


LITELLM_SIDE = """
import json, os, sys, yaml
given = json.load(sys.stdin)
os.environ.update(given["env"])
from litellm import Router
ids = {}
for m in Router(model_list=yaml.safe_load(given["router"])["model_list"]).get_model_list():
    ids.setdefault(m["model_name"], []).append(m["model_info"]["id"])
print(json.dumps(ids))
"""
LITELLM_PYTHON = ROOT / ".venv-litellm" / "bin" / "python"


def litellm_ids() -> dict:
    """The ids LiteLLM's own Router gives ROUTER's entries (in its environment, a subprocess)."""
    out = subprocess.run([str(LITELLM_PYTHON), "-c", LITELLM_SIDE], input=json.dumps({"router": ROUTER, "env": ENV}),
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={"PATH": os.environ.get("PATH", ""), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                              "HOME": os.environ.get("HOME", "/")})
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ours() -> dict:
    return resolve_router(ROUTER, ENV).ids


def test_the_suite_computes_the_ids_litellm_recorded():
    assert _ours() == RECORDED


def test_routes_on_one_url_with_one_model_still_have_their_own_id():
    ids = _ours()
    assert ids["deep"] != ids["code-reasoning"]  # the model name is hashed first
    assert len(set(ids["fast"])) == 2  # two deployments of one route


def test_a_changed_param_is_another_deployment():
    [deep] = _ours()["deep"]
    moved = ROUTER.replace("LLMSTER_DEEP_API_BASE\n    api_key: dummy\n    max_tokens: 16384\n- model_name: code",
                           "LLMSTER_FAST_API_BASE\n    api_key: dummy\n    max_tokens: 16384\n- model_name: code")
    assert resolve_router(moved, ENV).ids["deep"] == [deep]  # both variables hold the same URL: the same values
    assert resolve_router(ROUTER, ENV | {"LLMSTER_DEEP_API_BASE": "http://192.168.1.72:8127/v1"}).ids["deep"] != [deep]
    assert resolve_router(ROUTER.replace("max_tokens: 16384", "max_tokens: 16385", 1), ENV).ids["deep"] != [deep]


def test_values_are_hashed_as_litellm_holds_them():
    """A string as is, a dict as json.dumps, a number and a bool (from the environment, too) as str()."""
    params = {"model": "openai/m", "max_tokens": 16384, "drop_params": True, "extra_body": {"a": 1}}
    import hashlib
    expected = hashlib.sha256('routemodelopenai/mmax_tokens16384drop_paramsTrueextra_body{"a": 1}'.encode()).hexdigest()
    assert deployment_id("route", params) == expected
    lit = resolve_router(ROUTER, ENV).deployments["fast"][1]
    assert lit["drop_params"].as_litellm is True and lit["api_key"].as_litellm == "sk-fast-b"


@pytest.mark.skipif(not LITELLM_PYTHON.exists(), reason="LiteLLM's environment (.venv-litellm) is not built")
def test_litellm_itself_gives_the_same_ids():
    """The real Router, in its own environment (a subprocess): the recorded ids are still LiteLLM's."""
    assert litellm_ids() == _ours() == RECORDED
