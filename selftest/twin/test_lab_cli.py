"""The lab command line keeps its contract: exec passes output and exit status through; status says up."""
import subprocess
import sys

from selftest.twin.conftest import ROOT


def _lab(*args):
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_exec_passes_stdout_stderr_and_exit_status_through(twin):
    run = _lab("exec", "mini", "--", "sh", "-c", "echo 'to stdout'; echo 'to stderr' >&2; exit 7")
    assert (run.returncode, run.stdout, run.stderr) == (7, "to stdout\n", "to stderr\n")


def test_exec_runs_as_root_in_the_twin_host(twin):
    run = _lab("exec", "mini", "--", "sh", "-c", "id -un; hostname")
    assert run.stdout.split() == ["root", "mini"]


def test_status_says_up_with_exit_0(twin):
    run = _lab("status")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "twin is UP" in run.stdout and "mini: up 10.213.0.2" in run.stdout
