#!/bin/sh
# `sw_vers` stand-in (twin, studio): macOS 15.5 (24F74), in sw_vers's own layout.
#
# The layout is a real capture's (macOS 14.4.1, quoted in selftest/unit/test_darwin_parsers.py and
# selftest/fixtures/darwin/README.md): `ProductName:\t\tmacOS`, `ProductVersion:\t\t<version>`,
# `BuildVersion:\t\t<build>` (a `ProductVersionExtra:\t(a)` line only after a Rapid Security Response,
# which this Mac has not had). `-productName`, `-productVersion`, `-buildVersion` print one value.
case "$1" in
  "") printf 'ProductName:\t\tmacOS\nProductVersion:\t\t15.5\nBuildVersion:\t\t24F74\n' ;;
  -productName) echo macOS ;;
  -productVersion) echo 15.5 ;;
  -buildVersion) echo 24F74 ;;
  *) echo "usage: sw_vers [-productName|-productVersion|-productVersionExtra|-buildVersion]" >&2; exit 1 ;;
esac
