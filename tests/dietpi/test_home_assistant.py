"""The DietPi over SSH: Home Assistant's systemd unit and port, and its answer over HTTP from the run's host."""
import pytest

checks = pytest.mark.checks


@checks("unit-file", "exec-start", "restart", "restart-sec", "enabled", "active", "run-as", "logs", "drop-ins")
def test_unit(check, verify):
    verify(check)


@checks("listen")
def test_listening(check, verify):
    verify(check)


@checks("http")
def test_answers_over_http(check, verify):
    verify(check)
