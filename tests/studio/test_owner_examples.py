"""The owner's own checks on the Mac Studio, in testinfra's idiom: copy one to start yours.

`host` is the Studio, over the suite's SSH connection. testinfra has no launchd support:
host.service, host.socket and host.process skip there; use the suite's launchd checks or host.run.
"""
import plistlib

import pytest

PLIST = "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"


def test_the_launch_plist_parses_as_the_owner_would_check_it_by_hand(host):
    try:
        plist = plistlib.loads(host.file(PLIST).content)
    except RuntimeError as e:  # how testinfra says the read failed ("Unexpected output ...", with its stderr)
        if "Permission denied" not in str(e):
            raise
        # launchd accepts a root-owned 0600 plist, which the owner's user then cannot read: not a pass, not a fail
        pytest.skip(f"cannot verify: needs read access to {PLIST}")
    assert plist["Label"] == "com.bebop.mlx-launch"
    # by hand, roughly: something it runs lives under /opt/mlx-launch (the program, or the script an
    # interpreter such as /bin/bash runs); the suite's :program check reads interpreters exactly
    assert any(argument.startswith("/opt/mlx-launch/") for argument in plist["ProgramArguments"])
