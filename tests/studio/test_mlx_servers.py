"""The Mac Studio over SSH: the launchd job, its plist, the MLX servers' ports and logs (one round trip)."""
import pytest

checks = pytest.mark.checks


@checks("host")
def test_host_is_macos(check, verify):
    verify(check)


@checks("launchd")
def test_launchd_job(check, verify):
    verify(check)


@checks("path")
def test_path(check, verify):
    verify(check)


@checks("mlx-listen")
def test_routed_port_listens(check, verify):
    verify(check)


@checks("mlx-logs")
def test_every_listening_port_has_its_log(check, verify):
    verify(check)


@checks("mlx-health")
def test_health_answers(check, verify):
    verify(check)
