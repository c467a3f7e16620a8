"""`python -m conformance.deploy install`: the nightly job's environment file (where the master key and the webhook
URL may go) is written readable by its owner only, and an existing one readable by others is said."""
from __future__ import annotations

import os
import stat

import pytest

from conformance import deploy


@pytest.fixture
def home(tmp_path, monkeypatch):
    """install() with its paths under tmp and systemctl / systemd-analyze recorded, not run."""
    monkeypatch.setattr(deploy, "USER_UNITS", tmp_path / "units")
    monkeypatch.setattr(deploy, "ENV_FILE", tmp_path / "config" / "nightly.env")
    ran = []
    monkeypatch.setattr(deploy.subprocess, "run", lambda argv, **kw: ran.append(argv))
    old = os.umask(0o022)  # the usual umask: a plain write would give 0644
    yield tmp_path
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_install_writes_the_env_file_readable_by_its_owner_only(home, capsys):
    deploy.install("--site=lab/site-twin.yaml --baseline=lab/baseline-twin.yaml")
    env = home / "config" / "nightly.env"
    assert env.read_text() == "NIGHTLY_ARGS=--site=lab/site-twin.yaml --baseline=lab/baseline-twin.yaml\n"
    assert _mode(env) == 0o600
    assert "warning" not in capsys.readouterr().err
    assert not [p for p in env.parent.iterdir() if p.name != "nightly.env"]  # no temporary file left


def test_an_existing_env_file_readable_by_others_is_said_when_kept_and_made_private_when_rewritten(home, capsys):
    env = home / "config" / "nightly.env"
    env.parent.mkdir()
    env.write_text("NIGHTLY_ARGS=--site=x\nLLM_LAB_WEBHOOK_URL=https://ha.example/api/webhook/secret-id\n")
    env.chmod(0o644)
    deploy.install("")  # no --args: the owner's file is kept as it is...
    err = capsys.readouterr().err
    assert f"warning: the nightly job's environment file {env} is readable by others than its owner (mode 0644; " \
           f"chmod 600 it)" in err
    assert "secret-id" in env.read_text() and _mode(env) == 0o644
    deploy.install("--site=y")  # ...and replaced by a private one when written
    assert _mode(env) == 0o600 and "warning" not in capsys.readouterr().err
