from .allowlist import ReadOnlyViolation, check_read_only
from .backends import Backend, LocalBackend, ProcessBackend, RawResult, RoundTripFailed
from .runner import BatchFailed, BinaryCommand, Output, Runner
from .secret_files import SecretFiles
from .ssh import NoSshTarget, SshBackend, SshTarget, resolve_ssh_target, ssh_backend_for

__all__ = ["Backend", "BatchFailed", "BinaryCommand", "LocalBackend", "NoSshTarget", "Output", "ProcessBackend", "RawResult",
           "ReadOnlyViolation", "RoundTripFailed", "Runner", "SecretFiles", "SshBackend", "SshTarget", "check_read_only",
           "resolve_ssh_target", "ssh_backend_for"]
