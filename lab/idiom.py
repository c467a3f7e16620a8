"""The benchmark's other side: the facts the suite checks on a host, written as a testinfra user writes them.

One idiomatic test per check of the suite (the same ids), each asking testinfra for what the check needs, one
`host.service` / `host.file` / `host.socket` / `host.run` per fact and nothing shared between tests: the way
pytest-testinfra's documentation writes tests. Run by plain pytest with testinfra's own `host` fixture
(`--hosts=local://` in mini, `--hosts=paramiko://studio`, testinfra's default SSH backend), from a scratch directory
with no conftest: the venv's plugins only. Written from the suite's own checks, so both sides look at the same
facts; the health of an MLX port is a GET from the run's host on both sides.
"""
from __future__ import annotations

from conformance.checks.derive import host_checks
from conformance.inventory import load_inventory, load_site
from conformance.site import SiteAddresses

from . import paths

HEADER = '''"""Idiomatic testinfra for the facts the suite checks on {host} (written by lab/idiom.py for `make bench`)."""
import plistlib
import urllib.request

import pytest
import yaml

FACTS = {facts!r}


@pytest.mark.parametrize("kind, args", list(FACTS.values()), ids=list(FACTS))
def test_fact(host, kind, args):
    CHECK[kind](host, *args)


def _unit(host, scope, name, what):
    if scope == "system":
        service = host.service(name)
        {{"active": lambda: service.is_running, "enabled": lambda: service.is_enabled}}.get(
            what, lambda: service.systemd_properties)()
    else:  # testinfra's service module knows the system manager only
        host.run("systemctl --user " + {{"active": "is-active", "enabled": "is-enabled"}}.get(what, "show") + " " + name)


def _absent(host, name):
    assert host.run("systemctl --user is-enabled " + name).rc != 0


def _path(host, path, kind):
    f = host.file(path)
    assert f.exists
    if kind == "symlink":
        assert f.is_symlink and f.linked_to
    elif kind == "directory":
        assert f.is_directory
    else:
        assert f.is_file


def _content(host, path):
    assert host.file(path).content_string is not None


def _read(host, *paths):
    for path in paths:
        text = host.file(path).content_string
        if path.endswith(".yaml"):
            yaml.safe_load(text)


def _listen(host, address, port):
    assert host.socket("tcp://%s:%d" % (address, port)).is_listening


def _run(host, command):
    assert host.run(command).rc == 0


def _files(host, *paths):
    for path in paths:
        host.file(path).exists


def _hash(host, path):
    assert host.file(path).sha256sum


def _darwin(host):
    assert host.system_info.type == "darwin"


def _plist(host, path):
    assert plistlib.loads(host.file(path).content)


def _owner(host, path):
    f = host.file(path)
    assert f.user and f.mode


def _health(host, url):
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.status == 200


CHECK = {{"unit": _unit, "absent": _absent, "path": _path, "content": _content, "read": _read, "listen": _listen,
         "run": _run, "files": _files, "hash": _hash, "darwin": _darwin, "plist": _plist, "owner": _owner, "health": _health}}
'''


def facts_of(host_id: str, site_file=paths.ROOT / "lab" / "site-twin.yaml") -> dict[str, tuple[str, tuple]]:
    """check id -> (what the idiomatic test does, its arguments), for every check of the suite on the host."""
    inventory = load_inventory(paths.ROOT / "inventory.yaml")
    site = SiteAddresses(inventory, load_site(site_file, inventory))
    facts = {}
    for check in host_checks(inventory, site, host_id):
        facts[check.id] = _idiom(check, inventory)
    return facts


def _idiom(check, inventory) -> tuple[str, tuple]:
    kw = getattr(check.evaluate, "keywords", {})
    kind = check.kind
    if kind == "launchd":
        aspect = check.id.rsplit(":", 1)[-1]
        if aspect in ("loaded", "running", "not-loaded", "not-running", "serves-port"):
            return "run", (f"launchctl print system/{kw['key'].name}",)
        if aspect in ("enabled", "disabled"):
            return "run", ("launchctl print-disabled system",)
        return ("owner" if aspect == "plist-owner" else "plist"), (kw["plist"],)
    if "key" in kw and kind == "unit-absent":
        return "absent", (kw["key"].name,)
    if "key" in kw and kind == "journal":
        return "run", (f"journalctl --no-pager -q -o cat -n 300 -u {kw['key'].name}",)
    if "key" in kw:
        return "unit", (kw["key"].scope, kw["key"].name, kind)
    if kind == "path" and "entry" in kw:
        return "path", (kw["entry"].path, kw["entry"].type)
    if kind == "env":
        return "content", (kw["env_file"].path,)
    if kind == "listen":
        return "listen", (kw["address"] if "address" in kw else kw["addresses"][0], kw["port"])
    if kind in ("litellm-config", "route"):
        return "read", (inventory.litellm.config, inventory.litellm.env_file)
    if kind == "script" and "path" in kw:
        return "content", (kw["path"],)
    if kind == "script":
        return "read", tuple(f"{kw['cfg'].dir}/{name}" for name in kw["cfg"].scripts)
    if kind == "ssh-config":
        return "content", (kw["entry"].file,)
    if kind == "unmodified":
        return "hash", (kw["path"],)
    if kind == "host":
        return "darwin", ()
    if kind == "tailscale-serve":
        return "run", ("tailscale serve status --json",)
    if kind == "mlx-listen":
        return "run", ("netstat -an -p tcp",)
    if kind == "mlx-health":
        return "health", (kw["url"],)
    if kind == "mlx-logs":
        return "files", tuple(kw["job"].log_paths().values())
    if kind == "path":  # the Studio's runtime dir
        return "path", (kw["path"], "directory")
    raise ValueError(f"no idiomatic testinfra written for a check of kind {kind!r} ({check.id})")


def module(host_id: str) -> str:
    """The test module's text."""
    return HEADER.format(host=host_id, facts=facts_of(host_id))
