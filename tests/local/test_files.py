"""Documented paths, env files and the owner's ssh config on the Mini."""
import pytest

checks = pytest.mark.checks


@checks("path")
def test_path(check, verify):
    verify(check)


@checks("env")
def test_env_file_entry(check, verify):
    verify(check)


@checks("ssh-config")
def test_ssh_config_entry(check, verify):
    verify(check)
