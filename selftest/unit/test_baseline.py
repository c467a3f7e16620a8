"""Ollama "must not be modified": its files hash as in the committed baseline, else the check fails."""
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from conformance.checks.baseline import baseline_checks, protected_files
from conformance.checks.derive import evaluate
from conformance.checks.finding import Status
from conformance.facts.paths import hash_command, parse_sha256
from conformance.inventory import InventoryError, load_baseline
from conformance.inventory.schema import Baseline
from conformance.site import SiteAddresses

from ._support import real_inventory

OVERRIDE = "/etc/systemd/system/ollama.service.d/override.conf"
PROTECTED = ["/etc/systemd/system/ollama.service", OVERRIDE, "/usr/local/bin/ollama"]
DIGEST = "a" * 64


class HashFacts:
    """Stands in for HostFacts.file_hash: the hashes a host answered."""

    def __init__(self, hashes):
        self.hashes = hashes

    def file_hash(self, path):
        digest = self.hashes.get(path)
        return SimpleNamespace(value=digest, what="" if digest else "missing", source=f"sha256sum -- {path}", evidence=())


def _baseline(site="lab", files=None):
    return Baseline(site=site, recorded=datetime(2026, 11, 27, tzinfo=timezone.utc), recorded_by="root@mini",
                    files=files if files is not None else {p: DIGEST for p in PROTECTED})


def _findings(baseline, hashes, site_id=None):
    inventory = real_inventory()
    site = SiteAddresses(inventory, SimpleNamespace(site=site_id, hosts={})) if site_id else SiteAddresses(inventory)
    return {c.id: evaluate(c, HashFacts(hashes)) for c in baseline_checks(inventory, site, "mini", baseline)}


def test_protected_files_are_ollamas_unit_drop_in_and_binary():
    assert protected_files(real_inventory().service("ollama")) == PROTECTED


def test_unchanged_files_pass():
    findings = _findings(_baseline(), {p: DIGEST for p in PROTECTED})
    assert sorted(findings) == ["ollama::unmodified:ollama", "ollama::unmodified:ollama.service",
                                "ollama::unmodified:override.conf"]
    assert {f.status for f in findings.values()} == {Status.PASSED}


def test_an_edited_override_fails_with_both_hashes():
    finding = _findings(_baseline(), {**{p: DIGEST for p in PROTECTED}, OVERRIDE: "b" * 64})["ollama::unmodified:override.conf"]
    assert finding.status is Status.FAILED
    assert f"expected 'sha256 {DIGEST}', found 'sha256 {'b' * 64}'" in finding.message


def test_a_removed_file_fails_as_missing():
    finding = _findings(_baseline(), {})["ollama::unmodified:ollama"]
    assert (finding.status, finding.found) == (Status.FAILED, "/usr/local/bin/ollama: missing")


@pytest.mark.parametrize("baseline, site_id, reason", [
    (None, None, "needs a recorded baseline"),
    (_baseline(site="twin"), None, "recorded at 'twin'"),
    (_baseline(files={}), None, "needs a baseline hash of"),
])
def test_without_a_usable_baseline_it_cannot_verify_never_passes(baseline, site_id, reason):
    findings = _findings(baseline, {p: DIGEST for p in PROTECTED}, site_id)
    assert {f.status for f in findings.values()} == {Status.CANNOT_VERIFY}
    assert all(reason in f.message for f in findings.values())


def test_sha256sum_output_is_parsed_and_errors_are_left_out():
    stdout = f"{DIGEST}  /etc/a\n{'c' * 64}  /etc/with two  spaces\n"
    assert parse_sha256(stdout) == {"/etc/a": DIGEST, "/etc/with two  spaces": "c" * 64}
    assert hash_command("/etc/a") == ["sha256sum", "--", "/etc/a"]


def test_a_baseline_with_a_bad_digest_is_reported_at_its_line(tmp_path):
    path = tmp_path / "baseline.yaml"
    path.write_text("site: lab\nrecorded: 2026-11-27T00:00:00Z\nrecorded_by: root@mini\nfiles:\n  /etc/x: nothex\n")
    with pytest.raises(InventoryError, match=r"baseline.yaml:4: files: /etc/x: not a sha256 hex digest"):
        load_baseline(path)
