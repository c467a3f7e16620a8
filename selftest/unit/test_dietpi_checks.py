"""The DietPi's checks on a fake Linux host: Home Assistant's unit, port, and its answer over HTTP."""
import httpx2 as httpx
import pytest

from conformance.checks.derive import evaluate, host_checks
from conformance.checks.finding import Status
from conformance.facts.http import HttpProbe
from conformance.site import SiteAddresses
from ._support import FakeMini, real_inventory

HA_SHOW = """Id=home-assistant.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
FragmentPath=/etc/systemd/system/home-assistant.service
DropInPaths=
ExecStart={ path=/usr/local/bin/hass ; argv[]=/usr/local/bin/hass --config /mnt/dietpi_userdata/homeassistant ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }
Restart=always
RestartUSec=100ms
EnvironmentFiles=
Environment=
StandardInput=null
StandardOutput=journal
StandardError=inherit
InvocationID=7f0c2c1e3a5b4d6f8091a2b3c4d5e6f7
NRestarts=0
User=
"""
HA_LISTENING = "LISTEN 0 128 0.0.0.0:8123 0.0.0.0:*\nLISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n"
MANIFEST = {"name": "Home Assistant", "short_name": "Home Assistant", "start_url": "/?homescreen=1"}


def _dietpi(tmp_path, show=HA_SHOW, ss=HA_LISTENING, answer=lambda r: httpx.Response(200, json=MANIFEST)):
    inventory = real_inventory()
    host = FakeMini(tmp_path, user="christopherbailey").show("system", show).ss(ss)
    facts = host.facts(inventory, "dietpi")
    facts.http = HttpProbe(transport=httpx.MockTransport(answer))
    return {c.id: evaluate(c, facts) for c in host_checks(inventory, SiteAddresses(inventory), "dietpi")}


def _failing(findings):
    return {i for i, f in findings.items() if f.status is not Status.PASSED}


def test_documented_home_assistant_passes(tmp_path):
    findings = _dietpi(tmp_path)
    assert {i: f.message for i, f in findings.items() if f.status is not Status.PASSED} == {}
    assert len(findings) == 7


@pytest.mark.parametrize("case, change, failing", [
    ("stopped", {"show": HA_SHOW.replace("ActiveState=active", "ActiveState=inactive"), "ss": ""},
     {"home-assistant::active", "home-assistant::listen:8123"}),
    ("another user", {"show": HA_SHOW.replace("User=\n", "User=homeassistant\n")}, {"home-assistant::run-as"}),
    ("another port", {"ss": HA_LISTENING.replace("8123", "8124")}, {"home-assistant::listen:8123"}),
    ("disabled", {"show": HA_SHOW.replace("UnitFileState=enabled", "UnitFileState=disabled")}, {"home-assistant::enabled"}),
    ("not home assistant", {"answer": lambda r: httpx.Response(200, json={"name": "nginx"})}, {"home-assistant::http:frontend"}),
    ("not json", {"answer": lambda r: httpx.Response(200, text="<html>hi</html>")}, {"home-assistant::http:frontend"}),
])
def test_home_assistant_drifts_fail_exactly_their_checks(tmp_path, case, change, failing):
    assert _failing(_dietpi(tmp_path, **change)) == failing
