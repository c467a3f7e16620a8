"""Documented listening addresses on the Mini (one `ss -ltnH` for all)."""
import pytest


@pytest.mark.checks("listen")
def test_listening(check, verify):
    verify(check)
