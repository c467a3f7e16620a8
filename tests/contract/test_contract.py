"""The OpenAI-API contract: the official openai client through LiteLLM to every documented route, and
the same requests directly against each backend, so a failure names the layer that broke."""
import pytest

checks = pytest.mark.checks


@checks("contract")
def test_contract(check, verify):
    verify(check)
