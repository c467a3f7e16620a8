#!/bin/sh
# `python3` on the SSH user's PATH (twin, studio): the shim a Mac without the Command Line Tools has.
#
# Stock macOS /usr/bin/python3 is a stub that only offers to install the developer tools:
# `xcode-select: note: No developer tools were found, requesting install.` (munki/macadmin-scripts #125,
# putnam/binmerge #29 on Sonoma 14.7.6). The suite must not depend on Python
# on the Mac, so here too `python3` runs nothing. (The twin's own stand-ins use /usr/bin/python3 by path.)
echo "xcode-select: note: No developer tools were found, requesting install." >&2
exit 1
