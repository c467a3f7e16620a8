"""Broken input files fail as `FILE:LINE: what is wrong`, quickly, never with a traceback.

Each file in fixtures/inventory_errors/ has exactly one defect and says on its first line what
must be reported: `# expect: LINE: message fragment`. Its name says what it is: site-*.yaml is
fixtures/site-small.yaml, waivers-*.yaml a waivers file, baseline-*.yaml lab/baseline-twin.yaml,
anything else fixtures/inventory-small.yaml, each with the one defect. A binary file, whose
first line cannot be a comment, states its expectation in BINARY below.
"""
import re
import subprocess
import sys
import time

import pytest

from conformance.inventory import InventoryError, load_baseline, load_inventory, load_site, load_waivers
from conformance.inventory.yamlsafe import MAX_BYTES
from ._support import FIXTURES, ROOT, environ_without_pytest_vars

CORPUS = sorted((FIXTURES / "inventory_errors").glob("*.yaml"))
EXPECT = re.compile(rb"^# expect: (\d+): (.+)$")
BINARY = {"binary-gzip.yaml": (1, "contains a NUL byte (binary file?)")}  # inventory-small.yaml, gzipped
WAIVABLE = ["litellm-orch::restart-sec", "litellm-orch::listen:4000"]  # the check ids waivers-*.yaml may name
HANG_GUARD_SECONDS = 2.0  # not a benchmark: each load takes about a millisecond; an alias bomb once took minutes


def _expectation(path):
    if path.name in BINARY:
        return BINARY[path.name]
    m = EXPECT.match(path.read_bytes().split(b"\n", 1)[0])  # bytes: the rest of the file may not be text
    assert m, f"{path.name}: first line must be '# expect: LINE: fragment' (or an entry in BINARY)"
    return int(m.group(1)), m.group(2).decode("utf-8")


def _kind(path):
    prefix = path.name.split("-", 1)[0]
    return prefix if prefix in ("site", "waivers", "baseline") else "inventory"


def _loader(path):
    kind = _kind(path)
    if kind == "site":
        inventory = load_inventory(FIXTURES / "inventory-small.yaml")
        return lambda p: load_site(p, inventory)
    if kind == "waivers":
        return lambda p: load_waivers(p, WAIVABLE)
    return load_baseline if kind == "baseline" else load_inventory


def test_the_corpus_is_complete():
    kinds = [_kind(p) for p in CORPUS]
    counts = {k: kinds.count(k) for k in ("inventory", "site", "waivers", "baseline")}
    assert counts["inventory"] >= 37 and counts["site"] >= 6 and counts["waivers"] >= 3 and counts["baseline"] >= 2, counts


def test_the_files_they_derive_from_are_valid():
    load_inventory(FIXTURES / "inventory-small.yaml")
    load_site(FIXTURES / "site-small.yaml")
    load_baseline(ROOT / "lab" / "baseline-twin.yaml")


class _LoadTimes:
    """Each corpus file's load time, summed up in one line at the end of the run."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    def pytest_terminal_summary(self, terminalreporter):
        if self.seconds:
            slowest = sorted(self.seconds.items(), key=lambda item: -item[1])[:3]
            terminalreporter.write_line(
                f"inventory error corpus: {len(self.seconds)} files in {sum(self.seconds.values()) * 1000:.1f} ms; slowest: "
                + ", ".join(f"{name} {s * 1000:.1f} ms" for name, s in slowest))


@pytest.fixture(scope="module")
def load_times(request):
    times = _LoadTimes()
    request.config.pluginmanager.register(times)  # stays registered: its summary comes after the module ends
    return times.seconds


@pytest.mark.timeout(30)  # a regression to a hang fails here, not at the suite's 300 s
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_broken_file_is_reported_at_its_line(path, load_times):
    line, fragment = _expectation(path)
    load = _loader(path)
    started = time.perf_counter()
    with pytest.raises(InventoryError) as excinfo:
        load(path)
    seconds = load_times[path.name] = time.perf_counter() - started
    print(f"{path.name}: {seconds * 1000:.1f} ms")
    error = excinfo.value
    assert str(error).startswith(f"{path}:{line}: "), str(error)
    assert fragment in str(error)
    assert (error.path, error.line) == (str(path), line)
    assert "Traceback" not in str(error) and "\n" not in str(error)
    assert seconds < HANG_GUARD_SECONDS


def test_unreadable_file_names_the_path_without_a_line(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(InventoryError) as excinfo:
        load_inventory(missing)
    assert str(excinfo.value) == f"{missing}: cannot read: No such file or directory"


def test_a_file_over_the_size_limit_is_refused_without_a_line(tmp_path):
    big = tmp_path / "inventory.yaml"
    big.write_bytes(b"# padding\n" * (MAX_BYTES // 10 + 1))
    with pytest.raises(InventoryError) as excinfo:
        load_inventory(big)
    assert str(excinfo.value) == f"{big}: too large ({big.stat().st_size} bytes; the limit is 1 MiB)"


@pytest.mark.timeout(30)
def test_a_file_just_under_the_size_limit_is_judged_quickly(tmp_path):
    small = (FIXTURES / "inventory-small.yaml").read_text()
    head, rest = small.split("services:\n", 1)
    services, tail = rest.split("\nlitellm:", 1)
    copies = (MAX_BYTES - len(small)) // len(services)
    path = tmp_path / "inventory.yaml"
    path.write_text(head + "services:\n" + services * copies + "\nlitellm:" + tail)
    started = time.perf_counter()
    with pytest.raises(InventoryError, match=r":37: services.3.id: duplicate service id: 'litellm-orch'"):
        load_inventory(path)
    seconds = time.perf_counter() - started
    print(f"{path.stat().st_size} bytes: {seconds:.2f} s")
    assert seconds < 5 * HANG_GUARD_SECONDS  # ~0.6 s with libyaml's parser, ~2.5 s without


def _collect(*args):
    return subprocess.run([sys.executable, "-m", "pytest", "-m", "local", "--collect-only", "-q", "-p", "no:cacheprovider",
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environ_without_pytest_vars())


def test_pytest_stops_with_a_usage_error_naming_file_and_line():
    path = FIXTURES / "inventory_errors" / "port-out-of-range.yaml"
    line, fragment = _expectation(path)
    p = _collect("--inventory", str(path))
    output = p.stdout + p.stderr
    assert p.returncode == 4, output
    assert f"{path}:{line}:" in output and fragment in output
    assert "Traceback" not in output


def test_pytest_stops_on_a_broken_site_file_too():
    path = FIXTURES / "inventory_errors" / "site-missing-address.yaml"
    line, _ = _expectation(path)
    p = _collect("--site", str(path))
    output = p.stdout + p.stderr
    assert p.returncode == 4 and f"{path}:{line}:" in output and "Traceback" not in output


@pytest.mark.parametrize("option, name", [
    ("--inventory", "alias-bomb.yaml"),
    ("--inventory", "not-utf8-latin1.yaml"),
    ("--waivers", "waivers-impossible-date.yaml"),
    ("--inventory", "relative-unit-environment-file.yaml"),  # once an error of every check of its host, at run time
])
def test_pytest_stops_with_exit_4_on_input_that_used_to_crash_it(option, name):
    path = FIXTURES / "inventory_errors" / name
    line, fragment = _expectation(path)
    p = _collect(option, str(path))
    output = p.stdout + p.stderr
    assert p.returncode == 4, output
    assert f"{path}:{line}: " in output and fragment in output, output
    assert "Traceback" not in output and "INTERNALERROR" not in output, output
