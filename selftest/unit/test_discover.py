"""Discovery offline: classification, proposals, the insert-only patch, ignores and the two-reads rule.

The fixture selftest/fixtures/discover/founding-twin/recording.json.gz is a real discovery run of the twin's founding
edition (`python -m lab discover`, the twin's mini as the owner, four hosts: mini, studio, dietpi and the fourth host
orin that only the owner's ssh config names); `--replay` answers every host from it, through the same Runner.
"""
from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from conformance.discover import decide
from conformance.discover.__main__ import main
from conformance.discover.classify import DOCUMENTED_ABSENT, classify
from conformance.discover.ignore import DEFAULT_IGNORES, Ignores, IgnoreFile
from conformance.discover.observe import LinuxReader, Observation, names_port, parse_show_blocks, unit_attrs
from conformance.discover.proposal import Proposal
from conformance.discover.write import NoPlace, _place, insertions, loadable_insertions, unified_patch
from conformance.facts.contract_plan import ContractPlan
from conformance.inventory import load_inventory
from conformance.inventory.schema import Inventory
from conformance.redaction import Redactor
from conformance.replay import ReplayBackend
from conformance.runner import Runner
from conformance.runner.allowlist import ReadOnlyViolation, check_read_only
from conformance.site import SiteAddresses

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "selftest" / "fixtures" / "discover" / "founding-twin"


def _recording() -> dict:
    return json.loads(gzip.decompress((FIXTURE / "recording.json.gz").read_bytes()))


def _discover(tmp_path: Path, *args: str) -> tuple[int, Path]:
    reports = tmp_path / "reports"
    status = main(["--replay", str(FIXTURE), "--reports", str(reports), *args])
    runs = sorted(reports.iterdir()) if reports.exists() else []
    return status, runs[-1] if runs else None


def _ignore_file(tmp_path: Path, expires: date, match: str = "host:orin") -> Path:
    path = tmp_path / "discover-ignore.yaml"
    path.write_text(yaml.safe_dump({"ignores": [{"match": match, "reason": "documented in examples/inventory-orin.yaml",
                                                 "expires": expires}]}))
    return path


