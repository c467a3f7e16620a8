#!/bin/sh
# `uname` stand-in (twin, studio): what macOS 15.5 on a Mac Studio (M2 Ultra) prints.
#
# `uname -s` is `Darwin` (pytest-testinfra lower-cases it to "darwin", testinfra/modules/systeminfo.py; the suite's
# bsd.parse_uname). The release `24.5.0` is Darwin's for macOS 15.5 (24F74, see sw_vers), the machine
# `arm64`, the processor (-p) `arm`; -v and -a carry a version string of that release's form (made up
# here: no captured `uname -a` of the lab's Studio exists). BSD uname prints the fields asked for in the
# fixed order s n r v m (p after), like this; a bare `uname` is `uname -s`.
sysname=Darwin
release=24.5.0
version="Darwin Kernel Version 24.5.0: Tue Apr 22 19:54:33 PDT 2025; root:xnu-11417.121.6~2/RELEASE_ARM64_T6020"
machine=arm64
processor=arm
s= n= r= v= m= p=
[ $# -eq 0 ] && s=1
while getopts amnprsv opt; do
  case $opt in
    a) s=1 n=1 r=1 v=1 m=1 ;;
    m) m=1 ;; n) n=1 ;; p) p=1 ;; r) r=1 ;; s) s=1 ;; v) v=1 ;;
    *) echo "usage: uname [-amnoprsv]" >&2; exit 1 ;;
  esac
done
out=
add() { out="${out:+$out }$1"; }
[ -n "$s" ] && add "$sysname"
[ -n "$n" ] && add "$(cat /proc/sys/kernel/hostname)"
[ -n "$r" ] && add "$release"
[ -n "$v" ] && add "$version"
[ -n "$m" ] && add "$machine"
[ -n "$p" ] && add "$processor"
printf '%s\n' "$out"
