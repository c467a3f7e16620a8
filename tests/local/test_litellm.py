"""LiteLLM on the Mini: router.yaml resolved with env.local, routes, JSON logs."""
import pytest

checks = pytest.mark.checks


@checks("litellm-config")
def test_litellm_config(check, verify):
    verify(check)


@checks("journal")
def test_json_logs_in_journal(check, verify):
    verify(check)


@checks("route")
def test_route(check, verify):
    verify(check)
