"""The MLX launch scripts kept on the Mini (in litellm-orch/scripts)."""
import pytest


@pytest.mark.checks("script")
def test_launch_script(check, verify):
    verify(check)
