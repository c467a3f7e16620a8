"""Documented HTTP answers of the Mini's services, asked from the Mini itself."""
import pytest


@pytest.mark.checks("http")
def test_answers_over_http(check, verify):
    verify(check)
