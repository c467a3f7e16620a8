"""The owner's own checks on the Mac Studio, in testinfra's idiom: copy one to start yours.

`host` is the Studio, over the suite's SSH connection. testinfra has no launchd support:
host.service, host.socket and host.process skip there; use the suite's launchd checks or host.run.
"""
import plistlib

PLIST = "/Library/LaunchDaemons/com.bebop.mlx-launch.plist"


def test_the_launch_plist_parses_as_the_owner_would_check_it_by_hand(host):
    plist = plistlib.loads(host.file(PLIST).content)
    assert plist["Label"] == "com.bebop.mlx-launch"
    assert plist["ProgramArguments"][0].startswith("/opt/mlx-launch/")
