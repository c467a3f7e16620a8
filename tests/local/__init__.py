"""Tests of the `local` marker (the folder is the marker); a package, so two folders may hold files of one name."""