def _applies(tmp_path: Path, inventory_text: str, patch: str) -> Path:
    """The patch applied with `git apply` to a copy of the inventory (after `--check`); the patched file."""
    work = tmp_path / "apply"
    work.mkdir()
    name = patch.splitlines()[0].removeprefix("--- a/")  # the patch names the file it was made against
    (work / name).write_text(inventory_text)
    (work / "p.patch").write_text(patch)
    for argv in (["git", "apply", "--check", "p.patch"], ["git", "apply", "p.patch"]):
        done = subprocess.run(argv, cwd=work, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    return work / name


def _inserted_only(old: str, new: str) -> bool:
    """Every line of old is in new, in order (new only adds lines)."""
    it = iter(new.splitlines())
    return all(any(line == n for n in it) for line in old.splitlines())


@pytest.mark.skipif(not shutil.which("git"), reason="git apply is the patch's judge")
def test_the_founding_twin_proposes_its_fourth_host_and_the_patch_applies_and_loads(tmp_path):
    status, run = _discover(tmp_path)
    assert status == 1
    found = yaml.safe_load((run / "discovered.yaml").read_text())["proposed"]
    assert [(p["section"], p["entry"].get("id")) for p in found] == [("hosts", "orin"), ("services", "llama-server")]
    service = found[1]["entry"]
    assert service["units"][0]["exec_start"].endswith("--directory /srv/llama-server 8080")
    assert service["listen"] == [{"address": "0.0.0.0", "port": 8080, "source": "observed"}]  # its command names 8080
    assert all(e["what"] and e["at"] and e["where"] for p in found for e in p["evidence"])
    data = json.loads((run / "discovery.json").read_text())
    assert data["counts"] == {"documented and seen": 17, "documented but absent": 0, "seen but undocumented": 2,
                              "cannot observe": 0}
    assert len(data["review"]) == 2 and "2" in (run / "discovery.html").read_text().split("Needs review (")[1][:2]
    text = (ROOT / "inventory.yaml").read_text()
    patched = _applies(tmp_path, text, (run / "inventory.patch").read_text())
    assert _inserted_only(text, patched.read_text())
    inventory = load_inventory(patched)
    assert "llama-server" in {s.id for s in inventory.services} and inventory.host("orin").os == "linux"


def test_ignoring_the_fourth_host_leaves_the_founding_twin_clean(tmp_path):
    status, run = _discover(tmp_path, "--ignore", str(_ignore_file(tmp_path, date.today() + timedelta(days=30))))
    assert status == 0
    assert (run / "inventory.patch").read_text() == ""
    data = json.loads((run / "discovery.json").read_text())
    assert data["review"] == [] and any(x["item"] == "host:orin" for x in data["ignored"])


def test_an_expired_ignore_hides_nothing_and_is_listed(tmp_path):
    status, run = _discover(tmp_path, "--ignore", str(_ignore_file(tmp_path, date(2026, 1, 1))))
    assert status == 1
    data = json.loads((run / "discovery.json").read_text())
    assert [x["match"] for x in data["expired_ignores"]] == ["host:orin"]


@pytest.mark.skipif(not shutil.which("git"), reason="git apply is the patch's judge")
def test_a_documented_service_removed_from_the_inventory_is_proposed_back_as_documented(tmp_path):
    text = (ROOT / "inventory.yaml").read_text()
    start = text.index("  - id: ollama\n")
    end = text.index("  - id: home-assistant\n")
    without = tmp_path / "inventory-without-ollama.yaml"
    without.write_text(text[:start] + text[end:])
    status, run = _discover(tmp_path, "--inventory", str(without), "--ignore",
                            str(_ignore_file(tmp_path, date.today() + timedelta(days=30))))
    assert status == 1
    patched = load_inventory(_applies(tmp_path, without.read_text(), (run / "inventory.patch").read_text()))
    ollama = next(s for s in patched.services if s.id == "ollama")
    documented = next(s for s in load_inventory(ROOT / "inventory.yaml").services if s.id == "ollama")
    unit, was = ollama.units[0], documented.units[0]
    assert (unit.name, unit.fragment, unit.exec_start, unit.restart, unit.restart_sec, unit.drop_ins) \
        == (was.name, was.fragment, was.exec_start, was.restart, was.restart_sec, was.drop_ins)
    assert was.environment.items() <= unit.environment.items()  # the unit's own PATH= is seen too (ollama's installer)
    assert [(l.address, l.port) for l in ollama.listen] == [(l.address, l.port) for l in documented.listen]
    assert ollama.source == "observed"


def test_a_documented_unit_that_is_not_running_is_absent_with_its_checks(tmp_path):
    inventory = load_inventory(ROOT / "inventory.yaml")
    site = SiteAddresses(inventory)
    obs = Observation("mini", "christopherbailey")  # read fine, nothing seen
    rows = classify(inventory, site, {"mini": obs}, Ignores()).rows
    absent = {r.name: r.checks for r in rows if r.cls == DOCUMENTED_ABSENT}
    assert "ollama::active" in absent["unit:ollama.service"]
    assert absent["listener:0.0.0.0:11434"] == ("ollama::listen:11434",)
    unreachable = Observation("mini", unreachable="ssh: connect timed out")
    rows = classify(inventory, site, {"mini": unreachable}, Ignores()).rows
    assert not [r for r in rows if r.cls == DOCUMENTED_ABSENT]  # what could not be seen is never absent
    assert {r.cls for r in rows} == {"cannot observe"}


# --- the two-reads rule and noise, over answers in the shape of the twin's capture ---------------------------

PROPS = "Id,LoadState,ActiveState,UnitFileState,FragmentPath,DropInPaths,ExecStart,Restart,RestartUSec," \
        "EnvironmentFiles,Environment,User,Transient"


def _block(unit: str, exec_line: str, transient: bool = False, fragment: str | None = None) -> str:
    """One unit as `systemctl show -p PROPS` printed it in the twin (the fixture's recording, systemd 252)."""
    fragment = fragment if fragment is not None else ("" if transient else f"/etc/systemd/system/{unit}")
    return (f"Restart=no\nRestartUSec=100ms\nExecStart={{ path={exec_line.split()[0]} ; argv[]={exec_line} ; "
            f"ignore_errors=no ; start_time=[Mon 2026-12-07 10:56:29 UTC] ; stop_time=[n/a] ; pid=40 ; code=(null) ; "
            f"status=0/0 }}\nEnvironment=\nUser=\nId={unit}\nLoadState=loaded\nActiveState=active\n"
            f"FragmentPath={fragment}\nDropInPaths=\nUnitFileState={'transient' if transient else 'enabled'}\n"
            f"Transient={'yes' if transient else 'no'}\n")


def _read(first: dict, second: dict) -> Observation:
    """Both reads of a Linux host, answered from two rounds of canned answers (argv -> stdout)."""
    def trip(answers):
        return {"argvs": [list(a) for a in answers], "answers": [[0, out, "", False] for out in answers.values()]}
    backend = ReplayBackend("h", {"user": "root", "round_trips": [trip(first), trip(second)]})
    runner = Runner("h", backend, max_round_trips=2)
    reader = LinuxReader("h", runner, [], Redactor())
    reader.gap = 0.0
    obs = Observation("h", "root")
    reader.read(obs)
    assert runner.batches == 2
    return obs


SHOW = ("systemctl", "show", "--no-pager", "-p", PROPS, "--", "*.service")
FILES = ("systemctl", "list-unit-files", "--no-pager", "--no-legend", "--type=service")
SS = ("ss", "-ltnH")
RANGE = ("head", "-c", "64", "--", "/proc/sys/net/ipv4/ip_local_port_range")


def test_only_what_both_reads_show_and_outlives_a_boot_is_an_item():
    stable = _block("keeper.service", "/usr/bin/keeper --port 7000")
    transient = _block("run-u42.service", "/usr/bin/sleep 600", transient=True)  # `systemd-run sleep 600`
    runtime = _block("gen.service", "/usr/bin/gen", fragment="/run/systemd/system/gen.service")
    short = _block("blip.service", "/usr/bin/blip")  # gone by the second read
    ss1 = ("LISTEN 0 128 0.0.0.0:7000 0.0.0.0:*\nLISTEN 0 5 127.0.0.1:45678 0.0.0.0:*\n"
           "LISTEN 0 5 0.0.0.0:7777 0.0.0.0:*\n")
    ss2 = "LISTEN 0 128 0.0.0.0:7000 0.0.0.0:*\nLISTEN 0 5 127.0.0.1:45678 0.0.0.0:*\n"
    first = {SHOW: "\n".join([stable, transient, runtime, short]), FILES: "keeper.service enabled enabled\n",
             SS: ss1, RANGE: "32768\t60999\n"}
    second = {SHOW: "\n".join([stable, transient, runtime]), FILES: "keeper.service enabled enabled\n",
              SS: ss2, RANGE: "32768\t60999\n"}
    obs = _read(first, second)
    assert [(i.kind, i.key, i.attrs.get("ephemeral")) for i in obs.items] == [
        ("unit", ("system", None, "keeper.service"), None), ("listener", ("0.0.0.0", 7000), False),
        ("listener", ("127.0.0.1", 45678), True)]  # kept only to match a documented port; never proposed
    assert obs.items[0].attrs["exec_start"] == "/usr/bin/keeper --port 7000" and obs.items[0].attrs["enabled"]


def test_show_blocks_are_keyed_by_id_wherever_it_is_printed():
    blocks = parse_show_blocks(_block("a.service", "/bin/a") + "\n" + _block("b.service", "/bin/b x"))
    assert list(blocks) == ["a.service", "b.service"]
    assert unit_attrs(blocks["b.service"], enabled=False)["exec_start"] == "/bin/b x"


def test_a_listener_belongs_to_the_unit_whose_command_or_environment_names_its_port():
    assert names_port({"exec_start": "/usr/local/bin/ollama serve", "environment": {"OLLAMA_HOST": "0.0.0.0:11434"}},
                      11434)
    assert names_port({"exec_start": "/usr/bin/python3 -m http.server 8080"}, 8080)
    assert not names_port({"exec_start": "/usr/bin/x --port 80800"}, 8080)
    assert not names_port({"exec_start": "/usr/bin/x --timeout 1.8080"}, 8080)


# --- ignores ------------------------------------------------------------------------------------------------

def _documented_names(inventory) -> list[tuple[str, str]]:
    names = [(s.host, f"unit:{u.name}") for s in inventory.services for u in s.units]
    names += [(s.host, f"listener:{l.address}:{l.port}") for s in inventory.services for l in s.listen]
    names += [(j.host, f"launchd:{label}") for j in inventory.launchd for label, _ in j.jobs()]
    return names


@pytest.mark.parametrize("path", ["inventory.yaml", *sorted(p.relative_to(ROOT).as_posix()
                                                             for p in (ROOT / "examples").glob("inventory*.yaml"))])
def test_the_default_ignores_name_nothing_an_inventory_documents(path):
    inventory = load_inventory(ROOT / path)
    ignores = Ignores()
    hidden = [(h, n, ignores.why(h, n)) for h, n in _documented_names(inventory) if ignores.why(h, n)]
    assert not hidden
    assert _documented_names(inventory)  # the test looks at something


def test_an_ignore_file_entry_for_one_host_hides_only_there_and_only_until_it_expires():
    file = IgnoreFile.model_validate({"ignores": [{"match": "listener:*:6379", "host": "mini", "reason": "redis test",
                                                   "expires": "2026-12-31"}]})
    assert Ignores(file, today=date(2026, 12, 1)).why("mini", "listener:127.0.0.1:6379").startswith("ignored until")
    assert Ignores(file, today=date(2026, 12, 1)).why("dietpi", "listener:127.0.0.1:6379") is None
    late = Ignores(file, today=date(2027, 1, 1))
    assert late.why("mini", "listener:127.0.0.1:6379") is None and list(late.expired_hits) == ["mini/listener:127.0.0.1:6379"]
    assert Ignores().why("studio", "launchd:com.apple.cron") and "launchd:com.apple.*" in DEFAULT_IGNORES


# --- the patch ------------------------------------------------------------------------------------------------

def _proposal(section: str, entry: dict, parent: str | None = None) -> Proposal:
    return Proposal(section, entry, "observed", "seen", (), parent=parent)


def test_the_patch_inserts_into_a_documented_services_list_and_never_rewrites(tmp_path):
    text = (ROOT / "inventory.yaml").read_text()
    new, unplaced, _ = insertions(text, [
        _proposal("listen", {"address": "127.0.0.1", "port": 4001, "source": "observed"}, parent="litellm-orch"),
        _proposal("paths", {"name": "extra", "path": "/etc/extra", "type": "file", "source": "observed"},
                  parent="ollama"),
        _proposal("launchd", {"label": "x"})])
    assert [p.section for p, _ in unplaced] == ["launchd"]
    assert _inserted_only(text, new)
    patch = unified_patch(text, new, "inventory.yaml")
    assert not [l for l in patch.splitlines() if l.startswith("-") and not l.startswith("---")]
    inventory = yaml.safe_load(new)
    litellm = next(s for s in inventory["services"] if s["id"] == "litellm-orch")
    assert litellm["listen"][-1] == {"address": "127.0.0.1", "port": 4001, "source": "observed"}
    assert next(s for s in inventory["services"] if s["id"] == "ollama")["paths"][-1]["name"] == "extra"
    assert unified_patch(text, text, "inventory.yaml") == ""


def test_an_entry_the_whole_inventory_refuses_is_left_out_with_the_loaders_words():
    text = (ROOT / "inventory.yaml").read_text()
    twice = _proposal("services", {"id": "second-gateway", "host": "mini", "source": "observed", "purpose": "x",
                                   "listen": [{"address": "0.0.0.0", "port": 4000, "source": "observed"}]})
    fine = _proposal("listen", {"address": "127.0.0.1", "port": 4001, "source": "observed"}, parent="litellm-orch")
    new, left_out = loadable_insertions(text, [twice, fine])
    assert [(p.entry.get("id"), "claimed twice" in why) for p, why in left_out] == [("second-gateway", True)]
    assert "port: 4001" in new and "second-gateway" not in new


def test_an_entry_holding_a_value_redaction_hid_is_never_patched_as_a_placeholder():
    text = (ROOT / "inventory.yaml").read_text()
    hidden = _proposal("services", {"id": "bridge", "host": "mini", "source": "observed", "purpose": "x", "units": [
        {"name": "bridge.service", "source": "observed", "exec_start": "/usr/bin/tool --secret-flag=<redacted>"}]})
    fine = _proposal("listen", {"address": "127.0.0.1", "port": 4001, "source": "observed"}, parent="litellm-orch")
    new, left_out, _ = insertions(text, [hidden, fine])
    assert [(p.entry["id"], "hidden as a secret" in why) for p, why in left_out] == [("bridge", True)]
    assert "<redacted>" not in new and "port: 4001" in new


def test_a_service_written_inline_is_listed_for_review_not_patched():
    lines = ["services:\n", "  - {id: tiny, host: mini, source: founding, purpose: x}\n"]
    with pytest.raises(NoPlace):
        _place(lines, _proposal("listen", {"address": "0.0.0.0", "port": 1, "source": "observed"}, parent="tiny"))


# --- the command's contract ------------------------------------------------------------------------------------

def test_bad_input_exits_4(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("ignores: [{match: x}]\n")
    assert main(["--replay", str(FIXTURE), "--reports", str(tmp_path), "--ignore", str(bad)]) == 4
    assert main(["--replay", str(tmp_path / "nothing"), "--reports", str(tmp_path)]) == 4
    assert "bad input" in capsys.readouterr().err


@pytest.mark.skipif(not shutil.which("git"), reason="git apply is the patch's judge")
def test_from_repo_proposes_what_the_inventory_lacks_as_a_patch_that_applies_and_loads(tmp_path):
    from selftest.unit.test_discover_from_repo import build
    repo = tmp_path / "owner"
    build(repo)  # a small checkout in the owner's repo's layout (that test's fixture)
    reports = tmp_path / "reports"
    assert main(["--from-repo", str(repo), "--inventory", str(ROOT / "inventory.yaml"), "--reports", str(reports)]) == 1
    run = next(reports.iterdir())
    data = json.loads((run / "discovery.json").read_text())
    assert data["proposed"] > 0 and data["from_repo"]["not_derived"]  # what it cannot derive is listed
    found = yaml.safe_load((run / "discovered.yaml").read_text())["proposed"]
    assert {p["source"] for p in found} == {"companion"}
    patched = load_inventory(_applies(tmp_path, (ROOT / "inventory.yaml").read_text(),
                                      (run / "inventory.patch").read_text()))
    assert len(patched.services) > len(load_inventory(ROOT / "inventory.yaml").services)


def test_from_repo_on_no_directory_is_bad_input_and_makes_no_run(tmp_path, capsys):
    assert main(["--from-repo", str(tmp_path / "none"), "--reports", str(tmp_path / "r"), "--inventory",
                 str(ROOT / "inventory.yaml")]) == 4
    assert "not a directory" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_every_command_discovery_sent_is_an_exact_allowlisted_shape():
    for host in _recording()["hosts"].values():
        for trip in host["round_trips"]:
            for argv in trip["argvs"]:
                check_read_only(argv)
    for near in (["systemctl", "show", "--no-pager", "-p", "Id", "--", "*"],
                 ["systemctl", "show", "--no-pager", "-p", "Id", "*.service"],
                 ["systemctl", "-H", "x", "list-unit-files", "--no-pager", "--no-legend", "--type=service"]):
        with pytest.raises(ReadOnlyViolation):
            check_read_only(near)


@pytest.mark.skipif(not shutil.which("git"), reason="git apply is the patch's judge")
def test_a_route_router_yaml_lists_and_the_inventory_does_not_is_proposed_with_its_backend(tmp_path):
    text = (ROOT / "inventory.yaml").read_text()
    line = next(i for i, l in enumerate(text.splitlines(keepends=True)) if "{name: jerry-weak," in l)
    lines = text.splitlines(keepends=True)
    without = tmp_path / "inventory-without-jerry-weak.yaml"
    without.write_text("".join(lines[:line] + lines[line + 2:]))  # the route's entry is two lines
    status, run = _discover(tmp_path, "--inventory", str(without), "--ignore",
                            str(_ignore_file(tmp_path, date.today() + timedelta(days=30))))
    assert status == 1
    route = next(p for p in yaml.safe_load((run / "discovered.yaml").read_text())["proposed"]
                 if p["section"] == "litellm.routes")
    # the twin's env.local names the studio by its twin address: written back in the inventory's {studio} form
    assert route["entry"] == {"name": "jerry-weak", "api_base": "http://{studio}:8103/v1", "backend": "mlx-servers",
                              "api": "mlx-openai-server", "expected": "up",
                              "deployments": [{"api_base": "http://{studio}:8103/v1",
                                               "model": "openai//opt/mlx-launch/models/Llama-3.2-3B-Instruct-4bit"}],
                              "source": "observed"}
    assert route["review"] == ["expected"]  # documented `optional`; up now: the owner decides
    patched = load_inventory(_applies(tmp_path, without.read_text(), (run / "inventory.patch").read_text()))
    assert "jerry-weak" in {r.name for r in patched.litellm.routes}


def test_a_documented_route_router_yaml_does_not_list_is_absent_with_its_checks():
    from conformance.discover.observe import Item
    inventory = load_inventory(ROOT / "inventory.yaml")
    obs = Observation("mini", "christopherbailey", items=[Item("route", "mini", (r.name,), {}, "head", "t")
                                                          for r in inventory.litellm.routes if r.name != "jerry-weak"])
    rows = classify(inventory, SiteAddresses(inventory), {"mini": obs}, Ignores()).rows
    absent = {r.name: r.checks for r in rows if r.cls == DOCUMENTED_ABSENT and r.name.startswith("route:")}
    assert set(absent) == {"route:jerry-weak"}
    assert "litellm-orch::route:jerry-weak:api-base" in absent["route:jerry-weak"]


# --- the 2026-05 edition (the owner's newer lab) against the founding inventory, and against its own ----------

EDITION = ROOT / "selftest" / "fixtures" / "discover"


def _replay(tmp_path: Path, fixture: str) -> tuple[int, Path, str]:
    reports = tmp_path / "reports"
    status = main(["--replay", str(EDITION / fixture), "--reports", str(reports)])
    recorded = json.loads(gzip.decompress((EDITION / fixture / "recording.json.gz").read_bytes()))
    return status, next(reports.iterdir()), recorded["inputs"]["inventory"]


@pytest.mark.skipif(not shutil.which("git"), reason="git apply is the patch's judge")
def test_the_2026_05_edition_against_the_founding_inventory_proposes_the_owners_newer_lab(tmp_path):
    status, run, inventory_text = _replay(tmp_path, "edition-2026-05-founding-inventory")
    assert status == 1
    found = yaml.safe_load((run / "discovered.yaml").read_text())
    proposed = {(p["section"], p["entry"].get("id") or p["entry"].get("label") or p["entry"].get("name")
                 or p["entry"].get("route")): p for p in found["proposed"]}
    assert {("hosts", "orin"), ("services", "postgresql-15-main"), ("services", "prometheus"),
            ("services", "grafana-server"), ("services", "voice-gateway"), ("services", "llmster-gpt"),
            ("launchd", "com.bebop.llmster-gpt.8126"), ("launchd", "com.bebop.mlx-lane.{port}"),
            ("litellm.routes", "fast"), ("litellm.routes", "deep"), ("litellm.routes", "chatgpt-5"),
            ("litellm.fallbacks", "fast")} <= set(proposed)
    # the lanes, each with the state launchd shows (8101 loaded; 8100 and 8102 disabled in its database)
    lanes = proposed[("launchd", "com.bebop.mlx-lane.{port}")]
    assert lanes["entry"]["lanes"] == [{"port": 8100, "state": "disabled"}, {"port": 8101, "state": "active"},
                                       {"port": 8102, "state": "disabled"}] and "lanes" in lanes["review"]
    # llmster: a thin wrapper (KeepAlive false) that ended cleanly while 8126 listens: its daemon serves the port
    llmster = proposed[("launchd", "com.bebop.llmster-gpt.8126")]["entry"]
    assert (llmster["port"], llmster["keep_alive"], llmster["port_served_by"]) == (8126, False, "daemon")
    # the Postgres listener goes with the cluster's unit (pg_ctlcluster's default port), on both its binds
    postgres = proposed[("services", "postgresql-15-main")]["entry"]
    assert postgres["listen"] == [{"addresses": ["127.0.0.1", "::1"], "port": 5432, "source": "observed"}]
    # a route with its deployment, the env names router.yaml uses, on the studio written as {studio}; no api (how
    # llmster answers is not observable, and the founding contract names no api as its backend): proposed INTO the
    # patch with `leaves_lab: true`, so the suite never calls it, both listed for review; its fallback goes in too
    fast = proposed[("litellm.routes", "fast")]
    assert fast["entry"]["deployments"] == [{"api_base": "http://{studio}:8126/v1",
                                             "model": "openai/llmster-gpt-oss-20b-mxfp4-gguf"}]
    assert fast["entry"]["env"] == {"model": "LLMSTER_FAST_MODEL", "api_base": "LLMSTER_FAST_API_BASE"}
    assert fast["entry"]["backend"] == "llmster-gpt" and "api" not in fast["entry"]
    assert fast["entry"]["leaves_lab"] is True and fast["review"] == ["expected", "leaves_lab", "api"]
    assert proposed[("litellm.fallbacks", "fast")]["entry"]["to"] == ["deep"]
    routes = {p["entry"]["name"] for p in found["proposed"] if p["section"] == "litellm.routes"}
    assert len(routes) == 8 and all(proposed[("litellm.routes", r)]["entry"]["leaves_lab"] for r in routes)
    assert not [p for p in found["not_in_patch"] if p["section"].startswith("litellm.")]
    data = json.loads((run / "discovery.json").read_text())
    assert "route fast: proposed with `leaves_lab: true` and no `api:`, so the suite never calls it" in "\n".join(
        data["not_discoverable"])
    assert ("litellm.routes fast on mini: decide expected, leaves_lab (the observed value is written; leaves_lab: "
            "true, since nothing read shows where its backend sends a request); add api (not written: nothing read "
            "shows it)") in data["review"]
    # what the founding inventory documents that the lab dropped or changed: decisions, with their failing checks
    decisions = {(d["action"], json.dumps(d["at"])): d for d in data["decisions"]}
    assert ("remove", json.dumps(["launchd", {"label": "com.bebop.mlx-launch"}])) in decisions
    assert ("remove", json.dumps(["litellm", "routes", {"name": "jerry-chat"}])) in decisions
    assert decisions[("set", json.dumps(["litellm", "master_key", "enabled"]))]["value"] is True
    # ...and the env file it is in, proposed into litellm-orch by its KEYS (the master key's name, never a value)
    env = next(p for p in found["proposed"] if p["section"] == "env_files" and p.get("parent") == "litellm-orch")
    assert env["evidence"] and "LITELLM_MASTER_KEY" in (run / "inventory.patch").read_text()
    patched_text = (run / "inventory.patch").read_text()
    assert "+        - key: LITELLM_MASTER_KEY\n+          secret: true\n" in patched_text
    assert decisions[("set", json.dumps(["litellm", "json_logs"]))]["value"] is False
    unit = decisions[("remove", json.dumps(["services", {"id": "ov-server"}, "units", {
        "name": "ov-server.service", "scope": "user", "user": "christopherbailey"}]))]
    assert "ov-server::active" in unit["checks"]
    absent = {r["name"] for r in data["rows"] if r["cls"] == "documented but absent"}
    assert {"unit:ov-server.service", "launchd:com.bebop.mlx-launch", "route:jerry-chat"} <= absent
    assert data["counts"]["cannot observe"] == 0  # the router.yaml the proxy's start script names was read
    patched_path = _applies(tmp_path, inventory_text, (run / "inventory.patch").read_text())
    patched = load_inventory(patched_path)
    assert {"postgresql-15-main", "prometheus", "voice-gateway", "llmster-gpt", "mlx-lane"} <= {s.id for s in patched.services}
    assert {"com.bebop.llmster-gpt.8126", "com.bebop.mlx-lane.{port}"} <= {j.label for j in patched.launchd}
    assert "orin" in {h.id for h in patched.hosts}
    # patched and decided as the page lists it: the proxy's model list is documented (contract:models expects every
    # route router.yaml lists), and none of the new routes is called
    decided = Inventory.model_validate(decide.apply(yaml.safe_load(patched_path.read_text()), data["decisions"]))
    listed = {r["name"].removeprefix("route:") for r in data["rows"]
              if r["name"].startswith("route:") and r["cls"] != "documented but absent"}
    plans = ContractPlan(decided, SiteAddresses(decided), "mini").plans
    assert {p.route.name for p in plans} == listed == routes
    assert not [p.route.name for p in plans if p.route.called or p.api is not None]
    assert decided.litellm.fallbacks[0].route == "fast"


def test_the_2026_05_edition_against_its_own_inventory_has_nothing_absent(tmp_path):
    status, run, _ = _replay(tmp_path, "edition-2026-05-own-inventory")
    data = json.loads((run / "discovery.json").read_text())
    assert data["counts"]["documented but absent"] == 0 and data["counts"]["cannot observe"] == 0
    assert data["counts"]["documented and seen"] >= 60
    # what the edition runs that its inventory does not say (each listed for review); nothing it documents otherwise
    assert status == 1 and len(data["review"]) == data["counts"]["seen but undocumented"] == 5
    assert data["decisions"] == []


def test_a_user_managers_own_session_bus_is_os_noise_and_a_users_own_service_is_not():
    # any `systemctl --user` starts the owner's dbus.service (found on a fresh clone's twin proof: it was proposed)
    ignores = Ignores(today=date(2026, 12, 7))
    assert ignores.why("mini", "unit:dbus.service@christopherbailey")
    assert ignores.why("mini", "unit:dbus-broker.service@christopherbailey")
    assert ignores.why("mini", "unit:open-webui.service@christopherbailey") is None


def test_a_proposed_routes_api_is_taken_where_discovery_can_tell_and_else_it_is_never_called():
    """route_api.for_contract over the founding inventory (its contract: mlx-openai-server, ov-llm-server)."""
    from conformance.discover.route_api import for_contract
    inventory = load_inventory(ROOT / "inventory.yaml")
    base = {"name": "new", "api_base": "http://{studio}:8126/v1", "backend": "llmster-gpt", "expected": "up",
            "source": "observed"}
    # told by the backend's other documented routes (classify's _backend_of writes it): kept, nothing to review
    assert for_contract(base | {"backend": "mlx-servers", "api": "mlx-openai-server"}, inventory) == (
        base | {"backend": "mlx-servers", "api": "mlx-openai-server"}, ())
    # a contract api named as the backend: taken, for review
    assert for_contract(base | {"backend": "ov-llm-server"}, inventory) == (
        base | {"backend": "ov-llm-server", "api": "ov-llm-server"}, ("api",))
    # neither: leaves_lab true beside expected, no api, both for review; the entry loads and is never called
    entry, review = for_contract(base, inventory)
    assert list(entry) == ["name", "api_base", "backend", "expected", "leaves_lab", "source"] and review == (
        "leaves_lab", "api")
    data = yaml.safe_load((ROOT / "inventory.yaml").read_text())
    data["litellm"]["routes"].append(entry | {"backend": "ov-server"})
    route = Inventory.model_validate(data).litellm.routes[-1]
    assert route.api is None and not route.called
    # an inventory without a contract needs no api: the route is left as it is
    data = yaml.safe_load((ROOT / "inventory.yaml").read_text())
    del data["contract"]
    assert for_contract(base, Inventory.model_validate(data)) == (base, ())


def test_discovered_yaml_keeps_env_key_names_and_masks_what_is_secret(tmp_path):
    from conformance.discover.write import write_discovered
    from conformance.redaction import Redactor
    entry = {"id": "proxy", "host": "mini", "source": "observed", "purpose": "x",
             "units": [{"name": "proxy.service", "source": "observed",
                        "exec_start": "/opt/proxy --api-key sk-live-0123456789abcdef --port 4000"}],
             "env_files": [{"path": "/etc/proxy/env", "source": "observed", "entries": [
                 {"key": "LITELLM_MASTER_KEY", "secret": True, "source": "observed"},
                 {"key": "PORT", "value": "4000", "source": "observed"}]}]}
    text = write_discovered(tmp_path, [_proposal("services", entry)], [], Redactor()).read_text()
    assert "key: LITELLM_MASTER_KEY" in text and "key: PORT" in text  # names of the file's keys, never values
    assert "sk-live-0123456789abcdef" not in text and "--api-key <redacted>" in text
