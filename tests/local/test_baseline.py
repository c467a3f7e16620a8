"""Services the owner documented as "must not be modified" (Ollama): unchanged since the baseline."""
import pytest


@pytest.mark.checks("unmodified")
def test_unmodified_since_baseline(check, verify):
    verify(check)
