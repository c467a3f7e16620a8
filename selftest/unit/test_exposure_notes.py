"""Documented states that are also exposures pass with a security note (shown as a warning)."""
from types import SimpleNamespace

from conformance.checks.derive import evaluate
from conformance.checks.files import path_checks
from conformance.checks.finding import Status
from conformance.checks.network import listen_checks
from conformance.facts.paths import PathFact
from conformance.facts.sockets import Listening

from ._support import real_inventory


def _fact(value, source="ss -ltnH"):
    return SimpleNamespace(value=value, source=source, evidence=())


class Facts:
    def __init__(self, listening=(), paths=None):
        self._listening, self._paths = list(listening), paths or {}

    def listeners(self):
        return _fact(self._listening)

    def path(self, path):
        return _fact(self._paths.get(path, PathFact(path, False)), f"stat {path}")


def _check(checks, check_id):
    return next(c for c in checks if c.id == check_id)


def test_a_documented_wildcard_bind_passes_with_a_lan_exposure_note():
    check = _check(listen_checks(real_inventory().service("open-webui")), "open-webui::listen:3000")
    finding = evaluate(check, Facts([Listening("0.0.0.0", 3000)]))
    assert finding.status is Status.PASSED
    assert "reachable from the LAN" in finding.note


def test_a_loopback_only_bind_fails_the_documented_wildcard_and_carries_no_note():
    check = _check(listen_checks(real_inventory().service("open-webui")), "open-webui::listen:3000")
    finding = evaluate(check, Facts([Listening("127.0.0.1", 3000)]))
    assert (finding.status, finding.found, finding.note) == (Status.FAILED, "127.0.0.1:3000", "")


SECRET = "/home/christopherbailey/open-webui/.webui_secret_key"


def test_a_world_readable_secret_file_passes_with_a_note():
    check = _check(path_checks(real_inventory().service("open-webui")), "open-webui::path:secret-key")
    finding = evaluate(check, Facts(paths={SECRET: PathFact(SECRET, True, "file", "644", "christopherbailey", "christopherbailey", 32)}))
    assert finding.status is Status.PASSED
    assert "mode 644" in finding.note


def test_an_owner_only_secret_file_has_no_note():
    check = _check(path_checks(real_inventory().service("open-webui")), "open-webui::path:secret-key")
    finding = evaluate(check, Facts(paths={SECRET: PathFact(SECRET, True, "file", "600", "christopherbailey", "christopherbailey", 32)}))
    assert (finding.status, finding.note) == (Status.PASSED, "")
