from .allowlist import ReadOnlyViolation, check_read_only
from .backends import Backend, RawResult, TestinfraBackend
from .runner import Output, Runner

__all__ = ["Backend", "Output", "RawResult", "ReadOnlyViolation", "Runner", "TestinfraBackend", "check_read_only"]
