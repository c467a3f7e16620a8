from .allowlist import ReadOnlyViolation, check_read_only
from .backends import Backend, LocalBackend, ProcessBackend, RawResult, RoundTripFailed
from .runner import BatchFailed, Output, Runner

__all__ = ["Backend", "BatchFailed", "LocalBackend", "Output", "ProcessBackend", "RawResult", "ReadOnlyViolation",
           "RoundTripFailed", "Runner", "check_read_only"]
