"""On the unmodified twin every local check passes, as the owner user and as root.

Every run is judged whole (`SuiteRun.assert_green`): exit 0, every check id of the inventory reported
once, all passed, none errored.
"""
from selftest.artifacts import run_files


def test_unmodified_twin_is_green_twice_in_a_row(run_suite, check_ids):
    for attempt in (1, 2):
        run_suite().assert_green(check_ids, f"run {attempt}")


ROUND_TRIP_TARGETS = {"local": ("mini", 4), "studio": ("studio", 2)}  # the owner's examples included


def test_round_trips_with_the_owners_examples_are_within_their_targets(run_suite, check_ids):
    """Counts of round trips (not timings): the facts', and the owner's own tests' (testinfra's idiom) on top, whose
    platform probes the facts answer and whose questions about a path cost one look."""
    run = run_suite()
    run.assert_green(check_ids)
    facts = {c["batch"] for c in run.commands if c["host"] == "mini" and not c.get("test")}
    assert 1 <= len(facts) <= 2  # round trip 1 and the second look
    for marker, (host, target) in ROUND_TRIP_TARGETS.items():
        alone = run_suite("-m", marker)
        assert alone.exit_status == 0, alone.explain(alone.not_passed)
        owners = [t for t in alone.results["tests"] if t["outcome"] == "passed"]
        stats = alone.results["hosts"][host]
        sent = {c["batch"] for c in alone.commands if c["host"] == host}
        print(f"\n-m {marker}: {host}: {stats['round_trips']} round trips ({stats['round_trips'] - stats['tests_round_trips']} "
              f"for the facts + {stats['tests_round_trips']} for {len(owners)} owner's test(s)), {stats['commands']} "
              f"commands (target: at most {target} round trips)")
        assert owners and len(sent) == stats["round_trips"] <= target


def test_green_as_root_too(run_suite, check_ids):
    run = run_suite(as_root=True)
    run.assert_green(check_ids, "the run as root")
    assert {c["user"] for c in run.commands if c["host"] == "mini"} == {"root"}


def test_owner_run_is_recorded_as_the_owner(run_suite, check_ids):
    run = run_suite()
    run.assert_green(check_ids)
    assert {c["user"] for c in run.commands if c["host"] != "mini"} <= {"christopherbailey", "http"}  # ssh, HTTP
    assert {c["user"] for c in run.commands if c["host"] == "mini"} == {"christopherbailey"}


def test_no_secret_reaches_the_run_directory(twin, run_suite, check_ids):
    run = run_suite()
    run.assert_green(check_ids)  # every check ran, so every artifact that could leak was written
    secrets = twin.exec_in("mini", ["sh", "-c", "grep -h -E '_KEY=' /etc/open-webui/env "
                                   "/home/christopherbailey/litellm-orch/config/env.local | cut -d= -f2-; "
                                   "cat /home/christopherbailey/open-webui/.webui_secret_key"], check=True).stdout.split()
    assert secrets, "the twin should carry secret values to look for"
    for name, text in run_files(run.run_dir).items():
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{name} contains secret value(s)"


def test_committed_twin_baseline_is_what_recording_in_the_twin_gives(twin):
    """lab/baseline-twin.yaml (Ollama's files in mini) is reproducible by the record command."""
    import yaml

    from conformance.inventory import load_baseline
    from selftest.twin.conftest import ROOT

    recorded = twin.exec_in("mini", ["sh", "-c", "cd ~/llm-lab-conformance && .venv/bin/python -m conformance.baseline "
                                     "--site lab/site-twin.yaml --out -"], user="christopherbailey", check=True).stdout
    committed = load_baseline(ROOT / "lab" / "baseline-twin.yaml")
    fresh = yaml.safe_load(recorded)
    assert (fresh["site"], fresh["files"]) == (committed.site, committed.files)
