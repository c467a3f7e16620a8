"""The contract in the twin: the openai client inside mini, through the REAL LiteLLM proxy, to real OpenVINO
GenAI inference (ov-llm-server) and the MLX servers on studio.

- A clean twin is green on `-m contract`, and on every marker in one run; each answer through the proxy
  is found in the backend's OWN request record (not the suite's evidence alone): the MLX servers record
  the id they answered with, ov-llm-server the text it generated.
- The contract fault catalog (lab/faults.py CONTRACT_CATALOG), each drift planted ALONE: the run exits 1,
  reports every contract check once, and the checks that fail (or are not applicable) are EXACTLY the
  fault's; each failure names its layer. The next fault's run proves the previous revert; a last green
  run proves the last.
- No key (Open WebUI's, the upstream keys of env.local, a documented master key) reaches any artifact.
"""
from __future__ import annotations

from selftest.artifacts import run_files

import json
import re
import time
from pathlib import Path

import pytest

from conformance.checks.contract import Layer
from lab.faults import CONTRACT_CATALOG, ENV_LOCAL, WEBUI_ENV, Fault, plant, revert
from selftest.twin.conftest import ROOT, TWIN_SUITE_ARGS, SuiteRun, suite_check_ids

CONTRACT_ARGS = ["--request-timeout=5"]  # a hung backend costs seconds here, not the inventory's 30-120 s
LAYER = re.compile("^(" + "|".join(re.escape(layer.value) for layer in Layer) + r")\b")


def contract_ids() -> set[str]:
    from conformance.checks.contract import contract_checks
    from conformance.inventory import load_inventory
    return {c.id for c in contract_checks(load_inventory(ROOT / "inventory.yaml"))}


@pytest.fixture(scope="module")
def run_contract(twin):
    def _run(*args: str, env: dict | None = None) -> SuiteRun:
        latest = ROOT / "reports" / "latest"
        before = latest.resolve() if latest.exists() else None
        status = twin.run_suite(["-m", "contract", *TWIN_SUITE_ARGS, *CONTRACT_ARGS, *args], env=env)
        after = latest.resolve() if latest.exists() else None
        assert after is not None and after != before, f"the suite run (exit {status}) left no new run directory"
        return SuiteRun(status, after)

    return _run


def test_a_clean_twin_keeps_the_contract(twin, run_contract):
    run = run_contract()
    run.assert_green(contract_ids(), "the contract on the clean twin")
    summary = run.results["contract"]
    print(f"\ncontract: {len(summary['routes'])} routes in {summary['wall_seconds']:.2f} s; per route (direct -> proxy):")
    for r in summary["routes"]:
        print(f"  {r['route']:16} stream TTFT {r['direct']['ttft_seconds']} -> {r['proxy']['ttft_seconds']} s of "
              f"{r['direct']['stream_seconds']} -> {r['proxy']['stream_seconds']} s, chat {r['direct']['chat_seconds']} "
              f"-> {r['proxy']['chat_seconds']} s, overhead {r['overhead_seconds']} s")
    assert all(r["outcome"] == "passed" and r["proxy"]["chat_seconds"] for r in summary["routes"])
    # TTFT and the stream's total are one request's: the first token never comes after the end
    assert all(w["ttft_seconds"] <= w["stream_seconds"] for r in summary["routes"] for w in (r["direct"], r["proxy"]))


def test_every_answer_through_the_proxy_is_in_its_backends_own_record(twin, run_contract):
    """The suite's evidence says which backend answered; the backends' own request records must agree."""
    run = run_contract()
    run.assert_green(contract_ids(), "the contract on the clean twin")
    proxied = _proxied_answers(run)
    mlx_records = {}
    for port in (8100, 8101, 8102, 8103, 8109):
        text = twin.exec_in("studio", ["cat", f"/var/lib/mlx-twin/requests-{port}.jsonl"]).stdout
        mlx_records[port] = {json.loads(line)["request_id"] for line in text.splitlines() if line.strip()}
    ov_text = twin.exec_in("mini", ["cat", "/home/christopherbailey/ov-llm-server/requests.jsonl"]).stdout
    ov_contents = [json.loads(line).get("content") for line in ov_text.splitlines() if line.strip()]
    ports = {"jerry-chat": 8100, "jerry-editor": 8101, "jerry-architect": 8102, "jerry-weak": 8103, "jerry-test": 8109}
    for route, answers in proxied.items():
        assert answers, f"no answer of {route} through the proxy in commands.json"
        for ident, content in answers:
            if route in ports:
                assert ident in mlx_records[ports[route]], f"{route}: {ident} is not in port {ports[route]}'s record"
                others = [p for p, ids in mlx_records.items() if p != ports[route] and ident in ids]
                assert not others, f"{route}: {ident} also answered by {others}"
            else:
                assert content and content in ov_contents, f"{route}: {content!r} is not in ov-llm-server's record"


def _proxied_answers(run: SuiteRun) -> dict[str, list[tuple[str, str]]]:
    """route -> (id, content) of each non-streamed answer through the proxy, read from commands.json."""
    found: dict[str, list[tuple[str, str]]] = {}
    for record in run.commands:
        if record["user"] != "http" or not record["command"].startswith("POST") or ":4000/" not in record["command"]:
            continue
        lines = record["stdout"].splitlines()
        sent = json.loads(lines[0][2:]) if lines and lines[0].startswith("> ") else {}
        if sent.get("stream") or record["exit_status"] != 200:
            continue
        body = json.loads(lines[-1])
        found.setdefault(sent["model"], []).append((body["id"], body["choices"][0]["message"]["content"]))
    return found


