"""The owner's own checks on the Mac Studio, in testinfra's idiom: copy one to start yours.

`host` is the Studio, over the suite's SSH connection. testinfra has no launchd support:
host.service, host.socket and host.process skip there; use the suite's launchd checks or host.run.
`suite` is the run's session: what the inventory the run was given documents (here: the launch job's plist).
"""
import plistlib

import pytest

LABEL = "com.bebop.mlx-launch"  # the founding document's launch job


@pytest.fixture(scope="module")
def launch_job(suite):
    """The launch job as the run's inventory documents it; a skip that says why when that inventory has none."""
    job = next((j for j in suite.inventory.launchd if j.label == LABEL and j.state == "active"), None)
    if job is None or job.runtime_dir is None:
        pytest.skip(f"not applicable: this run's inventory documents no active {LABEL} job with its runtime dir "
                    f"(the founding launch job), whose plist this example reads")
    return job


def test_the_launch_plist_parses_as_the_owner_would_check_it_by_hand(host, launch_job):
    try:
        plist = plistlib.loads(host.file(launch_job.plist).content)
    except RuntimeError as e:  # how testinfra says the read failed ("Unexpected output ...", with its stderr)
        if "Permission denied" not in str(e):
            raise
        # launchd accepts a root-owned 0600 plist, which the owner's user then cannot read: not a pass, not a fail
        pytest.skip(f"cannot verify: needs read access to {launch_job.plist}")
    assert plist["Label"] == launch_job.label
    # by hand, roughly: something it runs lives under its documented runtime dir (the program, or the script an
    # interpreter such as /bin/bash runs); the suite's :program check reads interpreters exactly
    under = launch_job.runtime_dir.rstrip("/") + "/"
    assert any(argument.startswith(under) for argument in plist["ProgramArguments"])
