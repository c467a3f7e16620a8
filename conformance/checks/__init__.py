"""Checks: compare one documented fact with one gathered fact; say expected, found, source."""
