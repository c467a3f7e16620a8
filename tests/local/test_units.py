"""systemd units on the Mini: one test per documented unit property."""
import pytest

checks = pytest.mark.checks


@checks("unit-file")
def test_unit_file(check, verify):
    verify(check)


@checks("exec-start")
def test_exec_start(check, verify):
    verify(check)


@checks("restart")
def test_restart_policy(check, verify):
    verify(check)


@checks("restart-sec")
def test_restart_sec(check, verify):
    verify(check)


@checks("enabled")
def test_enabled(check, verify):
    verify(check)


@checks("active")
def test_active(check, verify):
    verify(check)


@checks("environment-file")
def test_environment_file(check, verify):
    verify(check)


@checks("environment")
def test_environment(check, verify):
    verify(check)


@checks("drop-ins")
def test_drop_ins(check, verify):
    verify(check)


@checks("run-as")
def test_runs_as(check, verify):
    verify(check)


@checks("logs")
def test_logs_to_journald(check, verify):
    verify(check)


@checks("unit-absent")
def test_unit_absent_by_policy(check, verify):
    verify(check)