def test_every_marker_is_green_in_one_run(twin):
    latest = ROOT / "reports" / "latest"
    status = twin.run_suite(["-m", "local or studio or dietpi or contract", *TWIN_SUITE_ARGS])
    run = SuiteRun(status, latest.resolve())
    run.assert_green(suite_check_ids() | contract_ids(), "every marker in one run")


def test_no_key_reaches_any_artifact_with_a_documented_master_key(twin, run_contract):
    """A master key documented and enabled: the run takes it from LLM_LAB_LITELLM_KEY, proves 401 without it,
    and neither it nor Open WebUI's key nor an upstream key of env.local is in any artifact."""
    master = "sk-twin-documented-master-7c1e55a9d0"
    router = "/home/christopherbailey/litellm-orch/config/router.yaml"
    # the owner enables it, and gives Open WebUI a key the proxy accepts (without a database: the master key)
    planted = Fault("documented-master-key", "a documented master key",
                    f"cp -a {router} {router}.contract-key && cp -a {WEBUI_ENV} {WEBUI_ENV}.contract-key && "
                    f"sed -i 's/^general_settings:.*$/general_settings:\\n  master_key: {master}/' {router} && "
                    f"sed -i 's/^OPENAI_API_KEY=.*$/OPENAI_API_KEY={master}/' {WEBUI_ENV}",
                    f"mv -f {router}.contract-key {router} && mv -f {WEBUI_ENV}.contract-key {WEBUI_ENV}",
                    frozenset(), restart=("litellm-orch.service",))
    variant = _inventory_variant("master-key-documented",
                                 "s/master_key: {enabled: false, source: companion}/master_key: {enabled: true, source: companion}/")
    keys = {master} | _secret_values(twin)
    plant(twin, [planted])
    try:
        run = run_contract(f"--inventory={variant}", env={"LLM_LAB_LITELLM_KEY": master})
    finally:
        revert(twin, [planted])
    run.assert_green(contract_ids(), "the contract with a documented master key")
    master_key_check = next(c for c in run.checks if c["id"] == "litellm-orch::contract:master-key")
    assert master_key_check["found"] == "401 when no key is sent; answered when the master key is sent"
    for name, text in run_files(run.run_dir).items():
        leaked = [k[:6] + "..." for k in keys if k in text]
        assert not leaked, f"{name} holds a key: {leaked}"


def _secret_values(twin) -> set[str]:
    """Open WebUI's key and env.local's upstream keys, as planted in mini."""
    values = set()
    for path in (WEBUI_ENV, ENV_LOCAL):
        for line in twin.exec_in("mini", ["cat", path], check=True).stdout.splitlines():
            name, _, value = line.partition("=")
            if name.endswith("_API_KEY") and value:
                values.add(value)
    assert len(values) >= 7, values
    return values


def _inventory_variant(name: str, sed: str) -> str:
    """The inventory with one documented fact changed, where the suite in mini reads it (the checkout's reports/)."""
    import subprocess
    text = subprocess.run(["sed", sed, str(ROOT / "inventory.yaml")], capture_output=True, text=True, check=True).stdout
    assert text != (ROOT / "inventory.yaml").read_text(), f"the sed expression changed nothing: {sed}"
    path = ROOT / "reports" / f".twin-inventory-{name}.yaml"
    path.write_text(text)
    path.chmod(0o644)
    return f"reports/{path.name}"


# --- the contract fault catalog, each drift alone ---------------------------------------------------


class ContractBench:
    def __init__(self, twin, run_contract):
        self.twin, self.run_contract = twin, run_contract
        self.ids = contract_ids()
        self.previous: str | None = None  # the last fault reverted: this run proves its revert

    def prove(self, fault: Fault) -> None:
        args = [f"--inventory={_inventory_variant(fault.id, fault.inventory_sed)}"] if fault.inventory_sed else []
        started = time.monotonic()
        plant(self.twin, [fault])
        try:
            run = self.run_contract(*args)
        finally:
            revert(self.twin, [fault])
        seconds = time.monotonic() - started
        print(f"\n{fault.id}: plant + run + revert {seconds:.1f} s; failing {len(run.ids('failed'))}, "
              f"not applicable {len(run.ids('not applicable'))}")
        wrong = run.problems(self.ids, failing=set(fault.expect), not_applicable=set(fault.not_applicable),
                             exit_status=1 if fault.expect else 0)
        unnamed = [f"{c['id']}: {c['found']}" for c in run.checks
                   if c["status"] == "failed" and not LAYER.match(str(c["found"])) and not _names_itself(c)]
        if unnamed:
            wrong.append("failures that do not name their layer:\n  " + "\n  ".join(unnamed))
        if wrong:
            suspect = f" (or the revert of {self.previous})" if self.previous else ""
            pytest.fail(f"{fault.id}{suspect}, run {run.run_dir.name}:\n" + "\n".join(wrong), pytrace=False)
        self.previous = fault.id


def _names_itself(check: dict) -> bool:
    """Proxy-wide checks whose expected/found say what is wrong without a layer word (a model list's missing
    routes, the master key's own wording)."""
    return check["id"].endswith(("contract:models", "contract:master-key")) and (
        check["missing"] or check["extra"] or "master key" in str(check["found"]))


@pytest.fixture(scope="module")
def contract_bench(twin, run_contract):
    return ContractBench(twin, run_contract)


@pytest.mark.parametrize("fault", CONTRACT_CATALOG, ids=[f.id for f in CONTRACT_CATALOG])
def test_contract_fault_alone_fails_exactly_its_checks(contract_bench, fault):
    contract_bench.prove(fault)


def test_last_contract_revert_leaves_the_contract_green(contract_bench, run_contract):
    run_contract().assert_green(contract_bench.ids, f"the contract after the last revert ({contract_bench.previous})")
